//! hush-keys decides who may use the hush proxy and holds the one key the
//! proxy uses upstream (SOC 2 CC6.1: logical access, key management).
//!
//! # Overview
//!
//! Clients never see the Anthropic API key. They get their own keys,
//! `hush_<keyid>_<secret>`, issued with [`KeyStore::create`] (or
//! `hush keys create`) and shown once; the store keeps only a salted
//! HMAC-SHA256 of each secret, with the key's name, model patterns,
//! `max_tokens` cap, request rate, expiry, revocation and rotation
//! state. The proxy checks each request with [`KeyRing::authorize`],
//! which reloads the store when the file changes, so a revocation takes
//! effect within seconds, without a restart.
//!
//! The upstream key comes from an [`UpstreamSecret`] source (environment,
//! file, HashiCorp Vault KV v2, AWS Secrets Manager) through
//! [`UpstreamKey`], which re-reads it on a schedule and keeps the last
//! good value when the source fails.
//!
//! # Example
//!
//! ```
//! use hush_keys::{KeyRing, KeySpec, KeyStore, RequestFacts};
//!
//! let mut store = KeyStore::in_memory();
//! let (key, secret) = store.create(KeySpec {
//!     models: vec!["claude-*".into()],
//!     max_tokens: Some(4096),
//!     rpm: Some(120),
//!     ..KeySpec::named("svc-billing")
//! })?;
//! let ring = KeyRing::from_store(&store);
//!
//! let facts = RequestFacts { model: Some("claude-sonnet-4-5"), max_tokens: Some(1000) };
//! let who = ring.authorize(secret.expose(), &facts)?;
//! assert_eq!(who.key_id, key.id);
//!
//! let denied = ring.authorize("hush_nope", &facts).unwrap_err();
//! assert_eq!(denied.status, 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is never logged
//!
//! No error, log line or `Debug` output of this crate contains a client
//! key's secret, a stored hash, the upstream key, a Vault token or an
//! AWS secret key. Key ids and names are not secret and do appear.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_debug_implementations)]

mod error;
mod format;
mod glob;
mod ring;
pub mod sigv4;
mod store;
mod time;
mod upstream;

pub use error::KeyError;
pub use format::{key_id_of, KEY_ID_LEN, KEY_PREFIX, SECRET_LEN};
pub use ring::{Authorized, Denied, KeyRing, RequestFacts, DEFAULT_POLL};
pub use store::{
    ClientKey, ClientKeyInfo, KeySpec, KeyStatus, KeyStore, RotationPolicy,
    SecretKeyString, STORE_VERSION,
};
pub use time::{human_age, utc_date};
pub use upstream::{Secret, UpstreamKey, UpstreamSecret, VaultToken};

#[cfg(test)]
mod testoibits {
    use super::*;

    fn assert_all<T: Send + Sync>() {}

    #[test]
    fn public_types_are_thread_safe() {
        assert_all::<KeyRing>();
        assert_all::<KeyStore>();
        assert_all::<UpstreamKey>();
        assert_all::<Secret>();
        assert_all::<SecretKeyString>();
        assert_all::<Denied>();
        assert_all::<Authorized>();
        assert_all::<KeyError>();
    }
}
