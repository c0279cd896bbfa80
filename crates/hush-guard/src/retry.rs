//! When to call the upstream again after a failure, and how long to wait
//! first. The decision is a pure function of the attempt count, the time
//! spent, the outcome and a random number, so the proxy can drive it
//! around a streaming call (where nothing may be retried once bytes went
//! to the client) and tests can drive it with fixed randomness.
//!
//! Rules (docs/RESILIENCE.md has the reasoning):
//! - retried: 408, 429, 500, 502, 503, 504, 529 and every other 5xx except
//!   501 Not Implemented and 505 HTTP Version Not Supported (those will
//!   fail again identically); connection errors; timeouts;
//! - never retried: other statuses, and anything once the response
//!   stream has started;
//! - the wait is full jitter, `rng() × min(cap, base × 2^attempt)`, but at
//!   least the server's `retry-after`; a wait that would end past the
//!   deadline gives up instead.

use std::future::Future;
use std::time::{Duration, SystemTime};

use http::HeaderMap;

use crate::breaker::{CircuitBreaker, Open};

/// Retry limits. `max_attempts` counts the first call too (3 = the call
/// and up to two retries).
///
/// ```
/// let p = hush_guard::RetryPolicy::default();
/// assert_eq!(p.max_attempts, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most calls in total, the first included.
    pub max_attempts: u32,
    /// The backoff ceiling before the first retry.
    pub base: Duration,
    /// The largest backoff ceiling.
    pub cap: Duration,
    /// No retry starts later than this after the first call started.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            deadline: Duration::from_secs(30),
        }
    }
}

/// How one upstream call ended.
///
/// ```
/// use hush_guard::Outcome;
/// assert!(Outcome::Status { code: 503, retry_after: None }.is_upstream_failure());
/// assert!(!Outcome::Status { code: 429, retry_after: None }.is_upstream_failure());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer (before any of its body went to the client), with
    /// the server's `retry-after` if it gave one ([`parse_retry_after`]).
    Status {
        /// The status code.
        code: u16,
        /// The server's requested wait.
        retry_after: Option<Duration>,
    },
    /// No connection (refused, reset, DNS, TLS).
    ConnectError,
    /// No answer in time.
    Timeout,
    /// The answer already began streaming to the client: nothing can be
    /// retried.
    StreamStarted,
}

impl Outcome {
    /// True for outcomes that say the upstream is unhealthy (what a
    /// [`CircuitBreaker`] counts as failure): 5xx, 529, connection errors
    /// and timeouts. 4xx answers, 429 included, come from a healthy
    /// upstream.
    pub fn is_upstream_failure(&self) -> bool {
        match *self {
            Outcome::Status { code, .. } => code >= 500,
            Outcome::ConnectError | Outcome::Timeout => true,
            Outcome::StreamStarted => false,
        }
    }
}

impl RetryPolicy {
    /// Whether a status code is worth another try: 408, 429 and 5xx
    /// except 501 and 505.
    ///
    /// ```
    /// assert!(hush_guard::RetryPolicy::retryable_status(529));
    /// assert!(!hush_guard::RetryPolicy::retryable_status(501));
    /// assert!(!hush_guard::RetryPolicy::retryable_status(400));
    /// ```
    pub fn retryable_status(code: u16) -> bool {
        matches!(code, 408 | 429)
            || ((500..=599).contains(&code) && !matches!(code, 501 | 505))
    }

    /// What to do after a failed call. `attempt` is the number of retries
    /// already made (0 after the first call failed), `elapsed` the time
    /// since the first call started, `rng` a source of uniform numbers in
    /// `[0, 1)` (values outside are clamped, NaN counts as 0).
    ///
    /// ```
    /// use std::time::Duration;
    /// use hush_guard::{Outcome, RetryDecision, RetryPolicy};
    /// let p = RetryPolicy::default();
    /// let overloaded = Outcome::Status { code: 529, retry_after: None };
    /// // Full jitter: the wait is rng × min(cap, base × 2^attempt).
    /// assert_eq!(p.decide(1, Duration::ZERO, &overloaded, &mut || 0.5),
    ///            RetryDecision::RetryAfter(Duration::from_millis(500)));
    /// // retry-after is a floor.
    /// let limited = Outcome::Status { code: 429,
    ///     retry_after: Some(Duration::from_secs(2)) };
    /// assert_eq!(p.decide(0, Duration::ZERO, &limited, &mut || 0.1),
    ///            RetryDecision::RetryAfter(Duration::from_secs(2)));
    /// assert!(matches!(p.decide(2, Duration::ZERO, &limited, &mut || 0.1),
    ///                  RetryDecision::GiveUp(_)));
    /// ```
    pub fn decide(
        &self,
        attempt: u32,
        elapsed: Duration,
        outcome: &Outcome,
        rng: &mut impl FnMut() -> f64,
    ) -> RetryDecision {
        let retry_after = match *outcome {
            Outcome::StreamStarted => {
                return RetryDecision::GiveUp(
                    "the response already started streaming",
                )
            }
            Outcome::Status { code, retry_after } => {
                if !Self::retryable_status(code) {
                    return RetryDecision::GiveUp("status is not retryable");
                }
                retry_after
            }
            Outcome::ConnectError | Outcome::Timeout => None,
        };
        if attempt.saturating_add(1) >= self.max_attempts {
            return RetryDecision::GiveUp("no attempts left");
        }
        let exp = self.base.saturating_mul(1u32 << attempt.min(31));
        let ceiling = exp.min(self.cap);
        let r = rng();
        let r = if r.is_nan() { 0.0 } else { r.clamp(0.0, 1.0) };
        let wait = ceiling.mul_f64(r).max(retry_after.unwrap_or_default());
        match elapsed.checked_add(wait) {
            Some(end) if end <= self.deadline => {
                RetryDecision::RetryAfter(wait)
            }
            _ => RetryDecision::GiveUp("the wait would pass the deadline"),
        }
    }
}

/// The answer of [`RetryPolicy::decide`].
///
/// ```
/// let d = hush_guard::RetryDecision::GiveUp("no attempts left");
/// assert!(matches!(d, hush_guard::RetryDecision::GiveUp(_)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Sleep this long, then call again.
    RetryAfter(Duration),
    /// Pass the failure to the client; the reason is for logs.
    GiveUp(&'static str),
}

/// Longest wait accepted from a header (larger values are clamped): a
/// day, far past any deadline, small enough for any `Duration` math.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// The server's requested wait from `retry-after-ms` (milliseconds, may
/// be fractional) or else `retry-after` (whole or fractional seconds, or
/// an HTTP date), measured against the current time. `None` when neither
/// is present and valid. Dates in the past give zero; values above a day
/// are clamped to a day.
///
/// ```
/// use std::time::Duration;
/// let mut h = http::HeaderMap::new();
/// h.insert("retry-after", "3".parse().unwrap());
/// assert_eq!(hush_guard::parse_retry_after(&h), Some(Duration::from_secs(3)));
/// h.insert("retry-after-ms", "250.5".parse().unwrap());
/// assert_eq!(hush_guard::parse_retry_after(&h),
///            Some(Duration::from_micros(250_500)));
/// ```
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    parse_retry_after_at(headers, SystemTime::now())
}

/// [`parse_retry_after`] with the current time given (for HTTP dates).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let mut h = http::HeaderMap::new();
/// h.insert("retry-after", "Thu, 01 Jan 1970 00:01:40 GMT".parse().unwrap());
/// let now = UNIX_EPOCH + Duration::from_secs(40);
/// assert_eq!(hush_guard::parse_retry_after_at(&h, now),
///            Some(Duration::from_secs(60)));
/// ```
pub fn parse_retry_after_at(
    headers: &HeaderMap,
    now: SystemTime,
) -> Option<Duration> {
    let text = |name: &str| {
        headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(number) {
        return Some(clamp_secs(ms / 1000.0));
    }
    let v = text("retry-after")?;
    if let Some(s) = number(v) {
        return Some(clamp_secs(s));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

/// A non-negative finite decimal number (digits with at most one dot;
/// no sign, exponent, `inf` or `nan`).
fn number(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() <= 1
        && s.bytes().any(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0)
}

fn clamp_secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s)
        .unwrap_or(MAX_RETRY_AFTER)
        .min(MAX_RETRY_AFTER)
}

/// A failed call as [`retrying`] needs it: how it ended, and the error to
/// hand back if no retry follows.
///
/// ```
/// let f = hush_guard::Failure { outcome: hush_guard::Outcome::Timeout,
///                               error: "slow" };
/// assert_eq!(f.error, "slow");
/// ```
#[derive(Debug)]
pub struct Failure<E> {
    /// How the call ended.
    pub outcome: Outcome,
    /// The error itself.
    pub error: E,
}

/// Why [`retrying`] stopped without a success. A breaker that opens
/// between retries ends the loop with `GaveUp` (and the last failure);
/// `Open` means no call was made at all.
///
/// ```
/// let e: hush_guard::RetryError<()> = hush_guard::RetryError::Open(
///     hush_guard::Open { retry_in: std::time::Duration::from_secs(1) });
/// assert!(matches!(e, hush_guard::RetryError::Open(_)));
/// ```
#[derive(Debug)]
pub enum RetryError<E> {
    /// The breaker is open: no call was made (answer 503).
    Open(Open),
    /// The last call failed and no retry follows.
    GaveUp {
        /// Why no retry.
        reason: &'static str,
        /// Calls made.
        attempts: u32,
        /// The last call's failure.
        last: Failure<E>,
    },
}

/// Calls `f(attempt)` until it succeeds, the policy gives up or the
/// breaker (if any) is open; sleeps between calls as the policy says and
/// reports each result to the breaker. For whole (non-streaming) calls;
/// a streaming call should return [`Outcome::StreamStarted`] once bytes
/// reached the client, which ends the retries.
///
/// ```
/// use std::time::Duration;
/// use hush_guard::{retrying, Failure, Outcome, RetryPolicy};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let policy = RetryPolicy { base: Duration::from_millis(1),
///                            ..RetryPolicy::default() };
/// let r = retrying(&policy, None, |attempt| async move {
///     if attempt == 0 {
///         Err(Failure { outcome: Outcome::ConnectError, error: "refused" })
///     } else {
///         Ok("answer")
///     }
/// }).await;
/// assert_eq!(r.unwrap(), "answer");
/// # });
/// ```
pub async fn retrying<T, E, F, Fut>(
    policy: &RetryPolicy,
    breaker: Option<&CircuitBreaker>,
    mut f: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    let start = tokio::time::Instant::now();
    let mut rng = jitter_source();
    let mut attempt = 0u32;
    let mut last: Option<Failure<E>> = None;
    loop {
        let permit = match breaker.map(CircuitBreaker::allow) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(open)) => {
                // Opened by the failures so far: hand back the last one.
                return Err(match last {
                    Some(last) => RetryError::GaveUp {
                        reason: "the circuit breaker opened",
                        attempts: attempt,
                        last,
                    },
                    None => RetryError::Open(open),
                });
            }
        };
        let result = f(attempt).await;
        if let (Some(b), Some(p)) = (breaker, permit) {
            let ok = match &result {
                Ok(_) => true,
                Err(fail) => !fail.outcome.is_upstream_failure(),
            };
            b.record(p, ok);
        }
        let fail = match result {
            Ok(v) => return Ok(v),
            Err(fail) => fail,
        };
        match policy.decide(attempt, start.elapsed(), &fail.outcome, &mut rng)
        {
            RetryDecision::RetryAfter(wait) => {
                tokio::time::sleep(wait).await;
                attempt += 1;
                last = Some(fail);
            }
            RetryDecision::GiveUp(reason) => {
                return Err(RetryError::GaveUp {
                    reason,
                    attempts: attempt + 1,
                    last: fail,
                })
            }
        }
    }
}

/// Uniform numbers in `[0, 1)` for jitter (SplitMix64 seeded from the
/// clock and a counter: spread, not secret).
fn jitter_source() -> impl FnMut() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut state =
        nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_outcome() -> impl Strategy<Value = Outcome> {
        prop_oneof![
            (100u16..600, proptest::option::of(0u64..120_000)).prop_map(
                |(code, ms)| Outcome::Status {
                    code,
                    retry_after: ms.map(Duration::from_millis),
                }
            ),
            Just(Outcome::ConnectError),
            Just(Outcome::Timeout),
            Just(Outcome::StreamStarted),
        ]
    }

    fn arb_policy() -> impl Strategy<Value = RetryPolicy> {
        (0u32..10, 0u64..5_000, 0u64..60_000, 0u64..120_000).prop_map(
            |(n, base, cap, deadline)| RetryPolicy {
                max_attempts: n,
                base: Duration::from_millis(base),
                cap: Duration::from_millis(cap),
                deadline: Duration::from_millis(deadline),
            },
        )
    }

    proptest! {
        #[test]
        fn decide_respects_deadline_retry_after_and_attempts(
            p in arb_policy(),
            attempt in 0u32..100,
            elapsed in 0u64..200_000,
            outcome in arb_outcome(),
            r in prop_oneof![0.0f64..1.0, Just(f64::NAN), Just(7.0), Just(-1.0)],
        ) {
            let elapsed = Duration::from_millis(elapsed);
            let d = p.decide(attempt, elapsed, &outcome, &mut || r);
            if let RetryDecision::RetryAfter(wait) = d {
                // Never past the deadline.
                prop_assert!(elapsed + wait <= p.deadline);
                // Attempts bounded.
                prop_assert!(attempt + 1 < p.max_attempts);
                // Jitter ceiling, unless the server asked for more.
                let ceiling = p.cap.min(p.base.saturating_mul(1 << attempt.min(31)));
                match outcome {
                    Outcome::Status { code, retry_after } => {
                        prop_assert!(RetryPolicy::retryable_status(code));
                        let floor = retry_after.unwrap_or_default();
                        prop_assert!(wait >= floor);
                        prop_assert!(wait <= ceiling.max(floor));
                    }
                    Outcome::StreamStarted => prop_assert!(false, "retried a stream"),
                    _ => prop_assert!(wait <= ceiling),
                }
            }
        }

        /// A whole retry loop (driven by decide alone) ends within the
        /// attempt budget and never starts a call past the deadline.
        #[test]
        fn loops_terminate(p in arb_policy(), seed in any::<u64>(),
                           outcomes in proptest::collection::vec(arb_outcome(), 1..20)) {
            let mut s = seed;
            let mut rng = || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                               (s >> 11) as f64 / (1u64 << 53) as f64 };
            let mut elapsed = Duration::ZERO;
            let mut calls = 1u32;
            for (attempt, o) in outcomes.iter().enumerate() {
                match p.decide(attempt as u32, elapsed, o, &mut rng) {
                    RetryDecision::RetryAfter(w) => { elapsed += w; calls += 1; }
                    RetryDecision::GiveUp(_) => break,
                }
                prop_assert!(elapsed <= p.deadline);
            }
            prop_assert!(calls <= p.max_attempts.max(1));
        }

        /// The parser never panics on any header bytes and never returns
        /// more than a day.
        #[test]
        fn parse_retry_after_total(a in proptest::collection::vec(any::<u8>(), 0..40),
                                   b in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut h = HeaderMap::new();
            if let Ok(v) = http::HeaderValue::from_bytes(&a) { h.insert("retry-after", v); }
            if let Ok(v) = http::HeaderValue::from_bytes(&b) { h.insert("retry-after-ms", v); }
            if let Some(d) = parse_retry_after(&h) { prop_assert!(d <= MAX_RETRY_AFTER); }
        }

        /// Whole seconds round-trip.
        #[test]
        fn seconds_round_trip(s in 0u64..86_400) {
            let mut h = HeaderMap::new();
            h.insert("retry-after", s.to_string().parse().unwrap());
            prop_assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(s)));
        }
    }

    /// Fuzz find: bytes outside visible ASCII (here a UTF-8 no-break
    /// space after the number) make the value unreadable.
    #[test]
    fn non_ascii_header_bytes_give_none() {
        let mut h = HeaderMap::new();
        let v = http::HeaderValue::from_bytes(b"55155\xc2\xa0").unwrap();
        h.insert("retry-after", v);
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn jitter_source_is_in_range() {
        let mut r = jitter_source();
        for _ in 0..1000 {
            let x = r();
            assert!((0.0..1.0).contains(&x));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retrying_stops_when_the_breaker_opens() {
        let b = CircuitBreaker::new(crate::BreakerConfig {
            consecutive_failures: 2,
            ..Default::default()
        });
        let p = RetryPolicy { max_attempts: 10, ..RetryPolicy::default() };
        let r: Result<(), _> = retrying(&p, Some(&b), |a| async move {
            Err(Failure { outcome: Outcome::ConnectError, error: a })
        })
        .await;
        match r {
            Err(RetryError::GaveUp { attempts, last, reason }) => {
                assert_eq!((attempts, last.error), (2, 1), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let r: Result<(), RetryError<()>> =
            retrying(&p, Some(&b), |_| async { Ok(()) }).await;
        assert!(matches!(r, Err(RetryError::Open(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn retrying_gives_up_on_stream_and_reports_attempts() {
        let p = RetryPolicy::default();
        let r: Result<(), _> = retrying(&p, None, |a| async move {
            let outcome =
                if a == 0 { Outcome::Timeout } else { Outcome::StreamStarted };
            Err(Failure { outcome, error: a })
        })
        .await;
        match r {
            Err(RetryError::GaveUp { attempts, last, .. }) => {
                assert_eq!(attempts, 2);
                assert_eq!(last.error, 1);
            }
            other => panic!("{other:?}"),
        }
    }
}
