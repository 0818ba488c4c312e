//! Japanese addresses: town name plus block numbers.
//!
//! `兵庫県尼崎市東七松町1丁目23番4号`, `尼崎市東七松町1-23-4` and `東七松町一丁目23-4 サンハイツ101`
//! all give the tokens `["東七松町", "1", "23", "4"]`: the postal code, prefecture and city in
//! front and the building and room behind are dropped, kanji numerals in front of 丁目/番/号
//! become digits and 丁目/番地/番/号/の/hyphens are separators.

use super::NormalizeError;

const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// Block numbers kept after the town (丁目, 番, 号); a room number after them is dropped.
const MAX_NUMBERS: usize = 3;

/// True for the kanji numerals 〇一二三四五六七八九十百千.
pub fn is_kanji_numeral(c: char) -> bool {
    matches!(
        c,
        '〇' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '百' | '千'
    )
}

/// The value of a run of kanji numerals, positional (`二三` = 23) or with 十/百/千 (`二十三` = 23).
pub fn kanji_numeral_value(run: &[char]) -> Option<u32> {
    if run.is_empty() || !run.iter().all(|c| is_kanji_numeral(*c)) {
        return None;
    }
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|p| p as u32)
    };
    if run.iter().any(|c| matches!(c, '十' | '百' | '千')) {
        let (mut total, mut cur) = (0u32, None::<u32>);
        for &c in run {
            let unit = match c {
                '十' => 10,
                '百' => 100,
                '千' => 1000,
                d => {
                    cur = Some(digit(d)?);
                    continue;
                }
            };
            total += cur.unwrap_or(1) * unit;
            cur = None;
        }
        Some(total + cur.unwrap_or(0))
    } else {
        run.iter()
            .try_fold(0u32, |acc, &c| acc.checked_mul(10)?.checked_add(digit(c)?))
    }
}

/// Length in characters of an address block suffix (`丁目`, `番地`, `番`, `号`) starting at `i`,
/// or 0.
pub fn address_suffix_len(s: &[char], i: usize) -> usize {
    match (s.get(i), s.get(i + 1)) {
        (Some('丁'), Some('目')) | (Some('番'), Some('地')) => 2,
        (Some('番' | '号'), _) => 1,
        _ => 0,
    }
}

/// Splits a folded address into canonical tokens (town, then block numbers).
pub fn address_tokens(folded: &str) -> Result<Vec<String>, NormalizeError> {
    let s: Vec<char> = folded.trim().chars().collect();
    let mut i = skip_postal_code(&s, 0);
    i = skip_spaces(&s, i);
    if let Some(p) = PREFECTURES.iter().find(|p| starts_with(&s, i, p)) {
        i = skip_spaces(&s, i + p.chars().count());
    }
    i = skip_city(&s, i);
    i = skip_spaces(&s, i);
    // Town: everything up to the first block number.
    let town_start = i;
    while i < s.len() && !s[i].is_whitespace() && number_at(&s, i).is_none() && s[i] != '-' {
        i += 1;
    }
    let town: String = s[town_start..i].iter().collect();
    if town.is_empty() || town.chars().all(|c| c.is_ascii_digit()) {
        return Err(NormalizeError::BadAddress);
    }
    let mut tokens = vec![town];
    i = skip_spaces(&s, i);
    for _ in 0..MAX_NUMBERS {
        let Some((value, len)) = number_at(&s, i) else {
            break;
        };
        tokens.push(value.to_string());
        i += len;
        let suffix = address_suffix_len(&s, i);
        let was_go = s.get(i) == Some(&'号');
        i += suffix;
        if was_go {
            break;
        }
        // One separator may stand between two numbers; a space only after 丁目/番.
        let sep =
            matches!(s.get(i), Some('-' | 'ノ' | 'ー')) || (suffix > 0 && s.get(i) == Some(&' '));
        if sep && number_at(&s, i + 1).is_some() {
            i += 1;
        }
    }
    Ok(tokens)
}

/// A block number at `i`: ASCII digits, or kanji numerals followed by an address suffix.
fn number_at(s: &[char], i: usize) -> Option<(u32, usize)> {
    let mut j = i;
    while j < s.len() && s[j].is_ascii_digit() && j - i < 6 {
        j += 1;
    }
    if j > i {
        let v = s[i..j]
            .iter()
            .fold(0u32, |acc, c| acc * 10 + (*c as u32 - '0' as u32));
        return Some((v, j - i));
    }
    while j < s.len() && is_kanji_numeral(s[j]) && j - i < 6 {
        j += 1;
    }
    if j > i && address_suffix_len(s, j) > 0 {
        return kanji_numeral_value(&s[i..j]).map(|v| (v, j - i));
    }
    None
}

fn starts_with(s: &[char], i: usize, p: &str) -> bool {
    (i..).zip(p.chars()).all(|(k, c)| s.get(k) == Some(&c))
}

fn skip_spaces(s: &[char], mut i: usize) -> usize {
    while s.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

/// Skips `〒660-0051` / `6600051` at the start.
fn skip_postal_code(s: &[char], mut i: usize) -> usize {
    let start = i;
    if s.get(i) == Some(&'〒') {
        i = skip_spaces(s, i + 1);
    }
    let digits =
        |i: usize, n: usize| (i..i + n).all(|k| s.get(k).is_some_and(char::is_ascii_digit));
    if digits(i, 3) && s.get(i + 3) == Some(&'-') && digits(i + 4, 4) {
        i + 8
    } else if digits(i, 7) && !s.get(i + 7).is_some_and(char::is_ascii_digit) {
        i + 7
    } else {
        start
    }
}

/// Skips a city (`尼崎市`) and a ward after it (`北区`), or a district and its town/village
/// (`川辺郡猪名川町`), and spaces after them, when a town follows (`尼崎市 東七松町`: a register
/// may keep the city and the town in two columns).
fn skip_city(s: &[char], i: usize) -> usize {
    let find = |from: usize, c: char, within: usize| {
        (from + 1..(from + within).min(s.len())).find(|&k| s[k] == c)
    };
    let mut j = i;
    if let Some(k) = find(i, '市', 6) {
        j = k + 1;
        if let Some(w) = find(j, '区', 5) {
            j = w + 1;
        }
    } else if let Some(k) = find(i, '郡', 5)
        && let Some(t) = (k + 2..(k + 6).min(s.len())).find(|&t| matches!(s[t], '町' | '村'))
    {
        j = t + 1;
    }
    if j == i {
        return i;
    }
    // Only skip when a town name still follows.
    let j = skip_spaces(s, j);
    let rest_has_town = s
        .get(j)
        .is_some_and(|c| !c.is_ascii_digit() && !c.is_whitespace());
    if rest_has_town { j } else { i }
}
