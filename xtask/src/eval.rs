//! `cargo xtask eval`: precision, recall and F1 per kind of the default
//! scanner on labelled JSONL corpora, or of another tool's predictions.
//!
//! With `--predictions FILE` (once per labelled file, paired in order) the
//! scanner is not run: FILE holds one JSON line per labelled record in the
//! shape `hush scan --input jsonl --format jsonl` writes (`{"line", "id",
//! "findings": [{"kind", "char_start", "char_end", ...}]}`), matched to the
//! records that have a `text` by order; a `line` or an `id` that disagrees
//! with the record's is an error, as is a count that differs. The scores
//! come from the same matching code (`xtask/presidio` uses this to compare
//! with Presidio).
//!
//! Gold spans use Unicode code-point offsets (`start`/`end`, as in
//! `corpora/dev/panorama.jsonl`); they are converted to byte offsets here.
//! Two matchings are reported: exact (same kind, same span) and overlap
//! (same kind, spans intersect; each gold span matched at most once).
//! With `--any-label`, overlap ignores the kind, for corpora whose labels
//! do not follow hush's kinds (PANORAMA puts every identifier in one class).
//!
//! When it runs the scanner, eval also prints its speed on each file's
//! texts (time inside `scan_str` only, one thread).
//!
//! The gate (`--min-f1`) holds structured kinds to exact F1 and the name
//! kinds (PERSON, LOCATION, ORGANIZATION, ADDRESS) to overlap F1 against
//! `--min-name-f1`: where a name's span ends is a convention (a title, a
//! trailing `Inc.` dot, `Judge` as a first name in the generator), whether
//! it is found is not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use hush_detect::Scanner;

/// Arguments of `cargo xtask eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Labelled JSONL files (default: every corpus in corpora/ and the
    /// shipped PANORAMA dev set).
    pub files: Vec<PathBuf>,
    /// Match by span overlap regardless of label (for foreign label sets).
    #[arg(long)]
    pub any_label: bool,
    /// Print up to N false positives and false negatives per file.
    #[arg(long, default_value_t = 0)]
    pub show_errors: usize,
    /// Fail (exit 1) if any structured kind's exact F1 on the generated
    /// corpora is below this, or a hard negative produces a finding.
    #[arg(long)]
    pub min_f1: Option<f64>,
    /// With --min-f1: the overlap F1 the name kinds (PERSON, LOCATION,
    /// ORGANIZATION, ADDRESS) must reach on the generated corpora.
    #[arg(long, default_value_t = 0.95)]
    pub min_name_f1: f64,
    /// Score these predictions (JSONL as `hush scan --input jsonl --format
    /// jsonl` writes) instead of running the scanner: one per labelled
    /// file, in the same order.
    #[arg(long, value_name = "FILE")]
    pub predictions: Vec<PathBuf>,
}

/// Where a file's predictions come from.
enum Source<'a> {
    /// Run hush's scanner on each record's text.
    Scanner(&'a Scanner),
    /// The records of a predictions file (named for messages).
    Predictions(&'a Path, Vec<PredRecord>),
}

/// Kinds gated on overlap F1 (see the module docs).
const NAME_KINDS: &[&str] = &["PERSON", "LOCATION", "ORGANIZATION", "ADDRESS"];

#[derive(Default, Clone, Copy)]
struct Counts {
    gold: usize,
    pred: usize,
    tp_exact: usize,
    tp_overlap_pred: usize,
    tp_overlap_gold: usize,
}

fn prf(tp_p: usize, pred: usize, tp_g: usize, gold: usize) -> (f64, f64, f64) {
    let p = if pred == 0 { 1.0 } else { tp_p as f64 / pred as f64 };
    let r = if gold == 0 { 1.0 } else { tp_g as f64 / gold as f64 };
    let f = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
    (p, r, f)
}

struct Span {
    start: usize,
    end: usize,
    label: String,
}

fn char_to_byte(text: &str) -> Vec<usize> {
    let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    v.push(text.len());
    v
}

fn gold_spans(rec: &serde_json::Value, text: &str) -> Result<Vec<Span>> {
    let map = char_to_byte(text);
    let mut out = Vec::new();
    let Some(spans) = rec.get("spans").and_then(|s| s.as_array()) else {
        return Ok(out);
    };
    for s in spans {
        let label = s["label"].as_str().unwrap_or("").to_string();
        let (start, end) = match (s.get("byte_start"), s.get("byte_end")) {
            (Some(a), Some(b)) => (
                a.as_u64().context("byte_start")? as usize,
                b.as_u64().context("byte_end")? as usize,
            ),
            _ => {
                let a = s["start"].as_u64().context("start")? as usize;
                let b = s["end"].as_u64().context("end")? as usize;
                if b >= map.len() {
                    bail!("span end {b} beyond text");
                }
                (map[a], map[b])
            }
        };
        out.push(Span { start, end, label });
    }
    Ok(out)
}

/// One record of a predictions file.
struct PredRecord {
    /// 1-based line of the record in the labelled file, if given.
    line: Option<u64>,
    id: serde_json::Value,
    /// (kind, char_start, char_end).
    findings: Vec<(String, usize, usize)>,
}

fn read_predictions(path: &Path) -> Result<Vec<PredRecord>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), n + 1);
        let rec: serde_json::Value =
            serde_json::from_str(line).with_context(at)?;
        let mut findings = Vec::new();
        for f in rec["findings"].as_array().with_context(at)? {
            let kind = f["kind"].as_str().context("kind").with_context(at)?;
            let start = f["char_start"].as_u64().context("char_start");
            let end = f["char_end"].as_u64().context("char_end");
            findings.push((
                kind.to_string(),
                start.with_context(at)? as usize,
                end.with_context(at)? as usize,
            ));
        }
        out.push(PredRecord {
            line: rec["line"].as_u64(),
            id: rec["id"].clone(),
            findings,
        });
    }
    Ok(out)
}

/// The spans of one predictions record, in byte offsets of `body`.
fn predicted_spans(
    rec: &PredRecord,
    body: &str,
    at: &str,
) -> Result<Vec<Span>> {
    let map = char_to_byte(body);
    let mut out = Vec::with_capacity(rec.findings.len());
    for (kind, start, end) in &rec.findings {
        if start > end || *end >= map.len() {
            bail!("{at}: prediction {kind} {start}..{end} beyond text");
        }
        out.push(Span {
            start: map[*start],
            end: map[*end],
            label: kind.clone(),
        });
    }
    Ok(out)
}

/// One file's result: counts per kind and whether it had gold at all.
struct FileResult {
    per_kind: BTreeMap<String, Counts>,
    findings: usize,
    /// Bytes of text scanned and seconds spent in the scanner (zero when
    /// scoring a predictions file).
    bytes: usize,
    scan_secs: f64,
}

fn eval_file(
    source: &Source<'_>,
    path: &Path,
    any_label: bool,
    show: usize,
) -> Result<FileResult> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let mut next_pred = 0;
    let mut per_kind: BTreeMap<String, Counts> = BTreeMap::new();
    let mut shown_fp = 0;
    let mut shown_fn = 0;
    let mut findings = 0;
    let (mut bytes, mut scan_secs) = (0, 0.0);
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}", path.display(), n + 1))?;
        let Some(body) = rec["text"].as_str() else { continue };
        let gold = gold_spans(&rec, body)?;
        let pred: Vec<Span> = match source {
            Source::Predictions(p, preds) => {
                let at = format!("{} record {}", p.display(), next_pred + 1);
                let Some(pr) = preds.get(next_pred) else {
                    bail!(
                        "{}: no prediction for {}:{}",
                        p.display(),
                        path.display(),
                        n + 1
                    );
                };
                next_pred += 1;
                if pr.line.is_some_and(|l| l != n as u64 + 1) {
                    bail!(
                        "{at}: line {} but the record is on line {}",
                        pr.line.unwrap_or(0),
                        n + 1
                    );
                }
                if !pr.id.is_null()
                    && !rec["id"].is_null()
                    && pr.id != rec["id"]
                {
                    bail!(
                        "{at}: id {} but the record's is {}",
                        pr.id,
                        rec["id"]
                    );
                }
                predicted_spans(pr, body, &at)?
            }
            Source::Scanner(scanner) => {
                let t = std::time::Instant::now();
                let found = scanner.scan_str(body);
                scan_secs += t.elapsed().as_secs_f64();
                bytes += body.len();
                found
                    .into_iter()
                    .map(|f| Span {
                        start: f.start,
                        end: f.end,
                        label: f.kind.as_str().to_string(),
                    })
                    .collect()
            }
        };
        findings += pred.len();
        let same = |g: &Span, p: &Span| any_label || g.label == p.label;
        let overlaps = |g: &Span, p: &Span| g.start < p.end && p.start < g.end;
        let mut gold_used = vec![false; gold.len()];
        for p in &pred {
            let c = per_kind.entry(p.label.clone()).or_default();
            c.pred += 1;
            if gold
                .iter()
                .any(|g| same(g, p) && g.start == p.start && g.end == p.end)
            {
                c.tp_exact += 1;
            }
            let hit = gold.iter().find(|g| same(g, p) && overlaps(g, p));
            if let Some(g) = hit {
                c.tp_overlap_pred += 1;
                if (g.start, g.end) != (p.start, p.end) && shown_fp < show {
                    shown_fp += 1;
                    eprintln!(
                        "SPAN {}:{} {} found {:?}, gold {:?}",
                        path.display(),
                        n + 1,
                        p.label,
                        &body[p.start..p.end],
                        &body[g.start..g.end],
                    );
                }
            } else if shown_fp < show {
                shown_fp += 1;
                eprintln!(
                    "FP {}:{} {} {:?} in {:?}",
                    path.display(),
                    n + 1,
                    p.label,
                    &body[p.start..p.end],
                    context(body, p.start, p.end)
                );
            }
            for (i, g) in gold.iter().enumerate() {
                if !gold_used[i] && same(g, p) && overlaps(g, p) {
                    gold_used[i] = true;
                }
            }
        }
        for (i, g) in gold.iter().enumerate() {
            per_kind.entry(g.label.clone()).or_default().gold += 1;
            if gold_used[i] {
                per_kind
                    .get_mut(&g.label)
                    .expect("inserted")
                    .tp_overlap_gold += 1;
            } else if shown_fn < show {
                shown_fn += 1;
                eprintln!(
                    "FN {}:{} {} {:?} in {:?}",
                    path.display(),
                    n + 1,
                    g.label,
                    &body[g.start..g.end],
                    context(body, g.start, g.end)
                );
            }
        }
    }
    if let Source::Predictions(p, preds) = source {
        if preds.len() != next_pred {
            bail!(
                "{}: {} predictions for {} records of {}",
                p.display(),
                preds.len(),
                next_pred,
                path.display()
            );
        }
    }
    Ok(FileResult { per_kind, findings, bytes, scan_secs })
}

fn context(body: &str, s: usize, e: usize) -> &str {
    let mut a = s.saturating_sub(40);
    while !body.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (e + 40).min(body.len());
    while !body.is_char_boundary(b) {
        b += 1;
    }
    &body[a..b]
}

fn print_table(
    name: &str,
    per_kind: &BTreeMap<String, Counts>,
    any_label: bool,
) {
    println!(
        "\n## {name}{}",
        if any_label { " (overlap, any label)" } else { "" }
    );
    println!(
        "{:<14} {:>6} {:>6} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
        "kind", "gold", "pred", "P", "R", "F1", "P~", "R~", "F1~"
    );
    let mut total = Counts::default();
    for (kind, c) in per_kind {
        // Exact: a prediction matches at most one gold span and vice
        // versa, so one TP count serves both sides.
        let (p, r, f) = prf(c.tp_exact, c.pred, c.tp_exact, c.gold);
        let (po, ro, fo) =
            prf(c.tp_overlap_pred, c.pred, c.tp_overlap_gold, c.gold);
        println!(
            "{kind:<14} {:>6} {:>6} | {p:>6.3} {r:>6.3} {f:>6.3} | {po:>6.3} {ro:>6.3} {fo:>6.3}",
            c.gold, c.pred
        );
        total.gold += c.gold;
        total.pred += c.pred;
        total.tp_exact += c.tp_exact;
        total.tp_overlap_pred += c.tp_overlap_pred;
        total.tp_overlap_gold += c.tp_overlap_gold;
    }
    let (p, r, f) =
        prf(total.tp_exact, total.pred, total.tp_exact, total.gold);
    let (po, ro, fo) = prf(
        total.tp_overlap_pred,
        total.pred,
        total.tp_overlap_gold,
        total.gold,
    );
    println!(
        "{:<14} {:>6} {:>6} | {p:>6.3} {r:>6.3} {f:>6.3} | {po:>6.3} {ro:>6.3} {fo:>6.3}",
        "ALL", total.gold, total.pred
    );
}

/// The scanner's speed on a file's texts (nothing for predictions).
fn print_speed(res: &FileResult) {
    if res.bytes > 0 {
        let mb = res.bytes as f64 / 1e6;
        println!(
            "scanner: {mb:.3} MB in {:.4} s = {:.1} MB/s (one thread)",
            res.scan_secs,
            mb / res.scan_secs.max(1e-9)
        );
    }
}

/// Runs the evaluation and prints one table per file plus a total.
pub fn run(args: Args, root: &Path) -> Result<()> {
    let generated = ["prose", "dense", "chat", "logs", "code", "negatives"];
    let mut files = args.files.clone();
    let defaults = files.is_empty();
    if !args.predictions.is_empty() && args.predictions.len() != files.len() {
        bail!(
            "--predictions: give one per labelled file ({} files, {} \
             predictions)",
            files.len(),
            args.predictions.len()
        );
    }
    let scanner =
        if args.predictions.is_empty() { Some(Scanner::new()?) } else { None };
    let source = |i: usize| -> Result<Source<'_>> {
        Ok(match &scanner {
            Some(s) => Source::Scanner(s),
            None => {
                let p = &args.predictions[i];
                Source::Predictions(p, read_predictions(p)?)
            }
        })
    };
    if defaults {
        for name in generated {
            files.push(root.join("corpora").join(format!("{name}.jsonl")));
        }
    }
    let mut all: BTreeMap<String, Counts> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let res =
            eval_file(&source(i)?, path, args.any_label, args.show_errors)?;
        let name = path.display().to_string();
        print_table(&name, &res.per_kind, args.any_label);
        print_speed(&res);
        if args.min_f1.is_some()
            && name.contains("negatives")
            && res.findings > 0
        {
            failures.push(format!(
                "{name}: {} findings on hard negatives",
                res.findings
            ));
        }
        for (k, c) in res.per_kind {
            let t = all.entry(k).or_default();
            t.gold += c.gold;
            t.pred += c.pred;
            t.tp_exact += c.tp_exact;
            t.tp_overlap_pred += c.tp_overlap_pred;
            t.tp_overlap_gold += c.tp_overlap_gold;
        }
    }
    if files.len() > 1 {
        print_table("all files", &all, args.any_label);
    }
    if let Some(min) = args.min_f1 {
        for (k, c) in &all {
            if NAME_KINDS.contains(&k.as_str()) {
                let (_, _, f) =
                    prf(c.tp_overlap_pred, c.pred, c.tp_overlap_gold, c.gold);
                let min = args.min_name_f1;
                if f < min {
                    failures.push(format!("{k}: overlap F1 {f:.3} < {min}"));
                }
                continue;
            }
            let (_, _, f) = prf(c.tp_exact, c.pred, c.tp_exact, c.gold);
            if f < min {
                failures.push(format!("{k}: exact F1 {f:.3} < {min}"));
            }
        }
    }
    if let (true, Some(scanner)) = (defaults, &scanner) {
        let dev = root.join("corpora/dev/panorama.jsonl");
        if dev.exists() {
            let source = Source::Scanner(scanner);
            let res = eval_file(&source, &dev, true, args.show_errors)?;
            print_table(&dev.display().to_string(), &res.per_kind, true);
            print_speed(&res);
        }
    }
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("FAIL {f}");
        }
        bail!("{} evaluation thresholds missed", failures.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/eval").join(name)
    }

    fn run_predictions(preds: &Path, any_label: bool) -> Result<FileResult> {
        let source = Source::Predictions(preds, read_predictions(preds)?);
        eval_file(&source, &testdata("gold.jsonl"), any_label, 0)
    }

    fn counts(
        res: &FileResult,
        kind: &str,
    ) -> (usize, usize, usize, usize, usize) {
        let c = res.per_kind.get(kind).copied().unwrap_or_default();
        (c.gold, c.pred, c.tp_exact, c.tp_overlap_pred, c.tp_overlap_gold)
    }

    #[test]
    fn scores_a_predictions_file() {
        let res = run_predictions(&testdata("predictions.jsonl"), false)
            .expect("predictions evaluate");
        assert_eq!(res.findings, 5);
        // (gold, pred, exact, overlap on the predicted side, on the gold side)
        // Code-point offsets: "Zoë" is 3 characters, 4 bytes.
        assert_eq!(counts(&res, "PERSON"), (1, 2, 1, 1, 1));
        // "in Lyon" overlaps "Lyon" but is not exact.
        assert_eq!(counts(&res, "LOCATION"), (1, 1, 0, 1, 1));
        assert_eq!(counts(&res, "EMAIL"), (1, 1, 1, 1, 1));
        // Found as PERSON: missed unless any label counts.
        assert_eq!(counts(&res, "ORGANIZATION"), (1, 0, 0, 0, 0));
        assert_eq!(counts(&res, "DATE"), (0, 1, 0, 0, 0));

        let any = run_predictions(&testdata("predictions.jsonl"), true)
            .expect("predictions evaluate");
        assert_eq!(counts(&any, "PERSON"), (1, 2, 1, 2, 1));
        assert_eq!(counts(&any, "ORGANIZATION"), (1, 0, 0, 0, 1));
    }

    #[test]
    fn rejects_misaligned_predictions() {
        let dir = std::env::temp_dir()
            .join(format!("xtask-eval-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let good = std::fs::read_to_string(testdata("predictions.jsonl"))
            .expect("test data");
        let cases = [
            ("id", good.replace("\"r2\"", "\"r9\""), "id \"r9\""),
            ("line", good.replace("\"line\": 3", "\"line\": 2"), "line 2"),
            (
                "short",
                good.lines().take(2).collect::<Vec<_>>().join("\n"),
                "no prediction",
            ),
            (
                "long",
                format!("{good}{{\"findings\": []}}\n"),
                "4 predictions for 3",
            ),
            (
                "range",
                good.replace("\"char_end\": 7", "\"char_end\": 99"),
                "beyond text",
            ),
        ];
        for (name, text, want) in cases {
            let p = dir.join(format!("{name}.jsonl"));
            std::fs::write(&p, text).expect("write");
            let err = match run_predictions(&p, false) {
                Ok(_) => panic!("{name}: accepted"),
                Err(e) => format!("{e:#}"),
            };
            assert!(err.contains(want), "{name}: {err}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
