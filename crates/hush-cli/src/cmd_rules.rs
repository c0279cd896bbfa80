//! `hush rules`: list the detectors a scanner would run, and check rule
//! files (built-in and the user's own) against their own examples.
//!
//! It also owns loading `--rules FILE` into a scanner builder, which
//! every subcommand that scans shares.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use hush_detect::{check_rules, Builder, Scanner};

use crate::args::{RuleFiles, RulesCommand};

/// A scanner builder with the built-in rules plus the user's rule files.
///
/// # Errors
///
/// A rule file that cannot be read. (Invalid rules are reported when the
/// builder builds.)
pub fn builder(files: &RuleFiles) -> anyhow::Result<Builder> {
    let mut builder = Scanner::builder();
    for path in &files.files {
        let name = path.display().to_string();
        let text = fs::read_to_string(path).with_context(|| name.clone())?;
        builder = builder.rules_toml(&name, &text);
    }
    if let Some(path) = &files.dict {
        let name = path.display().to_string();
        let file = fs::File::open(path)
            .with_context(|| format!("{name}: cannot open"))?;
        let dict = hush_detect::Dictionary::from_csv_reader(file)
            .with_context(|| name.clone())?;
        builder = builder.dictionary(dict);
    }
    Ok(builder)
}

/// Runs `hush rules ...`.
///
/// # Errors
///
/// Unreadable or invalid rule files, and output errors.
pub fn run(cmd: &RulesCommand, quiet: bool) -> anyhow::Result<ExitCode> {
    let mut out = BufWriter::new(io::stdout().lock());
    match cmd {
        RulesCommand::List(args) => {
            let scanner = builder(&args.rules)?.build()?;
            if !quiet {
                list(&scanner, &mut out)?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Check(args) => {
            let builder = builder(&args.rules)?;
            let failures = check_rules(&builder)?;
            let rules = builder.build()?.detectors().count();
            if !quiet {
                for f in &failures {
                    writeln!(out, "FAIL {f}")?;
                }
                writeln!(
                    out,
                    "{} rules checked, {} failures",
                    rules,
                    failures.len()
                )?;
            }
            out.flush()?;
            Ok(if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn list(scanner: &Scanner, out: &mut impl Write) -> io::Result<()> {
    let id_w = scanner.detectors().map(|d| d.id().len()).max().unwrap_or(0);
    let id_w = id_w.max("ID".len());
    let kind_w = scanner
        .detectors()
        .map(|d| d.kind().as_str().len())
        .max()
        .unwrap_or(0)
        .max("KIND".len());
    writeln!(out, "{:id_w$}  {:kind_w$}  DESCRIPTION", "ID", "KIND")?;
    for d in scanner.detectors() {
        let line = format!(
            "{:id_w$}  {:kind_w$}  {}",
            d.id(),
            d.kind().as_str(),
            d.description()
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
