//! Webhooks: every new alert (not suppressed, at or above a webhook's minimum confidence) is
//! POSTed to the webhook's URL, at least once, in the store's insertion order.
//!
//! Delivery follows the store, not the pipeline: each webhook keeps a durable cursor (the
//! [`StoredAlert::seq`] it has delivered up to, [`AlertStore::webhook_cursor`]) and reads the
//! alerts after it ([`AlertStore::after_seq`]). So a notification is never lost when the process
//! stops — it is sent after the restart — and alerts written by another process (`alerts
//! ingest`, another replica) are delivered too. The cursor moves only after the receiver
//! answered 2xx, or after the notification became a dead letter ([`AlertStore::dead_letter`])
//! once `max_attempts` attempts failed (exponential backoff with jitter in between). A new
//! webhook starts at the end of the history: it is not sent old alerts.
//!
//! Processes that share the store (alerts replicas) do not each deliver: a webhook is delivered
//! by the process holding its lease in the store ([`AlertStore::webhook_lease`], renewed every
//! third of `lease_ms`, given up when the deliverers stop); the others stand by and take over
//! when it lapses. The lease is renewed before every attempt and during the waits between
//! attempts, and a deliverer that finds it lost stops before its next POST.
//!
//! At-least-once means a receiver may see a notification twice (the process stopped between the
//! POST and the cursor write, or lost its lease while a POST was in flight): every alert
//! carries its id, and every POST a stable `X-Leakwatch-Delivery` id, for receivers to
//! deduplicate.
//!
//! One POST holds the alerts of one page ([`payload::group`]). Requests are signed when a
//! secret is configured: `X-Leakwatch-Timestamp` (Unix seconds) and `X-Leakwatch-Signature:
//! sha256=HEX`, the HMAC-SHA256 of `"{timestamp}.{body}"` ([`payload::signature`]).
//! Bodies hold record references, field kinds, the URL and hashes only.

mod config;
mod http;
pub mod payload;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

pub use config::{Format, WebhookConfig};
use tokio::sync::Notify;

use crate::{AlertStore, DeadLetter, StoredAlert};
use payload::Notification;

/// Metric: POSTs by webhook and outcome (`delivered`, `failed`).
pub const ATTEMPTS: &str = "leakwatch_webhook_attempts_total";
/// Metric: notifications given up on after `max_attempts`, by webhook.
pub const DEAD_LETTERS: &str = "leakwatch_webhook_dead_letters_total";
/// Metric: 1 while this process holds the webhook's lease (delivers it), 0 while it stands by;
/// summed over the replicas it is 1 when all is well.
pub const LEASE_HELD: &str = "leakwatch_webhook_lease_held";

/// Alerts read from the store at once.
const BATCH: usize = 1000;

/// A webhook signing secret; never printed.
#[derive(Clone, zeroize::ZeroizeOnDrop)]
pub struct Secret(pub(crate) Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// Errors of the webhooks.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `[[webhook]]` value is wrong (the message names the key).
    #[error("{0}")]
    Config(String),
    /// The store failed while reading alerts or writing the cursor.
    #[error(transparent)]
    Store(#[from] crate::Error),
    /// The TLS client could not be set up.
    #[error("webhook TLS client: {0}")]
    Tls(String),
    /// Another process took over the webhook's delivery (this one's lease lapsed).
    #[error("another process took over the delivery")]
    LeaseLost,
}

impl Error {
    /// What the caller can do about it.
    pub fn kind(&self) -> wire::ErrorKind {
        match self {
            Error::Config(_) => wire::ErrorKind::BadInput,
            Error::Store(e) => e.kind(),
            Error::Tls(_) => wire::ErrorKind::Bug,
            Error::LeaseLost => wire::ErrorKind::Retry,
        }
    }
}

/// Checks a list of webhooks: each valid, names unique.
pub fn validate(configs: &[WebhookConfig]) -> Result<(), Error> {
    let mut names = std::collections::BTreeSet::new();
    for c in configs {
        c.validate()?;
        if !names.insert(c.name.as_str()) {
            return Err(Error::Config(format!(
                "webhook.name: {:?} is used twice",
                c.name
            )));
        }
    }
    Ok(())
}

/// How one notification ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx on this attempt (counting from 1).
    Delivered {
        /// Attempts it took.
        attempts: u32,
    },
    /// Every attempt failed; a dead letter was recorded per alert.
    DeadLettered {
        /// Attempts made.
        attempts: u32,
        /// The last failure (no secret in it).
        last_error: String,
    },
}

/// One webhook's deliverer: reads new alerts from the store and POSTs them.
pub struct Deliverer {
    config: WebhookConfig,
    url: url::Url,
    secret: Option<Secret>,
    store: Arc<dyn AlertStore>,
    tls: tokio_rustls::TlsConnector,
    /// The lease holder this deliverer runs as ([`Deliverer::run`]); `None`: no lease is
    /// asked for (a deliverer driven step by step).
    holder: Option<String>,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Runs a store call on the blocking pool.
async fn blocking<T: Send + 'static>(
    store: &Arc<dyn AlertStore>,
    f: impl FnOnce(&dyn AlertStore) -> Result<T, crate::Error> + Send + 'static,
) -> Result<T, Error> {
    let store = store.clone();
    match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
        Ok(r) => r.map_err(Error::from),
        Err(e) => Err(Error::Store(crate::Error::Corrupt(format!(
            "store call panicked: {e}"
        )))),
    }
}

impl Deliverer {
    /// Checks the config and reads its secret.
    pub fn new(config: WebhookConfig, store: Arc<dyn AlertStore>) -> Result<Deliverer, Error> {
        config.validate()?;
        let secret = config.read_secret()?;
        let url = url::Url::parse(&config.url)
            .map_err(|_| Error::Config(format!("webhook[{}].url: invalid", config.name)))?;
        let tls = http::tls_connector().map_err(Error::Tls)?;
        Ok(Deliverer {
            config,
            url,
            secret,
            store,
            tls,
            holder: None,
        })
    }

    /// The webhook's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Delivers new alerts forever, as lease holder `holder`: while it holds the webhook's
    /// lease, after each batch it waits for `wake` (poked by whoever stores alerts in this
    /// process) or `poll_ms`; while another process holds it, it checks again every third of
    /// `lease_ms`. Stop it by dropping/aborting the future: the cursor is written after every
    /// notification, so nothing is lost (at most one notification is sent again). Store errors
    /// are retried after a pause.
    pub async fn run(mut self, wake: Arc<Notify>, holder: String) {
        let name = self.config.name.clone();
        self.holder = Some(holder);
        let renew = Duration::from_millis(self.config.lease_ms / 3);
        let idle = Duration::from_millis(self.config.poll_ms).min(renew);
        // The cursor, read again after every time the lease was not held (another process
        // may have moved it).
        let mut cursor = None;
        let mut delivering = None;
        loop {
            match self.hold().await {
                Ok(true) => {
                    if delivering != Some(true) {
                        eprintln!("webhook {name}: delivering from this process");
                        metrics::gauge!(LEASE_HELD, "webhook" => name.clone()).set(1.0);
                        delivering = Some(true);
                    }
                }
                Ok(false) => {
                    if delivering != Some(false) {
                        eprintln!("webhook {name}: another process delivers it; standing by");
                        metrics::gauge!(LEASE_HELD, "webhook" => name.clone()).set(0.0);
                        delivering = Some(false);
                    }
                    cursor = None;
                    tokio::time::sleep(renew).await;
                    continue;
                }
                Err(e) => {
                    eprintln!("webhook {name}: taking its lease: {e}; retrying in 5 s");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            }
            let c = match cursor {
                Some(c) => c,
                None => match self.start_cursor().await {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("webhook {name}: reading the cursor: {e}; retrying in 5 s");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        continue;
                    }
                },
            };
            match self.step(c).await {
                Ok(Some(next)) => cursor = Some(next),
                Ok(None) => {
                    cursor = Some(c);
                    tokio::select! {
                        () = wake.notified() => {},
                        () = tokio::time::sleep(idle) => {},
                    }
                }
                Err(Error::LeaseLost) => {
                    cursor = None;
                    eprintln!("webhook {name}: another process took its delivery over");
                    metrics::gauge!(LEASE_HELD, "webhook" => name.clone()).set(0.0);
                    delivering = Some(false);
                }
                Err(e) => {
                    cursor = None;
                    eprintln!("webhook {name}: {e}; retrying in 5 s");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    }

    /// Takes or renews this deliverer's lease (always held without a holder).
    async fn hold(&self) -> Result<bool, Error> {
        let Some(holder) = self.holder.clone() else {
            return Ok(true);
        };
        let (name, ttl) = (self.config.name.clone(), self.config.lease_ms);
        blocking(&self.store, move |s| s.webhook_lease(&name, &holder, ttl)).await
    }

    /// Sleeps `wait`, renewing the lease every third of `lease_ms`; `LeaseLost` as soon as it
    /// is not held.
    async fn sleep_holding(&self, wait: Duration) -> Result<(), Error> {
        let renew = Duration::from_millis(self.config.lease_ms / 3);
        let end = tokio::time::Instant::now() + wait;
        loop {
            let now = tokio::time::Instant::now();
            if now >= end {
                return Ok(());
            }
            tokio::time::sleep((end - now).min(renew)).await;
            if !self.hold().await? {
                return Err(Error::LeaseLost);
            }
        }
    }

    /// The stored cursor; for a webhook never run before, the end of the history, stored (also
    /// when the history is empty: alerts stored while it is stopped are then delivered after
    /// it restarts, not taken for history).
    async fn start_cursor(&self) -> Result<u64, Error> {
        let name = self.config.name.clone();
        blocking(&self.store, move |s| {
            if let Some(c) = s.webhook_cursor(&name)? {
                return Ok(c);
            }
            let mut end = 0;
            loop {
                let batch = s.after_seq(end, BATCH)?;
                match batch.last() {
                    Some(last) => end = last.seq,
                    None => break,
                }
            }
            s.set_webhook_cursor(&name, end)?;
            Ok(end)
        })
        .await
    }

    /// Delivers the alerts after `cursor` (one batch); the new cursor, or `None` when there
    /// was nothing new.
    pub async fn step(&self, cursor: u64) -> Result<Option<u64>, Error> {
        let batch: Vec<StoredAlert> =
            blocking(&self.store, move |s| s.after_seq(cursor, BATCH)).await?;
        let Some(end) = batch.last().map(|a| a.seq) else {
            return Ok(None);
        };
        for n in payload::group(
            &batch,
            self.config.min_confidence,
            self.config.max_alerts_per_post,
        ) {
            self.deliver(&n).await?;
            self.save_cursor(n.last_seq()).await?;
        }
        // Alerts this webhook does not want also move the cursor.
        self.save_cursor(end).await?;
        Ok(Some(end))
    }

    async fn save_cursor(&self, seq: u64) -> Result<(), Error> {
        let name = self.config.name.clone();
        blocking(&self.store, move |s| s.set_webhook_cursor(&name, seq)).await
    }

    /// POSTs one notification until it is delivered or `max_attempts` failed (then records a
    /// dead letter per alert).
    pub async fn deliver(&self, n: &Notification) -> Result<Outcome, Error> {
        let body = payload::render(&self.config, n);
        let delivery = n.delivery_id();
        let timeout = Duration::from_millis(self.config.timeout_ms);
        let mut last_error = String::new();
        for attempt in 1..=self.config.max_attempts {
            if !self.hold().await? {
                return Err(Error::LeaseLost);
            }
            let timestamp_s = now_ms() / 1000;
            let mut headers = vec![
                ("x-leakwatch-delivery", delivery.clone()),
                ("x-leakwatch-attempt", attempt.to_string()),
            ];
            if let Some(secret) = &self.secret {
                headers.push(("x-leakwatch-timestamp", timestamp_s.to_string()));
                headers.push((
                    "x-leakwatch-signature",
                    payload::signature(&secret.0, timestamp_s, &body),
                ));
            }
            match http::post(&self.tls, &self.url, &headers, body.clone(), timeout).await {
                http::Attempt::Delivered => {
                    metrics::counter!(ATTEMPTS, "webhook" => self.config.name.clone(), "outcome" => "delivered")
                        .increment(1);
                    return Ok(Outcome::Delivered { attempts: attempt });
                }
                http::Attempt::Failed(why) => {
                    metrics::counter!(ATTEMPTS, "webhook" => self.config.name.clone(), "outcome" => "failed")
                        .increment(1);
                    eprintln!(
                        "webhook {} ({}): attempt {attempt}/{} failed: {why}",
                        self.config.name,
                        config::redact_url(&self.config.url),
                        self.config.max_attempts
                    );
                    last_error = why;
                }
            }
            if attempt < self.config.max_attempts {
                let wait = self.config.backoff_ms(attempt, fastrand::f64());
                self.sleep_holding(Duration::from_millis(wait)).await?;
            }
        }
        metrics::counter!(DEAD_LETTERS, "webhook" => self.config.name.clone()).increment(1);
        let letters: Vec<DeadLetter> = n
            .alerts
            .iter()
            .map(|a| DeadLetter {
                webhook: self.config.name.clone(),
                alert_id: a.alert.id.clone(),
                attempts: self.config.max_attempts,
                last_error: last_error.clone(),
                at_ms: now_ms(),
            })
            .collect();
        blocking(&self.store, move |s| {
            for l in &letters {
                s.dead_letter(l)?;
            }
            Ok(())
        })
        .await?;
        Ok(Outcome::DeadLettered {
            attempts: self.config.max_attempts,
            last_error,
        })
    }
}

/// The deliverers [`spawn_all`] started. Dropping it stops them and gives up their leases, so
/// that another process sharing the store takes the webhooks over at once.
pub struct Running {
    handles: Vec<tokio::task::JoinHandle<()>>,
    names: Vec<String>,
    holder: String,
    store: Arc<dyn AlertStore>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("webhooks", &self.names)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// The lease holder name the deliverers run as (host, process and a random part).
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The names of the webhooks being delivered.
    pub fn webhooks(&self) -> &[String] {
        &self.names
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for h in &self.handles {
            h.abort();
        }
        // On a thread, waited for briefly: a store that does not answer (a database gone) must
        // not hold up a process that is stopping; the leases then lapse by themselves.
        let (names, holder, store) = (
            std::mem::take(&mut self.names),
            self.holder.clone(),
            self.store.clone(),
        );
        let (done, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for name in &names {
                if let Err(e) = store.release_webhook_lease(name, &holder) {
                    eprintln!("webhook {name}: giving up its lease: {e} (it lapses by itself)");
                }
            }
            let _ = done.send(());
        });
        if wait.recv_timeout(Duration::from_secs(2)).is_err() {
            eprintln!("webhooks: giving up their leases takes too long; they lapse by themselves");
        }
    }
}

/// A lease holder name for this process: the host (a pod's name), the process id and a random
/// part, so that two deliverers never share one.
fn holder_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "host".to_owned());
    format!("{host}/{}/{:08x}", std::process::id(), fastrand::u32(..))
}

/// Starts one deliverer per webhook on the current runtime; drop the result to stop them.
pub fn spawn_all(
    configs: &[WebhookConfig],
    store: Arc<dyn AlertStore>,
    wake: Arc<Notify>,
) -> Result<Running, Error> {
    validate(configs)?;
    let deliverers = configs
        .iter()
        .map(|c| Deliverer::new(c.clone(), store.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let holder = holder_name();
    let handles = deliverers
        .into_iter()
        .map(|d| tokio::spawn(d.run(wake.clone(), holder.clone())))
        .collect();
    Ok(Running {
        handles,
        names: configs.iter().map(|c| c.name.clone()).collect(),
        holder,
        store,
    })
}
