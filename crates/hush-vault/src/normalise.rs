//! Normalisation of values before they are keyed.
//!
//! Trivial variants of one value must get one pseudonym: `Jane.Roe@ACME.io`
//! and `Jane.Roe@acme.io`, `4111 1111 1111 1111` and `4111-1111-1111-1111`,
//! `Jane  Roe` and `Jane Roe`. Each kind says which differences are
//! trivial. The rules are deliberately conservative: the local part of an
//! e-mail address keeps its case (RFC 5321 makes it significant), and a
//! name keeps its case, only its whitespace is collapsed.

use hush_detect::Kind;

/// Writes the normal form of `value` for `kind` into `out` (cleared
/// first). Two values with the same normal form get the same pseudonym.
///
/// - `EMAIL`: the domain is lower-cased, the local part is kept.
/// - `PHONE`, `CREDIT_CARD`, `SSN`, `US_ITIN`: digits only (a leading `+`
///   is kept for phones).
/// - `IBAN`, `MAC_ADDRESS`, `CRYPTO_WALLET` (hex forms), `ID_NUMBER`:
///   separators removed, upper-cased, except for wallets, whose case can
///   be significant (base58), so only whitespace is removed.
/// - `IP_ADDRESS`: lower-cased.
/// - everything else (names, places, secrets, URLs, dates): runs of
///   whitespace collapsed to one space, trimmed.
///
/// # Example
///
/// ```
/// use hush_detect::Kind;
/// use hush_vault::normalise;
///
/// let mut out = String::new();
/// normalise(Kind::Email, "Jane.Roe@ACME.io", &mut out);
/// assert_eq!(out, "Jane.Roe@acme.io");
/// normalise(Kind::CreditCard, "4111-1111 1111-1111", &mut out);
/// assert_eq!(out, "4111111111111111");
/// normalise(Kind::Person, " Jane \n Roe ", &mut out);
/// assert_eq!(out, "Jane Roe");
/// ```
pub fn normalise(kind: Kind, value: &str, out: &mut String) {
    out.clear();
    match kind {
        Kind::Email => {
            let v = value.trim();
            match memchr::memrchr(b'@', v.as_bytes()) {
                Some(at) => {
                    out.reserve(v.len());
                    out.push_str(&v[..=at]);
                    let domain = &v[at + 1..];
                    if domain.is_ascii() {
                        let start = out.len();
                        out.push_str(domain);
                        out[start..].make_ascii_lowercase();
                    } else {
                        for c in domain.chars() {
                            out.extend(c.to_lowercase());
                        }
                    }
                }
                None => out.push_str(v),
            }
        }
        Kind::Phone => {
            if value.trim_start().starts_with('+') {
                out.push('+');
            }
            out.extend(value.chars().filter(char::is_ascii_digit));
        }
        Kind::CreditCard | Kind::Ssn | Kind::UsItin => {
            out.extend(value.chars().filter(char::is_ascii_digit));
        }
        Kind::Iban | Kind::MacAddress | Kind::IdNumber => {
            for c in value.chars().filter(|c| c.is_alphanumeric()) {
                out.extend(c.to_uppercase());
            }
        }
        Kind::CryptoWallet => {
            out.extend(value.chars().filter(|c| !c.is_whitespace()));
        }
        Kind::IpAddress => {
            for c in value.trim().chars() {
                out.extend(c.to_lowercase());
            }
        }
        _ => {
            for word in value.split_whitespace() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
    }
    if out.is_empty() {
        // A value made only of separators keeps its own form, so that it
        // does not collide with every other such value.
        out.push_str(value);
    }
}

/// The normal form of `value`: `value` itself when it is already in
/// normal form (checked without copying for the common ASCII shapes),
/// else [`normalise`]d into `out`. Always equal to what [`normalise`]
/// writes.
pub(crate) fn normal_form<'a>(
    kind: Kind,
    value: &'a str,
    out: &'a mut String,
) -> &'a str {
    if is_normal(kind, value) {
        return value;
    }
    normalise(kind, value, out);
    out
}

/// Whether `normalise` would give `value` back unchanged; `false` when
/// unsure (the caller then normalises).
fn is_normal(kind: Kind, value: &str) -> bool {
    let v = value.as_bytes();
    // What `char::is_whitespace` (and so `trim`/`split_whitespace`) says
    // of an ASCII byte.
    fn ws(b: u8) -> bool {
        matches!(b, b' ' | b'\t'..=b'\r')
    }
    match kind {
        Kind::Email => {
            let (Some(&first), Some(&last)) = (v.first(), v.last()) else {
                return false;
            };
            if ws(first) || ws(last) {
                return false;
            }
            if !(first.is_ascii() && last.is_ascii())
                && value.trim().len() != value.len()
            {
                return false;
            }
            // The domain, from the end: ASCII without capitals, up to
            // the last `@` (e-mails are short: no `memrchr` set-up).
            for &b in v.iter().rev() {
                if b == b'@' {
                    return true;
                }
                if !b.is_ascii() || b.is_ascii_uppercase() {
                    return false;
                }
            }
            false
        }
        Kind::Phone => {
            let d = v.strip_prefix(b"+").unwrap_or(v);
            !d.is_empty() && d.iter().all(u8::is_ascii_digit)
        }
        Kind::CreditCard | Kind::Ssn | Kind::UsItin => {
            !v.is_empty() && v.iter().all(u8::is_ascii_digit)
        }
        Kind::Iban | Kind::MacAddress | Kind::IdNumber => {
            !v.is_empty()
                && v.iter()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        }
        Kind::CryptoWallet => {
            !v.is_empty() && v.iter().all(|&b| b.is_ascii() && !ws(b))
        }
        Kind::IpAddress => {
            !v.is_empty()
                && !ws(v[0])
                && !ws(v[v.len() - 1])
                && v.iter().all(|&b| b.is_ascii() && !b.is_ascii_uppercase())
        }
        _ => {
            let mut prev_space = true;
            for &b in v {
                if !b.is_ascii() || (ws(b) && (b != b' ' || prev_space)) {
                    return false;
                }
                prev_space = b == b' ';
            }
            !v.is_empty() && !prev_space
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(kind: Kind, v: &str) -> String {
        let mut out = String::new();
        normalise(kind, v, &mut out);
        out
    }

    #[test]
    fn variants_map_together() {
        assert_eq!(n(Kind::Phone, "+1 (415) 555-0100"), "+14155550100");
        assert_eq!(n(Kind::Phone, "415.555.0100"), "4155550100");
        assert_eq!(
            n(Kind::Iban, "de89 3704 0044 0532 0130 00"),
            "DE89370400440532013000"
        );
        assert_eq!(n(Kind::MacAddress, "aa:bb:cc:dd:ee:ff"), "AABBCCDDEEFF");
        assert_eq!(n(Kind::IpAddress, "FE80::1"), "fe80::1");
        assert_eq!(n(Kind::Email, "a@B.c"), "a@b.c");
        assert_eq!(n(Kind::Email, "A@b.c"), "A@b.c");
        assert_eq!(n(Kind::Phone, "--"), "--");
    }

    proptest::proptest! {
        /// The no-copy check agrees with `normalise` for every kind.
        #[test]
        fn normal_form_equals_normalise(
            v in "[ a-zA-Z0-9@+.\t\n\u{b}\u{c}\r\u{a0}\u{85}\u{2003}é\u{130}Σ-]{0,12}",
        ) {
            for &kind in Kind::ALL {
                let mut out = String::new();
                let got = normal_form(kind, &v, &mut out).to_string();
                proptest::prop_assert_eq!(got, n(kind, &v), "{:?} {:?}", kind, v);
            }
        }
    }

    #[test]
    fn normal_form_shapes() {
        let cases = [
            (Kind::Email, "a@b.io", true),
            (Kind::Email, "A@b.io", true),
            (Kind::Email, "a@B.io", false),
            (Kind::Email, " a@b.io", false),
            (Kind::Phone, "+14155550100", true),
            (Kind::Phone, "415 555", false),
            (Kind::Person, "Jane Roe", true),
            (Kind::Person, "Jane  Roe", false),
            (Kind::Person, "Jane Roe ", false),
            (Kind::IpAddress, "fe80::1", true),
            (Kind::Iban, "DE89370400440532013000", true),
        ];
        for (kind, v, normal) in cases {
            assert_eq!(is_normal(kind, v), normal, "{kind:?} {v:?}");
            let mut out = String::new();
            assert_eq!(normal_form(kind, v, &mut out), n(kind, v));
        }
    }
}
