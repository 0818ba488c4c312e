//! `leakwatch match`: a matcher process in the Kafka consumer group (pages → alerts).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::{Config, TransportConfig};
use crate::pipeline::{self, MatchStage};

/// Arguments of `match`.
#[derive(clap::Args)]
pub struct Args {
    /// Configuration (`leakwatch.toml` with `transport.type = "kafka"`).
    #[arg(long)]
    config: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let TransportConfig::Kafka(kafka) = &config.pipeline.transport else {
        anyhow::bail!(
            "transport.type: `leakwatch match` reads pages from Kafka; with the embedded \
             transport use `leakwatch run`"
        );
    };
    let m = &config.pipeline.matcher;
    let (bundle, key) = m.paths()?;
    let stage = Arc::new(MatchStage::open(
        bundle,
        key,
        m.scan.clone(),
        m.min_confidence,
        m.passwords_file.as_deref(),
    )?);
    eprintln!(
        "matcher: bundle {}, group {}, topic {} -> {}",
        stage.bundle_id(),
        kafka.matcher_group,
        kafka.pages_topic,
        kafka.alerts_topic
    );
    pipeline::block_on(async {
        // `[ops] listen`: /metrics, /healthz, and /readyz once the topics are prepared.
        let ready = super::serve::start_ops(&config.pipeline.ops).await?;
        crate::kafka::prepare(kafka).await?;
        ready.store(true, std::sync::atomic::Ordering::Relaxed);
        crate::kafka::run_matchers(kafka, stage, m.workers, pipeline::shutdown_signal()).await
    })??;
    Ok(ExitCode::SUCCESS)
}
