use proptest::prelude::*;

use super::*;

fn text_of(rtf: &[u8]) -> String {
    let mut out = String::new();
    read_rtf(rtf, &mut { usize::MAX }, &mut out);
    out
}

fn text(rtf: &str) -> String {
    text_of(rtf.as_bytes())
}

/// A member list LibreOffice 7.4 saved as RTF (from an HTML page): a heading, a paragraph with
/// a hyperlink (a field), a table of a header row and three members (one with an empty last
/// cell, one with an empty birth date), and a closing paragraph. Characters above ASCII are
/// `\uN` with `?` as their fallback (`\uc1`).
const LIBREOFFICE: &[u8] = include_bytes!("../../tests/data/rtf/members-libreoffice.rtf");

/// The same list saved as a Word 97 document and that saved as RTF, by LibreOffice 7.4: its
/// fonts are Japanese (`\fcharset128`), and each `\uN` has its character in Shift_JIS as its
/// fallback (`\uc2 \u23665\'8e\'52`), as Word writes them.
const FALLBACK: &[u8] = include_bytes!("../../tests/data/rtf/members-fallback.rtf");

/// An Outlook message's body in the RTF that encapsulates its HTML (`\fromhtml1`), as
/// Japanese Outlook writes it: HTML tags in `\*\htmltag` groups, RTF of its own in
/// `\htmlrtf` runs, the text in Shift_JIS bytes (`\ansicpg932`); and the same compressed by
/// the Python package `compressed_rtf` 1.0.7 (`outlook-body.lzfu`).
const OUTLOOK: &[u8] = include_bytes!("../../tests/data/rtf/outlook-body.rtf");
const OUTLOOK_COMPRESSED: &[u8] = include_bytes!("../../tests/data/rtf/outlook-body.lzfu");

const MEMBERS: &str = "会員名簿（2022年度）\n\
    個人情報につき取扱注意。詳細は こちら を参照。\n\
    氏名\tフリガナ\t生年月日\t住所\t電話番号\n\
    山口 大介\tヤマグチ ダイスケ\t1968年9月18日\t兵庫県尼崎市東七松町1丁目23番4号\t090-6682-8625\n\
    前田 花子\tマエダ ハナコ\t昭和45年1月2日\t尼崎市南塚口町2-5-10\t\n\
    佐藤 健\tサトウ ケン\t\t尼崎市塚口本町3丁目\t06-1234-5678\n\
    以上、担当：総務課\u{3000}田中\n";

#[test]
fn documents_libreoffice_wrote_read_as_paragraphs_and_rows() {
    assert!(is_rtf(LIBREOFFICE) && is_rtf(FALLBACK));
    assert_eq!(text_of(LIBREOFFICE), MEMBERS);
    // The heading's outline number is a tab of its own.
    assert_eq!(text_of(FALLBACK), format!("\t{MEMBERS}"));
}

#[test]
fn bytes_in_the_font_s_code_page_read_as_unicode_does() {
    // Without its `\uN`, the file is what WordPad and older Word write: Shift_JIS bytes in a
    // Japanese font.
    let mut bytes_only = Vec::new();
    let mut i = 0;
    while i < FALLBACK.len() {
        let unicode = FALLBACK[i..].starts_with(b"\\u")
            && FALLBACK
                .get(i + 2)
                .is_some_and(|c| c.is_ascii_digit() || *c == b'-');
        if unicode {
            i += 3;
            while FALLBACK[i].is_ascii_digit() {
                i += 1;
            }
            if FALLBACK[i] == b' ' {
                i += 1;
            }
        } else {
            bytes_only.push(FALLBACK[i]);
            i += 1;
        }
    }
    assert!(!bytes_only.windows(3).any(|w| w == b"\\u2"));
    assert_eq!(text_of(&bytes_only), text_of(FALLBACK));
}

#[test]
fn escapes_code_pages_and_destinations() {
    let cases: &[(&str, &str)] = &[
        // Shift_JIS bytes in the document's code page, and in a Japanese font's.
        (r"{\rtf1\ansi\ansicpg932 \'8e\'52\'8c\'fb\par}", "山口\n"),
        (
            r"{\rtf1\ansi{\fonttbl{\f0\froman Times;}{\f1\fnil\fcharset128 MS Mincho;}}\f1 \'8e\'52\f0 A\'e9}",
            "山Aé",
        ),
        // A trail byte left unescaped (0x83 0x41, `ア`).
        (r"{\rtf1\ansi\ansicpg932 \'83A\'83C}", "アイ"),
        // Fonts named without groups, as TextEdit writes the table; a Cyrillic font.
        (
            r"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;\f1\fnil\fcharset204 Arial;}\f1\'c8\'e2\'e0\'ed}",
            "Иван",
        ),
        (
            r"{\rtf1\ansi{\fonttbl{\f0\fnil\cpg949 Gulim;}}\f0\'c8\'ab}",
            "홍",
        ),
        // Double-byte text in the associated font, as Word and LibreOffice write it.
        (
            r"{\rtf1\ansi{\fonttbl{\f3\froman\fcharset0 Serif;}{\f6\fnil\fcharset128 Sans;}}\hich\af3\loch\f3\dbch\af6{\dbch\'8e\'52}{\loch\'e9}}",
            "山é",
        ),
        // `\uN`, negative, with fallbacks to skip (`\uc`), and as a surrogate pair.
        (r"{\rtf1\uc1\u23665?\u21475?}", "山口"),
        (r"{\rtf1\uc2\u23665\'8e\'52x}", "山x"),
        (r"{\rtf1\uc0\u23665\u21475}", "山口"),
        (r"{\rtf1\u-10174?\u-8265?x}", "𠮷x"),
        (r"{\rtf1\u-3?}", "\u{fffd}"),
        // The fallback count ends with its group.
        (r"{\rtf1{\uc3\u23665 ?}X}", "山X"),
        // Escaped characters, special characters, and line ends that are no text.
        (
            "{\\rtf1 a\\{b\\}c\\\\d\\~e\\-f\\_g\\emdash\\bullet\\lquote x\\rquote\r\nh\\tab i}",
            "a{b}c\\d ef-g—•‘x’h\ti",
        ),
        // `\` before a line's end is a paragraph.
        ("{\\rtf1 a\\\nb}", "a\nb"),
        // Destinations that are no text.
        (
            r"{\rtf1{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}{\stylesheet{\s0 Normal;}}{\info{\author 山田}{\title x}}{\*\generator Riched20}a}",
            "a",
        ),
        (
            r"{\rtf1{\field{\*\fldinst{HYPERLINK http://x.jp}}{\fldrslt{link}}}{\fldinst PAGE}}",
            "link",
        ),
        (r"{\rtf1 a{\*\unknowndest hidden {\b nested}}b}", "ab"),
        // Binary data stepped over, even when it holds braces and backslashes.
        (r"{\rtf1{\pict\bin6 {\}\'x}after}", "after"),
        (
            r"{\rtf1 a{\object{\*\objdata\bin5 }}}}}b}{\result x}}",
            "ax",
        ),
        // A table: cells end with tabs, rows with lines; a paragraph in a cell is a space.
        (
            r"{\rtf1\trowd\cellx1000\cellx2000\pard\intbl A\par B\cell C\cell\row\pard after\par}",
            "A B\tC\nafter\n",
        ),
        // Text after the document's end is not read; nor is a parameter's delimiting space.
        (r"{\rtf1\b1 bold\b0  plain} trailing", "bold plain"),
    ];
    for (rtf, want) in cases {
        assert_eq!(text(rtf), *want, "{rtf}");
    }
}

#[test]
fn what_word_and_wordpad_write_reads_the_same() {
    use fingerprints::leaks::{RTF_CELL_PARAGRAPH, RtfEscapes, rtf_file};
    // `ソ十表` end in `\` (0x5C) in Shift_JIS, `アイ` in ASCII letters.
    let rows = vec![
        vec!["氏名".to_owned(), "フリガナ".to_owned()],
        vec![
            format!("山口 大介{RTF_CELL_PARAGRAPH}ヤマグチ"),
            String::new(),
        ],
        vec!["ソ十表 アイ".to_owned(), "1968/9/18".to_owned()],
    ];
    for escapes in [RtfEscapes::Word, RtfEscapes::CodePage] {
        assert_eq!(
            text_of(&rtf_file("名簿", &rows, "以上", escapes)),
            "名簿\n氏名\tフリガナ\n山口 大介 ヤマグチ\t\nソ十表 アイ\t1968/9/18\n以上\n",
            "{escapes:?}"
        );
    }
}

#[test]
fn outlook_s_encapsulated_html_reads_as_its_text() {
    assert_eq!(
        text_of(OUTLOOK),
        "\n総務課の皆様\n\nお疲れ様です。会員名簿の抜粋を送ります。\n\n\n\
         \t氏名\t生年月日\t電話番号\n\n\
         \t山口 大介\t1968/9/18\t090-6682-8625\n\n\
         \t前田 花子\tS45.1.2\t06-1234-5678\n\n\n\
         以上、よろしくお願いいたします。\n"
    );
    // Heading tags end a line, `<head>` and `<html>` do not.
    assert_eq!(
        text(
            r"{\rtf1\fromhtml1 {\*\htmltag <html>}{\*\htmltag <head>}a{\*\htmltag <h2>}b{\*\htmltag </h2>}{\*\htmltag <span>}c{\*\htmltag &nbsp;}d}"
        ),
        "a\nb\ncd".replacen("cd", "c d", 1)
    );
}

#[test]
fn outlook_s_compressed_rtf_inflates() {
    let rtf = uncompressed(OUTLOOK_COMPRESSED, usize::MAX).expect("LZFu");
    assert_eq!(rtf, OUTLOOK);
    // Within the budget, and as far as a cut stream goes.
    assert_eq!(
        uncompressed(OUTLOOK_COMPRESSED, 100).unwrap(),
        &OUTLOOK[..100]
    );
    for cut in 0..OUTLOOK_COMPRESSED.len() {
        let part = uncompressed(&OUTLOOK_COMPRESSED[..cut], usize::MAX).unwrap_or_default();
        assert!(OUTLOOK.starts_with(&part), "{cut}");
    }
    // Stored as it is (`MELA`).
    let mut stored = Vec::new();
    stored.extend_from_slice(&(12 + 5u32).to_le_bytes());
    stored.extend_from_slice(&5u32.to_le_bytes());
    stored.extend_from_slice(b"MELA");
    stored.extend_from_slice(&0u32.to_le_bytes());
    stored.extend_from_slice(b"{\\rtf1 x}");
    assert_eq!(uncompressed(&stored, usize::MAX).unwrap(), b"{\\rtf");
    // Not compressed RTF.
    let mut other = stored.clone();
    other[8..12].copy_from_slice(b"ABCD");
    assert_eq!(uncompressed(&other, usize::MAX), None);
    assert_eq!(uncompressed(b"LZFu", usize::MAX), None);
}

#[test]
fn hostile_documents_are_bounded() {
    // Groups a million deep, and closed more often than opened.
    let mut deep = b"{\\rtf1 ".to_vec();
    deep.extend(std::iter::repeat_n(b'{', 1_000_000));
    deep.extend_from_slice(b"x");
    assert_eq!(text_of(&deep), "x");
    // What a group too deep changes stays in it: a table too deep is read as text, and the
    // text after it in its code page.
    let mut deep = b"{\\rtf1\\ansicpg932 ".to_vec();
    deep.extend(std::iter::repeat_n(b'{', 300));
    deep.extend_from_slice(b"{\\fonttbl{\\f0\\fcharset204 x;}}\\f0\\'8e\\'52");
    deep.extend(std::iter::repeat_n(b'}', 300));
    deep.extend_from_slice(b"\\'8c\\'fb}");
    assert_eq!(text_of(&deep), "x;山口");
    assert_eq!(text(r"{\rtf1 a}}}}b"), "a");
    // A parameter of too many digits, a word of too many letters, a `\bin` past the end.
    assert!(text(r"{\rtf1\u99999999999999999999? a}").ends_with('a'));
    let long_word = format!("{{\\rtf1\\{} a}}", "x".repeat(100));
    assert!(text(&long_word).ends_with('a'));
    assert_eq!(text(r"{\rtf1 a\bin999999 b}"), "a");
    // Ends mid-escape.
    for cut in ["{\\rtf1 \\", "{\\rtf1 \\'8", "{\\rtf1 \\u", "{\\rtf1 \\u-"] {
        let _ = text(cut);
    }
    // The budget bounds the text, and what is left of it is returned.
    let mut out = String::new();
    let mut budget = 10;
    read_rtf(LIBREOFFICE, &mut budget, &mut out);
    assert!(out.len() <= 10 + 8 && budget == 0, "{out:?}");
    let mut budget = 1 << 20;
    let mut out = String::from("before");
    read_rtf(LIBREOFFICE, &mut budget, &mut out);
    assert_eq!(budget, (1 << 20) - (out.len() - "before".len()));
}

#[test]
fn rtf_is_told_by_its_start() {
    for (bytes, rtf) in [
        (&b"{\\rtf1\\ansi}"[..], true),
        (b"\xEF\xBB\xBF{\\rtf1}", true),
        (b"\r\n  {\\rtf1}", true),
        (b"{\\rt", false),
        (b"text {\\rtf1}", false),
        (b"", false),
    ] {
        assert_eq!(is_rtf(bytes), rtf, "{bytes:?}");
    }
}

proptest! {
    #[test]
    fn any_bytes_read_within_the_budget(
        body in proptest::collection::vec(
            prop_oneof![
                Just(b'{'), Just(b'}'), Just(b'\\'), Just(b'\''), Just(b'u'), Just(b'-'),
                Just(b'8'), Just(b'a'), Just(b' '), Just(0x82u8), Just(b'*'),
            ],
            0..200,
        ),
        budget in 0usize..64,
    ) {
        let mut rtf = b"{\\rtf1\\ansicpg932 ".to_vec();
        rtf.extend_from_slice(&body);
        let mut out = String::new();
        let mut left = budget;
        read_rtf(&rtf, &mut left, &mut out);
        prop_assert!(out.len() <= budget + 8);
        prop_assert_eq!(left, budget.saturating_sub(out.len()));
    }

    #[test]
    fn any_compressed_stream_inflates_within_the_budget(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        budget in 0usize..2000,
    ) {
        let mut stream = Vec::new();
        stream.extend_from_slice(&(data.len() as u32 + 12).to_le_bytes());
        stream.extend_from_slice(&u32::MAX.to_le_bytes());
        stream.extend_from_slice(b"LZFu");
        stream.extend_from_slice(&0u32.to_le_bytes());
        stream.extend_from_slice(&data);
        let out = uncompressed(&stream, budget).expect("a header");
        prop_assert!(out.len() <= budget);
    }
}
