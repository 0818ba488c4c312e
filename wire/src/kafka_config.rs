//! [`KafkaConfig`]: the `[transport]` keys of `type = "kafka"` (parsed without the `kafka`
//! feature too, so a config can be checked anywhere).

use std::collections::BTreeMap;

use serde::Deserialize;

/// How to reach the Kafka cluster, which topics to use and how to create them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, `host:port[,host:port...]`.
    #[serde(default = "default_brokers")]
    pub brokers: String,
    /// Topic of fetched pages (body as the value: keep its retention short).
    #[serde(default = "default_pages_topic")]
    pub pages_topic: String,
    /// Topic of alerts (JSON, no personal data).
    #[serde(default = "default_alerts_topic")]
    pub alerts_topic: String,
    /// Topic of crawl tasks, keyed by host (for a shared crawl frontier).
    #[serde(default = "default_crawl_tasks_topic")]
    pub crawl_tasks_topic: String,
    /// Topic of crawl tasks due later than `schedule_after_ms` from now (re-polls, recrawls,
    /// retries with a long back-off), keyed by host. The replicas hold them (in
    /// `scheduler_group`) and move each to `crawl_tasks_topic` when it is due, so that the
    /// crawlers' consumer lag on `crawl_tasks_topic` counts work that is due, not work that is
    /// merely scheduled (what an autoscaler on that lag needs).
    #[serde(default = "default_crawl_schedule_topic")]
    pub crawl_schedule_topic: String,
    /// Topic where undecodable messages are reported (topic, partition, offset, reason; never
    /// the message's value).
    #[serde(default = "default_dead_letter_topic")]
    pub dead_letter_topic: String,
    /// Consumer group of the matchers (reading `pages_topic`).
    #[serde(default = "default_matcher_group")]
    pub matcher_group: String,
    /// Consumer group of the alert store writers (reading `alerts_topic`).
    #[serde(default = "default_store_group")]
    pub store_group: String,
    /// Consumer group of the crawler replicas (reading `crawl_tasks_topic`): the replicas share
    /// the crawl frontier, one host per partition owner.
    #[serde(default = "default_crawler_group")]
    pub crawler_group: String,
    /// Consumer group of the crawler replicas reading `crawl_schedule_topic` (another group
    /// than `crawler_group`: its lag is scheduled work, not a scaling signal).
    #[serde(default = "default_scheduler_group")]
    pub scheduler_group: String,
    /// A crawl task due later than this from now goes to `crawl_schedule_topic` rather than
    /// `crawl_tasks_topic` (milliseconds; 0: every task that is not due yet).
    #[serde(default = "default_schedule_after_ms")]
    pub schedule_after_ms: u64,
    /// Create missing topics at start-up.
    #[serde(default = "default_true")]
    pub create_topics: bool,
    /// Partitions of topics created at start-up.
    #[serde(default = "default_partitions")]
    pub partitions: i32,
    /// Replication factor of topics created at start-up.
    #[serde(default = "default_replication_factor")]
    pub replication_factor: i32,
    /// `retention.ms` of the pages topic: page bodies may themselves be leaked data.
    #[serde(default = "default_pages_retention_ms")]
    pub pages_retention_ms: u64,
    /// `retention.ms` of the alerts, crawl-tasks, crawl-schedule and dead-letter topics.
    #[serde(default = "default_retention_ms")]
    pub retention_ms: u64,
    /// Largest message produced (a page body up to the crawler's `fetch.max_body_bytes` plus its
    /// headers).
    #[serde(default = "default_message_max_bytes")]
    pub message_max_bytes: u64,
    /// Producer batching delay (`linger.ms`).
    #[serde(default = "default_linger_ms")]
    pub linger_ms: u64,
    /// Producer compression: `none`, `gzip`, `snappy`, `lz4` or `zstd`.
    #[serde(default = "default_compression")]
    pub compression: String,
    /// A produce is given up (and reported) after this long (`message.timeout.ms`).
    #[serde(default = "default_produce_timeout_ms")]
    pub produce_timeout_ms: u64,
    /// A consumer that stops heartbeating is dropped from its group after this long
    /// (`session.timeout.ms`); its partitions then move to the others.
    #[serde(default = "default_session_timeout_ms")]
    pub session_timeout_ms: u64,
    /// Stored offsets are committed this often (`auto.commit.interval.ms`).
    #[serde(default = "default_commit_interval_ms")]
    pub commit_interval_ms: u64,
    /// Extra librdkafka properties, passed as they are (e.g. `"security.protocol" = "ssl"`).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

fn default_brokers() -> String {
    "127.0.0.1:9092".into()
}
fn default_pages_topic() -> String {
    "pages".into()
}
fn default_alerts_topic() -> String {
    "alerts".into()
}
fn default_crawl_tasks_topic() -> String {
    "crawl-tasks".into()
}
fn default_crawl_schedule_topic() -> String {
    "crawl-schedule".into()
}
fn default_dead_letter_topic() -> String {
    "dead-letter".into()
}
fn default_matcher_group() -> String {
    "leakwatch-matchers".into()
}
fn default_store_group() -> String {
    "leakwatch-alert-store".into()
}
fn default_crawler_group() -> String {
    "leakwatch-crawlers".into()
}
fn default_scheduler_group() -> String {
    "leakwatch-crawl-scheduler".into()
}
fn default_schedule_after_ms() -> u64 {
    30_000
}
fn default_true() -> bool {
    true
}
fn default_partitions() -> i32 {
    6
}
fn default_replication_factor() -> i32 {
    1
}
fn default_pages_retention_ms() -> u64 {
    3_600_000
}
fn default_retention_ms() -> u64 {
    7 * 86_400_000
}
fn default_message_max_bytes() -> u64 {
    16 * 1024 * 1024
}
fn default_linger_ms() -> u64 {
    5
}
fn default_compression() -> String {
    "lz4".into()
}
fn default_produce_timeout_ms() -> u64 {
    30_000
}
fn default_session_timeout_ms() -> u64 {
    10_000
}
fn default_commit_interval_ms() -> u64 {
    1_000
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: default_brokers(),
            pages_topic: default_pages_topic(),
            alerts_topic: default_alerts_topic(),
            crawl_tasks_topic: default_crawl_tasks_topic(),
            crawl_schedule_topic: default_crawl_schedule_topic(),
            dead_letter_topic: default_dead_letter_topic(),
            matcher_group: default_matcher_group(),
            store_group: default_store_group(),
            crawler_group: default_crawler_group(),
            scheduler_group: default_scheduler_group(),
            schedule_after_ms: default_schedule_after_ms(),
            create_topics: default_true(),
            partitions: default_partitions(),
            replication_factor: default_replication_factor(),
            pages_retention_ms: default_pages_retention_ms(),
            retention_ms: default_retention_ms(),
            message_max_bytes: default_message_max_bytes(),
            linger_ms: default_linger_ms(),
            compression: default_compression(),
            produce_timeout_ms: default_produce_timeout_ms(),
            session_timeout_ms: default_session_timeout_ms(),
            commit_interval_ms: default_commit_interval_ms(),
            properties: BTreeMap::new(),
        }
    }
}

impl KafkaConfig {
    /// Checks values the types do not; the error starts with the key (without the table name).
    pub fn validate(&self) -> Result<(), String> {
        if self.brokers.trim().is_empty() {
            return Err("brokers: must name at least one broker".into());
        }
        for (key, topic) in [
            ("pages_topic", &self.pages_topic),
            ("alerts_topic", &self.alerts_topic),
            ("crawl_tasks_topic", &self.crawl_tasks_topic),
            ("crawl_schedule_topic", &self.crawl_schedule_topic),
            ("dead_letter_topic", &self.dead_letter_topic),
        ] {
            let ok = !topic.is_empty()
                && topic.len() <= 249
                && topic
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !ok {
                return Err(format!(
                    "{key}: {topic:?} is not a Kafka topic name (ASCII letters, digits, '.', '_', '-')"
                ));
            }
        }
        for (key, group) in [
            ("matcher_group", &self.matcher_group),
            ("store_group", &self.store_group),
            ("crawler_group", &self.crawler_group),
            ("scheduler_group", &self.scheduler_group),
        ] {
            if group.is_empty() {
                return Err(format!("{key}: must not be empty"));
            }
        }
        if self.scheduler_group == self.crawler_group {
            return Err(format!(
                "scheduler_group: must differ from crawler_group ({:?})",
                self.crawler_group
            ));
        }
        if self.crawl_schedule_topic == self.crawl_tasks_topic {
            return Err(format!(
                "crawl_schedule_topic: must differ from crawl_tasks_topic ({:?})",
                self.crawl_tasks_topic
            ));
        }
        if self.partitions < 1 {
            return Err("partitions: must be at least 1".into());
        }
        if self.replication_factor < 1 {
            return Err("replication_factor: must be at least 1".into());
        }
        if !["none", "gzip", "snappy", "lz4", "zstd"].contains(&self.compression.as_str()) {
            return Err(format!(
                "compression: {:?} is not one of none, gzip, snappy, lz4, zstd",
                self.compression
            ));
        }
        for (key, v) in [
            ("pages_retention_ms", self.pages_retention_ms),
            ("retention_ms", self.retention_ms),
            ("message_max_bytes", self.message_max_bytes),
            ("produce_timeout_ms", self.produce_timeout_ms),
            ("session_timeout_ms", self.session_timeout_ms),
            ("commit_interval_ms", self.commit_interval_ms),
        ] {
            if v == 0 {
                return Err(format!("{key}: must be greater than 0"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_errors_name_the_key() {
        KafkaConfig::default().validate().unwrap();
        let c = KafkaConfig {
            pages_topic: "bad topic".into(),
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().starts_with("pages_topic:"));
        let c = KafkaConfig {
            compression: "brotli".into(),
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().starts_with("compression:"));
        let c = KafkaConfig {
            crawler_group: String::new(),
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().starts_with("crawler_group:"));
        let c = KafkaConfig {
            scheduler_group: KafkaConfig::default().crawler_group,
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().starts_with("scheduler_group:"));
        let c = KafkaConfig {
            crawl_schedule_topic: KafkaConfig::default().crawl_tasks_topic,
            ..Default::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .starts_with("crawl_schedule_topic:")
        );
    }
}
