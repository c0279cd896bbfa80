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

#[test]
fn verify_ok_tampered_and_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, key) = write_log(tmp.path());
    hush()
        .args(["audit", "verify"])
        .arg(&dir)
        .arg("--pubkey")
        .arg(pub_file(&key))
        .assert()
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
    hush()
        .args(["audit", "verify"])
        .arg(&dir)
        .arg("--pubkey")
        .arg(pub_file(&key))
        .assert()
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
