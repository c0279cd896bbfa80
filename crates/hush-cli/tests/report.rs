//! `hush report` end to end: a vault holding known raw values, a key
//! store with an old key, and an audit log written with the library (as
//! the proxy writes it, pseudonyms and counts only); the report is run
//! in all three formats, its figures checked, and every output searched
//! for the original values, by substring and with hush's own scanner.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use hush_audit::{AuditConfig, AuditLog, CallRecord};
use hush_detect::{Kind, Scanner};
use hush_keys::{KeySpec, KeyStore};
use hush_vault::{Key, Policy, Vault};
use predicates::prelude::*;

const EMAIL: &str = "jane.roe@acme.io";
const NAME: &str = "Jane Roe";

fn hush(tmp: &Path) -> Command {
    let mut c = Command::cargo_bin("hush").unwrap();
    for v in [
        "HUSH_KEY",
        "HUSH_KEY_FILE",
        "HUSH_VAULT",
        "HUSH_CONFIG",
        "HUSH_AUDIT_PUBKEY",
        "HUSH_KEYS",
    ] {
        c.env_remove(v);
    }
    c.env("XDG_DATA_HOME", tmp.join("data")).env("HOME", tmp);
    c.current_dir(tmp);
    c
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    key_id: String,
    secret: String,
    pseudonyms: Vec<String>,
}

fn days_ago(d: u64) -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - d * 86_400
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();

    // A vault that holds the two raw values.
    let key = Key::generate().unwrap();
    std::fs::write(dir.join("vault.key"), key.to_hex()).unwrap();
    let vault =
        Vault::open(dir.join("vault.hushvault"), key, Policy::default())
            .unwrap();
    let chat = vault.scope("chat-1");
    let mail = chat.pseudonymise(Kind::Email, EMAIL).unwrap();
    let name = chat.pseudonymise(Kind::Person, NAME).unwrap();
    drop(vault);

    // A key store with one key made 100 days ago (policy: 90 days).
    let keys = dir.join("keys.json");
    let mut store = KeyStore::open(&keys).unwrap();
    let (k, secret) = store.create(KeySpec::named("svc-billing")).unwrap();
    store.save().unwrap();
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&keys).unwrap()).unwrap();
    json["keys"][0]["created"] = days_ago(100).into();
    std::fs::write(&keys, serde_json::to_vec_pretty(&json).unwrap()).unwrap();

    // The audit log: what the proxy recorded for three calls.
    std::fs::create_dir_all(dir.join("audit")).unwrap();
    let log = AuditLog::open(AuditConfig::files(
        dir.join("audit"),
        dir.join("audit").join("audit.key"),
    ))
    .unwrap();
    let mut ok = CallRecord {
        request_id: "hush_1".into(),
        key_id: Some(k.id.clone()),
        method: "POST".into(),
        endpoint: "/v1/messages".into(),
        model: Some("claude-sonnet-4-5".into()),
        status: 200,
        latency_ms: 420.0,
        request: Some(
            serde_json::json!({
                "messages": [{"role": "user",
                    "content": format!("Write to {name} at {mail}")}]
            })
            .into(),
        ),
        response: Some(
            serde_json::json!({"content": format!("Dear {name}")}).into(),
        ),
        restored: 1,
        usage: Some(
            serde_json::json!({"input_tokens": 30, "output_tokens": 12}),
        ),
        ..CallRecord::default()
    };
    ok.entities.insert("EMAIL".into(), 1);
    ok.entities.insert("PERSON".into(), 1);
    let mut again = ok.clone();
    again.request_id = "hush_2".into();
    again.entities.remove("PERSON");
    let blocked = CallRecord {
        request_id: "hush_3".into(),
        key_id: Some(k.id.clone()),
        method: "POST".into(),
        endpoint: "/v1/messages".into(),
        model: Some("claude-sonnet-4-5".into()),
        status: 400,
        decisions: vec!["injection:block:override".into()],
        error: Some("invalid_request_error".into()),
        ..CallRecord::default()
    };
    for r in [ok, again, blocked] {
        log.append_blocking(r).unwrap();
    }
    log.close().unwrap();

    std::fs::write(
        dir.join("hush.toml"),
        "vault = \"vault.hushvault\"\nkey_file = \"vault.key\"\n\
         [proxy]\naudit_log = \"audit\"\nkeys = \"keys.json\"\n\
         upstream_key_env = \"ANTHROPIC_API_KEY\"\nscreen = \"block\"\n\
         [proxy.client_limits]\nrpm = 60\n\
         [retention]\naudit_log = \"365d\"\nvault = \"30d\"\n",
    )
    .unwrap();
    Fixture {
        _tmp: tmp,
        dir,
        key_id: k.id,
        secret: secret.expose().to_string(),
        pseudonyms: vec![mail, name],
    }
}

/// Yesterday and tomorrow, so the records written now are inside.
fn period() -> (String, String) {
    let now = days_ago(0) as i64 * 1000;
    let day = |ms: i64| hush_audit::format_ts(ms)[..10].to_string();
    (day(now - 86_400_000), day(now + 86_400_000))
}

fn report(fx: &Fixture, format: &str) -> (Option<i32>, String) {
    let (from, to) = period();
    let out = hush(&fx.dir)
        .args(["--config", "hush.toml", "report", "--from", &from])
        .args(["--to", &to, "--format", format])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty() || out.status.code() == Some(2), "{stderr}");
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

fn assert_no_original(fx: &Fixture, text: &str) {
    for bad in [EMAIL, NAME, "jane.roe", fx.secret.as_str()] {
        assert!(!text.contains(bad), "{bad:?} in the report");
    }
    for p in &fx.pseudonyms {
        assert!(!text.contains(p.as_str()), "pseudonym {p} in the report");
    }
    let scanner = Scanner::new().unwrap();
    let emails: Vec<_> = scanner
        .scan_str(text)
        .into_iter()
        .filter(|f| f.kind == Kind::Email)
        .map(|f| text[f.range()].to_string())
        .collect();
    assert!(emails.is_empty(), "e-mail addresses in the report: {emails:?}");
}

#[test]
fn report_in_three_formats_has_the_figures_and_no_original_value() {
    let fx = fixture();

    let (code, json) = report(&fx, "json");
    assert_eq!(code, Some(0), "{json}");
    assert_no_original(&fx, &json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let f = &v["audit"]["figures"];
    assert_eq!(f["calls"], 3);
    assert_eq!(f["entities"]["EMAIL"], 2);
    assert_eq!(f["entities"]["PERSON"], 1);
    assert_eq!(f["refused"]["injection_screen"], 1);
    assert_eq!(f["screening"]["block"], 1);
    assert_eq!(f["by_key_id"][fx.key_id.as_str()], 3);
    assert_eq!(f["usage"]["input_tokens"], 60);
    assert_eq!(v["audit"]["chain"]["verified"], true);
    assert_eq!(v["audit"]["chain"]["signatures_checked"], true);
    let key = &v["keys"]["keys"][0];
    assert_eq!(key["id"], fx.key_id.as_str());
    assert_eq!(key["age_days"], 100);
    assert_eq!(key["rotation"], "overdue");
    assert_eq!(v["vaults"][0]["entries"], 2);
    assert_eq!(v["vaults"][0]["by_kind"]["EMAIL"], 1);
    let status = |id: &str| {
        v["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(status("key_management"), "in_force");
    assert_eq!(status("input_validation"), "in_force");
    assert_eq!(status("rate_limiting"), "in_force");
    assert_eq!(status("retention"), "in_force");
    assert_eq!(status("output_review"), "not_configured");
    assert_eq!(status("continuity"), "partial");

    let (code, md) = report(&fx, "md");
    assert_eq!(code, Some(0));
    assert_no_original(&fx, &md);
    assert!(md.starts_with("# hush evidence report\n"));
    assert!(md.contains("| calls in the period | 3 |"));
    assert!(md.contains("| values pseudonymised: EMAIL | 2 |"));
    assert!(md.contains("| values pseudonymised: PERSON | 1 |"));
    assert!(md.contains("| refused or failed: injection_screen | 1 |"));
    assert!(md.contains("| audit chain (whole log) | verified |"));
    assert!(md.contains(&format!("| {} | svc-billing |", fx.key_id)));
    assert!(md.contains("| 100 | never | - | rotation overdue | overdue |"));
    assert!(md
        .contains("| Output review | PI1.3, PI1.4, PI1.5 | not configured |"));

    let (code, html) = report(&fx, "html");
    assert_eq!(code, Some(0));
    assert_no_original(&fx, &html);
    assert!(html
        .contains("<tr><td>values pseudonymised: EMAIL</td><td>2</td></tr>"));
    assert!(!html.contains("<script"));

    // -o writes the same bytes to a file.
    let (from, to) = period();
    hush(&fx.dir)
        .args(["--config", "hush.toml", "report", "--from", &from])
        .args(["--to", &to, "-o", "report.md"])
        .assert()
        .success()
        .stdout("");
    let file = std::fs::read_to_string(fx.dir.join("report.md")).unwrap();
    assert_eq!(file.lines().count(), md.lines().count());
}

#[test]
fn a_tampered_log_is_reported_with_the_record_that_failed() {
    let fx = fixture();
    let file = fx.dir.join("audit").join("audit-00000000000000000000.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let line =
        text.lines().position(|l| l.contains("\"status\":400")).unwrap() + 1;
    std::fs::write(
        &file,
        text.replacen("\"status\":400", "\"status\":200", 1),
    )
    .unwrap();
    let (code, md) = report(&fx, "md");
    assert_eq!(code, Some(1), "exit 1: the chain failed verification");
    assert_no_original(&fx, &md);
    let want = format!(
        "| audit chain (whole log) | FAILED at \
         audit-00000000000000000000.jsonl line {line} (seq {}) |",
        line - 1
    );
    assert!(md.contains(&want), "{md}");
    assert!(md.contains("the audit chain failed verification"));
    let (code, json) = report(&fx, "json");
    assert_eq!(code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["audit"]["chain"]["verified"], false);
    assert_eq!(v["audit"]["chain"]["problem"]["line"], line);
}

#[test]
fn bad_arguments_and_missing_logs_are_errors() {
    let fx = fixture();
    let run = |args: &[&str]| {
        hush(&fx.dir)
            .args(["--config", "hush.toml", "report"])
            .args(args)
            .assert()
    };
    run(&["--from", "2026-13-01", "--to", "2026-11-30"])
        .code(2)
        .stderr(predicate::str::contains("bad time"));
    run(&["--from", "2026-11-30", "--to", "2026-11-01"])
        .code(2)
        .stderr(predicate::str::contains("the period is empty"));
    run(&[
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--audit-log",
        "nope",
    ])
    .code(2)
    .stderr(predicate::str::contains("cannot read the audit log"));
    std::fs::write(fx.dir.join("junk.jsonl"), "not a log\n").unwrap();
    run(&[
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--audit-log",
        "junk.jsonl",
    ])
    .code(2)
    .stderr(predicate::str::contains("not an audit log"));
    // Without any log configured: an error, unless asked for.
    std::fs::write(fx.dir.join("bare.toml"), "").unwrap();
    hush(&fx.dir)
        .args(["--config", "bare.toml", "report", "--from", "2026-11-01"])
        .args(["--to", "2026-11-30"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no audit log"));
    hush(&fx.dir)
        .args(["--config", "bare.toml", "report", "--from", "2026-11-01"])
        .args(["--to", "2026-11-30", "--no-audit-log"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "| Logging and monitoring | CC7.2, CC7.3 | not configured |",
        ));
}
