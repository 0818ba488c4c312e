//! Turns paste sites, HTML listings, clearnet sites and onion services into a stream of
//! [`wire::Page`]s.
//!
//! # Model
//!
//! - **Sources** (`[[source]]` in `crawl.toml`): `paste_api` (a JSON "recent pastes" listing
//!   plus a raw fetch per item), `html_listing` (CSS selectors for items, raw links or content,
//!   and the next page), `site` (same-host link following on the clearnet) and `onion` (the same
//!   through arti-client embedded in the process). A source only makes seed tasks and decides
//!   what a response means (emit it, follow links, read the next listing page).
//! - **Tasks** ([`wire::CrawlTask`]) wait in a **frontier** ([`wire::Frontier`]) until due. This
//!   crate has the in-process [`LocalFrontier`]; `wire::kafka::KafkaFrontier` (a `crawl-tasks`
//!   topic keyed by host, replicas in one consumer group) lets several crawler replicas share
//!   the work. A listing poll re-schedules itself and every start pushes the seeds, so the
//!   replica owning a host drops a copy of a polling task it is still polling or polled
//!   less than half an interval ago: duplicate polling chains collapse into one.
//! - **Workers** (`crawler.global_concurrency`) take due tasks and fetch them with one HTTP/1.1
//!   engine over TCP or Tor streams, holding a per-host slot ([`config::PolitenessConfig`]):
//!   per-host concurrency, a least interval between request starts, and backoff with jitter
//!   after 429/5xx/timeouts that honours `Retry-After` for the whole host.
//! - **Caps**: connect, request and whole-body timeouts; `max_body_bytes` enforced while
//!   streaming and counted after decompression (gzip bombs stop there); a content-type
//!   allowlist checked before the body is read; a binary check; a redirect limit and loop check.
//!   Every skip is counted with a reason ([`SkipReason`]).
//! - **Dedup**: the [`SeenStore`] (SQLite at `crawler.state_path`) keeps URL → BLAKE3 of the last
//!   emitted body, and never a body. An unchanged page is not emitted again, and items (raw
//!   pastes) already handled are not fetched again, across restarts.
//! - **Sink**: pages go to a [`wire::PageSink`]. Bodies stay bytes with their declared charset.
//! - **Metrics**: Prometheus names through the `metrics` facade, see [`mod@metrics`].
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> Result<(), crawler::Error> {
//! use std::sync::Arc;
//! use crawler::{CrawlConfig, Crawler};
//!
//! let config = CrawlConfig::from_toml(r#"
//!     [crawler]
//!     once = true
//!     state_path = "state/seen.sqlite"
//!
//!     [[source]]
//!     type = "paste_api"
//!     id = "pastebin"
//!     listing_url = "https://scrape.pastebin.com/api_scraping.php?limit=100"
//! "#)?;
//! let sink = wire::MemorySink::new();
//! let crawler = Crawler::new(config, Arc::new(sink.clone()))?;
//! let stats = crawler.run().await?;
//! println!("{} pages, {:?}", sink.pages().len(), stats.skipped);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod config;
mod engine;
mod error;
mod frontier;
mod html;
mod http;
pub mod metrics;
mod politeness;
mod seen;
pub mod sources;
mod stats;
mod util;

pub use config::CrawlConfig;
pub use engine::Crawler;
pub use error::{Error, ErrorKind, FetchError, FetchErrorKind, Retry};
pub use frontier::LocalFrontier;
pub use seen::SeenStore;
pub use sources::onion::{OnionUrlError, check_onion_host, parse_onion_url};
pub use stats::{SkipReason, SkipRecord, Stats, StatsSnapshot};
