//! Fuzzes the key store file parser: any bytes must parse into a store
//! or fail with an error, never panic; a store that parses must list,
//! build a key ring and answer `authorize` (401 or 403, or a grant) for
//! a key cut from the input, without panicking.

#![no_main]

use hush_keys::{KeyRing, KeyStore, RequestFacts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(store) = KeyStore::from_slice(data) else { return };
    for k in store.list() {
        assert_eq!(k.key.id.len(), hush_keys::KEY_ID_LEN);
        let _ = k.status.as_str();
    }
    let ring = KeyRing::from_store(&store);
    assert_eq!(ring.len(), store.list().len());
    let text = String::from_utf8_lossy(data);
    let facts = RequestFacts { model: Some("claude-x"), max_tokens: Some(1) };
    for candidate in [&*text, text.get(..70).unwrap_or("")] {
        if let Err(d) = ring.authorize(candidate, &facts) {
            assert!(d.status == 401 || d.status == 403);
        }
    }
});
