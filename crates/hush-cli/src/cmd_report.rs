//! `hush report`: gathers the facts that live outside the audit log (the
//! `hush.toml` in force, the client key store, the vaults) into the plain
//! structs of `hush_audit::report`, which builds and renders the report.
//!
//! This module decides where things are and what each setting means for
//! a control's status; it never reads a secret's value (key files are
//! named, webhook and Redis URLs are not shown) and never creates a key,
//! a vault or a log: a report only reads.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use hush_audit::report::{
    self, ControlConfig, ControlId, Item, KeyFact, KeyFacts, Period,
    ReportInputs, RetentionPolicy, Status, VaultFacts,
};
use hush_audit::PublicKey;
use hush_keys::{utc_date, KeyStatus, KeyStore};
use hush_vault::{Key, Policy, Vault};

use crate::args::{ReportArgs, ReportFormat};
use crate::config::{Config, CONFIG_FILE};

const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
const DEFAULT_UPSTREAM: &str = "https://api.anthropic.com";
const VAULT_ENCRYPTION: &str =
    "XChaCha20-Poly1305 per value, subkey derived with HKDF-SHA256";

pub fn run(
    args: &ReportArgs,
    cfg: &Config,
    config_path: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let period = Period::from_dates(&args.from, &args.to)?;
    let now_ms = now_secs().saturating_mul(1000) as i64;
    let mut inputs = ReportInputs::new(period, now_ms);
    let config_file = match config_path {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from(CONFIG_FILE)).filter(|p| p.is_file()),
    };
    inputs.sources.push(Item::new(
        "configuration",
        config_file.as_ref().map_or_else(
            || "no hush.toml: built-in defaults".into(),
            |p| p.display().to_string(),
        ),
    ));

    let log_dir =
        args.audit_log.clone().or_else(|| cfg.proxy.audit_log.clone());
    let mut chain_ok = true;
    match (&log_dir, args.no_audit_log) {
        (_, true) => inputs
            .sources
            .push(Item::new("audit log", "none (--no-audit-log)")),
        (None, false) => bail!(
            "no audit log: pass --audit-log PATH or set proxy.audit_log in \
             hush.toml (or --no-audit-log for a report without figures)"
        ),
        (Some(dir), false) => {
            let key = audit_public_key(args, cfg, dir)?;
            let facts = report::read_log(dir, &period, key.as_ref())
                .with_context(|| {
                    format!("{}: cannot read the audit log", dir.display())
                })?;
            chain_ok = facts.chain.verified;
            inputs.sources.push(Item::new("audit log", dir.display()));
            inputs.sources.push(Item::new(
                "audit public key",
                key.as_ref().map_or_else(
                    || "none: signatures not checked".into(),
                    |k| format!("key id {}", k.key_id()),
                ),
            ));
            inputs = inputs.with_audit(facts);
        }
    }

    let keys_path = args.keys.clone().or_else(|| cfg.proxy.keys.clone());
    let store = match &keys_path {
        Some(p) => {
            if !p.is_file() {
                bail!("{}: no client key store here", p.display());
            }
            let store = KeyStore::open(p).with_context(|| {
                format!("{}: cannot read the client key store", p.display())
            })?;
            inputs.sources.push(Item::new("client key store", p.display()));
            inputs.keys = Some(key_facts(&store, p));
            Some(store)
        }
        None => None,
    };

    inputs.vaults = vault_facts(args, cfg)?;
    for v in &inputs.vaults {
        inputs.sources.push(Item::new("vault", &v.path));
    }
    inputs.retention = retention(cfg)?;
    inputs.controls = controls(args, cfg, &inputs, store.as_ref())?;

    let report = report::build(inputs);
    let text = match args.format {
        ReportFormat::Md => report.to_markdown(),
        ReportFormat::Html => report.to_html(),
        ReportFormat::Json => report.to_json()?,
    };
    match &args.output {
        Some(p) => std::fs::write(p, text.as_bytes())
            .with_context(|| format!("{}: cannot write", p.display()))?,
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(if chain_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The public key: the flag, else `<signing key>.pub` when it exists.
fn audit_public_key(
    args: &ReportArgs,
    cfg: &Config,
    log: &Path,
) -> anyhow::Result<Option<PublicKey>> {
    if let Some(k) = &args.audit_pubkey {
        return Ok(Some(PublicKey::from_arg(k)?));
    }
    let signing = cfg.proxy.audit_key.clone().unwrap_or_else(|| {
        if log.is_dir() {
            log.join("audit.key")
        } else {
            log.with_file_name("audit.key")
        }
    });
    let mut public = signing.into_os_string();
    public.push(".pub");
    let public = PathBuf::from(public);
    if public.is_file() {
        return Ok(Some(PublicKey::load(&public)?));
    }
    Ok(None)
}

fn key_facts(store: &KeyStore, path: &Path) -> KeyFacts {
    let policy = store.rotation_policy();
    let keys = store
        .list()
        .into_iter()
        .map(|k| {
            let ends = match (k.key.expires, k.key.grace_until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let rotation = match k.status {
                KeyStatus::Ok => "not due",
                KeyStatus::RotateSoon => "due",
                KeyStatus::RotationOverdue => "overdue",
                KeyStatus::Rotating => "in progress",
                KeyStatus::Expired | KeyStatus::Revoked => "-",
            };
            KeyFact {
                id: k.key.id.clone(),
                name: k.key.name.clone(),
                created: utc_date(k.key.created),
                age_days: k.age_secs / 86_400,
                expires: ends.map(utc_date),
                revoked: k.key.revoked.map(utc_date),
                status: k.status.as_str().to_string(),
                rotation: rotation.to_string(),
            }
        })
        .collect();
    KeyFacts {
        store: path.display().to_string(),
        max_age_days: policy.max_age_days,
        warn_days: policy.warn_days,
        keys,
    }
}

/// The vault key without creating one: HUSH_KEY, else the key file.
fn vault_key(args: &ReportArgs, cfg: &Config) -> anyhow::Result<Key> {
    if let Ok(hex) = std::env::var(hush_vault::KEY_ENV) {
        return Key::from_hex(&hex).map_err(|_| {
            anyhow!("{} must hold 64 hex characters", hush_vault::KEY_ENV)
        });
    }
    let path = match args.key_file.clone().or_else(|| cfg.key_file.clone()) {
        Some(p) => p,
        None => Vault::default_key_path()
            .ok_or_else(|| anyhow!("no data directory; pass --key-file"))?,
    };
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("{}: cannot read the vault key file", path.display())
    })?;
    Key::from_hex(text.trim()).map_err(|_| {
        anyhow!("{}: key file must hold 64 hex characters", path.display())
    })
}

/// The vaults named by the flags or the config (each must exist), else
/// the default vault if there is one.
fn vault_facts(
    args: &ReportArgs,
    cfg: &Config,
) -> anyhow::Result<Vec<VaultFacts>> {
    let mut paths = args.vaults.clone();
    if paths.is_empty() {
        match &cfg.vault {
            Some(p) => paths.push(p.clone()),
            None => {
                if let Some(p) = Vault::default_path().filter(|p| p.is_file())
                {
                    paths.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    if paths.is_empty() {
        return Ok(out);
    }
    let key = vault_key(args, cfg)?;
    let now = now_secs();
    for p in paths {
        if !p.is_file() {
            bail!("{}: no vault here", p.display());
        }
        let vault = Vault::open(&p, key.clone(), Policy::default())
            .with_context(|| format!("{}: cannot open vault", p.display()))?;
        let stats = vault.stats()?;
        let mut by_kind = std::collections::BTreeMap::new();
        let (mut created, mut used) = (None::<u64>, None::<u64>);
        for sc in &stats.scopes {
            for (k, n) in &sc.by_kind {
                *by_kind.entry(k.clone()).or_insert(0u64) += *n as u64;
            }
            created = min_opt(created, sc.oldest_created);
            used = min_opt(used, sc.oldest_used);
        }
        let days = |t: Option<u64>| t.map(|t| now.saturating_sub(t) / 86_400);
        out.push(VaultFacts {
            path: p.display().to_string(),
            entries: stats.entries as u64,
            scopes: stats.scopes.len() as u64,
            by_kind,
            oldest_created_days: days(created),
            oldest_used_days: days(used),
            encryption: VAULT_ENCRYPTION.into(),
        });
    }
    Ok(out)
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn age_days(text: &str, what: &str) -> anyhow::Result<u64> {
    let d = hush_audit::parse_age(text)
        .with_context(|| format!("retention.{what}"))?;
    Ok(d.as_secs().div_ceil(86_400))
}

fn retention(cfg: &Config) -> anyhow::Result<RetentionPolicy> {
    let Some(r) = &cfg.retention else {
        return Ok(RetentionPolicy::default());
    };
    Ok(RetentionPolicy {
        audit_days: r
            .audit_log
            .as_deref()
            .map(|t| age_days(t, "audit_log"))
            .transpose()?,
        vault_days: r
            .vault
            .as_deref()
            .map(|t| age_days(t, "vault"))
            .transpose()?,
    })
}

fn limits_text(l: &crate::config::LimitsSection) -> String {
    let mut parts = Vec::new();
    if let Some(n) = l.rpm {
        parts.push(format!("{n} requests/min"));
    }
    if let Some(n) = l.input_tpm {
        parts.push(format!("{n} input tokens/min"));
    }
    if let Some(n) = l.output_tpm {
        parts.push(format!("{n} output tokens/min"));
    }
    if parts.is_empty() {
        return "none".into();
    }
    parts.push(format!("burst {} s", l.burst_seconds.unwrap_or(60)));
    parts.join(", ")
}

fn is_loopback(listen: &str) -> bool {
    let host = match listen.rfind(':') {
        Some(i) => &listen[..i],
        None => listen,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback())
}

/// What `hush.toml` (and the report's own flags) put in force, control
/// by control; the same defaults as `hush proxy`.
fn controls(
    args: &ReportArgs,
    cfg: &Config,
    inputs: &ReportInputs,
    store: Option<&KeyStore>,
) -> anyhow::Result<Vec<ControlConfig>> {
    use ControlId as C;
    let p = &cfg.proxy;
    let path = |p: &Path| p.display().to_string();
    let mut out = Vec::new();

    // Data minimisation: always on in the proxy.
    let mut dm = ControlConfig::new(C::DataMinimisation, Status::InForce)
        .setting(Item::new(
            "kinds detected",
            if cfg.kinds.is_empty() {
                "all built-in kinds".to_string()
            } else {
                cfg.kinds.join(", ")
            },
        ))
        .setting(Item::new(
            "minimum score",
            cfg.min_score.map_or("default".into(), |s| s.to_string()),
        ))
        .setting(Item::new(
            "pseudonym policy",
            cfg.policy.as_deref().map_or("default (tags)".into(), path),
        ))
        .setting(Item::new("extra rule files", cfg.rules.len()))
        .setting(Item::new("encryption at rest (vault)", VAULT_ENCRYPTION));
    if inputs.vaults.is_empty() {
        dm = dm.finding("no vault was read: entry counts are not shown");
    }
    out.push(dm);

    // Key management.
    let upstream_key = match (&p.upstream_key_file, &p.upstream_key_env) {
        (Some(f), _) => format!("from the file {}", f.display()),
        (None, Some(n)) => format!("from the environment variable {n}"),
        (None, None) => "none: the client's own key is forwarded".into(),
    };
    let km = match (store, &inputs.keys) {
        (Some(s), Some(k)) => {
            let policy = s.rotation_policy();
            let mut c = ControlConfig::new(C::KeyManagement, Status::InForce)
                .setting(Item::new("client key store", &k.store))
                .setting(Item::new(
                    "rotation policy",
                    format!(
                        "rotate after {} days, warn {} days before",
                        policy.max_age_days, policy.warn_days
                    ),
                ))
                .setting(Item::new("upstream key", &upstream_key));
            if p.keys.is_none() {
                c.status = Status::Partial;
                c = c.finding(
                    "the store was given with --keys but hush.toml has no \
                     proxy.keys: the proxy does not enforce it",
                );
            }
            c
        }
        _ => ControlConfig::new(C::KeyManagement, Status::NotConfigured)
            .setting(Item::new(
                "client keys",
                "any: the client's own Anthropic key is the credential",
            ))
            .setting(Item::new("upstream key", &upstream_key))
            .finding(
                "no client key store (proxy.keys): callers are not \
                 authenticated by hush",
            ),
    };
    out.push(km);

    // Encryption in transit.
    let upstream =
        p.upstream.clone().unwrap_or_else(|| DEFAULT_UPSTREAM.into());
    hush_claude::proxy::ProxyConfig::new(&upstream)
        .map_err(|e| anyhow!("proxy.upstream: {}", e.message()))?;
    let listen = p.listen.clone().unwrap_or_else(|| DEFAULT_LISTEN.into());
    let tls_listener = p.tls_cert.is_some() && p.tls_key.is_some();
    let https_up = upstream.starts_with("https://");
    let mut tr = ControlConfig::new(C::EncryptionInTransit, Status::InForce)
        .setting(Item::new("upstream", &upstream))
        .setting(Item::new(
            "to the upstream",
            if https_up {
                format!(
                    "TLS 1.2 or 1.3 only (rustls), certificate verified \
                     against the system trust store{}; plain http refused",
                    p.ca_file.as_deref().map_or(String::new(), |f| format!(
                        " and the CA bundle {}",
                        f.display()
                    ))
                )
            } else {
                "plain HTTP to a loopback host (a local test upstream)".into()
            },
        ))
        .setting(Item::new(
            "listener",
            match (&p.tls_cert, tls_listener) {
                (Some(c), true) => {
                    format!("HTTPS on {listen} (certificate {})", c.display())
                }
                _ => format!("plain HTTP on {listen}"),
            },
        ));
    if !https_up {
        tr.status = Status::Partial;
        tr = tr.finding("the upstream is reached over plain HTTP");
    }
    if !tls_listener && !is_loopback(&listen) {
        tr.status = Status::Partial;
        tr = tr.finding(
            "the listener serves plain HTTP on a non-loopback address: set \
             proxy.tls_cert and proxy.tls_key, or terminate TLS in front",
        );
    }
    out.push(tr);

    // Logging and monitoring.
    let lm = match (&args.audit_log, &p.audit_log, &inputs.audit) {
        (_, _, None) => {
            ControlConfig::new(C::LoggingAndMonitoring, Status::NotConfigured)
                .setting(Item::new("audit log", "off"))
                .finding("no audit log: calls are not recorded")
        }
        (flag, conf, Some(a)) => {
            let mut c =
                ControlConfig::new(C::LoggingAndMonitoring, Status::InForce)
                    .setting(Item::new("audit log", &a.path))
                    .setting(Item::new(
                        "signing key",
                        p.audit_key.as_deref().map_or_else(
                            || format!("{}/audit.key", a.path),
                            path,
                        ),
                    ))
                    .setting(Item::new(
                        "durability (proxy.audit_fsync)",
                        p.audit_fsync.as_deref().unwrap_or("batch (default)"),
                    ))
                    .setting(Item::new(
                        "queue full (proxy.audit_on_full)",
                        p.audit_on_full
                            .as_deref()
                            .unwrap_or("block up to 1 s (default)"),
                    ));
            if conf.is_none() && flag.is_some() {
                c.status = Status::Partial;
                c = c.finding(
                    "the log was given with --audit-log but hush.toml has \
                     no proxy.audit_log: the proxy as configured does not \
                     write it",
                );
            }
            c
        }
    };
    let lm = lm
        .setting(Item::new(
            "alerts",
            match &p.alert_webhook {
                Some(_) => {
                    let r = p.alerts.clone().unwrap_or_default();
                    format!(
                        "POSTed to a webhook (URL not shown): error rate \
                         over {} in {} s, {} flagged prompts",
                        r.error_rate, r.window_secs, r.flagged_prompts
                    )
                }
                None => "none".into(),
            },
        ))
        .setting(Item::new(
            "upstream probe",
            match p.probe_interval_secs {
                Some(0) => "off".into(),
                Some(n) => format!("every {n} s"),
                None => "every 30 s (default)".into(),
            },
        ));
    out.push(lm);

    // Rate limiting.
    let global = p.limits.unwrap_or_default();
    let client = p.client_limits.unwrap_or_default();
    let keyed = store.map_or(0, |s| {
        s.list().iter().filter(|k| k.key.rpm.is_some()).count()
    });
    let limited = !global.limits().is_unlimited()
        || !client.limits().is_unlimited()
        || keyed > 0;
    let mut rl = ControlConfig::new(
        C::RateLimiting,
        if limited { Status::InForce } else { Status::NotConfigured },
    )
    .setting(Item::new("all clients (proxy.limits)", limits_text(&global)))
    .setting(Item::new(
        "each client (proxy.client_limits)",
        limits_text(&client),
    ))
    .setting(Item::new("client keys with their own rpm", keyed))
    .setting(Item::new(
        "shared",
        if p.redis_url.is_some() {
            "through Redis (URL not shown)"
        } else {
            "in process"
        },
    ));
    if !limited {
        rl = rl.finding("no rate limit is configured");
    }
    out.push(rl);

    // Continuity.
    let d = hush_guard::RetryPolicy::default();
    let r = p.retry.unwrap_or_default();
    let attempts = r.max_attempts.unwrap_or(d.max_attempts);
    let pc = hush_claude::proxy::ProxyConfig::new(&upstream)
        .map_err(|e| anyhow!("proxy.upstream: {}", e.message()))?;
    let b = &pc.breaker;
    let mut co = ControlConfig::new(C::Continuity, Status::InForce)
        .setting(Item::new(
            "retries",
            format!(
                "{attempts} attempt(s) in all, backoff {} to {} ms, no retry \
                 after {} ms",
                r.base_ms.unwrap_or(d.base.as_millis() as u64),
                r.cap_ms.unwrap_or(d.cap.as_millis() as u64),
                r.deadline_ms.unwrap_or(d.deadline.as_millis() as u64)
            ),
        ))
        .setting(Item::new(
            "circuit breaker",
            format!(
                "opens after {} consecutive failures or a failure rate of {} \
                 over {} s (at least {} calls); cools down {} s",
                b.consecutive_failures,
                b.failure_rate,
                b.window.as_secs(),
                b.min_calls,
                b.cooldown.as_secs()
            ),
        ));
    let mut any_fallback = false;
    for (i, route) in p.route.iter().enumerate() {
        if route.fallback.is_empty() {
            continue;
        }
        any_fallback = true;
        let plan: Vec<String> =
            route.fallback.iter().map(|f| f.describe()).collect();
        co = co.setting(Item::new(
            format!("route {} (models {}) fallbacks", i + 1, route.models),
            plan.join("; then "),
        ));
    }
    if !any_fallback {
        co.status = Status::Partial;
        co = co.finding(
            "no fallback route: when the upstream is down, calls fail after \
             the retries",
        );
    }
    out.push(co);

    // Input validation.
    let screen = p.screen.as_deref().unwrap_or("off");
    let mut iv = ControlConfig::new(
        C::InputValidation,
        if screen == "off" { Status::Partial } else { Status::InForce },
    )
    .setting(Item::new("prompt-injection screening", screen))
    .setting(Item::new(
        "screening threshold",
        p.screen_threshold.map_or("default".into(), |t| t.to_string()),
    ))
    .setting(Item::new(
        "media (images, PDFs)",
        p.media.as_deref().unwrap_or("allow (default)"),
    ))
    .setting(Item::new(
        "body limits",
        format!("{} bytes (batches {})", pc.max_body, pc.max_batch_body),
    ));
    if let Some(s) = store {
        let restricted = s
            .list()
            .iter()
            .filter(|k| !k.key.models.is_empty() || k.key.max_tokens.is_some())
            .count();
        iv = iv.setting(Item::new(
            "client keys limited to models or max_tokens",
            restricted,
        ));
    }
    if screen == "off" {
        iv = iv.finding("prompt-injection screening is off (proxy.screen)");
    }
    out.push(iv);

    // Output review.
    let response_pii = p.response_pii.as_deref().unwrap_or("leave");
    let held: Vec<&str> = p
        .route
        .iter()
        .filter(|r| r.hold_for_review)
        .map(|r| r.models.as_str())
        .collect();
    let schema = p.route.iter().filter(|r| r.answer_schema.is_some()).count();
    let reviewed = response_pii == "mask" || !held.is_empty() || schema > 0;
    let mut or = ControlConfig::new(
        C::OutputReview,
        if reviewed { Status::InForce } else { Status::NotConfigured },
    )
    .setting(Item::new("pseudonyms restored in answers", "always"))
    .setting(Item::new("new personal data in answers", response_pii))
    .setting(Item::new(
        "routes held for review",
        if held.is_empty() { "none".into() } else { held.join(", ") },
    ))
    .setting(Item::new("routes with an answer schema", schema));
    if let Some(d) = &p.review_dir {
        or = or.setting(Item::new("review directory", d.display()));
    }
    if !reviewed {
        or = or.finding(
            "answers are not reviewed: new personal data is left as is and \
             no route holds answers or checks them against a schema",
        );
    }
    out.push(or);

    // Retention.
    let r = inputs.retention;
    let days = |d: Option<u64>| {
        d.map_or("not declared".into(), |d| format!("{d} days"))
    };
    let mut re = ControlConfig::new(
        C::Retention,
        match (r.audit_days, r.vault_days) {
            (Some(_), Some(_)) => Status::InForce,
            (None, None) => Status::NotConfigured,
            _ => Status::Partial,
        },
    )
    .setting(Item::new(
        "audit records ([retention] audit_log)",
        days(r.audit_days),
    ))
    .setting(Item::new(
        "vault entries ([retention] vault)",
        days(r.vault_days),
    ));
    if !r.is_declared() {
        re = re.finding(
            "no retention is declared in hush.toml ([retention] audit_log, \
             vault); purges done are still listed",
        );
    }
    out.push(re);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_listeners() {
        assert!(is_loopback("127.0.0.1:8787"));
        assert!(is_loopback("[::1]:8787"));
        assert!(is_loopback("localhost:1"));
        assert!(!is_loopback("0.0.0.0:8787"));
    }
}
