//! The crawl loop: workers take tasks from the frontier, fetch politely, let the source handle
//! the response, dedup against the seen-state and hand pages to the sink.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use url::Url;
use wire::{CrawlTask, Frontier, Page, PageSink, body_hash};

use crate::config::CrawlConfig;
use crate::error::{FetchError, FetchErrorKind, Retry};
use crate::frontier::LocalFrontier;
use crate::http::connect::Connector;
use crate::http::{Fetched, Fetcher, Outcome, retry};
use crate::politeness::HostGate;
use crate::seen::{Seen, SeenStore};
use crate::sources::{Emit, Source, SourceConfig};
use crate::stats::{SkipReason, Stats, StatsSnapshot};
use crate::util::now_ms;
use crate::{Error, metrics};

/// A configured crawler. Build it with [`Crawler::new`], then [`Crawler::run`] (until the
/// frontier is finished: with `crawler.once`) or [`Crawler::run_until`] (until a stop signal).
pub struct Crawler {
    inner: Arc<Inner>,
}

struct Inner {
    config: CrawlConfig,
    sources: HashMap<String, Box<dyn Source>>,
    fetcher: Fetcher,
    gate: Arc<HostGate>,
    store: SeenStore,
    frontier: Arc<dyn Frontier>,
    sink: Arc<dyn PageSink>,
    stats: Arc<Stats>,
    /// (source, url) of each self-perpetuating task (listing polls, recrawl seeds) → its last
    /// poll, to collapse duplicate polling chains (see [`Inner::start_poll`]).
    polls: std::sync::Mutex<HashMap<(String, String), PollState>>,
}

/// The last poll of one self-perpetuating task on this replica.
#[derive(Debug, Clone, Copy)]
struct PollState {
    /// When the last poll started, or, once it has ended, when it ended (ms since the epoch).
    at_ms: u64,
    /// A poll is being handled (it may still wait for a slot of its host).
    in_flight: bool,
}

/// What [`Inner::start_poll`] decided for a task.
enum PollStart<'a> {
    /// Not a self-perpetuating task (or a `once` run): handle it.
    NotAPoll,
    /// A copy of a polling chain that already polls: drop it.
    Duplicate,
    /// Handle it; the poll counts as in flight until this is dropped.
    Started(InFlightPoll<'a>),
}

/// Marks a poll in flight; on drop (every way out of handling), the poll has ended now.
struct InFlightPoll<'a> {
    polls: &'a std::sync::Mutex<HashMap<(String, String), PollState>>,
    key: (String, String),
}

impl Drop for InFlightPoll<'_> {
    fn drop(&mut self) {
        let mut polls = self.polls.lock().unwrap_or_else(|e| e.into_inner());
        polls.insert(
            std::mem::take(&mut self.key),
            PollState {
                at_ms: now_ms(),
                in_flight: false,
            },
        );
    }
}

impl Crawler {
    /// A crawler with the in-process frontier and the seen-state at `crawler.state_path`.
    pub fn new(config: CrawlConfig, sink: Arc<dyn PageSink>) -> Result<Crawler, Error> {
        Crawler::with_frontier(config, sink, Arc::new(LocalFrontier::new()))
    }

    /// A crawler taking its tasks from `frontier` (the seam for a shared, Kafka-backed frontier).
    pub fn with_frontier(
        config: CrawlConfig,
        sink: Arc<dyn PageSink>,
        frontier: Arc<dyn Frontier>,
    ) -> Result<Crawler, Error> {
        config.validate()?;
        let mut sources = HashMap::new();
        for (i, sc) in config.sources.iter().enumerate() {
            let source = sc
                .build(config.crawler.once)
                .map_err(|e| Error::config(format!("source[{i}] ({}).{e}", sc.id())))?;
            sources.insert(sc.id().to_owned(), source);
        }
        let has_onion = config
            .sources
            .iter()
            .any(|s| matches!(s, SourceConfig::Onion(_)));
        let tor = if has_onion {
            tor_connector(&config)?
        } else {
            None
        };
        let gate = Arc::new(HostGate::new(config.politeness.clone()));
        let fetcher = Fetcher::new(
            config.fetch.clone(),
            config.crawler.user_agent.clone(),
            gate.clone(),
            tor,
            Duration::from_millis(config.onion.connect_timeout_ms),
        );
        let store = SeenStore::open(config.crawler.state_path.as_deref())?;
        Ok(Crawler {
            inner: Arc::new(Inner {
                config,
                sources,
                fetcher,
                gate,
                store,
                frontier,
                sink,
                stats: Arc::new(Stats::default()),
                polls: std::sync::Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The crawler's counters (shared; they keep counting while it runs).
    pub fn stats(&self) -> Arc<Stats> {
        self.inner.stats.clone()
    }

    /// The seed tasks of every source (pushed by `run_until` at every start, also with a shared
    /// frontier: duplicate polling chains are collapsed where the tasks are handled).
    pub fn seeds(&self) -> Vec<CrawlTask> {
        let now = now_ms();
        let mut ids: Vec<&String> = self.inner.sources.keys().collect();
        ids.sort();
        ids.into_iter()
            .flat_map(|id| self.inner.sources[id].seeds(now))
            .collect()
    }

    /// Seeds the frontier and crawls until it is finished (never, unless `crawler.once`).
    pub async fn run(&self) -> Result<StatsSnapshot, Error> {
        self.run_until(std::future::pending()).await
    }

    /// Seeds the frontier and crawls until it is finished or `stop` completes; then flushes the
    /// sink. Tasks in progress at `stop` are abandoned (their pages were not emitted, so they are
    /// fetched again next time).
    pub async fn run_until(&self, stop: impl Future<Output = ()>) -> Result<StatsSnapshot, Error> {
        self.inner.frontier.push(self.seeds()).await?;
        let mut workers = JoinSet::new();
        for _ in 0..self.inner.config.crawler.global_concurrency {
            workers.spawn(worker(self.inner.clone()));
        }
        let join_all = async {
            let mut result = Ok(());
            while let Some(joined) = workers.join_next().await {
                let r = joined.map_err(|e| Error::Bug(format!("crawler worker: {e}")));
                if let Err(e) = r.and_then(|r| r) {
                    if result.is_ok() {
                        result = Err(e);
                    }
                    self.inner.frontier.close();
                }
            }
            result
        };
        let result = tokio::select! {
            r = join_all => r,
            () = stop => {
                self.inner.frontier.close();
                Ok(())
            }
        };
        self.inner.sink.flush().await?;
        result.map(|()| self.inner.stats.snapshot())
    }
}

/// `leakwatch_crawler_duplicate_polls_total{source}`: polling-chain copies dropped.
fn metrics_duplicate_poll(source: &str) {
    ::metrics::counter!("leakwatch_crawler_duplicate_polls_total", "source" => source.to_owned())
        .increment(1);
}

#[cfg(feature = "onion")]
fn tor_connector(config: &CrawlConfig) -> Result<Option<Arc<dyn Connector>>, Error> {
    let connector = crate::sources::onion::tor::TorConnector::new(config.onion.clone());
    Ok(Some(Arc::new(connector)))
}

#[cfg(not(feature = "onion"))]
fn tor_connector(_config: &CrawlConfig) -> Result<Option<Arc<dyn Connector>>, Error> {
    Err(Error::config(
        "source: onion sources need the crawler built with its `onion` feature",
    ))
}

async fn worker(inner: Arc<Inner>) -> Result<(), Error> {
    while let Some(task) = inner.frontier.next().await? {
        let result = inner.process(&task).await;
        inner.frontier.done(&task).await?;
        result?;
    }
    Ok(())
}

impl Inner {
    /// Handles one task. Only errors that should stop the crawler (the seen-state store, the
    /// frontier) are returned; everything else is counted.
    async fn process(&self, task: &CrawlTask) -> Result<(), Error> {
        let Some(source) = self.sources.get(&task.source) else {
            self.stats
                .skipped(&task.source, &task.url, SkipReason::UnknownSource);
            return Ok(());
        };
        let source = source.as_ref();
        let id = source.id();
        let Ok(url) = Url::parse(&task.url) else {
            self.stats.skipped(id, &task.url, SkipReason::InvalidUrl);
            return Ok(());
        };
        if source.skip_if_seen(task) && self.store.get(&task.url)? != Seen::New {
            self.stats.skipped(id, &task.url, SkipReason::SeenUrl);
            return Ok(());
        }
        // A host that is not ready for a while (backoff, Retry-After, a long queue of slots):
        // put the task back rather than hold a worker.
        let wait = self.gate.wait_time(&task.host);
        if wait > Duration::from_millis(self.config.politeness.requeue_after_ms) {
            let mut later = task.clone();
            later.not_before_ms = now_ms() + wait.as_millis() as u64;
            self.frontier.push(vec![later]).await?;
            return Ok(());
        }
        let _poll = match self.start_poll(task, source) {
            PollStart::Duplicate => {
                metrics_duplicate_poll(id);
                return Ok(());
            }
            PollStart::Started(poll) => Some(poll),
            PollStart::NotAPoll => None,
        };
        let now = now_ms();
        let since = task
            .published_at_ms
            .unwrap_or(task.not_before_ms.max(task.created_at_ms));
        metrics::lag(id, now.saturating_sub(since) as f64 / 1000.0);

        match self.fetcher.fetch(id, url, source.network()).await {
            Err(e) => return self.failed(task, source, e).await,
            Ok(Outcome::Skipped { url, reason }) => self.stats.skipped(id, &url, reason),
            Ok(Outcome::Fetched(fetched)) => self.fetched(task, source, *fetched).await?,
        }
        self.finished(task, source).await
    }

    async fn fetched(
        &self,
        task: &CrawlTask,
        source: &dyn Source,
        fetched: Fetched,
    ) -> Result<(), Error> {
        let id = source.id();
        self.stats.fetched(id);
        metrics::fetched(id, fetched.body.len(), fetched.took);
        let handled = source.handle(task, &fetched);
        for (url, reason) in &handled.skips {
            self.stats.skipped(id, url, *reason);
        }
        if !handled.tasks.is_empty() {
            self.frontier.push(handled.tasks).await?;
        }
        if handled.mark_visited {
            self.store.put(&task.url, None)?;
        }
        let Some(emit) = handled.emit else {
            return Ok(());
        };
        let (body, content_type, charset) = match emit {
            Emit::AsFetched => (fetched.body, fetched.media_type, fetched.charset),
            Emit::Extracted(body) => (body, Some("text/html".to_owned()), Some("utf-8".to_owned())),
        };
        let page = Page {
            url: fetched.url.to_string(),
            source: id.to_owned(),
            fetched_at_ms: now_ms(),
            status: fetched.status,
            headers: fetched.headers,
            content_type,
            charset,
            body_hash: body_hash(&body),
            body,
            truncated: fetched.truncated,
        };
        if let Seen::Emitted(previous) = self.store.get(&page.url)?
            && previous == page.body_hash
        {
            self.stats.skipped(id, &page.url, SkipReason::Unchanged);
            if page.url != task.url {
                self.store.put(&task.url, Some(&page.body_hash))?;
            }
            return Ok(());
        }
        let (url, hash, truncated) = (page.url.clone(), page.body_hash.clone(), page.truncated);
        match self.sink.send(page).await {
            Ok(()) => {
                self.store.put(&url, Some(&hash))?;
                if url != task.url {
                    self.store.put(&task.url, Some(&hash))?;
                }
                self.stats.emitted(id);
                if truncated {
                    self.stats.truncated(id);
                }
            }
            Err(e) => {
                // Not marked as seen: the page is offered again on its next fetch.
                let _ = e;
                self.stats.skipped(id, &url, SkipReason::SinkFailed);
            }
        }
        Ok(())
    }

    async fn failed(
        &self,
        task: &CrawlTask,
        source: &dyn Source,
        e: FetchError,
    ) -> Result<(), Error> {
        let id = source.id();
        self.stats.error(id, e.kind);
        let fetch = &self.config.fetch;
        let delay = match e.kind.retry() {
            Retry::Never => {
                self.stats
                    .skipped(id, &task.url, SkipReason::PermanentError);
                return self.finished(task, source).await;
            }
            Retry::Later => Duration::from_millis(self.config.onion.not_found_backoff_ms),
            Retry::Soon => retry::backoff(
                task.attempt + 1,
                Duration::from_millis(fetch.backoff_base_ms),
                Duration::from_millis(fetch.backoff_max_ms),
                e.retry_after,
            ),
        };
        if e.kind == FetchErrorKind::Status {
            // 429/5xx: the whole host waits, not only this URL.
            self.gate.back_off(&task.host, delay);
        }
        if task.attempt >= fetch.max_retries {
            self.stats
                .skipped(id, &task.url, SkipReason::RetriesExhausted);
            return self.finished(task, source).await;
        }
        let mut retry = task.clone();
        retry.attempt += 1;
        retry.not_before_ms = now_ms() + delay.as_millis() as u64;
        self.frontier.push(vec![retry]).await?;
        Ok(())
    }

    /// Collapses duplicate polling chains. A listing poll (or a recrawl seed) re-schedules
    /// itself when handled, and every crawler start pushes the seeds again: with a shared
    /// frontier, N replica starts would make N chains polling the same listing. All tasks of a
    /// host are handled by one replica (the owner of its partition), so that replica drops a
    /// first-attempt self-perpetuating task whose (source, URL) is being polled, or was polled
    /// less than half an interval ago — the dropped copy schedules no re-poll, so its chain ends
    /// and one remains. "Ago" counts from the end of the last poll, not its start: a poll may
    /// wait for a slot of its host (behind slow item fetches, say after a takeover), and a copy
    /// let through half an interval after that poll's start could then hit the listing right
    /// after it. Retries are never dropped (their chain's poll failed) but count as a poll.
    fn start_poll(&self, task: &CrawlTask, source: &dyn Source) -> PollStart<'_> {
        if self.config.crawler.once {
            return PollStart::NotAPoll;
        }
        let Some(interval) = source.repoll_after(task) else {
            return PollStart::NotAPoll;
        };
        let now = now_ms();
        let mut polls = self.polls.lock().unwrap_or_else(|e| e.into_inner());
        let key = (task.source.clone(), task.url.clone());
        let half = interval.as_millis() as u64 / 2;
        if task.attempt == 0
            && let Some(last) = polls.get(&key)
            && (last.in_flight || now.saturating_sub(last.at_ms) < half)
        {
            return PollStart::Duplicate;
        }
        polls.insert(
            key.clone(),
            PollState {
                at_ms: now,
                in_flight: true,
            },
        );
        PollStart::Started(InFlightPoll {
            polls: &self.polls,
            key,
        })
    }

    /// A task reached its final outcome: schedule its re-poll, if it has one.
    async fn finished(&self, task: &CrawlTask, source: &dyn Source) -> Result<(), Error> {
        if self.config.crawler.once {
            return Ok(());
        }
        if let Some(after) = source.repoll_after(task) {
            let now = now_ms();
            let mut again = task.clone();
            again.attempt = 0;
            again.created_at_ms = now;
            again.not_before_ms = now + after.as_millis() as u64;
            self.frontier.push(vec![again]).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::{MemorySink, TaskKind};

    fn crawler(once: bool) -> Crawler {
        let config = CrawlConfig::from_toml(&format!(
            r#"
            [crawler]
            once = {once}
            [[source]]
            type = "paste_api"
            id = "p"
            listing_url = "http://127.0.0.1:9/list"
            poll_interval_ms = 10000
            "#
        ))
        .unwrap();
        Crawler::new(config, Arc::new(MemorySink::new())).unwrap()
    }

    fn task(kind: TaskKind, url: &str, attempt: u32) -> CrawlTask {
        CrawlTask {
            source: "p".into(),
            kind,
            url: url.into(),
            host: "127.0.0.1:9".into(),
            depth: 0,
            not_before_ms: 0,
            attempt,
            created_at_ms: 0,
            published_at_ms: None,
        }
    }

    /// Whether `start_poll` lets the task through; a task let through ends its poll at once.
    fn polls(inner: &Inner, t: &CrawlTask) -> bool {
        let source = inner.sources["p"].as_ref();
        !matches!(inner.start_poll(t, source), PollStart::Duplicate)
    }

    #[test]
    fn duplicate_polling_chains_collapse_within_half_an_interval() {
        let listing = TaskKind::Listing { page: 0 };
        let list = "http://127.0.0.1:9/list";
        // (task, last poll of its URL: ended this long ago (ms) or in flight, dropped?)
        let cases = [
            (task(listing, list, 0), None, false),
            (task(listing, list, 0), Some((1_000, false)), true),
            (task(listing, list, 0), Some((4_900, false)), true),
            (task(listing, list, 0), Some((5_100, false)), false),
            // Still in flight (waiting for a slot of its host) long after it started.
            (task(listing, list, 0), Some((60_000, true)), true),
            (task(listing, list, 2), Some((1_000, false)), false),
            (task(listing, list, 2), Some((1_000, true)), false),
            (task(listing, "http://127.0.0.1:9/other", 0), None, false),
            (
                task(TaskKind::Item, "http://127.0.0.1:9/i", 0),
                Some((0, true)),
                false,
            ),
        ];
        for (i, (t, last, dropped)) in cases.into_iter().enumerate() {
            let c = crawler(false);
            let inner = &c.inner;
            if let Some((ago, in_flight)) = last {
                inner.polls.lock().unwrap().insert(
                    (t.source.clone(), t.url.clone()),
                    PollState {
                        at_ms: now_ms() - ago,
                        in_flight,
                    },
                );
            }
            assert_eq!(!polls(inner, &t), dropped, "case {i}");
            if t.kind == listing && !dropped {
                // A poll that went ahead (and ended) is remembered: an immediate copy is dropped.
                assert!(!polls(inner, &task(listing, &t.url, 0)), "case {i}");
            }
        }
        // A copy arriving while the poll is in flight is dropped, however long it has waited.
        let c = crawler(false);
        let source = c.inner.sources["p"].as_ref();
        let t = task(listing, list, 0);
        let in_flight = c.inner.start_poll(&t, source);
        assert!(matches!(in_flight, PollStart::Started(_)));
        c.inner
            .polls
            .lock()
            .unwrap()
            .get_mut(&(t.source.clone(), t.url.clone()))
            .unwrap()
            .at_ms -= 60_000;
        assert!(!polls(&c.inner, &t));
        drop(in_flight);
        assert!(!polls(&c.inner, &t), "ended just now");
        // `once`: nothing re-polls, nothing is collapsed.
        let c = crawler(true);
        assert!(polls(&c.inner, &t));
        assert!(polls(&c.inner, &t));
    }
}
