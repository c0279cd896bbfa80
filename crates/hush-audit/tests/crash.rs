//! "A killed proxy loses no acknowledged record": a child process (this
//! test binary re-run as `child_main`, a stand-in for the proxy) appends
//! ~12 KB records from four async tasks and prints each acknowledged
//! seq; it is SIGKILLed mid-run; the reopened log holds every
//! acknowledged seq and verifies.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::*;
use hush_audit::{
    search, verify, AuditConfig, AuditLog, CallRecord, Filter, Sink,
};

const CHILD_DIR: &str = "HUSH_AUDIT_CHILD_DIR";

/// The child: does nothing unless started by `kill_mid_run`.
#[test]
fn child_main() {
    let Ok(dir) = std::env::var(CHILD_DIR) else { return };
    let key = std::env::var("HUSH_AUDIT_CHILD_KEY").unwrap();
    let mut cfg = AuditConfig::files(&dir, key);
    if let Ok(r) = std::env::var("HUSH_AUDIT_CHILD_ROTATE") {
        cfg.sink =
            Sink::Files { dir: dir.into(), rotate_bytes: r.parse().unwrap() };
    }
    cfg.checkpoint_every = 50;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let log = std::sync::Arc::new(AuditLog::open(cfg).unwrap());
        let mut tasks = Vec::new();
        for t in 0..4u64 {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0u64.. {
                    let rec = CallRecord {
                        request_id: format!("hush_{t}_{i}"),
                        method: "POST".into(),
                        endpoint: "/v1/messages".into(),
                        request: Some(
                            serde_json::json!({
                                "messages": [{"role": "user", "content": "x".repeat(12_000)}]
                            })
                            .into(),
                        ),
                        status: 200,
                        ..CallRecord::default()
                    };
                    let r = log.append(rec).await.expect("append");
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{}", r.seq).unwrap();
                    out.flush().unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

fn kill_mid_run(rotate: Option<u64>, acks_before_kill: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let key = tmp.path().join("audit.key");
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_main", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, &dir)
        .env("HUSH_AUDIT_CHILD_KEY", &key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(r) = rotate {
        cmd.env("HUSH_AUDIT_CHILD_ROTATE", r.to_string());
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut acked = BTreeSet::new();
    let mut line = String::new();
    while acked.len() < acks_before_kill {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child ended early");
        // Lines from the test harness are not numbers.
        if let Ok(seq) = line.trim().parse::<u64>() {
            acked.insert(seq);
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Everything printed before the kill was acknowledged before it.
    for l in out.lines() {
        let l = l.unwrap();
        if let Ok(seq) = l.trim().parse::<u64>() {
            acked.insert(seq);
        }
    }
    // A torn tail (if the kill hit a write) is cut and noted on open.
    let log =
        AuditLog::open(config(&dir, &key, rotate.unwrap_or(u64::MAX), 50))
            .unwrap();
    let public = log.public_key();
    log.close().unwrap();
    let report = verify(&dir, Some(&public)).unwrap();
    assert!(report.is_ok(), "{report}");
    let present: BTreeSet<u64> = search(&dir, &Filter::default())
        .unwrap()
        .map(|h| h.unwrap().seq)
        .collect();
    let lost: Vec<_> = acked.difference(&present).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(acked.len() >= acks_before_kill);
}

#[test]
fn a_killed_writer_loses_no_acknowledged_record() {
    kill_mid_run(None, 400);
}

#[test]
fn a_killed_writer_loses_nothing_across_rotation() {
    kill_mid_run(Some(256 * 1024), 300);
}

#[test]
fn a_torn_tail_is_cut_and_noted() {
    let log = make_log(10, u64::MAX, 0);
    let path = files(&log.dir)[0].clone();
    let good = std::fs::metadata(&path).unwrap().len();
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"seq\":12,\"ts\":\"2026-11-").unwrap();
    drop(f);
    let r = verify(&log.dir, Some(&log.public)).unwrap();
    assert!(r.is_ok(), "{r}");
    assert!(r.notes.iter().any(|n| n.contains("incomplete")), "{r}");
    let w = AuditLog::open(config(&log.dir, &log.key, u64::MAX, 0)).unwrap();
    w.close().unwrap();
    let l = lines(&path);
    assert!(std::fs::metadata(&path).unwrap().len() > good);
    assert!(
        l.iter().any(|l| l.contains("torn tail repaired: 24 bytes")),
        "{l:?}"
    );
    let r = verify(&log.dir, Some(&log.public)).unwrap();
    assert!(r.is_ok() && r.notes.is_empty(), "{r}");
}
