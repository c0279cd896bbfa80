//! Fuzzes hush-guard's `retry-after` / `retry-after-ms` header parser:
//! the first byte splits the rest into the two header values. Nothing may
//! panic; a parsed wait is at most a day; a value that parses as whole
//! seconds (and no retry-after-ms) gives exactly that many seconds.
//! Found once: a number followed by a UTF-8 no-break space is not text
//! to `HeaderValue::to_str`, so the parser rightly says None.

#![no_main]

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&b, rest)) = data.split_first() else { return };
    let cut = usize::from(b) * rest.len() / 256;
    let (a, ms) = rest.split_at(cut);
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(a) {
        h.insert("retry-after", v);
    }
    let only_seconds = h.clone();
    if let Ok(v) = HeaderValue::from_bytes(ms) {
        h.insert("retry-after-ms", v);
    }
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    if let Some(d) = hush_guard::parse_retry_after_at(&h, now) {
        assert!(d <= Duration::from_secs(86_400));
    }
    // Header text is visible ASCII, space and tab; other bytes (obs-text,
    // e.g. a UTF-8 no-break space) make the value unreadable: None.
    let text = a.iter().all(|&c| c == b'\t' || (b' '..=b'~').contains(&c));
    if !text {
        return;
    }
    if let Ok(s) = std::str::from_utf8(a) {
        if let Ok(n) = s.trim().parse::<u32>() {
            let digits = s.trim().bytes().all(|c| c.is_ascii_digit());
            if digits && n <= 86_400 && only_seconds.contains_key("retry-after") {
                let got = hush_guard::parse_retry_after_at(&only_seconds, now);
                assert_eq!(got, Some(Duration::from_secs(u64::from(n))));
            }
        }
    }
});
