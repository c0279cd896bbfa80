//! Property tests of the scanner's contract: it never panics on any bytes,
//! its findings are sorted, non-overlapping, in bounds and no longer than
//! `max_match_len`, it is deterministic, and a finding depends only on
//! the bytes near it (shift invariance and line locality, which the
//! streaming layer relies on). Also replays every input the fuzzers
//! saved under `tests/fuzz_regressions/`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use hush_detect::{Finding, Scanner};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// The default scanner, built once for the whole test binary.
fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new().expect("built-in rules build"))
}

/// Every example text of every built-in detector, in rule order.
fn examples() -> Vec<String> {
    scanner().detectors().flat_map(|d| d.examples().to_vec()).collect()
}

/// Examples that yield at most one finding when scanned alone and hold no
/// line break: the "lines" of the locality property.
fn single_entity_lines() -> Vec<String> {
    examples()
        .into_iter()
        .filter(|e| !e.contains('\n') && scanner().scan_str(e).len() <= 1)
        .collect()
}

/// Fragments that look like the start, middle or end of an entity.
const FRAGMENTS: &[&str] = &[
    "4539 1488 0343 6467",
    "4539148803436467",
    "jane.doe@acme.io",
    "@",
    ".",
    "-",
    ":",
    "://",
    "https://",
    "www.",
    "sk-ant-",
    "sk-proj-",
    "sk_live_",
    "ghp_",
    "AKIA",
    "xoxb-",
    "-----BEGIN ",
    "-----END ",
    "PRIVATE KEY-----",
    "192.168.",
    "10.0.0.1",
    "::",
    "fe80::",
    "+44 ",
    "+1 (415) 555-0132",
    "DE89 ",
    "DE89 3704 0044 0532 0130 00",
    "536-22-1234",
    "SSN ",
    "passport ",
    "card ",
    "version ",
    "0x",
    "bc1q",
    "March 14, 1987",
    " ",
    "\n",
    "\t",
    "\r\n",
    "\0",
    "é",
    "日本",
    "😀",
];

/// A random run of ASCII digits.
fn digits() -> impl Strategy<Value = Vec<u8>> {
    "[0-9]{1,20}".prop_map(String::into_bytes)
}

/// A random run of printable ASCII.
fn ascii() -> impl Strategy<Value = Vec<u8>> {
    "[ -~]{1,16}".prop_map(String::into_bytes)
}

/// Bytes that are never valid UTF-8 on their own.
fn invalid_utf8() -> impl Strategy<Value = Vec<u8>> {
    vec(0x80u8..=0xff, 1..4)
}

/// One piece of PII-ish text; `raw` allows invalid UTF-8 and NUL bytes.
fn piece(raw: bool) -> BoxedStrategy<Vec<u8>> {
    let valid = prop_oneof![
        4 => select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
        2 => select(examples()).prop_map(String::into_bytes),
        2 => digits(),
        2 => ascii(),
    ];
    if raw {
        prop_oneof![
            10 => valid,
            1 => invalid_utf8(),
            1 => Just(vec![0u8]),
        ]
        .boxed()
    } else {
        valid.boxed()
    }
}

/// Random pieces concatenated: bytes that often contain whole entities,
/// near-misses, entities glued together and entities cut short.
fn pii_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(piece(true), 0..40).prop_map(|v| v.concat())
}

/// Like [`pii_bytes`], but valid UTF-8 (mixing in non-ASCII characters).
fn pii_text() -> impl Strategy<Value = String> {
    vec(piece(false), 0..40).prop_map(|v| {
        String::from_utf8(v.concat()).expect("valid pieces are UTF-8")
    })
}

/// Checks the output contract of `scan` for `hay`; on success returns
/// nothing, else a description of the first violation.
fn check(scanner: &Scanner, hay: &[u8], found: &[Finding]) {
    let max = scanner.max_match_len();
    let n_rules = scanner.detectors().count();
    for (i, f) in found.iter().enumerate() {
        assert!(f.start < f.end, "empty or inverted span {f:?}");
        assert!(f.end <= hay.len(), "{f:?} past the end ({})", hay.len());
        assert!(f.end - f.start <= max, "{f:?} longer than {max}");
        assert!((0.0..=1.0).contains(&f.score), "score out of range {f:?}");
        assert!(f.detector.as_usize() < n_rules, "bad detector {f:?}");
        let det = scanner.detector(f.detector);
        assert_eq!(det.kind(), f.kind, "kind differs from detector {f:?}");
        assert!(
            f.end - f.start <= det.max_len(),
            "{f:?} longer than {}'s max_len {}",
            det.id(),
            det.max_len()
        );
        if i > 0 {
            let prev = &found[i - 1];
            assert!(prev.start < f.start, "not sorted: {prev:?} then {f:?}");
            assert!(prev.end <= f.start, "overlap: {prev:?} and {f:?}");
        }
    }
}

/// Checks the contract and, for text, that every offset is a character
/// boundary.
fn check_str(scanner: &Scanner, text: &str, found: &[Finding]) {
    check(scanner, text.as_bytes(), found);
    for f in found {
        assert!(
            text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
            "{f:?} splits a character in {text:?}"
        );
    }
}

/// `found` with every offset moved by `by` bytes.
fn shifted(found: &[Finding], by: usize) -> Vec<Finding> {
    found
        .iter()
        .map(|f| Finding { start: f.start + by, end: f.end + by, ..*f })
        .collect()
}

/// Scans each line alone and returns the findings moved to where the
/// line sits in `lines.join(sep)`, and that joined text.
fn per_line(
    s: &Scanner,
    lines: &[String],
    sep: &str,
) -> (Vec<Finding>, String) {
    let mut found = Vec::new();
    let mut at = 0;
    for line in lines {
        found.extend(shifted(&s.scan_str(line), at));
        at += line.len() + sep.len();
    }
    (found, lines.join(sep))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(hay in vec(any::<u8>(), 0..4096)) {
        let s = scanner();
        let found = s.scan(&hay);
        check(s, &hay, &found);
    }

    #[test]
    fn pii_ish_bytes(hay in pii_bytes()) {
        let s = scanner();
        let found = s.scan(&hay);
        check(s, &hay, &found);
        prop_assert_eq!(&found, &s.scan(&hay), "not deterministic");
    }

    #[test]
    fn arbitrary_text(text in any::<String>()) {
        let s = scanner();
        check_str(s, &text, &s.scan_str(&text));
    }

    #[test]
    fn pii_ish_text(text in pii_text()) {
        let s = scanner();
        let found = s.scan_str(&text);
        check_str(s, &text, &found);
        prop_assert_eq!(&found, &s.scan_str(&text), "not deterministic");
    }

    /// `scan_into` with a dirty, reused buffer gives what `scan` gives.
    #[test]
    fn scan_into_reuses_buffer(a in pii_bytes(), b in pii_bytes()) {
        let s = scanner();
        let mut out = Vec::new();
        s.scan_into(&a, &mut out);
        prop_assert_eq!(&out, &s.scan(&a));
        s.scan_into(&b, &mut out);
        prop_assert_eq!(&out, &s.scan(&b));
    }

    /// Newlines before input that starts with white space change nothing
    /// but the offsets: no match, context word or boundary can see them.
    #[test]
    fn leading_newlines_only_shift(
        lead in select(&[" ", "\n"][..]),
        body in pii_bytes(),
        k in 1usize..64,
    ) {
        let s = scanner();
        let hay = [lead.as_bytes(), &body].concat();
        let padded = ["\n".repeat(k).as_bytes(), &hay].concat();
        let found = s.scan(&hay);
        prop_assert_eq!(shifted(&found, k), s.scan(&padded));
    }

    /// Newlines after input that ends with white space change nothing.
    #[test]
    fn trailing_newlines_change_nothing(
        body in pii_bytes(),
        tail in select(&[" ", "\n"][..]),
        k in 1usize..64,
    ) {
        let s = scanner();
        let hay = [&body, tail.as_bytes()].concat();
        let padded = [&hay, "\n".repeat(k).as_bytes()].concat();
        prop_assert_eq!(s.scan(&hay), s.scan(&padded));
    }

    /// Lines scanned one at a time give what the lines joined by enough
    /// newlines give, offsets aside: a finding depends only on its match
    /// and the `max_context` bytes on each side. The lines are rule
    /// examples with at most one entity each.
    ///
    /// A single newline is not enough: context windows cross lines, so
    /// a context word on the next line can raise a score, and a raised
    /// score can win an overlap (`"NL91 ABNA 0417 1643 00\nCall +44 ..."`
    /// reports a phone number instead of the IBAN).
    #[test]
    fn lines_are_independent(
        lines in vec(select(single_entity_lines()), 1..12),
    ) {
        let s = scanner();
        let sep = "\n".repeat(s.max_context() + 1);
        let (expected, joined) = per_line(s, &lines, &sep);
        prop_assert_eq!(expected, s.scan_str(&joined), "{:?}", joined);
    }
}

/// Guards against vacuous properties: the generators must produce inputs
/// in which the scanner finds many kinds of entity.
#[test]
fn generators_reach_the_rules() {
    let mut runner = TestRunner::deterministic();
    let strategy = pii_bytes();
    let mut kinds = BTreeSet::new();
    for _ in 0..200 {
        let hay = strategy.new_tree(&mut runner).expect("value").current();
        kinds.extend(scanner().scan(&hay).iter().map(|f| f.kind));
    }
    eprintln!("kinds found in generated input: {kinds:?}");
    assert!(kinds.len() >= 6, "only {kinds:?}");
    let lines = single_entity_lines();
    assert!(lines.len() * 2 >= examples().len(), "{} lines", lines.len());
}

/// What the `scan_rules` fuzz target scans with a fuzzed rule set (see
/// `fuzz/fuzz_targets/scan_rules.rs`), besides the rule text itself.
const RULES_HAYSTACK: &[u8] = b"mail jane.doe@acme.io, card 4539 1488 0343 \
    6467, ip 192.168.1.20, iban DE89 3704 0044 0532 0130 00, call +44 20 \
    7946 0958, key sk-ant-api03-AbCdEf_-0123, EMP-123456, \
    https://x.io/a?b=c \xff\xfe\x00 caf\xc3\xa9 2021-11-02";

/// Replays every input saved by the fuzzers. A file whose name starts
/// with `scan_rules` is rule TOML (from the `scan_rules` target); every
/// other file is a haystack (from the `scan` target).
#[test]
fn fuzz_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fuzz_regressions");
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    let mut paths: Vec<_> =
        entries.map(|e| e.expect("dir entry").path()).collect();
    paths.sort();
    let s = scanner();
    let mut failed = Vec::new();
    for path in paths {
        let data = std::fs::read(&path).expect("readable regression file");
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        eprintln!("replaying {}", path.display());
        let replay = || {
            if name.starts_with("scan_rules") {
                let text = String::from_utf8_lossy(&data);
                let built = Scanner::builder()
                    .default_rules(false)
                    .rules_toml("fuzz", &text)
                    .build();
                if let Ok(mine) = built {
                    check(&mine, &data, &mine.scan(&data));
                    check(&mine, RULES_HAYSTACK, &mine.scan(RULES_HAYSTACK));
                }
            } else {
                check(s, &data, &s.scan(&data));
            }
        };
        if std::panic::catch_unwind(replay).is_err() {
            failed.push(name.into_owned());
        }
    }
    assert!(failed.is_empty(), "fuzz regressions failing: {failed:?}");
}

/// Scans `hay` as a stream cut at `cuts` (sorted offsets) the way a
/// streaming caller uses [`Scanner::scan_settled`]: keep the unsettled
/// tail and `settle_context` bytes before it, append the next chunk,
/// settle again. Returns the findings in absolute offsets and the
/// largest number of bytes left unsettled after any chunk.
fn settle_stream(hay: &[u8], cuts: &[usize]) -> (Vec<Finding>, usize) {
    let s = scanner();
    let mut buf: Vec<u8> = Vec::new();
    // Absolute offset of buf[0], and the settled point within buf.
    let mut base = 0usize;
    let mut from = 0usize;
    let mut found = Vec::new();
    let mut out = Vec::new();
    let mut worst = 0;
    let mut last = 0;
    for &cut in cuts.iter().chain(std::iter::once(&hay.len())) {
        buf.extend_from_slice(&hay[last..cut]);
        last = cut;
        let at_end = cut == hay.len();
        let p = s.scan_settled(&buf, from, at_end, &mut out);
        assert!(p >= from && p <= buf.len());
        for f in &out {
            assert!(
                f.start >= from && f.end <= p,
                "{f:?} outside {from}..{p}"
            );
            let mut g = *f;
            g.start += base;
            g.end += base;
            found.push(g);
        }
        worst = worst.max(buf.len() - p);
        let keep = p.saturating_sub(s.settle_context());
        buf.drain(..keep);
        base += keep;
        from = p - keep;
    }
    (found, worst)
}

/// Every cut of `hay` into chunks at `cuts` settles to the findings of
/// the whole buffer, and never holds more than the bound.
fn assert_settles(hay: &[u8], cuts: &[usize]) {
    let whole = scanner().scan(hay);
    let (streamed, worst) = settle_stream(hay, cuts);
    assert_eq!(streamed, whole, "cuts {cuts:?}");
    assert!(
        worst <= scanner().max_settle_hold(),
        "held {worst} > {}",
        scanner().max_settle_hold()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Chunking invariance of settling: random cuts of PII-dense bytes.
    #[test]
    fn settling_is_chunking_invariant(
        hay in pii_bytes(),
        cuts in vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut cuts: Vec<usize> =
            cuts.iter().map(|i| i.index(hay.len() + 1)).collect();
        cuts.sort_unstable();
        assert_settles(&hay, &cuts);
    }
}

/// Every split point of every built-in example, in context.
#[test]
fn settling_every_split_of_examples() {
    for e in examples() {
        let hay = format!("see {e} and more.");
        for cut in 0..=hay.len() {
            assert_settles(hay.as_bytes(), &[cut]);
        }
    }
}

/// One-byte chunks and random chunk sizes over the generated corpora.
#[test]
fn settling_corpora_in_small_chunks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora");
    for set in ["prose", "dense", "chat", "logs", "code", "negatives"] {
        let path = dir.join(format!("{set}.jsonl"));
        let text = std::fs::read(&path).expect("corpus file");
        let hay = &text[..text.len().min(60_000)];
        let ones: Vec<usize> = (1..hay.len().min(6_000)).collect();
        assert_settles(&hay[..hay.len().min(6_000)], &ones);
        // Pseudo-random chunk sizes from a fixed LCG, 1..=700 bytes.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut cuts = Vec::new();
        let mut at = 0;
        loop {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            at += 1 + (x >> 33) as usize % 700;
            if at >= hay.len() {
                break;
            }
            cuts.push(at);
        }
        assert_settles(hay, &cuts);
    }
}
