//! Rich Text Format (`.rtf`): its text. Word and WordPad save documents as RTF, Outlook keeps
//! a message's body as (compressed) RTF, and a byte-level scan of one finds no Japanese name:
//! RTF is 7-bit text whose other characters are escaped, `\u23665?` (Unicode, with a fallback
//! for old readers) or `\'8e\'52` (bytes in the code page of the current font, Shift_JIS for
//! a Japanese one: what WordPad and older Word write).
//!
//! The reader walks the groups (`{…}`) and control words once, with a state per group: whether
//! the group is text at all (the font and colour tables, the style sheet, the document's
//! properties, pictures, a field's instruction and every `\*` destination are not), the code
//! page (`\ansicpg`, the font table's `\fcharset` and `\cpg` of the font in use, `\f`, or of
//! the associated font, `\af`, in double-byte text, `\dbch`), the number of
//! fallback characters after `\u` (`\uc`), and whether a paragraph is in a table. Paragraphs
//! are lines, table cells end with a tab and rows with a line (a paragraph inside a cell is a
//! space, as Word's own readers keep a row on one line), bytes of a double-byte code page are
//! decoded together even when a writer left the trail byte unescaped. `\bin` data is stepped
//! over. Outlook's encapsulated HTML (`\fromhtml`) reads as its text: its HTML tags are `\*`
//! destinations and its `\htmlrtf` runs are left out.
//!
//! Hostile files are bounded: groups deeper than [`MAX_DEPTH`] keep their parent's state (what
//! they change is dropped: their text is read, but a destination there is read as text too),
//! at most [`MAX_FONTS`] fonts are kept, the text stops at the budget, and a compressed body
//! ([`uncompressed`]) is inflated within it.

use encoding_rs::{
    BIG5, EUC_KR, Encoding, GBK, IBM866, ISO_8859_2, KOI8_R, MACINTOSH, SHIFT_JIS, UTF_8,
    WINDOWS_874, WINDOWS_1250, WINDOWS_1251, WINDOWS_1252, WINDOWS_1253, WINDOWS_1254,
    WINDOWS_1255, WINDOWS_1256, WINDOWS_1257, WINDOWS_1258,
};

/// Groups opened deeper than this keep their parent's state (a hostile file of a million `{`
/// costs no memory).
pub(crate) const MAX_DEPTH: usize = 256;

/// Fonts kept from the font table (a real document has dozens).
pub(crate) const MAX_FONTS: usize = 1024;

/// Whether `bytes` is an RTF document: `{\rtf` first, after white space or a UTF-8 BOM.
pub(crate) fn is_rtf(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    b[start..].starts_with(b"{\\rtf")
}

/// Appends the text of the RTF document `bytes` to `out`, at most `budget` bytes of it (what
/// is left of the budget is returned in place).
pub(crate) fn read_rtf(bytes: &[u8], budget: &mut usize, out: &mut String) {
    let start = out.len();
    let mut reader = Reader {
        out,
        limit: start.saturating_add(*budget),
        groups: vec![Group::top()],
        deeper: 0,
        scratch: Group::top(),
        pending: Vec::new(),
        pending_encoding: WINDOWS_1252,
        fallback: 0,
        high_surrogate: None,
        tag: Vec::new(),
        fonts: Vec::new(),
        defining: None,
        default_encoding: WINDOWS_1252,
        default_font: None,
    };
    reader.read(bytes);
    reader.flush();
    let written = reader.out.len() - start;
    *budget = budget.saturating_sub(written);
}

/// The state a group keeps and its subgroups inherit.
#[derive(Clone, Copy)]
struct Group {
    /// Text here is not the document's (a table, a picture, a `\*` destination, …).
    skip: bool,
    /// Inside the font table: fonts are defined here, not used.
    font_table: bool,
    /// Outlook's `\htmlrtf`: RTF of its own inside encapsulated HTML, not the message's text.
    html_rtf: bool,
    /// An encapsulated HTML tag (`\htmltag`): not text, but a cell or a line may start.
    html_tag: bool,
    /// The paragraph is in a table (`\intbl`, until `\pard`).
    in_table: bool,
    /// The code page of `\'hh` bytes and of 8-bit characters here: the font's (`\f`).
    encoding: &'static Encoding,
    /// The code page of the associated font (`\af`), which double-byte text (`\dbch`, until
    /// `\loch` or `\hich`) is in.
    associated: &'static Encoding,
    /// The text is double-byte characters, in the associated font.
    double_byte: bool,
    /// How many characters follow `\uN` for readers that cannot read it (`\uc`, 1 unless set).
    fallback: u8,
}

impl Group {
    /// The code page bytes are in here.
    fn byte_encoding(&self) -> &'static Encoding {
        if self.double_byte {
            self.associated
        } else {
            self.encoding
        }
    }

    fn top() -> Group {
        Group {
            skip: false,
            font_table: false,
            html_rtf: false,
            html_tag: false,
            in_table: false,
            encoding: WINDOWS_1252,
            associated: WINDOWS_1252,
            double_byte: false,
            fallback: 1,
        }
    }
}

struct Reader<'o> {
    out: &'o mut String,
    /// `out`'s length at which reading stops.
    limit: usize,
    /// The open groups' states, the current last (never empty while reading).
    groups: Vec<Group>,
    /// Groups open past [`MAX_DEPTH`].
    deeper: usize,
    /// What a group past [`MAX_DEPTH`] changes, dropped.
    scratch: Group,
    /// Code-page bytes not yet decoded, in `pending_encoding`.
    pending: Vec<u8>,
    pending_encoding: &'static Encoding,
    /// Fallback characters still to skip after a `\u`.
    fallback: u8,
    /// The first half of a character `\u` wrote as two UTF-16 units.
    high_surrogate: Option<u16>,
    /// The start of the encapsulated HTML tag being read, lower case.
    tag: Vec<u8>,
    /// The font table's fonts with a code page of their own.
    fonts: Vec<(i32, &'static Encoding)>,
    /// The font the font table is defining.
    defining: Option<i32>,
    /// The document's code page (`\ansicpg`, `\mac`).
    default_encoding: &'static Encoding,
    /// The default font (`\deff`).
    default_font: Option<i32>,
}

impl Reader<'_> {
    /// The current group's state, to change: past [`MAX_DEPTH`] a copy that is dropped, so
    /// that a group too deep changes nothing outside it.
    fn group(&mut self) -> &mut Group {
        if self.deeper > 0 {
            self.scratch = self.current();
            return &mut self.scratch;
        }
        let last = self.groups.len() - 1;
        &mut self.groups[last]
    }

    fn current(&self) -> Group {
        self.groups[self.groups.len() - 1]
    }

    /// Whether the text reached the budget (a pending byte decodes to 3 bytes at most).
    fn full(&self) -> bool {
        self.out.len() + 3 * self.pending.len() >= self.limit
    }

    fn read(&mut self, b: &[u8]) {
        let mut i = 0;
        while i < b.len() && !self.full() {
            match b[i] {
                b'{' => {
                    i += 1;
                    self.open();
                }
                b'}' => {
                    i += 1;
                    if !self.close() {
                        return;
                    }
                }
                b'\\' => i = self.control(b, i + 1),
                b'\r' | b'\n' | 0 => i += 1,
                b'\t' => {
                    i += 1;
                    self.text_char('\t');
                }
                c if c >= 0x80 => {
                    i += 1;
                    self.text_byte(c);
                }
                c => {
                    i += 1;
                    // The trail byte of a double-byte character that a writer left unescaped
                    // (`\'83A`) belongs with its lead byte.
                    if !self.pending.is_empty() && is_double_byte(self.pending_encoding) {
                        self.text_byte(c);
                    } else {
                        self.text_char(char::from(c));
                    }
                }
            }
        }
    }

    fn open(&mut self) {
        self.flush();
        if self.groups.len() >= MAX_DEPTH {
            self.deeper += 1;
        } else {
            let g = self.current();
            self.groups.push(g);
        }
    }

    /// Closes a group; false at the end of the document (its outermost group closed).
    fn close(&mut self) -> bool {
        self.flush();
        self.fallback = 0;
        if self.deeper > 0 {
            self.deeper -= 1;
            return true;
        }
        // The document's own group (inside the reader's) closed: the end.
        if self.groups.len() <= 2 {
            return false;
        }
        let closed = self.groups.pop();
        // The font table read: the default font's code page applies from here on.
        if closed.is_some_and(|g| g.font_table) && !self.current().font_table {
            let encoding = self.font_encoding(self.default_font);
            let g = self.group();
            g.encoding = encoding;
            g.associated = encoding;
        }
        if closed.is_some_and(|g| g.html_tag) && !self.current().html_tag {
            self.html_tag();
        }
        true
    }

    /// A cell or a line where an encapsulated HTML tag starts one (`<td>`, `</tr>`, `<br>`).
    fn html_tag(&mut self) {
        const CELLS: [&[u8]; 2] = [b"<td", b"<th"];
        const LINES: [&[u8]; 11] = [
            b"<br", b"<p", b"</p", b"<div", b"</div", b"<tr", b"</tr", b"<li", b"</li", b"</table",
            b"<table",
        ];
        let tag = std::mem::take(&mut self.tag);
        let name_ends = |name: &[u8]| {
            tag.starts_with(name)
                && tag
                    .get(name.len())
                    .is_none_or(|c| !c.is_ascii_alphanumeric())
        };
        let heading = |name: &[u8]| {
            tag.starts_with(name) && tag.get(name.len()).is_some_and(u8::is_ascii_digit)
        };
        let c = if CELLS.iter().any(|n| name_ends(n)) {
            '\t'
        } else if LINES.iter().any(|n| name_ends(n)) || heading(b"<h") || heading(b"</h") {
            '\n'
        } else if tag.starts_with(b"&nbsp") {
            ' '
        } else {
            self.tag = tag;
            return;
        };
        self.tag = tag;
        if !self.current().skip {
            self.out.push(c);
        }
    }

    /// Reads the control word or symbol after the `\` at `at - 1`; the index after it.
    fn control(&mut self, b: &[u8], at: usize) -> usize {
        let Some(&c) = b.get(at) else {
            return at;
        };
        if !c.is_ascii_alphabetic() {
            return self.symbol(b, at);
        }
        let mut end = at;
        while end < b.len() && b[end].is_ascii_alphabetic() && end - at < 32 {
            end += 1;
        }
        let word = &b[at..end];
        let mut param: Option<i32> = None;
        let negative = b.get(end) == Some(&b'-');
        let digits_at = end + usize::from(negative);
        let mut k = digits_at;
        while k < b.len() && b[k].is_ascii_digit() && k - digits_at < 10 {
            k += 1;
        }
        if k > digits_at {
            let n = std::str::from_utf8(&b[digits_at..k])
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0);
            let n = if negative { -n } else { n };
            param = Some(n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
            end = k;
        }
        if b.get(end) == Some(&b' ') {
            end += 1;
        }
        if word == b"bin" {
            // Binary data of that many bytes, stepped over.
            let n = usize::try_from(param.unwrap_or(0)).unwrap_or(0);
            return end.saturating_add(n).min(b.len());
        }
        self.word(word, param);
        end
    }

    /// A control symbol (`\'hh`, `\\`, `\~`, …) at `at`; the index after it.
    fn symbol(&mut self, b: &[u8], at: usize) -> usize {
        match b[at] {
            b'\'' => {
                let hex = b.get(at + 1..at + 3).and_then(|h| {
                    let h = std::str::from_utf8(h).ok()?;
                    u8::from_str_radix(h, 16).ok()
                });
                match hex {
                    Some(byte) => {
                        self.text_byte(byte);
                        at + 3
                    }
                    None => at + 1,
                }
            }
            b'*' => {
                self.group().skip = true;
                at + 1
            }
            b'\\' | b'{' | b'}' => {
                self.text_char(char::from(b[at]));
                at + 1
            }
            b'~' => {
                self.text_char(' ');
                at + 1
            }
            b'_' => {
                self.text_char('-');
                at + 1
            }
            // `\` before a line's end is a paragraph.
            b'\r' | b'\n' => {
                self.paragraph();
                at + 1
            }
            // `\-` (an optional hyphen), `\:`, `\|` and the rest: nothing to read.
            _ => {
                self.skip_fallback();
                at + 1
            }
        }
    }

    fn word(&mut self, word: &[u8], param: Option<i32>) {
        let g = self.current();
        if g.font_table {
            match word {
                b"f" => self.defining = param,
                b"fcharset" => {
                    if let Some(e) = param.and_then(charset_encoding) {
                        self.define_font(e);
                    }
                }
                b"cpg" => {
                    if let Some(e) = param.and_then(code_page_encoding) {
                        self.define_font(e);
                    }
                }
                _ => {}
            }
            return;
        }
        match word {
            b"par" | b"line" | b"sect" | b"page" => self.paragraph(),
            b"cell" | b"nestcell" | b"tab" => self.text_char('\t'),
            b"row" | b"nestrow" => self.end_row(),
            b"u" => self.unicode(param.unwrap_or(0)),
            b"uc" => self.group().fallback = param.unwrap_or(1).clamp(0, 16) as u8,
            b"intbl" => self.group().in_table = true,
            b"pard" => self.group().in_table = false,
            b"htmlrtf" => self.group().html_rtf = param != Some(0),
            b"htmltag" => {
                let g = self.group();
                g.skip = true;
                g.html_tag = true;
                self.tag.clear();
            }
            b"ansicpg" => {
                if let Some(e) = param.and_then(code_page_encoding) {
                    self.default_encoding = e;
                    let g = self.group();
                    g.encoding = e;
                    g.associated = e;
                }
            }
            b"mac" => {
                self.default_encoding = MACINTOSH;
                let g = self.group();
                g.encoding = MACINTOSH;
                g.associated = MACINTOSH;
            }
            b"deff" => self.default_font = param,
            b"f" => {
                let e = self.font_encoding(param);
                self.group().encoding = e;
            }
            b"af" => {
                let e = self.font_encoding(param);
                self.group().associated = e;
            }
            b"dbch" => self.group().double_byte = true,
            b"loch" | b"hich" => self.group().double_byte = false,
            b"fonttbl" => {
                let g = self.group();
                g.skip = true;
                g.font_table = true;
            }
            b"colortbl"
            | b"stylesheet"
            | b"info"
            | b"pict"
            | b"objdata"
            | b"objclass"
            | b"fldinst"
            | b"themedata"
            | b"colorschememapping"
            | b"latentstyles"
            | b"datastore"
            | b"xmlnstbl"
            | b"listtable"
            | b"listoverridetable"
            | b"rsidtbl"
            | b"generator"
            | b"pgdsctbl"
            | b"filetbl"
            | b"revtbl"
            | b"userprops"
            | b"docvar"
            | b"template"
            | b"nonshppict"
            | b"shpinst"
            | b"fontemb"
            | b"fontfile" => {
                self.group().skip = true;
            }
            b"emdash" => self.text_char('—'),
            b"endash" => self.text_char('–'),
            b"bullet" => self.text_char('•'),
            b"lquote" => self.text_char('‘'),
            b"rquote" => self.text_char('’'),
            b"ldblquote" => self.text_char('“'),
            b"rdblquote" => self.text_char('”'),
            b"emspace" | b"enspace" | b"qmspace" => self.text_char(' '),
            // A control word stands for one fallback character.
            _ => self.skip_fallback(),
        }
    }

    fn define_font(&mut self, encoding: &'static Encoding) {
        let Some(f) = self.defining else {
            return;
        };
        if let Some(slot) = self.fonts.iter_mut().find(|(n, _)| *n == f) {
            slot.1 = encoding;
        } else if self.fonts.len() < MAX_FONTS {
            self.fonts.push((f, encoding));
        }
    }

    /// The code page of font `f`: its own, or the document's.
    fn font_encoding(&self, f: Option<i32>) -> &'static Encoding {
        f.and_then(|f| self.fonts.iter().find(|(n, _)| *n == f))
            .map_or(self.default_encoding, |&(_, e)| e)
    }

    fn suppressed(&self) -> bool {
        let g = self.current();
        g.skip || g.html_rtf
    }

    fn skip_fallback(&mut self) {
        self.fallback = self.fallback.saturating_sub(1);
    }

    /// Keeps the start of an encapsulated HTML tag.
    fn tag_byte(&mut self, byte: u8) {
        if self.current().html_tag && self.tag.len() < 8 {
            self.tag.push(byte.to_ascii_lowercase());
        }
    }

    fn text_char(&mut self, c: char) {
        if self.suppressed() {
            if c.is_ascii() {
                self.tag_byte(c as u8);
            }
            return;
        }
        if self.fallback > 0 {
            self.fallback -= 1;
            return;
        }
        self.flush();
        self.high_surrogate = None;
        self.out.push(c);
    }

    fn text_byte(&mut self, byte: u8) {
        if self.suppressed() {
            return;
        }
        if self.fallback > 0 {
            self.fallback -= 1;
            return;
        }
        let encoding = self.current().byte_encoding();
        if encoding != self.pending_encoding {
            self.flush();
            self.pending_encoding = encoding;
        }
        self.high_surrogate = None;
        self.pending.push(byte);
    }

    fn unicode(&mut self, n: i32) {
        let unit = (n as i64).rem_euclid(0x1_0000) as u16;
        let skip = self.current().fallback;
        if self.suppressed() {
            self.fallback = skip;
            return;
        }
        self.flush();
        match unit {
            0xD800..=0xDBFF => self.high_surrogate = Some(unit),
            0xDC00..=0xDFFF => {
                if let Some(high) = self.high_surrogate.take() {
                    let c =
                        0x1_0000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                    if let Some(c) = char::from_u32(c) {
                        self.out.push(c);
                    }
                }
            }
            _ => {
                self.high_surrogate = None;
                if let Some(c) = char::from_u32(u32::from(unit)) {
                    self.out.push(c);
                }
            }
        }
        self.fallback = skip;
    }

    fn paragraph(&mut self) {
        let c = if self.current().in_table { ' ' } else { '\n' };
        self.text_char(c);
    }

    fn end_row(&mut self) {
        if self.suppressed() {
            return;
        }
        self.flush();
        self.fallback = 0;
        // The last cell's tab ends the row.
        if self.out.ends_with('\t') {
            self.out.pop();
        }
        self.out.push('\n');
    }

    /// Decodes the pending code-page bytes into `out`.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let (text, _) = self
            .pending_encoding
            .decode_without_bom_handling(&self.pending);
        self.out.push_str(&text);
        self.pending.clear();
    }
}

/// Whether characters of `encoding` may take two bytes, the second of them ASCII.
fn is_double_byte(encoding: &'static Encoding) -> bool {
    encoding == SHIFT_JIS || encoding == GBK || encoding == BIG5 || encoding == EUC_KR
}

/// The code page of a font's `\fcharset` (Windows' character set numbers); none for the ANSI,
/// default and symbol sets, which read in the document's code page.
fn charset_encoding(charset: i32) -> Option<&'static Encoding> {
    Some(match charset {
        77 => MACINTOSH,
        128 => SHIFT_JIS,
        129 | 130 => EUC_KR,
        134 => GBK,
        136 => BIG5,
        161 => WINDOWS_1253,
        162 => WINDOWS_1254,
        163 => WINDOWS_1258,
        177 => WINDOWS_1255,
        178 => WINDOWS_1256,
        186 => WINDOWS_1257,
        204 => WINDOWS_1251,
        222 => WINDOWS_874,
        238 => WINDOWS_1250,
        _ => return None,
    })
}

/// The encoding of a Windows code page number (`\ansicpg`, `\cpg`; TNEF's code pages).
pub(crate) fn code_page_encoding(cp: i32) -> Option<&'static Encoding> {
    Some(match cp {
        932 | 943 => SHIFT_JIS,
        936 | 54936 => GBK,
        949 => EUC_KR,
        950 => BIG5,
        874 => WINDOWS_874,
        1250 => WINDOWS_1250,
        1251 => WINDOWS_1251,
        1252 | 437 | 850 | 28591 => WINDOWS_1252,
        1253 => WINDOWS_1253,
        1254 => WINDOWS_1254,
        1255 => WINDOWS_1255,
        1256 => WINDOWS_1256,
        1257 => WINDOWS_1257,
        1258 => WINDOWS_1258,
        866 => IBM866,
        20866 => KOI8_R,
        28592 => ISO_8859_2,
        10000 => MACINTOSH,
        20932 | 51932 => encoding_rs::EUC_JP,
        65001 => UTF_8,
        _ => return None,
    })
}

/// The dictionary an Outlook compressed RTF stream ([MS-OXRTFCP]) starts from.
const COMPRESSED_RTF_DICTIONARY: &[u8] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

/// `LZFu`: the stream is compressed.
const COMPRESSED: u32 = 0x7546_5A4C;
/// `MELA`: the stream is stored as it is.
const UNCOMPRESSED: u32 = 0x414C_454D;

/// The RTF an Outlook message keeps compressed (`PR_RTF_COMPRESSED`, [MS-OXRTFCP]): a 16-byte
/// header (compressed size, raw size, `LZFu` or `MELA`, CRC) and LZ77 runs over a 4 KiB
/// dictionary that starts with a fixed RTF prefix. At most `budget` bytes; a cut stream gives
/// what it holds; none when the header is not one.
pub(crate) fn uncompressed(data: &[u8], budget: usize) -> Option<Vec<u8>> {
    let word = |k: usize| -> Option<u32> {
        Some(u32::from_le_bytes(data.get(k..k + 4)?.try_into().ok()?))
    };
    let raw_size = usize::try_from(word(4)?).ok()?;
    let kind = word(8)?;
    let body = &data[16.min(data.len())..];
    let cap = raw_size.min(budget);
    match kind {
        UNCOMPRESSED => Some(body[..body.len().min(cap)].to_vec()),
        COMPRESSED => Some(lz_runs(body, cap)),
        _ => None,
    }
}

/// The bytes of compressed RTF's runs, at most `cap`.
fn lz_runs(body: &[u8], cap: usize) -> Vec<u8> {
    let mut dictionary = [0u8; 4096];
    dictionary[..COMPRESSED_RTF_DICTIONARY.len()].copy_from_slice(COMPRESSED_RTF_DICTIONARY);
    let mut write = COMPRESSED_RTF_DICTIONARY.len();
    let mut out = Vec::with_capacity(cap.min(body.len().saturating_mul(8)));
    let mut i = 0;
    while i < body.len() && out.len() < cap {
        let control = body[i];
        i += 1;
        for bit in 0..8 {
            if out.len() >= cap || i >= body.len() {
                return out;
            }
            if control & (1 << bit) == 0 {
                let byte = body[i];
                i += 1;
                dictionary[write] = byte;
                write = (write + 1) % 4096;
                out.push(byte);
                continue;
            }
            let Some(pair) = body.get(i..i + 2) else {
                return out;
            };
            i += 2;
            let token = u16::from_be_bytes([pair[0], pair[1]]);
            let offset = usize::from(token >> 4);
            let length = usize::from(token & 0xF) + 2;
            // A reference to where the next byte goes ends the stream.
            if offset == write {
                return out;
            }
            for k in 0..length {
                if out.len() >= cap {
                    return out;
                }
                let byte = dictionary[(offset + k) % 4096];
                dictionary[write] = byte;
                write = (write + 1) % 4096;
                out.push(byte);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
