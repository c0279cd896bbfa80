//! Replays the scanner test table in `tests/data/scan.toml` (at the
//! repository root): each haystack must produce exactly the listed
//! findings, in order. `HUSH_TEST=substring` runs only matching entries.

use hush_detect::Scanner;
use serde::Deserialize;

#[derive(Deserialize)]
struct Table {
    test: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    haystack: String,
    findings: Vec<(String, String)>,
}

#[test]
fn scan_table() {
    let text = include_str!("../../../tests/data/scan.toml");
    let table: Table = toml::from_str(text).expect("valid test table");
    let filter = std::env::var("HUSH_TEST").ok();
    let scanner = Scanner::new().expect("default rules build");
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in &table.test {
        if let Some(f) = &filter {
            if !case.name.contains(f.as_str()) {
                continue;
            }
        }
        ran += 1;
        let got: Vec<(String, String)> = scanner
            .scan_str(&case.haystack)
            .iter()
            .map(|f| {
                (
                    f.kind.as_str().to_string(),
                    case.haystack[f.range()].to_string(),
                )
            })
            .collect();
        if got != case.findings {
            failures.push(format!(
                "{}:\n  expected {:?}\n  got      {:?}",
                case.name, case.findings, got
            ));
        }
    }
    assert!(ran > 0, "no test case matched HUSH_TEST={filter:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
