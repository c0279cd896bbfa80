//! Chunking invariance of streaming restore: for any text and any way of
//! cutting it, restoring the pieces with `Scope::restore_settled` gives
//! exactly `Scope::restore` of the whole, and never holds back more than
//! `Vault::max_restore_hold`.

use hush_detect::Kind;
use hush_vault::{Key, Operator, Policy, Vault, RESTORE_CONTEXT};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// A vault with a few issued tags and surrogates, and their pseudonyms.
fn fixture() -> (Vault, Vec<String>) {
    let policy = Policy::default()
        .with_operator(Kind::Person, Operator::Surrogate)
        .unwrap();
    let vault = Vault::in_memory(Key::from_bytes([7; 32]), policy).unwrap();
    let s = vault.scope("chat");
    let mut out = Vec::new();
    for (kind, v) in [
        (Kind::Email, "jane.roe@acme.io"),
        (Kind::Email, "bob@example.org"),
        (Kind::Phone, "+1 415 555 0100"),
        (Kind::CreditCard, "4111 1111 1111 1111"),
        (Kind::IpAddress, "10.0.0.1"),
        (Kind::Person, "Jane Roe"),
        (Kind::Person, "Bob Stone"),
    ] {
        out.push(s.pseudonymise(kind, v).unwrap());
    }
    (vault, out)
}

/// Streams `text` through `restore_settled` cut at `cuts`; returns the
/// output and the largest hold.
fn stream(vault: &Vault, text: &str, cuts: &[usize]) -> (String, usize) {
    let s = vault.scope("chat");
    let mut buf = String::new();
    let mut from = 0;
    let mut out = String::new();
    let mut worst = 0;
    let mut last = 0;
    for &cut in cuts.iter().chain(std::iter::once(&text.len())) {
        // Cuts inside a character wait for the rest of it, as a byte
        // stream decoder would.
        if !text.is_char_boundary(cut) {
            continue;
        }
        buf.push_str(&text[last..cut]);
        last = cut;
        let at_end = cut == text.len();
        let (part, p) = s.restore_settled(&buf, from, at_end).unwrap();
        out.push_str(part.text());
        worst = worst.max(buf.len() - p);
        let mut keep = p.saturating_sub(RESTORE_CONTEXT);
        while !buf.is_char_boundary(keep) {
            keep -= 1;
        }
        buf.drain(..keep);
        from = p - keep;
    }
    (out, worst)
}

fn echo_forms(p: &str) -> Vec<String> {
    let core = p.trim_matches(['[', ']']);
    vec![
        p.to_string(),
        core.to_string(),
        core.to_lowercase(),
        format!("[{core}]"),
        format!("<{core}>"),
        format!("&lt;{core}&gt;"),
        format!("({core})"),
        format!("[[ {core} ]]"),
        core.replacen('-', "\\-", 1),
        core.replacen('-', "-\n  ", 1),
        format!("{p}'s"),
    ]
}

fn piece(pseudonyms: Vec<String>) -> impl Strategy<Value = String> {
    let forms: Vec<String> =
        pseudonyms.iter().flat_map(|p| echo_forms(p)).collect();
    prop_oneof![
        4 => select(forms),
        3 => select(vec![
            " ", ". ", "\n", "[", "[[", "]]", "(", ")", "<", "&lt;", "EMAIL",
            "EMAIL-", "PERSON-99", "[[PHONE-1234", "x", "Jane", "Bob ",
            "Ro", "é", "中文", "\u{2011}", "-", "123", "  ",
        ])
        .prop_map(str::to_string),
        2 => "[a-zA-Z0-9 .,]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn restore_is_chunking_invariant(
        pieces in vec(piece(fixture().1), 0..24),
        cuts in vec(any::<prop::sample::Index>(), 0..16),
    ) {
        let (vault, _) = fixture();
        let text = pieces.concat();
        let whole = vault.scope("chat").restore(&text).unwrap();
        let mut cuts: Vec<usize> =
            cuts.iter().map(|i| i.index(text.len() + 1)).collect();
        cuts.sort_unstable();
        let (streamed, worst) = stream(&vault, &text, &cuts);
        prop_assert_eq!(&streamed, whole.text());
        prop_assert!(worst <= vault.max_restore_hold());
    }
}

/// Every split point, and one-byte chunks, of texts full of pseudonyms.
#[test]
fn restore_every_split_point() {
    let (vault, ps) = fixture();
    for p in &ps {
        for form in echo_forms(p) {
            let text = format!("Hi {form}, and [[EMAIL-1] x {form}.");
            let whole = vault.scope("chat").restore(&text).unwrap();
            for cut in 0..=text.len() {
                let (streamed, _) = stream(&vault, &text, &[cut]);
                assert_eq!(streamed, whole.text(), "cut at {cut}: {text:?}");
            }
            let ones: Vec<usize> = (1..text.len()).collect();
            assert_eq!(stream(&vault, &text, &ones).0, whole.text());
        }
    }
}

/// Only what could still become a pseudonym is held back.
#[test]
fn restore_holds_back_only_pseudonym_prefixes() {
    let (vault, ps) = fixture();
    let s = vault.scope("chat");
    let name = &ps[5];
    let cut = name.char_indices().nth(2).map_or(name.len(), |(i, _)| i);
    let almost = &name[..name.len() - 1];
    for (text, held) in [
        ("plain words ".to_string(), 0),
        ("a [".to_string(), 1),
        ("a [x".to_string(), 0),
        ("see [[EMAIL-48".to_string(), "[[EMAIL-48".len()),
        ("call Ja".to_string(), 0),
        (format!("call {}", &name[..cut]), cut),
        (format!("Dear {almost}"), almost.len()),
        (format!("Dear {name}"), name.len()),
        (format!("Dear {name}, hi"), 0),
        ("a (b) c".to_string(), 1),
        ("a (b) x".to_string(), 0),
        ("EMAIL-123456.".to_string(), 0),
        // Only labels of kinds the scope issued tags for: PERSON values
        // got surrogates here, so a PERSON tag cannot be one of ours.
        ("see [[PERSON-12".to_string(), 0),
        ("see [[PH".to_string(), 4),
        ("see &l".to_string(), 2),
    ] {
        let (_, p) = s.restore_settled(&text, 0, false).unwrap();
        assert_eq!(text.len() - p, held, "{text:?}");
    }
}
