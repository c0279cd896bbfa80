//! Fuzzes the streaming contract of `hush::Redactor`: cutting the input
//! into chunks (sizes taken from the first input bytes) must give exactly
//! the whole-buffer redaction, and restoring the result in chunks exactly
//! the whole-buffer restoration. (Round trips hold only up to the
//! vault's normalisation, which one shared vault across runs exposes, so
//! the unit tests check them on controlled texts instead.) Nothing may
//! panic, whatever the bytes.

#![no_main]

use std::sync::{Arc, OnceLock};

use hush::{Key, Policy, Redactor, Scanner, Vault};
use libfuzzer_sys::fuzz_target;

fn redactor() -> &'static Redactor {
    static R: OnceLock<Redactor> = OnceLock::new();
    R.get_or_init(|| {
        let vault =
            Vault::in_memory(Key::from_bytes([9; 32]), Policy::default())
                .expect("vault");
        Redactor::new(Arc::new(Scanner::new().expect("rules")), Arc::new(vault))
    })
}

/// Chunk lengths from `seed`, cycling, each 1..=64 (0 means 1 KiB+).
fn cuts(seed: &[u8], len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while !seed.is_empty() {
        let b = seed[i % seed.len()];
        at += if b == 0 { 1024 + i } else { usize::from(b % 64) + 1 };
        if at >= len {
            break;
        }
        out.push(at);
        i += 1;
    }
    out
}

fn run_redact(r: &Redactor, input: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut s = r.redact_stream();
    let mut out = Vec::new();
    let mut last = 0;
    for &c in cuts {
        s.push(&input[last..c], &mut out).expect("in-memory vault");
        assert!(s.held() <= r.max_redact_hold());
        last = c;
    }
    s.push(&input[last..], &mut out).expect("in-memory vault");
    s.finish(&mut out).expect("in-memory vault");
    out
}

fn run_restore(r: &Redactor, input: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut s = r.restore_stream();
    let mut out = Vec::new();
    let mut last = 0;
    for &c in cuts {
        s.push(&input[last..c], &mut out).expect("in-memory vault");
        last = c;
    }
    s.push(&input[last..], &mut out).expect("in-memory vault");
    s.finish(&mut out).expect("in-memory vault");
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (seed, input) = data.split_at(4);
    let r = redactor();
    let mut whole = Vec::new();
    r.redact_bytes(input, &mut whole).expect("in-memory vault");
    let cut = cuts(seed, input.len());
    assert_eq!(run_redact(r, input, &cut), whole, "redaction depends on cuts");
    let mut back = Vec::new();
    r.restore_bytes(&whole, &mut back).expect("in-memory vault");
    let rcut = cuts(&seed[1..], whole.len());
    assert_eq!(run_restore(r, &whole, &rcut), back, "restore depends on cuts");
});
