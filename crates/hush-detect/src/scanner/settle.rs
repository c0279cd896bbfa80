//! Settling a prefix of a growing buffer, for streaming callers.
//!
//! A streaming redactor sees text a chunk at a time and must emit output
//! that a whole-buffer run would also produce. The scanner is a pure
//! function of one buffer, so the question is which prefix of the buffer
//! no later byte can change. This module answers it from the rules: a
//! match contains its anchor, starts at most `before` bytes ahead of it
//! and ends at most `max_len` bytes after its start, and its score reads
//! at most `context_window` bytes (and the scanner's 64-byte lookahead)
//! past its end. So an anchor whose whole reach fits in the buffer has
//! been judged for good, and any match still open started no earlier
//! than `before` bytes ahead of an anchor near the end of the buffer, or
//! of an anchor not yet seen at all (one that begins in the last bytes,
//! or later). Overlap resolution can tie a settled match to an open one,
//! so the settled point never cuts through a cluster of overlapping
//! candidates.
//!
//! The result: [`Scanner::scan_settled`] returns a point `p` and the
//! findings that start before it, and for every continuation of the
//! buffer, a whole-buffer scan has exactly those findings before `p`.

use super::{resolve, Compiled, Finding, Scanner};

/// How far past the anchor a scan may look for a match and its context.
const LOOKAHEAD: usize = 64;

/// The reach of one anchor class: bytes past the anchor that can still
/// change a match at that anchor, and bytes before it where the match may
/// start.
#[derive(Clone, Copy, Debug, Default)]
struct Reach {
    after: usize,
    before: usize,
}

impl Reach {
    fn of(c: &Compiled) -> Reach {
        let spec = &c.detector.rule.spec;
        Reach {
            after: spec.max_len + spec.context_window.max(LOOKAHEAD) + 1,
            before: spec.reach_before(),
        }
    }

    fn max(self, other: Reach) -> Reach {
        Reach {
            after: self.after.max(other.after),
            before: self.before.max(other.before),
        }
    }

    fn of_rules(rules: &[usize], compiled: &[Compiled]) -> Reach {
        rules
            .iter()
            .map(|&r| Reach::of(&compiled[r]))
            .fold(Reach::default(), Reach::max)
    }
}

/// Per-scanner data for settling, computed once at build time.
#[derive(Clone, Debug, Default)]
pub(super) struct SettleInfo {
    literals: Vec<Vec<u8>>,
    /// Per literal: the reach of its rules and of the rules of the
    /// literals that are prefixes of it (they fire at the same anchor).
    literal_reach: Vec<Reach>,
    /// Per byte: the reach of the digit rules or the byte's group.
    byte_reach: Vec<Option<Reach>>,
    /// The largest reach of any literal anchor.
    literal_max: Reach,
    /// Bytes that begin some literal anchor.
    literal_first: Vec<bool>,
    /// The length of the longest literal anchor (0 without literals).
    longest_literal: usize,
    /// Bytes at the end of a buffer that may hold the start of an anchor
    /// not yet complete, plus the `before` of any rule.
    floor: usize,
    /// Bytes before a settled point a later scan must see.
    left: usize,
    /// The most a settled point can trail the end of the buffer.
    max_hold: usize,
}

impl SettleInfo {
    pub(super) fn new(
        compiled: &[Compiled],
        literals: &[Vec<u8>],
        literal_rules: &[Vec<usize>],
        digit_rules: Option<&[usize]>,
        byte_rules: &[(u8, &[usize])],
    ) -> SettleInfo {
        let own: Vec<Reach> = literal_rules
            .iter()
            .map(|rules| Reach::of_rules(rules, compiled))
            .collect();
        let literal_reach: Vec<Reach> = literals
            .iter()
            .enumerate()
            .map(|(i, long)| {
                literals
                    .iter()
                    .enumerate()
                    .filter(|(j, short)| *j != i && long.starts_with(short))
                    .map(|(j, _)| own[j])
                    .fold(own[i], Reach::max)
            })
            .collect();
        let digit = digit_rules.map(|r| Reach::of_rules(r, compiled));
        let mut byte_reach = vec![None; 256];
        if let Some(d) = digit {
            for b in b'0'..=b'9' {
                byte_reach[usize::from(b)] = Some(d);
            }
        }
        for (b, r) in byte_rules {
            let reach = Reach::of_rules(r, compiled);
            let slot = &mut byte_reach[usize::from(*b)];
            *slot = Some(slot.map_or(reach, |s| s.max(reach)));
        }
        let literal_max =
            literal_reach.iter().copied().fold(Reach::default(), Reach::max);
        let mut literal_first = vec![false; 256];
        for l in literals {
            if let Some(&b) = l.first() {
                literal_first[usize::from(b)] = true;
            }
        }
        let all =
            compiled.iter().map(Reach::of).fold(Reach::default(), Reach::max);
        let longest_literal = literals.iter().map(Vec::len).max().unwrap_or(1);
        let floor = all.before + longest_literal;
        // A later scan judges matches that start at or after the settled
        // point; it needs their left context and, for rules whose finding
        // is a value inside a longer match (`key = value`), the whole
        // match before the value.
        let left = compiled
            .iter()
            .map(|c| {
                let spec = &c.detector.rule.spec;
                let ctx = spec
                    .context_window
                    .max(spec.anti_context_window.unwrap_or(0))
                    .max(LOOKAHEAD);
                let value = if c.value_group || !spec.value_after.is_empty() {
                    spec.max_len
                } else {
                    0
                };
                ctx + spec.reach_before().max(value)
            })
            .max()
            .unwrap_or(0)
            + longest_literal;
        let max_hold = all.after + all.before + floor + all.after;
        SettleInfo {
            literals: literals.to_vec(),
            literal_reach,
            byte_reach,
            literal_max,
            literal_first,
            longest_literal: literals.iter().map(Vec::len).max().unwrap_or(0),
            floor,
            left,
            max_hold,
        }
    }
}

impl SettleInfo {
    /// Holds back at least `bytes` at the end of every buffer (for matches
    /// without anchors, such as dictionary terms).
    pub(super) fn raise_floor(&mut self, bytes: usize) {
        self.floor = self.floor.max(bytes);
        self.max_hold = self.max_hold.max(self.floor + self.left);
    }

    /// Keeps at least `bytes` before a settled point for the next scan
    /// (for detectors that read context before a match).
    pub(super) fn raise_left(&mut self, bytes: usize) {
        self.left = self.left.max(bytes);
        self.max_hold = self.max_hold.max(self.floor + self.left);
    }

    /// Lowers `open` for the literal `pid` found at `a` in a buffer of
    /// `len` bytes when its reach passes the end.
    #[inline]
    pub(super) fn literal_open(
        &self,
        pid: usize,
        a: usize,
        len: usize,
        open: &mut usize,
    ) {
        let r = self.literal_reach[pid];
        if a + r.after > len {
            *open = (*open).min(a.saturating_sub(r.before));
        }
    }

    /// Lowers `open` for the digit or single-byte anchor `b` at `a`.
    #[inline]
    pub(super) fn byte_open(
        &self,
        b: u8,
        a: usize,
        len: usize,
        open: &mut usize,
    ) {
        if let Some(r) = self.byte_reach[usize::from(b)] {
            if a + r.after > len {
                *open = (*open).min(a.saturating_sub(r.before));
            }
        }
    }
}

impl Scanner {
    /// How many bytes before a settled point a streaming caller must keep
    /// and pass again in the next [`Scanner::scan_settled`] call, so that
    /// matches after that point are judged with their full left context.
    ///
    /// # Example
    ///
    /// ```
    /// let scanner = hush_detect::Scanner::new()?;
    /// assert!(scanner.settle_context() < scanner.max_settle_hold());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn settle_context(&self) -> usize {
        self.settle.left
    }

    /// The most bytes [`Scanner::scan_settled`] leaves unsettled at the
    /// end of a buffer when no candidates overlap across the settled
    /// point: the reach of the longest rule and its context, the furthest
    /// a match starts before its anchor, and the room for an anchor not
    /// yet complete. A chain of overlapping candidates across the
    /// settled point can exceed it; with the default rules this needs
    /// overlapping matches longer than the longest rule.
    ///
    /// # Example
    ///
    /// ```
    /// let scanner = hush_detect::Scanner::new()?;
    /// assert!(scanner.max_settle_hold() >= scanner.max_match_len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_settle_hold(&self) -> usize {
        self.settle.max_hold
    }

    /// Scans a buffer that more bytes may follow, and settles a prefix
    /// of it.
    ///
    /// Returns `p` with `from <= p <= hay.len()` and puts in `out` the
    /// findings that start in `from..p`, all ending by `p`. Whatever
    /// bytes are appended to `hay` later, a whole-buffer scan finds
    /// exactly these findings starting in `from..p`. With `at_end` the
    /// buffer is complete and `p` is `hay.len()`.
    ///
    /// A streaming caller scans `buffer`, emits up to `p`, drops all but
    /// [`Scanner::settle_context`] bytes before `p`, appends the next
    /// chunk and calls again with `from` at the old `p`.
    ///
    /// # Example
    ///
    /// ```
    /// let scanner = hush_detect::Scanner::new()?;
    /// let mut out = Vec::new();
    /// let text = format!(
    ///     "write to jane.roe@acme.io, {}or call 415-555-01",
    ///     "and then ".repeat(200)
    /// );
    /// let hay = text.as_bytes();
    /// let p = scanner.scan_settled(hay, 0, false, &mut out);
    /// // The e-mail address is settled (all it could depend on is in the
    /// // buffer); the phone number may go on.
    /// assert_eq!(out.len(), 1);
    /// assert!(p <= hay.len() - "415-555-01".len());
    /// // At the end of the input, the cut number is no phone number.
    /// let p = scanner.scan_settled(hay, 0, true, &mut out);
    /// assert_eq!((p, out.len()), (hay.len(), 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scan_settled(
        &self,
        hay: &[u8],
        from: usize,
        at_end: bool,
        out: &mut Vec<Finding>,
    ) -> usize {
        out.clear();
        let from = from.min(hay.len());
        let mut cands: Vec<Finding> = Vec::new();
        let mut p = usize::MAX;
        self.candidates(hay, from, &mut cands, &mut p);
        cands.retain(|f| f.start >= from);
        if at_end {
            resolve(&mut cands, out);
            return hay.len();
        }
        p = p.min(self.unseen_point(hay));
        // Never cut through a cluster of overlapping candidates: its
        // winner may depend on candidates not yet complete.
        cands.sort_unstable_by_key(|f| f.start);
        let mut i = 0;
        while i < cands.len() {
            let start = cands[i].start;
            let mut end = cands[i].end;
            let mut j = i + 1;
            while j < cands.len() && cands[j].start < end {
                end = end.max(cands[j].end);
                j += 1;
            }
            if start < p && p < end {
                p = start;
                break;
            }
            if start >= p {
                break;
            }
            i = j;
        }
        let p = p.max(from);
        cands.retain(|f| f.start < p);
        resolve(&mut cands, out);
        p
    }

    /// The earliest offset where a match may start whose anchor is not
    /// (wholly) in `hay` yet: `before` bytes ahead of an anchor cut by the
    /// end, or of the end itself.
    fn unseen_point(&self, hay: &[u8]) -> usize {
        let st = &self.settle;
        let len = hay.len();
        let mut p = len.saturating_sub(st.floor);
        for i in len.saturating_sub(st.longest_literal)..len {
            if !st.literal_first[usize::from(hay[i])] {
                continue;
            }
            let tail = &hay[i..];
            if st
                .literals
                .iter()
                .any(|l| l.len() > tail.len() && l.starts_with(tail))
            {
                p = p.min(i.saturating_sub(st.literal_max.before));
                break;
            }
        }
        p
    }
}
