//! Context words looked up once per region instead of once per candidate.
//!
//! Every rule's context (and anti-context) words used to be searched with
//! the rule's own leftmost-longest automaton over a window of tens of
//! bytes around each candidate. On dense text the windows of neighbouring
//! candidates (and of the several rules tried at one start) cover the
//! same bytes again and again, and each search pays a fixed set-up cost.
//!
//! Here all word lists share one automaton that reports every occurrence
//! of every word (overlapping, standard semantics). A [`Memo`] keeps the
//! occurrences of a contiguous region of the haystack and grows it as
//! windows move along; a query replays, over those occurrences, exactly
//! what the rule's own leftmost-longest search over the window would have
//! found: from the window start, the leftmost start where a word of the
//! list ends within the window, the longest such word there, and on from
//! its end. So gaps and scores are the same as before, byte for byte.

use aho_corasick::{
    automaton::Automaton, dfa, Anchored, MatchKind as AcMatchKind, StartKind,
};

use crate::error::{BuildError, BuildErrorKind};

/// One automaton over the words of every list, and which words each list
/// holds.
#[derive(Clone, Debug)]
pub(super) struct Words {
    table: Table,
    /// The longest word, in bytes.
    max_len: usize,
    /// Per list: a bit set over the automaton's pattern ids.
    sets: Vec<Vec<u64>>,
}

impl Words {
    /// The automaton for `lists`. Returns the index of each list's set
    /// (`None` for an empty list or one holding an empty word: those keep
    /// the per-window search, whose handling of empty matches this does
    /// not replay).
    pub(super) fn new(
        lists: &[&[String]],
    ) -> Result<(Option<Words>, Vec<Option<usize>>), BuildError> {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut pid_of: std::collections::HashMap<Vec<u8>, usize> =
            std::collections::HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut ids = Vec::with_capacity(lists.len());
        for list in lists {
            if list.is_empty() || list.iter().any(|w| w.is_empty()) {
                ids.push(None);
                continue;
            }
            let mut set = Vec::with_capacity(list.len());
            for w in list.iter() {
                // The automaton is ASCII case-insensitive, so words that
                // differ only in ASCII case are one pattern.
                let key = w.as_bytes().to_ascii_lowercase();
                let pid = *pid_of.entry(key).or_insert_with_key(|key| {
                    patterns.push(key.clone());
                    patterns.len() - 1
                });
                set.push(pid);
            }
            // Lists that are the same set of words share a set.
            set.sort_unstable();
            set.dedup();
            let id = match members.iter().position(|m| *m == set) {
                Some(id) => id,
                None => {
                    members.push(set);
                    members.len() - 1
                }
            };
            ids.push(Some(id));
        }
        if patterns.is_empty() {
            return Ok((None, ids));
        }
        let dfa = dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(AcMatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(&patterns)
            .map_err(|e| {
                BuildError::new(BuildErrorKind::Automaton {
                    message: e.to_string(),
                })
            })?;
        let Some(table) = Table::new(&dfa, &patterns) else {
            // Not expected; the per-window searches still work.
            return Ok((None, vec![None; lists.len()]));
        };
        let words = patterns.len().div_ceil(64);
        let sets = members
            .iter()
            .map(|m| {
                let mut bits = vec![0u64; words];
                for &pid in m {
                    bits[pid / 64] |= 1 << (pid % 64);
                }
                bits
            })
            .collect();
        let max_len = patterns.iter().map(Vec::len).max().unwrap_or(0);
        Ok((Some(Words { table, max_len, sets }), ids))
    }
}

/// One occurrence of a word: its span and pattern id.
#[derive(Clone, Copy, Debug)]
struct Occ {
    start: usize,
    end: usize,
    pid: usize,
}

/// How far behind the newest window occurrences are kept.
const KEEP_BEHIND: usize = 2048;

/// The occurrences of all words in `hay[lo..hi]` (every occurrence that
/// starts at or after `lo` and ends at or before `hi`), sorted by start.
#[derive(Debug, Default)]
pub(super) struct Memo {
    lo: usize,
    hi: usize,
    occs: Vec<Occ>,
    scratch: Vec<Occ>,
}

impl Memo {
    /// Makes the memo cover `hay[lo..hi]`.
    fn cover(&mut self, w: &Words, hay: &[u8], lo: usize, hi: usize) {
        if lo >= self.lo && hi <= self.hi {
            return;
        }
        let joins = self.lo < self.hi
            // A window that starts after the region starts a new one
            // (joining across a gap costs more than it saves).
            && lo <= self.hi
            && hi >= self.lo;
        if !joins {
            self.occs.clear();
            scan(w, hay, lo, hi, &mut self.occs, |_| true);
            self.occs.sort_unstable_by_key(|o| (o.start, o.end));
            self.lo = lo;
            self.hi = hi;
            return;
        }
        if lo < self.lo {
            // New occurrences start before the region: they all precede
            // the ones kept.
            let old_lo = self.lo;
            let to = self.hi.min(old_lo + w.max_len - 1);
            self.scratch.clear();
            scan(w, hay, lo, to, &mut self.scratch, |o| o.start < old_lo);
            self.scratch.sort_unstable_by_key(|o| (o.start, o.end));
            self.scratch.extend_from_slice(&self.occs);
            core::mem::swap(&mut self.occs, &mut self.scratch);
            self.lo = lo;
        }
        if hi > self.hi {
            // New occurrences end after the region; they start at most
            // `max_len - 1` bytes before its end.
            let old_hi = self.hi;
            let from = self.lo.max((old_hi + 1).saturating_sub(w.max_len));
            let keep = self.occs.partition_point(|o| o.start < from);
            scan(w, hay, from, hi, &mut self.occs, |o| o.end > old_hi);
            self.occs[keep..].sort_unstable_by_key(|o| (o.start, o.end));
            self.hi = hi;
            // Forget what lies well behind the windows.
            let floor = lo.saturating_sub(KEEP_BEHIND);
            if self.lo < floor && self.occs.len() > 256 {
                let old = self.occs.partition_point(|o| o.start < floor);
                if old > 128 {
                    self.occs.drain(..old);
                    self.lo = floor;
                }
            }
        }
    }

    /// Calls `f` with each word of `set` that the set's leftmost-longest
    /// search over `hay[lo..hi]` finds, in order, until `f` returns
    /// false. (Word boundaries are the caller's business.)
    pub(super) fn words(
        &mut self,
        w: &Words,
        set: usize,
        hay: &[u8],
        lo: usize,
        hi: usize,
        mut f: impl FnMut(usize, usize) -> bool,
    ) {
        if lo >= hi {
            return;
        }
        self.cover(w, hay, lo, hi);
        let bits = &w.sets[set];
        let has = |pid: usize| bits[pid / 64] >> (pid % 64) & 1 == 1;
        let occs = &self.occs;
        let mut i = occs.partition_point(|o| o.start < lo);
        while i < occs.len() && occs[i].start < hi {
            // The leftmost start with a word of the set that fits, and
            // the longest such word there.
            let at = occs[i].start;
            let mut best = None;
            while i < occs.len() && occs[i].start == at {
                let o = occs[i];
                if o.end <= hi && has(o.pid) {
                    best = Some(o.end);
                }
                i += 1;
            }
            let Some(end) = best else { continue };
            if !f(at, end) {
                return;
            }
            // The search goes on from the end of the match.
            while i < occs.len() && occs[i].start < end {
                i += 1;
            }
        }
    }
}

/// Pushes the occurrences in `hay[lo..hi]` that `keep` accepts.
#[inline(never)]
fn scan(
    w: &Words,
    hay: &[u8],
    lo: usize,
    hi: usize,
    out: &mut Vec<Occ>,
    keep: impl Fn(&Occ) -> bool,
) {
    if lo >= hi {
        return;
    }
    // The overlapping search: the automaton never dies, and a match
    // state lists every word that ends there.
    let t = &w.table;
    let (trans, classes, first_match) =
        (&t.trans[..], &t.classes, t.first_match);
    let mut sid = 0usize;
    for (at, &b) in hay[lo..hi].iter().enumerate() {
        sid = trans[sid + usize::from(classes[usize::from(b)])] as usize;
        if sid >= first_match {
            t.push_matches(sid, lo + at + 1, out, &keep);
        }
    }
}

/// The automaton as a plain transition table over byte classes, states
/// premultiplied by the stride, the start state first and the match
/// states last, so that the loop over the bytes is a load and a compare.
#[derive(Clone, Debug)]
struct Table {
    classes: [u8; 256],
    stride: usize,
    trans: Vec<u32>,
    /// The (premultiplied) id of the first match state.
    first_match: usize,
    /// Per match state: its range in `matches`.
    match_index: Vec<u32>,
    /// (word length, pattern id) of each word ending in a match state.
    matches: Vec<(u32, u32)>,
}

impl Table {
    /// Pushes the words that end at `end` in match state `sid`. Out of
    /// line, so that the loop over the bytes keeps its registers.
    #[inline(never)]
    fn push_matches(
        &self,
        sid: usize,
        end: usize,
        out: &mut Vec<Occ>,
        keep: &impl Fn(&Occ) -> bool,
    ) {
        let k = (sid - self.first_match) / self.stride;
        let (a, z) =
            (self.match_index[k] as usize, self.match_index[k + 1] as usize);
        for &(len, pid) in &self.matches[a..z] {
            let o = Occ { start: end - len as usize, end, pid: pid as usize };
            if keep(&o) {
                out.push(o);
            }
        }
    }

    /// The table of `dfa` (an unanchored, standard-semantics automaton of
    /// non-empty `patterns`), checked against `dfa` on every state and
    /// byte; `None` if the check fails.
    fn new(dfa: &dfa::DFA, patterns: &[Vec<u8>]) -> Option<Table> {
        // Bytes are told apart only if some pattern holds them (ASCII
        // letters folded); every other byte behaves alike.
        let mut classes = [0u8; 256];
        let mut n = 1usize;
        for b in 0..=255u8 {
            let lower = b.to_ascii_lowercase();
            if lower != b {
                continue;
            }
            if patterns.iter().any(|p| p.contains(&lower)) {
                if n > 255 {
                    return None;
                }
                classes[usize::from(b)] = n as u8;
                classes[usize::from(b.to_ascii_uppercase())] = n as u8;
                n += 1;
            }
        }
        let mut reps = vec![0u8; n];
        for b in (0..=255u8).rev() {
            reps[usize::from(classes[usize::from(b)])] = b;
        }
        // Every state reachable from the start, in breadth-first order.
        let start = dfa.start_state(Anchored::No).ok()?;
        if dfa.is_match(start) {
            return None;
        }
        let mut states = vec![start];
        let mut index = std::collections::HashMap::new();
        index.insert(start, 0usize);
        let mut i = 0;
        while i < states.len() {
            let sid = states[i];
            for &b in &reps {
                let next = dfa.next_state(Anchored::No, sid, b);
                if dfa.is_dead(next) {
                    return None;
                }
                index.entry(next).or_insert_with(|| {
                    states.push(next);
                    states.len() - 1
                });
            }
            i += 1;
        }
        // Renumber: the start, the other non-match states, match states.
        let mut order: Vec<usize> = (0..states.len()).collect();
        order.sort_by_key(|&k| (dfa.is_match(states[k]), k));
        let mut new_of = vec![0usize; states.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of[old] = new;
        }
        let stride = n;
        let mut trans = vec![0u32; states.len() * stride];
        let mut first_match = states.len() * stride;
        let mut match_index = vec![0u32];
        let mut matches = Vec::new();
        for (new, &old) in order.iter().enumerate() {
            let sid = states[old];
            for b in 0..=255u8 {
                let next = dfa.next_state(Anchored::No, sid, b);
                let want = new_of[*index.get(&next)?] * stride;
                let slot = new * stride + usize::from(classes[usize::from(b)]);
                if b == reps[usize::from(classes[usize::from(b)])] {
                    trans[slot] = u32::try_from(want).ok()?;
                } else if trans[slot] as usize != want {
                    return None;
                }
            }
            if dfa.is_match(sid) {
                first_match = first_match.min(new * stride);
                for j in 0..dfa.match_len(sid) {
                    let pid = dfa.match_pattern(sid, j);
                    let len = u32::try_from(dfa.pattern_len(pid)).ok()?;
                    matches.push((len, pid.as_u32()));
                }
                match_index.push(u32::try_from(matches.len()).ok()?);
            }
        }
        Some(Table {
            classes,
            stride,
            trans,
            first_match,
            match_index,
            matches,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo replays each list's own leftmost-longest search exactly,
    /// whatever order the windows come in.
    #[test]
    fn memo_replays_leftmost_longest_searches() {
        let lists: Vec<Vec<String>> = [
            &["ssn", "social security", "social security number", "ss#"][..],
            &["ni", "nino", "ni number", "insurance number"][..],
            &["tel", "telephone", "call", "calls", "reach me"][..],
            &["IBAN"][..],
        ]
        .iter()
        .map(|l| l.iter().map(|w| w.to_string()).collect())
        .collect();
        let refs: Vec<&[String]> = lists.iter().map(|l| &l[..]).collect();
        let (words, ids) = Words::new(&refs).unwrap();
        let words = words.unwrap();
        let acs: Vec<aho_corasick::AhoCorasick> = lists
            .iter()
            .map(|l| super::super::word_matcher(l).unwrap().unwrap())
            .collect();
        let pieces = [
            "ssn",
            "SSN",
            "social ",
            "security",
            " number",
            "ss#",
            "ni",
            "NINO",
            "no",
            " ",
            "x",
            "tel",
            "ephone",
            "call",
            "s",
            "reach",
            " me",
            "iban",
            "insurance",
            "\u{e9}",
            "#",
        ];
        let mut next = crate::scanner::test_rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let mut hay = Vec::new();
            while hay.len() < 300 {
                hay.extend_from_slice(pieces[next(pieces.len())].as_bytes());
            }
            let mut memo = Memo::default();
            for _ in 0..200 {
                let lo = next(hay.len());
                let hi = (lo + next(60)).min(hay.len());
                let k = next(lists.len());
                let mut got = Vec::new();
                memo.words(&words, ids[k].unwrap(), &hay, lo, hi, |a, b| {
                    got.push((a, b));
                    true
                });
                let want: Vec<(usize, usize)> = acs[k]
                    .find_iter(aho_corasick::Input::new(&hay).range(lo..hi))
                    .map(|m| (m.start(), m.end()))
                    .collect();
                assert_eq!(got, want, "list {k}, window {lo}..{hi}");
            }
        }
    }
}
