//! Scans each file given once with the default scanner and prints its
//! size and finding count: a probe for instruction counts, e.g.
//! `valgrind --tool=callgrind --collect-atstart=no
//! --toggle-collect='hush_detect::scanner::Scanner::scan_into'
//! target/release/examples/scan_cost FILE` (instructions / bytes).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scanner = hush_detect::Scanner::new()?;
    let mut found = Vec::new();
    for path in std::env::args().skip(1) {
        let hay = std::fs::read(&path)?;
        scanner.scan_into(&hay, &mut found);
        println!("{path}: {} bytes, {} findings", hay.len(), found.len());
    }
    Ok(())
}
