//! A PDF font, as far as text needs it: how a shown string splits into character codes, what
//! each code is in Unicode, and how wide it is (to tell a gap between words or cells from
//! letters set apart).
//!
//! The characters come from the font's `/ToUnicode` CMap when it has one (every font a
//! current writer embeds does). Without one, a composite font whose encoding is one of
//! Adobe's predefined Japanese CMaps is decoded as that CMap's bytes are (`90ms-RKSJ-H`:
//! Shift_JIS; `EUC-H`: EUC-JP; `UniJIS-UCS2-H`: UTF-16), and a simple font's codes are read
//! as Windows-1252 (the `WinAnsiEncoding` most of them use). A composite font with
//! `Identity-H` and no `/ToUnicode` numbers glyphs, not characters: it gives no text.

use std::collections::HashMap;

use super::syntax::{Lexer, Obj, Token};

/// Ranges of a CMap read, at most (each `bfrange` is kept as a range, not expanded).
const MAX_RANGES: usize = 100_000;

/// What a code's bytes are when the font has no `/ToUnicode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fallback {
    /// One byte a code, Windows-1252.
    WinAnsi,
    /// Shift_JIS (`90ms-RKSJ-H`, `90pv-RKSJ-H`, …).
    ShiftJis,
    /// EUC-JP (`EUC-H`, `EUC-V`).
    EucJp,
    /// UTF-16BE (`UniJIS-UCS2-H`, `UniJIS-UTF16-H`).
    Utf16,
    /// Glyph numbers (`Identity-H` without `/ToUnicode`): no text.
    Glyphs,
}

/// A `/ToUnicode` CMap: codes to characters.
#[derive(Debug, Default)]
pub(crate) struct CMap {
    /// Code space ranges: the byte length of a code and its bounds, byte by byte.
    codespace: Vec<(Vec<u8>, Vec<u8>)>,
    /// Single codes (`bfchar`).
    chars: HashMap<u32, String>,
    /// Ranges (`bfrange`), sorted by their first code: first, last, and the first code's
    /// characters (each next code's last UTF-16 unit one more) or every code's.
    ranges: Vec<(u32, u32, RangeTarget)>,
}

#[derive(Debug)]
enum RangeTarget {
    Start(Vec<u16>),
    Each(Vec<String>),
}

fn code_of(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |c, &b| c << 8 | u32::from(b))
}

fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], *p.get(1).unwrap_or(&0)]))
        .collect()
}

impl CMap {
    /// Reads a CMap's text (`begincodespacerange`, `beginbfchar`, `beginbfrange`). What is
    /// not understood is skipped.
    pub(crate) fn parse(data: &[u8]) -> CMap {
        let mut cmap = CMap::default();
        let mut lex = Lexer::new(data, 0);
        while let Some(token) = lex.token() {
            match token {
                Token::Keyword(b"begincodespacerange") => {
                    while let (Ok(Obj::Str(lo)), Ok(Obj::Str(hi))) =
                        (lex.object(false), lex.object(false))
                    {
                        if (1..=4).contains(&lo.len()) && lo.len() == hi.len() {
                            cmap.codespace.push((lo, hi));
                        }
                    }
                }
                Token::Keyword(b"beginbfchar") => {
                    while let (Ok(Obj::Str(code)), Ok(Obj::Str(dst))) =
                        (lex.object(false), lex.object(false))
                    {
                        let text = String::from_utf16_lossy(&utf16_units(&dst));
                        cmap.chars.insert(code_of(&code), text);
                    }
                }
                Token::Keyword(b"beginbfrange") => {
                    while let (Ok(Obj::Str(lo)), Ok(Obj::Str(hi))) =
                        (lex.object(false), lex.object(false))
                    {
                        let target = match lex.object(false) {
                            Ok(Obj::Str(dst)) => RangeTarget::Start(utf16_units(&dst)),
                            Ok(Obj::Array(items)) => RangeTarget::Each(
                                items
                                    .iter()
                                    .map(|i| match i {
                                        Obj::Str(s) => String::from_utf16_lossy(&utf16_units(s)),
                                        _ => String::new(),
                                    })
                                    .collect(),
                            ),
                            _ => break,
                        };
                        let (lo, hi) = (code_of(&lo), code_of(&hi));
                        if lo <= hi && cmap.ranges.len() < MAX_RANGES {
                            cmap.ranges.push((lo, hi, target));
                        }
                    }
                }
                _ => {}
            }
        }
        cmap.ranges.sort_by_key(|r| r.0);
        cmap
    }

    /// The characters of `code`, if the CMap maps it.
    fn lookup(&self, code: u32, out: &mut String) -> bool {
        if let Some(s) = self.chars.get(&code) {
            out.push_str(s);
            return true;
        }
        // The last range starting at or before `code` (ranges rarely overlap; when they do,
        // the one starting later wins).
        let k = self.ranges.partition_point(|r| r.0 <= code);
        let Some((lo, hi, target)) = k.checked_sub(1).map(|k| &self.ranges[k]) else {
            return false;
        };
        if code > *hi {
            return false;
        }
        let offset = code - lo;
        match target {
            RangeTarget::Start(units) => {
                let mut units = units.clone();
                if let Some(last) = units.last_mut() {
                    *last = last.wrapping_add(offset as u16);
                }
                out.push_str(&String::from_utf16_lossy(&units));
            }
            RangeTarget::Each(items) => {
                if let Some(s) = items.get(offset as usize) {
                    out.push_str(s);
                }
            }
        }
        true
    }

    /// The byte length of the code at the start of `bytes` by the code space ranges, if one
    /// matches.
    fn code_len(&self, bytes: &[u8]) -> Option<usize> {
        self.codespace
            .iter()
            .find(|(lo, hi)| {
                bytes.len() >= lo.len()
                    && lo
                        .iter()
                        .zip(hi)
                        .zip(bytes)
                        .all(|((l, h), b)| (l..=h).contains(&b))
            })
            .map(|(lo, _)| lo.len())
    }
}

/// A font's glyph widths, in thousandths of the font size.
#[derive(Debug)]
enum Widths {
    /// A simple font's: from its first code on.
    Simple { first: u32, widths: Vec<f32> },
    /// A composite font's (`/W`): ranges of CIDs and their widths.
    Cid(Vec<(u32, u32, f32)>),
}

/// A font, read for its text.
#[derive(Debug)]
pub(crate) struct Font {
    /// Codes are two bytes (a composite font) unless its CMap's code space says otherwise.
    composite: bool,
    to_unicode: Option<CMap>,
    fallback: Fallback,
    widths: Widths,
    /// The width of a glyph the widths do not list.
    default_width: f32,
}

/// What a shown string gave: its characters, and its codes' widths (thousandths of the font
/// size) and how many were single-byte code 32 (word spacing applies to them).
pub(crate) struct Shown {
    pub(crate) width: f32,
    pub(crate) codes: usize,
    pub(crate) spaces: usize,
}

impl Font {
    /// Reads the font dictionary `dict`; `resolve` follows references, `stream` gives a
    /// stream's decoded data.
    pub(crate) fn read<'d>(
        dict: &'d Obj,
        resolve: &dyn Fn(&'d Obj) -> &'d Obj,
        stream: &mut dyn FnMut(&'d Obj) -> Option<Vec<u8>>,
    ) -> Font {
        let composite = dict.get(b"Subtype").and_then(Obj::name) == Some(b"Type0");
        let to_unicode = dict
            .get(b"ToUnicode")
            .and_then(&mut *stream)
            .map(|data| CMap::parse(&data))
            .filter(|c| !c.chars.is_empty() || !c.ranges.is_empty());
        let encoding = dict.get(b"Encoding").map(resolve);
        let fallback = if composite {
            let name = encoding.and_then(Obj::name).unwrap_or_default();
            let has = |s: &[u8]| memchr::memmem::find(name, s).is_some();
            if has(b"RKSJ") {
                Fallback::ShiftJis
            } else if has(b"EUC") {
                Fallback::EucJp
            } else if has(b"UCS2") || has(b"UTF16") {
                Fallback::Utf16
            } else {
                Fallback::Glyphs
            }
        } else {
            Fallback::WinAnsi
        };
        let (widths, default_width) = if composite {
            let descendant = dict
                .get(b"DescendantFonts")
                .map(resolve)
                .and_then(|d| match d {
                    Obj::Array(items) => items.first().map(resolve),
                    _ => None,
                })
                .unwrap_or(&Obj::Null);
            let dw = descendant
                .get(b"DW")
                .map(resolve)
                .and_then(|d| d.num())
                .unwrap_or(1000.0) as f32;
            let w = descendant.get(b"W").map(resolve).unwrap_or(&Obj::Null);
            (Widths::Cid(cid_widths(w, resolve)), dw)
        } else {
            let first = dict
                .get(b"FirstChar")
                .map(resolve)
                .and_then(|f| f.num())
                .unwrap_or(0.0)
                .clamp(0.0, 255.0) as u32;
            let widths = match dict.get(b"Widths").map(resolve) {
                Some(Obj::Array(items)) => items
                    .iter()
                    .take(256)
                    .map(|w| resolve(w).num().unwrap_or(0.0) as f32)
                    .collect(),
                _ => Vec::new(),
            };
            let missing = dict
                .get(b"FontDescriptor")
                .map(resolve)
                .and_then(|d| d.get(b"MissingWidth").map(resolve))
                .and_then(|m| m.num())
                .filter(|&m| m > 0.0)
                .unwrap_or(500.0) as f32;
            (Widths::Simple { first, widths }, missing)
        };
        Font {
            composite,
            to_unicode,
            fallback,
            widths,
            default_width,
        }
    }

    /// A font for a `Tf` naming none the page has: one byte a code, Windows-1252.
    pub(crate) fn unknown() -> Font {
        Font {
            composite: false,
            to_unicode: None,
            fallback: Fallback::WinAnsi,
            widths: Widths::Simple {
                first: 0,
                widths: Vec::new(),
            },
            default_width: 500.0,
        }
    }

    fn width(&self, code: u32) -> f32 {
        let w = match &self.widths {
            Widths::Simple { first, widths } => code
                .checked_sub(*first)
                .and_then(|k| widths.get(k as usize))
                .copied(),
            Widths::Cid(ranges) => {
                // Sorted by their first CID: the last starting at or before `code`.
                let k = ranges.partition_point(|r| r.0 <= code);
                k.checked_sub(1)
                    .map(|k| ranges[k])
                    .filter(|r| code <= r.1)
                    .map(|r| r.2)
            }
        };
        w.filter(|w| *w > 0.0).unwrap_or(self.default_width)
    }

    /// Appends the characters of the shown string `bytes` to `out` (nothing with `mute`: an
    /// `/ActualText` stands for them), and returns their widths.
    pub(crate) fn show(&self, bytes: &[u8], mute: bool, out: &mut String) -> Shown {
        let mut shown = Shown {
            width: 0.0,
            codes: 0,
            spaces: 0,
        };
        if self.to_unicode.is_none() && self.composite && self.fallback != Fallback::Glyphs {
            // A predefined CMap: the string is text in that encoding.
            let encoding = match self.fallback {
                Fallback::ShiftJis => encoding_rs::SHIFT_JIS,
                Fallback::EucJp => encoding_rs::EUC_JP,
                _ => encoding_rs::UTF_16BE,
            };
            let (text, _) = encoding.decode_without_bom_handling(bytes);
            for ch in text.chars() {
                shown.codes += 1;
                shown.width += if ch.is_ascii() { 500.0 } else { 1000.0 };
                if ch == ' ' {
                    shown.spaces += 1;
                }
            }
            if !mute {
                out.push_str(&text);
            }
            return shown;
        }
        let mut at = 0;
        while at < bytes.len() {
            let default = if self.composite { 2 } else { 1 };
            let n = self
                .to_unicode
                .as_ref()
                .and_then(|c| c.code_len(&bytes[at..]))
                .unwrap_or(default)
                .min(bytes.len() - at);
            let code = code_of(&bytes[at..at + n]);
            at += n;
            shown.codes += 1;
            shown.width += self.width(code);
            if n == 1 && code == 32 {
                shown.spaces += 1;
            }
            if mute {
                continue;
            }
            let mapped = self
                .to_unicode
                .as_ref()
                .is_some_and(|c| c.lookup(code, out));
            if !mapped && self.fallback == Fallback::WinAnsi && n == 1 {
                let byte = [code as u8];
                let (ch, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
                out.push_str(&ch);
            }
        }
        shown
    }
}

/// A composite font's `/W` array: `c [w1 w2 …]` (widths from CID `c` on) and `first last w`.
fn cid_widths<'d>(w: &'d Obj, resolve: &dyn Fn(&'d Obj) -> &'d Obj) -> Vec<(u32, u32, f32)> {
    let Obj::Array(items) = w else {
        return Vec::new();
    };
    let items: Vec<&Obj> = items.iter().map(resolve).collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < items.len() && out.len() < MAX_RANGES {
        let Some(first) = items[k].num().filter(|n| *n >= 0.0) else {
            break;
        };
        let first = first as u32;
        match items.get(k + 1) {
            Some(Obj::Array(ws)) => {
                for (i, w) in ws.iter().enumerate().take(MAX_RANGES) {
                    let c = first.saturating_add(i as u32);
                    out.push((c, c, resolve(w).num().unwrap_or(0.0) as f32));
                }
                k += 2;
            }
            Some(Obj::Num(last)) => {
                let w = items.get(k + 2).and_then(|w| w.num()).unwrap_or(0.0) as f32;
                out.push((first, (*last).max(0.0) as u32, w));
                k += 3;
            }
            _ => break,
        }
    }
    out.sort_by_key(|r| r.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMAP: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
        1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
        2 beginbfchar <0003> <0020> <0010> <5C7153E3> endbfchar\n\
        2 beginbfrange <0020> <0029> <0030> <0100> <0101> [<5927> <D842DFB7>] endbfrange\n\
        endcmap";

    #[test]
    fn a_cmap_maps_single_codes_ranges_and_arrays() {
        let cmap = CMap::parse(CMAP);
        let map = |code: u32| {
            let mut s = String::new();
            cmap.lookup(code, &mut s).then_some(s)
        };
        assert_eq!(map(3).as_deref(), Some(" "));
        assert_eq!(map(0x10).as_deref(), Some("山口"));
        assert_eq!(map(0x20).as_deref(), Some("0"));
        assert_eq!(map(0x29).as_deref(), Some("9"));
        assert_eq!(map(0x100).as_deref(), Some("大"));
        // A surrogate pair.
        assert_eq!(map(0x101).as_deref(), Some("𠮷"));
        assert_eq!(map(0x2A), None);
        assert_eq!(map(0x11), None);
        assert_eq!(cmap.code_len(b"\x00\x10"), Some(2));
        assert_eq!(cmap.code_len(b"\x00"), None);
    }

    #[test]
    fn a_composite_font_shows_two_byte_codes() {
        let font = Font {
            composite: true,
            to_unicode: Some(CMap::parse(CMAP)),
            fallback: Fallback::Glyphs,
            widths: Widths::Cid(vec![(0x20, 0x29, 500.0)]),
            default_width: 1000.0,
        };
        let mut out = String::new();
        let shown = font.show(b"\x00\x10\x00\x03\x00\x21\x00\x22", false, &mut out);
        assert_eq!(out, "山口 12");
        assert_eq!(shown.codes, 4);
        assert_eq!(shown.width, 3000.0);
        let mut out = String::new();
        font.show(b"\x00\x10", true, &mut out);
        assert_eq!(out, "");
    }

    #[test]
    fn predefined_japanese_cmaps_are_their_encodings() {
        for (encoding, bytes) in [
            (&b"90ms-RKSJ-H"[..], &b"\x8eR\x8c\xfb 12"[..]),
            (b"EUC-H", b"\xbb\xb3\xb8\xfd 12"),
            (
                b"UniJIS-UCS2-H",
                b"\x5c\x71\x53\xe3\x00\x20\x00\x31\x00\x32",
            ),
        ] {
            let dict = Obj::Dict(vec![
                (b"Subtype".to_vec(), Obj::Name(b"Type0".to_vec())),
                (b"Encoding".to_vec(), Obj::Name(encoding.to_vec())),
            ]);
            let font = Font::read(&dict, &|o| o, &mut |_| None);
            let mut out = String::new();
            let shown = font.show(bytes, false, &mut out);
            assert_eq!(out, "山口 12", "{}", String::from_utf8_lossy(encoding));
            assert_eq!(shown.width, 2000.0 + 3.0 * 500.0);
        }
        let identity = Obj::Dict(vec![
            (b"Subtype".to_vec(), Obj::Name(b"Type0".to_vec())),
            (b"Encoding".to_vec(), Obj::Name(b"Identity-H".to_vec())),
        ]);
        let font = Font::read(&identity, &|o| o, &mut |_| None);
        let mut out = String::new();
        assert_eq!(font.show(b"\x00\x10\x00\x11", false, &mut out).codes, 2);
        assert_eq!(out, "");
    }

    #[test]
    fn a_simple_font_without_to_unicode_is_windows_1252() {
        let dict = Obj::Dict(vec![
            (b"Subtype".to_vec(), Obj::Name(b"TrueType".to_vec())),
            (b"FirstChar".to_vec(), Obj::Num(32.0)),
            (
                b"Widths".to_vec(),
                Obj::Array(vec![Obj::Num(250.0), Obj::Num(0.0), Obj::Num(600.0)]),
            ),
        ]);
        let font = Font::read(&dict, &|o| o, &mut |_| None);
        let mut out = String::new();
        let shown = font.show(b"Caf\xe9 \"", false, &mut out);
        assert_eq!(out, "Café \"");
        assert_eq!((shown.codes, shown.spaces), (6, 1));
        // Four glyphs the widths do not list (500 each), a space (250), a quote (600).
        assert_eq!(shown.width, 4.0 * 500.0 + 250.0 + 600.0);
    }
}
