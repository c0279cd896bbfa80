//! Fuzzes `Screener::screen` and `strip_hidden` with arbitrary UTF-8: no
//! panic, spans in bounds and on char boundaries, scores in `0..=1`,
//! deterministic, and stripping is idempotent.

#![no_main]

use std::sync::OnceLock;

use hush_screen::{strip_hidden, Screener};
use libfuzzer_sys::fuzz_target;

fn screener() -> &'static Screener {
    static S: OnceLock<Screener> = OnceLock::new();
    S.get_or_init(|| Screener::new().expect("built-in rules build"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let s = screener().screen(text);
    assert!((0.0..=1.0).contains(&s.score));
    for g in &s.signals {
        assert!(g.span.start < g.span.end && g.span.end <= text.len());
        assert!(text.is_char_boundary(g.span.start));
        assert!(text.is_char_boundary(g.span.end));
        assert!((0.0..=1.0).contains(&g.score));
    }
    assert_eq!(s, screener().screen(text), "not deterministic");
    if let Some(out) = strip_hidden(text) {
        assert_eq!(strip_hidden(&out), None, "strip not idempotent");
    }
});
