//! The vault: pseudonymise, restore, forget, purge, export, rotate.
//!
//! One [`Vault`] owns a [`Storage`] and an in-memory index of every entry
//! (the values are decrypted into memory on open, so that a warm lookup
//! touches no file and no cipher). The index is two hash tables of entry
//! numbers: one keyed by (scope, kind, operator, normalised value), one by
//! (scope, kind, code) for tags and (scope, text) for surrogates. Writes
//! go through the storage lock, catch up with records written by other
//! processes first, and are acknowledged only after they are durable.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use aho_corasick::{AhoCorasick, MatchKind};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hashbrown::HashTable;
use hmac::{Hmac, Mac};
use hush_detect::Kind;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::clock;
use crate::error::Error;
use crate::key::{Key, SubKey};
use crate::normalise::{normal_form, normalise};
use crate::policy::{kind_index, Operator, Policy};
use crate::record::{self, BatchEntry, Decoded, Item, Opener, Record};
use crate::restore::TagMatcher;
use crate::storage::{FileStorage, MemoryStorage, Storage, FORMAT_VERSION};
use crate::surrogate::surrogate;

/// Last-used times are persisted when they moved by at least this much.
const TOUCH_GRANULARITY: u64 = 60;
const OP_TAG: u8 = 0;
const OP_SURROGATE: u8 = 1;

/// A pseudonymisation vault: reversible mappings, encrypted at rest.
///
/// A vault is `Send + Sync`; all methods take `&self` and serialise on an
/// internal mutex. Several processes may open the same file; see
/// [`FileStorage`] for the locking model. Work happens in a [`Scope`]:
/// pseudonyms of one scope cannot be linked to those of another.
///
/// # Example
///
/// ```
/// use hush_detect::Kind;
/// use hush_vault::{Key, Policy, Vault};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("team.hushvault");
/// let key = Key::generate()?;
/// let vault = Vault::open(&path, key.clone(), Policy::default())?;
/// let chat = vault.scope("chat-42");
/// let p = chat.pseudonymise(Kind::Email, "jane.roe@acme.io")?;
/// assert!(p.starts_with("[[EMAIL-"));
/// drop(vault);
///
/// // Another process, later: same key, same pseudonym, same value back.
/// let vault = Vault::open(&path, key, Policy::default())?;
/// let chat = vault.scope("chat-42");
/// assert_eq!(chat.pseudonymise(Kind::Email, "jane.roe@ACME.io")?, p);
/// let answer = format!("I wrote to {}'s inbox.", p.trim_matches(['[', ']']));
/// let back = chat.restore(&answer)?;
/// assert_eq!(back.text(), "I wrote to jane.roe@acme.io's inbox.");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Vault {
    inner: Mutex<Inner>,
    policy: Policy,
    matcher: TagMatcher,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Vault")
            .field("location", &inner.storage.location())
            .field("entries", &inner.entries.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    storage: Box<dyn Storage>,
    key: Key,
    aead: XChaCha20Poly1305,
    header: Header,
    cursor: u64,
    nonce_prefix: [u8; 16],
    nonce_counter: Cell<u64>,
    scopes: Vec<ScopeState>,
    scope_ids: HashMap<String, u32>,
    entries: Vec<Entry>,
    by_value: HashTable<u32>,
    by_pseudonym: HashTable<u32>,
    hasher: HashBuilder,
    scratch: Zeroizing<String>,
    dirty: Vec<u32>,
}

/// The surrogates of one scope, ready for matching.
struct Surrogates {
    ac: AhoCorasick,
    /// Entry index per automaton pattern.
    ids: Vec<u32>,
    /// The surrogate texts, sorted, for prefix tests at a stream's end.
    sorted: Vec<Box<str>>,
    longest: usize,
}

struct ScopeState {
    name: String,
    code_key: SubKey,
    surrogate_key: SubKey,
    hash_key: SubKey,
    /// Surrogate texts of this scope, for exact matching in restore;
    /// rebuilt when a surrogate was added.
    surrogates: Option<Surrogates>,
    /// How many surrogate entries the scope has (0: skip the automaton).
    n_surrogates: usize,
    /// Kinds this scope has issued tags for (bit = position in
    /// `Kind::ALL`; not cleared when entries go, which only holds back a
    /// little more).
    tag_kinds: u64,
}

/// One mapping in memory. The pseudonym, the value and (when it differs
/// from the value) the normal form share one allocation, so that a
/// lookup reads one block of memory for the comparison and the answer.
pub(crate) struct Entry {
    pub(crate) scope: u32,
    kind: u8,
    op: u8,
    dirty: bool,
    /// The pseudonym, the value, then the normal form (if any).
    text: Box<str>,
    pseudonym_len: u32,
    value_len: u32,
    created: u64,
    last_used: u64,
    stored_used: u64,
}

impl Entry {
    /// An entry created (and last used) at `created`, clean.
    pub(crate) fn new(
        scope: u32,
        kind: u8,
        op: u8,
        pseudonym: &str,
        value: &str,
        norm: Option<&str>,
        created: u64,
    ) -> Entry {
        let norm = norm.filter(|n| !n.is_empty()).unwrap_or("");
        let mut text =
            String::with_capacity(pseudonym.len() + value.len() + norm.len());
        text.push_str(pseudonym);
        text.push_str(value);
        text.push_str(norm);
        Entry {
            scope,
            kind,
            op,
            dirty: false,
            text: text.into_boxed_str(),
            pseudonym_len: pseudonym.len() as u32,
            value_len: value.len() as u32,
            created,
            last_used: created,
            stored_used: created,
        }
    }

    /// Sets the last-used time (as stored).
    pub(crate) fn used_at(mut self, t: u64) -> Entry {
        self.last_used = t;
        self.stored_used = t;
        self
    }

    fn pseudonym(&self) -> &str {
        &self.text[..self.pseudonym_len as usize]
    }

    fn value(&self) -> &str {
        let p = self.pseudonym_len as usize;
        &self.text[p..p + self.value_len as usize]
    }

    /// The normal form, when it differs from the value.
    fn norm_only(&self) -> Option<&str> {
        let v = (self.pseudonym_len + self.value_len) as usize;
        (self.text.len() > v).then(|| &self.text[v..])
    }

    fn norm(&self) -> &str {
        self.norm_only().unwrap_or_else(|| self.value())
    }

    /// The code digits of a tag: the last run of digits.
    fn code(&self) -> &str {
        code_of(self.pseudonym())
    }
}

/// The code digits of a tag: the last run of digits.
fn code_of(p: &str) -> &str {
    let end = p.rfind(|c: char| c.is_ascii_digit()).map_or(0, |i| i + 1);
    let start =
        p[..end].rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    &p[start..end]
}

type HashBuilder = hashbrown::DefaultHashBuilder;

fn hash_value(
    h: &HashBuilder,
    scope: u32,
    kind: u8,
    op: u8,
    norm: &str,
) -> u64 {
    let mut h = h.build_hasher();
    (scope, kind, op).hash(&mut h);
    norm.hash(&mut h);
    h.finish()
}

fn hash_tag(h: &HashBuilder, scope: u32, kind: u8, code: &str) -> u64 {
    let mut h = h.build_hasher();
    (scope, kind, OP_TAG).hash(&mut h);
    code.hash(&mut h);
    h.finish()
}

fn hash_surrogate(h: &HashBuilder, scope: u32, text: &str) -> u64 {
    let mut h = h.build_hasher();
    (scope, u8::MAX, OP_SURROGATE).hash(&mut h);
    text.hash(&mut h);
    h.finish()
}

/// The key hash of an entry in `by_value`.
fn value_hash(h: &HashBuilder, e: &Entry) -> u64 {
    hash_value(h, e.scope, e.kind, e.op, e.norm())
}

/// The key hash of an entry in `by_pseudonym`.
fn pseudonym_hash(h: &HashBuilder, e: &Entry) -> u64 {
    if e.op == OP_TAG {
        hash_tag(h, e.scope, e.kind, e.code())
    } else {
        hash_surrogate(h, e.scope, e.pseudonym())
    }
}

/// Whether two entries have the same `by_value` key.
/// Inserts every entry's index into an empty, pre-sized table; `false`
/// as soon as one repeats an earlier entry (by `same`).
fn fill_unique(
    table: &mut HashTable<u32>,
    entries: &[Entry],
    hasher: &HashBuilder,
    hash: fn(&HashBuilder, &Entry) -> u64,
    same: fn(&Entry, &Entry) -> bool,
) -> bool {
    entries.iter().enumerate().all(|(i, e)| {
        match table.entry(
            hash(hasher, e),
            |&j| same(&entries[j as usize], e),
            |&j| hash(hasher, &entries[j as usize]),
        ) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(i as u32);
                true
            }
        }
    })
}

fn same_value(a: &Entry, b: &Entry) -> bool {
    a.scope == b.scope
        && a.kind == b.kind
        && a.op == b.op
        && a.norm() == b.norm()
}

/// Whether two entries have the same `by_pseudonym` key.
fn same_pseudonym(a: &Entry, b: &Entry) -> bool {
    a.scope == b.scope
        && a.op == b.op
        && if a.op == OP_TAG {
            a.kind == b.kind && a.code() == b.code()
        } else {
            a.pseudonym() == b.pseudonym()
        }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

#[derive(Serialize, Deserialize, Clone)]
struct Header {
    vault_id: [u8; 16],
    generation: [u8; 16],
    key_check: [u8; 32],
    created: u64,
}

/// The result of [`Scope::restore`]: the text with original values put
/// back, how many pseudonyms were restored, and the pseudonym-shaped
/// strings that this scope did not issue (or that were forgotten), which
/// are left in the text as they were.
///
/// # Example
///
/// ```
/// use hush_vault::{Key, Policy, Vault};
///
/// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
/// let r = vault.scope("s").restore("Ask [[PERSON-123456]].")?;
/// assert_eq!(r.text(), "Ask [[PERSON-123456]].");
/// assert_eq!(r.restored(), 0);
/// assert_eq!(r.unresolved(), ["[[PERSON-123456]]"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Restored {
    text: Zeroizing<String>,
    restored: usize,
    unresolved: Vec<String>,
}

impl std::fmt::Debug for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restored")
            .field("text", &"<hidden>")
            .field("restored", &self.restored)
            .field("unresolved", &self.unresolved)
            .finish()
    }
}

impl Restored {
    /// The restored text.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// assert_eq!(vault.scope("s").restore("plain")?.text(), "plain");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Takes the restored text.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let text: String = vault.scope("s").restore("plain")?.into_text();
    /// assert_eq!(text, "plain");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_text(mut self) -> String {
        std::mem::take(&mut *self.text)
    }

    /// How many pseudonyms were replaced by their values.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let s = vault.scope("s");
    /// let p = s.pseudonymise(Kind::Phone, "+1 415 555 2671")?;
    /// assert_eq!(s.restore(&format!("{p} and {p}"))?.restored(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restored(&self) -> usize {
        self.restored
    }

    /// Tag-shaped strings seen but not resolved, as they were written.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let r = vault.scope("s").restore("EMAIL-000001")?;
    /// assert_eq!(r.unresolved(), ["EMAIL-000001"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unresolved(&self) -> &[String] {
        &self.unresolved
    }
}

/// Counts for `hush vault stats`.
///
/// # Example
///
/// ```
/// use hush_detect::Kind;
/// use hush_vault::{Key, Policy, Vault};
///
/// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
/// vault.scope("a").pseudonymise(Kind::Email, "a@b.io")?;
/// let stats = vault.stats()?;
/// assert_eq!(stats.entries, 1);
/// assert_eq!(stats.scopes[0].name, "a");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Entries in the vault.
    pub entries: usize,
    /// Bytes of storage used (the file size for a file vault).
    pub stored_bytes: u64,
    /// Per scope, in name order.
    pub scopes: Vec<ScopeStats>,
}

/// Counts for one scope.
///
/// # Example
///
/// ```
/// use hush_vault::ScopeStats;
///
/// let s = ScopeStats::default();
/// assert_eq!(s.entries, 0);
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ScopeStats {
    /// The scope name.
    pub name: String,
    /// Entries in this scope.
    pub entries: usize,
    /// Entries per kind name.
    pub by_kind: Vec<(String, usize)>,
    /// The oldest creation time (seconds since the Unix epoch).
    pub oldest_created: Option<u64>,
    /// The oldest last-use time (seconds since the Unix epoch).
    pub oldest_used: Option<u64>,
}

fn one(mut v: Vec<String>) -> String {
    v.pop().unwrap_or_default()
}

fn hmac(key: &SubKey, parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key.0[..])
        .expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

fn random16() -> Result<[u8; 16], Error> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b)
        .map_err(|_| Error::key("no operating-system random source"))?;
    Ok(b)
}

impl Vault {
    /// Opens the vault file at `path`, creating it (and its directory)
    /// when it does not exist.
    ///
    /// # Errors
    ///
    /// On I/O errors; when the file is not a vault, is corrupt, was
    /// created with another key or by a newer hush. The message names
    /// the file.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let v = Vault::open(dir.path().join("v"), Key::generate()?, Policy::default())?;
    /// assert_eq!(v.stats()?.entries, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(
        path: impl Into<PathBuf>,
        key: Key,
        policy: Policy,
    ) -> Result<Vault, Error> {
        Vault::with_storage(Box::new(FileStorage::new(path)?), key, policy)
    }

    /// A vault that lives only in memory.
    ///
    /// # Errors
    ///
    /// Only when the operating system has no random source.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let v = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn in_memory(key: Key, policy: Policy) -> Result<Vault, Error> {
        Vault::with_storage(Box::new(MemoryStorage::new()), key, policy)
    }

    /// Opens a vault on any [`Storage`] backend.
    ///
    /// # Errors
    ///
    /// As for [`Vault::open`].
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, MemoryStorage, Policy, Vault};
    ///
    /// let s = Box::new(MemoryStorage::new());
    /// let v = Vault::with_storage(s, Key::generate()?, Policy::default())?;
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn with_storage(
        mut storage: Box<dyn Storage>,
        key: Key,
        policy: Policy,
    ) -> Result<Vault, Error> {
        storage.lock(true)?;
        let r = Inner::open(storage, key);
        let mut inner = r?;
        inner.storage.unlock();
        inner.dirty.clear();
        let matcher = TagMatcher::new(&policy);
        Ok(Vault { inner: Mutex::new(inner), policy, matcher })
    }

    /// The default vault file: `<data dir>/hush/default.hushvault` (for
    /// example `~/.local/share/hush/default.hushvault` on Linux).
    ///
    /// # Example
    ///
    /// ```
    /// if let Some(p) = hush_vault::Vault::default_path() {
    ///     assert!(p.ends_with("hush/default.hushvault"));
    /// }
    /// ```
    pub fn default_path() -> Option<PathBuf> {
        dirs::data_dir().map(|d| d.join("hush").join("default.hushvault"))
    }

    /// The default key file: `<data dir>/hush/key`.
    ///
    /// # Example
    ///
    /// ```
    /// if let Some(p) = hush_vault::Vault::default_key_path() {
    ///     assert!(p.ends_with("hush/key"));
    /// }
    /// ```
    pub fn default_key_path() -> Option<PathBuf> {
        dirs::data_dir().map(|d| d.join("hush").join("key"))
    }

    /// A handle on one scope (a conversation, a tenant, a project).
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let a = vault.scope("a").pseudonymise(Kind::Email, "x@y.io")?;
    /// let b = vault.scope("b").pseudonymise(Kind::Email, "x@y.io")?;
    /// assert_ne!(a, b); // scopes are unlinkable
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scope(&self, name: &str) -> Scope<'_> {
        let mut inner = self.lock();
        let id = inner.scope_id(name);
        Scope { vault: self, id }
    }

    /// A scope name derived from a client credential (an API key, say):
    /// `client-` and 16 hex digits of a keyed hash (HMAC-SHA256 under a
    /// subkey of the vault key). The same credential always gives the
    /// same scope with this vault; the credential cannot be recovered
    /// from the name and is never stored.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let a = vault.client_scope(b"sk-ant-example-1");
    /// assert_eq!(a, vault.client_scope(b"sk-ant-example-1"));
    /// assert_ne!(a, vault.client_scope(b"sk-ant-example-2"));
    /// assert!(a.starts_with("client-") && a.len() == 23);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client_scope(&self, credential: &[u8]) -> String {
        let key = self.lock().key.derive(b"client scope", &[]);
        let mac = hmac(&key, &[credential]);
        format!("client-{}", hex::encode(&mac[..8]))
    }

    /// The most text [`Scope::restore_settled`] holds back: the longest
    /// form a tag can take (brackets, escapes and line breaks included)
    /// or the longest surrogate issued so far, whichever is longer.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let v = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// assert!(v.max_restore_hold() < 256);
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn max_restore_hold(&self) -> usize {
        let inner = self.lock();
        let longest = inner
            .entries
            .iter()
            .filter(|e| e.op == OP_SURROGATE)
            .map(|e| e.pseudonym().len())
            .max()
            .unwrap_or(0);
        self.matcher.max_form().max(longest)
    }

    /// The policy the vault was opened with.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Operator, Policy, Vault};
    ///
    /// let v = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// assert_eq!(v.policy().operator(Kind::Email), Operator::Tag);
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Counts per scope and kind, ages, storage size (after reading what
    /// other processes added).
    ///
    /// # Errors
    ///
    /// When the storage cannot be read.
    ///
    /// # Example
    ///
    /// See [`Stats`].
    pub fn stats(&self) -> Result<Stats, Error> {
        let mut inner = self.lock();
        inner.catch_up(false)?;
        let mut scopes: Vec<ScopeStats> = inner
            .scopes
            .iter()
            .map(|s| ScopeStats { name: s.name.clone(), ..Default::default() })
            .collect();
        let mut kinds: Vec<HashMap<u8, usize>> =
            vec![HashMap::new(); scopes.len()];
        for e in &inner.entries {
            let s = &mut scopes[e.scope as usize];
            s.entries += 1;
            s.oldest_created =
                Some(s.oldest_created.map_or(e.created, |t| t.min(e.created)));
            s.oldest_used = Some(
                s.oldest_used.map_or(e.last_used, |t| t.min(e.last_used)),
            );
            *kinds[e.scope as usize].entry(e.kind).or_default() += 1;
        }
        for (s, k) in scopes.iter_mut().zip(kinds) {
            let mut v: Vec<(String, usize)> = k
                .into_iter()
                .map(|(k, n)| (Kind::ALL[k as usize].as_str().to_string(), n))
                .collect();
            v.sort();
            s.by_kind = v;
        }
        scopes.retain(|s| s.entries > 0);
        scopes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Stats {
            entries: inner.entries.len(),
            stored_bytes: inner.cursor,
            scopes,
        })
    }

    /// Removes every entry (in every scope) not used for `max_age_secs`
    /// seconds, rewriting the storage so that their encrypted values are
    /// gone from it; returns how many were removed.
    ///
    /// # Errors
    ///
    /// When the storage cannot be read or rewritten.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// vault.scope("s").pseudonymise(Kind::Email, "a@b.io")?;
    /// assert_eq!(vault.purge_older_than(30 * 86400)?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn purge_older_than(&self, max_age_secs: u64) -> Result<usize, Error> {
        let cutoff = clock::now().saturating_sub(max_age_secs);
        let mut inner = self.lock();
        inner.rewrite(|e| e.last_used >= cutoff, None)
    }

    /// Re-encrypts the whole vault under `new_key` (a rewrite: new
    /// records, new header), then uses it. Pseudonyms already issued stay
    /// as they are; new values get codes derived from the new key.
    ///
    /// # Errors
    ///
    /// When the storage cannot be read or rewritten.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("v");
    /// let vault = Vault::open(&path, Key::generate()?, Policy::default())?;
    /// let new = Key::generate()?;
    /// vault.rotate_key(new.clone())?;
    /// drop(vault);
    /// Vault::open(&path, new, Policy::default())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate_key(&self, new_key: Key) -> Result<(), Error> {
        let mut inner = self.lock();
        inner.rewrite(|_| true, Some(new_key)).map(|_| ())
    }

    /// Writes every entry as JSON Lines: `scope`, `kind`, `operator`,
    /// `pseudonym`, `created`, `last_used`, and either `sealed` (the value
    /// encrypted under an export subkey of the vault key, hex: nonce then
    /// ciphertext) or, with `reveal`, `value` in plain text.
    ///
    /// # Errors
    ///
    /// When the storage cannot be read or `out` cannot be written.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// vault.scope("s").pseudonymise(Kind::Email, "a@b.io")?;
    /// let mut out = Vec::new();
    /// vault.export(false, &mut out)?;
    /// let text = String::from_utf8(out)?;
    /// assert!(text.contains("\"sealed\"") && !text.contains("a@b.io"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn export(
        &self,
        reveal: bool,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        let mut inner = self.lock();
        inner.catch_up(false)?;
        let export_key = inner.key.derive(b"export", &[]);
        let aead = XChaCha20Poly1305::new_from_slice(&export_key.0[..])
            .expect("32-byte key");
        let loc = inner.storage.location().to_path_buf();
        let werr =
            |e| Error::io(Path::new("<export>"), "cannot write export", e);
        for e in &inner.entries {
            let scope = &inner.scopes[e.scope as usize].name;
            let mut obj = serde_json::Map::new();
            obj.insert("scope".into(), scope.clone().into());
            obj.insert(
                "kind".into(),
                Kind::ALL[e.kind as usize].as_str().into(),
            );
            let op = if e.op == OP_TAG { "tag" } else { "surrogate" };
            obj.insert("operator".into(), op.into());
            obj.insert("pseudonym".into(), e.pseudonym().into());
            obj.insert("created".into(), e.created.into());
            obj.insert("last_used".into(), e.last_used.into());
            if reveal {
                obj.insert("value".into(), e.value().into());
            } else {
                let nonce = {
                    let mut n = [0u8; 24];
                    getrandom::getrandom(&mut n)
                        .map_err(|_| Error::key("no random source"))?;
                    n
                };
                let ct = aead
                    .encrypt(XNonce::from_slice(&nonce), e.value().as_bytes())
                    .map_err(|_| Error::corrupt(&loc, 0, "cannot seal"))?;
                let mut sealed = hex::encode(nonce);
                sealed.push_str(&hex::encode(ct));
                obj.insert("sealed".into(), sealed.into());
            }
            let mut line = Zeroizing::new(
                serde_json::to_string(&serde_json::Value::Object(obj))
                    .expect("JSON of strings and numbers"),
            );
            line.push('\n');
            out.write_all(line.as_bytes()).map_err(werr)?;
        }
        out.flush().map_err(werr)
    }

    /// Persists last-used times that moved (also done on drop).
    ///
    /// # Errors
    ///
    /// When the storage cannot be written.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// vault.flush()?;
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn flush(&self) -> Result<(), Error> {
        self.lock().flush_touches()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        let _ = self.lock().flush_touches();
    }
}

/// How many bytes before `from` a caller of [`Scope::restore_settled`]
/// must keep: enough for the word boundary before a tag and the brackets
/// and blanks a tag may take on its left.
pub const RESTORE_CONTEXT: usize = 64;

/// One scope of a vault: pseudonyms are deterministic within it and
/// unlinkable across scopes.
///
/// # Example
///
/// ```
/// use hush_detect::Kind;
/// use hush_vault::{Key, Policy, Vault};
///
/// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
/// let s = vault.scope("ticket-9");
/// let p = s.pseudonymise(Kind::Person, "Jane Roe")?;
/// assert_eq!(s.restore(&p)?.text(), "Jane Roe");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Scope<'v> {
    vault: &'v Vault,
    id: u32,
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Scope<'_> {
    /// Replaces one value by the policy's operator for its kind. For
    /// `tag` and `surrogate` the mapping is stored (durably, before this
    /// returns) or looked up; the same normalised value always gets the
    /// same pseudonym in this scope.
    ///
    /// # Errors
    ///
    /// When a new mapping cannot be stored.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Operator, Policy, Vault};
    ///
    /// let policy = Policy::default()
    ///     .with_operator(Kind::CreditCard, Operator::Mask { keep: 4 })?;
    /// let vault = Vault::in_memory(Key::generate()?, policy)?;
    /// let s = vault.scope("s");
    /// assert_eq!(
    ///     s.pseudonymise(Kind::CreditCard, "4111 1111 1111 1111")?,
    ///     "**** **** **** 1111"
    /// );
    /// let a = s.pseudonymise(Kind::Email, "Jane@Acme.io")?;
    /// assert_eq!(s.pseudonymise(Kind::Email, "Jane@ACME.IO")?, a);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pseudonymise(
        &self,
        kind: Kind,
        value: &str,
    ) -> Result<String, Error> {
        // Warm fast path: one lookup, no batch bookkeeping.
        let op = match self.vault.policy.operator(kind) {
            Operator::Tag => OP_TAG,
            Operator::Surrogate => OP_SURROGATE,
            _ => return self.pseudonymise_batch(&[(kind, value)]).map(one),
        };
        let mut inner = self.vault.lock();
        let t = clock::now();
        if let Some(p) = inner.lookup_value(self.id, kind, op, value, t) {
            return Ok(p);
        }
        drop(inner);
        self.pseudonymise_batch(&[(kind, value)]).map(one)
    }

    /// The pseudonym [`Scope::pseudonymise`] would return, without storing
    /// anything: `None` when the value needs a new mapping. Irreversible
    /// operators (mask, hash, redact, keep) always answer.
    ///
    /// Parallel batch jobs look values up from many threads and leave the
    /// new ones to one thread that stores them in input order, so that
    /// the output does not depend on the number of threads.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let s = vault.scope("s");
    /// assert_eq!(s.lookup(Kind::Email, "a@b.io"), None);
    /// let p = s.pseudonymise(Kind::Email, "a@b.io")?;
    /// assert_eq!(s.lookup(Kind::Email, "a@B.IO"), Some(p));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lookup(&self, kind: Kind, value: &str) -> Option<String> {
        let policy = &self.vault.policy;
        let mut inner = self.vault.lock();
        let op = match policy.operator(kind) {
            Operator::Tag => OP_TAG,
            Operator::Surrogate => OP_SURROGATE,
            op => {
                return Some(
                    inner.irreversible(policy, self.id, kind, op, value),
                )
            }
        };
        inner.lookup_value(self.id, kind, op, value, clock::now())
    }

    /// [`Scope::pseudonymise`] for many values, with one storage write
    /// (and one `fsync`) for all the new mappings.
    ///
    /// # Errors
    ///
    /// When new mappings cannot be stored; then none of them is.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let out = vault.scope("s").pseudonymise_batch(&[
    ///     (Kind::Email, "a@b.io"),
    ///     (Kind::Email, "c@d.io"),
    ///     (Kind::Email, "a@b.io"),
    /// ])?;
    /// assert_eq!(out[0], out[2]);
    /// assert_ne!(out[0], out[1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pseudonymise_batch(
        &self,
        items: &[(Kind, &str)],
    ) -> Result<Vec<String>, Error> {
        let policy = &self.vault.policy;
        let mut inner = self.vault.lock();
        let t = clock::now();
        let mut out = Vec::with_capacity(items.len());
        let mut missing = Vec::new();
        for (i, &(kind, value)) in items.iter().enumerate() {
            let op = policy.operator(kind);
            let code = match op {
                Operator::Tag => OP_TAG,
                Operator::Surrogate => OP_SURROGATE,
                _ => {
                    out.push(
                        inner.irreversible(policy, self.id, kind, op, value),
                    );
                    continue;
                }
            };
            match inner.lookup_value(self.id, kind, code, value, t) {
                Some(p) => out.push(p),
                None => {
                    out.push(String::new());
                    missing.push(i);
                }
            }
        }
        if !missing.is_empty() {
            inner.insert_missing(
                policy, self.id, items, &missing, &mut out, t,
            )?;
        }
        Ok(out)
    }

    /// Puts original values back in place of the pseudonyms this scope
    /// issued. Tags are found however a model echoed them (case,
    /// brackets, escapes, line breaks; see the crate docs); surrogates
    /// only on an exact match. Pseudonym-shaped strings this scope did not
    /// issue are left as they are and reported in
    /// [`Restored::unresolved`].
    ///
    /// # Errors
    ///
    /// When the storage cannot be read (to see mappings added by another
    /// process since this one last looked).
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let s = vault.scope("s");
    /// let p = s.pseudonymise(Kind::Email, "jane@acme.io")?;
    /// let code = p.trim_matches(['[', ']']).replace("EMAIL", "Email");
    /// let r = s.restore(&format!("Mail ({code}) or [[PERSON-999999]]."))?;
    /// assert_eq!(r.text(), "Mail (jane@acme.io) or [[PERSON-999999]].");
    /// assert_eq!(r.unresolved(), ["[[PERSON-999999]]"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore(&self, text: &str) -> Result<Restored, Error> {
        Ok(self.restore_range(text, 0, true, ValueEscape::None)?.0)
    }

    /// Restores a prefix of a text that more text may follow, for
    /// streaming: `text[..from]` was handled by an earlier call and is
    /// only read as context. Returns the restored form of `text[from..p]`
    /// and `p`, the end of what is settled: the rest could still become
    /// a tag or a surrogate this scope issued, so the caller keeps it,
    /// appends more text and calls again with `from = p`. With `at_end`
    /// the text is complete and `p` is `text.len()`.
    ///
    /// Only a suffix that could still become a pseudonym is held back
    /// (at most [`Vault::max_restore_hold`] bytes): a lone `[` or a
    /// capital letter is released as soon as the next character shows it
    /// is not the start of one. Concatenating the parts gives exactly
    /// [`Scope::restore`] of the whole text. Keep at least
    /// [`RESTORE_CONTEXT`] bytes before `from`.
    ///
    /// # Errors
    ///
    /// As [`Scope::restore`].
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let s = vault.scope("s");
    /// let tag = s.pseudonymise(Kind::Email, "jane@acme.io")?;
    /// let text = format!("Write to {}", &tag[..9]);
    /// let (part, p) = s.restore_settled(&text, 0, false)?;
    /// assert_eq!(part.text(), "Write to ");
    /// let text = format!("Write to {tag} today.");
    /// let (part, end) = s.restore_settled(&text, p, true)?;
    /// assert_eq!(part.text(), "jane@acme.io today.");
    /// assert_eq!(end, text.len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore_settled(
        &self,
        text: &str,
        from: usize,
        at_end: bool,
    ) -> Result<(Restored, usize), Error> {
        let mut from = from.min(text.len());
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        self.restore_range(text, from, at_end, ValueEscape::None)
    }

    /// [`Scope::restore_settled`] for text that is itself the inside of
    /// JSON (a tool call's `partial_json`, say): each restored value is
    /// written with [`ValueEscape`] applied, so the result stays valid
    /// JSON when the value holds a quote, a backslash or a control
    /// character.
    ///
    /// # Errors
    ///
    /// As [`Scope::restore`].
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, ValueEscape, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let s = vault.scope("s");
    /// let tag = s.pseudonymise(Kind::Person, "Jane \"JJ\" Doe")?;
    /// let json = format!("{{\"to\": \"{tag}\"}}");
    /// let (part, _) = s.restore_settled_escaped(&json, 0, true, ValueEscape::JsonString)?;
    /// assert_eq!(part.text(), r#"{"to": "Jane \"JJ\" Doe"}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore_settled_escaped(
        &self,
        text: &str,
        from: usize,
        at_end: bool,
        escape: ValueEscape,
    ) -> Result<(Restored, usize), Error> {
        let mut from = from.min(text.len());
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        self.restore_range(text, from, at_end, escape)
    }

    /// Restores `text[from..p]`, reading the whole of `text` for context,
    /// and returns it with `p`: the end of the text with `at_end`, else
    /// the earliest point from which the rest could still become a
    /// pseudonym (and never inside one found).
    fn restore_range(
        &self,
        text: &str,
        from: usize,
        at_end: bool,
        escape: ValueEscape,
    ) -> Result<(Restored, usize), Error> {
        let vault = self.vault;
        let mut inner = vault.lock();
        let all_tags = vault.matcher.find_all(text);
        let mut surrogates = inner.surrogate_matches(self.id, text);
        let to = if at_end {
            text.len()
        } else {
            let issued = inner.scopes[self.id as usize].tag_kinds;
            let tag = vault
                .matcher
                .open_point(text, from, |kind| issued & (1 << kind) != 0);
            let sur = inner.surrogate_open_point(self.id, text, from);
            let mut p = tag.min(sur);
            // A pseudonym found across `p` is held whole.
            for m in &all_tags {
                if m.start < p && p < m.end {
                    p = m.start;
                }
            }
            for &(s, e, _) in &surrogates {
                if s < p && p < e {
                    p = s;
                }
            }
            p.max(from)
        };
        let tags: Vec<_> = all_tags
            .into_iter()
            .filter(|m| m.start >= from && m.end <= to)
            .collect();
        // Resolve tags; catch up with other processes once if needed.
        let mut resolved: Vec<Option<u32>> = tags
            .iter()
            .map(|m| inner.lookup_tag(&vault.policy, self.id, m.label, m.code))
            .collect();
        if resolved.iter().any(Option::is_none) && inner.has_news()? {
            inner.catch_up(false)?;
            // Entry indices may have moved: look everything up again.
            surrogates = inner.surrogate_matches(self.id, text);
            resolved = tags
                .iter()
                .map(|m| {
                    inner.lookup_tag(&vault.policy, self.id, m.label, m.code)
                })
                .collect();
        }
        let mut spans: Vec<(usize, usize, Option<u32>)> = tags
            .iter()
            .zip(&resolved)
            .map(|(m, r)| (m.start, m.end, *r))
            .collect();
        // Surrogates: exact matches only, not overlapping a tag this
        // scope issued. A tag-shaped string the scope did not issue
        // ("Address - 9974" reads like a lenient ADDRESS tag) yields to
        // a surrogate it overlaps: the surrogate is certain, the tag is
        // only a look-alike.
        for (s, e, idx) in surrogates {
            if s >= from
                && e <= to
                && !spans
                    .iter()
                    .any(|&(a, b, r)| r.is_some() && s < b && a < e)
            {
                spans.retain(|&(a, b, _)| !(s < b && a < e));
                spans.push((s, e, Some(idx)));
            }
        }
        spans.sort_by_key(|s| s.0);
        let t = clock::now();
        let mut out = Zeroizing::new(String::with_capacity(to - from));
        let mut last = from;
        let mut restored = 0;
        let mut unresolved = Vec::new();
        for (s, e, idx) in spans {
            out.push_str(&text[last..s]);
            match idx {
                Some(i) => {
                    inner.touch(i, t);
                    escape.push(inner.entries[i as usize].value(), &mut out);
                    restored += 1;
                }
                None => {
                    out.push_str(&text[s..e]);
                    unresolved.push(text[s..e].to_string());
                }
            }
            last = e;
        }
        out.push_str(&text[last..to]);
        Ok((Restored { text: out, restored, unresolved }, to))
    }

    /// Right to erasure: removes the entry of a value (of any kind) or of
    /// a pseudonym from this scope and rewrites the storage without it.
    /// Afterwards, restoring that pseudonym fails (it is reported as
    /// unresolved). Returns how many entries were removed.
    ///
    /// # Errors
    ///
    /// When nothing in this scope matches (the message does not repeat
    /// the argument), or the storage cannot be rewritten.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// let s = vault.scope("s");
    /// let p = s.pseudonymise(Kind::Email, "jane@acme.io")?;
    /// assert_eq!(s.forget("jane@acme.io")?, 1);
    /// assert_eq!(s.restore(&p)?.unresolved(), [p.as_str()]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forget(&self, value_or_pseudonym: &str) -> Result<usize, Error> {
        let vault = self.vault;
        let mut inner = vault.lock();
        inner.catch_up(false)?;
        let mut doomed: Vec<u32> = Vec::new();
        for m in vault.matcher.find_all(value_or_pseudonym) {
            if m.start == 0 && m.end == value_or_pseudonym.len() {
                if let Some(i) =
                    inner.lookup_tag(&vault.policy, self.id, m.label, m.code)
                {
                    doomed.push(i);
                }
            }
        }
        if let Some(i) = inner.lookup_surrogate(self.id, value_or_pseudonym) {
            doomed.push(i);
        }
        for &kind in Kind::ALL {
            for op in [OP_TAG, OP_SURROGATE] {
                if let Some(i) =
                    inner.find_value(self.id, kind, op, value_or_pseudonym)
                {
                    doomed.push(i);
                }
            }
        }
        if doomed.is_empty() {
            return Err(Error::not_found(
                "no entry for that value or pseudonym",
            ));
        }
        doomed.sort_unstable();
        doomed.dedup();
        let scope = self.id;
        let keys: Vec<(u8, Box<str>)> = doomed
            .iter()
            .map(|&i| {
                let e = &inner.entries[i as usize];
                (e.kind, Box::<str>::from(e.pseudonym()))
            })
            .collect();
        inner.rewrite(
            |e| {
                !(e.scope == scope
                    && keys
                        .iter()
                        .any(|(k, p)| *k == e.kind && **p == *e.pseudonym()))
            },
            None,
        )
    }

    /// Removes the entries of this scope not used for `max_age_secs`.
    ///
    /// # Errors
    ///
    /// When the storage cannot be read or rewritten.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Key, Policy, Vault};
    ///
    /// let vault = Vault::in_memory(Key::generate()?, Policy::default())?;
    /// assert_eq!(vault.scope("s").purge_older_than(0)?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn purge_older_than(&self, max_age_secs: u64) -> Result<usize, Error> {
        let cutoff = clock::now().saturating_sub(max_age_secs);
        let scope = self.id;
        let mut inner = self.vault.lock();
        inner.rewrite(|e| e.scope != scope || e.last_used >= cutoff, None)
    }
}

impl Inner {
    fn open(storage: Box<dyn Storage>, key: Key) -> Result<Inner, Error> {
        let aead_key = key.derive(b"record aead", &[]);
        let aead = XChaCha20Poly1305::new_from_slice(&aead_key.0[..])
            .expect("32-byte key");
        let mut inner = Inner {
            storage,
            key,
            aead,
            header: Header {
                vault_id: [0; 16],
                generation: [0; 16],
                key_check: [0; 32],
                created: 0,
            },
            cursor: 0,
            nonce_prefix: random16()?,
            nonce_counter: Cell::new(0),
            scopes: Vec::new(),
            scope_ids: HashMap::new(),
            entries: Vec::new(),
            by_value: HashTable::new(),
            by_pseudonym: HashTable::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            scratch: Zeroizing::new(String::new()),
            dirty: Vec::new(),
        };
        match inner.storage.read_header() {
            Err(e) => {
                inner.storage.unlock();
                return Err(e);
            }
            Ok(None) => {
                let vault_id = random16()?;
                inner.header = inner.new_header(vault_id)?;
                let blob = postcard::to_allocvec(&inner.header)
                    .expect("header encodes");
                inner.cursor = match inner.storage.replace(&blob, &[]) {
                    Ok(c) => c,
                    Err(e) => {
                        inner.storage.unlock();
                        return Err(e);
                    }
                };
            }
            Ok(Some(_)) => {
                if let Err(e) = inner.reload() {
                    inner.storage.unlock();
                    return Err(e);
                }
            }
        }
        Ok(inner)
    }

    fn new_header(&self, vault_id: [u8; 16]) -> Result<Header, Error> {
        Ok(Header {
            vault_id,
            generation: random16()?,
            key_check: hmac(&self.key.derive(b"key check", &[]), &[&vault_id]),
            created: clock::precise(),
        })
    }

    fn loc(&self) -> PathBuf {
        self.storage.location().to_path_buf()
    }

    fn parse_header(&self, blob: &[u8]) -> Result<Header, Error> {
        let h: Header = postcard::from_bytes(blob).map_err(|_| {
            Error::corrupt(&self.loc(), 16, "undecodable header")
        })?;
        let check = hmac(&self.key.derive(b"key check", &[]), &[&h.vault_id]);
        if check != h.key_check {
            return Err(Error::wrong_key(&self.loc()));
        }
        Ok(h)
    }

    /// Reads everything from scratch (under a lock).
    fn reload(&mut self) -> Result<(), Error> {
        let blob = self.storage.read_header()?.ok_or_else(|| {
            Error::corrupt(&self.loc(), 0, "header vanished")
        })?;
        self.header = self.parse_header(&blob)?;
        self.entries.clear();
        self.by_value.clear();
        self.by_pseudonym.clear();
        self.dirty.clear();
        for s in &mut self.scopes {
            s.surrogates = None;
            s.n_surrogates = 0;
        }
        let start = self.storage.records_start()?;
        self.cursor = start;
        self.read_new()
    }

    fn read_new(&mut self) -> Result<(), Error> {
        let mut storage = std::mem::replace(
            &mut self.storage,
            Box::new(MemoryStorage::new()),
        );
        let loc = storage.location().to_path_buf();
        let aead = self.aead.clone();
        let opener = Opener {
            aead: &aead,
            aad: self.header.vault_id,
            loc: &loc,
            offset: self.cursor,
        };
        // From scratch (open, reload): gather the entries, then build the
        // hash tables once, presized and in parallel.
        let bulk = self.entries.is_empty();
        let mut touches = Vec::new();
        let res =
            record::read(&mut *storage, self.cursor, &opener, &mut |d| {
                if bulk {
                    self.gather(d, &mut touches)
                } else {
                    self.apply(d)
                }
            });
        if bulk {
            self.build_index();
            for (scope, p, t) in touches {
                self.touch_stored(scope, &p, t);
            }
        }
        self.storage = storage;
        self.cursor = res?;
        Ok(())
    }

    /// Appends a decoded chunk to the entries without indexing them
    /// (touches are kept for after [`Inner::build_index`]).
    fn gather(
        &mut self,
        d: Decoded,
        touches: &mut Vec<(u32, Box<str>, u64)>,
    ) -> Result<(), Error> {
        let ids: Vec<u32> =
            d.scopes.iter().map(|n| self.scope_id(n)).collect();
        self.entries.reserve(d.items.len());
        for item in d.items {
            match item {
                Item::Entry(mut e) => {
                    e.scope = ids[e.scope as usize];
                    self.entries.push(e);
                }
                Item::Touch { scope, items } => {
                    let scope = ids[scope as usize];
                    touches
                        .extend(items.into_iter().map(|(p, t)| (scope, p, t)));
                }
            }
        }
        d.error.map_or(Ok(()), Err)
    }

    /// Indexes entries gathered into empty tables: the two tables are
    /// sized once and filled in parallel. If any entry repeats an
    /// earlier one's value or pseudonym (a racing writer's duplicate),
    /// falls back to [`Inner::index`] one by one, which keeps the first.
    fn build_index(&mut self) {
        let n = self.entries.len();
        if n == 0 {
            return;
        }
        let Inner { entries, by_value, by_pseudonym, hasher, .. } = self;
        let (entries, hasher) = (&*entries, &*hasher);
        by_value.reserve(n, |&j| value_hash(hasher, &entries[j as usize]));
        by_pseudonym
            .reserve(n, |&j| pseudonym_hash(hasher, &entries[j as usize]));
        let mut fill_values = move || {
            fill_unique(by_value, entries, hasher, value_hash, same_value)
        };
        let mut fill_pseudonyms = move || {
            fill_unique(
                by_pseudonym,
                entries,
                hasher,
                pseudonym_hash,
                same_pseudonym,
            )
        };
        let unique = if n < 1 << 14 {
            fill_values() && fill_pseudonyms()
        } else {
            std::thread::scope(|s| {
                let other = std::thread::Builder::new()
                    .name("hush-vault-index".into())
                    .spawn_scoped(s, fill_values);
                match other {
                    Ok(h) => {
                        let p = fill_pseudonyms();
                        h.join().expect("vault index thread") && p
                    }
                    // No thread: the closure was dropped unrun; the
                    // caller sees `false` and indexes one by one.
                    Err(_) => false,
                }
            })
        };
        if unique {
            for e in &self.entries {
                let st = &mut self.scopes[e.scope as usize];
                if e.op == OP_SURROGATE {
                    st.surrogates = None;
                    st.n_surrogates += 1;
                } else {
                    st.tag_kinds |= 1 << e.kind;
                }
            }
            return;
        }
        self.by_value.clear();
        self.by_pseudonym.clear();
        for e in std::mem::take(&mut self.entries) {
            self.index(e);
        }
    }

    /// Applies a stored last-used time to the entry with pseudonym `p`.
    fn touch_stored(&mut self, scope: u32, p: &str, t: u64) {
        let found = self
            .lookup_surrogate(scope, p)
            .or_else(|| self.find_tag_by_pseudonym(scope, p));
        if let Some(i) = found {
            let e = &mut self.entries[i as usize];
            e.last_used = e.last_used.max(t);
            e.stored_used = e.stored_used.max(t);
        }
    }

    /// Whether other processes changed the storage since we last looked.
    fn has_news(&mut self) -> Result<bool, Error> {
        // Cheap for an in-memory store; a file store needs a lock and a
        // look at the header, which `catch_up` does anyway.
        Ok(true)
    }

    /// Takes the lock, reads what others appended (or everything, after a
    /// rewrite), and keeps the lock when `keep_exclusive`.
    fn catch_up(&mut self, keep_exclusive: bool) -> Result<(), Error> {
        self.storage.lock(keep_exclusive)?;
        let r = self.catch_up_locked();
        if r.is_err() || !keep_exclusive {
            self.storage.unlock();
        }
        r
    }

    fn catch_up_locked(&mut self) -> Result<(), Error> {
        let blob = self.storage.read_header()?.ok_or_else(|| {
            Error::corrupt(&self.loc(), 0, "header vanished")
        })?;
        let h = self.parse_header(&blob)?;
        if h.generation != self.header.generation {
            return self.reload();
        }
        self.read_new()
    }

    fn nonce(&self) -> [u8; 24] {
        let mut n = [0u8; 24];
        let c = self.nonce_counter.get();
        n[..16].copy_from_slice(&self.nonce_prefix);
        n[16..].copy_from_slice(&c.to_le_bytes());
        self.nonce_counter.set(c + 1);
        n
    }

    fn seal(&self, rec: &Record<'_>) -> Vec<u8> {
        record::seal(&self.aead, &self.header.vault_id, self.nonce(), rec)
    }

    /// Seals entries as batch records of at most about
    /// [`record::BATCH_BYTES`] of plaintext each.
    fn seal_entries<'e>(
        &self,
        entries: impl IntoIterator<Item = &'e Entry>,
    ) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut scopes: Vec<&str> = Vec::new();
        let mut scope_ids: Vec<u32> = Vec::new();
        let mut kinds: Vec<&str> = Vec::new();
        let mut batch: Vec<BatchEntry<'_>> = Vec::new();
        let mut bytes = 0;
        for e in entries {
            let scope = match scope_ids.iter().position(|&s| s == e.scope) {
                Some(i) => i,
                None => {
                    scope_ids.push(e.scope);
                    scopes.push(&self.scopes[e.scope as usize].name);
                    scope_ids.len() - 1
                }
            };
            let name = Kind::ALL[e.kind as usize].as_str();
            let kind = match kinds.iter().position(|&k| k == name) {
                Some(i) => i,
                None => {
                    kinds.push(name);
                    kinds.len() - 1
                }
            };
            bytes += e.text.len() + 24;
            batch.push(BatchEntry {
                scope: scope as u32,
                kind: kind as u32,
                op: e.op,
                pseudonym: e.pseudonym(),
                value: e.value(),
                norm: e.norm_only(),
                created: e.created,
                used: e.last_used.wrapping_sub(e.created) as i64,
            });
            if bytes >= record::BATCH_BYTES {
                let rec = Record::Batch {
                    scopes: std::mem::take(&mut scopes),
                    kinds: std::mem::take(&mut kinds),
                    entries: std::mem::take(&mut batch),
                };
                out.push(self.seal(&rec));
                scope_ids.clear();
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            out.push(self.seal(&Record::Batch {
                scopes,
                kinds,
                entries: batch,
            }));
        }
        out
    }

    fn scope_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.scope_ids.get(name) {
            return id;
        }
        let id = self.scopes.len() as u32;
        let n = name.as_bytes();
        self.scopes.push(ScopeState {
            name: name.to_string(),
            code_key: self.key.derive(b"scope tag code", n),
            surrogate_key: self.key.derive(b"scope surrogate", n),
            hash_key: self.key.derive(b"scope hash", n),
            surrogates: None,
            n_surrogates: 0,
            tag_kinds: 0,
        });
        self.scope_ids.insert(name.to_string(), id);
        id
    }

    fn hash_value(&self, scope: u32, kind: u8, op: u8, norm: &str) -> u64 {
        hash_value(&self.hasher, scope, kind, op, norm)
    }

    fn hash_tag(&self, scope: u32, kind: u8, code: &str) -> u64 {
        hash_tag(&self.hasher, scope, kind, code)
    }

    fn hash_surrogate(&self, scope: u32, text: &str) -> u64 {
        hash_surrogate(&self.hasher, scope, text)
    }

    fn pseudonym_hash(&self, e: &Entry) -> u64 {
        pseudonym_hash(&self.hasher, e)
    }

    /// The entry of a normalised value, given its hash.
    fn find_norm_hashed(
        &self,
        h: u64,
        scope: u32,
        kind: u8,
        op: u8,
        norm: &str,
    ) -> Option<u32> {
        let entries = &self.entries;
        self.by_value
            .find(h, |&i| {
                let e = &entries[i as usize];
                e.scope == scope
                    && e.kind == kind
                    && e.op == op
                    && e.norm() == norm
            })
            .copied()
    }

    /// The entry of a normalised value.
    fn find_norm(
        &self,
        scope: u32,
        kind: u8,
        op: u8,
        norm: &str,
    ) -> Option<u32> {
        let h = self.hash_value(scope, kind, op, norm);
        self.find_norm_hashed(h, scope, kind, op, norm)
    }

    fn find_value(
        &mut self,
        scope: u32,
        kind: Kind,
        op: u8,
        value: &str,
    ) -> Option<u32> {
        let mut scratch = std::mem::take(&mut *self.scratch);
        let norm = normal_form(kind, value, &mut scratch);
        let r = self.find_norm(scope, kind_index(kind) as u8, op, norm);
        *self.scratch = scratch;
        r
    }

    fn lookup_value(
        &mut self,
        scope: u32,
        kind: Kind,
        op: u8,
        value: &str,
        t: u64,
    ) -> Option<String> {
        let i = self.find_value(scope, kind, op, value)?;
        self.touch(i, t);
        Some(String::from(self.entries[i as usize].pseudonym()))
    }

    fn lookup_tag(
        &self,
        policy: &Policy,
        scope: u32,
        label: &str,
        code: &str,
    ) -> Option<u32> {
        let kind = kind_index(policy.kind_of_label(label)?) as u8;
        self.lookup_tag_kind(scope, kind, code)
    }

    fn lookup_surrogate(&self, scope: u32, text: &str) -> Option<u32> {
        let h = self.hash_surrogate(scope, text);
        self.find_surrogate_hashed(h, scope, text)
    }

    fn find_surrogate_hashed(
        &self,
        h: u64,
        scope: u32,
        text: &str,
    ) -> Option<u32> {
        let entries = &self.entries;
        self.by_pseudonym
            .find(h, |&i| {
                let e = &entries[i as usize];
                e.scope == scope
                    && e.op == OP_SURROGATE
                    && e.pseudonym() == text
            })
            .copied()
    }

    fn touch(&mut self, i: u32, t: u64) {
        let e = &mut self.entries[i as usize];
        if t > e.last_used {
            e.last_used = t;
            if !e.dirty && t >= e.stored_used + TOUCH_GRANULARITY {
                e.dirty = true;
                self.dirty.push(i);
            }
        }
    }

    fn irreversible(
        &mut self,
        policy: &Policy,
        scope: u32,
        kind: Kind,
        op: Operator,
        value: &str,
    ) -> String {
        match op {
            Operator::Keep => value.to_string(),
            Operator::Redact => String::new(),
            Operator::Mask { keep } => {
                let total =
                    value.chars().filter(|c| c.is_alphanumeric()).count();
                let mut seen = 0;
                value
                    .chars()
                    .map(|c| {
                        if c.is_alphanumeric() {
                            seen += 1;
                            if seen + keep > total {
                                c
                            } else {
                                '*'
                            }
                        } else {
                            c
                        }
                    })
                    .collect()
            }
            _ => {
                let mut norm = std::mem::take(&mut *self.scratch);
                normalise(kind, value, &mut norm);
                let k = [kind_index(kind) as u8];
                let mac = hmac(
                    &self.scopes[scope as usize].hash_key,
                    &[&k, norm.as_bytes()],
                );
                *self.scratch = norm;
                let label = format!("{}-H", policy.label(kind));
                policy.template().render(&label, &hex::encode(&mac[..8]))
            }
        }
    }

    fn insert_missing(
        &mut self,
        policy: &Policy,
        scope: u32,
        items: &[(Kind, &str)],
        missing: &[usize],
        out: &mut [String],
        t: u64,
    ) -> Result<(), Error> {
        self.catch_up(true)?;
        let r = self.upgrade_locked().and_then(|()| {
            self.insert_locked(policy, scope, items, missing, out, t)
        });
        self.storage.unlock();
        r
    }

    /// Rewrites a store of an older format version in the current one
    /// before anything is appended to it (under the exclusive lock).
    fn upgrade_locked(&mut self) -> Result<(), Error> {
        if self.storage.format_version() < FORMAT_VERSION {
            self.rewrite_locked(|_| true, None)?;
        }
        Ok(())
    }

    fn insert_locked(
        &mut self,
        policy: &Policy,
        scope: u32,
        items: &[(Kind, &str)],
        missing: &[usize],
        out: &mut [String],
        t: u64,
    ) -> Result<(), Error> {
        let first_new = self.entries.len();
        for &i in missing {
            let (kind, value) = items[i];
            let op = if policy.operator(kind) == Operator::Tag {
                OP_TAG
            } else {
                OP_SURROGATE
            };
            if let Some(p) = self.lookup_value(scope, kind, op, value, t) {
                out[i] = p;
                continue;
            }
            let mut norm = Zeroizing::new(String::new());
            normalise(kind, value, &mut norm);
            let k = kind_index(kind) as u8;
            let pseudonym =
                self.derive_pseudonym(policy, scope, kind, op, value, &norm);
            let entry = Entry::new(
                scope,
                k,
                op,
                &pseudonym,
                value,
                (*norm != value).then_some(norm.as_str()),
                t,
            );
            self.index(entry);
            out[i] = pseudonym;
        }
        if self.entries.len() == first_new {
            return Ok(());
        }
        let records = self.seal_entries(&self.entries[first_new..]);
        match self.storage.append(self.cursor, &records) {
            Ok(end) => {
                self.cursor = end;
                Ok(())
            }
            Err(e) => {
                // Not durable: forget them in memory too.
                while self.entries.len() > first_new {
                    let i = (self.entries.len() - 1) as u32;
                    self.unindex(i);
                    self.entries.pop();
                }
                Err(e)
            }
        }
    }

    fn derive_pseudonym(
        &self,
        policy: &Policy,
        scope: u32,
        kind: Kind,
        op: u8,
        value: &str,
        norm: &str,
    ) -> String {
        let k = [kind_index(kind) as u8];
        let st = &self.scopes[scope as usize];
        for attempt in 0u8.. {
            let a = [attempt];
            if op == OP_TAG {
                let mac = hmac(&st.code_key, &[&k, norm.as_bytes(), &[0], &a]);
                let digits = (policy.code_digits + attempt as usize).min(19);
                let n = u64::from_le_bytes(mac[..8].try_into().unwrap())
                    % 10u64.pow(digits as u32);
                let code = format!("{n:0digits$}");
                if self.lookup_tag_kind(scope, k[0], &code).is_none() {
                    return policy
                        .template()
                        .render(policy.label(kind), &code);
                }
            } else {
                let seed =
                    hmac(&st.surrogate_key, &[&k, norm.as_bytes(), &[0], &a]);
                let s = surrogate(kind, value, seed);
                let mut sn = String::new();
                normalise(kind, &s, &mut sn);
                let real = self.find_norm(scope, k[0], OP_TAG, &sn).is_some()
                    || self
                        .find_norm(scope, k[0], OP_SURROGATE, &sn)
                        .is_some()
                    || sn == norm;
                if !real && self.lookup_surrogate(scope, &s).is_none() {
                    return s;
                }
                if attempt > 50 {
                    // A format too small to avoid collisions: fall back
                    // to a tag-like surrogate that cannot collide.
                    let mac = hmac(
                        &st.surrogate_key,
                        &[&k, norm.as_bytes(), &[1], &a],
                    );
                    let s = format!(
                        "{}-{}",
                        policy.label(kind),
                        hex::encode(&mac[..6])
                    );
                    if self.lookup_surrogate(scope, &s).is_none() {
                        return s;
                    }
                }
            }
        }
        unreachable!("256 attempts")
    }

    fn lookup_tag_kind(
        &self,
        scope: u32,
        kind: u8,
        code: &str,
    ) -> Option<u32> {
        let h = self.hash_tag(scope, kind, code);
        self.find_tag_hashed(h, scope, kind, code)
    }

    fn find_tag_hashed(
        &self,
        h: u64,
        scope: u32,
        kind: u8,
        code: &str,
    ) -> Option<u32> {
        let entries = &self.entries;
        self.by_pseudonym
            .find(h, |&i| {
                let e = &entries[i as usize];
                e.scope == scope
                    && e.op == OP_TAG
                    && e.kind == kind
                    && e.code() == code
            })
            .copied()
    }

    /// Adds an entry to memory; a duplicate (same value, or a pseudonym
    /// already taken) from a racing writer is ignored, first wins. Each
    /// key is hashed once.
    fn index(&mut self, e: Entry) -> bool {
        let vh = self.hash_value(e.scope, e.kind, e.op, e.norm());
        let ph = self.pseudonym_hash(&e);
        let dup = self
            .find_norm_hashed(vh, e.scope, e.kind, e.op, e.norm())
            .or_else(|| {
                if e.op == OP_TAG {
                    self.find_tag_hashed(ph, e.scope, e.kind, e.code())
                } else {
                    self.find_surrogate_hashed(ph, e.scope, e.pseudonym())
                }
            });
        if let Some(i) = dup {
            let old = &mut self.entries[i as usize];
            old.last_used = old.last_used.max(e.last_used);
            old.stored_used = old.stored_used.max(e.last_used);
            return false;
        }
        if e.op == OP_SURROGATE {
            let st = &mut self.scopes[e.scope as usize];
            st.surrogates = None;
            st.n_surrogates += 1;
        }
        if e.op == OP_TAG {
            self.scopes[e.scope as usize].tag_kinds |= 1 << e.kind;
        }
        let i = self.entries.len() as u32;
        self.entries.push(e);
        let Inner { by_value, by_pseudonym, entries, hasher, .. } = self;
        by_value.insert_unique(vh, i, |&j| {
            value_hash(hasher, &entries[j as usize])
        });
        by_pseudonym.insert_unique(ph, i, |&j| {
            pseudonym_hash(hasher, &entries[j as usize])
        });
        true
    }

    fn unindex(&mut self, i: u32) {
        let e = &self.entries[i as usize];
        let vh = self.hash_value(e.scope, e.kind, e.op, e.norm());
        let ph = self.pseudonym_hash(e);
        if let Ok(o) = self.by_value.find_entry(vh, |&j| j == i) {
            o.remove();
        }
        if let Ok(o) = self.by_pseudonym.find_entry(ph, |&j| j == i) {
            o.remove();
        }
    }

    /// Indexes one decoded chunk of records, in order.
    fn apply(&mut self, d: Decoded) -> Result<(), Error> {
        let ids: Vec<u32> =
            d.scopes.iter().map(|n| self.scope_id(n)).collect();
        for item in d.items {
            match item {
                Item::Entry(mut e) => {
                    e.scope = ids[e.scope as usize];
                    self.index(e);
                }
                Item::Touch { scope, items } => {
                    let scope = ids[scope as usize];
                    for (p, t) in items {
                        self.touch_stored(scope, &p, t);
                    }
                }
            }
        }
        d.error.map_or(Ok(()), Err)
    }

    /// The first tag entry of a scope with exactly this pseudonym, found
    /// by its code under each kind the scope issued tags for.
    fn find_tag_by_pseudonym(&self, scope: u32, p: &str) -> Option<u32> {
        let code = code_of(p);
        let kinds = self.scopes[scope as usize].tag_kinds;
        let entries = &self.entries;
        (0..64u8)
            .filter(|k| kinds & (1 << k) != 0)
            .filter_map(|k| {
                let h = self.hash_tag(scope, k, code);
                self.by_pseudonym
                    .find(h, |&i| {
                        let e = &entries[i as usize];
                        e.scope == scope
                            && e.op == OP_TAG
                            && e.kind == k
                            && e.pseudonym() == p
                    })
                    .copied()
            })
            .min()
    }

    fn flush_touches(&mut self) -> Result<(), Error> {
        if self.dirty.is_empty() {
            return Ok(());
        }
        let dirty = std::mem::take(&mut self.dirty);
        let mut per_scope: HashMap<u32, Vec<u32>> = HashMap::new();
        for &i in &dirty {
            let e = &mut self.entries[i as usize];
            e.dirty = false;
            e.stored_used = e.last_used;
            per_scope.entry(e.scope).or_default().push(i);
        }
        let recs: Vec<Vec<u8>> = per_scope
            .into_iter()
            .map(|(s, ids)| {
                let items = ids
                    .iter()
                    .map(|&i| {
                        let e = &self.entries[i as usize];
                        (e.pseudonym(), e.last_used)
                    })
                    .collect();
                let scope = self.scopes[s as usize].name.as_str();
                self.seal(&Record::Touch { scope, items })
            })
            .collect();
        self.storage.lock(true)?;
        let r = self.catch_up_locked().and_then(|()| {
            if self.storage.format_version() < FORMAT_VERSION {
                // The rewrite stores every last-used time.
                return self.rewrite_locked(|_| true, None).map(|_| ());
            }
            self.cursor = self.storage.append(self.cursor, &recs)?;
            Ok(())
        });
        self.storage.unlock();
        r
    }

    /// The surrogate automaton of a scope, built on first use after a
    /// change; `None` when the scope has no surrogates.
    fn surrogates(&mut self, scope: u32) -> Option<&Surrogates> {
        if self.scopes[scope as usize].n_surrogates == 0 {
            return None;
        }
        if self.scopes[scope as usize].surrogates.is_none() {
            let ids: Vec<u32> = (0..self.entries.len() as u32)
                .filter(|&i| {
                    let e = &self.entries[i as usize];
                    e.scope == scope && e.op == OP_SURROGATE
                })
                .collect();
            if ids.is_empty() {
                return None;
            }
            let pats: Vec<&str> = ids
                .iter()
                .map(|&i| self.entries[i as usize].pseudonym())
                .collect();
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&pats)
                .expect("surrogate automaton");
            let mut sorted: Vec<Box<str>> =
                pats.iter().map(|p| Box::from(*p)).collect();
            sorted.sort_unstable();
            let longest = sorted.iter().map(|s| s.len()).max().unwrap_or(0);
            self.scopes[scope as usize].surrogates =
                Some(Surrogates { ac, ids, sorted, longest });
        }
        self.scopes[scope as usize].surrogates.as_ref()
    }

    fn surrogate_matches(
        &mut self,
        scope: u32,
        text: &str,
    ) -> Vec<(usize, usize, u32)> {
        let Some(sur) = self.surrogates(scope) else {
            return Vec::new();
        };
        let b = text.as_bytes();
        sur.ac
            .find_iter(text)
            .filter(|m| {
                let before = m.start() == 0
                    || !b[m.start() - 1].is_ascii_alphanumeric();
                let after =
                    m.end() == b.len() || !b[m.end()].is_ascii_alphanumeric();
                before && after
            })
            .map(|m| (m.start(), m.end(), sur.ids[m.pattern().as_usize()]))
            .collect()
    }

    /// The earliest offset in `from..` from which the rest of `text`
    /// could still become a surrogate of `scope` (at a word start);
    /// `text.len()` when none.
    fn surrogate_open_point(
        &mut self,
        scope: u32,
        text: &str,
        from: usize,
    ) -> usize {
        let Some(sur) = self.surrogates(scope) else {
            return text.len();
        };
        let b = text.as_bytes();
        let lo = from.max(b.len().saturating_sub(sur.longest));
        for i in lo..b.len() {
            if !text.is_char_boundary(i)
                || (i > 0 && b[i - 1].is_ascii_alphanumeric())
            {
                continue;
            }
            let tail = &text[i..];
            let at = sur.sorted.partition_point(|s| &**s < tail);
            if sur.sorted.get(at).is_some_and(|s| s.starts_with(tail)) {
                return i;
            }
        }
        b.len()
    }

    /// Rewrites the storage with the entries `keep` accepts, under a new
    /// generation (and key); returns how many entries were dropped.
    fn rewrite(
        &mut self,
        keep: impl Fn(&Entry) -> bool,
        new_key: Option<Key>,
    ) -> Result<usize, Error> {
        self.storage.lock(true)?;
        let r = self.rewrite_locked(keep, new_key);
        self.storage.unlock();
        r
    }

    fn rewrite_locked(
        &mut self,
        keep: impl Fn(&Entry) -> bool,
        new_key: Option<Key>,
    ) -> Result<usize, Error> {
        self.catch_up_locked()?;
        let before = self.entries.len();
        let old = std::mem::take(&mut self.entries);
        let (kept, dropped): (Vec<Entry>, Vec<Entry>) =
            old.into_iter().partition(|e| keep(e));
        drop(dropped);
        if let Some(k) = new_key {
            let aead_key = k.derive(b"record aead", &[]);
            self.aead = XChaCha20Poly1305::new_from_slice(&aead_key.0[..])
                .expect("32-byte key");
            self.key = k;
            for s in &mut self.scopes {
                let n = s.name.as_bytes();
                s.code_key = self.key.derive(b"scope tag code", n);
                s.surrogate_key = self.key.derive(b"scope surrogate", n);
                s.hash_key = self.key.derive(b"scope hash", n);
            }
        }
        self.header = self.new_header(self.header.vault_id)?;
        let blob =
            postcard::to_allocvec(&self.header).expect("header encodes");
        let records = self.seal_entries(&kept);
        self.cursor = self.storage.replace(&blob, &records)?;
        self.by_value.clear();
        self.by_pseudonym.clear();
        self.dirty.clear();
        for s in &mut self.scopes {
            s.surrogates = None;
            s.n_surrogates = 0;
        }
        let n = kept.len();
        for mut e in kept {
            e.dirty = false;
            e.stored_used = e.last_used;
            self.index(e);
        }
        Ok(before - n)
    }
}

/// How [`Scope::restore_settled_escaped`] writes a restored value.
///
/// # Example
///
/// ```
/// use hush_vault::ValueEscape;
///
/// let mut out = String::new();
/// ValueEscape::JsonString.push("a\"b\n", &mut out);
/// assert_eq!(out, r#"a\"b\n"#);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueEscape {
    /// As it is.
    #[default]
    None,
    /// Escaped for the inside of a JSON string (RFC 8259: quote,
    /// backslash and control characters).
    JsonString,
}

impl ValueEscape {
    /// Appends `value`, escaped, to `out`.
    pub fn push(self, value: &str, out: &mut String) {
        match self {
            ValueEscape::None => out.push_str(value),
            ValueEscape::JsonString => {
                for c in value.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if (c as u32) < 0x20 => {
                            use std::fmt::Write;
                            let _ = write!(out, "\\u{:04x}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
            }
        }
    }
}
