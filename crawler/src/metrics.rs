//! Prometheus metric names, recorded through the `metrics` facade (the binary installs the
//! exporter; without one, recording is a no-op).
//!
//! | name | type | labels |
//! |---|---|---|
//! | `leakwatch_crawler_requests_total` | counter | `source` |
//! | `leakwatch_crawler_pages_fetched_total` | counter | `source` |
//! | `leakwatch_crawler_pages_emitted_total` | counter | `source` |
//! | `leakwatch_crawler_pages_truncated_total` | counter | `source` |
//! | `leakwatch_crawler_pages_skipped_total` | counter | `source`, `reason` |
//! | `leakwatch_crawler_bytes_total` | counter | `source` (body bytes after decompression) |
//! | `leakwatch_crawler_errors_total` | counter | `source`, `kind` |
//! | `leakwatch_crawler_fetch_duration_seconds` | histogram | `source` |
//! | `leakwatch_crawler_source_lag_seconds` | gauge | `source` |
//! | `leakwatch_crawler_frontier_tasks` | gauge | (none) |
//! | `leakwatch_crawler_scheduled_tasks` | gauge | (none; set by the Kafka frontier: tasks it holds from the schedule topic) |

use std::time::Duration;

use crate::error::FetchErrorKind;
use crate::stats::SkipReason;

/// Requests sent (each redirect hop and retry counts).
pub const REQUESTS: &str = "leakwatch_crawler_requests_total";
/// Responses whose body was read.
pub const PAGES_FETCHED: &str = "leakwatch_crawler_pages_fetched_total";
/// Pages handed to the sink.
pub const PAGES_EMITTED: &str = "leakwatch_crawler_pages_emitted_total";
/// Pages emitted cut at `fetch.max_body_bytes`.
pub const PAGES_TRUNCATED: &str = "leakwatch_crawler_pages_truncated_total";
/// Skips, by `reason` (see [`SkipReason::as_str`]).
pub const PAGES_SKIPPED: &str = "leakwatch_crawler_pages_skipped_total";
/// Body bytes read, after decompression.
pub const BYTES: &str = "leakwatch_crawler_bytes_total";
/// Fetch errors, by `kind` (see [`FetchErrorKind::as_str`]).
pub const ERRORS: &str = "leakwatch_crawler_errors_total";
/// Time from the first request byte to the end of the body (successful fetches).
pub const FETCH_DURATION: &str = "leakwatch_crawler_fetch_duration_seconds";
/// How far behind a source is: at each fetch of one of its items, now minus the item's
/// publication time when the listing gives one, else now minus the time the task became due.
pub const SOURCE_LAG: &str = "leakwatch_crawler_source_lag_seconds";
/// Tasks waiting in the in-process frontier (the name is shared with the Kafka frontier, which
/// also sets [`wire::SCHEDULED_TASKS`]).
pub use wire::FRONTIER_TASKS;

pub(crate) fn request(source: &str) {
    metrics::counter!(REQUESTS, "source" => source.to_owned()).increment(1);
}

pub(crate) fn fetched(source: &str, bytes: usize, took: Duration) {
    metrics::counter!(PAGES_FETCHED, "source" => source.to_owned()).increment(1);
    metrics::counter!(BYTES, "source" => source.to_owned()).increment(bytes as u64);
    metrics::histogram!(FETCH_DURATION, "source" => source.to_owned()).record(took.as_secs_f64());
}

pub(crate) fn emitted(source: &str) {
    metrics::counter!(PAGES_EMITTED, "source" => source.to_owned()).increment(1);
}

pub(crate) fn truncated(source: &str) {
    metrics::counter!(PAGES_TRUNCATED, "source" => source.to_owned()).increment(1);
}

pub(crate) fn skipped(source: &str, reason: SkipReason) {
    metrics::counter!(PAGES_SKIPPED, "source" => source.to_owned(), "reason" => reason.as_str())
        .increment(1);
}

pub(crate) fn error(source: &str, kind: FetchErrorKind) {
    metrics::counter!(ERRORS, "source" => source.to_owned(), "kind" => kind.as_str()).increment(1);
}

pub(crate) fn lag(source: &str, seconds: f64) {
    metrics::gauge!(SOURCE_LAG, "source" => source.to_owned()).set(seconds);
}

pub(crate) fn frontier_len(n: usize) {
    metrics::gauge!(FRONTIER_TASKS).set(n as f64);
}
