//! Small helpers: clocks and URL keys.

use std::time::{SystemTime, UNIX_EPOCH};

use url::Url;

/// Unix time now, in milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The politeness and partitioning key of a URL: `host[:port]`, lower-cased (the port only when it
/// is not the scheme's default). `None` for URLs without a host.
pub(crate) fn host_key(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Parses an absolute http(s) URL and strips its fragment.
pub(crate) fn parse_http_url(s: &str) -> Result<Url, String> {
    let mut url = Url::parse(s.trim()).map_err(|e| format!("not a URL ({e})"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!("scheme {:?} is not http or https", url.scheme()));
    }
    if url.host_str().is_none() {
        return Err("URL has no host".into());
    }
    url.set_fragment(None);
    Ok(url)
}

/// Resolves a link found on `base` and strips its fragment; only http(s) results.
pub(crate) fn resolve_link(base: &Url, href: &str) -> Option<Url> {
    let mut url = base.join(href.trim()).ok()?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return None;
    }
    url.host_str()?;
    url.set_fragment(None);
    Some(url)
}
