//! What the log records: one [`CallRecord`] per proxied call, and the
//! log's own entries (signed checkpoints, purge anchors, purge records,
//! notes), all in one [`Entry`] enum tagged by `"type"`.
//!
//! Records hold only what crossed the boundary: pseudonyms, never the
//! original values, and key ids, never keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One proxied call, as it crossed the boundary (pseudonyms only).
///
/// # Example
///
/// ```
/// use hush_audit::CallRecord;
///
/// let rec = CallRecord {
///     request_id: "hush_01J9".into(),
///     method: "POST".into(),
///     endpoint: "/v1/messages".into(),
///     status: 200,
///     ..CallRecord::default()
/// };
/// let json = serde_json::to_string(&rec)?;
/// assert!(json.contains(r#""endpoint":"/v1/messages""#));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct CallRecord {
    /// The proxy's own id of the request, e.g. `hush_01J...`.
    pub request_id: String,
    /// Anthropic's `request-id` response header.
    pub upstream_request_id: Option<String>,
    /// The client key's id (never the key).
    pub key_id: Option<String>,
    /// `metadata.user_id` of the request, if any.
    pub user_id: Option<String>,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path, e.g. `/v1/messages`.
    pub endpoint: String,
    /// The model asked for.
    pub model: Option<String>,
    /// The sanitised request body as sent upstream (left out of the line
    /// when `None`).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub request: Option<Body>,
    /// The sanitised response as received (for SSE: a JSON string of the
    /// raw event text, maybe truncated).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub response: Option<Body>,
    /// Whether `response` was cut short.
    pub response_truncated: bool,
    /// Values pseudonymised in the request, per kind, e.g. `{"EMAIL": 2}`.
    pub entities: BTreeMap<String, u64>,
    /// Pseudonyms restored in the answer.
    pub restored: u64,
    /// Policy decisions: `media_allowed:2`, `blocked:injection`,
    /// `flagged:...`, `fallback:...`.
    pub decisions: Vec<String>,
    /// The upstream `usage` object.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub usage: Option<serde_json::Value>,
    /// Time spent in the proxy and upstream, milliseconds.
    pub latency_ms: f64,
    /// The HTTP status returned to the client.
    pub status: u16,
    /// Upstream retries.
    pub retries: u32,
    /// The error type if refused or failed (never raw text).
    pub error: Option<String>,
}

/// A JSON value that is present (even `null`) is `Some`; an absent one
/// is `None` (by `#[serde(default)]`), so both round-trip exactly.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A request or response body in a [`CallRecord`].
///
/// The proxy records bodies as the JSON text that crossed the boundary
/// ([`Body::from_json_bytes`]): the text is checked once and copied into
/// the line, never parsed into a tree and written out again, which is
/// most of what a record costs on the request path. Bodies read back
/// from a log are parsed values. Both write the same JSON; equality
/// compares the values.
///
/// # Example
///
/// ```
/// use hush_audit::Body;
///
/// let sent = Body::from_json_bytes(br#"{"model":"claude","max_tokens":5}"#);
/// assert_eq!(sent.as_json(), r#"{"model":"claude","max_tokens":5}"#);
/// assert_eq!(sent.value()["max_tokens"], 5);
///
/// // Not JSON: kept as a JSON string of the (lossy UTF-8) text.
/// let odd = Body::from_json_bytes(b"not json");
/// assert_eq!(odd.as_json(), r#""not json""#);
/// assert_eq!(odd, Body::from(serde_json::json!("not json")));
/// ```
#[derive(Clone)]
pub enum Body {
    /// JSON text, on one line (no raw line breaks).
    Text(Box<serde_json::value::RawValue>),
    /// JSON text a serialiser wrote, on one line, taken without a second
    /// parse ([`Body::from_serialized_json`]).
    Serialized(Box<str>),
    /// A parsed value.
    Value(serde_json::Value),
}

impl Body {
    /// The body of these bytes: their JSON text when they are JSON, else
    /// a JSON string of their text (invalid UTF-8 replaced). JSON with
    /// line breaks between tokens is re-written compactly, since a log
    /// line holds one record.
    pub fn from_json_bytes(bytes: &[u8]) -> Body {
        let raw = std::str::from_utf8(bytes).ok().and_then(|s| {
            if memchr::memchr2(b'\n', b'\r', s.as_bytes()).is_some() {
                return None;
            }
            serde_json::value::RawValue::from_string(s.to_owned()).ok()
        });
        match raw {
            Some(r) => Body::Text(r),
            None => Body::Value(serde_json::from_slice(bytes).unwrap_or_else(
                |_| {
                    serde_json::Value::String(
                        String::from_utf8_lossy(bytes).into_owned(),
                    )
                },
            )),
        }
    }

    /// The body of JSON text that a serialiser (`serde_json::to_vec`)
    /// wrote: the proxy's own re-encoding of the request it sends
    /// upstream. Only UTF-8 and the absence of line breaks are checked;
    /// the JSON itself is not parsed again, which saves a full pass over
    /// every request on the proxy's path. Bytes that fail those checks
    /// are taken as [`Body::from_json_bytes`] takes them.
    ///
    /// The caller vouches that the text is one JSON value: text that is
    /// not would make the record's line unreadable as JSON (the hash
    /// chain still covers it byte for byte).
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::Body;
    ///
    /// let v = serde_json::json!({"model": "claude", "max_tokens": 5});
    /// let body = Body::from_serialized_json(&serde_json::to_vec(&v)?);
    /// assert_eq!(body.as_json(), r#"{"model":"claude","max_tokens":5}"#);
    /// assert_eq!(body, Body::from(v));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn from_serialized_json(bytes: &[u8]) -> Body {
        debug_assert!(
            serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok(),
            "from_serialized_json was given text that is not JSON"
        );
        match std::str::from_utf8(bytes) {
            Ok(s)
                if !s.is_empty()
                    && memchr::memchr2(b'\n', b'\r', bytes).is_none() =>
            {
                Body::Serialized(s.into())
            }
            _ => Body::from_json_bytes(bytes),
        }
    }

    /// The body as a JSON value (parsed, for a text body).
    pub fn value(&self) -> std::borrow::Cow<'_, serde_json::Value> {
        match self {
            Body::Value(v) => std::borrow::Cow::Borrowed(v),
            _ => std::borrow::Cow::Owned(
                self.text()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or_default(),
            ),
        }
    }

    /// The JSON text of a body kept as text (not for a parsed value).
    fn text(&self) -> Option<&str> {
        match self {
            Body::Text(t) => Some(t.get()),
            Body::Serialized(t) => Some(t),
            Body::Value(_) => None,
        }
    }

    /// The body's JSON text.
    pub fn as_json(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Body::Value(v) => std::borrow::Cow::Owned(v.to_string()),
            _ => std::borrow::Cow::Borrowed(self.text().unwrap_or_default()),
        }
    }
}

impl From<serde_json::Value> for Body {
    fn from(v: serde_json::Value) -> Body {
        Body::Value(v)
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        match (self, other) {
            _ if self.text().is_some() && self.text() == other.text() => true,
            _ => self.value() == other.value(),
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies hold pseudonyms only (see the module docs).
        f.write_str(&self.as_json())
    }
}

impl Serialize for Body {
    fn serialize<S: serde::Serializer>(
        &self,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match self {
            Body::Text(t) => t.serialize(s),
            // Off the proxy's path (the log writer splices this text in
            // as it is): checked here, and a string if it is not JSON.
            Body::Serialized(t) => {
                match serde_json::value::RawValue::from_string(t.to_string()) {
                    Ok(raw) => raw.serialize(s),
                    Err(_) => t.serialize(s),
                }
            }
            Body::Value(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Body {
    /// Always a [`Body::Value`]: records are read through the `"type"`
    /// tag of [`Entry`], which buffers the line and cannot hand out the
    /// raw text.
    fn deserialize<D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Body, D::Error> {
        serde_json::Value::deserialize(d).map(Body::Value)
    }
}

/// A signed statement that the chain up to this line is as written: the
/// writer appends one every N records and every T seconds, before each
/// rotation and on close.
///
/// The signature covers the checkpoint's own `seq`, `ts` and `prev` (the
/// hash of the line before it, which commits to every line before it);
/// see [`checkpoint_message`](crate::checkpoint_message).
///
/// # Example
///
/// ```
/// use hush_audit::Checkpoint;
///
/// let cp = Checkpoint { key_id: "ab12".into(), sig: "00".repeat(64), records: 10 };
/// assert_eq!(cp.records, 10);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    /// The first 16 hex characters of the signing public key.
    pub key_id: String,
    /// The Ed25519 signature, 128 hex characters.
    pub sig: String,
    /// Lines written since the previous checkpoint (or since open).
    pub records: u64,
}

/// The first line of a purged log: it stands in for the removed lines.
///
/// An anchor takes the `seq` of the last removed line and carries that
/// line's `prev` and `hash` in its envelope, so the first kept line
/// chains onto it unchanged. Its hash is therefore not recomputed from
/// its bytes: the signature vouches for it instead (see
/// [`anchor_message`](crate::anchor_message)), and `verify` accepts an
/// anchor only as the first line of the log.
///
/// # Example
///
/// ```
/// use hush_audit::Anchor;
///
/// let a = Anchor {
///     removed_from: 0,
///     removed_count: 7,
///     key_id: "ab12".into(),
///     sig: "00".repeat(64),
/// };
/// assert_eq!(a.removed_count, 7);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Anchor {
    /// The first removed seq (since the log began, across purges).
    pub removed_from: u64,
    /// Lines removed (across purges), ending at the anchor's own seq.
    pub removed_count: u64,
    /// The first 16 hex characters of the signing public key.
    pub key_id: String,
    /// The Ed25519 signature, 128 hex characters.
    pub sig: String,
}

/// The record of a purge, appended at the end of the log.
///
/// # Example
///
/// ```
/// use hush_audit::PurgeRecord;
///
/// let p = PurgeRecord {
///     cutoff: "2025-11-01T00:00:00.000Z".into(),
///     removed_from: 0,
///     removed_to: Some(41),
///     removed_count: 42,
///     files_removed: 1,
///     files_rewritten: 1,
/// };
/// assert_eq!(p.removed_count, 42);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PurgeRecord {
    /// Lines timestamped before this were removed.
    pub cutoff: String,
    /// The first seq removed by this purge.
    pub removed_from: u64,
    /// The last seq removed by this purge, if any.
    pub removed_to: Option<u64>,
    /// Lines removed by this purge.
    pub removed_count: u64,
    /// Whole files deleted.
    pub files_removed: u64,
    /// Files rewritten to start at the anchor.
    pub files_rewritten: u64,
}

/// One line of the log, without its envelope (`seq`, `ts`, `prev`,
/// `hash`). Serialised with a `"type"` tag: `call`, `checkpoint`,
/// `anchor`, `purge`, `note`.
///
/// # Example
///
/// ```
/// use hush_audit::Entry;
///
/// let e = Entry::Note { note: "log opened".into() };
/// assert_eq!(serde_json::to_string(&e)?, r#"{"type":"note","note":"log opened"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
// An entry lives only while it is serialised or read back; boxing the
// call record would cost an allocation per record for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// A proxied call.
    Call(CallRecord),
    /// A signed checkpoint.
    Checkpoint(Checkpoint),
    /// The signed start of a purged log.
    Anchor(Anchor),
    /// A purge happened.
    Purge(PurgeRecord),
    /// Something the writer wants on record (opened, torn tail repaired).
    Note {
        /// Fixed text; never record content.
        note: String,
    },
}

impl Entry {
    /// The `"type"` tag of this entry.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::{CallRecord, Entry};
    ///
    /// assert_eq!(Entry::Call(CallRecord::default()).kind(), "call");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Call(_) => "call",
            Entry::Checkpoint(_) => "checkpoint",
            Entry::Anchor(_) => "anchor",
            Entry::Purge(_) => "purge",
            Entry::Note { .. } => "note",
        }
    }
}
