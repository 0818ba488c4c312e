//! The shared set-up of the multi-process pipeline tests (`tests/pipeline_kafka.rs`,
//! `tests/faults.rs`, `tests/crawl_kafka.rs`): real `leakwatch` processes with their output in files, a Pastebin-shaped
//! site of many pastes (every third a leak of two residents), the alerts the matcher itself finds
//! on those pages, and readers of the SQLite store and of Kafka topics.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fingerprints::leaks::{self, LeakForm};
use fingerprints::{SecretKey, synth};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

/// The address of the shared broker of a test run (`LEAKWATCH_KAFKA`), or `None` after printing
/// a loud SKIPPED message naming `what`.
pub fn kafka_broker(what: &str) -> Option<String> {
    match std::env::var("LEAKWATCH_KAFKA") {
        Ok(b) if !b.is_empty() => Some(b),
        _ => {
            eprintln!(
                "\n\n!!! SKIPPED: LEAKWATCH_KAFKA is not set, so {what} did not run.\n!!! \
                 scripts/test.sh starts a broker and sets it (CI runs it there).\n\n"
            );
            None
        }
    }
}

/// The real binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_leakwatch")
}

/// Runs the binary, asserting success (stderr in the failure message).
pub fn run_ok(args: &[&str]) {
    let out = Command::new(bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "leakwatch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A unique suffix for topic and group names.
pub fn unique_tag() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// A process whose output goes to `NAME.stdout` / `NAME.stderr` in a directory; killed
/// (SIGKILL) if still running on drop.
pub struct Proc {
    /// The child.
    pub child: Child,
    /// Its name (the log files' stem).
    pub name: String,
}

impl Proc {
    /// Starts `leakwatch ARGS`.
    pub fn start(dir: &Path, name: &str, args: &[&str]) -> Proc {
        Proc::start_program(dir, name, bin(), args, &[])
    }

    /// Starts any program with extra environment variables.
    pub fn start_program(
        dir: &Path,
        name: &str,
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Proc {
        let out = std::fs::File::create(dir.join(format!("{name}.stdout"))).unwrap();
        let err = std::fs::File::create(dir.join(format!("{name}.stderr"))).unwrap();
        let child = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {program}: {e}"));
        Proc {
            child,
            name: name.to_owned(),
        }
    }

    /// Sends `signal` (e.g. `-TERM`, `-KILL`) to the process.
    pub fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status();
    }

    /// SIGKILL, and reaps it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM; asserts a successful exit within 60 s.
    pub fn terminate(mut self) {
        self.signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{} exited with {status}", self.name);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} did not stop after SIGTERM", self.name);
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One paste of the site.
pub struct Paste {
    /// Its key (`k0000`, ...).
    pub key: String,
    /// Its Content-Type.
    pub content_type: &'static str,
    /// Its body.
    pub body: Vec<u8>,
}

/// `count` pastes: every third a leak of two residents (in the leak forms in turn), the rest
/// ordinary text. Needs `10 + 2 * count / 3 + 2` residents.
pub fn pastes(residents: &[synth::Resident], count: usize) -> Vec<Paste> {
    (0..count)
        .map(|i| {
            let key = format!("k{i:04}");
            if i % 3 == 0 {
                let form = LeakForm::ALL[(i / 3) % LeakForm::ALL.len()];
                let from = 10 + (i / 3) * 2;
                Paste {
                    key,
                    content_type: form.content_type(),
                    body: leaks::render(form, &residents[from..from + 2], i as u64),
                }
            } else {
                let line = format!("ordinary paste {i}: build log, nothing to see here.\n");
                Paste {
                    key,
                    content_type: "text/plain; charset=utf-8",
                    body: line.repeat(40).into_bytes(),
                }
            }
        })
        .collect()
}

/// A Pastebin-shaped site on loopback: a listing of every paste, and the raws.
pub fn serve(pastes: Arc<Vec<Paste>>) -> String {
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
            let (content_type, body): (&str, Vec<u8>) = if path.starts_with("/api_scraping.php") {
                let items: Vec<String> = pastes
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        format!(
                            r#"{{"key":"{}","date":"{}","scrape_url":"/api_scrape_item.php?i={}"}}"#,
                            p.key,
                            1_700_000_000 + i,
                            p.key
                        )
                    })
                    .collect();
                (
                    "application/json",
                    format!("[{}]", items.join(",")).into_bytes(),
                )
            } else if let Some(key) = path.strip_prefix("/api_scrape_item.php?i=") {
                match pastes.iter().find(|p| p.key == key) {
                    Some(p) => (p.content_type, p.body.clone()),
                    None => ("text/plain", Vec::new()),
                }
            } else {
                ("text/plain", Vec::new())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}")
}

/// A path as a TOML string.
pub fn toml_str(p: &Path) -> String {
    format!("{:?}", p.display().to_string())
}

/// The data owner's side and the site: register, key, bundle (in `dir`), the pastes served on
/// loopback, and what must come out of them.
pub struct Fixture {
    /// The synthetic register's directory (`residents.csv`, `schema.toml`).
    pub reg: PathBuf,
    /// The key file.
    pub key: PathBuf,
    /// The bundle.
    pub bundle: PathBuf,
    /// The residents of the register.
    pub residents: Vec<synth::Resident>,
    /// The pastes served.
    pub pastes: Arc<Vec<Paste>>,
    /// The site's base URL.
    pub base: String,
    /// (item URL, record ref) of every alert the matcher finds at medium or above.
    pub expected: BTreeSet<(String, String)>,
}

impl Fixture {
    /// Builds the register (`residents` people, `seed`), key and bundle with the real binary,
    /// serves `count` pastes, and scans them with the matcher library for the expected alerts.
    pub fn new(dir: &Path, residents: usize, seed: u64, count: usize) -> Fixture {
        let reg = dir.join("reg");
        let key = dir.join("secret.key");
        let bundle = dir.join("residents.lwfp");
        let s = |p: &Path| p.to_str().unwrap().to_owned();
        run_ok(&[
            "demo-data",
            "--residents",
            &residents.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            &s(&reg),
        ]);
        run_ok(&["keygen", "--out", &s(&key)]);
        run_ok(&[
            "fingerprint",
            "build",
            "--records",
            &s(&reg.join("residents.csv")),
            "--schema",
            &s(&reg.join("schema.toml")),
            "--key-file",
            &s(&key),
            "--out",
            &s(&bundle),
        ]);
        let people = synth::residents(residents, seed);
        let pastes = Arc::new(pastes(&people, count));
        let base = serve(pastes.clone());

        let matcher = matcher::Matcher::open(
            &bundle,
            &SecretKey::read(&key).unwrap(),
            matcher::MatcherConfig::default(),
        )
        .unwrap();
        let mut expected = BTreeSet::new();
        for p in pastes.iter() {
            let (media, charset) = p
                .content_type
                .split_once("; charset=")
                .unwrap_or((p.content_type, ""));
            let doc = matcher::Document::new(&p.body)
                .with_charset(Some(charset).filter(|c| !c.is_empty()))
                .with_content_type(Some(media));
            for f in matcher.scan(&doc).at_least(matcher::Confidence::Medium) {
                expected.insert((
                    format!("{base}/api_scrape_item.php?i={}", p.key),
                    f.record.to_string(),
                ));
            }
        }
        Fixture {
            reg,
            key,
            bundle,
            residents: people,
            pastes,
            base,
            expected,
        }
    }

    /// The `[[source]]` table of the paste site.
    pub fn source_toml(&self) -> String {
        format!(
            "[[source]]\ntype = \"paste_api\"\nid = \"pastes\"\n\
             listing_url = \"{}/api_scraping.php?limit=500\"\nmax_items_per_poll = 1000\n",
            self.base
        )
    }

    /// The raw values to look for in what the pipeline wrote (the privacy checks): every value
    /// of the residents the pages leak, and of the others every value but the short numbers
    /// (7-digit account numbers). Those never enter the pipeline, and a 13-digit timestamp or a
    /// hex id holds one of a thousand residents' account numbers now and then by chance.
    pub fn raw_values(&self) -> Vec<String> {
        let hasher = fingerprints::Hasher::new(&SecretKey::read(&self.key).unwrap());
        let leaked: BTreeSet<&str> = self.expected.iter().map(|(_, r)| r.as_str()).collect();
        self.residents
            .iter()
            .flat_map(|r| {
                let mut values = raw_values(r);
                if !leaked.contains(hasher.record_ref(&r.id).to_string().as_str()) {
                    values.retain(|v| v.len() > 8 || !v.chars().all(|c| c.is_ascii_digit()));
                }
                values
            })
            .collect()
    }
}

/// A `leakwatch.toml` for the Kafka pipeline over `brokers`, topics and groups suffixed with
/// `tag`, the store in `store`, plus `extra` (more tables) and the fixture's source.
pub fn kafka_config(
    dir: &Path,
    fx: &Fixture,
    brokers: &str,
    tag: &str,
    store: &Path,
    min_interval_ms: u64,
    extra: &str,
) -> PathBuf {
    let config = dir.join("leakwatch.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[transport]
type = "kafka"
brokers = "{brokers}"
pages_topic = "pages-{tag}"
alerts_topic = "alerts-{tag}"
crawl_tasks_topic = "crawl-tasks-{tag}"
crawl_schedule_topic = "crawl-schedule-{tag}"
dead_letter_topic = "dead-letter-{tag}"
matcher_group = "matchers-{tag}"
store_group = "store-{tag}"
partitions = 4
session_timeout_ms = 6000
commit_interval_ms = 1000

[matcher]
bundle_path = {bundle}
key_file = {key}
workers = 2
min_confidence = "medium"

[store]
path = {store}

[crawler]
state_path = {state}
global_concurrency = 2

[politeness]
per_host_concurrency = 1
min_interval_ms = {min_interval_ms}
{extra}
{source}"#,
            bundle = toml_str(&fx.bundle),
            key = toml_str(&fx.key),
            store = toml_str(store),
            state = toml_str(&dir.join("crawl-state.sqlite")),
            source = fx.source_toml(),
        ),
    )
    .unwrap();
    config
}

/// (url, record) of every alert in the SQLite store, with how often each appears.
pub fn stored(store: &Path) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    let Ok(conn) = rusqlite::Connection::open(store) else {
        return out;
    };
    let Ok(mut stmt) = conn.prepare("SELECT url, record_ref FROM alerts") else {
        return out;
    };
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    for r in rows {
        *out.entry(r.unwrap()).or_insert(0) += 1;
    }
    out
}

/// Asserts that `got` holds every expected alert exactly once and nothing else.
pub fn assert_exactly_once(
    got: &BTreeMap<(String, String), usize>,
    expected: &BTreeSet<(String, String)>,
) {
    let dupes: Vec<_> = got.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dupes.is_empty(), "duplicate alerts: {dupes:?}");
    let keys: BTreeSet<_> = got.keys().cloned().collect();
    let lost: Vec<_> = expected.difference(&keys).collect();
    let extra: Vec<_> = keys.difference(expected).collect();
    assert!(
        lost.is_empty() && extra.is_empty(),
        "lost {}: {lost:?}; unexpected {}: {extra:?}",
        lost.len(),
        extra.len()
    );
}

/// Waits for `done`, up to `timeout`; on timeout dumps the logs of `dir` and panics naming
/// `what`.
pub fn wait_for(dir: &Path, what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    if !wait_until(timeout, &mut done) {
        dump_logs(dir);
        panic!("gave up waiting for {what}");
    }
}

/// Waits for `done`, up to `timeout`; whether it came.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

/// The partitions of a process's latest assignment, from its log.
pub fn last_assignment(log: &Path) -> Vec<String> {
    last_assignment_of(log, "")
}

/// The partitions of the latest assignment of the consumer whose log lines start with `label`
/// (`crawl frontier`, `crawl schedule`; empty: any), from its process's log.
pub fn last_assignment_of(log: &Path, label: &str) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let (assigned, revoked) = (
        format!("{label}: partitions assigned"),
        format!("{label}: partitions revoked"),
    );
    let Some(line) = text
        .lines()
        .rev()
        .find(|l| l.contains(&assigned) || l.contains(&revoked))
    else {
        return Vec::new();
    };
    if line.contains("revoked") {
        return Vec::new();
    }
    let inner = line.split('[').nth(1).unwrap_or("").trim_end_matches(']');
    inner.split_whitespace().map(str::to_owned).collect()
}

/// The last 30 lines of every `*.stderr` in `dir` (refs, URLs, counts only), to diagnose a
/// failure.
pub fn dump_logs(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "stderr") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            eprintln!("--- {}:", path.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// Every message of `topic` from the beginning, until none came for `idle`.
pub fn consume_all(brokers: &str, topic: &str, idle: Duration) -> Vec<(Option<Vec<u8>>, Vec<u8>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("test-reader-{topic}-{}", unique_tag()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let mut last = Instant::now();
    while last.elapsed() < idle {
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            let m = m.unwrap();
            out.push((
                m.key().map(<[u8]>::to_vec),
                m.payload().unwrap_or_default().to_vec(),
            ));
            last = Instant::now();
        }
    }
    out
}

/// Every raw value of one resident, in the notations the leak forms use.
pub fn raw_values(r: &synth::Resident) -> Vec<String> {
    vec![
        r.name(),
        format!("{}{}", r.family, r.given),
        r.name_kana(),
        r.birth_date_iso(),
        r.address(),
        r.phone.clone(),
        r.phone_dashed(),
        r.national_id.clone(),
        r.account_number.clone(),
    ]
}

/// A free loopback TCP port (bound and released; good enough for a test's own servers).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
