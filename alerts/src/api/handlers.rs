//! The JSON routes: alerts, one alert, triage, stats, one record, the caller, readiness.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use wire::Confidence;

use super::{Analyst, ApiError, AppState, Viewer, blocking, query_pairs};
use crate::{AlertQuery, AuditEntry, Status, StoredAlert, Triage};

/// Longest `source` or `url_contains` filter accepted, in bytes.
const MAX_FILTER_BYTES: usize = 2048;

/// Query parameters by name; each at most once, only known names.
struct Params(BTreeMap<String, String>);

impl Params {
    fn parse(uri: &Uri, known: &[&str]) -> Result<Params, ApiError> {
        let mut map = BTreeMap::new();
        for (k, v) in query_pairs(uri)? {
            if !known.contains(&k.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {k:?} (known: {})",
                    known.join(", ")
                )));
            }
            if map.insert(k.clone(), v).is_some() {
                return Err(ApiError::bad_request(format!("{k}: given more than once")));
            }
        }
        Ok(Params(map))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn parsed<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|v| parse(v).map_err(|m| ApiError::bad_request(format!("{name}: {m}"))))
            .transpose()
    }

    fn ms(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.parsed(name, |v| match v.parse::<u64>() {
            Ok(n) if n <= i64::MAX as u64 => Ok(n),
            _ => Err(format!("{v:?} is not a Unix time in milliseconds")),
        })
    }

    fn text(&self, name: &str) -> Result<Option<String>, ApiError> {
        self.parsed(name, |v| {
            if v.is_empty() || v.len() > MAX_FILTER_BYTES {
                Err(format!("must be 1 to {MAX_FILTER_BYTES} bytes"))
            } else {
                Ok(v.to_owned())
            }
        })
    }
}

/// `r` + 16 hex digits (lower-cased).
pub(super) fn parse_record(v: &str) -> Result<String, String> {
    let hex = v.strip_prefix('r').unwrap_or("");
    if hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(format!(
            "{:?} is not a record reference (\"r\" and 16 hex digits)",
            truncate(v)
        ))
    }
}

fn parse_confidence(v: &str) -> Result<Confidence, String> {
    v.parse()
}

fn parse_status(v: &str) -> Result<Status, String> {
    v.parse()
}

fn parse_page_hash(v: &str) -> Result<String, String> {
    if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(v.to_ascii_lowercase())
    } else {
        Err("expected 64 hex digits (a BLAKE3 body hash)".into())
    }
}

/// Echoes at most 40 characters of a bad value.
fn truncate(v: &str) -> String {
    v.chars().take(40).collect()
}

const ALERT_FILTERS: &[&str] = &[
    "since_ms",
    "until_ms",
    "min_confidence",
    "source",
    "status",
    "record",
    "url_contains",
    "page_hash",
    "cursor",
    "limit",
];

const RECORD_FILTERS: &[&str] = &[
    "since_ms",
    "until_ms",
    "min_confidence",
    "source",
    "status",
    "cursor",
    "limit",
];

/// The store query of a request's filters (those in `known`).
fn alert_query(state: &AppState, uri: &Uri, known: &[&str]) -> Result<AlertQuery, ApiError> {
    let p = Params::parse(uri, known)?;
    let limit = p.parsed("limit", |v| match v.parse::<usize>() {
        Ok(0) | Err(_) => Err(format!("{:?} is not a positive number", truncate(v))),
        Ok(n) => Ok(n),
    })?;
    let q = AlertQuery {
        since_ms: p.ms("since_ms")?,
        until_ms: p.ms("until_ms")?,
        min_confidence: p.parsed("min_confidence", parse_confidence)?,
        record: p.parsed("record", parse_record)?,
        source: p.text("source")?,
        status: p.parsed("status", parse_status)?,
        url_contains: p.text("url_contains")?,
        page_hash: p.parsed("page_hash", parse_page_hash)?,
        cursor: p.text("cursor")?,
        limit: Some(
            limit
                .unwrap_or(crate::DEFAULT_LIMIT)
                .min(state.limits.max_page_alerts),
        ),
    };
    if let (Some(s), Some(u)) = (q.since_ms, q.until_ms)
        && s > u
    {
        return Err(ApiError::bad_request("until_ms: earlier than since_ms"));
    }
    Ok(q)
}

/// `GET /api/alerts`: `{alerts, next_cursor}`.
pub(super) async fn list_alerts(
    Viewer(_): Viewer,
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = alert_query(&state, &uri, ALERT_FILTERS)?;
    let page = blocking(&state, move |s| s.list(&q)).await?;
    Ok(Json(page).into_response())
}

/// One alert and its audit trail.
#[derive(Serialize)]
pub(super) struct AlertDetail {
    #[serde(flatten)]
    alert: StoredAlert,
    audit: Vec<AuditEntry>,
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "id: expected an alert id (32 hex digits)",
        ))
    }
}

async fn detail(state: &AppState, id: String) -> Result<Option<AlertDetail>, ApiError> {
    blocking(state, move |s| {
        let Some(alert) = s.get(&id)? else {
            return Ok(None);
        };
        let audit = s.audit(&id)?;
        Ok(Some(AlertDetail { alert, audit }))
    })
    .await
}

/// `GET /api/alerts/{id}`: the alert with its audit trail.
pub(super) async fn get_alert(
    Viewer(_): Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    Params::parse(&uri, &[])?;
    check_id(&id)?;
    match detail(&state, id).await? {
        Some(d) => Ok(Json(d).into_response()),
        None => Err(ApiError::not_found("no such alert")),
    }
}

/// The triage change of a `PATCH` body: `{status?, assignee?, note?}` (assignee `null`
/// unassigns). Errors name the field.
pub(super) fn parse_triage(body: &[u8]) -> Result<Triage, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("body: malformed JSON: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(ApiError::bad_request(
            "body: expected a JSON object {status?, assignee?, note?}",
        ));
    };
    let mut change = Triage::default();
    for (k, v) in fields {
        match (k.as_str(), v) {
            ("status", Value::String(s)) => {
                change.status = Some(
                    parse_status(&s).map_err(|m| ApiError::bad_request(format!("status: {m}")))?,
                )
            }
            ("status", _) => {
                return Err(ApiError::bad_request(
                    "status: expected a string (new, acknowledged, false_positive, resolved)",
                ));
            }
            ("assignee", Value::String(s)) => change.assignee = Some(Some(s)),
            ("assignee", Value::Null) => change.assignee = Some(None),
            ("assignee", _) => {
                return Err(ApiError::bad_request(
                    "assignee: expected a string, or null to unassign",
                ));
            }
            ("note", Value::String(s)) => change.note = Some(s),
            ("note", _) => return Err(ApiError::bad_request("note: expected a string")),
            (other, _) => {
                return Err(ApiError::bad_request(format!(
                    "unknown field {:?} (status, assignee, note)",
                    truncate(other)
                )));
            }
        }
    }
    if change == Triage::default() {
        return Err(ApiError::bad_request(
            "body: nothing to change (give status, assignee or note)",
        ));
    }
    Ok(change)
}

/// `PATCH /api/alerts/{id}`: triage as the token's name; answers the alert with its audit trail.
pub(super) async fn triage(
    Analyst(who): Analyst,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    let body = body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                format!("body: larger than {} bytes", state.limits.max_body_bytes),
            )
        } else {
            ApiError::new(status, "body: could not be read")
        }
    })?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type: expected application/json",
        ));
    }
    let change = parse_triage(&body)?;
    change.validate(&who.name).map_err(ApiError::store)?;
    let now = crate::now_ms();
    let actor = who.name.clone();
    let updated = {
        let id = id.clone();
        blocking(&state, move |s| s.triage(&id, &change, &actor, now)).await?
    };
    if updated.is_none() {
        return Err(ApiError::not_found("no such alert"));
    }
    match detail(&state, id).await? {
        Some(d) => Ok(Json(d).into_response()),
        None => Err(ApiError::not_found("no such alert")),
    }
}

/// `GET /api/stats?since_ms=`.
pub(super) async fn stats(
    Viewer(_): Viewer,
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, &["since_ms"])?;
    let since = p.ms("since_ms")?;
    let stats = blocking(&state, move |s| s.stats(since)).await?;
    Ok(Json(stats).into_response())
}

/// `GET /api/records/{ref}`: `{record, alerts, next_cursor}`, newest first.
pub(super) async fn record_alerts(
    Viewer(_): Viewer,
    State(state): State<AppState>,
    Path(record): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let record = parse_record(&record).map_err(|m| ApiError::bad_request(format!("ref: {m}")))?;
    let mut q = alert_query(&state, &uri, RECORD_FILTERS)?;
    q.record = Some(record.clone());
    let page = blocking(&state, move |s| s.list(&q)).await?;
    Ok(Json(serde_json::json!({
        "record": record,
        "alerts": page.alerts,
        "next_cursor": page.next_cursor,
    }))
    .into_response())
}

/// `GET /api/me`: who the token is (the dashboard offers triage to analysts and admins).
pub(super) async fn me(Viewer(who): Viewer, State(state): State<AppState>) -> Response {
    Json(serde_json::json!({
        "name": who.name,
        "role": who.role.as_str(),
        "auth": !state.auth.is_off(),
    }))
    .into_response()
}

/// `GET /readyz`: 200 when the store answers within 5 s, else 503.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let check = blocking(&state, |s| s.count());
    match tokio::time::timeout(Duration::from_secs(5), check).await {
        Ok(Ok(_)) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Ok(Err(_)) | Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the alert store is not reachable",
        )
        .into_response(),
    }
}
