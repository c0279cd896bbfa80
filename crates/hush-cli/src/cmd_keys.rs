//! `hush keys ...`: issue, list, revoke and rotate the client keys that
//! `hush proxy` accepts.
//!
//! The work is done by `hush_keys::KeyStore`; this module picks the
//! store file (`--store`, `HUSH_KEYS`, else `<data dir>/hush/keys.json`),
//! parses durations such as `90d`, prints new keys once and draws the
//! list table.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context};
use hush_keys::{
    human_age, utc_date, ClientKey, ClientKeyInfo, KeySpec, KeyStore,
    RotationPolicy, SecretKeyString,
};

use crate::args::{KeysArgs, KeysCommand};
use crate::cmd_vault::parse_duration;

pub fn run(args: &KeysArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let path = store_path(args.store.clone())?;
    let mut store = KeyStore::open(&path)?;
    let mut out = io::stdout().lock();
    match &args.command {
        KeysCommand::Create(c) => {
            let expires_in = match &c.expires {
                Some(s) => Some(Duration::from_secs(parse_duration(s)?)),
                None => None,
            };
            let spec = KeySpec {
                name: c.name.clone(),
                models: c.models.clone(),
                max_tokens: c.max_tokens,
                rpm: c.rpm,
                expires_in,
            };
            let (key, secret) = store.create(spec)?;
            store.save()?;
            print_new(&mut out, &key, &secret, c.json)?;
            if !quiet {
                eprintln!(
                    "hush: key {} added to {}; copy the key now, it is not \
                     shown again (only a salted hash is stored)",
                    key.id,
                    path.display()
                );
            }
        }
        KeysCommand::List(l) => {
            let keys = store.list();
            if l.json {
                serde_json::to_writer_pretty(&mut out, &keys)?;
                writeln!(out)?;
            } else if !quiet {
                print_table(&mut out, &keys)?;
            }
        }
        KeysCommand::Revoke(r) => {
            store.revoke(&r.key)?;
            store.save()?;
            if !quiet {
                writeln!(out, "revoked {}", r.key)?;
            }
        }
        KeysCommand::Rotate(r) => {
            let grace = Duration::from_secs(parse_duration(&r.grace)?);
            let (key, secret) = store.rotate(&r.key, grace)?;
            store.save()?;
            print_new(&mut out, &key, &secret, r.json)?;
            if !quiet {
                let old = store
                    .list()
                    .into_iter()
                    .find(|k| k.key.rotated_to.as_ref() == Some(&key.id));
                if let Some(old) = old {
                    eprintln!(
                        "hush: {} replaced by {}; the old key works until {} \
                         (UTC); copy the new key now, it is not shown again",
                        old.key.id,
                        key.id,
                        old.key.grace_until.map_or("-".into(), datetime)
                    );
                }
            }
        }
        KeysCommand::Policy(p) => {
            let mut policy = store.rotation_policy();
            if let Some(a) = &p.max_age {
                policy.max_age_days = days(a)?;
            }
            if let Some(w) = &p.warn {
                policy.warn_days = days(w)?;
            }
            if policy != store.rotation_policy() {
                store.set_rotation_policy(policy)?;
                store.save()?;
            }
            let RotationPolicy { max_age_days, warn_days } = policy;
            writeln!(out, "max age: {max_age_days}d")?;
            writeln!(out, "warn: {warn_days}d before")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn store_path(flag: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match flag {
        Some(p) => Ok(p),
        None => KeyStore::default_path()
            .ok_or_else(|| anyhow!("no data directory; pass --store PATH")),
    }
}

fn days(s: &str) -> anyhow::Result<u32> {
    let secs = parse_duration(s)?;
    u32::try_from(secs / 86_400)
        .with_context(|| format!("{s:?} is too long"))
        .and_then(|d| {
            if secs % 86_400 == 0 {
                Ok(d)
            } else {
                Err(anyhow!("{s:?}: use whole days (e.g. 90d)"))
            }
        })
}

fn print_new(
    out: &mut impl Write,
    key: &ClientKey,
    secret: &SecretKeyString,
    json: bool,
) -> io::Result<()> {
    if json {
        let v = serde_json::json!({
            "id": key.id,
            "name": key.name,
            "key": secret.expose(),
            "expires": key.expires,
        });
        writeln!(out, "{v}")
    } else {
        writeln!(out, "id:   {}", key.id)?;
        writeln!(out, "name: {}", key.name)?;
        writeln!(out, "key:  {}", secret.expose())
    }
}

fn datetime(secs: u64) -> String {
    let hms = secs % 86_400;
    format!("{} {:02}:{:02}", utc_date(secs), hms / 3600, hms % 3600 / 60)
}

fn print_table(
    out: &mut impl Write,
    keys: &[ClientKeyInfo],
) -> io::Result<()> {
    const HEAD: [&str; 7] =
        ["ID", "NAME", "CREATED", "AGE", "EXPIRES", "STATUS", "MODELS"];
    let rows: Vec<[String; 7]> = keys
        .iter()
        .map(|k| {
            let ends = match (k.key.expires, k.key.grace_until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            [
                k.key.id.clone(),
                k.key.name.clone(),
                utc_date(k.key.created),
                human_age(k.age_secs),
                ends.map_or_else(|| "never".into(), utc_date),
                k.status.to_string(),
                if k.key.models.is_empty() {
                    "*".into()
                } else {
                    k.key.models.join(",")
                },
            ]
        })
        .collect();
    let mut width = HEAD.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &[&str]| -> io::Result<()> {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, &HEAD)?;
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        line(out, &cells)?;
    }
    Ok(())
}
