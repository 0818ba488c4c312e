//! `[[webhook]]`: where alert notifications are POSTed.

use std::path::PathBuf;

use serde::Deserialize;
use wire::Confidence;

use super::{Error, Secret};

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// leakwatch's own JSON (`leakwatch.alerts.v1`): one page and its alerts per POST.
    Json,
    /// A Slack-compatible incoming-webhook message (`text` and `blocks`).
    Slack,
}

/// One `[[webhook]]` table.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Unique name: the delivery cursor and dead letters are kept under it (renaming a webhook
    /// starts it afresh).
    pub name: String,
    /// `http://` or `https://` URL the notifications are POSTed to.
    pub url: String,
    /// `json` (default) or `slack`.
    #[serde(default = "default_format")]
    pub format: Format,
    /// File holding the HMAC-SHA256 signing secret (trailing whitespace ignored). Without it
    /// requests are not signed.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// Alerts below this confidence are not sent: `low`, `medium` (default) or `high`.
    #[serde(default = "default_min_confidence")]
    pub min_confidence: Confidence,
    /// Attempts per notification before it becomes a dead letter.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry; doubled after each failure.
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// Longest wait between attempts.
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// One attempt (connect, send, response headers) at most this long.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// How often the store is checked for new alerts when nothing pokes the deliverer.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
    /// Most alerts in one POST (a page naming more is split over several POSTs).
    #[serde(default = "default_max_alerts_per_post")]
    pub max_alerts_per_post: usize,
    /// Processes sharing the alert store (alerts replicas) deliver this webhook from one of
    /// them, the holder of a lease in the store that it renews every third of this and before
    /// each attempt (so it must be longer than `timeout_ms`). When the holder stops without
    /// giving it up (a crash, a lost node), another process takes over after at most this long.
    #[serde(default = "default_lease_ms")]
    pub lease_ms: u64,
}

impl std::fmt::Debug for WebhookConfig {
    // The URL may carry a token (Slack's do): only the scheme and host are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &redact_url(&self.url))
            .field("format", &self.format)
            .field("min_confidence", &self.min_confidence)
            .finish_non_exhaustive()
    }
}

/// `scheme://host[:port]/…` — the path and query of a webhook URL may hold a token.
pub(crate) fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}/…",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "<invalid url>".to_owned(),
    }
}

fn default_format() -> Format {
    Format::Json
}
fn default_min_confidence() -> Confidence {
    Confidence::Medium
}
fn default_max_attempts() -> u32 {
    8
}
fn default_initial_backoff_ms() -> u64 {
    1_000
}
fn default_max_backoff_ms() -> u64 {
    300_000
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_poll_ms() -> u64 {
    1_000
}
fn default_max_alerts_per_post() -> usize {
    500
}
fn default_lease_ms() -> u64 {
    15_000
}

impl WebhookConfig {
    /// Checks the values; errors name the key (`webhook[NAME].KEY: ...`).
    pub fn validate(&self) -> Result<(), Error> {
        let key = |k: &str, why: &str| Error::Config(format!("webhook[{}].{k}: {why}", self.name));
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::Config(format!(
                "webhook.name: {:?} must be non-empty letters, digits, '-' or '_'",
                self.name
            )));
        }
        match url::Url::parse(&self.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return Err(key("url", "must be an http:// or https:// URL")),
        }
        if self.max_attempts == 0 {
            return Err(key("max_attempts", "must be at least 1"));
        }
        if self.initial_backoff_ms == 0 || self.max_backoff_ms < self.initial_backoff_ms {
            return Err(key(
                "initial_backoff_ms",
                "must be > 0 and not above max_backoff_ms",
            ));
        }
        if self.timeout_ms == 0 {
            return Err(key("timeout_ms", "must be greater than 0"));
        }
        if self.poll_ms == 0 {
            return Err(key("poll_ms", "must be greater than 0"));
        }
        if self.max_alerts_per_post == 0 {
            return Err(key("max_alerts_per_post", "must be greater than 0"));
        }
        if !(300..=3_600_000).contains(&self.lease_ms) {
            return Err(key(
                "lease_ms",
                "must be between 300 (0.3 s) and 3600000 (an hour)",
            ));
        }
        if self.lease_ms <= self.timeout_ms {
            // The lease is renewed just before each attempt: an attempt that outlasted it
            // could overlap another process's.
            return Err(key("lease_ms", "must be greater than timeout_ms"));
        }
        Ok(())
    }

    /// Reads the signing secret, if one is configured.
    pub fn read_secret(&self) -> Result<Option<Secret>, Error> {
        let Some(path) = &self.secret_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "webhook[{}].secret_file: {}: {e}",
                self.name,
                path.display()
            ))
        })?;
        let secret = text.trim_end();
        if secret.is_empty() {
            return Err(Error::Config(format!(
                "webhook[{}].secret_file: {} is empty",
                self.name,
                path.display()
            )));
        }
        Ok(Some(Secret(secret.as_bytes().to_vec())))
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1): doubling from
    /// `initial_backoff_ms`, capped at `max_backoff_ms`, with up to 20% jitter off.
    pub fn backoff_ms(&self, attempt: u32, jitter: f64) -> u64 {
        let exp = attempt.saturating_sub(1).min(40);
        let base = self
            .initial_backoff_ms
            .saturating_mul(1u64 << exp)
            .min(self.max_backoff_ms);
        let off = (base as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as u64;
        base - off
    }
}
