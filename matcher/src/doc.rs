//! Word 97–2003 documents (`.doc`) and PowerPoint 97–2003 presentations (`.ppt`): their text.
//! Japanese offices wrote letters, lists and minutes in these formats for two decades, and
//! keep them; a byte-level scan skips such a file as binary.
//!
//! Both are OLE2 compound files ([`crate::cfb`]).
//!
//! A Word document's text is in its `WordDocument` stream, in pieces the piece table lists
//! (the `Clx` in the `0Table` or `1Table` stream, which the `Fib` at the stream's start
//! points at): each piece is a run of characters, UTF-16 or one byte each (Windows-1252).
//! Paragraphs end with `\r`; a table cell ends with `\x07`, and so does a table row, in a
//! paragraph of its own whose properties say it ends a row (`sprmPFTtp`): those are found in
//! the paragraph properties' pages (`PlcBtePapx`), so that a row reads as a line of cells
//! apart by tabs, as a `.docx` row does. A field's code (`HYPERLINK "…"`) is left out, its
//! shown result kept. A document encrypted with a password is read once one opens it
//! ([`crate::unlock`]); Word 95 and older give nothing.
//!
//! A presentation's text is in the text atoms (`TextCharsAtom`, UTF-16; `TextBytesAtom`, one
//! byte each) found anywhere in the record tree of its `PowerPoint Document` stream: each
//! atom a line (a table's cell too, as each is a shape of its own), its paragraphs lines.
//!
//! Everything is bounds checked: a cut or corrupt file gives what can be read of it, and no
//! more text than its stream has bytes.

use crate::cfb::{Compound, u16_at, u32_at};

/// Appends the text of the Word document `file` to `out` (see the module documentation).
#[cfg(test)]
pub(crate) fn read_word(file: &Compound<'_>, out: &mut String) {
    if let Some((doc, table, data)) = word_streams(file) {
        read_word_streams(&doc, &table, &data, out);
    }
}

/// A Word document's `WordDocument` stream, its table stream (`0Table` or `1Table`, as the
/// `Fib` says) and its `Data` stream (empty if there is none).
pub(crate) fn word_streams(file: &Compound<'_>) -> Option<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let doc = file.stream("WordDocument")?;
    let table1 = u16_at(&doc, 0x0A)? & 0x0200 != 0;
    let table = file.stream(if table1 { "1Table" } else { "0Table" })?;
    let data = file.stream("Data").unwrap_or_default();
    Some((doc, table, data))
}

/// Appends the text of the Word document of the streams `doc` (`WordDocument`), `table` and
/// `data` to `out` (see the module documentation).
pub(crate) fn read_word_streams(doc: &[u8], table: &[u8], data: &[u8], out: &mut String) {
    let Some(fib) = Fib::read(doc) else {
        return;
    };
    let paragraphs = paragraphs(doc, table, data, fib.papx);
    let mut text = WordText {
        out,
        paragraphs: &paragraphs,
        fields: Vec::new(),
        in_code: 0,
        left: doc.len(),
    };
    for piece in pieces(table, fib.clx) {
        if text.left == 0 {
            break;
        }
        let n = (piece.chars as usize).min(text.left);
        if piece.compressed {
            let at = piece.fc as usize / 2;
            let Some(bytes) = doc.get(at..(at + n).min(doc.len())) else {
                continue;
            };
            // One character a byte, every byte a character.
            let (chars, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            for (k, ch) in chars.chars().enumerate() {
                text.push(ch, (at + k) as u32);
            }
            text.left -= bytes.len();
        } else {
            let at = piece.fc as usize;
            let Some(bytes) = doc.get(at..(at + 2 * n).min(doc.len())) else {
                continue;
            };
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            let mut k = 0;
            while k < units.len() {
                // A surrogate pair is one character, at its first unit's place.
                let pair = char::decode_utf16(units[k..].iter().copied().take(2))
                    .next()
                    .and_then(Result::ok);
                let ch = pair.unwrap_or(char::REPLACEMENT_CHARACTER);
                text.push(ch, (at + 2 * k) as u32);
                k += ch.len_utf16();
            }
            text.left -= bytes.len() / 2;
        }
    }
    out.push_str("\n\n");
}

/// What the matcher reads of a Word document's `Fib`.
struct Fib {
    /// The piece table's offset and size in the table stream.
    clx: (u32, u32),
    /// The paragraph properties' page table's offset and size in the table stream.
    papx: (u32, u32),
}

impl Fib {
    fn read(doc: &[u8]) -> Option<Fib> {
        // `wIdent`, then `nFib`: Word 97 and later write 0x00C1 (later versions say more in
        // an extension the matcher does not need).
        if u16_at(doc, 0)? != 0xA5EC || u16_at(doc, 2)? < 0x00C1 {
            return None;
        }
        let flags = u16_at(doc, 0x0A)?;
        // `fEncrypted` (the text is encrypted or obfuscated).
        if flags & 0x0100 != 0 {
            return None;
        }
        // The FIB's arrays of 16-bit values, of 32-bit values, then of (offset, size) pairs,
        // each after its count.
        let csw = usize::from(u16_at(doc, 0x20)?);
        let lw = 0x22 + 2 * csw;
        let cslw = usize::from(u16_at(doc, lw)?);
        let pairs_at = lw + 2 + 4 * cslw;
        let pairs = usize::from(u16_at(doc, pairs_at)?);
        let pair = |k: usize| -> Option<(u32, u32)> {
            if k >= pairs {
                return None;
            }
            let at = pairs_at + 2 + 8 * k;
            Some((u32_at(doc, at)?, u32_at(doc, at + 4)?))
        };
        Some(Fib {
            clx: pair(33)?,
            papx: pair(13).unwrap_or((0, 0)),
        })
    }
}

/// A run of the document's characters.
struct Piece {
    /// How many characters.
    chars: u32,
    /// Where they are in the `WordDocument` stream (a compressed piece's offset doubled).
    fc: u32,
    /// One byte a character (Windows-1252), not UTF-16.
    compressed: bool,
}

/// The pieces of the piece table at `clx` in `table`, in the text's order.
fn pieces(table: &[u8], (fc, lcb): (u32, u32)) -> Vec<Piece> {
    let start = fc as usize;
    let Some(clx) = table.get(start..start.saturating_add(lcb as usize).min(table.len())) else {
        return Vec::new();
    };
    // Property runs (`Prc`) first, each of a type byte 1 and a signed 16-bit size; then the
    // piece table (`Pcdt`): a type byte 2 and a 32-bit size.
    let mut at = 0;
    let plc = loop {
        match clx.get(at) {
            Some(1) => {
                let Some(cb) = u16_at(clx, at + 1).filter(|&cb| cb < 0x8000) else {
                    return Vec::new();
                };
                at += 3 + usize::from(cb);
            }
            Some(2) => {
                let Some(lcb) = u32_at(clx, at + 1) else {
                    return Vec::new();
                };
                let from = at + 5;
                break clx.get(from..from.saturating_add(lcb as usize).min(clx.len()));
            }
            _ => return Vec::new(),
        }
    };
    let Some(plc) = plc else {
        return Vec::new();
    };
    // n + 1 character positions, then n piece descriptors of 8 bytes (the offset at 2).
    let n = plc.len().saturating_sub(4) / 12;
    (0..n)
        .filter_map(|k| {
            let (from, to) = (u32_at(plc, 4 * k)?, u32_at(plc, 4 * k + 4)?);
            let fc = u32_at(plc, 4 * (n + 1) + 8 * k + 2)?;
            (to > from).then(|| Piece {
                chars: to - from,
                fc: fc & 0x3FFF_FFFF,
                compressed: fc & 0x4000_0000 != 0,
            })
        })
        .collect()
}

/// A paragraph in a table (its marks are spaces, its cells' tabs).
const IN_TABLE: u8 = 1;
/// A paragraph that ends a table row (its mark is the row's end).
const ROW_END: u8 = 2;

/// A run of the `WordDocument` stream (`from..to`) whose paragraph is in a table.
struct Paragraph {
    from: u32,
    to: u32,
    flags: u8,
}

/// The paragraphs that are in tables, in the stream's order, from the paragraph properties'
/// pages the page table at `papx` in `table` lists.
fn paragraphs(doc: &[u8], table: &[u8], data: &[u8], (fc, lcb): (u32, u32)) -> Vec<Paragraph> {
    let start = fc as usize;
    let Some(plc) = table.get(start..start.saturating_add(lcb as usize).min(table.len())) else {
        return Vec::new();
    };
    // n + 1 offsets, then n page numbers.
    let n = plc.len().saturating_sub(4) / 8;
    let mut out = Vec::new();
    let mut seen = vec![false; doc.len() / 512 + 1];
    for k in 0..n {
        let Some(pn) = u32_at(plc, 4 * (n + 1) + 4 * k) else {
            break;
        };
        let pn = (pn & 0x3F_FFFF) as usize;
        // A page listed twice is read once.
        match seen.get_mut(pn) {
            Some(v) if !*v => *v = true,
            _ => continue,
        }
        let Some(page) = doc.get(pn * 512..pn * 512 + 512) else {
            continue;
        };
        // `crun` paragraphs: crun + 1 offsets, then for each a byte (the offset of its
        // properties in 2-byte words) and 12 bytes of layout hints.
        let crun = usize::from(page[511]);
        if 4 * (crun + 1) + 13 * crun > 511 {
            continue;
        }
        for i in 0..crun {
            let (Some(from), Some(to)) = (u32_at(page, 4 * i), u32_at(page, 4 * i + 4)) else {
                break;
            };
            let at = 2 * usize::from(page[4 * (crun + 1) + 13 * i]);
            let flags = if at == 0 {
                0
            } else {
                papx_flags(page, at, data)
            };
            if flags != 0 && to > from {
                out.push(Paragraph { from, to, flags });
            }
        }
    }
    out.sort_by_key(|p| p.from);
    out
}

/// Whether the paragraph properties at `at` in an FKP `page` put the paragraph in a table, or
/// at a row's end.
fn papx_flags(page: &[u8], at: usize, data: &[u8]) -> u8 {
    let Some(&cb) = page.get(at) else {
        return 0;
    };
    // A size in words: 2 cb - 1 bytes after it, or (cb 0) 2 cb' bytes after the next byte.
    let (from, len) = if cb != 0 {
        (at + 1, 2 * usize::from(cb) - 1)
    } else {
        let Some(&cb) = page.get(at + 1) else {
            return 0;
        };
        (at + 2, 2 * usize::from(cb))
    };
    let Some(grpprl) = page.get(from..(from + len).min(page.len())) else {
        return 0;
    };
    // The style's index, then the properties.
    sprm_flags(grpprl.get(2..).unwrap_or_default(), data, true)
}

/// The table flags the properties (`sprm`s) in `grpprl` set; `sprmPHugePapx` points at more in
/// the `Data` stream (followed once, not from there).
fn sprm_flags(grpprl: &[u8], data: &[u8], follow: bool) -> u8 {
    let mut flags = 0;
    let mut k = 0;
    while let Some(op) = u16_at(grpprl, k) {
        k += 2;
        // The operand's size, from the operation's top three bits.
        let size = match op >> 13 {
            0 | 1 => 1,
            2 | 4 | 5 => 2,
            3 => 4,
            7 => 3,
            _ => match op {
                // `sprmTDefTable`: a 16-bit size, one more than what follows it.
                0xD608 => match u16_at(grpprl, k) {
                    Some(cb) => 1 + usize::from(cb),
                    None => break,
                },
                // `sprmPChgTabs`: a size byte, 255 for a form the matcher does not need.
                0xC615 => match grpprl.get(k) {
                    Some(&255) | None => break,
                    Some(&cb) => 1 + usize::from(cb),
                },
                _ => match grpprl.get(k) {
                    Some(&cb) => 1 + usize::from(cb),
                    None => break,
                },
            },
        };
        let operand = grpprl.get(k..k + size).unwrap_or_default();
        let on = operand.first().is_some_and(|&b| b != 0);
        match op {
            // `sprmPFInTable`, `sprmPFInnerTableCell`.
            0x2416 | 0x244B if on => flags |= IN_TABLE,
            // `sprmPFTtp`, `sprmPFInnerTtp`.
            0x2417 | 0x244C if on => flags |= IN_TABLE | ROW_END,
            // `sprmPItap`: the table depth.
            0x6649 if u32_at(operand, 0).is_some_and(|d| d > 0) => flags |= IN_TABLE,
            // `sprmPHugePapx`: a 16-bit size and the properties, at an offset in `Data`.
            0x6646 if follow => {
                if let Some(at) = u32_at(operand, 0).map(|a| a as usize)
                    && let Some(cb) = u16_at(data, at)
                {
                    let from = at + 2;
                    let end = from.saturating_add(usize::from(cb)).min(data.len());
                    if let Some(more) = data.get(from..end) {
                        flags |= sprm_flags(more, data, false);
                    }
                }
            }
            _ => {}
        }
        k += size;
    }
    flags
}

/// A Word document's text as it is written out.
struct WordText<'a> {
    out: &'a mut String,
    paragraphs: &'a [Paragraph],
    /// The fields open at this point: whether each is still in its code (before its
    /// separator).
    fields: Vec<bool>,
    /// How many of them are.
    in_code: usize,
    /// Characters the stream's size still allows.
    left: usize,
}

impl WordText<'_> {
    /// The table flags of the paragraph holding the character at `fc`.
    fn flags(&self, fc: u32) -> u8 {
        let k = self.paragraphs.partition_point(|p| p.to <= fc);
        match self.paragraphs.get(k) {
            Some(p) if p.from <= fc => p.flags,
            _ => 0,
        }
    }

    /// Writes out the character `ch` at `fc` in the `WordDocument` stream.
    fn push(&mut self, ch: char, fc: u32) {
        match ch {
            // A field's start, its separator (code before, result after) and its end.
            '\u{13}' => {
                self.fields.push(true);
                self.in_code += 1;
                return;
            }
            '\u{14}' => {
                if let Some(code) = self.fields.last_mut()
                    && *code
                {
                    *code = false;
                    self.in_code -= 1;
                }
                return;
            }
            '\u{15}' => {
                if self.fields.pop() == Some(true) {
                    self.in_code -= 1;
                }
                return;
            }
            _ => {}
        }
        if self.in_code > 0 {
            return;
        }
        match ch {
            '\u{07}' => {
                if self.flags(fc) & ROW_END != 0 {
                    // The row's end: its last cell's tab gives way to the line's end.
                    if self.out.ends_with('\t') {
                        self.out.pop();
                    }
                    self.out.push('\n');
                } else {
                    self.out.push('\t');
                }
            }
            // A paragraph's end, a line break: a space inside a table's cell.
            '\r' | '\u{0B}' => {
                if self.flags(fc) & IN_TABLE != 0 {
                    self.out.push(' ');
                } else {
                    self.out.push('\n');
                }
            }
            // Page, section and column breaks.
            '\u{0C}' | '\u{0E}' => self.out.push('\n'),
            '\t' => self.out.push('\t'),
            // A non-breaking hyphen.
            '\u{1E}' => self.out.push('-'),
            // Optional hyphens, and the marks of pictures, notes and other objects.
            c if c < ' ' => {}
            c => self.out.push(c),
        }
    }
}

/// Whether the PowerPoint presentation whose `Current User` stream is `current_user` is
/// encrypted with a password ([MS-PPT] 2.3.2: the `CurrentUserAtom`'s `headerToken` says so):
/// its slides are RC4-encrypted, and not read.
pub(crate) fn slides_are_encrypted(current_user: &[u8]) -> bool {
    crate::cfb::u32_at(current_user, 12) == Some(0xF3D1_C4DF)
}

/// Appends the text of the PowerPoint presentation's `PowerPoint Document` stream to `out`
/// (see the module documentation).
pub(crate) fn read_slides(stream: &[u8], out: &mut String) {
    let mut left = stream.len();
    slide_records(stream, 0, &mut left, out);
    out.push('\n');
}

/// `TextCharsAtom`: UTF-16 text.
const TEXT_CHARS: u16 = 0x0FA0;
/// `TextBytesAtom`: text one byte a character (the low bytes of UTF-16).
const TEXT_BYTES: u16 = 0x0FA8;
/// Containers nested deeper than this are not read.
const MAX_RECORD_DEPTH: usize = 32;

/// The text atoms in the records of `data`, containers read inside, `depth` deep.
fn slide_records(data: &[u8], depth: usize, left: &mut usize, out: &mut String) {
    let mut at = 0;
    while let (Some(ver), Some(kind), Some(len)) =
        (u16_at(data, at), u16_at(data, at + 2), u32_at(data, at + 4))
    {
        let from = at + 8;
        let end = from.saturating_add(len as usize).min(data.len());
        let body = &data[from..end];
        if ver & 0x000F == 0x000F {
            if depth < MAX_RECORD_DEPTH {
                slide_records(body, depth + 1, left, out);
            }
        } else if kind == TEXT_CHARS || kind == TEXT_BYTES {
            let text: String = if kind == TEXT_CHARS {
                encoding_rs::UTF_16LE
                    .decode_without_bom_handling(body)
                    .0
                    .into_owned()
            } else {
                body.iter().map(|&b| char::from(b)).collect()
            };
            let n = text.chars().count().min(*left);
            *left -= n;
            out.extend(text.chars().take(n).filter_map(|c| match c {
                '\r' | '\u{0B}' => Some('\n'),
                '\t' => Some('\t'),
                c if c < ' ' => None,
                c => Some(c),
            }));
            out.push('\n');
        }
        if *left == 0 {
            return;
        }
        at = end;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use fingerprints::leaks::{
        CompoundNode as Node, WORD_CELL_PARAGRAPH, compound_file as compound, word97, word97_table,
    };

    /// A document LibreOffice 7.4 wrote (`MS Word 97`, from an HTML page): a heading, a
    /// paragraph with a hyperlink (a field), a table of a header row, three members (one
    /// with an empty last cell, one with an empty birth date) and 300 filler rows, and a
    /// closing paragraph.
    const MEMBERS: &[u8] = include_bytes!("../tests/data/members-word97.doc");

    /// A presentation LibreOffice 7.4 wrote (`MS PowerPoint 97`): a title box, a table of
    /// members, and a second slide with a contact in a text box.
    const SLIDES: &[u8] = include_bytes!("../tests/data/members-slides.ppt");

    /// A Word 97 document of one UTF-16 piece, `text` in Word's marks (see
    /// [`fingerprints::leaks::word97`]).
    pub(crate) fn word(text: &str) -> Vec<u8> {
        word97(&[(text, false)], 0)
    }

    fn text_of(file: &[u8]) -> String {
        let mut out = String::new();
        let c = Compound::open(file).expect("a compound file");
        if c.has_stream("WordDocument") {
            read_word(&c, &mut out);
        } else {
            read_slides(
                &c.stream("PowerPoint Document").unwrap_or_default(),
                &mut out,
            );
        }
        out
    }

    #[test]
    fn a_document_libreoffice_wrote_reads_as_paragraphs_and_rows() {
        let text = text_of(MEMBERS);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            &lines[..6],
            [
                "会員名簿（2022年度）",
                "個人情報につき取扱注意。詳細は こちら を参照。",
                "氏名\tフリガナ\t生年月日\t住所\t電話番号",
                "山口 大介\tヤマグチ ダイスケ\t1968年9月18日\t兵庫県尼崎市東七松町1丁目23番4号\t090-6682-8625",
                "前田 花子\tマエダ ハナコ\t昭和45年1月2日\t尼崎市南塚口町2-5-10\t",
                "佐藤 健\tサトウ ケン\t\t尼崎市塚口本町3丁目\t06-1234-5678",
            ],
            "{text}"
        );
        assert_eq!(lines[6], "会員0000\t備考欄テキスト\t\t0\t");
        assert_eq!(lines[305], "会員0299\t備考欄テキスト\t\t299\t");
        assert_eq!(lines[306], "以上、担当：総務課　田中");
        // The hyperlink's field code is left out.
        assert!(
            !text.contains("HYPERLINK") && !text.contains("example.org"),
            "{text}"
        );
    }

    #[test]
    fn a_presentation_libreoffice_wrote_reads_as_its_text_boxes_and_cells() {
        let text = text_of(SLIDES);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| *l == "研修参加者名簿")
            .expect("the title");
        assert_eq!(
            &lines[at..at + 14],
            [
                "研修参加者名簿",
                "取扱注意（社外秘）",
                "氏名",
                "生年月日",
                "住所",
                "電話",
                "山口 大介",
                "1968/9/18",
                "尼崎市東七松町1-23-4",
                "090-6682-8625",
                "前田 花子",
                "S45.1.2",
                "尼崎市南塚口町2-5-10",
                "06-1234-5678",
            ],
            "{text}"
        );
        assert!(text.contains(
            "連絡先：佐藤 健（サトウ ケン）\n電話 06-9876-5432 　メール ken.sato@example.jp\n"
        ));
    }

    #[test]
    fn tables_fields_and_pieces() {
        let table = word97_table(&[
            &["氏名", "生年月日"],
            &["山口 大介", "1968/9/18"],
            &[&format!("前田{WORD_CELL_PARAGRAPH}花子"), ""],
        ]);
        let text = format!(
            "名簿\r{table}詳細は\u{13} HYPERLINK \"https://x.example/\" \u{14}こちら\u{15}。\
             \u{13} PAGE \u{15}\u{0C}𠮷野 家\u{1E}1\u{0B}次\r"
        );
        assert_eq!(
            text_of(&word(&text)),
            "名簿\n氏名\t生年月日\n山口 大介\t1968/9/18\n前田 花子\t\n詳細はこちら。\n𠮷野 家-1\n次\n\n\n"
        );
        // Pieces one byte a character (Windows-1252) and UTF-16, in the text's order; the
        // second piece's table read from its own property page.
        let doc = word97(
            &[
                ("Caf\u{E9} \u{80}5\r", true),
                (&word97_table(&[&["a", "b"]]), false),
            ],
            0,
        );
        assert_eq!(text_of(&doc), "Café €5\na\tb\n\n\n");
        // Encrypted: nothing.
        assert_eq!(text_of(&word97(&[("secret\r", false)], 0x0100)), "");
    }

    #[test]
    fn table_flags_in_properties() {
        // `sprmTDefTable` (a 16-bit size) before `sprmPFTtp`; `sprmPHugePapx` pointing into
        // `Data` at more properties.
        let grpprl = [0x08, 0xD6, 4, 0, 1, 2, 3, 0x17, 0x24, 1];
        assert_eq!(sprm_flags(&grpprl, &[], true), IN_TABLE | ROW_END);
        let data = [9, 9, 3, 0, 0x16, 0x24, 1];
        let huge = [0x46, 0x66, 2, 0, 0, 0];
        assert_eq!(sprm_flags(&huge, &data, true), IN_TABLE);
        assert_eq!(sprm_flags(&huge, &data, false), 0);
        // Cut anywhere: no panic.
        for cut in 0..grpprl.len() {
            let _ = sprm_flags(&grpprl[..cut], &data, true);
        }
    }

    #[test]
    fn hostile_documents_are_bounded() {
        let whole = text_of(MEMBERS);
        for cut in (0..MEMBERS.len()).step_by(4099) {
            if Compound::open(&MEMBERS[..cut]).is_some() {
                assert!(text_of(&MEMBERS[..cut]).len() <= whole.len(), "{cut}");
            }
        }
        for k in (0..MEMBERS.len()).step_by(997) {
            let mut bad = MEMBERS.to_vec();
            bad[k] ^= 0xA5;
            if Compound::open(&bad).is_some() {
                assert!(text_of(&bad).len() <= 4 * MEMBERS.len(), "{k}");
            }
        }
        // A piece table of a thousand pieces over the same characters: no more characters
        // than the stream has bytes.
        let doc = word("0123456789\r");
        let c = Compound::open(&doc).unwrap();
        let stream = c.stream("WordDocument").unwrap();
        let mut table = vec![2u8];
        table.extend((4 * 1001 + 8 * 1000u32).to_le_bytes());
        for k in 0..=1000u32 {
            table.extend((11 * k).to_le_bytes());
        }
        for _ in 0..1000 {
            table.extend([0, 0, 0, 4, 0, 0, 0, 0]);
        }
        let mut fib = stream.clone();
        let pairs_at = 0x22 + 28 + 2 + 88;
        fib[pairs_at + 2 + 8 * 33..pairs_at + 10 + 8 * 33]
            .copy_from_slice(&[0u32.to_le_bytes(), (table.len() as u32).to_le_bytes()].concat());
        let file = compound(&[
            Node::Stream("WordDocument", &fib),
            Node::Stream("1Table", &table),
        ]);
        let text = text_of(&file);
        assert!(text.chars().count() <= fib.len() + 2, "{}", text.len());
        assert!(text.starts_with("0123456789\n0123456789\n"), "{text}");
        // A hundred thousand fields opened, and a page table listing one page a hundred
        // thousand times: read in one pass each.
        let fields = "\u{13}".repeat(100_000) + "code\u{14}x\u{15}";
        assert_eq!(text_of(&word(&fields)), "\n\n");
        let doc = word(&word97_table(&[&["a", "b"]]));
        let c = Compound::open(&doc).unwrap();
        let stream = c.stream("WordDocument").unwrap();
        let mut table = c.stream("1Table").unwrap();
        let pn = u32_at(&table, table.len() - 4).unwrap();
        let papx_at = table.len();
        table.extend(0u32.to_le_bytes());
        table.extend(u32::MAX.to_le_bytes());
        for _ in 0..100_000 {
            table.extend(pn.to_le_bytes());
        }
        let mut fib = stream.clone();
        let pairs_at = 0x22 + 28 + 2 + 88;
        fib[pairs_at + 2 + 8 * 13..pairs_at + 10 + 8 * 13].copy_from_slice(
            &[
                (papx_at as u32).to_le_bytes(),
                ((table.len() - papx_at) as u32).to_le_bytes(),
            ]
            .concat(),
        );
        let file = compound(&[
            Node::Stream("WordDocument", &fib),
            Node::Stream("1Table", &table),
        ]);
        assert_eq!(text_of(&file), "a\tb\n\n\n");
        // Slides: records nested past the depth read, and a record longer than its stream.
        let mut deep = Vec::new();
        let atom = |t: &str| {
            let body: Vec<u8> = t.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let mut r = vec![0, 0];
            r.extend(TEXT_CHARS.to_le_bytes());
            r.extend((body.len() as u32).to_le_bytes());
            r.extend(body);
            r
        };
        let mut inner = atom("deep");
        for _ in 0..10_000 {
            let mut r = vec![0x0F, 0];
            r.extend(0x03E8u16.to_le_bytes());
            r.extend((inner.len() as u32).to_le_bytes());
            r.extend(inner);
            inner = r;
        }
        deep.extend(atom("top"));
        deep.extend(inner);
        deep.extend(&atom("long")[..10]);
        let mut out = String::new();
        read_slides(&deep, &mut out);
        // (the cut record gives the character it holds)
        assert_eq!(out, "top\nl\n\n");
        let mut long = atom("cut");
        long[4] = 0xFF;
        let mut out = String::new();
        read_slides(&long, &mut out);
        assert_eq!(out, "cut\n\n");
        let slides = text_of(SLIDES);
        for cut in (0..SLIDES.len()).step_by(4099) {
            if Compound::open(&SLIDES[..cut]).is_some() {
                assert!(text_of(&SLIDES[..cut]).len() <= slides.len(), "{cut}");
            }
        }
    }
}
