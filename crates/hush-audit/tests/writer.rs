//! The writer's contract: every append gets a receipt or an error, never
//! silence; async appends; a full queue fails or waits as configured;
//! one writer per directory; checkpoints by time.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use hush_audit::{search, verify, AuditError, AuditLog, Filter, OnFull};

#[test]
fn every_append_is_answered_and_only_receipts_are_in_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let mut cfg = config(&dir, &tmp.path().join("k"), u64::MAX, 100);
    cfg.queue_capacity = 1;
    cfg.on_full = OnFull::Fail;
    let log = Arc::new(AuditLog::open(cfg).unwrap());
    let mut handles = Vec::new();
    for t in 0..8u64 {
        let log = log.clone();
        handles.push(std::thread::spawn(move || {
            let (mut ok, mut full) = (Vec::new(), 0);
            for i in 0..50 {
                let mut r = record(t * 1000 + i);
                r.request = Some(serde_json::json!("x".repeat(12_000)).into());
                match log.append_blocking(r) {
                    Ok(rc) => ok.push(rc.seq),
                    Err(AuditError::QueueFull) => full += 1,
                    Err(e) => panic!("{e}"),
                }
            }
            (ok, full)
        }));
    }
    let mut acked = Vec::new();
    let mut full = 0;
    for h in handles {
        let (ok, f) = h.join().unwrap();
        acked.extend(ok);
        full += f;
    }
    Arc::try_unwrap(log).unwrap().close().unwrap();
    acked.sort_unstable();
    let present: Vec<u64> = search(&dir, &Filter::default())
        .unwrap()
        .map(|h| h.unwrap().seq)
        .collect();
    assert_eq!(present, acked);
    assert_eq!(acked.len() + full, 400);
    assert!(verify(&dir, None).unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_appends_from_many_tasks_are_chained_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let mut cfg = config(&dir, &tmp.path().join("k"), 64 * 1024, 10);
    cfg.queue_capacity = 4;
    cfg.on_full = OnFull::Block(Duration::from_secs(10));
    let log = Arc::new(AuditLog::open(cfg).unwrap());
    let mut tasks = Vec::new();
    for t in 0..16u64 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..20 {
                seqs.push(log.append(record(t * 100 + i)).await.unwrap().seq);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let seqs = t.await.unwrap();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        all.extend(seqs);
    }
    log.flush().unwrap();
    let public = log.public_key();
    drop(log);
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 320);
    let r = verify(&dir, Some(&public)).unwrap();
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.calls, 320);
}

#[test]
fn checkpoints_are_written_by_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let mut cfg = config(&dir, &tmp.path().join("k"), u64::MAX, 0);
    cfg.checkpoint_interval = Duration::from_millis(50);
    let log = AuditLog::open(cfg).unwrap();
    log.append_blocking(record(1)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let l = lines(&files(&dir)[0]);
    assert!(l.last().unwrap().contains("\"type\":\"checkpoint\""), "{l:?}");
    // And the head file follows the checkpoint.
    let head = std::fs::read_to_string(dir.join("audit.head")).unwrap();
    assert_eq!(head.trim_end(), l.last().unwrap());
    drop(log);
}

#[test]
fn a_bad_config_or_key_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg =
        config(&tmp.path().join("a"), &tmp.path().join("k"), u64::MAX, 0);
    cfg.queue_capacity = 0;
    assert!(matches!(AuditLog::open(cfg), Err(AuditError::Config(_))));
    std::fs::write(tmp.path().join("bad"), "secret-looking-text").unwrap();
    let cfg =
        config(&tmp.path().join("a"), &tmp.path().join("bad"), u64::MAX, 0);
    let err = AuditLog::open(cfg).unwrap_err().to_string();
    assert!(
        err.contains("64 hex") && !err.contains("secret-looking"),
        "{err}"
    );
    // A log whose last line is damaged is not continued.
    let log = make_log(3, u64::MAX, 0);
    let path = files(&log.dir)[0].clone();
    let mut l = lines(&path);
    let last = l.len() - 1;
    l[last] = l[last].replace("\"type\"", "\"tipe\"");
    write_lines(&path, &l);
    let err =
        AuditLog::open(config(&log.dir, &log.key, u64::MAX, 0)).unwrap_err();
    assert!(matches!(err, AuditError::Corrupt { .. }), "{err}");
}
