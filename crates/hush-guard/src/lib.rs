//! # hush-guard
//!
//! Availability building blocks for the hush proxy (SOC 2 A1.2: the
//! service keeps working, and degrades predictably, under load and when
//! the upstream falters). Three independent parts, all free of HTTP
//! server code so the proxy decides how to wire them:
//!
//! - [`RateLimiter`]: token buckets per client key and global, on
//!   requests, input tokens and output tokens per minute; in process
//!   ([`RateLimiter::in_process`]) or shared by a fleet of proxies through
//!   Redis ([`RateLimiter::redis`]). Output tokens are reserved from
//!   `max_tokens` at [`RateLimiter::admit`] and corrected from the
//!   response's `usage` at [`RateLimiter::settle`].
//! - [`RetryPolicy`]: which upstream failures to retry and how long to
//!   wait (full jitter, `retry-after` honoured, a hard deadline), with
//!   [`parse_retry_after`] for the headers.
//! - [`CircuitBreaker`]: stops calling an upstream that keeps failing,
//!   and probes it again after a cooldown.
//!
//! docs/RESILIENCE.md at the repository root explains the rules and the
//! configuration.
//!
//! ```
//! use hush_guard::{Admission, Limits, RateLimiter};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let limiter = RateLimiter::in_process(Limits::default());
//! let per_key = Limits { rpm: Some(60), ..Limits::default() };
//! match limiter.admit("key-1", &per_key, 100, 1024).await? {
//!     Admission::Admitted(r) => limiter.settle(r, 90, 200).await?,
//!     Admission::Rejected { retry_after, .. } => {
//!         println!("429, retry after {retry_after:?}")
//!     }
//! }
//! # Ok::<(), hush_guard::GuardError>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod breaker;
mod bucket;
mod estimate;
mod limiter;
mod local;
mod redis_backend;
mod retry;
pub mod testing;

pub use crate::breaker::{
    BreakerConfig, BreakerState, CircuitBreaker, Open, Permit,
};
pub use crate::estimate::{
    estimate_input_tokens, requested_output_tokens, usage_tokens,
};
pub use crate::limiter::{
    Admission, BoxFuture, BucketSpec, Dimension, LimitScope, LimiterBackend,
    Limits, RateLimiter, Reservation, Take, Via,
};
pub use crate::local::InProcessBackend;
pub use crate::redis_backend::{FailureMode, RedisBackend, RedisOptions};
pub use crate::retry::{
    parse_retry_after, parse_retry_after_at, retrying, Failure, Outcome,
    RetryDecision, RetryError, RetryPolicy,
};

/// An error from the rate limiter's store or its configuration.
///
/// Messages never carry a Redis URL (it may hold a password) or a key id.
///
/// ```
/// let e = hush_guard::GuardError::Unavailable("timed out".into());
/// assert!(e.is_unavailable());
/// assert_eq!(e.to_string(), "rate-limit store unavailable: timed out");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The shared store (Redis) could not be reached or answered with an
    /// error, and the limiter fails closed: the caller should answer 503.
    #[error("rate-limit store unavailable: {0}")]
    Unavailable(String),
    /// The configuration is unusable (a malformed Redis URL, say).
    #[error("rate-limit configuration: {0}")]
    Config(String),
}

impl GuardError {
    /// True when the store is unreachable (answer 503 rather than 500).
    ///
    /// ```
    /// let e = hush_guard::GuardError::Config("bad url".into());
    /// assert!(!e.is_unavailable());
    /// ```
    pub fn is_unavailable(&self) -> bool {
        matches!(self, GuardError::Unavailable(_))
    }
}

#[cfg(test)]
mod testoibits {
    use super::*;

    fn assert_all<T: Send + Sync + std::fmt::Debug>() {}

    #[test]
    fn public_types_are_send_sync_debug() {
        assert_all::<RateLimiter>();
        assert_all::<Reservation>();
        assert_all::<Admission>();
        assert_all::<CircuitBreaker>();
        assert_all::<Permit>();
        assert_all::<RetryPolicy>();
        assert_all::<GuardError>();
        assert_all::<InProcessBackend>();
        assert_all::<RedisBackend>();
    }
}
