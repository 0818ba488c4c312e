//! leakwatch's wire types and the traits its transports implement.
//!
//! The crawler produces [`Page`]s and hands them to a [`PageSink`]; the matcher takes them from a
//! [`MessageSource`], and hands the [`Alert`]s it raises to an [`AlertSink`]. Between them sits a
//! transport with the same at-least-once semantics either way:
//!
//! - embedded: [`channel`], a bounded in-process channel whose send completes when the receiver
//!   acknowledged the item (its alerts are stored);
//! - Kafka (feature `kafka`, module `kafka`): pages on a `pages` topic (raw body as the value,
//!   metadata as JSON headers, keyed by URL), alerts as JSON on an `alerts` topic (keyed by alert
//!   id); a consumer stores an offset only once every earlier message of its partition was
//!   acknowledged; undecodable messages go to a `dead-letter` topic (as a reason, not a copy);
//! - for tests and `leakwatch crawl` alone: [`MemorySink`] and the metadata-only [`JsonlSink`].
//!
//! Alerts carry an idempotency key ([`alert_id`] of page hash, bundle id, record ref), so a
//! redelivered page never yields a second alert in an idempotent store.
//!
//! Crawl work is described by [`CrawlTask`]s kept in a [`Frontier`]. A single process uses the
//! crawler's in-memory frontier; several crawler replicas share one frontier when it is a Kafka
//! topic partitioned by [`CrawlTask::partition_key`] (the task's host), so that one host's
//! politeness state and seen-state stay on one replica.
//!
//! Privacy rule: page bodies may hold leaked personal data. They travel in memory and over the
//! transport to the matcher, but are never logged or persisted; [`PageMeta`] is the body-free view
//! that may be written out.
//!
//! ```
//! use wire::{MemorySink, Page, PageSink};
//!
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let waker = std::task::Waker::noop();
//! #     let mut cx = std::task::Context::from_waker(&waker);
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! let sink = MemorySink::new();
//! let page = Page::new(
//!     "https://paste.example/raw/abc".into(),
//!     "example".into(),
//!     1_700_000_000_000,
//!     200,
//!     b"hello".to_vec(),
//! );
//! assert_eq!(page.body_hash, wire::body_hash(b"hello"));
//! block_on(sink.send(page)).unwrap();
//! assert_eq!(sink.pages().len(), 1);
//! ```
#![deny(missing_docs)]

mod alert;
mod channel;
mod error;
#[cfg(feature = "kafka")]
pub mod kafka;
mod kafka_config;
mod page;
mod sink;
mod source;
mod task;

pub use alert::{ALERT_VERSION, Alert, AlertSpan, Confidence, alert_id};
pub use channel::{ChannelReceiver, ChannelSender, channel};
pub use error::{ErrorKind, FrontierError, SinkError, SourceError};
pub use kafka_config::KafkaConfig;
pub use page::{PAGE_WIRE_VERSION, Page, PageHeaders, PageMeta, body_hash};
pub use sink::{BoxFuture, JsonlSink, MemorySink, PageSink};
pub use source::{Ack, AlertSink, Delivery, MessageSource};
pub use task::{CrawlTask, FRONTIER_TASKS, Frontier, SCHEDULED_TASKS, TaskKind};
