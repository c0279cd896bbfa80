//! The Amazon Bedrock and Google Vertex AI fallbacks end to end on
//! loopback: the primary upstream fails with 529 and a second mock,
//! speaking Bedrock's or Vertex's API, answers, whole and streamed. Each
//! test checks what the client got (real values restored), what reached
//! the clouds (the cloud's body shape, pseudonyms only, no Anthropic
//! key), that a step without credentials is skipped, and what the audit
//! log records.
//!
//! Only `bedrock_signs_with_sigv4_...` touches the `AWS_*` variables;
//! every other test names its own environment variables, so the tests
//! of this binary can run in parallel.

mod common;

use std::sync::Arc;
use std::time::Duration;

use hush_audit::{AuditConfig, AuditLog, Filter};
use hush_claude::fallback::{Fallback, Route};
use hush_claude::message::message_from_sse;
use hush_claude::mock::{MockState, Outage};
use hush_claude::proxy::{Proxy, ProxyConfig};
use hush_guard::{BreakerConfig, RetryPolicy};
use serde_json::{json, Value};

use common::{redactor, spawn_mock};

const EMAIL: &str = "jane.roe@acme-mail.io";
const CLIENT_KEY: &str = "sk-ant-client-key-0123";
const BEDROCK_MODEL: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const VERTEX_MODEL: &str = "claude-sonnet-4-5@20250929";

/// A proxy config whose primary upstream (a mock) fails every call
/// with 529; retries are fast and the breakers never open.
async fn primary_down() -> (ProxyConfig, Arc<MockState>) {
    let (url, mock) = spawn_mock().await;
    mock.set_outage(Some(Outage { status: 529, rate: 1.0, model: None }));
    let mut cfg = ProxyConfig::new(&url).unwrap();
    cfg.retry = RetryPolicy {
        max_attempts: 2,
        base: Duration::from_millis(2),
        cap: Duration::from_millis(10),
        deadline: Duration::from_secs(5),
    };
    cfg.breaker = BreakerConfig {
        consecutive_failures: 0,
        failure_rate: 2.0,
        ..BreakerConfig::default()
    };
    (cfg, mock)
}

async fn proxy(cfg: ProxyConfig) -> String {
    let p = Proxy::new(cfg, redactor()).unwrap();
    let url = common::serve_proxy(p).await;
    url
}

fn bedrock(endpoint: &str, api_key_env: Option<&str>) -> Fallback {
    Fallback::Bedrock {
        region: "us-east-1".into(),
        model: BEDROCK_MODEL.into(),
        endpoint: Some(endpoint.into()),
        api_key_env: api_key_env.map(str::to_string),
    }
}

fn vertex(
    endpoint: &str,
    region: &str,
    token_env: Option<&str>,
    token_file: Option<std::path::PathBuf>,
) -> Fallback {
    Fallback::Vertex {
        project: "hush-test".into(),
        region: region.into(),
        model: VERTEX_MODEL.into(),
        endpoint: Some(endpoint.into()),
        token_env: token_env.map(str::to_string),
        token_file,
    }
}

fn back_soon() -> Fallback {
    Fallback::Static { text: "Back soon.".into() }
}

fn ask(stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": stream,
        "metadata": {"user_id": "u-1"},
        "messages": [{"role": "user", "content": format!("Write to {EMAIL} please.")}]})
}

async fn post(proxy: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{proxy}/v1/messages"))
        .header("x-api-key", CLIENT_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The answer's text, whole or folded from its SSE events.
async fn answer_text(r: reqwest::Response, stream: bool) -> String {
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    let bytes = r.bytes().await.unwrap();
    let msg: Value = if stream {
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        message_from_sse(&bytes).expect("an SSE message")
    } else {
        assert!(ct.starts_with("application/json"), "{ct}");
        serde_json::from_slice(&bytes).unwrap()
    };
    msg["content"][0]["text"].as_str().unwrap_or_default().to_string()
}

/// Every body that reached a mock: no original value, no client key,
/// and (for a cloud) no `model` but the cloud's `anthropic_version`.
fn only_pseudonyms(mock: &MockState, version: Option<&str>) -> usize {
    let bodies = mock.requests();
    for b in &bodies {
        assert!(!b.contains(EMAIL), "an original value left: {b}");
        assert!(!b.contains("jane.roe"), "an original value left: {b}");
        assert!(!b.contains(CLIENT_KEY));
        if let Some(v) = version {
            let body: Value = serde_json::from_str(b).unwrap();
            assert!(body.get("model").is_none());
            assert_eq!(body["anthropic_version"], v);
            let text = body["messages"][0]["content"].as_str().unwrap();
            assert!(text.contains("[EMAIL-"), "{text}");
        }
    }
    bodies.len()
}

#[tokio::test]
async fn bedrock_answers_whole_and_streamed_when_the_primary_is_down() {
    std::env::set_var("HUSH_TEST_BEDROCK_KEY_A", "bedrock-api-key-a");
    let (mut cfg, primary) = primary_down().await;
    let (cloud_url, cloud) = spawn_mock().await;
    cfg.routes = vec![Route::new(
        "*",
        vec![bedrock(&cloud_url, Some("HUSH_TEST_BEDROCK_KEY_A"))],
    )];
    let p = proxy(cfg).await;
    for stream in [false, true] {
        let r = post(&p, &ask(stream)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-hush-fallback"], "bedrock");
        let text = answer_text(r, stream).await;
        assert!(text.contains(EMAIL), "not restored: {text}");
    }
    assert_eq!(only_pseudonyms(&cloud, Some("bedrock-2023-05-31")), 2);
    // The Bedrock body has no `stream`, even for a streamed request.
    assert!(cloud.requests().iter().all(|b| !b.contains("\"stream\"")));
    // Two tries (one retry) each time at the primary.
    assert_eq!(only_pseudonyms(&primary, None), 4);
}

#[tokio::test]
async fn bedrock_signs_with_sigv4_from_the_environment_and_is_skipped_without_it(
) {
    for v in
        ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
    {
        std::env::remove_var(v);
    }
    let (mut cfg, _primary) = primary_down().await;
    let (cloud_url, cloud) = spawn_mock().await;
    cfg.routes =
        vec![Route::new("*", vec![bedrock(&cloud_url, None), back_soon()])];
    let p = proxy(cfg).await;
    // No AWS credentials: the step is skipped, the next one answers.
    let r = post(&p, &ask(false)).await;
    assert_eq!(r.headers()["x-hush-fallback"], "static");
    assert_eq!(answer_text(r, false).await, "Back soon.");
    assert!(cloud.requests().is_empty());
    // With them (read on each call), the call is signed; the mock checks
    // the SigV4 Authorization is well formed for `bedrock`.
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDHUSHTEST");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "aws-secret-never-shown");
    std::env::set_var("AWS_SESSION_TOKEN", "aws-session-never-shown");
    for stream in [false, true] {
        let r = post(&p, &ask(stream)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-hush-fallback"], "bedrock");
        assert!(answer_text(r, stream).await.contains(EMAIL));
    }
    assert_eq!(only_pseudonyms(&cloud, Some("bedrock-2023-05-31")), 2);
}

#[tokio::test]
async fn vertex_answers_whole_and_streamed_when_the_primary_is_down() {
    std::env::set_var("HUSH_TEST_VERTEX_TOKEN_A", "ya29.vertex-token-a");
    let (mut cfg, primary) = primary_down().await;
    let (cloud_url, cloud) = spawn_mock().await;
    cfg.routes = vec![Route::new(
        "*",
        vec![vertex(
            &cloud_url,
            "us-east5",
            Some("HUSH_TEST_VERTEX_TOKEN_A"),
            None,
        )],
    )];
    let p = proxy(cfg).await;
    for stream in [false, true] {
        let r = post(&p, &ask(stream)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-hush-fallback"], "vertex");
        let text = answer_text(r, stream).await;
        assert!(text.contains(EMAIL), "not restored: {text}");
    }
    assert_eq!(only_pseudonyms(&cloud, Some("vertex-2023-10-16")), 2);
    // `stream` is kept: the mock serves streamRawPredict only to it.
    let streamed: Value = serde_json::from_str(&cloud.requests()[1]).unwrap();
    assert_eq!(streamed["stream"], true);
    only_pseudonyms(&primary, None);
}

#[tokio::test]
async fn vertex_reads_its_token_file_on_each_call() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("vertex.token");
    let (mut cfg, _primary) = primary_down().await;
    let (cloud_url, cloud) = spawn_mock().await;
    cfg.routes = vec![Route::new(
        "*",
        vec![
            vertex(
                &cloud_url,
                "global",
                Some("HUSH_TEST_VERTEX_TOKEN_UNSET"),
                Some(token.clone()),
            ),
            back_soon(),
        ],
    )];
    let p = proxy(cfg).await;
    // No variable, no file: skipped.
    let r = post(&p, &ask(true)).await;
    assert_eq!(r.headers()["x-hush-fallback"], "static");
    assert_eq!(answer_text(r, true).await, "Back soon.");
    // An empty file: skipped.
    std::fs::write(&token, "\n").unwrap();
    let r = post(&p, &ask(false)).await;
    assert_eq!(r.headers()["x-hush-fallback"], "static");
    assert!(cloud.requests().is_empty());
    // A token written later is used without a restart.
    std::fs::write(&token, "ya29.from-the-file\n").unwrap();
    for stream in [true, false] {
        let r = post(&p, &ask(stream)).await;
        assert_eq!(r.headers()["x-hush-fallback"], "vertex");
        assert!(answer_text(r, stream).await.contains(EMAIL));
    }
    assert_eq!(only_pseudonyms(&cloud, Some("vertex-2023-10-16")), 2);
}

#[tokio::test]
async fn missing_credentials_skip_to_the_next_step() {
    std::env::set_var("HUSH_TEST_VERTEX_TOKEN_B", "ya29.vertex-token-b");
    let (mut cfg, _primary) = primary_down().await;
    let (cloud_url, cloud) = spawn_mock().await;
    cfg.routes = vec![
        Route::new(
            "claude-opus-*",
            vec![
                bedrock(&cloud_url, Some("HUSH_TEST_BEDROCK_KEY_UNSET")),
                vertex(
                    &cloud_url,
                    "us-east5",
                    Some("HUSH_TEST_UNSET_2"),
                    None,
                ),
                back_soon(),
            ],
        ),
        Route::new(
            "*",
            vec![
                bedrock(&cloud_url, Some("HUSH_TEST_BEDROCK_KEY_UNSET")),
                vertex(
                    &cloud_url,
                    "us-east5",
                    Some("HUSH_TEST_VERTEX_TOKEN_B"),
                    None,
                ),
            ],
        ),
    ];
    let p = proxy(cfg).await;
    let mut opus = ask(false);
    opus["model"] = json!("claude-opus-4-1");
    let r = post(&p, &opus).await;
    assert_eq!(r.headers()["x-hush-fallback"], "static");
    assert!(cloud.requests().is_empty());
    // Bedrock skipped, Vertex answers.
    let r = post(&p, &ask(false)).await;
    assert_eq!(r.headers()["x-hush-fallback"], "vertex");
    assert!(answer_text(r, false).await.contains(EMAIL));
    assert_eq!(only_pseudonyms(&cloud, Some("vertex-2023-10-16")), 1);
}

#[tokio::test]
async fn a_failing_cloud_counts_as_down_and_its_error_stays_inside() {
    std::env::set_var("HUSH_TEST_BEDROCK_KEY_C", "bedrock-api-key-c");
    std::env::set_var("HUSH_TEST_VERTEX_TOKEN_C", "ya29.vertex-token-c");
    let (mut cfg, _primary) = primary_down().await;
    let (cloud_url, cloud) = spawn_mock().await;
    cloud.set_outage(Some(Outage { status: 500, rate: 1.0, model: None }));
    cfg.routes = vec![
        Route::new(
            "claude-opus-*",
            vec![
                bedrock(&cloud_url, Some("HUSH_TEST_BEDROCK_KEY_C")),
                vertex(
                    &cloud_url,
                    "us-east5",
                    Some("HUSH_TEST_VERTEX_TOKEN_C"),
                    None,
                ),
                back_soon(),
            ],
        ),
        Route::new(
            "*",
            vec![bedrock(&cloud_url, Some("HUSH_TEST_BEDROCK_KEY_C"))],
        ),
    ];
    let p = proxy(cfg).await;
    let mut opus = ask(false);
    opus["model"] = json!("claude-opus-4-1");
    let r = post(&p, &opus).await;
    assert_eq!(r.headers()["x-hush-fallback"], "static");
    // Retried like the primary: two tries at each cloud.
    assert_eq!(cloud.requests().len(), 4);
    // Nothing left: the client gets the primary's own failure, with no
    // credential in it.
    let r = post(&p, &ask(true)).await;
    assert_eq!(r.status(), 529);
    let text = r.text().await.unwrap();
    assert!(text.contains("overloaded_error"), "{text}");
    for secret in ["bedrock-api-key-c", "ya29", CLIENT_KEY] {
        assert!(!text.contains(secret));
    }
}

#[tokio::test]
async fn the_audit_log_records_which_cloud_answered() {
    std::env::set_var("HUSH_TEST_BEDROCK_KEY_D", "bedrock-api-key-d");
    std::env::set_var("HUSH_TEST_VERTEX_TOKEN_D", "ya29.vertex-token-d");
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("audit");
    let log = Arc::new(
        AuditLog::open(AuditConfig::files(
            &log_dir,
            dir.path().join("audit.key"),
        ))
        .unwrap(),
    );
    let (mut cfg, _primary) = primary_down().await;
    let (cloud_url, _cloud) = spawn_mock().await;
    cfg.audit = Some(log.clone());
    cfg.routes = vec![
        Route::new(
            "claude-opus-*",
            vec![
                vertex(
                    &cloud_url,
                    "us-east5",
                    Some("HUSH_TEST_UNSET_3"),
                    None,
                ),
                bedrock(&cloud_url, Some("HUSH_TEST_BEDROCK_KEY_D")),
            ],
        ),
        Route::new(
            "*",
            vec![vertex(
                &cloud_url,
                "us-east5",
                Some("HUSH_TEST_VERTEX_TOKEN_D"),
                None,
            )],
        ),
    ];
    let p = proxy(cfg).await;
    let mut opus = ask(true);
    opus["model"] = json!("claude-opus-4-1");
    // Each answer is read to its end, which is when its call is logged.
    for body in [opus, ask(true)] {
        let r = post(&p, &body).await;
        assert_eq!(r.status(), 200);
        assert!(answer_text(r, true).await.contains(EMAIL));
    }
    log.flush().unwrap();
    let hits: Vec<_> = hush_audit::search(&log_dir, &Filter::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hits.len(), 2);
    let (b, v) = (&hits[0].record, &hits[1].record);
    assert_eq!(b.decisions, ["fallback_skipped:vertex", "fallback:bedrock"]);
    assert_eq!(v.decisions, ["fallback:vertex"]);
    assert_eq!(b.upstream_request_id.as_deref(), Some("aws-req-mock"));
    // What the log keeps as the request is what went to the cloud.
    let req = b.request.as_ref().unwrap().value();
    assert!(req.get("model").is_none());
    assert_eq!(req["anthropic_version"], "bedrock-2023-05-31");
    assert_eq!(
        v.request.as_ref().unwrap().value()["anthropic_version"],
        "vertex-2023-10-16"
    );
    for r in [b, v] {
        assert_eq!(r.status, 200);
        let answer = r.response.as_ref().unwrap().value();
        assert!(answer["content"][0]["text"].is_string());
    }
    let all: String = std::fs::read_dir(&log_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for never in [EMAIL, "jane.roe", "bedrock-api-key-d", "ya29", CLIENT_KEY] {
        assert!(!all.contains(never), "the audit log holds {never:?}");
    }
}
