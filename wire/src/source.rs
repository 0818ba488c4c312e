//! The consuming side of a transport: [`MessageSource`] hands out [`Delivery`]s that are
//! acknowledged once their results are durable, and [`AlertSink`] takes alerts.

use crate::{Alert, BoxFuture, SinkError, SourceError};

/// One item taken from a transport, with the token that acknowledges it.
///
/// Acknowledge ([`MessageSource::ack`]) only after everything derived from the item (its alerts)
/// was accepted downstream; an item that is never acknowledged is delivered again (Kafka: after a
/// restart or rebalance; in-process: the crawler offers the page again).
#[derive(Debug)]
pub struct Delivery<T> {
    /// The item.
    pub item: T,
    /// Acknowledges the item.
    pub ack: Ack,
}

/// Acknowledges one [`Delivery`]. Dropping it without [`MessageSource::ack`] is a negative
/// acknowledgement.
#[derive(Debug)]
pub struct Ack(pub(crate) AckInner);

#[derive(Debug)]
pub(crate) enum AckInner {
    /// Nothing to do (tests, items without a producer waiting).
    None,
    /// The in-process sender waits for this.
    Channel(tokio::sync::oneshot::Sender<()>),
    /// A Kafka message: its partition and offset.
    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    Kafka {
        /// Partition of the message.
        partition: i32,
        /// Offset of the message.
        offset: i64,
    },
}

impl Ack {
    /// A token with nothing to acknowledge.
    pub fn none() -> Ack {
        Ack(AckInner::None)
    }

    /// Where the item came from, for logs: `partition/offset` for Kafka, else `-`.
    pub fn position(&self) -> String {
        match &self.0 {
            AckInner::Kafka { partition, offset } => format!("{partition}/{offset}"),
            _ => "-".into(),
        }
    }
}

/// Hands out items of type `T` (pages, alerts) from a transport.
pub trait MessageSource<T>: Send + Sync {
    /// Waits for the next item. `Ok(None)`: the source is finished (closed or, for a channel,
    /// every sender is gone).
    fn next(&self) -> BoxFuture<'_, Result<Option<Delivery<T>>, SourceError>>;
    /// Marks a delivered item as done: its results are durable downstream. Kafka stores the
    /// offset only once every earlier message of the partition was acknowledged too.
    fn ack(&self, ack: Ack) -> BoxFuture<'_, Result<(), SourceError>>;
    /// Stops handing out items; pending and later `next` calls return `Ok(None)`.
    fn close(&self) {}
}

/// Takes the alerts of one page. `Ok` means they are durable (stored, or acknowledged by the
/// broker). Sinks must be idempotent on [`Alert::id`]: at-least-once delivery can send the same
/// alert twice.
pub trait AlertSink: Send + Sync {
    /// Hands on the alerts of one page (possibly none, which still succeeds).
    fn send(&self, alerts: Vec<Alert>) -> BoxFuture<'_, Result<(), SinkError>>;
}
