//! The crate's error types.

pub use wire::ErrorKind;

/// Errors that stop the crawler from starting or running (configuration, the seen-state store,
/// the sink). Errors of single fetches are [`FetchError`]s: they are counted, not returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid; the message names the key.
    #[error("config: {0}")]
    Config(String),
    /// An I/O operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The seen-state store failed.
    #[error("seen-state store {path}: {source}")]
    Store {
        /// The store's path (`:memory:` for an in-memory store).
        path: String,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// The page sink failed.
    #[error(transparent)]
    Sink(#[from] wire::SinkError),
    /// The frontier failed.
    #[error(transparent)]
    Frontier(#[from] wire::FrontierError),
    /// An invariant of ours was broken.
    #[error("internal error (a bug): {0}")]
    Bug(String),
}

impl Error {
    /// What the caller can do about it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::BadInput,
            Error::Io { .. } | Error::Store { .. } => ErrorKind::Retry,
            Error::Sink(e) => e.kind(),
            Error::Frontier(e) => e.kind(),
            Error::Bug(_) => ErrorKind::Bug,
        }
    }

    pub(crate) fn config(msg: impl Into<String>) -> Error {
        Error::Config(msg.into())
    }
}

/// Why a fetch failed, as counted in `leakwatch_crawler_errors_total{kind}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchErrorKind {
    /// Connect, request or body timeout.
    Timeout,
    /// TCP connect or DNS failed.
    Connect,
    /// TLS handshake failed.
    Tls,
    /// The server broke HTTP (or closed the connection early).
    Protocol,
    /// The server answered 429 or 5xx.
    Status,
    /// The body could not be decoded (bad gzip/deflate data).
    Decode,
    /// Tor: the onion service's descriptor was not found (back off long).
    TorOnionNotFound,
    /// Tor: the onion service is unreachable now (not running, circuit failed): retry later.
    TorOnionUnreachable,
    /// Tor: the onion address is invalid: drop the URL.
    TorBadAddress,
    /// Tor: the onion service needs client authorization we do not have: drop the URL.
    TorClientAuth,
    /// Tor: the embedded client could not bootstrap or is not usable.
    TorBootstrap,
    /// Tor: the network or the exit/rendezvous path failed: retry later.
    TorNetwork,
    /// Tor: anything else arti reports.
    TorOther,
}

impl FetchErrorKind {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            FetchErrorKind::Timeout => "timeout",
            FetchErrorKind::Connect => "connect",
            FetchErrorKind::Tls => "tls",
            FetchErrorKind::Protocol => "protocol",
            FetchErrorKind::Status => "status",
            FetchErrorKind::Decode => "decode",
            FetchErrorKind::TorOnionNotFound => "tor_onion_not_found",
            FetchErrorKind::TorOnionUnreachable => "tor_onion_unreachable",
            FetchErrorKind::TorBadAddress => "tor_bad_address",
            FetchErrorKind::TorClientAuth => "tor_client_auth",
            FetchErrorKind::TorBootstrap => "tor_bootstrap",
            FetchErrorKind::TorNetwork => "tor_network",
            FetchErrorKind::TorOther => "tor_other",
        }
    }

    /// What to do with the URL.
    pub fn retry(self) -> Retry {
        match self {
            FetchErrorKind::Timeout
            | FetchErrorKind::Connect
            | FetchErrorKind::Protocol
            | FetchErrorKind::Status
            | FetchErrorKind::TorOnionUnreachable
            | FetchErrorKind::TorBootstrap
            | FetchErrorKind::TorNetwork
            | FetchErrorKind::TorOther => Retry::Soon,
            FetchErrorKind::TorOnionNotFound => Retry::Later,
            FetchErrorKind::Tls
            | FetchErrorKind::Decode
            | FetchErrorKind::TorBadAddress
            | FetchErrorKind::TorClientAuth => Retry::Never,
        }
    }
}

/// What a failed fetch calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Retry with the normal backoff.
    Soon,
    /// Retry after a long backoff (`onion.not_found_backoff_ms`).
    Later,
    /// Drop the URL: retrying will not help.
    Never,
}

/// One fetch failed.
#[derive(Debug, thiserror::Error)]
#[error("{kind_str}: {message}", kind_str = .kind.as_str())]
pub struct FetchError {
    /// The class of failure.
    pub kind: FetchErrorKind,
    /// What happened (names the URL's host, never a body).
    pub message: String,
    /// `Retry-After` of a 429/503 response, if any.
    pub retry_after: Option<std::time::Duration>,
    /// The HTTP status, for [`FetchErrorKind::Status`].
    pub status: Option<u16>,
}

impl FetchError {
    pub(crate) fn new(kind: FetchErrorKind, message: impl Into<String>) -> FetchError {
        FetchError {
            kind,
            message: message.into(),
            retry_after: None,
            status: None,
        }
    }

    /// What the caller can do about it.
    pub fn error_kind(&self) -> ErrorKind {
        match self.kind.retry() {
            Retry::Soon | Retry::Later => ErrorKind::Retry,
            Retry::Never => ErrorKind::BadInput,
        }
    }
}
