use super::*;
use crate::sources::Emit;

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

fn site(max_depth: u32, max_pages: usize) -> Site {
    let config: SiteConfig = toml::from_str(&format!(
        "id = \"s\"\nseeds = [\"http://127.0.0.1:9/\"]\nmax_depth = {max_depth}\nmax_pages = {max_pages}"
    ))
    .unwrap();
    Site::new(config, true).unwrap()
}

#[test]
fn follows_same_host_links_within_caps() {
    let s = site(1, 3);
    let seeds = s.seeds(1);
    assert_eq!(seeds.len(), 1);
    let page = fetched(
        "http://127.0.0.1:9/",
        r#"<a href="/a">a</a><a href="/b">b</a><a href="/c">c</a><a href="/a#x">a again</a>
           <a href="/">home</a><a href="http://other.example/">off</a>
           <a href="http://127.0.0.1:9/x.onion">fine</a>"#,
    );
    let h = s.handle(&seeds[0], &page);
    assert!(matches!(h.emit, Some(Emit::AsFetched)));
    let urls: Vec<_> = h.tasks.iter().map(|t| t.url.as_str()).collect();
    assert_eq!(urls, ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"]);
    assert!(h.tasks.iter().all(|t| t.depth == 1));
    let reasons: Vec<_> = h.skips.iter().map(|(u, r)| (u.as_str(), *r)).collect();
    assert_eq!(
        reasons,
        [
            ("http://127.0.0.1:9/c", SkipReason::PageLimit),
            ("http://other.example/", SkipReason::OffHost),
            ("http://127.0.0.1:9/x.onion", SkipReason::PageLimit),
        ]
    );
    // Depth 1 pages are emitted but their links are not followed (max_depth = 1).
    let h = s.handle(
        &h.tasks[0],
        &fetched("http://127.0.0.1:9/a", r#"<a href="/d">d</a>"#),
    );
    assert!(h.tasks.is_empty());
    assert_eq!(
        h.skips,
        [("http://127.0.0.1:9/a".to_owned(), SkipReason::DepthLimit)]
    );
}

#[test]
fn onion_seeds_are_refused_in_a_site_source() {
    let config: SiteConfig = toml::from_str(
        "id = \"s\"\nseeds = [\"http://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/\"]",
    )
    .unwrap();
    assert!(config.validate().unwrap_err().starts_with("seeds[0]:"));
}
