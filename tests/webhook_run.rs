//! Webhooks through the real binary: `leakwatch run --once` with a `[[webhook]]` finds three
//! leaked residents in a loopback paste site and POSTs them to a loopback receiver that fails
//! its first attempt; the retry is delivered, signed, before the run exits, with record
//! references only. A second run over the same pages sends nothing (no new alert).

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use support::paste::{leakwatch, ok, register_and_bundle, serve};

const SECRET: &str = "a-webhook-secret-of-the-soc";

#[derive(Debug, Clone)]
struct Post {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Post {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A receiver that answers 500 to its first `fail_first` POSTs and 204 after that.
fn receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<Post>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let posts = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut headers = Vec::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) <= 2 {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
            let len = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let n = {
                let mut g = posts.lock().unwrap();
                g.push(Post { headers, body });
                g.len()
            };
            let status = if n <= fail_first {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (format!("http://{addr}/hooks/leakwatch"), got)
}

#[test]
fn run_once_posts_new_alerts_to_a_webhook_after_a_failed_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let register = register_and_bundle(dir.path(), 300, 5);
    // The register's header and three rows: three residents leaked in full.
    let leak: String = register.lines().take(4).map(|l| format!("{l}\n")).collect();
    let base = serve(leak.clone());
    let (hook_url, posts) = receiver(1);
    std::fs::write(p("hook.secret"), SECRET).unwrap();
    let config = p("leakwatch.toml");
    let write_config = |state: &str| {
        std::fs::write(
            &config,
            format!(
                r#"
                [crawler]
                state_path = {state:?}
                [politeness]
                min_interval_ms = 0
                [[source]]
                type = "paste_api"
                id = "pastes"
                listing_url = "{base}/api_scraping.php"
                [matcher]
                bundle_path = {bundle:?}
                key_file = {key:?}
                workers = 1
                [store]
                path = {store:?}
                [[webhook]]
                name = "soc"
                url = "{hook_url}"
                secret_file = {secret:?}
                min_confidence = "high"
                initial_backoff_ms = 50
                max_backoff_ms = 200
                poll_ms = 100
                "#,
                state = p(state),
                bundle = p("residents.lwfp"),
                key = p("secret.key"),
                store = p("alerts.sqlite"),
                secret = p("hook.secret"),
            ),
        )
        .unwrap()
    };
    write_config("state1.sqlite");
    let out = leakwatch(&["run", "--config", &config, "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let summary: serde_json::Value = serde_json::from_str(ok(out).trim()).unwrap();
    assert_eq!(summary["alerts"]["high"], 3, "{summary}\n{stderr}");

    let got = posts.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        2,
        "one failed attempt, then the delivery: {got:?}\n{stderr}"
    );
    assert_eq!(
        got[0].body, got[1].body,
        "a retry sends the same notification"
    );
    assert_eq!(
        got[0].header("x-leakwatch-delivery"),
        got[1].header("x-leakwatch-delivery")
    );
    let post = &got[1];
    let ts: u64 = post.header("x-leakwatch-timestamp").parse().unwrap();
    assert_eq!(
        post.header("x-leakwatch-signature"),
        alerts::webhook::payload::signature(SECRET.as_bytes(), ts, &post.body)
    );
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(body["type"], "leakwatch.alerts.v1");
    assert_eq!(
        body["page"]["url"],
        format!("{base}/api_scrape_item.php?i=a")
    );
    let alerts = body["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 3);
    for a in alerts {
        assert_eq!(a["confidence"], "high");
        assert!(a["record"].as_str().unwrap().starts_with('r'));
    }
    // Nothing of the leaked rows travels: no field value of any of the three residents.
    let sent = String::from_utf8_lossy(&post.body).into_owned();
    for row in leak.lines().skip(1) {
        for value in row.split(',').skip(1).filter(|v| v.chars().count() >= 4) {
            assert!(!sent.contains(value), "a register value was sent");
        }
    }
    assert!(!stderr.contains(SECRET) && !stderr.contains("/hooks/leakwatch"));

    // The same pages again: no new alert, no new POST.
    write_config("state2.sqlite");
    ok(leakwatch(&["run", "--config", &config, "--once"]));
    assert_eq!(posts.lock().unwrap().len(), 2);
}
