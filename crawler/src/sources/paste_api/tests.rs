use super::*;

fn source(extra: &str) -> PasteApi {
    let text = format!(
        "id = \"p\"\nlisting_url = \"http://127.0.0.1:9/api_scraping.php?limit=3\"\n{extra}"
    );
    let config: PasteApiConfig = toml::from_str(&text).unwrap();
    PasteApi::new(config).unwrap()
}

fn urls(h: &Handled) -> Vec<&str> {
    h.tasks.iter().map(|t| t.url.as_str()).collect()
}

#[test]
fn pastebin_shaped_listing_oldest_first() {
    let s = source("");
    let body = br#"[
        {"key":"b","date":"200","title":"","size":"5","scrape_url":"http://127.0.0.1:9/api_scrape_item.php?i=b","full_url":"x"},
        {"key":"a","date":"100","scrape_url":"/api_scrape_item.php?i=a"},
        {"key":"c","date":"300","scrape_url":"http://elsewhere.example/i=c"},
        {"key":"d","date":"400"}
    ]"#;
    let base = Url::parse(&s.config.listing_url).unwrap();
    let h = s.items(body, &base, 1);
    assert_eq!(
        urls(&h),
        [
            "http://127.0.0.1:9/api_scrape_item.php?i=a",
            "http://127.0.0.1:9/api_scrape_item.php?i=b"
        ]
    );
    assert_eq!(h.tasks[0].published_at_ms, Some(100_000));
    assert_eq!(h.tasks[0].host, "127.0.0.1:9");
    let reasons: Vec<_> = h.skips.iter().map(|(_, r)| *r).collect();
    assert_eq!(reasons, [SkipReason::OffHost, SkipReason::BadListingItem]);
}

#[test]
fn configurable_fields_pointer_template_and_cap() {
    let s = source(
        "items_pointer = \"/data/recent\"\nkey_field = \"id\"\ndate_field = \"ts\"\n\
         item_url_template = \"http://127.0.0.1:9/raw/{key}\"\nmax_items_per_poll = 2",
    );
    let body = br#"{"data":{"recent":[{"id":7,"ts":1},{"id":"x y","ts":3},{"id":"z","ts":2}]}}"#;
    let base = Url::parse(&s.config.listing_url).unwrap();
    let h = s.items(body, &base, 1);
    assert_eq!(
        urls(&h),
        ["http://127.0.0.1:9/raw/z", "http://127.0.0.1:9/raw/x+y"]
    );
    assert_eq!(
        h.skips,
        [("http://127.0.0.1:9/raw/7".to_owned(), SkipReason::PageLimit)]
    );
}

#[test]
fn bad_listings_are_skipped_with_a_reason() {
    let s = source("items_pointer = \"/data\"");
    let base = Url::parse(&s.config.listing_url).unwrap();
    for body in [&b"<html>rate limited</html>"[..], br#"{"data":{}}"#, b"[]"] {
        let h = s.items(body, &base, 1);
        assert!(h.tasks.is_empty());
        assert_eq!(h.skips, [(base.to_string(), SkipReason::BadListing)]);
    }
    // An empty listing is not an error.
    let h = source("").items(b"[]", &base, 1);
    assert!(h.tasks.is_empty() && h.skips.is_empty());
}

#[test]
fn config_errors_name_the_key() {
    let bad: Result<PasteApiConfig, _> =
        toml::from_str("id = \"p\"\nlisting_url = \"http://h/\"\nlisting_urll = 1");
    assert!(bad.unwrap_err().to_string().contains("listing_urll"));
    let c: PasteApiConfig = toml::from_str("id = \"p\"\nlisting_url = \"ftp://h/\"").unwrap();
    assert!(c.validate().unwrap_err().starts_with("listing_url:"));
    let c: PasteApiConfig = toml::from_str(
        "id = \"p\"\nlisting_url = \"http://h/\"\nitem_url_template = \"http://h/raw\"",
    )
    .unwrap();
    assert!(c.validate().unwrap_err().starts_with("item_url_template:"));
}
