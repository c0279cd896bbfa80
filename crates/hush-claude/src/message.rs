//! A streamed answer and a whole one are the same message in two shapes.
//! The proxy needs both directions: an SSE stream folded into the
//! `Message` it describes (what the audit log keeps and the answer cache
//! stores), and a `Message` unfolded into the SSE events a streaming
//! client expects (a cached, static or non-streaming fallback answer
//! served to a client that asked for a stream).
//!
//! Pure: no I/O, never panics on any input.

use serde_json::{json, Map, Value};

use crate::sse::{Frame, SseParser};

/// Folds the SSE events of a Messages stream into the `Message` they
/// describe: `message_start`'s message with every content block
/// completed from its deltas (text, thinking and signatures appended,
/// `partial_json` joined and parsed into `input`), `stop_reason`,
/// `stop_sequence` and `usage` from `message_delta`. `None` when there is
/// no `message_start` or the bytes are not an SSE stream.
///
/// # Example
///
/// ```
/// use hush_claude::message::{message_from_sse, sse_from_message};
/// use serde_json::json;
///
/// let m = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
///     "content": [{"type": "text", "text": "Hello there"}],
///     "stop_reason": "end_turn", "stop_sequence": null,
///     "usage": {"input_tokens": 3, "output_tokens": 2}});
/// let wire = sse_from_message(&m);
/// assert_eq!(message_from_sse(&wire).unwrap(), m);
/// ```
pub fn message_from_sse(wire: &[u8]) -> Option<Value> {
    let mut p = SseParser::new();
    let mut frames = Vec::new();
    p.push(wire, &mut frames).ok()?;
    p.finish(&mut frames).ok()?;
    let mut msg: Option<Value> = None;
    let mut partial: Vec<(usize, String)> = Vec::new();
    for f in frames {
        let Ok(v) = serde_json::from_str::<Value>(&f.data) else { continue };
        match f.event_name() {
            "message_start" => {
                let mut m = v.get("message")?.clone();
                if let Some(o) = m.as_object_mut() {
                    o.insert("content".into(), Value::Array(Vec::new()));
                }
                msg = Some(m);
            }
            "content_block_start" => {
                let m = msg.as_mut()?;
                let i = index(&v)?;
                let block =
                    v.get("content_block").cloned().unwrap_or(Value::Null);
                let content = m.get_mut("content")?.as_array_mut()?;
                while content.len() <= i {
                    content.push(Value::Null);
                }
                content[i] = block;
            }
            "content_block_delta" => {
                let m = msg.as_mut()?;
                let i = index(&v)?;
                let Some(block) = m
                    .get_mut("content")
                    .and_then(Value::as_array_mut)
                    .and_then(|c| c.get_mut(i))
                    .and_then(Value::as_object_mut)
                else {
                    continue;
                };
                let d = v.get("delta").unwrap_or(&Value::Null);
                match d.get("type").and_then(Value::as_str) {
                    Some("text_delta") => append(block, "text", d.get("text")),
                    Some("thinking_delta") => {
                        append(block, "thinking", d.get("thinking"))
                    }
                    Some("signature_delta") => {
                        append(block, "signature", d.get("signature"))
                    }
                    Some("citations_delta") => {
                        if let Some(c) = d.get("citation") {
                            let list = block
                                .entry("citations")
                                .or_insert_with(|| Value::Array(Vec::new()));
                            if let Some(a) = list.as_array_mut() {
                                a.push(c.clone());
                            }
                        }
                    }
                    Some("input_json_delta") => {
                        let piece = d
                            .get("partial_json")
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        match partial.iter_mut().find(|(j, _)| *j == i) {
                            Some((_, s)) => s.push_str(piece),
                            None => partial.push((i, piece.to_string())),
                        }
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                let i = index(&v)?;
                if let Some(k) = partial.iter().position(|(j, _)| *j == i) {
                    let (_, json_text) = partial.swap_remove(k);
                    let input = if json_text.is_empty() {
                        json!({})
                    } else {
                        serde_json::from_str(&json_text)
                            .unwrap_or(Value::String(json_text))
                    };
                    if let Some(b) = msg
                        .as_mut()
                        .and_then(|m| m.get_mut("content"))
                        .and_then(Value::as_array_mut)
                        .and_then(|c| c.get_mut(i))
                        .and_then(Value::as_object_mut)
                    {
                        b.insert("input".into(), input);
                    }
                }
            }
            "message_delta" => {
                let m = msg.as_mut()?.as_object_mut()?;
                if let Some(d) = v.get("delta").and_then(Value::as_object) {
                    for (k, x) in d {
                        m.insert(k.clone(), x.clone());
                    }
                }
                if let Some(u) = v.get("usage").and_then(Value::as_object) {
                    let usage = m
                        .entry("usage")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Some(uo) = usage.as_object_mut() {
                        for (k, x) in u {
                            uo.insert(k.clone(), x.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    msg
}

fn index(v: &Value) -> Option<usize> {
    usize::try_from(v.get("index")?.as_u64()?).ok().filter(|&i| i < 4096)
}

fn append(block: &mut Map<String, Value>, field: &str, piece: Option<&Value>) {
    let Some(piece) = piece.and_then(Value::as_str) else { return };
    match block.get_mut(field) {
        Some(Value::String(s)) => s.push_str(piece),
        _ => {
            block.insert(field.into(), Value::String(piece.to_string()));
        }
    }
}

/// Unfolds a `Message` into the SSE events of a Messages stream:
/// `message_start` (empty content, `output_tokens` as given), per block
/// `content_block_start`, one delta (`text_delta`, `thinking_delta` and
/// `signature_delta`, or `input_json_delta` with the input as JSON) and
/// `content_block_stop`, then `message_delta` (stop reason, usage) and
/// `message_stop`.
///
/// # Example
///
/// ```
/// use hush_claude::message::sse_from_message;
/// use serde_json::json;
///
/// let wire = sse_from_message(&json!({"type": "message", "content": [{"type": "text", "text": "Hi"}]}));
/// let text = String::from_utf8(wire).unwrap();
/// assert!(text.starts_with("event: message_start\n"));
/// assert!(text.contains("\"text_delta\""));
/// assert!(text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
/// ```
pub fn sse_from_message(message: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = message.clone();
    let blocks = match start.as_object_mut() {
        Some(o) => {
            let b = o.insert("content".into(), Value::Array(Vec::new()));
            o.insert("stop_reason".into(), Value::Null);
            o.insert("stop_sequence".into(), Value::Null);
            b
        }
        None => None,
    };
    let emit = |out: &mut Vec<u8>, event: &str, data: Value| {
        Frame::new(event, &data.to_string()).write_to(out);
    };
    emit(
        &mut out,
        "message_start",
        json!({"type": "message_start", "message": start}),
    );
    let blocks = match blocks {
        Some(Value::Array(b)) => b,
        _ => Vec::new(),
    };
    for (i, b) in blocks.iter().enumerate() {
        let kind = b.get("type").and_then(Value::as_str).unwrap_or("");
        let mut head = b.clone();
        let mut deltas: Vec<Value> = Vec::new();
        if let Some(o) = head.as_object_mut() {
            match kind {
                "text" => {
                    let t = o
                        .insert("text".into(), json!(""))
                        .unwrap_or(json!(""));
                    o.remove("citations");
                    if let Some(cs) =
                        b.get("citations").and_then(Value::as_array)
                    {
                        o.insert("citations".into(), json!([]));
                        for c in cs {
                            deltas.push(json!({"type": "citations_delta", "citation": c}));
                        }
                    }
                    deltas.insert(0, json!({"type": "text_delta", "text": t}));
                }
                "thinking" => {
                    let t = o
                        .insert("thinking".into(), json!(""))
                        .unwrap_or(json!(""));
                    deltas.push(
                        json!({"type": "thinking_delta", "thinking": t}),
                    );
                    if let Some(s) = o.insert("signature".into(), json!("")) {
                        deltas.push(
                            json!({"type": "signature_delta", "signature": s}),
                        );
                    }
                }
                "tool_use" | "server_tool_use" => {
                    let input = o
                        .insert("input".into(), json!({}))
                        .unwrap_or(json!({}));
                    deltas.push(json!({"type": "input_json_delta", "partial_json": input.to_string()}));
                }
                _ => {}
            }
        }
        emit(
            &mut out,
            "content_block_start",
            json!({"type": "content_block_start", "index": i, "content_block": head}),
        );
        for d in deltas {
            emit(
                &mut out,
                "content_block_delta",
                json!({"type": "content_block_delta", "index": i, "delta": d}),
            );
        }
        emit(
            &mut out,
            "content_block_stop",
            json!({"type": "content_block_stop", "index": i}),
        );
    }
    let usage = message
        .get("usage")
        .and_then(|u| u.get("output_tokens"))
        .cloned()
        .unwrap_or(json!(0));
    emit(
        &mut out,
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": message.get("stop_reason").cloned().unwrap_or(Value::Null),
                         "stop_sequence": message.get("stop_sequence").cloned().unwrap_or(Value::Null)},
               "usage": {"output_tokens": usage}}),
    );
    emit(&mut out, "message_stop", json!({"type": "message_stop"}));
    out
}

/// The `usage` of an answer: a `Message`'s own, or (for a stream) the
/// folded message's. `None` when there is none.
///
/// # Example
///
/// ```
/// use hush_claude::message::usage_of;
///
/// let body = br#"{"type":"message","usage":{"input_tokens":5,"output_tokens":7}}"#;
/// assert_eq!(usage_of(body, false).unwrap()["output_tokens"], 7);
/// ```
pub fn usage_of(body: &[u8], sse: bool) -> Option<Value> {
    let v = if sse {
        message_from_sse(body)?
    } else {
        serde_json::from_slice::<Value>(body).ok()?
    };
    v.get("usage").cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message(text: &str, input: Value) -> Value {
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": text},
                {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": input},
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 10, "output_tokens": 20}})
    }

    #[test]
    fn mock_stream_folds_into_its_message() {
        // A stream as the API sends it, deltas split anywhere.
        let wire = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"x\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":4,\"output_tokens\":1}}}\n\n",
            "event: ping\ndata: {\"type\":\"ping\"}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\": \"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"[1,2]}\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":9}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        );
        let m = message_from_sse(wire.as_bytes()).unwrap();
        assert_eq!(m["content"][0]["text"], "Hello");
        assert_eq!(m["content"][1]["input"], json!({"a": [1, 2]}));
        assert_eq!(m["stop_reason"], "tool_use");
        assert_eq!(m["usage"], json!({"input_tokens": 4, "output_tokens": 9}));
        assert_eq!(
            usage_of(wire.as_bytes(), true).unwrap()["output_tokens"],
            9
        );
    }

    #[test]
    fn not_a_stream_gives_none() {
        assert!(message_from_sse(b"").is_none());
        assert!(message_from_sse(b"\xff\xfe garbage").is_none());
        assert!(message_from_sse(
            b"event: content_block_delta\ndata: {\"index\":0}\n\n"
        )
        .is_none());
        assert!(usage_of(b"{not json", false).is_none());
    }

    proptest! {
        #[test]
        fn unfold_then_fold_is_identity(text in "\\PC{0,80}", n in 0u32..1000, s in "[a-z ]{0,12}") {
            let m = message(&text, json!({"q": s, "n": n}));
            let wire = sse_from_message(&m);
            prop_assert_eq!(message_from_sse(&wire).unwrap(), m);
        }

        #[test]
        fn fold_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = message_from_sse(&bytes);
        }
    }
}
