//! Reading the register: CSV/TSV in UTF-8 (BOM tolerated) or Shift_JIS.
//!
//! A malformed row (wrong number of fields, bad encoding, empty or duplicate id) is rejected
//! with its line number and a reason, and reading goes on; only an unreadable file or a header
//! that lacks a schema column stops it.

use std::io::Read;
use std::path::Path;

use crate::{Error, FieldKind, Schema};

/// Text encodings a register may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    Utf8,
    /// Shift_JIS (Windows code page 932).
    ShiftJis,
}

impl std::str::FromStr for TextEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "utf8" | "utf_8" => Ok(TextEncoding::Utf8),
            "shift_jis" | "sjis" | "cp932" | "windows_31j" => Ok(TextEncoding::ShiftJis),
            other => Err(format!(
                "unknown encoding {other:?} (use utf-8 or shift_jis)"
            )),
        }
    }
}

/// How to read a register file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Text encoding.
    pub encoding: TextEncoding,
    /// Field delimiter (`b','` for CSV, `b'\t'` for TSV).
    pub delimiter: u8,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            encoding: TextEncoding::Utf8,
            delimiter: b',',
        }
    }
}

/// One register row, with the raw values of the schema's columns.
#[derive(Clone)]
pub struct Row {
    /// 1-based line number where the row starts.
    pub line: u64,
    /// The id-column value.
    pub id: String,
    /// Raw values of the schema columns (empty values are left out), each with its source: the
    /// index of its column in [`Schema::columns`] (the first of a value joined from parts), or,
    /// for a value listed in the schema's `[values]`, `columns.len()` plus its place among all
    /// the lists there, in [`Schema::values`] order.
    pub fields: Vec<(FieldKind, usize, String)>,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Row(line {}, {} fields, values redacted)",
            self.line,
            self.fields.len()
        )
    }
}

/// A row that could not be used, or a field of a row that was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong (names columns, never values).
    pub reason: String,
}

/// Reads a register and calls `on_row` for every row in order; `progress` receives the bytes
/// read so far. Returns the column names of the schema (in `Row::fields` index order).
pub fn read_register(
    path: &Path,
    schema: &Schema,
    opts: ReadOptions,
    mut on_row: impl FnMut(Result<Row, RowProblem>),
    progress: impl Fn(u64),
) -> Result<(), Error> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening records {}", path.display()), e))?;
    let counting = CountingReader {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        read: 0,
        progress,
    };
    read_register_from(counting, schema, opts, &mut on_row)
}

/// Like [`read_register`], from any reader.
pub fn read_register_from(
    reader: impl Read,
    schema: &Schema,
    opts: ReadOptions,
    on_row: &mut impl FnMut(Result<Row, RowProblem>),
) -> Result<(), Error> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(opts.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rec = csv::ByteRecord::new();
    let header = match rdr.read_byte_record(&mut rec) {
        Ok(false) => return Err(Error::Records("the file is empty (no header row)".into())),
        Ok(true) => decode_header(&rec, opts.encoding)?,
        Err(e) => return Err(Error::Records(format!("cannot read the header row: {e}"))),
    };
    let find = |name: &str| header.iter().position(|h| h.trim() == name);
    let id_idx = find(&schema.id_column).ok_or_else(|| {
        Error::Schema(format!(
            "id_column \"{}\" is not in the register's header (line 1)",
            schema.id_column
        ))
    })?;
    let column = |name: &str, kind: FieldKind| {
        find(name).ok_or_else(|| {
            Error::Schema(format!(
                "column \"{name}\" ({kind}) is not in the register's header (line 1)"
            ))
        })
    };
    let mut cols = Vec::with_capacity(schema.columns.len());
    for (i, (name, kind)) in schema.columns.iter().enumerate() {
        let idx = column(name, *kind)?;
        if schema.values_of(*kind).is_none() {
            cols.push((i, idx, *kind));
        }
    }
    // In the register's column order: the parts of a name, reading or address are joined in it.
    cols.sort_by_key(|&(_, idx, _)| idx);
    // The values listed in `[values]`: their columns in the list's order.
    let mut lists: Vec<(usize, FieldKind, Vec<usize>)> = Vec::new();
    for (kind, values) in &schema.values {
        for value in values {
            let idx = value
                .iter()
                .map(|name| column(name, *kind))
                .collect::<Result<Vec<_>, _>>()?;
            lists.push((schema.columns.len() + lists.len(), *kind, idx));
        }
    }
    let layout = Layout { cols, lists };
    let width = header.len();
    loop {
        let line = rdr.position().line() + u64::from(rdr.position().line() == 0);
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = rec.position().map_or(line, |p| p.line());
                on_row(parse_row(
                    &rec,
                    line,
                    width,
                    id_idx,
                    &layout,
                    opts.encoding,
                    &header,
                ));
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                on_row(Err(RowProblem {
                    line,
                    reason: format!("unreadable row: {}", describe_csv_error(&e)),
                }));
            }
        }
    }
    Ok(())
}

fn describe_csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => "malformed CSV".into(),
    }
}

fn decode(bytes: &[u8], enc: TextEncoding) -> Option<String> {
    match enc {
        TextEncoding::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_owned),
        TextEncoding::ShiftJis => encoding_rs::SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|c| c.into_owned()),
    }
}

fn decode_header(rec: &csv::ByteRecord, enc: TextEncoding) -> Result<Vec<String>, Error> {
    rec.iter()
        .enumerate()
        .map(|(i, f)| {
            let f = if i == 0 {
                f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
            } else {
                f
            };
            decode(f, enc).ok_or_else(|| {
                Error::Records(format!(
                    "header (line 1) is not valid {}; use --encoding",
                    match enc {
                        TextEncoding::Utf8 => "UTF-8",
                        TextEncoding::ShiftJis => "Shift_JIS",
                    }
                ))
            })
        })
        .collect()
}

/// Where a row's values come from, by header index: `cols` holds `(schema index, header
/// index, kind)` of the columns read one by one (parts of a kind joined in header order), and
/// `lists` `(source, kind, header indexes)` of the values listed in `[values]` (see
/// [`Row::fields`]).
struct Layout {
    cols: Vec<(usize, usize, FieldKind)>,
    lists: Vec<(usize, FieldKind, Vec<usize>)>,
}

fn parse_row(
    rec: &csv::ByteRecord,
    line: u64,
    width: usize,
    id_idx: usize,
    layout: &Layout,
    enc: TextEncoding,
    header: &[String],
) -> Result<Row, RowProblem> {
    let problem = |reason: String| RowProblem { line, reason };
    if rec.len() != width {
        return Err(problem(format!(
            "has {} fields, the header has {width}",
            rec.len()
        )));
    }
    let get = |idx: usize| {
        decode(&rec[idx], enc).ok_or_else(|| {
            problem(format!(
                "column \"{}\" is not valid {} (check --encoding)",
                header[idx],
                match enc {
                    TextEncoding::Utf8 => "UTF-8",
                    TextEncoding::ShiftJis => "Shift_JIS",
                }
            ))
        })
    };
    let id = get(id_idx)?;
    if id.trim().is_empty() {
        return Err(problem(format!(
            "id column \"{}\" is empty",
            header[id_idx]
        )));
    }
    let mut fields: Vec<(FieldKind, usize, String)> =
        Vec::with_capacity(layout.cols.len() + layout.lists.len());
    for &(i, idx, kind) in &layout.cols {
        let v = get(idx)?;
        if v.trim().is_empty() {
            continue;
        }
        match fields.iter_mut().find(|f| f.0 == kind) {
            Some(first) if comes_in_parts(kind) => {
                first.2.push(' ');
                first.2.push_str(&v);
            }
            _ => fields.push((kind, i, v)),
        }
    }
    // A listed value is made only when all its columns are filled: a resident without a
    // former name has no second name.
    'lists: for (i, kind, idx) in &layout.lists {
        let mut value = String::new();
        for &c in idx {
            let part = get(c)?;
            if part.trim().is_empty() {
                continue 'lists;
            }
            if !value.is_empty() {
                value.push(' ');
            }
            value.push_str(&part);
        }
        fields.push((*kind, *i, value));
    }
    Ok(Row { line, id, fields })
}

/// Whether several columns of `kind` are parts of one value, joined with a space in the
/// register's column order: family and given name (`氏`, `名`) and their readings, an address
/// in parts (`住所1`, `住所2`). Other kinds in several columns are several values (two phone
/// numbers).
pub fn comes_in_parts(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Name | FieldKind::NameKana | FieldKind::Address
    )
}

struct CountingReader<R, F> {
    inner: R,
    read: u64,
    progress: F,
}

impl<R: Read, F: Fn(u64)> Read for CountingReader<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.read);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::from_toml("id_column = \"id\"\n[columns]\nname = \"name\"\nphone = \"phone\"\n")
            .unwrap()
    }

    fn read(text: &[u8], opts: ReadOptions) -> Result<(Vec<Row>, Vec<RowProblem>), Error> {
        let (mut ok, mut bad) = (Vec::new(), Vec::new());
        read_register_from(text, &schema(), opts, &mut |r| match r {
            Ok(r) => ok.push(r),
            Err(p) => bad.push(p),
        })?;
        Ok((ok, bad))
    }

    #[test]
    fn reports_bad_rows_with_lines_and_keeps_the_rest() {
        let text = "\u{feff}id,name,phone\n1,山田 太郎,06-1234-5678\n2,ragged\n,no id,06\n3,\"multi\nline\",0612345678\n4,鈴木 一郎,\n";
        let (ok, bad) = read(text.as_bytes(), ReadOptions::default()).unwrap();
        assert_eq!(
            ok.iter()
                .map(|r| (r.line, r.id.as_str()))
                .collect::<Vec<_>>(),
            vec![(2, "1"), (5, "3"), (7, "4")]
        );
        assert_eq!(ok[2].fields.len(), 1, "empty phone left out");
        assert_eq!(
            bad,
            vec![
                RowProblem {
                    line: 3,
                    reason: "has 2 fields, the header has 3".into()
                },
                RowProblem {
                    line: 4,
                    reason: "id column \"id\" is empty".into()
                },
            ]
        );
    }

    #[test]
    fn names_and_addresses_in_parts_are_joined_in_column_order() {
        // The schema lists 名 before 氏 (and its table sorts them so): the register's order
        // decides.
        let schema = Schema::from_toml(
            "id_column = \"id\"\n[columns]\n\"名\" = \"name\"\n\"氏\" = \"name\"\n\
             \"住所2\" = \"address\"\n\"住所1\" = \"address\"\n\"電話\" = \"phone\"\n\
             \"携帯\" = \"phone\"\n",
        )
        .unwrap();
        let text = "id,氏,名,住所1,住所2,電話,携帯\n\
                    1,山田,太郎,尼崎市東七松町,1-23-4,06-1234-5678,090-1234-5678\n\
                    2,鈴木,,尼崎市東七松町,,,\n";
        let mut rows = Vec::new();
        read_register_from(text.as_bytes(), &schema, ReadOptions::default(), &mut |r| {
            rows.push(r.unwrap())
        })
        .unwrap();
        let values = |r: &Row, k: FieldKind| {
            r.fields
                .iter()
                .filter(|f| f.0 == k)
                .map(|f| f.2.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(values(&rows[0], FieldKind::Name), ["山田 太郎"]);
        assert_eq!(
            values(&rows[0], FieldKind::Address),
            ["尼崎市東七松町 1-23-4"]
        );
        assert_eq!(
            values(&rows[0], FieldKind::Phone).len(),
            2,
            "two phones stay two"
        );
        assert_eq!(values(&rows[1], FieldKind::Name), ["鈴木"]);
        assert_eq!(values(&rows[1], FieldKind::Address), ["尼崎市東七松町"]);
    }

    #[test]
    fn listed_values_are_made_where_all_their_columns_are_filled() {
        // A current and a former family name: the given name is part of both values, in the
        // lists' order (not the register's), and a resident without a former name has one.
        let schema = Schema::from_toml(
            "id_column = \"id\"\n[columns]\n\"氏\" = \"name\"\n\"名\" = \"name\"\n\
             \"旧氏\" = \"name\"\n\"電話\" = \"phone\"\n\
             [values]\nname = [[\"氏\", \"名\"], [\"旧氏\", \"名\"]]\n",
        )
        .unwrap();
        let text = "id,旧氏,名,氏,電話\n\
                    1,佐藤,花子,山田,06-1234-5678\n\
                    2,,一郎,鈴木,\n\
                    3,田中,,,\n";
        let mut rows = Vec::new();
        read_register_from(text.as_bytes(), &schema, ReadOptions::default(), &mut |r| {
            rows.push(r.unwrap())
        })
        .unwrap();
        let names = |r: &Row| {
            r.fields
                .iter()
                .filter(|f| f.0 == FieldKind::Name)
                .map(|f| (f.1, f.2.clone()))
                .collect::<Vec<_>>()
        };
        let want = |l: &[(usize, &str)]| -> Vec<(usize, String)> {
            l.iter().map(|&(i, v)| (i, v.to_owned())).collect()
        };
        // Sources past the schema's four columns: the first list, then the second.
        assert_eq!(names(&rows[0]), want(&[(4, "山田 花子"), (5, "佐藤 花子")]));
        assert_eq!(names(&rows[1]), want(&[(4, "鈴木 一郎")]));
        assert_eq!(names(&rows[2]), want(&[]));
        assert_eq!(rows[0].fields[0].0, FieldKind::Phone);
    }

    #[test]
    fn shift_jis_and_tsv() {
        let (bytes, _, _) =
            encoding_rs::SHIFT_JIS.encode("id\tname\tphone\n1\t山田 太郎\t0612345678\n");
        let opts = ReadOptions {
            encoding: TextEncoding::ShiftJis,
            delimiter: b'\t',
        };
        let (ok, bad) = read(&bytes, opts).unwrap();
        assert!(bad.is_empty());
        assert_eq!(ok[0].fields[0].2, "山田 太郎");
        // The same bytes read as UTF-8: the row is refused with a hint.
        let (ok, bad) = read(
            &bytes,
            ReadOptions {
                delimiter: b'\t',
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert!(ok.is_empty());
        assert_eq!(bad[0].line, 2);
        assert!(bad[0].reason.contains("--encoding"), "{:?}", bad[0]);
    }

    #[test]
    fn invalid_utf8_row_is_reported() {
        let text = b"id,name,phone\n1,\xff\xfe,06\n2,ok,0612345678\n";
        let (ok, bad) = read(text, ReadOptions::default()).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(bad[0].line, 2);
        assert!(bad[0].reason.contains("not valid UTF-8"));
    }

    #[test]
    fn missing_column_and_empty_file() {
        let err = read(b"id,name\n1,x\n", ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("column \"phone\" (phone) is not in the register's header"),
            "{err}"
        );
        let err = read(b"", ReadOptions::default()).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
    }
}
