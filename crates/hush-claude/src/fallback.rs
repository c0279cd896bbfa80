//! Continuity: what the proxy does when the upstream is down or
//! overloaded after its retries, in the order a route configures.
//!
//! A fallback is one of: the same upstream with another model, another
//! Anthropic-compatible upstream (a second key or region), an exact-match
//! cache of earlier answers keyed by the sanitised request, a configured
//! static answer, or a clear 503 saying the feature is disabled. Routes
//! pick their plan by model name (a `*` glob); the first matching route
//! wins. Every fallback taken is recorded on the call (audit log) and
//! counted (metrics).
//!
//! The cache holds answers as they came from upstream, pseudonyms and
//! all, keyed by a hash of the scope and the sanitised request: a cached
//! answer is restored like a fresh one, and only in the scope that issued
//! its pseudonyms.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// One step of a fallback plan.
///
/// # Example
///
/// ```
/// use hush_claude::fallback::Fallback;
///
/// let f: Fallback = toml::from_str("kind = \"model\"\nmodel = \"claude-haiku-4-5\"").unwrap();
/// assert_eq!(f, Fallback::Model { model: "claude-haiku-4-5".into() });
/// assert_eq!(f.describe(), "model claude-haiku-4-5 on the same upstream");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fallback {
    /// The same upstream, another model.
    Model {
        /// The model to ask instead.
        model: String,
    },
    /// Another Anthropic-compatible upstream (a second key, a regional
    /// gateway): same paths, same body.
    Upstream {
        /// Its base URL (`https://`, or `http://` to loopback).
        url: String,
        /// Environment variable holding its key (else the request's
        /// credential or the proxy's upstream key is sent).
        key_env: Option<String>,
        /// Another model on it, if any.
        model: Option<String>,
    },
    /// Claude on Amazon Bedrock, through its HTTP `InvokeModel` API
    /// (`POST {endpoint}/model/{model}/invoke`). A streamed request is
    /// answered whole by Bedrock and served to the client as SSE.
    Bedrock {
        /// The AWS region (`us-east-1`).
        region: String,
        /// The Bedrock model id
        /// (`anthropic.claude-sonnet-4-5-20250929-v1:0`, or an inference
        /// profile id or ARN).
        model: String,
        /// A base URL instead of
        /// `https://bedrock-runtime.{region}.amazonaws.com` (`https://`,
        /// or `http://` to loopback).
        endpoint: Option<String>,
        /// Environment variable holding a Bedrock API key, sent as
        /// `Authorization: Bearer`; without it the request is signed
        /// with AWS SigV4 from `AWS_ACCESS_KEY_ID`,
        /// `AWS_SECRET_ACCESS_KEY` and (optional) `AWS_SESSION_TOKEN`.
        api_key_env: Option<String>,
    },
    /// Claude on Google Vertex AI (`:rawPredict`, or `:streamRawPredict`
    /// for a streamed request, whose SSE events are the Anthropic ones).
    Vertex {
        /// The Google Cloud project id.
        project: String,
        /// The region (`us-east5`, `europe-west1`) or `global`.
        region: String,
        /// The Vertex model name (`claude-sonnet-4-5@20250929`).
        model: String,
        /// A base URL instead of
        /// `https://{region}-aiplatform.googleapis.com`
        /// (`https://aiplatform.googleapis.com` for `global`).
        endpoint: Option<String>,
        /// Environment variable holding an OAuth access token (for
        /// example the output of `gcloud auth print-access-token`, which
        /// the operator refreshes: such tokens last an hour).
        token_env: Option<String>,
        /// A file holding the access token, read again on each call (a
        /// sidecar can rewrite it); used when `token_env` is unset.
        token_file: Option<std::path::PathBuf>,
    },
    /// An earlier answer to exactly the same sanitised request.
    Cache,
    /// A fixed answer.
    Static {
        /// The answer's text.
        text: String,
    },
    /// A 503 telling the client the feature is disabled.
    Disabled {
        /// The message (a default one when absent).
        message: Option<String>,
    },
}

impl Fallback {
    /// One line for `hush proxy --check` and the audit log.
    pub fn describe(&self) -> String {
        match self {
            Fallback::Model { model } => {
                format!("model {model} on the same upstream")
            }
            Fallback::Upstream { url, key_env, model } => format!(
                "upstream {url}{}{}",
                model
                    .as_ref()
                    .map(|m| format!(" with model {m}"))
                    .unwrap_or_default(),
                key_env
                    .as_ref()
                    .map(|k| format!(" (key from ${k})"))
                    .unwrap_or_default()
            ),
            Fallback::Bedrock { region, model, endpoint, api_key_env } => {
                format!(
                    "Amazon Bedrock model {model} in {region}{} ({})",
                    endpoint
                        .as_ref()
                        .map(|e| format!(" at {e}"))
                        .unwrap_or_default(),
                    match api_key_env {
                        Some(k) => format!("API key from ${k}"),
                        None => "SigV4 with $AWS_ACCESS_KEY_ID, \
                                 $AWS_SECRET_ACCESS_KEY and \
                                 $AWS_SESSION_TOKEN if set"
                            .into(),
                    }
                )
            }
            Fallback::Vertex {
                project,
                region,
                model,
                endpoint,
                token_env,
                token_file,
            } => {
                let token = match (token_env, token_file) {
                    (Some(e), Some(f)) => format!(
                        "token from ${e}, else the file {}",
                        f.display()
                    ),
                    (Some(e), None) => format!("token from ${e}"),
                    (None, Some(f)) => {
                        format!("token from the file {}", f.display())
                    }
                    (None, None) => "no token source: skipped".into(),
                };
                format!(
                    "Google Vertex AI model {model} in project {project}, \
                     {region}{} ({token})",
                    endpoint
                        .as_ref()
                        .map(|e| format!(" at {e}"))
                        .unwrap_or_default(),
                )
            }
            Fallback::Cache => {
                "an earlier answer to the same sanitised request".into()
            }
            Fallback::Static { text } => {
                format!(
                    "a static answer ({} characters)",
                    text.chars().count()
                )
            }
            Fallback::Disabled { .. } => "503: feature disabled".into(),
        }
    }

    /// The short name used in metrics and the audit log.
    pub fn kind(&self) -> &'static str {
        match self {
            Fallback::Model { .. } => "model",
            Fallback::Upstream { .. } => "upstream",
            Fallback::Bedrock { .. } => "bedrock",
            Fallback::Vertex { .. } => "vertex",
            Fallback::Cache => "cache",
            Fallback::Static { .. } => "static",
            Fallback::Disabled { .. } => "disabled",
        }
    }

    /// Checks what a configuration can get wrong before any call: the
    /// regions, project and Vertex model of the cloud kinds (they go
    /// into host names and paths, so only letters, digits and `-._@`
    /// are taken) and their `endpoint` (`https://`, or `http://` to
    /// loopback). Other kinds always pass.
    ///
    /// # Errors
    ///
    /// A message naming the field.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_claude::fallback::Fallback;
    ///
    /// let ok: Fallback = toml::from_str(
    ///     "kind = \"bedrock\"\nregion = \"us-east-1\"\nmodel = \"anthropic.claude-sonnet-4-5-20250929-v1:0\"",
    /// )?;
    /// assert!(ok.check().is_ok());
    /// let bad: Fallback = toml::from_str(
    ///     "kind = \"vertex\"\nproject = \"p\"\nregion = \"evil.example/x\"\nmodel = \"m\"\ntoken_env = \"T\"",
    /// )?;
    /// assert!(bad.check().unwrap_err().contains("region"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self) -> Result<(), String> {
        let name = |field: &str, v: &str, extra: &[u8]| {
            let ok = !v.is_empty()
                && v.len() <= 128
                && v.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'-'
                        || extra.contains(&b)
                });
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{} fallback: {field} {v:?} is not a valid {field}",
                    self.kind()
                ))
            }
        };
        let endpoint = |e: &Option<String>| match e {
            Some(url) => crate::proxy::ProxyConfig::new(url)
                .map(|_| ())
                .map_err(|err| {
                    format!(
                        "{} fallback: endpoint: {}",
                        self.kind(),
                        err.message()
                    )
                }),
            None => Ok(()),
        };
        match self {
            Fallback::Bedrock { region, model, endpoint: e, .. } => {
                name("region", region, b"")?;
                if model.is_empty() {
                    return Err("bedrock fallback: model is empty".into());
                }
                endpoint(e)
            }
            Fallback::Vertex {
                project, region, model, endpoint: e, ..
            } => {
                name("region", region, b"")?;
                name("project", project, b"._")?;
                name("model", &model.to_ascii_lowercase(), b"._@")?;
                endpoint(e)
            }
            _ => Ok(()),
        }
    }

    /// The message of a `Disabled` fallback.
    pub fn disabled_message(&self) -> Option<String> {
        match self {
            Fallback::Disabled { message } => Some(message.clone().unwrap_or_else(|| {
                "this feature is disabled while the Claude API is unavailable; try again later".into()
            })),
            _ => None,
        }
    }
}

/// A route: the requests whose model matches `models` get `fallback`.
///
/// # Example
///
/// ```
/// use hush_claude::fallback::{Route, Fallback};
///
/// let r = Route::new("claude-sonnet-*", vec![Fallback::Cache]);
/// assert!(r.matches("claude-sonnet-4-5"));
/// assert!(!r.matches("claude-opus-4-1"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// A model name glob (`*` matches any run of characters).
    #[serde(default = "any_model")]
    pub models: String,
    /// The plan, in order.
    #[serde(default)]
    pub fallback: Vec<Fallback>,
    /// High risk: answers are held until a reviewer approves them
    /// (`hush review`).
    #[serde(default)]
    pub hold_for_review: bool,
    /// A JSON Schema file that answers (their text, when it is JSON)
    /// must satisfy.
    pub answer_schema: Option<std::path::PathBuf>,
    /// What a schema failure gets: `flag` (header and audit) or `block`
    /// (a 502 instead of the answer) [default: flag].
    #[serde(default)]
    pub on_schema_error: SchemaAction,
}

/// What an answer that fails its route's JSON Schema gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaAction {
    /// Passed on, with `x-hush-answer-schema: invalid` and an audit note.
    #[default]
    Flag,
    /// Replaced by a 502 error.
    Block,
}

impl Route {
    /// A route for `models` with a fallback plan and no output checks.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_claude::fallback::{Fallback, Route};
    ///
    /// let r = Route::new("*", vec![Fallback::Cache]);
    /// assert!(!r.hold_for_review);
    /// ```
    pub fn new(models: &str, fallback: Vec<Fallback>) -> Route {
        Route {
            models: models.to_string(),
            fallback,
            hold_for_review: false,
            answer_schema: None,
            on_schema_error: SchemaAction::Flag,
        }
    }
}

fn any_model() -> String {
    "*".into()
}

impl Route {
    /// Whether a model name matches this route.
    pub fn matches(&self, model: &str) -> bool {
        glob_match(&self.models, model)
    }
}

/// The plan of the first route matching `model` (empty if none).
///
/// # Example
///
/// ```
/// use hush_claude::fallback::{plan_for, Route, Fallback};
///
/// let routes = vec![
///     Route::new("claude-opus-*", vec![Fallback::Model { model: "claude-sonnet-4-5".into() }]),
///     Route::new("*", vec![Fallback::Cache]),
/// ];
/// assert_eq!(plan_for(&routes, Some("claude-opus-4-1"))[0].kind(), "model");
/// assert_eq!(plan_for(&routes, Some("claude-haiku-4-5"))[0].kind(), "cache");
/// assert_eq!(plan_for(&routes, None)[0].kind(), "cache");
/// ```
pub fn plan_for<'a>(
    routes: &'a [Route],
    model: Option<&str>,
) -> &'a [Fallback] {
    routes
        .iter()
        .find(|r| r.matches(model.unwrap_or("")))
        .map_or(&[], |r| r.fallback.as_slice())
}

/// `*`-only glob, iterative with one backtrack point (linear time).
///
/// # Example
///
/// ```
/// use hush_claude::fallback::glob_match;
///
/// assert!(glob_match("claude-*-4-*", "claude-sonnet-4-5"));
/// assert!(!glob_match("claude-*", "gpt-4"));
/// ```
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

/// A static answer as a `Message`.
///
/// # Example
///
/// ```
/// let m = hush_claude::fallback::static_message("Back soon.", Some("claude-sonnet-4-5"));
/// assert_eq!(m["content"][0]["text"], "Back soon.");
/// assert_eq!(m["stop_reason"], "end_turn");
/// ```
pub fn static_message(text: &str, model: Option<&str>) -> Value {
    json!({
        "id": "msg_hush_static",
        "type": "message",
        "role": "assistant",
        "model": model.unwrap_or("hush-static"),
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    })
}

/// The key of a request in the answer cache: a hash of the scope, the
/// endpoint and the sanitised request without `stream` (a streamed and a
/// whole answer to the same question are the same answer).
///
/// # Example
///
/// ```
/// use hush_claude::fallback::cache_key;
/// use serde_json::json;
///
/// let a = cache_key("s", "/v1/messages", &json!({"model": "m", "stream": true, "messages": []}));
/// let b = cache_key("s", "/v1/messages", &json!({"model": "m", "messages": []}));
/// assert_eq!(a, b);
/// assert_ne!(a, cache_key("t", "/v1/messages", &json!({"model": "m", "messages": []})));
/// ```
pub fn cache_key(scope: &str, endpoint: &str, request: &Value) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((scope.len() as u64).to_le_bytes());
    h.update(scope.as_bytes());
    h.update((endpoint.len() as u64).to_le_bytes());
    h.update(endpoint.as_bytes());
    let mut r = request.clone();
    if let Some(o) = r.as_object_mut() {
        o.remove("stream");
    }
    h.update(r.to_string().as_bytes());
    h.finalize().into()
}

/// An exact-match cache of answers (as they came from upstream), bounded
/// in bytes, entries expiring after a time to live; the oldest go first.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use hush_claude::fallback::AnswerCache;
/// use serde_json::json;
///
/// let c = AnswerCache::new(1 << 20, Duration::from_secs(3600));
/// c.put([1; 32], json!({"type": "message"}));
/// assert_eq!(c.get(&[1; 32]).unwrap()["type"], "message");
/// assert!(c.get(&[2; 32]).is_none());
/// ```
#[derive(Debug)]
pub struct AnswerCache {
    max_bytes: usize,
    ttl: Duration,
    inner: Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    map: HashMap<[u8; 32], (Value, usize, Instant)>,
    order: VecDeque<([u8; 32], Instant)>,
    bytes: usize,
}

impl AnswerCache {
    /// A cache of at most `max_bytes` (JSON size) whose entries live `ttl`.
    pub fn new(max_bytes: usize, ttl: Duration) -> AnswerCache {
        AnswerCache {
            max_bytes,
            ttl,
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// Stores an answer (replacing an older one under the same key).
    pub fn put(&self, key: [u8; 32], answer: Value) {
        let size = answer.to_string().len();
        if size > self.max_bytes {
            return;
        }
        let now = Instant::now();
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, old, _)) = g.map.insert(key, (answer, size, now)) {
            g.bytes -= old;
        }
        g.bytes += size;
        g.order.push_back((key, now));
        while g.bytes > self.max_bytes {
            let Some((k, t)) = g.order.pop_front() else { break };
            // Only evict if this queue slot is the entry's current one.
            if g.map.get(&k).is_some_and(|e| e.2 == t) {
                if let Some((_, s, _)) = g.map.remove(&k) {
                    g.bytes -= s;
                }
            }
        }
    }

    /// The answer stored under `key`, if it has not expired.
    pub fn get(&self, key: &[u8; 32]) -> Option<Value> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (v, size, t) = g.map.get(key)?;
        if t.elapsed() > self.ttl {
            let size = *size;
            g.map.remove(key);
            g.bytes -= size;
            return None;
        }
        Some(v.clone())
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn routes_parse_from_toml() {
        #[derive(Deserialize)]
        struct Cfg {
            route: Vec<Route>,
        }
        let c: Cfg = toml::from_str(
            r#"
            [[route]]
            models = "claude-opus-*"
            fallback = [
              { kind = "model", model = "claude-sonnet-4-5" },
              { kind = "upstream", url = "https://eu.example", key_env = "KEY2" },
              { kind = "cache" },
              { kind = "static", text = "Back soon." },
              { kind = "disabled" },
            ]
            [[route]]
            fallback = [{ kind = "disabled", message = "off" }]
            "#,
        )
        .unwrap();
        assert_eq!(c.route.len(), 2);
        assert_eq!(c.route[0].fallback.len(), 5);
        assert_eq!(c.route[1].models, "*");
        assert_eq!(c.route[1].fallback[0].disabled_message().unwrap(), "off");
        assert!(toml::from_str::<Fallback>("kind = \"teleport\"").is_err());
    }

    #[test]
    fn cloud_kinds_parse_describe_and_check() {
        let b: Fallback = toml::from_str(
            r#"
            kind = "bedrock"
            region = "us-east-1"
            model = "anthropic.claude-sonnet-4-5-20250929-v1:0"
            api_key_env = "BEDROCK_KEY"
            "#,
        )
        .unwrap();
        assert_eq!(b.kind(), "bedrock");
        assert_eq!(
            b.describe(),
            "Amazon Bedrock model anthropic.claude-sonnet-4-5-20250929-v1:0 \
             in us-east-1 (API key from $BEDROCK_KEY)"
        );
        let v: Fallback = toml::from_str(
            r#"
            kind = "vertex"
            project = "acme-ai"
            region = "global"
            model = "claude-sonnet-4-5@20250929"
            endpoint = "http://127.0.0.1:9"
            token_file = "/run/vertex.token"
            "#,
        )
        .unwrap();
        assert_eq!(v.kind(), "vertex");
        assert_eq!(
            v.describe(),
            "Google Vertex AI model claude-sonnet-4-5@20250929 in project \
             acme-ai, global at http://127.0.0.1:9 (token from the file \
             /run/vertex.token)"
        );
        assert!(b.check().is_ok() && v.check().is_ok());
        // Unknown fields and missing ones are refused.
        assert!(toml::from_str::<Fallback>(
            "kind = \"bedrock\"\nregion = \"r\"\nmodel = \"m\"\nkey = \"k\""
        )
        .is_err());
        assert!(toml::from_str::<Fallback>(
            "kind = \"vertex\"\nregion = \"r\"\nmodel = \"m\""
        )
        .is_err());
        let with = |f: &Fallback, field: &str, value: &str| {
            let mut t = as_table(f);
            t.insert(field.into(), toml::Value::String(value.into()));
            toml::from_str::<Fallback>(&toml::to_string(&t).unwrap())
                .unwrap()
                .check()
        };
        assert!(with(&b, "region", "us-east-1.evil.example/").is_err());
        assert!(with(&b, "region", "").is_err());
        assert!(with(&b, "model", "").is_err());
        assert!(with(&b, "endpoint", "http://bedrock.example").is_err());
        assert!(with(&b, "endpoint", "ftp://127.0.0.1").is_err());
        assert!(with(&b, "endpoint", "https://vpce.example").is_ok());
        assert!(with(&v, "project", "a/b").is_err());
        assert!(with(&v, "model", "m:rawPredict").is_err());
        assert!(with(&v, "region", "us-east5").is_ok());
    }

    /// A cloud fallback back as a TOML table (tests only).
    fn as_table(f: &Fallback) -> toml::Table {
        let mut t = toml::Table::new();
        let mut put = |k: &str, v: &str| {
            t.insert(k.into(), toml::Value::String(v.into()));
        };
        put("kind", f.kind());
        match f {
            Fallback::Bedrock { region, model, .. } => {
                put("region", region);
                put("model", model);
            }
            Fallback::Vertex { project, region, model, .. } => {
                put("project", project);
                put("region", region);
                put("model", model);
                put("token_env", "T");
            }
            _ => {}
        }
        t
    }

    #[test]
    fn cache_evicts_oldest_and_expires() {
        let c = AnswerCache::new(40, Duration::from_secs(60));
        c.put([1; 32], json!("aaaaaaaaaaaaaaaa")); // 18 bytes
        c.put([2; 32], json!("bbbbbbbbbbbbbbbb"));
        c.put([3; 32], json!("cccccccccccccccc"));
        assert!(c.get(&[1; 32]).is_none());
        assert!(c.get(&[3; 32]).is_some());
        c.put([3; 32], json!("dd"));
        assert_eq!(c.get(&[3; 32]).unwrap(), json!("dd"));
        let c = AnswerCache::new(1000, Duration::ZERO);
        c.put([1; 32], json!(1));
        std::thread::sleep(Duration::from_millis(2));
        assert!(c.get(&[1; 32]).is_none());
        assert!(c.is_empty());
    }

    fn naive_glob(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => {
                (0..=t.len()).any(|k| naive_glob(rest, &t[k..]))
            }
            Some((c, rest)) => {
                t.first() == Some(c) && naive_glob(rest, &t[1..])
            }
        }
    }

    proptest! {
        #[test]
        fn glob_agrees_with_naive(p in "[ab*]{0,6}", t in "[ab]{0,8}") {
            prop_assert_eq!(glob_match(&p, &t), naive_glob(p.as_bytes(), t.as_bytes()));
        }
    }
}
