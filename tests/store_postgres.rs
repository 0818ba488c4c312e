//! End to end on PostgreSQL: `leakwatch run --once` (crawler → matchers → store) with
//! `[store] type = "postgres"` against a paste site on loopback, then `leakwatch alerts query`
//! and a second run over the same pages (no new alert). Skipped without `LEAKWATCH_POSTGRES`.

mod support;

use support::paste::{leakwatch, ok, register_and_bundle, serve};

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
    let register = register_and_bundle(dir.path(), 300, 3);
    // The register's header and three rows: three residents leaked in full.
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
