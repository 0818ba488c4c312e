//! Webhooks against a real HTTP receiver on loopback (axum): retries with backoff until the
//! receiver accepts, a valid HMAC-SHA256 signature, grouping by page, the minimum confidence,
//! dead letters after `max_attempts`, suppressed alerts left out, a durable cursor, and a new
//! webhook that does not replay history.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alerts::webhook::{Deliverer, Outcome, WebhookConfig, payload};
use alerts::{AlertStore, SqliteStore};
use axum::http::{HeaderMap, StatusCode};
use wire::{Alert, Confidence, alert_id};

const SECRET: &str = "webhook-secret-for-tests";

#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: serde_json::Value,
    raw: Vec<u8>,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    /// Answer 500 to this many requests first.
    fail_first: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(fail_first: usize) -> (Receiver, String) {
        let r = Receiver::default();
        r.fail_first.store(fail_first, Ordering::SeqCst);
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                |axum::extract::State(s): axum::extract::State<Receiver>,
                 headers: HeaderMap,
                 body: axum::body::Bytes| async move {
                    s.got.lock().unwrap().push(Received {
                        headers,
                        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                        raw: body.to_vec(),
                    });
                    let left = s.fail_first.load(Ordering::SeqCst);
                    if left > 0 {
                        s.fail_first.store(left - 1, Ordering::SeqCst);
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app.with_state(state)).await;
        });
        (r, format!("http://{addr}/hook"))
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn alert(page: &str, n: u64, confidence: Confidence) -> Alert {
    let page_hash = wire::body_hash(page.as_bytes());
    let record = format!("r{:016x}", 0x1000 + n);
    Alert {
        v: wire::ALERT_VERSION,
        id: alert_id(&page_hash, "b1", &record),
        source: "pastes".into(),
        url: format!("http://paste.example/raw/{page}"),
        page_hash,
        fetched_at_ms: 1_700_000_000_000,
        detected_at_ms: 1_700_000_000_001,
        bundle_id: "b1".into(),
        record,
        confidence,
        fields: vec!["birth_date".into(), "name".into()],
        spans: vec![],
        occurrences: 1,
        page_records: 3,
    }
}

fn config(name: &str, url: &str, extra: &str, dir: &std::path::Path) -> WebhookConfig {
    let secret = dir.join(format!("{name}.secret"));
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let text = format!(
        "name = \"{name}\"\nurl = \"{url}\"\nsecret_file = \"{}\"\ninitial_backoff_ms = 10\n\
         max_backoff_ms = 40\ntimeout_ms = 5000\npoll_ms = 50\n{extra}",
        secret.display()
    );
    toml::from_str(&text).unwrap()
}

fn store_with(alerts: &[Alert]) -> Arc<SqliteStore> {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    for a in alerts {
        // One upsert per page, as the pipeline does.
        store.upsert(std::slice::from_ref(a)).unwrap();
    }
    store
}

#[tokio::test]
async fn retries_until_accepted_then_one_signed_post_per_page() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, url) = Receiver::start(2).await;
    let a1 = alert("A", 1, Confidence::High);
    let a2 = alert("A", 2, Confidence::Medium);
    let a3 = alert("A", 3, Confidence::Low);
    let b1 = alert("B", 4, Confidence::High);
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    store.upsert(&[a1.clone(), a2.clone(), a3.clone()]).unwrap();
    store.upsert(std::slice::from_ref(&b1)).unwrap();
    let d = Deliverer::new(config("soc", &url, "", dir.path()), store.clone()).unwrap();

    let end = d.step(0).await.unwrap().expect("new alerts");
    let got = receiver.received();
    // Page A: two failures, then accepted; page B: at once.
    assert_eq!(got.len(), 4, "{got:?}");
    let ids = |r: &Received| -> Vec<String> {
        r.body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for r in &got[..3] {
        // The low-confidence alert is below the default minimum (medium).
        assert_eq!(ids(r), [a1.id.clone(), a2.id.clone()]);
        assert_eq!(r.body["page"]["url"], a1.url);
        assert_eq!(r.body["max_confidence"], "high");
        assert_eq!(r.body["type"], "leakwatch.alerts.v1");
    }
    assert_eq!(ids(&got[3]), std::slice::from_ref(&b1.id));
    // Retries are the same delivery; attempts are numbered.
    let header = |r: &Received, h: &str| r.headers[h].to_str().unwrap().to_owned();
    assert_eq!(
        header(&got[0], "x-leakwatch-delivery"),
        header(&got[2], "x-leakwatch-delivery")
    );
    assert_ne!(
        header(&got[0], "x-leakwatch-delivery"),
        header(&got[3], "x-leakwatch-delivery")
    );
    assert_eq!(
        (0..3)
            .map(|i| header(&got[i], "x-leakwatch-attempt"))
            .collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    // Every request is signed over its timestamp and body.
    for r in &got {
        let ts: u64 = header(r, "x-leakwatch-timestamp").parse().unwrap();
        assert_eq!(
            header(r, "x-leakwatch-signature"),
            payload::signature(SECRET.as_bytes(), ts, &r.raw)
        );
        assert_eq!(header(r, "content-type"), "application/json");
    }
    // The cursor is durable: nothing more to send.
    assert_eq!(store.webhook_cursor("soc").unwrap(), Some(end));
    assert_eq!(d.step(end).await.unwrap(), None);
    assert_eq!(receiver.received().len(), 4);
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_gets_dead_letters_and_the_cursor_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, url) = Receiver::start(usize::MAX).await;
    let a = alert("A", 1, Confidence::High);
    let store = store_with(std::slice::from_ref(&a));
    let d = Deliverer::new(
        config("ops", &url, "max_attempts = 3", dir.path()),
        store.clone(),
    )
    .unwrap();
    let page = store.after_seq(0, 10).unwrap();
    let notification = payload::group(&page, Confidence::Low, 100).remove(0);
    let outcome = d.deliver(&notification).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::DeadLettered { attempts: 3, last_error } if last_error.contains("500")),
        "{outcome:?}"
    );
    assert_eq!(receiver.received().len(), 3);
    let letters = store.dead_letters(Some("ops"), 10).unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (letters[0].alert_id.as_str(), letters[0].attempts),
        (a.id.as_str(), 3)
    );
    // Through `step`, the cursor moves past the dead letter.
    let end = d.step(0).await.unwrap().unwrap();
    assert_eq!(store.webhook_cursor("ops").unwrap(), Some(end));
}

#[tokio::test]
async fn slack_messages_name_refs_and_escape_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, url) = Receiver::start(0).await;
    let mut a = alert("A", 1, Confidence::High);
    a.url = "http://paste.example/raw/<!channel>&x".into();
    a.id = alert_id(&a.page_hash, &a.bundle_id, &a.record);
    let store = store_with(std::slice::from_ref(&a));
    let d = Deliverer::new(
        config("slack", &url, "format = \"slack\"", dir.path()),
        store,
    )
    .unwrap();
    d.step(0).await.unwrap();
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let text = got[0].body["text"].as_str().unwrap();
    assert!(
        text.contains("1 register record found (high confidence)"),
        "{text}"
    );
    assert!(text.contains("&lt;!channel&gt;&amp;x"), "{text}");
    assert!(!text.contains("<!channel>"), "{text}");
    assert!(got[0].body["blocks"].to_string().contains(&a.record));
}

#[tokio::test]
async fn suppressed_alerts_are_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, url) = Receiver::start(0).await;
    let first = alert("A", 1, Confidence::High);
    // The same record on the same URL with another body: stored, suppressed.
    let mut again = first.clone();
    again.page_hash = wire::body_hash(b"A, edited");
    again.id = alert_id(&again.page_hash, &again.bundle_id, &again.record);
    let store = store_with(&[first.clone(), again.clone()]);
    assert!(store.get(&again.id).unwrap().unwrap().suppressed);
    let d = Deliverer::new(config("soc", &url, "", dir.path()), store).unwrap();
    d.step(0).await.unwrap();
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["alerts"][0]["id"], first.id);
}

#[tokio::test]
async fn a_running_webhook_sends_new_alerts_and_not_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, url) = Receiver::start(0).await;
    let old = alert("old", 1, Confidence::High);
    let store = store_with(std::slice::from_ref(&old));
    let wake = Arc::new(tokio::sync::Notify::new());
    let running = alerts::webhook::spawn_all(
        &[config("soc", &url, "", dir.path())],
        store.clone(),
        wake.clone(),
    )
    .unwrap();
    // Started: the cursor skipped the history.
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.webhook_cursor("soc").unwrap().is_none() {
        assert!(Instant::now() < deadline, "the webhook did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let new = alert("new", 2, Confidence::High);
    store.upsert(std::slice::from_ref(&new)).unwrap();
    wake.notify_waiters();
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.received().is_empty() {
        assert!(Instant::now() < deadline, "no POST for the new alert");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["alerts"][0]["id"], new.id);
    drop(running);
}

/// Waits until `n` POSTs arrived (or fails after 10 s).
async fn wait_for(receiver: &Receiver, n: usize, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.received().len() < n {
        assert!(
            Instant::now() < deadline,
            "{what}: {} of {n} POSTs",
            receiver.received().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Delivery ids of the POSTs received.
fn deliveries(receiver: &Receiver) -> Vec<String> {
    receiver
        .received()
        .iter()
        .map(|r| {
            r.headers["x-leakwatch-delivery"]
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Two processes sharing one store (alerts replicas): a holder that vanished without giving
/// the webhook's lease up is taken over when the lease lapses; while one process delivers, the
/// other stands by, so each notification is POSTed once; when the holder stops, the other takes
/// over at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_a_store_deliver_each_notification_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.sqlite");
    let (receiver, url) = Receiver::start(0).await;
    let open = || -> Arc<dyn AlertStore> { Arc::new(SqliteStore::open(&path).unwrap()) };
    let writer = open();
    // The webhook ran before (its cursor is past the history) and its holder crashed: its
    // lease lapses 1.5 s from now.
    writer.upsert(&[alert("old", 0, Confidence::High)]).unwrap();
    let seq = writer.after_seq(0, 10).unwrap()[0].seq;
    writer.set_webhook_cursor("soc", seq).unwrap();
    assert!(writer.webhook_lease("soc", "crashed", 1_500).unwrap());
    let mut hook = config("soc", &url, "lease_ms = 3000", dir.path());
    hook.timeout_ms = 2_000;
    let hooks = [hook];
    let wake = Arc::new(tokio::sync::Notify::new());
    let started = Instant::now();
    let run_a = alerts::webhook::spawn_all(&hooks, open(), wake.clone()).unwrap();
    for n in 1..=10 {
        writer
            .upsert(&[alert(&format!("page{n}"), n, Confidence::High)])
            .unwrap();
    }
    wake.notify_waiters();
    wait_for(&receiver, 10, "after the crashed holder's lease lapsed").await;
    assert!(
        started.elapsed() >= Duration::from_millis(1_400),
        "delivered while another held the lease: {:?}",
        started.elapsed()
    );
    // A second replica: it stands by while the first delivers.
    let run_b = alerts::webhook::spawn_all(&hooks, open(), wake.clone()).unwrap();
    assert_ne!(run_a.holder(), run_b.holder());
    for n in 11..=30 {
        writer
            .upsert(&[alert(&format!("page{n}"), n, Confidence::High)])
            .unwrap();
        wake.notify_waiters();
    }
    wait_for(&receiver, 30, "two replicas running").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = deliveries(&receiver);
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (got.len(), unique.len()),
        (30, 30),
        "each notification once"
    );
    // The holder stops and gives the lease up: the other takes over before it would lapse.
    drop(run_a);
    let stopped = Instant::now();
    for n in 31..=35 {
        writer
            .upsert(&[alert(&format!("page{n}"), n, Confidence::High)])
            .unwrap();
    }
    wait_for(&receiver, 35, "the other replica taking over").await;
    assert!(
        stopped.elapsed() < Duration::from_millis(2_500),
        "taken over only after the lease lapsed: {:?}",
        stopped.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 35, "nothing twice");
    drop(run_b);
}

/// A webhook first started on an empty store, then stopped: alerts stored while it was down are
/// delivered when it runs again (an empty history at the first start is still a start).
#[tokio::test]
async fn alerts_stored_while_a_webhook_was_down_are_delivered_after_its_first_start() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, url) = Receiver::start(0).await;
    let store = store_with(&[]);
    let hooks = [config("soc", &url, "", dir.path())];
    let wake = Arc::new(tokio::sync::Notify::new());
    let running = alerts::webhook::spawn_all(&hooks, store.clone(), wake.clone()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.webhook_cursor("soc").unwrap().is_none() {
        assert!(Instant::now() < deadline, "the webhook did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(running);
    let missed = alert("while-down", 1, Confidence::High);
    store.upsert(std::slice::from_ref(&missed)).unwrap();
    let _running = alerts::webhook::spawn_all(&hooks, store.clone(), wake).unwrap();
    wait_for(&receiver, 1, "the alert stored while the webhook was down").await;
    assert_eq!(receiver.received()[0].body["alerts"][0]["id"], missed.id);
}
