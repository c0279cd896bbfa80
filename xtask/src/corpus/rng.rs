//! The seeded random source and small sampling helpers. ChaCha8 is a
//! portable, value-stable algorithm, so a seed gives the same corpus on
//! every machine.

use rand::{Rng as _, RngCore, SeedableRng};

pub type Rng = rand_chacha::ChaCha8Rng;

pub fn seeded(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// Uniform integer in `lo..=hi`.
pub fn int(rng: &mut Rng, lo: u64, hi: u64) -> u64 {
    rng.random_range(lo..=hi)
}

/// Uniform index below `n`.
pub fn idx(rng: &mut Rng, n: usize) -> usize {
    rng.random_range(0..n)
}

pub fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.random_bool(p)
}

pub fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[idx(rng, items.len())]
}

/// `n` characters drawn uniformly from `charset` (ASCII).
pub fn chars_from(rng: &mut Rng, charset: &[u8], n: usize) -> String {
    (0..n).map(|_| charset[idx(rng, charset.len())] as char).collect()
}

pub const DIGITS: &[u8] = b"0123456789";
pub const ALNUM: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const URLSAFE: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
pub const HEX_LOWER: &[u8] = b"0123456789abcdef";
pub const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";

pub fn digits(rng: &mut Rng, n: usize) -> String {
    chars_from(rng, DIGITS, n)
}

pub fn digit_vec(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| int(rng, 0, 9) as u8).collect()
}

pub fn hex(rng: &mut Rng, n: usize) -> String {
    chars_from(rng, HEX_LOWER, n)
}

pub fn bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng.fill_bytes(&mut v);
    v
}

pub fn join_digits(d: &[u8]) -> String {
    d.iter().map(|&x| char::from(b'0' + x)).collect()
}
