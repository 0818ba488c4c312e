//! The persistent seen-state: URL → BLAKE3 hash of the last emitted body.
//!
//! Only URLs and hashes are stored, never bodies (the project's privacy rule). SQLite in WAL
//! mode; calls are short single-row statements made under a mutex.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use crate::Error;

/// What the store knows about a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Never handled.
    New,
    /// Handled without emitting (an item page whose raw link was followed).
    Visited,
    /// Emitted with this body hash.
    Emitted(String),
}

/// URL → body hash, surviving restarts.
#[derive(Debug)]
pub struct SeenStore {
    path: String,
    conn: Mutex<Connection>,
}

impl SeenStore {
    /// Opens (creating if needed) the store at `path`, or an in-memory store for `None`.
    pub fn open(path: Option<&Path>) -> Result<SeenStore, Error> {
        let label = path.map_or_else(|| ":memory:".to_owned(), |p| p.display().to_string());
        let err = |source| Error::Store {
            path: label.clone(),
            source,
        };
        let conn = match path {
            Some(p) => {
                if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                        context: format!("creating {}", dir.display()),
                        source,
                    })?;
                }
                let conn = Connection::open(p).map_err(err)?;
                conn.pragma_update(None, "journal_mode", "WAL")
                    .map_err(err)?;
                conn
            }
            None => Connection::open_in_memory().map_err(err)?,
        };
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS seen (
                 url TEXT PRIMARY KEY NOT NULL,
                 body_hash TEXT,
                 updated_ms INTEGER NOT NULL
             );",
        )
        .map_err(err)?;
        Ok(SeenStore {
            path: label,
            conn: Mutex::new(conn),
        })
    }

    fn err(&self, source: rusqlite::Error) -> Error {
        Error::Store {
            path: self.path.clone(),
            source,
        }
    }

    pub(crate) fn get(&self, url: &str) -> Result<Seen, Error> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let row: Option<Option<String>> = conn
            .query_row(
                "SELECT body_hash FROM seen WHERE url = ?1",
                params![url],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(match row {
            None => Seen::New,
            Some(None) => Seen::Visited,
            Some(Some(h)) => Seen::Emitted(h),
        })
    }

    /// Records that `url` was emitted with `body_hash`, or only visited (`None`).
    pub(crate) fn put(&self, url: &str, body_hash: Option<&str>) -> Result<(), Error> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute(
            "INSERT INTO seen (url, body_hash, updated_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(url) DO UPDATE SET body_hash = excluded.body_hash,
                                            updated_ms = excluded.updated_ms",
            params![url, body_hash, crate::util::now_ms() as i64],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Number of URLs known.
    pub fn len(&self) -> Result<u64, Error> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.query_row("SELECT COUNT(*) FROM seen", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// True if no URL is known.
    pub fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.len()? == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopen_and_keeps_no_bodies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/seen.sqlite");
        {
            let store = SeenStore::open(Some(&path)).unwrap();
            assert_eq!(store.get("http://a/1").unwrap(), Seen::New);
            store.put("http://a/1", Some("abc")).unwrap();
            store.put("http://a/2", None).unwrap();
            store.put("http://a/1", Some("def")).unwrap();
        }
        let store = SeenStore::open(Some(&path)).unwrap();
        assert_eq!(
            store.get("http://a/1").unwrap(),
            Seen::Emitted("def".into())
        );
        assert_eq!(store.get("http://a/2").unwrap(), Seen::Visited);
        assert_eq!(store.len().unwrap(), 2);
    }
}
