//! Prints every finding of the default scanner for each input, one line
//! per finding (`input detector start end score-bits`), so that two builds
//! can be compared byte for byte:
//! `cargo run --release -p hush-detect --example findings_dump -- FILE...`.
//! A `.jsonl` file is scanned record by record (the `text` field of each
//! line); any other file is scanned whole.

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scanner = hush_detect::Scanner::new()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut found = Vec::new();
    let mut dump = |name: &str, hay: &[u8], out: &mut dyn Write| {
        scanner.scan_into(hay, &mut found);
        for f in &found {
            writeln!(
                out,
                "{name} {} {} {} {:08x}",
                scanner.detector(f.detector).id(),
                f.start,
                f.end,
                f.score.to_bits()
            )?;
        }
        Ok::<(), std::io::Error>(())
    };
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path)?;
        if path.ends_with(".jsonl") {
            for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
                if line.is_empty() {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_slice(line)?;
                let text = v["text"].as_str().unwrap_or_default();
                dump(&format!("{path}:{}", n + 1), text.as_bytes(), &mut out)?;
            }
        } else {
            dump(&path, &bytes, &mut out)?;
        }
    }
    out.flush()?;
    Ok(())
}
