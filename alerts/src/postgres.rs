//! [`PostgresStore`]: the alert store on PostgreSQL (`tokio-postgres`).
//!
//! Why `tokio-postgres` with a private runtime, not the sync `postgres` crate: the trait is
//! sync and is called from tokio's blocking pool, from the purge thread, from the CLI without a
//! runtime and (by mistake) maybe from an async task. The sync crate `block_on`s its own
//! runtime, which panics on a thread that is inside a runtime, and so does dropping its client
//! there. Here the connections are driven by one private worker thread (a one-worker tokio
//! runtime), and a call polls the client's futures on the calling thread with a plain
//! park/unpark executor ([`block_on`]): the client's requests and responses travel over
//! channels to that worker, so polling them needs no runtime context, and this works on any
//! thread. Dropping the store shuts the runtime down in the background (allowed anywhere).
//!
//! Sequence numbers: every upsert transaction first takes a transaction-scoped advisory lock,
//! so seqs are assigned and committed in one order, and a reader of [`AlertStore::after_seq`]
//! never sees seq `n + 1` before `n` (a lower seq cannot commit late). Upserts serialize on it,
//! as they do on SQLite's one connection; reads do not. `INSERT ... ON CONFLICT DO NOTHING`
//! still decides which writer saw an alert first.

use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake};
use std::time::Duration;

use tokio_postgres::{Client, Row};
use tokio_postgres_rustls::MakeRustlsConnect;
use wire::Alert;

use crate::sqlite::{COLUMNS, RawRow, page};
use crate::{
    AlertPage, AlertQuery, AlertStore, AuditEntry, Cursor, DAY_MS, DeadLetter, Edited, Error,
    Secret, Stats, StatsBuilder, Status, StoredAlert, Triage, Upserted, confidence_num,
    like_pattern,
};

/// Migrations, applied in order; the `schema_migrations` table lists those applied. The same
/// schema as SQLite's (its version 2 in one step, then version 3: webhook leases).
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE alerts (
    seq            BIGSERIAL PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    v              BIGINT NOT NULL,
    source         TEXT NOT NULL,
    url            TEXT NOT NULL,
    page_hash      TEXT NOT NULL,
    fetched_at_ms  BIGINT NOT NULL,
    detected_at_ms BIGINT NOT NULL,
    bundle_id      TEXT NOT NULL,
    record_ref     TEXT NOT NULL,
    confidence     BIGINT NOT NULL,
    fields         TEXT NOT NULL,
    spans          TEXT NOT NULL,
    occurrences    BIGINT NOT NULL,
    page_records   BIGINT NOT NULL,
    first_seen_ms  BIGINT NOT NULL,
    last_seen_ms   BIGINT NOT NULL,
    stored_at_ms   BIGINT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'new',
    assignee       TEXT,
    notes_count    BIGINT NOT NULL DEFAULT 0,
    suppressed     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX alerts_first_seen ON alerts (first_seen_ms, seq);
CREATE INDEX alerts_last_seen ON alerts (last_seen_ms);
CREATE INDEX alerts_record ON alerts (record_ref, first_seen_ms);
CREATE INDEX alerts_record_url ON alerts (record_ref, url, first_seen_ms);
CREATE INDEX alerts_page ON alerts (page_hash);
CREATE TABLE audit (
    id       BIGSERIAL PRIMARY KEY,
    alert_id TEXT NOT NULL,
    at_ms    BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    field    TEXT NOT NULL,
    old      TEXT,
    new      TEXT
);
CREATE INDEX audit_alert ON audit (alert_id, id);
CREATE TABLE webhook_cursors (
    webhook TEXT PRIMARY KEY,
    seq     BIGINT NOT NULL
);
CREATE TABLE dead_letters (
    id         BIGSERIAL PRIMARY KEY,
    webhook    TEXT NOT NULL,
    alert_id   TEXT NOT NULL,
    attempts   BIGINT NOT NULL,
    last_error TEXT NOT NULL,
    at_ms      BIGINT NOT NULL
);
CREATE INDEX dead_letters_webhook ON dead_letters (webhook, id);
",
    "
CREATE TABLE webhook_leases (
    webhook    TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
",
];

/// Advisory lock held by every upsert transaction (seq order = commit order).
const UPSERT_LOCK: i64 = 0x6c77_616c_6572_7401;
/// Advisory lock held while migrating.
const MIGRATE_LOCK: i64 = 0x6c77_616c_6572_7402;
/// How long a call waits for a free connection.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `f` to completion on this thread, parking between polls. Needs no runtime: the
/// client's futures only wait on channels that the connection tasks (on the store's worker)
/// fill.
fn block_on<F: Future>(f: F) -> F::Output {
    let waker = Arc::new(ThreadWaker(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

fn db(context: &str) -> impl FnOnce(tokio_postgres::Error) -> Error + '_ {
    Error::db(context)
}

/// The TLS client for the store's connections: rustls with the ring provider, trusting the CA
/// certificates of `ca_file` (PEM) or, without one, the Mozilla root set.
fn tls_connector(ca_file: Option<&std::path::Path>) -> Result<MakeRustlsConnect, Error> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let bad = |why: String| {
                Error::Config(format!("store.tls_ca_file: {}: {why}", path.display()))
            };
            let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
            let certs = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(format!("not PEM certificates ({e})")))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(bad("holds no usable CA certificate".into()));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Config(format!("store: PostgreSQL TLS client: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// A failed connection: a failed TLS handshake (a server certificate that does not verify) is
/// a configuration error (retrying cannot help) and says what to set; anything else may pass
/// (retry).
fn connect_error(e: tokio_postgres::Error) -> Error {
    let text = e.to_string();
    // tokio-postgres's wording for its TLS stage; the cause (rustls's reason) follows it.
    if text.starts_with("error performing TLS handshake") {
        return Error::Config(format!(
            "store: PostgreSQL TLS: {text}; set store.tls_ca_file to the PEM of the CA that \
             signed the server's certificate, or add sslmode=disable to the URL to connect \
             without TLS"
        ));
    }
    // The server's own words (an authentication or pg_hba.conf refusal), which the error's
    // display leaves out.
    match e.as_db_error().map(|d| d.message().to_owned()) {
        Some(said) => Error::db(&format!("connecting to PostgreSQL: {said}"))(e),
        None => db("connecting to PostgreSQL")(e),
    }
}

fn i64_of(n: u64) -> i64 {
    n.min(i64::MAX as u64) as i64
}

struct PoolState {
    idle: Vec<Client>,
    open: usize,
}

/// Alerts in a PostgreSQL database: a pool of connections, schema migrations in a
/// `schema_migrations` table, the same behaviour and tests as [`crate::SqliteStore`].
pub struct PostgresStore {
    runtime: Option<tokio::runtime::Runtime>,
    config: tokio_postgres::Config,
    /// The TLS client every connection is made with.
    tls: MakeRustlsConnect,
    schema: String,
    size: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
    suppression_window_ms: u64,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the connection string: it may hold a password.
        write!(f, "PostgresStore(schema {})", self.schema)
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .idle
            .clear();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A connection borrowed from the pool; goes back when dropped (unless it broke).
struct Conn<'a> {
    store: &'a PostgresStore,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("a checked-out connection")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("a checked-out connection")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let mut st = self.store.lock_state();
        match self.client.take() {
            Some(c) if !c.is_closed() => st.idle.push(c),
            _ => st.open -= 1,
        }
        self.store.freed.notify_one();
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or `key=value` string), creates
    /// `schema` if missing, applies pending migrations, and keeps up to `pool_size`
    /// connections.
    ///
    /// Connections use TLS as the connection string's `sslmode` says (`disable`, `prefer` —
    /// the default: TLS when the server offers it — or `require`). The server's certificate is
    /// always verified, against the CA certificates in `tls_ca_file` (PEM) if given, else the
    /// Mozilla root set: a certificate that does not verify is refused, never used unverified.
    pub fn connect(
        url: &Secret,
        schema: &str,
        pool_size: usize,
        tls_ca_file: Option<&std::path::Path>,
    ) -> Result<PostgresStore, Error> {
        if schema.is_empty()
            || !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            || schema.as_bytes()[0].is_ascii_digit()
        {
            return Err(Error::Config(
                "store.schema: lowercase letters, digits and _".into(),
            ));
        }
        // Not the parser's message: it could quote part of the string, password included.
        let mut config: tokio_postgres::Config = url
            .expose()
            .parse()
            .map_err(|_| Error::Config("store.url: not a PostgreSQL connection string".into()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("leakwatch");
        }
        let tls = tls_connector(tls_ca_file)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("alert-store-pg")
            .enable_all()
            .build()
            .map_err(|e| Error::Db {
                context: "starting the PostgreSQL connection thread".into(),
                source: Box::new(e),
            })?;
        let store = PostgresStore {
            runtime: Some(runtime),
            config,
            tls,
            schema: schema.to_owned(),
            size: pool_size.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
            suppression_window_ms: crate::sqlite::DEFAULT_SUPPRESSION_WINDOW_MS,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Sets the suppression window (default a day; 0 suppresses nothing).
    pub fn with_suppression_window_ms(mut self, ms: u64) -> PostgresStore {
        self.suppression_window_ms = ms;
        self
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn lock_state(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn new_client(&self) -> Result<Client, Error> {
        let Some(rt) = &self.runtime else {
            return Err(Error::Corrupt("the store is closed".into()));
        };
        let config = self.config.clone();
        let tls = self.tls.clone();
        let search_path = format!("SET search_path TO \"{}\"", self.schema);
        let task = rt.spawn(async move {
            let (client, connection) = config.connect(tls).await?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    eprintln!("alert store: a PostgreSQL connection closed: {e}");
                }
            });
            client.batch_execute(&search_path).await?;
            Ok::<_, tokio_postgres::Error>(client)
        });
        match block_on(task) {
            Ok(r) => r.map_err(connect_error),
            Err(e) => Err(Error::Db {
                context: "connecting to PostgreSQL".into(),
                source: Box::new(e),
            }),
        }
    }

    fn conn(&self) -> Result<Conn<'_>, Error> {
        let deadline = std::time::Instant::now() + CHECKOUT_TIMEOUT;
        let mut st = self.lock_state();
        loop {
            if let Some(c) = st.idle.pop() {
                if c.is_closed() {
                    st.open -= 1;
                    continue;
                }
                return Ok(Conn {
                    store: self,
                    client: Some(c),
                });
            }
            if st.open < self.size {
                st.open += 1;
                drop(st);
                return match self.new_client() {
                    Ok(c) => Ok(Conn {
                        store: self,
                        client: Some(c),
                    }),
                    Err(e) => {
                        self.lock_state().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(Error::Db {
                    context: "waiting for a free PostgreSQL connection".into(),
                    source: "every connection of the pool stayed busy for 30 s".into(),
                });
            }
            st = self
                .freed
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn migrate(&self) -> Result<(), Error> {
        let mut c = self.conn()?;
        let schema = &self.schema;
        block_on(async {
            let tx = c.transaction().await.map_err(db("migrating"))?;
            tx.query("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
                .await
                .map_err(db("migrating"))?;
            // Only when missing: CREATE SCHEMA IF NOT EXISTS would need the CREATE privilege on
            // the database even for an existing schema.
            let exists = tx
                .query("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
                .await
                .map_err(db("migrating"))?;
            if exists.is_empty() {
                tx.batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
                    .await
                    .map_err(db("creating the schema"))?;
            }
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations \
                 (version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)",
            )
            .await
            .map_err(db("migrating"))?;
            let row = tx
                .query_one(
                    "SELECT coalesce(max(version), 0) FROM schema_migrations",
                    &[],
                )
                .await
                .map_err(db("reading the schema version"))?;
            let version: i64 = row.try_get(0).map_err(db("reading the schema version"))?;
            let known = MIGRATIONS.len() as i64;
            if version > known {
                return Err(Error::Corrupt(format!(
                    "the database has schema version {version}, newer than this build's {known}"
                )));
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.batch_execute(sql).await.map_err(db("migrating"))?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)",
                    &[&(i as i64 + 1), &i64_of(crate::now_ms())],
                )
                .await
                .map_err(db("migrating"))?;
            }
            tx.commit().await.map_err(db("migrating"))
        })
    }
}

fn raw(row: &Row) -> Result<RawRow, tokio_postgres::Error> {
    Ok(RawRow {
        seq: row.try_get(0)?,
        id: row.try_get(1)?,
        v: row.try_get(2)?,
        source: row.try_get(3)?,
        url: row.try_get(4)?,
        page_hash: row.try_get(5)?,
        fetched_at_ms: row.try_get(6)?,
        detected_at_ms: row.try_get(7)?,
        bundle_id: row.try_get(8)?,
        record: row.try_get(9)?,
        confidence: row.try_get(10)?,
        fields: row.try_get(11)?,
        spans: row.try_get(12)?,
        occurrences: row.try_get(13)?,
        page_records: row.try_get(14)?,
        first_seen_ms: row.try_get(15)?,
        last_seen_ms: row.try_get(16)?,
        stored_at_ms: row.try_get(17)?,
        status: row.try_get(18)?,
        assignee: row.try_get(19)?,
        notes_count: row.try_get(20)?,
        suppressed: row.try_get(21)?,
        updated_at_ms: row.try_get(22)?,
    })
}

fn alerts_of(rows: &[Row]) -> Result<Vec<StoredAlert>, Error> {
    rows.iter()
        .map(|r| raw(r).map_err(db("reading alerts"))?.into_alert())
        .collect()
}

async fn get_in<C: tokio_postgres::GenericClient>(
    c: &C,
    id: &str,
) -> Result<Option<StoredAlert>, Error> {
    let rows = c
        .query(
            &format!("SELECT {COLUMNS} FROM alerts WHERE id = $1"),
            &[&id],
        )
        .await
        .map_err(db("reading an alert"))?;
    rows.first()
        .map(|r| raw(r).map_err(db("reading an alert"))?.into_alert())
        .transpose()
}

async fn audit_in(
    tx: &tokio_postgres::Transaction<'_>,
    id: &str,
    now_ms: u64,
    actor: &str,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO audit (alert_id, at_ms, actor, field, old, new) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&id, &i64_of(now_ms), &actor, &field, &old, &new],
    )
    .await
    .map_err(db("writing an audit entry"))?;
    Ok(())
}

impl AlertStore for PostgresStore {
    fn upsert(&self, alerts: &[Alert]) -> Result<Upserted, Error> {
        let mut done = Upserted::default();
        if alerts.is_empty() {
            return Ok(done);
        }
        let now = i64_of(crate::now_ms());
        let window = i64_of(self.suppression_window_ms);
        let mut c = self.conn()?;
        block_on(async {
            let tx = c
                .transaction()
                .await
                .map_err(db("starting a transaction"))?;
            tx.query("SELECT pg_advisory_xact_lock($1)", &[&UPSERT_LOCK])
                .await
                .map_err(db("locking the alert sequence"))?;
            let insert = tx
                .prepare(
                    "INSERT INTO alerts (id, v, source, url, page_hash, fetched_at_ms, \
                     detected_at_ms, bundle_id, record_ref, confidence, fields, spans, \
                     occurrences, page_records, first_seen_ms, last_seen_ms, stored_at_ms, \
                     status, suppressed, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                     $9, $10, $11, $12, $13, $14, $6, $6, $15, 'new', $16, $15) \
                     ON CONFLICT (id) DO NOTHING RETURNING seq",
                )
                .await
                .map_err(db("preparing an insert"))?;
            let alerted = tx
                .prepare(
                    "SELECT 1 FROM alerts WHERE record_ref = $1 AND url = $2 \
                     AND NOT suppressed AND first_seen_ms >= $3 LIMIT 1",
                )
                .await
                .map_err(db("preparing a suppression lookup"))?;
            let touch = tx
                .prepare(
                    "UPDATE alerts SET last_seen_ms = greatest(last_seen_ms, $2) WHERE id = $1",
                )
                .await
                .map_err(db("preparing an update"))?;
            for (i, a) in alerts.iter().enumerate() {
                let fetched = i64_of(a.fetched_at_ms);
                let suppressed = window > 0
                    && !tx
                        .query(
                            &alerted,
                            &[&a.record, &a.url, &fetched.saturating_sub(window)],
                        )
                        .await
                        .map_err(db("looking for an earlier alert"))?
                        .is_empty();
                let spans = serde_json::to_string(&a.spans).unwrap_or_else(|_| "[]".into());
                let inserted = tx
                    .query(
                        &insert,
                        &[
                            &a.id,
                            &i64::from(a.v),
                            &a.source,
                            &a.url,
                            &a.page_hash,
                            &fetched,
                            &i64_of(a.detected_at_ms),
                            &a.bundle_id,
                            &a.record,
                            &confidence_num(a.confidence),
                            &a.fields.join(","),
                            &spans,
                            &i64::from(a.occurrences),
                            &i64::from(a.page_records),
                            &now,
                            &suppressed,
                        ],
                    )
                    .await
                    .map_err(db("inserting an alert"))?;
                if inserted.is_empty() {
                    tx.execute(&touch, &[&a.id, &fetched])
                        .await
                        .map_err(db("updating an alert"))?;
                    done.existing += 1;
                } else {
                    done.inserted += 1;
                    done.new_alerts.push(i);
                    if !suppressed {
                        done.notify.push(i);
                    }
                }
            }
            tx.commit().await.map_err(db("committing alerts"))
        })?;
        Ok(done)
    }

    fn get(&self, id: &str) -> Result<Option<StoredAlert>, Error> {
        let c = self.conn()?;
        block_on(get_in(&*c, id))
    }

    fn list(&self, q: &AlertQuery) -> Result<AlertPage, Error> {
        let cursor = q.cursor.as_deref().map(Cursor::decode).transpose()?;
        let limit = q.effective_limit();
        let c = self.conn()?;
        let rows = block_on(c.query(
            &format!(
                "SELECT {COLUMNS} FROM alerts WHERE \
                 ($1::BIGINT IS NULL OR first_seen_ms >= $1) AND \
                 ($2::BIGINT IS NULL OR first_seen_ms < $2) AND \
                 ($3::BIGINT IS NULL OR confidence >= $3) AND \
                 ($4::TEXT IS NULL OR record_ref = $4) AND ($5::TEXT IS NULL OR source = $5) AND \
                 ($6::TEXT IS NULL OR status = $6) AND \
                 ($7::TEXT IS NULL OR url ILIKE $7 ESCAPE '\\') AND \
                 ($8::TEXT IS NULL OR page_hash = $8) AND \
                 ($9::BIGINT IS NULL OR first_seen_ms < $9 OR (first_seen_ms = $9 AND seq < $10)) \
                 ORDER BY first_seen_ms DESC, seq DESC LIMIT $11"
            ),
            &[
                &q.since_ms.map(i64_of),
                &q.until_ms.map(i64_of),
                &q.min_confidence.map(confidence_num),
                &q.record,
                &q.source,
                &q.status.map(Status::as_str),
                &q.url_contains.as_deref().map(like_pattern),
                &q.page_hash,
                &cursor.map(|c| c.first_seen_ms as i64),
                &cursor.map(|c| c.seq as i64),
                &(limit as i64 + 1),
            ],
        ))
        .map_err(db("querying alerts"))?;
        let mut alerts = alerts_of(&rows)?;
        Ok(page(&mut alerts, limit))
    }

    fn count(&self) -> Result<u64, Error> {
        let c = self.conn()?;
        let row = block_on(c.query_one("SELECT count(*) FROM alerts", &[]))
            .map_err(db("counting alerts"))?;
        let n: i64 = row.try_get(0).map_err(db("counting alerts"))?;
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
        let mut c = self.conn()?;
        block_on(async {
            let tx = c
                .transaction()
                .await
                .map_err(db("starting a transaction"))?;
            // FOR UPDATE: concurrent triage of one alert audits against the value it replaced.
            tx.query("SELECT 1 FROM alerts WHERE id = $1 FOR UPDATE", &[&id])
                .await
                .map_err(db("locking an alert"))?;
            let Some(before) = get_in(&tx, id).await? else {
                return Ok(None);
            };
            let edits = change.edits(&before);
            for e in &edits {
                match e.what {
                    Edited::Status => {
                        tx.execute(
                            "UPDATE alerts SET status = $2 WHERE id = $1",
                            &[&id, &e.new],
                        )
                        .await
                    }
                    Edited::Assignee => {
                        tx.execute(
                            "UPDATE alerts SET assignee = $2 WHERE id = $1",
                            &[&id, &e.new],
                        )
                        .await
                    }
                    Edited::Note => {
                        tx.execute(
                            "UPDATE alerts SET notes_count = notes_count + 1 WHERE id = $1",
                            &[&id],
                        )
                        .await
                    }
                }
                .map_err(db(e.what.doing()))?;
                audit_in(&tx, id, now_ms, actor, e.what.field(), e.old, e.new).await?;
            }
            if !edits.is_empty() {
                tx.execute(
                    "UPDATE alerts SET updated_at_ms = $2 WHERE id = $1",
                    &[&id, &i64_of(now_ms)],
                )
                .await
                .map_err(db("updating an alert"))?;
            }
            let after = get_in(&tx, id).await?;
            tx.commit()
                .await
                .map_err(db("committing a triage change"))?;
            Ok(after)
        })
    }

    fn audit(&self, id: &str) -> Result<Vec<AuditEntry>, Error> {
        let c = self.conn()?;
        let rows = block_on(c.query(
            "SELECT alert_id, at_ms, actor, field, old, new FROM audit WHERE alert_id = $1 \
             ORDER BY id",
            &[&id],
        ))
        .map_err(db("reading the audit trail"))?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    alert_id: r.try_get(0)?,
                    at_ms: r.try_get::<_, i64>(1)? as u64,
                    actor: r.try_get(2)?,
                    field: r.try_get(3)?,
                    old: r.try_get(4)?,
                    new: r.try_get(5)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(db("reading the audit trail"))
    }

    fn stats(&self, since_ms: Option<u64>) -> Result<Stats, Error> {
        let since = since_ms.map(i64_of);
        let c = self.conn()?;
        let (rows, distinct) = block_on(async {
            let rows = c
                .query(
                    "SELECT first_seen_ms / $2, confidence, source, status, suppressed, count(*) \
                     FROM alerts WHERE ($1::BIGINT IS NULL OR first_seen_ms >= $1) \
                     GROUP BY 1, 2, 3, 4, 5",
                    &[&since, &(DAY_MS as i64)],
                )
                .await?;
            let distinct = c
                .query_one(
                    "SELECT count(DISTINCT record_ref) FROM alerts \
                     WHERE ($1::BIGINT IS NULL OR first_seen_ms >= $1)",
                    &[&since],
                )
                .await?;
            Ok::<_, tokio_postgres::Error>((rows, distinct))
        })
        .map_err(db("counting alerts"))?;
        let mut b = StatsBuilder::new();
        for r in &rows {
            let get = || -> Result<_, tokio_postgres::Error> {
                Ok((
                    r.try_get::<_, i64>(0)?,
                    r.try_get::<_, i64>(1)?,
                    r.try_get::<_, String>(2)?,
                    r.try_get::<_, String>(3)?,
                    r.try_get::<_, bool>(4)?,
                    r.try_get::<_, i64>(5)?,
                ))
            };
            let (day, conf, source, status, sup, n) = get().map_err(db("counting alerts"))?;
            b.add(day, conf, source, &status, sup, n as u64)?;
        }
        let distinct: i64 = distinct.try_get(0).map_err(db("counting records"))?;
        Ok(b.finish(distinct as u64))
    }

    fn after_seq(&self, seq: u64, limit: usize) -> Result<Vec<StoredAlert>, Error> {
        let c = self.conn()?;
        let rows = block_on(c.query(
            &format!("SELECT {COLUMNS} FROM alerts WHERE seq > $1 ORDER BY seq LIMIT $2"),
            &[&i64_of(seq), &(limit.min(i64::MAX as usize) as i64)],
        ))
        .map_err(db("querying alerts"))?;
        alerts_of(&rows)
    }

    fn purge(&self, older_than_ms: u64) -> Result<u64, Error> {
        let cutoff = i64_of(older_than_ms);
        let mut c = self.conn()?;
        block_on(async {
            let tx = c.transaction().await?;
            tx.execute(
                "DELETE FROM audit WHERE alert_id IN \
                 (SELECT id FROM alerts WHERE last_seen_ms < $1)",
                &[&cutoff],
            )
            .await?;
            let n = tx
                .execute("DELETE FROM alerts WHERE last_seen_ms < $1", &[&cutoff])
                .await?;
            tx.commit().await?;
            Ok(n)
        })
        .map_err(db("purging alerts"))
    }

    fn webhook_cursor(&self, webhook: &str) -> Result<Option<u64>, Error> {
        let c = self.conn()?;
        let rows = block_on(c.query(
            "SELECT seq FROM webhook_cursors WHERE webhook = $1",
            &[&webhook],
        ))
        .map_err(db("reading a webhook cursor"))?;
        match rows.first() {
            Some(r) => Ok(Some(
                r.try_get::<_, i64>(0)
                    .map_err(db("reading a webhook cursor"))?
                    .max(0) as u64,
            )),
            None => Ok(None),
        }
    }

    fn set_webhook_cursor(&self, webhook: &str, seq: u64) -> Result<(), Error> {
        let c = self.conn()?;
        block_on(c.execute(
            "INSERT INTO webhook_cursors (webhook, seq) VALUES ($1, $2) \
             ON CONFLICT (webhook) DO UPDATE \
             SET seq = GREATEST(webhook_cursors.seq, EXCLUDED.seq)",
            &[&webhook, &i64_of(seq)],
        ))
        .map_err(db("saving a webhook cursor"))?;
        Ok(())
    }

    fn webhook_lease(&self, webhook: &str, holder: &str, ttl_ms: u64) -> Result<bool, Error> {
        // The database's clock, not the replicas': they may disagree.
        let c = self.conn()?;
        let changed = block_on(c.execute(
            "INSERT INTO webhook_leases (webhook, holder, expires_ms) \
             VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint + $3) \
             ON CONFLICT (webhook) DO UPDATE SET holder = EXCLUDED.holder, \
             expires_ms = EXCLUDED.expires_ms \
             WHERE webhook_leases.holder = EXCLUDED.holder \
             OR webhook_leases.expires_ms <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint",
            &[&webhook, &holder, &i64_of(ttl_ms)],
        ))
        .map_err(db("taking a webhook lease"))?;
        Ok(changed == 1)
    }

    fn release_webhook_lease(&self, webhook: &str, holder: &str) -> Result<(), Error> {
        let c = self.conn()?;
        block_on(c.execute(
            "DELETE FROM webhook_leases WHERE webhook = $1 AND holder = $2",
            &[&webhook, &holder],
        ))
        .map_err(db("releasing a webhook lease"))?;
        Ok(())
    }

    fn dead_letter(&self, e: &DeadLetter) -> Result<(), Error> {
        let c = self.conn()?;
        block_on(c.execute(
            "INSERT INTO dead_letters (webhook, alert_id, attempts, last_error, at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &e.webhook,
                &e.alert_id,
                &i64::from(e.attempts),
                &e.last_error,
                &i64_of(e.at_ms),
            ],
        ))
        .map_err(db("writing a dead letter"))?;
        Ok(())
    }

    fn dead_letters(&self, webhook: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>, Error> {
        let c = self.conn()?;
        let rows = block_on(c.query(
            "SELECT webhook, alert_id, attempts, last_error, at_ms FROM dead_letters \
             WHERE ($1::TEXT IS NULL OR webhook = $1) ORDER BY id DESC LIMIT $2",
            &[&webhook, &(limit.min(i64::MAX as usize) as i64)],
        ))
        .map_err(db("reading dead letters"))?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    webhook: r.try_get(0)?,
                    alert_id: r.try_get(1)?,
                    attempts: r.try_get::<_, i64>(2)?.clamp(0, u32::MAX as i64) as u32,
                    last_error: r.try_get(3)?,
                    at_ms: r.try_get::<_, i64>(4)? as u64,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(db("reading dead letters"))
    }
}
