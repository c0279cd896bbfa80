//! Finding the string values of a JSON document that a batch job must
//! redact, by byte span, so that everything else in the record (numbers,
//! key order, white space, escapes of untouched strings) is written back
//! byte for byte.
//!
//! The walker assumes a syntactically valid document (the caller checks
//! with serde_json first) and reports each selected string token with the
//! dotted name of its field for the report.

use std::borrow::Cow;
use std::ops::Range;

/// Which string values of a record to redact.
///
/// # Example
///
/// ```
/// use hush::batch::FieldSet;
///
/// let all = FieldSet::all();
/// let some = FieldSet::parse(&["user.email", "/notes/0"])?;
/// let chat = FieldSet::preset("messages").expect("a known preset");
/// # let _ = (all, some, chat);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct FieldSet {
    specs: Vec<FieldSpec>,
}

#[derive(Clone, Debug)]
struct FieldSpec {
    kind: SpecKind,
    /// Also every string below the selected value.
    deep: bool,
}

#[derive(Clone, Debug)]
enum SpecKind {
    /// `a.b.c`: object keys; arrays on the way are transparent.
    Dotted(Vec<String>),
    /// `/a/0/b`: keys or array indices, exactly.
    Pointer(Vec<String>),
}

/// One step of the path to a value.
#[derive(Clone, Debug)]
enum Step<'d> {
    Key(Cow<'d, str>),
    Index(usize),
}

/// Fields of the Anthropic Messages request shape that hold text.
const MESSAGES: &[&str] = &[
    "system",
    "system.text",
    "messages.content",
    "messages.content.text",
    "messages.content.content",
    "messages.content.content.text",
];

impl FieldSet {
    /// Every string value of the record (object keys are not values).
    pub fn all() -> FieldSet {
        FieldSet::default()
    }

    /// Selects fields by dotted path (`user.email`; arrays on the way
    /// are transparent, so `messages.content` covers every message) or
    /// JSON pointer (`/messages/0/content`). A path that selects an
    /// object or an array selects every string below it.
    ///
    /// # Errors
    ///
    /// An empty path.
    pub fn parse<S: AsRef<str>>(paths: &[S]) -> Result<FieldSet, String> {
        let mut specs = Vec::new();
        for p in paths {
            let p = p.as_ref().trim();
            if p.is_empty() {
                return Err("empty field path".to_string());
            }
            let kind = if let Some(rest) = p.strip_prefix('/') {
                SpecKind::Pointer(
                    rest.split('/')
                        .map(|s| s.replace("~1", "/").replace("~0", "~"))
                        .collect(),
                )
            } else {
                SpecKind::Dotted(p.split('.').map(str::to_string).collect())
            };
            specs.push(FieldSpec { kind, deep: true });
        }
        Ok(FieldSet { specs })
    }

    /// A named set of fields: `messages` (the Anthropic Messages request:
    /// `system` and the text of every message, as a string or as text
    /// and tool-result blocks) or `batch` (the same under `params`, as in
    /// a Message Batches request line).
    pub fn preset(name: &str) -> Option<FieldSet> {
        let prefix = match name {
            "messages" => "",
            "batch" => "params.",
            _ => return None,
        };
        let specs = MESSAGES
            .iter()
            .map(|p| FieldSpec {
                kind: SpecKind::Dotted(
                    format!("{prefix}{p}")
                        .split('.')
                        .map(str::to_string)
                        .collect(),
                ),
                deep: false,
            })
            .collect();
        Some(FieldSet { specs })
    }

    /// Whether this set selects only some fields (`false`: all strings).
    pub fn is_selective(&self) -> bool {
        !self.specs.is_empty()
    }

    fn selects(&self, path: &[Step<'_>]) -> bool {
        if self.specs.is_empty() {
            return true;
        }
        self.specs.iter().any(|spec| match &spec.kind {
            SpecKind::Dotted(keys) => {
                let mut it = path.iter().filter_map(|s| match s {
                    Step::Key(k) => Some(&**k),
                    Step::Index(_) => None,
                });
                let mut n = 0;
                for want in keys {
                    match it.next() {
                        Some(k) if k == want => n += 1,
                        _ => return false,
                    }
                }
                n == keys.len() && (spec.deep || it.next().is_none())
            }
            SpecKind::Pointer(segs) => {
                if path.len() < segs.len()
                    || (!spec.deep && path.len() != segs.len())
                {
                    return false;
                }
                segs.iter().zip(path).all(|(seg, step)| match step {
                    Step::Key(k) => k == seg,
                    Step::Index(i) => seg.parse::<usize>().ok() == Some(*i),
                })
            }
        })
    }
}

/// A selected string token: its span (quotes included) and its field.
#[derive(Debug)]
pub(crate) struct StringToken {
    pub span: Range<usize>,
    pub field: String,
}

/// The selected string tokens of a valid JSON document, in order.
pub(crate) fn selected_strings(
    doc: &[u8],
    fields: &FieldSet,
) -> Vec<StringToken> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    let mut i = skip_ws(doc, 0);
    value(doc, &mut i, &mut path, fields, &mut out);
    out
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end (after the closing quote) of the string starting at `i`.
fn string_end(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        match memchr::memchr2(b'"', b'\\', &b[j..]) {
            Some(k) if b[j + k] == b'\\' => j += k + 2,
            Some(k) => return j + k + 1,
            None => return b.len(),
        }
    }
    b.len()
}

/// Decodes a JSON string token (quotes included); borrowed when it has
/// no escapes.
pub(crate) fn decode_string(token: &[u8]) -> Option<Cow<'_, str>> {
    let inner = &token[1..token.len() - 1];
    if memchr::memchr(b'\\', inner).is_none() {
        return std::str::from_utf8(inner).ok().map(Cow::Borrowed);
    }
    serde_json::from_slice::<String>(token).ok().map(Cow::Owned)
}

fn field_name(path: &[Step<'_>]) -> String {
    let mut s = String::new();
    for step in path {
        if let Step::Key(k) = step {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(k);
        }
    }
    if s.is_empty() {
        s.push('.');
    }
    s
}

fn value<'d>(
    b: &'d [u8],
    i: &mut usize,
    path: &mut Vec<Step<'d>>,
    fields: &FieldSet,
    out: &mut Vec<StringToken>,
) {
    if *i >= b.len() {
        return;
    }
    match b[*i] {
        b'"' => {
            let end = string_end(b, *i);
            if fields.selects(path) {
                out.push(StringToken {
                    span: *i..end,
                    field: field_name(path),
                });
            }
            *i = end;
        }
        b'{' => {
            *i = skip_ws(b, *i + 1);
            if b.get(*i) == Some(&b'}') {
                *i += 1;
                return;
            }
            while *i < b.len() {
                let key_end = string_end(b, *i);
                let key = decode_string(&b[*i..key_end]).unwrap_or_default();
                *i = skip_ws(b, key_end);
                *i = skip_ws(b, *i + 1); // the colon
                path.push(Step::Key(key));
                value(b, i, path, fields, out);
                path.pop();
                *i = skip_ws(b, *i);
                match b.get(*i) {
                    Some(b',') => *i = skip_ws(b, *i + 1),
                    _ => {
                        *i += 1; // the closing brace
                        return;
                    }
                }
            }
        }
        b'[' => {
            *i = skip_ws(b, *i + 1);
            if b.get(*i) == Some(&b']') {
                *i += 1;
                return;
            }
            let mut n = 0;
            while *i < b.len() {
                path.push(Step::Index(n));
                value(b, i, path, fields, out);
                path.pop();
                n += 1;
                *i = skip_ws(b, *i);
                match b.get(*i) {
                    Some(b',') => *i = skip_ws(b, *i + 1),
                    _ => {
                        *i += 1;
                        return;
                    }
                }
            }
        }
        _ => {
            // A number, true, false or null: up to the next delimiter.
            while *i < b.len()
                && !matches!(
                    b[*i],
                    b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                )
            {
                *i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picked(doc: &str, fields: &FieldSet) -> Vec<(String, String)> {
        selected_strings(doc.as_bytes(), fields)
            .into_iter()
            .map(|t| {
                (
                    decode_string(&doc.as_bytes()[t.span])
                        .unwrap()
                        .into_owned(),
                    t.field,
                )
            })
            .collect()
    }

    #[test]
    fn all_strings_but_not_keys() {
        let doc =
            r#"{"a": "x", "n": 1.50, "b": {"c": ["y", 2, "z\n"]}, "e": []}"#;
        let got = picked(doc, &FieldSet::all());
        assert_eq!(
            got,
            [
                ("x".into(), "a".into()),
                ("y".into(), "b.c".into()),
                ("z\n".into(), "b.c".into())
            ]
        );
    }

    #[test]
    fn dotted_pointer_and_presets() {
        let doc = r#"{"id": "r1", "messages": [{"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "text", "text": "yo"},
            {"type": "image", "source": {"data": "AAAA"}}]}], "system": "s"}"#;
        let f = FieldSet::parse(&["messages.content"]).unwrap();
        let got: Vec<String> =
            picked(doc, &f).into_iter().map(|p| p.0).collect();
        assert_eq!(got, ["hi", "text", "yo", "image", "AAAA"]);
        let f = FieldSet::preset("messages").unwrap();
        let got: Vec<String> =
            picked(doc, &f).into_iter().map(|p| p.0).collect();
        assert_eq!(got, ["hi", "yo", "s"]);
        let f =
            FieldSet::parse(&["/messages/1/content/0/text", "/id"]).unwrap();
        let got: Vec<String> =
            picked(doc, &f).into_iter().map(|p| p.0).collect();
        assert_eq!(got, ["r1", "yo"]);
        let batch = r#"{"custom_id": "a", "params": {"messages": [{"role": "user", "content": "q"}]}}"#;
        let got = picked(batch, &FieldSet::preset("batch").unwrap());
        assert_eq!(got, [("q".into(), "params.messages.content".into())]);
    }
}
