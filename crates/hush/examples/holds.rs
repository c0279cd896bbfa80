//! Prints the hold-back bounds of the default configuration.
use std::sync::Arc;

use hush::{Key, Policy, Redactor, Scanner, Vault};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scanner = Scanner::new()?;
    let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    println!("scanner settle context: {} bytes", scanner.settle_context());
    println!("scanner max settle hold: {} bytes", scanner.max_settle_hold());
    println!("longest rule match: {} bytes", scanner.max_match_len());
    println!(
        "restore max hold (no surrogates): {} bytes",
        vault.max_restore_hold()
    );
    let r = Redactor::new(Arc::new(scanner), Arc::new(vault));
    println!("redact max hold, default batch: {} bytes", r.max_redact_hold());
    let r = r.with_scan_batch(1 << 20);
    println!("redact max hold, 1 MiB batch: {} bytes", r.max_redact_hold());
    Ok(())
}
