//! Times building a 1,000,000-term dictionary (the terms of
//! `benches/benches/dict.rs`) and scanning text with it:
//! `cargo run --release -p hush-detect --example dict_probe [FILE]`.

use std::time::Instant;

use hush_detect::{Dictionary, Scanner};

fn terms(n: usize) -> Vec<String> {
    const SYL: &[&str] = &[
        "ka", "lo", "ve", "ri", "tan", "sim", "or", "bel", "dru", "mex",
        "qua", "zin", "pol", "nar", "feu", "gri", "hal", "jor", "wen", "tix",
    ];
    const SUFFIX: &[&str] =
        &["Holdings", "Ltd", "GmbH", "Labs", "Partners", "Group", "Inc"];
    let mut x: u64 = 0x4855_5348_4449_4354;
    (0..n)
        .map(|i| {
            let mut word = |len: usize| {
                let mut w = String::new();
                for _ in 0..len {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    w.push_str(SYL[(x >> 33) as usize % SYL.len()]);
                }
                w[..1].to_uppercase() + &w[1..]
            };
            let (a, b) = (word(3), word(2));
            format!("{a} {b}{} {}", i % 1000, SUFFIX[i % SUFFIX.len()])
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let terms = terms(1_000_000);
    let t = Instant::now();
    let mut b = Dictionary::builder();
    for t in &terms {
        b = b.term(t, "ORGANIZATION");
    }
    let pushed = t.elapsed();
    let d = b.build()?;
    println!(
        "1M terms: pushed in {pushed:?}, built in {:?} total, {} MB",
        t.elapsed(),
        d.memory_usage() >> 20
    );
    if let Some(path) = std::env::args().nth(1) {
        let hay = std::fs::read(path)?;
        let scanner = Scanner::new()?;
        let with = Scanner::builder().dictionary(d.clone()).build()?;
        let time = |f: &dyn Fn() -> usize| {
            let mut best = f64::MAX;
            for _ in 0..3 {
                let t = Instant::now();
                std::hint::black_box(f());
                best = best.min(t.elapsed().as_secs_f64());
            }
            hay.len() as f64 / 1e6 / best
        };
        let a = time(&|| scanner.scan(&hay).len());
        let b = time(&|| d.find_all(&hay).len());
        let c = time(&|| with.scan(&hay).len());
        println!("scanner {a:.1} MB/s, dictionary alone {b:.1} MB/s, scanner with dictionary {c:.1} MB/s (ratio {:.2})", c / a);
    }
    Ok(())
}
