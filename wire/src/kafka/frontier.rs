//! [`KafkaFrontier`]: the crawl frontier shared by crawler replicas through the crawl-tasks topic.
//!
//! Every replica produces the tasks it makes (seeds, discovered links, next listing pages,
//! re-polls, retries) to `crawl_tasks_topic`, keyed by [`CrawlTask::partition_key`] (the host),
//! and consumes the topic in one consumer group (`crawler_group`). So all tasks of one host land
//! on one partition and are handled by the one replica that owns it, which keeps per-host
//! politeness and the seen-state right without a coordinator.
//!
//! A consumed task that is not due yet waits in a local delay queue. Its offset is stored (and
//! then auto-committed) only after [`Frontier::done`], and only once every earlier task of its
//! partition is done too (the same tracking as [`super::KafkaSource`]): a replica killed with
//! SIGKILL loses no task, since its partitions' unacknowledged tasks are delivered again to the
//! replica that owns them next. When partitions are revoked, their waiting tasks are dropped
//! here (the next owner gets them from the last committed offset).
//!
//! **The schedule.** A task due later than `schedule_after_ms` from now (a re-poll, a recrawl,
//! a retry with a long back-off) is produced to `crawl_schedule_topic` instead, also keyed by
//! host. Every replica also consumes that topic, in `scheduler_group`, into a second delay
//! queue of the same kind, and when a task there is due it produces it to `crawl_tasks_topic`
//! and only then acknowledges it on the schedule. So the offsets of `crawler_group` are held
//! back only by tasks that are due or nearly due, and the group's consumer lag on
//! `crawl_tasks_topic` measures work to do now: an autoscaler can scale on it (KEDA's Kafka
//! scaler). A replica killed between the two steps makes its next owner move the task again; a
//! task done twice is harmless (the crawler's seen-state skips what it already fetched).
//!
//! Message format: key = host, value = the task as JSON, headers `lw-version: 1`,
//! `lw-type: crawl-task`. A message that does not decode is reported on the dead-letter topic
//! and acknowledged.
//!
//! Unlike the crawler's local frontier, this one is never finished: [`Frontier::next`] returns
//! `Ok(None)` only after [`Frontier::close`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientContext, TopicPartitionList};
use tokio::sync::Notify;

use super::{
    HEADER_TYPE, HEADER_VERSION, Tracker, consumer_config, dead_letter, header, partitions,
    producer, transport,
};
use crate::{
    BoxFuture, CrawlTask, FRONTIER_TASKS, Frontier, FrontierError, KafkaConfig, SCHEDULED_TASKS,
    SourceError,
};

/// Version of the crawl-task message format.
pub const TASK_VERSION: u32 = 1;

/// Tasks held locally (waiting or handed out) by one consumer before it pauses.
const MAX_HELD: usize = 100_000;

/// Due tasks moved from the schedule to the crawl-tasks topic in one batch, at most.
const MAX_FORWARD: usize = 1_000;

/// The crawl frontier over Kafka (see the module docs). Create it inside a Tokio runtime: it
/// spawns the tasks that consume the two topics and the one that moves due tasks from the
/// schedule.
pub struct KafkaFrontier {
    tasks: Arc<Held>,
    schedule: Arc<Held>,
    producer: FutureProducer,
    schedule_after_ms: u64,
    timeout: Duration,
    closed: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for KafkaFrontier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KafkaFrontier({}, schedule {})",
            self.tasks.topic, self.schedule.topic
        )
    }
}

struct Shared {
    state: Mutex<State>,
    changed: Notify,
    /// The gauge of the tasks waiting in `state` ([`FRONTIER_TASKS`] or [`SCHEDULED_TASKS`]).
    gauge: &'static str,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the gauge to the number of tasks waiting in `s` (this replica's share).
    fn report(&self, s: &State) {
        metrics::gauge!(self.gauge).set(s.queue.len() as f64);
    }
}

#[derive(Default)]
struct State {
    /// Consumed tasks waiting until due.
    queue: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    /// Tasks handed out and not done yet: the task's JSON → its (partition, offset)s.
    handed_out: HashMap<String, Vec<(i32, i64)>>,
    handed_out_len: usize,
    tracker: Tracker,
    closed: bool,
    /// The consumer failed; `next` reports it.
    failed: Option<String>,
}

struct Entry {
    not_before_ms: u64,
    seq: u64,
    partition: i32,
    offset: i64,
    json: String,
    task: CrawlTask,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.not_before_ms, self.seq) == (other.not_before_ms, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.not_before_ms, self.seq).cmp(&(other.not_before_ms, other.seq))
    }
}

impl State {
    /// Forgets everything of the revoked partitions: their next owner consumes their
    /// unacknowledged tasks again.
    fn revoke(&mut self, tpl: &TopicPartitionList) {
        let revoked: HashSet<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
        self.tracker.revoked(tpl);
        self.queue
            .retain(|Reverse(e)| !revoked.contains(&e.partition));
        for positions in self.handed_out.values_mut() {
            positions.retain(|(p, _)| !revoked.contains(p));
        }
        self.handed_out.retain(|_, v| !v.is_empty());
        self.handed_out_len = self.handed_out.values().map(Vec::len).sum();
    }

    /// Hands out the first waiting task, which must be due.
    fn hand_out(&mut self) -> Option<CrawlTask> {
        let Reverse(e) = self.queue.pop()?;
        self.handed_out
            .entry(e.json)
            .or_default()
            .push((e.partition, e.offset));
        self.handed_out_len += 1;
        Some(e.task)
    }

    /// A task was done: the offset to store, if it moved.
    fn done(&mut self, json: &str) -> Option<(i32, i64)> {
        let positions = self.handed_out.get_mut(json)?;
        let (partition, offset) = positions.remove(0);
        if positions.is_empty() {
            self.handed_out.remove(json);
        }
        self.handed_out_len -= 1;
        self.tracker
            .acked(partition, offset)
            .map(|done| (partition, done))
    }
}

/// Logs assignments and drops the local state of revoked partitions.
struct FrontierContext {
    shared: Arc<Shared>,
    /// What the log lines call this consumer.
    label: &'static str,
}

impl ClientContext for FrontierContext {}

impl ConsumerContext for FrontierContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let label = self.label;
        match rebalance {
            Rebalance::Revoke(tpl) => {
                // Operational log line: topic and partition numbers only.
                eprintln!("{label}: partitions revoked: [{}]", partitions(tpl));
                let mut s = self.shared.lock();
                s.revoke(tpl);
                self.shared.report(&s);
                drop(s);
                self.shared.changed.notify_waiters();
            }
            Rebalance::Assign(tpl) => {
                eprintln!("{label}: partitions assigned: [{}]", partitions(tpl));
            }
            Rebalance::Error(e) => eprintln!("{label}: rebalance error: {e}"),
        }
    }
}

/// Decodes a crawl-task message; the error says why (for the dead-letter topic).
pub fn decode_task(msg: &impl Message) -> Result<CrawlTask, String> {
    match header(msg, HEADER_VERSION) {
        Some(v) if v == TASK_VERSION.to_string().as_bytes() => {}
        Some(v) => {
            return Err(format!(
                "unsupported crawl-task version {:?}",
                String::from_utf8_lossy(v)
            ));
        }
        None => return Err(format!("no {HEADER_VERSION} header")),
    }
    serde_json::from_slice(msg.payload().unwrap_or_default())
        .map_err(|e| format!("crawl task: {e}"))
}

fn task_headers() -> OwnedHeaders {
    let version = TASK_VERSION.to_string();
    OwnedHeaders::new_with_capacity(2)
        .insert(Header {
            key: HEADER_VERSION,
            value: Some(version.as_bytes()),
        })
        .insert(Header {
            key: HEADER_TYPE,
            value: Some("crawl-task".as_bytes()),
        })
}

/// Produces `tasks` to `topic`, keyed by host, and waits until the broker has them all.
async fn produce(
    producer: &FutureProducer,
    topic: &str,
    tasks: &[CrawlTask],
    timeout: Duration,
) -> Result<(), FrontierError> {
    let mut values = Vec::with_capacity(tasks.len());
    for task in tasks {
        let json = serde_json::to_vec(task)
            .map_err(|e| FrontierError::Transport(format!("encoding a crawl task: {e}")))?;
        values.push(json);
    }
    let mut pending = Vec::with_capacity(tasks.len());
    for (task, value) in tasks.iter().zip(&values) {
        let mut record = FutureRecord::to(topic)
            .key(task.partition_key())
            .payload(value.as_slice())
            .headers(task_headers());
        let started = tokio::time::Instant::now();
        loop {
            match producer.send_result(record) {
                Ok(delivery) => {
                    pending.push(delivery);
                    break;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r))
                    if started.elapsed() < timeout =>
                {
                    record = r;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err((e, _)) => {
                    return Err(FrontierError::Transport(format!(
                        "producing a crawl task: {e}"
                    )));
                }
            }
        }
    }
    for delivery in pending {
        match delivery.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => {
                return Err(FrontierError::Transport(format!(
                    "producing a crawl task: {e}"
                )));
            }
            Err(_) => {
                return Err(FrontierError::Transport(
                    "producing a crawl task: the producer went away".into(),
                ));
            }
        }
    }
    Ok(())
}

/// One consumer group's share of a topic of crawl tasks: consumed into a local delay queue,
/// handed out when due, each offset stored once its task and every earlier one of its
/// partition are done.
struct Held {
    shared: Arc<Shared>,
    consumer: Arc<StreamConsumer<FrontierContext>>,
    topic: String,
}

impl Held {
    /// Joins `group` on `topic` and spawns the task that consumes it.
    fn start(
        config: &KafkaConfig,
        (group, topic): (&str, &str),
        (label, gauge): (&'static str, &'static str),
        runtime: &tokio::runtime::Handle,
        closed: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Held, SourceError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Notify::new(),
            gauge,
        });
        let consumer: StreamConsumer<FrontierContext> = consumer_config(config, group)
            .create_with_context(FrontierContext {
                shared: shared.clone(),
                label,
            })
            .map_err(|e| SourceError::Config(format!("creating a Kafka consumer: {e}")))?;
        consumer
            .subscribe(&[topic])
            .map_err(|e| transport(&format!("subscribing to {topic}"), e))?;
        let consumer = Arc::new(consumer);
        let pump = Pump {
            shared: shared.clone(),
            consumer: consumer.clone(),
            topic: topic.to_owned(),
            dead_letter: producer(config)?,
            dead_letter_topic: config.dead_letter_topic.clone(),
            timeout: Duration::from_millis(config.produce_timeout_ms),
            closed,
        };
        runtime.spawn(pump.run());
        Ok(Held {
            shared,
            consumer,
            topic: topic.to_owned(),
        })
    }

    /// Tasks consumed and waiting until due (not counting those handed out).
    fn waiting(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Waits until a task is due, then hands out the due tasks, `max` at most; none once
    /// closed.
    async fn next_due(&self, max: usize) -> Result<Vec<CrawlTask>, FrontierError> {
        loop {
            // Register interest before looking, so a change in between is not missed.
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wait = {
                let mut s = self.shared.lock();
                if s.closed {
                    return Ok(Vec::new());
                }
                if let Some(e) = &s.failed {
                    return Err(FrontierError::Transport(e.clone()));
                }
                let now = crate::alert::now_ms();
                let mut due = Vec::new();
                while due.len() < max
                    && s.queue
                        .peek()
                        .is_some_and(|Reverse(e)| e.not_before_ms <= now)
                {
                    due.extend(s.hand_out());
                }
                if !due.is_empty() {
                    self.shared.report(&s);
                    drop(s);
                    // The consumer may be paused on the number of tasks held.
                    self.shared.changed.notify_waiters();
                    return Ok(due);
                }
                s.queue
                    .peek()
                    .map(|Reverse(e)| Duration::from_millis(e.not_before_ms - now))
            };
            match wait {
                Some(d) => {
                    let _ = tokio::time::timeout(d, notified).await;
                }
                None => notified.await,
            }
        }
    }

    /// A handed-out task is done: stores the offset it releases, if any.
    fn done(&self, task: &CrawlTask) -> Result<(), FrontierError> {
        let json = serde_json::to_string(task)
            .map_err(|e| FrontierError::Transport(format!("encoding a crawl task: {e}")))?;
        let store = self.shared.lock().done(&json);
        if let Some((partition, offset)) = store {
            // Fails only when the partition was revoked meanwhile: its next owner handles the
            // task again, which is safe.
            let _ = self.consumer.store_offset(&self.topic, partition, offset);
        }
        self.shared.changed.notify_waiters();
        Ok(())
    }

    /// Commits the stored offsets now.
    fn commit(&self) -> Result<(), SourceError> {
        match self.consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => Ok(()),
            Err(e) => Err(transport(&format!("committing {} offsets", self.topic), e)),
        }
    }

    fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }

    fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_waiters();
    }

    /// Makes `next_due` report `reason` from now on.
    fn fail(&self, reason: String) {
        self.shared.lock().failed = Some(reason);
        self.shared.changed.notify_waiters();
    }
}

impl KafkaFrontier {
    /// Joins `config.crawler_group` on `config.crawl_tasks_topic` and `config.scheduler_group`
    /// on `config.crawl_schedule_topic`, and starts consuming both. Must be called inside a
    /// Tokio runtime.
    pub fn new(config: &KafkaConfig) -> Result<KafkaFrontier, SourceError> {
        config.validate().map_err(SourceError::Config)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            SourceError::Config("the Kafka crawl frontier needs a Tokio runtime".into())
        })?;
        let (closed, closed_rx) = tokio::sync::watch::channel(false);
        let tasks = Arc::new(Held::start(
            config,
            (&config.crawler_group, &config.crawl_tasks_topic),
            ("crawl frontier", FRONTIER_TASKS),
            &runtime,
            closed_rx.clone(),
        )?);
        let schedule = Arc::new(Held::start(
            config,
            (&config.scheduler_group, &config.crawl_schedule_topic),
            ("crawl schedule", SCHEDULED_TASKS),
            &runtime,
            closed_rx,
        )?);
        let producer = producer(config)?;
        let timeout = Duration::from_millis(config.produce_timeout_ms);
        runtime.spawn(forward(
            schedule.clone(),
            tasks.clone(),
            producer.clone(),
            timeout,
        ));
        Ok(KafkaFrontier {
            tasks,
            schedule,
            producer,
            schedule_after_ms: config.schedule_after_ms,
            timeout,
            closed,
        })
    }

    /// Tasks consumed from the crawl-tasks topic and waiting until due (not counting those
    /// handed out).
    pub fn waiting(&self) -> usize {
        self.tasks.waiting()
    }

    /// Tasks consumed from the schedule topic and waiting until due.
    pub fn scheduled(&self) -> usize {
        self.schedule.waiting()
    }

    /// Commits the stored offsets of both topics now (call at shutdown, after the last
    /// [`Frontier::done`]).
    pub fn commit(&self) -> Result<(), SourceError> {
        self.tasks.commit()?;
        self.schedule.commit()
    }

    async fn push_inner(&self, tasks: Vec<CrawlTask>) -> Result<(), FrontierError> {
        let later = crate::alert::now_ms().saturating_add(self.schedule_after_ms);
        let (scheduled, soon): (Vec<_>, Vec<_>) =
            tasks.into_iter().partition(|t| t.not_before_ms > later);
        for (topic, tasks) in [(&self.tasks.topic, soon), (&self.schedule.topic, scheduled)] {
            if !tasks.is_empty() {
                produce(&self.producer, topic, &tasks, self.timeout).await?;
            }
        }
        Ok(())
    }
}

/// Moves due tasks from the schedule to the crawl-tasks topic, acknowledging each on the
/// schedule only once the broker has its copy. A failed produce is tried again (the tasks stay
/// unacknowledged meanwhile) until it succeeds or the frontier closes.
async fn forward(
    schedule: Arc<Held>,
    tasks: Arc<Held>,
    producer: FutureProducer,
    timeout: Duration,
) {
    loop {
        let due = match schedule.next_due(MAX_FORWARD).await {
            Ok(due) if due.is_empty() => return,
            Ok(due) => due,
            Err(e) => {
                tasks.fail(format!("crawl schedule: {e}"));
                return;
            }
        };
        let mut backoff = Duration::from_millis(100);
        while let Err(e) = produce(&producer, &tasks.topic, &due, timeout).await {
            if schedule.is_closed() {
                return;
            }
            // Operational log line: the error says which topic, never a task's contents.
            eprintln!(
                "crawl schedule: moving {} due task(s) to {}: {e}; retrying in {} ms",
                due.len(),
                tasks.topic,
                backoff.as_millis()
            );
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
        for task in &due {
            // Fails only on a task that does not encode, which could not have been consumed.
            let _ = schedule.done(task);
        }
    }
}

impl Frontier for KafkaFrontier {
    fn push(&self, tasks: Vec<CrawlTask>) -> BoxFuture<'_, Result<(), FrontierError>> {
        Box::pin(self.push_inner(tasks))
    }

    fn next(&self) -> BoxFuture<'_, Result<Option<CrawlTask>, FrontierError>> {
        Box::pin(async move { Ok(self.tasks.next_due(1).await?.pop()) })
    }

    fn done(&self, task: &CrawlTask) -> BoxFuture<'_, Result<(), FrontierError>> {
        let result = self.tasks.done(task);
        Box::pin(async move { result })
    }

    fn close(&self) {
        self.tasks.close();
        self.schedule.close();
        let _ = self.closed.send(true);
    }
}

/// Consumes the topic into the local delay queue.
struct Pump {
    shared: Arc<Shared>,
    consumer: Arc<StreamConsumer<FrontierContext>>,
    topic: String,
    dead_letter: FutureProducer,
    dead_letter_topic: String,
    timeout: Duration,
    closed: tokio::sync::watch::Receiver<bool>,
}

impl Pump {
    async fn run(mut self) {
        if let Err(e) = self.consume().await {
            self.shared.lock().failed = Some(e.to_string());
            self.shared.changed.notify_waiters();
        }
    }

    async fn consume(&mut self) -> Result<(), SourceError> {
        loop {
            // Pause while many tasks are held (a long backlog); `next` and `done` wake us.
            loop {
                let notified = self.shared.changed.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                {
                    let s = self.shared.lock();
                    if s.closed {
                        return Ok(());
                    }
                    if s.queue.len() + s.handed_out_len < MAX_HELD {
                        break;
                    }
                }
                notified.await;
            }
            let msg = tokio::select! {
                m = super::recv_through_outages(&self.consumer, &self.topic) => m?,
                _ = self.closed.wait_for(|c| *c) => return Ok(()),
            };
            self.take(&msg).await?;
        }
    }

    async fn take(&self, msg: &BorrowedMessage<'_>) -> Result<(), SourceError> {
        let (partition, offset) = (msg.partition(), msg.offset());
        match decode_task(msg) {
            Ok(task) => {
                let json = serde_json::to_string(&task)
                    .map_err(|e| transport("encoding a crawl task", e))?;
                {
                    let mut s = self.shared.lock();
                    s.tracker.delivered(partition, offset);
                    s.seq += 1;
                    let seq = s.seq;
                    s.queue.push(Reverse(Entry {
                        not_before_ms: task.not_before_ms,
                        seq,
                        partition,
                        offset,
                        json,
                        task,
                    }));
                    self.shared.report(&s);
                }
                self.shared.changed.notify_waiters();
            }
            Err(reason) => {
                metrics::counter!("leakwatch_dead_letters_total", "topic" => self.topic.clone())
                    .increment(1);
                dead_letter(
                    &self.dead_letter,
                    &self.dead_letter_topic,
                    self.timeout,
                    msg,
                    &reason,
                )
                .await?;
                let store = {
                    let mut s = self.shared.lock();
                    s.tracker.delivered(partition, offset);
                    s.tracker.acked(partition, offset)
                };
                if let Some(done) = store {
                    let _ = self.consumer.store_offset(&self.topic, partition, done);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskKind;
    use rdkafka::Timestamp;
    use rdkafka::message::OwnedMessage;

    fn task(url: &str, not_before_ms: u64) -> CrawlTask {
        CrawlTask {
            source: "s".into(),
            kind: TaskKind::Listing { page: 0 },
            url: url.into(),
            host: "h:1".into(),
            depth: 0,
            not_before_ms,
            attempt: 0,
            created_at_ms: 1,
            published_at_ms: None,
        }
    }

    fn message(value: &[u8], headers: Option<OwnedHeaders>) -> OwnedMessage {
        OwnedMessage::new(
            Some(value.to_vec()),
            Some(b"h:1".to_vec()),
            "crawl-tasks".into(),
            Timestamp::NotAvailable,
            0,
            0,
            headers,
        )
    }

    #[test]
    fn tasks_round_trip_and_bad_ones_say_why() {
        let t = task("http://h:1/list", 5);
        let json = serde_json::to_vec(&t).unwrap();
        // (value, headers, Ok or the start of the error)
        type Case<'a> = (&'a [u8], Option<OwnedHeaders>, Result<(), &'a str>);
        let cases: [Case<'_>; 4] = [
            (&json, Some(task_headers()), Ok(())),
            (&json, None, Err("no lw-version header")),
            (
                &json,
                Some(OwnedHeaders::new().insert(Header {
                    key: HEADER_VERSION,
                    value: Some("9".as_bytes()),
                })),
                Err("unsupported crawl-task version"),
            ),
            (b"{not json", Some(task_headers()), Err("crawl task:")),
        ];
        for (value, headers, want) in cases {
            let got = decode_task(&message(value, headers));
            match want {
                Ok(()) => assert_eq!(got.unwrap(), t),
                Err(prefix) => assert!(got.unwrap_err().starts_with(prefix)),
            }
        }
    }

    fn entry(s: &mut State, partition: i32, offset: i64, t: CrawlTask) {
        s.tracker.delivered(partition, offset);
        s.seq += 1;
        let json = serde_json::to_string(&t).unwrap();
        s.queue.push(Reverse(Entry {
            not_before_ms: t.not_before_ms,
            seq: s.seq,
            partition,
            offset,
            json,
            task: t,
        }));
    }

    fn hand_out(s: &mut State) -> CrawlTask {
        s.hand_out().unwrap()
    }

    #[test]
    fn offsets_move_only_when_earlier_tasks_are_done_and_revocation_forgets() {
        let mut s = State::default();
        entry(&mut s, 0, 10, task("http://h:1/a", 1));
        entry(&mut s, 0, 11, task("http://h:1/b", 2));
        entry(&mut s, 1, 5, task("http://h:1/c", 3));
        let a = hand_out(&mut s);
        let b = hand_out(&mut s);
        let json = |t: &CrawlTask| serde_json::to_string(t).unwrap();
        assert_eq!(s.done(&json(&b)), None, "10 is not done yet");
        assert_eq!(s.done(&json(&a)), Some((0, 11)));
        assert_eq!(s.done(&json(&a)), None, "a second done is ignored");
        // Partition 1 goes to another replica: its waiting task is dropped here.
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition("crawl-tasks", 1);
        s.revoke(&tpl);
        assert!(s.queue.is_empty());
        assert_eq!(s.handed_out_len, 0);
    }
}
