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

/// Encrypted with RC4 CryptoAPI (what Office 2003 on writes) by
/// `scripts/fixtures/office97_cryptoapi.py`, checked with msoffcrypto-tool and LibreOffice:
/// `members.xls` with `パス2026-xl` (128 bits, version 3.2), and `DOC` decrypted with
/// `Doc-2003!` (128 bits and 40 bits, version 4.2).
const CRYPTOAPI_XLS: &[u8] = include_bytes!("../../../tests/data/encrypted/members-cryptoapi.xls");
const CRYPTOAPI_DOC: &[u8] = include_bytes!("../../../tests/data/encrypted/members-cryptoapi.doc");
const CRYPTOAPI_40_DOC: &[u8] =
    include_bytes!("../../../tests/data/encrypted/members-cryptoapi-40.doc");

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

fn clear_workbook() -> String {
    let mut clear = String::new();
    let c = Compound::open(CLEAR_XLS).unwrap();
    read_workbook97(&c.stream("Workbook").unwrap(), &mut clear);
    clear
}

#[test]
fn files_encrypted_with_rc4_cryptoapi_open_with_their_password_only() {
    let clear_doc = text(&sealed_word(DOC).open("会員2026!".as_bytes()).unwrap());
    for (file, bits) in [(CRYPTOAPI_DOC, 16), (CRYPTOAPI_40_DOC, 5)] {
        let word = sealed_word(file);
        assert_eq!(
            format!("{word:?}"),
            format!(
                "SealedBinary {{ lock: BinaryLock {{ scheme: CryptoApi {{ key_bytes: {bits} }}, .. }}, .. }}"
            )
        );
        for wrong in ["", "doc-2003!", "Doc-2003", "会員2026!"] {
            assert!(word.open(wrong.as_bytes()).is_none(), "{wrong}");
        }
        assert_eq!(text(&word.open(b"Doc-2003!").unwrap()), clear_doc, "{bits}");
    }
    let workbook = sealed_workbook(CRYPTOAPI_XLS);
    for wrong in ["", "パス2026", "Amg-2026#xl", "VelvetSweatshop"] {
        assert!(workbook.open(wrong.as_bytes()).is_none(), "{wrong}");
    }
    let read = text(&workbook.open("パス2026-xl".as_bytes()).unwrap());
    assert_eq!(read, clear_workbook());
}

#[test]
fn cut_and_corrupted_files_give_what_they_hold_and_never_panic() {
    for (file, password) in [
        (DOC, "会員2026!"),
        (XLS, "Amg-2026#xl"),
        (CRYPTOAPI_DOC, "Doc-2003!"),
        (CRYPTOAPI_XLS, "パス2026-xl"),
    ] {
        let c = Compound::open(file).unwrap();
        let stream = |name: &str| c.stream(name).unwrap_or_default();
        let is_word = c.has_stream("WordDocument");
        let streams = if is_word {
            let (doc, table, data) = word_streams(&c).unwrap();
            vec![doc, table, data]
        } else {
            vec![stream("Workbook")]
        };
        let seal = |s: &[Vec<u8>]| {
            if is_word {
                SealedBinary::word(s[0].clone(), s[1].clone(), s[2].clone())
            } else {
                SealedBinary::workbook(s[0].clone())
            }
        };
        let whole: Vec<Vec<u8>> = match seal(&streams).unwrap().open(password.as_bytes()) {
            Some(Binary::Word { doc, table, data }) => vec![doc, table, data],
            Some(Binary::Workbook(stream)) => vec![stream],
            None => unreachable!(),
        };
        // Each stream cut at many places: no lock, or one that decrypts what is left as the
        // whole file's start (a workbook's record cut short stays clear), and reads in bounds.
        for k in 0..streams.len() {
            let len = streams[k].len();
            for cut in (0..len).step_by(len / 97 + 1) {
                let mut s = streams.clone();
                s[k].truncate(cut);
                if let Some(sealed) = seal(&s)
                    && let Some(open) = sealed.open(password.as_bytes())
                {
                    let _ = text(&open);
                    let opened = match open {
                        Binary::Word { doc, table, data } => vec![doc, table, data],
                        Binary::Workbook(stream) => vec![stream],
                    };
                    assert_eq!(opened[k], whole[k][..cut], "{cut}");
                }
            }
            // A flipped byte flips a byte of the text, or of a record's framing.
            for flip in (0..len).step_by(len / 61 + 1) {
                let mut s = streams.clone();
                s[k][flip] ^= 0x41;
                if let Some(sealed) = seal(&s) {
                    let _ = sealed.open(password.as_bytes()).map(|o| text(&o));
                }
            }
        }
    }
}

#[test]
fn excel_s_default_password_is_tried_on_workbooks_for_free() {
    // A workbook encrypted with `VelvetSweatshop`: the CryptoAPI fixture's key derivation
    // redone for that password (the verifier re-encrypted, the records re-encrypted).
    let sealed = sealed_workbook(CRYPTOAPI_XLS);
    let Binary::Workbook(clear_stream) = sealed.open("パス2026-xl".as_bytes()).unwrap() else {
        unreachable!()
    };
    let (header, header_end) = file_pass(&clear_stream).unwrap();
    let mut lock = BinaryLock::read(header).unwrap();
    let verifier = [7u8; 16];
    let mut check = verifier.to_vec();
    check.extend_from_slice(&<sha1::Sha1 as sha1::Digest>::digest(verifier));
    let mut h = <sha1::Sha1 as sha1::Digest>::new();
    sha1::Digest::update(&mut h, lock.salt);
    let utf16: Vec<u8> = "VelvetSweatshop"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    sha1::Digest::update(&mut h, &utf16);
    let key = BinaryKey {
        scheme: lock.scheme,
        base: sha1::Digest::finalize(h).to_vec(),
    };
    Rc4::new(&key.block_key(0)).apply(&mut check);
    lock.verifier.copy_from_slice(&check[..16]);
    lock.verifier_hash = check[16..].to_vec();
    let resealed = SealedBinary {
        lock,
        streams: Binary::Workbook(clear_stream.clone()),
        header_end,
    };
    // RC4 is its own inverse: "decrypting" the clear stream encrypts it.
    let Binary::Workbook(encrypted) = resealed.open(EXCEL_DEFAULT_PASSWORD).unwrap() else {
        unreachable!()
    };
    let default = SealedBinary {
        streams: Binary::Workbook(encrypted),
        ..resealed
    };
    let Binary::Workbook(opened) = default.open(EXCEL_DEFAULT_PASSWORD).unwrap() else {
        unreachable!()
    };
    assert_eq!(opened, clear_stream);

    // Through the unpacker: no password given, none counted.
    let passwords = crate::unlock::Passwords::default();
    let mut cx = crate::unlock::Unpack::new(1 << 20, &passwords);
    let streams = cx.open_binary(default, 0).expect("the default password");
    assert_eq!(text(&streams), clear_workbook());
    assert_eq!(cx.failed, 0);
}
