//! Rules as data: the TOML schema, parsing and static checks.
//!
//! A rule says where to look (anchors), what to confirm (a byte regex run
//! anchored at candidate starts), how to validate (a named checksum) and
//! how to score (context words). Keeping rules as data lets users add
//! their own at run time and lets every rule carry its own examples.

use serde::Deserialize;

use crate::error::{BuildError, BuildErrorKind};
use crate::kind::Kind;
use crate::validate::Validator;

/// One rule, as written in a TOML rule file.
///
/// See `docs/RULES.md` for the meaning of every field.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub pattern: String,
    /// A built-in detector instead of a pattern (`person`, `location`,
    /// `organization`: the name detectors of `names.rs`).
    #[serde(default)]
    pub detector: Option<String>,
    #[serde(default)]
    pub anchors: Vec<String>,
    #[serde(default)]
    pub anchor_digits: bool,
    #[serde(default)]
    pub anchors_case_insensitive: bool,
    /// An anchor counts only where a blank and an ASCII digit follow it
    /// (a street type before its house number): the scanner looks for
    /// these anchors at the numbers of the text, not in the literal pass.
    #[serde(default)]
    pub anchors_before_number: bool,
    #[serde(default)]
    pub before: usize,
    pub max_len: usize,
    #[serde(default = "default_min_len")]
    pub min_len: usize,
    #[serde(default = "default_true")]
    pub boundary: bool,
    #[serde(default)]
    pub start_at_token: bool,
    /// With `start_at_token`: how many tokens, counting the one that
    /// reaches the anchor, a match may start at (2 to 6; beyond the
    /// second, only along a chain of capitalised words and short
    /// lower-case ones, see `deep_token_starts`).
    #[serde(default = "default_start_tokens")]
    pub start_tokens: usize,
    #[serde(default)]
    pub not_after: String,
    #[serde(default)]
    pub not_followed_by: Option<String>,
    #[serde(default)]
    pub not_preceded_by: Option<String>,
    #[serde(default)]
    pub anti_context_window: Option<usize>,
    #[serde(default)]
    pub shrink_at: String,
    #[serde(default)]
    pub value_after: String,
    #[serde(default)]
    pub validator: Option<String>,
    #[serde(default = "default_score")]
    pub score: f32,
    #[serde(default)]
    pub context: Vec<String>,
    #[serde(default)]
    pub context_required: bool,
    #[serde(default = "default_true")]
    pub context_after: bool,
    #[serde(default = "default_boost")]
    pub context_boost: f32,
    #[serde(default)]
    pub context_score: Option<f32>,
    #[serde(default)]
    pub anti_context: Vec<String>,
    #[serde(default = "default_window")]
    pub context_window: usize,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

fn default_true() -> bool {
    true
}
fn default_start_tokens() -> usize {
    2
}
fn default_min_len() -> usize {
    1
}
fn default_score() -> f32 {
    0.8
}
fn default_boost() -> f32 {
    0.1
}
fn default_window() -> usize {
    40
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

/// The largest `max_len` a rule may declare. The streaming layer holds
/// back this much text, so it is a hard cap, not a hint.
pub const MAX_RULE_LEN: usize = 8192;

/// The largest `before` (bytes from a match's start to its anchor).
pub const MAX_RULE_BEFORE: usize = 256;

/// A validated rule: the spec with its names resolved.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub spec: RuleSpec,
    pub kind: Kind,
    pub validator: Option<Validator>,
    pub not_after: [bool; 256],
    pub shrink_at: [bool; 256],
}

pub(crate) fn parse_rule_file(
    origin: &str,
    text: &str,
) -> Result<Vec<Rule>, BuildError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| {
        BuildError::new(BuildErrorKind::Toml {
            origin: origin.to_string(),
            message: e.to_string(),
        })
    })?;
    file.rules.into_iter().map(|spec| check_rule(origin, spec)).collect()
}

fn check_rule(origin: &str, mut spec: RuleSpec) -> Result<Rule, BuildError> {
    let rule_id = spec.id.clone();
    let bad = |message: String| {
        BuildError::new(BuildErrorKind::Rule {
            origin: origin.to_string(),
            rule: rule_id.clone(),
            message,
        })
    };
    let id_ok = !spec.id.is_empty()
        && spec.id.len() <= 48
        && spec.id.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b == b'.'
                || b == b'-'
                || b == b'_'
        });
    if !id_ok {
        return Err(bad(
            "id must be 1-48 characters of [a-z0-9._-]".to_string()
        ));
    }
    let kind: Kind = spec.kind.parse().map_err(|e| bad(format!("{e}")))?;
    let validator = match spec.validator.as_deref() {
        None => None,
        Some(name) => Some(
            Validator::from_name(name)
                .ok_or_else(|| bad(format!("unknown validator {name:?}")))?,
        ),
    };
    if let Some(d) = spec.detector.as_deref() {
        let want = match d {
            "person" => Kind::Person,
            "location" => Kind::Location,
            "organization" => Kind::Organization,
            _ => {
                return Err(bad(format!(
                    "unknown detector {d:?} (person, location, organization)"
                )))
            }
        };
        if want != kind {
            return Err(bad(format!(
                "detector {d:?} reports {want}, not {kind}"
            )));
        }
        if !spec.pattern.is_empty()
            || !spec.anchors.is_empty()
            || spec.anchor_digits
        {
            return Err(bad(
                "a rule with `detector` has no pattern or anchors".to_string(),
            ));
        }
        // Never fires by itself; the scanner runs the detector.
        spec.pattern = NEVER.to_string();
    } else if spec.pattern.is_empty() {
        return Err(bad("a rule needs a `pattern`".to_string()));
    }
    if spec.anchors.is_empty()
        && !spec.anchor_digits
        && spec.detector.is_none()
    {
        return Err(bad(
            "a rule needs `anchors` or `anchor_digits = true`".to_string()
        ));
    }
    if spec.anchors_before_number && spec.anchors.is_empty() {
        return Err(
            bad("`anchors_before_number` needs `anchors`".to_string()),
        );
    }
    if spec.anchors.iter().any(|a| a.is_empty()) {
        return Err(bad("an anchor must not be empty".to_string()));
    }
    if spec.max_len == 0 || spec.max_len > MAX_RULE_LEN {
        return Err(bad(format!("max_len must be in 1..={MAX_RULE_LEN}")));
    }
    if spec.min_len == 0 || spec.min_len > spec.max_len {
        return Err(bad("min_len must be in 1..=max_len".to_string()));
    }
    if !(2..=crate::scanner::MAX_START_TOKENS).contains(&spec.start_tokens)
        || spec.start_tokens != 2 && !spec.start_at_token
    {
        return Err(bad(format!(
            "start_tokens must be in 2..={}, and more than 2 needs \
             start_at_token",
            crate::scanner::MAX_START_TOKENS
        )));
    }
    if spec.before > MAX_RULE_BEFORE {
        return Err(bad(format!("before must be at most {MAX_RULE_BEFORE}")));
    }
    if !(0.0..=1.0).contains(&spec.score) {
        return Err(bad("score must be in 0..=1".to_string()));
    }
    if !(0.0..=1.0).contains(&spec.context_boost) {
        return Err(bad("context_boost must be in 0..=1".to_string()));
    }
    if let Some(cs) = spec.context_score {
        if !(0.0..=1.0).contains(&cs) {
            return Err(bad("context_score must be in 0..=1".to_string()));
        }
    }
    if spec.context_required && spec.context.is_empty() {
        return Err(bad("context_required needs context words".to_string()));
    }
    let mut not_after = [false; 256];
    for b in spec.not_after.bytes() {
        not_after[usize::from(b)] = true;
    }
    let mut shrink_at = [false; 256];
    for b in spec.shrink_at.bytes() {
        shrink_at[usize::from(b)] = true;
    }
    Ok(Rule { spec, kind, validator, not_after, shrink_at })
}

impl RuleSpec {
    /// The most bytes a match can start before the byte the scanner finds
    /// it from: `before`, and for `anchors_before_number` also the
    /// longest anchor and the blank, since those anchors are found from
    /// the number that follows them.
    pub(crate) fn reach_before(&self) -> usize {
        if self.anchors_before_number {
            let longest = self.anchors.iter().map(String::len).max();
            self.before + longest.unwrap_or(0) + 1
        } else {
            self.before
        }
    }
}

/// A pattern that matches nothing (no byte is outside `\x00-\xff`).
const NEVER: &str = r"[^\x00-\xff]";

/// The rule behind a dictionary's findings of one kind. It has no anchors
/// and a pattern that matches nothing, so it never fires by itself; the
/// scanner adds the dictionary's matches under its id.
pub(crate) fn dictionary_rule(id: &str, kind: Kind, max_len: usize) -> Rule {
    outside_rule(id, kind, max_len, "terms from the user's dictionary")
}

/// The rule behind findings the scanner gets from outside its rule engine
/// (a dictionary, a [`Recognizer`](crate::Recognizer)): no anchors, a
/// pattern that matches nothing.
pub(crate) fn outside_rule(
    id: &str,
    kind: Kind,
    max_len: usize,
    description: &str,
) -> Rule {
    let spec = RuleSpec {
        id: id.to_string(),
        kind: kind.as_str().to_string(),
        description: description.to_string(),
        pattern: NEVER.to_string(),
        detector: None,
        anchors: Vec::new(),
        anchor_digits: false,
        anchors_case_insensitive: false,
        anchors_before_number: false,
        before: 0,
        max_len: max_len.clamp(1, MAX_RULE_LEN),
        min_len: 1,
        boundary: true,
        start_at_token: false,
        start_tokens: 2,
        not_after: String::new(),
        not_followed_by: None,
        not_preceded_by: None,
        anti_context_window: None,
        shrink_at: String::new(),
        value_after: String::new(),
        validator: None,
        score: 1.0,
        context: Vec::new(),
        context_required: false,
        context_after: true,
        context_boost: 0.0,
        context_score: None,
        anti_context: Vec::new(),
        context_window: 0,
        examples: Vec::new(),
        negative_examples: Vec::new(),
    };
    Rule {
        spec,
        kind,
        validator: None,
        not_after: [false; 256],
        shrink_at: [false; 256],
    }
}
