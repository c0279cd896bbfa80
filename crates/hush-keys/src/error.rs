//! One error type for the key store, the key ring and the upstream key
//! sources, so the proxy and the CLI have a single thing to report.
//!
//! No variant ever carries a secret: not a client key, not its hash, not
//! the upstream key, not a Vault token, not an AWS credential. Paths,
//! key ids, key names and HTTP status codes are fine.

use std::path::PathBuf;

/// What went wrong with a key store, a key ring or an upstream key.
///
/// # Example
///
/// ```
/// use hush_keys::{KeyError, KeyStore};
///
/// let mut store = KeyStore::in_memory();
/// let err = store.revoke("no-such-key").unwrap_err();
/// assert!(matches!(err, KeyError::NotFound(_)));
/// assert_eq!(err.to_string(), "no key with id or name \"no-such-key\"");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Reading or writing a file failed.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done ("cannot read", "cannot write", ...).
        what: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The key store file is not a valid store.
    #[error("{}: corrupt key store: {detail}", path.display())]
    Corrupt {
        /// The file (empty for a store parsed from memory).
        path: PathBuf,
        /// Where and what (line and column, never file content).
        detail: String,
    },
    /// No key has this id, or no live key has this name.
    #[error("no key with id or name {0:?}")]
    NotFound(String),
    /// More than one live key has this name; use the id.
    #[error("more than one live key is named {0:?}; use its id")]
    Ambiguous(String),
    /// A live key already has this name.
    #[error("a live key is already named {0:?}")]
    NameTaken(String),
    /// A key specification or an operation argument is not valid.
    #[error("{0}")]
    Invalid(String),
    /// The key was revoked, so it cannot be rotated.
    #[error("key {0} is revoked")]
    Revoked(String),
    /// The key was already rotated; rotate its successor.
    #[error("key {id} was already rotated to {to}")]
    AlreadyRotated {
        /// The key.
        id: String,
        /// Its successor.
        to: String,
    },
    /// The store lives in memory only and cannot be saved.
    #[error("this key store has no file to save to")]
    NoFile,
    /// The operating system's random number generator failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// The upstream key could not be fetched (the reason never includes
    /// the key or a credential).
    #[error("upstream key from {source_name}: {reason}")]
    Upstream {
        /// Which source ("env ANTHROPIC_API_KEY", "vault kv2 ...").
        source_name: String,
        /// What failed.
        reason: String,
    },
}

impl KeyError {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        what: &'static str,
        source: std::io::Error,
    ) -> KeyError {
        KeyError::Io { path: path.into(), what, source }
    }
}
