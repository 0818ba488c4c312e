//! PDF files of lines and table rows, as word processors print them: for the `pdf` leak form
//! and the matcher's tests.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

/// The font size (points).
const SIZE: f64 = 9.0;
/// The distance between two lines of text (points).
const LEADING: f64 = SIZE * 1.25;
/// A table cell's text is wrapped after this many ems (a Japanese character is one, a Latin
/// letter or digit half of one); cells are an em apart, so five columns fill the page's width.
const CELL_EMS: f64 = 10.0;
/// A paragraph is wrapped after this many ems (the page's width).
const LINE_EMS: f64 = 55.0;
/// The page's left margin and the top and bottom of its text (points).
const LEFT: f64 = 50.0;
const TOP: f64 = 800.0;
const BOTTOM: f64 = 60.0;

/// The width of `c` in ems.
fn ems(c: char) -> f64 {
    if c.is_ascii() { 0.5 } else { 1.0 }
}

/// `text` cut into pieces of at most `max` ems, as word processors break Japanese lines:
/// between any two Japanese characters, but not inside a run of Latin letters, digits and
/// their punctuation (`1-23-4`, `S45.1.2`) unless it is longer than a line.
fn wrap(text: &str, max: f64) -> Vec<String> {
    // Units that are not broken: a run of ASCII other than spaces, or one other character.
    let mut units: Vec<&str> = Vec::new();
    let mut start = 0;
    for (k, c) in text.char_indices() {
        let joins = c.is_ascii() && c != ' ';
        let prev_joins = text[..k]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_ascii() && p != ' ');
        if k > start && !(joins && prev_joins) {
            units.push(&text[start..k]);
            start = k;
        }
    }
    units.push(&text[start..]);
    let mut pieces = vec![String::new()];
    let mut width = 0.0;
    for unit in units {
        let w: f64 = unit.chars().map(ems).sum();
        if width + w > max && width > 0.0 {
            pieces.push(String::new());
            width = 0.0;
        }
        for c in unit.chars() {
            // A unit longer than a line is broken where the line ends.
            if width + ems(c) > max && width > 0.0 {
                pieces.push(String::new());
                width = 0.0;
            }
            width += ems(c);
            if let Some(p) = pieces.last_mut() {
                p.push(c);
            }
        }
    }
    pieces
}

/// A PDF file (1.4 with a cross-reference table; or, `packed`, 1.5 with its objects in an
/// object stream and a cross-reference stream, as Word writes it) that shows `lines` on as
/// many A4 pages as they take.
///
/// A line with tabs is a table row: each cell in a column of its own, its text wrapped after
/// ten ems and its lines written before the next cell's (as LibreOffice writes a table).
/// Any other line is a paragraph, wrapped at the page's width. Each string is placed with
/// `Tm` and shown with `Tj`, in one composite font (`Identity-H`, two-byte codes) with a
/// `/ToUnicode` CMap, as current writers embed Japanese fonts; content streams are deflated.
/// The font's glyphs are not embedded: a reader of the text needs none, a viewer shows
/// boxes or substitutes a font.
pub fn pdf_file(lines: &[&str], packed: bool) -> Vec<u8> {
    let mut codes: HashMap<char, u16> = HashMap::new();
    let mut code_of = |c: char| -> u16 {
        let next = codes.len() as u16 + 1;
        *codes.entry(c).or_insert(next)
    };
    let mut hex = |text: &str| -> String {
        text.chars().fold(String::new(), |mut s, c| {
            let _ = write!(s, "{:04X}", code_of(c));
            s
        })
    };
    // Pages' content streams.
    let mut pages: Vec<String> = vec![String::new()];
    let mut y = TOP;
    for line in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        let pieces: Vec<Vec<String>> = if cells.len() > 1 {
            cells.iter().map(|c| wrap(c, CELL_EMS)).collect()
        } else {
            vec![wrap(line, LINE_EMS)]
        };
        let height = pieces.iter().map(Vec::len).max().unwrap_or(1) as f64;
        if y - height * LEADING < BOTTOM {
            pages.push(String::new());
            y = TOP;
        }
        let page = pages.last_mut().expect("a page");
        for (k, cell) in pieces.iter().enumerate() {
            let x = LEFT + k as f64 * (CELL_EMS + 1.0) * SIZE;
            for (j, piece) in cell.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
                let _ = writeln!(
                    page,
                    "BT /F1 {SIZE} Tf 1 0 0 1 {x:.2} {:.2} Tm <{}> Tj ET",
                    y - j as f64 * LEADING,
                    hex(piece)
                );
            }
        }
        y -= height * LEADING + if cells.len() > 1 { LEADING / 2.0 } else { 0.0 };
    }
    // The objects: 1 the catalog, 2 the page tree, 3 the font, 4 its CID font, 5 its
    // ToUnicode CMap, then each page and its content.
    let mut chars: Vec<(u16, char)> = codes.iter().map(|(&c, &k)| (k, c)).collect();
    chars.sort_unstable();
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    for block in chars.chunks(100) {
        let _ = writeln!(cmap, "{} beginbfchar", block.len());
        for (k, c) in block {
            let units: String = c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(cmap, "<{k:04X}> <{units}>");
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    let widths: String = chars
        .iter()
        .filter(|(_, c)| c.is_ascii())
        .map(|(k, _)| format!("{k} [500] "))
        .collect();
    let kids: String = (0..pages.len())
        .map(|p| format!("{} 0 R ", 6 + 2 * p))
        .collect();
    let mut objects: Vec<(String, Option<Vec<u8>>)> = vec![
        ("<< /Type /Catalog /Pages 2 0 R >>".into(), None),
        (
            format!(
                "<< /Type /Pages /Kids [{kids}] /Count {} /Resources << /Font << /F1 3 0 R >> >> \
                 /MediaBox [0 0 595 842] >>",
                pages.len()
            ),
            None,
        ),
        (
            "<< /Type /Font /Subtype /Type0 /BaseFont /IPAexGothic /Encoding /Identity-H \
             /DescendantFonts [4 0 R] /ToUnicode 5 0 R >>"
                .into(),
            None,
        ),
        (
            format!(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /IPAexGothic \
                 /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
                 /DW 1000 /W [{widths}] >>"
            ),
            None,
        ),
        (String::new(), Some(deflate(cmap.as_bytes()))),
    ];
    for (p, content) in pages.iter().enumerate() {
        objects.push((
            format!(
                "<< /Type /Page /Parent 2 0 R /Contents {} 0 R >>",
                7 + 2 * p
            ),
            None,
        ));
        objects.push((String::new(), Some(deflate(content.as_bytes()))));
    }
    if packed {
        packed_file(&objects)
    } else {
        plain_file(&objects)
    }
}

/// The strings a PDF file [`pdf_file`] wrote shows, one after the other (a cell's or a
/// paragraph's wrapped lines joined, nothing between cells): its streams inflated, each
/// `<…> Tj`'s codes mapped through the `bfchar` lines of its CMap. For checking what the
/// writer wrote, not a reader of PDF files in general.
pub fn pdf_file_text(file: &[u8]) -> String {
    use std::io::Read;
    let find =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).position(|w| w == needle);
    let mut streams = Vec::new();
    let mut at = 0;
    while let Some(k) = find(&file[at..], b"stream\n") {
        let start = at + k + b"stream\n".len();
        let Some(len) = find(&file[start..], b"\nendstream") else {
            break;
        };
        let mut data = String::new();
        if flate2::read::ZlibDecoder::new(&file[start..start + len])
            .read_to_string(&mut data)
            .is_ok()
        {
            streams.push(data);
        }
        at = start + len + b"\nendstream".len();
    }
    let mut chars = HashMap::new();
    for line in streams.iter().flat_map(|s| s.lines()) {
        if let Some((code, units)) = line
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix('>'))
            .and_then(|l| l.split_once("> <"))
        {
            let units: Vec<u16> = (0..units.len() / 4)
                .filter_map(|i| u16::from_str_radix(&units[4 * i..4 * i + 4], 16).ok())
                .collect();
            chars.insert(code.to_owned(), String::from_utf16_lossy(&units));
        }
    }
    let mut text = String::new();
    for line in streams.iter().flat_map(|s| s.lines()) {
        if let Some((codes, _)) = line.split_once("Tm <").and_then(|(_, r)| r.split_once('>')) {
            for i in 0..codes.len() / 4 {
                if let Some(s) = chars.get(&codes[4 * i..4 * i + 4]) {
                    text.push_str(s);
                }
            }
        }
    }
    text
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(data);
    z.finish().unwrap_or_default()
}

/// Appends object `n` (a dictionary, or a deflated stream of `data`) to `out`.
fn write_object(out: &mut Vec<u8>, n: usize, dict: &str, data: Option<&[u8]>) {
    match data {
        Some(data) => {
            let _ = write!(
                out,
                "{n} 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
                data.len()
            );
            out.extend_from_slice(data);
            out.extend_from_slice(b"\nendstream\nendobj\n");
        }
        None => {
            let _ = write!(out, "{n} 0 obj\n{dict}\nendobj\n");
        }
    }
}

/// A PDF 1.4 file of `objects` (numbered from 1) with a cross-reference table.
fn plain_file(objects: &[(String, Option<Vec<u8>>)]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (k, (dict, data)) in objects.iter().enumerate() {
        offsets.push(out.len());
        write_object(&mut out, k + 1, dict, data.as_deref());
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        let _ = writeln!(out, "{o:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out
}

/// A PDF 1.5 file of `objects` (numbered from 1): the streams as objects of their own, the
/// others packed in an object stream, and a cross-reference stream.
fn packed_file(objects: &[(String, Option<Vec<u8>>)]) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let n = objects.len();
    let (packer, xref_n) = (n + 1, n + 2);
    // Each object's cross-reference entry: (type, field 2, field 3).
    let mut entries = vec![(0u8, 0u32, 0xFFFFu16); n + 3];
    let mut header = String::new();
    let mut body = String::new();
    let mut packed = 0u16;
    for (k, (dict, data)) in objects.iter().enumerate() {
        if data.is_none() {
            let _ = write!(header, "{} {} ", k + 1, body.len());
            body.push_str(dict);
            body.push('\n');
            entries[k + 1] = (2, packer as u32, packed);
            packed += 1;
        }
    }
    for (k, (dict, data)) in objects.iter().enumerate() {
        if let Some(data) = data {
            entries[k + 1] = (1, out.len() as u32, 0);
            write_object(&mut out, k + 1, dict, Some(data));
        }
    }
    let stream = deflate(format!("{header}{body}").as_bytes());
    entries[packer] = (1, out.len() as u32, 0);
    let _ = write!(
        out,
        "{packer} 0 obj\n<< /Type /ObjStm /N {packed} /First {} /Length {} /Filter /FlateDecode >>\nstream\n",
        header.len(),
        stream.len()
    );
    out.extend_from_slice(&stream);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = out.len();
    entries[xref_n] = (1, xref as u32, 0);
    let table: Vec<u8> = entries
        .iter()
        .flat_map(|&(t, a, b)| {
            let mut e = vec![t];
            e.extend(a.to_be_bytes());
            e.extend(b.to_be_bytes());
            e
        })
        .collect();
    let table = deflate(&table);
    let _ = write!(
        out,
        "{xref_n} 0 obj\n<< /Type /XRef /Size {} /W [1 4 2] /Root 1 0 R /Length {} /Filter /FlateDecode >>\nstream\n",
        n + 3,
        table.len()
    );
    out.extend_from_slice(&table);
    let _ = write!(out, "\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_paragraphs_wrap() {
        assert_eq!(
            wrap("兵庫県尼崎市東七松町1丁目23番4号", CELL_EMS),
            ["兵庫県尼崎市東七松町", "1丁目23番4号"]
        );
        // Not inside a number, unless it is longer than a line.
        assert_eq!(
            wrap("兵庫県尼崎市東七松町1-23-4", CELL_EMS),
            ["兵庫県尼崎市東七松町", "1-23-4"]
        );
        assert_eq!(
            wrap("12345678901234567890123", CELL_EMS),
            ["12345678901234567890", "123"]
        );
        assert_eq!(wrap("", 12.0), [""]);
    }

    #[test]
    fn files_have_their_structure() {
        let lines = [
            "会員名簿",
            "氏名\t住所",
            "山口 大介\t兵庫県尼崎市東七松町1丁目23番4号",
        ];
        let plain = pdf_file(&lines, false);
        assert!(plain.starts_with(b"%PDF-1.4\n"));
        assert!(plain.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&plain);
        assert!(text.contains("/Type /Catalog") && text.contains("\ntrailer\n"));
        let packed = pdf_file(&lines, true);
        let text = String::from_utf8_lossy(&packed);
        assert!(text.contains("/Type /ObjStm") && text.contains("/Type /XRef"));
        // Everything but the streams is packed.
        assert!(!text.contains("/Type /Catalog"));
        // Enough lines for two pages.
        let many = vec!["会員\t備考"; 70];
        let text = String::from_utf8_lossy(&pdf_file(&many, false)).into_owned();
        assert!(text.contains("/Count 2"), "{text}");
        // What was written reads back.
        for file in [plain, packed] {
            assert_eq!(
                pdf_file_text(&file),
                "会員名簿氏名住所山口 大介兵庫県尼崎市東七松町1丁目23番4号"
            );
        }
    }
}
