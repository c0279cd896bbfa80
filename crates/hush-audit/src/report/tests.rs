//! Aggregation over real chained logs written by the library's own
//! writer, the control table, the escapers and the determinism of the
//! renderings.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::{AuditConfig, AuditLog, SigningKey};

fn call(status: u16) -> CallRecord {
    CallRecord {
        request_id: "hush_x".into(),
        method: "POST".into(),
        endpoint: "/v1/messages".into(),
        model: Some("claude-sonnet-4-5".into()),
        status,
        ..CallRecord::default()
    }
}

/// A log of six varied calls; returns (log dir, signing key path).
fn write_log(tmp: &Path) -> (PathBuf, PathBuf) {
    let dir = tmp.join("audit");
    let key = tmp.join("audit.key");
    let log = AuditLog::open(AuditConfig::files(&dir, &key)).unwrap();
    let mut a = call(200);
    a.key_id = Some("k1".into());
    a.entities.insert("EMAIL".into(), 2);
    a.entities.insert("PERSON".into(), 1);
    a.restored = 3;
    a.latency_ms = 100.0;
    a.usage =
        Some(serde_json::json!({"input_tokens": 10, "output_tokens": 5}));
    a.request =
        Some(serde_json::json!({"messages": "[[EMAIL-123456]]"}).into());
    let mut b = call(200);
    b.key_id = Some("k1".into());
    b.entities.insert("EMAIL".into(), 1);
    b.retries = 2;
    b.decisions = vec!["fallback:model".into(), "media_allowed:2".into()];
    b.latency_ms = 300.0;
    b.usage = Some(serde_json::json!({"input_tokens": 7, "output_tokens": 1,
        "cache_read_input_tokens": 4}));
    let mut c = call(429);
    c.key_id = Some("k2".into());
    c.decisions = vec!["rate_limited:client:rpm".into()];
    c.error = Some("rate_limit_error".into());
    c.latency_ms = 1.0;
    let mut d = call(400);
    d.decisions = vec!["injection:block:override".into()];
    d.error = Some("invalid_request_error".into());
    d.latency_ms = 2.0;
    let mut e = call(200);
    e.decisions = vec!["injection:flag:override".into()];
    // A client put an e-mail address in the model field.
    e.model = Some("jane.roe@acme.io".into());
    e.latency_ms = 50.0;
    let mut f = call(529);
    f.decisions = vec!["circuit_open:https://api.anthropic.com".into()];
    f.error = Some("overloaded_error".into());
    f.latency_ms = 0.5;
    for r in [a, b, c, d, e, f] {
        log.append_blocking(r).unwrap();
    }
    log.close().unwrap();
    (dir, key)
}

fn around_now() -> Period {
    let now = crate::time::now_ms();
    Period::new(now - DAY_MS, now + DAY_MS).unwrap()
}

fn public(key: &Path) -> PublicKey {
    SigningKey::load(key).unwrap().public_key()
}

#[test]
fn control_table_has_the_nine_controls_in_order() {
    let table = controls();
    let ids: Vec<ControlId> = table.iter().map(|c| c.id).collect();
    assert_eq!(ids, ControlId::ALL);
    for c in &table {
        assert!(!c.criteria.is_empty(), "{:?}", c.id);
        assert!(!c.does.is_empty() && !c.rationale.is_empty());
        assert!(!c.rationale.contains('\n'), "one-line rationale");
        assert_eq!(
            serde_json::to_value(c.id).unwrap(),
            serde_json::Value::String(c.id.as_str().into())
        );
    }
    let crit =
        |id| table.iter().find(|c| c.id == id).unwrap().criteria.join(",");
    assert_eq!(crit(ControlId::EncryptionInTransit), "CC6.7");
    assert_eq!(crit(ControlId::LoggingAndMonitoring), "CC7.2,CC7.3");
    assert_eq!(crit(ControlId::Continuity), "A1.2");
}

#[test]
fn aggregates_a_real_chained_log() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, key) = write_log(tmp.path());
    let facts = read_log(&dir, &around_now(), Some(&public(&key))).unwrap();
    assert!(facts.chain.verified, "{:?}", facts.chain.problem);
    assert!(facts.chain.signatures_checked);
    assert!(facts.chain.checkpoints_verified >= 1);
    let f = &facts.figures;
    assert_eq!(f.calls, 6);
    assert_eq!(f.entities["EMAIL"], 3);
    assert_eq!(f.entities["PERSON"], 1);
    assert_eq!((f.entities_total, f.calls_with_entities), (4, 2));
    assert_eq!(f.restored, 3);
    assert_eq!(f.by_status_class["2xx"], 3);
    assert_eq!(f.by_status_class["4xx"], 2);
    assert_eq!(f.by_status_class["5xx"], 1);
    assert_eq!(f.by_key_id["k1"], 2);
    assert_eq!(f.by_key_id["(none)"], 3);
    assert_eq!(f.by_model["claude-sonnet-4-5"], 5);
    assert_eq!(f.by_model["(other)"], 1);
    assert_eq!(f.refused_total, 3);
    assert_eq!(f.refused["rate_limited:client:rpm"], 1);
    assert_eq!(f.refused["injection_screen"], 1);
    assert_eq!(f.refused["circuit_open"], 1);
    assert_eq!(f.screening["block"], 1);
    assert_eq!(f.screening["flag"], 1);
    assert_eq!(f.fallbacks["model"], 1);
    assert_eq!(f.rate_limited["client:rpm"], 1);
    assert_eq!(f.circuit_open, 1);
    assert_eq!((f.retries, f.calls_retried), (2, 1));
    assert_eq!(f.media_allowed, 2);
    assert_eq!(f.usage.input_tokens, 17);
    assert_eq!(f.usage.output_tokens, 6);
    assert_eq!(f.usage.cache_read_input_tokens, 4);
    let l = f.latency_ms.unwrap();
    assert_eq!((l.p50, l.p95, l.max), (2.0, 300.0, 300.0));
    assert!(facts.purges.is_empty() && facts.anchor.is_none());

    // Nothing of the records' content reaches any rendering.
    let report = build(ReportInputs::new(around_now(), 0).with_audit(facts));
    for out in
        [report.to_markdown(), report.to_html(), report.to_json().unwrap()]
    {
        assert!(!out.contains("jane.roe"), "{out}");
        assert!(!out.contains("[[EMAIL-123456]]"));
        assert!(!out.contains("api.anthropic.com"));
    }
}

#[test]
fn only_the_period_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = write_log(tmp.path());
    let past = Period::from_dates("2020-01-01", "2020-12-31").unwrap();
    let facts = read_log(&dir, &past, None).unwrap();
    assert_eq!(facts.figures.calls, 0);
    assert_eq!(facts.records_in_period, 0);
    assert!(facts.figures.latency_ms.is_none());
    // The chain is verified whatever the period.
    assert!(facts.chain.verified);
    assert!(!facts.chain.signatures_checked);
    assert!(facts.chain.records > 6);
}

#[test]
fn a_tampered_log_is_reported_not_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, key) = write_log(tmp.path());
    let file = dir.join("audit-00000000000000000000.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let lineno = text.lines().position(|l| l.contains("\"status\":429"));
    let lineno = lineno.unwrap() as u64 + 1;
    std::fs::write(
        &file,
        text.replacen("\"status\":429", "\"status\":200", 1),
    )
    .unwrap();
    let facts = read_log(&dir, &around_now(), Some(&public(&key))).unwrap();
    assert!(!facts.chain.verified);
    let p = facts.chain.problem.clone().unwrap();
    assert_eq!(p.line, lineno);
    assert_eq!(p.file, "audit-00000000000000000000.jsonl");
    assert!(p.what.contains("edited"), "{}", p.what);
    // The figures are still read (and flagged as unverified).
    assert_eq!(facts.figures.calls, 6);
    let report = build(ReportInputs::new(around_now(), 0).with_audit(facts));
    let log = report.control(ControlId::LoggingAndMonitoring).unwrap();
    let chain = &log.figures[0];
    assert_eq!(chain.name, "audit chain (whole log)");
    assert!(chain.value.starts_with("FAILED at audit-0"), "{}", chain.value);
    assert!(chain.value.contains(&format!("line {lineno}")));
    assert!(log.findings[0].contains("failed verification"));
}

#[test]
fn not_an_audit_log_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("x.jsonl");
    std::fs::write(&p, "{\"hello\":1}\n").unwrap();
    let e = read_log(&p, &around_now(), None).unwrap_err();
    assert!(e.to_string().contains("not an audit log"), "{e}");
    assert!(read_log(&tmp.path().join("none"), &around_now(), None).is_err());
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(read_log(&empty, &around_now(), None).is_err());
}

#[test]
fn purges_and_anchor_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, key) = write_log(tmp.path());
    std::thread::sleep(Duration::from_millis(20));
    let signing = SigningKey::load(&key).unwrap();
    let r = crate::purge(&dir, Duration::from_millis(10), &signing).unwrap();
    assert!(r.removed > 0);
    let facts = read_log(&dir, &around_now(), Some(&public(&key))).unwrap();
    assert!(facts.chain.verified, "{:?}", facts.chain.problem);
    assert_eq!(facts.purges.len(), 1);
    assert_eq!(facts.purges[0].removed_count, r.removed);
    assert_eq!(facts.anchor.as_ref().unwrap().removed_count, r.removed);
    let mut inputs = ReportInputs::new(around_now(), crate::time::now_ms());
    inputs.retention.audit_days = Some(365);
    let report = build(inputs.with_audit(facts));
    let ret = report.control(ControlId::Retention).unwrap();
    assert!(ret
        .figures
        .iter()
        .any(|f| f.name == "audit purges recorded in the period"
            && f.value == "1"));
    assert!(ret.findings.is_empty(), "{:?}", ret.findings);
}

fn key_facts(name: &str) -> KeyFacts {
    KeyFacts {
        store: "keys.json".into(),
        max_age_days: 90,
        warn_days: 14,
        keys: vec![KeyFact {
            id: "k1".into(),
            name: name.into(),
            created: "2026-07-01".into(),
            age_days: 150,
            expires: None,
            revoked: None,
            status: "rotation overdue".into(),
            rotation: "overdue".into(),
        }],
    }
}

#[test]
fn html_and_markdown_escape_key_names() {
    let evil = "<script>alert('x')</script>|[a](b)";
    let mut inputs = ReportInputs::new(
        Period::from_dates("2026-11-01", "2026-11-30").unwrap(),
        0,
    );
    inputs.keys = Some(key_facts(evil));
    let report = build(inputs);
    let html = report.to_html();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    let md = report.to_markdown();
    assert!(!md.contains("<script"));
    assert!(
        md.contains("&lt;script&gt;alert('x')&lt;/script&gt;\\|\\[a\\](b)")
    );
    let keys = report.control(ControlId::KeyManagement).unwrap();
    assert!(keys.findings[0].contains("1 key(s) overdue"), "{:?}", keys);
    assert_eq!(escape_html("a&b\"c"), "a&amp;b&quot;c");
}

#[test]
fn labels_and_messages_keep_only_plain_text() {
    assert_eq!(label(""), "(other)");
    assert_eq!(label(&"a".repeat(81)), "(other)");
    assert_eq!(label("rate_limited:client:rpm"), "rate_limited:client:rpm");
    assert_eq!(label("é"), "(other)");
    assert_eq!(
        plain_message("hash does not match (edited)"),
        "hash does not match (edited)"
    );
    assert!(plain_message("signed by key a@b.io").contains("hush audit"));
}

/// A report from fixed inputs, rendered three ways, is byte for byte
/// the golden files in `src/report/testdata` (`UPDATE_GOLDEN=1` rewrites
/// them after a deliberate change).
#[test]
fn renderings_match_the_golden_files() {
    let mut f = CallFigures::default();
    let mut r = call(200);
    r.entities.insert("EMAIL".into(), 2);
    r.latency_ms = 12.0;
    f.add(&r);
    let mut r = call(403);
    r.error = Some("permission_error".into());
    f.add(&r);
    f.finish();
    let period = Period::from_dates("2026-11-01", "2026-11-30").unwrap();
    let generated =
        crate::time::parse_time("2026-12-01T09:00:00Z", DayEnd::Start)
            .unwrap();
    let mut inputs = ReportInputs::new(period, generated);
    inputs.sources.push(Item::new("audit log", "/var/log/hush/audit"));
    inputs.keys = Some(key_facts("svc"));
    inputs.vaults.push(VaultFacts {
        path: "default.hushvault".into(),
        entries: 2,
        scopes: 1,
        by_kind: [("EMAIL".to_string(), 2)].into_iter().collect(),
        oldest_created_days: Some(40),
        oldest_used_days: Some(35),
        encryption: "XChaCha20-Poly1305".into(),
    });
    inputs.retention =
        RetentionPolicy { audit_days: Some(365), vault_days: Some(30) };
    inputs.controls.push(
        ControlConfig::new(ControlId::EncryptionInTransit, Status::Partial)
            .setting(Item::new("listener TLS", "no"))
            .finding("the listener serves plain HTTP"),
    );
    inputs.controls.push(
        ControlConfig::new(ControlId::Retention, Status::InForce)
            .setting(Item::new("vault", "30 days")),
    );
    let audit = LogFacts {
        path: "/var/log/hush/audit".into(),
        records_in_period: 3,
        figures: f,
        oldest_record: Some("2026-10-01T00:00:00.000Z".into()),
        chain: ChainFacts {
            verified: true,
            signatures_checked: true,
            public_key_id: Some("0123456789abcdef".into()),
            records: 3,
            checkpoints: 1,
            checkpoints_verified: 1,
            first_ts: Some("2026-10-01T00:00:00.000Z".into()),
            last_ts: Some("2026-11-02T00:00:00.000Z".into()),
            ..ChainFacts::default()
        },
        ..LogFacts::default()
    };
    let report = build(inputs.with_audit(audit));
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/testdata");
    for (name, text) in [
        ("report.md", report.to_markdown()),
        ("report.html", report.to_html()),
        ("report.json", report.to_json().unwrap()),
    ] {
        let path = dir.join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(text, want, "{name} differs; UPDATE_GOLDEN=1 to accept");
    }
    let ret = report.control(ControlId::Retention).unwrap();
    assert!(ret.findings.iter().any(|f| f.contains("unused for 35 days")));
}
