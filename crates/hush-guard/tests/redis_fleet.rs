//! The Redis backend against a real `redis-server` (started here on a
//! free loopback port, persistence off, killed at the end of each test):
//! two `RateLimiter`s stand for two proxies of a fleet sharing limits.
//!
//! Without `redis-server` these tests FAIL (install it with
//! tests/redis/ensure.sh) unless HUSH_SKIP_REDIS=1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use hush_guard::testing::{redis_for_test, RedisServer};
use hush_guard::{
    Admission, Dimension, FailureMode, LimitScope, Limits, RateLimiter,
    RedisOptions, Via,
};

fn server() -> Option<RedisServer> {
    match redis_for_test() {
        Ok(s) => s,
        Err(why) => panic!("Redis-backed tests need redis-server: {why}"),
    }
}

fn rpm(n: u32) -> Limits {
    Limits { rpm: Some(n), ..Limits::default() }
}

async fn fleet(
    s: &RedisServer,
    prefix: &str,
    global: Limits,
) -> [RateLimiter; 2] {
    let a = RateLimiter::redis(&s.url(), prefix, global).await.unwrap();
    let b = RateLimiter::redis(&s.url(), prefix, global).await.unwrap();
    [a, b]
}

/// One raw command on its own connection (the reply's first line).
fn raw(s: &RedisServer, cmd: &[&str]) -> String {
    let mut c = TcpStream::connect(("127.0.0.1", s.port())).unwrap();
    let mut out = format!("*{}\r\n", cmd.len());
    for part in cmd {
        out.push_str(&format!("${}\r\n{part}\r\n", part.len()));
    }
    c.write_all(out.as_bytes()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 256];
    let n = c.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_owned()
}

async fn is_admitted(l: &RateLimiter, key: &str, lim: &Limits) -> bool {
    matches!(l.admit(key, lim, 0, 0).await.unwrap(), Admission::Admitted(_))
}

#[tokio::test]
async fn two_proxies_share_a_key_limit() {
    let Some(s) = server() else { return };
    let [a, b] = fleet(&s, "t1", Limits::default()).await;
    let key = rpm(10);
    let mut ok = 0;
    for i in 0..20 {
        let l = if i % 2 == 0 { &a } else { &b };
        if is_admitted(l, "client", &key).await {
            ok += 1;
        }
    }
    assert_eq!(ok, 10, "the fleet admitted more than the shared limit");
    match b.admit("client", &key, 0, 0).await.unwrap() {
        Admission::Rejected { retry_after, dimension, scope } => {
            assert_eq!(
                (dimension, scope),
                (Dimension::Requests, LimitScope::Key)
            );
            // One request at 10 a minute: up to 6 s.
            assert!(retry_after <= Duration::from_secs(6), "{retry_after:?}");
            assert!(retry_after > Duration::from_secs(5), "{retry_after:?}");
        }
        other => panic!("{other:?}"),
    }
    // Another client has its own bucket.
    assert!(is_admitted(&a, "other", &key).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_fleet_admissions_are_atomic() {
    let Some(s) = server() else { return };
    let [a, b] = fleet(&s, "t2", rpm(50)).await;
    let mut tasks = Vec::new();
    for i in 0..10 {
        let l = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut ok = 0u32;
            for j in 0..20 {
                let key = format!("k{}", (i + j) % 3);
                if is_admitted(&l, &key, &Limits::default()).await {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    // The global bucket holds 50; the refill over the test (50/60 per
    // second) may add one.
    assert!((50..=51).contains(&total), "{total}");
}

#[tokio::test]
async fn settlement_on_one_proxy_is_seen_by_the_other() {
    let Some(s) = server() else { return };
    let [a, b] = fleet(&s, "t3", Limits::default()).await;
    let key = Limits { output_tpm: Some(1000), ..Limits::default() };
    let Admission::Admitted(r) = a.admit("c", &key, 0, 1000).await.unwrap()
    else {
        panic!("fresh bucket")
    };
    assert_eq!(r.via(), Via::Store);
    match b.admit("c", &key, 0, 500).await.unwrap() {
        Admission::Rejected { dimension, .. } => {
            assert_eq!(dimension, Dimension::OutputTokens)
        }
        other => panic!("{other:?}"),
    }
    a.settle(r, 0, 100).await.unwrap();
    assert!(matches!(
        b.admit("c", &key, 0, 800).await.unwrap(),
        Admission::Admitted(_)
    ));
}

#[tokio::test]
async fn buckets_expire_when_full_and_scripts_reload_after_a_flush() {
    let Some(s) = server() else { return };
    let [a, _] = fleet(&s, "t4", Limits::default()).await;
    assert!(is_admitted(&a, "e", &rpm(600)).await);
    // One request at 10 per second is back in 100 ms; the hash expires a
    // second after that.
    let ttl: i64 = raw(&s, &["PTTL", "{t4}:k:e"])[1..].parse().unwrap();
    assert!((1000..=1100).contains(&ttl), "PTTL {ttl}");
    // The script cache is emptied (as after a Redis restart): the next
    // call falls back from EVALSHA to EVAL.
    assert_eq!(raw(&s, &["SCRIPT", "FLUSH"]), "+OK");
    assert!(is_admitted(&a, "e", &rpm(600)).await);
}

#[tokio::test]
async fn unreachable_redis_fails_closed_open_or_local() {
    let Some(mut s) = server() else { return };
    let url = s.url();
    let opts = |failure| RedisOptions {
        failure,
        timeout: Duration::from_millis(200),
        connect_timeout: Duration::from_millis(200),
    };
    let lim = rpm(1);
    let closed = RateLimiter::redis_with(
        &url,
        "t5",
        Limits::default(),
        opts(FailureMode::Closed),
    )
    .await
    .unwrap();
    let open = RateLimiter::redis_with(
        &url,
        "t5",
        Limits::default(),
        opts(FailureMode::Open),
    )
    .await
    .unwrap();
    let local = RateLimiter::redis_with(
        &url,
        "t5",
        Limits::default(),
        opts(FailureMode::Local),
    )
    .await
    .unwrap();
    assert!(is_admitted(&closed, "x", &lim).await);
    s.stop();

    let e = closed.admit("x", &lim, 0, 0).await.unwrap_err();
    assert!(e.is_unavailable(), "{e}");
    assert!(!e.to_string().contains("127.0.0.1"), "address leaked: {e}");
    for _ in 0..3 {
        match open.admit("x", &lim, 0, 0).await.unwrap() {
            Admission::Admitted(r) => {
                assert_eq!(r.via(), Via::Unmetered);
                open.settle(r, 0, 0).await.unwrap();
            }
            other => panic!("fail-open rejected: {other:?}"),
        }
    }
    // Local: this proxy's own bucket of 1.
    let Admission::Admitted(r) = local.admit("x", &lim, 0, 0).await.unwrap()
    else {
        panic!("fail-local rejected the first")
    };
    assert_eq!(r.via(), Via::Local);
    local.settle(r, 0, 0).await.unwrap();
    assert!(matches!(
        local.admit("x", &lim, 0, 0).await.unwrap(),
        Admission::Rejected { .. }
    ));
}

#[tokio::test]
async fn connecting_to_nothing_is_unavailable() {
    // Needs no server: a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/");
    let e =
        RateLimiter::redis(&url, "p", Limits::default()).await.unwrap_err();
    assert!(e.is_unavailable());
    assert!(!e.to_string().contains(&port.to_string()), "{e}");
}
