//! Request validation before anything is sent: a request that is not in
//! the shape of the Messages API (or of the endpoint it names) is refused
//! with a 400 that names the field, the way the API itself words it.
//!
//! Why check what the API checks anyway: a malformed body is where
//! redaction can be fooled (text in a field hush does not know is text),
//! and a request refused here costs no upstream call and no tokens. The
//! checks are the documented required fields and types only, so nothing
//! the API accepts is refused. Messages name the field path, never a
//! value (values may be personal data).

use serde_json::Value;

use crate::error::ApiError;

/// The shape a request body must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestShape {
    /// `POST /v1/messages`.
    Messages,
    /// `POST /v1/messages/count_tokens` (no `max_tokens`).
    CountTokens,
    /// `POST /v1/messages/batches`.
    BatchCreate,
    /// `POST /v1/chat/completions` (the OpenAI-compatible shape).
    ChatCompletions,
}

/// The API's own limit on requests in one batch.
pub const MAX_BATCH_REQUESTS: usize = 100_000;
/// The API's own limit on messages in one request.
pub const MAX_MESSAGES: usize = 100_000;

/// Checks a request body against its endpoint's shape.
///
/// # Errors
///
/// A 400 `invalid_request_error` naming the first field that is missing
/// or of the wrong type.
///
/// # Example
///
/// ```
/// use hush_claude::validate::{validate_request, RequestShape};
/// use serde_json::json;
///
/// let ok = json!({"model": "claude-sonnet-4-5", "max_tokens": 64,
///                 "messages": [{"role": "user", "content": "Hi"}]});
/// assert!(validate_request(RequestShape::Messages, &ok).is_ok());
///
/// let bad = json!({"model": "claude-sonnet-4-5", "messages": []});
/// let e = validate_request(RequestShape::Messages, &bad).unwrap_err();
/// assert_eq!(e.status(), 400);
/// assert_eq!(e.message(), "max_tokens: Field required");
/// ```
pub fn validate_request(
    shape: RequestShape,
    body: &Value,
) -> Result<(), ApiError> {
    match shape {
        RequestShape::Messages => messages_params(body, "", true),
        RequestShape::CountTokens => messages_params(body, "", false),
        RequestShape::BatchCreate => batch(body),
        RequestShape::ChatCompletions => chat(body),
    }
}

fn err(path: &str, what: &str) -> ApiError {
    ApiError::invalid_request(format!("{path}: {what}"))
}

fn field<'a>(
    obj: &'a serde_json::Map<String, Value>,
    prefix: &str,
    name: &str,
) -> (Option<&'a Value>, String) {
    (obj.get(name), format!("{prefix}{name}"))
}

fn object<'a>(
    v: &'a Value,
    path: &str,
) -> Result<&'a serde_json::Map<String, Value>, ApiError> {
    v.as_object().ok_or_else(|| {
        if path.is_empty() {
            ApiError::invalid_request("request body must be a JSON object")
        } else {
            err(path, "Input should be an object")
        }
    })
}

fn messages_params(
    body: &Value,
    prefix: &str,
    needs_max_tokens: bool,
) -> Result<(), ApiError> {
    let obj = object(body, prefix.trim_end_matches('.'))?;
    match field(obj, prefix, "model") {
        (Some(Value::String(s)), p) if s.is_empty() => {
            return Err(err(&p, "String should have at least 1 character"))
        }
        (Some(Value::String(_)), _) => {}
        (Some(_), p) => return Err(err(&p, "Input should be a valid string")),
        (None, p) => return Err(err(&p, "Field required")),
    }
    match field(obj, prefix, "max_tokens") {
        (Some(v), p) => {
            if v.as_u64().is_none_or(|n| n < 1) {
                return Err(err(
                    &p,
                    "Input should be an integer of at least 1",
                ));
            }
        }
        (None, p) if needs_max_tokens => {
            return Err(err(&p, "Field required"))
        }
        (None, _) => {}
    }
    let (msgs, p) = field(obj, prefix, "messages");
    let msgs = match msgs {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(err(&p, "Input should be a valid list")),
        None => return Err(err(&p, "Field required")),
    };
    if msgs.len() > MAX_MESSAGES {
        return Err(err(
            &p,
            &format!("List should have at most {MAX_MESSAGES} items"),
        ));
    }
    for (i, m) in msgs.iter().enumerate() {
        let mp = format!("{p}.{i}");
        let m = object(m, &mp)?;
        match m.get("role") {
            Some(Value::String(r)) if r == "user" || r == "assistant" => {}
            Some(_) => {
                return Err(err(
                    &format!("{mp}.role"),
                    "Input should be 'user' or 'assistant'",
                ))
            }
            None => return Err(err(&format!("{mp}.role"), "Field required")),
        }
        match m.get("content") {
            Some(Value::String(_)) => {}
            Some(Value::Array(blocks)) => {
                content_blocks(blocks, &format!("{mp}.content"))?
            }
            Some(_) => {
                return Err(err(
                    &format!("{mp}.content"),
                    "Input should be a valid string or list of content blocks",
                ))
            }
            None => {
                return Err(err(&format!("{mp}.content"), "Field required"))
            }
        }
    }
    match field(obj, prefix, "system") {
        (None | Some(Value::String(_)), _) => {}
        (Some(Value::Array(blocks)), p) => content_blocks(blocks, &p)?,
        (Some(_), p) => {
            return Err(err(
                &p,
                "Input should be a valid string or list of text blocks",
            ))
        }
    }
    match field(obj, prefix, "stream") {
        (None | Some(Value::Bool(_)), _) => {}
        (Some(_), p) => {
            return Err(err(&p, "Input should be a valid boolean"))
        }
    }
    match field(obj, prefix, "metadata") {
        (None | Some(Value::Null), _) => {}
        (Some(Value::Object(m)), p) => match m.get("user_id") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.len() <= 256 => {}
            Some(Value::String(_)) => {
                return Err(err(
                    &format!("{p}.user_id"),
                    "String should have at most 256 characters",
                ))
            }
            Some(_) => {
                return Err(err(
                    &format!("{p}.user_id"),
                    "Input should be a valid string",
                ))
            }
        },
        (Some(_), p) => return Err(err(&p, "Input should be an object")),
    }
    for name in ["tools", "stop_sequences"] {
        match field(obj, prefix, name) {
            (None | Some(Value::Array(_)), _) => {}
            (Some(_), p) => {
                return Err(err(&p, "Input should be a valid list"))
            }
        }
    }
    Ok(())
}

fn content_blocks(blocks: &[Value], path: &str) -> Result<(), ApiError> {
    for (j, b) in blocks.iter().enumerate() {
        let bp = format!("{path}.{j}");
        let b = object(b, &bp)?;
        match b.get("type") {
            Some(Value::String(_)) => {}
            Some(_) => {
                return Err(err(
                    &format!("{bp}.type"),
                    "Input should be a valid string",
                ))
            }
            None => return Err(err(&format!("{bp}.type"), "Field required")),
        }
    }
    Ok(())
}

fn batch(body: &Value) -> Result<(), ApiError> {
    let obj = object(body, "")?;
    let reqs = match obj.get("requests") {
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(err("requests", "Input should be a valid list"))
        }
        None => return Err(err("requests", "Field required")),
    };
    if reqs.is_empty() || reqs.len() > MAX_BATCH_REQUESTS {
        return Err(err(
            "requests",
            &format!("List should have 1 to {MAX_BATCH_REQUESTS} items"),
        ));
    }
    for (i, r) in reqs.iter().enumerate() {
        let rp = format!("requests.{i}");
        let r = object(r, &rp)?;
        match r.get("custom_id") {
            Some(Value::String(id))
                if (1..=64).contains(&id.len())
                    && id.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
                    }) => {}
            Some(_) => {
                return Err(err(
                    &format!("{rp}.custom_id"),
                    "String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
                ))
            }
            None => {
                return Err(err(&format!("{rp}.custom_id"), "Field required"))
            }
        }
        match r.get("params") {
            Some(p) => messages_params(p, &format!("{rp}.params."), true)?,
            None => {
                return Err(err(&format!("{rp}.params"), "Field required"))
            }
        }
    }
    Ok(())
}

fn chat(body: &Value) -> Result<(), ApiError> {
    let obj = object(body, "")?;
    match obj.get("model") {
        Some(Value::String(s)) if !s.is_empty() => {}
        Some(_) => return Err(err("model", "Input should be a valid string")),
        None => return Err(err("model", "Field required")),
    }
    let msgs = match obj.get("messages") {
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(err("messages", "Input should be a valid list"))
        }
        None => return Err(err("messages", "Field required")),
    };
    for (i, m) in msgs.iter().enumerate() {
        let mp = format!("messages.{i}");
        let m = object(m, &mp)?;
        if !matches!(m.get("role"), Some(Value::String(_))) {
            return Err(err(&format!("{mp}.role"), "Field required"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The table of cases lives in a data file: shape, body, and the
    /// expected error message (or null for a valid body).
    #[test]
    fn table() {
        let text = include_str!("../tests/data/validate.jsonl");
        let mut n = 0;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let case: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
            let shape = match case["shape"].as_str() {
                Some("messages") => RequestShape::Messages,
                Some("count_tokens") => RequestShape::CountTokens,
                Some("batch") => RequestShape::BatchCreate,
                Some("chat") => RequestShape::ChatCompletions,
                other => panic!("line {}: shape {other:?}", i + 1),
            };
            let got = validate_request(shape, &case["body"])
                .err()
                .map(|e| e.message().to_string());
            assert_eq!(
                got.as_deref(),
                case["error"].as_str(),
                "line {}",
                i + 1
            );
            n += 1;
        }
        assert!(n >= 20, "only {n} cases");
    }

    #[test]
    fn messages_never_echo_values() {
        let secret = "dana.whitfield@example.com";
        let body = json!({"model": "m", "max_tokens": 1,
            "messages": [{"role": secret, "content": "x"}]});
        let e = validate_request(RequestShape::Messages, &body).unwrap_err();
        assert!(!e.message().contains(secret));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            if let Ok(v) = serde_json::from_str::<Value>(&s) {
                for shape in [RequestShape::Messages, RequestShape::CountTokens,
                              RequestShape::BatchCreate, RequestShape::ChatCompletions] {
                    let _ = validate_request(shape, &v);
                }
            }
        }
    }
}
