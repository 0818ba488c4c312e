use super::*;

fn strings(bytes: &[u8]) -> Vec<String> {
    let mut out = String::new();
    let found = read_strings(bytes, &mut out);
    assert_eq!(found, !out.is_empty());
    out.lines().map(str::to_owned).collect()
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// `s` in a legacy charset.
fn legacy(charset: Legacy, s: &str) -> Vec<u8> {
    let (bytes, _, bad) = charset.encoding().encode(s);
    assert!(!bad, "{s}");
    bytes.into_owned()
}

/// `parts` joined: text given as it is, binary bytes between.
fn file(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Bytes no run is read from: an xorshift stream.
fn noise(n: usize, mut x: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn runs_of_text_between_binary_fields_are_lines() {
    // As a database keeps a row: lengths, numbers and pointers between the values.
    let row = file(&[
        b"\x00\x00\x17\x01\x0f",
        "山口".as_bytes(),
        b"\x0d",
        "大介".as_bytes(),
        b"\x1d",
        "ヤマグチ ダイスケ".as_bytes(),
        b"\x00\x00\x1f\x8e\x00\x00\x11",
        b"090-6682-8625",
        b"\x19",
        "兵庫県尼崎市東七松町1丁目23番4号".as_bytes(),
        b"\x00\x00\x00\x00",
    ]);
    assert_eq!(
        strings(&row),
        [
            "山口",
            "大介",
            "ヤマグチ ダイスケ",
            "090-6682-8625",
            "兵庫県尼崎市東七松町1丁目23番4号",
        ]
    );
}

#[test]
fn utf16_text_is_read_at_either_parity_and_not_again_as_bytes() {
    for pad in [&b""[..], b"\x01", b"\x00\x07", b"\x00\x07\x01"] {
        let bytes = file(&[
            pad,
            b"\x00\x00\x12",
            &utf16("山口 大介"),
            b"\x00\x00\x05\x00",
            &utf16("ヤマグチ ダイスケ"),
            b"\x00\x00",
            &utf16("yamaguchi@example.jp"),
            b"\x00\x00\x03\x00",
            &utf16("𠮷野 花子"),
            b"\x00\x00",
        ]);
        assert_eq!(
            strings(&bytes),
            [
                "山口 大介",
                "ヤマグチ ダイスケ",
                "yamaguchi@example.jp",
                "𠮷野 花子"
            ],
            "{pad:?}"
        );
    }
}

#[test]
fn ascii_text_is_read_once_not_again_as_ideographs() {
    // `ya` read as one UTF-16 unit is U+6179, an ideograph; at the other parity the units'
    // low bytes are NUL.
    for text in [
        "yamaguchi daisuke 1968-09-18",
        "Yamaguchi,Daisuke,0906682862",
    ] {
        for pad in [&b"\x00"[..], b"\x00\x00"] {
            let bytes = file(&[pad, text.as_bytes(), b"\x00\x01\x02"]);
            assert_eq!(strings(&bytes), [text], "{pad:?}");
        }
    }
}

#[test]
fn short_runs_and_punctuation_weigh_too_little() {
    let cases: &[(&[u8], &[&str])] = &[
        (b"\x00ab\x00abcde\x00abcdef\x00", &["abcdef"]),
        (b"\x00----====....\x00", &[]),
        ("\x00山\x00山口\x00".as_bytes(), &["山口"]),
        (b"\x00\x01\x02\x03", &[]),
        (b"", &[]),
        // A tab is part of a run, a line break ends one.
        (b"\x00abc\tdef\x00ab\ncdefgh\r\n", &["abc\tdef", "cdefgh"]),
    ];
    for (bytes, want) in cases {
        assert_eq!(strings(bytes), *want, "{bytes:?}");
    }
}

#[test]
fn rows_in_shift_jis_and_euc_jp_are_read_in_their_charset() {
    for charset in [Legacy::ShiftJis, Legacy::EucJp] {
        let enc = |s: &str| legacy(charset, s);
        // As a database keeps a row, the reading in half-width katakana as registers of the
        // time kept it.
        let row = file(&[
            b"\x00\x00\x17\x01\x0f",
            &enc("山口"),
            b"\x0d",
            &enc("大介"),
            b"\x1d",
            &enc("ﾔﾏｸﾞﾁ ﾀﾞｲｽｹ"),
            b"\x00\x00\x1f\x8e\x00\x00\x11",
            b"090-6682-8625",
            b"\x19",
            &enc("兵庫県尼崎市東七松町1丁目23番4号"),
            b"\x00\x00\x00\x00",
        ]);
        assert_eq!(
            strings(&row),
            [
                "山口",
                "大介",
                "ﾔﾏｸﾞﾁ ﾀﾞｲｽｹ",
                "090-6682-8625",
                "兵庫県尼崎市東七松町1丁目23番4号",
            ],
            "{charset:?}"
        );
        // A dBase table's records: fields padded with spaces, one after another. Its ASCII is
        // read once, in the record's run.
        let record = " 0002山口　大介    ﾔﾏｸﾞﾁ ﾀﾞｲｽｹ   19680918090-6682-8625 ";
        let table = file(&[
            b"\x03\x7a\x0b\x19\x02\x00\x00\x00\x0d",
            &enc(record),
            b"\x1a",
        ]);
        assert_eq!(strings(&table), [record], "{charset:?}");
        // Two kanji or a reading alone are kept only near a run of four kana or kanji.
        let far = file(&[
            &enc("森 健"),
            b"\x00",
            &enc("ﾓﾘ ｹﾝ"),
            &[0; 300],
            &enc("森　健太郎"),
            &[0; 300],
            &enc("ﾓﾘ ｹﾝﾀﾛｳ"),
            b"\x00",
            &enc("尼崎"),
        ]);
        assert_eq!(strings(&far), ["森　健太郎"], "{charset:?}");
    }
    // Japanese text in UTF-8 is not read again in a legacy charset, and text in a legacy
    // charset is not UTF-8: each is read once.
    for charset in [Legacy::ShiftJis, Legacy::EucJp] {
        let both = file(&[
            "山口　大介\x00ヤマグチ\x00".as_bytes(),
            &legacy(charset, "兵庫県尼崎市\x00小川　翔太\x00オガワ"),
        ]);
        assert_eq!(
            strings(&both),
            [
                "山口　大介",
                "ヤマグチ",
                "兵庫県尼崎市",
                "小川　翔太",
                "オガワ"
            ],
            "{charset:?}"
        );
    }
}

#[test]
fn a_file_in_one_legacy_charset_is_not_read_in_the_other_too() {
    // Shift_JIS reads EUC-JP's kanji as half-width katakana (`東七松町` is `ｼｷｾｾﾄｮ`), and
    // EUC-JP reads Shift_JIS's half-width katakana as kanji: in a file of one, the other's
    // runs over its text are left out.
    let row = "兵庫県尼崎市東七松町\x00ﾔﾏｸﾞﾁ ﾀﾞｲｽｹ\x00東七松町\x00ﾓﾘ ﾅｵﾐ\x00森　奈緒美";
    for charset in [Legacy::ShiftJis, Legacy::EucJp] {
        let bytes = file(&[b"\x00\x01", &legacy(charset, row), b"\x00"]);
        assert_eq!(
            strings(&bytes),
            row.split('\0').collect::<Vec<_>>(),
            "{charset:?}"
        );
    }
}

#[test]
fn random_bytes_give_little() {
    // Compressed data, a picture, a video: short lines, a fiftieth of the bytes at most.
    for seed in [0x9E37_79B9_7F4A_7C15, 1, 0xDEAD_BEEF] {
        let bytes = noise(1 << 20, seed);
        let mut out = String::new();
        read_strings(&bytes, &mut out);
        assert!(out.len() < bytes.len() / 50, "{} bytes of text", out.len());
        assert!(out.lines().all(|l| l.len() < 64), "{out}");
    }
}

#[test]
fn overlaps_are_more_than_a_unit_at_an_end() {
    let runs = [0..10, 20..30, 40..50];
    let cases = [
        (10..20, false),
        (8..20, false),
        (7..20, true),
        (28..42, false),
        (27..42, true),
        (21..25, true),
        (50..60, false),
        (35..45, true),
    ];
    for (bytes, want) in cases {
        assert_eq!(overlaps_any(&runs, &bytes), want, "{bytes:?}");
    }
}

proptest::proptest! {
    #[test]
    fn values_between_binary_fields_are_found(
        text in "0[1-9]{1,3}-[0-9]{2,4}-[0-9]{4}|[a-z]{3,10}[._]?[a-z0-9]{0,8}@[a-z]{4,8}[.](jp|com)|\
                 [A-Z][a-z]{2,8} [A-Z][a-z]{2,8}|[0-9]{3}-?[0-9]{4}|19[0-9]{2}-[01][0-9]-[0-3][0-9]|\
                 [山口田中佐藤鈴木高橋伊渡辺小林加吉松本井上]{2}[ 　]?[大介太郎花子美由紀健一翔]{2}|\
                 [ヤマグチダイスケタナカハナコ]{4,10}|[やまぐちだいすけたなかはなこ]{4,10}|\
                 兵庫県尼崎市[東西南北七松塚口]{2,3}町[0-9]-[0-9]{1,2}-[0-9]{1,2}",
        seed in 1u64..,
        charset in 0..4,
        pad in 0usize..3,
    ) {
        let wide = charset == 1;
        let value = match charset {
            0 => text.as_bytes().to_vec(),
            1 => utf16(&text),
            2 => legacy(Legacy::ShiftJis, &text),
            _ => legacy(Legacy::EucJp, &text),
        };
        if wide {
            // A known limit: kanji whose units are all two printable ASCII bytes are ASCII
            // text too (`松渡` is `~g!n`), and a run of them is left out beside that text.
            let mut tally = Utf16Tally::default();
            for (u, c) in text.encode_utf16().zip(text.chars()) {
                tally.add(u, c);
            }
            proptest::prop_assume!(tally.plain > 0 || utf8_runs(&value).is_empty());
        }
        // In a legacy charset, a name of three kana or kanji of JIS level 1 or fewer is
        // kept near a longer run: the row's address.
        let address = match charset {
            2 => legacy(Legacy::ShiftJis, "尼崎市南塚口町"),
            3 => legacy(Legacy::EucJp, "尼崎市南塚口町"),
            _ => Vec::new(),
        };
        // Values in a row are set apart by lengths and offsets, small numbers: NUL bytes.
        let bytes = file(&[
            &noise(64, seed),
            &[0; 2][..pad],
            b"\x00\x00\x00\x00",
            &value,
            b"\x00\x00\x00\x00",
            &address,
            b"\x00",
            &noise(64, !seed),
        ]);
        let mut out = String::new();
        read_strings(&bytes, &mut out);
        proptest::prop_assert!(
            out.lines().any(|l| l == text.as_str()),
            "{text:?} not in {out:?}"
        );
    }

    #[test]
    fn any_bytes_read_to_lines_of_weight(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let mut out = String::new();
        read_strings(&bytes, &mut out);
        for line in out.lines() {
            proptest::prop_assert!(line.chars().map(weight).sum::<u32>() >= MIN_WEIGHT);
        }
    }
}

#[test]
fn legacy_tables_hold_every_class() {
    // Spot checks, then the table against the classes it was made from, for every byte and
    // pair.
    use legacy::tests_support::class_at;
    // The length of the character and its class; none: (0, "").
    let cases: &[(Legacy, &[u8], (usize, &str))] = &[
        (Legacy::ShiftJis, b"A", (1, "Ascii")),
        (Legacy::ShiftJis, b" ", (1, "Space")),
        (Legacy::ShiftJis, b"\x81\x40", (2, "Space")),
        (Legacy::ShiftJis, b"\xD4", (1, "HalfKana")),
        (Legacy::ShiftJis, b"\xA1", (1, "Ascii")),
        (Legacy::ShiftJis, b"\x8E\x52", (2, "Core")),
        (Legacy::ShiftJis, b"\x8E\xB6", (2, "Wide")),
        (Legacy::ShiftJis, b"\xE3\xC4", (2, "Wide")),
        (Legacy::ShiftJis, b"\xF0\x40", (0, "")),
        (Legacy::ShiftJis, b"\x81", (0, "")),
        (Legacy::ShiftJis, b"\x00", (0, "")),
        (Legacy::EucJp, b"\xBB\xB3", (2, "Core")),
        (Legacy::EucJp, b"\xA1\xA1", (2, "Space")),
        (Legacy::EucJp, b"\x8E\xD4", (2, "HalfKana")),
        (Legacy::EucJp, b"\x8E\x41", (0, "")),
        (Legacy::EucJp, b"\xD4", (0, "")),
        (Legacy::EucJp, b"\x8F\xA1\xA1", (0, "")),
    ];
    for &(charset, bytes, want) in cases {
        let got =
            class_at(charset, bytes).map_or((0, String::new()), |(n, c)| (n, format!("{c:?}")));
        assert_eq!(got, (want.0, want.1.to_owned()), "{charset:?} {bytes:x?}");
    }
    legacy::tests_support::table_matches_classes();
}

#[test]
fn ascii_inside_the_union_of_legacy_runs() {
    let run = |start, end| Run {
        bytes: start..end,
        reading: Reading::Legacy(Legacy::ShiftJis),
        ascii_shaped: false,
        wide: 0,
    };
    let read = union(&[run(0, 10), run(5, 20), run(8, 12), run(30, 40), run(40, 45)]);
    assert_eq!(read, [0..20, 30..45]);
    let cases = [
        (0..20, true),
        (3..18, true),
        (15..25, false),
        (20..30, false),
        (32..44, true),
        (44..46, false),
        (50..60, false),
    ];
    for (bytes, want) in cases {
        assert_eq!(inside_any(&read, &bytes), want, "{bytes:?}");
    }
}

#[test]
fn a_file_of_many_short_runs_is_read_in_one_pass() {
    // Hostile or merely large: a hundred thousand runs of each reading, each looked up among
    // the others' by a binary search, not a walk.
    let unit = file(&[
        b"\x00",
        &legacy(Legacy::ShiftJis, "山口大介"),
        b"\x00abcdefgh\x00",
    ]);
    let bytes = unit.repeat(100_000);
    let mut out = String::new();
    read_strings(&bytes, &mut out);
    assert_eq!(out.lines().count(), 200_000);
    assert_eq!(out.lines().filter(|l| *l == "山口大介").count(), 100_000);
}
