//! Tampering in each way is detected and the first bad line is named;
//! what verify cannot see (a cut after the last signature without the
//! head file, a full re-chain without the public key) is shown too.

mod common;

use std::fs;

use common::*;
use hush_audit::{verify, AuditError, PublicKey, SigningKey};

fn idx(lines: &[String], request_id: &str) -> usize {
    let needle = format!("\"request_id\":\"{request_id}\"");
    lines.iter().position(|l| l.contains(&needle)).unwrap()
}

fn single_file_log() -> (Log, std::path::PathBuf, Vec<String>) {
    let log = make_log(30, u64::MAX, 5);
    let f = files(&log.dir);
    assert_eq!(f.len(), 1);
    let path = f[0].clone();
    let lines = lines(&path);
    (log, path, lines)
}

#[test]
fn an_untouched_log_verifies_with_and_without_the_key() {
    let (log, _, lines) = single_file_log();
    let r = verify(&log.dir, Some(&log.public)).unwrap();
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.calls, 30);
    assert_eq!(r.records, lines.len() as u64);
    assert!(r.checkpoints_verified >= 6);
    assert_eq!(r.checkpoints, r.checkpoints_verified);
    assert_eq!(r.unsigned_tail, 0, "close ends with a checkpoint");
    assert!(r.first_ts.is_some() && r.last_ts.is_some());
    let r = verify(&log.dir, None).unwrap();
    assert!(r.is_ok());
    assert_eq!(r.checkpoints_verified, 0);
    assert!(r.to_string().contains("NOT checked"), "{r}");
}

#[test]
fn an_edited_field_is_named() {
    let (log, path, mut lines) = single_file_log();
    let i = idx(&lines, "hush_0007");
    lines[i] = lines[i].replace("\"status\":200", "\"status\":500");
    write_lines(&path, &lines);
    let r = verify(&log.dir, Some(&log.public)).unwrap();
    let p = r.problem.expect("edit detected");
    assert_eq!(p.line, i as u64 + 1);
    assert_eq!(p.file, path);
    assert_eq!(p.seq, Some(i as u64));
    assert!(p.what.contains("edited"), "{p}");
}

#[test]
fn a_deleted_line_is_named() {
    let (log, path, mut lines) = single_file_log();
    let i = idx(&lines, "hush_0007");
    lines.remove(i);
    write_lines(&path, &lines);
    let p =
        verify(&log.dir, None).unwrap().problem.expect("deletion detected");
    assert_eq!(p.line, i as u64 + 1);
    assert!(p.what.contains("missing"), "{p}");
}

#[test]
fn an_inserted_forged_line_is_named() {
    let (log, path, mut lines) = single_file_log();
    let i = idx(&lines, "hush_0007");
    // A well-formed line with a correct hash, chained onto line i.
    let forged = forge(
        seq(&lines[i]) + 1,
        field(&lines[i], "ts"),
        &hash_of(&lines[i]),
        r#""type":"call","request_id":"forged","status":200"#,
    );
    lines.insert(i + 1, forged);
    write_lines(&path, &lines);
    let p = verify(&log.dir, None).unwrap().problem.expect("insert detected");
    // The forgery itself chains; the original line after it does not.
    assert_eq!(p.line, i as u64 + 3);
    assert!(p.what.contains("inserted"), "{p}");
}

#[test]
fn a_rechained_forgery_is_caught_by_the_next_checkpoint_signature() {
    let (log, path, mut lines) = single_file_log();
    let i = idx(&lines, "hush_0007");
    let forged = forge(
        seq(&lines[i]) + 1,
        field(&lines[i], "ts"),
        &hash_of(&lines[i]),
        r#""type":"call","request_id":"forged","status":200"#,
    );
    lines.insert(i + 1, forged);
    // Renumber and re-hash everything after, as an attacker would.
    for j in i + 2..lines.len() {
        let prev = hash_of(&lines[j - 1]);
        lines[j] = reforge(&lines[j], seq(&lines[j - 1]) + 1, &prev);
    }
    write_lines(&path, &lines);
    fs::remove_file(log.dir.join("audit.head")).unwrap();
    // Without the key the chain alone cannot tell.
    assert!(verify(&log.dir, None).unwrap().is_ok());
    let p = verify(&log.dir, Some(&log.public)).unwrap().problem.unwrap();
    let cp = (i + 2..lines.len())
        .find(|&j| lines[j].contains("\"type\":\"checkpoint\""))
        .unwrap();
    assert_eq!(p.line, cp as u64 + 1);
    assert!(p.what.contains("signature"), "{p}");
}

#[test]
fn swapped_lines_are_named() {
    let (log, path, mut lines) = single_file_log();
    let i = idx(&lines, "hush_0007");
    lines.swap(i, i + 1);
    write_lines(&path, &lines);
    let p = verify(&log.dir, None).unwrap().problem.expect("swap detected");
    assert_eq!(p.line, i as u64 + 1);
}

#[test]
fn tail_truncation_is_caught_by_the_head_file_only() {
    let (log, path, lines) = single_file_log();
    // Cut the final checkpoint and the records before it.
    let cut = &lines[..lines.len() - 4];
    write_lines(&path, cut);
    let p = verify(&log.dir, Some(&log.public)).unwrap().problem.unwrap();
    assert!(p.what.contains("truncated"), "{p}");
    assert!(p.file.ends_with("audit.head"));
    // Without the head file, a cut is invisible: the log ends earlier.
    fs::remove_file(log.dir.join("audit.head")).unwrap();
    let r = verify(&log.dir, Some(&log.public)).unwrap();
    assert!(r.is_ok(), "{r}");
    assert!(r.unsigned_tail > 0);
    assert!(r.notes.iter().any(|n| n.contains("not covered by a signature")));
}

#[test]
fn a_wrong_public_key_is_a_clear_failure() {
    let (log, _, _) = single_file_log();
    let other = SigningKey::from_bytes([9; 32]).public_key();
    let p = verify(&log.dir, Some(&other)).unwrap().problem.unwrap();
    assert!(p.what.contains("wrong public key"), "{p}");
    assert!(p.what.contains(&log.public.key_id()));
}

#[test]
fn corrupt_files_and_bad_paths_give_clear_errors() {
    let (log, path, mut lines) = single_file_log();
    let tmp = tempfile::tempdir().unwrap();
    let err = verify(tmp.path(), None).unwrap_err();
    assert!(err.to_string().contains("no audit-*.jsonl"), "{err}");
    let err = verify(&tmp.path().join("nope"), None).unwrap_err();
    assert!(matches!(err, AuditError::Io { .. }), "{err}");
    lines[3] = "\u{0}\u{fffd}garbage".into();
    write_lines(&path, &lines);
    let p = verify(&log.dir, None).unwrap().problem.unwrap();
    assert_eq!(p.line, 4);
    assert!(p.what.contains("not an audit record"), "{p}");
    fs::write(&path, [0xff, 0xfe, b'\n', 0]).unwrap();
    assert!(verify(&path, None).unwrap().problem.is_some());
    let err = PublicKey::from_arg("/nonexistent/audit.key.pub").unwrap_err();
    assert!(err.to_string().contains("cannot read public key"), "{err}");
    fs::write(tmp.path().join("bad.pub"), "not a key").unwrap();
    let err = PublicKey::load(&tmp.path().join("bad.pub")).unwrap_err();
    assert!(err.to_string().contains("64 hex"), "{err}");
}

#[test]
fn rotated_files_chain_and_a_missing_file_is_named() {
    let log = make_log(200, 8 * 1024, 1000);
    let f = files(&log.dir);
    assert!(f.len() > 4, "{} files", f.len());
    let r = verify(&log.dir, Some(&log.public)).unwrap();
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.calls, 200);
    assert_eq!(r.files, f.len() as u64);
    // Each closed file ends with a signed checkpoint.
    for p in &f[..f.len() - 1] {
        assert!(lines(p).last().unwrap().contains("\"type\":\"checkpoint\""));
    }
    fs::remove_file(&f[2]).unwrap();
    let p = verify(&log.dir, None).unwrap().problem.unwrap();
    assert_eq!((p.file.as_path(), p.line), (f[3].as_path(), 1));
    assert!(p.what.contains("missing"), "{p}");
}

#[test]
fn a_file_alone_must_start_the_chain() {
    let log = make_log(100, 8 * 1024, 1000);
    let f = files(&log.dir);
    assert!(verify(&f[0], None).unwrap().is_ok());
    let p = verify(&f[1], None).unwrap().problem.unwrap();
    assert!(p.what.contains("chain starts after a gap"), "{p}");
}

#[test]
fn the_signing_key_file_is_private() {
    let log = make_log(1, u64::MAX, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&log.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let mut pub_path = log.key.clone().into_os_string();
    pub_path.push(".pub");
    assert_eq!(PublicKey::load(pub_path.as_ref()).unwrap(), log.public);
}
