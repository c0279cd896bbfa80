//! `hush batch`: wires the options into `hush::batch::Batch`, shows a
//! progress bar on a terminal, writes the report and prints a summary.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use hush::batch::{Batch, BatchOptions, FieldSet, Format, OnError};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{BatchArgs, BatchFormat, OnErrorArg};
use crate::cmd_redact::configured_redactor;
use crate::config::Config;

/// Runs `hush batch`.
pub fn run(
    args: &BatchArgs,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let red = configured_redactor(&args.opts, Some(&args.filter), cfg, quiet)?;
    let mut opts = BatchOptions::default();
    if let [one] = &args.fields[..] {
        if let Some(name) = one.strip_prefix('@') {
            opts.fields = FieldSet::preset(name).with_context(|| {
                format!("unknown preset @{name} (use @messages or @batch)")
            })?;
        }
    }
    if !args.fields.is_empty() && !opts.fields.is_selective() {
        opts.fields =
            FieldSet::parse(&args.fields).map_err(anyhow::Error::msg)?;
        opts.columns = args.fields.clone();
    }
    if let Some(n) = args.threads {
        opts.threads = usize::from(n);
    }
    opts.on_error = match args.on_error {
        OnErrorArg::Fail => OnError::Fail,
        OnErrorArg::Skip => OnError::Skip,
        OnErrorArg::Keep => OnError::Keep,
    };
    opts.dry_run = args.dry_run;
    opts.format = args.format.map(|f| match f {
        BatchFormat::Jsonl => Format::Jsonl,
        BatchFormat::Csv => Format::Csv,
        BatchFormat::Tsv => Format::Tsv,
        BatchFormat::Text => Format::Text,
        BatchFormat::Parquet => Format::Parquet,
    });
    let total = input_size(&args.input);
    let bar = if !quiet && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} \
                 ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let records = std::sync::atomic::AtomicU64::new(0);
    let progress = |bytes: u64, n: u64| {
        if let Some(bar) = &bar {
            bar.inc(bytes);
            let done =
                records.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
            bar.set_message(format!("{done} records"));
        }
    };
    let batch = Batch::new(&red, opts).with_progress(&progress);
    let result = batch.run(&args.input, args.out.as_deref());
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result?;
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n").with_context(|| {
            format!("{}: cannot write report", path.display())
        })?;
    }
    if !quiet {
        eprintln!(
            "hush: {} records in {} files, {} values replaced, {} bad \
             records, {:.1} MB in {:.2} s ({:.0} MB/s){}",
            report.records_in,
            report.files,
            report.total_findings(),
            report.errors.len(),
            report.bytes_in as f64 / 1e6,
            report.seconds,
            report.bytes_in as f64 / 1e6 / report.seconds.max(1e-9),
            if args.dry_run { "; dry run, nothing written" } else { "" },
        );
        if !report.files_skipped.is_empty() {
            eprintln!(
                "hush: {} files of unknown format left out (listed in the \
                 report)",
                report.files_skipped.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Bytes under `path` (a file or a tree), for the progress bar.
fn input_size(path: &std::path::Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else { return 0 };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|rd| rd.flatten().map(|e| input_size(&e.path())).sum())
        .unwrap_or(0)
}
