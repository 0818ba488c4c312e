//! The normalizer, every field kind: no panic, and canonical forms are fixed points
//! (normalizing a canonical value gives it back; re-joined tokens give the same tokens); the
//! romaji key of any text, and of any reading's romanization.
#![no_main]

use fingerprints::FieldKind;
use fingerprints::normalize::romaji;
use fingerprints::normalize::{Canonical, canonicalize, fold_str};
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
});
