//! Outlook's saved messages (`.msg`): their text and attachments. A message dragged out of
//! Outlook onto a file share is a `.msg`, and Japanese offices forward lists as attachments to
//! such mails; a byte-level scan skips the file as binary.
//!
//! A `.msg` is an OLE2 compound file ([`crate::cfb`]) holding the message's properties, each
//! in a stream named after its id and type (`__substg1.0_0037001F`: the subject, UTF-16), in
//! storages of their own for each recipient, attachment and attached message. Every string
//! property is read, a line each, in the directory's order (the subject, the body, the
//! sender's and recipients' names and addresses, the transport headers, attachments' names),
//! UTF-16 (`001F`) as it is and 8-bit (`001E`) decoded as any document is (its charset
//! detected). The HTML body (`1013`) is read, its visible text, only when there is no plain
//! body; an attachment's data (`3701`, binary) is handed back to be read as a file is, and
//! an attached message's properties are read with the message's. The compressed RTF body
//! (`1009`, [`crate::rtf::uncompressed`]) is read only when there is neither a plain nor an
//! HTML body: Outlook usually writes the plain body beside it, but a message saved in rich
//! text, or by other programs, may keep only the RTF.

use crate::cfb::Compound;
use crate::decode::decode;
use crate::html::{extract_text, is_html};

/// Whether the compound file `file` is an Outlook message.
pub(crate) fn is_message(file: &Compound<'_>) -> bool {
    file.has_stream("__properties_version1.0")
}

/// The property type of a UTF-16 string.
const UNICODE: u16 = 0x001F;
/// The property type of an 8-bit string, in the message's code page.
const STRING8: u16 = 0x001E;
/// The property type of binary data.
const BINARY: u16 = 0x0102;
/// The plain body.
const BODY: u16 = 0x1000;
/// The HTML body.
const BODY_HTML: u16 = 0x1013;
/// An attachment's data.
const ATTACH_DATA: u16 = 0x3701;
/// The body as compressed RTF.
const RTF_COMPRESSED: u16 = 0x1009;

/// What a message hands back to be read within the reader's budget.
pub(crate) enum Part<'a> {
    /// An attachment's data, to be read as a file.
    Attachment(&'a [u8]),
    /// The body, as compressed RTF ([`crate::rtf::uncompressed`]).
    CompressedRtf(&'a [u8]),
}

/// Appends the text of the message `file` to `out` (see the module documentation); each
/// attachment's data, and the compressed RTF body when it is the only body, is given to
/// `part` with `out`, to be read within the reader's budget.
pub(crate) fn read_message(
    file: &Compound<'_>,
    out: &mut String,
    part: &mut dyn FnMut(Part<'_>, &mut String),
) {
    let properties: Vec<(usize, u16, u16)> = file
        .stream_names()
        .filter_map(|(k, name)| {
            let hex = name.strip_prefix("__substg1.0_")?;
            let tag = u32::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.len() == 8)?;
            Some((k, (tag >> 16) as u16, tag as u16))
        })
        .collect();
    let plain = properties
        .iter()
        .any(|&(_, id, kind)| id == BODY && matches!(kind, UNICODE | STRING8));
    let html = properties.iter().any(|&(_, id, _)| id == BODY_HTML);
    // Streams may share their sectors (a corrupt or hostile directory can point a thousand
    // entries at one chain): no more is read than the file holds.
    let mut left = file.file_len() as u64;
    for (k, id, kind) in properties {
        let size = file.stream_size(k);
        if size > left {
            continue;
        }
        left -= size;
        match (id, kind) {
            (ATTACH_DATA, BINARY) => part(Part::Attachment(&file.stream_data(k)), out),
            (RTF_COMPRESSED, BINARY) if !plain && !html => {
                part(Part::CompressedRtf(&file.stream_data(k)), out);
                out.push('\n');
            }
            (BODY_HTML, UNICODE | STRING8 | BINARY) if !plain => {
                let html = string(&file.stream_data(k), kind);
                if is_html(&html, None) {
                    out.push_str(&extract_text(&html));
                } else {
                    out.push_str(&html);
                }
                out.push('\n');
            }
            // The HTML body beside a plain one says the same.
            (BODY_HTML, _) => {}
            (_, UNICODE | STRING8) => {
                out.push_str(string(&file.stream_data(k), kind).trim_end_matches('\0'));
                out.push('\n');
            }
            _ => {}
        }
    }
    out.push('\n');
}

/// A string property's value: UTF-16, or bytes decoded as a document's are.
pub(crate) fn string(data: &[u8], kind: u16) -> String {
    if kind == UNICODE {
        encoding_rs::UTF_16LE
            .decode_without_bom_handling(data)
            .0
            .into_owned()
    } else {
        match decode(data, None, usize::MAX) {
            Ok(d) => d.text.into_owned(),
            Err(_) => String::new(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use fingerprints::leaks::{CompoundNode as Node, compound_file as compound};

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// A message as Outlook saves one: `subject`, a plain body `body` (or, with `html`, only
    /// an HTML body), a recipient, and attachments (file name, data).
    pub(crate) fn message(
        subject: &str,
        body: &str,
        html: bool,
        attachments: &[(&str, &[u8])],
    ) -> Vec<u8> {
        let subject = utf16(subject);
        let body_bytes = if html {
            format!(
                "<html><head><style>p{{color:red}}</style></head><body><p>{body}</p></body></html>"
            )
            .into_bytes()
        } else {
            utf16(body)
        };
        let sender = encoding_rs::SHIFT_JIS.encode("総務課 田中").0.into_owned();
        let names: Vec<Vec<u8>> = attachments.iter().map(|(n, _)| utf16(n)).collect();
        let mut nodes = vec![
            Node::Stream("__properties_version1.0", &[0; 32]),
            Node::Stream("__substg1.0_0037001F", &subject),
            Node::Stream("__substg1.0_0C1A001E", &sender),
            if html {
                Node::Stream("__substg1.0_10130102", &body_bytes)
            } else {
                Node::Stream("__substg1.0_1000001F", &body_bytes)
            },
            Node::Storage(
                "__recip_version1.0_#00000000",
                vec![Node::Stream(
                    "__substg1.0_39FE001F",
                    b"s\0a\0t\0o\0@\0x\0.\0j\0p\0",
                )],
            ),
        ];
        for (k, (_, data)) in attachments.iter().enumerate() {
            nodes.push(Node::Storage(
                if k == 0 {
                    "__attach_version1.0_#00000000"
                } else {
                    "__attach_version1.0_#00000001"
                },
                vec![
                    Node::Stream("__substg1.0_3707001F", &names[k]),
                    Node::Stream("__substg1.0_37010102", data),
                ],
            ));
        }
        compound(&nodes)
    }

    fn text_of(file: &[u8]) -> String {
        let (text, _) = crate::archive::extract_archive_text(file, 1 << 20);
        text
    }

    /// A message whose body is compressed RTF (`rtf`, as `PR_RTF_COMPRESSED` holds it), with
    /// a plain body `plain` beside it or none.
    pub(crate) fn rtf_message(subject: &str, rtf: &[u8], plain: Option<&str>) -> Vec<u8> {
        let subject = utf16(subject);
        let plain = plain.map(utf16);
        let mut nodes = vec![
            Node::Stream("__properties_version1.0", &[0; 32]),
            Node::Stream("__substg1.0_0037001F", &subject),
            Node::Stream("__substg1.0_10090102", rtf),
        ];
        if let Some(plain) = &plain {
            nodes.push(Node::Stream("__substg1.0_1000001F", plain));
        }
        compound(&nodes)
    }

    #[test]
    fn a_compressed_rtf_body_is_read_when_it_is_the_only_body() {
        let rtf = include_bytes!("../tests/data/rtf/outlook-body.lzfu");
        let text = text_of(&rtf_message("名簿", rtf, None));
        assert!(
            text.starts_with("名簿\n\n総務課の皆様\n")
                && text.contains("\t山口 大介\t1968/9/18\t090-6682-8625\n"),
            "{text}"
        );
        // Beside a plain body it says the same, and is not read again.
        let text = text_of(&rtf_message("名簿", rtf, Some("本文")));
        assert_eq!(text, "名簿\n本文\n\n");
        // Within the reader's budget.
        let (text, exhausted) =
            crate::archive::extract_archive_text(&rtf_message("名簿", rtf, None), 40);
        assert!(exhausted && text.len() < 60, "{text}");
    }

    #[test]
    fn a_message_reads_as_its_properties_and_attachments() {
        let csv = encoding_rs::SHIFT_JIS
            .encode("氏名,生年月日\n山口 大介,1968/09/18\n")
            .0
            .into_owned();
        let doc = crate::doc::tests::word("添付の名簿\r");
        let file = message(
            "会員名簿の件",
            "お疲れ様です。\r\n名簿を送ります。",
            false,
            &[("名簿.csv", &csv), ("名簿.doc", &doc)],
        );
        assert_eq!(
            crate::archive::Office97::of(&file),
            Some(crate::archive::Office97::Message)
        );
        assert_eq!(
            text_of(&file),
            "会員名簿の件\n総務課 田中\nお疲れ様です。\r\n名簿を送ります。\nsato@x.jp\n名簿.csv\n\
             氏名,生年月日\n山口 大介,1968/09/18\n\n\n名簿.doc\n添付の名簿\n\n\n\n"
        );
        // A message attached as Outlook attaches one (a storage inside the attachment's):
        // its properties are read with the message's.
        let inner_subject = utf16("転送: 名簿");
        let file = compound(&[
            Node::Stream("__properties_version1.0", &[0; 32]),
            Node::Stream("__substg1.0_0037001F", &utf16("FW")),
            Node::Storage(
                "__attach_version1.0_#00000000",
                vec![Node::Storage(
                    "__substg1.0_3701000D",
                    vec![
                        Node::Stream("__properties_version1.0", &[0; 24]),
                        Node::Stream("__substg1.0_0037001F", &inner_subject),
                    ],
                )],
            ),
        ]);
        assert_eq!(text_of(&file), "FW\n転送: 名簿\n\n");
        // An HTML body alone: its visible text.
        let file = message("件名", "山口 大介", true, &[]);
        let text = text_of(&file);
        assert!(
            text.contains("山口 大介") && !text.contains("color"),
            "{text}"
        );
    }

    #[test]
    fn hostile_messages_are_bounded() {
        let file = message("件名", "本文", false, &[("a.csv", b"a,b\n")]);
        let whole = text_of(&file);
        for cut in 0..file.len() {
            assert!(text_of(&file[..cut]).len() <= whole.len(), "{cut}");
        }
        // A thousand properties over one chain of sectors: no more read than the file holds.
        let body = vec![b'a'; 20_000];
        let mut nodes = vec![
            Node::Stream("__properties_version1.0", &[0; 32]),
            Node::Stream("__substg1.0_1000001E", &body),
        ];
        nodes.extend((0..1000).map(|_| Node::Stream("__substg1.0_0037001E", b"x")));
        let mut shared = compound(&nodes);
        let dir = 512 * (1 + u32::from_le_bytes(shared[0x30..0x34].try_into().unwrap()) as usize);
        let start_and_size = shared[dir + 2 * 128 + 0x74..dir + 2 * 128 + 0x7C].to_vec();
        for k in 3..1003 {
            let at = dir + k * 128 + 0x74;
            shared[at..at + 8].copy_from_slice(&start_and_size);
        }
        let text = text_of(&shared);
        assert!(text.matches('a').count() >= 20_000, "{}", text.len());
        assert!(
            text.len() <= shared.len(),
            "{} > {}",
            text.len(),
            shared.len()
        );
        // A message attached to itself, over and over: four levels deep at most.
        let mut nested = file.clone();
        for _ in 0..10 {
            nested = message("件名", "本文", false, &[("fw.msg", &nested)]);
        }
        let text = text_of(&nested);
        assert!(text.matches("本文").count() <= 4, "{text}");
    }
}
