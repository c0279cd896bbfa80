//! Realistic fakes of the same format, for the `surrogate` operator.
//!
//! A surrogate must look like the real thing (so that the model reasons
//! about it as usual) while being unable to reach a real person: e-mails
//! go to the reserved `example.*` domains (RFC 2606), cards use test
//! BINs with a valid Luhn digit, phone numbers use the ranges reserved
//! for fiction (NANP 555-0100..0199, Ofcom 07700 900xxx), IP addresses
//! the documentation ranges (RFC 5737, RFC 3849), MAC addresses the
//! documentation block (RFC 7042), IBANs keep the country and shape but
//! get random digits and freshly computed check digits. Names, places and
//! companies come from the `fake` crate. Everything is drawn from an RNG
//! seeded by a keyed HMAC, so a surrogate is stable within a scope; the
//! vault checks that it differs from every real value and every other
//! pseudonym of the scope.

use fake::faker::address::en::CityName;
use fake::faker::company::en::CompanyName;
use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use hush_detect::Kind;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Builds the surrogate of `original` (of `kind`) from a 32-byte seed.
pub(crate) fn surrogate(kind: Kind, original: &str, seed: [u8; 32]) -> String {
    let mut rng = StdRng::from_seed(seed);
    match kind {
        Kind::Email => {
            let first: String = FirstName().fake_with_rng(&mut rng);
            let last: String = LastName().fake_with_rng(&mut rng);
            let domain = ["example.com", "example.org", "example.net"]
                [rng.random_range(0..3)];
            let local: String = format!("{first}.{last}")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect::<String>()
                .to_ascii_lowercase();
            format!("{local}@{domain}")
        }
        // Always a full name, even for a one-word original: restore
        // replaces exact matches of a surrogate, and a lone given name
        // from the fake lists can be an everyday word ("August", "May",
        // "Will") that also occurs in the text unredacted.
        Kind::Person => {
            let _ = original;
            let first: String = FirstName().fake_with_rng(&mut rng);
            let last: String = LastName().fake_with_rng(&mut rng);
            format!("{first} {last}")
        }
        Kind::Location => CityName().fake_with_rng(&mut rng),
        Kind::Organization => CompanyName().fake_with_rng(&mut rng),
        Kind::CreditCard => card(original, &mut rng),
        Kind::Phone => phone(original, &mut rng),
        Kind::IpAddress => {
            if original.contains(':') {
                format!(
                    "2001:db8:{:x}:{:x}::{:x}",
                    rng.random_range(0..0x10000u32),
                    rng.random_range(0..0x10000u32),
                    rng.random_range(1..0x10000u32)
                )
            } else {
                let net = ["192.0.2", "198.51.100", "203.0.113"]
                    [rng.random_range(0..3)];
                format!("{net}.{}", rng.random_range(1..255u32))
            }
        }
        Kind::MacAddress => {
            let sep = if original.contains('-') { "-" } else { ":" };
            let b: u8 = rng.random();
            ["00", "00", "5E", "00", "53", &format!("{b:02X}")].join(sep)
        }
        Kind::Iban => iban(original, &mut rng),
        Kind::Url => {
            let path: String = (0..8)
                .map(|_| rng.random_range(b'a'..=b'z') as char)
                .collect();
            format!("https://example.com/{path}")
        }
        Kind::Ssn => {
            // Area 666 is never issued (SSA).
            let mut s = shape(original, &mut rng);
            let mut n = 0;
            s = s
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() && n < 3 {
                        n += 1;
                        '6'
                    } else {
                        c
                    }
                })
                .collect();
            s
        }
        _ => shape(original, &mut rng),
    }
}

/// Keeps the shape of `original`: each digit becomes a random digit, each
/// letter a random letter of the same case, the rest stays.
fn shape(original: &str, rng: &mut StdRng) -> String {
    original
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                rng.random_range(b'0'..=b'9') as char
            } else if c.is_ascii_uppercase() {
                rng.random_range(b'A'..=b'Z') as char
            } else if c.is_alphabetic() {
                rng.random_range(b'a'..=b'z') as char
            } else {
                c
            }
        })
        .collect()
}

/// Puts `digits` into the digit positions of `original` (separators kept);
/// when the counts differ, returns the bare digits.
fn refill(original: &str, digits: &[u8]) -> String {
    let n = original.chars().filter(char::is_ascii_digit).count();
    if n != digits.len() {
        return digits.iter().map(|&d| (b'0' + d) as char).collect();
    }
    let mut it = digits.iter();
    original
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                (b'0' + it.next().copied().unwrap_or(0)) as char
            } else {
                c
            }
        })
        .collect()
}

fn card(original: &str, rng: &mut StdRng) -> String {
    let len = original.chars().filter(char::is_ascii_digit).count();
    let len = if (13..=19).contains(&len) { len } else { 16 };
    // Test BINs published by card networks for integration testing.
    let bin: &[u8] = [&[4, 0, 0, 0, 0, 0][..], &[5, 5, 5, 5, 5, 5][..]]
        [rng.random_range(0..2)];
    let mut d: Vec<u8> = bin.to_vec();
    while d.len() < len - 1 {
        d.push(rng.random_range(0..10));
    }
    d.push(luhn_check_digit(&d));
    refill(original, &d)
}

/// The Luhn check digit for `payload` (the digits before it).
pub(crate) fn luhn_check_digit(payload: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, &x) in payload.iter().rev().enumerate() {
        let mut v = u32::from(x);
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    ((10 - sum % 10) % 10) as u8
}

fn phone(original: &str, rng: &mut StdRng) -> String {
    let digits: String =
        original.chars().filter(char::is_ascii_digit).collect();
    let tail = rng.random_range(0..1000u32);
    if digits.starts_with("447") || digits.starts_with("07") {
        // Ofcom numbers reserved for drama: 07700 900000..900999.
        if original.trim_start().starts_with('+') {
            format!("+44 7700 900{tail:03}")
        } else {
            format!("07700 900{tail:03}")
        }
    } else {
        // NANP: 555-0100 through 555-0199 are reserved for fiction.
        let area = loop {
            let a = rng.random_range(201..990u32);
            if a % 100 != 11 {
                break a;
            }
        };
        let line = 100 + tail % 100;
        if original.trim_start().starts_with('+') {
            format!("+1 {area}-555-0{line}")
        } else {
            format!("({area}) 555-0{line}")
        }
    }
}

fn iban(original: &str, rng: &mut StdRng) -> String {
    let norm: Vec<char> = original
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let (country, bban): (String, Vec<char>) =
        if norm.len() >= 8 && norm[0].is_ascii_alphabetic() {
            (norm[..2].iter().collect(), norm[4..].to_vec())
        } else {
            ("DE".into(), vec!['0'; 18])
        };
    let bban: String = bban
        .iter()
        .map(|c| {
            if c.is_ascii_digit() {
                rng.random_range(b'0'..=b'9') as char
            } else {
                rng.random_range(b'A'..=b'Z') as char
            }
        })
        .collect();
    let check = 98 - mod97(&format!("{bban}{country}00"));
    let compact = format!("{country}{check:02}{bban}");
    if original.contains(' ') {
        let chars: Vec<char> = compact.chars().collect();
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        compact
    }
}

/// ISO 7064 mod 97-10 over an alphanumeric string (letters as 10..35).
pub(crate) fn mod97(s: &str) -> u32 {
    let mut r = 0u32;
    for c in s.chars() {
        let v = c.to_digit(36).unwrap_or(0);
        r = if v >= 10 { (r * 100 + v) % 97 } else { (r * 10 + v) % 97 };
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let s = surrogate(Kind::CreditCard, "4111 1111 1111 1111", [1; 32]);
        assert_eq!(s.len(), 19);
        let d: Vec<u8> =
            s.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
        assert_eq!(luhn_check_digit(&d[..15]), d[15]);
        let s = surrogate(Kind::Iban, "DE89 3704 0044 0532 0130 00", [2; 32]);
        let compact: String = s.split_whitespace().collect();
        assert_eq!(mod97(&format!("{}{}", &compact[4..], &compact[..4])), 1);
        assert!(surrogate(Kind::Email, "a@b.c", [3; 32]).contains("@example."));
        assert!(surrogate(Kind::Phone, "+1 415 555 2671", [4; 32])
            .contains("555-01"));
        assert!(
            surrogate(Kind::IpAddress, "10.1.2.3", [5; 32]).starts_with("19")
                || surrogate(Kind::IpAddress, "10.1.2.3", [5; 32])
                    .starts_with("203")
        );
        assert_eq!(
            surrogate(Kind::Person, "Jane Roe", [6; 32]),
            surrogate(Kind::Person, "Jane Roe", [6; 32])
        );
    }
}
