use super::*;
use crate::cfb::Compound;
use crate::doc::{read_word_streams, word_streams};
use crate::xls::read_workbook97;

/// A member list LibreOffice 7.4 saved as `MS Word 97` with the password `会員2026!` (RC4,
/// version 1.1): a heading, a paragraph, a table of a header row and two members, a closing
/// paragraph.
const DOC: &[u8] = include_bytes!("../../../tests/data/encrypted/members-password.doc");

/// `members.xls` (see [`crate::xls`]'s tests) LibreOffice 7.4 saved as `MS Excel 97` with the
/// password `Amg-2026#xl` (RC4, version 1.1).
const XLS: &[u8] = include_bytes!("../../../tests/data/encrypted/members-password.xls");

/// The clear workbook `XLS` was saved from.
const CLEAR_XLS: &[u8] = include_bytes!("../../../tests/data/members.xls");

fn sealed_word(file: &[u8]) -> SealedBinary {
    let c = Compound::open(file).expect("a compound file");
    let (doc, table, data) = word_streams(&c).expect("a Word document");
    SealedBinary::word(doc, table, data).expect("encrypted with RC4")
}

fn sealed_workbook(file: &[u8]) -> SealedBinary {
    let c = Compound::open(file).expect("a compound file");
    SealedBinary::workbook(c.stream("Workbook").expect("a workbook")).expect("RC4")
}

fn text(streams: &Binary) -> String {
    let mut out = String::new();
    match streams {
        Binary::Word { doc, table, data } => read_word_streams(doc, table, data, &mut out),
        Binary::Workbook(stream) => read_workbook97(stream, &mut out),
    }
    out
}

#[test]
fn files_libreoffice_encrypted_open_with_their_password_only() {
    let word = sealed_word(DOC);
    assert_eq!(
        format!("{word:?}"),
        "SealedBinary { lock: BinaryLock { scheme: Md5, .. }, .. }"
    );
    for wrong in [
        "",
        "会員2026",
        "会員2026！",
        "Amg-2026#xl",
        "VelvetSweatshop",
    ] {
        assert!(word.open(wrong.as_bytes()).is_none(), "{wrong}");
    }
    let read = text(&word.open("会員2026!".as_bytes()).expect("the password"));
    let lines: Vec<&str> = read.lines().collect();
    assert_eq!(
        &lines[..5],
        [
            "会員名簿（2022年度）",
            "個人情報につき取扱注意。",
            "氏名\tフリガナ\t生年月日\t住所\t電話番号",
            "山口 大介\tヤマグチ ダイスケ\t1968年9月18日\t兵庫県尼崎市東七松町1丁目23番4号\t090-6682-8625",
            "前田 花子\tマエダ ハナコ\t昭和45年1月2日\t尼崎市南塚口町2-5-10\t06-1234-5678",
        ],
        "{read}"
    );

    let workbook = sealed_workbook(XLS);
    assert!(workbook.is_workbook());
    for wrong in ["", "amg-2026#xl", "会員2026!", "VelvetSweatshop"] {
        assert!(workbook.open(wrong.as_bytes()).is_none(), "{wrong}");
    }
    let read = text(&workbook.open(b"Amg-2026#xl").expect("the password"));
    let mut clear = String::new();
    let c = Compound::open(CLEAR_XLS).unwrap();
    read_workbook97(&c.stream("Workbook").unwrap(), &mut clear);
    assert!(
        read.starts_with("氏名\tフリガナ\t生年月日\t電話番号"),
        "{read}"
    );
    assert_eq!(read, clear);
}
