//! The embedded Tor client: lazy bootstrap, per-host isolation, error-kind mapping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arti_client::config::{BoolOrAuto, CfgPath, TorClientConfigBuilder};
use arti_client::{
    ErrorKind as TorKind, HasKind, IsolationToken, StreamPrefs, TorClient, TorClientConfig,
};
use tor_rtcompat::PreferredRuntime;
use wire::BoxFuture;

use crate::config::OnionConfig;
use crate::error::{FetchError, FetchErrorKind};
use crate::http::connect::{BoxStream, Connector};

/// arti's config from `[onion]`: the `arti` table (TOML form of `TorClientConfigBuilder`) with
/// `storage.state_dir`/`cache_dir` set from `state_dir`/`cache_dir`.
pub(crate) fn client_config(config: &OnionConfig) -> Result<TorClientConfig, String> {
    let mut builder: TorClientConfigBuilder = match &config.arti {
        Some(table) => {
            let text = toml::to_string(table).map_err(|e| e.to_string())?;
            toml::from_str(&text).map_err(|e| e.to_string().trim_end().to_owned())?
        }
        None => TorClientConfigBuilder::default(),
    };
    if let Some(dir) = &config.state_dir {
        builder.storage().state_dir(CfgPath::new_literal(dir));
    }
    if let Some(dir) = &config.cache_dir {
        builder.storage().cache_dir(CfgPath::new_literal(dir));
    }
    builder.build().map_err(|e| e.to_string())
}

/// Maps arti's error kinds to ours (and so to retry / back off long / drop).
pub(crate) fn map_kind(kind: TorKind) -> FetchErrorKind {
    match kind {
        TorKind::OnionServiceNotFound => FetchErrorKind::TorOnionNotFound,
        TorKind::OnionServiceNotRunning
        | TorKind::OnionServiceConnectionFailed
        | TorKind::OnionServiceProtocolViolation => FetchErrorKind::TorOnionUnreachable,
        TorKind::OnionServiceAddressInvalid | TorKind::InvalidStreamTarget => {
            FetchErrorKind::TorBadAddress
        }
        TorKind::OnionServiceMissingClientAuth | TorKind::OnionServiceWrongClientAuth => {
            FetchErrorKind::TorClientAuth
        }
        TorKind::TorNetworkTimeout | TorKind::RemoteNetworkTimeout | TorKind::ExitTimeout => {
            FetchErrorKind::Timeout
        }
        TorKind::BootstrapRequired
        | TorKind::InvalidConfig
        | TorKind::FsPermissions
        | TorKind::PersistentStateAccessFailed
        | TorKind::PersistentStateCorrupted
        | TorKind::CacheAccessFailed
        | TorKind::CacheCorrupted
        | TorKind::KeystoreAccessFailed
        | TorKind::KeystoreCorrupted
        | TorKind::NoHomeDirectory
        | TorKind::FeatureDisabled
        | TorKind::LocalResourceAlreadyInUse
        | TorKind::ArtiShuttingDown => FetchErrorKind::TorBootstrap,
        TorKind::CircuitCollapse
        | TorKind::TorAccessFailed
        | TorKind::TorDirectoryError
        | TorKind::TorDirectoryUnusable
        | TorKind::DirectoryExpired
        | TorKind::NoPath
        | TorKind::NoExit
        | TorKind::TransientFailure
        | TorKind::RelayTooBusy
        | TorKind::CircuitRefused
        | TorKind::ClockSkew
        | TorKind::LocalNetworkError
        | TorKind::RemoteStreamClosed
        | TorKind::RemoteStreamReset
        | TorKind::RemoteStreamError
        | TorKind::RemoteConnectionRefused
        | TorKind::RemoteNetworkFailed => FetchErrorKind::TorNetwork,
        _ => FetchErrorKind::TorOther,
    }
}

fn tor_error(context: &str, e: &arti_client::Error) -> FetchError {
    // `ErrorReport` would be nicer, but the Display of arti's error already carries the chain.
    FetchError::new(map_kind(e.kind()), format!("{context}: {e}"))
}

/// Streams through the embedded Tor client.
pub(crate) struct TorConnector {
    config: OnionConfig,
    client: tokio::sync::OnceCell<Arc<TorClient<PreferredRuntime>>>,
    isolation: Mutex<HashMap<String, IsolationToken>>,
}

impl TorConnector {
    /// A connector; nothing starts until the first onion fetch.
    pub(crate) fn new(config: OnionConfig) -> TorConnector {
        TorConnector {
            config,
            client: tokio::sync::OnceCell::new(),
            isolation: Mutex::new(HashMap::new()),
        }
    }

    /// The isolation token of an onion host: one per host, never shared between hosts.
    pub(crate) fn isolation_token(&self, host: &str) -> IsolationToken {
        let mut map = self.isolation.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(host.to_ascii_lowercase())
            .or_insert_with(IsolationToken::new)
    }

    /// The Tor client, bootstrapped once per process on first use.
    async fn client(&self) -> Result<&Arc<TorClient<PreferredRuntime>>, FetchError> {
        self.client
            .get_or_try_init(|| async {
                let config = client_config(&self.config).map_err(|e| {
                    FetchError::new(FetchErrorKind::TorBootstrap, format!("onion.arti: {e}"))
                })?;
                let timeout = Duration::from_millis(self.config.bootstrap_timeout_ms);
                let builder = TorClient::builder().config(config);
                let bootstrap = builder.create_bootstrapped();
                match tokio::time::timeout(timeout, bootstrap).await {
                    Err(_) => Err(FetchError::new(
                        FetchErrorKind::TorBootstrap,
                        format!("Tor bootstrap did not finish within {timeout:?}"),
                    )),
                    Ok(Err(e)) => {
                        let mut err = tor_error("Tor bootstrap", &e);
                        if err.kind != FetchErrorKind::Timeout {
                            err.kind = FetchErrorKind::TorBootstrap;
                        }
                        Err(err)
                    }
                    Ok(Ok(client)) => Ok(client),
                }
            })
            .await
    }
}

impl Connector for TorConnector {
    fn connect<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, Result<BoxStream, FetchError>> {
        Box::pin(async move {
            if super::check_onion_host(host).is_err() {
                return Err(FetchError::new(
                    FetchErrorKind::TorBadAddress,
                    format!("{host} is not a valid v3 onion address"),
                ));
            }
            let client = self.client().await?;
            let mut prefs = StreamPrefs::new();
            prefs.connect_to_onion_services(BoolOrAuto::Explicit(true));
            prefs.set_isolation(self.isolation_token(host));
            let timeout = Duration::from_millis(self.config.connect_timeout_ms);
            match tokio::time::timeout(timeout, client.connect_with_prefs((host, port), &prefs))
                .await
            {
                Err(_) => Err(FetchError::new(
                    FetchErrorKind::Timeout,
                    format!("Tor stream to {host}:{port} not open within {timeout:?}"),
                )),
                Ok(Err(e)) => Err(tor_error(&format!("Tor stream to {host}:{port}"), &e)),
                Ok(Ok(stream)) => Ok(Box::new(stream) as BoxStream),
            }
        })
    }
}
