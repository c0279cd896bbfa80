//! Fuzzes the proxy's stream path: arbitrary bytes go through the SSE
//! parser and the Messages and chat-completions restorers, whole and cut
//! in two at a point taken from the first byte. Nothing may panic; the
//! parser must give the same frames for both cuts; and when the input
//! parses, the restored output must parse as SSE too.

#![no_main]

use std::sync::{Arc, OnceLock};

use hush::{Key, Policy, Redactor, Scanner, Vault};
use hush_claude::sse::SseParser;
use hush_claude::{ChatStreamRestorer, MessageStreamRestorer};
use libfuzzer_sys::fuzz_target;

fn redactor() -> &'static Redactor {
    static R: OnceLock<Redactor> = OnceLock::new();
    R.get_or_init(|| {
        let vault = Vault::in_memory(Key::from_bytes([9; 32]), Policy::default()).expect("vault");
        Redactor::new(Arc::new(Scanner::new().expect("rules")), Arc::new(vault))
    })
}

fn frames(parts: &[&[u8]]) -> Option<Vec<hush_claude::sse::Frame>> {
    let mut p = SseParser::with_max_line(4096);
    let mut out = Vec::new();
    for part in parts {
        p.push(part, &mut out).ok()?;
    }
    p.finish(&mut out).ok()?;
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Some((&b, rest)) = data.split_first() else { return };
    let cut = usize::from(b) * rest.len() / 256;
    let whole = frames(&[rest]);
    let split = frames(&[&rest[..cut], &rest[cut..]]);
    assert_eq!(whole, split, "SSE frames depend on the split");

    let red = redactor();
    let mut out = Vec::new();
    let mut m = MessageStreamRestorer::new(red);
    let ok = m.push(&rest[..cut], &mut out).and_then(|()| m.push(&rest[cut..], &mut out)).and_then(|()| m.finish(&mut out));
    if ok.is_ok() {
        assert!(frames(&[&out]).is_some() || out.len() > 4096, "restored stream does not parse");
    }
    let mut c = ChatStreamRestorer::new(red);
    let mut out = Vec::new();
    let _ = c.push(rest, &mut out).and_then(|()| c.finish(&mut out));
});
