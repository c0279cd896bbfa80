//! Rules as data: the TOML schema, parsing and static checks.
//!
//! A rule names a category and a score and says what to look for:
//! phrases or regex patterns over the folded word skeleton (`words`, the
//! default), patterns over the text itself (`raw`, for markup such as
//! fake chat-turn tokens), or a built-in detector (hidden Unicode,
//! encoded payloads). Every rule carries examples it must flag and
//! negative examples it must not, checked by the test suite. See
//! `docs/SCREENING.md` for the fields.

use serde::Deserialize;

use crate::error::{ErrorKind, ScreenError};
use crate::normalize::skeleton;
use crate::Category;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    category: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    case_sensitive: bool,
    #[serde(default)]
    detector: Option<String>,
    #[serde(default)]
    min_len: Option<usize>,
    score: f32,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    negative_examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

/// Where a phrase or pattern rule looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The folded word skeleton (see `normalize::skeleton`).
    Words,
    /// The text itself, hidden characters removed.
    Raw,
}

/// The built-in detectors a rule can switch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detector {
    TagChars,
    ZeroWidth,
    Bidi,
    VariationSelectors,
    Base64,
    Hex,
    Percent,
    Rot13,
}

impl Detector {
    fn from_name(name: &str) -> Option<Detector> {
        Some(match name {
            "tag-chars" => Detector::TagChars,
            "zero-width" => Detector::ZeroWidth,
            "bidi" => Detector::Bidi,
            "variation-selectors" => Detector::VariationSelectors,
            "base64" => Detector::Base64,
            "hex" => Detector::Hex,
            "percent" => Detector::Percent,
            "rot13" => Detector::Rot13,
            _ => return None,
        })
    }

    fn default_min_len(self) -> usize {
        match self {
            Detector::ZeroWidth => 2,
            Detector::VariationSelectors => 8,
            Detector::Base64 | Detector::Hex => 200,
            Detector::Percent => 12,
            Detector::TagChars | Detector::Bidi | Detector::Rot13 => 1,
        }
    }
}

/// A checked rule.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub id: String,
    pub category: Category,
    pub target: Target,
    pub phrases: Vec<String>,
    pub patterns: Vec<String>,
    pub case_sensitive: bool,
    pub detector: Option<Detector>,
    pub min_len: usize,
    pub score: f32,
    pub examples: Vec<String>,
    pub negative_examples: Vec<String>,
}

pub(crate) fn parse_rule_file(
    origin: &str,
    text: &str,
) -> Result<Vec<Rule>, ScreenError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| {
        ScreenError::new(ErrorKind::Toml {
            origin: origin.to_string(),
            message: e.to_string(),
        })
    })?;
    file.rules.into_iter().map(|spec| check(origin, spec)).collect()
}

fn check(origin: &str, spec: RuleSpec) -> Result<Rule, ScreenError> {
    let bad = |message: String| {
        ScreenError::new(ErrorKind::Rule {
            origin: origin.to_string(),
            rule: spec.id.clone(),
            message,
        })
    };
    let id_ok = !spec.id.is_empty()
        && spec.id.len() <= 64
        && spec.id.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(b, b'.' | b'-' | b'_')
        });
    if !id_ok {
        return Err(bad("id must be 1-64 characters of [a-z0-9._-]".into()));
    }
    let category: Category = spec.category.parse().map_err(|_| {
        bad(format!(
            "unknown category {:?} (override, role-play, \
                 hidden-unicode, encoded-payload)",
            spec.category
        ))
    })?;
    if !(spec.score > 0.0 && spec.score <= 1.0) {
        return Err(bad("score must be in (0, 1]".into()));
    }
    let target = match spec.target.as_deref() {
        None | Some("words") => Target::Words,
        Some("raw") => Target::Raw,
        Some(t) => {
            return Err(bad(format!("unknown target {t:?} (words, raw)")))
        }
    };
    let detector = match spec.detector.as_deref() {
        None => None,
        Some(d) => Some(
            Detector::from_name(d)
                .ok_or_else(|| bad(format!("unknown detector {d:?}")))?,
        ),
    };
    match detector {
        Some(Detector::Rot13) => {
            if spec.phrases.is_empty() || !spec.patterns.is_empty() {
                return Err(bad(
                    "the rot13 detector takes trigger `phrases` only".into(),
                ));
            }
        }
        Some(_) => {
            if !spec.phrases.is_empty() || !spec.patterns.is_empty() {
                return Err(bad(
                    "a detector rule has no phrases or patterns".into()
                ));
            }
        }
        None => {
            if spec.phrases.is_empty() && spec.patterns.is_empty() {
                return Err(bad(
                    "a rule needs phrases, patterns or a detector".into(),
                ));
            }
            if spec.min_len.is_some() {
                return Err(bad("min_len is for detector rules".into()));
            }
        }
    }
    if spec.case_sensitive && target != Target::Raw {
        return Err(bad("case_sensitive needs target = \"raw\"".into()));
    }
    let mut phrases = Vec::with_capacity(spec.phrases.len());
    for p in &spec.phrases {
        let folded =
            if target == Target::Words { skeleton(p).text } else { p.clone() };
        if folded.is_empty() {
            return Err(bad(format!("phrase {p:?} has no letters or digits")));
        }
        phrases.push(folded);
    }
    if target == Target::Words {
        for p in &spec.patterns {
            if p.starts_with(' ') || p.ends_with(' ') {
                return Err(bad(format!(
                    "words pattern {p:?} starts or ends with a space"
                )));
            }
            let lowered = p.to_ascii_lowercase();
            if lowered != *p {
                return Err(bad(format!(
                    "words pattern {p:?} must be lowercase (it runs on \
                     the folded skeleton)"
                )));
            }
        }
    }
    let min_len = match detector {
        Some(d) => spec.min_len.unwrap_or(d.default_min_len()).max(1),
        None => 0,
    };
    Ok(Rule {
        id: spec.id,
        category,
        target,
        phrases,
        patterns: spec.patterns,
        case_sensitive: spec.case_sensitive,
        detector,
        min_len,
        score: spec.score,
        examples: spec.examples,
        negative_examples: spec.negative_examples,
    })
}
