//! What a rate-limit check costs per request: `admit` (and `admit` +
//! `settle`) in process, in ns/op, and through Redis on loopback (one
//! sequential caller, so this is the round trip), in µs/op. The Redis
//! group starts its own `redis-server` and is skipped with a message when
//! there is none.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use hush_guard::{Admission, Limits, RateLimiter};

/// Limits high enough that every call is admitted (the common path),
/// on all three dimensions for the key and requests globally.
fn key_limits() -> Limits {
    Limits {
        rpm: Some(1_000_000_000),
        input_tpm: Some(u64::MAX / 4),
        output_tpm: Some(u64::MAX / 4),
        burst: None,
    }
}

fn global() -> Limits {
    Limits { rpm: Some(1_000_000_000), ..Limits::default() }
}

fn run(
    c: &mut Criterion,
    group: &str,
    rt: &tokio::runtime::Runtime,
    limiter: &RateLimiter,
) {
    let key = key_limits();
    let mut g = c.benchmark_group(group);
    g.bench_function("admit", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for i in 0..iters {
                    let k = if i % 2 == 0 { "key-a" } else { "key-b" };
                    let a = limiter.admit(k, &key, 500, 1024).await.unwrap();
                    std::hint::black_box(a);
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("admit_settle", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    let a = limiter.admit("key-s", &key, 500, 1024).await;
                    if let Ok(Admission::Admitted(r)) = a {
                        limiter.settle(r, 480, 200).await.unwrap();
                    }
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("rejected", |b| {
        let tight = Limits { rpm: Some(1), ..Limits::default() };
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    let a = limiter.admit("key-r", &tight, 0, 0).await;
                    std::hint::black_box(a.unwrap());
                }
                t.elapsed()
            })
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    run(c, "in_process", &rt, &RateLimiter::in_process(global()));

    match hush_guard::testing::RedisServer::start() {
        Ok(server) => {
            let limiter = rt
                .block_on(RateLimiter::redis(&server.url(), "bench", global()))
                .unwrap();
            run(c, "redis", &rt, &limiter);
        }
        Err(why) => eprintln!("skipping the Redis benchmarks: {why}"),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
