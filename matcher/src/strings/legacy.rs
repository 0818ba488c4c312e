//! Runs of Japanese text in the double-byte charsets written before Unicode: Shift_JIS
//! (Windows' code page 932) and EUC-JP. A legacy system's files keep its rows in them: a dBase
//! table or an Access 97 database on Windows, a PostgreSQL database created `EUC_JP` or a
//! MySQL table in `ujis`, `sjis` or `cp932` on a Unix server, an Excel 95 workbook.
//!
//! Most bytes start a character in these charsets (in Shift_JIS, a random byte is printable
//! ASCII, a half-width katakana or a lead byte four times in five), so a run of any
//! characters would be read out of every stretch of binary data. A run is kept when it has
//! four characters in a row of those names, readings and addresses are mostly written in
//! (kana, the kanji of JIS level 1: [`Class::Core`]; spaces, symbols and other kanji between
//! them allowed, as in `山口　大介`): random bytes give that a few times in a megabyte, three
//! in a row a hundred times. Near such a run ([`NEAR_BYTES`]), where a row's other values
//! lie, a run with two of them in a row (a family name in a field of its own, `森 健`) or
//! four half-width katakana (a reading, as registers of that time kept it) is kept too.

use std::ops::Range;
use std::sync::OnceLock;

/// A double-byte charset Japanese files were written in before Unicode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Legacy {
    /// Shift_JIS with Windows' extensions (code page 932), `encoding_rs`'s `Shift_JIS`.
    ShiftJis,
    /// EUC-JP.
    EucJp,
}

/// What a character of a legacy run is, for telling text from binary data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// A printable ASCII character other than the space, a tab, or half-width punctuation.
    Ascii,
    /// The space or the ideographic space: between the parts of a name, it neither ends nor
    /// counts in a streak.
    Space,
    /// A half-width katakana.
    HalfKana,
    /// A kana, the long-vowel mark or a kanji of JIS level 1.
    Core,
    /// Any other double-byte character the charset maps (symbols, full-width letters and
    /// digits, kanji of JIS level 2, Windows' extensions): it does not end a streak of
    /// [`Class::Core`] characters (`小木翔子`, `１丁目`), nor count in it.
    Wide,
}

/// A run kept with this many [`Class::Core`] characters in a row.
const STRONG_STREAK: u32 = 4;

/// Within this many bytes of a run kept on its own, a run with two [`Class::Core`]
/// characters in a row or [`HALF_KANA_STREAK`] half-width katakana is kept too: a row's
/// other values.
const NEAR_BYTES: usize = 256;

/// Half-width katakana in a row that a run near a kept one needs (spaces between them
/// allowed): `ﾔﾏｸﾞﾁ`, `ﾓﾘ ﾅｵﾐ`.
const HALF_KANA_STREAK: u32 = 4;

impl Legacy {
    /// `encoding_rs`'s decoder of the charset.
    pub(super) fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            Legacy::ShiftJis => encoding_rs::SHIFT_JIS,
            Legacy::EucJp => encoding_rs::EUC_JP,
        }
    }

    /// The class of a single-byte character, or of a two-byte code, in the charset: `None`
    /// for a control byte, a byte no character starts with, a pair the charset does not map
    /// and a user-defined character (those map to Unicode's private use area: any data).
    fn class_of(self, bytes: &[u8]) -> Option<Class> {
        let half = |b: u8| match b {
            // `｡` `｢` `｣` `､` `･`
            0xA1..=0xA5 => Some(Class::Ascii),
            0xA6..=0xDF => Some(Class::HalfKana),
            _ => None,
        };
        match (self, bytes) {
            (_, [b' ']) => Some(Class::Space),
            (_, [b'\t' | 0x21..=0x7E]) => Some(Class::Ascii),
            (Legacy::ShiftJis, &[b]) => half(b),
            (Legacy::EucJp, &[0x8E, t]) => half(t),
            (_, &[lead, trail]) => {
                let (text, bad) = self.encoding().decode_without_bom_handling(bytes);
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if !bad && !('\u{E000}'..='\u{F8FF}').contains(&c) => {}
                    _ => return None,
                }
                Some(match (self, u16::from_be_bytes([lead, trail])) {
                    (Legacy::ShiftJis, 0x8140) | (Legacy::EucJp, 0xA1A1) => Class::Space,
                    // Kanji whose bytes are EUC-JP's half-width katakana (`8E` and the
                    // katakana's byte): a run of them is more likely that.
                    (Legacy::ShiftJis, 0x8EA1..=0x8EDF) => Class::Wide,
                    (
                        Legacy::ShiftJis,
                        0x815B | 0x829F..=0x82F1 | 0x8340..=0x8396 | 0x889F..=0x9872,
                    ) => Class::Core,
                    (
                        Legacy::EucJp,
                        0xA1BC | 0xA4A1..=0xA4F3 | 0xA5A1..=0xA5F6 | 0xB0A1..=0xCFD3,
                    ) => Class::Core,
                    _ => Class::Wide,
                })
            }
            _ => None,
        }
    }

    /// The charset's table of classes, made once.
    fn table(self) -> &'static Table {
        static TABLES: OnceLock<[Table; 2]> = OnceLock::new();
        &TABLES.get_or_init(|| [Legacy::ShiftJis, Legacy::EucJp].map(Table::of))[self as usize]
    }
}

/// A charset's classes of characters, as codes: 0 none, then [`Class`]'s variants from 1,
/// and [`LEAD`] for a byte that starts a two-byte character.
struct Table {
    single: [u8; 256],
    double: Box<[u8; 65536]>,
}

/// A byte that starts a two-byte character.
const LEAD: u8 = 6;

/// The classes in the order of their codes, from 1.
const CLASSES: [Class; 5] = [
    Class::Ascii,
    Class::Space,
    Class::HalfKana,
    Class::Core,
    Class::Wide,
];

impl Table {
    fn of(charset: Legacy) -> Table {
        let code = |class: Option<Class>| {
            class.map_or(0, |c| {
                1 + CLASSES.iter().position(|&k| k == c).unwrap_or(0) as u8
            })
        };
        let mut table = Table {
            single: [0; 256],
            double: Box::new([0; 65536]),
        };
        for lead in 0..=255u8 {
            table.single[usize::from(lead)] = code(charset.class_of(&[lead]));
            if lead < 0x80 || table.single[usize::from(lead)] != 0 {
                continue;
            }
            for trail in 0..=255u8 {
                let class = code(charset.class_of(&[lead, trail]));
                table.double[usize::from(u16::from_be_bytes([lead, trail]))] = class;
                if class != 0 {
                    table.single[usize::from(lead)] = LEAD;
                }
            }
        }
        table
    }

    /// The character at `bytes[i]`: its length and class; `None` where none starts there.
    #[inline]
    fn char_at(&self, bytes: &[u8], i: usize) -> Option<(usize, Class)> {
        let b = bytes[i];
        let (n, code) = match self.single[usize::from(b)] {
            0 => return None,
            LEAD => (
                2,
                self.double[usize::from(u16::from_be_bytes([b, *bytes.get(i + 1)?]))],
            ),
            code => (1, code),
        };
        let class = CLASSES.get(usize::from(code).checked_sub(1)?)?;
        Some((n, *class))
    }
}

/// A stretch of characters of a legacy charset and the longest streaks in it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stretch {
    bytes: Range<usize>,
    /// The most [`Class::Core`] characters in a row.
    core: u32,
    /// The most half-width katakana in a row.
    half: u32,
    /// Its kana and kanji of JIS level 1, twice, and its half-width katakana, once in
    /// Shift_JIS and twice in EUC-JP (see [`LegacyReading::evidence`]).
    evidence: u32,
}

/// What a legacy charset reads in a file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct LegacyReading {
    /// The runs kept (see the module's doc), in the order of the file.
    pub(super) runs: Vec<Range<usize>>,
    /// All its stretches with two [`Class::Core`] characters or four half-width katakana in
    /// a row, kept or not: where the file has text in this charset.
    pub(super) stretches: Vec<Range<usize>>,
    /// How much Japanese text the runs kept hold, to tell which of the two charsets a file
    /// is written in where both read its bytes. Shift_JIS reads EUC-JP's kanji as
    /// half-width katakana, one or two a kanji, so its half-width katakana count half;
    /// EUC-JP reads Shift_JIS's half-width katakana as kanji, one for two.
    pub(super) evidence: u32,
}

/// The position of the first byte past ASCII in `bytes[from..]`, eight bytes at a time.
fn next_high_byte(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let mut words = rest.chunks_exact(8);
    for (k, word) in words.by_ref().enumerate() {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let high = w & 0x8080_8080_8080_8080;
        if high != 0 {
            return Some(from + 8 * k + high.trailing_zeros() as usize / 8);
        }
    }
    let tail = words.remainder();
    let at = rest.len() - tail.len();
    tail.iter().position(|&b| b >= 0x80).map(|k| from + at + k)
}

/// What `charset` reads in `bytes`.
pub(super) fn read_legacy(bytes: &[u8], charset: Legacy) -> LegacyReading {
    let mut stretches = Vec::new();
    let half_weight = match charset {
        Legacy::ShiftJis => 1,
        Legacy::EucJp => 2,
    };
    let table = charset.table();
    let mut i = 0;
    while i < bytes.len() {
        // A stretch is worth keeping only with a byte past ASCII: skip to the next one, and
        // back to the start of the text before it (ASCII, where any byte is a character of
        // its own or none).
        let Some(high) = next_high_byte(bytes, i) else {
            break;
        };
        let mut start = high;
        while start > i && table.single[usize::from(bytes[start - 1])] != 0 {
            start -= 1;
        }
        i = start;
        let (mut core, mut half) = (0, 0);
        let mut s = Stretch {
            bytes: start..start,
            core: 0,
            half: 0,
            evidence: 0,
        };
        while let Some((n, class)) = (i < bytes.len()).then(|| table.char_at(bytes, i)).flatten() {
            match class {
                Class::Core => {
                    (core, half) = (core + 1, 0);
                    s.evidence += 2;
                }
                Class::HalfKana => {
                    (core, half) = (0, half + 1);
                    s.evidence += half_weight;
                }
                Class::Space => {}
                Class::Wide => half = 0,
                Class::Ascii => (core, half) = (0, 0),
            }
            s.core = s.core.max(core);
            s.half = s.half.max(half);
            i += n;
        }
        if i == start {
            i += 1;
            continue;
        }
        s.bytes.end = i;
        if s.core >= 2 || s.half >= HALF_KANA_STREAK {
            stretches.push(s);
        }
    }
    // Each stretch is kept when strong, or near a strong one: the first strong one that
    // does not end too far before it is the nearest.
    let strong: Vec<&Range<usize>> = stretches
        .iter()
        .filter(|s| s.core >= STRONG_STREAK)
        .map(|s| &s.bytes)
        .collect();
    let mut reading = LegacyReading::default();
    for s in &stretches {
        let kept = s.core >= STRONG_STREAK || {
            let k = strong.partition_point(|r| r.end + NEAR_BYTES < s.bytes.start);
            strong
                .get(k)
                .is_some_and(|r| r.start <= s.bytes.end + NEAR_BYTES)
        };
        if kept {
            reading.runs.push(s.bytes.clone());
            reading.evidence += s.evidence;
        }
        reading.stretches.push(s.bytes.clone());
    }
    reading
}

#[cfg(test)]
pub(super) mod tests_support {
    use super::*;

    /// The class the table gives the character at the start of `bytes`.
    pub(in crate::strings) fn class_at(charset: Legacy, bytes: &[u8]) -> Option<(usize, Class)> {
        charset.table().char_at(bytes, 0)
    }

    /// Asserts the table gives every byte and pair the class it was made from.
    pub(in crate::strings) fn table_matches_classes() {
        for charset in [Legacy::ShiftJis, Legacy::EucJp] {
            for lead in 0..=255u8 {
                let single = charset.class_of(&[lead]);
                if single.is_some() {
                    assert_eq!(class_at(charset, &[lead, 0]), single.map(|c| (1, c)));
                    continue;
                }
                for trail in 0..=255u8 {
                    let pair = charset.class_of(&[lead, trail]);
                    let want = pair.filter(|_| lead >= 0x80).map(|c| (2, c));
                    assert_eq!(
                        class_at(charset, &[lead, trail]),
                        want,
                        "{lead:x} {trail:x}"
                    );
                }
            }
        }
    }
}
