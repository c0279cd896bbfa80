//! Counts of what a redaction or restoration did, for `--report` files and
//! audit logs. A report holds numbers and kind names only, never a value,
//! so it can be stored and shipped anywhere.

use std::collections::BTreeMap;

use serde::Serialize;

use hush_detect::Kind;

/// What a redaction (or restoration) did: bytes in and out, and how many
/// values of each kind were replaced.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use hush::{Redactor, Scanner, Vault, Key, Policy};
///
/// let r = Redactor::new(
///     Arc::new(Scanner::new()?),
///     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
/// );
/// let out = r.redact("a@b.io and c@d.io from 10.0.0.1")?;
/// let report = out.report();
/// assert_eq!(report.kinds["EMAIL"], 2);
/// assert_eq!(report.kinds["IP_ADDRESS"], 1);
/// assert_eq!(report.findings, 3);
/// let json = serde_json::to_string(report)?;
/// assert!(!json.contains("a@b.io"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// Values replaced (redaction) or restored (restoration).
    pub findings: u64,
    /// Pseudonym-shaped strings the scope did not issue, left as they
    /// were (restoration only).
    pub unresolved: u64,
    /// Values replaced, by kind name.
    pub kinds: BTreeMap<&'static str, u64>,
}

impl Report {
    pub(crate) fn count(&mut self, kind: Kind) {
        self.findings += 1;
        *self.kinds.entry(kind.as_str()).or_insert(0) += 1;
    }

    /// Adds another report's counts to this one.
    ///
    /// # Example
    ///
    /// ```
    /// let mut a = hush::Report::default();
    /// let b = hush::Report { bytes_in: 10, findings: 1, ..Default::default() };
    /// a.merge(&b);
    /// a.merge(&b);
    /// assert_eq!((a.bytes_in, a.findings), (20, 2));
    /// ```
    pub fn merge(&mut self, other: &Report) {
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.findings += other.findings;
        self.unresolved += other.unresolved;
        for (k, n) in &other.kinds {
            *self.kinds.entry(k).or_insert(0) += n;
        }
    }
}
