//! Verification: walks every line of a log in chain order, checks each
//! line's hash and its link to the line before, each checkpoint's and
//! anchor's signature when a public key is given, and the signed head
//! file, and names the first line where anything is wrong.
//!
//! Only the envelope is read (a few byte comparisons at both ends of the
//! line) and the line is hashed; call records are never deserialised,
//! which keeps verification at the speed of SHA-256.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::error::AuditError;
use crate::files::{self, HEAD_FILE};
use crate::key::{anchor_message, checkpoint_message, PublicKey};
use crate::line::{self, to_hex, Envelope, ZERO_HASH};
use crate::record::Entry;

/// The first thing found wrong in a log.
///
/// # Example
///
/// ```
/// let bad = hush_audit::verify_bytes(b"{\"seq\":0}\n", None);
/// let p = bad.problem.unwrap();
/// assert_eq!(p.line, 1);
/// assert!(p.to_string().contains("line 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file holding the bad line.
    pub file: PathBuf,
    /// The 1-based line number in that file (0: the file as a whole).
    pub line: u64,
    /// The line's seq, when its envelope could be read.
    pub seq: Option<u64>,
    /// What is wrong.
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: line {}", self.file.display(), self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.what)
    }
}

/// What [`verify`] found.
///
/// # Example
///
/// ```
/// let report = hush_audit::verify_bytes(b"", None);
/// assert!(report.problem.is_none());
/// assert_eq!(report.records, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines that verified (every entry type), up to the problem if any.
    pub records: u64,
    /// Of which call records.
    pub calls: u64,
    /// Of which checkpoints.
    pub checkpoints: u64,
    /// Checkpoints whose signature was checked and is valid.
    pub checkpoints_verified: u64,
    /// The seq of the first and last line.
    pub first_seq: Option<u64>,
    /// The seq of the last line.
    pub last_seq: Option<u64>,
    /// The time of the first line.
    pub first_ts: Option<String>,
    /// The time of the last line.
    pub last_ts: Option<String>,
    /// Whether signatures were checked (a public key was given).
    pub signed: bool,
    /// Lines after the last valid checkpoint: a cut there is detected
    /// only by the head file.
    pub unsigned_tail: u64,
    /// Records removed by purges before the log's anchor, if it has one.
    pub purged: Option<u64>,
    /// Things worth knowing that are not tampering.
    pub notes: Vec<String>,
    /// The first thing wrong, if any: the log does not verify.
    pub problem: Option<Problem>,
}

impl VerifyReport {
    /// Whether the log verified.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(hush_audit::verify_bytes(b"", None).is_ok());
    /// ```
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Some(p) => writeln!(f, "FAILED: {p}")?,
            None => writeln!(f, "ok")?,
        }
        write!(
            f,
            "records: {} ({} calls) in {} file(s), {} bytes",
            self.records, self.calls, self.files, self.bytes
        )?;
        if let (Some(a), Some(b)) = (self.first_seq, self.last_seq) {
            write!(f, ", seq {a}..{b}")?;
        }
        writeln!(f)?;
        if let (Some(a), Some(b)) = (&self.first_ts, &self.last_ts) {
            writeln!(f, "time: {a} .. {b}")?;
        }
        if self.signed {
            writeln!(
                f,
                "checkpoints: {} ({} signatures verified)",
                self.checkpoints, self.checkpoints_verified
            )?;
        } else {
            writeln!(
                f,
                "checkpoints: {} (signatures NOT checked: no public key; \
                 chain only)",
                self.checkpoints
            )?;
        }
        if let Some(n) = self.purged {
            writeln!(f, "purged before the anchor: {n} records")?;
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}

/// The head file's claim: the log reached `seq` with this hash.
struct Head {
    path: PathBuf,
    seq: u64,
    hash: [u8; 32],
    seen: bool,
}

struct Verifier<'k> {
    key: Option<&'k PublicKey>,
    report: VerifyReport,
    expected: Option<(u64, [u8; 32])>,
    last_signed_seq: Option<u64>,
    head: Option<Head>,
}

type Checked = Result<(), (Option<u64>, String)>;

impl<'k> Verifier<'k> {
    fn new(key: Option<&'k PublicKey>) -> Self {
        let report =
            VerifyReport { signed: key.is_some(), ..VerifyReport::default() };
        Verifier {
            key,
            report,
            expected: None,
            last_signed_seq: None,
            head: None,
        }
    }

    fn key_matches(&self, key_id: &str, what: &str) -> Result<(), String> {
        match self.key {
            Some(k) if k.key_id() != key_id => Err(format!(
                "{what} was signed by key {key_id}, not by the given public \
                 key {} (wrong public key?)",
                k.key_id()
            )),
            _ => Ok(()),
        }
    }

    fn line(&mut self, raw: &[u8]) -> Checked {
        let env = line::parse(raw).map_err(|w| (None, w.to_string()))?;
        let seq = Some(env.seq);
        self.check(raw, &env).map_err(|w| (seq, w))?;
        let r = &mut self.report;
        r.records += 1;
        r.first_seq.get_or_insert(env.seq);
        r.last_seq = Some(env.seq);
        let ts = || String::from_utf8_lossy(env.ts).into_owned();
        if r.first_ts.is_none() && env.kind != b"anchor" {
            r.first_ts = Some(ts());
        }
        r.last_ts = Some(ts());
        if let Some(h) = &mut self.head {
            if h.seq == env.seq {
                if h.hash != env.hash {
                    return Err((
                        seq,
                        "differs from the signed head file's checkpoint \
                         for this seq (the log was rewritten)"
                            .into(),
                    ));
                }
                h.seen = true;
            }
        }
        self.expected = Some((env.seq.wrapping_add(1), env.hash));
        Ok(())
    }

    fn check(&mut self, raw: &[u8], env: &Envelope<'_>) -> Result<(), String> {
        let Some((seq, prev)) = self.expected else {
            return self.first(raw, env);
        };
        if env.kind == b"anchor" {
            return Err("an anchor in the middle of the log (only a purged \
                        log's first line may be an anchor)"
                .into());
        }
        if !env.hash_ok() {
            return Err("hash does not match the line's content (the line \
                        was edited)"
                .into());
        }
        if env.seq > seq {
            return Err(format!(
                "seq {} where {seq} was expected: {} record(s) missing \
                 (deleted) before this line",
                env.seq,
                env.seq - seq
            ));
        }
        if env.seq < seq {
            return Err(format!(
                "seq {} where {seq} was expected: a duplicated, inserted or \
                 reordered record",
                env.seq
            ));
        }
        if env.prev != prev {
            return Err("prev does not match the hash of the line before: a \
                        record was inserted, replaced or reordered"
                .into());
        }
        self.entry(raw, env)
    }

    fn first(&mut self, raw: &[u8], env: &Envelope<'_>) -> Result<(), String> {
        if env.kind == b"anchor" {
            let Ok(Entry::Anchor(a)) = serde_json::from_slice::<Entry>(raw)
            else {
                return Err("malformed anchor".into());
            };
            if a.removed_from.checked_add(a.removed_count)
                != env.seq.checked_add(1)
            {
                return Err("chain starts after a gap: the anchor's removed \
                            range does not end at its seq"
                    .into());
            }
            self.report.purged = Some(a.removed_count);
            match self.key {
                Some(k) => {
                    self.key_matches(&a.key_id, "the anchor")?;
                    let ts = std::str::from_utf8(env.ts).unwrap_or_default();
                    let msg = anchor_message(
                        env.seq,
                        ts,
                        &to_hex(&env.prev),
                        &to_hex(&env.hash),
                        a.removed_from,
                        a.removed_count,
                    );
                    if !k.verify_hex(&msg, &a.sig) {
                        return Err("chain starts after a gap: the anchor's \
                                    signature is not valid"
                            .into());
                    }
                    self.last_signed_seq = Some(env.seq);
                }
                None => self.report.notes.push(format!(
                    "the log starts at an anchor standing for {} purged \
                     records; its signature was not checked (no public key)",
                    a.removed_count
                )),
            }
            return Ok(());
        }
        if !env.hash_ok() {
            return Err("hash does not match the line's content (the line \
                        was edited)"
                .into());
        }
        if env.seq != 0 || env.prev != ZERO_HASH {
            return Err(format!(
                "chain starts after a gap: the first line is seq {} and not \
                 a signed anchor (records before it are missing)",
                env.seq
            ));
        }
        self.entry(raw, env)
    }

    fn entry(&mut self, raw: &[u8], env: &Envelope<'_>) -> Result<(), String> {
        match env.kind {
            b"call" => self.report.calls += 1,
            b"checkpoint" => {
                let Ok(Entry::Checkpoint(cp)) =
                    serde_json::from_slice::<Entry>(raw)
                else {
                    return Err("malformed checkpoint".into());
                };
                self.report.checkpoints += 1;
                if let Some(k) = self.key {
                    self.key_matches(&cp.key_id, "this checkpoint")?;
                    let ts = std::str::from_utf8(env.ts).unwrap_or_default();
                    let msg = checkpoint_message(
                        env.seq,
                        ts,
                        &to_hex(&env.prev),
                        cp.records,
                    );
                    if !k.verify_hex(&msg, &cp.sig) {
                        return Err("checkpoint signature is not valid: the \
                                    log was rewritten up to here"
                            .into());
                    }
                    self.report.checkpoints_verified += 1;
                    self.last_signed_seq = Some(env.seq);
                }
            }
            b"note" | b"purge" => {
                if serde_json::from_slice::<Entry>(raw).is_err() {
                    return Err("malformed entry".into());
                }
            }
            _ => return Err("unknown entry type".into()),
        }
        Ok(())
    }

    fn finish(mut self) -> VerifyReport {
        let r = &mut self.report;
        if let Some(last) = r.last_seq {
            r.unsigned_tail = match self.last_signed_seq {
                Some(s) => last - s,
                None => r.records,
            };
        }
        if r.problem.is_none() {
            if let (Some(h), Some(last)) = (&self.head, r.last_seq) {
                if !h.seen && h.seq > last {
                    r.problem = Some(Problem {
                        file: h.path.clone(),
                        line: 0,
                        seq: Some(last),
                        what: format!(
                            "the log was truncated: it ends at seq {last} \
                             but the signed head file records seq {}",
                            h.seq
                        ),
                    });
                }
            }
        }
        if r.problem.is_none() && r.signed && r.unsigned_tail > 0 {
            r.notes.push(format!(
                "{} line(s) after the last checkpoint are not covered by a \
                 signature (a cut there shows only through the head file)",
                r.unsigned_tail
            ));
        }
        self.report
    }

    /// Reads one file; Ok(false) once a problem is recorded.
    fn file<R: BufRead>(
        &mut self,
        mut r: R,
        path: &Path,
        last_file: bool,
    ) -> Result<bool, AuditError> {
        self.report.files += 1;
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut lineno = 0u64;
        loop {
            buf.clear();
            let n = r
                .read_until(b'\n', &mut buf)
                .map_err(|e| AuditError::io(path, "cannot read", e))?;
            if n == 0 {
                return Ok(true);
            }
            lineno += 1;
            self.report.bytes += n as u64;
            let Some(raw) = buf.strip_suffix(b"\n") else {
                if last_file {
                    self.report.notes.push(format!(
                        "{}: the last line is incomplete ({n} bytes, a crash \
                         during a write; the writer cuts it when it reopens \
                         the log)",
                        path.display()
                    ));
                    return Ok(true);
                }
                self.problem(path, lineno, None, "incomplete line".into());
                return Ok(false);
            };
            if let Err((seq, what)) = self.line(raw) {
                self.problem(path, lineno, seq, what);
                return Ok(false);
            }
        }
    }

    fn problem(
        &mut self,
        path: &Path,
        line: u64,
        seq: Option<u64>,
        what: String,
    ) {
        self.report.problem =
            Some(Problem { file: path.to_path_buf(), line, seq, what });
    }

    fn read_head(&mut self, dir: &Path) {
        let path = dir.join(HEAD_FILE);
        let Ok(bytes) = std::fs::read(&path) else { return };
        let raw = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let Ok(env) = line::parse(raw) else {
            self.report
                .notes
                .push("the head file is unreadable; ignored".into());
            return;
        };
        if let Some(k) = self.key {
            let ok = match serde_json::from_slice::<Entry>(raw) {
                Ok(Entry::Checkpoint(cp)) => {
                    let ts = std::str::from_utf8(env.ts).unwrap_or_default();
                    let msg = checkpoint_message(
                        env.seq,
                        ts,
                        &to_hex(&env.prev),
                        cp.records,
                    );
                    env.hash_ok() && k.verify_hex(&msg, &cp.sig)
                }
                _ => false,
            };
            if !ok {
                self.report.notes.push(
                    "the head file is not a validly signed checkpoint; \
                     ignored"
                        .into(),
                );
                return;
            }
        }
        self.head =
            Some(Head { path, seq: env.seq, hash: env.hash, seen: false });
    }
}

/// The files from the last one that starts with an anchor (earlier ones
/// are left over from an interrupted purge).
pub(crate) fn live_files(
    files: Vec<PathBuf>,
) -> Result<(Vec<PathBuf>, usize), AuditError> {
    let mut start = 0;
    for (i, f) in files.iter().enumerate().skip(1) {
        if let Some(first) = files::first_line(f)? {
            if line::parse(&first).is_ok_and(|e| e.kind == b"anchor") {
                start = i;
            }
        }
    }
    Ok((files[start..].to_vec(), start))
}

/// Verifies a log: a directory of `audit-*.jsonl` files (and its head
/// file), or one file.
///
/// Tampering is not an error: the report's
/// [`problem`](VerifyReport::problem) names the first bad line (file,
/// line number, seq, what is wrong). Without `key`, only the chain is
/// checked and the report says so.
///
/// # Errors
///
/// When the path cannot be read or holds no log files.
///
/// # Example
///
/// ```
/// use hush_audit::{verify, AuditConfig, AuditLog, CallRecord};
///
/// let dir = tempfile::tempdir()?;
/// let logs = dir.path().join("audit");
/// let log = AuditLog::open(AuditConfig::files(&logs, dir.path().join("k")))?;
/// for _ in 0..3 {
///     log.append_blocking(CallRecord::default())?;
/// }
/// let public = log.public_key();
/// log.close()?;
/// let report = verify(&logs, Some(&public))?;
/// assert!(report.is_ok(), "{report}");
/// assert_eq!(report.calls, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(
    path: &Path,
    key: Option<&PublicKey>,
) -> Result<VerifyReport, AuditError> {
    let (dir, files) = files::resolve(path)?;
    let mut v = Verifier::new(key);
    let files = match &dir {
        Some(d) => {
            v.read_head(d);
            let (live, skipped) = live_files(files)?;
            if skipped > 0 {
                v.report.notes.push(format!(
                    "{skipped} file(s) before the anchored file are left \
                     over from an interrupted purge and were not read"
                ));
            }
            live
        }
        None => files,
    };
    let n = files.len();
    for (i, f) in files.iter().enumerate() {
        let file =
            File::open(f).map_err(|e| AuditError::io(f, "cannot open", e))?;
        let r = BufReader::with_capacity(1 << 20, file);
        if !v.file(r, f, i + 1 == n)? {
            break;
        }
    }
    Ok(v.finish())
}

/// Verifies one log file held in memory (tests, fuzzing). Never panics,
/// whatever the bytes.
///
/// # Example
///
/// ```
/// let report = hush_audit::verify_bytes(b"not a log\n", None);
/// assert!(!report.is_ok());
/// ```
pub fn verify_bytes(bytes: &[u8], key: Option<&PublicKey>) -> VerifyReport {
    let mut v = Verifier::new(key);
    // Reading from memory cannot fail.
    let _ = v.file(bytes, Path::new("<bytes>"), true);
    v.finish()
}
