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

    /// The canonical form `YYYYMMDD`.
    pub fn canonical(self) -> String {
        self.canonical_digits()
            .into_iter()
            .map(char::from)
            .collect()
    }

    /// The canonical form `YYYYMMDD` as ASCII digits, without an allocation.
    pub fn canonical_digits(self) -> [u8; 8] {
        // Written digit by digit: this runs for every date on a scanned page, and `format!` costs
        // about a thousand instructions. Years are 1868–2099 (`Date::new`), so four digits.
        let (y, m, d) = (self.year, u16::from(self.month), u16::from(self.day));
        [
            y / 1000,
            y / 100 % 10,
            y / 10 % 10,
            y % 10,
            m / 10,
            m % 10,
            d / 10,
            d % 10,
        ]
        .map(|digit| b'0' + (digit % 10) as u8)
    }
}

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

/// Parses a whole folded string as a date.
///
/// Accepted: `1975-03-02`, `1975/3/2`, `1975.3.2`, `1975年3月2日`, `19750302`, and era forms
/// `昭和50年3月2日`, `昭和元年…`, `S50.3.2`, `s50/3/2`, `H1-1-8`, with any spaces. Era dates must
/// fall inside their era.
pub fn parse_date(folded: &str) -> Option<Date> {
    let s: Vec<char> = folded.chars().filter(|c| !c.is_whitespace()).collect();
    let (date, used) = parse_date_prefix(&s)?;
    (used == s.len()).then_some(date)
}

/// Parses a date at the start of `s` (folded characters, no spaces needed); returns the date and
/// how many characters it used. The matcher calls this at candidate positions in a window.
pub fn parse_date_prefix(s: &[char]) -> Option<(Date, usize)> {
    let mut i = 0;
    // No era is written with a digit (the matcher asks here at the start of every run of
    // digits).
    let era = if s.first().is_some_and(char::is_ascii_digit) {
        None
    } else {
        parse_era(s, &mut i)
    };
    let (year_num, year_digits) = if era.is_some() && s[i..].starts_with(&['元']) {
        i += 1;
        (1u32, 1usize)
    } else {
        number(s, &mut i, 4)?
    };
    if era.is_none() && year_digits != 4 {
        return None;
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
    let sep = *s.get(i)?;
    let sep_kind = match sep {
        '年' => '年',
        '-' | '/' | '.' => sep,
        _ => return None,
    };
    i += 1;
    let (month, _) = number(s, &mut i, 2)?;
    match (sep_kind, s.get(i)) {
        ('年', Some('月')) => i += 1,
        (c, Some(&d)) if c == d => i += 1,
        _ => return None,
    }
    let (day, _) = number(s, &mut i, 2)?;
    if sep_kind == '年' && s.get(i) == Some(&'日') {
        i += 1;
    } else if sep_kind == '年' {
        return None;
    }
    // A trailing digit means this was a longer number, not a date.
    if s.get(i).is_some_and(char::is_ascii_digit) {
        return None;
    }
    let year = match era {
        None if year_digits == 4 => year_num,
        None => return None,
        Some(e) => u32::from(ERAS[e].2.0) + year_num - 1,
    };
    let date = Date::new(u16::try_from(year).ok()?, month as u8, day as u8)?;
    if let Some(e) = era {
        let (y, m, d) = ERAS[e].2;
        let start = Date {
            year: y,
            month: m,
            day: d,
        };
        let within_next = ERAS.get(e + 1).is_none_or(|n| {
            let (y, m, d) = n.2;
            date < Date {
                year: y,
                month: m,
                day: d,
            }
        });
        if date < start || !within_next {
            return None;
        }
    }
    Some((date, i))
}

fn parse_era(s: &[char], i: &mut usize) -> Option<usize> {
    for (idx, (kanji, initial, _)) in ERAS.iter().enumerate() {
        if s[*i..].starts_with(kanji) {
            *i += kanji.len();
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
