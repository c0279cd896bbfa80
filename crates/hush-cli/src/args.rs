//! Command-line definitions, in one place, so that every subcommand's
//! flags, defaults and help text can be read (and reviewed) together and
//! the subcommand modules only receive already-validated values.
//!
//! New subcommands (`redact`, `restore`, `batch`, `proxy`) get a variant
//! in [`Command`] and an `XxxArgs` struct here, and a `cmd_xxx` module.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use hush_detect::Kind;

/// The default number of bytes read per chunk when streaming.
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 20;

/// Find personal data and secrets in text.
#[derive(Debug, Parser)]
#[command(name = "hush", version, propagate_version = true)]
pub struct Cli {
    /// Print nothing on standard output; only the exit status tells
    /// (0 nothing found, 1 found, 2 error). `scan -q` stops at the first
    /// finding.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// When to colour human-readable output.
    #[arg(
        long,
        value_enum,
        global = true,
        default_value_t = ColorChoice::Auto,
        value_name = "WHEN"
    )]
    pub color: ColorChoice,

    /// A config file [default: ./hush.toml when present].
    #[arg(long, global = true, env = "HUSH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Diagnostics on standard error: text for people, json (one object
    /// per line) for a log pipeline. What is logged is set by HUSH_LOG
    /// (`warn`, `info`, `hush_claude=debug`, ...; default `info` for
    /// the proxy, `warn` otherwise). No log line holds a prompt, an
    /// answer, a key or an original value.
    #[arg(
        long,
        value_enum,
        global = true,
        env = "HUSH_LOG_FORMAT",
        default_value_t = LogFormat::Text,
        value_name = "FORMAT"
    )]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replace personal data by pseudonyms, streaming from a file or
    /// standard input to standard output.
    ///
    /// The first run creates a key and a vault in the user's data
    /// directory and says where on standard error. `hush restore` puts
    /// the values back.
    Redact(RedactArgs),
    /// Put the original values back in place of the pseudonyms the scope
    /// issued, streaming from a file or standard input to standard
    /// output.
    Restore(RestoreArgs),
    /// Redact a dataset: a JSONL, CSV, TSV, Parquet or text file, or a
    /// directory tree of them, in parallel, into a new file or tree.
    ///
    /// Only redacted values change; every other byte of a record stays as
    /// it was. One vault scope serves the whole batch, so a value gets the
    /// same pseudonym in every record, whatever the number of threads.
    Batch(BatchArgs),
    /// Scan files (or standard input) and print what was found.
    ///
    /// Exit status: 0 when nothing was found, 1 when something was found,
    /// 2 on any error (like grep).
    Scan(ScanArgs),
    /// List or check detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Inspect and maintain a pseudonym vault: stats, purge, forget,
    /// export, rotate-key.
    ///
    /// The key comes from HUSH_KEY (64 hex characters), else from
    /// --key-file (default: the key file in the data directory, created
    /// with mode 0600 on first use).
    Vault(VaultArgs),
    /// Review answers held on high-risk proxy routes: list, show,
    /// approve, reject.
    Review(ReviewArgs),
    /// Serve an Anthropic-compatible proxy: requests to the Claude API
    /// leave with personal data pseudonymised, answers (streamed ones
    /// included) come back with the real values restored.
    ///
    /// Point any Claude client at it: ANTHROPIC_BASE_URL=http://127.0.0.1:8787.
    /// The scope of pseudonyms is the x-hush-scope header, else a keyed
    /// hash of the client's API key.
    Proxy(Box<ProxyArgs>),
    /// Send a prompt (a file or standard input) to Claude through
    /// redaction and print the restored answer as it streams.
    ///
    /// The API key comes from ANTHROPIC_API_KEY (or --api-key-env).
    Ask(AskArgs),
    /// The proxy's tamper-evident audit log: verify, purge, search.
    ///
    /// verify exits 0 when the log verifies, 1 when it was tampered with
    /// (the first bad record is named), 2 on error.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Issue, list, revoke and rotate the client keys `hush proxy`
    /// accepts (`hush_<id>_<secret>`; only a salted hash is stored).
    ///
    /// The store is --store, else HUSH_KEYS, else <data
    /// dir>/hush/keys.json.
    Keys(KeysArgs),
    /// The evidence report for a SOC 2 auditor: per control, the
    /// criteria it supports, the configuration in force and the figures
    /// of a period from the audit log, the key store and the vaults.
    ///
    /// Never shows an original value. Exit status: 0 report written, 1
    /// report written but the audit chain failed verification, 2 error.
    Report(ReportArgs),
    /// A mock of the Claude API for tests (echo model, random stream
    /// splits, failure injection); records every request body.
    #[command(hide = true)]
    MockUpstream(MockArgs),
}

/// `hush proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address to listen on [default: 127.0.0.1:8787; config: proxy.listen].
    #[arg(long, env = "HUSH_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,

    /// The upstream API base URL [default: https://api.anthropic.com;
    /// config: proxy.upstream]. Plain http is allowed only to loopback.
    #[arg(long, env = "HUSH_UPSTREAM", value_name = "URL")]
    pub upstream: Option<String>,

    /// Read the upstream API key from this environment variable and send
    /// it instead of the client's key.
    #[arg(long, value_name = "NAME")]
    pub upstream_key_env: Option<String>,

    /// Read the upstream API key from this file (first line).
    #[arg(long, value_name = "FILE")]
    pub upstream_key_file: Option<PathBuf>,

    /// Extra CA certificates (PEM) to trust for the upstream.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Images and PDFs, which cannot be redacted: allow (counted) or block
    /// (400) [default: allow].
    #[arg(long, value_name = "POLICY")]
    pub media: Option<String>,

    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Personal data in answers that the request did not carry: leave it,
    /// or mask it with an irreversible keyed hash [default: leave].
    #[arg(long, value_name = "POLICY")]
    pub response_pii: Option<String>,

    /// The proxy's public base URL, for rewritten batch results_url
    /// [default: http:// and the request's Host].
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,

    /// Where answers of hold_for_review routes wait [default: config
    /// proxy.review_dir, else <data dir>/hush/reviews].
    #[arg(long, value_name = "DIR")]
    pub review_dir: Option<PathBuf>,

    /// Print the plan as configured (upstream, routes, fallbacks, checks)
    /// and exit without serving.
    #[arg(long)]
    pub check: bool,

    /// Prompt-injection screening of user turns: off, flag (audit and
    /// x-hush-injection header), strip (remove hidden characters) or
    /// block (400) [default: config proxy.screen, else off].
    #[arg(long, value_name = "ACTION")]
    pub screen: Option<String>,

    /// Requests per minute for each client [config: proxy.client_limits].
    #[arg(long, value_name = "N")]
    pub client_rpm: Option<u32>,

    /// Share rate limits through this Redis [config: proxy.redis_url].
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,

    /// Keep a tamper-evident audit log of every call in this directory
    /// (rotating JSON lines, hash-chained, signed checkpoints), or `-`
    /// for the same records on standard output (for a log shipper;
    /// needs --audit-key) [config: proxy.audit_log].
    #[arg(long, value_name = "DIR")]
    pub audit_log: Option<PathBuf>,

    /// The audit log's signing key [default: DIR/audit.key; config:
    /// proxy.audit_key].
    #[arg(long, value_name = "FILE")]
    pub audit_key: Option<PathBuf>,

    /// Accept only the client keys in this store (see `hush keys`);
    /// needs the upstream key [config: proxy.keys].
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,

    #[command(flatten)]
    pub opts: VaultOpts,

    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `hush review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The review directory [default: config proxy.review_dir, else
    /// <data dir>/hush/reviews].
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: ReviewCommand,
}

/// `hush review` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Held answers, oldest first (pending ones unless --all).
    List {
        /// Decided ones too.
        #[arg(long)]
        all: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// One held answer, request and answer as sent and received
    /// (pseudonymised).
    Show {
        /// The rev_... id.
        id: String,
    },
    /// Release a held answer to the client.
    Approve {
        /// The rev_... id.
        id: String,
        /// Why (kept with the item).
        #[arg(long)]
        note: Option<String>,
    },
    /// Withhold a held answer for good.
    Reject {
        /// The rev_... id.
        id: String,
        /// Why (kept with the item).
        #[arg(long)]
        note: Option<String>,
    },
}

/// `hush ask`.
#[derive(Debug, Args)]
pub struct AskArgs {
    /// The prompt file [default: standard input].
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// The model.
    #[arg(long, env = "HUSH_MODEL", default_value = "claude-sonnet-4-5")]
    pub model: String,

    /// Maximum tokens of the answer.
    #[arg(long, default_value_t = 1024)]
    pub max_tokens: u32,

    /// A system prompt (redacted too).
    #[arg(long)]
    pub system: Option<String>,

    /// The API base URL [default: config proxy.upstream, else
    /// https://api.anthropic.com].
    #[arg(long, env = "HUSH_UPSTREAM", value_name = "URL")]
    pub upstream: Option<String>,

    /// The environment variable holding the API key.
    #[arg(long, default_value = "ANTHROPIC_API_KEY", value_name = "NAME")]
    pub api_key_env: String,

    /// Print what was sent (pseudonyms only) to standard error.
    #[arg(long)]
    pub show_request: bool,

    #[command(flatten)]
    pub opts: VaultOpts,

    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `hush audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every record's hash and link, and (with --pubkey) every
    /// checkpoint signature; name the first bad record.
    Verify(AuditVerifyArgs),
    /// Remove records older than an age; what remains still verifies
    /// (it starts at a signed anchor) and the purge is recorded.
    Purge(AuditPurgeArgs),
    /// Print the call records that match, as JSON Lines (the stored
    /// lines, hashes included).
    Search(AuditSearchArgs),
}

/// `hush audit verify`.
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// The log directory (or one log file).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// The public key (a .pub file or 64 hex characters). Without it only
    /// the hash chain is checked.
    #[arg(long, env = "HUSH_AUDIT_PUBKEY", value_name = "FILE|HEX")]
    pub pubkey: Option<String>,
}

/// `hush audit purge`.
#[derive(Debug, Args)]
pub struct AuditPurgeArgs {
    /// The log directory.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Remove records older than this: 365d, 12h, 30m, 2w [default:
    /// `[retention] audit_log` of hush.toml].
    #[arg(long, value_name = "AGE")]
    pub older_than: Option<String>,

    /// The log's signing key file [default: PATH/audit.key].
    #[arg(long, env = "HUSH_AUDIT_KEY", value_name = "FILE")]
    pub key: Option<PathBuf>,
}

/// `hush audit search`.
#[derive(Debug, Args)]
pub struct AuditSearchArgs {
    /// The log directory (or one log file).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// From this date or UTC time (inclusive): 2026-11-01,
    /// 2026-11-01T12:00:00Z.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,

    /// Up to this date (the whole day included) or UTC time (exclusive).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,

    /// Only this client key id.
    #[arg(long, value_name = "ID")]
    pub key_id: Option<String>,

    /// Only this model.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,

    /// Only this HTTP status (429) or class (5xx).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,

    /// Only this endpoint (/v1/messages).
    #[arg(long, value_name = "PATH")]
    pub endpoint: Option<String>,
}

/// `hush report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day of the period, inclusive (UTC): 2026-11-01, or a UTC
    /// time 2026-11-01T12:00:00Z.
    #[arg(long, value_name = "DATE")]
    pub from: String,

    /// Last day of the period, the whole day included (UTC): 2026-11-30;
    /// a UTC time is exclusive.
    #[arg(long, value_name = "DATE")]
    pub to: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,

    /// The audit log directory (or one log file) [config:
    /// proxy.audit_log]. Required unless --no-audit-log.
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,

    /// Report without an audit log (configuration, keys and vaults
    /// only; logging is reported as not configured).
    #[arg(long, conflicts_with = "audit_log")]
    pub no_audit_log: bool,

    /// The audit log's public key (a .pub file or 64 hex characters), to
    /// check checkpoint signatures [default: the signing key's .pub file
    /// when it exists].
    #[arg(long, env = "HUSH_AUDIT_PUBKEY", value_name = "FILE|HEX")]
    pub audit_pubkey: Option<String>,

    /// The client key store [config: proxy.keys].
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,

    /// A vault to describe (repeat for several) [config: vault; default:
    /// the default vault when it exists].
    #[arg(long = "vault", value_name = "PATH")]
    pub vaults: Vec<PathBuf>,

    /// The vault key file, when HUSH_KEY is not set [config: key_file;
    /// default: <data dir>/hush/key]. Never created by `report`.
    #[arg(long, env = "HUSH_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `hush report --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Markdown.
    Md,
    /// One self-contained HTML page.
    Html,
    /// JSON (stable field names).
    Json,
}

/// `hush mock-upstream` (hidden, for tests).
#[derive(Debug, Args)]
pub struct MockArgs {
    /// Address to listen on; the chosen address is printed on standard output.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,

    /// Fail this fraction of calls (0 to 1) with --fail-status.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,

    /// The status of simulated failures.
    #[arg(long, default_value_t = 529)]
    pub fail_status: u16,
}

/// `hush keys ...`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// The key store [default: <data dir>/hush/keys.json].
    #[arg(long, global = true, env = "HUSH_KEYS", value_name = "PATH")]
    pub store: Option<PathBuf>,

    #[command(subcommand)]
    pub command: KeysCommand,
}

/// The `hush keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Issue a key and print it (once) with its id.
    Create(KeysCreateArgs),
    /// Every key: id, name, created, age, expiry, status, models.
    List(KeysListArgs),
    /// Revoke a key at once (by name: every working key of that name).
    Revoke(KeysRevokeArgs),
    /// Replace a key by a new one; the old one works until the grace
    /// period ends.
    Rotate(KeysRotateArgs),
    /// Show or set the rotation policy: keys older than --max-age are
    /// "rotation overdue", --warn before that "rotate soon".
    Policy(KeysPolicyArgs),
}

/// `hush keys create`.
#[derive(Debug, Args)]
pub struct KeysCreateArgs {
    /// A name for the key (letters, digits, '.', '_', '-').
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// Models the key may use, as patterns (e.g. 'claude-*')
    /// [default: all].
    #[arg(long, value_name = "PATTERN,...", value_delimiter = ',')]
    pub models: Vec<String>,

    /// The largest max_tokens a request may ask for.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,

    /// Requests per minute (enforced by the proxy).
    #[arg(long, value_name = "N")]
    pub rpm: Option<u32>,

    /// Lifetime: 90d, 12h, 2w [default: no expiry].
    #[arg(long, value_name = "AGE")]
    pub expires: Option<String>,

    /// Print {"id","name","key","expires"} as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `hush keys list`.
#[derive(Debug, Args)]
pub struct KeysListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `hush keys revoke`.
#[derive(Debug, Args)]
pub struct KeysRevokeArgs {
    /// The key's id or name.
    #[arg(value_name = "ID|NAME")]
    pub key: String,
}

/// `hush keys rotate`.
#[derive(Debug, Args)]
pub struct KeysRotateArgs {
    /// The key's id or name.
    #[arg(value_name = "ID|NAME")]
    pub key: String,

    /// How long the old key keeps working (0 ends it now).
    #[arg(long, value_name = "AGE", default_value = "7d")]
    pub grace: String,

    /// Print {"id","name","key","expires"} as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `hush keys policy`.
#[derive(Debug, Args)]
pub struct KeysPolicyArgs {
    /// Maximum key age, in days (e.g. 90d).
    #[arg(long, value_name = "AGE")]
    pub max_age: Option<String>,

    /// Warning period before the maximum age (e.g. 14d).
    #[arg(long, value_name = "AGE")]
    pub warn: Option<String>,
}

/// `hush vault ...`.
#[derive(Debug, Args)]
pub struct VaultArgs {
    #[command(flatten)]
    pub opts: VaultOpts,

    #[command(subcommand)]
    pub command: VaultCommand,
}

/// The `hush vault` subcommands.
/// Where the vault is and how it is opened; shared by `redact`,
/// `restore` and `vault`. Each option can also come from its `HUSH_*`
/// variable or from `hush.toml`.
#[derive(Debug, Args)]
pub struct VaultOpts {
    /// The vault file [default: <data dir>/hush/default.hushvault].
    #[arg(long, global = true, env = "HUSH_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    /// The vault scope (a conversation, a tenant) [default: "default";
    /// vault purge: all scopes].
    #[arg(long, global = true, env = "HUSH_SCOPE", value_name = "NAME")]
    pub scope: Option<String>,

    /// The key file, when HUSH_KEY is not set [default: <data
    /// dir>/hush/key].
    #[arg(long, global = true, env = "HUSH_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// A policy TOML file (operators, tag template, labels).
    #[arg(long, global = true, env = "HUSH_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// `hush redact`: replace personal data by pseudonyms, streaming.
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The input file [default: standard input].
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub opts: VaultOpts,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Write counts per kind (never values) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// What `redact` and `batch` replace: the rules that run, and which of
/// their findings are replaced.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Replace only these kinds (every rule still runs).
    #[arg(
        long,
        env = "HUSH_KINDS",
        value_name = "KIND,...",
        value_delimiter = ',',
        value_parser = parse_kind
    )]
    pub kinds: Vec<Kind>,

    /// Replace only findings scored at least this (0.0 to 1.0).
    #[arg(
        long,
        env = "HUSH_MIN_SCORE",
        value_name = "SCORE",
        value_parser = parse_score
    )]
    pub min_score: Option<f32>,

    #[command(flatten)]
    pub rules: RuleFiles,
}

/// `hush batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The input file or directory.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,

    /// The output file, or a new directory mirroring INPUT (not needed
    /// with --dry-run).
    #[arg(long, value_name = "OUTPUT", required_unless_present = "dry_run")]
    pub out: Option<PathBuf>,

    /// JSON fields to redact: dotted paths (user.email; arrays on the way
    /// are transparent) or JSON pointers (/messages/0/content); @messages
    /// and @batch name the text of Anthropic Messages requests and Message
    /// Batches lines. CSV/TSV: column names. Default: every string value
    /// (every column).
    #[arg(long, value_name = "FIELD,...", value_delimiter = ',')]
    pub fields: Vec<String>,

    /// The input format [default: from each file's extension].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<BatchFormat>,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// What to do with a record that cannot be parsed: stop (fail), leave
    /// it out (skip) or keep it redacted as plain text (keep). Skipped
    /// and kept records are counted and listed in the report.
    #[arg(long, value_enum, default_value_t = OnErrorArg::Fail)]
    pub on_error: OnErrorArg,

    /// Report what would be redacted; write no output.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub opts: VaultOpts,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Write the report (records, bytes, findings per field and kind,
    /// errors with record numbers, time; never values) as JSON here.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// `--format` of `hush batch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BatchFormat {
    Jsonl,
    Csv,
    Tsv,
    Text,
    Parquet,
}

/// `--on-error` of `hush batch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnErrorArg {
    Fail,
    Skip,
    Keep,
}

/// `hush restore`: put the original values back, streaming.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The input file [default: standard input].
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub opts: VaultOpts,

    /// Write counts (restored, unresolved) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Entries per scope and kind, ages, file size.
    Stats,
    /// Remove entries not used for a while (e.g. --older-than 30d).
    Purge(VaultPurgeArgs),
    /// Right to erasure: remove a value or pseudonym from the scope.
    Forget(VaultForgetArgs),
    /// Write every entry as JSON Lines, values sealed unless --reveal.
    Export(VaultExportArgs),
    /// Re-encrypt the vault under a new random key.
    RotateKey,
}

/// `hush vault purge`.
#[derive(Debug, Args)]
pub struct VaultPurgeArgs {
    /// Age since last use: 45s, 90m, 12h, 30d, 2w [default: `[retention]
    /// vault` of hush.toml].
    #[arg(long, value_name = "AGE")]
    pub older_than: Option<String>,
}

/// `hush vault forget`.
#[derive(Debug, Args)]
pub struct VaultForgetArgs {
    /// The original value, or its pseudonym.
    #[arg(value_name = "VALUE-OR-PSEUDONYM")]
    pub value: String,
}

/// `hush vault export`.
#[derive(Debug, Args)]
pub struct VaultExportArgs {
    /// Print values in plain text instead of sealed.
    #[arg(long)]
    pub reveal: bool,

    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `hush scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files to scan. With none, or `-`, reads standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format [default: human; jsonl with --input jsonl].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Show matched values as they are instead of masked. Without it, no
    /// raw value is ever printed.
    #[arg(long)]
    pub reveal: bool,

    /// Report only these kinds (comma-separated, e.g. EMAIL,PHONE).
    #[arg(
        long,
        value_name = "KIND,...",
        value_delimiter = ',',
        value_parser = parse_kind
    )]
    pub kinds: Vec<Kind>,

    /// Report only findings scoring at least this much (0.0 to 1.0).
    #[arg(long, value_name = "SCORE", value_parser = parse_score)]
    pub min_score: Option<f32>,

    #[command(flatten)]
    pub rules: RuleFiles,

    /// How to read input: `text` scans each file as a whole; `jsonl`
    /// reads one JSON object per line and scans one field of each.
    #[arg(long, value_enum, default_value_t = InputMode::Text)]
    pub input: InputMode,

    /// With --input jsonl: the field to scan, a top-level key or a dotted
    /// path such as `meta.body`.
    #[arg(long, value_name = "KEY", default_value = "text")]
    pub field: String,

    /// Bytes read per chunk when streaming (for testing).
    #[arg(
        long,
        hide = true,
        default_value_t = DEFAULT_CHUNK_SIZE,
        value_parser = parse_chunk_size
    )]
    pub chunk_size: usize,
}

/// `--rules FILE`, shared by the subcommands that build a scanner.
#[derive(Debug, Args)]
pub struct RuleFiles {
    /// An extra TOML rule file, added to the built-in rules (repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// A dictionary of terms to find, as CSV lines `term,KIND` (customer
    /// names as PERSON or ORGANIZATION, project names, ...); `term,KIND,allow`
    /// marks a term never to report.
    #[arg(long = "dict", env = "HUSH_DICT", value_name = "FILE")]
    pub dict: Option<PathBuf>,
}

/// `hush rules ...`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print every detector: id, kind and description.
    List(RulesListArgs),
    /// Check that every rule compiles and finds its own examples; exits
    /// 1 if any check fails.
    Check(RulesCheckArgs),
}

/// `hush rules list`.
#[derive(Debug, Args)]
pub struct RulesListArgs {
    #[command(flatten)]
    pub rules: RuleFiles,
}

/// `hush rules check`.
#[derive(Debug, Args)]
pub struct RulesCheckArgs {
    #[command(flatten)]
    pub rules: RuleFiles,
}

/// Output formats of `hush scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `path:line:col: KIND detector value`, one line per finding.
    Human,
    /// One JSON document: `{"findings": [...], "summary": {...}}`.
    Json,
    /// One JSON object per finding (per record with --input jsonl).
    Jsonl,
    /// A SARIF 2.1.0 log, for code-scanning tools.
    Sarif,
}

/// Input modes of `hush scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputMode {
    /// Plain bytes (any encoding, binary tolerated), streamed.
    Text,
    /// JSON Lines records; see --field.
    Jsonl,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event (timestamp, level, target, fields).
    Json,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal.
    Auto,
    /// Never colour.
    Never,
    /// Always colour.
    Always,
}

fn parse_kind(s: &str) -> Result<Kind, hush_detect::UnknownKind> {
    s.trim().to_ascii_uppercase().parse()
}

fn parse_score(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err("expected a number from 0.0 to 1.0".to_string()),
    }
}

fn parse_chunk_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a positive number of bytes".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
