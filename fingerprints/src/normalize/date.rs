//! Dates in Western and Japanese era notations.

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 1975.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

impl Date {
    /// Checks that the date exists in the calendar (1868–2099).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let valid = (1868..=2099).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (before it when negative), if [`Date::new`]
    /// takes it.
    pub fn from_unix_days(days: i64) -> Option<Date> {
        // Howard Hinnant's `civil_from_days`, over 400-year eras from 0000-03-01.
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date::new(u16::try_from(year).ok()?, month as u8, day as u8)
    }

    /// Days since 1970-01-01.
    pub fn unix_days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The canonical form `YYYYMMDD`.
    pub fn canonical(self) -> String {
        self.canonical_digits()
            .into_iter()
            .map(char::from)
            .collect()
    }

    /// The canonical form `YYYYMMDD` as ASCII digits, without an allocation.
    pub fn canonical_digits(self) -> [u8; 8] {
        // Written two digits at a time from a table: this runs for every date on a scanned page
        // (`format!` costs about a thousand instructions, a division per digit about ninety
        // in all). Years are 1868–2099 (`Date::new`), so four digits.
        let pair = |n: u16| {
            let k = usize::from(n % 100) * 2;
            [TWO_DIGITS[k], TWO_DIGITS[k + 1]]
        };
        let ([a, b], [c, d]) = (pair(self.year / 100), pair(self.year));
        let ([e, f], [g, h]) = (pair(self.month.into()), pair(self.day.into()));
        [a, b, c, d, e, f, g, h]
    }
}

/// `00` to `99`, two ASCII digits each.
const TWO_DIGITS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

fn days_in_month(y: u16, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        _ => 28,
    }
}

/// Japanese eras: kanji name, Latin initial (lower-case, as folded), first day.
/// An era: its name, its initial in Latin letters, and its first day.
type Era = ([char; 2], char, (u16, u8, u8));

const ERAS: [Era; 5] = [
    (['明', '治'], 'm', (1868, 1, 25)),
    (['大', '正'], 't', (1912, 7, 30)),
    (['昭', '和'], 's', (1926, 12, 25)),
    (['平', '成'], 'h', (1989, 1, 8)),
    (['令', '和'], 'r', (2019, 5, 1)),
];

/// A year of two digits up to this one is of the 2000s (`7-Nov-26` is 2026), the others of the
/// 1900s; nor is an era's year read past it.
const LATEST_TWO_DIGIT_YEAR: u32 = 26;

/// English month names (folded: lower case), for [`month_name`].
const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Parses a whole folded string as a date.
///
/// Accepted: `1975-03-02`, `1975/3/2`, `1975.3.2`, `1975年3月2日`, `19750302`, era forms
/// `昭和50年3月2日`, `昭和元年…`, `昭50.3.2`, `S50.3.2`, `s50/3/2`, `H1-1-8`, and English month
/// names `March 2, 1975`, `Mar. 2nd 1975`, `2 March 1975`, `2nd of March 1975`, `2-Mar-1975`,
/// `2-Mar-75` (a
/// spreadsheet's `d-mmm-yy`: years 00–26 are 2000–2026, the others 1927–1999), and kanji
/// numerals (`昭和五十年三月二日`, see [`parse_kanji_numeral_date_prefix`]), with any spaces.
/// Era dates must fall inside their era. Numbers written day or month first (`3/2/1975`) are
/// not dates here, since they read both ways: see [`parse_numeric_date_prefix`].
pub fn parse_date(folded: &str) -> Option<Date> {
    let whole = |s: &[char]| {
        parse_date_prefix(s).and_then(|(date, used)| (used == s.len()).then_some(date))
    };
    let s: Vec<char> = folded.chars().filter(|c| !c.is_whitespace()).collect();
    let kanji = |s: &[char]| {
        parse_kanji_numeral_date_prefix(s)
            .and_then(|(date, used)| (used == s.len()).then_some(date))
    };
    whole(&s).or_else(|| kanji(&s)).or_else(|| {
        // `May 31 1975`: the space is all there is between the day and the year.
        let words: Vec<&str> = folded.split_whitespace().collect();
        let spaced: Vec<char> = words.join(" ").chars().collect();
        whole(&spaced)
    })
}

/// Parses a date at the start of `s` (folded characters, no spaces needed); returns the date and
/// how many characters it used. The matcher calls this at candidate positions in a window.
///
/// Printed forms pad a one-digit number with a space, and some space a date's parts apart: one
/// space is read after an era's kanji before a digit, on either side of `年` `月` and before `日`
/// (`昭和43年 9月18日`, `昭和 4年 9月 8日`, `1968 年 9 月 18 日`), and after a `.` `/` `-`
/// before a one-digit number (`S43. 9.18`, `1968/ 9/ 8`). The other calendar's year may stand
/// in parentheses after the year, before or after `年`, when it is the same year
/// (`昭和43年（1968年）9月18日`, `1968年（昭和43年）9月18日`, `1968(S43)年9月18日`).
pub fn parse_date_prefix(s: &[char]) -> Option<(Date, usize)> {
    if s.first().is_some_and(char::is_ascii_lowercase)
        && let Some(found) = month_first(s)
    {
        return Some(found);
    }
    let mut i = 0;
    // No era is written with a digit (the matcher asks here at the start of every run of
    // digits).
    let era = if s.first().is_some_and(char::is_ascii_digit) {
        None
    } else {
        parse_era(s, &mut i)
    };
    // `昭和 43年`: after an era's kanji, not its letter (`s 43` is no date), and before a
    // digit (a printout pads a one-digit year; `元` is as wide as two digits).
    if era.is_some()
        && !s[i - 1].is_ascii()
        && s.get(i) == Some(&' ')
        && s.get(i + 1).is_some_and(char::is_ascii_digit)
    {
        i += 1;
    }
    // `S430918`: an era's year, month and day in six digits, as old systems store them.
    if let Some(e) = era
        && let Some(found) = era_six_digits(s, i, e)
    {
        return Some(found);
    }
    let (year_num, year_digits) = if era.is_some() && s[i..].starts_with(&['元']) {
        i += 1;
        (1u32, 1usize)
    } else {
        number(s, &mut i, 4)?
    };
    if era.is_none() && year_digits != 4 {
        return day_first(s);
    }
    // 19750302
    if era.is_none() && s.get(i).is_some_and(char::is_ascii_digit) {
        let (md, n) = number(s, &mut i, 4)?;
        if n != 4 {
            return None;
        }
        let date = Date::new(year_num as u16, (md / 100) as u8, (md % 100) as u8)?;
        return Some((date, i));
    }
    let year = match era {
        None if year_digits == 4 => year_num,
        None => return None,
        Some(e) => u32::from(ERAS[e].2.0) + year_num - 1,
    };
    // `1968(昭和43)年`, and a space before `年`.
    other_calendar(s, &mut i, year, era.is_some())?;
    let spaced = spaced_before(s, &mut i, '年');
    let sep = *s.get(i)?;
    let sep_kind = match sep {
        '年' => '年',
        '-' | '/' | '.' | '・' if !spaced => sep,
        _ => return None,
    };
    i += 1;
    if sep_kind == '年' {
        // `昭和43年（1968年）9月`, `1968年 9月`.
        skip(s, &mut i, ' ');
        if s.get(i) == Some(&'(') {
            other_calendar(s, &mut i, year, era.is_some())?;
            skip(s, &mut i, ' ');
        }
    } else {
        padding(s, &mut i);
    }
    let (month, _) = number(s, &mut i, 2)?;
    match sep_kind {
        '年' => {
            spaced_before(s, &mut i, '月');
            skip(s, &mut i, '月').then_some(())?;
            skip(s, &mut i, ' ');
        }
        c => {
            skip(s, &mut i, c).then_some(())?;
            padding(s, &mut i);
        }
    }
    let (day, _) = number(s, &mut i, 2)?;
    if sep_kind == '年' {
        spaced_before(s, &mut i, '日');
        skip(s, &mut i, '日').then_some(())?;
    }
    // A trailing digit means this was a longer number, not a date.
    if s.get(i).is_some_and(char::is_ascii_digit) {
        return None;
    }
    let date = Date::new(u16::try_from(year).ok()?, month as u8, day as u8)?;
    if era.is_some_and(|e| !in_era(date, e)) {
        return None;
    }
    Some((date, i))
}

/// `YYMMDD` of era `e` at `s[i..]`, six digits and no seventh: the date and where it ends.
fn era_six_digits(s: &[char], i: usize, e: usize) -> Option<(Date, usize)> {
    let six = s.get(i..i + 6)?;
    if !six.iter().all(char::is_ascii_digit) || s.get(i + 6).is_some_and(char::is_ascii_digit) {
        return None;
    }
    let n = |k: usize| (six[k] as u32 - '0' as u32) * 10 + (six[k + 1] as u32 - '0' as u32);
    let year = u32::from(ERAS[e].2.0) + n(0).checked_sub(1)?;
    let date = Date::new(u16::try_from(year).ok()?, n(2) as u8, n(4) as u8)?;
    in_era(date, e).then_some((date, i + 6))
}

/// Whether `date` falls inside era `e` (an index into [`ERAS`]).
fn in_era(date: Date, e: usize) -> bool {
    let day = |(year, month, day): (u16, u8, u8)| Date { year, month, day };
    day(ERAS[e].2) <= date && ERAS.get(e + 1).is_none_or(|next| date < day(next.2))
}

/// A date whose year is written without its era, one or two digits before `年`, at the start
/// of `s`: `43年9月18日`, `5年 3月 2日` (as [`parse_date_prefix`] reads the rest). Forms with the
/// era printed apart, or filled in by hand beside a printed era, leave it out. Every reading
/// that is a date is returned: the year of Shōwa, Heisei and Reiwa (up to 2026), with the
/// characters used. A Western year of two digits (`68年` for 1968 is said, but birth dates on
/// forms are written in eras) only where no era's year is (65 to 99): each reading more is one
/// more chance that a namesake born on it is taken for the person (measured in the matcher's
/// tests). For the matcher, which checks
/// each against a record's birth date; a register's dates must say which they are
/// ([`parse_date`] refuses these).
pub fn parse_eraless_date_prefix(s: &[char]) -> Option<([Option<Date>; 3], usize)> {
    let mut i = 0;
    let (year, _) = number(s, &mut i, 2)?;
    skip(s, &mut i, '年').then_some(())?;
    skip(s, &mut i, ' ');
    let (month, _) = number(s, &mut i, 2)?;
    spaced_before(s, &mut i, '月');
    skip(s, &mut i, '月').then_some(())?;
    skip(s, &mut i, ' ');
    let (day, _) = number(s, &mut i, 2)?;
    spaced_before(s, &mut i, '日');
    skip(s, &mut i, '日').then_some(())?;
    // Shōwa, Heisei, Reiwa, up to the latest year a two-digit year stands for.
    let mut read = era_readings(year, month, day);
    if year > 64 {
        read[0] = Date::new(1900 + year as u16, month as u8, day as u8);
    }
    read.iter().any(Option::is_some).then_some((read, i))
}

/// The dates a year of one or two digits written without its era gives: Shōwa, Heisei and
/// Reiwa (up to the latest year a two-digit year stands for), each where it falls in that era.
fn era_readings(year: u32, month: u32, day: u32) -> [Option<Date>; 3] {
    [2, 3, 4].map(|e| {
        let y = u16::try_from(u32::from(ERAS[e].2.0) + year).ok()? - 1;
        Date::new(y, month as u8, day as u8).filter(|&date| {
            year >= 1 && in_era(date, e) && u32::from(date.year) <= 2000 + LATEST_TWO_DIGIT_YEAR
        })
    })
}

/// The Western year a two-digit year stands for: up to [`LATEST_TWO_DIGIT_YEAR`] of the
/// 2000s, the others of the 1900s.
fn two_digit_year(year: u32) -> u32 {
    if year <= LATEST_TWO_DIGIT_YEAR {
        2000 + year
    } else {
        1900 + year
    }
}

/// A date whose year is written with two digits, year first, with `.` `/` or `・` between the
/// parts or as six digits, at the start of `s`: `68/09/18`, `43.9.18` (forms with a printed
/// era, and columns of era dates, leave the era out), `43. 9.18`, `680918` (as old systems
/// store dates: six digits and no seventh). Every reading that is a date is returned: the
/// Western year (up to [`LATEST_TWO_DIGIT_YEAR`] of the 2000s, the others of the 1900s), and
/// but for six digits the year of Shōwa, Heisei and Reiwa (up to 2026), with the characters
/// used. Not a date when
/// a digit follows, or a `.` `/` `-` and a digit (`22.04.1.3`: a version, or an address's
/// numbers). For the matcher, which checks each reading against a record's birth date and
/// starts here only where no letter, digit or separator comes before; a register's dates must
/// say which they are ([`parse_date`] refuses these).
pub fn parse_short_year_date_prefix(s: &[char]) -> Option<([Option<Date>; 4], usize)> {
    let mut i = 0;
    let (year, n) = number(s, &mut i, 2)?;
    if n != 2 {
        return None;
    }
    let digit = |k: usize| s.get(k).is_some_and(char::is_ascii_digit);
    let six = digit(i);
    let (month, day) = if six {
        let (month, _) = number(s, &mut i, 2)?;
        let (day, n) = number(s, &mut i, 2)?;
        if n != 2 || i != 6 {
            return None;
        }
        (month, day)
    } else {
        let sep = *s.get(i).filter(|c| matches!(c, '/' | '.' | '・'))?;
        i += 1;
        padding(s, &mut i);
        let (month, _) = number(s, &mut i, 2)?;
        skip(s, &mut i, sep).then_some(())?;
        padding(s, &mut i);
        let (day, _) = number(s, &mut i, 2)?;
        (month, day)
    };
    if digit(i) || (matches!(s.get(i), Some('.' | '/' | '-' | '・')) && digit(i + 1)) {
        return None;
    }
    let western = Date::new(two_digit_year(year) as u16, month as u8, day as u8);
    // Shōwa, Heisei, Reiwa, as a year without its era before `年` reads; not for six digits,
    // which systems that store era dates keep with the era's code or letter (`S430918`).
    let [showa, heisei, reiwa] = if six {
        [None; 3]
    } else {
        era_readings(year, month, day)
    };
    let read = [western, showa, heisei, reiwa];
    read.iter().any(Option::is_some).then_some((read, i))
}

/// A date in kanji numerals at the start of `s`, as family registers and formal documents write
/// it: `昭和四十三年九月十八日`, `昭和四拾参年九月拾八日` (the old forms 壱 弐 参 拾), `平成元年一月八日`,
/// or a Western year digit by digit, `一九六八年九月十八日`; returns the date and the characters
/// used. Era dates must fall inside their era.
pub fn parse_kanji_numeral_date_prefix(s: &[char]) -> Option<(Date, usize)> {
    let mut i = 0;
    let era = ERAS.iter().position(|(kanji, _, _)| s.starts_with(kanji));
    i += era.map_or(0, |_| 2);
    let (value, positional) = if era.is_some() && skip(s, &mut i, '元') {
        (1, None)
    } else {
        kanji_number(s, &mut i, 6)?
    };
    let year = match era {
        Some(e) => u32::from(ERAS[e].2.0) + value - 1,
        // A Western year is written digit by digit.
        None if positional == Some(4) => value,
        None => return None,
    };
    skip(s, &mut i, '年').then_some(())?;
    let (month, _) = kanji_number(s, &mut i, 3)?;
    skip(s, &mut i, '月').then_some(())?;
    let (day, _) = kanji_number(s, &mut i, 3)?;
    skip(s, &mut i, '日').then_some(())?;
    let date = Date::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )?;
    if era.is_some_and(|e| !in_era(date, e)) {
        return None;
    }
    Some((date, i))
}

/// A run of up to `max` kanji numerals at `s[*i..]`, the old forms (`壱 弐 参 拾`) read as the
/// common ones: its value, and its length when it is written digit by digit (no `十 百 千`).
fn kanji_number(s: &[char], i: &mut usize, max: usize) -> Option<(u32, Option<usize>)> {
    let common = |c: char| match c {
        '壱' => '一',
        '弐' => '二',
        '参' => '三',
        '拾' => '十',
        c => c,
    };
    let mut run = [' '; 6];
    let mut n = 0;
    while n < max.min(run.len())
        && s.get(*i + n)
            .is_some_and(|&c| super::is_kanji_numeral(common(c)))
    {
        run[n] = common(s[*i + n]);
        n += 1;
    }
    let value = super::kanji_numeral_value(&run[..n])?;
    *i += n;
    let positional = !run[..n].iter().any(|c| matches!(c, '十' | '百' | '千'));
    Some((value, positional.then_some(n)))
}

/// A space at `s[*i]` before `c`: moves `i` past the space if `c` follows it. Whether it did.
#[inline]
fn spaced_before(s: &[char], i: &mut usize, c: char) -> bool {
    let here = s.get(*i) == Some(&' ') && s.get(*i + 1) == Some(&c);
    *i += usize::from(here);
    here
}

/// A space that pads a one-digit number (`S43. 9.18`): moves `i` past it.
#[inline]
fn padding(s: &[char], i: &mut usize) {
    let digit = |k: usize| s.get(k).is_some_and(char::is_ascii_digit);
    if s.get(*i) == Some(&' ') && digit(*i + 1) && !digit(*i + 2) {
        *i += 1;
    }
}

/// The same year in the other calendar, in parentheses at `s[*i]` (`(1968年)` after an era's
/// year, `(昭和43年)` or `(S43)` after a Western one): moves `i` past it. `None` when the
/// parentheses hold anything else, or another year (`1968年(昭和44年)` is no date); `Some`
/// without moving when there are none.
#[inline]
fn other_calendar(s: &[char], i: &mut usize, year: u32, after_era: bool) -> Option<()> {
    if s.get(*i) != Some(&'(') {
        return Some(());
    }
    let mut j = *i + 1;
    skip(s, &mut j, ' ');
    let era = if after_era {
        None
    } else {
        Some(parse_era(s, &mut j)?)
    };
    let (n, digits) = if era.is_some() && skip(s, &mut j, '元') {
        (1, 1)
    } else {
        number(s, &mut j, 4)?
    };
    let same = match era {
        None => digits == 4 && n == year,
        Some(e) => n >= 1 && u32::from(ERAS[e].2.0) + n - 1 == year,
    };
    skip(s, &mut j, '年');
    skip(s, &mut j, ' ');
    (same && skip(s, &mut j, ')')).then(|| *i = j)
}

fn parse_era(s: &[char], i: &mut usize) -> Option<usize> {
    for (idx, (kanji, initial, _)) in ERAS.iter().enumerate() {
        if s[*i..].starts_with(kanji) {
            *i += kanji.len();
            return Some(idx);
        }
        // The era's first kanji alone before its year (`昭50.3.2`, `平元.1.8`).
        if s.get(*i) == Some(&kanji[0])
            && s.get(*i + 1)
                .is_some_and(|c| c.is_ascii_digit() || *c == '元')
        {
            *i += 1;
            return Some(idx);
        }
        if s.get(*i) == Some(initial)
            && s.get(*i + 1)
                .is_some_and(|c| c.is_ascii_digit() || *c == '.')
        {
            *i += 1;
            if s.get(*i) == Some(&'.') {
                *i += 1;
            }
            return Some(idx);
        }
    }
    None
}

/// `March 2, 1975`, `Mar. 2nd 1975`, `mar 2 1975` (a month name first, and a comma, a space or
/// an ordinal's letters between the day and the year; see [`parse_date`]).
fn month_first(s: &[char]) -> Option<(Date, usize)> {
    let mut i = 0;
    let month = month_name(s, &mut i)?;
    skip(s, &mut i, ' ');
    let (day, _) = number(s, &mut i, 2)?;
    let after_day = i;
    ordinal(s, &mut i);
    skip(s, &mut i, ',');
    skip(s, &mut i, ' ');
    // Something between the day and the year (`nov191868` is no date).
    if i == after_day {
        return None;
    }
    let (year, n) = number(s, &mut i, 4)?;
    if n != 4 || s.get(i).is_some_and(char::is_ascii_digit) {
        return None;
    }
    Some((Date::new(year as u16, month as u8, day as u8)?, i))
}

/// `2 March 1975`, `2nd of Mar. 1975`, `2-Mar-1975`, `2-Mar-75`: the day first (see
/// [`parse_date`]).
fn day_first(s: &[char]) -> Option<(Date, usize)> {
    let mut i = 0;
    let (day, _) = number(s, &mut i, 2)?;
    ordinal(s, &mut i);
    // A space or a hyphen, or nothing (`parse_date` takes spaces out).
    let hyphen = match s.get(i) {
        Some('-') => true,
        Some(' ') => false,
        Some(c) if c.is_ascii_lowercase() => false,
        _ => return None,
    };
    skip(s, &mut i, if hyphen { '-' } else { ' ' });
    // `2nd of March`.
    if !hyphen && s[i..].starts_with(&['o', 'f']) {
        i += 2;
        skip(s, &mut i, ' ');
    }
    let month = month_name(s, &mut i)?;
    if hyphen {
        skip(s, &mut i, '-').then_some(())?;
    } else {
        skip(s, &mut i, ',');
        skip(s, &mut i, ' ');
    }
    let (year, n) = number(s, &mut i, 4)?;
    let year = match n {
        4 => year,
        // A spreadsheet's `d-mmm-yy`.
        2 if hyphen => two_digit_year(year),
        _ => return None,
    };
    if s.get(i).is_some_and(char::is_ascii_digit) {
        return None;
    }
    Some((Date::new(year as u16, month as u8, day as u8)?, i))
}

/// An English month name at `s[*i..]` (folded: lower case), whole, as its first three letters
/// or as `sept`, and a `.` after it; no letter may follow. Returns the month and moves `i`
/// past it.
fn month_name(s: &[char], i: &mut usize) -> Option<u32> {
    let start = *i;
    let mut j = start;
    while j < s.len() && j - start < 10 && s[j].is_ascii_lowercase() {
        j += 1;
    }
    let word = &s[start..j];
    // Three letters at least (a dump's `s43.9.18` asks here first).
    if word.len() < 3 || s.get(j).is_some_and(char::is_ascii_alphabetic) {
        return None;
    }
    let is = |name: &str| name.len() == word.len() && name.chars().zip(word).all(|(a, &b)| a == b);
    let month = MONTH_NAMES.iter().position(|name| {
        is(name) || (word.len() == 3 && is(&name[..3])) || (*name == "september" && is("sept"))
    })?;
    *i = j;
    skip(s, i, '.');
    Some(month as u32 + 1)
}

/// An ordinal's letters after a day (`1st`, `2nd`, `3rd`, `4th`), when no letter follows them
/// other than `of` or a month's name (`2ndofmarch`: `parse_date` takes spaces out).
fn ordinal(s: &[char], i: &mut usize) {
    let j = *i + 2;
    if matches!(
        s.get(*i..j),
        Some(['s', 't'] | ['n', 'd'] | ['r', 'd'] | ['t', 'h'])
    ) && (!s.get(j).is_some_and(char::is_ascii_alphabetic)
        || s[j..].starts_with(&['o', 'f'])
        || month_name(s, &mut j.clone()).is_some())
    {
        *i = j;
    }
}

/// Moves `i` past `c` if it is there; whether it was.
fn skip(s: &[char], i: &mut usize, c: char) -> bool {
    let here = s.get(*i) == Some(&c);
    *i += usize::from(here);
    here
}

/// A date written with numbers only, day or month first and the year last, at the start of
/// `s`: `3/2/1975`, `03.02.1975`, `3-2-1975` (one separator throughout), and with `/` a year of
/// two digits (`3/2/75`: up to [`LATEST_TWO_DIGIT_YEAR`] of the 2000s, the others of the
/// 1900s; not with `.` or `-`, which versions, addresses and other numbers take). English-language pages
/// and spreadsheets write the month first (`3/2/1975` is March 2 in the United States), many
/// others the day (`03.02.1975` is 3 February in Germany): every reading that is a date is
/// returned (one when both read the same, or only one is a date), with the characters used.
/// For the matcher, which checks each against a record's birth date; a register's dates must
/// say which they are ([`parse_date`] refuses these).
pub fn parse_numeric_date_prefix(s: &[char]) -> Option<([Option<Date>; 2], usize)> {
    let mut i = 0;
    let (a, _) = number(s, &mut i, 2)?;
    let sep = *s.get(i).filter(|c| matches!(c, '/' | '.' | '-'))?;
    i += 1;
    let (b, _) = number(s, &mut i, 2)?;
    skip(s, &mut i, sep).then_some(())?;
    let (year, n) = number(s, &mut i, 4)?;
    let year = match n {
        4 => year,
        2 if sep == '/' => two_digit_year(year),
        _ => return None,
    };
    if s.get(i).is_some_and(char::is_ascii_digit) {
        return None;
    }
    let month_first = Date::new(year as u16, a as u8, b as u8);
    let day_first = Date::new(year as u16, b as u8, a as u8).filter(|&d| Some(d) != month_first);
    match (month_first, day_first) {
        (None, None) => None,
        (None, y) => Some(([y, None], i)),
        (x, y) => Some(([x, y], i)),
    }
}

/// Characters three cells of [`three_digit_cells`] (a date, a phone number) may take, at most
/// (two JSON keys of [`MAX_CELL_KEY_CHARS`] and their quotes included).
pub const CELL_CHARS: usize = 96;

/// Characters of a JSON key between two cells of [`three_digit_cells`], at most.
const MAX_CELL_KEY_CHARS: usize = 24;

/// A date written in three cells of a row, year, month and day, at the start of `s`: as forms
/// with a select box for each part store a birth date. `1968,9,18`, `"1968","09","18"`,
/// `1968<tab>9<tab>18`, `| 1968 | 9 | 18 |`, `'1968', '9', '18'` (SQL), or three fields of a
/// JSON object, `1968,"birth_month":9,"birth_day":18` (the matcher starts at the year's value).
/// The three parts are set apart alike: the same separator (`,` `;` `|` or a tab, with up to
/// two spaces on either side), the same quotes, and a key before both the month and the day or
/// before neither. Not a date when a digit follows the day, or a `.` `/` `-` `:` and a digit
/// (`18.5`). Returns the date and the characters used, up to the day's closing quote. For the
/// matcher; a register's dates are one cell ([`parse_date`] refuses these).
pub fn parse_cell_date_prefix(s: &[char]) -> Option<(Date, usize)> {
    let ([y, m, d], used) = three_digit_cells(s, 4)?;
    let value = |(a, b): (usize, usize)| number(&s[a..b], &mut 0, 4).map_or(0, |(v, _)| v);
    if y.1 - y.0 != 4 || m.1 - m.0 > 2 || d.1 - d.0 > 2 {
        return None;
    }
    let date = Date::new(value(y) as u16, value(m) as u8, value(d) as u8)?;
    Some((date, used))
}

/// Three runs of up to `max_digits` ASCII digits in three cells of a row at the start of `s`
/// (which starts with the first run's first digit), set apart alike: the same separator (`,`
/// `;` `|` or a tab, with up to two spaces on either side), the same quotes, and a JSON key
/// before both the second and the third or before neither (`1968,9,18`, `'090','6682','8625'`,
/// `"tel01":"090","tel02":"6682","tel03":"8625"` from its first value). Not when a digit follows
/// a run, or a `.` `/` `-` `:` and a digit follow the third (`18.5`). Returns the three runs'
/// spans and the characters used, up to the third's closing quote.
pub fn three_digit_cells(s: &[char], max_digits: usize) -> Option<([(usize, usize); 3], usize)> {
    digit_cells(s, max_digits).map(|c| (c.runs, c.used))
}

/// Three cells of [`three_digit_cells`], and how they are set apart.
struct DigitCells {
    /// The three runs of digits.
    runs: [(usize, usize); 3],
    /// Characters used, up to the third run's closing quote.
    used: usize,
    /// The quote around each run, if any.
    quote: Option<char>,
    /// The separator between two runs, and whether a JSON key comes before each.
    gap: (char, bool),
}

/// [`three_digit_cells`], with the cells' quote and gap.
fn digit_cells(s: &[char], max_digits: usize) -> Option<DigitCells> {
    let digit = |k: usize| s.get(k).is_some_and(char::is_ascii_digit);
    let run = |i: &mut usize| {
        let start = *i;
        number(s, i, max_digits)?;
        (!digit(*i)).then_some((start, *i))
    };
    let mut i = 0;
    let first = run(&mut i)?;
    let quote = s.get(i).copied().filter(|c| matches!(c, '"' | '\''));
    i += usize::from(quote.is_some());
    let gap = cell_gap(s, &mut i, quote)?;
    let second = run(&mut i)?;
    if let Some(q) = quote {
        skip(s, &mut i, q).then_some(())?;
    }
    if cell_gap(s, &mut i, quote)? != gap {
        return None;
    }
    let third = run(&mut i)?;
    if matches!(s.get(i), Some('.' | '/' | '-' | ':')) && digit(i + 1) {
        return None;
    }
    if let Some(q) = quote {
        skip(s, &mut i, q).then_some(())?;
    }
    Some(DigitCells {
        runs: [first, second, third],
        used: i,
        quote,
        gap,
    })
}

/// Romanized era names (folded: lower case), by index into [`ERAS`].
const ERA_WORDS: [(&str, usize); 7] = [
    ("meiji", 0),
    ("taisho", 1),
    ("taishou", 1),
    ("showa", 2),
    ("shouwa", 2),
    ("heisei", 3),
    ("reiwa", 4),
];

/// A date written in four cells of a row, era, year, month and day, as forms with a select box
/// for the era store a birth date: `昭和,43,9,18`, `"S","43","09","18"`, `'昭和', '43', '9',
/// '18'` (SQL), `showa<tab>43<tab>9<tab>18`, or fields of a JSON object, `"birth_era":"昭和",
/// "birth_year":43,"birth_month":9,"birth_day":18`; the era's first year may be `元`
/// (`平成,元,1,8`), and `y` is then where the month's first digit is. The era is its two kanji, its initial
/// (`m` `t` `s` `h` `r`, folded) or its name in Latin letters (`showa`), a cell of its own; the
/// year, month and day are [`three_digit_cells`] of one or two digits each, and the era's cell is
/// set apart from the year's as they are from each other (the same separator, a key before the
/// year's value when there is one before the month's); the era's cell may be quoted when the
/// numbers are not (JSON). `s` is the text and `y` where the year's first digit is (the matcher
/// starts from runs of digits). Returns the date and the span of the four cells in `s`, from
/// the era's first character to the day's closing quote. For the matcher; a register's dates
/// are one cell ([`parse_date`] refuses these).
pub fn parse_era_cell_date(s: &[char], y: usize) -> Option<(Date, usize, usize)> {
    // Back from the year (first: most runs of digits have no era before them): its opening
    // quote, the gap, the era's closing quote, the era; then forward, the three numbers.
    let mut j = y;
    let year_quote = j
        .checked_sub(1)
        .map(|k| s[k])
        .filter(|c| matches!(c, '"' | '\''));
    j -= usize::from(year_quote.is_some());
    let gap = back_gap(s, &mut j)?;
    let quote = j
        .checked_sub(1)
        .map(|k| s[k])
        .filter(|c| matches!(c, '"' | '\''));
    j -= usize::from(quote.is_some());
    // `元` for the era's first year, in a cell of its own (`平成,元,1,8`): `y` is then the
    // month's first digit, and the year's cell is set apart from the era's alike.
    let first_year = j > 0 && s[j - 1] == '元';
    if first_year {
        j -= 1;
        if let Some(q) = quote {
            (j > 0 && s[j - 1] == q).then_some(())?;
            j -= 1;
        }
        (back_gap(s, &mut j)? == gap).then_some(())?;
        if let Some(q) = quote {
            (j > 0 && s[j - 1] == q).then_some(())?;
            j -= 1;
        }
    }
    let (era, len) = era_ending_at(&s[..j])?;
    j -= len;
    let before = j.checked_sub(1).map(|k| s[k]);
    match (quote, before) {
        (Some(q), Some(b)) if b == q => j -= 1,
        (Some(_), _) => return None,
        (None, b) => {
            let opens = |c: char| {
                matches!(
                    c,
                    ',' | ';' | '|' | '\t' | ' ' | ':' | '\n' | '(' | '[' | '{'
                )
            };
            b.is_none_or(opens).then_some(())?;
        }
    }
    let rest = s.get(y..)?;
    let rest = &rest[..rest.len().min(CELL_CHARS)];
    let value = |(a, b): (usize, usize)| number(&rest[a..b], &mut 0, 2).map_or(0, |(v, _)| v);
    let (ey, m, d, used) = if first_year {
        let ([m, d], used) = month_day_cells(rest, year_quote, gap)?;
        (1, value(m), value(d), used)
    } else {
        let cells = digit_cells(rest, 2)?;
        if cells.quote != year_quote || cells.gap != gap {
            return None;
        }
        let [ey, m, d] = cells.runs.map(value);
        (ey, m, d, cells.used)
    };
    let year = u32::from(ERAS[era].2.0) + ey.checked_sub(1)?;
    let date = Date::new(u16::try_from(year).ok()?, m as u8, d as u8)?;
    in_era(date, era).then_some((date, j, y + used))
}

/// Two runs of one or two digits in two cells at the start of `s`, month and day after an
/// era's `元`: each closed by `quote` (the month's opening one, already passed), set apart by
/// `gap` as the cells before them are; the same ends as [`three_digit_cells`]' third run.
/// Returns the runs' spans and the characters used, up to the day's closing quote.
fn month_day_cells(
    s: &[char],
    quote: Option<char>,
    gap: (char, bool),
) -> Option<([(usize, usize); 2], usize)> {
    let digit = |k: usize| s.get(k).is_some_and(char::is_ascii_digit);
    let run = |i: &mut usize| {
        let start = *i;
        number(s, i, 2)?;
        (!digit(*i)).then_some((start, *i))
    };
    let mut i = 0;
    let month = run(&mut i)?;
    if let Some(q) = quote {
        skip(s, &mut i, q).then_some(())?;
    }
    (cell_gap(s, &mut i, quote)? == gap).then_some(())?;
    let day = run(&mut i)?;
    if matches!(s.get(i), Some('.' | '/' | '-' | ':')) && digit(i + 1) {
        return None;
    }
    if let Some(q) = quote {
        skip(s, &mut i, q).then_some(())?;
    }
    Some(([month, day], i))
}

/// The era whose name ends `s` (its kanji, its initial or its name in Latin letters, not the
/// end of a longer word): its index into [`ERAS`] and the characters its name takes.
fn era_ending_at(s: &[char]) -> Option<(usize, usize)> {
    let n = s.len();
    if let Some(e) = ERAS.iter().position(|era| s.ends_with(&era.0)) {
        return Some((e, 2));
    }
    let word_start = |len: usize| n == len || !s[n - len - 1].is_ascii_alphanumeric();
    let last = *s.last()?;
    if let Some(e) = ERAS.iter().position(|era| era.1 == last) {
        return word_start(1).then_some((e, 1));
    }
    ERA_WORDS.iter().find_map(|&(word, e)| {
        let len = word.len();
        (n >= len && s[n - len..].iter().copied().eq(word.chars()) && word_start(len))
            .then_some((e, len))
    })
}

/// [`cell_gap`] read backwards from `s[*j]`, the first character of a cell's value (after its
/// opening quote): spaces, a JSON key and its `:` if any, spaces, the separator, spaces. Moves
/// `j` to just after the previous cell (its closing quote, if any); returns the separator and
/// whether there was a key.
fn back_gap(s: &[char], j: &mut usize) -> Option<(char, bool)> {
    let at = |j: usize| j.checked_sub(1).map(|k| s[k]);
    let spaces = |j: &mut usize, most: usize| {
        for _ in 0..most {
            if at(*j) != Some(' ') {
                break;
            }
            *j -= 1;
        }
    };
    let value = *j;
    spaces(j, 1);
    let keyed = at(*j) == Some(':');
    if !keyed {
        *j = value;
    } else {
        *j -= 1;
        spaces(j, 1);
        (at(*j) == Some('"')).then_some(())?;
        *j -= 1;
        let len = s[..*j]
            .iter()
            .rev()
            .take(MAX_CELL_KEY_CHARS + 1)
            .position(|&c| matches!(c, '"' | ',' | '\n' | '{' | '}'))?;
        if len == 0 || s[*j - len - 1] != '"' {
            return None;
        }
        *j -= len + 1;
    }
    spaces(j, 2);
    let sep = at(*j).filter(|c| matches!(c, ',' | ';' | '|' | '\t'))?;
    *j -= 1;
    spaces(j, 2);
    Some((sep, keyed))
}

/// What sets two of [`three_digit_cells`]' runs apart, at `s[*i..]` after the first part
/// and its closing quote: spaces, a separator, spaces, a JSON key and its `:` if any, and the
/// next part's opening `quote`. Moves `i` to the next part's first digit; returns the separator
/// and whether there was a key.
fn cell_gap(s: &[char], i: &mut usize, quote: Option<char>) -> Option<(char, bool)> {
    let spaces = |i: &mut usize| {
        for _ in 0..2 {
            if !skip(s, i, ' ') {
                break;
            }
        }
    };
    spaces(i);
    let sep = *s.get(*i).filter(|c| matches!(c, ',' | ';' | '|' | '\t'))?;
    *i += 1;
    spaces(i);
    // A key: `"birth_month":`, unless the quote opens the value (`"1968","09"`).
    let keyed = s.get(*i) == Some(&'"')
        && !(quote == Some('"') && s.get(*i + 1).is_some_and(char::is_ascii_digit));
    if keyed {
        let len = s
            .get(*i + 1..)?
            .iter()
            .take(MAX_CELL_KEY_CHARS + 1)
            .position(|&c| matches!(c, '"' | ',' | '\n' | '{' | '}'))?;
        if len == 0 || s[*i + 1 + len] != '"' {
            return None;
        }
        *i += len + 2;
        skip(s, i, ' ');
        skip(s, i, ':').then_some(())?;
        skip(s, i, ' ');
    }
    if let Some(q) = quote {
        skip(s, i, q).then_some(())?;
    }
    Some((sep, keyed))
}

/// Reads 1..=max ASCII digits; returns the value and the digit count.
fn number(s: &[char], i: &mut usize, max: usize) -> Option<(u32, usize)> {
    let start = *i;
    let mut v = 0u32;
    while *i < s.len() && *i - start < max && s[*i].is_ascii_digit() {
        v = v * 10 + (s[*i] as u32 - '0' as u32);
        *i += 1;
    }
    (*i > start).then_some((v, *i - start))
}
