//! Rule self-checks: every rule compiles alone and with all the others,
//! and finds (or does not find) what its own examples say.
//!
//! Run by the test suite and by `cargo xtask rules-check`, and available
//! to users who write their own rule files.

use core::fmt;

use crate::error::BuildError;
use crate::scanner::Builder;

/// One failed rule check.
///
/// Example texts come from rule files, never from scanned input, so the
/// message may quote them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCheckFailure {
    /// The rule at fault.
    pub rule: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RuleCheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}: {}", self.rule, self.message)
    }
}

/// Checks every rule the builder would include: each compiles alone, the
/// set compiles together, each example yields a finding from the rule
/// alone and a finding of the rule's kind from the whole set, and each
/// negative example yields nothing from the rule, alone or in the set.
///
/// # Errors
///
/// When the whole set fails to build (the failures list cannot be made).
///
/// # Example
///
/// ```
/// use hush_detect::{check_rules, Scanner};
///
/// let failures = check_rules(&Scanner::builder())?;
/// assert!(failures.is_empty(), "{failures:?}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_rules(
    builder: &Builder,
) -> Result<Vec<RuleCheckFailure>, BuildError> {
    let all = builder.clone().build()?;
    let mut failures = Vec::new();
    for det in all.detectors() {
        let fail = |message: String| RuleCheckFailure {
            rule: det.id().to_string(),
            message,
        };
        if det.examples().is_empty() {
            failures.push(fail("has no examples".to_string()));
        }
        let alone = match builder.clone().only_rules(&[det.id()]).build() {
            Ok(s) => s,
            Err(e) => {
                failures.push(fail(format!("does not compile alone: {e}")));
                continue;
            }
        };
        for (i, ex) in det.examples().iter().enumerate() {
            if alone.scan_str(ex).is_empty() {
                failures.push(fail(format!(
                    "example {i} not found by the rule alone: {ex:?}"
                )));
            }
            if !all.scan_str(ex).iter().any(|f| f.kind == det.kind()) {
                failures.push(fail(format!(
                    "example {i} has no {} finding in the full set: {ex:?}",
                    det.kind()
                )));
            }
        }
        for (i, ex) in det.negative_examples().iter().enumerate() {
            if !alone.scan_str(ex).is_empty() {
                failures.push(fail(format!(
                    "negative example {i} matched by the rule alone: {ex:?}"
                )));
            }
            let own = all
                .scan_str(ex)
                .iter()
                .any(|f| all.detector(f.detector).id() == det.id());
            if own {
                failures.push(fail(format!(
                    "negative example {i} matched in the full set: {ex:?}"
                )));
            }
        }
    }
    Ok(failures)
}
