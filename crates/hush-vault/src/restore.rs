//! Finding issued tags in a model's answer, however the model echoed them.
//!
//! Models copy pseudonyms back with small changes: a possessive or a
//! full stop after them, another case (`Email-482913`), brackets lost or
//! changed (`[EMAIL-482913]`, `<EMAIL-482913>`, `&lt;EMAIL-482913&gt;`),
//! markdown escapes (`EMAIL\-482913`), a Unicode hyphen, or a line break
//! where the line was wrapped. The matcher finds the core of a tag, a
//! known label followed by a decimal code, with a regex that tolerates all
//! of these, then widens the match over the brackets that belong to it:
//! brackets of the template's own type on either side, and other brackets
//! only when they come in a matching pair. The vault then resolves the
//! (kind, code) pair against what this scope issued; anything else is
//! left as it is and reported.

use regex::Regex;
use regex_automata::dfa::{dense, Automaton};
use regex_automata::{Anchored, Input};

use crate::policy::{Policy, Template};

/// One tag-shaped match in a text.
#[derive(Debug)]
pub(crate) struct TagMatch<'t> {
    /// The span to replace, brackets included.
    pub start: usize,
    pub end: usize,
    /// The label as written.
    pub label: &'t str,
    /// The code digits.
    pub code: &'t str,
}

/// The compiled tolerant matcher for one policy.
#[derive(Debug)]
pub(crate) struct TagMatcher {
    re: Regex,
    prefix: Vec<usize>,
    suffix: Vec<usize>,
    template: Template,
    /// Anchored DFA of every text a tag (with its brackets) can start
    /// with: a text it does not reject could still become a tag.
    live: dense::DFA<Vec<u32>>,
    /// Bytes a tag form can start with.
    live_first: [bool; 256],
    /// The longest text `live` accepts.
    max_form: usize,
    /// Per kind (position in `Kind::ALL`): the letters of its label,
    /// upper case, without separators or digits.
    label_letters: Vec<String>,
}

const OPEN: &[&str] = &["&lt;", "\\[", "[", "(", "{", "<", "\u{ab}"];
const CLOSE: &[&str] = &["&gt;", "\\]", "]", ")", "}", ">", "\u{bb}"];

/// A separator as a model may write it: `-`, `_`, Unicode dashes, an
/// escaped one, whitespace or a line break around it. The indent after a
/// line break is bounded so that a tag has a maximum length, which the
/// streaming restorer relies on.
const FLEX: &str = r"[ \t]{0,2}(?:\r?\n[ \t]{0,16})?(?:\\?[-_\x{2010}-\x{2015}\x{2212}])?[ \t]{0,2}(?:\r?\n[ \t]{0,16})?";

/// The separator before the code: like [`FLEX`], but the dash is required,
/// so that ordinary text such as `phone 0770` or `date: 2024` is not
/// taken for a tag.
const SEP: &str = r"[ \t]{0,2}(?:\r?\n[ \t]{0,16})?\\?[-_\x{2010}-\x{2015}\x{2212}][ \t]{0,2}(?:\r?\n[ \t]{0,16})?";

impl TagMatcher {
    pub(crate) fn new(policy: &Policy) -> TagMatcher {
        let mut labels: Vec<&String> = policy.labels().iter().collect();
        labels.sort_by_key(|l| std::cmp::Reverse(l.len()));
        let alts: Vec<String> = labels
            .iter()
            .map(|l| {
                let mut s = String::new();
                for c in l.chars() {
                    if c == '-' || c == '_' {
                        s.push_str(FLEX);
                    } else {
                        s.push(c);
                    }
                }
                s
            })
            .collect();
        let labels = alts.join("|");
        // An ASCII word boundary: a Unicode one makes the regex engine
        // leave its DFAs for a much slower one at the first non-ASCII
        // byte (measured: 7 MB/s instead of hundreds on mixed text). A
        // label right after a non-ASCII letter is rare enough to accept.
        let pat = format!(r"(?i)(?-u:\b)({labels}){SEP}([0-9]{{4,20}})");
        let re = Regex::new(&pat).expect("tag matcher regex");
        let template = policy.template().clone();
        // Everything `find_all` and `widen` can take as one tag: up to
        // four bracket units and three blanks on each side of the core.
        let quote = |set: &[&str]| {
            set.iter().map(|u| regex::escape(u)).collect::<Vec<_>>().join("|")
        };
        let form = format!(
            r"(?i)(?:(?:{open})\s{{0,3}}){{0,4}}(?:{labels}){SEP}[0-9]{{0,20}}(?:\s{{0,3}}(?:{close})){{0,4}}",
            open = quote(OPEN),
            close = quote(CLOSE),
        );
        let live = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(regex_automata::dfa::StartKind::Anchored),
            )
            .build(&form)
            .expect("tag form automaton");
        let max_form = regex_automata::util::syntax::parse(&form)
            .ok()
            .and_then(|hir| hir.properties().maximum_len())
            .expect("tag forms are bounded");
        let mut live_first = [false; 256];
        for u in OPEN {
            live_first[usize::from(u.as_bytes()[0])] = true;
        }
        // Case folding can turn an ASCII letter into a non-ASCII one
        // (`K` and the Kelvin sign): any non-ASCII lead byte may start.
        live_first[0xc0..].fill(true);
        for l in &labels_first(policy) {
            live_first[usize::from(*l)] = true;
        }
        let label_letters = policy
            .labels()
            .iter()
            .map(|l| {
                l.chars()
                    .filter(char::is_ascii_alphabetic)
                    .map(|c| c.to_ascii_uppercase())
                    .collect()
            })
            .collect();
        TagMatcher {
            re,
            prefix: units(&template.prefix, OPEN),
            suffix: units(&template.suffix, CLOSE),
            template,
            live,
            live_first,
            max_form,
            label_letters,
        }
    }

    /// The longest text that can still turn out to be one tag.
    pub(crate) fn max_form(&self) -> usize {
        self.max_form
    }

    /// The earliest offset in `from..text.len()` from which the rest of
    /// `text` could still become (part of) a tag of a kind `issued`
    /// accepts (by position in `Kind::ALL`) once more text follows;
    /// `text.len()` when none.
    pub(crate) fn open_point(
        &self,
        text: &str,
        from: usize,
        issued: impl Fn(usize) -> bool,
    ) -> usize {
        let kinds: Vec<&str> = self
            .label_letters
            .iter()
            .enumerate()
            .filter(|&(k, _)| issued(k))
            .map(|(_, l)| l.as_str())
            .collect();
        if kinds.is_empty() {
            return text.len();
        }
        let b = text.as_bytes();
        let lo = from.max(b.len().saturating_sub(self.max_form));
        for i in lo..b.len() {
            if !self.live_first[usize::from(b[i])] || !text.is_char_boundary(i)
            {
                continue;
            }
            // A label starts a tag only at a word boundary.
            if b[i].is_ascii_alphabetic()
                && i > 0
                && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
            {
                continue;
            }
            if self.is_live(&b[i..]) && could_be_issued(&text[i..], &kinds) {
                return i;
            }
        }
        b.len()
    }

    /// Whether `tail` is a prefix of some tag form.
    fn is_live(&self, tail: &[u8]) -> bool {
        let input = Input::new(tail).anchored(Anchored::Yes);
        let Ok(mut sid) = self.live.start_state_forward(&input) else {
            // Cannot happen for an anchored start; holding is safe.
            return true;
        };
        for &byte in tail {
            sid = self.live.next_state(sid, byte);
            if self.live.is_dead_state(sid) {
                return false;
            }
        }
        if !self.live.is_match_state(sid) {
            return true;
        }
        // DFA matches are reported one byte late, so a match state can
        // mean "a tag ended just before the last byte" with nothing left
        // to continue: live only if some next byte keeps it alive.
        self.live.byte_classes().representatives(..).any(|unit| {
            let next = match unit.as_u8() {
                Some(b) => self.live.next_state(sid, b),
                None => self.live.next_eoi_state(sid),
            };
            !self.live.is_dead_state(next)
                && (unit.as_u8().is_some() || self.live.is_match_state(next))
        })
    }

    /// Every tag-shaped span in `text`, in order, not overlapping.
    pub(crate) fn find_all<'t>(&self, text: &'t str) -> Vec<TagMatch<'t>> {
        let mut out = Vec::new();
        // `find_iter`, not `captures_iter`: the regex engines find plain
        // match spans several times faster, and the label and the code
        // are easy to take apart again (the code is the digits at the
        // end, the label what precedes the separator).
        for core in self.re.find_iter(text) {
            let m = core.as_str();
            let digits =
                m.bytes().rev().take_while(u8::is_ascii_digit).count();
            let code_at = m.len() - digits;
            if text[core.end()..].starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            let label = m[..code_at].trim_end_matches(|c: char| {
                matches!(c, ' ' | '\t' | '\r' | '\n' | '\\' | '-' | '_')
                    || ('\u{2010}'..='\u{2015}').contains(&c)
                    || c == '\u{2212}'
            });
            let (start, end) = self.widen(text, core.start(), core.end());
            if out.last().is_some_and(|t: &TagMatch| t.end > start) {
                continue;
            }
            out.push(TagMatch { start, end, label, code: &m[code_at..] });
        }
        out
    }

    /// Widens a core match over the brackets that belong to the tag.
    fn widen(&self, text: &str, start: usize, end: usize) -> (usize, usize) {
        let t = &self.template;
        // Exact tier: the template's own text on both sides.
        if text[..start].ends_with(&t.prefix)
            && text[end..].starts_with(&t.suffix)
        {
            return (start - t.prefix.len(), end + t.suffix.len());
        }
        let max_l = self.prefix.len();
        let max_r = self.suffix.len();
        if max_l == 0 && max_r == 0 {
            return (start, end);
        }
        // Collect bracket units on each side, innermost first, skipping a
        // little whitespace between the core and the brackets.
        let left = collect_left(text, start, max_l.max(max_r));
        let right = collect_right(text, end, max_l.max(max_r));
        let mut l_take = 0;
        let mut r_take = 0;
        // Pairs of any bracket type.
        while l_take < left.len()
            && r_take < right.len()
            && left[l_take].1 == right[r_take].1
            && (OPEN[left[l_take].1] != "("
                || self.prefix.contains(&left[l_take].1))
            && l_take < max_l.max(1)
            && r_take < max_r.max(1)
        {
            l_take += 1;
            r_take += 1;
        }
        // Then unpaired brackets of the template's own types.
        while l_take < left.len()
            && l_take < max_l
            && self.prefix.contains(&left[l_take].1)
        {
            l_take += 1;
        }
        while r_take < right.len()
            && r_take < max_r
            && self.suffix.contains(&right[r_take].1)
        {
            r_take += 1;
        }
        let s = if l_take > 0 { left[l_take - 1].0 } else { start };
        let e = if r_take > 0 { right[r_take - 1].0 } else { end };
        (s, e)
    }
}

/// Whether the letters of a possible tag at the start of `tail` (before
/// its code) are a prefix of an issued label's letters, or the other way
/// round. Brackets, blanks, separators and escapes are skipped; digits
/// end the label.
fn could_be_issued(tail: &str, labels: &[&str]) -> bool {
    // Leading brackets (`[[`, `&lt;`, ...) and blanks; a tail that is
    // still the start of a bracket could become anything.
    let mut rest = tail;
    loop {
        let trimmed = rest.trim_start();
        if let Some(u) = OPEN.iter().find(|u| trimmed.starts_with(**u)) {
            rest = &trimmed[u.len()..];
        } else if OPEN
            .iter()
            .any(|u| u.len() > trimmed.len() && u.starts_with(trimmed))
        {
            return true;
        } else {
            rest = trimmed;
            break;
        }
    }
    let mut seen = String::new();
    for c in rest.chars() {
        if c.is_ascii_digit() || seen.len() > 64 {
            break;
        }
        if c.is_ascii_alphabetic() {
            seen.push(c.to_ascii_uppercase());
        }
    }
    labels.iter().any(|l| l.starts_with(&seen) || seen.starts_with(l))
}

/// The first bytes (both cases) of every label of `policy`.
fn labels_first(policy: &Policy) -> Vec<u8> {
    let mut out = Vec::new();
    for l in policy.labels() {
        if let Some(&b) = l.as_bytes().first() {
            out.push(b.to_ascii_lowercase());
            out.push(b.to_ascii_uppercase());
        }
    }
    out
}

/// The bracket units of a template part, as indices into OPEN or CLOSE.
fn units(part: &str, set: &[&str]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut rest = part;
    while !rest.is_empty() {
        match set.iter().position(|u| rest.starts_with(u)) {
            Some(i) => {
                out.push(i);
                rest = &rest[set[i].len()..];
            }
            None => {
                let n = rest.chars().next().unwrap().len_utf8();
                rest = &rest[n..];
            }
        }
    }
    out
}

/// Up to `max` opening units before `pos`: (start of unit, unit type).
fn collect_left(text: &str, pos: usize, max: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut p = skip_ws_back(text, pos);
    while out.len() < max {
        match OPEN.iter().position(|u| text[..p].ends_with(u)) {
            Some(i) => {
                p -= OPEN[i].len();
                out.push((p, i));
            }
            None => break,
        }
    }
    out
}

/// Up to `max` closing units after `pos`: (end of unit, unit type).
fn collect_right(text: &str, pos: usize, max: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut p = skip_ws_fwd(text, pos);
    while out.len() < max {
        match CLOSE.iter().position(|u| text[p..].starts_with(u)) {
            Some(i) => {
                p += CLOSE[i].len();
                out.push((p, i));
            }
            None => break,
        }
    }
    out
}

fn skip_ws_back(text: &str, mut p: usize) -> usize {
    for _ in 0..3 {
        match text[..p].chars().next_back() {
            Some(c) if c.is_whitespace() => p -= c.len_utf8(),
            _ => break,
        }
    }
    p
}

fn skip_ws_fwd(text: &str, mut p: usize) -> usize {
    for _ in 0..3 {
        match text[p..].chars().next() {
            Some(c) if c.is_whitespace() => p += c.len_utf8(),
            _ => break,
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<(String, String, String)> {
        let m = TagMatcher::new(&Policy::default());
        m.find_all(text)
            .into_iter()
            .map(|t| {
                (
                    text[t.start..t.end].to_string(),
                    t.label.to_string(),
                    t.code.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn echo_variants() {
        let one = |t: &str| spans(t).into_iter().next().map(|s| s.0);
        assert_eq!(
            one("hi [[EMAIL-123456]]'s x").unwrap(),
            "[[EMAIL-123456]]"
        );
        assert_eq!(one("hi EMAIL-123456's").unwrap(), "EMAIL-123456");
        assert_eq!(one("hi [email-123456].").unwrap(), "[email-123456]");
        assert_eq!(one("(see EMAIL-123456)").unwrap(), "EMAIL-123456");
        assert_eq!(one("(EMAIL-123456)").unwrap(), "EMAIL-123456");
        assert_eq!(one("<EMAIL-123456>").unwrap(), "<EMAIL-123456>");
        assert_eq!(one("[[EMAIL-\n123456]]").unwrap(), "[[EMAIL-\n123456]]");
        assert_eq!(one("[[ EMAIL-123456 ]]").unwrap(), "[[ EMAIL-123456 ]]");
        assert_eq!(
            one("&lt;EMAIL-123456&gt;").unwrap(),
            "&lt;EMAIL-123456&gt;"
        );
        assert_eq!(one("[EMAIL-123456](x)").unwrap(), "[EMAIL-123456]");
        assert_eq!(
            one("[[CREDIT_CARD\\-123456]]").unwrap(),
            "[[CREDIT_CARD\\-123456]]"
        );
        assert_eq!(
            one("x [[IP-ADDRESS\u{2011}123456]] y").unwrap(),
            "[[IP-ADDRESS\u{2011}123456]]"
        );
        assert!(one("EMAIL-1234567890123456789012").is_none());
        assert!(one("XEMAIL-123456").is_none());
        assert!(one("phone 07700 900947").is_none());
        assert!(one("Date: 2024").is_none());
    }
}
