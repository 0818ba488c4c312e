//! [`Page`]: one fetched document, as the crawler hands it on.

use serde::{Deserialize, Serialize};

/// BLAKE3 of `body`, as 64 lowercase hex digits: the form [`Page::body_hash`] and the crawler's
/// seen-state use.
pub fn body_hash(body: &[u8]) -> String {
    blake3::hash(body).to_hex().to_string()
}

/// The response headers that matter downstream (dedup, charset detection, freshness).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageHeaders {
    /// `Content-Type` as sent (media type and parameters).
    pub content_type: Option<String>,
    /// `Last-Modified` as sent.
    pub last_modified: Option<String>,
    /// `ETag` as sent.
    pub etag: Option<String>,
}

/// One fetched document.
///
/// The body stays bytes: the declared charset travels in [`Page::charset`] and decoding is the
/// matcher's job. The body may hold leaked personal data: never log or persist it (use
/// [`Page::meta`] for anything that is written out).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Final URL of the document (after redirects), without fragment.
    pub url: String,
    /// Id of the configured source that produced the page.
    pub source: String,
    /// When the fetch completed, Unix time in milliseconds.
    pub fetched_at_ms: u64,
    /// HTTP status of the final response.
    pub status: u16,
    /// The headers that matter.
    pub headers: PageHeaders,
    /// Media type (the `Content-Type` essence, lower-cased, e.g. `text/html`), if declared.
    pub content_type: Option<String>,
    /// Declared charset (from `Content-Type`, or an HTML `<meta>` in the first bytes), as
    /// declared (e.g. `Shift_JIS`); `None` if nothing was declared.
    pub charset: Option<String>,
    /// The body, decompressed, at most the crawler's `max_body_bytes`.
    pub body: Vec<u8>,
    /// [`body_hash`] of `body`.
    pub body_hash: String,
    /// True if the body was cut at the size cap.
    pub truncated: bool,
}

impl Page {
    /// A page with the given body and no headers; computes the body hash.
    pub fn new(
        url: String,
        source: String,
        fetched_at_ms: u64,
        status: u16,
        body: Vec<u8>,
    ) -> Page {
        let body_hash = body_hash(&body);
        Page {
            url,
            source,
            fetched_at_ms,
            status,
            headers: PageHeaders::default(),
            content_type: None,
            charset: None,
            body,
            body_hash,
            truncated: false,
        }
    }

    /// The body-free view of this page, safe to log or write out.
    pub fn meta(&self) -> PageMeta {
        PageMeta {
            url: self.url.clone(),
            source: self.source.clone(),
            fetched_at_ms: self.fetched_at_ms,
            status: self.status,
            headers: self.headers.clone(),
            content_type: self.content_type.clone(),
            charset: self.charset.clone(),
            body_bytes: self.body.len() as u64,
            body_hash: self.body_hash.clone(),
            truncated: self.truncated,
        }
    }
}

/// Version of the page wire format: the `lw-version` header of a page message.
pub const PAGE_WIRE_VERSION: u32 = 1;

impl Page {
    /// Decodes a page message from its parts: the `lw-version` header, the `lw-meta` header
    /// (JSON [`PageMeta`]) and the body (the message value). Checks the version and that the
    /// body has the length and hash the metadata gives. The error says why, never with body
    /// bytes in it (it goes to the dead-letter topic).
    pub fn from_wire(
        version: Option<&[u8]>,
        meta: Option<&[u8]>,
        body: &[u8],
    ) -> Result<Page, String> {
        match version {
            Some(v) if v == PAGE_WIRE_VERSION.to_string().as_bytes() => {}
            Some(v) => {
                let shown: String = String::from_utf8_lossy(v).chars().take(16).collect();
                return Err(format!("unsupported page version {shown:?}"));
            }
            None => return Err("no lw-version header".into()),
        }
        let meta = meta.ok_or("no lw-meta header")?;
        let meta: PageMeta =
            serde_json::from_slice(meta).map_err(|e| format!("lw-meta header: {e}"))?;
        if body.len() as u64 != meta.body_bytes || body_hash(body) != meta.body_hash {
            return Err("the body does not match its length or hash in lw-meta".into());
        }
        Ok(Page {
            url: meta.url,
            source: meta.source,
            fetched_at_ms: meta.fetched_at_ms,
            status: meta.status,
            headers: meta.headers,
            content_type: meta.content_type,
            charset: meta.charset,
            body: body.to_vec(),
            body_hash: meta.body_hash,
            truncated: meta.truncated,
        })
    }

    /// The parts [`Page::from_wire`] reads: version header, metadata header (JSON), body.
    pub fn to_wire(&self) -> (Vec<u8>, Vec<u8>, &[u8]) {
        // Plain strings and numbers always serialize.
        let meta = serde_json::to_vec(&self.meta()).unwrap_or_default();
        (PAGE_WIRE_VERSION.to_string().into_bytes(), meta, &self.body)
    }
}

/// `Debug` leaves the body out (privacy rule): it shows its length and hash only.
impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("url", &self.url)
            .field("source", &self.source)
            .field("fetched_at_ms", &self.fetched_at_ms)
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("content_type", &self.content_type)
            .field("charset", &self.charset)
            .field("body_bytes", &self.body.len())
            .field("body_hash", &self.body_hash)
            .field("truncated", &self.truncated)
            .finish()
    }
}

/// Everything about a [`Page`] except its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageMeta {
    /// See [`Page::url`].
    pub url: String,
    /// See [`Page::source`].
    pub source: String,
    /// See [`Page::fetched_at_ms`].
    pub fetched_at_ms: u64,
    /// See [`Page::status`].
    pub status: u16,
    /// See [`Page::headers`].
    pub headers: PageHeaders,
    /// See [`Page::content_type`].
    pub content_type: Option<String>,
    /// See [`Page::charset`].
    pub charset: Option<String>,
    /// Length of [`Page::body`] in bytes.
    pub body_bytes: u64,
    /// See [`Page::body_hash`].
    pub body_hash: String,
    /// See [`Page::truncated`].
    pub truncated: bool,
}
