//! `cargo xtask rules-check`: compiles every built-in rule (and any rule
//! files given) alone and all together, and runs each rule's examples and
//! negative examples. The same check runs in the test suite.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use hush_detect::{check_rules, Scanner};

/// Arguments of `cargo xtask rules-check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Extra rule files to check together with the built-in rules.
    pub rules: Vec<PathBuf>,
}

/// Runs the check and prints one line per failure.
pub fn run(args: Args) -> Result<()> {
    let mut builder = Scanner::builder();
    for path in &args.rules {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?;
        builder = builder.rules_toml(&path.display().to_string(), &text);
    }
    let scanner = builder.clone().build()?;
    let failures = check_rules(&builder)?;
    let n = scanner.detectors().count();
    let examples: usize = scanner
        .detectors()
        .map(|d| d.examples().len() + d.negative_examples().len())
        .sum();
    for f in &failures {
        println!("FAIL {f}");
    }
    if !failures.is_empty() {
        bail!("{} of the checks failed", failures.len());
    }
    println!("ok: {n} rules, {examples} examples and negative examples");
    Ok(())
}
