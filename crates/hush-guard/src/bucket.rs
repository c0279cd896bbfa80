//! The token-bucket arithmetic, kept pure (time is an argument) so the
//! in-process backend and its tests share one definition. The Redis Lua
//! script in `redis_backend.rs` is a line-for-line transcription of it;
//! change both together.
//!
//! A bucket holds up to `cap` tokens and refills continuously at `rate`
//! tokens per second. Taking `amount` needs `min(amount, cap)` tokens (so
//! a request larger than the whole bucket is still admitted when the
//! bucket is full) and then removes the full `amount`, floored at
//! `-cap`: a big request leaves debt that delays the next ones, which
//! keeps the long-run rate right.

/// Tokens within this of the need count as enough (float rounding of the
/// refill would otherwise turn an exact 1.0 into 0.999...).
pub(crate) const EPS: f64 = 1e-9;

/// The wait reported for a bucket that can never fill (a limit of zero).
pub(crate) const NEVER_SECS: f64 = 60.0;

/// One bucket's state: tokens at time `last` (seconds on the owner's
/// clock). A fresh bucket has `tokens = +inf`, which refill clamps to
/// the capacity: absent and full are the same thing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bucket {
    pub tokens: f64,
    pub last: f64,
}

impl Bucket {
    pub(crate) const FRESH: Bucket =
        Bucket { tokens: f64::INFINITY, last: 0.0 };

    /// Tokens at `now`, refilled and clamped to `cap`.
    pub(crate) fn level(&self, now: f64, cap: f64, rate: f64) -> f64 {
        if self.tokens >= cap {
            return cap;
        }
        let dt = (now - self.last).max(0.0);
        (self.tokens + dt * rate).min(cap)
    }

    /// Seconds until `amount` can be taken at `now`, or `None` when it can
    /// be taken now.
    pub(crate) fn wait(
        &self,
        now: f64,
        cap: f64,
        rate: f64,
        amount: f64,
    ) -> Option<f64> {
        if amount <= 0.0 {
            return None;
        }
        if cap <= 0.0 {
            return Some(NEVER_SECS);
        }
        let need = amount.min(cap);
        let have = self.level(now, cap, rate);
        if have + EPS >= need {
            None
        } else if rate > 0.0 {
            Some((need - have) / rate)
        } else {
            Some(NEVER_SECS)
        }
    }

    /// Adds `delta` tokens at `now` (negative takes), clamped to
    /// `[-cap, cap]`.
    pub(crate) fn add(&mut self, now: f64, cap: f64, rate: f64, delta: f64) {
        let level = self.level(now, cap, rate);
        self.tokens = (level + delta).clamp(-cap, cap.max(0.0));
        self.last = now;
    }

    /// True when the bucket is full at `now` (and so can be forgotten).
    pub(crate) fn is_full(&self, now: f64, cap: f64, rate: f64) -> bool {
        self.level(now, cap, rate) >= cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fresh_bucket_is_full() {
        let b = Bucket::FRESH;
        assert_eq!(b.level(5.0, 10.0, 1.0), 10.0);
        assert_eq!(b.wait(5.0, 10.0, 1.0, 10.0), None);
    }

    #[test]
    fn refill_is_continuous_and_wait_is_exact() {
        let mut b = Bucket::FRESH;
        b.add(0.0, 10.0, 10.0 / 60.0, -10.0);
        assert_eq!(b.level(0.0, 10.0, 10.0 / 60.0), 0.0);
        // One token takes 6 s at 10 per minute.
        let w = b.wait(0.0, 10.0, 10.0 / 60.0, 1.0).unwrap();
        assert!((w - 6.0).abs() < 1e-9);
        assert_eq!(b.wait(6.0, 10.0, 10.0 / 60.0, 1.0), None);
    }

    #[test]
    fn oversized_request_needs_a_full_bucket_then_leaves_debt() {
        let mut b = Bucket::FRESH;
        assert_eq!(b.wait(0.0, 100.0, 1.0, 250.0), None);
        b.add(0.0, 100.0, 1.0, -250.0);
        // Floored at -cap.
        assert_eq!(b.level(0.0, 100.0, 1.0), -100.0);
        assert_eq!(b.wait(0.0, 100.0, 1.0, 1.0), Some(101.0));
    }

    #[test]
    fn zero_limit_never_admits_but_zero_amount_passes() {
        let b = Bucket::FRESH;
        assert_eq!(b.wait(0.0, 0.0, 0.0, 1.0), Some(NEVER_SECS));
        assert_eq!(b.wait(0.0, 0.0, 0.0, 0.0), None);
    }

    proptest! {
        /// Admitted amount over any schedule never exceeds cap + rate*T
        /// (plus one request's overshoot of debt).
        #[test]
        fn admitted_bounded_by_cap_plus_refill(
            steps in proptest::collection::vec((0.0f64..2.0, 1u32..5), 1..200),
        ) {
            let (cap, rate) = (10.0, 2.0);
            let mut b = Bucket::FRESH;
            let (mut now, mut admitted) = (0.0, 0.0);
            for (dt, amt) in steps {
                now += dt;
                let amt = f64::from(amt);
                if b.wait(now, cap, rate, amt).is_none() {
                    b.add(now, cap, rate, -amt);
                    admitted += amt;
                }
            }
            prop_assert!(admitted <= cap + rate * now + EPS * 1e3);
        }

        /// After the reported wait the amount is available.
        #[test]
        fn wait_is_sufficient(
            tokens in -50.0f64..50.0, amt in 0.5f64..80.0,
        ) {
            let (cap, rate) = (50.0, 3.0);
            let b = Bucket { tokens, last: 0.0 };
            if let Some(w) = b.wait(0.0, cap, rate, amt) {
                prop_assert!(w > 0.0);
                prop_assert_eq!(b.wait(w, cap, rate, amt), None);
            }
        }
    }
}
