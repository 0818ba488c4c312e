//! Errors of the transports.

/// Coarse classes of errors, shared by leakwatch's crates, for callers that decide what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Environmental (network, I/O, a full or closed transport); trying again later may work.
    Retry,
    /// The input (a URL, a config value, a response) is wrong; retrying will not help.
    BadInput,
    /// An invariant of ours was broken; this is a bug.
    Bug,
}

/// A page could not be handed to a sink.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The sink was closed (its consumer went away).
    #[error("page sink is closed")]
    Closed,
    /// Writing to the sink failed.
    #[error("page sink: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The page could not be encoded for the transport.
    #[error("page sink: cannot encode page metadata: {0}")]
    Encode(String),
    /// The transport (a broker, a store) failed; trying again may work.
    #[error("sink: {0}")]
    Transport(String),
}

impl SinkError {
    /// What the caller can do about it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SinkError::Closed | SinkError::Io { .. } | SinkError::Transport(_) => ErrorKind::Retry,
            SinkError::Encode(_) => ErrorKind::Bug,
        }
    }
}

/// The frontier could not take or hand out a task.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrontierError {
    /// The frontier was closed (shutdown).
    #[error("crawl frontier is closed")]
    Closed,
    /// The frontier's backing transport failed.
    #[error("crawl frontier: {0}")]
    Transport(String),
}

impl FrontierError {
    /// What the caller can do about it.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Retry
    }
}

/// A transport could not hand out or acknowledge an item.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The transport failed (broker unreachable, consumer error); trying again may work.
    #[error("message source: {0}")]
    Transport(String),
    /// The transport is misconfigured (unknown topic, bad client property).
    #[error("message source configuration: {0}")]
    Config(String),
}

impl SourceError {
    /// What the caller can do about it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SourceError::Transport(_) => ErrorKind::Retry,
            SourceError::Config(_) => ErrorKind::BadInput,
        }
    }
}
