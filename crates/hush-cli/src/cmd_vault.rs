//! `hush vault ...`: retention and erasure on a pseudonym vault.
//!
//! The subcommands are thin wrappers over `hush_vault::Vault`; this
//! module owns only what the library leaves to the edge: where the key
//! comes from (`HUSH_KEY`, a key file, created on first use with a
//! message), the default vault path, durations such as `30d`, and the
//! key-file dance of `rotate-key`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use hush_vault::{Key, Policy, Vault};

use crate::args::{VaultArgs, VaultCommand, VaultOpts};
use crate::config::Config;

pub fn run(
    args: &VaultArgs,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let opened = open_configured(&args.opts, cfg, quiet)?;
    let (vault, path, source) = (opened.vault, opened.path, opened.key);
    let scope_arg = args.opts.scope.clone().or_else(|| cfg.scope.clone());
    let args = VaultCmd { scope: scope_arg, command: &args.command };
    let mut out = io::stdout().lock();
    match &args.command {
        VaultCommand::Stats => {
            let s = vault.stats()?;
            writeln!(out, "vault: {}", path.display())?;
            writeln!(out, "entries: {}", s.entries)?;
            writeln!(out, "bytes: {}", s.stored_bytes)?;
            for sc in &s.scopes {
                let kinds: Vec<String> = sc
                    .by_kind
                    .iter()
                    .map(|(k, n)| format!("{k}={n}"))
                    .collect();
                writeln!(
                    out,
                    "scope {:?}: {} entries ({}), oldest created {}, \
                     oldest used {}",
                    sc.name,
                    sc.entries,
                    kinds.join(" "),
                    age(sc.oldest_created),
                    age(sc.oldest_used),
                )?;
            }
        }
        VaultCommand::Purge(p) => {
            let (older_than, from) = crate::config::purge_age(
                p.older_than.as_deref(),
                cfg.retention.as_ref().and_then(|r| r.vault.as_deref()),
                "vault",
                "how long unused must an entry be to go?",
                "30d",
            )?;
            let secs = parse_duration(older_than).context(from)?;
            let n = match &args.scope {
                Some(s) => vault.scope(s).purge_older_than(secs)?,
                None => vault.purge_older_than(secs)?,
            };
            if !quiet {
                writeln!(out, "purged {n} entries")?;
            }
        }
        VaultCommand::Forget(f) => {
            let scope = args.scope.as_deref().unwrap_or("default");
            let n = vault.scope(scope).forget(&f.value)?;
            if !quiet {
                writeln!(out, "forgot {n} entries in scope {scope:?}")?;
            }
        }
        VaultCommand::Export(e) => {
            if !e.reveal && !quiet {
                eprintln!(
                    "hush: values are sealed; --reveal prints them in plain \
                     text"
                );
            }
            match &e.out {
                Some(p) => {
                    let mut f =
                        std::fs::File::create(p).with_context(|| {
                            format!("{}: cannot create", p.display())
                        })?;
                    vault.export(e.reveal, &mut f)?;
                }
                None => vault.export(e.reveal, &mut out)?,
            }
        }
        VaultCommand::RotateKey => {
            let new = Key::generate()?;
            match &source {
                KeySource::Env => {
                    vault.rotate_key(new.clone())?;
                    eprintln!(
                        "hush: vault re-encrypted; set HUSH_KEY to the new \
                         key printed on standard output"
                    );
                    writeln!(out, "{}", new.to_hex())?;
                }
                KeySource::File(kf) => {
                    let pending = pending_path(kf);
                    let _ = std::fs::remove_file(&pending);
                    new.write_new(&pending)?;
                    vault.rotate_key(new)?;
                    std::fs::rename(&pending, kf).with_context(|| {
                        format!("{}: cannot replace key file", kf.display())
                    })?;
                    if !quiet {
                        writeln!(
                            out,
                            "vault re-encrypted; new key in {}",
                            kf.display()
                        )?;
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

enum KeySource {
    Env,
    File(PathBuf),
}

impl KeySource {
    fn load(&self, quiet: bool) -> anyhow::Result<Key> {
        match self {
            KeySource::Env => Ok(Key::from_env().expect("checked")?),
            KeySource::File(p) => {
                let (key, created) = Key::load_or_create(p)?;
                if created && !quiet {
                    eprintln!(
                        "hush: created a new vault key in {} (mode 0600); \
                         back it up: without it the vault cannot be read",
                        p.display()
                    );
                }
                Ok(key)
            }
        }
    }
}

fn key_source(key_file: Option<PathBuf>) -> anyhow::Result<KeySource> {
    if std::env::var_os(hush_vault::KEY_ENV).is_some() {
        return Ok(KeySource::Env);
    }
    let p = match key_file {
        Some(p) => p,
        None => Vault::default_key_path()
            .ok_or_else(|| anyhow!("no data directory; pass --key-file"))?,
    };
    Ok(KeySource::File(p))
}

/// The arguments `run` needs once the vault is open.
struct VaultCmd<'a> {
    scope: Option<String>,
    command: &'a VaultCommand,
}

/// An open vault, where it lives and where its key came from.
pub struct Opened {
    pub vault: Vault,
    pub path: PathBuf,
    key: KeySource,
}

/// Opens the vault the flags, the environment and the config name (or
/// the default one in the user's data directory), creating the key and
/// the vault on first use and saying so on standard error.
pub fn open_configured(
    opts: &VaultOpts,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<Opened> {
    let path = match opts.vault.clone().or_else(|| cfg.vault.clone()) {
        Some(p) => p,
        None => Vault::default_path()
            .ok_or_else(|| anyhow!("no data directory; pass --vault PATH"))?,
    };
    let policy = match opts.policy.as_ref().or(cfg.policy.as_ref()) {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read", p.display()))?;
            Policy::from_toml(&text)
                .with_context(|| format!("{}", p.display()))?
        }
        None => Policy::default(),
    };
    let source =
        key_source(opts.key_file.clone().or_else(|| cfg.key_file.clone()))?;
    let key = source.load(quiet)?;
    let existed = path.exists();
    let vault = open(&path, key, policy, &source)
        .with_context(|| format!("{}: cannot open vault", path.display()))?;
    if !existed && !quiet {
        eprintln!("hush: created a new vault in {}", path.display());
    }
    Ok(Opened { vault, path, key: source })
}

fn pending_path(key_file: &Path) -> PathBuf {
    let mut s = key_file.as_os_str().to_owned();
    s.push(".new");
    PathBuf::from(s)
}

/// Opens the vault; after an interrupted `rotate-key`, finishes it.
fn open(
    path: &Path,
    key: Key,
    policy: Policy,
    source: &KeySource,
) -> anyhow::Result<Vault> {
    match Vault::open(path, key, policy.clone()) {
        Ok(v) => Ok(v),
        Err(e) if e.is_wrong_key() => {
            if let KeySource::File(kf) = source {
                let pending = pending_path(kf);
                if let Ok((new, false)) = Key::load_or_create(&pending) {
                    if let Ok(v) = Vault::open(path, new, policy) {
                        std::fs::rename(&pending, kf)?;
                        eprintln!(
                            "hush: finished an interrupted key rotation"
                        );
                        return Ok(v);
                    }
                }
            }
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

fn age(t: Option<u64>) -> String {
    let Some(t) = t else { return "-".into() };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let d = now.saturating_sub(t);
    if d >= 86400 {
        format!("{}d ago", d / 86400)
    } else if d >= 3600 {
        format!("{}h ago", d / 3600)
    } else {
        format!("{}s ago", d)
    }
}

/// `30d`, `12h`, `90m`, `45s`, `2w`.
pub fn parse_duration(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    let (num, unit) =
        s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().map_err(|_| anyhow!("bad duration {s:?}"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" | "" => 86400,
        "w" => 7 * 86400,
        _ => bail!("bad duration {s:?} (use e.g. 30d, 12h, 90m, 2w)"),
    };
    Ok(n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap(), 30 * 86400);
        assert_eq!(parse_duration("12h").unwrap(), 12 * 3600);
        assert!(parse_duration("3x").is_err());
    }
}
