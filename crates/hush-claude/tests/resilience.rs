//! Availability controls end to end on loopback: retries against a
//! flaky upstream, rate limits, the circuit breaker and every kind of
//! fallback, each checked on what the client got and on what reached
//! the mock upstream.

mod common;

use std::sync::Arc;
use std::time::Duration;

use hush_claude::fallback::{Fallback, Route};
use hush_claude::mock::{MockState, Outage};
use hush_claude::proxy::{Proxy, ProxyConfig};
use hush_guard::{BreakerConfig, Limits, RateLimiter, RetryPolicy};
use serde_json::{json, Value};

use common::{redactor, spawn_mock};

const EMAIL: &str = "jane.roe@acme-mail.io";

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base: Duration::from_millis(2),
        cap: Duration::from_millis(20),
        deadline: Duration::from_secs(5),
    }
}

async fn proxy(cfg: ProxyConfig) -> String {
    let p = Proxy::new(cfg, redactor()).unwrap();
    let url = common::serve_proxy(p).await;
    url
}

fn ask(model: &str, stream: bool) -> Value {
    json!({"model": model, "max_tokens": 64, "stream": stream,
        "messages": [{"role": "user", "content": format!("Write to {EMAIL} please.")}]})
}

async fn post(proxy: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{proxy}/v1/messages"))
        .header("x-api-key", "sk-ant-test-key")
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn metric(proxy: &str, name: &str) -> u64 {
    let text = reqwest::get(format!("{proxy}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn clean(mock: &MockState) {
    for body in mock.requests() {
        assert!(
            !body.contains(EMAIL),
            "an original value reached the upstream"
        );
    }
}

#[tokio::test]
async fn retries_carry_requests_through_a_flaky_upstream() {
    let (url, mock) = spawn_mock().await;
    mock.set_outage(Some(Outage { status: 529, rate: 0.3, model: None }));
    let mut cfg = ProxyConfig::new(&url).unwrap();
    cfg.retry = fast_retries();
    cfg.breaker = BreakerConfig {
        consecutive_failures: 0,
        failure_rate: 2.0,
        ..BreakerConfig::default()
    };
    let p = proxy(cfg).await;
    let n = 200;
    let mut ok = 0;
    for i in 0..n {
        let r = post(&p, &ask("claude-sonnet-4-5", i % 2 == 0)).await;
        if r.status() == 200 {
            let text = r.text().await.unwrap();
            assert!(
                text.contains(EMAIL) || text.contains("jane.roe"),
                "not restored"
            );
            ok += 1;
        }
    }
    // 1 - 0.3^4 ≈ 99.2% expected; the sequence is fixed, so this is exact.
    assert!(ok >= 195, "only {ok} of {n} succeeded");
    let retries = metric(&p, "hush_upstream_retries_total").await;
    assert!(retries >= 40, "retries {retries}");
    assert!(mock.requests().len() as u64 >= n + retries - 1);
    clean(&mock);
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_and_send_nothing() {
    let (url, mock) = spawn_mock().await;
    let mut cfg = ProxyConfig::new(&url).unwrap();
    cfg.limiter = Some(Arc::new(RateLimiter::in_process(Limits::default())));
    cfg.client_limits = Limits { rpm: Some(5), ..Limits::default() };
    let p = proxy(cfg).await;
    for _ in 0..5 {
        assert_eq!(post(&p, &ask("m", false)).await.status(), 200);
    }
    let r = post(&p, &ask("m", false)).await;
    assert_eq!(r.status(), 429);
    let wait: u64 =
        r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=13).contains(&wait), "retry-after {wait}");
    assert!(r.headers().contains_key("retry-after-ms"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert_eq!(
        mock.requests().len(),
        5,
        "a limited request reached the upstream"
    );
    assert_eq!(metric(&p, "hush_rate_limited_total").await, 1);
    // Output tokens: max_tokens is reserved at admission and the unused
    // part refunded from `usage` (the echo model uses 12).
    let (url, _) = spawn_mock().await;
    let mut cfg = ProxyConfig::new(&url).unwrap();
    cfg.limiter = Some(Arc::new(RateLimiter::in_process(Limits::default())));
    cfg.client_limits = Limits { output_tpm: Some(100), ..Limits::default() };
    let p = proxy(cfg).await;
    let mut big = ask("m", false);
    big["max_tokens"] = json!(80);
    // 80 reserved, 68 refunded: 88 left, so a second 80 passes...
    assert_eq!(post(&p, &big).await.status(), 200);
    assert_eq!(post(&p, &big).await.status(), 200);
    // ...76 left after it (and 100/min refilling): a third of 95 does not
    // for ~11 s (without the refunds the second would have failed).
    big["max_tokens"] = json!(95);
    let r = post(&p, &big).await;
    assert_eq!(r.status(), 429);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("output tokens"));
}

#[tokio::test]
async fn fallbacks_in_order_model_upstream_cache_static_disabled() {
    let (url, mock) = spawn_mock().await;
    let (url2, mock2) = spawn_mock().await;
    let mut cfg = ProxyConfig::new(&url).unwrap();
    cfg.retry = RetryPolicy { max_attempts: 2, ..fast_retries() };
    cfg.breaker = BreakerConfig {
        consecutive_failures: 0,
        failure_rate: 2.0,
        ..BreakerConfig::default()
    };
    cfg.routes = vec![
        Route::new(
            "claude-opus-*",
            vec![Fallback::Model { model: "claude-sonnet-4-5".into() }],
        ),
        Route::new(
            "claude-haiku-*",
            vec![Fallback::Upstream {
                url: url2.clone(),
                key_env: None,
                model: None,
            }],
        ),
        Route::new(
            "cached-*",
            vec![
                Fallback::Cache,
                Fallback::Static { text: "Back soon.".into() },
            ],
        ),
        Route::new("*", vec![Fallback::Disabled { message: None }]),
    ];
    let p = proxy(cfg).await;

    // Another model on the same upstream.
    mock.set_outage(Some(Outage {
        status: 529,
        rate: 1.0,
        model: Some("claude-opus-4-1".into()),
    }));
    let r = post(&p, &ask("claude-opus-4-1", false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-hush-fallback"], "model");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["model"], "claude-sonnet-4-5");
    assert!(v["content"][0]["text"].as_str().unwrap().contains(EMAIL));

    // Another upstream.
    mock.set_outage(Some(Outage { status: 500, rate: 1.0, model: None }));
    let r = post(&p, &ask("claude-haiku-4-5", true)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-hush-fallback"], "upstream");
    assert!(r.text().await.unwrap().contains("jane.roe"));
    assert_eq!(mock2.requests().len(), 1);

    // The cache: a fresh answer first, then the same request during an
    // outage, whole and streamed.
    mock.set_outage(None);
    let fresh: Value =
        post(&p, &ask("cached-model", false)).await.json().await.unwrap();
    mock.set_outage(Some(Outage { status: 529, rate: 1.0, model: None }));
    let r = post(&p, &ask("cached-model", false)).await;
    assert_eq!(r.headers()["x-hush-fallback"], "cache");
    let cached: Value = r.json().await.unwrap();
    assert_eq!(cached["content"], fresh["content"]);
    let r = post(&p, &ask("cached-model", true)).await;
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let wire = r.text().await.unwrap();
    assert!(wire.contains("message_stop") && wire.contains("jane.roe"));

    // Nothing cached for another question: the static answer.
    let mut other = ask("cached-model", false);
    other["messages"][0]["content"] = json!("Something else entirely.");
    let r = post(&p, &other).await;
    assert_eq!(r.headers()["x-hush-fallback"], "static");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["content"][0]["text"], "Back soon.");

    // Disabled: a clear 503.
    let r = post(&p, &ask("claude-sonnet-4-5", false)).await;
    assert_eq!(r.status(), 503);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("disabled"));
    assert!(metric(&p, "hush_fallbacks_total").await >= 5);
    clean(&mock);
    clean(&mock2);
}

#[tokio::test]
async fn the_breaker_opens_and_stops_calling_a_dead_upstream() {
    let (url, mock) = spawn_mock().await;
    mock.set_outage(Some(Outage { status: 500, rate: 1.0, model: None }));
    let mut cfg = ProxyConfig::new(&url).unwrap();
    cfg.retry = RetryPolicy { max_attempts: 1, ..fast_retries() };
    cfg.breaker = BreakerConfig {
        consecutive_failures: 3,
        cooldown: Duration::from_secs(60),
        ..BreakerConfig::default()
    };
    let p = proxy(cfg).await;
    for _ in 0..3 {
        assert_eq!(post(&p, &ask("m", false)).await.status(), 500);
    }
    let r = post(&p, &ask("m", false)).await;
    assert_eq!(r.status(), 529);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["type"],
        "overloaded_error"
    );
    assert_eq!(
        mock.requests().len(),
        3,
        "an open breaker still called upstream"
    );
    // Each failure is counted once, by what it was: three upstream 500s
    // and one refusal by the open breaker (not also as a 529).
    assert_eq!(
        metric(&p, "hush_upstream_errors_total{type=\"500\"}").await,
        3
    );
    assert_eq!(
        metric(&p, "hush_upstream_errors_total{type=\"circuit_open\"}").await,
        1
    );
    assert_eq!(metric(&p, "hush_upstream_errors_total").await, 4);
}

#[tokio::test]
async fn alerts_reach_the_webhook_and_the_probe_drives_readiness() {
    use hush_claude::monitor::{Alert, AlertRules};
    use std::sync::Mutex;
    // A webhook receiver on loopback.
    let got: Arc<Mutex<Vec<Alert>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/alerts",
        axum::routing::post(move |axum::Json(a): axum::Json<Alert>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(a);
                "ok"
            }
        }),
    );
    let wl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/alerts", wl.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(wl, app).await });

    let (url, mock) = spawn_mock().await;
    mock.set_outage(Some(Outage { status: 500, rate: 1.0, model: None }));
    let mut cfg = ProxyConfig::new(&url).unwrap();
    cfg.retry = RetryPolicy { max_attempts: 1, ..fast_retries() };
    cfg.breaker = BreakerConfig {
        consecutive_failures: 0,
        failure_rate: 2.0,
        ..BreakerConfig::default()
    };
    cfg.alerts =
        Some((AlertRules { min_requests: 5, ..AlertRules::default() }, hook));
    cfg.probe_interval = Some(Duration::from_millis(200));
    let p = proxy(cfg).await;
    for _ in 0..6 {
        assert_eq!(post(&p, &ask("m", false)).await.status(), 500);
    }
    // The evaluator runs every 10 s; the first tick is immediate, so wait
    // for the second.
    let mut waited = 0;
    while got.lock().unwrap().is_empty() && waited < 150 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    let alerts = got.lock().unwrap().clone();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].alert, "error_rate");
    assert_eq!(alerts[0].value, 1.0);
    assert!(!alerts[0].message.contains(EMAIL));

    // The mock answers /v1/models even during the outage (GET has no
    // body to fail on), so the upstream is reachable and the proxy ready.
    let ready: Value = reqwest::get(format!("{p}/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["checks"]["upstream"], true);
    assert!(reqwest::get(format!("{p}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("hush_upstream_up 1"));
}

#[tokio::test]
async fn an_unreachable_upstream_makes_the_proxy_not_ready() {
    // A port with nothing listening.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let mut cfg = ProxyConfig::new(&url).unwrap();
    cfg.probe_interval = Some(Duration::from_millis(100));
    let p = proxy(cfg).await;
    let mut status = 0;
    for _ in 0..50 {
        status = reqwest::get(format!("{p}/readyz"))
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 503);
}
