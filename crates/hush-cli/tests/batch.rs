//! `hush batch` end to end: a JSONL file with a preset, a report, a dry
//! run, a bad record, and a tree.

mod common;

use common::hush;
use predicates::prelude::*;

#[test]
fn jsonl_with_preset_report_and_restore() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("req.jsonl");
    let line = r#"{"model": "claude-x", "max_tokens": 1024, "system": "Agent for jane@acme.io", "messages": [{"role": "user", "content": [{"type": "text", "text": "My card is 4111 1111 1111 1111"}]}]}"#;
    std::fs::write(&input, format!("{line}\n{line}\n")).unwrap();
    hush(home.path())
        .args(["-q", "batch", "req.jsonl", "--out", "out.jsonl"])
        .args(["--fields", "@messages", "--threads", "2"])
        .args(["--report", "report.json"])
        .assert()
        .success();
    let out = std::fs::read_to_string(home.path().join("out.jsonl")).unwrap();
    assert!(!out.contains("jane@acme.io") && !out.contains("4111"));
    assert!(out.contains(r#""model": "claude-x", "max_tokens": 1024"#));
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["records_in"], 2);
    assert_eq!(report["findings"]["system"]["EMAIL"], 2);
    assert_eq!(report["findings"]["messages.content.text"]["CREDIT_CARD"], 2);
    assert!(!report.to_string().contains("acme.io"));
    // The same scope and key restore what batch wrote.
    hush(home.path())
        .args(["-q", "restore", "out.jsonl"])
        .assert()
        .success()
        .stdout(format!("{line}\n{line}\n"));
}

#[test]
fn dry_run_bad_records_and_trees() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("x.jsonl"),
        "{\"a\": \"jane@acme.io\"}\n{oops\n",
    )
    .unwrap();
    hush(home.path())
        .args(["batch", "x.jsonl", "--dry-run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("x.jsonl: record 2: malformed JSON"));
    hush(home.path())
        .args(["batch", "x.jsonl", "--dry-run", "--on-error", "skip"])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 values replaced, 1 bad records"))
        .stderr(predicate::str::contains("dry run, nothing written"));
    hush(home.path())
        .args(["-q", "batch", "x.jsonl", "--out", "y.jsonl"])
        .assert()
        .code(2);
    assert!(!home.path().join("y.jsonl").exists());
    std::fs::create_dir_all(home.path().join("tree/sub")).unwrap();
    std::fs::write(home.path().join("tree/sub/n.md"), "call 415-555-0100\n")
        .unwrap();
    hush(home.path())
        .args(["-q", "batch", "tree", "--out", "clean"])
        .assert()
        .success();
    let n =
        std::fs::read_to_string(home.path().join("clean/sub/n.md")).unwrap();
    assert!(n.starts_with("call [[PHONE-"));
}

#[test]
fn batch_equals_hush_redact_record_by_record() {
    let home = tempfile::tempdir().unwrap();
    let records = [
        "Call Jane at 415-555-0100 or jane.roe@acme.io",
        "card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32",
        "nothing personal here",
        "again jane.roe@acme.io from 10.0.0.1",
    ];
    let jsonl: String = records
        .iter()
        .map(|r| serde_json::json!({ "text": r }).to_string() + "\n")
        .collect();
    std::fs::write(home.path().join("in.jsonl"), jsonl).unwrap();
    hush(home.path())
        .args([
            "-q",
            "batch",
            "in.jsonl",
            "--out",
            "out.jsonl",
            "--fields",
            "text",
        ])
        .assert()
        .success();
    let out = std::fs::read_to_string(home.path().join("out.jsonl")).unwrap();
    for (line, record) in out.lines().zip(records) {
        let got: serde_json::Value = serde_json::from_str(line).unwrap();
        // The same record through `hush redact`, one at a time, in the
        // same (default) scope and vault.
        let want = hush(home.path())
            .args(["-q", "redact"])
            .write_stdin(record)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(got["text"].as_str().unwrap().as_bytes(), &want[..]);
    }
}
