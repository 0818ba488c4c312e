//! Visible text of an HTML page, with table rows and cells kept apart.
//!
//! Text nodes are concatenated with their whitespace collapsed; block elements start a new line,
//! every table row is one line and its cells are separated by tabs, so a leaked register row in
//! a "market listing" stays one unit for the proximity window. `script`, `style`, `template`,
//! `noscript` and `head` content other than the `title` are skipped. Entities are decoded by the
//! HTML parser (`scraper` / html5ever). The tree is walked iteratively, so deeply nested markup
//! cannot exhaust the stack.
//!
//! The HTML tree builder needs time proportional to the number of elements times their nesting
//! depth, so hostile markup (100,000 nested `<div>`s) would stall a worker for minutes. A quick
//! lexical pass measures the nesting first; beyond [`MAX_TREE_DEPTH`] the page is reduced by a
//! linear tag stripper with the same line and cell rules instead.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// True when `text` looks like an HTML document (or `content_type` says it is one).
pub(crate) fn is_html(text: &str, content_type: Option<&str>) -> bool {
    if let Some(ct) = content_type {
        let ct = ct.to_ascii_lowercase();
        if ct.contains("html") {
            return true;
        }
        if ct.starts_with("text/plain") || ct.contains("json") || ct.contains("csv") {
            return false;
        }
    }
    let head: String = text
        .trim_start_matches('\u{FEFF}')
        .trim_start()
        .chars()
        .take(1024)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<html")
        || (head.starts_with('<') && (head.contains("<body") || head.contains("<table")))
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "nav"
            | "main"
            | "aside"
            | "pre"
            | "blockquote"
            | "dl"
            | "dt"
            | "dd"
            | "form"
            | "fieldset"
            | "address"
            | "hr"
            | "title"
            | "figure"
            | "figcaption"
            | "option"
            | "textarea"
    )
}

fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "template" | "noscript" | "head" | "iframe" | "svg"
    )
}

/// Deepest element nesting handed to the HTML tree builder.
pub(crate) const MAX_TREE_DEPTH: usize = 512;

/// Extracts the visible text of an HTML document.
pub(crate) fn extract_text(html: &str) -> String {
    if nesting_exceeds(html, MAX_TREE_DEPTH) {
        return strip_tags(html);
    }
    let doc = Html::parse_document(html);
    let mut out = String::with_capacity(html.len() / 2);
    let mut skip_depth = 0usize;
    let mut title_depth = 0usize;
    let mut pre_depth = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => {
                    let name = e.name();
                    if name == "title" {
                        title_depth += 1;
                    }
                    if name == "pre" || name == "textarea" {
                        pre_depth += 1;
                    }
                    if is_skipped(name) {
                        skip_depth += 1;
                    } else if skip_depth == 0 && is_block(name) {
                        newline(&mut out);
                    }
                }
                Node::Text(t) if skip_depth == 0 || title_depth > 0 => {
                    if pre_depth > 0 {
                        out.push_str(t);
                    } else {
                        push_collapsed(&mut out, t);
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    let name = e.name();
                    if name == "title" {
                        title_depth = title_depth.saturating_sub(1);
                        newline(&mut out);
                    }
                    if name == "pre" || name == "textarea" {
                        pre_depth = pre_depth.saturating_sub(1);
                    }
                    if is_skipped(name) {
                        skip_depth = skip_depth.saturating_sub(1);
                    } else if skip_depth == 0 {
                        if matches!(name, "td" | "th") {
                            while out.ends_with(' ') {
                                out.pop();
                            }
                            out.push('\t');
                        } else if is_block(name) {
                            newline(&mut out);
                        }
                    }
                }
            }
        }
    }
    out
}

fn newline(out: &mut String) {
    while out.ends_with(' ') || out.ends_with('\t') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn push_collapsed(out: &mut String, t: &str) {
    for c in t.chars() {
        if c.is_whitespace() && c != '\u{3000}' {
            if !(out.is_empty() || out.ends_with([' ', '\n', '\t'])) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

/// Elements that never have content.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "p"
            | "li"
            | "td"
            | "th"
            | "tr"
            | "option"
    )
}

/// Iterates over the tags of `html`: (is closing, lower-case name, tag ends with `/>`, byte
/// range of the whole tag).
fn tags(html: &str) -> impl Iterator<Item = (bool, String, bool, std::ops::Range<usize>)> + '_ {
    let b = html.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            let lt = i + b.get(i..)?.iter().position(|&c| c == b'<')?;
            // An unclosed tag runs to the end of the text. Both ends are char boundaries: `<`
            // and `>` are ASCII (found by the `scan` fuzz target: slicing one byte short of the
            // end cut a multi-byte character).
            let (gt, end) = match b[lt..].iter().position(|&c| c == b'>') {
                Some(p) => (lt + p, lt + p + 1),
                None => (b.len(), b.len()),
            };
            i = end;
            let inner = &html[lt + 1..gt.max(lt + 1)];
            let (closing, rest) = match inner.strip_prefix('/') {
                Some(r) => (true, r),
                None => (false, inner),
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if name.is_empty() {
                continue;
            }
            return Some((closing, name, inner.ends_with('/'), lt..end));
        }
    })
}

/// Whether elements nest deeper than `max` (a lexical estimate: optional end tags and void
/// elements do not count).
fn nesting_exceeds(html: &str, max: usize) -> bool {
    let mut depth = 0usize;
    for (closing, name, self_closing, _) in tags(html) {
        if closing {
            if !is_void(&name) {
                depth = depth.saturating_sub(1);
            }
        } else if !self_closing && !is_void(&name) {
            depth += 1;
            if depth > max {
                return true;
            }
        }
    }
    false
}

/// Linear fallback: drops tags (and `script`/`style` content), keeps rows and cells apart,
/// decodes the common entities.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut pos = 0;
    let mut skipping: Option<String> = None;
    for (closing, name, _, range) in tags(html) {
        if skipping.is_none() {
            push_collapsed(&mut out, &decode_entities(&html[pos..range.start]));
        }
        pos = range.end;
        match &skipping {
            Some(s) if closing && *s == name => skipping = None,
            Some(_) => {}
            None if !closing && is_skipped(&name) && name != "head" => skipping = Some(name),
            None if matches!(name.as_str(), "td" | "th") && closing => {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push('\t');
            }
            None if is_block(&name) => newline(&mut out),
            None => {}
        }
    }
    if skipping.is_none() && pos < html.len() {
        push_collapsed(&mut out, &decode_entities(&html[pos..]));
    }
    out
}

/// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and numeric references.
fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzz target `scan`): an unclosed tag followed by a multi-byte character.
    #[test]
    fn an_unclosed_tag_before_a_multibyte_char_does_not_panic() {
        for html in ["<\u{fffd}", "a<b\u{3042}", "<div>x</div><\u{1f600}", "<"] {
            let tags: Vec<_> = tags(html).collect();
            assert!(
                tags.iter().all(|(_, _, _, r)| r.end <= html.len()),
                "{html:?}"
            );
            let _ = strip_tags(html);
        }
        assert_eq!(strip_tags("ok<b\u{3042}"), "ok");
    }

    #[test]
    fn rows_and_cells_stay_apart() {
        let html = r#"<!DOCTYPE html><html><head><title>Market &amp; more</title>
            <style>td { color: red }</style><script>var secret = "x";</script></head>
            <body><h1>Fresh  dump</h1>
            <table>
              <tr><th>name</th><th>born</th></tr>
              <tr>
                <td>山田&nbsp;太郎</td>
                <td>1975-03-02</td>
              </tr>
              <tr><td>佐藤 花子</td><td>1980-01-01</td></tr>
            </table><p>bye<br>now</p></body></html>"#;
        let text = extract_text(html);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "Market & more",
                "Fresh dump",
                "name\tborn",
                "山田 太郎\t1975-03-02",
                "佐藤 花子\t1980-01-01",
                "bye",
                "now"
            ]
        );
        assert!(!text.contains("secret"));
        assert!(!text.contains("color"));
    }

    #[test]
    fn deep_nesting_takes_the_linear_path() {
        let depth = 100_000;
        let html = format!(
            "<table><tr><td>a&amp;b</td><td>c</td></tr></table>{}x<script>no</script>{}",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        assert!(nesting_exceeds(&html, MAX_TREE_DEPTH));
        let text = extract_text(&html);
        assert_eq!(text.lines().collect::<Vec<_>>(), ["a&b\tc", "x"]);
        let shallow = "<div><div><p>x</p></div></div>";
        assert!(!nesting_exceeds(shallow, MAX_TREE_DEPTH));
    }

    #[test]
    fn entities() {
        let cases = [
            ("a &amp; b", "a & b"),
            ("&#x5C71;&#30000;", "山田"),
            ("&bogus; &", "&bogus; &"),
            ("&lt;p&gt;", "<p>"),
        ];
        for (i, want) in cases {
            assert_eq!(decode_entities(i), want);
        }
    }

    #[test]
    fn detects_html() {
        assert!(is_html("<!doctype html><p>x", None));
        assert!(is_html("  <HTML>", None));
        assert!(is_html("plain", Some("text/html; charset=utf-8")));
        assert!(!is_html("a < b and <table> is a word", None));
        assert!(!is_html("<html>", Some("text/plain")));
    }
}
