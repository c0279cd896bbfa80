//! The streaming contract of the facade: for every input and every way of
//! cutting it, a redaction stream writes exactly what `redact_bytes`
//! writes for the whole input, and a restoration stream exactly what
//! `restore_bytes` writes; holds stay within their bounds; a redaction
//! followed by a restoration gives the input back.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use hush::{Key, Operator, Policy, Redactor, Scanner, Vault};
use hush_detect::Kind;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

fn redactor() -> &'static Redactor {
    static R: OnceLock<Redactor> = OnceLock::new();
    R.get_or_init(fresh_redactor)
}

/// A redactor over the shared scanner with a new, empty vault.
fn fresh_redactor() -> Redactor {
    static SCANNER: OnceLock<Arc<Scanner>> = OnceLock::new();
    let scanner = SCANNER.get_or_init(|| Arc::new(Scanner::new().unwrap()));
    let policy = Policy::default()
        .with_operator(Kind::Phone, Operator::Surrogate)
        .unwrap();
    let vault = Vault::in_memory(Key::from_bytes([3; 32]), policy).unwrap();
    Redactor::new(scanner.clone(), Arc::new(vault)).with_scope("tests")
}

/// Cuts `input` at `cuts` and runs it through a redaction stream.
fn redact_in_pieces(r: &Redactor, input: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut s = r.redact_stream();
    let mut out = Vec::new();
    let mut last = 0;
    for &c in cuts {
        s.push(&input[last..c], &mut out).unwrap();
        assert!(
            s.held() <= r.max_redact_hold(),
            "held {} > {}",
            s.held(),
            r.max_redact_hold()
        );
        last = c;
    }
    s.push(&input[last..], &mut out).unwrap();
    s.finish(&mut out).unwrap();
    assert_eq!(s.report().bytes_in, input.len() as u64);
    assert_eq!(s.report().bytes_out, out.len() as u64);
    out
}

fn restore_in_pieces(r: &Redactor, input: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut s = r.restore_stream();
    let mut out = Vec::new();
    let mut last = 0;
    for &c in cuts {
        s.push(&input[last..c], &mut out).unwrap();
        assert!(s.held() <= r.vault().max_restore_hold() + 3);
        last = c;
    }
    s.push(&input[last..], &mut out).unwrap();
    s.finish(&mut out).unwrap();
    out
}

fn whole_redact(r: &Redactor, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    r.redact_bytes(input, &mut out).unwrap();
    out
}

fn whole_restore(r: &Redactor, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    r.restore_bytes(input, &mut out).unwrap();
    out
}

/// Checks both directions for one input and one set of cuts, and that
/// restoring gives the input back.
fn check(r: &Redactor, input: &[u8], cuts: &[usize]) {
    let restored = check_streams(r, input, cuts);
    if std::str::from_utf8(input).is_ok() {
        assert_eq!(
            String::from_utf8_lossy(&restored),
            String::from_utf8_lossy(input),
            "round trip"
        );
    }
}

/// Checks both directions for one input and one set of cuts; returns the
/// restored text.
fn check_streams(r: &Redactor, input: &[u8], cuts: &[usize]) -> Vec<u8> {
    let redacted = whole_redact(r, input);
    assert_eq!(redact_in_pieces(r, input, cuts), redacted, "cuts {cuts:?}");
    let restored = whole_restore(r, &redacted);
    // Cut the redacted text at proportional points.
    let rcuts: Vec<usize> = cuts
        .iter()
        .map(|&c| c * redacted.len() / input.len().max(1))
        .collect();
    assert_eq!(restore_in_pieces(r, &redacted, &rcuts), restored);
    restored
}

const PIECES: &[&str] = &[
    "Call ",
    "415-555-0100",
    "+44 20 7946 0958",
    " or mail ",
    "jane.roe@acme.io",
    "bob@example.org",
    ", card 4111 1111 1111 1111",
    " IBAN GB82 WEST 1234 5698 7654 32",
    " from 10.0.0.1",
    " SSN 078-05-1120",
    " key sk-ant-api03-",
    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIj",
    "\n",
    " ",
    ".",
    "@",
    "[[",
    "]]",
    "[[EMAIL-12",
    "é",
    "中文",
    "2024-01-02",
    "password=hunter2hunter2",
    " https://user:pa55w0rd@db.acme.io/x ",
];

fn text_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => select(PIECES).prop_map(|s| s.as_bytes().to_vec()),
        2 => "[a-zA-Z0-9 .,:@-]{0,16}".prop_map(String::into_bytes),
        1 => vec(any::<u8>(), 0..4),
    ]
}

fn cuts_for(len: usize, raw: &[prop::sample::Index]) -> Vec<usize> {
    let mut c: Vec<usize> = raw.iter().map(|i| i.index(len + 1)).collect();
    c.sort_unstable();
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn chunking_invariance_random_splits(
        pieces in vec(text_piece(), 0..30),
        raw in vec(any::<prop::sample::Index>(), 0..20),
        batch in select(vec![0usize, 1, 7, 64, 1024]),
    ) {
        let input = pieces.concat();
        // A vault of its own: random text may hold two spellings of one
        // value (`bob@x.orgc`, `bob@x.orgC`: the domain is case-blind),
        // which share an entry and restore as the first one seen. So the
        // round trip holds up to the vault's normalisation: redacting
        // the restored text gives the same pseudonyms again.
        let r = fresh_redactor().with_scan_batch(batch);
        let cuts = cuts_for(input.len(), &raw);
        let restored = check_streams(&r, &input, &cuts);
        prop_assert_eq!(whole_redact(&r, &restored), whole_redact(&r, &input));
    }
}

/// Every split point of short texts, with eager scanning.
#[test]
fn every_split_point_of_short_texts() {
    let r = redactor().clone().with_scan_batch(0);
    for text in [
        "Call Jane at 415-555-0100 or jane.roe@acme.io.",
        "IBAN GB82 WEST 1234 5698 7654 32, SSN 078-05-1120.",
        "héllo 中文 4111 1111 1111 1111 \u{1F600} done",
        "x sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKl y",
    ] {
        for cut in 0..=text.len() {
            check(&r, text.as_bytes(), &[cut]);
        }
    }
}

/// One-byte chunks over the start of every corpus, and 20-byte chunks.
#[test]
fn corpora_in_tiny_chunks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora");
    for set in ["prose", "dense", "chat", "logs", "code", "negatives"] {
        let text = std::fs::read(dir.join(format!("{set}.jsonl"))).unwrap();
        let head = &text[..text.len().min(8_000)];
        let ones: Vec<usize> = (1..head.len()).collect();
        check(redactor(), head, &ones);
        let eager = redactor().clone().with_scan_batch(0);
        check(&eager, &head[..3_000], &ones[..2_999]);
        let body = &text[..text.len().min(100_000)];
        let twenties: Vec<usize> =
            (1..body.len() / 20).map(|i| i * 20).collect();
        check(redactor(), body, &twenties);
        // Large pieces take the in-place path; mixed sizes alternate it
        // with buffering.
        for step in [16_384, 17_001, 65_536] {
            let cuts: Vec<usize> =
                (1..=body.len() / step).map(|i| i * step).collect();
            check(redactor(), body, &cuts);
            // A throughput-sized batch gathers large chunks too.
            check(&redactor().clone().with_scan_batch(40_000), body, &cuts);
        }
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut cuts = Vec::new();
        let mut at = 0;
        loop {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            at += 1 + (x >> 33) as usize % 40_000;
            if at >= body.len() {
                break;
            }
            cuts.push(at);
        }
        check(redactor(), body, &cuts);
    }
}

/// An entity across the 64 KiB boundary of the CLI's reads.
#[test]
fn entity_across_64k_boundary() {
    for entity in ["jane.roe@acme.io", "4111 1111 1111 1111", "415-555-0100"] {
        for shift in 0..entity.len() {
            let mut input = "lorem ipsum ".repeat(65536 / 12 + 1).into_bytes();
            input.truncate(65536 - shift - 1);
            input.push(b' ');
            input.extend_from_slice(entity.as_bytes());
            input.extend_from_slice(b" and more text\n");
            let cuts = [65536, 2 * 65536];
            let cuts: Vec<usize> =
                cuts.into_iter().filter(|&c| c <= input.len()).collect();
            check(redactor(), &input, &cuts);
            let out = whole_redact(redactor(), &input);
            assert!(!out
                .windows(entity.len())
                .any(|w| w == entity.as_bytes()));
        }
    }
}

/// Invalid UTF-8 passes through; nothing panics on binary input.
#[test]
fn invalid_utf8_and_binary() {
    let mut input = b"a@b.io \xff\xfe tail \xe2\x82".to_vec();
    input.extend((0..=255u8).cycle().take(5000));
    for cuts in [vec![], vec![9], (1..input.len()).collect::<Vec<_>>()] {
        check(redactor(), &input, &cuts);
    }
    let out = whole_redact(redactor(), b"x \xff y");
    assert_eq!(out, b"x \xff y");
    assert!(whole_redact(redactor(), b"").is_empty());
}
