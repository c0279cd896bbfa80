//! `hush review`: the reviewer's side of hold-for-review routes. Lists
//! held answers, shows one (pseudonymised: the reviewer never sees an
//! original value), approves or rejects it. The proxy reads the decision
//! from the same directory when the client polls.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use hush_claude::review::{ReviewStatus, ReviewStore};

use crate::args::{ReviewArgs, ReviewCommand};
use crate::config::Config;

/// The review directory: `--dir`, else `proxy.review_dir`, else
/// `<data dir>/hush/reviews`.
pub fn review_dir(
    explicit: Option<&PathBuf>,
    cfg: &Config,
) -> anyhow::Result<PathBuf> {
    if let Some(d) = explicit.or(cfg.proxy.review_dir.as_ref()) {
        return Ok(d.clone());
    }
    hush::Vault::default_path()
        .and_then(|p| p.parent().map(|d| d.join("reviews")))
        .context("no data directory: pass --dir")
}

pub fn run(args: &ReviewArgs, cfg: &Config) -> anyhow::Result<ExitCode> {
    let dir = review_dir(args.dir.as_ref(), cfg)?;
    let store = ReviewStore::open(&dir)?;
    let mut out = std::io::stdout().lock();
    match &args.command {
        ReviewCommand::List { all, json } => {
            for item in store.list()? {
                if !all && item.status != ReviewStatus::Pending {
                    continue;
                }
                if *json {
                    let v = serde_json::json!({
                        "id": item.id, "status": item.status, "model": item.model,
                        "endpoint": item.endpoint, "created": item.created,
                        "note": item.note,
                    });
                    writeln!(out, "{v}")?;
                } else {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        item.id,
                        item.status.as_str(),
                        item.created,
                        item.model.as_deref().unwrap_or("-"),
                        item.endpoint
                    )?;
                }
            }
        }
        ReviewCommand::Show { id } => {
            let item = store.get(id)?;
            serde_json::to_writer_pretty(&mut out, &item)?;
            writeln!(out)?;
        }
        ReviewCommand::Approve { id, note } => {
            let item =
                store.decide(id, ReviewStatus::Approved, note.clone())?;
            writeln!(out, "{} approved", item.id)?;
        }
        ReviewCommand::Reject { id, note } => {
            let item =
                store.decide(id, ReviewStatus::Rejected, note.clone())?;
            writeln!(out, "{} rejected", item.id)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
