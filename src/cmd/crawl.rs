//! `leakwatch crawl`: runs the crawler on its own, its sink chosen by the config's `[sink]`.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use crawler::config::SinkConfig;
use crawler::{CrawlConfig, Crawler, StatsSnapshot};
use wire::{JsonlSink, PageSink};

/// Arguments of `crawl`.
#[derive(clap::Args)]
pub struct Args {
    /// Crawl configuration (TOML; see the README's "Crawler" section), or the whole
    /// `leakwatch.toml`: with `transport.type = "kafka"` pages go to the pages topic.
    #[arg(long)]
    config: PathBuf,
    /// Crawl every source once and exit (the same as `crawler.once = true`). With Kafka, the
    /// pass uses this process's own frontier (not the shared crawl-tasks topic) and its pages go
    /// to the pages topic.
    #[arg(long)]
    once: bool,
    /// Only check the configuration, then exit.
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let full = crate::config::Config::load(&args.config)?;
    let ops = full.pipeline.ops.clone();
    let kafka = match full.pipeline.transport {
        crate::config::TransportConfig::Kafka(k) => Some(k),
        crate::config::TransportConfig::Embedded { .. } => None,
    };
    let mut config: CrawlConfig = full.crawl;
    if args.once {
        config.crawler.once = true;
    }
    if args.check {
        eprintln!(
            "{}: configuration is valid ({} sources)",
            args.config.display(),
            config.sources.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let sink: Arc<dyn PageSink> = match (&kafka, &config.sink) {
        (Some(k), _) => Arc::new(wire::kafka::KafkaPageSink::new(k)?),
        (None, SinkConfig::Jsonl { path: None }) => {
            Arc::new(JsonlSink::new(Box::new(std::io::stdout())))
        }
        (None, SinkConfig::Jsonl { path: Some(path) }) => {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening sink file {}", path.display()))?;
            Arc::new(JsonlSink::new(Box::new(file)))
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let stats = runtime.block_on(async {
        // `[ops] listen`: /metrics, /healthz, and /readyz once the topics are prepared.
        let ready = super::serve::start_ops(&ops).await?;
        if let Some(k) = &kafka {
            crate::kafka::prepare(k).await?;
        }
        ready.store(true, std::sync::atomic::Ordering::Relaxed);
        match &kafka {
            // Replicas share the crawl-tasks frontier (a `--once` pass keeps its own).
            Some(k) => {
                crate::kafka::run_crawler(config, k, sink, crate::pipeline::shutdown_signal()).await
            }
            None => {
                let crawler = Crawler::new(config, sink)?;
                anyhow::Ok(
                    crawler
                        .run_until(crate::pipeline::shutdown_signal())
                        .await?,
                )
            }
        }
    })?;
    summary(&stats);
    Ok(ExitCode::SUCCESS)
}

/// One line per source on stderr: emitted, fetched, skips by reason, errors by kind.
fn summary(stats: &StatsSnapshot) {
    let mut sources: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (source, n) in &stats.emitted {
        sources
            .entry(source)
            .or_default()
            .push(format!("{n} emitted"));
    }
    for (source, n) in &stats.fetched {
        sources
            .entry(source)
            .or_default()
            .push(format!("{n} fetched"));
    }
    for ((source, reason), n) in &stats.skipped {
        sources
            .entry(source)
            .or_default()
            .push(format!("{n} skipped ({})", reason.as_str()));
    }
    for ((source, kind), n) in &stats.errors {
        sources
            .entry(source)
            .or_default()
            .push(format!("{n} errors ({kind})"));
    }
    for (source, parts) in sources {
        eprintln!("{source}: {}", parts.join(", "));
    }
}
