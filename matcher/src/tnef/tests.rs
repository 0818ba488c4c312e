use super::*;

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16()
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect()
}

fn sjis(s: &str) -> Vec<u8> {
    let mut b = encoding_rs::SHIFT_JIS.encode(s).0.into_owned();
    b.push(0);
    b
}

/// An attribute: level, id and type, length, data, checksum.
fn attribute(level: u8, id: u16, kind: u16, data: &[u8]) -> Vec<u8> {
    let mut a = vec![level];
    a.extend_from_slice(&id.to_le_bytes());
    a.extend_from_slice(&kind.to_le_bytes());
    a.extend_from_slice(&(data.len() as u32).to_le_bytes());
    a.extend_from_slice(data);
    let sum = data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
    a.extend_from_slice(&sum.to_le_bytes());
    a
}

/// A MAPI property list: each property's type, id and value (a variable one with its count,
/// size and padding; a named one, id 0x8000 on, with a GUID and a number).
fn properties(list: &[(u16, u16, &[u8])]) -> Vec<u8> {
    let mut p = (list.len() as u32).to_le_bytes().to_vec();
    for &(kind, id, value) in list {
        p.extend_from_slice(&kind.to_le_bytes());
        p.extend_from_slice(&id.to_le_bytes());
        if id >= 0x8000 {
            p.extend_from_slice(&[0x11; 16]);
            p.extend_from_slice(&0u32.to_le_bytes());
            p.extend_from_slice(&0x8501u32.to_le_bytes());
        }
        if matches!(kind, PT_STRING8 | PT_UNICODE | PT_BINARY | PT_OBJECT) {
            p.extend_from_slice(&1u32.to_le_bytes());
            p.extend_from_slice(&(value.len() as u32).to_le_bytes());
            p.extend_from_slice(value);
            p.resize(p.len().next_multiple_of(4), 0);
        } else {
            p.extend_from_slice(value);
        }
    }
    p
}

/// Where an Outlook-style TNEF stream's body comes from.
enum Body<'a> {
    /// `attBody`, beside the compressed RTF.
    Plain(&'a str, &'a [u8]),
    /// `PR_BODY_HTML`, beside the compressed RTF.
    Html(&'a str, &'a [u8]),
    /// `PR_RTF_COMPRESSED` alone, as Outlook sends rich text.
    Rtf(&'a [u8]),
}

/// A `winmail.dat` in the order Outlook writes one: version, code page, message class,
/// subject, the body, the message's properties (the subject again in UTF-16, the code page, a
/// named property), then per attachment its rendering, title, data and properties (its long
/// file name in UTF-16, its size).
fn winmail(subject: &str, body: Body<'_>, attachments: &[(&str, &[u8])]) -> Vec<u8> {
    let mut t = SIGNATURE.to_vec();
    t.extend_from_slice(&0x0102u16.to_le_bytes());
    t.extend(attribute(
        MESSAGE,
        0x9006,
        0x0008,
        &0x0001_0000u32.to_le_bytes(),
    ));
    t.extend(attribute(
        MESSAGE,
        0x9007,
        0x0006,
        &[0xA4, 0x03, 0, 0, 0, 0, 0, 0],
    ));
    t.extend(attribute(
        MESSAGE,
        0x8008,
        0x0007,
        b"IPM.Microsoft Mail.Note\0",
    ));
    t.extend(attribute(MESSAGE, ATT_SUBJECT, 0x0001, &sjis(subject)));
    let (plain, html, rtf) = match body {
        Body::Plain(text, rtf) => (Some(text), None, rtf),
        Body::Html(html, rtf) => (None, Some(html), rtf),
        Body::Rtf(rtf) => (None, None, rtf),
    };
    if let Some(text) = plain {
        t.extend(attribute(MESSAGE, ATT_BODY, 0x0002, &sjis(text)));
    }
    let subject16 = utf16(subject);
    let code_page = 932u32.to_le_bytes();
    let mut list: Vec<(u16, u16, &[u8])> = vec![
        (PT_UNICODE, 0x0037, &subject16),
        (0x0003, 0x3FFD, &code_page),
        (0x000B, 0x8010, &[1, 0, 0, 0]),
        (PT_BINARY, PR_RTF_COMPRESSED, rtf),
    ];
    if let Some(html) = html {
        list.push((PT_BINARY, PR_BODY_HTML, html.as_bytes()));
    }
    t.extend(attribute(
        MESSAGE,
        ATT_MSG_PROPS,
        0x0006,
        &properties(&list),
    ));
    for (name, data) in attachments {
        t.extend(attribute(
            ATTACHMENT,
            ATT_ATTACH_REND_DATA,
            0x0006,
            &[1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0],
        ));
        t.extend(attribute(ATTACHMENT, ATT_ATTACH_TITLE, 0x0001, &sjis(name)));
        t.extend(attribute(ATTACHMENT, ATT_ATTACH_DATA, 0x0006, data));
        let long = utf16(name);
        let size = (data.len() as u32).to_le_bytes();
        t.extend(attribute(
            ATTACHMENT,
            ATT_ATTACHMENT,
            0x0006,
            &properties(&[(PT_UNICODE, 0x3707, &long), (0x0003, 0x0E20, &size)]),
        ));
    }
    t
}

/// Appends an attachment to `t` whose data (`PR_ATTACH_DATA`, of `kind`) is only in its
/// properties.
fn attach(t: &mut Vec<u8>, kind: u16, data: &[u8]) {
    t.extend(attribute(
        ATTACHMENT,
        ATT_ATTACH_REND_DATA,
        0x0006,
        &[0; 14],
    ));
    t.extend(attribute(
        ATTACHMENT,
        ATT_ATTACHMENT,
        0x0006,
        &properties(&[(kind, PR_ATTACH_DATA, data)]),
    ));
}

const RTF: &[u8] = include_bytes!("../../tests/data/rtf/outlook-body.lzfu");

/// A `winmail.dat` [`winmail`] wrote, of the Outlook body of `rtf/outlook-body.lzfu` and a
/// Shift_JIS CSV attached (`名簿.csv`); read back by the Python package `tnefparse` 1.4 (a
/// reader other than ours), which gives the same attachment and RTF body.
const WINMAIL: &[u8] = include_bytes!("../../tests/data/tnef/winmail.dat");

fn csv() -> Vec<u8> {
    encoding_rs::SHIFT_JIS
        .encode("氏名,生年月日,住所\n山口 大介,1968/09/18,尼崎市東七松町1-23-4\n")
        .0
        .into_owned()
}

fn text_of(tnef: &[u8]) -> String {
    crate::archive::extract_archive_text(tnef, 1 << 20).0
}

#[test]
fn the_fixture_is_what_the_builder_writes() {
    assert_eq!(
        winmail("会員名簿の件", Body::Rtf(RTF), &[("名簿.csv", &csv())]),
        WINMAIL
    );
}

#[test]
fn a_winmail_dat_reads_as_its_subject_body_and_attachments() {
    assert!(is_tnef(WINMAIL) && crate::archive::is_archive(WINMAIL));
    let text = text_of(WINMAIL);
    assert!(
        text.starts_with("会員名簿の件\n会員名簿の件\n\n総務課の皆様\n")
            && text.contains("\t山口 大介\t1968/9/18\t090-6682-8625\n")
            && text.contains(
                "名簿.csv\n氏名,生年月日,住所\n山口 大介,1968/09/18,尼崎市東七松町1-23-4\n"
            ),
        "{text}"
    );
    // A plain body is read instead of the RTF, and an HTML body instead of the RTF.
    let text = text_of(&winmail("件名", Body::Plain("本文です", RTF), &[]));
    assert_eq!(text, "件名\n本文です\n件名\n\n");
    let html = "<html><head><style>p{color:red}</style></head><body><p>山口 大介</p></body></html>";
    let text = text_of(&winmail("件名", Body::Html(html, RTF), &[]));
    assert!(
        text.contains("山口 大介") && !text.contains("color") && !text.contains("総務課の皆様"),
        "{text}"
    );
}

#[test]
fn an_attached_message_and_data_in_the_properties_are_read() {
    // A message attached (`PR_ATTACH_DATA_OBJ`: the interface's id, then its own TNEF).
    let inner = winmail(
        "転送: 名簿",
        Body::Plain("中の本文", RTF),
        &[("a.csv", b"x,y\n")],
    );
    let mut object = vec![0x07; 16];
    object.extend_from_slice(&inner);
    let mut t = winmail("FW", Body::Plain("外", RTF), &[]);
    attach(&mut t, PT_OBJECT, &object);
    // An attachment whose data is only in its properties.
    attach(&mut t, PT_BINARY, b"p,q\n");
    let text = text_of(&t);
    assert!(
        text.contains("転送: 名簿\n中の本文\n") && text.contains("x,y\n") && text.contains("p,q\n"),
        "{text}"
    );
}

#[test]
fn hostile_streams_are_bounded() {
    let whole = text_of(WINMAIL);
    for cut in 0..WINMAIL.len() {
        let part = text_of(&WINMAIL[..cut]);
        assert!(
            part.len() <= 2 * whole.len(),
            "{cut}\n{part}\n----\n{whole}"
        );
    }
    // Lengths and counts past the stream's end.
    let mut t = SIGNATURE.to_vec();
    t.extend_from_slice(&[0, 0]);
    t.extend(attribute(
        MESSAGE,
        ATT_MSG_PROPS,
        0x0006,
        &u32::MAX.to_le_bytes(),
    ));
    let mut huge = attribute(MESSAGE, ATT_SUBJECT, 0x0001, b"abc\0");
    huge[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
    t.extend(huge);
    assert_eq!(text_of(&t), "abc\n\n");
    // A property of a type no list has: the list stops there.
    let list = properties(&[(PT_UNICODE, 0x0037, &utf16("a")), (0x0999, 0x0001, b"")]);
    assert_eq!(super::properties(&list).len(), 1);
    // Messages attached inside each other end at MAX_DEPTH.
    let mut nested = winmail("0", Body::Plain("b", RTF), &[]);
    for k in 1..10 {
        let mut object = vec![0; 16];
        object.extend_from_slice(&nested);
        nested = winmail(&k.to_string(), Body::Plain("b", RTF), &[]);
        attach(&mut nested, PT_OBJECT, &object);
    }
    let text = text_of(&nested);
    assert!(
        text.starts_with("9\n") && text.contains("\n6\n") && !text.contains("\n5\n"),
        "{text}"
    );
}

#[test]
#[ignore = "writes the fixture: cargo test -p matcher --lib write_the_fixture -- --ignored"]
fn write_the_fixture() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tnef/winmail.dat");
    std::fs::write(
        path,
        winmail("会員名簿の件", Body::Rtf(RTF), &[("名簿.csv", &csv())]),
    )
    .unwrap();
}
