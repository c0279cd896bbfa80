//! Search: stream the call records of a log that match a filter, one
//! line at a time, so that a gigabyte of log never sits in memory.
//!
//! Time bounds are checked on the envelope before a record is parsed,
//! and whole files are skipped when the next file starts before `from`
//! (timestamps never decrease along the chain).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::error::AuditError;
use crate::files;
use crate::line;
use crate::record::{CallRecord, Entry};

/// Which call records [`search`] yields. Every field set must match.
///
/// # Example
///
/// ```
/// use hush_audit::{parse_time, DayEnd, Filter};
///
/// let f = Filter {
///     from: Some(parse_time("2026-11-01", DayEnd::Start)?),
///     model: Some("claude-sonnet-4-5".into()),
///     ..Filter::default()
/// };
/// assert!(f.to.is_none());
/// # Ok::<(), hush_audit::AuditError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Written at or after this time (Unix milliseconds).
    pub from: Option<i64>,
    /// Written before this time (Unix milliseconds, exclusive).
    pub to: Option<i64>,
    /// This client key id.
    pub key_id: Option<String>,
    /// This model.
    pub model: Option<String>,
    /// This HTTP status.
    pub status: Option<u16>,
    /// A status class: 4 for 4xx, 5 for 5xx.
    pub status_class: Option<u16>,
    /// This endpoint, e.g. `/v1/messages`.
    pub endpoint: Option<String>,
}

impl Filter {
    fn matches(&self, r: &CallRecord) -> bool {
        self.key_id.as_ref().is_none_or(|k| r.key_id.as_ref() == Some(k))
            && self.model.as_ref().is_none_or(|m| r.model.as_ref() == Some(m))
            && self.status.is_none_or(|s| r.status == s)
            && self.status_class.is_none_or(|c| r.status / 100 == c)
            && self.endpoint.as_ref().is_none_or(|e| &r.endpoint == e)
    }
}

/// One matching call record.
///
/// # Example
///
/// ```
/// let hit = hush_audit::Hit {
///     seq: 1,
///     ts: "2026-11-01T00:00:00.000Z".into(),
///     record: hush_audit::CallRecord::default(),
///     line: String::new(),
/// };
/// assert_eq!(hit.seq, 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The line's seq.
    pub seq: u64,
    /// The line's time.
    pub ts: String,
    /// The record.
    pub record: CallRecord,
    /// The whole line as stored (without its newline): print this to
    /// keep the hash and chain fields.
    pub line: String,
}

/// The iterator [`search`] returns.
#[derive(Debug)]
pub struct Search {
    filter: Filter,
    files: VecDeque<PathBuf>,
    current: Option<(PathBuf, BufReader<File>, u64)>,
    buf: Vec<u8>,
    done: bool,
}

/// Streams the call records of a log (a directory or one file) that
/// match `filter`, in chain order.
///
/// Lines that are not call records are skipped; an incomplete last line
/// is ignored. A line that cannot be read is yielded as an error (run
/// [`verify`](crate::verify) to find out more) and the search goes on.
///
/// # Errors
///
/// When the path cannot be read or holds no log files.
///
/// # Example
///
/// ```
/// use hush_audit::{search, AuditConfig, AuditLog, CallRecord, Filter};
///
/// let dir = tempfile::tempdir()?;
/// let logs = dir.path().join("audit");
/// let log = AuditLog::open(AuditConfig::files(&logs, dir.path().join("k")))?;
/// for status in [200, 429, 200] {
///     log.append_blocking(CallRecord { status, ..CallRecord::default() })?;
/// }
/// log.close()?;
/// let f = Filter { status: Some(429), ..Filter::default() };
/// assert_eq!(search(&logs, &f)?.count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn search(path: &Path, filter: &Filter) -> Result<Search, AuditError> {
    let (_, list) = files::resolve(path)?;
    let mut firsts = Vec::with_capacity(list.len());
    for f in &list {
        let ts = files::first_line(f)?
            .and_then(|l| line::parse(&l).ok().map(|e| e.ts_ms));
        firsts.push(ts);
    }
    let mut keep = VecDeque::new();
    for (i, f) in list.iter().enumerate() {
        let next_first = firsts.get(i + 1).copied().flatten();
        if let (Some(from), Some(next)) = (filter.from, next_first) {
            if next < from {
                continue;
            }
        }
        if let (Some(to), Some(first)) = (filter.to, firsts[i]) {
            if first >= to {
                break;
            }
        }
        keep.push_back(f.clone());
    }
    Ok(Search {
        filter: filter.clone(),
        files: keep,
        current: None,
        buf: Vec::new(),
        done: false,
    })
}

impl Iterator for Search {
    type Item = Result<Hit, AuditError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let Some((path, reader, lineno)) = &mut self.current else {
                let path = self.files.pop_front()?;
                match File::open(&path) {
                    Ok(f) => {
                        let r = BufReader::with_capacity(1 << 20, f);
                        self.current = Some((path, r, 0));
                    }
                    Err(e) => {
                        return Some(Err(AuditError::io(
                            &path,
                            "cannot open",
                            e,
                        )))
                    }
                }
                continue;
            };
            self.buf.clear();
            let n = match reader.read_until(b'\n', &mut self.buf) {
                Ok(n) => n,
                Err(e) => {
                    let err = AuditError::io(path, "cannot read", e);
                    self.current = None;
                    return Some(Err(err));
                }
            };
            if n == 0 || !self.buf.ends_with(b"\n") {
                self.current = None;
                continue;
            }
            *lineno += 1;
            let raw = &self.buf[..n - 1];
            let env = match line::parse(raw) {
                Ok(e) => e,
                Err(w) => {
                    return Some(Err(AuditError::corrupt(path, *lineno, w)))
                }
            };
            if self.filter.to.is_some_and(|to| env.ts_ms >= to) {
                self.done = true;
                return None;
            }
            if env.kind != b"call"
                || self.filter.from.is_some_and(|from| env.ts_ms < from)
            {
                continue;
            }
            let record = match serde_json::from_slice::<Entry>(raw) {
                Ok(Entry::Call(r)) => r,
                _ => {
                    return Some(Err(AuditError::corrupt(
                        path,
                        *lineno,
                        "malformed call record",
                    )))
                }
            };
            if !self.filter.matches(&record) {
                continue;
            }
            let ts = String::from_utf8_lossy(env.ts).into_owned();
            let line = String::from_utf8_lossy(raw).into_owned();
            return Some(Ok(Hit { seq: env.seq, ts, record, line }));
        }
        None
    }
}
