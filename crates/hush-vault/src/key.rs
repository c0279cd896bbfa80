//! The master key and the subkeys derived from it.
//!
//! One 32-byte master key protects a vault. Nothing uses it directly:
//! HKDF-SHA256 derives one subkey per purpose (record encryption, the
//! key check in the header, export sealing) and one set per scope (codes
//! of tags, seeds of surrogates, the `hash` operator), so that the
//! pseudonyms of two scopes cannot be linked without the master key and
//! no key serves two purposes. Every key is zeroised when dropped and
//! never printed by `Debug`.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::error::Error;

/// The environment variable read by [`Key::from_env`].
pub const KEY_ENV: &str = "HUSH_KEY";

/// A 32-byte master key.
///
/// Build one from 64 hex characters ([`Key::from_hex`], [`Key::from_env`]
/// for `HUSH_KEY`), from a key file ([`Key::load_or_create`]) or at
/// random ([`Key::generate`]). The bytes are zeroised on drop and `Debug`
/// does not show them.
///
/// # Example
///
/// ```
/// use hush_vault::Key;
///
/// let key = Key::from_hex(&"ab".repeat(32))?;
/// assert_eq!(format!("{key:?}"), "Key(..)");
/// # Ok::<(), hush_vault::Error>(())
/// ```
#[derive(Clone)]
pub struct Key {
    bytes: Zeroizing<[u8; 32]>,
}

impl Key {
    /// Parses 64 hexadecimal characters (surrounding whitespace allowed).
    ///
    /// # Errors
    ///
    /// When the text is not exactly 32 bytes of hex. The message does not
    /// repeat the text.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// assert!(Key::from_hex(&"0f".repeat(32)).is_ok());
    /// assert!(Key::from_hex("0f0f").is_err());
    /// ```
    pub fn from_hex(text: &str) -> Result<Key, Error> {
        let text = text.trim();
        let mut bytes = Zeroizing::new([0u8; 32]);
        if text.len() != 64
            || hex::decode_to_slice(text, &mut bytes[..]).is_err()
        {
            return Err(Error::key(
                "expected 32 random bytes written as 64 hex characters",
            ));
        }
        Ok(Key { bytes })
    }

    /// Builds a key from raw bytes.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// let key = Key::from_bytes([7; 32]);
    /// assert_eq!(key.to_hex().len(), 64);
    /// ```
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        let mut bytes = bytes;
        let key = Key { bytes: Zeroizing::new(bytes) };
        bytes.zeroize();
        key
    }

    /// A fresh random key from the operating system.
    ///
    /// # Errors
    ///
    /// When the operating system has no random source.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// assert_ne!(Key::generate()?.to_hex(), Key::generate()?.to_hex());
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn generate() -> Result<Key, Error> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut bytes[..])
            .map_err(|_| Error::key("no operating-system random source"))?;
        Ok(Key { bytes })
    }

    /// Reads `HUSH_KEY`: `None` when it is not set.
    ///
    /// # Errors
    ///
    /// When the variable is set but is not 64 hex characters.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// if let Some(key) = Key::from_env() {
    ///     let _key = key?;
    /// }
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn from_env() -> Option<Result<Key, Error>> {
        let text = Zeroizing::new(std::env::var(KEY_ENV).ok()?);
        Some(Key::from_hex(&text).map_err(|_| {
            Error::key(
                "HUSH_KEY must be 32 random bytes written as 64 hex \
                 characters",
            )
        }))
    }

    /// Reads a key file, or creates it with a random key and mode 0600
    /// (owner read/write only) when it does not exist. The flag says
    /// whether the file was created, so that callers can say so.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or created, or does not hold 64 hex
    /// characters.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("key");
    /// let (a, created) = Key::load_or_create(&path)?;
    /// assert!(created);
    /// let (b, created) = Key::load_or_create(&path)?;
    /// assert!(!created);
    /// assert_eq!(a.to_hex(), b.to_hex());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_or_create(path: &Path) -> Result<(Key, bool), Error> {
        match fs::read_to_string(path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                let key = Key::from_hex(&text).map_err(|_| {
                    Error::key(format!(
                        "{}: key file must hold 64 hex characters",
                        path.display()
                    ))
                })?;
                return Ok((key, false));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(path, "cannot read key file", e)),
        }
        // Two processes may start at once on a fresh machine (`hush
        // redact | hush restore`): write the key whole under a private
        // name, then link it into place, which fails if the other process
        // won; then use the winner's key.
        let key = Key::generate()?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = std::path::PathBuf::from(tmp);
        let _ = fs::remove_file(&tmp);
        key.write_new(&tmp)?;
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok((key, true)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Key::load_or_create(path)
            }
            Err(e) => Err(Error::io(path, "cannot create key file", e)),
        }
    }

    /// Writes this key to a new file with mode 0600; fails if the file
    /// exists.
    ///
    /// # Errors
    ///
    /// When the file exists or cannot be written.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// let dir = tempfile::tempdir()?;
    /// Key::generate()?.write_new(&dir.path().join("key"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_new(&self, path: &Path) -> Result<(), Error> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                fs::create_dir_all(dir).map_err(|e| {
                    Error::io(dir, "cannot create key directory", e)
                })?;
            }
        }
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts
            .open(path)
            .map_err(|e| Error::io(path, "cannot create key file", e))?;
        let mut text = Zeroizing::new(self.to_hex());
        text.push('\n');
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(path, "cannot write key file", e))
    }

    /// The key as 64 hex characters (for `HUSH_KEY` or a key file).
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Key;
    ///
    /// assert_eq!(Key::from_bytes([0; 32]).to_hex(), "0".repeat(64));
    /// ```
    pub fn to_hex(&self) -> String {
        hex::encode(&self.bytes[..])
    }

    /// Derives a 32-byte subkey for one purpose (HKDF-SHA256, the
    /// purpose string as `info`).
    pub(crate) fn derive(&self, purpose: &[u8], extra: &[u8]) -> SubKey {
        let hk = Hkdf::<Sha256>::new(Some(b"hush-vault v1"), &self.bytes[..]);
        let mut out = Zeroizing::new([0u8; 32]);
        hk.expand_multi_info(&[purpose, b"\0", extra], &mut out[..])
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        SubKey(out)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(..)")
    }
}

/// A derived key for one purpose; zeroised on drop.
#[derive(Clone)]
pub(crate) struct SubKey(pub(crate) Zeroizing<[u8; 32]>);

impl fmt::Debug for SubKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubKey(..)")
    }
}
