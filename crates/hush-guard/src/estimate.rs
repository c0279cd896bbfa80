//! Token counts for rate limiting, read from request and response bodies
//! without a tokenizer: admission needs a cheap, slightly generous guess
//! of a request's input tokens before the upstream call, and settlement
//! corrects it from the `usage` the upstream reports.

use serde_json::Value;

/// Bytes of text per estimated token (English averages about 4).
const BYTES_PER_TOKEN: u64 = 4;
/// An image costs at most about this many tokens, whatever its size in
/// bytes (the API scales large images down).
const IMAGE_TOKENS: u64 = 1_600;
/// Other base64 payloads (PDF documents): decoded bytes per token, a
/// rough guess that settlement corrects.
const DOCUMENT_BYTES_PER_TOKEN: u64 = 32;

/// A cheap estimate of a Messages request's input tokens: a quarter of
/// the bytes of the strings and object keys under `system`, `messages`,
/// `tools` and `tool_choice`, with base64 images counted 1 600 tokens and
/// other base64 documents one token per 32 decoded bytes. Never panics;
/// anything that is not a JSON object estimates to 0.
///
/// ```
/// let body = serde_json::json!({
///     "model": "claude-x", "max_tokens": 100,
///     "messages": [{"role": "user", "content": "Hello there, how are you?"}],
/// });
/// // "role", "user", "content" and 25 bytes of text: 40 bytes.
/// assert_eq!(hush_guard::estimate_input_tokens(&body), 10);
/// assert_eq!(hush_guard::estimate_input_tokens(&serde_json::json!(3)), 0);
/// ```
pub fn estimate_input_tokens(body: &Value) -> u64 {
    let Some(obj) = body.as_object() else { return 0 };
    let mut acc = Acc::default();
    for field in ["system", "messages", "tools", "tool_choice"] {
        if let Some(v) = obj.get(field) {
            acc.walk(v, 0);
        }
    }
    acc.text_bytes.div_ceil(BYTES_PER_TOKEN).saturating_add(acc.fixed)
}

#[derive(Default)]
struct Acc {
    text_bytes: u64,
    fixed: u64,
}

/// Deeper than this, nesting is not walked (no stack overflow on hostile
/// input; serde_json's own limit is 128).
const MAX_DEPTH: usize = 256;

impl Acc {
    fn walk(&mut self, v: &Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::String(s) => self.add(s.len()),
            Value::Array(a) => a.iter().for_each(|x| self.walk(x, depth + 1)),
            Value::Object(o) => {
                if let Some(tokens) = base64_source(o) {
                    self.fixed = self.fixed.saturating_add(tokens);
                    return;
                }
                for (k, x) in o {
                    self.add(k.len());
                    self.walk(x, depth + 1);
                }
            }
            Value::Number(n) => self.add(n.to_string().len()),
            Value::Bool(_) | Value::Null => self.add(4),
        }
    }

    fn add(&mut self, n: usize) {
        self.text_bytes = self.text_bytes.saturating_add(n as u64);
    }
}

/// The token guess for a `{"type": "base64", "media_type", "data"}`
/// source object, or `None` for anything else.
fn base64_source(o: &serde_json::Map<String, Value>) -> Option<u64> {
    if o.get("type")?.as_str()? != "base64" {
        return None;
    }
    let data = o.get("data")?.as_str()?;
    let media = o.get("media_type").and_then(Value::as_str).unwrap_or("");
    if media.starts_with("image/") {
        Some(IMAGE_TOKENS)
    } else {
        let decoded = data.len() as u64 / 4 * 3;
        Some(decoded.div_ceil(DOCUMENT_BYTES_PER_TOKEN).max(1))
    }
}

/// The output tokens a request may use: its `max_tokens` (or
/// `max_completion_tokens` for the OpenAI-compatible shape), 0 when
/// absent or not a non-negative integer.
///
/// ```
/// let body = serde_json::json!({"max_tokens": 1024});
/// assert_eq!(hush_guard::requested_output_tokens(&body), 1024);
/// assert_eq!(hush_guard::requested_output_tokens(&serde_json::json!({})), 0);
/// ```
pub fn requested_output_tokens(body: &Value) -> u64 {
    ["max_tokens", "max_completion_tokens"]
        .iter()
        .find_map(|k| body.get(k).and_then(Value::as_u64))
        .unwrap_or(0)
}

/// `(input, output)` tokens from a response's `usage` object (a whole
/// Messages response, a `message_start` or `message_delta` event, or the
/// `usage` object itself). Input counts `input_tokens` plus
/// `cache_creation_input_tokens` (cache reads are left out, as the API's
/// own input-token limits leave them out for current models). `None`
/// when there is no usage.
///
/// ```
/// let r = serde_json::json!({"usage": {"input_tokens": 10,
///     "cache_creation_input_tokens": 5, "cache_read_input_tokens": 100,
///     "output_tokens": 7}});
/// assert_eq!(hush_guard::usage_tokens(&r), Some((15, 7)));
/// assert_eq!(hush_guard::usage_tokens(&serde_json::json!({})), None);
/// ```
pub fn usage_tokens(v: &Value) -> Option<(u64, u64)> {
    let u = v
        .get("usage")
        .or_else(|| v.get("message").and_then(|m| m.get("usage")))
        .unwrap_or(v);
    let get = |k: &str| u.get(k).and_then(Value::as_u64);
    let input = get("input_tokens").or_else(|| get("prompt_tokens"));
    let output = get("output_tokens").or_else(|| get("completion_tokens"));
    if input.is_none() && output.is_none() {
        return None;
    }
    let cache = get("cache_creation_input_tokens").unwrap_or(0);
    Some((input.unwrap_or(0).saturating_add(cache), output.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn images_count_flat_and_documents_by_size() {
        let img = json!({"messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64",
             "media_type": "image/png", "data": "A".repeat(1_000_000)}}]}]});
        let t = estimate_input_tokens(&img);
        assert!((1_600..1_650).contains(&t), "{t}");
        let pdf = json!({"messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "base64",
             "media_type": "application/pdf", "data": "A".repeat(4_000)}}]}]});
        let t = estimate_input_tokens(&pdf);
        assert!((94..150).contains(&t), "{t}");
    }

    #[test]
    fn system_and_tools_count() {
        let a = json!({"messages": []});
        let b = json!({"messages": [], "system": "x".repeat(400),
                       "tools": [{"name": "n", "input_schema": {}}]});
        assert_eq!(estimate_input_tokens(&a), 0);
        assert!(estimate_input_tokens(&b) > 100);
    }

    #[test]
    fn usage_from_stream_events() {
        let start = json!({"type": "message_start", "message": {"usage":
            {"input_tokens": 3, "output_tokens": 1}}});
        assert_eq!(usage_tokens(&start), Some((3, 1)));
        let delta =
            json!({"type": "message_delta", "usage": {"output_tokens": 9}});
        assert_eq!(usage_tokens(&delta), Some((0, 9)));
        let chat =
            json!({"usage": {"prompt_tokens": 4, "completion_tokens": 2}});
        assert_eq!(usage_tokens(&chat), Some((4, 2)));
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            ".{0,20}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8)
                    .prop_map(Value::Array),
                proptest::collection::btree_map(".{0,8}", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON: no panic; adding a message never lowers the estimate.
        #[test]
        fn estimate_is_total_and_monotone(v in arb_json(), extra in ".{0,50}") {
            let _ = usage_tokens(&v);
            let _ = requested_output_tokens(&v);
            let body = json!({"messages": [v]});
            let more = json!({"messages": [body["messages"][0].clone(), extra]});
            prop_assert!(estimate_input_tokens(&more) >= estimate_input_tokens(&body));
        }
    }
}
