//! `GET /api/stream`: the live feed as Server-Sent Events.
//!
//! Each new stored alert is one `event: alert` whose `id:` is its [`StoredAlert::seq`] and whose
//! data is the stored alert as JSON. A client resumes with `Last-Event-ID` (browsers send it by
//! themselves when they reconnect) or `?after=SEQ` (for clients that cannot set headers): the
//! alerts it missed are replayed from the store ([`crate::AlertStore::after_seq`]) before new
//! ones. Without either, the feed starts with the alerts stored from now on. The first event is
//! `event: ready` with `{"after": SEQ}` (where the feed starts); keep-alive comments follow
//! quiet periods.
//!
//! New alerts are found by asking the store every `stream_poll_ms` (so alerts written by another
//! process, `alerts ingest` or a second replica, arrive too) and at once when this process pokes
//! [`super::Api::notifier`].

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;
use wire::Confidence;

use super::{ApiError, AppState, Viewer, blocking, query_pairs};
use crate::{AlertQuery, AlertStore, StoredAlert};

/// Alerts asked of the store at once.
const BATCH: usize = 500;

/// The highest `seq` stored: the newest alert's, or a later one's inserted with an older
/// first-seen time.
pub(super) fn tail_seq(store: &dyn AlertStore) -> Result<u64, crate::Error> {
    let newest = store.list(&AlertQuery {
        limit: Some(1),
        ..Default::default()
    })?;
    let mut seq = newest.alerts.first().map_or(0, |a| a.seq);
    loop {
        let later = store.after_seq(seq, BATCH)?;
        if let Some(last) = later.last() {
            seq = last.seq;
        }
        if later.len() < BATCH {
            return Ok(seq);
        }
    }
}

fn parse_seq(name: &str, v: &str) -> Result<u64, ApiError> {
    v.trim().parse::<u64>().map_err(|_| {
        ApiError::bad_request(format!(
            "{name}: expected an event id (a non-negative integer)"
        ))
    })
}

/// `GET /api/stream[?after=SEQ][&min_confidence=...][&access_token=...]`.
pub(super) async fn stream(
    Viewer(_): Viewer,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let mut after = None;
    let mut min_confidence = Confidence::Low;
    for (k, v) in query_pairs(&uri)? {
        match k.as_str() {
            "after" => after = Some(parse_seq("after", &v)?),
            "min_confidence" => {
                min_confidence = v
                    .parse()
                    .map_err(|m| ApiError::bad_request(format!("min_confidence: {m}")))?
            }
            "access_token" => {}
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {other:?} (known: after, min_confidence, \
                     access_token)"
                )));
            }
        }
    }
    if let Some(v) = headers.get("last-event-id") {
        let v = v
            .to_str()
            .map_err(|_| ApiError::bad_request("Last-Event-ID: not text"))?;
        after = Some(parse_seq("Last-Event-ID", v)?);
    }
    let Ok(permit) = state.streams.clone().try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many live feed connections",
        ));
    };
    let start = match after {
        Some(seq) => seq,
        None => blocking(&state, |s| tail_seq(s)).await?,
    };
    let (tx, mut rx) = mpsc::channel::<Event>(64);
    let keep_alive = state.limits.stream_keep_alive;
    tokio::spawn(async move {
        let _permit = permit;
        let open = metrics::gauge!("leakwatch_api_stream_clients");
        open.increment(1.0);
        feed(state, start, min_confidence, tx).await;
        open.decrement(1.0);
    });
    let events = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|e| e.map(Ok::<Event, Infallible>))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(keep_alive))
        .into_response())
}

fn alert_event(a: &StoredAlert) -> Event {
    Event::default()
        .event("alert")
        .id(a.seq.to_string())
        .json_data(a)
        .unwrap_or_else(|_| Event::default().comment("unencodable alert"))
}

/// Sends `ready`, then every alert after `start` as it is stored, until the client goes away or
/// the server shuts down.
async fn feed(state: AppState, start: u64, min_confidence: Confidence, tx: mpsc::Sender<Event>) {
    let ready = Event::default()
        .event("ready")
        .retry(Duration::from_secs(2))
        .data(serde_json::json!({ "after": start }).to_string());
    if tx.send(ready).await.is_err() {
        return;
    }
    let mut closing = state.closing.subscribe();
    let mut last = start;
    let mut failing = false;
    loop {
        if *closing.borrow() {
            return;
        }
        // Registered before asking the store, so a poke in between is not lost.
        let notified = state.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let batch = blocking(&state, move |s| s.after_seq(last, BATCH)).await;
        let full = match batch {
            Ok(alerts) => {
                failing = false;
                let full = alerts.len() == BATCH;
                for a in alerts {
                    last = last.max(a.seq);
                    if a.alert.confidence >= min_confidence
                        && tx.send(alert_event(&a)).await.is_err()
                    {
                        return;
                    }
                }
                full
            }
            Err(e) => {
                if !failing {
                    eprintln!("alerts api: live feed: {}", e.message);
                }
                failing = true;
                false
            }
        };
        if full {
            continue;
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep(state.limits.stream_poll) => {}
            () = tx.closed() => return,
            _ = closing.changed() => return,
        }
    }
}
