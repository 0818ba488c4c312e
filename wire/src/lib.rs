//! leakwatch's wire types and the traits its transports implement.
//!
//! The crawler produces [`Page`]s and hands them to a [`PageSink`]; the matcher consumes them.
//! Between the two sits a transport: today the in-memory [`MemorySink`] (tests, embedding) and the
//! metadata-only [`JsonlSink`] (`leakwatch crawl` on its own); the pipeline issue adds Kafka and
//! in-process channel transports, which implement the same traits in this crate.
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

mod error;
mod page;
mod sink;
mod task;

pub use error::{ErrorKind, FrontierError, SinkError};
pub use page::{Page, PageHeaders, PageMeta, body_hash};
pub use sink::{BoxFuture, JsonlSink, MemorySink, PageSink};
pub use task::{CrawlTask, Frontier, TaskKind};
