//! `cargo xtask corpus`: deterministic, labelled, synthetic PII corpora.
//! Gold spans are recorded as the text is built, with code-point and byte
//! offsets, so the files can score the detector without any hand labelling.

mod checksum;
mod doc;
mod filler;
mod negatives;
mod rng;
mod secrets;
mod sets;
mod template;
mod values;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use doc::{Label, Record};
pub use sets::Set;

/// Target size of one default corpus file, in bytes of JSONL.
const DEFAULT_FILE_BYTES: f64 = 300_000.0;

/// Generate synthetic labelled corpora (JSONL), or raw text for
/// throughput tests with --plain.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output directory (default: <repo>/corpora); with --plain, the
    /// output file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Multiply the default file sizes (about 300 KB each) by this factor.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Only this set (required with --plain).
    #[arg(long, value_enum)]
    pub set: Option<Set>,
    /// Write only the raw texts, joined by "\n", until at least --bytes.
    #[arg(long, requires_all = ["bytes", "set", "out"])]
    pub plain: bool,
    /// Size for --plain: a byte count, optionally with K/M/G/KiB/MiB/GiB.
    #[arg(long, requires = "plain", value_parser = parse_size)]
    pub bytes: Option<u64>,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|e| format!("bad size {s:?}: {e}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        u => return Err(format!("unknown size unit {u:?}")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("size {s:?} overflows"))
}

pub fn run(args: Args) -> Result<()> {
    if !(args.scale > 0.0 && args.scale.is_finite()) {
        bail!("--scale must be a positive number");
    }
    if args.plain {
        let (Some(set), Some(bytes), Some(out)) =
            (args.set, args.bytes, &args.out)
        else {
            bail!("--plain needs --set, --bytes and --out");
        };
        let file = File::create(out)
            .with_context(|| format!("creating {}", out.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let written = write_plain(set, bytes, &mut w)?;
        w.flush()?;
        println!("{}: {written} bytes of {} text", out.display(), set.name());
        return Ok(());
    }
    let dir = match &args.out {
        Some(d) => d.clone(),
        None => repo_root().join("corpora"),
    };
    fs::create_dir_all(&dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    let target = (DEFAULT_FILE_BYTES * args.scale).round() as u64;
    let sets: Vec<Set> = match args.set {
        Some(s) => vec![s],
        None => Set::ALL.to_vec(),
    };
    for set in sets {
        let path = dir.join(format!("{}.jsonl", set.name()));
        let file = File::create(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        let mut w = BufWriter::new(file);
        let stats = write_jsonl(set, target, &mut w)?;
        w.flush()?;
        println!("{}: {}", path.display(), stats.summary());
    }
    Ok(())
}

/// The repository root: the parent of the xtask crate.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository root")
        .to_path_buf()
}

/// What was written for one set.
#[derive(Debug, Default)]
pub struct Stats {
    pub records: u64,
    pub bytes: u64,
    pub text_bytes: u64,
    pub labels: BTreeMap<Label, u64>,
}

impl Stats {
    fn summary(&self) -> String {
        let total: u64 = self.labels.values().sum();
        let per: Vec<String> = self
            .labels
            .iter()
            .map(|(l, n)| format!("{}={n}", l.as_str()))
            .collect();
        format!(
            "{} records, {} bytes, {total} spans [{}]",
            self.records,
            self.bytes,
            per.join(" ")
        )
    }
}

/// Write JSONL records of `set` until at least `target` bytes.
pub fn write_jsonl(
    set: Set,
    target: u64,
    w: &mut impl Write,
) -> Result<Stats> {
    let mut rng = rng::seeded(set.seed());
    let mut stats = Stats::default();
    let mut line = Vec::new();
    // The size that counts leaves out the JSON of name, place,
    // organisation and address spans, so that labelling them did not
    // change how much text (and how many structured values) a set has.
    let mut sized = 0u64;
    while sized < target {
        let d = set.generate(&mut rng);
        stats.records += 1;
        let id = format!("{}-{:06}", set.name(), stats.records);
        line.clear();
        serde_json::to_writer(
            &mut line,
            &Record { id: &id, text: &d.text, spans: &d.spans },
        )?;
        line.push(b'\n');
        w.write_all(&line)?;
        stats.bytes += line.len() as u64;
        stats.text_bytes += d.len() as u64;
        let mut name_json = 0;
        for s in d.spans.iter().filter(|s| s.label.is_name_kind()) {
            name_json += serde_json::to_vec(s)?.len() as u64 + 2;
        }
        sized += (line.len() as u64).saturating_sub(name_json);
        for s in &d.spans {
            *stats.labels.entry(s.label).or_default() += 1;
        }
    }
    Ok(stats)
}

/// Stream raw texts of `set`, joined by "\n", until at least `target`
/// bytes; returns the bytes written.
pub fn write_plain(set: Set, target: u64, w: &mut impl Write) -> Result<u64> {
    let mut rng = rng::seeded(set.seed());
    let mut written = 0u64;
    while written < target {
        if written > 0 {
            w.write_all(b"\n")?;
            written += 1;
        }
        let d = set.generate(&mut rng);
        w.write_all(d.text.as_bytes())?;
        written += d.len() as u64;
    }
    Ok(written)
}

#[cfg(test)]
mod tests;
