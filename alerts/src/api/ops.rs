//! `/metrics` (Prometheus text), `/healthz` and `/readyz`, for the API server and, as a router
//! of their own ([`ops_router`], [`serve_ops`]), for the roles without an API (`leakwatch crawl`,
//! `leakwatch match`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::{ApiError, Error};

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's Prometheus recorder (no HTTP listener of its own: `/metrics` renders
/// it) behind the `metrics` facade, once per process; later calls return the same handle.
/// `None` if another recorder was installed first.
pub fn install_metrics_recorder() -> Option<PrometheusHandle> {
    RECORDER
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .clone()
}

/// `GET /metrics`: everything recorded through the `metrics` facade, Prometheus text format.
pub(super) async fn metrics() -> Response {
    let Some(handle) = install_metrics_recorder() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "another metrics recorder is installed in this process",
        )
        .into_response();
    };
    let text = tokio::task::spawn_blocking(move || {
        handle.run_upkeep();
        handle.render()
    })
    .await
    .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// `GET /healthz`: the process is up.
pub(super) async fn healthz() -> Response {
    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
}

/// `/metrics`, `/healthz` and `/readyz` alone: `/readyz` answers 200 once `ready` is set (the
/// role has started: topics prepared, consumers subscribed), 503 before.
pub fn ops_router(ready: Arc<AtomicBool>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route(
            "/readyz",
            get(move || {
                let ready = ready.load(Ordering::Relaxed);
                async move {
                    if ready {
                        axum::Json(serde_json::json!({ "status": "ready" })).into_response()
                    } else {
                        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "starting").into_response()
                    }
                }
            }),
        )
        .fallback(|| async { ApiError::not_found("no such route") })
}

/// Binds `addr` (`ops.listen`) and serves [`ops_router`] until `shutdown`; returns the bound
/// address once listening, the server runs on a spawned task.
pub async fn serve_ops(
    addr: SocketAddr,
    ready: Arc<AtomicBool>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<SocketAddr, Error> {
    install_metrics_recorder();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind {
            key: "ops.listen".into(),
            addr,
            source,
        })?;
    let local = listener.local_addr().map_err(Error::Serve)?;
    let app = ops_router(ready);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            eprintln!("ops endpoint: {e}");
        }
    });
    Ok(local)
}
