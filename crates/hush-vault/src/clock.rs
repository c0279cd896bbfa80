//! A coarse wall clock for last-used times.
//!
//! Every warm lookup records when its entry was used. Reading the system
//! clock costs tens of nanoseconds on some virtual machines (38 ns on
//! the one the figures were measured on, as much as the rest of a
//! lookup), so lookups read [`now`] instead: one relaxed atomic load of
//! whole seconds since the Unix epoch, which a background thread named
//! `hush-clock` refreshes just after each second boundary.
//!
//! # Resolution
//!
//! A time read from [`now`] is never later than the system clock and is
//! behind it only between a second boundary and the thread's wake-up
//! (normally well under a millisecond; up to about a second after the
//! machine resumed from suspend, or longer if the thread is starved of
//! CPU). Times are whole seconds, as before; retention works in days and
//! last-used times are persisted only when they moved by a minute, so
//! neither can tell the difference.
//!
//! The thread starts on the first read and stops after
//! [`IDLE_SECONDS`] seconds without one; until it runs again, readers
//! take the system clock themselves. If it cannot be started, every
//! read takes the system clock. A child created by `fork` without `exec`
//! does not inherit the thread; it would keep the time of the fork until
//! the parent's thread state says idle, so such children should not
//! share a vault handle (hush never forks).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds without a read after which the clock thread exits.
pub(crate) const IDLE_SECONDS: u32 = 10;

/// Seconds since the epoch as last published; 0 when no thread runs.
static NOW: AtomicU64 = AtomicU64::new(0);
/// Whether [`now`] was read since the thread's last tick.
static READ: AtomicBool = AtomicBool::new(false);
/// Whether a clock thread runs (or is being started).
static RUNNING: AtomicBool = AtomicBool::new(false);

/// The system clock in whole seconds since the Unix epoch (0 before it).
pub(crate) fn precise() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Seconds since the Unix epoch, from the coarse clock (see the module
/// docs for its resolution).
#[inline]
pub(crate) fn now() -> u64 {
    let t = NOW.load(Ordering::Relaxed);
    if t == 0 {
        return start();
    }
    if !READ.load(Ordering::Relaxed) {
        READ.store(true, Ordering::Relaxed);
    }
    t
}

#[cold]
fn start() -> u64 {
    let t = precise();
    if RUNNING
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
        .is_ok()
    {
        READ.store(true, Ordering::Relaxed);
        let spawned = std::thread::Builder::new()
            .name("hush-clock".into())
            .stack_size(64 * 1024)
            .spawn(tick);
        if spawned.is_err() {
            RUNNING.store(false, Ordering::Release);
        }
    }
    t
}

fn tick() {
    let mut idle = 0;
    loop {
        let d =
            SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        NOW.store(d.as_secs(), Ordering::Relaxed);
        if READ.swap(false, Ordering::Relaxed) {
            idle = 0;
        } else {
            idle += 1;
            if idle >= IDLE_SECONDS {
                NOW.store(0, Ordering::Relaxed);
                RUNNING.store(false, Ordering::Release);
                return;
            }
        }
        // Wake just after the next second boundary.
        let into = Duration::from_nanos(u64::from(d.subsec_nanos()));
        let next = Duration::from_secs(1) - into + Duration::from_micros(200);
        std::thread::sleep(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_ahead_of_the_system_clock() {
        for _ in 0..1000 {
            let a = now();
            assert!(a <= precise());
        }
        // The first read may come from the system clock; later ones from
        // the thread: both stay within a second or two of it.
        std::thread::sleep(Duration::from_millis(50));
        assert!(precise().saturating_sub(now()) <= 2);
    }
}
