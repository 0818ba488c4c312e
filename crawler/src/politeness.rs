//! Per-host politeness: a concurrency limit, a least interval between request starts, and
//! backoff after 429/5xx shared by every task of the host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::PolitenessConfig;

/// Hands out request slots per host.
#[derive(Debug)]
pub(crate) struct HostGate {
    config: PolitenessConfig,
    hosts: Mutex<HashMap<String, HostState>>,
}

#[derive(Debug)]
struct HostState {
    slots: Arc<Semaphore>,
    /// Earliest start of the next request (interval reservations and backoff).
    next_start: Instant,
}

/// Held while a request to the host is in flight.
#[derive(Debug)]
pub(crate) struct HostPermit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl HostGate {
    pub(crate) fn new(config: PolitenessConfig) -> HostGate {
        HostGate {
            config,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn with_host<T>(&self, host: &str, f: impl FnOnce(&mut HostState) -> T) -> T {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let state = hosts.entry(host.to_owned()).or_insert_with(|| HostState {
            slots: Arc::new(Semaphore::new(self.config.per_host_concurrency.max(1))),
            next_start: Instant::now(),
        });
        f(state)
    }

    /// How long until the host could start a request (0 if now).
    pub(crate) fn wait_time(&self, host: &str) -> Duration {
        self.with_host(host, |s| {
            s.next_start.saturating_duration_since(Instant::now())
        })
    }

    /// Waits for a slot of the host and for its next start time, and reserves the interval.
    pub(crate) async fn acquire(&self, host: &str) -> HostPermit {
        let slots = self.with_host(host, |s| s.slots.clone());
        // The semaphore is never closed; if it were, go on without a slot.
        let slot = slots.acquire_owned().await.ok();
        let interval = Duration::from_millis(self.config.min_interval_ms);
        let start = self.with_host(host, |s| {
            let start = s.next_start.max(Instant::now());
            s.next_start = start + interval;
            start
        });
        tokio::time::sleep_until(start).await;
        HostPermit { _slot: slot }
    }

    /// No request to the host starts before `delay` from now (429, 5xx, `Retry-After`).
    pub(crate) fn back_off(&self, host: &str, delay: Duration) {
        let until = Instant::now() + delay;
        self.with_host(host, |s| s.next_start = s.next_start.max(until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn interval_is_reserved_per_host() {
        let gate = Arc::new(HostGate::new(PolitenessConfig {
            per_host_concurrency: 4,
            min_interval_ms: 40,
            requeue_after_ms: 1000,
        }));
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..3 {
            let _p = gate.acquire("a").await;
            starts.push(t0.elapsed());
        }
        // Another host is not delayed by "a".
        let _p = gate.acquire("b").await;
        assert!(t0.elapsed() < starts[2] + Duration::from_millis(30));
        assert!(starts[1] >= Duration::from_millis(40));
        assert!(starts[2] >= Duration::from_millis(80));
        gate.back_off("b", Duration::from_millis(500));
        assert!(gate.wait_time("b") > Duration::from_millis(400));
    }
}
