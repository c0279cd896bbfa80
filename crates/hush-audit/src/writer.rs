//! The writer: a bounded queue in front of one dedicated thread that
//! chains, writes and acknowledges records in groups.
//!
//! Callers serialise their record on their own thread, take a queue
//! slot (waiting or failing when the queue is full, as configured) and
//! wait for the acknowledgement. The writer thread drains everything
//! queued, frames each line (seq, time, prev hash, hash), writes the
//! whole group with one `write(2)`, syncs if configured, and only then
//! acknowledges each record. Acknowledged therefore means "in the
//! operating system's hands" (it survives the process being killed) and,
//! with [`Fsync::Always`], "on disk". A record is never dropped silently:
//! every failure goes back to its caller as an error.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::error::AuditError;
use crate::files::{self, HEAD_FILE};
use crate::key::{checkpoint_message, PublicKey, SigningKey};
use crate::line::{self, to_hex, ZERO_HASH};
use crate::record::{Body, CallRecord, Checkpoint, Entry};
use crate::time::{format_ts, now_ms};

/// Where lines go.
///
/// # Example
///
/// ```
/// use hush_audit::Sink;
///
/// let sink = Sink::Files { dir: "/var/log/hush".into(), rotate_bytes: 256 << 20 };
/// assert!(matches!(sink, Sink::Files { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// Files `audit-<first seq>.jsonl` in `dir`; a new file is started
    /// once the current one holds `rotate_bytes` or more. The chain
    /// continues across files and across restarts.
    Files {
        /// The log directory (created if missing).
        dir: PathBuf,
        /// Size after which the next line starts a new file.
        rotate_bytes: u64,
    },
    /// The same lines on standard output (a collector keeps them). Each
    /// open starts a new chain at seq 0.
    Stdout,
}

/// What [`AuditLog::append`] does when the queue is full.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use hush_audit::OnFull;
///
/// let wait = OnFull::Block(Duration::from_millis(500));
/// assert_ne!(wait, OnFull::Fail);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFull {
    /// Wait up to this long for room, then fail with
    /// [`AuditError::QueueFull`].
    Block(Duration),
    /// Fail with [`AuditError::QueueFull`] at once.
    Fail,
}

/// When the writer asks the disk to persist what it wrote.
///
/// # Example
///
/// ```
/// assert_ne!(hush_audit::Fsync::Always, hush_audit::Fsync::Batch);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Only at checkpoints, rotation and close. A crash of the machine
    /// (not of the process) can lose acknowledged records written since
    /// the last checkpoint.
    Never,
    /// Also at most a second after each write, without making callers
    /// wait for it.
    Batch,
    /// After every group of writes, before acknowledging them:
    /// acknowledged records are on disk.
    Always,
}

/// Everything [`AuditLog::open`] needs.
///
/// # Example
///
/// ```
/// use hush_audit::{AuditConfig, Fsync, Sink};
///
/// let mut cfg = AuditConfig::files("/var/log/hush/audit", "/etc/hush/audit.key");
/// cfg.fsync = Fsync::Always;
/// assert!(matches!(cfg.sink, Sink::Files { rotate_bytes, .. } if rotate_bytes == 256 << 20));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// Where lines go.
    pub sink: Sink,
    /// Records that may wait for the writer at once.
    pub queue_capacity: usize,
    /// What to do when the queue is full.
    pub on_full: OnFull,
    /// When to sync to disk.
    pub fsync: Fsync,
    /// Write a signed checkpoint after this many lines (0: never by
    /// count).
    pub checkpoint_every: u64,
    /// Write a signed checkpoint this long after the last one when lines
    /// were written since (zero: never by time).
    pub checkpoint_interval: Duration,
    /// The Ed25519 signing key file; created (mode 0600, with
    /// `<file>.pub`) on first use. Keep it apart from the log.
    pub signing_key: PathBuf,
}

impl AuditConfig {
    /// Files in `dir` with the defaults: rotate at 256 MiB, a queue of
    /// 4096 records waiting up to 1 s, [`Fsync::Batch`], a checkpoint
    /// every 10,000 lines or 60 s.
    ///
    /// # Example
    ///
    /// ```
    /// let cfg = hush_audit::AuditConfig::files("logs", "audit.key");
    /// assert_eq!(cfg.checkpoint_every, 10_000);
    /// ```
    pub fn files(
        dir: impl Into<PathBuf>,
        signing_key: impl Into<PathBuf>,
    ) -> AuditConfig {
        AuditConfig {
            sink: Sink::Files { dir: dir.into(), rotate_bytes: 256 << 20 },
            queue_capacity: 4096,
            on_full: OnFull::Block(Duration::from_secs(1)),
            fsync: Fsync::Batch,
            checkpoint_every: 10_000,
            checkpoint_interval: Duration::from_secs(60),
            signing_key: signing_key.into(),
        }
    }

    /// Standard output with the same defaults as [`AuditConfig::files`].
    ///
    /// # Example
    ///
    /// ```
    /// let cfg = hush_audit::AuditConfig::stdout("audit.key");
    /// assert_eq!(cfg.sink, hush_audit::Sink::Stdout);
    /// ```
    pub fn stdout(signing_key: impl Into<PathBuf>) -> AuditConfig {
        AuditConfig {
            sink: Sink::Stdout,
            ..AuditConfig::files("", signing_key)
        }
    }
}

/// Proof that a record was written.
///
/// # Example
///
/// ```
/// let r = hush_audit::Receipt { seq: 3, hash: "ab".repeat(32) };
/// assert_eq!(r.seq, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The record's line number in the chain (from 0).
    pub seq: u64,
    /// The record's hash, 64 hex characters.
    pub hash: String,
}

enum Ack {
    Async(oneshot::Sender<Result<Receipt, AuditError>>),
    Sync(crossbeam_channel::Sender<Result<Receipt, AuditError>>),
}

impl Ack {
    fn send(self, r: Result<Receipt, AuditError>) {
        // A caller that stopped waiting no longer needs the answer.
        match self {
            Ack::Async(tx) => {
                let _ = tx.send(r);
            }
            Ack::Sync(tx) => {
                let _ = tx.send(r);
            }
        }
    }
}

enum Msg {
    Record {
        body: Vec<u8>,
        ack: Ack,
        _permit: OwnedSemaphorePermit,
    },
    Flush(crossbeam_channel::Sender<Result<(), AuditError>>),
    /// A line was written by a caller itself (the fast path): look at
    /// the sync and checkpoint timers again.
    Tick,
}

/// The tamper-evident audit log writer. Share it (`Arc<AuditLog>`) among
/// request handlers; it is `Send + Sync`.
///
/// # Example
///
/// ```
/// use hush_audit::{verify, AuditConfig, AuditLog, CallRecord};
///
/// let dir = tempfile::tempdir()?;
/// let logs = dir.path().join("audit");
/// let log = AuditLog::open(AuditConfig::files(&logs, dir.path().join("audit.key")))?;
/// let rec = CallRecord { request_id: "hush_1".into(), status: 200, ..CallRecord::default() };
/// let receipt = log.append_blocking(rec)?;
/// log.close()?;
/// let report = verify(&logs, None)?;
/// assert!(report.problem.is_none());
/// assert!(report.records > receipt.seq);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AuditLog {
    tx: Option<Sender<Msg>>,
    writer: Arc<Mutex<Writer>>,
    /// Whether callers may write their own line (acknowledgements that
    /// wait for no `fsync`).
    inline: bool,
    slots: Arc<Semaphore>,
    on_full: OnFull,
    public: PublicKey,
    thread: Option<JoinHandle<Result<(), AuditError>>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("key_id", &self.public.key_id())
            .field("on_full", &self.on_full)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens (or creates) the log, resumes its chain and starts the
    /// writer thread.
    ///
    /// On open the writer takes the directory's lock, loads or creates
    /// the signing key, finds the last complete line of the newest file
    /// (cutting a torn line left by a crash, and saying so in a `note`
    /// line), and appends a `note` line "opened".
    ///
    /// # Errors
    ///
    /// [`AuditError::Locked`] when another process writes the log,
    /// [`AuditError::Corrupt`] when the last line cannot continue the
    /// chain, I/O and key errors.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{AuditConfig, AuditError, AuditLog};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let cfg = AuditConfig::files(dir.path().join("log"), dir.path().join("k"));
    /// let log = AuditLog::open(cfg.clone())?;
    /// assert!(matches!(AuditLog::open(cfg), Err(AuditError::Locked { .. })));
    /// drop(log);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(cfg: AuditConfig) -> Result<AuditLog, AuditError> {
        if cfg.queue_capacity == 0 {
            return Err(AuditError::Config(
                "the audit queue capacity must be at least 1".into(),
            ));
        }
        let (key, _) = SigningKey::load_or_create(&cfg.signing_key)?;
        let public = key.public_key();
        let mut w = Writer::open(&cfg, key)?;
        w.stage_entry(&Entry::Note { note: "opened".into() })?;
        w.commit()?;
        let (tx, rx) = crossbeam_channel::unbounded();
        let writer = Arc::new(Mutex::new(w));
        let shared = Arc::clone(&writer);
        let thread = std::thread::Builder::new()
            .name("hush-audit".into())
            .spawn(move || run(shared, rx))
            .map_err(|e| AuditError::WriteFailed(e.to_string()))?;
        Ok(AuditLog {
            tx: Some(tx),
            writer,
            inline: cfg.fsync != Fsync::Always,
            slots: Arc::new(Semaphore::new(
                cfg.queue_capacity.min(Semaphore::MAX_PERMITS),
            )),
            on_full: cfg.on_full,
            public,
            thread: Some(thread),
        })
    }

    /// The public key that verifies this log's checkpoints.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{AuditConfig, AuditLog, PublicKey};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let key = dir.path().join("k");
    /// let log = AuditLog::open(AuditConfig::files(dir.path().join("log"), &key))?;
    /// assert_eq!(log.public_key(), PublicKey::load(&dir.path().join("k.pub"))?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// The entry's JSON. Bodies the proxy serialised itself
    /// ([`Body::Serialized`]) are spliced in as they are, after the other
    /// fields, rather than parsed again by the serialiser; a reader finds
    /// fields by name, so their place in the object does not matter.
    fn body(mut rec: CallRecord) -> Result<Vec<u8>, AuditError> {
        fn take(b: &mut Option<Body>) -> Option<Box<str>> {
            match b.take() {
                Some(Body::Serialized(t)) => Some(t),
                other => {
                    *b = other;
                    None
                }
            }
        }
        let request = take(&mut rec.request);
        let response = take(&mut rec.response);
        let extra = request.as_ref().map_or(0, |t| t.len() + 12)
            + response.as_ref().map_or(0, |t| t.len() + 13);
        let mut out = Vec::with_capacity(extra + 1024);
        serde_json::to_writer(&mut out, &Entry::Call(rec)).map_err(|e| {
            AuditError::WriteFailed(format!("cannot serialise record: {e}"))
        })?;
        if extra > 0 {
            // An object always ends with its brace; the bodies go before.
            if out.pop() != Some(b'}') {
                return Err(AuditError::WriteFailed(
                    "cannot serialise record: not an object".into(),
                ));
            }
            for (key, text) in [("request", request), ("response", response)] {
                if let Some(t) = text {
                    out.extend_from_slice(b",\"");
                    out.extend_from_slice(key.as_bytes());
                    out.extend_from_slice(b"\":");
                    out.extend_from_slice(t.as_bytes());
                }
            }
            out.push(b'}');
        }
        Ok(out)
    }

    /// The fast path: when no other append holds the writer and nothing
    /// is due (a rotation, a checkpoint, the head file), the caller
    /// frames, hashes and writes its own line, and is acknowledged
    /// without the hop to the writer thread and back (which, on a busy
    /// machine, waits for a CPU twice and costs more than the write).
    /// Only when acknowledgements wait for no `fsync`; otherwise, or when
    /// the writer stays busy, the record goes through the queue and is
    /// group-committed. Either way a line gets its `seq` under the same
    /// lock, so the chain stays one sequence.
    ///
    /// A writer held by another caller is usually free again within one
    /// line's write (tens of microseconds), while the hop to the writer
    /// thread waits for a CPU: so a caller waits up to [`INLINE_WAIT`]
    /// for the lock (yielding between tries, so a holder on the same CPU
    /// can finish) before it takes the queue. On the 2-core VM here about
    /// one call in sixty found the writer busy at 500 calls/s, and those
    /// hops made the log's p99.
    fn try_inline(&self, body: &[u8]) -> Option<Result<Receipt, AuditError>> {
        if !self.inline || !self.is_writing() {
            return None;
        }
        let mut w = match self.writer.try_lock() {
            Ok(w) => w,
            Err(std::sync::TryLockError::WouldBlock) => {
                let deadline = Instant::now() + INLINE_WAIT;
                loop {
                    std::thread::yield_now();
                    if let Ok(w) = self.writer.try_lock() {
                        break w;
                    }
                    if Instant::now() >= deadline {
                        return None;
                    }
                }
            }
            Err(std::sync::TryLockError::Poisoned(_)) => return None,
        };
        if w.rotation_due() || w.checkpoint_due() || w.head_due {
            return None;
        }
        // The first dirty line, or the first since a checkpoint, starts
        // a timer the writer thread must hear of.
        let poke = w.dirty_since.is_none() || w.since_cp == 0;
        let r = w.stage(body, None).and_then(|(seq, hash)| {
            w.commit().map(|()| Receipt { seq, hash: to_hex(&hash) })
        });
        drop(w);
        if poke {
            if let Some(tx) = &self.tx {
                let _ = tx.send(Msg::Tick);
            }
        }
        Some(r)
    }

    fn enqueue(
        &self,
        body: Vec<u8>,
        ack: Ack,
        permit: OwnedSemaphorePermit,
    ) -> Result<(), AuditError> {
        let tx = self.tx.as_ref().ok_or(AuditError::Closed)?;
        tx.send(Msg::Record { body, ack, _permit: permit })
            .map_err(|_| AuditError::Closed)
    }

    /// Writes one record and waits until it is written (see
    /// [`Fsync`] for what "written" means).
    ///
    /// With [`OnFull::Block`] the wait for a queue slot uses Tokio's
    /// timer, so call it on a runtime with time enabled (any
    /// `#[tokio::main]` runtime).
    ///
    /// # Errors
    ///
    /// [`AuditError::QueueFull`] when no slot came free in time,
    /// [`AuditError::Closed`] when the writer has stopped,
    /// [`AuditError::WriteFailed`] when writing failed. In every case the
    /// record is not in the log.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{AuditConfig, AuditLog, CallRecord};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let log = AuditLog::open(AuditConfig::files(dir.path().join("log"), dir.path().join("k")))?;
    /// let r = log.append(CallRecord { status: 200, ..CallRecord::default() }).await?;
    /// assert_eq!(r.hash.len(), 64);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn append(
        &self,
        rec: CallRecord,
    ) -> Result<Receipt, AuditError> {
        let body = Self::body(rec)?;
        if let Some(r) = self.try_inline(&body) {
            return r;
        }
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(tokio::sync::TryAcquireError::Closed) => {
                return Err(AuditError::Closed)
            }
            Err(tokio::sync::TryAcquireError::NoPermits) => match self.on_full
            {
                OnFull::Fail => return Err(AuditError::QueueFull),
                OnFull::Block(d) => {
                    let wait = self.slots.clone().acquire_owned();
                    tokio::time::timeout(d, wait)
                        .await
                        .map_err(|_| AuditError::QueueFull)?
                        .map_err(|_| AuditError::Closed)?
                }
            },
        };
        let (tx, rx) = oneshot::channel();
        self.enqueue(body, Ack::Async(tx), permit)?;
        rx.await.map_err(|_| AuditError::Closed)?
    }

    /// [`AuditLog::append`] for code that is not async (the CLI, tests).
    /// Blocks the calling thread; safe to call inside a Tokio runtime
    /// only from a blocking task.
    ///
    /// # Errors
    ///
    /// As [`AuditLog::append`].
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{AuditConfig, AuditLog, CallRecord};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let log = AuditLog::open(AuditConfig::files(dir.path().join("log"), dir.path().join("k")))?;
    /// let a = log.append_blocking(CallRecord::default())?;
    /// let b = log.append_blocking(CallRecord::default())?;
    /// assert_eq!(b.seq, a.seq + 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append_blocking(
        &self,
        rec: CallRecord,
    ) -> Result<Receipt, AuditError> {
        let body = Self::body(rec)?;
        if let Some(r) = self.try_inline(&body) {
            return r;
        }
        let deadline = match self.on_full {
            OnFull::Block(d) => Instant::now().checked_add(d),
            OnFull::Fail => Some(Instant::now()),
        };
        let mut pause = Duration::from_micros(50);
        let permit = loop {
            match self.slots.clone().try_acquire_owned() {
                Ok(p) => break p,
                Err(tokio::sync::TryAcquireError::Closed) => {
                    return Err(AuditError::Closed)
                }
                Err(tokio::sync::TryAcquireError::NoPermits) => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(AuditError::QueueFull);
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(5));
                }
            }
        };
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.enqueue(body, Ack::Sync(tx), permit)?;
        rx.recv().map_err(|_| AuditError::Closed)?
    }

    /// Whether the writer is still running: it stops on a fatal error
    /// (a rotation or write that failed), after which no record can be
    /// kept, so a readiness check reports the log as not writable.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{AuditConfig, AuditLog};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let log = AuditLog::open(AuditConfig::files(dir.path().join("log"), dir.path().join("k")))?;
    /// assert!(log.is_writing());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_writing(&self) -> bool {
        self.tx.is_some()
            && self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Waits until everything appended before is written and synced to
    /// disk.
    ///
    /// # Errors
    ///
    /// [`AuditError::Closed`] when the writer stopped; sync errors.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{AuditConfig, AuditLog};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let log = AuditLog::open(AuditConfig::files(dir.path().join("log"), dir.path().join("k")))?;
    /// log.flush()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&self) -> Result<(), AuditError> {
        let tx = self.tx.as_ref().ok_or(AuditError::Closed)?;
        let (ack, rx) = crossbeam_channel::bounded(1);
        tx.send(Msg::Flush(ack)).map_err(|_| AuditError::Closed)?;
        rx.recv().map_err(|_| AuditError::Closed)?
    }

    /// Writes what is queued, a final signed checkpoint, syncs, and stops
    /// the writer. Dropping the log does the same but cannot report
    /// errors.
    ///
    /// # Errors
    ///
    /// The writer's last error, if it failed.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{AuditConfig, AuditLog};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let log = AuditLog::open(AuditConfig::files(dir.path().join("log"), dir.path().join("k")))?;
    /// log.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(mut self) -> Result<(), AuditError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), AuditError> {
        self.slots.close();
        drop(self.tx.take());
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(AuditError::WriteFailed(
                "the writer thread panicked".into(),
            )),
            None => Ok(()),
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// How long a caller waits for a busy writer before it hands its record
/// to the writer thread (see `AuditLog::try_inline`).
const INLINE_WAIT: Duration = Duration::from_micros(100);

/// The writer thread: group commit until every sender is gone. It holds
/// the writer's lock while it works, not while it waits.
fn run(
    shared: Arc<Mutex<Writer>>,
    rx: Receiver<Msg>,
) -> Result<(), AuditError> {
    const GROUP_BYTES: usize = 8 << 20;
    let lock = || shared.lock().unwrap_or_else(|p| p.into_inner());
    let mut pending: Vec<(Ack, u64, [u8; 32])> = Vec::new();
    let mut flushes = Vec::new();
    loop {
        let deadline = lock().next_deadline();
        let first = match deadline {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(d) => {
                rx.recv_timeout(d.saturating_duration_since(Instant::now()))
            }
        };
        let first = match first {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut w = lock();
        let mut staged_bytes = 0;
        let mut next = first;
        while let Some(m) = next {
            match m {
                Msg::Record { body, ack, _permit } => {
                    if w.rotation_due() {
                        w.commit_acked(&mut pending)?;
                        if let Err(e) = w.rotate() {
                            // Fatal: queued records are answered Closed
                            // when the queue is dropped with this thread.
                            let msg = e.to_string();
                            ack.send(Err(e));
                            return Err(AuditError::WriteFailed(msg));
                        }
                    }
                    staged_bytes += body.len();
                    match w.stage(&body, None) {
                        Ok((seq, hash)) => pending.push((ack, seq, hash)),
                        Err(e) => ack.send(Err(e)),
                    }
                }
                Msg::Flush(ack) => flushes.push(ack),
                Msg::Tick => {}
            }
            if staged_bytes >= GROUP_BYTES {
                break;
            }
            next = rx.try_recv().ok();
        }
        if w.checkpoint_due() {
            w.stage_checkpoint()?;
        }
        w.commit_acked(&mut pending)?;
        if w.head_due {
            w.write_head_soon();
        }
        if !flushes.is_empty() {
            let r = w.sync();
            for ack in flushes.drain(..) {
                let _ = ack.send(match &r {
                    Ok(()) => Ok(()),
                    Err(e) => Err(AuditError::WriteFailed(e.to_string())),
                });
            }
        } else {
            w.maybe_sync();
        }
    }
    let mut w = lock();
    if w.since_cp > 0 {
        w.stage_checkpoint()?;
        w.commit()?;
    }
    w.sync()?;
    w.write_head();
    Ok(())
}

enum Out {
    File { dir: PathBuf, path: PathBuf, file: File, rotate_bytes: u64 },
    Stdout(io::Stdout),
}

/// The chain state the writer has made durable (or staged).
#[derive(Clone, Copy)]
struct State {
    seq: u64,
    prev: [u8; 32],
    last_ts: i64,
    len: u64,
}

/// The single-threaded core: frames lines, writes them, keeps the chain
/// state, rotates, signs checkpoints. Used by the writer thread and by
/// `purge`.
pub(crate) struct Writer {
    out: Out,
    key: SigningKey,
    key_id: String,
    committed: State,
    staged: State,
    buf: Vec<u8>,
    since_cp: u64,
    last_cp: Instant,
    last_cp_line: Option<Vec<u8>>,
    head_due: bool,
    fsync: Fsync,
    checkpoint_every: u64,
    checkpoint_interval: Duration,
    dirty_since: Option<Instant>,
    syncer: Option<Syncer>,
    _lock: Option<File>,
}

/// The background syncer of [`Fsync::Batch`]: the periodic `fsync` (and
/// the head file written after it) runs on its own thread, so records
/// that arrive meanwhile are written and acknowledged without waiting
/// for the disk (a batch acknowledgement promises the page cache, not
/// the disk). Jobs run in order; one waits at most, and when one is
/// already waiting the writer simply tries again on a later round.
struct Syncer {
    tx: Option<std::sync::mpsc::SyncSender<SyncJob>>,
    thread: Option<JoinHandle<()>>,
}

/// Make the log durable up to now (through a duplicate of its file
/// handle), then, if given, replace the head file with this checkpoint.
struct SyncJob {
    file: File,
    /// The length of the file when the job was handed over: the pages
    /// wholly before it are final once synced (see [`drop_cached`]).
    written: u64,
    head: Option<(PathBuf, Vec<u8>)>,
}

impl Syncer {
    fn start() -> Option<Syncer> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<SyncJob>(1);
        let thread = std::thread::Builder::new()
            .name("hush-audit-sync".into())
            .spawn(move || {
                for job in rx {
                    if job.file.sync_data().is_ok() {
                        drop_cached(&job.file, job.written);
                        if let Some((dir, line)) = job.head {
                            let _ =
                                files::write_atomic(&dir, HEAD_FILE, &line);
                        }
                    }
                }
            })
            .ok()?;
        Some(Syncer { tx: Some(tx), thread: Some(thread) })
    }

    /// Waits for every job handed over so far.
    fn join(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Lets the kernel drop the log's pages from its cache once they are on
/// disk. An append-only log is read back rarely (`verify`, `search`), and
/// keeping what was written costs memory that other data could use and,
/// on a VM, makes each new write land in memory the host has not backed
/// yet (measured on the 2-core VM here: a 25 KB append took 43 us with
/// the cache growing and 12-17 us with it dropped after each sync).
/// Only clean pages go, so nothing unsynced is lost; an error is ignored
/// (it is advice).
///
/// Only the pages wholly before `written` go (Linux keeps the partial
/// page at the end of a range): the log's last page is partial and the
/// next append writes into it; dropped, that append would first read it
/// back from the disk, on the request path.
fn drop_cached(file: &File, written: u64) {
    #[cfg(target_os = "linux")]
    {
        if let Some(len) = std::num::NonZeroU64::new(written) {
            let _ = rustix::fs::fadvise(
                file,
                0,
                Some(len),
                rustix::fs::Advice::DontNeed,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, written);
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.join();
    }
}

impl Writer {
    pub(crate) fn open(
        cfg: &AuditConfig,
        key: SigningKey,
    ) -> Result<Writer, AuditError> {
        let (out, state, notes, lock) = match &cfg.sink {
            Sink::Stdout => {
                let st = State { seq: 0, prev: ZERO_HASH, last_ts: 0, len: 0 };
                (
                    Out::Stdout(io::stdout()),
                    st,
                    vec!["created".to_string()],
                    None,
                )
            }
            Sink::Files { dir, rotate_bytes } => {
                fs::create_dir_all(dir).map_err(|e| {
                    AuditError::io(dir, "cannot create log directory", e)
                })?;
                let lock = files::lock(dir)?;
                let (out, st, notes) = resume(dir, *rotate_bytes)?;
                (out, st, notes, Some(lock))
            }
        };
        let key_id = key.public_key().key_id();
        let mut w = Writer {
            out,
            key,
            key_id,
            committed: state,
            staged: state,
            buf: Vec::with_capacity(64 * 1024),
            since_cp: 0,
            last_cp: Instant::now(),
            last_cp_line: None,
            head_due: false,
            fsync: cfg.fsync,
            checkpoint_every: cfg.checkpoint_every,
            checkpoint_interval: cfg.checkpoint_interval,
            dirty_since: None,
            syncer: None,
            _lock: lock,
        };
        for note in notes {
            w.stage_entry(&Entry::Note { note })?;
        }
        Ok(w)
    }

    /// Adopts an already held lock (purge takes it before reading).
    pub(crate) fn open_locked(
        dir: &Path,
        key: SigningKey,
        lock: File,
    ) -> Result<Writer, AuditError> {
        let (out, st, notes) = resume(dir, u64::MAX)?;
        let key_id = key.public_key().key_id();
        let mut w = Writer {
            out,
            key,
            key_id,
            committed: st,
            staged: st,
            buf: Vec::new(),
            since_cp: 0,
            last_cp: Instant::now(),
            last_cp_line: None,
            head_due: false,
            fsync: Fsync::Always,
            checkpoint_every: 0,
            checkpoint_interval: Duration::ZERO,
            dirty_since: None,
            syncer: None,
            _lock: Some(lock),
        };
        for note in notes {
            w.stage_entry(&Entry::Note { note })?;
        }
        Ok(w)
    }

    fn next_ts(&mut self) -> String {
        let ts = now_ms().max(self.staged.last_ts);
        self.staged.last_ts = ts;
        format_ts(ts)
    }

    /// Frames one line into the buffer; returns its seq and hash.
    pub(crate) fn stage(
        &mut self,
        body: &[u8],
        fixed_hash: Option<[u8; 32]>,
    ) -> Result<(u64, [u8; 32]), AuditError> {
        let ts = self.next_ts();
        self.stage_ts(body, &ts, fixed_hash)
    }

    fn stage_ts(
        &mut self,
        body: &[u8],
        ts: &str,
        fixed_hash: Option<[u8; 32]>,
    ) -> Result<(u64, [u8; 32]), AuditError> {
        if !body.starts_with(b"{\"type\":") || !body.ends_with(b"}") {
            return Err(AuditError::WriteFailed("not an entry".into()));
        }
        let seq = self.staged.seq;
        let before = self.buf.len();
        let hash = line::encode(
            &mut self.buf,
            seq,
            ts,
            &self.staged.prev,
            body,
            fixed_hash,
        );
        self.staged.len += (self.buf.len() - before) as u64;
        self.staged.seq = seq + 1;
        self.staged.prev = hash;
        self.since_cp += 1;
        Ok((seq, hash))
    }

    pub(crate) fn stage_entry(
        &mut self,
        e: &Entry,
    ) -> Result<(u64, [u8; 32]), AuditError> {
        let body = serde_json::to_vec(e)
            .map_err(|e| AuditError::WriteFailed(e.to_string()))?;
        self.stage(&body, None)
    }

    fn stage_checkpoint(&mut self) -> Result<(), AuditError> {
        let seq = self.staged.seq;
        let ts = self.next_ts();
        let prev = to_hex(&self.staged.prev);
        let records = self.since_cp;
        let sig =
            self.key.sign_hex(&checkpoint_message(seq, &ts, &prev, records));
        let cp = Entry::Checkpoint(Checkpoint {
            key_id: self.key_id.clone(),
            sig,
            records,
        });
        let body = serde_json::to_vec(&cp)
            .map_err(|e| AuditError::WriteFailed(e.to_string()))?;
        let start = self.buf.len();
        // The timestamp signed is the one written.
        self.stage_ts(&body, &ts, None)?;
        self.last_cp_line = Some(self.buf[start..].to_vec());
        self.since_cp = 0;
        self.last_cp = Instant::now();
        Ok(())
    }

    fn checkpoint_due(&self) -> bool {
        self.since_cp > 0
            && ((self.checkpoint_every > 0
                && self.since_cp >= self.checkpoint_every)
                || (!self.checkpoint_interval.is_zero()
                    && self.last_cp.elapsed() >= self.checkpoint_interval))
    }

    fn next_deadline(&self) -> Option<Instant> {
        let cp = (self.since_cp > 0 && !self.checkpoint_interval.is_zero())
            .then(|| self.last_cp + self.checkpoint_interval);
        let sync = match (self.fsync, self.dirty_since) {
            (Fsync::Batch, Some(t)) => Some(t + Duration::from_secs(1)),
            _ => None,
        };
        match (cp, sync) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn rotation_due(&self) -> bool {
        match &self.out {
            Out::File { rotate_bytes, .. } => {
                self.staged.len > 0 && self.staged.len >= *rotate_bytes
            }
            Out::Stdout(_) => false,
        }
    }

    /// Ends the current file with a checkpoint and starts the next.
    fn rotate(&mut self) -> Result<(), AuditError> {
        self.stage_checkpoint()?;
        self.commit()?;
        self.sync()?;
        self.write_head();
        if let Out::File { dir, path, file, .. } = &mut self.out {
            let name = files::file_name(self.committed.seq);
            let new_path = dir.join(name);
            let f = fs::OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(&new_path)
                .map_err(|e| AuditError::io(&new_path, "cannot create", e))?;
            files::sync_dir(dir);
            *file = f;
            *path = new_path;
            self.committed.len = 0;
            self.staged.len = 0;
        }
        Ok(())
    }

    /// Writes the staged lines; on failure cuts the file back to the
    /// last committed line and forgets what was staged.
    pub(crate) fn commit(&mut self) -> Result<(), AuditError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let r = match &mut self.out {
            Out::File { file, path, .. } => file
                .write_all(&self.buf)
                .and_then(|()| match self.fsync {
                    Fsync::Always => file.sync_data(),
                    _ => Ok(()),
                })
                .map_err(|e| AuditError::io(path, "cannot write", e)),
            Out::Stdout(out) => {
                let mut out = out.lock();
                out.write_all(&self.buf)
                    .and_then(|()| out.flush())
                    .map_err(AuditError::Stdout)
            }
        };
        self.buf.clear();
        match r {
            Ok(()) => {
                self.committed = self.staged;
                if self.last_cp_line.is_some() {
                    self.head_due = true;
                }
                if self.fsync != Fsync::Always && self.dirty_since.is_none() {
                    self.dirty_since = Some(Instant::now());
                }
                Ok(())
            }
            Err(e) => {
                self.staged = self.committed;
                self.last_cp_line = None;
                if let Out::Stdout(_) = self.out {
                    return Err(AuditError::WriteFailed(format!(
                        "{e}; the writer stopped"
                    )));
                }
                if let Out::File { file, .. } = &mut self.out {
                    // A failed write may have left part of a line.
                    if file.set_len(self.committed.len).is_err() {
                        return Err(AuditError::WriteFailed(format!(
                            "{e}; the log could not be cut back and the \
                             writer stopped"
                        )));
                    }
                }
                Err(e)
            }
        }
    }

    /// Commits and acknowledges `pending`: each record gets its receipt,
    /// or the commit error.
    fn commit_acked(
        &mut self,
        pending: &mut Vec<(Ack, u64, [u8; 32])>,
    ) -> Result<(), AuditError> {
        let r = self.commit();
        for (ack, seq, hash) in pending.drain(..) {
            ack.send(match &r {
                Ok(()) => Ok(Receipt { seq, hash: to_hex(&hash) }),
                Err(e) => Err(AuditError::WriteFailed(e.to_string())),
            });
        }
        match r {
            Err(AuditError::WriteFailed(m)) => Err(AuditError::WriteFailed(m)),
            // An ordinary write error is reported to the callers; the
            // writer carries on with the log cut back to its last line.
            _ => Ok(()),
        }
    }

    pub(crate) fn sync(&mut self) -> Result<(), AuditError> {
        // What the background syncer holds is done first (and its head
        // file written) before an explicit sync returns.
        if let Some(mut s) = self.syncer.take() {
            s.join();
        }
        self.dirty_since = None;
        match &mut self.out {
            Out::File { file, path, .. } => file
                .sync_data()
                .map_err(|e| AuditError::io(path, "cannot sync", e)),
            Out::Stdout(out) => out.flush().map_err(AuditError::Stdout),
        }
    }

    fn maybe_sync(&mut self) {
        if self.fsync == Fsync::Batch
            && self
                .dirty_since
                .is_some_and(|t| t.elapsed() >= Duration::from_secs(1))
        {
            match &self.out {
                Out::File { .. } => {
                    if self.sync_in_background(None).is_ok() {
                        self.dirty_since = None;
                    }
                }
                Out::Stdout(_) => {
                    let _ = self.sync();
                }
            }
        }
    }

    /// Hands a sync (and a head line) to the background syncer; gives
    /// the head line back when it could not (the syncer is busy or
    /// cannot start), for a later round.
    fn sync_in_background(
        &mut self,
        head: Option<Vec<u8>>,
    ) -> Result<(), Option<Vec<u8>>> {
        let Out::File { dir, file, .. } = &self.out else { return Err(head) };
        let Ok(dup) = file.try_clone() else { return Err(head) };
        if self.syncer.is_none() {
            self.syncer = Syncer::start();
        }
        let Some(tx) = self.syncer.as_ref().and_then(|s| s.tx.as_ref()) else {
            return Err(head);
        };
        let job = SyncJob {
            file: dup,
            written: self.committed.len,
            head: head.map(|l| (dir.clone(), l)),
        };
        tx.try_send(job).map_err(|e| match e {
            std::sync::mpsc::TrySendError::Full(j)
            | std::sync::mpsc::TrySendError::Disconnected(j) => {
                j.head.map(|(_, l)| l)
            }
        })
    }

    /// [`Writer::write_head`] for the writer loop: with batch syncing
    /// the sync and the head go to the background syncer.
    fn write_head_soon(&mut self) {
        if self.fsync != Fsync::Batch {
            return self.write_head();
        }
        let Some(line) = self.last_cp_line.take() else {
            self.head_due = false;
            return;
        };
        match self.sync_in_background(Some(line)) {
            Ok(()) => {
                self.head_due = false;
                self.dirty_since = None;
            }
            Err(back) => self.last_cp_line = back,
        }
    }

    /// Replaces the head file with the latest checkpoint, once the log
    /// holding it is synced (so the head never runs ahead of the disk).
    fn write_head(&mut self) {
        if let Some(mut s) = self.syncer.take() {
            s.join();
        }
        self.head_due = false;
        let Some(line) = self.last_cp_line.take() else { return };
        if let Out::File { dir, file, .. } = &self.out {
            let dir = dir.clone();
            if file.sync_data().is_ok() {
                self.dirty_since = None;
                let _ = files::write_atomic(&dir, HEAD_FILE, &line);
            }
        }
    }

    /// Signs the final checkpoint, writes and syncs (purge's close).
    pub(crate) fn finish(mut self) -> Result<(), AuditError> {
        self.stage_checkpoint()?;
        self.commit()?;
        self.sync()?;
        self.write_head();
        Ok(())
    }
}

/// Finds where the chain of `dir` ends: cuts a torn last line, drops an
/// empty newest file, and opens (or creates) the file to append to.
fn resume(
    dir: &Path,
    rotate_bytes: u64,
) -> Result<(Out, State, Vec<String>), AuditError> {
    let mut notes = Vec::new();
    let mut list = files::list(dir)?;
    while let Some(path) = list.last().cloned() {
        let mut file = fs::OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| AuditError::io(&path, "cannot open", e))?;
        let tail = files::read_tail(&mut file, &path)?;
        if tail.torn > 0 {
            file.set_len(tail.good_len).map_err(|e| {
                AuditError::io(&path, "cannot cut torn line", e)
            })?;
            file.sync_all()
                .map_err(|e| AuditError::io(&path, "cannot sync", e))?;
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            notes.push(format!(
                "torn tail repaired: {} bytes of an unfinished line cut \
                 from {name}",
                tail.torn
            ));
        }
        let Some(last) = tail.last else {
            // Nothing complete in the newest file: continue the previous.
            drop(file);
            fs::remove_file(&path)
                .map_err(|e| AuditError::io(&path, "cannot remove", e))?;
            list.pop();
            continue;
        };
        let env = line::parse(&last).map_err(|what| {
            AuditError::corrupt(&path, 0, format!("last line: {what}"))
        })?;
        if env.kind != b"anchor" && !env.hash_ok() {
            return Err(AuditError::corrupt(
                &path,
                0,
                "last line: hash does not match its content",
            ));
        }
        let st = State {
            seq: env.seq.checked_add(1).ok_or_else(|| {
                AuditError::corrupt(&path, 0, "last line: seq overflow")
            })?,
            prev: env.hash,
            last_ts: env.ts_ms,
            len: tail.good_len,
        };
        let dir = dir.to_path_buf();
        return Ok((Out::File { dir, path, file, rotate_bytes }, st, notes));
    }
    let path = dir.join(files::file_name(0));
    let file = fs::OpenOptions::new()
        .create_new(true)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(|e| AuditError::io(&path, "cannot create", e))?;
    files::sync_dir(dir);
    notes.push("created".to_string());
    let st = State { seq: 0, prev: ZERO_HASH, last_ts: 0, len: 0 };
    Ok((
        Out::File { dir: dir.to_path_buf(), path, file, rotate_bytes },
        st,
        notes,
    ))
}
