//! `hush audit ...`: the command-line face of `hush_audit` for auditors
//! and retention jobs. It only turns arguments into library calls and
//! reports into exit statuses (verify: 0 ok, 1 tampered, 2 error).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use hush_audit::{DayEnd, Filter, PublicKey, SigningKey};

use crate::args::{
    AuditCommand, AuditPurgeArgs, AuditSearchArgs, AuditVerifyArgs,
};
use crate::config::{purge_age, Config};

pub fn run(
    cmd: &AuditCommand,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify(a) => verify(a, quiet),
        AuditCommand::Purge(a) => purge(a, cfg, quiet),
        AuditCommand::Search(a) => search(a),
    }
}

fn verify(a: &AuditVerifyArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let key = a.pubkey.as_deref().map(PublicKey::from_arg).transpose()?;
    let report = hush_audit::verify(&a.path, key.as_ref())?;
    if !quiet {
        write!(io::stdout().lock(), "{report}")?;
    }
    Ok(if report.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn purge(
    a: &AuditPurgeArgs,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let (older_than, from) = purge_age(
        a.older_than.as_deref(),
        cfg.retention.as_ref().and_then(|r| r.audit_log.as_deref()),
        "audit_log",
        "how old must a record be to go?",
        "365d",
    )?;
    let age = hush_audit::parse_age(older_than).context(from)?;
    let key_path = a.key.clone().unwrap_or_else(|| a.path.join("audit.key"));
    let key = SigningKey::load(&key_path)
        .context("purge signs the new start of the log with its key")?;
    let r = hush_audit::purge(&a.path, age, &key)?;
    if !quiet {
        let mut out = io::stdout().lock();
        writeln!(
            out,
            "purged {} records before {} ({} files removed, {} rewritten); \
             recorded as seq {}",
            r.removed,
            r.cutoff,
            r.files_removed,
            r.files_rewritten,
            r.purge_seq
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_status(s: &str) -> anyhow::Result<(Option<u16>, Option<u16>)> {
    let s = s.trim().to_ascii_lowercase();
    if let Some(c) = s.strip_suffix("xx") {
        if let Ok(c @ 1..=5) = c.parse::<u16>() {
            return Ok((None, Some(c)));
        }
    } else if let Ok(n @ 100..=599) = s.parse::<u16>() {
        return Ok((Some(n), None));
    }
    bail!("bad status {s:?}: use a code like 429 or a class like 5xx")
}

fn search(a: &AuditSearchArgs) -> anyhow::Result<ExitCode> {
    let (status, status_class) = match &a.status {
        Some(s) => parse_status(s)?,
        None => (None, None),
    };
    let filter = Filter {
        from: a
            .from
            .as_deref()
            .map(|t| hush_audit::parse_time(t, DayEnd::Start))
            .transpose()?,
        to: a
            .to
            .as_deref()
            .map(|t| hush_audit::parse_time(t, DayEnd::End))
            .transpose()?,
        key_id: a.key_id.clone(),
        model: a.model.clone(),
        status,
        status_class,
        endpoint: a.endpoint.clone(),
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    for hit in hush_audit::search(&a.path, &filter)? {
        let hit = hit.context("run `hush audit verify` on this log")?;
        out.write_all(hit.line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(parse_status("429").unwrap(), (Some(429), None));
        assert_eq!(parse_status("5XX").unwrap(), (None, Some(5)));
        assert!(parse_status("9xx").is_err());
        assert!(parse_status("42").is_err());
    }
}
