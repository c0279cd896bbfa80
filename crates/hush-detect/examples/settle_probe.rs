//! Compares settling fixed-size windows (what a stream does) with one
//! whole-buffer scan of a file: `settle_probe FILE [SIZE] [whole|settled]`.
use std::time::Instant;

fn main() {
    let s = hush_detect::Scanner::new().unwrap();
    let mut args = std::env::args().skip(1);
    let text = std::fs::read(args.next().expect("FILE")).unwrap();
    let size: usize = args.next().map_or(65536, |a| a.parse().unwrap());
    let mode = args.next().unwrap_or_default();
    if mode != "settled" {
        let t = Instant::now();
        let f = s.scan(&text).len();
        println!("whole: {:?} ({f} findings)", t.elapsed());
    }
    if mode != "whole" {
        let t = Instant::now();
        let mut buf: Vec<u8> = Vec::new();
        let (mut from, mut count, mut held) = (0, 0, 0);
        let mut found = Vec::new();
        for chunk in text.chunks(size) {
            buf.extend_from_slice(chunk);
            let p = s.scan_settled(&buf, from, false, &mut found);
            count += found.len();
            held += buf.len() - p;
            let keep = p.saturating_sub(s.settle_context());
            buf.drain(..keep);
            from = p - keep;
        }
        s.scan_settled(&buf, from, true, &mut found);
        count += found.len();
        let windows = text.len().div_ceil(size).max(1);
        println!(
            "settled {size}: {:?} ({count} findings), mean hold {}",
            t.elapsed(),
            held / windows
        );
    }
}
