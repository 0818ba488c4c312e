//! The dashboard in a real browser: headless Debian Chromium driven over WebDriver
//! (chromedriver). `leakwatch alerts serve` serves a SQLite store; the test writes a new alert
//! into the store while the page is open and asserts that it appears live (SSE, no reload), that
//! an analyst's triage click changes its state (in the page and in the store, with an audit
//! entry), and that a viewer's token cannot triage.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alerts::{AlertStore, SqliteStore};
use serde_json::json;
use support::webdriver::{self, Browser};
use wire::{Alert, AlertSpan, Confidence, alert_id};

const ANALYST_TOKEN: &str = "analyst-token-0123456789abcdef";
const VIEWER_TOKEN: &str = "viewer-token-0123456789abcdef";

fn alert(n: u64, confidence: Confidence) -> Alert {
    let page_hash = wire::body_hash(format!("page {n}").as_bytes());
    let record = format!("r{:016x}", 0xabc0_0000 + n);
    Alert {
        v: wire::ALERT_VERSION,
        id: alert_id(&page_hash, "bundle-1", &record),
        source: "pastes".into(),
        url: format!("http://127.0.0.1:9/raw/{n}"),
        page_hash,
        fetched_at_ms: 1_700_000_000_000 + n,
        detected_at_ms: 1_700_000_000_100 + n,
        bundle_id: "bundle-1".into(),
        record,
        confidence,
        fields: vec!["birth_date".into(), "name".into()],
        spans: vec![AlertSpan {
            start: 10,
            end: 20,
            kind: "name".into(),
        }],
        occurrences: 1,
        page_records: 1,
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(dir: &Path, store: &Path) -> (Server, String) {
    std::fs::write(dir.join("analyst.token"), ANALYST_TOKEN).unwrap();
    std::fs::write(dir.join("viewer.token"), VIEWER_TOKEN).unwrap();
    let port = free_port();
    let config = dir.join("leakwatch.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[store]
path = "{store}"

[api]
listen = "127.0.0.1:{port}"
stream_poll_ms = 200

[[api.token]]
name = "ana"
role = "analyst"
token_file = "{dir}/analyst.token"

[[api.token]]
name = "vic"
role = "viewer"
token_file = "{dir}/viewer.token"
"#,
            store = store.display(),
            dir = dir.display(),
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(["alerts", "serve", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start leakwatch alerts serve");
    let server = Server(child);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "alerts serve did not listen: {}",
            std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, base)
}

fn log_in(browser: &Browser, base: &str, token: &str) {
    browser.goto(&format!("{base}/"));
    let input = browser.wait_for("#token", Duration::from_secs(20));
    browser.eval("document.getElementById('token').value = ''", json!([]));
    browser.type_into(&input, token);
    browser.click_css("#token-apply", Duration::from_secs(5));
}

fn row_selector(record: &str) -> String {
    format!("tr[data-record=\"{record}\"]")
}

#[test]
fn a_new_alert_appears_live_and_a_triage_click_changes_its_state() {
    if !webdriver::available() {
        eprintln!(
            "SKIPPED: {} or {} not installed",
            webdriver::CHROMIUM,
            webdriver::CHROMEDRIVER
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("alerts.sqlite");
    let store = SqliteStore::open(&db).unwrap();
    let old = alert(1, Confidence::Medium);
    store.upsert(std::slice::from_ref(&old)).unwrap();

    let (_server, base) = serve(dir.path(), &db);
    let browser = Browser::start(dir.path());
    log_in(&browser, &base, ANALYST_TOKEN);

    // The stored alert is listed, and the feed is connected.
    browser.wait_for(&row_selector(&old.record), Duration::from_secs(20));
    browser.wait_until(
        "the live feed connects",
        "return document.getElementById('feed-state').classList.contains('on')",
        json!([]),
        Duration::from_secs(20),
    );

    // A new alert written into the store (as `alerts ingest` or the pipeline would) appears
    // without a reload.
    let marker = browser.eval("window.__no_reload = 42; return 1", json!([]));
    assert_eq!(marker, json!(1));
    let new = alert(2, Confidence::High);
    store.upsert(std::slice::from_ref(&new)).unwrap();
    browser.wait_for(&row_selector(&new.record), Duration::from_secs(20));
    assert_eq!(
        browser.eval("return window.__no_reload", json!([])),
        json!(42),
        "the page was reloaded"
    );
    assert_eq!(
        browser.eval(
            "return document.querySelector(arguments[0]).dataset.status",
            json!([row_selector(&new.record)])
        ),
        json!("new")
    );

    // Triage: open the alert, click "Acknowledge"; the row's state changes in the page...
    browser.click_css(&row_selector(&new.record), Duration::from_secs(10));
    browser.wait_for("#t-ack", Duration::from_secs(10));
    browser.wait_until(
        "the detail view shows the alert",
        "return document.getElementById('d-id').textContent === arguments[0]",
        json!([new.id]),
        Duration::from_secs(10),
    );
    browser.click_css("#t-ack", Duration::from_secs(10));
    browser.wait_until(
        "the row shows 'acknowledged'",
        "const r = document.querySelector(arguments[0]); return !!r && r.dataset.status === 'acknowledged'",
        json!([row_selector(&new.record)]),
        Duration::from_secs(10),
    );
    // ... and in the store, with an audit entry naming the analyst.
    let stored = store.get(&new.id).unwrap().unwrap();
    assert_eq!(stored.status, alerts::Status::Acknowledged);
    let audit = store.audit(&new.id).unwrap();
    assert!(
        format!("{audit:?}").contains("ana"),
        "audit names the analyst: {audit:?}"
    );

    // A viewer sees the alerts but cannot triage.
    log_in(&browser, &base, VIEWER_TOKEN);
    browser.wait_for(&row_selector(&old.record), Duration::from_secs(20));
    browser.click_css(&row_selector(&old.record), Duration::from_secs(10));
    browser.wait_until(
        "a viewer's triage buttons are disabled",
        "return document.getElementById('t-resolve').disabled === true",
        json!([]),
        Duration::from_secs(10),
    );
    assert_eq!(
        store.get(&old.id).unwrap().unwrap().status,
        alerts::Status::New
    );
    drop(browser);
}
