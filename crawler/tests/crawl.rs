//! The crawler against real HTTP servers on loopback. Nothing here touches another address.

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crawler::{CrawlConfig, Crawler, FetchErrorKind, SkipReason};
use wire::{MemorySink, Page};

/// Fast limits for tests; `extra` adds sources and overrides.
fn config(extra: &str) -> CrawlConfig {
    let text = format!(
        r#"
        [crawler]
        once = true
        global_concurrency = 4

        [fetch]
        connect_timeout_ms = 2000
        request_timeout_ms = 2000
        body_timeout_ms = 500
        max_body_bytes = 16384
        max_redirects = 3
        max_retries = 1
        backoff_base_ms = 10
        backoff_max_ms = 2000

        [politeness]
        per_host_concurrency = 4
        min_interval_ms = 0
        requeue_after_ms = 200
        {extra}
        "#
    );
    CrawlConfig::from_toml(&text).unwrap()
}

async fn crawl(config: CrawlConfig) -> (Vec<Page>, crawler::StatsSnapshot) {
    let sink = MemorySink::new();
    let crawler = Crawler::new(config, Arc::new(sink.clone())).unwrap();
    let stats = tokio::time::timeout(Duration::from_secs(20), crawler.run())
        .await
        .expect("crawl finished")
        .unwrap();
    (sink.take(), stats)
}

fn page<'a>(pages: &'a [Page], url: &str) -> &'a Page {
    pages
        .iter()
        .find(|p| p.url == url)
        .unwrap_or_else(|| panic!("{url} not emitted; got {:?}", urls(pages)))
}

fn urls(pages: &[Page]) -> Vec<&str> {
    pages.iter().map(|p| p.url.as_str()).collect()
}

#[tokio::test]
async fn paste_api_emits_raw_pastes_oldest_first_and_not_again_after_restart() {
    let site = support::start().await;
    let state = tempfile::tempdir().unwrap();
    let source = format!(
        r#"
        [[source]]
        type = "paste_api"
        id = "pastebin"
        listing_url = "{}"
        "#,
        site.url("/api_scraping.php?limit=3")
    );
    let mut cfg = config(&source);
    cfg.crawler.state_path = Some(state.path().join("seen.sqlite"));
    let (pages, stats) = crawl(cfg.clone()).await;
    assert_eq!(
        urls(&pages),
        [
            site.url("/api_scrape_item.php?i=k1"),
            site.url("/api_scrape_item.php?i=k2"),
            site.url("/api_scrape_item.php?i=k3"),
        ]
    );
    let k1 = page(&pages, &site.url("/api_scrape_item.php?i=k1"));
    assert_eq!(k1.body, b"raw paste k1\n");
    assert_eq!(k1.body_hash, wire::body_hash(b"raw paste k1\n"));
    assert_eq!(k1.source, "pastebin");
    assert_eq!(k1.status, 200);
    assert_eq!(k1.content_type.as_deref(), Some("text/plain"));
    assert_eq!(k1.charset.as_deref(), Some("utf-8"));
    // Shift_JIS stays bytes, with its declared charset.
    let k3 = page(&pages, &site.url("/api_scrape_item.php?i=k3"));
    assert_eq!(k3.charset.as_deref(), Some("Shift_JIS"));
    assert_eq!(
        k3.body,
        encoding_rs::SHIFT_JIS
            .encode("住所 兵庫県尼崎市")
            .0
            .as_ref()
    );
    assert_eq!(stats.emitted["pastebin"], 3);

    // A restart with the same state: the listing is read again, the items are not fetched.
    let before = site.state.requests("/api_scrape_item.php?i=k1").len();
    let (pages, stats) = crawl(cfg).await;
    assert!(pages.is_empty(), "re-emitted {:?}", urls(&pages));
    assert_eq!(stats.skips("pastebin", SkipReason::SeenUrl), 3);
    assert_eq!(
        site.state.requests("/api_scrape_item.php?i=k1").len(),
        before
    );
}

#[tokio::test]
async fn html_listing_follows_pagination_item_pages_and_raw_links() {
    let site = support::start().await;
    let cfg = config(&format!(
        r#"
        [[source]]
        type = "html_listing"
        id = "board"
        listing_url = "{}"
        item_link_selector = "ul.pastes a.item"
        raw_link_selector = "a.raw"
        next_page_selector = "a.next"
        max_listing_pages = 2
        "#,
        site.url("/list")
    ));
    let (pages, stats) = crawl(cfg).await;
    let mut got = urls(&pages);
    got.sort();
    assert_eq!(
        got,
        (1..=4)
            .map(|n| site.url(&format!("/raw/{n}")))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        page(&pages, &site.url("/raw/3")).body,
        b"raw listing paste 3\n"
    );
    // Listing pages and item pages are navigation, never emitted; page 3 is beyond the cap.
    assert_eq!(
        stats.skip_reason(&site.url("/list?page=3")),
        Some(SkipReason::PageLimit)
    );
    assert!(site.state.requests("/list?page=3").is_empty());
    assert_eq!(site.state.requests("/list?page=2").len(), 1);
}

#[tokio::test]
async fn hostile_site_every_skip_has_its_reason() {
    let site = support::start().await;
    let cfg = config(&format!(
        r#"
        [[source]]
        type = "site"
        id = "hostile"
        seeds = ["{}"]
        max_depth = 1
        "#,
        site.url("/hostile/")
    ));
    let started = std::time::Instant::now();
    let (pages, stats) = crawl(cfg).await;
    let reason = |p: &str| stats.skip_reason(&site.url(p));

    // 429 with Retry-After: 1 → retried after at least a second, then emitted.
    let hits = site.state.requests("/hostile/429");
    assert_eq!(hits.len(), 2);
    assert!(
        hits[1] - hits[0] >= Duration::from_millis(950),
        "{:?}",
        hits[1] - hits[0]
    );
    assert_eq!(page(&pages, &site.url("/hostile/429")).body, b"finally");
    assert_eq!(stats.errors("hostile", FetchErrorKind::Status), 1 + 2);

    // 500 twice (max_retries = 1), then given up.
    assert_eq!(site.state.requests("/hostile/500").len(), 2);
    assert_eq!(reason("/hostile/500"), Some(SkipReason::RetriesExhausted));
    // Slow body: body timeout, retried once, given up.
    assert_eq!(site.state.requests("/hostile/slow").len(), 2);
    assert_eq!(reason("/hostile/slow"), Some(SkipReason::RetriesExhausted));
    assert_eq!(stats.errors("hostile", FetchErrorKind::Timeout), 2);

    // Oversized: emitted cut at max_body_bytes (oversize = "truncate", the default).
    let big = page(&pages, &site.url("/hostile/big"));
    assert!(big.truncated);
    assert_eq!(big.body.len(), 16384);
    assert_eq!(stats.truncated["hostile"], 1);
    // Gzip bomb: decompression stops at the cap; 16 KiB of NULs is then binary.
    assert_eq!(reason("/hostile/bomb"), Some(SkipReason::Binary));
    // Small gzip is decoded.
    assert_eq!(
        page(&pages, &site.url("/hostile/gzipped")).body,
        b"compressed but small"
    );
    assert_eq!(
        reason("/hostile/brotli"),
        Some(SkipReason::UnsupportedEncoding)
    );

    assert_eq!(reason("/hostile/loop"), Some(SkipReason::RedirectLoop));
    assert_eq!(reason("/hostile/hop/0"), Some(SkipReason::RedirectLimit));
    assert_eq!(site.state.requests("/hostile/hop/3").len(), 1);
    assert!(site.state.requests("/hostile/hop/4").is_empty());
    assert_eq!(
        stats.skip_reason("http://localhost:9/elsewhere"),
        Some(SkipReason::OffHost)
    );
    assert_eq!(reason("/hostile/binary"), Some(SkipReason::ContentType));
    // A download is read when its first KiB is text or an archive the matcher reads, and
    // skipped as binary after its first KiB otherwise (8 MiB would have been cut at the cap
    // of 16 KiB and emitted).
    let download = page(&pages, &site.url("/hostile/download"));
    assert_eq!(
        download.body,
        support::gzip(b"INSERT INTO customers VALUES (1);\n")
    );
    assert_eq!(
        download.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(reason("/hostile/blob"), Some(SkipReason::Binary));
    assert_eq!(reason("/hostile/nul"), Some(SkipReason::Binary));
    assert_eq!(reason("/hostile/missing"), Some(SkipReason::HttpStatus));

    // Shift_JIS declared only in <meta>: bytes unchanged, charset carried.
    let sjis = page(&pages, &site.url("/hostile/sjis"));
    assert_eq!(sjis.body, support::sjis_html());
    assert_eq!(sjis.charset.as_deref(), Some("Shift_JIS"));
    assert_eq!(sjis.content_type.as_deref(), Some("text/html"));

    let mut got = urls(&pages);
    got.sort();
    let mut want = [
        "/hostile/",
        "/hostile/429",
        "/hostile/big",
        "/hostile/download",
        "/hostile/gzipped",
        "/hostile/sjis",
    ]
    .map(|p| site.url(p));
    want.sort();
    assert_eq!(got, want);
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn oversize_skip_mode_skips() {
    let site = support::start().await;
    let mut cfg = config(&format!(
        "[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"{}\", \"{}\"]\nmax_depth = 0",
        site.url("/hostile/big"),
        site.url("/hostile/bomb")
    ));
    cfg.fetch.oversize = crawler::config::Oversize::Skip;
    let (pages, stats) = crawl(cfg).await;
    assert!(pages.is_empty());
    assert_eq!(stats.skips("s", SkipReason::TooLarge), 2);
}

#[tokio::test]
async fn politeness_interval_and_per_host_concurrency_hold() {
    let site = support::start().await;
    site.state.site_delay_ms.store(20, Ordering::SeqCst);
    let mut cfg = config(&format!(
        "[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"{}\"]\nmax_depth = 1",
        site.url("/site/index")
    ));
    cfg.politeness.min_interval_ms = 60;
    cfg.politeness.per_host_concurrency = 1;
    cfg.crawler.global_concurrency = 8;
    let (pages, _) = crawl(cfg).await;
    assert_eq!(pages.len(), 9);
    let mut starts = site.state.all_starts();
    starts.sort();
    for pair in starts.windows(2) {
        let gap = pair[1] - pair[0];
        // 60 ms apart at the client; the server sees them at least ~45 ms apart.
        assert!(gap >= Duration::from_millis(45), "requests {gap:?} apart");
    }
    assert_eq!(site.state.max_in_flight.load(Ordering::SeqCst), 1);

    // Two slots per host, no interval: never more than two in flight.
    let site = support::start().await;
    site.state.site_delay_ms.store(40, Ordering::SeqCst);
    let mut cfg = config(&format!(
        "[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"{}\"]\nmax_depth = 1",
        site.url("/site/index")
    ));
    cfg.politeness.per_host_concurrency = 2;
    cfg.crawler.global_concurrency = 8;
    let (pages, _) = crawl(cfg).await;
    assert_eq!(pages.len(), 9);
    assert_eq!(site.state.max_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unchanged_pages_are_not_emitted_again_changed_ones_are() {
    let site = support::start().await;
    let state = tempfile::tempdir().unwrap();
    let mut cfg = config(&format!(
        "[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"{}\"]\nmax_depth = 0",
        site.url("/site/a")
    ));
    cfg.crawler.state_path = Some(state.path().join("seen.sqlite"));
    let (pages, _) = crawl(cfg.clone()).await;
    assert_eq!(pages.len(), 1);
    let (pages, stats) = crawl(cfg.clone()).await;
    assert!(pages.is_empty());
    assert_eq!(
        stats.skip_reason(&site.url("/site/a")),
        Some(SkipReason::Unchanged)
    );
    site.state
        .pages
        .lock()
        .unwrap()
        .insert("/site/a".into(), "<p>new text</p>".into());
    let (pages, _) = crawl(cfg).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].body, b"<p>new text</p>");
}

#[tokio::test]
async fn continuous_mode_repolls_the_listing_and_stops_on_signal() {
    let site = support::start().await;
    let mut cfg = config(&format!(
        r#"
        [[source]]
        type = "paste_api"
        id = "pastebin"
        listing_url = "{}"
        poll_interval_ms = 100
        "#,
        site.url("/api_scraping.php")
    ));
    cfg.crawler.once = false;
    let sink = MemorySink::new();
    let crawler = Crawler::new(cfg, Arc::new(sink.clone())).unwrap();
    let stats = crawler
        .run_until(tokio::time::sleep(Duration::from_millis(450)))
        .await
        .unwrap();
    let polls = site.state.requests("/api_scraping.php").len();
    assert!((3..=6).contains(&polls), "{polls} polls");
    assert_eq!(sink.pages().len(), 3);
    assert!(stats.skips("pastebin", SkipReason::SeenUrl) >= 3);
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        ("[fetch]\nmax_body_byte = 1", "max_body_byte"),
        (
            "[crawler]\nglobal_concurrency = 0",
            "crawler.global_concurrency",
        ),
        (
            "[[source]]\ntype = \"paste_api\"\nid = \"p\"\nlisting_url = \"not a url\"",
            "source[0] (p).listing_url",
        ),
        (
            "[[source]]\ntype = \"paste_api\"\nid = \"p\"\nlisting_url = \"http://h/\"\nbogus = 1",
            "bogus",
        ),
        ("[[source]]\ntype = \"ftp\"\nid = \"p\"", "ftp"),
        (
            "[[source]]\ntype = \"site\"\nid = \"a\"\nseeds = [\"http://h/\"]\n\
             [[source]]\ntype = \"site\"\nid = \"a\"\nseeds = [\"http://h/\"]",
            "source[1].id",
        ),
        (
            "[[source]]\ntype = \"onion\"\nid = \"o\"\n\
             seeds = [\"http://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/\"]",
            "onion.state_dir",
        ),
        (
            "[fetch]\ncontent_types = [\"text\"]",
            "fetch.content_types[0]",
        ),
    ];
    for (text, key) in cases {
        let err = CrawlConfig::from_toml(text).unwrap_err().to_string();
        assert!(err.contains(key), "{key:?} not in {err:?}");
        assert_eq!(
            CrawlConfig::from_toml(text).unwrap_err().kind(),
            crawler::ErrorKind::BadInput
        );
    }
}
