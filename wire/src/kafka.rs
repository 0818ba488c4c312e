//! The Kafka transport (feature `kafka`): rdkafka with a static librdkafka.
//!
//! Message formats, readable by any Kafka client:
//!
//! | topic | key | value | headers |
//! |---|---|---|---|
//! | pages | page URL | the raw body bytes | `lw-version` = `1`, `lw-type` = `page`, `lw-meta` = [`PageMeta`] as JSON |
//! | alerts | alert id | [`Alert`] as JSON | `lw-version` = `1`, `lw-type` = `alert` |
//! | crawl-tasks | the task's host | [`crate::CrawlTask`] as JSON ([`KafkaFrontier`]) | `lw-version` = `1`, `lw-type` = `crawl-task` |
//! | crawl-schedule | the task's host | the same, for tasks due later ([`KafkaFrontier`]) | the same |
//! | dead-letter | the bad message's key | JSON: topic, partition, offset, reason, time | `lw-type` = `dead-letter` |
//!
//! Producers are idempotent (`enable.idempotence`, `acks=all`) with compression and batching.
//! Consumers run in a group with `enable.auto.offset.store=false`: an offset is stored (and then
//! auto-committed) only when the message and every earlier one of its partition were
//! acknowledged ([`MessageSource::ack`]), i.e. when their alerts are durable. A crash loses at
//! most the commit interval's worth of stored offsets; those messages are delivered again and,
//! since alert ids are idempotency keys, yield no duplicate alert in the store.
//!
//! Metrics: `leakwatch_dead_letters_total{topic}`; the crawl frontier's gauges
//! `leakwatch_crawler_frontier_tasks` and `leakwatch_crawler_scheduled_tasks` (tasks this replica
//! holds until due, from crawl-tasks and from the schedule).
//!
//! The dead-letter topic gets a description of an undecodable message (topic, partition,
//! offset, reason), never its value: a page body may be leaked personal data.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, TopicPartitionList};
use serde::Serialize;

mod frontier;

pub use frontier::KafkaFrontier;

use crate::source::AckInner;
use crate::{
    Ack, Alert, AlertSink, BoxFuture, Delivery, KafkaConfig, MessageSource, Page, PageSink,
    SinkError, SourceError,
};

/// Header naming the wire format version.
pub const HEADER_VERSION: &str = "lw-version";
/// Header naming the message type (`page`, `alert`, `dead-letter`).
pub const HEADER_TYPE: &str = "lw-type";
/// Header holding a page's metadata as JSON.
pub const HEADER_META: &str = "lw-meta";
/// Version of the page message format.
pub const PAGE_VERSION: u32 = crate::PAGE_WIRE_VERSION;

fn transport(context: &str, e: impl std::fmt::Display) -> SourceError {
    SourceError::Transport(format!("{context}: {e}"))
}

/// Whether a consumer error only reports that the brokers are (for now) out of reach: librdkafka
/// keeps reconnecting by itself, so the consumer goes on instead of failing (a broker restart
/// must not stop every matcher and store writer).
pub(crate) fn transient_consume_error(e: &KafkaError) -> bool {
    use RDKafkaErrorCode as C;
    let code = match e {
        KafkaError::MessageConsumption(c) | KafkaError::Global(c) => *c,
        _ => return false,
    };
    matches!(
        code,
        C::AllBrokersDown
            | C::BrokerTransportFailure
            | C::Resolve
            | C::OperationTimedOut
            | C::RequestTimedOut
            | C::NetworkException
            | C::BrokerNotAvailable
            | C::LeaderNotAvailable
            | C::NotLeaderForPartition
            | C::CoordinatorNotAvailable
            | C::NotCoordinator
            | C::CoordinatorLoadInProgress
    )
}

/// Receives the next message, waiting out transient broker errors (logged once per outage).
pub(crate) async fn recv_through_outages<'c, C: ConsumerContext + 'static>(
    consumer: &'c StreamConsumer<C>,
    topic: &str,
) -> Result<BorrowedMessage<'c>, SourceError> {
    let mut outage = false;
    loop {
        match consumer.recv().await {
            Ok(m) => {
                if outage {
                    eprintln!("kafka consumer: {topic}: receiving again");
                }
                return Ok(m);
            }
            Err(e) if transient_consume_error(&e) => {
                if !outage {
                    eprintln!("kafka consumer: {topic}: {e}; waiting for the brokers");
                }
                outage = true;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(transport(&format!("consuming {topic}"), e)),
        }
    }
}

fn base_config(config: &KafkaConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &config.brokers);
    c.set("client.id", "leakwatch");
    for (k, v) in &config.properties {
        c.set(k, v);
    }
    c
}

fn producer_config(config: &KafkaConfig) -> ClientConfig {
    let mut c = base_config(config);
    c.set("enable.idempotence", "true")
        .set("acks", "all")
        .set("compression.type", &config.compression)
        .set("linger.ms", config.linger_ms.to_string())
        .set("message.max.bytes", config.message_max_bytes.to_string())
        .set("message.timeout.ms", config.produce_timeout_ms.to_string());
    for (k, v) in &config.properties {
        c.set(k, v);
    }
    c
}

fn consumer_config(config: &KafkaConfig, group: &str) -> ClientConfig {
    let mut c = base_config(config);
    let heartbeat = (config.session_timeout_ms / 3).clamp(1, 3_000);
    c.set("group.id", group)
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", config.session_timeout_ms.to_string())
        .set("heartbeat.interval.ms", heartbeat.to_string())
        .set(
            "auto.commit.interval.ms",
            config.commit_interval_ms.to_string(),
        )
        .set(
            "fetch.message.max.bytes",
            config.message_max_bytes.to_string(),
        );
    for (k, v) in &config.properties {
        c.set(k, v);
    }
    c
}

fn producer(config: &KafkaConfig) -> Result<FutureProducer, SourceError> {
    config.validate().map_err(SourceError::Config)?;
    producer_config(config)
        .create()
        .map_err(|e| SourceError::Config(format!("creating a Kafka producer: {e}")))
}

/// Creates the topics that do not exist yet: pages (retention `pages_retention_ms`, segments of
/// a quarter of it), alerts, crawl-tasks, crawl-schedule and dead-letter (retention `retention_ms`). Existing
/// topics are left as they are.
pub async fn ensure_topics(config: &KafkaConfig) -> Result<(), SourceError> {
    config.validate().map_err(SourceError::Config)?;
    let admin: AdminClient<DefaultClientContext> = base_config(config)
        .create()
        .map_err(|e| SourceError::Config(format!("creating a Kafka admin client: {e}")))?;
    let pages_retention = config.pages_retention_ms.to_string();
    // Kafka deletes whole closed segments only: without a short `segment.ms` page bodies would
    // outlive `retention.ms` until the segment rolls (a week by default). A quarter of the
    // retention (at least a minute) bounds their life to 1.25 × `pages_retention_ms`.
    let pages_segment = (config.pages_retention_ms / 4)
        .max(60_000)
        .min(config.pages_retention_ms)
        .to_string();
    let retention = config.retention_ms.to_string();
    let max_bytes = config.message_max_bytes.to_string();
    let rf = || TopicReplication::Fixed(config.replication_factor);
    let topics = [
        NewTopic::new(&config.pages_topic, config.partitions, rf())
            .set("retention.ms", &pages_retention)
            .set("segment.ms", &pages_segment)
            .set("max.message.bytes", &max_bytes),
        NewTopic::new(&config.alerts_topic, config.partitions, rf())
            .set("retention.ms", &retention),
        NewTopic::new(&config.crawl_tasks_topic, config.partitions, rf())
            .set("retention.ms", &retention),
        NewTopic::new(&config.crawl_schedule_topic, config.partitions, rf())
            .set("retention.ms", &retention),
        NewTopic::new(&config.dead_letter_topic, 1, rf()).set("retention.ms", &retention),
    ];
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics(topics.iter(), &opts)
        .await
        .map_err(|e| transport("creating topics", e))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(transport(&format!("creating topic {topic}"), code));
            }
        }
    }
    Ok(())
}

/// The headers of a page message.
pub fn page_headers(page: &Page) -> Result<OwnedHeaders, SinkError> {
    let meta = serde_json::to_vec(&page.meta()).map_err(|e| SinkError::Encode(e.to_string()))?;
    let version = PAGE_VERSION.to_string();
    Ok(OwnedHeaders::new_with_capacity(3)
        .insert(Header {
            key: HEADER_VERSION,
            value: Some(version.as_bytes()),
        })
        .insert(Header {
            key: HEADER_TYPE,
            value: Some("page".as_bytes()),
        })
        .insert(Header {
            key: HEADER_META,
            value: Some(meta.as_slice()),
        }))
}

fn header<'m>(msg: &'m impl Message, key: &str) -> Option<&'m [u8]> {
    msg.headers()?
        .iter()
        .find(|h| h.key == key)
        .and_then(|h| h.value)
}

/// Decodes a page message; the error says why (for the dead-letter topic).
pub fn decode_page(msg: &impl Message) -> Result<Page, String> {
    Page::from_wire(
        header(msg, HEADER_VERSION),
        header(msg, HEADER_META),
        msg.payload().unwrap_or_default(),
    )
}

/// Decodes an alert message; the error says why (for the dead-letter topic).
pub fn decode_alert(msg: &impl Message) -> Result<Alert, String> {
    Alert::from_json(msg.payload().unwrap_or_default())
}

/// Produces pages to the pages topic (the crawler's sink over Kafka).
pub struct KafkaPageSink {
    producer: FutureProducer,
    topic: String,
    timeout: Duration,
}

impl KafkaPageSink {
    /// An idempotent producer for `config.pages_topic`.
    pub fn new(config: &KafkaConfig) -> Result<KafkaPageSink, SourceError> {
        Ok(KafkaPageSink {
            producer: producer(config)?,
            topic: config.pages_topic.clone(),
            timeout: Duration::from_millis(config.produce_timeout_ms),
        })
    }
}

impl std::fmt::Debug for KafkaPageSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KafkaPageSink({})", self.topic)
    }
}

impl PageSink for KafkaPageSink {
    fn send(&self, page: Page) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            let headers = page_headers(&page)?;
            let record = FutureRecord::to(&self.topic)
                .key(page.url.as_bytes())
                .payload(page.body.as_slice())
                .headers(headers);
            self.producer
                .send(record, self.timeout)
                .await
                .map(|_| ())
                .map_err(|(e, _)| SinkError::Transport(format!("producing a page: {e}")))
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        let producer = self.producer.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            tokio::task::spawn_blocking(move || producer.flush(timeout))
                .await
                .map_err(|e| SinkError::Transport(format!("flushing pages: {e}")))?
                .map_err(|e| SinkError::Transport(format!("flushing pages: {e}")))
        })
    }
}

/// Produces alerts to the alerts topic (the matcher's sink over Kafka), keyed by alert id.
pub struct KafkaAlertSink {
    producer: FutureProducer,
    topic: String,
    timeout: Duration,
}

impl KafkaAlertSink {
    /// An idempotent producer for `config.alerts_topic`.
    pub fn new(config: &KafkaConfig) -> Result<KafkaAlertSink, SourceError> {
        Ok(KafkaAlertSink {
            producer: producer(config)?,
            topic: config.alerts_topic.clone(),
            timeout: Duration::from_millis(config.produce_timeout_ms),
        })
    }
}

impl std::fmt::Debug for KafkaAlertSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KafkaAlertSink({})", self.topic)
    }
}

impl AlertSink for KafkaAlertSink {
    fn send(&self, alerts: Vec<Alert>) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            let mut pending = tokio::task::JoinSet::new();
            for alert in alerts {
                let producer = self.producer.clone();
                let topic = self.topic.clone();
                let timeout = self.timeout;
                pending.spawn(async move {
                    let value = alert.to_json();
                    let version = crate::ALERT_VERSION.to_string();
                    let headers = OwnedHeaders::new_with_capacity(2)
                        .insert(Header {
                            key: HEADER_VERSION,
                            value: Some(version.as_bytes()),
                        })
                        .insert(Header {
                            key: HEADER_TYPE,
                            value: Some("alert".as_bytes()),
                        });
                    let record = FutureRecord::to(&topic)
                        .key(alert.id.as_bytes())
                        .payload(value.as_slice())
                        .headers(headers);
                    producer
                        .send(record, timeout)
                        .await
                        .map(|_| ())
                        .map_err(|(e, _)| SinkError::Transport(format!("producing an alert: {e}")))
                });
            }
            let mut result = Ok(());
            while let Some(joined) = pending.join_next().await {
                let r = joined
                    .map_err(|e| SinkError::Transport(format!("producing an alert: {e}")))
                    .and_then(|r| r);
                if result.is_ok() {
                    result = r;
                }
            }
            result
        })
    }
}

/// Per partition: offsets delivered and not yet acknowledged, the highest delivered, and the
/// last stored.
#[derive(Debug, Default)]
struct PartitionState {
    in_flight: BTreeSet<i64>,
    highest: i64,
    stored: i64,
}

#[derive(Debug, Default)]
struct Tracker {
    partitions: HashMap<i32, PartitionState>,
}

impl Tracker {
    fn delivered(&mut self, partition: i32, offset: i64) {
        let p = self
            .partitions
            .entry(partition)
            .or_insert_with(|| PartitionState {
                in_flight: BTreeSet::new(),
                highest: offset - 1,
                stored: offset - 1,
            });
        p.in_flight.insert(offset);
        p.highest = p.highest.max(offset);
    }

    /// Acknowledges `offset`; returns the offset to store (the last one such that it and every
    /// earlier delivered one are acknowledged), if it moved.
    fn acked(&mut self, partition: i32, offset: i64) -> Option<i64> {
        let p = self.partitions.get_mut(&partition)?;
        if !p.in_flight.remove(&offset) {
            return None;
        }
        let done = match p.in_flight.first() {
            Some(first) => first - 1,
            None => p.highest,
        };
        if done > p.stored {
            p.stored = done;
            Some(done)
        } else {
            None
        }
    }

    fn revoked(&mut self, tpl: &TopicPartitionList) {
        for e in tpl.elements() {
            self.partitions.remove(&e.partition());
        }
    }
}

/// Forgets the in-flight state of revoked partitions (their messages go to another consumer,
/// which will process the unacknowledged ones again).
struct TrackingContext {
    tracker: Arc<Mutex<Tracker>>,
}

impl ClientContext for TrackingContext {}

fn partitions(tpl: &TopicPartitionList) -> String {
    let mut p: Vec<String> = tpl
        .elements()
        .iter()
        .map(|e| format!("{}/{}", e.topic(), e.partition()))
        .collect();
    p.sort();
    p.join(" ")
}

impl ConsumerContext for TrackingContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(tpl) => {
                // Operational log line: topic and partition numbers only.
                eprintln!("kafka consumer: partitions revoked: [{}]", partitions(tpl));
                self.tracker
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .revoked(tpl);
            }
            Rebalance::Assign(tpl) => {
                eprintln!("kafka consumer: partitions assigned: [{}]", partitions(tpl));
            }
            Rebalance::Error(e) => eprintln!("kafka consumer: rebalance error: {e}"),
        }
    }
}

type Decode<T> = fn(&BorrowedMessage<'_>) -> Result<T, String>;

/// Consumes one topic in a consumer group, as a [`MessageSource`]: [`KafkaSource::pages`] for
/// the matchers, [`KafkaSource::alerts`] for the alert store.
pub struct KafkaSource<T> {
    consumer: StreamConsumer<TrackingContext>,
    topic: String,
    decode: Decode<T>,
    tracker: Arc<Mutex<Tracker>>,
    dead_letter: FutureProducer,
    dead_letter_topic: String,
    timeout: Duration,
    recv_lock: tokio::sync::Mutex<()>,
    closed: (
        tokio::sync::watch::Sender<bool>,
        tokio::sync::watch::Receiver<bool>,
    ),
}

impl<T> std::fmt::Debug for KafkaSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KafkaSource({})", self.topic)
    }
}

impl KafkaSource<Page> {
    /// Pages from `config.pages_topic`, in the group `config.matcher_group`.
    pub fn pages(config: &KafkaConfig) -> Result<KafkaSource<Page>, SourceError> {
        KafkaSource::new(config, &config.pages_topic, &config.matcher_group, |m| {
            decode_page(m)
        })
    }
}

impl KafkaSource<Alert> {
    /// Alerts from `config.alerts_topic`, in the group `config.store_group`.
    pub fn alerts(config: &KafkaConfig) -> Result<KafkaSource<Alert>, SourceError> {
        KafkaSource::new(config, &config.alerts_topic, &config.store_group, |m| {
            decode_alert(m)
        })
    }
}

#[derive(Serialize)]
struct DeadLetter<'a> {
    topic: &'a str,
    partition: i32,
    offset: i64,
    reason: &'a str,
    at_ms: u64,
}

/// Reports an undecodable message on the dead-letter topic: where it was and why, with its key,
/// never its value.
async fn dead_letter(
    producer: &FutureProducer,
    topic: &str,
    timeout: Duration,
    msg: &BorrowedMessage<'_>,
    reason: &str,
) -> Result<(), SourceError> {
    let body = serde_json::to_vec(&DeadLetter {
        topic: msg.topic(),
        partition: msg.partition(),
        offset: msg.offset(),
        reason,
        at_ms: crate::alert::now_ms(),
    })
    .map_err(|e| transport("encoding a dead letter", e))?;
    let headers = OwnedHeaders::new().insert(Header {
        key: HEADER_TYPE,
        value: Some("dead-letter".as_bytes()),
    });
    let mut record = FutureRecord::to(topic)
        .payload(body.as_slice())
        .headers(headers);
    if let Some(key) = msg.key() {
        record = record.key(key);
    }
    producer
        .send(record, timeout)
        .await
        .map(|_| ())
        .map_err(|(e, _)| transport("producing a dead letter", e))
}

impl<T: Send + 'static> KafkaSource<T> {
    fn new(
        config: &KafkaConfig,
        topic: &str,
        group: &str,
        decode: Decode<T>,
    ) -> Result<KafkaSource<T>, SourceError> {
        config.validate().map_err(SourceError::Config)?;
        let tracker = Arc::new(Mutex::new(Tracker::default()));
        let consumer: StreamConsumer<TrackingContext> = consumer_config(config, group)
            .create_with_context(TrackingContext {
                tracker: tracker.clone(),
            })
            .map_err(|e| SourceError::Config(format!("creating a Kafka consumer: {e}")))?;
        consumer
            .subscribe(&[topic])
            .map_err(|e| transport(&format!("subscribing to {topic}"), e))?;
        Ok(KafkaSource {
            consumer,
            topic: topic.to_owned(),
            decode,
            tracker,
            dead_letter: producer(config)?,
            dead_letter_topic: config.dead_letter_topic.clone(),
            timeout: Duration::from_millis(config.produce_timeout_ms),
            recv_lock: tokio::sync::Mutex::new(()),
            closed: tokio::sync::watch::channel(false),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn store(&self, partition: i32, offset: i64) {
        if let Some(done) = self.lock().acked(partition, offset) {
            // Fails only when the partition was revoked meanwhile: the new owner processes the
            // unstored messages again, which is safe.
            let _ = self.consumer.store_offset(&self.topic, partition, done);
        }
    }

    async fn dead_letter(
        &self,
        msg: &BorrowedMessage<'_>,
        reason: &str,
    ) -> Result<(), SourceError> {
        dead_letter(
            &self.dead_letter,
            &self.dead_letter_topic,
            self.timeout,
            msg,
            reason,
        )
        .await
    }

    /// Commits the stored offsets now (call at shutdown, after the last acknowledgement).
    pub fn commit(&self) -> Result<(), SourceError> {
        match self.consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => Ok(()),
            Err(e) => Err(transport("committing offsets", e)),
        }
    }

    async fn next_inner(&self) -> Result<Option<Delivery<T>>, SourceError> {
        let _guard = self.recv_lock.lock().await;
        let mut closed = self.closed.1.clone();
        loop {
            if *closed.borrow() {
                return Ok(None);
            }
            let msg = tokio::select! {
                m = recv_through_outages(&self.consumer, &self.topic) => m?,
                _ = closed.wait_for(|c| *c) => return Ok(None),
            };
            let (partition, offset) = (msg.partition(), msg.offset());
            self.lock().delivered(partition, offset);
            match (self.decode)(&msg) {
                Ok(item) => {
                    return Ok(Some(Delivery {
                        item,
                        ack: Ack(AckInner::Kafka { partition, offset }),
                    }));
                }
                Err(reason) => {
                    metrics::counter!("leakwatch_dead_letters_total", "topic" => self.topic.clone())
                        .increment(1);
                    self.dead_letter(&msg, &reason).await?;
                    self.store(partition, offset);
                }
            }
        }
    }
}

impl<T: Send + 'static> MessageSource<T> for KafkaSource<T> {
    fn next(&self) -> BoxFuture<'_, Result<Option<Delivery<T>>, SourceError>> {
        Box::pin(self.next_inner())
    }

    fn ack(&self, ack: Ack) -> BoxFuture<'_, Result<(), SourceError>> {
        if let AckInner::Kafka { partition, offset } = ack.0 {
            self.store(partition, offset);
        }
        Box::pin(async { Ok(()) })
    }

    fn close(&self) {
        let _ = self.closed.0.send(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::message::OwnedMessage;
    use rdkafka::{Timestamp, message::ToBytes};

    fn owned(page: &Page) -> OwnedMessage {
        OwnedMessage::new(
            Some(page.body.clone()),
            Some(page.url.to_bytes().to_vec()),
            "pages".into(),
            Timestamp::NotAvailable,
            0,
            0,
            Some(page_headers(page).unwrap()),
        )
    }

    #[test]
    fn broker_outages_are_waited_out_other_consumer_errors_fail() {
        use RDKafkaErrorCode as C;
        let table = [
            (KafkaError::MessageConsumption(C::AllBrokersDown), true),
            (
                KafkaError::MessageConsumption(C::BrokerTransportFailure),
                true,
            ),
            (KafkaError::Global(C::AllBrokersDown), true),
            (
                KafkaError::MessageConsumption(C::CoordinatorNotAvailable),
                true,
            ),
            (
                KafkaError::MessageConsumption(C::TopicAuthorizationFailed),
                false,
            ),
            (
                KafkaError::MessageConsumption(C::UnknownTopicOrPartition),
                false,
            ),
            (KafkaError::MessageConsumption(C::Fatal), false),
            (KafkaError::ConsumerCommit(C::AllBrokersDown), false),
        ];
        for (e, transient) in table {
            assert_eq!(transient_consume_error(&e), transient, "{e:?}");
        }
    }

    #[test]
    fn pages_round_trip_and_bad_ones_say_why() {
        let mut page = Page::new("http://x/1".into(), "s".into(), 5, 200, b"body".to_vec());
        page.charset = Some("Shift_JIS".into());
        assert_eq!(decode_page(&owned(&page)).unwrap(), page);

        let mut tampered = owned(&page);
        tampered = OwnedMessage::new(
            Some(b"other".to_vec()),
            tampered.key().map(<[u8]>::to_vec),
            "pages".into(),
            Timestamp::NotAvailable,
            0,
            0,
            tampered.headers().cloned(),
        );
        assert!(
            decode_page(&tampered)
                .unwrap_err()
                .contains("does not match")
        );
        let bare = OwnedMessage::new(
            Some(b"x".to_vec()),
            None,
            "pages".into(),
            Timestamp::NotAvailable,
            0,
            0,
            None,
        );
        assert!(decode_page(&bare).unwrap_err().contains("lw-version"));
    }

    #[test]
    fn offsets_are_stored_only_behind_a_contiguous_prefix() {
        let mut t = Tracker::default();
        for o in 10..14 {
            t.delivered(0, o);
        }
        assert_eq!(t.acked(0, 11), None, "10 is still in flight");
        assert_eq!(t.acked(0, 10), Some(11));
        assert_eq!(t.acked(0, 13), None);
        assert_eq!(t.acked(0, 12), Some(13));
        assert_eq!(t.acked(0, 12), None, "a second ack is ignored");
        assert_eq!(t.acked(1, 0), None, "unknown partition");
    }
}
