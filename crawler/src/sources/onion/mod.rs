//! `onion`: onion services crawled through arti-client embedded in the process.
//!
//! One Tor client per process, bootstrapped lazily on the first onion fetch (so a crawler
//! without onion sources never starts Tor), with persistent state and cache directories from
//! `[onion]`. Each onion host gets its own isolation token, so two sites never share a circuit.
//! Links are followed only within the same onion host. HTTP runs over arti's data streams with
//! the same hyper engine as clearnet fetches.

mod config;
#[cfg(test)]
mod tests;
#[cfg(feature = "onion")]
pub(crate) mod tor;

use std::time::Duration;

use sha3::{Digest, Sha3_256};
use url::Url;
use wire::{CrawlTask, TaskKind};

pub use config::OnionSourceConfig;

use super::{Handled, LinkFollower, Source};
use crate::Error;
use crate::config::OnionConfig;
use crate::http::{Fetched, Network};
use crate::stats::SkipReason;
use crate::util::now_ms;

/// Why a URL is not a usable onion URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OnionUrlError {
    /// Not an http(s) URL with a host.
    #[error("not an http(s) URL: {0}")]
    NotHttp(String),
    /// The host does not end in `.onion`.
    #[error("host is not a .onion address")]
    NotOnion,
    /// A 16-character v2 address (retired by Tor in 2021).
    #[error("v2 onion addresses are no longer served by Tor")]
    V2,
    /// Not 56 base32 characters.
    #[error("a v3 onion address has 56 base32 characters, this one has {0}")]
    Length(usize),
    /// A character outside `a-z2-7`.
    #[error("onion address is not base32")]
    Base32,
    /// The version byte is not 3.
    #[error("onion address version {0} is not 3")]
    Version(u8),
    /// The checksum does not match (a typo).
    #[error("onion address checksum does not match")]
    Checksum,
}

/// Parses an http(s) URL on a valid v3 onion address (subdomains allowed), without fragment.
pub fn parse_onion_url(s: &str) -> Result<Url, OnionUrlError> {
    let url = crate::util::parse_http_url(s).map_err(OnionUrlError::NotHttp)?;
    check_onion_host(url.host_str().unwrap_or_default())?;
    Ok(url)
}

/// Checks that `host` is a valid v3 onion address (`[sub.]<56 chars>.onion`).
pub fn check_onion_host(host: &str) -> Result<(), OnionUrlError> {
    let host = host.to_ascii_lowercase();
    let Some(rest) = host.strip_suffix(".onion") else {
        return Err(OnionUrlError::NotOnion);
    };
    let label = rest.rsplit('.').next().unwrap_or(rest);
    match label.len() {
        56 => {}
        16 => return Err(OnionUrlError::V2),
        n => return Err(OnionUrlError::Length(n)),
    }
    let bytes = base32_decode(label).ok_or(OnionUrlError::Base32)?;
    // pubkey (32) | checksum (2) | version (1)
    let (pubkey, tail) = bytes.split_at(32);
    let version = tail[2];
    if version != 3 {
        return Err(OnionUrlError::Version(version));
    }
    let mut h = Sha3_256::new();
    h.update(b".onion checksum");
    h.update(pubkey);
    h.update([version]);
    if h.finalize()[..2] != tail[..2] {
        return Err(OnionUrlError::Checksum);
    }
    Ok(())
}

/// RFC 4648 base32 (lower-case, no padding) of 56 characters → 35 bytes.
fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut acc, mut bits) = (0u64, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (out.len() == 35).then_some(out)
}

/// Checks `[onion.arti]` by building arti's config from it (with the `onion` feature).
pub(crate) fn check_arti_config(config: &OnionConfig) -> Result<(), Error> {
    #[cfg(feature = "onion")]
    {
        tor::client_config(config)
            .map(|_| ())
            .map_err(|e| Error::config(format!("onion.arti: {e}")))
    }
    #[cfg(not(feature = "onion"))]
    {
        let _ = config;
        Err(Error::config(
            "source: onion sources need the crawler built with its `onion` feature",
        ))
    }
}

/// The `onion` source.
pub(crate) struct OnionSource {
    config: OnionSourceConfig,
    seeds: Vec<Url>,
    follower: LinkFollower,
}

impl OnionSource {
    pub(crate) fn new(config: OnionSourceConfig, once: bool) -> Result<OnionSource, String> {
        config.validate()?;
        let seeds = config
            .seeds
            .iter()
            .enumerate()
            .map(|(i, s)| parse_onion_url(s).map_err(|e| format!("seeds[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let window = if once {
            u64::MAX
        } else {
            config.recrawl_interval_ms
        };
        Ok(OnionSource {
            follower: LinkFollower::new(config.max_depth, config.max_pages, window),
            seeds,
            config,
        })
    }
}

/// Links on an onion page: only valid onion URLs (the follower keeps them on the same host).
pub(crate) fn accept_onion_link(url: &Url) -> Result<(), SkipReason> {
    match check_onion_host(url.host_str().unwrap_or_default()) {
        Ok(()) => Ok(()),
        Err(OnionUrlError::NotOnion) => Err(SkipReason::WrongNetwork),
        Err(_) => Err(SkipReason::InvalidOnion),
    }
}

impl Source for OnionSource {
    fn id(&self) -> &str {
        &self.config.id
    }

    fn network(&self) -> Network {
        Network::Tor
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
        let mut handled = self
            .follower
            .follow(task, fetched, &accept_onion_link, now_ms());
        // A malformed onion address is another host to the follower; say what is wrong with it
        // (typo'd mirror addresses are common on markets) rather than only "off host".
        for (url, reason) in &mut handled.skips {
            if *reason == SkipReason::OffHost
                && let Ok(link) = Url::parse(url)
                && accept_onion_link(&link) == Err(SkipReason::InvalidOnion)
            {
                *reason = SkipReason::InvalidOnion;
            }
        }
        handled
    }
}
