//! Stores alerts: the match history behind the live feed, the query API and the exports.
//!
//! An alert ([`wire::Alert`]) names one register record found in one page: the record's opaque
//! reference, the field *kinds*, byte offsets, the confidence, the page's URL and body hash.
//! No personal data, ever. Its id is the pipeline's idempotency key (page hash + bundle id +
//! record ref), so a store **upserts** on it: a redelivered page changes nothing, and the same
//! page seen again only moves [`StoredAlert::last_seen_ms`].
//!
//! Stores implement [`AlertStore`]; [`SqliteStore`] is the embedded default (WAL, schema
//! migrations by `user_version`). The API, live feed, triage and webhooks of the alerts issue
//! build on this trait.
//!
//! ```
//! use alerts::{AlertQuery, AlertStore, SqliteStore};
//! use wire::{Alert, Confidence, alert_id};
//!
//! let store = SqliteStore::open_in_memory().unwrap();
//! let page_hash = wire::body_hash(b"a leaked page");
//! let alert = Alert {
//!     v: wire::ALERT_VERSION,
//!     id: alert_id(&page_hash, "b1", "r0123456789abcdef"),
//!     source: "pastes".into(),
//!     url: "https://paste.example/raw/abc".into(),
//!     page_hash,
//!     fetched_at_ms: 1_000,
//!     detected_at_ms: 1_001,
//!     bundle_id: "b1".into(),
//!     record: "r0123456789abcdef".into(),
//!     confidence: Confidence::High,
//!     fields: vec!["birth_date".into(), "phone".into()],
//!     spans: vec![],
//!     occurrences: 1,
//!     page_records: 1,
//! };
//! assert_eq!(store.upsert(&[alert.clone()]).unwrap().inserted, 1);
//! // Delivered again: still one alert.
//! assert_eq!(store.upsert(&[alert]).unwrap().inserted, 0);
//! assert_eq!(store.count().unwrap(), 1);
//! let high = store.list(&AlertQuery { min_confidence: Some(Confidence::High), ..Default::default() }).unwrap();
//! assert_eq!(high[0].alert.record, "r0123456789abcdef");
//! ```
#![deny(missing_docs)]

mod sqlite;

pub use sqlite::SqliteStore;

use serde::{Deserialize, Serialize};
use wire::{Alert, Confidence};

/// Triage state of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not looked at yet.
    New,
    /// Someone is on it.
    Acknowledged,
    /// Not a leak of the register.
    FalsePositive,
    /// Handled.
    Resolved,
}

impl Status {
    /// The snake-case name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::FalsePositive => "false_positive",
            Status::Resolved => "resolved",
        }
    }

    fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "new" => Status::New,
            "acknowledged" => Status::Acknowledged,
            "false_positive" => Status::FalsePositive,
            "resolved" => Status::Resolved,
            _ => return None,
        })
    }
}

/// An alert as stored: the wire alert plus history and triage state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAlert {
    /// The alert as raised (its first sighting).
    pub alert: Alert,
    /// First time the page was seen (its `fetched_at_ms`), Unix ms.
    pub first_seen_ms: u64,
    /// Latest time the same page (same body) was seen again, Unix ms.
    pub last_seen_ms: u64,
    /// When the store first recorded the alert, Unix ms.
    pub stored_at_ms: u64,
    /// Triage state.
    pub status: Status,
}

/// What [`AlertStore::upsert`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upserted {
    /// Alerts that were new.
    pub inserted: usize,
    /// Their indexes in the input (to notify about new alerts only).
    pub new_alerts: Vec<usize>,
    /// Alerts already stored (a redelivery, or the same page seen again).
    pub existing: usize,
}

/// Filters of [`AlertStore::list`]; unset fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertQuery {
    /// Only alerts first seen at or after this Unix ms.
    pub since_ms: Option<u64>,
    /// Only alerts at or above this confidence.
    pub min_confidence: Option<Confidence>,
    /// Only alerts of this record reference.
    pub record: Option<String>,
    /// Only alerts of this crawl source.
    pub source: Option<String>,
    /// At most this many alerts (newest first); unset: all.
    pub limit: Option<usize>,
}

/// Errors of a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database failed (I/O, locked, full disk).
    #[error("alert store: {context}: {source}")]
    Db {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database holds something this build cannot read (a newer schema, a bad row).
    #[error("alert store: {0}")]
    Corrupt(String),
}

impl Error {
    /// What the caller can do about it.
    pub fn kind(&self) -> wire::ErrorKind {
        match self {
            Error::Db { .. } => wire::ErrorKind::Retry,
            Error::Corrupt(_) => wire::ErrorKind::BadInput,
        }
    }
}

/// Where alerts are kept. Implementations are idempotent on [`Alert::id`].
pub trait AlertStore: Send + Sync {
    /// Inserts new alerts and, for alerts already stored, moves `last_seen_ms` forward to the
    /// alert's `fetched_at_ms` if that is later. All or nothing.
    fn upsert(&self, alerts: &[Alert]) -> Result<Upserted, Error>;
    /// One alert by id.
    fn get(&self, id: &str) -> Result<Option<StoredAlert>, Error>;
    /// Alerts matching `query`, newest first.
    fn list(&self, query: &AlertQuery) -> Result<Vec<StoredAlert>, Error>;
    /// Number of stored alerts.
    fn count(&self) -> Result<u64, Error>;
}
