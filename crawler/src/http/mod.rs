//! One HTTP/1.1 engine for clearnet and onion fetches: hyper's client connection over a byte
//! stream from a [`connect::Connector`] (TCP, or arti for `.onion`), with politeness per hop,
//! manual redirects, timeouts, and the body caps.

pub(crate) mod body;
pub(crate) mod connect;
pub(crate) mod retry;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use url::Url;
use wire::PageHeaders;

use crate::config::{FetchConfig, Oversize};
use crate::error::{FetchError, FetchErrorKind};
use crate::html;
use crate::politeness::{HostGate, HostPermit};
use crate::stats::SkipReason;
use crate::util::{host_key, resolve_link};
use body::{Decoder, Encoding};
use connect::{BoxStream, Connector, TcpConnector};

/// Which network a source fetches through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Network {
    /// Plain TCP (and TLS for https).
    Clear,
    /// The embedded Tor client.
    Tor,
}

/// A response whose body was read.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// Final URL (after redirects).
    pub(crate) url: Url,
    pub(crate) status: u16,
    pub(crate) headers: PageHeaders,
    /// Media type essence, lower-cased.
    pub(crate) media_type: Option<String>,
    /// Declared charset (header, else HTML `<meta>`).
    pub(crate) charset: Option<String>,
    pub(crate) body: Vec<u8>,
    pub(crate) truncated: bool,
    pub(crate) took: Duration,
}

/// What a fetch came to, short of an error.
#[derive(Debug)]
pub(crate) enum Outcome {
    Fetched(Box<Fetched>),
    Skipped { url: String, reason: SkipReason },
}

/// Aborts the connection task when dropped.
struct ConnTask(tokio::task::JoinHandle<()>);
impl Drop for ConnTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One response, with what keeps it alive.
struct Hop {
    response: http::Response<Incoming>,
    _conn: ConnTask,
    _permit: HostPermit,
}

/// Fetches URLs politely.
pub(crate) struct Fetcher {
    cfg: FetchConfig,
    user_agent: String,
    gate: Arc<HostGate>,
    tcp: TcpConnector,
    tls: Option<tokio_rustls::TlsConnector>,
    tor: Option<Arc<dyn Connector>>,
    tor_connect_timeout: Duration,
}

impl Fetcher {
    pub(crate) fn new(
        cfg: FetchConfig,
        user_agent: String,
        gate: Arc<HostGate>,
        tor: Option<Arc<dyn Connector>>,
        tor_connect_timeout: Duration,
    ) -> Fetcher {
        let tcp = TcpConnector {
            timeout: Duration::from_millis(cfg.connect_timeout_ms),
        };
        Fetcher {
            tls: connect::tls_connector().ok(),
            cfg,
            user_agent,
            gate,
            tcp,
            tor,
            tor_connect_timeout,
        }
    }

    /// Fetches `url`, following same-host redirects.
    pub(crate) async fn fetch(
        &self,
        source: &str,
        url: Url,
        network: Network,
    ) -> Result<Outcome, FetchError> {
        let started = Instant::now();
        let origin = host_key(&url);
        let mut current = url;
        let mut chain = vec![current.clone()];
        loop {
            let hop = self.request(source, &current, network).await?;
            let status = hop.response.status();
            if status.is_redirection() {
                let next = hop
                    .response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|loc| resolve_link(&current, loc));
                drop(hop);
                let skip = |url: &Url, reason| {
                    Ok(Outcome::Skipped {
                        url: url.to_string(),
                        reason,
                    })
                };
                let Some(next) = next else {
                    return skip(&current, SkipReason::HttpStatus);
                };
                if host_key(&next) != origin {
                    return skip(&next, SkipReason::OffHost);
                }
                if chain.contains(&next) {
                    return skip(&chain[0], SkipReason::RedirectLoop);
                }
                if chain.len() > self.cfg.max_redirects as usize {
                    return skip(&chain[0], SkipReason::RedirectLimit);
                }
                chain.push(next.clone());
                current = next;
                continue;
            }
            return self.read(hop, current, started).await;
        }
    }

    async fn request(&self, source: &str, url: &Url, network: Network) -> Result<Hop, FetchError> {
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(FetchError::new(FetchErrorKind::Connect, "URL has no host")),
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let key = host_key(url).unwrap_or_else(|| host.clone());
        let permit = self.gate.acquire(&key).await;
        crate::metrics::request(source);

        let (connector, connect_timeout): (&dyn Connector, Duration) = match network {
            Network::Clear => (
                &self.tcp,
                Duration::from_millis(self.cfg.connect_timeout_ms),
            ),
            Network::Tor => match &self.tor {
                Some(t) => (t.as_ref(), self.tor_connect_timeout),
                None => {
                    return Err(FetchError::new(
                        FetchErrorKind::TorBootstrap,
                        "no Tor client in this crawler",
                    ));
                }
            },
        };
        let mut stream: BoxStream = connector.connect(&host, port).await?;
        if url.scheme() == "https" {
            let Some(tls) = &self.tls else {
                return Err(FetchError::new(FetchErrorKind::Tls, "TLS is not available"));
            };
            stream = connect::tls(tls, &host, stream, connect_timeout).await?;
        }

        let request_timeout = Duration::from_millis(self.cfg.request_timeout_ms);
        let host_header = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or(&host)),
            None => url.host_str().unwrap_or(&host).to_owned(),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let proto = |e: &dyn std::fmt::Display| {
            FetchError::new(FetchErrorKind::Protocol, format!("{key}: {e}"))
        };
        let request = http::Request::get(path)
            .header(header::HOST, host_header)
            .header(header::USER_AGENT, &self.user_agent)
            .header(header::ACCEPT, "*/*")
            .header(header::ACCEPT_ENCODING, "gzip, deflate")
            .header(header::CONNECTION, "close")
            .body(Empty::<Bytes>::new())
            .map_err(|e| proto(&e))?;

        let exchange = async {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| proto(&e))?;
            let conn = ConnTask(tokio::spawn(async move {
                let _ = conn.await;
            }));
            let response = sender.send_request(request).await.map_err(|e| proto(&e))?;
            Ok::<_, FetchError>((response, conn))
        };
        let (response, conn) = tokio::time::timeout(request_timeout, exchange)
            .await
            .map_err(|_| {
                FetchError::new(
                    FetchErrorKind::Timeout,
                    format!("{key}: no response headers within {request_timeout:?}"),
                )
            })??;
        Ok(Hop {
            response,
            _conn: conn,
            _permit: permit,
        })
    }

    async fn read(&self, hop: Hop, url: Url, started: Instant) -> Result<Outcome, FetchError> {
        let status = hop.response.status();
        let headers = hop.response.headers();
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let skip = |reason| {
            Ok(Outcome::Skipped {
                url: url.to_string(),
                reason,
            })
        };
        if status.as_u16() == 429 || status.is_server_error() {
            let retry_after = text(header::RETRY_AFTER)
                .and_then(|v| retry::parse_retry_after(&v, SystemTime::now()));
            let mut e = FetchError::new(
                FetchErrorKind::Status,
                format!("{} answered {status}", host_key(&url).unwrap_or_default()),
            );
            e.status = Some(status.as_u16());
            e.retry_after = retry_after;
            return Err(e);
        }
        if !status.is_success() {
            return skip(SkipReason::HttpStatus);
        }
        let page_headers = PageHeaders {
            content_type: text(header::CONTENT_TYPE),
            last_modified: text(header::LAST_MODIFIED),
            etag: text(header::ETAG),
        };
        let (media_type, header_charset) =
            html::parse_content_type(page_headers.content_type.as_deref());
        // A download (`application/octet-stream`) is read only as far as its first KiB says
        // it is text or a file the matcher reads.
        let sniffed = media_type.as_ref().is_some_and(|media| {
            !media_allowed(&self.cfg.content_types, media)
                && media_allowed(&self.cfg.sniffed_content_types, media)
        });
        if let Some(media) = &media_type
            && !media_allowed(&self.cfg.content_types, media)
            && !sniffed
        {
            return skip(SkipReason::ContentType);
        }
        let Some(encoding) = Encoding::parse(text(header::CONTENT_ENCODING).as_deref()) else {
            return skip(SkipReason::UnsupportedEncoding);
        };
        let cap = usize::try_from(self.cfg.max_body_bytes).unwrap_or(usize::MAX);
        let declared_len = text(header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
        if self.cfg.oversize == Oversize::Skip
            && encoding == Encoding::Identity
            && declared_len.is_some_and(|n| n > self.cfg.max_body_bytes)
        {
            return skip(SkipReason::TooLarge);
        }

        let Hop {
            response,
            _conn,
            _permit,
        } = hop;
        let mut body = response.into_body();
        let mut decoder = Decoder::new(encoding, cap);
        let key = host_key(&url).unwrap_or_default();
        // Whether the body was cut at the cap, and whether a sniffed body's first KiB was
        // found binary (the rest then not read).
        let read_all = async {
            let mut wire_bytes = 0usize;
            let mut sniffing = sniffed;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| {
                    FetchError::new(FetchErrorKind::Protocol, format!("{key}: body: {e}"))
                })?;
                if let Ok(data) = frame.into_data() {
                    wire_bytes += data.len();
                    decoder.feed(&data).map_err(|e| {
                        FetchError::new(FetchErrorKind::Decode, format!("{key}: body: {e}"))
                    })?;
                    if sniffing && decoder.decoded().len() >= SNIFF_BYTES {
                        if looks_binary(decoder.decoded(), None) {
                            return Ok((false, true));
                        }
                        sniffing = false;
                    }
                    if decoder.overflowed() || wire_bytes > cap {
                        return Ok((true, false));
                    }
                }
            }
            Ok::<(bool, bool), FetchError>((false, false))
        };
        let body_timeout = Duration::from_millis(self.cfg.body_timeout_ms);
        let (cut, binary) = tokio::time::timeout(body_timeout, read_all)
            .await
            .map_err(|_| {
                FetchError::new(
                    FetchErrorKind::Timeout,
                    format!("{key}: body not complete within {body_timeout:?}"),
                )
            })??;
        if binary {
            return skip(SkipReason::Binary);
        }
        let truncated = cut || decoder.overflowed();
        if truncated && self.cfg.oversize == Oversize::Skip {
            return skip(SkipReason::TooLarge);
        }
        let body = decoder
            .finish()
            .map_err(|e| FetchError::new(FetchErrorKind::Decode, format!("{key}: body: {e}")))?
            .buf;
        let charset = header_charset.or_else(|| {
            media_type
                .as_deref()
                .filter(|m| html::is_html(m))
                .and_then(|_| html::meta_charset(&body))
        });
        if looks_binary(&body, charset.as_deref()) {
            return skip(SkipReason::Binary);
        }
        Ok(Outcome::Fetched(Box::new(Fetched {
            url,
            status: status.as_u16(),
            headers: page_headers,
            media_type,
            charset,
            body,
            truncated,
            took: started.elapsed(),
        })))
    }
}

/// `media` (lower-case essence) against `type/subtype` and `type/*` patterns.
pub(crate) fn media_allowed(allowed: &[String], media: &str) -> bool {
    allowed.iter().any(|pattern| {
        let pattern = pattern.trim().to_ascii_lowercase();
        match pattern.strip_suffix("/*") {
            Some(ty) => media.split('/').next() == Some(ty),
            None => pattern == media,
        }
    })
}

/// How much of a sniffed body is read before deciding whether to read the rest.
const SNIFF_BYTES: usize = 1024;

/// NUL bytes in the first KiB, unless the charset is a UTF-16/32 one or the body is an archive
/// the matcher reads what it holds of: ZIP (a spreadsheet, a document, or files), 7z, RAR, gzip, xz,
/// Zstandard or bzip2 (`.tar.gz`, `dump.sql.xz`, `dump.sql.bz2`), tar (POSIX and GNU: `ustar`
/// at byte 257), an SQLite database, an OLE2 compound file (an Office 97–2003 file or an
/// Outlook message), a PDF file, an RTF document (`\bin` pictures may hold NUL bytes) or
/// Outlook's TNEF (`winmail.dat`).
pub(crate) fn looks_binary(body: &[u8], charset: Option<&str>) -> bool {
    let wide = charset.is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.starts_with("utf-16") || c.starts_with("utf-32") || c.starts_with("ucs")
    });
    let archive = body.starts_with(b"PK\x03\x04")
        || body.starts_with(b"7z\xBC\xAF\x27\x1C")
        || body.starts_with(b"Rar!\x1A\x07\x00")
        || body.starts_with(b"Rar!\x1A\x07\x01\x00")
        || body.starts_with(b"\x1F\x8B\x08")
        || body.starts_with(b"\xFD7zXZ\x00")
        || body.starts_with(b"\x28\xB5\x2F\xFD")
        || (body.starts_with(b"BZh") && body.get(4..10) == Some(b"\x31\x41\x59\x26\x53\x59"))
        || body.get(257..262) == Some(b"ustar")
        || body.starts_with(b"SQLite format 3\0")
        || body.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
        || body.starts_with(b"%PDF-")
        || body.starts_with(b"{\\rtf")
        || body.starts_with(b"\x78\x9F\x3E\x22");
    !wide && !archive && body[..body.len().min(1024)].contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_patterns() {
        let allowed = vec!["text/*".to_owned(), "application/json".to_owned()];
        assert!(media_allowed(&allowed, "text/plain"));
        assert!(media_allowed(&allowed, "text/html"));
        assert!(media_allowed(&allowed, "application/json"));
        assert!(!media_allowed(&allowed, "application/octet-stream"));
        assert!(!media_allowed(&allowed, "image/png"));
    }

    #[test]
    fn binary_sniff() {
        assert!(looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00", None));
        // Archives go on to the matcher, which reads them.
        assert!(!looks_binary(b"PK\x03\x04\x00\x00", None));
        assert!(!looks_binary(b"7z\xBC\xAF\x27\x1C\x00\x04", None));
        assert!(!looks_binary(b"Rar!\x1A\x07\x01\x00\x00", None));
        assert!(!looks_binary(b"Rar!\x1A\x07\x00\x00", None));
        assert!(looks_binary(b"Rar!\x1A\x07\x02\x00", None));
        assert!(!looks_binary(b"\x1F\x8B\x08\x00\x00", None));
        assert!(!looks_binary(b"\xFD7zXZ\x00\x00", None));
        assert!(!looks_binary(b"\x28\xB5\x2F\xFD\x00", None));
        assert!(!looks_binary(b"BZh91AY&SY\x00\x00", None));
        assert!(looks_binary(b"BZh9xxxxxx\x00\x00", None));
        let mut tar = vec![0u8; 1024];
        tar[..5].copy_from_slice(b"a.csv");
        tar[257..263].copy_from_slice(b"ustar\0");
        assert!(!looks_binary(&tar, None));
        tar[257] = b'x';
        assert!(looks_binary(&tar, None));
        assert!(!looks_binary(b"SQLite format 3\0\x10\x00", None));
        assert!(!looks_binary(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", None));
        assert!(!looks_binary(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n\0", None));
        assert!(!looks_binary(b"{\\rtf1{\\pict\\bin2 \0\0}}", None));
        assert!(!looks_binary(
            b"\x78\x9F\x3E\x22\x01\x02\x01\x06\x90\x08\0",
            None
        ));
        assert!(!looks_binary(b"plain text", None));
        assert!(!looks_binary(b"a\x00b\x00", Some("UTF-16LE")));
    }
}
