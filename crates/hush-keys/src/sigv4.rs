//! AWS Signature Version 4, the request signing AWS Secrets Manager
//! requires, written out with `hmac` and `sha2` rather than pulling in
//! the AWS SDK for one call.
//!
//! Scope: header-based signing (the `Authorization` header) of a request
//! whose path and query the caller gives already URI-encoded, which is
//! all a JSON-protocol call such as `secretsmanager.GetSecretValue` or a
//! REST call such as Bedrock's `InvokeModel` needs ([`uri_encode`] and
//! [`canonical_path`] build those paths). It is tested against the worked
//! example in AWS's SigV4 documentation (IAM `ListUsers`, 2015-08-30).

use std::fmt;

use hmac::Mac;
use sha2::{Digest, Sha256};

/// The signing algorithm name.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// AWS credentials. `Debug` shows the access key id only.
///
/// # Example
///
/// ```
/// let c = hush_keys::sigv4::Credentials::new("AKIDEXAMPLE", "wJalr...", None);
/// assert!(!format!("{c:?}").contains("wJalr"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    /// The access key id (not secret).
    pub access_key_id: String,
    secret_access_key: zeroize::Zeroizing<String>,
    session_token: Option<zeroize::Zeroizing<String>>,
}

impl Credentials {
    /// Credentials from their parts.
    ///
    /// # Example
    ///
    /// ```
    /// let c = hush_keys::sigv4::Credentials::new("AKID", "secret", Some("token".into()));
    /// assert_eq!(c.session_token(), Some("token"));
    /// ```
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Credentials {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: zeroize::Zeroizing::new(
                secret_access_key.into(),
            ),
            session_token: session_token.map(zeroize::Zeroizing::new),
        }
    }

    /// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// (optional) `AWS_SESSION_TOKEN`; `None` when either of the first
    /// two is unset or empty.
    ///
    /// # Example
    ///
    /// ```
    /// // Whatever the environment holds, nothing secret is printed.
    /// if let Some(c) = hush_keys::sigv4::Credentials::from_env() {
    ///     println!("{c:?}");
    /// }
    /// ```
    pub fn from_env() -> Option<Credentials> {
        let get = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        Some(Credentials::new(
            get("AWS_ACCESS_KEY_ID")?,
            get("AWS_SECRET_ACCESS_KEY")?,
            get("AWS_SESSION_TOKEN"),
        ))
    }

    /// The session token, for the `X-Amz-Security-Token` header.
    ///
    /// # Example
    ///
    /// ```
    /// let c = hush_keys::sigv4::Credentials::new("AKID", "s", None);
    /// assert_eq!(c.session_token(), None);
    /// ```
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref().map(String::as_str)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"(redacted)")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "(redacted)"),
            )
            .finish()
    }
}

/// The parts of a request that are signed.
///
/// # Example
///
/// ```
/// use hush_keys::sigv4::Request;
///
/// let req = Request {
///     method: "POST",
///     path: "/",
///     query: "",
///     headers: &[("host", "secretsmanager.eu-west-1.amazonaws.com")],
///     payload: b"{}",
///     region: "eu-west-1",
///     service: "secretsmanager",
///     amz_date: "20260101T000000Z",
/// };
/// assert!(req.canonical_request().starts_with("POST\n/\n\nhost:"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The canonical URI: the URI-encoded path (`/` for none), which for
    /// every service but S3 is encoded twice (see [`canonical_path`]).
    pub path: &'a str,
    /// The URI-encoded query string without `?` (empty for none).
    pub query: &'a str,
    /// The headers to sign, `host` and `x-amz-date` included; names in
    /// any case.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub payload: &'a [u8],
    /// The AWS region.
    pub region: &'a str,
    /// The service (`secretsmanager`, `iam`, ...).
    pub service: &'a str,
    /// The request time, `YYYYMMDDTHHMMSSZ` (the `X-Amz-Date` header).
    pub amz_date: &'a str,
}

impl Request<'_> {
    fn date(&self) -> &str {
        self.amz_date.get(..8).unwrap_or(self.amz_date)
    }

    /// `date/region/service/aws4_request`.
    ///
    /// # Example
    ///
    /// ```
    /// # let req = hush_keys::sigv4::Request { method: "GET", path: "/", query: "",
    /// #     headers: &[], payload: b"", region: "us-east-1", service: "iam",
    /// #     amz_date: "20150830T123600Z" };
    /// assert_eq!(req.scope(), "20150830/us-east-1/iam/aws4_request");
    /// ```
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date(),
            self.region,
            self.service
        )
    }

    /// Header names, lowercased, sorted, deduplicated, `;`-joined.
    ///
    /// # Example
    ///
    /// ```
    /// # let req = hush_keys::sigv4::Request { method: "GET", path: "/", query: "",
    /// #     headers: &[("X-Amz-Date", "x"), ("Host", "h")], payload: b"",
    /// #     region: "r", service: "s", amz_date: "20150830T123600Z" };
    /// assert_eq!(req.signed_headers(), "host;x-amz-date");
    /// ```
    pub fn signed_headers(&self) -> String {
        let mut names: Vec<String> =
            self.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        names.sort();
        names.dedup();
        names.join(";")
    }

    /// The canonical request (task 1 of the signing process).
    ///
    /// # Example
    ///
    /// ```
    /// # let req = hush_keys::sigv4::Request { method: "GET", path: "/", query: "b=2&a=1",
    /// #     headers: &[("Host", "h")], payload: b"", region: "r", service: "s",
    /// #     amz_date: "20150830T123600Z" };
    /// assert!(req.canonical_request().starts_with("GET\n/\na=1&b=2\nhost:h\n"));
    /// ```
    pub fn canonical_request(&self) -> String {
        let mut query: Vec<&str> =
            self.query.split('&').filter(|p| !p.is_empty()).collect();
        query.sort_by_key(|p| p.split_once('=').unwrap_or((p, "")));
        let mut headers: Vec<(String, String)> = Vec::new();
        for (n, v) in self.headers {
            let name = n.to_ascii_lowercase();
            let value = v.split_whitespace().collect::<Vec<_>>().join(" ");
            match headers.iter_mut().find(|(h, _)| *h == name) {
                Some((_, prev)) => {
                    prev.push(',');
                    prev.push_str(&value);
                }
                None => headers.push((name, value)),
            }
        }
        headers.sort();
        let mut out = String::new();
        out.push_str(self.method);
        out.push('\n');
        out.push_str(if self.path.is_empty() { "/" } else { self.path });
        out.push('\n');
        out.push_str(&query.join("&"));
        out.push('\n');
        for (n, v) in &headers {
            out.push_str(n);
            out.push(':');
            out.push_str(v);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.signed_headers());
        out.push('\n');
        out.push_str(&hex::encode(Sha256::digest(self.payload)));
        out
    }

    /// The string to sign (task 2).
    ///
    /// # Example
    ///
    /// ```
    /// # let req = hush_keys::sigv4::Request { method: "GET", path: "/", query: "",
    /// #     headers: &[("Host", "h")], payload: b"", region: "us-east-1", service: "iam",
    /// #     amz_date: "20150830T123600Z" };
    /// assert!(req.string_to_sign().starts_with("AWS4-HMAC-SHA256\n20150830T123600Z\n"));
    /// ```
    pub fn string_to_sign(&self) -> String {
        format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            self.amz_date,
            self.scope(),
            hex::encode(Sha256::digest(self.canonical_request().as_bytes()))
        )
    }

    /// The signature, hex (task 3).
    ///
    /// # Example
    ///
    /// ```
    /// # use hush_keys::sigv4::Credentials;
    /// # let req = hush_keys::sigv4::Request { method: "GET", path: "/", query: "",
    /// #     headers: &[("Host", "h")], payload: b"", region: "us-east-1", service: "iam",
    /// #     amz_date: "20150830T123600Z" };
    /// let sig = req.signature(&Credentials::new("AKID", "secret", None));
    /// assert_eq!(sig.len(), 64);
    /// ```
    pub fn signature(&self, creds: &Credentials) -> String {
        let key = signing_key(
            &creds.secret_access_key,
            self.date(),
            self.region,
            self.service,
        );
        hex::encode(hmac(&key, self.string_to_sign().as_bytes()))
    }

    /// The `Authorization` header value.
    ///
    /// # Example
    ///
    /// ```
    /// # use hush_keys::sigv4::Credentials;
    /// # let req = hush_keys::sigv4::Request { method: "GET", path: "/", query: "",
    /// #     headers: &[("Host", "h")], payload: b"", region: "us-east-1", service: "iam",
    /// #     amz_date: "20150830T123600Z" };
    /// let auth = req.authorization(&Credentials::new("AKID", "secret", None));
    /// assert!(auth.starts_with(
    ///     "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, \
    ///      SignedHeaders=host, Signature="
    /// ));
    /// ```
    pub fn authorization(&self, creds: &Credentials) -> String {
        format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
            creds.access_key_id,
            self.scope(),
            self.signed_headers(),
            self.signature(creds)
        )
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = crate::format::mac_for(key);
    Mac::update(&mut m, data);
    m.finalize().into_bytes().into()
}

/// The derived signing key: HMAC chain over `"AWS4" + secret`, the date
/// (`YYYYMMDD`), the region, the service and `aws4_request`.
///
/// # Example
///
/// ```
/// // The worked example of AWS's SigV4 documentation.
/// let k = hush_keys::sigv4::signing_key(
///     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
/// assert_eq!(hex::encode(k), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
/// ```
pub fn signing_key(
    secret_access_key: &str,
    date: &str,
    region: &str,
    service: &str,
) -> [u8; 32] {
    let start = zeroize::Zeroizing::new(format!("AWS4{secret_access_key}"));
    let k = hmac(start.as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// URI-encodes `input` as SigV4 and AWS REST paths want it: every byte
/// but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`)
/// becomes `%XX` (uppercase hex), and `/` too unless `keep_slash`.
///
/// # Example
///
/// ```
/// use hush_keys::sigv4::uri_encode;
///
/// // A Bedrock model id as one path segment.
/// assert_eq!(
///     uri_encode("anthropic.claude-sonnet-4-5-20250929-v1:0", false),
///     "anthropic.claude-sonnet-4-5-20250929-v1%3A0"
/// );
/// assert_eq!(uri_encode("a/b c", true), "a/b%20c");
/// assert_eq!(uri_encode("a/b", false), "a%2Fb");
/// ```
pub fn uri_encode(input: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical URI of a request path for every service but S3: the
/// path as sent (already URI-encoded) encoded once more, `/` kept. So a
/// Bedrock model id `...v1:0`, sent as `...v1%3A0`, is signed as
/// `...v1%253A0`; give the result as [`Request::path`].
///
/// # Example
///
/// ```
/// use hush_keys::sigv4::canonical_path;
///
/// assert_eq!(
///     canonical_path("/model/anthropic.claude-v2%3A1/invoke"),
///     "/model/anthropic.claude-v2%253A1/invoke"
/// );
/// assert_eq!(canonical_path(""), "/");
/// ```
pub fn canonical_path(sent_path: &str) -> String {
    if sent_path.is_empty() {
        return "/".into();
    }
    uri_encode(sent_path, true)
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time.
///
/// # Example
///
/// ```
/// assert_eq!(hush_keys::sigv4::amz_date(1_440_938_160), "20150830T123600Z");
/// ```
pub fn amz_date(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = crate::time::utc_parts(secs);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked example in AWS's "Signature Version 4" documentation:
    // IAM ListUsers, 2015-08-30T12:36:00Z, us-east-1, with the
    // documentation's example credentials.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn list_users() -> Request<'static> {
        Request {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &[
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("Host", "iam.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            payload: b"",
            region: "us-east-1",
            service: "iam",
            amz_date: "20150830T123600Z",
        }
    }

    #[test]
    fn aws_documented_example() {
        let req = list_users();
        let creds = Credentials::new("AKIDEXAMPLE", SECRET, None);
        assert_eq!(
            hex::encode(Sha256::digest(req.canonical_request().as_bytes())),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(
            hex::encode(signing_key(SECRET, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        assert_eq!(
            req.signature(&creds),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
        assert_eq!(
            req.authorization(&creds),
            "AWS4-HMAC-SHA256 \
             Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn uri_encode_is_rfc3986_unreserved_only() {
        assert_eq!(uri_encode("AZaz09-._~", false), "AZaz09-._~");
        assert_eq!(uri_encode("é:@+", false), "%C3%A9%3A%40%2B");
        // An ARN model id: its `/` is encoded as part of one segment.
        assert_eq!(
            uri_encode(
                "arn:aws:bedrock:us-east-1:1:inference-profile/x",
                false
            ),
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx"
        );
    }

    #[test]
    fn header_order_and_spacing_do_not_matter() {
        let a = list_users();
        let headers = [
            ("x-amz-date", "20150830T123600Z"),
            ("host", "  iam.amazonaws.com "),
            (
                "content-type",
                "application/x-www-form-urlencoded;   charset=utf-8",
            ),
        ];
        let b = Request {
            headers: &headers,
            query: "Version=2010-05-08&Action=ListUsers",
            ..a
        };
        assert_eq!(a.canonical_request(), b.canonical_request());
    }
}
