//! The one error type of the facade. It wraps the vault's errors (which
//! never quote a value) and adds the facade's own, so that callers can
//! fail closed on any of them: when redaction fails, nothing was emitted
//! for the text that failed.

use std::fmt;

/// Why a redaction or a restoration failed.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use hush::{Redactor, Scanner, Vault, Key, Policy};
///
/// let r = Redactor::new(
///     Arc::new(Scanner::new()?),
///     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
/// );
/// let mut s = r.redact_stream();
/// let mut out = Vec::new();
/// s.finish(&mut out)?;
/// let err = s.push(b"more", &mut out).unwrap_err();
/// assert_eq!(err.to_string(), "the stream was already finished");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    Vault(hush_vault::Error),
    Finished,
}

impl Error {
    pub(crate) fn finished() -> Error {
        Error { kind: ErrorKind::Finished }
    }

    /// The vault error behind this one, if any.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hush::{Redactor, Scanner, Vault, Key, Policy};
    /// # let r = Redactor::new(
    /// #     Arc::new(Scanner::new()?),
    /// #     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
    /// # );
    /// let mut s = r.redact_stream();
    /// s.finish(&mut Vec::new())?;
    /// assert!(s.finish(&mut Vec::new()).unwrap_err().vault().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn vault(&self) -> Option<&hush_vault::Error> {
        match &self.kind {
            ErrorKind::Vault(e) => Some(e),
            ErrorKind::Finished => None,
        }
    }
}

impl From<hush_vault::Error> for Error {
    fn from(e: hush_vault::Error) -> Error {
        Error { kind: ErrorKind::Vault(e) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Vault(e) => write!(f, "vault: {e}"),
            ErrorKind::Finished => {
                f.write_str("the stream was already finished")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Vault(e) => Some(e),
            ErrorKind::Finished => None,
        }
    }
}
