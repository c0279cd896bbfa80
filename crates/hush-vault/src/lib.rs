//! hush-vault replaces personal values by reversible pseudonyms before
//! text leaves the network, and puts the values back in the answer.
//!
//! # Overview
//!
//! A [`Vault`] holds mappings between values and pseudonyms, encrypted at
//! rest, in one append-only file (or any [`Storage`] backend). Work
//! happens in a [`Scope`] (a conversation, a tenant): the same value
//! always gets the same pseudonym in a scope, across documents, process
//! restarts and machines that share the key, and the pseudonyms of two
//! scopes cannot be linked. A [`Policy`] says what each
//! [`Kind`](hush_detect::Kind) gets: a tag (default), a realistic
//! surrogate, a mask, a keyed hash, removal, or nothing.
//!
//! The vault does no detection: the facade combines a
//! [`hush_detect::Scanner`] with a vault, calling
//! [`Scope::pseudonymise`] for each finding and [`Scope::restore`] on the
//! answer.
//!
//! # Example
//!
//! ```
//! use hush_detect::Kind;
//! use hush_vault::{Key, Operator, Policy, Vault};
//!
//! let policy = Policy::default()
//!     .with_operator(Kind::Person, Operator::Surrogate)?;
//! let vault = Vault::in_memory(Key::generate()?, policy)?;
//! let chat = vault.scope("chat-42");
//! let mail = chat.pseudonymise(Kind::Email, "jane.roe@acme.io")?;
//! let name = chat.pseudonymise(Kind::Person, "Jane Roe")?;
//! assert_ne!(name, "Jane Roe");
//! let prompt = format!("Draft a reply to {name} at {mail}.");
//!
//! // What a model might send back: a possessive, lost brackets, a case
//! // change, and the surrogate name as it was.
//! let code = mail.trim_matches(['[', ']']).to_lowercase();
//! let answer = format!("Dear {name}, I saved {code}'s address.");
//! let back = chat.restore(&answer)?;
//! assert_eq!(
//!     back.text(),
//!     "Dear Jane Roe, I saved jane.roe@acme.io's address."
//! );
//! assert!(back.unresolved().is_empty());
//! # let _ = prompt;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Why this tag format
//!
//! The default tag is `[[EMAIL-482913]]` ([`DEFAULT_TEMPLATE`]), chosen
//! from what is known about how language models echo placeholders
//! (`research/pseudonyms.md`):
//!
//! - a **type label** (`EMAIL`, `PERSON`) because the model needs to
//!   know what it stands for;
//! - a **decimal code**, not random letters or hex: digit runs are
//!   tokenised in groups of up to three and were not altered in any
//!   sample of the public placeholder experiments, while random
//!   characters cost a token each and get transposed;
//! - a **hyphen**, not `_`: no markdown `\_` escaping, and
//!   `UPPER_SNAKE` cores were read as environment variables in code;
//! - **doubled square brackets**: no HTML/XML meaning (`<PERSON_1>` got
//!   HTML-escaped or dropped), no template meaning (`{{…}}` was copied
//!   0/4 times by Claude Code), rare in ordinary text, no extra tokens.
//!
//! The code is a keyed HMAC of the normalised value (6 digits by
//! default, one more per collision), not a counter: it is stable across
//! processes and machines without coordination, and unlinkable across
//! scopes. One limit of that guarantee: when two values of one kind
//! collide on the short code, the one stored second gets a longer code,
//! so two vaults that met the pair in a different order disagree on
//! which gets which. With 6 digits this starts at about a thousand
//! values per kind and scope (birthday bound); raise the width with
//! [`Policy::with_code_digits`] for large shared scopes (8 digits keep
//! it rare up to ~10,000 values). The template, code width and labels
//! are configurable
//! ([`Policy::with_template`], [`Policy::with_code_digits`],
//! [`Policy::with_label`]).
//!
//! # Restore
//!
//! [`Scope::restore`] finds tags however they were echoed: any case,
//! possessives and punctuation around them, brackets lost, single or
//! changed (`<…>`, `&lt;…&gt;`, `\[…\]`), `\-` or `\_` escapes,
//! Unicode hyphens, whitespace or a line break inside. It only resolves
//! (kind, code) pairs this scope issued; everything else tag-shaped is
//! left alone and listed in [`Restored::unresolved`]. Surrogates are
//! restored only where they appear exactly.
//!
//! # Storage, keys and concurrency
//!
//! See [`FileStorage`] for the on-disk format (version
//! [`FORMAT_VERSION`]; older files are read and upgraded on the first
//! write), crash safety and the locking model, and [`Key`] for where
//! keys come from. Values are encrypted with XChaCha20-Poly1305 under a
//! subkey derived with HKDF-SHA256; no plaintext value is written to
//! disk, to a log or to an error message, and keys and values are
//! zeroised on drop. Opening decrypts and decodes records on all cores
//! (up to four threads) and builds the index once.
//!
//! # Last-used times
//!
//! Every entry records when it was created and last used, in whole
//! seconds, for [`Vault::purge_older_than`]. A lookup does not read the
//! system clock: it reads a coarse clock that a background thread
//! (`hush-clock`, started on first use, gone after ten idle seconds)
//! refreshes just after each second boundary. A recorded time is never
//! ahead of the system clock and normally behind it by well under a
//! millisecond (up to about a second after a suspend, or while the
//! thread waits for a CPU), and last-used times are persisted when they
//! moved by at least a minute: ample for retention counted in days.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_debug_implementations)]
#![forbid(unsafe_code)]

mod clock;
mod error;
mod key;
mod normalise;
mod policy;
mod record;
mod restore;
mod storage;
mod surrogate;
mod vault;

pub use crate::error::Error;
pub use crate::key::{Key, KEY_ENV};
pub use crate::normalise::normalise;
pub use crate::policy::{
    Operator, Policy, Template, DEFAULT_CODE_DIGITS, DEFAULT_TEMPLATE,
};
pub use crate::storage::{
    FileStorage, MemoryStorage, Storage, FORMAT_VERSION,
};
pub use crate::vault::{
    Restored, Scope, ScopeStats, Stats, ValueEscape, Vault, RESTORE_CONTEXT,
};
