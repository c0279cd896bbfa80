//! The closed vocabulary of entity kinds.
//!
//! Kinds are the contract between detection and everything downstream
//! (pseudonym operators, reports, evaluation), so they are a closed enum
//! with canonical upper-case names rather than free strings. A rule names
//! one of these; the rule's own id says which national form it is.

use core::fmt;
use core::str::FromStr;

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// The kind of a finding.
        ///
        /// # Example
        ///
        /// ```
        /// use hush_detect::Kind;
        ///
        /// let kind: Kind = "CREDIT_CARD".parse()?;
        /// assert_eq!(kind, Kind::CreditCard);
        /// assert_eq!(kind.as_str(), "CREDIT_CARD");
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
        )]
        #[non_exhaustive]
        pub enum Kind {
            $($(#[$doc])* $variant,)*
        }

        impl Kind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            /// The canonical name, e.g. `EMAIL`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$variant => $name,)*
                }
            }
        }

        impl FromStr for Kind {
            type Err = UnknownKind;

            fn from_str(s: &str) -> Result<Kind, UnknownKind> {
                match s {
                    $($name => Ok(Kind::$variant),)*
                    _ => Err(UnknownKind { name: s.to_string() }),
                }
            }
        }
    };
}

kinds! {
    /// An e-mail address.
    Email => "EMAIL",
    /// A telephone number.
    Phone => "PHONE",
    /// A US Social Security number.
    Ssn => "SSN",
    /// A US Individual Taxpayer Identification Number.
    UsItin => "US_ITIN",
    /// A payment card number (PAN).
    CreditCard => "CREDIT_CARD",
    /// An International Bank Account Number.
    Iban => "IBAN",
    /// An IPv4 or IPv6 address.
    IpAddress => "IP_ADDRESS",
    /// A MAC (EUI-48) address.
    MacAddress => "MAC_ADDRESS",
    /// A URL.
    Url => "URL",
    /// A calendar date.
    Date => "DATE",
    /// A credential: API key, token, private key, password.
    Secret => "SECRET",
    /// A national or institutional identifier (passport, NINO, NHS, SIN,
    /// routing number, ...).
    IdNumber => "ID_NUMBER",
    /// A cryptocurrency wallet address.
    CryptoWallet => "CRYPTO_WALLET",
    /// A person's name.
    Person => "PERSON",
    /// A place.
    Location => "LOCATION",
    /// A postal address.
    Address => "ADDRESS",
    /// An organisation.
    Organization => "ORGANIZATION",
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a kind name that is not one of [`Kind::ALL`].
///
/// # Example
///
/// ```
/// use hush_detect::Kind;
///
/// let err = "NOPE".parse::<Kind>().unwrap_err();
/// assert!(err.to_string().contains("NOPE"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKind {
    name: String,
}

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown kind {:?} (expected one of: ", self.name)?;
        for (i, k) in Kind::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(k.as_str())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownKind {}
