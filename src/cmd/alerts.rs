//! `leakwatch alerts ...`: the alert store's processes (the alerts issue adds `serve`, `query`,
//! `export-refs`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::{Config, TransportConfig};
use crate::pipeline;

/// `alerts` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Store alerts from the Kafka alerts topic into the SQLite store (idempotent upserts; an
    /// offset is committed only after its alert is stored).
    Ingest(IngestArgs),
}

/// Arguments of `alerts ingest`.
#[derive(clap::Args)]
pub struct IngestArgs {
    /// Configuration (`leakwatch.toml` with `transport.type = "kafka"`).
    #[arg(long)]
    config: PathBuf,
    /// Do not print new alerts (refs and URLs only) on stdout.
    #[arg(long)]
    quiet: bool,
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Ingest(args) => ingest(args),
    }
}

fn ingest(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let TransportConfig::Kafka(kafka) = &config.pipeline.transport else {
        anyhow::bail!(
            "transport.type: `leakwatch alerts ingest` reads the Kafka alerts topic; with the \
             embedded transport `leakwatch run` stores alerts itself"
        );
    };
    let store = alerts::open(&config.pipeline.store)
        .with_context(|| format!("store: {}", config.pipeline.store.describe()))?;
    let _purge = alerts::spawn_purge(store.clone(), &config.pipeline.store);
    eprintln!(
        "alerts ingest: group {}, topic {} -> {}",
        kafka.store_group,
        kafka.alerts_topic,
        config.pipeline.store.describe()
    );
    pipeline::block_on(async {
        crate::kafka::prepare(kafka).await?;
        crate::kafka::run_store_writer(kafka, store, !args.quiet, pipeline::shutdown_signal()).await
    })??;
    Ok(ExitCode::SUCCESS)
}
