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

/// Deepest element nesting handed to the HTML tree builder.
///
/// html5ever needs time proportional to the number of elements times their nesting depth:
/// a hostile page of 100,000 nested `<div>`s kept a worker (and the async executor it ran on)
/// busy for minutes. Deeper pages take the linear paths below.
pub(crate) const MAX_TREE_DEPTH: usize = 512;

/// The links [`all_links`] finds, for a decoded page: through the tree builder, or for pages
/// nested deeper than [`MAX_TREE_DEPTH`] by a linear scan of the tags.
pub(crate) fn page_links(text: &str, base: &Url) -> Vec<Url> {
    if nesting_exceeds(text, MAX_TREE_DEPTH) {
        return linear_links(text, base);
    }
    all_links(&Html::parse_document(text), base)
}

/// Whether elements nest deeper than `max` (a lexical estimate in one pass: void elements and
/// self-closed tags do not count, optional end tags do).
pub(crate) fn nesting_exceeds(text: &str, max: usize) -> bool {
    let mut depth = 0usize;
    for tag in tags(text) {
        if tag.closing {
            if !is_void(tag.name) {
                depth = depth.saturating_sub(1);
            }
        } else if !tag.self_closing && !is_void(tag.name) {
            depth += 1;
            if depth > max {
                return true;
            }
        }
    }
    false
}

fn is_void(name: &str) -> bool {
    [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    ]
    .iter()
    .any(|v| name.eq_ignore_ascii_case(v))
}

/// `href` of `a` and `area`, `src` of `frame` and `iframe`, in document order, by a linear scan
/// (no tree; `<script>` content is not skipped, which can only add links to the same checks).
fn linear_links(text: &str, base: &Url) -> Vec<Url> {
    tags(text)
        .filter(|t| !t.closing)
        .filter_map(|t| {
            let name = t.name.to_ascii_lowercase();
            let attr = match name.as_str() {
                "a" | "area" => "href",
                "frame" | "iframe" => "src",
                _ => return None,
            };
            attribute(t.attrs, attr)
        })
        .filter_map(|href| crate::util::resolve_link(base, &href))
        .collect()
}

/// One tag found by [`tags`].
struct Tag<'a> {
    closing: bool,
    name: &'a str,
    self_closing: bool,
    /// The text after the name, up to `>` (or `/>`).
    attrs: &'a str,
}

/// The tags of `text`, in one pass (comments and `<!...>` declarations are not tags).
fn tags(text: &str) -> impl Iterator<Item = Tag<'_>> + '_ {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            let lt = i + b.get(i..)?.iter().position(|&c| c == b'<')?;
            // `<` and `>` are ASCII, so both ends are char boundaries; an unclosed tag runs to
            // the end of the text.
            let gt = b[lt..]
                .iter()
                .position(|&c| c == b'>')
                .map_or(b.len(), |p| lt + p);
            i = (gt + 1).min(b.len());
            let inner = &text[lt + 1..gt.max(lt + 1)];
            let (closing, rest) = match inner.strip_prefix('/') {
                Some(r) => (true, r),
                None => (false, inner),
            };
            let name_len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
            if name_len == 0 {
                if i >= b.len() {
                    return None;
                }
                continue;
            }
            let attrs = &rest[name_len..];
            return Some(Tag {
                closing,
                name: &rest[..name_len],
                self_closing: attrs.ends_with('/'),
                attrs,
            });
        }
    })
}

/// The value of attribute `name` in a tag's attribute text (quoted or not; common entities
/// decoded).
fn attribute(attrs: &str, name: &str) -> Option<String> {
    let b = attrs.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        let key = &attrs[start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = None;
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let (from, to) = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let from = i + 1;
                    let to = b[from..]
                        .iter()
                        .position(|&c| c == q)
                        .map_or(b.len(), |p| from + p);
                    i = (to + 1).min(b.len());
                    (from, to)
                }
                _ => {
                    let from = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    (from, i)
                }
            };
            value = Some(&attrs[from..to]);
        }
        if key.eq_ignore_ascii_case(name) {
            return value.map(|v| {
                v.replace("&amp;", "&")
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'")
            });
        }
        if start == i {
            i += 1;
        }
    }
    None
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

    #[test]
    fn deep_pages_take_the_linear_link_path_with_the_same_links() {
        let base = Url::parse("http://h/dir/").unwrap();
        let links = r#"<a href="/p/1#x">1</a><A class=x HREF='p/2'>2</A><area href=/p/3>
            <iframe src="/p/4"></iframe><a name="no-href">n</a><img src="/not-a-link.png">
            <a href="mailto:a@b">m</a><a href="/p/5?a=1&amp;b=2">5</a><a data-href="/no" href="/p/6">"#;
        let want: Vec<Url> = ["/p/1", "/dir/p/2", "/p/3", "/p/4", "/p/5?a=1&b=2", "/p/6"]
            .iter()
            .map(|p| base.join(p).unwrap())
            .collect();
        let shallow = format!("<html><body>{links}</body></html>");
        assert!(!nesting_exceeds(&shallow, MAX_TREE_DEPTH));
        assert_eq!(page_links(&shallow, &base), want);
        // 100,000 nested elements: the tree builder took minutes; the linear path is instant
        // and finds the same links.
        let deep = format!(
            "<html><body>{}{links}{}</body></html>",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        assert!(nesting_exceeds(&deep, MAX_TREE_DEPTH));
        assert_eq!(page_links(&deep, &base), want);
        // Void and self-closed elements do not nest.
        assert!(!nesting_exceeds(&"<br><img src=x><p/>".repeat(1000), 10));
        // Unclosed and empty tags end the scan without a panic.
        assert!(page_links("<a href=\"/x\"", &base).len() <= 1);
        assert!(page_links("<<<>>></", &base).is_empty());
        assert!(page_links("<a href=\"é", &base).len() <= 1);
    }
}
