//! What the vault puts inside sealed storage records, and the reader
//! that opens them, in parallel for large stores.
//!
//! # Record payloads
//!
//! Each storage record is a 24-byte XChaCha20-Poly1305 nonce followed by
//! the ciphertext (with its 16-byte tag) of one postcard-encoded
//! [`Record`], with the vault id as associated data. A record is one of:
//!
//! - `Entry` (variant 0, format version 1): one mapping, with its scope
//!   and kind names. Read, no longer written.
//! - `Touch` (variant 1, both versions): newer last-used times of
//!   entries of one scope, named by pseudonym.
//! - `Batch` (variant 2, format version 2): many mappings in one record,
//!   with scope and kind names stored once in tables and the last-used
//!   time as a difference from the creation time. New mappings of one
//!   call and rewrites are written as batches of up to [`BATCH_BYTES`]
//!   of plaintext, so a large vault pays one AEAD call, one nonce, one
//!   tag and one frame per few hundred entries instead of per entry.
//!
//! # Reading in parallel
//!
//! Records are gathered into chunks of about [`CHUNK_BYTES`]; once more
//! than one chunk comes, worker threads (one per core, at most
//! [`MAX_WORKERS`]) decrypt and decode chunks while the calling thread
//! reads the store and indexes decoded chunks strictly in file order, so
//! the result (and the first error reported) is the same as a sequential
//! read. A catch-up that finds only a few new records starts no thread.

use std::path::Path;
use std::sync::mpsc;
use std::thread;

use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use hush_detect::Kind;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::policy::kind_index;
use crate::storage::Storage;
use crate::vault::Entry;

/// Plaintext bytes after which a batch record is closed.
pub(crate) const BATCH_BYTES: usize = 64 << 10;
/// Sealed bytes handed to a worker at a time.
const CHUNK_BYTES: usize = 256 << 10;
/// The most decoding threads one read starts.
const MAX_WORKERS: usize = 4;
/// Chunks in flight per worker.
const DEPTH: u64 = 2;

/// The plaintext of a sealed record (borrowed: it is both written from
/// the vault's entries and read from a decrypted buffer without copies).
#[derive(Serialize, Deserialize)]
pub(crate) enum Record<'a> {
    /// One mapping (format version 1).
    Entry {
        scope: &'a str,
        kind: &'a str,
        op: u8,
        pseudonym: &'a str,
        value: &'a str,
        #[serde(borrow)]
        norm: Option<&'a str>,
        created: u64,
        last_used: u64,
    },
    /// Newer last-used times, by pseudonym.
    Touch {
        scope: &'a str,
        #[serde(borrow)]
        items: Vec<(&'a str, u64)>,
    },
    /// Many mappings (format version 2).
    Batch {
        #[serde(borrow)]
        scopes: Vec<&'a str>,
        #[serde(borrow)]
        kinds: Vec<&'a str>,
        #[serde(borrow)]
        entries: Vec<BatchEntry<'a>>,
    },
}

/// One mapping of a [`Record::Batch`].
#[derive(Serialize, Deserialize)]
pub(crate) struct BatchEntry<'a> {
    /// Index into the record's scope table.
    pub scope: u32,
    /// Index into the record's kind table.
    pub kind: u32,
    pub op: u8,
    pub pseudonym: &'a str,
    pub value: &'a str,
    #[serde(borrow)]
    pub norm: Option<&'a str>,
    pub created: u64,
    /// `last_used - created` (wrapping, so any pair round-trips).
    pub used: i64,
}

/// Seals one record: nonce, then ciphertext and tag.
pub(crate) fn seal(
    aead: &XChaCha20Poly1305,
    aad: &[u8],
    nonce: [u8; 24],
    rec: &Record<'_>,
) -> Vec<u8> {
    let plain =
        Zeroizing::new(postcard::to_allocvec(rec).expect("record encodes"));
    let mut out = Vec::with_capacity(24 + plain.len() + 16);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&plain);
    let tag = aead
        .encrypt_in_place_detached(
            XNonce::from_slice(&nonce),
            aad,
            &mut out[24..],
        )
        .expect("XChaCha20-Poly1305 encryption does not fail");
    out.extend_from_slice(&tag);
    out
}

/// What one chunk of records decoded to, for the indexing thread.
pub(crate) struct Decoded {
    /// Scope names, indexed by the `scope` of the items.
    pub scopes: Vec<String>,
    pub items: Vec<Item>,
    /// The error that stopped decoding, after `items`.
    pub error: Option<Error>,
}

/// A decoded record, or part of one.
pub(crate) enum Item {
    /// A mapping; its `scope` indexes [`Decoded::scopes`].
    Entry(Entry),
    /// Last-used times of entries of a scope (an index into
    /// [`Decoded::scopes`]), by pseudonym.
    Touch { scope: u32, items: Vec<(Box<str>, u64)> },
}

/// What decoding needs: the record key and where errors point.
pub(crate) struct Opener<'a> {
    pub aead: &'a XChaCha20Poly1305,
    pub aad: [u8; 16],
    pub loc: &'a Path,
    /// The offset named in corruption errors (where the read started).
    pub offset: u64,
}

/// Sealed records gathered for one decoding job.
#[derive(Default)]
struct Chunk {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Opener<'_> {
    fn corrupt(&self, what: &'static str) -> Error {
        Error::corrupt(self.loc, self.offset, what)
    }

    fn decode(&self, chunk: &Chunk) -> Decoded {
        let mut d =
            Decoded { scopes: Vec::new(), items: Vec::new(), error: None };
        let mut names = Interner::default();
        let mut plain = Zeroizing::new(Vec::new());
        let mut start = 0;
        for &end in &chunk.ends {
            let sealed = &chunk.data[start..end];
            start = end;
            if let Err(e) =
                self.decode_one(sealed, &mut plain, &mut names, &mut d.items)
            {
                d.error = Some(e);
                break;
            }
        }
        d.scopes = names.names;
        d
    }

    fn decode_one(
        &self,
        sealed: &[u8],
        plain: &mut Vec<u8>,
        names: &mut Interner,
        items: &mut Vec<Item>,
    ) -> Result<(), Error> {
        if sealed.len() < 24 + 16 {
            return Err(self.corrupt("record too short"));
        }
        let (nonce, rest) = sealed.split_at(24);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        plain.clear();
        plain.extend_from_slice(ct);
        self.aead
            .decrypt_in_place_detached(
                XNonce::from_slice(nonce),
                &self.aad,
                plain,
                Tag::from_slice(tag),
            )
            .map_err(|_| self.corrupt("record fails authentication"))?;
        let rec: Record<'_> = postcard::from_bytes(plain)
            .map_err(|_| self.corrupt("undecodable record"))?;
        match rec {
            Record::Entry {
                scope,
                kind,
                op,
                pseudonym,
                value,
                norm,
                created,
                last_used,
            } => {
                let Ok(kind) = kind.parse::<Kind>() else { return Ok(()) };
                items.push(Item::Entry(
                    Entry::new(
                        names.id(scope),
                        kind_index(kind) as u8,
                        op,
                        pseudonym,
                        value,
                        norm,
                        created,
                    )
                    .used_at(last_used),
                ));
            }
            Record::Touch { scope, items: touched } => {
                items.push(Item::Touch {
                    scope: names.id(scope),
                    items: touched
                        .into_iter()
                        .map(|(p, t)| (p.into(), t))
                        .collect(),
                });
            }
            Record::Batch { scopes, kinds, entries } => {
                let scopes: Vec<u32> =
                    scopes.iter().map(|s| names.id(s)).collect();
                let kinds: Vec<Option<u8>> = kinds
                    .iter()
                    .map(|k| {
                        k.parse::<Kind>().ok().map(|k| kind_index(k) as u8)
                    })
                    .collect();
                items.reserve(entries.len());
                for b in entries {
                    let (Some(&scope), Some(&kind)) = (
                        scopes.get(b.scope as usize),
                        kinds.get(b.kind as usize),
                    ) else {
                        return Err(self.corrupt("undecodable record"));
                    };
                    let last_used = b.created.wrapping_add(b.used as u64);
                    let Some(kind) = kind else { continue };
                    items.push(Item::Entry(
                        Entry::new(
                            scope,
                            kind,
                            b.op,
                            b.pseudonym,
                            b.value,
                            b.norm,
                            b.created,
                        )
                        .used_at(last_used),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Scope names of one chunk.
#[derive(Default)]
struct Interner {
    names: Vec<String>,
    last: Option<u32>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(i) = self.last {
            if self.names[i as usize] == name {
                return i;
            }
        }
        let i = match self.names.iter().position(|n| n == name) {
            Some(i) => i as u32,
            None => {
                self.names.push(name.to_string());
                (self.names.len() - 1) as u32
            }
        };
        self.last = Some(i);
        i
    }
}

/// Reads every record from `from` on, decoding in parallel when there
/// is more than a chunk, and hands the decoded chunks to `apply` in file
/// order; returns the position after the last record read.
///
/// # Errors
///
/// The first error in file order: a storage error, a record that fails
/// authentication or decoding, or an error from `apply`.
pub(crate) fn read(
    storage: &mut dyn Storage,
    from: u64,
    opener: &Opener<'_>,
    apply: &mut dyn FnMut(Decoded) -> Result<(), Error>,
) -> Result<u64, Error> {
    let workers = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS);
    thread::scope(|s| {
        let mut pipe = Pipeline {
            scope: s,
            opener,
            max_workers: workers,
            workers: Vec::new(),
            chunk: Chunk::default(),
            sent: 0,
            applied: 0,
            failed: false,
        };
        let r =
            storage.read_records(from, &mut |sealed| pipe.push(sealed, apply));
        match r {
            Err(e) if pipe.failed => Err(e),
            r => {
                pipe.finish(apply)?;
                r
            }
        }
    })
}

struct Worker {
    jobs: mpsc::Sender<Chunk>,
    done: mpsc::Receiver<Decoded>,
}

struct Pipeline<'scope, 'env, 'o> {
    scope: &'scope thread::Scope<'scope, 'env>,
    opener: &'env Opener<'o>,
    max_workers: usize,
    workers: Vec<Worker>,
    chunk: Chunk,
    sent: u64,
    applied: u64,
    /// `apply` failed: stop without finishing.
    failed: bool,
}

impl<'scope, 'env, 'o> Pipeline<'scope, 'env, 'o> {
    fn push(
        &mut self,
        sealed: &[u8],
        apply: &mut dyn FnMut(Decoded) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.chunk.data.extend_from_slice(sealed);
        self.chunk.ends.push(self.chunk.data.len());
        if self.chunk.data.len() >= CHUNK_BYTES {
            let chunk = std::mem::take(&mut self.chunk);
            let r = self.dispatch(chunk, apply);
            self.failed = r.is_err();
            r?;
        }
        Ok(())
    }

    fn dispatch(
        &mut self,
        chunk: Chunk,
        apply: &mut dyn FnMut(Decoded) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.workers.is_empty() && self.max_workers > 1 {
            for _ in 0..self.max_workers {
                self.spawn();
            }
        }
        if self.workers.is_empty() {
            return apply(self.opener.decode(&chunk));
        }
        let n = self.workers.len() as u64;
        while self.sent - self.applied >= n * DEPTH {
            self.apply_next(apply)?;
        }
        let w = &self.workers[(self.sent % n) as usize];
        w.jobs.send(chunk).expect("vault reader thread");
        self.sent += 1;
        // Index whatever is ready, in order.
        while self.applied < self.sent {
            let w = &self.workers[(self.applied % n) as usize];
            match w.done.try_recv() {
                Ok(d) => {
                    self.applied += 1;
                    apply(d)?;
                }
                Err(_) => break,
            }
        }
        Ok(())
    }

    fn spawn(&mut self) {
        let (jobs, job_rx) = mpsc::channel::<Chunk>();
        let (done_tx, done) = mpsc::channel();
        let opener = self.opener;
        let spawned = thread::Builder::new()
            .name("hush-vault-read".into())
            .spawn_scoped(self.scope, move || {
                for chunk in job_rx {
                    if done_tx.send(opener.decode(&chunk)).is_err() {
                        break;
                    }
                }
            });
        if spawned.is_ok() {
            self.workers.push(Worker { jobs, done });
        }
    }

    fn apply_next(
        &mut self,
        apply: &mut dyn FnMut(Decoded) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let n = self.workers.len() as u64;
        let w = &self.workers[(self.applied % n) as usize];
        let d = w.done.recv().expect("vault reader thread");
        self.applied += 1;
        apply(d)
    }

    /// Decodes the last partial chunk and indexes everything in flight.
    fn finish(
        &mut self,
        apply: &mut dyn FnMut(Decoded) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let chunk = std::mem::take(&mut self.chunk);
        if !chunk.ends.is_empty() {
            if self.workers.is_empty() {
                apply(self.opener.decode(&chunk))?;
            } else {
                self.dispatch(chunk, apply)?;
            }
        }
        while self.applied < self.sent {
            self.apply_next(apply)?;
        }
        Ok(())
    }
}
