use super::*;
use fingerprints::leaks::pdf_file;

/// A page LibreOffice 7.4 wrote (`writer_web_pdf_Export`, from an HTML page): a paragraph
/// with a hyperlink, a table of a header row, three members (each cell's text as LibreOffice
/// wraps it, a cell's lines before the next cell's) and 60 filler rows over five pages, and
/// two closing paragraphs, Japanese and English, wrapped at the page's width. Its fonts are
/// TrueType subsets with one-byte codes and `/ToUnicode` CMaps.
const MEMBERS: &[u8] = include_bytes!("../../tests/data/members.pdf");

fn text_of(file: &[u8]) -> String {
    let mut out = String::new();
    let mut budget = usize::MAX;
    read_pdf(file, &mut budget, &mut out);
    out
}

/// A PDF file of `objects` (numbered from 1; the first the catalog) and a trailer.
fn file(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    for (k, o) in objects.iter().enumerate() {
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", k + 1).as_bytes());
    }
    out.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

/// A stream object's text: `dict`'s entries, `/Length`, and `data`.
fn stream(dict: &str, data: &[u8]) -> String {
    format!(
        "<< {dict} /Length {} >>\nstream\n{}\nendstream",
        data.len(),
        String::from_utf8_lossy(data)
    )
}

/// A one-page file whose page shows `content`, in a simple font `/F1` (Windows-1252) and
/// with `more` objects from number 5 on.
fn one_page(content: &str, more: &[String]) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 \
         << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> /XObject << /X1 5 0 R >> >> >>"
            .to_owned(),
        stream("", content.as_bytes()),
    ];
    objects.extend_from_slice(more);
    file(&objects)
}

#[test]
fn a_page_libreoffice_wrote_reads_as_lines_and_rows() {
    let text = text_of(MEMBERS);
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        &lines[..6],
        [
            "個人情報につき取扱注意。詳細は こちら を参照。",
            "氏名\tフリガナ\t生年月日\t住所\t電話番号",
            // Each cell's two lines joined.
            "山口 大介\tヤマグチ ダイスケ\t1968年9月18日\t兵庫県尼崎市東七松町1丁目23番4号\t090-6682-8625",
            "前田 花子\tマエダ ハナコ\t昭和45年1月2日\t尼崎市南塚口町2-5-10",
            "佐藤 健\tサトウ ケン\t尼崎市塚口本町3丁目\t06-1234-5678",
            "会員0000\t備考欄テキスト\t0",
        ],
        "{text}"
    );
    assert_eq!(lines[64], "会員0059\t備考欄テキスト\t59");
    // The paragraphs, wrapped at the page's width, read whole.
    assert!(lines[65].starts_with("以上、担当：総務課"), "{}", lines[65]);
    assert!(
        lines[65]
            .ends_with("連絡先は兵庫県尼崎市東七松町一丁目二十三番四号、電話 06-6489-1234 です。")
    );
    assert_eq!(
        lines[66],
        "Contact: Daisuke Yamaguchi, born 18 September 1968, at 1-23-4 Higashinanamatsucho, \
         Amagasaki, phone +81 90 6682 8625, for corrections to this list of members of the \
         association."
    );
    assert_eq!(lines.len(), 67);
}

const LINES: [&str; 6] = [
    "会員名簿（取扱注意）",
    "氏名\tフリガナ\t生年月日\t住所\t電話番号",
    "山口 大介\tヤマグチ ダイスケ\t1968年9月18日\t兵庫県尼崎市東七松町1丁目23番4号\t090-6682-8625",
    "前田 花子\tマエダ ハナコ\tS45.1.2\t兵庫県尼崎市崇徳院2丁目33番20号 フォレスト常光寺 207\t06-1234-5678",
    "佐藤 健\tサトウ ケン\t\t尼崎市塚口本町3-4-5\t",
    "以上。住所変更の届出は次のとおり。変更届：田中 一郎（タナカ イチロウ）様、生年月日昭和50年3月4日、\
     新住所兵庫県尼崎市昭和通2-3-4、連絡先090-1234-5678。Contact Daisuke Yamaguchi at 1-23-4 \
     Higashinanamatsucho, Amagasaki.",
];

#[test]
fn files_the_leak_writer_wrote_read_back() {
    // With a cross-reference table, and with the objects in an object stream.
    for packed in [false, true] {
        let text = text_of(&pdf_file(&LINES, packed));
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        // An empty cell leaves no gap of its own: the cells around it are one tab apart.
        let mut want = LINES.to_vec();
        want[4] = "佐藤 健\tサトウ ケン\t尼崎市塚口本町3-4-5";
        assert_eq!(lines, want, "packed: {packed}");
    }
    // Pages in order.
    let many: Vec<String> = (0..200).map(|i| format!("会員{i:04}\t{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let text = text_of(&pdf_file(&many, true));
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines, many);
}

/// The files of `matcher/tests/data/encrypted/`: [`LINES`] written by `pdf_file` (`plain`:
/// with a cross-reference table; `packed`: in an object stream), then encrypted by qpdf 11.3
/// with an empty user password (`qpdf --encrypt "" owner BITS …`), and five times with the
/// user password `secret` and the owner password `owner` (the same from `plain` and `packed`
/// as qpdf decrypted them, `qpdf --decrypt`).
const ENCRYPTED: [(&str, &[u8]); 10] = [
    // Revision 2: RC4, 40 bits (from `plain`).
    (
        "rc4-40",
        include_bytes!("../../tests/data/encrypted/rc4-40.pdf"),
    ),
    // Revision 3: RC4, 128 bits (from `plain`).
    (
        "rc4-128",
        include_bytes!("../../tests/data/encrypted/rc4-128.pdf"),
    ),
    // Revision 4: AES-128, `/AESV2` crypt filters (from `packed`: the object stream is
    // encrypted, its objects' strings are not).
    (
        "aes-128",
        include_bytes!("../../tests/data/encrypted/aes-128.pdf"),
    ),
    // Revision 5 (Adobe's extension level 3): AES-256, SHA-256 (from `plain`).
    (
        "aes-256-r5",
        include_bytes!("../../tests/data/encrypted/aes-256-r5.pdf"),
    ),
    // Revision 6 (PDF 2.0): AES-256, Algorithm 2.B (from `packed`).
    (
        "aes-256",
        include_bytes!("../../tests/data/encrypted/aes-256.pdf"),
    ),
    // The user password `secret`: revisions 6, 3, 2, 4 and 5.
    (
        "password-aes-256",
        include_bytes!("../../tests/data/encrypted/password-aes-256.pdf"),
    ),
    (
        "password-rc4-128",
        include_bytes!("../../tests/data/encrypted/password-rc4-128.pdf"),
    ),
    (
        "password-rc4-40",
        include_bytes!("../../tests/data/encrypted/password-rc4-40.pdf"),
    ),
    (
        "password-aes-128",
        include_bytes!("../../tests/data/encrypted/password-aes-128.pdf"),
    ),
    (
        "password-aes-256-r5",
        include_bytes!("../../tests/data/encrypted/password-aes-256-r5.pdf"),
    ),
];

#[test]
fn files_encrypted_with_an_empty_user_password_read_as_the_plain_ones() {
    let plain = text_of(&pdf_file(&LINES, false));
    assert!(plain.contains("山口 大介\tヤマグチ ダイスケ"), "{plain}");
    for (name, file) in ENCRYPTED {
        let mut out = String::new();
        let read = read_pdf(file, &mut usize::MAX.clone(), &mut out);
        if name.starts_with("password") {
            // A file that needs a password gives nothing but its lock.
            assert!(matches!(read, Pdf::Locked(_)), "{name}: {read:?}");
            assert_eq!(out, "", "{name}");
        } else {
            assert!(matches!(read, Pdf::Read), "{name}: {read:?}");
            assert_eq!(out, plain, "{name}");
        }
    }
    // A file LibreOffice wrote, encrypted by qpdf with AES-256 and no copying allowed.
    assert_eq!(
        text_of(include_bytes!("../../tests/data/members-aes256.pdf")),
        text_of(MEMBERS)
    );
}

#[test]
fn files_that_need_a_password_read_with_the_user_or_the_owner_password() {
    let plain = text_of(&pdf_file(&LINES, false));
    for (name, file) in ENCRYPTED.iter().filter(|(n, _)| n.starts_with("password")) {
        let mut out = String::new();
        let Pdf::Locked(lock) = read_pdf(file, &mut usize::MAX.clone(), &mut out) else {
            panic!("{name} is locked");
        };
        // Wrong passwords: none, near misses, a long one.
        for wrong in [&b""[..], b"secreT", b"secret ", b"Owner", &[b'x'; 200]] {
            assert!(lock.open(wrong).is_none(), "{name}: {wrong:?}");
        }
        for password in [&b"secret"[..], b"owner"] {
            let key = lock.open(password).expect(name);
            let mut out = String::new();
            read_pdf_with(file, key, &mut usize::MAX.clone(), &mut out);
            assert_eq!(out, plain, "{name} with {password:?}");
        }
        // The key's and the lock's `Debug` show no key material.
        let shown = format!("{lock:?} {:?}", lock.open(b"secret"));
        assert!(shown.contains("bytes") && shown.len() < 200, "{shown}");
    }
}

#[test]
fn encrypted_files_not_opened_give_nothing() {
    let plain = pdf_file(&LINES, false);
    let at = memchr::memmem::find(&plain, b"/Root 1 0 R").expect("a trailer");
    // A dictionary with no `/R`, `/O` or `/U`; a certificate's security handler; a revision
    // not read.
    for encrypt in [
        "<< /Filter /Standard /V 2 >>",
        "<< /Filter /Adobe.PubSec /V 4 /R 4 /O <00> /U <00> >>",
        "<< /Filter /Standard /V 7 /R 7 /O <00> /U <00> >>",
        "<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> >>",
        "<< /Filter /Standard /V 5 /R 6 /O <00> /U <00> /UE <00> >>",
    ] {
        let mut encrypted = plain[..at].to_vec();
        encrypted.extend_from_slice(format!("/Encrypt {encrypt} ").as_bytes());
        encrypted.extend_from_slice(&plain[at..]);
        let mut out = String::new();
        let read = read_pdf(&encrypted, &mut usize::MAX.clone(), &mut out);
        assert!(matches!(read, Pdf::Closed | Pdf::Locked(_)), "{encrypt}");
        assert_eq!(out, "", "{encrypt}");
    }
}

#[test]
fn strings_of_an_encrypted_file_are_decrypted_with_their_object_s_key() {
    // A form field's value in an RC4-encrypted file (revision 3, as qpdf wrote `rc4-128`):
    // encrypted here with the key of its object and generation, as a writer does (RC4 is its
    // own inverse), then read back as a field's value.
    let file = ENCRYPTED[1].1;
    let mut objects = Objects::read(file);
    assert!(matches!(objects.decrypt(), Access::Open));
    let crypt = objects.crypt.as_ref().expect("opened");
    // A text string in UTF-16BE, as writers give one that is not Latin.
    let name: Vec<u8> = [0xFEFF]
        .into_iter()
        .chain("山口 大介".encode_utf16())
        .flat_map(u16::to_be_bytes)
        .collect();
    let value = crypt.string(40, 2, &name);
    assert_ne!(value, name);
    let hex: String = value.iter().map(|b| format!("{b:02X}")).collect();
    let mut with_field = file.to_vec();
    let at = memchr::memmem::rfind(&with_field, b"trailer").expect("a trailer");
    with_field.splice(
        at..at,
        format!(
            "40 2 obj\n<< /T (name) /V <{hex}> >>\nendobj\n\
             41 0 obj\n<< /T (name) /V 42 0 R >>\nendobj\n\
             42 0 obj\n<{by_reference}>\nendobj\n",
            by_reference = crypt
                .string(42, 0, &name)
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<String>()
        )
        .bytes(),
    );
    // The value given in the field, and the one given by reference (its own object's key).
    let text = text_of(&with_field);
    assert!(text.ends_with("\n山口 大介\n山口 大介\n"), "{text}");
    // Decrypted with another object's key, it is not the name.
    assert_eq!(crypt.string(40, 2, &value), name);
    assert_ne!(crypt.string(40, 0, &value), name);
}

#[test]
fn forms_actual_text_inline_images_and_filters() {
    // A form XObject's text, in its own matrix; an `/ActualText` standing for its glyphs
    // (LibreOffice's way with a glyph its font lacks); an inline image whose data holds `EI`;
    // `Tj`, `'`, `"` and `TJ`; a content stream in ASCIIHex; a form field's value.
    let content = "BT /F1 12 Tf 1 0 0 1 50 700 Tm (Name:) Tj ET\n\
                   /Span << /ActualText <FEFF5C7153E3> >> BDC BT 1 0 0 1 100 700 Tm /F1 12 Tf <0101> Tj ET EMC\n\
                   BI /W 4 /H 1 /BPC 8 /CS /G ID \x01EI\x02 EI\n\
                   q 1 0 0 1 0 -200 cm /X1 Do Q\n\
                   BT /F1 12 Tf 14 TL 50 500 Td [(Dai) -20 (suke) -600 (1968)] TJ (next line) ' 1 0 (quoted) \" ET";
    let form = stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 500 500] /Matrix [1 0 0 1 0 50] \
         /Resources << /Font << /F1 << /Subtype /Type1 >> >> >>",
        b"BT /F1 12 Tf 50 750 Td (In the form) Tj ET",
    );
    let hex: String = content.bytes().map(|b| format!("{b:02X}")).collect();
    let field = "<< /FT /Tx /T (phone) /V <FEFF0030003600200031003200330034> >>".to_owned();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 \
         << /Subtype /Type1 >> >> /XObject << /X1 5 0 R >> >> >>"
            .to_owned(),
        stream("/Filter /ASCIIHexDecode", format!("{hex}>").as_bytes()),
    ];
    objects.push(form);
    objects.push(field);
    let text = text_of(&file(&objects));
    assert_eq!(
        text, "Name:\t山口\nIn the form\nDaisuke 1968\nnext line\nquoted\n\n06 1234\n",
        "{text}"
    );
}

#[test]
fn other_writers_fonts() {
    // A composite font with a predefined Japanese CMap and no `/ToUnicode` (older Japanese
    // writers' non-embedded fonts): its strings are Shift_JIS.
    let sjis = encoding_rs::SHIFT_JIS.encode("山口 大介").0.into_owned();
    let hex: String = sjis.iter().map(|b| format!("{b:02X}")).collect();
    let content = format!("BT /F2 12 Tf 50 700 Td <{hex}> Tj ET");
    let objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources 5 0 R >>".to_owned(),
        stream("", content.as_bytes()),
        "<< /Font << /F2 6 0 R >> >>".to_owned(),
        "<< /Type /Font /Subtype /Type0 /BaseFont /MS-Mincho /Encoding /90ms-RKSJ-H \
         /DescendantFonts [7 0 R] >>"
            .to_owned(),
        "<< /Type /Font /Subtype /CIDFontType0 /DW 1000 >>".to_owned(),
    ];
    assert_eq!(text_of(&file(&objects)), "山口 大介\n\n");
}

#[test]
fn broken_files_give_what_they_hold() {
    // No catalog: the pages by their type; a stream without `/Length`; an object defined
    // again later (an incremental update) replacing the first.
    let objects = [
        "<< /Type /Pages /Kids [2 0 R] >>".to_owned(),
        "<< /Type /Page /Parent 1 0 R /Contents 3 0 R >>".to_owned(),
        "<<>>\nstream\nBT 50 700 Td (first) Tj ET\nendstream".to_owned(),
    ];
    let mut bytes = b"%PDF-1.7\n".to_vec();
    for (k, o) in objects.iter().enumerate() {
        bytes.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", k + 1).as_bytes());
    }
    bytes.extend_from_slice(
        b"3 0 obj\n<< /Length 27 >>\nstream\nBT 50 700 Td (second) Tj ET\nendstream\nendobj\n",
    );
    assert_eq!(text_of(&bytes), "second\n\n");
    // Loops: a page tree whose kid is itself, a form that draws itself.
    let looping = one_page(
        "/X1 Do",
        &[stream(
            "/Subtype /Form /Resources << /XObject << /X1 5 0 R >> >>",
            b"BT 0 0 Td (again) Tj ET /X1 Do",
        )],
    );
    assert_eq!(text_of(&looping).matches("again").count(), 7);
    let kids = file(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [2 0 R 3 0 R] >>".to_owned(),
        "<< /Type /Page /Contents 4 0 R >>".to_owned(),
        stream("", b"BT (once) Tj ET"),
    ]);
    assert_eq!(text_of(&kids), "once\n\n");
    // Deep nesting and endless saves.
    let deep = format!(
        "BT (deep) Tj ET {} {}",
        "q ".repeat(50_000),
        "[".repeat(50_000)
    );
    assert!(text_of(&one_page(&deep, &[])).contains("deep"));
}

#[test]
fn cut_and_corrupt_files_give_at_most_what_they_hold() {
    for whole in [
        MEMBERS.to_vec(),
        pdf_file(&LINES, true),
        ENCRYPTED[1].1.to_vec(),
        ENCRYPTED[4].1.to_vec(),
    ] {
        let full = text_of(&whole).len();
        for cut in (0..whole.len()).step_by(97) {
            assert!(text_of(&whole[..cut]).len() <= full, "cut at {cut}");
        }
        let mut corrupt = whole.clone();
        for k in (0..corrupt.len()).step_by(53) {
            corrupt[k] ^= 0x5A;
        }
        // Flipped bytes may map codes to other characters; the budget holds the text.
        let mut out = String::new();
        let mut budget = 4 * full;
        read_pdf(&corrupt, &mut budget, &mut out);
        assert!(out.len() <= 4 * full);
    }
}

#[test]
fn the_budget_bounds_inflating_and_text() {
    // A content stream that inflates to 8 MB of text.
    let content = "BT /F1 12 Tf 50 700 Td (AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA) Tj ET\n"
        .repeat(100_000);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, content.as_bytes()).expect("deflate");
    let deflated = z.finish().expect("deflate");
    let mut bytes = one_page("", &[]);
    bytes.extend_from_slice(
        format!(
            "4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
            deflated.len()
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(&deflated);
    bytes.extend_from_slice(b"\nendstream\nendobj\n");
    let (mut out, mut budget) = (String::new(), 100_000);
    read_pdf(&bytes, &mut budget, &mut out);
    assert_eq!(budget, 0);
    assert!(!out.is_empty() && out.len() <= 100_000, "{}", out.len());
}

#[test]
fn only_pdf_files_are_read_as_pdf() {
    assert!(is_pdf(b"%PDF-1.7\n"));
    assert!(is_pdf(b"\0\0MacBinary header\0%PDF-1.3\n"));
    assert!(!is_pdf(
        b"A PDF file starts with %PDF-1.7 and ends with %%EOF."
    ));
    assert!(!is_pdf(b""));
    // Text that starts like one but has no objects.
    let mut out = String::new();
    assert!(matches!(
        read_pdf(b"%PDF-1.7 is the version", &mut 100, &mut out),
        Pdf::NoObjects
    ));
}

#[test]
fn filters() {
    assert_eq!(ascii_hex(b"48 65 6c6C6>ignored"), b"Hell`");
    assert_eq!(ascii85(b"87cURD]i,\"Ebo80~>"), b"Hello World!");
    assert_eq!(ascii85(b"z~>"), [0; 4]);
    assert_eq!(ascii85(b"9jqo^~>"), b"Man ");
    assert_eq!(ascii85(b"9jqo~>"), b"Man");
}

#[test]
fn hostile_pages_cost_what_they_weigh() {
    // Each of these would take hours if its cost grew with the square of its size (or
    // exponentially): a paragraph of 100,000 wrapped lines, read as one line; 100,000
    // marked-content sequences inside one another around 100,000 strings; forms that draw
    // each other a thousand times on each of eight levels.
    let mut content = String::from("BT /F1 10 Tf 14 TL 0 800 Td\n");
    for _ in 0..100_000 {
        content.push_str(&format!("({}) '\n", "0123456789".repeat(8)));
    }
    content.push_str("ET");
    let text = text_of(&one_page(&content, &[]));
    assert_eq!(text.lines().filter(|l| !l.is_empty()).count(), 1);
    let marked = format!(
        "{} BT {} ET",
        "/Span << /ActualText (x) >> BDC ".repeat(100_000),
        "(y) Tj ".repeat(100_000)
    );
    assert_eq!(text_of(&one_page(&marked, &[])).trim(), "x");
    let draw = "/X1 Do ".repeat(1000);
    let forms = one_page(
        &draw,
        &[stream(
            "/Subtype /Form /Resources << /XObject << /X1 5 0 R >> >>",
            format!("BT (z) Tj ET {draw}").as_bytes(),
        )],
    );
    let (mut out, mut budget) = (String::new(), 1 << 20);
    read_pdf(&forms, &mut budget, &mut out);
    assert_eq!(budget, 0);
}

/// A scan's text layer: page 2 of [`MEMBERS`] rendered at 300 dpi in grey by poppler's
/// `pdftoppm`, then read by Tesseract 5.3.0 (`-l jpn -c textonly_pdf=1 pdf`): invisible text
/// (`3 Tr`) in a glyphless font, a string for each word as Tesseract splits Japanese text (and
/// each word ending with a space), a block of lines for each cell, and some characters misread
/// (`会貞` for `会員`).
const MEMBERS_OCR: &[u8] = include_bytes!("../../tests/data/members-ocr.pdf");

#[test]
fn a_scan_s_text_layer_reads_as_rows() {
    let text = text_of(MEMBERS_OCR);
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        &lines[..3],
        [
            // A paragraph with a link in it: two blocks of words, a cell's gap apart.
            "個人情報\tにつき取扱注意。詳細\tはこちらを参照。",
            "氏名\tフリガナ\t生年月日\t住所",
            // Each cell's two lines joined, no space left between Japanese words.
            "山口大介\tヤマグチダイスケ\t1968年9月18日\t兵庫県尼崎市東七松町1丁目23番4号\t090-6682-8625",
        ],
        "{text}"
    );
    assert_eq!(lines[5], "会員0000\t備考欄テキスト");
}

/// LZW as `LZWDecode` reads it (`/EarlyChange 1`): a clear code first, a clear code when the
/// table is full, and the end code last. (qpdf 11.3 decodes what it writes for `lzw_streams`
/// byte for byte: `qpdf --decode-level=all --show-object=1 --filtered-stream-data`.)
fn lzw_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut bits, mut held, mut width) = (0u64, 0u32, 9u32);
    let mut emit = |code: u16, width: u32| {
        bits = (bits << width) | u64::from(code);
        held += width;
        while held >= 8 {
            out.push((bits >> (held - 8)) as u8);
            held -= 8;
        }
    };
    let mut table: HashMap<(u16, u8), u16> = HashMap::new();
    let mut next = 258u16;
    emit(256, width);
    let mut current: Option<u16> = None;
    for &b in data {
        let Some(c) = current else {
            current = Some(u16::from(b));
            continue;
        };
        if let Some(&n) = table.get(&(c, b)) {
            current = Some(n);
            continue;
        }
        emit(c, width);
        table.insert((c, b), next);
        next += 1;
        // The reader defines each code one code later, and widens one code early.
        if next >= 1 << width && width < 12 {
            width += 1;
        }
        if next == 4095 {
            emit(256, width);
            table.clear();
            next = 258;
            width = 9;
        }
        current = Some(u16::from(b));
    }
    if let Some(c) = current {
        emit(c, width);
    }
    emit(257, width);
    // Zeros to the end of the last byte.
    emit(0, 7);
    out
}

#[test]
fn lzw_streams() {
    // ISO 32000-1's example (7.4.4.2).
    assert_eq!(
        lzw(
            &[0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01],
            true,
            usize::MAX
        ),
        [45, 45, 45, 45, 45, 65, 45, 45, 45, 66]
    );
    // Long enough for 12-bit codes and a table filled twice; the limit; a cut stream.
    let text: String = (0..20_000)
        .map(|i| format!("{} {i}\n", LINES[i % 6]))
        .collect();
    let encoded = lzw_encode(text.as_bytes());
    assert!(encoded.len() < text.len() / 2);
    assert_eq!(lzw(&encoded, true, usize::MAX), text.as_bytes());
    assert_eq!(lzw(&encoded, true, 1000), &text.as_bytes()[..1000]);
    let cut = lzw(&encoded[..encoded.len() / 2], true, usize::MAX);
    assert!(text.as_bytes().starts_with(&cut) && cut.len() > text.len() / 4);
    // A page whose content is LZW-encoded.
    let content = lzw_encode(b"BT /F1 12 Tf 50 700 Td (Daisuke Yamaguchi) Tj ET");
    let mut page = one_page("", &[]);
    let at = memchr::memmem::find(&page, b"4 0 obj").expect("object 4");
    let end = memchr::memmem::find(&page[at..], b"endobj").expect("its end") + at;
    let mut object = format!(
        "4 0 obj\n<< /Filter [/LZWDecode] /DecodeParms [<< /EarlyChange 1 >>] /Length {} >>\nstream\n",
        content.len()
    )
    .into_bytes();
    object.extend_from_slice(&content);
    object.extend_from_slice(b"\nendstream\n");
    page.splice(at..end, object);
    assert_eq!(text_of(&page).trim(), "Daisuke Yamaguchi");
    // Codes not defined yet end the data; bytes of noise give at most what a budget allows.
    assert!(lzw(&[0xFF; 64], true, usize::MAX).is_empty());
    let noise: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(lzw(&noise, true, 5000).len() <= 5000);
}

#[test]
fn annotations_typed_over_a_form_read_as_rows() {
    // An application form with no fields, filled in with text boxes (`/FreeText`) and given a
    // sticky note, as PyMuPDF wrote it (`scripts/fixtures/pdf_annotations.py`); and the same
    // file encrypted by qpdf with RC4 and an empty user password (each annotation's strings
    // under its own object's key). The page's labels come first, then the boxes a line each,
    // in reading order: the name and its reading share a line on the page, and so does the
    // note beside them.
    let want = "会員登録申込書\n氏名\tフリガナ\n生年月日\n住所\n電話番号\n\
                山口 大介\nヤマグチ ダイスケ\n本人確認書類: 確認済み\n昭和43年9月18日\n\
                兵庫県尼崎市東七松町1丁目23番4号\n090-6682-8625\n\n";
    for file in [
        &include_bytes!("../../tests/data/members-annotated.pdf")[..],
        &include_bytes!("../../tests/data/members-annotated-rc4.pdf")[..],
    ] {
        assert_eq!(text_of(file), want);
    }
}

#[test]
fn annotations_direct_by_reference_and_left_out() {
    // `/Annots` given in the page or by reference; annotations direct in it or objects of
    // their own; `/Contents` given or by reference; a widget (its field's value is read as a
    // field), a pop-up (it repeats its note), a link (its words are the page's), an
    // annotation of no kind and empty contents left out; a box without a `/Rect` counts as
    // at the bottom left.
    let page = |annots: &str| {
        format!(
            "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Annots {annots} \
             /Resources << /Font << /F1 << /Subtype /Type1 >> >> >> >>"
        )
    };
    let objects = |annots: &str, more: &[&str]| {
        let mut objects = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            page(annots),
            stream("", b"BT /F1 12 Tf 1 0 0 1 50 700 Tm (Form) Tj ET"),
        ];
        objects.extend(more.iter().map(|o| (*o).to_owned()));
        file(&objects)
    };
    let boxes = [
        "<< /Subtype /FreeText /Rect [300 640 400 660] /Contents (1968/9/18) >>",
        "<< /Subtype /FreeText /Rect [200 690 100 670] /Contents 7 0 R >>",
        "<< /Subtype /Widget /Rect [100 600 200 620] /Contents (widget) >>",
        "<< /Subtype /Popup /Rect [100 500 200 520] /Contents (popup) >>",
        "<< /Subtype /FreeText /Rect [300 672 400 688] /Contents (Yamaguchi\\rDaisuke) >>",
        "<< /Subtype /Text /Contents <FEFF> >>",
        "<< /Subtype /Text /Contents (note) >>",
        "<< /Subtype /Link /Rect [100 700 140 712] /Contents (here) >>",
        "<< /Rect [100 700 140 712] /Contents (what) >>",
    ];
    let want = "Form\nYamaguchi Daisuke\nYamaguchi\nDaisuke\n1968/9/18\nnote\n\n";
    let name = "<FEFF00590061006D006100670075006300680069002000440061006900730075006B0065>";
    // Each annotation an object of its own (5 to 13), the name's contents object 14.
    let own: Vec<String> = boxes.iter().map(|b| b.replace("7 0 R", "14 0 R")).collect();
    let mut more: Vec<&str> = own.iter().map(String::as_str).collect();
    more.push(name);
    let refs = "[5 0 R 6 0 R 7 0 R 8 0 R 9 0 R 10 0 R 11 0 R 12 0 R 13 0 R]";
    assert_eq!(text_of(&objects(refs, &more)), want);
    // Direct in the page's array, the name's contents object 5.
    let direct = format!("[{}]", boxes.join(" ")).replace("7 0 R", "5 0 R");
    assert_eq!(text_of(&objects(&direct, &[name])), want);
    // Direct in an array object of its own (5), the name's contents object 6.
    let array = format!("[{}]", boxes.join(" ")).replace("7 0 R", "6 0 R");
    assert_eq!(text_of(&objects("5 0 R", &[&array, name])), want);
    // A page without annotations, or with something else under `/Annots`.
    for annots in ["[]", "null", "5 0 R", "(x)"] {
        assert_eq!(text_of(&objects(annots, &["42"])), "Form\n\n");
    }
}
