//! `site`: a same-host link-following crawl of a clearnet site, with depth and page caps.

mod config;
#[cfg(test)]
mod tests;

use std::time::Duration;

use url::Url;
use wire::{CrawlTask, TaskKind};

pub use config::SiteConfig;

use super::{Handled, LinkFollower, Source, config_url};
use crate::http::{Fetched, Network};
use crate::stats::SkipReason;
use crate::util::now_ms;

/// The `site` source.
pub(crate) struct Site {
    config: SiteConfig,
    seeds: Vec<Url>,
    follower: LinkFollower,
}

impl Site {
    pub(crate) fn new(config: SiteConfig, once: bool) -> Result<Site, String> {
        config.validate()?;
        let seeds = config
            .seeds
            .iter()
            .enumerate()
            .map(|(i, s)| config_url(&format!("seeds[{i}]"), s))
            .collect::<Result<Vec<_>, _>>()?;
        let window = if once {
            u64::MAX
        } else {
            config.recrawl_interval_ms
        };
        Ok(Site {
            follower: LinkFollower::new(config.max_depth, config.max_pages, window),
            seeds,
            config,
        })
    }
}

impl Source for Site {
    fn id(&self) -> &str {
        &self.config.id
    }

    fn network(&self) -> Network {
        Network::Clear
    }

    fn seeds(&self, now_ms: u64) -> Vec<CrawlTask> {
        self.follower.seeds(&self.config.id, &self.seeds, now_ms)
    }

    fn repoll_after(&self, task: &CrawlTask) -> Option<Duration> {
        (task.kind == TaskKind::Page && task.depth == 0)
            .then(|| Duration::from_millis(self.config.recrawl_interval_ms))
    }

    fn skip_if_seen(&self, _task: &CrawlTask) -> bool {
        false
    }

    fn handle(&self, task: &CrawlTask, fetched: &Fetched) -> Handled {
        let accept = |url: &Url| {
            if url.host_str().is_some_and(|h| h.ends_with(".onion")) {
                Err(SkipReason::WrongNetwork)
            } else {
                Ok(())
            }
        };
        self.follower.follow(task, fetched, &accept, now_ms())
    }
}
