//! `hush vault ...` end to end on a temporary vault.

use assert_cmd::Command;
use predicates::prelude::*;

fn hush() -> Command {
    let mut c = Command::cargo_bin("hush").unwrap();
    c.env_remove("HUSH_KEY");
    c
}

#[test]
fn key_file_stats_forget_export_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v.hushvault");
    let key = dir.path().join("key");
    let args = |c: &mut Command| {
        c.arg("--vault").arg(&vault).arg("--key-file").arg(&key);
    };
    let mut c = hush();
    c.args(["vault", "stats"]);
    args(&mut c);
    c.assert()
        .success()
        .stdout(predicate::str::contains("entries: 0"))
        .stderr(predicate::str::contains("created a new vault key"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let mut c = hush();
    c.args(["vault", "forget", "jane@acme.io"]);
    args(&mut c);
    c.assert().code(2).stderr(predicate::str::contains("jane@acme.io").not());
    let mut c = hush();
    c.args(["vault", "purge", "--older-than", "30d"]);
    args(&mut c);
    c.assert().success().stdout("purged 0 entries\n");
    let mut c = hush();
    c.args(["vault", "export"]);
    args(&mut c);
    c.assert().success().stdout("");
    let before = std::fs::read_to_string(&key).unwrap();
    let mut c = hush();
    c.args(["vault", "rotate-key"]);
    args(&mut c);
    c.assert().success();
    assert_ne!(std::fs::read_to_string(&key).unwrap(), before);
    let mut c = hush();
    c.args(["vault", "stats"]);
    args(&mut c);
    c.assert().success();
}

#[test]
fn wrong_env_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v.hushvault");
    hush()
        .env("HUSH_KEY", "11".repeat(32))
        .args(["vault", "stats", "--vault"])
        .arg(&vault)
        .assert()
        .success();
    hush()
        .env("HUSH_KEY", "22".repeat(32))
        .args(["vault", "stats", "--vault"])
        .arg(&vault)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wrong key"))
        .stderr(predicate::str::contains("v.hushvault"));
}
