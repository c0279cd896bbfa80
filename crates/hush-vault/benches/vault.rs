//! Pseudonymise-or-lookup operations per second on a warm vault, and
//! restore throughput on text, in MB/s.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hush_detect::Kind;
use hush_vault::{Key, Policy, Vault};

/// Entries in the warm vault (HUSH_BENCH_ENTRIES, default 100 000).
fn entries() -> usize {
    std::env::var("HUSH_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn bench(c: &mut Criterion) {
    #[allow(non_snake_case)]
    let N = entries();
    let vault =
        Vault::in_memory(Key::from_bytes([1; 32]), Policy::default()).unwrap();
    let s = vault.scope("bench");
    let values: Vec<String> =
        (0..N).map(|i| format!("user{i}@example-corp.io")).collect();
    let items: Vec<(Kind, &str)> =
        values.iter().map(|v| (Kind::Email, v.as_str())).collect();
    let tags = s.pseudonymise_batch(&items).unwrap();

    let mut g = c.benchmark_group("vault");
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("pseudonymise_warm", |b| {
        b.iter(|| {
            i = (i + 7919) % N;
            s.pseudonymise(Kind::Email, &values[i]).unwrap()
        })
    });

    // About 1 MB of prose with a tag every ~200 bytes.
    let mut text = String::new();
    let mut k = 0;
    while text.len() < 1 << 20 {
        text.push_str(
            "The quarterly review was moved to Thursday, and the team \
             agreed to send the updated figures to ",
        );
        text.push_str(&tags[k % N]);
        text.push_str(" before the call. Nothing else changed. ");
        k += 13;
    }
    let restored = s.restore(&text).unwrap();
    assert!(restored.unresolved().is_empty());
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("restore_1MB", |b| b.iter(|| s.restore(&text).unwrap()));
    let plain = text.replace("[[EMAIL-", "[[MAIL-");
    g.bench_function("restore_1MB_no_tags", |b| {
        b.iter(|| s.restore(&plain).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
