//! The client key format, `hush_<keyid>_<secret>`, in one place: how a
//! key is made, how a presented string is split, and the salted hash
//! that is all the store keeps of the secret.
//!
//! The key id (12 characters of lowercase RFC 4648 base32, 60 random
//! bits) names the key in lists and logs and is the lookup key of the
//! ring; it is not secret. The secret is 32 random bytes in the same
//! alphabet (52 characters). The prefix makes a leaked key easy to spot
//! with secret scanners.
//!
//! Why HMAC-SHA256 and not a slow password hash: the secret has 256 bits
//! of entropy, so there is nothing to brute-force and no need to slow an
//! attacker down, while the proxy checks a key on every request. A
//! per-key random salt (the HMAC key) still makes every stored hash
//! unique and useless on any other store.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::KeyError;

/// The text every client key starts with.
pub const KEY_PREFIX: &str = "hush_";
/// Characters in a key id.
pub const KEY_ID_LEN: usize = 12;
/// Characters in the secret part of a key (32 bytes in base32).
pub const SECRET_LEN: usize = 52;
/// Bytes of salt per key.
pub(crate) const SALT_LEN: usize = 16;

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Fills `buf` from the operating system's generator.
pub(crate) fn random(buf: &mut [u8]) -> Result<(), KeyError> {
    getrandom::getrandom(buf).map_err(|e| KeyError::Random(e.to_string()))
}

/// Lowercase base32 without padding.
pub(crate) fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn is_b32(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

/// A fresh random key id.
pub(crate) fn new_key_id() -> Result<String, KeyError> {
    let mut b = [0u8; 8];
    random(&mut b)?;
    let mut id = base32(&b);
    id.truncate(KEY_ID_LEN);
    Ok(id)
}

/// A fresh random secret.
pub(crate) fn new_secret() -> Result<String, KeyError> {
    let mut b = [0u8; 32];
    random(&mut b)?;
    let s = base32(&b);
    zeroize::Zeroize::zeroize(&mut b);
    Ok(s)
}

/// Whether `s` has the shape of a key id.
pub(crate) fn is_key_id(s: &str) -> bool {
    s.len() == KEY_ID_LEN && is_b32(s)
}

/// Splits a presented key into its id and secret, or `None` when it does
/// not have the shape of a hush client key. Never panics, whatever the
/// input.
pub(crate) fn split_key(presented: &str) -> Option<(&str, &str)> {
    let rest = presented.strip_prefix(KEY_PREFIX)?;
    if rest.len() != KEY_ID_LEN + 1 + SECRET_LEN {
        return None;
    }
    let (id, tail) = rest.split_at_checked(KEY_ID_LEN)?;
    let secret = tail.strip_prefix('_')?;
    (is_b32(id) && is_b32(secret)).then_some((id, secret))
}

/// The key id of a presented client key, when it has the shape of one.
///
/// The id is not secret: use it to name the caller in logs and audit
/// records, even for requests that are then denied. The rest of the
/// key is never returned.
///
/// # Example
///
/// ```
/// let key = format!("hush_abcdefgh2345_{}", "a".repeat(52));
/// assert_eq!(hush_keys::key_id_of(&key), Some("abcdefgh2345"));
/// assert_eq!(hush_keys::key_id_of("sk-ant-api03-..."), None);
/// assert_eq!(hush_keys::key_id_of(""), None);
/// ```
pub fn key_id_of(presented: &str) -> Option<&str> {
    split_key(presented.trim()).map(|(id, _)| id)
}

/// The keyed MAC of a secret under its salt, ready to hash a secret.
pub(crate) fn mac_for(salt: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    <HmacSha256 as Mac>::new_from_slice(salt).expect("any key length")
}

/// HMAC-SHA256(salt, secret).
pub(crate) fn hash_secret(salt: &[u8], secret: &str) -> [u8; 32] {
    let mut m = mac_for(salt);
    m.update(secret.as_bytes());
    m.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648_vectors() {
        // RFC 4648 section 10, lowercased, without padding.
        let cases = [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ];
        for (input, want) in cases {
            assert_eq!(base32(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn fresh_keys_split_back() {
        let id = new_key_id().unwrap();
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), SECRET_LEN);
        let key = format!("{KEY_PREFIX}{id}_{secret}");
        assert_eq!(split_key(&key), Some((id.as_str(), secret.as_str())));
        assert!(is_key_id(&id));
    }

    #[test]
    fn malformed_keys_do_not_split() {
        let good = format!("hush_{}_{}", "a".repeat(12), "b".repeat(52));
        assert!(split_key(&good).is_some());
        for bad in [
            String::new(),
            "hush_".into(),
            good.replace("hush_", "hash_"),
            good.to_uppercase(),
            format!("{good}c"),
            good[..good.len() - 1].to_string(),
            good.replacen('_', "-", 2),
            format!("hush_{}_{}", "a".repeat(11), "b".repeat(53)),
            format!("hush_{}é{}", "a".repeat(11), "b".repeat(52)),
            format!("hush_{}_{}1", "a".repeat(12), "b".repeat(51)),
        ] {
            assert_eq!(split_key(&bad), None, "{bad:?}");
        }
    }
}
