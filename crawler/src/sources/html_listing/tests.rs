use std::time::Duration;

use super::*;

fn source(extra: &str) -> HtmlListing {
    let text = format!(
        "id = \"h\"\nlisting_url = \"http://127.0.0.1:9/list\"\n\
         item_link_selector = \"ul.pastes a\"\nnext_page_selector = \"a.next\"\n{extra}"
    );
    let config: HtmlListingConfig = toml::from_str(&text).unwrap();
    HtmlListing::new(config).unwrap()
}

fn fetched(url: &str, html: &str) -> Fetched {
    Fetched {
        url: Url::parse(url).unwrap(),
        status: 200,
        headers: Default::default(),
        media_type: Some("text/html".into()),
        charset: None,
        body: html.as_bytes().to_vec(),
        truncated: false,
        took: Duration::ZERO,
    }
}

#[test]
fn listing_page_items_and_next_page_with_cap() {
    let s = source("raw_link_selector = \"a.raw\"\nmax_listing_pages = 2");
    let page = fetched(
        "http://127.0.0.1:9/list",
        r#"<ul class="pastes"><li><a href="/p/1">1</a><li><a href="/p/2#top">2</a>
           <li><a href="/p/1">dup</a><li><a href="http://evil.example/p/3">3</a></ul>
           <a class="next" href="/list?page=2">next</a>"#,
    );
    let h = s.listing_page(0, &page, 1);
    let got: Vec<_> = h.tasks.iter().map(|t| (t.url.as_str(), t.kind)).collect();
    assert_eq!(
        got,
        [
            ("http://127.0.0.1:9/p/1", TaskKind::ItemPage),
            ("http://127.0.0.1:9/p/2", TaskKind::ItemPage),
            (
                "http://127.0.0.1:9/list?page=2",
                TaskKind::Listing { page: 1 }
            ),
        ]
    );
    assert_eq!(
        h.skips,
        [("http://evil.example/p/3".to_owned(), SkipReason::OffHost)]
    );
    // The second page is the last one allowed: its next link is skipped.
    let h = s.listing_page(1, &page, 1);
    assert_eq!(
        h.skips.last(),
        Some(&(
            "http://127.0.0.1:9/list?page=2".to_owned(),
            SkipReason::PageLimit
        ))
    );
}

#[test]
fn item_page_raw_link_or_content_element() {
    let raw = source("raw_link_selector = \"a.raw\"");
    let h = raw.item_page(
        &fetched(
            "http://127.0.0.1:9/p/1",
            r#"<a class="raw" href="/raw/1">raw</a>"#,
        ),
        1,
    );
    assert_eq!(h.tasks[0].url, "http://127.0.0.1:9/raw/1");
    assert!(h.mark_visited && h.emit.is_none());
    let h = raw.item_page(&fetched("http://127.0.0.1:9/p/1", "<p>gone</p>"), 1);
    assert_eq!(h.skips[0].1, SkipReason::NoContent);

    let content = source("content_selector = \"pre#content\"");
    let h = content.item_page(
        &fetched(
            "http://127.0.0.1:9/p/1",
            "<div><pre id=content>a &amp; b</pre></div>",
        ),
        1,
    );
    match h.emit {
        Some(Emit::Extracted(body)) => assert_eq!(body, b"<pre id=\"content\">a &amp; b</pre>"),
        other => panic!("expected extracted content, got {other:?}"),
    }
}

#[test]
fn bad_selectors_name_the_key() {
    let config: HtmlListingConfig =
        toml::from_str("id = \"h\"\nlisting_url = \"http://h/\"\nitem_link_selector = \"a[\"")
            .unwrap();
    assert!(
        config
            .validate()
            .unwrap_err()
            .starts_with("item_link_selector:")
    );
    let config: HtmlListingConfig = toml::from_str(
        "id = \"h\"\nlisting_url = \"http://h/\"\nitem_link_selector = \"a\"\n\
         raw_link_selector = \"a\"\ncontent_selector = \"pre\"",
    )
    .unwrap();
    assert!(
        config
            .validate()
            .unwrap_err()
            .starts_with("content_selector:")
    );
}

#[test]
fn pages_nested_too_deep_for_selectors_are_skipped_at_once() {
    let s = source("raw_link_selector = \"a.raw\"");
    let deep = format!(
        "<ul class=pastes>{}<a href=\"/p/1\">1</a>{}</ul><a class=raw href=/raw/1>r</a>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let h = s.listing_page(0, &fetched("http://127.0.0.1:9/list", &deep), 1);
    assert!(h.tasks.is_empty());
    assert_eq!(
        h.skips,
        [("http://127.0.0.1:9/list".to_owned(), SkipReason::BadListing)]
    );
    let h = s.item_page(&fetched("http://127.0.0.1:9/p/1", &deep), 1);
    assert!(h.tasks.is_empty() && h.emit.is_none());
    assert_eq!(
        h.skips,
        [("http://127.0.0.1:9/p/1".to_owned(), SkipReason::NoContent)]
    );
}
