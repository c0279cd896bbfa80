//! The redactor: a scanner, a vault and a scope, and the whole-buffer
//! operations. The streaming types in `stream` reuse [`splice`] so that a
//! stream and a whole buffer replace findings in exactly the same way.

use std::sync::Arc;

use hush_detect::{Finding, Kind, Scanner};
use hush_vault::{Restored, Scope, Vault};

use crate::error::Error;
use crate::report::Report;
use crate::stream::{RedactStream, RestoreStream};

/// How many new bytes a redaction stream collects before it scans, by
/// default. Scanning re-reads some context before the settled point, so
/// scanning on every 20-byte delta would cost more than the delta.
pub(crate) const DEFAULT_SCAN_BATCH: usize = 1024;

/// Redacts and restores text for one vault scope.
///
/// Cheap to clone (the scanner and the vault are shared) and `Send +
/// Sync`: build one per conversation or tenant and use it from any
/// thread.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use hush::{Kind, Redactor, Scanner, Vault, Key, Policy};
///
/// let r = Redactor::new(
///     Arc::new(Scanner::new()?),
///     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
/// )
/// .with_scope("support")
/// .with_kinds(&[Kind::Email]);
/// let out = r.redact("mail a@b.io from 10.0.0.1")?;
/// assert!(out.text().starts_with("mail [[EMAIL-"));
/// assert!(out.text().ends_with("from 10.0.0.1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Redactor {
    scanner: Arc<Scanner>,
    vault: Arc<Vault>,
    scope: String,
    kinds: Option<Vec<Kind>>,
    min_score: f32,
    scan_batch: usize,
}

/// The result of [`Redactor::redact`]: the redacted text and a report.
///
/// # Example
///
/// ```
/// # use std::sync::Arc;
/// # use hush::{Redactor, Scanner, Vault, Key, Policy};
/// # let r = Redactor::new(
/// #     Arc::new(Scanner::new()?),
/// #     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
/// # );
/// let out = r.redact("no personal data")?;
/// assert_eq!(out.text(), "no personal data");
/// assert_eq!(out.report().findings, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Redacted {
    text: String,
    report: Report,
}

impl Redacted {
    /// The redacted text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The redacted text, owned.
    pub fn into_text(self) -> String {
        self.text
    }

    /// What was replaced, by kind.
    pub fn report(&self) -> &Report {
        &self.report
    }
}

impl Redactor {
    /// A redactor over `scanner` and `vault`, in the scope `default`,
    /// replacing every finding.
    pub fn new(scanner: Arc<Scanner>, vault: Arc<Vault>) -> Redactor {
        Redactor {
            scanner,
            vault,
            scope: "default".to_string(),
            kinds: None,
            min_score: 0.0,
            scan_batch: DEFAULT_SCAN_BATCH,
        }
    }

    /// The same scanner, kinds and score threshold with another vault (a
    /// vault with another policy, say, to mask values irreversibly).
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use hush::{Kind, Key, Operator, Policy, Redactor, Scanner, Vault};
    ///
    /// let r = Redactor::new(
    ///     Arc::new(Scanner::new()?),
    ///     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
    /// );
    /// let policy = Policy::default().with_operator(Kind::Email, Operator::Redact)?;
    /// let m = r.clone().with_vault(Arc::new(Vault::in_memory(Key::generate()?, policy)?));
    /// assert_eq!(m.redact("to a@b.io")?.text(), "to ");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_vault(mut self, vault: Arc<Vault>) -> Redactor {
        self.vault = vault;
        self
    }

    /// Works in the vault scope `name` (a conversation, a tenant): the same
    /// value gets the same pseudonym within a scope, and pseudonyms of
    /// two scopes cannot be linked.
    pub fn with_scope(mut self, name: &str) -> Redactor {
        self.scope = name.to_string();
        self
    }

    /// Replaces only findings of these kinds (others pass through). The
    /// scanner still runs every rule, so a finding of another kind keeps
    /// winning its overlaps exactly as in `hush scan`.
    pub fn with_kinds(mut self, kinds: &[Kind]) -> Redactor {
        self.kinds = Some(kinds.to_vec());
        self
    }

    /// Replaces only findings scored at least `min_score`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hush::{Redactor, Scanner, Vault, Key, Policy};
    /// # let r = Redactor::new(
    /// #     Arc::new(Scanner::new()?),
    /// #     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
    /// # );
    /// let strict = r.with_min_score(1.1);
    /// assert_eq!(strict.redact("a@b.io")?.text(), "a@b.io");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_min_score(mut self, min_score: f32) -> Redactor {
        self.min_score = min_score;
        self
    }

    /// How many new bytes a redaction stream collects before it scans
    /// (default 1 KiB). Larger batches cost less per tiny chunk; 0 scans
    /// on every push, so output follows input as closely as the rules
    /// allow; chunks larger than the batch are scanned as they come. For
    /// throughput with large chunks use about 1 MiB: scans over large
    /// windows run at whole-buffer speed (see `docs/STREAMING.md`). A
    /// stream holds back at most [`Redactor::max_redact_hold`] bytes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hush::{Redactor, Scanner, Vault, Key, Policy};
    /// # let r = Redactor::new(
    /// #     Arc::new(Scanner::new()?),
    /// #     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
    /// # );
    /// let eager = r.with_scan_batch(0);
    /// let mut s = eager.redact_stream();
    /// let mut out = Vec::new();
    /// s.push("hello there, how are you? ".repeat(10).as_bytes(), &mut out)?;
    /// assert!(!out.is_empty());
    /// assert!(s.held() < 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_scan_batch(mut self, bytes: usize) -> Redactor {
        self.scan_batch = bytes;
        self
    }

    /// The scope name.
    pub fn scope_name(&self) -> &str {
        &self.scope
    }

    /// The scanner.
    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }

    /// The vault.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub(crate) fn scope(&self) -> Scope<'_> {
        self.vault.scope(&self.scope)
    }

    pub(crate) fn scan_batch(&self) -> usize {
        self.scan_batch
    }

    /// The most bytes a redaction stream holds back after any push: what
    /// the scanner may leave unsettled plus the scan batch (plus up to
    /// three bytes to end output on a character boundary).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hush::{Redactor, Scanner, Vault, Key, Policy};
    /// # let r = Redactor::new(
    /// #     Arc::new(Scanner::new()?),
    /// #     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
    /// # );
    /// assert!(r.max_redact_hold() > r.scanner().max_match_len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_redact_hold(&self) -> usize {
        self.scanner.max_settle_hold() + self.scan_batch + 3
    }

    /// Whether a finding is replaced under this redactor's filters.
    pub(crate) fn wants(&self, f: &Finding) -> bool {
        f.score >= self.min_score
            && self.kinds.as_ref().is_none_or(|k| k.contains(&f.kind))
    }

    /// Redacts a whole text.
    ///
    /// # Errors
    ///
    /// When the vault cannot store a new mapping; then nothing is
    /// returned (fail closed).
    pub fn redact(&self, text: &str) -> Result<Redacted, Error> {
        let mut out = Vec::with_capacity(text.len());
        let report = self.redact_bytes(text.as_bytes(), &mut out)?;
        // Valid UTF-8 in, pseudonyms and values are UTF-8: valid out.
        let text = String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into());
        Ok(Redacted { text, report })
    }

    /// Redacts bytes (any bytes: see the crate docs for invalid UTF-8),
    /// appending the result to `out`.
    ///
    /// # Errors
    ///
    /// As [`Redactor::redact`]; `out` is left as it was.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hush::{Redactor, Scanner, Vault, Key, Policy};
    /// # let r = Redactor::new(
    /// #     Arc::new(Scanner::new()?),
    /// #     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
    /// # );
    /// let mut out = Vec::new();
    /// r.redact_bytes(b"\xff a@b.io \xfe", &mut out)?;
    /// assert!(out.starts_with(b"\xff [[EMAIL-") && out.ends_with(b"]] \xfe"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redact_bytes(
        &self,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Report, Error> {
        let found = self.scanner.scan(input);
        let mut report = Report::default();
        splice(
            self,
            self.scope(),
            input,
            0,
            input.len(),
            &found,
            out,
            &mut report,
        )?;
        report.bytes_in = input.len() as u64;
        Ok(report)
    }

    /// Restores the pseudonyms this scope issued in a whole text.
    ///
    /// # Errors
    ///
    /// When the vault storage cannot be read.
    pub fn restore(&self, text: &str) -> Result<Restored, Error> {
        Ok(self.scope().restore(text)?)
    }

    /// Restores bytes, appending to `out`: valid UTF-8 runs are restored,
    /// invalid sequences pass through unchanged.
    ///
    /// # Errors
    ///
    /// As [`Redactor::restore`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hush::{Redactor, Scanner, Vault, Key, Policy};
    /// # let r = Redactor::new(
    /// #     Arc::new(Scanner::new()?),
    /// #     Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
    /// # );
    /// let tag = r.redact("a@b.io")?.into_text();
    /// let mut out = Vec::new();
    /// r.restore_bytes(format!("{tag} \u{1}\u{7f}").as_bytes(), &mut out)?;
    /// assert_eq!(out, b"a@b.io \x01\x7f");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore_bytes(
        &self,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Report, Error> {
        let scope = self.scope();
        let mut report =
            Report { bytes_in: input.len() as u64, ..Report::default() };
        let start = out.len();
        for chunk in input.utf8_chunks() {
            let r = scope.restore(chunk.valid())?;
            out.extend_from_slice(r.text().as_bytes());
            out.extend_from_slice(chunk.invalid());
            report.findings += r.restored() as u64;
            report.unresolved += r.unresolved().len() as u64;
        }
        report.bytes_out = (out.len() - start) as u64;
        Ok(report)
    }

    /// A stream that redacts chunks as they come.
    pub fn redact_stream(&self) -> RedactStream<'_> {
        RedactStream::new(self)
    }

    /// A stream that restores chunks as they come.
    pub fn restore_stream(&self) -> RestoreStream<'_> {
        RestoreStream::new(self)
    }
}

/// Writes `input[from..to]` to `out` with the wanted findings (which lie
/// in `from..to`, sorted) replaced by their pseudonyms, all stored in one
/// vault write. On error `out` is unchanged.
#[allow(clippy::too_many_arguments)]
pub(crate) fn splice(
    red: &Redactor,
    scope: Scope<'_>,
    input: &[u8],
    from: usize,
    to: usize,
    found: &[Finding],
    out: &mut Vec<u8>,
    report: &mut Report,
) -> Result<(), Error> {
    let wanted: Vec<&Finding> =
        found.iter().filter(|f| red.wants(f)).collect();
    let values: Vec<std::borrow::Cow<'_, str>> = wanted
        .iter()
        .map(|f| String::from_utf8_lossy(&input[f.range()]))
        .collect();
    let items: Vec<(Kind, &str)> =
        wanted.iter().zip(&values).map(|(f, v)| (f.kind, &**v)).collect();
    let pseudonyms = if items.is_empty() {
        Vec::new()
    } else {
        scope.pseudonymise_batch(&items)?
    };
    let start = out.len();
    let mut last = from;
    for (f, p) in wanted.iter().zip(&pseudonyms) {
        out.extend_from_slice(&input[last..f.start]);
        out.extend_from_slice(p.as_bytes());
        last = f.end;
        report.count(f.kind);
    }
    out.extend_from_slice(&input[last..to]);
    report.bytes_out += (out.len() - start) as u64;
    Ok(())
}
