//! `leakwatch alerts serve`: the alerts API, live feed and dashboard on `api.listen`; with
//! `transport.type = "kafka"` also the alert store writer (what `alerts ingest` does), so one
//! process stores and serves. Also the pieces `run` and `demo` use to serve the same API next to
//! their pipeline, and the `[ops]` endpoint of `crawl` and `match`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use alerts::AlertStore;
use alerts::api::{Api, ApiConfig, OpsConfig};
use anyhow::Context;
use tokio::sync::Notify;

use crate::config::{Config, TransportConfig};
use crate::pipeline;

/// Arguments of `alerts serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Configuration (`leakwatch.toml`: `[api]`, `[store]`, and `[transport]` for Kafka).
    #[arg(long)]
    config: PathBuf,
    /// With Kafka: do not print new alerts (refs and URLs only) on stdout.
    #[arg(long)]
    quiet: bool,
}

/// The API served on a spawned task, until [`ApiServer::stop`].
pub struct ApiServer {
    /// The address bound.
    pub addr: SocketAddr,
    /// Poke after storing new alerts: live feeds ask the store at once.
    pub notify: Arc<Notify>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), alerts::api::Error>>,
}

impl ApiServer {
    /// Binds `config.listen` (or, with `free_port_fallback` and the address busy, a free port on
    /// the same IP) and serves the API on a task of the current runtime.
    pub async fn start(
        store: Arc<dyn AlertStore>,
        config: &ApiConfig,
        free_port_fallback: bool,
    ) -> anyhow::Result<ApiServer> {
        alerts::api::install_metrics_recorder();
        let api = Api::new(store, config)?;
        let bound = match api.bind().await {
            Ok(b) => b,
            Err(alerts::api::Error::Bind { addr, source, .. })
                if free_port_fallback && source.kind() == std::io::ErrorKind::AddrInUse =>
            {
                api.bind_addr(SocketAddr::new(addr.ip(), 0)).await?
            }
            Err(e) => return Err(e.into()),
        };
        let addr = bound.local_addr();
        let notify = api.notifier();
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            api.serve(bound, async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
        });
        Ok(ApiServer {
            addr,
            notify,
            stop,
            task,
        })
    }

    /// Stops serving (requests in flight finish, live feeds end) and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await.context("alerts api task")??;
        Ok(())
    }
}

/// `alerts serve`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let store = alerts::open(&config.pipeline.store)
        .with_context(|| format!("store: {}", config.pipeline.store.describe()))?;
    let kafka = match &config.pipeline.transport {
        TransportConfig::Kafka(k) => Some(k.clone()),
        TransportConfig::Embedded { .. } => None,
    };
    // With Kafka this process stores alerts, so it purges them too (as `alerts ingest` does);
    // with the embedded transport `leakwatch run` does.
    let _purge = kafka
        .as_ref()
        .map(|_| alerts::spawn_purge(store.clone(), &config.pipeline.store));
    pipeline::block_on(async move {
        let server = ApiServer::start(store.clone(), &config.pipeline.api, false).await?;
        match &kafka {
            Some(k) => {
                // This process stores alerts, so it notifies webhooks too.
                let _webhooks = start_webhooks(&config, store.clone(), server.notify.clone())?;
                eprintln!(
                    "alerts serve: also storing alerts from topic {} (group {}) into {}",
                    k.alerts_topic,
                    k.store_group,
                    config.pipeline.store.describe()
                );
                // New alerts reach the live feed by its poll of the store.
                let written = async {
                    crate::kafka::prepare(k).await?;
                    crate::kafka::run_store_writer(
                        k,
                        store,
                        !args.quiet,
                        pipeline::shutdown_signal(),
                    )
                    .await
                }
                .await;
                server.stop().await.and(written)
            }
            None => {
                pipeline::shutdown_signal().await;
                server.stop().await
            }
        }
    })??;
    Ok(ExitCode::SUCCESS)
}

/// Starts the `[ops]` endpoint if `ops.listen` is set: `/readyz` answers 200 once the returned
/// flag is set. Call inside a runtime.
pub async fn start_ops(ops: &OpsConfig) -> anyhow::Result<Arc<AtomicBool>> {
    let ready = Arc::new(AtomicBool::new(false));
    if let Some(addr) = ops.listen_addr()? {
        let local =
            alerts::api::serve_ops(addr, ready.clone(), pipeline::shutdown_signal()).await?;
        eprintln!("ops: /metrics, /healthz, /readyz on http://{local}/");
    }
    Ok(ready)
}

/// The `[[webhook]]` deliverers of this process, stopped on drop (which gives up their leases).
/// Each deliverer writes its cursor after every notification: stopping one loses nothing (at
/// most the POST in flight is sent again after a restart).
pub struct Webhooks {
    running: alerts::webhook::Running,
    store: Arc<dyn AlertStore>,
}

impl Webhooks {
    /// Waits (at most `timeout`) until every webhook's cursor has passed every stored alert:
    /// for `run --once`, so a one-shot run delivers what it found before it exits. What is not
    /// delivered by then is delivered by the next run (the cursors are durable).
    pub async fn drain(&self, timeout: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        for name in self.running.webhooks() {
            loop {
                let (store, n) = (self.store.clone(), name.clone());
                let pending = tokio::task::spawn_blocking(move || {
                    let cursor = store.webhook_cursor(&n)?.unwrap_or(0);
                    Ok::<_, alerts::Error>(!store.after_seq(cursor, 1)?.is_empty())
                })
                .await;
                if !matches!(pending, Ok(Ok(true))) {
                    break;
                }
                if tokio::time::Instant::now() >= deadline {
                    eprintln!(
                        "webhook {name}: not everything delivered before exit; the next run \
                         delivers the rest"
                    );
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// Starts one deliverer per configured webhook on the current runtime (call inside it). They
/// read new alerts from `store` after their durable cursor: poke `wake` after storing alerts in
/// this process; alerts stored elsewhere are found by polling (`poll_ms`).
pub fn start_webhooks(
    config: &Config,
    store: Arc<dyn AlertStore>,
    wake: Arc<Notify>,
) -> anyhow::Result<Webhooks> {
    let hooks = &config.pipeline.webhooks;
    let running = alerts::webhook::spawn_all(hooks, store.clone(), wake).context("webhook")?;
    for h in hooks {
        eprintln!(
            "webhook {}: {} alerts at {} and above",
            h.name,
            match h.format {
                alerts::webhook::Format::Json => "JSON",
                alerts::webhook::Format::Slack => "Slack",
            },
            h.min_confidence
        );
    }
    Ok(Webhooks { running, store })
}
