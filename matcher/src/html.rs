//! Visible text of an HTML page, with table rows and cells kept apart.
//!
//! Text is concatenated with its whitespace collapsed; block elements start a new line, every
//! table row is one line and its cells are separated by tabs, so a leaked register row in a
//! "market listing" stays one unit for the proximity window. `script`, `style`, `template`,
//! `noscript`, `iframe` and `svg` content is skipped; `title` is kept, and so is the value of a
//! form's field that shows it (`<input value="…">`, not `hidden` or `password`), ended like a
//! cell. Ruby annotations (`rt`,
//! and the `rp` parentheses around them) are skipped too: a name with its reading above each
//! part, `<ruby>山口<rt>やまぐち</rt></ruby><ruby>大介<rt>だいすけ</rt></ruby>`, reads `山口大介`.
//! Character references are decoded with the HTML standard's table of named references
//! (`markup5ever`'s copy) and its rules for numeric ones.
//!
//! The extractor is one linear pass over the page, following the HTML tokenizer's states for
//! what is a tag, a comment, raw text (`script`, `style`) or escapable raw text (`title`,
//! `textarea`). It builds no tree: a tree builder (`scraper` / html5ever) took 60% of the scan
//! time of an HTML page and needs time proportional to elements times nesting depth, so hostile
//! markup (100,000 nested `<div>`s) is linear here too. Without a tree, a tree builder's
//! repairs of broken markup are not made: text a builder would move out of a table ("foster
//! parenting") stays where it is in the page, and an end tag with no element open (a stray
//! `</li>`) still ends a line. The tests compare the two on well-formed pages
//! and on the leak forms of the evaluation (README, "HTML extraction").

/// True when `text` looks like an HTML document (or `content_type` says it is one).
pub(crate) fn is_html(text: &str, content_type: Option<&str>) -> bool {
    if let Some(ct) = content_type {
        let ct = ct.to_ascii_lowercase();
        if ct.contains("html") {
            return true;
        }
        if ct.starts_with("text/plain") || ct.contains("json") || ct.contains("csv") {
            return false;
        }
    }
    // The first 1,024 characters, lower-cased in a copy on the stack (at most 4 bytes each).
    let t = text.trim_start_matches('\u{FEFF}').trim_start();
    // Every sign looked for starts with `<`: text without one in its first 4,096 bytes (a
    // mail's plain-text part, a CSV) is no HTML, and its characters need not be counted.
    if memchr::memchr(b'<', &t.as_bytes()[..t.len().min(4096)]).is_none() {
        return false;
    }
    let end = t.char_indices().nth(1024).map_or(t.len(), |(i, _)| i);
    let mut buf = [0u8; 4096];
    let head = &mut buf[..end];
    head.copy_from_slice(&t.as_bytes()[..end]);
    head.make_ascii_lowercase();
    let has = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    head.starts_with(b"<!doctype html")
        || has(b"<html")
        || (head.starts_with(b"<") && (has(b"<body") || has(b"<table")))
}

/// Elements whose start or end begins a new line.
fn is_block(name: &[u8]) -> bool {
    matches!(
        name,
        b"p" | b"div"
            | b"br"
            | b"li"
            | b"ul"
            | b"ol"
            | b"tr"
            | b"table"
            | b"thead"
            | b"tbody"
            | b"tfoot"
            | b"caption"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"section"
            | b"article"
            | b"header"
            | b"footer"
            | b"nav"
            | b"main"
            | b"aside"
            | b"pre"
            | b"blockquote"
            | b"dl"
            | b"dt"
            | b"dd"
            | b"form"
            | b"fieldset"
            | b"address"
            | b"hr"
            | b"title"
            | b"figure"
            | b"figcaption"
            | b"option"
            | b"textarea"
    )
}

/// How the content of an element is read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Content {
    /// Markup.
    Normal,
    /// Raw text up to the element's end tag; `true` when it is shown (`xmp`, `noembed`).
    Raw(bool),
    /// Text with character references up to the end tag, shown (`title`, `textarea`).
    Escapable,
    /// Everything to the end of the page is text (`plaintext`).
    Plain,
}

fn content_of(name: &[u8]) -> Content {
    match name {
        b"script" | b"style" | b"iframe" | b"noscript" => Content::Raw(false),
        b"xmp" | b"noembed" | b"noframes" => Content::Raw(true),
        b"title" | b"textarea" => Content::Escapable,
        b"plaintext" => Content::Plain,
        _ => Content::Normal,
    }
}

/// Deepest nesting of skipped elements (`template`, `svg`) and of tables that is counted;
/// deeper ones count as this deep, so a page cannot grow the state without bound.
const MAX_SKIP_DEPTH: usize = 1 << 20;

/// Extracts the visible text of an HTML document in one pass.
pub(crate) fn extract_text(html: &str) -> String {
    let mut x = Extractor {
        out: String::with_capacity(html.len() / 2),
        skip: 0,
        pre: 0,
        strip_newline: false,
        cell_open: false,
        outer_cells: Vec::new(),
        annotation: false,
    };
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let lt = memchr::memchr(b'<', &b[i..]).map_or(b.len(), |p| i + p);
        x.text(&html[i..lt], true);
        if lt == b.len() {
            break;
        }
        i = lt;
        match b.get(i + 1) {
            Some(c) if c.is_ascii_alphabetic() => {
                let Some(tag) = read_tag(b, i + 1) else {
                    break; // a tag cut by the end of the page is dropped
                };
                i = tag.end;
                x.start_tag(&tag.name, tag.self_closing);
                if let Some((from, to)) = tag.value {
                    x.input_value(&html[from..to]);
                }
                match content_of(&tag.name) {
                    Content::Normal => {}
                    Content::Plain => {
                        x.text(&html[i..], false);
                        break;
                    }
                    kind => {
                        let end = raw_text_end(b, i, &tag.name);
                        let shown = x.skip == 0 && kind != Content::Raw(false);
                        if shown {
                            x.text(&html[i..end], kind == Content::Escapable);
                        }
                        i = end;
                    }
                }
            }
            Some(b'/') => match b.get(i + 2) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let Some(tag) = read_tag(b, i + 2) else {
                        break;
                    };
                    i = tag.end;
                    x.end_tag(&tag.name);
                }
                Some(b'>') => i += 3,
                None => {
                    x.text("</", false);
                    i += 2;
                }
                Some(_) => i = bogus_comment_end(b, i + 2),
            },
            Some(b'!') if b[i..].starts_with(b"<!--") => i = comment_end(b, i + 4),
            Some(b'!' | b'?') => i = bogus_comment_end(b, i + 2),
            _ => {
                x.text("<", false);
                i += 1;
            }
        }
    }
    x.out
}

/// Output state of [`extract_text`].
struct Extractor {
    out: String,
    /// Depth of skipped elements (`template`, `svg`) around the current position.
    skip: usize,
    /// Depth of `pre` and `textarea` elements: whitespace kept.
    pre: usize,
    /// A newline right after `<pre>` or `<textarea>` is not content.
    strip_newline: bool,
    /// A table cell is open (its end, written or implied by the next cell, is a tab).
    cell_open: bool,
    /// `cell_open` of the tables around the current one (a table in a cell).
    outer_cells: Vec<bool>,
    /// Inside an `rt` or `rp` element (a ruby annotation; its end tag may be left out before
    /// the next `rt` or `rp`; `</ruby>` and blocks end it).
    annotation: bool,
}

impl Extractor {
    fn start_tag(&mut self, name: &[u8], self_closing: bool) {
        self.strip_newline = false;
        match name {
            b"template" => self.skip = (self.skip + 1).min(MAX_SKIP_DEPTH),
            // In foreign content `<svg/>` is an empty element; elsewhere `/>` means nothing.
            b"svg" if !self_closing => self.skip = (self.skip + 1).min(MAX_SKIP_DEPTH),
            _ => {}
        }
        if self.skip > 0 {
            return;
        }
        if matches!(name, b"rt" | b"rp") {
            self.annotation = true;
        } else if self.annotation && (is_block(name) || matches!(name, b"td" | b"th")) {
            self.annotation = false;
        }
        if matches!(name, b"pre" | b"textarea" | b"listing") {
            self.pre += 1;
            self.strip_newline = true;
        }
        if matches!(name, b"td" | b"th") {
            // An open cell is closed by the next one.
            self.end_cell();
            self.cell_open = true;
        } else if is_block(name) {
            if name == b"table" && self.outer_cells.len() < MAX_SKIP_DEPTH {
                self.outer_cells.push(self.cell_open);
            }
            self.cell_open &= !matches!(name, b"tr" | b"table");
            newline(&mut self.out);
        }
    }

    fn end_tag(&mut self, name: &[u8]) {
        self.strip_newline = false;
        if matches!(name, b"template" | b"svg") {
            self.skip = self.skip.saturating_sub(1);
            return;
        }
        if self.skip > 0 {
            return;
        }
        if self.annotation
            && (matches!(name, b"rt" | b"rp" | b"ruby" | b"td" | b"th") || is_block(name))
        {
            self.annotation = false;
        }
        if matches!(name, b"pre" | b"textarea" | b"listing") {
            self.pre = self.pre.saturating_sub(1);
        }
        if matches!(name, b"td" | b"th") {
            self.end_cell();
        } else if is_block(name) {
            self.cell_open = match name {
                b"table" => self.outer_cells.pop().unwrap_or(false),
                b"tr" => false,
                _ => self.cell_open,
            };
            newline(&mut self.out);
        }
    }

    /// The value of a form's field, shown in its box (`<input value="山口 大介">`): text with
    /// references, ended like a table cell, so the fields of a form filled in stay apart (an
    /// edit page of a leaked admin panel).
    fn input_value(&mut self, value: &str) {
        if self.skip > 0 || self.annotation || value.trim().is_empty() {
            return;
        }
        let pre = std::mem::take(&mut self.pre);
        self.text(value, true);
        self.pre = pre;
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\t');
    }

    /// Closes the open cell, if any: a tab after its text.
    fn end_cell(&mut self) {
        if !std::mem::take(&mut self.cell_open) {
            return;
        }
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\t');
    }

    /// Appends text, decoding character references when `refs`.
    fn text(&mut self, s: &str, refs: bool) {
        if self.skip > 0 || self.annotation || s.is_empty() {
            return;
        }
        let mut s = s;
        if std::mem::take(&mut self.strip_newline) {
            s = s
                .strip_prefix("\r\n")
                .or_else(|| s.strip_prefix(['\n', '\r']))
                .unwrap_or(s);
        }
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let amp = if refs {
                memchr::memchr(b'&', &b[i..]).map_or(b.len(), |p| i + p)
            } else {
                b.len()
            };
            self.plain(&s[i..amp]);
            if amp == b.len() {
                break;
            }
            let (decoded, used) = char_ref(&s[amp + 1..]);
            match decoded {
                Some((c1, c2)) => {
                    let mut buf = [0u8; 8];
                    let n1 = c1.encode_utf8(&mut buf).len();
                    let n2 = c2.map_or(0, |c| c.encode_utf8(&mut buf[n1..]).len());
                    // Two characters encoded into one buffer: valid UTF-8.
                    self.plain(std::str::from_utf8(&buf[..n1 + n2]).unwrap_or_default());
                }
                None => self.plain("&"),
            }
            i = amp + 1 + used;
        }
    }

    /// Appends text without references: whitespace collapsed, or kept inside `pre`.
    fn plain(&mut self, s: &str) {
        if self.pre > 0 {
            // The tokenizer's newline normalization: CR LF and lone CR are LF.
            if s.contains('\r') {
                self.out
                    .push_str(&s.replace("\r\n", "\n").replace('\r', "\n"));
            } else {
                self.out.push_str(s);
            }
            return;
        }
        push_collapsed(&mut self.out, s);
    }
}

/// A tag read from the page: lower-case name, whether it ends with `/>`, and where it ends;
/// for an `input` whose value is shown as text, where its `value` attribute's text is.
struct Tag {
    name: Vec<u8>,
    self_closing: bool,
    end: usize,
    value: Option<(usize, usize)>,
}

/// Types of `input` whose value the page does not show as text (or not at all).
fn value_hidden(input_type: &[u8]) -> bool {
    [
        &b"hidden"[..],
        b"password",
        b"checkbox",
        b"radio",
        b"file",
        b"image",
    ]
    .iter()
    .any(|t| input_type.eq_ignore_ascii_case(t))
}

/// Reads the tag whose name starts at `b[i]`, through its attributes (quoted values may hold
/// `>`) to the closing `>`; `None` when the page ends first.
fn read_tag(b: &[u8], mut i: usize) -> Option<Tag> {
    let ws = |c: u8| matches!(c, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ');
    let start = i;
    while i < b.len() && !ws(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name: Vec<u8> = b[start..i].iter().map(u8::to_ascii_lowercase).collect();
    // An `input`'s `value` and `type` (the first of each, as the tokenizer keeps).
    let input = name == b"input";
    let mut value: Option<(usize, usize)> = None;
    let mut input_type: Option<(usize, usize)> = None;
    // Attributes: names, `=`, values unquoted or in ' or " quotes.
    let mut self_closing = false;
    loop {
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        match b.get(i)? {
            b'>' => {
                let shown = input_type.is_none_or(|(s, e)| !value_hidden(&b[s..e]));
                return Some(Tag {
                    name,
                    self_closing,
                    end: i + 1,
                    value: value.filter(|_| shown),
                });
            }
            b'/' => {
                i += 1;
                self_closing = b.get(i) == Some(&b'>');
                continue;
            }
            _ => {}
        }
        self_closing = false;
        // An attribute name (its first character may be `=`).
        let attribute = i;
        i += 1;
        while i < b.len() && !ws(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let slot = match &b[attribute..i] {
            n if input && n.eq_ignore_ascii_case(b"value") && value.is_none() => Some(&mut value),
            n if input && n.eq_ignore_ascii_case(b"type") && input_type.is_none() => {
                Some(&mut input_type)
            }
            _ => None,
        };
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        let range = match b.get(i)? {
            &q @ (b'"' | b'\'') => {
                i += 1;
                let from = i;
                i += memchr::memchr(q, &b[i..])? + 1;
                (from, i - 1)
            }
            _ => {
                let from = i;
                while i < b.len() && !ws(b[i]) && b[i] != b'>' {
                    i += 1;
                }
                (from, i)
            }
        };
        if let Some(slot) = slot {
            *slot = Some(range);
        }
    }
}

/// Where the raw text starting at `i` ends: at `</name` followed by whitespace, `/` or `>`
/// (any case), or at the end of the page.
fn raw_text_end(b: &[u8], mut i: usize, name: &[u8]) -> usize {
    while let Some(p) = memchr::memmem::find(&b[i..], b"</") {
        let at = i + p;
        let after = at + 2 + name.len();
        if b.len() >= after
            && b[at + 2..after].eq_ignore_ascii_case(name)
            && b.get(after)
                .is_none_or(|&c| matches!(c, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'>'))
        {
            return at;
        }
        i = at + 2;
    }
    b.len()
}

/// The end of a comment whose text starts at `i` (after `<!--`).
fn comment_end(b: &[u8], i: usize) -> usize {
    // `<!-->` and `<!--->` are empty comments.
    for short in [&b">"[..], b"->"] {
        if b[i..].starts_with(short) {
            return i + short.len();
        }
    }
    let mut k = i;
    while let Some(p) = memchr::memmem::find(&b[k..], b"--") {
        let at = k + p + 2;
        if b.get(at) == Some(&b'>') {
            return at + 1;
        }
        if b[at..].starts_with(b"!>") {
            return at + 2;
        }
        k = k + p + 1;
    }
    b.len()
}

/// The end of a bogus comment (`<!DOCTYPE …>`, `<?…>`, `</ …>`): the next `>`.
fn bogus_comment_end(b: &[u8], i: usize) -> usize {
    memchr::memchr(b'>', &b[i..]).map_or(b.len(), |p| i + p + 1)
}

/// Decodes the character reference after an `&` at the start of `s`: the character(s) and the
/// bytes used, or `None` (the `&` is literal text).
fn char_ref(s: &str) -> (Option<(char, Option<char>)>, usize) {
    let b = s.as_bytes();
    if b.first() == Some(&b'#') {
        let hex = matches!(b.get(1), Some(b'x' | b'X'));
        let digits_from = if hex { 2 } else { 1 };
        let radix = if hex { 16 } else { 10 };
        let mut k = digits_from;
        let mut value: u32 = 0;
        while let Some(d) = b.get(k).and_then(|&c| char::from(c).to_digit(radix)) {
            value = value.saturating_mul(radix).saturating_add(d);
            k += 1;
        }
        if k == digits_from {
            return (None, 0);
        }
        if b.get(k) == Some(&b';') {
            k += 1;
        }
        return (Some((numeric_char(value), None)), k);
    }
    // The longest name in the table, with or without its `;` (the table lists the names that
    // may go without one, and every prefix of a name with (0, 0)).
    let table = &markup5ever::data::NAMED_ENTITIES;
    let mut best = None;
    let mut k = 0;
    while k < b.len() && k < 40 && (b[k].is_ascii_alphanumeric() || b[k] == b';') {
        k += 1;
        match table.get(&s[..k]) {
            None => break,
            Some(&(0, _)) => {}
            Some(&(c1, c2)) => best = Some((c1, c2, k)),
        }
        if b[k - 1] == b';' {
            break;
        }
    }
    match best {
        Some((c1, c2, used)) => {
            let c1 = char::from_u32(c1).unwrap_or('\u{FFFD}');
            let c2 = (c2 != 0).then(|| char::from_u32(c2).unwrap_or('\u{FFFD}'));
            (Some((c1, c2)), used)
        }
        None => (None, 0),
    }
}

/// A numeric character reference's character, by the standard's rules: 0, surrogates and
/// values past U+10FFFF are U+FFFD; 0x80–0x9F are read as windows-1252.
fn numeric_char(value: u32) -> char {
    match value {
        0x80..=0x9F => markup5ever::data::C1_REPLACEMENTS[(value - 0x80) as usize]
            .unwrap_or_else(|| char::from_u32(value).unwrap_or('\u{FFFD}')),
        0 => '\u{FFFD}',
        v => char::from_u32(v).unwrap_or('\u{FFFD}'),
    }
}

fn newline(out: &mut String) {
    while out.ends_with(' ') || out.ends_with('\t') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Appends `t` with every run of whitespace (other than the ideographic space) made one space,
/// none at the start of a line or cell. Runs of other characters are copied whole.
fn push_collapsed(out: &mut String, t: &str) {
    let b = t.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        // Only these bytes can start a whitespace character: ASCII whitespace, and the lead
        // bytes of U+0085/U+00A0 (C2), U+1680 (E1), U+2000–U+205F (E2).
        let maybe_space = matches!(
            c,
            b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b' ' | 0x1C..=0x1F | 0xC2 | 0xE1 | 0xE2
        );
        if !maybe_space {
            i += 1;
            continue;
        }
        let ch = t[i..].chars().next().unwrap_or_default();
        let len = ch.len_utf8();
        if ch.is_whitespace() && ch != '\u{3000}' {
            out.push_str(&t[run..i]);
            if !(out.is_empty() || out.ends_with([' ', '\n', '\t'])) {
                out.push(' ');
            }
            run = i + len;
        }
        i += len;
    }
    out.push_str(&t[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text the HTML tree builder (`scraper` / html5ever) gives with the same rules: the
    /// extractor this module replaced, kept as the reference the linear pass is compared with.
    fn tree_text(html: &str) -> String {
        use ego_tree::iter::Edge;
        use scraper::{Html, Node};
        let skipped = |n: &str| {
            matches!(
                n,
                "script"
                    | "style"
                    | "template"
                    | "noscript"
                    | "head"
                    | "iframe"
                    | "svg"
                    | "rt"
                    | "rp"
            )
        };
        let doc = Html::parse_document(html);
        let mut out = String::new();
        let (mut skip, mut title, mut pre) = (0usize, 0usize, 0usize);
        for edge in doc.tree.root().traverse() {
            match edge {
                Edge::Open(node) => match node.value() {
                    Node::Element(e) => {
                        let name = e.name();
                        title += usize::from(name == "title");
                        pre += usize::from(matches!(name, "pre" | "textarea" | "listing"));
                        if skipped(name) {
                            skip += 1;
                        } else if skip == 0 && is_block(name.as_bytes()) {
                            newline(&mut out);
                        }
                        if name == "input"
                            && skip == 0
                            && !e.attr("type").is_some_and(|t| value_hidden(t.as_bytes()))
                            && let Some(v) = e.attr("value").filter(|v| !v.trim().is_empty())
                        {
                            push_collapsed(&mut out, v);
                            while out.ends_with(' ') {
                                out.pop();
                            }
                            out.push('\t');
                        }
                    }
                    Node::Text(t) if skip == 0 || title > 0 => {
                        if pre > 0 {
                            out.push_str(t);
                        } else {
                            push_collapsed(&mut out, t);
                        }
                    }
                    _ => {}
                },
                Edge::Close(node) => {
                    if let Node::Element(e) = node.value() {
                        let name = e.name();
                        if name == "title" {
                            title -= 1;
                            newline(&mut out);
                        }
                        pre -= usize::from(matches!(name, "pre" | "textarea" | "listing"));
                        if skipped(name) {
                            skip -= 1;
                        } else if skip == 0 {
                            if matches!(name, "td" | "th") {
                                while out.ends_with(' ') {
                                    out.pop();
                                }
                                out.push('\t');
                            } else if is_block(name.as_bytes()) {
                                newline(&mut out);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Lines without trailing whitespace (where a tree builder and the linear pass may leave a
    /// tab or space before the end of the text).
    fn lines(s: &str) -> Vec<&str> {
        s.lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Regression (fuzz target `scan`): an unclosed tag followed by a multi-byte character.
    #[test]
    fn an_unclosed_tag_before_a_multibyte_char_does_not_panic() {
        for html in [
            "<\u{fffd}",
            "a<b\u{3042}",
            "<div>x</div><\u{1f600}",
            "<",
            "</",
            "<!--",
            "&",
        ] {
            let _ = extract_text(html);
        }
        assert_eq!(extract_text("ok<b\u{3042}"), "ok");
    }

    #[test]
    fn rows_and_cells_stay_apart() {
        let html = r#"<!DOCTYPE html><html><head><title>Market &amp; more</title>
            <style>td { color: red }</style><script>var secret = "x";</script></head>
            <body><h1>Fresh  dump</h1>
            <table>
              <tr><th>name</th><th>born</th></tr>
              <tr>
                <td>山田&nbsp;太郎</td>
                <td>1975-03-02</td>
              </tr>
              <tr><td>佐藤 花子</td><td>1980-01-01</td></tr>
            </table><p>bye<br>now</p></body></html>"#;
        let text = extract_text(html);
        let want = [
            "Market & more",
            "Fresh dump",
            "name\tborn",
            "山田 太郎\t1975-03-02",
            "佐藤 花子\t1980-01-01",
            "bye",
            "now",
        ];
        assert_eq!(lines(&text), want);
        assert_eq!(lines(&tree_text(html)), want);
        assert!(!text.contains("secret"));
        assert!(!text.contains("color"));
    }

    #[test]
    fn deep_nesting_is_linear() {
        let depth = 100_000;
        let html = format!(
            "<table><tr><td>a&amp;b</td><td>c</td></tr></table>{}x<script>no</script>{}<svg>{}</svg>y",
            "<div>".repeat(depth),
            "</div>".repeat(depth),
            "<g>".repeat(depth)
        );
        let t = std::time::Instant::now();
        let text = extract_text(&html);
        assert_eq!(lines(&text), ["a&b\tc", "x", "y"]);
        // Linear: far below the minutes a tree builder needs (no timing goal, a sanity bound).
        assert!(t.elapsed().as_secs() < 10);
    }

    #[test]
    fn tokenizer_states() {
        let cases = [
            // `<` not followed by a letter is text.
            ("a < b, 1<2 <3 <山田>", "a < b, 1<2 <3 <山田>"),
            // Quoted attribute values may hold `>`.
            (r#"<a title="x>y" href='/>'>link</a> after"#, "link after"),
            ("<p class=a>x</p>", "x"),
            // Comments, including the odd forms, and bogus comments.
            (
                "a<!-- <b>no</b> -->b<!-->c<!--->d<!-- x --!>e<?php no ?>f",
                "abcdef",
            ),
            ("<!DOCTYPE html>t</ x>u</>v", "tuv"),
            // Raw text ends only at its own end tag.
            (
                "<script>if (a</b) {}</script >after<style>x</styles></style>z",
                "afterz",
            ),
            // Escapable raw text: references decoded, tags not read.
            ("<textarea>\n<b>&lt;x&gt;</b></textarea>", "<b><x></b>"),
            ("<xmp><b>&amp;</b></xmp>", "<b>&amp;</b>"),
            // `pre` keeps whitespace; its first newline is not content.
            ("<pre>\n a\r\n  b</pre>", " a\n  b"),
            // Skipped subtrees nest.
            ("<template><template>x</template>y</template>z<svg/>w", "zw"),
            ("<plaintext><b>&amp;", "<b>&amp;"),
            // An unclosed tag at the end is dropped.
            ("text<a href=\"x", "text"),
        ];
        for (html, want) in cases {
            assert_eq!(extract_text(html).trim_end(), want, "{html:?}");
        }
    }

    #[test]
    fn character_references() {
        let cases = [
            ("a &amp; b", "a & b"),
            ("&#x5C71;&#30000;", "山田"),
            ("&bogus; &", "&bogus; &"),
            ("&lt;p&gt;", "<p>"),
            // Legacy names without `;`, the longest match, two-character references.
            ("&copy 2024 &notit; &ampx", "© 2024 ¬it; &x"),
            ("&NotEqualTilde;", "\u{2242}\u{338}"),
            // Numeric edge cases: C1 as windows-1252, 0 and surrogates replaced, no digits.
            (
                "&#x80;&#0;&#xD800;&#x110000;&#;&#x;",
                "€\u{FFFD}\u{FFFD}\u{FFFD}&#;&#x;",
            ),
            ("&#12354", "あ"),
        ];
        // Ruby annotations are skipped; an `rt` left open ends at the next one, `</ruby>`, a
        // cell or a block.
        for (html, want) in [
            (
                "<ruby>山口<rp>(</rp><rt>やまぐち</rt><rp>)</rp></ruby><ruby>大介<rt>だいすけ</rt></ruby>",
                "山口大介",
            ),
            ("<ruby>山<rt>やま<rt>x</ruby>田", "山田"),
            ("<ruby>山<rt>やま<p>田", "山\n田"),
        ] {
            assert_eq!(extract_text(html), want, "{html:?}");
        }
        for (html, want) in cases {
            assert_eq!(extract_text(html), want, "{html:?}");
            assert_eq!(tree_text(html), want, "tree: {html:?}");
        }
    }

    /// The leak forms of the evaluation and typical pages give the same lines as the tree
    /// builder.
    #[test]
    fn form_fields_show_their_values() {
        let html = "<form>氏名 <input name=sei value=\"山口\"><input name=mei value='大介'>\n<p>生年月日 <input type=date value=1968-09-18> <input type=hidden value=secret><input type=\"PASSWORD\" value=pw></form>";
        assert_eq!(
            lines(&extract_text(html)),
            vec!["氏名 山口\t大介", "生年月日 1968-09-18"]
        );
        // Only an `input`'s value, and only its first.
        assert_eq!(
            lines(&extract_text(
                "<p data-value=x value=y>a<input value=1 value=2>"
            )),
            vec!["a1"]
        );
    }

    #[test]
    fn same_text_as_the_tree_builder() {
        let mut pages: Vec<String> = vec![
            "<html><head><title>t</title></head><body><div class=post><p>本文&nbsp;です</p><a href=\"/t/1\">more</a></div>\n<ul><li>one<li>two</ul><dl><dt>a<dd>b</dl></body></html>".into(),
            "<table><tr><td>a<td>b<tr><td>c<td>d</table><p>x<p>y<br/>z".into(),
            "<body><select><option>1<option>2</select><h2>head</h2><span>in</span>line<b>bold</b></body>".into(),
            "<html><head><noscript>no</noscript><script>s</script></head><body><iframe>i</iframe><noscript><p>n</p></noscript>ok</body></html>".into(),
            // Ruby annotations, with and without `rp` and end tags.
            "<p><ruby>山口<rp>(</rp><rt>やまぐち</rt><rp>)</rp></ruby><ruby>大介<rt>だいすけ</rt></ruby>さん</p><table><tr><td><ruby>漢<rt>かん<rt>x</ruby>字<td>b</table>".into(),
            // A form filled in: the values shown in its fields.
            "<form><label>氏名</label><input type=text name=n value=\"山口 大介\"><label>生年月日</label><INPUT VALUE='1968-09-18' type=\"date\"/><input type=hidden value=h><input type=password value=p><input value=\"  \"><input type=submit value=\"送信 &amp; 確認\"></form>".into(),
        ];
        let people: Vec<_> = (0..30)
            .map(|i| fingerprints::synth::resident(i * 7919, 1))
            .collect();
        for seed in 0..5 {
            pages.push(
                String::from_utf8(fingerprints::leaks::render(
                    fingerprints::leaks::LeakForm::HtmlTable,
                    &people,
                    seed,
                ))
                .unwrap_or_default(),
            );
        }
        for page in &pages {
            assert_eq!(
                lines(&extract_text(page)),
                lines(&tree_text(page)),
                "{page}"
            );
        }
    }

    /// A well-formed page from a small grammar: nested blocks, inline elements, tables, text
    /// with references and whitespace, skipped elements, comments.
    fn page() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let text = || {
            proptest::string::string_regex(
                "([a-z0-9 ]|[\\t\\n]|&amp;|&lt;|&#x5C71;|&nbsp;|山|田|１|、){0,12}",
            )
            .unwrap_or_else(|_| unreachable!("a valid pattern"))
        };
        let leaf = prop_oneof![
            text(),
            text().prop_map(|t| format!("<!-- {} -->", t.replace('-', ""))),
            text().prop_map(|t| format!("<script>{t}</script>")),
            Just("<br>".to_owned()),
        ];
        leaf.prop_recursive(4, 48, 4, move |inner| {
            let kids = proptest::collection::vec(inner, 1..4).prop_map(|v| v.concat());
            let cell = kids.clone().prop_map(|k| format!("<td>{k}</td>"));
            let row = proptest::collection::vec(cell, 1..4)
                .prop_map(|c| format!("<tr>{}</tr>", c.concat()));
            prop_oneof![
                kids.clone().prop_map(|k| format!("<div>{k}</div>")),
                kids.clone()
                    .prop_map(|k| format!("<span class=\"x\">{k}</span>")),
                kids.clone().prop_map(|k| format!("<b>{k}</b>")),
                kids.clone().prop_map(|k| format!("<section>{k}</section>")),
                kids.prop_map(|k| format!("<template>{k}</template>")),
                proptest::collection::vec(row, 1..3)
                    .prop_map(|r| format!("<table><tbody>{}</tbody></table>", r.concat())),
            ]
        })
        .prop_map(|body| {
            format!("<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>")
        })
    }

    proptest::proptest! {
        #[test]
        fn well_formed_pages_read_like_the_tree_builder(html in page()) {
            let (ours, tree) = (extract_text(&html), tree_text(&html));
            proptest::prop_assert_eq!(lines(&ours), lines(&tree));
        }

        #[test]
        fn any_bytes_are_safe(html in "[<>/!?&#;a-z\"'=\\- \n山]{0,200}") {
            let _ = extract_text(&html);
        }
    }

    #[test]
    fn detects_html() {
        assert!(is_html("<!doctype html><p>x", None));
        assert!(is_html("  <HTML>", None));
        assert!(is_html("plain", Some("text/html; charset=utf-8")));
        assert!(!is_html("a < b and <table> is a word", None));
        assert!(!is_html("<html>", Some("text/plain")));
        // Only the first 1,024 characters are looked at, however many bytes they take.
        for filler in ["x", "あ", "\u{10348}"] {
            assert!(is_html(&format!("{}<HTML>", filler.repeat(1019)), None));
            assert!(!is_html(&format!("{}<html>", filler.repeat(1020)), None));
        }
    }
}
