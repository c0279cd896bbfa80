//! The rate limiter's front: limits, admission and settlement. It turns a
//! request's cost (one request, estimated input tokens, `max_tokens`
//! output tokens) into bucket operations for a [`LimiterBackend`], which
//! does them atomically: in process ([`crate::InProcessBackend`]) or in
//! Redis ([`crate::RedisBackend`]) so a fleet of proxies shares limits.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::local::InProcessBackend;
use crate::redis_backend::{RedisBackend, RedisOptions};
use crate::GuardError;

/// Per-minute limits on the three dimensions; `None` means unlimited.
///
/// Each limited dimension is a token bucket that refills continuously at
/// `limit / 60` per second and holds at most `limit × burst / 60 s`
/// (`burst` defaults to one minute, so the bucket holds the whole
/// per-minute limit; at least one token). A fresh or idle bucket is full,
/// so a client that has been quiet can send `burst` worth at once.
///
/// ```
/// use std::time::Duration;
/// use hush_guard::Limits;
/// let l = Limits { rpm: Some(600), burst: Some(Duration::from_secs(1)),
///                  ..Limits::default() };
/// assert_eq!(l.capacity(600), 10.0); // one second's worth
/// assert_eq!(Limits::default().rpm, None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Input tokens per minute (estimated at admission, corrected at
    /// settlement).
    pub input_tpm: Option<u64>,
    /// Output tokens per minute (`max_tokens` reserved at admission, the
    /// unused part refunded at settlement).
    pub output_tpm: Option<u64>,
    /// How much of the rate a full bucket holds, as a time span: the
    /// burst a quiet client may send at once. `None` is 60 s.
    pub burst: Option<Duration>,
}

impl Limits {
    /// The bucket capacity for a per-minute `limit` under these limits'
    /// burst.
    ///
    /// ```
    /// use hush_guard::Limits;
    /// assert_eq!(Limits::default().capacity(600), 600.0);
    /// ```
    pub fn capacity(&self, limit: u64) -> f64 {
        let burst = self.burst.unwrap_or(Duration::from_secs(60));
        let cap = limit as f64 * burst.as_secs_f64() / 60.0;
        if limit > 0 {
            cap.max(1.0)
        } else {
            0.0
        }
    }

    /// True when no dimension is limited.
    ///
    /// ```
    /// assert!(hush_guard::Limits::default().is_unlimited());
    /// ```
    pub fn is_unlimited(&self) -> bool {
        self.rpm.is_none()
            && self.input_tpm.is_none()
            && self.output_tpm.is_none()
    }

    fn limit(&self, d: Dimension) -> Option<u64> {
        match d {
            Dimension::Requests => self.rpm.map(u64::from),
            Dimension::InputTokens => self.input_tpm,
            Dimension::OutputTokens => self.output_tpm,
        }
    }
}

/// What a bucket counts.
///
/// ```
/// assert_eq!(hush_guard::Dimension::OutputTokens.as_str(), "output_tokens");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// Requests per minute.
    Requests,
    /// Input tokens per minute.
    InputTokens,
    /// Output tokens per minute.
    OutputTokens,
}

impl Dimension {
    /// All three, in bucket order.
    pub const ALL: [Dimension; 3] =
        [Dimension::Requests, Dimension::InputTokens, Dimension::OutputTokens];

    /// The dimension's position in [`Dimension::ALL`].
    ///
    /// ```
    /// assert_eq!(hush_guard::Dimension::InputTokens.index(), 1);
    /// ```
    pub fn index(self) -> usize {
        self as usize
    }

    /// A stable name for logs and headers.
    ///
    /// ```
    /// assert_eq!(hush_guard::Dimension::Requests.as_str(), "requests");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Requests => "requests",
            Dimension::InputTokens => "input_tokens",
            Dimension::OutputTokens => "output_tokens",
        }
    }
}

/// Whose bucket: the client key's or the proxy-wide one.
///
/// ```
/// assert_eq!(hush_guard::LimitScope::Global.as_str(), "global");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitScope {
    /// The client key's own limits.
    Key,
    /// The limits shared by every key.
    Global,
}

impl LimitScope {
    /// A stable name for logs and headers.
    ///
    /// ```
    /// assert_eq!(hush_guard::LimitScope::Key.as_str(), "key");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            LimitScope::Key => "key",
            LimitScope::Global => "global",
        }
    }
}

/// One bucket operation for a [`LimiterBackend`]: which bucket, its shape
/// and how many tokens (for `take`, the cost; for `give`, the delta to
/// add back, negative to charge more).
///
/// ```
/// use hush_guard::{BucketSpec, Dimension, LimitScope};
/// let s = BucketSpec { scope: LimitScope::Key, dimension: Dimension::Requests,
///                      capacity: 600.0, per_sec: 10.0, amount: 1.0 };
/// assert_eq!(s.amount, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BucketSpec {
    /// Key or global.
    pub scope: LimitScope,
    /// What the bucket counts.
    pub dimension: Dimension,
    /// Maximum tokens held.
    pub capacity: f64,
    /// Refill rate in tokens per second.
    pub per_sec: f64,
    /// Tokens to take, or to give back.
    pub amount: f64,
}

/// Where an admission was metered, so settlement goes to the same place.
///
/// ```
/// assert_ne!(hush_guard::Via::Store, hush_guard::Via::Unmetered);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The backend's own store (process memory or Redis).
    Store,
    /// A process-local fallback, used while Redis was unreachable
    /// ([`crate::FailureMode::Local`]).
    Local,
    /// Not metered at all ([`crate::FailureMode::Open`] while Redis was
    /// unreachable): settlement does nothing.
    Unmetered,
}

/// A backend's answer to a take.
///
/// ```
/// use std::time::Duration;
/// let t = hush_guard::Take::Short { index: 0, wait: Duration::from_secs(1) };
/// assert!(matches!(t, hush_guard::Take::Short { .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// Every bucket had enough; all were debited.
    Taken(Via),
    /// At least one bucket was short; none was debited. `index` is the
    /// spec with the longest wait, `wait` that wait.
    Short {
        /// Index into the specs.
        index: usize,
        /// Time until that bucket has enough.
        wait: Duration,
    },
}

/// A boxed, sendable future (what [`LimiterBackend`] methods return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where buckets live. `take` must be atomic over all the specs it is
/// given: either every bucket is debited or none is.
///
/// Implemented by [`InProcessBackend`] and [`RedisBackend`]; plug another
/// store in with [`RateLimiter::with_backend`].
///
/// ```
/// use hush_guard::{BucketSpec, Dimension, InProcessBackend, LimitScope,
///                  LimiterBackend, Take, Via};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let b = InProcessBackend::new();
/// let spec = [BucketSpec { scope: LimitScope::Key,
///     dimension: Dimension::Requests, capacity: 1.0, per_sec: 0.1,
///     amount: 1.0 }];
/// assert_eq!(b.take("k", &spec).await?, Take::Taken(Via::Store));
/// assert!(matches!(b.take("k", &spec).await?, Take::Short { .. }));
/// # Ok::<(), hush_guard::GuardError>(())
/// # }).unwrap();
/// ```
pub trait LimiterBackend: Send + Sync + fmt::Debug {
    /// Takes `amount` from every spec'd bucket of `key_id` (key scope) or
    /// the global buckets, all or nothing.
    fn take<'a>(
        &'a self,
        key_id: &'a str,
        specs: &'a [BucketSpec],
    ) -> BoxFuture<'a, Result<Take, GuardError>>;

    /// Adds `amount` (may be negative) to every spec'd bucket, clamped to
    /// `[-capacity, capacity]`. `via` is what `take` answered.
    fn give<'a>(
        &'a self,
        key_id: &'a str,
        specs: &'a [BucketSpec],
        via: Via,
    ) -> BoxFuture<'a, Result<(), GuardError>>;
}

/// The answer to [`RateLimiter::admit`].
///
/// ```
/// use hush_guard::{Admission, Limits, RateLimiter};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let l = RateLimiter::in_process(Limits { rpm: Some(1), ..Limits::default() });
/// assert!(matches!(l.admit("k", &Limits::default(), 0, 0).await?,
///                  Admission::Admitted(_)));
/// assert!(matches!(l.admit("k", &Limits::default(), 0, 0).await?,
///                  Admission::Rejected { .. }));
/// # Ok::<(), hush_guard::GuardError>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub enum Admission {
    /// Go ahead; hand the reservation back to [`RateLimiter::settle`].
    Admitted(Reservation),
    /// Over a limit: answer 429 with this `retry-after`.
    Rejected {
        /// Time until the fullest-blocked bucket has enough.
        retry_after: Duration,
        /// Which dimension blocked.
        dimension: Dimension,
        /// Key or global.
        scope: LimitScope,
    },
}

/// What an admitted request holds: the tokens reserved for it. Settle it
/// with the real usage; dropping it unsettled keeps the reservation
/// charged (the conservative choice).
///
/// ```
/// use hush_guard::{Admission, Limits, RateLimiter};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let l = RateLimiter::in_process(Limits::default());
/// let Admission::Admitted(r) = l.admit("k", &Limits::default(), 12, 512).await?
///     else { unreachable!() };
/// assert_eq!((r.input_reserved(), r.output_reserved()), (12, 512));
/// # Ok::<(), hush_guard::GuardError>(())
/// # }).unwrap();
/// ```
pub struct Reservation {
    key_id: Box<str>,
    key_limits: Limits,
    input: u64,
    output: u64,
    via: Via,
}

impl fmt::Debug for Reservation {
    // The key id is left out: it names a client.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reservation")
            .field("input", &self.input)
            .field("output", &self.output)
            .field("via", &self.via)
            .finish_non_exhaustive()
    }
}

impl Reservation {
    /// Input tokens charged at admission (the estimate).
    pub fn input_reserved(&self) -> u64 {
        self.input
    }

    /// Output tokens charged at admission (`max_tokens`).
    pub fn output_reserved(&self) -> u64 {
        self.output
    }

    /// Where the admission was metered.
    ///
    /// ```
    /// use hush_guard::{Admission, Limits, RateLimiter, Via};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let l = RateLimiter::in_process(Limits::default());
    /// let key = Limits { rpm: Some(10), ..Limits::default() };
    /// let Admission::Admitted(r) = l.admit("k", &key, 0, 0).await?
    ///     else { unreachable!() };
    /// assert_eq!(r.via(), Via::Store);
    /// // With no limit at all nothing is metered.
    /// let Admission::Admitted(r) = l.admit("k", &Limits::default(), 0, 0).await?
    ///     else { unreachable!() };
    /// assert_eq!(r.via(), Via::Unmetered);
    /// # Ok::<(), hush_guard::GuardError>(())
    /// # }).unwrap();
    /// ```
    pub fn via(&self) -> Via {
        self.via
    }
}

/// Token-bucket rate limits per client key and global.
///
/// ```
/// use hush_guard::{Admission, Dimension, LimitScope, Limits, RateLimiter};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let limiter = RateLimiter::in_process(Limits::default());
/// let per_key = Limits { output_tpm: Some(1000), ..Limits::default() };
/// let Admission::Admitted(r) = limiter.admit("k", &per_key, 0, 1000).await?
///     else { unreachable!() };
/// // The answer used 100 of the 1000 reserved: 900 come back.
/// limiter.settle(r, 0, 100).await?;
/// assert!(matches!(limiter.admit("k", &per_key, 0, 800).await?,
///                  Admission::Admitted(_)));
/// match limiter.admit("k", &per_key, 0, 800).await? {
///     Admission::Rejected { dimension, scope, .. } => {
///         assert_eq!(dimension, Dimension::OutputTokens);
///         assert_eq!(scope, LimitScope::Key);
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), hush_guard::GuardError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct RateLimiter {
    backend: Arc<dyn LimiterBackend>,
    global: Limits,
}

impl RateLimiter {
    /// Buckets in this process's memory (sharded, idle keys evicted).
    ///
    /// ```
    /// let l = hush_guard::RateLimiter::in_process(Default::default());
    /// assert!(l.global_limits().is_unlimited());
    /// ```
    pub fn in_process(global: Limits) -> RateLimiter {
        RateLimiter::with_backend(Arc::new(InProcessBackend::new()), global)
    }

    /// Buckets in Redis at `url` (`redis://host:port/db`), under keys
    /// starting `{prefix}:`, so every proxy with the same URL and prefix
    /// shares the limits. Connects now; fails closed when Redis becomes
    /// unreachable later ([`RateLimiter::redis_with`] to choose).
    ///
    /// # Errors
    /// [`GuardError::Config`] for a malformed URL,
    /// [`GuardError::Unavailable`] when Redis cannot be reached.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let e = hush_guard::RateLimiter::redis("nonsense", "hush",
    ///     Default::default()).await.unwrap_err();
    /// assert!(!e.is_unavailable());
    /// # });
    /// ```
    pub async fn redis(
        url: &str,
        prefix: &str,
        global: Limits,
    ) -> Result<RateLimiter, GuardError> {
        RateLimiter::redis_with(url, prefix, global, RedisOptions::default())
            .await
    }

    /// [`RateLimiter::redis`] with explicit timeouts and failure mode.
    ///
    /// ```
    /// use std::time::Duration;
    /// use hush_guard::{FailureMode, RateLimiter, RedisOptions};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let opts = RedisOptions { failure: FailureMode::Open,
    ///     connect_timeout: Duration::from_millis(200),
    ///     ..RedisOptions::default() };
    /// // Nothing listens on port 1.
    /// let e = RateLimiter::redis_with("redis://127.0.0.1:1", "hush",
    ///     Default::default(), opts).await.unwrap_err();
    /// assert!(e.is_unavailable());
    /// # });
    /// ```
    pub async fn redis_with(
        url: &str,
        prefix: &str,
        global: Limits,
        options: RedisOptions,
    ) -> Result<RateLimiter, GuardError> {
        let backend = RedisBackend::connect(url, prefix, options).await?;
        Ok(RateLimiter::with_backend(Arc::new(backend), global))
    }

    /// A limiter over any backend.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use hush_guard::{InProcessBackend, RateLimiter};
    /// let l = RateLimiter::with_backend(Arc::new(InProcessBackend::new()),
    ///                                   Default::default());
    /// # let _ = l;
    /// ```
    pub fn with_backend(
        backend: Arc<dyn LimiterBackend>,
        global: Limits,
    ) -> RateLimiter {
        RateLimiter { backend, global }
    }

    /// The proxy-wide limits.
    pub fn global_limits(&self) -> &Limits {
        &self.global
    }

    /// Admits a request of `key_id` (an identifier, not a secret: it is
    /// stored in memory or in Redis key names) under `key_limits` and the
    /// global limits, charging one request, `input_tokens` (an estimate,
    /// see [`crate::estimate_input_tokens`]) and `max_output_tokens`.
    /// All or nothing: a rejected request charges no bucket.
    ///
    /// # Errors
    /// [`GuardError::Unavailable`] when a Redis store is unreachable and
    /// the limiter fails closed.
    ///
    /// ```
    /// use hush_guard::{Admission, Limits, RateLimiter};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let l = RateLimiter::in_process(Limits::default());
    /// let key = Limits { input_tpm: Some(100), ..Limits::default() };
    /// assert!(matches!(l.admit("k", &key, 100, 0).await?, Admission::Admitted(_)));
    /// let Admission::Rejected { retry_after, .. } = l.admit("k", &key, 50, 0).await?
    ///     else { unreachable!() };
    /// // 50 tokens at 100 a minute: 30 s.
    /// assert!(retry_after > std::time::Duration::from_secs(29));
    /// # Ok::<(), hush_guard::GuardError>(())
    /// # }).unwrap();
    /// ```
    pub async fn admit(
        &self,
        key_id: &str,
        key_limits: &Limits,
        input_tokens: u64,
        max_output_tokens: u64,
    ) -> Result<Admission, GuardError> {
        let amounts = [1.0, input_tokens as f64, max_output_tokens as f64];
        let specs = self.specs(key_limits, amounts, true);
        let take = if specs.is_empty() {
            Take::Taken(Via::Unmetered)
        } else {
            self.backend.take(key_id, &specs).await?
        };
        Ok(match take {
            Take::Taken(via) => Admission::Admitted(Reservation {
                key_id: key_id.into(),
                key_limits: *key_limits,
                input: input_tokens,
                output: max_output_tokens,
                via,
            }),
            Take::Short { index, wait } => {
                let s = specs.get(index).copied().unwrap_or(specs[0]);
                Admission::Rejected {
                    retry_after: round_up_ms(wait),
                    dimension: s.dimension,
                    scope: s.scope,
                }
            }
        })
    }

    /// Corrects a reservation with the real usage: unused input or output
    /// tokens go back to the buckets, extra ones are charged (a bucket may
    /// go into debt, down to minus its capacity).
    ///
    /// # Errors
    /// [`GuardError::Unavailable`] when a Redis store is unreachable (the
    /// reservation then simply stays charged).
    ///
    /// ```
    /// use hush_guard::{Admission, Limits, RateLimiter};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let l = RateLimiter::in_process(Limits::default());
    /// let Admission::Admitted(r) = l.admit("k", &Limits::default(), 10, 100).await?
    ///     else { unreachable!() };
    /// l.settle(r, 12, 40).await?;
    /// # Ok::<(), hush_guard::GuardError>(())
    /// # }).unwrap();
    /// ```
    pub async fn settle(
        &self,
        r: Reservation,
        actual_input: u64,
        actual_output: u64,
    ) -> Result<(), GuardError> {
        if r.via == Via::Unmetered {
            return Ok(());
        }
        let delta =
            |reserved: u64, actual: u64| reserved as f64 - actual as f64;
        let amounts = [
            0.0,
            delta(r.input, actual_input),
            delta(r.output, actual_output),
        ];
        let specs = self.specs(&r.key_limits, amounts, false);
        if specs.is_empty() {
            return Ok(());
        }
        self.backend.give(&r.key_id, &specs, r.via).await
    }

    /// Bucket specs for the limited dimensions; `take` keeps every limited
    /// bucket (zero amounts still matter for a zero limit), `give` only
    /// those with something to add.
    fn specs(&self, key: &Limits, amounts: [f64; 3], take: bool) -> Specs {
        let mut out = Specs::default();
        for (scope, limits) in
            [(LimitScope::Key, key), (LimitScope::Global, &self.global)]
        {
            for d in Dimension::ALL {
                let Some(limit) = limits.limit(d) else { continue };
                let amount = amounts[d.index()];
                if !take && amount == 0.0 {
                    continue;
                }
                out.push(BucketSpec {
                    scope,
                    dimension: d,
                    capacity: limits.capacity(limit),
                    per_sec: limit as f64 / 60.0,
                    amount,
                });
            }
        }
        out
    }
}

/// At most six bucket specs (two scopes × three dimensions), kept on the
/// stack: admission is on every request's path.
struct Specs {
    buf: [BucketSpec; 6],
    len: usize,
}

impl Default for Specs {
    fn default() -> Self {
        let blank = BucketSpec {
            scope: LimitScope::Key,
            dimension: Dimension::Requests,
            capacity: 0.0,
            per_sec: 0.0,
            amount: 0.0,
        };
        Specs { buf: [blank; 6], len: 0 }
    }
}

impl Specs {
    fn push(&mut self, s: BucketSpec) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = s;
            self.len += 1;
        }
    }
}

impl std::ops::Deref for Specs {
    type Target = [BucketSpec];
    fn deref(&self) -> &[BucketSpec] {
        &self.buf[..self.len]
    }
}

/// Rounds a wait up to whole milliseconds (a `retry-after` shorter than
/// the real wait would make the client come back too early).
fn round_up_ms(d: Duration) -> Duration {
    let ms = d.as_nanos().div_ceil(1_000_000);
    Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}
