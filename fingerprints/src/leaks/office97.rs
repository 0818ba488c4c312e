//! Office 97–2003 files for the leak forms and the matcher's tests: OLE2 compound files
//! ([`compound_file`]) and Word documents ([`word97`]) in them.

/// A paragraph in a table (in the property pages [`word97`] writes).
const IN_TABLE: u8 = 1;
/// A paragraph that ends a table row.
const ROW_END: u8 = 2;

/// Marks a table row's end in [`word97`]'s text (written as `\x07`, the paragraph's
/// properties saying it ends a row).
pub const WORD_ROW_END: char = '\u{E000}';

/// Marks the end of a paragraph inside a table's cell in [`word97`]'s text (written as `\r`,
/// the paragraph's properties saying it is in a table).
pub const WORD_CELL_PARAGRAPH: char = '\u{E001}';

/// A Word 97–2003 document (`.doc`) of `pieces` (text, and whether it is stored one byte a
/// character, Windows-1252, rather than UTF-16), its text in Word's marks: `\r` a
/// paragraph's end ([`WORD_CELL_PARAGRAPH`] in a table's cell), `\x07` a cell's,
/// [`WORD_ROW_END`] a row's; a field as `\x13` code `\x14` result `\x15`. Written are the
/// parts a reader of the text needs: the `Fib`, the characters in the `WordDocument`
/// stream, the piece table (`Clx`) and the paragraphs' table flags in property pages
/// (`PlcBtePapx`), as Word writes them; not the style sheet, fonts and section table Word
/// needs to open the file. `flags` is the `Fib`'s flags word (`0x0100`: encrypted); the
/// table stream is `1Table`.
///
/// ```
/// use fingerprints::leaks::{WORD_ROW_END, word97};
///
/// let row = format!("山田 太郎\x071985-04-02\x07{WORD_ROW_END}");
/// let doc = word97(&[("Members\r", true), (&row, false)], 0);
/// assert!(doc.len() > 2048);
/// ```
pub fn word97(pieces: &[(&str, bool)], flags: u16) -> Vec<u8> {
    let (stream, table) = word97_streams(pieces, flags);
    compound_file(&[
        CompoundNode::Stream("WordDocument", &stream),
        CompoundNode::Stream("1Table", &table),
    ])
}

/// The `WordDocument` and `1Table` streams of [`word97`]'s document, for a test that changes
/// them (encrypts them) before they go in a compound file. The `Fib`'s offsets into the table
/// stream are those of the pieces' table (`fcClx`, pair 33) and of the property pages' table
/// (`fcPlcfBtePapx`, pair 13), the first at 0.
///
/// ```
/// use fingerprints::leaks::word97_streams;
///
/// let (doc, table) = word97_streams(&[("Members\r", true)], 0);
/// assert_eq!(&doc[..2], &[0xEC, 0xA5]);
/// assert_eq!(table[0], 2);
/// ```
pub fn word97_streams(pieces: &[(&str, bool)], flags: u16) -> (Vec<u8>, Vec<u8>) {
    let mut stream = vec![0u8; 0x400];
    let put16 =
        |b: &mut Vec<u8>, at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut stream, 0, 0xA5EC);
    put16(&mut stream, 2, 0x00C1);
    put16(&mut stream, 0x0A, flags | 0x0200);
    put16(&mut stream, 0x20, 14);
    put16(&mut stream, 0x22 + 28, 22);
    let pairs_at = 0x22 + 28 + 2 + 88;
    put16(&mut stream, pairs_at, 93);
    // The pieces' characters, and each paragraph's run and flags.
    let mut cps = vec![0u32];
    let mut pcds = Vec::new();
    let mut paragraphs: Vec<Vec<(u32, u32, u8)>> = Vec::new();
    for &(text, compressed) in pieces {
        // UTF-16 at an even offset, as Word writes it.
        if !compressed && stream.len() % 2 == 1 {
            stream.push(0);
        }
        let start = stream.len();
        let width = if compressed { 1 } else { 2 };
        let mut runs = Vec::new();
        let mut from = start as u32;
        let mut chars = 0u32;
        for ch in text.chars() {
            let (written, flags) = match ch {
                WORD_ROW_END => ('\u{07}', Some(IN_TABLE | ROW_END)),
                WORD_CELL_PARAGRAPH => ('\r', Some(IN_TABLE)),
                '\u{07}' => (ch, Some(IN_TABLE)),
                '\r' => (ch, Some(0)),
                _ => (ch, None),
            };
            if compressed {
                stream.push(written as u8);
                chars += 1;
            } else {
                let mut units = [0u16; 2];
                for u in written.encode_utf16(&mut units) {
                    stream.extend(u.to_le_bytes());
                    chars += 1;
                }
            }
            if let Some(flags) = flags {
                let to = stream.len() as u32;
                runs.push((from, to, flags));
                from = to;
            }
        }
        let _ = width;
        cps.push(cps.last().unwrap() + chars);
        let fc = if compressed {
            (2 * start as u32) | 0x4000_0000
        } else {
            start as u32
        };
        pcds.push(fc);
        paragraphs.push(runs);
    }
    // The property pages: a page for each 20 paragraphs of a piece.
    let mut pages: Vec<(u32, u32, u32)> = Vec::new();
    for runs in &paragraphs {
        for chunk in runs.chunks(20) {
            stream.resize(stream.len().div_ceil(512) * 512, 0);
            let pn = (stream.len() / 512) as u32;
            let mut page = vec![0u8; 512];
            let crun = chunk.len();
            for (i, &(from, _, _)) in chunk.iter().enumerate() {
                put32(&mut page, 4 * i, from);
            }
            put32(&mut page, 4 * crun, chunk[crun - 1].1);
            let mut free = 510;
            for (i, &(_, _, flags)) in chunk.iter().enumerate() {
                let papx: Vec<u8> = match flags {
                    0 => continue,
                    IN_TABLE => vec![3, 0, 0, 0x16, 0x24, 1],
                    _ => vec![0, 4, 0, 0, 0x16, 0x24, 1, 0x17, 0x24, 1],
                };
                free = (free - papx.len()) & !1;
                page[free..free + papx.len()].copy_from_slice(&papx);
                page[4 * (crun + 1) + 13 * i] = (free / 2) as u8;
            }
            page[511] = crun as u8;
            pages.push((chunk[0].0, chunk[crun - 1].1, pn));
            stream.extend(page);
        }
    }
    // The table stream: the piece table, then the property pages' table.
    let mut table = vec![2u8];
    let plc_len = 4 * cps.len() + 8 * pcds.len();
    table.extend((plc_len as u32).to_le_bytes());
    for cp in &cps {
        table.extend(cp.to_le_bytes());
    }
    for fc in &pcds {
        table.extend([0, 0]);
        table.extend(fc.to_le_bytes());
        table.extend([0, 0]);
    }
    let clx_len = table.len();
    let papx_at = table.len();
    for &(from, _, _) in &pages {
        table.extend(from.to_le_bytes());
    }
    table.extend(pages.last().map_or(0, |p| p.1).to_le_bytes());
    for &(_, _, pn) in &pages {
        table.extend(pn.to_le_bytes());
    }
    let papx_len = table.len() - papx_at;
    let pair = |b: &mut Vec<u8>, k: usize, fc: usize, lcb: usize| {
        put32(b, pairs_at + 2 + 8 * k, fc as u32);
        put32(b, pairs_at + 6 + 8 * k, lcb as u32);
    };
    pair(&mut stream, 33, 0, clx_len);
    pair(&mut stream, 13, papx_at, papx_len);
    (stream, table)
}

/// The text of a Word table of `rows` of cells, in [`word97`]'s marks.
///
/// ```
/// use fingerprints::leaks::{WORD_ROW_END, word97_table};
///
/// assert_eq!(word97_table(&[&["a", "b"]]), format!("a\x07b\x07{WORD_ROW_END}"));
/// ```
pub fn word97_table(rows: &[&[&str]]) -> String {
    let mut text = String::new();
    for row in rows {
        for cell in *row {
            text.push_str(cell);
            text.push('\u{07}');
        }
        text.push(WORD_ROW_END);
    }
    text
}

/// A node of a compound file to build: a stream, or a storage of nodes.
pub enum CompoundNode<'a> {
    /// A stream: its name and data.
    Stream(&'a str, &'a [u8]),
    /// A storage: its name and what it holds.
    Storage(&'a str, Vec<CompoundNode<'a>>),
}

/// A directory entry to write: name, kind (1 storage, 2 stream, 5 root), its children's
/// ids, and its data's first sector and size.
struct Written {
    name: String,
    kind: u8,
    children: Vec<u32>,
    start: u32,
    size: u32,
}

/// An OLE2 compound file (the container of Office 97–2003 files and Outlook's `.msg`) of
/// 512-byte sectors holding `nodes` in its root storage. Every stream is in sectors of its
/// own: the header's mini stream cut-off is 0, where the format fixes it at 4,096 (the
/// matcher's reader takes it as written; a reader that assumes 4,096 would look for small
/// streams in a mini stream there is not). A storage's children are a chain of right
/// siblings (a valid, if unbalanced, tree).
///
/// ```
/// use fingerprints::leaks::{CompoundNode, compound_file};
///
/// let file = compound_file(&[CompoundNode::Stream("Contents", b"hello")]);
/// assert!(file.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]));
/// ```
pub fn compound_file(nodes: &[CompoundNode<'_>]) -> Vec<u8> {
    let mut dir = vec![Written {
        name: "Root Entry".into(),
        kind: 5,
        children: Vec::new(),
        start: 0xFFFF_FFFE,
        size: 0,
    }];
    let mut data: Vec<u8> = Vec::new();
    fn add(nodes: &[CompoundNode<'_>], parent: usize, dir: &mut Vec<Written>, data: &mut Vec<u8>) {
        for node in nodes {
            let id = dir.len();
            dir[parent].children.push(id as u32);
            match node {
                CompoundNode::Stream(name, bytes) => {
                    // Sectors after the FAT and the directory: numbered from 0 here,
                    // moved below.
                    dir.push(Written {
                        name: (*name).into(),
                        kind: 2,
                        children: Vec::new(),
                        start: (data.len() / 512) as u32,
                        size: bytes.len() as u32,
                    });
                    data.extend_from_slice(bytes);
                    data.resize(data.len().div_ceil(512) * 512, 0);
                }
                CompoundNode::Storage(name, inner) => {
                    dir.push(Written {
                        name: (*name).into(),
                        kind: 1,
                        children: Vec::new(),
                        start: 0,
                        size: 0,
                    });
                    add(inner, id, dir, data);
                }
            }
        }
    }
    add(nodes, 0, &mut dir, &mut data);
    let dir_sectors = dir.len().div_ceil(4);
    let data_sectors = data.len() / 512;
    let mut fat_sectors = 1;
    while fat_sectors * 128 < fat_sectors + dir_sectors + data_sectors {
        fat_sectors += 1;
    }
    let first_dir = fat_sectors;
    let first_data = fat_sectors + dir_sectors;
    let total = first_data + data_sectors;
    let mut fat = vec![0xFFFF_FFFFu32; fat_sectors * 128];
    for v in fat.iter_mut().take(fat_sectors) {
        *v = 0xFFFF_FFFD;
    }
    let chain = |from: usize, n: usize, fat: &mut Vec<u32>| {
        for (k, v) in fat.iter_mut().enumerate().skip(from).take(n) {
            *v = if k + 1 < from + n {
                k as u32 + 1
            } else {
                0xFFFF_FFFE
            };
        }
    };
    chain(first_dir, dir_sectors, &mut fat);
    for w in dir.iter_mut().filter(|w| w.kind == 2) {
        if w.size == 0 {
            w.start = 0xFFFF_FFFE;
        } else {
            w.start += first_data as u32;
            chain(w.start as usize, (w.size as usize).div_ceil(512), &mut fat);
        }
    }
    let mut f = vec![0u8; 512 * (1 + total)];
    f[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let put16 =
        |f: &mut Vec<u8>, at: usize, v: u16| f[at..at + 2].copy_from_slice(&v.to_le_bytes());
    put16(&mut f, 0x18, 0x3E);
    put16(&mut f, 0x1A, 3);
    put16(&mut f, 0x1C, 0xFFFE);
    put16(&mut f, 0x1E, 9);
    put16(&mut f, 0x20, 6);
    let put = |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put(&mut f, 0x2C, fat_sectors as u32);
    put(&mut f, 0x30, first_dir as u32);
    put(&mut f, 0x38, 0);
    put(&mut f, 0x3C, 0xFFFF_FFFE);
    put(&mut f, 0x44, 0xFFFF_FFFE);
    for k in 0..109 {
        let v = if k < fat_sectors {
            k as u32
        } else {
            0xFFFF_FFFF
        };
        put(&mut f, 0x4C + 4 * k, v);
    }
    for (k, v) in fat.iter().enumerate() {
        put(&mut f, 512 + 4 * k, *v);
    }
    // Siblings: each child's right sibling is the next child.
    let mut right = vec![0xFFFF_FFFFu32; dir.len()];
    for w in &dir {
        for pair in w.children.windows(2) {
            right[pair[0] as usize] = pair[1];
        }
    }
    for (k, w) in dir.iter().enumerate() {
        let at = 512 * (1 + first_dir) + 128 * k;
        let units: Vec<u8> = w
            .name
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect();
        f[at..at + units.len()].copy_from_slice(&units);
        put16(&mut f, at + 0x40, units.len() as u16);
        f[at + 0x42] = w.kind;
        put(&mut f, at + 0x44, 0xFFFF_FFFF);
        put(&mut f, at + 0x48, right[k]);
        put(
            &mut f,
            at + 0x4C,
            w.children.first().copied().unwrap_or(0xFFFF_FFFF),
        );
        put(&mut f, at + 0x74, w.start);
        put(&mut f, at + 0x78, w.size);
    }
    // Unused directory slots.
    for k in dir.len()..dir_sectors * 4 {
        let at = 512 * (1 + first_dir) + 128 * k;
        put(&mut f, at + 0x44, 0xFFFF_FFFF);
        put(&mut f, at + 0x48, 0xFFFF_FFFF);
        put(&mut f, at + 0x4C, 0xFFFF_FFFF);
    }
    let at = 512 * (1 + first_data);
    f[at..at + data.len()].copy_from_slice(&data);
    f
}
