//! A minimal HTTP/1.1 POST over TCP or TLS (rustls with the Mozilla roots), enough for webhook
//! receivers.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// What one attempt got.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// The receiver answered 2xx.
    Delivered,
    /// It answered something else, or could not be reached; the reason has no secret in it.
    Failed(String),
}

/// TLS client with the Mozilla root set (webpki-roots) and the ring provider.
pub(crate) fn tls_connector() -> Result<tokio_rustls::TlsConnector, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for T {}

/// POSTs `body` to `url` with `headers`; the whole exchange (connect, TLS, request, response
/// head) within `timeout`. The response body is drained (at most 64 KiB) and dropped.
pub(crate) async fn post(
    tls: &tokio_rustls::TlsConnector,
    url: &url::Url,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Attempt {
    match tokio::time::timeout(timeout, exchange(tls, url, headers, body)).await {
        Err(_) => Attempt::Failed(format!("no answer within {} ms", timeout.as_millis())),
        Ok(Err(e)) => Attempt::Failed(e),
        Ok(Ok(status)) if (200..300).contains(&status) => Attempt::Delivered,
        Ok(Ok(status)) => Attempt::Failed(format!("HTTP {status}")),
    }
}

async fn exchange(
    tls: &tokio_rustls::TlsConnector,
    url: &url::Url,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
) -> Result<u16, String> {
    let host = url.host_str().ok_or("URL has no host")?.to_owned();
    let port = url
        .port_or_known_default()
        .ok_or("URL has no port for its scheme")?;
    let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("connecting to {host}:{port}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Stream> = if url.scheme() == "https" {
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| format!("{host}: not a TLS server name: {e}"))?;
        Box::new(
            tls.connect(name, tcp)
                .await
                .map_err(|e| format!("TLS handshake with {host}: {e}"))?,
        )
    } else {
        Box::new(tcp)
    };
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {host}: {e}"))?;
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let mut request = http::Request::post(path)
        .header(http::header::HOST, host_header)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(
            http::header::USER_AGENT,
            concat!("leakwatch/", env!("CARGO_PKG_VERSION")),
        )
        .header(http::header::CONNECTION, "close");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("building the request: {e}"))?;
    let result = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("POST to {host}: {e}"))?;
        let status = response.status().as_u16();
        // Drain a little of the body so the receiver is not cut off mid-write; ignore the rest.
        let mut body = response.into_body();
        let mut read = 0usize;
        while read < 64 * 1024 {
            match body.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
                _ => break,
            }
        }
        Ok(status)
    }
    .await;
    conn.abort();
    result
}
