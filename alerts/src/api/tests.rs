//! Router tests against a real [`SqliteStore`]: auth matrix, pagination, filters, triage,
//! limits, the live feed's resume, and the OpenAPI document against the routes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use wire::{Alert, AlertSpan, Confidence};

use super::*;
use crate::{AlertStore, SqliteStore};

const VIEWER: &str = "viewer-token-aaaaaaaaaaaa";
const ANALYST: &str = "analyst-token-bbbbbbbbbbbb";
const ADMIN: &str = "admin-token-cccccccccccccc";

fn alert(i: u32, confidence: Confidence, source: &str) -> Alert {
    let record = format!("r{:016x}", 0xabc000 + u64::from(i % 50));
    let page_hash = wire::body_hash(format!("page {i}").as_bytes());
    Alert {
        v: wire::ALERT_VERSION,
        id: wire::alert_id(&page_hash, "b1", &record),
        source: source.into(),
        url: format!("https://paste.example/raw/{i}"),
        page_hash,
        fetched_at_ms: 1_700_000_000_000 + u64::from(i % 37) * 1_000,
        detected_at_ms: 1_700_000_000_500,
        bundle_id: "b1".into(),
        record,
        confidence,
        fields: vec!["name".into(), "phone".into()],
        spans: vec![AlertSpan {
            start: 1,
            end: 5,
            kind: "phone".into(),
        }],
        occurrences: 1,
        page_records: 1,
    }
}

fn confidence_of(i: u32) -> Confidence {
    [Confidence::Low, Confidence::Medium, Confidence::High][i as usize % 3]
}

fn source_of(i: u32) -> &'static str {
    if i.is_multiple_of(4) {
        "onion"
    } else {
        "pastes"
    }
}

/// A store with `n` alerts (confidence by `i % 3`, source `onion` for every fourth).
fn store_with(n: u32) -> Arc<SqliteStore> {
    let store = SqliteStore::open_in_memory().unwrap();
    let alerts: Vec<Alert> = (0..n)
        .map(|i| alert(i, confidence_of(i), source_of(i)))
        .collect();
    for chunk in alerts.chunks(50) {
        store.upsert(chunk).unwrap();
    }
    Arc::new(store)
}

fn api_with(store: Arc<SqliteStore>, config: ApiConfig, auth: Auth) -> Api {
    Api::with_auth(store, &config, auth).unwrap()
}

fn tokens() -> Auth {
    Auth::from_tokens([
        ("vera", Role::Viewer, VIEWER),
        ("anna", Role::Analyst, ANALYST),
        ("root", Role::Admin, ADMIN),
    ])
}

fn api(store: Arc<SqliteStore>) -> Api {
    api_with(store, ApiConfig::default(), tokens())
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

async fn call(
    api: &Api,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some((content_type, bytes)) => req
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(bytes)),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let resp = api.router().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(api: &Api, uri: &str, token: Option<&str>) -> Answer {
    call(api, Method::GET, uri, token, None).await
}

async fn patch(api: &Api, uri: &str, token: Option<&str>, json: &str) -> Answer {
    call(
        api,
        Method::PATCH,
        uri,
        token,
        Some(("application/json", json.as_bytes().to_vec())),
    )
    .await
}

fn first_id(store: &SqliteStore) -> String {
    store.after_seq(0, 1).unwrap()[0].alert.id.clone()
}

#[tokio::test]
async fn auth_matrix() {
    let store = store_with(5);
    let id = first_id(&store);
    let api = api(store.clone());
    let alert_uri = format!("/api/alerts/{id}");
    let ack = r#"{"status":"acknowledged"}"#;
    // (method, uri, token, expected status)
    let cases: Vec<(Method, String, Option<&str>, StatusCode)> = vec![
        (
            Method::GET,
            "/api/alerts".into(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::GET,
            "/api/alerts".into(),
            Some("wrong-token-xxxxxxxxxx"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::GET,
            "/api/alerts".into(),
            Some(""),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::GET,
            "/api/alerts".into(),
            Some(VIEWER),
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/alerts".into(),
            Some(ANALYST),
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/alerts".into(),
            Some(ADMIN),
            StatusCode::OK,
        ),
        (
            Method::GET,
            alert_uri.clone(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (Method::GET, alert_uri.clone(), Some(VIEWER), StatusCode::OK),
        (
            Method::PATCH,
            alert_uri.clone(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::PATCH,
            alert_uri.clone(),
            Some("wrong-token-xxxxxxxxxx"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::PATCH,
            alert_uri.clone(),
            Some(VIEWER),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::PATCH,
            alert_uri.clone(),
            Some(ANALYST),
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            alert_uri.clone(),
            Some(ADMIN),
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/stats".into(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::GET,
            "/api/stats".into(),
            Some(VIEWER),
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/records/r0000000000abc001".into(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::GET,
            "/api/records/r0000000000abc001".into(),
            Some(VIEWER),
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/me".into(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (Method::GET, "/api/me".into(), Some(VIEWER), StatusCode::OK),
        // The query token is for EventSource on the live feed only.
        (
            Method::GET,
            format!("/api/alerts?access_token={VIEWER}"),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::GET,
            "/api/stream".into(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        // Public: the dashboard, probes, metrics, the API document.
        (Method::GET, "/".into(), None, StatusCode::OK),
        (Method::GET, "/assets/app.js".into(), None, StatusCode::OK),
        (
            Method::GET,
            "/assets/style.css".into(),
            None,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/assets/secret.key".into(),
            None,
            StatusCode::NOT_FOUND,
        ),
        (Method::GET, "/healthz".into(), None, StatusCode::OK),
        (Method::GET, "/readyz".into(), None, StatusCode::OK),
        (Method::GET, "/metrics".into(), None, StatusCode::OK),
        (
            Method::GET,
            "/api/openapi.json".into(),
            None,
            StatusCode::OK,
        ),
    ];
    for (method, uri, token, want) in cases {
        let body = (method == Method::PATCH).then(|| ("application/json", ack.as_bytes().to_vec()));
        let a = call(&api, method.clone(), &uri, token, body).await;
        assert_eq!(
            a.status,
            want,
            "{method} {uri} with {token:?}: {}",
            String::from_utf8_lossy(&a.body)
        );
        if !a.status.is_success() {
            let e = a.error();
            assert!(!e.is_empty(), "{method} {uri}: JSON error body");
            for t in [VIEWER, ANALYST, ADMIN, "wrong-token"] {
                assert!(!e.contains(t), "{method} {uri}: token in error {e:?}");
            }
        }
        if a.status == StatusCode::UNAUTHORIZED {
            assert!(a.headers.contains_key(header::WWW_AUTHENTICATE));
        }
    }
    // Schemes other than Bearer, and malformed headers, are 401.
    for value in ["Basic dmlld2VyOng=", VIEWER, "Bearer"] {
        let req = Request::get("/api/alerts")
            .header(header::AUTHORIZATION, value)
            .body(Body::empty())
            .unwrap();
        let resp = api.router().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{value}");
    }
    // The analysts' PATCHes are in the audit trail under the token's name.
    let detail = get(&api, &alert_uri, Some(VIEWER)).await.json();
    let actors: Vec<&str> = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["anna"], "{detail}");
    assert_eq!(detail["status"], "acknowledged");
    // Who am I.
    let me = get(&api, "/api/me", Some(ANALYST)).await.json();
    assert_eq!(
        (
            me["name"].as_str(),
            me["role"].as_str(),
            me["auth"].as_bool()
        ),
        (Some("anna"), Some("analyst"), Some(true))
    );
}

#[tokio::test]
async fn auth_off_is_admin_on_loopback_only() {
    let store = store_with(2);
    let id = first_id(&store);
    let api = api_with(store, ApiConfig::default(), Auth::off());
    assert!(api.auth_is_off());
    let a = patch(
        &api,
        &format!("/api/alerts/{id}"),
        None,
        r#"{"assignee":"kim"}"#,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["audit"][0]["actor"], "local");
    let me = get(&api, "/api/me", None).await.json();
    assert_eq!(me["auth"], false);

    let e = check_listen("0.0.0.0:8080".parse().unwrap(), true)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("api.listen:") && e.contains("loopback"),
        "{e}"
    );
    check_listen("[::1]:8080".parse().unwrap(), true).unwrap();
    check_listen("0.0.0.0:8080".parse().unwrap(), false).unwrap();
    let config = ApiConfig {
        listen: "0.0.0.0:0".into(),
        ..ApiConfig::default()
    };
    let open = api_with(store_with(0), config, Auth::off());
    assert!(open.bind().await.is_err());
    let bound = api.bind_addr("127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert!(bound.local_addr().ip().is_loopback());
}

#[tokio::test]
async fn pagination_covers_every_alert_exactly_once() {
    let store = store_with(230);
    let api = api(store.clone());
    for (filter, expected) in [
        ("", 230usize),
        ("&min_confidence=medium", 153),
        ("&source=onion", 58),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut uri = format!("/api/alerts?limit=17{filter}");
            if let Some(c) = &cursor {
                uri.push_str(&format!("&cursor={c}"));
            }
            let page = get(&api, &uri, Some(VIEWER)).await;
            assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.error());
            let page = page.json();
            let alerts = page["alerts"].as_array().unwrap();
            assert!(alerts.len() <= 17);
            let mut prev = u64::MAX;
            for a in alerts {
                let first_seen = a["first_seen_ms"].as_u64().unwrap();
                assert!(first_seen <= prev, "newest first");
                prev = first_seen;
                seen.push(a["alert"]["id"].as_str().unwrap().to_owned());
            }
            pages += 1;
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
            assert!(pages < 100, "pagination does not end");
        }
        let distinct: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(
            distinct.len(),
            seen.len(),
            "{filter}: an alert on two pages"
        );
        assert_eq!(seen.len(), expected, "{filter}");
    }
    // `limit` above the cap is capped, not refused.
    let api = api_with(
        store,
        ApiConfig {
            max_page_alerts: 10,
            ..ApiConfig::default()
        },
        tokens(),
    );
    let page = get(&api, "/api/alerts?limit=100000", Some(VIEWER)).await;
    assert_eq!(page.json()["alerts"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn filters_and_bad_values() {
    let store = store_with(60);
    let api = api(store.clone());
    let some = store.after_seq(0, 1).unwrap().remove(0).alert;
    let count = |a: &Answer| a.json()["alerts"].as_array().map_or(usize::MAX, Vec::len);
    // (query, expected count)
    let ok: Vec<(String, usize)> = vec![
        ("".into(), 60),
        ("min_confidence=high".into(), 20),
        ("source=onion".into(), 15),
        ("status=new".into(), 60),
        ("status=resolved".into(), 0),
        (format!("record={}", some.record), 2),
        (
            format!(
                "record={}",
                some.record.to_uppercase().replacen('R', "r", 1)
            ),
            2,
        ),
        (format!("page_hash={}", some.page_hash), 1),
        ("url_contains=raw/1".into(), 11),
        ("url_contains=RAW/59".into(), 1),
        ("since_ms=1700000036000".into(), 1),
        ("until_ms=1700000001000".into(), 2),
        ("since_ms=1700000001000&until_ms=1700000002000".into(), 2),
        // SQL-ish strings are bound as parameters: nothing matches, nothing breaks.
        ("url_contains=%27%20OR%201%3D1%20--".into(), 0),
        ("source=x%27%20OR%20%271%27%3D%271".into(), 0),
        ("url_contains=%25".into(), 0),
        ("url_contains=_".into(), 0),
        ("source=%22%3B%20DROP%20TABLE%20alerts%3B%20--".into(), 0),
    ];
    for (query, want) in ok {
        let a = get(&api, &format!("/api/alerts?{query}"), Some(VIEWER)).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{query}: {}",
            String::from_utf8_lossy(&a.body)
        );
        assert_eq!(count(&a), want, "{query}");
    }
    assert_eq!(store.count().unwrap(), 60, "the table is still there");
    // (query, the parameter the error must name)
    let bad = [
        ("min_confidence=sure", "min_confidence"),
        ("status=closed", "status"),
        ("record=12345", "record"),
        ("record=r12345678%27%20OR%201%3D1", "record"),
        ("page_hash=abc", "page_hash"),
        ("since_ms=yesterday", "since_ms"),
        ("since_ms=-1", "since_ms"),
        ("until_ms=99999999999999999999999", "until_ms"),
        ("since_ms=5&until_ms=4", "until_ms"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("cursor=garbage", "cursor"),
        ("source=", "source"),
        ("colour=red", "colour"),
        ("limit=1&limit=2", "limit"),
    ];
    for (query, name) in bad {
        let a = get(&api, &format!("/api/alerts?{query}"), Some(VIEWER)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(a.error().contains(name), "{query}: {}", a.error());
    }
}

#[tokio::test]
async fn one_alert_one_record_and_stats() {
    let store = store_with(60);
    let api = api(store.clone());
    let some = store.after_seq(0, 1).unwrap().remove(0).alert;
    let a = get(&api, &format!("/api/alerts/{}", some.id), Some(VIEWER)).await;
    assert_eq!(a.status, StatusCode::OK);
    let d = a.json();
    assert_eq!(d["alert"]["id"], some.id.as_str());
    assert_eq!(d["audit"], serde_json::json!([]));
    assert!(d["seq"].as_u64().is_some());
    assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");

    let missing = get(
        &api,
        &format!("/api/alerts/{}", "0".repeat(32)),
        Some(VIEWER),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad = get(&api, "/api/alerts/nope'--", Some(VIEWER)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.error().starts_with("id:"));

    let r = get(&api, &format!("/api/records/{}", some.record), Some(VIEWER)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = r.json();
    assert_eq!(r["record"], some.record.as_str());
    let alerts = r["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2);
    assert!(
        alerts
            .iter()
            .all(|a| a["alert"]["record"] == some.record.as_str())
    );
    let r = get(
        &api,
        &format!("/api/records/{}?min_confidence=high&limit=1", some.record),
        Some(VIEWER),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    for bad in [
        "r123",
        "x0000000000abc001",
        "r0000000000abc00g",
        "r0000000000abc0011",
    ] {
        let a = get(&api, &format!("/api/records/{bad}"), Some(VIEWER)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(a.error().starts_with("ref:"), "{}", a.error());
    }
    let a = get(
        &api,
        &format!("/api/records/{}?record=r1", some.record),
        Some(VIEWER),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    let s = get(&api, "/api/stats", Some(VIEWER)).await.json();
    assert_eq!(s["total"], 60);
    assert_eq!(s["by_confidence"]["high"], 20);
    assert_eq!(s["distinct_records"], 50);
    let s = get(&api, "/api/stats?since_ms=1700000036000", Some(VIEWER))
        .await
        .json();
    assert_eq!(s["total"], 1);
    let a = get(&api, "/api/stats?since_ms=now", Some(VIEWER)).await;
    assert!(a.status == StatusCode::BAD_REQUEST && a.error().contains("since_ms"));
}

#[tokio::test]
async fn triage_bodies_and_limits() {
    let store = store_with(3);
    let id = first_id(&store);
    let api = api_with(
        store.clone(),
        ApiConfig {
            max_body_bytes: 1024,
            ..ApiConfig::default()
        },
        tokens(),
    );
    let uri = format!("/api/alerts/{id}");
    // (body, status, what the error names)
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("{".into(), StatusCode::BAD_REQUEST, "malformed JSON"),
        ("[]".into(), StatusCode::BAD_REQUEST, "JSON object"),
        ("{}".into(), StatusCode::BAD_REQUEST, "nothing to change"),
        (
            r#"{"status":"closed"}"#.into(),
            StatusCode::BAD_REQUEST,
            "status",
        ),
        (r#"{"status":3}"#.into(), StatusCode::BAD_REQUEST, "status"),
        (
            r#"{"assignee":7}"#.into(),
            StatusCode::BAD_REQUEST,
            "assignee",
        ),
        (
            r#"{"assignee":""}"#.into(),
            StatusCode::BAD_REQUEST,
            "assignee",
        ),
        (r#"{"note":""}"#.into(), StatusCode::BAD_REQUEST, "note"),
        (
            r#"{"colour":"red"}"#.into(),
            StatusCode::BAD_REQUEST,
            "colour",
        ),
        (
            format!(r#"{{"note":"{}"}}"#, "x".repeat(2000)),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body",
        ),
    ];
    for (body, want, names) in cases {
        let a = patch(&api, &uri, Some(ANALYST), &body).await;
        assert_eq!(a.status, want, "{}", &body[..body.len().min(40)]);
        assert!(
            a.error().contains(names),
            "{}: {}",
            &body[..body.len().min(40)],
            a.error()
        );
    }
    let a = call(
        &api,
        Method::PATCH,
        &uri,
        Some(ANALYST),
        Some(("text/plain", b"{\"note\":\"x\"}".to_vec())),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let missing = patch(
        &api,
        &format!("/api/alerts/{}", "f".repeat(32)),
        Some(ANALYST),
        r#"{"note":"n"}"#,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Nothing of the refused changes reached the store.
    assert!(store.audit(&id).unwrap().is_empty());

    let a = patch(
        &api,
        &uri,
        Some(ANALYST),
        r#"{"status":"false_positive","assignee":"kim","note":"test data"}"#,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.error());
    let d = a.json();
    assert_eq!(
        (d["status"].as_str(), d["assignee"].as_str()),
        (Some("false_positive"), Some("kim"))
    );
    let fields: BTreeSet<&str> = d["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, BTreeSet::from(["status", "assignee", "note"]));
    let a = patch(&api, &uri, Some(ADMIN), r#"{"assignee":null}"#).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["assignee"], Value::Null);
    assert_eq!(store.get(&id).unwrap().unwrap().assignee, None);
    let unknown = call(&api, Method::DELETE, &uri, Some(ADMIN), None).await;
    assert_eq!(unknown.status, StatusCode::METHOD_NOT_ALLOWED);
    let nowhere = get(&api, "/api/nowhere", Some(ADMIN)).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert!(!nowhere.error().is_empty());
}

/// Reads SSE events from a streaming body until `n` `alert` events (or the time runs out).
struct Events {
    body: Body,
    buf: String,
}

#[derive(Debug)]
struct Event {
    event: String,
    id: Option<String>,
    data: String,
}

impl Events {
    async fn next(&mut self) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut e = Event {
                    event: "message".into(),
                    id: None,
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        e.event = v.trim().into();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("id:") {
                        e.id = Some(v.trim().into());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        e.data.push_str(v.trim_start());
                        any = true;
                    }
                }
                if any {
                    return Some(e);
                }
                continue; // a comment (keep-alive)
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??
                .ok()?;
            if let Ok(data) = frame.into_data() {
                self.buf.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }

    async fn alerts(&mut self, n: usize) -> Vec<u64> {
        let mut seqs = Vec::new();
        while seqs.len() < n {
            let e = self.next().await.expect("an event in time");
            assert_eq!(e.event, "alert", "{e:?}");
            let v: Value = serde_json::from_str(&e.data).unwrap();
            let seq = v["seq"].as_u64().unwrap();
            assert_eq!(e.id.as_deref(), Some(seq.to_string().as_str()));
            seqs.push(seq);
        }
        seqs
    }
}

async fn open_stream(api: &Api, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, Events) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = api
        .router()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    if status == StatusCode::OK {
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
    }
    (
        status,
        Events {
            body: resp.into_body(),
            buf: String::new(),
        },
    )
}

#[tokio::test]
async fn live_feed_resumes_with_last_event_id_and_sends_new_alerts() {
    let store = store_with(6);
    let seqs: Vec<u64> = store
        .after_seq(0, 100)
        .unwrap()
        .iter()
        .map(|a| a.seq)
        .collect();
    assert_eq!(seqs.len(), 6);
    let config = ApiConfig {
        // Long poll: new alerts below arrive through the notifier, not by polling.
        stream_poll_ms: 60_000,
        ..ApiConfig::default()
    };
    let api = api_with(store.clone(), config, tokens());
    let bearer = format!("Bearer {VIEWER}");

    // Resume after the third: exactly the three missed ones, in order.
    let (status, mut feed) = open_stream(
        &api,
        "/api/stream",
        &[
            ("authorization", &bearer),
            ("last-event-id", &seqs[2].to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let ready = feed.next().await.unwrap();
    assert_eq!(ready.event, "ready");
    assert_eq!(
        serde_json::from_str::<Value>(&ready.data).unwrap()["after"],
        seqs[2]
    );
    assert_eq!(feed.alerts(3).await, seqs[3..]);

    // `?after=` and the query token (EventSource), and no header: the same.
    let (status, mut by_query) = open_stream(
        &api,
        &format!("/api/stream?after={}&access_token={VIEWER}", seqs[4]),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_query.next().await.unwrap().event, "ready");
    assert_eq!(by_query.alerts(1).await, [seqs[5]]);

    // Without a resume point: only alerts stored from now on.
    let (_, mut live) = open_stream(&api, &format!("/api/stream?access_token={VIEWER}"), &[]).await;
    let ready = live.next().await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&ready.data).unwrap()["after"],
        seqs[5]
    );

    // A new alert, stored and poked: every open feed gets it (the 60 s poll is not waited for).
    store
        .upsert(&[alert(1000, Confidence::High, "pastes")])
        .unwrap();
    api.notifier().notify_waiters();
    let new = store.after_seq(seqs[5], 10).unwrap()[0].seq;
    assert_eq!(feed.alerts(1).await, [new]);
    assert_eq!(by_query.alerts(1).await, [new]);
    assert_eq!(live.alerts(1).await, [new]);

    // min_confidence filters the feed; bad values and the wrong auth are refused.
    let (_, mut high) = open_stream(
        &api,
        &format!("/api/stream?after=0&min_confidence=high&access_token={VIEWER}"),
        &[],
    )
    .await;
    assert_eq!(high.next().await.unwrap().event, "ready");
    let highs = store
        .after_seq(0, 100)
        .unwrap()
        .into_iter()
        .filter(|a| a.alert.confidence == Confidence::High)
        .count();
    assert_eq!(high.alerts(highs).await.len(), highs);
    for (uri, want) in [
        (
            format!("/api/stream?after=x&access_token={VIEWER}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/stream?min_confidence=sure&access_token={VIEWER}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/stream?access_token=wrong-token-xxxxxxx".into(),
            StatusCode::UNAUTHORIZED,
        ),
        ("/api/stream".into(), StatusCode::UNAUTHORIZED),
    ] {
        let (status, _) = open_stream(&api, &uri, &[]).await;
        assert_eq!(status, want, "{uri}");
    }
    let (status, _) = open_stream(
        &api,
        "/api/stream",
        &[("authorization", &bearer), ("last-event-id", "abc")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn live_feed_polls_for_alerts_written_elsewhere_and_caps_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.sqlite");
    let reader = Arc::new(SqliteStore::open(&path).unwrap());
    let config = ApiConfig {
        stream_poll_ms: 50,
        max_streams: 1,
        ..ApiConfig::default()
    };
    let api = api_with(reader, config, tokens());
    let (status, mut feed) =
        open_stream(&api, &format!("/api/stream?access_token={VIEWER}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(feed.next().await.unwrap().event, "ready");
    // Another process (here: another connection) writes; nobody pokes the notifier.
    let writer = SqliteStore::open(&path).unwrap();
    writer
        .upsert(&[alert(7, Confidence::Medium, "onion")])
        .unwrap();
    assert_eq!(feed.alerts(1).await.len(), 1);
    // One stream at most: the second is refused while the first is open.
    let (status, _) = open_stream(&api, &format!("/api/stream?access_token={VIEWER}"), &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    drop(feed);
    // The slot is freed once the feed notices its client went away.
    let mut reopened = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (status, _) =
            open_stream(&api, &format!("/api/stream?access_token={VIEWER}"), &[]).await;
        if status == StatusCode::OK {
            reopened = true;
            break;
        }
    }
    assert!(reopened, "the stream slot was never freed");
}

#[tokio::test]
async fn openapi_document_lists_exactly_the_routes() {
    let doc: Value = serde_json::from_str(openapi::DOCUMENT).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = Api::routes()
        .into_iter()
        .map(|(m, p, _)| (m.to_owned(), p.to_owned()))
        .collect();
    assert_eq!(documented, routed);
    // Every $ref resolves.
    let text = openapi::DOCUMENT;
    for part in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(doc["components"]["schemas"][name].is_object(), "{name}");
    }
    // And the router serves each of them (auth off: admin), with any id filled in.
    let store = store_with(1);
    let id = first_id(&store);
    let api = api_with(store, ApiConfig::default(), Auth::off());
    for (method, path) in &routed {
        let uri = path
            .replace("{id}", &id)
            .replace("{ref}", "r0000000000abc000")
            .replace("{file}", "app.js");
        let body =
            (method == "PATCH").then(|| ("application/json", br#"{"note":"checked"}"#.to_vec()));
        if path == "/api/stream" {
            let (status, _) = open_stream(&api, &uri, &[]).await;
            assert_eq!(status, StatusCode::OK, "{method} {uri}");
            continue;
        }
        let a = call(&api, method.parse().unwrap(), &uri, None, body).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{method} {uri}: {}",
            String::from_utf8_lossy(&a.body)
        );
    }
    let served = get(&api, "/api/openapi.json", None).await;
    assert_eq!(served.json(), doc);
}

#[tokio::test]
async fn metrics_render_what_the_facade_recorded() {
    let api = api(store_with(0));
    install_metrics_recorder().expect("the first recorder of this test process");
    metrics::counter!("leakwatch_api_test_total").increment(3);
    let a = get(&api, "/metrics", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(a.body).unwrap();
    assert!(text.contains("leakwatch_api_test_total 3"), "{text}");
    // The API counts its own requests by route template (never an id or a record reference).
    let id = "0".repeat(32);
    get(&api, &format!("/api/alerts/{id}"), Some(VIEWER)).await;
    let text = String::from_utf8(get(&api, "/metrics", None).await.body).unwrap();
    assert!(
        text.contains(
            r#"leakwatch_api_requests_total{route="/api/alerts/{id}",method="GET",status="404"} "#
        ),
        "{text}"
    );
    assert!(!text.contains(&id), "{text}");

    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ops = ops_router(ready.clone());
    let probe = |uri: &'static str| {
        let ops = ops.clone();
        async move {
            ops.oneshot(Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(probe("/healthz").await, StatusCode::OK);
    assert_eq!(probe("/readyz").await, StatusCode::SERVICE_UNAVAILABLE);
    ready.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(probe("/readyz").await, StatusCode::OK);
    assert_eq!(probe("/metrics").await, StatusCode::OK);
    assert_eq!(probe("/api/alerts").await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dashboard_is_served_with_a_strict_policy() {
    let api = api(store_with(0));
    let a = get(&api, "/", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        a.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(String::from_utf8_lossy(&a.body).contains("/assets/app.js"));
    let js = get(&api, "/assets/app.js", None).await;
    assert!(
        js.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}

#[tokio::test]
async fn serve_ends_open_feeds_at_shutdown() {
    let api = api(store_with(1));
    let bound = api.bind_addr("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = bound.local_addr();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        api.serve(bound, async move {
            let _ = stop_rx.await;
        })
        .await
    });
    // An open live feed over a real connection.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(
        format!("GET /api/stream?access_token={VIEWER} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = String::new();
    while !got.contains("event: ready") {
        let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    stop_tx.send(()).unwrap();
    let done = tokio::time::timeout(Duration::from_secs(10), server).await;
    assert!(
        matches!(done, Ok(Ok(Ok(())))),
        "the server did not stop: {done:?}"
    );
}

/// A store whose `stats` takes `delay` (everything else: the SQLite store).
struct SlowStats {
    inner: SqliteStore,
    delay: Duration,
}

impl AlertStore for SlowStats {
    fn upsert(&self, alerts: &[Alert]) -> Result<crate::Upserted, crate::Error> {
        self.inner.upsert(alerts)
    }
    fn get(&self, id: &str) -> Result<Option<crate::StoredAlert>, crate::Error> {
        self.inner.get(id)
    }
    fn list(&self, query: &crate::AlertQuery) -> Result<crate::AlertPage, crate::Error> {
        self.inner.list(query)
    }
    fn count(&self) -> Result<u64, crate::Error> {
        self.inner.count()
    }
    fn triage(
        &self,
        id: &str,
        change: &crate::Triage,
        actor: &str,
        now_ms: u64,
    ) -> Result<Option<crate::StoredAlert>, crate::Error> {
        self.inner.triage(id, change, actor, now_ms)
    }
    fn audit(&self, id: &str) -> Result<Vec<crate::AuditEntry>, crate::Error> {
        self.inner.audit(id)
    }
    fn stats(&self, since_ms: Option<u64>) -> Result<crate::Stats, crate::Error> {
        std::thread::sleep(self.delay);
        self.inner.stats(since_ms)
    }
    fn after_seq(&self, seq: u64, limit: usize) -> Result<Vec<crate::StoredAlert>, crate::Error> {
        self.inner.after_seq(seq, limit)
    }
    fn purge(&self, older_than_ms: u64) -> Result<u64, crate::Error> {
        self.inner.purge(older_than_ms)
    }
    fn webhook_cursor(&self, webhook: &str) -> Result<Option<u64>, crate::Error> {
        self.inner.webhook_cursor(webhook)
    }
    fn set_webhook_cursor(&self, webhook: &str, seq: u64) -> Result<(), crate::Error> {
        self.inner.set_webhook_cursor(webhook, seq)
    }
    fn webhook_lease(
        &self,
        webhook: &str,
        holder: &str,
        ttl_ms: u64,
    ) -> Result<bool, crate::Error> {
        self.inner.webhook_lease(webhook, holder, ttl_ms)
    }
    fn release_webhook_lease(&self, webhook: &str, holder: &str) -> Result<(), crate::Error> {
        self.inner.release_webhook_lease(webhook, holder)
    }
    fn dead_letter(&self, entry: &crate::DeadLetter) -> Result<(), crate::Error> {
        self.inner.dead_letter(entry)
    }
    fn dead_letters(
        &self,
        webhook: Option<&str>,
        limit: usize,
    ) -> Result<Vec<crate::DeadLetter>, crate::Error> {
        self.inner.dead_letters(webhook, limit)
    }
}

#[tokio::test]
async fn a_request_over_the_timeout_is_answered_503() {
    let store = Arc::new(SlowStats {
        inner: SqliteStore::open_in_memory().unwrap(),
        delay: Duration::from_millis(1500),
    });
    let config = ApiConfig {
        request_timeout_ms: 100,
        ..ApiConfig::default()
    };
    let api = Api::with_auth(store, &config, tokens()).unwrap();
    let a = get(&api, "/api/stats", Some(VIEWER)).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(a.error().contains("timed out"), "{}", a.error());
    // Other routes are not held up.
    assert_eq!(
        get(&api, "/api/alerts", Some(VIEWER)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn idle_and_slow_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = ApiConfig {
        header_read_timeout_ms: 300,
        ..ApiConfig::default()
    };
    let api = api_with(store_with(1), config, tokens());
    let bound = api.bind_addr("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = bound.local_addr();
    tokio::spawn(async move { api.serve(bound, std::future::pending()).await });
    // Sends nothing; then sends half a request head and stops.
    for partial in ["", "GET /healthz HTTP/1.1\r\nHost: x\r\n"] {
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(partial.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut buf)).await;
        assert!(
            matches!(read, Ok(Ok(_))),
            "{partial:?}: the server kept the connection open"
        );
    }
    // A complete request is answered.
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    conn.read_to_end(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}
