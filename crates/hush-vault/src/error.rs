//! The one error type of the vault.
//!
//! It is an opaque struct around a private kind, so that variants can be
//! added without breaking callers, and so that no code path can put a
//! plaintext value into an error: every constructor takes only paths,
//! offsets, pseudonyms and fixed messages, never a value.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An error from opening, reading, writing or configuring a vault.
///
/// The message names the file (and the byte offset for corruption) and
/// never contains a stored value or key.
///
/// # Example
///
/// ```
/// use hush_vault::Key;
///
/// let err = Key::from_hex("not hex").unwrap_err();
/// assert!(err.to_string().contains("64 hex"));
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    Io { path: PathBuf, action: &'static str, source: io::Error },
    WrongKey { path: PathBuf },
    Corrupt { path: PathBuf, offset: u64, what: &'static str },
    NewerFormat { path: PathBuf, found: u32, supported: u32 },
    NotAVault { path: PathBuf },
    Key { msg: String },
    Config { msg: String },
    NotFound { what: String },
}

impl Error {
    pub(crate) fn io(path: &Path, action: &'static str, e: io::Error) -> Self {
        let kind = ErrorKind::Io { path: path.into(), action, source: e };
        Error { kind }
    }

    pub(crate) fn wrong_key(path: &Path) -> Self {
        Error { kind: ErrorKind::WrongKey { path: path.into() } }
    }

    pub(crate) fn corrupt(
        path: &Path,
        offset: u64,
        what: &'static str,
    ) -> Self {
        Error { kind: ErrorKind::Corrupt { path: path.into(), offset, what } }
    }

    pub(crate) fn newer(path: &Path, found: u32, supported: u32) -> Self {
        let kind =
            ErrorKind::NewerFormat { path: path.into(), found, supported };
        Error { kind }
    }

    pub(crate) fn not_a_vault(path: &Path) -> Self {
        Error { kind: ErrorKind::NotAVault { path: path.into() } }
    }

    pub(crate) fn key(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Key { msg: msg.into() } }
    }

    pub(crate) fn config(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Config { msg: msg.into() } }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Error { kind: ErrorKind::NotFound { what: what.into() } }
    }

    /// The file (or storage location) the error is about, if any.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// assert!(Key::from_hex("00").unwrap_err().path().is_none());
    /// ```
    pub fn path(&self) -> Option<&Path> {
        match &self.kind {
            ErrorKind::Io { path, .. }
            | ErrorKind::WrongKey { path }
            | ErrorKind::Corrupt { path, .. }
            | ErrorKind::NewerFormat { path, .. }
            | ErrorKind::NotAVault { path } => Some(path),
            _ => None,
        }
    }

    /// The byte offset of a corrupt record, for corruption errors.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// assert_eq!(Key::from_hex("00").unwrap_err().offset(), None);
    /// ```
    pub fn offset(&self) -> Option<u64> {
        match self.kind {
            ErrorKind::Corrupt { offset, .. } => Some(offset),
            _ => None,
        }
    }

    /// Whether the vault was opened with a key it was not created with.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("v.hushvault");
    /// Vault::open(&path, Key::generate()?, Policy::default())?;
    /// let err = Vault::open(&path, Key::generate()?, Policy::default())
    ///     .unwrap_err();
    /// assert!(err.is_wrong_key());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_wrong_key(&self) -> bool {
        matches!(self.kind, ErrorKind::WrongKey { .. })
    }

    /// Whether the stored data is damaged (a checksum or authentication
    /// failure, a record that cannot be decoded).
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// assert!(!Key::from_hex("00").unwrap_err().is_corrupt());
    /// ```
    pub fn is_corrupt(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Corrupt { .. } | ErrorKind::NotAVault { .. }
        )
    }

    /// Whether the vault was written by a newer version of hush.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// assert!(!Key::from_hex("00").unwrap_err().is_newer_format());
    /// ```
    pub fn is_newer_format(&self) -> bool {
        matches!(self.kind, ErrorKind::NewerFormat { .. })
    }

    /// Whether a value or pseudonym asked for was not in the vault.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let err = vault.scope("s").forget("[[EMAIL-000000]]").unwrap_err();
    /// assert!(err.is_not_found());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_not_found(&self) -> bool {
        matches!(self.kind, ErrorKind::NotFound { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Io { path, action, source } => {
                write!(f, "{}: {action}: {source}", path.display())
            }
            ErrorKind::WrongKey { path } => write!(
                f,
                "{}: wrong key: this vault was created with another key \
                 (check HUSH_KEY or the key file)",
                path.display()
            ),
            ErrorKind::Corrupt { path, offset, what } => write!(
                f,
                "{}: vault is corrupt at byte offset {offset}: {what}",
                path.display()
            ),
            ErrorKind::NewerFormat { path, found, supported } => write!(
                f,
                "{}: vault format version {found} is newer than this \
                 hush supports ({supported}); upgrade hush",
                path.display()
            ),
            ErrorKind::NotAVault { path } => write!(
                f,
                "{}: not a hush vault (bad magic number or header)",
                path.display()
            ),
            ErrorKind::Key { msg } => write!(f, "bad key: {msg}"),
            ErrorKind::Config { msg } => write!(f, "bad policy: {msg}"),
            ErrorKind::NotFound { what } => {
                write!(f, "not in this scope of the vault: {what}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
