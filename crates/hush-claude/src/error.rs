//! Errors in the shape the Claude API uses, so that a client (an SDK,
//! Claude Code) reads hush's refusals exactly as it reads Anthropic's.
//! Messages name what failed and why, never the text that failed.

use std::fmt;

/// An error the proxy answers with: an HTTP status and an Anthropic
/// error body `{"type":"error","error":{"type":...,"message":...}}`.
///
/// # Example
///
/// ```
/// use hush_claude::ApiError;
///
/// let e = ApiError::invalid_request("body is not valid JSON: expected value at line 1 column 1");
/// assert_eq!(e.status(), 400);
/// let body: serde_json::Value = serde_json::from_slice(&e.body())?;
/// assert_eq!(body["error"]["type"], "invalid_request_error");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiError {
    status: u16,
    kind: &'static str,
    message: String,
    retry_after: Option<std::time::Duration>,
}

impl ApiError {
    /// Any status and error type.
    pub fn new(
        status: u16,
        kind: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError { status, kind, message: message.into(), retry_after: None }
    }

    /// 429 `rate_limit_error` with the wait the client should honour.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = hush_claude::ApiError::rate_limited("over 600 requests per minute", Duration::from_millis(1500));
    /// assert_eq!((e.status(), e.kind()), (429, "rate_limit_error"));
    /// assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
    /// ```
    pub fn rate_limited(
        message: impl Into<String>,
        retry_after: std::time::Duration,
    ) -> ApiError {
        let mut e = ApiError::new(429, "rate_limit_error", message);
        e.retry_after = Some(retry_after);
        e
    }

    /// The same error with a wait for the client (`retry-after`).
    pub fn with_retry_after(mut self, wait: std::time::Duration) -> ApiError {
        self.retry_after = Some(wait);
        self
    }

    /// How long the client should wait before trying again, if hush
    /// knows.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after
    }

    /// 400 `invalid_request_error`.
    pub fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalid_request_error", message)
    }

    /// 413 `request_too_large`.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            413,
            "request_too_large",
            format!(
                "request body is larger than hush's limit of {limit} bytes"
            ),
        )
    }

    /// 500 `api_error` for a redaction that could not be done: nothing was
    /// sent upstream.
    pub fn redaction_failed(why: impl fmt::Display) -> ApiError {
        ApiError::new(500, "api_error", format!("hush could not redact the request, so nothing was sent upstream: {why}"))
    }

    /// 502 `api_error` for an upstream that could not be reached.
    pub fn upstream(why: impl fmt::Display) -> ApiError {
        ApiError::new(
            502,
            "api_error",
            format!("hush could not reach the upstream API: {why}"),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The Anthropic error type (`invalid_request_error`, ...).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON body.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "type": "error",
            "error": { "type": self.kind, "message": self.message },
        }))
        .unwrap_or_default()
    }

    /// The error as an SSE `error` frame (for failures after a stream has
    /// started).
    pub fn sse_frame(&self) -> crate::sse::Frame {
        let data = String::from_utf8(self.body()).unwrap_or_default();
        crate::sse::Frame::new("error", &data)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiError({} {}: {})", self.status, self.kind, self.message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.kind, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<hush::Error> for ApiError {
    fn from(e: hush::Error) -> ApiError {
        ApiError::redaction_failed(e)
    }
}
