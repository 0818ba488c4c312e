//! Outlook's TNEF (`winmail.dat`, `application/ms-tnef`): the form Exchange and Outlook send a
//! rich-text message in to a mail program that is not Outlook. The message's body and its
//! attachments are all inside that one attachment, so a mailbox whose lists were mailed from
//! Outlook holds them only there.
//!
//! A TNEF stream is a signature and a list of attributes, each a level (the message, or the
//! attachment begun last), an id, a length, data and a checksum ([MS-OXTNEF]). Read are: the
//! subject and plain body (`attSubject`, `attBody`), an attachment's title and data
//! (`attAttachTitle`, `attAttachData`), and the MAPI properties of the message and its
//! attachments (`attMsgProps`, `attAttachment`): every string property a line, as in a `.msg`
//! ([`crate::msg`]), the HTML body only when there is no plain one, the compressed RTF body
//! (what Outlook's rich text is kept as) only when there is neither, and an attachment's data
//! or attached message when no `attAttachData` gave it. Attachments and the RTF body are
//! handed back ([`Part`]) to be read within the reader's budget. 8-bit strings are decoded in
//! the stream's code page (`attOemCodepage`, or the message's `PR_MESSAGE_CODEPAGE`; detected
//! when neither is given). The checksums are not checked: a damaged attribute still gives
//! what it holds.

use crate::html::{extract_text, is_html};
use crate::msg::{Part, string};
use crate::rtf::code_page_encoding;

/// The stream's first four bytes.
const SIGNATURE: [u8; 4] = [0x78, 0x9F, 0x3E, 0x22];

/// An attribute of the message.
const MESSAGE: u8 = 1;
/// An attribute of the attachment begun last.
const ATTACHMENT: u8 = 2;

/// `attSubject`: the subject, an 8-bit string.
const ATT_SUBJECT: u16 = 0x8004;
/// `attBody`: the plain body, an 8-bit string.
const ATT_BODY: u16 = 0x800C;
/// `attMsgProps`: the message's MAPI properties.
const ATT_MSG_PROPS: u16 = 0x9003;
/// `attOemCodepage`: the code page of the 8-bit strings.
const ATT_OEM_CODEPAGE: u16 = 0x9007;
/// `attAttachRendData`: begins an attachment.
const ATT_ATTACH_REND_DATA: u16 = 0x9002;
/// `attAttachTitle`: an attachment's file name.
const ATT_ATTACH_TITLE: u16 = 0x8010;
/// `attAttachData`: an attachment's data.
const ATT_ATTACH_DATA: u16 = 0x800F;
/// `attAttachment`: an attachment's MAPI properties.
const ATT_ATTACHMENT: u16 = 0x9005;

/// MAPI property types.
const PT_STRING8: u16 = 0x001E;
const PT_UNICODE: u16 = 0x001F;
const PT_BINARY: u16 = 0x0102;
const PT_OBJECT: u16 = 0x000D;
const PT_LONG: u16 = 0x0003;
const MULTIPLE: u16 = 0x1000;

/// MAPI property ids.
const PR_BODY: u16 = 0x1000;
const PR_RTF_COMPRESSED: u16 = 0x1009;
const PR_BODY_HTML: u16 = 0x1013;
const PR_ATTACH_DATA: u16 = 0x3701;
const PR_MESSAGE_CODEPAGE: u16 = 0x3FFD;

/// How many TNEF streams deep an attached message is read.
const MAX_DEPTH: usize = 4;

/// Whether `bytes` is a TNEF stream.
pub(crate) fn is_tnef(bytes: &[u8]) -> bool {
    bytes.starts_with(&SIGNATURE)
}

/// Appends the text of the TNEF stream `bytes` to `out` (see the module documentation); each
/// attachment's data, and the compressed RTF body when it is the only body, is given to
/// `part` with `out`.
pub(crate) fn read_tnef(
    bytes: &[u8],
    out: &mut String,
    part: &mut dyn FnMut(Part<'_>, &mut String),
) {
    read_stream(bytes, 0, out, part);
}

fn read_stream(
    bytes: &[u8],
    depth: usize,
    out: &mut String,
    part: &mut dyn FnMut(Part<'_>, &mut String),
) {
    let attributes = attributes(bytes);
    // Which bodies there are, to read only one of them.
    let plain = attributes.iter().any(|a| {
        (a.level, a.id) == (MESSAGE, ATT_BODY)
            || (a.level, a.id) == (MESSAGE, ATT_MSG_PROPS)
                && props(a)
                    .iter()
                    .any(|p| p.id == PR_BODY && matches!(p.kind, PT_STRING8 | PT_UNICODE))
    });
    let html = attributes.iter().any(|a| {
        (a.level, a.id) == (MESSAGE, ATT_MSG_PROPS) && props(a).iter().any(|p| p.id == PR_BODY_HTML)
    });
    // The code page of the 8-bit strings (`attOemCodepage`, or the message's
    // `PR_MESSAGE_CODEPAGE`): short ones are too short to tell it by.
    let code_page = attributes
        .iter()
        .filter(|a| a.level == MESSAGE)
        .find_map(|a| match a.id {
            ATT_OEM_CODEPAGE => a.data.get(..4),
            ATT_MSG_PROPS => props(a)
                .into_iter()
                .find(|p| p.id == PR_MESSAGE_CODEPAGE && p.kind == PT_LONG)
                .map(|p| p.value),
            _ => None,
        })
        .and_then(|v| code_page_encoding(i32::from_le_bytes(v.try_into().ok()?)));
    // An 8-bit string ends at its NUL (which would make it binary to the decoder).
    let string8 = |data: &[u8]| {
        let data = data.split(|&b| b == 0).next().unwrap_or_default();
        match code_page {
            Some(e) => e.decode_without_bom_handling(data).0.into_owned(),
            None => string(data, PT_STRING8),
        }
    };
    let att_body = attributes
        .iter()
        .any(|a| (a.level, a.id) == (MESSAGE, ATT_BODY));
    let mut attachment_data = false;
    for a in &attributes {
        match (a.level, a.id) {
            (MESSAGE, ATT_SUBJECT | ATT_BODY) | (ATTACHMENT, ATT_ATTACH_TITLE) => {
                line(&string8(a.data), out);
            }
            (ATTACHMENT, ATT_ATTACH_REND_DATA) => attachment_data = false,
            (ATTACHMENT, ATT_ATTACH_DATA) => {
                attachment_data = true;
                part(Part::Attachment(a.data), out);
            }
            (MESSAGE, ATT_MSG_PROPS) => {
                for p in props(a) {
                    match (p.id, p.kind) {
                        // `attBody` said it already.
                        (PR_BODY, _) if att_body => {}
                        (PR_BODY_HTML, PT_STRING8 | PT_UNICODE | PT_BINARY) if !plain => {
                            let text = string(p.value, p.kind);
                            if is_html(&text, None) {
                                out.push_str(&extract_text(&text));
                            } else {
                                out.push_str(&text);
                            }
                            out.push('\n');
                        }
                        (PR_RTF_COMPRESSED, PT_BINARY) if !plain && !html => {
                            part(Part::CompressedRtf(p.value), out);
                            out.push('\n');
                        }
                        (_, PT_STRING8) => line(&string8(p.value), out),
                        (_, PT_UNICODE) => line(&string(p.value, p.kind), out),
                        _ => {}
                    }
                }
            }
            (ATTACHMENT, ATT_ATTACHMENT) => {
                for p in props(a) {
                    match (p.id, p.kind) {
                        (PR_ATTACH_DATA, PT_BINARY) if !attachment_data => {
                            part(Part::Attachment(p.value), out);
                        }
                        // An attached message: a TNEF stream after the interface's id.
                        (PR_ATTACH_DATA, PT_OBJECT) if depth + 1 < MAX_DEPTH => {
                            if let Some(inner) = p.value.get(16..).filter(|s| is_tnef(s)) {
                                read_stream(inner, depth + 1, out, part);
                            }
                        }
                        (_, PT_STRING8) => line(&string8(p.value), out),
                        (_, PT_UNICODE) => line(&string(p.value, p.kind), out),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    out.push('\n');
}

/// Appends `s`, without its NULs at the end, as a line.
fn line(s: &str, out: &mut String) {
    let s = s.trim_end_matches('\0');
    if !s.is_empty() {
        out.push_str(s);
        out.push('\n');
    }
}

/// One attribute of a TNEF stream.
struct Attribute<'a> {
    level: u8,
    id: u16,
    data: &'a [u8],
}

/// The attributes of a TNEF stream, up to where it ends or is cut (a cut attribute gives what
/// it holds).
fn attributes(bytes: &[u8]) -> Vec<Attribute<'_>> {
    let mut out = Vec::new();
    // The signature and the legacy key.
    let mut at = 6;
    while let Some(head) = bytes.get(at..at + 9) {
        let level = head[0];
        let id = u16::from_le_bytes([head[1], head[2]]);
        let len = u32::from_le_bytes([head[5], head[6], head[7], head[8]]) as usize;
        let start = at + 9;
        let end = start.saturating_add(len).min(bytes.len());
        out.push(Attribute {
            level,
            id,
            data: &bytes[start..end],
        });
        // Data and a 2-byte checksum.
        at = end.saturating_add(2);
    }
    out
}

/// The MAPI properties an attribute holds (see [`properties`]).
fn props<'a>(a: &Attribute<'a>) -> Vec<Property<'a>> {
    properties(a.data)
}

/// One value of a MAPI property.
struct Property<'a> {
    id: u16,
    kind: u16,
    value: &'a [u8],
}

/// The values of a MAPI property list (`attMsgProps`, `attAttachment`): a count, then each
/// property's type and id (a named one's GUID and name or number after them) and its value or
/// values, each padded to four bytes. Stops at a type it does not know or where the list is
/// cut.
fn properties(data: &[u8]) -> Vec<Property<'_>> {
    let mut r = Cursor { data, at: 0 };
    let mut out = Vec::new();
    let Some(count) = r.u32() else {
        return out;
    };
    for _ in 0..count {
        let (Some(kind), Some(id)) = (r.u16(), r.u16()) else {
            break;
        };
        if id >= 0x8000 {
            // A named property: its set's GUID, and a number or a name.
            if r.take(16).is_none() {
                break;
            }
            match r.u32() {
                Some(0) => {
                    if r.u32().is_none() {
                        break;
                    }
                }
                Some(_) => {
                    if r.sized().is_none() {
                        break;
                    }
                }
                None => break,
            }
        }
        let base = kind & !MULTIPLE;
        let variable = matches!(base, PT_STRING8 | PT_UNICODE | PT_BINARY | PT_OBJECT);
        let values = if variable || kind & MULTIPLE != 0 {
            match r.u32() {
                Some(n) => n,
                None => break,
            }
        } else {
            1
        };
        for _ in 0..values {
            let value = if variable {
                r.sized()
            } else {
                let Some(size) = fixed_size(base) else {
                    return out;
                };
                r.take(size)
            };
            let Some(value) = value else {
                return out;
            };
            out.push(Property {
                id,
                kind: base,
                value,
            });
        }
    }
    out
}

/// The bytes a value of a fixed-size MAPI type takes in a property list (padded to four).
fn fixed_size(kind: u16) -> Option<usize> {
    Some(match kind {
        0x0001 | 0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B => 4,
        0x0005 | 0x0006 | 0x0007 | 0x0014 | 0x0040 => 8,
        0x0048 => 16,
        _ => return None,
    })
}

struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    /// A length, that many bytes, and the padding to four.
    fn sized(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        let s = self.take(n)?;
        // The padding, when the list is not cut there.
        let _ = self.take((4 - n % 4) % 4);
        Some(s)
    }
}

#[cfg(test)]
mod tests;
