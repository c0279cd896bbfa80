//! What to do with each kind of value: the operators, the tag template
//! and the labels, from code or from TOML.
//!
//! The policy is data, not code, so that a deployment can change how
//! names are treated (say, realistic surrogates instead of tags) without
//! a rebuild, and so that the choice is reviewable in one file.

use std::collections::HashMap;

use hush_detect::Kind;
use serde::Deserialize;

use crate::error::Error;

/// The default tag template: `[[EMAIL-482913]]`.
///
/// The form follows what the evidence on model behaviour supports (see
/// the crate documentation, "Why this tag format"): a type label the
/// model can reason with, a hyphen rather than `_` (no markdown `\_`
/// escaping, not read as an environment variable), a decimal code rather
/// than random letters (digits are copied faithfully and cost few
/// tokens), and doubled square brackets, which are rare in ordinary text,
/// have no HTML or template meaning and cost no extra tokens.
///
/// # Example
///
/// ```
/// assert_eq!(hush_vault::DEFAULT_TEMPLATE, "[[{kind}-{code}]]");
/// ```
pub const DEFAULT_TEMPLATE: &str = "[[{kind}-{code}]]";

/// The default number of digits in a tag code.
///
/// # Example
///
/// ```
/// assert_eq!(hush_vault::DEFAULT_CODE_DIGITS, 6);
/// ```
pub const DEFAULT_CODE_DIGITS: usize = 6;

/// How one kind of value is replaced.
///
/// `Tag` and `Surrogate` are reversible and stored in the vault; the
/// others are computed on the spot and never stored.
///
/// # Example
///
/// ```
/// use hush_vault::Operator;
///
/// assert_eq!("mask:4".parse::<Operator>()?, Operator::Mask { keep: 4 });
/// assert!(Operator::Tag.is_reversible());
/// assert!(!Operator::Hash.is_reversible());
/// # Ok::<(), hush_vault::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operator {
    /// A pseudonym from the template, e.g. `[[EMAIL-482913]]` (default).
    Tag,
    /// A realistic fake of the same format (names for names,
    /// `example.com` e-mails, test-range cards, fictional phone numbers,
    /// documentation IP ranges, valid-checksum IBANs). Restored only on
    /// an exact match. Not offered for `SECRET`.
    Surrogate,
    /// Every character but the last `keep` letters or digits becomes `*`.
    Mask {
        /// How many trailing letters or digits stay visible.
        keep: usize,
    },
    /// A keyed HMAC of the normalised value (irreversible, stable in a
    /// scope): `[[EMAIL-H-3fa9c2d18e0b4a71]]`.
    Hash,
    /// The value is removed.
    Redact,
    /// The value is left as it is.
    Keep,
}

impl Operator {
    /// Whether [`crate::Scope::restore`] can bring values back.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Operator;
    ///
    /// assert!(Operator::Surrogate.is_reversible());
    /// assert!(!Operator::Redact.is_reversible());
    /// ```
    pub fn is_reversible(self) -> bool {
        matches!(self, Operator::Tag | Operator::Surrogate)
    }
}

impl std::str::FromStr for Operator {
    type Err = Error;

    fn from_str(s: &str) -> Result<Operator, Error> {
        let s = s.trim().to_ascii_lowercase();
        Ok(match s.as_str() {
            "tag" => Operator::Tag,
            "surrogate" => Operator::Surrogate,
            "mask" => Operator::Mask { keep: 4 },
            "hash" => Operator::Hash,
            "redact" => Operator::Redact,
            "keep" => Operator::Keep,
            _ => match s.strip_prefix("mask:").map(str::parse) {
                Some(Ok(keep)) => Operator::Mask { keep },
                _ => {
                    return Err(Error::config(format!(
                        "unknown operator {s:?} (expected tag, surrogate, \
                         mask, mask:N, hash, redact or keep)"
                    )))
                }
            },
        })
    }
}

/// A tag template: literal text around `{kind}` and `{code}`.
///
/// The text between them must be non-empty and hold no letter or digit,
/// and so must the text before and after, so that a tag can be found in
/// an answer again whatever the model did to its brackets.
///
/// # Example
///
/// ```
/// use hush_vault::Template;
///
/// let t = Template::parse("<{kind}_{code}>")?;
/// assert_eq!(t.render("EMAIL", "000123"), "<EMAIL_000123>");
/// assert!(Template::parse("{code}{kind}").is_err());
/// # Ok::<(), hush_vault::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub(crate) prefix: String,
    pub(crate) sep: String,
    pub(crate) suffix: String,
}

impl Template {
    /// Parses a template such as `[[{kind}-{code}]]`.
    ///
    /// # Errors
    ///
    /// When `{kind}` or `{code}` is missing, repeated or out of order, or
    /// the literal parts hold letters or digits, or nothing separates the
    /// two.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Template;
    ///
    /// assert!(Template::parse("[[{kind}-{code}]]").is_ok());
    /// assert!(Template::parse("[[{kind}{code}]]").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Template, Error> {
        let bad =
            |why: &str| Error::config(format!("tag template {text:?}: {why}"));
        if text.matches("{kind}").count() != 1
            || text.matches("{code}").count() != 1
        {
            return Err(bad("needs {kind} and {code} exactly once"));
        }
        let k = text.find("{kind}").unwrap();
        let c = text.find("{code}").unwrap();
        if c < k {
            return Err(bad("{kind} must come before {code}"));
        }
        let prefix = &text[..k];
        let sep = &text[k + 6..c];
        let suffix = &text[c + 6..];
        if sep.is_empty() {
            return Err(bad("something must separate {kind} and {code}"));
        }
        if [prefix, sep, suffix]
            .iter()
            .any(|p| p.chars().any(|c| c.is_alphanumeric() || c == '{'))
        {
            return Err(bad("the literal parts may hold no letter or digit"));
        }
        Ok(Template {
            prefix: prefix.to_string(),
            sep: sep.to_string(),
            suffix: suffix.to_string(),
        })
    }

    /// Renders one tag.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Template;
    ///
    /// let t = Template::default();
    /// assert_eq!(t.render("PERSON", "004711"), "[[PERSON-004711]]");
    /// ```
    pub fn render(&self, label: &str, code: &str) -> String {
        let mut s = String::with_capacity(
            self.prefix.len() + label.len() + self.sep.len() + code.len() + 2,
        );
        s.push_str(&self.prefix);
        s.push_str(label);
        s.push_str(&self.sep);
        s.push_str(code);
        s.push_str(&self.suffix);
        s
    }
}

impl Default for Template {
    fn default() -> Template {
        Template::parse(DEFAULT_TEMPLATE).expect("the default template")
    }
}

/// Operators per kind, the tag template, code width and labels.
///
/// The default tags every kind with [`DEFAULT_TEMPLATE`].
///
/// # Example
///
/// ```
/// use hush_detect::Kind;
/// use hush_vault::{Operator, Policy};
///
/// let policy = Policy::from_toml(r#"
///     template = "[[{kind}-{code}]]"
///     code_digits = 6
///     [operators]
///     PERSON = "surrogate"
///     CREDIT_CARD = "mask:4"
///     [labels]
///     PERSON = "NAME"
/// "#)?;
/// assert_eq!(policy.operator(Kind::Person), Operator::Surrogate);
/// assert_eq!(policy.operator(Kind::Email), Operator::Tag);
/// assert_eq!(policy.label(Kind::Person), "NAME");
/// assert_eq!(policy.label(Kind::CreditCard), "CREDIT-CARD");
/// # Ok::<(), hush_vault::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    pub(crate) template: Template,
    pub(crate) code_digits: usize,
    /// Per kind, in the order of `Kind::ALL`.
    operators: Vec<Operator>,
    labels: Vec<String>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            template: Template::default(),
            code_digits: DEFAULT_CODE_DIGITS,
            operators: vec![Operator::Tag; Kind::ALL.len()],
            labels: Kind::ALL
                .iter()
                .map(|k| k.as_str().replace('_', "-"))
                .collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyToml {
    template: Option<String>,
    code_digits: Option<usize>,
    #[serde(default)]
    operators: HashMap<String, String>,
    #[serde(default)]
    labels: HashMap<String, String>,
}

impl Policy {
    /// Reads a policy from TOML: `template`, `code_digits`, an
    /// `[operators]` table (kind name to `tag`, `surrogate`, `mask`,
    /// `mask:N`, `hash`, `redact` or `keep`) and a `[labels]` table.
    ///
    /// # Errors
    ///
    /// On a TOML syntax error, an unknown key, kind or operator, or an
    /// invalid template, width or label.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Policy;
    ///
    /// assert!(Policy::from_toml("code_digits = 8").is_ok());
    /// assert!(Policy::from_toml("[operators]\nNOPE = \"tag\"").is_err());
    /// ```
    pub fn from_toml(text: &str) -> Result<Policy, Error> {
        let raw: PolicyToml = toml::from_str(text)
            .map_err(|e| Error::config(e.message().to_string()))?;
        let mut p = Policy::default();
        if let Some(t) = raw.template {
            p = p.with_template(&t)?;
        }
        if let Some(d) = raw.code_digits {
            p = p.with_code_digits(d)?;
        }
        for (k, op) in raw.operators {
            let kind = parse_kind(&k)?;
            p = p.with_operator(kind, op.parse()?)?;
        }
        for (k, label) in raw.labels {
            p = p.with_label(parse_kind(&k)?, &label)?;
        }
        Ok(p)
    }

    /// Sets the operator of one kind.
    ///
    /// # Errors
    ///
    /// `Surrogate` for `SECRET`: a realistic fake credential is treated
    /// like a real one by models (refused, or used), so secrets are
    /// tagged, masked, hashed or redacted.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Operator, Policy};
    ///
    /// let p = Policy::default().with_operator(Kind::Ssn, Operator::Redact)?;
    /// assert_eq!(p.operator(Kind::Ssn), Operator::Redact);
    /// assert!(Policy::default()
    ///     .with_operator(Kind::Secret, Operator::Surrogate)
    ///     .is_err());
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn with_operator(
        mut self,
        kind: Kind,
        op: Operator,
    ) -> Result<Policy, Error> {
        if kind == Kind::Secret && op == Operator::Surrogate {
            return Err(Error::config(
                "no surrogates for SECRET: models refuse or use realistic \
                 credentials; use tag, mask, hash or redact",
            ));
        }
        self.operators[kind_index(kind)] = op;
        Ok(self)
    }

    /// Sets the tag template (see [`Template::parse`]).
    ///
    /// # Errors
    ///
    /// When the template is invalid.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Policy;
    ///
    /// let p = Policy::default().with_template("[{kind}_{code}]")?;
    /// assert_eq!(p.template().render("EMAIL", "1"), "[EMAIL_1]");
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn with_template(mut self, template: &str) -> Result<Policy, Error> {
        self.template = Template::parse(template)?;
        Ok(self)
    }

    /// Sets the number of digits in a new tag code (4 to 12; default 6).
    /// A code that collides with another value's in the same scope gets
    /// one more digit per attempt.
    ///
    /// # Errors
    ///
    /// When the width is outside 4..=12.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::Policy;
    ///
    /// assert!(Policy::default().with_code_digits(8).is_ok());
    /// assert!(Policy::default().with_code_digits(2).is_err());
    /// ```
    pub fn with_code_digits(mut self, digits: usize) -> Result<Policy, Error> {
        if !(4..=12).contains(&digits) {
            return Err(Error::config("code_digits must be from 4 to 12"));
        }
        self.code_digits = digits;
        Ok(self)
    }

    /// Sets the label used in tags of one kind (default: the kind name
    /// with `-` for `_`, e.g. `CREDIT-CARD`).
    ///
    /// # Errors
    ///
    /// When the label is not an ASCII letter followed by letters, digits,
    /// `-` or `_`, or another kind already uses it.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::Policy;
    ///
    /// let p = Policy::default().with_label(Kind::Person, "NAME")?;
    /// assert_eq!(p.label(Kind::Person), "NAME");
    /// assert!(p.with_label(Kind::Email, "name").is_err());
    /// # Ok::<(), hush_vault::Error>(())
    /// ```
    pub fn with_label(
        mut self,
        kind: Kind,
        label: &str,
    ) -> Result<Policy, Error> {
        let ok = label.starts_with(|c: char| c.is_ascii_alphabetic())
            && label.len() <= 32
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !label.ends_with(|c: char| c.is_ascii_digit());
        if !ok {
            return Err(Error::config(format!(
                "label {label:?}: use ASCII letters, digits, - or _, \
                 starting with a letter and not ending in a digit"
            )));
        }
        let idx = kind_index(kind);
        let folded = fold_label(label);
        if self
            .labels
            .iter()
            .enumerate()
            .any(|(i, l)| i != idx && fold_label(l) == folded)
        {
            return Err(Error::config(format!(
                "label {label:?} is already used by another kind"
            )));
        }
        self.labels[idx] = label.to_string();
        Ok(self)
    }

    /// The operator of one kind.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::{Operator, Policy};
    ///
    /// assert_eq!(Policy::default().operator(Kind::Email), Operator::Tag);
    /// ```
    pub fn operator(&self, kind: Kind) -> Operator {
        self.operators[kind_index(kind)]
    }

    /// The tag label of one kind.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::Kind;
    /// use hush_vault::Policy;
    ///
    /// assert_eq!(Policy::default().label(Kind::IpAddress), "IP-ADDRESS");
    /// ```
    pub fn label(&self, kind: Kind) -> &str {
        &self.labels[kind_index(kind)]
    }

    /// The tag template.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_vault::{Policy, Template};
    ///
    /// assert_eq!(Policy::default().template(), &Template::default());
    /// ```
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// The kind whose label this is, compared without case or separators.
    pub(crate) fn kind_of_label(&self, label: &str) -> Option<Kind> {
        // Called once per tag restored: compare the folded forms (see
        // `fold_label`) without building them.
        if let Some(i) = self.labels.iter().position(|l| l == label) {
            return Some(Kind::ALL[i]);
        }
        let key = label.bytes().filter(u8::is_ascii_alphanumeric);
        self.labels
            .iter()
            .position(|l| {
                l.bytes()
                    .filter(u8::is_ascii_alphanumeric)
                    .map(|b| b.to_ascii_uppercase())
                    .eq(key.clone().map(|b| b.to_ascii_uppercase()))
            })
            .map(|i| Kind::ALL[i])
    }

    pub(crate) fn labels(&self) -> &[String] {
        &self.labels
    }
}

/// The position of a kind in `Kind::ALL`.
pub(crate) fn kind_index(kind: Kind) -> usize {
    // `Kind` is a fieldless enum declared in the order of `Kind::ALL`.
    let i = kind as usize;
    debug_assert_eq!(Kind::ALL[i], kind);
    i
}

/// A label without case or separators: `credit_card` == `CREDIT-CARD`.
pub(crate) fn fold_label(label: &str) -> String {
    label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn parse_kind(name: &str) -> Result<Kind, Error> {
    name.trim()
        .to_ascii_uppercase()
        .parse()
        .map_err(|e: hush_detect::UnknownKind| Error::config(e.to_string()))
}
