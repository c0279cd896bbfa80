//! The evidence report for a SOC 2 auditor (`hush report`): for each
//! control of the hush seed, the criteria it supports, the configuration
//! in force and the figures of a period, read from the audit log.
//!
//! It lives next to the log because most of its figures are a fold over
//! the log's records; the facts that belong to other crates (client keys,
//! vaults, `hush.toml`) arrive as plain structs ([`KeyFacts`],
//! [`VaultFacts`], [`ControlConfig`]) that the command line gathers, so
//! this crate depends on neither `hush-keys` nor `hush-vault`.
//!
//! Nothing here ever writes an original value: the log holds pseudonyms
//! only, and of those the report keeps counts. Strings that come from
//! log records (models, key ids, error types, decisions, entity kinds)
//! pass through [`label`], which keeps only short identifier-like text,
//! so a client that put an e-mail address in its `model` field cannot
//! get it into the report. Output is deterministic (sorted maps, the
//! generation time is an input), so it can be compared byte for byte.
//!
//! # Example
//!
//! ```
//! use hush_audit::report::{build, read_log, Period, ReportInputs};
//! use hush_audit::{AuditConfig, AuditLog, CallRecord};
//!
//! let dir = tempfile::tempdir()?;
//! let logs = dir.path().join("audit");
//! let log = AuditLog::open(AuditConfig::files(&logs, dir.path().join("k")))?;
//! let mut rec = CallRecord { status: 200, ..CallRecord::default() };
//! rec.entities.insert("EMAIL".into(), 2);
//! log.append_blocking(rec)?;
//! let public = log.public_key();
//! log.close()?;
//!
//! let period = Period::new(0, i64::MAX / 2)?;
//! let facts = read_log(&logs, &period, Some(&public))?;
//! assert!(facts.chain.verified);
//! assert_eq!(facts.figures.entities["EMAIL"], 2);
//! let report = build(ReportInputs::new(period, 0).with_audit(facts));
//! assert!(report.to_markdown().contains("| values pseudonymised: EMAIL | 2 |"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod render;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use render::{escape_html, escape_markdown};

use crate::error::AuditError;
use crate::files;
use crate::key::PublicKey;
use crate::line;
use crate::record::{CallRecord, Entry};
use crate::time::{format_ts, parse_time, DayEnd};

/// The version of the JSON report's shape; bumped when a field changes
/// meaning or goes away.
pub const REPORT_VERSION: u32 = 1;

const CONTROLS_TOML: &str = include_str!("controls.toml");

const DAY_MS: i64 = 86_400_000;

/// One of the nine controls of the hush seed.
///
/// # Example
///
/// ```
/// use hush_audit::report::ControlId;
///
/// assert_eq!(ControlId::Retention.as_str(), "retention");
/// assert_eq!(ControlId::ALL.len(), 9);
/// ```
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ControlId {
    /// Pseudonymisation of personal data before it leaves.
    DataMinimisation,
    /// Client keys: issue, expiry, revocation, rotation.
    KeyManagement,
    /// TLS to the upstream and on the listener.
    EncryptionInTransit,
    /// The audit log and alerts.
    LoggingAndMonitoring,
    /// Request and token limits.
    RateLimiting,
    /// Retries, circuit breaker, fallbacks.
    Continuity,
    /// Checks of requests before processing.
    InputValidation,
    /// Checks of answers before delivery.
    OutputReview,
    /// Purges of the audit log and the vault.
    Retention,
}

impl ControlId {
    /// Every control, in report order.
    pub const ALL: [ControlId; 9] = [
        ControlId::DataMinimisation,
        ControlId::KeyManagement,
        ControlId::EncryptionInTransit,
        ControlId::LoggingAndMonitoring,
        ControlId::RateLimiting,
        ControlId::Continuity,
        ControlId::InputValidation,
        ControlId::OutputReview,
        ControlId::Retention,
    ];

    /// The id as written in `controls.toml` and the JSON report.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::ControlId;
    ///
    /// assert_eq!(ControlId::KeyManagement.as_str(), "key_management");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ControlId::DataMinimisation => "data_minimisation",
            ControlId::KeyManagement => "key_management",
            ControlId::EncryptionInTransit => "encryption_in_transit",
            ControlId::LoggingAndMonitoring => "logging_and_monitoring",
            ControlId::RateLimiting => "rate_limiting",
            ControlId::Continuity => "continuity",
            ControlId::InputValidation => "input_validation",
            ControlId::OutputReview => "output_review",
            ControlId::Retention => "retention",
        }
    }
}

/// A control as described in the embedded `controls.toml`: its SOC 2
/// criteria, what hush does, and why those criteria.
///
/// # Example
///
/// ```
/// use hush_audit::report::{controls, ControlId};
///
/// let transit = controls()
///     .into_iter()
///     .find(|c| c.id == ControlId::EncryptionInTransit)
///     .unwrap();
/// assert_eq!(transit.criteria, ["CC6.7"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Which control.
    pub id: ControlId,
    /// Its title, e.g. `Data minimisation`.
    pub title: String,
    /// The SOC 2 criteria it supports, e.g. `CC6.7`.
    pub criteria: Vec<String>,
    /// What hush does, in one sentence.
    pub does: String,
    /// Why these criteria, in one line.
    pub rationale: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlTable {
    control: Vec<Control>,
}

/// The control table compiled into the crate (`src/report/controls.toml`),
/// in report order.
///
/// # Example
///
/// ```
/// let table = hush_audit::report::controls();
/// assert_eq!(table.len(), 9);
/// assert_eq!(table[0].title, "Data minimisation");
/// ```
pub fn controls() -> Vec<Control> {
    // The table is part of the source and checked by a unit test; a
    // broken table yields no controls rather than a panic.
    toml::from_str::<ControlTable>(CONTROLS_TOML)
        .map(|t| t.control)
        .unwrap_or_default()
}

/// The period a report covers: `[from_ms, to_ms)`, Unix milliseconds.
///
/// # Example
///
/// ```
/// use hush_audit::report::Period;
///
/// let p = Period::from_dates("2026-11-01", "2026-11-30")?;
/// assert_eq!(p.from_text(), "2026-11-01T00:00:00.000Z");
/// // The whole 30th is included: the end is the next midnight.
/// assert_eq!(p.to_text(), "2026-12-01T00:00:00.000Z");
/// assert!(Period::from_dates("2026-11-30", "2026-11-01").is_err());
/// # Ok::<(), hush_audit::AuditError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// The first millisecond included.
    pub from_ms: i64,
    /// The first millisecond after the period.
    pub to_ms: i64,
}

impl Period {
    /// A period from Unix milliseconds, `to_ms` exclusive.
    ///
    /// # Errors
    ///
    /// [`AuditError::Config`] unless `from_ms < to_ms`.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(hush_audit::report::Period::new(5, 5).is_err());
    /// ```
    pub fn new(from_ms: i64, to_ms: i64) -> Result<Period, AuditError> {
        if from_ms >= to_ms {
            return Err(AuditError::Config(format!(
                "the period is empty: --from {} is not before --to {}",
                format_ts(from_ms),
                format_ts(to_ms)
            )));
        }
        Ok(Period { from_ms, to_ms })
    }

    /// A period from the `--from` and `--to` of the command line: dates
    /// (`2026-11-01`) or UTC times (`2026-11-01T12:00:00Z`). `from` is
    /// inclusive; a `to` date includes that whole day, a `to` time is
    /// exclusive (as in `hush audit search`).
    ///
    /// # Errors
    ///
    /// [`AuditError::Config`] for a bad date, or `from` not before `to`.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::Period;
    ///
    /// let day = Period::from_dates("2026-11-01", "2026-11-01")?;
    /// assert_eq!(day.to_ms - day.from_ms, 86_400_000);
    /// assert!(Period::from_dates("2026-02-30", "2026-03-01").is_err());
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn from_dates(from: &str, to: &str) -> Result<Period, AuditError> {
        let from_ms = parse_time(from, DayEnd::Start)?;
        let to_ms = parse_time(to, DayEnd::End)?;
        Period::new(from_ms, to_ms)
    }

    /// Whether a time falls in the period.
    ///
    /// # Example
    ///
    /// ```
    /// let p = hush_audit::report::Period::new(10, 20)?;
    /// assert!(p.contains(10) && !p.contains(20));
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn contains(&self, ms: i64) -> bool {
        self.from_ms <= ms && ms < self.to_ms
    }

    /// The first millisecond, as a log timestamp.
    ///
    /// # Example
    ///
    /// ```
    /// let p = hush_audit::report::Period::new(0, 1)?;
    /// assert_eq!(p.from_text(), "1970-01-01T00:00:00.000Z");
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn from_text(&self) -> String {
        format_ts(self.from_ms)
    }

    /// The end (exclusive), as a log timestamp.
    ///
    /// # Example
    ///
    /// ```
    /// let p = hush_audit::report::Period::new(0, 86_400_000)?;
    /// assert_eq!(p.to_text(), "1970-01-02T00:00:00.000Z");
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn to_text(&self) -> String {
        format_ts(self.to_ms)
    }
}

/// Keeps `text` if it looks like an identifier (1 to 80 characters of
/// ASCII letters, digits and `. _ - : + /`), else `(other)`.
///
/// Every string the report takes from a log record goes through this:
/// models, key ids, error types, decisions and entity kinds are such
/// identifiers, and anything else (a name, an e-mail address, free
/// text) is not shown.
///
/// # Example
///
/// ```
/// use hush_audit::report::label;
///
/// assert_eq!(label("claude-sonnet-4-5"), "claude-sonnet-4-5");
/// assert_eq!(label("jane.roe@acme.io"), "(other)");
/// assert_eq!(label("Jane Roe"), "(other)");
/// ```
pub fn label(text: &str) -> String {
    let ok = (1..=80).contains(&text.len())
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'.' | b'_' | b'-' | b':' | b'+' | b'/')
        });
    if ok {
        text.to_string()
    } else {
        "(other)".to_string()
    }
}

/// Latency percentiles of the calls of a period, milliseconds
/// (nearest-rank).
///
/// # Example
///
/// ```
/// let l = hush_audit::report::Latency::of(&mut vec![3.0, 1.0, 2.0]).unwrap();
/// assert_eq!((l.p50, l.max), (2.0, 3.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

impl Latency {
    /// The percentiles of `values` (sorted in place); `None` when empty.
    /// Values that are not finite numbers are left out.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::Latency;
    ///
    /// let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
    /// let l = Latency::of(&mut v).unwrap();
    /// assert_eq!((l.p50, l.p95, l.p99), (50.0, 95.0, 99.0));
    /// assert!(Latency::of(&mut Vec::new()).is_none());
    /// ```
    pub fn of(values: &mut Vec<f64>) -> Option<Latency> {
        values.retain(|v| v.is_finite());
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let rank = |p: f64| {
            // Nearest rank: the smallest value with at least p of all
            // values at or below it.
            let r = (p * n as f64).ceil() as usize;
            values[r.clamp(1, n) - 1]
        };
        (n > 0).then(|| Latency {
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: values[n - 1],
        })
    }
}

/// Token totals from the upstream `usage` objects of a period.
///
/// # Example
///
/// ```
/// let u = hush_audit::report::TokenUsage::default();
/// assert_eq!(u.input_tokens + u.output_tokens, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TokenUsage {
    /// `input_tokens`.
    pub input_tokens: u64,
    /// `output_tokens`.
    pub output_tokens: u64,
    /// `cache_creation_input_tokens`.
    pub cache_creation_input_tokens: u64,
    /// `cache_read_input_tokens`.
    pub cache_read_input_tokens: u64,
}

/// What the call records of a period add up to.
///
/// Build it with [`CallFigures::add`] for each record and
/// [`CallFigures::finish`] once; [`read_log`] does both.
///
/// # Example
///
/// ```
/// use hush_audit::report::CallFigures;
/// use hush_audit::CallRecord;
///
/// let mut f = CallFigures::default();
/// f.add(&CallRecord {
///     status: 429,
///     decisions: vec!["rate_limited:client:rpm".into()],
///     ..CallRecord::default()
/// });
/// f.finish();
/// assert_eq!(f.refused["rate_limited:client:rpm"], 1);
/// assert_eq!(f.by_status_class["4xx"], 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CallFigures {
    /// Call records in the period.
    pub calls: u64,
    /// Per status class: `2xx`, `4xx`, `5xx`...
    pub by_status_class: BTreeMap<String, u64>,
    /// Per model asked for (`(none)` when absent).
    pub by_model: BTreeMap<String, u64>,
    /// Per client key id (`(none)` when the call had none).
    pub by_key_id: BTreeMap<String, u64>,
    /// Per endpoint.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Values pseudonymised, per kind.
    pub entities: BTreeMap<String, u64>,
    /// Values pseudonymised, all kinds.
    pub entities_total: u64,
    /// Calls with at least one value pseudonymised.
    pub calls_with_entities: u64,
    /// Pseudonyms restored in answers.
    pub restored: u64,
    /// Calls answered with a status of 400 or more, per reason: the
    /// hush decision that refused it (`injection_screen`,
    /// `rate_limited:<scope>:<dimension>`, `rate_limiter_unavailable`,
    /// `circuit_open`, `answer_schema_invalid`), else the error type
    /// (`authentication_error`, `overloaded_error`...), else
    /// `status_<code>`.
    pub refused: BTreeMap<String, u64>,
    /// Calls answered with a status of 400 or more.
    pub refused_total: u64,
    /// Prompts flagged by injection screening, per action taken
    /// (`flag`, `strip`, `block`).
    pub screening: BTreeMap<String, u64>,
    /// Fallbacks taken, per kind (`model`, `upstream`, `cache`,
    /// `static`, `disabled`).
    pub fallbacks: BTreeMap<String, u64>,
    /// Calls refused by the rate limiter, per `scope:dimension`.
    pub rate_limited: BTreeMap<String, u64>,
    /// Calls refused because the rate limiter could not be reached.
    pub rate_limiter_unavailable: u64,
    /// Calls refused by an open circuit breaker.
    pub circuit_open: u64,
    /// Upstream retries in all.
    pub retries: u64,
    /// Calls retried at least once.
    pub calls_retried: u64,
    /// Images and documents forwarded (media policy `allow`).
    pub media_allowed: u64,
    /// Answers held for review.
    pub held_for_review: u64,
    /// Answers that failed their route's JSON Schema.
    pub answer_schema_invalid: u64,
    /// Latency percentiles (absent without calls).
    pub latency_ms: Option<Latency>,
    /// Token totals.
    pub usage: TokenUsage,
    #[serde(skip)]
    latencies: Vec<f64>,
}

fn bump(map: &mut BTreeMap<String, u64>, key: String, n: u64) {
    let v = map.entry(key).or_default();
    *v = v.saturating_add(n);
}

/// Why a call with a status of 400 or more was not answered.
fn refusal_reason(r: &CallRecord) -> String {
    for d in &r.decisions {
        if d.starts_with("injection:block") {
            return "injection_screen".into();
        }
        if let Some(rest) = d.strip_prefix("rate_limited:") {
            return format!("rate_limited:{}", label(rest));
        }
        if d == "rate_limiter_unavailable" {
            return d.clone();
        }
        if d.starts_with("circuit_open") {
            return "circuit_open".into();
        }
        if d == "answer_schema:invalid" {
            return "answer_schema_invalid".into();
        }
    }
    match &r.error {
        Some(e) => label(e),
        None => format!("status_{}", r.status),
    }
}

impl CallFigures {
    /// Adds one call record.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::CallFigures;
    /// use hush_audit::CallRecord;
    ///
    /// let mut f = CallFigures::default();
    /// let mut r = CallRecord { status: 200, ..CallRecord::default() };
    /// r.entities.insert("PERSON".into(), 3);
    /// f.add(&r);
    /// assert_eq!((f.calls, f.entities_total), (1, 3));
    /// ```
    pub fn add(&mut self, r: &CallRecord) {
        self.calls += 1;
        bump(&mut self.by_status_class, format!("{}xx", r.status / 100), 1);
        let none = || "(none)".to_string();
        bump(
            &mut self.by_model,
            r.model.as_deref().map_or_else(none, label),
            1,
        );
        bump(
            &mut self.by_key_id,
            r.key_id.as_deref().map_or_else(none, label),
            1,
        );
        bump(&mut self.by_endpoint, label(&r.endpoint), 1);
        let mut any = false;
        for (kind, n) in &r.entities {
            if *n > 0 {
                any = true;
                bump(&mut self.entities, label(kind), *n);
                self.entities_total = self.entities_total.saturating_add(*n);
            }
        }
        self.calls_with_entities += u64::from(any);
        self.restored = self.restored.saturating_add(r.restored);
        if r.status >= 400 {
            self.refused_total += 1;
            bump(&mut self.refused, refusal_reason(r), 1);
        }
        for d in &r.decisions {
            let mut parts = d.splitn(3, ':');
            let head = parts.next().unwrap_or_default();
            let second = parts.next();
            match (head, second) {
                ("injection", Some(action)) => {
                    bump(&mut self.screening, label(action), 1)
                }
                ("fallback", Some(kind)) => {
                    bump(&mut self.fallbacks, label(kind), 1)
                }
                ("rate_limited", Some(_)) => bump(
                    &mut self.rate_limited,
                    label(&d["rate_limited:".len()..]),
                    1,
                ),
                ("rate_limiter_unavailable", None) => {
                    self.rate_limiter_unavailable += 1
                }
                ("circuit_open", _) => self.circuit_open += 1,
                ("media_allowed", Some(n)) => {
                    let n = n.parse::<u64>().unwrap_or(0);
                    self.media_allowed = self.media_allowed.saturating_add(n);
                }
                ("held_for_review", _) => self.held_for_review += 1,
                ("answer_schema", Some("invalid")) => {
                    self.answer_schema_invalid += 1
                }
                _ => {}
            }
        }
        self.retries = self.retries.saturating_add(u64::from(r.retries));
        self.calls_retried += u64::from(r.retries > 0);
        self.latencies.push(r.latency_ms);
        if let Some(u) = r.usage.as_ref() {
            let get = |k: &str| u.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
            let t = &mut self.usage;
            t.input_tokens =
                t.input_tokens.saturating_add(get("input_tokens"));
            t.output_tokens =
                t.output_tokens.saturating_add(get("output_tokens"));
            t.cache_creation_input_tokens = t
                .cache_creation_input_tokens
                .saturating_add(get("cache_creation_input_tokens"));
            t.cache_read_input_tokens = t
                .cache_read_input_tokens
                .saturating_add(get("cache_read_input_tokens"));
        }
    }

    /// Computes the latency percentiles of the calls added so far.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::CallFigures;
    /// use hush_audit::CallRecord;
    ///
    /// let mut f = CallFigures::default();
    /// f.add(&CallRecord { latency_ms: 12.5, ..CallRecord::default() });
    /// f.finish();
    /// assert_eq!(f.latency_ms.unwrap().p99, 12.5);
    /// ```
    pub fn finish(&mut self) {
        self.latency_ms = Latency::of(&mut self.latencies);
    }
}

/// A purge recorded in the log during the period.
///
/// # Example
///
/// ```
/// let p = hush_audit::report::PurgeFact {
///     ts: "2026-11-02T03:00:00.000Z".into(),
///     cutoff: "2025-11-02T03:00:00.000Z".into(),
///     removed_count: 40,
/// };
/// assert_eq!(p.removed_count, 40);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PurgeFact {
    /// When the purge ran.
    pub ts: String,
    /// Records older than this were removed.
    pub cutoff: String,
    /// Records removed.
    pub removed_count: u64,
}

/// The signed anchor a purged log starts at.
///
/// # Example
///
/// ```
/// let a = hush_audit::report::AnchorFact {
///     ts: "2026-11-02T03:00:00.000Z".into(),
///     removed_count: 40,
/// };
/// assert_eq!(a.removed_count, 40);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnchorFact {
    /// The time of the last removed record.
    pub ts: String,
    /// Records it stands for (all purges together).
    pub removed_count: u64,
}

/// Where a log first failed verification (never what the record held).
///
/// # Example
///
/// ```
/// let p = hush_audit::report::ChainProblem {
///     file: "audit-00000000000000000000.jsonl".into(),
///     line: 8,
///     seq: Some(7),
///     what: "hash does not match the line's content".into(),
/// };
/// assert_eq!(p.line, 8);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// The file's name.
    pub file: String,
    /// The 1-based line in that file (0: the file as a whole).
    pub line: u64,
    /// The record's seq, when its envelope could be read.
    pub seq: Option<u64>,
    /// What is wrong, as the verifier says it.
    pub what: String,
}

/// What verifying the whole log found.
///
/// # Example
///
/// ```
/// let c = hush_audit::report::ChainFacts::default();
/// assert!(!c.verified);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChainFacts {
    /// Whether every record verified.
    pub verified: bool,
    /// Whether checkpoint signatures were checked (a public key was
    /// given).
    pub signatures_checked: bool,
    /// The id of the public key used, if any.
    pub public_key_id: Option<String>,
    /// Records that verified (all entry types, the whole log).
    pub records: u64,
    /// Checkpoints seen.
    pub checkpoints: u64,
    /// Checkpoints whose signature was verified.
    pub checkpoints_verified: u64,
    /// Records after the last verified signature.
    pub unsigned_tail: u64,
    /// The time of the first and last record.
    pub first_ts: Option<String>,
    /// The time of the last record.
    pub last_ts: Option<String>,
    /// The first problem, if the log does not verify.
    pub problem: Option<ChainProblem>,
}

/// Keeps the verifier's message if it is plain prose, else a pointer to
/// `hush audit verify` (a forged line could put anything in a field the
/// message quotes, such as a checkpoint's key id).
fn plain_message(what: &str) -> String {
    let ok = what.len() <= 300
        && what.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b' ' | b'.'
                        | b','
                        | b':'
                        | b';'
                        | b'('
                        | b')'
                        | b'\''
                        | b'-'
                        | b'_'
                        | b'?'
                )
        });
    if ok {
        what.to_string()
    } else {
        "see `hush audit verify` for details".into()
    }
}

/// What the audit log says about a period: call figures, purges and the
/// verification of the whole chain.
///
/// # Example
///
/// ```
/// let f = hush_audit::report::LogFacts::default();
/// assert_eq!(f.figures.calls, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LogFacts {
    /// The log directory or file.
    pub path: String,
    /// Records of every type timestamped in the period.
    pub records_in_period: u64,
    /// Lines that could not be read as records (in the period, or with
    /// no readable time).
    pub unreadable_lines: u64,
    /// The call records of the period.
    pub figures: CallFigures,
    /// Purges recorded in the period.
    pub purges: Vec<PurgeFact>,
    /// The anchor the log starts at, if it was ever purged.
    pub anchor: Option<AnchorFact>,
    /// The time of the oldest record kept (an anchor aside).
    pub oldest_record: Option<String>,
    /// Verification of the whole log.
    pub chain: ChainFacts,
}

/// Reads a log (a directory of rotated files or one file): verifies the
/// whole chain with [`verify`](crate::verify) (and checkpoint
/// signatures when `key` is given), then adds up the records timestamped
/// in `period`.
///
/// A log that fails verification is not an error: the result says where
/// ([`ChainFacts::problem`]), and the figures are still computed from the
/// lines that can be read, for the report to present as unverified.
///
/// # Errors
///
/// When the path cannot be read, holds no log files, or is not an audit
/// log at all (its first line has no audit envelope).
///
/// # Example
///
/// ```
/// use hush_audit::report::{read_log, Period};
///
/// let dir = tempfile::tempdir()?;
/// let missing = dir.path().join("nothing-here");
/// let p = Period::new(0, 1)?;
/// assert!(read_log(&missing, &p, None).is_err());
/// std::fs::write(dir.path().join("x.jsonl"), "hello\n")?;
/// assert!(read_log(&dir.path().join("x.jsonl"), &p, None).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_log(
    path: &Path,
    period: &Period,
    key: Option<&PublicKey>,
) -> Result<LogFacts, AuditError> {
    let (dir, list) = files::resolve(path)?;
    let list = match dir {
        Some(_) => crate::verify::live_files(list)?.0,
        None => list,
    };
    if let Some(first) = list.first() {
        match files::first_line(first)? {
            Some(l) if line::parse(&l).is_err() => {
                return Err(AuditError::corrupt(
                    first,
                    1,
                    "not an audit log (the first line has no audit \
                     envelope)",
                ))
            }
            _ => {}
        }
    }
    let v = crate::verify(path, key)?;
    let chain = ChainFacts {
        verified: v.is_ok(),
        signatures_checked: v.signed,
        public_key_id: key.map(PublicKey::key_id),
        records: v.records,
        checkpoints: v.checkpoints,
        checkpoints_verified: v.checkpoints_verified,
        unsigned_tail: v.unsigned_tail,
        first_ts: v.first_ts.clone(),
        last_ts: v.last_ts.clone(),
        problem: v.problem.as_ref().map(|p| ChainProblem {
            file: p.file.file_name().map_or_else(
                || p.file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            line: p.line,
            seq: p.seq,
            what: plain_message(&p.what),
        }),
    };
    let mut facts = LogFacts {
        path: path.display().to_string(),
        chain,
        ..LogFacts::default()
    };
    let mut buf = Vec::with_capacity(64 * 1024);
    'files: for f in &list {
        let file =
            File::open(f).map_err(|e| AuditError::io(f, "cannot open", e))?;
        let mut r = BufReader::with_capacity(1 << 20, file);
        loop {
            buf.clear();
            let n = r
                .read_until(b'\n', &mut buf)
                .map_err(|e| AuditError::io(f, "cannot read", e))?;
            let Some(raw) = buf.strip_suffix(b"\n") else {
                // End of file, or a torn last line (verify notes it).
                break;
            };
            if n == 0 {
                break;
            }
            let Ok(env) = line::parse(raw) else {
                facts.unreadable_lines += 1;
                continue;
            };
            if env.kind != b"anchor" && facts.oldest_record.is_none() {
                facts.oldest_record = Some(format_ts(env.ts_ms));
            }
            if env.kind == b"anchor" {
                if let Ok(Entry::Anchor(a)) = serde_json::from_slice(raw) {
                    facts.anchor = Some(AnchorFact {
                        ts: format_ts(env.ts_ms),
                        removed_count: a.removed_count,
                    });
                }
            }
            // Timestamps never decrease along a chain.
            if env.ts_ms >= period.to_ms {
                break 'files;
            }
            if env.ts_ms < period.from_ms {
                continue;
            }
            facts.records_in_period += 1;
            match (env.kind, serde_json::from_slice::<Entry>(raw)) {
                (b"call", Ok(Entry::Call(rec))) => facts.figures.add(&rec),
                (b"purge", Ok(Entry::Purge(p))) => {
                    let cutoff = crate::time::parse_ts(p.cutoff.as_bytes())
                        .map_or_else(|| "(unreadable)".into(), format_ts);
                    facts.purges.push(PurgeFact {
                        ts: format_ts(env.ts_ms),
                        cutoff,
                        removed_count: p.removed_count,
                    });
                }
                (_, Ok(_)) => {}
                (_, Err(_)) => facts.unreadable_lines += 1,
            }
        }
    }
    facts.figures.finish();
    Ok(facts)
}

/// One client key, as the report shows it: never the secret or its
/// hash.
///
/// # Example
///
/// ```
/// let k = hush_audit::report::KeyFact {
///     id: "k1".into(),
///     name: "svc".into(),
///     created: "2026-08-01".into(),
///     age_days: 120,
///     expires: None,
///     revoked: None,
///     status: "rotation overdue".into(),
///     rotation: "overdue".into(),
/// };
/// assert_eq!(k.age_days, 120);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyFact {
    /// The key id.
    pub id: String,
    /// The key's name.
    pub name: String,
    /// Creation date (UTC, `YYYY-MM-DD`).
    pub created: String,
    /// Whole days since creation, at report time.
    pub age_days: u64,
    /// Expiry date, if any.
    pub expires: Option<String>,
    /// Revocation date, if revoked.
    pub revoked: Option<String>,
    /// The store's status: `ok`, `rotate soon`, `rotation overdue`,
    /// `rotating`, `expired`, `revoked`.
    pub status: String,
    /// Rotation against the store's policy: `not due`, `due`,
    /// `overdue`, `in progress`, or `-` for a key that no longer works.
    pub rotation: String,
}

/// The client key store.
///
/// # Example
///
/// ```
/// let k = hush_audit::report::KeyFacts {
///     store: "keys.json".into(),
///     max_age_days: 90,
///     warn_days: 14,
///     keys: Vec::new(),
/// };
/// assert!(k.keys.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyFacts {
    /// The store file.
    pub store: String,
    /// The rotation policy's maximum age.
    pub max_age_days: u32,
    /// Its warning period.
    pub warn_days: u32,
    /// Every key, in store order.
    pub keys: Vec<KeyFact>,
}

/// One pseudonym vault: counts and ages, never a value or a mapping.
///
/// # Example
///
/// ```
/// let v = hush_audit::report::VaultFacts {
///     path: "default.hushvault".into(),
///     entries: 2,
///     scopes: 1,
///     by_kind: Default::default(),
///     oldest_created_days: Some(3),
///     oldest_used_days: Some(1),
///     encryption: "XChaCha20-Poly1305".into(),
/// };
/// assert_eq!(v.entries, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VaultFacts {
    /// The vault file.
    pub path: String,
    /// Entries in all scopes.
    pub entries: u64,
    /// Scopes holding entries.
    pub scopes: u64,
    /// Entries per kind, all scopes.
    pub by_kind: BTreeMap<String, u64>,
    /// Age in days of the oldest entry, at report time.
    pub oldest_created_days: Option<u64>,
    /// Days since the least recently used entry was used.
    pub oldest_used_days: Option<u64>,
    /// Encryption at rest, e.g. `XChaCha20-Poly1305`.
    pub encryption: String,
}

/// The retention declared in `hush.toml` (`[retention]`), in days.
///
/// # Example
///
/// ```
/// let r = hush_audit::report::RetentionPolicy { audit_days: Some(365), vault_days: None };
/// assert!(r.is_declared());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RetentionPolicy {
    /// Audit records older than this are to be purged.
    pub audit_days: Option<u64>,
    /// Vault entries unused for this long are to be purged.
    pub vault_days: Option<u64>,
}

impl RetentionPolicy {
    /// Whether anything is declared.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(!hush_audit::report::RetentionPolicy::default().is_declared());
    /// ```
    pub fn is_declared(&self) -> bool {
        self.audit_days.is_some() || self.vault_days.is_some()
    }
}

/// Whether a control is in force, by the configuration.
///
/// # Example
///
/// ```
/// use hush_audit::report::Status;
///
/// assert_eq!(Status::NotConfigured.as_str(), "not configured");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Configured and working as described.
    InForce,
    /// Part of it is configured; the findings say what is not.
    Partial,
    /// Not configured.
    NotConfigured,
}

impl Status {
    /// `in force`, `partial` or `not configured`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(hush_audit::report::Status::InForce.as_str(), "in force");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InForce => "in force",
            Status::Partial => "partial",
            Status::NotConfigured => "not configured",
        }
    }
}

/// A named value: a setting in force or a figure.
///
/// # Example
///
/// ```
/// let s = hush_audit::report::Item::new("listener TLS", "yes");
/// assert_eq!(s.name, "listener TLS");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// What it is.
    pub name: String,
    /// Its value, as text.
    pub value: String,
}

impl Item {
    /// An item.
    ///
    /// # Example
    ///
    /// ```
    /// let f = hush_audit::report::Item::new("calls", 3);
    /// assert_eq!(f.value, "3");
    /// ```
    pub fn new(name: impl Into<String>, value: impl ToString) -> Item {
        Item { name: name.into(), value: value.to_string() }
    }
}

/// The configuration of one control, as the command line read it from
/// `hush.toml` and the flags.
///
/// # Example
///
/// ```
/// use hush_audit::report::{ControlConfig, ControlId, Item, Status};
///
/// let c = ControlConfig::new(ControlId::RateLimiting, Status::NotConfigured)
///     .setting(Item::new("limits", "none"));
/// assert_eq!(c.settings.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ControlConfig {
    /// Which control.
    pub id: ControlId,
    /// Whether it is in force.
    pub status: Status,
    /// The settings in force (no secrets).
    pub settings: Vec<Item>,
    /// What the configuration leaves open.
    pub findings: Vec<String>,
}

impl ControlConfig {
    /// A control's configuration with no settings yet.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::{ControlConfig, ControlId, Status};
    ///
    /// let c = ControlConfig::new(ControlId::Continuity, Status::InForce);
    /// assert!(c.findings.is_empty());
    /// ```
    pub fn new(id: ControlId, status: Status) -> ControlConfig {
        ControlConfig {
            id,
            status,
            settings: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// Adds a setting.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::{ControlConfig, ControlId, Item, Status};
    ///
    /// let c = ControlConfig::new(ControlId::Continuity, Status::InForce)
    ///     .setting(Item::new("retries", "3 attempts"));
    /// assert_eq!(c.settings[0].value, "3 attempts");
    /// ```
    pub fn setting(mut self, item: Item) -> ControlConfig {
        self.settings.push(item);
        self
    }

    /// Adds a finding.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::{ControlConfig, ControlId, Status};
    ///
    /// let c = ControlConfig::new(ControlId::Continuity, Status::Partial)
    ///     .finding("no fallback route");
    /// assert_eq!(c.findings, ["no fallback route"]);
    /// ```
    pub fn finding(mut self, text: impl Into<String>) -> ControlConfig {
        self.findings.push(text.into());
        self
    }
}

/// Everything a report is built from.
///
/// # Example
///
/// ```
/// use hush_audit::report::{build, Period, ReportInputs};
///
/// let inputs = ReportInputs::new(Period::new(0, 1)?, 0);
/// let report = build(inputs);
/// assert_eq!(report.controls.len(), 9);
/// # Ok::<(), hush_audit::AuditError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReportInputs {
    /// The period.
    pub period: Period,
    /// When the report is made (ages are counted to this time).
    pub generated_at_ms: i64,
    /// What was read, and from where (the config file, the log...).
    pub sources: Vec<Item>,
    /// The audit log's facts, if a log was read.
    pub audit: Option<LogFacts>,
    /// The client key store, if one is configured.
    pub keys: Option<KeyFacts>,
    /// The vaults read.
    pub vaults: Vec<VaultFacts>,
    /// The declared retention.
    pub retention: RetentionPolicy,
    /// The configuration per control; a control left out is reported
    /// as not configured.
    pub controls: Vec<ControlConfig>,
}

impl ReportInputs {
    /// Inputs with no facts yet.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::{Period, ReportInputs};
    ///
    /// let i = ReportInputs::new(Period::new(0, 1)?, 42);
    /// assert!(i.audit.is_none());
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn new(period: Period, generated_at_ms: i64) -> ReportInputs {
        ReportInputs {
            period,
            generated_at_ms,
            sources: Vec::new(),
            audit: None,
            keys: None,
            vaults: Vec::new(),
            retention: RetentionPolicy::default(),
            controls: Vec::new(),
        }
    }

    /// With the audit log's facts.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::{LogFacts, Period, ReportInputs};
    ///
    /// let i = ReportInputs::new(Period::new(0, 1)?, 0).with_audit(LogFacts::default());
    /// assert!(i.audit.is_some());
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn with_audit(mut self, facts: LogFacts) -> ReportInputs {
        self.audit = Some(facts);
        self
    }
}

/// The period as shown in a report.
///
/// # Example
///
/// ```
/// use hush_audit::report::{build, Period, ReportInputs};
///
/// let r = build(ReportInputs::new(Period::from_dates("2026-11-01", "2026-11-30")?, 0));
/// assert_eq!(r.period.to_exclusive, "2026-12-01T00:00:00.000Z");
/// # Ok::<(), hush_audit::AuditError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeriodText {
    /// The first instant included.
    pub from: String,
    /// The first instant after the period.
    pub to_exclusive: String,
}

/// One control's section of the report.
///
/// # Example
///
/// ```
/// use hush_audit::report::{build, ControlId, Period, ReportInputs, Status};
///
/// let r = build(ReportInputs::new(Period::new(0, 1)?, 0));
/// let keys = r.control(ControlId::KeyManagement).unwrap();
/// assert_eq!(keys.status, Status::NotConfigured);
/// # Ok::<(), hush_audit::AuditError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControlSection {
    /// Which control, its criteria, what hush does and why.
    #[serde(flatten)]
    pub control: Control,
    /// Whether it is in force.
    pub status: Status,
    /// The configuration in force.
    pub settings: Vec<Item>,
    /// The figures of the period.
    pub figures: Vec<Item>,
    /// What needs attention.
    pub findings: Vec<String>,
}

/// The evidence report: serialise it with serde for JSON, or render it
/// with [`Report::to_markdown`] or [`Report::to_html`].
///
/// # Example
///
/// ```
/// use hush_audit::report::{build, Period, ReportInputs};
///
/// let r = build(ReportInputs::new(Period::new(0, 1)?, 0));
/// let json = r.to_json()?;
/// assert!(json.starts_with("{\n  \"report_version\": 1,"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub report_version: u32,
    /// When it was made.
    pub generated_at: String,
    /// The period covered.
    pub period: PeriodText,
    /// What was read.
    pub sources: Vec<Item>,
    /// One section per control, in table order.
    pub controls: Vec<ControlSection>,
    /// The audit log's facts, if a log was read.
    pub audit: Option<LogFacts>,
    /// The client keys, if a store is configured.
    pub keys: Option<KeyFacts>,
    /// The vaults read.
    pub vaults: Vec<VaultFacts>,
    /// The declared retention.
    pub retention: RetentionPolicy,
}

impl Report {
    /// The section of one control.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::{build, ControlId, Period, ReportInputs};
    ///
    /// let r = build(ReportInputs::new(Period::new(0, 1)?, 0));
    /// assert!(r.control(ControlId::Retention).is_some());
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn control(&self, id: ControlId) -> Option<&ControlSection> {
        self.controls.iter().find(|c| c.control.id == id)
    }

    /// The report as pretty-printed JSON (stable field names, sorted
    /// maps), with a final newline.
    ///
    /// # Errors
    ///
    /// Never in practice (every field is serialisable); the type says
    /// what serde says.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::{build, Period, ReportInputs};
    ///
    /// let r = build(ReportInputs::new(Period::new(0, 1)?, 0));
    /// let v: serde_json::Value = serde_json::from_str(&r.to_json()?)?;
    /// assert_eq!(v["controls"][2]["criteria"][0], "CC6.7");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }
}

fn days_between(earlier_ms: i64, later_ms: i64) -> u64 {
    u64::try_from(later_ms.saturating_sub(earlier_ms).max(0) / DAY_MS)
        .unwrap_or(0)
}

fn ts_days_before(ts: &str, now_ms: i64) -> Option<u64> {
    crate::time::parse_ts(ts.as_bytes()).map(|t| days_between(t, now_ms))
}

/// Builds the report: the control table, the configuration per control,
/// and the figures that bear on each one, with findings where the facts
/// fall short (a chain that does not verify, keys overdue for rotation,
/// records kept past the declared retention).
///
/// # Example
///
/// ```
/// use hush_audit::report::{build, ControlConfig, ControlId, Period, ReportInputs, Status};
///
/// let mut inputs = ReportInputs::new(Period::new(0, 1)?, 0);
/// inputs.controls.push(ControlConfig::new(ControlId::Continuity, Status::InForce));
/// let r = build(inputs);
/// assert_eq!(r.control(ControlId::Continuity).unwrap().status, Status::InForce);
/// // No audit log: logging is not configured, and the report says so.
/// let log = r.control(ControlId::LoggingAndMonitoring).unwrap();
/// assert_eq!(log.status, Status::NotConfigured);
/// # Ok::<(), hush_audit::AuditError>(())
/// ```
pub fn build(inputs: ReportInputs) -> Report {
    let mut controls = Vec::new();
    for control in self::controls() {
        let cfg = inputs
            .controls
            .iter()
            .find(|c| c.id == control.id)
            .cloned()
            .unwrap_or_else(|| {
                ControlConfig::new(control.id, Status::NotConfigured)
            });
        let mut section = ControlSection {
            control,
            status: cfg.status,
            settings: cfg.settings,
            figures: Vec::new(),
            findings: cfg.findings,
        };
        figures_for(&mut section, &inputs);
        controls.push(section);
    }
    Report {
        report_version: REPORT_VERSION,
        generated_at: format_ts(inputs.generated_at_ms),
        period: PeriodText {
            from: inputs.period.from_text(),
            to_exclusive: inputs.period.to_text(),
        },
        sources: inputs.sources,
        controls,
        audit: inputs.audit,
        keys: inputs.keys,
        vaults: inputs.vaults,
        retention: inputs.retention,
    }
}

fn per(
    figures: &mut Vec<Item>,
    what: &str,
    map: &BTreeMap<String, u64>,
    empty: &str,
) {
    if map.is_empty() {
        figures.push(Item::new(what, empty));
    }
    for (k, n) in map {
        figures.push(Item::new(format!("{what}: {k}"), n));
    }
}

fn figures_for(s: &mut ControlSection, inputs: &ReportInputs) {
    let audit = inputs.audit.as_ref();
    let f = audit.map(|a| &a.figures);
    let out = &mut s.figures;
    let no_log = "no audit log read";
    let now = inputs.generated_at_ms;
    match s.control.id {
        ControlId::DataMinimisation => {
            if let Some(f) = f {
                out.push(Item::new("calls in the period", f.calls));
                out.push(Item::new(
                    "calls with values pseudonymised",
                    f.calls_with_entities,
                ));
                out.push(Item::new(
                    "values pseudonymised (all kinds)",
                    f.entities_total,
                ));
                per(out, "values pseudonymised", &f.entities, "none");
            } else {
                out.push(Item::new("calls in the period", no_log));
            }
            for v in &inputs.vaults {
                out.push(Item::new(
                    format!("vault {}: entries", v.path),
                    v.entries,
                ));
                out.push(Item::new(
                    format!("vault {}: encryption at rest", v.path),
                    &v.encryption,
                ));
            }
        }
        ControlId::KeyManagement => {
            if let Some(k) = &inputs.keys {
                let count = |st: &str| {
                    k.keys.iter().filter(|x| x.status == st).count()
                };
                out.push(Item::new("client keys in the store", k.keys.len()));
                for st in [
                    "ok",
                    "rotate soon",
                    "rotation overdue",
                    "rotating",
                    "expired",
                    "revoked",
                ] {
                    out.push(Item::new(format!("keys {st}"), count(st)));
                }
                let overdue: Vec<&str> = k
                    .keys
                    .iter()
                    .filter(|x| x.rotation == "overdue")
                    .map(|x| x.id.as_str())
                    .collect();
                if !overdue.is_empty() {
                    s.findings.push(format!(
                        "{} key(s) overdue for rotation (older than {} \
                         days): {}",
                        overdue.len(),
                        k.max_age_days,
                        overdue.join(", ")
                    ));
                }
            }
            if let Some(f) = f {
                per(out, "calls by client key id", &f.by_key_id, "none");
                let auth: u64 = ["authentication_error", "permission_error"]
                    .iter()
                    .filter_map(|r| f.refused.get(*r))
                    .sum();
                out.push(Item::new(
                    "calls refused for authentication or permission",
                    auth,
                ));
            }
        }
        ControlId::EncryptionInTransit => {
            if let Some(f) = f {
                out.push(Item::new("calls in the period", f.calls));
            }
        }
        ControlId::LoggingAndMonitoring => {
            let Some(a) = audit else {
                out.push(Item::new("audit log", no_log));
                return;
            };
            let c = &a.chain;
            let chain = match &c.problem {
                None => "verified".to_string(),
                Some(p) => format!(
                    "FAILED at {} line {}{}",
                    p.file,
                    p.line,
                    p.seq.map(|s| format!(" (seq {s})")).unwrap_or_default()
                ),
            };
            out.push(Item::new("audit chain (whole log)", &chain));
            out.push(Item::new(
                "checkpoint signatures",
                if c.signatures_checked {
                    format!(
                        "{} of {} verified (public key {})",
                        c.checkpoints_verified,
                        c.checkpoints,
                        c.public_key_id.as_deref().unwrap_or("-")
                    )
                } else {
                    format!("{} not checked (no public key)", c.checkpoints)
                },
            ));
            out.push(Item::new("records verified (whole log)", c.records));
            if let (Some(a), Some(b)) = (&c.first_ts, &c.last_ts) {
                out.push(Item::new("log spans", format!("{a} to {b}")));
            }
            out.push(Item::new("records in the period", a.records_in_period));
            let f = &a.figures;
            out.push(Item::new("calls in the period", f.calls));
            per(out, "calls by status", &f.by_status_class, "none");
            per(out, "calls by model", &f.by_model, "none");
            per(out, "calls by endpoint", &f.by_endpoint, "none");
            if let Some(l) = f.latency_ms {
                out.push(Item::new(
                    "latency p50 / p95 / p99 / max (ms)",
                    format!(
                        "{:.1} / {:.1} / {:.1} / {:.1}",
                        l.p50, l.p95, l.p99, l.max
                    ),
                ));
            }
            let u = f.usage;
            out.push(Item::new("input tokens", u.input_tokens));
            out.push(Item::new("output tokens", u.output_tokens));
            out.push(Item::new(
                "cache tokens (written / read)",
                format!(
                    "{} / {}",
                    u.cache_creation_input_tokens, u.cache_read_input_tokens
                ),
            ));
            if a.unreadable_lines > 0 {
                out.push(Item::new("unreadable lines", a.unreadable_lines));
            }
            if let Some(p) = &c.problem {
                s.findings.push(format!(
                    "the audit chain failed verification at {} line {}{}: \
                     {}; records from there on are not vouched for, and \
                     the figures include them as read",
                    p.file,
                    p.line,
                    p.seq.map(|s| format!(" (seq {s})")).unwrap_or_default(),
                    p.what
                ));
            }
            if !c.signatures_checked {
                s.findings.push(
                    "checkpoint signatures were not checked: give the \
                     auditor's copy of the public key (--audit-pubkey)"
                        .into(),
                );
            }
        }
        ControlId::RateLimiting => {
            if let Some(f) = f {
                let total: u64 = f.rate_limited.values().sum();
                out.push(Item::new("calls refused by rate limits", total));
                per(out, "refused by rate limit", &f.rate_limited, "none");
                out.push(Item::new(
                    "calls refused: rate limiter unavailable",
                    f.rate_limiter_unavailable,
                ));
            }
        }
        ControlId::Continuity => {
            if let Some(f) = f {
                out.push(Item::new("calls retried", f.calls_retried));
                out.push(Item::new("upstream retries", f.retries));
                per(out, "fallbacks taken", &f.fallbacks, "none");
                out.push(Item::new(
                    "calls refused by the open circuit breaker",
                    f.circuit_open,
                ));
                out.push(Item::new(
                    "calls answered 5xx",
                    f.by_status_class.get("5xx").copied().unwrap_or(0),
                ));
            }
        }
        ControlId::InputValidation => {
            if let Some(f) = f {
                per(out, "prompts flagged by screening", &f.screening, "none");
                out.push(Item::new(
                    "calls refused or failed (status 400 and above)",
                    f.refused_total,
                ));
                per(out, "refused or failed", &f.refused, "none");
                out.push(Item::new(
                    "images and documents forwarded",
                    f.media_allowed,
                ));
            }
        }
        ControlId::OutputReview => {
            if let Some(f) = f {
                out.push(Item::new(
                    "pseudonyms restored in answers",
                    f.restored,
                ));
                out.push(Item::new(
                    "answers held for review",
                    f.held_for_review,
                ));
                out.push(Item::new(
                    "answers failing their JSON Schema",
                    f.answer_schema_invalid,
                ));
            }
        }
        ControlId::Retention => {
            let r = inputs.retention;
            if let Some(a) = audit {
                out.push(Item::new(
                    "audit purges recorded in the period",
                    a.purges.len(),
                ));
                for p in &a.purges {
                    out.push(Item::new(
                        format!("audit purge at {}", p.ts),
                        format!(
                            "{} records before {} removed",
                            p.removed_count, p.cutoff
                        ),
                    ));
                }
                if let Some(an) = &a.anchor {
                    out.push(Item::new(
                        "log starts at a signed purge anchor",
                        format!("{} records removed in all", an.removed_count),
                    ));
                }
                if let Some(o) = &a.oldest_record {
                    let age = ts_days_before(o, now).unwrap_or(0);
                    out.push(Item::new(
                        "oldest audit record kept",
                        format!("{o} ({age} days old)"),
                    ));
                    if let Some(max) = r.audit_days {
                        if age > max {
                            s.findings.push(format!(
                                "the audit log keeps records {age} days old, \
                                 past the declared {max} days: run `hush \
                                 audit purge --older-than {max}d`"
                            ));
                        }
                    }
                }
            }
            for v in &inputs.vaults {
                if let Some(d) = v.oldest_used_days {
                    out.push(Item::new(
                        format!("vault {}: least recently used entry", v.path),
                        format!("{d} days ago"),
                    ));
                    if let Some(max) = r.vault_days {
                        if d > max {
                            s.findings.push(format!(
                                "vault {} keeps entries unused for {d} days, \
                                 past the declared {max} days: run `hush \
                                 vault purge --older-than {max}d`",
                                v.path
                            ));
                        }
                    }
                }
                if let Some(d) = v.oldest_created_days {
                    out.push(Item::new(
                        format!("vault {}: oldest entry", v.path),
                        format!("{d} days old"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
