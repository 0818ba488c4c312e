//! [`Alert`]: what the matcher raises for one register record found in one page.

use serde::{Deserialize, Serialize};

/// Version of the [`Alert`] wire format (the `v` field; also the `lw-version` Kafka header).
pub const ALERT_VERSION: u32 = 1;

/// How sure a finding, and the alert raised for it, is that a register record is in the page
/// (the matcher's `Confidence` is this type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// One field of the record (a name, an address, one strong identifier).
    Low,
    /// Two independent fields of the same record (e.g. name and birth date).
    Medium,
    /// A strong identifier plus another field, or three fields, of the same record.
    High,
}

impl Confidence {
    /// `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            other => Err(format!("unknown confidence {other:?} (low, medium, high)")),
        }
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one field was found: byte offsets into the page's text, and the field kind's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AlertSpan {
    /// Byte offset of the first byte (in the decoded or extracted text).
    pub start: u64,
    /// Byte offset one past the last byte.
    pub end: u64,
    /// Field kind name (`name`, `phone`, ...).
    pub kind: String,
}

/// One register record found in one page.
///
/// Holds only what may be stored and shown: the page's URL, source and BLAKE3 body hash, the
/// bundle id, the record's opaque reference (`r` + 16 hex digits, resolvable only by the data
/// owner), field *kind* names, byte offsets and the confidence. Never a value read from the page.
///
/// [`Alert::id`] is the idempotency key ([`alert_id`] of page hash, bundle id and record ref):
/// the same page scanned again (a redelivery, or the same body at another URL) gives the same
/// id, and stores upsert on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Wire format version ([`ALERT_VERSION`]).
    pub v: u32,
    /// Idempotency key: [`alert_id`]`(page_hash, bundle_id, record)`.
    pub id: String,
    /// Id of the crawl source of the page.
    pub source: String,
    /// URL of the page.
    pub url: String,
    /// BLAKE3 of the page body (64 hex digits).
    pub page_hash: String,
    /// When the page was fetched, Unix ms.
    pub fetched_at_ms: u64,
    /// When the page was scanned, Unix ms.
    pub detected_at_ms: u64,
    /// Id of the fingerprint bundle that matched.
    pub bundle_id: String,
    /// Opaque record reference, `r` + 16 hex digits.
    pub record: String,
    /// Confidence of this record's best group of fields in the page.
    pub confidence: Confidence,
    /// Field kind names of that group, sorted.
    pub fields: Vec<String>,
    /// Where those fields are.
    pub spans: Vec<AlertSpan>,
    /// How many separate places in the page name this record.
    pub occurrences: u32,
    /// How many register records the page names in all (at any confidence).
    pub page_records: u32,
}

/// Unix time now, in milliseconds.
#[cfg(feature = "kafka")]
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The idempotency key of an alert: 32 hex digits of BLAKE3 over a domain tag, the page's body
/// hash, the bundle id and the record reference.
pub fn alert_id(page_hash: &str, bundle_id: &str, record: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"leakwatch alert id v1\0");
    for part in [page_hash, bundle_id, record] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let hex = h.finalize().to_hex();
    hex[..32].to_owned()
}

impl Alert {
    /// JSON encoding (the Kafka message value and the embedded form).
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes and checks an alert: a known version, a well-formed id that matches its parts, a
    /// well-formed record reference.
    pub fn from_json(bytes: &[u8]) -> Result<Alert, String> {
        let alert: Alert = serde_json::from_slice(bytes).map_err(|e| format!("alert: {e}"))?;
        if alert.v != ALERT_VERSION {
            return Err(format!(
                "alert: version {} (this build reads {ALERT_VERSION})",
                alert.v
            ));
        }
        let r = alert.record.strip_prefix('r').unwrap_or("");
        if r.len() != 16 || !r.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("alert: record is not 'r' and 16 hex digits".into());
        }
        if alert.id != alert_id(&alert.page_hash, &alert.bundle_id, &alert.record) {
            return Err("alert: id does not match page_hash, bundle_id and record".into());
        }
        Ok(alert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Alert {
        let page_hash = crate::body_hash(b"x");
        Alert {
            v: ALERT_VERSION,
            id: alert_id(&page_hash, "b1", "r0123456789abcdef"),
            source: "s".into(),
            url: "http://x/1".into(),
            page_hash,
            fetched_at_ms: 1,
            detected_at_ms: 2,
            bundle_id: "b1".into(),
            record: "r0123456789abcdef".into(),
            confidence: Confidence::High,
            fields: vec!["birth_date".into(), "phone".into()],
            spans: vec![AlertSpan {
                start: 0,
                end: 12,
                kind: "phone".into(),
            }],
            occurrences: 1,
            page_records: 3,
        }
    }

    #[test]
    fn ids_depend_on_every_part_and_nothing_else() {
        let a = alert_id("h", "b", "r1");
        assert_eq!(a.len(), 32);
        assert_eq!(a, alert_id("h", "b", "r1"));
        assert_ne!(a, alert_id("h2", "b", "r1"));
        assert_ne!(a, alert_id("h", "b2", "r1"));
        assert_ne!(a, alert_id("h", "b", "r2"));
        // Length prefixes: moving a boundary changes the id.
        assert_ne!(alert_id("ab", "c", "r"), alert_id("a", "bc", "r"));
    }

    #[test]
    fn json_round_trip_and_checks() {
        let a = alert();
        assert_eq!(Alert::from_json(&a.to_json()).unwrap(), a);
        let mut bad = a.clone();
        bad.record = "r1".into();
        assert!(Alert::from_json(&bad.to_json()).is_err());
        let mut bad = a.clone();
        bad.v = 2;
        assert!(
            Alert::from_json(&bad.to_json())
                .unwrap_err()
                .contains("version 2")
        );
        let mut bad = a;
        bad.url = "other".into();
        bad.id = "0".repeat(32);
        assert!(Alert::from_json(&bad.to_json()).is_err());
        assert!(Alert::from_json(b"{").is_err());
    }
}
