//! The normalizer, every field kind: no panic, and canonical forms are fixed points
//! (normalizing a canonical value gives it back; re-joined tokens give the same tokens); the
//! romaji key of any text, and of any reading's romanization; the matcher's readers of dates
//! in a page.
#![no_main]

use fingerprints::FieldKind;
use fingerprints::normalize::romaji;
use fingerprints::normalize::{
    Canonical, Date, canonicalize, fold_str, parse_cell_date_prefix, parse_date_prefix,
    parse_era_cell_date, parse_eraless_date_prefix, parse_kanji_numeral_date_prefix,
    parse_numeric_date_prefix, parse_short_year_date_prefix,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, String)| {
    let (k, raw) = input;
    let kind = FieldKind::ALL[k as usize % FieldKind::ALL.len()];
    let folded = fold_str(&raw);
    assert_eq!(fold_str(&folded), folded, "folding is idempotent");
    // Romaji: a key is short lower-case ASCII and its own key; a reading's romanization has
    // a key.
    if let Some(k) = romaji::key(&folded) {
        assert!(!k.is_empty() && k.len() <= romaji::MAX_ROMAJI_CHARS * 2);
        assert!(k.bytes().all(|b| b.is_ascii_lowercase()), "{k:?}");
        assert_eq!(
            romaji::key(&k).as_deref(),
            Some(k.as_str()),
            "a key is a fixed point"
        );
    }
    if let Some(r) = romaji::from_katakana(&folded)
        && r.chars().count() <= romaji::MAX_ROMAJI_CHARS
    {
        assert!(
            romaji::key(&r).is_some(),
            "a reading's romanization has a key"
        );
    }
    match canonicalize(kind, &raw) {
        Ok(Canonical::Value(v)) => {
            assert_eq!(
                canonicalize(kind, &v),
                Ok(Canonical::Value(v.clone())),
                "{kind:?}: a canonical value is a fixed point"
            );
        }
        Ok(Canonical::Tokens(t)) => {
            assert!(!t.is_empty() && t.iter().all(|t| !t.is_empty()));
            // Addresses re-parse their block numbers from the tokens' order; the other
            // multi-token kinds must give the same tokens back.
            if kind != FieldKind::Address {
                assert_eq!(
                    canonicalize(kind, &t.join(" ")),
                    Ok(Canonical::Tokens(t.clone())),
                    "{kind:?}: re-joined tokens are a fixed point"
                );
            }
        }
        Err(_) => {}
    }
    // The matcher's readers of dates in a page, at every place of the folded text: no panic,
    // what they read lies inside the text, and every date they give is a date of the calendar.
    let chars: Vec<char> = folded.chars().take(200).collect();
    let is_date = |d: Date| Date::new(d.year, d.month, d.day) == Some(d);
    for i in 0..chars.len() {
        let s = &chars[i..];
        if let Some((d, used)) = parse_date_prefix(s) {
            assert!(used <= s.len() && is_date(d));
        }
        if let Some((d, used)) = parse_kanji_numeral_date_prefix(s) {
            assert!(used <= s.len() && is_date(d));
        }
        if let Some((d, used)) = parse_cell_date_prefix(s) {
            assert!(used <= s.len() && is_date(d));
        }
        for read in [
            parse_eraless_date_prefix(s).map(|(r, u)| (r.to_vec(), u)),
            parse_short_year_date_prefix(s).map(|(r, u)| (r.to_vec(), u)),
            parse_numeric_date_prefix(s).map(|(r, u)| (r.to_vec(), u)),
        ]
        .into_iter()
        .flatten()
        {
            assert!(read.1 <= s.len() && read.0.into_iter().flatten().all(is_date));
        }
        if let Some((d, a, b)) = parse_era_cell_date(&chars, i) {
            assert!(a < i && i < b && b <= chars.len() && is_date(d));
        }
    }
});
