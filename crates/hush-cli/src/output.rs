//! Output formats behind one [`Printer`], so the subcommands decide what
//! to report and this module alone decides how it looks.
//!
//! Every format is written incrementally, finding by finding: a scan of a
//! huge input with many findings never holds them in memory. For that
//! reason the SARIF log lists `results` before `tool` within its run (the
//! rules a run fired are known only at the end); JSON key order carries
//! no meaning, so the log is still valid SARIF 2.1.0.
//!
//! Printers receive values already masked (or revealed on request); they
//! never see raw bytes.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use hush_detect::{Detector, DetectorId, Kind};
use serde::Serialize;
use serde_json::Value;

use crate::args::Format;

/// One finding, ready to print.
#[derive(Clone, Debug)]
pub struct Report<'a> {
    /// The input's name (`<stdin>` for standard input).
    pub path: &'a str,
    /// 1-based line of the first character.
    pub line: u64,
    /// 1-based column (characters) of the first character.
    pub col: u64,
    /// 1-based line of the last character.
    pub end_line: u64,
    /// 1-based column just past the last character.
    pub end_col: u64,
    /// Byte offset of the first byte in the input.
    pub start: u64,
    /// Byte offset one past the last byte.
    pub end: u64,
    /// What was found.
    pub kind: Kind,
    /// The detector's id within the scanner.
    pub detector_id: DetectorId,
    /// The detector that found it.
    pub detector: &'a Detector,
    /// Confidence.
    pub score: f32,
    /// The value to show: masked unless the user asked to reveal.
    pub value: &'a str,
}

/// One finding within a record (record mode).
#[derive(Clone, Debug, Serialize)]
pub struct RecordFinding<'a> {
    /// The kind name.
    pub kind: &'static str,
    /// Byte offset into the field's UTF-8 text.
    pub start: usize,
    /// Byte offset one past the end.
    pub end: usize,
    /// Offset in Unicode scalar values.
    pub char_start: u64,
    /// Offset one past the end, in Unicode scalar values.
    pub char_end: u64,
    /// Confidence, rounded to three decimals.
    pub score: f64,
    /// The detector id.
    pub detector: &'a str,
    /// The raw value, only with `--reveal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// One record's findings (record mode).
#[derive(Clone, Debug, Serialize)]
pub struct RecordReport<'a> {
    /// 1-based line number of the record in its file.
    pub line: u64,
    /// The record's `id`, or `null`.
    pub id: &'a Value,
    /// What was found in the record's field.
    pub findings: &'a [RecordFinding<'a>],
}

/// Totals printed at the end by formats that have a summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Inputs scanned without error.
    pub files: u64,
    /// Inputs that could not be read.
    pub errors: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Findings reported.
    pub findings: u64,
    /// Findings reported, per kind.
    pub by_kind: BTreeMap<&'static str, u64>,
}

impl Summary {
    /// Counts one reported finding.
    pub fn count(&mut self, kind: Kind) {
        self.findings += 1;
        *self.by_kind.entry(kind.as_str()).or_insert(0) += 1;
    }
}

/// Writes findings in one format.
#[derive(Debug)]
pub enum Printer<W: Write> {
    /// `path:line:col: KIND detector value`.
    Human(Human<W>),
    /// One JSON document.
    Json(Json<W>),
    /// One JSON object per line.
    Jsonl(Jsonl<W>),
    /// A SARIF 2.1.0 log.
    Sarif(Sarif<W>),
}

impl<W: Write> Printer<W> {
    /// A printer for `format`; `color` applies to human output only.
    pub fn new(format: Format, wtr: W, color: bool) -> Printer<W> {
        match format {
            Format::Human => Printer::Human(Human { wtr, color }),
            Format::Json => Printer::Json(Json { wtr, first: true }),
            Format::Jsonl => Printer::Jsonl(Jsonl { wtr }),
            Format::Sarif => Printer::Sarif(Sarif {
                wtr,
                first: true,
                rules: Vec::new(),
                index: HashMap::new(),
            }),
        }
    }

    /// Writes whatever comes before the first finding.
    pub fn begin(&mut self) -> io::Result<()> {
        match self {
            Printer::Human(_) | Printer::Jsonl(_) => Ok(()),
            Printer::Json(p) => p.wtr.write_all(b"{\"findings\":["),
            Printer::Sarif(p) => p.wtr.write_all(
                concat!(
                    "{\"$schema\":",
                    "\"https://json.schemastore.org/sarif-2.1.0.json\",",
                    "\"version\":\"2.1.0\",",
                    "\"runs\":[{\"columnKind\":\"unicodeCodePoints\",",
                    "\"results\":["
                )
                .as_bytes(),
            ),
        }
    }

    /// Writes one finding.
    pub fn finding(&mut self, r: &Report<'_>) -> io::Result<()> {
        match self {
            Printer::Human(p) => p.finding(r),
            Printer::Json(p) => {
                p.wtr.write_all(if p.first { b"\n" } else { b",\n" })?;
                p.first = false;
                serde_json::to_writer(&mut p.wtr, &FindingJson::new(r))?;
                Ok(())
            }
            Printer::Jsonl(p) => {
                serde_json::to_writer(&mut p.wtr, &FindingJson::new(r))?;
                p.wtr.write_all(b"\n")
            }
            Printer::Sarif(p) => p.finding(r),
        }
    }

    /// Writes one record's findings (record mode: human and jsonl only).
    /// `shown` holds each finding's value to display (masked or raw),
    /// used by the human format.
    pub fn record(
        &mut self,
        path: &str,
        rec: &RecordReport<'_>,
        shown: &[String],
    ) -> io::Result<()> {
        match self {
            Printer::Human(p) => {
                for (f, value) in rec.findings.iter().zip(shown) {
                    let loc =
                        format!("{path}:{}:{}", rec.line, f.char_start + 1);
                    let value = escape_control(value);
                    p.line(&loc, f.kind, f.detector, &value)?;
                }
                Ok(())
            }
            Printer::Jsonl(p) => {
                serde_json::to_writer(&mut p.wtr, rec)?;
                p.wtr.write_all(b"\n")
            }
            Printer::Json(_) | Printer::Sarif(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "record mode writes human or jsonl output only",
            )),
        }
    }

    /// Whether this is the human format.
    pub fn is_human(&self) -> bool {
        matches!(self, Printer::Human(_))
    }

    /// Writes whatever comes after the last finding, and flushes.
    pub fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        match self {
            Printer::Human(p) => p.wtr.flush(),
            Printer::Jsonl(p) => p.wtr.flush(),
            Printer::Json(p) => {
                p.wtr.write_all(b"\n],\n\"summary\":")?;
                serde_json::to_writer(&mut p.wtr, summary)?;
                p.wtr.write_all(b"}\n")?;
                p.wtr.flush()
            }
            Printer::Sarif(p) => p.finish(),
        }
    }

    /// Flushes buffered output.
    pub fn flush(&mut self) -> io::Result<()> {
        match self {
            Printer::Human(p) => p.wtr.flush(),
            Printer::Json(p) => p.wtr.flush(),
            Printer::Jsonl(p) => p.wtr.flush(),
            Printer::Sarif(p) => p.wtr.flush(),
        }
    }
}

/// The human format.
#[derive(Debug)]
pub struct Human<W> {
    wtr: W,
    color: bool,
}

impl<W: Write> Human<W> {
    fn finding(&mut self, r: &Report<'_>) -> io::Result<()> {
        let loc = format!("{}:{}:{}", r.path, r.line, r.col);
        let value = escape_control(r.value);
        self.line(&loc, r.kind.as_str(), r.detector.id(), &value)
    }

    fn line(
        &mut self,
        loc: &str,
        kind: &str,
        detector: &str,
        value: &str,
    ) -> io::Result<()> {
        if self.color {
            writeln!(
                self.wtr,
                "\x1b[35m{loc}\x1b[0m: \x1b[1;31m{kind}\x1b[0m \
                 \x1b[32m{detector}\x1b[0m \x1b[1m{value}\x1b[0m"
            )
        } else {
            writeln!(self.wtr, "{loc}: {kind} {detector} {value}")
        }
    }
}

/// Keeps one finding on one line: control characters (newlines in a
/// private key, say) are shown escaped.
fn escape_control(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The JSON document format.
#[derive(Debug)]
pub struct Json<W> {
    wtr: W,
    first: bool,
}

/// The JSON Lines format.
#[derive(Debug)]
pub struct Jsonl<W> {
    wtr: W,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    path: &'a str,
    line: u64,
    col: u64,
    kind: &'static str,
    detector: &'a str,
    start: u64,
    end: u64,
    score: f64,
    value: &'a str,
}

impl<'a> FindingJson<'a> {
    fn new(r: &Report<'a>) -> FindingJson<'a> {
        FindingJson {
            path: r.path,
            line: r.line,
            col: r.col,
            kind: r.kind.as_str(),
            detector: r.detector.id(),
            start: r.start,
            end: r.end,
            score: round3(r.score),
            value: r.value,
        }
    }
}

/// A score rounded to three decimals, as printed.
pub fn round3(score: f32) -> f64 {
    (f64::from(score) * 1000.0).round() / 1000.0
}

/// The SARIF format.
#[derive(Debug)]
pub struct Sarif<W> {
    wtr: W,
    first: bool,
    /// The detectors that fired, in order of first result.
    rules: Vec<SarifRule>,
    index: HashMap<DetectorId, usize>,
}

#[derive(Debug, Serialize)]
struct SarifRule {
    id: String,
    #[serde(rename = "shortDescription")]
    short_description: Text,
    properties: RuleProperties,
}

#[derive(Debug, Serialize)]
struct Text {
    text: String,
}

#[derive(Debug, Serialize)]
struct RuleProperties {
    kind: &'static str,
}

impl<W: Write> Sarif<W> {
    fn finding(&mut self, r: &Report<'_>) -> io::Result<()> {
        let next = self.rules.len();
        let rule_index = *self.index.entry(r.detector_id).or_insert(next);
        if rule_index == next {
            let description = match r.detector.description() {
                "" => format!("{} ({})", r.kind, r.detector.id()),
                d => d.to_string(),
            };
            self.rules.push(SarifRule {
                id: r.detector.id().to_string(),
                short_description: Text { text: description },
                properties: RuleProperties { kind: r.kind.as_str() },
            });
        }
        let level = match r.kind {
            Kind::Secret | Kind::CreditCard | Kind::Ssn | Kind::Iban => {
                "error"
            }
            _ => "warning",
        };
        let result = serde_json::json!({
            "ruleId": r.detector.id(),
            "ruleIndex": rule_index,
            "level": level,
            "message": {
                "text": format!("{} found: {}", r.kind, r.value),
            },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(r.path) },
                    "region": {
                        "startLine": r.line,
                        "startColumn": r.col,
                        "endLine": r.end_line,
                        "endColumn": r.end_col,
                        "byteOffset": r.start,
                        "byteLength": r.end - r.start,
                    },
                },
            }],
            "properties": { "score": round3(r.score) },
        });
        self.wtr.write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.wtr, &result)?;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let tool = serde_json::json!({
            "driver": {
                "name": "hush",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": self.rules,
            },
        });
        self.wtr.write_all(b"\n],\n\"tool\":")?;
        serde_json::to_writer(&mut self.wtr, &tool)?;
        self.wtr.write_all(b"}]}\n")?;
        self.wtr.flush()
    }
}

/// A relative URI reference for a path: `/` separators, and bytes outside
/// the unreserved set and `/` percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let b = if b == b'\\' && cfg!(windows) { b'/' } else { b };
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("src/a b.txt"), "src/a%20b.txt");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(uri("ü"), "%C3%BC");
    }

    #[test]
    fn scores_round() {
        assert_eq!(round3(0.85), 0.85);
        assert_eq!(round3(0.123_56), 0.124);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("a\nb"), "a\\nb");
        assert_eq!(escape_control("é"), "é");
    }
}
