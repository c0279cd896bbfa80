//! Check-digit and encoding algorithms (Luhn, IBAN mod-97, NHS mod-11,
//! ABA 3-7-1, Base58Check, Bech32, Base64) implemented locally so that the
//! synthetic identifiers are valid without depending on any hush crate: the
//! corpora must be an independent oracle for the detector.

use sha2::{Digest, Sha256};

/// Luhn check digit for `payload` (digits 0-9, without the check digit).
pub fn luhn_check_digit(payload: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, &d) in payload.iter().rev().enumerate() {
        let mut v = u32::from(d);
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

/// Whether the digits of `s` (other characters ignored) pass Luhn.
#[cfg(test)]
pub fn luhn_valid(s: &str) -> bool {
    let digits: Vec<u8> =
        s.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    match digits.split_last() {
        Some((&check, payload)) => luhn_check_digit(payload) == check,
        None => false,
    }
}

/// Remainder modulo 97 of the ISO 7064 numeric form of `s` (letters map
/// to 10..35).
fn mod97(s: &str) -> u32 {
    let mut r = 0u32;
    for c in s.chars() {
        let v = c.to_digit(36).expect("alphanumeric");
        if v >= 10 {
            r = (r * 100 + v) % 97;
        } else {
            r = (r * 10 + v) % 97;
        }
    }
    r
}

/// The two IBAN check digits for `country` + `bban`.
pub fn iban_check_digits(country: &str, bban: &str) -> u32 {
    let rearranged = format!("{bban}{country}00");
    98 - mod97(&rearranged)
}

/// Whether a compact or space-grouped IBAN passes mod-97.
pub fn iban_valid(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 5 || !compact.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return false;
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    mod97(&rearranged) == 1
}

/// NHS number check digit (mod 11, weights 10..2); `None` when the
/// remainder gives 10, which no issued number uses.
pub fn nhs_check_digit(payload: &[u8; 9]) -> Option<u8> {
    let sum: u32 = payload
        .iter()
        .zip((2..=10).rev())
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        d => Some(d as u8),
    }
}

/// ABA routing number check digit: 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9)
/// must be a multiple of 10.
pub fn aba_check_digit(d: &[u8; 8]) -> u8 {
    let s = 3 * (u32::from(d[0]) + u32::from(d[3]) + u32::from(d[6]))
        + 7 * (u32::from(d[1]) + u32::from(d[4]) + u32::from(d[7]))
        + u32::from(d[2])
        + u32::from(d[5]);
    ((10 - s % 10) % 10) as u8
}

const B58: &[u8] =
    b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Plain Base58 (Bitcoin alphabet).
pub fn base58(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    let mut digits: Vec<u8> = Vec::new(); // little-endian base-58 digits
    for &b in &bytes[zeros..] {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut out = String::with_capacity(zeros + digits.len());
    out.extend(std::iter::repeat_n('1', zeros));
    out.extend(digits.iter().rev().map(|&d| B58[d as usize] as char));
    out
}

/// First four bytes of SHA-256(SHA-256(data)).
pub fn double_sha256_checksum(data: &[u8]) -> [u8; 4] {
    let h = Sha256::digest(Sha256::digest(data));
    [h[0], h[1], h[2], h[3]]
}

/// Base58Check of `version || payload || checksum`.
pub fn base58check(version: u8, payload: &[u8]) -> String {
    let mut v = Vec::with_capacity(payload.len() + 5);
    v.push(version);
    v.extend_from_slice(payload);
    let c = double_sha256_checksum(&v);
    v.extend_from_slice(&c);
    base58(&v)
}

const BECH32_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn bech32_polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] =
        [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];
    let mut chk: u32 = 1;
    for &v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn bech32_hrp_expand(hrp: &str) -> Vec<u8> {
    let mut v: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    v.push(0);
    v.extend(hrp.bytes().map(|b| b & 31));
    v
}

/// Regroup 8-bit bytes into 5-bit groups (with padding).
pub fn to_5bit(data: &[u8]) -> Vec<u8> {
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut out = Vec::new();
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (5 - bits)) & 31) as u8);
    }
    out
}

/// BIP-173 Bech32 encoding of 5-bit `data` under `hrp`.
pub fn bech32_encode(hrp: &str, data: &[u8]) -> String {
    let mut values = bech32_hrp_expand(hrp);
    values.extend_from_slice(data);
    values.extend_from_slice(&[0; 6]);
    let pm = bech32_polymod(&values) ^ 1;
    let mut out = String::from(hrp);
    out.push('1');
    for &d in data {
        out.push(BECH32_CHARSET[d as usize] as char);
    }
    for i in 0..6 {
        out.push(
            BECH32_CHARSET[((pm >> (5 * (5 - i))) & 31) as usize] as char,
        );
    }
    out
}

/// Whether a Bech32 string has a valid BIP-173 checksum.
#[cfg(test)]
pub fn bech32_valid(s: &str) -> bool {
    let Some(pos) = s.rfind('1') else { return false };
    let (hrp, data) = (&s[..pos], &s[pos + 1..]);
    let mut values = bech32_hrp_expand(hrp);
    for c in data.bytes() {
        match BECH32_CHARSET.iter().position(|&x| x == c) {
            Some(i) => values.push(i as u8),
            None => return false,
        }
    }
    bech32_polymod(&values) == 1
}

const B64_STD: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_URL: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64_with(data: &[u8], alphabet: &[u8], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n =
            (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let emit = chunk.len() + 1;
        for i in 0..4 {
            if i < emit {
                out.push(
                    alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char,
                );
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Standard Base64 with padding.
pub fn base64(data: &[u8]) -> String {
    base64_with(data, B64_STD, true)
}

/// Base64url without padding (JWT segments).
pub fn base64url(data: &[u8]) -> String {
    base64_with(data, B64_URL, false)
}

#[cfg(test)]
pub fn base58_decode(s: &str) -> Option<Vec<u8>> {
    let zeros = s.bytes().take_while(|&b| b == b'1').count();
    let mut bytes: Vec<u8> = Vec::new(); // little-endian
    for c in s.bytes().skip(zeros) {
        let mut carry = B58.iter().position(|&x| x == c)? as u32;
        for b in bytes.iter_mut() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; zeros];
    out.extend(bytes.iter().rev());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known() {
        assert!(luhn_valid("4111 1111 1111 1111"));
        assert!(luhn_valid("378282246310005"));
        assert!(!luhn_valid("4111111111111112"));
        assert_eq!(luhn_check_digit(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1]), 3);
    }

    #[test]
    fn iban_known() {
        assert!(iban_valid("DE89 3704 0044 0532 0130 00"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("DE88370400440532013000"));
        assert_eq!(iban_check_digits("DE", "370400440532013000"), 89);
    }

    #[test]
    fn nhs_and_aba_known() {
        assert_eq!(nhs_check_digit(&[9, 4, 3, 4, 7, 6, 5, 9, 1]), Some(9));
        // 011000015 (Federal Reserve Bank of Boston)
        assert_eq!(aba_check_digit(&[0, 1, 1, 0, 0, 0, 0, 1]), 5);
    }

    #[test]
    fn base58check_known() {
        let s = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
        let raw = base58_decode(s).unwrap();
        assert_eq!(raw.len(), 25);
        assert_eq!(double_sha256_checksum(&raw[..21]), raw[21..]);
        assert_eq!(base58check(raw[0], &raw[1..21]), s);
    }

    #[test]
    fn bech32_known() {
        let prog = [
            0x75, 0x1e, 0x76, 0xe8, 0x19, 0x91, 0x96, 0xd4, 0x54, 0x94, 0x1c,
            0x45, 0xd1, 0xb3, 0xa3, 0x23, 0xf1, 0x43, 0x3b, 0xd6,
        ];
        let mut data = vec![0u8];
        data.extend(to_5bit(&prog));
        let s = bech32_encode("bc", &data);
        assert_eq!(s, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
        assert!(bech32_valid(&s));
    }

    #[test]
    fn base64_known() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64url(b"{\"alg\":\"HS256\"}"), "eyJhbGciOiJIUzI1NiJ9");
    }
}
