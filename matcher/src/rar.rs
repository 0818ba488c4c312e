//! RAR archives (`.rar`), read by [`rars`] (pure Rust): RAR 1.5–4 (`Rar!\x1A\x07\x00`) and
//! RAR 5–7 (`Rar!\x1A\x07\x01\x00`), solid or not, each file's data in the archive's order.
//! WinRAR is Windows' usual archiver, and leak sites and forums pass registers around as
//! `.rar` as much as `.zip` or `.7z`.
//!
//! What is read is bounded as the other archives' files are: everything inflated counts against
//! the scan's budget (a file the budget cuts is kept as far as it went, and the archive ends
//! there), at most [`MAX_ENTRIES`] files (as from a ZIP or 7z archive), a RAR 5 dictionary of
//! at most [`MAX_DICTIONARY`] (a file that asks for more is left out, as an oversized 7z
//! dictionary is) and a reader's workspace of at most [`MAX_WORKSPACE`]. A file that fails to
//! decode (corrupt, or cut short by a broken download) keeps what was decoded of it; in a
//! solid archive it ends the archive, since the files after it are decoded from its history.
//!
//! An archive cut short (a size cap, a broken download), which `rars` refuses, is read up to
//! its last whole block, and the file the cut falls in as far as its data goes: a copy of the
//! archive has that file's packed size made what is there and its header's CRC made to agree
//! ([`cut_file`]), and its files are decoded as streams.
//!
//! Encrypted files and archives whose headers are encrypted (`rar a -p`, `-hp`: AES-128 in
//! RAR 2.9–4, AES-256 in RAR 5) are read with the passwords [`crate::unlock`] tries
//! ([`rar_unlocked`]), what the archive holds in the clear first. A password is accepted when
//! the archive says it is right: RAR 5's password check, the encrypted headers' CRCs, or a
//! file decoded whole to its CRC-32. Each encrypted file costs a key derivation (`rars` keeps
//! no key from one file to the next; RAR 5's is 2^15 rounds of PBKDF2-HMAC-SHA256 at WinRAR's
//! setting, 7 ms here, RAR 2.9–4's 2^18 rounds of SHA-1, 5 ms), so a document spends at most
//! [`MAX_KEYS`] of them on archives whose password is right; the files left over are counted
//! as locked. RAR 5's encrypted headers are decrypted here first to count their files' keys
//! ([`rar5_encrypted_headers_cost`]), since the reader derives them all as it reads them.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use crate::archive::MAX_ENTRIES;

use rars::{
    Archive, ArchiveReadOptions, ArchiveReader, ErrorKind, ExtractionDecision,
    ExtractionErrorAction,
};

/// The largest RAR 5 dictionary a file may ask for (WinRAR's default is 32 MiB; RAR 7 allows
/// 64 GiB), as for 7z archives.
const MAX_DICTIONARY: u64 = 64 << 20;

/// The most workspace the reader may hold for one archive (decoder state, filter blocks).
const MAX_WORKSPACE: u64 = 160 << 20;

/// A RAR 5 file larger than this is decoded as a stream instead of in one buffer.
const BUFFERED_DECODE: u64 = 4 << 20;

/// Key derivations at WinRAR's strength ([`key_cost`] 1) a document may spend on the
/// encrypted files of archives whose password is right: about 0.45 s here.
pub(crate) const MAX_KEYS: usize = 64;

/// RAR 5's key derivation at WinRAR's strength: 2^15 rounds.
const DEFAULT_KDF_LOG: u8 = 15;

/// Whether `bytes` is a RAR archive (RAR 1.5–4's signature or RAR 5's).
pub(crate) fn is_rar(bytes: &[u8]) -> bool {
    bytes.starts_with(b"Rar!\x1A\x07\x00") || bytes.starts_with(RAR5)
}

/// What reading a RAR archive gave.
#[derive(Debug, Default)]
pub(crate) struct RarFiles {
    /// Each file's data, in the archive's order (a file cut by the budget or a decoding error
    /// as far as it went).
    pub(crate) files: Vec<Vec<u8>>,
    /// Whether the archive holds encrypted files, or its headers are encrypted: what they
    /// hold was not read.
    pub(crate) sealed: bool,
    /// What one of its keys costs, in derivations at WinRAR's strength ([`key_cost`]).
    pub(crate) key_cost: usize,
}

/// What a password opened of a RAR archive.
#[derive(Debug, Default)]
pub(crate) struct RarOpened {
    /// The encrypted files' data, in the archive's order (a file cut by the budget as far as
    /// it went).
    pub(crate) files: Vec<Vec<u8>>,
    /// Encrypted files left unread because the document's key derivations were spent.
    pub(crate) unread: u32,
}

/// The cost of a RAR 5 key derived with 2^`kdf_log` rounds, in derivations at WinRAR's
/// strength (2^15 rounds; RAR 2.9–4's key, 2^18 rounds of SHA-1, costs 1 too).
fn key_cost(kdf_log: u8) -> usize {
    1 << kdf_log.saturating_sub(DEFAULT_KDF_LOG).min(16)
}

/// Where the files' data goes as it is decoded: each file a buffer, all of them within the
/// budget.
#[derive(Debug, Default)]
struct Files {
    files: Vec<Vec<u8>>,
    /// Bytes the budget has left.
    left: usize,
    /// Whether a file was cut because the budget was spent.
    spent: bool,
}

/// One file's writer: appends to the last buffer of [`Files`] as long as the budget lasts, and
/// fails once it is spent (which ends the extraction, keeping what was written).
struct Sink(Rc<RefCell<Files>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut files = self.0.borrow_mut();
        let n = buf.len().min(files.left);
        if n == 0 && !buf.is_empty() {
            files.spent = true;
            return Err(std::io::Error::other("the scan's budget is spent"));
        }
        files.left -= n;
        if let Some(last) = files.files.last_mut() {
            last.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A RAR archive's headers as read without a password.
enum Headers {
    /// Read, and whether the archive was cut short (read up to its last whole block, and the
    /// file the cut falls in as far as its data goes).
    Read(Box<Archive>, bool),
    /// Encrypted (`rar a -hp`).
    Encrypted,
    /// Not readable: corrupt, or cut inside its first header.
    Unreadable,
}

/// The headers of the RAR archive `bytes`, read without a password.
fn headers(bytes: &[u8]) -> Headers {
    match ArchiveReader::read(bytes) {
        Ok(archive) => Headers::Read(Box::new(archive), false),
        Err(e) if e.kind() == ErrorKind::PasswordRequired => Headers::Encrypted,
        // Cut short (a size cap, a broken download): the files whose blocks are whole, and the
        // one the cut falls in as far as it goes.
        Err(_) => {
            if let Some(cut) = cut_file(bytes)
                && let Ok(archive) = ArchiveReader::read(&cut)
            {
                return Headers::Read(Box::new(archive), true);
            }
            match whole_blocks(bytes).and_then(|whole| ArchiveReader::read(whole).ok()) {
                Some(archive) => Headers::Read(Box::new(archive), true),
                None => Headers::Unreadable,
            }
        }
    }
}

/// The limits every extraction is read within; a `cut` archive's files are all decoded as
/// streams, so that the one the cut falls in gives what was decoded before its data ran out
/// (RAR 5 in steps of 64 KiB; RAR 2.9–4 writes its window out every 2 to 4 MiB, so a cut file
/// smaller than that gives nothing).
fn read_options(password: Option<&[u8]>, cut: bool) -> ArchiveReadOptions<'_> {
    ArchiveReadOptions::with_optional_password(password)
        .with_rar50_dictionary_size_limit(MAX_DICTIONARY)
        .with_max_reader_workspace_bytes(MAX_WORKSPACE)
        .with_rar50_buffered_decode_limit(if cut { 0 } else { BUFFERED_DECODE })
}

/// The cost of one of the keys of the archive `bytes`, whose headers are `headers`, in
/// derivations at WinRAR's strength: RAR 5's strongest, as its files or its encrypted headers
/// declare it.
fn archive_key_cost(bytes: &[u8], headers: &Headers) -> usize {
    let kdf_log = match headers {
        Headers::Read(archive, _) => archive.as_rar50().and_then(|a| {
            a.blocks
                .iter()
                .filter_map(|b| match b {
                    rars::rar50::Block::File(f) => f.encryption.as_ref().map(|e| e.kdf_count),
                    _ => None,
                })
                .max()
        }),
        Headers::Encrypted => rar5_encryption_header(bytes).map(|h| h.kdf_log),
        Headers::Unreadable => None,
    };
    key_cost(kdf_log.unwrap_or(DEFAULT_KDF_LOG))
}

/// A RAR 5 archive's encryption header (its headers encrypted): where it ends, and the key's
/// rounds (as a power of two), salt and password check.
struct EncryptionHeader {
    end: usize,
    kdf_log: u8,
    salt: [u8; 16],
    check: Option<[u8; 12]>,
}

/// The encryption header of the RAR 5 archive `bytes`, if its headers are encrypted: its
/// first block after the signature, of type 4 (CRC-32, the header's size, type and flags, then
/// the encryption's version and flags, the rounds, the salt and, when the flags say so, the
/// password check).
fn rar5_encryption_header(bytes: &[u8]) -> Option<EncryptionHeader> {
    if !bytes.starts_with(RAR5) {
        return None;
    }
    let mut p = RAR5.len().checked_add(4)?;
    let size = usize::try_from(vint(bytes, &mut p)?).ok()?;
    let end = p.checked_add(size)?;
    if vint(bytes, &mut p)? != 4 {
        return None;
    }
    let _flags = vint(bytes, &mut p)?;
    let _version = vint(bytes, &mut p)?;
    let encryption_flags = vint(bytes, &mut p)?;
    let kdf_log = *bytes.get(p)?;
    let salt = bytes.get(p + 1..p + 17)?.try_into().ok()?;
    let check = if encryption_flags & 1 != 0 {
        Some(bytes.get(p + 17..p + 29)?.try_into().ok()?)
    } else {
        None
    };
    Some(EncryptionHeader {
        end,
        kdf_log,
        salt,
        check,
    })
}

/// The files of the RAR archive `bytes`, inflated within `budget` (what is left of it is
/// returned in place), leaving out the encrypted ones. An archive whose headers cannot be read
/// (corrupt; cut inside its first header; encrypted) gives none.
pub(crate) fn rar_files(bytes: &[u8], budget: &mut usize) -> RarFiles {
    let headers = headers(bytes);
    let mut read = RarFiles {
        key_cost: archive_key_cost(bytes, &headers),
        ..RarFiles::default()
    };
    let (archive, cut) = match headers {
        Headers::Read(archive, cut) => (archive, cut),
        Headers::Encrypted => {
            read.sealed = true;
            return read;
        }
        Headers::Unreadable => return read,
    };
    let files = Rc::new(RefCell::new(Files {
        files: Vec::new(),
        left: *budget,
        spent: false,
    }));
    let mut sealed = false;
    // An error ends the extraction or, for a file not solid, only that file; either way what
    // was decoded stays.
    let _ = archive.extract_with_control_and_errors(
        read_options(None, cut),
        |member| {
            let meta = &member.meta;
            let mut f = files.borrow_mut();
            if f.files.len() >= MAX_ENTRIES || f.left == 0 {
                return Ok(ExtractionDecision::Stop);
            }
            if meta.is_encrypted {
                sealed = true;
                // A solid archive's files after an encrypted one are decoded from its history.
                return Ok(if member.is_solid() {
                    ExtractionDecision::Stop
                } else {
                    ExtractionDecision::Skip
                });
            }
            if meta.is_directory || meta.is_redirection {
                return Ok(ExtractionDecision::Skip);
            }
            f.files.push(Vec::new());
            Ok(ExtractionDecision::Extract(Box::new(Sink(Rc::clone(
                &files,
            )))))
        },
        |_, _| Ok(ExtractionErrorAction::Continue),
    );
    let files = std::mem::take(&mut *files.borrow_mut());
    *budget = files.left;
    read.files = files.files;
    read.files.retain(|f| !f.is_empty());
    read.sealed = sealed;
    read
}

/// How a password fares on an archive's encrypted files, as they are extracted.
#[derive(Default)]
struct Trial {
    /// Encrypted files decoded whole to their checks.
    verified: u32,
    /// Encrypted files whose key passed RAR 5's password check (they were decoded, or failed
    /// otherwise than for a bad password).
    passed: u32,
    /// Whether an encrypted file is being extracted, and whether it failed.
    pending: Option<bool>,
    /// Whether the password is wrong: an encrypted file failed before any was verified (in
    /// RAR 5, failed its password check).
    wrong: bool,
    /// Encrypted files left unread for want of key derivations.
    unread: u32,
}

impl Trial {
    /// The file being extracted is done (the next one begins, or the archive ends).
    fn settle(&mut self) {
        if self.pending.take() == Some(false) {
            self.verified += 1;
        }
    }

    /// The file being extracted failed with an error of `kind`; `checked`: the archive's
    /// password is checked before a file is decoded (RAR 5), so only that check's failure
    /// says the password is wrong.
    fn fail(&mut self, kind: ErrorKind, checked: bool) {
        if self.pending.is_some() {
            self.pending = Some(true);
        }
        if self.verified == 0 && self.passed == 0 {
            if !checked || kind == ErrorKind::BadPassword {
                self.wrong = true;
            } else {
                self.passed += 1;
            }
        }
    }
}

/// The encrypted files of the RAR archive `bytes` (all of them when its headers are encrypted),
/// decrypted with `password` and inflated within `budget`, if the password is right; `None` if
/// not, or if nothing could be read. Each encrypted file's key, and each encrypted header's,
/// costs `cost` of `keys`, the derivations the document has left; files that `keys` cannot pay
/// for are left unread (counted in [`RarOpened::unread`]). `keys` is spent only when the
/// password is right.
pub(crate) fn rar_unlocked(
    bytes: &[u8],
    password: &[u8],
    budget: usize,
    cost: usize,
    keys: &mut usize,
) -> Option<RarOpened> {
    let cost = cost.max(1);
    let mut left_keys = *keys;
    // With encrypted headers the password is right once they read: RAR 5 checks it, and every
    // header's CRC-32 (RAR 4's, each header with a key of its own) must agree.
    let (archive, cut, headers_checked) = match headers(bytes) {
        Headers::Read(archive, cut) => (*archive, cut, false),
        Headers::Unreadable => return None,
        // RAR 5: the reader derives each file's key as it reads the headers, with the rounds
        // each file's encryption record asks for (up to 2^24, 3.6 s here), so the headers are
        // first decrypted here to count them.
        Headers::Encrypted if bytes.starts_with(RAR5) => {
            if left_keys < cost {
                return None;
            }
            let needed = rar5_encrypted_headers_cost(bytes, password, left_keys)?;
            let Some(left) = left_keys.checked_sub(needed) else {
                // The password is right, but its files' keys cost more than is left.
                return Some(RarOpened {
                    files: Vec::new(),
                    unread: 1,
                });
            };
            left_keys = left;
            let archive = ArchiveReader::read_with_options(
                bytes,
                ArchiveReadOptions::with_password(password),
            )
            .ok()?;
            (archive, false, true)
        }
        // RAR 2.9–4: each header has a key of its own, of 2^18 rounds.
        Headers::Encrypted => {
            let allowed = left_keys / cost;
            if allowed == 0 {
                return None;
            }
            let options = ArchiveReadOptions::with_password(password)
                .with_max_header_count(u64::try_from(allowed).unwrap_or(u64::MAX));
            let archive = ArchiveReader::read_with_options(bytes, options).ok()?;
            let blocks = archive.members().count().saturating_add(2);
            left_keys = left_keys.saturating_sub(blocks.saturating_mul(cost));
            (archive, false, true)
        }
    };
    // A RAR 5 file's key is checked before any of it is decoded when its encryption record
    // holds a password check (WinRAR writes one); an encrypted header's keys serve the files,
    // as the reader keeps them. RAR 4 checks a file's CRC-32 at its end, nothing before.
    let rar5 = archive.as_rar50().is_some();
    let checked = archive.as_rar50().is_some_and(|a| {
        a.blocks.iter().all(|b| match b {
            rars::rar50::Block::File(f) => f
                .encryption
                .as_ref()
                .is_none_or(|e| e.check_value.is_some()),
            _ => true,
        })
    });
    let solid = archive.members().any(|m| m.is_solid());
    let encrypted = archive.members().filter(|m| m.meta.is_encrypted).count();
    let files = Rc::new(RefCell::new(Files {
        files: Vec::new(),
        left: budget,
        spent: false,
    }));
    let mut trial = Trial::default();
    let mut tried = 0usize;
    let trial = RefCell::new(&mut trial);
    let result = archive.extract_with_control_and_errors(
        read_options(Some(password), cut),
        |member| {
            let meta = &member.meta;
            let mut t = trial.borrow_mut();
            t.settle();
            let mut f = files.borrow_mut();
            if f.files.len() >= MAX_ENTRIES || f.left == 0 || t.wrong {
                return Ok(ExtractionDecision::Stop);
            }
            if meta.is_directory || meta.is_redirection {
                return Ok(ExtractionDecision::Skip);
            }
            if !meta.is_encrypted {
                // Read in the clear already; a solid archive's encrypted files need its history.
                return Ok(if solid {
                    ExtractionDecision::Extract(Box::new(std::io::sink()))
                } else {
                    ExtractionDecision::Skip
                });
            }
            tried += 1;
            // RAR 5's files keep the keys their encrypted headers were read with.
            let charge = if headers_checked && rar5 { 0 } else { cost };
            if left_keys < charge {
                t.unread += 1;
                if solid {
                    t.unread += u32::try_from(encrypted.saturating_sub(tried)).unwrap_or(u32::MAX);
                    return Ok(ExtractionDecision::Stop);
                }
                return Ok(ExtractionDecision::Skip);
            }
            left_keys -= charge;
            t.pending = Some(false);
            f.files.push(Vec::new());
            Ok(ExtractionDecision::Extract(Box::new(Sink(Rc::clone(
                &files,
            )))))
        },
        |_, error| {
            let mut t = trial.borrow_mut();
            if files.borrow().spent {
                // Cut by the budget: the extraction ends at the next file.
                if t.pending.take().is_some() && checked {
                    t.passed += 1;
                }
                return Ok(ExtractionErrorAction::Continue);
            }
            if headers_checked {
                t.pending = t.pending.map(|_| true);
                return Ok(ExtractionErrorAction::Continue);
            }
            t.fail(error.kind(), checked);
            Ok(if t.wrong {
                ExtractionErrorAction::Abort
            } else {
                ExtractionErrorAction::Continue
            })
        },
    );
    let trial = trial.into_inner();
    let files = std::mem::take(&mut *files.borrow_mut());
    // A solid archive's failure (the budget's too) ends the extraction without a word to the
    // error handler.
    if let Err(error) = &result
        && trial.pending.is_some()
    {
        if files.spent {
            trial.pending = None;
            trial.passed += u32::from(checked);
        } else if headers_checked {
            trial.pending = Some(true);
        } else {
            trial.fail(error.kind(), checked);
        }
    }
    trial.settle();
    if trial.wrong || (trial.verified == 0 && trial.passed == 0 && !headers_checked) {
        return None;
    }
    *keys = left_keys;
    let mut opened = RarOpened {
        files: files.files,
        unread: trial.unread,
    };
    opened.files.retain(|f| !f.is_empty());
    Some(opened)
}

/// What reading the RAR 5 archive `bytes`, whose headers are encrypted, with `password` costs
/// in key derivations at WinRAR's strength: the headers' key (twice: here, and by the reader)
/// and each file's, as its encryption record asks (the reader derives them all as it reads the
/// headers). `None` when the password is wrong (its check, or a header's CRC-32, disagrees) or
/// the headers cannot be read; more than `most` once it is known to cost more.
///
/// The archive's encryption header (type 4, in the clear after the signature) gives the
/// rounds, salt and password check of the headers' key; each header after it is a 16-byte IV
/// and the header (CRC-32, size, type, flags, extra area's size, data's size, …, extra area)
/// encrypted with AES-256 in CBC mode, padded to 16 bytes, and followed by its data in the
/// clear (a file's data being encrypted on its own). A file's or service's extra area holds
/// records (size, type, …); an encryption record (type 1) holds its version, flags and rounds.
fn rar5_encrypted_headers_cost(bytes: &[u8], password: &[u8], most: usize) -> Option<usize> {
    use rars::crypto::rar50::{Rar50Cipher, Rar50Keys};
    let encryption = rar5_encryption_header(bytes)?;
    let header_cost = key_cost(encryption.kdf_log);
    if header_cost > most {
        return Some(header_cost);
    }
    let keys = Rar50Keys::derive(password, encryption.salt, encryption.kdf_log).ok()?;
    if let Some(check) = encryption.check {
        keys.check_password(&check).ok()?;
    }
    let mut cost = header_cost.saturating_mul(2);
    let mut at = encryption.end;
    // Headers past these were not counted, and the reader would derive their keys: too costly.
    let mut counted = false;
    for _ in 0..MAX_ENTRIES.saturating_mul(2) {
        if at >= bytes.len() || cost > most {
            counted = true;
            break;
        }
        let iv: [u8; 16] = bytes.get(at..at.checked_add(16)?)?.try_into().ok()?;
        let start = at + 16;
        let mut first: [u8; 16] = bytes.get(start..start + 16)?.try_into().ok()?;
        Rar50Cipher::new(keys.key, iv)
            .decrypt_in_place(&mut first)
            .ok()?;
        let mut q = 4;
        let header_size = usize::try_from(vint(&first, &mut q)?).ok()?;
        let header_end = q.checked_add(header_size)?;
        let padded = header_end.div_ceil(16).checked_mul(16)?;
        let mut header = bytes.get(start..start.checked_add(padded)?)?.to_vec();
        Rar50Cipher::new(keys.key, iv)
            .decrypt_in_place(&mut header)
            .ok()?;
        let header = &header[..header_end];
        if crc32fast::hash(&header[4..]).to_le_bytes() != header[..4] {
            return None;
        }
        let kind = vint(header, &mut q)?;
        let flags = vint(header, &mut q)?;
        let extra = if flags & 1 != 0 {
            usize::try_from(vint(header, &mut q)?).ok()?
        } else {
            0
        };
        let data = if flags & 2 != 0 {
            usize::try_from(vint(header, &mut q)?).ok()?
        } else {
            0
        };
        if kind == 2 || kind == 3 {
            let mut r = header_end.checked_sub(extra)?;
            while r < header_end {
                let record_size = usize::try_from(vint(header, &mut r)?).ok()?;
                let record_end = r.checked_add(record_size)?;
                let mut f = r;
                if vint(header, &mut f)? == 1 {
                    let _version = vint(header, &mut f)?;
                    let _flags = vint(header, &mut f)?;
                    cost = cost.saturating_add(key_cost(*header.get(f)?));
                }
                r = record_end;
            }
        }
        if kind == 5 {
            counted = true;
            break;
        }
        at = start.checked_add(padded)?.checked_add(data)?;
    }
    Some(if counted {
        cost
    } else {
        cost.max(most.saturating_add(1))
    })
}

/// The archive `bytes`, cut short inside a file's data, with that file's packed size made
/// what is there (in AES's blocks of 16 bytes) and its header's CRC made to agree, so that the
/// reader decodes the file as far as its data goes. `None` when the cut falls elsewhere.
fn cut_file(bytes: &[u8]) -> Option<Vec<u8>> {
    let at = whole_end(bytes);
    if bytes.starts_with(RAR5) {
        cut_rar5_file(bytes, at)
    } else {
        cut_rar4_file(bytes, at)
    }
}

/// [`cut_file`] of a RAR 5 archive whose file header begins at `at`: CRC-32, the header's
/// size, its type (2), flags, the extra area's size, the data's size (the width of that
/// variable-length integer kept, so the header keeps its size), and the CRC-32 is of the header
/// from its size on.
fn cut_rar5_file(bytes: &[u8], at: usize) -> Option<Vec<u8>> {
    let size_at = at.checked_add(4)?;
    let mut p = size_at;
    let header_size = usize::try_from(vint(bytes, &mut p)?).ok()?;
    let header_start = p;
    if vint(bytes, &mut p)? != 2 {
        return None;
    }
    let flags = vint(bytes, &mut p)?;
    if flags & 1 != 0 {
        vint(bytes, &mut p)?;
    }
    if flags & 2 == 0 {
        return None;
    }
    let field = p;
    let data = vint(bytes, &mut p)?;
    let header_end = header_start.checked_add(header_size)?;
    if header_end > bytes.len() || p > header_end {
        return None;
    }
    let have = (bytes.len() - header_end) & !15;
    if have == 0 || u64::try_from(have).ok()? >= data {
        return None;
    }
    let mut out = bytes[..header_end + have].to_vec();
    let width = p - field;
    let mut value = u64::try_from(have).ok()?;
    for (i, b) in out[field..p].iter_mut().enumerate() {
        *b = u8::try_from(value & 0x7F).ok()? | if i + 1 < width { 0x80 } else { 0 };
        value >>= 7;
    }
    let crc = crc32fast::hash(&out[size_at..header_end]);
    out[at..size_at].copy_from_slice(&crc.to_le_bytes());
    Some(out)
}

/// [`cut_file`] of a RAR 1.5–4 archive whose file header (type `0x74`, with data) begins at
/// `at`: its packed size is the four bytes after the first seven (and four more at 32 for a
/// large file), and its CRC is the low half of the CRC-32 of the header after the CRC.
fn cut_rar4_file(bytes: &[u8], at: usize) -> Option<Vec<u8>> {
    let h = bytes.get(at..at.checked_add(7)?)?;
    let flags = u16::from_le_bytes([h[3], h[4]]);
    let header = usize::from(u16::from_le_bytes([h[5], h[6]]));
    if h[2] != 0x74 || flags & 0x8000 == 0 || header < 32 {
        return None;
    }
    let header_end = at.checked_add(header)?;
    if header_end > bytes.len() {
        return None;
    }
    let have = (bytes.len() - header_end) & !15;
    if have == 0 {
        return None;
    }
    let mut out = bytes[..header_end + have].to_vec();
    out[at + 7..at + 11].copy_from_slice(&u32::try_from(have).ok()?.to_le_bytes());
    if flags & 0x100 != 0 {
        out.get_mut(at + 32..at + 36)?.fill(0);
    }
    let crc = crc32fast::hash(&out[at + 2..header_end]).to_le_bytes();
    out[at..at + 2].copy_from_slice(&crc[..2]);
    Some(out)
}

/// The archive `bytes` up to the end of its last whole block, when it is cut short inside a
/// later one (`None` when not even the first block after the signature is whole). A RAR
/// archive is a run of blocks, each a header and the data it announces: RAR 5's begin with
/// their CRC-32, the header's size and its type, flags and (when the flags say so) the data's
/// size, all but the CRC variable-length integers; RAR 1.5–4's with a CRC-16, a type, flags, the
/// header's size and, when the flags' top bit is set, the data's size in four bytes (with four
/// more for a large file).
fn whole_blocks(bytes: &[u8]) -> Option<&[u8]> {
    let end = whole_end(bytes);
    (end > signature_len(bytes)).then(|| &bytes[..end])
}

/// RAR 5's signature (RAR 1.5–4's is its first six bytes and a 0).
const RAR5: &[u8] = b"Rar!\x1A\x07\x01\x00";

/// The length of the signature `bytes` begins with.
fn signature_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(RAR5) { 8 } else { 7 }
}

/// Where the last whole block of the archive `bytes` ends (where its signature ends when
/// none is whole): where the block a cut falls in begins.
fn whole_end(bytes: &[u8]) -> usize {
    let rar5 = bytes.starts_with(RAR5);
    let mut at = signature_len(bytes);
    loop {
        let size = if rar5 {
            rar5_block(bytes, at)
        } else {
            rar4_block(bytes, at)
        };
        match size.and_then(|size| at.checked_add(size)) {
            Some(end) if end <= bytes.len() && end > at => at = end,
            _ => return at,
        }
    }
}

/// The size of the RAR 5 block at `at`, header and data, if its header is there.
fn rar5_block(bytes: &[u8], at: usize) -> Option<usize> {
    let mut p = at.checked_add(4)?;
    let header_size = vint(bytes, &mut p)?;
    let header_start = p;
    let _kind = vint(bytes, &mut p)?;
    let flags = vint(bytes, &mut p)?;
    if flags & 1 != 0 {
        let _extra = vint(bytes, &mut p)?;
    }
    let data = if flags & 2 != 0 {
        vint(bytes, &mut p)?
    } else {
        0
    };
    let header_end = header_start.checked_add(usize::try_from(header_size).ok()?)?;
    if header_end > bytes.len() || p > header_end {
        return None;
    }
    header_end
        .checked_add(usize::try_from(data).ok()?)?
        .checked_sub(at)
}

/// A RAR 5 variable-length integer at `*p` (seven bits a byte, low first), `*p` moved past it.
fn vint(bytes: &[u8], p: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let b = *bytes.get(*p)?;
        *p += 1;
        value |= u64::from(b & 0x7F).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The size of the RAR 1.5–4 block at `at`, header and data, if its header is there.
fn rar4_block(bytes: &[u8], at: usize) -> Option<usize> {
    let h = bytes.get(at..at.checked_add(7)?)?;
    let flags = u16::from_le_bytes([h[3], h[4]]);
    let header = usize::from(u16::from_le_bytes([h[5], h[6]]));
    if header < 7 || bytes.len() < at + header {
        return None;
    }
    let mut data = 0u64;
    if flags & 0x8000 != 0 {
        let low = bytes.get(at + 7..at + 11)?;
        data = u64::from(u32::from_le_bytes(low.try_into().ok()?));
        // A file header's high 32 bits of its packed size (`LHD_LARGE`).
        if h[2] == 0x74 && flags & 0x100 != 0 {
            let high = bytes.get(at + 32..at + 36)?;
            data |= u64::from(u32::from_le_bytes(high.try_into().ok()?)) << 32;
        }
    }
    header.checked_add(usize::try_from(data).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of the fixtures' Shift_JIS CSV (`scripts/fixtures/rar.sh`).
    const CSV_ROW: &str = "山口 大介,1968-09-18,090-6682-8625";

    /// The files read from `bytes` within `budget`, the budget left, and whether it is sealed.
    fn read(bytes: &[u8], budget: usize) -> (Vec<Vec<u8>>, usize, bool) {
        let mut left = budget;
        let read = rar_files(bytes, &mut left);
        (read.files, left, read.sealed)
    }

    fn sjis(file: &[u8]) -> String {
        encoding_rs::SHIFT_JIS.decode(file).0.into_owned()
    }

    #[test]
    fn rar_5_and_rar_4_archives_solid_or_not_read_as_their_files() {
        for (name, bytes) in [
            (
                "rar5",
                &include_bytes!("../tests/data/rar/members-rar5.rar")[..],
            ),
            ("rar4", include_bytes!("../tests/data/rar/members-rar4.rar")),
            (
                "rar4 solid",
                include_bytes!("../tests/data/rar/members-rar4-solid.rar"),
            ),
        ] {
            assert!(is_rar(bytes), "{name}");
            let (files, left, sealed) = read(bytes, 1 << 20);
            assert_eq!(files.len(), 2, "{name}");
            let csv = sjis(&files[0]);
            assert!(csv.contains(CSV_ROW), "{name}: {csv}");
            assert_eq!(csv.matches(",19").count(), 201, "{name}");
            // The Excel 97 workbook, whole.
            assert_eq!(files[1].len(), 62_976, "{name}");
            assert_eq!(left, (1 << 20) - 6656 - 62_976, "{name}");
            assert!(!sealed, "{name}");
        }
        assert!(!is_rar(b"Rar! is a signature") && !is_rar(b"Rar!\x1A\x07\x02"));
    }

    #[test]
    fn the_budget_cuts_a_file_and_ends_the_archive() {
        let bytes = include_bytes!("../tests/data/rar/members-rar5.rar");
        let (files, left, _) = read(bytes, 1000);
        assert_eq!((files.len(), files[0].len(), left), (1, 1000, 0));
        let (files, left, _) = read(bytes, 7000);
        assert_eq!(
            (files.len(), files[0].len(), files[1].len(), left),
            (2, 6656, 344, 0)
        );
    }

    /// `rows` lines of a CSV (about 60 bytes each), and a RAR archive of it (compressed) in
    /// `format`, encrypted with `password` if given.
    fn big_csv_archive(
        rows: usize,
        format: rars::ArchiveVersion,
        password: Option<&str>,
    ) -> (Vec<u8>, Vec<u8>) {
        let csv: String = (0..rows)
            .map(|i| {
                format!(
                    "{i},山口 大介,1968-09-18,090-{:04}-{:04}\n",
                    i % 9973,
                    i % 7919
                )
            })
            .collect();
        let mut b = rars::Builder::new(format).password(password.map(|p| p.as_bytes().to_vec()));
        b.add_bytes(b"big.csv".to_vec(), csv.clone().into_bytes(), None, None)
            .expect("add");
        (csv.into_bytes(), b.to_bytes().expect("rar"))
    }

    #[test]
    fn the_file_a_cut_falls_in_is_read_as_far_as_its_data_goes() {
        let (csv, archive) = big_csv_archive(20_000, rars::ArchiveVersion::Rar50, None);
        let (files, ..) = read(&archive, 16 << 20);
        assert_eq!(files.len(), 1);
        assert!(files[0] == csv);
        // Cut at 30, 60 and 90 % of its packed data, the file gives 15, 37 and 74 % of its
        // text (what was decoded when its data ran out, in steps of 64 KiB).
        for (tenths, percent) in [(3, 10), (6, 30), (9, 60)] {
            let cut = &archive[..archive.len() * tenths / 10];
            let (files, left, _) = read(cut, 16 << 20);
            let got = files.first().map_or(0, Vec::len);
            assert!(
                got > csv.len() * percent / 100 && got < csv.len() && csv.starts_with(&files[0]),
                "{tenths}: {got} of {}",
                csv.len()
            );
            assert_eq!(left, (16 << 20) - got);
        }
        // Encrypted, the same with its password.
        let (_, sealed) = big_csv_archive(20_000, rars::ArchiveVersion::Rar50, Some("Leak2026!"));
        let cut = &sealed[..sealed.len() / 2];
        let mut keys = MAX_KEYS;
        let opened = rar_unlocked(cut, b"Leak2026!", 16 << 20, 1, &mut keys).expect("opened");
        assert!(
            opened.files.len() == 1 && opened.files[0].len() > 64 << 10,
            "{:?}",
            opened.files.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert!(csv.starts_with(&opened.files[0]));
        assert!(rar_unlocked(cut, b"leak2026!", 16 << 20, 1, &mut keys).is_none());
        // A header cut: the file before it whole (`members-rar5.rar`'s workbook starts at 1099).
        let bytes = include_bytes!("../tests/data/rar/members-rar5.rar");
        let (files, ..) = read(&bytes[..1110], 1 << 20);
        assert_eq!(files.iter().map(Vec::len).collect::<Vec<_>>(), [6656]);
    }

    #[test]
    fn a_cut_file_s_header_is_patched_to_the_data_there() {
        let bytes = include_bytes!("../tests/data/rar/members-rar5.rar");
        // Cut inside the workbook's data: its packed size becomes what is there, in blocks of
        // 16 bytes, and the reader takes the header.
        let cut = &bytes[..3000];
        let patched = cut_file(cut).expect("patched");
        assert!(patched.len() > 3000 - 16 && patched.len() <= 3000);
        assert_eq!(whole_end(cut), 1099);
        assert!(ArchiveReader::read(&patched).is_ok() && ArchiveReader::read(cut).is_err());
        for bytes in [
            &include_bytes!("../tests/data/rar/members-rar4.rar")[..],
            include_bytes!("../tests/data/rar/members-rar4-solid.rar"),
        ] {
            let patched = cut_file(&bytes[..3000]).expect("patched rar4");
            assert!(ArchiveReader::read(&patched).is_ok());
        }
        // Whole, or cut inside a header: nothing to patch.
        assert!(cut_file(bytes).is_none() && cut_file(&bytes[..1110]).is_none());
    }

    #[test]
    fn a_cut_or_corrupt_archive_gives_what_it_holds_and_never_panics() {
        for bytes in [
            &include_bytes!("../tests/data/rar/members-rar5.rar")[..],
            include_bytes!("../tests/data/rar/members-rar4.rar"),
            include_bytes!("../tests/data/rar/members-rar4-solid.rar"),
        ] {
            for cut in (0..bytes.len()).step_by(97) {
                let _ = read(&bytes[..cut], 1 << 20);
            }
            // The second file lost: the first one whole.
            let (files, ..) = read(&bytes[..bytes.len() - 3000], 1 << 20);
            assert!(sjis(&files[0]).contains(CSV_ROW), "{}", files.len());
            let mut corrupt = bytes.to_vec();
            for at in (60..corrupt.len()).step_by(50) {
                corrupt[at] ^= 0x55;
            }
            let _ = read(&corrupt, 1 << 20);
        }
    }

    /// The encrypted fixtures, with the key derivations their password costs when right: a
    /// file's key each, and with encrypted headers a key for each header in RAR 4 (and for
    /// each file again), one for all of them in RAR 5 (counted as one a block).
    const ENCRYPTED: &[(&str, &[u8], usize)] = &[
        (
            "rar5 -p",
            include_bytes!("../tests/data/rar/members-rar5-aes.rar"),
            1,
        ),
        (
            "rar5 -hp",
            include_bytes!("../tests/data/rar/members-rar5-aes-header.rar"),
            3,
        ),
        (
            "rar4 -p",
            include_bytes!("../tests/data/rar/members-rar4-aes.rar"),
            1,
        ),
        (
            "rar4 -hp",
            include_bytes!("../tests/data/rar/members-rar4-aes-header.rar"),
            4,
        ),
    ];

    /// A row of the encrypted fixtures' UTF-8 CSV.
    const UTF8_ROW: &str = "山口 大介,ヤマグチ ダイスケ,1968-09-18";

    /// What `password` opens of `bytes` within `budget` and `keys`, and the keys left.
    fn unlocked(
        bytes: &[u8],
        password: &str,
        budget: usize,
        keys: usize,
    ) -> (Option<RarOpened>, usize) {
        let mut left = keys;
        let cost = rar_files(bytes, &mut usize::MAX.clone()).key_cost;
        let opened = rar_unlocked(bytes, password.as_bytes(), budget, cost, &mut left);
        (opened, left)
    }

    #[test]
    fn encrypted_files_and_headers_are_sealed() {
        for &(name, bytes, _) in ENCRYPTED {
            let (files, left, sealed) = read(bytes, 1 << 20);
            assert!(
                files.is_empty() && sealed && left == 1 << 20,
                "{name}: {}",
                files.len()
            );
            assert_eq!(rar_files(bytes, &mut 0).key_cost, 1, "{name}");
        }
    }

    #[test]
    fn encrypted_files_and_headers_open_with_the_right_password_only() {
        for &(name, bytes, keys) in ENCRYPTED {
            let (opened, left) = unlocked(bytes, "Leak2026!", 1 << 20, MAX_KEYS);
            let opened = opened.unwrap_or_else(|| panic!("{name}"));
            assert_eq!((opened.files.len(), opened.unread), (1, 0), "{name}");
            let csv = String::from_utf8_lossy(&opened.files[0]);
            assert!(csv.contains(UTF8_ROW), "{name}: {csv}");
            assert_eq!(left, MAX_KEYS - keys, "{name}");
            for wrong in ["", "leak2026!", "Leak2026", "wrong"] {
                let (opened, left) = unlocked(bytes, wrong, 1 << 20, MAX_KEYS);
                assert!(opened.is_none() && left == MAX_KEYS, "{name} {wrong:?}");
            }
        }
    }

    #[test]
    fn each_encrypted_file_costs_a_key_and_the_files_no_key_is_left_for_are_unread() {
        let csv = |opened: &RarOpened| sjis(&opened.files[0]).contains(CSV_ROW);
        for (name, bytes) in [
            (
                "rar5 -p",
                &include_bytes!("../tests/data/rar/members-rar5-aes-two.rar")[..],
            ),
            (
                "rar4 -p solid",
                include_bytes!("../tests/data/rar/members-rar4-aes-solid.rar"),
            ),
        ] {
            let (opened, left) = unlocked(bytes, "Leak2026!", 1 << 20, 5);
            let opened = opened.unwrap_or_else(|| panic!("{name}"));
            assert_eq!(opened.files.len(), 2, "{name}");
            assert!(csv(&opened) && opened.files[1].len() == 62_976, "{name}");
            assert_eq!((left, opened.unread), (3, 0), "{name}");
            // One key left: the first file read, the second counted.
            let (opened, left) = unlocked(bytes, "Leak2026!", 1 << 20, 1);
            let opened = opened.unwrap_or_else(|| panic!("{name}"));
            assert!(csv(&opened) && opened.files.len() == 1, "{name}");
            assert_eq!((left, opened.unread), (0, 1), "{name}");
            // None left: nothing is read, and nothing says the password is right.
            assert!(
                unlocked(bytes, "Leak2026!", 1 << 20, 0).0.is_none(),
                "{name}"
            );
            assert!(unlocked(bytes, "wrong", 1 << 20, 5).0.is_none(), "{name}");
        }
    }

    #[test]
    fn a_file_the_budget_cuts_proves_the_password_only_where_it_is_checked() {
        // RAR 5 checks the password before decoding: a cut file is read as far as it went.
        let rar5 = include_bytes!("../tests/data/rar/members-rar5-aes-two.rar");
        let (opened, _) = unlocked(rar5, "Leak2026!", 1000, 5);
        let opened = opened.expect("rar5");
        assert_eq!((opened.files.len(), opened.files[0].len()), (1, 1000));
        let (opened, _) = unlocked(rar5, "Leak2026!", 7000, 5);
        assert_eq!(opened.expect("rar5").files.len(), 2);
        // RAR 4 checks nothing before the file's CRC at its end: a cut first file proves
        // nothing; a cut second one, once the first was verified, is kept.
        let rar4 = include_bytes!("../tests/data/rar/members-rar4-aes-solid.rar");
        assert!(unlocked(rar4, "Leak2026!", 1000, 5).0.is_none());
        let (opened, _) = unlocked(rar4, "Leak2026!", 7000, 5);
        let opened = opened.expect("rar4");
        assert_eq!(
            (
                opened.files.len(),
                opened.files[0].len(),
                opened.files[1].len()
            ),
            (2, 6656, 344)
        );
        // With encrypted headers, the headers prove it.
        let (_, hp, _) = ENCRYPTED[3];
        let (opened, _) = unlocked(hp, "Leak2026!", 100, MAX_KEYS);
        assert_eq!(opened.expect("rar4 -hp").files[0].len(), 100);
    }

    #[test]
    fn encrypted_headers_whose_keys_would_cost_more_than_is_left_are_not_read() {
        let (_, hp, keys) = ENCRYPTED[3];
        assert!(unlocked(hp, "Leak2026!", 1 << 20, keys - 1).0.is_none());
        let (_, hp, _) = ENCRYPTED[1];
        assert_eq!(
            rar5_encryption_header(hp).map(|h| h.kdf_log),
            Some(DEFAULT_KDF_LOG)
        );
        assert!(unlocked(hp, "Leak2026!", 1 << 20, 0).0.is_none());
    }

    /// The `-hp` RAR 5 fixture with its file's encryption record asking for 2^`kdf_log` rounds
    /// (that header decrypted, changed, its CRC-32 made to agree, and encrypted again).
    fn with_file_kdf(kdf_log: u8) -> Vec<u8> {
        use rars::crypto::rar50::{Rar50Cipher, Rar50Keys};
        let mut bytes = ENCRYPTED[1].1.to_vec();
        let mut p = 12;
        let size = vint(&bytes, &mut p).unwrap() as usize;
        let mut at = p + size;
        for _ in 0..4 {
            vint(&bytes, &mut p).unwrap();
        }
        let salt: [u8; 16] = bytes[p + 1..p + 17].try_into().unwrap();
        let keys = Rar50Keys::derive(b"Leak2026!", salt, bytes[p]).unwrap();
        loop {
            let iv: [u8; 16] = bytes[at..at + 16].try_into().unwrap();
            let start = at + 16;
            let mut first: [u8; 16] = bytes[start..start + 16].try_into().unwrap();
            Rar50Cipher::new(keys.key, iv)
                .decrypt_in_place(&mut first)
                .unwrap();
            let mut q = 4;
            let size = vint(&first, &mut q).unwrap() as usize;
            let header_end = q + size;
            let padded = header_end.div_ceil(16) * 16;
            let mut header = bytes[start..start + padded].to_vec();
            Rar50Cipher::new(keys.key, iv)
                .decrypt_in_place(&mut header)
                .unwrap();
            let kind = vint(&header, &mut q).unwrap();
            let flags = vint(&header, &mut q).unwrap();
            let extra = if flags & 1 != 0 {
                vint(&header, &mut q).unwrap() as usize
            } else {
                0
            };
            let data = if flags & 2 != 0 {
                vint(&header, &mut q).unwrap() as usize
            } else {
                0
            };
            if kind == 2 {
                let mut r = header_end - extra;
                loop {
                    let record_end = vint(&header, &mut r).unwrap() as usize + r;
                    let mut f = r;
                    if vint(&header, &mut f).unwrap() == 1 {
                        vint(&header, &mut f).unwrap();
                        vint(&header, &mut f).unwrap();
                        header[f] = kdf_log;
                        break;
                    }
                    r = record_end;
                }
                let crc = crc32fast::hash(&header[4..header_end]);
                header[..4].copy_from_slice(&crc.to_le_bytes());
                Rar50Cipher::new(keys.key, iv)
                    .encrypt_in_place(&mut header)
                    .unwrap();
                bytes[start..start + padded].copy_from_slice(&header);
                return bytes;
            }
            at = start + padded + data;
        }
    }

    #[test]
    fn encrypted_headers_are_decrypted_first_to_count_their_files_keys() {
        let (_, hp, _) = ENCRYPTED[1];
        // The headers' key twice (here and by the reader), the file's once.
        assert_eq!(
            rar5_encrypted_headers_cost(hp, b"Leak2026!", MAX_KEYS),
            Some(3)
        );
        assert_eq!(
            rar5_encrypted_headers_cost(hp, b"leak2026!", MAX_KEYS),
            None
        );
        let stronger = with_file_kdf(16);
        assert_eq!(
            rar5_encrypted_headers_cost(&stronger, b"Leak2026!", MAX_KEYS),
            Some(4)
        );
        // A file asking for 2^24 rounds (3.6 s here): the password is right, the file is not
        // read and no key is spent on it.
        let hostile = with_file_kdf(24);
        assert_eq!(
            rar5_encrypted_headers_cost(&hostile, b"Leak2026!", MAX_KEYS),
            Some(514)
        );
        let (opened, left) = unlocked(&hostile, "Leak2026!", 1 << 20, MAX_KEYS);
        let opened = opened.expect("right");
        assert_eq!((opened.files.len(), opened.unread, left), (0, 1, MAX_KEYS));
        assert!(unlocked(&hostile, "wrong", 1 << 20, MAX_KEYS).0.is_none());
    }

    #[test]
    fn a_stronger_key_costs_more() {
        assert_eq!(
            [10, 15, 16, 19, 24, 255].map(key_cost),
            [1, 1, 2, 16, 512, 65_536]
        );
    }

    #[test]
    fn cut_and_corrupted_encrypted_archives_never_panic() {
        for &(name, bytes, _) in ENCRYPTED.iter().chain(&[
            (
                "rar5 two",
                &include_bytes!("../tests/data/rar/members-rar5-aes-two.rar")[..],
                0,
            ),
            (
                "rar4 solid",
                include_bytes!("../tests/data/rar/members-rar4-aes-solid.rar"),
                0,
            ),
        ]) {
            for cut in (0..bytes.len()).step_by(83) {
                let _ = unlocked(&bytes[..cut], "Leak2026!", 1 << 20, MAX_KEYS);
            }
            for at in (8..bytes.len()).step_by(47) {
                let mut bad = bytes.to_vec();
                bad[at] ^= 0x41;
                if let (Some(opened), _) = unlocked(&bad, "Leak2026!", 1 << 20, MAX_KEYS) {
                    assert!(opened.files.len() <= 2, "{name} {at}");
                }
            }
        }
    }
}
