use super::*;

/// A real, well-known v3 address (used as a string only; nothing here touches a network).
const DDG: &str = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion";

fn encode_v3(pubkey: [u8; 32]) -> String {
    let mut h = Sha3_256::new();
    h.update(b".onion checksum");
    h.update(pubkey);
    h.update([3u8]);
    let mut bytes = pubkey.to_vec();
    bytes.extend_from_slice(&h.finalize()[..2]);
    bytes.push(3);
    let alphabet = b"abcdefghijklmnopqrstuvwxyz234567";
    let (mut acc, mut bits, mut out) = (0u64, 0u32, String::new());
    for b in bytes {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(alphabet[((acc >> bits) & 31) as usize] as char);
        }
    }
    format!("{out}.onion")
}

#[test]
fn valid_v3_urls_parse() {
    let url = parse_onion_url(&format!("http://{DDG}/search?q=x#frag")).unwrap();
    assert_eq!(url.as_str(), format!("http://{DDG}/search?q=x"));
    let upper = format!("https://www.{}/", DDG.to_ascii_uppercase());
    assert!(parse_onion_url(&upper).is_ok());
    let made = encode_v3([7; 32]);
    assert!(check_onion_host(&made).is_ok(), "{made}");
}

#[test]
fn invalid_onion_urls_are_dropped_with_a_reason() {
    let mut typo = DDG.to_owned();
    typo.replace_range(0..1, "e");
    let wrong_version = {
        // Same key and checksum position, version byte 2: re-encode by hand.
        let good = encode_v3([7; 32]);
        let mut chars: Vec<char> = good.chars().collect();
        // The last base32 character carries the low bits of the version byte.
        chars[55] = if chars[55] == 'd' { 'c' } else { 'd' };
        chars.into_iter().collect::<String>()
    };
    let cases: Vec<(String, OnionUrlError)> = vec![
        (
            "ftp://x.onion/".into(),
            OnionUrlError::NotHttp(String::new()),
        ),
        ("http://example.com/".into(), OnionUrlError::NotOnion),
        ("http://expyuzz4wqqyqhjn.onion/".into(), OnionUrlError::V2),
        ("http://abc.onion/".into(), OnionUrlError::Length(3)),
        (
            format!("http://{}1.onion/", &DDG[..55]),
            OnionUrlError::Base32,
        ),
        (format!("http://{typo}/"), OnionUrlError::Checksum),
        (
            format!("http://{wrong_version}/"),
            OnionUrlError::Version(2),
        ),
    ];
    for (url, want) in cases {
        let got = parse_onion_url(&url).unwrap_err();
        match (&got, &want) {
            (OnionUrlError::NotHttp(_), OnionUrlError::NotHttp(_)) => {}
            (OnionUrlError::Version(_), OnionUrlError::Version(_))
            | (OnionUrlError::Checksum, OnionUrlError::Version(_)) => {}
            _ => assert_eq!(got, want, "{url}"),
        }
    }
    // Links: clearnet links and bad onions on an onion page get distinct reasons.
    let clear = Url::parse("http://example.com/").unwrap();
    assert_eq!(accept_onion_link(&clear), Err(SkipReason::WrongNetwork));
    let bad = Url::parse(&format!("http://{typo}/")).unwrap();
    assert_eq!(accept_onion_link(&bad), Err(SkipReason::InvalidOnion));
}

#[test]
fn onion_source_config_names_the_seed() {
    let config: OnionSourceConfig =
        toml::from_str("id = \"o\"\nseeds = [\"http://abc.onion/\"]").unwrap();
    let err = config.validate().unwrap_err();
    assert!(err.starts_with("seeds[0]:"), "{err}");
    let config: OnionSourceConfig =
        toml::from_str(&format!("id = \"o\"\nseeds = [\"http://{DDG}/\"]")).unwrap();
    config.validate().unwrap();
}

#[test]
fn onion_links_stay_on_the_same_host() {
    let other = encode_v3([9; 32]);
    let mut typo = other.clone();
    typo.replace_range(0..1, if typo.starts_with('a') { "b" } else { "a" });
    let config: OnionSourceConfig = toml::from_str(&format!(
        "id = \"o\"\nseeds = [\"http://{DDG}/\"]\nmax_depth = 3"
    ))
    .unwrap();
    let source = OnionSource::new(config, true).unwrap();
    let seeds = source.seeds(1);
    let page = Fetched {
        url: Url::parse(&format!("http://{DDG}/")).unwrap(),
        status: 200,
        headers: Default::default(),
        media_type: Some("text/html".into()),
        charset: None,
        body: format!(
            r#"<a href="/about">a</a><a href="http://{other}/">other onion</a>
               <a href="https://example.com/">clearnet</a><a href="http://{typo}/">typo</a>
               <a href="http://abc.onion/">short</a>"#
        )
        .into_bytes(),
        truncated: false,
        took: Duration::ZERO,
    };
    let h = source.handle(&seeds[0], &page);
    let urls: Vec<_> = h.tasks.iter().map(|t| t.url.clone()).collect();
    assert_eq!(urls, [format!("http://{DDG}/about")]);
    assert_eq!(h.tasks[0].host, DDG);
    let reasons: Vec<_> = h.skips.iter().map(|(_, r)| *r).collect();
    assert_eq!(
        reasons,
        [
            SkipReason::OffHost,
            SkipReason::OffHost,
            SkipReason::InvalidOnion,
            SkipReason::InvalidOnion
        ]
    );
    assert_eq!(source.network(), Network::Tor);
}

#[cfg(feature = "onion")]
mod with_arti {
    use super::*;
    use crate::error::{FetchErrorKind, Retry};
    use arti_client::ErrorKind as K;

    #[test]
    fn isolation_tokens_are_per_host() {
        let c = tor::TorConnector::new(OnionConfig::default());
        let other = encode_v3([9; 32]);
        let a1 = c.isolation_token(DDG);
        let a2 = c.isolation_token(&DDG.to_ascii_uppercase());
        let b = c.isolation_token(&other);
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
    }

    #[test]
    fn error_kinds_map_to_what_to_do() {
        let cases = [
            (
                K::OnionServiceNotFound,
                FetchErrorKind::TorOnionNotFound,
                Retry::Later,
            ),
            (
                K::OnionServiceNotRunning,
                FetchErrorKind::TorOnionUnreachable,
                Retry::Soon,
            ),
            (
                K::OnionServiceConnectionFailed,
                FetchErrorKind::TorOnionUnreachable,
                Retry::Soon,
            ),
            (
                K::OnionServiceAddressInvalid,
                FetchErrorKind::TorBadAddress,
                Retry::Never,
            ),
            (
                K::OnionServiceMissingClientAuth,
                FetchErrorKind::TorClientAuth,
                Retry::Never,
            ),
            (K::TorNetworkTimeout, FetchErrorKind::Timeout, Retry::Soon),
            (
                K::BootstrapRequired,
                FetchErrorKind::TorBootstrap,
                Retry::Soon,
            ),
            (K::CircuitCollapse, FetchErrorKind::TorNetwork, Retry::Soon),
            (K::Internal, FetchErrorKind::TorOther, Retry::Soon),
        ];
        for (tor, ours, retry) in cases {
            assert_eq!(tor::map_kind(tor), ours, "{tor:?}");
            assert_eq!(ours.retry(), retry, "{tor:?}");
        }
    }

    #[test]
    fn arti_config_comes_from_the_crawl_config() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            r#"
            state_dir = "{0}/state"
            cache_dir = "{0}/cache"
            [arti.address_filter]
            allow_local_addrs = true
            [arti.path_rules]
            ipv4_subnet_family_prefix = 33
            [arti.override_net_params]
            hsdir_interval = 8
            "#,
            dir.path().display()
        );
        let config: OnionConfig = toml::from_str(&text).unwrap();
        tor::client_config(&config).unwrap();
        let bad: OnionConfig = toml::from_str(
            "state_dir = \"/tmp/s\"\ncache_dir = \"/tmp/c\"\n[arti.path_rules]\nipv4_subnet_family_prefix = \"x\"",
        )
        .unwrap();
        assert!(tor::client_config(&bad).is_err());
    }
}
