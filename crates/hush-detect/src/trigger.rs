//! Stage-1 byte classification: which of 64 bytes are digits and which
//! are single-byte anchors, as bit masks; and, for the name detectors,
//! which may start a capitalised word.
//!
//! This runs over every byte of the input, so it is the one place where
//! hush uses SIMD directly: SSE2 (part of the x86_64 baseline, so no
//! run-time detection is needed) compares 16 bytes at a time and
//! `movemask` turns the result into bits. Other targets use a portable
//! loop with the same results; a test compares the two.

/// Returns `(digits, anchors)`: bit `k` of `digits` is set when
/// `block[k]` is an ASCII digit (and `digits` is on), bit `k` of
/// `anchors` when `block[k]` is one of `bytes` (and `anchor_bytes` is on).
#[inline]
pub(crate) fn block_masks(
    block: &[u8; 64],
    bytes: [u8; 3],
    digits: bool,
    anchor_bytes: bool,
) -> (u64, u64) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: `sse2::block_masks` only requires the `sse2` target
        // feature, which this cfg proves is enabled for the whole build.
        unsafe { sse2::block_masks(block, bytes, digits, anchor_bytes) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        portable_block_masks(block, bytes, digits, anchor_bytes)
    }
}

/// The portable definition of [`block_masks`].
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2"),
    allow(dead_code)
)]
pub(crate) fn portable_block_masks(
    block: &[u8; 64],
    bytes: [u8; 3],
    digits: bool,
    anchor_bytes: bool,
) -> (u64, u64) {
    let mut d = 0u64;
    let mut a = 0u64;
    for (k, &x) in block.iter().enumerate() {
        d |= u64::from(digits && x.is_ascii_digit()) << k;
        a |= u64::from(anchor_bytes && bytes.contains(&x)) << k;
    }
    (d, a)
}

/// Bit `k` is set when `block[k]` may start a capitalised word: an ASCII
/// capital, or a lead byte 0xc3..=0xed of U+00C0..U+D7FF (Latin letters
/// with accents, Greek, Cyrillic, CJK, Hangul).
#[inline]
pub(crate) fn upper_start_mask(block: &[u8; 64]) -> u64 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: `sse2::upper_start_mask` only requires the `sse2` target
        // feature, which this cfg proves is enabled for the whole build.
        unsafe { sse2::upper_start_mask(block) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        portable_upper_start_mask(block)
    }
}

/// The portable definition of [`upper_start_mask`].
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2"),
    allow(dead_code)
)]
pub(crate) fn portable_upper_start_mask(block: &[u8; 64]) -> u64 {
    let mut m = 0u64;
    for (k, &x) in block.iter().enumerate() {
        m |= u64::from(x.is_ascii_uppercase() || (0xc3..=0xed).contains(&x))
            << k;
    }
    m
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use core::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8,
        _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    /// The 16 bytes of `block` at `16 * k` (`k < 4`).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn lane(block: &[u8; 64], k: usize) -> __m128i {
        let lane = &block[16 * k..16 * k + 16];
        // SAFETY: `lane` is exactly 16 readable bytes (the slice above
        // panics otherwise), and `_mm_loadu_si128` has no alignment
        // requirement. SSE2 is enabled on every x86_64 target.
        unsafe { _mm_loadu_si128(lane.as_ptr().cast::<__m128i>()) }
    }

    /// `lo <= x <= hi` for each unsigned byte of `v`, as 0xff / 0x00.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn in_range(v: __m128i, lo: __m128i, hi: __m128i) -> __m128i {
        _mm_and_si128(
            _mm_cmpeq_epi8(_mm_max_epu8(v, lo), v),
            _mm_cmpeq_epi8(_mm_min_epu8(v, hi), v),
        )
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    pub(super) fn upper_start_mask(block: &[u8; 64]) -> u64 {
        let (a, z) = (_mm_set1_epi8(b'A' as i8), _mm_set1_epi8(b'Z' as i8));
        let (lo, hi) =
            (_mm_set1_epi8(0xc3u8 as i8), _mm_set1_epi8(0xedu8 as i8));
        let mut m = 0u64;
        for k in 0..4 {
            let v = lane(block, k);
            let hit = _mm_or_si128(in_range(v, a, z), in_range(v, lo, hi));
            m |= u64::from(_mm_movemask_epi8(hit) as u16) << (16 * k);
        }
        m
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    pub(super) fn block_masks(
        block: &[u8; 64],
        bytes: [u8; 3],
        digits: bool,
        anchor_bytes: bool,
    ) -> (u64, u64) {
        let zero = _mm_set1_epi8(b'0' as i8);
        let nine = _mm_set1_epi8(b'9' as i8);
        let b0 = _mm_set1_epi8(bytes[0] as i8);
        let b1 = _mm_set1_epi8(bytes[1] as i8);
        let b2 = _mm_set1_epi8(bytes[2] as i8);
        let mut d = 0u64;
        let mut a = 0u64;
        for k in 0..4 {
            let v = lane(block, k);
            let dm = _mm_movemask_epi8(in_range(v, zero, nine)) as u16;
            let hit = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, b0), _mm_cmpeq_epi8(v, b1)),
                _mm_cmpeq_epi8(v, b2),
            );
            let am = _mm_movemask_epi8(hit) as u16;
            d |= u64::from(dm) << (16 * k);
            a |= u64::from(am) << (16 * k);
        }
        (if digits { d } else { 0 }, if anchor_bytes { a } else { 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_matches_portable() {
        let mut block = [0u8; 64];
        for seed in 0..512u32 {
            for (k, b) in block.iter_mut().enumerate() {
                let x = seed
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(k as u32 * 40_503);
                *b = (x >> 13) as u8;
            }
            block[(seed % 64) as usize] = b'@';
            block[((seed * 7) % 64) as usize] = b'5';
            for cfg in [(true, true), (true, false), (false, true)] {
                let bytes = [b'@', b'=', b':'];
                assert_eq!(
                    block_masks(&block, bytes, cfg.0, cfg.1),
                    portable_block_masks(&block, bytes, cfg.0, cfg.1)
                );
            }
            assert_eq!(
                upper_start_mask(&block),
                portable_upper_start_mask(&block)
            );
        }
    }
}
