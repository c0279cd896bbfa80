//! The one error type of the audit log.
//!
//! Errors say what failed and where (file, line, sequence number), never
//! what a record contained: a record can carry pseudonymised prompts, and
//! an error message travels to logs and terminals.

use std::io;
use std::path::{Path, PathBuf};

/// An error from writing, opening, verifying, purging or searching an
/// audit log.
///
/// Tampering found by [`verify`](crate::verify) is not an error: it is
/// reported in [`VerifyReport::problem`](crate::VerifyReport::problem).
/// Errors are for what stops the work (I/O, a bad key file, a full queue).
///
/// # Example
///
/// ```
/// use hush_audit::PublicKey;
///
/// let err = PublicKey::from_hex("abc").unwrap_err();
/// assert!(err.to_string().contains("64 hex"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A file could not be read, written, created or synced.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done ("cannot write", ...).
        action: &'static str,
        /// The operating-system error.
        source: io::Error,
    },
    /// Writing to standard output failed.
    #[error("standard output: {0}")]
    Stdout(io::Error),
    /// The queue stayed full for longer than the configured wait
    /// ([`OnFull`](crate::OnFull)); the record was not written.
    #[error("audit queue full: record not written")]
    QueueFull,
    /// The writer has stopped (closed, or failed earlier); the record was
    /// not written.
    #[error("audit log closed: record not written")]
    Closed,
    /// A write failed; the record was not written (the writer keeps the
    /// log consistent and carries on if it can).
    #[error("audit write failed: {0}")]
    WriteFailed(String),
    /// A log file cannot be used to continue the chain (its last record
    /// is damaged) or is not an audit log.
    #[error("{}: line {line}: {what}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// What is wrong.
        what: String,
    },
    /// A signing or public key is malformed, missing or does not match.
    #[error("{0}")]
    Key(String),
    /// Another process holds the log (a running writer or purge).
    #[error("{}: the audit log is in use by another process", path.display())]
    Locked {
        /// The log directory.
        path: PathBuf,
    },
    /// A configuration or argument is invalid (a bad duration, a date,
    /// a path that is not a log).
    #[error("{0}")]
    Config(String),
    /// The log cannot be purged because it does not verify: purging it
    /// would sign over the damage.
    #[error("refusing to purge a log that does not verify: {0}")]
    Unverified(String),
}

impl AuditError {
    pub(crate) fn io(path: &Path, action: &'static str, e: io::Error) -> Self {
        AuditError::Io { path: path.to_path_buf(), action, source: e }
    }

    pub(crate) fn corrupt(
        path: &Path,
        line: u64,
        what: impl Into<String>,
    ) -> Self {
        AuditError::Corrupt {
            path: path.to_path_buf(),
            line,
            what: what.into(),
        }
    }
}
