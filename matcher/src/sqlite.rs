//! SQLite database files: the rows of their tables as lines of text. Apps and web frameworks
//! keep their users in SQLite (Django's `db.sqlite3`, a phone app's backup), and such a file
//! leaks whole; a byte-level scan skips it as binary (its pages hold NUL bytes), and would see
//! a row's values run together with the record's header bytes between them.
//!
//! The file is read page by page from its start, as it is, without the SQLite library and
//! without following the b-trees: every page that is a table's leaf gives its rows, each row a
//! line with its values apart by tabs (text as text, in the database's encoding; numbers as
//! written; NULLs and binary blobs empty), a value longer than its page followed along its
//! overflow pages. So a file cut short by a size cap still gives the rows of the pages it
//! holds, and a corrupt page gives what can be read of it and nothing else. Index pages
//! (copies of indexed columns) and free pages are passed over. Everything read counts against
//! one budget (the matcher's `max_document_bytes`), however the overflow chains of a hostile
//! file point.

/// The header string a database file starts with.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// A table b-tree's leaf page.
const TABLE_LEAF: u8 = 0x0D;

/// Whether `bytes` is an SQLite database file.
pub(crate) fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The database's layout, from its header.
struct Layout {
    page_size: usize,
    /// Bytes of a page that hold data (the page size less the reserved bytes at its end).
    usable: usize,
    text: TextEncoding,
}

#[derive(Clone, Copy)]
enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Layout {
    fn read(bytes: &[u8]) -> Option<Layout> {
        let header = bytes.get(..100)?;
        let page_size = match u16::from_be_bytes([header[16], header[17]]) {
            1 => 65_536,
            n => usize::from(n),
        };
        if !page_size.is_power_of_two() || !(512..=65_536).contains(&page_size) {
            return None;
        }
        let usable = page_size.checked_sub(usize::from(header[20]))?;
        if usable < 480 {
            return None;
        }
        let text = match u32::from_be_bytes([header[56], header[57], header[58], header[59]]) {
            2 => TextEncoding::Utf16Le,
            3 => TextEncoding::Utf16Be,
            _ => TextEncoding::Utf8,
        };
        Some(Layout {
            page_size,
            usable,
            text,
        })
    }
}

/// Appends the rows of the database `bytes` to `out` (see the module documentation), reading
/// at most `budget` bytes of values (what is left of it is returned in place).
pub(crate) fn read_sqlite(bytes: &[u8], budget: &mut usize, out: &mut String) {
    let Some(layout) = Layout::read(bytes) else {
        return;
    };
    for (k, page) in bytes.chunks(layout.page_size).enumerate() {
        // Page 1 starts with the file's header; its b-tree header follows it.
        let at = if k == 0 { 100 } else { 0 };
        if page.get(at) == Some(&TABLE_LEAF) {
            read_leaf(bytes, &layout, page, at, budget, out);
        }
        if *budget == 0 {
            return;
        }
    }
}

/// The rows of one table leaf page whose b-tree header is at `at`.
fn read_leaf(
    bytes: &[u8],
    layout: &Layout,
    page: &[u8],
    at: usize,
    budget: &mut usize,
    out: &mut String,
) {
    let Some(header) = page.get(at..at + 8) else {
        return;
    };
    let cells = usize::from(u16::from_be_bytes([header[3], header[4]]));
    for c in 0..cells {
        let Some(pointer) = page.get(at + 8 + 2 * c..at + 10 + 2 * c) else {
            return;
        };
        let offset = usize::from(u16::from_be_bytes([pointer[0], pointer[1]]));
        let Some(payload) = cell_payload(bytes, layout, page, offset, *budget) else {
            continue;
        };
        *budget -= payload.len().min(*budget);
        if read_record(&payload, layout.text, out) {
            out.push('\n');
        }
        if *budget == 0 {
            return;
        }
    }
}

/// The whole payload of the table leaf cell at `offset` of `page`: its local part and, for a
/// payload too large for its page, the rest along its overflow pages (cut where the chain
/// breaks or the budget ends).
fn cell_payload(
    bytes: &[u8],
    layout: &Layout,
    page: &[u8],
    offset: usize,
    budget: usize,
) -> Option<Vec<u8>> {
    let (whole, n) = varint(page.get(offset..)?)?;
    let (_rowid, m) = varint(page.get(offset + n..)?)?;
    let start = offset + n + m;
    let u = layout.usable as u64;
    // How much of the payload the page holds (the file format's rule for table leaves).
    let max_local = u - 35;
    let local = if whole <= max_local {
        whole
    } else {
        let min_local = (u - 12) * 32 / 255 - 23;
        let k = min_local + (whole - min_local) % (u - 4);
        if k <= max_local { k } else { min_local }
    };
    let local = usize::try_from(local).ok()?;
    // What is read of it: within the budget.
    let size = usize::try_from(whole).unwrap_or(usize::MAX).min(budget);
    let u = layout.usable;
    let mut payload = page.get(start..start + local.min(size))?.to_vec();
    if local < size {
        let mut next = page
            .get(start + local..start + local + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        // A chain visits each page once at most (a loop in a corrupt file ends there).
        let mut hops = bytes.len() / layout.page_size;
        while let Some(number) = next.filter(|&p| p != 0) {
            if payload.len() >= size || hops == 0 {
                break;
            }
            hops -= 1;
            let first = (number as usize - 1) * layout.page_size;
            let Some(overflow) = bytes.get(first..first + u) else {
                break;
            };
            let take = (size - payload.len()).min(u - 4);
            payload.extend_from_slice(&overflow[4..4 + take]);
            next = Some(u32::from_be_bytes([
                overflow[0],
                overflow[1],
                overflow[2],
                overflow[3],
            ]));
        }
    }
    Some(payload)
}

/// Appends a record's values, apart by tabs, to `out`; false when it holds no value.
fn read_record(payload: &[u8], text: TextEncoding, out: &mut String) -> bool {
    let Some((header_size, n)) = varint(payload) else {
        return false;
    };
    let Ok(header_size) = usize::try_from(header_size) else {
        return false;
    };
    let Some(header) = payload.get(n..header_size.max(n)) else {
        return false;
    };
    let mut body = header_size;
    let mut at = 0;
    let mut first = true;
    while at < header.len() {
        let Some((serial, k)) = varint(&header[at..]) else {
            break;
        };
        at += k;
        let len = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial as usize,
            5 => 6,
            6 | 7 => 8,
            10 | 11 => break,
            n => ((n - 12) / 2) as usize,
        };
        // A value cut short (the payload's end) ends the record.
        let Some(value) = payload.get(body..body.saturating_add(len)) else {
            break;
        };
        body += len;
        if !first {
            out.push('\t');
        }
        first = false;
        match serial {
            1..=6 => {
                let mut n = if value[0] & 0x80 != 0 { -1i64 } else { 0 };
                for &b in value {
                    n = (n << 8) | i64::from(b);
                }
                // A phone number kept as an integer lost its leading 0: given back, as a
                // spreadsheet's number cell is (see `number_cell`).
                out.push_str(&crate::archive::number_cell(n.to_string()));
            }
            7 => {
                let x = f64::from_be_bytes(value.try_into().unwrap_or([0; 8]));
                if x.is_finite() {
                    out.push_str(&x.to_string());
                }
            }
            8 => out.push('0'),
            9 => out.push('1'),
            n if n >= 13 && n % 2 == 1 => push_text(value, text, out),
            // A blob: its bytes when they are UTF-8 text (a value stored as a blob by an
            // app), otherwise nothing.
            n if n >= 12 => {
                if let Ok(s) = std::str::from_utf8(value) {
                    push_cell(s, out);
                }
            }
            _ => {}
        }
    }
    !first
}

/// A text value, decoded from the database's encoding.
fn push_text(value: &[u8], text: TextEncoding, out: &mut String) {
    let decoded = match text {
        TextEncoding::Utf8 => String::from_utf8_lossy(value),
        TextEncoding::Utf16Le => encoding_rs::UTF_16LE.decode_without_bom_handling(value).0,
        TextEncoding::Utf16Be => encoding_rs::UTF_16BE.decode_without_bom_handling(value).0,
    };
    push_cell(&decoded, out);
}

/// A value as a cell: its line breaks and tabs as spaces, so that a row stays a line.
fn push_cell(s: &str, out: &mut String) {
    out.extend(s.chars().map(|c| match c {
        '\n' | '\r' | '\t' | '\0' => ' ',
        c => c,
    }));
}

/// A SQLite varint at the start of `b` (1 to 9 bytes, big-endian groups of 7 bits, the ninth
/// byte whole) and its length.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut n = 0u64;
    for (k, &byte) in b.iter().take(9).enumerate() {
        if k == 8 {
            return Some(((n << 8) | u64::from(byte), 9));
        }
        n = (n << 7) | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            return Some((n, k + 1));
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A database made by SQLite itself (the `rusqlite` the alerts store uses), as a file's
    /// bytes.
    pub(crate) fn database(sql: &str, page_size: u32) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leak.sqlite3");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA page_size = {page_size}; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
        ))
        .unwrap();
        conn.execute_batch(&format!("BEGIN; {sql} COMMIT;"))
            .unwrap();
        drop(conn);
        std::fs::read(&path).unwrap()
    }

    fn text(bytes: &[u8], budget: usize) -> String {
        let mut out = String::new();
        let mut budget = budget;
        read_sqlite(bytes, &mut budget, &mut out);
        out
    }

    #[test]
    fn varints() {
        for (bytes, want) in [
            (&[0x00][..], Some((0, 1))),
            (&[0x7F], Some((127, 1))),
            (&[0x81, 0x00], Some((128, 2))),
            (&[0xFF; 9], Some((u64::MAX, 9))),
            (&[0x81], None),
            (&[], None),
        ] {
            assert_eq!(varint(bytes), want, "{bytes:?}");
        }
    }

    #[test]
    fn a_database_reads_as_its_rows() {
        // Django's user table shape, a long note that overflows its page, numbers of every
        // width, NULLs, a blob that is text and one that is not, an index.
        let note = "備考".repeat(2000);
        let db = database(
            &format!(
                "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, kana TEXT, \
                 birth TEXT, tel TEXT, points INTEGER, rate REAL, note TEXT, photo BLOB, memo BLOB);
                 CREATE INDEX by_tel ON customers (tel);
                 INSERT INTO customers VALUES (1, '山口 大介', 'ヤマグチ ダイスケ', '1968-09-18', \
                 '090-6682-8625', 120, 0.5, NULL, x'89504E470D0A1A0A00', CAST('前田' AS BLOB));
                 INSERT INTO customers VALUES (2, '前田 花子', 'マエダ\nハナコ', '1970-01-02', NULL, \
                 -70000, 1.0, '{note}', NULL, NULL);
                 INSERT INTO customers VALUES (3, 'x', NULL, NULL, NULL, 4294967296, 0, 1, NULL, NULL);"
            ),
            1024,
        );
        assert!(is_sqlite(&db) && db.len() > 8 * 1024, "{}", db.len());
        let out = text(&db, 1 << 20);
        // The schema's rows (`sqlite_master`) are rows too.
        let rows: Vec<&str> = out
            .lines()
            .filter(|l| !l.starts_with("table\t") && !l.starts_with("index\t"))
            .collect();
        assert_eq!(
            rows,
            [
                "\t山口 大介\tヤマグチ ダイスケ\t1968-09-18\t090-6682-8625\t120\t0.5\t\t\t前田",
                &format!("\t前田 花子\tマエダ ハナコ\t1970-01-02\t\t-70000\t1\t{note}\t\t"),
                "\tx\t\t\t\t4294967296\t0\t1\t\t",
            ],
            "{out}"
        );
        // The schema's row (sqlite_master) comes first; the index's copies of `tel` do not.
        assert!(out.starts_with("table\tcustomers\tcustomers\t"), "{out}");
        assert_eq!(out.matches("090-6682-8625").count(), 1, "{out}");
    }

    #[test]
    fn phone_numbers_kept_as_integers_get_their_zero_back() {
        let db = database(
            "CREATE TABLE t (name TEXT, tel INTEGER, home INTEGER, id INTEGER, n INTEGER); \
             INSERT INTO t VALUES ('山口 大介', 9066828625, 664123456, 12345, -664123456);",
            4096,
        );
        let out = text(&db, 1 << 20);
        assert!(
            out.contains("\n山口 大介\t09066828625\t0664123456\t12345\t-664123456\n"),
            "{out}"
        );
    }

    #[test]
    fn utf16_databases_and_pages_of_64_kib() {
        let db = database(
            "PRAGMA encoding = 'UTF-16le'; CREATE TABLE t (name TEXT); \
             INSERT INTO t VALUES ('山口 大介');",
            65_536,
        );
        assert!(text(&db, 1 << 20).contains("\n山口 大介\n"));
        let db = database(
            "PRAGMA encoding = 'UTF-16be'; CREATE TABLE t (name TEXT); \
             INSERT INTO t VALUES ('山口 大介');",
            4096,
        );
        assert!(text(&db, 1 << 20).contains("\n山口 大介\n"));
    }

    #[test]
    fn cut_and_corrupt_files_give_what_they_hold() {
        let mut sql = String::from("CREATE TABLE t (name TEXT, note TEXT);");
        for i in 0..60 {
            sql.push_str(&format!(
                "INSERT INTO t VALUES ('person{i:03}', '{}');",
                "x".repeat(i * 25)
            ));
        }
        let db = database(&sql, 512);
        let whole = text(&db, usize::MAX);
        assert_eq!(whole.matches("person").count(), 60);
        // Cut anywhere: rows of the whole file's, values cut short at most.
        for cut in (0..db.len()).step_by(97) {
            let out = text(&db[..cut], usize::MAX);
            for line in out.lines() {
                assert!(whole.lines().any(|w| w.starts_with(line)), "{cut}: {line}");
            }
        }
        // Any byte changed: no panic, bounded output.
        for k in (0..db.len()).step_by(31) {
            let mut bad = db.clone();
            bad[k] ^= 0xA5;
            assert!(text(&bad, 1 << 20).len() <= (1 << 20) + db.len());
        }
        // The budget bounds what overflow chains give, however they point.
        assert!(text(&db, 1000).len() < 2000);
        // Not a database: a bad page size.
        let mut bad = db.clone();
        bad[16..18].copy_from_slice(&[0x03, 0x00]);
        assert_eq!(text(&bad, 1 << 20), "");
    }
}
