//! [`StoreConfig`]: the `[store]` table, and [`open`], which opens the store it names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::{AlertStore, Error, PostgresStore, SqliteStore};

/// Which database keeps the alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreType {
    /// One SQLite file (WAL), embedded: the default.
    #[default]
    Sqlite,
    /// A PostgreSQL database, shared by several processes.
    Postgres,
}

/// A secret string (a connection URL with a password): never printed, zeroed when dropped.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: String) -> Secret {
        Secret(s)
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// `[store]`: where alerts are kept, how long, and when a sighting re-notifies.
///
/// ```toml
/// [store]
/// type = "postgres"                      # default "sqlite"
/// url_file = "/run/secrets/alerts-db"    # holds postgres://user:password@host/db
/// pool_size = 4
/// retention_days = 90                    # 0: keep forever
/// suppression_window_s = 86400
/// purge_interval_s = 3600
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite` (default) or `postgres`.
    #[serde(rename = "type", default)]
    pub store_type: StoreType,
    /// SQLite only: the database file (created if missing); default
    /// `leakwatch-alerts.sqlite`. Holds alerts only: URLs, hashes, record references, field
    /// kinds, offsets — never a page body or a value.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// PostgreSQL only: a file holding the connection URL (`postgres://user:pw@host:5432/db`
    /// or `host=... user=...`), e.g. a mounted Kubernetes Secret. Trailing whitespace is
    /// ignored.
    #[serde(default)]
    pub url_file: Option<PathBuf>,
    /// PostgreSQL only: the connection URL itself (local use; prefer `url_file`). Never
    /// logged.
    #[serde(default)]
    pub url: Option<Secret>,
    /// PostgreSQL only: the schema holding the tables (created if missing); default `public`.
    /// Lowercase letters, digits and `_`.
    #[serde(default)]
    pub schema: Option<String>,
    /// PostgreSQL only: connections kept open (calls beyond wait for one); default 4.
    #[serde(default)]
    pub pool_size: Option<usize>,
    /// PostgreSQL only: a PEM file of the CA certificates the server's certificate must chain
    /// to (a private CA, e.g. a mounted Kubernetes Secret); default: the Mozilla root set.
    /// Whether TLS is used is the URL's `sslmode` (`disable`, `prefer` — the default — or
    /// `require`); a certificate that does not verify is always refused.
    #[serde(default)]
    pub tls_ca_file: Option<PathBuf>,
    /// Alerts last seen more than this many days ago are deleted, with their audit trail;
    /// 0 keeps them forever. Default 90.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// A record alerted on a URL does not notify again for this many seconds (its new alerts
    /// on that URL are stored as suppressed). Default 86400 (a day).
    #[serde(default = "default_suppression_window_s")]
    pub suppression_window_s: u64,
    /// How often the purge job runs, seconds. Default 3600.
    #[serde(default = "default_purge_interval_s")]
    pub purge_interval_s: u64,
}

/// Default of [`StoreConfig::path`].
pub const DEFAULT_SQLITE_PATH: &str = "leakwatch-alerts.sqlite";
/// Default of [`StoreConfig::pool_size`].
pub const DEFAULT_POOL_SIZE: usize = 4;

fn default_retention_days() -> u32 {
    90
}

fn default_suppression_window_s() -> u64 {
    86_400
}

fn default_purge_interval_s() -> u64 {
    3600
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            store_type: StoreType::Sqlite,
            path: None,
            url_file: None,
            url: None,
            schema: None,
            pool_size: None,
            tls_ca_file: None,
            retention_days: default_retention_days(),
            suppression_window_s: default_suppression_window_s(),
            purge_interval_s: default_purge_interval_s(),
        }
    }
}

impl StoreConfig {
    /// A SQLite store at `path` with the default settings.
    pub fn sqlite(path: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            path: Some(path.into()),
            ..StoreConfig::default()
        }
    }

    /// The SQLite file (the default if unset).
    pub fn sqlite_path(&self) -> &Path {
        self.path
            .as_deref()
            .unwrap_or(Path::new(DEFAULT_SQLITE_PATH))
    }

    /// The suppression window in ms.
    pub fn suppression_window_ms(&self) -> u64 {
        self.suppression_window_s.saturating_mul(1000)
    }

    /// Checks the table; errors name the key (`store.url_file: ...`).
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |key: &str, what: &str| Err(Error::Config(format!("store.{key}: {what}")));
        match self.store_type {
            StoreType::Sqlite => {
                for (key, set) in [
                    ("url_file", self.url_file.is_some()),
                    ("url", self.url.is_some()),
                    ("schema", self.schema.is_some()),
                    ("pool_size", self.pool_size.is_some()),
                    ("tls_ca_file", self.tls_ca_file.is_some()),
                ] {
                    if set {
                        return bad(key, "only with type = \"postgres\"");
                    }
                }
            }
            StoreType::Postgres => {
                if self.path.is_some() {
                    return bad("path", "only with type = \"sqlite\" (use url_file)");
                }
                match (&self.url_file, &self.url) {
                    (None, None) => return bad("url_file", "required with type = \"postgres\""),
                    (Some(_), Some(_)) => return bad("url", "give url_file or url, not both"),
                    _ => {}
                }
                if let Some(n) = self.pool_size
                    && !(1..=64).contains(&n)
                {
                    return bad("pool_size", "must be 1 to 64");
                }
                if let Some(s) = &self.schema
                    && !valid_schema(s)
                {
                    return bad(
                        "schema",
                        "lowercase letters, digits and _, starting with a letter or _ (at most 63)",
                    );
                }
            }
        }
        if self.purge_interval_s == 0 {
            return bad("purge_interval_s", "must be greater than 0");
        }
        if self.suppression_window_s > 366 * 86_400 {
            return bad("suppression_window_s", "at most a year (31622400)");
        }
        Ok(())
    }

    /// The PostgreSQL connection URL, read from `url_file` or `url`.
    pub fn postgres_url(&self) -> Result<Secret, Error> {
        if let Some(u) = &self.url {
            return Ok(u.clone());
        }
        let Some(p) = &self.url_file else {
            return Err(Error::Config(
                "store.url_file: required with type = \"postgres\"".into(),
            ));
        };
        let text = std::fs::read_to_string(p)
            .map_err(|e| Error::Config(format!("store.url_file {}: {e}", p.display())))?;
        let url = Secret::new(text.trim().to_owned());
        drop(Secret::new(text));
        if url.expose().is_empty() {
            return Err(Error::Config(format!(
                "store.url_file {}: the file is empty",
                p.display()
            )));
        }
        Ok(url)
    }

    /// Where the store is, for logs: the SQLite path, or for PostgreSQL where its URL comes
    /// from (never the URL).
    pub fn describe(&self) -> String {
        match self.store_type {
            StoreType::Sqlite => format!("sqlite {}", self.sqlite_path().display()),
            StoreType::Postgres => match &self.url_file {
                Some(p) => format!("postgres (store.url_file {})", p.display()),
                None => "postgres (store.url)".into(),
            },
        }
    }
}

fn valid_schema(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// Opens (creating and migrating if needed) the store `config` names.
pub fn open(config: &StoreConfig) -> Result<Arc<dyn AlertStore>, Error> {
    config.validate()?;
    let window = config.suppression_window_ms();
    Ok(match config.store_type {
        StoreType::Sqlite => {
            Arc::new(SqliteStore::open(config.sqlite_path())?.with_suppression_window_ms(window))
        }
        StoreType::Postgres => {
            let url = config.postgres_url()?;
            Arc::new(
                PostgresStore::connect(
                    &url,
                    config.schema.as_deref().unwrap_or("public"),
                    config.pool_size.unwrap_or(DEFAULT_POOL_SIZE),
                    config.tls_ca_file.as_deref(),
                )?
                .with_suppression_window_ms(window),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<StoreConfig, String> {
        let c: StoreConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.validate().map_err(|e| e.to_string())?;
        Ok(c)
    }

    #[test]
    fn defaults_and_the_old_form() {
        let c = parse("").unwrap();
        assert_eq!(c.store_type, StoreType::Sqlite);
        assert_eq!(c.sqlite_path(), Path::new("leakwatch-alerts.sqlite"));
        assert_eq!(
            (c.retention_days, c.suppression_window_s, c.purge_interval_s),
            (90, 86_400, 3600)
        );
        let c = parse("path = \"a.sqlite\"").unwrap();
        assert_eq!(c.sqlite_path(), Path::new("a.sqlite"));
        let c = parse("type = \"postgres\"\nurl = \"postgres://u:hunter2@h/db\"\npool_size = 2")
            .unwrap();
        assert_eq!(c.pool_size, Some(2));
        let shown = format!("{c:?} {}", c.describe());
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn errors_name_the_key() {
        for (text, key) in [
            ("type = \"mysql\"", "mysql"),
            ("pth = \"x\"", "pth"),
            ("tls_ca_file = \"ca.pem\"", "store.tls_ca_file: only with"),
            ("url = \"postgres://h/db\"", "store.url: only with"),
            ("pool_size = 3", "store.pool_size: only with"),
            ("type = \"postgres\"", "store.url_file: required"),
            (
                "type = \"postgres\"\nurl = \"x\"\nurl_file = \"y\"",
                "store.url: give",
            ),
            (
                "type = \"postgres\"\nurl = \"x\"\npath = \"y\"",
                "store.path: only",
            ),
            (
                "type = \"postgres\"\nurl = \"x\"\npool_size = 0",
                "store.pool_size",
            ),
            (
                "type = \"postgres\"\nurl = \"x\"\nschema = \"a; drop\"",
                "store.schema",
            ),
            ("purge_interval_s = 0", "store.purge_interval_s"),
            (
                "suppression_window_s = 99999999999",
                "store.suppression_window_s",
            ),
            ("retention_days = -1", "retention_days"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(key), "{text:?}: {e}");
        }
    }

    #[test]
    fn url_file_is_read_and_trimmed_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("url");
        std::fs::write(&f, "postgres://u:hunter2@127.0.0.1/db\n").unwrap();
        let c = StoreConfig {
            store_type: StoreType::Postgres,
            url_file: Some(f.clone()),
            ..Default::default()
        };
        let url = c.postgres_url().unwrap();
        assert_eq!(url.expose(), "postgres://u:hunter2@127.0.0.1/db");
        assert_eq!(format!("{url:?}"), "Secret(<redacted>)");
        std::fs::write(&f, "  \n").unwrap();
        assert!(c.postgres_url().unwrap_err().to_string().contains("empty"));
        let missing = StoreConfig {
            url_file: Some(dir.path().join("nope")),
            ..c
        };
        assert!(
            missing
                .postgres_url()
                .unwrap_err()
                .to_string()
                .starts_with("store.url_file")
        );
    }
}
