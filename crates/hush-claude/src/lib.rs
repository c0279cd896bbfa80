//! # hush-claude
//!
//! The Claude Messages API seen through hush: requests leave with
//! personal data pseudonymised, answers come back with the real values
//! restored, streamed answers included, token by token.
//!
//! - [`redact_request`] and [`restore_response`] transform whole bodies
//!   (Messages, count_tokens, batches, batch results, the
//!   OpenAI-compatible chat completions shape);
//! - [`MessageStreamRestorer`] and [`ChatStreamRestorer`] restore SSE
//!   streams from raw bytes, whatever the TCP split;
//! - [`proxy`] serves an Anthropic-compatible HTTP proxy built on these,
//!   with fallbacks that include Claude on Amazon Bedrock and Google
//!   Vertex AI ([`cloud`] builds those requests);
//! - [`Client`] is a small Rust client that does the same round trip in
//!   process;
//! - [`mock`] is a faithful mock of the upstream API for tests.
//!
//! The pure parts (this module's transforms, [`sse`], the restorers) do
//! no I/O; the proxy, client and mock use tokio.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod splitmix;
pub mod sse;
mod stream;
mod transform;

pub use crate::client::{Client, DEFAULT_VERSION};
pub use crate::error::ApiError;
pub use crate::stream::{ChatStreamRestorer, MessageStreamRestorer};
pub use crate::transform::{
    mask_response, masking_redactor, redact_request, restore_response,
    Endpoint, MediaPolicy, Redaction, ResponsePii, ResponseShape,
};
mod client;
pub mod cloud;
pub mod fallback;
pub mod message;
pub mod metrics;
pub mod mock;
pub mod monitor;
pub mod proxy;
pub mod review;
pub mod validate;

/// The README's examples run as doctests (here, where every library crate
/// of the workspace is in reach).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
