//! What a scan reports: opaque record references, field kinds, spans and confidence — never a
//! value.

use fingerprints::{FieldKind, RecordRef};
use serde::{Deserialize, Serialize};

/// How sure a finding is that a register record is in the document: the type alerts carry too
/// (`wire::Confidence`). Low: one field of the record; medium: two independent fields (e.g.
/// name and birth date); high: a strong identifier plus another field, or three fields.
pub use wire::Confidence;

/// Where one field of a record was found: byte offsets into the document's text (the decoded
/// text, or for HTML the extracted text), and the field kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// The field kind found there.
    pub kind: FieldKind,
}

/// One register record found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The record's opaque reference (only the data owner can resolve it).
    pub record: RecordRef,
    /// Confidence of the best group of this record's fields in the document.
    pub confidence: Confidence,
    /// The field kinds of that group, sorted.
    pub fields: Vec<FieldKind>,
    /// Where those fields are.
    pub spans: Vec<Span>,
    /// How many separate places (groups) in the document name this record.
    pub occurrences: u32,
}

/// Why a document was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The bytes look binary (NUL bytes, control characters, a known binary file signature).
    Binary,
    /// The document is empty.
    Empty,
}

impl SkipReason {
    /// Snake-case name used in output and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::Empty => "empty",
        }
    }
}

/// How the document's text was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextFormat {
    /// Used as it is (prose, CSV, JSON, SQL, …).
    Plain,
    /// Visible text extracted from HTML.
    Html,
    /// The text of e-mail messages (one, or an mbox of many): header lines with encoded words
    /// decoded, parts with their transfer encoding undone; or of an Outlook message (`.msg`):
    /// its string properties and attachments.
    Mail,
    /// The text of what an archive or a compressed file holds: a spreadsheet's (`.xlsx`,
    /// `.xls`) rows, a document's paragraphs (`.docx`, `.doc`, `.odt`, `.rtf`), a presentation's text
    /// (`.pptx`, `.ppt`, `.odp`), or the files' of a ZIP, 7z or tar archive or of a gzip, xz,
    /// Zstandard or bzip2 file.
    Archive,
    /// The rows of an SQLite database file's tables, a line each.
    Database,
    /// The text runs of a binary file of no format the matcher reads (another database's data
    /// file, an old word processor's document, a disk image), in UTF-8 or UTF-16, a line
    /// each, as `strings` prints them. Pictures, sounds, videos, fonts and programs are
    /// skipped as binary instead.
    Strings,
}

/// The result of scanning one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Bytes of the document as given (before the size cap).
    pub bytes: u64,
    /// The character encoding the document was decoded with (WHATWG name).
    pub encoding: &'static str,
    /// Plain text or extracted HTML.
    pub format: TextFormat,
    /// True when the document was larger than the size cap and only its start was scanned.
    pub truncated: bool,
    /// Set when the document was not scanned at all.
    pub skipped: Option<SkipReason>,
    /// The records found at or above the matcher's minimum confidence, highest first.
    pub findings: Vec<Finding>,
    /// How many register records the document names at any confidence (those below the
    /// matcher's minimum confidence included, though their findings were not built).
    pub records: u32,
    /// Encrypted files and archive entries in the document that no password known opened,
    /// or whose encryption is not read, and encrypted messages pasted into its text in ASCII
    /// armour (OpenPGP's, age's): what they hold was not scanned, so a document with
    /// no finding may still hold residents there (give the password with
    /// [`crate::Matcher::with_passwords`]).
    #[serde(default)]
    pub locked: u32,
}

impl ScanReport {
    /// The findings at or above `min`.
    pub fn at_least(&self, min: Confidence) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.confidence >= min)
    }
}
