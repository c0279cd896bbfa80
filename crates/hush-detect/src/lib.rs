//! hush-detect finds personal data and secrets in text, in one pass, at
//! memory-bandwidth speed, with validators and context for precision.
//!
//! It is the pure core of hush: it does no I/O, holds no state between
//! calls, and accepts any bytes (invalid UTF-8 and binary included)
//! without panicking.
//!
//! # Overview
//!
//! A [`Scanner`] is built once from a rule set (the built-in rules under
//! `rules/`, plus any TOML rule files of your own) and shared between
//! threads. [`Scanner::scan`] returns [`Finding`]s: kind, byte span,
//! score and the detector that found it.
//!
//! # Example
//!
//! ```
//! use hush_detect::{mask, Kind, Scanner};
//!
//! let scanner = Scanner::new()?;
//! let text = "Refund to DE89 3704 0044 0532 0130 00, receipt to a.b@web.de";
//! let found = scanner.scan_str(text);
//! assert_eq!(found[0].kind, Kind::Iban);
//! assert_eq!(found[1].kind, Kind::Email);
//! let shown = mask(found[1].kind, &text.as_bytes()[found[1].range()]);
//! assert_eq!(shown, "a***@w***.de");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//!
//! Stage 1 finds anchors (literal prefixes with aho-corasick, digits and a
//! few single bytes with a block test that compiles to SIMD). Stage 2
//! confirms each anchor with anchored regex-automata searches over a
//! bounded window, then validates (Luhn, mod-97, checksums), scores with
//! context words, and resolves overlaps deterministically. Every rule has
//! a bounded maximum match length, [`Scanner::max_match_len`], which the
//! streaming layer relies on. See `docs/DESIGN.md` and `docs/RULES.md`.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_debug_implementations)]
#![deny(unsafe_code)]

mod check;
mod dict;
mod error;
mod kind;
mod mask;
mod names;
mod recognizer;
mod rule;
mod scanner;
mod spans;
#[allow(unsafe_code)]
mod trigger;
mod validate;

pub use crate::check::{check_rules, RuleCheckFailure};
pub use crate::dict::{
    DictBuilder, DictError, DictMatch, Dictionary, Gazetteer, GazetteerEntry,
    GazetteerMatch, Location, LocationKind,
};
pub use crate::error::BuildError;
pub use crate::kind::{Kind, UnknownKind};
pub use crate::mask::mask;
pub use crate::names::lexicon_load_time;
pub use crate::recognizer::{Recognized, Recognizer};
pub use crate::rule::{MAX_RULE_BEFORE, MAX_RULE_LEN};
pub use crate::scanner::{
    Builder, Detector, DetectorId, Finding, Scanner, DEFAULT_RULE_FILES,
};

#[cfg(test)]
mod testoibits {
    use super::*;
    use std::panic::{RefUnwindSafe, UnwindSafe};

    fn assert_all<T: Send + Sync + UnwindSafe + RefUnwindSafe>() {}

    #[test]
    fn public_types_are_thread_safe() {
        assert_all::<Scanner>();
        assert_all::<Builder>();
        assert_all::<Finding>();
        assert_all::<Detector>();
        assert_all::<BuildError>();
        assert_all::<Kind>();
    }
}
