//! `hush redact` and `hush restore` end to end: zero configuration, the
//! config file and environment, reports, bad input and a damaged vault.

mod common;

use assert_cmd::Command;
use common::hush;
use predicates::prelude::*;

const LINE: &str = "Call Jane Doe at 415-555-0100 or jane.doe@acme.io\n";

#[test]
fn zero_config_round_trip() {
    let home = tempfile::tempdir().unwrap();
    let out = hush(home.path())
        .arg("redact")
        .write_stdin(LINE)
        .assert()
        .success()
        .stderr(predicate::str::contains("created a new vault key in"))
        .stderr(predicate::str::contains("created a new vault in"))
        .get_output()
        .stdout
        .clone();
    let red = String::from_utf8(out).unwrap();
    assert!(!red.contains("415-555-0100") && !red.contains("jane.doe@"));
    assert!(red.contains("[[PHONE-") && red.contains("[[EMAIL-"));
    assert!(home.path().join("data/hush/key").exists());
    // Second run: same pseudonyms, nothing created, nothing said.
    hush(home.path())
        .arg("redact")
        .write_stdin(LINE)
        .assert()
        .success()
        .stdout(red.clone())
        .stderr("");
    hush(home.path())
        .arg("restore")
        .write_stdin(red)
        .assert()
        .success()
        .stdout(LINE);
}

#[test]
fn file_input_scope_kinds_and_report() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.txt");
    std::fs::write(&input, LINE.repeat(3)).unwrap();
    let report = home.path().join("report.json");
    let out = hush(home.path())
        .args(["-q", "redact", "--scope", "t1", "--kinds", "email"])
        .arg(&input)
        .arg("--report")
        .arg(&report)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let red = String::from_utf8(out).unwrap();
    assert!(red.contains("415-555-0100") && !red.contains("jane.doe@"));
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap())
            .unwrap();
    assert_eq!(rep["kinds"]["EMAIL"], 3);
    assert_eq!(rep["findings"], 3);
    assert_eq!(rep["bytes_in"], 3 * LINE.len());
    assert!(!std::fs::read_to_string(&report).unwrap().contains("jane"));
    // Another scope cannot restore these pseudonyms.
    hush(home.path())
        .args(["restore", "--scope", "t2"])
        .write_stdin(red.clone())
        .assert()
        .success()
        .stdout(red.clone())
        .stderr(predicate::str::contains("3 pseudonym-shaped strings"));
    hush(home.path())
        .args(["restore", "--scope", "t1"])
        .write_stdin(red)
        .assert()
        .success()
        .stdout(LINE.repeat(3));
}

#[test]
fn config_file_and_environment() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("hush.toml"),
        "vault = \"my.hushvault\"\nkey_file = \"my.key\"\nscope = \"cfg\"\n\
         kinds = [\"PHONE\"]\n",
    )
    .unwrap();
    let out = hush(home.path())
        .args(["-q", "redact"])
        .write_stdin(LINE)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let red = String::from_utf8(out).unwrap();
    assert!(home.path().join("my.hushvault").exists());
    assert!(home.path().join("my.key").exists());
    assert!(!red.contains("415-555-0100") && red.contains("jane.doe@"));
    // The environment beats the file: another scope, all kinds.
    let out = hush(home.path())
        .args(["-q", "redact"])
        .env("HUSH_SCOPE", "env")
        .env("HUSH_KINDS", "EMAIL,PHONE")
        .write_stdin(LINE)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let red2 = String::from_utf8(out).unwrap();
    assert!(!red2.contains("jane.doe@"));
    assert_ne!(red, red2);
    // A typo in the config is an error, not a silently ignored control.
    std::fs::write(home.path().join("hush.toml"), "scoep = \"x\"\n").unwrap();
    hush(home.path())
        .arg("redact")
        .write_stdin(LINE)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field"));
}

#[test]
fn bad_input_is_handled() {
    let home = tempfile::tempdir().unwrap();
    // Empty input: empty output.
    hush(home.path())
        .args(["-q", "redact"])
        .write_stdin("")
        .assert()
        .success()
        .stdout("");
    // Invalid UTF-8 and binary pass through around findings.
    let mut bytes = b"\xff\xfe a@b.io \x00\x01".to_vec();
    bytes.extend((0..=255u8).cycle().take(100_000));
    let out = hush(home.path())
        .args(["-q", "redact"])
        .write_stdin(bytes.clone())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(out.starts_with(b"\xff\xfe [[EMAIL-"));
    hush(home.path())
        .args(["-q", "restore"])
        .write_stdin(out)
        .assert()
        .success()
        .stdout(bytes);
    // A missing input file: status 2, and no value in the message.
    hush(home.path())
        .args(["-q", "redact", "no-such-file.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-file.txt: cannot open"));
}

#[test]
fn damaged_vault_or_wrong_key_fails_closed() {
    let home = tempfile::tempdir().unwrap();
    let vault = home.path().join("v.hushvault");
    let key = home.path().join("key");
    let run = |c: &mut Command| {
        c.arg("--vault").arg(&vault).arg("--key-file").arg(&key);
    };
    let mut c = hush(home.path());
    c.args(["-q", "redact"]);
    run(&mut c);
    c.write_stdin(LINE).assert().success();
    // A wrong key: nothing is written to standard output.
    let other = home.path().join("other.key");
    hush(home.path())
        .args(["-q", "redact", "--vault"])
        .arg(&vault)
        .arg("--key-file")
        .arg(&other)
        .write_stdin(LINE)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("jane").not());
    // A corrupt vault: the same.
    let mut data = std::fs::read(&vault).unwrap();
    let n = data.len();
    data[n - 5] ^= 0xff;
    std::fs::write(&vault, data).unwrap();
    let mut c = hush(home.path());
    c.args(["-q", "redact"]);
    run(&mut c);
    c.write_stdin(LINE)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("vault"))
        .stderr(predicate::str::contains("jane").not());
}

#[test]
fn dictionary_terms_are_redacted_and_restored() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("customers.csv"),
        "term,kind\n\"Acme, Inc.\",ORGANIZATION\nDana Whitfield,PERSON\nsupport@hush.io,EMAIL,allow\n",
    )
    .unwrap();
    let line = "Dana  Whitfield of ACME, INC. wrote to support@hush.io and bob@acme.io\n";
    let out = hush(home.path())
        .args(["-q", "redact", "--dict", "customers.csv"])
        .write_stdin(line)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let red = String::from_utf8(out).unwrap();
    assert!(red.starts_with("[[PERSON-"), "{red}");
    assert!(red.contains(" of [[ORGANIZATION-"));
    assert!(red.contains("support@hush.io") && !red.contains("bob@acme.io"));
    hush(home.path())
        .args(["-q", "restore"])
        .write_stdin(red)
        .assert()
        .success()
        .stdout(line);
    // A bad dictionary is a clear error that quotes no term.
    std::fs::write(home.path().join("bad.csv"), "Secret Name\n").unwrap();
    hush(home.path())
        .args(["-q", "redact", "--dict", "bad.csv"])
        .write_stdin(line)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.csv"))
        .stderr(predicate::str::contains("Secret").not());
}
