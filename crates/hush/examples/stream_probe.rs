//! Times a redaction stream against one whole-buffer redaction of a file:
//! `stream_probe FILE [CHUNK] [whole|stream]`.
use std::sync::Arc;
use std::time::Instant;

use hush::{Key, Policy, Redactor, Scanner, Vault};

fn main() {
    let mut args = std::env::args().skip(1);
    let text = std::fs::read(args.next().expect("FILE")).unwrap();
    let chunk: usize = args.next().map_or(65536, |a| a.parse().unwrap());
    let mode = args.next().unwrap_or_default();
    let vault =
        Vault::in_memory(Key::from_bytes([1; 32]), Policy::default()).unwrap();
    let mut r =
        Redactor::new(Arc::new(Scanner::new().unwrap()), Arc::new(vault));
    if std::env::var_os("PROBE_NO_VAULT").is_some() {
        r = r.with_kinds(&[]);
    }
    if let Some(b) = std::env::var_os("PROBE_BATCH") {
        r = r.with_scan_batch(b.to_str().unwrap().parse().unwrap());
    }
    let mut warm = Vec::new();
    r.redact_bytes(&text, &mut warm).unwrap();
    for _ in 0..3 {
        if mode != "stream" {
            let mut out = Vec::with_capacity(text.len() * 2);
            let t = Instant::now();
            r.redact_bytes(&text, &mut out).unwrap();
            println!("whole: {:?}", t.elapsed());
        }
        if mode != "whole" {
            let mut out = Vec::with_capacity(text.len() * 2);
            let t = Instant::now();
            let mut s = r.redact_stream();
            for piece in text.chunks(chunk) {
                s.push(piece, &mut out).unwrap();
            }
            s.finish(&mut out).unwrap();
            println!("stream {chunk}: {:?}", t.elapsed());
        }
    }
}
