//! Buckets in process memory: the backend for a single proxy, and the
//! fallback of the Redis backend in [`crate::FailureMode::Local`]. Keys
//! are spread over mutex-guarded shards so unrelated keys rarely contend;
//! the global buckets sit behind one more mutex, always locked after the
//! shard (one order, no deadlock). A key whose buckets have all refilled
//! is indistinguishable from a new key, so the shards drop such entries
//! from time to time: eviction loses nothing.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::bucket::Bucket;
use crate::limiter::{BoxFuture, BucketSpec, LimitScope, LimiterBackend};
use crate::limiter::{Take, Via};
use crate::GuardError;

const SHARDS: usize = 64;
/// A shard sweeps idle entries after this many operations (or its size,
/// whichever is larger, so sweeping stays O(1) per operation).
const SWEEP_EVERY: usize = 1024;

#[derive(Clone, Copy)]
struct Slot {
    bucket: Bucket,
    cap: f64,
    rate: f64,
}

const EMPTY: Slot = Slot { bucket: Bucket::FRESH, cap: 0.0, rate: 0.0 };

type Slots = [Slot; 3];

struct Shard {
    map: HashMap<Box<str>, Slots, RandomState>,
    ops: usize,
}

/// Token buckets in this process (see [`crate::RateLimiter::in_process`]).
///
/// ```
/// use hush_guard::{BucketSpec, Dimension, InProcessBackend, LimitScope,
///                  LimiterBackend, Take, Via};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let b = InProcessBackend::new();
/// let s = [BucketSpec { scope: LimitScope::Global,
///     dimension: Dimension::Requests, capacity: 2.0, per_sec: 1.0,
///     amount: 1.0 }];
/// assert_eq!(b.take("a", &s).await?, Take::Taken(Via::Store));
/// assert_eq!(b.take("b", &s).await?, Take::Taken(Via::Store));
/// assert!(matches!(b.take("c", &s).await?, Take::Short { .. }));
/// # Ok::<(), hush_guard::GuardError>(())
/// # }).unwrap();
/// ```
pub struct InProcessBackend {
    shards: Box<[Mutex<Shard>]>,
    global: Mutex<Slots>,
    hasher: RandomState,
    epoch: Instant,
}

impl fmt::Debug for InProcessBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcessBackend")
            .field("keys", &self.len())
            .finish_non_exhaustive()
    }
}

impl Default for InProcessBackend {
    fn default() -> Self {
        InProcessBackend::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Bucket state is plain numbers, valid whatever a panicking holder
    // was doing: keep going rather than propagate the poison.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl InProcessBackend {
    /// An empty store.
    ///
    /// ```
    /// assert_eq!(hush_guard::InProcessBackend::new().len(), 0);
    /// ```
    pub fn new() -> InProcessBackend {
        let hasher = RandomState::new();
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    map: HashMap::with_hasher(hasher.clone()),
                    ops: 0,
                })
            })
            .collect();
        InProcessBackend {
            shards,
            global: Mutex::new([EMPTY; 3]),
            hasher,
            epoch: Instant::now(),
        }
    }

    /// Keys currently tracked (idle keys are dropped now and then).
    ///
    /// ```
    /// assert!(hush_guard::InProcessBackend::new().is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    /// True when no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every key whose buckets have all refilled (done on its own
    /// every few thousand operations; exposed for tests and tooling).
    ///
    /// ```
    /// let b = hush_guard::InProcessBackend::new();
    /// b.evict_idle();
    /// assert!(b.is_empty());
    /// ```
    pub fn evict_idle(&self) {
        let now = self.now();
        for s in self.shards.iter() {
            sweep(&mut lock(s), now);
        }
    }

    fn now(&self) -> f64 {
        Instant::now().saturating_duration_since(self.epoch).as_secs_f64()
    }

    fn shard(&self, key: &str) -> &Mutex<Shard> {
        let h = self.hasher.hash_one(key) as usize;
        &self.shards[h % self.shards.len()]
    }

    /// The synchronous core of `take`.
    pub(crate) fn take_now(&self, key: &str, specs: &[BucketSpec]) -> Take {
        let now = self.now();
        let mut shard = specs
            .iter()
            .any(|s| s.scope == LimitScope::Key)
            .then(|| lock(self.shard(key)));
        let mut global = specs
            .iter()
            .any(|s| s.scope == LimitScope::Global)
            .then(|| lock(&self.global));
        let mut key_slots = shard.as_mut().map(|sh| {
            sh.ops += 1;
            if sh.ops >= SWEEP_EVERY.max(sh.map.len()) {
                sweep(sh, now);
            }
            *sh.map.get(key).unwrap_or(&[EMPTY; 3])
        });

        let mut worst: Option<(usize, f64)> = None;
        for (i, s) in specs.iter().enumerate() {
            let slots = match s.scope {
                LimitScope::Key => key_slots.as_ref(),
                LimitScope::Global => global.as_deref(),
            };
            let Some(slots) = slots else { continue };
            let b = slots[s.dimension.index()].bucket;
            if let Some(w) = b.wait(now, s.capacity, s.per_sec, s.amount) {
                if worst.is_none_or(|(_, ww)| w > ww) {
                    worst = Some((i, w));
                }
            }
        }
        if let Some((index, wait)) = worst {
            return Take::Short { index, wait: secs(wait) };
        }
        apply(specs, now, -1.0, key_slots.as_mut(), global.as_deref_mut());
        if let (Some(sh), Some(slots)) = (shard.as_mut(), key_slots) {
            match sh.map.get_mut(key) {
                Some(e) => *e = slots,
                None => {
                    sh.map.insert(key.into(), slots);
                }
            }
        }
        Take::Taken(Via::Store)
    }

    /// The synchronous core of `give`.
    pub(crate) fn give_now(&self, key: &str, specs: &[BucketSpec]) {
        let now = self.now();
        let mut shard = specs
            .iter()
            .any(|s| s.scope == LimitScope::Key)
            .then(|| lock(self.shard(key)));
        let mut global = specs
            .iter()
            .any(|s| s.scope == LimitScope::Global)
            .then(|| lock(&self.global));
        let mut key_slots =
            shard.as_ref().map(|sh| *sh.map.get(key).unwrap_or(&[EMPTY; 3]));
        apply(specs, now, 1.0, key_slots.as_mut(), global.as_deref_mut());
        if let (Some(sh), Some(slots)) = (shard.as_mut(), key_slots) {
            sh.map.insert(key.into(), slots);
        }
    }
}

/// Adds `sign × amount` to each spec'd bucket.
fn apply(
    specs: &[BucketSpec],
    now: f64,
    sign: f64,
    mut key: Option<&mut Slots>,
    mut global: Option<&mut Slots>,
) {
    for s in specs {
        let slots = match s.scope {
            LimitScope::Key => key.as_deref_mut(),
            LimitScope::Global => global.as_deref_mut(),
        };
        let Some(slots) = slots else { continue };
        let slot = &mut slots[s.dimension.index()];
        slot.bucket.add(now, s.capacity, s.per_sec, sign * s.amount);
        slot.cap = s.capacity;
        slot.rate = s.per_sec;
    }
}

fn sweep(sh: &mut Shard, now: f64) {
    sh.ops = 0;
    sh.map.retain(|_, slots| {
        !slots.iter().all(|s| s.bucket.is_full(now, s.cap, s.rate))
    });
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::from_secs(60))
}

impl LimiterBackend for InProcessBackend {
    fn take<'a>(
        &'a self,
        key_id: &'a str,
        specs: &'a [BucketSpec],
    ) -> BoxFuture<'a, Result<Take, GuardError>> {
        let t = self.take_now(key_id, specs);
        Box::pin(std::future::ready(Ok(t)))
    }

    fn give<'a>(
        &'a self,
        key_id: &'a str,
        specs: &'a [BucketSpec],
        _via: Via,
    ) -> BoxFuture<'a, Result<(), GuardError>> {
        self.give_now(key_id, specs);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limiter::Dimension;

    fn spec(
        scope: LimitScope,
        cap: f64,
        rate: f64,
        amount: f64,
    ) -> BucketSpec {
        BucketSpec {
            scope,
            dimension: Dimension::Requests,
            capacity: cap,
            per_sec: rate,
            amount,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn rejection_debits_nothing() {
        let b = InProcessBackend::new();
        let key = spec(LimitScope::Key, 5.0, 1.0, 1.0);
        let global = spec(LimitScope::Global, 1.0, 1.0, 1.0);
        assert_eq!(b.take_now("k", &[key, global]), Take::Taken(Via::Store));
        // The global bucket is empty: rejected, and the key bucket keeps
        // its 4 tokens.
        let t = b.take_now("k", &[key, global]);
        assert_eq!(t, Take::Short { index: 1, wait: Duration::from_secs(1) });
        let key4 = spec(LimitScope::Key, 5.0, 1.0, 4.0);
        assert_eq!(b.take_now("k", &[key4]), Take::Taken(Via::Store));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_keys_are_evicted_and_busy_ones_kept() {
        let b = InProcessBackend::new();
        let s = [spec(LimitScope::Key, 10.0, 1.0, 5.0)];
        b.take_now("idle", &s);
        tokio::time::advance(Duration::from_secs(3)).await;
        b.take_now("busy", &s);
        assert_eq!(b.len(), 2);
        tokio::time::advance(Duration::from_secs(3)).await;
        // idle is full again (5 + 6 s × 1), busy is at 8.
        b.evict_idle();
        assert_eq!(b.len(), 1);
        // An evicted key starts full, exactly as it would have been.
        let s10 = [spec(LimitScope::Key, 10.0, 1.0, 10.0)];
        assert_eq!(b.take_now("idle", &s10), Take::Taken(Via::Store));
        assert!(matches!(b.take_now("busy", &s10), Take::Short { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn give_refunds_up_to_capacity() {
        let b = InProcessBackend::new();
        let take = [spec(LimitScope::Key, 10.0, 0.001, 10.0)];
        assert_eq!(b.take_now("k", &take), Take::Taken(Via::Store));
        b.give_now("k", &[spec(LimitScope::Key, 10.0, 0.001, 100.0)]);
        assert_eq!(b.take_now("k", &take), Take::Taken(Via::Store));
        assert!(matches!(b.take_now("k", &take), Take::Short { .. }));
    }
}
