//! Append throughput and acknowledgement latency of the audit writer
//! with a ~12 KB call record (a chat request and answer as the proxy
//! logs them), next to a baseline that only serialises the record (the
//! part of `append` that runs on the caller's thread).
//!
//! `cargo bench -p hush-audit --bench append`; the ack latency
//! percentiles (p50/p99 of one append from four concurrent callers) are
//! printed before the criterion groups.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hush_audit::{
    AuditConfig, AuditLog, Body, CallRecord, Entry, Fsync, Sink,
};

fn record(i: u64) -> CallRecord {
    let text = "Please summarise the ticket from <PERSON_1> (<EMAIL_2>) about order 4411. "
        .repeat(105);
    CallRecord {
        request_id: format!("hush_01J{i:020}"),
        upstream_request_id: Some(format!("req_{i:024}")),
        key_id: Some("k_team_a".into()),
        method: "POST".into(),
        endpoint: "/v1/messages".into(),
        model: Some("claude-sonnet-4-5".into()),
        request: Some(Body::from_serialized_json(
            serde_json::json!({
                "model": "claude-sonnet-4-5", "max_tokens": 1024,
                "messages": [{"role": "user", "content": text}]
            })
            .to_string()
            .as_bytes(),
        )),
        response: Some(Body::from_json_bytes(
            serde_json::json!({
                "content": [{"type": "text", "text": &text[..3500]}]
            })
            .to_string()
            .as_bytes(),
        )),
        entities: [("EMAIL".to_string(), 1), ("PERSON".to_string(), 1)].into(),
        restored: 2,
        usage: Some(
            serde_json::json!({"input_tokens": 1500, "output_tokens": 700}),
        ),
        latency_ms: 812.4,
        status: 200,
        ..CallRecord::default()
    }
}

fn open(dir: &std::path::Path, fsync: Fsync) -> AuditLog {
    let mut cfg = AuditConfig::files(dir.join("audit"), dir.join("audit.key"));
    cfg.sink = Sink::Files { dir: dir.join("audit"), rotate_bytes: 64 << 20 };
    cfg.fsync = fsync;
    AuditLog::open(cfg).expect("open")
}

fn latency_percentiles() {
    let rec_len = serde_json::to_vec(&record(0)).unwrap().len();
    for (name, fsync) in [
        ("never", Fsync::Never),
        ("batch", Fsync::Batch),
        ("always", Fsync::Always),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let log = Arc::new(open(tmp.path(), fsync));
        let n = if fsync == Fsync::Always { 500 } else { 5000 };
        let start = Instant::now();
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut lat = Vec::with_capacity(n);
                    for i in 0..n {
                        let rec = record((t * n + i) as u64);
                        let t0 = Instant::now();
                        log.append_blocking(rec).unwrap();
                        lat.push(t0.elapsed());
                    }
                    lat
                })
            })
            .collect();
        let mut lat: Vec<Duration> =
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let secs = start.elapsed().as_secs_f64();
        lat.sort_unstable();
        let p =
            |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
        println!(
            "append ack latency, fsync={name}, 4 callers, {rec_len} B records: \
             p50 {:?}, p99 {:?}, max {:?}; {:.0} records/s",
            p(0.50),
            p(0.99),
            lat[lat.len() - 1],
            lat.len() as f64 / secs
        );
    }
}

fn bench(c: &mut Criterion) {
    latency_percentiles();
    let rec = record(1);
    let bytes =
        serde_json::to_vec(&Entry::Call(rec.clone())).unwrap().len() as u64;
    let mut g = c.benchmark_group("audit_append_12k");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("serialise_only_baseline", |b| {
        b.iter(|| serde_json::to_vec(&Entry::Call(rec.clone())).unwrap())
    });
    let tmp = tempfile::tempdir().unwrap();
    let log = open(tmp.path(), Fsync::Never);
    g.bench_function("append_blocking_fsync_never", |b| {
        b.iter(|| log.append_blocking(rec.clone()).unwrap())
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    g.bench_function("append_async_fsync_never", |b| {
        b.iter(|| rt.block_on(log.append(rec.clone())).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
