//! The alerts HTTP API, live feed and dashboard (axum), over any [`AlertStore`].
//!
//! | route | role | what |
//! |---|---|---|
//! | `GET /api/alerts` | viewer | alerts, newest first, filtered, cursor-paginated |
//! | `GET /api/alerts/{id}` | viewer | one alert with its audit trail |
//! | `PATCH /api/alerts/{id}` | analyst | triage: `{status?, assignee?, note?}` |
//! | `GET /api/stats` | viewer | counts by day, confidence, source, status |
//! | `GET /api/records/{ref}` | viewer | every alert that touched one record |
//! | `GET /api/stream` | viewer | live feed (Server-Sent Events, resumable) |
//! | `GET /api/me` | viewer | the caller's name and role (the dashboard shows triage by role) |
//! | `GET /api/openapi.json` | none | the OpenAPI 3.1 document of all of this |
//! | `GET /metrics`, `/healthz`, `/readyz` | none | Prometheus text, liveness, readiness |
//! | `GET /`, `/assets/{file}` | none | the dashboard (static, embedded in the binary) |
//!
//! Auth: `Authorization: Bearer <token>`; tokens and roles come from `[[api.token]]`
//! ([`ApiConfig`]). Without tokens auth is off and [`Api::bind`] refuses anything but a loopback
//! address. `EventSource` cannot set headers, so `/api/stream` (only it) also takes the token as
//! `?access_token=`. Tokens are compared as SHA-256 digests in constant time and never logged.
//!
//! Store calls block, so every one runs on the blocking pool.

mod assets;
mod config;
mod handlers;
mod openapi;
mod ops;
mod stream;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use tokio::sync::{Notify, Semaphore};

pub use config::{
    ApiConfig, Auth, MIN_TOKEN_CHARS, OpsConfig, Principal, Role, TokenConfig, TokenDigest,
    parse_listen,
};
pub use ops::{install_metrics_recorder, ops_router, serve_ops};

use crate::AlertStore;

/// Errors of the API's set-up (configuration, binding).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is unusable; names the key (`api.listen: ...`).
    #[error("{key}: {message}")]
    Config {
        /// The key, e.g. `api.token[0].token_file`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The listen address could not be bound.
    #[error("{key}: cannot listen on {addr}: {source}")]
    Bind {
        /// `api.listen` or `ops.listen`.
        key: String,
        /// The address.
        addr: SocketAddr,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("serving HTTP: {0}")]
    Serve(#[source] std::io::Error),
}

impl Error {
    /// What the caller can do about it.
    pub fn kind(&self) -> wire::ErrorKind {
        match self {
            Error::Config { .. } => wire::ErrorKind::BadInput,
            Error::Bind { .. } | Error::Serve(_) => wire::ErrorKind::Retry,
        }
    }
}

/// Limits of the API, from [`ApiConfig`].
#[derive(Debug, Clone)]
struct Limits {
    max_body_bytes: usize,
    max_page_alerts: usize,
    request_timeout: Duration,
    header_read_timeout: Duration,
    stream_poll: Duration,
    stream_keep_alive: Duration,
}

/// The state every handler shares.
#[derive(Clone)]
struct AppState {
    store: Arc<dyn AlertStore>,
    auth: Arc<Auth>,
    notify: Arc<Notify>,
    limits: Arc<Limits>,
    streams: Arc<Semaphore>,
    /// Set when the server shuts down: open live feeds end.
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

/// The API over one store: build it once, take its [`Api::notifier`] for the pipeline, then
/// [`Api::bind`] and [`Api::serve`] (or mount [`Api::router`] elsewhere).
pub struct Api {
    state: AppState,
    listen: SocketAddr,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("listen", &self.listen)
            .field("tokens", &self.state.auth.len())
            .finish()
    }
}

/// A bound listener, ready for [`Api::serve`].
#[derive(Debug)]
pub struct Bound {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

impl Bound {
    /// The address actually bound (with the real port when `:0` was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Api {
    /// The API over `store` with `config`'s limits and tokens (reads the token files).
    pub fn new(store: Arc<dyn AlertStore>, config: &ApiConfig) -> Result<Api, Error> {
        let auth = config.auth()?;
        Api::with_auth(store, config, auth)
    }

    /// The API with tokens given directly instead of `config.tokens`.
    pub fn with_auth(
        store: Arc<dyn AlertStore>,
        config: &ApiConfig,
        auth: Auth,
    ) -> Result<Api, Error> {
        config.validate()?;
        let limits = Limits {
            max_body_bytes: config.max_body_bytes,
            max_page_alerts: config.max_page_alerts,
            request_timeout: Duration::from_millis(config.request_timeout_ms),
            header_read_timeout: Duration::from_millis(config.header_read_timeout_ms),
            stream_poll: Duration::from_millis(config.stream_poll_ms),
            stream_keep_alive: Duration::from_millis(config.stream_keep_alive_ms),
        };
        Ok(Api {
            state: AppState {
                store,
                auth: Arc::new(auth),
                notify: Arc::new(Notify::new()),
                limits: Arc::new(limits),
                streams: Arc::new(Semaphore::new(config.max_streams)),
                closing: Arc::new(tokio::sync::watch::Sender::new(false)),
            },
            listen: config.listen_addr()?,
        })
    }

    /// Poke it (`notify_waiters`) after storing new alerts in this process: live feed clients
    /// then ask the store at once instead of at their next poll.
    pub fn notifier(&self) -> Arc<Notify> {
        self.state.notify.clone()
    }

    /// Whether auth is off (no tokens configured).
    pub fn auth_is_off(&self) -> bool {
        self.state.auth.is_off()
    }

    /// The configured listen address.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// Every route with its handler: one table, so the router and the OpenAPI test agree.
    fn routes() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
        use axum::routing::patch;
        vec![
            ("GET", "/", get(assets::index)),
            ("GET", "/assets/{file}", get(assets::asset)),
            ("GET", "/healthz", get(ops::healthz)),
            ("GET", "/readyz", get(handlers::readyz)),
            ("GET", "/metrics", get(ops::metrics)),
            ("GET", "/api/openapi.json", get(openapi::document)),
            ("GET", "/api/me", get(handlers::me)),
            ("GET", "/api/alerts", get(handlers::list_alerts)),
            ("GET", "/api/alerts/{id}", get(handlers::get_alert)),
            ("PATCH", "/api/alerts/{id}", patch(handlers::triage)),
            ("GET", "/api/stats", get(handlers::stats)),
            ("GET", "/api/records/{ref}", get(handlers::record_alerts)),
            ("GET", "/api/stream", get(stream::stream)),
        ]
    }

    /// The router: routes, JSON 404/405, body limit, timeout, security headers.
    pub fn router(&self) -> Router {
        let mut router = Router::new();
        for (_, path, handler) in Api::routes() {
            router = router.route(path, handler);
        }
        let limits = self.state.limits.clone();
        router
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(DefaultBodyLimit::max(limits.max_body_bytes))
            .layer(middleware::from_fn_with_state(limits, timeout))
            .layer(middleware::from_fn(security_headers))
            .layer(middleware::from_fn(count_requests))
            .with_state(self.state.clone())
    }

    /// Binds the configured `api.listen`. Without tokens only a loopback address is accepted,
    /// and a line on stderr says that auth is off.
    pub async fn bind(&self) -> Result<Bound, Error> {
        self.bind_addr(self.listen).await
    }

    /// Binds `addr` (the same rules as [`Api::bind`]).
    pub async fn bind_addr(&self, addr: SocketAddr) -> Result<Bound, Error> {
        check_listen(addr, self.auth_is_off())?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                key: "api.listen".into(),
                addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(Error::Serve)?;
        if self.auth_is_off() {
            eprintln!(
                "alerts api: auth is off (no [[api.token]] configured): bound to loopback only, \
                 http://{addr}/"
            );
        } else {
            eprintln!(
                "alerts api: listening on http://{addr}/ ({} bearer tokens)",
                self.state.auth.len()
            );
        }
        Ok(Bound { listener, addr })
    }

    /// Serves until `shutdown` completes (then finishes requests in flight; open live feeds
    /// are closed).
    ///
    /// HTTP/1.1 with a header read timeout (`api.header_read_timeout_ms`): a client that opens
    /// connections and sends nothing, or headers byte by byte, is disconnected.
    pub async fn serve(
        &self,
        bound: Bound,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        use hyper_util::rt::{TokioIo, TokioTimer};
        use hyper_util::service::TowerToHyperService;

        let app = self.router();
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = bound.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: keep serving the others.
                        eprintln!("alerts api: accepting a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let service = TowerToHyperService::new(app.clone());
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(self.state.limits.header_read_timeout)
                .serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                // A client going away mid-request is not our error.
                let _ = conn.await;
            });
        }
        drop(bound.listener);
        // Open live feeds never end by themselves: end them, or shutdown would wait.
        self.state.closing.send_replace(true);
        graceful.shutdown().await;
        Ok(())
    }
}

/// Refuses a non-loopback address when auth is off.
pub fn check_listen(addr: SocketAddr, auth_is_off: bool) -> Result<(), Error> {
    if auth_is_off && !addr.ip().is_loopback() {
        return Err(Error::Config {
            key: "api.listen".into(),
            message: format!(
                "{addr} is not a loopback address and no [[api.token]] is configured: \
                 without tokens the API listens on loopback only (e.g. 127.0.0.1:8080)"
            ),
        });
    }
    Ok(())
}

/// An error answer: a status and `{"error": "..."}`. Messages name the parameter at fault and
/// never hold a token.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// A store error: bad input is the caller's (400); anything else is logged (it names no
    /// personal value) and answered 503 (retry) or 500.
    fn store(e: crate::Error) -> ApiError {
        match e {
            crate::Error::BadInput(m) => ApiError::bad_request(m),
            e if e.kind() == wire::ErrorKind::Retry => {
                eprintln!("alerts api: {e}");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "alert store unavailable")
            }
            e => {
                eprintln!("alerts api: {e}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "alert store error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            axum::Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"leakwatch\""),
            );
        }
        r
    }
}

/// Runs a store call on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn AlertStore) -> Result<T, crate::Error> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "alert store task failed"))?
        .map_err(ApiError::store)
}

/// The caller, with at least the viewer role (extractor).
pub(crate) struct Viewer(pub Principal);
/// The caller, with at least the analyst role (extractor).
pub(crate) struct Analyst(pub Principal);

/// Who is calling, from `Authorization: Bearer`, or (only when `query_token` is allowed, for
/// `EventSource`) from `?access_token=`. 401 without a valid token, 403 below `needed`.
fn authorize(
    parts: &Parts,
    state: &AppState,
    needed: Role,
    query_token: bool,
) -> Result<Principal, ApiError> {
    if state.auth.is_off() {
        return Ok(Principal {
            name: "local".into(),
            role: Role::Admin,
        });
    }
    let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, m);
    let from_header = match parts.headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| unauthorized("malformed Authorization header"))?;
            let (scheme, token) = v
                .split_once(' ')
                .ok_or_else(|| unauthorized("Authorization: expected \"Bearer <token>\""))?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(unauthorized("Authorization: expected \"Bearer <token>\""));
            }
            Some(token.trim().to_owned())
        }
    };
    let token = match from_header {
        Some(t) => Some(t),
        None if query_token => query_pairs(&parts.uri)
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v),
        None => None,
    };
    let Some(token) = token else {
        return Err(unauthorized("a bearer token is required"));
    };
    let Some(principal) = state.auth.check(&token) else {
        return Err(unauthorized("unknown bearer token"));
    };
    if principal.role < needed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "the {} role is needed (this token has {})",
                needed.as_str(),
                principal.role.as_str()
            ),
        ));
    }
    Ok(principal)
}

/// The `application/x-www-form-urlencoded` pairs of a request's query string, in order.
fn query_pairs(uri: &axum::http::Uri) -> Result<Vec<(String, String)>, ApiError> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|_| ApiError::bad_request("malformed query string"))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Only the live feed takes `?access_token=`: EventSource cannot set headers.
        let query_token = parts.uri.path() == "/api/stream";
        authorize(parts, state, Role::Viewer, query_token).map(Viewer)
    }
}

impl FromRequestParts<AppState> for Analyst {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authorize(parts, state, Role::Analyst, false).map(Analyst)
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here")
}

/// 503 for a request (not the live feed's stream, which answers at once) that takes longer
/// than `request_timeout_ms`.
async fn timeout(State(limits): State<Arc<Limits>>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "request timed out").into_response()
        }
    }
}

/// Headers on every answer: no sniffing, no framing, no referrer; API answers are not cached.
async fn security_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// `leakwatch_api_requests_total{route,method,status}` (route: the matched route template, so
/// ids and record references never become label values) and
/// `leakwatch_api_request_seconds{route}` (until the response head; a live feed's stream is not
/// counted in it).
async fn count_requests(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_owned();
    let method = req.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let r = next.run(req).await;
    let status = r.status().as_u16().to_string();
    metrics::counter!("leakwatch_api_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("leakwatch_api_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    r
}
