//! The pipeline's roles over Kafka: the matcher group (`leakwatch match`), the alert store
//! writer (`leakwatch alerts ingest`), and all of them with the crawler in one process
//! (`leakwatch run` with `transport.type = "kafka"`).

use std::sync::Arc;

use alerts::AlertStore;
use anyhow::Context;
use wire::kafka::{KafkaAlertSink, KafkaFrontier, KafkaPageSink, KafkaSource, ensure_topics};
use wire::{Alert, AlertSink, KafkaConfig, MessageSource, Page};

use crate::config::Config;
use crate::pipeline::{self, Counters, MatchStage, StoreSink};

/// Creates missing topics if `create_topics` is set.
pub async fn prepare(kafka: &KafkaConfig) -> anyhow::Result<()> {
    if kafka.create_topics {
        ensure_topics(kafka)
            .await
            .with_context(|| format!("transport.brokers {}", kafka.brokers))?;
    }
    Ok(())
}

/// The crawler over Kafka until `stop`: pages to the pages topic and, unless `crawler.once`,
/// tasks from and to the crawl-tasks topic shared by every replica in `crawler_group` (a
/// `once` pass is this process's alone: it needs a frontier that can be finished).
pub async fn run_crawler(
    config: crawler::CrawlConfig,
    kafka: &KafkaConfig,
    sink: Arc<dyn wire::PageSink>,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<crawler::StatsSnapshot> {
    if config.crawler.once {
        let crawler = crawler::Crawler::new(config, sink)?;
        return Ok(crawler.run_until(stop).await?);
    }
    let frontier = Arc::new(KafkaFrontier::new(kafka)?);
    let crawler = crawler::Crawler::with_frontier(config, sink, frontier.clone())?;
    let crawled = crawler.run_until(stop).await;
    let commit = frontier.commit();
    let stats = crawled?;
    commit.context("crawl frontier")?;
    Ok(stats)
}

/// Matchers in the `matcher_group` consumer group: pages topic → alerts topic, until `stop`.
pub async fn run_matchers(
    kafka: &KafkaConfig,
    stage: Arc<MatchStage>,
    workers: usize,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let source = Arc::new(KafkaSource::pages(kafka)?);
    let sink: Arc<dyn AlertSink> = Arc::new(KafkaAlertSink::new(kafka)?);
    let counters = Arc::new(Counters::default());
    let dyn_source: Arc<dyn MessageSource<Page>> = source.clone();
    let work = tokio::spawn(pipeline::run_matchers(
        dyn_source,
        stage,
        sink,
        workers,
        counters.clone(),
    ));
    let result = until_stopped(&source, work, stop).await;
    eprintln!(
        "matcher: {} pages, {} alerts produced",
        counters.pages.load(std::sync::atomic::Ordering::Relaxed),
        counters.alerts.load(std::sync::atomic::Ordering::Relaxed)
    );
    result.context("matcher workers")
}

/// Waits for a consumer's `work` to end, or for `stop` (then closes the source and lets the
/// work drain); commits the acknowledged offsets either way. The work's error comes first.
async fn until_stopped<T: Send + 'static>(
    source: &KafkaSource<T>,
    mut work: tokio::task::JoinHandle<anyhow::Result<()>>,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let result = tokio::select! {
        r = &mut work => r,
        () = stop => {
            source.close();
            work.await
        }
    };
    let commit = source.commit();
    result??;
    commit?;
    Ok(())
}

/// The alert store writer in the `store_group` consumer group: alerts topic → the alert store.
pub async fn run_store_writer(
    kafka: &KafkaConfig,
    store: Arc<dyn AlertStore>,
    print_new: bool,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let source = Arc::new(KafkaSource::alerts(kafka)?);
    let on_new: Option<pipeline::OnNewAlert> = if print_new {
        Some(Arc::new(|a: &Alert| {
            println!("{}", pipeline::alert_line(a))
        }))
    } else {
        None
    };
    let sink: Arc<dyn AlertSink> = Arc::new(StoreSink::new(store, on_new));
    let counters = Arc::new(Counters::default());
    let dyn_source: Arc<dyn MessageSource<Alert>> = source.clone();
    let work = tokio::spawn(pipeline::run_store_writer(
        dyn_source,
        sink,
        counters.clone(),
    ));
    until_stopped(&source, work, stop)
        .await
        .context("alert store writer")
}

/// Crawler, matchers and store writer in one process, talking over Kafka, until a signal.
pub async fn run_all(
    config: Config,
    kafka: KafkaConfig,
    stage: Arc<MatchStage>,
    store: Arc<dyn AlertStore>,
) -> anyhow::Result<()> {
    prepare(&kafka).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let matchers = tokio::spawn({
        let (kafka, stop) = (kafka.clone(), stopped());
        let workers = config.pipeline.matcher.workers;
        async move { run_matchers(&kafka, stage, workers, stop).await }
    });
    let writer = tokio::spawn({
        let (kafka, stop) = (kafka.clone(), stopped());
        async move { run_store_writer(&kafka, store, true, stop).await }
    });
    let sink = Arc::new(KafkaPageSink::new(&kafka)?);
    let once = config.crawl.crawler.once;
    let crawled = run_crawler(config.crawl, &kafka, sink, pipeline::shutdown_signal()).await;
    if crawled.is_ok() && once {
        // `crawler.once`: the crawl is over, but matching continues until a signal.
        pipeline::shutdown_signal().await;
    }
    let _ = stop_tx.send(true);
    let m = matchers.await.context("matchers")?;
    let w = writer.await.context("store writer")?;
    crawled?;
    m?;
    w?;
    Ok(())
}
