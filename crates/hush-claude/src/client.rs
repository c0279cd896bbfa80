//! A Rust client for the Messages API that does the proxy's round trip
//! in process: the request is redacted before it leaves, the answer is
//! restored as it arrives. For Rust programs that would rather link hush
//! than run the proxy.

use futures_util::StreamExt;
use hush::Redactor;
use serde_json::Value;

use crate::error::ApiError;
use crate::sse::{Frame, SseParser};
use crate::stream::MessageStreamRestorer;
use crate::transform::{
    redact_request, restore_response, Endpoint, MediaPolicy, Redaction,
    ResponseShape,
};

/// The `anthropic-version` sent by default.
pub const DEFAULT_VERSION: &str = "2023-06-01";

/// A redacting Messages API client.
///
/// # Example
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use hush::{Redactor, Scanner, Vault, Key, Policy};
/// use hush_claude::Client;
///
/// let red = Redactor::new(Arc::new(Scanner::new()?), Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?));
/// let client = Client::new("https://api.anthropic.com", &std::env::var("ANTHROPIC_API_KEY")?, red)?;
/// let params = serde_json::json!({
///     "model": "claude-sonnet-4-5", "max_tokens": 256,
///     "messages": [{"role": "user", "content": "Draft a reply to jane.roe@acme.io"}],
/// });
/// client.stream(params, |text| print!("{text}")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
    version: String,
    red: Redactor,
    media: MediaPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for an API base URL (`https://api.anthropic.com`; plain
    /// http only to loopback), sending `api_key` and redacting with `red`.
    ///
    /// # Errors
    ///
    /// A base URL that is not allowed, or a TLS set-up failure.
    pub fn new(
        base: &str,
        api_key: &str,
        red: Redactor,
    ) -> Result<Client, ApiError> {
        let cfg = crate::proxy::ProxyConfig::new(base)?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::Client::builder()
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .no_proxy();
        if cfg.upstream().starts_with("https://") {
            b = b.https_only(true);
        }
        let http = b.build().map_err(|e| {
            ApiError::upstream(format!("building the HTTP client: {e}"))
        })?;
        Ok(Client {
            http,
            base: cfg.upstream().to_string(),
            key: api_key.to_string(),
            version: DEFAULT_VERSION.to_string(),
            red,
            media: MediaPolicy::Allow,
        })
    }

    /// Sends another `anthropic-version` (`2026-10-21`).
    pub fn with_version(mut self, version: &str) -> Client {
        self.version = version.to_string();
        self
    }

    /// Sets the media policy.
    pub fn with_media(mut self, media: MediaPolicy) -> Client {
        self.media = media;
        self
    }

    fn redact(&self, params: &mut Value) -> Result<Redaction, ApiError> {
        redact_request(&self.red, Endpoint::Messages, params, self.media)
    }

    async fn send(
        &self,
        params: &Value,
    ) -> Result<reqwest::Response, ApiError> {
        let resp = self
            .http
            .post(format!("{}/v1/messages", self.base))
            .header("x-api-key", &self.key)
            .header("anthropic-version", &self.version)
            .header("content-type", "application/json")
            .body(
                serde_json::to_vec(params)
                    .map_err(|e| ApiError::redaction_failed(e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| {
                ApiError::upstream(if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                })
            })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let message = body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("upstream error")
            .to_string();
        Err(ApiError::new(status, "api_error", message))
    }

    /// Creates a message (not streamed): returns the restored `Message`
    /// and what was redacted.
    ///
    /// # Errors
    ///
    /// Redaction failures (nothing is sent), upstream errors (with the
    /// upstream's status and message), an unreadable vault.
    pub async fn create(
        &self,
        mut params: Value,
    ) -> Result<(Value, Redaction), ApiError> {
        let done = self.redact(&mut params)?;
        if let Some(o) = params.as_object_mut() {
            o.remove("stream");
        }
        let resp = self.send(&params).await?;
        let mut msg: Value = resp
            .json()
            .await
            .map_err(|_| ApiError::upstream("the answer is not JSON"))?;
        restore_response(&self.red, ResponseShape::Message, &mut msg)?;
        Ok((msg, done))
    }

    /// Streams a message: `on_text` gets each restored piece of text as
    /// it arrives. Returns what was redacted.
    ///
    /// # Errors
    ///
    /// As [`Client::create`], plus an `error` event inside the stream.
    pub async fn stream(
        &self,
        mut params: Value,
        mut on_text: impl FnMut(&str),
    ) -> Result<Redaction, ApiError> {
        let done = self.redact(&mut params)?;
        params["stream"] = Value::Bool(true);
        let resp = self.send(&params).await?;
        let mut up = resp.bytes_stream();
        let mut restorer = MessageStreamRestorer::new(&self.red);
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        let mut frames = Vec::new();
        let mut handle = |frames: &mut Vec<Frame>| -> Result<(), ApiError> {
            for f in frames.drain(..) {
                match f.event_name() {
                    "content_block_delta" => {
                        let v: Value = serde_json::from_str(&f.data)
                            .unwrap_or(Value::Null);
                        if let Some(t) =
                            v.pointer("/delta/text").and_then(Value::as_str)
                        {
                            on_text(t);
                        }
                    }
                    "error" => {
                        let v: Value = serde_json::from_str(&f.data)
                            .unwrap_or(Value::Null);
                        let m = v
                            .pointer("/error/message")
                            .and_then(Value::as_str)
                            .unwrap_or("stream error");
                        return Err(ApiError::new(
                            200,
                            "api_error",
                            m.to_string(),
                        ));
                    }
                    _ => {}
                }
            }
            Ok(())
        };
        while let Some(chunk) = up.next().await {
            let chunk =
                chunk.map_err(|_| ApiError::upstream("stream interrupted"))?;
            restorer.push(&chunk, &mut out)?;
            parser
                .push(&out, &mut frames)
                .map_err(|e| ApiError::upstream(e.to_string()))?;
            out.clear();
            handle(&mut frames)?;
        }
        restorer.finish(&mut out)?;
        parser
            .push(&out, &mut frames)
            .map_err(|e| ApiError::upstream(e.to_string()))?;
        handle(&mut frames)?;
        Ok(done)
    }
}
