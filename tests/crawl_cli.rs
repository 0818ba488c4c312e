//! Drives the real `leakwatch crawl` against a small HTTP server on loopback (a std thread; no
//! other address is touched).

mod support;

use support::paste::leakwatch;

const SECRET: &str = "山田太郎 06-1234-5678";

/// A Pastebin-shaped listing of two raw pastes, one of them `SECRET` (the shared test site).
fn serve() -> String {
    support::paste::serve(SECRET.to_owned())
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
