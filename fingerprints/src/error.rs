//! The crate's error type.

use crate::normalize::NormalizeError;

/// Everything that can go wrong reading registers, schemas, keys and bundles.
///
/// Messages name files, line numbers, columns and reasons — never a field value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The key file does not hold a key.
    #[error("key file {path} does not hold a key (expected 32 raw bytes or 64 hex digits)")]
    BadKeyFile {
        /// The key file.
        path: String,
    },
    /// `keygen` refuses to overwrite.
    #[error("key file {path} already exists; refusing to overwrite it")]
    KeyFileExists {
        /// The key file.
        path: String,
    },
    /// The schema file is invalid.
    #[error("schema: {0}")]
    Schema(String),
    /// The register cannot be read at all (not a single malformed row: those are reported per row).
    #[error("records: {0}")]
    Records(String),
    /// The register produced no valid record.
    #[error("records: no valid record to build a bundle from ({rejected} rows rejected)")]
    NoRecords {
        /// Rows rejected.
        rejected: usize,
    },
    /// The file is not a leakwatch bundle.
    #[error("not a leakwatch fingerprint bundle (bad magic bytes)")]
    NotABundle,
    /// The bundle was written in another format version (older or newer).
    #[error(
        "bundle format version {found} is not supported (this build reads version {supported}): \
         build it again from the register with `leakwatch fingerprint build`"
    )]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The bundle is shorter than its header says.
    #[error("bundle is truncated: expected {expected} bytes, found {found}")]
    Truncated {
        /// Bytes the header announces.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// A checksum does not match: the file was altered or damaged.
    #[error("bundle is corrupt: {0}")]
    Corrupt(String),
    /// The key is not the one the bundle was built with.
    #[error(
        "wrong key: the bundle was built with key id {bundle}, the key file has key id {given}"
    )]
    WrongKey {
        /// Key id recorded in the bundle.
        bundle: String,
        /// Key id of the key given.
        given: String,
    },
    /// A value did not normalize (used by single-value APIs; register rows report per row).
    #[error("{0}")]
    Normalize(#[from] NormalizeError),
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// What the caller can do about it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } => ErrorKind::Retry,
            _ => ErrorKind::BadInput,
        }
    }
}

/// Coarse classes of [`Error`], for callers that decide what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Environmental (I/O); trying again may work.
    Retry,
    /// The input (file, key, schema, value) is wrong; retrying will not help.
    BadInput,
}
