//! `hush proxy --check` and `hush review` as a user runs them.

mod common;

use common::hush;
use hush_claude::review::ReviewStore;
use serde_json::json;

#[test]
fn proxy_check_prints_the_plan_without_secrets() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("schema.json"), r#"{"type": "object"}"#)
        .unwrap();
    std::fs::write(
        home.path().join("hush.toml"),
        r#"
[proxy]
upstream = "http://127.0.0.1:9"
upstream_key_env = "MY_UPSTREAM_KEY"
review_dir = "held"

[[proxy.route]]
models = "claude-opus-*"
hold_for_review = true
answer_schema = "schema.json"
on_schema_error = "block"
fallback = [
  { kind = "model", model = "claude-sonnet-4-5" },
  { kind = "cache" },
  { kind = "static", text = "Back soon." },
  { kind = "disabled" },
]
"#,
    )
    .unwrap();
    let out = hush(home.path())
        .env("MY_UPSTREAM_KEY", "sk-ant-very-secret")
        .args(["proxy", "--check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for want in [
        "upstream: http://127.0.0.1:9",
        "upstream key: from env MY_UPSTREAM_KEY, re-read every 300 s",
        "route 1 (models claude-opus-*):",
        "fallback 1: model claude-sonnet-4-5 on the same upstream",
        "fallback 2: an earlier answer to the same sanitised request",
        "fallback 3: a static answer (10 characters)",
        "fallback 4: 503: feature disabled",
        "answers held for review",
        "Block on failure",
        "configuration: ok",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(!text.contains("very-secret"));

    // A bad schema file is a configuration error.
    std::fs::write(home.path().join("schema.json"), "{nope").unwrap();
    let out = hush(home.path())
        .env("MY_UPSTREAM_KEY", "k")
        .args(["proxy", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("schema.json: not JSON")
    );
}

#[test]
fn review_list_show_approve_reject() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("held");
    let store = ReviewStore::open(&dir).unwrap();
    let a = store
        .hold(
            "hush_a",
            "client-1",
            Some("claude-opus-4-1"),
            "/v1/messages",
            json!({}),
            json!({"content": [{"type": "text", "text": "Hi [EMAIL-1234]"}]}),
        )
        .unwrap();
    let b = store
        .hold("hush_b", "client-1", None, "/v1/messages", json!({}), json!({}))
        .unwrap();
    let d = dir.to_str().unwrap();
    let list = hush(home.path())
        .args(["review", "list", "--dir", d])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success());
    assert!(
        text.contains(&a.id)
            && text.contains(&b.id)
            && text.contains("pending")
    );
    let show = hush(home.path())
        .args(["review", "show", &a.id, "--dir", d])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&show.stdout).contains("[EMAIL-1234]"));
    hush(home.path())
        .args(["review", "approve", &a.id, "--note", "fine", "--dir", d])
        .assert()
        .success()
        .stdout(format!("{} approved\n", a.id));
    hush(home.path())
        .args(["review", "reject", &b.id, "--dir", d])
        .assert()
        .success();
    // Decided once only; unknown and malformed ids are clear errors.
    let again = hush(home.path())
        .args(["review", "approve", &b.id, "--dir", d])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already rejected")
    );
    let bad = hush(home.path())
        .args(["review", "show", "../x", "--dir", d])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a review id"));
    let pending = hush(home.path())
        .args(["review", "list", "--dir", d])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&pending.stdout).trim().is_empty());
    let all = hush(home.path())
        .args(["review", "list", "--all", "--json", "--dir", d])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&all.stdout).lines().count(), 2);
}

/// The Bedrock and Vertex example of docs/RESILIENCE.md passes
/// `hush proxy --check` as written and prints the plan shown there, with
/// no credential in it; a plain-http endpoint that is not loopback is a
/// configuration error.
#[test]
fn proxy_check_shows_the_documented_cloud_fallbacks() {
    let doc = include_str!("../../../docs/RESILIENCE.md");
    let section = doc
        .split("### Bedrock and Vertex AI")
        .nth(1)
        .expect("the Bedrock and Vertex AI section");
    let block = |fence: &str| {
        let start = section.find(fence).expect(fence) + fence.len();
        let len = section[start..].find("```").unwrap();
        section[start..start + len].to_string()
    };
    let (toml, plan) = (block("```toml\n"), block("```text\n"));
    let home = tempfile::tempdir().unwrap();
    let write = |routes: &str| {
        std::fs::write(
            home.path().join("hush.toml"),
            format!("[proxy]\nupstream = \"http://127.0.0.1:9\"\n\n{routes}"),
        )
        .unwrap()
    };
    write(&toml);
    let out = hush(home.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDDOCEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "aws-secret-not-printed")
        .env("BEDROCK_API_KEY", "bedrock-key-not-printed")
        .env("VERTEX_ACCESS_TOKEN", "ya29.not-printed")
        .args(["proxy", "--check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for line in plan.lines() {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(text.contains("route 2 (models claude-opus-*):"));
    assert!(text.contains(
        "fallback 1: Amazon Bedrock model eu.anthropic.claude-opus-4-1-20250805-v1:0 in eu-central-1 (API key from $BEDROCK_API_KEY)"
    ));
    assert!(text.contains("configuration: ok"));
    for secret in ["not-printed", "AKIDDOCEXAMPLE"] {
        assert!(!text.contains(secret), "{secret} printed:\n{text}");
    }

    write(&toml.replacen(
        "region = \"us-east-1\",",
        "region = \"us-east-1\", endpoint = \"http://bedrock.example.com\",",
        1,
    ));
    let out = hush(home.path()).args(["proxy", "--check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bedrock fallback: endpoint"), "{err}");
}
