//! Shared helpers for the hush-detect benchmarks: loading the corpora
//! into haystacks and the naive one-regex-per-detector baseline.
//!
//! They live in a library (rather than in `benches/scan.rs`) so that they
//! are compiled, linted and unit-tested like ordinary code, and so that
//! a future bench can reuse them.

use std::fs;
use std::path::{Path, PathBuf};

use hush_detect::Scanner;
use regex::bytes::{Regex, RegexBuilder};

/// The corpora `cargo xtask corpus` writes, in the order benches run.
pub const CORPORA: &[&str] =
    &["prose", "dense", "chat", "logs", "code", "negatives"];

/// Minimum haystack size: a corpus is repeated until it is this long, so
/// a measurement is dominated by scanning rather than by call overhead.
pub const MIN_HAYSTACK: usize = 4 << 20;

/// The `corpora/` directory at the workspace root.
pub fn corpora_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("corpora")
}

/// Labels of the name kinds. Their detectors are measured by `cargo xtask
/// eval` (recall and precision below 1.0 by nature); the benchmarks'
/// "findings == gold" workload check counts the structured kinds only.
pub const NAME_LABELS: &[&str] =
    &["PERSON", "LOCATION", "ORGANIZATION", "ADDRESS"];

/// How many findings are of a structured kind (not in [`NAME_LABELS`]).
pub fn structured(findings: &[hush_detect::Finding]) -> usize {
    findings.iter().filter(|f| !NAME_LABELS.contains(&f.kind.as_str())).count()
}

/// A parsed corpus: its texts and how many gold entity spans they hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Corpus {
    /// The `text` field of every record, in file order.
    pub texts: Vec<String>,
    /// The number of spans of structured kinds in the records' `spans`
    /// arrays (name kinds, [`NAME_LABELS`], are not counted).
    pub gold_spans: usize,
}

/// Parses a JSONL corpus as written by `cargo xtask corpus`.
///
/// Blank lines are skipped; a line that is not JSON or has no string
/// `text` field is an error.
pub fn parse_corpus(jsonl: &str) -> Result<Corpus, String> {
    let mut out = Corpus::default();
    for (n, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("line {}: {e}", n + 1))?;
        match v.get("text").and_then(|t| t.as_str()) {
            Some(t) => out.texts.push(t.to_string()),
            None => return Err(format!("line {}: no string `text`", n + 1)),
        }
        out.gold_spans +=
            v.get("spans").and_then(|s| s.as_array()).map_or(0, |spans| {
                spans
                    .iter()
                    .filter(|s| {
                        let label = s.get("label").and_then(|l| l.as_str());
                        !label.is_some_and(|l| NAME_LABELS.contains(&l))
                    })
                    .count()
            });
    }
    Ok(out)
}

/// Joins `texts` with `\n` and repeats the result (again separated by
/// `\n`) until it is at least `min_len` bytes long.
pub fn haystack(texts: &[String], min_len: usize) -> Vec<u8> {
    haystack_with_copies(texts, min_len).0
}

/// Like [`haystack`], also returning how many copies of the corpus it
/// holds.
pub fn haystack_with_copies(
    texts: &[String],
    min_len: usize,
) -> (Vec<u8>, usize) {
    let unit = texts.join("\n").into_bytes();
    let mut hay = unit.clone();
    if unit.is_empty() {
        return (hay, 0);
    }
    let mut copies = 1;
    while hay.len() < min_len {
        hay.push(b'\n');
        hay.extend_from_slice(&unit);
        copies += 1;
    }
    (hay, copies)
}

/// Loads `corpora/<name>.jsonl` and builds its benchmark haystack
/// (see [`haystack`], [`MIN_HAYSTACK`]); `None` if the file does not
/// exist. Also returns the number of gold entity spans the haystack
/// holds (the corpus's spans times the copies).
///
/// # Panics
///
/// If the file exists but cannot be read or parsed.
pub fn load_haystack(name: &str) -> Option<(Vec<u8>, usize)> {
    let path = corpora_dir().join(format!("{name}.jsonl"));
    if !path.exists() {
        return None;
    }
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let corpus = parse_corpus(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (hay, copies) = haystack_with_copies(&corpus.texts, MIN_HAYSTACK);
    Some((hay, corpus.gold_spans * copies))
}

/// A stand-in haystack for when no corpus has been generated yet: every
/// detector's examples between lines of plain prose.
pub fn synthetic_haystack(scanner: &Scanner) -> Vec<u8> {
    let filler = "The quarterly review covered staffing, the new office \
                  layout and a plan to retire the old build server.";
    let mut texts = Vec::new();
    for d in scanner.detectors() {
        for e in d.examples() {
            texts.push(filler.to_string());
            texts.push(e.clone());
        }
    }
    haystack(&texts, MIN_HAYSTACK)
}

/// The naive baseline: one compiled regex per detector, each run over the
/// whole haystack in turn. No anchors, validation, context or overlap
/// resolution, so it does less work per match than hush does.
#[derive(Debug)]
pub struct Naive {
    regexes: Vec<Regex>,
}

impl Naive {
    /// One byte-oriented regex per detector of `scanner`.
    ///
    /// # Panics
    ///
    /// If a detector's pattern does not compile with the `regex` crate.
    pub fn new(scanner: &Scanner) -> Naive {
        let regexes = scanner
            .detectors()
            .map(|d| {
                RegexBuilder::new(d.pattern())
                    .unicode(false)
                    .build()
                    .unwrap_or_else(|e| panic!("{}: {e}", d.id()))
            })
            .collect();
        Naive { regexes }
    }

    /// Total matches of every regex over `hay`.
    pub fn count(&self, hay: &[u8]) -> usize {
        self.regexes.iter().map(|r| r.find_iter(hay).count()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_extracted_in_order() {
        let jsonl = "{\"text\":\"a\",\"spans\":[{}, {}]}\n\n\
                     {\"text\":\"b\"}\n";
        let c = parse_corpus(jsonl).unwrap();
        assert_eq!(c.texts, ["a", "b"]);
        assert_eq!(c.gold_spans, 2);
        assert!(parse_corpus("{\"x\":1}").is_err());
        assert!(parse_corpus("not json").is_err());
    }

    #[test]
    fn haystack_repeats_to_size() {
        let texts = vec!["ab".to_string(), "cd".to_string()];
        let hay = haystack(&texts, 12);
        assert_eq!(hay, b"ab\ncd\nab\ncd\nab\ncd");
        assert!(haystack(&[], 12).is_empty());
    }

    #[test]
    fn naive_baseline_compiles_and_counts() {
        let scanner = Scanner::new().unwrap();
        let naive = Naive::new(&scanner);
        assert!(naive.count(b"mail jane.doe@acme.io now") > 0);
        assert!(!synthetic_haystack(&scanner).is_empty());
    }
}

#[cfg(test)]
mod gold_counts {
    use super::*;

    /// The benchmark asserts findings == gold on every corpus before
    /// timing; this test checks the same on the default haystacks so a
    /// regression shows up in `cargo test`, not only in `cargo bench`.
    #[test]
    fn hush_reports_exactly_the_gold_entities() {
        let scanner = Scanner::new().unwrap();
        for name in CORPORA {
            let Some((hay, gold)) = load_haystack(name) else { continue };
            assert_eq!(structured(&scanner.scan(&hay)), gold, "{name}");
        }
    }
}
