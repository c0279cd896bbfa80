//! `hush audit verify|purge|search` end to end on a log written by the
//! library, as the proxy writes it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use hush_audit::{AuditConfig, AuditLog, CallRecord};
use predicates::prelude::*;

fn hush() -> Command {
    let mut c = Command::cargo_bin("hush").unwrap();
    c.env_remove("HUSH_AUDIT_KEY").env_remove("HUSH_AUDIT_PUBKEY");
    c
}

/// A log of 12 calls in `tmp/audit`, key in `tmp/audit.key`.
fn write_log(tmp: &Path) -> (PathBuf, PathBuf) {
    let dir = tmp.join("audit");
    let key = tmp.join("audit.key");
    let log = AuditLog::open(AuditConfig::files(&dir, &key)).unwrap();
    for i in 0..12u16 {
        log.append_blocking(CallRecord {
            request_id: format!("hush_{i}"),
            key_id: Some(if i % 2 == 0 { "team-a" } else { "team-b" }.into()),
            method: "POST".into(),
            endpoint: "/v1/messages".into(),
            model: Some(
                if i < 4 { "claude-haiku-4-5" } else { "claude-sonnet-4-5" }
                    .into(),
            ),
            status: if i == 5 { 529 } else { 200 },
            ..CallRecord::default()
        })
        .unwrap();
    }
    log.close().unwrap();
    (dir, key)
}

fn pub_file(key: &Path) -> PathBuf {
    let mut p = key.as_os_str().to_owned();
    p.push(".pub");
    p.into()
}

/// `hush audit verify DIR --pubkey KEY.pub`, asserted by the caller.
fn verify_signed(dir: &Path, key: &Path) -> assert_cmd::assert::Assert {
    hush()
        .args(["audit", "verify"])
        .arg(dir)
        .arg("--pubkey")
        .arg(pub_file(key))
        .assert()
}

#[test]
fn verify_ok_tampered_and_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, key) = write_log(tmp.path());
    verify_signed(&dir, &key)
        .success()
        .stdout(predicate::str::starts_with("ok\n"))
        .stdout(predicate::str::contains("12 calls"))
        .stdout(predicate::str::contains("signatures verified"));
    hush()
        .args(["audit", "verify"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("NOT checked"));
    let file = dir.join("audit-00000000000000000000.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("\"status\":529", "\"status\":200", 1),
    )
    .unwrap();
    hush()
        .args(["audit", "verify"])
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAILED"))
        .stdout(predicate::str::contains("line 8 (seq 7)"))
        .stdout(predicate::str::contains("edited"));
    hush()
        .args(["audit", "verify"])
        .arg(tmp.path().join("missing"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot open audit log"));
    hush()
        .args(["audit", "verify", "--pubkey", "abcd"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("public key"));
}

#[test]
fn wrong_public_key_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = write_log(tmp.path());
    let other =
        hush_audit::SigningKey::from_bytes([5; 32]).public_key().to_hex();
    hush()
        .args(["audit", "verify"])
        .arg(&dir)
        .args(["--pubkey", &other])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("wrong public key"));
}

#[test]
fn search_filters_and_prints_stored_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = write_log(tmp.path());
    let out = hush()
        .args(["audit", "search"])
        .arg(&dir)
        .args(["--model", "claude-sonnet-4-5", "--key-id", "team-b"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> =
        lines.iter().map(|v| v["request_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["hush_5", "hush_7", "hush_9", "hush_11"]);
    assert!(lines.iter().all(|v| v["hash"].as_str().unwrap().len() == 64));
    hush()
        .args(["audit", "search"])
        .arg(&dir)
        .args(["--status", "5xx"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("hush_5")
                .and(predicate::str::contains("hush_4").not()),
        );
    hush()
        .args(["audit", "search"])
        .arg(&dir)
        .args(["--from", "2999-01-01"])
        .assert()
        .success()
        .stdout("");
    hush()
        .args(["audit", "search"])
        .arg(&dir)
        .args(["--to", "2000-01-01", "--endpoint", "/v1/messages"])
        .assert()
        .success()
        .stdout("");
    hush()
        .args(["audit", "search"])
        .arg(&dir)
        .args(["--from", "yesterday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad time"));
}

#[test]
fn purge_keeps_the_log_verifiable() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, key) = write_log(tmp.path());
    hush()
        .args(["audit", "purge"])
        .arg(&dir)
        .args(["--older-than", "365d", "--key"])
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("purged 0 records before"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    hush()
        .args(["audit", "purge"])
        .arg(&dir)
        .args(["--older-than", "1s", "--key"])
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("purged 0").not());
    verify_signed(&dir, &key)
        .success()
        .stdout(predicate::str::contains("purged before the anchor"));
    hush().args(["audit", "search"]).arg(&dir).assert().success().stdout("");
    hush()
        .args(["audit", "purge"])
        .arg(&dir)
        .args(["--older-than", "5y"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad age"));
}

#[test]
fn purges_default_to_the_declared_retention() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, key) = write_log(tmp.path());
    let vault = tmp.path().join("v.hushvault");
    let vault_key = tmp.path().join("vault.key");
    let config = tmp.path().join("hush.toml");
    // `hush [--config hush.toml] audit purge DIR [extra] --key KEY`, run
    // where no hush.toml is picked up by itself.
    let audit_purge = |with_config: bool, extra: &[&str]| {
        let mut c = hush();
        c.current_dir(tmp.path());
        if with_config {
            c.arg("--config").arg(&config);
        }
        c.args(["audit", "purge"])
            .arg(&dir)
            .args(extra)
            .arg("--key")
            .arg(&key);
        c
    };
    let vault_purge = |with_config: bool| {
        let mut c = hush();
        c.current_dir(tmp.path());
        if with_config {
            c.arg("--config").arg(&config);
        }
        c.args(["vault", "purge", "--vault"])
            .arg(&vault)
            .arg("--key-file")
            .arg(&vault_key);
        c
    };
    // Neither --older-than nor a declared retention: a clear error, and
    // nothing is removed.
    audit_purge(false, &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("[retention] audit_log"));
    vault_purge(false)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("[retention] vault"));
    verify_signed(&dir, &key)
        .success()
        .stdout(predicate::str::contains("purged before the anchor").not());
    std::fs::write(
        &config,
        "[retention]\naudit_log = \"1s\"\nvault = \"30d\"\n",
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    audit_purge(true, &[])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("purged 0").not());
    verify_signed(&dir, &key)
        .success()
        .stdout(predicate::str::contains("purged before the anchor"));
    vault_purge(true).assert().success().stdout("purged 0 entries\n");
    // An explicit --older-than wins over the declared age.
    audit_purge(true, &["--older-than", "365d"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("purged 0 records"));
    std::fs::write(&config, "[retention]\naudit_log = \"forever\"\n").unwrap();
    audit_purge(true, &[]).assert().code(2).stderr(predicate::str::contains(
        "[retention] audit_log in hush.toml",
    ));
}

/// A child process killed when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One `POST /v1/messages` over a fresh connection; the request id of a
/// 200 answer read to its end, else `None` (refused, cut, an error).
fn acknowledged_call(addr: &str, n: usize) -> Option<String> {
    use std::io::{Read, Write};
    let body = format!(
        r#"{{"model":"claude-haiku-4-5","max_tokens":32,"messages":[{{"role":"user","content":"Call {n}: write to jane.roe{n}@acme-mail.io please."}}]}}"#
    );
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(
        s,
        "POST /v1/messages HTTP/1.1\r\nHost: {addr}\r\nx-api-key: sk-ant-test\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let (head, answer) = out.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") || !answer.contains("message") {
        return None;
    }
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("x-hush-request-id")
            .then(|| v.trim().to_string())
    })
}

/// The `hush` binary as a child process, isolated in `home` (no
/// `HUSH_*` variables, its own data directory).
fn hush_process(home: &Path) -> std::process::Command {
    let mut c =
        std::process::Command::new(assert_cmd::cargo::cargo_bin("hush"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HUSH_") {
            c.env_remove(k);
        }
    }
    c.env("HOME", home).env("XDG_DATA_HOME", home.join("data"));
    c
}

/// `hush mock-upstream` on a free port, and its base URL.
fn spawn_mock(home: &Path) -> (Child, String) {
    use std::io::{BufRead, BufReader};
    let mut mock = hush_process(home)
        .args(["mock-upstream", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut base = String::new();
    BufReader::new(mock.stdout.take().unwrap()).read_line(&mut base).unwrap();
    (Child(mock), base.trim().to_string())
}

/// `hush proxy` to `base` on a free loopback port with these extra
/// arguments, once it listens; and its address.
fn spawn_proxy(
    home: &Path,
    base: &str,
    extra: &[&std::ffi::OsStr],
    stdout: std::process::Stdio,
) -> (Child, String) {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let proxy = hush_process(home)
        .args(["--quiet", "proxy", "--listen", &addr, "--upstream", base])
        .args(extra)
        .stdout(stdout)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let proxy = Child(proxy);
    let t0 = std::time::Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(t0.elapsed().as_secs() < 30, "the proxy did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (proxy, addr)
}

#[test]
fn a_killed_proxy_loses_no_acknowledged_record() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let tmp = tempfile::tempdir().unwrap();
    let (_mock, base) = spawn_mock(tmp.path());
    let (dir, key) = (tmp.path().join("audit"), tmp.path().join("audit.key"));
    let (mut proxy, addr) = spawn_proxy(
        tmp.path(),
        &base,
        &[
            "--audit-log".as_ref(),
            dir.as_os_str(),
            "--audit-key".as_ref(),
            key.as_os_str(),
        ],
        std::process::Stdio::null(),
    );

    // Four clients call as fast as they can; the proxy is SIGKILLed in
    // the middle of their traffic.
    let t0 = std::time::Instant::now();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (acked, stop, addr) =
                (acked.clone(), stop.clone(), addr.clone());
            std::thread::spawn(move || {
                let mut n = c * 100_000;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    if let Some(id) = acknowledged_call(&addr, n) {
                        acked.lock().unwrap().push(id);
                    }
                }
            })
        })
        .collect();
    while acked.lock().unwrap().len() < 40 {
        assert!(t0.elapsed().as_secs() < 60, "too few answered calls");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    proxy.0.kill().unwrap(); // SIGKILL: no flush, no shutdown hook
    proxy.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    // Reopening the log (what the next proxy start does) cuts a torn
    // line; then the chain verifies and holds every acknowledged call.
    AuditLog::open(AuditConfig::files(&dir, &key)).unwrap().close().unwrap();
    verify_signed(&dir, &key)
        .success()
        .stdout(predicate::str::starts_with("ok\n"));
    let out = hush().args(["audit", "search"]).arg(&dir).assert().success();
    let logged: std::collections::HashSet<String> =
        String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .lines()
            .filter_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                Some(v["request_id"].as_str()?.to_string())
            })
            .collect();
    let lost: Vec<&String> =
        acked.iter().filter(|id| !logged.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged calls missing from the log",
        lost.len(),
        acked.len()
    );
    // And no original value was kept.
    let text = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            std::fs::read_to_string(e.unwrap().path()).unwrap_or_default()
        })
        .collect::<String>();
    assert!(
        !text.contains("@acme-mail.io"),
        "an original value is in the audit log"
    );
}

#[test]
fn audit_records_can_go_to_standard_output() {
    use std::io::{BufRead, BufReader};

    let tmp = tempfile::tempdir().unwrap();
    let (_mock, base) = spawn_mock(tmp.path());
    // Without a key file for the checkpoints, a clear refusal.
    hush()
        .env("XDG_DATA_HOME", tmp.path())
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream", &base])
        .args(["--audit-log", "-"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs --audit-key"));
    let key = tmp.path().join("audit.key");
    let (mut proxy, addr) = spawn_proxy(
        tmp.path(),
        &base,
        &[
            "--audit-log".as_ref(),
            "-".as_ref(),
            "--audit-key".as_ref(),
            key.as_os_str(),
        ],
        std::process::Stdio::piped(),
    );
    let out = proxy.0.stdout.take().unwrap();
    let ids: Vec<String> = (0..3)
        .map(|n| acknowledged_call(&addr, n).expect("an answer"))
        .collect();
    // Read records until the three calls are in (checkpoints and notes
    // may come between them).
    let mut seen = Vec::new();
    for line in BufReader::new(out).lines() {
        let line = line.unwrap();
        assert!(
            !line.contains("@acme-mail.io"),
            "an original value on stdout"
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v["hash"].as_str().map(str::len),
            Some(64),
            "not a chained record"
        );
        if let Some(id) = v["request_id"].as_str() {
            seen.push(id.to_string());
        }
        if ids.iter().all(|i| seen.contains(i)) {
            break;
        }
    }
    assert!(ids.iter().all(|i| seen.contains(i)));
}
