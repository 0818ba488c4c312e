//! Fingerprint bundles: a resident register turned into keyed hashes a matcher can search for.
//!
//! The data owner runs this on their own machine. Each register row is normalized per field
//! kind ([`normalize`]), hashed with keys derived from a 32-byte [`SecretKey`] ([`Hasher`]), and
//! the hashes are assembled into a [`Bundle`] whose payload is encrypted at rest. No raw value,
//! normalized or not, is stored: names, readings and addresses become sequences of keyed token
//! ids, strong identifiers (phone, e-mail, account, My Number) keyed fingerprints, and the
//! low-entropy fields (birth date, postal code) only record-scoped fingerprints in a salted,
//! blocked Bloom filter ([`CorroboratorFilter`]), checked around a hit of another field of the
//! same record.
//!
//! ```
//! use fingerprints::{Bundle, BundleBuilder, FieldKind, SecretKey};
//! use fingerprints::normalize::{canonicalize, Canonical};
//! use fingerprints::records::Row;
//!
//! let key = SecretKey::from_bytes([42; 32]);
//! let mut builder = BundleBuilder::new(&key);
//! builder.add_rows(vec![Row { line: 2, id: "R0001".into(), fields: vec![
//!     (FieldKind::Phone, 0, "06-1234-5678".into()),
//!     (FieldKind::BirthDate, 1, "1975-03-02".into()),
//! ]}]);
//! let (bundle, _report) = builder.finish().unwrap();
//! let bytes = bundle.to_bytes(&key).unwrap();
//!
//! // The matcher's side: open with the key, look a candidate up in any notation.
//! let bundle = Bundle::from_bytes(&bytes, &key).unwrap();
//! let Canonical::Value(phone) = canonicalize(FieldKind::Phone, "+81 6-1234-5678").unwrap() else { panic!() };
//! let records = bundle.strong_records(bundle.hasher().strong(FieldKind::Phone, &phone));
//! assert_eq!(records.len(), 1);
//! assert!(bundle.corroborates(records[0], FieldKind::BirthDate, "19750302"));
//! // A value found once in a page, checked against many records: hash it once, then a quick
//! // rule-out by the records' birth-date tags, then the filter.
//! let date = bundle.hasher().corroborator_value(FieldKind::BirthDate, "19750302");
//! let mut maybe = Vec::new();
//! bundle.birth_tag_matches(records, &date, &mut maybe);
//! assert_eq!(maybe, records);
//! assert!(bundle.corroborates_value(maybe[0], &date));
//! maybe.clear();
//! let other_date = bundle.hasher().corroborator_value(FieldKind::BirthDate, "19750303");
//! bundle.birth_tag_matches(records, &other_date, &mut maybe);
//! assert!(maybe.is_empty());
//!
//! // Another key is refused by name.
//! let other = SecretKey::from_bytes([1; 32]);
//! assert!(Bundle::from_bytes(&bytes, &other).unwrap_err().to_string().starts_with("wrong key"));
//! ```
#![deny(missing_docs)]

pub mod bundle;
mod error;
mod filter;
pub mod fxhash;
mod hash;
mod key;
mod kind;
pub mod leaks;
pub mod normalize;
pub mod records;
mod schema;
pub mod synth;
mod synth_names;

pub use bundle::{
    BuildReport, Bundle, BundleBuilder, BundleMeta, MultiTokenField, build_from_file,
};
pub use error::{Error, ErrorKind};
pub use filter::{
    CORROBORATOR_BITS_PER_ITEM, CORROBORATOR_PROBES, CorroboratorFilter, TokenFilter,
};
pub use hash::{CorroboratorValue, FastDomain, Hasher, RecordRef};
pub use key::{KEY_LEN, KeyId, SecretKey};
pub use kind::{FieldKind, KindClass};
pub use schema::Schema;
