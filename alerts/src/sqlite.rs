//! [`SqliteStore`]: the embedded alert store (SQLite, WAL).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use wire::{Alert, AlertSpan, Confidence};

use crate::{AlertQuery, AlertStore, Error, Status, StoredAlert, Upserted};

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &["
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
"];

/// Alerts in one SQLite file (WAL mode), or in memory.
///
/// One connection behind a mutex: writes are batched per page, which SQLite does at thousands
/// of pages per second; the calls block, so async callers use a blocking pool.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn db(context: &str) -> impl FnOnce(rusqlite::Error) -> Error + '_ {
    move |source| Error::Db {
        context: context.to_owned(),
        source,
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn confidence_num(c: Confidence) -> i64 {
    match c {
        Confidence::Low => 0,
        Confidence::Medium => 1,
        Confidence::High => 2,
    }
}

fn confidence_of(n: i64) -> Option<Confidence> {
    Some(match n {
        0 => Confidence::Low,
        1 => Confidence::Medium,
        2 => Confidence::High,
        _ => return None,
    })
}

impl SqliteStore {
    /// Opens (creating if missing) the store at `path`, applying pending migrations.
    pub fn open(path: &Path) -> Result<SqliteStore, Error> {
        let conn = Connection::open(path).map_err(db("opening the database"))?;
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
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

const COLUMNS: &str = "id, v, source, url, page_hash, fetched_at_ms, detected_at_ms, bundle_id, \
     record_ref, confidence, fields, spans, occurrences, page_records, first_seen_ms, \
     last_seen_ms, stored_at_ms, status";

fn row_to_alert(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StoredAlert, Error>> {
    let confidence: i64 = row.get(9)?;
    let fields: String = row.get(10)?;
    let spans: String = row.get(11)?;
    let status: String = row.get(17)?;
    let id: String = row.get(0)?;
    let bad = |what: &str| Err(Error::Corrupt(format!("alert {id}: bad {what}")));
    let Some(confidence) = confidence_of(confidence) else {
        return Ok(bad("confidence"));
    };
    let Ok(spans) = serde_json::from_str::<Vec<AlertSpan>>(&spans) else {
        return Ok(bad("spans"));
    };
    let Some(status) = Status::parse(&status) else {
        return Ok(bad("status"));
    };
    let fields = fields
        .split(',')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Ok(StoredAlert {
        alert: Alert {
            v: row.get(1)?,
            id: id.clone(),
            source: row.get(2)?,
            url: row.get(3)?,
            page_hash: row.get(4)?,
            fetched_at_ms: row.get::<_, i64>(5)? as u64,
            detected_at_ms: row.get::<_, i64>(6)? as u64,
            bundle_id: row.get(7)?,
            record: row.get(8)?,
            confidence,
            fields,
            spans,
            occurrences: row.get(12)?,
            page_records: row.get(13)?,
        },
        first_seen_ms: row.get::<_, i64>(14)? as u64,
        last_seen_ms: row.get::<_, i64>(15)? as u64,
        stored_at_ms: row.get::<_, i64>(16)? as u64,
        status,
    }))
}

impl AlertStore for SqliteStore {
    fn upsert(&self, alerts: &[Alert]) -> Result<Upserted, Error> {
        let mut done = Upserted::default();
        if alerts.is_empty() {
            return Ok(done);
        }
        let now = now_ms() as i64;
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db("starting a transaction"))?;
        {
            let mut exists = tx
                .prepare_cached("SELECT 1 FROM alerts WHERE id = ?1")
                .map_err(db("preparing a lookup"))?;
            let mut insert = tx
                .prepare_cached(&format!(
                    "INSERT INTO alerts ({COLUMNS}) VALUES \
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?6, ?6, ?15, 'new')"
                ))
                .map_err(db("preparing an insert"))?;
            let mut touch = tx
                .prepare_cached(
                    "UPDATE alerts SET last_seen_ms = max(last_seen_ms, ?2) WHERE id = ?1",
                )
                .map_err(db("preparing an update"))?;
            for (i, a) in alerts.iter().enumerate() {
                let found = exists
                    .query_row([&a.id], |_| Ok(()))
                    .optional()
                    .map_err(db("looking an alert up"))?
                    .is_some();
                if found {
                    touch
                        .execute(params![a.id, a.fetched_at_ms as i64])
                        .map_err(db("updating an alert"))?;
                    done.existing += 1;
                } else {
                    let spans = serde_json::to_string(&a.spans).unwrap_or_else(|_| "[]".into());
                    insert
                        .execute(params![
                            a.id,
                            a.v,
                            a.source,
                            a.url,
                            a.page_hash,
                            a.fetched_at_ms as i64,
                            a.detected_at_ms as i64,
                            a.bundle_id,
                            a.record,
                            confidence_num(a.confidence),
                            a.fields.join(","),
                            spans,
                            a.occurrences,
                            a.page_records,
                            now,
                        ])
                        .map_err(db("inserting an alert"))?;
                    done.inserted += 1;
                    done.new_alerts.push(i);
                }
            }
        }
        tx.commit().map_err(db("committing alerts"))?;
        Ok(done)
    }

    fn get(&self, id: &str) -> Result<Option<StoredAlert>, Error> {
        let conn = self.lock();
        let r = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"),
                [id],
                row_to_alert,
            )
            .optional()
            .map_err(db("reading an alert"))?;
        r.transpose()
    }

    fn list(&self, q: &AlertQuery) -> Result<Vec<StoredAlert>, Error> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE \
                 (?1 IS NULL OR first_seen_ms >= ?1) AND (?2 IS NULL OR confidence >= ?2) AND \
                 (?3 IS NULL OR record_ref = ?3) AND (?4 IS NULL OR source = ?4) \
                 ORDER BY first_seen_ms DESC, id LIMIT ?5"
            ))
            .map_err(db("preparing a query"))?;
        let limit = q.limit.map_or(-1, |l| l as i64);
        let rows = stmt
            .query_map(
                params![
                    q.since_ms.map(|s| s as i64),
                    q.min_confidence.map(confidence_num),
                    q.record,
                    q.source,
                    limit
                ],
                row_to_alert,
            )
            .map_err(db("querying alerts"))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r.map_err(db("reading alerts"))??);
        }
        Ok(out)
    }

    fn count(&self) -> Result<u64, Error> {
        let conn = self.lock();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
            .map_err(db("counting alerts"))?;
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::alert_id;

    fn alert(record: &str, body: &[u8], fetched_at_ms: u64, c: Confidence) -> Alert {
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
            confidence: c,
            fields: vec!["name".into(), "phone".into()],
            spans: vec![AlertSpan {
                start: 3,
                end: 9,
                kind: "phone".into(),
            }],
            occurrences: 2,
            page_records: 1,
        }
    }

    #[test]
    fn upsert_is_idempotent_and_moves_last_seen_forward_only() {
        let store = SqliteStore::open_in_memory().unwrap();
        let a = alert("r0000000000000001", b"p", 100, Confidence::High);
        let up = store.upsert(std::slice::from_ref(&a)).unwrap();
        assert_eq!((up.inserted, up.existing), (1, 0));
        let up = store.upsert(std::slice::from_ref(&a)).unwrap();
        assert_eq!((up.inserted, up.existing), (0, 1));
        let mut later = a.clone();
        later.fetched_at_ms = 500;
        later.url = "http://mirror/1".into();
        store.upsert(&[later]).unwrap();
        let mut earlier = a.clone();
        earlier.fetched_at_ms = 50;
        store.upsert(&[earlier]).unwrap();
        let got = store.get(&a.id).unwrap().unwrap();
        assert_eq!(got.alert, a, "the first sighting is kept");
        assert_eq!((got.first_seen_ms, got.last_seen_ms), (100, 500));
        assert_eq!(got.status, Status::New);
        assert_eq!(store.count().unwrap(), 1);
        assert!(store.get("nope").unwrap().is_none());
    }

    #[test]
    fn list_filters() {
        let store = SqliteStore::open_in_memory().unwrap();
        store
            .upsert(&[
                alert("r0000000000000001", b"p1", 100, Confidence::Low),
                alert("r0000000000000002", b"p1", 100, Confidence::High),
                alert("r0000000000000001", b"p2", 200, Confidence::Medium),
            ])
            .unwrap();
        let q = |q: AlertQuery| store.list(&q).unwrap().len();
        assert_eq!(q(AlertQuery::default()), 3);
        assert_eq!(
            q(AlertQuery {
                min_confidence: Some(Confidence::Medium),
                ..Default::default()
            }),
            2
        );
        assert_eq!(
            q(AlertQuery {
                record: Some("r0000000000000001".into()),
                ..Default::default()
            }),
            2
        );
        assert_eq!(
            q(AlertQuery {
                since_ms: Some(150),
                ..Default::default()
            }),
            1
        );
        assert_eq!(
            q(AlertQuery {
                limit: Some(1),
                ..Default::default()
            }),
            1
        );
        let newest = store.list(&AlertQuery::default()).unwrap();
        assert_eq!(newest[0].first_seen_ms, 200);
    }

    #[test]
    fn file_store_survives_reopen_and_refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.sqlite");
        {
            let store = SqliteStore::open(&path).unwrap();
            store
                .upsert(&[alert("r0000000000000001", b"p", 1, Confidence::High)])
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
}
