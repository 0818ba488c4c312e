//! `type = "onion"` configuration.

use serde::Deserialize;

/// A same-host link-following crawl of onion services through the embedded Tor client (the
/// process-wide `[onion]` table configures the client).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnionSourceConfig {
    /// Source id (metrics label, `Page::source`).
    pub id: String,
    /// Start URLs on v3 onion services (`http://<56 base32 chars>.onion/...`).
    pub seeds: Vec<String>,
    /// Link depth from a seed (seeds are depth 0).
    #[serde(default = "default_max_depth")]
    pub max_depth: u32,
    /// Pages per recrawl (seeds included), over all seeds of the source.
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
    200
}
fn default_recrawl_interval_ms() -> u64 {
    3_600_000
}

impl OnionSourceConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.seeds.is_empty() {
            return Err("seeds: list at least one onion URL".into());
        }
        for (i, seed) in self.seeds.iter().enumerate() {
            super::parse_onion_url(seed).map_err(|e| format!("seeds[{i}]: {seed:?}: {e}"))?;
        }
        if self.max_pages == 0 || self.recrawl_interval_ms == 0 {
            return Err("max_pages, recrawl_interval_ms: must be greater than 0".into());
        }
        Ok(())
    }
}
