//! The extension point for detectors the rule engine cannot express: a
//! model-based recogniser (an NER model, a classifier), a lookup in a
//! customer database. The default build has none; a [`Recognizer`] added
//! with [`Builder::recognizer`](crate::Builder::recognizer) runs beside the
//! rules, the name detectors and the dictionary, and its findings go
//! through the same overlap resolution, allow-list and streaming
//! hold-back as theirs.
//!
//! What the scanner asks of a recogniser, and checks:
//!
//! - it reports spans of at most [`Recognizer::max_len`] bytes (the
//!   streaming layer holds back that much at a chunk's end so that a
//!   span across chunks is seen whole); longer spans, empty or reversed
//!   ones, spans past the end of the input and kinds it did not declare
//!   are dropped;
//! - it reports only spans that start at or after `from` (text before it
//!   is context, already settled by a streaming caller);
//! - it is deterministic: the same bytes give the same spans, whatever
//!   the chunking (the streaming tests of hush rely on it for the
//!   built-in detectors; a recogniser that depends on context further
//!   back than [`Recognizer::context`] breaks that promise).

use crate::Kind;

/// A detector of your own that the [`Scanner`](crate::Scanner) runs beside
/// its rules. See the [module docs](self) for the contract.
///
/// Each kind it declares becomes one detector of the scanner, with the
/// id `<id>.<kind in lower case>` (e.g. `model.person`), so findings,
/// `--kinds` filters and reports name it like any rule.
///
/// # Example
///
/// A toy recogniser that reports words in all capitals of three or more
/// letters as ORGANIZATION (a model would go here):
///
/// ```
/// use hush_detect::{Kind, Recognized, Recognizer, Scanner};
///
/// struct Caps;
///
/// impl Recognizer for Caps {
///     fn id(&self) -> &str { "caps" }
///     fn kinds(&self) -> &[Kind] { &[Kind::Organization] }
///     fn max_len(&self) -> usize { 32 }
///     fn find(&self, hay: &[u8], from: usize, out: &mut Vec<Recognized>) {
///         let mut i = from;
///         while i < hay.len() {
///             let start = i;
///             while i < hay.len() && hay[i].is_ascii_uppercase() { i += 1; }
///             if i - start >= 3 && i - start <= 32 {
///                 out.push(Recognized { start, end: i, kind: Kind::Organization, score: 0.7 });
///             }
///             i += 1;
///         }
///     }
/// }
///
/// let scanner = Scanner::builder().default_rules(false).recognizer(Caps).build()?;
/// let found = scanner.scan_str("ask ACME about it");
/// assert_eq!(found.len(), 1);
/// assert_eq!((found[0].start, found[0].end), (4, 8));
/// assert_eq!(scanner.detector(found[0].detector).id(), "caps.organization");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Recognizer: Send + Sync + std::panic::RefUnwindSafe {
    /// The recogniser's name: the first part of its detectors' ids.
    fn id(&self) -> &str;

    /// The kinds it reports.
    fn kinds(&self) -> &[Kind];

    /// The longest span it reports, in bytes (at most
    /// [`MAX_RULE_LEN`](crate::MAX_RULE_LEN)).
    fn max_len(&self) -> usize;

    /// Bytes of text before a span it needs to decide (default 0). A
    /// streaming caller keeps at least this much before the settled
    /// point.
    fn context(&self) -> usize {
        0
    }

    /// Appends to `out` what it finds in `hay` that starts at or after
    /// `from`. Spans are byte offsets into `hay`.
    fn find(&self, hay: &[u8], from: usize, out: &mut Vec<Recognized>);
}

/// One span a [`Recognizer`] found.
///
/// # Example
///
/// ```
/// use hush_detect::{Kind, Recognized};
///
/// let r = Recognized { start: 4, end: 8, kind: Kind::Person, score: 0.9 };
/// assert_eq!(r.end - r.start, 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recognized {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// One of the kinds the recogniser declared.
    pub kind: Kind,
    /// Confidence in 0..=1 (clamped).
    pub score: f32,
}
