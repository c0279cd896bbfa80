//! The record under construction: text is only ever appended, and each
//! labelled value records its code-point and byte offsets as it is appended,
//! so gold spans are exact by construction (never found by searching).

use serde::Serialize;

/// The entity kinds this corpus labels: structured values, and the
/// names, places, organisations and addresses written into the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    Email,
    Phone,
    Ssn,
    UsItin,
    CreditCard,
    Iban,
    IpAddress,
    MacAddress,
    Url,
    Date,
    Secret,
    IdNumber,
    CryptoWallet,
    Person,
    Location,
    Organization,
    Address,
}

impl Label {
    #[cfg(test)]
    pub const ALL: [Label; 17] = [
        Label::Email,
        Label::Phone,
        Label::Ssn,
        Label::UsItin,
        Label::CreditCard,
        Label::Iban,
        Label::IpAddress,
        Label::MacAddress,
        Label::Url,
        Label::Date,
        Label::Secret,
        Label::IdNumber,
        Label::CryptoWallet,
        Label::Person,
        Label::Location,
        Label::Organization,
        Label::Address,
    ];

    /// PERSON, LOCATION, ORGANIZATION or ADDRESS.
    pub fn is_name_kind(self) -> bool {
        matches!(
            self,
            Label::Person
                | Label::Location
                | Label::Organization
                | Label::Address
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Label::Email => "EMAIL",
            Label::Phone => "PHONE",
            Label::Ssn => "SSN",
            Label::UsItin => "US_ITIN",
            Label::CreditCard => "CREDIT_CARD",
            Label::Iban => "IBAN",
            Label::IpAddress => "IP_ADDRESS",
            Label::MacAddress => "MAC_ADDRESS",
            Label::Url => "URL",
            Label::Date => "DATE",
            Label::Secret => "SECRET",
            Label::IdNumber => "ID_NUMBER",
            Label::CryptoWallet => "CRYPTO_WALLET",
            Label::Person => "PERSON",
            Label::Location => "LOCATION",
            Label::Organization => "ORGANIZATION",
            Label::Address => "ADDRESS",
        }
    }
}

impl Serialize for Label {
    fn serialize<S: serde::Serializer>(
        &self,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One gold span. `start`/`end` are Unicode code-point offsets (Python
/// `str` indices), `byte_start`/`byte_end` UTF-8 byte offsets; both
/// end-exclusive.
#[derive(Clone, Debug, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub byte_start: usize,
    pub byte_end: usize,
    pub label: Label,
    pub surface: String,
}

/// One JSONL line.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub spans: &'a [Span],
}

/// Append-only text with spans.
#[derive(Default, Debug)]
pub struct Doc {
    pub text: String,
    chars: usize,
    pub spans: Vec<Span>,
}

impl Doc {
    pub fn new() -> Self {
        Self::default()
    }

    /// Append unlabelled text.
    pub fn push(&mut self, s: &str) {
        self.chars += s.chars().count();
        self.text.push_str(s);
    }

    /// Append a labelled value, recording its span.
    pub fn entity(&mut self, label: Label, s: &str) {
        debug_assert!(!s.is_empty());
        let start = self.chars;
        let byte_start = self.text.len();
        self.push(s);
        self.spans.push(Span {
            start,
            end: self.chars,
            byte_start,
            byte_end: self.text.len(),
            label,
            surface: s.to_owned(),
        });
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }
}
