//! `leakwatch bench-pipeline`: throughput of the pipeline (embedded, and over Kafka when a broker
//! is given) with pages of a given size, and freshness (paste listed → alert stored) through
//! the real crawler polling a demo paste site. Prints figures; asserts nothing.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alerts::SqliteStore;
use anyhow::Context;
use fingerprints::leaks::{self, LeakForm};
use fingerprints::synth;
use wire::{AlertSink, MessageSource, Page, PageSink};

use crate::cmd::demo::{self, Kind, Paste, Site};
use crate::config::Config;
use crate::pipeline::{self, Counters, MatchStage, OnNewAlert, StoreSink};

/// Arguments of `bench-pipeline`.
#[derive(clap::Args)]
pub struct Args {
    /// Pages pushed through the pipeline per throughput run.
    #[arg(long, default_value_t = 20_000)]
    pages: usize,
    /// Size of each page, KiB (text; one page in 50 holds a leak of two residents).
    #[arg(long, default_value_t = 10)]
    page_kib: usize,
    /// Residents in the synthetic register.
    #[arg(long, default_value_t = 10_000)]
    residents: usize,
    /// Matcher workers; default: the number of CPUs.
    #[arg(long)]
    workers: Option<usize>,
    /// Also measure through Kafka at these brokers (topics get a unique suffix).
    #[arg(long)]
    kafka: Option<String>,
    /// Freshness run: leak pastes are published over this many seconds (0: no freshness run).
    #[arg(long, default_value_t = 30)]
    freshness_secs: u64,
    /// The paste source's listing poll interval in the freshness run; default: the source's
    /// default (`paste_api.poll_interval_ms`).
    #[arg(long)]
    poll_interval_ms: Option<u64>,
    /// Freshness run: the demo site lists one new leak paste every this many milliseconds.
    #[arg(long, default_value_t = 2_000)]
    paste_interval_ms: u64,
    /// Freshness run: the crawler's `politeness.min_interval_ms`; default: the crawler's
    /// default (1 s between two requests to one host).
    #[arg(long)]
    min_interval_ms: Option<u64>,
}

/// The freshness run's settings.
struct FreshnessArgs {
    secs: u64,
    paste_interval_ms: u64,
    poll_interval_ms: Option<u64>,
    min_interval_ms: Option<u64>,
}

fn filler_pages(n: usize, kib: usize, residents: &[synth::Resident]) -> Vec<Page> {
    let target = kib * 1024;
    (0..n)
        .map(|i| {
            let mut body = Vec::with_capacity(target + 2048);
            if i % 50 == 0 {
                let form = LeakForm::ALL[(i / 50) % LeakForm::ALL.len()];
                let from = (i / 50 * 2) % (residents.len() - 2);
                body.extend(leaks::render(form, &residents[from..from + 2], i as u64));
                body.push(b'\n');
            }
            let mut k = i;
            while body.len() < target {
                let (_, text) = demo::ORDINARY[k % demo::ORDINARY.len()];
                body.extend_from_slice(format!("#{i}.{k} ").as_bytes());
                body.extend_from_slice(text.as_bytes());
                k += 1;
            }
            body.truncate(target);
            // Keep the body valid UTF-8 after the cut.
            while std::str::from_utf8(&body).is_err() {
                body.pop();
            }
            let mut page = Page::new(
                format!("http://bench.invalid/raw/{i}"),
                "bench".into(),
                pipeline::now_ms(),
                200,
                body,
            );
            page.content_type = Some("text/plain".into());
            page.charset = Some("utf-8".into());
            page
        })
        .collect()
}

async fn feed(
    sink: Arc<dyn PageSink>,
    pages: Arc<Vec<Page>>,
    concurrency: usize,
) -> anyhow::Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (sink, pages, next) = (sink.clone(), pages.clone(), next.clone());
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = pages.get(i) else { break };
                sink.send(p.clone()).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    sink.flush().await?;
    Ok(())
}

fn rate(n: usize, took: Duration) -> String {
    format!(
        "{n} pages in {:.2} s = {:.0} pages/s",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    )
}

async fn embedded(
    stage: Arc<MatchStage>,
    store: Arc<SqliteStore>,
    pages: Arc<Vec<Page>>,
    workers: usize,
) -> anyhow::Result<Duration> {
    let (tx, rx) = wire::channel::<Page>(256);
    let tx = Arc::new(tx);
    let rx: Arc<dyn MessageSource<Page>> = Arc::new(rx);
    let sink: Arc<dyn AlertSink> = Arc::new(StoreSink::new(store, None));
    let counters = Arc::new(Counters::default());
    let matchers = tokio::spawn(pipeline::run_matchers(
        rx.clone(),
        stage,
        sink,
        workers,
        counters,
    ));
    let started = Instant::now();
    feed(tx.clone(), pages, 4 * workers + 16).await?;
    let took = started.elapsed();
    tx.close();
    rx.close();
    matchers.await??;
    Ok(took)
}

async fn over_kafka(
    brokers: &str,
    stage: Arc<MatchStage>,
    store: Arc<SqliteStore>,
    pages: Arc<Vec<Page>>,
    workers: usize,
) -> anyhow::Result<(Duration, Duration)> {
    let tag = pipeline::now_ms();
    let kafka = wire::KafkaConfig {
        brokers: brokers.to_owned(),
        pages_topic: format!("bench-pages-{tag}"),
        alerts_topic: format!("bench-alerts-{tag}"),
        crawl_tasks_topic: format!("bench-crawl-tasks-{tag}"),
        crawl_schedule_topic: format!("bench-crawl-schedule-{tag}"),
        dead_letter_topic: format!("bench-dead-letter-{tag}"),
        matcher_group: format!("bench-matchers-{tag}"),
        store_group: format!("bench-store-{tag}"),
        partitions: 4,
        ..Default::default()
    };
    crate::kafka::prepare(&kafka).await?;
    let n = pages.len() as u64;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let started = Instant::now();
    let source = Arc::new(wire::kafka::KafkaSource::pages(&kafka)?);
    let alert_sink: Arc<dyn AlertSink> = Arc::new(wire::kafka::KafkaAlertSink::new(&kafka)?);
    let counters = Arc::new(Counters::default());
    let dyn_source: Arc<dyn MessageSource<Page>> = source.clone();
    let matchers = tokio::spawn(pipeline::run_matchers(
        dyn_source,
        stage,
        alert_sink,
        workers,
        counters.clone(),
    ));
    let writer = tokio::spawn({
        let (kafka, stop) = (kafka.clone(), stopped());
        async move { crate::kafka::run_store_writer(&kafka, store, false, stop).await }
    });
    let sink: Arc<dyn PageSink> = Arc::new(wire::kafka::KafkaPageSink::new(&kafka)?);
    feed(sink, pages, 256).await?;
    let produced = started.elapsed();
    while counters.pages.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    source.close();
    matchers.await??;
    let _ = stop_tx.send(true);
    writer.await??;
    Ok((produced, took))
}

async fn freshness(
    dir: &Path,
    bundle: &Path,
    key: &Path,
    residents: &[synth::Resident],
    args: FreshnessArgs,
) -> anyhow::Result<()> {
    let FreshnessArgs {
        secs,
        paste_interval_ms,
        ..
    } = args;
    let paste_interval_ms = paste_interval_ms.max(1);
    let n = ((secs * 1000 / paste_interval_ms) as usize)
        .clamp(1, 200)
        .min(residents.len() / 2);
    let pastes: Vec<Paste> = (0..n)
        .map(|i| {
            let form = LeakForm::ALL[i % LeakForm::ALL.len()];
            Paste {
                key: format!("f{i:05}"),
                title: format!("dump {i}"),
                content_type: form.content_type(),
                body: leaks::render(form, &residents[2 * i..2 * i + 2], i as u64),
                kind: Kind::Leak,
                publish_after_ms: i as u64 * paste_interval_ms + 500,
            }
        })
        .collect();
    let published: HashMap<String, u64> = pastes
        .iter()
        .map(|p| (p.key.clone(), p.publish_after_ms))
        .collect();
    let site = Arc::new(Site {
        pastes,
        started: Instant::now(),
    });
    let started = site.started;
    let addr = demo::serve_site(site).await?;
    // Only what the run sets differs from the crawler's defaults.
    let poll = args
        .poll_interval_ms
        .map_or(String::new(), |ms| format!("poll_interval_ms = {ms}"));
    let politeness = args.min_interval_ms.map_or(String::new(), |ms| {
        format!("[politeness]\nmin_interval_ms = {ms}")
    });
    let text = format!(
        r#"
        [crawler]
        state_path = {state}
        {politeness}
        [[source]]
        type = "paste_api"
        id = "fresh"
        listing_url = "http://{addr}/api_scraping.php"
        {poll}
        [matcher]
        bundle_path = {bundle}
        key_file = {key}
        [store]
        path = {store}
        "#,
        state = demo::toml_str(&dir.join("fresh-state.sqlite")),
        bundle = demo::toml_str(bundle),
        key = demo::toml_str(key),
        store = demo::toml_str(&dir.join("fresh-alerts.sqlite")),
    );
    let config = Config::from_toml(&text)?;
    let poll_interval_ms = match config.crawl.sources.first() {
        Some(crawler::sources::SourceConfig::PasteApi(c)) => c.poll_interval_ms,
        _ => anyhow::bail!("the freshness run's source is not a paste_api source"),
    };
    let min_interval_ms = config.crawl.politeness.min_interval_ms;
    let m = config.pipeline.matcher.clone();
    let stage = tokio::task::spawn_blocking(move || {
        let (b, k) = m.paths()?;
        MatchStage::open(
            b,
            k,
            m.scan.clone(),
            m.min_confidence,
            m.passwords_file.as_deref(),
        )
    })
    .await??;
    let store = Arc::new(SqliteStore::open(&dir.join("fresh-alerts.sqlite"))?);
    let latencies: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(false);
    let on_new: OnNewAlert = {
        let latencies = latencies.clone();
        Arc::new(move |a| {
            let Some(key) = a.url.rsplit("i=").next() else {
                return;
            };
            let Some(at) = published.get(key) else {
                return;
            };
            let now = started.elapsed().as_millis() as u64;
            let mut l = latencies.lock().unwrap_or_else(|e| e.into_inner());
            l.entry(key.to_owned()).or_insert(now.saturating_sub(*at));
            if l.len() == n {
                let _ = done_tx.send(true);
            }
        })
    };
    let limit = Duration::from_millis(
        n as u64 * paste_interval_ms + 3 * poll_interval_ms + n as u64 * min_interval_ms + 20_000,
    );
    let stop = async move {
        let _ = tokio::time::timeout(limit, done_rx.wait_for(|d| *d)).await;
    };
    pipeline::run_embedded(config, Arc::new(stage), store, Some(on_new), stop).await?;
    let mut l: Vec<u64> = latencies
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .copied()
        .collect();
    l.sort_unstable();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map_or(0.0, |v| *v as f64 / 1000.0)
    };
    println!(
        "freshness (listed -> alert stored), one paste every {paste_interval_ms} ms, \
         poll_interval_ms = {poll_interval_ms}{}, politeness.min_interval_ms = {min_interval_ms}{}: \
         {} of {n} pastes alerted; p50 {:.2} s, p95 {:.2} s, max {:.2} s",
        if args.poll_interval_ms.is_some() {
            ""
        } else {
            " (default)"
        },
        if args.min_interval_ms.is_some() {
            ""
        } else {
            " (default)"
        },
        l.len(),
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = tempfile::Builder::new()
        .prefix("leakwatch-bench")
        .tempdir()?;
    let residents = synth::residents(args.residents.max(500), 11);
    let (bundle, key) = demo::prepare(dir.path(), &residents)?;
    let stage = Arc::new(MatchStage::open(
        &bundle,
        &key,
        matcher::MatcherConfig::default(),
        wire::Confidence::Low,
        None,
    )?);
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let pages = Arc::new(filler_pages(args.pages, args.page_kib, &residents));
    println!(
        "bench-pipeline: {} pages of {} KiB, {} residents, {workers} matcher workers",
        args.pages,
        args.page_kib,
        residents.len()
    );
    pipeline::block_on(async {
        let store = Arc::new(SqliteStore::open(&dir.path().join("bench-alerts.sqlite"))?);
        // Scan alone, for reference (one thread).
        let one = pages.first().context("no pages")?.clone();
        let t = Instant::now();
        let reps = 200;
        for _ in 0..reps {
            std::hint::black_box(stage.alerts(&one));
        }
        println!(
            "scan only, one thread: {:.0} pages/s",
            reps as f64 / t.elapsed().as_secs_f64()
        );
        let took = embedded(stage.clone(), store.clone(), pages.clone(), workers).await?;
        println!(
            "embedded (channel -> matchers -> SQLite): {}",
            rate(pages.len(), took)
        );
        if let Some(brokers) = &args.kafka {
            let store = Arc::new(SqliteStore::open(&dir.path().join("bench-kafka.sqlite"))?);
            let (produced, took) =
                over_kafka(brokers, stage.clone(), store, pages.clone(), workers).await?;
            println!(
                "kafka produce (pages topic): {}",
                rate(pages.len(), produced)
            );
            println!(
                "kafka (produce -> pages -> matchers -> alerts -> SQLite): {}",
                rate(pages.len(), took)
            );
        }
        if args.freshness_secs > 0 {
            freshness(
                dir.path(),
                &bundle,
                &key,
                &residents,
                FreshnessArgs {
                    secs: args.freshness_secs,
                    paste_interval_ms: args.paste_interval_ms,
                    poll_interval_ms: args.poll_interval_ms,
                    min_interval_ms: args.min_interval_ms,
                },
            )
            .await?;
        }
        anyhow::Ok(())
    })??;
    Ok(ExitCode::SUCCESS)
}
