//! `[api]` and `[ops]`: where the alerts API listens, its limits and its bearer tokens.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Error;

/// What a token may do. Ordered: each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read alerts, stats, the live feed.
    Viewer,
    /// Read, and triage alerts (`PATCH /api/alerts/{id}`).
    Analyst,
    /// Everything, including admin routes.
    Admin,
}

impl Role {
    /// `viewer`, `analyst` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

/// `[api]`: the HTTP API, live feed and dashboard (`leakwatch alerts serve`, `leakwatch run`,
/// `leakwatch demo`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// `IP:port` to listen on. Without `[[api.token]]` entries only a loopback address is
    /// accepted (auth is off then).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Largest request body accepted (a triage `PATCH`), in bytes; larger ones get 413.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Largest `limit` of one page of alerts; a larger `limit` is capped to it.
    #[serde(default = "default_max_page_alerts")]
    pub max_page_alerts: usize,
    /// A request (other than the live feed's open stream) taking longer gets 503.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// A request's headers must arrive within this long (also the next request's on a
    /// kept-alive connection), or the connection is closed: slow or idle clients cannot hold
    /// connections open.
    #[serde(default = "default_header_read_timeout_ms")]
    pub header_read_timeout_ms: u64,
    /// The live feed asks the store for new alerts this often (another process may write it);
    /// alerts stored by this process are sent at once.
    #[serde(default = "default_stream_poll_ms")]
    pub stream_poll_ms: u64,
    /// The live feed sends a keep-alive comment after this long without an event.
    #[serde(default = "default_stream_keep_alive_ms")]
    pub stream_keep_alive_ms: u64,
    /// Live feed connections open at once, at most; more get 503.
    #[serde(default = "default_max_streams")]
    pub max_streams: usize,
    /// Bearer tokens (`[[api.token]]`); none: auth is off and `listen` must be loopback.
    #[serde(default, rename = "token")]
    pub tokens: Vec<TokenConfig>,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_max_body_bytes() -> usize {
    64 * 1024
}
fn default_max_page_alerts() -> usize {
    1_000
}
fn default_request_timeout_ms() -> u64 {
    30_000
}
fn default_header_read_timeout_ms() -> u64 {
    15_000
}
fn default_stream_poll_ms() -> u64 {
    500
}
fn default_stream_keep_alive_ms() -> u64 {
    15_000
}
fn default_max_streams() -> usize {
    64
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: default_listen(),
            max_body_bytes: default_max_body_bytes(),
            max_page_alerts: default_max_page_alerts(),
            request_timeout_ms: default_request_timeout_ms(),
            header_read_timeout_ms: default_header_read_timeout_ms(),
            stream_poll_ms: default_stream_poll_ms(),
            stream_keep_alive_ms: default_stream_keep_alive_ms(),
            max_streams: default_max_streams(),
            tokens: Vec::new(),
        }
    }
}

/// One `[[api.token]]`: a named bearer token and its role. The token itself comes from
/// `token_file` (its first line) or is given only as `token_sha256`, so the configuration holds
/// no plaintext token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who holds the token: the actor recorded in the audit trail of triage changes.
    pub name: String,
    /// `viewer`, `analyst` or `admin`.
    pub role: Role,
    /// File holding the token (surrounding whitespace ignored; at least 16 characters).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Hex SHA-256 of the token (64 hex digits), instead of `token_file`.
    #[serde(default)]
    pub token_sha256: Option<String>,
}

/// `[ops]`: a small unauthenticated endpoint (`/metrics`, `/healthz`, `/readyz`) for the roles
/// that do not serve the API (`leakwatch crawl`, `leakwatch match`). Serves no alert data.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsConfig {
    /// `IP:port` to listen on (any address: the endpoint holds no alert data); unset: none.
    #[serde(default)]
    pub listen: Option<String>,
}

/// Shortest token accepted from a `token_file`.
pub const MIN_TOKEN_CHARS: usize = 16;

fn config_error(key: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Config {
        key: key.into(),
        message: message.into(),
    }
}

/// Parses an `IP:port` listen address; errors name `key`.
pub fn parse_listen(key: &str, listen: &str) -> Result<SocketAddr, Error> {
    listen.parse().map_err(|_| {
        config_error(
            key,
            format!("{listen:?} is not an IP address and port (e.g. 127.0.0.1:8080)"),
        )
    })
}

impl ApiConfig {
    /// Checks the values (not the token files); errors name the key.
    pub fn validate(&self) -> Result<(), Error> {
        parse_listen("api.listen", &self.listen)?;
        let positive = [
            ("api.max_body_bytes", self.max_body_bytes as u64),
            ("api.max_page_alerts", self.max_page_alerts as u64),
            ("api.request_timeout_ms", self.request_timeout_ms),
            ("api.header_read_timeout_ms", self.header_read_timeout_ms),
            ("api.stream_poll_ms", self.stream_poll_ms),
            ("api.stream_keep_alive_ms", self.stream_keep_alive_ms),
            ("api.max_streams", self.max_streams as u64),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(config_error(key, "must be greater than 0"));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let key = format!("api.token[{i}]");
            if t.name.trim().is_empty() {
                return Err(config_error(format!("{key}.name"), "must not be empty"));
            }
            if !names.insert(t.name.as_str()) {
                return Err(config_error(
                    format!("{key}.name"),
                    format!("{:?} is used by another token", t.name),
                ));
            }
            match (&t.token_file, &t.token_sha256) {
                (Some(_), Some(_)) => {
                    return Err(config_error(
                        key,
                        "give either token_file or token_sha256, not both",
                    ));
                }
                (None, None) => {
                    return Err(config_error(key, "needs token_file or token_sha256"));
                }
                (None, Some(h)) => {
                    parse_sha256(h).map_err(|m| config_error(format!("{key}.token_sha256"), m))?;
                }
                (Some(_), None) => {}
            }
        }
        Ok(())
    }

    /// The listen address (call [`ApiConfig::validate`] first for a friendly error).
    pub fn listen_addr(&self) -> Result<SocketAddr, Error> {
        parse_listen("api.listen", &self.listen)
    }

    /// Reads the token files and builds the token table; no tokens: auth is off.
    pub fn auth(&self) -> Result<Auth, Error> {
        self.validate()?;
        let mut tokens: Vec<KnownToken> = Vec::with_capacity(self.tokens.len());
        for (i, t) in self.tokens.iter().enumerate() {
            let key = format!("api.token[{i}]");
            let digest = match (&t.token_file, &t.token_sha256) {
                (Some(path), _) => {
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        config_error(
                            format!("{key}.token_file"),
                            format!("reading {}: {e}", path.display()),
                        )
                    })?;
                    let token = text.trim();
                    if token.chars().count() < MIN_TOKEN_CHARS {
                        return Err(config_error(
                            format!("{key}.token_file"),
                            format!(
                                "the token in {} is shorter than {MIN_TOKEN_CHARS} characters",
                                path.display()
                            ),
                        ));
                    }
                    if token.contains(char::is_whitespace) {
                        return Err(config_error(
                            format!("{key}.token_file"),
                            format!("the token in {} contains whitespace", path.display()),
                        ));
                    }
                    TokenDigest::of(token)
                }
                (None, Some(h)) => TokenDigest(
                    parse_sha256(h).map_err(|m| config_error(format!("{key}.token_sha256"), m))?,
                ),
                (None, None) => unreachable!("validated above"),
            };
            if let Some(j) = tokens.iter().position(|k| k.digest.matches(&digest)) {
                return Err(config_error(
                    key,
                    format!("the same token as api.token[{j}]"),
                ));
            }
            tokens.push(KnownToken {
                name: t.name.clone(),
                role: t.role,
                digest,
            });
        }
        Ok(Auth { tokens })
    }
}

fn parse_sha256(hex_digest: &str) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digest.trim(), &mut out)
        .map_err(|_| "must be 64 hex digits (the SHA-256 of the token)".to_owned())?;
    Ok(out)
}

impl OpsConfig {
    /// The listen address, if any; errors name `ops.listen`.
    pub fn listen_addr(&self) -> Result<Option<SocketAddr>, Error> {
        self.listen
            .as_deref()
            .map(|l| parse_listen("ops.listen", l))
            .transpose()
    }
}

/// SHA-256 of a token. Never printed (its `Debug` is redacted); compared in constant time.
#[derive(Clone)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// The digest of `token`.
    pub fn of(token: &str) -> TokenDigest {
        TokenDigest(Sha256::digest(token.as_bytes()).into())
    }

    fn matches(&self, other: &TokenDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenDigest(<redacted>)")
    }
}

#[derive(Debug, Clone)]
struct KnownToken {
    name: String,
    role: Role,
    digest: TokenDigest,
}

/// Who made a request: the token's name and role (or `local` as admin when auth is off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `name` (the actor in the audit trail).
    pub name: String,
    /// The token's role.
    pub role: Role,
}

/// The bearer tokens the API accepts; empty: auth is off.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    tokens: Vec<KnownToken>,
}

impl Auth {
    /// No tokens: every request is `local` with the admin role (loopback only).
    pub fn off() -> Auth {
        Auth::default()
    }

    /// Tokens given directly (tests, embedding): `(name, role, token)`.
    pub fn from_tokens<'a>(tokens: impl IntoIterator<Item = (&'a str, Role, &'a str)>) -> Auth {
        Auth {
            tokens: tokens
                .into_iter()
                .map(|(name, role, token)| KnownToken {
                    name: name.to_owned(),
                    role,
                    digest: TokenDigest::of(token),
                })
                .collect(),
        }
    }

    /// Whether no token is configured (and so every request is allowed).
    pub fn is_off(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Number of configured tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether no token is configured (the same as [`Auth::is_off`]).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The principal a presented token belongs to. Compares the token's SHA-256 with every
    /// configured digest in constant time, without stopping at a match.
    pub fn check(&self, presented: &str) -> Option<Principal> {
        let digest = TokenDigest::of(presented);
        let mut found: Option<&KnownToken> = None;
        for t in &self.tokens {
            if t.digest.matches(&digest) {
                found = Some(t);
            }
        }
        found.map(|t| Principal {
            name: t.name.clone(),
            role: t.role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ApiConfig, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Root {
            #[serde(default)]
            api: ApiConfig,
        }
        let root: Root = toml::from_str(text).map_err(|e| e.to_string())?;
        root.api.validate().map_err(|e| e.to_string())?;
        Ok(root.api)
    }

    #[test]
    fn defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.max_body_bytes, 65_536);
        assert!(c.auth().unwrap().is_off());
    }

    #[test]
    fn errors_name_the_key() {
        let h = "a".repeat(64);
        let cases = [
            ("[api]\nlisten = \"localhost\"", "api.listen"),
            ("[api]\nmax_body_bytes = 0", "api.max_body_bytes"),
            ("[api]\nstream_poll_ms = 0", "api.stream_poll_ms"),
            ("[api]\nlisen = \"x\"", "lisen"),
            (
                "[[api.token]]\nname = \"a\"\nrole = \"viewer\"",
                "api.token[0]: needs token_file",
            ),
            (
                "[[api.token]]\nname = \"a\"\nrole = \"root\"\ntoken_sha256 = \"00\"",
                "root",
            ),
            (
                "[[api.token]]\nname = \"a\"\nrole = \"viewer\"\ntoken_sha256 = \"00\"",
                "api.token[0].token_sha256",
            ),
            (
                &format!(
                    "[[api.token]]\nname = \"a\"\nrole = \"viewer\"\ntoken_sha256 = \"{h}\"\n\
                     [[api.token]]\nname = \"a\"\nrole = \"admin\"\ntoken_sha256 = \"{h}\""
                ),
                "api.token[1].name",
            ),
            (
                &format!(
                    "[[api.token]]\nname = \"a\"\nrole = \"viewer\"\ntoken_sha256 = \"{h}\"\n\
                     token_file = \"t\""
                ),
                "not both",
            ),
        ];
        for (text, key) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(key), "{text:?}: {e}");
        }
    }

    #[test]
    fn tokens_from_files_and_digests() {
        let dir = tempfile::tempdir().unwrap();
        let viewer = dir.path().join("viewer.token");
        std::fs::write(&viewer, "viewer-token-0123456789\n").unwrap();
        let short = dir.path().join("short.token");
        std::fs::write(&short, "abc\n").unwrap();
        let digest = hex::encode(Sha256::digest(b"analyst-token-0123456789"));
        let text = format!(
            "[[api.token]]\nname = \"ann\"\nrole = \"viewer\"\ntoken_file = {viewer:?}\n\
             [[api.token]]\nname = \"bob\"\nrole = \"analyst\"\ntoken_sha256 = \"{digest}\"\n"
        );
        let auth = parse(&text).unwrap().auth().unwrap();
        assert_eq!(auth.len(), 2);
        assert_eq!(
            auth.check("viewer-token-0123456789"),
            Some(Principal {
                name: "ann".into(),
                role: Role::Viewer
            })
        );
        assert_eq!(
            auth.check("analyst-token-0123456789").map(|p| p.role),
            Some(Role::Analyst)
        );
        assert_eq!(auth.check("viewer-token-012345678"), None);
        assert_eq!(auth.check(""), None);
        // Nothing of a token in Debug output.
        let debug = format!("{auth:?}");
        assert!(!debug.contains("viewer-token") && !debug.contains(&digest[..16]));

        let text =
            format!("[[api.token]]\nname = \"x\"\nrole = \"viewer\"\ntoken_file = {short:?}");
        let e = parse(&text).unwrap().auth().unwrap_err().to_string();
        assert!(
            e.contains("api.token[0].token_file") && e.contains("shorter"),
            "{e}"
        );
        assert!(!e.contains("abc"), "{e}");
        let missing = dir.path().join("missing");
        let text =
            format!("[[api.token]]\nname = \"x\"\nrole = \"viewer\"\ntoken_file = {missing:?}");
        let e = parse(&text).unwrap().auth().unwrap_err().to_string();
        assert!(e.contains("api.token[0].token_file"), "{e}");
        let same = format!(
            "[[api.token]]\nname = \"a\"\nrole = \"viewer\"\ntoken_file = {viewer:?}\n\
             [[api.token]]\nname = \"b\"\nrole = \"admin\"\ntoken_sha256 = \"{}\"\n",
            hex::encode(Sha256::digest(b"viewer-token-0123456789"))
        );
        let e = parse(&same).unwrap().auth().unwrap_err().to_string();
        assert!(
            e.contains("api.token[1]") && e.contains("same token"),
            "{e}"
        );
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Viewer < Role::Analyst && Role::Analyst < Role::Admin);
    }
}
