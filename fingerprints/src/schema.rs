//! The schema file: which register column holds which kind of field.
//!
//! ```toml
//! id_column = "住民番号"   # the register's own record id; never stored raw
//! [columns]               # CSV header -> field kind; unlisted columns are ignored
//! "氏名" = "name"
//! "生年月日" = "birth_date"
//! ```
//!
//! Several columns of kind `name`, `name_kana` or `address` are the parts of one value, joined
//! with a space in the register's column order when it is read
//! ([`records::comes_in_parts`](crate::records::comes_in_parts)): `"氏" = "name"` and
//! `"名" = "name"` give one name.
//!
//! A register that keeps two values of such a kind for one person (a current and a former
//! family name, `旧氏`) says which columns make each value, in an optional `[values]` table:
//!
//! ```toml
//! [values]
//! name = [["氏", "名"], ["旧氏", "名"]]
//! ```
//!
//! Each list is one value, its columns joined with a space in the list's order, made only when
//! all of them are filled (a resident without a former name has one name).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::{Error, FieldKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaFile {
    id_column: String,
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, Vec<Vec<String>>>,
}

/// A parsed schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The column holding the register's own record id.
    pub id_column: String,
    /// Register columns and the kind of field each holds.
    pub columns: Vec<(String, FieldKind)>,
    /// The kinds listed in the schema's `[values]`, each with the columns of each of its values
    /// (in the order they are joined). Such a kind's columns are not all joined into one value.
    pub values: Vec<(FieldKind, Vec<Vec<String>>)>,
}

impl Schema {
    /// Parses schema TOML; unknown kinds and keys are errors that name the entry.
    pub fn from_toml(text: &str) -> Result<Schema, Error> {
        let file: SchemaFile = toml::from_str(text)
            .map_err(|e| Error::Schema(e.message().to_owned() + &span_hint(text, e.span())))?;
        if file.id_column.trim().is_empty() {
            return Err(Error::Schema("id_column must name a column".into()));
        }
        let mut columns = Vec::with_capacity(file.columns.len());
        for (column, kind) in file.columns {
            let k = FieldKind::from_name(&kind).ok_or_else(|| {
                let known: Vec<&str> = FieldKind::ALL.iter().map(|k| k.as_str()).collect();
                Error::Schema(format!(
                    "column \"{column}\" has unknown kind \"{kind}\" (known kinds: {})",
                    known.join(", ")
                ))
            })?;
            if column == file.id_column {
                return Err(Error::Schema(format!(
                    "column \"{column}\" is the id_column and cannot also be a field"
                )));
            }
            columns.push((column, k));
        }
        if columns.is_empty() {
            return Err(Error::Schema("[columns] lists no column".into()));
        }
        let values = file
            .values
            .into_iter()
            .map(|(kind, lists)| value_lists(&columns, &kind, lists))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Schema {
            id_column: file.id_column,
            columns,
            values,
        })
    }

    /// The columns of each value of `kind` listed in `[values]`; `None` for a kind not listed
    /// there (all its columns are parts of one value, or each is a value of its own).
    pub fn values_of(&self, kind: FieldKind) -> Option<&[Vec<String>]> {
        self.values
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, lists)| lists.as_slice())
    }

    /// The kinds whose value the register keeps in parts, each with its columns (in schema
    /// order): those of [`records::comes_in_parts`](crate::records::comes_in_parts) mapped from
    /// more than one column, joined into one value when the register is read. Kinds listed in
    /// `[values]` are not among them (see [`Schema::values`]).
    pub fn joined_columns(&self) -> Vec<(FieldKind, Vec<&str>)> {
        let mut joined: Vec<(FieldKind, Vec<&str>)> = Vec::new();
        for (column, kind) in &self.columns {
            if !crate::records::comes_in_parts(*kind) || self.values_of(*kind).is_some() {
                continue;
            }
            match joined.iter_mut().find(|(k, _)| k == kind) {
                Some((_, cols)) => cols.push(column),
                None => joined.push((*kind, vec![column])),
            }
        }
        joined.retain(|(_, cols)| cols.len() > 1);
        joined.sort_by_key(|(k, _)| *k);
        joined
    }

    /// Reads and parses a schema file.
    pub fn read(path: &Path) -> Result<Schema, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading schema {}", path.display()), e))?;
        Schema::from_toml(&text).map_err(|e| match e {
            Error::Schema(m) => Error::Schema(format!("{}: {m}", path.display())),
            other => other,
        })
    }
}

/// Checks one `[values]` entry: a kind whose columns come in parts, each list naming columns
/// of that kind, and every column of that kind in some list.
fn value_lists(
    columns: &[(String, FieldKind)],
    kind: &str,
    lists: Vec<Vec<String>>,
) -> Result<(FieldKind, Vec<Vec<String>>), Error> {
    let bad = |m: String| Err(Error::Schema(format!("[values] {kind}: {m}")));
    let Some(k) = FieldKind::from_name(kind).filter(|&k| crate::records::comes_in_parts(k)) else {
        return bad("only name, name_kana and address take a list of values".into());
    };
    if lists.is_empty() || lists.iter().any(Vec::is_empty) {
        return bad("a value needs at least one column".into());
    }
    for column in lists.iter().flatten() {
        match columns.iter().find(|(c, _)| c == column) {
            Some((_, ck)) if *ck == k => {}
            Some((_, ck)) => return bad(format!("column \"{column}\" is of kind {ck}")),
            None => return bad(format!("column \"{column}\" is not in [columns]")),
        }
    }
    if let Some((column, _)) = columns
        .iter()
        .find(|(c, ck)| *ck == k && !lists.iter().flatten().any(|l| l == c))
    {
        return bad(format!("column \"{column}\" is in no value"));
    }
    Ok((k, lists))
}

fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|s| {
        format!(
            " (line {})",
            text[..s.start.min(text.len())].lines().count().max(1)
        )
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_contract() {
        let s = Schema::from_toml(
            "id_column = \"住民番号\"\n[columns]\n\"氏名\" = \"name\"\n\"生年月日\" = \"birth_date\"\n",
        )
        .unwrap();
        assert_eq!(s.id_column, "住民番号");
        assert!(s.columns.contains(&("氏名".into(), FieldKind::Name)));
    }

    #[test]
    fn joined_columns_are_the_kinds_in_parts_with_several_columns() {
        let s = Schema::from_toml(crate::synth::PARTS_SCHEMA_TOML).unwrap();
        assert_eq!(
            s.joined_columns(),
            [
                (FieldKind::Name, vec!["名", "氏"]),
                (FieldKind::NameKana, vec!["セイ", "メイ"]),
                (FieldKind::Address, vec!["住所1", "住所2"]),
            ]
        );
        // Two phones are two values; one name column is no join.
        let s = Schema::from_toml(
            "id_column = \"id\"\n[columns]\n\"氏名\" = \"name\"\n\"電話\" = \"phone\"\n\
             \"携帯\" = \"phone\"\n",
        )
        .unwrap();
        assert!(s.joined_columns().is_empty());
    }

    /// A current and a former family name (`旧氏`): two name values, each from its own columns.
    const FORMER_NAMES: &str = "id_column = \"id\"\n[columns]\n\"氏\" = \"name\"\n\
        \"名\" = \"name\"\n\"旧氏\" = \"name\"\n\"住所1\" = \"address\"\n\
        \"住所2\" = \"address\"\n[values]\nname = [[\"氏\", \"名\"], [\"旧氏\", \"名\"]]\n";

    #[test]
    fn values_list_the_columns_of_each_value() {
        let s = Schema::from_toml(FORMER_NAMES).unwrap();
        let lists = |l: &[&[&str]]| -> Vec<Vec<String>> {
            l.iter()
                .map(|v| v.iter().map(|&c| c.to_owned()).collect())
                .collect()
        };
        assert_eq!(
            s.values_of(FieldKind::Name),
            Some(lists(&[&["氏", "名"], &["旧氏", "名"]]).as_slice())
        );
        assert_eq!(s.values_of(FieldKind::Address), None);
        // The listed kind is no longer joined from all its columns; the others still are.
        assert_eq!(
            s.joined_columns(),
            [(FieldKind::Address, vec!["住所1", "住所2"])]
        );
    }

    #[test]
    fn errors_name_the_entry() {
        let cases = [
            (
                "id_column = \"id\"\n[columns]\n\"氏名\" = \"nam\"\n",
                "column \"氏名\" has unknown kind \"nam\"",
            ),
            (
                "id_column = \"id\"\ncolour = 1\n[columns]\na = \"name\"\n",
                "unknown field `colour`",
            ),
            ("[columns]\na = \"name\"\n", "missing field `id_column`"),
            ("id_column = \"id\"\n[columns]\n", "lists no column"),
            (
                "id_column = \"a\"\n[columns]\na = \"name\"\n",
                "is the id_column",
            ),
            (
                "id_column = \"id\"\n[columns]\na = \"phone\"\n[values]\nphone = [[\"a\"]]\n",
                "[values] phone: only name, name_kana and address take a list of values",
            ),
            (
                "id_column = \"id\"\n[columns]\na = \"name\"\n[values]\nname = [[\"a\"], []]\n",
                "[values] name: a value needs at least one column",
            ),
            (
                "id_column = \"id\"\n[columns]\na = \"name\"\n[values]\nname = [[\"a\", \"b\"]]\n",
                "[values] name: column \"b\" is not in [columns]",
            ),
            (
                "id_column = \"id\"\n[columns]\na = \"name\"\nb = \"address\"\n\
                 [values]\nname = [[\"a\", \"b\"]]\n",
                "[values] name: column \"b\" is of kind address",
            ),
            (
                "id_column = \"id\"\n[columns]\na = \"name\"\nb = \"name\"\n\
                 [values]\nname = [[\"a\"]]\n",
                "[values] name: column \"b\" is in no value",
            ),
        ];
        for (text, want) in cases {
            let err = Schema::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: got {err}");
        }
    }
}
