//! Bytes in any encoding → text: BOM, the caller's charset, UTF-8, ISO-2022-JP escapes, then
//! statistical detection (`chardetng`); binary data is recognised and skipped.

use std::borrow::Cow;

use encoding_rs::{Encoding, ISO_2022_JP, UTF_8, UTF_16BE, UTF_16LE};

use crate::SkipReason;

/// Decoded text of a document (borrowed when the bytes already are UTF-8). Its `Debug` shows
/// the length, never the text.
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
    pub truncated: bool,
}

impl std::fmt::Debug for Decoded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("text_bytes", &self.text.len())
            .field("encoding", &self.encoding.name())
            .field("truncated", &self.truncated)
            .finish()
    }
}

/// How many leading bytes the binary sniffer and the charset detector look at.
const SNIFF_BYTES: usize = 64 << 10;

/// How many bytes the statistical charset detector reads, from the first non-ASCII byte on:
/// enough to tell Shift_JIS, EUC-JP and the single-byte encodings apart (the benchmark corpus
/// decodes the same with 4 and 16 KiB).
const DETECT_BYTES: usize = 4 << 10;

/// The detector's first, shorter read: a Japanese legacy encoding it names there is taken
/// when [`DETECT_BYTES`] decode in it without an error (see [`detect`]).
const DETECT_FIRST_BYTES: usize = 1 << 10;

/// Decodes `bytes` (at most `max_bytes` of them). `charset` is the caller's declared charset
/// (an HTTP header, a `<meta>`), honoured unless it claims UTF-8 for bytes that are not.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    charset: Option<&str>,
    max_bytes: usize,
) -> Result<Decoded<'a>, (SkipReason, &'static Encoding)> {
    if bytes.is_empty() {
        return Err((SkipReason::Empty, UTF_8));
    }
    let truncated = bytes.len() > max_bytes;
    let bytes = &bytes[..bytes.len().min(max_bytes)];
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        return Ok(Decoded {
            text: decode_with(enc, &bytes[bom..]),
            encoding: enc,
            truncated,
        });
    }
    let sniff = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if let Some(enc) = utf16_without_bom(sniff) {
        return Ok(Decoded {
            text: decode_with(enc, bytes),
            encoding: enc,
            truncated,
        });
    }
    if looks_binary(sniff) {
        return Err((SkipReason::Binary, UTF_8));
    }
    let declared = charset
        .and_then(|c| Encoding::for_label(c.trim().as_bytes()))
        .or_else(|| meta_charset(sniff));
    let enc = match declared {
        Some(enc) if enc != UTF_8 => enc,
        _ if has_iso2022_escape(sniff) => ISO_2022_JP,
        _ => {
            if let Some(text) = valid_utf8_prefix(bytes, truncated) {
                // Valid UTF-8 (up to a character the cap may have cut): no copy.
                return Ok(Decoded {
                    text: Cow::Borrowed(text),
                    encoding: UTF_8,
                    truncated,
                });
            }
            // The detector learns nothing from ASCII, so it reads from the first non-ASCII
            // byte on (a long ASCII header, as in an SQL dump, does not hide the encoding of
            // the rows after it).
            let from = bytes.iter().position(|&b| b >= 0x80).unwrap_or(0);
            detect(&bytes[from..])
        }
    };
    Ok(Decoded {
        text: decode_with(enc, bytes),
        encoding: enc,
        truncated,
    })
}

/// The encoding of `rest` (text from its first non-ASCII byte on), by `chardetng`.
///
/// The detector costs hundreds of instructions a byte, so it reads [`DETECT_FIRST_BYTES`]
/// first. When it names Shift_JIS or EUC-JP there, and the first [`DETECT_BYTES`] (up to
/// their last line break) decode in that encoding without a single error, that is the answer;
/// otherwise (another encoding, an error, no line break) it reads [`DETECT_BYTES`] as it
/// always did. The two Japanese encodings are told apart by their byte structure, which a
/// clean decode of 4 KiB of text confirms.
fn detect(rest: &[u8]) -> &'static Encoding {
    let guess = |n: usize| {
        let sample = &rest[..rest.len().min(n)];
        let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
        det.feed(sample, sample.len() == rest.len());
        det.guess(None, chardetng::Utf8Detection::Allow)
    };
    let first = guess(DETECT_FIRST_BYTES);
    if first == encoding_rs::SHIFT_JIS || first == encoding_rs::EUC_JP {
        let window = &rest[..rest.len().min(DETECT_BYTES)];
        // Whole lines only: a line feed is never part of a two-byte character in either.
        let lines = if window.len() == rest.len() {
            Some(window)
        } else {
            memchr::memrchr(b'\n', window).map(|i| &window[..=i])
        };
        if lines.is_some_and(|l| {
            first
                .decode_without_bom_handling_and_without_replacement(l)
                .is_some()
        }) {
            return first;
        }
    }
    guess(DETECT_BYTES)
}

fn decode_with<'a>(enc: &'static Encoding, bytes: &'a [u8]) -> Cow<'a, str> {
    if enc == ISO_2022_JP {
        return Cow::Owned(decode_iso2022jp(bytes));
    }
    enc.decode_without_bom_handling(bytes).0
}

/// An ISO-2022-JP document decoded as `encoding_rs` decodes it whole, with its ASCII text
/// copied as it is: a mailbox is mostly ASCII, with Japanese only in short escaped runs, and
/// the decoder takes some 30 instructions a byte of ASCII too.
///
/// In the ASCII state, a byte other than `ESC`, `SO`, `SI` and those above `0x7F` is the
/// character it stands for and leaves the decoder in the state a new decoder starts in (its
/// "output" flag clear). So each stretch from such a byte's end to the first `ESC ( B` (back
/// to ASCII) that is followed by such a byte is decoded apart by a new decoder, and the bytes
/// between the stretches are copied.
fn decode_iso2022jp(bytes: &[u8]) -> String {
    let plain = |b: u8| b < 0x80 && !matches!(b, 0x0E | 0x0F | 0x1B);
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Up to the first control byte of the three, then up to the first byte above 0x7F
        // (both searched a word or more at a time).
        let mut end = memchr::memchr3(0x1B, 0x0E, 0x0F, &bytes[i..]).map_or(bytes.len(), |p| i + p);
        if !bytes[i..end].is_ascii() {
            end = i + bytes[i..end]
                .iter()
                .position(|&b| b >= 0x80)
                .unwrap_or(end - i);
        }
        // ASCII only, so always valid.
        out.push_str(simdutf8::basic::from_utf8(&bytes[i..end]).unwrap_or_default());
        if end == bytes.len() {
            break;
        }
        let mut stretch_end = bytes.len();
        let mut at = end;
        while let Some(p) = memchr::memchr(0x1B, &bytes[at..]) {
            let esc = at + p;
            if bytes[esc + 1..].starts_with(b"(B") && bytes.get(esc + 3).is_some_and(|&b| plain(b))
            {
                stretch_end = esc + 3;
                break;
            }
            at = esc + 1;
        }
        out.push_str(
            &ISO_2022_JP
                .decode_without_bom_handling(&bytes[end..stretch_end])
                .0,
        );
        i = stretch_end;
    }
    out
}

/// The text when `bytes` are valid UTF-8, allowing a character cut by the size cap at the very
/// end (left out).
fn valid_utf8_prefix(bytes: &[u8], truncated: bool) -> Option<&str> {
    // SIMD validation first (several times faster than `std` on Japanese text); `std` only
    // for the error position when it fails.
    if let Ok(s) = simdutf8::basic::from_utf8(bytes) {
        return Some(s);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) if truncated && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
}

/// UTF-16 without a BOM: most code units of ASCII-range text have one zero byte.
fn utf16_without_bom(b: &[u8]) -> Option<&'static Encoding> {
    if b.len() < 16 || !b.contains(&0) {
        return None;
    }
    let pairs = b.len() / 2;
    let even_zero = b.chunks_exact(2).filter(|p| p[0] == 0 && p[1] != 0).count();
    let odd_zero = b.chunks_exact(2).filter(|p| p[1] == 0 && p[0] != 0).count();
    if even_zero * 10 >= pairs * 7 {
        Some(UTF_16BE)
    } else if odd_zero * 10 >= pairs * 7 {
        Some(UTF_16LE)
    } else {
        None
    }
}

const BINARY_SIGNATURES: [&[u8]; 12] = [
    b"\x89PNG",
    b"GIF8",
    b"\xFF\xD8\xFF",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1F\x8B",
    b"\x7FELF",
    b"7z\xBC\xAF",
    b"Rar!",
    b"SQLite format 3\0",
    b"\x28\xB5\x2F\xFD",
    b"BZh",
];

/// NUL bytes, a known binary signature, or many control characters.
fn looks_binary(b: &[u8]) -> bool {
    if BINARY_SIGNATURES.iter().any(|s| b.starts_with(s)) {
        return true;
    }
    // `memchr` searches 32 bytes at a time (`contains` on bytes, a word at a time, took 3
    // instructions a byte of every document).
    if memchr::memchr(0, b).is_some() {
        return true;
    }
    controls(b) * 20 > b.len()
}

/// Control characters other than tab, line feed, carriage return, form feed and escape.
///
/// Counted per 255-byte chunk in `u8` with wrapping arithmetic (exact, since a chunk holds at
/// most 255 of them), as compares and subtractions only, so the loop is vectorized.
fn controls(b: &[u8]) -> usize {
    b.chunks(255)
        .map(|chunk| {
            chunk.iter().fold(0u8, |n, &c| {
                n.wrapping_add(u8::from(c < 0x20))
                    .wrapping_sub(u8::from(c == b'\t'))
                    .wrapping_sub(u8::from(c == b'\n'))
                    .wrapping_sub(u8::from(c == b'\r'))
                    .wrapping_sub(u8::from(c == 0x0C))
                    .wrapping_sub(u8::from(c == 0x1B))
            }) as usize
        })
        .sum()
}

/// ISO-2022-JP switches into JIS X 0208 with `ESC $ B` or `ESC $ @`.
fn has_iso2022_escape(b: &[u8]) -> bool {
    // Most documents have no ESC at all.
    memchr::memchr_iter(0x1B, b).any(|i| matches!(b.get(i + 1..i + 3), Some(b"$B" | b"$@")))
}

/// A `charset=` in the first kilobyte (an HTML `<meta>` or an XML declaration's `encoding=`).
fn meta_charset(b: &[u8]) -> Option<&'static Encoding> {
    let head = &b[..b.len().min(1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let at = find(&lower, b"charset=")
        .map(|i| i + 8)
        .or_else(|| find(&lower, b"encoding=").map(|i| i + 9))?;
    let rest = &lower[at..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_')))
        .unwrap_or(rest.len());
    Encoding::for_label(&rest[..end])
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest::proptest! {
        /// The ASCII fast path decodes every byte string as the decoder does it whole: escape
        /// sequences valid and not, back to back, cut, and bytes of every kind between them.
        #[test]
        fn iso2022jp_reads_as_the_whole_decoder(parts in prop::collection::vec(
            prop_oneof![
                Just(b"\x1B$B".to_vec()),
                Just(b"\x1B$@".to_vec()),
                Just(b"\x1B(B".to_vec()),
                Just(b"\x1B(J".to_vec()),
                Just(b"\x1B(I".to_vec()),
                Just(b"\x1B".to_vec()),
                Just(b"$".to_vec()),
                Just(b"(".to_vec()),
                Just(b"B".to_vec()),
                Just(b"F|".to_vec()),
                Just(b"\\~\n".to_vec()),
                prop::collection::vec(any::<u8>(), 1..4),
                "[ -~]{1,6}".prop_map(String::into_bytes),
            ],
            0..24,
        )) {
            let bytes = parts.concat();
            let whole = ISO_2022_JP.decode_without_bom_handling(&bytes).0;
            prop_assert_eq!(decode_iso2022jp(&bytes), whole.as_ref());
        }
    }

    #[test]
    fn iso2022jp_mail_reads_as_the_whole_decoder() {
        let (jis, _, _) = ISO_2022_JP.encode("山口 大介 様\nご注文ありがとうございます。ﾔﾏｸﾞﾁ\n");
        let mut mail = b"Subject: order\r\n\r\n".to_vec();
        for _ in 0..3 {
            mail.extend_from_slice(&jis);
            mail.extend_from_slice(b"Tel: 090-6682-8625\n\x1B$B\x1B(B\x0E\xFF");
        }
        let whole = ISO_2022_JP.decode_without_bom_handling(&mail).0;
        assert!(whole.contains("山口 大介"));
        assert_eq!(decode_iso2022jp(&mail), whole);
    }

    #[test]
    fn detects_encodings() {
        let text = "尼崎市東七松町一丁目23番4号 山田太郎 昭和50年3月2日 電話06-1234-5678 よろしくお願いします。";
        let cases: [(&'static Encoding, Option<&str>); 5] = [
            (UTF_8, None),
            (encoding_rs::SHIFT_JIS, None),
            (encoding_rs::EUC_JP, None),
            (ISO_2022_JP, None),
            (encoding_rs::SHIFT_JIS, Some("Shift_JIS")),
        ];
        for (enc, declared) in cases {
            let (bytes, _, _) = enc.encode(text);
            let d = decode(&bytes, declared, 1 << 20).expect("decodes");
            assert_eq!(d.encoding, enc, "{}", enc.name());
            assert_eq!(d.text, text, "{}", enc.name());
        }
        // A long ASCII header (an SQL dump's schema) before the Japanese rows.
        for enc in [encoding_rs::SHIFT_JIS, encoding_rs::EUC_JP] {
            let long = format!(
                "{}{}",
                "CREATE TABLE t (a int);\n".repeat(1000),
                text.repeat(20)
            );
            let (bytes, _, _) = enc.encode(&long);
            let d = decode(&bytes, None, 1 << 20).expect("decodes");
            assert_eq!(d.encoding, enc, "{} after ASCII", enc.name());
        }
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let d = decode(&utf16, None, 1 << 20).expect("utf-16");
        assert_eq!((d.encoding, &*d.text), (UTF_16LE, text));
    }

    #[test]
    fn short_detection_agrees_with_the_long_read() {
        let full = |rest: &[u8]| {
            let sample = &rest[..rest.len().min(DETECT_BYTES)];
            let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
            det.feed(sample, sample.len() == rest.len());
            det.guess(None, chardetng::Utf8Detection::Allow)
        };
        let ja = "山田　太郎,ヤマダ タロウ,昭和50年3月2日,兵庫県尼崎市東七松町1丁目23番4号\n\
                  ｽｽﾞｷ ﾊﾅｺ,1988/07/14,尼崎市立花町4-20-19,普通 1234567\n\
                  本日は晴天なり。会議の資料を確認してください。よろしくお願いします。\n";
        let cases = [
            (encoding_rs::SHIFT_JIS, ja),
            (encoding_rs::EUC_JP, ja),
            (
                encoding_rs::WINDOWS_1252,
                "Café, résumé, naïve; für schön Grüße.\n",
            ),
            (encoding_rs::KOI8_R, "Привет, как дела? Всё хорошо.\n"),
            (encoding_rs::GBK, "我们的会议在明天下午三点。请准时参加。\n"),
        ];
        for (enc, line) in cases {
            for repeat in [1, 3, 40, 200] {
                let text = line.repeat(repeat);
                let (bytes, _, _) = enc.encode(&text);
                let from = bytes.iter().position(|&b| b >= 0x80).unwrap_or(0);
                // Also cut mid-line (and maybe mid-character) at odd offsets.
                for cut in [bytes.len(), bytes.len() * 2 / 3 + 1, from + 4099] {
                    let rest = &bytes[from..cut.min(bytes.len())];
                    assert_eq!(
                        detect(rest),
                        full(rest),
                        "{} x{repeat} cut {cut}",
                        enc.name()
                    );
                }
            }
        }
    }

    #[test]
    fn control_count_is_exact() {
        let naive = |b: &[u8]| {
            b.iter()
                .filter(|&&c| c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B))
                .count()
        };
        let all: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let ctl = vec![1u8; 1000];
        let mixed: Vec<u8> = b"a\x01\n\t\x1b\x02".repeat(300);
        for b in [&all[..], &ctl, &mixed, b"", b"\x1f"] {
            assert_eq!(controls(b), naive(b));
        }
    }

    #[test]
    fn binary_and_empty_are_skipped() {
        assert_eq!(decode(b"", None, 10).unwrap_err().0, SkipReason::Empty);
        assert_eq!(
            decode(b"\x89PNG\r\n\x1a\nxxxx", None, 100).unwrap_err().0,
            SkipReason::Binary
        );
        let mut junk = b"abc".repeat(10);
        junk.push(0);
        assert_eq!(decode(&junk, None, 100).unwrap_err().0, SkipReason::Binary);
    }

    #[test]
    fn cap_truncates_and_lying_utf8_label_is_not_trusted() {
        let d = decode("あいうえお".as_bytes(), None, 7).expect("decodes");
        assert!(d.truncated);
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.starts_with("あい"));
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("山田太郎さんの電話番号です。よろしく");
        let d = decode(&sjis, Some("utf-8"), 1 << 20).expect("decodes");
        assert_eq!(d.encoding, encoding_rs::SHIFT_JIS);
    }
}
