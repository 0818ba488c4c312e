//! `leakwatch alerts ...`: the alert store's processes (the alerts issue adds `serve`, `query`,
//! `export-refs`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use alerts::SqliteStore;
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
    let path = &config.pipeline.store.path;
    let store = Arc::new(
        SqliteStore::open(path).with_context(|| format!("store.path {}", path.display()))?,
    );
    eprintln!(
        "alerts ingest: group {}, topic {} -> {}",
        kafka.store_group,
        kafka.alerts_topic,
        path.display()
    );
    pipeline::block_on(async {
        crate::kafka::prepare(kafka).await?;
        crate::kafka::run_store_writer(kafka, store, !args.quiet, pipeline::shutdown_signal()).await
    })??;
    Ok(ExitCode::SUCCESS)
}
