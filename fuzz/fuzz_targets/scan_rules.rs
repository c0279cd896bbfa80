//! Fuzzes user rule files: arbitrary TOML text must either fail to build
//! with an error or build a scanner that scans without panicking and
//! returns well-formed findings.

#![no_main]

use hush_detect::{Finding, Scanner};
use libfuzzer_sys::fuzz_target;

/// Something for most rule shapes to match.
const HAYSTACK: &[u8] = b"mail jane.doe@acme.io, card 4539 1488 0343 6467, \
    ip 192.168.1.20, iban DE89 3704 0044 0532 0130 00, call +44 20 7946 \
    0958, key sk-ant-api03-AbCdEf_-0123, EMP-123456, https://x.io/a?b=c \
    \xff\xfe\x00 caf\xc3\xa9 2021-11-02";

fn check(s: &Scanner, hay: &[u8], found: &[Finding]) {
    let mut prev_end = 0;
    for (i, f) in found.iter().enumerate() {
        assert!(f.start < f.end, "empty span {f:?}");
        assert!(f.end <= hay.len(), "{f:?} past {}", hay.len());
        assert!(f.end - f.start <= s.max_match_len(), "{f:?} too long");
        assert!((0.0..=1.0).contains(&f.score), "score {f:?}");
        assert!(i == 0 || f.start >= prev_end, "overlap or unsorted {f:?}");
        prev_end = f.end;
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let built = Scanner::builder()
        .default_rules(false)
        .rules_toml("fuzz", text)
        .build();
    let Ok(s) = built else { return };
    check(&s, HAYSTACK, &s.scan(HAYSTACK));
    check(&s, data, &s.scan(data));
});
