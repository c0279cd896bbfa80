//! Wall-clock time as Unix seconds, and the few calendar conversions the
//! store, the CLI and AWS signing need, without a date-time dependency.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now (0 if the clock is before 1970).
pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `t + d`, saturating.
pub(crate) fn add(t: u64, d: Duration) -> u64 {
    t.saturating_add(d.as_secs())
}

/// Year, month (1-12), day (1-31) of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `(YYYY, MM, DD, hh, mm, ss)` in UTC.
pub(crate) fn utc_parts(secs: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The UTC date of a Unix time, `YYYY-MM-DD`.
///
/// # Example
///
/// ```
/// assert_eq!(hush_keys::utc_date(0), "1970-01-01");
/// assert_eq!(hush_keys::utc_date(1_440_938_160), "2015-08-30");
/// ```
pub fn utc_date(secs: u64) -> String {
    let (y, m, d, ..) = utc_parts(secs);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A short human age: `45s`, `12m`, `5h`, `30d`.
///
/// # Example
///
/// ```
/// assert_eq!(hush_keys::human_age(90 * 86_400 + 5), "90d");
/// assert_eq!(hush_keys::human_age(7200), "2h");
/// assert_eq!(hush_keys::human_age(59), "59s");
/// ```
pub fn human_age(secs: u64) -> String {
    match secs {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3600 => format!("{}h", s / 3600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        assert_eq!(utc_parts(0), (1970, 1, 1, 0, 0, 0));
        // 2015-08-30T12:36:00Z, the AWS signing example's time.
        assert_eq!(utc_parts(1_440_938_160), (2015, 8, 30, 12, 36, 0));
        // A leap day.
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(4_107_542_399), "2100-02-28");
    }
}
