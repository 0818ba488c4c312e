//! [`PageSink`]: where the crawler puts pages.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{Page, SinkError};

/// A boxed, `Send` future: what the object-safe traits of this crate return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Takes pages from the crawler.
///
/// Implementations: [`MemorySink`], [`JsonlSink`]; the pipeline issue adds Kafka and in-process
/// channel sinks. `send` may wait (backpressure); an error means the page was not taken, and the
/// crawler does not mark it as seen, so it is fetched and offered again later.
pub trait PageSink: Send + Sync {
    /// Hands one page on.
    fn send(&self, page: Page) -> BoxFuture<'_, Result<(), SinkError>>;
    /// Waits until every page sent so far is durable or delivered (called at shutdown).
    fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Keeps pages in memory: for tests and for embedding the crawler.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    pages: Arc<Mutex<Vec<Page>>>,
}

impl MemorySink {
    /// An empty sink. Clones share the same pages.
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// A copy of the pages received so far, in arrival order.
    pub fn pages(&self) -> Vec<Page> {
        self.lock().clone()
    }

    /// Removes and returns the pages received so far.
    pub fn take(&self) -> Vec<Page> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Page>> {
        // A panic while holding this lock cannot leave the Vec inconsistent: keep going.
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PageSink for MemorySink {
    fn send(&self, page: Page) -> BoxFuture<'_, Result<(), SinkError>> {
        self.lock().push(page);
        Box::pin(async { Ok(()) })
    }
}

/// Writes one JSON line of [`crate::PageMeta`] per page (never the body) to a writer: the sink of
/// `leakwatch crawl` when it runs on its own.
pub struct JsonlSink {
    out: Mutex<Box<dyn Write + Send>>,
}

impl JsonlSink {
    /// A sink writing to `out` (e.g. stdout or a file).
    pub fn new(out: Box<dyn Write + Send>) -> JsonlSink {
        JsonlSink {
            out: Mutex::new(out),
        }
    }

    fn write_line(&self, page: &Page) -> Result<(), SinkError> {
        let mut line =
            serde_json::to_vec(&page.meta()).map_err(|e| SinkError::Encode(e.to_string()))?;
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(&line)
            .and_then(|()| out.flush())
            .map_err(|source| SinkError::Io {
                context: "writing a page metadata line".into(),
                source,
            })
    }
}

impl std::fmt::Debug for JsonlSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsonlSink")
    }
}

impl PageSink for JsonlSink {
    fn send(&self, page: Page) -> BoxFuture<'_, Result<(), SinkError>> {
        let result = self.write_line(&page);
        Box::pin(async move { result })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let result = out.flush().map_err(|source| SinkError::Io {
            context: "flushing page metadata".into(),
            source,
        });
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn jsonl_sink_writes_metadata_without_body() {
        let buf = Shared::default();
        let sink = JsonlSink::new(Box::new(buf.clone()));
        let mut page = Page::new(
            "http://x/1".into(),
            "s".into(),
            5,
            200,
            b"SECRET-BODY".to_vec(),
        );
        page.charset = Some("Shift_JIS".into());
        block_on(sink.send(page.clone())).unwrap();
        block_on(sink.send(page)).unwrap();
        block_on(sink.flush()).unwrap();
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("SECRET"));
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let meta: crate::PageMeta = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(meta.body_bytes, 11);
        assert_eq!(meta.charset.as_deref(), Some("Shift_JIS"));
        assert_eq!(meta.body_hash, crate::body_hash(b"SECRET-BODY"));
    }

    #[test]
    fn debug_of_page_hides_the_body() {
        let page = Page::new("u".into(), "s".into(), 0, 200, b"SECRET-BODY".to_vec());
        assert!(!format!("{page:?}").contains("SECRET"));
    }

    #[test]
    fn memory_sink_clones_share_pages() {
        let a = MemorySink::new();
        let b = a.clone();
        block_on(a.send(Page::new("u".into(), "s".into(), 0, 200, vec![]))).unwrap();
        assert_eq!(b.pages().len(), 1);
        assert_eq!(b.take().len(), 1);
        assert!(a.pages().is_empty());
    }
}
