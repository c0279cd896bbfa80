//! Fuzzes `Scanner::scan` with arbitrary bytes: it must never panic, and
//! its findings must be sorted, non-overlapping, in bounds, no longer
//! than `max_match_len`, with scores in `0..=1` (and, for UTF-8 input,
//! on character boundaries).

#![no_main]

use std::sync::OnceLock;

use hush_detect::Scanner;
use libfuzzer_sys::fuzz_target;

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new().expect("built-in rules build"))
}

fuzz_target!(|data: &[u8]| {
    let s = scanner();
    let found = s.scan(data);
    let mut prev_end = 0;
    for (i, f) in found.iter().enumerate() {
        assert!(f.start < f.end, "empty span {f:?}");
        assert!(f.end <= data.len(), "{f:?} past {}", data.len());
        assert!(f.end - f.start <= s.max_match_len(), "{f:?} too long");
        assert!((0.0..=1.0).contains(&f.score), "score {f:?}");
        assert!(i == 0 || f.start >= prev_end, "overlap or unsorted {f:?}");
        prev_end = f.end;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for f in &found {
            assert!(
                text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
                "{f:?} splits a character"
            );
        }
    }
    assert_eq!(found, s.scan(data), "not deterministic");
});
