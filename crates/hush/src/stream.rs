//! Streaming redaction and restoration with bounded hold-back.
//!
//! Both streams keep one buffer: a little already-emitted text as left
//! context, then the unsettled tail. A push appends the chunk, asks the
//! scanner (or the vault) how much of the buffer no later byte can
//! change, emits that much and drops what is no longer needed as
//! context. Because the settled prefix is decided by the same functions a
//! whole-buffer run uses, the concatenated output of a stream equals the
//! whole-buffer output for every way of cutting the input.

use hush_detect::Finding;
use hush_vault::{Scope, ValueEscape, RESTORE_CONTEXT};

use crate::error::Error;
use crate::redactor::{splice, Redactor};
use crate::report::Report;

/// Chunks at least this long are scanned in place (see
/// `RedactStream::push_in_place`): copying them into the buffer costs
/// more than the seam scan.
const IN_PLACE: usize = 16 * 1024;

/// How much of a large chunk joins the buffer for the seam scan.
const SEAM: usize = 4 * 1024;

/// Redacts a stream of chunks; see [`Redactor::redact_stream`].
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use hush::{Redactor, Scanner, Vault, Key, Policy};
///
/// let r = Redactor::new(
///     Arc::new(Scanner::new()?),
///     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
/// );
/// let text = "Call 415-555-0100, or mail jane.roe@acme.io today.";
/// let mut s = r.redact_stream();
/// let mut out = Vec::new();
/// for piece in text.as_bytes().chunks(3) {
///     s.push(piece, &mut out)?;
///     assert!(s.held() <= r.max_redact_hold());
/// }
/// s.finish(&mut out)?;
/// assert_eq!(out, r.redact(text)?.text().as_bytes());
/// assert_eq!(s.report().findings, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RedactStream<'r> {
    red: &'r Redactor,
    scope: Scope<'r>,
    /// Left context, then unsettled bytes from `from`.
    buf: Vec<u8>,
    from: usize,
    /// Bytes appended since the last scan.
    unscanned: usize,
    found: Vec<Finding>,
    report: Report,
    finished: bool,
}

impl<'r> RedactStream<'r> {
    pub(crate) fn new(red: &'r Redactor) -> RedactStream<'r> {
        RedactStream {
            red,
            scope: red.scope(),
            buf: Vec::new(),
            from: 0,
            unscanned: 0,
            found: Vec::new(),
            report: Report::default(),
            finished: false,
        }
    }

    /// Feeds a chunk and appends to `out` what is now safe to emit.
    ///
    /// # Errors
    ///
    /// When the vault cannot store a new mapping (nothing of the settled
    /// text is emitted then, and the stream should be dropped), or after
    /// [`RedactStream::finish`].
    pub fn push(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if self.finished {
            return Err(Error::finished());
        }
        self.report.bytes_in += chunk.len() as u64;
        // A chunk larger than the batch is scanned where it lies (once
        // what is buffered has been settled); smaller ones are gathered.
        if chunk.len() >= IN_PLACE.max(self.red.scan_batch()) {
            return self.push_in_place(chunk, out);
        }
        self.buf.extend_from_slice(chunk);
        self.unscanned += chunk.len();
        if self.unscanned > self.red.scan_batch()
            || (self.unscanned > 0 && self.red.scan_batch() == 0)
        {
            self.settle(false, out)?;
        }
        Ok(())
    }

    /// Emits the rest: the input is complete.
    ///
    /// # Errors
    ///
    /// As [`RedactStream::push`].
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.finished {
            return Err(Error::finished());
        }
        self.settle(true, out)?;
        self.finished = true;
        Ok(())
    }

    /// Bytes received but not yet emitted.
    pub fn held(&self) -> usize {
        self.buf.len() - self.from
    }

    /// What the stream has done so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    fn settle(
        &mut self,
        at_end: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let buf = std::mem::take(&mut self.buf);
        let p = self.settle_slice(&buf, self.from, at_end, out);
        self.buf = buf;
        let p = p?;
        self.unscanned = 0;
        let keep_from = p.saturating_sub(self.red.scanner().settle_context());
        self.buf.drain(..keep_from);
        self.from = p - keep_from;
        Ok(())
    }

    /// A large chunk is scanned where it lies instead of being copied
    /// into the buffer: the buffer and the chunk's head are settled first
    /// (the seam), then the rest of the chunk from the settled point, with
    /// the same left context a buffered scan would keep. Only the new
    /// unsettled tail is copied. Falls back to buffering when the seam
    /// does not settle far enough into the chunk.
    fn push_in_place(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let ctx = self.red.scanner().settle_context();
        let head = SEAM.min(chunk.len());
        let before = self.buf.len();
        self.buf.extend_from_slice(&chunk[..head]);
        self.settle(false, out)?;
        // Where the settled point is, counted from the start of `chunk`.
        let carried = before + head - self.buf.len();
        let settled = (self.from + carried).checked_sub(before);
        match settled.and_then(|p| p.checked_sub(ctx).map(|s| (p, s))) {
            Some((p, start)) if p <= head => {
                let window = &chunk[start..];
                let q = self.settle_slice(window, ctx, false, out)?;
                let keep_from = q.saturating_sub(ctx);
                self.buf.clear();
                self.buf.extend_from_slice(&window[keep_from..]);
                self.from = q - keep_from;
                self.unscanned = 0;
                Ok(())
            }
            _ => {
                self.buf.extend_from_slice(&chunk[head..]);
                self.settle(false, out)
            }
        }
    }

    /// Settles `hay` from `from`, writes the redacted settled part to
    /// `out` and returns the settled point (on a character boundary
    /// unless the input is not UTF-8 there).
    fn settle_slice(
        &mut self,
        hay: &[u8],
        from: usize,
        at_end: bool,
        out: &mut Vec<u8>,
    ) -> Result<usize, Error> {
        let scanner = self.red.scanner();
        let mut p = scanner.scan_settled(hay, from, at_end, &mut self.found);
        if !at_end {
            // End the output on a character boundary, so that each piece
            // of valid UTF-8 input comes out as valid UTF-8 on its own.
            let floor = self.found.last().map_or(from, |f| f.end);
            let cont = |b: u8| (0x80..0xc0).contains(&b);
            let mut q = p;
            while q > floor && q < hay.len() && cont(hay[q]) && p - q < 3 {
                q -= 1;
            }
            if q < hay.len() && !cont(hay[q]) {
                p = q;
            }
        }
        splice(
            self.red,
            self.scope,
            hay,
            from,
            p,
            &self.found,
            out,
            &mut self.report,
        )?;
        Ok(p)
    }
}

/// Restores a stream of chunks; see [`Redactor::restore_stream`].
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use hush::{Redactor, Scanner, Vault, Key, Policy};
///
/// let r = Redactor::new(
///     Arc::new(Scanner::new()?),
///     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
/// );
/// let tag = r.redact("jane.roe@acme.io")?.into_text();
/// // A model's answer, arriving as small deltas.
/// let answer = format!("Sure, I'll mail {tag} now.");
/// let mut s = r.restore_stream();
/// let mut out = Vec::new();
/// for piece in answer.as_bytes().chunks(4) {
///     s.push(piece, &mut out)?;
/// }
/// s.finish(&mut out)?;
/// assert_eq!(out, b"Sure, I'll mail jane.roe@acme.io now.");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RestoreStream<'r> {
    scope: Scope<'r>,
    escape: ValueEscape,
    buf: Vec<u8>,
    from: usize,
    report: Report,
    finished: bool,
}

impl<'r> RestoreStream<'r> {
    pub(crate) fn new(red: &'r Redactor) -> RestoreStream<'r> {
        RestoreStream {
            scope: red.scope(),
            escape: ValueEscape::None,
            buf: Vec::new(),
            from: 0,
            report: Report::default(),
            finished: false,
        }
    }

    /// Feeds a chunk and appends to `out` what is now safe to emit: all
    /// of it except a suffix that could still become a pseudonym (or an
    /// incomplete UTF-8 sequence).
    ///
    /// # Errors
    ///
    /// When the vault storage cannot be read, or after
    /// [`RestoreStream::finish`].
    pub fn push(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if self.finished {
            return Err(Error::finished());
        }
        self.buf.extend_from_slice(chunk);
        self.report.bytes_in += chunk.len() as u64;
        self.settle(false, out)
    }

    /// Emits the rest: the input is complete.
    ///
    /// # Errors
    ///
    /// As [`RestoreStream::push`].
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.finished {
            return Err(Error::finished());
        }
        self.settle(true, out)?;
        self.finished = true;
        Ok(())
    }

    /// Bytes received but not yet emitted.
    pub fn held(&self) -> usize {
        self.buf.len() - self.from
    }

    /// Writes each restored value escaped for the inside of a JSON string:
    /// for streams of JSON text, such as a tool call's `partial_json`.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hush::{Kind, Redactor, Scanner, Vault, Key, Policy};
    /// # let r = Redactor::new(
    /// #     Arc::new(Scanner::new()?),
    /// #     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
    /// # );
    /// let text = "Say \"hi\" to jane@acme.io";
    /// let tag = r.redact(text)?.into_text();
    /// let json = serde_json::to_string(&serde_json::json!({ "path": tag }))?;
    /// let mut s = r.restore_stream().json_string();
    /// let mut out = Vec::new();
    /// for piece in json.as_bytes().chunks(5) {
    ///     s.push(piece, &mut out)?;
    /// }
    /// s.finish(&mut out)?;
    /// let back: serde_json::Value = serde_json::from_slice(&out)?;
    /// assert_eq!(back["path"], text);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn json_string(mut self) -> RestoreStream<'r> {
        self.escape = ValueEscape::JsonString;
        self
    }

    /// What the stream has done so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    fn settle(
        &mut self,
        at_end: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let start = out.len();
        loop {
            let (valid, bad) = match std::str::from_utf8(&self.buf) {
                Ok(_) => (self.buf.len(), None),
                Err(e) => (e.valid_up_to(), e.error_len()),
            };
            // An invalid sequence (or an incomplete one at the very end)
            // ends the text before it, as in `Redactor::restore_bytes`.
            let bad = match bad {
                Some(n) => Some(n),
                None if at_end && valid < self.buf.len() => {
                    Some(self.buf.len() - valid)
                }
                None => None,
            };
            let text = std::str::from_utf8(&self.buf[..valid])
                .expect("valid_up_to is a UTF-8 boundary");
            let (part, p) = self.scope.restore_settled_escaped(
                text,
                self.from,
                at_end || bad.is_some(),
                self.escape,
            )?;
            out.extend_from_slice(part.text().as_bytes());
            self.report.findings += part.restored() as u64;
            self.report.unresolved += part.unresolved().len() as u64;
            match bad {
                Some(n) => {
                    out.extend_from_slice(&self.buf[valid..valid + n]);
                    self.buf.drain(..valid + n);
                    self.from = 0;
                    if self.buf.is_empty() {
                        break;
                    }
                }
                None => {
                    let mut keep = p.saturating_sub(RESTORE_CONTEXT);
                    while !text.is_char_boundary(keep) {
                        keep -= 1;
                    }
                    self.buf.drain(..keep);
                    self.from = p - keep;
                    break;
                }
            }
        }
        self.report.bytes_out += (out.len() - start) as u64;
        Ok(())
    }
}
