//! The text runs of a binary file of no format the matcher reads, as `strings` prints them,
//! Japanese text included: a database's data file (MySQL's `.ibd`, PostgreSQL's heap files,
//! an Access `.mdb`, an SQL Server backup), a store of mail, a disk or memory image. Such files
//! keep the text of their rows as it was written, between binary lengths, numbers and pointers.
//!
//! Runs are looked for in UTF-8 and in UTF-16 little-endian, at even and at odd offsets (SQL
//! Server's `nvarchar`, Access, Windows). A run is a stretch of text characters; it is kept when
//! it has [`MIN_WEIGHT`]: an ASCII letter or digit weighs 1, a kana, kanji or full-width form 3,
//! anything else nothing. A UTF-16 run is made of characters Japanese text uses (see
//! [`is_utf16_text`]), and has three of them at least or six ASCII letters and digits (see
//! [`Utf16Tally::keeps`]).
//! Runs are also looked for in Shift_JIS and EUC-JP, the charsets Japanese files were
//! written in before Unicode (see [`legacy`]), except over the bytes of a UTF-8 run of
//! Japanese text. Such a run reads the ASCII around its Japanese text too, and a UTF-8 run
//! inside it with no kana or kanji is left out. Each run kept is a line of the text, in the
//! order of the file.
//!
//! The same bytes may read as text two ways: UTF-16 Japanese is ASCII text too where both
//! bytes of its units are printable (`松渡` is `~g!n`), and at the other parity it is other
//! ideographs. No reading is known to be the right one, so runs of both are kept (the wrong
//! reading's characters are noise, names of no one), with one exception: ASCII text read as
//! UTF-16 is mostly ideographs (`ya` is U+6179), and a UTF-16 run made only of such units
//! over the bytes of a UTF-8 run is left out.

use std::ops::Range;

use legacy::{Legacy, read_legacy};

mod legacy;

/// The weight a run needs to be kept: six ASCII letters or digits (a phone number, a postal
/// code, an e-mail address), or two kana or kanji (a family name in a cell of its own).
/// Random bytes rarely give that: a printable ASCII byte is one in three, a valid three-byte
/// UTF-8 character one in a few thousand positions.
const MIN_WEIGHT: u32 = 6;

/// How a run's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Utf8,
    Utf16,
    Legacy(Legacy),
}

/// A run found: its bytes, its reading, for UTF-16 whether all its units have the shape
/// ASCII text read as UTF-16 gives (see [`Utf16Tally`]), and for UTF-8 how many kana, kanji
/// and full-width characters it has.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    bytes: Range<usize>,
    reading: Reading,
    ascii_shaped: bool,
    wide: u32,
}

/// Binary files shorter than this are left out: a header cut short (a tar archive's first
/// block, cut inside it), a small marker or index file, not a table of records.
const MIN_FILE_BYTES: usize = 512;

/// Appends the text runs of the binary file `bytes` to `out` ([`read_strings`]), unless it is
/// a picture, a sound, a video, a font or a program ([`is_media`]) or shorter than
/// [`MIN_FILE_BYTES`]. Whether any was found.
pub(crate) fn read_binary_file(bytes: &[u8], out: &mut String) -> bool {
    bytes.len() >= MIN_FILE_BYTES && !is_media(bytes) && read_strings(bytes, out)
}

/// Whether `bytes` is a picture, a sound, a video, a font or a program: compressed data or
/// code, whose text runs are noise (and a picture's or a program's words are no one's
/// record), so it is skipped as binary rather than read.
fn is_media(bytes: &[u8]) -> bool {
    const SIGNATURES: &[&[u8]] = &[
        b"\xFF\xD8\xFF",     // JPEG
        b"\x89PNG\r\n",      // PNG
        b"GIF8",             // GIF
        b"RIFF",             // WebP, WAV, AVI
        b"OggS",             // Ogg
        b"fLaC",             // FLAC
        b"ID3",              // MP3 with a tag
        b"\x1A\x45\xDF\xA3", // Matroska, WebM
        b"II*\0",            // TIFF
        b"MM\0*",            // TIFF
        b"wOFF",             // WOFF
        b"wOF2",             // WOFF2
        b"OTTO",             // OpenType
        b"\0\x01\0\0",       // TrueType
        b"\x7FELF",          // Linux programs and libraries
        b"MZ",               // Windows programs and libraries
        b"\xCF\xFA\xED\xFE", // macOS programs
        b"\xCA\xFE\xBA\xBE", // macOS universal programs, Java classes
        b"\0asm",            // WebAssembly
    ];
    SIGNATURES.iter().any(|s| bytes.starts_with(s))
        // MP4, QuickTime, HEIC: a box of type `ftyp` first.
        || bytes.get(4..8) == Some(b"ftyp")
}

/// Appends the text runs of `bytes` to `out`, a line each, in the order of the file. Whether
/// any was found.
fn read_strings(bytes: &[u8], out: &mut String) -> bool {
    let mut utf8 = utf8_runs(bytes);
    let mut kept = utf16_runs(bytes, 0);
    kept.extend(utf16_runs(bytes, 1));
    let utf8_bytes: Vec<Range<usize>> = utf8.iter().map(|r| r.bytes.clone()).collect();
    kept.retain(|r| !(r.ascii_shaped && overlaps_any(&utf8_bytes, &r.bytes)));
    // Two kana or kanji in valid UTF-8 are rarely there by chance: such a run is UTF-8, and
    // its bytes are not read again in a legacy charset.
    let japanese: Vec<Range<usize>> = utf8
        .iter()
        .filter(|r| r.wide >= 2)
        .map(|r| r.bytes.clone())
        .collect();
    let [sjis, euc] = [Legacy::ShiftJis, Legacy::EucJp].map(|c| (c, read_legacy(bytes, c)));
    // The charset that reads more Japanese text in the file is taken where both read it.
    let (first, second) = if sjis.1.evidence >= euc.1.evidence {
        (sjis, euc)
    } else {
        (euc, sjis)
    };
    let runs = |charset: Legacy, runs: Vec<Range<usize>>, other: &[Range<usize>]| {
        runs.into_iter()
            .filter(|r| !overlaps_any(&japanese, r) && !overlaps_any(other, r))
            .map(move |bytes| Run {
                bytes,
                reading: Reading::Legacy(charset),
                ascii_shaped: false,
                wide: 0,
            })
            .collect::<Vec<_>>()
    };
    let mut legacy = runs(first.0, first.1.runs, &[]);
    legacy.extend(runs(second.0, second.1.runs, &first.1.stretches));
    if !legacy.is_empty() {
        legacy.sort_unstable_by_key(|r| r.bytes.start);
        let read = union(&legacy);
        utf8.retain(|r| r.wide > 0 || !inside_any(&read, &r.bytes));
    }
    kept.extend(utf8);
    kept.extend(legacy);
    kept.sort_unstable_by_key(|r| r.bytes.start);
    for run in &kept {
        match run.reading {
            Reading::Legacy(charset) => {
                // Every character of the run was checked as it was read.
                let (text, _) = charset
                    .encoding()
                    .decode_without_bom_handling(&bytes[run.bytes.clone()]);
                out.push_str(&text);
            }
            Reading::Utf8 => {
                // Every character of the run was checked as it was read.
                out.push_str(&String::from_utf8_lossy(&bytes[run.bytes.clone()]));
            }
            Reading::Utf16 => {
                let units = bytes[run.bytes.clone()]
                    .chunks_exact(2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]));
                out.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')));
            }
        }
        out.push('\n');
    }
    !kept.is_empty()
}

/// Whether `bytes` overlaps one of `runs` (sorted by their start, none overlapping another)
/// by more than a UTF-16 unit's bytes at an end.
fn overlaps_any(runs: &[Range<usize>], bytes: &Range<usize>) -> bool {
    let first = runs.partition_point(|r| r.end <= bytes.start);
    runs[first..]
        .iter()
        .take_while(|r| r.start < bytes.end)
        .any(|r| r.end.min(bytes.end) > r.start.max(bytes.start) + 2)
}

/// The union of `runs` (sorted by their start; they may overlap) as ranges sorted by their
/// start, none overlapping another.
fn union(runs: &[Run]) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(runs.len());
    for r in runs {
        match merged.last_mut() {
            Some(last) if r.bytes.start <= last.end => last.end = last.end.max(r.bytes.end),
            _ => merged.push(r.bytes.clone()),
        }
    }
    merged
}

/// Whether `bytes` lies inside one of `ranges` (sorted by their start, none overlapping
/// another).
fn inside_any(ranges: &[Range<usize>], bytes: &Range<usize>) -> bool {
    let after = ranges.partition_point(|r| r.start <= bytes.start);
    after > 0 && ranges[after - 1].end >= bytes.end
}

/// The weight of a character in a run (see [`MIN_WEIGHT`]).
fn weight(c: char) -> u32 {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => 1,
        // Kana, CJK ideographs (extension A, the unified block, compatibility ones, and those
        // beyond the BMP), full-width letters and digits, half-width katakana.
        '\u{3041}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF10}'..='\u{FF19}'
        | '\u{FF21}'..='\u{FF3A}'
        | '\u{FF41}'..='\u{FF5A}'
        | '\u{FF66}'..='\u{FF9F}'
        | '\u{20000}'..='\u{3FFFF}' => 3,
        _ => 0,
    }
}

/// Whether `c` may be part of a run: printable, or a tab.
fn is_text(c: char) -> bool {
    // U+FFF0 to U+FFFF: specials and noncharacters, the replacement character among them.
    c == '\t' || !(c.is_control() || ('\u{FFF0}'..='\u{FFFF}').contains(&c))
}

/// Pushes the run of UTF-8 text `bytes` to `runs` when it weighs enough; `wide` of its
/// characters weigh 3.
fn keep_utf8(runs: &mut Vec<Run>, bytes: Range<usize>, (weight, wide): (u32, u32)) {
    if weight >= MIN_WEIGHT {
        runs.push(Run {
            bytes,
            reading: Reading::Utf8,
            ascii_shaped: false,
            wide,
        });
    }
}

/// The runs of UTF-8 text in `bytes`: its valid stretches (std's `utf8_chunks`), cut at
/// every character that is not text and at every invalid sequence.
fn utf8_runs(bytes: &[u8]) -> Vec<Run> {
    let mut runs = Vec::new();
    let (mut start, mut w) = (0, (0, 0));
    let mut at = 0;
    for chunk in bytes.utf8_chunks() {
        for (i, c) in chunk.valid().char_indices() {
            if is_text(c) {
                let cw = weight(c);
                w = (w.0 + cw, w.1 + u32::from(cw == 3));
            } else {
                keep_utf8(&mut runs, start..at + i, w);
                (start, w) = (at + i + c.len_utf8(), (0, 0));
            }
        }
        at += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            keep_utf8(&mut runs, start..at, w);
            at += chunk.invalid().len();
            (start, w) = (at, (0, 0));
        }
    }
    keep_utf8(&mut runs, start..bytes.len(), w);
    runs
}

/// The runs of UTF-16 little-endian text in `bytes`, its units starting at `parity`.
fn utf16_runs(bytes: &[u8], parity: usize) -> Vec<Run> {
    let mut runs = Vec::new();
    let Some(units) = bytes.get(parity..) else {
        return runs;
    };
    let unit = |k: usize| {
        units
            .get(2 * k..2 * k + 2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
    };
    let at = |k: usize| parity + 2 * k;
    let mut start = 0;
    let mut tally = Utf16Tally::default();
    let mut k = 0;
    while let Some(u) = unit(k) {
        let (c, n) = match char::from_u32(u32::from(u)) {
            Some(c) => (c, 1),
            // A surrogate pair: a kanji beyond the BMP (`𠮷`).
            None => match unit(k + 1).map(|v| char::decode_utf16([u, v]).next()) {
                Some(Some(Ok(c))) => (c, 2),
                _ => ('\0', 1),
            },
        };
        if is_utf16_text(c) {
            tally.add(u, c);
        } else {
            tally.keep(&mut runs, at(start)..at(k));
            (start, tally) = (k + n, Utf16Tally::default());
        }
        k += n;
    }
    tally.keep(&mut runs, at(start)..at(k));
    runs
}

/// What a UTF-16 run has, to tell text from what binary data and ASCII text give.
#[derive(Debug, Default, Clone, Copy)]
struct Utf16Tally {
    /// The run's weight (see [`MIN_WEIGHT`]).
    weight: u32,
    /// Its characters other than ASCII.
    wide: u32,
    /// Its ASCII letters and digits.
    ascii: u32,
    /// Its units of another shape than ASCII text read as UTF-16 gives: two printable ASCII
    /// bytes (`ya` is U+6179, an ideograph), or, a byte off, a NUL low byte under a printable
    /// one. A kana is plain whatever its bytes: `0` every other byte (`D0S0` is `いこ`) is
    /// rare in ASCII text.
    plain: u32,
}

impl Utf16Tally {
    fn add(&mut self, u: u16, c: char) {
        let [lo, hi] = u.to_le_bytes();
        let printable = |b: u8| (0x20..0x7F).contains(&b);
        // `0` every other byte is rare in ASCII text, and common in kana.
        let kana = ('\u{3041}'..='\u{30FF}').contains(&c);
        let plain = hi == 0 || kana || !(printable(lo) || lo == 0) || !printable(hi);
        self.weight += weight(c);
        self.wide += u32::from(!c.is_ascii());
        self.ascii += u32::from(c.is_ascii_alphanumeric());
        self.plain += u32::from(plain);
    }

    /// Pushes the run `bytes` to `runs` when it is kept.
    fn keep(&self, runs: &mut Vec<Run>, bytes: Range<usize>) {
        if self.keeps() {
            runs.push(Run {
                bytes,
                reading: Reading::Utf16,
                ascii_shaped: self.plain == 0,
                wide: 0,
            });
        }
    }

    /// Whether the run is kept: with [`MIN_WEIGHT`] of ASCII letters and digits (rare in
    /// binary data: one unit of random bytes in 690 is ASCII), or with the weight and three
    /// characters other than ASCII at least (one in eight units of random bytes is a
    /// character of [`is_utf16_text`], so runs of one or two such are everywhere in binary
    /// data, and three in a row are rare); and, with fewer than four, not only units of ASCII
    /// text read as UTF-16 (a short word's bytes: `hello` is `敨汬`).
    fn keeps(&self) -> bool {
        (self.ascii >= MIN_WEIGHT || (self.weight >= MIN_WEIGHT && self.wide >= 3))
            && (self.plain > 0 || self.wide >= 4)
    }
}

/// Whether `c` may be part of a UTF-16 run: printable ASCII or a tab, a character Shift_JIS
/// (Windows' code page 932) has other than its private use characters, or an ideograph beyond
/// the BMP. Most of the 65,536 values a
/// unit of random bytes may take are characters, nearly a third of them ideographs, so a run
/// of any characters would be read out of every stretch of binary data; one in eight of them
/// is in Japan's repertoire, and a run of two such is rare.
fn is_utf16_text(c: char) -> bool {
    match c {
        '\t' | ' '..='~' => true,
        '\u{20000}'..='\u{3FFFF}' => true,
        _ => {
            let n = c as u32;
            n <= 0xFFFF
                && !(0xE000..=0xF8FF).contains(&n)
                && cp932()[n as usize / 64] & (1 << (n % 64)) != 0
        }
    }
}

/// The characters of Windows' code page 932 (Shift_JIS with NEC's and IBM's extensions) other
/// than ASCII, as a bit set over the BMP, made once from `encoding_rs`'s table.
fn cp932() -> &'static [u64; 1024] {
    static SET: std::sync::OnceLock<Box<[u64; 1024]>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let mut set = Box::new([0u64; 1024]);
        let mut add = |bytes: &[u8]| {
            let (text, bad) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
            if !bad {
                for c in text
                    .chars()
                    .filter(|&c| (c as u32) > 0x7F && (c as u32) <= 0xFFFF)
                {
                    let n = c as usize;
                    set[n / 64] |= 1 << (n % 64);
                }
            }
        };
        for half_width in 0xA1..=0xDF_u8 {
            add(&[half_width]);
        }
        for lead in (0x81..=0x9F_u8).chain(0xE0..=0xFC) {
            for trail in (0x40..=0x7E_u8).chain(0x80..=0xFC) {
                add(&[lead, trail]);
            }
        }
        set
    })
}

#[cfg(test)]
mod tests;
