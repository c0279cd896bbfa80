//! Claude is also served by Amazon Bedrock and Google Vertex AI, which
//! take the Messages body with small changes, at their own URLs, with
//! their own credentials. This module builds those requests (URL, body,
//! SigV4 headers) from the request hush has already sanitised, so the
//! proxy can fall back to either cloud when the Anthropic API is down
//! without anything but pseudonyms leaving.
//!
//! Pure: no I/O (the caller reads credentials and the clock), never
//! panics on any input.

use hush_keys::sigv4::{self, Credentials};
use serde_json::Value;

/// The `anthropic_version` body field Bedrock requires.
pub const BEDROCK_VERSION: &str = "bedrock-2023-05-31";

/// The `anthropic_version` body field Vertex AI requires.
pub const VERTEX_VERSION: &str = "vertex-2023-10-16";

/// The SigV4 service name of the Bedrock runtime.
pub const BEDROCK_SERVICE: &str = "bedrock";

/// Bedrock's base URL: `endpoint` when given (without a trailing `/`),
/// else the runtime endpoint of `region`.
///
/// # Example
///
/// ```
/// use hush_claude::cloud::bedrock_base_url;
///
/// assert_eq!(bedrock_base_url("us-east-1", None),
///            "https://bedrock-runtime.us-east-1.amazonaws.com");
/// assert_eq!(bedrock_base_url("us-east-1", Some("http://127.0.0.1:9/")),
///            "http://127.0.0.1:9");
/// ```
pub fn bedrock_base_url(region: &str, endpoint: Option<&str>) -> String {
    match endpoint {
        Some(e) => e.trim_end_matches('/').to_string(),
        None => format!("https://bedrock-runtime.{region}.amazonaws.com"),
    }
}

/// The `InvokeModel` path of a model: `/model/{id}/invoke`, the id
/// URI-encoded as one segment (`:` and the `/` of an ARN included), as
/// the AWS SDKs send it.
///
/// # Example
///
/// ```
/// use hush_claude::cloud::bedrock_invoke_path;
///
/// assert_eq!(
///     bedrock_invoke_path("anthropic.claude-sonnet-4-5-20250929-v1:0"),
///     "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke"
/// );
/// ```
pub fn bedrock_invoke_path(model: &str) -> String {
    format!("/model/{}/invoke", sigv4::uri_encode(model, false))
}

/// The body Bedrock takes: the sanitised Messages body without `model`
/// and `stream`, with `anthropic_version` set to [`BEDROCK_VERSION`].
/// `None` when the body is not a JSON object.
///
/// # Example
///
/// ```
/// use hush_claude::cloud::bedrock_body;
/// use serde_json::{json, Value};
///
/// let sanitised = json!({"model": "claude-sonnet-4-5", "stream": true, "max_tokens": 8,
///     "messages": [{"role": "user", "content": "Hi [NAME-1]"}]});
/// let b: Value = serde_json::from_slice(&bedrock_body(sanitised.to_string().as_bytes()).unwrap())?;
/// assert_eq!(b, json!({"max_tokens": 8, "messages": [{"role": "user", "content": "Hi [NAME-1]"}],
///     "anthropic_version": "bedrock-2023-05-31"}));
/// assert!(bedrock_body(b"[1]").is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn bedrock_body(sanitised: &[u8]) -> Option<Vec<u8>> {
    with_version(sanitised, &["model", "stream"], BEDROCK_VERSION)
}

/// The headers that sign a Bedrock `InvokeModel` call with AWS SigV4:
/// `accept`, `x-amz-date`, `x-amz-security-token` (with a session token)
/// and `authorization`, in that order. The signature also covers `host`
/// (from `url`, with its port when not the scheme's default, as HTTP
/// clients send it) and `content-type: application/json`, which the
/// caller must send. `amz_date` is `YYYYMMDDTHHMMSSZ`
/// ([`hush_keys::sigv4::amz_date`]). `None` when `url` does not parse.
///
/// The values include credentials: mark them sensitive, never log them.
///
/// # Example
///
/// ```
/// use hush_claude::cloud::bedrock_sigv4_headers;
/// use hush_keys::sigv4::Credentials;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "secret", None);
/// let h = bedrock_sigv4_headers(&creds,
///     "https://bedrock-runtime.us-east-1.amazonaws.com/model/m%3A0/invoke",
///     b"{}", "us-east-1", "20260102T030405Z").unwrap();
/// assert_eq!(h[1], ("x-amz-date", "20260102T030405Z".to_string()));
/// assert!(h[2].1.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/us-east-1/bedrock/aws4_request, \
///     SignedHeaders=accept;content-type;host;x-amz-date, Signature="));
/// ```
pub fn bedrock_sigv4_headers(
    creds: &Credentials,
    url: &str,
    body: &[u8],
    region: &str,
    amz_date: &str,
) -> Option<Vec<(&'static str, String)>> {
    let u = reqwest::Url::parse(url).ok()?;
    let host = match u.port() {
        Some(p) => format!("{}:{p}", u.host_str()?),
        None => u.host_str()?.to_string(),
    };
    let accept = "application/json";
    let mut signed = vec![
        ("accept", accept),
        ("content-type", "application/json"),
        ("host", host.as_str()),
        ("x-amz-date", amz_date),
    ];
    if let Some(t) = creds.session_token() {
        signed.push(("x-amz-security-token", t));
    }
    let path = sigv4::canonical_path(u.path());
    let req = sigv4::Request {
        method: "POST",
        path: &path,
        query: u.query().unwrap_or(""),
        headers: &signed,
        payload: body,
        region,
        service: BEDROCK_SERVICE,
        amz_date,
    };
    let mut out = vec![
        ("accept", accept.to_string()),
        ("x-amz-date", amz_date.to_string()),
    ];
    if let Some(t) = creds.session_token() {
        out.push(("x-amz-security-token", t.to_string()));
    }
    out.push(("authorization", req.authorization(creds)));
    Some(out)
}

/// Vertex AI's base URL: `endpoint` when given (without a trailing
/// `/`), else `https://{region}-aiplatform.googleapis.com`, or
/// `https://aiplatform.googleapis.com` for the `global` region.
///
/// # Example
///
/// ```
/// use hush_claude::cloud::vertex_base_url;
///
/// assert_eq!(vertex_base_url("us-east5", None), "https://us-east5-aiplatform.googleapis.com");
/// assert_eq!(vertex_base_url("global", None), "https://aiplatform.googleapis.com");
/// ```
pub fn vertex_base_url(region: &str, endpoint: Option<&str>) -> String {
    match endpoint {
        Some(e) => e.trim_end_matches('/').to_string(),
        None if region == "global" => {
            "https://aiplatform.googleapis.com".to_string()
        }
        None => format!("https://{region}-aiplatform.googleapis.com"),
    }
}

/// The path of a Vertex AI call to an Anthropic model: `:rawPredict`,
/// or `:streamRawPredict` for a stream. Each name is URI-encoded as one
/// path segment (`@` kept, as Vertex model names carry it).
///
/// # Example
///
/// ```
/// use hush_claude::cloud::vertex_path;
///
/// assert_eq!(
///     vertex_path("my-project", "global", "claude-sonnet-4-5@20250929", false),
///     "/v1/projects/my-project/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict"
/// );
/// assert!(vertex_path("p", "us-east5", "m", true).ends_with("/models/m:streamRawPredict"));
/// ```
pub fn vertex_path(
    project: &str,
    region: &str,
    model: &str,
    stream: bool,
) -> String {
    format!(
        "/v1/projects/{}/locations/{}/publishers/anthropic/models/{}:{}",
        path_segment(project),
        path_segment(region),
        path_segment(model),
        if stream { "streamRawPredict" } else { "rawPredict" }
    )
}

/// The body Vertex AI takes: the sanitised Messages body without
/// `model` (`stream` kept), with `anthropic_version` set to
/// [`VERTEX_VERSION`]. `None` when the body is not a JSON object.
///
/// # Example
///
/// ```
/// use hush_claude::cloud::vertex_body;
/// use serde_json::{json, Value};
///
/// let sanitised = json!({"model": "claude-sonnet-4-5", "stream": true, "max_tokens": 8, "messages": []});
/// let b: Value = serde_json::from_slice(&vertex_body(sanitised.to_string().as_bytes()).unwrap())?;
/// assert_eq!(b, json!({"stream": true, "max_tokens": 8, "messages": [],
///     "anthropic_version": "vertex-2023-10-16"}));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn vertex_body(sanitised: &[u8]) -> Option<Vec<u8>> {
    with_version(sanitised, &["model"], VERTEX_VERSION)
}

/// Whether a (sanitised) Messages body asks for a stream.
///
/// # Example
///
/// ```
/// assert!(hush_claude::cloud::asks_for_stream(br#"{"stream": true}"#));
/// assert!(!hush_claude::cloud::asks_for_stream(br#"{"stream": "yes"}"#));
/// assert!(!hush_claude::cloud::asks_for_stream(b"not json"));
/// ```
pub fn asks_for_stream(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("stream").and_then(Value::as_bool))
        .unwrap_or(false)
}

fn with_version(
    sanitised: &[u8],
    remove: &[&str],
    version: &str,
) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(sanitised).ok()?;
    let o = v.as_object_mut()?;
    for k in remove {
        o.shift_remove(*k);
    }
    o.insert("anthropic_version".into(), Value::String(version.into()));
    serde_json::to_vec(&v).ok()
}

/// One path segment, URI-encoded, `@` kept.
fn path_segment(s: &str) -> String {
    sigv4::uri_encode(s, false).replace("%40", "@")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // botocore 1.43.11 signed this call (`invoke_model` with
    // contentType and accept `application/json`, at 2026-01-02T03:04:05Z,
    // AWS's documentation credentials and a session token); its
    // Authorization header is the expected value.
    #[test]
    fn bedrock_signature_matches_botocore() {
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("SESSIONTOKEN".into()),
        );
        let model = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        let url = format!(
            "{}{}",
            bedrock_base_url("us-east-1", None),
            bedrock_invoke_path(model)
        );
        assert_eq!(
            url,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/\
             anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke"
        );
        let body = br#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":16,"anthropic_version":"bedrock-2023-05-31"}"#;
        let h = bedrock_sigv4_headers(
            &creds,
            &url,
            body,
            "us-east-1",
            "20260102T030405Z",
        )
        .unwrap();
        let names: Vec<&str> = h.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["accept", "x-amz-date", "x-amz-security-token", "authorization"]
        );
        assert_eq!(h[2].1, "SESSIONTOKEN");
        assert_eq!(
            h[3].1,
            "AWS4-HMAC-SHA256 \
             Credential=AKIDEXAMPLE/20260102/us-east-1/bedrock/aws4_request, \
             SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, \
             Signature=484ca1ca77825ad3c6be640655ea09bb12110c070201dc4d132463aa58c085d9"
        );
    }

    #[test]
    fn a_port_is_part_of_the_signed_host() {
        let creds = Credentials::new("AKID", "s", None);
        let sign = |url: &str| {
            bedrock_sigv4_headers(&creds, url, b"{}", "r", "20260102T030405Z")
                .unwrap()
                .pop()
                .unwrap()
                .1
        };
        assert_ne!(
            sign("http://127.0.0.1:8080/model/m/invoke"),
            sign("http://127.0.0.1:8081/model/m/invoke")
        );
        // The default port is not written, as clients do not send it.
        assert_eq!(
            sign("https://h.example:443/model/m/invoke"),
            sign("https://h.example/model/m/invoke")
        );
        assert!(bedrock_sigv4_headers(&creds, "not a url", b"", "r", "d")
            .is_none());
    }

    #[test]
    fn model_ids_are_one_segment() {
        assert_eq!(
            bedrock_invoke_path(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"
            ),
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3A\
             inference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke"
        );
        assert_eq!(
            bedrock_invoke_path("../x?y#z"),
            "/model/..%2Fx%3Fy%23z/invoke"
        );
        // A name cannot end the segment early or add a query.
        assert_eq!(
            vertex_path("p/q", "r?", "m:rawPredict#", true),
            "/v1/projects/p%2Fq/locations/r%3F/publishers/anthropic/\
             models/m%3ArawPredict%23:streamRawPredict"
        );
    }

    #[test]
    fn regional_and_global_vertex_urls() {
        let url = |region: &str, stream| {
            format!(
                "{}{}",
                vertex_base_url(region, None),
                vertex_path(
                    "proj-1",
                    region,
                    "claude-opus-4-1@20250805",
                    stream
                )
            )
        };
        assert_eq!(
            url("us-east5", false),
            "https://us-east5-aiplatform.googleapis.com/v1/projects/proj-1/\
             locations/us-east5/publishers/anthropic/models/\
             claude-opus-4-1@20250805:rawPredict"
        );
        assert_eq!(
            url("global", true),
            "https://aiplatform.googleapis.com/v1/projects/proj-1/\
             locations/global/publishers/anthropic/models/\
             claude-opus-4-1@20250805:streamRawPredict"
        );
        assert_eq!(
            vertex_base_url("global", Some("http://[::1]:7/")),
            "http://[::1]:7"
        );
    }

    #[test]
    fn bodies_keep_everything_else_in_order() {
        let sanitised = json!({"model": "m", "max_tokens": 8, "stream": false,
            "system": "s", "messages": [{"role": "user", "content": "[EMAIL-1]"}],
            "tools": [{"name": "t", "input_schema": {"type": "object"}}]});
        let raw = sanitised.to_string();
        let b: Value =
            serde_json::from_slice(&bedrock_body(raw.as_bytes()).unwrap())
                .unwrap();
        let keys: Vec<&str> =
            b.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["max_tokens", "system", "messages", "tools", "anthropic_version"]
        );
        assert_eq!(b["messages"], sanitised["messages"]);
        let v: Value =
            serde_json::from_slice(&vertex_body(raw.as_bytes()).unwrap())
                .unwrap();
        assert_eq!(v["stream"], false);
        assert!(v.get("model").is_none());
        assert_eq!(v["anthropic_version"], VERTEX_VERSION);
        // A body that already names a version gets the right one.
        let b = bedrock_body(br#"{"anthropic_version": "x"}"#).unwrap();
        assert_eq!(b, br#"{"anthropic_version":"bedrock-2023-05-31"}"#);
        for bad in [&b""[..], b"null", b"\"s\"", b"{"] {
            assert!(bedrock_body(bad).is_none());
            assert!(vertex_body(bad).is_none());
        }
    }
}
