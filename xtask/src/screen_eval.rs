//! `cargo xtask screen-eval`: detection rate of hush-screen on the
//! labelled injection set and false-positive rate on benign prompts, at
//! a threshold, per split and per category, plus `screen()` throughput on
//! ordinary text. With `--min-detection` / `--max-fp` it is a gate: exit
//! 1 when a figure is missed.
//!
//! The attacks carry a `split`: `dev` (used to tune the rules) and
//! `heldout` (only reported). `--show-errors` lists dev misses only,
//! unless `--show-heldout` is given, so that tuning never looks at the
//! held-out strings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use hush_screen::{Category, Screener, DEFAULT_THRESHOLD};

/// Arguments of `cargo xtask screen-eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The score from which a text counts as flagged.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    pub threshold: f32,
    /// Fail (exit 1) if the detection rate on all attacks is below this.
    #[arg(long)]
    pub min_detection: Option<f64>,
    /// Fail (exit 1) if the false-positive rate of any benign set is
    /// above this.
    #[arg(long)]
    pub max_fp: Option<f64>,
    /// Print up to N missed dev attacks and N flagged benign texts.
    #[arg(long, default_value_t = 0)]
    pub show_errors: usize,
    /// With --show-errors, also list missed held-out attacks.
    #[arg(long)]
    pub show_heldout: bool,
    /// Megabytes of ordinary text to time `screen()` on (0 to skip).
    #[arg(long, default_value_t = 8)]
    pub throughput_mb: usize,
}

struct Attack {
    id: String,
    text: String,
    category: String,
    variant: String,
    split: String,
}

fn read_jsonl(path: &Path) -> Result<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| {
                format!("{}: line {}: invalid JSON", path.display(), i + 1)
            })
        })
        .collect()
}

fn field(v: &serde_json::Value, k: &str) -> String {
    v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string()
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Runs the evaluation from the repository root `root`.
pub fn run(args: Args, root: &Path) -> Result<()> {
    let screener = Screener::new().context("building the screener")?;
    let dir = root.join("corpora/injection");
    let attacks: Vec<Attack> = read_jsonl(&dir.join("attacks.jsonl"))?
        .iter()
        .map(|v| Attack {
            id: field(v, "id"),
            text: field(v, "text"),
            category: field(v, "category"),
            variant: field(v, "variant"),
            split: field(v, "split"),
        })
        .collect();
    if attacks.is_empty() {
        bail!("no attacks in {}", dir.display());
    }
    let t = args.threshold;
    println!("hush-screen evaluation, threshold {t}\n");

    // Attacks: per split, per labelled category, per variant.
    let mut by_split: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut by_cat: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut by_variant: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut fired: BTreeMap<Category, usize> = BTreeMap::new();
    let mut missed = Vec::new();
    for a in &attacks {
        let s = screener.screen(&a.text);
        let hit = s.exceeds(t);
        for (key, map) in [
            (a.split.as_str(), &mut by_split),
            (a.category.as_str(), &mut by_cat),
            (a.variant.as_str(), &mut by_variant),
        ] {
            let e = map.entry(key).or_default();
            e.0 += 1;
            e.1 += usize::from(hit);
        }
        for c in s.categories() {
            *fired.entry(c).or_default() += 1;
        }
        if !hit {
            missed.push((a, s));
        }
    }
    let total_hit: usize = by_split.values().map(|v| v.1).sum();
    let detection = pct(total_hit, attacks.len());
    println!("attacks (corpora/injection/attacks.jsonl)");
    println!("  {:<24} {:>5} {:>9}", "split", "n", "detected");
    for (k, (n, h)) in &by_split {
        println!("  {k:<24} {n:>5} {:>8.1}%", 100.0 * pct(*h, *n));
    }
    println!(
        "  {:<24} {:>5} {:>8.1}%",
        "all",
        attacks.len(),
        100.0 * detection
    );
    println!("  {:<24} {:>5} {:>9}", "labelled category", "n", "detected");
    for (k, (n, h)) in &by_cat {
        println!("  {k:<24} {n:>5} {:>8.1}%", 100.0 * pct(*h, *n));
    }
    println!("  {:<24} {:>5} {:>9}", "variant", "n", "detected");
    for (k, (n, h)) in &by_variant {
        println!("  {k:<24} {n:>5} {:>8.1}%", 100.0 * pct(*h, *n));
    }
    println!("  attacks with a signal of each category:");
    for c in Category::ALL {
        println!("    {:<22} {:>5}", c.as_str(), fired.get(&c).unwrap_or(&0));
    }

    // Benign sets.
    let sets: Vec<(&str, PathBuf)> = vec![
        ("injection/benign.jsonl", dir.join("benign.jsonl")),
        ("chat.jsonl", root.join("corpora/chat.jsonl")),
        ("prose.jsonl", root.join("corpora/prose.jsonl")),
    ];
    let mut worst_fp: f64 = 0.0;
    let mut flagged = Vec::new();
    println!("\nbenign prompts");
    println!(
        "  {:<24} {:>5} {:>8} {:>12}",
        "set", "n", "FP rate", "any signal"
    );
    for (name, path) in &sets {
        let recs = read_jsonl(path)?;
        let (mut n, mut fp, mut any) = (0, 0, 0);
        let mut cats: BTreeMap<Category, usize> = BTreeMap::new();
        for r in &recs {
            let text = field(r, "text");
            let s = screener.screen(&text);
            n += 1;
            any += usize::from(!s.signals.is_empty());
            if s.exceeds(t) {
                fp += 1;
                for c in s.categories() {
                    *cats.entry(c).or_default() += 1;
                }
                flagged.push((name.to_string(), field(r, "id"), text, s));
            }
        }
        let rate = pct(fp, n);
        worst_fp = worst_fp.max(rate);
        println!(
            "  {name:<24} {n:>5} {:>7.2}% {:>11.1}%",
            100.0 * rate,
            100.0 * pct(any, n)
        );
        for (c, k) in cats {
            println!("    flagged with {:<18} {k}", c.as_str());
        }
    }

    if args.show_errors > 0 {
        println!(
            "\nmissed attacks (dev{}):",
            if args.show_heldout { " and held-out" } else { "" }
        );
        for (a, s) in missed
            .iter()
            .filter(|(a, _)| args.show_heldout || a.split == "dev")
            .take(args.show_errors)
        {
            let rules: Vec<&str> =
                s.signals.iter().map(|g| g.rule.as_str()).collect();
            let short: String = a.text.chars().take(110).collect();
            println!(
                "  {} [{} / {}] score {:.2} {:?}\n    {:?}",
                a.id, a.category, a.variant, s.score, rules, short
            );
        }
        println!("\nflagged benign:");
        for (set, id, text, s) in flagged.iter().take(args.show_errors) {
            let rules: Vec<&str> =
                s.signals.iter().map(|g| g.rule.as_str()).collect();
            let short: String = text.chars().take(110).collect();
            println!(
                "  {set} {id} score {:.2} {rules:?}\n    {short:?}",
                s.score
            );
        }
    }

    if args.throughput_mb > 0 {
        throughput(&screener, root, args.throughput_mb)?;
    }

    let mut failed = false;
    if let Some(min) = args.min_detection {
        if detection < min {
            eprintln!("FAIL: detection {detection:.4} < {min}");
            failed = true;
        }
    }
    if let Some(max) = args.max_fp {
        if worst_fp > max {
            eprintln!("FAIL: false-positive rate {worst_fp:.4} > {max}");
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
    Ok(())
}

/// `screen()` MB/s over ordinary prompt-like text (chat and prose corpus
/// records, one `screen` call per record, repeated to `mb` megabytes),
/// best of three runs.
fn throughput(screener: &Screener, root: &Path, mb: usize) -> Result<()> {
    let mut docs = Vec::new();
    for f in ["corpora/chat.jsonl", "corpora/prose.jsonl"] {
        for r in read_jsonl(&root.join(f))? {
            docs.push(field(&r, "text"));
        }
    }
    let one: usize = docs.iter().map(String::len).sum();
    if one == 0 {
        return Ok(());
    }
    let reps = (mb << 20).div_ceil(one);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let mut signals = 0usize;
        for _ in 0..reps {
            for d in &docs {
                signals += screener.screen(d).signals.len();
            }
        }
        std::hint::black_box(signals);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let bytes = (one * reps) as f64;
    let avg = one / docs.len();
    println!(
        "\nthroughput: {:.1} MB/s ({} records of {avg} bytes on average, \
         {:.1} MB, best of 3)",
        bytes / best / 1e6,
        docs.len(),
        bytes / 1e6
    );
    Ok(())
}
