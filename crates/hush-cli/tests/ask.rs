//! `hush ask` and `hush proxy` as a user runs them: against the hidden
//! `hush mock-upstream` on loopback.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::hush;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the mock; returns it and its base URL.
fn mock() -> (Server, String) {
    let bin = assert_cmd::cargo::cargo_bin("hush");
    let mut child = Command::new(bin)
        .args(["mock-upstream", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (Server(child), line.trim().to_string())
}

fn recorded(base: &str) -> String {
    // A tiny HTTP/1.1 GET without a client library.
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET /_mock/requests HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn ask_streams_the_restored_answer_and_sends_pseudonyms_only() {
    let home = tempfile::tempdir().unwrap();
    let (_mock, base) = mock();
    let prompt = "Please reply to jane.roe@acme-mail.io about card 4111 1111 1111 1111.";
    let out = hush(home.path())
        .args(["ask", "--upstream", &base, "--model", "claude-test"])
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .write_stdin(prompt)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim_end(), format!("You said: {prompt}"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("pseudonymised"), "{stderr}");
    assert!(!stderr.contains("jane.roe"));
    let seen = recorded(&base);
    assert!(seen.contains("[[EMAIL-"), "the upstream saw pseudonyms");
    assert!(
        !seen.contains("jane.roe") && !seen.contains("4111 1111"),
        "no original value reached the upstream"
    );
}

#[test]
fn ask_and_proxy_refuse_bad_set_ups_with_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let out = hush(home.path())
        .args(["ask", "--upstream", "http://127.0.0.1:9"])
        .env_remove("ANTHROPIC_API_KEY")
        .write_stdin("hi")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ANTHROPIC_API_KEY"));

    let out = hush(home.path())
        .args(["ask"])
        .env("ANTHROPIC_API_KEY", "k")
        .write_stdin("  \n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));

    let out = hush(home.path())
        .args(["ask", "--upstream", "http://api.example.com"])
        .env("ANTHROPIC_API_KEY", "k")
        .write_stdin("hi")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));

    let out = hush(home.path())
        .args(["proxy", "--media", "sometimes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("media policy"));

    let out = hush(home.path())
        .args(["proxy", "--upstream-key-env", "HUSH_TEST_NO_SUCH_VAR"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("HUSH_TEST_NO_SUCH_VAR")
    );
}

#[test]
fn ask_refuses_an_empty_key_before_sending_anything() {
    let home = tempfile::tempdir().unwrap();
    let (_mock, base) = mock();
    let out = hush(home.path())
        .args(["ask", "--upstream", &base, "--api-key-env", "HUSH_TEST_KEY"])
        .env("HUSH_TEST_KEY", "")
        .write_stdin("hello")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HUSH_TEST_KEY"));
    assert!(recorded(&base).ends_with("[]"), "nothing was sent");
}
