//! Variant kanji of names (and four kana): one form for characters that registers and leaks
//! write apart.
//!
//! A resident register keeps a name in its legal characters (`髙橋`, `山﨑`, `渡邉`, `𠮷田`), and
//! often with an ideographic variation sequence (`葛󠄀城`: a selector after the kanji that picks its
//! glyph). Leaks lose both: a web form, a Shift_JIS export or someone typing writes `高橋`,
//! `山崎`, `渡辺`, `吉田`, `葛城` — or the other way round, when the register has the common form
//! and a page the old one (`小澤` for `小沢`). So folding maps each old or variant form in
//! [`KANJI_VARIANTS`] to the common form and drops variation selectors, on both sides.
//!
//! The table is deliberately short: characters that are the same name in different glyphs
//! (旧字体 and 異体字 common in family and given names), not characters that merely look
//! alike or share a reading (`斎`/`斉`, `竜`/`龍` stay apart: they are distinct names).

/// Variant forms and the form each folds to, sorted by the variant's code point. No target is
/// itself a variant, so folding is idempotent.
pub const KANJI_VARIANTS: [(char, char); 60] = [
    ('亞', '亜'),
    ('來', '来'),
    ('傳', '伝'),
    ('兒', '児'),
    ('冨', '富'),
    ('凜', '凛'),
    ('國', '国'),
    ('圓', '円'),
    ('增', '増'),
    ('壽', '寿'),
    ('實', '実'),
    ('寬', '寛'),
    ('峯', '峰'),
    ('嵜', '崎'),
    ('嶋', '島'),
    ('嶌', '島'),
    ('嶽', '岳'),
    ('廣', '広'),
    ('彌', '弥'),
    ('德', '徳'),
    ('惠', '恵'),
    ('戶', '戸'),
    ('晉', '晋'),
    ('曾', '曽'),
    ('會', '会'),
    ('桒', '桑'),
    ('榮', '栄'),
    ('槇', '槙'),
    ('槗', '橋'),
    ('櫻', '桜'),
    ('淵', '渕'),
    ('淸', '清'),
    ('淺', '浅'),
    ('澤', '沢'),
    ('濱', '浜'),
    ('濵', '浜'),
    ('瀧', '滝'),
    ('瀨', '瀬'),
    ('眞', '真'),
    ('禮', '礼'),
    ('穗', '穂'),
    ('舘', '館'),
    ('莊', '荘'),
    ('萬', '万'),
    ('藏', '蔵'),
    ('蘆', '芦'),
    ('豐', '豊'),
    ('遙', '遥'),
    ('邉', '辺'),
    ('邊', '辺'),
    ('邨', '村'),
    ('關', '関'),
    ('靑', '青'),
    ('髙', '高'),
    ('黃', '黄'),
    ('黑', '黒'),
    ('齊', '斉'),
    ('齋', '斎'),
    ('﨑', '崎'),
    ('𠮷', '吉'),
];

/// First and last code point of the kanji the matcher folds in bulk (CJK Extension A and the
/// Unified Ideographs block), which [`is_variant_code`] answers from a bit map.
const BULK: (u32, u32) = (0x3400, 0x9FFF);

/// One bit per code point of [`BULK`]: set for the variants in it.
static BULK_BITS: [u64; ((BULK.1 - BULK.0 + 1) / 64) as usize] = bulk_bits();

const fn bulk_bits() -> [u64; ((BULK.1 - BULK.0 + 1) / 64) as usize] {
    let mut bits = [0; ((BULK.1 - BULK.0 + 1) / 64) as usize];
    let mut i = 0;
    while i < KANJI_VARIANTS.len() {
        let u = KANJI_VARIANTS[i].0 as u32;
        if u >= BULK.0 && u <= BULK.1 {
            let k = (u - BULK.0) as usize;
            bits[k / 64] |= 1 << (k % 64);
        }
        i += 1;
    }
    bits
}

/// The form the kanji `c` folds to when it is a variant in [`KANJI_VARIANTS`].
pub fn kanji_variant(c: char) -> Option<char> {
    KANJI_VARIANTS
        .binary_search_by_key(&c, |&(v, _)| v)
        .ok()
        .map(|i| KANJI_VARIANTS[i].1)
}

/// Whether the code point `u` of CJK Extension A or the Unified Ideographs block
/// (U+3400..=U+9FFF) is a variant that folding replaces; `false` outside that range. One load
/// from a 3.4 KiB bit map: for loops over kanji that send the rare variant to the full folder.
#[inline]
pub fn is_variant_code(u: u32) -> bool {
    match u.checked_sub(BULK.0) {
        Some(k) if u <= BULK.1 => BULK_BITS[(k / 64) as usize] >> (k % 64) & 1 == 1,
        _ => false,
    }
}

/// Whether `c` is a variation selector (U+FE00..=U+FE0F, U+E0100..=U+E01EF): it picks a glyph
/// of the character before it and folds to nothing.
pub fn is_variation_selector(c: char) -> bool {
    matches!(u32::from(c), 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

/// The katakana the katakana `u` folds to (a code point; others are returned as they are):
/// `ヂ` → `ジ` and `ヅ` → `ズ`, which sound the same and which readings typed by different
/// people write either way (`モチヅキ`, `モチズキ`), and the small `ヵ` → `カ` and `ヶ` → `ケ` of
/// place names (`弥生ヶ丘町` is Japan Post's `弥生ケ丘町`).
#[inline]
pub const fn kana_code(u: u32) -> u32 {
    match u {
        0x30C2 => 0x30B8,
        0x30C5 => 0x30BA,
        0x30F5 => 0x30AB,
        0x30F6 => 0x30B1,
        _ => u,
    }
}

/// The variant forms that fold to `c` (none when `c` is not a target in [`KANJI_VARIANTS`]).
pub fn variants_of(c: char) -> impl Iterator<Item = char> {
    KANJI_VARIANTS
        .iter()
        .filter(move |&&(_, t)| t == c)
        .map(|&(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn table_is_sorted_idempotent_and_nfkc_stable() {
        for w in KANJI_VARIANTS.windows(2) {
            assert!(w[0].0 < w[1].0, "{:?} before {:?}", w[0], w[1]);
        }
        for &(v, t) in &KANJI_VARIANTS {
            assert_ne!(v, t);
            assert_eq!(kanji_variant(t), None, "{t} is a target and a variant");
            for c in [v, t] {
                assert_eq!(std::iter::once(c).nfkc().collect::<String>(), c.to_string());
                assert!(!is_variation_selector(c));
            }
        }
    }

    #[test]
    fn kana() {
        let f = |c: char| char::from_u32(kana_code(u32::from(c)));
        assert_eq!(f('ヂ'), Some('ジ'));
        assert_eq!(f('ヅ'), Some('ズ'));
        assert_eq!(f('ヵ'), Some('カ'));
        assert_eq!(f('ヶ'), Some('ケ'));
        assert_eq!(f('チ'), Some('チ'));
        for u in 0x30A1..=0x30FE {
            assert_eq!(kana_code(kana_code(u)), kana_code(u));
        }
    }

    #[test]
    fn bit_map_agrees_with_the_table() {
        for u in 0..=0x10FFFF {
            if let Some(c) = char::from_u32(u) {
                let in_bulk = (BULK.0..=BULK.1).contains(&u);
                assert_eq!(
                    is_variant_code(u),
                    in_bulk && kanji_variant(c).is_some(),
                    "{u:X}"
                );
            }
        }
        assert_eq!(kanji_variant('髙'), Some('高'));
        assert_eq!(kanji_variant('﨑'), Some('崎'));
        assert_eq!(kanji_variant('𠮷'), Some('吉'));
        assert_eq!(kanji_variant('高'), None);
        assert_eq!(variants_of('崎').collect::<String>(), "嵜﨑");
        assert_eq!(variants_of('山').count(), 0);
    }
}
