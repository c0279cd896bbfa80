//! The scanner: one pass of cheap anchor finding, then anchored
//! confirmation, validation, context scoring and overlap resolution.
//!
//! Stage 1 never looks at a byte twice for long: a vectorisable block test
//! skips 64-byte blocks that hold no trigger byte (digits and up to three
//! single-byte anchors such as `@`), and one aho-corasick automaton finds
//! every multi-byte literal anchor (secret prefixes, `://`). Stage 2 runs
//! only around anchors: for each anchor it tries the few candidate start
//! positions a rule allows (`before` bytes back, at a word boundary, whose
//! first byte the rule's automaton accepts), first through one
//! multi-pattern automaton per anchor class that says which rules can
//! match there at all, then through the rule's own anchored regex for the
//! exact span. See `docs/DESIGN.md` for the invariants.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind as AcMatchKind};
use regex_automata::{
    dfa::{dense, Automaton, StartKind},
    hybrid, meta,
    nfa::thompson,
    util::syntax,
    Anchored, Input, MatchKind,
};

use crate::error::{BuildError, BuildErrorKind};
use crate::kind::Kind;
use crate::recognizer::Recognizer;
use crate::rule::{parse_rule_file, Rule, MAX_RULE_LEN};

mod context;
mod settle;

/// Identifies the rule (detector) that produced a finding, within one
/// [`Scanner`]. Look it up with [`Scanner::detector`].
///
/// # Example
///
/// ```
/// use hush_detect::Scanner;
///
/// let scanner = Scanner::new()?;
/// let f = &scanner.scan_str("mail jane.roe@acme.io now")[0];
/// assert_eq!(scanner.detector(f.detector).id(), "email");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DetectorId(u32);

impl DetectorId {
    /// The index of this detector in [`Scanner::detectors`].
    pub fn as_usize(self) -> usize {
        self.0 as usize
    }
}

/// One detected entity: its kind, byte span, score and detector.
///
/// Spans are byte offsets into the scanned haystack, end-exclusive. A
/// finding holds no text, so it can be logged safely.
///
/// # Example
///
/// ```
/// use hush_detect::{Kind, Scanner};
///
/// let scanner = Scanner::new()?;
/// let text = "card 4539 1488 0343 6467 on file";
/// let f = &scanner.scan_str(text)[0];
/// assert_eq!(f.kind, Kind::CreditCard);
/// assert_eq!(&text[f.start..f.end], "4539 1488 0343 6467");
/// assert!(f.score > 0.5 && f.score <= 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Confidence in `0.0..=1.0`.
    pub score: f32,
    /// The rule that found it.
    pub detector: DetectorId,
}

impl Finding {
    /// The span as a range, for slicing the haystack.
    ///
    /// # Example
    ///
    /// ```
    /// let scanner = hush_detect::Scanner::new()?;
    /// let hay = b"ip 192.168.1.20 up";
    /// let f = &scanner.scan(hay)[0];
    /// assert_eq!(&hay[f.range()], b"192.168.1.20");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn range(&self) -> core::ops::Range<usize> {
        self.start..self.end
    }
}

/// What a scanner knows about one of its detectors (rules).
///
/// # Example
///
/// ```
/// let scanner = hush_detect::Scanner::new()?;
/// assert!(scanner.detectors().any(|d| d.id() == "ssn"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Detector {
    rule: Rule,
}

impl Detector {
    /// The rule id, e.g. `secret.github.classic`.
    pub fn id(&self) -> &str {
        &self.rule.spec.id
    }
    /// The kind this detector reports.
    pub fn kind(&self) -> Kind {
        self.rule.kind
    }
    /// The rule's one-line description.
    pub fn description(&self) -> &str {
        &self.rule.spec.description
    }
    /// The rule's regex pattern (byte-oriented, ASCII classes). Useful to
    /// build baselines or to explain a finding.
    pub fn pattern(&self) -> &str {
        &self.rule.spec.pattern
    }
    /// The longest match this detector can produce, in bytes.
    pub fn max_len(&self) -> usize {
        self.rule.spec.max_len
    }
    /// Example texts this detector must find something in.
    pub fn examples(&self) -> &[String] {
        &self.rule.spec.examples
    }
    /// Example texts this detector must find nothing in.
    pub fn negative_examples(&self) -> &[String] {
        &self.rule.spec.negative_examples
    }
}

/// Built-in rule files, one per family, embedded at compile time.
pub const DEFAULT_RULE_FILES: &[(&str, &str)] = &[
    ("email.toml", include_str!("../rules/email.toml")),
    ("phone.toml", include_str!("../rules/phone.toml")),
    ("government.toml", include_str!("../rules/government.toml")),
    ("financial.toml", include_str!("../rules/financial.toml")),
    ("network.toml", include_str!("../rules/network.toml")),
    ("date.toml", include_str!("../rules/date.toml")),
    ("secrets.toml", include_str!("../rules/secrets.toml")),
    ("address.toml", include_str!("../rules/address.toml")),
    ("names.toml", include_str!("../rules/names.toml")),
];

/// Configures and builds a [`Scanner`].
///
/// # Example
///
/// ```
/// use hush_detect::{Kind, Scanner};
///
/// let mine = r#"
/// [[rule]]
/// id = "acme.employee"
/// kind = "ID_NUMBER"
/// pattern = 'EMP-[0-9]{6}'
/// anchors = ["EMP-"]
/// max_len = 10
/// examples = ["badge EMP-123456 lost"]
/// "#;
/// let scanner = Scanner::builder()
///     .rules_toml("acme.toml", mine)
///     .kinds(&[Kind::IdNumber])
///     .build()?;
/// let found = scanner.scan_str("badge EMP-004211 lost");
/// assert_eq!(found.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    defaults: bool,
    sources: Vec<(String, String)>,
    kinds: Option<Vec<Kind>>,
    only: Option<Vec<String>>,
    dictionary: Option<crate::dict::Dictionary>,
    recognizers: Vec<Outside>,
}

/// A [`Recognizer`] held by a builder or scanner (shown by its id).
#[derive(Clone)]
struct Outside(std::sync::Arc<dyn Recognizer>);

impl core::fmt::Debug for Outside {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Recognizer({:?})", self.0.id())
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder {
            defaults: true,
            sources: Vec::new(),
            kinds: None,
            only: None,
            dictionary: None,
            recognizers: Vec::new(),
        }
    }
}

impl Builder {
    /// Whether to include the built-in rules (default: yes).
    pub fn default_rules(mut self, yes: bool) -> Builder {
        self.defaults = yes;
        self
    }

    /// Adds rules from TOML text; `origin` names it in errors.
    pub fn rules_toml(mut self, origin: &str, text: &str) -> Builder {
        self.sources.push((origin.to_string(), text.to_string()));
        self
    }

    /// Keeps only rules reporting one of these kinds.
    pub fn kinds(mut self, kinds: &[Kind]) -> Builder {
        self.kinds = Some(kinds.to_vec());
        self
    }

    /// Keeps only the rules with these ids (for testing one rule alone).
    pub fn only_rules(mut self, ids: &[&str]) -> Builder {
        self.only = Some(ids.iter().map(|s| s.to_string()).collect());
        self
    }

    /// Adds a dictionary of terms (customer names, projects, code names):
    /// each term is reported with the kind its label names (`PERSON`,
    /// `ORGANIZATION`, any kind), score 1.0, by a detector
    /// `dictionary.<kind>`; allow-list terms suppress every finding they
    /// overlap. Rename what a kind's tags say with a vault policy label
    /// (`ORGANIZATION` as `CUSTOMER`).
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::{Dictionary, Kind, Scanner};
    ///
    /// let dict = Dictionary::builder()
    ///     .term("Acme Corp", "ORGANIZATION")
    ///     .allow("help@hush.example", "EMAIL")
    ///     .build()?;
    /// let scanner = Scanner::builder().dictionary(dict).build()?;
    /// let found = scanner.scan_str("ACME corp wrote from help@hush.example");
    /// assert_eq!(found.len(), 1);
    /// assert_eq!(found[0].kind, Kind::Organization);
    /// assert_eq!(scanner.detector(found[0].detector).id(), "dictionary.organization");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dictionary(mut self, dict: crate::dict::Dictionary) -> Builder {
        self.dictionary = Some(dict);
        self
    }

    /// Adds a recogniser of your own (a model-based detector, say) that
    /// runs beside the rules: one detector per kind it declares, with
    /// the id `<id>.<kind>`. Kinds left out with [`Builder::kinds`] are
    /// not reported. See [`Recognizer`] for the contract and an example.
    pub fn recognizer(mut self, r: impl Recognizer + 'static) -> Builder {
        self.recognizers.push(Outside(std::sync::Arc::new(r)));
        self
    }

    /// Parses, checks and compiles every rule.
    ///
    /// # Errors
    ///
    /// A TOML syntax error, an invalid rule (unknown kind or validator,
    /// missing anchors, unbounded length, a regex that does not compile)
    /// or a duplicate rule id.
    pub fn build(self) -> Result<Scanner, BuildError> {
        let mut rules = Vec::new();
        if self.defaults {
            for (origin, text) in DEFAULT_RULE_FILES {
                rules.extend(parse_rule_file(origin, text)?);
            }
        }
        for (origin, text) in &self.sources {
            rules.extend(parse_rule_file(origin, text)?);
        }
        let mut seen = std::collections::HashSet::new();
        for r in &rules {
            if !seen.insert(r.spec.id.clone()) {
                return Err(BuildError::new(BuildErrorKind::DuplicateId {
                    rule: r.spec.id.clone(),
                }));
            }
        }
        if let Some(kinds) = &self.kinds {
            rules.retain(|r| kinds.contains(&r.kind));
        }
        if let Some(only) = &self.only {
            rules.retain(|r| only.contains(&r.spec.id));
        }
        // One detector per kind each recogniser declares.
        let mut recognizers = Vec::new();
        let mut reach = (0, 0);
        for rec in &self.recognizers {
            let max_len = rec.0.max_len().clamp(1, MAX_RULE_LEN);
            let mut rule_of_kind = Vec::new();
            for &kind in rec.0.kinds() {
                if self.kinds.as_ref().is_some_and(|k| !k.contains(&kind)) {
                    continue;
                }
                let id = format!(
                    "{}.{}",
                    rec.0.id(),
                    kind.as_str().to_ascii_lowercase()
                );
                if rules.iter().any(|r| r.spec.id == id) {
                    return Err(BuildError::new(
                        BuildErrorKind::DuplicateId { rule: id },
                    ));
                }
                rules.push(crate::rule::outside_rule(
                    &id,
                    kind,
                    max_len,
                    "a recogniser added with Builder::recognizer",
                ));
                rule_of_kind.push((kind, rules.len() - 1));
            }
            reach = (reach.0.max(max_len), reach.1.max(rec.0.context()));
            recognizers.push(RecognizerWiring {
                rec: rec.clone(),
                max_len,
                rule_of_kind,
            });
        }
        let Some(dict) = self.dictionary else {
            let mut scanner = Scanner::compile(rules)?;
            scanner.wire_recognizers(recognizers, reach);
            return Ok(scanner);
        };
        // One detector per kind the dictionary's labels name.
        let mut rule_of_label = Vec::new();
        for label in dict.labels() {
            let kind: Kind = label.trim().to_ascii_uppercase().parse().map_err(|_| {
                BuildError::new(BuildErrorKind::Rule {
                    origin: "dictionary".to_string(),
                    rule: format!("dictionary.{}", label.to_ascii_lowercase()),
                    message: format!(
                        "label {label:?} is not a kind (use PERSON, ORGANIZATION, \
                         LOCATION, ... and rename tags with a policy label)"
                    ),
                })
            })?;
            if self.kinds.as_ref().is_some_and(|k| !k.contains(&kind)) {
                rule_of_label.push(None);
                continue;
            }
            let id =
                format!("dictionary.{}", kind.as_str().to_ascii_lowercase());
            let at = match rules.iter().position(|r| r.spec.id == id) {
                Some(i) => i,
                None => {
                    rules.push(crate::rule::dictionary_rule(
                        &id,
                        kind,
                        dict.max_span(),
                    ));
                    rules.len() - 1
                }
            };
            rule_of_label.push(Some(at));
        }
        let mut scanner = Scanner::compile(rules)?;
        scanner.wire_recognizers(recognizers, reach);
        scanner.settle.raise_floor(dict.max_span() + 1);
        scanner.dict = Some(DictWiring { dict, rule_of_label });
        Ok(scanner)
    }
}

fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

fn compile_regex(
    rule: &Rule,
    pattern: &str,
    kind: MatchKind,
) -> Result<meta::Regex, BuildError> {
    meta::Regex::builder()
        .syntax(syntax_config())
        .configure(meta::Config::new().utf8_empty(false).match_kind(kind))
        .build(pattern)
        .map_err(|e| rule_error(rule, format!("pattern: {e}")))
}

fn rule_error(rule: &Rule, message: String) -> BuildError {
    BuildError::new(BuildErrorKind::Rule {
        origin: "rule".to_string(),
        rule: rule.spec.id.clone(),
        message,
    })
}

/// How many leading positions the start filter checks.
const FILTER_DEPTH: usize = 6;

/// For each of the first [`FILTER_DEPTH`] offsets of a match, the bytes
/// that can occur there (over every path of the rule's automaton, after
/// any left context). Offsets at or past the end of a possible match
/// allow every byte. Computed once at build time by walking the lazy DFA
/// breadth first; any doubt (a cache that fills up) allows every byte,
/// so the filter never rejects a real match.
fn position_bytes(rule: &Rule) -> Result<Vec<[bool; 256]>, BuildError> {
    let dfa = hybrid::dfa::DFA::builder()
        .syntax(syntax_config())
        .thompson(thompson::Config::new().utf8(false))
        .configure(
            hybrid::dfa::DFA::config()
                .cache_capacity(16 * (1 << 20))
                .minimum_cache_clear_count(Some(0)),
        )
        .build(&rule.spec.pattern)
        .map_err(|e| rule_error(rule, format!("pattern: {e}")))?;
    let mut cache = dfa.create_cache();
    let mut table = vec![[false; 256]; FILTER_DEPTH];
    let mut states = Vec::new();
    for left in [None, Some(b' '), Some(b'a')] {
        let hay = [left.unwrap_or(0), b'x'];
        let input = match left {
            Some(_) => Input::new(&hay[..]).range(1..2),
            None => Input::new(&hay[1..]),
        }
        .anchored(Anchored::Yes);
        match dfa.start_state_forward(&mut cache, &input) {
            Ok(sid) => states.push(sid),
            Err(_) => return Ok(vec![[true; 256]; FILTER_DEPTH]),
        }
    }
    for depth in 0..FILTER_DEPTH {
        let mut next_states = Vec::new();
        let mut free = false;
        for &sid in &states {
            for b in 0..=255u8 {
                let Ok(next) = dfa.next_state(&mut cache, sid, b) else {
                    free = true;
                    break;
                };
                if next.is_dead() {
                    continue;
                }
                // A match ending here (length `depth`) frees every later
                // offset, unless the rule never reports one that short.
                let ends_here = next.is_match() && depth >= rule.spec.min_len;
                // A too-short match is reported by a transition on any
                // byte; `b` only counts if a longer match can go on
                // through it (or end right after it).
                if next.is_match() && !ends_here {
                    let on = (0..=255u8).any(|c| {
                        dfa.next_state(&mut cache, next, c)
                            .map_or(true, |n| !n.is_dead())
                    }) || dfa
                        .next_eoi_state(&mut cache, next)
                        .map_or(true, |n| n.is_match());
                    if !on {
                        continue;
                    }
                }
                if ends_here || next.is_quit() {
                    // A match can end before this offset: anything goes
                    // from here on.
                    free = true;
                }
                table[depth][usize::from(b)] = true;
                if !next_states.contains(&next) {
                    next_states.push(next);
                }
            }
        }
        if free {
            for row in table.iter_mut().skip(depth) {
                *row = [true; 256];
            }
            break;
        }
        states = next_states;
    }
    Ok(table)
}

fn word_matcher(words: &[String]) -> Result<Option<AhoCorasick>, BuildError> {
    if words.is_empty() {
        return Ok(None);
    }
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(AcMatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        // Windows are tens of bytes: a prefilter costs more than it saves.
        .prefilter(false)
        .build(words)
        .map(Some)
        .map_err(|e| {
            BuildError::new(BuildErrorKind::Automaton {
                message: e.to_string(),
            })
        })
}

/// A small look-around pattern (`not_followed_by`, `not_preceded_by`),
/// compiled to a dense DFA: no cache, no allocation per search.
#[derive(Clone, Debug)]
struct Guard {
    dfa: dense::DFA<Vec<u32>>,
}

impl Guard {
    fn new(
        rule: &Rule,
        pattern: &str,
        start: StartKind,
    ) -> Result<Guard, BuildError> {
        let dfa = dense::Builder::new()
            .syntax(syntax_config())
            .thompson(thompson::Config::new().utf8(false))
            .configure(dense::Config::new().start_kind(start))
            .build(pattern)
            .map_err(|e| rule_error(rule, format!("guard pattern: {e}")))?;
        Ok(Guard { dfa })
    }

    fn is_match(&self, input: Input<'_>) -> bool {
        // A dense DFA over ASCII-only assertions never quits; if it did,
        // keep the finding (a guard only ever removes findings).
        matches!(self.dfa.try_search_fwd(&input.earliest(true)), Ok(Some(_)))
    }
}

/// A rule ready to run.
#[derive(Clone, Debug)]
struct Compiled {
    detector: Detector,
    regex: meta::Regex,
    /// Bytes allowed at each of the first offsets of a match.
    positions: Vec<[bool; 256]>,
    context: Option<AhoCorasick>,
    anti_context: Option<AhoCorasick>,
    /// The sets of `context` and `anti_context` in `Scanner::words`, when
    /// they are looked up there (see `context.rs`).
    context_set: Option<usize>,
    anti_set: Option<usize>,
    not_followed_by: Option<Guard>,
    not_preceded_by: Option<Guard>,
    /// The pattern has a capture group; the finding is group 1.
    value_group: bool,
}

/// The rules that share one anchor class (digits, or one byte), with a
/// multi-pattern lazy DFA that says which of them can match at a start.
///
/// Before the DFA runs, three bitmasks (one bit per rule of the group)
/// rule out starts cheaply: the rule's automaton must accept the first
/// byte, the start must be within the rule's `before` of the anchor, and
/// a rule that wants a word boundary must not start inside a word.
#[derive(Clone, Debug)]
struct Group {
    rules: Vec<usize>,
    dfa: hybrid::dfa::DFA,
    /// Per offset from a start, per byte: the rules that allow it.
    pos_mask: Box<[[u64; 256]; FILTER_DEPTH]>,
    before_mask: Vec<u64>,
    boundary_mask: u64,
    /// Every rule of the group wants a word boundary at its start.
    all_boundary: bool,
    /// Rules that start only at the key just before the anchor.
    token_mask: u64,
    /// `deep_at[k]`: the deep rules (token rules with `start_tokens` > 2,
    /// which may start further back than the second token, along a chain
    /// of name-like tokens) that may start at the `k`-th token back (`k`
    /// in 2..=MAX_START_TOKENS). `deep_at[2]` is all of them.
    deep_at: [u64; MAX_START_TOKENS + 1],
    /// The largest `start_tokens` of the deep rules.
    deep_tokens: usize,
    /// The largest `before` of any rule in the group.
    before: usize,
    /// The largest `before` of the rules that are not key rules: the
    /// window of starts to slide over.
    window: usize,
    /// Each rule's `max_len`, by bit.
    max_lens: Vec<usize>,
    /// Each rule's `min_len`, by bit.
    min_lens: Vec<usize>,
    max_len: usize,
}

/// The most rules one anchor class can hold (one bit each in a `u64`).
const MAX_GROUP_RULES: usize = 64;

impl Group {
    fn new(
        rules: Vec<usize>,
        compiled: &[Compiled],
    ) -> Result<Group, BuildError> {
        if rules.len() > MAX_GROUP_RULES {
            return Err(BuildError::new(BuildErrorKind::Automaton {
                message: format!(
                    "{} rules share one anchor class; at most {MAX_GROUP_RULES} can",
                    rules.len()
                ),
            }));
        }
        let patterns: Vec<&str> = rules
            .iter()
            .map(|&i| compiled[i].detector.rule.spec.pattern.as_str())
            .collect();
        let dfa = hybrid::dfa::DFA::builder()
            .syntax(syntax_config())
            .thompson(thompson::Config::new().utf8(false))
            .configure(
                hybrid::dfa::DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(8 * (1 << 20)),
            )
            .build_many(&patterns)
            .map_err(|e| {
                BuildError::new(BuildErrorKind::Automaton {
                    message: e.to_string(),
                })
            })?;
        let mut pos_mask = Box::new([[0u64; 256]; FILTER_DEPTH]);
        let mut before = 0;
        let mut max_len = 0;
        let mut boundary_mask = 0;
        let mut token_mask = 0;
        let mut deep_at = [0u64; MAX_START_TOKENS + 1];
        let mut deep_tokens = 0;
        let mut window = 0;
        for (bit, &i) in rules.iter().enumerate() {
            let c = &compiled[i];
            for (k, row) in c.positions.iter().enumerate() {
                for b in 0..256 {
                    if row[b] {
                        pos_mask[k][b] |= 1 << bit;
                    }
                }
            }
            let spec = &c.detector.rule.spec;
            before = before.max(spec.before);
            max_len = max_len.max(spec.max_len);
            if spec.boundary {
                boundary_mask |= 1 << bit;
            }
            if spec.start_at_token {
                token_mask |= 1 << bit;
                if spec.start_tokens > 2 {
                    deep_tokens = deep_tokens.max(spec.start_tokens);
                    for m in &mut deep_at[2..=spec.start_tokens] {
                        *m |= 1 << bit;
                    }
                }
            } else {
                window = window.max(spec.before);
            }
        }
        let before_mask = (0..=before)
            .map(|d| {
                rules.iter().enumerate().fold(0u64, |m, (bit, &i)| {
                    if compiled[i].detector.rule.spec.before >= d {
                        m | (1 << bit)
                    } else {
                        m
                    }
                })
            })
            .collect();
        let max_lens = rules
            .iter()
            .map(|&i| compiled[i].detector.rule.spec.max_len)
            .collect();
        let min_lens = rules
            .iter()
            .map(|&i| compiled[i].detector.rule.spec.min_len)
            .collect();
        let all_boundary =
            boundary_mask == u64::MAX >> (64 - rules.len().max(1));
        Ok(Group {
            rules,
            dfa,
            pos_mask,
            before_mask,
            boundary_mask,
            all_boundary,
            token_mask,
            deep_at,
            deep_tokens,
            before,
            window,
            max_lens,
            min_lens,
            max_len,
        })
    }

    /// The deep rules: see `deep_at`.
    #[inline]
    fn deep_mask(&self) -> u64 {
        self.deep_at[2]
    }

    /// The rules whose automata accept the bytes at offsets 1.. of a
    /// start at `s` (offset 0 is checked by the caller).
    #[inline]
    fn ahead_filter(&self, hay: &[u8], s: usize) -> u64 {
        let pm = &self.pos_mask;
        match hay.get(s..s + FILTER_DEPTH) {
            Some(w) => {
                let mut m = u64::MAX;
                for k in 1..FILTER_DEPTH {
                    m &= pm[k][usize::from(w[k])];
                }
                m
            }
            None => {
                let mut m = u64::MAX;
                for (k, &b) in hay[s + 1..].iter().enumerate() {
                    m &= pm[k + 1][usize::from(b)];
                }
                m
            }
        }
    }

    /// Which rules of `eligible` match anchored at `s` (as a bitmask),
    /// with the end of each one's longest match (within its `max_len`)
    /// in `ends`. A cache failure returns every eligible rule with no
    /// ends known (`usize::MAX`), and the rules' own regexes decide.
    fn matches_at(
        &self,
        cache: &mut GroupCache,
        hay: &[u8],
        s: usize,
        eligible: u64,
        ends: &mut [usize; MAX_GROUP_RULES],
    ) -> u64 {
        let give_up = |ends: &mut [usize; MAX_GROUP_RULES]| {
            ends.iter_mut().for_each(|e| *e = usize::MAX);
            eligible
        };
        let end = hay.len().min(s + self.max_len);
        let input = Input::new(hay).range(s..end).anchored(Anchored::Yes);
        let Some(mut sid) = cache.start(&self.dfa, hay, &input) else {
            return give_up(ends);
        };
        let cache = &mut cache.dfa;
        let mut found = 0u64;
        let mut at = s;
        loop {
            let next = if at < hay.len() && at <= end {
                self.dfa.next_state(cache, sid, hay[at])
            } else {
                self.dfa.next_eoi_state(cache, sid)
            };
            let Ok(next) = next else { return give_up(ends) };
            sid = next;
            if sid.is_tagged() {
                if sid.is_match() {
                    // A match state after the byte at `at` means matches
                    // ending at `at`.
                    for i in 0..self.dfa.match_len(cache, sid) {
                        let bit =
                            self.dfa.match_pattern(cache, sid, i).as_usize();
                        let len = at - s;
                        if len <= self.max_lens[bit]
                            && len >= self.min_lens[bit]
                        {
                            found |= 1 << bit;
                            ends[bit] = at;
                        }
                    }
                }
                if sid.is_dead() {
                    break;
                }
                if sid.is_quit() {
                    return give_up(ends);
                }
            }
            if at >= end || at >= hay.len() {
                break;
            }
            at += 1;
        }
        found & eligible
    }
}

/// The mutable state of one rule pass over a haystack, passed down as one
/// pointer.
struct Pass<'a> {
    /// Per rule: starts below this are already settled.
    tried: Vec<usize>,
    cands: &'a mut Vec<Finding>,
    memo: context::Memo,
    /// Per group bit: the end of the rule's longest match at the start
    /// just walked (only read for rules the walk found, so never stale).
    ends: [usize; MAX_GROUP_RULES],
}

/// Per-thread mutable state for the lazy DFAs of a scanner.
#[derive(Debug)]
struct Caches {
    groups: Vec<GroupCache>,
}

/// A group automaton's lazy-DFA cache, and its anchored start states by
/// the byte before the start (index 256: none), filled as they are met.
/// A start state only depends on that byte, so this skips recomputing
/// it at every candidate start; the ids are dropped whenever the cache
/// is cleared (which invalidates them).
#[derive(Debug)]
struct GroupCache {
    dfa: hybrid::dfa::Cache,
    starts: Box<[Option<hybrid::LazyStateID>; 257]>,
    clears: usize,
}

impl GroupCache {
    fn new(dfa: &hybrid::dfa::DFA) -> GroupCache {
        GroupCache {
            dfa: dfa.create_cache(),
            starts: Box::new([None; 257]),
            clears: 0,
        }
    }

    /// The start state for an anchored search of `input` (which starts
    /// at its span's start in `hay`); `None` if the DFA gives up.
    #[inline]
    fn start(
        &mut self,
        dfa: &hybrid::dfa::DFA,
        hay: &[u8],
        input: &Input<'_>,
    ) -> Option<hybrid::LazyStateID> {
        let s = input.start();
        let k = if s == 0 { 256 } else { usize::from(hay[s - 1]) };
        if self.clears == self.dfa.clear_count() {
            if let Some(sid) = self.starts[k] {
                return Some(sid);
            }
        }
        let sid = dfa.start_state_forward(&mut self.dfa, input).ok()?;
        if self.clears != self.dfa.clear_count() {
            self.starts.fill(None);
            self.clears = self.dfa.clear_count();
        }
        self.starts[k] = Some(sid);
        Some(sid)
    }
}

type CacheFactory = Box<
    dyn Fn() -> Caches
        + Send
        + Sync
        + std::panic::UnwindSafe
        + std::panic::RefUnwindSafe,
>;

/// An immutable, thread-safe scanner built from a rule set.
///
/// Build it once (see [`Scanner::builder`]) and share it: scanning takes
/// `&self`. Scanning accepts any bytes, including invalid UTF-8 and
/// binary data, never panics, and returns findings sorted by start with
/// no two overlapping.
///
/// # Overlap resolution
///
/// When candidates overlap, the one with the higher score wins; on a tie
/// the longer span; then the earlier start; then the rule listed first.
/// The result does not depend on the order in which anchors were found.
///
/// # Example
///
/// ```
/// use hush_detect::{Kind, Scanner};
///
/// let scanner = Scanner::new()?;
/// let text = "Mail bob.smith@mailbox.org or call (415) 555-0132.";
/// let kinds: Vec<Kind> =
///     scanner.scan_str(text).iter().map(|f| f.kind).collect();
/// assert_eq!(kinds, [Kind::Email, Kind::Phone]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Scanner {
    rules: Vec<Compiled>,
    /// Literal anchors of two or more bytes (and single bytes beyond the
    /// three the block test handles).
    literals: Option<AhoCorasick>,
    literal_rules: Vec<Vec<usize>>,
    /// Rules anchored at the start of a run of ASCII digits.
    digit_group: Option<Group>,
    /// Rules anchored at a single byte, indexed by that byte.
    byte_groups: Vec<(u8, Group)>,
    /// Literal index -> literals that are proper prefixes of it, whose
    /// rules fire too when the longer literal matches.
    literal_prefixes: Vec<Vec<usize>>,
    /// Anchors of `anchors_before_number` rules, tested at each number
    /// start instead of searched for: kept out of the literal automaton,
    /// they leave its SIMD prefilter fewer, more distinctive literals.
    /// Sorted by last byte (stably: anchors that can match at one place
    /// share their last byte, so they keep their order).
    number_anchors: Vec<NumberAnchor>,
    /// Per byte: the range of `number_anchors` that end with it.
    number_anchor_by_last: [(u16, u16); 256],
    caches: regex_automata::util::pool::Pool<Caches, CacheFactory>,
    /// Stage-1 byte test: per byte, 1 = digit trigger, 2 = byte trigger.
    trigger_class: [u8; 256],
    trigger_bytes: [u8; 3],
    digits: bool,
    max_match_len: usize,
    max_context: usize,
    /// Every rule's context and anti-context words, in one automaton.
    words: Option<context::Words>,
    /// What streaming needs to know to settle a prefix of a buffer.
    settle: settle::SettleInfo,
    /// A user dictionary and the detector of each of its labels.
    dict: Option<DictWiring>,
    /// The rules of the name detectors (PERSON, LOCATION, ORGANIZATION),
    /// if any is enabled.
    names: Option<NameWiring>,
    /// Recognisers added with `Builder::recognizer`.
    recognizers: Vec<RecognizerWiring>,
}

/// An anchor that counts only before a blank and a digit, and its rules.
#[derive(Debug)]
struct NumberAnchor {
    lit: Box<[u8]>,
    rules: Vec<usize>,
}

/// A recogniser wired into a scanner.
#[derive(Debug)]
struct RecognizerWiring {
    rec: Outside,
    /// Its `max_len`, clamped to `MAX_RULE_LEN`.
    max_len: usize,
    /// Each kind it declared (and the builder kept) and the rule
    /// reporting it.
    rule_of_kind: Vec<(Kind, usize)>,
}

/// The rules that report the name detectors' findings.
#[derive(Debug, Clone, Copy)]
struct NameWiring {
    person: Option<usize>,
    location: Option<usize>,
    organization: Option<usize>,
}

/// A dictionary wired into a scanner.
#[derive(Debug)]
struct DictWiring {
    dict: crate::dict::Dictionary,
    /// Per label of the dictionary: the rule reporting it (`None`: a kind
    /// left out with `Builder::kinds`).
    rule_of_label: Vec<Option<usize>>,
}

impl Scanner {
    /// A scanner with the built-in rules.
    ///
    /// # Errors
    ///
    /// Only if the built-in rules fail to compile, which the test suite
    /// rules out.
    ///
    /// # Example
    ///
    /// ```
    /// let scanner = hush_detect::Scanner::new()?;
    /// assert!(scanner.scan_str("nothing to see here").is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Result<Scanner, BuildError> {
        Builder::default().build()
    }

    /// A builder to add user rules or restrict kinds.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_detect::{Kind, Scanner};
    ///
    /// let emails_only = Scanner::builder().kinds(&[Kind::Email]).build()?;
    /// let found = emails_only.scan_str("a@b.io, 192.168.0.1");
    /// assert_eq!(found.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    fn compile(rules: Vec<Rule>) -> Result<Scanner, BuildError> {
        let mut compiled = Vec::with_capacity(rules.len());
        for rule in rules {
            let regex = compile_regex(
                &rule,
                &rule.spec.pattern,
                MatchKind::LeftmostFirst,
            )?;
            let positions = position_bytes(&rule)?;
            let not_followed_by = match &rule.spec.not_followed_by {
                Some(p) => Some(Guard::new(&rule, p, StartKind::Anchored)?),
                None => None,
            };
            let not_preceded_by = match &rule.spec.not_preceded_by {
                Some(p) => Some(Guard::new(&rule, p, StartKind::Unanchored)?),
                None => None,
            };
            let value_group = regex.captures_len() > 1;
            compiled.push(Compiled {
                value_group,
                regex,
                positions,
                context: word_matcher(&rule.spec.context)?,
                anti_context: word_matcher(&rule.spec.anti_context)?,
                context_set: None,
                anti_set: None,
                not_followed_by,
                not_preceded_by,
                detector: Detector { rule },
            });
        }

        // Every context and anti-context list, looked up in one automaton.
        let lists: Vec<&[String]> = compiled
            .iter()
            .flat_map(|c| {
                let spec = &c.detector.rule.spec;
                [&spec.context[..], &spec.anti_context[..]]
            })
            .collect();
        let (words, set_ids) = context::Words::new(&lists)?;
        for (c, ids) in compiled.iter_mut().zip(set_ids.chunks(2)) {
            c.context_set = ids[0];
            c.anti_set = ids[1];
        }

        // Sort anchors into classes.
        let mut digit_rules = Vec::new();
        let mut byte_rules: Vec<(u8, Vec<usize>)> = Vec::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut literal_rules: Vec<Vec<usize>> = Vec::new();
        let mut number_anchors: Vec<NumberAnchor> = Vec::new();
        let mut add_literal = |lit: Vec<u8>, i: usize| match literals
            .iter()
            .position(|l| *l == lit)
        {
            Some(j) => literal_rules[j].push(i),
            None => {
                literals.push(lit);
                literal_rules.push(vec![i]);
            }
        };
        for (i, c) in compiled.iter().enumerate() {
            let spec = &c.detector.rule.spec;
            if spec.anchor_digits {
                digit_rules.push(i);
            }
            for a in &spec.anchors {
                let variants: Vec<Vec<u8>> = if spec.anchors_case_insensitive {
                    let lower = a.to_ascii_lowercase();
                    let upper = a.to_ascii_uppercase();
                    let mut title = lower.clone().into_bytes();
                    if let Some(f) = title.first_mut() {
                        *f = f.to_ascii_uppercase();
                    }
                    let mut v =
                        vec![lower.into_bytes(), upper.into_bytes(), title];
                    v.dedup();
                    v
                } else {
                    vec![a.as_bytes().to_vec()]
                };
                for lit in variants {
                    if spec.anchors_before_number {
                        match number_anchors.iter_mut().find(|a| *a.lit == lit)
                        {
                            Some(a) => a.rules.push(i),
                            None => number_anchors.push(NumberAnchor {
                                lit: lit.into_boxed_slice(),
                                rules: vec![i],
                            }),
                        }
                    } else if lit.len() == 1 {
                        let b = lit[0];
                        let known =
                            byte_rules.iter().position(|(x, _)| *x == b);
                        match known {
                            Some(j) => byte_rules[j].1.push(i),
                            None if byte_rules.len() < 3 => {
                                byte_rules.push((b, vec![i]))
                            }
                            None => add_literal(lit, i),
                        }
                    } else {
                        add_literal(lit, i);
                    }
                }
            }
        }
        let literal_ac = if literals.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(AcMatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&literals)
                    .map_err(|e| {
                        BuildError::new(BuildErrorKind::Automaton {
                            message: e.to_string(),
                        })
                    })?,
            )
        };
        let digit_group = if digit_rules.is_empty() {
            None
        } else {
            Some(Group::new(digit_rules, &compiled)?)
        };
        let mut byte_groups = Vec::new();
        let mut trigger_class = [0u8; 256];
        let mut trigger_bytes = [0u8; 3];
        for (j, (b, rules)) in byte_rules.into_iter().enumerate() {
            trigger_class[usize::from(b)] |= 2;
            trigger_bytes[j] = b;
            byte_groups.push((b, Group::new(rules, &compiled)?));
        }
        // Unused slots repeat a used byte so the block test stays exact.
        let fill = trigger_bytes[0];
        for (j, slot) in trigger_bytes.iter_mut().enumerate() {
            if j >= byte_groups.len() {
                *slot = fill;
            }
        }
        // Rule validation rejects empty anchors; an empty literal would
        // sort first and be indexed under no byte.
        number_anchors.sort_by_key(|a| a.lit.last().copied());
        let mut number_anchor_by_last = [(0u16, 0u16); 256];
        for (i, a) in number_anchors.iter().enumerate() {
            if let Some(&b) = a.lit.last() {
                let i = u16::try_from(i).map_err(|_| {
                    BuildError::new(BuildErrorKind::Automaton {
                        message: "more than 65,535 number anchors".into(),
                    })
                })?;
                let slot = &mut number_anchor_by_last[usize::from(b)];
                if slot.1 == 0 {
                    slot.0 = i;
                }
                slot.1 = i + 1;
            }
        }
        let digits = digit_group.is_some() || !number_anchors.is_empty();
        if digits {
            for b in b'0'..=b'9' {
                trigger_class[usize::from(b)] |= 1;
            }
        }
        if byte_groups.is_empty() && !digits {
            // Nothing but literals: make the block test never fire.
            trigger_bytes = [0; 3];
            trigger_class[0] = 0;
        }
        let max_match_len = compiled
            .iter()
            .map(|c| c.detector.rule.spec.max_len)
            .max()
            .unwrap_or(0);
        let max_context = compiled
            .iter()
            .map(|c| c.detector.rule.spec.context_window)
            .max()
            .unwrap_or(0);
        let mut literal_prefixes = vec![Vec::new(); literals.len()];
        for (i, long) in literals.iter().enumerate() {
            for (j, short) in literals.iter().enumerate() {
                if i != j && long.starts_with(short) {
                    literal_prefixes[i].push(j);
                }
            }
        }
        let detector_rule = |d: &str| {
            compiled.iter().position(|c| {
                c.detector.rule.spec.detector.as_deref() == Some(d)
            })
        };
        let names = NameWiring {
            person: detector_rule("person"),
            location: detector_rule("location"),
            organization: detector_rule("organization"),
        };
        let names = (names.person.is_some()
            || names.location.is_some()
            || names.organization.is_some())
        .then_some(names);
        // Number anchors are found from the digit after them: for settling
        // they are digit anchors that reach back over the anchor too
        // (`RuleSpec::reach_before`).
        let number_rules: Vec<usize> = digit_group
            .iter()
            .flat_map(|g| g.rules.iter().copied())
            .chain(number_anchors.iter().flat_map(|a| a.rules.iter().copied()))
            .collect();
        let mut settle = settle::SettleInfo::new(
            &compiled,
            &literals,
            &literal_rules,
            (!number_rules.is_empty()).then_some(&number_rules[..]),
            &byte_groups
                .iter()
                .map(|(b, g)| (*b, &g.rules[..]))
                .collect::<Vec<_>>(),
        );
        if names.is_some() {
            // A name finding depends on the bytes from `LEFT` before its
            // start to `HOLD` after it.
            crate::names::lexicon();
            settle.raise_floor(crate::names::HOLD + 1);
            settle.raise_left(crate::names::LEFT);
        }
        let caches = {
            let dfas: Vec<hybrid::dfa::DFA> = digit_group
                .iter()
                .chain(byte_groups.iter().map(|(_, g)| g))
                .map(|g| g.dfa.clone())
                .collect();
            let factory: CacheFactory = Box::new(move || Caches {
                groups: dfas.iter().map(GroupCache::new).collect(),
            });
            regex_automata::util::pool::Pool::new(factory)
        };
        Ok(Scanner {
            rules: compiled,
            literals: literal_ac,
            literal_rules,
            literal_prefixes,
            number_anchors,
            number_anchor_by_last,
            caches,
            digit_group,
            byte_groups,
            trigger_class,
            trigger_bytes,
            digits,
            max_match_len,
            max_context,
            words,
            settle,
            dict: None,
            names,
            recognizers: Vec::new(),
        })
    }

    /// Wires recognisers in, with what streaming must hold back for them:
    /// `reach` is (longest span, context before it).
    fn wire_recognizers(
        &mut self,
        recognizers: Vec<RecognizerWiring>,
        reach: (usize, usize),
    ) {
        if recognizers.is_empty() {
            return;
        }
        self.settle.raise_floor(reach.0 + 1);
        self.settle.raise_left(reach.1);
        self.max_match_len = self.max_match_len.max(reach.0);
        self.max_context = self.max_context.max(reach.1);
        self.recognizers = recognizers;
    }

    /// The detectors (rules) of this scanner, in rule order.
    pub fn detectors(&self) -> impl Iterator<Item = &Detector> + '_ {
        self.rules.iter().map(|c| &c.detector)
    }

    /// The detector with this id.
    ///
    /// # Panics
    ///
    /// If `id` came from a different scanner with more rules.
    pub fn detector(&self, id: DetectorId) -> &Detector {
        &self.rules[id.as_usize()].detector
    }

    /// The longest match any rule can produce, in bytes. A streaming
    /// caller that keeps this many bytes (plus [`Scanner::max_context`])
    /// of overlap between windows sees every match whole.
    ///
    /// # Example
    ///
    /// ```
    /// let scanner = hush_detect::Scanner::new()?;
    /// assert!(scanner.max_match_len() <= 8192);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_match_len(&self) -> usize {
        self.max_match_len
    }

    /// The widest context window (bytes on each side of a match) any rule
    /// reads to score a match.
    pub fn max_context(&self) -> usize {
        self.max_context
    }

    /// Scans a string. Offsets are byte offsets into `text`, always on
    /// character boundaries.
    pub fn scan_str(&self, text: &str) -> Vec<Finding> {
        self.scan(text.as_bytes())
    }

    /// Scans bytes and returns the findings, sorted and non-overlapping.
    pub fn scan(&self, hay: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        self.scan_into(hay, &mut out);
        out
    }

    /// Like [`Scanner::scan`], but appends to `out` (which is cleared
    /// first) so a caller can reuse one allocation across many scans.
    ///
    /// # Example
    ///
    /// ```
    /// let scanner = hush_detect::Scanner::new()?;
    /// let mut out = Vec::new();
    /// for line in ["a 10.0.0.1", "b none", "c 10.0.0.2"] {
    ///     scanner.scan_into(line.as_bytes(), &mut out);
    ///     println!("{} findings", out.len());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scan_into(&self, hay: &[u8], out: &mut Vec<Finding>) {
        out.clear();
        let mut cands: Vec<Finding> = Vec::new();
        let mut open = usize::MAX;
        self.candidates(hay, 0, &mut cands, &mut open);
        resolve(&mut cands, out);
    }

    /// Every candidate of `hay` that passed validation and scoring, before
    /// overlap resolution, in no particular order. Lowers `open` to the
    /// earliest start of a match at an anchor whose reach passes the end
    /// of `hay` (see `settle`).
    fn candidates(
        &self,
        hay: &[u8],
        from: usize,
        cands: &mut Vec<Finding>,
        open: &mut usize,
    ) {
        let mut pass = Pass {
            tried: vec![0usize; self.rules.len()],
            cands,
            memo: context::Memo::default(),
            ends: [usize::MAX; MAX_GROUP_RULES],
        };
        if let Some(ac) = &self.literals {
            let fire = |pid: usize, start: usize, pass: &mut Pass<'_>| {
                for &r in &self.literal_rules[pid] {
                    self.confirm_rule(hay, r, start, pass);
                }
            };
            // Leftmost-longest from every position after the last match
            // start visits every position where a literal begins; the
            // shorter literals there are prefixes of the longest one.
            let mut pos = 0;
            while pos < hay.len() {
                let input = aho_corasick::Input::new(hay).range(pos..);
                let Some(m) = ac.find(input) else { break };
                let pid = m.pattern().as_usize();
                self.settle.literal_open(pid, m.start(), hay.len(), open);
                fire(pid, m.start(), &mut pass);
                for &short in &self.literal_prefixes[pid] {
                    fire(short, m.start(), &mut pass);
                }
                pos = m.start() + 1;
            }
        }
        if self.digits || !self.byte_groups.is_empty() {
            pass.tried.iter_mut().for_each(|t| *t = 0);
            let mut caches = self.caches.get();
            let mut group_tried = vec![0usize; 1 + self.byte_groups.len()];
            let mut carry = false;
            let mut block = 0;
            while block < hay.len() {
                let (digits, bytes) = self.block_masks(hay, block);
                // Only the first digit of a run is an anchor.
                let starts = digits & !((digits << 1) | u64::from(carry));
                let width = (hay.len() - block).min(64);
                carry = digits >> (width - 1) & 1 == 1;
                let mut mask = starts | bytes;
                while mask != 0 {
                    let p = block + mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let b = hay[p];
                    self.settle.byte_open(b, p, hay.len(), open);
                    if b.is_ascii_digit() && !self.number_anchors.is_empty() {
                        self.number_anchor_hits(hay, p, &mut pass);
                    }
                    if b.is_ascii_digit() && !continues_number(hay, p) {
                        if let Some(g) = &self.digit_group {
                            self.run_group(
                                hay,
                                g,
                                &mut caches.groups[0],
                                p,
                                &mut group_tried[0],
                                &mut pass,
                            );
                        }
                    }
                    if self.trigger_class[usize::from(b)] & 2 != 0 {
                        let j = self
                            .byte_groups
                            .iter()
                            .position(|(x, _)| *x == b)
                            .unwrap_or(0);
                        let cache_index =
                            j + usize::from(self.digit_group.is_some());
                        self.run_group(
                            hay,
                            &self.byte_groups[j].1,
                            &mut caches.groups[cache_index],
                            p,
                            &mut group_tried[j + 1],
                            &mut pass,
                        );
                    }
                }
                block += 64;
            }
        }
        let cands = pass.cands;
        if let Some(w) = &self.names {
            self.name_candidates(*w, hay, from, cands);
        }
        if !self.recognizers.is_empty() {
            self.recognizer_candidates(hay, from, cands);
        }
        if let Some(w) = &self.dict {
            self.dictionary_candidates(w, hay, from, cands);
        }
    }

    /// What the recognisers report, as candidates; spans that break the
    /// contract (see `Recognizer`) are dropped.
    fn recognizer_candidates(
        &self,
        hay: &[u8],
        from: usize,
        cands: &mut Vec<Finding>,
    ) {
        let mut found = Vec::new();
        for w in &self.recognizers {
            found.clear();
            w.rec.0.find(hay, from, &mut found);
            for r in &found {
                let ok = from <= r.start
                    && r.start < r.end
                    && r.end <= hay.len()
                    && r.end - r.start <= w.max_len;
                let rule = w
                    .rule_of_kind
                    .iter()
                    .find(|(k, _)| *k == r.kind)
                    .map(|&(_, i)| i);
                let (true, Some(rule)) = (ok, rule) else { continue };
                let score = if r.score.is_nan() { 0.0 } else { r.score };
                cands.push(Finding {
                    kind: r.kind,
                    start: r.start,
                    end: r.end,
                    score: score.clamp(0.0, 1.0),
                    detector: DetectorId(rule as u32),
                });
            }
        }
    }

    /// The name detectors' findings as candidates, except those that
    /// overlap a rule's candidate (an e-mail address, a URL, a street
    /// address: the structured finding covers the name).
    fn name_candidates(
        &self,
        w: NameWiring,
        hay: &[u8],
        from: usize,
        cands: &mut Vec<Finding>,
    ) {
        let mut hits = Vec::new();
        crate::names::find(hay, from, &mut hits);
        if hits.is_empty() {
            return;
        }
        let rule_spans = crate::spans::SpanIndex::new(
            cands.iter().map(|f| (f.start, f.end)).collect(),
        );
        for h in hits {
            let rule = match h.kind {
                crate::names::NameKind::Person => w.person,
                crate::names::NameKind::Location => w.location,
                crate::names::NameKind::Organization => w.organization,
            };
            let Some(r) = rule else { continue };
            if rule_spans.overlaps(h.start, h.end) {
                continue;
            }
            cands.push(Finding {
                kind: self.rules[r].detector.rule.kind,
                start: h.start,
                end: h.end,
                score: h.score,
                detector: DetectorId(r as u32),
            });
        }
    }

    /// Dictionary terms as candidates, and allow-list terms removing the
    /// candidates they overlap. Searched from `from`: a streaming caller
    /// has settled what comes before, and no match crosses it.
    fn dictionary_candidates(
        &self,
        w: &DictWiring,
        hay: &[u8],
        from: usize,
        cands: &mut Vec<Finding>,
    ) {
        let mut allowed: Vec<(usize, usize)> = Vec::new();
        // A term inside a longer finding (`acme` in `bob@acme.io`) is
        // covered by it: replacing the term alone would leave the rest
        // of the address in the clear.
        let rule_found = cands.len();
        let inside = |cands: &[Finding], s: usize, e: usize| {
            cands[..rule_found]
                .iter()
                .any(|f| f.start <= s && e <= f.end && f.end - f.start > e - s)
        };
        for m in w.dict.find_from(hay, from) {
            if m.allow {
                allowed.push((m.start, m.end));
                continue;
            }
            let rule =
                w.dict.label_index(m.label).and_then(|i| w.rule_of_label[i]);
            if let Some(r) = rule.filter(|_| !inside(cands, m.start, m.end)) {
                cands.push(Finding {
                    kind: self.rules[r].detector.rule.kind,
                    start: m.start,
                    end: m.end,
                    score: 1.0,
                    detector: DetectorId(r as u32),
                });
            }
        }
        if !allowed.is_empty() {
            cands.retain(|f| {
                !allowed.iter().any(|&(a, b)| a < f.end && f.start < b)
            });
        }
    }

    /// Bit masks of the digits and of the single-byte anchors in the
    /// (up to) 64 bytes at `block`. Written as plain comparisons over a
    /// fixed-size array so that the compiler vectorises it.
    #[inline]
    fn block_masks(&self, hay: &[u8], block: usize) -> (u64, u64) {
        let [b0, b1, b2] = self.trigger_bytes;
        let nd: u8 = if self.digits { 10 } else { 0 };
        let nb = !self.byte_groups.is_empty();
        let mut buf = [0u8; 64];
        let chunk = &hay[block..hay.len().min(block + 64)];
        let bytes: &[u8; 64] = match chunk.try_into() {
            Ok(full) => full,
            Err(_) => {
                // The tail: pad with a byte that is never a trigger.
                buf[..chunk.len()].copy_from_slice(chunk);
                let pad = (0..=255u8)
                    .find(|&x| {
                        !x.is_ascii_digit() && x != b0 && x != b1 && x != b2
                    })
                    .unwrap_or(b' ');
                buf[chunk.len()..].fill(pad);
                &buf
            }
        };
        crate::trigger::block_masks(bytes, [b0, b1, b2], nd == 10, nb)
    }

    /// Fires the rules of every number anchor that ends right before the
    /// blank before the number starting at `p`: the same anchors, at the
    /// same offsets, as a literal search would report there.
    #[inline]
    fn number_anchor_hits(&self, hay: &[u8], p: usize, pass: &mut Pass<'_>) {
        if p < 2 || hay[p - 1] != b' ' {
            return;
        }
        let (lo, hi) = self.number_anchor_by_last[usize::from(hay[p - 2])];
        let end = p - 1;
        for a in &self.number_anchors[usize::from(lo)..usize::from(hi)] {
            // Short literals: a byte loop, not a `memcmp` call.
            let n = a.lit.len();
            if n <= end
                && hay[end - n..end].iter().zip(&*a.lit).all(|(x, y)| x == y)
            {
                let q = end - n;
                for &r in &a.rules {
                    self.confirm_rule(hay, r, q, pass);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_group(
        &self,
        hay: &[u8],
        g: &Group,
        cache: &mut GroupCache,
        p: usize,
        group_tried: &mut usize,
        pass: &mut Pass<'_>,
    ) {
        let floor = p.saturating_sub(g.before).max(*group_tried);
        // Token starts as plain offsets (usize::MAX for none): this loop
        // runs for every anchor, so it avoids Option and iterator chains.
        let (t1, t2) = if g.token_mask != 0 {
            let (a, b) = token_starts(hay, p, floor);
            (a.unwrap_or(usize::MAX), b.unwrap_or(usize::MAX))
        } else {
            (usize::MAX, usize::MAX)
        };
        let mut tokens =
            Tokens { t1, t2, deep: [usize::MAX; MAX_START_TOKENS] };
        if g.deep_mask() != 0 && t1 != usize::MAX {
            // The chain goes on only past a capitalised second token; an
            // ASCII one that is not is also the chain's second token
            // (both walks read tokens alike up to a non-ASCII byte).
            let walk = t2 == usize::MAX
                || hay[t2].is_ascii_uppercase()
                || (t2 > 0 && hay[t2 - 1] >= 0x80);
            if walk {
                deep_token_starts(
                    hay,
                    t1,
                    floor,
                    g.deep_tokens,
                    &mut tokens.deep,
                );
            }
        }
        // Rules that start only at a token need no sliding window.
        let lo = p.saturating_sub(g.window).max(*group_tried);
        let mut visit =
            |s: usize| self.visit_start(hay, g, cache, p, s, &tokens, pass);
        // The token starts before the window, farthest first: the chain's
        // go back from its second token, which is at or before `t2`.
        for &s in tokens.deep[1..].iter().rev() {
            if s < lo {
                visit(s);
            }
        }
        let d = tokens.deep[0];
        if d < lo && d != t2 {
            visit(d);
        }
        if t2 < lo {
            visit(t2);
        }
        if t1 < lo && t1 != t2 {
            visit(t1);
        }
        if g.all_boundary && p - lo > 8 {
            // No start right after an ASCII letter or digit passes the
            // boundary test (`visit_start` would return at once), so those
            // are skipped with one load. Only long windows (`@`) gain: in
            // the digits' three starts the test costs more than it saves.
            for s in lo..=p {
                if s == 0 || !hay[s - 1].is_ascii_alphanumeric() {
                    visit(s);
                }
            }
        } else {
            for s in lo..=p {
                visit(s);
            }
        }
        *group_tried = (*group_tried).max(p + 1);
    }

    /// One candidate start `s` of group `g` for the anchor at `p`: the
    /// bitmask filters, then the group automaton, then each rule that
    /// matched. `tokens` are the token starts of the anchor.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn visit_start(
        &self,
        hay: &[u8],
        g: &Group,
        cache: &mut GroupCache,
        p: usize,
        s: usize,
        tokens: &Tokens,
        pass: &mut Pass<'_>,
    ) {
        let mut eligible =
            g.pos_mask[0][usize::from(hay[s])] & g.before_mask[p - s];
        if g.token_mask != 0 && s != tokens.t1 {
            // The token rules that may start at `s`: at the second token
            // all of them, unless the chain walk found its own tokens.
            let mut at = 0;
            if tokens.deep[0] == usize::MAX {
                if s == tokens.t2 {
                    at = g.token_mask;
                }
            } else {
                if s == tokens.t2 {
                    at = g.token_mask & !g.deep_mask();
                }
                for (k, &t) in tokens.deep.iter().enumerate() {
                    if t == s {
                        at |= g.deep_at[k + 2];
                    }
                }
            }
            eligible &= !g.token_mask | at;
        }
        if eligible == 0 {
            return;
        }
        if s > 0 && word_before(hay, s) {
            eligible &= !g.boundary_mask;
            if eligible == 0 {
                return;
            }
        }
        eligible &= g.ahead_filter(hay, s);
        if eligible == 0 {
            return;
        }
        let mut found = g.matches_at(cache, hay, s, eligible, &mut pass.ends);
        while found != 0 {
            let bit = found.trailing_zeros() as usize;
            found &= found - 1;
            let end = pass.ends[bit];
            let end = if end == usize::MAX { None } else { Some(end) };
            self.try_start(hay, g.rules[bit], s, p, end, pass);
        }
    }

    fn confirm_rule(
        &self,
        hay: &[u8],
        r: usize,
        p: usize,
        pass: &mut Pass<'_>,
    ) {
        let c = &self.rules[r];
        let lo =
            p.saturating_sub(c.detector.rule.spec.before).max(pass.tried[r]);
        for s in lo..=p {
            if c.positions[0][usize::from(hay[s])] {
                self.try_start(hay, r, s, p, None, pass);
            }
        }
        pass.tried[r] = pass.tried[r].max(p + 1);
    }

    /// Tries rule `r` anchored at `s` for the anchor at `p`. `known_end`
    /// is the end of the longest match at `s`, when the group automaton
    /// already found it; otherwise the rule's regex finds it.
    #[allow(clippy::too_many_arguments)]
    fn try_start(
        &self,
        hay: &[u8],
        r: usize,
        s: usize,
        p: usize,
        known_end: Option<usize>,
        pass: &mut Pass<'_>,
    ) {
        let memo = &mut pass.memo;
        let c = &self.rules[r];
        let spec = &c.detector.rule.spec;
        if s < pass.tried[r] || s + spec.before < p {
            return;
        }
        if s > 0 {
            let prev = hay[s - 1];
            if spec.boundary && word_before(hay, s) {
                return;
            }
            if c.detector.rule.not_after[usize::from(prev)] {
                return;
            }
        }
        let end = hay.len().min(s + spec.max_len);
        let input = Input::new(hay).range(s..end).anchored(Anchored::Yes);
        let mut caps = None;
        let m_end = if c.value_group {
            // One search gives the match and its groups; a known end
            // narrows the haystack the capture engine has to look at.
            let narrow = match known_end {
                Some(e) => Input::new(hay).range(s..e).anchored(Anchored::Yes),
                None => input,
            };
            let mut cs = c.regex.create_captures();
            c.regex.search_captures(&narrow, &mut cs);
            let Some(m) = cs.get_match() else { return };
            caps = Some(cs);
            m.end()
        } else {
            match known_end {
                Some(e) => e,
                None => match c.regex.find(input) {
                    Some(m) => m.end(),
                    None => return,
                },
            }
        };
        if m_end <= p || m_end < s + spec.min_len {
            return;
        }
        let mut found = None;
        if let Some(caps) = caps {
            // The value is the first capture group that took part.
            let value = (1..caps.group_len()).find_map(|g| caps.get_group(g));
            if let Some(v) = value {
                if !v.is_empty() {
                    found = self
                        .evaluate(hay, r, v.start, v.end, memo)
                        .map(|score| (v.start, v.end, score));
                }
            }
        } else if !spec.value_after.is_empty() {
            if let Some((vs, ve)) =
                value_after(hay, s, m_end, spec.value_after.as_bytes())
            {
                found = self
                    .evaluate(hay, r, vs, ve, memo)
                    .map(|score| (vs, ve, score));
            }
        } else {
            found = self
                .evaluate(hay, r, s, m_end, memo)
                .map(|score| (s, m_end, score));
            if found.is_none() && !spec.shrink_at.is_empty() {
                found = self.shrink(hay, r, s, p, m_end, memo);
            }
        }
        if let Some((start, end, score)) = found {
            pass.cands.push(Finding {
                kind: c.detector.rule.kind,
                start,
                end,
                score,
                detector: DetectorId(r as u32),
            });
            pass.tried[r] = m_end;
        }
    }

    /// After a match fails validation, retries shorter matches that end
    /// just before one of the rule's `shrink_at` bytes (e.g. an IBAN
    /// followed by an upper-case word).
    fn shrink(
        &self,
        hay: &[u8],
        r: usize,
        s: usize,
        p: usize,
        end: usize,
        memo: &mut context::Memo,
    ) -> Option<(usize, usize, f32)> {
        let c = &self.rules[r];
        let shrink_at = &c.detector.rule.shrink_at;
        for q in (p + 1..end).rev() {
            if !shrink_at[usize::from(hay[q])] {
                continue;
            }
            let input = Input::new(hay).range(s..q).anchored(Anchored::Yes);
            match c.regex.find(input) {
                Some(m) if m.end() == q => {
                    if let Some(score) = self.evaluate(hay, r, s, q, memo) {
                        return Some((s, q, score));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Validation and context scoring; `None` rejects the match.
    fn evaluate(
        &self,
        hay: &[u8],
        r: usize,
        s: usize,
        e: usize,
        memo: &mut context::Memo,
    ) -> Option<f32> {
        let c = &self.rules[r];
        let rule = &c.detector.rule;
        let spec = &rule.spec;
        if let Some(nf) = &c.not_followed_by {
            let end = hay.len().min(e + 64);
            let input = Input::new(hay).range(e..end).anchored(Anchored::Yes);
            if nf.is_match(input) {
                return None;
            }
        }
        if let Some(np) = &c.not_preceded_by {
            // Matched against the text just before the finding, so `$`
            // in the pattern means "right before the finding".
            let before = &hay[s.saturating_sub(64)..s];
            if np.is_match(Input::new(before)) {
                return None;
            }
        }
        if !spec.context_required && !valid(rule.validator, &hay[s..e]) {
            return None;
        }
        let lo = s.saturating_sub(spec.context_window);
        let hi = hay.len().min(e + spec.context_window);
        if let Some(anti) = &c.anti_context {
            let window =
                spec.anti_context_window.unwrap_or(spec.context_window);
            let lo = s.saturating_sub(window);
            let found = match (c.anti_set, &self.words) {
                (Some(set), Some(w)) => {
                    let mut found = false;
                    memo.words(w, set, hay, lo, s, |a, b| {
                        found = bounded(hay, a, b);
                        !found
                    });
                    found
                }
                _ => has_word(anti, hay, lo, s),
            };
            if found {
                return None;
            }
        }
        let mut score = spec.score;
        if let Some(ctx) = &c.context {
            // Before first: a hit there makes the (equal-cost) search
            // after the match unnecessary.
            let near = |memo: &mut context::Memo, after: bool| {
                let (from, to) = if after { (e, hi) } else { (lo, s) };
                match (c.context_set, &self.words) {
                    (Some(set), Some(w)) => {
                        let mut gap = None;
                        memo.words(w, set, hay, from, to, |a, b| {
                            if !bounded(hay, a, b) {
                                return true;
                            }
                            gap = Some(if after { a - e } else { s - b });
                            // The first word after, the last one before.
                            !after
                        });
                        gap
                    }
                    _ if after => nearest_word_after(ctx, hay, from, to),
                    _ => nearest_word_before(ctx, hay, from, to),
                }
            };
            let gap = near(memo, false).or_else(|| {
                if spec.context_after {
                    // Labels usually come first: a word after the match
                    // counts as farther than any word before it.
                    near(memo, true).map(|g| g + spec.context_window)
                } else {
                    None
                }
            });
            if let Some(gap) = gap {
                let full = spec
                    .context_score
                    .unwrap_or((spec.score + spec.context_boost).min(1.0));
                // The nearer the word, the higher the score (by at most
                // CONTEXT_PROXIMITY * window), so that when two rules'
                // labels are both in reach ("SSN: ...\nSIN: 775909260")
                // the closer label decides.
                score = (full - CONTEXT_PROXIMITY * gap as f32).max(0.0);
            } else if spec.context_required {
                return None;
            }
        }
        // Rules that need a context word check it first (it rejects
        // most of their candidates); the others validate first. Every
        // check is pure and all must pass, so the order only changes
        // the cost.
        if spec.context_required && !valid(rule.validator, &hay[s..e]) {
            return None;
        }
        Some(score)
    }
}

/// Whether `m` passes the validator, if any.
#[inline]
fn valid(v: Option<crate::validate::Validator>, m: &[u8]) -> bool {
    v.is_none_or(|v| v.check(m))
}

/// The two starts a `start_at_token` rule may use for the anchor at
/// `p`: the start of the token (a run of `[A-Za-z0-9_.-]`) that reaches
/// the anchor, and the start of the token before that one, across at
/// most three separator bytes (blank, quote, colon, period, comma). Not
/// below `lo`.
fn token_starts(
    hay: &[u8],
    p: usize,
    lo: usize,
) -> (Option<usize>, Option<usize>) {
    let is_token =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    let mut i = p;
    while i > lo && is_token(hay[i - 1]) {
        i -= 1;
    }
    (Some(i), token_before(hay, i, lo, is_token).map(|(s, _)| s))
}

/// The token (start, end) before offset `t`, across at most three
/// separator bytes (blank, quote, colon, period, comma), whose bytes pass
/// `is_token`; not below `lo`.
#[inline]
fn token_before(
    hay: &[u8],
    t: usize,
    lo: usize,
    is_token: impl Fn(u8) -> bool,
) -> Option<(usize, usize)> {
    let mut i = t;
    let mut skipped = 0;
    while i > lo
        && skipped < 3
        && matches!(
            hay[i - 1],
            b'"' | b'\'' | b' ' | b'\t' | b':' | b'.' | b','
        )
    {
        i -= 1;
        skipped += 1;
    }
    let end = i;
    while i > lo && is_token(hay[i - 1]) {
        i -= 1;
    }
    (i < end).then_some((i, end))
}

/// The most tokens a `start_at_token` rule may reach back over.
pub(crate) const MAX_START_TOKENS: usize = 6;

/// The token starts of one anchor (`usize::MAX` for none).
struct Tokens {
    t1: usize,
    t2: usize,
    /// For rules with `start_tokens` > 2: the starts of the 2nd, 3rd, ...
    /// tokens back, where tokens also hold non-ASCII letters (`Sáenz`).
    deep: [usize; MAX_START_TOKENS],
}

/// Fills `out` with the starts of the tokens before the one at `t1`
/// (the 2nd token back first), up to `n` tokens in all, across at most
/// three separators each, not below `lo`. A chain of names: the walk goes
/// on past the 2nd token only if it starts with a capital, and past a
/// later one only if it starts with a capital or is a short lower-case
/// word (`de`, `da`, `del`): `Thursday, March 16`, `Rua da Paz, 9`.
fn deep_token_starts(
    hay: &[u8],
    t1: usize,
    lo: usize,
    n: usize,
    out: &mut [usize; MAX_START_TOKENS],
) {
    let is_token = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(b, b'_' | b'.' | b'-')
            || b >= 0x80
    };
    let mut t = t1;
    for (k, slot) in out.iter_mut().enumerate().take(n.saturating_sub(1)) {
        let Some((i, end)) = token_before(hay, t, lo, is_token) else {
            return;
        };
        *slot = i;
        let word = &hay[i..end];
        let capital = word[0].is_ascii_uppercase() || word[0] >= 0xc3;
        let short = k > 0
            && word.len() <= 3
            && word.iter().all(u8::is_ascii_lowercase);
        if !(capital || short) {
            return;
        }
        t = i;
    }
}

/// The value part of a `key = value` match `hay[s..e]` for rules with
/// `value_after`: it starts after the first operator byte (one of `ops`)
/// and any further operator, blank or quote bytes, and ends at the match
/// end, less a closing quote when the value was quoted.
fn value_after(
    hay: &[u8],
    s: usize,
    e: usize,
    ops: &[u8],
) -> Option<(usize, usize)> {
    let m = &hay[s..e];
    let op = m.iter().position(|b| ops.contains(b))?;
    let mut i = op + 1;
    let mut quote = None;
    while i < m.len()
        && (ops.contains(&m[i])
            || matches!(m[i], b' ' | b'\t' | b'>' | b'"' | b'\''))
    {
        if matches!(m[i], b'"' | b'\'') {
            quote = Some(m[i]);
        }
        i += 1;
    }
    let mut j = m.len();
    if quote.is_some() && j > i && Some(m[j - 1]) == quote {
        j -= 1;
    }
    (i < j).then_some((s + i, s + j))
}

/// Whether the digit run at `p` continues a number (`10:30`, `9,739`,
/// `192.168`): its first digit follows one joiner byte after a digit.
/// Digit rules start where the number starts, and a start right after a
/// joiner is what their `not_after` guards reject anyway, so such runs
/// are not anchors of their own.
#[inline]
fn continues_number(hay: &[u8], p: usize) -> bool {
    p >= 2
        && matches!(hay[p - 1], b'.' | b',' | b':' | b'/' | b'-')
        && hay[p - 2].is_ascii_digit()
}

/// Whether the character that ends just before `i` is a letter or digit.
/// ASCII is judged by the byte; otherwise the UTF-8 character ending
/// there is decoded, so that curly quotes, dashes and no-break spaces
/// count as boundaries but `é` or `中` do not. Bytes that do not end a
/// valid UTF-8 character are not word characters.
#[inline]
pub(crate) fn word_before(hay: &[u8], i: usize) -> bool {
    let b = hay[i - 1];
    if b < 0x80 {
        return b.is_ascii_alphanumeric();
    }
    let from = i.saturating_sub(4);
    (from..i - 1).rev().chain([i - 1]).any(|st| {
        // The longest valid character that ends exactly at `i`.
        core::str::from_utf8(&hay[st..i])
            .ok()
            .and_then(|t| {
                let mut cs = t.chars();
                let c = cs.next()?;
                cs.next().is_none().then_some(c)
            })
            .is_some_and(char::is_alphanumeric)
    })
}

/// Whether any of the words occurs in `hay[lo..hi]` with word boundaries
/// on both sides (judged against the whole haystack).
fn has_word(ac: &AhoCorasick, hay: &[u8], lo: usize, hi: usize) -> bool {
    words(ac, hay, lo, hi).next().is_some()
}

/// Score lost per byte between a match and its nearest context word.
const CONTEXT_PROXIMITY: f32 = 0.0005;

/// The context words in `hay[lo..hi]` with word boundaries on both
/// sides (judged against the whole haystack), as spans.
fn words<'a>(
    ac: &'a AhoCorasick,
    hay: &'a [u8],
    lo: usize,
    hi: usize,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    ac.find_iter(aho_corasick::Input::new(hay).range(lo..hi)).filter_map(
        move |m| {
            bounded(hay, m.start(), m.end()).then_some((m.start(), m.end()))
        },
    )
}

/// Whether the word `hay[start..end]` has word boundaries on both sides
/// (a side that begins or ends with a non-word byte needs none).
fn bounded(hay: &[u8], start: usize, end: usize) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
    let left_ok = start == 0 || !word_before(hay, start);
    let first = hay[start];
    let last = hay[end - 1];
    let right_ok = end >= hay.len() || !is_word(hay[end]);
    (left_ok || !is_word(first)) && (right_ok || !is_word(last))
}

/// Bytes between the last context word in `hay[lo..s]` and `s`.
fn nearest_word_before(
    ac: &AhoCorasick,
    hay: &[u8],
    lo: usize,
    s: usize,
) -> Option<usize> {
    words(ac, hay, lo, s).last().map(|(_, end)| s - end)
}

/// Bytes between `e` and the first context word in `hay[e..hi]`.
fn nearest_word_after(
    ac: &AhoCorasick,
    hay: &[u8],
    e: usize,
    hi: usize,
) -> Option<usize> {
    words(ac, hay, e, hi).next().map(|(start, _)| start - e)
}

/// The order candidates are resolved in: by start, longer first, then by
/// rule.
fn candidate_order(a: &Finding, b: &Finding) -> core::cmp::Ordering {
    a.start
        .cmp(&b.start)
        .then(b.end.cmp(&a.end))
        .then(a.detector.cmp(&b.detector))
}

/// A stable sort by `candidate_order`, cheaper on how candidates arrive:
/// a few long runs (literal anchors, single-byte and digit anchors, name
/// hits, ...), each in order but for starts that step back by less than a
/// rule's `before`. Each run is insertion-sorted, then the runs are
/// merged, earlier runs first on ties; the result is the stable sort's.
fn sort_candidates(cands: &mut [Finding]) {
    /// A step back by more than this starts a new run.
    const JUMP: usize = 1024;
    let n = cands.len();
    let mut bounds = vec![0];
    for i in 1..n {
        if cands[i].start + JUMP < cands[i - 1].start {
            bounds.push(i);
            if bounds.len() > 16 {
                cands.sort_by(candidate_order);
                return;
            }
        }
    }
    bounds.push(n);
    let mut budget = 8 * n + 64;
    for w in bounds.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        for i in lo + 1..hi {
            let x = cands[i];
            let mut j = i;
            while j > lo && candidate_order(&cands[j - 1], &x).is_gt() {
                cands[j] = cands[j - 1];
                j -= 1;
            }
            cands[j] = x;
            budget = budget.saturating_sub(i - j);
        }
        if budget == 0 {
            // Far from sorted: insertion sort kept equal candidates in
            // order, so the stable sort still gives the same result.
            cands.sort_by(candidate_order);
            return;
        }
    }
    if bounds.len() <= 2 {
        return;
    }
    let mut done = bounds[1];
    let mut buf: Vec<Finding> = Vec::with_capacity(n);
    for &next in &bounds[2..] {
        buf.clear();
        let (a, b) = cands[..next].split_at(done);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            // Ties go to the earlier run.
            if candidate_order(&b[j], &a[i]).is_lt() {
                buf.push(b[j]);
                j += 1;
            } else {
                buf.push(a[i]);
                i += 1;
            }
        }
        buf.extend_from_slice(&a[i..]);
        buf.extend_from_slice(&b[j..]);
        cands[..next].copy_from_slice(&buf);
        done = next;
    }
}

/// Deterministic overlap resolution (see [`Scanner`]).
///
/// Candidates are sorted by start and cut into clusters of transitively
/// overlapping spans; within a cluster (almost always one or two
/// candidates) the greedy rule picks winners in priority order.
fn resolve(cands: &mut Vec<Finding>, out: &mut Vec<Finding>) {
    sort_candidates(cands);
    cands.dedup_by(|a, b| {
        a.start == b.start && a.end == b.end && a.detector == b.detector
    });
    let mut i = 0;
    let mut cluster: Vec<Finding> = Vec::new();
    while i < cands.len() {
        let mut j = i + 1;
        let mut end = cands[i].end;
        while j < cands.len() && cands[j].start < end {
            end = end.max(cands[j].end);
            j += 1;
        }
        if j == i + 1 {
            out.push(cands[i]);
        } else {
            cluster.clear();
            cluster.extend_from_slice(&cands[i..j]);
            cluster.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then((b.end - b.start).cmp(&(a.end - a.start)))
                    .then(a.start.cmp(&b.start))
                    .then(a.detector.cmp(&b.detector))
            });
            let first = out.len();
            for f in &cluster {
                let clash = out[first..]
                    .iter()
                    .any(|g| g.start < f.end && f.start < g.end);
                if !clash {
                    out.push(*f);
                }
            }
            out[first..].sort_by_key(|f| f.start);
        }
        i = j;
    }
}

/// A xorshift generator for the scanner's randomised unit tests:
/// `next(n)` is a number below `n`, the same sequence for the same seed.
#[cfg(test)]
pub(crate) fn test_rng(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}

#[cfg(test)]
mod literal_tests {
    use super::*;

    /// aho-corasick's Teddy prefilter takes at most 64 literals; beyond
    /// that the literal pass walks the automaton over every byte (about
    /// 20% more instructions on prose). New built-in anchors must fit.
    #[test]
    fn built_in_literals_fit_the_simd_prefilter() {
        let scanner = Scanner::new().unwrap();
        let n = scanner.literals.as_ref().map_or(0, |ac| ac.patterns_len());
        assert!(n > 0 && n <= 64, "{n} literal anchors");
    }

    /// The chain of tokens before a number: capitalised words and short
    /// lower-case ones, non-ASCII letters inside tokens, up to `n`.
    #[test]
    fn deep_token_starts_follow_a_chain_of_names() {
        fn starts(text: &str, n: usize) -> Vec<&str> {
            let hay = text.as_bytes();
            let t1 = text.rfind(' ').map_or(0, |i| i + 1);
            let mut out = [usize::MAX; MAX_START_TOKENS];
            deep_token_starts(hay, t1, 0, n, &mut out);
            out.iter()
                .take_while(|&&s| s != usize::MAX)
                .map(|&s| {
                    let e = text[s..]
                        .find([' ', ','])
                        .map_or(text.len(), |e| s + e);
                    &text[s..e]
                })
                .collect()
        }
        assert_eq!(starts("Rua da Paz, 9", 6), ["Paz", "da", "Rua"]);
        assert_eq!(
            starts("see Cañada Fanny Sáenz 5", 6),
            ["Sáenz", "Fanny", "Cañada", "see"]
        );
        assert_eq!(starts("Thursday, March 16", 3), ["March", "Thursday"]);
        // A lower-case second token ends the chain at once.
        assert_eq!(starts("on the 5", 6), ["the"]);
        // A long lower-case word ends it after itself.
        assert_eq!(starts("the street Main 5", 6), ["Main", "street"]);
    }

    /// A rule with `anchors_before_number` finds what the same rule finds
    /// with its anchors in the literal pass, on random texts made of
    /// street names, blanks, digits and other words; and its anchors stay
    /// out of the literal automaton.
    #[test]
    fn number_anchors_find_what_literal_anchors_find() {
        let rule = |flag: bool| {
            let anchors = if flag {
                r#"["weg", "Weg", "gasse", "sse", "\u00dfe"]
anchors_before_number = true"#
            } else {
                r#"["weg ", "Weg ", "gasse ", "sse ", "\u00dfe"]"#
            };
            format!(
                r#"[[rule]]
id = "t.street"
kind = "ADDRESS"
pattern = '[A-Z][a-z]*(?:weg|gasse|stra(?:\xC3\x9F|ss)e|-Weg) [1-9][0-9]{{0,2}}'
anchors = {anchors}
before = 40
max_len = 60
"#
            )
        };
        let build = |flag: bool| {
            Scanner::builder()
                .default_rules(false)
                .rules_toml("t", &rule(flag))
                .build()
                .unwrap()
        };
        let (by_number, by_literal) = (build(true), build(false));
        assert!(by_number.literals.is_none());
        assert_eq!(by_literal.literals.as_ref().unwrap().patterns_len(), 5);
        let pieces = [
            "Lindenweg",
            "Kaiser-Weg",
            "Hauptstraße",
            "Bergstrasse",
            "gasse",
            "Seegasse",
            " ",
            " ",
            "  ",
            "5",
            "12",
            "0",
            "x",
            ", ",
            "weg",
            "Straße",
            "ße",
            "\n",
            "1",
            "Lindenweg 5",
            "Seegasse 12",
            "Hauptstraße 1",
            "Am Weg 7",
            "Weg 3",
        ];
        let mut next = test_rng(0x9e37_79b9_7f4a_7c15);
        let mut found = 0;
        for _ in 0..3000 {
            let text: String =
                (0..next(14)).map(|_| pieces[next(pieces.len())]).collect();
            let a = by_number.scan_str(&text);
            assert_eq!(a, by_literal.scan_str(&text), "{text:?}");
            found += a.len();
        }
        assert!(found > 100, "{found} findings: the texts test little");
    }
}

#[cfg(test)]
mod sort_tests {
    use super::*;

    /// `sort_candidates` gives what the stable sort gives, equal
    /// candidates (with different scores) included.
    #[test]
    fn sort_candidates_is_the_stable_sort() {
        let mut next = test_rng(0x2545_f491_4f6c_dd1d);
        for round in 0..300 {
            let runs = 1 + next(6);
            let mut cands = Vec::new();
            for _ in 0..runs {
                let mut at = next(50);
                for _ in 0..next(200) {
                    // Mostly ascending, stepping back a little at times,
                    // and now and then by a lot.
                    at = match next(10) {
                        0 => at.saturating_sub(next(40)),
                        1 if round % 3 == 0 => at.saturating_sub(next(3000)),
                        _ => at + next(30),
                    };
                    cands.push(Finding {
                        kind: Kind::Email,
                        start: at,
                        end: at + 1 + next(4),
                        score: next(3) as f32,
                        detector: DetectorId(next(3) as u32),
                    });
                }
            }
            let mut want = cands.clone();
            want.sort_by(candidate_order);
            sort_candidates(&mut cands);
            assert_eq!(cands, want);
        }
    }
}
