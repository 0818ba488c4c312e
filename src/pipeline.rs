//! The pipeline: crawler → pages transport → matcher workers → alert sink → store.
//!
//! Whatever the transport, the matcher side is the same loop ([`run_matchers`]): take a page
//! from a [`MessageSource`], scan it on the blocking pool (scanning is CPU-bound), hand its
//! alerts to an [`AlertSink`] (the store, or the alerts topic), and only then acknowledge the
//! page. [`run_store_writer`] is the same loop from the alerts topic into the store.
//!
//! Metrics (through the `metrics` facade): `leakwatch_matcher_pages_total`,
//! `leakwatch_matcher_bytes_total`, `leakwatch_matcher_alerts_total{confidence}`,
//! `leakwatch_matcher_scan_seconds`, `leakwatch_matcher_stage_seconds{stage}` (where a page's
//! scan time went: decode, html, fold, candidates, walk, corroborate),
//! `leakwatch_pipeline_page_age_seconds` (fetch to acknowledgement),
//! `leakwatch_alert_store_new_total`; `wire` adds `leakwatch_dead_letters_total{topic}`.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alerts::AlertStore;
use anyhow::Context;
use fingerprints::SecretKey;
use matcher::{Document, Matcher, MatcherConfig, StageTimes};
use serde::Serialize;
use tokio::task::JoinSet;
use wire::{Alert, AlertSink, AlertSpan, BoxFuture, Confidence, MessageSource, Page, SinkError};

/// Turns a page into alerts (the CPU-bound step).
pub struct MatchStage {
    matcher: Matcher,
    bundle_id: String,
    min_confidence: Confidence,
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The passwords of `file` (one a line), for encrypted archives; the error names the file, never
/// its content.
pub fn read_passwords(file: &Path) -> anyhow::Result<matcher::Passwords> {
    matcher::Passwords::read(file).with_context(|| format!("reading passwords {}", file.display()))
}

impl MatchStage {
    /// Opens the bundle with its key, and reads the passwords to try on encrypted archives
    /// if a file of them is given (blocking: call from a blocking context).
    pub fn open(
        bundle: &Path,
        key_file: &Path,
        config: MatcherConfig,
        min_confidence: Confidence,
        passwords_file: Option<&Path>,
    ) -> anyhow::Result<MatchStage> {
        let key = SecretKey::read(key_file)?;
        let mut matcher = Matcher::open(bundle, &key, config)
            .with_context(|| format!("opening bundle {}", bundle.display()))?;
        if let Some(file) = passwords_file {
            matcher = matcher.with_passwords(read_passwords(file)?);
        }
        Ok(MatchStage::new(matcher, min_confidence))
    }

    /// A stage around a loaded matcher.
    pub fn new(matcher: Matcher, min_confidence: Confidence) -> MatchStage {
        let bundle_id = matcher.bundle().meta().bundle_id.clone();
        // Findings below the minimum raise no alert, so the matcher need not build them.
        let matcher = matcher.with_min_confidence(min_confidence);
        MatchStage {
            matcher,
            bundle_id,
            min_confidence,
        }
    }

    /// The bundle id alerts carry.
    pub fn bundle_id(&self) -> &str {
        &self.bundle_id
    }

    /// Scans one page; one alert per record found at or above the minimum confidence.
    pub fn alerts(&self, page: &Page) -> Vec<Alert> {
        let doc = Document::new(&page.body)
            .with_charset(page.charset.as_deref())
            .with_content_type(page.content_type.as_deref());
        let mut times = StageTimes::default();
        let report = self.matcher.scan_timed(&doc, &mut times);
        record_stage_times(&times);
        if report.locked > 0 {
            // Encrypted files no password opened: a page that raised no alert may still hold
            // residents there.
            metrics::counter!("leakwatch_matcher_locked_files_total")
                .increment(u64::from(report.locked));
        }
        let page_records = report.records;
        let detected_at_ms = now_ms();
        report
            .findings
            .iter()
            .filter(|f| f.confidence >= self.min_confidence)
            .map(|f| {
                let record = f.record.to_string();
                Alert {
                    v: wire::ALERT_VERSION,
                    id: wire::alert_id(&page.body_hash, &self.bundle_id, &record),
                    source: page.source.clone(),
                    url: page.url.clone(),
                    page_hash: page.body_hash.clone(),
                    fetched_at_ms: page.fetched_at_ms,
                    detected_at_ms,
                    bundle_id: self.bundle_id.clone(),
                    record,
                    confidence: f.confidence,
                    fields: f.fields.iter().map(|k| k.as_str().to_owned()).collect(),
                    spans: f
                        .spans
                        .iter()
                        .map(|s| AlertSpan {
                            start: s.start as u64,
                            end: s.end as u64,
                            kind: s.kind.as_str().to_owned(),
                        })
                        .collect(),
                    occurrences: f.occurrences,
                    page_records,
                }
            })
            .collect()
    }
}

/// Records where one page's scan time went, as `leakwatch_matcher_stage_seconds{stage}`: an
/// operator sees from `_sum` by stage whether decoding, HTML, folding or which matching pass
/// takes a matcher's CPU (the same stages as `leakwatch scan --stats`).
fn record_stage_times(t: &StageTimes) {
    for (stage, took) in t.stages() {
        metrics::histogram!("leakwatch_matcher_stage_seconds", "stage" => stage)
            .record(took.as_secs_f64());
    }
}

/// Counters of a pipeline run (what the demo summary and the benchmark print).
#[derive(Debug, Default)]
pub struct Counters {
    /// Pages scanned and acknowledged.
    pub pages: AtomicU64,
    /// Alerts handed to the sink (including redeliveries).
    pub alerts: AtomicU64,
    /// Page bytes scanned.
    pub bytes: AtomicU64,
}

/// Called with every alert the store did not have yet (prints them in the demo).
pub type OnNewAlert = Arc<dyn Fn(&Alert) + Send + Sync>;

/// The store as an [`AlertSink`]: upserts on the blocking pool.
pub struct StoreSink {
    store: Arc<dyn AlertStore>,
    on_new: Option<OnNewAlert>,
}

impl StoreSink {
    pub fn new(store: Arc<dyn AlertStore>, on_new: Option<OnNewAlert>) -> StoreSink {
        StoreSink { store, on_new }
    }
}

impl AlertSink for StoreSink {
    fn send(&self, alerts: Vec<Alert>) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            if alerts.is_empty() {
                return Ok(());
            }
            let store = self.store.clone();
            let on_new = self.on_new.clone();
            tokio::task::spawn_blocking(move || {
                let done = store
                    .upsert(&alerts)
                    .map_err(|e| SinkError::Transport(e.to_string()))?;
                metrics::counter!("leakwatch_alert_store_new_total")
                    .increment(done.inserted as u64);
                if let Some(f) = on_new {
                    for &i in &done.new_alerts {
                        f(&alerts[i]);
                    }
                }
                Ok(())
            })
            .await
            .map_err(|e| SinkError::Transport(format!("alert store task: {e}")))?
        })
    }
}

/// Hands `alerts` on, retrying transient failures with backoff (a full store, a broker away)
/// until `give_up` says so. A page is acknowledged only after this succeeded.
async fn send_with_retry(sink: &dyn AlertSink, alerts: Vec<Alert>) -> anyhow::Result<()> {
    let mut delay = Duration::from_millis(100);
    loop {
        match sink.send(alerts.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == wire::ErrorKind::Retry => {
                eprintln!("alert sink: {e}; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Runs `workers` matcher loops over `source` until it is finished (closed, or its senders are
/// gone); returns the first fatal error.
pub async fn run_matchers(
    source: Arc<dyn MessageSource<Page>>,
    stage: Arc<MatchStage>,
    sink: Arc<dyn AlertSink>,
    workers: usize,
    counters: Arc<Counters>,
) -> anyhow::Result<()> {
    let mut set = JoinSet::new();
    for _ in 0..workers.max(1) {
        let (source, stage, sink, counters) = (
            source.clone(),
            stage.clone(),
            sink.clone(),
            counters.clone(),
        );
        set.spawn(async move {
            while let Some(d) = source.next().await? {
                let page = d.item;
                let bytes = page.body.len() as u64;
                let fetched_at_ms = page.fetched_at_ms;
                let stage = stage.clone();
                let (alerts, took) = tokio::task::spawn_blocking(move || {
                    let started = std::time::Instant::now();
                    (stage.alerts(&page), started.elapsed())
                })
                .await
                .context("matcher task")?;
                let n = alerts.len() as u64;
                metrics::histogram!("leakwatch_matcher_scan_seconds").record(took.as_secs_f64());
                for a in &alerts {
                    metrics::counter!("leakwatch_matcher_alerts_total", "confidence" => a.confidence.as_str())
                        .increment(1);
                }
                send_with_retry(sink.as_ref(), alerts).await?;
                source.ack(d.ack).await?;
                metrics::counter!("leakwatch_matcher_pages_total").increment(1);
                metrics::counter!("leakwatch_matcher_bytes_total").increment(bytes);
                metrics::histogram!("leakwatch_pipeline_page_age_seconds")
                    .record(now_ms().saturating_sub(fetched_at_ms) as f64 / 1000.0);
                counters.pages.fetch_add(1, Ordering::Relaxed);
                counters.bytes.fetch_add(bytes, Ordering::Relaxed);
                counters.alerts.fetch_add(n, Ordering::Relaxed);
            }
            anyhow::Ok(())
        });
    }
    join_all(set, source.as_ref()).await
}

/// Moves alerts from `source` (the alerts topic) into `sink` (the store), acknowledging each
/// after it is stored.
pub async fn run_store_writer(
    source: Arc<dyn MessageSource<Alert>>,
    sink: Arc<dyn AlertSink>,
    counters: Arc<Counters>,
) -> anyhow::Result<()> {
    while let Some(d) = source.next().await? {
        send_with_retry(sink.as_ref(), vec![d.item]).await?;
        source.ack(d.ack).await?;
        counters.alerts.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

async fn join_all<T>(
    mut set: JoinSet<anyhow::Result<()>>,
    source: &dyn MessageSource<T>,
) -> anyhow::Result<()> {
    let mut result = Ok(());
    while let Some(joined) = set.join_next().await {
        let r = joined.context("matcher worker").and_then(|r| r);
        if let Err(e) = r {
            source.close();
            if result.is_ok() {
                result = Err(e);
            }
        }
    }
    result
}

/// What the store holds, for summaries: alerts by confidence and distinct records.
#[derive(Debug, Default, Serialize)]
pub struct StoreSummary {
    /// Alerts stored.
    pub total: u64,
    /// By confidence.
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    /// Distinct record references among them.
    pub affected_records: u64,
}

pub fn store_summary(store: &dyn AlertStore) -> anyhow::Result<StoreSummary> {
    let stats = store.stats(None)?;
    let c = stats.by_confidence;
    Ok(StoreSummary {
        total: stats.total,
        high: c.high,
        medium: c.medium,
        low: c.low,
        affected_records: stats.distinct_records,
    })
}

/// One line per alert, refs and URL only: `alert high r0123… birth_date,name,phone <url>`.
pub fn alert_line(a: &Alert) -> String {
    format!(
        "alert {:<6} {} {:<40} {} {}",
        a.confidence.as_str(),
        a.record,
        a.fields.join(","),
        a.source,
        a.url
    )
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Runs a future to completion on a fresh multi-threaded runtime.
pub fn block_on<F: Future>(f: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(f))
}

/// What an embedded run did.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// Pages scanned.
    pub pages: u64,
    /// Alerts in the store (all of them, not only this run's).
    pub alerts: StoreSummary,
}

/// Crawler, matchers and store in one process over a bounded in-process channel, until the
/// crawler finishes (`crawler.once`) or `stop` completes.
pub async fn run_embedded(
    config: crate::config::Config,
    stage: Arc<MatchStage>,
    store: Arc<dyn AlertStore>,
    on_new: Option<OnNewAlert>,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<RunReport> {
    let capacity = match config.pipeline.transport {
        crate::config::TransportConfig::Embedded { channel_capacity } => channel_capacity,
        crate::config::TransportConfig::Kafka(_) => {
            anyhow::bail!("transport.type: run_embedded needs the embedded transport")
        }
    };
    let (tx, rx) = wire::channel::<Page>(capacity);
    let tx = Arc::new(tx);
    let rx: Arc<dyn MessageSource<Page>> = Arc::new(rx);
    let counters = Arc::new(Counters::default());
    let sink: Arc<dyn AlertSink> = Arc::new(StoreSink::new(store.clone(), on_new));
    let mut matchers = tokio::spawn(run_matchers(
        rx.clone(),
        stage,
        sink,
        config.pipeline.matcher.workers,
        counters.clone(),
    ));
    let crawler = crawler::Crawler::new(config.crawl, tx.clone())?;
    // Every send waits for its page's acknowledgement, so when the crawler returns, every page
    // it emitted is stored.
    let crawl = crawler.run_until(stop);
    tokio::pin!(crawl);
    tokio::select! {
        crawled = &mut crawl => {
            tx.close();
            rx.close();
            let matched = matchers.await.context("matcher workers")?;
            crawled?;
            matched?;
        }
        matched = &mut matchers => {
            // The matchers stopped first: only a fatal error does that. Stop crawling (the
            // crawler's sends in flight fail, and their pages stay unmarked).
            tx.close();
            rx.close();
            matched.context("matcher workers")??;
            anyhow::bail!("the matcher workers stopped before the crawler");
        }
    }
    let summary = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store_summary(&*store))
            .await
            .context("store summary")??
    };
    Ok(RunReport {
        pages: counters.pages.load(Ordering::Relaxed),
        alerts: summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fingerprints::{BundleBuilder, synth};

    /// A page scanned by the stage reports each matcher stage's time, and only stage names and
    /// durations: nothing of the page.
    #[test]
    fn a_scan_records_its_stage_times() {
        let residents = synth::residents(50, 3);
        let mut b = BundleBuilder::new(&SecretKey::from_bytes([5; 32]));
        b.add_rows(synth::register_rows(&residents));
        let (bundle, _) = b.finish().expect("bundle");
        let matcher = Matcher::new(bundle, MatcherConfig::default()).expect("matcher");
        let stage = MatchStage::new(matcher, Confidence::Medium);
        let r = &residents[7];
        let body = format!(
            "<html><body><table><tr><td>{}</td><td>{}</td><td>{}</td></tr></table></body></html>",
            r.name(),
            r.birth_date_iso(),
            r.phone_dashed()
        );
        let mut page = Page::new(
            "http://paste.test/1".into(),
            "test".into(),
            now_ms(),
            200,
            body.into_bytes(),
        );
        page.content_type = Some("text/html".into());
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let alerts = metrics::with_local_recorder(&recorder, || stage.alerts(&page));
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let text = handle.render();
        for (s, _) in StageTimes::default().stages() {
            let want = format!("leakwatch_matcher_stage_seconds_count{{stage=\"{s}\"}} 1");
            assert!(text.contains(&want), "{want} not in\n{text}");
        }
        for value in [r.name(), r.phone.clone(), r.birth_date_iso()] {
            assert!(!text.contains(&value), "{text}");
        }
    }
}
