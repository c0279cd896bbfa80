//! The canonical line: how an entry becomes the exact bytes that are
//! hashed and chained, and how a reader takes just the envelope back out
//! of a line without parsing the record.
//!
//! A line is
//!
//! ```text
//! {"seq":<n>,"ts":"<YYYY-MM-DDTHH:MM:SS.mmmZ>","prev":"<64 hex>","type":"<kind>",...,"hash":"<64 hex>"}\n
//! ```
//!
//! with the fields in exactly this order, no spaces, lowercase hex. The
//! hash is SHA-256 of every byte before `,"hash":"` (so it covers `seq`,
//! `ts`, `prev` and the whole entry); `prev` is the hash of the line
//! before (64 zeros for the first line of a log). Because the envelope
//! has a fixed shape at both ends, a verifier reads it with a few byte
//! comparisons and hashes the line without parsing the JSON between.

use sha2::{Digest, Sha256};

use crate::time::{parse_ts, TS_LEN};

/// The `prev` of the first line of a log.
pub(crate) const ZERO_HASH: [u8; 32] = [0; 32];

const HASH_KEY: &[u8] = b",\"hash\":\"";
/// `,"hash":"` + 64 hex + `"}`.
pub(crate) const SUFFIX_LEN: usize = HASH_KEY.len() + 64 + 2;

/// The envelope of one line, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Envelope<'a> {
    pub seq: u64,
    pub ts_ms: i64,
    pub ts: &'a [u8],
    pub prev: [u8; 32],
    pub kind: &'a [u8],
    pub hash: [u8; 32],
    /// The bytes the hash is computed over.
    pub hashed: &'a [u8],
}

impl Envelope<'_> {
    /// Whether the stored hash is SHA-256 of the hashed bytes.
    pub fn hash_ok(&self) -> bool {
        sha256(self.hashed) == self.hash
    }
}

pub(crate) fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

pub(crate) fn to_hex(h: &[u8; 32]) -> String {
    hex::encode(h)
}

/// Decodes exactly 64 lowercase hex characters.
pub(crate) fn hex32(b: &[u8]) -> Option<[u8; 32]> {
    fn nib(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        *o = nib(pair[0])? << 4 | nib(pair[1])?;
    }
    Some(out)
}

/// Appends a line for `body` (the JSON of an [`Entry`](crate::Entry),
/// `{"type":...}`) to `out` and returns its hash. With `fixed_hash`
/// (anchors only) that hash is written instead of the computed one.
pub(crate) fn encode(
    out: &mut Vec<u8>,
    seq: u64,
    ts: &str,
    prev: &[u8; 32],
    body: &[u8],
    fixed_hash: Option<[u8; 32]>,
) -> [u8; 32] {
    debug_assert!(body.starts_with(b"{\"type\":") && body.ends_with(b"}"));
    let start = out.len();
    out.extend_from_slice(b"{\"seq\":");
    out.extend_from_slice(seq.to_string().as_bytes());
    out.extend_from_slice(b",\"ts\":\"");
    out.extend_from_slice(ts.as_bytes());
    out.extend_from_slice(b"\",\"prev\":\"");
    let mut hex = [0u8; 64];
    // Cannot fail: the buffer is exactly twice the input.
    let _ = hex::encode_to_slice(prev, &mut hex);
    out.extend_from_slice(&hex);
    out.extend_from_slice(b"\",");
    let inner = body.get(1..body.len().saturating_sub(1)).unwrap_or_default();
    out.extend_from_slice(inner);
    let hash = fixed_hash.unwrap_or_else(|| sha256(&out[start..]));
    out.extend_from_slice(HASH_KEY);
    let _ = hex::encode_to_slice(hash, &mut hex);
    out.extend_from_slice(&hex);
    out.extend_from_slice(b"\"}\n");
    hash
}

/// Reads the envelope of one line (without its newline). The error is a
/// fixed description of what is malformed.
pub(crate) fn parse(line: &[u8]) -> Result<Envelope<'_>, &'static str> {
    const BAD: &str = "not an audit record (malformed envelope)";
    let rest = line.strip_prefix(b"{\"seq\":").ok_or(BAD)?;
    let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 20 || (n > 1 && rest[0] == b'0') {
        return Err("malformed seq");
    }
    let seq = std::str::from_utf8(&rest[..n])
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or("malformed seq")?;
    let rest = rest[n..].strip_prefix(b",\"ts\":\"").ok_or(BAD)?;
    if rest.len() < TS_LEN {
        return Err(BAD);
    }
    let (ts, rest) = rest.split_at(TS_LEN);
    let ts_ms = parse_ts(ts).ok_or("malformed timestamp")?;
    let rest = rest.strip_prefix(b"\",\"prev\":\"").ok_or(BAD)?;
    if rest.len() < 64 {
        return Err(BAD);
    }
    let prev = hex32(&rest[..64]).ok_or("malformed prev hash")?;
    let rest = rest[64..].strip_prefix(b"\",\"type\":\"").ok_or(BAD)?;
    let k = rest.iter().take_while(|c| c.is_ascii_lowercase() || **c == b'_');
    let k = k.count();
    if k == 0 || k > 32 || rest.get(k) != Some(&b'"') {
        return Err("malformed type");
    }
    let kind = &rest[..k];
    // The suffix must not overlap the prefix just read.
    let prefix_len = line.len() - rest.len() + k + 1;
    if line.len() < prefix_len + SUFFIX_LEN || !line.ends_with(b"\"}") {
        return Err(BAD);
    }
    let cut = line.len() - SUFFIX_LEN;
    let suffix = &line[cut..];
    if !suffix.starts_with(HASH_KEY) {
        return Err("hash is not the last field");
    }
    let hash = hex32(&suffix[HASH_KEY.len()..HASH_KEY.len() + 64])
        .ok_or("malformed hash")?;
    Ok(Envelope { seq, ts_ms, ts, prev, kind, hash, hashed: &line[..cut] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_parse() {
        let mut out = Vec::new();
        let body = br#"{"type":"note","note":"x"}"#;
        let ts = "2026-11-01T00:00:00.000Z";
        let h = encode(&mut out, 7, ts, &[1; 32], body, None);
        assert!(out.ends_with(b"\"}\n"));
        let line = &out[..out.len() - 1];
        let e = parse(line).unwrap();
        assert_eq!(
            (e.seq, e.prev, e.hash, e.kind),
            (7, [1; 32], h, &b"note"[..])
        );
        assert!(e.hash_ok());
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(v["note"], "x");
        assert_eq!(v["ts"], ts);
    }

    #[test]
    fn rejects_near_misses() {
        let mut out = Vec::new();
        let body = br#"{"type":"note","note":"x"}"#;
        let ts = "2026-11-01T00:00:00.000Z";
        encode(&mut out, 7, ts, &[1; 32], body, None);
        let line = &out[..out.len() - 1];
        for i in 0..line.len() {
            let _ = parse(&line[..i]);
            let _ = parse(&line[i..]);
        }
        assert!(parse(b"").is_err());
        assert!(parse(b"{\"seq\":01,").is_err());
        let upper =
            String::from_utf8(line.to_vec()).unwrap().replace('a', "A");
        assert!(parse(upper.as_bytes()).map(|e| e.hash_ok()) != Ok(true));
    }
}
