//! The proxy's side of the Amazon Bedrock and Google Vertex AI
//! fallbacks: reading their credentials at call time, sending the
//! request [`crate::cloud`] builds from the sanitised body through the
//! proxy's retries and circuit breakers, and handing back an answer the
//! rest of the proxy restores, holds for review, checks and audits like
//! an Anthropic one.
//!
//! A step whose credentials are missing is skipped with a warning that
//! names the variable or file, never a value. A cloud that answers with
//! anything but a 2xx (after retries on 429 and 5xx) counts as down and
//! the plan goes on; its error never reaches the client.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use hush_keys::sigv4::{self, Credentials};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

use super::{
    with_retries, without_url, Answer, Call, ProxyConfig, Shared, Target,
};
use crate::cloud;
use crate::fallback::Fallback;

/// Tries a `bedrock` or `vertex` step of a plan with the sanitised
/// Messages body: the answer when the cloud gave one, `None` when the
/// step was skipped or failed (other kinds: always `None`).
pub(super) async fn try_cloud(
    shared: &Shared,
    call: &mut Call,
    step: &Fallback,
    sanitised: &Bytes,
) -> Option<Answer> {
    match step {
        Fallback::Bedrock { region, model, endpoint, api_key_env } => {
            let auth = bedrock_auth(call, api_key_env.as_deref())?;
            let sent = Bytes::from(cloud::bedrock_body(sanitised)?);
            let base = checked_base(
                step,
                cloud::bedrock_base_url(region, endpoint.as_deref()),
            )?;
            let path = cloud::bedrock_invoke_path(model);
            let mut headers = HeaderMap::new();
            match &auth {
                BedrockAuth::ApiKey(key) => {
                    insert(&mut headers, "accept", "application/json");
                    insert_secret(&mut headers, "authorization", &bearer(key));
                }
                BedrockAuth::SigV4(creds) => {
                    let url = format!("{base}{path}");
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs());
                    let signed = cloud::bedrock_sigv4_headers(
                        creds,
                        &url,
                        &sent,
                        region,
                        &sigv4::amz_date(now),
                    )?;
                    for (name, value) in &signed {
                        insert_secret(&mut headers, name, value);
                    }
                }
            }
            taken(shared, call, step);
            let target = Target {
                method: reqwest::Method::POST,
                path_query: path,
                headers,
            };
            let resp = answered(
                step,
                with_retries(shared, call, &base, None, &target, Some(&sent))
                    .await,
            )?;
            let aws_id = resp
                .headers()
                .get("x-amzn-requestid")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(
                        id = %call.id,
                        "bedrock fallback: reading the answer failed: {}",
                        without_url(&e)
                    );
                    return None;
                }
            };
            let msg =
                serde_json::from_slice::<Value>(&bytes).ok().filter(|m| {
                    m.get("type").and_then(Value::as_str) == Some("message")
                });
            let Some(msg) = msg else {
                tracing::warn!(
                    id = %call.id,
                    "bedrock fallback: the answer is not a Messages message"
                );
                return None;
            };
            call.request = Some(sent);
            let stream = cloud::asks_for_stream(sanitised);
            Some(Answer::Upstream(whole_answer(&msg, stream, aws_id)))
        }
        Fallback::Vertex {
            project,
            region,
            model,
            endpoint,
            token_env,
            token_file,
        } => {
            let token = vertex_token(
                call,
                token_env.as_deref(),
                token_file.as_deref(),
            )?;
            let sent = Bytes::from(cloud::vertex_body(sanitised)?);
            let base = checked_base(
                step,
                cloud::vertex_base_url(region, endpoint.as_deref()),
            )?;
            let stream = cloud::asks_for_stream(sanitised);
            let mut headers = HeaderMap::new();
            insert(
                &mut headers,
                "accept",
                if stream { "text/event-stream" } else { "application/json" },
            );
            insert_secret(&mut headers, "authorization", &bearer(&token));
            taken(shared, call, step);
            let target = Target {
                method: reqwest::Method::POST,
                path_query: cloud::vertex_path(project, region, model, stream),
                headers,
            };
            let resp = answered(
                step,
                with_retries(shared, call, &base, None, &target, Some(&sent))
                    .await,
            )?;
            call.request = Some(sent);
            // A whole Message or the Anthropic SSE events: the proxy's
            // own paths restore either.
            Some(Answer::Upstream(resp))
        }
        _ => None,
    }
}

enum BedrockAuth {
    /// A Bedrock API key.
    ApiKey(String),
    /// AWS credentials to sign with.
    SigV4(Credentials),
}

/// The configured Bedrock credentials, read now; `None` (with a warning
/// naming what is missing) when they are not there.
fn bedrock_auth(
    call: &mut Call,
    api_key_env: Option<&str>,
) -> Option<BedrockAuth> {
    match api_key_env {
        Some(name) => match env_value(name) {
            Some(key) => Some(BedrockAuth::ApiKey(key)),
            None => {
                skipped(call, "bedrock", &format!("${name} is not set"));
                None
            }
        },
        None => match Credentials::from_env() {
            Some(c) => Some(BedrockAuth::SigV4(c)),
            None => {
                skipped(
                    call,
                    "bedrock",
                    "$AWS_ACCESS_KEY_ID or $AWS_SECRET_ACCESS_KEY is not set",
                );
                None
            }
        },
    }
}

/// The Vertex access token: from `token_env` when set there, else read
/// from `token_file` (its first line) now.
fn vertex_token(
    call: &mut Call,
    token_env: Option<&str>,
    token_file: Option<&std::path::Path>,
) -> Option<String> {
    if let Some(t) = token_env.and_then(env_value) {
        return Some(t);
    }
    let from_file = token_file.map(|p| {
        std::fs::read_to_string(p)
            .map(|s| s.lines().next().unwrap_or("").trim().to_string())
            .map_err(|e| e.kind())
    });
    match from_file {
        Some(Ok(t)) if !t.is_empty() => Some(t),
        Some(Ok(_)) => {
            let p = token_file.map(|p| p.display().to_string());
            skipped(
                call,
                "vertex",
                &format!("the token file {} is empty", p.unwrap_or_default()),
            );
            None
        }
        Some(Err(kind)) => {
            let p = token_file.map(|p| p.display().to_string());
            skipped(
                call,
                "vertex",
                &format!(
                    "the token file {} cannot be read ({kind})",
                    p.unwrap_or_default()
                ),
            );
            None
        }
        None => {
            let why = match token_env {
                Some(n) => format!("${n} is not set"),
                None => "neither token_env nor token_file is set".into(),
            };
            skipped(call, "vertex", &why);
            None
        }
    }
}

/// An environment variable's value, `None` when unset, empty or not
/// UTF-8.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A step skipped for want of credentials: a warning naming what is
/// missing, and `fallback_skipped:<kind>` among the call's decisions.
fn skipped(call: &mut Call, kind: &str, why: &str) {
    tracing::warn!(id = %call.id, "{kind} fallback skipped: {why}");
    call.decisions.push(format!("fallback_skipped:{kind}"));
}

/// The base URL when it is one the proxy may call (`https://`, or
/// `http://` to loopback); `Proxy::new` refuses others, so this only
/// guards the call itself.
fn checked_base(step: &Fallback, base: String) -> Option<String> {
    match ProxyConfig::new(&base) {
        Ok(c) => Some(c.upstream().to_string()),
        Err(e) => {
            tracing::warn!(
                "{} fallback skipped: {}",
                step.kind(),
                e.message()
            );
            None
        }
    }
}

/// Counts and records a step that is being tried.
fn taken(shared: &Shared, call: &mut Call, step: &Fallback) {
    shared.metrics.fallback(step.kind());
    call.decisions.push(format!("fallback:{}", step.kind()));
}

/// A 2xx response, or `None` with a warning giving the status and the
/// cloud's error type (never its body, which could quote the request).
fn answered(
    step: &Fallback,
    r: Result<reqwest::Response, crate::ApiError>,
) -> Option<reqwest::Response> {
    match r {
        Ok(resp) if resp.status().is_success() => Some(resp),
        Ok(resp) => {
            let kind = resp
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(|t| t.split(':').next().unwrap_or(t).to_string())
                .unwrap_or_default();
            tracing::warn!(
                status = resp.status().as_u16(),
                error_type = %kind,
                "{} fallback failed",
                step.kind()
            );
            None
        }
        Err(e) => {
            tracing::warn!(
                status = e.status(),
                "{} fallback failed: {}",
                step.kind(),
                e.message()
            );
            None
        }
    }
}

/// A whole `Message` as the response the proxy passes on: JSON, or, for
/// a client that asked for a stream, the SSE events of that message.
/// The rest of the proxy then treats it exactly like an Anthropic answer
/// (restoration, masking, review holds, answer schemas, the audit log).
fn whole_answer(
    msg: &Value,
    stream: bool,
    request_id: Option<String>,
) -> reqwest::Response {
    let (body, content_type) = if stream {
        (crate::message::sse_from_message(msg), "text/event-stream")
    } else {
        (serde_json::to_vec(msg).unwrap_or_default(), "application/json")
    };
    let mut r = http::Response::new(Bytes::from(body));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    if let Some(v) = request_id.and_then(|id| HeaderValue::from_str(&id).ok())
    {
        r.headers_mut().insert("request-id", v);
    }
    reqwest::Response::from(r)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn insert(h: &mut HeaderMap, name: &'static str, value: &'static str) {
    h.insert(name, HeaderValue::from_static(value));
}

/// A header whose value is a credential: marked sensitive (left out of
/// debug output); a value that is not a valid header is left out.
fn insert_secret(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(mut v) = HeaderValue::from_str(value) {
        v.set_sensitive(true);
        h.insert(name, v);
    }
}
