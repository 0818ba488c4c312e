//! Onion crawling end to end over a real private Tor network: C tor directory authorities,
//! relays and an onion service on loopback (`scripts/tor-net.sh`, started once per test run by
//! `scripts/test.sh`), with leakwatch's embedded arti pointed at it through its own `[onion]`
//! configuration, as an operator would.
//!
//! The onion service publishes the network's fixture HTTP server; each test writes its own small
//! "market" under a directory of its own there, with a records page rendered from the register
//! the test builds its bundle from. Without `LEAKWATCH_TOR_NET` (the network's `net.json`) the
//! tests print a SKIPPED message and pass, so `cargo test` alone still works.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use fingerprints::leaks::{self, LeakForm};
use fingerprints::synth::{self, Resident};
use serde_json::Value;

const RESIDENTS: usize = 300;
const SEED: u64 = 11;
/// Residents on the onion records page (depth 2).
const ON_ONION: std::ops::Range<usize> = 40..44;
/// Residents on a page beyond the depth cap (never fetched, so never alerted on).
const BEYOND_CAP: std::ops::Range<usize> = 60..63;
/// Residents on a clearnet page of another source in the same run.
const ON_CLEARNET: std::ops::Range<usize> = 80..83;
/// How long a test waits for the network that `scripts/test.sh` starts in the background.
const NET_WAIT: Duration = Duration::from_secs(360);
/// Longest a single leakwatch process may take (bootstrap ~30 s, then a few onion fetches).
const RUN_TIMEOUT: Duration = Duration::from_secs(200);

/// The private network, as `scripts/tor-net.sh` describes it in `net.json`.
struct Net {
    json: Value,
}

impl Net {
    /// The network of this test run, waiting for it to come up; `None` (and a loud message)
    /// when no network was started.
    fn get(test: &str) -> Option<Net> {
        let Some(path) = std::env::var_os("LEAKWATCH_TOR_NET") else {
            eprintln!(
                "SKIPPED {test}: LEAKWATCH_TOR_NET is not set (scripts/test.sh starts a private \
                 Tor network with scripts/tor-net.sh and sets it)"
            );
            return None;
        };
        let path = PathBuf::from(path);
        let began = Instant::now();
        while !path.exists() {
            assert!(
                began.elapsed() < NET_WAIT,
                "{}: the private Tor network did not come up within {NET_WAIT:?}; \
                 `scripts/tor-net.sh logs` shows its nodes' logs",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let net = Net {
            json: serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}")),
        };
        if let Some(error) = net.json.get("error") {
            net.print_logs();
            panic!("the private Tor network failed: {error}");
        }
        Some(net)
    }

    fn str(&self, key: &str) -> &str {
        self.json[key]
            .as_str()
            .unwrap_or_else(|| panic!("net.json has no {key}"))
    }

    fn onion(&self) -> &str {
        self.str("onion")
    }

    fn www(&self) -> PathBuf {
        PathBuf::from(self.str("www_dir"))
    }

    fn http_port(&self) -> u64 {
        self.json["http_port"].as_u64().unwrap()
    }

    fn access_log(&self) -> String {
        std::fs::read_to_string(self.str("access_log")).unwrap()
    }

    /// The `[onion]` and `[onion.arti.*]` tables that point leakwatch at this network: what an
    /// operator writes for a private network (README: "Onion services on a private/test
    /// network").
    fn onion_toml(&self, dir: &Path) -> String {
        let quoted = |v: &Value| format!("\"{}\"", v.as_str().unwrap());
        let authorities: Vec<String> = self.json["authorities"]
            .as_array()
            .unwrap()
            .iter()
            .map(quoted)
            .collect();
        let fallbacks: Vec<String> = self.json["fallbacks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let orports: Vec<String> = f["orports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(quoted)
                    .collect();
                format!(
                    "{{ rsa_identity = {}, ed_identity = {}, orports = [{}] }}",
                    quoted(&f["rsa_identity"]),
                    quoted(&f["ed_identity"]),
                    orports.join(", ")
                )
            })
            .collect();
        format!(
            r#"
[onion]
state_dir = "{dir}/arti-state"
cache_dir = "{dir}/arti-cache"
bootstrap_timeout_ms = 150000
connect_timeout_ms = 60000
not_found_backoff_ms = 1000

[onion.arti.tor_network]
fallback_caches = [
    {fallbacks}
]

[onion.arti.tor_network.authorities]
v3idents = [{authorities}]

[onion.arti.address_filter]
allow_local_addrs = true

[onion.arti.path_rules]
ipv4_subnet_family_prefix = 33
ipv6_subnet_family_prefix = 129
"#,
            dir = dir.display(),
            fallbacks = fallbacks.join(",\n    "),
            authorities = authorities.join(", "),
        )
    }

    /// The last lines of every node's log and of the fixture server's access log.
    fn print_logs(&self) {
        for log in self.json["logs"].as_array().into_iter().flatten() {
            let path = log.as_str().unwrap_or_default();
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            eprintln!("--- {path} (last 30 lines)");
            for line in &lines[lines.len().saturating_sub(30)..] {
                eprintln!("{line}");
            }
        }
    }
}

/// Prints every node's log tail (and the leakwatch runs' stderr) when the test fails.
struct LogsOnFailure<'a> {
    net: &'a Net,
    runs: Vec<String>,
}

impl Drop for LogsOnFailure<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for (i, run) in self.runs.iter().enumerate() {
                eprintln!("--- leakwatch run {i} stderr\n{run}");
            }
            self.net.print_logs();
        }
    }
}

fn leakwatch(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .output()
        .expect("run leakwatch");
    assert!(
        out.status.success(),
        "leakwatch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs leakwatch with its output in files, killing it after [`RUN_TIMEOUT`].
fn leakwatch_bounded(args: &[&str], dir: &Path, name: &str) -> (bool, String, String) {
    let (out_path, err_path) = (
        dir.join(format!("{name}.stdout")),
        dir.join(format!("{name}.stderr")),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err_path).unwrap()))
        .spawn()
        .expect("start leakwatch");
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if began.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let mut stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    if status.is_none() {
        stderr.push_str(&format!("\n(killed after {RUN_TIMEOUT:?})"));
    }
    (status.is_some_and(|s| s.success()), stdout, stderr)
}

/// Register, key and bundle in `dir`, as the data owner makes them.
fn register_and_bundle(dir: &Path) -> Vec<Resident> {
    let d = |name: &str| dir.join(name).to_string_lossy().into_owned();
    leakwatch(&[
        "demo-data",
        "--residents",
        &RESIDENTS.to_string(),
        "--seed",
        &SEED.to_string(),
        "--out",
        &d("reg"),
    ]);
    leakwatch(&["keygen", "--out", &d("secret.key")]);
    leakwatch(&[
        "fingerprint",
        "build",
        "--records",
        &d("reg/residents.csv"),
        "--schema",
        &d("reg/schema.toml"),
        "--key-file",
        &d("secret.key"),
        "--out",
        &d("residents.lwfp"),
    ]);
    synth::residents(RESIDENTS, SEED)
}

/// The register ids of the records behind `refs` (the data owner's `fingerprint resolve`).
fn resolve(dir: &Path, refs: &BTreeSet<String>) -> BTreeSet<String> {
    let d = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let (records, schema, key) = (
        d("reg/residents.csv"),
        d("reg/schema.toml"),
        d("secret.key"),
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
    let out = leakwatch(&args);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split('\t').nth(1).map(str::to_owned))
        .collect()
}

fn ids(residents: &[Resident]) -> BTreeSet<String> {
    residents.iter().map(|r| r.id.clone()).collect()
}

/// The same onion address with its first character changed: a typo, so its checksum fails.
fn typo_of(onion: &str) -> String {
    let first = if onion.starts_with('a') { "b" } else { "a" };
    format!("{first}{}", &onion[1..])
}

fn page(title: &str, links: &[&str]) -> String {
    let links: String = links
        .iter()
        .map(|href| format!("<li><a href=\"{href}\">{href}</a></li>\n"))
        .collect();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><ul>\n{links}</ul></body></html>\n"
    )
}

/// A small market under `www/<prefix>/`:
///
/// ```text
/// index.html (0) ── cat-docs.html (1) ── item-1207.html (2, records) ── item-1207-full.html (3)
///                │                     └ item-1208.html (2)                 /contact (3)
///                ├─ cat-cards.html (1) ── item-99.html (2) ── deep.html (3)
///                ├─ about.html (1)
///                └─ a typo'd onion, another onion, a clearnet link (skipped)
/// ```
fn write_market(www: &Path, prefix: &str, onion: &str, on_page: &[Resident], beyond: &[Resident]) {
    let dir = www.join(prefix);
    std::fs::create_dir_all(&dir).unwrap();
    let typo = format!("http://{}/", typo_of(onion));
    let other_onion = "http://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/";
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "index.html",
            page(
                "Listings",
                &[
                    "cat-docs.html",
                    "cat-cards.html",
                    "about.html",
                    &typo,
                    other_onion,
                    "https://example.com/",
                ],
            )
            .into_bytes(),
        ),
        (
            "cat-docs.html",
            page("Documents", &["item-1207.html", "item-1208.html"]).into_bytes(),
        ),
        (
            "cat-cards.html",
            page("Cards", &["item-99.html"]).into_bytes(),
        ),
        ("about.html", page("About", &["index.html"]).into_bytes()),
        (
            "item-1207.html",
            String::from_utf8(leaks::render(LeakForm::HtmlTable, on_page, SEED))
                .unwrap()
                .replace(
                    "</body>",
                    "<p><a href=\"item-1207-full.html\">full dump</a></p></body>",
                )
                .into_bytes(),
        ),
        ("item-1208.html", page("Sold out", &[]).into_bytes()),
        (
            "item-99.html",
            page("Gift cards", &["deep.html"]).into_bytes(),
        ),
        ("deep.html", page("Deep", &[]).into_bytes()),
        (
            "item-1207-full.html",
            leaks::render(LeakForm::HtmlTable, beyond, SEED + 1),
        ),
    ];
    for (name, body) in files {
        std::fs::write(dir.join(name), body).unwrap();
    }
}

/// Paths under `/<prefix>/` requested from the fixture server.
fn requested(net: &Net, prefix: &str) -> BTreeSet<String> {
    let marker = format!("\"GET /{prefix}/");
    net.access_log()
        .lines()
        .filter_map(|l| {
            let at = l.find(&marker)? + marker.len();
            Some(l[at..].split(' ').next()?.to_owned())
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn run_once_alerts_on_the_onion_market_records_page_within_the_depth_cap() {
    let Some(net) = Net::get("run_once_alerts_on_the_onion_market_records_page") else {
        return;
    };
    let mut logs = LogsOnFailure {
        net: &net,
        runs: Vec::new(),
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let residents = register_and_bundle(dir);
    let prefix = format!("run-{}", std::process::id());
    let onion = net.onion();
    write_market(
        &net.www(),
        &prefix,
        onion,
        &residents[ON_ONION],
        &residents[BEYOND_CAP],
    );
    // Another source in the same run, on the clearnet: unaffected by the onion host that is down.
    let clear = net.www().join(&prefix).join("clear");
    std::fs::create_dir_all(&clear).unwrap();
    std::fs::write(clear.join("index.html"), page("Paste", &["leak.txt"])).unwrap();
    std::fs::write(
        clear.join("leak.txt"),
        leaks::render(LeakForm::CsvRegister, &residents[ON_CLEARNET], SEED),
    )
    .unwrap();

    let seed = format!("http://{onion}/{prefix}/index.html");
    let records_url = format!("http://{onion}/{prefix}/item-1207.html");
    let clear_url = format!("http://127.0.0.1:{}/{prefix}/clear/", net.http_port());
    let store = dir.join("alerts.sqlite");
    let config = dir.join("leakwatch.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[matcher]
bundle_path = "{dir}/residents.lwfp"
key_file = "{dir}/secret.key"
workers = 1

[store]
path = "{store}"

[crawler]
state_path = "{dir}/crawl-state.sqlite"

[politeness]
min_interval_ms = 0

[fetch]
max_retries = 1
backoff_base_ms = 200

[[source]]
type = "onion"
id = "market"
seeds = ["{seed}"]
max_depth = 2

[[source]]
type = "onion"
id = "gone"
seeds = ["http://{gone}/"]

[[source]]
type = "site"
id = "clear"
seeds = ["{clear_url}index.html"]
max_depth = 1
{onion_toml}"#,
            dir = dir.display(),
            store = store.display(),
            gone = net.str("unpublished_onion"),
            onion_toml = net.onion_toml(dir),
        ),
    )
    .unwrap();

    let config_arg = config.to_string_lossy().into_owned();
    let (ok, stdout, stderr) =
        leakwatch_bounded(&["run", "--config", &config_arg, "--once"], dir, "run");
    logs.runs.push(stderr.clone());
    assert!(ok, "leakwatch run --once failed:\n{stderr}");
    let summary: Value = serde_json::from_str(stdout.trim()).expect(&stdout);
    // Pages: the onion market's seven pages within the cap, and the two clearnet ones.
    assert_eq!(summary["pages"], 9, "{summary}");

    // The alerts: the onion records page's residents, at that page's URL, from the onion source;
    // the clearnet source's residents from its page; nothing from beyond the depth cap.
    let conn = rusqlite::Connection::open(&store).unwrap();
    let rows: Vec<(String, String, String, i64)> = conn
        .prepare("SELECT source, url, record_ref, confidence FROM alerts")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(conn);
    let refs_of = |source: &str, url: &str| -> BTreeSet<String> {
        rows.iter()
            .filter(|(s, u, _, c)| s == source && u == url && *c >= 1)
            .map(|(_, _, r, _)| r.clone())
            .collect()
    };
    let sources: BTreeSet<&str> = rows.iter().map(|(s, ..)| s.as_str()).collect();
    assert_eq!(sources, BTreeSet::from(["clear", "market"]), "{rows:?}");
    let onion_urls: BTreeSet<&str> = rows
        .iter()
        .filter(|(s, ..)| s == "market")
        .map(|(_, u, ..)| u.as_str())
        .collect();
    assert_eq!(onion_urls, BTreeSet::from([records_url.as_str()]));
    assert_eq!(
        resolve(dir, &refs_of("market", &records_url)),
        ids(&residents[ON_ONION])
    );
    assert_eq!(
        resolve(dir, &refs_of("clear", &format!("{clear_url}leak.txt"))),
        ids(&residents[ON_CLEARNET])
    );
    let all_refs: BTreeSet<String> = rows.iter().map(|(_, _, r, _)| r.clone()).collect();
    let alerted = resolve(dir, &all_refs);
    assert!(
        alerted.is_disjoint(&ids(&residents[BEYOND_CAP])),
        "a page beyond the depth cap was matched"
    );

    // Privacy: what the run wrote holds no raw value of the residents on the onion page.
    let mut written = vec![
        ("stdout".to_owned(), stdout.into_bytes()),
        ("stderr".to_owned(), stderr.into_bytes()),
    ];
    for f in ["alerts.sqlite", "alerts.sqlite-wal", "crawl-state.sqlite"] {
        written.push((f.to_owned(), std::fs::read(dir.join(f)).unwrap_or_default()));
    }
    for arti_dir in ["arti-state", "arti-cache"] {
        for f in files_under(&dir.join(arti_dir)) {
            let bytes = std::fs::read(dir.join(arti_dir).join(&f)).unwrap_or_default();
            written.push((format!("{arti_dir}/{f}"), bytes));
        }
    }
    for r in &residents[ON_ONION] {
        for value in [
            r.name(),
            r.name_kana(),
            r.address(),
            r.phone.clone(),
            r.phone_dashed(),
        ] {
            for (what, bytes) in &written {
                assert!(
                    !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                    "{what} holds a raw value of a resident on the onion page"
                );
            }
        }
    }

    // Through the onion service, the fixture server saw exactly the pages within the cap.
    let fetched = requested(&net, &prefix);
    assert_eq!(
        fetched,
        set(&[
            "index.html",
            "cat-docs.html",
            "cat-cards.html",
            "about.html",
            "item-1207.html",
            "item-1208.html",
            "item-99.html",
            "clear/index.html",
            "clear/leak.txt",
        ]),
        "pages beyond the depth cap (item-1207-full.html, deep.html, /contact) must not be fetched"
    );
}

/// Relative paths of the files under `dir`.
fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out
}

/// The guards in arti's persistent state: identity and the (randomised) time each was added.
fn guards(state_dir: &Path) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(state_dir.join("state/guards.json")).unwrap_or_default();
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    json.as_object()
        .into_iter()
        .flat_map(|contexts| contexts.values())
        .flat_map(|context| context["guards"].as_array().cloned().unwrap_or_default())
        .map(|g| (g["id"].to_string(), g["added_at"].to_string()))
        .collect()
}

/// The source's summary line that `leakwatch crawl` prints on stderr (`market: 2 emitted, ...`).
fn summary_line<'a>(stderr: &'a str, source: &str) -> &'a str {
    let prefix = format!("{source}: ");
    stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no summary line for {source}:\n{stderr}"))
}

#[test]
fn crawl_restart_reuses_arti_state_and_reports_down_and_invalid_onions() {
    let Some(net) = Net::get("crawl_restart_reuses_arti_state") else {
        return;
    };
    let mut logs = LogsOnFailure {
        net: &net,
        runs: Vec::new(),
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let prefix = format!("crawl-{}", std::process::id());
    let onion = net.onion();
    let www = net.www().join(&prefix);
    std::fs::create_dir_all(&www).unwrap();
    let typo = format!("http://{}/", typo_of(onion));
    std::fs::write(
        www.join("index.html"),
        page("Listings", &["page.html", &typo, "https://example.com/"]),
    )
    .unwrap();
    std::fs::write(www.join("page.html"), page("Page", &["deeper.html"])).unwrap();
    std::fs::write(www.join("deeper.html"), page("Deeper", &[])).unwrap();

    let pages = dir.join("pages.jsonl");
    let config = dir.join("crawl.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[politeness]
min_interval_ms = 0

[fetch]
max_retries = 1
backoff_base_ms = 200

[sink]
type = "jsonl"
path = "{pages}"

[[source]]
type = "onion"
id = "market"
seeds = ["http://{onion}/{prefix}/index.html"]
max_depth = 1

[[source]]
type = "onion"
id = "gone"
seeds = ["http://{gone}/"]

[[source]]
type = "onion"
id = "bogus"
seeds = ["http://{not_a_key}/"]
{onion_toml}"#,
            pages = pages.display(),
            gone = net.str("unpublished_onion"),
            not_a_key = net.str("not_a_key_onion"),
            onion_toml = net.onion_toml(dir),
        ),
    )
    .unwrap();
    let config_arg = config.to_string_lossy().into_owned();
    let (state, cache) = (dir.join("arti-state"), dir.join("arti-cache"));

    let mut snapshots = Vec::new();
    for run in 0..2 {
        let (ok, _, stderr) = leakwatch_bounded(
            &["crawl", "--config", &config_arg, "--once"],
            dir,
            &format!("crawl{run}"),
        );
        logs.runs.push(stderr.clone());
        assert!(ok, "leakwatch crawl --once (run {run}) failed:\n{stderr}");
        // The onion market: both pages within the cap emitted; the typo'd onion dropped as
        // invalid, the clearnet link as another host.
        let market = summary_line(&stderr, "market");
        for part in [
            "2 emitted",
            "2 fetched",
            "1 skipped (invalid_onion)",
            "1 skipped (off_host)",
        ] {
            assert!(market.contains(part), "run {run}: {market}");
        }
        // The host that is down: descriptor not found (backed off, retried once), no crash.
        let gone = summary_line(&stderr, "gone");
        for part in [
            "2 errors (tor_onion_not_found)",
            "1 skipped (retries_exhausted)",
        ] {
            assert!(gone.contains(part), "run {run}: {gone}");
        }
        // A well-formed address whose key is not a curve point: arti refuses it, dropped at once.
        let bogus = summary_line(&stderr, "bogus");
        for part in ["1 errors (tor_bad_address)", "1 skipped (permanent_error)"] {
            assert!(bogus.contains(part), "run {run}: {bogus}");
        }
        snapshots.push((files_under(&state), files_under(&cache), guards(&state)));
    }
    let emitted = std::fs::read_to_string(&pages).unwrap();
    let urls: BTreeSet<String> = emitted
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["url"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        urls,
        BTreeSet::from([
            format!("http://{onion}/{prefix}/index.html"),
            format!("http://{onion}/{prefix}/page.html"),
        ])
    );
    assert_eq!(
        requested(&net, &prefix),
        set(&["index.html", "page.html"]),
        "deeper.html is beyond the depth cap"
    );

    // arti's state and cache directories persist across restarts: the second run found the
    // first run's files (and kept them), with the consensus in the cache.
    let (state0, cache0, guards0) = &snapshots[0];
    let (state1, cache1, guards1) = &snapshots[1];
    assert!(
        state0.contains("state/guards.json") && cache0.contains("dir.sqlite3"),
        "{state0:?} {cache0:?}"
    );
    assert!(
        cache0.iter().any(|f| f.starts_with("dir_blobs/con_")),
        "no cached consensus: {cache0:?}"
    );
    assert!(state0.is_subset(state1), "{state0:?} then {state1:?}");
    assert!(cache0.is_subset(cache1), "{cache0:?} then {cache1:?}");
    // The second run loaded the first run's guard sample instead of drawing a new one: the same
    // guards with the same (randomised) times they were added.
    assert!(!guards0.is_empty());
    assert!(guards0.is_subset(guards1), "{guards0:?} then {guards1:?}");
}
