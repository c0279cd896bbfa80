//! `Builder::recognizer`: a recogniser's findings join the rules', keep
//! the contract's bounds (bad spans are dropped), obey `kinds` and the
//! dictionary's allow-list, and settle like any finding in a stream.

mod common;
use common::settle_stream;

use hush_detect::{Dictionary, Kind, Recognized, Recognizer, Scanner};
use proptest::prelude::*;

/// Reports each word in all capitals (3 to 20 letters) as ORGANIZATION,
/// and each word right after `Dr` (with its context, 3 bytes back) as
/// PERSON: a stand-in for a model, deterministic and local.
struct Toy;

fn word_end(hay: &[u8], mut i: usize) -> usize {
    while i < hay.len() && hay[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

impl Recognizer for Toy {
    fn id(&self) -> &str {
        "toy"
    }
    fn kinds(&self) -> &[Kind] {
        &[Kind::Organization, Kind::Person]
    }
    fn max_len(&self) -> usize {
        20
    }
    fn context(&self) -> usize {
        3
    }
    fn find(&self, hay: &[u8], from: usize, out: &mut Vec<Recognized>) {
        let mut i = from;
        while i < hay.len() {
            let starts_word = hay[i].is_ascii_alphabetic()
                && (i == 0 || !hay[i - 1].is_ascii_alphabetic());
            if !starts_word {
                i += 1;
                continue;
            }
            let end = word_end(hay, i);
            let len = end - i;
            if (3..=20).contains(&len)
                && hay[i..end].iter().all(u8::is_ascii_uppercase)
            {
                out.push(Recognized {
                    start: i,
                    end,
                    kind: Kind::Organization,
                    score: 0.8,
                });
            } else if i >= 3
                && &hay[i - 3..i] == b"Dr "
                && (2..=20).contains(&len)
            {
                out.push(Recognized {
                    start: i,
                    end,
                    kind: Kind::Person,
                    score: 0.9,
                });
            }
            i = end;
        }
    }
}

/// Breaks every rule of the contract, plus one good span.
struct Rogue;

impl Recognizer for Rogue {
    fn id(&self) -> &str {
        "rogue"
    }
    fn kinds(&self) -> &[Kind] {
        &[Kind::Person]
    }
    fn max_len(&self) -> usize {
        5
    }
    fn find(&self, hay: &[u8], from: usize, out: &mut Vec<Recognized>) {
        let n = hay.len();
        let r =
            |start, end, kind, score| Recognized { start, end, kind, score };
        out.extend([
            r(n, n + 3, Kind::Person, 1.0), // past the end
            r(3, 1, Kind::Person, 1.0),     // reversed
            r(2, 2, Kind::Person, 1.0),     // empty
            r(0, n, Kind::Person, 1.0),     // longer than max_len
            r(0, 2, Kind::Email, 1.0),      // kind not declared
            r(from.saturating_sub(1), from + 1, Kind::Person, 1.0), // before from
            r(from + 1, from + 3, Kind::Person, 7.0), // fine; score clamped
            r(from + 4, from + 5, Kind::Person, f32::NAN), // fine; score 0
        ]);
    }
}

/// The id of the built-in e-mail rule.
const EMAIL_RULE: &str = "email";

fn toy_scanner() -> &'static Scanner {
    static S: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
    S.get_or_init(|| Scanner::builder().recognizer(Toy).build().unwrap())
}

fn ids(s: &Scanner, text: &str) -> Vec<(String, String)> {
    s.scan_str(text)
        .iter()
        .map(|f| {
            (
                text[f.start..f.end].to_string(),
                s.detector(f.detector).id().to_string(),
            )
        })
        .collect()
}

#[test]
fn recognised_spans_join_the_rules_findings() {
    let s = toy_scanner();
    assert_eq!(
        ids(s, "ask Dr Okonkwo at NASA, mail jo@acme.io"),
        [
            ("Okonkwo".to_string(), "toy.person".to_string()),
            ("NASA".to_string(), "toy.organization".to_string()),
            ("jo@acme.io".to_string(), EMAIL_RULE.to_string()),
        ]
    );
    // Detectors are listed like rules.
    assert!(s.detectors().any(
        |d| d.id() == "toy.organization" && d.kind() == Kind::Organization
    ));
    // An overlap with a longer rule finding is resolved as between rules:
    // the address wins over the capitals inside it.
    let f = s.scan_str("mail ACME@acme.io");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::Email);
}

#[test]
fn spans_that_break_the_contract_are_dropped() {
    let s = Scanner::builder()
        .default_rules(false)
        .recognizer(Rogue)
        .build()
        .unwrap();
    let hay = b"abcdefghijkl";
    let mut out = Vec::new();
    let p = s.scan_settled(hay, 4, true, &mut out);
    assert_eq!(p, hay.len());
    let spans: Vec<(usize, usize, f32)> =
        out.iter().map(|f| (f.start, f.end, f.score)).collect();
    assert_eq!(spans, [(5, 7, 1.0), (8, 9, 0.0)]);
    // From the start, (0, 1) is no longer before `from`.
    let whole = s.scan(hay);
    assert_eq!(
        whole.iter().map(|f| (f.start, f.end)).collect::<Vec<_>>(),
        [(0, 1), (1, 3), (4, 5)]
    );
}

#[test]
fn kinds_filter_allow_list_and_duplicate_ids() {
    let only_people = Scanner::builder()
        .default_rules(false)
        .kinds(&[Kind::Person])
        .recognizer(Toy)
        .build()
        .unwrap();
    assert_eq!(
        ids(&only_people, "Dr Okonkwo at NASA"),
        [("Okonkwo".to_string(), "toy.person".to_string())]
    );
    assert!(!only_people.detectors().any(|d| d.id() == "toy.organization"));
    // The dictionary's allow-list covers recognised spans too.
    let dict =
        Dictionary::builder().allow("NASA", "ORGANIZATION").build().unwrap();
    let allowed = Scanner::builder()
        .default_rules(false)
        .recognizer(Toy)
        .dictionary(dict)
        .build()
        .unwrap();
    assert!(allowed.scan_str("at NASA today").is_empty());
    let err = Scanner::builder()
        .default_rules(false)
        .recognizer(Toy)
        .recognizer(Toy)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("toy.organization"), "{err}");
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "Dr Okonkwo", "Dr  Lee", "NASA", "ACMECORP", "the ", " ", ". ",
            "jo@acme.io", "Dr ", "NATO-led", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ])
        .prop_map(str::to_string),
        1 => "[A-Za-z .]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Recognised spans settle like rule findings: any cut of the input
    /// gives the whole-buffer findings.
    #[test]
    fn recognised_findings_are_chunking_invariant(
        pieces in prop::collection::vec(piece(), 0..30),
        raw in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let hay = pieces.concat().into_bytes();
        let s = toy_scanner();
        let mut cuts: Vec<usize> = raw.iter().map(|i| i.index(hay.len() + 1)).collect();
        cuts.sort_unstable();
        prop_assert_eq!(settle_stream(s, &hay, &cuts), s.scan(&hay));
    }
}
