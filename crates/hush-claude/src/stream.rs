//! Restoring a streamed answer as it flows.
//!
//! The upstream sends SSE frames in TCP chunks that split anywhere, and a
//! pseudonym the model writes can be split over many deltas, one
//! character each in the worst case. [`MessageStreamRestorer`] parses
//! frames from bytes, keeps one [`hush::RestoreStream`] per content block
//! (text deltas) or per block's JSON (tool input deltas, restored with
//! JSON-escaped values), holds back only a suffix that could still become
//! a pseudonym, and flushes what it holds as a delta of the same shape
//! before any frame that ends or interrupts the block (`content_block_stop`,
//! `message_delta`, `message_stop`, `error`, an unknown event, the end of
//! the stream). `ping` passes without flushing, so a pseudonym split
//! around a ping is still restored. Thinking blocks pass unchanged (they
//! are signature-checked when sent back).
//!
//! When the answer is cut short (an `error` event, or the end of the
//! stream before `message_delta`/`message_stop`), the held suffix that
//! could still have become a pseudonym is dropped instead of flushed: the
//! rest of the pseudonym will never come, and a piece of one (`[[PHO`) is
//! no text of the user's. Everything before it is flushed as usual.
//!
//! [`ChatStreamRestorer`] does the same for the OpenAI-compatible chunk
//! stream (`data:` frames, `[DONE]`), per choice for `content` and per
//! tool call for `function.arguments`.

use std::collections::BTreeMap;

use hush::{RedactStream, Redactor, RestoreStream};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::sse::{Frame, SseParser};
use crate::transform::{restore_block, restore_failed, restore_strings};

/// Tracks JSON text as it is emitted so that a fragment never ends inside
/// an escape sequence (`\` or `\uXXXX`): clients re-parse the
/// concatenated fragments as partial JSON after every delta.
#[derive(Debug, Default, Clone)]
struct EscapeGuard {
    /// Whether the emitted text ends inside a JSON string.
    in_string: bool,
    /// An escape sequence not yet complete (starts with `\\`).
    held: String,
}

impl EscapeGuard {
    /// Appends `text` and returns what can be emitted now: all of it but
    /// an incomplete escape sequence at the end.
    fn push(&mut self, text: &str) -> String {
        self.held.push_str(text);
        let b = self.held.as_bytes();
        let mut in_str = self.in_string;
        let (mut i, mut cut, mut cut_state) = (0, 0, in_str);
        while i < b.len() {
            if in_str && b[i] == b'\\' {
                let need = if b.get(i + 1) == Some(&b'u') { 6 } else { 2 };
                if i + need > b.len() {
                    break;
                }
                i += need;
            } else {
                if b[i] == b'"' {
                    in_str = !in_str;
                }
                i += 1;
            }
            (cut, cut_state) = (i, in_str);
        }
        // `cut` is the end or the position of a backslash: a character
        // boundary either way.
        let out = self.held[..cut].to_string();
        self.held.drain(..cut);
        self.in_string = cut_state;
        out
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

/// How a block's held text ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The block or the message ended normally: flush everything.
    Complete,
    /// The answer was cut short: drop what could still have become a
    /// pseudonym.
    Cut,
}

/// One content block (or tool call) of a stream: new personal data
/// masked first when there is a masker, then the scope's pseudonyms
/// restored; for tool input JSON, restored values JSON-escaped and no
/// escape sequence split across deltas.
#[derive(Debug)]
struct Block<'r> {
    restore: RestoreStream<'r>,
    mask: Option<RedactStream<'r>>,
    /// Set for tool input JSON (masks are JSON-safe: letters, digits,
    /// `[`, `]`, `-`).
    json: Option<EscapeGuard>,
}

impl<'r> Block<'r> {
    /// Text deltas.
    fn text(red: &'r Redactor, masker: Option<&'r Redactor>) -> Block<'r> {
        Block {
            restore: red.restore_stream(),
            mask: masker.map(|m| m.redact_stream()),
            json: None,
        }
    }

    /// Tool input JSON.
    fn json(red: &'r Redactor, masker: Option<&'r Redactor>) -> Block<'r> {
        Block {
            restore: red.restore_stream().json_string(),
            mask: masker.map(|m| m.redact_stream()),
            json: Some(EscapeGuard::default()),
        }
    }
}

fn stream_error(e: crate::sse::SseError) -> ApiError {
    ApiError::new(502, "api_error", format!("upstream stream: {e}"))
}

/// Restores an Anthropic Messages SSE stream.
///
/// # Example
///
/// ```
/// # use std::sync::Arc;
/// # use hush::{Redactor, Scanner, Vault, Key, Policy};
/// # let r = Redactor::new(Arc::new(Scanner::new()?), Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?));
/// use hush_claude::MessageStreamRestorer;
///
/// let tag = r.redact("jane.roe@acme.io")?.into_text();
/// let (a, b) = tag.split_at(5);
/// let wire = format!(
///     "event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{{\"type\":\"text\",\"text\":\"\"}}}}\n\n\
///      event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"Hi {a}\"}}}}\n\n\
///      event: ping\ndata: {{\"type\": \"ping\"}}\n\n\
///      event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"{b}!\"}}}}\n\n\
///      event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":0}}\n\n");
/// let mut s = MessageStreamRestorer::new(&r);
/// let mut out = Vec::new();
/// for piece in wire.as_bytes().chunks(7) {
///     s.push(piece, &mut out)?;
/// }
/// s.finish(&mut out)?;
/// let text = String::from_utf8(out)?;
/// assert!(text.contains("jane.roe@acme.io"));
/// assert!(!text.contains(&tag[..5]));
/// assert_eq!(s.restored(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MessageStreamRestorer<'r> {
    red: &'r Redactor,
    masker: Option<&'r Redactor>,
    parser: SseParser,
    blocks: BTreeMap<u64, Block<'r>>,
    restored: u64,
    frames_seen: u64,
}

impl<'r> MessageStreamRestorer<'r> {
    /// A restorer for one response stream.
    pub fn new(red: &'r Redactor) -> MessageStreamRestorer<'r> {
        MessageStreamRestorer {
            red,
            masker: None,
            parser: SseParser::new(),
            blocks: BTreeMap::new(),
            restored: 0,
            frames_seen: 0,
        }
    }

    /// Masks personal data the model produced itself in text (see
    /// [`crate::masking_redactor`]) before restoring: the text is held
    /// until the scanner has settled it, which delays deltas by up to a
    /// few hundred bytes of text.
    pub fn with_masker(mut self, masker: &'r Redactor) -> Self {
        self.masker = Some(masker);
        self
    }

    /// Pseudonyms restored so far.
    pub fn restored(&self) -> u64 {
        self.restored
    }

    /// Frames read so far.
    pub fn frames(&self) -> u64 {
        self.frames_seen
    }

    /// Feeds bytes from upstream; appends to `out` the bytes to send on.
    ///
    /// # Errors
    ///
    /// An unparseable stream or an unreadable vault. The caller should
    /// send [`ApiError::sse_frame`] and end the stream.
    pub fn push(
        &mut self,
        bytes: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        let mut frames = Vec::new();
        self.parser.push(bytes, &mut frames).map_err(stream_error)?;
        frames.into_iter().try_for_each(|f| self.frame(f, out))
    }

    /// The upstream stream ended: flushes everything held.
    ///
    /// # Errors
    ///
    /// As [`MessageStreamRestorer::push`].
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ApiError> {
        let mut frames = Vec::new();
        self.parser.finish(&mut frames).map_err(stream_error)?;
        for f in frames {
            self.frame(f, out)?;
        }
        // message_delta and message_stop flush every block: one still open
        // here means the stream was cut.
        self.flush_all(End::Cut, out)
    }

    fn frame(&mut self, f: Frame, out: &mut Vec<u8>) -> Result<(), ApiError> {
        self.frames_seen += 1;
        match f.event_name() {
            "ping" => {
                f.write_to(out);
                Ok(())
            }
            "content_block_delta" => self.delta(f, out),
            "content_block_start" => {
                self.flush_all(End::Complete, out)?;
                let Ok(mut v) = serde_json::from_str::<Value>(&f.data) else {
                    f.write_to(out);
                    return Ok(());
                };
                if let Some(b) = v.get_mut("content_block") {
                    let n = restore_block(self.red, b)?;
                    if n > 0 {
                        self.restored += n;
                        return write_json(&f, &v, out);
                    }
                }
                f.write_to(out);
                Ok(())
            }
            "content_block_stop" => {
                let index = serde_json::from_str::<Value>(&f.data)
                    .ok()
                    .and_then(|v| v.get("index").and_then(Value::as_u64));
                match index {
                    Some(i) => self.flush(i, End::Complete, out)?,
                    None => self.flush_all(End::Complete, out)?,
                }
                f.write_to(out);
                Ok(())
            }
            "message_start" => {
                self.flush_all(End::Complete, out)?;
                let Ok(mut v) = serde_json::from_str::<Value>(&f.data) else {
                    f.write_to(out);
                    return Ok(());
                };
                if let Some(m) = v.get_mut("message") {
                    let n = crate::transform::restore_response(
                        self.red,
                        crate::ResponseShape::Message,
                        m,
                    )?;
                    if n > 0 {
                        self.restored += n;
                        return write_json(&f, &v, out);
                    }
                }
                f.write_to(out);
                Ok(())
            }
            // message_delta, message_stop, error and any event this
            // version does not know: everything held goes first (after an
            // error, all but a pseudonym's beginning).
            name => {
                let end =
                    if name == "error" { End::Cut } else { End::Complete };
                self.flush_all(end, out)?;
                f.write_to(out);
                Ok(())
            }
        }
    }

    fn delta(&mut self, f: Frame, out: &mut Vec<u8>) -> Result<(), ApiError> {
        let Ok(mut v) = serde_json::from_str::<Value>(&f.data) else {
            self.flush_all(End::Complete, out)?;
            f.write_to(out);
            return Ok(());
        };
        let Some(index) = v.get("index").and_then(Value::as_u64) else {
            self.flush_all(End::Complete, out)?;
            f.write_to(out);
            return Ok(());
        };
        let kind = v
            .pointer("/delta/type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let (field, json) = match kind.as_str() {
            "text_delta" => ("text", false),
            "input_json_delta" => ("partial_json", true),
            "citations_delta" => {
                if let Some(c) = v.pointer_mut("/delta/citation") {
                    let n = restore_strings(self.red, c)?;
                    if n > 0 {
                        self.restored += n;
                        return write_json(&f, &v, out);
                    }
                }
                f.write_to(out);
                return Ok(());
            }
            _ => {
                f.write_to(out);
                return Ok(());
            }
        };
        let Some(Value::String(piece)) = v.pointer(&format!("/delta/{field}"))
        else {
            f.write_to(out);
            return Ok(());
        };
        let piece = piece.clone();
        let (red, masker) = (self.red, self.masker);
        let block = self.blocks.entry(index).or_insert_with(|| {
            if json {
                Block::json(red, masker)
            } else {
                Block::text(red, masker)
            }
        });
        let text = push_block(block, &piece, &mut self.restored)?;
        if text.is_empty() && !piece.is_empty() {
            // Everything is held: nothing to send for this delta.
            return Ok(());
        }
        if text == piece {
            f.write_to(out);
            return Ok(());
        }
        if let Some(d) = v.get_mut("delta") {
            d[field] = Value::String(text);
        }
        write_json(&f, &v, out)
    }

    fn flush(
        &mut self,
        index: u64,
        end: End,
        out: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        let Some(block) = self.blocks.remove(&index) else { return Ok(()) };
        let is_json = block.json.is_some();
        let text = finish_block(block, end, &mut self.restored)?;
        let delta = if is_json {
            json!({"type": "input_json_delta", "partial_json": text})
        } else {
            json!({"type": "text_delta", "text": text})
        };
        if text.is_empty() {
            return Ok(());
        }
        let v = json!({"type": "content_block_delta", "index": index, "delta": delta});
        write_json(&Frame::new("content_block_delta", ""), &v, out)
    }

    fn flush_all(
        &mut self,
        end: End,
        out: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        let keys: Vec<u64> = self.blocks.keys().copied().collect();
        for k in keys {
            self.flush(k, end, out)?;
        }
        Ok(())
    }
}

fn write_json(
    f: &Frame,
    v: &Value,
    out: &mut Vec<u8>,
) -> Result<(), ApiError> {
    let data = serde_json::to_string(v).map_err(|e| {
        ApiError::new(500, "api_error", format!("re-encoding an event: {e}"))
    })?;
    Frame {
        event: f.event.clone(),
        data,
        id: f.id.clone(),
        retry: f.retry.clone(),
    }
    .write_to(out);
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ChatField {
    Content,
    Tool(u64),
}

/// Restores an OpenAI-compatible chat completion stream (`data:` chunks,
/// `[DONE]`), per choice for `delta.content` and per tool call for
/// `delta.tool_calls[].function.arguments`.
///
/// # Example
///
/// ```
/// # use std::sync::Arc;
/// # use hush::{Redactor, Scanner, Vault, Key, Policy};
/// # let r = Redactor::new(Arc::new(Scanner::new()?), Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?));
/// use hush_claude::ChatStreamRestorer;
///
/// let tag = r.redact("jane.roe@acme.io")?.into_text();
/// let mut wire = String::new();
/// for c in tag.chars() {
///     wire += &format!("data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{c}\"}},\"finish_reason\":null}}]}}\n\n");
/// }
/// wire += "data: [DONE]\n\n";
/// let mut s = ChatStreamRestorer::new(&r);
/// let mut out = Vec::new();
/// s.push(wire.as_bytes(), &mut out)?;
/// s.finish(&mut out)?;
/// let text = String::from_utf8(out)?;
/// assert!(text.contains("jane.roe@acme.io"));
/// assert!(text.ends_with("data: [DONE]\n\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ChatStreamRestorer<'r> {
    red: &'r Redactor,
    masker: Option<&'r Redactor>,
    parser: SseParser,
    open: BTreeMap<(u64, ChatField), Block<'r>>,
    /// The last chunk's envelope (id, model, created), for flush chunks.
    envelope: Option<Value>,
    restored: u64,
}

impl<'r> ChatStreamRestorer<'r> {
    /// A restorer for one response stream.
    pub fn new(red: &'r Redactor) -> ChatStreamRestorer<'r> {
        ChatStreamRestorer {
            red,
            masker: None,
            parser: SseParser::new(),
            open: BTreeMap::new(),
            envelope: None,
            restored: 0,
        }
    }

    /// Masks personal data the model produced itself in text (see
    /// [`crate::masking_redactor`]) before restoring: the text is held
    /// until the scanner has settled it, which delays deltas by up to a
    /// few hundred bytes of text.
    pub fn with_masker(mut self, masker: &'r Redactor) -> Self {
        self.masker = Some(masker);
        self
    }

    /// Pseudonyms restored so far.
    pub fn restored(&self) -> u64 {
        self.restored
    }

    /// Feeds bytes from upstream; appends to `out` the bytes to send on.
    ///
    /// # Errors
    ///
    /// As [`MessageStreamRestorer::push`].
    pub fn push(
        &mut self,
        bytes: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        let mut frames = Vec::new();
        self.parser.push(bytes, &mut frames).map_err(stream_error)?;
        frames.into_iter().try_for_each(|f| self.frame(f, out))
    }

    /// The upstream stream ended: flushes everything held.
    ///
    /// # Errors
    ///
    /// As [`MessageStreamRestorer::push`].
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ApiError> {
        let mut frames = Vec::new();
        self.parser.finish(&mut frames).map_err(stream_error)?;
        for f in frames {
            self.frame(f, out)?;
        }
        // A finish_reason flushes its choice: one still open here means
        // the stream was cut.
        self.flush(None, End::Cut, out)
    }

    fn frame(&mut self, f: Frame, out: &mut Vec<u8>) -> Result<(), ApiError> {
        let Ok(mut v) = serde_json::from_str::<Value>(&f.data) else {
            // `[DONE]`, an error text, anything else: flush, then pass.
            self.flush(None, End::Complete, out)?;
            f.write_to(out);
            return Ok(());
        };
        if v.get("choices").is_none() {
            let end = if v.get("error").is_some() {
                End::Cut
            } else {
                End::Complete
            };
            self.flush(None, end, out)?;
            f.write_to(out);
            return Ok(());
        }
        let mut env = v.clone();
        if let Some(o) = env.as_object_mut() {
            o.remove("choices");
            o.remove("usage");
        }
        self.envelope = Some(env);
        let mut finished = Vec::new();
        let (red, masker) = (self.red, self.masker);
        if let Some(Value::Array(choices)) = v.get_mut("choices") {
            for c in choices.iter_mut() {
                let ci = c.get("index").and_then(Value::as_u64).unwrap_or(0);
                if let Some(Value::String(s)) = c.pointer_mut("/delta/content")
                {
                    let b = self
                        .open
                        .entry((ci, ChatField::Content))
                        .or_insert_with(|| Block::text(red, masker));
                    *s = push_block(b, s, &mut self.restored)?;
                }
                if let Some(Value::Array(calls)) =
                    c.pointer_mut("/delta/tool_calls")
                {
                    for call in calls {
                        let ti = call
                            .get("index")
                            .and_then(Value::as_u64)
                            .unwrap_or(0);
                        if let Some(Value::String(s)) =
                            call.pointer_mut("/function/arguments")
                        {
                            let b = self
                                .open
                                .entry((ci, ChatField::Tool(ti)))
                                .or_insert_with(|| Block::json(red, masker));
                            *s = push_block(b, s, &mut self.restored)?;
                        }
                    }
                }
                if c.get("finish_reason").is_some_and(|r| !r.is_null()) {
                    finished.push(ci);
                }
            }
        }
        for ci in finished {
            self.flush(Some(ci), End::Complete, out)?;
        }
        write_json(&f, &v, out)
    }

    /// Emits what is held for one choice (or all) as an extra chunk.
    fn flush(
        &mut self,
        choice: Option<u64>,
        end: End,
        out: &mut Vec<u8>,
    ) -> Result<(), ApiError> {
        let keys: Vec<(u64, ChatField)> = self
            .open
            .keys()
            .copied()
            .filter(|(c, _)| choice.is_none_or(|x| x == *c))
            .collect();
        for key in keys {
            let Some(block) = self.open.remove(&key) else { continue };
            let rest = finish_block(block, end, &mut self.restored)?;
            if rest.is_empty() {
                continue;
            }
            let delta = match key.1 {
                ChatField::Content => json!({"content": rest}),
                ChatField::Tool(ti) => {
                    json!({"tool_calls": [{"index": ti, "function": {"arguments": rest}}]})
                }
            };
            let mut chunk = self
                .envelope
                .clone()
                .unwrap_or_else(|| json!({"object": "chat.completion.chunk"}));
            chunk["choices"] = json!([{"index": key.0, "delta": delta, "finish_reason": null}]);
            write_json(&Frame::default(), &chunk, out)?;
        }
        Ok(())
    }
}

fn mask_failed(e: hush::Error) -> ApiError {
    ApiError::new(
        500,
        "api_error",
        format!("hush could not mask the response: {e}"),
    )
}

fn push_block(
    b: &mut Block<'_>,
    piece: &str,
    restored: &mut u64,
) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    let before = b.restore.report().findings;
    match &mut b.mask {
        Some(m) => {
            let mut mid = Vec::new();
            m.push(piece.as_bytes(), &mut mid).map_err(mask_failed)?;
            b.restore.push(&mid, &mut bytes).map_err(restore_failed)?;
        }
        None => b
            .restore
            .push(piece.as_bytes(), &mut bytes)
            .map_err(restore_failed)?,
    }
    *restored += b.restore.report().findings - before;
    let text = String::from_utf8_lossy(&bytes);
    Ok(match &mut b.json {
        Some(guard) => guard.push(&text),
        None => text.into_owned(),
    })
}

/// What a block still holds, to send before the frame that ends it. With
/// [`End::Cut`], the restorer's held suffix (a possible pseudonym's
/// beginning, or an incomplete UTF-8 sequence) and an incomplete JSON
/// escape are dropped.
fn finish_block(
    b: Block<'_>,
    end: End,
    restored: &mut u64,
) -> Result<String, ApiError> {
    let Block { mut restore, mask, json } = b;
    let mut bytes = Vec::new();
    let before = restore.report().findings;
    if let Some(mut m) = mask {
        let mut mid = Vec::new();
        m.finish(&mut mid).map_err(mask_failed)?;
        restore.push(&mid, &mut bytes).map_err(restore_failed)?;
    }
    if end == End::Complete {
        restore.finish(&mut bytes).map_err(restore_failed)?;
    }
    *restored += restore.report().findings - before;
    let text = String::from_utf8_lossy(&bytes);
    Ok(match json {
        Some(mut guard) => {
            let mut t = guard.push(&text);
            if end == End::Complete {
                t.push_str(&guard.finish());
            }
            t
        }
        None => text.into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hush::{Key, Policy, Redactor, Scanner, Vault};
    use serde_json::{json, Value};

    use super::{ChatStreamRestorer, EscapeGuard, MessageStreamRestorer};

    fn redactor() -> Redactor {
        Redactor::new(
            Arc::new(Scanner::new().unwrap()),
            Arc::new(
                Vault::in_memory(Key::generate().unwrap(), Policy::default())
                    .unwrap(),
            ),
        )
    }

    fn event(v: &Value) -> String {
        format!("event: {}\ndata: {v}\n\n", v["type"].as_str().unwrap())
    }

    fn text_delta(text: &str) -> String {
        event(&json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": text}}))
    }

    /// The text deltas of a restored Messages stream, concatenated.
    fn texts(out: &[u8]) -> String {
        let mut p = crate::sse::SseParser::new();
        let mut frames = Vec::new();
        p.push(out, &mut frames).unwrap();
        p.finish(&mut frames).unwrap();
        frames
            .iter()
            .filter(|f| f.event_name() == "content_block_delta")
            .map(|f| {
                let v: Value = serde_json::from_str(&f.data).unwrap();
                v["delta"]["text"].as_str().unwrap_or("").to_string()
            })
            .collect()
    }

    fn restore(red: &Redactor, wire: &str) -> Vec<u8> {
        let mut s = MessageStreamRestorer::new(red);
        let mut out = Vec::new();
        s.push(wire.as_bytes(), &mut out).unwrap();
        s.finish(&mut out).unwrap();
        out
    }

    #[test]
    fn new_pii_in_streamed_tool_input_is_masked_and_issued_pseudonyms_restored(
    ) {
        let red = redactor();
        let masker = crate::masking_redactor(&red).unwrap();
        let tag = red.redact("jane.roe@acme-mail.io").unwrap().into_text();
        let input = format!(
            r#"{{"to": "{tag}", "cc": "bob.smith@corp-mail.io", "note": "line\nnext"}}"#
        );
        let start = event(&json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "send", "input": {}}}));
        let stop = event(&json!({"type": "content_block_stop", "index": 0}));
        // Every split of the input JSON into two deltas gives the same
        // tool input: the issued pseudonym restored, the new e-mail masked.
        for cut in 0..=input.len() {
            if !input.is_char_boundary(cut) {
                continue;
            }
            let delta = |p: &str| {
                event(&json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": p}}))
            };
            let wire = format!(
                "{start}{}{}{stop}",
                delta(&input[..cut]),
                delta(&input[cut..])
            );
            let mut s = MessageStreamRestorer::new(&red).with_masker(&masker);
            let mut out = Vec::new();
            s.push(wire.as_bytes(), &mut out).unwrap();
            s.finish(&mut out).unwrap();
            let mut p = crate::sse::SseParser::new();
            let mut frames = Vec::new();
            p.push(&out, &mut frames).unwrap();
            p.finish(&mut frames).unwrap();
            let json_text: String = frames
                .iter()
                .filter(|f| f.event_name() == "content_block_delta")
                .map(|f| {
                    let v: Value = serde_json::from_str(&f.data).unwrap();
                    v["delta"]["partial_json"].as_str().unwrap().to_string()
                })
                .collect();
            let got: Value = serde_json::from_str(&json_text).unwrap();
            assert_eq!(got["to"], "jane.roe@acme-mail.io", "{cut}");
            let cc = got["cc"].as_str().unwrap();
            assert!(cc.starts_with("[[EMAIL-H-"), "{cut}: {cc}");
            assert_eq!(got["note"], "line\nnext", "{cut}");
        }
    }

    #[test]
    fn a_cut_stream_drops_a_pseudonyms_beginning_but_flushes_the_rest() {
        let red = redactor();
        let tag = red.redact("jane.roe@acme-mail.io").unwrap().into_text();
        let start = event(&json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}));
        for cut in 1..tag.len() {
            let head = format!("{start}{}", text_delta("Mail to "));
            let cut_wire = format!("{head}{}", text_delta(&tag[..cut]));
            // The stream ends there (the upstream closed it).
            assert_eq!(texts(&restore(&red, &cut_wire)), "Mail to ", "{cut}");
            // An error event cuts the answer too.
            let err = event(&json!({"type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"}}));
            let out = restore(&red, &format!("{cut_wire}{err}"));
            assert_eq!(texts(&out), "Mail to ", "{cut}");
            assert!(String::from_utf8_lossy(&out).contains("overloaded_error"));
        }
        // A whole pseudonym before the cut is restored.
        let wire =
            format!("{start}{}{}", text_delta(&tag), text_delta(" and [["));
        assert_eq!(texts(&restore(&red, &wire)), "jane.roe@acme-mail.io and ");
        // A stream that ends normally keeps literal brackets.
        let stop = event(&json!({"type": "content_block_stop", "index": 0}));
        let wire = format!("{start}{}{stop}", text_delta("see [[wiki"));
        assert_eq!(texts(&restore(&red, &wire)), "see [[wiki");
        let delta = event(&json!({"type": "message_delta",
            "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}}));
        let wire = format!("{start}{}{delta}", text_delta("see [["));
        assert_eq!(texts(&restore(&red, &wire)), "see [[");
    }

    #[test]
    fn a_cut_chat_stream_drops_a_pseudonyms_beginning() {
        let red = redactor();
        let tag = red.redact("jane.roe@acme-mail.io").unwrap().into_text();
        let chunk = |c: &str| {
            format!(
                "data: {}\n\n",
                json!({"object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": c}, "finish_reason": null}]})
            )
        };
        for cut in 1..tag.len() {
            let wire = format!("{}{}", chunk("Mail to "), chunk(&tag[..cut]));
            let mut s = ChatStreamRestorer::new(&red);
            let mut out = Vec::new();
            s.push(wire.as_bytes(), &mut out).unwrap();
            s.finish(&mut out).unwrap();
            let mut p = crate::sse::SseParser::new();
            let mut frames = Vec::new();
            p.push(&out, &mut frames).unwrap();
            let text: String = frames
                .iter()
                .filter_map(|f| serde_json::from_str::<Value>(&f.data).ok())
                .filter_map(|v| {
                    v.pointer("/choices/0/delta/content")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect();
            assert_eq!(text, "Mail to ", "{cut}");
        }
    }

    #[test]
    fn escape_guard_never_ends_inside_an_escape() {
        let json = r#"{"a": "x\"y\\z\u00e9\n", "b": 1}"#;
        for cut in 0..=json.len() {
            for cut2 in cut..=json.len() {
                let mut g = EscapeGuard::default();
                let mut got = String::new();
                for piece in [&json[..cut], &json[cut..cut2], &json[cut2..]] {
                    let out = g.push(piece);
                    // A fragment never ends with an odd run of backslashes
                    // or inside \uXXXX.
                    got.push_str(&out);
                    assert!(!ends_inside_escape(&got), "{got:?}");
                }
                got.push_str(&g.finish());
                assert_eq!(got, json);
            }
        }
    }

    fn ends_inside_escape(s: &str) -> bool {
        let b = s.as_bytes();
        let mut in_str = false;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\\' if in_str => {
                    if i + 1 >= b.len() {
                        return true;
                    }
                    if b[i + 1] == b'u' {
                        if i + 6 > b.len() {
                            return true;
                        }
                        i += 6;
                    } else {
                        i += 2;
                    }
                    continue;
                }
                b'"' => in_str = !in_str,
                _ => {}
            }
            i += 1;
        }
        false
    }
}
