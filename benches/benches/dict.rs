//! Dictionary matching figures: the build time of a 1,000,000-term user
//! dictionary and of the built-in gazetteer, and prose scan throughput of
//! the scanner alone, the dictionary alone and both.

use std::hint::black_box;
use std::time::Instant;

use criterion::{
    criterion_group, criterion_main, Criterion, SamplingMode, Throughput,
};
use hush_benches::load_haystack;
use hush_detect::{Dictionary, Gazetteer, Scanner};

/// `n` distinct customer-like terms ("Velorka Tansimo Holdings"), made
/// deterministically from syllables so that the set is the same on every
/// machine.
fn terms(n: usize) -> Vec<String> {
    const SYL: &[&str] = &[
        "ka", "lo", "ve", "ri", "tan", "sim", "or", "bel", "dru", "mex",
        "qua", "zin", "pol", "nar", "feu", "gri", "hal", "jor", "wen", "tix",
    ];
    const SUFFIX: &[&str] =
        &["Holdings", "Ltd", "GmbH", "Labs", "Partners", "Group", "Inc"];
    let mut x: u64 = 0x4855_5348_4449_4354;
    (0..n)
        .map(|i| {
            let mut word = |len: usize| {
                let mut w = String::new();
                for _ in 0..len {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    w.push_str(SYL[(x >> 33) as usize % SYL.len()]);
                }
                w[..1].to_uppercase() + &w[1..]
            };
            let (a, b) = (word(3), word(2));
            format!("{a} {b}{} {}", i % 1000, SUFFIX[i % SUFFIX.len()])
        })
        .collect()
}

fn build_million(terms: &[String]) -> Dictionary {
    let mut b = Dictionary::builder();
    for t in terms {
        b = b.term(t, "CUSTOMER");
    }
    b.build().expect("dictionary builds")
}

fn build(c: &mut Criterion) {
    let terms = terms(1_000_000);
    let t = Instant::now();
    let d = build_million(&terms);
    eprintln!(
        "1M-term dictionary: built in {:?}, automaton {} MB",
        t.elapsed(),
        d.memory_usage() >> 20
    );
    let t = Instant::now();
    let g = Gazetteer::load().expect("gazetteer loads");
    eprintln!("gazetteer: {} names loaded in {:?}", g.len(), t.elapsed());
    let mut g = c.benchmark_group("dict-build");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    // The 1M-term build is timed once above (about 0.3 s on the 2-core
    // VM since the dictionary is a hash index, not an automaton).
    g.bench_function("gazetteer", |b| {
        b.iter(|| Gazetteer::load().expect("loads").len())
    });
    g.finish();
}

fn scan(c: &mut Criterion) {
    let Some((hay, _)) = load_haystack("prose") else {
        eprintln!("no corpora/prose.jsonl: run `cargo xtask corpus`");
        return;
    };
    let scanner = Scanner::new().expect("built-in rules build");
    let mut terms = terms(1_000_000);
    // A few terms that do occur in the prose corpus, so that the timed
    // runs include matches.
    terms.extend(["Acme".to_string(), "quarterly review".to_string()]);
    let dict = build_million(&terms);
    let gaz = Gazetteer::load().expect("gazetteer loads");
    eprintln!(
        "prose: {} bytes, scanner {} findings, dictionary {} matches, \
         gazetteer {} matches",
        hay.len(),
        scanner.scan(&hay).len(),
        dict.find_all(&hay).len(),
        gaz.find_all(&hay).len()
    );
    let mut g = c.benchmark_group("dict-prose");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.throughput(Throughput::Bytes(hay.len() as u64));
    g.bench_function("scanner", |b| {
        b.iter(|| scanner.scan(black_box(&hay)).len())
    });
    g.bench_function("dictionary-1M", |b| {
        b.iter(|| dict.find_all(black_box(&hay)).len())
    });
    g.bench_function("scanner+dictionary-1M", |b| {
        b.iter(|| scanner.scan(&hay).len() + dict.find_all(&hay).len())
    });
    g.bench_function("gazetteer", |b| {
        b.iter(|| gaz.find_all(black_box(&hay)).len())
    });
    g.finish();
}

criterion_group!(benches, build, scan);
criterion_main!(benches);
