//! Which of many spans a span overlaps, by binary search.
//!
//! Name hits give way to the structured findings they overlap, and to
//! the long place names and firms found around them; those spans may
//! overlap each other (a firm's joined start reaches back over another).
//! Sorted by start with the running maximum of their ends, "does this
//! span overlap any of them" is one binary search instead of a scan of
//! all of them per hit, which was quadratic on dense text.

/// Spans sorted by start, with the running maximum of their ends.
pub(crate) struct SpanIndex {
    spans: Vec<(usize, usize)>,
    max_end: Vec<usize>,
}

impl SpanIndex {
    /// The index of `spans` (half-open `(start, end)` pairs, any order).
    pub(crate) fn new(mut spans: Vec<(usize, usize)>) -> SpanIndex {
        // Stable: the spans mostly come in order, which it finds in one pass.
        spans.sort();
        let mut m = 0;
        let max_end = spans
            .iter()
            .map(|&(_, e)| {
                m = m.max(e);
                m
            })
            .collect();
        SpanIndex { spans, max_end }
    }

    /// Whether `start..end` overlaps one of the spans: the spans that
    /// start before it ends overlap it exactly when the largest of their
    /// ends passes its start.
    pub(crate) fn overlaps(&self, start: usize, end: usize) -> bool {
        let k = self.spans.partition_point(|&(s, _)| s < end);
        k > 0 && self.max_end[k - 1] > start
    }

    /// Whether `start..end` is one of the spans.
    pub(crate) fn contains(&self, start: usize, end: usize) -> bool {
        self.spans.binary_search(&(start, end)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::SpanIndex;

    #[test]
    fn overlap_and_membership_match_a_scan_of_every_span() {
        let spans = vec![(10, 20), (0, 5), (12, 40), (50, 51), (3, 4)];
        let index = SpanIndex::new(spans.clone());
        for start in 0..60 {
            for end in start + 1..62 {
                let scan = spans.iter().any(|&(s, e)| start < e && s < end);
                assert_eq!(index.overlaps(start, end), scan, "{start}..{end}");
                assert_eq!(
                    index.contains(start, end),
                    spans.contains(&(start, end))
                );
            }
        }
    }
}
