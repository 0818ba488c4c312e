//! What a webhook receives: alerts grouped by page, rendered as leakwatch JSON or a Slack
//! message, and signed.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use wire::Confidence;

use super::config::{Format, WebhookConfig};
use crate::StoredAlert;

/// One POST: alerts of one page (consecutive in the store's insertion order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The alerts, in insertion order.
    pub alerts: Vec<StoredAlert>,
}

impl Notification {
    /// The highest confidence among the alerts.
    pub fn max_confidence(&self) -> Confidence {
        self.alerts
            .iter()
            .map(|a| a.alert.confidence)
            .max()
            .unwrap_or(Confidence::Low)
    }

    /// The last alert's sequence number (the cursor after this notification).
    pub fn last_seq(&self) -> u64 {
        self.alerts.last().map_or(0, |a| a.seq)
    }

    /// Stable id of this delivery (the same alerts always give the same id): 32 hex digits of
    /// BLAKE3 over the alert ids.
    pub fn delivery_id(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"leakwatch webhook delivery v1\0");
        for a in &self.alerts {
            h.update(a.alert.id.as_bytes());
            h.update(b"\0");
        }
        h.finalize().to_hex()[..32].to_owned()
    }
}

/// Splits alerts (in insertion order) into notifications: eligible alerts only (not suppressed,
/// at or above `min_confidence`), consecutive alerts of one page together, at most `max` per
/// notification.
pub fn group(alerts: &[StoredAlert], min_confidence: Confidence, max: usize) -> Vec<Notification> {
    let mut out: Vec<Notification> = Vec::new();
    for a in alerts
        .iter()
        .filter(|a| !a.suppressed && a.alert.confidence >= min_confidence)
    {
        let same_page = out.last().is_some_and(|n| {
            n.alerts.len() < max.max(1)
                && n.alerts.last().is_some_and(|l| {
                    l.alert.page_hash == a.alert.page_hash && l.alert.url == a.alert.url
                })
        });
        if same_page {
            if let Some(n) = out.last_mut() {
                n.alerts.push(a.clone());
            }
        } else {
            out.push(Notification {
                alerts: vec![a.clone()],
            });
        }
    }
    out
}

#[derive(Serialize)]
struct JsonBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    delivery_id: String,
    webhook: &'a str,
    page: JsonPage<'a>,
    max_confidence: Confidence,
    alerts: Vec<JsonAlert<'a>>,
}

#[derive(Serialize)]
struct JsonPage<'a> {
    url: &'a str,
    source: &'a str,
    page_hash: &'a str,
    fetched_at_ms: u64,
    page_records: u32,
}

#[derive(Serialize)]
struct JsonAlert<'a> {
    id: &'a str,
    seq: u64,
    record: &'a str,
    confidence: Confidence,
    fields: &'a [String],
    bundle_id: &'a str,
    detected_at_ms: u64,
}

/// The request body for `config.format`. Holds record references, field kinds, the URL and
/// hashes only — never a value from the page.
pub fn render(config: &WebhookConfig, n: &Notification) -> Vec<u8> {
    let Some(first) = n.alerts.first() else {
        return b"{}".to_vec();
    };
    let a = &first.alert;
    let value = match config.format {
        Format::Json => serde_json::to_value(JsonBody {
            kind: "leakwatch.alerts.v1",
            delivery_id: n.delivery_id(),
            webhook: &config.name,
            page: JsonPage {
                url: &a.url,
                source: &a.source,
                page_hash: &a.page_hash,
                fetched_at_ms: a.fetched_at_ms,
                page_records: a.page_records,
            },
            max_confidence: n.max_confidence(),
            alerts: n
                .alerts
                .iter()
                .map(|s| JsonAlert {
                    id: &s.alert.id,
                    seq: s.seq,
                    record: &s.alert.record,
                    confidence: s.alert.confidence,
                    fields: &s.alert.fields,
                    bundle_id: &s.alert.bundle_id,
                    detected_at_ms: s.alert.detected_at_ms,
                })
                .collect(),
        }),
        Format::Slack => Ok(slack(n)),
    };
    // Plain strings and numbers always serialize.
    value
        .map(|v| serde_json::to_vec(&v).unwrap_or_default())
        .unwrap_or_default()
}

/// Escapes the three characters Slack's mrkdwn treats as control characters; a page's URL is
/// attacker-chosen text.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn slack(n: &Notification) -> serde_json::Value {
    let a = &n.alerts[0].alert;
    let count = n.alerts.len();
    let records = if count == 1 { "record" } else { "records" };
    let text = format!(
        "leakwatch: {count} register {records} found ({} confidence) in a page from source {}: {}",
        n.max_confidence(),
        slack_escape(&a.source),
        slack_escape(&a.url),
    );
    let refs: Vec<String> = n
        .alerts
        .iter()
        .take(20)
        .map(|s| format!("`{}` {}", s.alert.record, s.alert.confidence))
        .collect();
    let more = if count > 20 {
        format!("\n… and {} more", count - 20)
    } else {
        String::new()
    };
    serde_json::json!({
        "text": text,
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": text } },
            { "type": "section", "text": { "type": "mrkdwn",
                "text": format!("{}{more}", refs.join("\n")) } },
            { "type": "context", "elements": [ { "type": "mrkdwn",
                "text": format!("page hash `{}` · delivery `{}`", a.page_hash, n.delivery_id()) } ] }
        ]
    })
}

/// `sha256=` and the hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`: the value of the
/// `X-Leakwatch-Signature` header. Receivers recompute it and compare in constant time, and
/// reject timestamps far from their clock (replays).
pub fn signature(secret: &[u8], timestamp_s: u64, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
