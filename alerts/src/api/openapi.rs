//! `GET /api/openapi.json`: the API's OpenAPI 3.1 document, hand-written in `openapi.json`
//! beside this file. A test checks that its paths and methods are exactly the router's.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The document.
pub(super) const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /api/openapi.json`.
pub(super) async fn document() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT,
    )
        .into_response()
}
