//! Times the proxy's CPU work per request outside HTTP: redacting a
//! Messages body and restoring the echoed answer, on a ~10 KB prompt from
//! the chat corpus. `cargo run --release -p hush-claude --example
//! transform_probe`.

use std::sync::Arc;
use std::time::Instant;

use hush::{Key, Policy, Redactor, Scanner, Vault};
use hush_claude::{
    redact_request, restore_response, Endpoint, MediaPolicy, ResponseShape,
};
use serde_json::{json, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let corpus = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../corpora/chat.jsonl"
    ))?;
    let mut prompt = String::new();
    for line in corpus.lines() {
        if prompt.len() >= 10_000 {
            break;
        }
        let v: Value = serde_json::from_str(line)?;
        prompt.push_str(v["text"].as_str().unwrap_or(""));
        prompt.push('\n');
    }
    let t = Instant::now();
    let scanner = Arc::new(Scanner::new()?);
    println!("scanner build {:?}", t.elapsed());
    let red = Redactor::new(
        scanner,
        Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?),
    );
    let body = serde_json::to_vec(
        &json!({"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": prompt}]}),
    )?;
    let n = 500;
    let (mut parse, mut redact, mut ser, mut restore) =
        (0u128, 0u128, 0u128, 0u128);
    for i in 0..n + 20 {
        let t0 = Instant::now();
        let mut v: Value = serde_json::from_slice(&body)?;
        let t1 = Instant::now();
        let done = redact_request(
            &red,
            Endpoint::Messages,
            &mut v,
            MediaPolicy::Allow,
        )?;
        let t2 = Instant::now();
        let out = serde_json::to_vec(&v)?;
        let t3 = Instant::now();
        let text =
            v["messages"][0]["content"].as_str().unwrap_or("").to_string();
        let mut msg = json!({"type": "message", "content": [{"type": "text", "text": format!("You said: {text}")}]});
        let t4 = Instant::now();
        restore_response(&red, ResponseShape::Message, &mut msg)?;
        let t5 = Instant::now();
        if i >= 20 {
            parse += (t1 - t0).as_nanos();
            redact += (t2 - t1).as_nanos();
            ser += (t3 - t2).as_nanos();
            restore += (t5 - t4).as_nanos();
        }
        if i == 0 {
            println!(
                "prompt {} bytes, {} values redacted, upstream body {} bytes",
                prompt.len(),
                done.report.findings,
                out.len()
            );
        }
    }
    let us = |x: u128| x as f64 / n as f64 / 1000.0;
    println!(
        "per request (µs): parse {:.1}, redact {:.1}, serialise {:.1}, restore answer {:.1}; total {:.1}",
        us(parse),
        us(redact),
        us(ser),
        us(restore),
        us(parse + redact + ser + restore)
    );
    Ok(())
}
