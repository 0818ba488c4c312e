//! Archives, compressed files, office documents and database files: the text of what they
//! hold. Leak sites publish a register or a customer list as a spreadsheet, a member list as a
//! Word document, CSV files in a ZIP or 7z archive or a `.tar.gz`, a database dump compressed with
//! gzip (`dump.sql.gz`) or an app's SQLite file, where a byte-level scan sees only compressed
//! data, markup, or binary pages.
//!
//! A ZIP archive is read from its start, entry by entry (local headers), so that one cut short
//! by a size cap still gives the entries it holds (the last one as far as it goes). Entries
//! stored or deflated are read, encrypted ones (ZipCrypto or WinZip AES) when a password opens
//! them ([`crate::unlock`]); other methods are left out. A gzip, xz,
//! Zstandard or bzip2 file (one member, stream or frame, or several) is decompressed as far as
//! it goes, a tar archive (POSIX, GNU or old-style) read header by header, its regular files
//! as entries. A 7z archive is read through its header, which is at its end: one cut before
//! it gives its solid LZMA2 data as far as the cut, without the files' names (see
//! [`cut_seven_zip`]). A RAR archive is read by [`crate::rar`]. Everything inflated counts
//! against one budget (the matcher's
//! `max_document_bytes`), so an archive bomb stops there.
//!
//! - A spreadsheet (an archive with `xl/workbook.xml`): each worksheet's rows as lines, cells
//!   apart by tabs (as an HTML table's), shared strings in place, numbers as written, and a
//!   number in a date format as its date (`1968-09-18`). An Excel 97–2003 workbook the same
//!   way ([`crate::xls`]).
//! - A word processor's document or a presentation (`.docx`, `.odt`, `.ods`, `.pptx`): its
//!   paragraphs and table rows as lines, the runs of a paragraph joined.
//! - An SQLite database file: its tables' rows ([`crate::sqlite`]).
//! - A PDF file: its pages' text, a table's rows as lines of cells apart by tabs
//!   ([`crate::pdf`]).
//! - Any other archive, and a compressed file: each file's text, decoded as a document is
//!   (charset detection, binary files left out, HTML reduced to its visible text, an archive
//!   inside read the same way, [`MAX_DEPTH`] levels deep).

use std::borrow::Cow;
use std::io::Read;

use fingerprints::fxhash::FxHashMap;

use crate::cfb::Compound;
use crate::decode::decode;
use crate::doc::{read_slides, read_word_streams, slides_are_encrypted, word_streams};
use crate::html::{extract_text, is_html};
use crate::msg::{Part, is_message, read_message};
use crate::pdf::{Pdf, is_pdf, read_pdf, read_pdf_with};
use crate::rar::{is_rar, rar_files};
use crate::rtf::{is_rtf, read_rtf, uncompressed};
use crate::sqlite::{is_sqlite, read_sqlite};
use crate::strings::read_binary_file;
use crate::tnef::{is_tnef, read_tnef};
use crate::unlock::{
    Binary, Cipher, OfficeLock, SealedBinary, SealedEntry, Unpack, Unsealed, word_encryption,
    word_is_obfuscated, workbook_is_encrypted,
};
use crate::xls::read_workbook97;

/// Local file header signature.
const LOCAL: &[u8; 4] = b"PK\x03\x04";

/// Entries read from one archive, at most.
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// How many archives or compressed files inside one another are read (`.tar.gz` is two).
const MAX_DEPTH: usize = 4;

/// A tar archive's block size.
const BLOCK: usize = 512;

/// The memory a 7z archive may ask for to be read (KiB): its decoder's dictionary, and its
/// header. 7-Zip's presets use a dictionary of 64 MiB at most (`-mx9`); an archive asking
/// for more is read as one cut before its header is ([`cut_seven_zip`]).
const SEVEN_ZIP_MEMORY_KB: usize = 66 * 1024;

/// A 7z archive's start header: its signature, version, and where its header is.
const SEVEN_ZIP_START: usize = 32;

/// The solid data of a 7z archive cut before its header is read in pieces of about this
/// many bytes, cut at a line's end: the files' boundaries are not known, so a binary file
/// among text files costs the pieces it is in, not the whole.
const SEVEN_ZIP_PIECE: usize = 16 * 1024;

/// Whether `bytes` is a ZIP archive (it starts with a local file header).
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(LOCAL)
}

/// Whether `bytes` is gzip-compressed (its magic number and the deflate method).
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x1F\x8B\x08")
}

/// Whether `bytes` is xz-compressed (`.xz`, `.tar.xz`).
pub(crate) fn is_xz(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFD7zXZ\x00")
}

/// Whether `bytes` is a Zstandard frame (`.zst`, `.tar.zst`).
pub(crate) fn is_zstd(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x28\xB5\x2F\xFD")
}

/// Whether `bytes` is bzip2-compressed (`.bz2`, `.tar.bz2`): `BZh`, a block size from 1 to 9,
/// then the magic number of a block or of the stream's end.
pub(crate) fn is_bzip2(bytes: &[u8]) -> bool {
    bytes.starts_with(b"BZh")
        && bytes.get(3).is_some_and(|b| (b'1'..=b'9').contains(b))
        && matches!(
            bytes.get(4..10),
            Some(b"\x31\x41\x59\x26\x53\x59" | b"\x17\x72\x45\x38\x50\x90")
        )
}

/// Whether `bytes` is a 7z archive (its signature).
pub(crate) fn is_7z(bytes: &[u8]) -> bool {
    bytes.starts_with(b"7z\xBC\xAF\x27\x1C")
}

/// Whether `bytes` is a tar archive: its first block is a header whose checksum checks.
pub(crate) fn is_tar(bytes: &[u8]) -> bool {
    bytes.get(..BLOCK).is_some_and(tar_header_ok)
}

/// Whether the matcher reads `bytes` as an archive, a compressed file, a database file
/// ([`crate::sqlite`]), an Office 97–2003 file ([`Office97`]), a PDF file ([`crate::pdf`]), an
/// RTF document ([`crate::rtf`]) or Outlook's TNEF (`winmail.dat`, [`crate::tnef`]).
pub(crate) fn is_archive(bytes: &[u8]) -> bool {
    is_zip(bytes)
        || is_7z(bytes)
        || is_rar(bytes)
        || is_gzip(bytes)
        || is_xz(bytes)
        || is_zstd(bytes)
        || is_bzip2(bytes)
        || is_tar(bytes)
        || is_sqlite(bytes)
        || Office97::of(bytes).is_some()
        || is_pdf(bytes)
        || is_rtf(bytes)
        || is_tnef(bytes)
}

/// The compound files ([`crate::cfb`]) the matcher reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Office97 {
    /// An Excel 97–2003 workbook (`.xls`, [`crate::xls`]).
    Workbook,
    /// A Word 97–2003 document (`.doc`, [`crate::doc`]).
    Word,
    /// A PowerPoint 97–2003 presentation (`.ppt`, [`crate::doc`]).
    Slides,
    /// An Outlook message (`.msg`, [`crate::msg`]).
    Message,
    /// A Word, Excel or PowerPoint file (2010 on) encrypted with a password: its package,
    /// once a password opens it ([`crate::unlock`]), is read as the file it is.
    Encrypted,
}

impl Office97 {
    /// What the compound file `bytes` is, if the matcher reads it.
    pub(crate) fn of(bytes: &[u8]) -> Option<Office97> {
        Compound::open(bytes).and_then(|c| Office97::in_file(&c))
    }

    fn in_file(file: &Compound<'_>) -> Option<Office97> {
        if file.has_stream("EncryptionInfo") && file.has_stream("EncryptedPackage") {
            Some(Office97::Encrypted)
        } else if file.has_stream("Workbook") {
            Some(Office97::Workbook)
        } else if file.has_stream("WordDocument") {
            Some(Office97::Word)
        } else if file.has_stream("PowerPoint Document") {
            Some(Office97::Slides)
        } else if is_message(file) {
            Some(Office97::Message)
        } else {
            None
        }
    }
}

/// An octal field of a tar header (digits, leading spaces, ended by a NUL or a space); GNU's
/// base-256 form for large sizes (first byte `0x80`).
fn tar_number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        return field[1..]
            .iter()
            .try_fold(0u64, |n, &b| n.checked_mul(256)?.checked_add(u64::from(b)));
    }
    let digits = field
        .iter()
        .skip_while(|&&b| b == b' ')
        .take_while(|&&b| b != 0 && b != b' ');
    let mut n = 0u64;
    let mut any = false;
    for &b in digits {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        n = n.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
        any = true;
    }
    any.then_some(n)
}

/// Whether a 512-byte block is a tar header: a name, and a checksum (field 148..156) equal to
/// the sum of its bytes with that field counted as spaces (unsigned, or signed as some old
/// tars summed).
fn tar_header_ok(h: &[u8]) -> bool {
    if h.len() < BLOCK || h[0] == 0 {
        return false;
    }
    // Cheap first: the field must be octal digits, spaces or NULs.
    let field = &h[148..156];
    if !field.iter().all(|b| matches!(b, b'0'..=b'7' | b' ' | 0)) {
        return false;
    }
    let Some(stored) = tar_number(field) else {
        return false;
    };
    let spaces = 8 * u64::from(b' ');
    let (mut unsigned, mut signed) = (spaces, spaces as i64);
    for (k, &b) in h[..BLOCK].iter().enumerate() {
        if !(148..156).contains(&k) {
            unsigned += u64::from(b);
            signed += i64::from(b as i8);
        }
    }
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

/// One entry of an archive, inflated.
struct Entry {
    name: String,
    data: Vec<u8>,
}

/// The entries of the archive `bytes`, `depth` archives deep, inflated within `cx`'s budget
/// (what is left of it is returned in place); encrypted ones when a password opens them (see
/// [`crate::unlock`]), the others kept in `cx` for the passwords the document may give. Stops
/// at the first header that is not a local file header (the central directory), at a cut, or
/// at an entry it cannot read the size of.
fn entries(bytes: &[u8], depth: usize, cx: &mut Unpack<'_>) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut at = 0;
    // Read once, when an entry needs it.
    let mut central: Option<FxHashMap<usize, (usize, u32)>> = None;
    while out.len() < MAX_ENTRIES && bytes.get(at..at + 4) == Some(LOCAL) {
        let Some(h) = bytes.get(at..at + 30) else {
            break;
        };
        let u16_at = |k: usize| usize::from(u16::from_le_bytes([h[k], h[k + 1]]));
        let u32_at = |k: usize| u32::from_le_bytes([h[k], h[k + 1], h[k + 2], h[k + 3]]) as usize;
        let (flags, method) = (u16_at(6), u16_at(8));
        let (mut compressed, name_len, extra_len) = (u32_at(18), u16_at(26), u16_at(28));
        let name_start = at + 30;
        let data_start = name_start + name_len + extra_len;
        let Some(name) = bytes.get(name_start..name_start + name_len) else {
            break;
        };
        // ZIP64 (large archives, and tools that write it for any entry): the sizes that do not
        // fit the header are in its extra field 0x0001, the original size first.
        let extra = bytes
            .get(name_start + name_len..data_start)
            .map(zip64_sizes)
            .unwrap_or_default();
        let zip64 = extra.is_some();
        if let Some(sizes) = extra
            && compressed == 0xFFFF_FFFF
        {
            let k = usize::from(u32_at(22) == 0xFFFF_FFFF);
            let Some(&size) = sizes.get(k) else {
                break;
            };
            compressed = usize::try_from(size).unwrap_or(usize::MAX);
        }
        let name = String::from_utf8_lossy(name).into_owned();
        let Some(rest) = bytes.get(data_start..) else {
            break;
        };
        let encrypted = flags & 1 != 0;
        let described = flags & 8 != 0;
        let mut crc = u32_at(14) as u32;
        if encrypted {
            // A streamed entry (`zip -P` writing to a pipe) has its size and CRC only in its
            // data descriptor, after the data, and in the central directory.
            if described
                && (compressed == 0 || crc == 0)
                && let Some(&(size, central_crc)) = central
                    .get_or_insert_with(|| central_directory(bytes))
                    .get(&at)
            {
                if compressed == 0 {
                    compressed = size;
                }
                crc = central_crc;
            }
            // Its size must be known, and its data whole: a password is checked against all
            // of it.
            let Some(raw) = rest.get(..compressed).filter(|_| compressed > 0) else {
                break;
            };
            let mut next = data_start + compressed;
            if described {
                let signed = bytes.get(next..next + 4) == Some(b"PK\x07\x08");
                next += 4 * usize::from(signed) + if zip64 { 20 } else { 12 };
            }
            let extra = bytes
                .get(name_start + name_len..data_start)
                .unwrap_or_default();
            let cipher = match (method, winzip_aes(extra)) {
                (99, Some((strength, method))) => Some((Cipher::Aes { strength }, method)),
                (0 | 8, _) => {
                    // With a data descriptor, the high byte of the time (Info-ZIP's `zip -P`
                    // writes one for every entry).
                    let check = if described {
                        (u16_at(10) >> 8) as u8
                    } else {
                        (u32_at(14) >> 24) as u8
                    };
                    Some((Cipher::ZipCrypto { check }, method as u16))
                }
                _ => None,
            };
            if let Some((cipher, method)) = cipher.filter(|_| !name.ends_with('/'))
                && let Some(data) = cx.open_entry(
                    SealedEntry {
                        cipher,
                        method,
                        crc,
                        data: raw.to_vec(),
                    },
                    depth,
                )
            {
                out.push(Entry { name, data });
            }
            if cx.budget == 0 || next <= at {
                break;
            }
            at = next;
            continue;
        }
        let budget = &mut cx.budget;
        // The entry's data and where the next header starts.
        let (data, next) = match method {
            0 if !described => {
                // Cut short (the archive's last bytes): as far as it goes.
                let raw = rest.get(..compressed).unwrap_or(rest);
                let take = raw.len().min(*budget);
                (raw[..take].to_vec(), data_start.saturating_add(compressed))
            }
            8 => {
                // Inflated up to what the budget allows; the stream's own end says where it
                // ends when the header does not (a data descriptor follows).
                let input = if described {
                    rest
                } else {
                    &rest[..compressed.min(rest.len())]
                };
                let mut z = flate2::bufread::DeflateDecoder::new(input);
                let mut data = Vec::new();
                let read = (&mut z).take(*budget as u64).read_to_end(&mut data);
                let used = z.total_in() as usize;
                if read.is_err() && data.is_empty() {
                    break;
                }
                let mut next = data_start + if described { used } else { compressed };
                if described {
                    // The descriptor: an optional signature, CRC, sizes (of 8 bytes each in
                    // ZIP64).
                    let signed = rest.get(used..used + 4) == Some(b"PK\x07\x08");
                    next += 4 * usize::from(signed) + if zip64 { 20 } else { 12 };
                }
                (data, next)
            }
            _ if described => break,
            _ => (Vec::new(), data_start + compressed),
        };
        *budget -= data.len().min(*budget);
        if !name.ends_with('/') {
            out.push(Entry { name, data });
        }
        if *budget == 0 || next <= at {
            break;
        }
        at = next;
    }
    out
}

/// The data of the extra field `wanted` among a local header's `extra` fields; `None`
/// without one, or when the fields before it run past the end.
fn extra_field(extra: &[u8], wanted: u16) -> Option<&[u8]> {
    let mut at = 0;
    while let Some(h) = extra.get(at..at + 4) {
        let (id, len) = (
            u16::from_le_bytes([h[0], h[1]]),
            usize::from(u16::from_le_bytes([h[2], h[3]])),
        );
        let data = extra.get(at + 4..at + 4 + len)?;
        if id == wanted {
            return Some(data);
        }
        at += 4 + len;
    }
    None
}

/// The compressed size and the CRC-32 of each entry of a ZIP archive's central directory, by
/// where its local header starts; empty when the archive has no end of central directory
/// record in its last 64 KiB (cut), or one that points outside it.
fn central_directory(bytes: &[u8]) -> FxHashMap<usize, (usize, u32)> {
    let mut out = FxHashMap::default();
    let tail = bytes.len().saturating_sub(22 + 0xFFFF);
    let Some(end) = memchr::memmem::rfind(&bytes[tail..], b"PK\x05\x06").map(|k| tail + k) else {
        return out;
    };
    let Some(e) = bytes.get(end..end + 22) else {
        return out;
    };
    let u16_in = |h: &[u8], k: usize| usize::from(u16::from_le_bytes([h[k], h[k + 1]]));
    let u32_in = |h: &[u8], k: usize| u32::from_le_bytes([h[k], h[k + 1], h[k + 2], h[k + 3]]);
    let count = u16_in(e, 10);
    let mut at = u32_in(e, 16) as usize;
    for _ in 0..count.min(MAX_ENTRIES) {
        let Some(h) = bytes
            .get(at..at + 46)
            .filter(|h| h.starts_with(b"PK\x01\x02"))
        else {
            break;
        };
        let (name_len, extra_len, comment_len) = (u16_in(h, 28), u16_in(h, 30), u16_in(h, 32));
        let extra = bytes
            .get(at + 46 + name_len..at + 46 + name_len + extra_len)
            .unwrap_or_default();
        let (mut compressed, mut offset) = (u64::from(u32_in(h, 20)), u64::from(u32_in(h, 42)));
        // ZIP64: the values that do not fit, in order (original size, compressed size, offset).
        if let Some(big) = zip64_sizes(extra) {
            let mut big = big.into_iter();
            if u32_in(h, 24) == u32::MAX {
                big.next();
            }
            if compressed == u64::from(u32::MAX) {
                compressed = big.next().unwrap_or(compressed);
            }
            if offset == u64::from(u32::MAX) {
                offset = big.next().unwrap_or(offset);
            }
        }
        if let (Ok(offset), Ok(compressed)) = (usize::try_from(offset), usize::try_from(compressed))
        {
            out.insert(offset, (compressed, u32_in(h, 16)));
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    out
}

/// The strength (1, 2, 3: AES-128, -192, -256) and the method of the data once decrypted of
/// a WinZip AES entry, from its extra field 0x9901.
fn winzip_aes(extra: &[u8]) -> Option<(u8, u16)> {
    let d = extra_field(extra, 0x9901)?.get(..7)?;
    (&d[2..4] == b"AE").then(|| (d[4], u16::from_le_bytes([d[5], d[6]])))
}

/// The 64-bit sizes of a ZIP64 extra field (id 1), in order (the original size, then the
/// compressed size, each there when the header's does not fit); `None` without one.
fn zip64_sizes(extra: &[u8]) -> Option<Vec<u64>> {
    Some(
        extra_field(extra, 1)?
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect(),
    )
}

/// The text of the archive or compressed file `bytes` (see the module documentation),
/// inflating at most `budget` bytes; and whether the budget ran out (what is left was not
/// read).
#[cfg(test)]
pub(crate) fn extract_archive_text(bytes: &[u8], budget: usize) -> (String, bool) {
    unpack_archive_text(bytes, &mut Unpack::without_passwords(budget))
}

/// [`extract_archive_text`] within `cx`'s budget, trying its passwords on encrypted entries,
/// and then those the text read gives.
pub(crate) fn unpack_archive_text(bytes: &[u8], cx: &mut Unpack<'_>) -> (String, bool) {
    let mut out = String::new();
    read_archive(bytes, cx, &mut out);
    read_unsealed(cx, &mut out);
    (out, cx.budget == 0)
}

/// Appends the text of the encrypted entries and files still sealed in `cx` that the
/// passwords labelled in `out`'s text open (the password mail of a mailbox, a `readme.txt` of
/// an archive).
pub(crate) fn read_unsealed(cx: &mut Unpack<'_>, out: &mut String) {
    for (depth, unsealed) in cx.open_with_text(out) {
        match unsealed {
            Unsealed::File(data) => {
                read_file(&data, depth, cx, out);
            }
            Unsealed::Files(files) => {
                for data in files {
                    read_file(&data, depth, cx, out);
                }
            }
            Unsealed::Pdf(bytes, key) => {
                read_pdf_with(&bytes, key, &mut cx.budget, out);
                out.push_str("\n\n");
            }
            Unsealed::Binary(streams) => read_binary(&streams, out),
        }
    }
}

/// Appends the text of a Word or Excel 97–2003 file's decrypted streams to `out`.
fn read_binary(streams: &Binary, out: &mut String) {
    match streams {
        Binary::Word { doc, table, data } => read_word_streams(doc, table, data, out),
        Binary::Workbook(stream) => read_workbook97(stream, out),
    }
}

/// Appends the text of the archive or compressed file `bytes` to `out`, inflating within
/// `cx`'s budget (what is left of it is returned in place).
pub(crate) fn read_archive(bytes: &[u8], cx: &mut Unpack<'_>, out: &mut String) {
    read_container(bytes, 0, cx, out);
}

/// The text of an archive or compressed file, `depth` levels inside others.
fn read_container(bytes: &[u8], depth: usize, cx: &mut Unpack<'_>, out: &mut String) {
    if is_zip(bytes) {
        let entries = entries(bytes, depth, cx);
        if entries.iter().any(|e| e.name == "xl/workbook.xml") {
            read_workbook(&entries, out);
            return;
        }
        if let Some(parts) = office_parts(&entries) {
            for part in parts {
                read_office_xml(&utf8_lossy(&part.data), out);
                out.push_str("\n\n");
            }
            return;
        }
        for e in entries {
            read_file(&e.data, depth, cx, out);
        }
    } else if is_7z(bytes) {
        let none = sevenz_rust2::Password::empty();
        match seven_zip_archive(bytes, &none) {
            Ok(archive) => {
                let (files, _) = seven_zip_files(bytes, &archive, (&none, false), &mut cx.budget);
                for data in files {
                    read_file(&data, depth, cx, out);
                }
                if archive.blocks.iter().any(seven_zip_sealed)
                    && let Some(files) = cx.open_seven_zip(bytes, depth)
                {
                    for data in files {
                        read_file(&data, depth, cx, out);
                    }
                }
            }
            // Its header encrypted too (`-mhe=on`).
            Err(sevenz_rust2::Error::PasswordRequired) => {
                if let Some(files) = cx.open_seven_zip(bytes, depth) {
                    for data in files {
                        read_file(&data, depth, cx, out);
                    }
                }
            }
            Err(_) => {
                for data in cut_seven_zip(bytes, &mut cx.budget) {
                    read_pieces(&data, SEVEN_ZIP_PIECE, depth, cx, out);
                }
            }
        }
    } else if is_rar(bytes) {
        let read = rar_files(bytes, &mut cx.budget);
        for data in read.files {
            read_file(&data, depth, cx, out);
        }
        if read.sealed
            && let Some(files) = cx.open_rar(bytes, read.key_cost, depth)
        {
            for data in files {
                read_file(&data, depth, cx, out);
            }
        }
    } else if is_gzip(bytes) || is_xz(bytes) || is_zstd(bytes) || is_bzip2(bytes) {
        let data = decompress(bytes, &mut cx.budget);
        read_file(&data, depth, cx, out);
    } else if is_sqlite(bytes) {
        read_sqlite(bytes, &mut cx.budget, out);
    } else if is_pdf(bytes) {
        match read_pdf(bytes, &mut cx.budget, out) {
            Pdf::Read => {}
            // Text that only quotes a PDF's header (a post about the format): read as text.
            Pdf::NoObjects => {
                read_text(bytes, out);
            }
            Pdf::Locked(lock) => {
                if let Some(key) = cx.open_pdf(lock, bytes, depth) {
                    read_pdf_with(bytes, key, &mut cx.budget, out);
                }
            }
            Pdf::Closed => cx.not_read(),
        }
    } else if is_rtf(bytes) {
        read_rtf(bytes, &mut cx.budget, out);
        out.push_str("\n\n");
    } else if is_tnef(bytes) {
        read_tnef(bytes, out, &mut |part, out| read_part(part, depth, cx, out));
    } else if let Some(file) = Compound::open(bytes) {
        match Office97::in_file(&file) {
            Some(Office97::Workbook) => {
                let stream = file.stream("Workbook").unwrap_or_default();
                if !workbook_is_encrypted(&stream) {
                    read_workbook97(&stream, out);
                } else if let Some(sealed) = SealedBinary::workbook(stream) {
                    if let Some(streams) = cx.open_binary(sealed, depth) {
                        read_binary(&streams, out);
                    }
                } else {
                    // XOR obfuscation.
                    cx.not_read();
                }
            }
            Some(Office97::Word) => match word_streams(&file) {
                Some((doc, table, data)) if word_encryption(&doc).is_some() => {
                    match SealedBinary::word(doc, table, data) {
                        Some(sealed) => {
                            if let Some(streams) = cx.open_binary(sealed, depth) {
                                read_binary(&streams, out);
                            }
                        }
                        None => cx.not_read(),
                    }
                }
                Some((doc, ..)) if word_is_obfuscated(&doc) => cx.not_read(),
                Some((doc, table, data)) => read_word_streams(&doc, &table, &data, out),
                None => {}
            },
            Some(Office97::Slides) => {
                if file
                    .stream("Current User")
                    .is_some_and(|user| slides_are_encrypted(&user))
                {
                    cx.not_read();
                } else {
                    read_slides(&file.stream("PowerPoint Document").unwrap_or_default(), out);
                }
            }
            Some(Office97::Message) => read_message(&file, out, &mut |part, out| {
                read_part(part, depth, cx, out);
            }),
            Some(Office97::Encrypted) => {
                let lock = file
                    .stream("EncryptionInfo")
                    .and_then(|info| OfficeLock::read(&info));
                match (lock, file.stream("EncryptedPackage")) {
                    (Some(lock), Some(package)) => {
                        if let Some(data) = cx.open_office(lock, package, depth) {
                            read_file(&data, depth, cx, out);
                        }
                    }
                    // Extensible or rights-management encryption, or a stream missing.
                    _ => cx.not_read(),
                }
            }
            None => {}
        }
    } else {
        for data in tar_entries(bytes) {
            read_file(data, depth, cx, out);
        }
    }
}

/// What a message (`.msg`, TNEF) hands back: an attachment's data read as a file, its
/// compressed RTF body inflated and read.
fn read_part(part: Part<'_>, depth: usize, cx: &mut Unpack<'_>, out: &mut String) {
    match part {
        Part::Attachment(data) => {
            read_file(data, depth, cx, out);
        }
        Part::CompressedRtf(data) => {
            if let Some(rtf) = uncompressed(data, cx.budget) {
                // Inflated up to the budget: cut there, and nothing more is read.
                let cut = rtf.len() >= cx.budget;
                read_rtf(&rtf, &mut cx.budget, out);
                if cut {
                    cx.budget = 0;
                }
            }
        }
    }
}

/// Files' data without their boundaries (a cut 7z archive's), read as files of about `piece`
/// bytes each, cut after a line's end; a piece left out as binary is read again in pieces of
/// a quarter of its size, down to a KiB, so that the text beside a binary file is kept.
fn read_pieces(data: &[u8], piece: usize, depth: usize, cx: &mut Unpack<'_>, out: &mut String) {
    let mut at = 0;
    while at < data.len() {
        let end = match data.get(at + piece..) {
            Some(rest) => memchr::memchr(b'\n', rest).map_or(data.len(), |k| at + piece + k + 1),
            None => data.len(),
        };
        let smallest = piece <= 1024;
        if !read_file_or_strings(&data[at..end], depth, cx, out, smallest) && !smallest {
            read_pieces(&data[at..end], piece / 4, depth, cx, out);
        }
        at = end;
    }
}

/// The text of one file of an archive (or of a compressed file): an archive inside read as
/// one, `MAX_DEPTH` levels deep at most; anything else decoded as a document is, a binary file
/// read for its text runs ([`crate::strings`]; not a picture, a sound, a video, a font, a
/// program, nor a few hundred bytes). Whether it was read (not left out as binary).
fn read_file(data: &[u8], depth: usize, cx: &mut Unpack<'_>, out: &mut String) -> bool {
    read_file_or_strings(data, depth, cx, out, true)
}

/// [`read_file`], with a binary file read for its text runs only when `strings` is set (a
/// piece of a cut archive is cut smaller first, so that the text files beside a binary one
/// are read as documents are, in their own encoding).
fn read_file_or_strings(
    data: &[u8],
    depth: usize,
    cx: &mut Unpack<'_>,
    out: &mut String,
    strings: bool,
) -> bool {
    if is_archive(data) {
        if depth + 1 < MAX_DEPTH {
            read_container(data, depth + 1, cx, out);
        }
        return true;
    }
    read_text(data, out)
        || (strings && read_binary_file(data, out) && {
            out.push('\n');
            true
        })
}

/// The text of a file that is not an archive: decoded as a document is, binary files left out.
/// Whether it was read (not left out as binary).
fn read_text(data: &[u8], out: &mut String) -> bool {
    let Ok(decoded) = decode(data, None, usize::MAX) else {
        return false;
    };
    if is_html(&decoded.text, None) {
        out.push_str(&extract_text(&decoded.text));
    } else {
        out.push_str(&decoded.text);
    }
    out.push_str("\n\n");
    true
}

/// A gzip, xz, Zstandard or bzip2 file decompressed, every member, stream or frame of it, as
/// far as it goes (a cut file gives what it holds) and within `budget` (what is left of it is
/// returned in place).
fn decompress(bytes: &[u8], budget: &mut usize) -> Vec<u8> {
    let limit = *budget as u64;
    let mut data = Vec::new();
    // A cut or corrupt stream ends the data where it breaks; what was read before stays.
    let _ = if is_gzip(bytes) {
        flate2::bufread::MultiGzDecoder::new(bytes)
            .take(limit)
            .read_to_end(&mut data)
    } else if is_xz(bytes) {
        liblzma::read::XzDecoder::new_multi_decoder(bytes)
            .take(limit)
            .read_to_end(&mut data)
    } else if is_bzip2(bytes) {
        // bzip2 decodes a block (100 to 900 kB) at a time: a cut file gives its whole blocks.
        bzip2::read::MultiBzDecoder::new(bytes)
            .take(limit)
            .read_to_end(&mut data)
    } else {
        match zstd::stream::read::Decoder::with_buffer(bytes) {
            Ok(z) => z.take(limit).read_to_end(&mut data),
            Err(e) => Err(e),
        }
    };
    *budget -= data.len().min(*budget);
    data
}

/// A 7z archive's header, read with `password` (empty: none) and a dictionary of at most
/// [`SEVEN_ZIP_MEMORY_KB`]. An encrypted header (`7z a -p -mhe=on`) needs the password: without it
/// the error is [`sevenz_rust2::Error::PasswordRequired`], with a wrong one the header does not
/// decode.
fn seven_zip_archive(
    bytes: &[u8],
    password: &sevenz_rust2::Password,
) -> Result<sevenz_rust2::Archive, sevenz_rust2::Error> {
    sevenz_rust2::Archive::read_with_memory_limit(
        &mut std::io::Cursor::new(bytes),
        password,
        SEVEN_ZIP_MEMORY_KB,
    )
}

/// Whether the block `block` of a 7z archive is encrypted (7-Zip's AES-256 coder).
fn seven_zip_sealed(block: &sevenz_rust2::Block) -> bool {
    seven_zip_key(block).is_some()
}

/// What an encrypted 7z block's key is derived from besides the password: the power of two of
/// its SHA-256 rounds and its salt (the IV, also in the coder's properties, does not change
/// the key). `None` for a block that is not encrypted.
fn seven_zip_key(block: &sevenz_rust2::Block) -> Option<(u8, &[u8])> {
    let coder = block
        .coders
        .iter()
        .find(|c| c.encoder_method_id() == sevenz_rust2::EncoderMethod::ID_AES256_SHA256)?;
    let p = coder.properties();
    let (b0, b1) = (*p.first()?, p.get(1).copied().unwrap_or(0));
    let salt = usize::from((b0 >> 7) + (b1 >> 4));
    Some((b0 & 63, p.get(2..2 + salt).unwrap_or_default()))
}

/// The most output an LZMA2 chunk gives.
const LZMA2_CHUNK: usize = 2 << 20;

/// Key derivations of 7-Zip's cost (2^19 rounds) one password's try on a 7z archive may
/// take: 7-Zip derives one key for all the blocks it writes at once, but a hostile archive
/// could give each of thousands of blocks a salt of its own, or ask for 2^24 rounds. A block
/// whose key would go beyond is left out.
const SEVEN_ZIP_KEY_WORK: u64 = 8;

/// The files of the 7z archive `bytes` (its header read as `archive`) in the blocks that are
/// encrypted (`sealed`) or those that are not, in order, inflated with `password` within
/// `budget` (what is left of it is returned in place); and whether one of them was read whole
/// and its CRC checked, or cut by the budget after more than an LZMA2 chunk of it (what tells a
/// right password from a wrong one). A block that fails to
/// decode (corrupt; encrypted and no or a wrong password) ends with the files read from it so
/// far, and the next block is read; the budget running out ends the archive.
fn seven_zip_files(
    bytes: &[u8],
    archive: &sevenz_rust2::Archive,
    (password, sealed): (&sevenz_rust2::Password, bool),
    budget: &mut usize,
) -> (Vec<Vec<u8>>, bool) {
    let mut files = Vec::new();
    let mut checked = false;
    let mut source = std::io::Cursor::new(bytes);
    let mut keys: Vec<(u8, &[u8])> = Vec::new();
    let mut work = 0;
    for (index, block) in archive.blocks.iter().enumerate() {
        let key = seven_zip_key(block);
        if key.is_some() != sealed {
            continue;
        }
        if files.len() >= MAX_ENTRIES || *budget == 0 {
            break;
        }
        if let Some(key) = key
            && !keys.contains(&key)
        {
            let cost = 1u64 << key.0.saturating_sub(19).min(32);
            if work + cost > SEVEN_ZIP_KEY_WORK {
                continue;
            }
            work += cost;
            keys.push(key);
        }
        // The scan has a thread per core already.
        let decoder = sevenz_rust2::BlockDecoder::new_with_memory_limit(
            1,
            SEVEN_ZIP_MEMORY_KB,
            index,
            archive,
            password,
            &mut source,
        );
        // LZMA2 checks each chunk's sizes (at most 2 MiB of output a chunk) at its end.
        let chunked = block
            .coders
            .iter()
            .any(|c| c.encoder_method_id() == sevenz_rust2::EncoderMethod::ID_LZMA2);
        // A decoding error ends the block; what was read before stays.
        let _ = decoder.for_each_entries(&mut |entry, r| {
            if files.len() >= MAX_ENTRIES || *budget == 0 {
                return Ok(false);
            }
            if !entry.has_stream() {
                return Ok(true);
            }
            let mut data = Vec::new();
            let read = r.take(*budget as u64).read_to_end(&mut data);
            *budget -= data.len().min(*budget);
            // A file read to its end has had its CRC checked by the reader. One the budget cut
            // cannot be, but more than a whole LZMA2 chunk of it decoded is as good a sign: a
            // wrong key's data does not decode to a chunk of the sizes its header gives.
            let whole = read.is_ok() && entry.has_crc && data.len() as u64 == entry.size();
            let long = read.is_ok() && chunked && data.len() > LZMA2_CHUNK && *budget == 0;
            checked |= whole || long;
            files.push(data);
            // Going on past the budget would decode the rest of this file (an archive
            // bomb's) to drain it.
            Ok(*budget > 0 && read.is_ok())
        });
        // An encrypted block that gave no file checked whole: a wrong password (or a corrupt
        // block), which the blocks after it are not decoded with.
        if sealed && !checked {
            break;
        }
    }
    (files, checked)
}

/// The files of the encrypted blocks of the 7z archive `bytes` (and of its encrypted header),
/// if `password` opens them: its header decodes with it (when encrypted), and one of its
/// encrypted files decodes whole to its CRC. Inflated within `budget`.
pub(crate) fn seven_zip_unlocked(
    bytes: &[u8],
    password: &[u8],
    budget: usize,
) -> Option<Vec<Vec<u8>>> {
    let password = sevenz_rust2::Password::from(std::str::from_utf8(password).ok()?);
    let archive = seven_zip_archive(bytes, &password).ok()?;
    let mut budget = budget;
    let (files, checked) = seven_zip_files(bytes, &archive, (&password, true), &mut budget);
    checked.then_some(files)
}

/// The data of a 7z archive whose header could not be read, as far as it goes within `budget`
/// (what is left of it is returned in place), a stream at a time: a 7z archive's header is at
/// its end, so one cut by a size cap or a broken download has none (and one asking for a
/// dictionary larger than [`SEVEN_ZIP_MEMORY_KB`] is not read through it), but 7-Zip packs
/// the files by default in solid LZMA2 streams (one a block; a file each when not solid) back
/// to back from the start header on, which are decoded here as far as they go, with a
/// dictionary no larger than the budget: the files' data, without their names. It stops at
/// data that is not LZMA2 (a stream's first chunk must reset the dictionary) and at a stream
/// that does not end (the cut).
fn cut_seven_zip(bytes: &[u8], budget: &mut usize) -> Vec<Vec<u8>> {
    let mut streams = Vec::new();
    let mut at = SEVEN_ZIP_START;
    while *budget > 0 && streams.len() < MAX_ENTRIES {
        // An uncompressed chunk (1) or an LZMA chunk (`111xxxxx`) that resets the dictionary.
        let Some(stream) = bytes
            .get(at..)
            .filter(|s| s.first().is_some_and(|&c| c == 1 || c >= 0xE0))
        else {
            break;
        };
        // The dictionary the archive was written with is in its header: one as large as what
        // may be read holds whatever the data refers back to.
        let dict = (*budget).clamp(4096, SEVEN_ZIP_MEMORY_KB * 1024 - 2 * 1024 * 1024);
        let Ok(mut options) = liblzma::stream::LzmaOptions::new_preset(0) else {
            break;
        };
        options.dict_size(u32::try_from(dict).unwrap_or(u32::MAX));
        let mut filters = liblzma::stream::Filters::new();
        filters.lzma2(&options);
        let Ok(raw) = liblzma::stream::Stream::new_raw_decoder(&filters) else {
            break;
        };
        let mut decoder = liblzma::read::XzDecoder::new_stream(stream, raw);
        let mut data = Vec::new();
        // A stream cut or corrupt ends where it breaks: what was decoded before stays.
        let read = (&mut decoder).take(*budget as u64).read_to_end(&mut data);
        let ended = read.is_ok() && data.len() < *budget;
        *budget -= data.len().min(*budget);
        let used = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
        if !data.is_empty() {
            streams.push(data);
        }
        if !ended || used == 0 {
            break;
        }
        at = at.saturating_add(used);
    }
    streams
}

/// The regular files of the tar archive `bytes`, in order, up to the first block that is not
/// a header (the archive's end, or a cut); the last one as far as it goes.
fn tar_entries(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while out.len() < MAX_ENTRIES {
        let Some(h) = bytes.get(at..at + BLOCK).filter(|h| tar_header_ok(h)) else {
            break;
        };
        let Some(size) = tar_number(&h[124..136]).and_then(|s| usize::try_from(s).ok()) else {
            break;
        };
        let data_start = at + BLOCK;
        let data =
            &bytes[data_start.min(bytes.len())..data_start.saturating_add(size).min(bytes.len())];
        // Regular files (`0`, old-style NUL, contiguous `7`); links, directories, devices and
        // the long-name and pax records that describe the next header are passed over.
        if matches!(h[156], b'0' | 0 | b'7') {
            out.push(data);
        }
        let Some(next) = size
            .checked_next_multiple_of(BLOCK)
            .and_then(|s| data_start.checked_add(s))
        else {
            break;
        };
        at = next;
    }
    out
}

/// The worksheets of a spreadsheet, rows as lines and cells apart by tabs.
fn read_workbook(entries: &[Entry], out: &mut String) {
    let text = |name: &str| {
        entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| utf8_lossy(&e.data).into_owned())
            .unwrap_or_default()
    };
    let strings = shared_strings(&text("xl/sharedStrings.xml"));
    let dates = date_styles(&text("xl/styles.xml"));
    let mut sheets: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.name.starts_with("xl/worksheets/") && e.name.ends_with(".xml"))
        .collect();
    sheets.sort_by(|a, b| a.name.cmp(&b.name));
    for sheet in sheets {
        read_sheet(&utf8_lossy(&sheet.data), &strings, &dates, out);
        out.push('\n');
    }
}

/// The parts of a word processor's document or a presentation that hold its text, in reading
/// order: a Word document's body (`.docx`: `word/document.xml`) then its headers, footers,
/// notes and comments; an OpenDocument file's content (`.odt`, `.ods`, `.odp`: `content.xml`);
/// a PowerPoint deck's slides (`.pptx`). `None` for other archives.
fn office_parts(entries: &[Entry]) -> Option<Vec<&Entry>> {
    let named = |f: &dyn Fn(&str) -> bool| -> Vec<&Entry> {
        let mut parts: Vec<&Entry> = entries.iter().filter(|e| f(&e.name)).collect();
        // `slide10` after `slide9`.
        parts.sort_by(|a, b| (a.name.len(), &a.name).cmp(&(b.name.len(), &b.name)));
        parts
    };
    if entries.iter().any(|e| e.name == "word/document.xml") {
        let mut parts = named(&|n| n == "word/document.xml");
        parts.extend(named(&|n| {
            let Some(file) = n.strip_prefix("word/") else {
                return false;
            };
            ["header", "footer", "footnotes", "endnotes", "comments"]
                .iter()
                .any(|p| file.starts_with(p))
                && file.ends_with(".xml")
        }));
        return Some(parts);
    }
    let opendocument = entries
        .iter()
        .any(|e| e.name == "mimetype" && e.data.starts_with(b"application/vnd.oasis.opendocument"));
    if opendocument {
        return Some(named(&|n| n == "content.xml"));
    }
    let slides = named(&|n| n.starts_with("ppt/slides/slide") && n.ends_with(".xml"));
    (!slides.is_empty()).then_some(slides)
}

/// An XML part's text: as it is when it is UTF-8 (checked with SIMD: the parts are large), else
/// with the bytes that are not replaced.
fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// What an element of an office document's XML stands for in its text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OfficeElement {
    /// A paragraph or a heading: a line, or inside a table cell a space.
    Paragraph,
    /// A table row: a line.
    Row,
    /// Ends a table cell.
    Cell,
    /// A tab character.
    Tab,
    /// A line break inside a paragraph.
    Break,
    /// ODF's run of spaces (`<text:s text:c="3"/>`).
    Spaces,
    /// Holds text (a run's text, an ODF paragraph or span).
    Text,
    /// Left out with its content: properties (tab stops are `<w:tab>` too), field codes, ruby
    /// readings (as HTML's `rt`: the base text stays whole), a drawing's fallback copy.
    Skipped,
    /// Anything else.
    Other,
}

fn office_element(name: &str) -> OfficeElement {
    use OfficeElement::*;
    match name {
        "w:p" | "a:p" | "text:p" | "text:h" => Paragraph,
        "w:tr" | "a:tr" | "table:table-row" => Row,
        "w:tc" | "a:tc" | "table:table-cell" | "table:covered-table-cell" => Cell,
        "w:tab" | "text:tab" => Tab,
        "w:br" | "w:cr" | "a:br" | "text:line-break" => Break,
        "text:s" => Spaces,
        "w:t" | "w:delText" | "a:t" | "text:span" | "text:a" | "text:ruby-base" => Text,
        "w:instrText" | "w:delInstrText" | "w:rt" | "text:ruby-text" | "mc:Fallback" => Skipped,
        _ if name.ends_with("Pr") && name.contains(':') => Skipped,
        _ => Other,
    }
}

/// The text of an office document's XML part (see [`office_parts`]): paragraphs and table
/// rows as lines, cells apart by tabs, the text of runs joined as written (a name split into
/// runs by formatting or by the spell checker reads whole).
fn read_office_xml(xml: &str, out: &mut String) {
    use OfficeElement::*;
    // The open elements with what each stands for (at most `MAX_OPEN`: deeper ones are read
    // as if not there), and how many of them are skipped ones and table cells.
    const MAX_OPEN: usize = 256;
    let mut open: Vec<(&str, OfficeElement)> = Vec::new();
    let (mut skipped, mut cells) = (0usize, 0usize);
    let mut rest = xml;
    while let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) {
        // Text between tags: kept inside a text element (`w:t`, or an ODF paragraph; not the
        // layout between a Word paragraph's runs).
        if skipped == 0
            && lt > 0
            && open
                .last()
                .is_some_and(|&(n, e)| e == Text || matches!(n, "text:p" | "text:h"))
        {
            unescape_into(&rest[..lt], out);
        }
        rest = &rest[lt + 1..];
        let Some(gt) = memchr::memchr(b'>', rest.as_bytes()) else {
            break;
        };
        let tag = &rest[..gt];
        rest = &rest[gt + 1..];
        match tag.as_bytes().first() {
            Some(b'?' | b'!') => continue,
            Some(b'/') => {
                let name = tag[1..].trim();
                // Close up to the element named (markup that is not well formed closes less).
                if let Some(k) = open.iter().rposition(|&(n, _)| n == name) {
                    while open.len() > k {
                        let element = open.pop().map_or(Other, |(_, e)| e);
                        match element {
                            Skipped => skipped -= 1,
                            Cell => cells -= 1,
                            _ => {}
                        }
                        if skipped == 0 {
                            close_office_element(element, cells > 0, out);
                        }
                    }
                }
                continue;
            }
            _ => {}
        }
        let empty = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag
            .bytes()
            .position(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .unwrap_or(tag.len());
        let name = &tag[..name_end];
        let element = office_element(name);
        if empty {
            if skipped > 0 {
                continue;
            }
            match element {
                Paragraph | Row | Cell => close_office_element(element, cells > 0, out),
                Break => out.push('\n'),
                Tab => out.push('\t'),
                Spaces => {
                    let n: usize = attribute(tag, "text:c")
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1);
                    out.extend(std::iter::repeat_n(' ', n.min(64)));
                }
                _ => {}
            }
            continue;
        }
        if open.len() == MAX_OPEN {
            continue;
        }
        match element {
            Skipped => skipped += 1,
            Cell => {
                cells += 1;
                // A spreadsheet's number that is a phone number without its leading 0: the
                // cell shows the number, and is given the 0 back (see `number_cell`).
                if skipped == 0
                    && attribute(tag, "office:value-type") == Some("float")
                    && let Some(v) = attribute(tag, "office:value")
                    && number_cell(v.to_owned()).len() > v.len()
                {
                    out.push('0');
                }
            }
            _ => {}
        }
        open.push((name, element));
    }
}

/// What ends a paragraph, a row or a cell: a line (a space for a paragraph inside a cell, so
/// that a row stays a line), or the tab after a cell.
fn close_office_element(element: OfficeElement, in_cell: bool, out: &mut String) {
    match element {
        OfficeElement::Paragraph if in_cell => out.push(' '),
        OfficeElement::Paragraph => out.push('\n'),
        OfficeElement::Row => {
            // Empty cells at a row's end (a spreadsheet's repeated ones) leave no tabs.
            out.truncate(out.trim_end_matches('\t').len());
            out.push('\n');
        }
        OfficeElement::Cell => {
            out.truncate(out.trim_end_matches(' ').len());
            out.push('\t');
        }
        _ => {}
    }
}

/// The elements named `name` in `xml`: each one's attributes and content (empty for `<x/>`).
fn elements<'a>(xml: &'a str, name: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    let (b, n) = (xml.as_bytes(), name.as_bytes());
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let start = at + memchr::memchr(b'<', b.get(at..)?)?;
            let after = start + 1 + n.len();
            if b.get(start + 1..after) != Some(n) {
                at = start + 1;
                continue;
            }
            // `<c` must not match `<col`: the name ends at a space, `>` or `/`.
            let next = b.get(after).copied()?;
            if !matches!(next, b' ' | b'>' | b'/' | b'\t' | b'\n' | b'\r') {
                at = after;
                continue;
            }
            let tag_end = after + memchr::memchr(b'>', &b[after..])?;
            let attributes = &xml[after..tag_end];
            if attributes.ends_with('/') {
                at = tag_end + 1;
                return Some((attributes, ""));
            }
            let content_end = closing_tag(b, tag_end + 1, n).unwrap_or(b.len());
            at = content_end;
            return Some((attributes, &xml[tag_end + 1..content_end]));
        }
    })
}

/// Where the first `</name>` at or after `from` starts.
fn closing_tag(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    loop {
        let lt = at + memchr::memchr(b'<', b.get(at..)?)?;
        let rest = &b[lt + 1..];
        if rest.first() == Some(&b'/')
            && rest[1..].starts_with(name)
            && rest.get(1 + name.len()) == Some(&b'>')
        {
            return Some(lt);
        }
        at = lt + 1;
    }
}

/// The value of the attribute `name` in `attributes` (`name="value"`).
fn attribute<'a>(attributes: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attributes;
    loop {
        let k = rest.find(name)?;
        let before_ok = k == 0 || rest.as_bytes()[k - 1].is_ascii_whitespace();
        let after = &rest[k + name.len()..];
        if before_ok && let Some(value) = after.strip_prefix("=\"") {
            return value.find('"').map(|e| &value[..e]);
        }
        rest = after;
    }
}

/// XML text with its five entities and numeric references decoded.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    unescape_into(s, &mut out);
    out
}

/// [`unescape`], appended to `out`.
fn unescape_into(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(k) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..k]);
        rest = &rest[k..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity.strip_prefix('#').and_then(|n| {
                let v = match n.strip_prefix(['x', 'X']) {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => n.parse().ok(),
                };
                v.and_then(char::from_u32)
            }),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// The text of a string item (`<si>`, `<is>`): its `<t>` runs, without the phonetic runs
/// (`<rPh>`, a Japanese cell's reading aid).
fn string_item(xml: &str) -> String {
    let mut text = String::new();
    let mut rest = xml;
    while let Some(k) = rest.find("<rPh") {
        for (_, t) in elements(&rest[..k], "t") {
            unescape_into(t, &mut text);
        }
        rest = rest[k..].find("</rPh>").map_or("", |e| &rest[k + e + 6..]);
    }
    for (_, t) in elements(rest, "t") {
        unescape_into(t, &mut text);
    }
    text
}

/// The shared strings of a workbook, by index.
fn shared_strings(xml: &str) -> Vec<String> {
    elements(xml, "si")
        .map(|(_, item)| string_item(item))
        .collect()
}

/// Which cell styles (by index into `cellXfs`) show a number as a date.
fn date_styles(xml: &str) -> Vec<bool> {
    let custom: Vec<(u32, bool)> = elements(xml, "numFmt")
        .filter_map(|(a, _)| {
            let id = attribute(a, "numFmtId")?.parse().ok()?;
            Some((id, is_date_format(&unescape(attribute(a, "formatCode")?))))
        })
        .collect();
    let Some((_, xfs)) = elements(xml, "cellXfs").next() else {
        return Vec::new();
    };
    elements(xfs, "xf")
        .map(|(a, _)| {
            let id: u32 = attribute(a, "numFmtId")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            match custom.iter().find(|(c, _)| *c == id) {
                Some(&(_, date)) => date,
                // Built-in date formats, with the Japanese locale's era and year formats.
                None => matches!(id, 14..=17 | 22 | 27..=36 | 50..=58),
            }
        })
        .collect()
}

/// Whether a custom number format shows a date: a `y`, `d`, `e` (era year) or `g` (era) outside
/// quoted text and brackets, and outside the keyword `General` (which old Excel files and
/// their writers define as a format of its own).
pub(crate) fn is_date_format(code: &str) -> bool {
    let code = code.replace("General", "").replace("general", "");
    let (mut quoted, mut bracket) = (false, false);
    code.chars().any(|c| {
        match c {
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            _ => {}
        }
        !quoted && !bracket && matches!(c.to_ascii_lowercase(), 'y' | 'd' | 'e' | 'g')
    })
}

/// A worksheet's rows as lines, cells apart by tabs.
fn read_sheet(xml: &str, strings: &[String], dates: &[bool], out: &mut String) {
    for (_, row) in elements(xml, "row") {
        let mut first = true;
        for (a, cell) in elements(row, "c") {
            let value = elements(cell, "v").next().map(|(_, v)| v);
            let text: Option<Cow<'_, str>> = match attribute(a, "t") {
                Some("s") => value
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .and_then(|i| strings.get(i))
                    .map(|s| Cow::Borrowed(s.as_str())),
                Some("inlineStr") => elements(cell, "is")
                    .next()
                    .map(|(_, i)| Cow::Owned(string_item(i))),
                Some("b" | "e") => None,
                // A formula's text.
                Some("str") => value.map(|v| Cow::Owned(unescape(v))),
                // A number: a date where the cell's style shows one, a phone number given back
                // its `0`.
                _ => value.map(|v| {
                    let v = unescape(v);
                    let style: usize = attribute(a, "s").and_then(|s| s.parse().ok()).unwrap_or(0);
                    Cow::Owned(match v.trim().parse::<f64>() {
                        Ok(n) if dates.get(style) == Some(&true) => serial_date(n).unwrap_or(v),
                        _ => number_cell(v),
                    })
                }),
            };
            if !first {
                out.push('\t');
            }
            first = false;
            // A cell's line breaks and tabs become spaces: a row stays a line.
            for (k, piece) in text
                .as_deref()
                .unwrap_or("")
                .split(['\n', '\r', '\t'])
                .enumerate()
            {
                if k > 0 {
                    out.push(' ');
                }
                out.push_str(piece);
            }
        }
        // Empty cells at a row's end (a form's boxes, drawn with borders) leave no tabs.
        out.truncate(out.trim_end_matches('\t').len());
        out.push('\n');
    }
}

/// A number cell's text as written, except a phone number typed into a spreadsheet without
/// quoting, which the spreadsheet keeps as a number and so without its leading `0`
/// (`9066828625` for `090-6682-8625`): a whole number of 9 digits (a landline's 10 without the
/// `0`), or of 10 starting `20`, `50`, `70`, `80` or `90` (a mobile's, IP phone's or M2M
/// line's 11), is given its `0` back. Other numbers of those lengths (an ID) then read as a
/// phone number that is nobody's.
pub(crate) fn number_cell(v: String) -> String {
    let b = v.as_bytes();
    let lost_zero = b.iter().all(u8::is_ascii_digit)
        && match b.len() {
            9 => b[0] != b'0',
            10 => matches!(b[0], b'2' | b'5' | b'7' | b'8' | b'9') && b[1] == b'0',
            _ => false,
        };
    if lost_zero { format!("0{v}") } else { v }
}

/// A spreadsheet's date serial number (days since 1899-12-30, with the 1900 leap-year bug of
/// its first 60 days) as `YYYY-MM-DD`, for the years a birth date may have (1868–2099).
pub(crate) fn serial_date(n: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&n) {
        return None;
    }
    let serial = n.floor() as i64;
    // Serial 60 is the 29 February 1900 that never was; before it, days are one later.
    let days = if serial < 60 { serial + 1 } else { serial } - UNIX_EPOCH_SERIAL;
    let d = fingerprints::normalize::Date::from_unix_days(days)?;
    Some(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
}

/// The date serial of 1970-01-01.
pub(crate) const UNIX_EPOCH_SERIAL: i64 = 25_569;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A ZIP archive of `files` (deflated, or stored with `stored`), as `zip` writes one.
    pub(crate) fn zip(files: &[(&str, &[u8])], stored: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data) in files {
            let body = if stored {
                data.to_vec()
            } else {
                let mut z =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                z.write_all(data).unwrap();
                z.finish().unwrap()
            };
            out.extend_from_slice(LOCAL);
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&(if stored { 0u16 } else { 8 }).to_le_bytes());
            out.extend_from_slice(&[0; 8]); // time, date, CRC (not checked)
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&body);
        }
        // A central directory's signature ends the entries.
        out.extend_from_slice(b"PK\x01\x02");
        out
    }

    /// A minimal workbook: one sheet with a header row and a row of `name`, a date serial in a
    /// date style, a phone number as text (or, all digits, as a number).
    pub(crate) fn workbook(name: &str, serial: u32, phone: &str) -> Vec<u8> {
        let phone = if phone.bytes().all(|b| b.is_ascii_digit()) {
            format!("<c r=\"C2\"><v>{phone}</v></c>")
        } else {
            format!("<c r=\"C2\" t=\"inlineStr\"><is><t>{phone}</t></is></c>")
        };
        let strings = format!(
            "<?xml version=\"1.0\"?><sst count=\"4\"><si><t>氏名</t></si><si><t>生年月日</t></si>\
             <si><r><t>{name}</t></r><rPh sb=\"0\" eb=\"2\"><t>ヤマグチ</t></rPh></si><si><t>電話&amp;番号</t></si></sst>"
        );
        let styles = "<styleSheet><numFmts count=\"1\"><numFmt numFmtId=\"176\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/></numFmts>\
             <cellXfs count=\"3\"><xf numFmtId=\"0\"/><xf numFmtId=\"176\"/><xf numFmtId=\"14\"/></cellXfs></styleSheet>";
        let sheet = format!(
            "<worksheet><cols><col min=\"1\"/></cols><sheetData>\
             <row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>3</v></c></row>\
             <row r=\"2\"><c r=\"A2\" t=\"s\"><v>2</v></c><c r=\"B2\" s=\"1\"><v>{serial}</v></c>\
             {phone}<c r=\"D2\"/></row></sheetData></worksheet>"
        );
        zip(
            &[
                ("[Content_Types].xml", b"<Types/>"),
                ("xl/workbook.xml", b"<workbook/>"),
                ("xl/styles.xml", styles.as_bytes()),
                ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
                ("xl/sharedStrings.xml", strings.as_bytes()),
            ],
            false,
        )
    }

    #[test]
    fn a_spreadsheet_reads_as_rows_of_cells() {
        let book = workbook("山口 大介", 25_099, "090-6682-8625");
        assert!(is_zip(&book));
        let (text, _) = extract_archive_text(&book, 1 << 20);
        assert_eq!(
            text,
            "氏名\t生年月日\t電話&番号\n山口 大介\t1968-09-18\t090-6682-8625\n\n"
        );
    }

    #[test]
    fn phone_numbers_kept_as_numbers_get_their_zero_back() {
        for (v, want) in [
            ("9066828625", "09066828625"),
            ("664123456", "0664123456"),
            ("5012345678", "05012345678"),
            ("120123456", "0120123456"),
            // Not phone numbers: other lengths, a fraction, a leading zero, other prefixes.
            ("1234", "1234"),
            ("12345678901", "12345678901"),
            ("1234567890", "1234567890"),
            ("9166828625", "9166828625"),
            ("90668286.5", "90668286.5"),
            ("066412345", "066412345"),
        ] {
            assert_eq!(number_cell(v.to_owned()), want, "{v}");
        }
    }

    #[test]
    fn date_serials() {
        for (serial, want) in [
            (1.0, "1900-01-01"),
            (59.0, "1900-02-28"),
            (61.0, "1900-03-01"),
            (25_099.0, "1968-09-18"),
            (25_569.0, "1970-01-01"),
            (36_526.5, "2000-01-01"),
            (45_658.0, "2025-01-01"),
        ] {
            assert_eq!(serial_date(serial).as_deref(), Some(want), "{serial}");
        }
        assert_eq!(serial_date(0.0), None);
        // Outside the years of a birth date: the number as written.
        assert_eq!(serial_date(2_958_465.0), None);
        assert_eq!(serial_date(f64::NAN), None);
        for (code, date) in [
            ("yyyy/m/d", true),
            ("[$-411]ggge\"年\"m\"月\"d\"日\"", true),
            ("0.00", false),
            ("h:mm", false),
            ("\"day\"0", false),
            ("[Red]0", false),
            ("General", false),
            ("General;[Red]-General", false),
        ] {
            assert_eq!(is_date_format(code), date, "{code}");
        }
    }

    #[test]
    fn an_archive_reads_as_its_files() {
        let csv = "氏名,生年月日\n山口 大介,1968-09-18\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(csv);
        let inner = zip(&[("b.csv", csv.as_bytes())], true);
        let archive = zip(
            &[
                ("dir/", b""),
                ("a.csv", &sjis),
                (
                    "page.html",
                    b"<html><body><p>\xE5\xB1\xB1\xE5\x8F\xA3</p></body></html>",
                ),
                ("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
                ("inner.zip", &inner),
            ],
            false,
        );
        let (text, _) = extract_archive_text(&archive, 1 << 20);
        assert_eq!(text.matches("山口 大介,1968-09-18").count(), 2, "{text}");
        assert!(text.contains("山口"), "{text}");
        assert!(!text.contains("PNG") && !text.contains("IHDR"), "{text}");
    }

    /// A tar archive of `files` (name, type flag, data), as GNU tar writes one, with its two
    /// zero blocks at the end.
    pub(crate) fn tar(files: &[(&str, u8, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, kind, data) in files {
            let mut h = [0u8; BLOCK];
            h[..name.len()].copy_from_slice(name.as_bytes());
            h[100..107].copy_from_slice(b"0000644");
            h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
            h[136..147].copy_from_slice(b"15000000000");
            h[156] = *kind;
            h[257..265].copy_from_slice(b"ustar  \0");
            h[148..156].copy_from_slice(b"        ");
            let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
            h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
            out.extend_from_slice(&h);
            out.extend_from_slice(data);
            out.resize(out.len().next_multiple_of(BLOCK), 0);
        }
        out.resize(out.len() + 2 * BLOCK, 0);
        out
    }

    /// `data` compressed with gzip.
    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn a_tar_gz_reads_as_its_files() {
        let csv = "氏名,生年月日\n山口 大介,1968-09-18\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(csv);
        let long = "backup/".repeat(20) + "members.csv";
        let pax = b"30 path=backup/customers.sql\n";
        let archive = tar(&[
            ("backup/", b'5', b""),
            ("././@LongLink", b'L', long.as_bytes()),
            ("backup/backup/backup/", b'0', &sjis),
            ("PaxHeaders/customers.sql", b'x', pax),
            (
                "customers.sql",
                b'0',
                "INSERT INTO c VALUES ('山口 大介','1968-09-18');\n".as_bytes(),
            ),
            ("link", b'2', b""),
            ("inner.zip", b'0', &zip(&[("b.csv", csv.as_bytes())], false)),
            ("image.png", b'0', b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        ]);
        assert!(is_tar(&archive) && is_archive(&archive));
        let (text, exhausted) = extract_archive_text(&gzip(&archive), 1 << 20);
        assert!(!exhausted);
        assert_eq!(text.matches("山口 大介,1968-09-18").count(), 2, "{text}");
        assert!(text.contains("('山口 大介','1968-09-18')"), "{text}");
        // The long name and the pax record describe the next file; they are not its text.
        assert!(
            !text.contains("backup/") && !text.contains("path="),
            "{text}"
        );
        assert!(!text.contains("PNG") && !text.contains("IHDR"), "{text}");
        // Without gzip, and a gzip file of one dump (`dump.sql.gz`), in two members.
        assert_eq!(extract_archive_text(&archive, 1 << 20).0, text);
        let mut two = gzip("INSERT INTO c VALUES ('山口',".as_bytes());
        two.extend(gzip("'大介');\n".as_bytes()));
        let (text, _) = extract_archive_text(&two, 1 << 20);
        assert_eq!(text, "INSERT INTO c VALUES ('山口','大介');\n\n\n");
    }

    #[test]
    fn zip64_entries_are_read() {
        // Sizes in the ZIP64 extra field (stored, and deflated with a data descriptor of 8-byte
        // sizes), as `zip -fz` and streaming writers write them.
        let stored = b"first,1\n";
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"second,2\n").unwrap();
        let deflated = z.finish().unwrap();
        let mut a = Vec::new();
        for (name, method, flags, body, size) in [
            ("a.csv", 0u16, 0u16, &stored[..], stored.len()),
            ("b.csv", 8, 8, &deflated[..], 0),
            ("c.csv", 0, 0, b"third,3\n", 8),
        ] {
            a.extend_from_slice(LOCAL);
            a.extend_from_slice(&45u16.to_le_bytes());
            a.extend_from_slice(&flags.to_le_bytes());
            a.extend_from_slice(&method.to_le_bytes());
            a.extend_from_slice(&[0; 8]); // time, date, CRC
            a.extend_from_slice(&[0xFF; 8]); // sizes: in the extra field
            a.extend_from_slice(&(name.len() as u16).to_le_bytes());
            a.extend_from_slice(&20u16.to_le_bytes());
            a.extend_from_slice(name.as_bytes());
            a.extend_from_slice(&1u16.to_le_bytes());
            a.extend_from_slice(&16u16.to_le_bytes());
            a.extend_from_slice(&(size as u64).to_le_bytes());
            a.extend_from_slice(&(size as u64).to_le_bytes());
            a.extend_from_slice(body);
            if flags & 8 != 0 {
                a.extend_from_slice(b"PK\x07\x08");
                a.extend_from_slice(&[0; 20]);
            }
        }
        a.extend_from_slice(b"PK\x01\x02");
        let (text, _) = extract_archive_text(&a, 1 << 20);
        assert_eq!(text, "first,1\n\n\nsecond,2\n\n\nthird,3\n\n\n");
        assert_eq!(
            zip64_sizes(&[1, 0, 8, 0, 7, 0, 0, 0, 0, 0, 0, 0]),
            Some(vec![7])
        );
        assert_eq!(zip64_sizes(&[9, 0, 0, 0]), None);
        assert_eq!(zip64_sizes(&[1, 0, 8]), None);
    }

    #[test]
    fn old_excel_workbooks_are_read_alone_and_in_archives() {
        let xls = include_bytes!("../tests/data/members.xls");
        let want = "山口 大介\tヤマグチ ダイスケ\t1968-09-18\t090-6682-8625\t1234\t12.5\n";
        assert!(is_archive(xls));
        assert!(extract_archive_text(xls, 1 << 20).0.contains(want));
        let backup = gzip(&tar(&[("backup/members.xls", b'0', xls)]));
        assert!(extract_archive_text(&backup, 1 << 20).0.contains(want));
        // Another compound file (a Word 97 document, an Outlook message) is not one.
        let mut doc = xls.to_vec();
        let at = doc
            .windows(18)
            .position(|w| w == b"W\0o\0r\0k\0b\0o\0o\0k\0\0\0")
            .expect("the stream's name");
        doc[at..at + 2].copy_from_slice(b"X\0");
        assert!(!is_archive(&doc));
    }

    #[test]
    fn xz_zstd_and_bzip2_files_are_read() {
        let dump = "INSERT INTO c VALUES ('山口 大介','1968-09-18');\n".repeat(50);
        let archive = tar(&[("backup/customers.sql", b'0', dump.as_bytes())]);
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(&archive).unwrap();
        let xz = xz.finish().unwrap();
        let zst = zstd::stream::encode_all(dump.as_bytes(), 3).unwrap();
        let bz2 = |data: &[u8]| {
            let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
            bz.write_all(data).unwrap();
            bz.finish().unwrap()
        };
        // Two streams one after the other, as `cat a.bz2 b.bz2` (and `pbzip2`) write them.
        let half = dump.len() / 2;
        let half = (half..).find(|&k| dump.is_char_boundary(k)).unwrap();
        let tar_bz2 = bz2(&archive);
        let sql_bz2 = [bz2(&dump.as_bytes()[..half]), bz2(&dump.as_bytes()[half..])].concat();
        for (form, bytes) in [
            ("tar.xz", &xz),
            ("sql.zst", &zst),
            ("tar.bz2", &tar_bz2),
            ("sql.bz2", &sql_bz2),
        ] {
            assert!(is_archive(bytes), "{form}");
            let (text, exhausted) = extract_archive_text(bytes, 1 << 20);
            assert!(!exhausted, "{form}");
            assert_eq!(text, format!("{dump}\n\n"), "{form}");
            // Cut anywhere: a prefix of the whole, no more (or, cut inside the tar's first
            // header, that prefix of its name, up to the first NUL, read as text).
            for cut in (0..bytes.len()).step_by(7) {
                let (text, _) = extract_archive_text(&bytes[..cut], 1 << 20);
                let text = text.trim_end();
                assert!(
                    dump.starts_with(text) || "backup/customers.sql".starts_with(text),
                    "{form} {cut}: {text}"
                );
            }
        }
        // A bomb stops at the budget.
        let zeros = vec![b'0'; 8 << 20];
        for bomb in [
            zstd::stream::encode_all(&zeros[..], 3).unwrap(),
            bz2(&zeros),
        ] {
            assert!(bomb.len() < 64 << 10);
            let (text, exhausted) = extract_archive_text(&bomb, 1 << 20);
            assert!(exhausted && text.len() <= (1 << 20) + 2);
        }
        // Text that starts with `BZh` is not taken for bzip2.
        assert!(is_bzip2(&tar_bz2) && !is_bzip2(b"BZh9 is a block size") && !is_bzip2(b"BZh"));
    }

    #[test]
    fn tar_headers_check_their_checksum() {
        let archive = tar(&[("a.csv", b'0', b"first,1\n")]);
        let h = &archive[..BLOCK];
        assert!(tar_header_ok(h));
        for k in [0, 10, 124, 150, 156, 300, 511] {
            let mut bad = h.to_vec();
            bad[k] ^= 0x01;
            assert!(!tar_header_ok(&bad), "byte {k} changed");
        }
        // A zero block (the archive's end), and text with digits where the checksum is.
        assert!(!tar_header_ok(&[0; BLOCK]));
        let mut text = "x".repeat(BLOCK).into_bytes();
        text[148..156].copy_from_slice(b"0123456 ");
        assert!(!is_tar(&text) && !is_tar(b"short"));
        for (field, n) in [
            (&b"0000012\0"[..], Some(10)),
            (b"     12 ", Some(10)),
            (b"\x80\0\0\0\0\0\0\0\0\0\x01\x00", Some(256)),
            (b"0009\0", None),
            (b"\0\0\0", None),
        ] {
            assert_eq!(tar_number(field), n, "{field:?}");
        }
    }

    #[test]
    fn a_cut_tar_gz_gives_what_it_holds_and_a_bomb_stops_at_the_budget() {
        let archive = gzip(&tar(&[
            ("a.csv", b'0', b"first,1\n"),
            ("b.csv", b'0', b"second,2\n"),
        ]));
        assert_cuts_give_what_they_hold(&archive);
        let zeros = vec![b'0'; 10 << 20];
        let bomb = gzip(&tar(&[("a.txt", b'0', &zeros), ("b.txt", b'0', &zeros)]));
        assert!(bomb.len() < 100 << 10);
        let (text, exhausted) = extract_archive_text(&bomb, 1 << 20);
        assert!(exhausted);
        assert!(text.len() <= (1 << 20) + 16, "{}", text.len());
        // Compressed files inside one another: read four levels deep, no deeper.
        let mut nested = b"level,0\n".to_vec();
        for _ in 0..100 {
            nested = gzip(&nested);
        }
        assert_eq!(extract_archive_text(&nested, 1 << 20).0, "");
        let mut nested = b"level,0\n".to_vec();
        for _ in 0..MAX_DEPTH {
            nested = gzip(&nested);
        }
        assert_eq!(extract_archive_text(&nested, 1 << 20).0, "level,0\n\n\n");
    }

    /// A Word document (`.docx`) whose body is `body` (inside `<w:body>`).
    pub(crate) fn docx(body: &str) -> Vec<u8> {
        let document = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
             <w:body>{body}<w:sectPr><w:pgSz w:w=\"11906\"/></w:sectPr></w:body></w:document>"
        );
        zip(
            &[
                ("[Content_Types].xml", b"<Types/>"),
                ("word/document.xml", document.as_bytes()),
                (
                    "word/footer1.xml",
                    "<w:ftr><w:p><w:r><w:t>社外秘</w:t></w:r></w:p></w:ftr>".as_bytes(),
                ),
                (
                    "word/styles.xml",
                    b"<w:styles><w:style><w:name w:val=\"x\"/></w:style></w:styles>",
                ),
            ],
            false,
        )
    }

    #[test]
    fn word_documents_read_as_their_text() {
        // A heading with tab stops; a table whose name cell is split into runs (the spell
        // checker's, a ruby reading over the family name) and holds the reading in a second
        // paragraph; a mail merge field's code; a deleted run (tracked changes keep it).
        let run = |t: &str| {
            format!("<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">{t}</w:t></w:r>")
        };
        let cell = |paragraphs: &[String]| {
            let ps: String = paragraphs
                .iter()
                .map(|p| format!("<w:p><w:pPr><w:jc w:val=\"left\"/></w:pPr>{p}</w:p>"))
                .collect();
            format!("<w:tc><w:tcPr><w:tcW w:w=\"2000\"/></w:tcPr>{ps}</w:tc>")
        };
        let ruby = "<w:r><w:ruby><w:rubyPr><w:rubyAlign w:val=\"center\"/></w:rubyPr><w:rt><w:r><w:t>やまぐち</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>山口</w:t></w:r></w:rubyBase></w:ruby></w:r>";
        let body = format!(
            "<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"840\"/></w:tabs></w:pPr>{}<w:r><w:tab/></w:r>{}</w:p>\
             <w:tbl><w:tblPr><w:tblW w:w=\"0\"/></w:tblPr>\
             <w:tr>{}{}</w:tr>\
             <w:tr>{}{}</w:tr></w:tbl>\
             <w:p>{}<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText> MERGEFIELD 電話 </w:instrText></w:r>{}</w:p>\
             <w:p><w:del><w:r><w:delText>090-6682-8625</w:delText></w:r></w:del><w:r><w:br/></w:r>{}</w:p>",
            run("会員名簿"),
            run("2024年度"),
            cell(&[run("氏名")]),
            cell(&[run("生年月日")]),
            cell(&[
                format!("{ruby}{}", run(" 大") + &run("介")),
                run("ヤマグチ ダイスケ")
            ]),
            cell(&[run("1968年9月18日")]),
            run("電話: "),
            run("06-1234-5678"),
            run("&lt;以上&gt;"),
        );
        let book = docx(&body);
        let (text, _) = extract_archive_text(&book, 1 << 20);
        assert_eq!(
            text,
            "会員名簿\t2024年度\n氏名\t生年月日\n山口 大介 ヤマグチ ダイスケ\t1968年9月18日\n\
             電話: 06-1234-5678\n090-6682-8625\n<以上>\n\n\n社外秘\n\n\n"
        );
    }

    #[test]
    fn opendocument_files_and_slides_read_as_their_text() {
        let odt = zip(
            &[
                ("mimetype", b"application/vnd.oasis.opendocument.text"),
                (
                    "content.xml",
                    "<office:document-content><office:body><office:text>\
                     <text:h text:outline-level=\"1\">名簿</text:h>\
                     <text:p text:style-name=\"P1\">山口<text:s/><text:span text:style-name=\"T1\">大介</text:span>\
                     <text:tab/>1968/09/18<text:line-break/>〒660-0051<text:s text:c=\"2\"/>兵庫県</text:p>\
                     <text:p><text:ruby><text:ruby-base>前田</text:ruby-base><text:ruby-text>まえだ</text:ruby-text></text:ruby></text:p>\
                     </office:text></office:body></office:document-content>"
                        .as_bytes(),
                ),
            ],
            false,
        );
        assert_eq!(
            extract_archive_text(&odt, 1 << 20).0,
            "名簿\n山口 大介\t1968/09/18\n〒660-0051  兵庫県\n前田\n\n\n"
        );
        let ods = zip(
            &[
                ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
                (
                    "content.xml",
                    "<office:spreadsheet><table:table table:name=\"顧客\">\
                     <table:table-row><table:table-cell office:value-type=\"string\"><text:p>山口 大介</text:p></table:table-cell>\
                     <table:table-cell office:value-type=\"date\" office:date-value=\"1968-09-18\"><text:p>1968/9/18</text:p></table:table-cell>\
                     <table:table-cell office:value-type=\"float\" office:value=\"9066828625\"><text:p>9066828625</text:p></table:table-cell>\
                     <table:table-cell office:value-type=\"float\" office:value=\"1234\"><text:p>1234</text:p></table:table-cell>\
                     <table:table-cell table:number-columns-repeated=\"1000\"/></table:table-row>\
                     <table:table-row table:number-rows-repeated=\"1048000\"><table:table-cell/></table:table-row>\
                     </table:table></office:spreadsheet>"
                        .as_bytes(),
                ),
            ],
            false,
        );
        assert_eq!(
            extract_archive_text(&ods, 1 << 20).0,
            "山口 大介\t1968/9/18\t09066828625\t1234\n\n\n\n"
        );
        let slide = |t: &str| {
            format!(
                "<p:sld><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/><a:p><a:r><a:rPr lang=\"ja-JP\"/><a:t>{t}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
            )
        };
        let pptx = zip(
            &[
                ("ppt/slides/slide10.xml", slide("十").as_bytes()),
                ("ppt/slides/slide9.xml", slide("九").as_bytes()),
                ("ppt/presentation.xml", b"<p:presentation/>"),
            ],
            false,
        );
        assert_eq!(extract_archive_text(&pptx, 1 << 20).0, "九\n\n\n十\n\n\n");
    }

    #[test]
    fn hostile_office_documents_are_bounded() {
        // Elements nested a million deep, closed in the wrong order, unclosed, tags cut.
        let deep = format!(
            "{}<w:p><w:r><w:t>山口</w:t></w:r></w:p>{}<w:p><w:t>x",
            "<w:tc><w:rPr>".repeat(500_000),
            "</w:tc></w:x></w:rPr>".repeat(500_000)
        );
        let start = std::time::Instant::now();
        let mut out = String::new();
        read_office_xml(&deep, &mut out);
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        assert!(out.len() < deep.len());
        for cut in [
            "<w:t>a</w:t",
            "<w:t",
            "<",
            "</",
            "<w:p/",
            "&amp",
            "<w:t>&#xFFFFFFFF;</w:t>",
        ] {
            let mut out = String::new();
            read_office_xml(cut, &mut out);
        }
    }

    #[test]
    fn seven_zip_archives_read_as_their_files() {
        use fingerprints::leaks::seven_zip;
        let book = workbook("山口 大介", 25_099, "090-6682-8625");
        let dump = gzip(b"INSERT INTO t VALUES ('x');\n");
        let archive = seven_zip(&[
            ("a.csv", b"first,1\n"),
            ("b/c.csv", b"second,2\n"),
            ("b/d.xlsx", &book),
            ("empty.txt", b""),
            ("e.sql.gz", &dump),
        ]);
        assert!(is_7z(&archive) && is_archive(&archive));
        let (text, exhausted) = extract_archive_text(&archive, 1 << 20);
        assert!(!exhausted);
        assert_eq!(
            text,
            "first,1\n\n\nsecond,2\n\n\n\
             氏名\t生年月日\t電話&番号\n山口 大介\t1968-09-18\t090-6682-8625\n\n\
             INSERT INTO t VALUES ('x');\n\n\n"
        );
        // Cut anywhere (its header, at the end, lost): the files' data as far as it goes.
        let two = seven_zip(&[("a.csv", b"first,1\n"), ("b.csv", b"second,2\n")]);
        assert_cuts_give_what_they_hold(&two);
        let (text, _) = extract_archive_text(&two[..two.len() - 1], 1 << 20);
        assert_eq!(text, "first,1\nsecond,2\n\n\n");
        // Not 7z: text that starts like one, and a cut archive whose data is not LZMA2.
        let mut other = two.clone();
        other[SEVEN_ZIP_START] = 0x80;
        assert_eq!(
            extract_archive_text(&other[..other.len() - 1], 1 << 20).0,
            ""
        );
        assert!(!is_7z(b"7z archives") && !is_7z(b"7z\xBC\xAF"));
    }

    #[test]
    fn an_archive_7zip_wrote_is_read_whole_and_cut() {
        // 7-Zip 25.01 (`7zz a members-7zip.7z members.csv members.xls`, its defaults: one solid
        // LZMA2 block, the header compressed): a Shift_JIS CSV of 202 lines and the Excel 97
        // workbook above.
        let archive = include_bytes!("../tests/data/members-7zip.7z");
        let csv_row = "山口 大介,1968-09-18,090-6682-8625";
        let xls_row = "山口 大介\tヤマグチ ダイスケ\t1968-09-18\t090-6682-8625\t1234\t12.5\n";
        let (text, exhausted) = extract_archive_text(archive, 1 << 20);
        assert!(
            !exhausted && text.contains(csv_row) && text.contains(xls_row),
            "{text}"
        );
        assert_eq!(text.matches(",19").count(), 201);
        // Its header lost: the CSV read up to the piece the workbook starts in.
        let (text, _) = extract_archive_text(&archive[..archive.len() - 200], 1 << 20);
        assert!(text.contains(csv_row), "{text}");
        assert!(text.matches(",19").count() >= 170, "{text}");
    }

    #[test]
    fn a_seven_zip_archive_packed_with_ppmd_is_read() {
        // 7-Zip 25.01, `7zz a -m0=PPMd members-ppmd.7z members.csv`.
        let archive = include_bytes!("../tests/data/7z/members-ppmd.7z");
        let (text, _) = extract_archive_text(archive, 1 << 20);
        assert!(
            text.starts_with("氏名,フリガナ,生年月日,住所,電話番号\n"),
            "{text}"
        );
        assert!(
            text.contains("山口 大介,ヤマグチ ダイスケ,1968-09-18,"),
            "{text}"
        );
    }

    #[test]
    fn a_seven_zip_bomb_stops_at_the_budget_and_a_cut_one_keeps_its_text_files() {
        use fingerprints::leaks::seven_zip;
        let zeros = vec![b'0'; 3 << 20];
        let bomb = seven_zip(&[("a.txt", &zeros), ("b.txt", &zeros)]);
        assert!(bomb.len() < 16 << 10);
        for bomb in [&bomb[..], &bomb[..bomb.len() - 1]] {
            let (text, exhausted) = extract_archive_text(bomb, 1 << 20);
            assert!(exhausted && text.len() <= (1 << 20) + 16, "{}", text.len());
        }
        // Cut before its header, a solid archive's text files are read around a binary one
        // (the pieces the spreadsheet is in are left out).
        let rows = |tag: &str| -> String {
            (0..2000)
                .map(|i| format!("{tag}{i:05},山口 大介,1968-09-18\n"))
                .collect()
        };
        let (a, c) = (rows("a"), rows("c"));
        let book = workbook("山口 大介", 25_099, "090-6682-8625");
        let archive = seven_zip(&[
            ("a.csv", a.as_bytes()),
            ("b.xlsx", &book),
            ("c.csv", c.as_bytes()),
        ]);
        let (text, _) = extract_archive_text(&archive[..archive.len() - 1], 1 << 20);
        let read = |tag: &str| text.lines().filter(|l| l.starts_with(tag)).count();
        assert!(
            read("a") >= 1950 && read("c") >= 1950,
            "{} {}",
            read("a"),
            read("c")
        );
        assert!(text.contains("a00000,") && text.contains("c01999,"));
        // Not solid (a stream a file, back to back): every stream up to the cut, the
        // spreadsheet's read as one.
        let mut w = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).unwrap();
        for (name, data) in [
            ("a.csv", a.as_bytes()),
            ("b.xlsx", &book),
            ("c.csv", c.as_bytes()),
        ] {
            w.push_archive_entry(sevenz_rust2::ArchiveEntry::new_file(name), Some(data))
                .unwrap();
        }
        let apart = w.finish().unwrap().into_inner();
        let (text, _) = extract_archive_text(&apart[..apart.len() - 1], 1 << 20);
        let read = |tag: &str| text.lines().filter(|l| l.starts_with(tag)).count();
        assert_eq!((read("a"), read("c")), (2000, 2000));
        assert!(
            text.contains("山口 大介\t1968-09-18\t090-6682-8625"),
            "{text}"
        );
        // Cut inside the last stream: the others whole, that one as far as it goes.
        let (text, _) = extract_archive_text(&apart[..apart.len() * 9 / 10], 1 << 20);
        let read = |tag: &str| text.lines().filter(|l| l.starts_with(tag)).count();
        assert!(
            read("a") == 2000 && (1..2000).contains(&read("c")),
            "{}",
            read("c")
        );
    }

    /// `archive` (of `a.csv` holding `first,1` and `b.csv` holding `second,2`) cut anywhere
    /// gives the entries it holds, the last one as far as it goes; cut before a tar's first
    /// header's first NUL, what was inflated of the header reads as text.
    fn assert_cuts_give_what_they_hold(archive: &[u8]) {
        for cut in 0..archive.len() {
            let (text, _) = extract_archive_text(&archive[..cut], 1 << 20);
            if "a.csv".starts_with(text.trim_end()) {
                continue;
            }
            let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
            let whole = ["first,1", "second,2"];
            assert!(
                lines.len() <= 2 && lines.iter().zip(whole).all(|(l, w)| w.starts_with(l)),
                "{cut}: {text}"
            );
        }
    }

    #[test]
    fn a_bomb_stops_at_the_budget_and_a_cut_archive_gives_what_it_holds() {
        let zeros = vec![b'0'; 10 << 20];
        let bomb = zip(&[("a.txt", &zeros), ("b.txt", &zeros)], false);
        assert!(bomb.len() < 100 << 10);
        let (text, _) = extract_archive_text(&bomb, 1 << 20);
        assert!(text.len() <= (1 << 20) + 16, "{}", text.len());
        let archive = zip(&[("a.csv", b"first,1\n"), ("b.csv", b"second,2\n")], false);
        let stored = zip(&[("a.csv", b"first,1\n"), ("b.csv", b"second,2\n")], true);
        // Cut anywhere: the entries it holds, the last one as far as it goes.
        assert_cuts_give_what_they_hold(&stored);
        let (text, _) = extract_archive_text(&stored[..stored.len() - 5], 1 << 20);
        assert!(text.contains("second,2"), "{text}");
        assert_cuts_give_what_they_hold(&archive);
        let (text, _) = extract_archive_text(&archive, 1 << 20);
        assert_eq!(text, "first,1\n\n\nsecond,2\n\n\n");
    }
}
