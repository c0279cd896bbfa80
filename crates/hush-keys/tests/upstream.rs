//! The upstream key sources against loopback mocks: a Vault KV v2 server
//! (token and namespace checked), files, and failing sources, with the
//! refresh task picking up a rotated key and keeping the last good one
//! when the source breaks.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use hush_keys::{KeyError, UpstreamKey, UpstreamSecret, VaultToken};
use serde_json::{json, Value};

const TOKEN: &str = "hvs.test-token-123";

/// The path and namespace of each request the mock Vault saw.
type Hits = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// What the mock Vault serves; `None` makes it answer 503.
#[derive(Clone, Default)]
struct VaultState {
    value: Arc<Mutex<Option<String>>>,
    hits: Hits,
}

async fn kv2(
    State(st): State<VaultState>,
    Path((mount, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    let ns = headers
        .get("x-vault-namespace")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    st.hits.lock().unwrap().push((format!("{mount}/{path}"), ns));
    if headers.get("x-vault-token").and_then(|v| v.to_str().ok())
        != Some(TOKEN)
    {
        return Err((
            StatusCode::FORBIDDEN,
            Json(json!({"errors": ["permission denied"]})),
        ));
    }
    if (mount.as_str(), path.as_str()) != ("secret", "hush/anthropic") {
        return Err((StatusCode::NOT_FOUND, Json(json!({"errors": []}))));
    }
    match st.value.lock().unwrap().clone() {
        Some(v) => Ok(Json(json!({
            "data": {
                "data": { "api_key": v, "other": 42 },
                "metadata": { "version": 3 }
            }
        }))),
        None => Err((
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"errors": ["sealed"]})),
        )),
    }
}

async fn spawn_vault(st: VaultState) -> SocketAddr {
    let app = Router::new()
        .route("/v1/{mount}/data/{*path}", get(kv2))
        .with_state(st);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    addr
}

fn vault_source(addr: SocketAddr, token: VaultToken) -> UpstreamSecret {
    UpstreamSecret::VaultKv2 {
        addr: format!("http://{addr}/"),
        mount: "secret".into(),
        path: "hush/anthropic".into(),
        field: "api_key".into(),
        token,
        namespace: Some("team-a".into()),
    }
}

/// Waits until the key reads `want`, or fails after 5 s.
async fn until(key: &UpstreamKey, want: &str) {
    let t = Instant::now();
    while key.current().expose() != want {
        assert!(t.elapsed() < Duration::from_secs(5), "never saw {want}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn vault_kv2_rotation_and_outage() {
    let st = VaultState::default();
    *st.value.lock().unwrap() = Some("sk-ant-one".into());
    let addr = spawn_vault(st.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();

    let key = UpstreamKey::start(
        vault_source(addr, VaultToken::File(token_file.clone())),
        Duration::from_millis(100),
    )
    .await
    .unwrap();
    assert_eq!(key.current().expose(), "sk-ant-one");
    let (path, ns) = st.hits.lock().unwrap()[0].clone();
    assert_eq!(path, "secret/hush/anthropic");
    assert_eq!(ns.as_deref(), Some("team-a"));

    // Rotated in Vault: picked up by the refresh task.
    *st.value.lock().unwrap() = Some("sk-ant-two".into());
    until(&key, "sk-ant-two").await;

    // Vault down: the last good key stays.
    *st.value.lock().unwrap() = None;
    let err = key.refresh_now().await.unwrap_err();
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(key.current().expose(), "sk-ant-two");

    // Back up with a new key.
    *st.value.lock().unwrap() = Some("sk-ant-three".into());
    until(&key, "sk-ant-three").await;
    let debug = format!("{key:?} {:?}", key.current());
    assert!(!debug.contains("sk-ant"), "{debug}");
}

#[tokio::test]
async fn vault_errors_are_clear_and_secret_free() {
    let st = VaultState::default();
    *st.value.lock().unwrap() = Some("sk-ant-one".into());
    let addr = spawn_vault(st).await;
    let dir = tempfile::tempdir().unwrap();
    let bad_token = dir.path().join("token");
    std::fs::write(&bad_token, "hvs.wrong-token").unwrap();

    let err = UpstreamKey::start(
        vault_source(addr, VaultToken::File(bad_token)),
        Duration::ZERO,
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("HTTP 403"), "{msg}");
    assert!(!msg.contains("hvs.wrong-token"), "{msg}");

    std::fs::write(dir.path().join("good"), TOKEN).unwrap();
    let wrong_field = UpstreamSecret::VaultKv2 {
        addr: format!("http://{addr}"),
        mount: "secret".into(),
        path: "hush/anthropic".into(),
        field: "other".into(),
        token: VaultToken::File(dir.path().join("good")),
        namespace: None,
    };
    let err =
        UpstreamKey::start(wrong_field, Duration::ZERO).await.unwrap_err();
    assert!(err.to_string().contains("\"other\" is missing or not a string"));

    let missing_token = vault_source(
        addr,
        VaultToken::Env("HUSH_TEST_NO_SUCH_VAULT_TOKEN".into()),
    );
    let err =
        UpstreamKey::start(missing_token, Duration::ZERO).await.unwrap_err();
    assert!(matches!(err, KeyError::Upstream { .. }));
    assert!(err.to_string().contains("HUSH_TEST_NO_SUCH_VAULT_TOKEN"));

    // Nothing listening.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = UpstreamKey::start(
        vault_source(closed, VaultToken::File(dir.path().join("good"))),
        Duration::ZERO,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("request failed"), "{err}");
}

#[tokio::test]
async fn file_source_is_reread_and_survives_breakage() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("anthropic.key");
    std::fs::write(&file, "sk-ant-a\nignored second line\n").unwrap();
    let key = UpstreamKey::start(
        UpstreamSecret::File(file.clone()),
        Duration::from_millis(50),
    )
    .await
    .unwrap();
    assert_eq!(key.current().expose(), "sk-ant-a");
    std::fs::write(&file, "  sk-ant-b  \n").unwrap();
    until(&key, "sk-ant-b").await;

    // An empty file or one that vanishes keeps the last good key.
    std::fs::write(&file, "\n").unwrap();
    assert!(key.refresh_now().await.is_err());
    std::fs::remove_file(&file).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(key.current().expose(), "sk-ant-b");
    std::fs::write(&file, "sk-ant-c").unwrap();
    until(&key, "sk-ant-c").await;

    // A value that cannot be a header is refused, and not echoed.
    std::fs::write(&file, "sk-ant with space").unwrap();
    let err = key.refresh_now().await.unwrap_err().to_string();
    assert!(!err.contains("sk-ant"), "{err}");
    assert_eq!(key.current().expose(), "sk-ant-c");
}

#[tokio::test]
async fn missing_sources_stop_the_start() {
    let err = UpstreamKey::start(
        UpstreamSecret::File("/nonexistent/hush/key".into()),
        Duration::ZERO,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/hush/key"));
    let err = UpstreamKey::start(
        UpstreamSecret::Env("HUSH_TEST_UNSET_UPSTREAM".into()),
        Duration::ZERO,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("env HUSH_TEST_UNSET_UPSTREAM"));
}

#[test]
fn config_forms() {
    let v: UpstreamSecret = serde_json::from_value(json!({
        "source": "vault_kv2",
        "addr": "https://vault:8200",
        "path": "hush/anthropic",
        "field": "api_key",
    }))
    .unwrap();
    assert_eq!(
        v,
        UpstreamSecret::VaultKv2 {
            addr: "https://vault:8200".into(),
            mount: "secret".into(),
            path: "hush/anthropic".into(),
            field: "api_key".into(),
            token: VaultToken::Env("VAULT_TOKEN".into()),
            namespace: None,
        }
    );
    let f: UpstreamSecret =
        serde_json::from_value(json!({"source": "file", "path": "/run/k"}))
            .unwrap();
    assert_eq!(f, UpstreamSecret::File("/run/k".into()));
    for bad in [
        json!({"source": "vault_kv2", "addr": "a", "path": "p", "field": "f",
               "token_env": "A", "token_file": "/b"}),
        json!({"source": "env", "var": "A", "typo": 1}),
        json!({"source": "gcp", "name": "x"}),
    ] {
        assert!(serde_json::from_value::<UpstreamSecret>(bad).is_err());
    }
}
