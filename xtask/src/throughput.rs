//! `cargo xtask throughput`: single-thread scan throughput of the default
//! scanner on large generated inputs, next to the naive baseline (one
//! `regex::bytes::Regex` per rule, run one after another), plus scanner
//! build time.
//!
//! Criterion (`cargo bench -p hush-benches`) times 4 MB haystacks with
//! statistics; this task times 100 MB inputs end to end, the size the
//! issue's figures are stated for, and prints one table to paste.

use std::time::{Duration, Instant};

use anyhow::Result;
use hush_detect::Scanner;
use regex::bytes::RegexBuilder;

use crate::corpus::{write_plain, Set};

/// Arguments of `cargo xtask throughput`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Megabytes (10^6 bytes) of text per set.
    #[arg(long, default_value_t = 100)]
    pub mb: u64,
    /// Timed runs per set; the best is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Also time the naive baseline (on the first --naive-mb MB).
    #[arg(long)]
    pub naive: bool,
    /// Megabytes the naive baseline scans (it is slow).
    #[arg(long, default_value_t = 10)]
    pub naive_mb: u64,
    /// Only these sets (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub sets: Vec<Set>,
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("at least one run"))
}

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// Runs the measurement and prints a table.
pub fn run(args: Args) -> Result<()> {
    let (build, scanner) = best_of(5, Scanner::new);
    let scanner = scanner?;
    println!(
        "Scanner::new (built-in rules, {} detectors): {:.1} ms (best of 5)",
        scanner.detectors().count(),
        build.as_secs_f64() * 1e3
    );
    let naive: Vec<regex::bytes::Regex> = if args.naive {
        scanner
            .detectors()
            .map(|d| RegexBuilder::new(d.pattern()).unicode(false).build())
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let sets =
        if args.sets.is_empty() { Set::ALL.to_vec() } else { args.sets };
    println!(
        "\n{:<10} {:>8} {:>10} {:>10} {:>12} {:>8}",
        "set", "MB", "findings", "hush MB/s", "naive MB/s", "ratio"
    );
    for set in sets {
        let mut hay = Vec::with_capacity((args.mb * 1_000_000) as usize);
        write_plain(set, args.mb * 1_000_000, &mut hay)?;
        let (t, n) = best_of(args.runs, || scanner.scan(&hay).len());
        let hush = mb_per_s(hay.len(), t);
        let (naive_s, ratio) = if args.naive {
            let cut = hay.len().min((args.naive_mb * 1_000_000) as usize);
            let part = &hay[..cut];
            let (tn, _) = best_of(1, || {
                naive.iter().map(|r| r.find_iter(part).count()).sum::<usize>()
            });
            let nv = mb_per_s(cut, tn);
            (format!("{nv:.1}"), format!("{:.1}x", hush / nv))
        } else {
            ("-".to_string(), "-".to_string())
        };
        println!(
            "{:<10} {:>8.1} {:>10} {:>10.1} {:>12} {:>8}",
            set.name(),
            hay.len() as f64 / 1e6,
            n,
            hush,
            naive_s,
            ratio
        );
    }
    Ok(())
}
