//! Normalization: every notation of a value folds to one canonical form.
//!
//! The same functions run on the data owner's machine when the bundle is built and in the
//! matcher on every candidate it extracts from a page, so a value is found whatever notation a
//! leak uses. Start with [`fold_str`] (character folding), then the per-kind parsers
//! ([`canonicalize`] dispatches on a [`FieldKind`]).
//!
//! ```
//! use fingerprints::normalize::{canonicalize, Canonical};
//! use fingerprints::FieldKind;
//!
//! let a = canonicalize(FieldKind::BirthDate, "昭和50年3月2日").unwrap();
//! let b = canonicalize(FieldKind::BirthDate, "S50.3.2").unwrap();
//! assert_eq!(a, Canonical::Value("19750302".into()));
//! assert_eq!(a, b);
//!
//! let addr = canonicalize(FieldKind::Address, "〒660-0051 兵庫県尼崎市東七松町一丁目23番4号").unwrap();
//! assert_eq!(addr, Canonical::Tokens(vec!["東七松町".into(), "1".into(), "23".into(), "4".into()]));
//! ```

mod address;
mod date;
mod fold;
pub mod romaji;
pub mod variants;

pub use address::{address_suffix_len, address_tokens, is_kanji_numeral, kanji_numeral_value};
pub use date::{
    CELL_CHARS, Date, parse_cell_date_prefix, parse_date, parse_date_prefix, parse_era_cell_date,
    parse_eraless_date_prefix, parse_kanji_numeral_date_prefix, parse_numeric_date_prefix,
    parse_short_year_date_prefix, three_digit_cells,
};
pub use fold::{Folded, Folder, HALFWIDTH_KATAKANA, fold_str};

use crate::FieldKind;

/// The canonical form of one field value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canonical {
    /// A single canonical string (dates, digits, e-mail).
    Value(String),
    /// An ordered sequence of canonical tokens (names, readings, addresses, other values).
    Tokens(Vec<String>),
}

/// Why a value could not be normalized. Never carries the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// The value is empty after folding.
    #[error("empty value")]
    Empty,
    /// Not a date in any supported notation (or not a real calendar date).
    #[error("not a valid date")]
    BadDate,
    /// A postal code must have 7 digits.
    #[error("postal code must have 7 digits")]
    BadPostalCode,
    /// A phone number must fold to 10 or 11 national digits starting with 0.
    #[error("phone number must have 10 or 11 national digits")]
    BadPhone,
    /// Not an e-mail address.
    #[error("not an e-mail address")]
    BadEmail,
    /// An account number needs at least 7 digits.
    #[error("account number must have at least 7 digits")]
    BadAccount,
    /// A My Number has 12 digits.
    #[error("My Number must have 12 digits")]
    BadNationalIdLength,
    /// The My Number's check digit does not match.
    #[error("My Number check digit does not match")]
    BadNationalIdCheckDigit,
    /// No town name could be found in the address.
    #[error("address has no town name")]
    BadAddress,
}

/// Maximum characters of one token; longer tokens are cut (both at build and match time).
pub const MAX_TOKEN_CHARS: usize = 32;

/// Normalizes one field value of the given kind.
pub fn canonicalize(kind: FieldKind, raw: &str) -> Result<Canonical, NormalizeError> {
    let folded = fold_str(raw);
    let trimmed = folded.trim();
    if trimmed.is_empty() {
        return Err(NormalizeError::Empty);
    }
    match kind {
        FieldKind::Name | FieldKind::NameKana | FieldKind::Other => {
            Ok(Canonical::Tokens(split_tokens(trimmed)).non_empty()?)
        }
        FieldKind::Address => address_tokens(trimmed).map(Canonical::Tokens),
        FieldKind::BirthDate => parse_date(trimmed)
            .map(|d| Canonical::Value(d.canonical()))
            .ok_or(NormalizeError::BadDate),
        FieldKind::PostalCode => postal_code(trimmed).map(Canonical::Value),
        FieldKind::Phone => phone(trimmed).map(Canonical::Value),
        FieldKind::Email => email(trimmed).map(Canonical::Value),
        FieldKind::AccountNumber => account_number(trimmed).map(Canonical::Value),
        FieldKind::NationalId => national_id(trimmed).map(Canonical::Value),
    }
}

impl Canonical {
    fn non_empty(self) -> Result<Canonical, NormalizeError> {
        match &self {
            Canonical::Tokens(t) if t.is_empty() => Err(NormalizeError::Empty),
            Canonical::Value(v) if v.is_empty() => Err(NormalizeError::Empty),
            _ => Ok(self),
        }
    }
}

/// Characters that separate the tokens of names and other multi-token values.
#[inline]
pub fn is_token_separator(c: char) -> bool {
    match c as u32 {
        // Kana and CJK ideographs (all but the middle dot U+30FB) are letters: answered
        // without looking the character up in Unicode's whitespace table, which took a tenth
        // of a scan of Japanese text.
        0x3040..=0x30FA | 0x30FC..=0x9FFF => false,
        _ => c.is_whitespace() || matches!(c, '・' | ',' | '、' | '/' | '|' | ';' | '\t'),
    }
}

/// Splits folded text into tokens at separators; each token is cut to [`MAX_TOKEN_CHARS`].
pub fn split_tokens(folded: &str) -> Vec<String> {
    folded
        .split(is_token_separator)
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(MAX_TOKEN_CHARS).collect())
        .collect()
}

/// Separator characters allowed inside digit groups (phones, My Numbers, postal codes).
#[inline]
pub fn is_digit_separator(c: char) -> bool {
    matches!(c, '-' | ' ' | '.' | '(' | ')' | 'ー' | '/')
}

fn digits_only(folded: &str, allowed: impl Fn(char) -> bool) -> Option<String> {
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_digit() {
            out.push(c);
        } else if !allowed(c) {
            return None;
        }
    }
    Some(out)
}

fn postal_code(folded: &str) -> Result<String, NormalizeError> {
    let d = digits_only(folded, |c| is_digit_separator(c) || c == '〒')
        .ok_or(NormalizeError::BadPostalCode)?;
    if d.len() == 7 {
        Ok(d)
    } else {
        Err(NormalizeError::BadPostalCode)
    }
}

/// Folds a phone number written in any common notation to national digits.
///
/// `+81-6-1234-5678`, `(06)1234-5678`, `06-1234-5678` and `0612345678` all give `0612345678`,
/// and so does `0081-6-1234-5678` (the international prefix `00` written for the `+`).
pub fn phone_national(digits: &str, had_plus: bool) -> Option<String> {
    if let Some(international) = digits.strip_prefix("0081") {
        return phone_national(&format!("81{international}"), true);
    }
    // A national number starts with 0, an international one with 81: anything else (most
    // digit runs in a dump) is refused before a string is made.
    if !(digits.starts_with('0') || digits.starts_with("81")) {
        return None;
    }
    let national = if let Some(rest) = digits
        .strip_prefix("81")
        .filter(|r| (had_plus || r.len() == 9 || r.len() == 10) && !r.starts_with('0'))
    {
        format!("0{rest}")
    } else if let Some(rest) = digits.strip_prefix("810").filter(|_| had_plus) {
        format!("0{rest}")
    } else {
        digits.to_owned()
    };
    // `00` is the international prefix: no national number starts with it (`0081…` left
    // over after one `0081` was taken off is no number).
    (national.starts_with('0')
        && !national.starts_with("00")
        && (10..=11).contains(&national.len()))
    .then_some(national)
}

fn phone(folded: &str) -> Result<String, NormalizeError> {
    let s = folded
        .trim_start_matches("tel")
        .trim_start_matches([':', ' ', '.']);
    let had_plus = s.starts_with('+');
    let d = digits_only(s.trim_start_matches('+'), is_digit_separator)
        .ok_or(NormalizeError::BadPhone)?;
    phone_national(&d, had_plus).ok_or(NormalizeError::BadPhone)
}

fn email(folded: &str) -> Result<String, NormalizeError> {
    let e = folded.trim().trim_start_matches("mailto:");
    let (local, domain) = e.split_once('@').ok_or(NormalizeError::BadEmail)?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.chars().all(|c| !c.is_whitespace());
    if ok {
        Ok(e.to_owned())
    } else {
        Err(NormalizeError::BadEmail)
    }
}

fn account_number(folded: &str) -> Result<String, NormalizeError> {
    let d: String = folded.chars().filter(char::is_ascii_digit).collect();
    if d.len() < 7 {
        return Err(NormalizeError::BadAccount);
    }
    Ok(d[d.len() - 7..].to_owned())
}

fn national_id(folded: &str) -> Result<String, NormalizeError> {
    let d = digits_only(folded, is_digit_separator).ok_or(NormalizeError::BadNationalIdLength)?;
    if d.len() != 12 {
        return Err(NormalizeError::BadNationalIdLength);
    }
    if my_number_is_valid(&d) {
        Ok(d)
    } else {
        Err(NormalizeError::BadNationalIdCheckDigit)
    }
}

/// True when `digits` is 12 ASCII digits whose last digit is the My Number check digit.
pub fn my_number_is_valid(digits: &str) -> bool {
    let b = digits.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    // P_n counts from the right of the first 11 digits; Q_n = n+1 (n ≤ 6) or n-5 (n ≥ 7).
    let sum: u32 = (1..=11u32)
        .map(|n| {
            let p = u32::from(b[11 - n as usize] - b'0');
            let q = if n <= 6 { n + 1 } else { n - 5 };
            p * q
        })
        .sum();
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    u32::from(b[11] - b'0') == check
}

#[cfg(test)]
mod tests;
