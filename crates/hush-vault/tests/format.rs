//! On-disk format versions: a version-1 file is read as it is and
//! rewritten in the current version before the first write; large
//! version-2 files (many batch records, read in parallel) reopen intact.

use std::fs;
use std::path::Path;

use hush_detect::Kind;
use hush_vault::{Key, Operator, Policy, Vault, FORMAT_VERSION};

/// `tests/data/v1.hushvault` was written by the version-1 build (commit
/// 29cc26b) with this key and policy: mappings in two scopes (tags,
/// surrogates, values whose normal form differs), a `forget` (so a
/// rewrite), more mappings appended after it, then a second session more
/// than a minute later whose lookups and restores left `Touch` records.
/// `v1.export.jsonl` is that build's `export(true)` of the file.
fn v1_key() -> Key {
    Key::from_bytes([7; 32])
}

fn v1_policy() -> Policy {
    Policy::default().with_operator(Kind::Person, Operator::Surrogate).unwrap()
}

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn version(path: &Path) -> u32 {
    let b = fs::read(path).unwrap();
    u32::from_le_bytes(b[8..12].try_into().unwrap())
}

fn export(v: &Vault) -> String {
    let mut out = Vec::new();
    v.export(true, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

struct Line {
    scope: String,
    kind: Kind,
    pseudonym: String,
    value: String,
    created: u64,
    last_used: u64,
}

fn lines(export: &str) -> Vec<Line> {
    export
        .lines()
        .map(|l| {
            let j: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| j[k].as_str().unwrap().to_string();
            Line {
                scope: s("scope"),
                kind: s("kind").parse().unwrap(),
                pseudonym: s("pseudonym"),
                value: s("value"),
                created: j["created"].as_u64().unwrap(),
                last_used: j["last_used"].as_u64().unwrap(),
            }
        })
        .collect()
}

#[test]
fn version_1_file_reads_then_upgrades_on_first_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.hushvault");
    fs::copy(data("v1.hushvault"), &path).unwrap();
    let expected = fs::read_to_string(data("v1.export.jsonl")).unwrap();
    assert_eq!(version(&path), 1);

    // Read as it is: the same entries, times (touches applied) and order.
    let v = Vault::open(&path, v1_key(), v1_policy()).unwrap();
    assert_eq!(export(&v), expected);
    let old = lines(&expected);
    assert_eq!(old.len(), 9);
    assert!(old.iter().any(|l| l.last_used > l.created), "touches read");
    for l in &old {
        let s = v.scope(&l.scope);
        assert_eq!(s.lookup(l.kind, &l.value).as_deref(), Some(&*l.pseudonym));
        assert_eq!(s.restore(&l.pseudonym).unwrap().text(), l.value);
    }
    assert!(v.scope("alpha").lookup(Kind::Email, "gone@acme.io").is_none());
    assert_eq!(version(&path), 1, "reading does not rewrite");

    // The first write rewrites the file in the current version.
    let new =
        v.scope("beta").pseudonymise(Kind::Email, "new@acme.io").unwrap();
    assert_eq!(version(&path), FORMAT_VERSION);
    drop(v);

    let v = Vault::open(&path, v1_key(), v1_policy()).unwrap();
    let now = lines(&export(&v));
    assert_eq!(now.len(), old.len() + 1);
    for (a, b) in old.iter().zip(&now) {
        assert_eq!(
            (&a.scope, a.kind, &a.pseudonym, &a.value, a.created),
            (&b.scope, b.kind, &b.pseudonym, &b.value, b.created)
        );
        assert!(b.last_used >= a.last_used);
    }
    let s = v.scope("beta");
    assert_eq!(s.restore(&new).unwrap().text(), "new@acme.io");
    assert_eq!(
        s.pseudonymise(Kind::Email, "late@ACME.io").unwrap(),
        old[7].pseudonym
    );
}

#[test]
fn version_1_file_with_a_wrong_key_or_damage_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.hushvault");
    fs::copy(data("v1.hushvault"), &path).unwrap();
    let err =
        Vault::open(&path, Key::from_bytes([8; 32]), v1_policy()).unwrap_err();
    assert!(err.is_wrong_key(), "{err}");
    let mut b = fs::read(&path).unwrap();
    let n = b.len();
    b[n - 20] ^= 1;
    fs::write(&path, &b).unwrap();
    let err = Vault::open(&path, v1_key(), v1_policy()).unwrap_err();
    assert!(err.is_corrupt(), "{err}");
}

/// Enough entries for many batch records and several read chunks, in
/// interleaved scopes, with touches and a rewrite: everything reopens.
#[test]
fn large_vault_reopens_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.hushvault");
    let key = Key::from_bytes([3; 32]);
    let policy = || {
        Policy::default()
            .with_operator(Kind::Person, Operator::Surrogate)
            .unwrap()
            .with_code_digits(9)
            .unwrap()
    };
    let values: Vec<(usize, Kind, String)> = (0..30_000)
        .map(|i| match i % 3 {
            0 => (
                i % 3,
                Kind::Email,
                format!("user{i}@Mail{}.example.ORG", i % 7),
            ),
            1 => (
                i % 3,
                Kind::Phone,
                format!("+1 415 {:03} {:04}", i / 10_000, i % 10_000),
            ),
            _ => (i % 3, Kind::Person, format!("Person  Number{i}")),
        })
        .collect();
    let scopes = ["s0", "s1", "s2"];
    let mut issued = Vec::new();
    {
        let v = Vault::open(&path, key.clone(), policy()).unwrap();
        for part in values.chunks(4_000) {
            for (k, scope) in scopes.iter().enumerate() {
                let items: Vec<(Kind, &str)> = part
                    .iter()
                    .filter(|(s, ..)| *s == k)
                    .map(|(_, kind, v)| (*kind, v.as_str()))
                    .collect();
                issued.extend(
                    v.scope(scope).pseudonymise_batch(&items).unwrap(),
                );
            }
        }
        // Rewrite (scopes interleave in the batches it writes).
        assert_eq!(v.scope("s0").forget(&values[0].2).unwrap(), 1);
        v.scope("s1").pseudonymise(Kind::Phone, "+44 20 7946 0000").unwrap();
    }
    let v = Vault::open(&path, key, policy()).unwrap();
    assert_eq!(v.stats().unwrap().entries, values.len());
    let mut by_value = std::collections::HashMap::new();
    let mut i = 0;
    for part in values.chunks(4_000) {
        for k in 0..3 {
            for (s, kind, value) in part.iter().filter(|(s, ..)| *s == k) {
                by_value.insert((*s, *kind, value.clone()), issued[i].clone());
                i += 1;
            }
        }
    }
    for (j, (s, kind, value)) in values.iter().enumerate() {
        let scope = v.scope(scopes[*s]);
        let p = &by_value[&(*s, *kind, value.clone())];
        if j == 0 {
            assert!(scope.lookup(*kind, value).is_none());
            continue;
        }
        assert_eq!(scope.lookup(*kind, value).as_ref(), Some(p), "{j}");
        if j % 97 == 0 {
            assert_eq!(scope.restore(p).unwrap().text(), *value);
        }
    }
}

/// Records written twice (not something hush writes, but a file may
/// hold them): the first copy of each mapping wins, nothing is doubled.
#[test]
fn repeated_records_keep_the_first_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.hushvault");
    let key = Key::from_bytes([4; 32]);
    let (a, c) = {
        let v = Vault::open(&path, key.clone(), Policy::default()).unwrap();
        let s = v.scope("s");
        (
            s.pseudonymise(Kind::Email, "a@b.io").unwrap(),
            s.pseudonymise(Kind::Email, "c@d.io").unwrap(),
        )
    };
    let mut b = fs::read(&path).unwrap();
    let n = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
    let records = b[16 + n + 4..].to_vec();
    b.extend_from_slice(&records);
    fs::write(&path, &b).unwrap();
    let v = Vault::open(&path, key, Policy::default()).unwrap();
    assert_eq!(v.stats().unwrap().entries, 2);
    let s = v.scope("s");
    assert_eq!(s.lookup(Kind::Email, "a@b.io"), Some(a));
    assert_eq!(s.restore(&c).unwrap().text(), "c@d.io");
    assert_eq!(s.pseudonymise(Kind::Email, "e@f.io").unwrap().len(), c.len());
    assert_eq!(v.stats().unwrap().entries, 3);
}
