//! Rich Text Format files for the leak forms and the matcher's tests ([`rtf_file`]).

use std::fmt::Write as _;

/// How an [`rtf_file`] writes the characters above ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtfEscapes {
    /// As Word writes them: `\uN` with the character's Shift_JIS bytes as its fallback
    /// (`\uc2 \u23665\'8e\'52`), ASCII fonts for Latin text and a Japanese one for the rest.
    Word,
    /// As WordPad and older writers do: only Shift_JIS bytes, in a Japanese font, the bytes
    /// above ASCII escaped (`\'83`) and a trail byte in ASCII written as it is (`\'83A`).
    CodePage,
}

/// An RTF document: `title` as a paragraph, `rows` as a table (a cell's
/// [`RTF_CELL_PARAGRAPH`] is a paragraph inside it), and `closing` as a paragraph.
pub fn rtf_file(title: &str, rows: &[Vec<String>], closing: &str, escapes: RtfEscapes) -> Vec<u8> {
    let mut out = String::from(
        "{\\rtf1\\ansi\\ansicpg932\\deff0\\deflang1033\\deflangfe1041{\\fonttbl\
         {\\f0\\froman\\fprq1\\fcharset0 Century;}\
         {\\f1\\fmodern\\fprq1\\fcharset128 \\'82\\'6c\\'82\\'72 \\'96\\'be\\'92\\'a9;}}\r\n\
         {\\colortbl;\\red0\\green0\\blue0;}\r\n\
         {\\*\\generator leakwatch-leaks;}{\\info{\\title member list}{\\author office}}\
         \\viewkind4\\uc1 ",
    );
    let font = match escapes {
        RtfEscapes::Word => "\\loch\\f0\\hich\\af0\\dbch\\af1 ",
        RtfEscapes::CodePage => "\\f1 ",
    };
    let _ = write!(out, "\\pard\\plain{font}{}\\par\r\n", text(title, escapes));
    let widths: Vec<usize> = (1..=rows.first().map_or(0, Vec::len))
        .map(|k| k * 1800)
        .collect();
    for row in rows {
        out.push_str("\\trowd\\trgaph108");
        for w in &widths {
            let _ = write!(out, "\\cellx{w}");
        }
        out.push_str("\r\n");
        for cell in row {
            let cell = cell.replace(RTF_CELL_PARAGRAPH, "\\par ");
            let _ = write!(
                out,
                "\\pard\\intbl\\plain{font}{{{}}}\\cell\r\n",
                text(&cell, escapes)
            );
        }
        out.push_str("\\row\r\n");
    }
    let _ = write!(
        out,
        "\\pard\\plain{font}{}\\par\r\n}}",
        text(closing, escapes)
    );
    out.into_bytes()
}

/// Marks a paragraph's end inside a table's cell in [`rtf_file`]'s rows.
pub const RTF_CELL_PARAGRAPH: char = '\u{E002}';

/// `s` in RTF, its characters above ASCII escaped as `escapes` says (control words written in
/// it, `\par `, are kept).
fn text(s: &str, escapes: RtfEscapes) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let mut buf = [0u8; 4];
        let (sjis, _, unmapped) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
        // A character Shift_JIS lacks falls back to `?`, as Word's does.
        let sjis = if unmapped { &b"?"[..] } else { &sjis[..] };
        match escapes {
            RtfEscapes::Word => {
                let mut units = [0u16; 2];
                let units = c.encode_utf16(&mut units);
                if units.len() == 2 {
                    // Outside the BMP: two units, each with its `?`.
                    for unit in units {
                        let _ = write!(out, "\\u{}?", *unit as i16);
                    }
                    continue;
                }
                let _ = write!(out, "\\uc{}\\u{}", sjis.len(), units[0] as i16);
                for b in sjis {
                    let _ = write!(out, "\\'{b:02x}");
                }
                out.push_str("\\uc1 ");
            }
            RtfEscapes::CodePage => {
                for (k, &b) in sjis.iter().enumerate() {
                    if k > 0 && b.is_ascii_graphic() && !matches!(b, b'\\' | b'{' | b'}') {
                        out.push(char::from(b));
                    } else {
                        let _ = write!(out, "\\'{b:02x}");
                    }
                }
            }
        }
    }
    out
}

/// The text an [`rtf_file`] holds: its `\uN` characters, and its Shift_JIS bytes decoded
/// (paragraphs and cells ended by a line, the font and colour tables, the properties and
/// control words left out). For checking what the writer wrote, not a reader of RTF files in
/// general.
pub fn rtf_file_text(file: &[u8]) -> String {
    let body = file
        .windows(10)
        .position(|w| w == b"\\viewkind4")
        .map_or(file, |k| &file[k..]);
    let mut out = String::new();
    let mut bytes = Vec::new();
    let (mut uc, mut skip) = (1usize, 0usize);
    let mut i = 0;
    let flush = |bytes: &mut Vec<u8>, out: &mut String| {
        out.push_str(&encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes).0);
        bytes.clear();
    };
    while i < body.len() {
        let b = body[i];
        if b == b'\\' && body.get(i + 1) == Some(&b'\'') {
            let hex = std::str::from_utf8(&body[i + 2..i + 4]).unwrap_or("00");
            if skip > 0 {
                skip -= 1;
            } else {
                bytes.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
            }
            i += 4;
        } else if b == b'\\' {
            let start = i + 1;
            let mut end = start;
            while end < body.len() && body[end].is_ascii_alphabetic() {
                end += 1;
            }
            let word = &body[start..end];
            let digits = end;
            if body.get(end) == Some(&b'-') {
                end += 1;
            }
            while end < body.len() && body[end].is_ascii_digit() {
                end += 1;
            }
            let n: i32 = std::str::from_utf8(&body[digits..end])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if body.get(end) == Some(&b' ') {
                end += 1;
            }
            flush(&mut bytes, &mut out);
            match word {
                b"u" => {
                    out.push_str(&String::from_utf16_lossy(&[n as u16]));
                    skip = uc;
                }
                b"uc" => uc = usize::try_from(n).unwrap_or(0),
                b"par" | b"cell" => out.push('\n'),
                _ => {}
            }
            i = end;
        } else {
            if !matches!(b, b'\r' | b'\n' | b'{' | b'}') {
                if skip > 0 {
                    skip -= 1;
                } else if bytes.is_empty() {
                    out.push(char::from(b));
                } else {
                    bytes.push(b);
                }
            }
            i += 1;
        }
    }
    flush(&mut bytes, &mut out);
    out
}
