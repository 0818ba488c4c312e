//! End to end on PostgreSQL: `leakwatch run --once` (crawler → matchers → store) with
//! `[store] type = "postgres"` against a paste site on loopback, then `leakwatch alerts query`
//! and a second run over the same pages (no new alert). Skipped without `LEAKWATCH_POSTGRES`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};

fn leakwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .output()
        .expect("run leakwatch")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Serves a Pastebin-shaped listing of one leak paste and one harmless paste.
fn serve(leak: String) -> String {
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
                "/api_scrape_item.php?i=a" => ("text/plain; charset=utf-8", leak.clone()),
                "/api_scrape_item.php?i=b" => ("text/plain", "nothing to see".to_owned()),
                _ => ("text/plain", String::new()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{}",
                body.len(),
                body
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn run_once_stores_alerts_in_postgres() {
    let Some(url) = std::env::var("LEAKWATCH_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: LEAKWATCH_POSTGRES is not set (scripts/test.sh starts a server)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    ok(leakwatch(&[
        "demo-data",
        "--residents",
        "300",
        "--seed",
        "3",
        "--out",
        &p("reg"),
    ]));
    ok(leakwatch(&["keygen", "--out", &p("secret.key")]));
    ok(leakwatch(&[
        "fingerprint",
        "build",
        "--records",
        &p("reg/residents.csv"),
        "--schema",
        &p("reg/schema.toml"),
        "--key-file",
        &p("secret.key"),
        "--out",
        &p("residents.lwfp"),
    ]));
    // The register's header and three rows: three residents leaked in full.
    let register = std::fs::read_to_string(p("reg/residents.csv")).unwrap();
    let leak: String = register.lines().take(4).map(|l| format!("{l}\n")).collect();
    let base = serve(leak);

    std::fs::write(p("db-url"), format!("{url}\n")).unwrap();
    let schema = format!("lw_e2e_{}", std::process::id());
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
                type = "postgres"
                url_file = {url_file:?}
                schema = "{schema}"
                pool_size = 2
                "#,
                state = p(state),
                bundle = p("residents.lwfp"),
                key = p("secret.key"),
                url_file = p("db-url"),
            ),
        )
        .unwrap()
    };
    write_config("state1.sqlite");
    let out = leakwatch(&["run", "--config", &config, "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let summary: serde_json::Value = serde_json::from_str(ok(out).trim()).unwrap();
    assert_eq!(summary["pages"], 2, "{summary}");
    assert_eq!(summary["alerts"]["high"], 3, "{summary}\n{stderr}");
    assert!(
        !stderr.contains(&url),
        "the connection URL is never printed"
    );

    let listed = ok(leakwatch(&[
        "alerts",
        "query",
        "--config",
        &config,
        "--min-confidence",
        "high",
        "--format",
        "json",
    ]));
    let alerts: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let alerts = alerts.as_array().unwrap();
    assert_eq!(alerts.len(), 3);
    for a in alerts {
        assert_eq!(a["alert"]["url"], format!("{base}/api_scrape_item.php?i=a"));
        assert_eq!(a["status"], "new");
    }
    let refs = ok(leakwatch(&[
        "alerts",
        "export-refs",
        "--config",
        &config,
        "--since",
        "1h",
    ]));
    assert_eq!(refs.lines().count(), 3);

    // The same pages again (a fresh crawl state): the same alerts, none new.
    write_config("state2.sqlite");
    let out = leakwatch(&["run", "--config", &config, "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let summary: serde_json::Value = serde_json::from_str(ok(out).trim()).unwrap();
    assert_eq!(summary["alerts"]["high"], 3, "{summary}");
    assert!(
        !stderr.lines().any(|l| l.starts_with("alert ")),
        "no alert is new: {stderr}"
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await
            .unwrap();
    });
}
