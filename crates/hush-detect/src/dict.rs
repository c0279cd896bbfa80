//! Dictionary matching: user term lists (customers, projects, people),
//! allow-lists and the built-in name and place gazetteers.
//!
//! Why a module of its own: rules find values by shape, but a customer
//! name or a surname has no shape, only membership in a list. A list can
//! hold a million terms, so it is one hash index searched once per
//! haystack, not a rule per term: each word of the text is hashed and
//! looked up among the terms' first words; only where a term may start
//! are the word ends after it looked up among whole terms (see
//! `TermIndex`; a million terms build in well under two seconds).
//!
//! # Matching
//!
//! - **Whole words.** The character before a match and the one after it
//!   must not be alphanumeric (Unicode-aware, like the scanner: `é` and
//!   `中` are word characters, curly quotes and dashes are not; bytes that
//!   are not valid UTF-8 are not word characters).
//! - **Case.** ASCII letters match case-insensitively. Other letters
//!   match only in the case the term was given in (`Zürich` matches
//!   `ZüRICH` but not `ZÜRICH`): Unicode case folding changes byte
//!   lengths and would cost a second pass.
//! - **Whitespace.** A run of whitespace (space, tab, CR, LF, vertical
//!   tab, form feed, U+00A0 no-break space) in a term or in the haystack
//!   counts as one space: `Acme  Corp` and `Acme\nCorp` match the term
//!   `Acme Corp`. Terms are normalised once at build time. The haystack
//!   is normalised in one pass into a copy in which every run is one
//!   `b' '`, with a sorted list of the places where a run of more than
//!   one byte was shortened; match offsets are mapped back through it.
//!   Most text has no such run, and a haystack that needs no change is
//!   not copied at all. (The alternative, splitting terms into tokens and
//!   matching token sequences, needs a token pass and a second index
//!   level; the copy is one branch-light loop.) The copy is also where
//!   ASCII letters are lower-cased (terms are lower-cased once).
//! - **Leftmost-longest, non-overlapping.** Among the matches that pass
//!   the word test, the one that starts first wins, and at a start the
//!   longest that ends at a word boundary (`Acme` in `Acme Corpx` when
//!   `Acme` and `Acme Corp` are terms).
//! - **Any bytes.** The haystack need not be UTF-8; searching never
//!   panics.
//!
//! # Allow-lists and deny-lists
//!
//! Every term is either flagged (a deny-list entry: report it) or
//! allowed (never report anything that overlaps it). Allowed terms are
//! matched like the others and returned with [`DictMatch::allow`] set, so
//! the caller sees both in one search. The scanner will use it this way:
//! run [`Dictionary::find_all`] once per haystack; add the flagged
//! matches to its candidates with the dictionary label as kind and a
//! fixed high score; then drop every candidate (from rules, gazetteers
//! or the dictionary) that overlaps an allowed match, before overlap
//! resolution. [`Dictionary::allows`] answers the same question for one
//! span at a time.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use std::hash::BuildHasherDefault;

use crate::scanner::word_before;

/// A list of terms, each with a label, matched whole-word,
/// ASCII-case-insensitively and across whitespace variations.
///
/// Build one with [`Dictionary::builder`] or from CSV
/// ([`Dictionary::from_csv_str`]); share it between threads.
///
/// # Example
///
/// ```
/// use hush_detect::Dictionary;
///
/// let dict = Dictionary::builder()
///     .term("Acme Corp", "CUSTOMER")
///     .term("Project Falcon", "PROJECT")
///     .allow("Anthropic", "ORGANIZATION")
///     .build()?;
/// let hay = "ACME  corp asked Anthropic about project\nfalcon.";
/// let found = dict.find_all(hay.as_bytes());
/// assert_eq!(found.len(), 3);
/// assert_eq!((found[0].start, found[0].end), (0, 10));
/// assert_eq!(found[0].label, "CUSTOMER");
/// assert!(found[1].allow);
/// assert_eq!(&hay[found[2].range()], "project\nfalcon");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dictionary {
    index: TermIndex,
    terms: Vec<TermInfo>,
    labels: Vec<Box<str>>,
    max_len: usize,
}

#[derive(Clone, Copy, Debug)]
struct TermInfo {
    label: u32,
    allow: bool,
}

/// One dictionary match: a byte span of the haystack and the term found.
///
/// # Example
///
/// ```
/// use hush_detect::Dictionary;
///
/// let dict = Dictionary::builder().term("Jane Roe", "PERSON").build()?;
/// let m = dict.find_all(b"cc: jane roe")[0];
/// assert_eq!((m.start, m.end, m.term, m.label), (4, 12, 0, "PERSON"));
/// assert!(!m.allow);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DictMatch<'d> {
    /// Byte offset of the first byte of the match in the haystack.
    pub start: usize,
    /// Byte offset one past the last byte of the match.
    pub end: usize,
    /// The index of the term, in the order terms were added (the first
    /// of identical terms, after normalisation, wins).
    pub term: usize,
    /// The term's label (a kind name or any category string).
    pub label: &'d str,
    /// Whether the term is on the allow-list (never report what it
    /// overlaps) rather than a term to flag.
    pub allow: bool,
}

impl DictMatch<'_> {
    /// The match as a range, for slicing the haystack.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let dict = Dictionary::builder().term("Acme", "CUSTOMER").build()?;
    /// let hay = b"from Acme.";
    /// let m = dict.find_all(hay)[0];
    /// assert_eq!(&hay[m.range()], b"Acme");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// Collects terms for a [`Dictionary`].
///
/// Terms are normalised (outer whitespace trimmed, inner runs made one
/// space); an empty term is reported by [`DictBuilder::build`] with its
/// index.
///
/// # Example
///
/// ```
/// use hush_detect::Dictionary;
///
/// let mut b = Dictionary::builder();
/// for (term, kind) in [("Acme", "CUSTOMER"), ("Falcon", "PROJECT")] {
///     b = b.term(term, kind);
/// }
/// assert_eq!(b.build()?.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct DictBuilder {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    terms: Vec<TermInfo>,
    labels: Vec<Box<str>>,
    label_ids: HashMap<Box<str>, u32>,
    empty: Option<usize>,
}

impl DictBuilder {
    /// Adds a term to flag (a deny-list entry) with its label.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder().term("Acme", "CUSTOMER").build()?;
    /// assert_eq!(d.find_all(b"ACME")[0].label, "CUSTOMER");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn term(mut self, term: &str, label: &str) -> DictBuilder {
        self.push(term, label, false);
        self
    }

    /// Adds an allow-list term: matches of it are returned with
    /// [`DictMatch::allow`] set, and nothing overlapping them should be
    /// reported. The label says for which kind it is allowed (a caller
    /// may use `*` for every kind).
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder().allow("Claude", "PERSON").build()?;
    /// assert!(d.find_all(b"Hi Claude!")[0].allow);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow(mut self, term: &str, label: &str) -> DictBuilder {
        self.push(term, label, true);
        self
    }

    /// The number of terms added so far.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// assert_eq!(Dictionary::builder().term("a", "X").len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether no term has been added.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// assert!(Dictionary::builder().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    fn push(&mut self, term: &str, label: &str, allow: bool) {
        let start = self.bytes.len();
        normalise_term(term.as_bytes(), &mut self.bytes);
        if self.bytes.len() == start && self.empty.is_none() {
            self.empty = Some(self.terms.len());
        }
        self.ends.push(self.bytes.len());
        // Most terms share a few labels: look up before allocating.
        let id = match self.label_ids.get(label) {
            Some(&id) => id,
            None => {
                let id = self.labels.len() as u32;
                self.label_ids.insert(label.into(), id);
                self.labels.push(label.into());
                id
            }
        };
        self.terms.push(TermInfo { label: id, allow });
    }

    /// Builds the index.
    ///
    /// # Errors
    ///
    /// If a term is empty or only whitespace. Errors never quote a term.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let err = Dictionary::builder().term(" ", "X").build().unwrap_err();
    /// assert_eq!(err.term(), Some(0));
    /// ```
    pub fn build(self) -> Result<Dictionary, DictError> {
        if let Some(i) = self.empty {
            return Err(DictError::new(ErrorKind::EmptyTerm { index: i }));
        }
        let index = TermIndex::new(self.bytes, &self.ends);
        let max_len = index.max_len;
        Ok(Dictionary {
            index,
            terms: self.terms,
            labels: self.labels,
            max_len,
        })
    }
}

impl Dictionary {
    /// A builder with no terms.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder().build()?;
    /// assert!(d.is_empty() && d.find_all(b"anything").is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> DictBuilder {
        DictBuilder::default()
    }

    /// Builds a dictionary from CSV text: `term,kind` per record, with an
    /// optional third field `flag` (the default; `deny` is the same) or
    /// `allow`. A first record `term,kind[,...]` is a header and skipped,
    /// as are blank lines and lines starting with `#`. Fields may be
    /// quoted with `"` (`""` inside quotes is a quote; quoted fields may
    /// span lines); spaces around fields are trimmed.
    ///
    /// # Errors
    ///
    /// On a malformed record, with its line number ([`DictError::line`]);
    /// the message names the problem, never the term.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let csv = "term,kind\n\"Acme, Inc.\",CUSTOMER\nClaude,PERSON,allow\n";
    /// let d = Dictionary::from_csv_str(csv)?;
    /// assert_eq!(d.len(), 2);
    /// let err = Dictionary::from_csv_str("a,B\nsecret name\n").unwrap_err();
    /// assert_eq!(err.line(), Some(2));
    /// assert!(!err.to_string().contains("secret"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_csv_str(csv: &str) -> Result<Dictionary, DictError> {
        let mut b = Dictionary::builder();
        parse_csv(csv, |line, fields| {
            let bad = |message: &'static str| {
                DictError::new(ErrorKind::Csv { line, message })
            };
            if fields.len() < 2 {
                return Err(bad("expected `term,kind`"));
            }
            if fields.len() > 3 {
                return Err(bad("more than three fields"));
            }
            if is_blank(fields[0].as_bytes()) {
                return Err(bad("empty term"));
            }
            if fields[1].is_empty() {
                return Err(bad("empty kind"));
            }
            let allow = match fields.get(2).map(|s| s.to_ascii_lowercase()) {
                None => false,
                Some(a) if a.is_empty() || a == "flag" || a == "deny" => false,
                Some(a) if a == "allow" => true,
                Some(_) => {
                    return Err(bad("third field must be flag, deny or allow"))
                }
            };
            b.push(&fields[0], &fields[1], allow);
            Ok(())
        })?;
        b.build()
    }

    /// Like [`Dictionary::from_csv_str`], reading the CSV from `rdr`.
    ///
    /// # Errors
    ///
    /// As [`Dictionary::from_csv_str`], plus I/O errors and input that is
    /// not UTF-8 (with the line number).
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::from_csv_reader(&b"Acme,CUSTOMER\n"[..])?;
    /// assert_eq!(d.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_csv_reader<R: Read>(
        mut rdr: R,
    ) -> Result<Dictionary, DictError> {
        let mut bytes = Vec::new();
        rdr.read_to_end(&mut bytes).map_err(|e| {
            DictError::new(ErrorKind::Io { message: e.to_string() })
        })?;
        match String::from_utf8(bytes) {
            Ok(s) => Dictionary::from_csv_str(&s),
            Err(e) => {
                let upto = e.utf8_error().valid_up_to();
                let b = e.as_bytes();
                let line = 1 + memchr::memchr_iter(b'\n', &b[..upto]).count();
                Err(DictError::new(ErrorKind::Csv {
                    line,
                    message: "not valid UTF-8",
                }))
            }
        }
    }

    /// The number of terms (duplicates included).
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder().term("a", "X").term("A", "Y").build()?;
    /// assert_eq!(d.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether the dictionary has no terms.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// assert!(Dictionary::builder().build()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The longest normalised term, in bytes. A match spans at most this
    /// many bytes plus the extra bytes of whitespace runs inside it.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder().term(" Acme \t Corp ", "X").build()?;
    /// assert_eq!(d.max_term_len(), 9);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_term_len(&self) -> usize {
        self.max_len
    }

    /// The longest span a match may cover in the text: twice the longest
    /// term plus 256 bytes, which leaves room for generous white space
    /// between words. A longer match (words of a term far apart) is not
    /// reported, so that a stream, which must bound what it holds back,
    /// finds exactly what a whole buffer does.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder().term("Acme Corp", "ORGANIZATION").build()?;
    /// assert_eq!(d.max_span(), 2 * 9 + 256);
    /// let far = format!("Acme{}Corp", " ".repeat(400));
    /// assert!(d.find_all(far.as_bytes()).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_span(&self) -> usize {
        2 * self.max_len + 256
    }

    /// The distinct labels of the terms, in the order first used.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder()
    ///     .term("Acme", "ORGANIZATION")
    ///     .allow("Claude", "PERSON")
    ///     .build()?;
    /// assert_eq!(d.labels().collect::<Vec<_>>(), ["ORGANIZATION", "PERSON"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn labels(&self) -> impl Iterator<Item = &str> + '_ {
        self.labels.iter().map(|l| &**l)
    }

    /// The index of a label in [`Dictionary::labels`].
    pub(crate) fn label_index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| &**l == label)
    }

    /// Matches in `hay` that start at or after `from`, as if the search had
    /// run from the start of `hay` and no match crossed `from`.
    pub(crate) fn find_from(
        &self,
        hay: &[u8],
        from: usize,
    ) -> Vec<DictMatch<'_>> {
        let from = from.min(hay.len());
        let before = from > 0 && word_before(hay, from);
        let mut out = self.search(&hay[from..], before, false);
        for m in &mut out {
            m.start += from;
            m.end += from;
        }
        out
    }

    /// The heap memory used by the index (terms included), in bytes.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder().term("Acme", "X").build()?;
    /// assert!(d.memory_usage() > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory_usage(&self) -> usize {
        self.index.memory_usage()
    }

    /// Every match in `hay`, sorted by start, never overlapping
    /// (leftmost-longest among whole-word matches), flagged and allowed
    /// terms alike.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder()
    ///     .term("Acme", "CUSTOMER")
    ///     .term("Acme Corporation", "CUSTOMER")
    ///     .build()?;
    /// // The longer term is not whole here, so the shorter one is found.
    /// let m = d.find_all(b"Acme Corporations");
    /// assert_eq!((m[0].start, m[0].end), (0, 4));
    /// assert!(d.find_all(b"Acmeville \xff").is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find_all(&self, hay: &[u8]) -> Vec<DictMatch<'_>> {
        self.search(hay, false, false)
    }

    /// Whether an allow-list term occurs in `hay` overlapping
    /// `start..end`. Only `max_term_len()` bytes (plus 64) around the span
    /// are searched, so a use with many spans stays linear; an allowed
    /// term with long whitespace runs inside it may be missed here (not by
    /// [`Dictionary::find_all`]). Out-of-range offsets are clamped.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let d = Dictionary::builder().allow("Claude", "PERSON").build()?;
    /// let hay = b"Dear Claude, hello";
    /// assert!(d.allows(hay, 5, 11));
    /// assert!(!d.allows(hay, 13, 18));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allows(&self, hay: &[u8], start: usize, end: usize) -> bool {
        let end = end.min(hay.len());
        let start = start.min(end);
        let pad = self.max_len + 64;
        let lo = start.saturating_sub(pad);
        let hi = end.saturating_add(pad).min(hay.len());
        let before = lo > 0 && word_before(hay, lo);
        let after = hi < hay.len() && word_after(hay, hi);
        self.search(&hay[lo..hi], before, after)
            .iter()
            .any(|m| m.allow && m.start + lo < end && m.end + lo > start)
    }

    /// Searches `hay`; `before`/`after` say whether a word character
    /// precedes / follows it (for windows of a larger haystack).
    fn search(
        &self,
        hay: &[u8],
        before: bool,
        after: bool,
    ) -> Vec<DictMatch<'_>> {
        let mut out = Vec::new();
        if self.terms.is_empty() {
            return out;
        }
        let norm = Normalised::new(hay);
        let h: &[u8] = &norm.text;
        let start_ok =
            |p: usize| if p == 0 { !before } else { !word_before(h, p) };
        let end_ok =
            |p: usize| if p >= h.len() { !after } else { !word_after(h, p) };
        let ix = &self.index;
        let mut pos = 0;
        while pos < h.len() {
            // The next place a term may start: a word character after a
            // non-word one, or a byte some term starts with.
            let b = h[pos];
            if b < 0x80 {
                if !b.is_ascii_alphanumeric()
                    && !ix.special_first[usize::from(b)]
                {
                    pos += 1;
                    continue;
                }
            } else {
                let (w, word) = char_at(h, pos);
                if !word && !ix.special_first[usize::from(b)] {
                    pos += w;
                    continue;
                }
            }
            if !start_ok(pos) {
                pos = next_start(h, pos);
                continue;
            }
            let s = pos;
            let Some(key_end) = ix.key_end(h, s) else {
                pos = next_start(h, s);
                continue;
            };
            let Some(longest) = ix.first_word(&h[s..key_end]) else {
                pos = next_start(h, s);
                continue;
            };
            // The longest term at `s` that ends at a word boundary.
            let mut best = None;
            let lim = (s + longest as usize).min(h.len());
            let mut q = key_end;
            while q <= lim {
                if end_ok(q) {
                    if let Some(t) = ix.term(&h[s..q]) {
                        best = Some((q, t));
                    }
                }
                if q == lim {
                    break;
                }
                q += char_at(h, q).0;
            }
            let Some((e, t)) = best else {
                pos = next_start(h, s);
                continue;
            };
            let info = self.terms[t];
            let (start, end) = (norm.to_original(s), norm.to_original(e));
            if end - start > self.max_span() {
                pos = next_start(h, s);
                continue;
            }
            out.push(DictMatch {
                start,
                end,
                term: t,
                label: &self.labels[info.label as usize],
                allow: info.allow,
            });
            pos = e.max(s + 1);
        }
        out
    }
}

/// The terms, indexed for whole-word matching: a hash table from each
/// normalised term to its index, and a table of the terms' first words
/// (their leading run of letters and digits) with the longest term that
/// starts with each.
///
/// Why not Aho-Corasick: a term only matches at a word start, so there
/// is no need for failure transitions, and computing them for a million
/// terms was most of a 27-second build. Here a search hashes each word of
/// the text once and probes the first-word table (a bit set in front of
/// it answers most misses); only at a word that begins some term are the
/// following word ends tried against the term table.
#[derive(Clone, Debug, Default)]
struct TermIndex {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Hash of a term -> its first index; equal hashes of different
    /// terms go to `more`.
    full: HashMap<u64, u32, BuildHasherDefault<IdHash>>,
    more: Vec<(u64, u32)>,
    /// Hash of a first word -> the longest term (bytes) starting with it.
    first: HashMap<u64, u32, BuildHasherDefault<IdHash>>,
    /// One bit per first-word hash (mod its size), to skip most probes.
    bloom: Vec<u64>,
    /// Bytes that start a term without starting a word (`#tag`, `.NET`).
    special_first: Vec<bool>,
    max_len: usize,
}

/// A hasher for keys that are already hashes.
#[derive(Default, Clone, Copy)]
struct IdHash(u64);

impl std::hash::Hasher for IdHash {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A 64-bit hash of bytes (FxHash-style over 8-byte words, then mixed).
#[inline]
fn hash_bytes(b: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    // Final mix so that the low bits (table index) depend on every byte.
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

impl TermIndex {
    fn new(bytes: Vec<u8>, ends: &[usize]) -> TermIndex {
        let mut ix = TermIndex {
            ends: ends.to_vec(),
            special_first: vec![false; 256],
            ..TermIndex::default()
        };
        ix.full.reserve(ends.len());
        let mut from = 0;
        let mut firsts: Vec<u64> = Vec::new();
        for (i, &end) in ends.iter().enumerate() {
            let t = &bytes[from..end];
            from = end;
            ix.max_len = ix.max_len.max(t.len());
            let h = hash_bytes(t);
            match ix.full.entry(h) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(i as u32);
                }
                std::collections::hash_map::Entry::Occupied(o) => {
                    let j = *o.get() as usize;
                    let other =
                        &bytes[if j == 0 { 0 } else { ends[j - 1] }..ends[j]];
                    let dup = other == t
                        || ix.more.iter().any(|&(x, k)| {
                            x == h && {
                                let k = k as usize;
                                &bytes[if k == 0 { 0 } else { ends[k - 1] }
                                    ..ends[k]]
                                    == t
                            }
                        });
                    if !dup {
                        ix.more.push((h, i as u32));
                    }
                }
            }
            let Some(ke) = key_end(t, 0) else { continue };
            if !char_at(t, 0).1 {
                ix.special_first[usize::from(t[0])] = true;
            }
            let fh = hash_bytes(&t[..ke]);
            let longest = ix.first.entry(fh).or_insert(0);
            if *longest == 0 {
                firsts.push(fh);
            }
            *longest = (*longest).max(t.len() as u32);
        }
        let bits = (firsts.len() * 16).next_power_of_two().max(64);
        ix.bloom = vec![0u64; bits / 64];
        for fh in firsts {
            let b = (fh as usize) & (bits - 1);
            ix.bloom[b / 64] |= 1 << (b % 64);
        }
        ix.bytes = bytes;
        ix
    }

    fn term_bytes(&self, i: usize) -> &[u8] {
        let from = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[from..self.ends[i]]
    }

    /// The end of the first-word key of text at `s` (see `key_end`).
    #[inline]
    fn key_end(&self, h: &[u8], s: usize) -> Option<usize> {
        key_end(h, s)
    }

    /// The longest term starting with this first word, if any.
    #[inline]
    fn first_word(&self, key: &[u8]) -> Option<u32> {
        let fh = hash_bytes(key);
        let bits = self.bloom.len() * 64;
        let b = (fh as usize) & (bits - 1);
        if self.bloom[b / 64] >> (b % 64) & 1 == 0 {
            return None;
        }
        self.first.get(&fh).copied()
    }

    /// The index of the first term equal to `t`.
    #[inline]
    fn term(&self, t: &[u8]) -> Option<usize> {
        let h = hash_bytes(t);
        let i = *self.full.get(&h)? as usize;
        if self.term_bytes(i) == t {
            return Some(i);
        }
        self.more
            .iter()
            .find(|&&(x, k)| x == h && self.term_bytes(k as usize) == t)
            .map(|&(_, k)| k as usize)
    }

    fn memory_usage(&self) -> usize {
        self.bytes.capacity()
            + self.ends.capacity() * 8
            + self.full.capacity() * 16
            + self.first.capacity() * 16
            + self.bloom.capacity() * 8
            + self.more.capacity() * 16
            + 256
    }
}

/// The end of the first word at `s`: the run of letters and digits
/// starting there, or, if `s` starts no word, that character and the run
/// after it. `None` at the end of `h`.
#[inline]
fn key_end(h: &[u8], s: usize) -> Option<usize> {
    if s >= h.len() {
        return None;
    }
    let (w, word) = char_at(h, s);
    let mut e = s + w;
    if !word {
        // A term that starts with `#` or `.`: the key is that character
        // and the word after it.
    }
    while e < h.len() {
        let b = h[e];
        if b < 0x80 {
            if b.is_ascii_alphanumeric() {
                e += 1;
                continue;
            }
            break;
        }
        let (w, word) = char_at(h, e);
        if !word {
            break;
        }
        e += w;
    }
    Some(e)
}

/// An error building a [`Dictionary`]: a bad CSV record, an empty term,
/// or an I/O error. It never quotes a term.
///
/// # Example
///
/// ```
/// use hush_detect::Dictionary;
///
/// let err = Dictionary::from_csv_str("Acme\n").unwrap_err();
/// assert_eq!(err.line(), Some(1));
/// assert_eq!(err.to_string(), "line 1: expected `term,kind`");
/// ```
#[derive(Clone, Debug)]
pub struct DictError {
    kind: ErrorKind,
}

#[derive(Clone, Debug)]
enum ErrorKind {
    Csv { line: usize, message: &'static str },
    EmptyTerm { index: usize },
    Io { message: String },
}

impl DictError {
    fn new(kind: ErrorKind) -> DictError {
        DictError { kind }
    }

    /// The 1-based CSV line at fault, for CSV errors.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let err = Dictionary::from_csv_str("\"open,X\n").unwrap_err();
    /// assert_eq!(err.line(), Some(1));
    /// ```
    pub fn line(&self) -> Option<usize> {
        match self.kind {
            ErrorKind::Csv { line, .. } => Some(line),
            _ => None,
        }
    }

    /// The 0-based index of the term at fault, for builder errors.
    ///
    /// ```
    /// use hush_detect::Dictionary;
    ///
    /// let b = Dictionary::builder().term("a", "X").term("", "X");
    /// assert_eq!(b.build().unwrap_err().term(), Some(1));
    /// ```
    pub fn term(&self) -> Option<usize> {
        match self.kind {
            ErrorKind::EmptyTerm { index } => Some(index),
            _ => None,
        }
    }
}

impl fmt::Display for DictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Csv { line, message } => {
                write!(f, "line {line}: {message}")
            }
            ErrorKind::EmptyTerm { index } => {
                write!(f, "term {index} is empty")
            }
            ErrorKind::Io { message } => {
                write!(f, "reading the dictionary: {message}")
            }
        }
    }
}

impl std::error::Error for DictError {}

/// Parses CSV records, calling `f(line, fields)` for each (the line a
/// record starts on, 1-based), skipping blank and `#` lines.
fn parse_csv(
    text: &str,
    mut f: impl FnMut(usize, Vec<String>) -> Result<(), DictError>,
) -> Result<(), DictError> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut line = 1;
    let mut first = true;
    while i < b.len() {
        let start_line = line;
        // Blank and comment lines.
        let eol = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
        if is_blank(&b[i..eol]) || b[i] == b'#' {
            i = eol + 1;
            line += 1;
            continue;
        }
        let mut fields = Vec::new();
        let mut field = Vec::new();
        let err = |message| {
            Err(DictError::new(ErrorKind::Csv { line: start_line, message }))
        };
        loop {
            // One field, starting at i.
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            if i < b.len() && b[i] == b'"' {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return err("unterminated quoted field"),
                        Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                            field.push(b'"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            if c == b'\n' {
                                line += 1;
                            }
                            field.push(c);
                            i += 1;
                        }
                    }
                }
                while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                    i += 1;
                }
                if i < b.len() && !matches!(b[i], b',' | b'\n' | b'\r') {
                    return err("text after a closing quote");
                }
            } else {
                while i < b.len() && !matches!(b[i], b',' | b'\n') {
                    if b[i] == b'"' {
                        return err("quote inside an unquoted field");
                    }
                    field.push(b[i]);
                    i += 1;
                }
                while field.last().is_some_and(|c| c.is_ascii_whitespace()) {
                    field.pop();
                }
            }
            // Fields are slices of valid UTF-8 cut at ASCII bytes.
            fields.push(String::from_utf8_lossy(&field).into_owned());
            field.clear();
            if i < b.len() && b[i] == b'\r' {
                i += 1;
            }
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'\n') => {
                    i += 1;
                    line += 1;
                    break;
                }
                None => break,
                Some(_) => return err("stray carriage return"),
            }
        }
        let header = first
            && fields.len() >= 2
            && fields[0].eq_ignore_ascii_case("term")
            && (fields[1].eq_ignore_ascii_case("kind")
                || fields[1].eq_ignore_ascii_case("label"));
        first = false;
        if !header {
            f(start_line, fields)?;
        }
    }
    Ok(())
}

/// Whitespace bytes (a run of them, or of U+00A0, counts as one space).
const fn ws_table() -> [bool; 256] {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t[0x0b] = true;
    t[0x0c] = true;
    t
}

static WS: [bool; 256] = ws_table();

/// Bytes that may need normalising: whitespace other than a space, and
/// the lead byte of U+00A0.
const fn special_table() -> [bool; 256] {
    let mut t = ws_table();
    t[b' ' as usize] = false;
    t[0xc2] = true;
    t
}

static SPECIAL: [bool; 256] = special_table();

/// The length of the whitespace item at `i` (0 if none).
#[inline]
fn ws_len(h: &[u8], i: usize) -> usize {
    let b = h[i];
    if WS[b as usize] {
        1
    } else if b == 0xc2 && h.get(i + 1) == Some(&0xa0) {
        2
    } else {
        0
    }
}

fn is_blank(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        match ws_len(b, i) {
            0 => return false,
            n => i += n,
        }
    }
    true
}

/// Appends `term` to `out` with whitespace runs made one space, outer
/// whitespace dropped and ASCII letters lower-cased.
fn normalise_term(term: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let mut i = 0;
    let mut pending = false;
    while i < term.len() {
        match ws_len(term, i) {
            0 => {
                if pending && out.len() > start {
                    out.push(b' ');
                }
                pending = false;
                out.push(term[i].to_ascii_lowercase());
                i += 1;
            }
            n => {
                pending = true;
                i += n;
            }
        }
    }
}

/// A haystack with every whitespace run replaced by one space and ASCII
/// letters lower-cased (which keeps every offset), and the map back to
/// the original offsets.
struct Normalised<'h> {
    text: Cow<'h, [u8]>,
    /// `(p, d)`: normalised offsets `>= p` are original offset `- d`,
    /// until the next entry. Sorted by `p`.
    breaks: Vec<(usize, usize)>,
}

impl<'h> Normalised<'h> {
    fn new(h: &'h [u8]) -> Normalised<'h> {
        let n = h.len();
        // The first place that needs a change: a special byte that is
        // whitespace, or a space followed by whitespace.
        let mut i = 0;
        while i < n {
            let b = h[i];
            if (b == b' ' && i + 1 < n && ws_len(h, i + 1) > 0)
                || (SPECIAL[b as usize] && ws_len(h, i) > 0)
                || b.is_ascii_uppercase()
            {
                break;
            }
            i += 1;
        }
        if i == n {
            return Normalised { text: Cow::Borrowed(h), breaks: Vec::new() };
        }
        let mut out = Vec::with_capacity(n);
        out.extend_from_slice(&h[..i]);
        let mut breaks = Vec::new();
        let mut delta = 0;
        while i < n {
            // Copy up to the next whitespace byte in one go.
            let from = i;
            while i < n && !WS[h[i] as usize] && h[i] != 0xc2 {
                i += 1;
            }
            out.extend_from_slice(&h[from..i]);
            if i >= n {
                break;
            }
            let l = ws_len(h, i);
            if l == 0 {
                out.push(h[i]);
                i += 1;
                continue;
            }
            let run = i;
            i += l;
            while i < n {
                match ws_len(h, i) {
                    0 => break,
                    l => i += l,
                }
            }
            out.push(b' ');
            if i - run > 1 {
                delta += i - run - 1;
                breaks.push((out.len(), delta));
            }
        }
        out.make_ascii_lowercase();
        Normalised { text: Cow::Owned(out), breaks }
    }

    /// The original offset of normalised offset `p` (which must not be
    /// inside a whitespace run, which match boundaries never are).
    fn to_original(&self, p: usize) -> usize {
        let k = self.breaks.partition_point(|&(q, _)| q <= p);
        if k == 0 {
            p
        } else {
            p + self.breaks[k - 1].1
        }
    }
}

/// The byte length of the UTF-8 character starting at `i` (1 for a
/// byte that does not start a valid one), and whether it is a letter or
/// digit.
#[inline]
fn char_at(h: &[u8], i: usize) -> (usize, bool) {
    let b = h[i];
    if b < 0x80 {
        return (1, b.is_ascii_alphanumeric());
    }
    let w = match b {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return (1, false),
    };
    match h.get(i..i + w).map(core::str::from_utf8) {
        Some(Ok(s)) => {
            (w, s.chars().next().is_some_and(char::is_alphanumeric))
        }
        _ => (1, false),
    }
}

/// Whether the character starting at `i` (< len) is a letter or digit.
#[inline]
fn word_after(h: &[u8], i: usize) -> bool {
    char_at(h, i).1
}

/// The first offset after `s` at which a match may start: just past the
/// first character at or after `s` that is not a letter or digit.
fn next_start(h: &[u8], s: usize) -> usize {
    let mut p = s;
    while p < h.len() {
        if h[p].is_ascii_alphanumeric() {
            p += 1;
            continue;
        }
        let (w, word) = char_at(h, p);
        p += w;
        if !word {
            return p;
        }
    }
    h.len()
}

// ---------------------------------------------------------------------
// Gazetteers

const GIVEN_NAMES: &str = include_str!("../data/given_names.tsv");
const SURNAMES: &str = include_str!("../data/surnames.tsv");
const LOCATIONS: &str = include_str!("../data/locations.tsv");
const AMBIGUOUS: &str = include_str!("../data/ambiguous_names.tsv");

/// The kind of place a [`Location`] is.
///
/// ```
/// use hush_detect::{Gazetteer, LocationKind};
///
/// let g = Gazetteer::load()?;
/// let france = g.get("France").unwrap();
/// assert_eq!(france.locations[0].kind, LocationKind::Country);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocationKind {
    /// A continent.
    Continent,
    /// A country or territory.
    Country,
    /// A first-level region (the US states, in the built-in data).
    Region,
    /// A city of more than 15,000 people.
    City,
}

/// One place a gazetteer name refers to.
///
/// ```
/// use hush_detect::{Gazetteer, LocationKind};
///
/// let g = Gazetteer::load()?;
/// let paris = g.get("paris").unwrap();
/// let top = &paris.locations[0];
/// assert_eq!((top.kind, &*top.country), (LocationKind::City, "FR"));
/// assert!(top.population > 2_000_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// What kind of place.
    pub kind: LocationKind,
    /// Its population (0 where the source gives none).
    pub population: u64,
    /// ISO 3166 alpha-2 country code (`-` for continents).
    pub country: Box<str>,
}

/// What the gazetteers know about one name (ASCII-lower-cased).
///
/// ```
/// use hush_detect::Gazetteer;
///
/// let g = Gazetteer::load()?;
/// let may = g.get("May").unwrap();
/// assert!(may.given_per_million.is_some());
/// assert_eq!(may.common_word_level, Some(10)); // ambiguous
/// assert_eq!(g.get("Smithson").unwrap().common_word_level, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GazetteerEntry {
    /// The name, ASCII-lower-cased.
    pub name: Box<str>,
    /// People per million with this given name (US Census 1990), if it
    /// is one.
    pub given_per_million: Option<u32>,
    /// People per million with this surname (0 = under 5), if it is one.
    pub surname_per_million: Option<u32>,
    /// The places of this name, most populous first.
    pub locations: Box<[Location]>,
    /// The SCOWL level (10 = most common, 20, 35) if the name is also a
    /// common English word, which makes it ambiguous.
    pub common_word_level: Option<u8>,
}

/// A gazetteer match: a span and the entry of the name found.
///
/// ```
/// use hush_detect::Gazetteer;
///
/// let g = Gazetteer::load()?;
/// // "ask" is a (rare) surname too: every listed name is found.
/// let m = g.find_all(b"Ask Maria.")[1];
/// assert_eq!((m.start, m.end, &*m.entry.name), (4, 9, "maria"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GazetteerMatch<'g> {
    /// Byte offset of the first byte of the match.
    pub start: usize,
    /// Byte offset one past the match.
    pub end: usize,
    /// What the gazetteers know about the name.
    pub entry: &'g GazetteerEntry,
}

/// The built-in given names, surnames and places in one index.
///
/// The data (`crates/hush-detect/data/`, built by `cargo xtask
/// gazetteers`: US Census 1990 names, GeoNames places under CC BY 4.0,
/// SCOWL common words) is embedded in the library. Every name is matched
/// like a [`Dictionary`] term: whole-word, ASCII-case-insensitive,
/// across whitespace variations. Matching says only that a name from
/// the lists is there; deciding whether it is a person or a place (its
/// capitalisation, ambiguity, context) is the caller's job.
///
/// # Example
///
/// ```
/// use hush_detect::Gazetteer;
///
/// let g = Gazetteer::load()?;
/// let found = g.find_all(b"Jane Okafor flew to New York.");
/// let names: Vec<&str> = found.iter().map(|m| &*m.entry.name).collect();
/// // "to" is a surname as well as a common word.
/// assert_eq!(names, ["jane", "okafor", "to", "new york"]);
/// assert_eq!(found[2].entry.common_word_level, Some(10));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Gazetteer {
    dict: Dictionary,
    entries: Vec<GazetteerEntry>,
    index: HashMap<Box<str>, u32>,
}

impl Gazetteer {
    /// Parses the embedded data and builds the index (tens of
    /// milliseconds; build once and share).
    ///
    /// # Errors
    ///
    /// Only if the embedded data were malformed, which the tests rule
    /// out.
    ///
    /// ```
    /// use hush_detect::Gazetteer;
    ///
    /// assert!(Gazetteer::load()?.len() > 100_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load() -> Result<Gazetteer, DictError> {
        let mut entries: Vec<GazetteerEntry> = Vec::new();
        let mut index: HashMap<Box<str>, u32> = HashMap::new();
        let mut entry = |name: &str| -> usize {
            let key = name.to_ascii_lowercase();
            *index.entry(key.as_str().into()).or_insert_with(|| {
                entries.push(GazetteerEntry {
                    name: key.as_str().into(),
                    ..GazetteerEntry::default()
                });
                (entries.len() - 1) as u32
            }) as usize
        };
        let bad = |what: &'static str, line: usize| {
            DictError::new(ErrorKind::Csv { line, message: what })
        };
        let (mut given, mut surname) = (Vec::new(), Vec::new());
        for (line, f) in rows(GIVEN_NAMES) {
            let ppm = f.get(1).and_then(|v| v.parse().ok());
            let ppm = ppm.ok_or(bad("given_names.tsv: bad row", line))?;
            given.push((entry(f[0]), ppm));
        }
        for (line, f) in rows(SURNAMES) {
            let ppm = f.get(1).and_then(|v| v.parse().ok());
            let ppm = ppm.ok_or(bad("surnames.tsv: bad row", line))?;
            surname.push((entry(f[0]), ppm));
        }
        let mut places: HashMap<usize, Vec<Location>> = HashMap::new();
        for (line, f) in rows(LOCATIONS) {
            let kind = match f.get(1).copied() {
                Some("continent") => LocationKind::Continent,
                Some("country") => LocationKind::Country,
                Some("region") => LocationKind::Region,
                Some("city") => LocationKind::City,
                _ => return Err(bad("locations.tsv: bad kind", line)),
            };
            let population = f.get(2).and_then(|v| v.parse().ok());
            let population =
                population.ok_or(bad("locations.tsv: bad row", line))?;
            let country = f.get(3).copied().unwrap_or("-").into();
            places.entry(entry(f[0])).or_default().push(Location {
                kind,
                population,
                country,
            });
        }
        for (i, ppm) in given {
            entries[i].given_per_million = Some(ppm);
        }
        for (i, ppm) in surname {
            entries[i].surname_per_million = Some(ppm);
        }
        for (i, mut ls) in places {
            ls.sort_by(|a, b| {
                b.population.cmp(&a.population).then(a.kind.cmp(&b.kind))
            });
            entries[i].locations = ls.into();
        }
        for (line, f) in rows(AMBIGUOUS) {
            let level = f.get(1).and_then(|v| v.parse().ok());
            let level =
                level.ok_or(bad("ambiguous_names.tsv: bad row", line))?;
            if let Some(&i) = index.get(f[0]) {
                entries[i as usize].common_word_level = Some(level);
            }
        }
        let mut b = Dictionary::builder();
        for e in &entries {
            b.push(&e.name, "GAZETTEER", false);
        }
        Ok(Gazetteer { dict: b.build()?, entries, index })
    }

    /// The number of distinct names.
    ///
    /// ```
    /// use hush_detect::Gazetteer;
    ///
    /// assert!(Gazetteer::load()?.len() > 100_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the gazetteer is empty (never, for the built-in data).
    ///
    /// ```
    /// use hush_detect::Gazetteer;
    ///
    /// assert!(!Gazetteer::load()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of one name (ASCII case does not matter; whitespace
    /// must be single spaces).
    ///
    /// ```
    /// use hush_detect::Gazetteer;
    ///
    /// let g = Gazetteer::load()?;
    /// assert!(g.get("SMITH").unwrap().surname_per_million.unwrap() > 1000);
    /// assert!(g.get("Qwxzv").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<&GazetteerEntry> {
        let key = name.to_ascii_lowercase();
        self.index.get(key.as_str()).map(|&i| &self.entries[i as usize])
    }

    /// Every gazetteer name in `hay`, as [`Dictionary::find_all`] finds
    /// terms: sorted, non-overlapping, leftmost-longest whole words.
    ///
    /// ```
    /// use hush_detect::Gazetteer;
    ///
    /// let g = Gazetteer::load()?;
    /// let found = g.find_all(b"in Los  Angeles");
    /// assert_eq!(found.last().unwrap().end, 15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find_all(&self, hay: &[u8]) -> Vec<GazetteerMatch<'_>> {
        self.dict
            .find_all(hay)
            .into_iter()
            .map(|m| GazetteerMatch {
                start: m.start,
                end: m.end,
                entry: &self.entries[m.term],
            })
            .collect()
    }
}

/// The data rows of an embedded TSV file: (1-based line, fields).
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#'))
        .map(|(n, l)| (n + 1, l.split('\t').collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(terms: &[(&str, &str)]) -> Dictionary {
        terms
            .iter()
            .fold(Dictionary::builder(), |b, (t, l)| b.term(t, l))
            .build()
            .unwrap()
    }

    fn spans(d: &Dictionary, hay: &[u8]) -> Vec<(usize, usize, usize)> {
        d.find_all(hay).iter().map(|m| (m.start, m.end, m.term)).collect()
    }

    #[test]
    fn public_types_are_thread_safe() {
        use std::panic::{RefUnwindSafe, UnwindSafe};
        fn assert_all<T: Send + Sync + UnwindSafe + RefUnwindSafe>() {}
        assert_all::<Dictionary>();
        assert_all::<DictBuilder>();
        assert_all::<DictMatch<'static>>();
        assert_all::<DictError>();
        assert_all::<Gazetteer>();
        assert_all::<GazetteerMatch<'static>>();
    }

    #[test]
    fn whole_words_only() {
        let d = dict(&[("ann", "P")]);
        assert_eq!(
            spans(&d, b"Joann ann anna ANN."),
            [(6, 9, 0), (15, 18, 0)]
        );
        assert_eq!(spans(&d, "éann ann中 (ann)".as_bytes()), [(14, 17, 0)]);
        assert_eq!(spans(&d, b"\xffann\xfe"), [(1, 4, 0)]);
    }

    #[test]
    fn mid_word_leftmost_does_not_hide_a_later_match() {
        // "ann smith" starts inside "Joann"; "smith" must still be found.
        let d = dict(&[("ann smith", "P"), ("smith", "P")]);
        assert_eq!(spans(&d, b"Joann smith"), [(6, 11, 1)]);
        assert_eq!(spans(&d, b"Jo ann smith"), [(3, 12, 0)]);
    }

    #[test]
    fn shorter_term_when_longer_is_not_whole() {
        let d =
            dict(&[("acme", "C"), ("acme corp", "C"), ("acme corpo", "C")]);
        assert_eq!(spans(&d, b"acme corpx"), [(0, 4, 0)]);
        assert_eq!(spans(&d, b"acme corp."), [(0, 9, 1)]);
        assert_eq!(spans(&d, b"acmecorp"), []);
    }

    #[test]
    fn whitespace_variants_map_back_to_original_offsets() {
        let d = dict(&[("Acme Corp", "C"), ("Falcon", "P")]);
        let hay = b"x  Acme \t\r\n Corp\xc2\xa0\xc2\xa0 Falcon";
        let got = spans(&d, hay);
        assert_eq!(got, [(3, 16, 0), (21, 27, 1)]);
        assert_eq!(&hay[3..16], b"Acme \t\r\n Corp");
        let d = dict(&[("  Acme\u{a0}\n Corp ", "C")]);
        assert_eq!(spans(&d, b"acme corp"), [(0, 9, 0)]);
    }

    #[test]
    fn terms_that_start_or_end_without_a_word_character() {
        let d = dict(&[
            ("#ops", "P"),
            (".NET", "P"),
            ("acme", "C"),
            ("acme.", "C"),
        ]);
        let hay = "on #ops we use .net; acme’s ACME. x#ops".as_bytes();
        let got: Vec<&[u8]> =
            d.find_all(hay).iter().map(|m| &hay[m.range()]).collect();
        assert_eq!(got, [&b"#ops"[..], b".net", b"acme", b"ACME."]);
    }

    #[test]
    fn first_word_longer_than_a_term_is_no_match() {
        let d = dict(&[("jo", "P"), ("jo ann", "P")]);
        assert_eq!(spans(&d, b"joann jo ann jo"), [(6, 12, 1), (13, 15, 0)]);
    }

    #[test]
    fn duplicates_keep_the_first_term() {
        let d = dict(&[("Acme", "A"), ("ACME", "B")]);
        let m = d.find_all(b"acme");
        assert_eq!((m[0].term, m[0].label), (0, "A"));
    }

    #[test]
    fn allow_terms_are_reported_and_checked() {
        let d = Dictionary::builder()
            .term("Claude Shannon", "PERSON")
            .allow("Claude", "PERSON")
            .build()
            .unwrap();
        let m = d.find_all(b"Claude and Claude Shannon");
        assert!(m[0].allow && !m[1].allow);
        assert!(d.allows(b"Claude and Claude Shannon", 0, 3));
        assert!(!d.allows(b"Claude and Claude Shannon", 11, 25));
        assert!(!d.allows(b"", 5, 9));
    }

    #[test]
    fn csv_records_and_errors() {
        let csv =
            "# customers\nTerm,Kind,action\n\n \"Acme \"\"X\"\"\" , C\r\n\
                   \"multi\nline\",P,allow\nlast,K";
        let d = Dictionary::from_csv_str(csv).unwrap();
        assert_eq!(d.len(), 3);
        let m = d.find_all(b"acme \"x\" multi line last");
        assert_eq!(m.len(), 3);
        assert!(m[1].allow);
        for (bad, line) in [
            ("a,b\nsecret\n", 2),
            ("a,b\n\"secret,b\n", 2),
            ("a,b\n\nsec\"ret,b", 3),
            ("a,b\n\"secret\"x,b", 2),
            ("a,b\n ,b", 2),
            ("a,b\nsecret,", 2),
            ("secret,b,maybe", 1),
            ("secret,b,c,d", 1),
        ] {
            let e = Dictionary::from_csv_str(bad).unwrap_err();
            assert_eq!(e.line(), Some(line), "{bad:?}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
        let e = Dictionary::from_csv_reader(&b"a,b\nc\xff,d"[..]).unwrap_err();
        assert_eq!(e.line(), Some(2));
    }

    #[test]
    fn gazetteer_loads_and_knows_ambiguity() {
        let t = std::time::Instant::now();
        let g = Gazetteer::load().unwrap();
        eprintln!("gazetteer: {} names in {:?}", g.len(), t.elapsed());
        for w in ["may", "will", "bill", "grant", "rose", "mark", "hope"] {
            let e = g.get(w).unwrap();
            assert!(e.given_per_million.is_some(), "{w}");
            assert!(e.common_word_level.is_some(), "{w}");
        }
        assert!(g.get("young").unwrap().common_word_level.is_some());
        let georgia = g.get("georgia").unwrap();
        let kinds: Vec<_> = georgia.locations.iter().map(|l| l.kind).collect();
        assert!(kinds.contains(&LocationKind::Country));
        assert!(kinds.contains(&LocationKind::Region));
    }
}
