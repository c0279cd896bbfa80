//! A circuit breaker per upstream: after repeated failures the proxy stops
//! calling an upstream that is down (answering 503 at once instead of
//! piling up slow failures and retries), and after a cooldown lets a few
//! probe calls through to see whether it recovered.
//!
//! Closed → Open when `consecutive_failures` calls in a row failed, or
//! when over the last `window` at least `min_calls` calls were seen and
//! `failure_rate` of them failed. Open → HalfOpen at the first `allow`
//! after `cooldown`. HalfOpen lets `half_open_probes` calls through: all
//! succeed → Closed; any fails → Open again. A probe never reported (its
//! permit dropped) is given up on after another cooldown. Each state
//! change starts a new generation; permits of an older generation are
//! ignored when recorded, so a slow call from before the breaker opened
//! cannot close it.

use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Slots of the failure-rate window (the window slides one slot at a time).
const SLOTS: usize = 10;

/// When the breaker opens and how it recovers.
///
/// ```
/// let c = hush_guard::BreakerConfig::default();
/// assert_eq!(c.consecutive_failures, 10);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Open after this many failures in a row (0: never on this rule).
    pub consecutive_failures: u32,
    /// The span the failure rate is measured over.
    pub window: Duration,
    /// Fewest calls in the window for the rate rule to apply.
    pub min_calls: u32,
    /// Open when at least this fraction of the window's calls failed
    /// (above 1.0: never on this rule).
    pub failure_rate: f64,
    /// How long the breaker stays open before probing.
    pub cooldown: Duration,
    /// Probe calls let through when half-open (at least 1); all must
    /// succeed to close.
    pub half_open_probes: u32,
}

/// The defaults trip on a dead upstream within ten calls and not on a
/// flaky one: at 30% failed calls, five failures in a row come every few
/// hundred calls (0.3^5 = 0.24%), which would shut out the 70% that
/// succeed for a whole cooldown; ten in a row (0.3^10 = 6e-6) do not
/// happen, and a steady 50% over the window still opens it.
impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            consecutive_failures: 10,
            window: Duration::from_secs(30),
            min_calls: 20,
            failure_rate: 0.5,
            cooldown: Duration::from_secs(10),
            half_open_probes: 1,
        }
    }
}

/// The breaker's state.
///
/// ```
/// let b = hush_guard::CircuitBreaker::new(Default::default());
/// assert_eq!(b.state(), hush_guard::BreakerState::Closed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused (until the first `allow` after the cooldown).
    Open,
    /// A few probe calls go through.
    HalfOpen,
}

/// Leave to make one call; hand it back to [`CircuitBreaker::record`].
///
/// ```
/// let b = hush_guard::CircuitBreaker::new(Default::default());
/// let p = b.allow().unwrap();
/// b.record(p, true);
/// ```
#[derive(Debug)]
#[must_use = "record the call's result with CircuitBreaker::record"]
pub struct Permit {
    generation: u64,
}

/// The refusal of an open breaker.
///
/// ```
/// let o = hush_guard::Open { retry_in: std::time::Duration::from_secs(3) };
/// assert_eq!(o.to_string(), "upstream circuit open; retry in 3000 ms");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Open {
    /// Time until the breaker lets a probe through.
    pub retry_in: Duration,
}

impl fmt::Display for Open {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "upstream circuit open; retry in {} ms",
            self.retry_in.as_millis()
        )
    }
}

impl std::error::Error for Open {}

#[derive(Clone, Copy, Debug, PartialEq)]
enum St {
    Closed,
    Open { until: Instant },
    HalfOpen { in_flight: u32, successes: u32, since: Instant },
}

#[derive(Debug)]
struct Inner {
    st: St,
    generation: u64,
    consecutive: u32,
    /// (slot number, successes, failures), indexed by slot % SLOTS.
    slots: [(u64, u32, u32); SLOTS],
}

/// A circuit breaker for one upstream (see the module docs for the
/// rules).
///
/// ```
/// use std::time::Duration;
/// use hush_guard::{BreakerConfig, BreakerState, CircuitBreaker};
/// let b = CircuitBreaker::new(BreakerConfig { consecutive_failures: 2,
///     cooldown: Duration::from_secs(60), ..Default::default() });
/// for _ in 0..2 {
///     let p = b.allow().unwrap();
///     b.record(p, false);
/// }
/// assert_eq!(b.state(), BreakerState::Open);
/// let open = b.allow().unwrap_err();
/// assert!(open.retry_in <= Duration::from_secs(60));
/// ```
pub struct CircuitBreaker {
    cfg: BreakerConfig,
    epoch: Instant,
    inner: Mutex<Inner>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("state", &self.state())
            .field("cfg", &self.cfg)
            .finish()
    }
}

fn now() -> Instant {
    // tokio's clock, so paused-time tests drive the breaker too.
    tokio::time::Instant::now().into_std()
}

impl CircuitBreaker {
    /// A closed breaker.
    ///
    /// ```
    /// let b = hush_guard::CircuitBreaker::new(Default::default());
    /// assert!(b.allow().is_ok());
    /// ```
    pub fn new(cfg: BreakerConfig) -> Self {
        CircuitBreaker::new_at(cfg, now())
    }

    pub(crate) fn new_at(cfg: BreakerConfig, epoch: Instant) -> Self {
        CircuitBreaker {
            cfg,
            epoch,
            inner: Mutex::new(Inner {
                st: St::Closed,
                generation: 0,
                consecutive: 0,
                slots: [(u64::MAX, 0, 0); SLOTS],
            }),
        }
    }

    /// Leave for one call, or the time until the breaker probes again.
    ///
    /// # Errors
    /// [`Open`] while the breaker is open (answer 503 with `retry-after`).
    ///
    /// ```
    /// let b = hush_guard::CircuitBreaker::new(Default::default());
    /// let p = b.allow()?;
    /// b.record(p, true);
    /// # Ok::<(), hush_guard::Open>(())
    /// ```
    pub fn allow(&self) -> Result<Permit, Open> {
        self.allow_at(now())
    }

    /// Reports how a permitted call went: `ok` is false for upstream
    /// failures (see [`crate::Outcome::is_upstream_failure`]).
    ///
    /// ```
    /// let b = hush_guard::CircuitBreaker::new(Default::default());
    /// b.record(b.allow().unwrap(), false);
    /// assert_eq!(b.state(), hush_guard::BreakerState::Closed);
    /// ```
    pub fn record(&self, p: Permit, ok: bool) {
        self.record_at(p, ok, now())
    }

    /// The current state. An open breaker whose cooldown has passed still
    /// reports `Open` until the next [`CircuitBreaker::allow`].
    ///
    /// ```
    /// let b = hush_guard::CircuitBreaker::new(Default::default());
    /// assert_eq!(b.state(), hush_guard::BreakerState::Closed);
    /// ```
    pub fn state(&self) -> BreakerState {
        match self.lock().st {
            St::Closed => BreakerState::Closed,
            St::Open { .. } => BreakerState::Open,
            St::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn slot_of(&self, t: Instant) -> u64 {
        let len = (self.cfg.window.as_nanos() / SLOTS as u128).max(1);
        let since = t.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(since / len).unwrap_or(u64::MAX - 1)
    }

    pub(crate) fn allow_at(&self, t: Instant) -> Result<Permit, Open> {
        let mut g = self.lock();
        let probes = self.cfg.half_open_probes.max(1);
        match g.st {
            St::Closed => Ok(Permit { generation: g.generation }),
            St::Open { until } => {
                if t >= until {
                    g.generation += 1;
                    g.st =
                        St::HalfOpen { in_flight: 1, successes: 0, since: t };
                    Ok(Permit { generation: g.generation })
                } else {
                    Err(Open { retry_in: until - t })
                }
            }
            St::HalfOpen { in_flight, successes, since } => {
                if in_flight < probes {
                    g.st = St::HalfOpen {
                        in_flight: in_flight + 1,
                        successes,
                        since,
                    };
                    Ok(Permit { generation: g.generation })
                } else if t >= since + self.cfg.cooldown {
                    // The probes were never reported: try afresh.
                    g.generation += 1;
                    g.st =
                        St::HalfOpen { in_flight: 1, successes: 0, since: t };
                    Ok(Permit { generation: g.generation })
                } else {
                    Err(Open { retry_in: since + self.cfg.cooldown - t })
                }
            }
        }
    }

    pub(crate) fn record_at(&self, p: Permit, ok: bool, t: Instant) {
        let mut g = self.lock();
        if p.generation != g.generation {
            return;
        }
        match g.st {
            St::Open { .. } => {}
            St::HalfOpen { in_flight, successes, since } => {
                if !ok {
                    self.open(&mut g, t);
                } else if successes + 1 >= self.cfg.half_open_probes.max(1) {
                    g.generation += 1;
                    g.st = St::Closed;
                    g.consecutive = 0;
                    g.slots = [(u64::MAX, 0, 0); SLOTS];
                } else {
                    g.st = St::HalfOpen {
                        in_flight: in_flight.saturating_sub(1),
                        successes: successes + 1,
                        since,
                    };
                }
            }
            St::Closed => {
                let slot = self.slot_of(t);
                let e = &mut g.slots[(slot % SLOTS as u64) as usize];
                if e.0 != slot {
                    *e = (slot, 0, 0);
                }
                if ok {
                    e.1 += 1;
                    g.consecutive = 0;
                } else {
                    e.2 += 1;
                    g.consecutive += 1;
                }
                let (mut calls, mut fails) = (0u64, 0u64);
                for &(s, o, f) in &g.slots {
                    if s <= slot && slot - s < SLOTS as u64 {
                        calls += u64::from(o) + u64::from(f);
                        fails += u64::from(f);
                    }
                }
                let cf = self.cfg.consecutive_failures;
                let by_run = cf > 0 && g.consecutive >= cf;
                let by_rate = calls > 0
                    && calls >= u64::from(self.cfg.min_calls)
                    && fails as f64 >= self.cfg.failure_rate * calls as f64;
                if !ok && (by_run || by_rate) {
                    self.open(&mut g, t);
                }
            }
        }
    }

    fn open(&self, g: &mut Inner, t: Instant) {
        g.generation += 1;
        g.st = St::Open { until: t + self.cfg.cooldown };
        g.consecutive = 0;
        g.slots = [(u64::MAX, 0, 0); SLOTS];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A deliberately naive model of the rules: every outcome kept in a
    /// list, counted afresh each time.
    struct Model {
        cfg: BreakerConfig,
        epoch: Instant,
        state: MState,
        generation: u64,
        events: Vec<(Instant, bool)>,
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum MState {
        Closed,
        Open(Instant),
        Half { issued: u32, ok: u32, since: Instant },
    }

    impl Model {
        fn slot(&self, t: Instant) -> u64 {
            let len = (self.cfg.window.as_nanos() / SLOTS as u128).max(1);
            (t.duration_since(self.epoch).as_nanos() / len) as u64
        }

        fn to(&mut self, s: MState) {
            self.state = s;
            self.generation += 1;
            self.events.clear();
        }

        fn allow(&mut self, t: Instant) -> Option<u64> {
            let probes = self.cfg.half_open_probes.max(1);
            match self.state {
                MState::Closed => Some(self.generation),
                MState::Open(until) if t >= until => {
                    self.to(MState::Half { issued: 1, ok: 0, since: t });
                    Some(self.generation)
                }
                MState::Open(_) => None,
                MState::Half { issued, ok, since } if issued < probes => {
                    self.state =
                        MState::Half { issued: issued + 1, ok, since };
                    Some(self.generation)
                }
                MState::Half { since, .. }
                    if t >= since + self.cfg.cooldown =>
                {
                    self.to(MState::Half { issued: 1, ok: 0, since: t });
                    Some(self.generation)
                }
                MState::Half { .. } => None,
            }
        }

        fn record(&mut self, generation: u64, ok: bool, t: Instant) {
            if generation != self.generation {
                return;
            }
            match self.state {
                MState::Open(_) => {}
                MState::Half { issued, ok: oks, since } => {
                    if !ok {
                        self.to(MState::Open(t + self.cfg.cooldown));
                    } else if oks + 1 >= self.cfg.half_open_probes.max(1) {
                        self.to(MState::Closed);
                    } else {
                        self.state = MState::Half {
                            issued: issued.saturating_sub(1),
                            ok: oks + 1,
                            since,
                        };
                    }
                }
                MState::Closed => {
                    self.events.push((t, ok));
                    let run = self
                        .events
                        .iter()
                        .rev()
                        .take_while(|(_, ok)| !ok)
                        .count() as u32;
                    let now = self.slot(t);
                    let recent: Vec<bool> = self
                        .events
                        .iter()
                        .filter(|(e, _)| now - self.slot(*e) < SLOTS as u64)
                        .map(|(_, ok)| *ok)
                        .collect();
                    let calls = recent.len() as f64;
                    let fails =
                        recent.iter().filter(|ok| !**ok).count() as f64;
                    let cf = self.cfg.consecutive_failures;
                    let trip = (cf > 0 && run >= cf)
                        || (calls >= f64::from(self.cfg.min_calls)
                            && fails >= self.cfg.failure_rate * calls);
                    if !ok && trip {
                        self.to(MState::Open(t + self.cfg.cooldown));
                    }
                }
            }
        }

        fn public(&self) -> BreakerState {
            match self.state {
                MState::Closed => BreakerState::Closed,
                MState::Open(_) => BreakerState::Open,
                MState::Half { .. } => BreakerState::HalfOpen,
            }
        }
    }

    #[derive(Clone, Debug)]
    enum Ev {
        Allow,
        /// Record the n-th outstanding permit (mod count).
        Record(usize, bool),
        Advance(u64),
    }

    fn arb_ev() -> impl Strategy<Value = Ev> {
        prop_oneof![
            3 => Just(Ev::Allow),
            4 => (any::<usize>(), any::<bool>()).prop_map(|(i, ok)| Ev::Record(i, ok)),
            2 => (0u64..3_000).prop_map(Ev::Advance),
        ]
    }

    fn arb_cfg() -> impl Strategy<Value = BreakerConfig> {
        (0u32..5, 100u64..5_000, 1u32..10, 0.2f64..1.1, 0u64..3_000, 1u32..3)
            .prop_map(|(cf, w, min, rate, cool, probes)| BreakerConfig {
                consecutive_failures: cf,
                window: Duration::from_millis(w),
                min_calls: min,
                failure_rate: rate,
                cooldown: Duration::from_millis(cool),
                half_open_probes: probes,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn breaker_matches_model(
            cfg in arb_cfg(),
            events in proptest::collection::vec(arb_ev(), 1..200),
        ) {
            let epoch = Instant::now();
            let b = CircuitBreaker::new_at(cfg, epoch);
            let mut m = Model { cfg, epoch, state: MState::Closed,
                                generation: 0, events: Vec::new() };
            let mut t = epoch;
            let mut outstanding: Vec<(Permit, u64)> = Vec::new();
            for ev in events {
                match ev {
                    Ev::Allow => {
                        let real = b.allow_at(t);
                        let model = m.allow(t);
                        prop_assert_eq!(real.is_ok(), model.is_some());
                        match real {
                            Ok(p) => outstanding.push((p, model.unwrap())),
                            Err(open) => {
                                // An open breaker never waits longer than
                                // one cooldown.
                                prop_assert!(open.retry_in <= cfg.cooldown);
                                prop_assert!(open.retry_in > Duration::ZERO);
                            }
                        }
                    }
                    Ev::Record(i, ok) if !outstanding.is_empty() => {
                        let (p, g) = outstanding.remove(i % outstanding.len());
                        b.record_at(p, ok, t);
                        m.record(g, ok, t);
                    }
                    Ev::Record(..) => {}
                    Ev::Advance(ms) => t += Duration::from_millis(ms),
                }
                prop_assert_eq!(b.state(), m.public());
            }
        }
    }

    #[test]
    fn rate_rule_trips_without_a_long_run() {
        let epoch = Instant::now();
        let cfg = BreakerConfig {
            consecutive_failures: 0,
            min_calls: 10,
            failure_rate: 0.5,
            ..Default::default()
        };
        let b = CircuitBreaker::new_at(cfg, epoch);
        for i in 0..10 {
            let p = b.allow_at(epoch).unwrap();
            b.record_at(p, i % 2 == 0, epoch);
        }
        assert_eq!(b.state(), BreakerState::Open);
    }

    #[test]
    fn old_failures_slide_out_of_the_window() {
        let epoch = Instant::now();
        let cfg = BreakerConfig {
            consecutive_failures: 0,
            min_calls: 4,
            failure_rate: 0.5,
            window: Duration::from_secs(10),
            ..Default::default()
        };
        let b = CircuitBreaker::new_at(cfg, epoch);
        for _ in 0..3 {
            b.record_at(b.allow_at(epoch).unwrap(), false, epoch);
        }
        let later = epoch + Duration::from_secs(11);
        for _ in 0..3 {
            b.record_at(b.allow_at(later).unwrap(), true, later);
        }
        b.record_at(b.allow_at(later).unwrap(), false, later);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn half_open_probe_closes_or_reopens() {
        let epoch = Instant::now();
        let cfg =
            BreakerConfig { consecutive_failures: 1, ..Default::default() };
        let b = CircuitBreaker::new_at(cfg, epoch);
        b.record_at(b.allow_at(epoch).unwrap(), false, epoch);
        let t = epoch + cfg.cooldown;
        let probe = b.allow_at(t).unwrap();
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(b.allow_at(t).is_err(), "one probe at a time");
        b.record_at(probe, false, t);
        assert_eq!(b.state(), BreakerState::Open);
        let t2 = t + cfg.cooldown;
        b.record_at(b.allow_at(t2).unwrap(), true, t2);
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
