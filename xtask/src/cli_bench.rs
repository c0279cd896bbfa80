//! `cargo xtask cli-bench`: end-to-end throughput and peak memory of the
//! `hush` binary on a large input, the way a user runs it:
//! `hush redact < big.txt > /dev/null`, then `hush restore` on the
//! redacted text.
//!
//! The input is a generated corpus's texts repeated up to the requested
//! size (written once under `target/xtask/`). The vault and key live in a
//! fresh temporary directory, so the first pass also pays for storing
//! every new mapping, as a first run in production would. Peak memory is
//! the child's `VmHWM` from `/proc` (Linux), read until it exits.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::project_root;

#[derive(clap::Args)]
pub struct Args {
    /// Input size in MiB.
    #[arg(long, default_value_t = 2048)]
    size_mb: u64,
    /// The corpus whose texts fill the input.
    #[arg(long, default_value = "prose")]
    set: String,
    /// Also time `hush restore` on the redacted output (writes it to a
    /// temporary file of about the input's size).
    #[arg(long)]
    restore: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let root = project_root();
    let hush = build_hush(&root)?;
    let input = make_input(&root, &args.set, args.size_mb)?;
    let bytes = std::fs::metadata(&input)?.len();
    let dir = tempdir(&root)?;
    let key = "ab".repeat(32);
    let redacted = dir.join("redacted.txt");
    let sink = if args.restore {
        File::create(&redacted)?
    } else {
        File::create("/dev/null")?
    };
    println!(
        "input: {} ({} MiB of corpora/{}.jsonl texts)",
        input.display(),
        bytes >> 20,
        args.set
    );
    let (secs, hwm) = time_child(
        Command::new(&hush)
            .args(["-q", "redact", "--vault"])
            .arg(dir.join("v.hushvault"))
            .env("HUSH_KEY", &key)
            .stdin(File::open(&input)?)
            .stdout(sink),
    )?;
    report("hush redact", bytes, secs, hwm);
    if args.restore {
        let rbytes = std::fs::metadata(&redacted)?.len();
        let (secs, hwm) = time_child(
            Command::new(&hush)
                .args(["-q", "restore", "--vault"])
                .arg(dir.join("v.hushvault"))
                .env("HUSH_KEY", &key)
                .stdin(File::open(&redacted)?)
                .stdout(File::create("/dev/null")?),
        )?;
        report("hush restore", rbytes, secs, hwm);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[derive(clap::Args)]
pub struct BatchArgs {
    /// Dataset size in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mb: u64,
    /// Thread counts to time, in order.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<u16>,
    /// Where the output and the vault go (e.g. /dev/shm to leave the
    /// disk out of the measurement) [default: target/xtask].
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Runs per thread count; the best is reported.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
}

/// `cargo xtask batch-bench`: `hush batch` over a JSONL chat dataset in
/// the Anthropic Messages shape (each record one conversation from the
/// generated chat corpus), with 1 and 2 threads: MB/s, the speed-up and
/// peak memory. Each run uses a fresh vault, so both store every value.
pub fn run_batch(args: BatchArgs) -> anyhow::Result<()> {
    let root = project_root();
    let hush = build_hush(&root)?;
    let input = make_chat_jsonl(&root, args.size_mb)?;
    let bytes = std::fs::metadata(&input)?.len();
    println!("input: {} ({} MiB)", input.display(), bytes >> 20);
    let base =
        args.out_dir.clone().unwrap_or_else(|| root.join("target/xtask"));
    let mut first = None;
    for &t in &args.threads {
        let mut best: Option<(f64, Option<u64>)> = None;
        for _ in 0..args.repeat.max(1) {
            let dir = base.join(format!("batch-bench-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            let run = time_child(
                Command::new(&hush)
                    .args([
                        "-q",
                        "batch",
                        "--fields",
                        "@messages",
                        "--threads",
                    ])
                    .arg(t.to_string())
                    .arg(&input)
                    .arg("--out")
                    .arg(dir.join("out.jsonl"))
                    .arg("--vault")
                    .arg(dir.join("v.hushvault"))
                    .env("HUSH_KEY", "cd".repeat(32))
                    .stdout(Stdio::null()),
            );
            let _ = std::fs::remove_dir_all(&dir);
            let (secs, hwm) = run?;
            if best.is_none_or(|(b, _)| secs < b) {
                best = Some((secs, hwm));
            }
        }
        let (secs, hwm) = best.expect("at least one run");
        report(&format!("hush batch --threads {t}"), bytes, secs, hwm);
        match first {
            None => first = Some(secs),
            Some(one) => {
                println!("  speed-up over the first: {:.2}x", one / secs)
            }
        }
    }
    Ok(())
}

/// Writes (once) a Messages-shaped JSONL dataset of `size_mb` MiB.
fn make_chat_jsonl(root: &Path, size_mb: u64) -> anyhow::Result<PathBuf> {
    let dir = root.join("target/xtask");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("batch-chat-{size_mb}m.jsonl"));
    let want = size_mb << 20;
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= want) {
        return Ok(path);
    }
    let texts = corpus_texts(root, "chat")?;
    let mut w = BufWriter::new(File::create(&path)?);
    let mut written = 0u64;
    let mut i = 0usize;
    while written < want {
        let t = &texts[i % texts.len()];
        let record = serde_json::json!({
            "custom_id": format!("conv-{i}"),
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": "You are a support agent for Northwind.",
            "messages": [
                {"role": "user", "content": t},
                {"role": "assistant", "content": [{"type": "text", "text": "Thanks, I will look into it."}]}
            ]
        });
        let line = serde_json::to_string(&record)? + "\n";
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
        i += 1;
    }
    w.flush()?;
    Ok(path)
}

fn report(what: &str, bytes: u64, secs: f64, hwm_kib: Option<u64>) {
    let mbps = bytes as f64 / 1e6 / secs;
    let mem = hwm_kib.map_or("n/a".to_string(), |k| {
        format!("{:.1} MiB", k as f64 / 1024.0)
    });
    println!("{what}: {secs:.2} s, {mbps:.0} MB/s, peak RSS {mem}");
}

/// Runs the command to completion; returns seconds and the peak resident
/// set size in KiB (Linux only).
fn time_child(cmd: &mut Command) -> anyhow::Result<(f64, Option<u64>)> {
    let start = Instant::now();
    let mut child =
        cmd.stderr(Stdio::inherit()).spawn().context("spawn hush")?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut hwm = None;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(k) = vm_hwm(&text) {
                hwm = Some(hwm.map_or(k, |h: u64| h.max(k)));
            }
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("hush exited with {status}");
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((start.elapsed().as_secs_f64(), hwm))
}

fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Writes (once) an input of `size_mb` MiB from the corpus texts.
fn make_input(
    root: &Path,
    set: &str,
    size_mb: u64,
) -> anyhow::Result<PathBuf> {
    let dir = root.join("target/xtask");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("cli-input-{set}-{size_mb}m.txt"));
    let want = size_mb << 20;
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == want) {
        return Ok(path);
    }
    let mut block = corpus_texts(root, set)?.join("\n");
    block.push('\n');
    let mut w = BufWriter::new(File::create(&path)?);
    let mut left = want as usize;
    while left >= block.len() {
        w.write_all(block.as_bytes())?;
        left -= block.len();
    }
    // The last, partial copy ends on a line end (so the input stays
    // UTF-8), padded with blanks to the exact size.
    let cut = block.as_bytes()[..left]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    w.write_all(&block.as_bytes()[..cut])?;
    w.write_all(&vec![b' '; left - cut])?;
    w.flush()?;
    Ok(path)
}

fn tempdir(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = root
        .join("target/xtask")
        .join(format!("cli-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Builds the release `hush` binary; returns its path.
pub(crate) fn build_hush(root: &Path) -> anyhow::Result<PathBuf> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "hush-cli"])
        .current_dir(root)
        .status()
        .context("cargo build")?;
    if !status.success() {
        bail!("building hush failed");
    }
    Ok(root.join("target/release/hush"))
}

/// The `text` of every record of `corpora/<set>.jsonl`.
pub(crate) fn corpus_texts(
    root: &Path,
    set: &str,
) -> anyhow::Result<Vec<String>> {
    let corpus = root.join("corpora").join(format!("{set}.jsonl"));
    let text = std::fs::read_to_string(&corpus).with_context(|| {
        format!("{}: run `cargo xtask corpus`", corpus.display())
    })?;
    let mut texts = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        if let Some(t) = v.get("text").and_then(|t| t.as_str()) {
            texts.push(t.to_string());
        }
    }
    if texts.is_empty() {
        bail!("{}: no texts", corpus.display());
    }
    Ok(texts)
}
