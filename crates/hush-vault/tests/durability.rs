//! Corruption, crash and concurrency tests on the file backend.
//!
//! The crash and concurrency tests re-run this test binary as a child
//! process (`child_writer`, which does nothing unless HUSH_VAULT_CHILD is
//! set) that writes mappings and prints each one once it is acknowledged.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hush_detect::Kind;
use hush_vault::{Key, Policy, Vault};

fn key() -> Key {
    Key::from_bytes([42; 32])
}

fn make(path: &Path, n: usize) -> Vec<(String, String)> {
    let v = Vault::open(path, key(), Policy::default()).unwrap();
    let s = v.scope("s");
    (0..n)
        .map(|i| {
            let value = format!("user{i}@corp.io");
            let p = s.pseudonymise(Kind::Email, &value).unwrap();
            (value, p)
        })
        .collect()
}

#[test]
fn wrong_key_newer_version_not_a_vault() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.hushvault");
    make(&path, 3);
    let err = Vault::open(&path, Key::from_bytes([1; 32]), Policy::default())
        .unwrap_err();
    assert!(err.is_wrong_key());
    assert!(err.to_string().contains("v.hushvault"), "{err}");

    let mut bytes = fs::read(&path).unwrap();
    bytes[8] = hush_vault::FORMAT_VERSION as u8 + 1; // a newer format
    fs::write(&path, &bytes).unwrap();
    let err = Vault::open(&path, key(), Policy::default()).unwrap_err();
    assert!(err.is_newer_format(), "{err}");
    assert!(err.to_string().contains("v.hushvault"));

    fs::write(&path, b"hello, not a vault at all").unwrap();
    let err = Vault::open(&path, key(), Policy::default()).unwrap_err();
    assert!(err.is_corrupt(), "{err}");
}

#[test]
fn flipped_bytes_are_errors_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.hushvault");
    make(&path, 5);
    let good = fs::read(&path).unwrap();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x40;
        fs::write(&path, &bad).unwrap();
        match Vault::open(&path, key(), Policy::default()) {
            Ok(v) => panic!("byte {i} flipped, vault opened: {v:?}"),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains("v.hushvault"), "{msg}");
                assert!(!msg.contains("corp.io"), "{msg}");
            }
        }
    }
}

#[test]
fn truncated_tail_is_ignored_truncated_middle_loses_nothing_acked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.hushvault");
    let pairs = make(&path, 10);
    let good = fs::read(&path).unwrap();
    // Any truncation opens (a torn tail is dropped) or fails clearly; the
    // records before the cut are all there.
    for cut in 0..good.len() {
        fs::write(&path, &good[..cut]).unwrap();
        match Vault::open(&path, key(), Policy::default()) {
            Ok(v) => {
                let n = v.stats().unwrap().entries;
                let s = v.scope("s");
                for (value, p) in &pairs[..n] {
                    assert_eq!(s.restore(p).unwrap().text(), value);
                }
            }
            Err(e) => assert!(e.to_string().contains("v.hushvault"), "{e}"),
        }
    }
    // Whole file back: everything there.
    fs::write(&path, &good).unwrap();
    let v = Vault::open(&path, key(), Policy::default()).unwrap();
    assert_eq!(v.stats().unwrap().entries, 10);
    // No plaintext in the file.
    assert!(!String::from_utf8_lossy(&good).contains("corp.io"));
}

/// The writer run in a child process.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var("HUSH_VAULT_CHILD") else { return };
    let tag = std::env::var("HUSH_VAULT_CHILD_TAG").unwrap_or_default();
    let v = Vault::open(&path, key(), Policy::default()).unwrap();
    let s = v.scope("s");
    let out = std::io::stdout();
    for i in 0.. {
        let value = format!("{tag}user{i}@corp.io");
        let p = s.pseudonymise(Kind::Email, &value).unwrap();
        let mut o = out.lock();
        writeln!(o, "ACK\t{value}\t{p}").unwrap();
        o.flush().unwrap();
        if i >= 400 && !tag.is_empty() {
            break;
        }
    }
}

fn spawn_child(path: &Path, tag: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env("HUSH_VAULT_CHILD", path)
        .env("HUSH_VAULT_CHILD_TAG", tag)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn acked(line: &str) -> Option<(String, String)> {
    let line = &line[line.find("ACK\t")? + 4..];
    let (v, p) = line.split_once('\t')?;
    v.ends_with("corp.io").then(|| (v.to_string(), p.to_string()))
}

#[test]
#[cfg(unix)]
fn kill_9_during_writes_keeps_every_acknowledged_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.hushvault");
    let start = Instant::now();
    let mut all: Vec<(String, String)> = Vec::new();
    let mut rounds = 0;
    while start.elapsed() < Duration::from_secs(12) && rounds < 25 {
        rounds += 1;
        let mut child = spawn_child(&path, "");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(p) = acked(&line) {
                    let _ = tx.send(p);
                }
            }
        });
        // Kill at a varying instant once writes are under way.
        let first = rx.recv_timeout(Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(5 + (rounds * 7) % 40));
        let _ = Command::new("kill")
            .args(["-9", &child.id().to_string()])
            .status();
        let _ = child.wait();
        reader.join().unwrap();
        all.extend(first.ok());
        all.extend(rx.try_iter());
        // Reopen: every acknowledged mapping restores.
        let v = Vault::open(&path, key(), Policy::default()).unwrap();
        let s = v.scope("s");
        for (value, p) in &all {
            let r = s.restore(p).unwrap();
            assert_eq!(r.text(), value, "round {rounds}: lost {p}");
        }
    }
    assert!(rounds >= 3 && all.len() > 10, "{rounds} rounds, {}", all.len());
}

#[test]
#[cfg(unix)]
fn two_processes_write_one_vault() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.hushvault");
    make(&path, 1);
    let mut a = spawn_child(&path, "a");
    let mut b = spawn_child(&path, "b");
    let read = |c: &mut std::process::Child| -> Vec<(String, String)> {
        BufReader::new(c.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| acked(&l))
            .collect()
    };
    let ta = read(&mut a);
    let tb = read(&mut b);
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    assert_eq!(ta.len(), 401);
    assert_eq!(tb.len(), 401);
    let v = Vault::open(&path, key(), Policy::default()).unwrap();
    assert_eq!(v.stats().unwrap().entries, 1 + 802);
    let s = v.scope("s");
    let mut seen = std::collections::HashSet::new();
    for (value, p) in ta.iter().chain(&tb) {
        assert!(seen.insert(p.clone()), "pseudonym issued twice: {p}");
        assert_eq!(s.restore(p).unwrap().text(), value);
    }
}

#[test]
fn forget_and_purge_remove_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.hushvault");
    let pairs = make(&path, 3);
    let v = Vault::open(&path, key(), Policy::default()).unwrap();
    let s = v.scope("s");
    assert_eq!(s.forget(&pairs[0].1).unwrap(), 1);
    assert_eq!(s.forget(&pairs[1].0).unwrap(), 1);
    assert!(s.forget("nobody@corp.io").unwrap_err().is_not_found());
    drop(v);
    let v = Vault::open(&path, key(), Policy::default()).unwrap();
    let s = v.scope("s");
    assert_eq!(s.restore(&pairs[0].1).unwrap().unresolved().len(), 1);
    assert_eq!(s.restore(&pairs[1].1).unwrap().unresolved().len(), 1);
    assert_eq!(s.restore(&pairs[2].1).unwrap().text(), pairs[2].0);
    assert_eq!(v.purge_older_than(0).unwrap(), 0);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(v.scope("s").purge_older_than(0).unwrap(), 1);
    assert_eq!(v.stats().unwrap().entries, 0);
}
