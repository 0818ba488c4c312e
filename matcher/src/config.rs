//! Matcher configuration.

use serde::{Deserialize, Serialize};

/// How the matcher reads documents and groups what it finds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatcherConfig {
    /// Documents larger than this are scanned up to this many bytes and flagged truncated.
    #[serde(default = "default_max_document_bytes")]
    pub max_document_bytes: usize,
    /// Fields of one record within this many characters of each other (or on the same line)
    /// are grouped into one finding.
    #[serde(default = "default_proximity_chars")]
    pub proximity_chars: usize,
    /// A name, reading or address shared by more register records than this is too common to
    /// stand for anyone: it still corroborates other fields of the same record, but it starts no
    /// finding of its own.
    #[serde(default = "default_max_records_per_value")]
    pub max_records_per_value: usize,
}

/// Default of [`MatcherConfig::max_document_bytes`]: 16 MiB.
pub fn default_max_document_bytes() -> usize {
    16 << 20
}

/// Default of [`MatcherConfig::proximity_chars`]: 300 characters.
pub fn default_proximity_chars() -> usize {
    300
}

/// Default of [`MatcherConfig::max_records_per_value`]: 256 records.
pub fn default_max_records_per_value() -> usize {
    256
}

impl Default for MatcherConfig {
    fn default() -> Self {
        MatcherConfig {
            max_document_bytes: default_max_document_bytes(),
            proximity_chars: default_proximity_chars(),
            max_records_per_value: default_max_records_per_value(),
        }
    }
}
