//! Property tests of the dictionary matcher: it never panics on any
//! bytes, finds inserted terms in any case and whitespace variant at the
//! right offsets, and returns sorted, non-overlapping whole-word spans.

mod common;
use common::settle_stream;

use hush_detect::Dictionary;
use proptest::prelude::*;

/// Terms of one to three lower-case words.
fn term() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z]{2,6}", 1..=3).prop_map(|w| w.join(" "))
}

/// A whitespace run: spaces, tabs, newlines, CRs, no-break spaces.
fn run() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(" "),
            Just("\t"),
            Just("\n"),
            Just("\r\n"),
            Just("\u{a0}")
        ],
        1..4,
    )
    .prop_map(|v| v.concat())
}

fn check_shape(found: &[hush_detect::DictMatch<'_>], hay: &[u8]) {
    let mut last = 0;
    for m in found {
        assert!(m.start < m.end && m.end <= hay.len());
        assert!(m.start >= last, "sorted and non-overlapping");
        last = m.end;
    }
}

proptest! {
    #[test]
    fn never_panics_on_any_bytes(
        terms in prop::collection::vec(".{1,12}", 1..20),
        hay in prop::collection::vec(any::<u8>(), 0..400),
        lo in 0usize..500, len in 0usize..50,
    ) {
        let mut b = Dictionary::builder();
        for t in &terms {
            if !t.trim().is_empty() {
                b = b.term(t, "X").allow(&format!("{t} z"), "X");
            }
        }
        let Ok(d) = b.build() else { return Ok(()) };
        let found = d.find_all(&hay);
        check_shape(&found, &hay);
        let _ = d.allows(&hay, lo, lo + len);
    }

    #[test]
    fn variants_of_inserted_terms_are_found(
        terms in prop::collection::vec(term(), 1..8),
        picks in prop::collection::vec((0usize..8, any::<bool>(), run()), 1..6),
        filler in "[ ]{0,2}[,.;:()!?][ ]{0,2}",
    ) {
        let d = terms
            .iter()
            .fold(Dictionary::builder(), |b, t| b.term(t, "K"))
            .build()
            .unwrap();
        // Build a haystack of term variants separated by non-word filler,
        // recording where each variant lands.
        let mut hay = String::new();
        let mut want = Vec::new();
        for (i, upper, ws) in picks {
            let t = &terms[i % terms.len()];
            let mut v = t.replace(' ', &ws);
            if upper {
                v = v.to_uppercase();
            }
            hay.push_str(&filler);
            want.push((hay.len(), hay.len() + v.len()));
            hay.push_str(&v);
        }
        hay.push_str(&filler);
        let found = d.find_all(hay.as_bytes());
        check_shape(&found, hay.as_bytes());
        // Each inserted variant is found by a match that starts where it
        // starts (the filler always holds punctuation, so variants never
        // join into a longer term; a longer term may still match when one
        // term is a word-prefix of another).
        for (s, e) in want {
            let m = found.iter().find(|m| m.start == s);
            prop_assert!(m.is_some(), "no match at {}..{} in {:?}", s, e, hay);
            prop_assert!(m.unwrap().end >= e);
        }
    }
}

#[test]
fn one_million_terms_build() {
    // A smoke test of scale (the timed figure is in benches/dict.rs).
    let n = if cfg!(debug_assertions) { 20_000 } else { 100_000 };
    let mut b = Dictionary::builder();
    for i in 0..n {
        b = b.term(&format!("cust{i:07} holdings"), "CUSTOMER");
    }
    let d = b.build().unwrap();
    let hay = b"paid by CUST0000042   Holdings today";
    let m = d.find_all(hay);
    assert_eq!((m.len(), m[0].start, m[0].end, m[0].term), (1, 8, 30, 42));
}

/// A scanner with a dictionary: terms of three kinds and an allowed
/// address.
fn dict_scanner() -> &'static hush_detect::Scanner {
    static S: std::sync::OnceLock<hush_detect::Scanner> =
        std::sync::OnceLock::new();
    S.get_or_init(|| {
        let dict = Dictionary::builder()
            .term("Acme Corp", "ORGANIZATION")
            .term("Acme", "ORGANIZATION")
            .term("Jane Roe", "person")
            .term("Project Falcon Ridge", "LOCATION")
            .allow("help@hush.io", "EMAIL")
            .build()
            .unwrap();
        hush_detect::Scanner::builder().dictionary(dict).build().unwrap()
    })
}

fn dict_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "Acme Corp", "ACME  corp", "acme", "Acme\ncorp", "Jane Roe", "jane\troe",
            "Project Falcon Ridge", "project falcon\n ridge", "help@hush.io",
            "bob@acme.io", "415-555-0100", " ", ". ", "Acmeville", "xAcme",
        ])
        .prop_map(str::to_string),
        1 => run(),
        1 => "[a-z ]{0,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Dictionary findings settle like rule findings: any cut of the
    /// input gives the whole-buffer findings.
    #[test]
    fn dictionary_findings_are_chunking_invariant(
        pieces in prop::collection::vec(dict_piece(), 0..30),
        raw in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let hay = pieces.concat().into_bytes();
        let s = dict_scanner();
        let mut cuts: Vec<usize> = raw.iter().map(|i| i.index(hay.len() + 1)).collect();
        cuts.sort_unstable();
        prop_assert_eq!(settle_stream(s, &hay, &cuts), s.scan(&hay));
    }
}

#[test]
fn dictionary_kinds_allow_list_and_bad_labels() {
    let s = dict_scanner();
    let text = "Jane Roe of ACME corp, from help@hush.io and bob@acme.io";
    let kinds: Vec<hush_detect::Kind> =
        s.scan_str(text).iter().map(|f| f.kind).collect();
    use hush_detect::Kind::*;
    assert_eq!(kinds, [Person, Organization, Email]);
    let bad = Dictionary::builder().term("Acme", "CUSTOMER").build().unwrap();
    let err =
        hush_detect::Scanner::builder().dictionary(bad).build().unwrap_err();
    assert!(err.to_string().contains("label \"CUSTOMER\" is not a kind"));
}
