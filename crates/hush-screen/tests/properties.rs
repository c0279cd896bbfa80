//! Property tests: `screen` never panics and returns well-formed
//! screenings on arbitrary text; `strip_hidden` leaves no hidden
//! characters and is idempotent.

use std::sync::OnceLock;

use hush_screen::{strip_hidden, Category, Screener};
use proptest::prelude::*;

fn screener() -> &'static Screener {
    static S: OnceLock<Screener> = OnceLock::new();
    S.get_or_init(|| Screener::new().expect("built-in rules build"))
}

/// Text mixing ASCII, the characters the screener treats specially
/// (hidden, look-alikes, tags, selectors) and injection words.
fn texty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(|c| c.to_string()),
        "[ -~]{0,12}",
        prop::sample::select(vec![
            "\u{200B}",
            "\u{200D}",
            "\u{FEFF}",
            "\u{202E}",
            "\u{2066}",
            "\u{2069}",
            "\u{E0041}",
            "\u{E007F}",
            "🏴",
            "\u{FE0F}",
            "\u{E0100}",
            "👩",
            "а",
            "ß",
            "%41",
            "\\x41",
            "0x41, ",
            "aWdub3Jl",
            "ignore ",
            "all ",
            "previous ",
            "instructions",
            "<|im_start|>",
            "</system>",
            "\n### ",
            "1gn0r3 ",
            "i g n ",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn check(text: &str) {
    let s = screener().screen(text);
    assert!((0.0..=1.0).contains(&s.score), "score {}", s.score);
    assert_eq!(s.signals.is_empty(), s.score == 0.0);
    for sig in &s.signals {
        assert!(sig.span.start < sig.span.end, "{sig:?}");
        assert!(sig.span.end <= text.len(), "{sig:?}");
        assert!(text.is_char_boundary(sig.span.start), "{sig:?}");
        assert!(text.is_char_boundary(sig.span.end), "{sig:?}");
        assert!((0.0..=1.0).contains(&sig.score), "{sig:?}");
    }
    assert!(s.signals.windows(2).all(|w| w[0].span.start <= w[1].span.start));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn screen_is_well_formed(text in texty()) {
        check(&text);
    }

    #[test]
    fn screen_any_string(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn strip_hidden_leaves_none_and_is_idempotent(text in texty()) {
        if let Some(out) = strip_hidden(&text) {
            prop_assert!(out.len() < text.len());
            prop_assert_eq!(strip_hidden(&out), None);
            let s = screener().screen(&out);
            prop_assert!(
                s.signals.iter().all(|g| g.category != Category::HiddenUnicode
                    || g.rule == "hidden.variation-selectors"),
                "hidden signal after strip: {:?}", s.signals
            );
        }
    }
}
