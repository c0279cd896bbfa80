//! Scans each file given once with the default scanner and prints its
//! size and finding count: a probe for instruction counts, e.g.
//! `valgrind --tool=callgrind --collect-atstart=no
//! --toggle-collect='scan_cost::measured'
//! target/release/examples/scan_cost FILE` (instructions / bytes).
//!
//! Each file is scanned twice and only the second scan is `measured`:
//! the first fills the lazy DFAs' caches, which a long-running process
//! (or a large file) pays once.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scanner = hush_detect::Scanner::new()?;
    let mut found = Vec::new();
    for path in std::env::args().skip(1) {
        let hay = std::fs::read(&path)?;
        scanner.scan_into(&hay, &mut found);
        measured(&scanner, &hay, &mut found);
        println!("{path}: {} bytes, {} findings", hay.len(), found.len());
    }
    Ok(())
}

/// The scan callgrind counts.
#[inline(never)]
fn measured(
    scanner: &hush_detect::Scanner,
    hay: &[u8],
    found: &mut Vec<hush_detect::Finding>,
) {
    scanner.scan_into(hay, found);
}
