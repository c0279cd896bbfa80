//! The key store: the JSON file listing every client key hush has
//! issued, with what each may do, and the operations an operator runs on
//! it (create, list, revoke, rotate).
//!
//! Only a salted hash of each secret is kept; the secret itself exists
//! once, in the [`SecretKeyString`] that [`KeyStore::create`] and
//! [`KeyStore::rotate`] return. The file is replaced atomically (a
//! temporary file in the same directory, then a rename) with mode 0600,
//! so a reader such as [`KeyRing`](crate::KeyRing) sees either the old
//! or the new store, never half of one.
//!
//! The store is not locked: two processes editing it at the same moment
//! can lose one edit (the last save wins). Key management is an operator
//! task, run one command at a time.

use std::collections::HashSet;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::format::{self, KEY_PREFIX, SALT_LEN};
use crate::{glob, time, KeyError};

/// The store file format this crate writes and reads.
pub const STORE_VERSION: u32 = 1;

const DAY: u64 = 86_400;

/// A new client key in plain text: `hush_<keyid>_<secret>`.
///
/// It exists only in the value [`KeyStore::create`] or
/// [`KeyStore::rotate`] returns: show it to the operator once, then drop
/// it (the memory is wiped on drop). `Debug` prints `(redacted)`, and
/// there is no `Display`, so it cannot slip into a log by accident.
///
/// # Example
///
/// ```
/// use hush_keys::{KeySpec, KeyStore};
///
/// let mut store = KeyStore::in_memory();
/// let (key, secret) = store.create(KeySpec::named("svc-billing"))?;
/// assert!(secret.expose().starts_with(&format!("hush_{}_", key.id)));
/// assert_eq!(format!("{secret:?}"), "SecretKeyString(redacted)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SecretKeyString(String);

impl SecretKeyString {
    /// The key, to print once or hand to the client.
    ///
    /// # Example
    ///
    /// ```
    /// # let mut store = hush_keys::KeyStore::in_memory();
    /// let (_, secret) = store.create(hush_keys::KeySpec::named("a"))?;
    /// assert_eq!(secret.expose().len(), 70);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKeyString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKeyString(redacted)")
    }
}

impl Drop for SecretKeyString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// What a new key may do.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use hush_keys::KeySpec;
///
/// let spec = KeySpec {
///     models: vec!["claude-*".into()],
///     max_tokens: Some(4096),
///     rpm: Some(60),
///     expires_in: Some(Duration::from_secs(90 * 86_400)),
///     ..KeySpec::named("svc-billing")
/// };
/// assert_eq!(spec.name, "svc-billing");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeySpec {
    /// A label for people and logs (letters, digits, `.`, `_`, `-`; up
    /// to 64 characters). Unique among live keys.
    pub name: String,
    /// Model patterns (`*` and `?` wildcards) the key may use; empty
    /// means every model.
    pub models: Vec<String>,
    /// The largest `max_tokens` a request may ask for; `None`: no cap.
    pub max_tokens: Option<u64>,
    /// Requests per minute, enforced by the proxy; `None`: no limit.
    pub rpm: Option<u32>,
    /// Lifetime from now; `None`: the key does not expire (the rotation
    /// policy still flags it when it gets old).
    pub expires_in: Option<Duration>,
}

impl KeySpec {
    /// A spec with only a name: every model, no caps, no expiry.
    ///
    /// # Example
    ///
    /// ```
    /// let spec = hush_keys::KeySpec::named("ci");
    /// assert!(spec.models.is_empty() && spec.expires_in.is_none());
    /// ```
    pub fn named(name: impl Into<String>) -> KeySpec {
        KeySpec { name: name.into(), ..KeySpec::default() }
    }
}

/// A client key as stored, without its hash. Times are Unix seconds.
///
/// # Example
///
/// ```
/// let mut store = hush_keys::KeyStore::in_memory();
/// let (key, _) = store.create(hush_keys::KeySpec::named("svc"))?;
/// assert_eq!(key.name, "svc");
/// assert_eq!(key.id.len(), 12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientKey {
    /// The key id (the part after `hush_`); not secret.
    pub id: String,
    /// The key's name.
    pub name: String,
    /// When it was created.
    pub created: u64,
    /// When it stops working, if ever.
    pub expires: Option<u64>,
    /// When it was revoked, if it was.
    pub revoked: Option<u64>,
    /// Model patterns it may use (empty: all).
    pub models: Vec<String>,
    /// Cap on `max_tokens`.
    pub max_tokens: Option<u64>,
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// The key that replaced it, after a rotation.
    pub rotated_to: Option<String>,
    /// End of the grace period after a rotation.
    pub grace_until: Option<u64>,
}

/// Where a key stands.
///
/// # Example
///
/// ```
/// use hush_keys::KeyStatus;
///
/// assert_eq!(KeyStatus::RotateSoon.as_str(), "rotate soon");
/// assert!(KeyStatus::Ok.is_usable());
/// assert!(!KeyStatus::Revoked.is_usable());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Valid and younger than the warning age.
    Ok,
    /// Valid, within the warning period before the maximum age.
    RotateSoon,
    /// Valid, older than the maximum age: rotate it.
    RotationOverdue,
    /// Rotated; still valid until its grace period ends.
    Rotating,
    /// Past its expiry (or the end of its rotation grace period).
    Expired,
    /// Revoked.
    Revoked,
}

impl KeyStatus {
    /// The status as shown by `hush keys list`: `ok`, `rotate soon`,
    /// `rotation overdue`, `rotating`, `expired`, `revoked`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(hush_keys::KeyStatus::Ok.as_str(), "ok");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Ok => "ok",
            KeyStatus::RotateSoon => "rotate soon",
            KeyStatus::RotationOverdue => "rotation overdue",
            KeyStatus::Rotating => "rotating",
            KeyStatus::Expired => "expired",
            KeyStatus::Revoked => "revoked",
        }
    }

    /// Whether a key with this status is accepted.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(hush_keys::KeyStatus::RotationOverdue.is_usable());
    /// assert!(!hush_keys::KeyStatus::Expired.is_usable());
    /// ```
    pub fn is_usable(self) -> bool {
        !matches!(self, KeyStatus::Expired | KeyStatus::Revoked)
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key with its age and status, as [`KeyStore::list`] reports it.
///
/// # Example
///
/// ```
/// use hush_keys::{KeySpec, KeyStatus, KeyStore};
///
/// let mut store = KeyStore::in_memory();
/// store.create(KeySpec::named("svc"))?;
/// let info = &store.list()[0];
/// assert_eq!(info.status, KeyStatus::Ok);
/// assert!(info.age_secs < 60);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientKeyInfo {
    /// The key.
    #[serde(flatten)]
    pub key: ClientKey,
    /// Seconds since it was created.
    pub age_secs: u64,
    /// Where it stands.
    pub status: KeyStatus,
}

/// When keys should be rotated: a maximum age, and a warning period
/// before it. Stored in the key store file.
///
/// # Example
///
/// ```
/// let p = hush_keys::RotationPolicy::default();
/// assert_eq!(p.max_age_days, 90);
/// assert_eq!(p.warn_days, 14);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationPolicy {
    /// Keys older than this many days are "rotation overdue".
    pub max_age_days: u32,
    /// Keys within this many days of the maximum age are "rotate soon".
    pub warn_days: u32,
}

impl Default for RotationPolicy {
    fn default() -> RotationPolicy {
        RotationPolicy { max_age_days: 90, warn_days: 14 }
    }
}

/// One key as written in the store file.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    pub(crate) id: String,
    pub(crate) name: String,
    /// Hex.
    pub(crate) salt: String,
    /// Hex of HMAC-SHA256(salt, secret).
    pub(crate) hash: String,
    pub(crate) created: u64,
    #[serde(default)]
    pub(crate) expires: Option<u64>,
    #[serde(default)]
    pub(crate) revoked: Option<u64>,
    #[serde(default)]
    pub(crate) models: Vec<String>,
    #[serde(default)]
    pub(crate) max_tokens: Option<u64>,
    #[serde(default)]
    pub(crate) rpm: Option<u32>,
    #[serde(default)]
    pub(crate) rotated_to: Option<String>,
    #[serde(default)]
    pub(crate) grace_until: Option<u64>,
}

impl Entry {
    pub(crate) fn public(&self) -> ClientKey {
        ClientKey {
            id: self.id.clone(),
            name: self.name.clone(),
            created: self.created,
            expires: self.expires,
            revoked: self.revoked,
            models: self.models.clone(),
            max_tokens: self.max_tokens,
            rpm: self.rpm,
            rotated_to: self.rotated_to.clone(),
            grace_until: self.grace_until,
        }
    }

    /// When the key stops working, whichever comes first of its expiry
    /// and the end of its rotation grace period.
    pub(crate) fn ends(&self) -> Option<u64> {
        match (self.expires, self.grace_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn status(&self, policy: RotationPolicy, now: u64) -> KeyStatus {
        if self.revoked.is_some() {
            return KeyStatus::Revoked;
        }
        if self.ends().is_some_and(|e| now >= e) {
            return KeyStatus::Expired;
        }
        if self.rotated_to.is_some() {
            return KeyStatus::Rotating;
        }
        let age = now.saturating_sub(self.created);
        let max = u64::from(policy.max_age_days) * DAY;
        let warn = u64::from(policy.warn_days) * DAY;
        if age >= max {
            KeyStatus::RotationOverdue
        } else if age.saturating_add(warn) >= max {
            KeyStatus::RotateSoon
        } else {
            KeyStatus::Ok
        }
    }

    /// Live: neither revoked, nor expired, nor replaced by a rotation.
    fn is_live(&self, now: u64) -> bool {
        self.revoked.is_none()
            && self.rotated_to.is_none()
            && self.ends().is_none_or(|e| now < e)
    }
}

/// The store file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    version: u32,
    #[serde(default)]
    rotation: RotationPolicy,
    #[serde(default)]
    keys: Vec<Entry>,
}

/// The client keys hush has issued, backed by a JSON file.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use hush_keys::{KeySpec, KeyStore};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("keys.json");
/// let mut store = KeyStore::open(&path)?; // empty: the file is missing
/// let (key, secret) = store.create(KeySpec {
///     models: vec!["claude-*".into()],
///     ..KeySpec::named("svc-billing")
/// })?;
/// store.save()?;
/// println!("new key (shown once): {}", secret.expose());
///
/// let (_, next) = store.rotate("svc-billing", Duration::from_secs(7 * 86_400))?;
/// store.revoke(&key.id)?; // end the grace period early
/// store.save()?;
/// assert_eq!(KeyStore::open(&path)?.list().len(), 2);
/// # drop(next);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct KeyStore {
    path: Option<PathBuf>,
    rotation: RotationPolicy,
    keys: Vec<Entry>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The hash is not secret, but it has no business in logs.
        f.debug_struct("Entry")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl KeyStore {
    /// Opens the store at `path`, or an empty one if the file does not
    /// exist yet (nothing is written until [`save`](Self::save)).
    ///
    /// # Errors
    ///
    /// The file cannot be read, or is not a valid store
    /// ([`KeyError::Corrupt`] says where, never what).
    ///
    /// # Example
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = hush_keys::KeyStore::open(&dir.path().join("keys.json"))?;
    /// assert!(store.list().is_empty());
    /// std::fs::write(dir.path().join("bad.json"), "{not json")?;
    /// assert!(hush_keys::KeyStore::open(&dir.path().join("bad.json")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: &Path) -> Result<KeyStore, KeyError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(KeyStore {
                    path: Some(path.to_path_buf()),
                    ..KeyStore::in_memory()
                });
            }
            Err(e) => return Err(KeyError::io(path, "cannot read", e)),
        };
        let mut store = parse(&bytes, path)?;
        store.path = Some(path.to_path_buf());
        Ok(store)
    }

    /// An empty store with no file, for tests and examples;
    /// [`save`](Self::save) fails with [`KeyError::NoFile`].
    ///
    /// # Example
    ///
    /// ```
    /// let store = hush_keys::KeyStore::in_memory();
    /// assert!(store.save().is_err());
    /// ```
    pub fn in_memory() -> KeyStore {
        KeyStore {
            path: None,
            rotation: RotationPolicy::default(),
            keys: Vec::new(),
        }
    }

    /// Parses a store file's bytes into an in-memory store.
    ///
    /// # Errors
    ///
    /// Not a valid store: bad JSON, an unknown version, a malformed key
    /// id, salt or hash, a duplicate id.
    ///
    /// # Example
    ///
    /// ```
    /// let store = hush_keys::KeyStore::from_slice(br#"{"version":1,"keys":[]}"#)?;
    /// assert!(store.list().is_empty());
    /// assert!(hush_keys::KeyStore::from_slice(b"\xff").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_slice(bytes: &[u8]) -> Result<KeyStore, KeyError> {
        parse(bytes, Path::new(""))
    }

    /// The default store path: `<data dir>/hush/keys.json`
    /// (`$XDG_DATA_HOME/hush/keys.json` on Linux), or `None` when the
    /// platform has no data directory.
    ///
    /// # Example
    ///
    /// ```
    /// if let Some(p) = hush_keys::KeyStore::default_path() {
    ///     assert!(p.ends_with("hush/keys.json"));
    /// }
    /// ```
    pub fn default_path() -> Option<PathBuf> {
        dirs::data_dir().map(|d| d.join("hush").join("keys.json"))
    }

    /// The file the store saves to.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(hush_keys::KeyStore::in_memory().path(), None);
    /// ```
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The rotation policy.
    ///
    /// # Example
    ///
    /// ```
    /// let store = hush_keys::KeyStore::in_memory();
    /// assert_eq!(store.rotation_policy().max_age_days, 90);
    /// ```
    pub fn rotation_policy(&self) -> RotationPolicy {
        self.rotation
    }

    /// Changes the rotation policy (saved with the store).
    ///
    /// # Errors
    ///
    /// A zero maximum age, or a warning period longer than it.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_keys::{KeyStore, RotationPolicy};
    ///
    /// let mut store = KeyStore::in_memory();
    /// store.set_rotation_policy(RotationPolicy { max_age_days: 30, warn_days: 7 })?;
    /// assert!(store
    ///     .set_rotation_policy(RotationPolicy { max_age_days: 7, warn_days: 30 })
    ///     .is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_rotation_policy(
        &mut self,
        policy: RotationPolicy,
    ) -> Result<(), KeyError> {
        check_policy(policy)?;
        self.rotation = policy;
        Ok(())
    }

    /// Issues a new key. Returns what is stored and the key itself,
    /// which exists nowhere else: print it once.
    ///
    /// # Errors
    ///
    /// An invalid name or model pattern, a name a live key already has,
    /// a zero lifetime, or no randomness.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_keys::{KeySpec, KeyStore};
    ///
    /// let mut store = KeyStore::in_memory();
    /// let (key, secret) = store.create(KeySpec::named("svc-billing"))?;
    /// assert!(secret.expose().starts_with("hush_"));
    /// assert!(store.create(KeySpec::named("svc-billing")).is_err()); // taken
    /// assert!(store.create(KeySpec::named("no spaces")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(
        &mut self,
        spec: KeySpec,
    ) -> Result<(ClientKey, SecretKeyString), KeyError> {
        self.create_at(spec, time::now())
    }

    pub(crate) fn create_at(
        &mut self,
        spec: KeySpec,
        now: u64,
    ) -> Result<(ClientKey, SecretKeyString), KeyError> {
        check_name(&spec.name)?;
        for m in &spec.models {
            glob::validate(m)?;
        }
        if spec.expires_in.is_some_and(|d| d.as_secs() == 0) {
            return Err(KeyError::Invalid(
                "a key cannot expire in less than a second".into(),
            ));
        }
        if self.keys.iter().any(|k| k.name == spec.name && k.is_live(now)) {
            return Err(KeyError::NameTaken(spec.name));
        }
        let (entry, secret) = self.mint(
            spec.name,
            spec.models,
            spec.max_tokens,
            spec.rpm,
            spec.expires_in.map(|d| time::add(now, d)),
            now,
        )?;
        let key = entry.public();
        self.keys.push(entry);
        Ok((key, secret))
    }

    /// A new entry with a fresh id, salt and secret.
    fn mint(
        &self,
        name: String,
        models: Vec<String>,
        max_tokens: Option<u64>,
        rpm: Option<u32>,
        expires: Option<u64>,
        now: u64,
    ) -> Result<(Entry, SecretKeyString), KeyError> {
        let id = loop {
            let id = format::new_key_id()?;
            if !self.keys.iter().any(|k| k.id == id) {
                break id;
            }
        };
        let mut salt = [0u8; SALT_LEN];
        format::random(&mut salt)?;
        let secret = format::new_secret()?;
        let hash = format::hash_secret(&salt, &secret);
        let key = SecretKeyString(format!("{KEY_PREFIX}{id}_{secret}"));
        drop(zeroize::Zeroizing::new(secret));
        let entry = Entry {
            id,
            name,
            salt: hex::encode(salt),
            hash: hex::encode(hash),
            created: now,
            expires,
            revoked: None,
            models,
            max_tokens,
            rpm,
            rotated_to: None,
            grace_until: None,
        };
        Ok((entry, key))
    }

    /// Every key, oldest first, with its age and status under the
    /// store's rotation policy.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_keys::{KeySpec, KeyStatus, KeyStore};
    ///
    /// let mut store = KeyStore::in_memory();
    /// store.create(KeySpec::named("a"))?;
    /// store.create(KeySpec::named("b"))?;
    /// store.revoke("a")?;
    /// let statuses: Vec<_> = store.list().iter().map(|k| k.status).collect();
    /// assert_eq!(statuses, [KeyStatus::Revoked, KeyStatus::Ok]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list(&self) -> Vec<ClientKeyInfo> {
        self.list_at(time::now())
    }

    pub(crate) fn list_at(&self, now: u64) -> Vec<ClientKeyInfo> {
        self.keys
            .iter()
            .map(|e| ClientKeyInfo {
                key: e.public(),
                age_secs: now.saturating_sub(e.created),
                status: e.status(self.rotation, now),
            })
            .collect()
    }

    /// Revokes a key at once. By id: that key. By name: every key of
    /// that name that still works, including one still in a rotation
    /// grace period. Revoking a revoked key is not an error.
    ///
    /// # Errors
    ///
    /// [`KeyError::NotFound`] when no key has that id or name.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_keys::{KeySpec, KeyStore};
    ///
    /// let mut store = KeyStore::in_memory();
    /// let (key, _) = store.create(KeySpec::named("svc"))?;
    /// store.revoke(&key.id)?;
    /// assert!(store.list()[0].key.revoked.is_some());
    /// assert!(store.revoke("nobody").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revoke(&mut self, id_or_name: &str) -> Result<(), KeyError> {
        self.revoke_at(id_or_name, time::now())
    }

    pub(crate) fn revoke_at(
        &mut self,
        id_or_name: &str,
        now: u64,
    ) -> Result<(), KeyError> {
        if let Some(e) = self.keys.iter_mut().find(|k| k.id == id_or_name) {
            e.revoked.get_or_insert(now);
            return Ok(());
        }
        let mut found = false;
        for e in self.keys.iter_mut().filter(|k| k.name == id_or_name) {
            found = true;
            let works =
                e.revoked.is_none() && e.ends().is_none_or(|end| now < end);
            if works {
                e.revoked = Some(now);
            }
        }
        if found {
            Ok(())
        } else {
            Err(KeyError::NotFound(id_or_name.to_string()))
        }
    }

    /// Replaces a key by a new one with the same name, models, caps and
    /// lifetime. The old key keeps working until `grace` has passed (a
    /// zero grace ends it at once), so clients can switch over.
    ///
    /// # Errors
    ///
    /// [`KeyError::NotFound`], [`KeyError::Ambiguous`] (two live keys of
    /// that name: use an id), [`KeyError::Revoked`],
    /// [`KeyError::AlreadyRotated`].
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use hush_keys::{KeySpec, KeyStatus, KeyStore};
    ///
    /// let mut store = KeyStore::in_memory();
    /// let (old, _) = store.create(KeySpec::named("svc"))?;
    /// let (new, secret) = store.rotate("svc", Duration::from_secs(86_400))?;
    /// let list = store.list();
    /// assert_eq!(list[0].key.rotated_to.as_deref(), Some(new.id.as_str()));
    /// assert_eq!(list[0].status, KeyStatus::Rotating);
    /// assert_eq!(list[1].status, KeyStatus::Ok);
    /// # let _ = (old, secret);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate(
        &mut self,
        id_or_name: &str,
        grace: Duration,
    ) -> Result<(ClientKey, SecretKeyString), KeyError> {
        self.rotate_at(id_or_name, grace, time::now())
    }

    pub(crate) fn rotate_at(
        &mut self,
        id_or_name: &str,
        grace: Duration,
        now: u64,
    ) -> Result<(ClientKey, SecretKeyString), KeyError> {
        let i = self.find(id_or_name, now)?;
        let old = &self.keys[i];
        if old.revoked.is_some() {
            return Err(KeyError::Revoked(old.id.clone()));
        }
        if let Some(to) = &old.rotated_to {
            return Err(KeyError::AlreadyRotated {
                id: old.id.clone(),
                to: to.clone(),
            });
        }
        let lifetime = old.expires.map(|e| e.saturating_sub(old.created));
        let (entry, secret) = self.mint(
            old.name.clone(),
            old.models.clone(),
            old.max_tokens,
            old.rpm,
            lifetime.map(|l| now.saturating_add(l.max(1))),
            now,
        )?;
        let key = entry.public();
        let old = &mut self.keys[i];
        old.rotated_to = Some(entry.id.clone());
        old.grace_until = Some(time::add(now, grace));
        self.keys.push(entry);
        Ok((key, secret))
    }

    /// The index of the key with this id, else of the one live key with
    /// this name.
    fn find(&self, id_or_name: &str, now: u64) -> Result<usize, KeyError> {
        if let Some(i) = self.keys.iter().position(|k| k.id == id_or_name) {
            return Ok(i);
        }
        let mut live = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.name == id_or_name && k.is_live(now));
        match (live.next(), live.next()) {
            (Some((i, _)), None) => Ok(i),
            (Some(_), Some(_)) => {
                Err(KeyError::Ambiguous(id_or_name.to_string()))
            }
            (None, _) => {
                // A name whose keys are all dead: say why, with the
                // newest one.
                match self.keys.iter().rposition(|k| k.name == id_or_name) {
                    Some(i) => Ok(i),
                    None => Err(KeyError::NotFound(id_or_name.to_string())),
                }
            }
        }
    }

    /// Writes the store to its file atomically (temporary file, then
    /// rename) with mode 0600, creating the directory (mode 0700) if
    /// needed.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoFile`] for an in-memory store; I/O errors.
    ///
    /// # Example
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("sub").join("keys.json");
    /// let mut store = hush_keys::KeyStore::open(&path)?;
    /// store.create(hush_keys::KeySpec::named("svc"))?;
    /// store.save()?;
    /// assert!(path.is_file());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self) -> Result<(), KeyError> {
        let path = self.path.as_deref().ok_or(KeyError::NoFile)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.exists() {
            create_private_dir(dir)?;
        }
        let file = StoreFile {
            version: STORE_VERSION,
            rotation: self.rotation,
            keys: self.keys.clone(),
        };
        let mut json = serde_json::to_vec_pretty(&file)
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        json.push(b'\n');
        // tempfile creates the file with mode 0600 on Unix.
        let mut tmp = tempfile::Builder::new()
            .prefix(".keys-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| KeyError::io(dir, "cannot create a file in", e))?;
        tmp.write_all(&json)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| KeyError::io(tmp.path(), "cannot write", e))?;
        tmp.persist(path)
            .map_err(|e| KeyError::io(path, "cannot replace", e.error))?;
        // Make the rename itself durable (best effort).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.keys
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| KeyError::io(dir, "cannot create directory", e))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| KeyError::io(dir, "cannot create directory", e))
}

fn check_name(name: &str) -> Result<(), KeyError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(KeyError::Invalid(format!(
            "key name {name:?}: use 1 to 64 letters, digits, '.', '_' or '-'"
        )))
    }
}

fn check_policy(p: RotationPolicy) -> Result<(), KeyError> {
    if p.max_age_days == 0 || p.warn_days > p.max_age_days {
        return Err(KeyError::Invalid(
            "rotation policy: max_age_days must be at least 1 and at least \
             warn_days"
                .into(),
        ));
    }
    Ok(())
}

/// Parses and validates a store file.
fn parse(bytes: &[u8], path: &Path) -> Result<KeyStore, KeyError> {
    let corrupt =
        |detail: String| KeyError::Corrupt { path: path.into(), detail };
    let file: StoreFile = serde_json::from_slice(bytes).map_err(|e| {
        // serde_json messages can quote the offending value; say only
        // what kind of problem and where.
        let what = match e.classify() {
            serde_json::error::Category::Io => "cannot read",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Data => {
                "a field is missing, unknown or of the wrong type"
            }
        };
        corrupt(format!("{what} (line {}, column {})", e.line(), e.column()))
    })?;
    if file.version != STORE_VERSION {
        return Err(corrupt(format!(
            "version {} is not supported (this hush reads version \
             {STORE_VERSION})",
            file.version
        )));
    }
    check_policy(file.rotation).map_err(|e| corrupt(e.to_string()))?;
    let mut ids = HashSet::new();
    for (n, e) in file.keys.iter().enumerate() {
        let bad = |what: &str| corrupt(format!("key #{}: {what}", n + 1));
        if !format::is_key_id(&e.id) {
            return Err(bad("malformed id"));
        }
        if !ids.insert(e.id.as_str()) {
            return Err(bad("duplicate id"));
        }
        check_name(&e.name).map_err(|_| bad("invalid name"))?;
        match hex::decode(&e.salt) {
            Ok(s) if (8..=64).contains(&s.len()) => {}
            _ => return Err(bad("malformed salt")),
        }
        match hex::decode(&e.hash) {
            Ok(h) if h.len() == 32 => {}
            _ => return Err(bad("malformed hash")),
        }
        if e.models.iter().any(|m| glob::validate(m).is_err()) {
            return Err(bad("invalid model pattern"));
        }
        if e.rotated_to.as_deref().is_some_and(|t| !format::is_key_id(t)) {
            return Err(bad("malformed rotated_to"));
        }
    }
    Ok(KeyStore { path: None, rotation: file.rotation, keys: file.keys })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    fn statuses(s: &KeyStore, now: u64) -> Vec<KeyStatus> {
        s.list_at(now).iter().map(|k| k.status).collect()
    }

    #[test]
    fn age_policy() {
        let mut s = KeyStore::in_memory();
        s.create_at(KeySpec::named("a"), T0).unwrap();
        let at = |days: u64| statuses(&s, T0 + days * DAY)[0];
        assert_eq!(at(0), KeyStatus::Ok);
        assert_eq!(at(75), KeyStatus::Ok);
        assert_eq!(at(76), KeyStatus::RotateSoon);
        assert_eq!(at(89), KeyStatus::RotateSoon);
        assert_eq!(at(90), KeyStatus::RotationOverdue);
        assert_eq!(at(400), KeyStatus::RotationOverdue);
        s.set_rotation_policy(RotationPolicy {
            max_age_days: 30,
            warn_days: 0,
        })
        .unwrap();
        assert_eq!(statuses(&s, T0 + 29 * DAY)[0], KeyStatus::Ok);
        assert_eq!(statuses(&s, T0 + 30 * DAY)[0], KeyStatus::RotationOverdue);
    }

    #[test]
    fn expiry() {
        let mut s = KeyStore::in_memory();
        let spec = KeySpec {
            expires_in: Some(Duration::from_secs(10 * DAY)),
            ..KeySpec::named("a")
        };
        let (k, _) = s.create_at(spec, T0).unwrap();
        assert_eq!(k.expires, Some(T0 + 10 * DAY));
        assert_eq!(statuses(&s, T0 + 10 * DAY - 1)[0], KeyStatus::Ok);
        assert_eq!(statuses(&s, T0 + 10 * DAY)[0], KeyStatus::Expired);
        // An expired key's name is free again.
        s.create_at(KeySpec::named("a"), T0 + 11 * DAY).unwrap();
    }

    #[test]
    fn rotation_and_grace() {
        let mut s = KeyStore::in_memory();
        let spec = KeySpec {
            models: vec!["claude-*".into()],
            max_tokens: Some(100),
            rpm: Some(5),
            expires_in: Some(Duration::from_secs(30 * DAY)),
            ..KeySpec::named("svc")
        };
        let (old, _) = s.create_at(spec, T0).unwrap();
        let t1 = T0 + 20 * DAY;
        let (new, secret) =
            s.rotate_at("svc", Duration::from_secs(7 * DAY), t1).unwrap();
        assert!(secret.expose().contains(&new.id));
        assert_eq!(new.name, "svc");
        assert_eq!(new.models, ["claude-*"]);
        assert_eq!((new.max_tokens, new.rpm), (Some(100), Some(5)));
        assert_eq!(new.expires, Some(t1 + 30 * DAY));
        assert_eq!(statuses(&s, t1), [KeyStatus::Rotating, KeyStatus::Ok]);
        assert_eq!(
            statuses(&s, t1 + 7 * DAY),
            [KeyStatus::Expired, KeyStatus::Ok]
        );
        // The name now means the new key; the old one cannot rotate again.
        let (newer, _) = s.rotate_at("svc", Duration::ZERO, t1 + DAY).unwrap();
        assert!(matches!(
            s.rotate_at(&old.id, Duration::ZERO, t1 + DAY),
            Err(KeyError::AlreadyRotated { .. })
        ));
        // Revoking by name ends every key of that name that still works.
        s.revoke_at("svc", t1 + 2 * DAY).unwrap();
        let l = s.list_at(t1 + 2 * DAY);
        assert_eq!(l[0].key.revoked, Some(t1 + 2 * DAY));
        assert_eq!(l[1].status, KeyStatus::Expired); // zero grace
        assert_eq!(l[1].key.revoked, None);
        assert_eq!(l[2].key.id, newer.id);
        assert_eq!(l[2].status, KeyStatus::Revoked);
        assert!(matches!(
            s.rotate_at("svc", Duration::ZERO, t1 + 3 * DAY),
            Err(KeyError::Revoked(_))
        ));
    }

    #[test]
    fn ambiguous_names_need_an_id() {
        let mut s = KeyStore::in_memory();
        s.create_at(KeySpec::named("a"), T0).unwrap();
        // Two live keys of one name can only come from a hand-edited file.
        let mut dup = s.keys[0].clone();
        dup.id = "zzzzzzzzzzzz".into();
        s.keys.push(dup);
        assert!(matches!(
            s.rotate_at("a", Duration::ZERO, T0),
            Err(KeyError::Ambiguous(_))
        ));
        s.rotate_at("zzzzzzzzzzzz", Duration::ZERO, T0).unwrap();
    }

    #[test]
    fn corrupt_files_say_where_not_what() {
        let good = {
            let mut s = KeyStore::in_memory();
            s.create_at(KeySpec::named("a"), T0).unwrap();
            serde_json::to_string(&StoreFile {
                version: 1,
                rotation: RotationPolicy::default(),
                keys: s.keys.clone(),
            })
            .unwrap()
        };
        assert!(KeyStore::from_slice(good.as_bytes()).is_ok());
        let hash = KeyStore::from_slice(good.as_bytes()).unwrap().keys[0]
            .hash
            .clone();
        let cases = [
            good.replace(&hash, "secret-looking-value"),
            good.replace("\"version\":1", "\"version\":2"),
            good.replace("\"name\"", "\"nmae\""),
            good[..good.len() / 2].to_string(),
            String::from_utf8_lossy(b"\xff\xfe").into_owned(),
            format!("{{\"version\":1,\"keys\":[{0},{0}]}}", {
                let v: serde_json::Value =
                    serde_json::from_str(&good).unwrap();
                v["keys"][0].to_string()
            }),
        ];
        for bad in cases {
            let err = KeyStore::from_slice(bad.as_bytes()).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, KeyError::Corrupt { .. }), "{msg}");
            assert!(!msg.contains("secret-looking-value"), "{msg}");
            assert!(!msg.contains(&hash), "{msg}");
        }
    }
}
