//! The data owner's secret key and everything derived from it.

use std::fmt;
use std::io::Write;
use std::path::Path;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::Error;

/// Length of a secret key in bytes.
pub const KEY_LEN: usize = 32;

/// The 32-byte secret every fingerprint is keyed with.
///
/// It never prints: `Debug` and `Display` show only the [key id](SecretKey::key_id), and the bytes
/// are wiped from memory on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; KEY_LEN]);

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SecretKey, Error> {
        let mut k = [0u8; KEY_LEN];
        getrandom::fill(&mut k).map_err(|e| Error::Io {
            context: "reading the system random source".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(SecretKey(k))
    }

    /// Wraps raw key bytes (tests, and keys kept in a secret store).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> SecretKey {
        SecretKey(bytes)
    }

    /// Reads a key file: exactly 32 raw bytes, or 64 hex digits (surrounding whitespace allowed).
    pub fn read(path: &Path) -> Result<SecretKey, Error> {
        let mut bytes = std::fs::read(path)
            .map_err(|e| Error::io(format!("reading key file {}", path.display()), e))?;
        let key = Self::parse(&bytes);
        bytes.zeroize();
        key.ok_or_else(|| Error::BadKeyFile {
            path: path.display().to_string(),
        })
    }

    fn parse(bytes: &[u8]) -> Option<SecretKey> {
        if bytes.len() == KEY_LEN {
            let mut k = [0u8; KEY_LEN];
            k.copy_from_slice(bytes);
            return Some(SecretKey(k));
        }
        let text = std::str::from_utf8(bytes).ok()?.trim();
        let mut k = [0u8; KEY_LEN];
        hex::decode_to_slice(text, &mut k).ok()?;
        Some(SecretKey(k))
    }

    /// Writes the key as 32 raw bytes to a new file with mode 0600; refuses to overwrite.
    pub fn write_new(&self, path: &Path) -> Result<(), Error> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::KeyFileExists {
                    path: path.display().to_string(),
                }
            } else {
                Error::io(format!("creating key file {}", path.display()), e)
            }
        })?;
        f.write_all(&self.0)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(format!("writing key file {}", path.display()), e))
    }

    /// The public identifier of this key: 8 bytes derived one-way, shown as 16 hex digits.
    ///
    /// Bundles record it, so a bundle opened with another key is refused by name.
    pub fn key_id(&self) -> KeyId {
        let d = self.derive("key id");
        let mut id = [0u8; 8];
        id.copy_from_slice(&d[..8]);
        KeyId(id)
    }

    /// A 32-byte subkey for one purpose (BLAKE3 key derivation with a context string).
    pub(crate) fn derive(&self, purpose: &str) -> [u8; 32] {
        blake3::derive_key(&format!("leakwatch 2026-11 {purpose}"), &self.0)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(id {}, redacted)", self.key_id())
    }
}

/// The public identifier of a [`SecretKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_bytes() {
        let k = SecretKey::from_bytes([0xAB; 32]);
        let shown = format!("{k:?}");
        assert!(!shown.contains("ab, ab") && !shown.contains("abab") && !shown.contains("171"));
        assert!(shown.contains(&k.key_id().to_string()));
    }

    #[test]
    fn parses_raw_and_hex() {
        let raw = [7u8; 32];
        assert_eq!(SecretKey::parse(&raw).map(|k| k.0), Some(raw));
        let hex = format!("{}\n", hex::encode(raw));
        assert_eq!(SecretKey::parse(hex.as_bytes()).map(|k| k.0), Some(raw));
        assert!(SecretKey::parse(b"short").is_none());
    }

    #[test]
    fn write_refuses_overwrite_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        let k = SecretKey::generate().unwrap();
        k.write_new(&p).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(matches!(k.write_new(&p), Err(Error::KeyFileExists { .. })));
        assert_eq!(SecretKey::read(&p).unwrap().key_id(), k.key_id());
    }
}
