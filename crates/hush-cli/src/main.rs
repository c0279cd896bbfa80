//! The `hush` binary: parse arguments, dispatch to one subcommand module,
//! turn the outcome into an exit status (0 clean, 1 found, 2 error).
//!
//! Kept small on purpose, like ripgrep's `core/main.rs`: each subcommand
//! lives in its own `cmd_*` module, clap definitions in `args`, formats
//! in `output`.

#![forbid(unsafe_code)]

mod args;
mod cmd_audit;
mod cmd_batch;
mod cmd_keys;
mod cmd_proxy;
mod cmd_redact;
mod cmd_report;
mod cmd_review;
mod cmd_rules;
mod cmd_scan;
mod cmd_vault;
mod config;
mod output;
mod records;
mod stream;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli);
    match run(&cli) {
        Ok(code) => code,
        // A closed output pipe is how a reader says "enough".
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(io::stderr().lock(), "hush: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let cfg = config::Config::load(cli.config.as_deref())?;
    match &cli.command {
        Command::Redact(args) => cmd_redact::run_redact(args, &cfg, cli.quiet),
        Command::Batch(args) => cmd_batch::run(args, &cfg, cli.quiet),
        Command::Restore(args) => {
            cmd_redact::run_restore(args, &cfg, cli.quiet)
        }
        Command::Scan(args) => cmd_scan::run(args, cli.quiet, cli.color),
        Command::Rules(cmd) => cmd_rules::run(cmd, cli.quiet),
        Command::Vault(args) => cmd_vault::run(args, &cfg, cli.quiet),
        Command::Review(args) => cmd_review::run(args, &cfg),
        Command::Proxy(args) => cmd_proxy::run_proxy(args, &cfg, cli.quiet),
        Command::Ask(args) => cmd_proxy::run_ask(args, &cfg, cli.quiet),
        Command::Audit(cmd) => cmd_audit::run(cmd, &cfg, cli.quiet),
        Command::Keys(args) => cmd_keys::run(args, cli.quiet),
        Command::Report(args) => {
            cmd_report::run(args, &cfg, cli.config.as_deref())
        }
        Command::MockUpstream(args) => cmd_proxy::run_mock(args),
    }
}

/// Structured diagnostics through `tracing`, on standard error so that
/// standard output stays the command's own (redacted text, records).
fn init_logs(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let default = match cli.command {
        Command::Proxy(_) if !cli.quiet => "info",
        _ => "warn",
    };
    let filter = std::env::var("HUSH_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr);
    let _ = match cli.log_format {
        args::LogFormat::Json => logs.json().try_init(),
        args::LogFormat::Text => logs.with_ansi(false).try_init(),
    };
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
