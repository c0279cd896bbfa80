//! Instruction-count probe for warm lookups (run under
//! `valgrind --tool=callgrind`): builds an in-memory vault with 100 000
//! e-mail entries, then does 1 000 000 pseudonymise-or-lookup calls.

use hush_detect::Kind;
use hush_vault::{Key, Policy, Vault};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = 100_000;
    let vault = Vault::in_memory(Key::from_bytes([1; 32]), Policy::default())?;
    let s = vault.scope("bench");
    let values: Vec<String> =
        (0..n).map(|i| format!("user{i}@example-corp.io")).collect();
    let items: Vec<(Kind, &str)> =
        values.iter().map(|v| (Kind::Email, v.as_str())).collect();
    s.pseudonymise_batch(&items)?;
    let t = std::time::Instant::now();
    let mut i = 0;
    let mut total = 0;
    for _ in 0..1_000_000 {
        i = (i + 7919) % n;
        total += s.pseudonymise(Kind::Email, &values[i])?.len();
    }
    let el = t.elapsed();
    println!("{total} bytes, {:.2} M ops/s", 1.0 / el.as_secs_f64());
    Ok(())
}
