//! End-to-end tests of the `hush` binary: output formats, masking, exit
//! codes, error handling and robustness, run as a user would run it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const RAW: &[&str] =
    &["jane.roe@acme.io", "björn.x@web.de", "4539 1488 0343 6467", "4539"];

fn hush() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hush"))
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn sample() -> String {
    data("sample.txt").display().to_string()
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Out {
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_no_raw(out: &Out) {
    for raw in RAW {
        assert!(
            !out.stdout.contains(raw),
            "stdout leaks {raw}: {}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(raw),
            "stderr leaks {raw}: {}",
            out.stderr
        );
    }
}

#[test]
fn human_output_is_masked_with_line_and_column() {
    let path = sample();
    let out = run(hush().args(["scan", &path]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let expect = [
        format!("{path}:2:10: EMAIL email j***@a***.io"),
        // Line 3 has non-ASCII text (ü, ß, ö, —) before the entity (and
        // no place name: Köln would be a LOCATION finding).
        format!("{path}:3:23: EMAIL email b***@w***.de"),
        format!("{path}:4:6: CREDIT_CARD credit_card **** **** **** **67"),
    ];
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), expect);
    assert_no_raw(&out);
}

#[test]
fn reveal_shows_raw_values() {
    let out = run(hush().args(["scan", "--reveal", &sample()]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains(":2:10: EMAIL email jane.roe@acme.io"));
    assert!(out.stdout.contains("björn.x@web.de"));
    assert!(out.stdout.contains("4539 1488 0343 6467"));
}

#[test]
fn json_document() {
    let out = run(hush().args(["scan", "--format", "json", &sample()]));
    assert_eq!(out.code, 1);
    assert_no_raw(&out);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    let f = &findings[1];
    assert_eq!(f["path"], sample());
    assert_eq!(f["line"], 3);
    assert_eq!(f["col"], 23);
    assert_eq!(f["kind"], "EMAIL");
    assert_eq!(f["detector"], "email");
    assert_eq!(f["value"], "b***@w***.de");
    let text = std::fs::read(data("sample.txt")).unwrap();
    let (s, e) = (
        f["start"].as_u64().unwrap() as usize,
        f["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[s..e], "björn.x@web.de".as_bytes());
    let score = f["score"].as_f64().unwrap();
    assert!(score > 0.0 && score <= 1.0);
    assert_eq!((score * 1000.0).round() / 1000.0, score);
    assert_eq!(doc["summary"]["findings"], 3);
    assert_eq!(doc["summary"]["by_kind"]["EMAIL"], 2);
}

#[test]
fn jsonl_from_stdin() {
    let input = std::fs::read(data("sample.txt")).unwrap();
    let out =
        run(hush().args(["scan", "--format", "jsonl"]).write_stdin(input));
    assert_eq!(out.code, 1);
    assert_no_raw(&out);
    let lines: Vec<Value> =
        out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["path"], "<stdin>");
    assert_eq!(lines[0]["line"], 2);
    assert_eq!(lines[0]["col"], 10);
    assert_eq!(lines[0]["start"], 21);
    assert_eq!(lines[0]["end"], 37);
    assert_eq!(lines[2]["kind"], "CREDIT_CARD");
    assert_eq!(lines[2]["value"], "**** **** **** **67");
    // `-` is standard input too.
    let out = run(hush().args(["scan", "-"]).write_stdin("a 10.1.2.3 b"));
    assert_eq!(out.code, 1);
    assert!(out.stdout.starts_with("<stdin>:1:3: IP_ADDRESS ipv4 "));
}

#[test]
fn sarif_log() {
    let out = run(hush().args(["scan", "--format", "sarif", &sample()]));
    assert_eq!(out.code, 1);
    assert_no_raw(&out);
    let log: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "hush");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> =
        rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["email", "credit_card"]);
    assert_eq!(rules[1]["properties"]["kind"], "CREDIT_CARD");
    assert!(!rules[0]["shortDescription"]["text"]
        .as_str()
        .unwrap()
        .is_empty());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let r = &results[1];
    assert_eq!(r["ruleId"], "email");
    assert_eq!(r["ruleIndex"], 0);
    assert_eq!(r["level"], "warning");
    let msg = r["message"]["text"].as_str().unwrap();
    assert!(msg.contains("EMAIL") && msg.contains("b***@w***.de"), "{msg}");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], sample());
    let region = &loc["region"];
    assert_eq!(region["startLine"], 3);
    assert_eq!(region["startColumn"], 23);
    assert_eq!(region["endLine"], 3);
    assert_eq!(region["endColumn"], 23 + 14);
    assert_eq!(region["byteOffset"], 81);
    assert_eq!(region["byteLength"], 15);
    assert_eq!(results[2]["level"], "error");
    assert_eq!(results[2]["ruleIndex"], 1);
}

#[test]
fn exit_zero_when_nothing_found() {
    let out = run(hush().args(["scan"]).write_stdin("nothing to see here\n"));
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "");
    let out = run(hush().args(["scan", "--format", "json"]).write_stdin(""));
    assert_eq!(out.code, 0);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["findings"], serde_json::json!([]));
}

#[test]
fn missing_file_is_reported_and_others_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let missing = missing.display().to_string();
    let out = run(hush().args(["scan", &missing, &sample()]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(&format!("hush: {missing}: ")),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout.lines().count(), 3);
    assert_no_raw(&out);
    // A directory is an error too, not a crash.
    let out = run(hush().args(["scan", &dir.path().display().to_string()]));
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("panicked"));
}

#[test]
fn quiet_prints_nothing() {
    let out = run(hush().args(["scan", "-q", &sample()]));
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    let out = run(hush().args(["-q", "scan"]).write_stdin("nothing"));
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
}

#[test]
fn record_mode() {
    let path = data("records.jsonl").display().to_string();
    let out = run(hush().args([
        "scan", "--input", "jsonl", "--field", "text", "--format", "jsonl",
        &path,
    ]));
    assert_eq!(out.code, 2);
    assert_no_raw(&out);
    let recs: Vec<Value> =
        out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let lines: Vec<u64> =
        recs.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 2, 3, 6]);
    assert_eq!(recs[0]["id"], 1);
    assert_eq!(recs[1]["id"], "b");
    assert_eq!(recs[2]["id"], Value::Null);
    assert_eq!(recs[2]["findings"], serde_json::json!([]));
    // "Grüße — björn@web.de ok": 12 bytes but 8 characters before.
    let f = &recs[1]["findings"][0];
    assert_eq!(f["kind"], "EMAIL");
    assert_eq!(f["detector"], "email");
    assert_eq!((f["start"].as_u64(), f["end"].as_u64()), (Some(12), Some(25)));
    assert_eq!(
        (f["char_start"].as_u64(), f["char_end"].as_u64()),
        (Some(8), Some(20))
    );
    assert!(f.get("value").is_none());
    assert_eq!(recs[3]["findings"][0]["kind"], "CREDIT_CARD");
    // Errors name the line, never its content (line 5 holds a card
    // number in another field).
    let errs: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(errs.len(), 2, "{}", out.stderr);
    assert!(errs[0].starts_with(&format!("hush: {path}:4: invalid JSON")));
    assert_eq!(errs[1], format!("hush: {path}:5: field \"text\" is missing"));

    // --reveal adds the value; dotted fields work.
    let out = run(hush().args([
        "scan",
        "--input",
        "jsonl",
        "--reveal",
        "--field",
        "meta.body",
        &path,
    ]));
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout.lines().count(), 1);
    let input = "{\"t\":{\"x\":\"mail jane.roe@acme.io\"}}\n";
    let out = run(hush()
        .args(["scan", "--input", "jsonl", "--reveal", "--field", "t.x"])
        .write_stdin(input));
    assert_eq!(out.code, 1);
    let rec: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(rec["findings"][0]["value"], "jane.roe@acme.io");
}

#[test]
fn kinds_filter_and_unknown_kind() {
    let out = run(hush().args(["scan", "--kinds", "EMAIL", &sample()]));
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout.lines().count(), 2);
    assert!(!out.stdout.contains("CREDIT_CARD"));
    let out =
        run(hush().args(["scan", "--kinds", "credit_card,PHONE", &sample()]));
    assert_eq!(out.stdout.lines().count(), 1);
    let out = run(hush().args(["scan", "--kinds", "EMAIL,NOPE", &sample()]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("NOPE"));
    assert!(
        out.stderr.contains("CREDIT_CARD")
            && out.stderr.contains("IP_ADDRESS")
    );
    assert_eq!(out.stdout, "");
}

/// `--kinds` filters what is reported, not which rules run: a MAC
/// address whose first groups look like a phone number is still a MAC
/// (and so no PHONE) when only PHONE is asked for.
#[test]
fn kinds_filter_after_overlap_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dhcp.log");
    std::fs::write(&path, "DHCPACK to 09-24-59-17-96-F7 via eth0\n").unwrap();
    let path = path.display().to_string();
    let all = run(hush().args(["scan", &path]));
    assert_eq!(all.code, 1);
    assert!(all.stdout.contains("MAC_ADDRESS"), "{}", all.stdout);
    let phone = run(hush().args(["scan", "--kinds", "PHONE", &path]));
    assert_eq!(phone.code, 0, "{}", phone.stdout);
    assert_eq!(phone.stdout, "");
}

#[test]
fn min_score_filters() {
    let out = run(hush().args(["scan", "--min-score", "1.0", &sample()]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let out = run(hush().args(["scan", "--min-score", "0.5", &sample()]));
    assert_eq!(out.code, 1);
    let out = run(hush().args(["scan", "--min-score", "2", &sample()]));
    assert_eq!(out.code, 2);
}

const USER_RULE: &str = r#"
[[rule]]
id = "acme.employee"
kind = "ID_NUMBER"
description = "ACME employee badge"
pattern = 'EMP-[0-9]{6}'
anchors = ["EMP-"]
max_len = 10
examples = ["badge EMP-123456 lost"]
"#;

#[test]
fn user_rules_add_a_detector() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("acme.toml");
    std::fs::write(&rules, USER_RULE).unwrap();
    let rules = rules.display().to_string();
    let out = run(hush()
        .args(["scan", "--rules", &rules])
        .write_stdin("x\nbadge EMP-004211 lost"));
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "<stdin>:2:7: ID_NUMBER acme.employee ***-****11\n"
    );
    let out = run(hush().args(["rules", "list", "--rules", &rules]));
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("acme.employee"));
    assert!(out.stdout.contains("ACME employee badge"));
    let out = run(hush().args(["rules", "check", "--rules", &rules]));
    assert_eq!(out.code, 0, "{}", out.stdout);

    // A rule whose example it does not find fails the check.
    let failing = dir.path().join("failing.toml");
    std::fs::write(&failing, USER_RULE.replace("EMP-123456", "EMP-12"))
        .unwrap();
    let out = run(hush().args([
        "rules",
        "check",
        "--rules",
        &failing.display().to_string(),
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("acme.employee"));

    // A bad rule file is an error, with the builder's message.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, USER_RULE.replace("EMP-[0-9]{6}", "(")).unwrap();
    let bad = bad.display().to_string();
    let out = run(hush().args(["scan", "--rules", &bad]).write_stdin("x"));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("acme.employee"), "{}", out.stderr);
    let out = run(hush()
        .args(["scan", "--rules", "/nonexistent/r.toml"])
        .write_stdin("x"));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("/nonexistent/r.toml"));
}

#[test]
fn rules_list_and_check_builtin() {
    let out = run(hush().args(["rules", "list"]));
    assert_eq!(out.code, 0);
    let first = out.stdout.lines().next().unwrap();
    assert!(first.starts_with("ID") && first.contains("KIND"));
    assert!(out
        .stdout
        .lines()
        .any(|l| l.starts_with("email ") && l.contains("EMAIL")));
    hush().args(["rules", "check"]).assert().code(0);
}

#[test]
fn invalid_utf8_and_binary_do_not_crash() {
    let mut input: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    input.extend_from_slice(
        b"\xff\xfe\x80 bob.smith@mailbox.org \xc3\n\x00\x01",
    );
    for format in ["human", "json", "jsonl", "sarif"] {
        let out = run(hush()
            .args(["scan", "--format", format])
            .write_stdin(input.clone()));
        assert!(out.code == 0 || out.code == 1, "{format}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"));
        if format != "human" && format != "jsonl" {
            serde_json::from_str::<Value>(&out.stdout).unwrap();
        }
    }
    // Column counts characters of an invalid line without failing.
    let out = run(hush().arg("scan").write_stdin(&b"\xff\xfe a 10.0.0.1"[..]));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.starts_with("<stdin>:1:6: IP_ADDRESS"),
        "{}",
        out.stdout
    );
    // Record mode: invalid UTF-8 in a line is a malformed record.
    let out = run(hush()
        .args(["scan", "--input", "jsonl"])
        .write_stdin(&b"{\"text\":\"\xff\"}\n"[..]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("<stdin>:1:"));
}

#[test]
fn chunked_reading_matches_whole_reading() {
    // Many entities, read in chunks much smaller than the input.
    let mut input = String::new();
    for i in 0..3000 {
        input.push_str(&format!(
            "row {i}: mail user{i}@mailbox.org, ip 10.0.{}.{}\n",
            i % 250,
            i % 200 + 1
        ));
    }
    let whole = run(hush()
        .args(["scan", "--format", "jsonl"])
        .write_stdin(input.clone()));
    let chunked = run(hush()
        .args(["scan", "--format", "jsonl", "--chunk-size", "1000"])
        .write_stdin(input));
    assert_eq!(whole.code, 1);
    assert_eq!(whole.stdout.lines().count(), 6000);
    assert_eq!(chunked.stdout, whole.stdout);
}

#[test]
fn closed_stdout_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    for i in 0..400_000 {
        writeln!(f, "line {i} mail someone{i}@mailbox.org and more text")
            .unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    let mut child = StdCommand::new(env!("CARGO_BIN_EXE_hush"))
        .args(["scan", &big.display().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    // The reader (and the pipe) are dropped here.
    assert!(first.contains("EMAIL"), "{first}");
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr, "");
    assert!(matches!(status.code(), Some(0 | 1)), "{status:?}");
}

#[test]
fn version_and_help() {
    hush()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("hush "));
    hush()
        .args(["scan", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--reveal"))
        .stdout(predicate::str::contains("--chunk-size").not());
}
