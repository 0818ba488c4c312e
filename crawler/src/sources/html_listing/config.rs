//! `type = "html_listing"` configuration.

use serde::Deserialize;

/// A paste site without an API: an HTML listing page, CSS selectors for the item links, for the
/// raw-content link or the content element of an item page, and for the next listing page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlListingConfig {
    /// Source id (metrics label, `Page::source`).
    pub id: String,
    /// URL of the listing's first page.
    pub listing_url: String,
    /// Time between two polls of the listing (default 10 s: an item costs two requests, an
    /// item page and its raw link, within the host's politeness budget).
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// CSS selector of the item links on a listing page (elements with `href`).
    pub item_link_selector: String,
    /// CSS selector of the raw-content link on an item page; the raw document is emitted.
    #[serde(default)]
    pub raw_link_selector: Option<String>,
    /// CSS selector of the content element on an item page; that element is emitted (as UTF-8
    /// HTML). Without either selector the item page itself is emitted.
    #[serde(default)]
    pub content_selector: Option<String>,
    /// CSS selector of the next-page link on a listing page.
    #[serde(default)]
    pub next_page_selector: Option<String>,
    /// Listing pages read per poll (the first counts); more are skipped with `page_limit`.
    #[serde(default = "default_max_listing_pages")]
    pub max_listing_pages: u32,
    /// Hosts besides the listing's that item and raw links may point to.
    #[serde(default)]
    pub extra_item_hosts: Vec<String>,
}

fn default_poll_interval_ms() -> u64 {
    10_000
}
fn default_max_listing_pages() -> u32 {
    5
}

impl HtmlListingConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        super::super::config_url("listing_url", &self.listing_url)?;
        if self.poll_interval_ms == 0 {
            return Err("poll_interval_ms: must be greater than 0".into());
        }
        if self.max_listing_pages == 0 {
            return Err("max_listing_pages: must be greater than 0".into());
        }
        let selectors = [
            ("item_link_selector", Some(&self.item_link_selector)),
            ("raw_link_selector", self.raw_link_selector.as_ref()),
            ("content_selector", self.content_selector.as_ref()),
            ("next_page_selector", self.next_page_selector.as_ref()),
        ];
        for (key, css) in selectors {
            if let Some(css) = css {
                crate::html::selector(css).map_err(|e| format!("{key}: {e}"))?;
            }
        }
        if self.raw_link_selector.is_some() && self.content_selector.is_some() {
            return Err(
                "content_selector: set either raw_link_selector or content_selector, not both"
                    .into(),
            );
        }
        Ok(())
    }
}
