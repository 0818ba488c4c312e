//! The in-process [`Frontier`]: a delay queue of [`CrawlTask`]s ordered by `not_before_ms`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use wire::{BoxFuture, CrawlTask, Frontier, FrontierError};

use crate::util::now_ms;

/// A frontier for one process. [`Frontier::next`] returns `None` once it is empty and no task
/// handed out is still in progress (or after [`Frontier::close`]).
#[derive(Debug, Default)]
pub struct LocalFrontier {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    queue: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    in_progress: usize,
    closed: bool,
}

#[derive(Debug)]
struct Entry {
    not_before_ms: u64,
    seq: u64,
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

enum Step {
    Task(CrawlTask),
    Finished,
    Wait(Option<Duration>),
}

impl LocalFrontier {
    /// An empty frontier.
    pub fn new() -> LocalFrontier {
        LocalFrontier::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tasks waiting (not counting those in progress).
    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// True if no task is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn step(&self) -> Step {
        let mut s = self.lock();
        if s.closed {
            return Step::Finished;
        }
        let now = now_ms();
        match s.queue.peek() {
            Some(Reverse(e)) if e.not_before_ms <= now => {
                let Some(Reverse(e)) = s.queue.pop() else {
                    return Step::Wait(None);
                };
                s.in_progress += 1;
                crate::metrics::frontier_len(s.queue.len());
                Step::Task(e.task)
            }
            Some(Reverse(e)) => Step::Wait(Some(Duration::from_millis(e.not_before_ms - now))),
            None if s.in_progress == 0 => Step::Finished,
            None => Step::Wait(None),
        }
    }
}

impl Frontier for LocalFrontier {
    fn push(&self, tasks: Vec<CrawlTask>) -> BoxFuture<'_, Result<(), FrontierError>> {
        {
            let mut s = self.lock();
            for task in tasks {
                s.seq += 1;
                let seq = s.seq;
                s.queue.push(Reverse(Entry {
                    not_before_ms: task.not_before_ms,
                    seq,
                    task,
                }));
            }
            crate::metrics::frontier_len(s.queue.len());
        }
        self.changed.notify_waiters();
        Box::pin(async { Ok(()) })
    }

    fn next(&self) -> BoxFuture<'_, Result<Option<CrawlTask>, FrontierError>> {
        Box::pin(async move {
            loop {
                // Register interest before looking, so a push in between is not missed.
                let notified = self.changed.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                match self.step() {
                    Step::Task(t) => return Ok(Some(t)),
                    Step::Finished => {
                        self.changed.notify_waiters();
                        return Ok(None);
                    }
                    Step::Wait(None) => notified.await,
                    Step::Wait(Some(d)) => {
                        let _ = tokio::time::timeout(d, notified).await;
                    }
                }
            }
        })
    }

    fn done(&self, _task: &CrawlTask) -> BoxFuture<'_, Result<(), FrontierError>> {
        {
            let mut s = self.lock();
            s.in_progress = s.in_progress.saturating_sub(1);
        }
        self.changed.notify_waiters();
        Box::pin(async { Ok(()) })
    }

    fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::TaskKind;

    fn task(url: &str, not_before_ms: u64) -> CrawlTask {
        CrawlTask {
            source: "s".into(),
            kind: TaskKind::Item,
            url: url.into(),
            host: "h".into(),
            depth: 0,
            not_before_ms,
            attempt: 0,
            created_at_ms: 0,
            published_at_ms: None,
        }
    }

    #[tokio::test]
    async fn hands_out_due_tasks_in_order_and_finishes_when_idle() {
        let f = LocalFrontier::new();
        let now = now_ms();
        f.push(vec![task("late", now + 50), task("early", 0)])
            .await
            .unwrap();
        let a = f.next().await.unwrap().unwrap();
        assert_eq!(a.url, "early");
        // The late one is not due yet; it comes after waiting.
        let b = f.next().await.unwrap().unwrap();
        assert_eq!(b.url, "late");
        assert!(now_ms() >= now + 50);
        // Work in progress may still push tasks: not finished yet.
        f.push(vec![task("child", 0)]).await.unwrap();
        f.done(&a).await.unwrap();
        f.done(&b).await.unwrap();
        let c = f.next().await.unwrap().unwrap();
        assert_eq!(c.url, "child");
        f.done(&c).await.unwrap();
        assert!(f.next().await.unwrap().is_none());
    }
}
