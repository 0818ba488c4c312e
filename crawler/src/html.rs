//! Charsets, decoding for link extraction, and CSS selection.
//!
//! Decoding here only serves navigation (links, selectors); emitted bodies stay bytes.

use std::borrow::Cow;

use scraper::{Html, Selector};
use url::Url;

/// Splits a `Content-Type` into its lower-cased essence and its `charset` parameter.
pub(crate) fn parse_content_type(value: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(value) = value else {
        return (None, None);
    };
    let mut parts = value.split(';');
    let media = parts
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty());
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset"))
            .then(|| v.trim().trim_matches('"').trim_matches('\'').to_owned())
            .filter(|v| !v.is_empty())
    });
    (media, charset)
}

/// True for HTML media types.
pub(crate) fn is_html(media: &str) -> bool {
    media == "text/html" || media == "application/xhtml+xml"
}

/// The charset an HTML document declares in a `<meta>` within its first 1024 bytes.
pub(crate) fn meta_charset(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(cs) = find(tag, b"charset") {
            let mut rest = &head[start + cs + 7..end];
            rest = trim_start(rest);
            if let Some(r) = rest.strip_prefix(b"=") {
                let r = trim_start(r);
                let r = r
                    .strip_prefix(b"\"")
                    .or_else(|| r.strip_prefix(b"'"))
                    .unwrap_or(r);
                let name: Vec<u8> = r
                    .iter()
                    .copied()
                    .take_while(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(b))
                    .collect();
                if !name.is_empty() {
                    return String::from_utf8(name).ok();
                }
            }
        }
        from = end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

/// Decodes a body for navigation with its declared charset (UTF-8 if none or unknown).
pub(crate) fn decode<'a>(body: &'a [u8], charset: Option<&str>) -> Cow<'a, str> {
    let encoding = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    encoding.decode(body).0
}

/// Parses a CSS selector, with a message naming the problem.
pub(crate) fn selector(css: &str) -> Result<Selector, String> {
    Selector::parse(css).map_err(|e| format!("invalid CSS selector {css:?}: {e}"))
}

/// The `href` (or, for elements without one, `src`) of each element `sel` selects, resolved
/// against `base`, in document order, without fragments; only http(s).
pub(crate) fn select_links(doc: &Html, sel: &Selector, base: &Url) -> Vec<Url> {
    doc.select(sel)
        .filter_map(|el| {
            let v = el.value();
            v.attr("href").or_else(|| v.attr("src"))
        })
        .filter_map(|href| crate::util::resolve_link(base, href))
        .collect()
}

/// Every `a[href]` link of a page.
pub(crate) fn all_links(doc: &Html, base: &Url) -> Vec<Url> {
    match Selector::parse("a[href], area[href], frame[src], iframe[src]") {
        Ok(sel) => select_links(doc, &sel, base),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_and_meta_charset() {
        assert_eq!(
            parse_content_type(Some("Text/HTML; Charset=\"Shift_JIS\"")),
            (Some("text/html".into()), Some("Shift_JIS".into()))
        );
        assert_eq!(
            parse_content_type(Some("text/plain")),
            (Some("text/plain".into()), None)
        );
        assert_eq!(
            meta_charset(b"<html><head><META charset='EUC-JP'></head>").as_deref(),
            Some("EUC-JP")
        );
        assert_eq!(
            meta_charset(
                br#"<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">"#
            )
            .as_deref(),
            Some("Shift_JIS")
        );
        assert_eq!(meta_charset(b"<meta name=x>"), None);
    }

    #[test]
    fn links_decode_with_declared_charset() {
        let (sjis, _, _) =
            encoding_rs::SHIFT_JIS.encode("<a href='/p/1#x'>一覧</a><a href='mailto:a@b'>m</a>");
        let text = decode(&sjis, Some("Shift_JIS"));
        assert!(text.contains("一覧"));
        let doc = Html::parse_document(&text);
        let base = Url::parse("http://h/list").unwrap();
        let links = all_links(&doc, &base);
        assert_eq!(links, vec![Url::parse("http://h/p/1").unwrap()]);
    }
}
