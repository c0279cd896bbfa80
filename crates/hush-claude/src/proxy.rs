//! The redacting proxy: an Anthropic-compatible HTTP server that redacts
//! each request before it goes upstream and restores the answer, streams
//! included, as it comes back.
//!
//! What is served and how: `POST /v1/messages` (JSON or SSE),
//! `/v1/messages/count_tokens`, `/v1/messages/batches` (params redacted
//! on create; `results_url` rewritten to come back through the proxy;
//! results restored line by line), `GET /v1/models` (passed through) and
//! `POST /v1/chat/completions` (the OpenAI-compatible shape). Any other
//! path gets a 404: an endpoint hush does not understand could carry text
//! it cannot redact, so it is not forwarded (fail closed).
//!
//! The scope of pseudonyms is a keyed hash of the client's credential
//! (and within it the `x-hush-scope` name, if given), so a conversation
//! keeps its pseudonyms across turns and no client can have another's
//! pseudonyms restored. Headers go upstream unchanged except
//! hop-by-hop ones, `accept-encoding` (the proxy must read the body),
//! `x-hush-*` and, when the proxy holds the upstream key, the client's
//! credential. Upstream errors come back unchanged in status, headers and
//! wording.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::StreamExt;
use hush::Redactor;
use serde_json::Value;
use tokio::sync::mpsc;

mod cloud_fallback;

use crate::error::ApiError;
use crate::fallback::{
    cache_key, static_message, AnswerCache, Fallback, Route as RoutePolicy,
    SchemaAction,
};
use crate::message::message_from_sse;
use crate::message::sse_from_message;
use crate::metrics::Metrics;
use crate::monitor::{send_alerts, AlertRules, Monitor, Observation};
use crate::review::{ReviewStatus, ReviewStore};
use crate::stream::{ChatStreamRestorer, MessageStreamRestorer};
use crate::transform::{
    mask_response, masking_redactor, redact_request, restore_response,
    Endpoint, MediaPolicy, ResponsePii, ResponseShape,
};
use crate::validate::{validate_request, RequestShape};
use hush_audit::{AuditLog, Body as RecordBody, CallRecord};
use hush_guard::{
    estimate_input_tokens, Admission, BreakerConfig, CircuitBreaker, Limits,
    Outcome, RateLimiter, Reservation, RetryDecision, RetryPolicy,
};
use hush_keys::{Authorized, Denied, KeyRing, RequestFacts};
use hush_screen::{Action as ScreenAction, ScreenPolicy, Screener};

/// Messages and count_tokens body limit (the API's own is 32 MB).
pub const DEFAULT_MAX_BODY: usize = 32 << 20;
/// Batch create body limit (the API's own is 256 MB).
pub const DEFAULT_MAX_BATCH_BODY: usize = 256 << 20;

/// The Anthropic key the proxy sends upstream in place of the client's:
/// fixed for the process, or fetched from a secret store (environment,
/// file, HashiCorp Vault KV v2, AWS Secrets Manager) and re-read on a
/// schedule, so that rotating it needs no restart. Every call reads the
/// current key; the key never reaches a log or an error (its `Debug`
/// prints no secret).
///
/// # Example
///
/// ```
/// use hush_claude::proxy::UpstreamCredential;
///
/// let k = UpstreamCredential::from("sk-ant-upstream");
/// assert_eq!(k.current().expose(), "sk-ant-upstream");
/// assert!(!format!("{k:?}").contains("sk-ant"));
/// ```
#[derive(Clone)]
pub enum UpstreamCredential {
    /// One key for the life of the process.
    Fixed(Arc<hush_keys::Secret>),
    /// A key re-read from its source on a schedule.
    Refreshed(hush_keys::UpstreamKey),
}

impl UpstreamCredential {
    /// The key to send now.
    ///
    /// # Example
    ///
    /// ```
    /// # use hush_claude::proxy::UpstreamCredential;
    /// let k = UpstreamCredential::from(String::from("sk-ant-x"));
    /// assert_eq!(k.current().expose(), "sk-ant-x");
    /// ```
    pub fn current(&self) -> Arc<hush_keys::Secret> {
        match self {
            UpstreamCredential::Fixed(k) => Arc::clone(k),
            UpstreamCredential::Refreshed(k) => k.current(),
        }
    }

    /// The key as a header value, marked sensitive (kept out of
    /// `Debug` output and HTTP/2 header compression tables).
    fn header(&self) -> Option<reqwest::header::HeaderValue> {
        let mut v =
            reqwest::header::HeaderValue::from_str(self.current().expose())
                .ok()?;
        v.set_sensitive(true);
        Some(v)
    }
}

impl std::fmt::Debug for UpstreamCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamCredential::Fixed(_) => {
                f.write_str("Fixed(\"(redacted)\")")
            }
            UpstreamCredential::Refreshed(k) => {
                write!(f, "Refreshed({})", k.source())
            }
        }
    }
}

impl From<&str> for UpstreamCredential {
    fn from(key: &str) -> Self {
        UpstreamCredential::Fixed(Arc::new(hush_keys::Secret::new(key)))
    }
}

impl From<String> for UpstreamCredential {
    fn from(key: String) -> Self {
        UpstreamCredential::Fixed(Arc::new(hush_keys::Secret::new(key)))
    }
}

impl From<hush_keys::UpstreamKey> for UpstreamCredential {
    fn from(key: hush_keys::UpstreamKey) -> Self {
        UpstreamCredential::Refreshed(key)
    }
}

/// How the proxy is set up.
///
/// # Example
///
/// ```
/// use hush_claude::proxy::ProxyConfig;
///
/// let cfg = ProxyConfig::new("http://127.0.0.1:9999")?;
/// assert_eq!(cfg.upstream(), "http://127.0.0.1:9999");
/// assert!(ProxyConfig::new("http://api.example.com").is_err()); // plain HTTP only to loopback
/// # Ok::<(), hush_claude::ApiError>(())
/// ```
#[derive(Clone)]
pub struct ProxyConfig {
    upstream: String,
    /// The key sent upstream instead of the client's, if the proxy holds one.
    pub upstream_key: Option<UpstreamCredential>,
    /// PEM bundle of extra CA certificates to trust for the upstream.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Images and PDFs: allow (counted) or block.
    pub media: MediaPolicy,
    /// Body limit for messages, count_tokens and chat completions.
    pub max_body: usize,
    /// Body limit for batch creation.
    pub max_batch_body: usize,
    /// The proxy's own base URL for rewritten `results_url`s; by default
    /// `http://` and the request's `Host` header.
    pub public_url: Option<String>,
    /// Upstream connect timeout.
    pub connect_timeout: Duration,
    /// Personal data in answers that the request did not carry.
    pub response_pii: ResponsePii,
    /// Routes by model: fallback plans and output checks (the first
    /// matching route applies).
    pub routes: Vec<RoutePolicy>,
    /// Where answers of `hold_for_review` routes wait for a reviewer.
    pub review_dir: Option<std::path::PathBuf>,
    /// Rate limits (global ones inside; per-client ones below), if any.
    pub limiter: Option<Arc<RateLimiter>>,
    /// Limits for each client (its key id, or its credential's scope).
    pub client_limits: Limits,
    /// Upstream retries.
    pub retry: RetryPolicy,
    /// When the upstream counts as down.
    pub breaker: BreakerConfig,
    /// Longest wait for the upstream's response headers.
    pub header_timeout: Duration,
    /// Size of the answer cache (bytes of JSON) used by `cache`
    /// fallbacks.
    pub cache_bytes: usize,
    /// How long a cached answer may be served.
    pub cache_ttl: Duration,
    /// Prompt-injection screening of user turns, and what a hit gets.
    pub screening: Option<(Arc<Screener>, ScreenPolicy)>,
    /// Alert rules and the webhook alerts go to.
    pub alerts: Option<(AlertRules, String)>,
    /// How often to probe the upstream (`GET /v1/models`); `None`: never.
    pub probe_interval: Option<Duration>,
    /// The audit log: one record per call, kept before the answer ends.
    pub audit: Option<Arc<AuditLog>>,
    /// Client keys: when set, only these keys may call (401/403
    /// otherwise), and the proxy must hold the upstream key.
    pub keys: Option<KeyRing>,
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("upstream", &self.upstream)
            .field(
                "upstream_key",
                &self.upstream_key.as_ref().map(|_| "(set)"),
            )
            .field("media", &self.media)
            .field("response_pii", &self.response_pii)
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl ProxyConfig {
    /// A configuration for an upstream base URL (`https://api.anthropic.com`).
    ///
    /// # Errors
    ///
    /// A URL that is not `https://`, or `http://` to a loopback host.
    pub fn new(upstream: &str) -> Result<ProxyConfig, ApiError> {
        let upstream = upstream.trim_end_matches('/').to_string();
        let host = if let Some(rest) = upstream.strip_prefix("https://") {
            rest
        } else if let Some(rest) = upstream.strip_prefix("http://") {
            let authority = rest.split('/').next().unwrap_or("");
            let host = match authority.rfind(':') {
                Some(i) if !authority.ends_with(']') => &authority[..i],
                _ => authority,
            };
            if !is_loopback_host(host) {
                return Err(ApiError::invalid_request(format!(
                    "upstream {upstream}: plain http is allowed only to loopback; use https"
                )));
            }
            rest
        } else {
            return Err(ApiError::invalid_request(format!(
                "upstream {upstream}: expected an https:// URL"
            )));
        };
        if host.is_empty() {
            return Err(ApiError::invalid_request("upstream URL has no host"));
        }
        Ok(ProxyConfig {
            upstream,
            upstream_key: None,
            extra_ca_pem: None,
            media: MediaPolicy::Allow,
            max_body: DEFAULT_MAX_BODY,
            max_batch_body: DEFAULT_MAX_BATCH_BODY,
            public_url: None,
            connect_timeout: Duration::from_secs(10),
            response_pii: ResponsePii::Leave,
            routes: Vec::new(),
            review_dir: None,
            limiter: None,
            client_limits: Limits::default(),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            header_timeout: Duration::from_secs(600),
            cache_bytes: 64 << 20,
            cache_ttl: Duration::from_secs(24 * 3600),
            screening: None,
            alerts: None,
            probe_interval: None,
            audit: None,
            keys: None,
        })
    }

    /// The upstream base URL.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }
}

/// Counters the proxy keeps.
#[derive(Debug, Default)]
pub struct ProxyStats {
    /// Requests received.
    pub requests: AtomicU64,
    /// Requests refused before anything went upstream.
    pub refused: AtomicU64,
    /// Values pseudonymised in requests.
    pub redacted: AtomicU64,
    /// Pseudonyms restored in answers.
    pub restored: AtomicU64,
    /// Images, PDFs and files forwarded unredacted under the `allow`
    /// media policy.
    pub media: AtomicU64,
}

struct Shared {
    cfg: ProxyConfig,
    red: Redactor,
    masker: Option<Redactor>,
    http: reqwest::Client,
    stats: ProxyStats,
    metrics: Metrics,
    ids: RequestIds,
    /// Compiled answer schemas, by route index.
    schemas: Vec<Option<jsonschema::Validator>>,
    reviews: Option<ReviewStore>,
    /// One breaker per upstream base URL (the primary and each
    /// `upstream` fallback).
    breakers: std::sync::Mutex<
        std::collections::HashMap<String, Arc<CircuitBreaker>>,
    >,
    cache: Option<AnswerCache>,
    jitter: AtomicU64,
    monitor: Option<Monitor>,
    /// The last probe: 0 not probed, 1 reachable, 2 unreachable.
    upstream_state: std::sync::atomic::AtomicU8,
}

/// A proxy, ready to serve.
///
/// # Example
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use hush::{Redactor, Scanner, Vault, Key, Policy};
/// use hush_claude::proxy::{Proxy, ProxyConfig};
///
/// let red = Redactor::new(Arc::new(Scanner::new()?), Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?));
/// let proxy = Proxy::new(ProxyConfig::new("https://api.anthropic.com")?, red)?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
/// proxy.serve(listener).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Proxy {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("cfg", &self.shared.cfg)
            .finish_non_exhaustive()
    }
}

/// Installs ring as rustls' process-wide crypto provider (once).
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Proxy {
    /// A proxy that redacts with `red` (its scanner, vault, kinds and
    /// score threshold; the scope is chosen per request).
    ///
    /// # Errors
    ///
    /// An extra CA bundle that does not parse, or a TLS set-up failure.
    pub fn new(cfg: ProxyConfig, red: Redactor) -> Result<Proxy, ApiError> {
        install_crypto();
        let mut b = reqwest::Client::builder()
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .connect_timeout(cfg.connect_timeout)
            .tcp_nodelay(true)
            .pool_max_idle_per_host(256)
            .no_proxy();
        if cfg.upstream.starts_with("https://") {
            b = b.https_only(true);
        }
        if let Some(pem) = &cfg.extra_ca_pem {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                    ApiError::invalid_request(format!("extra CA bundle: {e}"))
                })?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let http = b.build().map_err(|e| {
            ApiError::upstream(format!("building the HTTP client: {e}"))
        })?;
        for f in cfg.routes.iter().flat_map(|r| &r.fallback) {
            f.check().map_err(ApiError::invalid_request)?;
        }
        let masker = match cfg.response_pii {
            ResponsePii::Leave => None,
            ResponsePii::Mask => Some(masking_redactor(&red)?),
        };
        if cfg.keys.is_some() && cfg.upstream_key.is_none() {
            return Err(ApiError::invalid_request(
                "client keys need the proxy to hold the upstream key (their keys are not Anthropic keys)",
            ));
        }
        let mut schemas = Vec::with_capacity(cfg.routes.len());
        for r in &cfg.routes {
            schemas.push(match &r.answer_schema {
                Some(path) => Some(load_schema(path)?),
                None => None,
            });
        }
        if cfg.routes.iter().any(|r| r.hold_for_review)
            && cfg.review_dir.is_none()
        {
            return Err(ApiError::invalid_request(
                "a route holds answers for review but no review directory is set",
            ));
        }
        let monitor =
            cfg.alerts.as_ref().map(|(r, _)| Monitor::new(r.clone()));
        let cache = cfg
            .routes
            .iter()
            .any(|r| r.fallback.contains(&Fallback::Cache))
            .then(|| AnswerCache::new(cfg.cache_bytes, cfg.cache_ttl));
        let reviews = match &cfg.review_dir {
            Some(d) => Some(ReviewStore::open(d).map_err(|e| {
                ApiError::invalid_request(format!("review directory: {e}"))
            })?),
            None => None,
        };
        Ok(Proxy {
            shared: Arc::new(Shared {
                cfg,
                red,
                masker,
                http,
                stats: ProxyStats::default(),
                metrics: Metrics::default(),
                ids: RequestIds::new(),
                schemas,
                reviews,
                breakers: Default::default(),
                cache,
                monitor,
                upstream_state: std::sync::atomic::AtomicU8::new(0),
                jitter: AtomicU64::new(
                    SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(1, |d| d.as_nanos() as u64)
                        | 1,
                ),
            }),
        })
    }

    /// The proxy's counters.
    pub fn stats(&self) -> &ProxyStats {
        &self.shared.stats
    }

    /// Starts the scheduled work: alert evaluation (every 10 s, alerts
    /// to the webhook) and the upstream probe. Called by `serve`; call it
    /// yourself when embedding [`Proxy::router`]. The tasks end when the
    /// last clone of the proxy is dropped.
    pub fn spawn_background(&self) {
        let weak = Arc::downgrade(&self.shared);
        if let Some((_, url)) = &self.shared.cfg.alerts {
            let (weak, url) = (weak.clone(), url.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(10));
                loop {
                    tick.tick().await;
                    let Some(shared) = weak.upgrade() else { return };
                    let alerts = shared
                        .monitor
                        .as_ref()
                        .map(Monitor::evaluate)
                        .unwrap_or_default();
                    if !alerts.is_empty() {
                        tracing::warn!(count = alerts.len(), "alerts fired");
                        let http = shared.http.clone();
                        drop(shared);
                        send_alerts(&http, &url, &alerts).await;
                    }
                }
            });
        }
        if let Some(every) = self.shared.cfg.probe_interval {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(
                    every.max(Duration::from_millis(100)),
                );
                loop {
                    tick.tick().await;
                    let Some(shared) = weak.upgrade() else { return };
                    let up = probe(&shared).await;
                    shared
                        .upstream_state
                        .store(if up { 1 } else { 2 }, Ordering::Relaxed);
                    shared.metrics.upstream_up(up);
                }
            });
        }
    }

    /// The proxy's metrics (what `/metrics` serves).
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// The axum router (to embed the proxy in a larger server).
    pub fn router(&self) -> Router {
        Router::new().fallback(handle).with_state(self.shared.clone())
    }

    /// Serves on a bound listener until the task is dropped.
    ///
    /// # Errors
    ///
    /// When the listener fails.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
    ) -> std::io::Result<()> {
        use axum::serve::ListenerExt as _;
        self.spawn_background();
        // Without TCP_NODELAY, a response written in more than one
        // segment (headers, then a body or SSE frames) waits behind the
        // client's delayed ACK: a 40 ms stall on one call in fifty or so
        // at 500 calls/s, which made the proxy's p99. The TLS path sets
        // it on each accepted stream too.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(
            listener,
            self.router().into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    }
}

/// A TLS server configuration from PEM text: a certificate chain and its
/// private key (PKCS#8, PKCS#1 or SEC1). TLS 1.2 and 1.3, HTTP/1.1 and
/// HTTP/2 by ALPN.
///
/// # Errors
///
/// PEM that holds no certificate or no key, or a key that does not fit.
///
/// # Example
///
/// ```
/// assert!(hush_claude::proxy::tls_config(b"", b"").is_err());
/// ```
pub fn tls_config(
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<rustls::ServerConfig>, ApiError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    install_crypto();
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| {
                ApiError::invalid_request(format!("TLS certificate: {e}"))
            })?;
    if certs.is_empty() {
        return Err(ApiError::invalid_request(
            "TLS certificate file holds no certificate",
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| ApiError::invalid_request(format!("TLS key: {e}")))?;
    let mut cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ApiError::invalid_request(format!("TLS certificate and key: {e}"))
        })?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

impl Proxy {
    /// Serves HTTPS on a bound listener until the task is dropped. A
    /// failed handshake closes that connection only.
    ///
    /// # Errors
    ///
    /// When the listener fails.
    pub async fn serve_tls(
        self,
        listener: tokio::net::TcpListener,
        tls: Arc<rustls::ServerConfig>,
    ) -> std::io::Result<()> {
        self.spawn_background();
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        let router = self.router();
        loop {
            let (tcp, _) = listener.accept().await?;
            let _ = tcp.set_nodelay(true);
            let (acceptor, router) = (acceptor.clone(), router.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    tracing::debug!("TLS handshake failed");
                    return;
                };
                let service =
                    hyper_util::service::TowerToHyperService::new(router);
                let builder = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                if let Err(e) = builder
                    .serve_connection_with_upgrades(
                        hyper_util::rt::TokioIo::new(stream),
                        service,
                    )
                    .await
                {
                    tracing::debug!("connection ended: {e}");
                }
            });
        }
    }
}

fn error_response(e: &ApiError) -> Response {
    let mut r = (
        StatusCode::from_u16(e.status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        e.body(),
    )
        .into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r.headers_mut().insert("x-hush-error", HeaderValue::from_static("1"));
    if let Some(d) = e.retry_after() {
        // Whole seconds, rounded up, as the API sends them; and the
        // precise wait in milliseconds, which the SDKs read first.
        let secs = d.as_millis().div_ceil(1000).max(1);
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert("retry-after", v);
        }
        if let Ok(v) = HeaderValue::from_str(&d.as_millis().to_string()) {
            r.headers_mut().insert("retry-after-ms", v);
        }
    }
    r
}

/// What a request is, by method and path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Messages,
    CountTokens,
    BatchCreate,
    BatchRead,
    BatchResults,
    BatchOther,
    Models,
    Chat,
    /// `GET /hush/reviews/{id}`: a held answer, once approved.
    Review,
}

impl Route {
    /// The endpoint as metrics and the audit log name it (ids left out).
    fn endpoint(self) -> &'static str {
        match self {
            Route::Messages => "/v1/messages",
            Route::CountTokens => "/v1/messages/count_tokens",
            Route::BatchCreate => "/v1/messages/batches",
            Route::BatchRead => "/v1/messages/batches/{id}",
            Route::BatchResults => "/v1/messages/batches/{id}/results",
            Route::BatchOther => "/v1/messages/batches/{id} (delete)",
            Route::Models => "/v1/models",
            Route::Chat => "/v1/chat/completions",
            Route::Review => "/hush/reviews/{id}",
        }
    }

    /// The request shape validated before anything is sent.
    fn shape(self) -> RequestShape {
        match self {
            Route::CountTokens => RequestShape::CountTokens,
            Route::BatchCreate => RequestShape::BatchCreate,
            Route::Chat => RequestShape::ChatCompletions,
            _ => RequestShape::Messages,
        }
    }
}

fn route(method: &Method, path: &str) -> Option<Route> {
    let p = path.trim_end_matches('/');
    let segs: Vec<&str> = p.split('/').skip(1).collect();
    Some(match (method.as_str(), segs.as_slice()) {
        ("POST", ["v1", "messages"]) => Route::Messages,
        ("POST", ["v1", "messages", "count_tokens"]) => Route::CountTokens,
        ("POST", ["v1", "messages", "batches"]) => Route::BatchCreate,
        ("GET", ["v1", "messages", "batches"])
        | ("GET", ["v1", "messages", "batches", _]) => Route::BatchRead,
        ("POST", ["v1", "messages", "batches", _, "cancel"]) => {
            Route::BatchRead
        }
        ("GET", ["v1", "messages", "batches", _, "results"]) => {
            Route::BatchResults
        }
        ("DELETE", ["v1", "messages", "batches", _]) => Route::BatchOther,
        ("GET", ["v1", "models"]) | ("GET", ["v1", "models", _]) => {
            Route::Models
        }
        ("POST", ["v1", "chat", "completions"]) => Route::Chat,
        ("GET", ["hush", "reviews", _]) => Route::Review,
        _ => return None,
    })
}

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
];

/// The client's credential: `x-api-key` (preferred, as the API does) or a
/// bearer token.
fn credential(h: &HeaderMap) -> Option<&[u8]> {
    if let Some(k) = h.get("x-api-key") {
        return Some(k.as_bytes());
    }
    h.get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::as_bytes)
}

/// The scope of a request: the client's own scope (a keyed hash of its
/// credential, or `default` without one), and within it the
/// `x-hush-scope` name if given. A client can never name another
/// client's scope, so it can never have another client's pseudonyms
/// restored.
fn scope_name(
    shared: &Shared,
    h: &HeaderMap,
    key: Option<&Authorized>,
) -> Result<String, ApiError> {
    // With client keys, the scope follows the key's name, so a rotated
    // key keeps its client's pseudonyms.
    let client = match (key, credential(h)) {
        (Some(k), _) => shared
            .red
            .vault()
            .client_scope(format!("hush-key:{}", k.name).as_bytes()),
        (None, Some(c)) => shared.red.vault().client_scope(c),
        (None, None) => "default".to_string(),
    };
    let Some(s) = h.get("x-hush-scope") else { return Ok(client) };
    let s = s.to_str().map_err(|_| {
        ApiError::invalid_request("x-hush-scope must be visible ASCII")
    })?;
    if s.is_empty() || s.len() > 128 {
        return Err(ApiError::invalid_request(
            "x-hush-scope must be 1 to 128 characters",
        ));
    }
    Ok(format!("{client}/{s}"))
}

fn upstream_headers(
    shared: &Shared,
    h: &HeaderMap,
) -> reqwest::header::HeaderMap {
    let mut out = reqwest::header::HeaderMap::new();
    for (k, v) in h {
        let name = k.as_str();
        if HOP_BY_HOP.contains(&name) || name.starts_with("x-hush-") {
            continue;
        }
        if shared.cfg.upstream_key.is_some()
            && (name == "x-api-key" || name == "authorization")
        {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            reqwest::header::HeaderName::from_bytes(k.as_ref()),
            reqwest::header::HeaderValue::from_bytes(v.as_bytes()),
        ) {
            out.append(n, v);
        }
    }
    if let Some(v) = shared.cfg.upstream_key.as_ref().and_then(|k| k.header())
    {
        out.insert("x-api-key", v);
    }
    out
}

fn copy_response_headers(
    from: &reqwest::header::HeaderMap,
    to: &mut HeaderMap,
    body_changes: bool,
) {
    for (k, v) in from {
        let name = k.as_str();
        if HOP_BY_HOP.contains(&name) {
            continue;
        }
        if body_changes && name == "content-encoding" {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(k.as_ref()),
            HeaderValue::from_bytes(v.as_bytes()),
        ) {
            to.append(n, v);
        }
    }
}

/// Request ids: `hush_` then the start time in milliseconds and a
/// counter, in hex, so ids sort by time and never repeat in a process.
struct RequestIds {
    base: u64,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> RequestIds {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        RequestIds { base: ms, next: AtomicU64::new(0) }
    }

    fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("hush_{:012x}{:08x}", self.base, n)
    }
}

/// How much of a streamed answer a call record keeps.
const MAX_RECORDED_RESPONSE: usize = 4 << 20;

/// What the proxy learns of one call, from the request to the end of
/// the answer: what the audit log records and the metrics count. Only
/// what crossed the boundary is kept (bodies with pseudonyms in them),
/// never an original value.
#[derive(Debug, Default)]
struct Call {
    id: String,
    started: Option<Instant>,
    method: String,
    endpoint: &'static str,
    key_id: Option<String>,
    user_id: Option<String>,
    model: Option<String>,
    /// The sanitised request body as sent upstream: always text that
    /// `serde_json` wrote, which the audit record takes without parsing
    /// it again (`RecordBody::from_serialized_json`).
    request: Option<Bytes>,
    /// The answer as it came from upstream (before restoration).
    response: Vec<u8>,
    response_truncated: bool,
    response_is_sse: bool,
    entities: BTreeMap<&'static str, u64>,
    restored: u64,
    decisions: Vec<String>,
    status: u16,
    retries: u32,
    error: Option<&'static str>,
    upstream_request_id: Option<String>,
    /// Tokens reserved by the rate limiter, settled from `usage`.
    reservation: Option<Reservation>,
    /// The answer-cache key, when answers to this request are cached.
    cache_key: Option<[u8; 32]>,
    /// Injection screening's action, when the prompt was flagged.
    flagged: Option<&'static str>,
    /// The upstream (and every fallback) was down for this call.
    upstream_failed: bool,
    /// Time spent waiting on the upstream: its calls (retries and
    /// fallbacks included) and, for a whole answer, reading its body.
    upstream_wait: Duration,
}

impl Call {
    fn keep_response(&mut self, bytes: &[u8]) {
        let room = MAX_RECORDED_RESPONSE.saturating_sub(self.response.len());
        if bytes.len() > room {
            self.response_truncated = true;
        }
        self.response.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn latency(&self) -> Duration {
        self.started.map_or(Duration::ZERO, |t| t.elapsed())
    }
}

/// Ends a call: counts it, and (with an audit log) records it. An error
/// means the record could not be kept, and the caller fails the request.
async fn finish_call(shared: &Shared, mut call: Call) -> Result<(), ApiError> {
    let fresh = call.status == 200
        && !call.decisions.iter().any(|d| d.starts_with("fallback:"));
    // What the answer holds, when something needs it: its usage settles
    // the rate-limit reservation and goes into the audit record; a fresh
    // complete answer fills the cache. A streamed answer is folded into
    // its message (which the record keeps); a JSON answer is parsed into
    // a tree only for the cache, since the record keeps its text.
    let wants_cache = fresh && call.cache_key.is_some();
    let needs_usage = shared.cfg.audit.is_some() || call.reservation.is_some();
    let (answer, usage) =
        if call.response_truncated || !(wants_cache || needs_usage) {
            (None, None)
        } else if call.response_is_sse || wants_cache {
            let answer = if call.response_is_sse {
                message_from_sse(&call.response)
            } else {
                serde_json::from_slice::<Value>(&call.response).ok()
            };
            let usage = answer.as_ref().and_then(|a| a.get("usage").cloned());
            (answer, usage)
        } else {
            (None, usage_of(&call.response))
        };
    let usage = usage.filter(|_| call.status < 300);
    if let (Some(r), Some(limiter)) =
        (call.reservation.take(), &shared.cfg.limiter)
    {
        let settled = match &usage {
            Some(u) => {
                let n =
                    |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
                Some((
                    n("input_tokens")
                        + n("cache_creation_input_tokens")
                        + n("cache_read_input_tokens"),
                    n("output_tokens"),
                ))
            }
            // Refused or failed upstream: nothing was generated.
            None if call.status >= 400 => Some((0, 0)),
            // Unknown (a cut stream): the reservation stays charged.
            None => None,
        };
        if let Some((i, o)) = settled {
            if let Err(e) = limiter.settle(r, i, o).await {
                tracing::warn!("settling a rate-limit reservation: {e}");
            }
        }
    }
    if let (true, Some(key), Some(cache), Some(a)) =
        (fresh, call.cache_key, &shared.cache, &answer)
    {
        if a.get("stop_reason").is_some_and(|s| !s.is_null()) {
            cache.put(key, a.clone());
        }
    }
    let latency = call.latency();
    if let Some(m) = &shared.monitor {
        m.observe(Observation {
            status: call.status,
            upstream_failed: call.upstream_failed,
            prompt_bytes: call.request.as_ref().map_or(0, |b| b.len() as u64),
            flagged: call.flagged.is_some(),
        });
    }
    shared.metrics.request(call.endpoint, call.status, latency);
    if let Some(log) = &shared.cfg.audit {
        let rec = call_record(&call, answer, usage, latency);
        if let Err(e) = log.append(rec).await {
            tracing::error!(id = %call.id, "audit record not kept: {e}");
            shared.metrics.refused("audit_unavailable");
            return Err(ApiError::new(
                500,
                "api_error",
                "hush could not keep the audit record of this call, so the answer is withheld",
            ));
        }
    }
    for (kind, n) in &call.entities {
        shared.metrics.entities(kind, *n);
    }
    shared.metrics.restored(call.restored);
    // What hush itself added, its audit record included: whole answers
    // only (a stream's time is the model's pace).
    if !call.upstream_wait.is_zero() && !call.response_is_sse {
        shared
            .metrics
            .overhead(call.latency().saturating_sub(call.upstream_wait));
    }
    // Upstream errors are counted once per failed attempt where they
    // happen (`with_retries`); what is left here is the proxy's own
    // refusals.
    if let Some(kind) = call.error {
        if call.status < 500 || call.request.is_none() {
            shared.metrics.refused(kind);
        }
    }
    // The access log line: ids, counts and outcomes only (no model name
    // or other client-chosen text, no body, no key).
    tracing::info!(
        id = %call.id,
        key_id = call.key_id.as_deref().unwrap_or("-"),
        method = %call.method,
        endpoint = call.endpoint,
        status = call.status,
        error = call.error.unwrap_or("-"),
        retries = call.retries,
        entities = call.entities.values().sum::<u64>(),
        restored = call.restored,
        decisions = %call.decisions.join(","),
        latency_ms = latency.as_secs_f64() * 1e3,
        "call finished"
    );
    Ok(())
}

/// Screens what users wrote (user turns: text, text blocks and tool
/// results; system prompts are the operator's and are not screened) for
/// prompt injection, before redaction. A hit is flagged (audit and the
/// `x-hush-injection` header), flagged with the hidden characters
/// stripped from every user text, or blocked with a 400 before anything
/// is sent.
fn screen_request(
    shared: &Shared,
    call: &mut Call,
    screener: &Screener,
    policy: &ScreenPolicy,
    body: &mut Value,
) -> Result<(), ApiError> {
    let mut texts: Vec<&mut String> = Vec::new();
    let mut msgs: Vec<&mut Value> = Vec::new();
    if body.get("requests").is_some() {
        for r in body
            .get_mut("requests")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(m) = r.pointer_mut("/params/messages") {
                msgs.push(m);
            }
        }
    } else if let Some(m) = body.get_mut("messages") {
        msgs.push(m);
    }
    for m in msgs {
        for turn in m.as_array_mut().into_iter().flatten() {
            if turn.get("role").and_then(Value::as_str) != Some("user") {
                continue;
            }
            user_texts(turn.get_mut("content"), &mut texts);
        }
    }
    let mut worst: Option<(ScreenAction, Vec<&'static str>)> = None;
    for t in &texts {
        let s = screener.screen(t);
        if let Some(action) = policy.decide(&s) {
            let cats: Vec<&'static str> =
                s.categories().iter().map(|c| c.as_str()).collect();
            let rank = |a: ScreenAction| match a {
                ScreenAction::Flag => 0,
                ScreenAction::Strip => 1,
                ScreenAction::Block => 2,
            };
            match &mut worst {
                Some((a, c)) => {
                    if rank(action) > rank(*a) {
                        *a = action;
                    }
                    for x in cats {
                        if !c.contains(&x) {
                            c.push(x);
                        }
                    }
                }
                None => worst = Some((action, cats)),
            }
        }
    }
    let Some((action, cats)) = worst else { return Ok(()) };
    shared.metrics.injection(action.as_str());
    call.decisions.push(format!(
        "injection:{}:{}",
        action.as_str(),
        cats.join("+")
    ));
    match action {
        ScreenAction::Block => {
            return Err(ApiError::invalid_request(format!(
                "hush blocked this request: the prompt looks like a prompt injection ({})",
                cats.join(", ")
            )))
        }
        ScreenAction::Strip => {
            for t in texts {
                if let Some(clean) = hush_screen::strip_hidden(t) {
                    *t = clean;
                }
            }
        }
        ScreenAction::Flag => {}
    }
    call.flagged = Some(action.as_str());
    Ok(())
}

/// The text a user turn's content carries: a string, text blocks, and
/// tool results (string or text blocks) where documents come back.
fn user_texts<'a>(
    content: Option<&'a mut Value>,
    out: &mut Vec<&'a mut String>,
) {
    match content {
        Some(Value::String(s)) => out.push(s),
        Some(Value::Array(blocks)) => {
            for b in blocks {
                let Some(o) = b.as_object_mut() else { continue };
                match o.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        if let Some(Value::String(s)) = o.get_mut("text") {
                            out.push(s);
                        }
                    }
                    Some("tool_result") => {
                        user_texts(o.get_mut("content"), out)
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// The upstream probe: `GET /v1/models` with the proxy's key. Any answer
/// below 500 (401 included: the server is there) counts as reachable.
async fn probe(shared: &Shared) -> bool {
    let url = format!("{}/v1/models", shared.cfg.upstream);
    let mut req = shared
        .http
        .get(&url)
        .header("anthropic-version", crate::DEFAULT_VERSION)
        .timeout(Duration::from_secs(10));
    if let Some(v) = shared.cfg.upstream_key.as_ref().and_then(|k| k.header())
    {
        req = req.header("x-api-key", v);
    }
    match req.send().await {
        Ok(r) => r.status().as_u16() < 500,
        Err(_) => false,
    }
}

/// A JSON answer hush gives itself.
fn json(status: StatusCode, v: &Value) -> Response {
    let mut r = (status, v.to_string()).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// `x-hush-fallback: <kind>` when the answer came from a fallback.
fn mark_fallback(call: &Call, h: &mut HeaderMap) {
    let taken =
        call.decisions.iter().rev().find_map(|d| d.strip_prefix("fallback:"));
    if let Some(v) = taken.and_then(|k| HeaderValue::from_str(k).ok()) {
        h.insert("x-hush-fallback", v);
    }
}

/// The client's credential as the key ring reads it (empty when absent
/// or not UTF-8, which no key matches).
fn presented_key(h: &HeaderMap) -> &str {
    credential(h).and_then(|c| std::str::from_utf8(c).ok()).unwrap_or("")
}

/// A client-key refusal in the API's shape (401 or 403; the message
/// names no secret).
fn denied(d: &Denied) -> ApiError {
    ApiError::new(d.status, d.kind, d.message.clone())
}

/// What a request may cost, for the rate limiter: estimated input
/// tokens, `max_tokens`, and whether the client asked for a stream.
#[derive(Debug, Default)]
struct Tokens {
    input: u64,
    max_output: u64,
    stream: bool,
}

/// Rate limits, before anything is sent: the client's and the global
/// buckets for requests, input and output tokens. Over a limit: 429 with
/// `retry-after`. A limiter that cannot decide (Redis down, failing
/// closed): 503, nothing sent.
async fn admit(
    shared: &Shared,
    call: &mut Call,
    route: Route,
    tokens: &Tokens,
    key_rpm: Option<u32>,
) -> Result<(), ApiError> {
    let Some(limiter) = &shared.cfg.limiter else { return Ok(()) };
    let (input, output) = match route {
        Route::Messages | Route::Chat => (tokens.input, tokens.max_output),
        _ => (0, 0),
    };
    let key = call.key_id.clone().unwrap_or_default();
    let mut limits = shared.cfg.client_limits;
    if key_rpm.is_some() {
        limits.rpm = key_rpm;
    }
    match limiter.admit(&key, &limits, input, output).await {
        Ok(Admission::Admitted(r)) => {
            call.reservation = Some(r);
            Ok(())
        }
        Ok(Admission::Rejected { retry_after, dimension, scope }) => {
            shared.metrics.rate_limited(dimension.as_str(), scope.as_str());
            call.decisions.push(format!(
                "rate_limited:{}:{}",
                scope.as_str(),
                dimension.as_str()
            ));
            Err(ApiError::rate_limited(
                format!(
                    "hush: the {} limit on {} is reached; retry later",
                    scope.as_str(),
                    dimension.as_str().replace('_', " ")
                ),
                retry_after,
            ))
        }
        Err(e) => {
            tracing::error!("rate limiter unavailable: {e}");
            call.decisions.push("rate_limiter_unavailable".into());
            Err(ApiError::new(
                503,
                "api_error",
                "hush cannot check rate limits right now, so nothing was sent upstream",
            ))
        }
    }
}

/// Where an upstream call goes, apart from the base URL and body.
struct Target {
    method: reqwest::Method,
    path_query: String,
    headers: reqwest::header::HeaderMap,
}

/// The answer to pass on: an upstream response, or a whole `Message`
/// from a cache or static fallback (sanitised, to be restored).
enum Answer {
    Upstream(reqwest::Response),
    Message(Value),
}

fn breaker_for(shared: &Shared, base: &str) -> Arc<CircuitBreaker> {
    let mut m = shared.breakers.lock().unwrap_or_else(|p| p.into_inner());
    m.entry(base.to_string())
        .or_insert_with(|| Arc::new(CircuitBreaker::new(shared.cfg.breaker)))
        .clone()
}

/// A uniform number in [0, 1) for backoff jitter (splitmix64; jitter
/// needs spread, not secrecy).
fn jitter(shared: &Shared) -> f64 {
    use crate::splitmix::{unit, STEP};
    unit(shared.jitter.fetch_add(STEP, Ordering::Relaxed).wrapping_add(STEP))
}

/// One upstream, with retries: exponential backoff with full jitter,
/// honouring `retry-after(-ms)`, bounded by attempts and a deadline, and
/// never once a stream has started (the decision is taken on the status,
/// before any of the body goes to the client). The upstream's circuit
/// breaker is asked before each attempt. Returns the last response (a
/// failure status included) or the last error.
async fn with_retries(
    shared: &Shared,
    call: &mut Call,
    base: &str,
    key: Option<&str>,
    target: &Target,
    body: Option<&Bytes>,
) -> Result<reqwest::Response, ApiError> {
    let breaker = breaker_for(shared, base);
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let permit = match breaker.allow() {
            Ok(p) => p,
            Err(open) => {
                shared.metrics.upstream_error("circuit_open");
                call.decisions.push(format!("circuit_open:{base}"));
                return Err(ApiError::new(
                    529,
                    "overloaded_error",
                    format!("hush: {open}"),
                )
                .with_retry_after(open.retry_in));
            }
        };
        let mut headers = target.headers.clone();
        if body.is_some() {
            // Set once below (the builder appends, which would send two).
            headers.remove("content-type");
        }
        if let Some(k) = key {
            if let Ok(mut v) = reqwest::header::HeaderValue::from_str(k) {
                v.set_sensitive(true);
                headers.remove("authorization");
                headers.insert("x-api-key", v);
            }
        }
        let url = format!("{base}{}", target.path_query);
        let mut up =
            shared.http.request(target.method.clone(), &url).headers(headers);
        if let Some(b) = body {
            up = up.header("content-type", "application/json").body(b.clone());
        }
        let sent =
            tokio::time::timeout(shared.cfg.header_timeout, up.send()).await;
        let (outcome, result) = match sent {
            Ok(Ok(resp)) => {
                let code = resp.status().as_u16();
                let retry_after =
                    hush_guard::parse_retry_after(resp.headers());
                (Outcome::Status { code, retry_after }, Ok(resp))
            }
            Ok(Err(e)) => {
                let o = if e.is_timeout() {
                    Outcome::Timeout
                } else {
                    Outcome::ConnectError
                };
                (o, Err(ApiError::upstream(without_url(&e))))
            }
            Err(_) => (
                Outcome::Timeout,
                Err(ApiError::new(
                    504,
                    "api_error",
                    "hush: the upstream did not answer in time",
                )),
            ),
        };
        breaker.record(permit, !outcome.is_upstream_failure());
        let failed = match &outcome {
            Outcome::Status { code, .. } => {
                RetryPolicy::retryable_status(*code)
            }
            _ => true,
        };
        match &outcome {
            Outcome::Status { code, .. } if *code < 400 => {}
            Outcome::Status { code, .. } => {
                shared.metrics.upstream_error(&code.to_string())
            }
            Outcome::Timeout => shared.metrics.upstream_error("timeout"),
            _ => shared.metrics.upstream_error("connect"),
        }
        if !failed {
            return result;
        }
        match shared.cfg.retry.decide(
            attempt,
            started.elapsed(),
            &outcome,
            &mut || jitter(shared),
        ) {
            RetryDecision::RetryAfter(wait) => {
                attempt += 1;
                call.retries += 1;
                shared.metrics.retry();
                tracing::debug!(id = %call.id, attempt, wait_ms = wait.as_millis() as u64, "retrying upstream");
                tokio::time::sleep(wait).await;
            }
            RetryDecision::GiveUp(why) => {
                tracing::debug!(id = %call.id, why, "upstream failed");
                return result;
            }
        }
    }
}

/// Whether an upstream result should make the proxy try its fallbacks:
/// the upstream is down or overloaded (429, 529, 5xx, no connection,
/// circuit open), not a refusal of the request itself.
fn is_down(r: &Result<reqwest::Response, ApiError>) -> bool {
    match r {
        Ok(resp) => RetryPolicy::retryable_status(resp.status().as_u16()),
        Err(_) => true,
    }
}

/// The primary upstream with retries, then the route's fallbacks in
/// order. When every step fails, the primary's own failure goes back to
/// the client unchanged.
async fn call_upstream(
    shared: &Shared,
    call: &mut Call,
    target: &Target,
    body: Option<Bytes>,
    plan: &[Fallback],
) -> Result<Answer, ApiError> {
    let primary = shared.cfg.upstream_key.as_ref().map(|k| k.current());
    let primary_key = primary.as_ref().map(|k| k.expose());
    let first = with_retries(
        shared,
        call,
        &shared.cfg.upstream,
        primary_key,
        target,
        body.as_ref(),
    )
    .await;
    if !is_down(&first) {
        return first.map(Answer::Upstream);
    }
    call.upstream_failed = true;
    if plan.is_empty() {
        return first.map(Answer::Upstream);
    }
    let with_model = |model: &str| -> Option<Bytes> {
        let mut v: Value = serde_json::from_slice(body.as_ref()?).ok()?;
        v.as_object_mut()?
            .insert("model".into(), Value::String(model.to_string()));
        serde_json::to_vec(&v).ok().map(Bytes::from)
    };
    for f in plan {
        let taken = |call: &mut Call| {
            shared.metrics.fallback(f.kind());
            call.decisions.push(format!("fallback:{}", f.kind()));
        };
        match f {
            Fallback::Model { model } => {
                let Some(b) = with_model(model) else { continue };
                taken(call);
                let r = with_retries(
                    shared,
                    call,
                    &shared.cfg.upstream,
                    primary_key,
                    target,
                    Some(&b),
                )
                .await;
                if !is_down(&r) {
                    call.request = Some(b);
                    call.upstream_failed = false;
                    return r.map(Answer::Upstream);
                }
            }
            Fallback::Upstream { url, key_env, model } => {
                let Ok(cfg) = ProxyConfig::new(url) else { continue };
                let key = key_env.as_ref().and_then(|k| std::env::var(k).ok());
                let b = match model {
                    Some(m) => with_model(m),
                    None => body.clone(),
                };
                taken(call);
                let r = with_retries(
                    shared,
                    call,
                    cfg.upstream(),
                    key.as_deref().or(primary_key),
                    target,
                    b.as_ref(),
                )
                .await;
                if !is_down(&r) {
                    if let Some(b) = b {
                        call.request = Some(b);
                    }
                    call.upstream_failed = false;
                    return r.map(Answer::Upstream);
                }
            }
            Fallback::Bedrock { .. } | Fallback::Vertex { .. } => {
                // Messages only: the clouds serve no other endpoint.
                let Some(b) = body.as_ref() else { continue };
                if call.endpoint != Route::Messages.endpoint() {
                    continue;
                }
                let answer =
                    cloud_fallback::try_cloud(shared, call, f, b).await;
                if let Some(a) = answer {
                    call.upstream_failed = false;
                    return Ok(a);
                }
            }
            Fallback::Cache => {
                let hit = call
                    .cache_key
                    .as_ref()
                    .and_then(|k| shared.cache.as_ref()?.get(k));
                if let Some(m) = hit {
                    taken(call);
                    return Ok(Answer::Message(m));
                }
            }
            Fallback::Static { text } => {
                if call.endpoint == Route::Messages.endpoint() {
                    taken(call);
                    return Ok(Answer::Message(static_message(
                        text,
                        call.model.as_deref(),
                    )));
                }
            }
            Fallback::Disabled { .. } => {
                taken(call);
                return Err(ApiError::new(
                    503,
                    "api_error",
                    f.disabled_message().unwrap_or_default(),
                ));
            }
        }
    }
    first.map(Answer::Upstream)
}

/// Serves a whole `Message` (from the cache or a static answer): masked
/// and restored like an upstream answer, as JSON or, when the client
/// asked for a stream, as the SSE events of that message.
fn serve_message(
    shared: &Shared,
    call: &mut Call,
    red: &Redactor,
    masker: Option<&Redactor>,
    msg: Value,
    stream: bool,
) -> Result<Response, ApiError> {
    call.status = 200;
    let (body, content_type) = if stream {
        let wire = sse_from_message(&msg);
        call.keep_response(&wire);
        call.response_is_sse = true;
        let mut r = MessageStreamRestorer::new(red);
        if let Some(m) = masker {
            r = r.with_masker(m);
        }
        let mut out = Vec::new();
        r.push(&wire, &mut out)?;
        r.finish(&mut out)?;
        call.restored = r.restored();
        (out, "text/event-stream")
    } else {
        let mut v = msg;
        call.keep_response(v.to_string().as_bytes());
        if let Some(m) = masker {
            mask_response(m, ResponseShape::Message, &mut v)?;
        }
        call.restored = restore_response(red, ResponseShape::Message, &mut v)?;
        (
            serde_json::to_vec(&v)
                .map_err(|e| ApiError::upstream(e.to_string()))?,
            "application/json",
        )
    };
    shared.stats.restored.fetch_add(call.restored, Ordering::Relaxed);
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    mark_fallback(call, r.headers_mut());
    Ok(r)
}

/// A held answer for its client: pending (202), withheld (403) or
/// restored in the client's scope (200).
fn held_answer(
    shared: &Shared,
    red: &Redactor,
    scope: &str,
    id: &str,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::new(404, "not_found_error", "no held answer with that id")
    };
    let store = shared.reviews.as_ref().ok_or_else(not_found)?;
    let item = match store.get(id) {
        Ok(i) => i,
        Err(
            crate::review::ReviewError::NotFound(_)
            | crate::review::ReviewError::BadId,
        ) => return Err(not_found()),
        Err(e) => {
            tracing::error!("reading a held answer: {e}");
            return Err(ApiError::new(
                500,
                "api_error",
                "hush could not read the held answer",
            ));
        }
    };
    // Another client's answer does not exist, as far as this one knows.
    if item.scope != scope {
        return Err(not_found());
    }
    match item.status {
        ReviewStatus::Pending => Ok(json(
            StatusCode::ACCEPTED,
            &serde_json::json!({"type": "review_pending", "id": item.id, "status": "pending"}),
        )),
        ReviewStatus::Rejected => Err(ApiError::new(
            403,
            "permission_error",
            "a reviewer withheld this answer",
        )),
        ReviewStatus::Approved => {
            let mut v = item.answer;
            let shape = if item.endpoint == "/v1/chat/completions" {
                ResponseShape::ChatCompletion
            } else {
                ResponseShape::Message
            };
            if let Some(m) = &shared.masker {
                mask_response(&m.clone().with_scope(scope), shape, &mut v)?;
            }
            let n = restore_response(red, shape, &mut v)?;
            shared.stats.restored.fetch_add(n, Ordering::Relaxed);
            Ok(json(StatusCode::OK, &v))
        }
    }
}

/// Reads and compiles a route's JSON Schema.
fn load_schema(
    path: &std::path::Path,
) -> Result<jsonschema::Validator, ApiError> {
    let text = std::fs::read(path).map_err(|e| {
        ApiError::invalid_request(format!("{}: {e}", path.display()))
    })?;
    let schema: Value = serde_json::from_slice(&text).map_err(|e| {
        ApiError::invalid_request(format!("{}: not JSON: {e}", path.display()))
    })?;
    jsonschema::validator_for(&schema).map_err(|e| {
        ApiError::invalid_request(format!(
            "{}: not a JSON Schema: {e}",
            path.display()
        ))
    })
}

/// The JSON an answer carries: its text blocks joined (a Messages
/// answer) or its first choice's content (chat completions), without a
/// Markdown code fence around it.
fn answer_json(v: &Value) -> Option<Value> {
    let mut text = String::new();
    if let Some(blocks) = v.get("content").and_then(Value::as_array) {
        for b in blocks {
            if b.get("type").and_then(Value::as_str) == Some("text") {
                text.push_str(
                    b.get("text").and_then(Value::as_str).unwrap_or(""),
                );
            }
        }
    } else if let Some(c) =
        v.pointer("/choices/0/message/content").and_then(Value::as_str)
    {
        text.push_str(c);
    }
    let t = text.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .and_then(|r| r.trim_end().strip_suffix("```"))
        .unwrap_or(t);
    serde_json::from_str(t.trim()).ok()
}

/// The `usage` object of a JSON answer, read without building a tree of
/// the rest (the content is skipped, not copied).
fn usage_of(answer: &[u8]) -> Option<Value> {
    #[derive(serde::Deserialize)]
    struct UsageOnly {
        #[serde(default)]
        usage: Option<Value>,
    }
    serde_json::from_slice::<UsageOnly>(answer).ok()?.usage
}

/// Whether an answer satisfies a schema (an answer that is not JSON does
/// not).
fn answer_fits(schema: &jsonschema::Validator, v: &Value) -> bool {
    answer_json(v).is_some_and(|j| schema.is_valid(&j))
}

/// The audit record of a call: what crossed the boundary (bodies with
/// pseudonyms, never an original value), counts, decisions, usage,
/// timing and outcome.
///
/// Bodies are recorded as the JSON text that crossed the boundary, not
/// parsed into a tree and written again: the request as hush serialised
/// it ([`RecordBody::from_serialized_json`], not parsed a second time),
/// the answer checked ([`RecordBody::from_json_bytes`]); a streamed
/// answer as its folded message; a cut or unfolded one as a string of its
/// text.
fn call_record(
    call: &Call,
    answer: Option<Value>,
    usage: Option<Value>,
    latency: Duration,
) -> CallRecord {
    let text = |b: &[u8]| {
        RecordBody::Value(Value::String(
            String::from_utf8_lossy(b).into_owned(),
        ))
    };
    let request = call
        .request
        .as_ref()
        .filter(|b| !b.is_empty())
        .map(|b| RecordBody::from_serialized_json(b));
    let response = if call.response.is_empty() {
        None
    } else if call.response_truncated {
        Some(text(&call.response))
    } else if call.response_is_sse {
        Some(answer.map_or_else(|| text(&call.response), RecordBody::Value))
    } else {
        Some(RecordBody::from_json_bytes(&call.response))
    };
    CallRecord {
        request_id: call.id.clone(),
        upstream_request_id: call.upstream_request_id.clone(),
        key_id: call.key_id.clone(),
        user_id: call.user_id.clone(),
        method: call.method.clone(),
        endpoint: call.endpoint.to_string(),
        model: call.model.clone(),
        request,
        response,
        response_truncated: call.response_truncated,
        entities: call
            .entities
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        restored: call.restored,
        decisions: call.decisions.clone(),
        usage,
        latency_ms: latency.as_secs_f64() * 1e3,
        status: call.status,
        retries: call.retries,
        error: call.error.map(str::to_string),
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    if let Some(r) = own_endpoint(&shared, &req) {
        return r;
    }
    shared.stats.requests.fetch_add(1, Ordering::Relaxed);
    shared.metrics.start();
    let mut call = Call {
        id: shared.ids.next(),
        started: Some(Instant::now()),
        method: req.method().to_string(),
        ..Call::default()
    };
    let id = call.id.clone();
    let result = handle_inner(&shared, req, &mut call).await;
    let flagged = call.flagged;
    let mut response = match result {
        Ok(r) => r,
        Err(e) => {
            shared.stats.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                id = %call.id,
                status = e.status(),
                kind = e.kind(),
                "request refused: {}",
                e.message()
            );
            call.status = e.status();
            call.error = Some(e.kind());
            error_response(&e)
        }
    };
    // A streamed answer finishes its call when the stream ends.
    if call.started.is_some() {
        if let Err(e) = finish_call(&shared, call).await {
            response = error_response(&e);
        }
        shared.metrics.end();
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-hush-request-id", v);
    }
    if let Some(a) = flagged {
        response
            .headers_mut()
            .insert("x-hush-injection", HeaderValue::from_static(a));
    }
    response
}

/// hush's own endpoints: `/healthz` (the process serves), `/readyz` (the
/// vault takes writes, the audit writer runs, the upstream answered the
/// last probe) and `/metrics` (Prometheus text). They are
/// answered here and never forwarded.
fn own_endpoint(shared: &Arc<Shared>, req: &Request) -> Option<Response> {
    if req.method() != Method::GET {
        return None;
    }
    match req.uri().path() {
        "/healthz" => {
            Some(json(StatusCode::OK, &serde_json::json!({"status": "ok"})))
        }
        "/readyz" => {
            let vault = shared.red.vault().flush().is_ok();
            let upstream = match shared.upstream_state.load(Ordering::Relaxed)
            {
                1 => Some(true),
                2 => Some(false),
                _ => None,
            };
            let audit = shared.cfg.audit.as_ref().map(|a| a.is_writing());
            let ready =
                vault && upstream != Some(false) && audit != Some(false);
            let status = if ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            Some(json(
                status,
                &serde_json::json!({
                    "status": if ready { "ready" } else { "not ready" },
                    "checks": {"vault": vault, "upstream": upstream, "audit": audit},
                }),
            ))
        }
        "/metrics" => {
            let mut r =
                (StatusCode::OK, shared.metrics.render()).into_response();
            r.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            Some(r)
        }
        _ => None,
    }
}

async fn handle_inner(
    shared: &Arc<Shared>,
    req: Request,
    call: &mut Call,
) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let Some(route) = route(&parts.method, &path) else {
        call.endpoint = "unknown";
        return Err(ApiError::new(
            404,
            "not_found_error",
            format!("hush proxy does not serve {} {path}", parts.method),
        ));
    };
    call.endpoint = route.endpoint();
    // Client keys: an unknown, revoked or expired key gets a 401 before
    // the body is even read; the model and max_tokens are checked (403)
    // once it is parsed.
    let key = match &shared.cfg.keys {
        Some(ring) => {
            match ring.authorize(
                presented_key(&parts.headers),
                &RequestFacts::default(),
            ) {
                Ok(a) => Some(a),
                Err(d) => {
                    call.key_id = d.key_id.clone();
                    return Err(denied(&d));
                }
            }
        }
        None => None,
    };
    let scope = scope_name(shared, &parts.headers, key.as_ref())?;
    call.key_id = match &key {
        Some(k) => Some(k.key_id.clone()),
        None => Some(scope.split('/').next().unwrap_or_default().to_string()),
    };
    let red = shared.red.clone().with_scope(&scope);
    if route == Route::Review {
        let id = path.rsplit('/').next().unwrap_or_default();
        return held_answer(shared, &red, &scope, id);
    }
    let masker = shared.masker.clone().map(|m| m.with_scope(&scope));
    let query = parts.uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let headers = upstream_headers(shared, &parts.headers);

    let (endpoint, limit) = match route {
        Route::Messages | Route::CountTokens => {
            (Some(Endpoint::Messages), shared.cfg.max_body)
        }
        Route::BatchCreate => {
            (Some(Endpoint::Batch), shared.cfg.max_batch_body)
        }
        Route::Chat => (Some(Endpoint::ChatCompletions), shared.cfg.max_body),
        _ => (None, shared.cfg.max_body),
    };
    let mut policy: Option<usize> = None;
    let mut tokens = Tokens::default();
    let upstream_body: Option<Bytes> = match endpoint {
        Some(ep) => {
            let bytes = axum::body::to_bytes(body, limit)
                .await
                .map_err(|_| ApiError::too_large(limit))?;
            let mut v: Value =
                serde_json::from_slice(&bytes).map_err(|e| {
                    ApiError::invalid_request(format!(
                        "request body is not valid JSON: {e}"
                    ))
                })?;
            validate_request(route.shape(), &v)?;
            if let (Some(ring), Some(_)) = (&shared.cfg.keys, &key) {
                let presented = presented_key(&parts.headers);
                let facts = RequestFacts {
                    model: v.get("model").and_then(Value::as_str),
                    max_tokens: v.get("max_tokens").and_then(Value::as_u64),
                };
                ring.authorize(presented, &facts).map_err(|d| denied(&d))?;
            }
            if let Some((screener, policy)) = &shared.cfg.screening {
                screen_request(shared, call, screener, policy, &mut v)?;
            }
            call.model =
                v.get("model").and_then(Value::as_str).map(str::to_string);
            policy =
                shared.cfg.routes.iter().position(|r| {
                    r.matches(call.model.as_deref().unwrap_or(""))
                });
            let done = redact_request(&red, ep, &mut v, shared.cfg.media)?;
            // metadata.user_id is redacted like any text: what is kept is
            // what went upstream.
            call.user_id = v
                .pointer("/metadata/user_id")
                .and_then(Value::as_str)
                .map(str::to_string);
            shared
                .stats
                .redacted
                .fetch_add(done.report.findings, Ordering::Relaxed);
            shared.stats.media.fetch_add(done.media, Ordering::Relaxed);
            if done.media > 0 {
                call.decisions.push(format!("media_allowed:{}", done.media));
            }
            call.entities = done.report.kinds;
            tracing::debug!(
                id = %call.id,
                method = %parts.method,
                path = %path,
                redacted = done.report.findings,
                media = done.media,
                "request redacted"
            );
            tokens = Tokens {
                input: estimate_input_tokens(&v),
                max_output: v
                    .get("max_tokens")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
                stream: v
                    .get("stream")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            };
            if shared.cache.is_some() && route == Route::Messages {
                call.cache_key = Some(cache_key(&scope, call.endpoint, &v));
            }
            Some(Bytes::from(serde_json::to_vec(&v).map_err(|e| {
                ApiError::redaction_failed(format!("re-encoding: {e}"))
            })?))
        }
        None => None,
    };
    call.request = upstream_body.clone();

    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
        .map_err(|_| ApiError::invalid_request("unsupported method"))?;
    let key_rpm = key.as_ref().and_then(|k| k.rpm);
    admit(shared, call, route, &tokens, key_rpm).await?;
    let plan =
        policy.map_or(&[][..], |i| shared.cfg.routes[i].fallback.as_slice());
    let target =
        Target { method, path_query: format!("{path}{query}"), headers };
    let asked = Instant::now();
    let answer =
        call_upstream(shared, call, &target, upstream_body, plan).await;
    call.upstream_wait += asked.elapsed();
    let resp = match answer? {
        Answer::Upstream(resp) => resp,
        Answer::Message(msg) => {
            return serve_message(
                shared,
                call,
                &red,
                masker.as_ref(),
                msg,
                tokens.stream,
            )
        }
    };
    let status = resp.status();
    call.status = status.as_u16();
    call.upstream_request_id = resp
        .headers()
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_sse = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    call.response_is_sse = is_sse;

    // Errors, models and deletions pass through untouched.
    let restores = status.is_success()
        && !matches!(
            route,
            Route::Models | Route::BatchOther | Route::CountTokens
        );
    let mut out = Response::builder().status(status.as_u16());
    if let Some(h) = out.headers_mut() {
        copy_response_headers(resp.headers(), h, restores);
        mark_fallback(call, h);
    }
    let hold = policy.is_some_and(|i| shared.cfg.routes[i].hold_for_review)
        && matches!(route, Route::Messages | Route::Chat)
        && status.is_success();
    if hold {
        let bytes = read_answer(call, resp).await?;
        let answer = if is_sse {
            message_from_sse(&bytes)
        } else {
            serde_json::from_slice::<Value>(&bytes).ok()
        }
        .ok_or_else(|| {
            ApiError::upstream(
                "the answer to hold for review is not a message",
            )
        })?;
        let request: Value = call
            .request
            .as_ref()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let store = shared.reviews.as_ref().ok_or_else(|| {
            ApiError::redaction_failed("no review directory")
        })?;
        let item = store
            .hold(
                &call.id,
                &scope,
                call.model.as_deref(),
                call.endpoint,
                request,
                answer,
            )
            .map_err(|e| {
                tracing::error!("holding an answer for review: {e}");
                ApiError::new(
                    500,
                    "api_error",
                    "hush could not hold the answer for review",
                )
            })?;
        call.decisions.push(format!("held_for_review:{}", item.id));
        call.status = 202;
        let body = serde_json::json!({
            "type": "review_pending",
            "id": item.id,
            "status": "pending",
            "poll_url": format!("/hush/reviews/{}", item.id),
        });
        let mut r = (StatusCode::ACCEPTED, body.to_string()).into_response();
        r.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/json"),
        );
        return Ok(r);
    }
    if is_sse || route == Route::BatchResults {
        let ended = std::mem::take(call);
        call.flagged = ended.flagged;
        let restore = restores.then_some((red, masker));
        let body = if route == Route::BatchResults {
            restore_jsonl(shared.clone(), restore, resp, ended)
        } else {
            restore_sse(
                shared.clone(),
                restore,
                resp,
                route == Route::Chat,
                ended,
            )
        };
        return out.body(body).map_err(|e| ApiError::upstream(e.to_string()));
    }
    let bytes = read_answer(call, resp).await?;
    if !restores {
        return out
            .body(Body::from(bytes))
            .map_err(|e| ApiError::upstream(e.to_string()));
    }
    let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) else {
        // Not JSON: nothing hush can restore; pass it on.
        return out
            .body(Body::from(bytes))
            .map_err(|e| ApiError::upstream(e.to_string()));
    };
    let shape = match route {
        Route::Messages => Some(ResponseShape::Message),
        Route::Chat => Some(ResponseShape::ChatCompletion),
        Route::BatchCreate | Route::BatchRead => {
            rewrite_results_urls(shared, &parts.headers, &mut v);
            None
        }
        _ => None,
    };
    if let Some(shape) = shape {
        if let Some(m) = &masker {
            mask_response(m, shape, &mut v)?;
        }
        let n = restore_response(&red, shape, &mut v)?;
        shared.stats.restored.fetch_add(n, Ordering::Relaxed);
        call.restored = n;
        if let Some(i) = policy {
            if let Some(schema) = &shared.schemas[i] {
                if !answer_fits(schema, &v) {
                    call.decisions.push("answer_schema:invalid".into());
                    if shared.cfg.routes[i].on_schema_error
                        == SchemaAction::Block
                    {
                        return Err(ApiError::new(
                            502,
                            "api_error",
                            "the answer did not satisfy this route's JSON Schema, so hush withheld it",
                        ));
                    }
                    out = out.header("x-hush-answer-schema", "invalid");
                } else {
                    out = out.header("x-hush-answer-schema", "valid");
                }
            }
        }
    }
    let body = serde_json::to_vec(&v)
        .map_err(|e| ApiError::upstream(e.to_string()))?;
    out.body(Body::from(body)).map_err(|e| ApiError::upstream(e.to_string()))
}

/// Reads a whole upstream answer, counting the time as upstream wait,
/// and keeps it for the call's record.
async fn read_answer(
    call: &mut Call,
    resp: reqwest::Response,
) -> Result<Bytes, ApiError> {
    let read = Instant::now();
    let bytes = resp.bytes().await;
    call.upstream_wait += read.elapsed();
    let bytes = bytes.map_err(|e| ApiError::upstream(without_url(&e)))?;
    call.keep_response(&bytes);
    Ok(bytes)
}

/// A reqwest error without its URL (which could carry a query string).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.without_url_ref().to_string();
    let mut src = std::error::Error::source(e);
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let kind = if self.is_connect() {
            "connection failed"
        } else if self.is_timeout() {
            "timed out"
        } else if self.is_body() || self.is_decode() {
            "reading the body failed"
        } else {
            "request failed"
        };
        kind.to_string()
    }
}

fn rewrite_results_urls(shared: &Shared, h: &HeaderMap, v: &mut Value) {
    let base = match &shared.cfg.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => match h.get("host").and_then(|x| x.to_str().ok()) {
            Some(host) => format!("http://{host}"),
            None => return,
        },
    };
    let fix = |b: &mut Value| {
        if let Some(Value::String(u)) = b.get_mut("results_url") {
            if let Some(i) = u.find("/v1/") {
                *u = format!("{base}{}", &u[i..]);
            }
        }
    };
    match v.get_mut("data") {
        Some(Value::Array(items)) => items.iter_mut().for_each(fix),
        _ => fix(v),
    }
}

/// Streams an SSE answer: restored (and masked) when `restore` is given,
/// passed through as it came otherwise; the call ends with the stream.
fn restore_sse(
    shared: Arc<Shared>,
    restore: Option<(Redactor, Option<Redactor>)>,
    resp: reqwest::Response,
    chat: bool,
    mut call: Call,
) -> Body {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(32);
    tokio::spawn(async move {
        let mut up = resp.bytes_stream();
        let (red, masker) = match restore {
            Some((r, m)) => (Some(r), m),
            None => (None, None),
        };
        let mut msg = red.as_ref().map(MessageStreamRestorer::new);
        let mut oai = red.as_ref().map(ChatStreamRestorer::new);
        if let Some(m) = &masker {
            msg = msg.map(|r| r.with_masker(m));
            oai = oai.map(|r| r.with_masker(m));
        }
        let mut out = Vec::new();
        let mut failed = None;
        while let Some(chunk) = up.next().await {
            let r = match chunk {
                Ok(c) => {
                    call.keep_response(&c);
                    match (&mut msg, &mut oai) {
                        (Some(_), Some(o)) if chat => o.push(&c, &mut out),
                        (Some(m), Some(_)) => m.push(&c, &mut out),
                        _ => {
                            out.extend_from_slice(&c);
                            Ok(())
                        }
                    }
                }
                Err(e) => {
                    call.error = Some("stream");
                    Err(ApiError::upstream(format!(
                        "stream interrupted: {}",
                        without_url(&e)
                    )))
                }
            };
            if let Err(e) = r {
                failed = Some(e);
                break;
            }
            if !out.is_empty()
                && tx
                    .send(Ok(Bytes::from(std::mem::take(&mut out))))
                    .await
                    .is_err()
            {
                // The client went away.
                call.error = Some("client_closed");
                break;
            }
        }
        let r = match (&mut msg, &mut oai) {
            (Some(_), Some(o)) if chat => o.finish(&mut out),
            (Some(m), Some(_)) => m.finish(&mut out),
            _ => Ok(()),
        };
        if let (Err(e), None) = (r, &failed) {
            failed = Some(e);
        }
        call.restored = if chat {
            oai.as_ref().map_or(0, ChatStreamRestorer::restored)
        } else {
            msg.as_ref().map_or(0, MessageStreamRestorer::restored)
        };
        shared.stats.restored.fetch_add(call.restored, Ordering::Relaxed);
        if let Some(e) = &failed {
            call.error.get_or_insert(e.kind());
        }
        // The record is kept before the end of the answer reaches the
        // client: a call the log cannot keep ends with an error event.
        if let Err(e) = finish_call(&shared, call).await {
            failed.get_or_insert(e);
        }
        shared.metrics.end();
        if let Some(e) = failed {
            tracing::warn!(
                kind = e.kind(),
                "stream ended with an error: {}",
                e.message()
            );
            e.sse_frame().write_to(&mut out);
        }
        if !out.is_empty() {
            let _ = tx.send(Ok(Bytes::from(out))).await;
        }
    });
    Body::from_stream(tokio_stream_from(rx))
}

fn tokio_stream_from(
    mut rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Batch results: JSON lines, each restored as it completes (passed
/// through when `restore` is `None`); the call ends with the stream.
fn restore_jsonl(
    shared: Arc<Shared>,
    restore: Option<(Redactor, Option<Redactor>)>,
    resp: reqwest::Response,
    mut call: Call,
) -> Body {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(32);
    tokio::spawn(async move {
        let mut up = resp.bytes_stream();
        let mut buf: Vec<u8> = Vec::new();
        let mut restored = 0;
        let mut line_out = |line: &[u8],
                            out: &mut Vec<u8>|
         -> Result<(), ApiError> {
            let Some((red, masker)) = &restore else {
                out.extend_from_slice(line);
                out.push(b'\n');
                return Ok(());
            };
            if line.iter().all(u8::is_ascii_whitespace) {
                out.extend_from_slice(line);
                return Ok(());
            }
            let mut v: Value = serde_json::from_slice(line).map_err(|e| {
                ApiError::upstream(format!(
                    "batch results line is not JSON: {e}"
                ))
            })?;
            if let Some(m) = masker {
                mask_response(m, ResponseShape::BatchResult, &mut v)?;
            }
            restored +=
                restore_response(red, ResponseShape::BatchResult, &mut v)?;
            out.extend_from_slice(&serde_json::to_vec(&v).unwrap_or_default());
            out.push(b'\n');
            Ok(())
        };
        let mut ended = false;
        let mut failed: Option<ApiError> = None;
        while !ended && failed.is_none() {
            let chunk = match up.next().await {
                Some(Ok(c)) => c,
                Some(Err(e)) => {
                    failed = Some(ApiError::upstream(without_url(&e)));
                    break;
                }
                None => {
                    ended = true;
                    Bytes::new()
                }
            };
            call.keep_response(&chunk);
            buf.extend_from_slice(&chunk);
            let mut out = Vec::new();
            let mut start = 0;
            while let Some(i) = memchr::memchr(b'\n', &buf[start..]) {
                let line = &buf[start..start + i];
                if let Err(e) = line_out(line, &mut out) {
                    failed = Some(e);
                    break;
                }
                start += i + 1;
            }
            buf.drain(..start);
            if failed.is_none() && ended && !buf.is_empty() {
                let rest = std::mem::take(&mut buf);
                if restore.is_none() {
                    out.extend_from_slice(&rest);
                } else if let Err(e) = line_out(&rest, &mut out) {
                    failed = Some(e);
                }
            }
            if !out.is_empty() && tx.send(Ok(Bytes::from(out))).await.is_err()
            {
                call.error = Some("client_closed");
                break;
            }
        }
        call.restored = restored;
        shared.stats.restored.fetch_add(restored, Ordering::Relaxed);
        if let Some(e) = &failed {
            call.error.get_or_insert(e.kind());
        }
        if let Err(e) = finish_call(&shared, call).await {
            failed.get_or_insert(e);
        }
        shared.metrics.end();
        if let Some(e) = failed {
            let _ = tx
                .send(Err(std::io::Error::other(e.message().to_string())))
                .await;
        }
    });
    Body::from_stream(tokio_stream_from(rx))
}
