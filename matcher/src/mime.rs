//! E-mail messages (RFC 5322 with MIME; one message, or an mbox archive of many): the text a
//! reader sees, with what transfer encodings hide decoded. A leaked mailbox holds its bodies
//! in base64 or quoted-printable and its names in encoded words (`=?UTF-8?B?5bGx5Y+j?=`),
//! where no register value appears as written.
//!
//! The text is each message's header lines, unfolded, with encoded words decoded, then the
//! text of each of its parts: transfer encoding undone, the part's charset decoded (or
//! detected), HTML parts' visible text, attachments that are text (a CSV of customers)
//! included, archives and spreadsheets attached (`.xlsx`, `.zip`, `.tar.gz`) read as
//! [`crate::archive`] reads them, within the budget `max_document_bytes` sets for the message,
//! and other binary ones (images, PDFs) left out. Messages attached to messages are
//! read the same way, down to [`MAX_DEPTH`]. Spans of findings point into this text, as they
//! point into the visible text of an HTML page.

use encoding_rs::Encoding;

use crate::archive::{is_archive, read_archive, read_unsealed};
use crate::decode::decode;
use crate::html::{extract_text, is_html};
use crate::strings::read_binary_file;
use crate::unlock::Unpack;

/// How deep multiparts and attached messages are read; deeper parts are left out.
const MAX_DEPTH: usize = 8;

/// How far into a document its first header block is looked for.
const HEAD_BYTES: usize = 16 << 10;

/// Header fields that only mail has (or that it has first), lower case.
const MAIL_FIELDS: [&str; 10] = [
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "delivered-to",
];

/// Whether `text` is an e-mail message (or an mbox of them) with something a transfer
/// encoding or an encoded word hides: a declared `message/rfc822` (or `application/mbox`),
/// or a first block of header lines with two mail fields or more (`From:`, `Subject:`,
/// `Received:`…), and a base64 or quoted-printable part or an encoded word. A message with
/// nothing encoded is read as the plain text it is.
pub(crate) fn is_mime(text: &str, content_type: Option<&str>) -> bool {
    let declared = content_type.is_some_and(|ct| {
        let ct = ct.to_ascii_lowercase();
        ct.starts_with("message/rfc822") || ct.starts_with("application/mbox")
    });
    if !declared && mail_fields(text) < 2 {
        return false;
    }
    memchr::memmem::find(text.as_bytes(), b"=?").is_some() || has_transfer_encoding(text)
}

/// How many of the first header block's fields are mail fields (an mbox's `From ` line
/// skipped).
fn mail_fields(text: &str) -> usize {
    let head = &text[..text.floor_char_boundary(HEAD_BYTES)];
    let head = match head.strip_prefix("From ") {
        Some(rest) => rest.split_once('\n').map_or("", |(_, r)| r),
        None => head,
    };
    // Mail fields among the first field lines; a message's first four hold one (a log of
    // `WARN: …` lines is read no further).
    let (mut fields, mut lines) = (0, 0);
    for line in head.lines() {
        if line.is_empty() || fields >= 2 {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return 0;
        };
        if !is_field_name(name) {
            return 0;
        }
        fields += usize::from(MAIL_FIELDS.iter().any(|f| name.eq_ignore_ascii_case(f)));
        lines += 1;
        if lines >= 4 && fields == 0 {
            return 0;
        }
    }
    fields
}

/// Whether `name` is a header field's name: a letter, then letters, digits, `-` and `_`.
fn is_field_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.len() <= 76
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether a `Content-Transfer-Encoding` of base64 or quoted-printable is declared anywhere.
fn has_transfer_encoding(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, b"ransfer-")
        .chain(memchr::memmem::find_iter(b, b"RANSFER-"))
        .any(|k| {
            let rest = &b[k..b.len().min(k + 64)];
            let rest = String::from_utf8_lossy(rest).to_ascii_lowercase();
            rest.starts_with("ransfer-encoding:")
                && (rest.contains("base64") || rest.contains("quoted-printable"))
        })
}

/// The text of the messages in `text` (see the module documentation), inflating at most
/// `budget` bytes of attached archives.
#[cfg(test)]
pub(crate) fn extract_mail_text(text: &str, budget: usize) -> String {
    unpack_mail_text(text, &mut Unpack::without_passwords(budget))
}

/// [`extract_mail_text`] within `cx`'s budget, trying its passwords on encrypted attachments,
/// and then those the messages give (the password sent in a mail of its own after the
/// archive).
pub(crate) fn unpack_mail_text(text: &str, cx: &mut Unpack<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    for message in mbox_messages(text) {
        read_entity(message, 0, cx, &mut out);
        out.push('\n');
    }
    read_unsealed(cx, &mut out);
    out
}

/// The messages of an mbox (each after a line that starts `From `), or the one message.
fn mbox_messages(text: &str) -> Vec<&str> {
    if !text.starts_with("From ") {
        return vec![text];
    }
    let mut starts: Vec<usize> = vec![0];
    starts.extend(memchr::memmem::find_iter(text.as_bytes(), b"\nFrom ").map(|k| k + 1));
    starts.push(text.len());
    starts
        .windows(2)
        .map(|w| {
            let m = &text[w[0]..w[1]];
            // The `From ` line itself is the archive's, not the message's.
            m.split_once('\n').map_or("", |(_, rest)| rest)
        })
        .collect()
}

/// A message or a part: its header block and its body.
struct Entity<'a> {
    /// Unfolded header fields, name and raw value.
    fields: Vec<(&'a str, String)>,
    body: &'a str,
}

impl Entity<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits an entity into its header fields and its body (at the first empty line). A line
/// that is no header field ends the header block there: the rest is body.
fn parse_entity(text: &str) -> Entity<'_> {
    let mut fields: Vec<(&str, String)> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if content.is_empty() {
            return Entity {
                fields,
                body: &text[at + line.len()..],
            };
        }
        let folded = content.starts_with([' ', '\t']);
        match fields.last_mut() {
            Some((_, value)) if folded => {
                value.push(' ');
                value.push_str(content.trim());
            }
            _ => match content.split_once(':') {
                Some((name, value)) if is_field_name(name) => {
                    fields.push((name, value.trim().to_owned()));
                }
                _ => {
                    return Entity {
                        fields,
                        body: &text[at..],
                    };
                }
            },
        }
        at += line.len();
    }
    Entity { fields, body: "" }
}

/// Appends the text of the entity `text` (header lines, then its body's) to `out`.
fn read_entity(text: &str, depth: usize, cx: &mut Unpack<'_>, out: &mut String) {
    let entity = parse_entity(text);
    for (name, value) in &entity.fields {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(&decode_words(value));
        out.push('\n');
    }
    out.push('\n');
    let content_type = entity.field("content-type").unwrap_or("text/plain");
    let (media, params) = parse_content_type(content_type);
    // An encrypted message (RFC 1847; PGP/MIME's, RFC 3156): its control part and its
    // armoured data count once, and neither is text to scan.
    if media == "multipart/encrypted" {
        cx.not_read();
        return;
    }
    if media.starts_with("multipart/") {
        if depth >= MAX_DEPTH {
            return;
        }
        if let Some(boundary) = param(&params, "boundary") {
            for part in multipart_parts(entity.body, &boundary) {
                read_entity(part, depth + 1, cx, out);
                out.push('\n');
            }
            return;
        }
    }
    if media == "message/rfc822" && depth < MAX_DEPTH {
        read_entity(entity.body, depth + 1, cx, out);
        return;
    }
    if is_encrypted_part(&media, &params) {
        cx.not_read();
        return;
    }
    let encoding = entity
        .field("content-transfer-encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => decode_base64(entity.body),
        "quoted-printable" => decode_quoted_printable(entity.body, false),
        // Already text, decoded with the document.
        _ => {
            push_part_text(entity.body, &media, out);
            return;
        }
    };
    // An archive or a spreadsheet attached: what it holds.
    if is_archive(&bytes) {
        read_archive(&bytes, cx, out);
        out.push('\n');
        return;
    }
    let charset = param(&params, "charset");
    match decode(&bytes, charset.as_deref(), usize::MAX) {
        Ok(decoded) => push_part_text(&decoded.text, &media, out),
        // A binary file of no format read above (a database's data file): its text runs,
        // unless it is a picture, a sound, a video, a font or a program.
        Err(_) if !is_media_type(&media) => {
            if read_binary_file(&bytes, out) {
                out.push('\n');
            }
        }
        Err(_) => {}
    }
}

/// Whether `media` is a picture's, a sound's, a video's or a font's type.
fn is_media_type(media: &str) -> bool {
    ["image/", "audio/", "video/", "font/"]
        .iter()
        .any(|t| media.starts_with(t))
}

/// Whether a part of type `media` is an encrypted message, which is not read: S/MIME's
/// enveloped data (RFC 8551), or PGP/MIME's control part (RFC 3156: one per
/// `multipart/encrypted` message, beside the encrypted data).
fn is_encrypted_part(media: &str, params: &[(String, String)]) -> bool {
    match media {
        "application/pgp-encrypted" => true,
        "application/pkcs7-mime" | "application/x-pkcs7-mime" => param(params, "smime-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("enveloped")),
        _ => false,
    }
}

/// Appends a leaf part's text: HTML's visible text, other text as it is.
fn push_part_text(text: &str, media: &str, out: &mut String) {
    if media == "text/html" || is_html(text, None) {
        out.push_str(&extract_text(text));
    } else {
        out.push_str(text);
    }
    out.push('\n');
}

/// The media type (lower case) and the parameters (names lower case, values unquoted) of a
/// `Content-Type` value.
fn parse_content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut items = split_params(value).into_iter();
    let media = items.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = items
        .filter_map(|item| {
            let (name, value) = item.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some((name.trim().to_ascii_lowercase(), value.to_owned()))
        })
        .collect();
    (media, params)
}

/// A header value split at the `;` outside quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut quoted = false;
    for c in value.chars() {
        if c == ';' && !quoted {
            items.push(String::new());
            continue;
        }
        quoted ^= c == '"';
        if let Some(item) = items.last_mut() {
            item.push(c);
        }
    }
    items
}

fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// The parts of a multipart body: what lies between its `--boundary` lines, up to the closing
/// `--boundary--` (or the end of the text, which a size cap may have cut).
fn multipart_parts<'a>(body: &'a str, boundary: &str) -> Vec<&'a str> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if let Some(rest) = trimmed.strip_prefix(delimiter.as_str())
            && (rest.is_empty() || rest == "--")
        {
            if let Some(s) = start {
                parts.push(&body[s..at]);
            }
            if rest == "--" {
                return parts;
            }
            start = Some(at + line.len());
        }
        at += line.len();
    }
    if let Some(s) = start {
        parts.push(&body[s..]);
    }
    parts
}

/// [`BASE64_VALUES`] of a character outside the alphabet, skipped.
const BASE64_SKIP: u8 = 64;
/// [`BASE64_VALUES`] of `=`, which ends the data.
const BASE64_END: u8 = 65;

/// Each byte's value in base64's alphabet, or [`BASE64_SKIP`] or [`BASE64_END`].
const BASE64_VALUES: [u8; 256] = {
    let mut t = [BASE64_SKIP; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'=' as usize] = BASE64_END;
    t
};

/// Base64 (RFC 2045: line breaks and other characters outside the alphabet are skipped; the
/// first `=` ends it). A cut-off last group gives the bytes it holds whole.
pub(crate) fn decode_base64(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let v = BASE64_VALUES[usize::from(b)];
        if v >= 64 {
            if v == BASE64_END {
                break;
            }
            continue;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Quoted-printable: `=XX` is a byte, `=` at a line's end joins it to the next; with
/// `header`, `_` is a space (an encoded word's `Q` encoding).
fn decode_quoted_printable(text: &str, header: bool) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'=' => {
                let hex = |k: usize| b.get(k).and_then(|&d| char::from(d).to_digit(16));
                if let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2)) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                // A soft line break: `=` then spaces and the line's end.
                let mut k = i + 1;
                while matches!(b.get(k), Some(b' ' | b'\t' | b'\r')) {
                    k += 1;
                }
                if b.get(k) == Some(&b'\n') {
                    i = k + 1;
                    continue;
                }
                out.push(b'=');
                i += 1;
            }
            b'_' if header => {
                out.push(b' ');
                i += 1;
            }
            x => {
                out.push(x);
                i += 1;
            }
        }
    }
    out
}

/// A header value with its encoded words (`=?charset?B|Q?text?=`, RFC 2047) decoded; the
/// space between two encoded words is dropped, as the RFC says. A word whose charset is
/// unknown, or that does not decode in it, is left as written.
fn decode_words(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut after_word = false;
    while let Some(k) = rest.find("=?") {
        let (before, from) = rest.split_at(k);
        match encoded_word(from) {
            Some((text, used)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &from[used..];
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &from[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The encoded word at the start of `s`: its decoded text and its length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (charset, rest) = inner.split_once('?')?;
    let (kind, rest) = rest.split_once('?')?;
    let text = &rest[..rest.find("?=")?];
    let word = |t: &str| !t.is_empty() && t.len() <= 64 && !t.contains([' ', '\t', '\n']);
    if !word(charset) || kind.len() != 1 || text.contains([' ', '\t', '\n']) {
        return None;
    }
    let used = 2 + charset.len() + 1 + kind.len() + 1 + text.len() + 2;
    // RFC 2231's language suffix: `UTF-8*ja`.
    let charset = charset.split('*').next()?;
    let encoding = Encoding::for_label(charset.as_bytes())?;
    let bytes = match kind {
        "B" | "b" => decode_base64(text),
        "Q" | "q" => decode_quoted_printable(text, true),
        _ => return None,
    };
    let decoded = encoding.decode_without_bom_handling_and_without_replacement(&bytes)?;
    Some((decoded.into_owned(), used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fingerprints::leaks::base64;

    const B64_NAME: &str = "5bGx5Y+jIOWkp+S7iw=="; // 山口 大介

    #[test]
    fn archives_attached_are_read() {
        // A customer list attached as a spreadsheet, and as CSV compressed with gzip.
        let book = crate::archive::tests::workbook("山口 大介", 25_099, "090-6682-8625");
        let gz = crate::archive::tests::gzip("氏名,生年月日\n前田 花子,1970-01-02\n".as_bytes());
        let part = |name: &str, bytes: &[u8]| {
            format!(
                "--b1\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                base64(bytes)
            )
        };
        let mail = format!(
            "From: a@example.com\r\nTo: b@example.com\r\nSubject: list\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
             --b1\r\nContent-Type: text/plain\r\n\r\nattached\r\n{}{}--b1--\r\n",
            part("顧客.xlsx", &book),
            part("members.csv.gz", &gz)
        );
        let text = extract_mail_text(&mail, 1 << 20);
        assert!(
            text.contains("山口 大介\t1968-09-18\t090-6682-8625"),
            "{text}"
        );
        assert!(text.contains("前田 花子,1970-01-02"), "{text}");
        // Within the budget: what is inflated beyond it is not read.
        let text = extract_mail_text(&mail, 0);
        assert!(!text.contains("前田 花子"), "{text}");
    }

    #[test]
    fn encrypted_messages_are_counted_not_read() {
        let locked = |mail: &str| {
            let mut cx = Unpack::without_passwords(1 << 20);
            let text = unpack_mail_text(mail, &mut cx);
            (cx.locked(), text)
        };
        let head = "From: a@example.com\r\nSubject: list\r\nMIME-Version: 1.0\r\n";
        // PGP/MIME: the `multipart/encrypted` message counts once, its control part and its
        // armoured data unread.
        let pgp = format!(
            "{head}Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; \
             boundary=\"e\"\r\n\r\n--e\r\nContent-Type: application/pgp-encrypted\r\n\r\n\
             Version: 1\r\n--e\r\nContent-Type: application/octet-stream\r\n\r\n\
             -----BEGIN PGP MESSAGE-----\r\nhQEMA...\r\n-----END PGP MESSAGE-----\r\n--e--\r\n"
        );
        assert_eq!(locked(&pgp).0, 1);
        // S/MIME: enveloped data counts, signed data does not.
        for (smime, count) in [("enveloped-data", 1), ("signed-data", 0)] {
            let mail = format!(
                "{head}Content-Type: application/pkcs7-mime; smime-type={smime}; \
                 name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3\r\n"
            );
            assert_eq!(locked(&mail).0, count, "{smime}");
        }
        // A clear message.
        let clear = format!("{head}Content-Type: text/plain\r\n\r\n{B64_NAME}\r\n");
        let (count, text) = locked(&clear);
        assert_eq!(count, 0);
        assert!(text.contains("Subject: list"), "{text}");
    }

    #[test]
    fn encoded_words_are_decoded() {
        let cases = [
            (
                "=?UTF-8?B?5bGx5Y+jIOWkp+S7iw==?= <x@example.com>",
                "山口 大介 <x@example.com>",
            ),
            (
                "=?utf-8?q?=E5=B1=B1=E5=8F=A3_=E5=A4=A7=E4=BB=8B?=",
                "山口 大介",
            ),
            ("=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=", "山田"),
            // Two words: the space between them is dropped.
            ("=?UTF-8?B?5bGx5Y+j?= =?UTF-8?B?5aSn5LuL?=", "山口大介"),
            ("Re: =?UTF-8?B?5bGx5Y+j?= san", "Re: 山口 san"),
            // Not words: left as written.
            ("=?x-unknown?B?5bGx?=", "=?x-unknown?B?5bGx?="),
            ("a =? b ?= c", "a =? b ?= c"),
            ("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="),
        ];
        for (value, want) in cases {
            assert_eq!(decode_words(value), want, "{value}");
        }
    }

    #[test]
    fn transfer_encodings_are_undone() {
        assert_eq!(decode_base64("5bGx\r\n5Y+j"), "山口".as_bytes());
        assert_eq!(decode_base64(B64_NAME), "山口 大介".as_bytes());
        // Cut off: the whole bytes it holds.
        assert_eq!(decode_base64("5bGx5Y"), &"山口".as_bytes()[..4]);
        // Every byte value, at every offset in a group of three, read back as written.
        let all: Vec<u8> = (0..=255).collect();
        for from in 0..3 {
            assert_eq!(decode_base64(&base64(&all[from..])), &all[from..]);
        }
        assert_eq!(
            decode_quoted_printable("=E5=B1=B1=\r\n=E5=8F=A3 a=3Db =\n", false),
            "山口 a=b ".as_bytes()
        );
        assert_eq!(
            decode_quoted_printable("50% = half=", false),
            b"50% = half="
        );
    }

    #[test]
    fn mail_is_recognised_only_with_something_encoded() {
        let mail = "From: a@example.com\nTo: b@example.com\nSubject: x\n\nbody\n";
        assert!(!is_mime(mail, None));
        let encoded = "From: a@example.com\nTo: =?UTF-8?B?5bGx5Y+j?= <b@example.com>\n\nbody\n";
        assert!(is_mime(encoded, None));
        let base64 = "Received: by x\nSubject: s\nContent-Transfer-Encoding: base64\n\n5bGx\n";
        assert!(is_mime(base64, None));
        assert!(is_mime(
            &format!("From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n{base64}"),
            None
        ));
        // Labelled lines, an HTTP exchange, a CSV: not mail.
        for text in [
            "Name: =?x?= \nSubject: y\n",
            "氏名: 山口\nFrom: y\nTo: z\n\n=?UTF-8?B?5bGx?=",
            "POST /x HTTP/1.1\nHost: a\nContent-Transfer-Encoding: base64\n",
            "name,from,to\n=?,a,b\n",
        ] {
            assert!(!is_mime(text, None), "{text}");
        }
        assert!(is_mime("=?UTF-8?B?5bGx?=", Some("message/rfc822")));
    }

    #[test]
    fn a_message_reads_as_its_decoded_text() {
        let mail = format!(
            "Return-Path: <shop@example.com>\r\n\
             From: shop@example.com\r\n\
             To: =?UTF-8?B?{B64_NAME}?=\r\n\
             \t<x@example.com>\r\n\
             Subject: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
             \r\n\
             preamble\r\n\
             --b1\r\n\
             Content-Type: text/plain; charset=\"UTF-8\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             {B64_NAME}\r\n\
             --b1\r\n\
             Content-Type: text/html; charset=Shift_JIS\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\
             \r\n\
             <html><body><p>=8ER=8C=FB</p></body></html>\r\n\
             --b1\r\n\
             Content-Type: image/png\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkAAIAAAoAAv/lxKUAAAAASUVORK5CYII=\r\n\
             --b1\r\n\
             Content-Type: text/csv; name=\"customers.csv\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             5rCP5ZCNLOeUn+W5tOaciOaXpQrlsbHlj6Mg5aSn5LuLLDE5NjgtMDktMTgK\r\n\
             --b1--\r\n\
             epilogue\r\n"
        );
        assert!(is_mime(&mail, None));
        let text = extract_mail_text(&mail, 1 << 20);
        assert!(text.contains("To: 山口 大介 <x@example.com>"), "{text}");
        assert!(text.contains("Subject: 山田"), "{text}");
        assert!(text.contains("\n山口 大介\n"), "{text}");
        assert!(text.contains("\n山口\n"), "{text}");
        assert!(text.contains("山口 大介,1968-09-18"), "{text}");
        assert!(!text.contains("iVBOR") && !text.contains("PNG"), "{text}");
        assert!(
            !text.contains("preamble") && !text.contains("epilogue"),
            "{text}"
        );
    }

    #[test]
    fn an_mbox_reads_as_its_messages() {
        let mbox = format!(
            "From a@example.com Thu Jan  1 00:00:00 2026\n\
             From: a@example.com\nSubject: one\nContent-Transfer-Encoding: base64\n\n{B64_NAME}\n\n\
             From b@example.com Thu Jan  1 00:00:00 2026\n\
             From: b@example.com\nSubject: =?UTF-8?B?5aSn5LuL?=\n\ntwo\n"
        );
        assert!(is_mime(&mbox, None));
        let text = extract_mail_text(&mbox, 1 << 20);
        assert!(text.contains("山口 大介"), "{text}");
        assert!(text.contains("Subject: 大介"), "{text}");
        assert!(!text.contains("From a@example.com Thu"), "{text}");
    }

    #[test]
    fn hostile_messages_are_bounded() {
        // Multiparts nested deeper than MAX_DEPTH, an unclosed boundary, a cut base64 body.
        let mut mail = String::from("From: a\nSubject: b\nMIME-Version: 1.0\n");
        for d in 0..50 {
            mail.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{d}\"\n\n--b{d}\n"
            ));
        }
        mail.push_str("Content-Transfer-Encoding: base64\n\n5bGx5");
        let text = extract_mail_text(&mail, 1 << 20);
        assert!(text.len() < mail.len() * 2);
    }
}
