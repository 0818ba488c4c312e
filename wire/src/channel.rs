//! The embedded transport: a bounded in-process channel with backpressure.
//!
//! [`channel`] gives a [`ChannelSender`] (a [`PageSink`] when it carries pages) and a
//! [`ChannelReceiver`] (a [`MessageSource`]). A send completes only when the receiving side
//! acknowledged the item, i.e. when its alerts were stored: the crawler marks a page as seen
//! only then, so a crash between fetching and storing loses nothing (the page is fetched again),
//! as with Kafka's stored offsets. Backpressure: at most `capacity` items wait in the channel,
//! and each sender waits for its item's acknowledgement.

use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use crate::source::AckInner;
use crate::{Ack, BoxFuture, Delivery, MessageSource, Page, PageSink, SinkError, SourceError};

/// A bounded channel of `capacity` items (at least 1).
pub fn channel<T: Send + 'static>(capacity: usize) -> (ChannelSender<T>, ChannelReceiver<T>) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    (
        ChannelSender {
            tx: Mutex::new(Some(tx)),
        },
        ChannelReceiver {
            rx: tokio::sync::Mutex::new(rx),
            closed: tokio::sync::watch::channel(false),
        },
    )
}

type Item<T> = (T, oneshot::Sender<()>);

/// The sending half of [`channel`].
#[derive(Debug)]
pub struct ChannelSender<T> {
    tx: Mutex<Option<mpsc::Sender<Item<T>>>>,
}

impl<T: Send + 'static> ChannelSender<T> {
    /// Sends `item` and waits until the receiver acknowledged it. Errors with
    /// [`SinkError::Closed`] if the receiver is gone, or dropped the item unacknowledged.
    pub async fn send_item(&self, item: T) -> Result<(), SinkError> {
        let tx = {
            let guard = self.tx.lock().unwrap_or_else(|e| e.into_inner());
            guard.clone().ok_or(SinkError::Closed)?
        };
        let (ack_tx, ack_rx) = oneshot::channel();
        tx.send((item, ack_tx))
            .await
            .map_err(|_| SinkError::Closed)?;
        ack_rx.await.map_err(|_| SinkError::Closed)
    }

    /// Closes this sender: once the items in flight are taken, the receiver finishes. (Clones
    /// of the underlying channel held by `send_item` calls in progress still complete.)
    pub fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

impl PageSink for ChannelSender<Page> {
    fn send(&self, page: Page) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(self.send_item(page))
    }
}

/// The receiving half of [`channel`].
#[derive(Debug)]
pub struct ChannelReceiver<T> {
    rx: tokio::sync::Mutex<mpsc::Receiver<Item<T>>>,
    /// Set by `close`, so that a pending `next` wakes up.
    closed: (
        tokio::sync::watch::Sender<bool>,
        tokio::sync::watch::Receiver<bool>,
    ),
}

impl<T: Send + 'static> MessageSource<T> for ChannelReceiver<T> {
    fn next(&self) -> BoxFuture<'_, Result<Option<Delivery<T>>, SourceError>> {
        Box::pin(async move {
            let mut closed = self.closed.1.clone();
            if *closed.borrow() {
                return Ok(None);
            }
            let mut rx = self.rx.lock().await;
            tokio::select! {
                item = rx.recv() => Ok(item.map(|(item, ack)| Delivery {
                    item,
                    ack: Ack(AckInner::Channel(ack)),
                })),
                _ = closed.wait_for(|c| *c) => Ok(None),
            }
        })
    }

    fn ack(&self, ack: Ack) -> BoxFuture<'_, Result<(), SourceError>> {
        if let AckInner::Channel(tx) = ack.0 {
            // The sender may have given up waiting (shutdown): nothing to do then.
            let _ = tx.send(());
        }
        Box::pin(async { Ok(()) })
    }

    fn close(&self) {
        let _ = self.closed.0.send(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn send_completes_on_ack_and_receiver_finishes_after_close() {
        let (tx, rx) = channel::<u32>(2);
        let tx = Arc::new(tx);
        let sending = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send_item(7).await }
        });
        let d = rx.next().await.unwrap().unwrap();
        assert_eq!(d.item, 7);
        tokio::task::yield_now().await;
        assert!(!sending.is_finished(), "send waits for the acknowledgement");
        rx.ack(d.ack).await.unwrap();
        sending.await.unwrap().unwrap();
        tx.close();
        assert!(rx.next().await.unwrap().is_none());
        assert!(matches!(tx.send_item(1).await, Err(SinkError::Closed)));
    }

    #[tokio::test]
    async fn a_dropped_delivery_fails_the_send() {
        let (tx, rx) = channel::<u32>(1);
        let tx = Arc::new(tx);
        let sending = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send_item(1).await }
        });
        drop(rx.next().await.unwrap().unwrap());
        assert!(matches!(sending.await.unwrap(), Err(SinkError::Closed)));
    }

    #[tokio::test]
    async fn close_wakes_a_pending_next() {
        let (_tx, rx) = channel::<u32>(1);
        let rx = Arc::new(rx);
        let waiting = tokio::spawn({
            let rx = rx.clone();
            async move { rx.next().await.map(|d| d.is_none()) }
        });
        tokio::task::yield_now().await;
        rx.close();
        assert!(waiting.await.unwrap().unwrap());
    }
}
