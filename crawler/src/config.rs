//! The crawl configuration (`crawl.toml`).
//!
//! Every table and source denies unknown keys; defaults live in named functions. Errors name the
//! key (`source[2].listing_url: ...`, or toml's own message with line and key for type errors).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;
use crate::sources::SourceConfig;

/// The whole crawl configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlConfig {
    /// Process-wide settings.
    #[serde(default)]
    pub crawler: CrawlerConfig,
    /// Per-request limits and retries.
    #[serde(default)]
    pub fetch: FetchConfig,
    /// Per-host politeness.
    #[serde(default)]
    pub politeness: PolitenessConfig,
    /// Where pages go when the crawler runs on its own (`leakwatch crawl`).
    #[serde(default)]
    pub sink: SinkConfig,
    /// The embedded Tor client, used only when an `onion` source is configured.
    #[serde(default)]
    pub onion: OnionConfig,
    /// The sources, as `[[source]]` tables with a `type` key.
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
}

impl CrawlConfig {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<CrawlConfig, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            context: format!("reading crawl config {}", path.display()),
            source,
        })?;
        CrawlConfig::from_toml(&text)
            .map_err(|e| Error::config(format!("{}: {}", path.display(), config_msg(&e))))
    }

    /// Parses and validates a config from TOML text.
    pub fn from_toml(text: &str) -> Result<CrawlConfig, Error> {
        let config: CrawlConfig =
            toml::from_str(text).map_err(|e| Error::config(e.to_string().trim_end().to_owned()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values that the types alone do not (URLs, selectors, ranges, unique ids).
    pub fn validate(&self) -> Result<(), Error> {
        let positive = [
            (
                "crawler.global_concurrency",
                self.crawler.global_concurrency as u64,
            ),
            (
                "politeness.per_host_concurrency",
                self.politeness.per_host_concurrency as u64,
            ),
            ("fetch.max_body_bytes", self.fetch.max_body_bytes),
            ("fetch.connect_timeout_ms", self.fetch.connect_timeout_ms),
            ("fetch.request_timeout_ms", self.fetch.request_timeout_ms),
            ("fetch.body_timeout_ms", self.fetch.body_timeout_ms),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(Error::config(format!("{key}: must be greater than 0")));
            }
        }
        if self.fetch.content_types.is_empty() {
            return Err(Error::config(
                "fetch.content_types: must list at least one media type",
            ));
        }
        let lists = [
            ("content_types", &self.fetch.content_types),
            ("sniffed_content_types", &self.fetch.sniffed_content_types),
        ];
        for (key, list) in lists {
            for (i, ct) in list.iter().enumerate() {
                let ok = ct
                    .split_once('/')
                    .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty());
                if !ok {
                    return Err(Error::config(format!(
                        "fetch.{key}[{i}]: {ct:?} is not a media type (type/subtype or type/*)"
                    )));
                }
            }
        }
        let mut ids = std::collections::HashSet::new();
        for (i, source) in self.sources.iter().enumerate() {
            let id = source.id();
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                return Err(Error::config(format!(
                    "source[{i}].id: {id:?} must be non-empty ASCII letters, digits, '-', '_' or '.'"
                )));
            }
            if !ids.insert(id) {
                return Err(Error::config(format!(
                    "source[{i}].id: {id:?} is used by another source"
                )));
            }
            source
                .validate()
                .map_err(|msg| Error::config(format!("source[{i}] ({id}).{msg}")))?;
        }
        if self
            .sources
            .iter()
            .any(|s| matches!(s, SourceConfig::Onion(_)))
        {
            self.onion.validate()?;
        }
        Ok(())
    }
}

fn config_msg(e: &Error) -> String {
    match e {
        Error::Config(m) => m.clone(),
        other => other.to_string(),
    }
}

/// `[crawler]`: process-wide settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlerConfig {
    /// Fetches in flight at once, over all hosts (the number of workers).
    #[serde(default = "default_global_concurrency")]
    pub global_concurrency: usize,
    /// SQLite file keeping URL → body hash of emitted pages, so a restart does not re-emit
    /// unchanged pages. Holds URLs and hashes only, never bodies. Unset: kept in memory (every
    /// restart re-emits everything).
    #[serde(default)]
    pub state_path: Option<PathBuf>,
    /// `User-Agent` header.
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// Crawl every source once (no re-polls) and stop when the frontier is empty.
    #[serde(default)]
    pub once: bool,
}

fn default_global_concurrency() -> usize {
    16
}
fn default_user_agent() -> String {
    format!("leakwatch-crawler/{}", env!("CARGO_PKG_VERSION"))
}

impl Default for CrawlerConfig {
    fn default() -> Self {
        CrawlerConfig {
            global_concurrency: default_global_concurrency(),
            state_path: None,
            user_agent: default_user_agent(),
            once: false,
        }
    }
}

/// What to do with a body larger than `max_body_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Oversize {
    /// Emit the first `max_body_bytes` with `truncated = true` (leaks are often at the start).
    Truncate,
    /// Skip the page (`reason="too_large"`).
    Skip,
}

/// `[fetch]`: limits of one request and its retries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchConfig {
    /// TCP (and TLS) connect timeout.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// From sending the request to the response headers.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Reading the whole body.
    #[serde(default = "default_body_timeout_ms")]
    pub body_timeout_ms: u64,
    /// Largest body kept, counted after decompression (gzip bombs stop here).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
    /// What to do with larger bodies: `truncate` or `skip`.
    #[serde(default = "default_oversize")]
    pub oversize: Oversize,
    /// Media types fetched (`type/subtype` or `type/*`); others are skipped with
    /// `reason="content_type"` before the body is read. A response without `Content-Type` is
    /// accepted (and still subject to the binary check).
    #[serde(default = "default_content_types")]
    pub content_types: Vec<String>,
    /// Media types fetched only when the body's first KiB is text or a file the matcher reads
    /// (a ZIP, tar, gzip, xz or Zstandard archive, an SQLite database, an Excel 97–2003
    /// workbook): leak sites serve their downloads as these. Any other body (a video, a
    /// program) is skipped with `reason="binary"` after its first KiB, the rest not read.
    #[serde(default = "default_sniffed_content_types")]
    pub sniffed_content_types: Vec<String>,
    /// Redirects followed per fetch; one more is skipped with `reason="redirect_limit"`.
    #[serde(default = "default_max_redirects")]
    pub max_redirects: u32,
    /// Retries after a timeout, a connection error, 429 or 5xx.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// First retry delay; doubles per attempt, with ±50% jitter. `Retry-After` wins if longer.
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    /// Longest retry delay (also caps `Retry-After`).
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
}

fn default_connect_timeout_ms() -> u64 {
    10_000
}
fn default_request_timeout_ms() -> u64 {
    30_000
}
fn default_body_timeout_ms() -> u64 {
    60_000
}
fn default_max_body_bytes() -> u64 {
    10 * 1024 * 1024
}
fn default_oversize() -> Oversize {
    Oversize::Truncate
}
fn default_content_types() -> Vec<String> {
    [
        "text/*",
        "application/json",
        "application/xhtml+xml",
        "application/xml",
        "application/csv",
        // Archives, compressed files, spreadsheets, documents and databases, which the matcher
        // reads.
        "application/zip",
        "application/x-zip-compressed",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/x-rar",
        "application/gzip",
        "application/x-gzip",
        "application/x-xz",
        "application/zstd",
        "application/x-bzip2",
        "application/x-tar",
        "application/x-gtar",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.ms-excel",
        "application/msword",
        "application/vnd.ms-powerpoint",
        "application/vnd.ms-outlook",
        "application/pdf",
        "application/rtf",
        "application/x-rtf",
        "application/ms-tnef",
        "application/vnd.sqlite3",
        "application/x-sqlite3",
    ]
    .map(String::from)
    .to_vec()
}
fn default_sniffed_content_types() -> Vec<String> {
    [
        "application/octet-stream",
        "binary/octet-stream",
        "application/x-download",
        "application/force-download",
    ]
    .map(String::from)
    .to_vec()
}
fn default_max_redirects() -> u32 {
    5
}
fn default_max_retries() -> u32 {
    3
}
fn default_backoff_base_ms() -> u64 {
    1_000
}
fn default_backoff_max_ms() -> u64 {
    600_000
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            connect_timeout_ms: default_connect_timeout_ms(),
            request_timeout_ms: default_request_timeout_ms(),
            body_timeout_ms: default_body_timeout_ms(),
            max_body_bytes: default_max_body_bytes(),
            oversize: default_oversize(),
            content_types: default_content_types(),
            sniffed_content_types: default_sniffed_content_types(),
            max_redirects: default_max_redirects(),
            max_retries: default_max_retries(),
            backoff_base_ms: default_backoff_base_ms(),
            backoff_max_ms: default_backoff_max_ms(),
        }
    }
}

/// `[politeness]`: per-host limits (a host is `host[:port]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolitenessConfig {
    /// Requests in flight at once to one host.
    #[serde(default = "default_per_host_concurrency")]
    pub per_host_concurrency: usize,
    /// Least time between the starts of two requests to one host.
    #[serde(default = "default_min_interval_ms")]
    pub min_interval_ms: u64,
    /// A task whose host is not ready for longer than this (backoff, `Retry-After`, a long queue
    /// of slots) goes back to the frontier instead of holding a worker.
    #[serde(default = "default_requeue_after_ms")]
    pub requeue_after_ms: u64,
}

fn default_per_host_concurrency() -> usize {
    2
}
fn default_min_interval_ms() -> u64 {
    1_000
}
fn default_requeue_after_ms() -> u64 {
    2_000
}

impl Default for PolitenessConfig {
    fn default() -> Self {
        PolitenessConfig {
            per_host_concurrency: default_per_host_concurrency(),
            min_interval_ms: default_min_interval_ms(),
            requeue_after_ms: default_requeue_after_ms(),
        }
    }
}

/// `[sink]`: where `leakwatch crawl` puts pages.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SinkConfig {
    /// One JSON line of page metadata per emitted page (never the body: bodies may hold leaked
    /// personal data and are not written to disk).
    Jsonl {
        /// File to append to; unset: standard output.
        #[serde(default)]
        path: Option<PathBuf>,
    },
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig::Jsonl { path: None }
    }
}

/// `[onion]`: the embedded Tor client (arti), bootstrapped once per process on first use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnionConfig {
    /// arti's persistent state (guards, keys). Required with an onion source.
    #[serde(default)]
    pub state_dir: Option<PathBuf>,
    /// arti's directory cache (consensus, descriptors). Required with an onion source.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// Bootstrapping the Tor client (first onion fetch waits for it).
    #[serde(default = "default_bootstrap_timeout_ms")]
    pub bootstrap_timeout_ms: u64,
    /// Opening a stream to an onion service (descriptor, introduction, rendezvous).
    #[serde(default = "default_onion_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Delay before retrying an onion service whose descriptor was not found.
    #[serde(default = "default_not_found_backoff_ms")]
    pub not_found_backoff_ms: u64,
    /// arti's own configuration (the TOML form of `arti_client::config::TorClientConfigBuilder`,
    /// e.g. `[onion.arti.tor_network]` authorities and fallbacks for a private network).
    /// `storage.state_dir`/`cache_dir` are taken from the keys above.
    #[serde(default)]
    pub arti: Option<toml::Table>,
}

fn default_bootstrap_timeout_ms() -> u64 {
    180_000
}
fn default_onion_connect_timeout_ms() -> u64 {
    120_000
}
fn default_not_found_backoff_ms() -> u64 {
    1_800_000
}

impl Default for OnionConfig {
    fn default() -> Self {
        OnionConfig {
            state_dir: None,
            cache_dir: None,
            bootstrap_timeout_ms: default_bootstrap_timeout_ms(),
            connect_timeout_ms: default_onion_connect_timeout_ms(),
            not_found_backoff_ms: default_not_found_backoff_ms(),
            arti: None,
        }
    }
}

impl OnionConfig {
    fn validate(&self) -> Result<(), Error> {
        if self.state_dir.is_none() {
            return Err(Error::config(
                "onion.state_dir: required when an onion source is configured",
            ));
        }
        if self.cache_dir.is_none() {
            return Err(Error::config(
                "onion.cache_dir: required when an onion source is configured",
            ));
        }
        crate::sources::onion::check_arti_config(self)
    }
}
