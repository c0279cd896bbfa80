//! A throwaway `redis-server` for tests, benchmarks and `cargo xtask
//! limiter-accuracy`: started on a free loopback port in a temporary
//! directory with persistence off, stopped when dropped. Not for
//! production use; it lives here so every harness starts Redis the same
//! way.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that lets Redis-backed tests skip when
/// `redis-server` is missing (set it to `1`); without it they fail.
pub const SKIP_ENV: &str = "HUSH_SKIP_REDIS";

/// A running `redis-server`, killed on drop.
///
/// ```
/// match hush_guard::testing::RedisServer::start() {
///     Ok(server) => assert!(server.url().starts_with("redis://127.0.0.1:")),
///     Err(why) => println!("no redis-server here: {why}"),
/// }
/// ```
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts `redis-server` (found on `PATH`, or at `$REDIS_SERVER`) on
    /// a free loopback port and waits until it answers `PING`.
    ///
    /// # Errors
    /// A message saying what is missing or what went wrong (with the
    /// install hint `tests/redis/ensure.sh`).
    ///
    /// ```
    /// if let Ok(s) = hush_guard::testing::RedisServer::start() {
    ///     assert!(s.port() > 0);
    /// }
    /// ```
    pub fn start() -> Result<RedisServer, String> {
        let bin = std::env::var("REDIS_SERVER")
            .unwrap_or_else(|_| "redis-server".into());
        let mut last = String::new();
        // A port found free can be taken before the server binds it:
        // try a few.
        for _ in 0..5 {
            let dir = tempfile::tempdir().map_err(|e| {
                format!("cannot make a temporary directory: {e}")
            })?;
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free loopback port: {e}"))?
                .port();
            let child = Command::new(&bin)
                .args(["--port", &port.to_string()])
                .args(["--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| {
                    format!(
                        "cannot run {bin} ({e}); install it with \
                         tests/redis/ensure.sh (Debian package \
                         redis-server), or set {SKIP_ENV}=1 to skip"
                    )
                })?;
            let mut server = RedisServer { child, port, _dir: dir };
            match server.wait_ready(Duration::from_secs(10)) {
                Ok(()) => return Ok(server),
                Err(e) => last = e,
            }
            server.stop();
        }
        Err(format!("redis-server did not start: {last}"))
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let end = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}"));
            }
            if ping(self.port) {
                return Ok(());
            }
            if Instant::now() >= end {
                return Err("no PONG".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server now (also done on drop); for failure tests.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// Starts Redis for a test: `Ok(Some)` when running, `Ok(None)` when it
/// is missing and `HUSH_SKIP_REDIS=1` allows skipping, `Err` otherwise
/// (so a machine without Redis fails the test loudly).
///
/// ```
/// match hush_guard::testing::redis_for_test() {
///     Ok(Some(server)) => drop(server),
///     Ok(None) => println!("skipped"),
///     Err(why) => println!("{why}"),
/// }
/// ```
pub fn redis_for_test() -> Result<Option<RedisServer>, String> {
    match RedisServer::start() {
        Ok(s) => Ok(Some(s)),
        Err(e) if std::env::var(SKIP_ENV).as_deref() == Ok("1") => {
            eprintln!("skipping Redis tests ({SKIP_ENV}=1): {e}");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
