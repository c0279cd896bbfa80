//! Masked renderings of matched values, for output that people read.
//!
//! Findings are shown masked unless the user asks to reveal them, so the
//! mask must keep enough shape to recognise a value's kind and nothing
//! that identifies it.

use crate::kind::Kind;

/// Renders `value` (the matched bytes) masked, e.g. `j***@e***.com`.
///
/// E-mails keep the first character of the local part and the domain and
/// the top-level domain; secrets keep at most a four-byte prefix (the
/// vendor marker such as `ghp_`) and hide their length; names, places,
/// organisations and addresses keep only their separators (two letters
/// of a name say too much); everything else keeps separators and the
/// last two characters of values of eight or more characters. Invalid
/// UTF-8 is masked like any other byte.
///
/// # Example
///
/// ```
/// use hush_detect::{mask, Kind};
///
/// assert_eq!(mask(Kind::Email, b"jane@example.com"), "j***@e***.com");
/// assert_eq!(mask(Kind::Ssn, b"536-22-1234"), "***-**-**34");
/// assert_eq!(mask(Kind::Secret, b"ghp_abcdefghijklmnop"), "ghp_********");
/// assert_eq!(mask(Kind::Person, b"Dana Whitfield"), "**** *********");
/// ```
pub fn mask(kind: Kind, value: &[u8]) -> String {
    match kind {
        Kind::Email => mask_email(value),
        Kind::Secret => {
            let keep = (value.len() / 4).min(4);
            let prefix: String = value[..keep]
                .iter()
                .map(|&b| if b.is_ascii_graphic() { b as char } else { '*' })
                .collect();
            format!("{prefix}********")
        }
        Kind::Person | Kind::Location | Kind::Organization | Kind::Address => {
            String::from_utf8_lossy(value)
                .chars()
                .map(|c| if c.is_alphanumeric() { '*' } else { c })
                .collect()
        }
        _ => mask_generic(value),
    }
}

fn mask_generic(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let chars: Vec<char> = text.chars().collect();
    let alnum = chars.iter().filter(|c| c.is_alphanumeric()).count();
    let keep_tail = if alnum >= 8 { 2 } else { 0 };
    let mut seen = 0;
    chars
        .iter()
        .map(|&c| {
            if c.is_alphanumeric() {
                seen += 1;
                if seen > alnum - keep_tail {
                    c
                } else {
                    '*'
                }
            } else if c == char::REPLACEMENT_CHARACTER || c.is_whitespace() {
                if c.is_whitespace() {
                    c
                } else {
                    '*'
                }
            } else {
                c
            }
        })
        .collect()
}

fn mask_email(value: &[u8]) -> String {
    let Some(at) = value.iter().rposition(|&b| b == b'@') else {
        return mask_generic(value);
    };
    let (local, domain) = (&value[..at], &value[at + 1..]);
    let first = |s: &[u8]| -> String {
        String::from_utf8_lossy(s)
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default()
    };
    let tld = match domain.iter().rposition(|&b| b == b'.') {
        Some(dot) => String::from_utf8_lossy(&domain[dot..]).into_owned(),
        None => String::new(),
    };
    format!("{}***@{}***{}", first(local), first(domain), tld)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_contain_the_middle() {
        let m = mask(Kind::CreditCard, b"4539 1488 0343 6467");
        assert_eq!(m, "**** **** **** **67");
        let m = mask(Kind::Phone, b"(415) 555-0132");
        assert_eq!(m, "(***) ***-**32");
        assert_eq!(mask(Kind::Ssn, b"\xff\xfe"), "**");
        assert_eq!(mask(Kind::Email, b"@"), "***@***");
    }
}
