//! Excel 97–2003 workbooks (`.xls`): their sheets' rows as lines of cells. Japanese offices
//! still keep registers and customer lists in this format, and such a file leaks as it is; a
//! byte-level scan skips it as binary, and would see a sheet's strings in a pool apart from the
//! rows that use them.
//!
//! The file is an OLE2 compound file (a FAT file system in one file); its `Workbook` stream is
//! a sequence of BIFF8 records. The shared strings (`SST`, continued across `CONTINUE`
//! records), the number formats and cell styles are read from the workbook's globals, then
//! each sheet's cells: strings (`LABELSST`, `LABEL`), numbers (`NUMBER`, `RK`, `MULRK`), a
//! number in a date format as its date (`1968-09-18`, the 1904 date system too). Each sheet
//! gives its rows as lines, cells apart by tabs, as a `.xlsx` does. Everything is bounds
//! checked: a cut or corrupt file gives what can be read of it (a chain of sectors that loops
//! ends where it would visit a sector twice).

use crate::archive::{is_date_format, number_cell, serial_date};
use crate::cfb::{u16_at, u32_at};

/// A BIFF8 record: its type and data (the records up to one cut short).
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    record_spans(stream).map_while(|(kind, start, end)| Some((kind, stream.get(start..end)?)))
}

/// Every BIFF8 record of `stream`: its type, and where its data starts and ends (the end as
/// its header says, past the stream's end for a record cut short, which is the last).
pub(crate) fn record_spans(stream: &[u8]) -> impl Iterator<Item = (u16, usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let kind = u16_at(stream, at)?;
        let len = usize::from(u16_at(stream, at + 2)?);
        let start = at + 4;
        at = start + len;
        Some((kind, start, at))
    })
}

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const SST: u16 = 0x00FC;
const FORMAT: u16 = 0x041E;
const XF: u16 = 0x00E0;
const DATEMODE: u16 = 0x0022;
const LABELSST: u16 = 0x00FD;
const LABEL: u16 = 0x0204;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027E;
const MULRK: u16 = 0x00BD;

/// A cell read from a sheet.
struct Cell {
    row: u16,
    col: u16,
    text: String,
}

/// What the globals say about how cells show.
#[derive(Default)]
struct Globals {
    strings: Vec<String>,
    /// Custom number formats: id, and whether it shows a date.
    formats: Vec<(u16, bool)>,
    /// Each cell style's number format.
    xf_formats: Vec<u16>,
    /// The 1904 date system (old Macintosh Excel).
    date1904: bool,
}

impl Globals {
    /// A number as its cell shows it: a date in a date style, otherwise as written.
    fn number(&self, xf: u16, n: f64) -> String {
        let format = self.xf_formats.get(usize::from(xf)).copied().unwrap_or(0);
        let date = match self.formats.iter().find(|(id, _)| *id == format) {
            Some(&(_, date)) => date,
            None => matches!(format, 14..=17 | 22 | 27..=36 | 50..=58),
        };
        let serial = if self.date1904 { n + 1462.0 } else { n };
        match serial_date(serial) {
            Some(d) if date => d,
            _ => number_cell(number_text(n)),
        }
    }
}

/// A number as written: an integer without a fraction.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The number an `RK` value stands for.
fn rk(v: u32) -> f64 {
    let n = if v & 2 != 0 {
        f64::from((v as i32) >> 2)
    } else {
        f64::from_bits(u64::from(v & 0xFFFF_FFFC) << 32)
    };
    if v & 1 != 0 { n / 100.0 } else { n }
}

/// Appends the rows of the workbook stream `stream` to `out` (see the module documentation).
pub(crate) fn read_workbook97(stream: &[u8], out: &mut String) {
    let mut globals = Globals::default();
    let mut sheets: Vec<Vec<Cell>> = Vec::new();
    let mut in_sheet = false;
    let all: Vec<(u16, &[u8])> = records(stream).collect();
    // The shared strings, with the `CONTINUE` records after them.
    if let Some(k) = all.iter().position(|(t, _)| *t == SST) {
        let mut parts = vec![all[k].1];
        parts.extend(
            all[k + 1..]
                .iter()
                .take_while(|(t, _)| *t == CONTINUE)
                .map(|(_, d)| *d),
        );
        globals.strings = shared_strings(&parts);
    }
    for &(kind, data) in &all {
        match kind {
            BOF => {
                // A worksheet's substream (type 0x0010); the globals' is 0x0005.
                in_sheet = u16_at(data, 2) == Some(0x0010);
                if in_sheet {
                    sheets.push(Vec::new());
                }
            }
            EOF => in_sheet = false,
            FORMAT if !in_sheet => {
                if let (Some(id), Some((code, _))) = (u16_at(data, 0), unicode_string(data, 2)) {
                    globals.formats.push((id, is_date_format(&code)));
                }
            }
            XF if !in_sheet => globals.xf_formats.push(u16_at(data, 2).unwrap_or(0)),
            DATEMODE => globals.date1904 = u16_at(data, 0) == Some(1),
            _ if in_sheet => {
                if let Some(cells) = sheets.last_mut() {
                    sheet_cells(kind, data, &globals, cells);
                }
            }
            _ => {}
        }
    }
    for mut cells in sheets {
        cells.sort_by_key(|c| (c.row, c.col));
        let mut row = None;
        for c in cells {
            if row == Some(c.row) {
                out.push('\t');
            } else if row.is_some() {
                out.push('\n');
            }
            row = Some(c.row);
            out.extend(c.text.chars().map(|ch| match ch {
                '\n' | '\r' | '\t' => ' ',
                ch => ch,
            }));
        }
        out.push_str("\n\n");
    }
}

/// The cells of one record of a sheet.
fn sheet_cells(kind: u16, data: &[u8], globals: &Globals, cells: &mut Vec<Cell>) {
    let (Some(row), Some(col), Some(xf)) = (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4))
    else {
        return;
    };
    let text = match kind {
        LABELSST => u32_at(data, 6).and_then(|i| globals.strings.get(i as usize).cloned()),
        LABEL => unicode_string(data, 6).map(|(s, _)| s),
        NUMBER => data
            .get(6..14)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .filter(|n| n.is_finite())
            .map(|n| globals.number(xf, n)),
        RK => u32_at(data, 6).map(|v| globals.number(xf, rk(v))),
        MULRK => {
            // Columns `col`…: (style, RK) pairs, then the last column.
            let pairs = data.len().saturating_sub(6) / 6;
            for k in 0..pairs {
                let at = 4 + 6 * k;
                if let (Some(xf), Some(v)) = (u16_at(data, at), u32_at(data, at + 2)) {
                    cells.push(Cell {
                        row,
                        col: col.saturating_add(k as u16),
                        text: globals.number(xf, rk(v)),
                    });
                }
            }
            None
        }
        _ => None,
    };
    if let Some(text) = text {
        cells.push(Cell { row, col, text });
    }
}

/// A BIFF8 string at `at` (16-bit length, flags, characters) and the byte after it.
fn unicode_string(data: &[u8], at: usize) -> Option<(String, usize)> {
    let n = usize::from(u16_at(data, at)?);
    let flags = *data.get(at + 2)?;
    let mut k = at + 3;
    let (runs, ext) = skip_lengths(data, &mut k, flags)?;
    let (s, end) = characters(data, k, n, flags & 1 != 0)?;
    Some((s, end + 4 * runs + ext))
}

/// After a string's flags: the rich text runs' count and the phonetic block's size, each when
/// its flag says it is there.
fn skip_lengths(data: &[u8], k: &mut usize, flags: u8) -> Option<(usize, usize)> {
    let mut runs = 0;
    let mut ext = 0;
    if flags & 0x08 != 0 {
        runs = usize::from(u16_at(data, *k)?);
        *k += 2;
    }
    if flags & 0x04 != 0 {
        ext = u32_at(data, *k)? as usize;
        *k += 4;
    }
    Some((runs, ext))
}

/// `n` characters at `k`: UTF-16 (`wide`) or one byte each (the low bytes of UTF-16 units).
fn characters(data: &[u8], k: usize, n: usize, wide: bool) -> Option<(String, usize)> {
    if wide {
        let bytes = data.get(k..k + 2 * n)?;
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        Some((String::from_utf16_lossy(&units), k + 2 * n))
    } else {
        let bytes = data.get(k..k + n)?;
        Some((bytes.iter().map(|&b| char::from(b)).collect(), k + n))
    }
}

/// The shared string table: `parts[0]` the `SST` record's data, the rest its `CONTINUE`
/// records'. A string's characters may run on into the next part, which then starts with a
/// flags byte of its own (whether they are wide there); its rich text runs and phonetic block
/// may too, without one.
fn shared_strings(parts: &[&[u8]]) -> Vec<String> {
    let mut out = Vec::new();
    let (mut p, mut k) = (0usize, 8usize);
    // Moves to the next part when the current one is used up.
    let next = |p: &mut usize, k: &mut usize| {
        while *p < parts.len() && *k >= parts[*p].len() {
            *k -= parts[*p].len();
            *p += 1;
        }
        *p < parts.len()
    };
    while next(&mut p, &mut k) {
        let part = parts[p];
        let Some(n) = u16_at(part, k).map(usize::from) else {
            break;
        };
        let Some(&flags) = part.get(k + 2) else {
            break;
        };
        k += 3;
        let Some((runs, ext)) = skip_lengths(part, &mut k, flags) else {
            break;
        };
        // The characters, part by part.
        let mut wide = flags & 1 != 0;
        let mut units: Vec<u16> = Vec::with_capacity(n);
        while units.len() < n {
            let before = p;
            if !next(&mut p, &mut k) {
                break;
            }
            let part = parts[p];
            if p != before {
                // A continued string: the part's own flags byte.
                wide = part[0] & 1 != 0;
                k += 1;
            }
            if k > part.len() {
                break;
            }
            let width = if wide { 2 } else { 1 };
            let take = (n - units.len()).min((part.len() - k) / width);
            if take == 0 {
                break;
            }
            let bytes = &part[k..k + take * width];
            if wide {
                units.extend(
                    bytes
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]])),
                );
            } else {
                units.extend(bytes.iter().map(|&b| u16::from(b)));
            }
            k += take * width;
        }
        out.push(String::from_utf16_lossy(&units));
        // The runs and the phonetic block (a reading aid, not the cell's text).
        k += 4 * runs + ext;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfb::{CFB, Compound, END, is_cfb};

    fn is_xls(bytes: &[u8]) -> bool {
        Compound::open(bytes).is_some_and(|c| c.has_stream("Workbook"))
    }

    fn read_xls(bytes: &[u8], out: &mut String) {
        if let Some(workbook) = Compound::open(bytes).and_then(|c| c.stream("Workbook")) {
            read_workbook97(&workbook, out);
        }
    }

    /// A workbook `xlwt` wrote: a sheet of members (a header row; a row with a date in
    /// `yyyy/m/d`, a phone number as text, an integer and a fraction; a row with a date in a
    /// Japanese era format, a line break in a cell, a negative number; 700 filler rows, enough
    /// shared strings to run over `CONTINUE` records) and a sheet of notes.
    const MEMBERS: &[u8] = include_bytes!("../tests/data/members.xls");

    #[test]
    fn a_workbook_reads_as_rows_of_cells() {
        assert!(is_cfb(MEMBERS) && is_xls(MEMBERS));
        let mut out = String::new();
        read_xls(MEMBERS, &mut out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            &lines[..3],
            [
                "氏名\tフリガナ\t生年月日\t電話番号\t会員番号\tポイント",
                "山口 大介\tヤマグチ ダイスケ\t1968-09-18\t090-6682-8625\t1234\t12.5",
                "前田 花子\tマエダ ハナコ\t1970-01-02\t06-1234-5678 (自宅)\t-70000\t0.25",
            ],
            "{out}"
        );
        assert_eq!(lines[3], "会員0000 備考欄テキスト\t0");
        assert_eq!(lines[702], "会員0699 備考欄テキスト\t699");
        assert_eq!(&lines[703..], ["", "備考\t3", ""]);
    }

    /// A compound file of 512-byte sectors whose `Workbook` stream (`workbook`, under 4 KiB)
    /// lives in the mini stream, as small streams do: sector 0 the FAT, 1 the directory, 2
    /// the mini FAT, 3 and on the mini stream. Its directory's tree links are left out (all
    /// zero), as some writers leave them: its streams count as the root's.
    fn small_compound(workbook: &[u8]) -> Vec<u8> {
        assert!(workbook.len() <= 512);
        let mini_sectors = workbook.len().div_ceil(64);
        let mut f = vec![0u8; 512 * 5];
        f[..8].copy_from_slice(&CFB);
        f[0x18..0x1A].copy_from_slice(&0x3Eu16.to_le_bytes());
        f[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes());
        f[0x1C..0x1E].copy_from_slice(&0xFFFEu16.to_le_bytes());
        f[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes());
        f[0x20..0x22].copy_from_slice(&6u16.to_le_bytes());
        let mut put = |at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
        put(0x2C, 1); // FAT sectors
        put(0x30, 1); // directory
        put(0x38, 4096); // mini stream cutoff
        put(0x3C, 2); // mini FAT
        put(0x40, 1);
        put(0x44, 0xFFFF_FFFE); // no DIFAT sectors
        put(0x4C, 0); // the FAT is sector 0
        for k in 1..109 {
            put(0x4C + 4 * k, 0xFFFF_FFFF);
        }
        // The FAT (at 512): sector 0 a FAT sector, 1, 2 and 3 chains of one.
        let fat = [0xFFFF_FFFD, 0xFFFF_FFFE, 0xFFFF_FFFE, 0xFFFF_FFFE];
        for (k, v) in fat.into_iter().enumerate() {
            put(512 + 4 * k, v);
        }
        for k in 4..128 {
            put(512 + 4 * k, 0xFFFF_FFFF);
        }
        // The mini FAT (at 1536): one chain over the stream's mini sectors.
        for k in 0..128 {
            let v = if k + 1 < mini_sectors {
                k as u32 + 1
            } else if k + 1 == mini_sectors {
                0xFFFF_FFFE
            } else {
                0xFFFF_FFFF
            };
            put(1536 + 4 * k, v);
        }
        // The directory (at 1024): the root (its stream the mini stream) and `Workbook`.
        let entry = |f: &mut Vec<u8>, k: usize, name: &str, kind: u8, start: u32, size: u32| {
            let at = 1024 + 128 * k;
            let units: Vec<u8> = name
                .encode_utf16()
                .chain([0])
                .flat_map(u16::to_le_bytes)
                .collect();
            f[at..at + units.len()].copy_from_slice(&units);
            f[at + 0x40..at + 0x42].copy_from_slice(&(units.len() as u16).to_le_bytes());
            f[at + 0x42] = kind;
            f[at + 0x74..at + 0x78].copy_from_slice(&start.to_le_bytes());
            f[at + 0x78..at + 0x7C].copy_from_slice(&size.to_le_bytes());
        };
        entry(&mut f, 0, "Root Entry", 5, 3, (mini_sectors * 64) as u32);
        entry(&mut f, 1, "Workbook", 2, 0, workbook.len() as u32);
        f[2048..2048 + workbook.len()].copy_from_slice(workbook);
        f
    }

    #[test]
    fn a_small_workbook_in_the_mini_stream() {
        let record = |kind: u16, data: &[u8]| {
            let mut r = kind.to_le_bytes().to_vec();
            r.extend((data.len() as u16).to_le_bytes());
            r.extend(data);
            r
        };
        let mut sst = vec![1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 1];
        sst.extend("山口 大介".encode_utf16().flat_map(u16::to_le_bytes));
        let mut number = vec![0, 0, 1, 0, 0, 0];
        number.extend(25_099f64.to_le_bytes());
        let mut xf = vec![0u8; 20];
        xf[2] = 14; // the built-in date format `m/d/yyyy`
        let workbook = [
            record(BOF, &[0, 6, 5, 0]),
            record(XF, &xf),
            record(SST, &sst),
            record(EOF, &[]),
            record(BOF, &[0, 6, 0x10, 0]),
            record(LABELSST, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            record(NUMBER, &number),
            record(EOF, &[]),
        ]
        .concat();
        let file = small_compound(&workbook);
        assert!(is_xls(&file));
        let mut out = String::new();
        read_xls(&file, &mut out);
        assert_eq!(out, "山口 大介\t1968-09-18\n\n");
    }

    #[test]
    fn rk_values() {
        for (v, want) in [
            (0x0000_0A02u32, 640.0), // integer 640
            (0xFFFF_FFFE, -1.0),     // integer -1
            (0x0000_0A03, 6.4),      // integer 640 / 100
            (0x3FF0_0000, 1.0),      // the high half of 1.0
            (0x3FF0_0001, 0.01),     // 1.0 / 100
        ] {
            assert_eq!(rk(v), want, "{v:#x}");
        }
    }

    #[test]
    fn cut_and_corrupt_workbooks_give_what_they_hold() {
        let mut whole = String::new();
        read_xls(MEMBERS, &mut whole);
        for cut in (0..MEMBERS.len()).step_by(509) {
            let mut out = String::new();
            read_xls(&MEMBERS[..cut], &mut out);
            assert!(out.len() <= whole.len() * 2, "{cut}");
        }
        for k in (0..MEMBERS.len()).step_by(61) {
            let mut bad = MEMBERS.to_vec();
            bad[k] ^= 0xA5;
            let mut out = String::new();
            read_xls(&bad, &mut out);
            assert!(out.len() <= whole.len() * 4, "{k}");
        }
        // A FAT whose chains loop: each stream ends where it would go round.
        let mut looped = MEMBERS.to_vec();
        let fat = (u32_at(MEMBERS, 0x4C).unwrap() as usize + 1) * 512;
        for k in 0..128 {
            let at = fat + 4 * k;
            if u32_at(&looped, at).unwrap() < END {
                looped[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
            }
        }
        let mut out = String::new();
        read_xls(&looped, &mut out);
    }

    #[test]
    fn shared_strings_run_over_continue_records() {
        // Two strings: "ab" compressed; "山口大介" wide, cut after two characters, its rest in
        // the next part with a flags byte of its own; then "x" with a phonetic block cut
        // across the parts.
        let mut sst = vec![0u8; 8];
        sst.extend([2, 0, 0, b'a', b'b']);
        sst.extend([4, 0, 1]);
        sst.extend("山口".encode_utf16().flat_map(u16::to_le_bytes));
        let mut cont = vec![1u8];
        cont.extend("大介".encode_utf16().flat_map(u16::to_le_bytes));
        cont.extend([1, 0, 0x04, 3, 0, 0, 0, b'x', 9]);
        let cont2 = [9u8, 9, 2, 0, 0, b'o', b'k'];
        assert_eq!(
            shared_strings(&[&sst, &cont, &cont2]),
            ["ab", "山口大介", "x", "ok"]
        );
        // Cut anywhere: no panic.
        for cut in 0..cont.len() {
            let _ = shared_strings(&[&sst, &cont[..cut], &cont2]);
        }
    }
}
