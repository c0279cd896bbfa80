//! Builds a vault of N entries and measures open time, memory per entry
//! and file size.
//!
//! ```sh
//! cargo run --release -p hush-vault --example big_vault -- create /tmp/big.hushvault 10000000
//! cargo run --release -p hush-vault --example big_vault -- open /tmp/big.hushvault
//! cargo run --release -p hush-vault --example big_vault -- rewrite /tmp/big.hushvault
//! ```
//!
//! `open` writes nothing back (the last-used times of its spot check are
//! not persisted), so repeated runs measure the same file, and a file
//! in an older format stays in it. `rewrite` rewrites the file in the
//! current format (as a key rotation to the same key does).

use std::time::Instant;

use hush_detect::Kind;
use hush_vault::{Key, Policy, Vault};

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (mode, path) = (args[1].as_str(), &args[2]);
    let key = Key::from_bytes([5; 32]);
    match mode {
        "create" => {
            let n: usize = args[3].parse()?;
            let _ = std::fs::remove_file(path);
            let t = Instant::now();
            let v = Vault::open(path, key, Policy::default())?;
            let s = v.scope("big");
            let batch = 100_000;
            for start in (0..n).step_by(batch) {
                let vals: Vec<String> = (start..(start + batch).min(n))
                    .map(|i| format!("person{i}@mail{}.example.org", i % 997))
                    .collect();
                let items: Vec<(Kind, &str)> =
                    vals.iter().map(|v| (Kind::Email, v.as_str())).collect();
                s.pseudonymise_batch(&items)?;
            }
            drop(v);
            println!("created {n} entries in {:.1?}", t.elapsed());
        }
        "open" => {
            let before = rss_kib();
            let t = Instant::now();
            let v = Vault::open(path, key, Policy::default())?;
            let open = t.elapsed();
            let after = rss_kib();
            let n = v.stats()?.entries;
            let size = std::fs::metadata(path)?.len();
            println!("entries: {n}");
            println!("open: {open:.2?}");
            println!(
                "memory: {} MiB, {:.0} bytes/entry",
                (after - before) / 1024,
                (after - before) as f64 * 1024.0 / n as f64
            );
            println!(
                "file: {} MiB, {:.0} bytes/entry",
                size >> 20,
                size as f64 / n as f64
            );
            let t = Instant::now();
            let s = v.scope("big");
            let mut hits = 0;
            for i in (0..n).step_by(n / 1000 + 1) {
                let p = s.pseudonymise(
                    Kind::Email,
                    &format!("person{i}@mail{}.example.org", i % 997),
                )?;
                hits += s.restore(&p)?.restored();
            }
            println!("spot check: {hits} restored in {:.1?}", t.elapsed());
            // Read-only measurement: skip the write-back on drop.
            std::mem::forget(v);
        }
        "rewrite" => {
            let t = Instant::now();
            let v = Vault::open(path, key.clone(), Policy::default())?;
            let open = t.elapsed();
            let t = Instant::now();
            v.rotate_key(key)?;
            println!("open: {open:.2?}, rewrite: {:.2?}", t.elapsed());
        }
        _ => {
            return Err(
                "usage: big_vault create PATH N | open PATH | rewrite PATH"
                    .into(),
            )
        }
    }
    Ok(())
}
