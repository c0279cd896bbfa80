//! The tamper-evident audit log of the hush proxy: one JSON line per
//! proxied call (pseudonyms only), chained by SHA-256, with Ed25519-signed
//! checkpoints, so that SOC 2 evidence can show that no record was
//! edited, removed, inserted or reordered.
//!
//! - [`AuditLog`] writes: a bounded queue, one writer thread, group
//!   commit; a record is acknowledged once written (see [`Fsync`]).
//! - [`verify`] checks a log (a directory of rotated files or one file)
//!   and names the first bad line.
//! - [`purge()`] removes old records and keeps the rest verifiable with a
//!   signed [`Anchor`].
//! - [`search`] streams the call records that match a [`Filter`].
//! - [`report`] builds the evidence report for a SOC 2 auditor from a
//!   log and the facts the command line gathers (`hush report`).
//!
//! The format and its guarantees are described in `docs/AUDIT.md`.
//!
//! # Example
//!
//! ```
//! use hush_audit::{search, verify, AuditConfig, AuditLog, CallRecord, Filter};
//!
//! let dir = tempfile::tempdir()?;
//! let logs = dir.path().join("audit");
//! let key = dir.path().join("audit.key");
//! let log = AuditLog::open(AuditConfig::files(&logs, &key))?;
//! log.append_blocking(CallRecord {
//!     request_id: "hush_1".into(),
//!     method: "POST".into(),
//!     endpoint: "/v1/messages".into(),
//!     model: Some("claude-sonnet-4-5".into()),
//!     status: 200,
//!     ..CallRecord::default()
//! })?;
//! log.close()?;
//!
//! let public = hush_audit::PublicKey::load(&dir.path().join("audit.key.pub"))?;
//! let report = verify(&logs, Some(&public))?;
//! assert!(report.problem.is_none(), "{report}");
//! assert_eq!(report.checkpoints_verified, 1);
//!
//! let filter = Filter { status: Some(200), ..Filter::default() };
//! let hits: Vec<_> = search(&logs, &filter)?.collect::<Result<_, _>>()?;
//! assert_eq!(hits[0].record.request_id, "hush_1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod files;
mod key;
mod line;
mod purge;
mod record;
pub mod report;
mod search;
mod time;
mod verify;
mod writer;

pub use error::AuditError;
pub use key::{anchor_message, checkpoint_message, PublicKey, SigningKey};
pub use purge::{purge, purge_before, PurgeReport};
pub use record::{Anchor, Body, CallRecord, Checkpoint, Entry, PurgeRecord};
pub use search::{search, Filter, Hit, Search};
pub use time::{format_ts, parse_age, parse_time, DayEnd};
pub use verify::{verify, verify_bytes, Problem, VerifyReport};
pub use writer::{AuditConfig, AuditLog, Fsync, OnFull, Receipt, Sink};
