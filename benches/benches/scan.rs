//! Scan throughput of hush-detect per corpus, against a naive baseline
//! (one regex per detector, run one after another), plus scanner build
//! time. See `benches/README.md` for how to run and read it.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, Criterion, SamplingMode, Throughput,
};
use hush_benches::{load_haystack, synthetic_haystack, Naive, CORPORA};
use hush_detect::Scanner;

/// The haystacks to time, with their gold entity counts: every generated
/// corpus, or a synthetic one (gold count unknown) if `cargo xtask corpus`
/// has not been run.
fn haystacks(scanner: &Scanner) -> Vec<(String, Vec<u8>, Option<usize>)> {
    let mut out: Vec<(String, Vec<u8>, Option<usize>)> = CORPORA
        .iter()
        .filter_map(|&name| {
            load_haystack(name)
                .map(|(hay, gold)| (name.to_string(), hay, Some(gold)))
        })
        .collect();
    if out.is_empty() {
        eprintln!(
            "no corpora/*.jsonl (run `cargo xtask corpus`); \
             using a synthetic haystack"
        );
        out.push(("synthetic".to_string(), synthetic_haystack(scanner), None));
    }
    out
}

/// The default scanner without the name detectors (`name.*`): timed next
/// to `hush` so that the cost of the names pass is visible per corpus.
fn rules_only() -> Scanner {
    let all = Scanner::new().expect("built-in rules build");
    let ids: Vec<&str> = all
        .detectors()
        .map(|d| d.id())
        .filter(|id| !id.starts_with("name."))
        .collect();
    Scanner::builder().only_rules(&ids).build().expect("rules build")
}

fn scan(c: &mut Criterion) {
    let scanner = Scanner::new().expect("built-in rules build");
    let rules = rules_only();
    let naive = Naive::new(&scanner);
    for (name, hay, gold) in haystacks(&scanner) {
        // The workload is checked before it is timed: on a generated
        // corpus hush must report exactly its gold entities (the
        // evaluation's F1 is 1.0 there), and every timed run below must
        // report the same count again.
        let found = scanner.scan(&hay);
        let expected = found.len();
        if let Some(gold) = gold {
            let structured = hush_benches::structured(&found);
            assert_eq!(structured, gold, "{name}: findings != gold entities");
        }
        let rules_expected = rules.scan(&hay).len();
        let naive_expected = naive.count(&hay);
        eprintln!(
            "{name}: {} bytes, hush {expected} findings, \
             naive {naive_expected} matches",
            hay.len()
        );
        if gold.is_none_or(|g| g > 0) {
            assert!(expected > 0, "{name}: hush found nothing");
            assert!(naive_expected > 0, "{name}: naive found nothing");
        }
        let mut g = c.benchmark_group(name.as_str());
        // One scan of a 4 MB haystack is long enough to time on its own;
        // flat sampling keeps the slow baseline to a few dozen runs.
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Bytes(hay.len() as u64));
        g.bench_function("hush", |b| {
            b.iter(|| {
                let n = scanner.scan(black_box(&hay)).len();
                assert_eq!(n, expected);
                n
            })
        });
        g.bench_function("rules_only", |b| {
            b.iter(|| {
                let n = rules.scan(black_box(&hay)).len();
                assert_eq!(n, rules_expected);
                n
            })
        });
        g.bench_function("naive", |b| {
            b.iter(|| {
                let n = naive.count(black_box(&hay));
                assert_eq!(n, naive_expected);
                n
            })
        });
        g.finish();
    }
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.bench_function("Scanner::new", |b| {
        b.iter(|| Scanner::new().expect("built-in rules build"))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = scan, build
}
criterion_main!(benches);
