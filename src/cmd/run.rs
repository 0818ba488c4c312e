//! `leakwatch run`: the whole pipeline in one process — embedded (channels and the alert store), or
//! every role at once against Kafka.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use super::serve::{ApiServer, start_webhooks};
use crate::config::{Config, TransportConfig};
use crate::pipeline::{self, MatchStage, OnNewAlert};

/// Arguments of `run`.
#[derive(clap::Args)]
pub struct Args {
    /// Configuration (`leakwatch.toml`; see the README's "Pipeline" section).
    #[arg(long)]
    config: PathBuf,
    /// Crawl every source once, process what was found, print a JSON summary and exit
    /// (embedded transport only).
    #[arg(long)]
    once: bool,
    /// Only check the configuration, then exit.
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(&args.config)?;
    if args.once {
        config.crawl.crawler.once = true;
    }
    let (bundle, key) = config.pipeline.matcher.paths()?;
    if args.check {
        eprintln!(
            "{}: configuration is valid ({} sources)",
            args.config.display(),
            config.crawl.sources.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let m = &config.pipeline.matcher;
    let stage = Arc::new(MatchStage::open(
        bundle,
        key,
        m.scan.clone(),
        m.min_confidence,
        m.passwords_file.as_deref(),
    )?);
    let store = alerts::open(&config.pipeline.store)
        .with_context(|| format!("store: {}", config.pipeline.store.describe()))?;
    // Retention: purges now and every store.purge_interval_s until this returns.
    let _purge = alerts::spawn_purge(store.clone(), &config.pipeline.store);
    match config.pipeline.transport.clone() {
        TransportConfig::Embedded { .. } => {
            let once = config.crawl.crawler.once;
            let api_config = config.pipeline.api.clone();
            let report = pipeline::block_on(async move {
                // The alerts API, live feed and dashboard, unless this is a --once pass.
                let server = if once {
                    None
                } else {
                    Some(ApiServer::start(store.clone(), &api_config, false).await?)
                };
                let notify = server.as_ref().map_or_else(
                    || Arc::new(tokio::sync::Notify::new()),
                    |s| s.notify.clone(),
                );
                let webhooks = start_webhooks(&config, store.clone(), notify.clone())?;
                let printer: OnNewAlert = Arc::new(move |a| {
                    let line = pipeline::alert_line(a);
                    if once {
                        eprintln!("{line}");
                    } else {
                        println!("{line}");
                    }
                    // Live feeds and webhooks send it now rather than at their next poll.
                    notify.notify_waiters();
                });
                let report = pipeline::run_embedded(
                    config,
                    stage,
                    store,
                    Some(printer),
                    pipeline::shutdown_signal(),
                )
                .await;
                if once {
                    // A one-shot run delivers what it found before it exits (bounded).
                    webhooks.drain(std::time::Duration::from_secs(30)).await;
                }
                drop(webhooks);
                if let Some(server) = server {
                    server.stop().await?;
                }
                report
            })??;
            if once {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                eprintln!("{}", serde_json::to_string(&report)?);
            }
        }
        TransportConfig::Kafka(kafka) => {
            if args.once {
                anyhow::bail!("--once: needs transport.type = \"embedded\"");
            }
            let api_config = config.pipeline.api.clone();
            pipeline::block_on(async move {
                // The API's live feed finds the alerts the store writer stores by polling.
                let server = ApiServer::start(store.clone(), &api_config, false).await?;
                let _webhooks = start_webhooks(&config, store.clone(), server.notify.clone())?;
                let ran = crate::kafka::run_all(config, *kafka, stage, store).await;
                server.stop().await?;
                ran
            })??;
        }
    }
    Ok(ExitCode::SUCCESS)
}
