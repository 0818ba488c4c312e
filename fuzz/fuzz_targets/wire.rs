//! The wire decoders for pages and alerts: arbitrary bytes give an error, never a panic; and
//! decode(encode(x)) == x for pages and alerts built from arbitrary fields.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wire::{Alert, AlertSpan, Confidence, Page, PageHeaders, alert_id};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    raw_version: Option<&'a [u8]>,
    raw_meta: Option<&'a [u8]>,
    raw_body: &'a [u8],
    raw_alert: &'a [u8],
    page: PageParts<'a>,
    alert: AlertParts,
}

#[derive(Debug, Arbitrary)]
struct PageParts<'a> {
    url: String,
    source: String,
    fetched_at_ms: u64,
    status: u16,
    content_type: Option<String>,
    charset: Option<String>,
    last_modified: Option<String>,
    etag: Option<String>,
    body: &'a [u8],
    truncated: bool,
}

#[derive(Debug, Arbitrary)]
struct AlertParts {
    source: String,
    url: String,
    body: Vec<u8>,
    fetched_at_ms: u64,
    detected_at_ms: u64,
    bundle_id: String,
    record: u64,
    confidence: u8,
    fields: Vec<String>,
    spans: Vec<(u64, u64, String)>,
    occurrences: u32,
    page_records: u32,
}

fuzz_target!(|input: Input<'_>| {
    let _ = Page::from_wire(input.raw_version, input.raw_meta, input.raw_body);
    let _ = Alert::from_json(input.raw_alert);

    let p = input.page;
    let mut page = Page::new(p.url, p.source, p.fetched_at_ms, p.status, p.body.to_vec());
    page.content_type = p.content_type;
    page.charset = p.charset;
    page.headers = PageHeaders {
        content_type: None,
        last_modified: p.last_modified,
        etag: p.etag,
    };
    page.truncated = p.truncated;
    let (version, meta, body) = page.to_wire();
    assert_eq!(
        Page::from_wire(Some(&version), Some(&meta), body).as_ref(),
        Ok(&page)
    );

    let a = input.alert;
    let page_hash = wire::body_hash(&a.body);
    let record = format!("r{:016x}", a.record);
    let alert = Alert {
        v: wire::ALERT_VERSION,
        id: alert_id(&page_hash, &a.bundle_id, &record),
        source: a.source,
        url: a.url,
        page_hash,
        fetched_at_ms: a.fetched_at_ms,
        detected_at_ms: a.detected_at_ms,
        bundle_id: a.bundle_id,
        record,
        confidence: [Confidence::Low, Confidence::Medium, Confidence::High]
            [a.confidence as usize % 3],
        fields: a.fields,
        spans: a
            .spans
            .into_iter()
            .map(|(start, end, kind)| AlertSpan { start, end, kind })
            .collect(),
        occurrences: a.occurrences,
        page_records: a.page_records,
    };
    assert_eq!(Alert::from_json(&alert.to_json()), Ok(alert));
});
