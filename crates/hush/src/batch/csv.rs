//! Splitting CSV and TSV text into records and fields by byte span, so
//! that a batch job rewrites only the fields it redacts and leaves every
//! other byte (quoting style, line ends) as it was.
//!
//! RFC 4180 quoting: a field that starts with `"` runs to the next `"`
//! not followed by another `"`, and `""` inside stands for one quote; a
//! record ends at a line feed outside quotes (a carriage return before it
//! belongs to the line end).

use std::ops::Range;

/// One field of a record: its raw bytes and whether it was quoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Field {
    pub raw: Range<usize>,
    pub quoted: bool,
}

/// The end of the record starting at `start` (after its line feed), or
/// `None` when the data ends first (inside quotes, or without a line
/// feed: the caller decides whether more data may come).
pub(crate) fn record_end(data: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    let mut quoted = false;
    while i < data.len() {
        let hit = if quoted {
            memchr::memchr(b'"', &data[i..])
        } else {
            memchr::memchr2(b'"', b'\n', &data[i..])
        };
        let k = i + hit?;
        match data[k] {
            b'"' => {
                quoted = !quoted;
                i = k + 1;
            }
            _ => return Some(k + 1),
        }
    }
    None
}

/// Splits one record (without its line end) into fields.
///
/// # Errors
///
/// A quoted field followed by something other than the delimiter, or a
/// quote that is never closed.
pub(crate) fn fields(rec: &[u8], delim: u8) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        if rec.get(i) == Some(&b'"') {
            let mut j = i + 1;
            loop {
                match memchr::memchr(b'"', &rec[j..]) {
                    None => return Err("a quoted field is not closed".into()),
                    Some(k) if rec.get(j + k + 1) == Some(&b'"') => j += k + 2,
                    Some(k) => {
                        j += k + 1;
                        break;
                    }
                }
            }
            out.push(Field { raw: i..j, quoted: true });
            match rec.get(j) {
                None => return Ok(out),
                Some(&b) if b == delim => i = j + 1,
                Some(_) => {
                    return Err(format!(
                        "text after the closing quote of field {}",
                        out.len()
                    ))
                }
            }
        } else {
            let end =
                memchr::memchr(delim, &rec[i..]).map_or(rec.len(), |k| i + k);
            out.push(Field { raw: i..end, quoted: false });
            if end == rec.len() {
                return Ok(out);
            }
            i = end + 1;
        }
    }
}

/// The bytes of a record without its line end (`\n` or `\r\n`).
pub(crate) fn strip_line_end(rec: &[u8]) -> &[u8] {
    let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
    rec.strip_suffix(b"\r").unwrap_or(rec)
}

/// The text of a field (quotes removed, `""` made `"`).
pub(crate) fn decode(rec: &[u8], f: &Field) -> Result<String, String> {
    let raw = &rec[f.raw.clone()];
    let inner = if f.quoted { &raw[1..raw.len() - 1] } else { raw };
    let text = std::str::from_utf8(inner)
        .map_err(|_| "a field is not UTF-8".to_string())?;
    Ok(if f.quoted { text.replace("\"\"", "\"") } else { text.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_fields() {
        let data = b"a,\"b\nc\",d\r\ne,\"f \"\"g\"\"\",\nlast";
        let r1 = record_end(data, 0).unwrap();
        assert_eq!(&data[..r1], b"a,\"b\nc\",d\r\n");
        let r2 = record_end(data, r1).unwrap();
        assert_eq!(record_end(data, r2), None);
        let rec = strip_line_end(&data[r1..r2]);
        let f = fields(rec, b',').unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(decode(rec, &f[1]).unwrap(), "f \"g\"");
        assert_eq!(decode(rec, &f[2]).unwrap(), "");
        assert!(fields(b"\"a\"x,b", b',').is_err());
        assert!(fields(b"\"a,b", b',').is_err());
    }
}
