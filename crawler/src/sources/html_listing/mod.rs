//! `html_listing`: paste sites without an API, read through CSS selectors.

mod config;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::time::Duration;

use scraper::{Html, Selector};
use url::Url;
use wire::{CrawlTask, TaskKind};

pub use config::HtmlListingConfig;

use super::{Emit, Handled, Source, config_url, task};
use crate::html;
use crate::http::{Fetched, Network};
use crate::stats::SkipReason;
use crate::util::{host_key, now_ms};

/// The `html_listing` source.
pub(crate) struct HtmlListing {
    config: HtmlListingConfig,
    listing: Url,
    allowed_hosts: Vec<String>,
    item_link: Selector,
    raw_link: Option<Selector>,
    content: Option<Selector>,
    next_page: Option<Selector>,
}

impl HtmlListing {
    pub(crate) fn new(config: HtmlListingConfig) -> Result<HtmlListing, String> {
        config.validate()?;
        let listing = config_url("listing_url", &config.listing_url)?;
        let opt = |css: &Option<String>| css.as_deref().map(html::selector).transpose();
        let mut allowed_hosts: Vec<String> = config
            .extra_item_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        allowed_hosts.extend(host_key(&listing));
        Ok(HtmlListing {
            item_link: html::selector(&config.item_link_selector)?,
            raw_link: opt(&config.raw_link_selector)?,
            content: opt(&config.content_selector)?,
            next_page: opt(&config.next_page_selector)?,
            allowed_hosts,
            listing,
            config,
        })
    }

    fn allowed(&self, url: &Url) -> bool {
        host_key(url).is_some_and(|h| self.allowed_hosts.contains(&h))
    }

    fn listing_page(&self, page: u32, fetched: &Fetched, now: u64) -> Handled {
        let mut handled = Handled::default();
        let text = html::decode(&fetched.body, fetched.charset.as_deref());
        if html::nesting_exceeds(&text, html::MAX_TREE_DEPTH) {
            // Selectors need the tree, which such a page would take minutes to build.
            handled
                .skips
                .push((fetched.url.to_string(), SkipReason::BadListing));
            return handled;
        }
        let doc = Html::parse_document(&text);
        let kind = if self.raw_link.is_some() || self.content.is_some() {
            TaskKind::ItemPage
        } else {
            TaskKind::Item
        };
        let mut seen = HashSet::new();
        for link in html::select_links(&doc, &self.item_link, &fetched.url) {
            if !seen.insert(link.clone()) {
                continue;
            }
            if !self.allowed(&link) {
                handled.skips.push((link.to_string(), SkipReason::OffHost));
                continue;
            }
            handled
                .tasks
                .push(task(&self.config.id, kind, &link, 1, now));
        }
        let next = self.next_page.as_ref().and_then(|sel| {
            html::select_links(&doc, sel, &fetched.url)
                .into_iter()
                .next()
        });
        if let Some(next) = next {
            if page + 1 >= self.config.max_listing_pages {
                handled
                    .skips
                    .push((next.to_string(), SkipReason::PageLimit));
            } else if !self.allowed(&next) {
                handled.skips.push((next.to_string(), SkipReason::OffHost));
            } else {
                let kind = TaskKind::Listing { page: page + 1 };
                handled
                    .tasks
                    .push(task(&self.config.id, kind, &next, 0, now));
            }
        }
        handled
    }

    fn item_page(&self, fetched: &Fetched, now: u64) -> Handled {
        let mut handled = Handled::default();
        let text = html::decode(&fetched.body, fetched.charset.as_deref());
        if html::nesting_exceeds(&text, html::MAX_TREE_DEPTH) {
            // Selectors need the tree, which such a page would take minutes to build.
            handled
                .skips
                .push((fetched.url.to_string(), SkipReason::NoContent));
            return handled;
        }
        let doc = Html::parse_document(&text);
        if let Some(sel) = &self.raw_link {
            match html::select_links(&doc, sel, &fetched.url)
                .into_iter()
                .next()
            {
                Some(raw) if self.allowed(&raw) => {
                    handled
                        .tasks
                        .push(task(&self.config.id, TaskKind::Item, &raw, 2, now));
                    handled.mark_visited = true;
                }
                Some(raw) => handled.skips.push((raw.to_string(), SkipReason::OffHost)),
                None => handled
                    .skips
                    .push((fetched.url.to_string(), SkipReason::NoContent)),
            }
        } else if let Some(sel) = &self.content {
            match doc.select(sel).next() {
                Some(el) => handled.emit = Some(Emit::Extracted(el.html().into_bytes())),
                None => handled
                    .skips
                    .push((fetched.url.to_string(), SkipReason::NoContent)),
            }
        } else {
            handled.emit = Some(Emit::AsFetched);
        }
        handled
    }
}

impl Source for HtmlListing {
    fn id(&self) -> &str {
        &self.config.id
    }

    fn network(&self) -> Network {
        Network::Clear
    }

    fn seeds(&self, now_ms: u64) -> Vec<CrawlTask> {
        vec![task(
            &self.config.id,
            TaskKind::Listing { page: 0 },
            &self.listing,
            0,
            now_ms,
        )]
    }

    fn repoll_after(&self, task: &CrawlTask) -> Option<Duration> {
        (task.kind == TaskKind::Listing { page: 0 })
            .then(|| Duration::from_millis(self.config.poll_interval_ms))
    }

    fn skip_if_seen(&self, task: &CrawlTask) -> bool {
        matches!(task.kind, TaskKind::Item | TaskKind::ItemPage)
    }

    fn handle(&self, task: &CrawlTask, fetched: &Fetched) -> Handled {
        let now = now_ms();
        match task.kind {
            TaskKind::Listing { page } => self.listing_page(page, fetched, now),
            TaskKind::ItemPage => self.item_page(fetched, now),
            TaskKind::Item | TaskKind::Page => Handled {
                emit: Some(Emit::AsFetched),
                ..Handled::default()
            },
        }
    }
}
