//! `paste_api`: a JSON "recent pastes" listing polled on an interval, plus a raw fetch per item.

mod config;
#[cfg(test)]
mod tests;

use std::time::Duration;

use serde_json::Value;
use url::Url;
use wire::{CrawlTask, TaskKind};

pub use config::PasteApiConfig;

use super::{Emit, Handled, Source, config_url, task};
use crate::http::{Fetched, Network};
use crate::stats::SkipReason;
use crate::util::{host_key, now_ms, resolve_link};

/// The `paste_api` source.
pub(crate) struct PasteApi {
    config: PasteApiConfig,
    listing: Url,
    allowed_hosts: Vec<String>,
}

impl PasteApi {
    pub(crate) fn new(config: PasteApiConfig) -> Result<PasteApi, String> {
        config.validate()?;
        let listing = config_url("listing_url", &config.listing_url)?;
        let mut allowed_hosts: Vec<String> = config
            .extra_item_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        allowed_hosts.extend(host_key(&listing));
        Ok(PasteApi {
            config,
            listing,
            allowed_hosts,
        })
    }

    /// The items of a listing body, as tasks (oldest first), and the entries skipped.
    pub(crate) fn items(&self, body: &[u8], base: &Url, now: u64) -> Handled {
        let mut handled = Handled::default();
        let listing_skip = |h: &mut Handled| {
            h.skips.push((base.to_string(), SkipReason::BadListing));
        };
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            listing_skip(&mut handled);
            return handled;
        };
        let array = match self.config.items_pointer.as_deref() {
            None | Some("") => value.as_array(),
            Some(p) => value.pointer(p).and_then(Value::as_array),
        };
        let Some(array) = array else {
            listing_skip(&mut handled);
            return handled;
        };
        let mut items: Vec<(Option<u64>, Url)> = Vec::new();
        for (i, item) in array.iter().enumerate() {
            let entry = format!("{base} item {i}");
            let url = match &self.config.item_url_template {
                Some(template) => scalar(item.get(&self.config.key_field)).and_then(|key| {
                    let key: String =
                        url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
                    Url::parse(&template.replace("{key}", &key)).ok()
                }),
                None => item
                    .get(&self.config.url_field)
                    .and_then(Value::as_str)
                    .and_then(|u| resolve_link(base, u)),
            };
            let Some(url) = url else {
                handled.skips.push((entry, SkipReason::BadListingItem));
                continue;
            };
            let host = host_key(&url).unwrap_or_default();
            if !self.allowed_hosts.contains(&host) {
                handled.skips.push((url.to_string(), SkipReason::OffHost));
                continue;
            }
            let date = self
                .config
                .date_field
                .as_ref()
                .and_then(|f| scalar(item.get(f)))
                .and_then(|d| d.trim().parse::<u64>().ok());
            items.push((date, url));
        }
        // Newest first to apply the cap, then oldest first to fetch in publication order.
        items.sort_by_key(|item| std::cmp::Reverse(item.0));
        for (_, url) in items.drain(self.config.max_items_per_poll.min(items.len())..) {
            handled.skips.push((url.to_string(), SkipReason::PageLimit));
        }
        items.reverse();
        for (date, url) in items {
            let mut t = task(&self.config.id, TaskKind::Item, &url, 1, now);
            t.published_at_ms = date.map(|d| d.saturating_mul(1000));
            handled.tasks.push(t);
        }
        handled
    }
}

/// A string or number field as text.
fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Source for PasteApi {
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
        matches!(task.kind, TaskKind::Listing { .. })
            .then(|| Duration::from_millis(self.config.poll_interval_ms))
    }

    fn skip_if_seen(&self, task: &CrawlTask) -> bool {
        task.kind == TaskKind::Item
    }

    fn handle(&self, task: &CrawlTask, fetched: &Fetched) -> Handled {
        match task.kind {
            TaskKind::Listing { .. } => self.items(&fetched.body, &fetched.url, now_ms()),
            _ => Handled {
                emit: Some(Emit::AsFetched),
                ..Handled::default()
            },
        }
    }
}
