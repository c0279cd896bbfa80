//! Timestamps and ages: the `ts` field of every line (RFC 3339, UTC,
//! milliseconds), the `--from`/`--to` dates of `search` and the
//! `--older-than` ages of `purge`.
//!
//! The log only ever writes one timestamp shape,
//! `YYYY-MM-DDTHH:MM:SS.mmmZ` (24 bytes), so a fixed-width formatter and
//! parser over Unix milliseconds is all it needs; the calendar arithmetic
//! is the days-from-civil algorithm (proleptic Gregorian, UTC).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::AuditError;

/// The length of a timestamp as written in the log.
pub(crate) const TS_LEN: usize = 24;

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
///
/// Milliseconds outside years 0000 to 9999 are clamped into them, so
/// the result always has the fixed width.
///
/// # Example
///
/// ```
/// assert_eq!(hush_audit::format_ts(0), "1970-01-01T00:00:00.000Z");
/// assert_eq!(
///     hush_audit::format_ts(1_793_491_200_123),
///     "2026-11-01T00:00:00.123Z"
/// );
/// ```
pub fn format_ts(ms: i64) -> String {
    const MIN: i64 = -62_167_219_200_000; // 0000-01-01
    const MAX: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999
    let ms = ms.clamp(MIN, MAX);
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, milli) =
        (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0')))
}

fn date_ms(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[..4])?, digits(&b[5..7])?, digits(&b[8..])?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400_000)
}

/// Parses the exact log shape `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn parse_ts(b: &[u8]) -> Option<i64> {
    if b.len() != TS_LEN
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return None;
    }
    let (h, mi, s, ms) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
        digits(&b[20..23])?,
    );
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some(date_ms(&b[..10])? + h * 3_600_000 + mi * 60_000 + s * 1000 + ms)
}

/// Which end of a day a bare date stands for in [`parse_time`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayEnd {
    /// `2026-11-01` means 2026-11-01T00:00:00Z.
    Start,
    /// `2026-11-01` means the end of that day (2026-11-02T00:00:00Z,
    /// exclusive), so `--to 2026-11-30` includes the whole 30th.
    End,
}

/// Parses a time given on the command line: a date (`2026-11-01`), a
/// date and time in UTC (`2026-11-01T12:30:00Z`, seconds and
/// milliseconds optional, `Z` optional) into Unix milliseconds.
///
/// # Errors
///
/// [`AuditError::Config`] when the text is none of these.
///
/// # Example
///
/// ```
/// use hush_audit::{parse_time, DayEnd};
///
/// let start = parse_time("2026-11-01", DayEnd::Start)?;
/// assert_eq!(parse_time("2026-11-01T00:00Z", DayEnd::Start)?, start);
/// assert_eq!(parse_time("2026-11-01", DayEnd::End)?, start + 86_400_000);
/// assert!(parse_time("2026-13-01", DayEnd::Start).is_err());
/// # Ok::<(), hush_audit::AuditError>(())
/// ```
pub fn parse_time(text: &str, end: DayEnd) -> Result<i64, AuditError> {
    let bad = || {
        AuditError::Config(format!(
            "bad time {text:?}: use a date like 2026-11-01 or a UTC time \
             like 2026-11-01T12:30:00Z"
        ))
    };
    let t = text.trim().as_bytes();
    let t = t.strip_suffix(b"Z").unwrap_or(t);
    if t.len() == 10 {
        let day = date_ms(t).ok_or_else(bad)?;
        return Ok(match end {
            DayEnd::Start => day,
            DayEnd::End => day + 86_400_000,
        });
    }
    if t.len() < 16 || (t[10] != b'T' && t[10] != b' ') || t[13] != b':' {
        return Err(bad());
    }
    let day = date_ms(&t[..10]).ok_or_else(bad)?;
    let h = digits(&t[11..13]).filter(|h| *h < 24).ok_or_else(bad)?;
    let mi = digits(&t[14..16]).filter(|m| *m < 60).ok_or_else(bad)?;
    let rest = &t[16..];
    let (s, ms) = match rest {
        [] => (0, 0),
        [b':', a, b] => (digits(&[*a, *b]).ok_or_else(bad)?, 0),
        [b':', a, b, b'.', frac @ ..] if (1..=3).contains(&frac.len()) => {
            let f = digits(frac).ok_or_else(bad)?;
            let scale = [100, 10, 1][frac.len() - 1];
            (digits(&[*a, *b]).ok_or_else(bad)?, f * scale)
        }
        _ => return Err(bad()),
    };
    if s > 59 {
        return Err(bad());
    }
    Ok(day + h * 3_600_000 + mi * 60_000 + s * 1000 + ms)
}

/// Parses an age such as `365d`, `12h`, `30m`, `45s` or `2w`.
///
/// # Errors
///
/// [`AuditError::Config`] for anything else, a zero age or an age too
/// large to represent.
///
/// # Example
///
/// ```
/// use std::time::Duration;
///
/// let d = hush_audit::parse_age("90d")?;
/// assert_eq!(d, Duration::from_secs(90 * 86_400));
/// assert!(hush_audit::parse_age("3x").is_err());
/// # Ok::<(), hush_audit::AuditError>(())
/// ```
pub fn parse_age(text: &str) -> Result<Duration, AuditError> {
    let bad = || {
        AuditError::Config(format!(
            "bad age {text:?}: use a number and a unit, e.g. 365d, 12h, \
             30m, 45s, 2w"
        ))
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mult: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(mult).filter(|s| *s > 0).ok_or_else(bad)?;
    // Keep ages within what millisecond arithmetic can subtract.
    if secs > 100 * 366 * 86_400 * 100 {
        return Err(bad());
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_fixed_shape() {
        for ms in [0, 1, 951_782_400_000, 1_793_491_200_123, 4_102_444_799_999]
        {
            let s = format_ts(ms);
            assert_eq!(s.len(), TS_LEN);
            assert_eq!(parse_ts(s.as_bytes()), Some(ms), "{s}");
        }
        assert_eq!(format_ts(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(parse_ts(b"2026-02-29T00:00:00.000Z"), None);
        assert_eq!(parse_ts(b"2026-01-01T24:00:00.000Z"), None);
        assert_eq!(parse_ts(b"2026-01-01T00:00:00.000"), None);
        assert!(parse_time("2026-11-01T12", DayEnd::Start).is_err());
        assert!(parse_time("", DayEnd::Start).is_err());
        assert!(parse_time("2026-11-01T12:00:00.1234", DayEnd::Start).is_err());
    }

    #[test]
    fn ages() {
        assert_eq!(parse_age("12h").unwrap().as_secs(), 12 * 3600);
        assert_eq!(parse_age("30m").unwrap().as_secs(), 1800);
        assert!(parse_age("0d").is_err());
        assert!(parse_age("99999999999999999999d").is_err());
        assert!(parse_age("d").is_err());
    }
}
