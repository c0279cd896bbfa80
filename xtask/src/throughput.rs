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
use hush_detect::{Kind, Scanner};
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
    /// Also time these files (read whole into memory), e.g. a prose text
    /// of your own.
    #[arg(long)]
    pub file: Vec<std::path::PathBuf>,
    /// Also time --mb MB of prose built from the text files in this
    /// directory (e.g. /usr/share/common-licenses), cut into 2,000-byte
    /// pieces with one entity after each (sparse PII in real prose).
    #[arg(long)]
    pub prose_from: Option<std::path::PathBuf>,
    /// Also time, on every input, a scanner of the structured kinds only
    /// (every kind but PERSON, LOCATION, ORGANIZATION and ADDRESS): what
    /// the name and address detectors cost. Its rows are marked `*`.
    #[arg(long)]
    pub structured: bool,
}

/// The kinds found by context-free patterns and validators, without the
/// name and address detectors (`--structured`).
fn structured_kinds() -> Vec<Kind> {
    Kind::ALL
        .iter()
        .copied()
        .filter(|k| {
            !matches!(
                k,
                Kind::Person
                    | Kind::Location
                    | Kind::Organization
                    | Kind::Address
            )
        })
        .collect()
}

/// Entities put between pieces of real prose by --prose-from.
const SPARSE_ENTITIES: &[&str] = &[
    "jane.doe@acme.io",
    "(415) 555-0132",
    "DE89 3704 0044 0532 0130 00",
    "4539 1488 0343 6467",
    "192.168.1.20",
    "https://shop.acme.io/x",
];

/// Real prose with one entity per 2,000 bytes, `target` bytes long.
fn sparse_prose(dir: &std::path::Path, target: usize) -> Result<Vec<u8>> {
    let mut names: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    let mut base = Vec::new();
    for p in names {
        base.extend(std::fs::read(p)?);
    }
    anyhow::ensure!(!base.is_empty(), "no text in {}", dir.display());
    let mut out = Vec::with_capacity(target + 4096);
    let (mut pos, mut k) = (0, 0);
    while out.len() < target {
        let end = (pos + 2000).min(base.len());
        out.extend_from_slice(&base[pos..end]);
        out.push(b' ');
        out.extend_from_slice(
            SPARSE_ENTITIES[k % SPARSE_ENTITIES.len()].as_bytes(),
        );
        out.push(b' ');
        k += 1;
        pos = if end == base.len() { 0 } else { end };
    }
    Ok(out)
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
    // The share of each hush timing the host took (steal, slowed CPU):
    // on a shared VM it explains a run's swing (see host_probe.rs).
    // Started first, so that it has calibrated before the timings.
    let probe = crate::host_probe::HostProbe::start();
    // A scanner's build time, best of 5, printed under `what`.
    let build = |what: &str,
                 make: &dyn Fn()
        -> Result<Scanner, hush_detect::BuildError>|
     -> Result<Scanner> {
        let (t, sc) = best_of(5, make);
        let sc = sc?;
        println!(
            "Scanner::new ({what}, {} detectors): {:.1} ms (best of 5)",
            sc.detectors().count(),
            t.as_secs_f64() * 1e3
        );
        Ok(sc)
    };
    let scanner = build("built-in rules", &Scanner::new)?;
    let structured = if args.structured {
        let kinds = structured_kinds();
        Some(build("structured kinds", &|| {
            Scanner::builder().kinds(&kinds).build()
        })?)
    } else {
        None
    };
    let naive: Vec<regex::bytes::Regex> = if args.naive {
        scanner
            .detectors()
            .map(|d| RegexBuilder::new(d.pattern()).unicode(false).build())
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let sets = if args.sets.is_empty()
        && args.file.is_empty()
        && args.prose_from.is_none()
    {
        Set::ALL.to_vec()
    } else {
        args.sets
    };
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for set in sets {
        let mut hay = Vec::with_capacity((args.mb * 1_000_000) as usize);
        write_plain(set, args.mb * 1_000_000, &mut hay)?;
        inputs.push((set.name().to_string(), hay));
    }
    if let Some(dir) = &args.prose_from {
        let hay = sparse_prose(dir, (args.mb * 1_000_000) as usize)?;
        inputs.push(("prose-from".to_string(), hay));
    }
    for path in &args.file {
        let hay = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        inputs.push((name, hay));
    }
    println!(
        "\n{:<10} {:>8} {:>10} {:>10} {:>12} {:>8} {:>10}",
        "set",
        "MB",
        "findings",
        "hush MB/s",
        "naive MB/s",
        "ratio",
        "host took"
    );
    // One scanner's best time over `hay`: MB/s, findings, and the share
    // of the timing the host took.
    let time_scan = |sc: &Scanner, hay: &[u8]| {
        let started = std::time::Instant::now();
        let (t, n) = best_of(args.runs, || sc.scan(hay).len());
        let host = probe
            .windows()
            .covered_between(started, std::time::Instant::now());
        (mb_per_s(hay.len(), t), n, host)
    };
    let row = |name: &str,
               mb: f64,
               n: usize,
               hush: f64,
               naive: &str,
               ratio: &str,
               host: f64| {
        println!(
            "{:<10} {:>8.1} {:>10} {:>10.1} {:>12} {:>8} {:>9.1}%",
            name,
            mb,
            n,
            hush,
            naive,
            ratio,
            100.0 * host
        );
    };
    for (name, hay) in &inputs {
        let mb = hay.len() as f64 / 1e6;
        let (hush, n, host) = time_scan(&scanner, hay);
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
        row(name, mb, n, hush, &naive_s, &ratio, host);
        if let Some(sc) = &structured {
            let (hush, n, host) = time_scan(sc, hay);
            row(&format!("{name}*"), mb, n, hush, "-", "-", host);
        }
    }
    Ok(())
}
