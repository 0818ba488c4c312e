//! RAR archives (`.rar`), read by [`rars`] (pure Rust): RAR 1.5–4 (`Rar!\x1A\x07\x00`) and
//! RAR 5–7 (`Rar!\x1A\x07\x01\x00`), solid or not, each file's data in the archive's order.
//! WinRAR is Windows' usual archiver, and leak sites and forums pass registers around as
//! `.rar` as much as `.zip` or `.7z`.
//!
//! What is read is bounded as the other archives' files are: everything inflated counts against
//! the scan's budget (a file the budget cuts is kept as far as it went, and the archive ends
//! there), at most [`MAX_ENTRIES`] files (as from a ZIP or 7z archive), a RAR 5 dictionary of
//! at most [`MAX_DICTIONARY`] (a file that asks for more is left out, as an oversized 7z
//! dictionary is) and a reader's workspace of at most [`MAX_WORKSPACE`]. A file that fails to decode (corrupt, or cut short
//! by a broken download) keeps what was decoded of it; in a solid archive it ends the archive,
//! since the files after it are decoded from its history.
//!
//! Encrypted files and archives whose headers are encrypted (`rar a -p`, `-hp`) are not
//! decrypted: they are counted as locked ([`crate::unlock::Unpack::not_read`]), what the
//! archive holds in the clear is read.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use crate::archive::MAX_ENTRIES;

use rars::{ArchiveReadOptions, ArchiveReader, Error, ExtractionDecision, ExtractionErrorAction};

/// The largest RAR 5 dictionary a file may ask for (WinRAR's default is 32 MiB; RAR 7 allows
/// 64 GiB), as for 7z archives.
const MAX_DICTIONARY: u64 = 64 << 20;

/// The most workspace the reader may hold for one archive (decoder state, filter blocks).
const MAX_WORKSPACE: u64 = 160 << 20;

/// A RAR 5 file larger than this is decoded as a stream instead of in one buffer.
const BUFFERED_DECODE: u64 = 4 << 20;

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
}

/// Where the files' data goes as it is decoded: each file a buffer, all of them within the
/// budget.
#[derive(Debug, Default)]
struct Files {
    files: Vec<Vec<u8>>,
    /// Bytes the budget has left.
    left: usize,
}

/// One file's writer: appends to the last buffer of [`Files`] as long as the budget lasts, and
/// fails once it is spent (which ends the extraction, keeping what was written).
struct Sink(Rc<RefCell<Files>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut files = self.0.borrow_mut();
        let n = buf.len().min(files.left);
        if n == 0 && !buf.is_empty() {
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

/// The files of the RAR archive `bytes`, inflated within `budget` (what is left of it is
/// returned in place). An archive whose headers cannot be read (corrupt; cut inside its first
/// header; encrypted) gives none.
pub(crate) fn rar_files(bytes: &[u8], budget: &mut usize) -> RarFiles {
    let mut read = RarFiles::default();
    let archive = match ArchiveReader::read(bytes) {
        Ok(archive) => archive,
        // Encrypted headers (the reader is built without decryption).
        Err(Error::FeatureDisabled { .. }) => {
            read.sealed = true;
            return read;
        }
        // Cut short (a size cap, a broken download): the files whose blocks are whole.
        Err(_) => match whole_blocks(bytes).and_then(|whole| ArchiveReader::read(whole).ok()) {
            Some(archive) => archive,
            None => return read,
        },
    };
    let files = Rc::new(RefCell::new(Files {
        files: Vec::new(),
        left: *budget,
    }));
    let options = ArchiveReadOptions::new()
        .with_rar50_dictionary_size_limit(MAX_DICTIONARY)
        .with_max_reader_workspace_bytes(MAX_WORKSPACE)
        .with_rar50_buffered_decode_limit(BUFFERED_DECODE);
    let mut sealed = false;
    // An error ends the extraction or, for a file not solid, only that file; either way what
    // was decoded stays.
    let _ = archive.extract_with_control_and_errors(
        options,
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

    /// The fixtures' two files (`matcher/tests/data/rar/README.md`).
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

    #[test]
    fn encrypted_files_and_headers_are_sealed() {
        for (name, bytes) in [
            (
                "rar5 -p",
                &include_bytes!("../tests/data/rar/members-rar5-aes.rar")[..],
            ),
            (
                "rar5 -hp",
                include_bytes!("../tests/data/rar/members-rar5-aes-header.rar"),
            ),
            (
                "rar4 -p",
                include_bytes!("../tests/data/rar/members-rar4-aes.rar"),
            ),
            (
                "rar4 -hp",
                include_bytes!("../tests/data/rar/members-rar4-aes-header.rar"),
            ),
        ] {
            let (files, left, sealed) = read(bytes, 1 << 20);
            assert!(
                files.is_empty() && sealed && left == 1 << 20,
                "{name}: {}",
                files.len()
            );
        }
    }
}
