//! Retention: removing old records while keeping the rest verifiable.
//!
//! A purge removes every line older than the cutoff (whole files when
//! possible) and starts the log with a signed [`Anchor`] that stands for
//! the removed lines: it takes the seq, `prev` and hash of the last
//! removed line, so the first kept line still chains onto it byte for
//! byte. The purge itself is then appended as a `purge` line and closed
//! with a signed checkpoint.
//!
//! Crash safety: the new first file (anchor + kept lines) is written
//! under a temporary name, synced and renamed into place before any old
//! file is deleted. Readers and the writer start at the last file that
//! begins with an anchor, so old files left by an interrupted purge are
//! ignored (and deleted by the next purge).

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::AuditError;
use crate::files;
use crate::key::{anchor_message, SigningKey};
use crate::line::{self, to_hex};
use crate::record::{Anchor, Entry, PurgeRecord};
use crate::time::{format_ts, now_ms};
use crate::verify::verify;
use crate::writer::Writer;

/// What [`purge()`] did.
///
/// # Example
///
/// ```
/// let r = hush_audit::PurgeReport::default();
/// assert_eq!(r.removed, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// The cutoff: lines timestamped before it were removed.
    pub cutoff: String,
    /// Lines removed.
    pub removed: u64,
    /// The last seq removed (the anchor's seq), if any.
    pub removed_to: Option<u64>,
    /// Whole files deleted (including leftovers of an interrupted purge).
    pub files_removed: u64,
    /// Files rewritten to start at the anchor.
    pub files_rewritten: u64,
    /// The seq of the `purge` line appended.
    pub purge_seq: u64,
}

/// Removes the records older than `older_than` from the log in `dir`.
/// See [`purge_before`].
///
/// # Errors
///
/// As [`purge_before`].
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use hush_audit::{purge, AuditConfig, AuditLog, CallRecord, SigningKey};
///
/// let dir = tempfile::tempdir()?;
/// let logs = dir.path().join("audit");
/// let key_path = dir.path().join("k");
/// let log = AuditLog::open(AuditConfig::files(&logs, &key_path))?;
/// log.append_blocking(CallRecord::default())?;
/// log.close()?;
/// let key = SigningKey::load(&key_path)?;
/// let r = purge(&logs, Duration::from_secs(365 * 86_400), &key)?;
/// assert_eq!(r.removed, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn purge(
    dir: &Path,
    older_than: Duration,
    key: &SigningKey,
) -> Result<PurgeReport, AuditError> {
    let ms = i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX);
    purge_before(dir, now_ms().saturating_sub(ms), key)
}

/// The position of a line found while scanning for the cutoff.
struct Cut {
    file: usize,
    offset: u64,
    first_in_file: bool,
}

/// Removes every line timestamped before `cutoff_ms` (Unix
/// milliseconds) from the log in `dir`, which must not be open by a
/// writer.
///
/// The log is verified first (with the key's public half) and a log that
/// does not verify is left alone: signing an anchor over it would vouch
/// for the damage.
///
/// # Errors
///
/// [`AuditError::Locked`] when a writer holds the log,
/// [`AuditError::Unverified`] when it does not verify, I/O errors.
///
/// # Example
///
/// ```
/// use hush_audit::{purge_before, verify, AuditConfig, AuditLog, CallRecord, SigningKey};
///
/// let dir = tempfile::tempdir()?;
/// let logs = dir.path().join("audit");
/// let key_path = dir.path().join("k");
/// let log = AuditLog::open(AuditConfig::files(&logs, &key_path))?;
/// log.append_blocking(CallRecord::default())?;
/// log.close()?;
/// let key = SigningKey::load(&key_path)?;
/// let r = purge_before(&logs, i64::MAX, &key)?;
/// assert!(r.removed > 0);
/// let report = verify(&logs, Some(&key.public_key()))?;
/// assert!(report.is_ok(), "{report}");
/// assert_eq!(report.calls, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn purge_before(
    dir: &Path,
    cutoff_ms: i64,
    key: &SigningKey,
) -> Result<PurgeReport, AuditError> {
    let lock = files::lock(dir)?;
    let public = key.public_key();
    let report = verify(dir, Some(&public))?;
    if let Some(p) = &report.problem {
        return Err(AuditError::Unverified(p.to_string()));
    }
    let mut out =
        PurgeReport { cutoff: format_ts(cutoff_ms), ..PurgeReport::default() };
    // Finish an interrupted purge: drop files before the anchored one.
    let all = files::list(dir)?;
    let mut start = 0;
    for (i, f) in all.iter().enumerate().skip(1) {
        if let Some(first) = files::first_line(f)? {
            if line::parse(&first).is_ok_and(|e| e.kind == b"anchor") {
                start = i;
            }
        }
    }
    for f in &all[..start] {
        remove(f)?;
        out.files_removed += 1;
    }
    let list: Vec<PathBuf> = all[start..].to_vec();

    // Find the last line before the cutoff and the first line kept.
    let mut first_seq = None;
    let mut old_anchor: Option<Anchor> = None;
    let mut last_removed: Option<(Vec<u8>, usize)> = None;
    let mut keep: Option<Cut> = None;
    'files: for (i, f) in list.iter().enumerate() {
        let file =
            File::open(f).map_err(|e| AuditError::io(f, "cannot open", e))?;
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut buf = Vec::new();
        let mut offset = 0u64;
        let mut first_in_file = true;
        loop {
            buf.clear();
            let n = r
                .read_until(b'\n', &mut buf)
                .map_err(|e| AuditError::io(f, "cannot read", e))?;
            if n == 0 || !buf.ends_with(b"\n") {
                break;
            }
            let raw = &buf[..n - 1];
            let env =
                line::parse(raw).map_err(|w| AuditError::corrupt(f, 0, w))?;
            first_seq.get_or_insert(env.seq);
            if env.kind == b"anchor" {
                if let Ok(Entry::Anchor(a)) = serde_json::from_slice(raw) {
                    old_anchor = Some(a);
                }
            }
            if env.ts_ms >= cutoff_ms {
                keep = Some(Cut { file: i, offset, first_in_file });
                break 'files;
            }
            last_removed = Some((raw.to_vec(), i));
            offset += n as u64;
            first_in_file = false;
        }
    }
    let first_seq = first_seq.unwrap_or(0);
    let Some((removed_raw, removed_file)) = last_removed else {
        return finish(dir, key, lock, out, None);
    };
    let env = line::parse(&removed_raw)
        .map_err(|w| AuditError::corrupt(&list[removed_file], 0, w))?;
    if env.kind == b"anchor" {
        // Only the old anchor is older than the cutoff: nothing to do.
        return finish(dir, key, lock, out, None);
    }
    let r = env.seq;
    let removed_from = old_anchor.map_or(first_seq, |a| a.removed_from);
    let removed_count = r - removed_from + 1;
    let ts = String::from_utf8_lossy(env.ts).into_owned();
    let msg = anchor_message(
        r,
        &ts,
        &to_hex(&env.prev),
        &to_hex(&env.hash),
        removed_from,
        removed_count,
    );
    let anchor = Entry::Anchor(Anchor {
        removed_from,
        removed_count,
        key_id: public.key_id(),
        sig: key.sign_hex(&msg),
    });
    let body = serde_json::to_vec(&anchor)
        .map_err(|e| AuditError::WriteFailed(e.to_string()))?;
    let mut first = Vec::new();
    line::encode(&mut first, r, &ts, &env.prev, &body, Some(env.hash));

    // Write the new first file: the anchor, then the kept lines of the
    // file holding the cutoff (unless they start that file).
    let name = files::file_name(r);
    let tmp = dir.join(format!("{name}.tmp"));
    let dest = dir.join(&name);
    let write = || -> std::io::Result<bool> {
        let mut f = File::create(&tmp)?;
        f.write_all(&first)?;
        let mut rewritten = false;
        if let Some(c) = keep.as_ref().filter(|c| !c.first_in_file) {
            let mut src = File::open(&list[c.file])?;
            std::io::Seek::seek(&mut src, std::io::SeekFrom::Start(c.offset))?;
            std::io::copy(&mut src, &mut f)?;
            rewritten = true;
        }
        f.sync_all()?;
        fs::rename(&tmp, &dest)?;
        Ok(rewritten)
    };
    let rewritten =
        write().map_err(|e| AuditError::io(&dest, "cannot write", e))?;
    files::sync_dir(dir);
    out.files_rewritten = u64::from(rewritten);
    // Every file before the new first file is now superseded.
    for f in list.iter().filter(|f| **f < dest) {
        remove(f)?;
        out.files_removed += 1;
    }
    files::sync_dir(dir);
    out.removed = r - first_seq + 1;
    out.removed_to = Some(r);
    let record = PurgeRecord {
        cutoff: out.cutoff.clone(),
        removed_from: first_seq,
        removed_to: Some(r),
        removed_count: out.removed,
        files_removed: out.files_removed,
        files_rewritten: out.files_rewritten,
    };
    finish(dir, key, lock, out, Some(record))
}

fn remove(f: &Path) -> Result<(), AuditError> {
    fs::remove_file(f).map_err(|e| AuditError::io(f, "cannot remove", e))
}

/// Appends the `purge` line and a final checkpoint.
fn finish(
    dir: &Path,
    key: &SigningKey,
    lock: File,
    mut out: PurgeReport,
    record: Option<PurgeRecord>,
) -> Result<PurgeReport, AuditError> {
    let record = record.unwrap_or_else(|| PurgeRecord {
        cutoff: out.cutoff.clone(),
        removed_from: 0,
        removed_to: None,
        removed_count: 0,
        files_removed: out.files_removed,
        files_rewritten: 0,
    });
    let mut w = Writer::open_locked(dir, key.clone(), lock)?;
    let (seq, _) = w.stage_entry(&Entry::Purge(record))?;
    w.commit()?;
    w.finish()?;
    out.purge_seq = seq;
    Ok(out)
}
