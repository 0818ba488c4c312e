//! One test suite for every alert store: each test is written once against `&dyn AlertStore`
//! and runs on SQLite (always) and on PostgreSQL when `LEAKWATCH_POSTGRES` holds a connection
//! URL (`scripts/test.sh` starts a server; each test gets a schema of its own, dropped after).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use alerts::{
    AlertQuery, AlertStore, DAY_MS, DeadLetter, PostgresStore, Secret, SqliteStore, Status, Triage,
    purge_now,
};
use wire::{Alert, AlertSpan, Confidence, alert_id};

/// Opens handles on one database (several handles: several writers).
trait Backend {
    fn open(&self, suppression_window_ms: u64) -> Arc<dyn AlertStore>;
}

struct Sqlite {
    dir: tempfile::TempDir,
}

impl Backend for Sqlite {
    fn open(&self, window: u64) -> Arc<dyn AlertStore> {
        Arc::new(
            SqliteStore::open(&self.dir.path().join("alerts.sqlite"))
                .unwrap()
                .with_suppression_window_ms(window),
        )
    }
}

struct Postgres {
    url: String,
    schema: String,
}

static SCHEMAS: AtomicU64 = AtomicU64::new(0);

impl Postgres {
    fn new() -> Option<Postgres> {
        let url = std::env::var("LEAKWATCH_POSTGRES")
            .ok()
            .filter(|u| !u.is_empty())?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let schema = format!(
            "lw_test_{}_{}_{nanos}",
            std::process::id(),
            SCHEMAS.fetch_add(1, Ordering::Relaxed)
        );
        Some(Postgres { url, schema })
    }
}

impl Backend for Postgres {
    fn open(&self, window: u64) -> Arc<dyn AlertStore> {
        Arc::new(
            PostgresStore::connect(&Secret::new(self.url.clone()), &self.schema, 4, None)
                .unwrap()
                .with_suppression_window_ms(window),
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            if let Ok((client, conn)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
                tokio::spawn(conn);
                let _ = client
                    .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                    .await;
            }
        });
    }
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let b = super::Sqlite { dir: tempfile::tempdir().unwrap() };
                    super::$name(&b);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some(b) = super::Postgres::new() else {
                        eprintln!(
                            "skipped: LEAKWATCH_POSTGRES is not set (scripts/test.sh starts a server)"
                        );
                        return;
                    };
                    super::$name(&b);
                }
            )*
        }
    };
}

suite!(
    upsert_is_idempotent_and_moves_last_seen_forward_only,
    seq_is_insertion_order_and_after_seq_resumes,
    list_filters,
    url_contains_is_a_plain_substring,
    pagination_covers_every_alert_once_under_concurrent_inserts,
    suppression_window,
    triage_and_audit_trail,
    stats_by_day_confidence_source_status,
    purge_by_last_seen_with_audit_and_no_seq_reuse,
    webhook_cursors_and_dead_letters,
    webhook_leases_have_one_holder_at_a_time,
    concurrent_writers_see_an_alert_as_new_exactly_once,
);

const DAY: u64 = DAY_MS;
/// 2024-10-04T00:00:00Z.
const T0: u64 = 20_000 * DAY;

fn rec(n: u64) -> String {
    format!("r{n:016x}")
}

fn alert(record: u64, page: &str, url: &str, fetched_at_ms: u64, c: Confidence) -> Alert {
    let page_hash = wire::body_hash(page.as_bytes());
    let record = rec(record);
    Alert {
        v: wire::ALERT_VERSION,
        id: alert_id(&page_hash, "b1", &record),
        source: "pastes".into(),
        url: url.into(),
        page_hash,
        fetched_at_ms,
        detected_at_ms: fetched_at_ms + 5,
        bundle_id: "b1".into(),
        record,
        confidence: c,
        fields: vec!["birth_date".into(), "name".into(), "phone".into()],
        spans: vec![AlertSpan {
            start: 10,
            end: 23,
            kind: "phone".into(),
        }],
        occurrences: 2,
        page_records: 3,
    }
}

fn ids(alerts: &[alerts::StoredAlert]) -> Vec<String> {
    alerts.iter().map(|a| a.alert.id.clone()).collect()
}

fn upsert_is_idempotent_and_moves_last_seen_forward_only(b: &dyn Backend) {
    let store = b.open(0);
    let a = alert(1, "p", "http://x/1", T0, Confidence::High);
    let up = store.upsert(std::slice::from_ref(&a)).unwrap();
    assert_eq!((up.inserted, up.existing, up.notify), (1, 0, vec![0]));
    let up = store.upsert(std::slice::from_ref(&a)).unwrap();
    assert_eq!((up.inserted, up.existing), (0, 1));
    assert!(up.new_alerts.is_empty() && up.notify.is_empty());
    let mut later = a.clone();
    later.fetched_at_ms = T0 + 500;
    later.url = "http://mirror/1".into();
    store.upsert(&[later]).unwrap();
    let mut earlier = a.clone();
    earlier.fetched_at_ms = T0 - 50;
    store.upsert(&[earlier]).unwrap();
    let got = store.get(&a.id).unwrap().unwrap();
    assert_eq!(got.alert, a, "the first sighting is kept, spans and all");
    assert_eq!((got.first_seen_ms, got.last_seen_ms), (T0, T0 + 500));
    assert_eq!(got.status, Status::New);
    assert_eq!(
        (got.assignee, got.notes_count, got.suppressed),
        (None, 0, false)
    );
    assert_eq!(got.updated_at_ms, got.stored_at_ms);
    assert_eq!(store.count().unwrap(), 1);
    assert!(store.get("nope").unwrap().is_none());
    assert_eq!(store.upsert(&[]).unwrap(), alerts::Upserted::default());
}

fn seq_is_insertion_order_and_after_seq_resumes(b: &dyn Backend) {
    let store = b.open(0);
    // Fetched out of order: seq follows insertion, not fetch time.
    let batch: Vec<Alert> = (0..5)
        .map(|i| {
            alert(
                i,
                &format!("p{i}"),
                "http://x/",
                T0 + 100 - i,
                Confidence::Low,
            )
        })
        .collect();
    store.upsert(&batch[..3]).unwrap();
    store.upsert(&batch[3..]).unwrap();
    let all = store.after_seq(0, 100).unwrap();
    assert_eq!(ids(&all), ids_of(&batch));
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let from = all[1].seq;
    assert_eq!(
        ids(&store.after_seq(from, 2).unwrap()),
        ids_of(&batch[2..4])
    );
    assert!(store.after_seq(all[4].seq, 10).unwrap().is_empty());
    // A redelivery does not move an alert in the sequence.
    store.upsert(&batch[..1]).unwrap();
    assert!(store.after_seq(all[4].seq, 10).unwrap().is_empty());
}

fn ids_of(alerts: &[Alert]) -> Vec<String> {
    alerts.iter().map(|a| a.id.clone()).collect()
}

fn list_filters(b: &dyn Backend) {
    let store = b.open(0);
    let mut onion = alert(2, "p1", "http://abc.onion/x", T0 + 10, Confidence::High);
    onion.source = "onion".into();
    let batch = [
        alert(1, "p1", "http://abc.onion/x", T0 + 10, Confidence::Low),
        onion,
        alert(
            1,
            "p2",
            "https://paste.example/raw/2",
            T0 + 20,
            Confidence::Medium,
        ),
        alert(
            3,
            "p3",
            "https://paste.example/raw/3",
            T0 + 30,
            Confidence::High,
        ),
    ];
    store.upsert(&batch).unwrap();
    store
        .triage(
            &batch[3].id,
            &Triage {
                status: Some(Status::Resolved),
                ..Default::default()
            },
            "ana",
            T0 + 40,
        )
        .unwrap()
        .unwrap();
    let page_hash = batch[0].page_hash.clone();
    let cases: Vec<(AlertQuery, Vec<usize>)> = vec![
        (AlertQuery::default(), vec![3, 2, 1, 0]),
        (
            AlertQuery {
                min_confidence: Some(Confidence::Medium),
                ..Default::default()
            },
            vec![3, 2, 1],
        ),
        (
            AlertQuery {
                record: Some(rec(1)),
                ..Default::default()
            },
            vec![2, 0],
        ),
        (
            AlertQuery {
                source: Some("onion".into()),
                ..Default::default()
            },
            vec![1],
        ),
        (
            AlertQuery {
                since_ms: Some(T0 + 20),
                ..Default::default()
            },
            vec![3, 2],
        ),
        (
            AlertQuery {
                until_ms: Some(T0 + 20),
                ..Default::default()
            },
            vec![1, 0],
        ),
        (
            AlertQuery {
                status: Some(Status::Resolved),
                ..Default::default()
            },
            vec![3],
        ),
        (
            AlertQuery {
                status: Some(Status::New),
                min_confidence: Some(Confidence::High),
                ..Default::default()
            },
            vec![1],
        ),
        (
            AlertQuery {
                page_hash: Some(page_hash),
                ..Default::default()
            },
            vec![1, 0],
        ),
        (
            AlertQuery {
                url_contains: Some("PASTE.example".into()),
                ..Default::default()
            },
            vec![3, 2],
        ),
        (
            AlertQuery {
                record: Some("r-nobody".into()),
                ..Default::default()
            },
            vec![],
        ),
    ];
    for (q, want) in cases {
        let got = store.list(&q).unwrap();
        let want: Vec<String> = want.iter().map(|&i| batch[i].id.clone()).collect();
        // Same first_seen: the later seq comes first.
        assert_eq!(ids(&got.alerts), want, "{q:?}");
        assert!(got.next_cursor.is_none());
    }
    let e = store
        .list(&AlertQuery {
            cursor: Some("garbage".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), wire::ErrorKind::BadInput, "{e}");
}

fn url_contains_is_a_plain_substring(b: &dyn Backend) {
    let store = b.open(0);
    let batch = [
        alert(1, "a", "http://x/100%_off", T0, Confidence::High),
        alert(2, "b", "http://x/100xyoff", T0, Confidence::High),
        alert(3, "c", "http://x/a\\b", T0, Confidence::High),
        alert(
            4,
            "d",
            "http://x/'; DROP TABLE alerts; --",
            T0,
            Confidence::High,
        ),
    ];
    store.upsert(&batch).unwrap();
    let find = |s: &str| {
        let mut got = ids(&store
            .list(&AlertQuery {
                url_contains: Some(s.into()),
                ..Default::default()
            })
            .unwrap()
            .alerts);
        got.sort();
        got
    };
    let one = |i: usize| vec![batch[i].id.clone()];
    assert_eq!(find("100%_off"), one(0), "% and _ are not wildcards");
    assert_eq!(find("%"), one(0));
    assert_eq!(find("0_y"), Vec::<String>::new(), "_ is not one character");
    assert_eq!(find("a\\b"), one(2));
    assert_eq!(find("'; DROP TABLE alerts; --"), one(3));
    assert_eq!(store.count().unwrap(), 4);
}

fn pagination_covers_every_alert_once_under_concurrent_inserts(b: &dyn Backend) {
    let store = b.open(0);
    // 23 alerts over 5 distinct times: many ties in first_seen_ms.
    let batch: Vec<Alert> = (0..23)
        .map(|i| {
            alert(
                i,
                &format!("p{i}"),
                "http://x/",
                T0 + (i % 5) * 1000,
                Confidence::High,
            )
        })
        .collect();
    store.upsert(&batch).unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = store
            .list(&AlertQuery {
                cursor: cursor.clone(),
                limit: Some(4),
                ..Default::default()
            })
            .unwrap();
        assert!(page.alerts.len() <= 4);
        seen.extend(page.alerts.iter().cloned());
        pages += 1;
        if pages == 2 {
            // Newer alerts arriving meanwhile do not shift or repeat the later pages.
            let newer: Vec<Alert> = (100..103)
                .map(|i| {
                    alert(
                        i,
                        &format!("n{i}"),
                        "http://x/",
                        T0 + 9000,
                        Confidence::High,
                    )
                })
                .collect();
            store.upsert(&newer).unwrap();
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 6);
    let mut got = ids(&seen);
    let keys: Vec<(u64, u64)> = seen.iter().map(|a| (a.first_seen_ms, a.seq)).collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "newest first: {keys:?}"
    );
    got.sort();
    let mut want = ids_of(&batch);
    want.sort();
    assert_eq!(got, want);
    // Default and maximum page sizes.
    assert_eq!(store.list(&AlertQuery::default()).unwrap().alerts.len(), 26);
    let page = store
        .list(&AlertQuery {
            limit: Some(100_000),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((page.alerts.len(), page.next_cursor), (26, None));
}

fn suppression_window(b: &dyn Backend) {
    let store = b.open(3_600_000);
    let url = "http://paste/live";
    // The same record on a page that changes: a new page hash each time, so a new alert.
    let first = alert(1, "v1", url, T0, Confidence::High);
    let again = alert(1, "v2", url, T0 + 60_000, Confidence::High);
    let other_url = alert(1, "v3", "http://paste/other", T0 + 60_000, Confidence::High);
    let other_record = alert(2, "v2", url, T0 + 60_000, Confidence::High);
    let up = store.upsert(std::slice::from_ref(&first)).unwrap();
    assert_eq!(up.notify, [0]);
    let up = store
        .upsert(&[again.clone(), other_url.clone(), other_record.clone()])
        .unwrap();
    assert_eq!(up.new_alerts, [0, 1, 2]);
    assert_eq!(
        up.notify,
        [1, 2],
        "the same record on the same URL is suppressed"
    );
    let got = store.get(&again.id).unwrap().unwrap();
    assert!(got.suppressed);
    assert!(!store.get(&other_url.id).unwrap().unwrap().suppressed);
    // A suppressed alert does not extend the window: an hour after the first it notifies.
    let later = alert(1, "v4", url, T0 + 3_600_000 + 1, Confidence::High);
    assert_eq!(store.upsert(&[later]).unwrap().notify, [0]);
    // Within one batch too.
    let store = b.open(3_600_000);
    let x = alert(7, "w1", "http://y/", T0, Confidence::Low);
    let y = alert(7, "w2", "http://y/", T0 + 1, Confidence::Low);
    assert_eq!(store.upsert(&[x, y]).unwrap().notify, [0]);
    // Window 0: nothing is suppressed.
    let store = b.open(0);
    let z = alert(7, "w3", "http://y/", T0 + 2, Confidence::Low);
    assert_eq!(store.upsert(&[z]).unwrap().notify, [0]);
}

/// One audit entry: when, who, which field, old, new.
type Change = (u64, String, String, Option<String>, Option<String>);

fn triage_and_audit_trail(b: &dyn Backend) {
    let store = b.open(0);
    let a = alert(1, "p", "http://x/", T0, Confidence::High);
    store.upsert(std::slice::from_ref(&a)).unwrap();
    let t = store
        .triage(
            &a.id,
            &Triage {
                status: Some(Status::Acknowledged),
                assignee: Some(Some("ben".into())),
                note: Some("mirror of the forum dump".into()),
            },
            "ana",
            T0 + 1000,
        )
        .unwrap()
        .unwrap();
    assert_eq!(t.status, Status::Acknowledged);
    assert_eq!(t.assignee.as_deref(), Some("ben"));
    assert_eq!((t.notes_count, t.updated_at_ms), (1, T0 + 1000));
    // Setting what is already there changes nothing and audits nothing.
    let same = store
        .triage(
            &a.id,
            &Triage {
                status: Some(Status::Acknowledged),
                assignee: Some(Some("ben".into())),
                note: None,
            },
            "cy",
            T0 + 2000,
        )
        .unwrap()
        .unwrap();
    assert_eq!(same.updated_at_ms, T0 + 1000);
    let t = store
        .triage(
            &a.id,
            &Triage {
                status: Some(Status::Resolved),
                assignee: Some(None),
                note: None,
            },
            "ben",
            T0 + 3000,
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (t.status, t.assignee, t.notes_count),
        (Status::Resolved, None, 1)
    );
    let trail: Vec<Change> = store
        .audit(&a.id)
        .unwrap()
        .into_iter()
        .map(|e| {
            assert_eq!(e.alert_id, a.id);
            (e.at_ms, e.actor, e.field, e.old, e.new)
        })
        .collect();
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        trail,
        [
            (
                T0 + 1000,
                "ana".into(),
                "status".into(),
                s("new"),
                s("acknowledged")
            ),
            (T0 + 1000, "ana".into(), "assignee".into(), None, s("ben")),
            (
                T0 + 1000,
                "ana".into(),
                "note".into(),
                None,
                s("mirror of the forum dump")
            ),
            (
                T0 + 3000,
                "ben".into(),
                "status".into(),
                s("acknowledged"),
                s("resolved")
            ),
            (T0 + 3000, "ben".into(), "assignee".into(), s("ben"), None),
        ]
    );
    assert!(
        store
            .triage("nope", &Triage::default(), "ana", T0)
            .unwrap()
            .is_none()
    );
    let e = store
        .triage(
            &a.id,
            &Triage {
                note: Some(String::new()),
                ..Default::default()
            },
            "ana",
            T0,
        )
        .unwrap_err();
    assert_eq!(e.kind(), wire::ErrorKind::BadInput);
    assert!(store.audit("nope").unwrap().is_empty());
}

fn stats_by_day_confidence_source_status(b: &dyn Backend) {
    let store = b.open(0);
    let mut onion = alert(3, "p3", "http://o.onion/", T0 + DAY + 5, Confidence::High);
    onion.source = "onion".into();
    let batch = [
        alert(1, "p1", "http://x/", T0 + 1, Confidence::High),
        alert(2, "p1", "http://x/", T0 + 1, Confidence::Low),
        alert(1, "p2", "http://x/", T0 + DAY - 1, Confidence::Medium),
        onion,
    ];
    store.upsert(&batch).unwrap();
    store
        .triage(
            &batch[1].id,
            &Triage {
                status: Some(Status::FalsePositive),
                ..Default::default()
            },
            "ana",
            T0,
        )
        .unwrap();
    let s = store.stats(None).unwrap();
    assert_eq!((s.total, s.distinct_records, s.suppressed), (4, 3, 0));
    assert_eq!(
        (
            s.by_confidence.low,
            s.by_confidence.medium,
            s.by_confidence.high
        ),
        (1, 1, 2)
    );
    let days: Vec<(String, u64, u64, u64)> = s
        .by_day
        .iter()
        .map(|d| (d.day.clone(), d.counts.low, d.counts.medium, d.counts.high))
        .collect();
    assert_eq!(
        days,
        [
            ("2024-10-04".to_owned(), 1, 1, 1),
            ("2024-10-05".to_owned(), 0, 0, 1)
        ]
    );
    let sources: Vec<(&str, u64)> = s
        .by_source
        .iter()
        .map(|n| (n.name.as_str(), n.count))
        .collect();
    assert_eq!(sources, [("pastes", 3), ("onion", 1)]);
    let statuses: Vec<(&str, u64)> = s
        .by_status
        .iter()
        .map(|n| (n.name.as_str(), n.count))
        .collect();
    assert_eq!(
        statuses,
        [
            ("new", 3),
            ("acknowledged", 0),
            ("false_positive", 1),
            ("resolved", 0)
        ]
    );
    let s = store.stats(Some(T0 + DAY)).unwrap();
    assert_eq!((s.total, s.distinct_records, s.by_day.len()), (1, 1, 1));
    let empty = b.open(0);
    let e = empty.stats(Some(T0 + 10 * DAY)).unwrap();
    assert_eq!((e.total, e.by_day.len(), e.by_status.len()), (0, 0, 4));
}

fn purge_by_last_seen_with_audit_and_no_seq_reuse(b: &dyn Backend) {
    let store = b.open(0);
    let old = alert(1, "old", "http://x/", T0, Confidence::High);
    let seen_again = alert(2, "again", "http://x/", T0, Confidence::High);
    let fresh = alert(3, "fresh", "http://x/", T0 + 50 * DAY, Confidence::High);
    store
        .upsert(&[old.clone(), seen_again.clone(), fresh.clone()])
        .unwrap();
    let mut again = seen_again.clone();
    again.fetched_at_ms = T0 + 40 * DAY;
    store.upsert(&[again]).unwrap();
    let note = Triage {
        note: Some("checked".into()),
        ..Default::default()
    };
    store.triage(&old.id, &note, "ana", T0).unwrap();
    store.triage(&fresh.id, &note, "ana", T0).unwrap();
    let max_seq = store.after_seq(0, 10).unwrap().last().unwrap().seq;
    // Retention 30 days at T0 + 60 days: `old` (last seen T0) goes; `seen_again` (last seen
    // T0 + 40 days) stays.
    assert_eq!(purge_now(&*store, 30, T0 + 60 * DAY).unwrap(), 1);
    assert!(store.get(&old.id).unwrap().is_none());
    assert!(store.audit(&old.id).unwrap().is_empty());
    assert_eq!(store.audit(&fresh.id).unwrap().len(), 1);
    assert_eq!(store.count().unwrap(), 2);
    assert_eq!(
        purge_now(&*store, 0, u64::MAX / 2).unwrap(),
        0,
        "0 keeps forever"
    );
    // Purging the newest alert does not free its seq.
    assert_eq!(store.purge(T0 + 100 * DAY).unwrap(), 2);
    let next = alert(4, "next", "http://x/", T0, Confidence::High);
    store.upsert(&[next]).unwrap();
    assert!(store.after_seq(0, 10).unwrap()[0].seq > max_seq);
    // The same alert again after a purge is new again.
    let up = store.upsert(&[fresh]).unwrap();
    assert_eq!(up.inserted, 1);
}

fn webhook_cursors_and_dead_letters(b: &dyn Backend) {
    let store = b.open(0);
    assert_eq!(store.webhook_cursor("soc").unwrap(), None, "never saved");
    store.set_webhook_cursor("new", 0).unwrap();
    assert_eq!(
        store.webhook_cursor("new").unwrap(),
        Some(0),
        "saved at 0: started"
    );
    store.set_webhook_cursor("soc", 7).unwrap();
    store.set_webhook_cursor("slack", 3).unwrap();
    store.set_webhook_cursor("soc", 9).unwrap();
    assert_eq!(store.webhook_cursor("soc").unwrap(), Some(9));
    assert_eq!(store.webhook_cursor("slack").unwrap(), Some(3));
    let handle = b.open(0);
    assert_eq!(handle.webhook_cursor("soc").unwrap(), Some(9), "durable");
    for (i, w) in ["soc", "slack", "soc"].iter().enumerate() {
        store
            .dead_letter(&DeadLetter {
                webhook: (*w).into(),
                alert_id: format!("a{i}"),
                attempts: 5,
                last_error: "HTTP 503".into(),
                at_ms: T0 + i as u64,
            })
            .unwrap();
    }
    let soc = store.dead_letters(Some("soc"), 10).unwrap();
    let got: Vec<&str> = soc.iter().map(|d| d.alert_id.as_str()).collect();
    assert_eq!(got, ["a2", "a0"], "newest first");
    assert_eq!(soc[0].attempts, 5);
    assert_eq!(soc[0].last_error, "HTTP 503");
    assert_eq!(store.dead_letters(None, 2).unwrap().len(), 2);
    assert_eq!(store.dead_letters(None, 10).unwrap().len(), 3);
    // A cursor only moves forward (a process that lost the lease mid-POST writes an older one).
    store.set_webhook_cursor("soc", 5).unwrap();
    assert_eq!(store.webhook_cursor("soc").unwrap(), Some(9));
}

fn webhook_leases_have_one_holder_at_a_time(b: &dyn Backend) {
    let store = b.open(0);
    assert!(
        store.webhook_lease("soc", "a", 60_000).unwrap(),
        "free: taken"
    );
    assert!(
        !store.webhook_lease("soc", "b", 60_000).unwrap(),
        "held by a"
    );
    assert!(
        store.webhook_lease("soc", "a", 60_000).unwrap(),
        "renewed by its holder"
    );
    assert!(
        store.webhook_lease("slack", "b", 60_000).unwrap(),
        "one lease per webhook"
    );
    store.release_webhook_lease("soc", "b").unwrap();
    assert!(
        !store.webhook_lease("soc", "b", 60_000).unwrap(),
        "only the holder releases"
    );
    store.release_webhook_lease("soc", "a").unwrap();
    assert!(
        store.webhook_lease("soc", "b", 60_000).unwrap(),
        "released: taken at once"
    );
    let other = b.open(0);
    assert!(
        !other.webhook_lease("soc", "a", 60_000).unwrap(),
        "another handle sees it"
    );
    // An expired lease is anyone's.
    assert!(store.webhook_lease("short", "a", 1).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(30));
    assert!(
        other.webhook_lease("short", "b", 60_000).unwrap(),
        "expired: taken over"
    );
    assert!(!store.webhook_lease("short", "a", 60_000).unwrap());
    // Contenders racing for a free lease: exactly one wins.
    let winners: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let h = b.open(0);
                s.spawn(move || {
                    usize::from(h.webhook_lease("race", &format!("p{i}"), 60_000).unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(winners, 1);
}

fn concurrent_writers_see_an_alert_as_new_exactly_once(b: &dyn Backend) {
    let batch: Vec<Alert> = (0..30)
        .map(|i| {
            alert(
                i,
                &format!("p{}", i / 3),
                "http://x/",
                T0 + i,
                Confidence::High,
            )
        })
        .collect();
    let stores: Vec<Arc<dyn AlertStore>> = (0..4).map(|_| b.open(DAY)).collect();
    let inserted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(w, store)| {
                let batch = &batch;
                s.spawn(move || {
                    let mut n = 0;
                    // Each writer in its own order and batch size.
                    for chunk in batch.chunks(w + 1) {
                        let mut chunk = chunk.to_vec();
                        if w % 2 == 1 {
                            chunk.reverse();
                        }
                        n += store.upsert(&chunk).unwrap().inserted;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(inserted, 30);
    let all = stores[0].after_seq(0, 100).unwrap();
    assert_eq!(all.len(), 30);
    let mut seqs: Vec<u64> = all.iter().map(|a| a.seq).collect();
    seqs.dedup();
    assert_eq!(seqs.len(), 30);
}
