//! Streaming: scan input of any size in fixed memory, with the same
//! findings as scanning it whole.
//!
//! The scanner is a pure function of one buffer, so the CLI cuts input
//! into windows. Each window is the kept tail of the previous one plus a
//! new chunk. A window *commits* the bytes up to `margin` before its end
//! (or to its end at end of input) and reports only the findings that
//! start in the newly committed part; the next window keeps `margin`
//! bytes before the commit point as left context and the uncommitted
//! `margin` bytes after it. With `margin` at least the longest match plus
//! both context windows (see [`margin`]), every finding is reported by
//! exactly one window, which sees it whole with its full context: the
//! result equals a whole-buffer [`Scanner::scan`] for inputs whose
//! entities are shorter than the margin.
//!
//! Line and column numbers are tracked incrementally as bytes are
//! committed (newlines counted with memchr), so nothing is rescanned from
//! the start of the input. Columns count Unicode scalar values; invalid
//! UTF-8 is tolerated by counting the bytes that are not UTF-8
//! continuation bytes.

use std::io::{self, Read};

use hush_detect::{DetectorId, Finding, Kind, Scanner, MAX_RULE_BEFORE};

/// How far past a match the scanner may look (`not_followed_by`).
const LOOKAHEAD: usize = 64;

/// The overlap kept on each side of a commit point for `scanner`: the
/// longest match, the context windows on both sides, the furthest a
/// match may start before its anchor and the scanner's lookahead,
/// rounded up to a multiple of 4 KiB.
pub fn margin(scanner: &Scanner) -> usize {
    let need = scanner.max_match_len()
        + 2 * scanner.max_context()
        + MAX_RULE_BEFORE
        + LOOKAHEAD;
    need.div_ceil(4096) * 4096
}

/// A finding located in the input: absolute byte offsets, 1-based line
/// and column of its first and one-past-last character, and its bytes.
#[derive(Clone, Debug)]
pub struct Hit<'a> {
    /// What was found.
    pub kind: Kind,
    /// The rule that found it.
    pub detector: DetectorId,
    /// Confidence in `0.0..=1.0`.
    pub score: f32,
    /// Byte offset of the first byte in the input.
    pub start: u64,
    /// Byte offset one past the last byte in the input.
    pub end: u64,
    /// 1-based line of the first byte.
    pub line: u64,
    /// 1-based column (in characters) of the first character.
    pub col: u64,
    /// 1-based line of the last byte.
    pub end_line: u64,
    /// 1-based column just past the last character (exclusive).
    pub end_col: u64,
    /// The matched bytes. Never print these unmasked without `--reveal`.
    pub value: &'a [u8],
}

/// Why a stream scan stopped early.
#[derive(Debug)]
pub enum StreamError {
    /// Reading the input failed.
    Read(io::Error),
    /// The consumer of findings failed (e.g. writing output).
    Sink(io::Error),
}

/// Totals of one stream scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Bytes read.
    pub bytes: u64,
    /// Whether the consumer asked to stop before the end of input.
    pub stopped: bool,
}

/// Position of the commit cursor: absolute offset, line, and the number
/// of characters between the start of the line and the offset.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    pos: u64,
    line: u64,
    col: u64,
}

impl Cursor {
    fn new() -> Cursor {
        Cursor { pos: 0, line: 1, col: 0 }
    }

    /// Moves the cursor over `bytes`, which start at `self.pos`.
    fn advance(&mut self, bytes: &[u8]) {
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count() as u64;
                self.col = count_chars(&bytes[last + 1..]);
            }
            None => self.col += count_chars(bytes),
        }
        self.pos += bytes.len() as u64;
    }
}

/// Characters in `bytes`, counting every byte that is not a UTF-8
/// continuation byte (exact for valid UTF-8, never panics otherwise).
pub fn count_chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64
}

/// Scans readers chunk by chunk, reusing its buffers between inputs.
#[derive(Debug)]
pub struct StreamScanner<'s> {
    scanner: &'s Scanner,
    chunk: usize,
    margin: usize,
    buf: Vec<u8>,
    found: Vec<Finding>,
}

impl<'s> StreamScanner<'s> {
    /// A stream scanner reading `chunk` bytes at a time (at least 1).
    pub fn new(scanner: &'s Scanner, chunk: usize) -> StreamScanner<'s> {
        StreamScanner {
            scanner,
            chunk: chunk.max(1),
            margin: margin(scanner),
            buf: Vec::new(),
            found: Vec::new(),
        }
    }

    /// Scans everything `rdr` yields, calling `sink` for each finding in
    /// input order. `sink` returns `Ok(false)` to stop early.
    ///
    /// # Errors
    ///
    /// A read error, or the first error `sink` returns.
    pub fn scan<R, F>(
        &mut self,
        mut rdr: R,
        mut sink: F,
    ) -> Result<Totals, StreamError>
    where
        R: Read,
        F: FnMut(&Hit<'_>) -> io::Result<bool>,
    {
        let margin = self.margin as u64;
        let cap = 2 * self.margin + self.chunk;
        if self.buf.len() != cap {
            self.buf = vec![0; cap];
        }
        // buf[..len] holds input bytes ws..ws+len.
        let mut len = 0usize;
        let mut ws = 0u64;
        let mut committed = 0u64;
        let mut cursor = Cursor::new();
        let mut totals = Totals::default();
        loop {
            let want = (len + self.chunk).min(cap);
            let (filled, eof) = fill(&mut rdr, &mut self.buf[len..want])
                .map_err(StreamError::Read)?;
            len += filled;
            totals.bytes += filled as u64;
            let we = ws + len as u64;
            let commit = if eof { we } else { we.saturating_sub(margin) };
            if commit > committed {
                let window = &self.buf[..len];
                self.scanner.scan_into(window, &mut self.found);
                for f in &self.found {
                    let start = ws + f.start as u64;
                    if start < committed {
                        continue;
                    }
                    if start >= commit {
                        break;
                    }
                    let rel = (cursor.pos - ws) as usize;
                    cursor.advance(&window[rel..f.start]);
                    let mut end = cursor;
                    end.advance(&window[f.range()]);
                    let hit = Hit {
                        kind: f.kind,
                        detector: f.detector,
                        score: f.score,
                        start,
                        end: ws + f.end as u64,
                        line: cursor.line,
                        col: cursor.col + 1,
                        end_line: end.line,
                        end_col: end.col + 1,
                        value: &window[f.range()],
                    };
                    if !sink(&hit).map_err(StreamError::Sink)? {
                        totals.stopped = true;
                        return Ok(totals);
                    }
                }
                let rel = (cursor.pos - ws) as usize;
                cursor.advance(&window[rel..(commit - ws) as usize]);
                committed = commit;
            }
            if eof {
                return Ok(totals);
            }
            // Keep `margin` bytes of left context before the commit point.
            let keep_from = committed.saturating_sub(margin).max(ws);
            let drop = (keep_from - ws) as usize;
            if drop > 0 {
                self.buf.copy_within(drop..len, 0);
                len -= drop;
                ws = keep_from;
            }
        }
    }
}

/// Reads into `buf` until it is full or the input ends; returns the
/// bytes read and whether the input ended.
fn fill<R: Read>(rdr: &mut R, buf: &mut [u8]) -> io::Result<(usize, bool)> {
    let mut n = 0;
    while n < buf.len() {
        match rdr.read(&mut buf[n..]) {
            Ok(0) => return Ok((n, true)),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((n, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `step` bytes per call, to exercise
    /// short reads (pipes).
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.len().min(self.step).min(buf.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    type Plain = (Kind, u64, u64, f32, DetectorId, u64, u64);

    fn streamed(scanner: &Scanner, data: &[u8], chunk: usize) -> Vec<Plain> {
        let mut out = Vec::new();
        let mut ss = StreamScanner::new(scanner, chunk);
        let rdr = Trickle { data, step: chunk / 3 + 7 };
        let totals = ss
            .scan(rdr, |h| {
                assert_eq!(h.value.len() as u64, h.end - h.start);
                out.push((
                    h.kind, h.start, h.end, h.score, h.detector, h.line, h.col,
                ));
                Ok(true)
            })
            .unwrap();
        assert_eq!(totals.bytes, data.len() as u64);
        out
    }

    /// Whole-buffer findings, with lines and columns computed naively.
    fn whole(scanner: &Scanner, data: &[u8]) -> Vec<Plain> {
        scanner
            .scan(data)
            .iter()
            .map(|f| {
                let before = &data[..f.start];
                let line = before.iter().filter(|&&b| b == b'\n').count();
                let ls = before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                // Entities placed over multi-byte characters leave
                // invalid UTF-8 behind, so count as the CLI does.
                let col = count_chars(&data[ls..f.start]);
                (
                    f.kind,
                    f.start as u64,
                    f.end as u64,
                    f.score,
                    f.detector,
                    line as u64 + 1,
                    col + 1,
                )
            })
            .collect()
    }

    /// Places `entity` so that it straddles offset `at`.
    fn place(data: &mut [u8], at: usize, entity: &str) {
        let s = at - entity.len() / 2;
        data[s - 1] = b' ';
        data[s..s + entity.len()].copy_from_slice(entity.as_bytes());
        data[s + entity.len()] = b' ';
    }

    #[test]
    fn chunked_equals_whole_across_boundaries() {
        let scanner = Scanner::new().unwrap();
        let chunk = 5000;
        let m = margin(&scanner);
        // Filler with newlines and non-ASCII text, no entities.
        let filler = "Grüße aus Köln, nothing here to see.\n";
        let size = 6 * (chunk + 2 * m) + 1234;
        let mut data: Vec<u8> =
            filler.bytes().cycle().take(size).collect::<Vec<u8>>();
        // Chunk (read) boundaries are at k*chunk; commit points at
        // k*chunk - margin. Straddle both.
        let entities = [
            "jane.roe@acme.io",
            "4539 1488 0343 6467",
            "DE89 3704 0044 0532 0130 00",
            "192.168.17.20",
            "bob.smith@mailbox.org",
            "(415) 555-0132",
        ];
        let mut placed = 0;
        let mut k = 1;
        while placed < 40 {
            for at in [k * chunk, (k * chunk).wrapping_sub(m)] {
                if at > 64 && at + 64 < data.len() {
                    place(&mut data, at, entities[placed % entities.len()]);
                    placed += 1;
                }
            }
            k += 1;
        }
        let expect = whole(&scanner, &data);
        assert!(expect.len() >= 38, "only {} findings", expect.len());
        assert_eq!(streamed(&scanner, &data, chunk), expect);
        // Other chunk sizes, smaller and larger than the margin.
        for chunk in [977, m, 3 * m + 5, size] {
            assert_eq!(streamed(&scanner, &data, chunk), expect, "{chunk}");
        }
        // Tiny chunks (one window per few bytes), over a prefix.
        let part = &data[..3 * m];
        assert_eq!(streamed(&scanner, part, 61), whole(&scanner, part));
    }

    #[test]
    fn empty_and_invalid_utf8() {
        let scanner = Scanner::new().unwrap();
        assert!(streamed(&scanner, b"", 16).is_empty());
        let mut data = b"\xff\xfe\x00bin\x80\x80 a@b.io \xc3".to_vec();
        data.extend_from_slice(b"\n\xe2\x82 ip 10.0.0.1\n");
        let got = streamed(&scanner, &data, 5);
        assert_eq!(got.len(), 2);
        // Line 1: 0xff 0xfe 0x00 b i n (6 chars; 0x80s are continuation
        // bytes) and a space.
        assert_eq!((got[0].5, got[0].6), (1, 8));
        // Line 2: 0xe2 0x82 counts 1, then " ip ".
        assert_eq!((got[1].5, got[1].6), (2, 6));
    }

    #[test]
    fn end_position_spans_lines() {
        let mut c = Cursor::new();
        c.advance("ab\ncdé".as_bytes());
        assert_eq!((c.pos, c.line, c.col), (7, 2, 3));
        c.advance(b"xy");
        assert_eq!((c.line, c.col), (2, 5));
        c.advance(b"\n");
        assert_eq!((c.line, c.col), (3, 0));
    }
}
