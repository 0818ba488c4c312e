//! `type = "site"` configuration.

use serde::Deserialize;

/// A same-host link-following crawl of a clearnet site (forums, boards).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Source id (metrics label, `Page::source`).
    pub id: String,
    /// Start URLs; links are followed only on each page's own host.
    pub seeds: Vec<String>,
    /// Link depth from a seed (seeds are depth 0).
    #[serde(default = "default_max_depth")]
    pub max_depth: u32,
    /// Pages per recrawl (seeds included).
    #[serde(default = "default_max_pages")]
    pub max_pages: usize,
    /// Time between two crawls from the seeds.
    #[serde(default = "default_recrawl_interval_ms")]
    pub recrawl_interval_ms: u64,
}

fn default_max_depth() -> u32 {
    2
}
fn default_max_pages() -> usize {
    500
}
fn default_recrawl_interval_ms() -> u64 {
    86_400_000
}

impl SiteConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.seeds.is_empty() {
            return Err("seeds: list at least one URL".into());
        }
        for (i, seed) in self.seeds.iter().enumerate() {
            let url = super::super::config_url(&format!("seeds[{i}]"), seed)?;
            if url.host_str().is_some_and(|h| h.ends_with(".onion")) {
                return Err(format!(
                    "seeds[{i}]: {seed:?} is an onion address; use a source of type \"onion\""
                ));
            }
        }
        if self.max_pages == 0 || self.recrawl_interval_ms == 0 {
            return Err("max_pages, recrawl_interval_ms: must be greater than 0".into());
        }
        Ok(())
    }
}
