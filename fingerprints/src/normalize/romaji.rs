//! Names written in Latin letters: a key that every common romanization of a reading shares.
//!
//! A leak in English writes 佐藤 太郎 (サトウ タロウ) as `SATO Taro`, `Satoh Tarou`, `Satō Tarō`
//! or `Taro Sato`. The register only has the reading in kana, so the bundle carries, for every
//! reading token, the keyed fingerprint of its *romaji key*: the reading romanized
//! ([`from_katakana`]) and then reduced by [`key`], which maps Hepburn, Kunrei and passport
//! spellings of the same kana to one string:
//!
//! - `shi`/`si`, `chi`/`ti`, `tsu`/`tu`, `fu`/`hu`, `ji`/`zi`/`di`, `sha`/`sya`, `cho`/`tyo`,
//!   `ja`/`zya`/`jya`, `dzu`/`du`/`zu` and `v`/`b` fold together;
//! - a long vowel is one vowel: `ou`, `oo`, `oh` (before a consonant or at the end), `uu`, a
//!   doubled vowel and a macron (`ō`, `ô`) all fold to the vowel, so `Satou`, `Satoh`, `Sato`
//!   and `Satō` share a key (so do サトウ and サト: a key may name more than one reading);
//! - `n` before `b`, `m` or `p` may be written `m` (`Homma`, `Namba`); `'` and `-` inside a name
//!   (`Shin'ichi`, `Ken-ichi`) are dropped.
//!
//! A word that is not a sequence of Japanese syllables (`the`, `xml`, `clear`) has no key, which
//! is also what keeps most English words away from the lookups.
//!
//! ```
//! use fingerprints::normalize::romaji::{from_katakana, key};
//!
//! assert_eq!(from_katakana("サトウ").as_deref(), Some("satou"));
//! let k = key("satou");
//! assert_eq!(key("SATOH".to_ascii_lowercase().as_str()), k);
//! assert_eq!(key("satō"), k);
//! assert_eq!(key("sato"), k);
//! assert_eq!(key("shin'ichi"), key("shinichi"));
//! assert_eq!(key("the"), None);
//! ```

/// Longest word, in characters, that has a key (longer ones are no names).
pub const MAX_ROMAJI_CHARS: usize = 24;

/// Hepburn romanization (as in passports, without macrons) of a folded katakana reading token;
/// `None` when it holds anything but katakana and the prolonged sound mark.
pub fn from_katakana(reading: &str) -> Option<String> {
    let mut out = String::with_capacity(reading.len());
    let mut geminate = false;
    for c in reading.chars() {
        let (kind, roman) = kana(c)?;
        match kind {
            Kana::Plain => {}
            Kana::SmallY => {
                // キャ → kya, シャ → sha, チャ → cha, ジャ → ja: drop the i-row's vowel.
                if out.ends_with('i') && out.len() >= 2 {
                    out.pop();
                    if !matches!(out.as_bytes().last(), Some(b'h' | b'j')) {
                        out.push('y');
                    }
                    out.push_str(&roman[1..]);
                } else {
                    out.push_str(roman);
                }
                continue;
            }
            Kana::SmallVowel => {
                // ファ → fa, ティ → ti: the small vowel replaces the one before it.
                if out.ends_with(['a', 'i', 'u', 'e', 'o']) && out.len() >= 2 {
                    out.pop();
                }
                out.push_str(roman);
                continue;
            }
            Kana::Sokuon => {
                geminate = true;
                continue;
            }
            Kana::Long => {
                if let Some(v) = out.chars().last().filter(|c| is_vowel(*c)) {
                    out.push(v);
                }
                continue;
            }
        }
        if std::mem::take(&mut geminate) {
            match roman.as_bytes()[0] {
                b'c' => out.push('t'),
                b if !is_vowel(char::from(b)) && b != b'n' => out.push(char::from(b)),
                _ => {}
            }
        }
        out.push_str(roman);
    }
    (!out.is_empty()).then_some(out)
}

/// What a katakana character does in [`from_katakana`].
#[derive(Clone, Copy)]
enum Kana {
    Plain,
    /// ャ, ュ, ョ.
    SmallY,
    /// ァ, ィ, ゥ, ェ, ォ.
    SmallVowel,
    /// ッ.
    Sokuon,
    /// ー.
    Long,
}

/// The Hepburn spelling of one katakana character.
fn kana(c: char) -> Option<(Kana, &'static str)> {
    use Kana::{Long, Plain, SmallVowel, SmallY, Sokuon};
    const ROW: [&str; 84] = [
        "a", "a", "i", "i", "u", "u", "e", "e", "o", "o", // ァ..オ
        "ka", "ga", "ki", "gi", "ku", "gu", "ke", "ge", "ko", "go", // カ..ゴ
        "sa", "za", "shi", "ji", "su", "zu", "se", "ze", "so", "zo", // サ..ゾ
        "ta", "da", "chi", "ji", "", "tsu", "zu", "te", "de", "to",
        "do", // タ..ド (ッ empty)
        "na", "ni", "nu", "ne", "no", // ナ..ノ
        "ha", "ba", "pa", "hi", "bi", "pi", "fu", "bu", "pu", "he", "be", "pe", "ho", "bo",
        "po", // ハ..ポ
        "ma", "mi", "mu", "me", "mo", // マ..モ
        "ya", "ya", "yu", "yu", "yo", "yo", // ャ..ヨ
        "ra", "ri", "ru", "re", "ro", // ラ..ロ
        "wa", "wa", "i", "e", "o", "n", "bu", // ヮ..ヴ
    ];
    let u = c as u32;
    match u {
        0x30C3 => Some((Sokuon, "")),
        0x30FC => Some((Long, "")),
        0x30F5 => Some((Plain, "ka")),
        0x30F6 => Some((Plain, "ke")),
        0x30A1..=0x30F4 => {
            let i = (u - 0x30A1) as usize;
            let kind = match u {
                0x30E3 | 0x30E5 | 0x30E7 => SmallY,
                0x30A1 | 0x30A3 | 0x30A5 | 0x30A7 | 0x30A9 => SmallVowel,
                _ => Plain,
            };
            ROW.get(i).map(|r| (kind, *r))
        }
        _ => None,
    }
}

#[inline]
fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'i' | 'u' | 'e' | 'o')
}

/// The romaji key of one word (lower-case Latin letters; macron and circumflex vowels, `'`
/// and `-` allowed), or `None` if it is not a sequence of Japanese syllables, or it or its key
/// is longer than twice [`MAX_ROMAJI_CHARS`] bytes. A key is its own key.
pub fn key(word: &str) -> Option<String> {
    // Letters only, long vowels spelled out: ō → oo. On the stack: the matcher asks this of
    // capitalized words of any text, and most are no romaji.
    const CAP: usize = MAX_ROMAJI_CHARS * 2;
    let mut buf = [0u8; CAP + 2];
    let mut n = 0;
    for c in word.chars() {
        let (b, len): (u8, usize) = match c {
            'a'..='z' => (c as u8, 1),
            '\'' | '-' | '\u{2019}' => continue,
            'ā' | 'â' => (b'a', 2),
            'ī' | 'î' => (b'i', 2),
            'ū' | 'û' => (b'u', 2),
            'ē' | 'ê' => (b'e', 2),
            'ō' | 'ô' => (b'o', 2),
            _ => return None,
        };
        if n + len > CAP {
            return None;
        }
        buf[n..n + len].fill(b);
        n += len;
    }
    let s = &buf[..n];
    if s.is_empty() {
        return None;
    }
    // The key, written syllable by syllable as they are read (on the stack too).
    let mut out = Key::default();
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let vowel = |b: u8| matches!(b, b'a' | b'i' | b'u' | b'e' | b'o');
    let mut i = 0;
    while i < s.len() {
        let (c0, c1, c2) = (at(i), at(i + 1), at(i + 2));
        if vowel(c0) {
            out.syllable("", c0);
            i += 1;
            continue;
        }
        // The moraic n: before a consonant other than y, or at the end; m before b, m, p.
        if (c0 == b'n' && (c1 == 0 || (!vowel(c1) && c1 != b'y')))
            || (c0 == b'm' && matches!(c1, b'b' | b'm' | b'p'))
        {
            out.moraic_n();
            i += 1;
            continue;
        }
        // A long o written with h: "ohno", "satoh", "kohhei" (not "ohashi", where h starts は).
        if c0 == b'h' && i > 0 && s[i - 1] == b'o' && !vowel(c1) && c1 != b'y' {
            i += 1;
            continue;
        }
        // A geminate consonant: "tt", "kk", "ss", "pp", "tch".
        if (c0 == c1 && c0 != b'n') || (c0 == b't' && c1 == b'c' && c2 == b'h') {
            out.geminate = true;
            i += 1;
            continue;
        }
        let (cons, len): (&'static str, usize) = match (c0, c1) {
            (b's', b'h') => ("sy", 2),
            (b'c', b'h') => ("ty", 2),
            (b't', b's') if c2 == b'u' => ("t", 2),
            (b'd', b'z') if c2 == b'u' => ("z", 2),
            (b'j', b'y') | (b'z', b'y') | (b'd', b'y') => ("zy", 2),
            (b'c', b'y') | (b't', b'y') => ("ty", 2),
            (b's', b'y') => ("sy", 2),
            (b'j', _) => ("zy", 1),
            (b'k' | b'g' | b'n' | b'h' | b'b' | b'p' | b'm' | b'r' | b'v' | b'f', b'y') => {
                (y_row(c0), 2)
            }
            (b'k', _) => ("k", 1),
            (b'g', _) => ("g", 1),
            (b's', _) => ("s", 1),
            (b'z', _) => ("z", 1),
            (b't', _) => ("t", 1),
            (b'd', _) => ("d", 1),
            (b'n', _) => ("n", 1),
            (b'h', _) => ("h", 1),
            (b'f', _) => ("f", 1),
            (b'b' | b'v', _) => ("b", 1),
            (b'p', _) => ("p", 1),
            (b'm', _) => ("m", 1),
            (b'y', _) => ("y", 1),
            (b'r', _) => ("r", 1),
            (b'w', _) => ("w", 1),
            _ => return None,
        };
        let v = at(i + len);
        if !vowel(v) {
            return None;
        }
        i += len + 1;
        // One spelling per kana: si/shi, ti/chi, tu/tsu, hu/fu, zi/ji/di, zu/du, o/wo.
        let cons = match (cons, v) {
            ("sy", b'i') => "s",
            ("ty", b'i') => "t",
            ("zy", b'i') | ("d", b'i') => "z",
            ("d", b'u') => "z",
            ("f", b'u') => "h",
            ("w", b'o' | b'i' | b'e') | ("y", b'i') => "",
            (c, _) => c,
        };
        out.syllable(cons, v);
    }
    out.finish()
}

/// A romaji key being written: its bytes, and what the next syllable needs to know.
struct Key {
    buf: [u8; MAX_ROMAJI_CHARS * 4],
    len: usize,
    /// The vowel just written (0 after a moraic n): a bare vowel equal to it, or `u` after
    /// `o`, makes it long and is not written.
    last_vowel: u8,
    /// A geminate mark is waiting: the next syllable's consonant is written twice.
    geminate: bool,
}

impl Default for Key {
    fn default() -> Key {
        Key {
            buf: [0; MAX_ROMAJI_CHARS * 4],
            len: 0,
            last_vowel: 0,
            geminate: false,
        }
    }
}

impl Key {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
        }
        self.len += 1;
    }

    /// A syllable: consonant part (`""` for a bare vowel) and vowel.
    fn syllable(&mut self, cons: &str, v: u8) {
        let geminate = std::mem::take(&mut self.geminate);
        if cons.is_empty() && (v == self.last_vowel || (v == b'u' && self.last_vowel == b'o')) {
            return;
        }
        // A geminate h is written once: after o, `hh` is also a long o and an h (`Kohhei`).
        if geminate && let Some(&c) = cons.as_bytes().first().filter(|&&c| c != b'h') {
            self.push(c);
        }
        for &c in cons.as_bytes() {
            self.push(c);
        }
        self.push(v);
        self.last_vowel = v;
    }

    fn moraic_n(&mut self) {
        self.geminate = false;
        self.push(b'n');
        self.last_vowel = 0;
    }

    fn finish(self) -> Option<String> {
        let bytes = self.buf.get(..self.len)?;
        (!bytes.is_empty() && bytes.len() <= MAX_ROMAJI_CHARS * 2)
            .then(|| bytes.iter().map(|&b| char::from(b)).collect())
    }
}

/// The consonant part of `c` + `y` + vowel (kya, gya, nya, hya, bya, pya, mya, rya).
fn y_row(c: u8) -> &'static str {
    match c {
        b'k' => "ky",
        b'g' => "gy",
        b'n' => "ny",
        b'h' | b'f' => "hy",
        b'b' | b'v' => "by",
        b'p' => "py",
        b'm' => "my",
        _ => "ry",
    }
}

/// The romaji key of a folded katakana reading token: [`key`] of [`from_katakana`].
pub fn katakana_key(reading: &str) -> Option<String> {
    key(&from_katakana(reading)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn romanizes_readings() {
        for (kana, roman) in [
            ("サトウ", "satou"),
            ("タロウ", "tarou"),
            ("シンイチ", "shinichi"),
            ("ハットリ", "hattori"),
            ("キョウコ", "kyouko"),
            ("ジュンコ", "junko"),
            ("チャコ", "chako"),
            ("マッチャ", "matcha"),
            ("ユーコ", "yuuko"),
            ("ホンマ", "honma"),
            ("ツヅキ", "tsuzuki"),
            ("フジ", "fuji"),
            ("ヂ", "ji"),
        ] {
            assert_eq!(from_katakana(kana).as_deref(), Some(roman), "{kana}");
        }
        assert_eq!(from_katakana("山田"), None);
        assert_eq!(from_katakana(""), None);
    }

    #[test]
    fn spellings_of_one_reading_share_a_key() {
        for (kana, spellings) in [
            (
                "サトウ",
                &["sato", "satou", "satoh", "satō", "satô", "satoo"][..],
            ),
            ("オオノ", &["ono", "ohno", "oono", "ōno"]),
            ("オオハシ", &["ohashi", "oohashi", "ōhashi", "ohasi"]),
            ("シンイチ", &["shinichi", "shin'ichi", "sinichi", "sin-iti"]),
            ("ユウイチ", &["yuichi", "yuuichi", "yūichi", "yuiti"]),
            ("ケンイチ", &["kenichi", "ken-ichi", "ken'iti"]),
            ("ツヨシ", &["tsuyoshi", "tuyosi"]),
            ("フミコ", &["fumiko", "humiko"]),
            ("ジュンコ", &["junko", "zyunko", "jyunko"]),
            ("チヒロ", &["chihiro", "tihiro"]),
            ("ホンマ", &["honma", "homma"]),
            ("ナンバ", &["nanba", "namba"]),
            ("ハットリ", &["hattori"]),
            ("マッチャ", &["matcha", "mattya", "maccha"]),
            (
                "ショウタ",
                &["shota", "shouta", "syouta", "shōta", "shohta"],
            ),
            ("キョウコ", &["kyoko", "kyouko", "kyōko"]),
            ("コウヘイ", &["kohei", "kouhei", "kōhei", "kohhei"]),
            ("ケイコ", &["keiko"]),
            ("ヂ", &["ji", "di", "zi"]),
            ("ヲ", &["o", "wo"]),
        ] {
            let want = katakana_key(kana);
            assert!(want.is_some(), "{kana}");
            for s in spellings {
                assert_eq!(key(s), want, "{kana} ~ {s}");
            }
        }
    }

    #[test]
    fn fuzz_regressions() {
        // Found by the normalize fuzz target.
        for w in ["nnnnnnnnnnnehejehenehenehehe", "nnnnnnnnnnnehejehenehenehe"] {
            // A key longer than the word ("je" is "zye") is still its own key.
            if let Some(k) = key(w) {
                assert_eq!(key(&k), Some(k.clone()), "{w}");
            }
        }
    }

    #[test]
    fn words_that_are_no_syllables_have_no_key() {
        for w in [
            "the", "xml", "clear", "error", "http", "status", "q", "", "-", "kt", "json",
        ] {
            assert_eq!(key(w), None, "{w}");
        }
        assert_eq!(key(&"a".repeat(MAX_ROMAJI_CHARS * 2 + 1)), None);
        assert_eq!(key("Sato"), None, "lower-case only");
    }

    /// `ou` written `oh` where no vowel follows (`Satoh`, `Ohno`; `Koichi`, not `Kohichi`).
    fn oh_for_long_o(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'o'
                && b.get(i + 1) == Some(&b'u')
                && !b.get(i + 2).is_some_and(|c| b"aiueoy".contains(c))
            {
                out.push_str("oh");
                i += 2;
            } else {
                out.push(char::from(b[i]));
                i += 1;
            }
        }
        out
    }

    /// Katakana readings made of the syllables names use.
    fn reading() -> impl Strategy<Value = String> {
        let syllables = [
            "ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク", "ケ", "コ", "サ", "シ", "ス", "セ",
            "ソ", "タ", "チ", "ツ", "テ", "ト", "ナ", "ニ", "ヌ", "ネ", "ノ", "ハ", "ヒ", "フ",
            "ヘ", "ホ", "マ", "ミ", "ム", "メ", "モ", "ヤ", "ユ", "ヨ", "ラ", "リ", "ル", "レ",
            "ロ", "ワ", "ン", "ガ", "ギ", "グ", "ゲ", "ゴ", "ザ", "ジ", "ズ", "ゼ", "ゾ", "ダ",
            "デ", "ド", "バ", "ビ", "ブ", "ベ", "ボ", "パ", "ピ", "プ", "ペ", "ポ", "キョ", "シュ",
            "ショ", "チャ", "ジュ", "リョ", "ッ", "ー",
        ];
        proptest::collection::vec(proptest::sample::select(syllables.to_vec()), 1..7)
            .prop_map(|v| v.concat())
            .prop_filter("starts with a syllable", |s| {
                !s.starts_with(['ン', 'ッ', 'ー'])
            })
    }

    proptest! {
        /// Every reading has a key, and the common ways of writing it in Latin letters share it.
        #[test]
        fn variants_share_the_key(r in reading()) {
            let hepburn = from_katakana(&r).unwrap();
            let k = key(&hepburn);
            prop_assert!(k.is_some(), "{} {}", r, hepburn);
            let kunrei = hepburn
                .replace("sshi", "ssi")
                .replace("tchi", "tti")
                .replace("ttsu", "ttu")
                .replace("ffu", "hhu")
                .replace("tch", "tty")
                .replace("ssh", "ssy")
                .replace("shi", "si")
                .replace("chi", "ti")
                .replace("tsu", "tu")
                .replace("fu", "hu")
                .replace("sh", "sy")
                .replace("ch", "ty");
            prop_assert_eq!(key(&kunrei), k.clone(), "kunrei {}", kunrei);
            let passport = hepburn.replace("ou", "o").replace("uu", "u");
            prop_assert_eq!(key(&passport), k.clone(), "passport {}", passport);
            let oh = oh_for_long_o(&hepburn);
            prop_assert_eq!(key(&oh), k.clone(), "oh {}", oh);
            let macron = hepburn.replace("ou", "ō");
            prop_assert_eq!(key(&macron), k.clone(), "macron {}", macron);
            // A key is its own key.
            let kk = k.clone().unwrap();
            prop_assert_eq!(key(&kk), k);
        }

        /// Any text: no panic, and a key is short lower-case ASCII.
        #[test]
        fn any_word(w in "\\PC{0,40}") {
            if let Some(k) = key(&w) {
                prop_assert!(!k.is_empty() && k.len() <= MAX_ROMAJI_CHARS * 2);
                prop_assert!(k.bytes().all(|b| b.is_ascii_lowercase()));
                prop_assert_eq!(key(&k), Some(k.clone()));
            }
        }

        /// Words of romaji letters: a key, when there is one, is its own key.
        #[test]
        fn keys_are_fixed_points(w in "[aeioukgsztdnhbpmyrwfjcv'-]{1,24}") {
            if let Some(k) = key(&w) {
                prop_assert_eq!(key(&k), Some(k.clone()), "{}", w);
            }
        }
    }
}
