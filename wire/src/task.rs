//! [`CrawlTask`] and the [`Frontier`] that holds them.

use serde::{Deserialize, Serialize};

use crate::{BoxFuture, FrontierError};

/// What a task's URL is, for the source that handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TaskKind {
    /// A listing (a paste API's "recent" JSON, an HTML index page); `page` counts pagination
    /// from 0. Listings are navigation: they are never emitted.
    Listing {
        /// Page number within one poll of the listing, from 0.
        page: u32,
    },
    /// An HTML page of one item whose raw content is linked or embedded (`html_listing`).
    ItemPage,
    /// A document to emit as it is (a raw paste).
    Item,
    /// A page of a link-following crawl (`site`, `onion`): emitted, and its same-host links
    /// followed up to the source's depth.
    Page,
}

/// One unit of crawl work: fetch `url` for `source` and let the source handle the response.
///
/// Tasks are what crawler replicas share: a frontier backed by a Kafka topic keys each task by
/// [`CrawlTask::partition_key`], so one host's tasks go to one partition and one replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrawlTask {
    /// Id of the configured source.
    pub source: String,
    /// What the URL is.
    pub kind: TaskKind,
    /// Absolute URL, without fragment.
    pub url: String,
    /// `host[:port]` of `url`, lower-cased: the politeness and partitioning key.
    pub host: String,
    /// Link depth from the source's seed (0 for seeds and listings).
    pub depth: u32,
    /// Do not start before this Unix time in milliseconds (re-polls, retries, backoff).
    pub not_before_ms: u64,
    /// Retries so far (0 on the first attempt).
    pub attempt: u32,
    /// When the task was created, Unix ms (for lag metrics).
    pub created_at_ms: u64,
    /// When the item was published, Unix ms, if the listing said so (for lag metrics).
    pub published_at_ms: Option<u64>,
}

impl CrawlTask {
    /// The key a shared frontier partitions by: the task's host.
    pub fn partition_key(&self) -> &str {
        &self.host
    }
}

/// Where crawl tasks wait until they are due.
///
/// The crawler's in-process frontier implements it for one process; `kafka::KafkaFrontier`
/// (feature `kafka`: a `crawl-tasks` topic keyed by host, replicas in one consumer group) lets
/// several crawler replicas share the work without a coordinator.
pub trait Frontier: Send + Sync {
    /// Adds tasks (seeds, discovered links, next listing pages, re-polls, retries).
    fn push(&self, tasks: Vec<CrawlTask>) -> BoxFuture<'_, Result<(), FrontierError>>;
    /// Waits for the next due task. `Ok(None)` means the frontier is finished: it is closed, or
    /// (a local frontier) it is empty with no task in progress that could add more. A shared
    /// frontier is never finished until closed: another replica may always add tasks.
    fn next(&self) -> BoxFuture<'_, Result<Option<CrawlTask>, FrontierError>>;
    /// Marks a task from [`Frontier::next`] as handled; the tasks it produced were pushed before.
    /// A shared frontier forgets (acknowledges) the task only now: a task handed out and never
    /// done is handed out again (to whichever replica owns it next).
    fn done(&self, task: &CrawlTask) -> BoxFuture<'_, Result<(), FrontierError>>;
    /// Stops handing out tasks; pending `next` calls return `Ok(None)`.
    fn close(&self);
}

/// Gauge: tasks a frontier holds until due (the crawler's in-process frontier, or the tasks a
/// Kafka frontier replica holds from the crawl-tasks topic).
pub const FRONTIER_TASKS: &str = "leakwatch_crawler_frontier_tasks";
/// Gauge: tasks a Kafka frontier replica holds from the schedule topic until due.
pub const SCHEDULED_TASKS: &str = "leakwatch_crawler_scheduled_tasks";
