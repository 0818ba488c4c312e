//! Table-driven tests of the scan over a small synthetic register.

use std::sync::OnceLock;

use fingerprints::synth::{self, Resident};
use fingerprints::{BundleBuilder, FieldKind, SecretKey};

use super::*;

pub(super) fn fixture() -> &'static (Matcher, Vec<Resident>) {
    static F: OnceLock<(Matcher, Vec<Resident>)> = OnceLock::new();
    F.get_or_init(|| {
        let residents = synth::residents(2_000, 11);
        let m = matcher_of(3, synth::register_rows(&residents));
        (m, residents)
    })
}

/// A matcher for `rows`, under a key of `key` bytes.
fn matcher_of(key: u8, rows: Vec<fingerprints::records::Row>) -> Matcher {
    let mut b = BundleBuilder::new(&SecretKey::from_bytes([key; 32]));
    b.add_rows(rows);
    let (bundle, _) = b.finish().expect("bundle");
    Matcher::new(bundle, MatcherConfig::default()).expect("matcher")
}

/// A matcher for a register of one row ([`row_of`]).
fn matcher_of_row(key: u8, id: &str, fields: &[(FieldKind, &str)]) -> Matcher {
    matcher_of(key, vec![row_of(id, fields)])
}

/// A matcher for a register of the member the file fixtures list first (`tests/data`: the
/// PDF, RTF, encrypted and slide files), as record `id` with all five of her fields.
fn fixture_member(id: &str) -> Matcher {
    matcher_of_row(
        7,
        id,
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::NameKana, "ヤマグチ ダイスケ"),
            (FieldKind::BirthDate, "1968-09-18"),
            (FieldKind::Address, "兵庫県尼崎市東七松町1丁目23番4号"),
            (FieldKind::Phone, "090-6682-8625"),
        ],
    )
}

/// A mail with `file` attached as `content_type` (base64).
fn mail_attaching(content_type: &str, file: &[u8]) -> String {
    format!(
        "From: a@example.jp\nSubject: list\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
         Content-Type: text/plain\n\nsee the file\n--b\n\
         Content-Type: {content_type}\n\
         Content-Transfer-Encoding: base64\n\n{}\n--b--\n",
        fingerprints::leaks::base64(file)
    )
}

/// A register row of record `id` with `fields`, each from a column of its own.
fn row_of(id: &str, fields: &[(FieldKind, &str)]) -> fingerprints::records::Row {
    fingerprints::records::Row {
        line: 2,
        id: id.into(),
        fields: fields
            .iter()
            .enumerate()
            .map(|(i, &(kind, v))| (kind, i, v.to_owned()))
            .collect(),
    }
}

/// Finds the record ref of resident `i`'s finding in `text`.
fn finding_for(text: &str, i: usize) -> Option<Finding> {
    let (m, residents) = fixture();
    let want = m.bundle().hasher().record_ref(&residents[i].id);
    m.scan_text(text).into_iter().find(|f| f.record == want)
}

fn r(i: usize) -> &'static Resident {
    &fixture().1[i]
}

fn kana_hiragana(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            0x30A1..=0x30F6 => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' | '-' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn era(y: u16, m: u8, d: u8) -> String {
    let (name, start) = if (y, m, d) >= (1989, 1, 8) {
        ("平成", 1988)
    } else {
        ("昭和", 1925)
    };
    let ey = y - start;
    if ey == 1 {
        format!("{name}元年{m}月{d}日")
    } else {
        format!("{name}{ey}年{m}月{d}日")
    }
}

fn address_short(x: &Resident) -> String {
    match x.chome {
        Some(c) => format!("{}{}-{}-{}", x.town, c, x.ban, x.go),
        None => format!("{}{}-{}", x.town, x.ban, x.go),
    }
}

#[test]
fn notations_of_one_resident() {
    type Case = (
        &'static str,
        fn(&Resident) -> String,
        Confidence,
        &'static [FieldKind],
    );
    let cases: [Case; 24] = [
        (
            "register row as CSV",
            |x| x.register_row().join(","),
            Confidence::High,
            &[FieldKind::Name, FieldKind::Phone, FieldKind::NationalId],
        ),
        (
            "name without space + era date",
            |x| {
                format!("{}{}さん（{}生まれ）", x.family, x.given, {
                    let (y, m, d) = x.birth;
                    era(y, m, d)
                })
            },
            Confidence::Medium,
            &[FieldKind::Name, FieldKind::BirthDate],
        ),
        (
            "hiragana reading with ideographic space + slash date",
            |x| {
                let (y, m, d) = x.birth;
                format!(
                    "{}　{} {y}/{m}/{d}",
                    kana_hiragana(&x.family_kana),
                    kana_hiragana(&x.given_kana)
                )
            },
            Confidence::Medium,
            &[FieldKind::NameKana, FieldKind::BirthDate],
        ),
        (
            "SQL row, a space after each comma",
            |x| {
                format!(
                    "('{}', '{}', '{}'),",
                    x.family_kana,
                    x.given_kana,
                    x.birth_date_iso()
                )
            },
            Confidence::Medium,
            &[FieldKind::NameKana, FieldKind::BirthDate],
        ),
        (
            "phone with +81 alone",
            |x| format!("call +81-{}", &x.phone[1..]),
            Confidence::Low,
            &[FieldKind::Phone],
        ),
        (
            "phone with the international prefix 00 + name",
            |x| format!("{} TEL 0081-{}", x.family, &x.phone[1..]),
            Confidence::High,
            &[FieldKind::Name, FieldKind::Phone],
        ),
        (
            "phone with 00 81 and (0)",
            |x| format!("tel. 00 81 (0){}", &x.phone[1..]),
            Confidence::Low,
            &[FieldKind::Phone],
        ),
        (
            "phone with hyphens spaced apart + name",
            |x| {
                format!(
                    "{} {} {}",
                    x.family,
                    x.given,
                    x.phone_dashed().replace('-', " - ")
                )
            },
            Confidence::High,
            &[FieldKind::Name, FieldKind::Phone],
        ),
        (
            "phone in parentheses + name",
            |x| {
                format!(
                    "{} {} ({}){}-{}",
                    x.family,
                    x.given,
                    &x.phone[..2],
                    &x.phone[2..6],
                    &x.phone[6..]
                )
            },
            Confidence::High,
            &[FieldKind::Name, FieldKind::Phone],
        ),
        (
            "grouped My Number + full-width",
            |x| {
                let n = &x.national_id;
                full_width(&format!("{}-{}-{}", &n[..4], &n[4..8], &n[8..]))
            },
            Confidence::Low,
            &[FieldKind::NationalId],
        ),
        (
            "bank triple + name",
            |x| {
                format!(
                    "{}\t{}\t{} {} {}",
                    x.name(),
                    x.bank_code,
                    x.branch_code,
                    x.account_type,
                    x.account_number
                )
            },
            Confidence::High,
            &[FieldKind::AccountNumber, FieldKind::Name],
        ),
        (
            "account padded to ten digits + name",
            |x| format!("{}\t口座番号 000{}", x.name(), x.account_number),
            Confidence::High,
            &[FieldKind::AccountNumber, FieldKind::Name],
        ),
        (
            "short address + name",
            |x| format!("{}様 {}", x.name(), address_short(x)),
            Confidence::Medium,
            &[FieldKind::Name, FieldKind::Address],
        ),
        (
            "short address with hyphens spaced apart + name",
            |x| format!("{} {}", x.name(), address_short(x).replace('-', " - ")),
            Confidence::Medium,
            &[FieldKind::Name, FieldKind::Address],
        ),
        (
            "address with a space before each of 丁目, 番, 号 + name",
            |x| {
                let chome = x.chome.map(|c| format!("{c} 丁目 ")).unwrap_or_default();
                format!("{} {}{chome}{} 番 {} 号", x.name(), x.town, x.ban, x.go)
            },
            Confidence::Medium,
            &[FieldKind::Name, FieldKind::Address],
        ),
        (
            "full address with kanji chome + kana",
            |x| {
                let chome = x
                    .chome
                    .map(|c| {
                        format!(
                            "{}丁目",
                            ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
                                [usize::from(c % 10)]
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "〒{} 兵庫県尼崎市{}{}{}番{}号 {}",
                    x.postal_code_dashed(),
                    x.town,
                    chome,
                    x.ban,
                    x.go,
                    x.name_kana()
                )
            },
            Confidence::Medium,
            &[FieldKind::NameKana, FieldKind::Address],
        ),
        (
            "email alone",
            |x| {
                format!(
                    "mailto:{}",
                    x.email.clone().unwrap_or_default().to_uppercase()
                )
            },
            Confidence::Low,
            &[FieldKind::Email],
        ),
        (
            "JSON, the name in two fields (session 21)",
            |x| {
                format!(
                    r#"{{"last_name":"{}","first_name":"{}","dob":"{}"}}"#,
                    x.family,
                    x.given,
                    x.birth_date_iso()
                )
            },
            Confidence::Medium,
            &[FieldKind::Name, FieldKind::BirthDate],
        ),
        (
            "JSON, given name first, spaced, Japanese keys",
            |x| {
                format!(
                    r#"{{"名": "{}", "姓": "{}", "フリガナ": "{} {}", "生年月日": "{}"}}"#,
                    x.given,
                    x.family,
                    x.family_kana,
                    x.given_kana,
                    x.birth_date_iso()
                )
            },
            Confidence::Medium,
            &[FieldKind::Name, FieldKind::NameKana, FieldKind::BirthDate],
        ),
        (
            "JSON, the reading in two fields + town and block in two",
            |x| {
                let chome = x.chome.map(|c| format!("{c}-")).unwrap_or_default();
                format!(
                    r#"{{"sei":"{}","mei":"{}","town":"{}","banchi":"{chome}{}-{}"}}"#,
                    x.family_kana, x.given_kana, x.town, x.ban, x.go
                )
            },
            Confidence::Medium,
            &[FieldKind::NameKana, FieldKind::Address],
        ),
        (
            "web form mail, the name over two labelled lines (session 21)",
            |x| {
                let (y, m, d) = x.birth;
                format!(
                    "【お名前（姓）】{}\n【お名前（名）】{}\n【フリガナ】{}　{}\n【生年月日】{}\n",
                    x.family,
                    x.given,
                    x.family_kana,
                    x.given_kana,
                    era(y, m, d)
                )
            },
            Confidence::Medium,
            &[FieldKind::Name, FieldKind::NameKana, FieldKind::BirthDate],
        ),
        (
            "the reading over two labelled lines, CRLF",
            |x| {
                format!(
                    "セイ: {}\r\nメイ: {}\r\n誕生日: {}\r\n",
                    x.family_kana,
                    x.given_kana,
                    x.birth_date_iso()
                )
            },
            Confidence::Medium,
            &[FieldKind::NameKana, FieldKind::BirthDate],
        ),
        (
            "JSON with English keys",
            |x| {
                format!(
                    r#"{{"name":"{}","dob":"{}","tel":"{}"}}"#,
                    x.name(),
                    x.birth_date_iso(),
                    x.phone
                )
            },
            Confidence::High,
            &[FieldKind::Name, FieldKind::BirthDate, FieldKind::Phone],
        ),
        (
            "family and given in separate JSON fields + account",
            |x| {
                format!(
                    r#"{{"family":"{}","given":"{}","acct":"{}"}}"#,
                    x.family, x.given, x.account_number
                )
            },
            Confidence::High,
            &[FieldKind::Name, FieldKind::AccountNumber],
        ),
    ];
    // Residents with an e-mail address and a chome, so every case applies.
    let idx = (0..fixture().1.len())
        .find(|&i| r(i).email.is_some() && r(i).chome.is_some_and(|c| c < 10))
        .expect("a resident with e-mail and chome");
    let x = r(idx);
    for (what, make, conf, kinds) in cases {
        let text = make(x);
        let f = finding_for(&text, idx).unwrap_or_else(|| panic!("{what}: not found in {text:?}"));
        assert_eq!(f.confidence, conf, "{what}: {text:?} gave {:?}", f.fields);
        for k in kinds {
            assert!(
                f.fields.contains(k),
                "{what}: {k} missing from {:?}",
                f.fields
            );
        }
        for s in &f.spans {
            assert!(
                text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                "{what}"
            );
        }
    }
}

#[test]
fn lookalikes_raise_nothing() {
    let (m, _) = fixture();
    let others = synth::non_residents(200, 11);
    for x in &others {
        let text = format!(
            "{},{},{},{},{}",
            x.phone_dashed(),
            x.national_id,
            x.account_number,
            x.email.clone().unwrap_or_default(),
            x.birth_date_iso()
        );
        let found = m.scan_text(&text);
        assert!(found.is_empty(), "{text:?} gave {found:?}");
    }
    let prose =
        "今日は良い天気です。東京都千代田区1-1-1 電話 03-0000-0000 1999-12-31 test@example.com";
    assert!(m.scan_text(prose).is_empty());
}

#[test]
fn town_inside_a_longer_town_is_not_an_address() {
    let t: Vec<char> = "尼崎市東七松町".chars().collect();
    assert_eq!(t.len(), 7);
    let (m, _) = fixture();
    // Whatever residents live in 七松町, "東七松町" written before the numbers must not be read
    // as their address.
    let xs: Vec<&Resident> = fixture().1.iter().filter(|x| x.town == "七松町").collect();
    for x in xs {
        let text = match x.chome {
            Some(c) => format!("東七松町{}-{}-{}", c, x.ban, x.go),
            None => format!("東七松町{}-{}", x.ban, x.go),
        };
        let want = m.bundle().hasher().record_ref(&x.id);
        assert!(
            !m.scan_text(&text).iter().any(|f| f.record == want),
            "{text}"
        );
    }
}

#[test]
fn documents_are_decoded_and_html_extracted() {
    let (m, _) = fixture();
    let x = r(5);
    let row = format!(
        "<html><body><table><tr><td>{}</td><td>{}</td><td>{}</td></tr></table></body></html>",
        x.name(),
        x.birth_date_iso(),
        x.phone_dashed()
    );
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&row);
    let report = m.scan(&Document::new(&sjis));
    assert_eq!(report.encoding, "Shift_JIS");
    assert_eq!(report.format, TextFormat::Html);
    let want = m.bundle().hasher().record_ref(&x.id);
    let f = report
        .findings
        .iter()
        .find(|f| f.record == want)
        .expect("found");
    assert_eq!(f.confidence, Confidence::High);

    let binary = [0u8, 1, 2, 3, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9];
    let report = m.scan(&Document::new(&binary));
    assert_eq!(report.skipped, Some(crate::SkipReason::Binary));
}

#[test]
fn mail_is_read_with_its_encodings_undone() {
    // A leaked mailbox: the name in an encoded word, the body in base64 or quoted-printable,
    // a customer list attached. Nothing of it is found as written.
    let (m, _) = fixture();
    let x = r(5);
    let b64 = |s: &str| fingerprints::leaks::base64(s.as_bytes());
    let qp = |s: &str| s.bytes().map(|b| format!("={b:02X}")).collect::<String>();
    let body = format!(
        "{}様\n生年月日: {}\n電話: {}\n",
        x.name(),
        x.birth_date_iso(),
        x.phone_dashed()
    );
    let want = m.bundle().hasher().record_ref(&x.id);
    for (encoding, text) in [("base64", b64(&body)), ("quoted-printable", qp(&body))] {
        let mail = format!(
            "From: shop@example.com\r\nTo: =?UTF-8?B?{}?= <x@example.com>\r\nSubject: order\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\
             Content-Transfer-Encoding: {encoding}\r\n\r\n{text}\r\n",
            b64(&x.name())
        );
        let report = m.scan(&Document::new(mail.as_bytes()));
        assert_eq!(report.format, TextFormat::Mail, "{encoding}");
        let f = report.findings.iter().find(|f| f.record == want);
        assert_eq!(
            f.map(|f| f.confidence),
            Some(Confidence::High),
            "{encoding}"
        );
        // Without decoding: nothing but the dashed phone number, not written here.
        assert!(m.scan_text(&mail).is_empty(), "{encoding}");
    }
    // The name in the header alone, with a date in the subject.
    let mail = format!(
        "From: a@example.com\nTo: =?UTF-8?B?{}?= <x@example.com>\nSubject: {}\n\nhello\n",
        b64(&x.name()),
        x.birth_date_iso()
    );
    let report = m.scan(&Document::new(mail.as_bytes()));
    let f = report.findings.iter().find(|f| f.record == want);
    assert_eq!(f.map(|f| f.confidence), Some(Confidence::Medium));
}

#[test]
fn spreadsheets_and_archives_are_read() {
    // A register or customer list published as a spreadsheet, or as CSV in an archive: the
    // birth date a date serial in a date style, the file deflated.
    let (m, _) = fixture();
    let x = r(5);
    let want = m.bundle().hasher().record_ref(&x.id);
    let (y, mo, d) = x.birth;
    let birth = fingerprints::normalize::Date::new(y, mo, d).expect("date");
    let serial = birth.unix_days() + crate::archive::UNIX_EPOCH_SERIAL;
    let book = crate::archive::tests::workbook(&x.name(), serial as u32, &x.phone_dashed());
    let report = m.scan(&Document::new(&book));
    assert_eq!(report.format, TextFormat::Archive);
    let f = report.findings.iter().find(|f| f.record == want);
    assert_eq!(
        f.map(|f| f.confidence),
        Some(Confidence::High),
        "{report:?}"
    );
    assert!(f.unwrap().fields.contains(&FieldKind::BirthDate));
    // The phone number typed without quoting: a number, its leading 0 lost.
    let book =
        crate::archive::tests::workbook(&x.name(), serial as u32, x.phone.trim_start_matches('0'));
    let report = m.scan(&Document::new(&book));
    let f = report.findings.iter().find(|f| f.record == want);
    assert!(
        f.is_some_and(|f| f.fields.contains(&FieldKind::Phone)),
        "{report:?}"
    );
    let csv = format!("{},{}\n", x.name(), x.birth_date_iso());
    let archive = crate::archive::tests::zip(&[("leak/customers.csv", csv.as_bytes())], false);
    // The same CSV in a ZIP or 7z archive, in a `.tar.gz`, and compressed alone
    // (`customers.csv.gz`).
    let tar = crate::archive::tests::tar(&[("leak/customers.csv", b'0', csv.as_bytes())]);
    let gz = crate::archive::tests::gzip;
    // A 7z archive, whole and cut before its header (at its end), as a size cap cuts one.
    let seven = fingerprints::leaks::seven_zip(&[("leak/customers.csv", csv.as_bytes())]);
    let cut = seven[..seven.len() - 1].to_vec();
    for (form, archive) in [
        ("zip", archive),
        ("7z", seven),
        ("7z cut", cut),
        ("tar.gz", gz(&tar)),
        ("tar", tar),
        ("gz", gz(csv.as_bytes())),
        // A Word document's table, the name split into runs as Word writes them.
        (
            "docx",
            crate::archive::tests::docx(&format!(
                "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>{}</w:t></w:r><w:proofErr w:type=\"spellStart\"/>\
                 <w:r><w:t xml:space=\"preserve\"> {}</w:t></w:r></w:p></w:tc>\
                 <w:tc><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc></w:tr></w:tbl>",
                x.family,
                x.given,
                x.birth_date_iso()
            )),
        ),
        // A Word 97 document's table, and a PowerPoint 97 slide's (a shape a cell).
        (
            "doc",
            crate::doc::tests::word(&fingerprints::leaks::word97_table(&[
                &["氏名", "生年月日"],
                &[&x.name(), &x.birth_date_iso()],
            ])),
        ),
        // A PDF file's table row, plain and with an object stream.
        (
            "pdf",
            fingerprints::leaks::pdf_file(
                &[
                    "氏名\t生年月日",
                    &format!("{}\t{}", x.name(), x.birth_date_iso()),
                ],
                false,
            ),
        ),
        (
            "packed pdf",
            fingerprints::leaks::pdf_file(&[&x.name(), &x.birth_date_iso()], true),
        ),
        (
            "ppt",
            fingerprints::leaks::compound_file(&[fingerprints::leaks::CompoundNode::Stream(
                "PowerPoint Document",
                &[x.name(), x.birth_date_iso()]
                    .iter()
                    .flat_map(|t| {
                        let body: Vec<u8> = t.encode_utf16().flat_map(u16::to_le_bytes).collect();
                        let mut r = vec![0, 0, 0xA0, 0x0F];
                        r.extend((body.len() as u32).to_le_bytes());
                        r.extend(body);
                        r
                    })
                    .collect::<Vec<u8>>(),
            )]),
        ),
    ] {
        let report = m.scan(&Document::new(&archive));
        assert_eq!(report.format, TextFormat::Archive, "{form}");
        assert!(!report.truncated, "{form}");
        let f = report.findings.iter().find(|f| f.record == want);
        assert_eq!(
            f.map(|f| f.confidence),
            Some(Confidence::Medium),
            "{form}: {report:?}"
        );
    }
    // An Outlook message: the name in its body, the date in an attached CSV; a Word 97
    // document attached to another.
    let doc = crate::doc::tests::word(&format!("{}\r{}\r", x.name(), x.birth_date_iso()));
    for (form, msg) in [
        (
            "msg",
            crate::msg::tests::message(
                "名簿",
                &format!("{} 様", x.name()),
                false,
                &[(
                    "list.csv",
                    format!("生年月日\n{}\n", x.birth_date_iso()).as_bytes(),
                )],
            ),
        ),
        (
            "msg with doc",
            crate::msg::tests::message("名簿", "添付", false, &[("list.doc", &doc)]),
        ),
    ] {
        let report = m.scan(&Document::new(&msg));
        assert_eq!(report.format, TextFormat::Mail, "{form}");
        let f = report.findings.iter().find(|f| f.record == want);
        assert_eq!(
            f.map(|f| f.confidence),
            Some(Confidence::Medium),
            "{form}: {report:?}"
        );
    }
    // A web app's SQLite database (Django keeps its users in `db.sqlite3`), alone and in a
    // site's backup.
    let db = crate::sqlite::tests::database(
        &format!(
            "CREATE TABLE auth_user (id INTEGER PRIMARY KEY, username TEXT, last_name TEXT, \
             first_name TEXT, birthday TEXT, email TEXT);
             INSERT INTO auth_user VALUES (7, 'u7', '{}', '{}', '{}', 'u7@example.com');",
            x.family,
            x.given,
            x.birth_date_iso()
        ),
        4096,
    );
    let backup = crate::archive::tests::gzip(&crate::archive::tests::tar(&[(
        "site/db.sqlite3",
        b'0',
        &db,
    )]));
    for (form, bytes, format) in [
        ("sqlite", db.clone(), TextFormat::Database),
        ("sqlite in tar.gz", backup, TextFormat::Archive),
    ] {
        let report = m.scan(&Document::new(&bytes));
        assert_eq!(report.format, format, "{form}");
        let f = report.findings.iter().find(|f| f.record == want);
        assert_eq!(
            f.map(|f| f.confidence),
            Some(Confidence::Medium),
            "{form}: {report:?}"
        );
    }
}

#[test]
fn cap_truncates() {
    let (m, _) = fixture();
    let with_cap = |max_document_bytes| {
        let cfg = MatcherConfig {
            max_document_bytes,
            ..MatcherConfig::default()
        };
        Matcher::new(
            fingerprints::Bundle::from_bytes(
                &m.bundle()
                    .to_bytes(&SecretKey::from_bytes([3; 32]))
                    .expect("encode"),
                &SecretKey::from_bytes([3; 32]),
            )
            .expect("decode"),
            cfg,
        )
        .expect("matcher")
    };
    let small = with_cap(10);
    let report = small.scan(&Document::new(r(1).register_row().join(",").as_bytes()));
    assert!(report.truncated);
    assert!(report.findings.is_empty());
    // A compressed file within the cap that inflates beyond it is truncated too.
    let bomb = crate::archive::tests::gzip(&[b'a'; 10_000]);
    assert!(bomb.len() < 64, "{}", bomb.len());
    let report = with_cap(64).scan(&Document::new(&bomb));
    assert!(report.truncated && report.skipped.is_none(), "{report:?}");
    let report = with_cap(64).scan(&Document::new(&crate::archive::tests::gzip(b"a,b\n")));
    assert!(!report.truncated, "{report:?}");
}

#[test]
fn confidence_rules() {
    use FieldKind::*;
    let cases: [(&[FieldKind], Option<Confidence>); 9] = [
        (&[Phone], Some(Confidence::Low)),
        (&[Name], Some(Confidence::Low)),
        (&[BirthDate], None),
        (&[Name, NameKana], Some(Confidence::Low)),
        (&[Name, BirthDate], Some(Confidence::Medium)),
        (&[Name, PostalCode], Some(Confidence::Low)),
        (&[Phone, BirthDate], Some(Confidence::High)),
        (&[Name, BirthDate, Address], Some(Confidence::High)),
        (&[Phone, AccountNumber], Some(Confidence::High)),
    ];
    for (kinds, want) in cases {
        let set = kinds.iter().copied().collect();
        assert_eq!(corroborate::confidence(&set), want, "{kinds:?}");
    }
}

#[test]
fn min_confidence_builds_fewer_findings_and_counts_the_same() {
    let residents = synth::residents(2_000, 11);
    let open = |min: Confidence| {
        let mut b = BundleBuilder::new(&SecretKey::from_bytes([3; 32]));
        b.add_rows(synth::register_rows(&residents));
        let (bundle, _) = b.finish().expect("bundle");
        Matcher::new(bundle, MatcherConfig::default())
            .expect("matcher")
            .with_min_confidence(min)
    };
    let (all, medium, high) = (
        open(Confidence::Low),
        open(Confidence::Medium),
        open(Confidence::High),
    );
    // Each resident twice, far apart: a phone with the name (high) for even ones; the phone
    // alone (low) for odd ones, then once more with the name for every third.
    let filler = "lorem ipsum ".repeat(40);
    let mut text = String::new();
    for (i, x) in residents.iter().take(12).enumerate() {
        let with_name = format!("{} {} {}\n{filler}\n", x.family, x.given, x.phone_dashed());
        let alone = format!("call {}\n{filler}\n", x.phone_dashed());
        text.push_str(if i % 2 == 0 { &with_name } else { &alone });
        text.push_str(if i % 3 == 0 { &with_name } else { &alone });
    }
    let doc = Document::new(text.as_bytes());
    let reports = [all.scan(&doc), medium.scan(&doc), high.scan(&doc)];
    let lows = reports[0].at_least(Confidence::Low).count();
    assert!(reports[0].at_least(Confidence::Medium).count() < lows);
    assert!(
        reports[0]
            .findings
            .iter()
            .filter(|f| f.fields.contains(&FieldKind::Phone))
            .all(|f| f.occurrences == 2)
    );
    for (report, min) in reports
        .iter()
        .zip([Confidence::Low, Confidence::Medium, Confidence::High])
    {
        let want: Vec<&Finding> = reports[0].at_least(min).collect();
        let got: Vec<&Finding> = report.findings.iter().collect();
        assert_eq!(got, want, "at least {min:?}");
        // Namesakes of a resident named next to a phone count too.
        assert_eq!(report.records, reports[0].records, "at least {min:?}");
        assert!(report.records >= 12, "at least {min:?}");
    }
}

#[test]
fn per_thread_caches_belong_to_one_matcher() {
    // Two matchers of the same register under different keys, alternating on one thread: the
    // token ids and fingerprints one cached must never answer for the other.
    let residents = synth::residents(300, 5);
    let open = |key: u8| matcher_of(key, synth::register_rows(&residents));
    let (a, b) = (open(21), open(22));
    let text: String = residents
        .iter()
        .take(20)
        // Given name before family name: no full-name hit, so the name is found token by
        // token around the phone (the cached name-token fingerprints).
        .map(|x| format!("{}: {} / {}\n", x.phone_dashed(), x.given, x.family))
        .collect();
    let refs = |m: &Matcher| {
        let mut v: Vec<String> = m
            .scan_text(&text)
            .iter()
            .filter(|f| f.fields.contains(&FieldKind::Name))
            .map(|f| f.record.to_string())
            .collect();
        v.sort();
        v
    };
    let (first_a, first_b) = (refs(&a), refs(&b));
    assert!(first_a.len() >= 15, "{}", first_a.len());
    assert_eq!(first_a.len(), first_b.len());
    assert_ne!(first_a, first_b, "other key, other references");
    for _ in 0..2 {
        assert_eq!(refs(&a), first_a);
        assert_eq!(refs(&b), first_b);
    }
}

/// A dump of namesakes (a name shared by more records than a "narrow" hit names): in a block
/// of table rows, the records of the name that can still be reported are kept (born on the
/// row's date, or named by a narrow hit of the block) and the others dropped before grouping.
/// The findings must be those of the rules: name + birth date is medium, name + phone high,
/// the name with someone else's date nothing; and the same rows inside prose (where the drop
/// does not apply) give the same findings.
#[test]
fn namesakes_in_a_dump_are_found_by_their_own_date_or_phone() {
    let base = synth::residents(40, 23);
    let namesakes: Vec<Resident> = (0..12u8)
        .map(|i| {
            let mut x = base[usize::from(i)].clone();
            x.family.clone_from(&base[0].family);
            x.given.clone_from(&base[0].given);
            x.family_kana.clone_from(&base[0].family_kana);
            x.given_kana.clone_from(&base[0].given_kana);
            x.birth = (1950 + u16::from(i), 1 + i % 12, 1 + i);
            x
        })
        .collect();
    let m = matcher_of(5, synth::register_rows(&namesakes));
    let reference = |x: &Resident| m.bundle().hasher().record_ref(&x.id);
    let name = format!("{} {}", namesakes[0].family, namesakes[0].given);
    let rows = [
        format!("{name},{},x,y", namesakes[3].birth_date_iso()),
        format!("{name},{},x,y", namesakes[5].phone_dashed()),
        format!("{name},1900-01-01,x,y"),
    ];
    for text in [
        format!("氏名,生年月日,a,b\n{}\n", rows.join("\n")),
        format!(
            "ある日の記録。\n{}\nおわり。",
            rows.join(&format!("\n{}\n", "。".repeat(400)))
        ),
    ] {
        let found = m.scan_text(&text);
        let by = |x: &Resident| found.iter().find(|f| f.record == reference(x));
        let three = by(&namesakes[3]).expect("born on the row's date");
        assert_eq!(three.confidence, Confidence::Medium, "{text}");
        assert!(three.fields.contains(&FieldKind::Name));
        assert!(three.fields.contains(&FieldKind::BirthDate));
        let five = by(&namesakes[5]).expect("named with the phone");
        assert_eq!(five.confidence, Confidence::High, "{text}");
        assert!(five.fields.contains(&FieldKind::Phone));
        // The name is the namesakes' hit (one span over family and given name), not two name
        // tokens looked up around the phone.
        let names: Vec<_> = five
            .spans
            .iter()
            .filter(|s| s.kind == FieldKind::Name)
            .collect();
        assert_eq!(names.len(), 1, "{five:?}");
        assert_eq!(&text[names[0].start..names[0].end], name);
        for (i, x) in namesakes.iter().enumerate() {
            if i != 3 && i != 5 {
                assert!(
                    by(x).is_none_or(|f| f.confidence < Confidence::Medium),
                    "{i}: {:?}",
                    by(x)
                );
            }
        }
    }
}

#[test]
fn recycle_keeps_the_allocation() {
    let hits: Vec<Hit<'static>> = Vec::with_capacity(100);
    let ptr = hits.as_ptr() as usize;
    let records = vec![7u32];
    let mut mine: Vec<Hit<'_>> = recycle(hits);
    assert!(mine.capacity() >= 100);
    assert_eq!(mine.as_ptr() as usize, ptr);
    mine.push(Hit {
        kind: FieldKind::Phone,
        start: 0,
        end: 1,
        records: &records,
        latin: false,
    });
    let back: Vec<Hit<'static>> = recycle(mine);
    assert!(back.is_empty() && back.capacity() >= 100);
    assert_eq!(back.as_ptr() as usize, ptr);
}

#[test]
fn ascii_classes_answer_like_the_tests_they_replace() {
    // A register with Latin-letter name tokens and the usual
    // Japanese ones: pass 1's class of each ASCII character is the answer of its three tests.
    let m = matcher_of_row(
        9,
        "L-1",
        &[
            (FieldKind::Name, "Xavier Quinn"),
            (FieldKind::Address, "尼崎市東七松町1-23-4 Zed Heights"),
        ],
    );
    let index = &m.index;
    for u in 0u8..128 {
        let c = char::from(u);
        let want = if c.is_ascii_digit() {
            crate::index::ASCII_DIGIT
        } else if c == '@' {
            crate::index::ASCII_AT
        } else if index.may_start(c) && !fingerprints::normalize::is_token_separator(c) {
            3
        } else {
            0
        };
        assert_eq!(index.ascii_class(u), want, "{c:?}");
    }
    for c in ['x', 'q'] {
        assert_eq!(index.ascii_class(c as u8), 3, "{c:?} starts a token");
    }
}

/// `s` with its first letter upper-case (`Sato`), or all of it (`SATO`).
fn capital(s: &str, all: bool) -> String {
    if all {
        return s.to_ascii_uppercase();
    }
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

#[test]
fn names_in_latin_letters_are_found_as_readings() {
    use fingerprints::normalize::romaji::from_katakana;
    let mut missed = Vec::new();
    for i in 0..60 {
        let x = r(i);
        let (Some(family), Some(given)) =
            (from_katakana(&x.family_kana), from_katakana(&x.given_kana))
        else {
            panic!("resident {i}: readings romanize");
        };
        // Passport style drops the u of a long o; some write it oh.
        let passport = |s: &str| s.replace("ou", "o").replace("uu", "u");
        let (y, mo, d) = x.birth;
        let text = match i % 6 {
            0 => format!(
                "Name: {} {}\nDOB: {}\n",
                capital(&family, true),
                capital(&given, false),
                x.birth_date_iso()
            ),
            1 => format!(
                "{} {}, born {y}/{mo}/{d}, was in the list.",
                capital(&passport(&given), false),
                capital(&passport(&family), false)
            ),
            2 => format!(
                "{},{},{y}-{mo:02}-{d:02}\n",
                capital(&family.replace("ou", "oh"), true),
                capital(&given, true)
            ),
            3 => format!(
                "{} {} ({y}.{mo}.{d})",
                capital(&given.replace("shi", "si").replace("chi", "ti"), false),
                capital(&family, false)
            ),
            // An ideographic space between the words (in a block that is not all ASCII, where
            // each word is a run of ASCII of its own).
            4 => format!(
                "{}　{}　{}\n",
                capital(&family, i % 12 == 4),
                capital(&given, false),
                x.birth_date_iso()
            ),
            // In Japanese text (a block that is not all ASCII).
            _ => format!(
                "会員：{} {}様、生年月日{y}年{mo}月{d}日。",
                capital(&family, true),
                capital(&given, false)
            ),
        };
        match finding_for(&text, i) {
            Some(f)
                if f.confidence >= Confidence::Medium
                    && f.fields.contains(&FieldKind::NameKana)
                    && f.fields.contains(&FieldKind::BirthDate) => {}
            other => missed.push((i, other.map(|f| (f.confidence, f.fields)))),
        }
    }
    assert!(missed.is_empty(), "missed: {missed:?}");
}

#[test]
fn names_in_latin_letters_are_found_in_cells_in_any_case_and_in_full_width() {
    use fingerprints::normalize::romaji::from_katakana;
    type Case = (&'static str, fn(&str, &str, &str) -> String);
    let cases: [Case; 24] = [
        ("lower-case cell", |f, g, d| format!("{f} {g},{d}\n")),
        // One word each in two JSON fields named for the name's parts (session 23).
        ("lower-case JSON fields", |f, g, d| {
            format!("{{\"last_name\":\"{f}\",\"first_name\":\"{g}\",\"dob\":\"{d}\"}}\n")
        }),
        (
            "lower-case JSON fields, given name first, camel case",
            |f, g, d| {
                format!(
                    "{{\"id\": 7, \"firstName\": \"{g}\", \"lastName\": \"{f}\", \"birthday\": \"{d}\"}}\n"
                )
            },
        ),
        ("lower-case JSON fields, Japanese keys", |f, g, d| {
            format!("{{\"姓\": \"{f}\", \"名\": \"{g}\", \"生年月日\": \"{d}\"}}\n")
        }),
        // Over labelled lines, as English-language forms write them (session 21).
        ("labelled lines", |f, g, d| {
            format!(
                "Last name: {}\nFirst name: {}\nDate of birth: {d}\n",
                capital(f, false),
                capital(g, false)
            )
        }),
        ("labelled lines, lower case, CRLF", |f, g, d| {
            format!("sei: {f}\r\nmei: {g}\r\nbirthday: {d}\r\n")
        }),
        // In blocks that are not all ASCII too (session 21): Japanese column names or keys.
        ("lower-case cell under a Japanese header", |f, g, d| {
            format!("氏名,生年月日\n{f} {g},{d}\n")
        }),
        (
            "lower-case cell first in a block not all ASCII",
            |f, g, d| format!("{f} {g},{d},尼崎市\n"),
        ),
        ("lower-case JSON value, Japanese keys", |f, g, d| {
            format!("{{\"氏名\": \"{f} {g}\", \"生年月日\": \"{d}\"}}\n")
        }),
        ("lower-case SQL, Japanese table", |f, g, d| {
            format!("INSERT INTO 住民 VALUES ('{f}', '{g}', '{d}');\n")
        }),
        ("lower-case cells", |f, g, d| format!("id,{f},{g},{d}\n")),
        ("lower case, given name first, tab", |f, g, d| {
            format!("1\t{g} {f}\t{d}\n")
        }),
        ("lower-case JSON value", |f, g, d| {
            format!("{{\"dob\": \"{d}\", \"name\": \"{g} {f}\"}}\n")
        }),
        ("lower-case SQL", |f, g, d| {
            format!("('{f}', '{g}', '{d}'),\n")
        }),
        ("lower case then capitalized", |f, g, d| {
            format!("\"{f} {}\",\"{d}\"\n", capital(g, false))
        }),
        ("quoted cells", |f, g, d| {
            format!(
                "\"{}\",\"{}\",\"{d}\"\n",
                capital(f, true),
                capital(g, false)
            )
        }),
        ("quoted cells, spaced", |f, g, d| {
            format!(
                "[\"{}\", \"{}\", \"{d}\"]\n",
                capital(f, true),
                capital(g, false)
            )
        }),
        ("quoted cells, given name first", |f, g, d| {
            format!(
                "\"{}\",\"{}\",\"{d}\"\n",
                capital(g, false),
                capital(f, false)
            )
        }),
        ("SQL", |f, g, d| {
            format!("('{}','{}','{d}'),\n", capital(f, false), capital(g, false))
        }),
        // Two values of a JSON object, either order (session 23).
        ("JSON fields, given name first", |f, g, d| {
            format!(
                "{{\"first_name\":\"{}\",\"last_name\":\"{}\",\"dob\":\"{d}\"}}\n",
                capital(g, false),
                capital(f, false)
            )
        }),
        ("JSON fields, spaced", |f, g, d| {
            format!(
                "{{\"last_name\": \"{}\", \"first_name\": \"{}\", \"dob\": \"{d}\"}}\n",
                capital(f, true),
                capital(g, false)
            )
        }),
        ("one quoted cell", |f, g, d| {
            format!("\"{} {}\",\"{d}\"\n", capital(f, true), capital(g, false))
        }),
        ("full width", |f, g, d| {
            format!(
                "{}　{}　{d}\n",
                fingerprints::leaks::full_width_text(&capital(f, true)),
                fingerprints::leaks::full_width_text(&capital(g, false))
            )
        }),
        ("full width in Japanese text", |f, g, d| {
            format!(
                "会員：{} {}様、生年月日{d}。",
                fingerprints::leaks::full_width_text(&capital(f, false)),
                fingerprints::leaks::full_width_text(&capital(g, false))
            )
        }),
    ];
    let mut missed = Vec::new();
    for i in 0..30 {
        let x = r(i);
        let (Some(family), Some(given)) =
            (from_katakana(&x.family_kana), from_katakana(&x.given_kana))
        else {
            panic!("resident {i}: readings romanize");
        };
        for (what, text) in &cases {
            match finding_for(&text(&family, &given, &x.birth_date_iso()), i) {
                Some(f)
                    if f.confidence >= Confidence::Medium
                        && f.fields.contains(&FieldKind::NameKana)
                        && f.fields.contains(&FieldKind::BirthDate) => {}
                other => missed.push((i, what, other.map(|f| (f.confidence, f.fields)))),
            }
        }
    }
    assert!(missed.is_empty(), "missed: {missed:?}");
}

#[test]
fn words_in_latin_letters_that_are_no_name() {
    use fingerprints::normalize::romaji::from_katakana;
    let (m, _) = fixture();
    let x = r(0);
    let f = from_katakana(&x.family_kana).expect("romanizes");
    let g = from_katakana(&x.given_kana).expect("romanizes");
    let (cf, cg) = (capital(&f, false), capital(&g, false));
    let d = x.birth_date_iso();
    for text in [
        // Lower case outside a cell (a name is capitalized), and letters glued to other
        // letters or digits.
        format!("{f} {g} {d}"),
        format!("X{f} {g} {d}"),
        format!("9{cf} {cg} {d}"),
        // A quote alone is no gap (`O'Brien`); a gap of five.
        format!("{cf}'{cg} {d}\n"),
        format!("{cf}\"{cg}\" {d}\n"),
        format!("\"{cf}\" , \"{cg}\",{d}\n"),
        // Lower case in a cell: more words in it, a word glued on, a line break between the
        // words, a colon with no key before it.
        format!("id,{f} {g} was here,{d}\n"),
        format!("id,said {f} {g},{d}\n"),
        format!("id,{f} {g}2,{d}\n"),
        format!("id,{f}\n{g},{d}\n"),
        format!("note: {f} {g}, {d}\n"),
        // One lower-case word each in JSON fields not named for a name's parts.
        format!("{{\"user\":\"{f}\",\"nickname\":\"{g}\",\"dob\":\"{d}\"}}\n"),
        format!("{{\"username\": \"{f}\", \"name\": \"{g}\", \"dob\": \"{d}\"}}\n"),
    ] {
        let found = m.scan_text(&text);
        assert!(
            found
                .iter()
                .all(|f| !f.fields.contains(&FieldKind::NameKana)),
            "{text:?}: {found:?}"
        );
    }
}

/// The fixture's register with names and readings stored without a space (`山田太郎`,
/// `ヤマダタロウ`): each is one token of the bundle.
fn unspaced_fixture() -> &'static Matcher {
    static F: OnceLock<Matcher> = OnceLock::new();
    F.get_or_init(|| {
        let mut rows = synth::register_rows(&fixture().1);
        rows.iter_mut().for_each(synth::without_name_spaces);
        matcher_of(3, rows)
    })
}

#[test]
fn names_stored_without_a_space_are_found_written_with_one() {
    let m = unspaced_fixture();
    type Case = (&'static str, fn(&Resident) -> String);
    let names: [Case; 5] = [
        ("space", |x| format!("{} {}", x.family, x.given)),
        ("ideographic space", |x| {
            format!("{}　{}", x.family, x.given)
        }),
        ("joined", |x| format!("{}{}", x.family, x.given)),
        // Session 21: fields of a JSON object, labelled lines.
        ("JSON fields", |x| {
            // A row: its date in it.
            format!(
                r#"{{"last_name":"{}", "first_name": "{}", "dob": "{}"}}"#,
                x.family,
                x.given,
                x.birth_date_iso()
            )
        }),
        ("labelled lines", |x| {
            format!("{}\n名: {}", x.family, x.given)
        }),
    ];
    let readings: [Case; 5] = [
        ("labelled lines", |x| {
            format!("{}\r\nメイ：{}", x.family_kana, x.given_kana)
        }),
        ("reading", |x| format!("{} {}", x.family_kana, x.given_kana)),
        ("hiragana reading", |x| {
            kana_hiragana(&format!("{}　{}", x.family_kana, x.given_kana))
        }),
        ("half-width reading", |x| {
            fingerprints::leaks::half_width_kana(&format!("{} {}", x.family_kana, x.given_kana))
        }),
        ("row", |x| {
            format!("{} {},{}", x.family_kana, x.given_kana, x.address())
        }),
    ];
    let cases = names
        .iter()
        .map(|c| (c, FieldKind::Name))
        .chain(readings.iter().map(|c| (c, FieldKind::NameKana)));
    let mut missed = Vec::new();
    for i in 0..40 {
        let x = r(i);
        let want = m.bundle().hasher().record_ref(&x.id);
        for ((what, name), kind) in cases.clone() {
            let text = format!("氏名: {}\n生年月日: {}\n", name(x), x.birth_date_iso());
            let text = if *what == "row" {
                format!("{},{}\n", name(x), x.birth_date_iso())
            } else {
                text
            };
            let found = m.scan_text(&text).into_iter().find(|f| f.record == want);
            match found {
                Some(f) if f.confidence >= Confidence::Medium && f.fields.contains(&kind) => {}
                other => missed.push((i, what, other.map(|f| (f.confidence, f.fields)))),
            }
        }
    }
    assert!(missed.is_empty(), "missed: {missed:?}");
}

#[test]
fn a_gap_is_stepped_over_once_and_only_inside_a_row() {
    let m = unspaced_fixture();
    let x = r(0);
    let want = m.bundle().hasher().record_ref(&x.id);
    let date = x.birth_date_iso();
    let mut chars = x.given.chars();
    let (first, rest) = (chars.next().expect("a given name"), chars.as_str());
    assert!(
        !rest.is_empty(),
        "resident 0 has a given name of two characters or more"
    );
    let is_name = |text: &str| {
        m.scan_text(text)
            .iter()
            .any(|f| f.record == want && f.fields.contains(&FieldKind::Name))
    };
    // Cells of a row, as the walk steps over them between the tokens of a name stored with a
    // space.
    for text in [
        format!("{}  {},{date}", x.family, x.given),
        format!("{},{},{date}\n", x.family, x.given),
        format!("\"{}\",\"{}\",\"{date}\"\n", x.family, x.given),
        format!("('{}','{}','{date}'),\n", x.family, x.given),
        format!("('{}', '{}', '{date}'),\n", x.family, x.given),
        // Two fields of a form post (`name01=…&name02=…`).
        format!("name01={}&name02={}&birth={date}\n", x.family, x.given),
    ] {
        assert!(is_name(&text), "{text:?}");
    }
    for text in [
        // A line break, a gap of four: two words, not one name.
        format!("{}\n{} {date}", x.family, x.given),
        format!("{} ,  {} {date}", x.family, x.given),
        // Two gaps inside one name.
        format!("{} {} {rest} {date}", x.family, first),
        // A `&` without a field's key after it.
        format!("{}&{} {date}", x.family, x.given),
    ] {
        assert!(!is_name(&text), "{text:?}");
    }
}

#[test]
fn readings_stored_without_a_space_are_found_in_latin_letters() {
    use fingerprints::normalize::romaji::from_katakana;
    let m = unspaced_fixture();
    let mut missed = Vec::new();
    for i in 0..40 {
        let x = r(i);
        let (Some(family), Some(given)) =
            (from_katakana(&x.family_kana), from_katakana(&x.given_kana))
        else {
            panic!("resident {i}: readings romanize");
        };
        let text = match i % 3 {
            0 => format!(
                "Name: {} {}\nDOB: {}\n",
                capital(&family, true),
                capital(&given, false),
                x.birth_date_iso()
            ),
            1 => format!(
                "{} {} ({})",
                capital(&given, false),
                capital(&family, false),
                x.birth_date_iso()
            ),
            _ => format!(
                "{}, {},{}\n",
                capital(&family, true),
                capital(&given, true),
                x.birth_date_iso()
            ),
        };
        let want = m.bundle().hasher().record_ref(&x.id);
        match m.scan_text(&text).into_iter().find(|f| f.record == want) {
            Some(f)
                if f.confidence >= Confidence::Medium
                    && f.fields.contains(&FieldKind::NameKana) => {}
            other => missed.push((i, other.map(|f| (f.confidence, f.fields)))),
        }
    }
    assert!(missed.is_empty(), "missed: {missed:?}");
}

#[test]
fn a_long_o_written_oh_ends_the_first_word_of_a_joined_reading() {
    // `Tohjoh Yuuna` looked up as one word for the register's トウジョウユウナ: read whole,
    // `ohy` would be ひゅ.
    let m = matcher_of_row(
        5,
        "T-1",
        &[
            (FieldKind::Name, "東條優奈"),
            (FieldKind::NameKana, "トウジョウユウナ"),
            (FieldKind::BirthDate, "2003-07-24"),
        ],
    );
    for text in [
        "TOHJOH Yuuna, born 2003.07.24\n",
        "Yuuna Tohjoh, born 2003.07.24\n",
        "TOJO Yuna, born 2003.07.24\n",
    ] {
        let found = m.scan_text(text);
        assert!(
            found
                .iter()
                .any(|f| f.confidence >= Confidence::Medium
                    && f.fields.contains(&FieldKind::NameKana)),
            "{text:?}: {found:?}"
        );
    }
}

#[test]
fn tokens_of_other_peoples_names_are_not_a_name_written_apart() {
    // 坂本 舞 lives at the address of the third line; the first two lines are other people
    // whose names hold her given and her family name.
    let row = |id: &str, name: &str, address: &str| {
        row_of(
            id,
            &[
                (FieldKind::Name, name),
                (FieldKind::Address, address),
                (FieldKind::BirthDate, "1980-01-02"),
            ],
        )
    };
    let m = matcher_of(
        6,
        vec![
            row("R-1", "坂本 舞", "兵庫県尼崎市東難波町2丁目39番3号"),
            row("R-2", "伊藤 舞", "兵庫県尼崎市七松町1丁目1番1号"),
            row("R-3", "坂本 浩之", "兵庫県尼崎市七松町1丁目1番2号"),
        ],
    );
    let want = m.bundle().hasher().record_ref("R-1");
    let her = |text: &str| {
        m.scan_text(text)
            .into_iter()
            .find(|f| f.record == want)
            .map(|f| f.confidence)
    };
    let others = "顧客：伊藤 舞様、電話番号は未登録。\n坂本 浩之さんは今日来ました。\n\
                  松田 亮さんは兵庫県尼崎市東難波町2丁目39番3号に住んでいます。\n";
    assert_eq!(her(others), Some(Confidence::Low), "{others}");
    // Lines of a listing whose people are in no record: each line's date is its own person's.
    let listing = "松田 亮さんは兵庫県尼崎市東難波町2丁目39番3号に住んでいます。\n\
                   坂本 和夫、1969/7/27生。\n石田舞、昭和20年8月21日生。\n";
    assert_eq!(her(listing), Some(Confidence::Low), "{listing}");
    // Her own name written apart next to the address is still her name.
    let apart = "名：舞\n姓：坂本\n住所：兵庫県尼崎市東難波町2丁目39番3号\n";
    assert_eq!(her(apart), Some(Confidence::Medium), "{apart}");
    // An address over two numbered labelled lines, as forms have `住所1` and `住所2` fields.
    for split in [
        "氏名：坂本 舞\n住所1：兵庫県尼崎市東難波町\n住所2：2丁目39番3号\n",
        "name: 坂本 舞\naddress 1: 尼崎市東難波町\naddress 2: 2-39-3 サンハイツ101\n",
    ] {
        assert_eq!(her(split), Some(Confidence::Medium), "{split}");
    }
    // A time is no label: the town and the numbers after it are two values.
    let timed = "坂本 舞 尼崎市東難波町\n12:2-39-3\n";
    assert_eq!(her(timed), Some(Confidence::Low), "{timed}");
}

/// The fixture's residents in a register that keeps family and given names, their readings
/// and the address in separate columns, read the way `fingerprint build` reads it.
fn split_columns_fixture() -> &'static Matcher {
    static F: OnceLock<Matcher> = OnceLock::new();
    F.get_or_init(|| {
        use fingerprints::Schema;
        use fingerprints::records::{ReadOptions, read_register_from};
        let schema = Schema::from_toml(synth::PARTS_SCHEMA_TOML).expect("schema");
        let csv = synth::parts_register_csv(&fixture().1);
        let mut rows = Vec::new();
        read_register_from(csv.as_bytes(), &schema, ReadOptions::default(), &mut |r| {
            rows.push(r.expect("row"));
        })
        .expect("register");
        matcher_of(3, rows)
    })
}

#[test]
fn names_and_addresses_kept_in_parts_are_whole_values() {
    let m = split_columns_fixture();
    let mut wrong = Vec::new();
    for i in 0..30 {
        let x = r(i);
        let want = m.bundle().hasher().record_ref(&x.id);
        let date = x.birth_date_iso();
        let cases = [
            (
                format!("{} {} {date}", x.family, x.given),
                FieldKind::Name,
                true,
            ),
            (
                format!("{}{} {date}", x.family_kana, x.given_kana),
                FieldKind::NameKana,
                true,
            ),
            (
                format!("{}{} {}", x.family, x.given, address_short(x)),
                FieldKind::Address,
                true,
            ),
            // The family name alone is no name: someone else of that family born the same
            // day is not this resident.
            (format!("{} 某子 {date}", x.family), FieldKind::Name, false),
        ];
        for (text, kind, found) in cases {
            let f = m.scan_text(&text).into_iter().find(|f| f.record == want);
            let ok = match &f {
                Some(f) => {
                    found && f.confidence >= Confidence::Medium && f.fields.contains(&kind)
                        || !found && f.confidence < Confidence::Medium
                }
                None => !found,
            };
            if !ok {
                wrong.push((i, text, f.map(|f| (f.confidence, f.fields))));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[test]
fn names_given_name_first_in_two_cells_are_found() {
    let (m, _) = fixture();
    let mut missed = Vec::new();
    for i in 0..40 {
        let x = r(i);
        let want = m.bundle().hasher().record_ref(&x.id);
        let date = x.birth_date_iso();
        let (kind, text) = match i % 4 {
            0 => (
                FieldKind::Name,
                format!("{},{},{date}\n", x.given, x.family),
            ),
            1 => (
                FieldKind::Name,
                format!("\"{}\",\"{}\",\"{date}\"\n", x.given, x.family),
            ),
            2 => (
                FieldKind::NameKana,
                format!("{}\t{}\t{date}\n", x.given_kana, x.family_kana),
            ),
            _ => (
                FieldKind::Name,
                format!("| {} | {} | {date} |\n", x.given, x.family),
            ),
        };
        match m.scan_text(&text).into_iter().find(|f| f.record == want) {
            Some(f) if f.confidence >= Confidence::Medium && f.fields.contains(&kind) => {}
            other => missed.push((i, other.map(|f| (f.confidence, f.fields)))),
        }
    }
    assert!(missed.is_empty(), "missed: {missed:?}");
    // Given name first with only a space between: not a cell, not looked at.
    let x = r(0);
    let want = m.bundle().hasher().record_ref(&x.id);
    let text = format!("{} {} {}", x.given, x.family, x.birth_date_iso());
    assert!(
        m.scan_text(&text)
            .iter()
            .all(|f| f.record != want || !f.fields.contains(&FieldKind::Name)),
        "{text:?}"
    );
}

#[test]
fn one_name_token_on_the_line_of_a_phone_email_or_my_number_is_the_name() {
    let m = matcher_of(
        7,
        vec![
            row_of(
                "R-1",
                &[
                    (FieldKind::Name, "望月 美香"),
                    (FieldKind::NameKana, "モチヅキ ミカ"),
                    (FieldKind::Phone, "06-6014-7937"),
                    (FieldKind::Email, "mika.m@example.com"),
                    (FieldKind::NationalId, "685439936471"),
                    (FieldKind::AccountNumber, "4685592"),
                    (FieldKind::Address, "兵庫県尼崎市大庄中通2丁目23番15号"),
                ],
            ),
            row_of(
                "R-2",
                &[
                    (FieldKind::Name, "島 舞"),
                    (FieldKind::Phone, "06-6014-7938"),
                ],
            ),
        ],
    );
    let (want, other) = (
        m.bundle().hasher().record_ref("R-1"),
        m.bundle().hasher().record_ref("R-2"),
    );
    let cases = [
        ("望月様 06-6014-7937", Confidence::High),
        ("モチヅキ様 TEL 06-6014-7937", Confidence::High),
        ("美香 <mika.m@example.com>", Confidence::High),
        ("個人番号 6854 3993 6471 望月", Confidence::High),
        ("望月 美香 06-6014-7937", Confidence::High),
        // In Latin letters, capitalized, in any spelling of the reading.
        ("Mochizuki 06-6014-7937", Confidence::High),
        (
            "Contact: MOCHIDUKI-sama, tel. 06-6014-7937",
            Confidence::High,
        ),
        ("Mika <mika.m@example.com>", Confidence::High),
        // On another line, someone else's name, next to an account number or an address: not.
        ("望月様\n06-6014-7937", Confidence::Low),
        ("田中様 06-6014-7937", Confidence::Low),
        ("望月様 口座 4685592", Confidence::Low),
        ("望月様 兵庫県尼崎市大庄中通2丁目23番15号", Confidence::Low),
        ("Mochizuki\n06-6014-7937", Confidence::Low),
        ("Tanaka 06-6014-7937", Confidence::Low),
        ("Mochizuki, account 4685592", Confidence::Low),
        // Not in lower case (any word), nor a name inside the e-mail address itself.
        ("mochizuki 06-6014-7937", Confidence::Low),
        ("<mika.m@example.com>", Confidence::Low),
    ];
    let confidence_of = |text: &str, record: &fingerprints::RecordRef| {
        m.scan_text(text)
            .into_iter()
            .find(|f| f.record == *record)
            .map(|f| f.confidence)
    };
    for (text, confidence) in cases {
        assert_eq!(confidence_of(text, &want), Some(confidence), "{text:?}");
    }
    // The other resident's number with this one's family name: not hers, and not his name.
    assert_eq!(
        confidence_of("望月様 06-6014-7938", &other),
        Some(Confidence::Low)
    );
    assert_eq!(confidence_of("望月様 06-6014-7938", &want), None);
    // A token of one character may be part of any word (`島` of a town `小中島`).
    for text in ["小中島2丁目 06-6014-7938", "舞 06-6014-7938"] {
        assert_eq!(
            confidence_of(text, &other),
            Some(Confidence::Low),
            "{text:?}"
        );
    }
    assert_eq!(
        confidence_of("島 舞 06-6014-7938", &other),
        Some(Confidence::High)
    );
}

#[test]
fn printed_birth_dates_padded_in_both_calendars_or_without_the_era() {
    // Printouts pad a one-digit month or day with a space (`昭和43年 9月18日`, half- or
    // full-width), formal documents give the other calendar's year in parentheses, and forms
    // leave the era out: with the name, each is the record's birth date (medium).
    let m = matcher_of_row(
        11,
        "P-1",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::BirthDate, "1968-09-08"),
        ],
    );
    for date in [
        "昭和43年 9月 8日",
        "昭和４３年　９月　８日",
        "昭和 43年 9月 8日",
        "1968年 9月 8日",
        "1968 年 9 月 8 日",
        "S43. 9. 8",
        "1968/ 9/ 8",
        "昭和43年（1968年）9月8日",
        "1968年（昭和43年）9月8日",
        "1968(S43)年9月8日",
        // In kanji numerals, as family registers write them.
        "昭和四十三年九月八日",
        "昭和四拾参年九月八日",
        "一九六八年九月八日",
        // The era left out (printed apart, or filled in beside a printed one).
        "43年9月8日",
        "43年 9月 8日",
        "４３年　９月　８日",
    ] {
        for page in [
            format!("山口大介さん（{date}生）"),
            format!("氏名 山口 大介\n生年月日 {date}\n"),
        ] {
            let found = m.scan_text(&page);
            assert_eq!(found.len(), 1, "{page}");
            assert_eq!(found[0].confidence, Confidence::Medium, "{page}");
            assert!(found[0].fields.contains(&FieldKind::BirthDate), "{page}");
        }
    }
    // Another year in the parentheses is no date of the record's.
    let found = m.scan_text("山口大介さん（1968年（昭和44年）9月8日生）");
    assert!(
        found.iter().all(|f| f.confidence == Confidence::Low),
        "{found:?}"
    );
}

#[test]
fn addresses_by_postal_code_and_block_numbers() {
    // An address in Latin letters, as English-language pages and shipping labels write it: the
    // town is not in the register's script, the postal code stands for it.
    let m = matcher_of(
        6,
        vec![
            row_of(
                "R-1",
                &[
                    (FieldKind::Name, "山口 大介"),
                    (FieldKind::NameKana, "ヤマグチ ダイスケ"),
                    (FieldKind::PostalCode, "660-0875"),
                    (FieldKind::Address, "兵庫県尼崎市南竹谷町2丁目8番2号"),
                ],
            ),
            // The same block, another house.
            row_of(
                "R-2",
                &[
                    (FieldKind::Name, "関 加奈子"),
                    (FieldKind::PostalCode, "660-0875"),
                    (FieldKind::Address, "兵庫県尼崎市南竹谷町2丁目8番3号"),
                ],
            ),
            // Another town, the same block numbers.
            row_of(
                "R-3",
                &[
                    (FieldKind::Name, "清水 寛"),
                    (FieldKind::PostalCode, "660-0868"),
                    (FieldKind::Address, "兵庫県尼崎市西御園町2丁目8番2号"),
                ],
            ),
        ],
    );
    let of = |text: &str, id: &str| {
        let want = m.bundle().hasher().record_ref(id);
        m.scan_text(text)
            .into_iter()
            .find(|f| f.record == want)
            .map(|f| (f.confidence, f.fields.contains(&FieldKind::Address)))
    };
    for text in [
        "Daisuke Yamaguchi, 2-8-2 Minamitakeya-cho, Amagasaki-shi, Hyogo 660-0875",
        "YAMAGUCHI DAISUKE 660-0875 HYOGO AMAGASAKI MINAMITAKEYACHO 2-8-2",
        "Ship to: Daisuke Yamaguchi\n2 Chome-8-2 Minamitakeyacho\nAmagasaki, Hyogo 660-0875\nJapan",
        "Daisuke Yamaguchi, 2-chome 8-ban 2-go Minamitakeya, Amagasaki 〒660-0875",
        "Daisuke Yamaguchi, 2-8-2 Minamitakeya, Amagasaki 〒 6600875",
        "name,address,zip\n\"Yamaguchi Daisuke\",\"2-8-2-301 Minamitakeya-cho, Amagasaki\",660-0875",
    ] {
        assert_eq!(of(text, "R-1"), Some((Confidence::Medium, true)), "{text}");
        assert_eq!(of(text, "R-2"), None, "{text}");
        assert_eq!(of(text, "R-3"), None, "{text}");
    }
    for text in [
        // Another postal code, another house, or the block without the house.
        "Daisuke Yamaguchi, 2-8-2 Nishimisono-cho, Amagasaki 660-0868",
        "Daisuke Yamaguchi, 2-8-3 Minamitakeya-cho, Amagasaki 660-0875",
        "Daisuke Yamaguchi, 2-8 Minamitakeya-cho, Amagasaki 660-0875",
        // Seven digits alone are no postal code here (an account number, an id).
        "Daisuke Yamaguchi, 2-8-2 Minamitakeya, Amagasaki 6600875",
        // The numbers of a phone, a date, a version: no block.
        "Daisuke Yamaguchi 660-0875 tel 06-6682-0802 v2.8.2",
        // A town in kanji after the postal code is walked from the town as written.
        "山口大介 〒660-0875 尼崎市南竹屋町2-8-2",
    ] {
        assert_eq!(of(text, "R-1").map(|f| f.1), Some(false), "{text}");
    }
    // A postal code after an address written with its town: found once, from the town.
    let want = m.bundle().hasher().record_ref("R-1");
    for text in [
        "山口大介,兵庫県尼崎市南竹谷町2-8-2,660-0875\n",
        "山口 大介 南竹谷町2丁目8番2号 660-0875 / 2-8-2 Minamitakeya-cho 660-0875\n",
    ] {
        let found = m.scan_text(text);
        let f = found.iter().find(|f| f.record == want).expect("found");
        let addresses = f
            .spans
            .iter()
            .filter(|s| s.kind == FieldKind::Address)
            .count();
        assert!(f.confidence >= Confidence::Medium, "{text}");
        assert!((1..=2).contains(&addresses), "{text}: {:?}", f.spans);
    }
    let text = "山口大介,兵庫県尼崎市南竹谷町2-8-2,660-0875\n";
    let found = m.scan_text(text);
    let spans = &found
        .iter()
        .find(|f| f.record == want)
        .expect("found")
        .spans;
    assert_eq!(
        spans
            .iter()
            .filter(|s| s.kind == FieldKind::Address)
            .count(),
        1,
        "{spans:?}"
    );
    // Beside a name that is someone else's, the address alone.
    assert_eq!(
        of("清水寛, 2-8-2 Minamitakeya-cho, Amagasaki 660-0875", "R-1"),
        Some((Confidence::Low, true))
    );
}

#[test]
fn addresses_after_a_particle_or_without_the_towns_machi() {
    // Prose puts an address after a particle (`…さんは南竹谷町2-8-2に住んでいます`), and forms
    // are typed without a town's `町` (`南竹谷2-8-2`); but where a town and the same town with
    // `町` are two towns (`御園`, `御園町`), each is only itself.
    let m = matcher_of(
        5,
        vec![
            row_of(
                "R-1",
                &[
                    (FieldKind::Name, "山口 大介"),
                    (FieldKind::Address, "兵庫県尼崎市南竹谷町2丁目8番2号"),
                ],
            ),
            row_of(
                "R-2",
                &[
                    (FieldKind::Name, "田中 一郎"),
                    (FieldKind::Address, "兵庫県尼崎市御園町1丁目3番5号"),
                ],
            ),
            row_of(
                "R-3",
                &[
                    (FieldKind::Name, "佐藤 花子"),
                    (FieldKind::Address, "兵庫県尼崎市御園1丁目3番5号"),
                ],
            ),
        ],
    );
    let confidence_of = |text: &str, id: &str| {
        let record = m.bundle().hasher().record_ref(id);
        m.scan_text(text)
            .into_iter()
            .find(|f| f.record == record)
            .map(|f| (f.confidence, f.fields))
    };
    let name_and_address = Some((
        Confidence::Medium,
        vec![FieldKind::Name, FieldKind::Address],
    ));
    for text in [
        "山口大介さんは南竹谷町2-8-2に住んでいます。",
        "山口大介さんの住所は南竹谷町二丁目8番2号です。",
        "山口大介 南竹谷2-8-2",
        "山口大介 尼崎市南竹谷２－８－２",
        "氏名,住所\n山口 大介,南竹谷2丁目8番2号\n",
    ] {
        assert_eq!(confidence_of(text, "R-1"), name_and_address, "{text}");
    }
    // `御園` is a town of its own: not `御園町` written without its `町`.
    assert_eq!(confidence_of("佐藤花子 御園1-3-5", "R-3"), name_and_address);
    assert_eq!(
        confidence_of("田中一郎 御園1-3-5", "R-2"),
        Some((Confidence::Low, vec![FieldKind::Name]))
    );
    assert_eq!(
        confidence_of("田中一郎 御園町1-3-5", "R-2"),
        name_and_address
    );
    // A kana before the town that is no particle, or `の`, is part of a longer word.
    for text in ["山口大介 あさ南竹谷町2-8-2", "山口大介 むこの南竹谷町2-8-2"]
    {
        assert_eq!(
            confidence_of(text, "R-1"),
            Some((Confidence::Low, vec![FieldKind::Name])),
            "{text}"
        );
    }
}

#[test]
fn phone_numbers_in_three_cells() {
    // Web shops store a phone number in three columns (`tel01`, `tel02`, `tel03`): with the name
    // in the same row, name and phone (high); three numbers that are not the record's phone, or
    // are not set apart alike, are not.
    let m = matcher_of_row(
        11,
        "P-1",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::Phone, "090-6682-8625"),
            (FieldKind::PostalCode, "660-0875"),
        ],
    );
    for page in [
        "INSERT INTO dtb_customer VALUES (7,'山口','大介','660','0875','090','6682','8625');",
        "\"山口\",\"大介\",\"090\",\"6682\",\"8625\"",
        "山口\t大介\t090\t6682\t8625\n",
        "{\"name01\":\"山口\",\"name02\":\"大介\",\"tel01\":\"090\",\"tel02\":\"6682\",\"tel03\":\"8625\"}",
        "| 山口 大介 | 090 | 6682 | 8625 |",
    ] {
        let found = m.scan_text(page);
        assert_eq!(found.len(), 1, "{page}");
        assert_eq!(found[0].confidence, Confidence::High, "{page}: {found:?}");
        assert!(found[0].fields.contains(&FieldKind::Phone), "{page}");
    }
    for page in [
        "'山口','大介','090','6682','8626'",
        "'山口','大介','90','6682','8625'",
        "'山口','大介','090','6682',8625",
        "'山口','大介','090','6682','86251'",
        "'山口','大介','090','6682';'8625'",
    ] {
        let found = m.scan_text(page);
        assert!(
            found.iter().all(|f| f.confidence == Confidence::Low),
            "{page}: {found:?}"
        );
    }
}

#[test]
fn birth_dates_in_three_cells() {
    // Forms with a select box for each part of the birth date store it in three columns (or
    // fields): with the name in the same row, the record's birth date (medium); three numbers
    // that differ from it, or are not set apart alike, are not.
    let m = matcher_of_row(
        11,
        "P-1",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::BirthDate, "1968-09-08"),
        ],
    );
    for page in [
        "山口,大介,1968,9,8",
        "\"山口\",\"大介\",\"1968\",\"09\",\"08\"",
        "山口\t大介\t1968\t9\t8\n",
        "INSERT INTO members VALUES (12,'山口','大介','1968','9','8','m');",
        "| 山口 大介 | 1968 | 9 | 8 |",
        "{\"name\":\"山口大介\",\"birth_year\":1968,\"birth_month\":9,\"birth_day\":8}",
        "{\"sei\":\"山口\",\"mei\":\"大介\",\"birthYear\":\"1968\",\"birthMonth\":\"09\",\"birthDay\":\"08\"}",
        // An HTML table's cells end with a tab.
        "<!DOCTYPE html><table><tr><td>山口 大介</td><td>1968</td><td>9</td><td>8</td></tr></table>",
    ] {
        let report = m.scan(&Document::new(page.as_bytes()));
        let found: Vec<_> = report.at_least(Confidence::Low).collect();
        assert_eq!(found.len(), 1, "{page}");
        assert_eq!(found[0].confidence, Confidence::Medium, "{page}: {found:?}");
        assert!(found[0].fields.contains(&FieldKind::BirthDate), "{page}");
    }
    for page in [
        "山口,大介,1968,9,9",
        "山口,大介,1968,8,9",
        "山口,大介,1968,9;8",
        "山口,大介,1968,9,80",
        "山口 大介 1968 9 8",
        "山口,大介,1968,\"birth_month\":9,8",
    ] {
        let found = m.scan_text(page);
        assert!(
            found.iter().all(|f| f.confidence == Confidence::Low),
            "{page}: {found:?}"
        );
    }
}

#[test]
fn percent_encoded_form_posts_and_urls() {
    // A web server's log or a captured form post, the values percent-encoded as UTF-8: the
    // name with its birth date (medium), with its phone number (high).
    let m = matcher_of_row(
        11,
        "P-1",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::NameKana, "ヤマグチ ダイスケ"),
            (FieldKind::BirthDate, "1968-09-08"),
            (FieldKind::Phone, "090-6682-8625"),
        ],
    );
    let name = "%E5%B1%B1%E5%8F%A3+%E5%A4%A7%E4%BB%8B";
    for (page, want) in [
        (
            format!("POST /entry name={name}&birth=1968-09-08 HTTP/1.1"),
            Confidence::Medium,
        ),
        (
            format!("GET /confirm?name={name}&birthday=1968%2F09%2F08"),
            Confidence::Medium,
        ),
        (
            "10.0.0.1 - - \"GET /search?q=%E3%83%A4%E3%83%9E%E3%82%B0%E3%83%81%20%E3%83%80%E3%82%A4%E3%82%B9%E3%82%B1%20090-6682-8625\"".to_owned(),
            Confidence::High,
        ),
    ] {
        let found = m.scan_text(&page);
        assert_eq!(found.len(), 1, "{page}");
        assert_eq!(found[0].confidence, want, "{page}: {found:?}");
    }
    // The name in two form fields, as shop forms post it (`name01`, `name02`), encoded or
    // not.
    for page in [
        "name01=%E5%B1%B1%E5%8F%A3&name02=%E5%A4%A7%E4%BB%8B&birth=1968-09-08",
        "sei=山口&mei=大介&birth=1968-09-08",
        "kana01=%E3%83%A4%E3%83%9E%E3%82%B0%E3%83%81&kana02=%E3%83%80%E3%82%A4%E3%82%B9%E3%82%B1&birth=1968-09-08",
    ] {
        let found = m.scan_text(page);
        assert_eq!(found.len(), 1, "{page}");
        assert_eq!(found[0].confidence, Confidence::Medium, "{page}: {found:?}");
    }
    // Escaped in Shift_JIS or EUC-JP, as old Japanese sites' forms post it: `山口 大介`, and
    // the reading in full and half width.
    for page in [
        "name=%8ER%8C%FB+%91%E5%89%EE&birth=1968-09-08",
        "name=%8ER%8C%FB%91%E5%89%EE&birth=1968%2F09%2F08",
        "sei=%8ER%8C%FB&mei=%91%E5%89%EE&birth=1968-09-08",
        "kana=%83%84%83%7D%83O%83%60+%83_%83C%83X%83P&birth=1968-09-08",
        "kana=%D4%CF%B8%DE%C1+%C0%DE%B2%BD%B9&birth=1968-09-08",
        "name=%BB%B3%B8%FD+%C2%E7%B2%F0&birth=1968-09-08",
        "kana=%A5%E4%A5%DE%A5%B0%A5%C1+%A5%C0%A5%A4%A5%B9%A5%B1&birth=1968-09-08",
    ] {
        let found = m.scan_text(page);
        assert_eq!(found.len(), 1, "{page}");
        assert_eq!(found[0].confidence, Confidence::Medium, "{page}: {found:?}");
    }
}

#[test]
fn json_escaped_text_and_character_references() {
    // PHP's `json_encode` and Python's `json.dumps` escape every character above ASCII by
    // default, Python's `repr` every byte of bytes above ASCII; pages and their sources write
    // characters as numeric references. Found as the text they stand for, the spans pointing
    // at the escapes.
    let m = matcher_of_row(
        11,
        "P-1",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::NameKana, "ヤマグチ ダイスケ"),
            (FieldKind::BirthDate, "1968-09-08"),
            (FieldKind::Address, "兵庫県尼崎市南竹谷町2丁目8番2号"),
            (FieldKind::Phone, "090-6682-8625"),
        ],
    );
    let name = r"\u5c71\u53e3 \u5927\u4ecb";
    for (page, want) in [
        (
            format!(r#"{{"id":12,"name":"{name}","birth":"1968-09-08"}}"#),
            Confidence::Medium,
        ),
        (
            format!(r#"{{"name":"{name}","tel":"090-6682-8625"}}"#),
            Confidence::High,
        ),
        (
            r#"{"kana":"\u30e4\u30de\u30b0\u30c1 \u30c0\u30a4\u30b9\u30b1","dob":"1968-09-08"}"#
                .to_owned(),
            Confidence::Medium,
        ),
        (
            format!(
                r#"{{"name":"{name}","addr":"\u5c3c\u5d0e\u5e02\u5357\u7af9\u8c37\u753a2-8-2"}}"#
            ),
            Confidence::Medium,
        ),
        (
            "<td>&#23665;&#21475; &#22823;&#20171;</td><td>1968-09-08</td>".to_owned(),
            Confidence::Medium,
        ),
        (
            "&#x5c71;&#x53e3;&#x5927;&#x4ecb; 1968/9/8".to_owned(),
            Confidence::Medium,
        ),
        // Python's `repr` of the UTF-8 bytes; PHP's escaped `/` in the date.
        (
            r"INFO user=b'\xe5\xb1\xb1\xe5\x8f\xa3\xe5\xa4\xa7\xe4\xbb\x8b' dob=1968-09-08"
                .to_owned(),
            Confidence::Medium,
        ),
        (
            format!(r#"{{"name":"{name}","birth":"1968\/09\/08"}}"#),
            Confidence::Medium,
        ),
    ] {
        let found = m.scan_text(&page);
        assert_eq!(found.len(), 1, "{page}");
        assert_eq!(found[0].confidence, want, "{page}: {found:?}");
    }
    // The name's span is its escapes.
    let page = format!(r#"{{"name":"{name}","birth":"1968-09-08"}}"#);
    let found = m.scan_text(&page);
    let span = found[0].spans.iter().find(|s| s.kind == FieldKind::Name);
    assert_eq!(span.map(|s| &page[s.start..s.end]), Some(name), "{found:?}");
}

#[test]
fn e_mail_addresses_written_to_dodge_harvesters() {
    // An `[at]`, a star, a `[dot]`, ` at ` or `%40` for the address's `@` or dots, in a block
    // with another hit: with the name, the record's e-mail address (high); another address is
    // not.
    let m = matcher_of_row(
        11,
        "P-1",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::Email, "dsk.yamaguchi@example.com"),
        ],
    );
    for page in [
        "山口大介 dsk.yamaguchi[at]example.com",
        "Name: 山口大介 / Mail: dsk.yamaguchi (at) example (dot) com",
        "山口 大介さんの連絡先は dsk.yamaguchi★example.com（★を@に）",
        "山口大介,DSK.YAMAGUCHI(アットマーク)EXAMPLE.COM",
        "山口大介 dsk.yamaguchi@example[.]com",
        // Full-width brackets, angle brackets, plain words, percent-encoded.
        "山口大介 メール：dsk.yamaguchi（アットマーク）example.com",
        "山口大介 メール：dsk.yamaguchi［at］example.com",
        "山口大介 メール：dsk.yamaguchi＜at＞example.com",
        "山口大介 dsk.yamaguchi<at>example.com",
        "山口大介 mail: dsk.yamaguchi AT example DOT com",
        "name=%E5%B1%B1%E5%8F%A3%E5%A4%A7%E4%BB%8B&email=dsk.yamaguchi%40example.com",
        "name=山口大介&email=dsk.yamaguchi%40example.com&tel=",
        "山口大介 メール：dsk.yamaguchi アット example.com",
        "山口大介 mail: dsk.yamaguchi&#64;example.com",
    ] {
        let found = m.scan_text(page);
        assert_eq!(found.len(), 1, "{page}");
        assert_eq!(found[0].confidence, Confidence::High, "{page}: {found:?}");
        assert!(found[0].fields.contains(&FieldKind::Email), "{page}");
    }
    for page in [
        "山口大介 dsk.yamaguchi[at]example.org",
        "山口大介 daisuke.yamaguchi[at]example.com",
        "山口大介 dsk.yamaguchi[at]example",
    ] {
        let found = m.scan_text(page);
        assert!(
            found.iter().all(|f| f.confidence == Confidence::Low),
            "{page}: {found:?}"
        );
    }
}

#[test]
fn birth_dates_in_era_cells() {
    // A birth date in four cells, the era's first, as forms with a select box for the era store
    // it (`元号`, `年`, `月`, `日`): with the name in the same row, the record's birth date
    // (medium); another date, or cells not set apart alike, are not.
    let m = matcher_of_row(
        11,
        "P-1",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::BirthDate, "1968-09-08"),
        ],
    );
    for page in [
        "山口,大介,昭和,43,9,8",
        "\"山口\",\"大介\",\"S\",\"43\",\"09\",\"08\"",
        "山口\t大介\t昭和\t43\t9\t8\n",
        "INSERT INTO members VALUES (12,'山口','大介','昭和','43','9','8','m');",
        "| 山口 大介 | 昭和 | 43 | 9 | 8 |",
        "{\"name\":\"山口大介\",\"birth_era\":\"昭和\",\"birth_year\":43,\"birth_month\":9,\"birth_day\":8}",
        "{\"sei\":\"山口\",\"mei\":\"大介\",\"gengo\":\"showa\",\"year\":\"43\",\"month\":\"9\",\"day\":\"8\"}",
        "<!DOCTYPE html><table><tr><td>山口 大介</td><td>昭和</td><td>43</td><td>9</td><td>8</td></tr></table>",
    ] {
        let report = m.scan(&Document::new(page.as_bytes()));
        let found: Vec<_> = report.at_least(Confidence::Low).collect();
        assert_eq!(found.len(), 1, "{page}");
        assert_eq!(found[0].confidence, Confidence::Medium, "{page}: {found:?}");
        assert!(found[0].fields.contains(&FieldKind::BirthDate), "{page}");
    }
    for page in [
        "山口,大介,平成,43,9,8",
        "山口,大介,昭和,43,9,9",
        "山口,大介,昭和,43,9;8",
        "山口,大介,昭和;43,9,8",
        "山口,大介,abs,43,9,8",
    ] {
        let found = m.scan_text(page);
        assert!(
            found.iter().all(|f| f.confidence == Confidence::Low),
            "{page}: {found:?}"
        );
    }
}

#[test]
fn birth_dates_in_era_cells_of_the_era_first_year() {
    // `元` for the era's first year in a cell of its own: found from the month's cell.
    let m = matcher_of_row(
        11,
        "P-2",
        &[
            (FieldKind::Name, "前田 花子"),
            (FieldKind::BirthDate, "1989-01-08"),
        ],
    );
    for page in [
        "前田,花子,平成,元,1,8",
        "INSERT INTO members VALUES (3,'前田','花子','平成','元','1','8');",
        "{\"name\":\"前田花子\",\"birth_era\":\"平成\",\"birth_year\":\"元\",\"birth_month\":1,\"birth_day\":8}",
    ] {
        let report = m.scan(&Document::new(page.as_bytes()));
        let found: Vec<_> = report.at_least(Confidence::Low).collect();
        assert_eq!(found.len(), 1, "{page}");
        assert_eq!(found[0].confidence, Confidence::Medium, "{page}: {found:?}");
        assert!(found[0].fields.contains(&FieldKind::BirthDate), "{page}");
    }
    for page in ["前田,花子,昭和,元,1,8", "前田,花子,平成,元,1,9"] {
        let found = m.scan_text(page);
        assert!(
            found.iter().all(|f| f.confidence == Confidence::Low),
            "{page}: {found:?}"
        );
    }
}

#[test]
fn birth_dates_with_a_two_digit_year() {
    // Year first with two digits, as Japanese forms and old systems write them: the Western
    // year (`68/09/08`, `680908`) or the era's with the era left out (`43.9.8`). With the name, each is
    // the record's birth date (medium); a longer number, a version or an address is not.
    let m = matcher_of_row(
        11,
        "P-1",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::BirthDate, "1968-09-08"),
        ],
    );
    for date in [
        "68/09/08",
        "68.9.8",
        "６８／０９／０８",
        "43.9.8",
        "43. 9. 8",
        "43/09/08",
        "43・9・8",
        // Six digits, as old systems store dates, Western or with the era's letter.
        "680908",
        "S430908",
        // A Western year before `年` where no era's year is.
        "68年9月8日",
        // A middle dot between the parts.
        "1968・9・8",
        "Ｓ４３・９・８",
        // The year last, as English-language lists write it: month or day first.
        "9/8/68",
        "09/08/68",
        "8/9/68",
    ] {
        for page in [
            format!("山口大介さん（{date}生）"),
            format!("氏名 山口 大介\n生年月日 {date}\n"),
            format!("山口 大介,{date},尼崎市"),
            // After a label and a colon.
            format!("氏名:山口 大介 生年月日:{date}"),
            format!("山口 大介 誕生日：{date}"),
        ] {
            let found = m.scan_text(&page);
            assert_eq!(found.len(), 1, "{page}");
            assert_eq!(found[0].confidence, Confidence::Medium, "{page}");
            assert!(found[0].fields.contains(&FieldKind::BirthDate), "{page}");
        }
    }
    for other in [
        "v43.9.8",
        "1.43.9.8",
        "43.9.8.1",
        "2-43/09/08",
        "43-9-8",
        "143.9.8",
        "43.9.80",
        "44.9.8",
        "6809080",
        "x680908",
        "430908",
        "S4309080",
        "68年13月8日",
        "9.8.68",
        "9-8-68",
        "9/8/680",
        // After a colon, a version's or an image's tag, or a time: not a label's value.
        "node:43.9.8",
        "id:680908",
        "12:43.9.8",
        "1:68/09/08",
    ] {
        let page = format!("山口大介さん（{other}）");
        let found = m.scan_text(&page);
        assert!(
            found.iter().all(|f| f.confidence == Confidence::Low),
            "{page}: {found:?}"
        );
    }
    // After a label in Latin letters, only the notation with `/`.
    for (page, medium) in [
        ("山口大介 DOB:68/09/08", true),
        ("山口大介 DOB:68.9.8", false),
    ] {
        let found = m.scan_text(page);
        assert_eq!(
            found.iter().any(|f| f.confidence == Confidence::Medium),
            medium,
            "{page}: {found:?}"
        );
    }
}

#[test]
fn in_a_list_of_people_a_line_each_the_next_lines_date_is_someone_elses() {
    let m = matcher_of_row(
        12,
        "P-2",
        &[
            (FieldKind::Name, "山田 健"),
            (FieldKind::BirthDate, "1964-02-04"),
        ],
    );
    let at_least_medium = |page: &str| {
        m.scan_text(page)
            .into_iter()
            .filter(|f| f.confidence >= Confidence::Medium)
            .count()
    };
    // 山田健太 (the resident's name and one character more) and someone else born on the
    // resident's birthday, a line each: before, the name and the other line's date were a
    // medium (355 of 40,000 look-alike people listed so, against 460,177 residents).
    for page in [
        "山田健太さん（1964年8月13日生まれ）\n佐藤花子さん（1964年2月4日生まれ）\n",
        "佐藤花子さん（1964年2月4日生まれ）\n山田健太さん（1964年8月13日生まれ）\n",
        "山田健太 昭和39年8月13日\n佐藤花子 39年2月4日\n",
    ] {
        assert_eq!(at_least_medium(page), 0, "{page}");
    }
    // A date on another line still counts when the name's own line holds none.
    for page in [
        "氏名 山田健\n生年月日 1964年2月4日\n",
        "山田健さん\n（昭和39年2月4日生）\n",
        "山田健太さん（1964年8月13日生まれ）\n山田健さん（1964年2月4日生まれ）\n",
    ] {
        assert_eq!(at_least_medium(page), 1, "{page}");
    }
}

#[test]
fn a_line_without_a_date_does_not_take_the_date_of_a_line_with_another_name() {
    // A list of people, some lines without a date (a shipping label, a name alone): the date
    // on the next line with a name of its own is that person's. Before, an undated line's name
    // took it (a look-alike list in the evaluation's `romaji` form made a medium so).
    let m = matcher_of(
        14,
        vec![
            row_of(
                "P-4",
                &[
                    (FieldKind::Name, "山田 健"),
                    (FieldKind::NameKana, "ヤマダ ケン"),
                    (FieldKind::BirthDate, "1964-02-04"),
                ],
            ),
            row_of(
                "P-5",
                &[
                    (FieldKind::Name, "佐藤 花子"),
                    (FieldKind::NameKana, "サトウ ハナコ"),
                    (FieldKind::BirthDate, "1971-06-30"),
                ],
            ),
        ],
    );
    let medium_for = |page: &str, id: &str| {
        let want = m.bundle().hasher().record_ref(id);
        m.scan_text(page)
            .into_iter()
            .any(|f| f.record == want && f.confidence >= Confidence::Medium)
    };
    for page in [
        "山田健さん\n佐藤花子さん（1964年2月4日生まれ）\n",
        "佐藤花子さん（1964年2月4日生まれ）\n山田健さん\n",
        "Ship to: Ken Yamada, Tokyo\n- Hanako Sato (1964-02-04)\n",
        "- Ken Yamada\n- Hanako Sato (1964-02-04)\n",
    ] {
        assert!(!medium_for(page, "P-4"), "{page}");
    }
    // A line between them with no name, or the date on the name's own line, still counts.
    for page in [
        "山田健さん\n生年月日：1964年2月4日\n佐藤花子さん\n",
        "- Ken Yamada\n  born 1964-02-04\n- Hanako Sato (1971-06-30)\n",
        "- Hanako Sato\n- Ken Yamada (1964-02-04)\n",
    ] {
        assert!(medium_for(page, "P-4"), "{page}");
    }
}

#[test]
fn a_name_in_a_cell_that_goes_on_is_a_longer_name() {
    let m = matcher_of_row(
        13,
        "P-3",
        &[
            (FieldKind::Name, "中村 浩"),
            (FieldKind::NameKana, "ナカムラ ヒロシ"),
            (FieldKind::BirthDate, "1978-11-12"),
        ],
    );
    let at_least_medium = |page: &str| {
        m.scan_text(page)
            .into_iter()
            .filter(|f| f.confidence >= Confidence::Medium)
            .count()
    };
    // Someone else born the same day: 中村 浩之, ナカムラ ヒロシゲ. Before, the resident's name
    // (or reading) as the start of theirs made a medium (34 on the benchmark corpus).
    for page in [
        "('中村', '浩之', '昭和53年11月12日', '塚口町一丁目26番5号'),\n",
        "中村浩之,1978-11-12,塚口町1-26-5\n",
        "ﾅｶﾑﾗ ﾋﾛｼｹﾞ,1978/11/12,塚口町1-26-5\n",
        "| 中村　浩之 | ナカムラ　ヒロユキ | 昭和53年11月12日 |\n",
    ] {
        assert_eq!(at_least_medium(page), 0, "{page}");
    }
    // The name itself, with an honorific, or followed by another script.
    for page in [
        "('中村', '浩', '昭和53年11月12日', '塚口町一丁目26番5号'),\n",
        "中村浩様,1978-11-12,塚口町1-26-5\n",
        "ﾅｶﾑﾗ ﾋﾛｼ,1978/11/12,塚口町1-26-5\n",
        "中村浩(ﾅｶﾑﾗﾋﾛｼ),1978-11-12\n",
        "| 中村　浩 | ナカムラ　ヒロシ | 昭和53年11月12日 |\n",
    ] {
        assert_eq!(at_least_medium(page), 1, "{page}");
    }
}

#[test]
fn in_a_list_of_people_a_line_each_the_next_lines_address_is_someone_elses() {
    let m = matcher_of_row(
        14,
        "P-4",
        &[
            (FieldKind::Name, "吉田 将之"),
            (FieldKind::NameKana, "ヨシダ マサユキ"),
            (FieldKind::BirthDate, "1981-11-19"),
            (FieldKind::Address, "兵庫県尼崎市神田北通1丁目18番13号"),
        ],
    );
    let at_least_medium = |page: &str| {
        m.scan_text(page)
            .into_iter()
            .filter(|f| f.confidence >= Confidence::Medium)
            .count()
    };
    // 吉田雅之 (the resident's reading, not his name) and, on the next line, someone else
    // living at the resident's address: each line with its own birth date.
    for page in [
        "吉田雅之（ﾖｼﾀﾞﾏｻﾕｷ）、19990822生。\n星野美咲さん（1993年9月24日生まれ）は尼崎市神田北通1-18-13に住んでいます。\n",
        "星野美咲さん（1993年9月24日生まれ）は尼崎市神田北通1-18-13に住んでいます。\nヨシダマサユキ様 平成11年8月22日生\n",
    ] {
        assert_eq!(at_least_medium(page), 0, "{page}");
    }
    // One person over two lines, only one of them dated.
    for page in [
        "ヨシダマサユキ様\n尼崎市神田北通1-18-13（1999年8月22日登録）\n",
        "吉田将之（昭和56年11月19日生）\n住所 尼崎市神田北通1-18-13\n",
    ] {
        assert_eq!(at_least_medium(page), 1, "{page}");
    }
}

#[test]
fn a_name_with_its_reading_after_each_part() {
    // Furigana printed on one line, in parentheses after each part; and a town with its reading.
    let m = matcher_of_row(
        15,
        "P-5",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::BirthDate, "1968-09-18"),
        ],
    );
    for page in [
        "山口(やまぐち)大介(だいすけ) 1968-09-18",
        "山口（ヤマグチ） 大介（ダイスケ）　昭和43年9月18日生",
        "<!DOCTYPE html><p><ruby>山口<rp>(</rp><rt>やまぐち</rt><rp>)</rp></ruby><ruby>大介<rt>だいすけ</rt></ruby> 1968-09-18</p>",
    ] {
        let found = m.scan(&Document::new(page.as_bytes()));
        let f = found.at_least(Confidence::Medium).next();
        assert!(
            f.is_some_and(|f| f.fields.contains(&FieldKind::Name)),
            "{page}"
        );
    }
    // Not anything in parentheses: a note, or more than a reading's length.
    for page in [
        "山口(注)大介 1968-09-18",
        "山口(ヤマグチヤマグチヤマグチヤマ)大介 1968-09-18",
    ] {
        let found = m.scan(&Document::new(page.as_bytes()));
        assert!(
            found.at_least(Confidence::Medium).next().is_none(),
            "{page}"
        );
    }
}

#[test]
fn a_name_that_ends_a_longer_name_is_someone_elses() {
    let m = matcher_of_row(
        16,
        "P-6",
        &[
            (FieldKind::Name, "林 由美"),
            (FieldKind::NameKana, "ハヤシ ユミ"),
            (FieldKind::BirthDate, "1960-03-17"),
        ],
    );
    // A register that also knows the longer names' tokens (小林, as a resident's name).
    let m2 = matcher_of(
        16,
        vec![
            row_of(
                "P-6",
                &[
                    (FieldKind::Name, "林 由美"),
                    (FieldKind::NameKana, "ハヤシ ユミ"),
                    (FieldKind::BirthDate, "1960-03-17"),
                ],
            ),
            row_of(
                "P-7",
                &[
                    (FieldKind::Name, "小林 一郎"),
                    (FieldKind::NameKana, "コバヤシ イチロウ"),
                ],
            ),
        ],
    );
    let at_least_medium = |m: &Matcher, page: &str| {
        m.scan_text(page)
            .into_iter()
            .filter(|f| f.confidence >= Confidence::Medium)
            .count()
    };
    // 小林 由美, born the same day: in a row, and in prose where 小林 is a token.
    for (m, page) in [
        (&m, "('小林','由美','19600317','立花町一丁目21番23号'),\n"),
        (
            &m,
            "{\"name\":\"小林 由美\",\"kana\":\"こばやしゆみ\",\"dob\":\"昭和35年3月17日\"}\n",
        ),
        (&m2, "小林 由美（コバヤシユミ）、1960.03.17生。\n"),
    ] {
        assert_eq!(at_least_medium(m, page), 0, "{page}");
    }
    // After a label without a separator, the name is still found.
    for (m, page) in [
        (&m, "氏名林由美　生年月日1960.03.17\n"),
        (&m2, "('林','由美','19600317','立花町一丁目21番23号'),\n"),
    ] {
        assert_eq!(at_least_medium(m, page), 1, "{page}");
    }
}

/// A JSON key between a value's parts is stepped over even where it is a name token itself:
/// with `ヤマグチ メイ` in the register, `"セイ": "ヤマグチ", "メイ": "ダイスケ"` is ヤマグチ ダイスケ
/// and not ヤマグチ メイ (whose reading beside the kanji name 山口 大介 would also have made the
/// row someone else's).
#[test]
fn a_json_key_that_is_a_name_token_is_a_key() {
    let person = |id: &str, name: &str, kana: &str| {
        row_of(
            id,
            &[
                (FieldKind::Name, name),
                (FieldKind::NameKana, kana),
                (FieldKind::BirthDate, "1968-09-18"),
            ],
        )
    };
    let m = matcher_of(
        9,
        vec![
            person("A", "山口 大介", "ヤマグチ ダイスケ"),
            person("B", "山口 芽衣", "ヤマグチ メイ"),
        ],
    );
    let h = m.bundle().hasher();
    let (a, b) = (h.record_ref("A"), h.record_ref("B"));
    for text in [
        r#"{"セイ": "ヤマグチ", "メイ": "ダイスケ", "dob": "1968-09-18"}"#,
        r#"{"姓": "山口", "名": "大介", "セイ": "ヤマグチ", "メイ": "ダイスケ", "dob": "1968-09-18"}"#,
        r#"{"sei":"ヤマグチ","mei":"ダイスケ","dob":"1968-09-18"}"#,
    ] {
        let found = m.scan_text(text);
        assert!(
            found
                .iter()
                .any(|f| f.record == a && f.confidence >= Confidence::Medium),
            "{text}: {found:?}"
        );
        assert!(!found.iter().any(|f| f.record == b), "{text}: {found:?}");
    }
}

/// A card of labelled lines, one field a line (a web form's mail), is one record like a row:
/// the next card's birth date is someone else's, and a listing's line of one person with
/// several fields (`顧客：…様、生年月日…、`) is no card.
#[test]
fn a_card_of_labelled_lines_is_one_record() {
    let m = matcher_of_row(
        9,
        "A",
        &[
            (FieldKind::Name, "山口 大介"),
            (FieldKind::NameKana, "ヤマグチ ダイスケ"),
            (FieldKind::BirthDate, "1968-09-18"),
        ],
    );
    let a = m.bundle().hasher().record_ref("A");
    let confidence = |text: &str| {
        m.scan_text(text)
            .into_iter()
            .find(|f| f.record == a)
            .map(|f| f.confidence)
    };
    let card = |family: &str, given: &str, born: &str| {
        format!("【お名前（姓）】{family}\n【お名前（名）】{given}\n【生年月日】{born}\n")
    };
    // The resident's own card, alone and among others.
    let own = card("山口", "大介", "昭和43年9月18日");
    assert_eq!(confidence(&own), Some(Confidence::Medium));
    let among = format!(
        "{}\n{own}\n{}",
        card("田中", "一郎", "1970-01-01"),
        card("佐藤", "花子", "1971-02-02")
    );
    assert_eq!(confidence(&among), Some(Confidence::Medium));
    // A namesake born another day, the next card's date the resident's: no medium.
    let namesake = format!(
        "{}\n{}",
        card("山口", "大介", "1970-01-01"),
        card("田中", "一郎", "1968-09-18")
    );
    assert!(
        confidence(&namesake) < Some(Confidence::Medium),
        "{namesake}"
    );
    let without_blank = namesake.replace("\n\n", "\n");
    assert!(confidence(&without_blank) < Some(Confidence::Medium));
}

#[test]
fn a_pdf_file_libreoffice_wrote_or_a_form_typed_over_finds_its_member() {
    // The fixture's first member, every field in a cell LibreOffice wrapped over two lines
    // (`1968 年 9 月` / `18 日`, `090-6682-` / `8625`), is found whole, and no filler row is.
    let m = fixture_member("PDF-1");
    // As LibreOffice wrote it; encrypted with AES-256 with an empty user password and no
    // copying allowed (as a municipality's published PDF often is); and its page printed,
    // scanned and read by an OCR engine (Tesseract's text layer: see `pdf/tests.rs`). And
    // an application form with no fields that she filled in with text boxes (annotations, as
    // PyMuPDF wrote them), her birth date in an era.
    for file in [
        &include_bytes!("../../tests/data/members.pdf")[..],
        &include_bytes!("../../tests/data/members-aes256.pdf")[..],
        &include_bytes!("../../tests/data/members-ocr.pdf")[..],
        &include_bytes!("../../tests/data/members-annotated.pdf")[..],
    ] {
        assert_one_high_finding_with(
            &m,
            file,
            &[
                FieldKind::Name,
                FieldKind::NameKana,
                FieldKind::BirthDate,
                FieldKind::Address,
                FieldKind::Phone,
            ],
        );
    }
}

/// Asserts that `m` finds one record in the document file `file` (read as an archive: a
/// PDF, a spreadsheet), at high confidence, with at least the fields `kinds`.
/// The one finding, at high, of scanning `file`, read as `format`.
fn one_high_finding(m: &Matcher, file: &[u8], format: TextFormat) -> crate::Finding {
    let report = m.scan(&Document::new(file));
    assert_eq!(report.format, format);
    assert_eq!(report.findings.len(), 1, "{report:?}");
    let f = report.findings.into_iter().next().expect("one finding");
    assert_eq!(f.confidence, Confidence::High);
    f
}

fn assert_one_high_finding_with(m: &Matcher, file: &[u8], kinds: &[FieldKind]) {
    let f = one_high_finding(m, file, TextFormat::Archive);
    for kind in kinds {
        assert!(f.fields.contains(kind), "{kind:?}: {f:?}");
    }
}

#[test]
fn values_written_one_character_to_a_cell_are_found() {
    // Forms give the values a paper form has boxes for a box a character: a spreadsheet laid
    // out as graph paper, a PDF form printed from it, a web page's table of boxes.
    let m = matcher_of_row(
        13,
        "BOX-1",
        &[
            (FieldKind::Name, "望月 美香"),
            (FieldKind::NameKana, "モチヅキ ミカ"),
            (FieldKind::BirthDate, "1973-07-24"),
            (FieldKind::PostalCode, "660-0075"),
            (FieldKind::Phone, "06-6014-7937"),
            (FieldKind::AccountNumber, "4685592"),
            (FieldKind::NationalId, "685439936471"),
        ],
    );
    let fields = |page: &str| -> Option<(Confidence, Vec<FieldKind>)> {
        let report = m.scan(&Document::new(page.as_bytes()));
        let f = report.findings.first()?;
        let mut fields = f.fields.clone();
        fields.sort();
        Some((f.confidence, fields))
    };
    use FieldKind::*;
    let cases: &[(&str, Confidence, &[FieldKind])] = &[
        (
            "氏名\t望月 美香\n個人番号\t6\t8\t5\t4\t3\t9\t9\t3\t6\t4\t7\t1\n",
            Confidence::High,
            &[Name, NationalId],
        ),
        // Boxes two cells wide (a merged pair: its second cell is empty).
        (
            "氏名\t\t\t望月 美香\n個人番号\t\t\t6\t\t8\t\t5\t\t4\t\t3\t\t9\t\t9\t\t3\t\t6\t\t4\t\t7\t\t1\n",
            Confidence::High,
            &[Name, NationalId],
        ),
        // Katakana boxes, an empty one between family and given name; a date's digits and
        // its 年 月 日 in boxes; a postal code's.
        (
            "フリガナ,モ,チ,ヅ,キ,,ミ,カ\n生年月日,1,9,7,3,年,0,7,月,2,4,日\n〒,6,6,0,-,0,0,7,5\n",
            Confidence::Medium,
            &[NameKana, BirthDate, PostalCode],
        ),
        (
            "\"モ\",\"チ\",\"ヅ\",\"キ\",\"\",\"ミ\",\"カ\",\"0\",\"6\",\"6\",\"0\",\"1\",\"4\",\"7\",\"9\",\"3\",\"7\"",
            Confidence::High,
            &[NameKana, Phone],
        ),
        // A PDF form's boxes printed apart; a name spaced out to fill its box.
        (
            "望 月 美 香\n生年月日 1 9 7 3 0 7 2 4\n口座番号 4 6 8 5 5 9 2\n",
            Confidence::High,
            &[Name, BirthDate, AccountNumber],
        ),
        (
            "氏　名　望　月　美　香\n電話 0 6 6 0 1 4 7 9 3 7",
            Confidence::High,
            &[Name, Phone],
        ),
        // An HTML table of boxes (each cell ends with a tab).
        (
            "<!DOCTYPE html><table><tr><td>氏名</td><td>望月 美香</td></tr><tr><td>電話</td><td>0</td><td>6</td><td>-</td><td>6</td><td>0</td><td>1</td><td>4</td><td>-</td><td>7</td><td>9</td><td>3</td><td>7</td></tr></table>",
            Confidence::High,
            &[Name, Phone],
        ),
    ];
    for &(page, confidence, want) in cases {
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(fields(page), Some((confidence, want)), "{page}");
    }
    // Not hers: one digit differs; the separator changes inside the number; six boxes.
    for page in [
        "氏名\t望月 美香\n個人番号\t6\t8\t5\t4\t3\t9\t9\t3\t6\t4\t7\t2\n",
        "氏名\t望月 美香\n個人番号\t6\t8\t5\t4\t3\t9,9\t3\t6\t4\t7\t1\n",
        "氏名\t望月 美香\n電話\t0\t6\t6\t0\t1\t4\n",
    ] {
        assert_eq!(fields(page), Some((Confidence::Low, vec![Name])), "{page}");
    }
    // A megabyte of one-character cells, two digits in every ten: pass 1 follows the run from
    // its first digits only, and it is joined once, as a whole.
    let hostile = "1,2,a,b,c,d,e,f,g,h,".repeat(1 << 16);
    assert!(
        m.scan(&Document::new(hostile.as_bytes()))
            .findings
            .is_empty()
    );
    // The fixture's first member on a graph-paper form (`scripts/fixtures/graph_paper.py`):
    // as the spreadsheet holds it, and as LibreOffice printed it to PDF.
    let m = fixture_member("GRID-1");
    for file in [
        &include_bytes!("../../tests/data/members-graph-paper.xlsx")[..],
        &include_bytes!("../../tests/data/members-graph-paper.pdf")[..],
    ] {
        assert_one_high_finding_with(&m, file, &[Name, NameKana, BirthDate, Phone]);
    }
}

#[test]
fn a_rich_text_file_or_an_outlook_message_s_rtf_body_or_winmail_dat_finds_its_member() {
    let m = fixture_member("RTF-1");
    let found = |file: &[u8]| {
        let report = m.scan(&Document::new(file));
        assert!(report.findings.len() <= 1, "{report:?}");
        report
            .findings
            .first()
            .map(|f| (report.format, f.confidence, f.fields.len()))
    };
    // As LibreOffice saved the list (`\uN?`, and `\uN` with Shift_JIS fallbacks as Word
    // writes them): every field of the member. Read as bytes, the same file gives only its
    // phone number, a low finding.
    let libreoffice = include_bytes!("../../tests/data/rtf/members-libreoffice.rtf");
    let fallback = include_bytes!("../../tests/data/rtf/members-fallback.rtf");
    for file in [&libreoffice[..], &fallback[..]] {
        assert_eq!(
            found(file),
            Some((TextFormat::Archive, Confidence::High, 5))
        );
        let as_bytes = m.scan_text(&String::from_utf8_lossy(file));
        assert!(
            as_bytes.iter().all(|f| f.confidence == Confidence::Low),
            "{as_bytes:?}"
        );
    }
    // Attached to a mail (`application/rtf`).
    let mail = mail_attaching("application/rtf; name=\"list.rtf\"", libreoffice);
    assert_eq!(
        found(mail.as_bytes()),
        Some((TextFormat::Mail, Confidence::High, 5))
    );
    // An Outlook message whose only body is compressed RTF (its name, birth date and phone
    // number in a table of the encapsulated HTML).
    let rtf = include_bytes!("../../tests/data/rtf/outlook-body.lzfu");
    let message = crate::msg::tests::rtf_message("名簿", rtf, None);
    assert_eq!(
        found(&message),
        Some((TextFormat::Mail, Confidence::High, 3))
    );
    // The same body sent through Exchange to another mail program: in `winmail.dat` (TNEF),
    // with a CSV attached beside it; found alone, and attached to a mail.
    let tnef = include_bytes!("../../tests/data/tnef/winmail.dat");
    assert_eq!(
        found(tnef),
        Some((TextFormat::Archive, Confidence::High, 3))
    );
    let mail = mail_attaching("application/ms-tnef; name=\"winmail.dat\"", tnef);
    assert_eq!(
        found(mail.as_bytes()),
        Some((TextFormat::Mail, Confidence::High, 3))
    );
}

#[test]
fn an_encrypted_zip_pdf_or_office_file_is_read_with_the_operator_s_password_or_its_mailbox_s() {
    let m = || fixture_member("ZIP-1");
    let found = |m: &Matcher, file: &[u8]| {
        let report = m.scan(&Document::new(file));
        assert!(report.findings.len() <= 1, "{report:?}");
        report
            .findings
            .first()
            .map(|f| (f.confidence, f.fields.len()))
    };
    // 7-Zip's AES-256: nothing without the password, the member with the operator's list.
    let aes = include_bytes!("../../tests/data/zip/members-aes256.zip");
    assert_eq!(found(&m(), aes), None);
    let with = m().with_passwords(Passwords::from_lines("infected\nLeak2026!\n"));
    assert_eq!(found(&with, aes), Some((Confidence::High, 5)));
    // "PPAP": the archive attached to one mail (ZipCrypto, `zip -P`), its password in the
    // next (ISO-2022-JP, `パスワード：…`); written by Python's `email` package.
    let mbox = include_bytes!("../../tests/data/zip/ppap.mbox");
    let report = m().scan(&Document::new(mbox));
    assert_eq!(report.format, TextFormat::Mail);
    assert_eq!(found(&m(), mbox), Some((Confidence::High, 5)));
    // The first mail alone gives nothing (its "パスワードは別途お送りします" is no password).
    let second = memchr::memmem::rfind(mbox, b"\nFrom ").unwrap();
    assert_eq!(found(&m(), &mbox[..second + 1]), None);
    // The same with a PDF file that needs a password (the LibreOffice fixture, encrypted by
    // qpdf with AES-256, revision 6), attached to one mail, its password on the line after
    // `【パスワード】` in the next.
    let mbox = include_bytes!("../../tests/data/encrypted/ppap-pdf.mbox");
    assert_eq!(found(&m(), mbox), Some((Confidence::High, 5)));
    let second = memchr::memmem::rfind(mbox, b"\nFrom ").unwrap();
    let first = &mbox[..second + 1];
    assert_eq!(found(&m(), first), None);
    let pdf_with = m().with_passwords(Passwords::from_lines("Amg-2026#pdf"));
    assert_eq!(found(&pdf_with, first), Some((Confidence::High, 5)));
    // An Excel file encrypted with a password to open it (ECMA-376 agile encryption, as Office
    // writes it): nothing without the password, the member with the operator's list; and a
    // Word file so encrypted, mailed with its password (`パスワードは「…」です`) in the next mail.
    let xlsx = include_bytes!("../../tests/data/encrypted/members-password.xlsx");
    assert_eq!(found(&m(), xlsx), None);
    let xlsx_with = m().with_passwords(Passwords::from_lines("Amg-2026#xl"));
    assert_eq!(found(&xlsx_with, xlsx), Some((Confidence::High, 5)));
    let mbox = include_bytes!("../../tests/data/encrypted/ppap-docx.mbox");
    assert_eq!(found(&m(), mbox), Some((Confidence::High, 5)));
    // The same in Office 2007's standard encryption: the Excel file with the operator's list,
    // the Word file with its password mailed after it.
    let xlsx = include_bytes!("../../tests/data/encrypted/members-standard.xlsx");
    assert_eq!(found(&m(), xlsx), None);
    let xlsx_with = m().with_passwords(Passwords::from_lines("Std2007-xl"));
    assert_eq!(found(&xlsx_with, xlsx), Some((Confidence::High, 5)));
    let docx = include_bytes!("../../tests/data/encrypted/members-standard.docx");
    let attached = |password: &str| {
        format!(
            "From a@example.jp\nFrom: a@example.jp\nSubject: meibo\n\
             Content-Type: multipart/mixed; boundary=b\n\n--b\n\
             Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\n\
             Content-Transfer-Encoding: base64\n\n{}\n--b--\n\n\
             From a@example.jp\nFrom: a@example.jp\nSubject: pw\n\
             Content-Type: text/plain; charset=utf-8\n\n\
             パスワードは「{password}」です。\n",
            fingerprints::leaks::base64(docx)
        )
    };
    assert_eq!(
        found(&m(), attached("標準2007!").as_bytes()),
        Some((Confidence::High, 5))
    );
    assert_eq!(found(&m(), attached("標準2007").as_bytes()), None);
    // The matcher's `Debug` shows how many passwords it has, never one.
    let shown = format!("{with:?}");
    assert!(
        shown.contains("Passwords(2)") && !shown.contains("Leak2026"),
        "{shown}"
    );
}

#[test]
fn encrypted_files_no_password_opened_are_counted_as_locked() {
    let m = fixture_member("LOCK-1");
    let with =
        |passwords: &str| fixture_member("LOCK-1").with_passwords(Passwords::from_lines(passwords));
    let locked = |m: &Matcher, file: &[u8]| m.scan(&Document::new(file)).locked;
    let standard = include_bytes!("../../tests/data/encrypted/members-standard.xlsx");
    assert_eq!(locked(&m, standard), 1);
    assert_eq!(locked(&with("Std2007-xl"), standard), 0);
    let seven = include_bytes!("../../tests/data/7z/members-aes-header.7z");
    assert_eq!(locked(&m, seven), 1);
    assert_eq!(locked(&with("Leak2026!"), seven), 0);
    // A mailbox: locked while the password mail is missing.
    let mbox = include_bytes!("../../tests/data/encrypted/ppap-docx.mbox");
    assert_eq!(locked(&m, mbox), 0);
    let second = memchr::memmem::rfind(mbox, b"\nFrom ").unwrap();
    assert_eq!(locked(&m, &mbox[..second + 1]), 1);
    // Two encrypted files in one ZIP archive.
    let zip = crate::archive::tests::zip(
        &[
            ("a.xlsx", standard.as_slice()),
            ("b.7z", seven.as_slice()),
            ("c.txt", "山口 大介".as_bytes()),
        ],
        false,
    );
    let report = m.scan(&Document::new(&zip));
    assert_eq!((report.locked, report.records), (2, 1));
    // Encryptions not read: an Excel file obfuscated with XOR (its `FilePass` says type 0), a
    // Word file so obfuscated (`fObfuscation`), a PDF file encrypted for a certificate.
    let mut xls = include_bytes!("../../tests/data/encrypted/members-password.xls").to_vec();
    // `FilePass` (0x002F), its size, RC4 (1) and the header's version 1.1.
    let file_pass = (0..xls.len() - 10)
        .find(|&k| xls[k..k + 2] == [0x2F, 0] && xls[k + 4..k + 10] == [1, 0, 1, 0, 1, 0])
        .unwrap();
    xls[file_pass + 4] = 0;
    assert_eq!(locked(&with("Amg-2026#xl"), &xls), 1);
    let mut doc = include_bytes!("../../tests/data/encrypted/members-password.doc").to_vec();
    let fib = memchr::memmem::find(&doc, &[0xEC, 0xA5]).unwrap();
    doc[fib + 0x0B] |= 0x80;
    assert_eq!(locked(&with("会員2026!"), &doc), 1);
    let pdf = include_bytes!("../../tests/data/encrypted/password-aes-128.pdf");
    let at = memchr::memmem::find(pdf, b"/Standard").unwrap();
    let mut certificate = pdf[..at].to_vec();
    certificate.extend_from_slice(b"/Adobe.PubSec");
    certificate.extend_from_slice(&pdf[at + 9..]);
    assert_eq!(locked(&m, &certificate), 1);
    // A PowerPoint 97–2003 file encrypted with a password (its `Current User` stream's token
    // says so): not read, counted.
    let clear = include_bytes!("../../tests/data/members-slides.ppt");
    let report = m.scan(&Document::new(clear));
    assert_eq!((report.locked, report.records), (0, 1));
    let token = memchr::memmem::find(clear, &[0x14, 0, 0, 0, 0x5F, 0xC0, 0x91, 0xE3]).unwrap();
    let mut ppt = clear.to_vec();
    ppt[token + 4..token + 8].copy_from_slice(&0xF3D1_C4DFu32.to_le_bytes());
    let report = m.scan(&Document::new(&ppt));
    assert_eq!((report.locked, report.records), (1, 0));
    // Nothing encrypted.
    assert_eq!(locked(&m, "山口 大介".as_bytes()), 0);
    assert_eq!(
        locked(&m, include_bytes!("../../tests/data/members.xls")),
        0
    );
}

#[test]
fn encrypted_messages_pasted_in_armour_count_as_locked() {
    // A leaker's "part 2, key on request": OpenPGP's and age's ASCII armour, in a paste, a
    // web page and a mail's body (inline PGP). A message signed in clear and a public key are
    // no encrypted data; a PGP/MIME message counts once (its control part and its armoured
    // data are one message).
    let m = fixture_member("ARMOUR-1");
    let report = |text: &str| m.scan(&Document::new(text.as_bytes()));
    let pgp = "-----BEGIN PGP MESSAGE-----\n\nhQEMA1u2Zg6nPjUMAQf/Yq0=\n=Zx4k\n-----END PGP MESSAGE-----\n";
    let age = "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+\n\
               -----END AGE ENCRYPTED FILE-----\n";
    let signed = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n山口 大介\n\
                  -----BEGIN PGP SIGNATURE-----\n\niQEz\n-----END PGP SIGNATURE-----\n\
                  -----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQIN\n-----END PGP PUBLIC KEY BLOCK-----\n";
    let paste = format!("尼崎 dump part 2, key on request\n{pgp}{age}{pgp}");
    let r = report(&paste);
    assert_eq!((r.format, r.locked), (TextFormat::Plain, 3));
    let r = report(signed);
    assert_eq!((r.locked, r.records), (0, 1));
    let page =
        format!("<!DOCTYPE html><html><body><h1>fresh JP fullz</h1><pre>{pgp}</pre></body></html>");
    let r = report(&page);
    assert_eq!((r.format, r.locked), (TextFormat::Html, 1));
    // A subject in an encoded word (`名簿`) makes them mail to decode.
    let head = "From: a@example.com\r\nSubject: =?UTF-8?B?5ZCN57C/?=\r\nMIME-Version: 1.0\r\n";
    let inline = format!("{head}Content-Type: text/plain\r\n\r\n{pgp}");
    let r = report(&inline);
    assert_eq!((r.format, r.locked), (TextFormat::Mail, 1));
    let pgp_mime = format!(
        "{head}Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; \
         boundary=\"e\"\r\n\r\n--e\r\nContent-Type: application/pgp-encrypted\r\n\r\n\
         Version: 1\r\n--e\r\nContent-Type: application/octet-stream\r\n\r\n{pgp}--e--\r\n"
    );
    let r = report(&pgp_mime);
    assert_eq!((r.format, r.locked), (TextFormat::Mail, 1));
    // Only the armour's first line counts: one cut after it still does; a quote of the
    // words without the dashes does not.
    assert_eq!(report("-----BEGIN PGP MESSAGE-----").locked, 1);
    assert_eq!(
        report("paste it from BEGIN PGP MESSAGE to the end").locked,
        0
    );
}

#[test]
fn a_legacy_database_s_file_in_euc_jp_or_shift_jis_is_read_in_its_charset() {
    // A Japanese database of a Unix server created `EUC_JP` (PostgreSQL 15's heap file,
    // `scripts/fixtures/postgres_heap.sh … EUC_JP`), and a dBase table in code page 932 with
    // the readings in half-width katakana (`scripts/fixtures/dbase.py`). Before, only their
    // ASCII was read: of the heap, the phone number alone, a low finding; of the table, the
    // birth date and the phone number.
    let m = fixture_member("DB-1");
    use FieldKind::*;
    let heap = &include_bytes!("../../tests/data/members-postgres-eucjp.heap")[..];
    let dbase = &include_bytes!("../../tests/data/members-cp932.dbf")[..];
    for (file, fields) in [
        (heap, vec![Name, NameKana, Address, Phone]),
        (dbase, vec![Name, NameKana, BirthDate, Address, Phone]),
    ] {
        let f = one_high_finding(&m, file, TextFormat::Strings);
        assert_eq!(f.fields, fields);
    }
    // In an archive of the files: one finding, its spans in both.
    let zip =
        crate::archive::tests::zip(&[("base/16384/16389", heap), ("MEMBERS.DBF", dbase)], false);
    let f = one_high_finding(&m, &zip, TextFormat::Archive);
    assert_eq!(f.spans.iter().filter(|s| s.kind == Name).count(), 2);
}

#[test]
fn a_database_s_data_file_or_a_utf16_table_is_read_for_its_text_runs() {
    // A leak of a whole server's disk holds its databases' files. PostgreSQL's heap file of a
    // table of three members (as PostgreSQL 15 wrote it, `scripts/fixtures/postgres_heap.sh`):
    // the rows' text between binary headers, lengths and numbers, the birth date a binary
    // `date`. And SQL Server's or Access's way: `nvarchar` values in UTF-16, at either parity.
    let m = fixture_member("DB-1");
    let found = |file: &[u8]| {
        let report = m.scan(&Document::new(file));
        assert!(report.findings.len() <= 1, "{report:?}");
        let f = report.findings.first()?;
        Some((report.format, f.confidence, f.fields.clone()))
    };
    use FieldKind::*;
    let heap = include_bytes!("../../tests/data/members-postgres.heap");
    assert_eq!(
        found(heap),
        Some((
            TextFormat::Strings,
            Confidence::High,
            vec![Name, NameKana, Address, Phone]
        ))
    );
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    for pad in [0, 1] {
        let mut page = vec![0x11u8; 600 + pad];
        for (i, value) in [
            "山口 大介",
            "ヤマグチ ダイスケ",
            "兵庫県尼崎市東七松町1丁目23番4号",
            "090-6682-8625",
        ]
        .into_iter()
        .enumerate()
        {
            // A column's length and offset, then its value.
            page.extend([0x30 + i as u8, 0x00, 0x12, 0x00]);
            page.extend(utf16(value));
        }
        page.extend([0x07, 0x88, 0x02, 0x00].repeat(100));
        assert_eq!(
            found(&page),
            Some((
                TextFormat::Strings,
                Confidence::High,
                vec![Name, NameKana, Address, Phone]
            )),
            "{pad}"
        );
    }
    // In an archive of the server's files, or attached to a mail as an unknown type.
    let zip = crate::archive::tests::zip(&[("base/16384/16389", heap)], false);
    assert_eq!(
        found(&zip).map(|f| (f.0, f.1)),
        Some((TextFormat::Archive, Confidence::High))
    );
    let mail = mail_attaching("application/octet-stream; name=\"16389\"", heap);
    assert_eq!(
        found(mail.as_bytes()).map(|f| (f.0, f.1)),
        Some((TextFormat::Mail, Confidence::High))
    );
    // Pictures, programs and short binary files are still skipped as binary.
    let mut jpeg = b"\xFF\xD8\xFF\xE0".to_vec();
    jpeg.extend(heap);
    let mut elf = b"\x7FELF".to_vec();
    elf.extend(heap);
    for file in [&jpeg[..], &elf, &heap[..500]] {
        let report = m.scan(&Document::new(file));
        assert_eq!(report.skipped, Some(crate::SkipReason::Binary));
    }
}

#[test]
fn a_rar_archive_finds_its_member_and_an_encrypted_one_is_locked() {
    use FieldKind::*;
    // `scripts/fixtures/rar.sh`: the Shift_JIS CSV and the Excel 97 workbook of the 7z
    // fixture, in RAR 5, RAR 4, and RAR 4 solid.
    let m = fixture_member("RAR-1");
    for file in [
        &include_bytes!("../../tests/data/rar/members-rar5.rar")[..],
        include_bytes!("../../tests/data/rar/members-rar4.rar"),
        include_bytes!("../../tests/data/rar/members-rar4-solid.rar"),
    ] {
        assert_one_high_finding_with(&m, file, &[Name, NameKana, BirthDate, Phone]);
        assert_eq!(m.scan(&Document::new(file)).locked, 0);
        // Cut by a size cap inside the workbook: the CSV, which holds her too.
        let cut = &file[..file.len() - 3000];
        assert_one_high_finding_with(&m, cut, &[Name, BirthDate, Phone]);
        // Attached to a mail.
        let mail = mail_attaching("application/vnd.rar", file);
        let report = m.scan(&Document::new(mail.as_bytes()));
        assert_eq!(report.findings.len(), 1, "{report:?}");
    }
    // Encrypted (`rar a -p`, `-hp`) with `Leak2026!`: read with the operator's password;
    // without it, counted as locked.
    let with = fixture_member("RAR-1").with_passwords(Passwords::from_lines("infected\nLeak2026!"));
    for file in [
        &include_bytes!("../../tests/data/rar/members-rar5-aes.rar")[..],
        include_bytes!("../../tests/data/rar/members-rar5-aes-header.rar"),
        include_bytes!("../../tests/data/rar/members-rar4-aes.rar"),
        include_bytes!("../../tests/data/rar/members-rar4-aes-header.rar"),
    ] {
        let report = m.scan(&Document::new(file));
        assert_eq!((report.findings.len(), report.locked), (0, 1), "{report:?}");
        assert_one_high_finding_with(&with, file, &[Name, NameKana, BirthDate, Phone]);
        assert_eq!(with.scan(&Document::new(file)).locked, 0);
    }
    // Both files of an encrypted RAR 4 solid archive, and of a RAR 5 one.
    for file in [
        &include_bytes!("../../tests/data/rar/members-rar4-aes-solid.rar")[..],
        include_bytes!("../../tests/data/rar/members-rar5-aes-two.rar"),
    ] {
        assert_one_high_finding_with(&with, file, &[Name, NameKana, BirthDate, Phone]);
        let report = with.scan(&Document::new(&file[..file.len() - 3000]));
        assert_eq!((report.findings.len(), report.locked), (1, 0), "{report:?}");
    }
}
