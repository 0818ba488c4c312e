//! [`SqliteStore`]: the embedded alert store (SQLite, WAL).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use wire::{Alert, AlertSpan};

use crate::{
    AlertPage, AlertQuery, AlertStore, AuditEntry, Cursor, DAY_MS, DeadLetter, Edited, Error,
    Stats, StatsBuilder, Status, StoredAlert, Triage, Upserted, confidence_num, confidence_of,
    like_pattern,
};

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE alerts (
    id             TEXT PRIMARY KEY,
    v              INTEGER NOT NULL,
    source         TEXT NOT NULL,
    url            TEXT NOT NULL,
    page_hash      TEXT NOT NULL,
    fetched_at_ms  INTEGER NOT NULL,
    detected_at_ms INTEGER NOT NULL,
    bundle_id      TEXT NOT NULL,
    record_ref     TEXT NOT NULL,
    confidence     INTEGER NOT NULL,
    fields         TEXT NOT NULL,
    spans          TEXT NOT NULL,
    occurrences    INTEGER NOT NULL,
    page_records   INTEGER NOT NULL,
    first_seen_ms  INTEGER NOT NULL,
    last_seen_ms   INTEGER NOT NULL,
    stored_at_ms   INTEGER NOT NULL,
    status         TEXT NOT NULL DEFAULT 'new'
);
CREATE INDEX alerts_first_seen ON alerts (first_seen_ms);
CREATE INDEX alerts_record ON alerts (record_ref);
CREATE INDEX alerts_url ON alerts (url);
",
    // 2: insertion sequence (AUTOINCREMENT: never reused, not even after a purge), triage,
    // suppression, audit trail, webhook cursors and dead letters. Existing alerts get seqs
    // in the order they were stored.
    "
CREATE TABLE alerts_v2 (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    v              INTEGER NOT NULL,
    source         TEXT NOT NULL,
    url            TEXT NOT NULL,
    page_hash      TEXT NOT NULL,
    fetched_at_ms  INTEGER NOT NULL,
    detected_at_ms INTEGER NOT NULL,
    bundle_id      TEXT NOT NULL,
    record_ref     TEXT NOT NULL,
    confidence     INTEGER NOT NULL,
    fields         TEXT NOT NULL,
    spans          TEXT NOT NULL,
    occurrences    INTEGER NOT NULL,
    page_records   INTEGER NOT NULL,
    first_seen_ms  INTEGER NOT NULL,
    last_seen_ms   INTEGER NOT NULL,
    stored_at_ms   INTEGER NOT NULL,
    status         TEXT NOT NULL DEFAULT 'new',
    assignee       TEXT,
    notes_count    INTEGER NOT NULL DEFAULT 0,
    suppressed     INTEGER NOT NULL DEFAULT 0,
    updated_at_ms  INTEGER NOT NULL
);
INSERT INTO alerts_v2 (id, v, source, url, page_hash, fetched_at_ms, detected_at_ms, bundle_id,
    record_ref, confidence, fields, spans, occurrences, page_records, first_seen_ms,
    last_seen_ms, stored_at_ms, status, updated_at_ms)
SELECT id, v, source, url, page_hash, fetched_at_ms, detected_at_ms, bundle_id, record_ref,
    confidence, fields, spans, occurrences, page_records, first_seen_ms, last_seen_ms,
    stored_at_ms, status, stored_at_ms
FROM alerts ORDER BY stored_at_ms, rowid;
DROP TABLE alerts;
ALTER TABLE alerts_v2 RENAME TO alerts;
CREATE INDEX alerts_first_seen ON alerts (first_seen_ms, seq);
CREATE INDEX alerts_last_seen ON alerts (last_seen_ms);
CREATE INDEX alerts_record ON alerts (record_ref, first_seen_ms);
CREATE INDEX alerts_record_url ON alerts (record_ref, url, first_seen_ms);
CREATE INDEX alerts_page ON alerts (page_hash);
CREATE TABLE audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL,
    at_ms    INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    field    TEXT NOT NULL,
    old      TEXT,
    new      TEXT
);
CREATE INDEX audit_alert ON audit (alert_id, id);
CREATE TABLE webhook_cursors (
    webhook TEXT PRIMARY KEY,
    seq     INTEGER NOT NULL
);
CREATE TABLE dead_letters (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook    TEXT NOT NULL,
    alert_id   TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    at_ms      INTEGER NOT NULL
);
CREATE INDEX dead_letters_webhook ON dead_letters (webhook, id);
",
    // Version 3: webhook delivery leases (one deliverer per webhook among processes).
    "
CREATE TABLE webhook_leases (
    webhook    TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_ms INTEGER NOT NULL
);
",
];

/// Default suppression window of a store opened without a configuration: a day.
pub(crate) const DEFAULT_SUPPRESSION_WINDOW_MS: u64 = 86_400_000;

/// Alerts in one SQLite file (WAL mode), or in memory.
///
/// One connection behind a mutex: writes are batched per page, which SQLite does at thousands
/// of pages per second; the calls block, so async callers use a blocking pool. Sequence
/// numbers are assigned and committed under that one lock, so [`AlertStore::after_seq`] never
/// sees a gap that fills later.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    suppression_window_ms: u64,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn db(context: &str) -> impl FnOnce(rusqlite::Error) -> Error + '_ {
    Error::db(context)
}

impl SqliteStore {
    /// Opens (creating if missing) the store at `path`, applying pending migrations.
    pub fn open(path: &Path) -> Result<SqliteStore, Error> {
        let conn = Connection::open(path).map_err(|e| Error::Db {
            context: format!("opening {}", path.display()),
            source: Box::new(e),
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db("enabling WAL"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db("setting synchronous"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db("setting the busy timeout"))?;
        SqliteStore::init(conn)
    }

    /// A store in memory (tests).
    pub fn open_in_memory() -> Result<SqliteStore, Error> {
        SqliteStore::init(Connection::open_in_memory().map_err(db("opening the database"))?)
    }

    /// Sets the suppression window (default a day; 0 suppresses nothing).
    pub fn with_suppression_window_ms(mut self, ms: u64) -> SqliteStore {
        self.suppression_window_ms = ms;
        self
    }

    fn init(mut conn: Connection) -> Result<SqliteStore, Error> {
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db("reading the schema version"))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(Error::Corrupt(format!(
                "the database has schema version {version}, newer than this build's {known}"
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction().map_err(db("migrating"))?;
            tx.execute_batch(sql).map_err(db("migrating"))?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(db("migrating"))?;
            tx.commit().map_err(db("migrating"))?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            suppression_window_ms: DEFAULT_SUPPRESSION_WINDOW_MS,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The columns read into a [`StoredAlert`], in [`row_to_alert`]'s order (shared with the
/// PostgreSQL store).
pub(crate) const COLUMNS: &str = "seq, id, v, source, url, page_hash, fetched_at_ms, \
     detected_at_ms, bundle_id, record_ref, confidence, fields, spans, occurrences, \
     page_records, first_seen_ms, last_seen_ms, stored_at_ms, status, assignee, notes_count, \
     suppressed, updated_at_ms";

/// The raw column values of one alert row, as both backends read them.
pub(crate) struct RawRow {
    pub(crate) seq: i64,
    pub(crate) id: String,
    pub(crate) v: i64,
    pub(crate) source: String,
    pub(crate) url: String,
    pub(crate) page_hash: String,
    pub(crate) fetched_at_ms: i64,
    pub(crate) detected_at_ms: i64,
    pub(crate) bundle_id: String,
    pub(crate) record: String,
    pub(crate) confidence: i64,
    pub(crate) fields: String,
    pub(crate) spans: String,
    pub(crate) occurrences: i64,
    pub(crate) page_records: i64,
    pub(crate) first_seen_ms: i64,
    pub(crate) last_seen_ms: i64,
    pub(crate) stored_at_ms: i64,
    pub(crate) status: String,
    pub(crate) assignee: Option<String>,
    pub(crate) notes_count: i64,
    pub(crate) suppressed: bool,
    pub(crate) updated_at_ms: i64,
}

impl RawRow {
    pub(crate) fn into_alert(self) -> Result<StoredAlert, Error> {
        let id = self.id;
        let bad = |what: &str| Error::Corrupt(format!("alert {id}: bad {what}"));
        let confidence = confidence_of(self.confidence).ok_or_else(|| bad("confidence"))?;
        let spans =
            serde_json::from_str::<Vec<AlertSpan>>(&self.spans).map_err(|_| bad("spans"))?;
        let status = Status::parse(&self.status).ok_or_else(|| bad("status"))?;
        let num = |n: i64, what: &str| u32::try_from(n).map_err(|_| bad(what));
        let fields = self
            .fields
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(StoredAlert {
            seq: self.seq as u64,
            alert: Alert {
                v: num(self.v, "v")?,
                id: id.clone(),
                source: self.source,
                url: self.url,
                page_hash: self.page_hash,
                fetched_at_ms: self.fetched_at_ms as u64,
                detected_at_ms: self.detected_at_ms as u64,
                bundle_id: self.bundle_id,
                record: self.record,
                confidence,
                fields,
                spans,
                occurrences: num(self.occurrences, "occurrences")?,
                page_records: num(self.page_records, "page_records")?,
            },
            first_seen_ms: self.first_seen_ms as u64,
            last_seen_ms: self.last_seen_ms as u64,
            stored_at_ms: self.stored_at_ms as u64,
            updated_at_ms: self.updated_at_ms as u64,
            status,
            assignee: self.assignee,
            notes_count: num(self.notes_count, "notes_count")?,
            suppressed: self.suppressed,
        })
    }
}

fn row_to_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        seq: row.get(0)?,
        id: row.get(1)?,
        v: row.get(2)?,
        source: row.get(3)?,
        url: row.get(4)?,
        page_hash: row.get(5)?,
        fetched_at_ms: row.get(6)?,
        detected_at_ms: row.get(7)?,
        bundle_id: row.get(8)?,
        record: row.get(9)?,
        confidence: row.get(10)?,
        fields: row.get(11)?,
        spans: row.get(12)?,
        occurrences: row.get(13)?,
        page_records: row.get(14)?,
        first_seen_ms: row.get(15)?,
        last_seen_ms: row.get(16)?,
        stored_at_ms: row.get(17)?,
        status: row.get(18)?,
        assignee: row.get(19)?,
        notes_count: row.get(20)?,
        suppressed: row.get(21)?,
        updated_at_ms: row.get(22)?,
    })
}

fn collect(
    rows: impl Iterator<Item = rusqlite::Result<RawRow>>,
) -> Result<Vec<StoredAlert>, Error> {
    let mut out = Vec::new();
    for r in rows {
        out.push(r.map_err(db("reading alerts"))?.into_alert()?);
    }
    Ok(out)
}

fn get_in(conn: &Connection, id: &str) -> Result<Option<StoredAlert>, Error> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"))
        .map_err(db("preparing a lookup"))?
        .query_row([id], row_to_raw)
        .optional()
        .map_err(db("reading an alert"))?
        .map(RawRow::into_alert)
        .transpose()
}

fn audit_in(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
    now_ms: u64,
    actor: &str,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO audit (alert_id, at_ms, actor, field, old, new) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .map_err(db("preparing an audit entry"))?
    .execute(params![id, now_ms as i64, actor, field, old, new])
    .map_err(db("writing an audit entry"))?;
    Ok(())
}

impl AlertStore for SqliteStore {
    fn upsert(&self, alerts: &[Alert]) -> Result<Upserted, Error> {
        let mut done = Upserted::default();
        if alerts.is_empty() {
            return Ok(done);
        }
        let now = crate::now_ms() as i64;
        let window = self.suppression_window_ms.min(i64::MAX as u64) as i64;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("starting a transaction"))?;
        {
            let mut exists = tx
                .prepare_cached("SELECT 1 FROM alerts WHERE id = ?1")
                .map_err(db("preparing a lookup"))?;
            let mut alerted = tx
                .prepare_cached(
                    "SELECT 1 FROM alerts WHERE record_ref = ?1 AND url = ?2 \
                     AND suppressed = 0 AND first_seen_ms >= ?3 LIMIT 1",
                )
                .map_err(db("preparing a suppression lookup"))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO alerts (id, v, source, url, page_hash, fetched_at_ms, \
                     detected_at_ms, bundle_id, record_ref, confidence, fields, spans, \
                     occurrences, page_records, first_seen_ms, last_seen_ms, stored_at_ms, \
                     status, suppressed, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
                     ?9, ?10, ?11, ?12, ?13, ?14, ?6, ?6, ?15, 'new', ?16, ?15)",
                )
                .map_err(db("preparing an insert"))?;
            let mut touch = tx
                .prepare_cached(
                    "UPDATE alerts SET last_seen_ms = max(last_seen_ms, ?2) WHERE id = ?1",
                )
                .map_err(db("preparing an update"))?;
            for (i, a) in alerts.iter().enumerate() {
                let fetched = a.fetched_at_ms.min(i64::MAX as u64) as i64;
                let found = exists
                    .query_row([&a.id], |_| Ok(()))
                    .optional()
                    .map_err(db("looking an alert up"))?
                    .is_some();
                if found {
                    touch
                        .execute(params![a.id, fetched])
                        .map_err(db("updating an alert"))?;
                    done.existing += 1;
                    continue;
                }
                let suppressed = window > 0
                    && alerted
                        .query_row(
                            params![a.record, a.url, fetched.saturating_sub(window)],
                            |_| Ok(()),
                        )
                        .optional()
                        .map_err(db("looking for an earlier alert"))?
                        .is_some();
                let spans = serde_json::to_string(&a.spans).unwrap_or_else(|_| "[]".into());
                insert
                    .execute(params![
                        a.id,
                        a.v,
                        a.source,
                        a.url,
                        a.page_hash,
                        fetched,
                        a.detected_at_ms.min(i64::MAX as u64) as i64,
                        a.bundle_id,
                        a.record,
                        confidence_num(a.confidence),
                        a.fields.join(","),
                        spans,
                        a.occurrences,
                        a.page_records,
                        now,
                        suppressed,
                    ])
                    .map_err(db("inserting an alert"))?;
                done.inserted += 1;
                done.new_alerts.push(i);
                if !suppressed {
                    done.notify.push(i);
                }
            }
        }
        tx.commit().map_err(db("committing alerts"))?;
        Ok(done)
    }

    fn get(&self, id: &str) -> Result<Option<StoredAlert>, Error> {
        get_in(&self.lock(), id)
    }

    fn list(&self, q: &AlertQuery) -> Result<AlertPage, Error> {
        let cursor = q.cursor.as_deref().map(Cursor::decode).transpose()?;
        let limit = q.effective_limit();
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE \
                 (?1 IS NULL OR first_seen_ms >= ?1) AND (?2 IS NULL OR first_seen_ms < ?2) AND \
                 (?3 IS NULL OR confidence >= ?3) AND (?4 IS NULL OR record_ref = ?4) AND \
                 (?5 IS NULL OR source = ?5) AND (?6 IS NULL OR status = ?6) AND \
                 (?7 IS NULL OR url LIKE ?7 ESCAPE '\\') AND (?8 IS NULL OR page_hash = ?8) AND \
                 (?9 IS NULL OR first_seen_ms < ?9 OR (first_seen_ms = ?9 AND seq < ?10)) \
                 ORDER BY first_seen_ms DESC, seq DESC LIMIT ?11"
            ))
            .map_err(db("preparing a query"))?;
        let rows = stmt
            .query_map(
                params![
                    q.since_ms.map(|s| s.min(i64::MAX as u64) as i64),
                    q.until_ms.map(|s| s.min(i64::MAX as u64) as i64),
                    q.min_confidence.map(confidence_num),
                    q.record,
                    q.source,
                    q.status.map(Status::as_str),
                    q.url_contains.as_deref().map(like_pattern),
                    q.page_hash,
                    cursor.map(|c| c.first_seen_ms as i64),
                    cursor.map(|c| c.seq as i64),
                    limit as i64 + 1,
                ],
                row_to_raw,
            )
            .map_err(db("querying alerts"))?;
        let mut alerts = collect(rows)?;
        Ok(page(&mut alerts, limit))
    }

    fn count(&self) -> Result<u64, Error> {
        let n: i64 = self
            .lock()
            .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
            .map_err(db("counting alerts"))?;
        Ok(n as u64)
    }

    fn triage(
        &self,
        id: &str,
        change: &Triage,
        actor: &str,
        now_ms: u64,
    ) -> Result<Option<StoredAlert>, Error> {
        change.validate(actor)?;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("starting a transaction"))?;
        let Some(before) = get_in(&tx, id)? else {
            return Ok(None);
        };
        let edits = change.edits(&before);
        for e in &edits {
            match e.what {
                Edited::Status => tx.execute(
                    "UPDATE alerts SET status = ?2 WHERE id = ?1",
                    params![id, e.new],
                ),
                Edited::Assignee => tx.execute(
                    "UPDATE alerts SET assignee = ?2 WHERE id = ?1",
                    params![id, e.new],
                ),
                Edited::Note => tx.execute(
                    "UPDATE alerts SET notes_count = notes_count + 1 WHERE id = ?1",
                    [id],
                ),
            }
            .map_err(db(e.what.doing()))?;
            audit_in(&tx, id, now_ms, actor, e.what.field(), e.old, e.new)?;
        }
        if !edits.is_empty() {
            tx.execute(
                "UPDATE alerts SET updated_at_ms = ?2 WHERE id = ?1",
                params![id, now_ms.min(i64::MAX as u64) as i64],
            )
            .map_err(db("updating an alert"))?;
        }
        let after = get_in(&tx, id)?;
        tx.commit().map_err(db("committing a triage change"))?;
        Ok(after)
    }

    fn audit(&self, id: &str) -> Result<Vec<AuditEntry>, Error> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT alert_id, at_ms, actor, field, old, new FROM audit WHERE alert_id = ?1 \
                 ORDER BY id",
            )
            .map_err(db("preparing an audit query"))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(AuditEntry {
                    alert_id: r.get(0)?,
                    at_ms: r.get::<_, i64>(1)? as u64,
                    actor: r.get(2)?,
                    field: r.get(3)?,
                    old: r.get(4)?,
                    new: r.get(5)?,
                })
            })
            .map_err(db("reading the audit trail"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db("reading the audit trail"))
    }

    fn stats(&self, since_ms: Option<u64>) -> Result<Stats, Error> {
        let since = since_ms.map(|s| s.min(i64::MAX as u64) as i64);
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT first_seen_ms / ?2, confidence, source, status, suppressed, count(*) \
                 FROM alerts WHERE (?1 IS NULL OR first_seen_ms >= ?1) \
                 GROUP BY 1, 2, 3, 4, 5",
            )
            .map_err(db("preparing stats"))?;
        let mut rows = stmt
            .query(params![since, DAY_MS as i64])
            .map_err(db("counting alerts"))?;
        let mut b = StatsBuilder::new();
        while let Some(r) = rows.next().map_err(db("counting alerts"))? {
            let day: i64 = r.get(0).map_err(db("counting alerts"))?;
            let c: i64 = r.get(1).map_err(db("counting alerts"))?;
            let source: String = r.get(2).map_err(db("counting alerts"))?;
            let status: String = r.get(3).map_err(db("counting alerts"))?;
            let sup: bool = r.get(4).map_err(db("counting alerts"))?;
            let n: i64 = r.get(5).map_err(db("counting alerts"))?;
            b.add(day, c, source, &status, sup, n as u64)?;
        }
        drop(rows);
        let distinct: i64 = conn
            .query_row(
                "SELECT count(DISTINCT record_ref) FROM alerts \
                 WHERE (?1 IS NULL OR first_seen_ms >= ?1)",
                [since],
                |r| r.get(0),
            )
            .map_err(db("counting records"))?;
        Ok(b.finish(distinct as u64))
    }

    fn after_seq(&self, seq: u64, limit: usize) -> Result<Vec<StoredAlert>, Error> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            ))
            .map_err(db("preparing a query"))?;
        let rows = stmt
            .query_map(
                params![
                    seq.min(i64::MAX as u64) as i64,
                    limit.min(i64::MAX as usize) as i64
                ],
                row_to_raw,
            )
            .map_err(db("querying alerts"))?;
        collect(rows)
    }

    fn purge(&self, older_than_ms: u64) -> Result<u64, Error> {
        let cutoff = older_than_ms.min(i64::MAX as u64) as i64;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("starting a transaction"))?;
        tx.execute(
            "DELETE FROM audit WHERE alert_id IN (SELECT id FROM alerts WHERE last_seen_ms < ?1)",
            [cutoff],
        )
        .map_err(db("purging audit entries"))?;
        let n = tx
            .execute("DELETE FROM alerts WHERE last_seen_ms < ?1", [cutoff])
            .map_err(db("purging alerts"))?;
        tx.commit().map_err(db("committing a purge"))?;
        Ok(n as u64)
    }

    fn webhook_cursor(&self, webhook: &str) -> Result<Option<u64>, Error> {
        let n: Option<i64> = self
            .lock()
            .query_row(
                "SELECT seq FROM webhook_cursors WHERE webhook = ?1",
                [webhook],
                |r| r.get(0),
            )
            .optional()
            .map_err(db("reading a webhook cursor"))?;
        Ok(n.map(|n| n.max(0) as u64))
    }

    fn set_webhook_cursor(&self, webhook: &str, seq: u64) -> Result<(), Error> {
        self.lock()
            .execute(
                "INSERT INTO webhook_cursors (webhook, seq) VALUES (?1, ?2) \
                 ON CONFLICT (webhook) DO UPDATE SET seq = max(seq, excluded.seq)",
                params![webhook, seq.min(i64::MAX as u64) as i64],
            )
            .map_err(db("saving a webhook cursor"))?;
        Ok(())
    }

    fn webhook_lease(&self, webhook: &str, holder: &str, ttl_ms: u64) -> Result<bool, Error> {
        // SQLite is one host's file, so the processes sharing it share this clock.
        let now = crate::now_ms().min(i64::MAX as u64 / 2) as i64;
        let until = now.saturating_add(ttl_ms.min(i64::MAX as u64 / 2) as i64);
        let changed = self
            .lock()
            .execute(
                "INSERT INTO webhook_leases (webhook, holder, expires_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (webhook) DO UPDATE SET holder = excluded.holder, \
                 expires_ms = excluded.expires_ms \
                 WHERE webhook_leases.holder = excluded.holder OR webhook_leases.expires_ms <= ?4",
                params![webhook, holder, until, now],
            )
            .map_err(db("taking a webhook lease"))?;
        Ok(changed == 1)
    }

    fn release_webhook_lease(&self, webhook: &str, holder: &str) -> Result<(), Error> {
        self.lock()
            .execute(
                "DELETE FROM webhook_leases WHERE webhook = ?1 AND holder = ?2",
                params![webhook, holder],
            )
            .map_err(db("releasing a webhook lease"))?;
        Ok(())
    }

    fn dead_letter(&self, e: &DeadLetter) -> Result<(), Error> {
        self.lock()
            .execute(
                "INSERT INTO dead_letters (webhook, alert_id, attempts, last_error, at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    e.webhook,
                    e.alert_id,
                    e.attempts,
                    e.last_error,
                    e.at_ms.min(i64::MAX as u64) as i64
                ],
            )
            .map_err(db("writing a dead letter"))?;
        Ok(())
    }

    fn dead_letters(&self, webhook: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>, Error> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT webhook, alert_id, attempts, last_error, at_ms FROM dead_letters \
                 WHERE (?1 IS NULL OR webhook = ?1) ORDER BY id DESC LIMIT ?2",
            )
            .map_err(db("preparing a query"))?;
        let rows = stmt
            .query_map(params![webhook, limit.min(i64::MAX as usize) as i64], |r| {
                Ok(DeadLetter {
                    webhook: r.get(0)?,
                    alert_id: r.get(1)?,
                    attempts: r.get(2)?,
                    last_error: r.get(3)?,
                    at_ms: r.get::<_, i64>(4)? as u64,
                })
            })
            .map_err(db("reading dead letters"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db("reading dead letters"))
    }
}

/// Cuts `alerts` (fetched with one extra row) to a page of `limit` and its cursor.
pub(crate) fn page(alerts: &mut Vec<StoredAlert>, limit: usize) -> AlertPage {
    let more = alerts.len() > limit;
    alerts.truncate(limit);
    let next_cursor = if more {
        alerts.last().map(|a| {
            Cursor {
                first_seen_ms: a.first_seen_ms,
                seq: a.seq,
            }
            .encode()
        })
    } else {
        None
    };
    AlertPage {
        alerts: std::mem::take(alerts),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::{Confidence, alert_id};

    fn alert(record: &str, body: &[u8], fetched_at_ms: u64) -> Alert {
        let page_hash = wire::body_hash(body);
        Alert {
            v: wire::ALERT_VERSION,
            id: alert_id(&page_hash, "b", record),
            source: "s".into(),
            url: "http://x/1".into(),
            page_hash,
            fetched_at_ms,
            detected_at_ms: fetched_at_ms + 1,
            bundle_id: "b".into(),
            record: record.into(),
            confidence: Confidence::High,
            fields: vec!["name".into(), "phone".into()],
            spans: vec![],
            occurrences: 1,
            page_records: 1,
        }
    }

    #[test]
    fn file_store_survives_reopen_and_refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.sqlite");
        {
            let store = SqliteStore::open(&path).unwrap();
            store
                .upsert(&[alert("r0000000000000001", b"p", 1)])
                .unwrap();
        }
        assert_eq!(SqliteStore::open(&path).unwrap().count().unwrap(), 1);
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let e = SqliteStore::open(&path).unwrap_err();
        assert!(e.to_string().contains("schema version 99"), "{e}");
    }

    #[test]
    fn a_version_1_database_is_migrated_with_seqs_in_storage_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            for (i, (record, stored)) in [("r0000000000000002", 20), ("r0000000000000001", 10)]
                .into_iter()
                .enumerate()
            {
                let a = alert(record, format!("p{i}").as_bytes(), 5);
                conn.execute(
                    "INSERT INTO alerts (id, v, source, url, page_hash, fetched_at_ms, \
                     detected_at_ms, bundle_id, record_ref, confidence, fields, spans, \
                     occurrences, page_records, first_seen_ms, last_seen_ms, stored_at_ms, status) \
                     VALUES (?1, 1, 's', 'u', ?2, 5, 6, 'b', ?3, 2, 'name', '[]', 1, 1, 5, 7, ?4, \
                     'acknowledged')",
                    params![a.id, a.page_hash, record, stored],
                )
                .unwrap();
            }
        }
        let store = SqliteStore::open(&path).unwrap();
        let all = store.after_seq(0, 10).unwrap();
        let got: Vec<_> = all
            .iter()
            .map(|a| (a.seq, a.alert.record.as_str(), a.status, a.last_seen_ms))
            .collect();
        assert_eq!(
            got,
            [
                (1, "r0000000000000001", Status::Acknowledged, 7),
                (2, "r0000000000000002", Status::Acknowledged, 7)
            ]
        );
        // New alerts continue the sequence.
        store
            .upsert(&[alert("r0000000000000003", b"new", 9)])
            .unwrap();
        assert_eq!(store.after_seq(2, 10).unwrap()[0].seq, 3);
    }
}
