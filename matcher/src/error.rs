//! Errors of the matcher.

/// What can go wrong loading a matcher. Scanning itself never fails: a document that cannot be
/// read is reported as skipped, with a reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bundle could not be opened (I/O, wrong key, corrupt, truncated, …).
    #[error(transparent)]
    Bundle(#[from] fingerprints::Error),
    /// The multi-token index could not be built from the bundle (it exceeds an internal limit).
    #[error("cannot build the multi-token index: {0}")]
    Index(String),
}

impl Error {
    /// Whether retrying may help, the input is bad, or this is a bug.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Bundle(e) => match e.kind() {
                fingerprints::ErrorKind::Retry => ErrorKind::Retry,
                fingerprints::ErrorKind::BadInput => ErrorKind::BadInput,
            },
            Error::Index(_) => ErrorKind::Bug,
        }
    }
}

/// Coarse classes of [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Environmental (I/O); trying again may work.
    Retry,
    /// The input (bundle, key) is wrong; retrying will not help.
    BadInput,
    /// An internal limit or invariant was violated.
    Bug,
}
