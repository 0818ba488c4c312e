//! The register reader (CSV/TSV, UTF-8 or Shift_JIS) on arbitrary bytes: every row is a row or
//! a problem with its line number, never a panic; the rows that read build a bundle that
//! round-trips through its encoding. Also with a schema that maps several columns to one kind,
//! and with one that lists the values made of them (`[values]`).
#![no_main]

use fingerprints::records::{ReadOptions, TextEncoding, read_register_from};
use fingerprints::{Bundle, BundleBuilder, Schema, SecretKey, synth};
use libfuzzer_sys::fuzz_target;

/// The synthetic register's columns with several of one kind: values in parts (joined) and
/// two values of a kind that is not (kept apart).
const PARTS_SCHEMA: &str = "id_column = \"住民番号\"\n[columns]\n\"氏名\" = \"name\"\n\
    \"氏名カナ\" = \"name\"\n\"郵便番号\" = \"address\"\n\"住所\" = \"address\"\n\
    \"電話番号\" = \"phone\"\n\"口座番号\" = \"phone\"\n";

/// The same columns, with two name values sharing a column (a current and a former name) and
/// an address value made of one column of the two.
const VALUES_SCHEMA: &str = "id_column = \"住民番号\"\n[columns]\n\"氏名\" = \"name\"\n\
    \"氏名カナ\" = \"name\"\n\"郵便番号\" = \"address\"\n\"住所\" = \"address\"\n\
    \"電話番号\" = \"phone\"\n[values]\nname = [[\"氏名\", \"氏名カナ\"], [\"氏名カナ\"]]\n\
    address = [[\"住所\"], [\"郵便番号\", \"住所\"]]\n";

fuzz_target!(|input: (bool, bool, u8, &[u8])| {
    let (tsv, sjis, which, bytes) = input;
    let schema = Schema::from_toml(match which % 3 {
        0 => synth::REGISTER_SCHEMA_TOML,
        1 => PARTS_SCHEMA,
        _ => VALUES_SCHEMA,
    })
    .expect("schema");
    let opts = ReadOptions {
        encoding: if sjis {
            TextEncoding::ShiftJis
        } else {
            TextEncoding::Utf8
        },
        delimiter: if tsv { b'\t' } else { b',' },
    };
    let mut rows = Vec::new();
    let mut last_line = 0;
    let _ = read_register_from(bytes, &schema, opts, &mut |r| match r {
        Ok(row) => {
            assert!(row.line >= 1 && row.line >= last_line, "line numbers grow");
            last_line = row.line;
            rows.push(row);
        }
        Err(problem) => assert!(problem.line >= 1, "a problem names its line"),
    });
    if rows.is_empty() {
        return;
    }
    let key = SecretKey::from_bytes([5; 32]);
    let mut b = BundleBuilder::new(&key);
    b.add_rows(rows);
    if let Ok((bundle, _)) = b.finish() {
        let bytes = bundle.to_bytes(&key).expect("encode");
        let back = Bundle::from_bytes(&bytes, &key).expect("decode");
        // Encryption uses a fresh nonce, so the bytes differ; the content must not.
        assert_eq!(back.meta(), bundle.meta());
        assert_eq!(back.record_count(), bundle.record_count());
        assert_eq!(back.vocabulary_len(), bundle.vocabulary_len());
        let refs = |b: &Bundle| {
            (0..b.record_count() as u32)
                .map(|r| b.record_ref(r))
                .collect::<Vec<_>>()
        };
        assert_eq!(refs(&bundle), refs(&back));
    }
});
