//! The secrets and privacy audit (issue 9), through the real binary:
//!
//! - the secret key never appears in anything leakwatch writes — stdout, stderr, the alert
//!   store, the crawl state, bundles, API answers, the `/metrics` text, the `config check` dump,
//!   nor the messages of failing commands that were given the key file — in any of the forms a
//!   leak would take: raw bytes (its form on disk, see `fingerprints/src/key.rs`), hex in lower
//!   and upper case, base64 standard and URL-safe, with and without padding;
//! - no raw value of the leaked residents is in any of those outputs either (the demo end to
//!   end, the Kafka topic and every resident of the register are covered by
//!   `tests/pipeline_embedded.rs` and `tests/pipeline_kafka.rs`);
//! - key rotation: a new key and the bundle rebuilt with it raise alerts under the new bundle
//!   id, the alerts made under the old bundle stay queryable (`alerts query`,
//!   `/api/records/{ref}`), and `fingerprint resolve` maps each generation's references back
//!   with that generation's key.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fingerprints::{Hasher, SecretKey};
use support::http::{AlertsServer, call};
use support::paste::{ok, register_and_bundle, serve};

fn leakwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        // A panic would print its backtrace: that is an output too.
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run leakwatch")
}

fn toml_path(p: &Path) -> String {
    toml::Value::String(p.display().to_string()).to_string()
}

/// Base64 (RFC 4648) of `bytes` with the given alphabet, with or without `=` padding.
fn base64(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        if pad {
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    out
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Every form of the key an output could hold it in.
fn key_forms(key: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    assert_eq!(key.len(), 32, "keygen writes 32 raw bytes");
    vec![
        ("raw bytes", key.to_vec()),
        ("hex", hex(key).into_bytes()),
        ("HEX", hex(key).to_uppercase().into_bytes()),
        ("base64", base64(key, STANDARD, true).into_bytes()),
        ("base64 unpadded", base64(key, STANDARD, false).into_bytes()),
        ("base64url", base64(key, URL_SAFE, true).into_bytes()),
        (
            "base64url unpadded",
            base64(key, URL_SAFE, false).into_bytes(),
        ),
        // The first half alone is still too much of it.
        ("hex, first half", hex(&key[..16]).into_bytes()),
    ]
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Adds a command's stdout and stderr to the audited outputs.
fn record(outputs: &mut Vec<(String, Vec<u8>)>, what: &str, out: &Output) {
    outputs.push((format!("{what}: stdout"), out.stdout.clone()));
    outputs.push((format!("{what}: stderr"), out.stderr.clone()));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_key_and_the_leaked_values_appear_in_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = |name: &str| d.join(name).display().to_string();
    let register = register_and_bundle(d, 300, 31);
    let lines: Vec<&str> = register.lines().collect();
    let leak: String = lines[..6].iter().map(|l| format!("{l}\n")).collect();
    let base = serve(leak);
    let key = std::fs::read(d.join("secret.key")).unwrap();
    // Outputs: (what, bytes).
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();

    // A full embedded run, with an [ops] table and an [api] table in the config (dumped by
    // config check).
    let config = d.join("leakwatch.toml");
    std::fs::write(
        &config,
        format!(
            r#"
            [crawler]
            state_path = {state}
            [politeness]
            min_interval_ms = 0
            [[source]]
            type = "paste_api"
            id = "pastes"
            listing_url = "{base}/api_scraping.php"
            [matcher]
            bundle_path = {bundle}
            key_file = {key}
            workers = 1
            [store]
            path = {store}
            [api]
            listen = "127.0.0.1:0"
            "#,
            state = toml_path(&d.join("crawl-state.sqlite")),
            bundle = toml_path(&d.join("residents.lwfp")),
            key = toml_path(&d.join("secret.key")),
            store = toml_path(&d.join("alerts.sqlite")),
        ),
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let run = leakwatch(&["run", "--config", c, "--once"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(report["alerts"]["high"].as_u64().unwrap() >= 5, "{report}");
    record(&mut outputs, "run --once", &run);
    let check = leakwatch(&["config", "check", "--config", c]);
    assert!(check.status.success());
    record(&mut outputs, "config check", &check);
    let query = leakwatch(&["alerts", "query", "--config", c, "--format", "json"]);
    assert!(query.status.success());
    record(&mut outputs, "alerts query", &query);
    let refs = leakwatch(&["alerts", "export-refs", "--config", c]);
    record(&mut outputs, "alerts export-refs", &refs);

    // The API: alerts, a record, stats, metrics.
    let server = AlertsServer::start(&config);
    let first = String::from_utf8_lossy(&refs.stdout)
        .lines()
        .next()
        .expect("an exported ref")
        .to_owned();
    for path in [
        "/api/alerts".to_owned(),
        format!("/api/records/{first}"),
        "/api/stats".to_owned(),
        "/metrics".to_owned(),
    ] {
        let r = call(server.addr, "GET", &path, None, None);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        outputs.push((format!("GET {path}"), r.body));
    }
    let metrics = outputs.last().unwrap().1.clone();
    assert!(
        contains(&metrics, b"leakwatch_api_requests_total"),
        "metrics are served"
    );
    outputs.push(("alerts serve: stderr".into(), server.stop().into_bytes()));

    // Failing commands that were given the key file.
    ok(leakwatch(&["keygen", "--out", &p("other.key")]));
    let other_bundle = p("other.lwfp");
    ok(leakwatch(&[
        "fingerprint",
        "build",
        "--records",
        &p("reg/residents.csv"),
        "--schema",
        &p("reg/schema.toml"),
        "--key-file",
        &p("other.key"),
        "--out",
        &other_bundle,
    ]));
    let mut corrupt = std::fs::read(d.join("residents.lwfp")).unwrap();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 1;
    std::fs::write(d.join("corrupt.lwfp"), corrupt).unwrap();
    // A key file in hex with one stray character: the message must not echo the file.
    std::fs::write(d.join("typo.key"), format!("{}x\n", hex(&key))).unwrap();
    let schema_typo = d.join("typo.toml");
    std::fs::write(&schema_typo, "id_colum = \"住民番号\"\n").unwrap();
    let wrong_bundle_config = d.join("wrong.toml");
    std::fs::write(
        &wrong_bundle_config,
        std::fs::read_to_string(&config).unwrap().replace(
            &toml_path(&d.join("residents.lwfp")),
            &toml_path(Path::new(&other_bundle)),
        ),
    )
    .unwrap();
    let failing: Vec<(&str, Vec<String>)> = vec![
        (
            "verify with a bundle of another key",
            vec![
                "fingerprint",
                "verify",
                &other_bundle,
                "--key-file",
                &p("secret.key"),
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        ),
        (
            "scan with a corrupt bundle",
            [
                "scan",
                "--bundle",
                &p("corrupt.lwfp"),
                "--key-file",
                &p("secret.key"),
                &p("reg"),
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "verify with a key file holding a typo",
            [
                "fingerprint",
                "verify",
                &p("residents.lwfp"),
                "--key-file",
                &p("typo.key"),
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "build with a bad schema",
            [
                "fingerprint",
                "build",
                "--records",
                &p("reg/residents.csv"),
                "--schema",
                schema_typo.to_str().unwrap(),
                "--key-file",
                &p("secret.key"),
                "--out",
                &p("x.lwfp"),
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "run with a bundle of another key",
            [
                "run",
                "--config",
                wrong_bundle_config.to_str().unwrap(),
                "--once",
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "config check with a bundle of another key",
            [
                "config",
                "check",
                "--config",
                wrong_bundle_config.to_str().unwrap(),
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "keygen over the key",
            ["keygen", "--out", &p("secret.key")]
                .map(String::from)
                .to_vec(),
        ),
    ];
    for (what, args) in &failing {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = leakwatch(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        record(&mut outputs, what, &out);
    }

    // Every file written, except the two files that are the key and the data owner's register.
    let key_files = [
        d.join("secret.key"),
        d.join("typo.key"),
        d.join("other.key"),
    ];
    for f in files(d) {
        if key_files.contains(&f) || f.starts_with(d.join("reg")) {
            continue;
        }
        outputs.push((
            f.strip_prefix(d).unwrap().display().to_string(),
            std::fs::read(&f).unwrap(),
        ));
    }
    let names: Vec<&str> = outputs.iter().map(|(w, _)| w.as_str()).collect();
    for must in ["alerts.sqlite", "crawl-state.sqlite", "residents.lwfp"] {
        assert!(names.contains(&must), "{must} not audited: {names:?}");
    }

    // Controls: the search finds the key where it is meant to be, and the values in the register.
    let typo = std::fs::read(d.join("typo.key")).unwrap();
    assert!(contains(&typo, &key_forms(&key)[1].1), "hex form");
    assert!(contains(
        &std::fs::read(d.join("secret.key")).unwrap(),
        &key
    ));
    assert!(contains(
        register.as_bytes(),
        lines[1].split(',').nth(1).unwrap().as_bytes()
    ));
    let store = &outputs
        .iter()
        .find(|(w, _)| w == "alerts.sqlite")
        .unwrap()
        .1;
    assert!(store.len() > 1000, "the store was written");

    let mut hits = Vec::new();
    for (form, needle) in key_forms(&key) {
        for (what, bytes) in &outputs {
            if contains(bytes, &needle) {
                hits.push(format!("the key ({form}) is in {what}"));
            }
        }
    }
    // The leaked residents' raw values (lines 2 to 6 of the register), including their ids.
    for line in &lines[1..6] {
        for value in line.split(',').filter(|v| v.chars().count() >= 4) {
            for (what, bytes) in &outputs {
                if contains(bytes, value.as_bytes()) {
                    hits.push(format!("a raw value ({} bytes) is in {what}", value.len()));
                }
            }
        }
    }
    assert!(hits.is_empty(), "{}", hits.join("\n"));
}

/// The references of register rows (1-based) under a key.
fn refs_of(register: &str, rows: std::ops::Range<usize>, key: &Path) -> BTreeSet<String> {
    let key = SecretKey::read(key).unwrap();
    let h = Hasher::new(&key);
    register.lines().collect::<Vec<_>>()[rows]
        .iter()
        .map(|l| h.record_ref(l.split(',').next().unwrap()).to_string())
        .collect()
}

fn config_for(d: &Path, base: &str, bundle: &str, key: &str) -> PathBuf {
    let path = d.join(format!("{bundle}.toml"));
    std::fs::write(
        &path,
        format!(
            r#"
            [crawler]
            state_path = {state}
            [politeness]
            min_interval_ms = 0
            [[source]]
            type = "paste_api"
            id = "pastes"
            listing_url = "{base}/api_scraping.php"
            [matcher]
            bundle_path = {bundle}
            key_file = {key}
            workers = 1
            [store]
            path = {store}
            [api]
            listen = "127.0.0.1:0"
            "#,
            state = toml_path(&d.join("crawl-state.sqlite")),
            bundle = toml_path(&d.join(bundle)),
            key = toml_path(&d.join(key)),
            store = toml_path(&d.join("alerts.sqlite")),
        ),
    )
    .unwrap();
    path
}

/// (bundle id, record) of every stored alert at medium or above, from `alerts query`.
fn stored(config: &Path) -> BTreeSet<(String, String)> {
    let out = ok(leakwatch(&[
        "alerts",
        "query",
        "--config",
        config.to_str().unwrap(),
        "--min-confidence",
        "medium",
        "--format",
        "json",
    ]));
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["alert"]["bundle_id"].as_str().unwrap().to_owned(),
                a["alert"]["record"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn bundle_id(bundle: &Path) -> String {
    let meta: serde_json::Value = serde_json::from_str(&ok(leakwatch(&[
        "fingerprint",
        "inspect",
        "--json",
        bundle.to_str().unwrap(),
    ])))
    .unwrap();
    meta["bundle_id"].as_str().unwrap().to_owned()
}

fn resolve(d: &Path, key: &str, refs: &BTreeSet<String>) -> Output {
    let (records, schema, key) = (
        d.join("reg/residents.csv").display().to_string(),
        d.join("reg/schema.toml").display().to_string(),
        d.join(key).display().to_string(),
    );
    let mut args = vec![
        "fingerprint",
        "resolve",
        "--records",
        &records,
        "--schema",
        &schema,
        "--key-file",
        &key,
    ];
    args.extend(refs.iter().map(String::as_str));
    leakwatch(&args)
}

#[test]
fn key_rotation_new_alerts_under_the_new_bundle_old_ones_stay_queryable_and_resolvable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let register = register_and_bundle(d, 200, 32);
    let ids: BTreeSet<String> = register.lines().collect::<Vec<_>>()[1..4]
        .iter()
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    let leak: String = register.lines().take(4).map(|l| format!("{l}\n")).collect();

    // Generation A: the key and bundle register_and_bundle made.
    let site_a = serve(leak.clone());
    let config_a = config_for(d, &site_a, "residents.lwfp", "secret.key");
    ok(leakwatch(&[
        "run",
        "--config",
        config_a.to_str().unwrap(),
        "--once",
    ]));
    let id_a = bundle_id(&d.join("residents.lwfp"));
    let refs_a = refs_of(&register, 1..4, &d.join("secret.key"));

    // Rotation: a new key, the bundle rebuilt from the same register.
    ok(leakwatch(&[
        "keygen",
        "--out",
        d.join("secret-v2.key").to_str().unwrap(),
    ]));
    ok(leakwatch(&[
        "fingerprint",
        "build",
        "--records",
        d.join("reg/residents.csv").to_str().unwrap(),
        "--schema",
        d.join("reg/schema.toml").to_str().unwrap(),
        "--key-file",
        d.join("secret-v2.key").to_str().unwrap(),
        "--out",
        d.join("residents-v2.lwfp").to_str().unwrap(),
    ]));
    let id_b = bundle_id(&d.join("residents-v2.lwfp"));
    assert_ne!(id_a, id_b);
    let refs_b = refs_of(&register, 1..4, &d.join("secret-v2.key"));
    assert!(refs_a.is_disjoint(&refs_b), "references are keyed");

    // A half-done rotation (new bundle, old key) is refused before anything runs.
    let half = config_for(d, &site_a, "residents-v2.lwfp", "secret.key");
    let out = leakwatch(&["config", "check", "--config", half.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("wrong key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Generation B, same store and crawl state: the leak shows up again at new URLs (pages
    // seen under A are not rescanned: their URLs and bodies are in the crawl state).
    let site_b = serve(leak);
    let config_b = config_for(d, &site_b, "residents-v2.lwfp", "secret-v2.key");
    ok(leakwatch(&[
        "run",
        "--config",
        config_b.to_str().unwrap(),
        "--once",
    ]));

    let want: BTreeSet<(String, String)> = refs_a
        .iter()
        .map(|r| (id_a.clone(), r.clone()))
        .chain(refs_b.iter().map(|r| (id_b.clone(), r.clone())))
        .collect();
    assert_eq!(stored(&config_b), want);

    // The old alerts through the API, by record.
    let server = AlertsServer::start(&config_b);
    for (refs, id) in [(&refs_a, &id_a), (&refs_b, &id_b)] {
        for r in refs {
            let got = call(server.addr, "GET", &format!("/api/records/{r}"), None, None);
            assert_eq!(got.status, 200, "{}", got.text());
            let alerts = got.json()["alerts"].as_array().unwrap().clone();
            assert!(!alerts.is_empty(), "{r}: {}", got.text());
            for a in alerts {
                let alert = if a["alert"].is_object() {
                    &a["alert"]
                } else {
                    &a
                };
                assert_eq!(alert["bundle_id"], id.as_str());
                assert_eq!(alert["record"], r.as_str());
            }
        }
    }
    drop(server);

    // Each generation's references resolve with that generation's key, and only with it.
    for (key, refs) in [("secret.key", &refs_a), ("secret-v2.key", &refs_b)] {
        let out = resolve(d, key, refs);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').nth(1).unwrap().to_owned())
            .collect();
        assert_eq!(got, ids, "{key}");
    }
    let out = resolve(d, "secret-v2.key", &refs_a);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not in this register"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
