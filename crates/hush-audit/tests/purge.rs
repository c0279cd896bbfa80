//! Purge keeps what remains verifiable; a forged anchor is rejected.

mod common;

use std::fs;
use std::time::Duration;

use common::*;
use hush_audit::{
    purge, purge_before, search, verify, AuditError, AuditLog, Filter,
    SigningKey,
};

/// A log written in two sessions a few milliseconds apart; returns the
/// cutoff between them (the time of the second session's first line).
fn two_sessions(rotate: u64) -> (Log, i64) {
    let log = make_log(60, rotate, 7);
    std::thread::sleep(Duration::from_millis(20));
    let w = AuditLog::open(config(&log.dir, &log.key, rotate, 7)).unwrap();
    for i in 100..160 {
        w.append_blocking(record(i)).unwrap();
    }
    w.close().unwrap();
    let hits: Vec<_> = search(&log.dir, &Filter::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let second =
        hits.iter().find(|h| h.record.request_id == "hush_0100").unwrap();
    let cutoff =
        hush_audit::parse_time(&second.ts, hush_audit::DayEnd::Start).unwrap();
    (log, cutoff - 5)
}

fn request_ids(log: &Log) -> Vec<String> {
    search(&log.dir, &Filter::default())
        .unwrap()
        .map(|h| h.unwrap().record.request_id)
        .collect()
}

#[test]
fn purge_removes_old_records_and_keeps_the_chain_verifiable() {
    for rotate in [u64::MAX, 6 * 1024] {
        let (log, cutoff) = two_sessions(rotate);
        let before = files(&log.dir).len();
        let key = SigningKey::load(&log.key).unwrap();
        let r = purge_before(&log.dir, cutoff, &key).unwrap();
        assert!(r.removed >= 60, "{r:?}");
        if rotate != u64::MAX {
            assert!(r.files_removed > 0 && files(&log.dir).len() < before);
        }
        let ids = request_ids(&log);
        assert_eq!(ids.first().map(String::as_str), Some("hush_0100"));
        assert_eq!(ids.len(), 60);
        let report = verify(&log.dir, Some(&log.public)).unwrap();
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.purged, Some(r.removed_to.unwrap() + 1));
        // The purge is on record, and the log goes on after it.
        let last = lines(files(&log.dir).last().unwrap());
        assert!(last.iter().any(|l| l.contains("\"type\":\"purge\"")));
        let w = AuditLog::open(config(&log.dir, &log.key, rotate, 7)).unwrap();
        w.append_blocking(record(999)).unwrap();
        w.close().unwrap();
        assert!(verify(&log.dir, Some(&log.public)).unwrap().is_ok());
        // A second purge carries the count of the first.
        let r2 = purge_before(&log.dir, i64::MAX, &key).unwrap();
        let report = verify(&log.dir, Some(&log.public)).unwrap();
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.calls, 0);
        assert_eq!(report.purged, Some(r2.removed_to.unwrap() + 1));
    }
}

#[test]
fn purge_with_nothing_old_records_the_run() {
    let log = make_log(5, u64::MAX, 0);
    let key = SigningKey::load(&log.key).unwrap();
    let r = purge(&log.dir, Duration::from_secs(86_400), &key).unwrap();
    assert_eq!(r.removed, 0);
    assert_eq!(request_ids(&log).len(), 5);
    assert!(verify(&log.dir, Some(&log.public)).unwrap().is_ok());
}

fn purged_log() -> (Log, Vec<String>, std::path::PathBuf) {
    let (log, cutoff) = two_sessions(u64::MAX);
    let key = SigningKey::load(&log.key).unwrap();
    purge_before(&log.dir, cutoff, &key).unwrap();
    let path = files(&log.dir)[0].clone();
    (log, lines(&path), path)
}

#[test]
fn a_forged_anchor_is_rejected() {
    let (log, mut lines, path) = purged_log();
    assert!(lines[0].contains("\"type\":\"anchor\""));
    let orig = lines[0].clone();
    // Claim fewer removed records.
    let n: String = serde_json::from_str::<serde_json::Value>(&orig).unwrap()
        ["removed_count"]
        .to_string();
    lines[0] =
        orig.replace(&format!("\"removed_count\":{n}"), "\"removed_count\":1");
    lines[0] = lines[0].replace(
        "\"removed_from\":0",
        &format!("\"removed_from\":{}", n.parse::<u64>().unwrap() - 1),
    );
    write_lines(&path, &lines);
    let p = verify(&log.dir, Some(&log.public)).unwrap().problem.unwrap();
    assert_eq!(p.line, 1);
    assert!(p.what.contains("chain starts after a gap"), "{p}");
    // A bad signature.
    let sig = field(&orig, "sig").to_string();
    lines[0] = orig.replace(&sig, &"ab".repeat(64));
    write_lines(&path, &lines);
    let p = verify(&log.dir, Some(&log.public)).unwrap().problem.unwrap();
    assert!(p.what.contains("chain starts after a gap"), "{p}");
    // Without a key, an anchor is accepted and the report says so.
    let r = verify(&log.dir, None).unwrap();
    assert!(r.is_ok());
    assert!(r.notes.iter().any(|n| n.contains("not checked")), "{r}");
}

#[test]
fn cutting_the_head_of_a_log_without_an_anchor_is_a_gap() {
    let log = make_log(20, u64::MAX, 0);
    let path = files(&log.dir)[0].clone();
    let l = lines(&path);
    write_lines(&path, &l[5..]);
    let p = verify(&log.dir, Some(&log.public)).unwrap().problem.unwrap();
    assert_eq!(p.line, 1);
    assert!(p.what.contains("chain starts after a gap"), "{p}");
}

#[test]
fn purge_refuses_a_running_writer_and_a_tampered_log() {
    let log = make_log(10, u64::MAX, 0);
    let key = SigningKey::load(&log.key).unwrap();
    let w = AuditLog::open(config(&log.dir, &log.key, u64::MAX, 0)).unwrap();
    let err = purge_before(&log.dir, i64::MAX, &key).unwrap_err();
    assert!(matches!(err, AuditError::Locked { .. }), "{err}");
    w.close().unwrap();
    let path = files(&log.dir)[0].clone();
    let mut l = lines(&path);
    l[4] = l[4].replace("\"status\":200", "\"status\":201");
    write_lines(&path, &l);
    let err = purge_before(&log.dir, i64::MAX, &key).unwrap_err();
    assert!(matches!(err, AuditError::Unverified(_)), "{err}");
    assert!(err.to_string().contains("line 5"), "{err}");
}

#[test]
fn files_left_by_an_interrupted_purge_are_ignored_then_removed() {
    let log = make_log(200, 8 * 1024, 1000);
    let old = files(&log.dir);
    let saved: Vec<(std::path::PathBuf, Vec<u8>)> = old
        .iter()
        .take(2)
        .map(|p| (p.clone(), fs::read(p).unwrap()))
        .collect();
    let key = SigningKey::load(&log.key).unwrap();
    // Cut in the middle of the third file.
    let third = lines(&old[2]);
    let mid = &third[third.len() / 2];
    let cutoff =
        hush_audit::parse_time(field(mid, "ts"), hush_audit::DayEnd::Start)
            .unwrap()
            + 1;
    purge_before(&log.dir, cutoff, &key).unwrap();
    assert!(verify(&log.dir, Some(&log.public)).unwrap().is_ok());
    // Put back the first two files, as if the purge had died before
    // deleting them.
    for (p, b) in &saved {
        fs::write(p, b).unwrap();
    }
    let r = verify(&log.dir, Some(&log.public)).unwrap();
    assert!(r.is_ok(), "{r}");
    assert!(r.notes.iter().any(|n| n.contains("interrupted purge")), "{r}");
    let r = purge_before(&log.dir, 0, &key).unwrap();
    assert_eq!(r.files_removed, 2);
    assert!(!saved[0].0.exists());
    assert!(verify(&log.dir, Some(&log.public)).unwrap().is_ok());
}
