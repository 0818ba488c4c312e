//! `leakwatch alerts query` and `leakwatch alerts export-refs` through the real binary, on a
//! SQLite store and (when `LEAKWATCH_POSTGRES` is set) on PostgreSQL through `[store] type =
//! "postgres"` with `url_file`.

use std::path::Path;
use std::process::Command;

use alerts::{Status, StoreConfig, Triage};
use wire::{Alert, Confidence, alert_id};

fn leakwatch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .output()
        .expect("run leakwatch")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

const HOUR: u64 = 3_600_000;

fn rec(n: u64) -> String {
    format!("r{n:016x}")
}

fn alert(record: u64, page: &str, url: &str, age_ms: u64, c: Confidence) -> Alert {
    let page_hash = wire::body_hash(page.as_bytes());
    let record = rec(record);
    // One clock reading for every alert: alerts of the same age must have the same first-seen
    // time (two readings a millisecond apart reordered them).
    static NOW: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let t = *NOW.get_or_init(now_ms) - age_ms;
    Alert {
        v: wire::ALERT_VERSION,
        id: alert_id(&page_hash, "b1", &record),
        source: "pastes".into(),
        url: url.into(),
        page_hash,
        fetched_at_ms: t,
        detected_at_ms: t,
        bundle_id: "b1".into(),
        record,
        confidence: c,
        fields: vec!["name".into(), "phone".into()],
        spans: vec![],
        occurrences: 1,
        page_records: 2,
    }
}

/// Writes the config, fills the store, returns the config path and the alerts.
fn setup(dir: &Path, store_table: &str, config: &StoreConfig) -> (String, Vec<Alert>) {
    let path = dir.join("leakwatch.toml");
    std::fs::write(&path, store_table).unwrap();
    let store = alerts::open(config).unwrap();
    let mut onion = alert(4, "p4", "http://abc.onion/dump", HOUR, Confidence::High);
    onion.source = "onion".into();
    let batch = vec![
        alert(
            1,
            "p1",
            "https://paste.example/raw/1",
            HOUR,
            Confidence::High,
        ),
        alert(
            2,
            "p1",
            "https://paste.example/raw/1",
            HOUR,
            Confidence::Low,
        ),
        alert(
            3,
            "p2",
            "https://paste.example/raw/=2,\"x\"",
            2 * HOUR,
            Confidence::Medium,
        ),
        alert(
            1,
            "p3",
            "https://paste.example/raw/3",
            3 * 24 * HOUR,
            Confidence::High,
        ),
        onion,
        alert(
            5,
            "p5",
            "https://paste.example/raw/5",
            2 * HOUR,
            Confidence::High,
        ),
    ];
    store.upsert(&batch).unwrap();
    store
        .triage(
            &batch[5].id,
            &Triage {
                status: Some(Status::FalsePositive),
                ..Default::default()
            },
            "ana",
            now_ms(),
        )
        .unwrap();
    (path.to_str().unwrap().to_owned(), batch)
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json_ids(stdout: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(stdout).expect(stdout);
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a["alert"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn check_cli(config: &str, batch: &[Alert]) {
    let id = |i: usize| batch[i].id.clone();
    let q = |extra: &[&str]| {
        let mut args = vec!["alerts", "query", "--config", config, "--format", "json"];
        args.extend(extra);
        json_ids(&ok(&leakwatch(&args)))
    };
    // Newest first; same first-seen: the later insert first.
    assert_eq!(q(&[]), [id(4), id(1), id(0), id(5), id(2), id(3)]);
    assert_eq!(
        q(&["--since", "24h", "--min-confidence", "high"]),
        [id(4), id(0), id(5)]
    );
    assert_eq!(q(&["--since", "90m"]), [id(4), id(1), id(0)]);
    assert_eq!(q(&["--until", "90m"]), [id(5), id(2), id(3)]);
    assert_eq!(q(&["--status", "false_positive"]), [id(5)]);
    assert_eq!(q(&["--source", "onion"]), [id(4)]);
    assert_eq!(
        q(&["--record", &rec(1), "--record", &rec(3)]),
        [id(0), id(2), id(3)]
    );
    assert_eq!(q(&["--url-contains", "=2,"]), [id(2)]);
    assert_eq!(q(&["--url-contains", "%"]), Vec::<String>::new());
    let out = leakwatch(&[
        "alerts", "query", "--config", config, "--format", "json", "--limit", "2",
    ]);
    assert_eq!(json_ids(&ok(&out)), [id(4), id(1)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("raise --limit"));

    // Table: one row per alert, refs and URLs.
    let table = ok(&leakwatch(&[
        "alerts", "query", "--config", config, "--since", "24h",
    ]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "{table}");
    assert!(lines[0].starts_with("FIRST SEEN (UTC)"));
    assert!(lines[1].contains(&rec(4)) && lines[1].contains("http://abc.onion/dump"));
    assert!(lines[1].contains(" high ") && lines[1].contains("name,phone"));

    // CSV: a header, quoted cells, no formula injection.
    let csv = ok(&leakwatch(&[
        "alerts",
        "query",
        "--config",
        config,
        "--format",
        "csv",
        "--record",
        &rec(3),
    ]));
    let mut rows = csv.lines();
    assert!(
        rows.next()
            .unwrap()
            .starts_with("id,first_seen,last_seen,confidence,status,record")
    );
    let row = rows.next().unwrap();
    assert!(row.starts_with(&format!("{},", id(2))), "{row}");
    assert!(
        row.contains(",\"https://paste.example/raw/=2,\"\"x\"\"\","),
        "{row}"
    );
    assert!(rows.next().is_none());

    // export-refs: distinct refs at medium or above, false positives left out, sorted.
    let refs = ok(&leakwatch(&[
        "alerts",
        "export-refs",
        "--config",
        config,
        "--since",
        "7d",
    ]));
    assert_eq!(refs, format!("{}\n{}\n{}\n", rec(1), rec(3), rec(4)));
    let refs = ok(&leakwatch(&[
        "alerts",
        "export-refs",
        "--config",
        config,
        "--since",
        "24h",
        "--min-confidence",
        "low",
        "--include-false-positives",
    ]));
    assert_eq!(
        refs.lines().collect::<Vec<_>>(),
        [rec(1), rec(2), rec(3), rec(4), rec(5)]
    );
    let since = "2000-01-01T00:00:00Z";
    let refs = ok(&leakwatch(&[
        "alerts",
        "export-refs",
        "--config",
        config,
        "--since",
        since,
        "--min-confidence",
        "high",
    ]));
    assert_eq!(refs, format!("{}\n{}\n", rec(1), rec(4)));
}

#[test]
fn query_and_export_refs_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("alerts.sqlite");
    let table = format!("[store]\npath = {:?}\n", db.to_str().unwrap());
    let (config, batch) = setup(dir.path(), &table, &StoreConfig::sqlite(&db));
    check_cli(&config, &batch);
}

#[test]
fn query_and_export_refs_on_postgres() {
    let Some(url) = std::env::var("LEAKWATCH_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: LEAKWATCH_POSTGRES is not set (scripts/test.sh starts a server)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url_file = dir.path().join("db-url");
    std::fs::write(&url_file, format!("{url}\n")).unwrap();
    let schema = format!("lw_cli_{}", std::process::id());
    let table = format!(
        "[store]\ntype = \"postgres\"\nurl_file = {:?}\nschema = {schema:?}\npool_size = 2\n",
        url_file.to_str().unwrap()
    );
    let config: StoreConfig = toml::from_str(table.trim_start_matches("[store]\n")).unwrap();
    let (config_path, batch) = setup(dir.path(), &table, &config);
    check_cli(&config_path, &batch);
    // The URL (it may hold a password) is never printed, not even in an error.
    let out = leakwatch(&[
        "alerts",
        "query",
        "--config",
        &config_path,
        "--since",
        "bad",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--since"), "{stderr}");
    let store = alerts::open(&config).unwrap();
    assert_eq!(store.count().unwrap(), 6);
    drop(store);
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

#[test]
fn errors_name_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("leakwatch.toml");
    let db = dir.path().join("missing.sqlite");
    std::fs::write(
        &config,
        format!("[store]\npath = {:?}\n", db.to_str().unwrap()),
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["alerts", "query", "--config", c], "no such alert store"),
        (
            &["alerts", "export-refs", "--config", c],
            "no such alert store",
        ),
        (
            &["alerts", "query", "--config", c, "--since", "yesterday"],
            "--since",
        ),
        (
            &["alerts", "query", "--config", c, "--until", "5y"],
            "--until",
        ),
        (
            &["alerts", "query", "--config", c, "--record", "r12"],
            "--record",
        ),
        (
            &["alerts", "query", "--config", c, "--limit", "0"],
            "--limit",
        ),
        (
            &["alerts", "query", "--config", c, "--status", "open"],
            "open",
        ),
        (
            &["alerts", "query", "--config", c, "--min-confidence", "sure"],
            "sure",
        ),
    ];
    for (args, want) in cases {
        let out = leakwatch(args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    assert!(!db.exists(), "a query does not create a store");
}
