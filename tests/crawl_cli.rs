//! Drives the real `leakwatch crawl` against a small HTTP server on loopback (a std thread; no
//! other address is touched).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};

fn leakwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .output()
        .expect("run leakwatch")
}

const SECRET: &str = "山田太郎 06-1234-5678";

/// Serves a Pastebin-shaped listing and two raw pastes, one connection at a time.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split(' ').nth(1).unwrap_or("/");
            let (content_type, body) = match path {
                "/api_scraping.php" => (
                    "application/json",
                    r#"[{"key":"a","date":"1","scrape_url":"/api_scrape_item.php?i=a"},
                        {"key":"b","date":"2","scrape_url":"/api_scrape_item.php?i=b"}]"#
                        .to_owned(),
                ),
                "/api_scrape_item.php?i=a" => ("text/plain; charset=utf-8", SECRET.to_owned()),
                "/api_scrape_item.php?i=b" => ("text/plain", "harmless".to_owned()),
                _ => ("text/plain", String::new()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn crawl_once_writes_page_metadata_lines_without_bodies() {
    let base = serve();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crawl.toml");
    std::fs::write(
        &config,
        format!(
            r#"
            [crawler]
            state_path = "{state}"
            [politeness]
            min_interval_ms = 0
            [[source]]
            type = "paste_api"
            id = "pastes"
            listing_url = "{base}/api_scraping.php"
            "#,
            state = dir.path().join("seen.sqlite").display()
        ),
    )
    .unwrap();
    let out = leakwatch(&["crawl", "--config", config.to_str().unwrap(), "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.contains("山田") && !stdout.contains("1234"),
        "a body leaked: {stdout}"
    );
    let mut lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    // Items are fetched concurrently: their order on stdout is not fixed.
    lines.sort_by_key(|l| l["url"].as_str().unwrap_or_default().to_owned());
    assert_eq!(lines[0]["url"], format!("{base}/api_scrape_item.php?i=a"));
    assert_eq!(lines[0]["source"], "pastes");
    assert_eq!(lines[0]["body_bytes"], SECRET.len());
    assert_eq!(lines[0]["body_hash"], wire::body_hash(SECRET.as_bytes()));
    assert_eq!(lines[0]["charset"], "utf-8");
    assert!(stderr.contains("pastes: 2 emitted"), "{stderr}");
    // The seen-state keeps URLs and hashes, never bodies.
    let state = std::fs::read(dir.path().join("seen.sqlite")).unwrap();
    assert!(!state.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));

    // A second run emits nothing new.
    let out = leakwatch(&["crawl", "--config", config.to_str().unwrap(), "--once"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn crawl_config_errors_name_the_key_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crawl.toml");
    for (text, key) in [
        ("[fetch]\ntimeout = 5", "timeout"),
        (
            "[[source]]\ntype = \"html_listing\"\nid = \"h\"\nlisting_url = \"http://127.0.0.1:9/\"\nitem_link_selector = \"a[\"",
            "item_link_selector",
        ),
    ] {
        std::fs::write(&config, text).unwrap();
        let out = leakwatch(&["crawl", "--config", config.to_str().unwrap(), "--check"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(key), "{key:?} not in {stderr}");
    }
    std::fs::write(
        &config,
        "[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"http://127.0.0.1:9/\"]",
    )
    .unwrap();
    let out = leakwatch(&["crawl", "--config", config.to_str().unwrap(), "--check"]);
    assert!(out.status.success());
}
