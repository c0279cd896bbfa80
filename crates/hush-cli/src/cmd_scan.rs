//! `hush scan`: wires inputs (files, standard input; plain text or JSONL
//! records) through the scanner to a printer, and decides the exit
//! status.
//!
//! Policy lives here, mechanism elsewhere: [`crate::stream`] scans in
//! fixed memory, [`crate::records`] extracts record fields,
//! [`crate::output`] formats. This module chooses what to show (filters,
//! masking), reports per-input errors without stopping, and treats a
//! closed output pipe as a normal way to stop.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use hush_detect::{mask, Finding, Kind, Scanner};

use crate::args::{ColorChoice, Format, InputMode, ScanArgs};
use crate::output::{
    round3, Printer, RecordFinding, RecordReport, Report, Summary,
};
use crate::records::FieldPath;
use crate::stream::{count_chars, StreamError, StreamScanner};

/// The name shown for standard input.
const STDIN_NAME: &str = "<stdin>";

/// Runs `hush scan`.
///
/// # Errors
///
/// Setup errors (rule files, incompatible options) and output errors
/// other than a closed pipe. Errors reading one input are reported on
/// standard error and reflected in the exit status instead.
pub fn run(
    args: &ScanArgs,
    quiet: bool,
    color: ColorChoice,
) -> anyhow::Result<ExitCode> {
    let record_mode = args.input == InputMode::Jsonl;
    let format = args.format.unwrap_or(if record_mode {
        Format::Jsonl
    } else {
        Format::Human
    });
    if record_mode && !matches!(format, Format::Jsonl | Format::Human) {
        bail!("--input jsonl writes --format jsonl or human only");
    }
    // Every rule runs even with --kinds: overlap resolution must see all
    // candidates (a MAC address must still beat the phone number hiding
    // in it); --kinds only filters what is reported.
    let scanner = crate::cmd_rules::builder(&args.rules)?.build()?;
    let color = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
                && std::env::var_os("TERM").is_some_and(|t| t != "dumb")
        }
    };
    let stdout = io::stdout();
    let wtr = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut scan = Scan {
        args,
        quiet,
        scanner: &scanner,
        printer: Printer::new(format, wtr, color),
        summary: Summary::default(),
        found: false,
    };
    match scan.all() {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            // The reader went away (`hush scan big | head`): stop quietly.
            return Ok(scan.exit_code());
        }
        Err(e) => return Err(anyhow::Error::new(e).context("writing output")),
    }
    Ok(scan.exit_code())
}

/// The state of one `hush scan` run.
struct Scan<'a, W: Write> {
    args: &'a ScanArgs,
    quiet: bool,
    scanner: &'a Scanner,
    printer: Printer<W>,
    summary: Summary,
    found: bool,
}

/// Whether to go on to the next input.
enum Next {
    Continue,
    Stop,
}

impl<W: Write> Scan<'_, W> {
    fn exit_code(&self) -> ExitCode {
        // Like grep: an error wins, except that -q with a finding exits
        // as soon as it finds something.
        if self.found && (self.quiet || self.summary.errors == 0) {
            ExitCode::from(1)
        } else if self.summary.errors > 0 {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        }
    }

    /// Scans every input. Only output errors are returned.
    fn all(&mut self) -> io::Result<()> {
        let stdin_only = [Path::new("-").to_path_buf()];
        let paths = match self.args.paths.as_slice() {
            [] => &stdin_only[..],
            paths => paths,
        };
        if !self.quiet {
            self.printer.begin()?;
        }
        let mut stream =
            StreamScanner::new(self.scanner, self.args.chunk_size);
        for path in paths {
            let (name, rdr): (String, Box<dyn Read>) =
                if path == Path::new("-") {
                    (STDIN_NAME.to_string(), Box::new(io::stdin().lock()))
                } else {
                    let name = path.display().to_string();
                    match File::open(path) {
                        Ok(f) => (name, Box::new(f)),
                        Err(e) => {
                            self.input_error(&name, &e);
                            continue;
                        }
                    }
                };
            let next = match self.args.input {
                InputMode::Text => self.text(&mut stream, &name, rdr)?,
                InputMode::Jsonl => self.records(&name, rdr)?,
            };
            if let Next::Stop = next {
                break;
            }
        }
        if self.quiet {
            Ok(())
        } else {
            self.printer.finish(&self.summary)
        }
    }

    fn input_error(&mut self, name: &str, err: &dyn std::fmt::Display) {
        self.summary.errors += 1;
        // Flush first so that errors and findings appear in order on a
        // terminal; a flush error resurfaces on the next write.
        let _ = self.printer.flush();
        let _ = writeln!(io::stderr().lock(), "hush: {name}: {err}");
    }

    /// Whether a finding passes the filters (--kinds, --min-score).
    fn wanted(&self, kind: Kind, score: f32) -> bool {
        (self.args.kinds.is_empty() || self.args.kinds.contains(&kind))
            && self.args.min_score.is_none_or(|min| score >= min)
    }

    /// The value to show for a match.
    fn shown(&self, kind: Kind, raw: &[u8]) -> String {
        if self.args.reveal {
            String::from_utf8_lossy(raw).into_owned()
        } else {
            mask(kind, raw)
        }
    }

    fn text(
        &mut self,
        stream: &mut StreamScanner<'_>,
        name: &str,
        rdr: Box<dyn Read>,
    ) -> io::Result<Next> {
        let scanner = self.scanner;
        let result = stream.scan(rdr, |h| {
            if !self.wanted(h.kind, h.score) {
                return Ok(true);
            }
            self.found = true;
            self.summary.count(h.kind);
            if self.quiet {
                return Ok(false);
            }
            let value = self.shown(h.kind, h.value);
            self.printer.finding(&Report {
                path: name,
                line: h.line,
                col: h.col,
                end_line: h.end_line,
                end_col: h.end_col,
                start: h.start,
                end: h.end,
                kind: h.kind,
                detector_id: h.detector,
                detector: scanner.detector(h.detector),
                score: h.score,
                value: &value,
            })?;
            Ok(true)
        });
        match result {
            Ok(totals) => {
                self.summary.files += 1;
                self.summary.bytes += totals.bytes;
                Ok(if totals.stopped { Next::Stop } else { Next::Continue })
            }
            Err(StreamError::Read(e)) => {
                self.input_error(name, &e);
                Ok(Next::Continue)
            }
            Err(StreamError::Sink(e)) => Err(e),
        }
    }

    fn records(&mut self, name: &str, rdr: Box<dyn Read>) -> io::Result<Next> {
        let field = FieldPath::new(&self.args.field);
        let scanner = self.scanner;
        let mut rdr = BufReader::with_capacity(256 * 1024, rdr);
        let mut buf = Vec::new();
        let mut found: Vec<Finding> = Vec::new();
        let mut out: Vec<RecordFinding<'_>> = Vec::new();
        let mut shown: Vec<String> = Vec::new();
        let mut line_no = 0u64;
        loop {
            buf.clear();
            match rdr.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(n) => self.summary.bytes += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.input_error(name, &e);
                    return Ok(Next::Continue);
                }
            }
            line_no += 1;
            let line = buf.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let record = match field.parse(line) {
                Ok(r) => r,
                Err(e) => {
                    self.input_error(&format!("{name}:{line_no}"), &e);
                    continue;
                }
            };
            let text = record.text.as_bytes();
            scanner.scan_into(text, &mut found);
            out.clear();
            shown.clear();
            // Character offsets, counted incrementally over the sorted,
            // non-overlapping findings.
            let (mut pos, mut chars) = (0usize, 0u64);
            for f in &found {
                if !self.wanted(f.kind, f.score) {
                    continue;
                }
                chars += count_chars(&text[pos..f.start]);
                let char_start = chars;
                chars += count_chars(&text[f.range()]);
                pos = f.end;
                self.found = true;
                self.summary.count(f.kind);
                let raw = &text[f.range()];
                if self.printer.is_human() {
                    shown.push(self.shown(f.kind, raw));
                }
                out.push(RecordFinding {
                    kind: f.kind.as_str(),
                    start: f.start,
                    end: f.end,
                    char_start,
                    char_end: chars,
                    score: round3(f.score),
                    detector: scanner.detector(f.detector).id(),
                    value: self
                        .args
                        .reveal
                        .then(|| String::from_utf8_lossy(raw).into_owned()),
                });
            }
            if self.quiet {
                if self.found {
                    return Ok(Next::Stop);
                }
                continue;
            }
            let rec =
                RecordReport { line: line_no, id: &record.id, findings: &out };
            self.printer.record(name, &rec, &shown)?;
        }
        self.summary.files += 1;
        Ok(Next::Continue)
    }
}
