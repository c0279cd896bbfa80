//! Tests for the corpus generator: determinism, exact span offsets (code
//! points and bytes), validity of every labelled value, and absence of
//! unlabelled look-alikes where the conventions forbid them.

use super::checksum::{
    base58_decode, bech32_valid, double_sha256_checksum, iban_valid,
    luhn_valid,
};
use super::doc::{Doc, Label};
use super::rng::seeded;
use super::*;

const SMALL: u64 = 40_000;

fn docs(set: Set, n: usize) -> Vec<Doc> {
    let mut rng = seeded(set.seed());
    (0..n).map(|_| set.generate(&mut rng)).collect()
}

#[test]
fn jsonl_is_deterministic() {
    for set in Set::ALL {
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_jsonl(set, SMALL, &mut a).unwrap();
        write_jsonl(set, SMALL, &mut b).unwrap();
        assert!(a.len() as u64 >= SMALL);
        assert_eq!(a, b, "{set:?} output differs between runs");
    }
}

#[test]
fn plain_is_deterministic_and_sized() {
    for set in Set::ALL {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let n = write_plain(set, 10_000, &mut a).unwrap();
        write_plain(set, 10_000, &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(n, a.len() as u64);
        assert!(n >= 10_000);
    }
}

#[test]
fn scaled_output_extends_default() {
    let mut small = Vec::new();
    let mut big = Vec::new();
    write_jsonl(Set::Chat, 10_000, &mut small).unwrap();
    write_jsonl(Set::Chat, 30_000, &mut big).unwrap();
    assert!(big.starts_with(&small));
}

fn char_slice(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

#[test]
fn spans_match_both_offset_kinds() {
    for set in Set::ALL {
        let mut out = Vec::new();
        write_jsonl(set, SMALL, &mut out).unwrap();
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).unwrap();
            let text = v["text"].as_str().unwrap();
            assert!(v["id"].as_str().unwrap().starts_with(set.name()));
            let mut last_end = 0;
            for s in v["spans"].as_array().unwrap() {
                let (start, end) = (
                    s["start"].as_u64().unwrap() as usize,
                    s["end"].as_u64().unwrap() as usize,
                );
                let (bs, be) = (
                    s["byte_start"].as_u64().unwrap() as usize,
                    s["byte_end"].as_u64().unwrap() as usize,
                );
                let surface = s["surface"].as_str().unwrap();
                assert_eq!(char_slice(text, start, end), surface);
                assert_eq!(&text[bs..be], surface);
                assert!(start >= last_end, "overlapping spans in {text:?}");
                last_end = end;
                let label = s["label"].as_str().unwrap();
                assert!(Label::ALL.iter().any(|l| l.as_str() == label));
            }
        }
    }
}

#[test]
fn non_ascii_present_in_prose_and_chat() {
    for set in [Set::Prose, Set::Chat] {
        let ds = docs(set, 200);
        let shifted = ds
            .iter()
            .filter(|d| d.spans.iter().any(|s| s.start != s.byte_start))
            .count();
        assert!(
            shifted > 0,
            "{set:?}: no span has byte offset != char offset"
        );
    }
}

#[test]
fn negatives_have_no_spans() {
    for d in docs(Set::Negatives, 500) {
        assert!(d.spans.is_empty());
        // every 16-digit run fails Luhn
        for run in d.text.split(|c: char| !c.is_ascii_digit()) {
            if run.len() == 16 {
                assert!(!luhn_valid(run), "Luhn-valid run {run} in negatives");
            }
        }
    }
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn check_value(label: Label, v: &str) {
    let d = digits_of(v);
    match label {
        Label::CreditCard => {
            assert!(luhn_valid(v), "card {v}");
            assert!((14..=16).contains(&d.len()), "card {v}");
        }
        Label::Iban => assert!(iban_valid(v), "iban {v}"),
        Label::Ssn => {
            assert_eq!(d.len(), 9, "ssn {v}");
            let (a, g, s): (u32, u32, u32) = (
                d[..3].parse().unwrap(),
                d[3..5].parse().unwrap(),
                d[5..].parse().unwrap(),
            );
            assert!(
                a != 0 && a != 666 && a < 900 && g != 0 && s != 0,
                "ssn {v}"
            );
        }
        Label::UsItin => {
            let g: u32 = d[3..5].parse().unwrap();
            assert!(
                d.starts_with('9')
                    && matches!(g, 50..=65 | 70..=88 | 90..=92 | 94..=99),
                "itin {v}"
            );
        }
        Label::Email => {
            assert_eq!(v.matches('@').count(), 1, "email {v}");
            assert!(!v.contains("example."), "email {v}");
        }
        Label::CryptoWallet => {
            if let Some(hex) = v.strip_prefix("0x") {
                assert!(
                    hex.len() == 40
                        && hex.chars().all(|c| c.is_ascii_hexdigit()
                            && !c.is_ascii_uppercase())
                );
            } else if v.starts_with("bc1q") {
                assert!(bech32_valid(v), "bech32 {v}");
            } else {
                let raw = base58_decode(v).unwrap();
                assert_eq!(raw.len(), 25, "{v}");
                assert!(raw[0] == 0 || raw[0] == 5);
                assert_eq!(
                    double_sha256_checksum(&raw[..21]),
                    raw[21..],
                    "{v}"
                );
            }
        }
        Label::Url => {
            assert!(
                v.starts_with("https://")
                    || v.starts_with("http://")
                    || v.starts_with("www.")
            );
            assert!(
                !v.ends_with(['.', ',', ')', '!', '?', '"', '\'']),
                "url {v}"
            );
            assert!(!v.contains('@'), "url {v}");
        }
        Label::Secret => {
            assert!(
                !v.starts_with(['"', '\'', ' '])
                    && !v.ends_with(['"', '\'', ' ']),
                "secret {v:?}"
            );
            if v.starts_with("-----BEGIN") {
                assert!(v.ends_with("-----"));
            }
        }
        Label::IpAddress if !v.contains(':') => {
            let parts: Vec<&str> = v.split('.').collect();
            assert_eq!(parts.len(), 4);
            for p in parts {
                assert!(
                    p.parse::<u8>().is_ok()
                        && (p == "0" || !p.starts_with('0')),
                    "ip {v}"
                );
            }
        }
        _ => {}
    }
}

#[test]
fn labelled_values_are_valid() {
    let mut seen = std::collections::BTreeSet::new();
    for set in Set::ALL {
        for d in docs(set, 400) {
            for s in &d.spans {
                check_value(s.label, &s.surface);
                seen.insert(s.label);
            }
        }
    }
    for l in Label::ALL {
        assert!(seen.contains(&l), "label {l:?} never generated");
    }
}

/// Markers that must never occur outside a labelled span in positive sets.
const UNLABELLED_FORBIDDEN: &[&str] = &[
    "http://",
    "https://",
    "www.",
    "-----BEGIN",
    "AKIA",
    "ghp_",
    "sk-ant-",
    "xoxb-",
    "eyJ",
];

#[test]
fn no_unlabelled_lookalikes_outside_spans() {
    for set in Set::ALL {
        for d in docs(set, 300) {
            let mut masked = d.text.clone().into_bytes();
            for s in &d.spans {
                masked[s.byte_start..s.byte_end].fill(b'#');
            }
            let masked = String::from_utf8_lossy(&masked);
            for m in UNLABELLED_FORBIDDEN {
                assert!(
                    !masked.contains(m),
                    "{set:?}: unlabelled {m} in {:?}",
                    d.text
                );
            }
            if set != Set::Negatives {
                assert!(!masked.contains("example.com"), "{:?}", d.text);
            }
        }
    }
}

#[test]
fn size_parsing() {
    assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
    assert_eq!(parse_size("10M").unwrap(), 10_000_000);
    assert_eq!(parse_size("123").unwrap(), 123);
    assert!(parse_size("12Q").is_err());
}
