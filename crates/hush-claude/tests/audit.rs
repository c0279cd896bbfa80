//! The proxy's audit log end to end: every call leaves one record with
//! what crossed the boundary, the chain verifies, and hush itself finds
//! no original value anywhere in the log.

mod common;

use std::sync::Arc;

use hush::{Key, Policy, Redactor, Scanner, Vault};
use hush_audit::{AuditConfig, AuditLog, Filter};
use hush_claude::proxy::{Proxy, ProxyConfig};
use serde_json::{json, Value};

use common::spawn_mock;

const EMAIL: &str = "jane.roe@acme-mail.io";
const PHONE: &str = "+44 20 7946 0958";
const CARD: &str = "4111 1111 1111 1111";

#[tokio::test]
async fn every_call_is_recorded_sanitised_and_the_chain_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("audit");
    let key = dir.path().join("audit.key");
    let log =
        Arc::new(AuditLog::open(AuditConfig::files(&log_dir, &key)).unwrap());
    let (url, _mock) = spawn_mock().await;
    let mut cfg = ProxyConfig::new(&url).unwrap();
    cfg.audit = Some(log.clone());
    let scanner = Arc::new(Scanner::new().unwrap());
    let vault = Arc::new(
        Vault::in_memory(Key::generate().unwrap(), Policy::default()).unwrap(),
    );
    let p = Proxy::new(cfg, Redactor::new(scanner.clone(), vault.clone()))
        .unwrap();
    let base = common::serve_proxy(p).await;
    let http = reqwest::Client::new();
    let ready: Value = http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["checks"]["audit"], json!(true), "{ready}");
    let prompt = format!("Please email {EMAIL} or call {PHONE}; card {CARD}.");
    let post = |body: Value| {
        http.post(format!("{base}/v1/messages"))
            .header("x-api-key", "sk-ant-client")
            .header("anthropic-version", "2023-06-01")
            .json(&body)
            .send()
    };
    let whole = json!({"model": "claude-sonnet-4-5", "max_tokens": 64,
        "metadata": {"user_id": "user-77"},
        "messages": [{"role": "user", "content": prompt}]});
    let r = post(whole.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-hush-request-id"].to_str().unwrap().to_string();
    assert!(r.text().await.unwrap().contains(EMAIL));
    let mut streamed = whole.clone();
    streamed["stream"] = json!(true);
    assert!(post(streamed)
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("jane.roe"));
    // Refused before upstream, and an upstream error: recorded too.
    assert_eq!(post(json!({"model": "m"})).await.unwrap().status(), 400);
    let r = http
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", "sk-ant-client")
        .header("x-mock-fail", "400")
        .header("anthropic-version", "nope")
        .json(&whole)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    log.flush().unwrap();

    let report =
        hush_audit::verify(&log_dir, Some(&log.public_key())).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.calls, 4);
    let hits: Vec<_> = hush_audit::search(&log_dir, &Filter::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hits.len(), 4);
    let first = &hits[0].record;
    assert_eq!(first.request_id, id);
    assert_eq!(first.status, 200);
    assert_eq!(first.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(first.upstream_request_id.as_deref(), Some("req_mock"));
    assert_eq!(first.entities.get("EMAIL"), Some(&1));
    assert!(first.usage.as_ref().unwrap()["output_tokens"].as_u64().is_some());
    assert!(first.key_id.as_deref().unwrap().starts_with("client-"));
    assert!(first.restored >= 3);
    let req = first.request.as_ref().unwrap().value();
    let req_text = req["messages"][0]["content"].as_str().unwrap();
    assert!(req_text.contains("[EMAIL-"), "{req_text}");
    // The streamed answer is kept as the message it folds into.
    let second = &hits[1].record;
    assert!(second.response.as_ref().unwrap().value()["content"][0]["text"]
        .is_string());
    assert_eq!(hits[2].record.status, 400);
    assert_eq!(hits[2].record.error.as_deref(), Some("invalid_request_error"));

    // No original value anywhere in the log: not as text, and hush finds
    // nothing in it that is not a pseudonym the vault issued.
    let mut all = String::new();
    for e in std::fs::read_dir(&log_dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "jsonl") {
            all.push_str(&std::fs::read_to_string(p).unwrap());
        }
    }
    for v in [EMAIL, PHONE, CARD, "jane.roe", "7946 0958", "1111 1111"] {
        assert!(!all.contains(v), "the audit log holds an original value");
    }
    // What hush finds in the log is pseudonyms this client's scope
    // issued (restoring them gives originals back), never an original.
    let scope = vault.client_scope(b"sk-ant-client");
    let s = vault.scope(&scope);
    let mut issued = 0;
    for f in scanner.scan(all.as_bytes()) {
        let found = &all[f.start..f.end];
        for v in [EMAIL, PHONE, CARD] {
            assert_ne!(found, v, "hush found an original value in the log");
        }
        if s.restore(found).unwrap().restored() > 0 {
            issued += 1;
        }
    }
    // Tags are not personal data to the scanner; surrogates may be.
    let _ = issued;
    assert!(
        all.contains("[EMAIL-"),
        "the pseudonyms that went upstream are in the log"
    );
}
