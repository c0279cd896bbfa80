//! The upstream key: the one Anthropic API key only the proxy holds,
//! read from where the operator keeps it (an environment variable, a
//! file, HashiCorp Vault KV v2, AWS Secrets Manager) and re-read on a
//! schedule so a rotated key is picked up without a restart.
//!
//! The first fetch must succeed ([`UpstreamKey::start`] fails otherwise:
//! a proxy without a key would only return errors). Later fetches that
//! fail keep the last good key and log a warning naming the source, never
//! the key or a credential. The key itself lives in a [`Secret`], whose
//! `Debug` prints `(redacted)` and whose memory is wiped when dropped.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use serde::Deserialize;

use crate::sigv4::{self, Credentials};
use crate::{time, KeyError};

/// Largest response body read from Vault or Secrets Manager.
const MAX_BODY: usize = 1 << 20;

/// Where the Vault token comes from (read again at every fetch, so a
/// renewed token file is used).
///
/// # Example
///
/// ```
/// let t = hush_keys::VaultToken::Env("VAULT_TOKEN".into());
/// assert_eq!(format!("{t:?}"), "Env(\"VAULT_TOKEN\")");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultToken {
    /// This environment variable.
    Env(String),
    /// The first line of this file (a Vault agent sink, say).
    File(PathBuf),
}

/// Where the upstream key is kept.
///
/// It deserializes from a tagged table, for a config file:
///
/// ```toml
/// source = "vault_kv2"          # or env, file, aws_secrets_manager
/// addr = "https://vault.internal:8200"
/// mount = "secret"              # default "secret"
/// path = "hush/anthropic"
/// field = "api_key"
/// token_env = "VAULT_TOKEN"     # or token_file = "..."; default VAULT_TOKEN
/// namespace = "team-a"          # optional (Vault Enterprise)
/// ```
///
/// # Example
///
/// ```
/// use hush_keys::UpstreamSecret;
///
/// let s: UpstreamSecret = serde_json::from_str(
///     r#"{"source": "aws_secrets_manager", "region": "eu-west-1",
///         "secret_id": "prod/hush/anthropic", "json_field": "api_key"}"#,
/// )?;
/// assert_eq!(s.describe(), "aws secrets manager prod/hush/anthropic (eu-west-1)");
/// let e: UpstreamSecret = serde_json::from_str(r#"{"source": "env", "var": "ANTHROPIC_API_KEY"}"#)?;
/// assert_eq!(e, UpstreamSecret::Env("ANTHROPIC_API_KEY".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SourceConfig")]
pub enum UpstreamSecret {
    /// An environment variable.
    Env(String),
    /// The first line of a file.
    File(PathBuf),
    /// A HashiCorp Vault KV version 2 secret:
    /// `GET {addr}/v1/{mount}/data/{path}`, value at `data.data.{field}`.
    VaultKv2 {
        /// Vault's address, `https://vault.internal:8200`.
        addr: String,
        /// The KV v2 mount, `secret`.
        mount: String,
        /// The secret's path under the mount.
        path: String,
        /// The field holding the key.
        field: String,
        /// The Vault token.
        token: VaultToken,
        /// The Vault Enterprise namespace.
        namespace: Option<String>,
    },
    /// An AWS Secrets Manager secret (`GetSecretValue`), signed with the
    /// credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN`.
    AwsSecretsManager {
        /// The region, `eu-west-1`.
        region: String,
        /// The secret's name or ARN.
        secret_id: String,
        /// Another endpoint than
        /// `https://secretsmanager.{region}.amazonaws.com` (a VPC
        /// endpoint, a test server).
        endpoint: Option<String>,
        /// When the secret is a JSON object: the field holding the key.
        json_field: Option<String>,
    },
}

/// The config-file form of [`UpstreamSecret`].
#[derive(Deserialize)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
enum SourceConfig {
    Env {
        var: String,
    },
    File {
        path: PathBuf,
    },
    VaultKv2 {
        addr: String,
        #[serde(default = "default_mount")]
        mount: String,
        path: String,
        field: String,
        token_env: Option<String>,
        token_file: Option<PathBuf>,
        namespace: Option<String>,
    },
    AwsSecretsManager {
        region: String,
        secret_id: String,
        endpoint: Option<String>,
        json_field: Option<String>,
    },
}

fn default_mount() -> String {
    "secret".into()
}

impl TryFrom<SourceConfig> for UpstreamSecret {
    type Error = String;

    fn try_from(c: SourceConfig) -> Result<UpstreamSecret, String> {
        Ok(match c {
            SourceConfig::Env { var } => UpstreamSecret::Env(var),
            SourceConfig::File { path } => UpstreamSecret::File(path),
            SourceConfig::VaultKv2 {
                addr,
                mount,
                path,
                field,
                token_env,
                token_file,
                namespace,
            } => {
                let token = match (token_env, token_file) {
                    (Some(_), Some(_)) => {
                        return Err(
                            "give token_env or token_file, not both".into()
                        )
                    }
                    (Some(v), None) => VaultToken::Env(v),
                    (None, Some(p)) => VaultToken::File(p),
                    (None, None) => VaultToken::Env("VAULT_TOKEN".into()),
                };
                UpstreamSecret::VaultKv2 {
                    addr,
                    mount,
                    path,
                    field,
                    token,
                    namespace,
                }
            }
            SourceConfig::AwsSecretsManager {
                region,
                secret_id,
                endpoint,
                json_field,
            } => UpstreamSecret::AwsSecretsManager {
                region,
                secret_id,
                endpoint,
                json_field,
            },
        })
    }
}

impl UpstreamSecret {
    /// A short description for logs and errors (no secret in it).
    ///
    /// # Example
    ///
    /// ```
    /// let s = hush_keys::UpstreamSecret::Env("ANTHROPIC_API_KEY".into());
    /// assert_eq!(s.describe(), "env ANTHROPIC_API_KEY");
    /// ```
    pub fn describe(&self) -> String {
        match self {
            UpstreamSecret::Env(v) => format!("env {v}"),
            UpstreamSecret::File(p) => format!("file {}", p.display()),
            UpstreamSecret::VaultKv2 { addr, mount, path, field, .. } => {
                format!("vault kv2 {addr} {mount}/{path}#{field}")
            }
            UpstreamSecret::AwsSecretsManager {
                region, secret_id, ..
            } => {
                format!("aws secrets manager {secret_id} ({region})")
            }
        }
    }
}

/// A secret value (the upstream API key). `Debug` prints `(redacted)`;
/// the memory is wiped on drop.
///
/// # Example
///
/// ```
/// let s = hush_keys::Secret::new("sk-ant-example");
/// assert_eq!(s.expose(), "sk-ant-example");
/// assert_eq!(format!("{s:?}"), "(redacted)");
/// ```
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    /// Wraps a value.
    ///
    /// # Example
    ///
    /// ```
    /// let s = hush_keys::Secret::new(String::from("k"));
    /// assert_eq!(s.expose(), "k");
    /// ```
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(zeroize::Zeroizing::new(value.into()))
    }

    /// The value, to put in the upstream request's header.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(hush_keys::Secret::new("k").expose(), "k");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

/// Reads a source.
struct Fetcher {
    source: UpstreamSecret,
    name: String,
    client: reqwest::Client,
}

impl Fetcher {
    fn new(source: UpstreamSecret) -> Result<Fetcher, KeyError> {
        let name = source.describe();
        install_crypto();
        let client = reqwest::Client::builder()
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .no_proxy()
            .build()
            .map_err(|e| KeyError::Upstream {
                source_name: name.clone(),
                reason: format!("cannot build an HTTP client: {e}"),
            })?;
        Ok(Fetcher { source, name, client })
    }

    fn fail(&self, reason: impl Into<String>) -> KeyError {
        KeyError::Upstream {
            source_name: self.name.clone(),
            reason: reason.into(),
        }
    }

    async fn fetch(&self) -> Result<Secret, KeyError> {
        let value = match &self.source {
            UpstreamSecret::Env(var) => std::env::var(var).map_err(|_| {
                self.fail("the variable is not set or not UTF-8")
            })?,
            UpstreamSecret::File(p) => read_first_line(p)?,
            UpstreamSecret::VaultKv2 {
                addr,
                mount,
                path,
                field,
                token,
                namespace,
            } => {
                self.vault(
                    addr,
                    mount,
                    path,
                    field,
                    token,
                    namespace.as_deref(),
                )
                .await?
            }
            UpstreamSecret::AwsSecretsManager {
                region,
                secret_id,
                endpoint,
                json_field,
            } => {
                self.aws(region, secret_id, endpoint.as_deref(), json_field)
                    .await?
            }
        };
        let value = zeroize::Zeroizing::new(value);
        let v = value.trim();
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(self.fail(
                "the value is empty or not a valid header value (printable \
                 ASCII without spaces)",
            ));
        }
        Ok(Secret::new(v))
    }

    async fn vault(
        &self,
        addr: &str,
        mount: &str,
        path: &str,
        field: &str,
        token: &VaultToken,
        namespace: Option<&str>,
    ) -> Result<String, KeyError> {
        let token = zeroize::Zeroizing::new(match token {
            VaultToken::Env(var) => std::env::var(var)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| {
                    self.fail(format!("Vault token variable {var} is not set"))
                })?,
            VaultToken::File(p) => read_first_line(p)?,
        });
        let url = format!(
            "{}/v1/{}/data/{}",
            addr.trim_end_matches('/'),
            mount.trim_matches('/'),
            path.trim_matches('/')
        );
        let mut rq =
            self.client.get(&url).header("X-Vault-Token", token.trim());
        if let Some(ns) = namespace {
            rq = rq.header("X-Vault-Namespace", ns);
        }
        let body = self.send(rq).await?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| self.fail("Vault's answer is not JSON"))?;
        match v.pointer("/data/data").and_then(|d| d.get(field)) {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            _ => Err(self
                .fail(format!("field {field:?} is missing or not a string"))),
        }
    }

    async fn aws(
        &self,
        region: &str,
        secret_id: &str,
        endpoint: Option<&str>,
        json_field: &Option<String>,
    ) -> Result<String, KeyError> {
        let creds = Credentials::from_env().ok_or_else(|| {
            self.fail(
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set",
            )
        })?;
        let endpoint = match endpoint {
            Some(e) => e.to_string(),
            None => format!("https://secretsmanager.{region}.amazonaws.com"),
        };
        let url = reqwest::Url::parse(&endpoint)
            .map_err(|e| self.fail(format!("bad endpoint: {e}")))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(self.fail("the endpoint has no host")),
        };
        let body = serde_json::json!({ "SecretId": secret_id }).to_string();
        let amz_date = sigv4::amz_date(time::now());
        let mut headers = vec![
            ("content-type", "application/x-amz-json-1.1"),
            ("host", host.as_str()),
            ("x-amz-date", amz_date.as_str()),
            ("x-amz-target", "secretsmanager.GetSecretValue"),
        ];
        if let Some(t) = creds.session_token() {
            headers.push(("x-amz-security-token", t));
        }
        let req = sigv4::Request {
            method: "POST",
            path: url.path(),
            query: url.query().unwrap_or(""),
            headers: &headers,
            payload: body.as_bytes(),
            region,
            service: "secretsmanager",
            amz_date: &amz_date,
        };
        let auth = req.authorization(&creds);
        let mut rq = self.client.post(url.clone()).body(body.clone());
        for (n, v) in &headers {
            rq = rq.header(*n, *v);
        }
        rq = rq.header("authorization", auth);
        let body = self.send(rq).await?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| self.fail("the answer is not JSON"))?;
        let Some(s) = v.get("SecretString").and_then(|s| s.as_str()) else {
            return Err(self.fail(
                "the secret has no SecretString (binary secrets are not \
                 supported)",
            ));
        };
        match json_field {
            None => Ok(s.to_string()),
            Some(f) => {
                let inner: serde_json::Value = serde_json::from_str(s)
                    .map_err(|_| self.fail("SecretString is not JSON"))?;
                match inner.get(f) {
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    _ => Err(self.fail(format!(
                        "field {f:?} of the secret is missing or not a string"
                    ))),
                }
            }
        }
    }

    /// Sends a request; returns the body of a 2xx answer, at most
    /// [`MAX_BODY`] bytes.
    async fn send(
        &self,
        rq: reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, KeyError> {
        let mut resp = rq
            .send()
            .await
            .map_err(|e| self.fail(format!("request failed: {e}")))?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.fail(format!("reading the answer: {e}")))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(self.fail("the answer is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            // AWS names its error in `__type`; Vault lists `errors`.
            // Neither holds the secret, but keep to the error's name.
            let kind = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("__type")?.as_str().map(str::to_string))
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            return Err(self.fail(format!("HTTP {status}{kind}")));
        }
        Ok(body)
    }
}

fn read_first_line(p: &Path) -> Result<String, KeyError> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(p)
            .map_err(|e| KeyError::io(p, "cannot read", e))?,
    );
    Ok(text.lines().next().unwrap_or("").trim().to_string())
}

/// Installs ring as rustls' process-wide crypto provider (once), as
/// hush-claude does.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

struct Inner {
    current: RwLock<Arc<Secret>>,
    fetcher: Fetcher,
    task: Option<tokio::task::AbortHandle>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

/// The upstream key, kept fresh. Cheap to clone; the refresh task stops
/// when the last clone is dropped.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use hush_keys::{UpstreamKey, UpstreamSecret};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("anthropic-key");
/// std::fs::write(&file, "sk-ant-first\n")?;
/// let key = UpstreamKey::start(UpstreamSecret::File(file.clone()), Duration::from_secs(300)).await?;
/// assert_eq!(key.current().expose(), "sk-ant-first");
///
/// std::fs::write(&file, "sk-ant-second\n")?;
/// key.refresh_now().await?; // the task would do it within 300 s
/// assert_eq!(key.current().expose(), "sk-ant-second");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct UpstreamKey {
    inner: Arc<Inner>,
}

impl fmt::Debug for UpstreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamKey")
            .field("source", &self.inner.fetcher.name)
            .field("current", &"(redacted)")
            .finish()
    }
}

impl UpstreamKey {
    /// Fetches the key once, then again every `refresh` in a tokio task
    /// (a zero `refresh` never refreshes). Call from within a tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// The first fetch failed: the source is unset, unreachable, denies
    /// access or holds no valid key. The message names the source and
    /// the reason, never a secret.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use hush_keys::{UpstreamKey, UpstreamSecret};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let src = UpstreamSecret::Env("HUSH_DOC_NO_SUCH_VARIABLE".into());
    /// let err = UpstreamKey::start(src, Duration::from_secs(60)).await.unwrap_err();
    /// assert!(err.to_string().contains("env HUSH_DOC_NO_SUCH_VARIABLE"));
    /// # });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn start(
        source: UpstreamSecret,
        refresh: Duration,
    ) -> Result<UpstreamKey, KeyError> {
        let fetcher = Fetcher::new(source)?;
        let first = fetcher.fetch().await?;
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| {
            let task = (!refresh.is_zero()).then(|| {
                tokio::spawn(refresh_loop(weak.clone(), refresh))
                    .abort_handle()
            });
            Inner { current: RwLock::new(Arc::new(first)), fetcher, task }
        });
        Ok(UpstreamKey { inner })
    }

    /// The key now.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use hush_keys::{UpstreamKey, UpstreamSecret};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # let dir = tempfile::tempdir()?;
    /// # let file = dir.path().join("k");
    /// # std::fs::write(&file, "sk-ant-x")?;
    /// let key = UpstreamKey::start(UpstreamSecret::File(file), Duration::ZERO).await?;
    /// let header_value = key.current();
    /// assert_eq!(header_value.expose(), "sk-ant-x");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn current(&self) -> Arc<Secret> {
        let g = match self.inner.current.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        Arc::clone(&g)
    }

    /// Where the key comes from (for logs).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use hush_keys::{UpstreamKey, UpstreamSecret};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # let dir = tempfile::tempdir()?;
    /// # let file = dir.path().join("k");
    /// # std::fs::write(&file, "sk-ant-x")?;
    /// let key = UpstreamKey::start(UpstreamSecret::File(file), Duration::ZERO).await?;
    /// assert!(key.source().starts_with("file "));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn source(&self) -> &str {
        &self.inner.fetcher.name
    }

    /// Fetches the key now (on SIGHUP, say). Returns whether it changed.
    ///
    /// # Errors
    ///
    /// The fetch failed; the current key stays.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use hush_keys::{UpstreamKey, UpstreamSecret};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # let dir = tempfile::tempdir()?;
    /// # let file = dir.path().join("k");
    /// # std::fs::write(&file, "sk-ant-x")?;
    /// let key = UpstreamKey::start(UpstreamSecret::File(file.clone()), Duration::ZERO).await?;
    /// assert!(!key.refresh_now().await?);
    /// std::fs::remove_file(&file)?;
    /// assert!(key.refresh_now().await.is_err());
    /// assert_eq!(key.current().expose(), "sk-ant-x"); // the last good key
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn refresh_now(&self) -> Result<bool, KeyError> {
        refresh(&self.inner).await
    }
}

async fn refresh(inner: &Inner) -> Result<bool, KeyError> {
    let fresh = inner.fetcher.fetch().await?;
    let mut g = match inner.current.write() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if **g == fresh {
        return Ok(false);
    }
    *g = Arc::new(fresh);
    Ok(true)
}

async fn refresh_loop(weak: Weak<Inner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = weak.upgrade() else { return };
        match refresh(&inner).await {
            Ok(true) => tracing::info!(
                source = %inner.fetcher.name,
                "upstream key changed; using the new one"
            ),
            Ok(false) => {}
            Err(e) => tracing::warn!(
                error = %e,
                "upstream key refresh failed; keeping the last good key"
            ),
        }
    }
}
