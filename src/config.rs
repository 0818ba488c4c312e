//! `leakwatch.toml`: one configuration file for every process (`run`, `crawl`, `match`,
//! `alerts ingest`, `demo`).
//!
//! The crawler's tables (`[crawler]`, `[fetch]`, `[politeness]`, `[sink]`, `[onion]`,
//! `[[source]]`) are the crawler's own [`CrawlConfig`]; the pipeline adds `[transport]`,
//! `[matcher]` and `[store]`. Every table denies unknown keys; every error names the key.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use crawler::CrawlConfig;
use matcher::MatcherConfig;
use serde::Deserialize;
use wire::{Confidence, KafkaConfig};

/// Every top-level table of `leakwatch.toml`. The crawler's tables are read here from the
/// original text, so toml's errors point at that text's lines (they once came from a re-encoded
/// copy, whose line numbers and snippets were not the user's file); the pipeline's tables are
/// read by [`PipelineConfig`] and only accepted here; anything else is refused with the list of
/// every table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    #[serde(default)]
    crawler: crawler::config::CrawlerConfig,
    #[serde(default)]
    fetch: crawler::config::FetchConfig,
    #[serde(default)]
    politeness: crawler::config::PolitenessConfig,
    #[serde(default)]
    sink: crawler::config::SinkConfig,
    #[serde(default)]
    onion: crawler::config::OnionConfig,
    #[serde(default)]
    source: Vec<crawler::sources::SourceConfig>,
    #[serde(default, rename = "transport")]
    _transport: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "matcher")]
    _matcher: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "store")]
    _store: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "webhook")]
    _webhook: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "api")]
    _api: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "ops")]
    _ops: Option<serde::de::IgnoredAny>,
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[transport]`, `[matcher]`, `[store]`.
    pub pipeline: PipelineConfig,
    /// The crawler's tables.
    pub crawl: CrawlConfig,
}

/// The pipeline's tables.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PipelineConfig {
    /// How pages and alerts travel between crawler, matchers and store.
    #[serde(default)]
    pub transport: TransportConfig,
    /// The matcher: bundle, key, workers, scan settings.
    #[serde(default)]
    pub matcher: MatchConfig,
    /// Where alerts are kept.
    #[serde(default)]
    pub store: StoreConfig,
    /// `[[webhook]]`: where new alerts are POSTed (by `run`, `alerts serve` and `alerts
    /// ingest`, whichever stores alerts).
    #[serde(default, rename = "webhook")]
    pub webhooks: Vec<alerts::webhook::WebhookConfig>,
    /// `[api]`: the alerts HTTP API, live feed and dashboard (`alerts serve`, `run`, `demo`).
    #[serde(default)]
    pub api: alerts::api::ApiConfig,
    /// `[ops]`: `/metrics`, `/healthz`, `/readyz` of `crawl` and `match` (optional).
    #[serde(default)]
    pub ops: alerts::api::OpsConfig,
}

/// `[transport]`, chosen by `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TransportConfig {
    /// Everything in one process over bounded in-process channels (the default).
    Embedded {
        /// Pages waiting between the crawler and the matchers, at most (backpressure beyond).
        #[serde(default = "default_channel_capacity")]
        channel_capacity: usize,
    },
    /// Separate processes over Kafka topics.
    Kafka(Box<KafkaConfig>),
}

fn default_channel_capacity() -> usize {
    256
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig::Embedded {
            channel_capacity: default_channel_capacity(),
        }
    }
}

/// `[matcher]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchConfig {
    /// The fingerprint bundle (`leakwatch fingerprint build`). Required by `run` and `match`.
    #[serde(default)]
    pub bundle_path: Option<PathBuf>,
    /// The bundle's secret key file. Required by `run` and `match`.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Pages scanned at once (threads of the blocking pool); default: the number of CPUs.
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// Findings below this confidence raise no alert: `low`, `medium` or `high`.
    #[serde(default = "default_min_confidence")]
    pub min_confidence: Confidence,
    /// The matcher's own settings (`max_document_bytes`, `proximity_chars`,
    /// `max_records_per_value`).
    #[serde(default)]
    pub scan: MatcherConfig,
    /// A file of passwords to try on encrypted ZIP entries, 7z and RAR archives, PDF files that
    /// need a password and encrypted Office files, one a line (a leak site's announced ones,
    /// `infected`). Passwords a mailbox or an archive gives itself are tried without it.
    /// Never logged; mount it as a Secret.
    #[serde(default)]
    pub passwords_file: Option<PathBuf>,
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn default_min_confidence() -> Confidence {
    Confidence::Low
}

impl Default for MatchConfig {
    fn default() -> Self {
        MatchConfig {
            bundle_path: None,
            key_file: None,
            workers: default_workers(),
            min_confidence: default_min_confidence(),
            scan: MatcherConfig::default(),
            passwords_file: None,
        }
    }
}

impl MatchConfig {
    /// The bundle and key paths, or an error naming the missing key.
    pub fn paths(&self) -> anyhow::Result<(&Path, &Path)> {
        let Some(bundle) = &self.bundle_path else {
            bail!("matcher.bundle_path: required to match pages");
        };
        let Some(key) = &self.key_file else {
            bail!("matcher.key_file: required to match pages");
        };
        Ok((bundle, key))
    }
}

/// `[store]`: the alert store's own configuration (`alerts::StoreConfig`: `type`, `path`,
/// `url_file`, `retention_days`, ...).
pub use alerts::StoreConfig;

impl Config {
    /// Reads and validates `path`; errors name the file and the key.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        Config::from_toml(&text).with_context(|| format!("config {}", path.display()))
    }

    /// Parses and validates a configuration.
    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        // The pipeline's tables, with toml's own errors (line, key) from the original text.
        let pipeline: PipelineConfig =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
        pipeline.validate()?;
        // The crawler's tables, from the same text; unknown top-level tables are refused here.
        let t: Tables =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
        let crawl = CrawlConfig {
            crawler: t.crawler,
            fetch: t.fetch,
            politeness: t.politeness,
            sink: t.sink,
            onion: t.onion,
            sources: t.source,
        };
        crawl.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Config { pipeline, crawl })
    }
}

impl PipelineConfig {
    fn validate(&self) -> anyhow::Result<()> {
        match &self.transport {
            TransportConfig::Embedded { channel_capacity } if *channel_capacity == 0 => {
                bail!("transport.channel_capacity: must be greater than 0")
            }
            TransportConfig::Embedded { .. } => {}
            TransportConfig::Kafka(k) => {
                if let Err(e) = k.validate() {
                    bail!("transport.{e}");
                }
            }
        }
        if self.matcher.workers == 0 {
            bail!("matcher.workers: must be greater than 0");
        }
        if self.matcher.scan.max_document_bytes == 0 {
            bail!("matcher.scan.max_document_bytes: must be greater than 0");
        }
        self.store.validate()?;
        alerts::webhook::validate(&self.webhooks)?;
        self.api.validate()?;
        self.ops.listen_addr()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_embedded_default() {
        let c = Config::from_toml("").unwrap();
        assert!(matches!(
            c.pipeline.transport,
            TransportConfig::Embedded {
                channel_capacity: 256
            }
        ));
        assert_eq!(c.pipeline.matcher.min_confidence, Confidence::Low);
        assert!(c.crawl.sources.is_empty());
    }

    #[test]
    fn kafka_and_crawler_tables_compose() {
        let c = Config::from_toml(
            r#"
            [transport]
            type = "kafka"
            brokers = "127.0.0.1:1"
            pages_topic = "p"

            [matcher]
            bundle_path = "b.lwfp"
            key_file = "k"
            min_confidence = "medium"
            scan = { proximity_chars = 100 }

            [crawler]
            once = true

            [[source]]
            type = "paste_api"
            id = "p"
            listing_url = "http://127.0.0.1:1/api"
            "#,
        )
        .unwrap();
        let TransportConfig::Kafka(k) = &c.pipeline.transport else {
            panic!("kafka");
        };
        assert_eq!(
            (k.brokers.as_str(), k.pages_topic.as_str()),
            ("127.0.0.1:1", "p")
        );
        assert_eq!(c.pipeline.matcher.scan.proximity_chars, 100);
        assert!(c.crawl.crawler.once);
        assert_eq!(c.crawl.sources.len(), 1);
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (
                "[transport]\ntype = \"embedded\"\nchanel_capacity = 3",
                "chanel_capacity",
            ),
            (
                "[transport]\ntype = \"embedded\"\nchannel_capacity = 0",
                "transport.channel_capacity",
            ),
            (
                "[transport]\ntype = \"kafka\"\npartitions = 0",
                "transport.partitions",
            ),
            ("[transport]\ntype = \"carrier-pigeon\"", "carrier-pigeon"),
            ("[matcher]\nworkers = 0", "matcher.workers"),
            ("[matcher]\nmin_confidence = \"sure\"", "sure"),
            ("[matcher]\nbundle = \"x\"", "bundle"),
            ("[store]\npath = 3", "path"),
            ("[stor]\npath = \"x\"", "stor"),
            ("[api]\nlisten = \"everywhere\"", "api.listen"),
            ("[api]\nmax_body_bytes = 0", "api.max_body_bytes"),
            ("[api]\nport = 80", "port"),
            (
                "[[api.token]]\nname = \"a\"\nrole = \"viewer\"",
                "api.token[0]",
            ),
            ("[ops]\nlisten = \"nowhere\"", "ops.listen"),
            ("[store]\ntype = \"postgres\"", "store.url_file"),
            ("[store]\nretention_days = \"x\"", "retention_days"),
            (
                "[crawler]\nglobal_concurrency = 0",
                "crawler.global_concurrency",
            ),
        ];
        for (text, key) in cases {
            let e = format!("{:#}", Config::from_toml(text).unwrap_err());
            assert!(e.contains(key), "{text:?}: {e}");
        }
    }
}
