//! Which fields of a Claude API body carry user text, and what happens
//! to each.
//!
//! Requests are redacted field by field: every place user text can be
//! (system, text blocks, tool results, tool inputs, documents, search
//! results, tool and schema descriptions, stop sequences) goes through
//! the redactor; fields that must not change (ids, signatures, thinking
//! blocks, base64 data, encrypted server-tool results) are left alone.
//! A block type this module does not know is redacted string by string,
//! except for keys that are opaque by nature: an unknown field is more
//! likely to leak than to break. Responses are restored the same way.
//!
//! Bodies are walked as `serde_json::Value` with key order preserved, so
//! identical requests give byte-identical upstream bodies (and prompt
//! caching keeps working).

use hush::{Redactor, Report};
use serde_json::Value;

use crate::error::ApiError;

/// What to do with content that cannot be redacted: images, PDFs, files
/// referred to by URL or id.
///
/// # Example
///
/// ```
/// use hush_claude::MediaPolicy;
///
/// assert_eq!("block".parse::<MediaPolicy>()?, MediaPolicy::Block);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MediaPolicy {
    /// Forward it and count it.
    #[default]
    Allow,
    /// Refuse the request with a 400.
    Block,
}

impl std::str::FromStr for MediaPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<MediaPolicy, String> {
        match s {
            "allow" => Ok(MediaPolicy::Allow),
            "block" => Ok(MediaPolicy::Block),
            _ => Err(format!(
                "unknown media policy {s:?} (expected allow or block)"
            )),
        }
    }
}

/// What a request redaction did.
///
/// # Example
///
/// ```
/// # use std::sync::Arc;
/// # use hush::{Redactor, Scanner, Vault, Key, Policy};
/// # let r = Redactor::new(Arc::new(Scanner::new()?), Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?));
/// use hush_claude::{redact_request, Endpoint, MediaPolicy};
///
/// let mut body = serde_json::json!({
///     "model": "claude-sonnet-4-5", "max_tokens": 100,
///     "messages": [{"role": "user", "content": "Mail jane.roe@acme.io"}],
/// });
/// let done = redact_request(&r, Endpoint::Messages, &mut body, MediaPolicy::Allow)?;
/// assert_eq!(done.report.findings, 1);
/// assert!(!body.to_string().contains("jane.roe"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Redaction {
    /// Values replaced, by kind.
    pub report: Report,
    /// Images, PDFs and files forwarded as they were.
    pub media: u64,
}

/// Which body shape a request has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/messages` and `/v1/messages/count_tokens`.
    Messages,
    /// `POST /v1/messages/batches`: `requests[].params`.
    Batch,
    /// `POST /v1/chat/completions` (the OpenAI-compatible shape).
    ChatCompletions,
}

/// Keys whose values are never user text: identifiers, signatures,
/// encodings, encrypted payloads.
const OPAQUE_KEYS: &[&str] = &[
    "type",
    "id",
    "tool_use_id",
    "signature",
    "encrypted_content",
    "encrypted_index",
    "media_type",
    "cache_control",
    "file_id",
    "name",
    "role",
    "model",
];

/// Block types produced by Anthropic's server tools: encrypted or
/// signature-bound, passed back as they came.
const SERVER_RESULT_BLOCKS: &[&str] = &[
    "thinking",
    "redacted_thinking",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
    "container_upload",
];

/// Claude Code's per-request attribution line in `system[0]`: opaque, not
/// PII, and it changes per request.
const ATTRIBUTION_PREFIX: &str = "x-anthropic-billing-header:";

struct Walker<'a> {
    red: &'a Redactor,
    media: MediaPolicy,
    out: Redaction,
}

impl Walker<'_> {
    fn text(&mut self, s: &mut String) -> Result<(), ApiError> {
        if s.is_empty() {
            return Ok(());
        }
        let r = self.red.redact(s)?;
        if r.report().findings > 0 {
            self.out.report.merge(r.report());
            *s = r.into_text();
        }
        Ok(())
    }

    fn field(&mut self, v: &mut Value, key: &str) -> Result<(), ApiError> {
        if let Some(Value::String(s)) = v.get_mut(key) {
            self.text(s)?;
        }
        Ok(())
    }

    /// Every string under `v` except opaque keys.
    fn strings(&mut self, v: &mut Value) -> Result<(), ApiError> {
        each_string(v, &mut |s| self.text(s))
    }

    /// A JSON schema: descriptions, titles, examples, defaults, enums.
    fn schema(&mut self, v: &mut Value) -> Result<(), ApiError> {
        match v {
            Value::Array(a) => a.iter_mut().try_for_each(|x| self.schema(x)),
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    match (k.as_str(), &mut *x) {
                        ("description" | "title", Value::String(s)) => {
                            self.text(s)?
                        }
                        ("examples" | "default" | "enum" | "const", x) => {
                            self.strings(x)?
                        }
                        (_, x @ (Value::Object(_) | Value::Array(_))) => {
                            self.schema(x)?
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn media(&mut self, what: &str) -> Result<(), ApiError> {
        match self.media {
            MediaPolicy::Allow => {
                self.out.media += 1;
                Ok(())
            }
            MediaPolicy::Block => Err(ApiError::invalid_request(format!(
                "hush media policy is block: this request has {what} content, which cannot be redacted"
            ))),
        }
    }

    /// `content`: a string or an array of blocks.
    fn content(&mut self, v: &mut Value) -> Result<(), ApiError> {
        match v {
            Value::String(s) => self.text(s),
            Value::Array(blocks) => {
                blocks.iter_mut().try_for_each(|b| self.block(b))
            }
            _ => Ok(()),
        }
    }

    fn citations(&mut self, v: &mut Value) -> Result<(), ApiError> {
        if let Some(Value::Array(cs)) = v.get_mut("citations") {
            for c in cs {
                self.field(c, "cited_text")?;
                self.field(c, "document_title")?;
                self.field(c, "title")?;
            }
        }
        Ok(())
    }

    fn block(&mut self, b: &mut Value) -> Result<(), ApiError> {
        let ty =
            b.get("type").and_then(Value::as_str).unwrap_or("").to_string();
        match ty.as_str() {
            "text" => {
                self.field(b, "text")?;
                self.citations(b)
            }
            "image" => self.media("image"),
            "document" => {
                let source_ty = b
                    .pointer("/source/type")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                match source_ty {
                    "text" => {
                        if let Some(s) = b.get_mut("source") {
                            self.field(s, "data")?;
                        }
                    }
                    "content" => {
                        if let Some(c) = b.pointer_mut("/source/content") {
                            self.content(c)?;
                        }
                    }
                    _ => self.media("document (PDF, URL or file)")?,
                }
                self.field(b, "title")?;
                self.field(b, "context")
            }
            "search_result" => {
                self.field(b, "source")?;
                self.field(b, "title")?;
                if let Some(c) = b.get_mut("content") {
                    self.content(c)?;
                }
                self.citations(b)
            }
            "tool_use" | "server_tool_use" | "mcp_tool_use" => {
                match b.get_mut("input") {
                    Some(input) => self.strings(input),
                    None => Ok(()),
                }
            }
            "tool_result" | "mcp_tool_result" => match b.get_mut("content") {
                Some(c) => self.content(c),
                None => Ok(()),
            },
            t if SERVER_RESULT_BLOCKS.contains(&t) => Ok(()),
            _ => self.strings(b),
        }
    }

    fn system(&mut self, v: &mut Value) -> Result<(), ApiError> {
        match v {
            Value::String(s) => self.text(s),
            Value::Array(blocks) => {
                for b in blocks {
                    let attribution =
                        b.get("text").and_then(Value::as_str).is_some_and(
                            |t| t.trim_start().starts_with(ATTRIBUTION_PREFIX),
                        );
                    if !attribution {
                        self.block(b)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn messages_params(&mut self, body: &mut Value) -> Result<(), ApiError> {
        let Some(obj) = body.as_object_mut() else {
            return Err(ApiError::invalid_request(
                "request body must be a JSON object",
            ));
        };
        if let Some(s) = obj.get_mut("system") {
            self.system(s)?;
        }
        if let Some(Value::Array(ms)) = obj.get_mut("messages") {
            for m in ms {
                if let Some(c) = m.get_mut("content") {
                    self.content(c)?;
                }
            }
        }
        if let Some(Value::Array(tools)) = obj.get_mut("tools") {
            for t in tools {
                self.field(t, "description")?;
                if let Some(s) = t.get_mut("input_schema") {
                    self.schema(s)?;
                }
                if let Some(ex) = t.get_mut("input_examples") {
                    self.strings(ex)?;
                }
            }
        }
        if let Some(Value::Array(ss)) = obj.get_mut("stop_sequences") {
            for s in ss {
                if let Value::String(s) = s {
                    self.text(s)?;
                }
            }
        }
        if let Some(s) = body.pointer_mut("/output_config/format/schema") {
            self.schema(s)?;
        }
        Ok(())
    }

    fn chat_params(&mut self, body: &mut Value) -> Result<(), ApiError> {
        let Some(obj) = body.as_object_mut() else {
            return Err(ApiError::invalid_request(
                "request body must be a JSON object",
            ));
        };
        if let Some(Value::Array(ms)) = obj.get_mut("messages") {
            for m in ms {
                match m.get_mut("content") {
                    Some(Value::String(s)) => self.text(s)?,
                    Some(Value::Array(parts)) => {
                        for p in parts {
                            match p.get("type").and_then(Value::as_str) {
                                Some("text") => self.field(p, "text")?,
                                Some("image_url") => self.media("image")?,
                                Some("file" | "input_audio") => {
                                    self.media("file")?
                                }
                                _ => self.strings(p)?,
                            }
                        }
                    }
                    _ => {}
                }
                if let Some(Value::String(n)) = m.get_mut("name") {
                    self.text(n)?;
                }
                if let Some(Value::Array(calls)) = m.get_mut("tool_calls") {
                    for c in calls {
                        if let Some(Value::String(args)) =
                            c.pointer_mut("/function/arguments")
                        {
                            self.json_text(args)?;
                        }
                    }
                }
            }
        }
        if let Some(Value::Array(tools)) = obj.get_mut("tools") {
            for t in tools {
                if let Some(f) = t.get_mut("function") {
                    self.field(f, "description")?;
                    if let Some(s) = f.get_mut("parameters") {
                        self.schema(s)?;
                    }
                }
            }
        }
        match obj.get_mut("stop") {
            Some(Value::String(s)) => self.text(s)?,
            Some(Value::Array(ss)) => {
                for s in ss {
                    if let Value::String(s) = s {
                        self.text(s)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A string that holds JSON (tool call arguments): its strings are
    /// redacted and it is written back compactly; if it is not JSON it is
    /// redacted as text.
    fn json_text(&mut self, s: &mut String) -> Result<(), ApiError> {
        match serde_json::from_str::<Value>(s) {
            Ok(mut v) => {
                self.strings(&mut v)?;
                *s = v.to_string();
                Ok(())
            }
            Err(_) => self.text(s),
        }
    }
}

impl AnswerText for Walker<'_> {
    fn text(&mut self, s: &mut String) -> Result<(), ApiError> {
        Walker::text(self, s)
    }

    fn json_text(&mut self, s: &mut String) -> Result<(), ApiError> {
        Walker::json_text(self, s)
    }
}

/// Every string under `v` (array items, object values) except under
/// opaque keys.
fn each_string(
    v: &mut Value,
    f: &mut dyn FnMut(&mut String) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter_mut().try_for_each(|x| each_string(x, f)),
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if !OPAQUE_KEYS.contains(&k.as_str()) {
                    each_string(x, f)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// What a walk over an answer does to its text: restore or mask.
trait AnswerText {
    /// Plain text.
    fn text(&mut self, s: &mut String) -> Result<(), ApiError>;
    /// Text that holds JSON (tool call arguments).
    fn json_text(&mut self, s: &mut String) -> Result<(), ApiError>;
}

/// One content block of an answer. Thinking and server-tool result
/// blocks are left alone: they are signature-checked or encrypted when
/// sent back, so they keep the pseudonyms the model saw.
fn answer_block(
    t: &mut impl AnswerText,
    b: &mut Value,
) -> Result<(), ApiError> {
    let ty = b.get("type").and_then(Value::as_str).unwrap_or("");
    if SERVER_RESULT_BLOCKS.contains(&ty) {
        return Ok(());
    }
    each_string(b, &mut |s| t.text(s))
}

/// The fields of an answer that carry the model's text, in each shape.
fn walk_answer(
    t: &mut impl AnswerText,
    shape: ResponseShape,
    body: &mut Value,
) -> Result<(), ApiError> {
    let message = match shape {
        ResponseShape::Message => Some(body),
        ResponseShape::BatchResult => body.pointer_mut("/result/message"),
        ResponseShape::ChatCompletion => {
            let Some(Value::Array(choices)) = body.get_mut("choices") else {
                return Ok(());
            };
            for m in choices.iter_mut().filter_map(|c| c.get_mut("message")) {
                if let Some(Value::String(s)) = m.get_mut("content") {
                    t.text(s)?;
                }
                if let Some(Value::Array(calls)) = m.get_mut("tool_calls") {
                    for call in calls {
                        if let Some(Value::String(args)) =
                            call.pointer_mut("/function/arguments")
                        {
                            t.json_text(args)?;
                        }
                    }
                }
            }
            return Ok(());
        }
    };
    if let Some(Value::Array(blocks)) =
        message.and_then(|m| m.get_mut("content"))
    {
        for b in blocks {
            answer_block(t, b)?;
        }
    }
    Ok(())
}

/// Redacts a request body in place.
///
/// # Errors
///
/// A body that is not an object or breaks the media policy (400), or a
/// redaction that failed (500): the body must not be sent then.
///
/// See [`Redaction`] for an example.
pub fn redact_request(
    red: &Redactor,
    endpoint: Endpoint,
    body: &mut Value,
    media: MediaPolicy,
) -> Result<Redaction, ApiError> {
    let mut w = Walker { red, media, out: Redaction::default() };
    match endpoint {
        Endpoint::Messages => w.messages_params(body)?,
        Endpoint::ChatCompletions => w.chat_params(body)?,
        Endpoint::Batch => {
            let Some(Value::Array(reqs)) = body.get_mut("requests") else {
                return Err(ApiError::invalid_request(
                    "requests: a batch needs an array of requests",
                ));
            };
            for r in reqs {
                match r.get_mut("params") {
                    Some(p) => w.messages_params(p)?,
                    None => {
                        return Err(ApiError::invalid_request(
                            "requests[]: each request needs params",
                        ))
                    }
                }
            }
        }
    }
    Ok(w.out)
}

/// Restores pseudonyms in response bodies.
struct Restorer<'a> {
    red: &'a Redactor,
    report: Report,
}

impl AnswerText for Restorer<'_> {
    fn text(&mut self, s: &mut String) -> Result<(), ApiError> {
        if s.is_empty() {
            return Ok(());
        }
        let r = self.red.restore(s).map_err(restore_failed)?;
        if r.restored() > 0 {
            self.report.findings += r.restored() as u64;
            *s = r.into_text();
        }
        Ok(())
    }

    /// JSON text: pseudonyms inside it are replaced by JSON-escaped
    /// values, and nothing else changes.
    fn json_text(&mut self, s: &mut String) -> Result<(), ApiError> {
        let mut rs = self.red.restore_stream().json_string();
        let mut out = Vec::with_capacity(s.len());
        rs.push(s.as_bytes(), &mut out).map_err(restore_failed)?;
        rs.finish(&mut out).map_err(restore_failed)?;
        self.report.findings += rs.report().findings;
        *s = String::from_utf8(out).map_err(|_| {
            ApiError::new(
                502,
                "api_error",
                "restored tool arguments are not UTF-8",
            )
        })?;
        Ok(())
    }
}

pub(crate) fn restore_failed(e: hush::Error) -> ApiError {
    ApiError::new(
        500,
        "api_error",
        format!("hush could not restore the response: {e}"),
    )
}

/// Which response shape to restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseShape {
    /// A `Message` (`POST /v1/messages`).
    Message,
    /// One line of batch results: `{"custom_id", "result": {"message"}}`.
    BatchResult,
    /// An OpenAI-compatible `chat.completion`.
    ChatCompletion,
}

/// Restores the pseudonyms of `red`'s scope in a response body, in place,
/// and returns how many were restored. Thinking blocks are left as they
/// are (they are signature-checked when sent back).
///
/// # Errors
///
/// When the vault cannot be read.
///
/// # Example
///
/// ```
/// # use std::sync::Arc;
/// # use hush::{Redactor, Scanner, Vault, Key, Policy};
/// # let r = Redactor::new(Arc::new(Scanner::new()?), Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?));
/// use hush_claude::{restore_response, ResponseShape};
///
/// let tag = r.redact("jane.roe@acme.io")?.into_text();
/// let mut msg = serde_json::json!({"type": "message", "content": [
///     {"type": "text", "text": format!("Sent to {tag}.")},
///     {"type": "tool_use", "id": "toolu_1", "name": "send", "input": {"to": tag}},
/// ]});
/// assert_eq!(restore_response(&r, ResponseShape::Message, &mut msg)?, 2);
/// assert_eq!(msg["content"][1]["input"]["to"], "jane.roe@acme.io");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn restore_response(
    red: &Redactor,
    shape: ResponseShape,
    body: &mut Value,
) -> Result<u64, ApiError> {
    let mut r = Restorer { red, report: Report::default() };
    walk_answer(&mut r, shape, body)?;
    Ok(r.report.findings)
}

/// Restores one content block (a `content_block_start` payload).
pub(crate) fn restore_block(
    red: &Redactor,
    b: &mut Value,
) -> Result<u64, ApiError> {
    let mut r = Restorer { red, report: Report::default() };
    answer_block(&mut r, b)?;
    Ok(r.report.findings)
}

/// Restores every string of a value except opaque keys (a citation).
pub(crate) fn restore_strings(
    red: &Redactor,
    v: &mut Value,
) -> Result<u64, ApiError> {
    let mut r = Restorer { red, report: Report::default() };
    each_string(v, &mut |s| r.text(s))?;
    Ok(r.report.findings)
}

/// What to do with personal data in an answer that the request did not
/// carry (values the model produced itself): the pseudonyms the scope
/// issued are restored either way.
///
/// # Example
///
/// ```
/// use hush_claude::ResponsePii;
///
/// assert_eq!("mask".parse::<ResponsePii>()?, ResponsePii::Mask);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResponsePii {
    /// Leave it as it is.
    #[default]
    Leave,
    /// Replace it by an irreversible keyed hash, e.g. `[[EMAIL-H-3fa9c2d18e0b4a71]]`.
    Mask,
}

impl std::str::FromStr for ResponsePii {
    type Err = String;

    fn from_str(s: &str) -> Result<ResponsePii, String> {
        match s {
            "leave" => Ok(ResponsePii::Leave),
            "mask" | "redact" => Ok(ResponsePii::Mask),
            _ => Err(format!(
                "unknown response PII policy {s:?} (expected leave or mask)"
            )),
        }
    }
}

/// A redactor with `red`'s scanner, kinds and threshold whose every kind
/// is replaced by an irreversible keyed hash (in a vault of its own, with
/// a fresh key): what [`ResponsePii::Mask`] applies to answers.
///
/// # Errors
///
/// When no random key can be made.
///
/// # Example
///
/// ```
/// # use std::sync::Arc;
/// # use hush::{Redactor, Scanner, Vault, Key, Policy};
/// # let r = Redactor::new(Arc::new(Scanner::new()?), Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?));
/// let m = hush_claude::masking_redactor(&r)?;
/// let out = m.redact("new: bob@corp.io")?;
/// assert!(out.text().starts_with("new: [[EMAIL-H-"));
/// assert!(r.restore(out.text())?.text().contains("[[EMAIL-H-")); // never restored
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn masking_redactor(red: &Redactor) -> Result<Redactor, ApiError> {
    let mut policy = hush::Policy::default();
    for &k in hush::Kind::ALL {
        policy =
            policy.with_operator(k, hush::Operator::Hash).map_err(|e| {
                ApiError::new(500, "api_error", format!("masking policy: {e}"))
            })?;
    }
    let key = hush::Key::generate().map_err(|e| {
        ApiError::new(500, "api_error", format!("masking key: {e}"))
    })?;
    let vault = hush::Vault::in_memory(key, policy).map_err(|e| {
        ApiError::new(500, "api_error", format!("masking vault: {e}"))
    })?;
    // Answers arrive in small deltas: scan each as it comes.
    Ok(red.clone().with_vault(std::sync::Arc::new(vault)).with_scan_batch(0))
}

/// Masks personal data in an answer with `masker` (see
/// [`masking_redactor`]), in the fields [`restore_response`] restores;
/// call it before restoring. Returns how many values were masked.
///
/// # Errors
///
/// When masking fails.
pub fn mask_response(
    masker: &Redactor,
    shape: ResponseShape,
    body: &mut Value,
) -> Result<u64, ApiError> {
    let mut w = Walker {
        red: masker,
        media: MediaPolicy::Allow,
        out: Redaction::default(),
    };
    walk_answer(&mut w, shape, body)?;
    Ok(w.out.report.findings)
}
