//! End to end on the embedded transport: `leakwatch demo --once` (key, register, bundle, a demo
//! paste site on loopback, crawler → channel → matchers → SQLite), then checks that every planted
//! leak is alerted on, nothing else is at medium or high confidence, and no raw value of any
//! resident reached stdout, stderr, the alert store or the crawl state.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use fingerprints::synth;

const RESIDENTS: usize = 2_000;
const SEED: u64 = 1;
/// The demo writes residents `LEAKED_FROM..LEAKED_FROM + 57` into its nineteen leak pastes.
const LEAKED_FROM: usize = 100;
const LEAKED: usize = 57;

fn leakwatch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .output()
        .expect("run leakwatch")
}

/// Every raw value of a resident, in the notations a leak or a log could hold it.
fn raw_values(r: &synth::Resident) -> Vec<String> {
    let mut v = vec![
        r.name(),
        format!("{}{}", r.family, r.given),
        r.name_kana(),
        format!("{}{}", r.family_kana, r.given_kana),
        r.birth_date_iso(),
        r.birth_date_iso().replace('-', ""),
        r.address(),
        format!("{}{}", r.town, r.ban),
        r.phone.clone(),
        r.phone_dashed(),
        r.national_id.clone(),
        r.account_number.clone(),
        r.postal_code_dashed(),
    ];
    v.extend(r.email.clone());
    v
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[test]
fn demo_once_alerts_on_every_planted_leak_and_writes_no_raw_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = leakwatch(&["demo", "--once", "--dir", d, "--seed", "1"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");

    // The JSON summary: every paste processed, alerts by confidence, affected records.
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect(&stdout);
    let pastes = summary["pastes"].as_u64().unwrap();
    assert_eq!(summary["pages"].as_u64(), Some(pastes), "{summary}");
    assert_eq!(summary["planted"]["leaked_residents"], LEAKED);
    let alerts = &summary["alerts"];
    let strong = alerts["high"].as_u64().unwrap() + alerts["medium"].as_u64().unwrap();
    assert_eq!(strong, LEAKED as u64, "{summary}");
    assert!(alerts["affected_records"].as_u64().unwrap() >= LEAKED as u64);
    // Alerts were printed as they arrived (on stderr with --once): refs and URLs only.
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("alert ")).count() as u64,
        alerts["total"].as_u64().unwrap()
    );

    // Medium and high alerts resolve (on the data owner's side) to exactly the planted residents.
    let store = dir.path().join("alerts.sqlite");
    let conn = rusqlite::Connection::open(&store).unwrap();
    let refs: Vec<String> = conn
        .prepare("SELECT DISTINCT record_ref FROM alerts WHERE confidence >= 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(conn);
    let (records, schema, key) = (
        format!("{d}/register/residents.csv"),
        format!("{d}/register/schema.toml"),
        format!("{d}/secret.key"),
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
    let resolved = leakwatch(&args);
    assert!(
        resolved.status.success(),
        "{}",
        String::from_utf8_lossy(&resolved.stderr)
    );
    let ids: BTreeSet<String> = String::from_utf8_lossy(&resolved.stdout)
        .lines()
        .filter_map(|l| l.split('\t').nth(1).map(str::to_owned))
        .collect();
    let residents = synth::residents(RESIDENTS, SEED);
    let planted: BTreeSet<String> = residents[LEAKED_FROM..LEAKED_FROM + LEAKED]
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids, planted);

    // Privacy: no raw value of any resident in anything the run wrote.
    let mut written = vec![
        ("stdout", stdout.into_bytes()),
        ("stderr", stderr.into_bytes()),
    ];
    for f in [
        "alerts.sqlite",
        "alerts.sqlite-wal",
        "crawl-state.sqlite",
        "crawl-state.sqlite-wal",
    ] {
        written.push((f, read(&dir.path().join(f))));
    }
    assert!(written[2].1.len() > 1000, "the store was written");
    let mut needles: Vec<String> = Vec::new();
    for (i, r) in residents.iter().enumerate() {
        let mut values = raw_values(r);
        if !(LEAKED_FROM..LEAKED_FROM + LEAKED).contains(&i) {
            // Short numbers of non-leaked residents could occur by chance in hashes; the leaked
            // ones must not occur at all.
            values.retain(|v| v.chars().count() > 8 || !v.chars().all(|c| c.is_ascii_digit()));
        }
        needles.extend(values.into_iter().filter(|v| v.chars().count() >= 4));
    }
    let ac = aho_corasick::AhoCorasick::new(&needles).unwrap();
    // The needles do find the register (the data owner's file, which the demo also wrote).
    assert!(ac.find(&read(Path::new(&records))).is_some());
    for (what, bytes) in &written {
        if let Some(m) = ac.find(bytes) {
            panic!(
                "{what} holds a raw value of a resident ({} bytes at {})",
                m.end() - m.start(),
                m.start()
            );
        }
    }
}
