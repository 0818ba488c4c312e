//! Retention: [`purge_now`] and the background [`PurgeJob`].

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{AlertStore, DAY_MS, Error, StoreConfig};

/// Deletes the alerts last seen more than `retention_days` before `now_ms` (nothing if
/// `retention_days` is 0). Returns how many were deleted.
pub fn purge_now(store: &dyn AlertStore, retention_days: u32, now_ms: u64) -> Result<u64, Error> {
    if retention_days == 0 {
        return Ok(0);
    }
    let cutoff = now_ms.saturating_sub(u64::from(retention_days) * DAY_MS);
    store.purge(cutoff)
}

/// The purge job started by [`spawn_purge`]: stops (and waits for its thread) when dropped.
pub struct PurgeJob {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PurgeJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PurgeJob")
    }
}

impl Drop for PurgeJob {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs [`purge_now`] at once and then every `purge_interval_s` on a thread of its own (the
/// store's calls block), logging what it deleted and its errors to stderr. `None` when
/// `retention_days` is 0 (keep forever).
pub fn spawn_purge(store: Arc<dyn AlertStore>, config: &StoreConfig) -> Option<PurgeJob> {
    if config.retention_days == 0 {
        return None;
    }
    let days = config.retention_days;
    let every = Duration::from_secs(config.purge_interval_s.max(1));
    let (tx, rx) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("alert-purge".into())
        .spawn(move || {
            loop {
                match purge_now(&*store, days, crate::now_ms()) {
                    Ok(0) => {}
                    Ok(n) => eprintln!(
                        "alert store: purged {n} alerts last seen more than {days} days ago"
                    ),
                    Err(e) => eprintln!("alert store: purge failed (retried later): {e}"),
                }
                match rx.recv_timeout(every) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        });
    let thread = match thread {
        Ok(t) => t,
        Err(e) => {
            eprintln!("alert store: cannot start the purge job (no retention this run): {e}");
            return None;
        }
    };
    Some(PurgeJob {
        stop: Some(tx),
        thread: Some(thread),
    })
}
