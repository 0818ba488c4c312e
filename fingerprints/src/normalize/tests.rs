use super::*;
use proptest::prelude::*;

fn value(kind: FieldKind, s: &str) -> Result<String, NormalizeError> {
    match canonicalize(kind, s)? {
        Canonical::Value(v) => Ok(v),
        Canonical::Tokens(t) => Ok(t.join("|")),
    }
}

#[test]
fn notation_table() {
    use FieldKind::*;
    let rows: &[(FieldKind, &str, &str)] = &[
        // Dates, Western.
        (BirthDate, "1975-03-02", "19750302"),
        (BirthDate, "1975/3/2", "19750302"),
        (BirthDate, "1975.3.2", "19750302"),
        (BirthDate, "1975年3月2日", "19750302"),
        (BirthDate, "１９７５年３月２日", "19750302"),
        (BirthDate, "19750302", "19750302"),
        // Dates, eras.
        (BirthDate, "昭和50年3月2日", "19750302"),
        (BirthDate, "S50.3.2", "19750302"),
        (BirthDate, "s50/03/02", "19750302"),
        (BirthDate, "Ｓ５０．３．２", "19750302"),
        (BirthDate, "平成元年1月8日", "19890108"),
        (BirthDate, "H1.1.8", "19890108"),
        (BirthDate, "令和元年5月1日", "20190501"),
        (BirthDate, "R2-2-29", "20200229"),
        (BirthDate, "大正2年7月30日", "19130730"),
        (BirthDate, "明治45年7月29日", "19120729"),
        (BirthDate, "昭50.3.2", "19750302"),
        (BirthDate, "平元.1.8", "19890108"),
        (BirthDate, "令2年2月29日", "20200229"),
        (BirthDate, "昭和五十年三月二日", "19750302"),
        (BirthDate, "昭和五拾年参月弐日", "19750302"),
        (BirthDate, "March 2, 1975", "19750302"),
        (BirthDate, "Mar. 2nd 1975", "19750302"),
        (BirthDate, "Sept 30, 1975", "19750930"),
        (BirthDate, "2 March 1975", "19750302"),
        (BirthDate, "2nd of March 1975", "19750302"),
        (BirthDate, "2-Mar-1975", "19750302"),
        (BirthDate, "2-Mar-75", "19750302"),
        (BirthDate, "2-Mar-05", "20050302"),
        (BirthDate, "MAY 31 1975", "19750531"),
        // A middle dot between the parts; an era's year, month and day in six digits.
        (BirthDate, "1975・3・2", "19750302"),
        (BirthDate, "Ｓ５０・３・２", "19750302"),
        (BirthDate, "S500302", "19750302"),
        (BirthDate, "H010108", "19890108"),
        // Names and readings.
        (Name, "山田 太郎", "山田|太郎"),
        (Name, "山田　太郎", "山田|太郎"),
        (Name, "山田太郎", "山田太郎"),
        (NameKana, "ヤマダ タロウ", "ヤマダ|タロウ"),
        (NameKana, "やまだ たろう", "ヤマダ|タロウ"),
        (NameKana, "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ|タロウ"),
        (NameKana, "ヤマダ・タロウ", "ヤマダ|タロウ"),
        // Addresses.
        (
            Address,
            "兵庫県尼崎市東七松町1丁目23番4号",
            "東七松町|1|23|4",
        ),
        (Address, "尼崎市東七松町1-23-4", "東七松町|1|23|4"),
        (Address, "東七松町一丁目23-4", "東七松町|1|23|4"),
        (
            Address,
            "〒660-0051 兵庫県尼崎市東七松町1丁目23番4号 サンハイツ101",
            "東七松町|1|23|4",
        ),
        (Address, "東七松町１－２３－４", "東七松町|1|23|4"),
        // Parts kept in columns of their own, joined with spaces.
        (
            Address,
            "兵庫県 尼崎市 東七松町1丁目 23番4号",
            "東七松町|1|23|4",
        ),
        (Address, "兵庫県尼崎市　東七松町 1-23-4", "東七松町|1|23|4"),
        (
            Address,
            "尼崎市 東七松町1-23-4 サンハイツ101",
            "東七松町|1|23|4",
        ),
        (Address, "東七松町1丁目23番地4", "東七松町|1|23|4"),
        (Address, "東七松町23番4号", "東七松町|23|4"),
        (Address, "尼崎市武庫の里2丁目5番6号", "武庫ノ里|2|5|6"),
        (
            Address,
            "兵庫県尼崎市東七松町十二丁目3番4号",
            "東七松町|12|3|4",
        ),
        // Postal codes.
        (PostalCode, "660-0051", "6600051"),
        (PostalCode, "〒６６０－００５１", "6600051"),
        (PostalCode, "6600051", "6600051"),
        // Phones.
        (Phone, "06-1234-5678", "0612345678"),
        (Phone, "0612345678", "0612345678"),
        (Phone, "+81-6-1234-5678", "0612345678"),
        (Phone, "+81 6 1234 5678", "0612345678"),
        (Phone, "(06)1234-5678", "0612345678"),
        (Phone, "０９０ー１２３４ー５６７８", "09012345678"),
        (Phone, "TEL: 06-1234-5678", "0612345678"),
        // Accounts, e-mail, My Number.
        (AccountNumber, "1234567", "1234567"),
        (AccountNumber, "普通 1234567", "1234567"),
        (AccountNumber, "0009-123-1234567", "1234567"),
        (Email, "Taro.Yamada@Example.JP", "taro.yamada@example.jp"),
        (Email, "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"),
        (NationalId, "123456789018", "123456789018"),
        (NationalId, "1234 5678 9018", "123456789018"),
        (NationalId, "1234-5678-9018", "123456789018"),
        (Other, "ABC 123", "abc|123"),
    ];
    for (kind, input, want) in rows {
        assert_eq!(
            value(*kind, input).as_deref(),
            Ok(*want),
            "{kind} {input:?}"
        );
    }
}

#[test]
fn numbers_day_or_month_first_read_both_ways() {
    use super::{Date, parse_numeric_date_prefix};
    let read = |s: &str| {
        let chars: Vec<char> = s.chars().collect();
        parse_numeric_date_prefix(&chars)
            .map(|(dates, used)| (dates.map(|d| d.map(Date::canonical)), used))
    };
    let d = |s: &str| Some(s.to_owned());
    assert_eq!(read("3/2/1975"), Some(([d("19750302"), d("19750203")], 8)));
    assert_eq!(
        read("03.02.1975 ab"),
        Some(([d("19750302"), d("19750203")], 10))
    );
    assert_eq!(read("7-7-1975"), Some(([d("19750707"), None], 8)));
    assert_eq!(read("25/12/1975"), Some(([d("19751225"), None], 10)));
    assert_eq!(read("12/25/1975"), Some(([d("19751225"), None], 10)));
    // A two-digit year with `/` (`26` and before of the 2000s).
    assert_eq!(read("3/2/75"), Some(([d("19750302"), d("19750203")], 6)));
    assert_eq!(read("12/25/05 x"), Some(([d("20051225"), None], 8)));
    assert_eq!(read("1/2/27"), Some(([d("19270102"), d("19270201")], 6)));
    for no in [
        "3/2.1975",
        "3.2.75",
        "3-2-75",
        "3/2/755",
        "3/2/5",
        "13/13/75",
        "3/2/19755",
        "3-20-3",
        "06-6297-2552",
        "32/13/1975",
        "1975/3/2",
    ] {
        assert_eq!(read(no), None, "{no}");
    }
}

#[test]
fn dates_in_kanji_numerals() {
    use super::parse_kanji_numeral_date_prefix;
    let read = |s: &str| {
        let chars: Vec<char> = s.chars().collect();
        parse_kanji_numeral_date_prefix(&chars).map(|(d, used)| (d.canonical(), used))
    };
    let d = |s: &str, used: usize| Some((s.to_owned(), used));
    assert_eq!(read("昭和四十三年九月十八日生"), d("19680918", 11));
    assert_eq!(read("昭和四拾参年九月拾八日"), d("19680918", 11));
    assert_eq!(read("平成元年一月八日"), d("19890108", 8));
    assert_eq!(read("令和二年二月二十九日"), d("20200229", 10));
    assert_eq!(read("一九六八年九月十八日"), d("19680918", 10));
    assert_eq!(read("二〇〇五年十二月一日"), d("20051201", 10));
    assert_eq!(read("大正十五年十二月二十四日"), d("19261224", 12));
    for no in [
        "昭和六十五年一月一日",
        "平成元年一月七日",
        "四十三年九月十八日",
        "六八年九月十八日",
        "昭和四十三年十三月一日",
        "昭和四十三年九月",
        "昭和年九月十八日",
    ] {
        assert_eq!(read(no), None, "{no}");
    }
}

#[test]
fn years_without_their_era_read_every_way() {
    use super::parse_eraless_date_prefix;
    let read = |s: &str| {
        let chars: Vec<char> = fold_str(s).chars().collect();
        parse_eraless_date_prefix(&chars).map(|(dates, used)| {
            let mut all: Vec<String> = dates.iter().flatten().map(|d| d.canonical()).collect();
            all.sort();
            (all, used)
        })
    };
    let v = |a: &[&str], used: usize| Some((a.iter().map(|s| s.to_string()).collect(), used));
    // Shōwa 43 (no Western reading).
    assert_eq!(read("43年9月18日"), v(&["19680918"], 8));
    assert_eq!(read("４３年　９月１８日生"), v(&["19680918"], 9));
    // Shōwa, Heisei, Reiwa 5.
    assert_eq!(
        read("5年3月2日"),
        v(&["19300302", "19930302", "20230302"], 6)
    );
    assert_eq!(
        read("05年3月2日"),
        v(&["19300302", "19930302", "20230302"], 7)
    );
    // Shōwa 64 ended on 7 January 1989; Heisei 31 on 30 April 2019; Reiwa is read up to 8.
    assert_eq!(read("64年1月7日"), v(&["19890107"], 7));
    assert_eq!(read("64年1月8日"), None);
    assert_eq!(read("31年4月30日"), v(&["19560430", "20190430"], 8));
    assert_eq!(read("31年5月1日"), v(&["19560501"], 7));
    assert_eq!(
        read("8年5月1日"),
        v(&["19330501", "19960501", "20260501"], 6)
    );
    assert_eq!(read("9年5月1日"), v(&["19340501", "19970501"], 6));
    // No era's year: the Western one.
    assert_eq!(read("68年9月18日"), v(&["19680918"], 8));
    assert_eq!(read("65年1月8日"), v(&["19650108"], 7));
    for no in [
        "43年9月",
        "43年9月18",
        "143年9月18日",
        "43.9.18",
        "43年13月1日",
        "0年1月1日",
    ] {
        assert_eq!(read(no), None, "{no}");
    }
}

#[test]
fn two_digit_years_read_every_way() {
    use super::parse_short_year_date_prefix;
    let read = |s: &str| {
        let chars: Vec<char> = fold_str(s).chars().collect();
        parse_short_year_date_prefix(&chars).map(|(dates, used)| {
            let mut all: Vec<String> = dates.iter().flatten().map(|d| d.canonical()).collect();
            all.sort();
            (all, used)
        })
    };
    let v = |a: &[&str], used: usize| Some((a.iter().map(|s| s.to_string()).collect(), used));
    for (page, want, used) in [
        // Only a Western year (Shōwa ended in its 64th).
        ("68/09/18", &["19680918"][..], 8),
        ("６８．９．１８", &["19680918"], 7),
        ("99.12.31,", &["19991231"], 8),
        // 1943, or Shōwa 43.
        ("43.9.18", &["19430918", "19680918"], 7),
        ("43. 9.18", &["19430918", "19680918"], 8),
        ("43/ 9/ 8 ", &["19430908", "19680908"], 8),
        // 2005, Shōwa, Heisei, Reiwa 5.
        (
            "05/03/02",
            &["19300302", "19930302", "20050302", "20230302"],
            8,
        ),
        // 2026; Shōwa, Heisei 26 (Reiwa is read up to 8).
        ("26.1.8", &["19510108", "20140108", "20260108"], 6),
        // 1932; Shōwa 32 (Heisei ended in its 31st).
        ("32.1.8", &["19320108", "19570108"], 6),
        // Shōwa 64 ended on 7 January 1989.
        ("64.1.7", &["19640107", "19890107"], 6),
        ("64.1.8", &["19640108"], 6),
        ("00/1/1", &["20000101"], 6),
        // The end of a sentence.
        ("43.9.18.", &["19430918", "19680918"], 7),
        ("43・9・18", &["19430918", "19680918"], 7),
        // Six digits, as old systems store dates.
        ("680918", &["19680918"], 6),
        // Western only (an era's is stored with its code or letter).
        ("430918,", &["19430918"], 6),
    ] {
        assert_eq!(read(page), v(want, used), "{page}");
    }
    for no in [
        "6.9.18",
        "168/09/18",
        "68/09/180",
        "68/9",
        "68-09-18",
        "68/09.18",
        "68/13/01",
        "68/02/30",
        "22.04.1.3",
        "10.1.2/3",
        "1.2.3",
        "6809180",
        "68091",
        "681318",
        "680918-2",
        "43年9月18日",
    ] {
        assert_eq!(read(no), None, "{no}");
    }
}

#[test]
fn dates_in_three_cells_year_first() {
    use super::parse_cell_date_prefix;
    let read = |s: &str| {
        let chars: Vec<char> = fold_str(s).chars().collect();
        parse_cell_date_prefix(&chars).map(|(date, used)| (date.canonical(), used))
    };
    for (page, want, used) in [
        ("1968,9,18", "19680918", 9),
        ("1968,09,18,", "19680918", 10),
        ("1968;9;18", "19680918", 9),
        ("1968\t9\t18\t", "19680918", 9),
        ("1968, 9, 18)", "19680918", 11),
        ("1968 | 9 | 18 |", "19680918", 13),
        ("1968\",\"09\",\"18\"", "19680918", 15),
        ("1968','9','18'", "19680918", 14),
        ("1968\", \"9\", \"18\",", "19680918", 16),
        // Fields of a JSON object: a key before the month and the day.
        ("1968,\"birth_month\":9,\"birth_day\":18}", "19680918", 35),
        (
            "1968\",\"birthMonth\": \"9\",\"birthDay\": \"18\"}",
            "19680918",
            40,
        ),
        ("1968,\"生年月日_月\":9,\"生年月日_日\":18", "19680918", 27),
        // Full-width digits and comma fold.
        ("１９６８，９，１８", "19680918", 9),
    ] {
        assert_eq!(read(page), Some((want.to_owned(), used)), "{page}");
    }
    for no in [
        // Not three cells alike: separators, quotes or keys that differ.
        "1968,9;18",
        "1968,9\t18",
        "1968\",9,\"18\"",
        "1968\",\"9\",18",
        "1968,\"birth_month\":9,18",
        "1968,9,\"birth_day\":18",
        // Not a date, or a longer number.
        "1968,13,1",
        "1968,2,30",
        "1968,9,180",
        "1968,9,18.5",
        "1968,9",
        "1968,,9,18",
        "1968 9 18",
        "1968-9-18",
        "1968,123,4",
        "19680,9,18",
        "1867,9,18",
        "1968,   9,18",
        // A key that runs too long, or is no key.
        "1968,\"a_key_that_runs_on_and_on_and_on\":9,\"a_key_that_runs_on_and_on_and_on\":18",
        "1968,\"\":9,\"\":18",
        "1968,\"m\"9,\"d\"18",
    ] {
        assert_eq!(read(no), None, "{no}");
    }
}

#[test]
fn dates_in_four_cells_era_first() {
    use super::parse_era_cell_date;
    // The page as folded, and the cells as the matcher finds them: from the year's first digit,
    // the first after the era's cell.
    let read = |s: &str| {
        let chars: Vec<char> = fold_str(s).chars().collect();
        let era_end = chars
            .iter()
            .position(|c| matches!(c, '和' | '成' | '正' | '治'))
            .unwrap_or(0);
        let y = (era_end..chars.len()).find(|&k| chars[k].is_ascii_digit())?;
        parse_era_cell_date(&chars, y).map(|(date, a, b)| {
            let span: String = chars[a..b].iter().collect();
            (date.canonical(), span)
        })
    };
    for (page, want, span) in [
        ("昭和,43,9,18", "19680918", "昭和,43,9,18"),
        ("山口大介,昭和,43,9,18,兵庫県", "19680918", "昭和,43,9,18"),
        ("'昭和','43','09','18'", "19680918", "'昭和','43','09','18'"),
        (
            "('昭和', '43', '9', '18');",
            "19680918",
            "'昭和', '43', '9', '18'",
        ),
        ("昭和\t43\t9\t18", "19680918", "昭和\t43\t9\t18"),
        ("| 平成 | 2 | 1 | 8 |", "19900108", "平成 | 2 | 1 | 8"),
        ("令和,1,5,1", "20190501", "令和,1,5,1"),
        // The era's first year as `元` (the parse starts from the month's first digit).
        ("平成,元,1,8", "19890108", "平成,元,1,8"),
        ("'平成','元','01','08'", "19890108", "'平成','元','01','08'"),
        ("令和\t元\t5\t1", "20190501", "令和\t元\t5\t1"),
        ("| 昭和 | 元 | 12 | 25 |", "19261225", "昭和 | 元 | 12 | 25"),
        (
            "{\"birth_era\":\"平成\",\"birth_year\":\"元\",\"birth_month\":1,\"birth_day\":8}",
            "19890108",
            "\"平成\",\"birth_year\":\"元\",\"birth_month\":1,\"birth_day\":8",
        ),
        ("大正,15,12,24", "19261224", "大正,15,12,24"),
        ("明治,45,7,29", "19120729", "明治,45,7,29"),
        // The initial, or the name in Latin letters (folded to lower case).
        (
            "\"S\",\"43\",\"09\",\"18\"",
            "19680918",
            "\"s\",\"43\",\"09\",\"18\"",
        ),
        ("h,5,3,2", "19930302", "h,5,3,2"),
        ("Showa,43,9,18", "19680918", "showa,43,9,18"),
        ("heisei;5;3;2", "19930302", "heisei;5;3;2"),
        // JSON fields: the era quoted, the numbers not, a key before each.
        (
            "{\"birth_era\":\"昭和\",\"birth_year\":43,\"birth_month\":9,\"birth_day\":18}",
            "19680918",
            "\"昭和\",\"birth_year\":43,\"birth_month\":9,\"birth_day\":18",
        ),
        (
            "{\"gengo\": \"S\", \"year\": \"43\", \"month\": \"9\", \"day\": \"18\"}",
            "19680918",
            "\"s\", \"year\": \"43\", \"month\": \"9\", \"day\": \"18\"",
        ),
    ] {
        assert_eq!(
            read(page),
            Some((want.to_owned(), span.to_owned())),
            "{page}"
        );
    }
    for no in [
        // Not four cells alike: separators or keys that differ.
        "昭和;43,9,18",
        "昭和\t43,9,18",
        "\"era\":\"昭和\",43,\"m\":9,\"d\":18",
        "昭和,,43,9,18",
        // No era's cell: an era that is part of a word or of the cell before it.
        "abs,43,9,18",
        "ts,43,9,18",
        "生年月日昭和,43,9,18",
        "\"昭和,43,9,18",
        "昭和43,9,18",
        // Not a date of that era, or not three numbers of one or two digits.
        "平成,43,9,18",
        "昭和,1,12,24",
        "昭和,64,1,8",
        "昭和,0,9,18",
        "昭和,43,13,18",
        "昭和,43,9,18.5",
        "昭和,43,9",
        "昭和,143,9,18",
        "昭和,43,9,180",
        // `元` in a cell not set apart alike, or before the era's first day, or not a cell.
        "平成,元;1;8",
        "平成;元,1,8",
        "'平成',元,'1','8'",
        "平成元,1,8",
        "平成,元,1,7",
        "平成,元,13,8",
    ] {
        assert_eq!(read(no), None, "{no}");
    }
}

#[test]
fn printed_dates_with_padding_spaces_and_both_calendars() {
    use super::parse_date_prefix;
    // As a page writes them, folded: the matcher reads them with `parse_date_prefix`.
    let read = |s: &str| {
        let chars: Vec<char> = fold_str(s).chars().collect();
        parse_date_prefix(&chars).map(|(date, used)| (date.canonical(), used))
    };
    for (page, want) in [
        ("昭和43年 9月18日", "19680918"),
        ("昭和４３年　９月１８日", "19680918"),
        ("昭和 43年 9月 8日", "19680908"),
        ("平成元年 1月 8日", "19890108"),
        ("昭和 4年 9月 8日", "19290908"),
        ("1968年 9月18日", "19680918"),
        ("1968 年 9 月 18 日", "19680918"),
        ("S43. 9.18", "19680918"),
        ("S43. 9. 8", "19680908"),
        ("1968/ 9/ 8", "19680908"),
        ("1968- 9-18", "19680918"),
        ("昭和43年（1968年）9月18日", "19680918"),
        ("昭和43年 (1968年) 9月18日", "19680918"),
        ("1968年（昭和43年）9月18日", "19680918"),
        ("1968年(S43)9月18日", "19680918"),
        ("1968(昭和43)年9月18日", "19680918"),
        ("昭和43(1968)年9月18日", "19680918"),
        ("平成元年(1989年)1月8日", "19890108"),
        ("1989年(平成元年)1月8日", "19890108"),
    ] {
        let used = fold_str(page).chars().count();
        assert_eq!(read(page), Some((want.to_owned(), used)), "{page}");
    }
    // Only the date: what follows is not taken.
    assert_eq!(read("1968年 9月18日 生"), Some(("19680918".to_owned(), 11)));
    for no in [
        // Another year in the parentheses, or something else there.
        "1968年(昭和44年)9月18日",
        "1968年(1969年)9月18日",
        "1968年(火)9月18日",
        "昭和43年(43)9月18日",
        // Two spaces, a space that pads nothing, a space before a separator, or after an
        // era's letter.
        "1968年  9月18日",
        "1968/ 12/1",
        "1968 /9/18",
        "s 43.9.18",
        "平成 元年1月8日",
        // No `月` after the month.
        "1968年9年18日",
    ] {
        let got = read(no);
        assert!(
            got.as_ref()
                .is_none_or(|(_, used)| *used < fold_str(no).chars().count() - 1),
            "{no}: {got:?}"
        );
    }
}

#[test]
fn rejection_table() {
    use FieldKind::*;
    let rows: &[(FieldKind, &str, NormalizeError)] = &[
        (BirthDate, "1975-02-30", NormalizeError::BadDate),
        (BirthDate, "昭和65年1月1日", NormalizeError::BadDate),
        (BirthDate, "平成1年1月7日", NormalizeError::BadDate),
        (BirthDate, "yesterday", NormalizeError::BadDate),
        // Numbers day or month first read both ways: not in a register.
        (BirthDate, "3/2/1975", NormalizeError::BadDate),
        (BirthDate, "03.02.1975", NormalizeError::BadDate),
        (BirthDate, "Mars 2, 1975", NormalizeError::BadDate),
        (BirthDate, "Marc 2, 1975", NormalizeError::BadDate),
        (BirthDate, "2 Mar 75", NormalizeError::BadDate),
        (BirthDate, "February 30, 1975", NormalizeError::BadDate),
        (BirthDate, "昭1.1.1", NormalizeError::BadDate),
        (PostalCode, "660-005", NormalizeError::BadPostalCode),
        (Phone, "1234", NormalizeError::BadPhone),
        // `00` twice: what is left after one `0081` is no national number (fuzzing found
        // `-0081-00810081-008` normalizing to `00810081008`, which did not normalize to itself).
        (Phone, "-0081-00810081-008", NormalizeError::BadPhone),
        (Phone, "0012345678", NormalizeError::BadPhone),
        (Email, "no-at-sign", NormalizeError::BadEmail),
        (AccountNumber, "12345", NormalizeError::BadAccount),
        (
            NationalId,
            "123456789012",
            NormalizeError::BadNationalIdCheckDigit,
        ),
        (NationalId, "12345", NormalizeError::BadNationalIdLength),
        (Address, "1-23-4", NormalizeError::BadAddress),
        (Name, " 　", NormalizeError::Empty),
    ];
    for (kind, input, want) in rows {
        assert_eq!(canonicalize(*kind, input), Err(*want), "{kind} {input:?}");
    }
}

#[test]
fn my_number_check_digit_examples() {
    assert!(my_number_is_valid("123456789018"));
    assert!(!my_number_is_valid("123456789017"));
}

#[test]
fn kanji_numerals() {
    let v = |s: &str| kanji_numeral_value(&s.chars().collect::<Vec<_>>());
    assert_eq!(v("一"), Some(1));
    assert_eq!(v("十"), Some(10));
    assert_eq!(v("十二"), Some(12));
    assert_eq!(v("二十三"), Some(23));
    assert_eq!(v("二三"), Some(23));
    assert_eq!(v("百五"), Some(105));
    assert_eq!(v("山"), None);
}

fn date_strategy() -> impl Strategy<Value = (u16, u8, u8)> {
    (1927u16..2099, 1u8..=12, 1u8..=28)
}

proptest! {
    #[test]
    fn fold_is_idempotent(s in "\\PC{0,40}") {
        let once = fold_str(&s);
        prop_assert_eq!(fold_str(&once), once);
    }

    #[test]
    fn fold_is_idempotent_on_japanese(s in "[ぁ-ゖァ-ヺｦ-ﾟ一-龥０-９Ａ-Ｚａ-ｚ　ー－ﾞﾟ゛゜\\u{3099}\\u{309A} 0-9a-zA-Z-]{0,30}") {
        let once = fold_str(&s);
        prop_assert_eq!(fold_str(&once), once);
    }

    #[test]
    fn canonical_values_are_fixed_points(kind in prop::sample::select(FieldKind::ALL.to_vec()), s in "\\PC{0,30}") {
        if let Ok(Canonical::Value(v)) = canonicalize(kind, &s) {
            if kind != FieldKind::BirthDate {
                prop_assert_eq!(canonicalize(kind, &v), Ok(Canonical::Value(v.clone())));
            } else {
                prop_assert_eq!(canonicalize(kind, &v), Ok(Canonical::Value(v.clone())));
            }
        }
        if let Ok(Canonical::Tokens(t)) = canonicalize(kind, &s)
            && kind != FieldKind::Address {
                prop_assert_eq!(canonicalize(kind, &t.join(" ")), Ok(Canonical::Tokens(t.clone())));
            }
    }

    #[test]
    fn date_notations_agree((y, m, d) in date_strategy()) {
        let want = format!("{y:04}{m:02}{d:02}");
        let forms = [
            format!("{y}-{m:02}-{d:02}"),
            format!("{y}/{m}/{d}"),
            format!("{y}年{m}月{d}日"),
            format!("{y:04}{m:02}{d:02}"),
            fullwidth(&format!("{y}年{m}月{d}日")),
        ];
        for f in &forms {
            prop_assert_eq!(value(FieldKind::BirthDate, f), Ok(want.clone()), "{}", f);
        }
        let date = Date { year: y, month: m, day: d };
        if let Some((kanji, letter, n)) = era_of(date) {
            let year = if n == 1 { "元".to_string() } else { n.to_string() };
            for f in [format!("{kanji}{year}年{m}月{d}日"), format!("{letter}{n}.{m}.{d}")] {
                prop_assert_eq!(value(FieldKind::BirthDate, &f), Ok(want.clone()), "{}", f);
            }
            // Printed: padded, and with the Western year beside the era's.
            for f in [
                format!("{kanji}{year:>2}年{m:>2}月{d:>2}日").replace(" 元", "元"),
                format!("{kanji}{year}年（{y}年）{m}月{d}日"),
                format!("{y}年（{kanji}{year}年）{m:>2}月{d:>2}日"),
                format!("{letter}{n}.{m:>2}.{d:>2}"),
            ] {
                let chars: Vec<char> = fold_str(&f).chars().collect();
                let read = super::parse_date_prefix(&chars).map(|(date, used)| (date.canonical(), used));
                prop_assert_eq!(read, Some((want.clone(), chars.len())), "{}", f);
            }
            // In four cells, the era's first (the parse starts from the year's first digit).
            for f in [
                format!("{kanji},{n},{m},{d}"),
                format!("\"{letter}\",\"{n:02}\",\"{m:02}\",\"{d:02}\""),
                format!("\"{kanji}\",\"year\":{n},\"month\":{m},\"day\":{d}"),
            ] {
                let chars: Vec<char> = fold_str(&f).chars().collect();
                let y = chars.iter().position(char::is_ascii_digit).unwrap_or(0);
                let read = super::parse_era_cell_date(&chars, y)
                    .map(|(date, a, b)| (date.canonical(), a, b));
                prop_assert_eq!(read, Some((want.clone(), 0, chars.len())), "{}", f);
            }
        }
    }

    #[test]
    fn phone_notations_agree(area in "0[1-9]", mid in "[0-9]{4}", last in "[0-9]{4}") {
        let national = format!("{area}{mid}{last}");
        let forms = [
            format!("{area}-{mid}-{last}"),
            format!("({area}){mid}-{last}"),
            format!("+81-{}-{mid}-{last}", &area[1..]),
            format!("0081-{}-{mid}-{last}", &area[1..]),
            format!("0081 (0){} {mid} {last}", &area[1..]),
            fullwidth(&format!("{area}-{mid}-{last}")),
        ];
        for f in &forms {
            prop_assert_eq!(value(FieldKind::Phone, f), Ok(national.clone()), "{}", f);
        }
    }

    #[test]
    fn address_notations_agree(chome in 1u32..10, ban in 1u32..60, go in 1u32..40) {
        let kanji = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"][chome as usize];
        let want = format!("東七松町|{chome}|{ban}|{go}");
        let forms = [
            format!("兵庫県尼崎市東七松町{chome}丁目{ban}番{go}号"),
            format!("尼崎市東七松町{chome}-{ban}-{go}"),
            format!("東七松町{kanji}丁目{ban}-{go} ハイツ101"),
            format!("〒660-0051 東七松町{chome}丁目{ban}番地{go}"),
            fullwidth(&format!("東七松町{chome}-{ban}-{go}")),
        ];
        for f in &forms {
            prop_assert_eq!(value(FieldKind::Address, f), Ok(want.clone()), "{}", f);
        }
    }
}

fn era_of(d: Date) -> Option<(&'static str, char, u16)> {
    let eras = [
        (
            "昭和",
            's',
            Date {
                year: 1926,
                month: 12,
                day: 25,
            },
        ),
        (
            "平成",
            'h',
            Date {
                year: 1989,
                month: 1,
                day: 8,
            },
        ),
        (
            "令和",
            'r',
            Date {
                year: 2019,
                month: 5,
                day: 1,
            },
        ),
    ];
    eras.iter()
        .rev()
        .find(|e| d >= e.2)
        .map(|e| (e.0, e.1, d.year - e.2.year + 1))
}

fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

#[test]
fn date_canonical_is_zero_padded_yyyymmdd() {
    use super::date::Date;
    for year in 1868..=2099u16 {
        for month in 1..=12u8 {
            for day in (1..=31u8).filter(|&day| Date::new(year, month, day).is_some()) {
                let d = Date::new(year, month, day).expect("valid date");
                assert_eq!(d.canonical(), format!("{year:04}{month:02}{day:02}"));
            }
        }
    }
}

#[test]
fn token_separators_are_whitespace_and_listed_punctuation() {
    for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
        let want = c.is_whitespace() || matches!(c, '・' | ',' | '、' | '/' | '|' | ';' | '\t');
        assert_eq!(is_token_separator(c), want, "{:?}", c);
    }
}

proptest! {
    /// Only a run starting with 0 or 81 is a phone number (refused before a string is made).
    #[test]
    fn phone_numbers_start_with_0_or_81(digits in "[0-9]{8,13}", plus in any::<bool>()) {
        if phone_national(&digits, plus).is_some() {
            prop_assert!(digits.starts_with('0') || digits.starts_with("81"), "{}", digits);
        }
    }
}

#[test]
fn days_since_1970_round_trip_over_every_date() {
    assert_eq!(Date::new(1970, 1, 1).map(Date::unix_days), Some(0));
    assert_eq!(Date::new(1968, 9, 18).map(Date::unix_days), Some(-470));
    assert_eq!(Date::new(2000, 3, 1).map(Date::unix_days), Some(11_017));
    let mut days = Date::new(1868, 1, 1).unwrap().unix_days();
    for year in 1868..=2099 {
        for month in 1..=12 {
            for day in 1..=31 {
                let Some(date) = Date::new(year, month, day) else {
                    continue;
                };
                assert_eq!(date.unix_days(), days, "{date:?}");
                assert_eq!(Date::from_unix_days(days), Some(date));
                days += 1;
            }
        }
    }
    // Outside the years `Date::new` takes.
    assert_eq!(
        Date::from_unix_days(Date::new(1868, 1, 1).unwrap().unix_days() - 1),
        None
    );
    assert_eq!(Date::from_unix_days(days), None);
    assert_eq!(Date::from_unix_days(i64::MAX), None);
}
