use super::config::redact_url;
use super::*;

fn config(toml_text: &str) -> Result<WebhookConfig, String> {
    let c: WebhookConfig = toml::from_str(toml_text).map_err(|e| e.to_string())?;
    c.validate().map_err(|e| e.to_string())?;
    Ok(c)
}

#[test]
fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
    // Reference value from Python: hmac.new(b"topsecret", b'1700000000.{"a":1}', sha256).
    assert_eq!(
        payload::signature(b"topsecret", 1_700_000_000, br#"{"a":1}"#),
        "sha256=6a939b0c71853d606167625a15168ee9188c6a511c773ef4f42d307f3849e50f"
    );
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        ("name = \"a\"\nurl = \"ftp://x/\"", "webhook[a].url"),
        ("name = \"a b\"\nurl = \"http://x/\"", "webhook.name"),
        (
            "name = \"a\"\nurl = \"http://x/\"\nmax_attempts = 0",
            "webhook[a].max_attempts",
        ),
        (
            "name = \"a\"\nurl = \"http://x/\"\ninitial_backoff_ms = 10\nmax_backoff_ms = 5",
            "webhook[a].initial_backoff_ms",
        ),
        ("name = \"a\"\nurl = \"http://x/\"\nformat = \"xml\"", "xml"),
        (
            "name = \"a\"\nurl = \"http://x/\"\nsecret = \"s\"",
            "secret",
        ),
        (
            "name = \"a\"\nurl = \"http://x/\"\nmin_confidence = \"sure\"",
            "sure",
        ),
        (
            "name = \"a\"\nurl = \"http://x/\"\nlease_ms = 100",
            "webhook[a].lease_ms",
        ),
        (
            "name = \"a\"\nurl = \"http://x/\"\ntimeout_ms = 20000",
            "webhook[a].lease_ms: must be greater than timeout_ms",
        ),
    ];
    for (text, key) in cases {
        let e = config(text).unwrap_err();
        assert!(e.contains(key), "{text:?}: {e}");
    }
    let ok = config("name = \"soc\"\nurl = \"https://hooks.example/x\"").unwrap();
    assert_eq!(ok.format, Format::Json);
    assert_eq!(ok.min_confidence, wire::Confidence::Medium);
    assert_eq!(ok.lease_ms, 15_000);
}

#[test]
fn duplicate_names_are_refused() {
    let a = config("name = \"a\"\nurl = \"http://x/\"").unwrap();
    let e = validate(&[a.clone(), a]).unwrap_err().to_string();
    assert!(e.contains("used twice"), "{e}");
}

#[test]
fn backoff_doubles_up_to_the_cap_with_jitter_below() {
    let c = config(
        "name = \"a\"\nurl = \"http://x/\"\ninitial_backoff_ms = 100\nmax_backoff_ms = 1000",
    )
    .unwrap();
    let waits: Vec<u64> = (1..=6).map(|a| c.backoff_ms(a, 0.0)).collect();
    assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
    assert_eq!(c.backoff_ms(1, 1.0), 80);
    assert_eq!(c.backoff_ms(u32::MAX, 0.5), 900);
}

#[test]
fn urls_are_shown_without_path_or_query() {
    assert_eq!(
        redact_url("https://hooks.slack.com/services/T000/B000/XXXX?token=1"),
        "https://hooks.slack.com/…"
    );
    assert_eq!(
        redact_url("http://127.0.0.1:9000/hook"),
        "http://127.0.0.1:9000/…"
    );
    assert_eq!(redact_url("not a url"), "<invalid url>");
    let c = config("name = \"a\"\nurl = \"http://x/secret-path\"").unwrap();
    assert!(!format!("{c:?}").contains("secret-path"));
}

#[test]
fn secrets_are_never_printed() {
    let s = Secret(b"hunter2".to_vec());
    assert_eq!(format!("{s:?}"), "Secret(redacted)");
}
