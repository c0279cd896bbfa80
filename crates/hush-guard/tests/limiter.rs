//! The in-process rate limiter end to end, on tokio's paused clock so
//! minutes of traffic run in milliseconds and exactly.

use std::time::Duration;

use hush_guard::{Admission, Dimension, LimitScope, Limits, RateLimiter};

fn rpm(n: u32) -> Limits {
    Limits { rpm: Some(n), ..Limits::default() }
}

async fn admitted(l: &RateLimiter, key: &str, lim: &Limits) -> bool {
    matches!(l.admit(key, lim, 0, 0).await.unwrap(), Admission::Admitted(_))
}

/// Offers `offered_rpm` evenly for `secs` seconds; counts admissions.
async fn offer(
    l: &RateLimiter,
    lim: &Limits,
    offered_rpm: u64,
    secs: u64,
) -> u64 {
    let step = Duration::from_secs(60) / offered_rpm as u32;
    let n = offered_rpm * secs / 60;
    let mut ok = 0;
    for _ in 0..n {
        if admitted(l, "k", lim).await {
            ok += 1;
        }
        tokio::time::advance(step).await;
    }
    ok
}

#[tokio::test(start_paused = true)]
async fn steady_state_minute_admits_the_configured_rate() {
    let l = RateLimiter::in_process(Limits::default());
    let lim = rpm(600);
    // First minute from a fresh bucket: the burst (600) plus a minute of
    // refill (600).
    let first = offer(&l, &lim, 2000, 60).await;
    assert!((1195..=1201).contains(&first), "first minute {first}");
    // The next minute, with the burst spent: the rate itself.
    let steady = offer(&l, &lim, 2000, 60).await;
    assert!((594..=606).contains(&steady), "steady minute {steady}");
}

#[tokio::test(start_paused = true)]
async fn a_one_second_burst_bounds_the_first_minute() {
    let l = RateLimiter::in_process(Limits::default());
    let lim = Limits { burst: Some(Duration::from_secs(1)), ..rpm(600) };
    let first = offer(&l, &lim, 2000, 60).await;
    assert!((600..=612).contains(&first), "first minute {first}");
}

#[tokio::test(start_paused = true)]
async fn rejection_names_dimension_scope_and_wait() {
    let l = RateLimiter::in_process(rpm(2));
    let key = Limits { input_tpm: Some(600), ..Limits::default() };
    let r = l.admit("a", &key, 600, 0).await.unwrap();
    assert!(matches!(r, Admission::Admitted(_)));
    match l.admit("a", &key, 60, 0).await.unwrap() {
        Admission::Rejected { retry_after, dimension, scope } => {
            assert_eq!(dimension, Dimension::InputTokens);
            assert_eq!(scope, LimitScope::Key);
            // 60 tokens at 10 per second.
            assert_eq!(retry_after, Duration::from_secs(6));
        }
        other => panic!("{other:?}"),
    }
    // Another key passes its own limits but meets the global rpm of 2:
    // one request left, then rejected for 30 s.
    assert!(admitted(&l, "b", &key).await);
    match l.admit("c", &key, 1, 0).await.unwrap() {
        Admission::Rejected { retry_after, dimension, scope } => {
            assert_eq!(dimension, Dimension::Requests);
            assert_eq!(scope, LimitScope::Global);
            assert_eq!(retry_after, Duration::from_secs(30));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn settlement_refunds_unused_output_and_charges_extra_input() {
    let l = RateLimiter::in_process(Limits::default());
    let key = Limits {
        input_tpm: Some(1000),
        output_tpm: Some(1000),
        ..Limits::default()
    };
    let Admission::Admitted(r) = l.admit("k", &key, 100, 1000).await.unwrap()
    else {
        panic!()
    };
    // The estimate said 100 input tokens, the answer used 700; 1000
    // output reserved, 50 used.
    l.settle(r, 700, 50).await.unwrap();
    // Output: 950 back. Input: 300 left, so 400 more is over.
    match l.admit("k", &key, 400, 900).await.unwrap() {
        Admission::Rejected { dimension, .. } => {
            assert_eq!(dimension, Dimension::InputTokens)
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        l.admit("k", &key, 300, 900).await.unwrap(),
        Admission::Admitted(_)
    ));
}

#[tokio::test(start_paused = true)]
async fn max_tokens_above_the_bucket_still_passes_once_full() {
    let l = RateLimiter::in_process(Limits::default());
    let key = Limits { output_tpm: Some(4000), ..Limits::default() };
    // 8192 > 4000: admitted on a full bucket, leaving debt.
    assert!(matches!(
        l.admit("k", &key, 0, 8192).await.unwrap(),
        Admission::Admitted(_)
    ));
    match l.admit("k", &key, 0, 1).await.unwrap() {
        // Debt is floored at -4000: 4001 tokens at 4000/min is 60.015 s.
        Admission::Rejected { retry_after, .. } => {
            let ms = retry_after.as_millis();
            assert!((60_015..=60_016).contains(&ms), "{ms}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn zero_limit_rejects_everything() {
    let l = RateLimiter::in_process(Limits::default());
    match l.admit("k", &rpm(0), 0, 0).await.unwrap() {
        Admission::Rejected { retry_after, .. } => {
            assert_eq!(retry_after, Duration::from_secs(60))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_admissions_never_exceed_the_bucket() {
    let l = RateLimiter::in_process(rpm(6_000_000));
    // Per-key bucket of 100 with a negligible refill over the test.
    let key = Limits { rpm: Some(100), ..Limits::default() };
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let l = l.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0u32;
            for _ in 0..50 {
                if admitted(&l, "shared", &key).await {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    // 100 plus at most the refill during the test (100/60 per second).
    assert!((100..=102).contains(&total), "{total}");
}
