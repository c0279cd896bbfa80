//! The AWS Secrets Manager source against a loopback mock that checks
//! the request the way AWS does: the target header, the body, and the
//! SigV4 `Authorization` header recomputed from the signed headers it
//! received.
//!
//! One test function, because the credentials come from process-wide
//! environment variables.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use hush_keys::sigv4::{self, Credentials};
use hush_keys::{UpstreamKey, UpstreamSecret};
use serde_json::{json, Value};

const ACCESS: &str = "AKIDHUSHTEST";
const SECRET: &str = "hushTestSecretKey/K7MDENG+bPxRfiCYEXAMPLE";
const SESSION: &str = "hush-session-token";

#[derive(Clone, Default)]
struct Aws {
    /// The SecretString served.
    value: Arc<Mutex<String>>,
    /// Why the last request was refused, if it was.
    refused: Arc<Mutex<Option<String>>>,
}

fn header<'a>(h: &'a HeaderMap, n: &str) -> Result<&'a str, String> {
    h.get(n).and_then(|v| v.to_str().ok()).ok_or(format!("no {n} header"))
}

/// Checks a request as AWS would; `Err` says what is wrong.
fn verify(h: &HeaderMap, body: &[u8]) -> Result<(), String> {
    if header(h, "x-amz-target")? != "secretsmanager.GetSecretValue" {
        return Err("wrong target".into());
    }
    if header(h, "content-type")? != "application/x-amz-json-1.1" {
        return Err("wrong content type".into());
    }
    if header(h, "x-amz-security-token")? != SESSION {
        return Err("wrong session token".into());
    }
    let b: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if b != json!({"SecretId": "prod/hush/anthropic"}) {
        return Err(format!("wrong body {b}"));
    }
    let auth = header(h, "authorization")?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .ok_or("not SigV4")?;
    let (cred, rest) = rest.split_once(", SignedHeaders=").ok_or("cred")?;
    let (signed, _) = rest.split_once(", Signature=").ok_or("sig")?;
    let parts: Vec<&str> = cred.split('/').collect();
    let [access, date, region, service, "aws4_request"] = parts[..] else {
        return Err(format!("bad scope {cred}"));
    };
    if (access, region, service) != (ACCESS, "eu-west-1", "secretsmanager") {
        return Err(format!("bad scope {cred}"));
    }
    let amz_date = header(h, "x-amz-date")?;
    if !amz_date.starts_with(date) {
        return Err("date mismatch".into());
    }
    let names: Vec<&str> = signed.split(';').collect();
    for must in ["host", "x-amz-date", "x-amz-target", "content-type"] {
        if !names.contains(&must) {
            return Err(format!("{must} is not signed"));
        }
    }
    let values: Vec<(&str, &str)> = names
        .iter()
        .map(|n| Ok((*n, header(h, n)?)))
        .collect::<Result<_, String>>()?;
    let req = sigv4::Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &values,
        payload: body,
        region,
        service,
        amz_date,
    };
    let creds = Credentials::new(ACCESS, SECRET, Some(SESSION.into()));
    if req.authorization(&creds) != auth {
        return Err("signature mismatch".into());
    }
    Ok(())
}

async fn get_secret_value(
    State(st): State<Aws>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    if let Err(why) = verify(&headers, &body) {
        *st.refused.lock().unwrap() = Some(why);
        return Err((
            StatusCode::FORBIDDEN,
            Json(json!({"__type": "InvalidSignatureException",
                        "message": "The request signature we calculated does not match"})),
        ));
    }
    let v = st.value.lock().unwrap().clone();
    Ok(Json(json!({
        "ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/hush/anthropic-AbCdEf",
        "Name": "prod/hush/anthropic",
        "SecretString": v,
        "VersionStages": ["AWSCURRENT"],
    })))
}

async fn spawn(st: Aws) -> SocketAddr {
    let app = Router::new().route("/", post(get_secret_value)).with_state(st);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    addr
}

fn source(addr: SocketAddr, field: Option<&str>) -> UpstreamSecret {
    UpstreamSecret::AwsSecretsManager {
        region: "eu-west-1".into(),
        secret_id: "prod/hush/anthropic".into(),
        endpoint: Some(format!("http://{addr}")),
        json_field: field.map(str::to_string),
    }
}

#[tokio::test]
async fn secrets_manager_with_sigv4() {
    let st = Aws::default();
    *st.value.lock().unwrap() = json!({"api_key": "sk-ant-aws-1"}).to_string();
    let addr = spawn(st.clone()).await;

    // No credentials: a clear error before any request.
    std::env::remove_var("AWS_ACCESS_KEY_ID");
    std::env::remove_var("AWS_SECRET_ACCESS_KEY");
    let err =
        UpstreamKey::start(source(addr, Some("api_key")), Duration::ZERO)
            .await
            .unwrap_err();
    assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");

    // Wrong secret key: the mock's signature check refuses it.
    std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    std::env::set_var("AWS_SESSION_TOKEN", SESSION);
    let err =
        UpstreamKey::start(source(addr, Some("api_key")), Duration::ZERO)
            .await
            .unwrap_err()
            .to_string();
    assert!(err.contains("InvalidSignatureException"), "{err}");
    assert!(!err.contains("not-the-secret"), "{err}");
    assert_eq!(
        st.refused.lock().unwrap().take().as_deref(),
        Some("signature mismatch")
    );

    // Right credentials: the JSON field is extracted.
    std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET);
    let key = UpstreamKey::start(
        source(addr, Some("api_key")),
        Duration::from_millis(100),
    )
    .await
    .unwrap();
    assert_eq!(st.refused.lock().unwrap().take(), None);
    assert_eq!(key.current().expose(), "sk-ant-aws-1");

    // Rotation in Secrets Manager is picked up by the refresh task.
    *st.value.lock().unwrap() = json!({"api_key": "sk-ant-aws-2"}).to_string();
    let t = Instant::now();
    while key.current().expose() != "sk-ant-aws-2" {
        assert!(t.elapsed() < Duration::from_secs(5), "no rotation");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A plain SecretString, without json_field.
    *st.value.lock().unwrap() = "sk-ant-plain".into();
    let plain =
        UpstreamKey::start(source(addr, None), Duration::ZERO).await.unwrap();
    assert_eq!(plain.current().expose(), "sk-ant-plain");
    // ... which is not JSON for a json_field source: last good key kept.
    assert!(key.refresh_now().await.is_err());
    assert_eq!(key.current().expose(), "sk-ant-aws-2");
}
