//! Shared helpers: write a small log, read and rewrite its lines, forge
//! lines with correct hashes (what an attacker without the key can do).

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hush_audit::{AuditConfig, AuditLog, CallRecord, Fsync, PublicKey, Sink};
use sha2::{Digest, Sha256};

pub struct Log {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub key: PathBuf,
    pub public: PublicKey,
}

pub fn record(i: u64) -> CallRecord {
    CallRecord {
        request_id: format!("hush_{i:04}"),
        key_id: Some(format!("key{}", i % 3)),
        method: "POST".into(),
        endpoint: "/v1/messages".into(),
        model: Some(
            if i % 2 == 0 { "claude-sonnet-4-5" } else { "claude-haiku-4-5" }
                .into(),
        ),
        request: Some(
            serde_json::json!({"messages": [{"role": "user", "content": format!("hello <EMAIL_{i}>")}]})
                .into(),
        ),
        status: if i % 5 == 4 { 429 } else { 200 },
        latency_ms: 12.5,
        ..CallRecord::default()
    }
}

pub fn config(
    dir: &Path,
    key: &Path,
    rotate_bytes: u64,
    every: u64,
) -> AuditConfig {
    AuditConfig {
        sink: Sink::Files { dir: dir.to_path_buf(), rotate_bytes },
        queue_capacity: 64,
        on_full: hush_audit::OnFull::Block(Duration::from_secs(5)),
        fsync: Fsync::Never,
        checkpoint_every: every,
        checkpoint_interval: Duration::ZERO,
        signing_key: key.to_path_buf(),
    }
}

/// A closed log of `n` call records.
pub fn make_log(n: u64, rotate_bytes: u64, every: u64) -> Log {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let key = tmp.path().join("audit.key");
    let log = AuditLog::open(config(&dir, &key, rotate_bytes, every)).unwrap();
    for i in 0..n {
        log.append_blocking(record(i)).unwrap();
    }
    let public = log.public_key();
    log.close().unwrap();
    Log { tmp, dir, key, public }
}

pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    v.sort();
    v
}

pub fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path).unwrap().lines().map(String::from).collect()
}

pub fn write_lines(path: &Path, lines: &[String]) {
    let mut s = lines.join("\n");
    s.push('\n');
    fs::write(path, s).unwrap();
}

pub fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let key = format!("\"{name}\":\"");
    let start = line.find(&key).unwrap() + key.len();
    &line[start..start + line[start..].find('"').unwrap()]
}

pub fn seq(line: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["seq"].as_u64().unwrap()
}

/// A line with the given envelope and entry body (`"type":...` without
/// braces) and a correctly computed hash: what anyone can forge.
pub fn forge(seq: u64, ts: &str, prev: &str, body: &str) -> String {
    let prefix =
        format!("{{\"seq\":{seq},\"ts\":\"{ts}\",\"prev\":\"{prev}\",{body}");
    let hash = hex::encode(Sha256::digest(prefix.as_bytes()));
    format!("{prefix},\"hash\":\"{hash}\"}}")
}

/// Re-forges `line` with a new seq and prev, keeping its body.
pub fn reforge(line: &str, seq: u64, prev: &str) -> String {
    let ts = field(line, "ts");
    let body_start = line.find(",\"type\":").unwrap() + 1;
    let body_end = line.rfind(",\"hash\":").unwrap();
    forge(seq, ts, prev, &line[body_start..body_end])
}

pub fn hash_of(line: &str) -> String {
    field(line, "hash").to_string()
}
