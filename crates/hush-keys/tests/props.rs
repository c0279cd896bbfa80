//! Property tests: the key parser and the store parser never panic on any
//! input, every issued key is accepted and any change to it is not.

use hush_keys::{key_id_of, KeyRing, KeySpec, KeyStore, RequestFacts};
use proptest::prelude::*;

fn ring_and_key() -> (KeyRing, String) {
    let mut store = KeyStore::in_memory();
    let (_, s) = store
        .create(KeySpec {
            models: vec!["claude-*".into()],
            max_tokens: Some(100),
            ..KeySpec::named("p")
        })
        .unwrap();
    (KeyRing::from_store(&store), s.expose().to_string())
}

/// Strings that look a lot like keys, to get past the first checks.
fn keyish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "hush_[a-z2-7]{12}_[a-z2-7]{52}",
        "hush_[a-z0-9_é]{0,80}",
        "[ \t]*hush_[a-zA-Z2-7]{12}_[a-z2-7]{50,54}[ \n]*",
    ]
}

proptest! {
    #[test]
    fn key_parser_never_panics(s in keyish()) {
        let (ring, _) = ring_and_key();
        if let Some(id) = key_id_of(&s) {
            prop_assert_eq!(id.len(), 12);
            prop_assert!(s.contains(id));
        }
        let r = ring.authorize(&s, &RequestFacts::default());
        prop_assert_eq!(r.unwrap_err().status, 401);
    }

    #[test]
    fn any_change_to_a_key_is_refused(pos in 0usize..70, c in "[a-z2-7_A-Z]") {
        let (ring, key) = ring_and_key();
        let mut changed = key.clone();
        changed.replace_range(pos..pos + 1, &c);
        let r = ring.authorize(&changed, &RequestFacts::default());
        prop_assert_eq!(r.is_ok(), changed == key);
    }

    #[test]
    fn limits_hold(model in "[a-z0-9-]{0,20}", max in 0u64..200) {
        let (ring, key) = ring_and_key();
        let f = RequestFacts { model: Some(&model), max_tokens: Some(max) };
        let allowed = model.starts_with("claude-") && max <= 100;
        match ring.authorize(&key, &f) {
            Ok(_) => prop_assert!(allowed),
            Err(d) => {
                prop_assert!(!allowed);
                prop_assert_eq!(d.status, 403);
            }
        }
    }

    #[test]
    fn store_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = KeyStore::from_slice(&bytes);
    }

    #[test]
    fn store_parser_survives_edited_stores(
        cut in 0usize..2000,
        byte in any::<u8>(),
    ) {
        let mut store = KeyStore::in_memory();
        store.create(KeySpec::named("x")).unwrap();
        let (_, s) = store.create(KeySpec::named("y")).unwrap();
        store.rotate("y", std::time::Duration::from_secs(60)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let mut disk = KeyStore::open(&path).unwrap();
        disk.create(KeySpec::named("z")).unwrap();
        disk.save().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let at = cut % bytes.len();
        bytes[at] = byte;
        if let Ok(parsed) = KeyStore::from_slice(&bytes) {
            let ring = KeyRing::from_store(&parsed);
            let _ = parsed.list();
            let _ = ring.authorize(s.expose(), &RequestFacts::default());
        }
    }
}
