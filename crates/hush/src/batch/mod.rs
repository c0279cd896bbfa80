//! Batch sanitisation of datasets: JSONL, CSV/TSV and text files, alone or
//! in a directory tree, in parallel, with output that does not depend on
//! the number of threads.
//!
//! A file is cut into blocks of whole records. Worker threads parse the
//! records, scan the selected text and look up the pseudonyms of values
//! the vault already knows; values it does not know yet are left to one
//! writer thread, which takes the blocks in input order, stores the new
//! mappings (one vault write per block), splices the pseudonyms in and
//! writes. New mappings are therefore created in input order, exactly as
//! a one-thread run (or `hush redact` over the same records) would
//! create them, so every pseudonym, collision codes included, is the same
//! whatever the thread count.
//!
//! Only the bytes of redacted values change: other fields, numbers, key
//! order, white space and quoting are copied as they were. Output goes to
//! a temporary name and is renamed into place at the end, so a crash or
//! an interrupt never leaves a partial output that looks complete.

mod csv;
mod json;
mod parquet;

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use hush_detect::Kind;

use crate::redactor::Redactor;

pub use self::json::FieldSet;

/// Target size of a block of records handed to a worker.
const BLOCK: usize = 256 * 1024;

/// A text file larger than this is redacted as a stream by the writer
/// rather than read whole by a worker.
const TEXT_WHOLE_MAX: u64 = 64 << 20;

/// An input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON document per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// Plain text or Markdown, redacted whole.
    Text,
    /// Apache Parquet: top-level string columns.
    Parquet,
}

impl Format {
    /// The format a file name implies: `.jsonl`/`.ndjson`, `.csv`,
    /// `.tsv`, `.txt`/`.md`/`.markdown`/`.text`, `.parquet`.
    ///
    /// ```
    /// use hush::batch::Format;
    /// assert_eq!(Format::from_path("a/chats.jsonl".as_ref()), Some(Format::Jsonl));
    /// assert_eq!(Format::from_path("notes.md".as_ref()), Some(Format::Text));
    /// assert_eq!(Format::from_path("image.png".as_ref()), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::parse(&ext)
    }

    /// Parses a format name (`jsonl`, `csv`, `tsv`, `text`, `parquet`,
    /// or an extension).
    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "jsonl" | "ndjson" => Format::Jsonl,
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "txt" | "text" | "md" | "markdown" => Format::Text,
            "parquet" => Format::Parquet,
            _ => return None,
        })
    }
}

/// What to do with a record that cannot be parsed (malformed JSON, a bad
/// CSV row, invalid UTF-8 in a CSV field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Stop with an error naming the record (the default).
    #[default]
    Fail,
    /// Leave the record out of the output; it is counted and listed in
    /// the report.
    Skip,
    /// Keep the record, redacted as plain text (bytes that are not UTF-8
    /// become U+FFFD); counted and listed in the report.
    Keep,
}

/// Options of a batch run.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Which JSON fields (or CSV columns, by name) to redact.
    pub fields: FieldSet,
    /// CSV/TSV columns to redact, by header name (all when empty).
    pub columns: Vec<String>,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// What to do with a bad record.
    pub on_error: OnError,
    /// Report only; write nothing.
    pub dry_run: bool,
    /// The format of every input file, instead of its extension.
    pub format: Option<Format>,
}

impl Default for BatchOptions {
    fn default() -> BatchOptions {
        BatchOptions {
            fields: FieldSet::all(),
            columns: Vec::new(),
            threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get()),
            on_error: OnError::Fail,
            dry_run: false,
            format: None,
        }
    }
}

/// A record that could not be parsed.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RecordError {
    /// The file, relative to the input.
    pub file: String,
    /// The record's line number (JSONL) or record number (CSV, header
    /// = 1), 1-based.
    pub record: u64,
    /// What is wrong. Never quotes the record.
    pub message: String,
}

/// What a batch run did. Counts and names only, never values.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BatchReport {
    /// Files redacted.
    pub files: u64,
    /// Input files left out (unknown format), relative to the input.
    pub files_skipped: Vec<String>,
    /// Records read.
    pub records_in: u64,
    /// Records written.
    pub records_out: u64,
    /// Bad records left out (`--on-error skip`).
    pub records_skipped: u64,
    /// Bad records kept as plain text (`--on-error keep`).
    pub records_kept: u64,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes written (or that would be, with `dry_run`).
    pub bytes_out: u64,
    /// Values replaced, per field (dotted JSON path, CSV column, or
    /// `text`) and kind.
    pub findings: BTreeMap<String, BTreeMap<&'static str, u64>>,
    /// Bad records.
    pub errors: Vec<RecordError>,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl BatchReport {
    /// All findings, whatever the field.
    pub fn total_findings(&self) -> u64 {
        self.findings.values().flat_map(|k| k.values()).sum()
    }
}

/// Why a batch run stopped.
#[derive(Debug)]
pub enum BatchError {
    /// Reading or writing a file failed.
    Io(PathBuf, io::Error),
    /// A bad record with `OnError::Fail`.
    Record(RecordError),
    /// The vault failed (nothing more was written).
    Vault(crate::Error),
    /// The arguments do not fit the input.
    Usage(String),
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            BatchError::Record(r) => {
                write!(f, "{}: record {}: {}", r.file, r.record, r.message)
            }
            BatchError::Vault(e) => write!(f, "{e}"),
            BatchError::Usage(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for BatchError {}

/// A batch job over one redactor (one vault scope for the whole batch).
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use hush::{Key, Policy, Redactor, Scanner, Vault};
/// use hush::batch::{Batch, BatchOptions, FieldSet};
///
/// let dir = tempfile::tempdir()?;
/// let input = dir.path().join("in.jsonl");
/// std::fs::write(&input, "{\"id\": 7, \"text\": \"mail a@b.io\"}\n")?;
/// let r = Redactor::new(
///     Arc::new(Scanner::new()?),
///     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
/// );
/// let opts = BatchOptions { fields: FieldSet::parse(&["text"])?, ..Default::default() };
/// let out = dir.path().join("out.jsonl");
/// let report = Batch::new(&r, opts).run(&input, Some(&out))?;
/// let written = std::fs::read_to_string(&out)?;
/// assert!(written.starts_with("{\"id\": 7, \"text\": \"mail [[EMAIL-"));
/// assert_eq!(report.findings["text"]["EMAIL"], 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Batch<'r> {
    red: &'r Redactor,
    opts: BatchOptions,
    progress: Option<&'r (dyn Fn(u64, u64) + Sync)>,
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

/// A value found in a piece of text, with its pseudonym if the vault
/// already knew it.
struct Find {
    range: Range<usize>,
    kind: Kind,
    value: String,
    pseudonym: Option<String>,
}

/// How a redacted field is written back.
#[derive(Clone, Copy)]
enum Encoding {
    Json,
    Csv { quoted: bool, delim: u8 },
    Raw,
}

/// A piece of an output record.
enum Piece {
    /// Bytes of the input block, unchanged.
    Raw(Range<usize>),
    /// A field with findings.
    Field { text: Vec<u8>, finds: Vec<Find>, enc: Encoding, field: String },
}

enum RecordOut {
    /// Finished by the worker: this range of the block's output bytes.
    Done(Range<usize>),
    /// Holds values the vault does not know yet: the writer stores them
    /// (in input order) and assembles the record.
    Pending(Vec<Piece>),
    /// A bad record, with its pieces if it is to be kept.
    Bad(String, Option<Vec<Piece>>),
}

/// What a worker hands the writer for one block.
struct BlockOut {
    /// Finished records, back to back.
    bytes: Vec<u8>,
    records: Vec<RecordOut>,
    /// Values replaced in the finished records, per field and kind.
    counts: Counts,
}

type Counts = BTreeMap<String, BTreeMap<&'static str, u64>>;

/// A parsed record: its pieces, or why it is bad (and its pieces when it
/// is to be kept as plain text).
type Parsed = Result<Vec<Piece>, (String, Option<Vec<Piece>>)>;

/// A worker's handle on the vault, with the pseudonyms it has already
/// looked up (mappings do not change during a batch), so that repeated
/// values do not take the vault lock again.
struct Lookup<'v> {
    scope: hush_vault::Scope<'v>,
    /// Per kind (by position in `Kind::ALL`): value -> pseudonym.
    known: Vec<HashMap<Box<str>, String>>,
    /// Scratch space for the scanner's findings.
    found: Vec<hush_detect::Finding>,
}

/// How many pseudonyms per kind a worker remembers before starting
/// afresh.
const LOOKUP_CACHE: usize = 1 << 16;

impl Lookup<'_> {
    fn get(&mut self, kind: Kind, value: &str) -> Option<String> {
        // `Kind` is a fieldless enum declared in the order of `Kind::ALL`.
        let k = kind as usize;
        if let Some(p) = self.known[k].get(value) {
            return Some(p.clone());
        }
        let p = self.scope.lookup(kind, value)?;
        let map = &mut self.known[k];
        if map.len() >= LOOKUP_CACHE {
            map.clear();
        }
        map.insert(value.into(), p.clone());
        Some(p)
    }
}

/// A block of whole records of one file.
struct Job {
    seq: u64,
    first_record: u64,
    data: Vec<u8>,
    records: Vec<Range<usize>>,
}

impl<'r> Batch<'r> {
    /// A batch job.
    pub fn new(red: &'r Redactor, opts: BatchOptions) -> Batch<'r> {
        Batch { red, opts, progress: None }
    }

    /// Calls `progress(bytes, records)` as blocks are written.
    pub fn with_progress(
        mut self,
        progress: &'r (dyn Fn(u64, u64) + Sync),
    ) -> Batch<'r> {
        self.progress = Some(progress);
        self
    }

    /// Redacts `input` (a file or a directory tree) into `output` (a file,
    /// or a directory that mirrors the tree, which must not exist yet).
    /// With `dry_run` (or no output) nothing is written.
    ///
    /// # Errors
    ///
    /// See [`BatchError`]. On error the output is not created.
    pub fn run(
        &self,
        input: &Path,
        output: Option<&Path>,
    ) -> Result<BatchReport, BatchError> {
        let start = Instant::now();
        let mut report = BatchReport::default();
        let output = if self.opts.dry_run { None } else { output };
        let meta = fs::metadata(input)
            .map_err(|e| BatchError::Io(input.into(), e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(input, &mut files)
                .map_err(|e| BatchError::Io(input.into(), e))?;
            files.sort();
            let tmp = match output {
                Some(out) => {
                    if out.exists() {
                        return Err(BatchError::Usage(format!(
                            "{}: exists; give a new directory for the output tree",
                            out.display()
                        )));
                    }
                    let tmp = partial_name(out);
                    let _ = fs::remove_dir_all(&tmp);
                    fs::create_dir_all(&tmp)
                        .map_err(|e| BatchError::Io(tmp.clone(), e))?;
                    Some(tmp)
                }
                None => None,
            };
            let result = (|| {
                for file in &files {
                    let rel = file.strip_prefix(input).unwrap_or(file);
                    let name = rel.display().to_string();
                    let Some(format) =
                        self.opts.format.or_else(|| Format::from_path(file))
                    else {
                        report.files_skipped.push(name);
                        continue;
                    };
                    let dest = tmp.as_ref().map(|t| t.join(rel));
                    if let Some(d) = dest.as_ref().and_then(|d| d.parent()) {
                        fs::create_dir_all(d)
                            .map_err(|e| BatchError::Io(d.into(), e))?;
                    }
                    self.file(
                        file,
                        &name,
                        format,
                        dest.as_deref(),
                        &mut report,
                    )?;
                }
                Ok(())
            })();
            if let Err(e) = result {
                if let Some(t) = &tmp {
                    let _ = fs::remove_dir_all(t);
                }
                return Err(e);
            }
            if let (Some(t), Some(out)) = (tmp, output) {
                fs::rename(&t, out)
                    .map_err(|e| BatchError::Io(out.into(), e))?;
            }
        } else {
            let name = input.file_name().map_or_else(
                || input.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let format = self.opts.format.or_else(|| Format::from_path(input)).ok_or_else(|| {
                BatchError::Usage(format!(
                    "{}: unknown format; name it with --format jsonl|csv|tsv|text|parquet",
                    input.display()
                ))
            })?;
            let tmp = output.map(partial_name);
            let r =
                self.file(input, &name, format, tmp.as_deref(), &mut report);
            match (r, tmp, output) {
                (Err(e), tmp, _) => {
                    if let Some(t) = tmp {
                        let _ = fs::remove_file(t);
                    }
                    return Err(e);
                }
                (Ok(()), Some(t), Some(out)) => {
                    fs::rename(&t, out)
                        .map_err(|e| BatchError::Io(out.into(), e))?;
                }
                _ => {}
            }
        }
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Redacts one file into `dest` (None: count only).
    fn file(
        &self,
        path: &Path,
        name: &str,
        format: Format,
        dest: Option<&Path>,
        report: &mut BatchReport,
    ) -> Result<(), BatchError> {
        let io_err = |e| BatchError::Io(path.into(), e);
        if format == Format::Parquet {
            report.files += 1;
            self.parquet_file(path, name, dest, report)?;
            if let Some(d) = dest {
                File::open(d)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| BatchError::Io(d.into(), e))?;
            }
            return Ok(());
        }
        let mut sink: Box<dyn Write> = match dest {
            // Small: blocks are written whole, and a write larger than
            // the buffer goes straight to the file without a copy.
            Some(d) => Box::new(BufWriter::with_capacity(
                64 * 1024,
                File::create(d).map_err(|e| BatchError::Io(d.into(), e))?,
            )),
            None => Box::new(io::sink()),
        };
        report.files += 1;
        match format {
            Format::Text => self.text_file(path, name, &mut sink, report)?,
            // Written above, without a byte sink.
            Format::Parquet => {}
            Format::Jsonl => {
                self.records(path, name, Parser::Jsonl, &mut sink, report)?
            }
            Format::Csv | Format::Tsv => {
                let delim = if format == Format::Csv { b',' } else { b'\t' };
                self.records(
                    path,
                    name,
                    Parser::Csv { delim },
                    &mut sink,
                    report,
                )?
            }
        }
        sink.flush().map_err(io_err)?;
        if let Some(d) = dest {
            // The data is durable before the rename makes it visible.
            File::open(d)
                .and_then(|f| f.sync_all())
                .map_err(|e| BatchError::Io(d.into(), e))?;
        }
        Ok(())
    }

    fn text_file(
        &self,
        path: &Path,
        name: &str,
        sink: &mut dyn Write,
        report: &mut BatchReport,
    ) -> Result<(), BatchError> {
        let io_err = |e| BatchError::Io(path.into(), e);
        let len = fs::metadata(path).map_err(io_err)?.len();
        report.records_in += 1;
        report.records_out += 1;
        if len > TEXT_WHOLE_MAX {
            // Too big to hold: stream it (in input order, in this thread).
            let mut f = File::open(path).map_err(io_err)?;
            let mut s = self.red.redact_stream();
            let mut buf = vec![0u8; 1 << 20];
            let mut out = Vec::new();
            loop {
                let n = f.read(&mut buf).map_err(io_err)?;
                out.clear();
                if n == 0 {
                    s.finish(&mut out).map_err(BatchError::Vault)?;
                } else {
                    s.push(&buf[..n], &mut out).map_err(BatchError::Vault)?;
                }
                sink.write_all(&out).map_err(io_err)?;
                if n == 0 {
                    break;
                }
            }
            let r = s.report();
            report.bytes_in += r.bytes_in;
            report.bytes_out += r.bytes_out;
            let counts = report.findings.entry("text".into()).or_default();
            for (k, n) in &r.kinds {
                *counts.entry(k).or_insert(0) += n;
            }
            return Ok(());
        }
        let data = fs::read(path).map_err(io_err)?;
        let job = Job {
            seq: 0,
            first_record: 1,
            records: std::iter::once(0..data.len()).collect(),
            data,
        };
        let mut lookup = self.lookup();
        let piece = self.text_piece(&job.data, 0..job.data.len(), &mut lookup);
        let out = self.finish(&job, vec![Ok(vec![piece])]);
        self.write_block(&job, out, name, sink, report, path)
    }

    /// A whole run of bytes redacted as text.
    fn text_piece(
        &self,
        data: &[u8],
        range: Range<usize>,
        lookup: &mut Lookup<'_>,
    ) -> Piece {
        let bytes = &data[range.clone()];
        let finds = self.finds(bytes, lookup);
        if finds.is_empty() {
            Piece::Raw(range)
        } else {
            Piece::Field {
                text: bytes.to_vec(),
                finds,
                enc: Encoding::Raw,
                field: "text".into(),
            }
        }
    }

    /// Scans `text` and looks up the pseudonyms the vault already has.
    fn finds(&self, text: &[u8], lookup: &mut Lookup<'_>) -> Vec<Find> {
        let mut found = std::mem::take(&mut lookup.found);
        self.red.scanner().scan_into(text, &mut found);
        let finds = found
            .iter()
            .filter(|f| self.red.wants(f))
            .map(|f| {
                let value =
                    String::from_utf8_lossy(&text[f.range()]).into_owned();
                let pseudonym = lookup.get(f.kind, &value);
                Find { range: f.range(), kind: f.kind, value, pseudonym }
            })
            .collect();
        lookup.found = found;
        finds
    }

    fn lookup(&self) -> Lookup<'r> {
        Lookup {
            scope: self.red.scope(),
            known: vec![HashMap::new(); Kind::ALL.len()],
            found: Vec::new(),
        }
    }

    /// Turns a block's parsed records into what the writer needs:
    /// records whose pseudonyms are all known are assembled here.
    fn finish(&self, job: &Job, parsed: Vec<Parsed>) -> BlockOut {
        let mut out = BlockOut {
            bytes: Vec::with_capacity(job.data.len() + job.data.len() / 8),
            records: Vec::with_capacity(parsed.len()),
            counts: Counts::new(),
        };
        for p in parsed {
            match p {
                Ok(pieces) => {
                    let ready = pieces.iter().all(|p| match p {
                        Piece::Field { finds, .. } => {
                            finds.iter().all(|f| f.pseudonym.is_some())
                        }
                        Piece::Raw(_) => true,
                    });
                    if ready {
                        let start = out.bytes.len();
                        assemble(
                            &job.data,
                            &pieces,
                            &mut std::iter::empty(),
                            &mut out.bytes,
                            &mut out.counts,
                        );
                        out.records
                            .push(RecordOut::Done(start..out.bytes.len()));
                    } else {
                        out.records.push(RecordOut::Pending(pieces));
                    }
                }
                Err((message, keep)) => {
                    out.records.push(RecordOut::Bad(message, keep))
                }
            }
        }
        out
    }

    /// Redacts the records of a JSONL or CSV file, in parallel.
    fn records(
        &self,
        path: &Path,
        name: &str,
        parser: Parser,
        sink: &mut dyn Write,
        report: &mut BatchReport,
    ) -> Result<(), BatchError> {
        let io_err = |e| BatchError::Io(path.into(), e);
        let mut file = File::open(path).map_err(io_err)?;
        // CSV: the header row is copied, and names the columns.
        let mut carry = Vec::new();
        let mut columns: Option<Columns> = None;
        let mut first_record = 1;
        if let Parser::Csv { delim } = parser {
            let end = loop {
                if let Some(end) = csv::record_end(&carry, 0) {
                    break end;
                }
                let mut buf = vec![0u8; 64 * 1024];
                let n = file.read(&mut buf).map_err(io_err)?;
                if n == 0 {
                    break carry.len();
                }
                carry.extend_from_slice(&buf[..n]);
            };
            let header = csv::strip_line_end(&carry[..end]);
            let names: Vec<String> = csv::fields(header, delim)
                .and_then(|fs| {
                    fs.iter().map(|f| csv::decode(header, f)).collect()
                })
                .map_err(|m| {
                    BatchError::Record(RecordError {
                        file: name.into(),
                        record: 1,
                        message: m,
                    })
                })?;
            for want in &self.opts.columns {
                if !names.iter().any(|n| n == want) {
                    return Err(BatchError::Usage(format!(
                        "{name}: no column named {want:?}"
                    )));
                }
            }
            let selected = names
                .iter()
                .map(|n| {
                    self.opts.columns.is_empty()
                        || self.opts.columns.contains(n)
                })
                .collect();
            columns = Some(Columns { names, selected });
            sink.write_all(&carry[..end]).map_err(io_err)?;
            report.bytes_in += end as u64;
            report.bytes_out += end as u64;
            carry.drain(..end);
            first_record = 2;
        }
        let columns = columns.as_ref();
        let threads = self.opts.threads.max(1);
        let (job_tx, job_rx) = crossbeam_channel::bounded::<Job>(threads * 4);
        let (done_tx, done_rx) =
            crossbeam_channel::bounded::<(Job, BlockOut)>(threads * 4);
        std::thread::scope(|s| -> Result<(), BatchError> {
            // Reader: blocks of whole records.
            let reader = s.spawn(move || -> io::Result<()> {
                let mut seq = 0;
                let mut record = first_record;
                let mut buf = carry;
                let mut eof = false;
                while !eof || !buf.is_empty() {
                    while !eof && buf.len() < BLOCK {
                        // `take` + `read_to_end` reads into spare capacity
                        // without zeroing it first.
                        let n = (&mut file)
                            .take(BLOCK as u64)
                            .read_to_end(&mut buf)?;
                        eof = n == 0;
                    }
                    let mut records = Vec::new();
                    let mut at = 0;
                    while at < buf.len() && (at < BLOCK || records.is_empty())
                    {
                        let end = match parser.record_end(&buf, at) {
                            Some(e) => e,
                            None if eof => buf.len(),
                            None => break,
                        };
                        records.push(at..end);
                        at = end;
                    }
                    if records.is_empty() {
                        // A record longer than what is read so far.
                        if eof {
                            break;
                        }
                        let n = (&mut file)
                            .take(BLOCK as u64)
                            .read_to_end(&mut buf)?;
                        eof = n == 0;
                        continue;
                    }
                    let rest = buf.split_off(at);
                    let n = records.len() as u64;
                    let job =
                        Job { seq, first_record: record, data: buf, records };
                    if job_tx.send(job).is_err() {
                        return Ok(());
                    }
                    seq += 1;
                    record += n;
                    buf = rest;
                }
                Ok(())
            });
            // Workers.
            for _ in 0..threads {
                let job_rx = job_rx.clone();
                let done_tx = done_tx.clone();
                s.spawn(move || {
                    let mut lookup = self.lookup();
                    for job in job_rx {
                        let parsed = job
                            .records
                            .iter()
                            .map(|r| {
                                self.record(
                                    &job.data,
                                    r.clone(),
                                    parser,
                                    columns,
                                    &mut lookup,
                                )
                            })
                            .collect();
                        let out = self.finish(&job, parsed);
                        if done_tx.send((job, out)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(job_rx);
            drop(done_tx);
            // Writer: in input order.
            let mut pending: HashMap<u64, (Job, BlockOut)> = HashMap::new();
            let mut next = 0;
            let mut result = Ok(());
            for (job, outs) in done_rx.iter() {
                pending.insert(job.seq, (job, outs));
                while let Some((job, outs)) = pending.remove(&next) {
                    if result.is_ok() {
                        result = self
                            .write_block(&job, outs, name, sink, report, path);
                    }
                    next += 1;
                }
                if result.is_err() {
                    break;
                }
            }
            // On error, dropping the receiver stops the workers and the
            // reader at their next send.
            drop(done_rx);
            let read = reader
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("reader panicked")));
            result?;
            read.map_err(io_err)
        })
    }

    /// Parses and scans one record of a block.
    fn record(
        &self,
        data: &[u8],
        range: Range<usize>,
        parser: Parser,
        columns: Option<&Columns>,
        lookup: &mut Lookup<'_>,
    ) -> Parsed {
        let line_end = {
            let rec = &data[range.clone()];
            rec.len() - csv::strip_line_end(rec).len()
        };
        let body = range.start..range.end - line_end;
        let rec = &data[body.clone()];
        if rec.iter().all(u8::is_ascii_whitespace) {
            return Ok(vec![Piece::Raw(range)]);
        }
        let parsed = match parser {
            Parser::Jsonl => self.json_record(data, body.clone(), lookup),
            Parser::Csv { delim } => match columns {
                Some(c) => {
                    self.csv_record(data, body.clone(), delim, c, lookup)
                }
                None => Err("no header row".into()),
            },
        };
        match parsed {
            Ok(mut pieces) => {
                pieces.push(Piece::Raw(body.end..range.end));
                Ok(pieces)
            }
            Err(message) => {
                let keep = (self.opts.on_error == OnError::Keep).then(|| {
                    vec![
                        self.text_piece(data, body.clone(), lookup),
                        Piece::Raw(body.end..range.end),
                    ]
                });
                Err((message, keep))
            }
        }
    }

    fn json_record(
        &self,
        data: &[u8],
        body: Range<usize>,
        lookup: &mut Lookup<'_>,
    ) -> Result<Vec<Piece>, String> {
        let rec = &data[body.clone()];
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(rec) {
            // serde_json's message names a column, never the content.
            return Err(format!("malformed JSON: {e}"));
        }
        let mut pieces = Vec::new();
        let mut last = body.start;
        for tok in json::selected_strings(rec, &self.opts.fields) {
            let span = body.start + tok.span.start..body.start + tok.span.end;
            let Some(text) = json::decode_string(&data[span.clone()]) else {
                return Err("a string is not valid".into());
            };
            let finds = self.finds(text.as_bytes(), lookup);
            if finds.is_empty() {
                continue;
            }
            pieces.push(Piece::Raw(last..span.start));
            pieces.push(Piece::Field {
                text: text.into_owned().into_bytes(),
                finds,
                enc: Encoding::Json,
                field: tok.field,
            });
            last = span.end;
        }
        pieces.push(Piece::Raw(last..body.end));
        Ok(pieces)
    }

    fn csv_record(
        &self,
        data: &[u8],
        body: Range<usize>,
        delim: u8,
        columns: &Columns,
        lookup: &mut Lookup<'_>,
    ) -> Result<Vec<Piece>, String> {
        let rec = &data[body.clone()];
        let fields = csv::fields(rec, delim)?;
        if fields.len() != columns.names.len() {
            return Err(format!(
                "{} fields where the header has {}",
                fields.len(),
                columns.names.len()
            ));
        }
        let mut pieces = Vec::new();
        let mut last = body.start;
        for (i, f) in fields.iter().enumerate() {
            if !columns.selected[i] {
                continue;
            }
            let text = csv::decode(rec, f)?;
            let finds = self.finds(text.as_bytes(), lookup);
            if finds.is_empty() {
                continue;
            }
            let span = body.start + f.raw.start..body.start + f.raw.end;
            pieces.push(Piece::Raw(last..span.start));
            pieces.push(Piece::Field {
                text: text.into_bytes(),
                finds,
                enc: Encoding::Csv { quoted: f.quoted, delim },
                field: columns.names[i].clone(),
            });
            last = span.end;
        }
        pieces.push(Piece::Raw(last..body.end));
        Ok(pieces)
    }

    /// Stores the block's new values (in order, one vault write),
    /// assembles the records that hold them, and writes the block.
    fn write_block(
        &self,
        job: &Job,
        mut out: BlockOut,
        name: &str,
        sink: &mut dyn Write,
        report: &mut BatchReport,
        path: &Path,
    ) -> Result<(), BatchError> {
        // Bad records first: fail, or count.
        for (i, rec) in out.records.iter_mut().enumerate() {
            if let RecordOut::Bad(message, keep) = rec {
                let err = RecordError {
                    file: name.into(),
                    record: job.first_record + i as u64,
                    message: message.clone(),
                };
                match self.opts.on_error {
                    OnError::Fail => return Err(BatchError::Record(err)),
                    OnError::Skip => report.records_skipped += 1,
                    OnError::Keep => report.records_kept += 1,
                }
                report.errors.push(err);
                if let Some(pieces) = keep.take() {
                    *rec = RecordOut::Pending(pieces);
                }
            }
        }
        // Values the vault did not know, in input order.
        let mut missing: Vec<(Kind, &str)> = Vec::new();
        for rec in &out.records {
            if let RecordOut::Pending(pieces) = rec {
                for p in pieces {
                    if let Piece::Field { finds, .. } = p {
                        for f in finds.iter().filter(|f| f.pseudonym.is_none())
                        {
                            missing.push((f.kind, &f.value));
                        }
                    }
                }
            }
        }
        let mut fresh = if missing.is_empty() {
            Vec::new()
        } else {
            self.red
                .scope()
                .pseudonymise_batch(&missing)
                .map_err(|e| BatchError::Vault(e.into()))?
        }
        .into_iter();
        let io_err = |e| BatchError::Io(path.into(), e);
        let mut written = 0u64;
        let mut records = 0u64;
        if out.records.iter().all(|r| matches!(r, RecordOut::Done(_))) {
            // The common case: the worker finished every record.
            sink.write_all(&out.bytes).map_err(io_err)?;
            written = out.bytes.len() as u64;
            records = out.records.len() as u64;
        } else {
            let mut bytes = Vec::new();
            for rec in &out.records {
                bytes.clear();
                let part: &[u8] = match rec {
                    RecordOut::Done(r) => &out.bytes[r.clone()],
                    RecordOut::Bad(..) => continue,
                    RecordOut::Pending(pieces) => {
                        assemble(
                            &job.data,
                            pieces,
                            &mut fresh,
                            &mut bytes,
                            &mut out.counts,
                        );
                        &bytes
                    }
                };
                sink.write_all(part).map_err(io_err)?;
                written += part.len() as u64;
                records += 1;
            }
        }
        for (field, kinds) in out.counts {
            let counts = report.findings.entry(field).or_default();
            for (k, n) in kinds {
                *counts.entry(k).or_insert(0) += n;
            }
        }
        report.records_in += job.records.len() as u64;
        report.records_out += records;
        report.bytes_in += job.data.len() as u64;
        report.bytes_out += written;
        if let Some(progress) = self.progress {
            progress(job.data.len() as u64, job.records.len() as u64);
        }
        Ok(())
    }
}

/// Writes a record's pieces to `out`: raw bytes of the block, and fields
/// with their findings replaced (known pseudonyms, else the next of
/// `fresh`), encoded for their format. Counts what it replaced.
fn assemble(
    data: &[u8],
    pieces: &[Piece],
    fresh: &mut dyn Iterator<Item = String>,
    out: &mut Vec<u8>,
    counts: &mut Counts,
) {
    for p in pieces {
        match p {
            Piece::Raw(r) => out.extend_from_slice(&data[r.clone()]),
            Piece::Field { text, finds, enc, field } => {
                let kinds = match counts.get_mut(field.as_str()) {
                    Some(k) => k,
                    None => counts.entry(field.clone()).or_default(),
                };
                let mut segments: Vec<&[u8]> =
                    Vec::with_capacity(2 * finds.len() + 1);
                let mut owned: Vec<String> = Vec::new();
                let mut last = 0;
                for f in finds {
                    segments.push(&text[last..f.range.start]);
                    if f.pseudonym.is_none() {
                        owned.push(fresh.next().unwrap_or_default());
                    }
                    last = f.range.end;
                    *kinds.entry(f.kind.as_str()).or_insert(0) += 1;
                }
                segments.push(&text[last..]);
                // Interleave text segments and pseudonyms.
                let mut fresh_owned = owned.iter();
                let mut parts: Vec<&[u8]> =
                    Vec::with_capacity(segments.len() + finds.len());
                for (i, seg) in segments.iter().enumerate() {
                    parts.push(seg);
                    if let Some(f) = finds.get(i) {
                        let p = match &f.pseudonym {
                            Some(p) => p.as_bytes(),
                            None => fresh_owned
                                .next()
                                .map_or(&b""[..], |p| p.as_bytes()),
                        };
                        parts.push(p);
                    }
                }
                encode(&parts, *enc, out);
            }
        }
    }
}

/// Writes the concatenation of `parts` encoded for its format. Parts of
/// JSON and CSV fields are UTF-8 (decoded strings and pseudonyms), so
/// escaping byte by byte keeps them valid.
fn encode(parts: &[&[u8]], enc: Encoding, out: &mut Vec<u8>) {
    match enc {
        Encoding::Raw => parts.iter().for_each(|p| out.extend_from_slice(p)),
        Encoding::Json => {
            out.push(b'"');
            for p in parts {
                json_escape(p, out);
            }
            out.push(b'"');
        }
        Encoding::Csv { quoted, delim } => {
            let needs = parts.iter().any(|p| {
                p.iter()
                    .any(|&b| b == delim || matches!(b, b'"' | b'\n' | b'\r'))
            });
            if quoted || needs {
                out.push(b'"');
                for p in parts {
                    for &b in *p {
                        if b == b'"' {
                            out.push(b'"');
                        }
                        out.push(b);
                    }
                }
                out.push(b'"');
            } else {
                parts.iter().for_each(|p| out.extend_from_slice(p));
            }
        }
    }
}

/// JSON string escaping of UTF-8 bytes: quotes, backslashes and control
/// characters; everything else as it is. Eight bytes at a time: most text
/// needs no escape at all.
fn json_escape(s: &[u8], out: &mut Vec<u8>) {
    let mut last = 0;
    let mut i = 0;
    while i < s.len() {
        if let Some(chunk) = s.get(i..i + 8) {
            let x = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            if !needs_escape(x) {
                i += 8;
                continue;
            }
        }
        let end = (i + 8).min(s.len());
        while i < end {
            let b = s[i];
            let esc: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => {
                    out.extend_from_slice(&s[last..i]);
                    out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                    i += 1;
                    last = i;
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            out.extend_from_slice(&s[last..i]);
            out.extend_from_slice(esc);
            i += 1;
            last = i;
        }
    }
    out.extend_from_slice(&s[last..]);
}

/// Whether any of the eight bytes in `x` is a control character, `"` or
/// `\\` (the classic "has zero byte" bit trick, applied three times).
#[inline]
fn needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    below_space
        | zero(x ^ (ONES * u64::from(b'"')))
        | zero(x ^ (ONES * u64::from(b'\\')))
        != 0
}

/// The columns of a CSV file: names from the header, and which to redact.
struct Columns {
    names: Vec<String>,
    selected: Vec<bool>,
}

#[derive(Clone, Copy)]
enum Parser {
    Jsonl,
    Csv { delim: u8 },
}

impl Parser {
    fn record_end(self, data: &[u8], start: usize) -> Option<usize> {
        match self {
            Parser::Jsonl => {
                memchr::memchr(b'\n', &data[start..]).map(|k| start + k + 1)
            }
            Parser::Csv { .. } => csv::record_end(data, start),
        }
    }
}

/// Every file under `dir`, recursively (symbolic links are not followed).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&entry.path(), out)?;
        } else if ty.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// The temporary name an output is written under until it is complete.
fn partial_name(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(format!(".hush-partial-{}", std::process::id()));
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn json_escape_round_trips(s in any::<String>()) {
            let mut out = vec![b'"'];
            json_escape(s.as_bytes(), &mut out);
            out.push(b'"');
            let back: String = serde_json::from_slice(&out).unwrap();
            prop_assert_eq!(back, s);
        }

        #[test]
        fn needs_escape_is_exact(bytes in proptest::array::uniform8(any::<u8>())) {
            let want = bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
            prop_assert_eq!(needs_escape(u64::from_le_bytes(bytes)), want);
        }
    }
}
