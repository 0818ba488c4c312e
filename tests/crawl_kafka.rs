//! Two `leakwatch crawl` replicas sharing the crawl-tasks frontier over a real Kafka-protocol
//! broker (tansu, started by `scripts/test.sh`, its address in `LEAKWATCH_KAFKA`).
//!
//! Ten Pastebin-shaped sites on loopback (each its own port, so its own host and partition key)
//! publish pastes in three phases. The replicas (one consumer group, each with its own
//! user agent and seen-state) must share the hosts, poll each listing from one chain only (no
//! two polls of a listing closer than half the poll interval, although both replicas pushed the
//! seeds), and, after one replica is killed with SIGKILL mid-stream, the other must take over
//! its partitions (after the broker's session timeout) and fetch every paste: every paste URL
//! ends up on the pages topic. Re-polls are due later than `schedule_after_ms`, so they go
//! through the crawl-schedule topic (the replicas' second consumer group) and back.
//!
//! A second test drives `wire::kafka::KafkaFrontier` itself: a task due later waits on the
//! schedule, outside the crawlers' consumer lag on crawl-tasks.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use support::pipeline::{Proc, consume_all, kafka_broker, last_assignment_of, toml_str, wait_for};

const SITES: usize = 10;
/// Pastes per site and phase.
const PER_PHASE: usize = 3;
const PHASES: usize = 3;
const POLL_INTERVAL_MS: u64 = 1_000;
const PARTITIONS: usize = 4;
/// Tasks due later than this go through the crawl-schedule topic: every re-poll does.
const SCHEDULE_AFTER_MS: u64 = POLL_INTERVAL_MS / 4;

/// One request a site served.
#[derive(Debug, Clone)]
struct Hit {
    site: usize,
    path: String,
    agent: String,
    at: Instant,
}

type Log = Arc<Mutex<Vec<Hit>>>;

fn item_path(site: usize, i: usize) -> String {
    format!("/api_scrape_item.php?i=s{site}p{i}")
}

/// A Pastebin-shaped site listing the first `released` pastes; items answer after 150 ms, so a
/// replica killed mid-stream has fetches in flight.
fn serve(site: usize, released: Arc<AtomicUsize>, log: Log) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (released, log) = (released.clone(), log.clone());
            std::thread::spawn(move || answer(site, stream, &released, &log));
        }
    });
    format!("http://{addr}")
}

fn answer(site: usize, mut stream: std::net::TcpStream, released: &AtomicUsize, log: &Log) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut agent = String::new();
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        if let Some(v) = line
            .strip_prefix("user-agent:")
            .or_else(|| line.strip_prefix("User-Agent:"))
        {
            agent = v.trim().to_owned();
        }
        line.clear();
    }
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
    log.lock().unwrap().push(Hit {
        site,
        path: path.clone(),
        agent,
        at: Instant::now(),
    });
    let (content_type, body) = if path.starts_with("/api_scraping.php") {
        let n = released.load(Ordering::SeqCst);
        let items: Vec<String> = (0..n)
            .rev()
            .map(|i| {
                format!(
                    r#"{{"key":"s{site}p{i}","date":"{}","scrape_url":"{}"}}"#,
                    1_700_000_000 + i,
                    item_path(site, i)
                )
            })
            .collect();
        ("application/json", format!("[{}]", items.join(",")))
    } else if path.starts_with("/api_scrape_item.php") {
        std::thread::sleep(Duration::from_millis(150));
        (
            "text/plain; charset=utf-8",
            format!("paste {path}: an ordinary build log\n").repeat(20),
        )
    } else {
        ("text/plain", String::new())
    };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
}

/// The log labels of a replica's two consumers: the crawl-tasks and the crawl-schedule one.
const CONSUMERS: [&str; 2] = ["crawl frontier", "crawl schedule"];

/// The keys of every message of `topic` from the beginning, until none came for `idle`.
fn topic_keys(brokers: &str, topic: &str, idle: Duration) -> Vec<String> {
    consume_all(brokers, topic, idle)
        .into_iter()
        .map(|(key, _)| String::from_utf8_lossy(&key.unwrap_or_default()).into_owned())
        .collect()
}

/// Paths of the items served so far, with how often each was fetched, per site.
fn fetched_items(log: &Log) -> BTreeMap<(usize, String), Vec<String>> {
    let mut out: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    for h in log.lock().unwrap().iter() {
        if h.path.starts_with("/api_scrape_item.php") {
            out.entry((h.site, h.path.clone()))
                .or_default()
                .push(h.agent.clone());
        }
    }
    out
}

fn all_fetched(log: &Log, phases: usize) -> bool {
    let got = fetched_items(log);
    (0..SITES).all(|s| (0..phases * PER_PHASE).all(|i| got.contains_key(&(s, item_path(s, i)))))
}

#[test]
fn two_crawlers_share_the_frontier_and_survive_a_killed_replica() {
    let Some(brokers) = kafka_broker("the Kafka crawl-frontier test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tag = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );

    let released = Arc::new(AtomicUsize::new(0));
    let log: Log = Arc::default();
    let bases: Vec<String> = (0..SITES)
        .map(|s| serve(s, released.clone(), log.clone()))
        .collect();
    let sources: String = bases
        .iter()
        .enumerate()
        .map(|(s, base)| {
            format!(
                r#"
[[source]]
type = "paste_api"
id = "site{s}"
listing_url = "{base}/api_scraping.php"
poll_interval_ms = {POLL_INTERVAL_MS}
"#
            )
        })
        .collect();
    let config = |replica: &str| {
        let path = d.join(format!("{replica}.toml"));
        std::fs::write(
            &path,
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
crawler_group = "crawlers-{tag}"
scheduler_group = "scheduler-{tag}"
# Re-polls (due a poll interval later) go through the schedule topic.
schedule_after_ms = {SCHEDULE_AFTER_MS}
partitions = {PARTITIONS}
session_timeout_ms = 6000
commit_interval_ms = 500

[crawler]
state_path = {state}
global_concurrency = 8
user_agent = "{replica}"

[politeness]
min_interval_ms = 20
{sources}"#,
                state = toml_str(&d.join(format!("{replica}-state.sqlite"))),
            ),
        )
        .unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (cfg_a, cfg_b, cfg_c) = (
        config("replica-a"),
        config("replica-b"),
        config("replica-c"),
    );

    let replica_a = Proc::start(d, "replica-a", &["crawl", "--config", &cfg_a]);
    let replica_b = Proc::start(d, "replica-b", &["crawl", "--config", &cfg_b]);
    // Let the group form first: tansu 0.6 does not evict a member killed while the group is
    // still forming (a broker limitation, not the scenario under test).
    wait_for(
        d,
        "both replicas in both groups",
        Duration::from_secs(120),
        || {
            CONSUMERS.iter().all(|label| {
                let a = last_assignment_of(&d.join("replica-a.stderr"), label);
                let b = last_assignment_of(&d.join("replica-b.stderr"), label);
                !a.is_empty() && !b.is_empty() && a.len() + b.len() == PARTITIONS
            })
        },
    );
    // Redeliveries of the forming group's rebalances settle within a poll interval or two.
    std::thread::sleep(Duration::from_millis(3 * POLL_INTERVAL_MS));
    let steady = Instant::now();

    // Phase 1: both replicas fetch, each the hosts of its partitions.
    released.store(PER_PHASE, Ordering::SeqCst);
    wait_for(
        d,
        "every phase-1 paste fetched",
        Duration::from_secs(60),
        || all_fetched(&log, 1),
    );
    let agents: BTreeSet<String> = fetched_items(&log).into_values().flatten().collect();
    assert!(
        agents.contains("replica-a") && agents.contains("replica-b"),
        "both replicas fetch (hosts are spread over partitions): {agents:?}"
    );

    // Phase 2, and kill replica A with SIGKILL while it fetches.
    released.store(2 * PER_PHASE, Ordering::SeqCst);
    wait_for(
        d,
        "replica A fetching phase 2",
        Duration::from_secs(30),
        || {
            log.lock().unwrap().iter().any(|h| {
                h.agent == "replica-a"
                    && h.path.starts_with("/api_scrape_item.php")
                    && (PER_PHASE..2 * PER_PHASE).any(|i| h.path == item_path(h.site, i))
            })
        },
    );
    drop(replica_a); // SIGKILL
    let killed = Instant::now();
    let sites_of_a: BTreeSet<usize> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.agent == "replica-a" && h.at >= steady)
        .map(|h| h.site)
        .collect();
    // Phase 3: only the others can fetch it, A's hosts once they own A's partitions.
    released.store(3 * PER_PHASE, Ordering::SeqCst);
    // tansu 0.6 keeps a killed member's partitions assigned to it until some member joins the
    // group after the member's session timeout (6 s here); a joining replica then triggers the
    // rebalance that hands A's partitions to the live replicas. Start one, as an operator's
    // restart would.
    std::thread::sleep(Duration::from_millis(8_000));
    let replica_c = Proc::start(d, "replica-c", &["crawl", "--config", &cfg_c]);
    wait_for(
        d,
        "A's partitions taken over by the live replicas",
        Duration::from_secs(120),
        || {
            CONSUMERS.iter().all(|label| {
                let b = last_assignment_of(&d.join("replica-b.stderr"), label);
                let c = last_assignment_of(&d.join("replica-c.stderr"), label);
                !c.is_empty() && b.len() + c.len() == PARTITIONS
            })
        },
    );
    let rebalanced = Instant::now();
    wait_for(
        d,
        "every paste fetched after the kill",
        Duration::from_secs(120),
        || all_fetched(&log, PHASES),
    );

    // Every paste is on the pages topic (at least once: a killed replica's in-flight tasks are
    // handled again by the survivor).
    let expected: BTreeSet<String> = (0..SITES)
        .flat_map(|s| {
            let base = bases[s].clone();
            (0..PHASES * PER_PHASE).map(move |i| format!("{base}{}", item_path(s, i)))
        })
        .collect();
    let mut keys = Vec::new();
    wait_for(
        d,
        "every paste on the pages topic",
        Duration::from_secs(60),
        || {
            keys = topic_keys(&brokers, &format!("pages-{tag}"), Duration::from_secs(2));
            let got: BTreeSet<&String> = keys.iter().collect();
            expected.iter().all(|u| got.contains(u))
        },
    );
    // Re-polls went through the schedule topic, from every site's listing (the replicas keep
    // scheduling them: read until every host was seen).
    let hosts: BTreeSet<String> = bases
        .iter()
        .map(|b| b.trim_start_matches("http://").to_owned())
        .collect();
    let mut scheduled = BTreeSet::new();
    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", format!("test-reader-schedule-{tag}"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    reader
        .subscribe(&[&format!("crawl-schedule-{tag}")])
        .unwrap();
    wait_for(
        d,
        "re-polls of every host on the schedule topic",
        Duration::from_secs(60),
        || {
            for _ in 0..100 {
                let Some(m) = reader.poll(Duration::from_millis(100)) else {
                    break;
                };
                let key = m.unwrap().key().unwrap_or_default().to_vec();
                scheduled.insert(String::from_utf8_lossy(&key).into_owned());
            }
            hosts.is_subset(&scheduled)
        },
    );
    replica_b.terminate();
    replica_c.terminate();

    let fetched = fetched_items(&log);
    let refetched = fetched.values().filter(|a| a.len() > 1).count();
    let taken_over: Vec<&Vec<String>> = fetched
        .iter()
        .filter(|((site, path), _)| {
            sites_of_a.contains(site)
                && (2 * PER_PHASE..3 * PER_PHASE).any(|i| *path == item_path(*site, i))
        })
        .map(|(_, agents)| agents)
        .collect();
    eprintln!(
        "{} pastes, {} page messages ({} pastes fetched more than once); A's sites \
         {sites_of_a:?}; killed at {:.1} s of steady state, rebalanced {:.1} s after the kill",
        expected.len(),
        keys.len(),
        refetched,
        killed.duration_since(steady).as_secs_f64(),
        rebalanced.duration_since(killed).as_secs_f64()
    );
    assert!(!sites_of_a.is_empty());
    assert_eq!(taken_over.len(), sites_of_a.len() * PER_PHASE);
    assert!(
        taken_over
            .iter()
            .flat_map(|a| a.iter())
            .all(|a| a != "replica-a"),
        "phase 3 of the killed replica's sites was fetched by the others: {taken_over:?}"
    );

    // One polling chain per listing: every replica pushed the seeds, yet no listing was polled
    // twice within half an interval, by one replica ever, by any two outside the moments of a
    // rebalance (a poll in flight while its partition moves is redone by the new owner); and the
    // polls number about one per interval.
    let hits = log.lock().unwrap().clone();
    let end = hits.iter().map(|h| h.at).max().unwrap();
    let half = u128::from(POLL_INTERVAL_MS / 2);
    let settled = |t: Instant| t <= killed || t >= rebalanced + Duration::from_secs(3);
    for site in 0..SITES {
        let polls: Vec<&Hit> = hits
            .iter()
            .filter(|h| h.site == site && h.path.starts_with("/api_scraping.php") && h.at >= steady)
            .collect();
        for agent in ["replica-a", "replica-b", "replica-c"] {
            let own: Vec<Instant> = polls
                .iter()
                .filter(|h| h.agent == agent)
                .map(|h| h.at)
                .collect();
            for w in own.windows(2) {
                let gap = w[1].duration_since(w[0]).as_millis();
                assert!(
                    gap >= half,
                    "site {site}: {agent} polled twice within {gap} ms"
                );
            }
        }
        for w in polls.windows(2) {
            let gap = w[1].at.duration_since(w[0].at).as_millis();
            assert!(
                gap >= half || !settled(w[1].at),
                "site {site}: listing polled by {} and {} within {gap} ms",
                w[0].agent,
                w[1].agent
            );
        }
        let window = end.duration_since(steady).as_millis() as u64;
        assert!(
            (polls.len() as u64) <= window / POLL_INTERVAL_MS + 4,
            "site {site}: {} polls in {window} ms (two chains?)",
            polls.len()
        );
    }
}

/// The sum over `topic`'s partitions of the high watermark minus `group`'s committed offset
/// (the beginning where it has none): the consumer lag KEDA's Kafka scaler reads.
fn group_lag(brokers: &str, group: &str, topic: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let timeout = Duration::from_secs(10);
    let meta = consumer.fetch_metadata(Some(topic), timeout).unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in meta.topics()[0].partitions() {
        tpl.add_partition(topic, p.id());
    }
    let committed = consumer.committed_offsets(tpl, timeout).unwrap();
    committed
        .elements()
        .iter()
        .map(|e| {
            let (low, high) = consumer
                .fetch_watermarks(topic, e.partition(), timeout)
                .unwrap();
            match e.offset() {
                rdkafka::Offset::Offset(o) => high - o,
                _ => high - low,
            }
        })
        .sum()
}

/// A task due later than `schedule_after_ms` waits on the schedule topic, not on crawl-tasks:
/// the crawler group's lag on crawl-tasks (what KEDA scales the crawlers on) drops to zero once
/// the due work is done, however much is scheduled; a scheduled task moves to crawl-tasks and
/// is handed out when due.
#[test]
fn scheduled_tasks_wait_outside_the_crawlers_lag() {
    use wire::{CrawlTask, Frontier, KafkaConfig, TaskKind};
    let Some(brokers) = kafka_broker("the Kafka crawl-frontier test") else {
        return;
    };
    let tag = format!("sched-{}", std::process::id());
    let config = KafkaConfig {
        brokers: brokers.clone(),
        crawl_tasks_topic: format!("crawl-tasks-{tag}"),
        crawl_schedule_topic: format!("crawl-schedule-{tag}"),
        dead_letter_topic: format!("dead-letter-{tag}"),
        pages_topic: format!("pages-{tag}"),
        alerts_topic: format!("alerts-{tag}"),
        crawler_group: format!("crawlers-{tag}"),
        scheduler_group: format!("scheduler-{tag}"),
        schedule_after_ms: 1_000,
        partitions: 2,
        session_timeout_ms: 6_000,
        commit_interval_ms: 200,
        ..KafkaConfig::default()
    };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    };
    let task = |path: &str, not_before_ms: u64| CrawlTask {
        source: "s".into(),
        kind: TaskKind::Listing { page: 0 },
        url: format!("http://h.example:1/{path}"),
        host: "h.example:1".into(),
        depth: 0,
        not_before_ms,
        attempt: 0,
        created_at_ms: now(),
        published_at_ms: None,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (due_now, in_an_hour, in_4_s) = (
        task("now", 0),
        task("hour", now() + 3_600_000),
        task("soon", now() + 4_000),
    );
    let started = Instant::now();
    // The frontier's gauges, as the binary's /metrics would render them.
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .unwrap();
    rt.block_on(async {
        wire::kafka::ensure_topics(&config).await.unwrap();
        let frontier = wire::kafka::KafkaFrontier::new(&config).unwrap();
        frontier
            .push(vec![due_now.clone(), in_an_hour.clone(), in_4_s.clone()])
            .await
            .unwrap();
        let next = || async {
            tokio::time::timeout(Duration::from_secs(120), frontier.next())
                .await
                .expect("a task within 120 s")
                .unwrap()
                .unwrap()
        };
        assert_eq!(next().await, due_now);
        frontier.done(&due_now).await.unwrap();
        let soon = next().await;
        assert_eq!(soon, in_4_s);
        assert!(
            now() >= in_4_s.not_before_ms,
            "handed out before it was due"
        );
        frontier.done(&soon).await.unwrap();
        frontier.commit().unwrap();
        assert_eq!(frontier.scheduled(), 1, "the task due in an hour waits");
        let rendered = metrics.render();
        for line in [
            "leakwatch_crawler_scheduled_tasks 1",
            "leakwatch_crawler_frontier_tasks 0",
        ] {
            assert!(rendered.lines().any(|l| l == line), "{line}: {rendered}");
        }
        frontier.close();
    });
    let (tasks, schedule) = (&config.crawl_tasks_topic, &config.crawl_schedule_topic);
    let urls = |topic: &str| {
        let mut keys = topic_keys(&brokers, topic, Duration::from_secs(3));
        keys.sort();
        keys
    };
    // Keyed by host: one key per message.
    assert_eq!(urls(tasks).len(), 2, "the due task and the moved one");
    assert_eq!(urls(schedule).len(), 2, "the two tasks due later");
    let crawler_lag = group_lag(&brokers, &config.crawler_group, tasks);
    let scheduler_lag = group_lag(&brokers, &config.scheduler_group, schedule);
    eprintln!(
        "crawler lag {crawler_lag}, scheduler lag {scheduler_lag}, after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(crawler_lag, 0, "nothing due is left on {tasks}");
    // At least 1, not exactly 2: tansu 0.6 reports the high watermark of a partition holding
    // one batch of two records as 1.
    assert!(
        scheduler_lag >= 1,
        "the task due in an hour is still unacknowledged on {schedule}"
    );
}
