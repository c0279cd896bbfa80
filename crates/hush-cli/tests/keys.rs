//! `hush keys ...` end to end: create prints the key once, the store
//! keeps only its hash, list shows status, revoke and rotate change what
//! the key ring accepts, and bad input is a clear error (exit 2).

mod common;

use std::path::Path;

use hush_keys::{KeyRing, RequestFacts};
use predicates::prelude::*;
use serde_json::Value;

fn run(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = common::hush(home).arg("keys").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn field<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name} in {stdout}"))
}

fn accepted(store: &Path, key: &str) -> Result<(), u16> {
    let ring =
        KeyRing::load_with_poll(store, std::time::Duration::ZERO).unwrap();
    let facts = RequestFacts {
        model: Some("claude-sonnet-4-5"),
        max_tokens: Some(1000),
    };
    ring.authorize(key, &facts).map(|_| ()).map_err(|d| d.status)
}

#[test]
fn create_list_rotate_revoke() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // The default store is in the data directory.
    let store = h.join("data/hush/keys.json");

    let (code, out, err) = run(
        h,
        &[
            "create",
            "--name",
            "svc-billing",
            "--models",
            "claude-*",
            "--max-tokens",
            "4096",
            "--rpm",
            "60",
            "--expires",
            "90d",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let id = field(&out, "id").to_string();
    let key = field(&out, "key").to_string();
    assert!(key.starts_with(&format!("hush_{id}_")));
    assert!(err.contains("not shown again"), "{err}");
    assert!(!err.contains(&key));
    let text = std::fs::read_to_string(&store).unwrap();
    assert!(!text.contains(&key[18..]), "the store holds the secret");
    assert_eq!(accepted(&store, &key), Ok(()));

    // A second key, JSON output, another store path via HUSH_KEYS.
    let (code, out, _) = run(h, &["create", "--name", "ci", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let ci_key = v["key"].as_str().unwrap().to_string();
    assert_eq!(v["name"], "ci");

    let (code, out, _) = run(h, &["list"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("ID"), "{out}");
    assert!(lines[0].contains("STATUS") && lines[0].contains("MODELS"));
    assert!(lines[1].starts_with(&id) && lines[1].contains("svc-billing"));
    assert!(lines[1].contains(" ok ") && lines[1].contains("claude-*"));
    assert!(lines[2].contains("never") && lines[2].ends_with('*'));
    assert!(!out.contains(&key[18..]));

    // Rotate by name: the old key keeps working during the grace period.
    let (code, out, err) = run(h, &["rotate", "svc-billing", "--grace", "1d"]);
    assert_eq!(code, 0, "{err}");
    let new_key = field(&out, "key").to_string();
    assert_ne!(new_key, key);
    assert!(err.contains("works until"), "{err}");
    assert_eq!(accepted(&store, &key), Ok(()));
    assert_eq!(accepted(&store, &new_key), Ok(()));
    let (_, out, _) = run(h, &["list", "--json"]);
    let list: Value = serde_json::from_str(&out).unwrap();
    let statuses: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["rotating", "ok", "ok"]);
    assert_eq!(list[0]["rotated_to"], list[2]["id"]);
    assert_eq!(list[2]["max_tokens"], 4096);
    assert_eq!(list[2]["rpm"], 60);

    // Revoke by id ends the old key now; by name, the rest.
    let (code, out, _) = run(h, &["revoke", &id]);
    assert_eq!((code, out.as_str()), (0, format!("revoked {id}\n").as_str()));
    assert_eq!(accepted(&store, &key), Err(401));
    assert_eq!(accepted(&store, &new_key), Ok(()));
    run(h, &["revoke", "svc-billing"]);
    assert_eq!(accepted(&store, &new_key), Err(401));
    assert_eq!(accepted(&store, &ci_key), Ok(()));
    let (_, out, _) = run(h, &["list"]);
    assert_eq!(out.matches("revoked").count(), 2, "{out}");
}

#[test]
fn store_flag_env_and_policy() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let flag = h.join("flag.json");
    let env = h.join("env.json");
    let (code, _, _) =
        run(h, &["create", "--name", "a", "--store", flag.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(flag.is_file());
    let out = common::hush(h)
        .env("HUSH_KEYS", &env)
        .args(["keys", "create", "--name", "b"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(env.is_file());
    assert!(!h.join("data/hush/keys.json").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let s = ["--store", flag.to_str().unwrap()];
    let (code, out, _) = run(h, &[&["policy"][..], &s].concat());
    assert_eq!((code, out.as_str()), (0, "max age: 90d\nwarn: 14d before\n"));
    let (code, out, _) = run(
        h,
        &[&["policy", "--max-age", "30d", "--warn", "30d"][..], &s].concat(),
    );
    assert_eq!((code, out.as_str()), (0, "max age: 30d\nwarn: 30d before\n"));
    // Every key is now within the warning period.
    let (_, out, _) = run(h, &[&["list"][..], &s].concat());
    assert!(out.contains("rotate soon"), "{out}");
}

#[test]
fn errors_are_clear() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let cases: &[(&[&str], &str)] = &[
        (&["revoke", "nobody"], "no key with id or name \"nobody\""),
        (&["rotate", "nobody"], "no key with id or name"),
        (&["create", "--name", "bad name"], "key name"),
        (&["create", "--name", "x", "--expires", "3x"], "bad duration"),
        (&["create", "--name", "x", "--models", "claude *"], "model pattern"),
        (&["policy", "--max-age", "0d"], "rotation policy"),
    ];
    for (args, want) in cases {
        let (code, _, err) = run(h, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    run(h, &["create", "--name", "dup"]);
    let (code, _, err) = run(h, &["create", "--name", "dup"]);
    assert_eq!(code, 2);
    assert!(err.contains("already named \"dup\""), "{err}");

    // A corrupt store is reported, not overwritten.
    let store = h.join("data/hush/keys.json");
    std::fs::write(&store, "{\"version\": 1, \"keys\": [{\"id\": 3}]}")
        .unwrap();
    common::hush(h)
        .args(["keys", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("corrupt key store"));
    common::hush(h).args(["keys", "create", "--name", "z"]).assert().code(2);
    assert!(std::fs::read_to_string(&store).unwrap().contains("\"id\": 3"));
}
