//! Stores alerts: the match history behind the live feed, the query API, triage, webhooks and
//! the exports.
//!
//! An alert ([`wire::Alert`]) names one register record found in one page: the record's opaque
//! reference, the field *kinds*, byte offsets, the confidence, the page's URL and body hash.
//! No personal data, ever. Its id is the pipeline's idempotency key (page hash + bundle id +
//! record ref), so a store **upserts** on it: a redelivered page changes nothing, and the same
//! page seen again only moves [`StoredAlert::last_seen_ms`].
//!
//! Stores implement [`AlertStore`]: [`SqliteStore`] is the embedded default (WAL, schema
//! migrations by `user_version`), [`PostgresStore`] the shared one (migrations in a
//! `schema_migrations` table). [`open`] opens the one a [`StoreConfig`] names. Both pass the
//! same test suite (`alerts/tests/store_suite.rs`).
//!
//! Every new alert gets a [`StoredAlert::seq`], a monotonic insertion sequence: the live feed's
//! event id and the webhooks' delivery cursor ([`AlertStore::after_seq`]). A record already
//! alerted on the same URL within the suppression window is stored with
//! [`StoredAlert::suppressed`] set and left out of [`Upserted::notify`].
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
//! let done = store.upsert(&[alert.clone()]).unwrap();
//! assert_eq!((done.inserted, done.notify.as_slice()), (1, &[0][..]));
//! // Delivered again: still one alert.
//! assert_eq!(store.upsert(&[alert]).unwrap().inserted, 0);
//! assert_eq!(store.count().unwrap(), 1);
//! let high = store.list(&AlertQuery { min_confidence: Some(Confidence::High), ..Default::default() }).unwrap();
//! assert_eq!(high.alerts[0].alert.record, "r0123456789abcdef");
//! ```
#![deny(missing_docs)]

pub mod api;
mod config;
mod postgres;
mod purge;
mod sqlite;
pub mod webhook;

pub use config::{Secret, StoreConfig, StoreType, open};
pub use postgres::PostgresStore;
pub use purge::{PurgeJob, purge_now, spawn_purge};
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
    /// Every status, in workflow order.
    pub const ALL: [Status; 4] = [
        Status::New,
        Status::Acknowledged,
        Status::FalsePositive,
        Status::Resolved,
    ];

    /// The snake-case name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::FalsePositive => "false_positive",
            Status::Resolved => "resolved",
        }
    }

    /// The status named `s` (`new`, `acknowledged`, `false_positive`, `resolved`).
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Status, String> {
        Status::parse(s).ok_or_else(|| {
            format!("unknown status {s:?} (new, acknowledged, false_positive, resolved)")
        })
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An alert as stored: the wire alert plus history and triage state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAlert {
    /// Insertion sequence: strictly increasing in insertion order, never reused (not even after
    /// a purge). The live feed's event id and the webhooks' cursor.
    pub seq: u64,
    /// The alert as raised (its first sighting).
    pub alert: Alert,
    /// First time the page was seen (its `fetched_at_ms`), Unix ms.
    pub first_seen_ms: u64,
    /// Latest time the same page (same body) was seen again, Unix ms.
    pub last_seen_ms: u64,
    /// When the store first recorded the alert, Unix ms.
    pub stored_at_ms: u64,
    /// Last triage change (status, assignee, note), Unix ms; `stored_at_ms` before any.
    pub updated_at_ms: u64,
    /// Triage state.
    pub status: Status,
    /// Who is on it (a user name from the API's tokens or the CLI), if anyone.
    pub assignee: Option<String>,
    /// Notes added in triage (their text is in the [`AlertStore::audit`] trail).
    pub notes_count: u32,
    /// The same record was already alerted on the same URL within the suppression window, so
    /// this alert notified nobody (it is stored and listed all the same).
    pub suppressed: bool,
}

/// What [`AlertStore::upsert`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upserted {
    /// Alerts that were new.
    pub inserted: usize,
    /// Their indexes in the input.
    pub new_alerts: Vec<usize>,
    /// Alerts already stored (a redelivery, or the same page seen again).
    pub existing: usize,
    /// Indexes in the input of the new alerts that are not suppressed: the ones to notify
    /// about (live feed, webhooks). A subset of `new_alerts`.
    pub notify: Vec<usize>,
}

/// Page size of [`AlertStore::list`] when [`AlertQuery::limit`] is unset.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size of [`AlertStore::list`].
pub const MAX_LIMIT: usize = 1000;

/// Filters of [`AlertStore::list`]; unset fields do not filter. Results are newest first by
/// `(first_seen_ms, seq)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertQuery {
    /// Only alerts first seen at or after this Unix ms.
    pub since_ms: Option<u64>,
    /// Only alerts first seen before this Unix ms.
    pub until_ms: Option<u64>,
    /// Only alerts at or above this confidence.
    pub min_confidence: Option<Confidence>,
    /// Only alerts of this record reference.
    pub record: Option<String>,
    /// Only alerts of this crawl source.
    pub source: Option<String>,
    /// Only alerts in this triage state.
    pub status: Option<Status>,
    /// Only alerts whose URL contains this text (ASCII case-insensitive; `%` and `_` are
    /// plain characters).
    pub url_contains: Option<String>,
    /// Only alerts of this page (body hash): every record one page named.
    pub page_hash: Option<String>,
    /// Continue after the page that returned this [`AlertPage::next_cursor`].
    pub cursor: Option<String>,
    /// Page size: default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`].
    pub limit: Option<usize>,
}

impl AlertQuery {
    /// The page size used: `limit` within `1..=MAX_LIMIT`, [`DEFAULT_LIMIT`] if unset.
    pub fn effective_limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }
}

/// One page of [`AlertStore::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPage {
    /// The alerts, newest first.
    pub alerts: Vec<StoredAlert>,
    /// Pass as [`AlertQuery::cursor`] (with the same filters) for the next page; `None` on the
    /// last page.
    pub next_cursor: Option<String>,
}

/// Position after an alert in the `(first_seen_ms, seq)` newest-first order (keyset
/// pagination: rows inserted meanwhile neither shift nor repeat the pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) first_seen_ms: u64,
    pub(crate) seq: u64,
}

impl Cursor {
    pub(crate) fn encode(self) -> String {
        format!("c{:x}.{:x}", self.first_seen_ms, self.seq)
    }

    pub(crate) fn decode(s: &str) -> Result<Cursor, Error> {
        let bad = || Error::BadInput("cursor: not a cursor of this alert store".into());
        let (a, b) = s
            .strip_prefix('c')
            .and_then(|r| r.split_once('.'))
            .ok_or_else(bad)?;
        let num = |t: &str| {
            if t.is_empty() || t.len() > 16 {
                return Err(bad());
            }
            u64::from_str_radix(t, 16).map_err(|_| bad())
        };
        let c = Cursor {
            first_seen_ms: num(a)?,
            seq: num(b)?,
        };
        if c.first_seen_ms > i64::MAX as u64 || c.seq > i64::MAX as u64 {
            return Err(bad());
        }
        Ok(c)
    }
}

/// The `LIKE` pattern of [`AlertQuery::url_contains`], with `\` as the escape character.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A triage change ([`AlertStore::triage`]); unset fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triage {
    /// The new status.
    pub status: Option<Status>,
    /// The new assignee: `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
    /// A note to append (not a personal value: the store cannot tell, the analyst must not).
    pub note: Option<String>,
}

/// Longest note accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = 4096;
/// Longest assignee or actor name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 200;

impl Triage {
    /// Checks sizes; errors name the field.
    pub fn validate(&self, actor: &str) -> Result<(), Error> {
        if actor.trim().is_empty() || actor.len() > MAX_NAME_BYTES {
            return Err(Error::BadInput(format!(
                "actor: must be 1 to {MAX_NAME_BYTES} bytes"
            )));
        }
        if let Some(Some(a)) = &self.assignee
            && (a.trim().is_empty() || a.len() > MAX_NAME_BYTES)
        {
            return Err(Error::BadInput(format!(
                "assignee: must be 1 to {MAX_NAME_BYTES} bytes (unassign with null)"
            )));
        }
        if let Some(n) = &self.note
            && (n.trim().is_empty() || n.len() > MAX_NOTE_BYTES)
        {
            return Err(Error::BadInput(format!(
                "note: must be 1 to {MAX_NOTE_BYTES} bytes"
            )));
        }
        Ok(())
    }

    /// What this triage changes on an alert that is now `before`, in the audit trail's order
    /// (status, assignee, note): a status or assignee equal to the current one is no change,
    /// a note always is. Both stores apply these, each in its own SQL.
    pub(crate) fn edits<'a>(&'a self, before: &'a StoredAlert) -> Vec<Edit<'a>> {
        let mut edits = Vec::new();
        if let Some(status) = self.status
            && status != before.status
        {
            edits.push(Edit {
                what: Edited::Status,
                old: Some(before.status.as_str()),
                new: Some(status.as_str()),
            });
        }
        if let Some(assignee) = &self.assignee
            && *assignee != before.assignee
        {
            edits.push(Edit {
                what: Edited::Assignee,
                old: before.assignee.as_deref(),
                new: assignee.as_deref(),
            });
        }
        if let Some(note) = &self.note {
            edits.push(Edit {
                what: Edited::Note,
                old: None,
                new: Some(note),
            });
        }
        edits
    }
}

/// What one [`Edit`] of a triage changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edited {
    /// The alert's status column.
    Status,
    /// The alert's assignee column (`NULL`: unassigned).
    Assignee,
    /// A note: the alert's note count goes up by one; the text is kept in the audit trail only.
    Note,
}

impl Edited {
    /// The audit trail's `field`.
    pub(crate) fn field(self) -> &'static str {
        match self {
            Edited::Status => "status",
            Edited::Assignee => "assignee",
            Edited::Note => "note",
        }
    }

    /// What applying it is doing, for a database error.
    pub(crate) fn doing(self) -> &'static str {
        match self {
            Edited::Status => "updating the status",
            Edited::Assignee => "updating the assignee",
            Edited::Note => "counting a note",
        }
    }
}

/// One change of a triage: its column and its audit entry's old and new values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit<'a> {
    /// What changes.
    pub what: Edited,
    /// The value before (the audit trail's `old`).
    pub old: Option<&'a str>,
    /// The value after (the audit trail's `new`; a note's text).
    pub new: Option<&'a str>,
}

/// One change in an alert's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The alert.
    pub alert_id: String,
    /// When, Unix ms.
    pub at_ms: u64,
    /// Who (the token's user name, or the CLI's `--actor`).
    pub actor: String,
    /// What: `status`, `assignee` or `note`.
    pub field: String,
    /// Value before (`None`: unset; always `None` for a note).
    pub old: Option<String>,
    /// Value after (`None`: unset); a note's text.
    pub new: Option<String>,
}

/// Alerts by confidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfidenceCounts {
    /// `low` alerts.
    pub low: u64,
    /// `medium` alerts.
    pub medium: u64,
    /// `high` alerts.
    pub high: u64,
}

impl ConfidenceCounts {
    pub(crate) fn add(&mut self, c: Confidence, n: u64) {
        match c {
            Confidence::Low => self.low += n,
            Confidence::Medium => self.medium += n,
            Confidence::High => self.high += n,
        }
    }
}

/// Alerts first seen on one UTC day, by confidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Its alerts by confidence.
    #[serde(flatten)]
    pub counts: ConfidenceCounts,
}

/// A count under a name (a source, a status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCount {
    /// The source id or status name.
    pub name: String,
    /// Alerts.
    pub count: u64,
}

/// What [`AlertStore::stats`] counts (alerts first seen since the given time, or all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Alerts.
    pub total: u64,
    /// Distinct record references among them (affected residents).
    pub distinct_records: u64,
    /// Of them suppressed (no notification).
    pub suppressed: u64,
    /// By confidence.
    pub by_confidence: ConfidenceCounts,
    /// By UTC day of `first_seen_ms` and confidence, oldest day first (days without alerts
    /// are left out).
    pub by_day: Vec<DayCount>,
    /// By crawl source, most alerts first (then by name).
    pub by_source: Vec<NamedCount>,
    /// By triage status, in [`Status::ALL`] order (every status, zeros included).
    pub by_status: Vec<NamedCount>,
}

/// The UTC day (`YYYY-MM-DD`) of a Unix day number (days since 1970-01-01).
pub fn utc_day(days: i64) -> String {
    // Howard Hinnant's civil-from-days algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;

/// A failed webhook delivery, kept after the webhook's last retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The webhook's name in the configuration.
    pub webhook: String,
    /// The alert that could not be delivered.
    pub alert_id: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's error (status code or transport error; never a secret).
    pub last_error: String,
    /// When it was given up, Unix ms.
    pub at_ms: u64,
}

/// Errors of a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database failed (I/O, locked, full disk, connection lost).
    #[error("alert store: {context}: {source}")]
    Db {
        /// What was being done.
        context: String,
        /// The underlying error (rusqlite's or postgres').
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database holds something this build cannot read (a newer schema, a bad row).
    #[error("alert store: {0}")]
    Corrupt(String),
    /// The caller asked for something invalid (a foreign cursor, an empty note); names the
    /// field.
    #[error("{0}")]
    BadInput(String),
    /// The store's configuration is unusable; names the key (`store.url_file: ...`).
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// What the caller can do about it.
    pub fn kind(&self) -> wire::ErrorKind {
        match self {
            Error::Db { .. } => wire::ErrorKind::Retry,
            Error::Corrupt(_) | Error::BadInput(_) | Error::Config(_) => wire::ErrorKind::BadInput,
        }
    }

    pub(crate) fn db<E: std::error::Error + Send + Sync + 'static>(
        context: &str,
    ) -> impl FnOnce(E) -> Error + '_ {
        move |source| Error::Db {
            context: context.to_owned(),
            source: Box::new(source),
        }
    }
}

/// Where alerts are kept. Implementations are idempotent on [`Alert::id`] and safe to share
/// between threads. Calls block: async callers use a blocking pool (`spawn_blocking`).
pub trait AlertStore: Send + Sync {
    /// Inserts new alerts and, for alerts already stored, moves `last_seen_ms` forward to the
    /// alert's `fetched_at_ms` if that is later. A new alert whose record was already alerted
    /// on the same URL (by a not suppressed alert first seen within the suppression window
    /// before it) is stored suppressed. All or nothing; of concurrent writers of one alert
    /// exactly one sees it as new.
    fn upsert(&self, alerts: &[Alert]) -> Result<Upserted, Error>;
    /// One alert by id.
    fn get(&self, id: &str) -> Result<Option<StoredAlert>, Error>;
    /// One page of the alerts matching `query`, newest first by `(first_seen_ms, seq)`.
    fn list(&self, query: &AlertQuery) -> Result<AlertPage, Error>;
    /// Number of stored alerts.
    fn count(&self) -> Result<u64, Error>;
    /// Applies a triage change by `actor` at `now_ms`, appending one [`AuditEntry`] per field
    /// that changed (a note is always one). `None` if there is no such alert.
    fn triage(
        &self,
        id: &str,
        change: &Triage,
        actor: &str,
        now_ms: u64,
    ) -> Result<Option<StoredAlert>, Error>;
    /// The audit trail of one alert, oldest first.
    fn audit(&self, id: &str) -> Result<Vec<AuditEntry>, Error>;
    /// Counts of the alerts first seen at or after `since_ms` (all if `None`).
    fn stats(&self, since_ms: Option<u64>) -> Result<Stats, Error>;
    /// Up to `limit` alerts with a `seq` greater than `seq`, in insertion order (the live
    /// feed's resume and the webhooks' delivery). Never skips an alert that becomes visible
    /// later with a lower seq than one already returned.
    fn after_seq(&self, seq: u64, limit: usize) -> Result<Vec<StoredAlert>, Error>;
    /// Retention: deletes the alerts last seen before `older_than_ms`, with their audit
    /// trails. Returns how many alerts were deleted.
    fn purge(&self, older_than_ms: u64) -> Result<u64, Error>;
    /// The delivery cursor (a `seq`) of a webhook; `None` if none was ever saved (a webhook that
    /// never ran: it starts at the end of the history).
    fn webhook_cursor(&self, webhook: &str) -> Result<Option<u64>, Error>;
    /// Saves the delivery cursor of a webhook. It only moves forward: a process that lost the
    /// webhook's lease while a POST was in flight cannot set it back behind the new holder.
    fn set_webhook_cursor(&self, webhook: &str, seq: u64) -> Result<(), Error>;
    /// Takes or renews the delivery lease of `webhook` for `holder` until `ttl_ms` from now.
    /// True when `holder` holds it afterwards: it was free, had expired, or was `holder`'s
    /// already. Processes sharing a store (alerts replicas) deliver each webhook from the one
    /// holding its lease, so a receiver gets each notification once, not once per process.
    fn webhook_lease(&self, webhook: &str, holder: &str, ttl_ms: u64) -> Result<bool, Error>;
    /// Gives up `holder`'s lease of `webhook`, if it holds it, so that another process can
    /// take it at once instead of after its expiry.
    fn release_webhook_lease(&self, webhook: &str, holder: &str) -> Result<(), Error>;
    /// Records a delivery given up.
    fn dead_letter(&self, entry: &DeadLetter) -> Result<(), Error>;
    /// Dead letters, newest first, of one webhook or of all.
    fn dead_letters(&self, webhook: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>, Error>;
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(crate) fn confidence_num(c: Confidence) -> i64 {
    match c {
        Confidence::Low => 0,
        Confidence::Medium => 1,
        Confidence::High => 2,
    }
}

pub(crate) fn confidence_of(n: i64) -> Option<Confidence> {
    Some(match n {
        0 => Confidence::Low,
        1 => Confidence::Medium,
        2 => Confidence::High,
        _ => return None,
    })
}

/// Builds [`Stats`] from grouped rows: `(day, confidence, source, status, suppressed, count)`.
pub(crate) struct StatsBuilder {
    stats: Stats,
    days: std::collections::BTreeMap<i64, ConfidenceCounts>,
    sources: std::collections::BTreeMap<String, u64>,
    statuses: [u64; 4],
}

impl StatsBuilder {
    pub(crate) fn new() -> StatsBuilder {
        StatsBuilder {
            stats: Stats::default(),
            days: Default::default(),
            sources: Default::default(),
            statuses: [0; 4],
        }
    }

    pub(crate) fn add(
        &mut self,
        day: i64,
        confidence: i64,
        source: String,
        status: &str,
        suppressed: bool,
        n: u64,
    ) -> Result<(), Error> {
        let c = confidence_of(confidence)
            .ok_or_else(|| Error::Corrupt(format!("bad confidence {confidence}")))?;
        let st = Status::parse(status)
            .ok_or_else(|| Error::Corrupt(format!("bad status {status:?}")))?;
        self.stats.total += n;
        if suppressed {
            self.stats.suppressed += n;
        }
        self.stats.by_confidence.add(c, n);
        self.days.entry(day).or_default().add(c, n);
        *self.sources.entry(source).or_default() += n;
        if let Some(i) = Status::ALL.iter().position(|s| *s == st) {
            self.statuses[i] += n;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self, distinct_records: u64) -> Stats {
        self.stats.distinct_records = distinct_records;
        self.stats.by_day = self
            .days
            .into_iter()
            .map(|(d, counts)| DayCount {
                day: utc_day(d),
                counts,
            })
            .collect();
        let mut sources: Vec<NamedCount> = self
            .sources
            .into_iter()
            .map(|(name, count)| NamedCount { name, count })
            .collect();
        sources.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        self.stats.by_source = sources;
        self.stats.by_status = Status::ALL
            .iter()
            .zip(self.statuses)
            .map(|(s, count)| NamedCount {
                name: s.as_str().into(),
                count,
            })
            .collect();
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_days() {
        for (days, want) in [
            (0, "1970-01-01"),
            (-1, "1969-12-31"),
            (59, "1970-03-01"),
            (11_016, "2000-02-29"),
            (20_000, "2024-10-04"),
            (19_358, "2023-01-01"),
        ] {
            assert_eq!(utc_day(days), want, "{days}");
        }
    }

    #[test]
    fn a_triage_edits_only_what_it_changes() {
        let before = StoredAlert {
            seq: 1,
            alert: Alert {
                v: wire::ALERT_VERSION,
                id: "a".repeat(32),
                source: "s".into(),
                url: "http://h/p".into(),
                page_hash: "0".repeat(64),
                fetched_at_ms: 1,
                detected_at_ms: 1,
                bundle_id: "b".into(),
                record: "r0000000000000001".into(),
                confidence: Confidence::High,
                fields: vec!["name".into(), "phone".into()],
                spans: Vec::new(),
                occurrences: 1,
                page_records: 1,
            },
            first_seen_ms: 1,
            last_seen_ms: 1,
            stored_at_ms: 1,
            updated_at_ms: 1,
            status: Status::Acknowledged,
            assignee: Some("kim".into()),
            notes_count: 0,
            suppressed: false,
        };
        let triage = |status, assignee: Option<Option<&str>>, note: Option<&str>| Triage {
            status,
            assignee: assignee.map(|a| a.map(str::to_owned)),
            note: note.map(str::to_owned),
        };
        // (triage, the edits as (field, old, new))
        type Want = Vec<(&'static str, Option<&'static str>, Option<&'static str>)>;
        let cases: Vec<(Triage, Want)> = vec![
            (triage(None, None, None), vec![]),
            (
                triage(Some(Status::Acknowledged), Some(Some("kim")), None),
                vec![],
            ),
            (
                triage(Some(Status::Resolved), None, None),
                vec![("status", Some("acknowledged"), Some("resolved"))],
            ),
            (
                triage(None, Some(None), None),
                vec![("assignee", Some("kim"), None)],
            ),
            (
                triage(Some(Status::FalsePositive), Some(Some("lee")), Some("dup")),
                vec![
                    ("status", Some("acknowledged"), Some("false_positive")),
                    ("assignee", Some("kim"), Some("lee")),
                    ("note", None, Some("dup")),
                ],
            ),
        ];
        for (t, want) in cases {
            let got: Vec<_> = t
                .edits(&before)
                .iter()
                .map(|e| (e.what.field(), e.old, e.new))
                .collect();
            assert_eq!(got, want, "{t:?}");
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            first_seen_ms: 1_700_000_000_000,
            seq: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in [
            "",
            "c",
            "c1",
            "c.1",
            "c1.",
            "x1.2",
            "c1.2.3",
            "c-1.2",
            "cffffffffffffffff.1",
            "c11111111111111111.1",
            "c1.zz",
        ] {
            let e = Cursor::decode(bad).unwrap_err();
            assert!(e.to_string().starts_with("cursor:"), "{bad:?}: {e}");
            assert_eq!(e.kind(), wire::ErrorKind::BadInput);
        }
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        for (text, want) in [
            ("abc", "%abc%"),
            ("50%", "%50\\%%"),
            ("a_b", "%a\\_b%"),
            ("a\\b", "%a\\\\b%"),
            ("", "%%"),
        ] {
            assert_eq!(like_pattern(text), want, "{text:?}");
        }
    }

    #[test]
    fn limits_and_triage_checks() {
        let q = |limit| AlertQuery {
            limit,
            ..Default::default()
        };
        assert_eq!(q(None).effective_limit(), DEFAULT_LIMIT);
        assert_eq!(q(Some(0)).effective_limit(), 1);
        assert_eq!(q(Some(5000)).effective_limit(), MAX_LIMIT);
        let cases = [
            (Triage::default(), "", Some("actor")),
            (Triage::default(), "ana", None),
            (
                Triage {
                    note: Some(" ".into()),
                    ..Default::default()
                },
                "ana",
                Some("note"),
            ),
            (
                Triage {
                    note: Some("x".repeat(MAX_NOTE_BYTES + 1)),
                    ..Default::default()
                },
                "ana",
                Some("note"),
            ),
            (
                Triage {
                    assignee: Some(Some(String::new())),
                    ..Default::default()
                },
                "ana",
                Some("assignee"),
            ),
            (
                Triage {
                    assignee: Some(None),
                    status: Some(Status::Resolved),
                    note: Some("done".into()),
                },
                "ana",
                None,
            ),
        ];
        for (t, actor, want) in cases {
            match (t.validate(actor), want) {
                (Ok(()), None) => {}
                (Err(e), Some(field)) => assert!(e.to_string().starts_with(field), "{e}"),
                (r, w) => panic!("{t:?}: {r:?}, wanted {w:?}"),
            }
        }
        assert_eq!(
            "false_positive".parse::<Status>(),
            Ok(Status::FalsePositive)
        );
        assert!("open".parse::<Status>().is_err());
    }
}
