//! Server-sent events, parsed from bytes as they arrive.
//!
//! A proxy sees an SSE stream as TCP chunks that split anywhere: inside a
//! frame, inside a line, between the `\r` and `\n` of a line ending,
//! inside a UTF-8 sequence. This parser buffers only the current
//! incomplete line, follows the WHATWG rules (`\n`, `\r\n` or `\r` line
//! ends, `data:` with or without a space, several `data:` lines joined
//! with `\n`, comments, a leading byte-order mark) and hands out whole
//! frames. A line longer than the configured limit is an error, so a
//! hostile upstream cannot make the proxy buffer without bound.

use std::fmt;

/// The default limit on one line (and so on one frame's data line).
pub const DEFAULT_MAX_LINE: usize = 16 << 20;

/// One event of a stream.
///
/// # Example
///
/// ```
/// use hush_claude::sse::Frame;
///
/// let f = Frame::new("ping", r#"{"type":"ping"}"#);
/// assert_eq!(f.to_bytes(), b"event: ping\ndata: {\"type\":\"ping\"}\n\n");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The `id:` field, if any.
    pub id: Option<String>,
    /// The `retry:` field, if any.
    pub retry: Option<String>,
}

// Frames carry pseudonymised text upstream of restoration and restored
// text after it: never print the data.
impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("event", &self.event)
            .field("data_len", &self.data.len())
            .finish_non_exhaustive()
    }
}

impl Frame {
    /// A frame with an event name and data.
    pub fn new(event: &str, data: &str) -> Frame {
        Frame {
            event: Some(event.to_string()),
            data: data.to_string(),
            ..Frame::default()
        }
    }

    /// A frame with data only (the OpenAI-compatible stream shape).
    ///
    /// # Example
    ///
    /// ```
    /// use hush_claude::sse::Frame;
    ///
    /// assert_eq!(Frame::data_only("[DONE]").to_bytes(), b"data: [DONE]\n\n");
    /// ```
    pub fn data_only(data: &str) -> Frame {
        Frame { data: data.to_string(), ..Frame::default() }
    }

    /// The event name, or `message` (the SSE default) when there is none.
    pub fn event_name(&self) -> &str {
        self.event.as_deref().unwrap_or("message")
    }

    /// Appends the frame in wire form (`\n` line ends) to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        if let Some(e) = &self.event {
            out.extend_from_slice(b"event: ");
            out.extend_from_slice(e.as_bytes());
            out.push(b'\n');
        }
        if let Some(id) = &self.id {
            out.extend_from_slice(b"id: ");
            out.extend_from_slice(id.as_bytes());
            out.push(b'\n');
        }
        if let Some(r) = &self.retry {
            out.extend_from_slice(b"retry: ");
            out.extend_from_slice(r.as_bytes());
            out.push(b'\n');
        }
        for line in self.data.split('\n') {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
    }

    /// The frame in wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

/// Why a stream could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// A line was longer than the limit.
    #[error("server-sent event line longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// A line was not UTF-8.
    #[error(
        "server-sent event line is not UTF-8 (at byte {offset} of the stream)"
    )]
    NotUtf8 {
        /// Where the line starts in the stream.
        offset: u64,
    },
}

/// An incremental SSE parser.
///
/// # Example
///
/// ```
/// use hush_claude::sse::SseParser;
///
/// let wire = b"event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\nevent: x\ndata:a\ndata:b\n\n";
/// let mut p = SseParser::new();
/// let mut frames = Vec::new();
/// for b in wire.chunks(1) {
///     p.push(b, &mut frames)?;
/// }
/// p.finish(&mut frames)?;
/// assert_eq!(frames.len(), 2);
/// assert_eq!(frames[0].data, "{\"type\": \"ping\"}");
/// assert_eq!(frames[1].data, "a\nb");
/// # Ok::<(), hush_claude::sse::SseError>(())
/// ```
#[derive(Debug)]
pub struct SseParser {
    buf: Vec<u8>,
    /// Bytes of the stream dropped from `buf` so far.
    consumed: u64,
    /// The previous chunk ended with `\r`: a `\n` first in the next one
    /// belongs to that line end.
    skip_lf: bool,
    started: bool,
    max_line: usize,
    cur: Frame,
    has_data: bool,
}

impl Default for SseParser {
    fn default() -> SseParser {
        SseParser::new()
    }
}

impl SseParser {
    /// A parser with the default line limit ([`DEFAULT_MAX_LINE`]).
    pub fn new() -> SseParser {
        SseParser::with_max_line(DEFAULT_MAX_LINE)
    }

    /// A parser that fails on lines longer than `max_line` bytes.
    pub fn with_max_line(max_line: usize) -> SseParser {
        SseParser {
            buf: Vec::new(),
            consumed: 0,
            skip_lf: false,
            started: false,
            max_line,
            cur: Frame::default(),
            has_data: false,
        }
    }

    /// Bytes buffered in an incomplete line.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Feeds bytes; complete frames are appended to `out`.
    ///
    /// # Errors
    ///
    /// A line over the limit or not UTF-8. The parser should be dropped.
    pub fn push(
        &mut self,
        mut bytes: &[u8],
        out: &mut Vec<Frame>,
    ) -> Result<(), SseError> {
        if self.skip_lf && !bytes.is_empty() {
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
                self.consumed += 1;
            }
            self.skip_lf = false;
        }
        self.buf.extend_from_slice(bytes);
        let mut start = 0;
        loop {
            let rest = &self.buf[start..];
            let Some(i) = memchr::memchr2(b'\n', b'\r', rest) else { break };
            let end = start + i;
            let mut next = end + 1;
            if self.buf[end] == b'\r' {
                match self.buf.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    // A `\r` at the end: the line is complete, and a
                    // `\n` opening the next chunk is part of its end.
                    None => self.skip_lf = true,
                }
            }
            let line_start = start;
            start = next;
            self.line(line_start, end, out)?;
        }
        self.buf.drain(..start);
        self.consumed += start as u64;
        if self.buf.len() > self.max_line {
            return Err(SseError::LineTooLong { limit: self.max_line });
        }
        Ok(())
    }

    /// The stream ended. As the SSE standard says, a frame without its
    /// closing blank line is incomplete and is not dispatched (a client
    /// would drop it too).
    ///
    /// # Errors
    ///
    /// As [`SseParser::push`].
    pub fn finish(&mut self, out: &mut Vec<Frame>) -> Result<(), SseError> {
        let _ = out;
        self.buf.clear();
        self.cur = Frame::default();
        self.has_data = false;
        Ok(())
    }

    fn line(
        &mut self,
        start: usize,
        end: usize,
        out: &mut Vec<Frame>,
    ) -> Result<(), SseError> {
        let mut raw = &self.buf[start..end];
        if !self.started {
            self.started = true;
            raw = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
        }
        if end - start > self.max_line {
            return Err(SseError::LineTooLong { limit: self.max_line });
        }
        let line = std::str::from_utf8(raw).map_err(|_| {
            SseError::NotUtf8 { offset: self.consumed + start as u64 }
        })?;
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line, ""),
        };
        match field {
            "event" => self.cur.event = Some(value.to_string()),
            "data" => {
                if self.has_data {
                    self.cur.data.push('\n');
                }
                self.cur.data.push_str(value);
                self.has_data = true;
            }
            "id" => self.cur.id = Some(value.to_string()),
            "retry" => self.cur.retry = Some(value.to_string()),
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<Frame>) {
        if self.has_data || self.cur.event.is_some() {
            out.push(std::mem::take(&mut self.cur));
        }
        self.cur = Frame::default();
        self.has_data = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_split(wire: &[u8], cuts: &[usize]) -> Vec<Frame> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        let mut last = 0;
        for &c in cuts {
            p.push(&wire[last..c], &mut out).unwrap();
            last = c;
        }
        p.push(&wire[last..], &mut out).unwrap();
        p.finish(&mut out).unwrap();
        out
    }

    const WIRE: &str = "\u{feff}event: message_start\r\ndata: {\"a\":1}\r\n\r\n: comment\nevent: ping\ndata:{\"type\": \"ping\"}   \n\nevent: x\rdata: é\rdata: ü\r\rdata: only\n\n";

    #[test]
    fn line_ends_fields_and_bom() {
        let f = parse_split(WIRE.as_bytes(), &[]);
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].event.as_deref(), Some("message_start"));
        assert_eq!(f[0].data, "{\"a\":1}");
        assert_eq!(f[1].data, "{\"type\": \"ping\"}   ");
        assert_eq!(f[2].data, "é\nü");
        assert_eq!(f[3].event, None);
        assert_eq!(f[3].event_name(), "message");
    }

    #[test]
    fn long_line_is_an_error() {
        let mut p = SseParser::with_max_line(8);
        let mut out = Vec::new();
        assert!(p.push(b"data: 0123456789", &mut out).is_err());
    }

    #[test]
    fn invalid_utf8_is_an_error_with_offset() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        let e = p.push(b"data: ok\n\ndata: \xff\n\n", &mut out).unwrap_err();
        assert_eq!(e, SseError::NotUtf8 { offset: 10 });
    }

    #[test]
    fn unterminated_frame_is_not_dispatched() {
        let f = parse_split(
            b"event: ping\ndata: {}\n\nevent: message_stop\ndata: {}\n",
            &[],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].event_name(), "ping");
    }

    proptest! {
        // Chunking invariance: any split of the bytes gives the same frames.
        #[test]
        fn any_split_gives_the_same_frames(mut cuts in proptest::collection::vec(0usize..WIRE.len(), 0..12)) {
            cuts.sort_unstable();
            let whole = parse_split(WIRE.as_bytes(), &[]);
            prop_assert_eq!(parse_split(WIRE.as_bytes(), &cuts), whole);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..300) {
            let mut p = SseParser::with_max_line(64);
            let mut out = Vec::new();
            let cut = cut.min(bytes.len());
            let _ = p.push(&bytes[..cut], &mut out).and_then(|_| p.push(&bytes[cut..], &mut out)).and_then(|_| p.finish(&mut out));
        }

        #[test]
        fn write_then_parse_round_trips(event in "[a-z_]{1,12}", data in "[^\r\n]{0,20}(\n[^\r\n]{0,20}){0,3}") {
            let f = Frame::new(&event, &data);
            let back = parse_split(&f.to_bytes(), &[]);
            prop_assert_eq!(back, vec![f]);
        }
    }
}
