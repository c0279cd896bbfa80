//! Streaming redaction and restoration against the whole-buffer calls
//! they must equal: the cost of 64 KiB chunks (the CLI's reads) and of
//! 20-byte chunks (SSE-sized deltas), per corpus. The per-chunk overhead
//! is (stream time - whole time) / chunks; `benches/README.md` shows
//! how to read it.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, Criterion, SamplingMode, Throughput,
};
use hush::{Key, Policy, Redactor, Scanner, Vault};
use hush_benches::load_haystack;

/// The corpora timed here: sparse, dense and chat-like text.
const SETS: &[&str] = &["prose", "dense", "chat"];

fn stream_all(r: &Redactor, hay: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len() + hay.len() / 4);
    let mut s = r.redact_stream();
    for piece in hay.chunks(chunk) {
        s.push(piece, &mut out).expect("in-memory vault");
    }
    s.finish(&mut out).expect("in-memory vault");
    out
}

fn restore_all(r: &Redactor, hay: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut s = r.restore_stream();
    for piece in hay.chunks(chunk) {
        s.push(piece, &mut out).expect("in-memory vault");
    }
    s.finish(&mut out).expect("in-memory vault");
    out
}

fn redact(c: &mut Criterion) {
    let scanner = Arc::new(Scanner::new().expect("built-in rules build"));
    for &name in SETS {
        let Some((hay, gold)) = load_haystack(name) else {
            eprintln!("no corpora/{name}.jsonl: run `cargo xtask corpus`");
            continue;
        };
        let vault =
            Vault::in_memory(Key::from_bytes([1; 32]), Policy::default())
                .expect("vault");
        let r = Redactor::new(scanner.clone(), Arc::new(vault));
        // Warm the vault (every value stored once), and check the
        // workload: every gold entity replaced, streams equal to whole.
        let mut whole = Vec::new();
        let report = r.redact_bytes(&hay, &mut whole).expect("redact");
        let names: u64 = hush_benches::NAME_LABELS
            .iter()
            .map(|l| report.kinds.get(l).copied().unwrap_or(0))
            .sum();
        assert_eq!(
            (report.findings - names) as usize,
            gold,
            "{name}: findings != gold"
        );
        for chunk in [65536, 20] {
            assert!(stream_all(&r, &hay, chunk) == whole, "{name}/{chunk}");
        }
        let mut g = c.benchmark_group(format!("redact/{name}"));
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Bytes(hay.len() as u64));
        g.bench_function("whole", |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(hay.len() + hay.len() / 4);
                r.redact_bytes(black_box(&hay), &mut out).expect("redact");
                out
            })
        });
        g.bench_function("scan_only", |b| {
            b.iter(|| scanner.scan(black_box(&hay)).len())
        });
        g.bench_function("stream_64k", |b| {
            b.iter(|| stream_all(&r, black_box(&hay), 65536))
        });
        g.bench_function("stream_20b", |b| {
            b.iter(|| stream_all(&r, black_box(&hay), 20))
        });
        // The throughput setting: 64 KiB chunks gathered into 1 MiB scans.
        let wide = r.clone().with_scan_batch(1 << 20);
        assert!(stream_all(&wide, &hay, 65536) == whole, "{name}/wide");
        g.bench_function("stream_64k_batch_1m", |b| {
            b.iter(|| stream_all(&wide, black_box(&hay), 65536))
        });
        g.finish();

        let mut g = c.benchmark_group(format!("restore/{name}"));
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Bytes(whole.len() as u64));
        let mut back = Vec::new();
        r.restore_bytes(&whole, &mut back).expect("restore");
        assert!(back == hay, "{name}: restore is not the inverse");
        assert!(restore_all(&r, &whole, 20) == hay, "{name}: stream restore");
        g.bench_function("whole", |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(hay.len());
                r.restore_bytes(black_box(&whole), &mut out).expect("restore");
                out
            })
        });
        g.bench_function("stream_64k", |b| {
            b.iter(|| restore_all(&r, black_box(&whole), 65536))
        });
        g.bench_function("stream_20b", |b| {
            b.iter(|| restore_all(&r, black_box(&whole), 20))
        });
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = redact
}
criterion_main!(benches);
