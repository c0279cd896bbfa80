//! A mock of the Claude API for tests: speaks the wire format as
//! documented and as the SDKs' fixtures show it, and records every
//! request body it receives so that a test can check that no original
//! value reached it.
//!
//! The model is an echo: it answers with the text of the last user turn
//! (so pseudonyms come back in the answer; a turn starting `ECHO:` is
//! answered with the rest of it exactly), or, when tools are offered
//! and the last turn is not a tool result, with a `tool_use` whose input
//! carries that text. Streams are cut into byte chunks at random (inside
//! frames, lines and UTF-8 sequences), text and tool input are split into
//! deltas of one to three characters, pings are inserted between deltas
//! and JSON frames are padded with spaces, as real captures are.
//!
//! It also serves Claude as Amazon Bedrock (`POST /model/{id}/invoke`)
//! and Google Vertex AI (`POST /v1/projects/{p}/locations/{r}/publishers/
//! anthropic/models/{m}:rawPredict` and `:streamRawPredict`) serve it,
//! strictly: a body that still has `model` (or, for Bedrock, `stream`) or
//! lacks that cloud's `anthropic_version` gets a 400; Bedrock wants an
//! `Authorization` that is `Bearer ...` or a well-formed SigV4 one for
//! the `bedrock` service, Vertex a `Bearer` token; an `x-api-key` (an
//! Anthropic key leaking to another cloud) gets a 400.
//!
//! Request headers steer failures: `x-mock-fail: 429 | 529 | 500 |
//! stream-error | no-block-stop | drop`. `x-mock-seed: N` fixes the
//! random splits. `GET /_mock/requests` returns the recorded bodies
//! (the last [`RECORD_LIMIT`]), `DELETE /_mock/requests` clears them.

// Handlers return a ready error `Response` as their `Err`; it is built
// once per failed request, so its size costs nothing worth boxing.
#![allow(clippy::result_large_err)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

/// How many request bodies (and API keys) the mock keeps: the last
/// ones. A mock serving a load test for minutes must not grow without
/// bound (at 500 requests a second of 11 KB, unbounded recording grew the
/// mock by 330 MB a minute).
pub const RECORD_LIMIT: usize = 1000;

/// Shared state of a mock server.
#[derive(Debug, Default)]
pub struct MockState {
    requests: Mutex<VecDeque<String>>,
    batches: Mutex<Vec<(String, Value)>>,
    counter: AtomicU64,
    /// The base URL the mock puts in `results_url`.
    base: Mutex<String>,
    outage: Mutex<Option<Outage>>,
    draws: AtomicU64,
    api_keys: Mutex<VecDeque<String>>,
}

/// Appends `item`, dropping the oldest beyond [`RECORD_LIMIT`].
fn record(list: &Mutex<VecDeque<String>>, item: String) {
    if let Ok(mut l) = list.lock() {
        if l.len() == RECORD_LIMIT {
            l.pop_front();
        }
        l.push_back(item);
    }
}

/// What `list` holds, oldest first.
fn recorded_list(list: &Mutex<VecDeque<String>>) -> Vec<String> {
    list.lock().map(|l| l.iter().cloned().collect()).unwrap_or_default()
}

/// A simulated outage: calls (to one model, or all) fail with `status`
/// at `rate` (0..=1), drawn from a fixed pseudo-random sequence so runs
/// repeat.
#[derive(Clone, Debug, PartialEq)]
pub struct Outage {
    /// The failure status (429, 500, 529, ...).
    pub status: u16,
    /// The fraction of calls that fail.
    pub rate: f64,
    /// Only calls for this model fail, if given.
    pub model: Option<String>,
}

impl MockState {
    /// Starts (or with `None` ends) a simulated outage.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_claude::mock::{router, Outage};
    ///
    /// let (_, state) = router("http://127.0.0.1:9");
    /// state.set_outage(Some(Outage { status: 529, rate: 0.3, model: None }));
    /// ```
    pub fn set_outage(&self, outage: Option<Outage>) {
        if let Ok(mut o) = self.outage.lock() {
            *o = outage;
        }
    }

    /// Whether this call falls in the outage.
    fn in_outage(&self, body: &Bytes) -> Option<u16> {
        let o = self.outage.lock().ok()?.clone()?;
        if let Some(m) = &o.model {
            let v: Value = serde_json::from_slice(body).ok()?;
            if v.get("model").and_then(Value::as_str) != Some(m) {
                return None;
            }
        }
        // splitmix64 over a counter: a fixed, well-spread sequence.
        let n = self.draws.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        let u = crate::splitmix::unit(n.wrapping_mul(crate::splitmix::STEP));
        (u < o.rate).then_some(o.status)
    }

    /// The request bodies received so far (the last [`RECORD_LIMIT`]),
    /// oldest first, as text.
    pub fn requests(&self) -> Vec<String> {
        recorded_list(&self.requests)
    }

    /// The `x-api-key` of every request received so far, in order (kept
    /// in memory for tests only; never served or logged).
    ///
    /// # Example
    ///
    /// ```
    /// let state = hush_claude::mock::MockState::default();
    /// assert!(state.api_keys().is_empty());
    /// ```
    pub fn api_keys(&self) -> Vec<String> {
        recorded_list(&self.api_keys)
    }
}

/// The mock's router, with its state.
///
/// # Example
///
/// ```
/// let (router, state) = hush_claude::mock::router("http://127.0.0.1:9");
/// assert!(state.requests().is_empty());
/// # let _ = router;
/// ```
pub fn router(base: &str) -> (Router, Arc<MockState>) {
    let state = Arc::new(MockState::default());
    if let Ok(mut b) = state.base.lock() {
        *b = base.trim_end_matches('/').to_string();
    }
    let r = Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/messages/count_tokens", post(count_tokens))
        .route("/v1/messages/batches", post(batch_create).get(batch_list))
        .route("/v1/messages/batches/{id}", get(batch_get))
        .route("/v1/messages/batches/{id}/results", get(batch_results))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat))
        .route("/model/{model}/invoke", post(bedrock_invoke))
        .route(
            "/v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model_action}",
            post(vertex_predict),
        )
        .route("/_mock/requests", get(recorded).delete(clear))
        .with_state(state.clone());
    (r, state)
}

/// Serves the mock on a bound listener until the process ends.
///
/// # Errors
///
/// When the listener fails.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_with(listener, None).await
}

/// [`serve`] with a simulated outage from the start.
///
/// # Errors
///
/// When the listener fails.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    outage: Option<Outage>,
) -> std::io::Result<()> {
    let base = format!("http://{}", listener.local_addr()?);
    let (r, state) = router(&base);
    state.set_outage(outage);
    // As the proxy: frames written one by one must not wait for the
    // client's delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, r).await
}

fn error(status: u16, kind: &str, message: &str) -> Response {
    let body = json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_mock"});
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body.to_string(),
    )
        .into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r.headers_mut().insert("request-id", HeaderValue::from_static("req_mock"));
    r
}

/// Checks auth and version; records the body; applies `x-mock-fail`
/// statuses.
fn admit(
    state: &MockState,
    headers: &HeaderMap,
    body: &Bytes,
    versioned: bool,
) -> Result<(), Response> {
    let auth = headers.contains_key("x-api-key")
        || headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer "));
    if !auth {
        return Err(error(
            401,
            "authentication_error",
            "x-api-key header is required",
        ));
    }
    if versioned {
        match headers.get("anthropic-version").and_then(|v| v.to_str().ok()) {
            Some("2023-06-01" | "2026-10-21") => {}
            _ => {
                return Err(error(
                    400,
                    "invalid_request_error",
                    "anthropic-version: unsupported or missing",
                ))
            }
        }
    }
    record_and_fail(state, headers, body)
}

/// Records the body; applies the outage and `x-mock-fail` statuses.
fn record_and_fail(
    state: &MockState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(), Response> {
    record(&state.requests, String::from_utf8_lossy(body).into_owned());
    if let Some(k) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        record(&state.api_keys, k.to_string());
    }
    let outage = state.in_outage(body).map(|s| s.to_string());
    let fail = outage
        .as_deref()
        .or_else(|| headers.get("x-mock-fail").and_then(|v| v.to_str().ok()));
    match fail {
        Some("429") => {
            let mut r = error(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit");
            let h = r.headers_mut();
            h.insert("retry-after", HeaderValue::from_static("1"));
            h.insert("retry-after-ms", HeaderValue::from_static("1"));
            h.insert(
                "anthropic-ratelimit-requests-limit",
                HeaderValue::from_static("50"),
            );
            h.insert(
                "anthropic-ratelimit-requests-remaining",
                HeaderValue::from_static("0"),
            );
            h.insert(
                "anthropic-ratelimit-requests-reset",
                HeaderValue::from_static("2026-11-29T15:00:00Z"),
            );
            Err(r)
        }
        Some("529") => {
            let mut r = error(529, "overloaded_error", "Overloaded");
            r.headers_mut()
                .insert("retry-after-ms", HeaderValue::from_static("1"));
            Err(r)
        }
        Some("500") => Err(error(500, "api_error", "Internal server error")),
        _ => Ok(()),
    }
}

/// [`admit`], then the body as JSON.
fn admit_json(
    state: &MockState,
    headers: &HeaderMap,
    body: &Bytes,
    versioned: bool,
) -> Result<Value, Response> {
    admit(state, headers, body, versioned)?;
    parse(body)
}

fn parse(body: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|_| {
        error(400, "invalid_request_error", "body is not valid JSON")
    })
}

/// The text of the last user turn.
fn last_user_text(params: &Value) -> (String, bool) {
    let Some(m) = params["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
    else {
        return (String::new(), false);
    };
    let mut text = String::new();
    let mut tool_result = false;
    match &m["content"] {
        Value::String(s) => text.push_str(s),
        Value::Array(blocks) => {
            for b in blocks {
                match b["type"].as_str() {
                    Some("text") => {
                        text.push_str(b["text"].as_str().unwrap_or(""))
                    }
                    Some("tool_result") => {
                        tool_result = true;
                        match &b["content"] {
                            Value::String(s) => text.push_str(s),
                            Value::Array(c) => c.iter().for_each(|x| {
                                text.push_str(x["text"].as_str().unwrap_or(""))
                            }),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    (text, tool_result)
}

/// The echo model's answer to Messages params.
pub fn answer(params: &Value, id: u64) -> Value {
    let (text, after_tool) = last_user_text(params);
    let tools = params["tools"].as_array().is_some_and(|t| !t.is_empty());
    let model = params["model"].as_str().unwrap_or("claude-mock");
    let (content, stop) = if tools && !after_tool {
        let name = params["tools"][0]["name"].as_str().unwrap_or("tool");
        (
            json!([
                {"type": "text", "text": "Let me look that up."},
                {"type": "tool_use", "id": format!("toolu_mock{id:04}"), "name": name, "input": {"query": text, "note": "quote \" and backslash \\ stay escaped"}},
            ]),
            "tool_use",
        )
    } else {
        (
            json!([{"type": "text", "text": match text.strip_prefix("ECHO:") {
                Some(exact) => exact.to_string(),
                None => format!("You said: {text}"),
            }}]),
            "end_turn",
        )
    };
    json!({
        "id": format!("msg_mock{id:04}"), "type": "message", "role": "assistant",
        "content": content, "model": model, "stop_reason": stop, "stop_sequence": null,
        "usage": {"input_tokens": text.len() / 4 + 1, "output_tokens": 12},
    })
}

/// A small deterministic generator for splits.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn pad(rng: &mut Rng, v: &Value) -> String {
    let mut s = v.to_string();
    if s.ends_with('}') && rng.next(2) == 0 {
        s.pop();
        s.push_str(&" ".repeat(rng.next(16) as usize));
        s.push('}');
    }
    s
}

fn frame(rng: &mut Rng, out: &mut String, v: &Value) {
    let name = v["type"].as_str().unwrap_or("message");
    out.push_str(&format!("event: {name}\ndata: {}\n\n", pad(rng, v)));
}

/// Splits `s` into pieces of 1-3 characters.
fn pieces(rng: &mut Rng, s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let n = (1 + rng.next(3) as usize).min(chars.len() - i);
        out.push(chars[i..i + n].iter().collect());
        i += n;
    }
    out
}

/// The SSE wire text of a message, as the API streams it.
pub fn stream_events(msg: &Value, seed: u64, fail: Option<&str>) -> String {
    let mut rng = Rng(seed | 1);
    let mut out = String::new();
    let mut start = msg.clone();
    start["content"] = json!([]);
    start["stop_reason"] = Value::Null;
    frame(
        &mut rng,
        &mut out,
        &json!({"type": "message_start", "message": start}),
    );
    for (i, b) in msg["content"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let is_tool = b["type"] == "tool_use";
        let block_start = if is_tool {
            json!({"type": b["type"], "id": b["id"], "name": b["name"], "input": {}})
        } else {
            json!({"type": "text", "text": ""})
        };
        frame(
            &mut rng,
            &mut out,
            &json!({"type": "content_block_start", "index": i, "content_block": block_start}),
        );
        frame(&mut rng, &mut out, &json!({"type": "ping"}));
        let (whole, kind, field) = if is_tool {
            (b["input"].to_string(), "input_json_delta", "partial_json")
        } else {
            (
                b["text"].as_str().unwrap_or("").to_string(),
                "text_delta",
                "text",
            )
        };
        if is_tool {
            frame(
                &mut rng,
                &mut out,
                &json!({"type": "content_block_delta", "index": i, "delta": {"type": kind, field: ""}}),
            );
        }
        for (n, p) in pieces(&mut rng, &whole).into_iter().enumerate() {
            if n == 3 && fail == Some("stream-error") {
                frame(
                    &mut rng,
                    &mut out,
                    &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
                );
                return out;
            }
            frame(
                &mut rng,
                &mut out,
                &json!({"type": "content_block_delta", "index": i, "delta": {"type": kind, field: p}}),
            );
            if rng.next(5) == 0 {
                frame(&mut rng, &mut out, &json!({"type": "ping"}));
            }
        }
        if fail != Some("no-block-stop") {
            frame(
                &mut rng,
                &mut out,
                &json!({"type": "content_block_stop", "index": i}),
            );
        }
    }
    frame(
        &mut rng,
        &mut out,
        &json!({"type": "message_delta", "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": null}, "usage": {"output_tokens": 12}}),
    );
    frame(&mut rng, &mut out, &json!({"type": "message_stop"}));
    out
}

/// Cuts bytes into random chunks, sent with a short pause so that they
/// reach the client as separate reads.
fn chunked_body(wire: String, seed: u64) -> Body {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let bytes = wire.into_bytes();
    let mut chunks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let n = (1 + rng.next(40) as usize).min(bytes.len() - i);
        chunks.push(Bytes::copy_from_slice(&bytes[i..i + n]));
        i += n;
    }
    let stream = futures_util::stream::iter(chunks.into_iter().enumerate())
        .then(|(n, c)| async move {
            if n % 16 == 15 {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            Ok::<_, std::io::Error>(c)
        });
    Body::from_stream(stream)
}

use futures_util::StreamExt;

fn seed_of(state: &MockState, headers: &HeaderMap) -> u64 {
    headers
        .get("x-mock-seed")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| state.counter.fetch_add(1, Ordering::Relaxed) + 1)
}

fn json_response(v: &Value) -> Response {
    let mut r = (StatusCode::OK, v.to_string()).into_response();
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert("request-id", HeaderValue::from_static("req_mock"));
    r
}

fn sse_response(body: Body) -> Response {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert("request-id", HeaderValue::from_static("req_mock"));
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    r
}

async fn messages(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match admit_json(&state, &headers, &body, true) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let seed = seed_of(&state, &headers);
    let msg = answer(&params, seed);
    if params["stream"] == true {
        let fail = headers.get("x-mock-fail").and_then(|v| v.to_str().ok());
        if fail == Some("drop") {
            let wire = stream_events(&msg, seed, None);
            let cut = wire.len() / 2;
            let mut cut = cut;
            while !wire.is_char_boundary(cut) {
                cut -= 1;
            }
            return sse_response(chunked_body(wire[..cut].to_string(), seed));
        }
        sse_response(chunked_body(stream_events(&msg, seed, fail), seed))
    } else {
        json_response(&msg)
    }
}

async fn count_tokens(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match admit_json(&state, &headers, &body, true) {
        Ok(v) => json_response(
            &json!({"input_tokens": v["messages"].to_string().len() / 4 + 1}),
        ),
        Err(r) => r,
    }
}

/// The batch object of a stored batch create body.
fn batch_object(state: &MockState, id: &str, body: &Value) -> Value {
    let n = body["requests"].as_array().map_or(0, Vec::len);
    let base = state.base.lock().map(|b| b.clone()).unwrap_or_default();
    json!({
        "id": id, "type": "message_batch", "processing_status": "ended",
        "request_counts": {"processing": 0, "succeeded": n, "errored": 0, "canceled": 0, "expired": 0},
        "created_at": "2026-11-29T15:00:00Z", "ended_at": "2026-11-29T15:00:01Z", "expires_at": "2026-11-30T15:00:00Z",
        "cancel_initiated_at": null, "archived_at": null,
        "results_url": format!("{base}/v1/messages/batches/{id}/results"),
    })
}

async fn batch_create(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let v = match admit_json(&state, &headers, &body, true) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = format!(
        "msgbatch_mock{:04}",
        state.counter.fetch_add(1, Ordering::Relaxed)
    );
    let batch = batch_object(&state, &id, &v);
    if let Ok(mut b) = state.batches.lock() {
        b.push((id, v));
    }
    json_response(&batch)
}

async fn batch_list(State(state): State<Arc<MockState>>) -> Response {
    let data: Vec<Value> = state
        .batches
        .lock()
        .map(|b| b.iter().map(|(id, v)| batch_object(&state, id, v)).collect())
        .unwrap_or_default();
    json_response(
        &json!({"data": data, "has_more": false, "first_id": null, "last_id": null}),
    )
}

/// A stored batch create body by id.
fn find_batch(state: &MockState, id: &str) -> Option<Value> {
    let batches = state.batches.lock().ok()?;
    batches.iter().find(|(i, _)| i == id).map(|(_, v)| v.clone())
}

async fn batch_get(
    State(state): State<Arc<MockState>>,
    Path(id): Path<String>,
) -> Response {
    match find_batch(&state, &id) {
        Some(v) => json_response(&batch_object(&state, &id, &v)),
        None => error(404, "not_found_error", "batch not found"),
    }
}

async fn batch_results(
    State(state): State<Arc<MockState>>,
    Path(id): Path<String>,
) -> Response {
    let Some(v) = find_batch(&state, &id) else {
        return error(404, "not_found_error", "batch not found");
    };
    let mut out = String::new();
    // Lines come back in reverse order: results are not in request order.
    for (n, r) in v["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .rev()
    {
        let line = json!({"custom_id": r["custom_id"], "result": {"type": "succeeded", "message": answer(&r["params"], n as u64)}});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    let mut resp = Response::new(chunked_body(out, 7));
    resp.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/binary"),
    );
    resp
}

async fn models() -> Response {
    json_response(&json!({
        "data": [{"type": "model", "id": "claude-mock-1", "display_name": "Claude Mock", "created_at": "2026-01-01T00:00:00Z"}],
        "has_more": false, "first_id": "claude-mock-1", "last_id": "claude-mock-1",
    }))
}

async fn chat(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match admit_json(&state, &headers, &body, false) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let text = params["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            Value::Array(p) => {
                p.iter().filter_map(|x| x["text"].as_str()).collect()
            }
            _ => String::new(),
        })
        .unwrap_or_default();
    let tools = params["tools"].as_array().is_some_and(|t| !t.is_empty());
    let seed = seed_of(&state, &headers);
    let args = json!({"query": text}).to_string();
    let reply = format!("You said: {text}");
    if params["stream"] == true {
        let mut rng = Rng(seed | 1);
        let mut wire = String::new();
        let env = |delta: Value, finish: Value| {
            json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1764428400, "model": params["model"],
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        };
        wire += &format!(
            "data: {}\n\n",
            env(json!({"role": "assistant", "content": ""}), Value::Null)
        );
        if tools {
            let name = params["tools"][0]["function"]["name"].clone();
            wire += &format!(
                "data: {}\n\n",
                env(
                    json!({"tool_calls": [{"index": 0, "id": "call_mock", "type": "function", "function": {"name": name, "arguments": ""}}]}),
                    Value::Null
                )
            );
            for p in pieces(&mut rng, &args) {
                wire += &format!(
                    "data: {}\n\n",
                    env(
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}),
                        Value::Null
                    )
                );
            }
            wire +=
                &format!("data: {}\n\n", env(json!({}), json!("tool_calls")));
        } else {
            for p in pieces(&mut rng, &reply) {
                wire += &format!(
                    "data: {}\n\n",
                    env(json!({"content": p}), Value::Null)
                );
            }
            wire += &format!("data: {}\n\n", env(json!({}), json!("stop")));
        }
        wire += "data: [DONE]\n\n";
        return sse_response(chunked_body(wire, seed));
    }
    let message = if tools {
        json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_mock", "type": "function", "function": {"name": params["tools"][0]["function"]["name"], "arguments": args}}]})
    } else {
        json!({"role": "assistant", "content": reply})
    };
    json_response(&json!({
        "id": "chatcmpl-mock", "object": "chat.completion", "created": 1764428400, "model": params["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": if tools { "tool_calls" } else { "stop" }}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }))
}

async fn recorded(State(state): State<Arc<MockState>>) -> Response {
    json_response(&json!(state.requests()))
}

async fn clear(State(state): State<Arc<MockState>>) -> Response {
    if let Ok(mut r) = state.requests.lock() {
        r.clear();
    }
    json_response(&json!({"cleared": true}))
}

/// Bedrock's error shape: `{"message"}` and `x-amzn-ErrorType`.
fn aws_error(status: u16, kind: &'static str, message: &str) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"message": message}).to_string(),
    )
        .into_response();
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert("x-amzn-errortype", HeaderValue::from_static(kind));
    h.insert("x-amzn-requestid", HeaderValue::from_static("aws-req-mock"));
    r
}

/// Whether an `Authorization` value is a well-formed SigV4 one for the
/// Bedrock service, dated like `x-amz-date`: `AWS4-HMAC-SHA256
/// Credential=<key id>/<yyyymmdd>/<region>/bedrock/aws4_request,
/// SignedHeaders=<sorted names with host and x-amz-date>,
/// Signature=<64 hex>`. (Well-formed only: the mock holds no secret.)
fn well_formed_sigv4(auth: &str, headers: &HeaderMap) -> bool {
    let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 Credential=") else {
        return false;
    };
    let parts: Vec<&str> = rest.split(", ").collect();
    let [cred, signed, sig] = parts[..] else { return false };
    let (Some(signed), Some(sig)) = (
        signed.strip_prefix("SignedHeaders="),
        sig.strip_prefix("Signature="),
    ) else {
        return false;
    };
    let scope: Vec<&str> = cred.split('/').collect();
    let [key_id, date, region, service, end] = scope[..] else {
        return false;
    };
    let amz_date =
        headers.get("x-amz-date").and_then(|v| v.to_str().ok()).unwrap_or("");
    let names: Vec<&str> = signed.split(';').collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    let token_ok = !names.contains(&"x-amz-security-token")
        || headers.contains_key("x-amz-security-token");
    !key_id.is_empty()
        && date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && amz_date.len() == 16
        && amz_date.starts_with(date)
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && service == "bedrock"
        && end == "aws4_request"
        && names == sorted
        && names.contains(&"host")
        && names.contains(&"x-amz-date")
        && token_ok
        && sig.len() == 64
        && sig
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The body checks both clouds make: no `model`, the right
/// `anthropic_version`.
fn cloud_params(body: &Bytes, version: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| "body is not valid JSON".to_string())?;
    if v.get("model").is_some() {
        return Err("extraneous key [model] is not permitted".into());
    }
    if v.get("anthropic_version").and_then(Value::as_str) != Some(version) {
        return Err(format!("anthropic_version must be {version}"));
    }
    Ok(v)
}

async fn bedrock_invoke(
    State(state): State<Arc<MockState>>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if headers.contains_key("x-api-key") {
        return aws_error(
            400,
            "ValidationException",
            "x-api-key is not a Bedrock credential",
        );
    }
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bearer = auth.strip_prefix("Bearer ").is_some_and(|t| !t.is_empty());
    if !bearer && !well_formed_sigv4(auth, &headers) {
        return aws_error(
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        );
    }
    if let Err(r) = record_and_fail(&state, &headers, &body) {
        return r;
    }
    let params = match cloud_params(&body, crate::cloud::BEDROCK_VERSION) {
        Ok(v) if v.get("stream").is_some() => {
            return aws_error(
                400,
                "ValidationException",
                "extraneous key [stream] is not permitted",
            )
        }
        Ok(v) => v,
        Err(m) => return aws_error(400, "ValidationException", &m),
    };
    let mut msg = answer(&params, seed_of(&state, &headers));
    msg["model"] = Value::String(model);
    let mut r = json_response(&msg);
    r.headers_mut()
        .insert("x-amzn-requestid", HeaderValue::from_static("aws-req-mock"));
    r
}

async fn vertex_predict(
    State(state): State<Arc<MockState>>,
    Path((_project, _region, model_action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((model, action)) = model_action.rsplit_once(':') else {
        return error(404, "not_found_error", "no such method");
    };
    let stream = match action {
        "rawPredict" => false,
        "streamRawPredict" => true,
        _ => return error(404, "not_found_error", "no such method"),
    };
    if headers.contains_key("x-api-key") {
        return error(
            400,
            "invalid_request_error",
            "x-api-key is not a Google credential",
        );
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.is_empty());
    if !bearer {
        return error(
            401,
            "authentication_error",
            "Request is missing required authentication credential.",
        );
    }
    if let Err(r) = record_and_fail(&state, &headers, &body) {
        return r;
    }
    let params = match cloud_params(&body, crate::cloud::VERTEX_VERSION) {
        Ok(v) => v,
        Err(m) => return error(400, "invalid_request_error", &m),
    };
    if stream != (params["stream"] == true) {
        return error(
            400,
            "invalid_request_error",
            "streamRawPredict is for stream: true, rawPredict for the rest",
        );
    }
    let seed = seed_of(&state, &headers);
    let mut msg = answer(&params, seed);
    msg["model"] = Value::String(model.to_string());
    if stream {
        let fail = headers.get("x-mock-fail").and_then(|v| v.to_str().ok());
        sse_response(chunked_body(stream_events(&msg, seed, fail), seed))
    } else {
        json_response(&msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long load test keeps the mock's memory flat: only the last
    /// `RECORD_LIMIT` bodies and keys stay, oldest dropped first.
    #[test]
    fn recording_keeps_the_last_bodies_only() {
        let state = MockState::default();
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("sk-ant-k"));
        for i in 0..RECORD_LIMIT + 5 {
            let body = Bytes::from(format!("{{\"n\":{i}}}"));
            assert!(record_and_fail(&state, &headers, &body).is_ok());
        }
        let r = state.requests();
        assert_eq!(r.len(), RECORD_LIMIT);
        assert_eq!(r[0], "{\"n\":5}");
        assert_eq!(
            r[RECORD_LIMIT - 1],
            format!("{{\"n\":{}}}", RECORD_LIMIT + 4)
        );
        assert_eq!(state.api_keys().len(), RECORD_LIMIT);
    }

    fn with_date(d: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-amz-date", HeaderValue::from_static(d));
        h
    }

    #[test]
    fn sigv4_authorization_shape() {
        let sig = "a".repeat(64);
        let good = format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/bedrock/aws4_request, \
             SignedHeaders=accept;content-type;host;x-amz-date, Signature={sig}"
        );
        let h = with_date("20260102T030405Z");
        assert!(well_formed_sigv4(&good, &h));
        assert!(!well_formed_sigv4(&good, &with_date("20260103T030405Z")));
        for bad in [
            good.replace("/bedrock/", "/iam/"),
            good.replace("aws4_request", "aws4"),
            good.replace("host;x-amz-date", "x-amz-date;host"),
            good.replace(";host", ""),
            good.replace(&sig, &"A".repeat(64)),
            good.replace(&sig, &"a".repeat(63)),
            good.replace("AKID/", "/"),
            good.replace(", Signature", " Signature"),
            good.replace("x-amz-date,", "x-amz-date;x-amz-security-token,"),
            String::new(),
        ] {
            assert!(!well_formed_sigv4(&bad, &h), "{bad}");
        }
    }
}
