//! Settings shared by every command: flags, `HUSH_*` environment
//! variables and a `hush.toml` file, in that order of precedence.
//!
//! clap reads flags and the environment (each flag names its variable);
//! this module fills what both left unset from the config file: the one
//! given with `--config` (or `HUSH_CONFIG`), else `hush.toml` in the
//! working directory if there is one. Paths in the file are relative to
//! the file. Unknown keys are an error, so a typo cannot silently turn a
//! control off.

use std::path::{Path, PathBuf};

use anyhow::Context;
use hush_detect::Kind;
use serde::Deserialize;

/// The file looked for in the working directory.
pub const CONFIG_FILE: &str = "hush.toml";

/// The contents of a `hush.toml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Vault file.
    pub vault: Option<PathBuf>,
    /// Key file (ignored when `HUSH_KEY` is set).
    pub key_file: Option<PathBuf>,
    /// Vault scope.
    pub scope: Option<String>,
    /// Policy file (operators per kind, tag template).
    pub policy: Option<PathBuf>,
    /// Extra rule files.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// A dictionary CSV (`term,KIND`).
    pub dict: Option<PathBuf>,
    /// Kinds to act on.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Minimum score of a finding to act on.
    pub min_score: Option<f32>,
    /// `hush proxy` settings.
    #[serde(default)]
    pub proxy: ProxySection,
    /// The retention the operator declares (purges are run with `hush
    /// audit purge` and `hush vault purge`); `hush report` checks the
    /// evidence against it.
    pub retention: Option<RetentionSection>,
}

/// The age a purge uses, and where it comes from (for error context):
/// `--older-than` when given, else the `[retention] <entry>` the operator
/// declared; neither is an error that says what to give (`question` and
/// `example`, e.g. `365d`).
pub fn purge_age<'a>(
    flag: Option<&'a str>,
    declared: Option<&'a str>,
    entry: &str,
    question: &str,
    example: &str,
) -> anyhow::Result<(&'a str, String)> {
    match (flag, declared) {
        (Some(f), _) => Ok((f, "--older-than".to_string())),
        (None, Some(d)) => {
            Ok((d, format!("[retention] {entry} in hush.toml")))
        }
        (None, None) => anyhow::bail!(
            "{question} give --older-than (e.g. {example}) or declare it in \
             hush.toml: [retention] {entry} = \"{example}\""
        ),
    }
}

/// The `[retention]` table: how long records are kept, as ages such as
/// `365d`.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSection {
    /// Audit records older than this are to be purged.
    pub audit_log: Option<String>,
    /// Vault entries unused for this long are to be purged.
    pub vault: Option<String>,
}

/// The `[proxy]` table.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySection {
    /// Listen address.
    pub listen: Option<String>,
    /// Upstream base URL.
    pub upstream: Option<String>,
    /// Environment variable with the upstream key.
    pub upstream_key_env: Option<String>,
    /// File with the upstream key.
    pub upstream_key_file: Option<PathBuf>,
    /// The upstream key in a secret store: a `[proxy.upstream_key]`
    /// table with `source = "env" | "file" | "vault_kv2" |
    /// "aws_secrets_manager"` (see docs/KEYS.md).
    pub upstream_key: Option<hush_keys::UpstreamSecret>,
    /// Seconds between re-reads of the upstream key (default 300; 0:
    /// read once).
    pub upstream_key_refresh_secs: Option<u64>,
    /// Extra CA bundle.
    pub ca_file: Option<PathBuf>,
    /// Media policy: allow or block.
    pub media: Option<String>,
    /// HTTPS certificate chain (PEM).
    pub tls_cert: Option<PathBuf>,
    /// HTTPS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// New personal data in answers: leave or mask.
    pub response_pii: Option<String>,
    /// Public base URL.
    pub public_url: Option<String>,
    /// Directory of answers held for review.
    pub review_dir: Option<PathBuf>,
    /// Routes: fallback plans and output checks by model.
    #[serde(default)]
    pub route: Vec<hush_claude::fallback::Route>,
    /// Prompt-injection screening: off, flag, strip or block.
    pub screen: Option<String>,
    /// Screening score threshold (0 to 1).
    pub screen_threshold: Option<f32>,
    /// Redis URL to share rate limits across a fleet of proxies.
    pub redis_url: Option<String>,
    /// Limits over all clients together.
    pub limits: Option<LimitsSection>,
    /// Limits for each client.
    pub client_limits: Option<LimitsSection>,
    /// Upstream retries.
    pub retry: Option<RetrySection>,
    /// The circuit breaker of each upstream.
    pub breaker: Option<BreakerSection>,
    /// Where alerts are POSTed (JSON).
    pub alert_webhook: Option<String>,
    /// Alert thresholds.
    pub alerts: Option<hush_claude::monitor::AlertRules>,
    /// Seconds between upstream probes (0: no probe).
    pub probe_interval_secs: Option<u64>,
    /// Audit log directory.
    pub audit_log: Option<PathBuf>,
    /// Client key store (`hush keys`).
    pub keys: Option<PathBuf>,
    /// Audit signing key file.
    pub audit_key: Option<PathBuf>,
    /// Audit durability: never, batch or always (fsync).
    pub audit_fsync: Option<String>,
    /// When the audit queue is full: block (up to 1 s) or fail.
    pub audit_on_full: Option<String>,
}

/// A `[proxy.limits]` or `[proxy.client_limits]` table.
#[derive(Debug, Default, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Input tokens per minute.
    pub input_tpm: Option<u64>,
    /// Output tokens per minute.
    pub output_tpm: Option<u64>,
    /// Seconds of the rate a full bucket holds (the burst).
    pub burst_seconds: Option<u64>,
}

impl LimitsSection {
    /// As the limiter's type.
    pub fn limits(&self) -> hush_guard::Limits {
        hush_guard::Limits {
            rpm: self.rpm,
            input_tpm: self.input_tpm,
            output_tpm: self.output_tpm,
            burst: self.burst_seconds.map(std::time::Duration::from_secs),
        }
    }
}

/// The `[proxy.retry]` table.
#[derive(Debug, Default, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySection {
    /// Calls in all, the first included.
    pub max_attempts: Option<u32>,
    /// First backoff ceiling, milliseconds.
    pub base_ms: Option<u64>,
    /// Largest backoff ceiling, milliseconds.
    pub cap_ms: Option<u64>,
    /// No retry starts later than this after the first call, milliseconds.
    pub deadline_ms: Option<u64>,
}

/// The `[proxy.breaker]` table.
#[derive(Debug, Default, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSection {
    /// Open after this many failed calls in a row (0: not on this rule).
    pub consecutive_failures: Option<u32>,
    /// The span the failure rate is measured over, seconds.
    pub window_secs: Option<u64>,
    /// Fewest calls in the window for the rate rule to apply.
    pub min_calls: Option<u32>,
    /// Open when this fraction of the window's calls failed (0 to 1;
    /// above 1: not on this rule).
    pub failure_rate: Option<f64>,
    /// How long the breaker stays open before a probe call, milliseconds.
    pub cooldown_ms: Option<u64>,
    /// Probe calls let through when half-open (at least 1).
    pub half_open_probes: Option<u32>,
}

impl BreakerSection {
    /// As the breaker's type, over its defaults; an error names a bad
    /// value.
    pub fn config(&self) -> anyhow::Result<hush_guard::BreakerConfig> {
        let d = hush_guard::BreakerConfig::default();
        let c = hush_guard::BreakerConfig {
            consecutive_failures: self
                .consecutive_failures
                .unwrap_or(d.consecutive_failures),
            window: self
                .window_secs
                .map_or(d.window, std::time::Duration::from_secs),
            min_calls: self.min_calls.unwrap_or(d.min_calls),
            failure_rate: self.failure_rate.unwrap_or(d.failure_rate),
            cooldown: self
                .cooldown_ms
                .map_or(d.cooldown, std::time::Duration::from_millis),
            half_open_probes: self
                .half_open_probes
                .unwrap_or(d.half_open_probes),
        };
        if c.failure_rate.is_nan() || c.failure_rate <= 0.0 {
            anyhow::bail!("[proxy.breaker] failure_rate must be above 0");
        }
        if c.half_open_probes == 0 {
            anyhow::bail!(
                "[proxy.breaker] half_open_probes must be at least 1"
            );
        }
        if c.window.is_zero() {
            anyhow::bail!("[proxy.breaker] window_secs must be at least 1");
        }
        Ok(c)
    }
}

impl Config {
    /// Loads the config: `explicit` if given (it must exist), else
    /// `./hush.toml` if present, else defaults.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from(CONFIG_FILE);
                if !p.is_file() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("{}: cannot read config", path.display())
        })?;
        let mut cfg: Config = toml::from_str(&text)
            .with_context(|| format!("{}: bad config", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        cfg.vault.as_mut().map(rebase);
        cfg.key_file.as_mut().map(rebase);
        cfg.policy.as_mut().map(rebase);
        cfg.dict.as_mut().map(rebase);
        cfg.rules.iter_mut().for_each(rebase);
        cfg.proxy.upstream_key_file.as_mut().map(rebase);
        cfg.proxy.ca_file.as_mut().map(rebase);
        cfg.proxy.tls_cert.as_mut().map(rebase);
        cfg.proxy.tls_key.as_mut().map(rebase);
        cfg.proxy.review_dir.as_mut().map(rebase);
        // `-` is standard output, not a path.
        cfg.proxy
            .audit_log
            .as_mut()
            .filter(|p| p.as_os_str() != "-")
            .map(rebase);
        cfg.proxy.audit_key.as_mut().map(rebase);
        cfg.proxy.keys.as_mut().map(rebase);
        match cfg.proxy.upstream_key.as_mut() {
            Some(hush_keys::UpstreamSecret::File(p)) => rebase(p),
            Some(hush_keys::UpstreamSecret::VaultKv2 {
                token: hush_keys::VaultToken::File(p),
                ..
            }) => rebase(p),
            _ => {}
        }
        if let Some(s) = cfg.min_score {
            if !(0.0..=1.0).contains(&s) {
                anyhow::bail!(
                    "{}: min_score must be from 0.0 to 1.0",
                    path.display()
                );
            }
        }
        Ok(cfg)
    }

    /// The configured kinds, parsed.
    pub fn kinds(&self) -> anyhow::Result<Vec<Kind>> {
        self.kinds
            .iter()
            .map(|k| {
                k.trim()
                    .to_ascii_uppercase()
                    .parse::<Kind>()
                    .map_err(|e| anyhow::anyhow!("config kinds: {e}"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_follow_the_file() {
        let dir = std::env::temp_dir()
            .join(format!("hush-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hush.toml");
        std::fs::write(
            &file,
            "vault = \"v.hushvault\"\nscope = \"s\"\nkinds = [\"email\"]\n",
        )
        .unwrap();
        let cfg = Config::load(Some(&file)).unwrap();
        assert_eq!(
            cfg.vault.as_deref(),
            Some(dir.join("v.hushvault").as_path())
        );
        assert_eq!(cfg.scope.as_deref(), Some("s"));
        assert_eq!(cfg.kinds().unwrap(), [Kind::Email]);
        std::fs::write(&file, "valt = \"typo\"\n").unwrap();
        assert!(Config::load(Some(&file)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
