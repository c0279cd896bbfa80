//! The Ed25519 keys of the log: the writer's signing key (a file, mode
//! 0600, created on first use, with its public half exported next to it
//! as `<key>.pub`) and the public key an auditor verifies with.
//!
//! Also the exact messages that checkpoints and anchors sign, so that
//! anyone can re-check a signature from the documented format alone.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer};
use zeroize::Zeroizing;

use crate::error::AuditError;

/// The writer's Ed25519 signing key. `Debug` never shows it.
///
/// # Example
///
/// ```
/// use hush_audit::SigningKey;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("audit.key");
/// let (key, created) = SigningKey::load_or_create(&path)?;
/// assert!(created);
/// assert!(dir.path().join("audit.key.pub").exists());
/// assert_eq!(format!("{key:?}"), format!("SigningKey({})", key.public_key().key_id()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public_key().key_id())
    }
}

fn pub_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

impl SigningKey {
    /// A signing key from its 32-byte seed.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::SigningKey;
    ///
    /// let a = SigningKey::from_bytes([7; 32]);
    /// let b = SigningKey::from_bytes([7; 32]);
    /// assert_eq!(a.public_key(), b.public_key());
    /// ```
    pub fn from_bytes(seed: [u8; 32]) -> SigningKey {
        SigningKey { inner: ed25519_dalek::SigningKey::from_bytes(&seed) }
    }

    /// A fresh random key from the operating system.
    ///
    /// # Errors
    ///
    /// [`AuditError::Key`] when there is no random source.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::SigningKey;
    ///
    /// let a = SigningKey::generate()?;
    /// assert_ne!(a.public_key(), SigningKey::generate()?.public_key());
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn generate() -> Result<SigningKey, AuditError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut seed[..]).map_err(|_| {
            AuditError::Key("no operating-system random source".into())
        })?;
        Ok(SigningKey::from_bytes(*seed))
    }

    /// Reads a key file (64 hex characters, the seed).
    ///
    /// # Errors
    ///
    /// [`AuditError::Io`] when it cannot be read, [`AuditError::Key`]
    /// when it does not hold a key. Messages never show the file's text.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::SigningKey;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("k");
    /// std::fs::write(&path, "zz")?;
    /// let err = SigningKey::load(&path).unwrap_err();
    /// assert!(err.to_string().contains("64 hex"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(path: &Path) -> Result<SigningKey, AuditError> {
        let text = Zeroizing::new(
            fs::read_to_string(path)
                .map_err(|e| AuditError::io(path, "cannot read key", e))?,
        );
        let mut seed = Zeroizing::new([0u8; 32]);
        let t = text.trim();
        if t.len() != 64 || hex::decode_to_slice(t, &mut seed[..]).is_err() {
            return Err(AuditError::Key(format!(
                "{}: an audit signing key file holds 64 hex characters",
                path.display()
            )));
        }
        Ok(SigningKey::from_bytes(*seed))
    }

    /// Reads the key file, or creates it (mode 0600) with a random key
    /// when it does not exist; either way makes sure `<path>.pub` holds
    /// the public key in hex. The flag says whether the key was created.
    ///
    /// # Errors
    ///
    /// As [`SigningKey::load`], and when the files cannot be created.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{PublicKey, SigningKey};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("audit.key");
    /// let (a, _) = SigningKey::load_or_create(&path)?;
    /// let (b, created) = SigningKey::load_or_create(&path)?;
    /// assert!(!created);
    /// let public = PublicKey::load(&dir.path().join("audit.key.pub"))?;
    /// assert_eq!(a.public_key(), public);
    /// assert_eq!(b.public_key(), public);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_or_create(
        path: &Path,
    ) -> Result<(SigningKey, bool), AuditError> {
        let (key, created) = match SigningKey::load(path) {
            Ok(k) => (k, false),
            Err(AuditError::Io { source, .. })
                if source.kind() == io::ErrorKind::NotFound =>
            {
                let key = SigningKey::generate()?;
                match write_new_private(path, &key) {
                    Ok(()) => (key, true),
                    // Another process won the race: use its key.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        (SigningKey::load(path)?, false)
                    }
                    Err(e) => {
                        return Err(AuditError::io(
                            path,
                            "cannot create key",
                            e,
                        ))
                    }
                }
            }
            Err(e) => return Err(e),
        };
        let pub_file = pub_path(path);
        let hex = key.public_key().to_hex();
        let current = fs::read_to_string(&pub_file).unwrap_or_default();
        if current.trim() != hex {
            fs::write(&pub_file, format!("{hex}\n")).map_err(|e| {
                AuditError::io(&pub_file, "cannot write public key", e)
            })?;
        }
        Ok((key, created))
    }

    /// The public half.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::SigningKey;
    ///
    /// assert_eq!(SigningKey::from_bytes([1; 32]).public_key().to_hex().len(), 64);
    /// ```
    pub fn public_key(&self) -> PublicKey {
        PublicKey { inner: self.inner.verifying_key() }
    }

    /// Signs `msg`; the signature in hex (128 characters).
    pub(crate) fn sign_hex(&self, msg: &[u8]) -> String {
        hex::encode(self.inner.sign(msg).to_bytes())
    }
}

fn write_new_private(path: &Path, key: &SigningKey) -> io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    let seed = Zeroizing::new(hex::encode(key.inner.to_bytes()));
    f.write_all(seed.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

/// An Ed25519 public key that checkpoint and anchor signatures are
/// checked against.
///
/// # Example
///
/// ```
/// use hush_audit::{PublicKey, SigningKey};
///
/// let public = SigningKey::from_bytes([3; 32]).public_key();
/// assert_eq!(PublicKey::from_hex(&public.to_hex())?, public);
/// assert_eq!(public.key_id(), public.to_hex()[..16]);
/// # Ok::<(), hush_audit::AuditError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
    inner: ed25519_dalek::VerifyingKey,
}

impl PublicKey {
    /// Parses 64 hex characters.
    ///
    /// # Errors
    ///
    /// [`AuditError::Key`] when the text is not 32 bytes of hex or not a
    /// valid Ed25519 point.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(hush_audit::PublicKey::from_hex("00").is_err());
    /// ```
    pub fn from_hex(text: &str) -> Result<PublicKey, AuditError> {
        let mut b = [0u8; 32];
        let t = text.trim();
        if t.len() != 64 || hex::decode_to_slice(t, &mut b).is_err() {
            return Err(AuditError::Key(
                "a public key is 64 hex characters".into(),
            ));
        }
        let inner =
            ed25519_dalek::VerifyingKey::from_bytes(&b).map_err(|_| {
                AuditError::Key("not a valid Ed25519 public key".into())
            })?;
        Ok(PublicKey { inner })
    }

    /// Reads a `.pub` file (64 hex characters).
    ///
    /// # Errors
    ///
    /// When the file cannot be read or does not hold a public key.
    ///
    /// # Example
    ///
    /// ```
    /// let err = hush_audit::PublicKey::load("/nonexistent/k.pub".as_ref());
    /// assert!(err.is_err());
    /// ```
    pub fn load(path: &Path) -> Result<PublicKey, AuditError> {
        let text = fs::read_to_string(path)
            .map_err(|e| AuditError::io(path, "cannot read public key", e))?;
        PublicKey::from_hex(&text)
            .map_err(|e| AuditError::Key(format!("{}: {e}", path.display())))
    }

    /// Reads a command-line argument: 64 hex characters, else a file.
    ///
    /// # Errors
    ///
    /// As [`PublicKey::load`].
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{PublicKey, SigningKey};
    ///
    /// let hex = SigningKey::from_bytes([3; 32]).public_key().to_hex();
    /// assert!(PublicKey::from_arg(&hex).is_ok());
    /// ```
    pub fn from_arg(arg: &str) -> Result<PublicKey, AuditError> {
        let t = arg.trim();
        if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return PublicKey::from_hex(t);
        }
        PublicKey::load(Path::new(arg))
    }

    /// The key in hex (64 characters).
    ///
    /// # Example
    ///
    /// ```
    /// let k = hush_audit::SigningKey::from_bytes([3; 32]).public_key();
    /// assert_eq!(k.to_hex().len(), 64);
    /// ```
    pub fn to_hex(&self) -> String {
        hex::encode(self.inner.as_bytes())
    }

    /// The key id written in checkpoints: the first 16 hex characters.
    ///
    /// # Example
    ///
    /// ```
    /// let k = hush_audit::SigningKey::from_bytes([3; 32]).public_key();
    /// assert_eq!(k.key_id().len(), 16);
    /// ```
    pub fn key_id(&self) -> String {
        self.to_hex()[..16].to_string()
    }

    /// Whether `sig_hex` (128 hex characters) is a valid signature of
    /// `msg` by this key (strict verification).
    pub(crate) fn verify_hex(&self, msg: &[u8], sig_hex: &str) -> bool {
        let mut b = [0u8; 64];
        if sig_hex.len() != 128
            || hex::decode_to_slice(sig_hex, &mut b).is_err()
        {
            return false;
        }
        self.inner.verify_strict(msg, &Signature::from_bytes(&b)).is_ok()
    }
}

/// The exact bytes a checkpoint signs:
/// `hush-audit/1 checkpoint\n<seq>\n<ts>\n<prev hex>\n<records>`.
///
/// # Example
///
/// ```
/// let m = hush_audit::checkpoint_message(9, "2026-11-01T00:00:00.000Z", &"ab".repeat(32), 9);
/// assert!(m.starts_with(b"hush-audit/1 checkpoint\n9\n"));
/// ```
pub fn checkpoint_message(
    seq: u64,
    ts: &str,
    prev_hex: &str,
    records: u64,
) -> Vec<u8> {
    format!("hush-audit/1 checkpoint\n{seq}\n{ts}\n{prev_hex}\n{records}")
        .into_bytes()
}

/// The exact bytes an anchor signs:
/// `hush-audit/1 anchor\n<seq>\n<ts>\n<prev hex>\n<hash hex>\n<removed_from>\n<removed_count>`.
///
/// # Example
///
/// ```
/// let h = "ab".repeat(32);
/// let m = hush_audit::anchor_message(9, "2026-11-01T00:00:00.000Z", &h, &h, 0, 10);
/// assert!(m.ends_with(b"\n0\n10"));
/// ```
pub fn anchor_message(
    seq: u64,
    ts: &str,
    prev_hex: &str,
    hash_hex: &str,
    removed_from: u64,
    removed_count: u64,
) -> Vec<u8> {
    format!(
        "hush-audit/1 anchor\n{seq}\n{ts}\n{prev_hex}\n{hash_hex}\n\
         {removed_from}\n{removed_count}"
    )
    .into_bytes()
}
