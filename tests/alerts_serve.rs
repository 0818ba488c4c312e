//! `leakwatch alerts serve` through the real binary: a store with alerts, bearer tokens from
//! token files named in the config, real HTTP requests on loopback (auth, roles, triage,
//! probes, metrics, the dashboard), a live feed that receives an alert stored by another
//! process while it is connected, a clean stop on SIGTERM, and the refusal to listen beyond
//! loopback without tokens.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alerts::{AlertStore, SqliteStore};
use serde_json::Value;
use wire::{Alert, Confidence};

const VIEWER: &str = "viewer-token-7f3a9c2e41d8b605";
const ANALYST: &str = "analyst-token-0b6e5d4c3a2f1e98";

fn alert(i: u32) -> Alert {
    let record = format!("r{:016x}", 0x5eed_0000 + u64::from(i));
    let page_hash = wire::body_hash(format!("serve test page {i}").as_bytes());
    Alert {
        v: wire::ALERT_VERSION,
        id: wire::alert_id(&page_hash, "b1", &record),
        source: "pastes".into(),
        url: format!("https://paste.example/raw/{i}"),
        page_hash,
        fetched_at_ms: 1_700_000_000_000 + u64::from(i) * 1000,
        detected_at_ms: 1_700_000_000_000 + u64::from(i) * 1000 + 5,
        bundle_id: "b1".into(),
        record,
        confidence: if i.is_multiple_of(2) {
            Confidence::High
        } else {
            Confidence::Medium
        },
        fields: vec!["birth_date".into(), "name".into(), "phone".into()],
        spans: vec![],
        occurrences: 1,
        page_records: 1,
    }
}

fn toml_path(p: &Path) -> String {
    toml::Value::String(p.display().to_string()).to_string()
}

/// A running `leakwatch alerts serve`, its address read from its start-up line.
struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Server {
    fn start(config: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_leakwatch"))
            .args(["alerts", "serve", "--config"])
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start leakwatch alerts serve");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut log = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no start-up line; stderr: {log:?}"));
            log.push(line.clone());
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        Server {
            child,
            addr,
            stderr: rx,
            log,
        }
    }

    /// SIGTERM, then the exit status and everything it wrote on stderr.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("alerts serve did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(500)) {
            self.log.push(line);
        }
        (status, self.log.join("\n"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request; the status and body (chunked bodies decoded).
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    json: Option<&str>,
) -> (u16, String) {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(body) = json {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(json.unwrap_or(""));
    conn.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect(&text);
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    (status, body)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// An open live feed: reads raw event-stream text until `pattern` appears.
struct Feed {
    conn: TcpStream,
    seen: String,
}

impl Feed {
    fn open(addr: SocketAddr, path: &str) -> Feed {
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .unwrap();
        Feed {
            conn,
            seen: String::new(),
        }
    }

    fn wait_for(&mut self, pattern: &str) -> String {
        self.wait_for_within(pattern, Duration::from_secs(20))
    }

    fn wait_for_within(&mut self, pattern: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        let mut buf = [0u8; 4096];
        while !self.seen.contains(pattern) {
            assert!(
                Instant::now() < deadline,
                "no {pattern:?} in the feed: {}",
                self.seen
            );
            match self.conn.read(&mut buf) {
                Ok(0) => panic!("the feed closed: {}", self.seen),
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("reading the feed: {e}"),
            }
        }
        self.seen.clone()
    }
}

#[test]
fn alerts_serve_answers_with_tokens_and_streams_new_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("alerts.sqlite");
    {
        let store = SqliteStore::open(&store_path).unwrap();
        store
            .upsert(&(0..5).map(alert).collect::<Vec<_>>())
            .unwrap();
    }
    let viewer_file = dir.path().join("viewer.token");
    std::fs::write(&viewer_file, format!("{VIEWER}\n")).unwrap();
    let analyst_file = dir.path().join("analyst.token");
    std::fs::write(&analyst_file, format!("{ANALYST}\n")).unwrap();
    let config = dir.path().join("leakwatch.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\npath = {}\n\n[api]\nlisten = \"127.0.0.1:0\"\nstream_poll_ms = 100\n\n\
             [[api.token]]\nname = \"vera\"\nrole = \"viewer\"\ntoken_file = {}\n\n\
             [[api.token]]\nname = \"anna\"\nrole = \"analyst\"\ntoken_file = {}\n",
            toml_path(&store_path),
            toml_path(&viewer_file),
            toml_path(&analyst_file)
        ),
    )
    .unwrap();
    let server = Server::start(&config);
    let addr = server.addr;
    assert!(addr.ip().is_loopback());

    // Auth and roles.
    let (status, body) = http(addr, "GET", "/api/alerts", None, None);
    assert_eq!(status, 401, "{body}");
    assert!(json(&body)["error"].is_string());
    let (status, _) = http(addr, "GET", "/api/alerts", Some("not-a-token-000000"), None);
    assert_eq!(status, 401);
    let (status, body) = http(addr, "GET", "/api/alerts?limit=2", Some(VIEWER), None);
    assert_eq!(status, 200, "{body}");
    let page = json(&body);
    assert_eq!(page["alerts"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, body) = http(
        addr,
        "GET",
        &format!("/api/alerts?limit=10&cursor={cursor}"),
        Some(VIEWER),
        None,
    );
    assert_eq!(json(&body)["alerts"].as_array().unwrap().len(), 3);
    let (_, body) = http(
        addr,
        "GET",
        "/api/alerts?url_contains=%27%20OR%201%3D1%20--",
        Some(VIEWER),
        None,
    );
    assert_eq!(json(&body)["alerts"], Value::Array(vec![]));

    let id = alert(3).id;
    let triage = r#"{"status":"acknowledged","note":"looking"}"#;
    let path = format!("/api/alerts/{id}");
    let (status, _) = http(addr, "PATCH", &path, Some(VIEWER), Some(triage));
    assert_eq!(status, 403);
    let (status, body) = http(addr, "PATCH", &path, Some(ANALYST), Some(triage));
    assert_eq!(status, 200, "{body}");
    let detail = json(&body);
    assert_eq!(detail["status"], "acknowledged");
    assert!(
        detail["audit"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "anna")
    );
    let (status, body) = http(
        addr,
        "GET",
        &format!("/api/records/{}", alert(3).record),
        Some(VIEWER),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(json(&body)["alerts"][0]["status"], "acknowledged");
    let (_, body) = http(addr, "GET", "/api/stats", Some(VIEWER), None);
    assert_eq!(json(&body)["total"], 5);

    // Public: probes, metrics, the API document, the dashboard.
    for path in ["/healthz", "/readyz", "/metrics", "/api/openapi.json", "/"] {
        let (status, _) = http(addr, "GET", path, None, None);
        assert_eq!(status, 200, "{path}");
    }
    let (_, page) = http(addr, "GET", "/", None, None);
    assert!(page.contains("<html"), "{page}");

    // The live feed (token in the query, as EventSource sends it), then an alert stored by
    // another process while connected.
    let mut feed = Feed::open(addr, &format!("/api/stream?access_token={VIEWER}"));
    feed.wait_for("event: ready");
    let new = alert(99);
    let seq = {
        let writer = SqliteStore::open(&store_path).unwrap();
        writer.upsert(std::slice::from_ref(&new)).unwrap();
        writer.get(&new.id).unwrap().unwrap().seq
    };
    let seen = feed.wait_for(&new.id);
    assert!(seen.contains("event: alert"), "{seen}");
    assert!(seen.contains(&format!("id: {seq}")), "{seen}");
    assert!(
        !seen.contains(&alert(4).id),
        "only alerts stored from now on: {seen}"
    );
    // Resuming from before it replays it.
    let mut resumed = Feed::open(
        addr,
        &format!("/api/stream?after={}&access_token={VIEWER}", seq - 1),
    );
    resumed.wait_for(&new.id);

    let (status, log) = server.stop();
    assert!(status.success(), "{status}: {log}");
    for token in [VIEWER, ANALYST] {
        assert!(!log.contains(token), "a token in the log: {log}");
    }
    drop(feed);
}

#[test]
fn alerts_serve_without_tokens_stays_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("alerts.sqlite");
    let config = dir.path().join("leakwatch.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\npath = {}\n[api]\nlisten = \"0.0.0.0:0\"\n",
            toml_path(&store_path)
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(["alerts", "serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("api.listen") && stderr.contains("loopback"),
        "{stderr}"
    );

    // On loopback it starts, says that auth is off, and serves without a token.
    std::fs::write(
        &config,
        format!(
            "[store]\npath = {}\n[api]\nlisten = \"127.0.0.1:0\"\n",
            toml_path(&store_path)
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(["alerts", "serve", "--config"])
        .arg(&config)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("alerts api"))
        .expect("a start-up line");
    let addr: SocketAddr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok())
        .expect(&line);
    let (status, body) = http(addr, "GET", "/api/me", None, None);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.contains("auth is off") && line.contains("loopback only"),
        "{line}"
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["auth"], false);
}

/// With `transport.type = "kafka"` one process ingests and serves: an alert produced to the
/// alerts topic is stored and reaches a connected live feed. Needs a broker (`LEAKWATCH_KAFKA`,
/// which `scripts/test.sh` sets); skipped loudly without one.
#[test]
fn alerts_serve_with_kafka_stores_and_streams_alerts_from_the_topic() {
    let Some(brokers) = std::env::var("LEAKWATCH_KAFKA")
        .ok()
        .filter(|b| !b.is_empty())
    else {
        eprintln!(
            "\n\n!!! SKIPPED: LEAKWATCH_KAFKA is not set, so `alerts serve` with Kafka was not \
             tested.\n!!! scripts/test.sh starts a broker and sets it (CI runs it there).\n\n"
        );
        return;
    };
    let tag = format!(
        "serve-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("alerts.sqlite");
    let viewer_file = dir.path().join("viewer.token");
    std::fs::write(&viewer_file, VIEWER).unwrap();
    let kafka_toml = format!(
        "brokers = \"{brokers}\"\npages_topic = \"pages-{tag}\"\nalerts_topic = \"alerts-{tag}\"\n\
         crawl_tasks_topic = \"crawl-tasks-{tag}\"\n\
         crawl_schedule_topic = \"crawl-schedule-{tag}\"\ndead_letter_topic = \"dead-letter-{tag}\"\n\
         store_group = \"store-{tag}\"\npartitions = 1\nsession_timeout_ms = 6000\n"
    );
    let config = dir.path().join("leakwatch.toml");
    std::fs::write(
        &config,
        format!(
            "[transport]\ntype = \"kafka\"\n{kafka_toml}\n[store]\npath = {}\n\n\
             [api]\nlisten = \"127.0.0.1:0\"\nstream_poll_ms = 100\n\n\
             [[api.token]]\nname = \"vera\"\nrole = \"viewer\"\ntoken_file = {}\n",
            toml_path(&store_path),
            toml_path(&viewer_file)
        ),
    )
    .unwrap();
    let server = Server::start(&config);
    let addr = server.addr;
    let mut feed = Feed::open(addr, &format!("/api/stream?access_token={VIEWER}"));
    feed.wait_for("event: ready");

    let new = alert(42);
    let kafka: wire::KafkaConfig = toml::from_str(&kafka_toml).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use wire::AlertSink;
        let sink = wire::kafka::KafkaAlertSink::new(&kafka).unwrap();
        sink.send(vec![new.clone()]).await.unwrap();
    });
    let seen = feed.wait_for_within(&new.id, Duration::from_secs(120));
    assert!(seen.contains("event: alert"), "{seen}");
    let (status, body) = http(
        addr,
        "GET",
        &format!("/api/alerts/{}", new.id),
        Some(VIEWER),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["alert"]["record"], new.record.as_str());

    let (status, log) = server.stop();
    assert!(status.success(), "{status}: {log}");
    assert!(!log.contains(VIEWER), "the token in the log: {log}");
}
