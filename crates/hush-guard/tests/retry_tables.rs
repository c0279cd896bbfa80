//! Table-driven checks of the retry rules: the `retry-after` parser
//! (tests/data/retry_after.toml) and the statuses retried
//! (tests/data/retry_status.toml).

use std::time::{Duration, SystemTime};

use hush_guard::{parse_retry_after_at, Outcome, RetryDecision, RetryPolicy};

#[derive(serde::Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    retry_after: Option<String>,
    retry_after_ms: Option<String>,
    ms: Option<f64>,
}

#[test]
fn retry_after_table() {
    let cases: Cases =
        toml::from_str(include_str!("data/retry_after.toml")).unwrap();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for c in cases.case {
        let mut h = http::HeaderMap::new();
        if let Some(v) = &c.retry_after {
            h.insert("retry-after", v.parse().unwrap());
        }
        if let Some(v) = &c.retry_after_ms {
            h.insert("retry-after-ms", v.parse().unwrap());
        }
        let want = c.ms.map(|ms| Duration::from_secs_f64(ms / 1000.0));
        assert_eq!(parse_retry_after_at(&h, now), want, "{}", c.name);
    }
}

#[derive(serde::Deserialize)]
struct Statuses {
    retry: Vec<u16>,
    give_up: Vec<u16>,
}

#[test]
fn status_table() {
    let t: Statuses =
        toml::from_str(include_str!("data/retry_status.toml")).unwrap();
    let p = RetryPolicy::default();
    let decide = |code| {
        let o = Outcome::Status { code, retry_after: None };
        p.decide(0, Duration::ZERO, &o, &mut || 0.5)
    };
    for code in t.retry {
        assert!(
            matches!(decide(code), RetryDecision::RetryAfter(_)),
            "{code} should be retried"
        );
    }
    for code in t.give_up {
        assert!(
            matches!(decide(code), RetryDecision::GiveUp(_)),
            "{code} should not be retried"
        );
    }
}
