//! A block of document text folded character by character, with the source byte span of every
//! folded character.

use fingerprints::normalize::variants::{is_variant_code, kana_code};
use fingerprints::normalize::{Folder, HALFWIDTH_KATAKANA};

/// Blocks are cut at a line break once they reach this many bytes (or at any character when a
/// line is much longer), which bounds the memory a scan needs whatever the document size.
pub(crate) const BLOCK_BYTES: usize = 1 << 20;

/// Folded text of one block. Deliberately not `Debug`: it is the page's text.
#[derive(Default)]
pub(crate) struct FoldedText {
    pub chars: Vec<char>,
    /// Where `chars` has a line feed, ascending.
    pub breaks: Vec<usize>,
    /// Per folded character, its source in the block: the byte offset in the low
    /// [`OFFSET_BITS`] bits, the length in bytes above them (see [`source`]).
    sources: Vec<u32>,
    offset: usize,
    /// The block is all ASCII: character `k` is byte `k`.
    ascii: bool,
    /// The block may hold a name in Latin letters: it is all ASCII, or one of its runs of
    /// ASCII has an upper-case letter after another character or right after an ideographic
    /// space.
    pub latin: bool,
    /// In a block that is not all ASCII, where a lower-case ASCII letter follows what opens a
    /// cell (`,` tab `|` `;` a quote, a line break), ascending: a name in Latin letters in
    /// lower case may be a cell there (see `BlockScan::romaji_cells_noted`). Empty for a block
    /// all ASCII, which is searched for them as a whole.
    pub cells: Vec<u32>,
    /// The block has an upper-case letter in full width (`Ａ`..`Ｚ`): a name in Latin letters
    /// may be written in full width.
    pub wide_capitals: bool,
    /// The block has a star (`★` `☆`): an e-mail address may be written with one for its `@`
    /// (`name★example.com`).
    pub stars: bool,
    /// [`FoldedText::join_boxed_cells`] has been run on the block.
    boxed_checked: bool,
    /// It joined some: the separators between them have no folded character, so in a block
    /// all ASCII character `k` is no longer byte `k`.
    joined: bool,
}

/// Bits of a source's byte offset in [`FoldedText::sources`]; a block is shorter than this.
const OFFSET_BITS: u32 = 24;
const _: () = assert!(BLOCK_BYTES < 1 << OFFSET_BITS);

/// A folded character's source, bytes `start..end` of the block (a few bytes: one character,
/// with a voiced sound mark at most), packed for [`FoldedText::sources`].
#[inline]
fn source(start: usize, end: usize) -> u32 {
    start as u32 | (((end - start) as u32) << OFFSET_BITS)
}

/// A source of ASCII characters: one byte each.
const ONE_BYTE: u32 = 1 << OFFSET_BITS;
/// A source of a three-byte character.
const THREE_BYTES: u32 = 3 << OFFSET_BITS;

impl FoldedText {
    /// Folds `block`, which starts at byte `offset` of the document text. A block with escaped
    /// text is folded as decoded, by [`FoldedText::fold_decoding`]: percent-encoded as URLs
    /// and form posts carry it (`name=%E5%B1%B1%E5%8F%A3`: a web server's log, a captured
    /// form), escaped as JSON and JavaScript write characters above ASCII (`\u5c71\u53e3`: PHP's
    /// `json_encode` and Python's `json.dumps` by default), as UTF-8 bytes (`\xe5\xb1\xb1`:
    /// Python's `repr` of bytes), or as HTML's numeric character references
    /// (`&#23665;&#x53e3;`).
    pub(crate) fn fold(block: &str, offset: usize, buf: FoldedText) -> FoldedText {
        if let Some(encoded) = encoded_text(block.as_bytes()) {
            return Self::fold_decoding(block, offset, buf, encoded);
        }
        let (mut chars, mut breaks, mut sources, mut cells) = buf.cleared();
        chars.reserve(block.len());
        sources.reserve(block.len());
        let ascii = block.is_ascii();
        let mut latin = ascii;
        let mut wide_capitals = false;
        let mut stars = false;
        // A row of kana or kanji one to a cell (`モ,チ,ヅ,キ`) may be there: see
        // [`FoldedText::join_boxed_cells`]. (Digits one to a cell are noticed by pass 1.)
        let mut boxed = false;
        // Kana or kanji each alone between separators, one after another.
        let mut singles = 0u32;
        if ascii {
            push_ascii(block.as_bytes(), 0, (&mut chars, &mut sources, &mut breaks));
        } else {
            // Fast paths for ASCII and for the characters that fold to themselves (or by a
            // fixed offset) when no voiced sound mark follows; everything else goes through
            // the full `Folder`. The UTF-8 is decoded by hand: `block` is a `str`, so it is
            // valid.
            let b = block.as_bytes();
            let mut i = 0;
            while i < b.len() {
                let b0 = b[i];
                if b0 < 0x80 && b.get(i + 1).is_none_or(|&x| x >= 0x80) {
                    if b0 == b'\n' {
                        breaks.push(chars.len());
                    }
                    if !is_cell_gap(char::from(b0)) {
                        singles = 0;
                    }
                    chars.push(char::from(b0.to_ascii_lowercase()));
                    sources.push(i as u32 | ONE_BYTE);
                    i += 1;
                    continue;
                }
                if b0 < 0x80 {
                    // A run of ASCII (digits, separators, e-mail addresses in a dump) is
                    // appended in bulk, like a block that is all ASCII.
                    let n = b[i..]
                        .iter()
                        .position(|&x| x >= 0x80)
                        .unwrap_or(b.len() - i);
                    let run = &b[i..i + n];
                    // An upper-case letter after a gap in the run, or first after an
                    // ideographic space (`Sato　Taro`).
                    latin = latin
                        || run[1..].iter().any(u8::is_ascii_uppercase)
                        || (run[0].is_ascii_uppercase() && b[..i].ends_with("\u{3000}".as_bytes()));
                    let at = chars.len();
                    push_ascii(run, i, (&mut chars, &mut sources, &mut breaks));
                    note_cells(run, at, &mut cells);
                    if n > MAX_BOX_GAP || !run.iter().all(|&x| is_cell_gap(char::from(x))) {
                        singles = 0;
                    }
                    i += n;
                    continue;
                }
                if (0xE0..0xF0).contains(&b0) {
                    // Kana, kanji, CJK punctuation and full-width forms are three bytes each;
                    // a run of those that fold by a fixed rule is folded in one loop, and its
                    // spans (three bytes each) appended in bulk.
                    let from = chars.len();
                    let mut spaces = 0;
                    let run_end = push_simple_run3(b, i, &mut chars, &mut spaces);
                    // Kana or kanji apart by ideographic spaces (`山　田　太　郎`).
                    if spaces >= 3 {
                        boxed |= chars[from..].windows(5).any(|w| {
                            w[0] == ' ' && w[2] == ' ' && w[4] == ' ' && w[1] != ' ' && w[3] != ' '
                        });
                    }
                    if run_end == i + 3 {
                        // One character between separators (`,モ,`), or a line's ends.
                        let gap = |x: Option<&u8>| {
                            x.is_none_or(|&x| {
                                matches!(x, b'\n' | b'\r') || is_cell_gap(char::from(x))
                            })
                        };
                        if gap(b.get(i.wrapping_sub(1))) && gap(b.get(run_end)) {
                            singles += 1;
                            boxed |= singles >= BOXED_KANA as u32;
                        } else {
                            singles = 0;
                        }
                    } else {
                        singles = 0;
                    }
                    if run_end > i {
                        let n = (chars.len() - from) as u32;
                        let at = i as u32;
                        sources.extend((0..n).map(|k| (at + 3 * k) | THREE_BYTES));
                        i = run_end;
                        continue;
                    }
                }
                // Anything else (accented Latin, a kana with a sound mark after it, symbols
                // with compatibility forms) goes through the full `Folder`.
                let (u, len) = decode_at(b, i);
                wide_capitals |= (0xFF21..=0xFF3A).contains(&u);
                stars |= matches!(u, 0x2605 | 0x2606);
                i = push_folded(block, i, len, (&mut chars, &mut sources, &mut breaks));
            }
        }
        let mut t = FoldedText {
            chars,
            breaks,
            sources,
            offset,
            ascii,
            latin,
            cells,
            wide_capitals,
            stars,
            boxed_checked: false,
            joined: false,
        };
        if boxed {
            t.join_boxed_cells();
        }
        t
    }

    /// [`FoldedText::fold`] of a block with escaped text (`encoded`): with percent-encoded
    /// text, every `%XX` escape of a printable ASCII character or of a character in the
    /// block's encoding is folded as the character it escapes, with the escapes as its source,
    /// and a `+` between two escapes as a space (a form post's); with JSON's escapes, every
    /// `\uXXXX` (a surrogate pair as one character); with UTF-8 bytes escaped, every
    /// `\xHH` sequence of a character; with character references, every `&#NNNN;` and
    /// `&#xHHHH;`.
    /// Character by character through the full `Folder` (such blocks are rare); the block is not
    /// taken as all ASCII, and lower-case names in its cells are not noted.
    #[cold]
    #[inline(never)]
    fn fold_decoding(block: &str, offset: usize, buf: FoldedText, encoded: Encoded) -> FoldedText {
        let (mut chars, mut breaks, mut sources, cells) = buf.cleared();
        let b = block.as_bytes();
        let (mut wide_capitals, mut stars) = (false, false);
        let mut i = 0;
        while i < b.len() {
            let pushed = match b[i] {
                b'%' | b'+' => encoded
                    .percent
                    .and_then(|escapes| push_escape(b, i, escapes, (&mut chars, &mut sources))),
                b'\\' if encoded.json || encoded.hex => {
                    let read = |b: &[u8], i: usize| {
                        let json = encoded.json.then(|| json_escape_at(b, i)).flatten();
                        json.or_else(|| encoded.hex.then(|| hex_escape_at(b, i)).flatten())
                    };
                    push_decoded(b, i, read, (&mut chars, &mut sources))
                }
                b'&' if encoded.references => {
                    push_decoded(b, i, character_reference_at, (&mut chars, &mut sources))
                }
                _ => None,
            };
            if let Some(used) = pushed {
                i += used;
                continue;
            }
            let (u, len) = if b[i] < 0x80 {
                (u32::from(b[i]), 1)
            } else {
                decode_at(b, i)
            };
            wide_capitals |= (0xFF21..=0xFF3A).contains(&u);
            stars |= matches!(u, 0x2605 | 0x2606);
            i = push_folded(block, i, len, (&mut chars, &mut sources, &mut breaks));
        }
        FoldedText {
            chars,
            breaks,
            sources,
            offset,
            ascii: false,
            latin: true,
            cells,
            wide_capitals,
            stars,
            boxed_checked: false,
            joined: false,
        }
    }

    /// Joins the characters of values written one character to a cell, as forms' boxes hold
    /// them: a spreadsheet laid out as graph paper with a My Number's twelve digits in twelve
    /// cells, a reading in katakana boxes, a PDF form's boxes printed apart
    /// (`6,8,5,4,3,9,9,3,6,4,7,1`, `"モ","チ","ヅ","キ","","ミ","カ"`, `山　田　太　郎`).
    /// A run of cells of one character each, apart by the same separator (a tab, `,` `|`
    /// `;`, spaces, quotes: up to [`MAX_BOX_GAP`] characters), with seven digits or more
    /// (a postal code, an account number; a phone number, a My Number, a date) or three kana or
    /// kanji or more (a name or its reading), is folded as one value: the separators between
    /// its characters are dropped, and an empty cell between two (two separators, or three) is
    /// a space (`モチヅキ ミカ`). Each character keeps its source, so spans cover the cells.
    /// Runs shorter than that are left apart: a date's year, month and day, or an address's
    /// block numbers, in cells of their own are found as such. Returns whether any was joined.
    #[cold]
    #[inline(never)]
    pub(crate) fn join_boxed_cells(&mut self) -> bool {
        if self.boxed_checked {
            return false;
        }
        self.boxed_checked = true;
        // The separators to drop, or to fold as one space: `(start, end, space)`, ascending.
        let mut gaps: Vec<(usize, usize, bool)> = Vec::new();
        let mut k = 0;
        while k < self.chars.len() {
            if is_single(&self.chars, k) {
                let (end, joined) = boxed_run(&self.chars, k, None);
                if joined {
                    boxed_run(&self.chars, k, Some(&mut gaps));
                    k = end;
                } else {
                    // The run's last cell may start the next run, apart by another separator
                    // (`x;1,2,3,…`).
                    k = (end - 1).max(k + 1);
                }
            } else {
                k += 1;
            }
        }
        if gaps.is_empty() {
            return false;
        }
        let (chars, sources) = (&mut self.chars, &mut self.sources);
        let (mut w, mut r) = (0, 0);
        // The characters noted in `cells` are letters, never in a gap: each moves back by
        // the characters dropped before it.
        let mut cell = 0;
        let mut dropped = 0;
        for &(a, e, space) in &gaps {
            while cell < self.cells.len() && (self.cells[cell] as usize) < a {
                self.cells[cell] -= dropped as u32;
                cell += 1;
            }
            chars.copy_within(r..a, w);
            sources.copy_within(r..a, w);
            w += a - r;
            if space {
                chars[w] = ' ';
                sources[w] = sources[a];
                w += 1;
            }
            dropped += e - a - usize::from(space);
            r = e;
        }
        for c in &mut self.cells[cell..] {
            *c -= dropped as u32;
        }
        let n = chars.len();
        chars.copy_within(r..n, w);
        sources.copy_within(r..n, w);
        w += n - r;
        chars.truncate(w);
        sources.truncate(w);
        self.breaks.clear();
        self.breaks.extend(
            chars
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == '\n')
                .map(|(k, _)| k),
        );
        self.joined = true;
        true
    }

    /// Whether [`FoldedText::join_boxed_cells`] has been run on the block.
    pub(crate) fn boxed_checked(&self) -> bool {
        self.boxed_checked
    }

    /// The buffers of a text folded before, emptied for the next block.
    #[inline]
    fn cleared(self) -> (Vec<char>, Vec<usize>, Vec<u32>, Vec<u32>) {
        let FoldedText {
            mut chars,
            mut breaks,
            mut sources,
            mut cells,
            ..
        } = self;
        chars.clear();
        breaks.clear();
        sources.clear();
        cells.clear();
        (chars, breaks, sources, cells)
    }

    /// Number of folded characters.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.chars.len()
    }

    /// Document byte span of folded characters `a..b` (`a < b`).
    pub(crate) fn byte_span(&self, a: usize, b: usize) -> (usize, usize) {
        let offset_mask = (1 << OFFSET_BITS) - 1;
        let s = self
            .sources
            .get(a)
            .map_or(0, |&x| (x & offset_mask) as usize);
        let e = b
            .checked_sub(1)
            .and_then(|k| self.sources.get(k))
            .map_or(0, |&x| ((x & offset_mask) + (x >> OFFSET_BITS)) as usize);
        (self.offset + s, self.offset + e.max(s))
    }

    /// The first folded character whose source starts at or after byte `b` of the block
    /// (`len()` past the last one).
    pub(crate) fn char_at(&self, b: usize) -> usize {
        if self.ascii && !self.joined {
            return b.min(self.chars.len());
        }
        let offset_mask = (1 << OFFSET_BITS) - 1;
        self.sources
            .partition_point(|&x| ((x & offset_mask) as usize) < b)
    }

    /// Whether the block is all ASCII.
    #[inline]
    pub(crate) fn is_ascii(&self) -> bool {
        self.ascii
    }

    /// The folded character whose source starts at byte `at` of the block, if one does.
    pub(crate) fn char_at_byte(&self, at: usize) -> Option<usize> {
        let k = self
            .sources
            .partition_point(|&x| ((x & ((1 << OFFSET_BITS) - 1)) as usize) < at);
        (self.source_start(k) == at).then_some(k)
    }

    /// Where folded character `k`'s source starts in the block (a byte offset; past the end
    /// for `k` past the last character).
    #[inline]
    pub(crate) fn source_start(&self, k: usize) -> usize {
        self.sources
            .get(k)
            .map_or(usize::MAX, |&x| (x & ((1 << OFFSET_BITS) - 1)) as usize)
    }

    /// The folded characters `a..b` as a string.
    pub(crate) fn string(&self, a: usize, b: usize) -> String {
        let chars = &self.chars[a..b];
        let mut s = String::with_capacity(chars.len() * 3);
        s.extend(chars);
        s
    }
}

/// Folds the character of `len` bytes at byte `i` of `block` (with a voiced sound mark after
/// it) through the full `Folder`, appending the folded characters, their sources and line
/// feeds: where the next character starts.
#[inline]
fn push_folded(
    block: &str,
    i: usize,
    len: usize,
    (chars, sources, breaks): (&mut Vec<char>, &mut Vec<u32>, &mut Vec<usize>),
) -> usize {
    let end = i + len;
    let span_end = end + voiced_mark_len(&block.as_bytes()[end..]);
    for f in Folder::new(&block[i..span_end]) {
        if f.ch == '\n' {
            breaks.push(chars.len());
        }
        chars.push(f.ch);
        sources.push(source(i + f.start, i + f.end));
    }
    span_end
}

/// The encoding of a block's percent-encoded text: what its escapes of bytes above ASCII are
/// the bytes of. Web pages post forms, and browsers escape URLs, in the page's own encoding,
/// so old Japanese sites' forms and URLs carry Shift_JIS or EUC-JP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escapes {
    /// `%E5%B1%B1` (`山`).
    Utf8,
    /// `%8ER` (`山`: a trail byte that is a letter is not escaped), `%B6` (`ｶ`).
    ShiftJis,
    /// `%BB%B3` (`山`).
    EucJp,
}

/// A reader of one kind of escape: the character escaped at `b[i]` and the bytes it takes.
type ReadEscape = fn(&[u8], usize) -> Option<(char, usize)>;

/// The escaped text a block has (see [`FoldedText::fold`]), if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Encoded {
    /// Percent-encoded text, in this encoding.
    percent: Option<Escapes>,
    /// JSON's and JavaScript's `\uXXXX`.
    json: bool,
    /// UTF-8 bytes escaped as `\xHH` (Python's `repr` of bytes, C strings).
    hex: bool,
    /// HTML's numeric character references.
    references: bool,
}

/// The escaped text `b` has: percent-encoded (see [`percent_encoded_text`]), or two Japanese
/// characters or more escaped as JSON (or a `/` escaped between digits, a date as PHP writes
/// it), as UTF-8 bytes (`\xe5\xb1\xb1`) or as character references (escapes of ASCII, of an accented letter or an emoji in a
/// log line, are no reason to decode a block). One byte search tells most blocks they have
/// none.
#[inline(never)]
fn encoded_text(b: &[u8]) -> Option<Encoded> {
    // Japanese characters escaped as JSON does, as UTF-8 bytes and as references, up to two;
    // a `%`.
    let (mut json, mut hex, mut references, mut percent) = (0, 0, 0, false);
    for i in memchr::memchr3_iter(b'%', b'\\', b'&', b) {
        let japanese =
            |read: ReadEscape| usize::from(read(b, i).is_some_and(|(c, _)| is_japanese(c)));
        match b[i] {
            b'%' => percent = true,
            // An escaped `/` between digits (PHP's `1968\/09\/18`) counts as two.
            b'\\' if json < 2 || hex < 2 => {
                json += japanese(json_escape_at);
                hex += japanese(hex_escape_at);
                if matches!(
                    b.get(i.wrapping_sub(1)..i + 3),
                    Some([b'0'..=b'9', _, b'/', b'0'..=b'9'])
                ) {
                    json = 2;
                }
            }
            b'&' if references < 2 => references += japanese(character_reference_at),
            _ => {}
        }
    }
    let encoded = Encoded {
        percent: if percent {
            percent_encoded_text(b)
        } else {
            None
        },
        json: json >= 2,
        hex: hex >= 2,
        references: references >= 2,
    };
    let any = encoded.percent.is_some() || encoded.json || encoded.hex || encoded.references;
    any.then_some(encoded)
}

/// Whether `c` is a character of Japanese text: kana, kanji (in the supplementary planes too),
/// CJK punctuation, full-width and half-width forms.
fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30FF}' | '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}' | '\u{20000}'..='\u{3FFFF}')
}

/// The character a JSON or JavaScript escape at `b[i]` stands for and the bytes it takes:
/// `\u5c71` (either case), a surrogate pair `\ud842\udfb7` as one character (`𠮷`), `\/`
/// (PHP's `json_encode` escapes every `/`).
fn json_escape_at(b: &[u8], i: usize) -> Option<(char, usize)> {
    if b.get(i..i + 2) == Some(b"\\/") {
        return Some(('/', 2));
    }
    let unit = |k: usize| -> Option<u32> {
        let e = b.get(k..k + 6)?;
        if e[0] != b'\\' || e[1] != b'u' {
            return None;
        }
        e[2..]
            .iter()
            .try_fold(0, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
    };
    let u = unit(i)?;
    match u {
        0xD800..=0xDBFF => {
            let low = unit(i + 6).filter(|l| (0xDC00..=0xDFFF).contains(l))?;
            char::from_u32(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)).map(|c| (c, 12))
        }
        _ => char::from_u32(u).map(|c| (c, 6)),
    }
}

/// The character whose UTF-8 bytes are escaped as `\xHH` at `b[i]` (`\xe5\xb1\xb1`, `山`; either
/// case) and the bytes its escapes take.
fn hex_escape_at(b: &[u8], i: usize) -> Option<(char, usize)> {
    let byte = |k: usize| -> Option<u8> {
        let e = b.get(k..k + 4)?;
        if e[0] != b'\\' || e[1] != b'x' {
            return None;
        }
        let hex = |d: u8| char::from(d).to_digit(16);
        Some((hex(e[2])? * 16 + hex(e[3])?) as u8)
    };
    escaped_utf8(|k| byte(i + 4 * k), 4)
}

/// The character whose UTF-8 bytes `byte(0)`, `byte(1)`… escape, each in an escape `width`
/// bytes long, and the bytes its escapes take.
fn escaped_utf8(byte: impl Fn(usize) -> Option<u8>, width: usize) -> Option<(char, usize)> {
    let lead = byte(0)?;
    let n = match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let mut utf8 = [lead, 0, 0, 0];
    for (k, x) in utf8.iter_mut().enumerate().take(n).skip(1) {
        *x = byte(k).filter(|x| (0x80..=0xBF).contains(x))?;
    }
    let c = std::str::from_utf8(&utf8[..n]).ok()?.chars().next()?;
    Some((c, width * n))
}

/// The character an HTML numeric character reference at `b[i]` stands for and the bytes it
/// takes: `&#23665;`, `&#x5c71;` (up to 7 decimal or 6 hex digits, the `;` required).
fn character_reference_at(b: &[u8], i: usize) -> Option<(char, usize)> {
    let rest = b.get(i..)?.strip_prefix(b"&#")?;
    let (radix, digits, skip) = match rest.first()? {
        b'x' | b'X' => (16, 6, 3),
        _ => (10, 7, 2),
    };
    let body = &b[i + skip..];
    let n = body
        .iter()
        .take(digits + 1)
        .position(|&d| !char::from(d).is_digit(radix))?;
    if n == 0 || body[n] != b';' {
        return None;
    }
    let value = body[..n].iter().try_fold(0u32, |v, &d| {
        Some(v * radix + char::from(d).to_digit(radix)?)
    })?;
    char::from_u32(value)
        .filter(|&c| c != '\0')
        .map(|c| (c, skip + n + 1))
}

/// Whether `b` has text percent-encoded as URLs and form posts carry it, and in which
/// encoding: escapes of a character above ASCII (`%E5%B1%B1`, `山`). Escapes of ASCII alone
/// (`%2F`, `%20`, or a format's `%d`) are not.
///
/// Each encoding reads the escapes from the first to the last. UTF-8 wins when it reads
/// every escaped byte above ASCII. Otherwise a legacy encoding wins when it reads every one,
/// and reads text, not any two bytes (a URL's escaped binary): two characters of two bytes
/// or more, or three half-width kana. Shift_JIS is asked first when one of the bytes is one
/// of its lead bytes of kana and common kanji (0x81–0x9F but 0x8E and 0x8F, which EUC-JP uses
/// to escape half-width kana and supplementary kanji; it uses none of the others), else
/// EUC-JP. When neither reads them all, the escapes are read as UTF-8 where they are.
#[inline(never)]
fn percent_encoded_text(b: &[u8]) -> Option<Escapes> {
    let utf8 = tally(b, Escapes::Utf8);
    if utf8.errors > 0 {
        let sjis = tally(b, Escapes::ShiftJis);
        let euc = tally(b, Escapes::EucJp);
        let legacy = if sjis.sjis_lead {
            [(sjis, Escapes::ShiftJis), (euc, Escapes::EucJp)]
        } else {
            [(euc, Escapes::EucJp), (sjis, Escapes::ShiftJis)]
        };
        for (t, escapes) in legacy {
            if t.errors == 0 && (t.wide >= 2 || t.narrow >= 3) {
                return Some(escapes);
            }
        }
    }
    (utf8.wide > 0).then_some(Escapes::Utf8)
}

/// How one encoding reads a block's escapes (see [`encoded_text`]).
#[derive(Clone, Copy)]
struct Tally {
    /// Escaped bytes above ASCII that start no character and are no part of one.
    errors: usize,
    /// Characters escaped in two bytes or more.
    wide: usize,
    /// Characters above ASCII escaped in one byte (Shift_JIS's half-width kana).
    narrow: usize,
    /// An escaped byte is one of Shift_JIS's lead bytes of kana and common kanji.
    sjis_lead: bool,
}

/// How `escapes` reads the escapes of `b`, from the first to the last.
fn tally(b: &[u8], escapes: Escapes) -> Tally {
    let mut t = Tally {
        errors: 0,
        wide: 0,
        narrow: 0,
        sjis_lead: false,
    };
    let mut k = 0;
    while let Some(p) = memchr::memchr(b'%', &b[k..]) {
        let i = k + p;
        match escaped_char_in(b, i, escapes) {
            Some((c, n)) => {
                t.wide += usize::from(n > 3);
                t.narrow += usize::from(n == 3 && !c.is_ascii());
                t.sjis_lead |= matches!(b.get(i + 1..i + 3), Some(h) if is_sjis_lead(h));
                k = i + n;
            }
            None => {
                t.errors += usize::from(escaped_byte(b, i).is_some_and(|x| x >= 0x80));
                k = i + 1;
            }
        }
    }
    t
}

/// Whether the hex digits `h` are those of a Shift_JIS lead byte of kana or common kanji
/// that EUC-JP does not use (0x81–0x9F but 0x8E and 0x8F).
fn is_sjis_lead(h: &[u8]) -> bool {
    matches!(
        h,
        [b'8', b'1'..=b'9' | b'a'..=b'd' | b'A'..=b'D'] | [b'9', b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F']
    )
}

/// The byte `%XX` at `b[i]` escapes (hex digits of either case).
fn escaped_byte(b: &[u8], i: usize) -> Option<u8> {
    let hex = |k: usize| char::from(*b.get(k)?).to_digit(16);
    if b.get(i) != Some(&b'%') {
        return None;
    }
    Some((hex(i + 1)? * 16 + hex(i + 2)?) as u8)
}

/// The character percent-encoded at `b[i]` and the bytes its escapes take: a printable ASCII
/// character (`%2F`), or a UTF-8 sequence of two to four escapes (`%E5%B1%B1`).
fn escaped_char(b: &[u8], i: usize) -> Option<(char, usize)> {
    match escaped_byte(b, i)? {
        lead @ 0x20..=0x7E => Some((char::from(lead), 3)),
        _ => escaped_utf8(|k| escaped_byte(b, i + 3 * k), 3),
    }
}

/// [`escaped_char`] for text escaped in `escapes`. A Shift_JIS character's second byte may be
/// left as it is when it is printable ASCII (`%8ER`, `山`: forms escape every byte but
/// letters, digits and a few marks); EUC-JP's bytes are all above ASCII, so all escaped.
fn escaped_char_in(b: &[u8], i: usize, escapes: Escapes) -> Option<(char, usize)> {
    let lead = escaped_byte(b, i)?;
    let mut bytes = [lead, 0, 0];
    let (n, used) = match (escapes, lead) {
        (Escapes::Utf8, _) | (_, 0x20..=0x7E) => return escaped_char(b, i),
        (Escapes::ShiftJis, 0xA1..=0xDF) => (1, 3),
        (Escapes::ShiftJis, 0x81..=0x9F | 0xE0..=0xFC) => match escaped_byte(b, i + 3) {
            Some(x @ (0x40..=0x7E | 0x80..=0xFC)) => {
                bytes[1] = x;
                (2, 6)
            }
            Some(_) => return None,
            None => {
                bytes[1] = *b.get(i + 3).filter(|x| (0x40..=0x7E).contains(*x))?;
                (2, 4)
            }
        },
        (Escapes::EucJp, 0x8E | 0xA1..=0xFE) => {
            bytes[1] = escaped_byte(b, i + 3).filter(|x| (0xA1..=0xFE).contains(x))?;
            (2, 6)
        }
        (Escapes::EucJp, 0x8F) => {
            for (k, byte) in bytes.iter_mut().enumerate().skip(1) {
                *byte = escaped_byte(b, i + 3 * k).filter(|x| (0xA1..=0xFE).contains(x))?;
            }
            (3, 9)
        }
        _ => return None,
    };
    let encoding = match escapes {
        Escapes::ShiftJis => encoding_rs::SHIFT_JIS,
        _ => encoding_rs::EUC_JP,
    };
    let text = encoding.decode_without_bom_handling_and_without_replacement(&bytes[..n])?;
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_ascii() => Some((c, used)),
        _ => None,
    }
}

/// At a `%` or `+` of a block with percent-encoded text in `escapes`: the escaped character
/// folded (with a voiced sound mark escaped after it, `ｸﾞ` → `グ`; a `+` between two escapes
/// is a form post's space), appended with the escapes as its source. The bytes used, or
/// `None` when there is no escape there (the `%` or `+` is itself).
fn push_escape(
    b: &[u8],
    i: usize,
    escapes: Escapes,
    (chars, sources): (&mut Vec<char>, &mut Vec<u32>),
) -> Option<usize> {
    if b[i] == b'+' {
        // After an escape, or after a Shift_JIS character whose second byte is a letter.
        let after_escape = (i >= 3 && escaped_byte(b, i - 3).is_some())
            || (escapes == Escapes::ShiftJis
                && i >= 4
                && escaped_char_in(b, i - 4, escapes).is_some_and(|(_, n)| n == 4));
        if !(after_escape && escaped_byte(b, i + 1).is_some()) {
            return None;
        }
        chars.push(' ');
        sources.push(source(i, i + 1));
        return Some(1);
    }
    push_decoded(
        b,
        i,
        |b, i| escaped_char_in(b, i, escapes),
        (chars, sources),
    )
}

/// At an escape of a block with escaped text: the character `read` decodes there, folded
/// (with a voiced sound mark escaped after it, `ｸﾞ` → `グ`), appended with the escapes as its
/// source. The bytes used, or `None` when there is no escape there.
fn push_decoded(
    b: &[u8],
    i: usize,
    read: impl Fn(&[u8], usize) -> Option<(char, usize)>,
    (chars, sources): (&mut Vec<char>, &mut Vec<u32>),
) -> Option<usize> {
    let (c, mut used) = read(b, i)?;
    let mut text = String::from(c);
    if let Some((mark, n)) = read(b, i + used)
        && matches!(mark, '\u{3099}'..='\u{309C}' | '\u{FF9E}' | '\u{FF9F}')
    {
        text.push(mark);
        used += n;
    }
    for f in Folder::new(&text) {
        // An escaped line break would be none of the block's lines.
        chars.push(if f.ch == '\n' { ' ' } else { f.ch });
        sources.push(source(i, i + used));
    }
    Some(used)
}

/// Appends ASCII bytes `run`, which start at byte `from` of the block: each lower-cased, with
/// its one-byte source, and its line feeds to `breaks`. These loops vectorize.
#[inline(never)]
fn push_ascii(
    run: &[u8],
    from: usize,
    (chars, sources, breaks): (&mut Vec<char>, &mut Vec<u32>, &mut Vec<usize>),
) {
    let at = chars.len();
    breaks.extend(memchr::memchr_iter(b'\n', run).map(|k| at + k));
    let (from, to) = (from as u32, (from + run.len()) as u32);
    chars.extend(run.iter().map(|&x| char::from(x.to_ascii_lowercase())));
    sources.extend((from..to).map(|k| k | ONE_BYTE));
}

/// Notes in `cells` where, in the run of ASCII `run` folded to characters from `at` on, a
/// lower-case letter follows what opens a cell (see [`FoldedText::cells`]). A run starts after
/// a character that is not ASCII, which opens no cell.
fn note_cells(run: &[u8], at: usize, cells: &mut Vec<u32>) {
    // Most runs in such a block are a dump's numbers and separators (a fold, not `any`,
    // which stops early and so reads a byte at a time).
    let lower = run
        .iter()
        .fold(0u8, |acc, &b| acc | u8::from(b.wrapping_sub(b'a') < 26));
    if lower == 0 {
        return;
    }
    for k in 1..run.len() {
        let opens = OPENS_CELL[usize::from(run[k - 1] & 0x7F)];
        if opens & u8::from(run[k].wrapping_sub(b'a') < 26) != 0 && may_be_two_words(&run[k..]) {
            cells.push((at + k) as u32);
        }
    }
}

/// 1 for the ASCII bytes that open a cell: `,` tab `|` `;` quotes, a line break.
const OPENS_CELL: [u8; 128] = {
    let mut t = [0; 128];
    let mut k = 0;
    let opens = b",\t|;\"'\n";
    while k < opens.len() {
        t[opens[k] as usize] = 1;
        k += 1;
    }
    t
};

/// Whether `bytes` may start with two words of a cell (see `BlockScan::romaji_cell`): ASCII
/// letters, then spaces, cell ends or quotes, then a letter. A JSON key (`"name":`) or an
/// e-mail address (`,taro@…`) is not. The end of the run (a character not ASCII next) may be
/// a letter or a space in full width: yes.
fn may_be_two_words(bytes: &[u8]) -> bool {
    let word = bytes
        .iter()
        .position(|&b| !(b.is_ascii_alphabetic() || b == b'\'' || b == b'-'))
        .unwrap_or(bytes.len());
    let rest = &bytes[word..];
    let gap = rest
        .iter()
        .position(|&b| !matches!(b, b' ' | b',' | b'\t' | b'|' | b';' | b'"' | b'\''))
        .unwrap_or(rest.len());
    match rest.get(gap) {
        Some(b) => gap > 0 && b.is_ascii_alphabetic(),
        None => true,
    }
}

/// Separator characters between two cells of one character each, at most (`","` between
/// quoted cells, two tabs where a box is two cells wide).
pub(crate) const MAX_BOX_GAP: usize = 4;
/// Digits in cells of their own joined as one value, at least: a postal code or an account
/// number has seven.
const BOXED_DIGITS: usize = 7;
/// Kana or kanji in cells of their own joined as one value, at least (a name of three).
const BOXED_KANA: usize = 3;

/// What stands between two cells in a row of folded text: a separator, a space, a quote.
#[inline]
pub(crate) fn is_cell_gap(c: char) -> bool {
    matches!(c, '\t' | ',' | '|' | ';' | ' ' | '"' | '\'')
}

/// Whether `c` is a kana or a kanji (folded text: hiragana is katakana).
fn is_kana_or_kanji(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '々' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3FFFF}')
}

/// Whether `chars[k]` is a cell of one character: no separator, with a separator, a line's end
/// or the text's end on either side.
#[inline]
pub(crate) fn is_single(chars: &[char], k: usize) -> bool {
    let apart = |c: Option<&char>| c.is_none_or(|&c| is_cell_gap(c) || c == '\n' || c == '\r');
    chars
        .get(k)
        .is_some_and(|&c| !(is_cell_gap(c) || c == '\n' || c == '\r'))
        && apart(k.checked_sub(1).and_then(|j| chars.get(j)))
        && apart(chars.get(k + 1))
}

/// The run of cells of one character each that starts with the one at `chars[k]` (see
/// [`FoldedText::join_boxed_cells`]): where it ends, and whether it is long enough to join.
/// With `gaps`, the separators between its characters are appended to it (`space`: an empty
/// cell between them).
pub(crate) fn boxed_run(
    chars: &[char],
    k: usize,
    mut gaps: Option<&mut Vec<(usize, usize, bool)>>,
) -> (usize, bool) {
    // The separator is the first one, a few characters of the same line.
    let gap = k + 1;
    let len = chars[gap..]
        .iter()
        .take(MAX_BOX_GAP + 1)
        .take_while(|&&c| is_cell_gap(c))
        .count();
    if len == 0 || len > MAX_BOX_GAP {
        return (k + 1, false);
    }
    let separator = &chars[gap..gap + len];
    let count = |c: char| {
        (
            usize::from(c.is_ascii_digit()),
            usize::from(is_kana_or_kanji(c)),
        )
    };
    let (mut digits, mut kana) = count(chars[k]);
    let mut at = k;
    loop {
        // The separator once, or twice or three times around empty cells.
        let (g, mut e, mut times) = (at + 1, at + 1, 0);
        while times < 3 && chars.get(e..e + len) == Some(separator) {
            e += len;
            times += 1;
        }
        if times == 0 || !is_single(chars, e) {
            break;
        }
        if let Some(gaps) = gaps.as_deref_mut() {
            gaps.push((g, e, times > 1));
        }
        let (d, j) = count(chars[e]);
        digits += d;
        kana += j;
        at = e;
    }
    (at + 1, digits >= BOXED_DIGITS || kana >= BOXED_KANA)
}

/// Folds the run of three-byte characters at `b[i..]` that fold by a fixed rule (see
/// [`simple3`]) into `chars`, and returns where the run ends (`i` when there is none).
#[inline(never)]
fn push_simple_run3(b: &[u8], mut i: usize, chars: &mut Vec<char>, spaces: &mut u32) -> usize {
    while let [b0 @ 0xE0..=0xEF, b1, b2, ref next @ ..] = b[i..] {
        let u = (u32::from(b0 & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
        match simple3(u, || voiced_mark_len(next) > 0, spaces) {
            Some(ch) => chars.push(ch),
            None => break,
        }
        i += 3;
    }
    i
}

/// The folded form of the three-byte character `u` when it folds by a fixed rule: kanji and
/// CJK punctuation to themselves; katakana to itself and hiragana to katakana (four of them
/// to another, [`kana_code`]), full-width ASCII to
/// lower-case ASCII and half-width katakana to full width, each unless a voiced sound mark
/// follows (`next_is_mark`), which the full `Folder` combines with it. The ideographic space
/// is a space (counted in `spaces`). Full-width capitals are left to the full `Folder` (rare: the caller notes
/// them).
#[inline]
fn simple3(u: u32, next_is_mark: impl Fn() -> bool, spaces: &mut u32) -> Option<char> {
    match u {
        // A variant kanji (`髙`, `邉`: rare in pages) is left to the full `Folder`.
        0x4E00..=0x9FFF | 0x3400..=0x4DBF if !is_variant_code(u) => char::from_u32(u),
        0x30A1..=0x30FE if !next_is_mark() => char::from_u32(kana_code(u)),
        0x3041..=0x3096 if !next_is_mark() => char::from_u32(kana_code(u + 0x60)),
        0x3001..=0x3003 | 0x3005..=0x3007 | 0x3008..=0x3011 | 0x3013..=0x301F => char::from_u32(u),
        0x3000 => {
            *spaces += 1;
            Some(' ')
        }
        0xFF21..=0xFF3A => None,
        0xFF01..=0xFF5E if !next_is_mark() => {
            char::from_u32(u - 0xFEE0).map(|a| a.to_ascii_lowercase())
        }
        0xFF66..=0xFF9D if !next_is_mark() => Some(HALFWIDTH_KATAKANA[(u - 0xFF66) as usize]),
        _ => None,
    }
}

/// The code point of the non-ASCII character at `b[i]` (a valid UTF-8 lead byte) and its length.
#[inline(always)]
fn decode_at(b: &[u8], i: usize) -> (u32, usize) {
    let cont = |k: usize| u32::from(b[i + k] & 0x3F);
    let b0 = u32::from(b[i]);
    if b0 < 0xE0 {
        (((b0 & 0x1F) << 6) | cont(1), 2)
    } else if b0 < 0xF0 {
        (((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (
            ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
            4,
        )
    }
}

/// The UTF-8 length of the voiced or semi-voiced sound mark `b` starts with (U+3099..=U+309C,
/// U+FF9E, U+FF9F), or 0.
#[inline]
fn voiced_mark_len(b: &[u8]) -> usize {
    match b {
        [0xE3, 0x82, 0x99..=0x9C, ..] | [0xEF, 0xBE, 0x9E | 0x9F, ..] => 3,
        _ => 0,
    }
}

/// Splits `text` into blocks of about [`BLOCK_BYTES`], at line breaks where possible.
pub(crate) fn blocks(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        let rest = &text[start..];
        let end = if rest.len() <= BLOCK_BYTES {
            text.len()
        } else {
            let hard = floor_char_boundary(rest, BLOCK_BYTES);
            let window = &rest[..hard];
            let cut = window
                .rfind('\n')
                .filter(|&i| i >= hard / 2)
                .or_else(|| window.rfind([' ', '\t']).filter(|&i| i >= hard / 2))
                .map_or(hard, |i| i + 1);
            start + cut
        };
        pos = end;
        Some((start, &text[start..end]))
    })
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_text_and_cut_at_lines() {
        let line = "あいう,123,abc\n";
        let text = line.repeat(BLOCK_BYTES / line.len() * 3);
        let mut next = 0;
        let mut n = 0;
        for (off, b) in blocks(&text) {
            assert_eq!(off, next);
            assert!(b.len() <= BLOCK_BYTES);
            assert!(b.ends_with('\n'));
            next = off + b.len();
            n += 1;
        }
        assert_eq!(next, text.len());
        assert!(n >= 3);
        let long = "長".repeat(BLOCK_BYTES);
        let total: usize = blocks(&long).map(|(_, b)| b.len()).sum();
        assert_eq!(total, long.len());
    }

    #[test]
    fn fast_path_folds_like_the_folder() {
        let samples = [
            "山田　太郎 やまだ たろう ﾔﾏﾀﾞ ﾀﾛｳ か\u{3099}ぱ\u{309A} ＡＢＣ１２３ ①②㈱ 東七松町一丁目23番4号、「テスト」。ヴ",
            "Ünïcödé ｶﾞｷﾞ ﾊﾟ 〒660-0051 TEL：（06）1234－5678",
            "髙橋 山﨑 渡邉 𠮷田 葛\u{E0100}城 辻\u{FE00}堂 小澤 モチヅキ もちづき ﾓﾁﾂﾞｷ 弥生ヶ丘町 ゖ",
        ];
        for s in samples {
            let f = FoldedText::fold(s, 0, FoldedText::default());
            let want: Vec<_> = Folder::new(s).collect();
            assert_eq!(
                f.chars,
                want.iter().map(|x| x.ch).collect::<Vec<_>>(),
                "{s}"
            );
            let spans: Vec<_> = (0..f.len()).map(|k| f.byte_span(k, k + 1)).collect();
            assert_eq!(
                spans,
                want.iter().map(|x| (x.start, x.end)).collect::<Vec<_>>(),
                "{s}"
            );
        }
    }

    #[test]
    fn utf8_by_hand() {
        let marks = [
            '\u{3099}', '\u{309A}', '\u{309B}', '\u{309C}', '\u{FF9E}', '\u{FF9F}',
        ];
        let mut buf = [0u8; 4];
        for c in ('\u{80}'..='\u{10FFFF}').step_by(7).chain(marks) {
            let b = c.encode_utf8(&mut buf).as_bytes();
            assert_eq!(decode_at(b, 0), (c as u32, c.len_utf8()), "{c:?}");
            let want = if marks.contains(&c) { 3 } else { 0 };
            assert_eq!(voiced_mark_len(b), want, "{c:?}");
        }
    }

    #[test]
    fn spans_map_back() {
        let f = FoldedText::fold("ｱ山田１", 10, FoldedText::default());
        assert_eq!(f.string(0, f.len()), "ア山田1");
        assert_eq!(f.byte_span(1, 3), (13, 19));
        assert_eq!(f.byte_span(3, 4), (19, 22));
    }

    #[test]
    fn percent_encoded_text_is_folded_as_decoded() {
        // `name=山口+大介&kana=ﾔﾏｸﾞﾁ&d=1968/09/18` as a form post encodes it.
        let block = "name=%E5%B1%B1%E5%8F%A3+%E5%A4%A7%E4%BB%8B&kana=%EF%BE%94%EF%BE%8F\
                     %EF%BD%B8%EF%BE%9E%EF%BE%81&d=1968%2F09%2f18 50%";
        let f = FoldedText::fold(block, 100, FoldedText::default());
        assert_eq!(
            f.string(0, f.len()),
            "name=山口 大介&kana=ヤマグチ&d=1968/09/18 50%"
        );
        assert!(!f.is_ascii());
        // Each character's source is its escapes (a voiced mark's with its kana's).
        assert_eq!(f.byte_span(5, 6), (105, 114));
        assert_eq!(f.byte_span(7, 8), (123, 124));
        let gu = f.string(0, f.len()).chars().position(|c| c == 'グ');
        assert_eq!(gu.map(|k| f.byte_span(k, k + 1)), Some((166, 184)));
        // A block whose escapes are all of ASCII (a URL's `%2F`, a format's `%d`) is folded as
        // written.
        let f = FoldedText::fold("GET /a%2Fb?x=%d 100%", 0, FoldedText::default());
        assert_eq!(f.string(0, f.len()), "get /a%2fb?x=%d 100%");
        assert!(f.is_ascii());
        // Not an escape of a character: one cut short, a lone continuation byte, a lead byte
        // without its continuation.
        for s in ["%E5%B1", "%B1%B1", "%E5%41%42"] {
            let f = FoldedText::fold(s, 0, FoldedText::default());
            assert_eq!(f.string(0, f.len()), s.to_lowercase(), "{s}");
        }
        let f = FoldedText::fold("%E5%B1%B1%", 0, FoldedText::default());
        assert_eq!(f.string(0, f.len()), "山%");
    }

    #[test]
    fn percent_encoded_shift_jis_and_euc_jp_are_folded_as_decoded() {
        // Old Japanese sites post forms and escape URLs in their pages' encoding.
        let cases = [
            // Shift_JIS: a second byte that is a letter is not escaped (`%8ER`, `山`).
            (
                "name=%8ER%8C%FB+%91%E5%89%EE&d=1968%2F09%2F18",
                "name=山口 大介&d=1968/09/18",
            ),
            ("q=%83%84%83%7D%83O%83%60", "q=ヤマグチ"),
            ("kana=%D4%CF%B8%DE%C1", "kana=ヤマグチ"),
            (
                "a=%93%F2%8D%E8%8Es%93%EC%92%7C%92J%92%AC2%92%9A%96%DA",
                "a=尼崎市南竹谷町2丁目",
            ),
            // EUC-JP: every byte escaped; half-width kana after 0x8E.
            ("name=%BB%B3%B8%FD+%C2%E7%B2%F0", "name=山口 大介"),
            ("q=%A5%E4%A5%DE%A5%B0%A5%C1", "q=ヤマグチ"),
            ("kana=%8E%D4%8E%CF%8E%B8%8E%DE%8E%C1", "kana=ヤマグチ"),
            // UTF-8 with a stray byte of another encoding is UTF-8.
            ("%E5%B1%B1%E5%8F%A3 caf%E9", "山口 caf%e9"),
            // One character's worth of escapes that are no UTF-8 is no text (a URL's binary).
            ("sig=%B1%B1", "sig=%b1%b1"),
            ("sig=%E5%41%42", "sig=%e5%41%42"),
            ("x=%8ER", "x=%8er"),
        ];
        for (block, want) in cases {
            let f = FoldedText::fold(block, 0, FoldedText::default());
            assert_eq!(f.string(0, f.len()), want, "{block}");
        }
        // Each character's source is its escapes, with a second byte left as it is.
        let f = FoldedText::fold("n=%8ER%8C%FB+%91%E5", 10, FoldedText::default());
        assert_eq!(f.byte_span(2, 3), (12, 16));
        assert_eq!(f.byte_span(3, 4), (16, 22));
        assert_eq!(f.byte_span(4, 5), (22, 23));
        assert_eq!(f.byte_span(5, 6), (23, 29));
        let f = FoldedText::fold("%8E%C0%8E%DE%BB%B3", 0, FoldedText::default());
        assert_eq!(f.string(0, f.len()), "ダ山");
        assert_eq!(f.byte_span(0, 1), (0, 12));
    }

    #[test]
    fn the_encoding_of_percent_encoded_text() {
        let cases = [
            ("%E5%B1%B1", Some(Escapes::Utf8)),
            ("%8ER%8C%FB", Some(Escapes::ShiftJis)),
            // No Shift_JIS lead byte of kana or common kanji: EUC-JP first.
            ("%BB%B3%B8%FD", Some(Escapes::EucJp)),
            ("%E0%A1%E0%A1", Some(Escapes::EucJp)),
            ("%E0%A0%E0%A0", Some(Escapes::ShiftJis)),
            // Not EUC-JP (an odd byte): Shift_JIS.
            ("%D4%CF%B8%DE%C1", Some(Escapes::ShiftJis)),
            ("%E5%B1%B1%E5%8F%A3%E9", Some(Escapes::Utf8)),
            ("%2F%20%d 100%", None),
            ("%B1%B1", None),
            ("%FF%FF%FF%FF", None),
        ];
        for (block, want) in cases {
            assert_eq!(percent_encoded_text(block.as_bytes()), want, "{block}");
        }
    }

    #[test]
    fn json_escapes_and_character_references_are_folded_as_decoded() {
        let cases = [
            // PHP's `json_encode`, Python's `json.dumps`: `\uXXXX` in either case.
            (
                r#"{"name": "\u5c71\u53e3 \u5927\u4ecb", "birth": "1968-09-18"}"#,
                r#"{"name": "山口 大介", "birth": "1968-09-18"}"#,
            ),
            (r"\u30E4\u30DE\u30B0\u30C1", "ヤマグチ"),
            // Half-width kana with an escaped voiced mark; a surrogate pair; ASCII escapes.
            (r"\uff94\uff8f\uff78\uff9e\uff81", "ヤマグチ"),
            (r"\ud842\udfb7\u7530\u0020\u592a\u90ce", "吉田 太郎"),
            // UTF-8 bytes escaped, as Python's `repr` of bytes writes them.
            (
                r"b'\xe5\xb1\xb1\xe5\x8f\xa3 \xE5\xA4\xA7\xE4\xBB\x8B'",
                "b'山口 大介'",
            ),
            // PHP escapes `/` too; a date so escaped is reason enough to decode a block.
            (
                r#"{"n":"\u5c71\u53e3","d":"1968\/09\/18","u":"https:\/\/x"}"#,
                r#"{"n":"山口","d":"1968/09/18","u":"https://x"}"#,
            ),
            (r#"{"dob":"1968\/09\/18"}"#, r#"{"dob":"1968/09/18"}"#),
            // Character references, decimal and hex, with other text.
            ("&#23665;&#21475; &#x5927;&#X4ECB; 1968", "山口 大介 1968"),
            ("山口&#x5927;&#x4ecb;", "山口大介"),
            // Not escapes: a lone surrogate, a reference without `;` or too long, named ones.
            (r"\ud842 \u5c71\u53e3", r"\ud842 山口"),
            (
                "&#23665 &#x5c71; &#x53e3; &#123456789; &amp;",
                "&#23665 山 口 &#123456789; &amp;",
            ),
        ];
        for (block, want) in cases {
            let f = FoldedText::fold(block, 0, FoldedText::default());
            assert_eq!(f.string(0, f.len()), want, "{block}");
        }
        // Each character's source is its escape; a surrogate pair's, both.
        let f = FoldedText::fold(r"x \ud842\udfb7\u7530", 10, FoldedText::default());
        assert_eq!(f.byte_span(2, 3), (12, 24));
        assert_eq!(f.byte_span(3, 4), (24, 30));
        let f = FoldedText::fold("&#23665;&#x53e3;", 0, FoldedText::default());
        assert_eq!((f.byte_span(0, 1), f.byte_span(1, 2)), ((0, 8), (8, 16)));
        // One Japanese character escaped, or escapes of other text (an accented name, an
        // emoji, ASCII in a log line), leave a block as written.
        for block in [
            r"\u5c71 and \u00e9\u00e8",
            r"caf\u00e9 \ud83d\ude00\ud83d\ude00 \u003cb\u003e",
            "&#23665; &#233;&#233; &#60;&#60;",
            r"C:\users\u1\data & more",
            r#"{"url":"https:\/\/example.com\/a"}"#,
            r"\xe5\xb1\xb1 \xff\xfe \x41",
        ] {
            let f = FoldedText::fold(block, 0, FoldedText::default());
            assert_eq!(f.string(0, f.len()), block.to_lowercase(), "{block}");
        }
    }

    #[test]
    fn cells_that_may_hold_a_name_in_lower_case_are_noted() {
        let cells = |s: &str| FoldedText::fold(s, 0, FoldedText::default()).cells;
        let cases: [(&str, &[u32]); 10] = [
            // Blocks all ASCII are searched as a whole: nothing noted.
            ("id,yamada taro,1985\n", &[]),
            ("名\nyamada taro,1985", &[2]),
            ("名,yamada,taro,1985", &[2]),
            ("名,'yamada', 'taro'", &[3, 13]),
            ("{\"氏名\": \"yamada taro\"}", &[8]),
            ("名,yamada\ttaro", &[2, 9]),
            // A word at a character not ASCII may go on in full width.
            ("名,yamada　taro", &[2]),
            // Keys, e-mail addresses, one word, a word and a number: no.
            ("{\"name\": \"山田\", \"kana\": \"ヤマダ\"}", &[]),
            ("名,taro@example.jp,1985", &[]),
            ("名,yamada,1985,tokyo\n", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(cells(text), want, "{text:?}");
        }
    }

    #[test]
    fn values_one_character_to_a_cell_are_joined() {
        let cases = [
            // Digits: seven or more, with what else has a box of its own.
            ("6,8,5,4,3,9,9,3,6,4,7,1", "685439936471"),
            ("6 8 5 4 3 9 9 3 6 4 7 1\n", "685439936471\n"),
            (
                "個人番号\t6\t\t8\t\t5\t\t4\t\t3\t\t9\t\t9",
                "個人番号\t6854399",
            ),
            ("〒 6 6 0 - 0 0 7 5", "〒660-0075"),
            ("1\t9\t6\t8\t年\t0\t9\t月\t1\t8\t日", "1968年09月18日"),
            ("\"0\",\"9\",\"0\",\"6\",\"6\",\"8\",\"2\"", "\"0906682\""),
            // Kana and kanji: three or more; an empty cell between is a space.
            (
                "\"モ\",\"チ\",\"ヅ\",\"キ\",\"\",\"ミ\",\"カ\"",
                "\"モチズキ ミカ\"",
            ),
            (
                "フリガナ\t\t\tヤ\tマ\tグ\tチ\t\tダ\tイ",
                "フリガナ\t\t\tヤマグチ ダイ",
            ),
            ("山　田　太　郎", "山田太郎"),
            ("ア イ ウ", "アイウ"),
            // A run ends where the separator changes; the next one may start there.
            ("6,8;5,4,3,9,9,3,6,4,7,1", "6,8;5439936471"),
            ("x;6,8,5,4,3,9,9", "x;6854399"),
            // Left apart: fewer digits (a date's or an address's parts in cells of their
            // own), two kana, letters, cells of more than one character.
            ("昭和,4,9,1", "昭和,4,9,1"),
            ("尼崎市,2,3,1", "尼崎市,2,3,1"),
            ("1,2,3,4,5,6", "1,2,3,4,5,6"),
            ("年,月", "年,月"),
            ("a b c d e f g h", "a b c d e f g h"),
            ("06,6014,7937,山田", "06,6014,7937,山田"),
            ("1,2,3,4,5,6,7\n8", "1234567\n8"),
        ];
        for (text, want) in cases {
            let mut f = FoldedText::fold(text, 0, FoldedText::default());
            f.join_boxed_cells();
            let got: String = f.chars.iter().collect();
            assert_eq!(got, want, "{text:?}");
            let breaks: Vec<usize> = (0..f.chars.len()).filter(|&k| f.chars[k] == '\n').collect();
            assert_eq!(f.breaks, breaks, "{text:?}");
        }
        // Spans cover the cells; in a block all ASCII, characters are found by their bytes.
        let mut f = FoldedText::fold("No. 6,8,5,4,3,9,9,3,6,4,7,1 x", 10, FoldedText::default());
        assert!(f.join_boxed_cells());
        assert!(!f.join_boxed_cells(), "once a block");
        assert_eq!(f.byte_span(4, 16), (14, 37));
        assert_eq!(f.char_at(6), 5);
        assert_eq!(f.char_at(27), 16);
        // Kana one to a cell are noticed by folding; digits by pass 1 (not here).
        let f = FoldedText::fold("モ,チ,ヅ,キ", 0, FoldedText::default());
        assert_eq!(f.chars.iter().collect::<String>(), "モチズキ");
        let f = FoldedText::fold("番号,6,8,5,4,3,9,9", 0, FoldedText::default());
        assert_eq!(f.chars.iter().collect::<String>(), "番号,6,8,5,4,3,9,9");
    }

    proptest::proptest! {
        /// Joining drops separators (or folds a run of them to one space) and nothing else:
        /// every other character keeps its source, line breaks and noted cells move with
        /// their characters.
        #[test]
        fn joining_drops_separators_only(s in "[0-9a-z,\t \"\n|モチヅキ山田　-]{0,60}") {
            let before = FoldedText::fold(&s, 3, FoldedText::default());
            let mut after = FoldedText::fold(&s, 3, FoldedText::default());
            let sources: Vec<(usize, usize)> =
                (0..before.chars.len()).map(|k| before.byte_span(k, k + 1)).collect();
            let cell_sources: Vec<usize> =
                before.cells.iter().map(|&c| before.source_start(c as usize)).collect();
            after.boxed_checked = false;
            after.join_boxed_cells();
            let mut k = 0;
            for j in 0..after.chars.len() {
                let span = after.byte_span(j, j + 1);
                while k < before.chars.len() && sources[k] != span {
                    proptest::prop_assert!(is_cell_gap(before.chars[k]), "{s:?}: dropped {:?}", before.chars[k]);
                    k += 1;
                }
                proptest::prop_assert!(k < before.chars.len(), "{s:?}");
                proptest::prop_assert!(after.chars[j] == before.chars[k] || (after.chars[j] == ' ' && is_cell_gap(before.chars[k])), "{s:?}");
                k += 1;
            }
            proptest::prop_assert!(before.chars[k..].iter().all(|&c| is_cell_gap(c)), "{s:?}");
            let breaks: Vec<usize> = (0..after.chars.len()).filter(|&j| after.chars[j] == '\n').collect();
            proptest::prop_assert_eq!(&after.breaks, &breaks);
            let moved: Vec<usize> = after.cells.iter().map(|&c| after.source_start(c as usize)).collect();
            proptest::prop_assert_eq!(moved, cell_sources);
            for b in 0..s.len() {
                if let Some(j) = after.char_at_byte(b) {
                    proptest::prop_assert_eq!(after.char_at(b), j);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_equals_folder(s in "[a-zA-Z0-9 \n\\-ａ-ｚ０-９ぁ-ゖァ-ヾｦ-ﾟ\u{3099}-\u{309C}一-龥①-⑳〒、。「」　髙﨑邉澤𠮷\u{FE00}\u{E0100}]{0,40}") {
            let f = FoldedText::fold(&s, 7, FoldedText::default());
            // Kana one to a cell (`ア イ ウ`) are joined, which the `Folder` does not do.
            proptest::prop_assume!(!f.joined);
            let want: Vec<_> = Folder::new(&s).collect();
            proptest::prop_assert_eq!(&f.chars, &want.iter().map(|x| x.ch).collect::<Vec<_>>());
            let breaks: Vec<usize> = (0..f.chars.len()).filter(|&k| f.chars[k] == '\n').collect();
            proptest::prop_assert_eq!(&f.breaks, &breaks);
            for (k, w) in want.iter().enumerate() {
                proptest::prop_assert_eq!(f.byte_span(k, k + 1), (7 + w.start, 7 + w.end.max(w.start)));
            }
        }
    }
}
