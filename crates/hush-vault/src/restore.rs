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
}

const OPEN: &[&str] = &["&lt;", "\\[", "[", "(", "{", "<", "\u{ab}"];
const CLOSE: &[&str] = &["&gt;", "\\]", "]", ")", "}", ">", "\u{bb}"];

/// A separator as a model may write it: `-`, `_`, Unicode dashes, an
/// escaped one, whitespace or a line break around it.
const FLEX: &str = r"[ \t]{0,2}(?:\r?\n[ \t]*)?(?:\\?[-_\x{2010}-\x{2015}\x{2212}])?[ \t]{0,2}(?:\r?\n[ \t]*)?";

/// The separator before the code: like [`FLEX`], but the dash is required,
/// so that ordinary text such as `phone 0770` or `date: 2024` is not
/// taken for a tag.
const SEP: &str = r"[ \t]{0,2}(?:\r?\n[ \t]*)?\\?[-_\x{2010}-\x{2015}\x{2212}][ \t]{0,2}(?:\r?\n[ \t]*)?";

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
        let pat = format!(r"(?i)\b({}){SEP}([0-9]{{4,20}})", alts.join("|"));
        let re = Regex::new(&pat).expect("tag matcher regex");
        let template = policy.template().clone();
        TagMatcher {
            re,
            prefix: units(&template.prefix, OPEN),
            suffix: units(&template.suffix, CLOSE),
            template,
        }
    }

    /// Every tag-shaped span in `text`, in order, not overlapping.
    pub(crate) fn find_all<'t>(&self, text: &'t str) -> Vec<TagMatch<'t>> {
        let mut out = Vec::new();
        for caps in self.re.captures_iter(text) {
            let core = caps.get(0).unwrap();
            let code = caps.get(2).unwrap();
            if text[code.end()..].starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            let (start, end) = self.widen(text, core.start(), core.end());
            if out.last().is_some_and(|m: &TagMatch| m.end > start) {
                continue;
            }
            out.push(TagMatch {
                start,
                end,
                label: caps.get(1).unwrap().as_str(),
                code: code.as_str(),
            });
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
