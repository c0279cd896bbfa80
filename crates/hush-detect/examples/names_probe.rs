//! Prints the findings of the default scanner for each line of standard
//! input (for trying the name detectors by hand):
//! `echo "Dear Will," | cargo run -p hush-detect --example names_probe`.
//! With a file argument, scans the file whole five times and prints the
//! best time (for profiling).

use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // HUSH_NO_NAMES=1 leaves the name detectors out (for comparison).
    let scanner = if std::env::var_os("HUSH_NO_NAMES").is_some() {
        let ids: Vec<String> = hush_detect::Scanner::new()?
            .detectors()
            .filter(|d| !d.id().starts_with("name."))
            .map(|d| d.id().to_string())
            .collect();
        let ids: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
        hush_detect::Scanner::builder().only_rules(&ids).build()?
    } else {
        hush_detect::Scanner::new()?
    };
    if let Some(path) = std::env::args().nth(1) {
        let hay = std::fs::read(path)?;
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            n = scanner.scan(&hay).len();
            best = best.min(t.elapsed().as_secs_f64());
        }
        let mb = hay.len() as f64 / 1e6;
        println!("{n} findings, {:.1} MB/s", mb / best);
        println!(
            "name lexicon loaded in {:?}",
            hush_detect::lexicon_load_time()
        );
        return Ok(());
    }
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let found = scanner.scan_str(&line);
        let shown: Vec<String> = found
            .iter()
            .map(|f| {
                format!("{}:{:?}:{:.2}", f.kind, &line[f.range()], f.score)
            })
            .collect();
        println!("{line}\n    => {}", shown.join("  "));
    }
    Ok(())
}
