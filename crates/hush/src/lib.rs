//! hush keeps personal data out of prompts: it replaces what
//! [`hush_detect`] finds with pseudonyms from a [`hush_vault`] before text
//! leaves the network, and puts the real values back in the answer.
//!
//! This crate is the facade the CLI, the batch tool and the proxy share.
//! A [`Redactor`] is a scanner, a vault and a scope. It works on whole
//! texts ([`Redactor::redact`], [`Redactor::restore`]) and on streams in
//! both directions ([`Redactor::redact_stream`],
//! [`Redactor::restore_stream`]): feed chunks of any size, split
//! anywhere (inside a UTF-8 sequence, inside an entity, inside a tag),
//! and get back the output that is already safe to emit. The contract is
//! chunking invariance: the concatenated output of a stream equals the
//! whole-buffer result for every way of cutting the input.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use hush::Redactor;
//! use hush_detect::Scanner;
//! use hush_vault::{Key, Policy, Vault};
//!
//! let scanner = Arc::new(Scanner::new()?);
//! let vault = Arc::new(Vault::in_memory(Key::generate()?, Policy::default())?);
//! let r = Redactor::new(scanner, vault).with_scope("ticket-7");
//!
//! let prompt = "Call 415-555-0100 or mail jane.roe@acme.io";
//! let safe = r.redact(prompt)?;
//! assert!(!safe.text().contains("jane.roe"));
//! assert_eq!(safe.report().findings, 2);
//!
//! // The model answers with the pseudonyms; restore puts values back.
//! let tag = safe.text().rsplit(' ').next().unwrap();
//! let answer = format!("I will write to {tag}.");
//! assert_eq!(r.restore(&answer)?.text(), "I will write to jane.roe@acme.io.");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Streaming and what is held back
//!
//! Redaction holds back the bytes that a later byte could still turn into
//! (or out of) a finding, as [`Scanner::scan_settled`] decides from the
//! rules: at most [`Redactor::max_redact_hold`] bytes. Restoration holds
//! back only a suffix that could still become a pseudonym the scope
//! issued ([`Scope::restore_settled`]): a `[` or a capital is released as
//! soon as the next character rules it out. Memory is bounded by these
//! holds, not by the input size.
//!
//! # Input that is not UTF-8
//!
//! Redaction works on bytes: bytes that are not UTF-8 pass through
//! unchanged, and a finding that holds some (the scanner matches bytes)
//! is pseudonymised by its lossy UTF-8 form, so its restored value has
//! U+FFFD where the bad bytes were. Restoration reads UTF-8 text: an
//! invalid byte sequence passes through unchanged and ends the text
//! around it, so no pseudonym is recognised across it. Both rules are the
//! same for whole buffers and streams.
//!
//! [`Scope::restore_settled`]: hush_vault::Scope::restore_settled

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_debug_implementations)]
#![forbid(unsafe_code)]

pub mod batch;
mod error;
mod redactor;
mod report;
mod stream;

pub use crate::error::Error;
pub use crate::redactor::{Redacted, Redactor};
pub use crate::report::Report;
pub use crate::stream::{RedactStream, RestoreStream};

// The building blocks, so that a user needs one dependency.
pub use hush_detect::{Kind, Scanner};
pub use hush_vault::{Key, Operator, Policy, Restored, Vault};
