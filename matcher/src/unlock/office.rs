//! Word, Excel and PowerPoint files (2007 on) encrypted with a password to open them. Such a
//! file is a compound file ([`crate::cfb`]) of two streams: `EncryptionInfo`, which describes
//! the key and how a password is checked, and `EncryptedPackage`, the document's ZIP package
//! encrypted with AES. Two of ECMA-376's encryptions are read:
//!
//! - **agile** ([MS-OFFCRYPTO] 2.3.4.10 to 2.3.4.15; Office 2010 on): `EncryptionInfo` is XML.
//!   A password is hashed with the encryptor's salt and then rehashed `spinCount` times
//!   (100,000 by default, so a try costs about 20 ms here); the hash opens the encryptor's
//!   verifier, whose hash must agree, and then the package's key. The package is encrypted
//!   with AES-CBC in segments of 4,096 bytes. Read: AES of 128 to 256 bits with SHA-1 or SHA-2
//!   (Office's own files: AES-256 and SHA-512).
//! - **standard** ([MS-OFFCRYPTO] 2.3.4.5 to 2.3.4.9; what Office 2007 writes, and libraries
//!   built on Apache POI on request): `EncryptionInfo` is a binary CryptoAPI header
//!   ([`super::cryptoapi`]). The password is hashed with the salt and rehashed 50,000 times
//!   with SHA-1, and the key derived from that decrypts the verifier and its hash, which must
//!   agree; the same key decrypts the package, with AES-ECB. Read: AES of 128, 192 or 256
//!   bits (Office 2007's files: AES-128).
//!
//! The RC4 of Word and Excel 97 to 2003 files is read by [`super::binary`].

use aes::cipher::{Array, BlockCipherDecrypt, KeyInit, consts::U16};
use aes::{Aes128, Aes192, Aes256};

use super::cryptoapi::{AES, CryptoApiHeader};
use super::{cbc_decrypt, utf16le};
use crate::mime::decode_base64;

/// The bytes of the package each IV covers.
const SEGMENT: usize = 4096;

/// Block keys of the password key encryptor ([MS-OFFCRYPTO] 2.3.4.13): the verifier's input,
/// the verifier's hash, the package's key.
const VERIFIER_INPUT: [u8; 8] = [0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79];
const VERIFIER_HASH: [u8; 8] = [0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e];
const KEY_VALUE: [u8; 8] = [0x14, 0x6e, 0x0b, 0xe7, 0xab, 0xac, 0xd0, 0xd6];

/// A hash algorithm an encrypted Office file names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn named(name: &str) -> Option<Hash> {
        match name {
            "SHA1" | "SHA-1" => Some(Hash::Sha1),
            "SHA256" => Some(Hash::Sha256),
            "SHA384" => Some(Hash::Sha384),
            "SHA512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    /// The hash of `parts`, one after the other.
    fn of(self, parts: &[&[u8]]) -> Vec<u8> {
        fn of<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            Hash::Sha1 => of::<sha1::Sha1>(parts),
            Hash::Sha256 => of::<sha2::Sha256>(parts),
            Hash::Sha384 => of::<sha2::Sha384>(parts),
            Hash::Sha512 => of::<sha2::Sha512>(parts),
        }
    }

    /// `h` rehashed with each round's number first, `spin` times (2.3.4.11).
    fn spin(self, h: Vec<u8>, rounds: u32) -> Vec<u8> {
        fn spin<D: sha2::Digest>(h: Vec<u8>, rounds: u32) -> Vec<u8> {
            let mut h = h;
            for i in 0..rounds {
                let mut d = D::new();
                d.update(i.to_le_bytes());
                d.update(&h);
                h.clear();
                h.extend_from_slice(&d.finalize());
            }
            h
        }
        match self {
            Hash::Sha1 => spin::<sha1::Sha1>(h, rounds),
            Hash::Sha256 => spin::<sha2::Sha256>(h, rounds),
            Hash::Sha384 => spin::<sha2::Sha384>(h, rounds),
            Hash::Sha512 => spin::<sha2::Sha512>(h, rounds),
        }
    }
}

/// What an element of `EncryptionInfo` says of a key: its salt, sizes and algorithms.
#[derive(Clone)]
struct KeyParams {
    salt: Vec<u8>,
    block_size: usize,
    key_bytes: usize,
    hash: Hash,
    hash_size: usize,
}

impl KeyParams {
    /// The parameters in the attributes `attrs` of a `keyData` or `encryptedKey` element:
    /// AES in CBC mode only.
    fn read(attrs: &str) -> Option<KeyParams> {
        let num = |name| attr(attrs, name)?.parse::<usize>().ok();
        if attr(attrs, "cipherAlgorithm")? != "AES"
            || attr(attrs, "cipherChaining")? != "ChainingModeCBC"
        {
            return None;
        }
        let key_bytes = num("keyBits")? / 8;
        let params = KeyParams {
            salt: decode_base64(attr(attrs, "saltValue")?),
            block_size: num("blockSize")?,
            key_bytes,
            hash: Hash::named(attr(attrs, "hashAlgorithm")?)?,
            hash_size: num("hashSize")?,
        };
        (matches!(key_bytes, 16 | 24 | 32) && params.block_size == 16 && !params.salt.is_empty())
            .then_some(params)
    }

    /// `data`'s whole blocks decrypted with `key` (of this key's size) and `iv`.
    fn decrypt(&self, key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        let iv: [u8; 16] = fit(iv, 16, 0x36).try_into().ok()?;
        aes_decrypt(key, Some(iv), data)
    }
}

/// What a password to open an encrypted Office file is checked against, as its
/// `EncryptionInfo` describes it. Its `Debug` shows the algorithms and the rounds only.
#[derive(Clone)]
pub(crate) enum OfficeLock {
    /// Agile encryption's password key encryptor.
    Agile(AgileLock),
    /// Standard encryption's verifier.
    Standard(StandardLock),
}

impl std::fmt::Debug for OfficeLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OfficeLock::Agile(lock) => f
                .debug_struct("OfficeLock")
                .field("hash", &lock.encryptor.hash)
                .field("key_bits", &(lock.key_data.key_bytes * 8))
                .field("spin", &lock.spin)
                .finish_non_exhaustive(),
            OfficeLock::Standard(lock) => f
                .debug_struct("OfficeLock")
                .field("hash", &Hash::Sha1)
                .field("key_bits", &(lock.key_bytes * 8))
                .field("spin", &STANDARD_SPIN)
                .finish_non_exhaustive(),
        }
    }
}

impl OfficeLock {
    /// The lock an `EncryptionInfo` stream describes: `None` unless it is agile encryption
    /// (version 4.4) with a password key encryptor read here, or standard encryption (version
    /// 2, 3 or 4 .2 with AES).
    pub(crate) fn read(info: &[u8]) -> Option<OfficeLock> {
        AgileLock::read(info)
            .map(OfficeLock::Agile)
            .or_else(|| StandardLock::read(info).map(OfficeLock::Standard))
    }

    /// The rounds of hashing one try costs.
    pub(crate) fn rounds(&self) -> u32 {
        match self {
            OfficeLock::Agile(lock) => lock.spin,
            OfficeLock::Standard(_) => STANDARD_SPIN,
        }
    }

    /// The package's key, if `password` (UTF-8, hashed as UTF-16LE as Office does) opens
    /// the file: the verifier's hash agrees.
    pub(crate) fn open(&self, password: &[u8]) -> Option<Vec<u8>> {
        let utf16 = utf16le(password);
        match self {
            OfficeLock::Agile(lock) => lock.open(&utf16),
            OfficeLock::Standard(lock) => lock.open(&utf16),
        }
    }

    /// The `EncryptedPackage` stream `package` decrypted (at most `budget` bytes of it), if
    /// `password` opens the file.
    pub(crate) fn unlock(&self, password: &[u8], package: &[u8], budget: usize) -> Option<Vec<u8>> {
        self.open(password)
            .map(|key| self.decrypt(&key, package, budget))
    }

    /// The `EncryptedPackage` stream `package` decrypted with `key`: its first 8 bytes the
    /// package's size, then the encrypted package; at most `budget` bytes (a cut stream gives
    /// its whole blocks).
    pub(crate) fn decrypt(&self, key: &[u8], package: &[u8], budget: usize) -> Vec<u8> {
        let size = package
            .get(..8)
            .map_or(0, |s| u64::from_le_bytes(s.try_into().unwrap_or_default()));
        let size = usize::try_from(size).unwrap_or(usize::MAX).min(budget);
        let body = package.get(8..).unwrap_or_default();
        let mut out = match self {
            OfficeLock::Agile(lock) => lock.decrypt(key, body, size),
            OfficeLock::Standard(_) => {
                // Only the blocks that hold the first `size` bytes.
                let blocks = body.len().min(size.saturating_add(15)) / 16 * 16;
                aes_decrypt(key, None, &body[..blocks]).unwrap_or_default()
            }
        };
        out.truncate(size);
        out
    }
}

/// The rounds of SHA-1 standard encryption hashes a password with ([MS-OFFCRYPTO] 2.3.4.7).
const STANDARD_SPIN: u32 = 50_000;

/// Standard encryption's verifier: the key's size, the salt, the verifier and its hash,
/// encrypted.
#[derive(Clone)]
pub(crate) struct StandardLock {
    key_bytes: usize,
    salt: [u8; 16],
    verifier: [u8; 16],
    /// The verifier's SHA-1, padded to two blocks, encrypted.
    verifier_hash: [u8; 32],
}

impl StandardLock {
    /// The lock of a standard encryption header: AES of 128, 192 or 256 bits, SHA-1.
    fn read(info: &[u8]) -> Option<StandardLock> {
        let h = CryptoApiHeader::read(info)?;
        if h.flags & AES == 0 || !h.sha1() {
            return None;
        }
        // The algorithm and the key's size must agree; 0 stands for AES-128.
        let key_bytes = match (h.alg, h.bits) {
            (0 | 0x660E, 0 | 128) => 16,
            (0x660F, 192) => 24,
            (0x6610, 256) => 32,
            _ => return None,
        };
        Some(StandardLock {
            key_bytes,
            salt: h.salt,
            verifier: h.verifier,
            verifier_hash: h.verifier_hash.get(..32)?.try_into().ok()?,
        })
    }

    /// The key `password` (UTF-16LE) derives ([MS-OFFCRYPTO] 2.3.4.7), if the verifier's hash
    /// agrees (2.3.4.9).
    fn open(&self, password: &[u8]) -> Option<Vec<u8>> {
        let h = Hash::Sha1.spin(Hash::Sha1.of(&[&self.salt, password]), STANDARD_SPIN);
        let h = Hash::Sha1.of(&[&h, &0u32.to_le_bytes()]);
        // The hash of block 0 spread over 64 bytes, XORed with 0x36 and with 0x5C.
        let spread = |pad: u8| {
            let mut buffer = [pad; 64];
            buffer.iter_mut().zip(&h).for_each(|(b, x)| *b ^= x);
            Hash::Sha1.of(&[&buffer])
        };
        let mut key = spread(0x36);
        key.extend(spread(0x5C));
        key.truncate(self.key_bytes);
        let verifier = aes_decrypt(&key, None, &self.verifier)?;
        let hash = aes_decrypt(&key, None, &self.verifier_hash)?;
        (Hash::Sha1.of(&[&verifier]) == hash[..20]).then_some(key)
    }
}

/// `data`'s whole blocks decrypted with AES under `key` (16, 24 or 32 bytes): in CBC mode
/// from `iv`, or without one in ECB mode (each block alone).
fn aes_decrypt(key: &[u8], iv: Option<[u8; 16]>, data: &[u8]) -> Option<Vec<u8>> {
    fn with<C: BlockCipherDecrypt<BlockSize = U16>>(
        cipher: &C,
        iv: Option<[u8; 16]>,
        data: &[u8],
    ) -> Vec<u8> {
        if let Some(iv) = iv {
            return cbc_decrypt(cipher, iv, data);
        }
        let mut out = Vec::with_capacity(data.len());
        for chunk in data.chunks_exact(16) {
            let mut block = Array::from(<[u8; 16]>::try_from(chunk).unwrap_or_default());
            cipher.decrypt_block(&mut block);
            out.extend_from_slice(&block);
        }
        out
    }
    Some(match key.len() {
        16 => with(&Aes128::new_from_slice(key).ok()?, iv, data),
        24 => with(&Aes192::new_from_slice(key).ok()?, iv, data),
        32 => with(&Aes256::new_from_slice(key).ok()?, iv, data),
        _ => return None,
    })
}

/// Agile encryption's password key encryptor, as `EncryptionInfo`'s XML describes it.
#[derive(Clone)]
pub(crate) struct AgileLock {
    /// The package's key: its salt (the segments' IVs come from it) and algorithms.
    key_data: KeyParams,
    /// The password key encryptor's salt and algorithms.
    encryptor: KeyParams,
    spin: u32,
    verifier_input: Vec<u8>,
    verifier_hash: Vec<u8>,
    key_value: Vec<u8>,
}

impl AgileLock {
    /// The lock an `EncryptionInfo` stream describes: `None` unless it is agile encryption
    /// (version 4.4) with a password key encryptor read here.
    fn read(info: &[u8]) -> Option<AgileLock> {
        if info.get(..4)? != [4, 0, 4, 0] {
            return None;
        }
        let xml = std::str::from_utf8(info.get(8..)?).ok()?;
        let key_data = KeyParams::read(elements(xml, "keyData").next()?)?;
        // The password's encryptor (a certificate's has no `spinCount`).
        let attrs = elements(xml, "encryptedKey").find(|a| attr(a, "spinCount").is_some())?;
        let encryptor = KeyParams::read(attrs)?;
        let bytes = |name| attr(attrs, name).map(decode_base64);
        Some(AgileLock {
            key_data,
            encryptor,
            spin: attr(attrs, "spinCount")?.parse().ok()?,
            verifier_input: bytes("encryptedVerifierHashInput")?,
            verifier_hash: bytes("encryptedVerifierHashValue")?,
            key_value: bytes("encryptedKeyValue")?,
        })
    }

    /// The package's key, if `password` (UTF-16LE) opens the file: the verifier's hash
    /// agrees.
    fn open(&self, password: &[u8]) -> Option<Vec<u8>> {
        let e = &self.encryptor;
        let h = e.hash.spin(e.hash.of(&[&e.salt, password]), self.spin);
        let key = |block: &[u8]| fit(&e.hash.of(&[&h, block]), e.key_bytes, 0x36);
        let input = e.decrypt(&key(&VERIFIER_INPUT), &e.salt, &self.verifier_input)?;
        let input = input.get(..e.salt.len())?;
        let hash = e.decrypt(&key(&VERIFIER_HASH), &e.salt, &self.verifier_hash)?;
        if e.hash.of(&[input]) != hash.get(..e.hash_size)? {
            return None;
        }
        let package_key = e.decrypt(&key(&KEY_VALUE), &e.salt, &self.key_value)?;
        Some(package_key.get(..self.key_data.key_bytes)?.to_vec())
    }

    /// The encrypted package `body` (past its size) decrypted with `key`, up to `size` bytes
    /// or more: segments of 4,096 bytes, each with an IV from the key's salt and the segment's
    /// number.
    fn decrypt(&self, key: &[u8], body: &[u8], size: usize) -> Vec<u8> {
        let k = &self.key_data;
        let mut out = Vec::with_capacity(size.min(body.len()));
        for (i, segment) in body.chunks(SEGMENT).enumerate() {
            if out.len() >= size {
                break;
            }
            let iv = k.hash.of(&[&k.salt, &(i as u32).to_le_bytes()]);
            match k.decrypt(key, &iv, segment) {
                Some(plain) => out.extend_from_slice(&plain),
                None => break,
            }
        }
        out
    }
}

/// `bytes` cut or padded with `pad` to `len` bytes ([MS-OFFCRYPTO] 2.3.4.11, 2.3.4.12).
fn fit(bytes: &[u8], len: usize, pad: u8) -> Vec<u8> {
    let mut v = bytes[..bytes.len().min(len)].to_vec();
    v.resize(len, pad);
    v
}

/// The attributes of each element of `xml` whose local name is `name` (any prefix).
fn elements<'a>(xml: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    xml.match_indices(name).filter_map(move |(k, _)| {
        let before = xml[..k].chars().next_back()?;
        let after = xml[k + name.len()..].chars().next()?;
        if !(before == '<' || before == ':') || !after.is_whitespace() {
            return None;
        }
        if before == ':' {
            // The prefix must open the tag: `<p:encryptedKey`.
            let open = xml[..k].rfind('<')?;
            if !xml[open + 1..k - 1]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
            {
                return None;
            }
        }
        let rest = &xml[k + name.len()..];
        Some(&rest[..rest.find('>')?])
    })
}

/// The value of the attribute `name` in `attrs` (quoted with `"` or `'`).
fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(k) = attrs[from..].find(name) {
        let at = from + k;
        from = at + name.len();
        if !attrs[..at].ends_with(char::is_whitespace) {
            continue;
        }
        let rest = attrs[from..].trim_start().strip_prefix('=')?.trim_start();
        let quote = rest.chars().next().filter(|&q| q == '"' || q == '\'')?;
        let value = &rest[1..];
        return value.find(quote).map(|end| &value[..end]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_by_name_whatever_the_prefix_or_quotes() {
        let xml = "<a:keyData saltSize=\"16\" keyBits='256' saltValue=\"qbk=\"/>\
                   <x:encryptedKey spinCount=\"100000\"/><c:encryptedKey certVerifier=\"x\"/>\
                   <notencryptedKey a=\"1\"/>";
        let kd = elements(xml, "keyData").next().unwrap();
        assert_eq!(attr(kd, "saltSize"), Some("16"));
        assert_eq!(attr(kd, "keyBits"), Some("256"));
        assert_eq!(attr(kd, "Size"), None);
        assert_eq!(attr(kd, "saltValue"), Some("qbk="));
        let keys: Vec<&str> = elements(xml, "encryptedKey").collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert_eq!(attr(keys[0], "spinCount"), Some("100000"));
        assert_eq!(fit(b"abc", 5, 0x36), b"abc\x36\x36");
        assert_eq!(fit(b"abcdef", 4, 0x36), b"abcd");
    }

    #[test]
    fn a_stream_of_no_encryption_read_here_has_no_lock() {
        for info in [
            &b""[..],
            b"\x03\x00\x02\x00\x24\x00\x00\x00",
            b"\x04\x00\x04\x00\x40\x00\x00\x00<encryption/>",
            b"\x04\x00\x04\x00\x40\x00\x00\x00<keyData saltSize=\"16\" cipherAlgorithm=\"DES\"/>",
        ] {
            assert!(OfficeLock::read(info).is_none());
        }
    }
}

#[cfg(test)]
mod fixtures {
    use super::*;
    use crate::cfb::Compound;

    /// A member list as an Excel and as a Word file (written by Python's `zipfile`, with a
    /// 6 KB filler part), encrypted by msoffcrypto-tool 6.1 (`-e -p PASSWORD`: AES-256,
    /// SHA-512, 100,000 rounds, as Office writes them) with `Amg-2026#xl` and `パスワード2026`;
    /// and the same packages in standard encryption, as Office 2007 writes it (AES-128; one
    /// AES-256), by `scripts/fixtures/ooxml_standard.py` with `Std2007-xl` and `標準2007!`.
    const FILES: &[(&str, &[u8], &str, &str, &str)] = &[
        (
            "agile xlsx",
            include_bytes!("../../tests/data/encrypted/members-password.xlsx"),
            "Amg-2026#xl",
            "Amg-2026#XL",
            "OfficeLock { hash: Sha512, key_bits: 256, spin: 100000, .. }",
        ),
        (
            "agile docx",
            include_bytes!("../../tests/data/encrypted/members-password.docx"),
            "パスワード2026",
            "パスワード2025",
            "OfficeLock { hash: Sha512, key_bits: 256, spin: 100000, .. }",
        ),
        (
            "standard xlsx",
            include_bytes!("../../tests/data/encrypted/members-standard.xlsx"),
            "Std2007-xl",
            "Std2007-x",
            "OfficeLock { hash: Sha1, key_bits: 128, spin: 50000, .. }",
        ),
        (
            "standard docx",
            include_bytes!("../../tests/data/encrypted/members-standard.docx"),
            "標準2007!",
            "標準2007",
            "OfficeLock { hash: Sha1, key_bits: 128, spin: 50000, .. }",
        ),
        (
            "standard docx, AES-256",
            include_bytes!("../../tests/data/encrypted/members-standard-256.docx"),
            "標準2007!",
            "標準2OO7!",
            "OfficeLock { hash: Sha1, key_bits: 256, spin: 50000, .. }",
        ),
    ];

    #[test]
    fn an_encrypted_office_file_opens_with_its_password_only() {
        for &(what, file, password, near_miss, shown) in FILES {
            let c = Compound::open(file).expect("a compound file");
            let lock = OfficeLock::read(&c.stream("EncryptionInfo").unwrap()).expect(what);
            assert_eq!(format!("{lock:?}"), shown, "{what}");
            assert!(lock.open(near_miss.as_bytes()).is_none(), "{what}");
            assert!(lock.open(b"").is_none(), "{what}");
            let key = lock.open(password.as_bytes()).expect(what);
            let stream = c.stream("EncryptedPackage").unwrap();
            let package = lock.decrypt(&key, &stream, usize::MAX);
            assert!(package.starts_with(b"PK\x03\x04"), "{what}");
            let size = u64::from_le_bytes(stream[..8].try_into().unwrap());
            assert_eq!(package.len() as u64, size, "{what}");
            let (text, _) = crate::archive::extract_archive_text(&package, usize::MAX);
            assert!(
                text.contains("山口 大介") && text.contains("090-6682-8625"),
                "{what}: {text}"
            );
            // Within a budget; from a cut stream, its whole blocks.
            assert_eq!(lock.decrypt(&key, &stream, 100), package[..100], "{what}");
            let cut = lock.decrypt(&key, &stream[..8 + 5000], usize::MAX);
            // 5,000 bytes: 312 whole blocks.
            assert_eq!(cut, package[..4992], "{what}");
            assert!(lock.decrypt(&key, &stream[..5], usize::MAX).is_empty());
        }
    }

    #[test]
    fn cut_and_corrupted_files_never_panic() {
        for &(what, file, password, ..) in FILES {
            let c = Compound::open(file).unwrap();
            let info = c.stream("EncryptionInfo").unwrap();
            for cut in 0..info.len().min(1200) {
                let _ = OfficeLock::read(&info[..cut]);
            }
            let lock = OfficeLock::read(&info).unwrap();
            let key = lock.open(password.as_bytes()).unwrap();
            let stream = c.stream("EncryptedPackage").unwrap();
            let whole = lock.decrypt(&key, &stream, usize::MAX);
            for at in (0..stream.len()).step_by(97) {
                let cut = lock.decrypt(&key, &stream[..at], usize::MAX);
                assert!(whole.starts_with(&cut), "{what}: cut at {at}");
                let _ = crate::archive::extract_archive_text(&cut, usize::MAX);
                let mut flipped = stream.clone();
                flipped[at] ^= 0x40;
                let package = lock.decrypt(&key, &flipped, usize::MAX);
                let _ = crate::archive::extract_archive_text(&package, usize::MAX);
            }
        }
    }

    #[test]
    fn a_standard_header_of_another_cipher_or_key_size_has_no_lock() {
        let (_, file, ..) = FILES[2];
        let info = Compound::open(file)
            .unwrap()
            .stream("EncryptionInfo")
            .unwrap();
        assert!(OfficeLock::read(&info).is_some());
        // The header's flags at 12, its algorithm at 20, its key's size at 28.
        for (at, value) in [
            (12, 0x04),   // RC4 CryptoAPI's flags, no `fAES`
            (20, 0x6801), // RC4
            (20, 0x6610), // AES-256 with a 128-bit key
            (24, 0x8003), // MD5
            (28, 40),     // a 40-bit key
        ] {
            let mut other = info.clone();
            other[at..at + 4].copy_from_slice(&u32::to_le_bytes(value));
            assert!(OfficeLock::read(&other).is_none(), "{at}: {value:#x}");
        }
        // AES and a key's size of 0 stand for AES-128.
        let mut zero = info.clone();
        zero[20..24].copy_from_slice(&[0; 4]);
        zero[28..32].copy_from_slice(&[0; 4]);
        let lock = OfficeLock::read(&zero).expect("AES-128 by default");
        assert!(lock.open("Std2007-xl".as_bytes()).is_some());
    }
}
