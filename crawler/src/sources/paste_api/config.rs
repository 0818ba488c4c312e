//! `type = "paste_api"` configuration.

use serde::Deserialize;

/// A JSON listing of recent pastes polled on an interval, plus a raw fetch per item. The
/// defaults fit Pastebin's scraping API (`[{"key", "date", "scrape_url", ...}]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasteApiConfig {
    /// Source id (metrics label, `Page::source`).
    pub id: String,
    /// URL of the JSON listing.
    pub listing_url: String,
    /// Time from the end of one poll of the listing to the start of the next. The default
    /// (5 s) keeps a paste's time from being listed to being alerted under 10 s (p95) at the
    /// default politeness of one request per second per host; it costs 0.2 requests/s of that
    /// host's budget, and the items must fit in the rest (see the README's "Benchmark").
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// JSON pointer (RFC 6901) to the array of items inside the listing, e.g. `/data`; unset:
    /// the listing itself is the array.
    #[serde(default)]
    pub items_pointer: Option<String>,
    /// Item field holding the paste's key (a string or a number).
    #[serde(default = "default_key_field")]
    pub key_field: String,
    /// Item field holding the raw-content URL (absolute, or relative to the listing).
    #[serde(default = "default_url_field")]
    pub url_field: String,
    /// Raw-content URL built from the key instead (`{key}` is replaced, percent-encoded); wins
    /// over `url_field` when set.
    #[serde(default)]
    pub item_url_template: Option<String>,
    /// Item field holding the publication time, Unix seconds (a number or a numeric string);
    /// used to fetch oldest first and for the lag metric. Unset or missing: unknown.
    #[serde(default = "default_date_field")]
    pub date_field: Option<String>,
    /// At most this many items are taken from one listing (the newest); the rest are skipped
    /// with `reason="page_limit"`.
    #[serde(default = "default_max_items_per_poll")]
    pub max_items_per_poll: usize,
    /// Hosts besides the listing's that item URLs may point to (`host` or `host:port`).
    #[serde(default)]
    pub extra_item_hosts: Vec<String>,
}

fn default_poll_interval_ms() -> u64 {
    5_000
}
fn default_key_field() -> String {
    "key".into()
}
fn default_url_field() -> String {
    "scrape_url".into()
}
fn default_date_field() -> Option<String> {
    Some("date".into())
}
fn default_max_items_per_poll() -> usize {
    250
}

impl PasteApiConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        super::super::config_url("listing_url", &self.listing_url)?;
        if self.poll_interval_ms == 0 {
            return Err("poll_interval_ms: must be greater than 0".into());
        }
        if let Some(p) = &self.items_pointer
            && !p.is_empty()
            && !p.starts_with('/')
        {
            return Err(format!(
                "items_pointer: {p:?} is not a JSON pointer (it starts with '/')"
            ));
        }
        if let Some(t) = &self.item_url_template {
            if !t.contains("{key}") {
                return Err(format!("item_url_template: {t:?} has no {{key}}"));
            }
            super::super::config_url("item_url_template", &t.replace("{key}", "k"))?;
        }
        Ok(())
    }
}
