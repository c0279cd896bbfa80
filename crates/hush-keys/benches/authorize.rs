//! What `KeyRing::authorize` costs per request: a valid key (lookup,
//! HMAC, limits), a wrong secret for a known id, and an unknown id, on a
//! ring of 1 000 keys.
//!
//! `cargo bench -p hush-keys --bench authorize`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hush_keys::{KeyRing, KeySpec, KeyStore, RequestFacts};

fn bench(c: &mut Criterion) {
    let mut store = KeyStore::in_memory();
    let mut keys = Vec::new();
    for i in 0..1000 {
        let (_, s) = store
            .create(KeySpec {
                models: vec!["claude-*".into()],
                max_tokens: Some(8192),
                ..KeySpec::named(format!("svc-{i}"))
            })
            .unwrap();
        keys.push(s.expose().to_string());
    }
    let ring = KeyRing::from_store(&store);
    let facts = RequestFacts {
        model: Some("claude-sonnet-4-5"),
        max_tokens: Some(1024),
    };
    let good = keys[500].clone();
    assert!(ring.authorize(&good, &facts).is_ok());
    let mut wrong = good.clone();
    wrong.replace_range(good.len() - 4.., "aaaa");
    let unknown = format!("hush_aaaaaaaaaaaa_{}", &good[18..]);
    assert_eq!(ring.authorize(&wrong, &facts).unwrap_err().status, 401);
    assert_eq!(ring.authorize(&unknown, &facts).unwrap_err().status, 401);

    let mut g = c.benchmark_group("authorize");
    g.throughput(Throughput::Elements(1));
    g.bench_function("valid", |b| b.iter(|| ring.authorize(&good, &facts)));
    g.bench_function("wrong_secret", |b| {
        b.iter(|| ring.authorize(&wrong, &facts))
    });
    g.bench_function("unknown_id", |b| {
        b.iter(|| ring.authorize(&unknown, &facts))
    });
    g.bench_function("malformed", |b| {
        b.iter(|| ring.authorize("sk-ant-not-a-hush-key", &facts))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
