//! Record mode (`--input jsonl`): pull one text field and the `id` out of
//! each JSON line, for datasets and evaluation.
//!
//! Records are parsed with a serde visitor that keeps only the wanted
//! field (borrowed from the line when it has no escapes) and the `id`,
//! and skips everything else without allocating. Errors never quote the
//! record: a malformed line may hold exactly the data we must not leak,
//! so messages say what is wrong and where, nothing more.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};
use serde_json::Value;

/// The wanted parts of one record.
#[derive(Debug)]
pub struct Record<'a> {
    /// The record's `id`, or `null`.
    pub id: Value,
    /// The text of the field to scan.
    pub text: Cow<'a, str>,
}

/// Why a line is not a usable record. Its `Display` never quotes the
/// line.
#[derive(Debug)]
pub enum RecordError {
    /// Not valid JSON; the message is serde_json's syntax message and
    /// position.
    Json(String),
    /// Valid JSON, but not an object.
    NotObject,
    /// The field (path) is absent.
    Missing(String),
    /// The field is present but not a string.
    NotString(String),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Json(msg) => write!(f, "invalid JSON: {msg}"),
            RecordError::NotObject => {
                f.write_str("record is not a JSON object")
            }
            RecordError::Missing(field) => {
                write!(f, "field {field:?} is missing")
            }
            RecordError::NotString(field) => {
                write!(f, "field {field:?} is not a string")
            }
        }
    }
}

/// A parsed `--field` argument: `a.b` is the key `b` of the object at
/// key `a`.
#[derive(Clone, Debug)]
pub struct FieldPath {
    name: String,
    parts: Vec<String>,
}

impl FieldPath {
    /// Splits `name` on dots.
    pub fn new(name: &str) -> FieldPath {
        FieldPath {
            name: name.to_string(),
            parts: name.split('.').map(str::to_string).collect(),
        }
    }

    /// Extracts the field and the `id` from one JSON line.
    ///
    /// # Errors
    ///
    /// See [`RecordError`].
    pub fn parse<'a>(
        &self,
        line: &'a [u8],
    ) -> Result<Record<'a>, RecordError> {
        let mut de = serde_json::Deserializer::from_slice(line);
        let level = Level { path: &self.parts, top: true };
        let out = level.deserialize(&mut de).map_err(json_error)?;
        de.end().map_err(json_error)?;
        match out.field {
            Field::Str(text) => {
                Ok(Record { id: out.id.unwrap_or(Value::Null), text })
            }
            Field::NotObject => Err(RecordError::NotObject),
            Field::Missing => Err(RecordError::Missing(self.name.clone())),
            Field::NotString => Err(RecordError::NotString(self.name.clone())),
        }
    }
}

fn json_error(e: serde_json::Error) -> RecordError {
    use serde_json::error::Category;
    match e.classify() {
        // Syntax messages are fixed strings plus a position.
        Category::Syntax | Category::Eof => RecordError::Json(e.to_string()),
        // Data errors may quote values; the visitors below never produce
        // them, but do not risk it.
        Category::Data | Category::Io => RecordError::Json(format!(
            "malformed record at column {}",
            e.column()
        )),
    }
}

enum Field<'de> {
    Str(Cow<'de, str>),
    Missing,
    NotString,
    /// The value at this level is not an object.
    NotObject,
}

struct Outcome<'de> {
    field: Field<'de>,
    id: Option<Value>,
}

/// Consumes any JSON value, turning it into `v` unless it is an object
/// (objects go to `visit_map`) or a string (`visit_str`).
macro_rules! other_values {
    ($v:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_seq<A: SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($v)
        }
    };
}

/// One level of the field path; at the top it also captures `id`.
struct Level<'p> {
    path: &'p [String],
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Level<'_> {
    type Value = Outcome<'de>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Level<'_> {
    type Value = Outcome<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    other_values!(Outcome { field: Field::NotObject, id: None });

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Outcome { field: Field::NotObject, id: None })
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<Self::Value, A::Error> {
        let mut out = Outcome { field: Field::Missing, id: None };
        let (first, rest) = match self.path.split_first() {
            Some(split) => split,
            None => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(out);
            }
        };
        let keys = KeySeed { field: first, id: self.top };
        while let Some(key) = map.next_key_seed(keys)? {
            match key {
                Key::Field if rest.is_empty() => {
                    out.field = map.next_value_seed(StrSeed)?;
                }
                Key::Field => {
                    let inner = Level { path: rest, top: false };
                    out.field = match map.next_value_seed(inner)?.field {
                        Field::NotObject => Field::Missing,
                        other => other,
                    };
                }
                Key::Id => out.id = Some(map.next_value()?),
                Key::Both => {
                    // The field is `id` itself (or `id.x`).
                    let v: Value = map.next_value()?;
                    out.field = lookup(&v, rest);
                    out.id = Some(v);
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

fn lookup<'de>(v: &Value, rest: &[String]) -> Field<'de> {
    let mut v = v;
    for part in rest {
        match v.get(part) {
            Some(inner) => v = inner,
            None => return Field::Missing,
        }
    }
    match v {
        Value::String(s) => Field::Str(Cow::Owned(s.clone())),
        _ => Field::NotString,
    }
}

#[derive(Clone, Copy)]
enum Key {
    Field,
    Id,
    Both,
    Other,
}

/// Classifies an object key without allocating.
#[derive(Clone, Copy)]
struct KeySeed<'p> {
    field: &'p str,
    id: bool,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, k: &str) -> Result<Key, E> {
        let is_id = self.id && k == "id";
        Ok(match (k == self.field, is_id) {
            (true, true) => Key::Both,
            (true, false) => Key::Field,
            (false, true) => Key::Id,
            (false, false) => Key::Other,
        })
    }
}

/// The field's value: a string (borrowed when possible) or not.
struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Field<'de>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrSeed {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    other_values!(Field::NotString);

    fn visit_borrowed_str<E: de::Error>(
        self,
        s: &'de str,
    ) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(s.to_string())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(s)))
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::NotString)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(field: &str, line: &str) -> Result<(Value, String), String> {
        FieldPath::new(field)
            .parse(line.as_bytes())
            .map(|r| (r.id, r.text.into_owned()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn extracts_field_and_id() {
        let got = parse("text", r#"{"x":[1,{"a":2}],"id":7,"text":"hi"}"#);
        assert_eq!(got, Ok((Value::from(7), "hi".to_string())));
        let got = parse("text", r#"{"text":"a\nb"}"#);
        assert_eq!(got, Ok((Value::Null, "a\nb".to_string())));
        let got = parse("m.body", r#"{"id":"r1","m":{"body":"yo","n":1}}"#);
        assert_eq!(got, Ok((Value::from("r1"), "yo".to_string())));
        let got = parse("id", r#"{"id":"abc"}"#);
        assert_eq!(got, Ok((Value::from("abc"), "abc".to_string())));
    }

    #[test]
    fn borrows_when_unescaped() {
        let line = br#"{"text":"plain"}"#;
        let r = FieldPath::new("text").parse(line).unwrap();
        assert!(matches!(r.text, Cow::Borrowed("plain")));
    }

    #[test]
    fn errors_never_quote_the_line() {
        let secret = "4539 1488 0343 6467";
        for (field, line) in [
            ("text", format!(r#"{{"text": 45391488, "x": "{secret}"}}"#)),
            ("text", format!(r#"{{"other": "{secret}"}}"#)),
            ("text", format!(r#"["{secret}"]"#)),
            ("text", format!(r#"{{"text": "{secret}" "#)),
            ("text", format!(r#"{{"text": "{secret}"}} trailing"#)),
            ("a.b", format!(r#"{{"a": "{secret}"}}"#)),
            ("text", format!(r#"{{"text": {{"x": "{secret}"}}}}"#)),
            ("text", format!(r#"{{"text": true, "{secret}": 1}}"#)),
        ] {
            let err = parse(field, &line).unwrap_err();
            assert!(!err.contains("4539"), "{err}");
            assert!(!err.contains("45391488"), "{err}");
        }
        assert_eq!(
            parse("text", r#"{"text": 5}"#).unwrap_err(),
            r#"field "text" is not a string"#
        );
        assert_eq!(
            parse("a.b", r#"{"a": 5}"#).unwrap_err(),
            r#"field "a.b" is missing"#
        );
        assert_eq!(
            parse("t", "[1]").unwrap_err(),
            "record is not a JSON object"
        );
    }
}
