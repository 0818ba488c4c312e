//! Keyed hashing: every fingerprint in a bundle is a keyed hash of a canonical value.
//!
//! Two families, both keyed with subkeys derived from the [`SecretKey`]:
//!
//! - **Exact fingerprints** — BLAKE3 in keyed mode over `kind tag || canonical value` (or the
//!   token, or `record || kind tag || value` for corroborators). These are what the bundle's
//!   indexes are keyed by and what a match is confirmed against.
//! - **Fast fingerprints** — a per-character keyed table (65,536 random words for the Basic
//!   Multilingual Plane, expanded from the key with BLAKE3's XOF) folded with a multiply–xorshift
//!   step. The matcher can extend a fast fingerprint one character at a time, so testing every
//!   substring of a CJK run costs one table lookup and one multiply per character. They only
//!   feed the hot-path filter ([`crate::TokenFilter`]); a filter hit is then confirmed with the
//!   exact fingerprint.

use crate::filter::mix;
use crate::{FieldKind, SecretKey};

/// The opaque reference of a register record, carried by alerts instead of the record.
///
/// It is a keyed hash of the record's id-column value; only the data owner, holding the register
/// and the key, can map it back (`leakwatch fingerprint resolve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordRef(pub u64);

impl std::fmt::Display for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "r{:016x}", self.0)
    }
}

impl std::str::FromStr for RecordRef {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let hex = s.trim().strip_prefix('r').ok_or(())?;
        if hex.len() != 16 {
            return Err(());
        }
        u64::from_str_radix(hex, 16).map(RecordRef).map_err(|_| ())
    }
}

impl serde::Serialize for RecordRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for RecordRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse()
            .map_err(|()| serde::de::Error::custom("a record reference is 'r' and 16 hex digits"))
    }
}

/// Domains of the fast fingerprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FastDomain {
    /// A token or a prefix of one (multi-token fields).
    TokenPrefix,
    /// A whole token.
    Token,
    /// A whole value of a strong kind.
    Strong(FieldKind),
    /// The romaji key of a reading token ([`crate::normalize::romaji`]).
    Romaji,
    /// A postal code, as the key of its records' towns ([`crate::Bundle::postal_towns`]).
    PostalTown,
}

impl FastDomain {
    fn index(self) -> usize {
        match self {
            FastDomain::TokenPrefix => 0,
            FastDomain::Token => 1,
            FastDomain::Strong(k) => 1 + usize::from(k.tag()),
            FastDomain::Romaji => 12,
            FastDomain::PostalTown => 13,
        }
    }
}

const FAST_MUL: u64 = 0x9E37_79B9_7F4A_7C15;

/// Computes every keyed hash leakwatch uses. Immutable; cheap to share across threads.
pub struct Hasher {
    exact: [u8; 32],
    token: [u8; 32],
    corroborator: [u8; 32],
    record: [u8; 32],
    astral: [u8; 32],
    tag_seed: u64,
    scope_seed: u64,
    table: Box<[u64]>,
    domains: [u64; 14],
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hasher(keyed, redacted)")
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.exact.zeroize();
        self.token.zeroize();
        self.corroborator.zeroize();
        self.record.zeroize();
        self.astral.zeroize();
        self.tag_seed.zeroize();
        self.scope_seed.zeroize();
        self.table.zeroize();
        self.domains.zeroize();
    }
}

impl Hasher {
    /// Derives all hashing subkeys and the fast character table from `key`.
    pub fn new(key: &SecretKey) -> Hasher {
        let mut table = vec![0u64; 0x1_0000].into_boxed_slice();
        let mut bytes = vec![0u8; table.len() * 8];
        blake3::Hasher::new_keyed(&key.derive("fast char table"))
            .finalize_xof()
            .fill(&mut bytes);
        for (w, chunk) in table.iter_mut().zip(bytes.chunks_exact(8)) {
            *w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        }
        let mut domains = [0u64; 14];
        let d = key.derive("fast domains");
        let mut xof = blake3::Hasher::new_keyed(&d).finalize_xof();
        for slot in &mut domains {
            let mut b = [0u8; 8];
            xof.fill(&mut b);
            *slot = u64::from_le_bytes(b);
        }
        Hasher {
            exact: key.derive("exact fingerprint"),
            token: key.derive("token fingerprint"),
            corroborator: key.derive("corroborator fingerprint"),
            record: key.derive("record reference"),
            astral: key.derive("fast astral chars"),
            tag_seed: {
                let d = key.derive("birth date tag");
                u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
            },
            scope_seed: {
                let d = key.derive("corroborator record scope");
                u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
            },
            table,
            domains,
        }
    }

    /// Exact fingerprint of a whole canonical value of `kind`.
    pub fn strong(&self, kind: FieldKind, canonical: &str) -> u64 {
        let mut h = blake3::Hasher::new_keyed(&self.exact);
        h.update(&[kind.tag()]);
        h.update(canonical.as_bytes());
        first_u64(&h.finalize())
    }

    /// Exact fingerprint of one token of a multi-token field.
    pub fn token(&self, token: &str) -> u64 {
        first_u64(&blake3::keyed_hash(&self.token, token.as_bytes()))
    }

    /// Exact fingerprint of the romaji key of a reading token: the token's own domain, with a
    /// byte in front that no token's UTF-8 starts with, so a key never equals a token.
    pub fn romaji(&self, key: &str) -> u64 {
        let mut h = blake3::Hasher::new_keyed(&self.token);
        h.update(&[0xFF]);
        h.update(key.as_bytes());
        first_u64(&h.finalize())
    }

    /// Fast keyed fingerprint of a postal code (`6600875`) as the key of the towns its records
    /// live in ([`crate::Bundle::postal_towns`]): asked at every postal code a page writes
    /// with its hyphen or mark, so a few nanoseconds, like the hot-path filter's.
    pub fn postal_town_key(&self, postal: &str) -> u64 {
        self.fast_str(FastDomain::PostalTown, postal)
    }

    /// Keyed fingerprint of a corroborating value (a canonical value of `kind`), computed once
    /// per value and scoped to each record with [`Hasher::corroborator`].
    pub fn corroborator_value(&self, kind: FieldKind, canonical: &str) -> CorroboratorValue {
        let mut h = blake3::Hasher::new_keyed(&self.corroborator);
        h.update(&[kind.tag()]);
        h.update(canonical.as_bytes());
        CorroboratorValue {
            kind,
            fp: first_u64(&h.finalize()),
        }
    }

    /// Record-scoped fingerprint: "record number `record` of the bundle has this value". A keyed
    /// mix of the record number and the value's keyed fingerprint, a few nanoseconds, so that a
    /// value found once in a page is checked against many records without rehashing it.
    #[inline]
    pub fn corroborator(&self, record: u32, value: &CorroboratorValue) -> u64 {
        mix(value.fp ^ mix(u64::from(record) ^ self.scope_seed))
    }

    /// The opaque reference of a record, from its id-column value.
    pub fn record_ref(&self, id_value: &str) -> RecordRef {
        RecordRef(first_u64(&blake3::keyed_hash(
            &self.record,
            id_value.trim().as_bytes(),
        )))
    }

    /// Start value of a fast fingerprint in `domain`.
    #[inline]
    pub fn fast_start(&self, domain: FastDomain) -> u64 {
        self.domains[domain.index()]
    }

    /// Extends a fast fingerprint by one character.
    #[inline]
    pub fn fast_step(&self, h: u64, c: char) -> u64 {
        let t = match self.table.get(c as usize) {
            Some(t) => *t,
            None => self.astral_word(c),
        };
        let x = (h ^ t).wrapping_mul(FAST_MUL);
        x ^ (x >> 29)
    }

    /// Fast fingerprint of a whole string.
    pub fn fast_str(&self, domain: FastDomain, s: &str) -> u64 {
        s.chars()
            .fold(self.fast_start(domain), |h, c| self.fast_step(h, c))
    }

    /// Re-bases a token-prefix fast fingerprint into the whole-token domain, so one walk over a
    /// substring yields both the "is a prefix" and the "is a token" probes.
    #[inline]
    pub fn fast_as_token(&self, prefix_fp: u64) -> u64 {
        let x = (prefix_fp ^ self.domains[FastDomain::Token.index()]).wrapping_mul(FAST_MUL);
        x ^ (x >> 31)
    }

    /// The record's birth-date tag: 15 keyed bits of (record number, birth date), never 0. The
    /// bundle keeps one per record so the matcher can rule a date out for a record in a few
    /// nanoseconds (one load from a 0.9 MB table) before it asks the corroborator filter.
    #[inline]
    pub fn birth_tag(&self, record: u32, date: &CorroboratorValue) -> u16 {
        ((mix(date.fp ^ mix(u64::from(record) ^ self.tag_seed)) >> 48) as u16) | 1
    }

    #[cold]
    fn astral_word(&self, c: char) -> u64 {
        first_u64(&blake3::keyed_hash(&self.astral, &(c as u32).to_le_bytes()))
    }
}

/// The keyed fingerprint of one corroborating value ([`Hasher::corroborator_value`]): what a
/// record-scoped lookup needs, computed once per value found in a page. Deliberately not
/// `Debug`-printed beyond its kind.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CorroboratorValue {
    kind: FieldKind,
    fp: u64,
}

impl CorroboratorValue {
    /// The kind of the value.
    pub fn kind(&self) -> FieldKind {
        self.kind
    }
}

impl std::fmt::Debug for CorroboratorValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CorroboratorValue({}, keyed)", self.kind)
    }
}

fn first_u64(h: &blake3::Hash) -> u64 {
    let b = h.as_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_and_domain_separated() {
        let a = Hasher::new(&SecretKey::from_bytes([1; 32]));
        let b = Hasher::new(&SecretKey::from_bytes([2; 32]));
        assert_ne!(
            a.strong(FieldKind::Phone, "0612345678"),
            b.strong(FieldKind::Phone, "0612345678")
        );
        assert_ne!(
            a.strong(FieldKind::Phone, "0612345678"),
            a.strong(FieldKind::AccountNumber, "0612345678")
        );
        let x = a.corroborator_value(FieldKind::BirthDate, "x");
        assert_ne!(a.corroborator(1, &x), a.corroborator(2, &x));
        assert_ne!(
            a.corroborator(1, &x),
            a.corroborator(1, &a.corroborator_value(FieldKind::PostalCode, "x"))
        );
        assert_ne!(
            a.corroborator(1, &x),
            b.corroborator(1, &b.corroborator_value(FieldKind::BirthDate, "x"))
        );
        assert_ne!(a.birth_tag(1, &x), b.birth_tag(1, &x));
        assert_eq!(a.fast_str(FastDomain::TokenPrefix, "山田"), {
            let h = a.fast_start(FastDomain::TokenPrefix);
            a.fast_step(a.fast_step(h, '山'), '田')
        });
        assert_ne!(
            a.fast_str(FastDomain::TokenPrefix, "𠮷"),
            a.fast_str(FastDomain::TokenPrefix, "吉")
        );
    }

    #[test]
    fn record_ref_roundtrips_text() {
        let r = RecordRef(0x0123_4567_89ab_cdef);
        assert_eq!(r.to_string(), "r0123456789abcdef");
        assert_eq!("r0123456789abcdef".parse::<RecordRef>(), Ok(r));
        assert!("x0123".parse::<RecordRef>().is_err());
    }
}
