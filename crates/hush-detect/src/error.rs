//! Build errors. Scanning cannot fail, so there is no search error type:
//! any bytes are a valid haystack.

use core::fmt;

/// An error building a [`Scanner`](crate::Scanner) from rules.
///
/// Errors name the rule file and rule id at fault and never quote
/// haystack text (there is none at build time).
///
/// # Example
///
/// ```
/// use hush_detect::Scanner;
///
/// let toml = r#"
/// [[rule]]
/// id = "bad"
/// kind = "EMAIL"
/// pattern = "("
/// anchors = ["@"]
/// max_len = 10
/// "#;
/// let err = Scanner::builder().rules_toml("mine.toml", toml).build();
/// let err = err.unwrap_err();
/// assert_eq!(err.rule(), Some("bad"));
/// ```
#[derive(Clone, Debug)]
pub struct BuildError {
    kind: BuildErrorKind,
}

#[derive(Clone, Debug)]
pub(crate) enum BuildErrorKind {
    Toml { origin: String, message: String },
    Rule { origin: String, rule: String, message: String },
    DuplicateId { rule: String },
    Automaton { message: String },
}

impl BuildError {
    pub(crate) fn new(kind: BuildErrorKind) -> BuildError {
        BuildError { kind }
    }

    /// The id of the rule at fault, if one rule is.
    pub fn rule(&self) -> Option<&str> {
        match &self.kind {
            BuildErrorKind::Rule { rule, .. }
            | BuildErrorKind::DuplicateId { rule } => Some(rule),
            _ => None,
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BuildErrorKind::Toml { origin, message } => {
                write!(f, "{origin}: invalid rule file: {message}")
            }
            BuildErrorKind::Rule { origin, rule, message } => {
                write!(f, "{origin}: rule {rule:?}: {message}")
            }
            BuildErrorKind::DuplicateId { rule } => {
                write!(f, "rule id {rule:?} is defined more than once")
            }
            BuildErrorKind::Automaton { message } => {
                write!(f, "failed to build the anchor automaton: {message}")
            }
        }
    }
}

impl std::error::Error for BuildError {}
