//! splitmix64's output step as a uniform number in [0, 1): the proxy's
//! backoff jitter and the mock's simulated outages both need spread, not
//! secrecy, from a counter.

/// The golden-ratio increment callers add to their counter per draw.
pub(crate) const STEP: u64 = 0x9E37_79B9_7F4A_7C15;

/// Mixes a counter state (`seed + n * STEP`) into a uniform number in
/// [0, 1).
pub(crate) fn unit(state: u64) -> f64 {
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn stays_in_the_unit_interval_and_spreads() {
        let draws: Vec<f64> = (1..=1000u64)
            .map(|n| super::unit(n.wrapping_mul(super::STEP)))
            .collect();
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        let below = draws.iter().filter(|&&u| u < 0.3).count();
        assert!((250..350).contains(&below), "{below}");
    }
}
