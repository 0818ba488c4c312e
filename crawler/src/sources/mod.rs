//! Sources: each turns its configuration into seed tasks and handles the responses to its tasks
//! (emit a page, add tasks). One small trait, [`Source`]; the engine does fetching, politeness,
//! retries, dedup and the sink.

pub mod html_listing;
pub mod onion;
pub mod paste_api;
pub mod site;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use url::Url;
use wire::{CrawlTask, TaskKind};

use crate::http::{Fetched, Network};
use crate::stats::SkipReason;
use crate::util::host_key;

/// One `[[source]]` table; `type` selects the kind.
///
/// Deserialized by hand (not as serde's internally tagged enum): serde buffers a tagged enum's
/// content and toml's errors then lose the key, so `max_depth = "deep"` said only "invalid
/// type" at the `[[source]]` line. Here the kind's own table is read from a `toml::Value`,
/// whose errors carry the key, and the message starts with it (`max_depth: invalid type ...`).
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// A JSON "recent pastes" listing plus a raw fetch per item (Pastebin's scraping API shape).
    PasteApi(paste_api::PasteApiConfig),
    /// An HTML listing with CSS selectors for items, raw links or content, and the next page.
    HtmlListing(html_listing::HtmlListingConfig),
    /// A same-host link-following crawl of a clearnet site.
    Site(site::SiteConfig),
    /// A same-host link-following crawl of onion services through the embedded Tor client.
    Onion(onion::OnionSourceConfig),
}

/// The `type`s of a `[[source]]`.
const SOURCE_TYPES: &[&str] = &["paste_api", "html_listing", "site", "onion"];

impl<'de> Deserialize<'de> for SourceConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SourceConfig, D::Error> {
        use serde::de::Error as _;
        let mut table = toml::Table::deserialize(d)?;
        let kind = match table.remove("type") {
            Some(toml::Value::String(s)) => s,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "type: expected a string, found {}",
                    other.type_str()
                )));
            }
            None => return Err(D::Error::missing_field("type")),
        };
        let value = toml::Value::Table(table);
        let parsed = match kind.as_str() {
            "paste_api" => value.try_into().map(SourceConfig::PasteApi),
            "html_listing" => value.try_into().map(SourceConfig::HtmlListing),
            "site" => value.try_into().map(SourceConfig::Site),
            "onion" => value.try_into().map(SourceConfig::Onion),
            other => {
                return Err(D::Error::custom(format!(
                    "type: unknown variant `{other}`, expected one of `{}`",
                    SOURCE_TYPES.join("`, `")
                )));
            }
        };
        parsed.map_err(|e| D::Error::custom(key_first(&e)))
    }
}

/// toml's message for a value deserialized without its text ("MESSAGE\nin `KEY`") as
/// "KEY: MESSAGE", the way every other config error reads.
fn key_first(e: &toml::de::Error) -> String {
    let text = e.to_string();
    let text = text.trim_end();
    match text.rsplit_once("\nin `") {
        Some((message, key)) => format!("{}: {message}", key.trim_end_matches('`')),
        None => text.to_owned(),
    }
}

impl SourceConfig {
    /// The source's id.
    pub fn id(&self) -> &str {
        match self {
            SourceConfig::PasteApi(c) => &c.id,
            SourceConfig::HtmlListing(c) => &c.id,
            SourceConfig::Site(c) => &c.id,
            SourceConfig::Onion(c) => &c.id,
        }
    }

    /// Checks values; the message starts with the key.
    pub(crate) fn validate(&self) -> Result<(), String> {
        match self {
            SourceConfig::PasteApi(c) => c.validate(),
            SourceConfig::HtmlListing(c) => c.validate(),
            SourceConfig::Site(c) => c.validate(),
            SourceConfig::Onion(c) => c.validate(),
        }
    }

    pub(crate) fn build(&self, once: bool) -> Result<Box<dyn Source>, String> {
        Ok(match self {
            SourceConfig::PasteApi(c) => Box::new(paste_api::PasteApi::new(c.clone())?),
            SourceConfig::HtmlListing(c) => Box::new(html_listing::HtmlListing::new(c.clone())?),
            SourceConfig::Site(c) => Box::new(site::Site::new(c.clone(), once)?),
            SourceConfig::Onion(c) => Box::new(onion::OnionSource::new(c.clone(), once)?),
        })
    }
}

/// What a source wants done with a fetched response.
#[derive(Debug, Default)]
pub(crate) struct Handled {
    /// Emit a page?
    pub(crate) emit: Option<Emit>,
    /// Tasks to add to the frontier.
    pub(crate) tasks: Vec<CrawlTask>,
    /// URLs (or entries) not followed, with why.
    pub(crate) skips: Vec<(String, SkipReason)>,
    /// Record the fetched URL as handled without emitting it (item pages whose raw link was
    /// followed), so a later poll does not fetch it again.
    pub(crate) mark_visited: bool,
}

/// The page to emit.
#[derive(Debug)]
pub(crate) enum Emit {
    /// The fetched body as it is.
    AsFetched,
    /// A part of the fetched document (an HTML content element), re-serialized as UTF-8 HTML.
    Extracted(Vec<u8>),
}

/// A configured source.
pub(crate) trait Source: Send + Sync {
    /// The source's id.
    fn id(&self) -> &str;
    /// The network its URLs are fetched through.
    fn network(&self) -> Network;
    /// The tasks a crawl starts from.
    fn seeds(&self, now_ms: u64) -> Vec<CrawlTask>;
    /// For seed-like tasks (a listing's first page, a site's seeds): when to do them again once
    /// handled (unless the crawler runs `once`).
    fn repoll_after(&self, task: &CrawlTask) -> Option<Duration>;
    /// Items are immutable: a task whose URL was handled before is skipped without a fetch.
    fn skip_if_seen(&self, task: &CrawlTask) -> bool;
    /// Handles a response to one of this source's tasks.
    fn handle(&self, task: &CrawlTask, fetched: &Fetched) -> Handled;
}

/// A new task for `url` (which must have a host).
pub(crate) fn task(source: &str, kind: TaskKind, url: &Url, depth: u32, now_ms: u64) -> CrawlTask {
    CrawlTask {
        source: source.to_owned(),
        kind,
        url: url.to_string(),
        host: host_key(url).unwrap_or_default(),
        depth,
        not_before_ms: now_ms,
        attempt: 0,
        created_at_ms: now_ms,
        published_at_ms: None,
    }
}

/// Parses a configured URL; the error starts with the key.
pub(crate) fn config_url(key: &str, s: &str) -> Result<Url, String> {
    crate::util::parse_http_url(s).map_err(|e| format!("{key}: {s:?}: {e}"))
}

/// Same-host link following with depth and page caps, shared by `site` and `onion`.
///
/// `max_pages` bounds the pages enqueued per recrawl window (`recrawl_interval_ms`; the whole
/// run with `once`); a URL is crawled at most once per window.
#[derive(Debug)]
pub(crate) struct LinkFollower {
    max_depth: u32,
    max_pages: usize,
    window_ms: u64,
    state: Mutex<FollowState>,
}

#[derive(Debug, Default)]
struct FollowState {
    window_start_ms: u64,
    visited: HashSet<String>,
}

impl LinkFollower {
    pub(crate) fn new(max_depth: u32, max_pages: usize, window_ms: u64) -> LinkFollower {
        LinkFollower {
            max_depth,
            max_pages,
            window_ms,
            state: Mutex::new(FollowState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FollowState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn roll(&self, s: &mut FollowState, now_ms: u64) {
        if now_ms.saturating_sub(s.window_start_ms) >= self.window_ms {
            s.window_start_ms = now_ms;
            s.visited.clear();
        }
    }

    /// Seeds, marked visited.
    pub(crate) fn seeds(&self, source: &str, seeds: &[Url], now_ms: u64) -> Vec<CrawlTask> {
        let mut s = self.lock();
        self.roll(&mut s, now_ms);
        seeds
            .iter()
            .filter(|u| s.visited.insert(u.to_string()))
            .map(|u| task(source, TaskKind::Page, u, 0, now_ms))
            .collect()
    }

    /// The same-host links of an HTML page as tasks, and the links not followed.
    pub(crate) fn follow(
        &self,
        task_in: &CrawlTask,
        fetched: &Fetched,
        accept: &dyn Fn(&Url) -> Result<(), SkipReason>,
        now_ms: u64,
    ) -> Handled {
        let mut handled = Handled {
            emit: Some(Emit::AsFetched),
            ..Handled::default()
        };
        if !fetched
            .media_type
            .as_deref()
            .is_some_and(crate::html::is_html)
        {
            return handled;
        }
        let links = {
            let text = crate::html::decode(&fetched.body, fetched.charset.as_deref());
            crate::html::page_links(&text, &fetched.url)
        };
        let origin = host_key(&fetched.url);
        let mut s = self.lock();
        if task_in.depth == 0 {
            self.roll(&mut s, now_ms);
        }
        let mut cut_by_depth = false;
        let mut seen_here: HashMap<String, ()> = HashMap::new();
        for link in links {
            let key = link.to_string();
            if seen_here.insert(key.clone(), ()).is_some() || s.visited.contains(&key) {
                continue;
            }
            if host_key(&link) != origin {
                handled.skips.push((key, SkipReason::OffHost));
                continue;
            }
            if let Err(reason) = accept(&link) {
                handled.skips.push((key, reason));
                continue;
            }
            if task_in.depth + 1 > self.max_depth {
                cut_by_depth = true;
                continue;
            }
            if s.visited.len() >= self.max_pages {
                handled.skips.push((key, SkipReason::PageLimit));
                continue;
            }
            s.visited.insert(key);
            handled.tasks.push(task(
                &task_in.source,
                TaskKind::Page,
                &link,
                task_in.depth + 1,
                now_ms,
            ));
        }
        if cut_by_depth {
            // One count per page whose links were cut, not one per link.
            handled
                .skips
                .push((fetched.url.to_string(), SkipReason::DepthLimit));
        }
        handled
    }
}

#[cfg(test)]
mod source_config_tests {
    use crate::CrawlConfig;

    #[test]
    fn source_errors_name_the_key_and_the_line_of_the_source() {
        let head = "[fetch]\nmax_retries = 1\n\n";
        let cases = [
            (
                "[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"http://h/\"]\nmax_depth = \"deep\"",
                "max_depth: invalid type: string \"deep\", expected u32",
            ),
            (
                "[[source]]\ntype = \"paste_api\"\nid = \"p\"\nlisting_url = 5",
                "listing_url: invalid type: integer `5`, expected a string",
            ),
            (
                "[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"http://h/\"]\nmax_dept = 2",
                "unknown field `max_dept`, expected one of",
            ),
            (
                "[[source]]\ntype = \"sitee\"\nid = \"s\"",
                "type: unknown variant `sitee`, expected one of `paste_api`, `html_listing`, `site`, `onion`",
            ),
            ("[[source]]\nid = \"s\"", "missing field `type`"),
            (
                "[[source]]\ntype = 3\nid = \"s\"",
                "type: expected a string, found integer",
            ),
        ];
        for (source, want) in cases {
            let err = CrawlConfig::from_toml(&format!("{head}{source}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{want:?} not in {err}");
            assert!(err.contains("line 4"), "the [[source]] line: {err}");
        }
        let ok = CrawlConfig::from_toml(&format!(
            "{head}[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"http://h/\"]\nmax_depth = 3"
        ))
        .unwrap();
        assert!(matches!(&ok.sources[0], super::SourceConfig::Site(s) if s.max_depth == 3));
    }
}
