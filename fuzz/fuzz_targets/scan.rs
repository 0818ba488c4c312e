//! Charset detection and decoding, HTML text extraction and the scan itself, on arbitrary bytes
//! with an arbitrary declared charset and content type: never a panic, spans inside the text.
#![no_main]

use std::sync::OnceLock;

use fingerprints::{BundleBuilder, SecretKey, synth};
use libfuzzer_sys::fuzz_target;
use matcher::{Document, Matcher, MatcherConfig};

/// A small register's matcher; `joined`: with every other name and reading stored without a
/// space (pass 1 then steps over spaces inside tokens).
fn matcher(joined: bool) -> &'static Matcher {
    static M: [OnceLock<Matcher>; 2] = [OnceLock::new(), OnceLock::new()];
    M[usize::from(joined)].get_or_init(|| {
        let key = SecretKey::from_bytes([7; 32]);
        let mut b = BundleBuilder::new(&key);
        let mut rows = synth::register_rows(&synth::residents(200, 1));
        if joined {
            rows.iter_mut()
                .step_by(2)
                .for_each(synth::without_name_spaces);
        }
        b.add_rows(rows);
        let (bundle, _) = b.finish().expect("bundle");
        let config = MatcherConfig {
            // Small, so the truncation path is taken too.
            max_document_bytes: 64 * 1024,
            ..MatcherConfig::default()
        };
        Matcher::new(bundle, config).expect("matcher")
    })
}

const CHARSETS: [Option<&str>; 8] = [
    None,
    Some("utf-8"),
    Some("shift_jis"),
    Some("euc-jp"),
    Some("iso-2022-jp"),
    Some("utf-16le"),
    Some("windows-1252"),
    Some("x-no-such-charset"),
];
const TYPES: [Option<&str>; 5] = [
    None,
    Some("text/html"),
    Some("text/plain"),
    Some("application/octet-stream"),
    // Any bytes read as e-mail.
    Some("message/rfc822"),
];

fuzz_target!(|input: (u8, u8, &[u8])| {
    let (c, t, bytes) = input;
    let doc = Document::new(bytes)
        .with_charset(CHARSETS[c as usize % CHARSETS.len()])
        .with_content_type(TYPES[t as usize % TYPES.len()]);
    let m = matcher(c / 8 % 2 == 1);
    let report = m.scan(&doc);
    for f in &report.findings {
        for s in &f.spans {
            assert!(s.start <= s.end, "span order");
        }
    }
    // The text path directly too.
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = m.scan_text(text);
    }
});
