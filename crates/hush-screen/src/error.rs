//! Build errors. Screening itself cannot fail (any text is valid input),
//! so the only error is a rule set that does not build.

use core::fmt;

/// An error building a [`Screener`](crate::Screener) from rules: invalid
/// TOML, an invalid rule, a duplicate id or a pattern that does not
/// compile. It names the rule file and rule at fault and never quotes
/// screened text (there is none at build time).
///
/// # Example
///
/// ```
/// use hush_screen::Screener;
///
/// let toml = r#"
/// [[rule]]
/// id = "mine.bad"
/// category = "override"
/// patterns = ["("]
/// score = 0.9
/// "#;
/// let err = Screener::from_rules(&[toml]).unwrap_err();
/// assert_eq!(err.rule(), Some("mine.bad"));
/// assert!(err.to_string().contains("mine.bad"));
/// ```
#[derive(Clone, Debug)]
pub struct ScreenError {
    kind: ErrorKind,
}

#[derive(Clone, Debug)]
pub(crate) enum ErrorKind {
    Toml { origin: String, message: String },
    Rule { origin: String, rule: String, message: String },
    Duplicate { rule: String },
    Automaton { message: String },
}

impl ScreenError {
    pub(crate) fn new(kind: ErrorKind) -> ScreenError {
        ScreenError { kind }
    }

    /// The id of the rule at fault, if one rule is.
    ///
    /// # Example
    ///
    /// ```
    /// let err = hush_screen::Screener::from_rules(&["not toml ["]);
    /// assert_eq!(err.unwrap_err().rule(), None);
    /// ```
    pub fn rule(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Rule { rule, .. } | ErrorKind::Duplicate { rule } => {
                Some(rule)
            }
            _ => None,
        }
    }
}

impl fmt::Display for ScreenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Toml { origin, message } => {
                write!(f, "{origin}: invalid rule file: {message}")
            }
            ErrorKind::Rule { origin, rule, message } => {
                write!(f, "{origin}: rule {rule:?}: {message}")
            }
            ErrorKind::Duplicate { rule } => {
                write!(f, "rule id {rule:?} is defined more than once")
            }
            ErrorKind::Automaton { message } => {
                write!(f, "failed to build the screening automaton: {message}")
            }
        }
    }
}

impl std::error::Error for ScreenError {}
