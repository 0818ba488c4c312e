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
//! Encrypted files and archives whose headers are encrypted (`rar a -p`, `-hp`: AES-128 in
//! RAR 2.9–4, AES-256 in RAR 5) are read with the passwords [`crate::unlock`] tries
//! ([`rar_unlocked`]), what the archive holds in the clear first. A password is accepted when
//! the archive says it is right: RAR 5's password check, the encrypted headers' CRCs, or a
//! file decoded whole to its CRC-32. Each encrypted file costs a key derivation (`rars` keeps
//! no key from one file to the next; RAR 5's is 2^15 rounds of PBKDF2-HMAC-SHA256 at WinRAR's
//! setting, 7 ms here, RAR 2.9–4's 2^18 rounds of SHA-1, 5 ms), so a document spends at most
//! [`MAX_KEYS`] of them on archives whose password is right; the files left over are counted
//! as locked.

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
    bytes.starts_with(b"Rar!\x1A\x07\x00") || bytes.starts_with(b"Rar!\x1A\x07\x01\x00")
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
    /// Read (up to the last whole block of an archive cut short).
    Read(Box<Archive>),
    /// Encrypted (`rar a -hp`).
    Encrypted,
    /// Not readable: corrupt, or cut inside its first header.
    Unreadable,
}

/// The headers of the RAR archive `bytes`, read without a password.
fn headers(bytes: &[u8]) -> Headers {
    match ArchiveReader::read(bytes) {
        Ok(archive) => Headers::Read(Box::new(archive)),
        Err(e) if e.kind() == ErrorKind::PasswordRequired => Headers::Encrypted,
        // Cut short (a size cap, a broken download): the files whose blocks are whole.
        Err(_) => match whole_blocks(bytes).and_then(|whole| ArchiveReader::read(whole).ok()) {
            Some(archive) => Headers::Read(Box::new(archive)),
            None => Headers::Unreadable,
        },
    }
}

/// The limits every extraction is read within.
fn read_options(password: Option<&[u8]>) -> ArchiveReadOptions<'_> {
    ArchiveReadOptions::with_optional_password(password)
        .with_rar50_dictionary_size_limit(MAX_DICTIONARY)
        .with_max_reader_workspace_bytes(MAX_WORKSPACE)
        .with_rar50_buffered_decode_limit(BUFFERED_DECODE)
}

/// The cost of one of the keys of the archive `bytes`, whose headers are `headers`, in
/// derivations at WinRAR's strength: RAR 5's strongest, as its files or its encrypted headers
/// declare it.
fn archive_key_cost(bytes: &[u8], headers: &Headers) -> usize {
    let kdf_log = match headers {
        Headers::Read(archive) => archive.as_rar50().and_then(|a| {
            a.blocks
                .iter()
                .filter_map(|b| match b {
                    rars::rar50::Block::File(f) => f.encryption.as_ref().map(|e| e.kdf_count),
                    _ => None,
                })
                .max()
        }),
        Headers::Encrypted => rar5_header_kdf(bytes),
        Headers::Unreadable => None,
    };
    key_cost(kdf_log.unwrap_or(DEFAULT_KDF_LOG))
}

/// The rounds (as a power of two) of the key of a RAR 5 archive whose headers are encrypted:
/// its first block after the signature is the encryption header (type 4): CRC-32, the
/// header's size, type and flags, then the encryption's version and flags and that count.
fn rar5_header_kdf(bytes: &[u8]) -> Option<u8> {
    let mut p = b"Rar!\x1A\x07\x01\x00".len().checked_add(4)?;
    if !bytes.starts_with(b"Rar!\x1A\x07\x01\x00") {
        return None;
    }
    let _size = vint(bytes, &mut p)?;
    if vint(bytes, &mut p)? != 4 {
        return None;
    }
    let _flags = vint(bytes, &mut p)?;
    let _version = vint(bytes, &mut p)?;
    let _encryption_flags = vint(bytes, &mut p)?;
    bytes.get(p).copied()
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
    let archive = match headers {
        Headers::Read(archive) => archive,
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
        read_options(None),
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
    /// Whether an encrypted file is being extracted, and whether it failed.
    pending: Option<bool>,
    /// Whether an encrypted file failed before any was verified: the password is wrong.
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
    let (archive, headers_checked) = match headers(bytes) {
        Headers::Read(archive) => (*archive, false),
        Headers::Unreadable => return None,
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
            (archive, true)
        }
    };
    // A RAR 5 file's key is checked before any of it is decoded (and an encrypted header's
    // keys serve the files, as the reader keeps them); RAR 4 checks a file's CRC at its end.
    let rar5 = archive.as_rar50().is_some();
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
        read_options(Some(password)),
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
        |_, _| {
            let mut t = trial.borrow_mut();
            if files.borrow().spent {
                // Cut by the budget: the extraction ends at the next file.
                t.pending = None;
                return Ok(ExtractionErrorAction::Continue);
            }
            if t.pending.is_some() {
                t.pending = Some(true);
            }
            if t.verified == 0 && !headers_checked {
                t.wrong = true;
                return Ok(ExtractionErrorAction::Abort);
            }
            Ok(ExtractionErrorAction::Continue)
        },
    );
    let trial = trial.into_inner();
    let files = std::mem::take(&mut *files.borrow_mut());
    // A solid archive's failure (the budget's too) ends the extraction without a word to the
    // error handler.
    if result.is_err() && trial.pending.is_some() {
        trial.pending = if files.spent { None } else { Some(true) };
    }
    trial.settle();
    // A file cut by the budget proves the password only where it was checked before decoding.
    let checked = rar5 || headers_checked;
    if trial.wrong || (trial.verified == 0 && !(files.spent && checked) && !headers_checked) {
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

/// The archive `bytes` up to the end of its last whole block, when it is cut short inside a
/// later one (`None` when not even the first block after the signature is whole). A RAR
/// archive is a run of blocks, each a header and the data it announces: RAR 5's begin with
/// their CRC-32, the header's size and its type, flags and (when the flags say so) the data's
/// size, all but the CRC variable-length integers; RAR 1.5–4's with a CRC-16, a type, flags, the
/// header's size and, when the flags' top bit is set, the data's size in four bytes (with four
/// more for a large file).
fn whole_blocks(bytes: &[u8]) -> Option<&[u8]> {
    let (mut at, rar5) = if bytes.starts_with(b"Rar!\x1A\x07\x01\x00") {
        (8, true)
    } else {
        (7, false)
    };
    let mut whole = None;
    loop {
        let size = if rar5 {
            rar5_block(bytes, at)
        } else {
            rar4_block(bytes, at)
        };
        match size.and_then(|size| at.checked_add(size)) {
            Some(end) if end <= bytes.len() && end > at => {
                at = end;
                whole = Some(end);
            }
            _ => return whole.map(|end| &bytes[..end]),
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
        assert_eq!(rar5_header_kdf(hp), Some(DEFAULT_KDF_LOG));
        assert!(unlocked(hp, "Leak2026!", 1 << 20, 0).0.is_none());
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
