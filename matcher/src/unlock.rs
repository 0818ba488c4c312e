//! Encrypted ZIP entries, 7z and RAR archives, PDF and Office files (97–2003 too), and the
//! passwords tried on them.
//!
//! Japanese offices mail a file as a password-protected ZIP archive (or a PDF or Excel file
//! that needs a password) and its password in a second mail ("PPAP"), and leak sites post an archive's
//! password beside its link. So a leak often arrives as a mailbox or an archive whose files
//! are encrypted, with the password in plain text close by. Two sources of passwords are
//! tried:
//!
//! - the operator's list ([`Passwords`], [`crate::Matcher::with_passwords`]): the passwords a
//!   leak site announces, or the usual ones (`infected`);
//! - the passwords the document itself gives: after everything readable of a mailbox or an
//!   archive was read, its text is searched for labelled passwords (`パスワード：`,
//!   `Password:`, `PW=`, `解凍パスワードは「…」です`, or a label alone on its line with the password on
//!   the next), and the entries and files no password opened yet are tried with those.
//!
//! Both of ZIP's encryptions are read: the traditional PKWARE cipher ("ZipCrypto", what
//! Info-ZIP's `zip -P` and most mailers' ZIP tools write) and WinZip's AES (AE-1 and
//! AE-2, 128 to 256 bits: 7-Zip's and most tools' "AES-256"). A password is accepted only when
//! the entry's own check agrees: its CRC-32 (ZipCrypto) or its HMAC-SHA1 (AES). A PDF file's
//! user or owner password is checked by its security handler ([`crate::pdf::Lock`]), an
//! Office file's by its key encryptor's verifier ([`office`]), a Word or Excel 97–2003 file's
//! (RC4) by the verifier in its header ([`binary`]). A 7z archive encrypted by
//! 7-Zip (AES-256, its key 2^19 rounds of SHA-256 over the password in UTF-16; the header
//! encrypted too with `-mhe=on`) has no check of its own: a password is accepted when the
//! encrypted header decodes with it and one of its encrypted files decodes whole to its CRC-32
//! (or, cut by the budget, past a whole LZMA2 chunk). A RAR archive's encrypted files and
//! headers (AES-128 in RAR 2.9–4, AES-256 in RAR 5) are read by [`crate::rar::rar_unlocked`],
//! which accepts a password on RAR 5's password check, the encrypted headers' CRCs or a file
//! decoded whole to its CRC-32.
//!
//! Passwords are values read from pages or given by the operator: nothing here logs or reports
//! one, and [`Password`]'s and [`Passwords`]' `Debug` show neither.

use std::fmt;
use std::io::Read;
use std::path::Path;

use aes::cipher::{
    Array, BlockCipherDecrypt, BlockCipherEncrypt, BlockSizeUser, KeyInit, consts::U16,
};
use aes::{Aes128, Aes192, Aes256};
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::archive::seven_zip_unlocked;
use crate::pdf::{Crypt, Lock};
use crate::rar::{MAX_KEYS, RarOpened, rar_unlocked};
pub(crate) use binary::{
    Binary, SealedBinary, word_encryption, word_is_obfuscated, workbook_is_encrypted,
};
pub(crate) use office::OfficeLock;

mod binary;
mod cryptoapi;
mod office;

/// Wrong passwords tried on one document's entries and files, at most: a WinZip AES try
/// costs a key derivation (PBKDF2 with 1,000 rounds, 2,000 to 8,000 SHA-1 blocks), a PDF
/// file's of revision 6 two hashes of Algorithm 2.B (2 ms here), so a hostile archive of
/// thousands of entries no password opens costs a fraction of a second, not minutes. A try
/// on an encrypted Office file counts as one per [`OFFICE_ROUNDS_PER_TRY`] rounds of its hash.
const MAX_FAILED_TRIES: usize = 64;

/// Rounds of an encrypted Office file's password hash that count as one try (Office's
/// 100,000, about 20 ms here, count as five): at most 12 such tries a document, 0.25 s (21 of
/// Office 2007's 50,000, which count as three).
const OFFICE_ROUNDS_PER_TRY: u32 = 20_000;

/// The wrong tries one try on an encrypted 7z archive counts as: its key is 2^19 rounds of
/// SHA-256 over the salt, the password and a counter (7-Zip's setting), about 5 ms here, and a
/// wrong key's data is decoded until it breaks; an encrypted header may ask for up to 2^24
/// rounds (the most `sevenz-rust2` derives), 0.16 s. Sixteen tries a document at most.
const SEVEN_ZIP_COST: usize = 4;

/// The wrong tries one try on an encrypted RAR archive counts as, per key derivation at
/// WinRAR's strength its keys take (a wrong password costs one derivation: RAR 5's 2^15
/// rounds of PBKDF2-HMAC-SHA256, 7 ms here, or RAR 2.9–4's 2^18 rounds of SHA-1 and the
/// first file decoded until it breaks): sixteen tries a document at most, and none on an
/// archive asking for 2^20 rounds or more.
const RAR_COST: usize = 4;

/// Passwords taken from one document's text, at most.
const MAX_FOUND: usize = 16;

/// A password's length in characters, at most (longer text after a label is no password).
const MAX_PASSWORD_CHARS: usize = 64;

/// A password to try on encrypted entries: bytes, as typed (UTF-8). Its `Debug` never shows
/// it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Password(Vec<u8>);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// The operator's passwords to try on encrypted ZIP entries, 7z and RAR archives, PDF and Office
/// files, in order. Its `Debug` shows how many, never one.
///
/// ```
/// let p = matcher::Passwords::from_lines("infected\r\nleak2026!\n\n");
/// assert_eq!(p.len(), 2);
/// assert_eq!(format!("{p:?}"), "Passwords(2)");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Passwords(Vec<Password>);

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Passwords({})", self.0.len())
    }
}

impl Passwords {
    /// One password a line, exactly as written (a line's `\r` and empty lines left out).
    pub fn from_lines(text: &str) -> Passwords {
        let mut list: Vec<Password> = Vec::new();
        for line in text.lines() {
            let p = Password(line.as_bytes().to_vec());
            if !line.is_empty() && !list.contains(&p) {
                list.push(p);
            }
        }
        Passwords(list)
    }

    /// [`Passwords::from_lines`] of a file (UTF-8).
    pub fn read(path: &Path) -> std::io::Result<Passwords> {
        Ok(Passwords::from_lines(&std::fs::read_to_string(path)?))
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How an entry is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cipher {
    /// PKWARE's traditional cipher; the decrypted header's last byte must be `check`.
    ZipCrypto {
        /// The CRC-32's high byte, or the modification time's when a data descriptor follows.
        check: u8,
    },
    /// WinZip's AES; `strength` 1, 2 or 3 for 128, 192 or 256 bits.
    Aes {
        /// The key size's code.
        strength: u8,
    },
}

/// An encrypted ZIP entry, as stored: its cipher, the method of its data once decrypted, the
/// CRC-32 of that data inflated (0: not given), and the bytes (encryption header first).
pub(crate) struct SealedEntry {
    pub(crate) cipher: Cipher,
    pub(crate) method: u16,
    pub(crate) crc: u32,
    pub(crate) data: Vec<u8>,
}

impl SealedEntry {
    /// The entry's data, decrypted with `password` and inflated within `budget` bytes, if the
    /// password is right (its check and the data's CRC or MAC agree); `None` if not, or if the
    /// data cannot be read.
    pub(crate) fn open(&self, password: &[u8], budget: usize) -> Option<Vec<u8>> {
        let plain = match self.cipher {
            Cipher::ZipCrypto { check } => {
                let mut keys = ZipKeys::new(password);
                let mut header = [0u8; 12];
                header.copy_from_slice(self.data.get(..12)?);
                keys.decrypt(&mut header);
                if header[11] != check {
                    return None;
                }
                let mut plain = self.data[12..].to_vec();
                keys.decrypt(&mut plain);
                plain
            }
            Cipher::Aes { strength } => aes_open(strength, password, &self.data)?,
        };
        let data = match self.method {
            0 => {
                let mut plain = plain;
                plain.truncate(budget);
                plain
            }
            8 => {
                let mut data = Vec::new();
                let mut z = flate2::bufread::DeflateDecoder::new(&plain[..]);
                let read = (&mut z).take(budget as u64).read_to_end(&mut data);
                // A wrong password that passed the one-byte check inflates to an error.
                if read.is_err() && matches!(self.cipher, Cipher::ZipCrypto { .. }) {
                    return None;
                }
                data
            }
            _ => return None,
        };
        // The whole entry read: its CRC-32 must agree (AE-2 stores none; its MAC was checked).
        let whole = data.len() < budget;
        if whole && self.crc != 0 && crc32fast::hash(&data) != self.crc {
            return None;
        }
        Some(data)
    }
}

/// Something encrypted that no password known so far opened.
enum Sealed {
    /// An encrypted ZIP entry.
    Entry(SealedEntry),
    /// A PDF file that needs a password: its lock, and its bytes.
    Pdf(Lock, Vec<u8>),
    /// An Office file encrypted with a password: its lock, and its encrypted package.
    Office(OfficeLock, Vec<u8>),
    /// A 7z archive with encrypted blocks (or an encrypted header): its bytes.
    SevenZip(Vec<u8>),
    /// A RAR archive with encrypted files (or encrypted headers): its bytes, and what one of
    /// its keys costs.
    Rar(Vec<u8>, usize),
    /// A Word or Excel 97–2003 file encrypted with RC4: its lock and streams.
    Binary(SealedBinary),
}

/// What a password opened, once the document's text gave it ([`Unpack::open_with_text`]).
pub(crate) enum Unsealed {
    /// A file's bytes: a ZIP entry's, decrypted and inflated; an Office file's package.
    File(Vec<u8>),
    /// The files of a 7z archive's encrypted blocks, decrypted and inflated.
    Files(Vec<Vec<u8>>),
    /// A PDF file's bytes, and the key that reads them.
    Pdf(Vec<u8>, Crypt),
    /// A Word or Excel 97–2003 file's streams, decrypted.
    Binary(Binary),
}

/// What is encrypted, the passwords to try on it, and the budget of bytes to inflate that
/// reading a document's archives shares.
pub(crate) struct Unpack<'p> {
    /// Bytes left to inflate.
    pub(crate) budget: usize,
    /// The operator's passwords.
    given: &'p [Password],
    /// The document's passwords, found in its text.
    found: Vec<Password>,
    /// The password that opened something last (an archive's entries share one): tried first.
    last: Option<Password>,
    /// What no password opened yet, with how deep in archives it is.
    sealed: Vec<(usize, Sealed)>,
    /// Wrong passwords tried so far.
    failed: usize,
    /// Encrypted files met that no password could be tried on: their encryption is not read,
    /// or no budget was left.
    not_read: u32,
    /// Key derivations left for RAR archives whose password is right ([`MAX_KEYS`]).
    rar_keys: usize,
}

impl<'p> Unpack<'p> {
    /// Reading with `budget` bytes to inflate and the operator's `passwords`.
    pub(crate) fn new(budget: usize, passwords: &'p Passwords) -> Unpack<'p> {
        Unpack {
            budget,
            given: &passwords.0,
            found: Vec::new(),
            last: None,
            sealed: Vec::new(),
            failed: 0,
            not_read: 0,
            rar_keys: MAX_KEYS,
        }
    }

    /// Notes an encrypted file no password could be tried on: its encryption is not read (XOR
    /// obfuscation, a PDF file's certificate, an Office file's extensible or rights-management
    /// encryption, encrypted mail), or no budget was left to read it.
    pub(crate) fn not_read(&mut self) {
        self.not_read += 1;
    }

    /// The encrypted files and entries met so far that no password opened, or whose
    /// encryption is not read: what they hold was not scanned.
    pub(crate) fn locked(&self) -> u32 {
        u32::try_from(self.sealed.len())
            .unwrap_or(u32::MAX)
            .saturating_add(self.not_read)
    }

    /// Reading with `budget` bytes to inflate and no password of the operator's.
    #[cfg(test)]
    pub(crate) fn without_passwords(budget: usize) -> Unpack<'static> {
        static NONE: Passwords = Passwords(Vec::new());
        Unpack::new(budget, &NONE)
    }

    /// The data of `entry`, `depth` archives deep, if a password known so far opens it (the
    /// inflated bytes counted against the budget); if none does, it is kept for the passwords
    /// the document's text may give ([`Unpack::open_with_text`]).
    pub(crate) fn open_entry(&mut self, entry: SealedEntry, depth: usize) -> Option<Vec<u8>> {
        let data = self.first(&[], 1, |p, budget| entry.open(p, budget));
        if data.is_none() {
            self.sealed.push((depth, Sealed::Entry(entry)));
        }
        data
    }

    /// The key of the PDF file `bytes`, `depth` archives deep, locked by `lock`, if a password
    /// known so far opens it; if none does, it is kept (copied) for the passwords the
    /// document's text may give.
    pub(crate) fn open_pdf(&mut self, lock: Lock, bytes: &[u8], depth: usize) -> Option<Crypt> {
        let key = self.first(&[], 1, |p, _| lock.open(p));
        if key.is_none() {
            self.sealed.push((depth, Sealed::Pdf(lock, bytes.to_vec())));
        }
        key
    }

    /// The package of an encrypted Office file, `depth` archives deep, locked by `lock`
    /// (decrypted within the budget, and counted against it), if a password known so far
    /// opens it; if none does, it is kept for the passwords the document's text may give.
    pub(crate) fn open_office(
        &mut self,
        lock: OfficeLock,
        package: Vec<u8>,
        depth: usize,
    ) -> Option<Vec<u8>> {
        let data = self.first(&[], office_cost(&lock), |p, budget| {
            lock.unlock(p, &package, budget)
        });
        if data.is_none() {
            self.sealed.push((depth, Sealed::Office(lock, package)));
        }
        data
    }

    /// The files of the encrypted blocks of the 7z archive `bytes`, `depth` archives deep
    /// (inflated within the budget, and counted against it), if a password known so far opens
    /// them; if none does, the archive is kept (copied) for the passwords the document's text
    /// may give. With no budget left, nothing is tried or kept.
    pub(crate) fn open_seven_zip(&mut self, bytes: &[u8], depth: usize) -> Option<Vec<Vec<u8>>> {
        // Nothing could be read: a right password would read as a wrong one.
        if self.budget == 0 {
            self.not_read();
            return None;
        }
        let files = self.first(&[], SEVEN_ZIP_COST, |p, budget| {
            seven_zip_unlocked(bytes, p, budget)
        });
        if files.is_none() {
            self.sealed.push((depth, Sealed::SevenZip(bytes.to_vec())));
        }
        files
    }

    /// The encrypted files of the RAR archive `bytes` (all of them when its headers are
    /// encrypted), `depth` archives deep, each of its keys costing `cost` derivations (inflated
    /// within the budget, and counted against it), if a password known so far opens them; if
    /// none does, the archive is kept (copied) for the passwords the document's text may give.
    /// With no budget or key derivations left, nothing is tried or kept.
    pub(crate) fn open_rar(
        &mut self,
        bytes: &[u8],
        cost: usize,
        depth: usize,
    ) -> Option<Vec<Vec<u8>>> {
        if self.budget == 0 || self.rar_keys < cost {
            self.not_read();
            return None;
        }
        let opened = self.try_rar(bytes, cost, &[]);
        if opened.is_none() {
            self.sealed.push((depth, Sealed::Rar(bytes.to_vec(), cost)));
        }
        opened
    }

    /// The files `first` opens of the RAR archive `bytes` with `only` or all passwords, the
    /// files its key derivations could not pay for counted as not read.
    fn try_rar(&mut self, bytes: &[u8], cost: usize, only: &[Password]) -> Option<Vec<Vec<u8>>> {
        let mut keys = self.rar_keys;
        let opened = self.first(only, RAR_COST.saturating_mul(cost), |p, budget| {
            rar_unlocked(bytes, p, budget, cost, &mut keys)
        });
        self.rar_keys = keys;
        let opened = opened?;
        self.not_read = self.not_read.saturating_add(opened.unread);
        Some(opened.files)
    }

    /// The streams of the encrypted Word or Excel 97–2003 file `sealed`, `depth` archives
    /// deep, decrypted, if a password known so far opens it (a workbook is tried with Excel's
    /// default password first, which is not counted); if none does, it is kept for the
    /// passwords the document's text may give.
    pub(crate) fn open_binary(&mut self, sealed: SealedBinary, depth: usize) -> Option<Binary> {
        if sealed.is_workbook()
            && let Some(streams) = sealed.open(binary::EXCEL_DEFAULT_PASSWORD)
        {
            return Some(streams);
        }
        let streams = self.first(&[], 1, |p, _| sealed.open(p));
        if streams.is_none() {
            self.sealed.push((depth, Sealed::Binary(sealed)));
        }
        streams
    }

    /// What is still sealed that the passwords labelled in `text` open, each with its depth,
    /// in the order it was met.
    pub(crate) fn open_with_text(&mut self, text: &str) -> Vec<(usize, Unsealed)> {
        if self.sealed.is_empty() {
            return Vec::new();
        }
        let new: Vec<Password> = passwords_in(text)
            .into_iter()
            .filter(|p| !self.found.contains(p) && !self.given.contains(p))
            .take(MAX_FOUND.saturating_sub(self.found.len()))
            .collect();
        if new.is_empty() {
            return Vec::new();
        }
        self.found.extend(new.iter().cloned());
        let mut opened = Vec::new();
        for (depth, sealed) in std::mem::take(&mut self.sealed) {
            match sealed {
                Sealed::Entry(entry) => match self.first(&new, 1, |p, b| entry.open(p, b)) {
                    Some(data) => opened.push((depth, Unsealed::File(data))),
                    None => self.sealed.push((depth, Sealed::Entry(entry))),
                },
                Sealed::Pdf(lock, bytes) => match self.first(&new, 1, |p, _| lock.open(p)) {
                    Some(key) => opened.push((depth, Unsealed::Pdf(bytes, key))),
                    None => self.sealed.push((depth, Sealed::Pdf(lock, bytes))),
                },
                Sealed::Office(lock, package) => {
                    let data = self.first(&new, office_cost(&lock), |p, budget| {
                        lock.unlock(p, &package, budget)
                    });
                    match data {
                        Some(data) => opened.push((depth, Unsealed::File(data))),
                        None => self.sealed.push((depth, Sealed::Office(lock, package))),
                    }
                }
                Sealed::SevenZip(bytes) => {
                    let files = if self.budget == 0 {
                        None
                    } else {
                        self.first(&new, SEVEN_ZIP_COST, |p, budget| {
                            seven_zip_unlocked(&bytes, p, budget)
                        })
                    };
                    match files {
                        Some(files) => opened.push((depth, Unsealed::Files(files))),
                        None => self.sealed.push((depth, Sealed::SevenZip(bytes))),
                    }
                }
                Sealed::Rar(bytes, cost) => {
                    let files = if self.budget == 0 || self.rar_keys < cost {
                        None
                    } else {
                        self.try_rar(&bytes, cost, &new)
                    };
                    match files {
                        Some(files) => opened.push((depth, Unsealed::Files(files))),
                        None => self.sealed.push((depth, Sealed::Rar(bytes, cost))),
                    }
                }
                Sealed::Binary(sealed) => match self.first(&new, 1, |p, _| sealed.open(p)) {
                    Some(streams) => opened.push((depth, Unsealed::Binary(streams))),
                    None => self.sealed.push((depth, Sealed::Binary(sealed))),
                },
            }
        }
        opened
    }

    /// What `open` gives with the first of the passwords (the last good one, then `only` if
    /// given, else the operator's and the document's) that opens it, within the budget of
    /// wrong tries (each wrong one counting `cost`); `open` is given a password and the bytes
    /// left to inflate, and what it gives that is bytes is counted against them.
    fn first<T: Inflated>(
        &mut self,
        only: &[Password],
        cost: usize,
        mut open: impl FnMut(&[u8], usize) -> Option<T>,
    ) -> Option<T> {
        let all: Vec<Password> = if only.is_empty() {
            self.given.iter().chain(&self.found).cloned().collect()
        } else {
            only.to_vec()
        };
        let last = self.last.clone();
        for p in last
            .iter()
            .chain(all.iter().filter(|p| Some(*p) != last.as_ref()))
        {
            if self.failed + cost > MAX_FAILED_TRIES {
                return None;
            }
            match open(&p.0, self.budget) {
                Some(opened) => {
                    self.budget -= opened.inflated().min(self.budget);
                    self.last = Some(p.clone());
                    return Some(opened);
                }
                None => self.failed += cost,
            }
        }
        None
    }
}

/// The wrong tries one try on an Office file locked by `lock` counts as.
fn office_cost(lock: &OfficeLock) -> usize {
    lock.rounds().div_ceil(OFFICE_ROUNDS_PER_TRY).max(1) as usize
}

/// What a password gives, and how many inflated bytes of the budget that holds.
trait Inflated {
    /// Bytes inflated.
    fn inflated(&self) -> usize;
}

impl Inflated for Vec<u8> {
    fn inflated(&self) -> usize {
        self.len()
    }
}

impl Inflated for Vec<Vec<u8>> {
    fn inflated(&self) -> usize {
        self.iter().map(Vec::len).sum()
    }
}

impl Inflated for RarOpened {
    fn inflated(&self) -> usize {
        self.files.iter().map(Vec::len).sum()
    }
}

impl Inflated for Binary {
    /// Decrypted in place of the file's own bytes: nothing inflated.
    fn inflated(&self) -> usize {
        0
    }
}

impl Inflated for Crypt {
    /// A key inflates nothing (reading the file counts what it decodes).
    fn inflated(&self) -> usize {
        0
    }
}

/// Labels a password follows, lower case (ASCII letters are compared so, full-width ones as
/// their ASCII).
const LABELS: &[&str] = &[
    "パスワード",
    "ﾊﾟｽﾜｰﾄﾞ",
    "解凍キー",
    "password",
    "passwd",
    "pass",
    "pwd",
    "pw",
];

/// Opening quotes and brackets a password may be written in, with their closing ones.
const QUOTES: &[(char, char)] = &[
    ('「', '」'),
    ('『', '』'),
    ('【', '】'),
    ('"', '"'),
    ('\'', '\''),
    ('“', '”'),
    ('[', ']'),
    ('<', '>'),
];

/// The passwords `text` gives: what follows a label such as `パスワード：`, `password:`,
/// `PW=`, `パスワードは「…」です`, `password is …` on its line (in quotes or brackets, or up to
/// the next space), or the next non-empty line when the label ends its line. Each as written,
/// and with full-width letters and digits as ASCII when it has any. At most [`MAX_FOUND`].
pub(crate) fn passwords_in(text: &str) -> Vec<Password> {
    let mut out: Vec<Password> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        if out.len() >= MAX_FOUND {
            break;
        }
        let chars: Vec<char> = line.chars().collect();
        let folded: Vec<char> = chars.iter().map(|&c| fold(c)).collect();
        let mut at = 0;
        while let Some((end, value_at)) = next_label(&folded, at) {
            at = end;
            let value = match value_at {
                Some(v) => value_after(&chars, v),
                None => lines[n + 1..]
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| !l.is_empty())
                    .map(|l| {
                        let c: Vec<char> = l.chars().collect();
                        value_after(&c, 0)
                    })
                    .unwrap_or_default(),
            };
            let count = value.chars().count();
            if count == 0 || count > MAX_PASSWORD_CHARS {
                continue;
            }
            let ascii: String = value.chars().map(half_width).collect();
            for v in [value, ascii] {
                let p = Password(v.into_bytes());
                if !out.contains(&p) && out.len() < MAX_FOUND {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// The next label in `folded` from `from` that a separator follows: where the label ends, and
/// where its value starts (`None` when nothing follows the separator on the line).
fn next_label(folded: &[char], from: usize) -> Option<(usize, Option<usize>)> {
    let mut i = from;
    while i < folded.len() {
        let Some(label) = LABELS.iter().find(|l| starts_with(folded, i, l)) else {
            i += 1;
            continue;
        };
        let end = i + label.chars().count();
        // A label inside a word (`passport`, `compass`) is none.
        let inside = |k: usize| folded.get(k).is_some_and(|c| c.is_ascii_alphanumeric());
        if label.is_ascii() && (inside(end) || (i > 0 && inside(i - 1))) {
            i = end;
            continue;
        }
        let mut k = end;
        skip_spaces(folded, &mut k);
        // A note in brackets (`パスワード（半角英数）：`; `（` is `(` folded).
        if let Some(&open) = folded.get(k)
            && open == '('
            && let Some(close) = folded[k..].iter().take(16).position(|&c| c == ')')
        {
            k += close + 1;
            skip_spaces(folded, &mut k);
        }
        let separated = match folded.get(k) {
            // `：`, `=`, `は`, or the end of a label in brackets (`【パスワード】`).
            Some(':' | '=' | 'は' | '】' | ']') => {
                k += 1;
                true
            }
            Some('i') if folded.get(k + 1) == Some(&'s') && folded.get(k + 2) == Some(&' ') => {
                k += 2;
                true
            }
            Some(c) => QUOTES.iter().any(|q| q.0 == *c),
            // The label ends its line (`■パスワード`): the password is on the next.
            None => true,
        };
        if !separated {
            i = end;
            continue;
        }
        skip_spaces(folded, &mut k);
        return Some((k.max(end), (k < folded.len()).then_some(k)));
    }
    None
}

/// The password that starts at `chars[at]`: inside quotes or brackets when it opens with
/// them, else up to the next space, without trailing punctuation or `です`.
fn value_after(chars: &[char], at: usize) -> String {
    let Some(&first) = chars.get(at) else {
        return String::new();
    };
    if let Some(&(_, close)) = QUOTES.iter().find(|q| q.0 == first)
        && let Some(len) = chars[at + 1..].iter().position(|&c| c == close)
    {
        return chars[at + 1..at + 1 + len].iter().collect();
    }
    let len = chars[at..]
        .iter()
        .position(|&c| c.is_whitespace())
        .unwrap_or(chars.len() - at);
    let mut value: String = chars[at..at + len].iter().collect();
    if let Some(v) = value.strip_suffix("です") {
        value = v.to_string();
    }
    value
        .trim_end_matches(['。', '、', '.', ',', '）', ')'])
        .to_string()
}

fn skip_spaces(folded: &[char], k: &mut usize) {
    while folded.get(*k).is_some_and(|c| c.is_whitespace()) {
        *k += 1;
    }
}

fn starts_with(folded: &[char], at: usize, label: &str) -> bool {
    (at..)
        .zip(label.chars())
        .all(|(k, c)| folded.get(k) == Some(&c))
}

/// A character as labels are compared: full-width ASCII as ASCII, lower case.
fn fold(c: char) -> char {
    half_width(c).to_ascii_lowercase()
}

/// Full-width ASCII (`Ｐａｓｓ１２３`) as ASCII; any other character as it is.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// A password (UTF-8) as Office hashes it: UTF-16LE.
pub(crate) fn utf16le(password: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(password)
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// CBC decryption of `body`'s whole blocks with `cipher` and `iv` (a cut last block is left
/// out; padding stays).
pub(crate) fn cbc_decrypt<C: BlockCipherDecrypt<BlockSize = U16>>(
    cipher: &C,
    iv: [u8; 16],
    body: &[u8],
) -> Vec<u8> {
    let mut previous = iv;
    let mut out = Vec::with_capacity(body.len());
    for chunk in body.chunks_exact(16) {
        let mut block = Array::from(<[u8; 16]>::try_from(chunk).unwrap_or_default());
        cipher.decrypt_block(&mut block);
        out.extend(block.iter().zip(previous).map(|(b, p)| b ^ p));
        previous.copy_from_slice(chunk);
    }
    out
}

/// The keys of PKWARE's traditional cipher (APPNOTE 6.1).
struct ZipKeys([u32; 3]);

impl ZipKeys {
    fn new(password: &[u8]) -> ZipKeys {
        let mut keys = ZipKeys([0x1234_5678, 0x2345_6789, 0x3456_7890]);
        for &b in password {
            keys.update(b);
        }
        keys
    }

    fn update(&mut self, b: u8) {
        let k = &mut self.0;
        k[0] = crc32_byte(k[0], b);
        k[1] = k[1]
            .wrapping_add(k[0] & 0xFF)
            .wrapping_mul(134_775_813)
            .wrapping_add(1);
        k[2] = crc32_byte(k[2], (k[1] >> 24) as u8);
    }

    fn decrypt(&mut self, data: &mut [u8]) {
        for b in data {
            let t = (self.0[2] | 2) as u16;
            *b ^= (t.wrapping_mul(t ^ 1) >> 8) as u8;
            self.update(*b);
        }
    }
}

/// CRC-32's table (the polynomial 0xEDB88320, as ZIP's).
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

fn crc32_byte(crc: u32, b: u8) -> u32 {
    (crc >> 8) ^ CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize]
}

type HmacSha1 = Hmac<Sha1>;

/// PBKDF2 with HMAC-SHA1 (RFC 8018), filling `out`.
fn pbkdf2_sha1(password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
    let Ok(prf) = HmacSha1::new_from_slice(password) else {
        return;
    };
    for (i, chunk) in out.chunks_mut(20).enumerate() {
        let mut mac = prf.clone();
        mac.update(salt);
        mac.update(&(i as u32 + 1).to_be_bytes());
        let mut u = mac.finalize().into_bytes();
        let mut t = u;
        for _ in 1..rounds {
            let mut mac = prf.clone();
            mac.update(&u);
            u = mac.finalize().into_bytes();
            for (a, b) in t.iter_mut().zip(&u) {
                *a ^= b;
            }
        }
        chunk.copy_from_slice(&t[..chunk.len()]);
    }
}

/// A WinZip AES entry's data (salt, password verifier, encrypted data, 10 bytes of MAC)
/// decrypted with `password`, if the verifier and the MAC agree.
fn aes_open(strength: u8, password: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let key_len = match strength {
        1 => 16,
        2 => 24,
        3 => 32,
        _ => return None,
    };
    let salt_len = key_len / 2;
    if data.len() < salt_len + 2 + 10 {
        return None;
    }
    let (salt, rest) = data.split_at(salt_len);
    let (verifier, rest) = rest.split_at(2);
    let (encrypted, mac) = rest.split_at(rest.len() - 10);
    let mut keys = vec![0u8; 2 * key_len + 2];
    pbkdf2_sha1(password, salt, 1000, &mut keys);
    if keys[2 * key_len..] != *verifier {
        return None;
    }
    let mut check = HmacSha1::new_from_slice(&keys[key_len..2 * key_len]).ok()?;
    check.update(encrypted);
    if check.finalize().into_bytes()[..10] != *mac {
        return None;
    }
    let mut plain = encrypted.to_vec();
    let key = &keys[..key_len];
    match strength {
        1 => ctr::<Aes128>(key, &mut plain)?,
        2 => ctr::<Aes192>(key, &mut plain)?,
        _ => ctr::<Aes256>(key, &mut plain)?,
    }
    Some(plain)
}

/// AES in WinZip's counter mode: a 16-byte little-endian counter from 1.
fn ctr<C: KeyInit + BlockCipherEncrypt + BlockSizeUser<BlockSize = U16>>(
    key: &[u8],
    data: &mut [u8],
) -> Option<()> {
    let cipher = C::new_from_slice(key).ok()?;
    let mut counter = 0u128;
    for chunk in data.chunks_mut(16) {
        counter = counter.wrapping_add(1);
        let mut block = Array::from(counter.to_le_bytes());
        cipher.encrypt_block(&mut block);
        for (b, k) in chunk.iter_mut().zip(block.iter()) {
            *b ^= k;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests;
