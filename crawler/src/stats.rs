//! Why pages were skipped, and in-process counters mirroring the Prometheus metrics.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use crate::error::FetchErrorKind;

/// Why a URL or page was not emitted (`leakwatch_crawler_pages_skipped_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SkipReason {
    /// Same body hash as the last emitted version of the URL.
    Unchanged,
    /// An item (raw paste, item page) already handled earlier; items are immutable.
    SeenUrl,
    /// `Content-Type` neither in `fetch.content_types` nor in `fetch.sniffed_content_types`.
    ContentType,
    /// The body looks binary (NUL bytes in its first KiB, and no signature of a file the
    /// matcher reads); a body of a sniffed type is not read past that KiB.
    Binary,
    /// Larger than `fetch.max_body_bytes` with `oversize = "skip"` (with `truncate` the page is
    /// emitted cut, and counted in `leakwatch_crawler_pages_truncated_total`).
    TooLarge,
    /// A body with a `Content-Encoding` we did not ask for.
    UnsupportedEncoding,
    /// A 4xx other than 429, or a 3xx without a usable `Location`.
    HttpStatus,
    /// More than `fetch.max_redirects` redirects.
    RedirectLimit,
    /// A redirect back to a URL already in the chain.
    RedirectLoop,
    /// A link or redirect to another host than the source's.
    OffHost,
    /// A link deeper than the source's `max_depth`.
    DepthLimit,
    /// A link beyond the source's `max_pages`, or a listing page beyond `max_listing_pages`.
    PageLimit,
    /// A task of a source this crawler does not have (a shared frontier with other config).
    UnknownSource,
    /// Retries exhausted after timeouts, connection errors, 429 or 5xx.
    RetriesExhausted,
    /// A failure retrying cannot fix (TLS, bad gzip, invalid onion address, client auth).
    PermanentError,
    /// A listing that could not be parsed.
    BadListing,
    /// A listing entry without a usable URL or key.
    BadListingItem,
    /// An item page without the configured raw link or content element.
    NoContent,
    /// A URL that does not parse or is not http(s).
    InvalidUrl,
    /// An invalid `.onion` address (not v3, bad checksum, ...).
    InvalidOnion,
    /// A `.onion` URL in a clearnet source or a clearnet URL in an onion source.
    WrongNetwork,
    /// The sink refused the page (it will be offered again on the next fetch).
    SinkFailed,
}

impl SkipReason {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Unchanged => "unchanged",
            SkipReason::SeenUrl => "seen_url",
            SkipReason::ContentType => "content_type",
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too_large",
            SkipReason::UnsupportedEncoding => "unsupported_encoding",
            SkipReason::HttpStatus => "http_status",
            SkipReason::RedirectLimit => "redirect_limit",
            SkipReason::RedirectLoop => "redirect_loop",
            SkipReason::OffHost => "off_host",
            SkipReason::DepthLimit => "depth_limit",
            SkipReason::PageLimit => "page_limit",
            SkipReason::UnknownSource => "unknown_source",
            SkipReason::RetriesExhausted => "retries_exhausted",
            SkipReason::PermanentError => "permanent_error",
            SkipReason::BadListing => "bad_listing",
            SkipReason::BadListingItem => "bad_listing_item",
            SkipReason::NoContent => "no_content",
            SkipReason::InvalidUrl => "invalid_url",
            SkipReason::InvalidOnion => "invalid_onion",
            SkipReason::WrongNetwork => "wrong_network",
            SkipReason::SinkFailed => "sink_failed",
        }
    }
}

/// One recorded skip (URLs only; never a body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipRecord {
    /// The source.
    pub source: String,
    /// The URL (or, for listing entries without a URL, a description).
    pub url: String,
    /// Why.
    pub reason: SkipReason,
}

const RECENT_SKIPS: usize = 4096;

/// Counters of one crawler, mirroring the Prometheus metrics, plus the most recent skips (for
/// tests and the end-of-run summary).
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    fetched: BTreeMap<String, u64>,
    emitted: BTreeMap<String, u64>,
    truncated: BTreeMap<String, u64>,
    skipped: BTreeMap<(String, SkipReason), u64>,
    errors: BTreeMap<(String, &'static str), u64>,
    recent_skips: VecDeque<SkipRecord>,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Responses fetched (any status that got as far as a body), by source.
    pub fetched: BTreeMap<String, u64>,
    /// Pages handed to the sink, by source.
    pub emitted: BTreeMap<String, u64>,
    /// Pages emitted cut at `fetch.max_body_bytes`, by source.
    pub truncated: BTreeMap<String, u64>,
    /// Skips by source and reason.
    pub skipped: BTreeMap<(String, SkipReason), u64>,
    /// Fetch errors by source and kind label (each attempt counts).
    pub errors: BTreeMap<(String, &'static str), u64>,
    /// The most recent skips, oldest first (at most 4096).
    pub recent_skips: Vec<SkipRecord>,
}

impl StatsSnapshot {
    /// Skips of `source` for `reason`.
    pub fn skips(&self, source: &str, reason: SkipReason) -> u64 {
        self.skipped
            .get(&(source.to_owned(), reason))
            .copied()
            .unwrap_or(0)
    }

    /// The reason `url` was last skipped for, if it is among the recent skips.
    pub fn skip_reason(&self, url: &str) -> Option<SkipReason> {
        self.recent_skips
            .iter()
            .rev()
            .find(|r| r.url == url)
            .map(|r| r.reason)
    }

    /// Errors of `source` of `kind`.
    pub fn errors(&self, source: &str, kind: FetchErrorKind) -> u64 {
        self.errors
            .get(&(source.to_owned(), kind.as_str()))
            .copied()
            .unwrap_or(0)
    }
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn fetched(&self, source: &str) {
        // (the Prometheus side is recorded with bytes and latency in `metrics::fetched`)
        *self.lock().fetched.entry(source.to_owned()).or_default() += 1;
    }

    pub(crate) fn emitted(&self, source: &str) {
        crate::metrics::emitted(source);
        *self.lock().emitted.entry(source.to_owned()).or_default() += 1;
    }

    pub(crate) fn truncated(&self, source: &str) {
        crate::metrics::truncated(source);
        *self.lock().truncated.entry(source.to_owned()).or_default() += 1;
    }

    pub(crate) fn skipped(&self, source: &str, url: &str, reason: SkipReason) {
        crate::metrics::skipped(source, reason);
        let mut inner = self.lock();
        *inner
            .skipped
            .entry((source.to_owned(), reason))
            .or_default() += 1;
        if inner.recent_skips.len() == RECENT_SKIPS {
            inner.recent_skips.pop_front();
        }
        inner.recent_skips.push_back(SkipRecord {
            source: source.to_owned(),
            url: url.to_owned(),
            reason,
        });
    }

    pub(crate) fn error(&self, source: &str, kind: FetchErrorKind) {
        crate::metrics::error(source, kind);
        *self
            .lock()
            .errors
            .entry((source.to_owned(), kind.as_str()))
            .or_default() += 1;
    }

    /// A copy of the counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let inner = self.lock();
        StatsSnapshot {
            fetched: inner.fetched.clone(),
            emitted: inner.emitted.clone(),
            truncated: inner.truncated.clone(),
            skipped: inner.skipped.clone(),
            errors: inner.errors.clone(),
            recent_skips: inner.recent_skips.iter().cloned().collect(),
        }
    }
}
