//! Word and Excel 97–2003 files (`.doc`, `.xls`) encrypted with a password to open them: the
//! RC4 encryptions of [MS-OFFCRYPTO] 2.3.5 and 2.3.6. Japanese offices kept registers and
//! lists in these formats for two decades and still mail them with a password; Word and Excel
//! 2003 on, and LibreOffice, encrypt them so when saved with one.
//!
//! Two encryptions are read, told apart by the header's version:
//!
//! - **RC4** (version 1.1, what LibreOffice writes and Office 97 and 2000 wrote): the key is
//!   MD5 of the password (UTF-16LE) cut to 40 bits, hashed with the salt; each block's RC4 key
//!   is MD5 of that and the block's number.
//! - **RC4 CryptoAPI** (version 2, 3 or 4 .2, what Office 2003 on writes by default): the key
//!   is SHA-1 of the salt and the password; each block's key is SHA-1 of that and the block's
//!   number, cut to the key's size (a 40-bit key padded with zeros to 128 bits).
//!
//! Either way the header holds a random verifier and its hash, encrypted with block 0's key: a
//! password is accepted when the decrypted hash is the verifier's. That costs one MD5 or SHA-1
//! of a few hundred bytes, so a try counts as one.
//!
//! The data is encrypted in blocks (512 bytes in a Word document, 1,024 in a workbook), the RC4
//! keystream started again for each block, as at the bytes' offsets in their stream:
//!
//! - in a Word document ([MS-DOC] 2.2.6.2), the `WordDocument` stream past the first 68 bytes
//!   of its `Fib` (which say that it is encrypted and where the header is), the table stream
//!   past the header at its start, and the `Data` stream;
//! - in a workbook ([MS-XLS] 2.2.10), the data of every record after `FilePass` (the record
//!   that holds the header), but not the records' headers (type and size), a few records
//!   kept clear (`BOF`, `FilePass`, `UsrExcl`, `FileLock`, `InterfaceHdr`, `RRDInfo`,
//!   `RRDHead`), and the first four bytes of a `BoundSheet8` (its substream's offset).
//!
//! RC4 has no check of the data: a flipped byte of a file decrypts to a flipped byte, and a
//! cut stream to the text it holds.
//!
//! Excel encrypts a workbook whose structure is protected with the password `VelvetSweatshop`
//! and opens it without asking; that one is always tried on a workbook, and not counted.

use md5::Digest as _;

use super::cryptoapi::{AES, CryptoApiHeader};
use super::utf16le;
use crate::cfb::{u16_at, u32_at};
use crate::rc4::Rc4;
use crate::xls::record_spans;

/// The password Excel encrypts with when the user gave none ([MS-XLS] 2.2.10).
pub(crate) const EXCEL_DEFAULT_PASSWORD: &[u8] = b"VelvetSweatshop";

/// A Word document's bytes at the start of `WordDocument` that are never encrypted (the
/// `FibBase`).
const FIB_CLEAR: usize = 0x44;

/// A Word document's block of encryption.
const WORD_BLOCK: usize = 512;

/// A workbook's block of encryption.
const WORKBOOK_BLOCK: usize = 1024;

/// `FilePass`, the record whose data is the workbook's encryption header.
const FILE_PASS: u16 = 0x002F;

/// `BoundSheet8`, whose first four bytes (a substream's offset) stay clear.
const BOUND_SHEET: u16 = 0x0085;

/// Records whose data stays clear in an encrypted workbook, besides `FilePass`.
const CLEAR_RECORDS: [u16; 6] = [0x0809, 0x0194, 0x0195, 0x00E1, 0x0196, 0x0138];

/// Which of the two encryptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    /// RC4 with MD5 (version 1.1).
    Md5,
    /// RC4 CryptoAPI with SHA-1, keys of `key_bytes` (5 for 40 bits, used as 16 bytes).
    CryptoApi {
        /// The key's size in bytes.
        key_bytes: usize,
    },
}

/// What checks a password of an encrypted Word or Excel 97–2003 file: its scheme, salt and
/// encrypted verifier. Its `Debug` shows the scheme only.
#[derive(Clone)]
pub(crate) struct BinaryLock {
    scheme: Scheme,
    salt: [u8; 16],
    verifier: [u8; 16],
    /// The verifier's hash, encrypted: MD5's 16 bytes or SHA-1's 20.
    verifier_hash: Vec<u8>,
}

impl std::fmt::Debug for BinaryLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinaryLock")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl BinaryLock {
    /// The lock of the RC4 encryption header `header` (its `EncryptionVersionInfo` first);
    /// `None` for another encryption or a header cut short.
    pub(crate) fn read(header: &[u8]) -> Option<BinaryLock> {
        let (major, minor) = (u16_at(header, 0)?, u16_at(header, 2)?);
        let array16 = |at: usize| -> Option<[u8; 16]> { header.get(at..at + 16)?.try_into().ok() };
        match (major, minor) {
            (1, 1) => Some(BinaryLock {
                scheme: Scheme::Md5,
                salt: array16(4)?,
                verifier: array16(20)?,
                verifier_hash: header.get(36..52)?.to_vec(),
            }),
            (2..=4, 2) => {
                let h = CryptoApiHeader::read(header)?;
                // RC4 (0x6801) and SHA-1, or 0 for the default of each.
                if !matches!(h.alg, 0 | 0x6801) || h.flags & AES != 0 || !h.sha1() {
                    return None;
                }
                let key_bytes = match h.bits {
                    0 | 40 => 5,
                    48..=128 if h.bits % 8 == 0 => h.bits as usize / 8,
                    _ => return None,
                };
                Some(BinaryLock {
                    scheme: Scheme::CryptoApi { key_bytes },
                    salt: h.salt,
                    verifier: h.verifier,
                    verifier_hash: h.verifier_hash.get(..20)?.to_vec(),
                })
            }
            _ => None,
        }
    }

    /// The key `password` (UTF-8, hashed as UTF-16LE as Office does) gives, if the
    /// verifier's hash agrees.
    pub(crate) fn open(&self, password: &[u8]) -> Option<BinaryKey> {
        let utf16 = utf16le(password);
        let key = match self.scheme {
            Scheme::Md5 => {
                let h0 = md5::Md5::digest(&utf16);
                let mut buffer = Vec::with_capacity(16 * 21);
                for _ in 0..16 {
                    buffer.extend_from_slice(&h0[..5]);
                    buffer.extend_from_slice(&self.salt);
                }
                BinaryKey {
                    scheme: self.scheme,
                    base: md5::Md5::digest(&buffer)[..5].to_vec(),
                }
            }
            Scheme::CryptoApi { .. } => {
                let mut h = <sha1::Sha1 as sha1::Digest>::new();
                sha1::Digest::update(&mut h, self.salt);
                sha1::Digest::update(&mut h, &utf16);
                BinaryKey {
                    scheme: self.scheme,
                    base: sha1::Digest::finalize(h).to_vec(),
                }
            }
        };
        let mut check = self.verifier.to_vec();
        check.extend_from_slice(&self.verifier_hash);
        Rc4::new(&key.block_key(0)).apply(&mut check);
        let (verifier, hash) = check.split_at(16);
        let agrees = match self.scheme {
            Scheme::Md5 => md5::Md5::digest(verifier)[..] == *hash,
            Scheme::CryptoApi { .. } => <sha1::Sha1 as sha1::Digest>::digest(verifier)[..] == *hash,
        };
        agrees.then_some(key)
    }
}

/// The key of an encrypted Word or Excel 97–2003 file, which gives each block's RC4 key. Its
/// `Debug` shows nothing of it.
pub(crate) struct BinaryKey {
    scheme: Scheme,
    /// MD5's 5 bytes, or SHA-1's 20.
    base: Vec<u8>,
}

impl std::fmt::Debug for BinaryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BinaryKey(..)")
    }
}

impl BinaryKey {
    /// The RC4 key of block `block`.
    fn block_key(&self, block: u32) -> Vec<u8> {
        match self.scheme {
            Scheme::Md5 => {
                let mut h = md5::Md5::new();
                h.update(&self.base);
                h.update(block.to_le_bytes());
                h.finalize().to_vec()
            }
            Scheme::CryptoApi { key_bytes } => {
                let mut h = <sha1::Sha1 as sha1::Digest>::new();
                sha1::Digest::update(&mut h, &self.base);
                sha1::Digest::update(&mut h, block.to_le_bytes());
                let mut key = sha1::Digest::finalize(h)[..key_bytes].to_vec();
                if key_bytes == 5 {
                    key.resize(16, 0);
                }
                key
            }
        }
    }

    /// Decrypts the `ranges` (sorted, apart) of `stream` in place, as encrypted in blocks of
    /// `block` bytes from the stream's start.
    fn decrypt(&self, stream: &mut [u8], block: usize, ranges: &[(usize, usize)]) {
        let mut keystream = vec![0u8; block];
        let mut current = None;
        for &(start, end) in ranges {
            let end = end.min(stream.len());
            let mut at = start;
            while at < end {
                let n = at / block;
                if current != Some(n) {
                    keystream.fill(0);
                    Rc4::new(&self.block_key(n as u32)).apply(&mut keystream);
                    current = Some(n);
                }
                let stop = end.min((n + 1) * block);
                for (b, k) in stream[at..stop]
                    .iter_mut()
                    .zip(&keystream[at - n * block..])
                {
                    *b ^= k;
                }
                at = stop;
            }
        }
    }
}

/// The streams of a Word or Excel 97–2003 file that its text is read from.
#[derive(Clone)]
pub(crate) enum Binary {
    /// A Word document's `WordDocument`, table (`0Table` or `1Table`, as its `Fib` says) and
    /// `Data` streams.
    Word {
        /// `WordDocument`.
        doc: Vec<u8>,
        /// The table stream.
        table: Vec<u8>,
        /// `Data` (empty if there is none).
        data: Vec<u8>,
    },
    /// A workbook's `Workbook` stream.
    Workbook(Vec<u8>),
}

/// A Word or Excel 97–2003 file encrypted with RC4: its lock, and its streams as stored.
pub(crate) struct SealedBinary {
    lock: BinaryLock,
    streams: Binary,
    /// Where the encryption header ends: in the table stream, or the `FilePass` record's
    /// end in the workbook stream.
    header_end: usize,
}

impl std::fmt::Debug for SealedBinary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedBinary")
            .field("lock", &self.lock)
            .finish_non_exhaustive()
    }
}

/// Whether the `Fib` at the start of `doc` says the document is encrypted (`fEncrypted`),
/// and with RC4, not XOR obfuscation (`fObfuscation`): the header's size (`lKey`).
pub(crate) fn word_encryption(doc: &[u8]) -> Option<usize> {
    let flags = u16_at(doc, 0x0A)?;
    if flags & 0x0100 == 0 || flags & 0x8000 != 0 {
        return None;
    }
    usize::try_from(u32_at(doc, 0x0E)?).ok()
}

/// Whether the Word document whose `WordDocument` stream is `doc` is obfuscated with XOR
/// (`fEncrypted` and `fObfuscation` set in its `Fib`), which is not read.
pub(crate) fn word_is_obfuscated(doc: &[u8]) -> bool {
    u16_at(doc, 0x0A).is_some_and(|flags| flags & 0x8100 == 0x8100)
}

/// The data of the workbook stream's `FilePass` record, if it is encrypted with RC4 (type 1;
/// 0 is XOR obfuscation), and where the record ends.
fn file_pass(stream: &[u8]) -> Option<(&[u8], usize)> {
    // It comes right after the globals' `BOF`, before any sheet.
    let (_, start, end) = record_spans(stream).take(16).find(|r| r.0 == FILE_PASS)?;
    let data = stream.get(start..end)?;
    (u16_at(data, 0)? == 1).then(|| (&data[2..], end))
}

/// Whether the workbook stream `stream` is encrypted (with RC4 or not).
pub(crate) fn workbook_is_encrypted(stream: &[u8]) -> bool {
    record_spans(stream).take(16).any(|r| r.0 == FILE_PASS)
}

impl SealedBinary {
    /// An encrypted Word document, from its streams, if its `Fib` says it is encrypted with
    /// RC4 and the header at the table stream's start is read.
    pub(crate) fn word(doc: Vec<u8>, table: Vec<u8>, data: Vec<u8>) -> Option<SealedBinary> {
        let header_end = word_encryption(&doc)?;
        let lock = BinaryLock::read(table.get(..header_end)?)?;
        Some(SealedBinary {
            lock,
            streams: Binary::Word { doc, table, data },
            header_end,
        })
    }

    /// An encrypted workbook, from its `Workbook` stream, if its `FilePass` record says RC4.
    pub(crate) fn workbook(stream: Vec<u8>) -> Option<SealedBinary> {
        let (header, header_end) = file_pass(&stream)?;
        let lock = BinaryLock::read(header)?;
        Some(SealedBinary {
            lock,
            streams: Binary::Workbook(stream),
            header_end,
        })
    }

    /// Whether it is a workbook (on which Excel's default password is tried first).
    pub(crate) fn is_workbook(&self) -> bool {
        matches!(self.streams, Binary::Workbook(_))
    }

    /// Its streams decrypted, if `password` opens it. A Word document's `Fib` no longer says
    /// it is encrypted.
    pub(crate) fn open(&self, password: &[u8]) -> Option<Binary> {
        let key = self.lock.open(password)?;
        let mut streams = self.streams.clone();
        match &mut streams {
            Binary::Word { doc, table, data } => {
                let (d, t, x) = (doc.len(), table.len(), data.len());
                key.decrypt(doc, WORD_BLOCK, &[(FIB_CLEAR, d)]);
                key.decrypt(table, WORD_BLOCK, &[(self.header_end, t)]);
                key.decrypt(data, WORD_BLOCK, &[(0, x)]);
                if let Some(flags) = doc.get_mut(0x0B) {
                    *flags &= !0x01;
                }
            }
            Binary::Workbook(stream) => {
                let ranges: Vec<(usize, usize)> = record_spans(stream)
                    .skip_while(|&(_, _, end)| end <= self.header_end)
                    .filter(|(kind, _, _)| !CLEAR_RECORDS.contains(kind))
                    .map(|(kind, start, end)| {
                        let start = if kind == BOUND_SHEET {
                            (start + 4).min(end)
                        } else {
                            start
                        };
                        (start, end)
                    })
                    .collect();
                key.decrypt(stream, WORKBOOK_BLOCK, &ranges);
            }
        }
        Some(streams)
    }
}

#[cfg(test)]
mod tests;
