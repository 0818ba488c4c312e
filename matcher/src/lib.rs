//! Finds register records in arbitrary documents by keyed hashes, corroborates and scores them.
//!
//! # Model
//!
//! A [`Matcher`] is built once from a fingerprint bundle and its key ([`Matcher::open`]); it is
//! immutable and can be shared across threads. [`Matcher::scan`] takes the bytes of one
//! document in any encoding, and returns a [`ScanReport`] whose [`Finding`]s carry only opaque
//! record references, field kinds, byte spans and a [`Confidence`]. No value read from the
//! document is kept past the scan.
//!
//! 1. **Text.** Bytes are decoded (BOM, the declared charset, UTF-8, ISO-2022-JP escapes, then
//!    detection among Shift_JIS, EUC-JP and the rest); a binary file of no format read below is
//!    read for its text runs in UTF-8 and UTF-16, as `strings` prints them (a database's data
//!    file), and pictures, sounds, videos, fonts and programs are skipped with a reason;
//!    HTML is reduced to its visible text with one line per table row and tabs between cells;
//!    e-mail messages (one, or an mbox) to their decoded text: encoded words, base64 and
//!    quoted-printable parts in their charsets, text attachments; Outlook messages (`.msg`)
//!    to their string properties and attachments (and their compressed RTF body when it is
//!    the only one), and Outlook's TNEF (`winmail.dat`) likewise; RTF documents to their
//!    paragraphs and table rows (`\uN` and code-page
//!    bytes decoded); ZIP, 7z, RAR and tar archives and files
//!    compressed with gzip, xz, Zstandard or bzip2 (`.tar.gz`, `dump.sql.xz`) to the text of
//!    their files (encrypted ZIP entries, 7z and RAR archives, PDF and Office files with the
//!    passwords of [`Matcher::with_passwords`] or those the mailbox or archive itself labels,
//!    `パスワード：…`), spreadsheets (`.xlsx`, `.xls`) to their rows of cells, Word (`.docx`,
//!    `.doc`), OpenDocument and PowerPoint (`.pptx`, `.ppt`) files to their paragraphs and
//!    table rows, and SQLite database files to their tables' rows.
//! 2. **Folding.** The text is folded character by character with the same rules the bundle
//!    was built with (full-width → ASCII, kana → katakana, …), keeping each character's span.
//!    Escaped text is folded as the characters it stands for: percent-encoded (UTF-8,
//!    Shift_JIS, EUC-JP), JSON's `\uXXXX`, UTF-8 bytes as `\xHH`, numeric character
//!    references.
//! 3. **Candidates.** Digit groups become phone numbers, My Numbers and account numbers; `@`
//!    gives e-mail addresses (and, in a block with another hit, `[at]`, `(at)`, `（アット）`,
//!    `★`, ` at `, `%40` and `[dot]` written for them to dodge harvesters or escaped, as do
//!    phone numbers in three cells); at every character that may start a register token, a keyed fast
//!    fingerprint is extended one character at a time while the bundle's hot-path filter knows
//!    the prefix, so names and towns are found inside CJK text that has no spaces; when the
//!    register stores names without a space (`山田太郎` as one token), one gap inside a token
//!    that starts a word is stepped over (`山田 太郎`, `"山田","太郎"`). Every filter hit is confirmed
//!    with the exact keyed hash. Two adjacent words capitalized in the page (`SATO Taro`,
//!    `Taro Sato`, `"Sato","Taro"`, `ＳＡＴＯ　Ｔａｒｏ`), or in any case a whole cell or JSON
//!    value of ASCII text (`yamada taro,1985-04-02`), are looked up by their romaji keys
//!    ([`fingerprints::normalize::romaji`]), alone and, for readings stored without a space,
//!    as one word, and stand for the readings with those keys.
//! 4. **Multi-token values.** Confirmed tokens (and block numbers after a town) are walked
//!    through a trie over the token-id alphabet (the walk is anchored at a found token, so no
//!    Aho-Corasick failure links are needed), built at load time from the bundle's per-record
//!    token sequences: `山田 太郎`, `山田太郎`, `やまだ　たろう` and
//!    `尼崎市東七松町1-23-4` all end in a pattern of their record. An address whose town is in
//!    Latin letters (`2-8-2 Minamitakeya-cho, Amagasaki 660-0875`) is walked from the towns the
//!    bundle lists for its postal code (`fingerprints::Bundle::postal_towns`).
//! 5. **Corroboration.** Around each hit (same line, or [`MatcherConfig::proximity_chars`]
//!    either side), the record's birth date, postal code, name tokens and address prefixes
//!    are looked up in the bundle's record-scoped Bloom filter (name tokens written apart only
//!    where they are part of no other name found there). The fields found together give the
//!    confidence: see [`Confidence`].
//! 6. **Minimum confidence.** A matcher made with [`Matcher::with_min_confidence`] builds only
//!    the findings at or above it; the groups below are counted ([`ScanReport::records`], each
//!    reported finding's occurrences) but their spans and fields are never built.
//!
//! [`Matcher::scan_timed`] scans the same way and adds the time of each of these stages to a
//! [`StageTimes`], to tell which content is expensive.
//!
//! # Example
//!
//! ```
//! use fingerprints::records::Row;
//! use fingerprints::{BundleBuilder, FieldKind, SecretKey};
//! use matcher::{Confidence, Document, Matcher, MatcherConfig};
//!
//! let key = SecretKey::from_bytes([7; 32]);
//! let mut builder = BundleBuilder::new(&key);
//! builder.add_rows(vec![Row {
//!     line: 2,
//!     id: "A-1".into(),
//!     fields: vec![
//!         (FieldKind::Name, 0, "山田 太郎".into()),
//!         (FieldKind::BirthDate, 1, "1975-03-02".into()),
//!         (FieldKind::Phone, 2, "06-1234-5678".into()),
//!     ],
//! }]);
//! let (bundle, _) = builder.finish().unwrap();
//! let matcher = Matcher::new(bundle, MatcherConfig::default()).unwrap();
//!
//! let page = "流出: やまだ　たろう 昭和50年3月2日生 TEL (06)1234-5678";
//! let report = matcher.scan(&Document::new(page.as_bytes()));
//! assert_eq!(report.findings.len(), 1);
//! let f = &report.findings[0];
//! assert_eq!(f.confidence, Confidence::High);
//! assert_eq!(f.fields, [FieldKind::BirthDate, FieldKind::Phone]);
//! assert_eq!(f.record, matcher.bundle().record_ref(0).unwrap());
//!
//! // The name alone is a low finding; a matcher that wants medium and up counts it only.
//! let name_only = Document::new("山田太郎".as_bytes());
//! assert_eq!(matcher.scan(&name_only).findings[0].confidence, Confidence::Low);
//! let matcher = matcher.with_min_confidence(Confidence::Medium);
//! let report = matcher.scan(&name_only);
//! assert!(report.findings.is_empty());
//! assert_eq!(report.records, 1);
//! ```

#![deny(missing_docs)]

mod archive;
mod cfb;
mod config;
mod decode;
mod doc;
mod error;
mod finding;
mod html;
mod index;
mod mime;
mod msg;
mod pdf;
mod rar;
mod rc4;
mod rtf;
mod scan;
mod sqlite;
mod stages;
mod strings;
mod tnef;
mod unlock;
mod xls;

pub use config::{
    MatcherConfig, default_max_document_bytes, default_max_records_per_value,
    default_proximity_chars,
};
pub use error::{Error, ErrorKind};
pub use finding::{Confidence, Finding, ScanReport, SkipReason, Span, TextFormat};
pub use scan::{Document, Matcher};
pub use stages::StageTimes;
pub use unlock::Passwords;
