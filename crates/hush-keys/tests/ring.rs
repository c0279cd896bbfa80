//! The key ring as the proxy uses it: every denial case with its status
//! and error type, a revocation picked up from the file by the watcher
//! thread, a corrupt file that leaves the previous keys in force, and a
//! store file that keeps no secret and has mode 0600.

use std::time::{Duration, Instant};

use hush_keys::{key_id_of, Denied, KeyRing, KeySpec, KeyStore, RequestFacts};

fn facts(model: &str, max_tokens: u64) -> RequestFacts<'_> {
    RequestFacts { model: Some(model), max_tokens: Some(max_tokens) }
}

fn denied(r: Result<hush_keys::Authorized, Denied>) -> (u16, &'static str) {
    let d = r.unwrap_err();
    (d.status, d.kind)
}

#[test]
fn denial_table() {
    let mut store = KeyStore::in_memory();
    let (_, limited) = store
        .create(KeySpec {
            models: vec!["claude-haiku-*".into(), "claude-sonnet-4-5".into()],
            max_tokens: Some(2048),
            rpm: Some(30),
            ..KeySpec::named("limited")
        })
        .unwrap();
    let (_, open) = store.create(KeySpec::named("open")).unwrap();
    let (_, revoked) = store.create(KeySpec::named("gone")).unwrap();
    store.revoke("gone").unwrap();
    let ring = KeyRing::from_store(&store);
    let limited = limited.expose();
    let open = open.expose();

    // Accepted, with what the proxy enforces itself.
    let ok =
        ring.authorize(limited, &facts("claude-haiku-4-5", 2048)).unwrap();
    assert_eq!((ok.name.as_str(), ok.rpm), ("limited", Some(30)));
    assert_eq!(Some(ok.key_id.as_str()), key_id_of(limited));
    assert!(ring.authorize(open, &facts("anything", u64::MAX)).is_ok());
    // Facts the proxy does not know are not checked.
    assert!(ring.authorize(limited, &RequestFacts::default()).is_ok());
    // Surrounding whitespace (a header value) is tolerated.
    assert!(ring
        .authorize(&format!(" {limited}\n"), &RequestFacts::default())
        .is_ok());

    const AUTH: (u16, &str) = (401, "authentication_error");
    const PERM: (u16, &str) = (403, "permission_error");
    let f = facts("claude-haiku-4-5", 10);
    let mut wrong = limited.to_string();
    wrong.replace_range(limited.len() - 1.., "2");
    if wrong == limited {
        wrong.replace_range(limited.len() - 1.., "3");
    }
    let unknown = format!("hush_zzzzzzzzzzzz_{}", &limited[18..]);
    let cases: Vec<(&str, RequestFacts, (u16, &str))> = vec![
        ("", f, AUTH),
        ("hush_", f, AUTH),
        ("sk-ant-api03-abcdef", f, AUTH),
        (&limited[..limited.len() - 1], f, AUTH),
        (&wrong, f, AUTH),
        (&unknown, f, AUTH),
        (revoked.expose(), f, AUTH),
        (limited, facts("claude-opus-4-1", 10), PERM),
        (limited, facts("claude-sonnet-4-5-20250929", 10), PERM),
        (limited, facts("claude-haiku-4-5", 2049), PERM),
    ];
    for (key, f, want) in cases {
        assert_eq!(denied(ring.authorize(key, &f)), want, "{f:?}");
        // No secret in what the client is told.
        let d = ring.authorize(key, &f).unwrap_err();
        let secret = &limited[18..];
        assert!(!d.message.contains(secret) && !d.to_json().contains(secret));
    }
    let d = ring.authorize(revoked.expose(), &f).unwrap_err();
    assert_eq!(d.message, "this API key was revoked");
    assert!(d.key_id.is_some());
}

#[test]
fn watcher_picks_up_revocation_and_survives_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let mut store = KeyStore::open(&path).unwrap();
    let (_, a) = store.create(KeySpec::named("a")).unwrap();
    store.save().unwrap();
    let ring =
        KeyRing::load_with_poll(&path, Duration::from_millis(50)).unwrap();
    let clone = ring.clone();
    let f = RequestFacts::default();
    assert!(ring.authorize(a.expose(), &f).is_ok());

    // A key added and one revoked by another process (the CLI).
    let mut other = KeyStore::open(&path).unwrap();
    let (_, b) = other.create(KeySpec::named("b")).unwrap();
    other.revoke("a").unwrap();
    other.save().unwrap();
    let t = Instant::now();
    while ring.authorize(a.expose(), &f).is_ok() {
        assert!(t.elapsed() < Duration::from_secs(5), "revocation missed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(clone.authorize(b.expose(), &f).is_ok());
    assert_eq!(clone.len(), 2);

    // A broken file: the last good keys stay in force.
    std::fs::write(&path, "{\"version\": 1, \"keys\": [").unwrap();
    assert!(ring.reload().is_err());
    std::thread::sleep(Duration::from_millis(150));
    assert!(ring.authorize(b.expose(), &f).is_ok());
    assert_eq!(ring.authorize(a.expose(), &f).unwrap_err().status, 401);
    // And a vanished one too.
    std::fs::remove_file(&path).unwrap();
    assert!(ring.reload().is_err());
    assert!(ring.authorize(b.expose(), &f).is_ok());
    other.save().unwrap();
    assert!(ring.reload().unwrap() || ring.len() == 2);
}

#[test]
fn store_file_keeps_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let mut store = KeyStore::open(&path).unwrap();
    let (key, secret) = store
        .create(KeySpec {
            expires_in: Some(Duration::from_secs(3600)),
            ..KeySpec::named("svc")
        })
        .unwrap();
    store.save().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let secret_part = &secret.expose()[18..];
    assert!(!text.contains(secret_part));
    assert!(text.contains(&key.id));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let debug = format!("{store:?} {secret:?}");
    assert!(!debug.contains(secret_part), "{debug}");
    // Reopened, the key still works.
    let ring = KeyRing::load_with_poll(&path, Duration::ZERO).unwrap();
    assert!(ring.authorize(secret.expose(), &RequestFacts::default()).is_ok());
}

#[test]
fn load_needs_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("keys.json");
    let err = KeyRing::load(&missing).unwrap_err().to_string();
    assert!(err.contains("keys.json"), "{err}");
    std::fs::write(&missing, b"\x00\xff garbage").unwrap();
    let err = KeyRing::load(&missing).unwrap_err().to_string();
    assert!(err.contains("corrupt key store"), "{err}");
}
