//! Fuzzes the audit log verifier: arbitrary bytes as a log file, with
//! and without a public key. Nothing may panic; an empty input verifies;
//! and a report that calls the input good must have counted at least one
//! line per newline it read (no line is skipped unchecked).

#![no_main]

use std::sync::OnceLock;

use hush_audit::{verify_bytes, PublicKey, SigningKey};
use libfuzzer_sys::fuzz_target;

fn key() -> &'static PublicKey {
    static K: OnceLock<PublicKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::from_bytes([7; 32]).public_key())
}

fuzz_target!(|data: &[u8]| {
    let plain = verify_bytes(data, None);
    let signed = verify_bytes(data, Some(key()));
    if data.is_empty() {
        assert!(plain.is_ok() && signed.is_ok());
    }
    if plain.is_ok() {
        let lines = data.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(plain.records, lines, "a line was skipped unchecked");
    }
    // A key can only add failures, never remove them.
    if !plain.is_ok() {
        assert!(!signed.is_ok());
    }
});
