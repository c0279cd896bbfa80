//! The proxy's view of the key store: a read-only snapshot indexed by
//! key id, checked on every request, and reloaded when the file changes
//! so that a revocation takes effect without a restart.
//!
//! `authorize` costs one hash-map lookup and one HMAC-SHA256 over the
//! 52-byte secret (the HMAC is keyed once per key at load time, so each
//! check hashes two 64-byte blocks), then a constant-time comparison.
//! An unknown id costs the same HMAC against a dummy key, so timing does
//! not tell which ids exist (ids are not secret, but there is no reason
//! to make guessing them cheap).
//!
//! Reloading: a background thread looks at the file's metadata every few
//! seconds (modification time, size and inode: the store is replaced by
//! rename, so the inode changes on every save). A file that fails to
//! parse, or vanishes, is logged and the last good snapshot stays in
//! force; the thread ends when the last clone of the ring is dropped.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, SystemTime};

use hmac::Mac;
use subtle::ConstantTimeEq;

use crate::format::{self, HmacSha256};
use crate::store::{Entry, KeyStore};
use crate::{glob, time, KeyError};

/// How often the ring looks at its file by default.
pub const DEFAULT_POLL: Duration = Duration::from_secs(2);

/// What the proxy knows about a request, for the per-key limits.
///
/// `None` means "not applicable" and is not checked: a request without a
/// model (listing models, reading a batch) passes a model restriction.
/// For a message batch, check each request in it.
///
/// # Example
///
/// ```
/// let facts = hush_keys::RequestFacts {
///     model: Some("claude-sonnet-4-5"),
///     max_tokens: Some(1024),
/// };
/// assert_eq!(facts.model, Some("claude-sonnet-4-5"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestFacts<'a> {
    /// The `model` of the request.
    pub model: Option<&'a str>,
    /// The `max_tokens` of the request.
    pub max_tokens: Option<u64>,
}

/// A request's key was accepted: who it is and what the proxy enforces
/// itself (the request rate).
///
/// # Example
///
/// ```
/// use hush_keys::{KeyRing, KeySpec, KeyStore, RequestFacts};
///
/// let mut store = KeyStore::in_memory();
/// let (_, secret) = store.create(KeySpec { rpm: Some(60), ..KeySpec::named("svc") })?;
/// let ok = KeyRing::from_store(&store).authorize(secret.expose(), &RequestFacts::default())?;
/// assert_eq!((ok.name.as_str(), ok.rpm), ("svc", Some(60)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorized {
    /// The key id (log it; it is not secret).
    pub key_id: String,
    /// The key's name.
    pub name: String,
    /// Requests per minute allowed, if limited.
    pub rpm: Option<u32>,
    /// The key's `max_tokens` cap, if any.
    pub max_tokens: Option<u64>,
    /// When the key stops working (expiry or end of rotation grace).
    pub expires: Option<u64>,
    /// The key was rotated and works only until its grace period ends.
    pub in_grace: bool,
}

/// A request's key was refused: the HTTP status, the Anthropic error
/// type and a message for the client, none of which contain the key.
///
/// 401 `authentication_error`: no such key, a malformed, wrong, revoked
/// or expired one. 403 `permission_error`: a good key asking for a model
/// or a `max_tokens` it is not allowed.
///
/// # Example
///
/// ```
/// use hush_keys::{KeyRing, KeyStore, RequestFacts};
///
/// let ring = KeyRing::from_store(&KeyStore::in_memory());
/// let no = ring.authorize("sk-wrong", &RequestFacts::default()).unwrap_err();
/// assert_eq!((no.status, no.kind), (401, "authentication_error"));
/// assert!(no.to_json().contains("\"authentication_error\""));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    /// 401 or 403.
    pub status: u16,
    /// `authentication_error` or `permission_error`.
    pub kind: &'static str,
    /// What to tell the client.
    pub message: String,
    /// The key id, when the key was genuine (for audit logs).
    pub key_id: Option<String>,
}

impl Denied {
    fn auth(message: &str, key_id: Option<&str>) -> Denied {
        Denied {
            status: 401,
            kind: "authentication_error",
            message: message.to_string(),
            key_id: key_id.map(str::to_string),
        }
    }

    fn permission(message: String, key_id: &str) -> Denied {
        Denied {
            status: 403,
            kind: "permission_error",
            message,
            key_id: Some(key_id.to_string()),
        }
    }

    /// The body of an Anthropic API error response:
    /// `{"type":"error","error":{"type":kind,"message":message}}`.
    ///
    /// # Example
    ///
    /// ```
    /// # use hush_keys::{KeyRing, KeyStore, RequestFacts};
    /// let ring = KeyRing::from_store(&KeyStore::in_memory());
    /// let no = ring.authorize("", &RequestFacts::default()).unwrap_err();
    /// let v: serde_json::Value = serde_json::from_str(&no.to_json())?;
    /// assert_eq!(v["error"]["type"], "authentication_error");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "type": "error",
            "error": { "type": self.kind, "message": self.message },
        })
        .to_string()
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.kind, self.message)
    }
}

impl std::error::Error for Denied {}

/// One key, ready to check.
struct RingKey {
    name: String,
    /// HMAC keyed with the salt; cloned per check.
    mac: HmacSha256,
    hash: [u8; 32],
    revoked: bool,
    ends: Option<u64>,
    in_grace: bool,
    models: Vec<String>,
    max_tokens: Option<u64>,
    rpm: Option<u32>,
}

/// An immutable view of the store.
struct Snapshot {
    keys: HashMap<String, RingKey>,
}

impl Snapshot {
    fn of(store: &KeyStore) -> Snapshot {
        let keys = store
            .entries()
            .iter()
            .filter_map(|e| Some((e.id.clone(), ring_key(e)?)))
            .collect();
        Snapshot { keys }
    }
}

fn ring_key(e: &Entry) -> Option<RingKey> {
    // The store validated both when it was parsed.
    let salt = hex::decode(&e.salt).ok()?;
    let hash = hex::decode(&e.hash).ok()?.try_into().ok()?;
    Some(RingKey {
        name: e.name.clone(),
        mac: format::mac_for(&salt),
        hash,
        revoked: e.revoked.is_some(),
        ends: e.ends(),
        in_grace: e.rotated_to.is_some(),
        models: e.models.clone(),
        max_tokens: e.max_tokens,
        rpm: e.rpm,
    })
}

/// The metadata that changes when the file is replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    ino: u64,
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let m = std::fs::metadata(path)?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Ok(Stamp { modified: m.modified().ok(), len: m.len(), ino })
}

struct Source {
    path: PathBuf,
    /// The stamp of the file last looked at (loaded or rejected).
    seen: Mutex<Option<Stamp>>,
}

struct Inner {
    snapshot: RwLock<Arc<Snapshot>>,
    source: Option<Source>,
    /// Keyed with a fixed salt, for the dummy check of unknown ids.
    dummy: HmacSha256,
}

/// The client keys the proxy accepts. Cheap to clone (all clones share
/// one snapshot), safe to use from any thread.
///
/// # Example
///
/// ```
/// use hush_keys::{KeyRing, KeySpec, KeyStore, RequestFacts};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("keys.json");
/// let mut store = KeyStore::open(&path)?;
/// let (_, secret) = store.create(KeySpec {
///     models: vec!["claude-*".into()],
///     max_tokens: Some(4096),
///     ..KeySpec::named("svc-billing")
/// })?;
/// store.save()?;
///
/// let ring = KeyRing::load(&path)?;
/// let facts = RequestFacts { model: Some("claude-sonnet-4-5"), max_tokens: Some(1024) };
/// let who = ring.authorize(secret.expose(), &facts)?;
/// assert_eq!(who.name, "svc-billing");
///
/// let big = RequestFacts { max_tokens: Some(8192), ..facts };
/// assert_eq!(ring.authorize(secret.expose(), &big).unwrap_err().status, 403);
///
/// store.revoke("svc-billing")?;
/// store.save()?;
/// ring.reload()?; // the background thread would do it within seconds
/// assert_eq!(ring.authorize(secret.expose(), &facts).unwrap_err().status, 401);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<Inner>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("path", &self.inner.source.as_ref().map(|s| &s.path))
            .field("keys", &self.snapshot().keys.len())
            .finish()
    }
}

impl KeyRing {
    /// Loads the store at `path` and watches it, checking every
    /// [`DEFAULT_POLL`].
    ///
    /// # Errors
    ///
    /// The file is missing (create keys first with `hush keys create`),
    /// unreadable or corrupt: the proxy must not start without its keys.
    ///
    /// # Example
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let err = hush_keys::KeyRing::load(&dir.path().join("none.json")).unwrap_err();
    /// assert!(err.to_string().contains("none.json"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<KeyRing, KeyError> {
        KeyRing::load_with_poll(path, DEFAULT_POLL)
    }

    /// [`load`](Self::load), checking the file every `poll` (a zero
    /// `poll` starts no thread: call [`reload`](Self::reload) yourself).
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("keys.json");
    /// # hush_keys::KeyStore::open(&path)?.save()?;
    /// let ring = hush_keys::KeyRing::load_with_poll(&path, Duration::from_millis(200))?;
    /// assert_eq!(ring.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_with_poll(
        path: impl AsRef<Path>,
        poll: Duration,
    ) -> Result<KeyRing, KeyError> {
        let path = path.as_ref().to_path_buf();
        let before =
            stamp(&path).map_err(|e| KeyError::io(&path, "cannot read", e))?;
        let store = KeyStore::open(&path)?;
        let ring = KeyRing::new(
            Snapshot::of(&store),
            Some(Source { path, seen: Mutex::new(Some(before)) }),
        );
        if !poll.is_zero() {
            let weak = Arc::downgrade(&ring.inner);
            let spawned = std::thread::Builder::new()
                .name("hush-keys-reload".into())
                .spawn(move || watch(weak, poll));
            if let Err(e) = spawned {
                tracing::warn!(
                    error = %e,
                    "cannot start the key store watcher; keys will not \
                     reload"
                );
            }
        }
        Ok(ring)
    }

    /// A ring over an in-memory store, never reloaded (tests, examples,
    /// embedding).
    ///
    /// # Example
    ///
    /// ```
    /// let ring = hush_keys::KeyRing::from_store(&hush_keys::KeyStore::in_memory());
    /// assert!(ring.is_empty());
    /// ```
    pub fn from_store(store: &KeyStore) -> KeyRing {
        KeyRing::new(Snapshot::of(store), None)
    }

    fn new(snapshot: Snapshot, source: Option<Source>) -> KeyRing {
        KeyRing {
            inner: Arc::new(Inner {
                snapshot: RwLock::new(Arc::new(snapshot)),
                source,
                dummy: format::mac_for(b"hush-keys-unknown-id"),
            }),
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        let guard = match self.inner.snapshot.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        Arc::clone(&guard)
    }

    /// Number of keys in the current snapshot (every state included).
    ///
    /// # Example
    ///
    /// ```
    /// let mut store = hush_keys::KeyStore::in_memory();
    /// store.create(hush_keys::KeySpec::named("a"))?;
    /// assert_eq!(hush_keys::KeyRing::from_store(&store).len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.snapshot().keys.len()
    }

    /// Whether the ring has no keys at all.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(hush_keys::KeyRing::from_store(&hush_keys::KeyStore::in_memory()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks a presented client key (the `x-api-key` header, or the
    /// token of `Authorization: Bearer`) against the ring and the
    /// request's facts. Never panics, whatever the input.
    ///
    /// # Errors
    ///
    /// [`Denied`]: 401 for an unknown, malformed, wrong, revoked or
    /// expired key; 403 for a model or `max_tokens` the key may not use.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_keys::{KeyRing, KeySpec, KeyStore, RequestFacts};
    ///
    /// let mut store = KeyStore::in_memory();
    /// let (_, secret) = store.create(KeySpec {
    ///     models: vec!["claude-haiku-*".into()],
    ///     ..KeySpec::named("cheap")
    /// })?;
    /// let ring = KeyRing::from_store(&store);
    /// let opus = RequestFacts { model: Some("claude-opus-4-1"), max_tokens: None };
    /// let no = ring.authorize(secret.expose(), &opus).unwrap_err();
    /// assert_eq!((no.status, no.kind), (403, "permission_error"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authorize(
        &self,
        presented: &str,
        req: &RequestFacts<'_>,
    ) -> Result<Authorized, Denied> {
        self.authorize_at(presented, req, time::now())
    }

    pub(crate) fn authorize_at(
        &self,
        presented: &str,
        req: &RequestFacts<'_>,
        now: u64,
    ) -> Result<Authorized, Denied> {
        const INVALID: &str = "invalid x-api-key";
        let Some((id, secret)) = format::split_key(presented.trim()) else {
            return Err(Denied::auth(INVALID, None));
        };
        let snap = self.snapshot();
        let Some(key) = snap.keys.get(id) else {
            // Same work as for a known id.
            let mut m = self.inner.dummy.clone();
            m.update(secret.as_bytes());
            let _ = m.finalize();
            return Err(Denied::auth(INVALID, None));
        };
        let mut m = key.mac.clone();
        m.update(secret.as_bytes());
        let got: [u8; 32] = m.finalize().into_bytes().into();
        if !bool::from(got.ct_eq(&key.hash)) {
            return Err(Denied::auth(INVALID, None));
        }
        if key.revoked {
            return Err(Denied::auth("this API key was revoked", Some(id)));
        }
        if key.ends.is_some_and(|e| now >= e) {
            return Err(Denied::auth("this API key has expired", Some(id)));
        }
        if let Some(model) = req.model {
            if !key.models.is_empty()
                && !key.models.iter().any(|p| glob::matches(p, model))
            {
                return Err(Denied::permission(
                    format!(
                        "this API key may not use this model (allowed: {})",
                        key.models.join(", ")
                    ),
                    id,
                ));
            }
        }
        if let (Some(cap), Some(asked)) = (key.max_tokens, req.max_tokens) {
            if asked > cap {
                return Err(Denied::permission(
                    format!(
                        "max_tokens {asked} is over this API key's limit \
                         of {cap}"
                    ),
                    id,
                ));
            }
        }
        Ok(Authorized {
            key_id: id.to_string(),
            name: key.name.clone(),
            rpm: key.rpm,
            max_tokens: key.max_tokens,
            expires: key.ends,
            in_grace: key.in_grace,
        })
    }

    /// Looks at the file now and reloads it if it changed. Returns
    /// whether a new snapshot was taken. A ring from
    /// [`from_store`](Self::from_store) has no file: `Ok(false)`.
    ///
    /// # Errors
    ///
    /// The file changed but cannot be read or parsed; the previous keys
    /// stay in force.
    ///
    /// # Example
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("keys.json");
    /// # hush_keys::KeyStore::open(&path)?.save()?;
    /// let ring = hush_keys::KeyRing::load(&path)?;
    /// assert!(!ring.reload()?); // unchanged
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reload(&self) -> Result<bool, KeyError> {
        let Some(src) = &self.inner.source else { return Ok(false) };
        let now = stamp(&src.path)
            .map_err(|e| KeyError::io(&src.path, "cannot read", e))?;
        let mut seen = match src.seen.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if seen.as_ref() == Some(&now) {
            return Ok(false);
        }
        // Remember this version even if it is bad, to report it once.
        *seen = Some(now);
        let store = KeyStore::open(&src.path)?;
        let snap = Arc::new(Snapshot::of(&store));
        match self.inner.snapshot.write() {
            Ok(mut g) => *g = snap,
            Err(p) => *p.into_inner() = snap,
        }
        Ok(true)
    }
}

/// The watcher thread: reload every `poll` while a ring is alive.
fn watch(weak: Weak<Inner>, poll: Duration) {
    let mut failing = false;
    loop {
        std::thread::sleep(poll);
        let Some(inner) = weak.upgrade() else { return };
        let ring = KeyRing { inner };
        match ring.reload() {
            Ok(true) => {
                tracing::info!(keys = ring.len(), "key store reloaded");
                failing = false;
            }
            Ok(false) => failing = false,
            Err(e) => {
                if !failing {
                    tracing::warn!(
                        error = %e,
                        "key store not reloaded; the previous keys stay in \
                         force"
                    );
                }
                failing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeySpec;

    const T0: u64 = 1_700_000_000;
    const DAY: u64 = 86_400;

    #[test]
    fn expiry_and_grace_follow_the_clock() {
        let mut s = KeyStore::in_memory();
        let spec = KeySpec {
            expires_in: Some(Duration::from_secs(10 * DAY)),
            ..KeySpec::named("a")
        };
        let (_, old) = s.create_at(spec, T0).unwrap();
        let (_, new) =
            s.rotate_at("a", Duration::from_secs(DAY), T0 + DAY).unwrap();
        let ring = KeyRing::from_store(&s);
        let f = RequestFacts::default();
        let ok = ring.authorize_at(old.expose(), &f, T0 + DAY).unwrap();
        assert!(ok.in_grace);
        assert_eq!(ok.expires, Some(T0 + 2 * DAY));
        let no =
            ring.authorize_at(old.expose(), &f, T0 + 2 * DAY).unwrap_err();
        assert_eq!(
            (no.status, no.message.as_str()),
            (401, "this API key has expired")
        );
        let ok = ring.authorize_at(new.expose(), &f, T0 + 2 * DAY).unwrap();
        assert!(!ok.in_grace);
        assert_eq!(ok.expires, Some(T0 + 11 * DAY));
        assert!(ring.authorize_at(new.expose(), &f, T0 + 11 * DAY).is_err());
    }
}
