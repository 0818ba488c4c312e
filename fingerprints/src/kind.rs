//! The kinds of field a register column can hold.

use serde::{Deserialize, Serialize};

/// What a register column holds; decides how its values are normalized, hashed and matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Full name in kanji (or any script); multi-token: family and given name.
    Name,
    /// Reading of the name in kana; multi-token; hiragana, katakana and half-width fold together.
    NameKana,
    /// Date of birth; low entropy: stored only as a record-scoped corroborator.
    BirthDate,
    /// Postal address; multi-token: town, then block numbers (丁目, 番, 号).
    Address,
    /// Postal code (7 digits); low entropy: stored only as a record-scoped corroborator.
    PostalCode,
    /// Telephone number, folded to national digits (`+81 6 …` → `06…`).
    Phone,
    /// E-mail address, case-folded.
    Email,
    /// Bank account number: its last 7 digits.
    AccountNumber,
    /// My Number (個人番号): 12 digits with a valid check digit.
    NationalId,
    /// Any other exact value, matched as its whitespace-separated tokens.
    Other,
}

impl FieldKind {
    /// Every kind, in a fixed order (the order of their tags).
    pub const ALL: [FieldKind; 10] = [
        FieldKind::Name,
        FieldKind::NameKana,
        FieldKind::BirthDate,
        FieldKind::Address,
        FieldKind::PostalCode,
        FieldKind::Phone,
        FieldKind::Email,
        FieldKind::AccountNumber,
        FieldKind::NationalId,
        FieldKind::Other,
    ];

    /// The kind's name as written in schema files and alerts.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Name => "name",
            FieldKind::NameKana => "name_kana",
            FieldKind::BirthDate => "birth_date",
            FieldKind::Address => "address",
            FieldKind::PostalCode => "postal_code",
            FieldKind::Phone => "phone",
            FieldKind::Email => "email",
            FieldKind::AccountNumber => "account_number",
            FieldKind::NationalId => "national_id",
            FieldKind::Other => "other",
        }
    }

    /// Parses a kind name; `None` for unknown names.
    pub fn from_name(s: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A stable one-byte tag, used for domain separation in hashes and in the bundle format.
    pub fn tag(self) -> u8 {
        match self {
            FieldKind::Name => 1,
            FieldKind::NameKana => 2,
            FieldKind::BirthDate => 3,
            FieldKind::Address => 4,
            FieldKind::PostalCode => 5,
            FieldKind::Phone => 6,
            FieldKind::Email => 7,
            FieldKind::AccountNumber => 8,
            FieldKind::NationalId => 9,
            FieldKind::Other => 10,
        }
    }

    /// The kind with this tag, if any.
    pub fn from_tag(tag: u8) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.tag() == tag)
    }

    /// How the kind is stored and found.
    pub fn class(self) -> KindClass {
        match self {
            FieldKind::Name | FieldKind::NameKana | FieldKind::Address | FieldKind::Other => {
                KindClass::MultiToken
            }
            FieldKind::Phone
            | FieldKind::Email
            | FieldKind::AccountNumber
            | FieldKind::NationalId => KindClass::Strong,
            FieldKind::BirthDate | FieldKind::PostalCode => KindClass::Corroborator,
        }
    }

    /// Strong identifiers make a high-confidence finding with one more field of the same record.
    pub fn is_strong(self) -> bool {
        self.class() == KindClass::Strong
    }
}

impl std::fmt::Display for FieldKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a kind is stored in the bundle and found by the matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindClass {
    /// Token sequences (names, readings, addresses): keyed token vocabulary + per-record sequences.
    MultiToken,
    /// Whole-value identifiers: keyed fingerprint → records.
    Strong,
    /// Low-entropy values: only record-scoped, checked around a hit of another field.
    Corroborator,
}
