//! `hush redact` and `hush restore`: stream bytes through a
//! `hush::Redactor`, from a file or standard input to standard output.
//!
//! Input is read in pieces of up to 1 MiB and each piece's settled output is
//! written at once, so memory stays flat whatever the input size and a
//! pipe sees output as soon as the rules allow. When redaction fails (the
//! vault cannot store a mapping) the command stops with status 2 and what
//! it wrote so far is redacted text only: it fails closed.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use hush::{Redactor, Report};

use crate::args::{FilterArgs, RedactArgs, RestoreArgs, RuleFiles, VaultOpts};
use crate::cmd_vault::open_configured;
use crate::config::Config;

/// Bytes read per step: large reads are scanned in place, and fewer,
/// larger windows scan faster (see `benches/README.md`).
const READ_SIZE: usize = 1024 * 1024;

/// Runs `hush redact`.
pub fn run_redact(
    args: &RedactArgs,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    // Every read is scanned: output follows input closely, and at 1 MiB
    // reads the re-read context costs nothing measurable.
    let red = configured_redactor(&args.opts, Some(&args.filter), cfg, quiet)?
        .with_scan_batch(0);
    let report = pump(args.input.as_deref(), &mut red.redact_stream())?;
    write_report(args.report.as_deref(), &report)?;
    Ok(ExitCode::SUCCESS)
}

/// The redactor the flags, the environment and the config describe: the
/// vault (created on first use), the scope, and with `filter` the rules,
/// dictionary, kinds and minimum score (without it, no rules: restoring
/// needs none).
pub fn configured_redactor(
    opts: &VaultOpts,
    filter: Option<&FilterArgs>,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<Redactor> {
    let scanner = match filter {
        Some(f) => {
            let rules = RuleFiles {
                files: if f.rules.files.is_empty() {
                    cfg.rules.clone()
                } else {
                    f.rules.files.clone()
                },
                dict: f.rules.dict.clone().or_else(|| cfg.dict.clone()),
            };
            crate::cmd_rules::builder(&rules)?.build()?
        }
        None => hush::Scanner::builder().default_rules(false).build()?,
    };
    let opened = open_configured(opts, cfg, quiet)?;
    let scope = opts
        .scope
        .clone()
        .or_else(|| cfg.scope.clone())
        .unwrap_or_else(|| "default".to_string());
    let mut red = Redactor::new(Arc::new(scanner), Arc::new(opened.vault))
        .with_scope(&scope);
    if let Some(f) = filter {
        let kinds =
            if f.kinds.is_empty() { cfg.kinds()? } else { f.kinds.clone() };
        if !kinds.is_empty() {
            red = red.with_kinds(&kinds);
        }
        if let Some(s) = f.min_score.or(cfg.min_score) {
            red = red.with_min_score(s);
        }
    }
    Ok(red)
}

/// Runs `hush restore`.
pub fn run_restore(
    args: &RestoreArgs,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let red = configured_redactor(&args.opts, None, cfg, quiet)?;
    let report = pump(args.input.as_deref(), &mut red.restore_stream())?;
    if report.unresolved > 0 && !quiet {
        eprintln!(
            "hush: {} pseudonym-shaped strings were not issued by scope \
             {:?} and were left as they are",
            report.unresolved,
            red.scope_name()
        );
    }
    write_report(args.report.as_deref(), &report)?;
    Ok(ExitCode::SUCCESS)
}

/// The two stream directions, as `pump` drives them.
trait Pipe {
    fn push(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), hush::Error>;
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), hush::Error>;
    fn report(&self) -> &Report;
}

impl Pipe for hush::RedactStream<'_> {
    fn push(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), hush::Error> {
        hush::RedactStream::push(self, chunk, out)
    }
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), hush::Error> {
        hush::RedactStream::finish(self, out)
    }
    fn report(&self) -> &Report {
        hush::RedactStream::report(self)
    }
}

impl Pipe for hush::RestoreStream<'_> {
    fn push(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), hush::Error> {
        hush::RestoreStream::push(self, chunk, out)
    }
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), hush::Error> {
        hush::RestoreStream::finish(self, out)
    }
    fn report(&self) -> &Report {
        hush::RestoreStream::report(self)
    }
}

/// Reads `input` (or standard input) through `pipe`, writing each
/// settled piece to standard output, then finishes it.
fn pump(input: Option<&Path>, pipe: &mut dyn Pipe) -> anyhow::Result<Report> {
    let name =
        input.map_or("<stdin>".to_string(), |p| p.display().to_string());
    let mut reader: Box<dyn Read> = match input {
        Some(p) => Box::new(
            File::open(p).with_context(|| format!("{name}: cannot open"))?,
        ),
        None => Box::new(io::stdin().lock()),
    };
    let stdout = io::stdout();
    let mut w = stdout.lock();
    let mut buf = vec![0u8; READ_SIZE];
    let mut out = Vec::with_capacity(2 * READ_SIZE);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("{name}: read error"))
            }
        };
        out.clear();
        pipe.push(&buf[..n], &mut out)?;
        w.write_all(&out)?;
        w.flush()?;
    }
    out.clear();
    pipe.finish(&mut out)?;
    w.write_all(&out)?;
    w.flush()?;
    Ok(pipe.report().clone())
}

fn write_report(path: Option<&Path>, report: &Report) -> anyhow::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let json = serde_json::to_string_pretty(report)?;
    std::fs::write(path, json + "\n")
        .with_context(|| format!("{}: cannot write report", path.display()))
}
