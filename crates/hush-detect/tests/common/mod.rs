//! Helpers shared by the integration tests of hush-detect.

use hush_detect::{Finding, Scanner};

/// Streams `hay` through `scan_settled` cut at `cuts` (sorted) and
/// returns the findings at whole-input offsets.
pub fn settle_stream(s: &Scanner, hay: &[u8], cuts: &[usize]) -> Vec<Finding> {
    let (mut buf, mut base, mut from) = (Vec::new(), 0, 0);
    let (mut found, mut out, mut last) = (Vec::new(), Vec::new(), 0);
    for &cut in cuts.iter().chain(std::iter::once(&hay.len())) {
        buf.extend_from_slice(&hay[last..cut]);
        last = cut;
        let p = s.scan_settled(&buf, from, cut == hay.len(), &mut out);
        for f in &out {
            let mut g = *f;
            g.start += base;
            g.end += base;
            found.push(g);
        }
        let keep = p.saturating_sub(s.settle_context());
        buf.drain(..keep);
        base += keep;
        from = p - keep;
    }
    found
}
