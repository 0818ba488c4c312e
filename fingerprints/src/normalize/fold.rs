//! Character folding: the notation-independent character stream both sides hash.
//!
//! Folding is per character (plus composition of a kana with a following voiced sound mark), so
//! that the matcher can fold a document on the fly while keeping each folded character's source
//! byte span. The rules, in order:
//!
//! - ASCII letters are lower-cased; other letters go through Unicode lower-casing.
//! - Full-width ASCII (`Ａ`, `１`, `＠`) becomes ASCII; every other character that NFKC changes
//!   (circled digits, Kangxi radicals, compatibility ideographs, half-width forms) gets its NFKC
//!   form.
//! - Half-width katakana become full-width, composing `ﾞ`/`ﾟ` with the kana before them.
//! - Hiragana become katakana, so readings compare equal whatever kana they were written in;
//!   `ヂ`/`ヅ` become `ジ`/`ズ` (the same sounds), the small `ヵ`/`ヶ` of place names `カ`/`ケ`.
//! - Every kind of space (including the ideographic space U+3000) becomes `' '`; hyphen
//!   look-alikes (`‐ ‑ ‒ – — ― − －`) become `'-'`. The katakana prolonged sound mark `ー` stays
//!   what it is: whether it was meant as a hyphen depends on context (between digits), which the
//!   field parsers and the matcher's tokenizer decide.
//! - Combining marks that compose with nothing are dropped.
//! - Old and variant forms of kanji common in names take the common form (`髙` → `高`, `﨑` →
//!   `崎`, `邉` → `辺`, `𠮷` → `吉`; see [`super::variants`]), and variation selectors are dropped
//!   (`葛󠄀` → `葛`).

use unicode_normalization::UnicodeNormalization;

use super::variants::{is_variant_code, kana_code, kanji_variant};

/// One folded character and the byte span of the source text it came from.
///
/// A source character that folds to several characters (`①` → `1`, `㈱` → `(株)`) yields several
/// `Folded` values with the same span; a kana composed with a following voiced mark yields one
/// value whose span covers both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Folded {
    /// Byte offset of the first source byte.
    pub start: usize,
    /// Byte offset one past the last source byte.
    pub end: usize,
    /// The folded character.
    pub ch: char,
}

/// Iterator that folds a string character by character; see the module docs for the rules.
#[derive(Debug, Clone)]
pub struct Folder<'a> {
    src: &'a str,
    pos: usize,
    pending: [Option<char>; 6],
    pending_len: u8,
    pending_at: u8,
    pending_span: (usize, usize),
}

impl<'a> Folder<'a> {
    /// Starts folding `src`.
    pub fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            pending: [None; 6],
            pending_len: 0,
            pending_at: 0,
            pending_span: (0, 0),
        }
    }
}

/// Folds a whole string; the canonical text of `s` that every field parser starts from.
pub fn fold_str(s: &str) -> String {
    Folder::new(s).map(|f| f.ch).collect()
}

impl Iterator for Folder<'_> {
    type Item = Folded;

    fn next(&mut self) -> Option<Folded> {
        // A loop, not a recursion: a page may hold any number of characters that fold to
        // nothing in a row.
        loop {
            if self.pending_at < self.pending_len {
                let ch = self.pending[usize::from(self.pending_at)]?;
                self.pending_at += 1;
                let (start, end) = self.pending_span;
                return Some(Folded { start, end, ch });
            }
            let rest = self.src.get(self.pos..)?;
            let mut chars = rest.chars();
            let c = chars.next()?;
            let start = self.pos;
            let mut end = start + c.len_utf8();
            // ASCII fast path.
            if c.is_ascii() {
                self.pos = end;
                return Some(Folded {
                    start,
                    end,
                    ch: c.to_ascii_lowercase(),
                });
            }
            let mut base = fold_simple(c);
            // Compose a kana with a following voiced / semi-voiced sound mark.
            if let (Simple::One(b), Some(next)) = (base, chars.next())
                && let Some(composed) =
                    voiced_mark(next).and_then(|m| unicode_normalization::char::compose(b, m))
            {
                // `チ゛` → `ヂ` → `ジ`.
                base = Simple::One(char_from(kana_code(u32::from(composed))));
                end += next.len_utf8();
            }
            self.pos = end;
            match base {
                Simple::One(ch) => return Some(Folded { start, end, ch }),
                Simple::Drop => {}
                Simple::Nfkc(c) => {
                    // Rare path: NFKC expansion, then the simple folds on each resulting
                    // character.
                    let mut n = 0u8;
                    for d in std::iter::once(c).nfkc() {
                        for l in lower(d) {
                            if let Simple::One(x) = fold_simple(l)
                                && usize::from(n) < self.pending.len()
                            {
                                self.pending[usize::from(n)] = Some(x);
                                n += 1;
                            }
                        }
                    }
                    self.pending_len = n;
                    self.pending_at = 0;
                    self.pending_span = (start, end);
                }
            }
        }
    }
}

/// Result of the per-character fold before NFKC expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Simple {
    One(char),
    Nfkc(char),
    /// Folds to nothing (a variation selector).
    Drop,
}

/// Maps a following voiced-sound mark (combining, spacing or half-width) to the combining form.
fn voiced_mark(c: char) -> Option<char> {
    match c {
        '\u{3099}' | '\u{309B}' | '\u{FF9E}' => Some('\u{3099}'),
        '\u{309A}' | '\u{309C}' | '\u{FF9F}' => Some('\u{309A}'),
        _ => None,
    }
}

fn lower(c: char) -> impl Iterator<Item = char> {
    c.to_lowercase()
}

/// Half-width katakana U+FF66..=U+FF9D mapped to full width (before any sound mark after it
/// is composed).
pub const HALFWIDTH_KATAKANA: [char; 56] = [
    'ヲ', 'ァ', 'ィ', 'ゥ', 'ェ', 'ォ', 'ャ', 'ュ', 'ョ', 'ッ', 'ー', 'ア', 'イ', 'ウ', 'エ', 'オ',
    'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス', 'セ', 'ソ', 'タ', 'チ', 'ツ', 'テ', 'ト', 'ナ',
    'ニ', 'ヌ', 'ネ', 'ノ', 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ', 'マ', 'ミ', 'ム', 'メ', 'モ', 'ヤ', 'ユ',
    'ヨ', 'ラ', 'リ', 'ル', 'レ', 'ロ', 'ワ', 'ン',
];

fn fold_simple(c: char) -> Simple {
    let u = u32::from(c);
    match u {
        // ASCII (reached from NFKC output).
        0x00..=0x7F => Simple::One(c.to_ascii_lowercase()),
        // Hiragana → katakana (ぁ..ゖ, ゝ, ゞ).
        0x3041..=0x3096 | 0x309D | 0x309E => Simple::One(char_from(kana_code(u + 0x60))),
        // CJK ideographs are NFKC-stable; a variant of a name's kanji takes the common form.
        0x3400..=0x4DBF | 0x4E00..=0x9FFF if is_variant_code(u) => {
            Simple::One(kanji_variant(c).unwrap_or(c))
        }
        0x3400..=0x4DBF | 0x4E00..=0x9FFF => Simple::One(c),
        // Katakana (`ヂ`, `ヅ`, `ヵ`, `ヶ` as `ジ`, `ズ`, `カ`, `ケ`) and common CJK punctuation are
        // NFKC-stable.
        0x30A1..=0x30FE => Simple::One(char_from(kana_code(u))),
        0x3001..=0x3003 | 0x3005..=0x3007 => Simple::One(c),
        0x3008..=0x3011 | 0x3013..=0x301F => Simple::One(c),
        // Ideographic and other spaces.
        0x3000 | 0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F => Simple::One(' '),
        // Hyphen look-alikes (the prolonged sound mark U+30FC is deliberately not one).
        0x2010..=0x2015 | 0x2212 | 0xFF0D | 0xFE63 | 0x2043 => Simple::One('-'),
        // Full-width ASCII.
        0xFF01..=0xFF5E => Simple::One(char_from(u - 0xFEE0).to_ascii_lowercase()),
        0xFF70 => Simple::One('ー'),
        0xFF66..=0xFF9D => Simple::One(HALFWIDTH_KATAKANA[(u - 0xFF66) as usize]),
        0xFF61 => Simple::One('。'),
        0xFF62 => Simple::One('「'),
        0xFF63 => Simple::One('」'),
        0xFF64 => Simple::One('、'),
        0xFF65 => Simple::One('・'),
        // Variation selectors pick a glyph of the kanji before them: nothing to fold to.
        0xFE00..=0xFE0F | 0xE0100..=0xE01EF => Simple::Drop,
        _ => {
            if let Some(v) = kanji_variant(c) {
                // `﨑` (a compatibility ideograph without a decomposition), `𠮷`.
                Simple::One(v)
            } else if unicode_normalization::is_nfkc_quick(std::iter::once(c))
                == unicode_normalization::IsNormalized::Yes
                && !c.is_uppercase()
            {
                Simple::One(c)
            } else {
                Simple::Nfkc(c)
            }
        }
    }
}

fn char_from(u: u32) -> char {
    char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_notations() {
        let cases = [
            ("ＡＢＣ１２３", "abc123"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
            ("やまだ　たろう", "ヤマダ タロウ"),
            ("ﾊﾟﾊﾟ", "パパ"),
            ("か\u{3099}", "ガ"),
            ("06－1234‐5678", "06-1234-5678"),
            ("①②", "12"),
            ("⼭⽥", "山田"),
            ("ＴＥＬ：０６", "tel:06"),
            ("タロー", "タロー"),
            ("Émile", "émile"),
            ("髙橋", "高橋"),
            ("山﨑 嵜", "山崎 崎"),
            ("渡邉 渡邊", "渡辺 渡辺"),
            ("𠮷田", "吉田"),
            ("小澤 ひろ子", "小沢 ヒロ子"),
            ("葛\u{E0100}城", "葛城"),
            ("辻\u{FE00}", "辻"),
            ("\u{FE0F}", ""),
            ("斎藤 斉藤 齋藤 齊藤", "斎藤 斉藤 斎藤 斉藤"),
            ("竜 龍", "竜 龍"),
            (
                "モチヅキ もちづき ﾓﾁﾂﾞｷ モチツ\u{3099}キ",
                "モチズキ モチズキ モチズキ モチズキ",
            ),
            ("ちぢみ チヂミ", "チジミ チジミ"),
            (
                "弥生ヶ丘町 弥生ケ丘町 梶ヶ島 3ヵ月 ゖ",
                "弥生ケ丘町 弥生ケ丘町 梶ケ島 3カ月 ケ",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(fold_str(input), want, "input {input:?}");
        }
    }

    #[test]
    fn selectors_fold_to_nothing_without_a_span_of_their_own() {
        let v: Vec<Folded> = Folder::new("葛\u{E0100}城").collect();
        let got: Vec<_> = v.iter().map(|f| (f.start, f.end, f.ch)).collect();
        assert_eq!(got, [(0, 3, '葛'), (7, 10, '城')]);
        // Any number of them in a row (a hostile page): no recursion to overflow the stack.
        let many = "\u{E0100}".repeat(1 << 20) + "a";
        assert_eq!(fold_str(&many), "a");
    }

    #[test]
    fn spans_cover_source() {
        let s = "aﾀﾞ①";
        let v: Vec<Folded> = Folder::new(s).collect();
        assert_eq!(v.len(), 3);
        assert_eq!((v[0].start, v[0].end, v[0].ch), (0, 1, 'a'));
        assert_eq!((v[1].start, v[1].end, v[1].ch), (1, 7, 'ダ'));
        assert_eq!((v[2].start, v[2].end, v[2].ch), (7, 10, '1'));
    }
}
