//! Byte streams to a host: plain TCP for clearnet, arti streams for onion services; TLS on top.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wire::BoxFuture;

use crate::error::{FetchError, FetchErrorKind};

/// A bidirectional byte stream.
pub(crate) trait IoStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> IoStream for T {}

/// A boxed [`IoStream`].
pub(crate) type BoxStream = Box<dyn IoStream>;

/// Opens byte streams to `host:port`.
pub(crate) trait Connector: Send + Sync {
    /// Connects; `host` is a domain name or an IP literal (without brackets).
    fn connect<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, Result<BoxStream, FetchError>>;
}

/// Plain TCP with a connect timeout.
pub(crate) struct TcpConnector {
    pub(crate) timeout: Duration,
}

impl Connector for TcpConnector {
    fn connect<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, Result<BoxStream, FetchError>> {
        Box::pin(async move {
            let connect = TcpStream::connect((host, port));
            match tokio::time::timeout(self.timeout, connect).await {
                Err(_) => Err(FetchError::new(
                    FetchErrorKind::Timeout,
                    format!("connect to {host}:{port} timed out"),
                )),
                Ok(Err(e)) => Err(FetchError::new(
                    FetchErrorKind::Connect,
                    format!("connect to {host}:{port}: {e}"),
                )),
                Ok(Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    Ok(Box::new(s) as BoxStream)
                }
            }
        })
    }
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

/// Wraps `stream` in TLS for `host`.
pub(crate) async fn tls(
    connector: &tokio_rustls::TlsConnector,
    host: &str,
    stream: BoxStream,
    timeout: Duration,
) -> Result<BoxStream, FetchError> {
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|e| {
        FetchError::new(
            FetchErrorKind::Tls,
            format!("{host}: not a TLS server name: {e}"),
        )
    })?;
    match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
        Err(_) => Err(FetchError::new(
            FetchErrorKind::Timeout,
            format!("TLS handshake with {host} timed out"),
        )),
        Ok(Err(e)) => Err(FetchError::new(
            FetchErrorKind::Tls,
            format!("TLS handshake with {host}: {e}"),
        )),
        Ok(Ok(s)) => Ok(Box::new(s) as BoxStream),
    }
}
