//! The configuration parser (`leakwatch.toml`, every table) on arbitrary text: an error naming
//! what is wrong, never a panic. The binary's own `src/config.rs` is compiled in as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unused_imports)]
#[path = "../../src/config.rs"]
mod config;

fuzz_target!(|text: &str| {
    if let Err(e) = config::Config::from_toml(text) {
        assert!(!format!("{e:#}").is_empty());
    }
    let _ = crawler::CrawlConfig::from_toml(text);
    let _ = fingerprints::Schema::from_toml(text);
});
