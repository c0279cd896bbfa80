//! A probe for the host's interference, for latency benches.
//!
//! On a shared VM the host takes the CPU away from the guest in two ways.
//! Steal time is reported by the guest's `/proc/stat`. Other stretches are
//! not reported: the vCPU runs slowly, or not at all, and the guest does
//! not know. On the 2-core VM hush is developed on, a fixed unit of work
//! with nothing else running sometimes takes 15 to 120 times its usual
//! time. This comes in bursts of about 100 ms, every 1.5 s or so. A call
//! that overlaps such a burst measures the host, not the code under test.
//! At 500 calls a second, these bursts alone decide p99.
//!
//! The probe runs a fixed unit of work about every millisecond on its own
//! thread. It marks a window in two cases:
//! - the unit's thread CPU time is many times its usual: the CPU ran
//!   slowly under it. Preemption by another guest thread does not add to
//!   a thread's CPU time, so the bench's own load does not mark windows
//!   this way;
//! - the guest's steal counter has advanced since the last reading.
//!
//! Benches then report every call, and apart from that the calls that
//! overlap no window.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Time added on each side of a marked span: a burst slows what runs
/// around the unit that saw it.
const PAD: Duration = Duration::from_millis(2);
/// A unit is slow when its CPU time is this many times the median.
const SLOW_FACTOR: u32 = 4;
/// One steal tick is 10 ms of CPU taken, at some point since the last
/// reading.
const TICK: Duration = Duration::from_millis(10);

#[derive(Default)]
struct Shared {
    spans: Mutex<Vec<(Instant, Instant)>>,
    steal_ticks: AtomicU64,
    slow_units: AtomicU64,
}

/// The running probe; [`HostProbe::windows`] reads what it marked so far.
pub struct HostProbe {
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    started: Instant,
    thread: Option<JoinHandle<()>>,
}

/// The windows marked up to a moment, merged and sorted.
pub struct Windows {
    spans: Vec<(Instant, Instant)>,
    /// Steal ticks (10 ms each) the guest was told about.
    pub steal_ticks: u64,
    /// Units whose CPU time was many times the usual.
    pub slow_units: u64,
    /// How long the probe has run.
    pub probed: Duration,
}

impl HostProbe {
    /// Starts the probe thread.
    pub fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared::default());
        let (s, sh) = (stop.clone(), shared.clone());
        let thread = std::thread::Builder::new()
            .name("host-probe".into())
            .spawn(move || probe(&s, &sh))
            .ok();
        HostProbe { stop, shared, started: Instant::now(), thread }
    }

    /// The windows marked so far.
    pub fn windows(&self) -> Windows {
        let mut spans =
            self.shared.spans.lock().map(|s| s.clone()).unwrap_or_default();
        spans.sort_unstable();
        let mut merged: Vec<(Instant, Instant)> = Vec::new();
        for (a, b) in spans {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        Windows {
            spans: merged,
            steal_ticks: self.shared.steal_ticks.load(Ordering::Relaxed),
            slow_units: self.shared.slow_units.load(Ordering::Relaxed),
            probed: self.started.elapsed(),
        }
    }
}

impl Drop for HostProbe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Windows {
    /// Whether `[start, end]` overlaps a marked window.
    pub fn overlaps(&self, start: Instant, end: Instant) -> bool {
        // The first window ending at or after `start`.
        let i = self.spans.partition_point(|&(_, b)| b < start);
        self.spans.get(i).is_some_and(|&(a, _)| a <= end)
    }

    /// The share of the probed time inside a window, 0 to 1.
    pub fn covered(&self) -> f64 {
        let inside: Duration = self.spans.iter().map(|(a, b)| *b - *a).sum();
        inside.as_secs_f64() / self.probed.as_secs_f64().max(1e-9)
    }

    /// The share of `[start, end]` inside a window, 0 to 1.
    pub fn covered_between(&self, start: Instant, end: Instant) -> f64 {
        let inside: Duration = self
            .spans
            .iter()
            .map(|&(a, b)| b.min(end).saturating_duration_since(a.max(start)))
            .sum();
        inside.as_secs_f64() / (end - start).as_secs_f64().max(1e-9)
    }

    /// A one-line summary for a bench's output.
    pub fn summary(&self) -> String {
        format!(
            "{} windows covering {:.1}% of {:.0} s ({} steal ticks of 10 ms, {} slowed units)",
            self.spans.len(),
            100.0 * self.covered(),
            self.probed.as_secs_f64(),
            self.steal_ticks,
            self.slow_units
        )
    }
}

/// This thread's CPU time.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a live, writable `timespec` for the whole call, which
    // is all `clock_gettime` writes to; CLOCK_THREAD_CPUTIME_ID is a valid
    // clock on Linux, and a failure (rc != 0) is handled below without
    // reading anything the call did not write.
    let rc =
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// The guest's total steal ticks (the eighth value of `/proc/stat`'s
/// `cpu` line), or `None` where there is no such file.
fn steal_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat.lines().next()?.split_whitespace().nth(8)?.parse().ok()
}

/// A fixed amount of arithmetic, about 20 us on a current core.
fn unit() -> u64 {
    let mut x = std::hint::black_box(0x9E37_79B9_7F4A_7C15u64);
    for _ in 0..20_000 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    }
    std::hint::black_box(x)
}

fn probe(stop: &AtomicBool, shared: &Shared) {
    let mark = |a: Instant, b: Instant| {
        if let Ok(mut s) = shared.spans.lock() {
            s.push((a.checked_sub(PAD).unwrap_or(a), b + PAD));
        }
    };
    let mut calibration = Vec::with_capacity(200);
    let mut median = Duration::MAX;
    let mut steal = steal_ticks();
    let mut steal_read = Instant::now();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let (t0, c0) = (Instant::now(), thread_cpu());
        unit();
        let (t1, c1) = (Instant::now(), thread_cpu());
        let cpu = c1.saturating_sub(c0);
        if calibration.len() < 200 {
            calibration.push(cpu);
            if calibration.len() == 200 {
                calibration.sort_unstable();
                median = calibration[100];
            }
        } else if cpu > median * SLOW_FACTOR {
            shared.slow_units.fetch_add(1, Ordering::Relaxed);
            mark(t0, t1);
        }
        n += 1;
        if n % 5 == 0 {
            let now = steal_ticks();
            if let (Some(before), Some(after)) = (steal, now) {
                if after > before {
                    shared
                        .steal_ticks
                        .fetch_add(after - before, Ordering::Relaxed);
                    mark(
                        steal_read.checked_sub(TICK).unwrap_or(steal_read),
                        t1,
                    );
                }
            }
            steal = now;
            steal_read = t1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_against_merged_windows() {
        let t = Instant::now();
        let ms = |n: u64| t + Duration::from_millis(n);
        let w = Windows {
            spans: vec![(ms(10), ms(20)), (ms(40), ms(50))],
            steal_ticks: 0,
            slow_units: 0,
            probed: Duration::from_millis(100),
        };
        assert!(!w.overlaps(ms(0), ms(9)));
        assert!(w.overlaps(ms(0), ms(10)));
        assert!(w.overlaps(ms(15), ms(16)));
        assert!(w.overlaps(ms(19), ms(45)));
        assert!(!w.overlaps(ms(21), ms(39)));
        assert!(w.overlaps(ms(50), ms(60)));
        assert!(!w.overlaps(ms(51), ms(60)));
        assert!((w.covered() - 0.2).abs() < 1e-9);
        assert!((w.covered_between(ms(0), ms(100)) - 0.2).abs() < 1e-9);
        assert!(
            (w.covered_between(ms(15), ms(45)) - 10.0 / 30.0).abs() < 1e-9
        );
        assert!(w.covered_between(ms(21), ms(39)).abs() < 1e-9);
    }

    #[test]
    fn thread_cpu_time_advances_with_work() {
        let a = thread_cpu();
        for _ in 0..50 {
            unit();
        }
        assert!(thread_cpu() > a);
    }
}
