//! Project automation for hush, run as `cargo xtask <command>`. Kept a thin
//! dispatcher: each command lives in its own module.

mod audit_bench;
mod cli_bench;
mod corpus;
mod eval;
mod gazetteers;
mod host_probe;
mod limiter_accuracy;
mod proxy_bench;
mod rules_check;
mod screen_eval;
mod throughput;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "hush project automation")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate the deterministic synthetic corpora (corpora/*.jsonl).
    Corpus(corpus::Args),
    /// Build the name, place and word data files (crates/hush-detect/data).
    Gazetteers(gazetteers::Args),
    /// Precision, recall and F1 per kind on labelled JSONL corpora.
    Eval(eval::Args),
    /// Compile every rule alone and together and run its examples.
    RulesCheck(rules_check::Args),
    /// Single-thread scan throughput on large generated inputs.
    Throughput(throughput::Args),
    /// End-to-end `hush redact` / `hush restore` throughput and peak
    /// memory on a large input.
    CliBench(cli_bench::Args),
    /// `hush batch` throughput with 1 and 2 threads on a JSONL chat
    /// dataset, and peak memory.
    BatchBench(cli_bench::BatchArgs),
    /// Latency and requests per second the redacting proxy adds over
    /// calling the mock upstream directly, and streamed time to first byte.
    ProxyBench(proxy_bench::Args),
    /// Admitted rate against the configured rate limit under overload,
    /// in process and shared through Redis.
    LimiterAccuracy(limiter_accuracy::Args),
    /// Prompt-injection screening: detection on the labelled attacks,
    /// false positives on benign prompts, throughput; a gate with
    /// --min-detection / --max-fp.
    ScreenEval(screen_eval::Args),
    /// Write a large audit log (--gb) of 2-12 KB records and time
    /// `hush audit verify` and search on it; the log is deleted after.
    AuditBench(audit_bench::Args),
}

/// The repository root (the parent of `xtask/`).
fn project_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Corpus(args) => corpus::run(args),
        Cmd::Gazetteers(args) => gazetteers::run(args, &project_root()),
        Cmd::Eval(args) => eval::run(args, &project_root()),
        Cmd::RulesCheck(args) => rules_check::run(args),
        Cmd::Throughput(args) => throughput::run(args),
        Cmd::CliBench(args) => cli_bench::run(args),
        Cmd::BatchBench(args) => cli_bench::run_batch(args),
        Cmd::ProxyBench(args) => proxy_bench::run(args),
        Cmd::LimiterAccuracy(args) => limiter_accuracy::run(args),
        Cmd::ScreenEval(args) => screen_eval::run(args, &project_root()),
        Cmd::AuditBench(args) => audit_bench::run(args),
    }
}
