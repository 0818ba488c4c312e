//! PDF files: their text. Registers, lists and application forms are shared and leaked as PDF
//! more than in any other form, printed from Word or Excel or scanned; a byte-level scan sees
//! only compressed streams.
//!
//! The file's objects are found by reading it from its start (`12 0 obj … endobj`), not
//! through its cross-reference table, so a file cut short or with a broken table gives the
//! objects it holds; an object defined again later (an incremental update) replaces the
//! earlier one. Objects packed in object streams (`/Type /ObjStm`, PDF 1.5 on) are read too.
//! The pages are found through the catalog's page tree (every `/Type /Page` object, in order
//! of number, when there is none), and each page's content streams are run for the strings
//! they show ([`content`]), in the page's fonts ([`font`]): its text laid out as lines, a
//! table's cells apart by tabs, then the text of its annotations (a text box typed over a
//! form, a comment: [`Objects::annotations`]). A form field's value (a filled-in application
//! form) is read after the pages, a line each.
//!
//! Streams are decoded with `FlateDecode`, `LZWDecode`, `ASCIIHexDecode` and `ASCII85Decode`;
//! a stream in any other filter (images' filters) is left out. An encrypted file (a trailer
//! with `/Encrypt`) is decrypted when its user password is empty, as it is in files encrypted
//! only to restrict copying or printing ([`crypt`]); one that needs a password gives its
//! [`Lock`], and is read once a password opens it ([`read_pdf_with`]).
//! A scanned page is an image: only a text layer an OCR engine laid over it is read (see
//! [`content`]), never the image.
//!
//! Everything decoded counts against the budget (the matcher's `max_document_bytes`), and so
//! does the text given, so a file of streams that inflate a thousandfold, or of a font that
//! maps a code to a long string, stops there.

mod content;
mod crypt;
mod font;
mod syntax;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::rc::Rc;

use content::{IDENTITY, Interpreter, Matrix, Resources, layout, matrix};
pub(crate) use crypt::{Crypt, Lock};
use font::Font;
use syntax::{Lexer, Obj, Token, text_string};

/// Objects read from one file, at most.
const MAX_OBJECTS: usize = 1_000_000;

/// Objects read from one object stream, at most.
const MAX_PACKED: usize = 100_000;

/// Pages read from one file, at most (a page tree's depth is bounded by it too).
const MAX_PAGES: usize = 100_000;

/// References followed to reach an object, at most.
const MAX_HOPS: usize = 16;

/// The kinds of annotation whose `/Contents` is text a person wrote (ISO 32000 12.5.6.2,
/// markup annotations). The others' repeats what the page or the annotation shows: a link's
/// words, a form field's widget (its value is read as a field's), a note's pop-up window.
const MARKUP: [&[u8]; 17] = [
    b"Text",
    b"FreeText",
    b"Line",
    b"Square",
    b"Circle",
    b"Polygon",
    b"PolyLine",
    b"Highlight",
    b"Underline",
    b"Squiggly",
    b"StrikeOut",
    b"Stamp",
    b"Caret",
    b"Ink",
    b"FileAttachment",
    b"Sound",
    b"Redact",
];

/// Whether `bytes` is a PDF file: it starts with `%PDF-`, or has it in its first KiB after
/// binary bytes (the header need not be at the very start, but a text that quotes it is not a
/// PDF file).
pub(crate) fn is_pdf(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    memchr::memmem::find(head, b"%PDF-").is_some_and(|k| k == 0 || head[..k].contains(&0))
}

/// An indirect object: its value, its stream's data (a range of the file) if it has one, and
/// its generation, or `None` if it was packed in an object stream (whose encryption covers it).
struct Object {
    value: Obj,
    stream: Option<(usize, usize)>,
    generation: Option<u16>,
}

/// A PDF file's objects, by number.
struct Objects<'a> {
    bytes: &'a [u8],
    table: HashMap<u32, Object>,
    /// Trailer dictionaries (and cross-reference streams' dictionaries), in file order.
    trailers: Vec<Obj>,
    /// The key of an encrypted file, once opened.
    crypt: Option<Crypt>,
}

/// What reading a PDF file gave.
#[derive(Debug)]
pub(crate) enum Pdf {
    /// No objects: a text that only starts like a PDF file.
    NoObjects,
    /// Its text, appended.
    Read,
    /// Nothing: it is encrypted by a security handler not read (a certificate's), or its
    /// encryption dictionary could not be read.
    Closed,
    /// Nothing yet: it needs a password, which its lock checks.
    Locked(Lock),
}

/// Whether a file's encryption lets it be read.
enum Access {
    /// It is not encrypted, or the empty user password opened it.
    Open,
    /// It needs a password, which its lock checks.
    Locked(Lock),
    /// It is encrypted by a security handler not read (a certificate's), or its dictionary
    /// could not be read.
    Closed,
}

/// Appends the text of the PDF file `bytes` to `out` (see the module documentation), decoding
/// within `budget` (what is left of it is returned in place).
pub(crate) fn read_pdf(bytes: &[u8], budget: &mut usize, out: &mut String) -> Pdf {
    let mut objects = Objects::read(bytes);
    if objects.table.is_empty() {
        return Pdf::NoObjects;
    }
    match objects.decrypt() {
        Access::Open => objects.text(budget, out),
        Access::Locked(lock) => return Pdf::Locked(lock),
        Access::Closed => return Pdf::Closed,
    }
    Pdf::Read
}

/// Appends the text of the encrypted PDF file `bytes` to `out` as [`read_pdf`] does, with the
/// key `crypt` a password gave ([`Lock::open`]).
pub(crate) fn read_pdf_with(bytes: &[u8], crypt: Crypt, budget: &mut usize, out: &mut String) {
    let mut objects = Objects::read(bytes);
    objects.crypt = Some(crypt);
    objects.text(budget, out);
}

impl<'a> Objects<'a> {
    /// Appends the text of the file's pages and form fields to `out`, decoding within
    /// `budget`.
    fn text(&mut self, budget: &mut usize, out: &mut String) {
        self.unpack(budget);
        let objects: &Objects<'_> = self;
        let mut reader = PageReader {
            objects,
            fonts: HashMap::new(),
            budget,
        };
        for (page, res) in objects.pages() {
            if *reader.budget == 0 {
                return;
            }
            let content = reader.contents(page);
            // The text given counts against the budget too (a font may map a code to a long
            // string).
            let left = *reader.budget;
            let mut interpreter = Interpreter::new(&mut reader, left);
            interpreter.run(&content, res);
            let (runs, given) = (
                std::mem::take(&mut interpreter.runs),
                left - interpreter.left,
            );
            *reader.budget -= given.min(*reader.budget);
            layout(&runs, objects.page_width(page), out);
            objects.annotations(page, reader.budget, out);
            out.push('\n');
        }
        objects.fields(reader.budget, out);
    }

    /// Every object of the file, read from its start.
    fn read(bytes: &'a [u8]) -> Objects<'a> {
        let mut objects = Objects {
            bytes,
            table: HashMap::new(),
            trailers: Vec::new(),
            crypt: None,
        };
        let finder = memchr::memmem::Finder::new(b"obj");
        let mut at = 0;
        while let Some(k) = finder.find(&bytes[at..]) {
            let pos = at + k;
            at = pos + 3;
            let Some((number, generation)) = number_before(bytes, pos) else {
                continue;
            };
            if bytes
                .get(pos + 3)
                .is_some_and(|&b| b.is_ascii_alphanumeric())
            {
                continue;
            }
            let mut lex = Lexer::new(bytes, pos + 3);
            let value = lex.object(true).unwrap_or(Obj::Null);
            let after_value = lex.at;
            let stream = if lex.token() == Some(Token::Keyword(b"stream")) {
                let start = stream_start(bytes, lex.at);
                let end = stream_end(bytes, start, value.get(b"Length"));
                at = end;
                Some((start, end))
            } else {
                at = after_value;
                None
            };
            if value.is_type(b"XRef") {
                objects.trailers.push(value.clone());
            }
            if objects.table.len() < MAX_OBJECTS || objects.table.contains_key(&number) {
                objects.table.insert(
                    number,
                    Object {
                        value,
                        stream,
                        generation: Some(generation),
                    },
                );
            }
        }
        let finder = memchr::memmem::Finder::new(b"trailer");
        let mut at = 0;
        while let Some(k) = finder.find(&bytes[at..]) {
            at += k + 7;
            if let Ok(t @ Obj::Dict(_)) = Lexer::new(bytes, at).object(true) {
                objects.trailers.push(t);
            }
        }
        objects
    }

    /// Opens an encrypted file (see [`crypt`]): its streams are decrypted as they are read,
    /// and the few strings read (form fields' values) too.
    fn decrypt(&mut self) -> Access {
        let Some(encrypt) = self.trailers.iter().rev().find_map(|t| t.get(b"Encrypt")) else {
            return Access::Open;
        };
        let id = match self.trailers.iter().rev().find_map(|t| t.get(b"ID")) {
            Some(Obj::Array(ids)) => match ids.first() {
                Some(Obj::Str(id)) => id.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let Some(lock) = Lock::read(self.resolve(encrypt), &id, &|o| self.resolve(o)) else {
            return Access::Closed;
        };
        match lock.open(b"") {
            Some(crypt) => {
                self.crypt = Some(crypt);
                Access::Open
            }
            None => Access::Locked(lock),
        }
    }

    /// A string of the object `number` as written, decrypted if the file is encrypted (a string
    /// packed in an object stream was decrypted with it).
    fn string(&self, number: u32, bytes: &[u8]) -> Vec<u8> {
        match (
            &self.crypt,
            self.table.get(&number).and_then(|o| o.generation),
        ) {
            (Some(crypt), Some(generation)) => crypt.string(number, generation, bytes),
            _ => bytes.to_vec(),
        }
    }

    /// Reads the objects packed in object streams; one defined outside any stays.
    fn unpack(&mut self, budget: &mut usize) {
        let mut packed = Vec::new();
        for n in self.of_type(b"ObjStm") {
            let Some(data) = self.stream_data(n, budget) else {
                continue;
            };
            let value = &self.table[&n].value;
            let count = value.get(b"N").and_then(Obj::num).unwrap_or(0.0);
            let first = value.get(b"First").and_then(Obj::num).unwrap_or(0.0);
            if !(0.0..=MAX_PACKED as f64).contains(&count) || first < 0.0 {
                continue;
            }
            let mut lex = Lexer::new(&data, 0);
            let mut offsets = Vec::new();
            for _ in 0..count as usize {
                match (lex.object(false), lex.object(false)) {
                    (Ok(Obj::Num(number)), Ok(Obj::Num(offset))) if number >= 0.0 => {
                        offsets.push((number as u32, offset.max(0.0) as usize));
                    }
                    _ => break,
                }
            }
            for (number, offset) in offsets {
                let at = (first as usize).saturating_add(offset);
                if at < data.len()
                    && let Ok(value) = Lexer::new(&data, at).object(true)
                {
                    packed.push((number, value));
                }
            }
        }
        for (number, value) in packed {
            if self.table.len() >= MAX_OBJECTS {
                break;
            }
            self.table.entry(number).or_insert(Object {
                value,
                stream: None,
                generation: None,
            });
        }
    }

    /// The numbers of the objects whose `/Type` is `ty`, in order.
    fn of_type(&self, ty: &[u8]) -> Vec<u32> {
        let mut numbers: Vec<u32> = self
            .table
            .iter()
            .filter(|(_, o)| o.value.is_type(ty))
            .map(|(&n, _)| n)
            .collect();
        numbers.sort_unstable();
        numbers
    }

    /// The object `o` is, following references.
    fn resolve<'s>(&'s self, o: &'s Obj) -> &'s Obj {
        let mut o = o;
        for _ in 0..MAX_HOPS {
            match o {
                Obj::Ref(n) => match self.table.get(n) {
                    Some(t) => o = &t.value,
                    None => return &Obj::Null,
                },
                _ => return o,
            }
        }
        &Obj::Null
    }

    /// The decoded data of the stream object `number`, within `budget`; `None` if it is not a
    /// stream or is in a filter not read.
    fn stream_data(&self, number: u32, budget: &mut usize) -> Option<Vec<u8>> {
        let object = self.table.get(&number)?;
        let (start, end) = object.stream?;
        if *budget == 0 {
            return None;
        }
        let raw = self.bytes.get(start..end)?;
        // A cross-reference stream is never encrypted.
        let mut data = match (&self.crypt, object.generation) {
            (Some(crypt), Some(generation)) if !object.value.is_type(b"XRef") => {
                crypt.stream(number, generation, raw)
            }
            _ => raw.to_vec(),
        };
        let filters: Vec<&[u8]> = match object.value.get(b"Filter").map(|f| self.resolve(f)) {
            None | Some(Obj::Null) => Vec::new(),
            Some(Obj::Name(n)) => vec![n],
            Some(Obj::Array(items)) => items
                .iter()
                .map(|i| self.resolve(i).name().unwrap_or_default())
                .collect(),
            Some(_) => return None,
        };
        for (k, filter) in filters.into_iter().enumerate() {
            data = match filter {
                b"FlateDecode" | b"Fl" => inflate(&data, *budget),
                b"LZWDecode" | b"LZW" => {
                    // `/EarlyChange 0` in the filter's parameters (one dictionary, or an
                    // array of one per filter); 1 by default.
                    let params = match object.value.get(b"DecodeParms").map(|p| self.resolve(p)) {
                        Some(Obj::Array(items)) => items.get(k).map(|p| self.resolve(p)),
                        other => other,
                    };
                    let early = params
                        .and_then(|p| p.get(b"EarlyChange"))
                        .and_then(Obj::num)
                        .is_none_or(|n| n != 0.0);
                    lzw(&data, early, *budget)
                }
                b"ASCIIHexDecode" | b"AHx" => ascii_hex(&data),
                b"ASCII85Decode" | b"A85" => ascii85(&data),
                _ => return None,
            };
        }
        // Every stream read counts, inflated or not, as its size in the file or decoded,
        // whichever is more: a form drawn over and over is read again each time.
        data.truncate(*budget);
        *budget -= data.len().max(raw.len()).min(*budget);
        Some(data)
    }

    /// The stream `o` refers to, decoded.
    fn stream_of(&self, o: &Obj, budget: &mut usize) -> Option<Vec<u8>> {
        match o {
            Obj::Ref(n) => self.stream_data(*n, budget),
            _ => None,
        }
    }

    /// The pages, in order, each with its resources (its own or inherited).
    fn pages(&self) -> Vec<(u32, &Obj)> {
        let root = self
            .trailers
            .iter()
            .rev()
            .find_map(|t| t.get(b"Root"))
            .map(|r| self.resolve(r))
            .filter(|r| r.get(b"Pages").is_some())
            .or_else(|| {
                let last = *self.of_type(b"Catalog").last()?;
                Some(&self.table[&last].value)
            });
        let mut pages = Vec::new();
        if let Some(Obj::Ref(top)) = root.and_then(|r| r.get(b"Pages")) {
            let mut seen = HashSet::new();
            let mut stack: Vec<(u32, &Obj)> = vec![(*top, &Obj::Null)];
            while let Some((n, inherited)) = stack.pop() {
                if pages.len() >= MAX_PAGES || !seen.insert(n) || seen.len() > 2 * MAX_PAGES {
                    continue;
                }
                let Some(node) = self.table.get(&n).map(|o| &o.value) else {
                    continue;
                };
                let res = node.get(b"Resources").unwrap_or(inherited);
                match node.get(b"Kids").map(|k| self.resolve(k)) {
                    Some(Obj::Array(kids)) if !node.is_type(b"Page") => {
                        for kid in kids.iter().rev() {
                            if let Obj::Ref(k) = kid {
                                stack.push((*k, res));
                            }
                        }
                    }
                    _ => pages.push((n, self.resolve(res))),
                }
            }
        }
        if pages.is_empty() {
            for n in self.of_type(b"Page").into_iter().take(MAX_PAGES) {
                pages.push((n, self.inherited_resources(n)));
            }
        }
        pages
    }

    /// A page's resources, its own or its nearest ancestor's (through `/Parent`).
    fn inherited_resources(&self, page: u32) -> &Obj {
        self.inherited(page, b"Resources").unwrap_or(&Obj::Null)
    }

    /// The entry `key` of the page `page`, or of its nearest ancestor that has it.
    fn inherited(&self, page: u32, key: &[u8]) -> Option<&Obj> {
        let mut node = self.table.get(&page).map(|o| &o.value);
        for _ in 0..MAX_HOPS {
            let n = node?;
            if let Some(v) = n.get(key) {
                return Some(self.resolve(v));
            }
            node = n.get(b"Parent").map(|p| self.resolve(p));
        }
        None
    }

    /// A page's width (its media box's; US Letter's when it has none).
    fn page_width(&self, page: u32) -> f64 {
        self.rect(self.inherited(page, b"MediaBox"))
            .map(|[left, _, right, _]| right - left)
            .filter(|w| *w > 0.0)
            .unwrap_or(612.0)
    }

    /// The text of the page `page`'s annotations (their `/Contents`): a text box typed over a
    /// form that has no fields (a typewriter or "Fill & Sign" text, macOS Preview's text), a
    /// sticky note's comment: a markup annotation's ([`MARKUP`]). Each is a line of its own,
    /// in reading order: those whose boxes share a line left to right, then the lines below.
    /// Not a row of cells a tab apart: a form's boxes on one line are one person's (a name
    /// and its reading), and a row would keep them from the boxes below (her birth date).
    fn annotations(&self, page: u32, budget: &mut usize, out: &mut String) {
        let Some(annots) = self.table.get(&page).and_then(|o| o.value.get(b"Annots")) else {
            return;
        };
        // A direct annotation's strings are encrypted with the key of the object it is in.
        let holder = match annots {
            Obj::Ref(n) => *n,
            _ => page,
        };
        let Obj::Array(items) = self.resolve(annots) else {
            return;
        };
        let mut boxes: Vec<Annotation> = items
            .iter()
            .filter_map(|item| {
                let (owner, annot) = match item {
                    Obj::Ref(n) => (*n, self.resolve(item)),
                    _ => (holder, item),
                };
                if !annot
                    .get(b"Subtype")
                    .and_then(Obj::name)
                    .is_some_and(|s| MARKUP.contains(&s))
                {
                    return None;
                }
                let contents = annot.get(b"Contents")?;
                let owner = match contents {
                    Obj::Ref(r) => *r,
                    _ => owner,
                };
                let Obj::Str(bytes) = self.resolve(contents) else {
                    return None;
                };
                let text = text_string(&self.string(owner, bytes)).replace('\r', "\n");
                let text = text.trim();
                if text.is_empty() {
                    return None;
                }
                Some(Annotation::new(
                    self.rect(annot.get(b"Rect")).unwrap_or_default(),
                    text.to_owned(),
                ))
            })
            .collect();
        // Top down, each box on the line of the first box above whose height holds its
        // middle (or on a line of its own); a line's boxes left to right.
        boxes.sort_by(|a, b| b.top.total_cmp(&a.top));
        let mut line = (0, f64::NAN, f64::NAN);
        for b in &mut boxes {
            let middle = (b.top + b.bottom) / 2.0;
            if !(line.1..=line.2).contains(&middle) {
                line = (line.0 + 1, b.bottom, b.top);
            }
            b.line = line.0;
        }
        boxes.sort_by(|a, b| a.line.cmp(&b.line).then(a.left.total_cmp(&b.left)));
        for b in boxes {
            if b.text.len() + 1 > *budget {
                return;
            }
            *budget -= b.text.len() + 1;
            out.push_str(&b.text);
            out.push('\n');
        }
    }

    /// A rectangle (a page's `/MediaBox`, an annotation's `/Rect`): left, bottom, right, top,
    /// whichever corners the file gives; `None` if `o` is no array of four.
    fn rect(&self, o: Option<&Obj>) -> Option<[f64; 4]> {
        match o.map(|o| self.resolve(o)) {
            Some(Obj::Array(r)) if r.len() == 4 => {
                let x = |k: usize| self.resolve(&r[k]).num().unwrap_or(0.0);
                Some([
                    x(0).min(x(2)),
                    x(1).min(x(3)),
                    x(0).max(x(2)),
                    x(1).max(x(3)),
                ])
            }
            _ => None,
        }
    }

    /// Form fields' values (`/T` a name, `/V` a text string), a line each, in object order.
    fn fields(&self, budget: &mut usize, out: &mut String) {
        let mut fields: Vec<(u32, String)> = self
            .table
            .iter()
            .filter(|(_, o)| matches!(o.value.get(b"T"), Some(Obj::Str(_))))
            .filter_map(|(&n, o)| {
                // A value given by reference is a string of its own object, encrypted with
                // that object's key.
                let v = o.value.get(b"V")?;
                let owner = match v {
                    Obj::Ref(r) => *r,
                    _ => n,
                };
                match self.resolve(v) {
                    Obj::Str(v) => Some((n, text_string(&self.string(owner, v)))),
                    _ => None,
                }
            })
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        fields.sort_by_key(|f| f.0);
        for (_, value) in fields {
            if value.len() + 1 > *budget {
                break;
            }
            *budget -= value.len() + 1;
            out.push_str(&value);
            out.push('\n');
        }
    }
}

/// An annotation's text and where its box is on the page.
struct Annotation {
    left: f64,
    bottom: f64,
    top: f64,
    text: String,
    /// The line of the page it is on, counted from the top.
    line: usize,
}

impl Annotation {
    fn new([left, bottom, _, top]: [f64; 4], text: String) -> Annotation {
        Annotation {
            left,
            bottom,
            top,
            text,
            line: 0,
        }
    }
}

/// Reads a page's content streams, with the file's fonts (each read once) and forms.
struct PageReader<'d, 'b> {
    objects: &'d Objects<'d>,
    fonts: HashMap<u32, Rc<Font>>,
    budget: &'b mut usize,
}

impl<'d> PageReader<'d, '_> {
    /// The page's content streams, decoded, one after the other.
    fn contents(&mut self, page: u32) -> Vec<u8> {
        let objects = self.objects;
        let Some(node) = objects.table.get(&page).map(|o| &o.value) else {
            return Vec::new();
        };
        let parts: Vec<&Obj> = match node.get(b"Contents") {
            Some(c @ Obj::Ref(_)) => match objects.resolve(c) {
                Obj::Array(items) => items.iter().collect(),
                _ => vec![c],
            },
            Some(Obj::Array(items)) => items.iter().collect(),
            _ => Vec::new(),
        };
        let mut content = Vec::new();
        for part in parts {
            if let Some(data) = objects.stream_of(part, self.budget) {
                content.extend_from_slice(&data);
                content.push(b'\n');
            }
        }
        content
    }

    /// The entry `name` of the resource category `category` in `res`.
    fn resource(&self, res: &'d Obj, category: &[u8], name: &[u8]) -> Option<&'d Obj> {
        let objects = self.objects;
        let dict = objects.resolve(objects.resolve(res).get(category)?);
        dict.get(name)
    }
}

impl<'d> Resources<'d> for PageReader<'d, '_> {
    fn font(&mut self, res: &'d Obj, name: &[u8]) -> Rc<Font> {
        let objects = self.objects;
        let Some(entry) = self.resource(res, b"Font", name) else {
            return Rc::new(Font::unknown());
        };
        let key = match entry {
            Obj::Ref(n) => Some(*n),
            _ => None,
        };
        if let Some(font) = key.and_then(|k| self.fonts.get(&k)) {
            return Rc::clone(font);
        }
        let budget = &mut *self.budget;
        let font = Rc::new(Font::read(
            objects.resolve(entry),
            &|o| objects.resolve(o),
            &mut |o| objects.stream_of(o, budget),
        ));
        if let Some(k) = key {
            self.fonts.insert(k, Rc::clone(&font));
        }
        font
    }

    fn form(&mut self, res: &'d Obj, name: &[u8]) -> Option<(Vec<u8>, &'d Obj, Matrix)> {
        let objects = self.objects;
        let Obj::Ref(n) = self.resource(res, b"XObject", name)? else {
            return None;
        };
        let form = &objects.table.get(n)?.value;
        if form.get(b"Subtype").and_then(Obj::name) != Some(b"Form") {
            return None;
        }
        let m = match form.get(b"Matrix").map(|m| objects.resolve(m)) {
            Some(Obj::Array(items)) => matrix(items).unwrap_or(IDENTITY),
            _ => IDENTITY,
        };
        let form_res = form.get(b"Resources").map_or(res, |r| objects.resolve(r));
        let data = objects.stream_data(*n, self.budget)?;
        Some((data, form_res, m))
    }
}

/// The object number and generation of `N G obj` whose `obj` is at `pos`.
fn number_before(bytes: &[u8], pos: usize) -> Option<(u32, u16)> {
    let mut k = pos;
    let back_over = |k: &mut usize, f: fn(u8) -> bool| {
        let end = *k;
        while *k > 0 && f(bytes[*k - 1]) {
            *k -= 1;
        }
        end - *k
    };
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0C' | b'\0');
    let digit = |b: u8| b.is_ascii_digit();
    if back_over(&mut k, space) == 0 {
        return None;
    }
    let generation_end = k;
    if back_over(&mut k, digit) == 0 {
        return None;
    }
    // Generations run to 65,535; a larger one is read as 0 (the object is read all the same).
    let generation = std::str::from_utf8(&bytes[k..generation_end])
        .ok()?
        .parse()
        .unwrap_or(0);
    if back_over(&mut k, space) == 0 {
        return None;
    }
    let end = k;
    let len = back_over(&mut k, digit);
    if len == 0 || len > 9 || (k > 0 && bytes[k - 1].is_ascii_alphanumeric()) {
        return None;
    }
    let number = std::str::from_utf8(&bytes[k..end]).ok()?.parse().ok()?;
    Some((number, generation))
}

/// Where a stream's data starts, after its `stream` keyword at `at`: after the end of line
/// that follows it.
fn stream_start(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at..at + 2) {
        Some(b"\r\n") => at + 2,
        _ if matches!(bytes.get(at), Some(b'\n' | b'\r')) => at + 1,
        _ => at,
    }
}

/// Where a stream's data ends: after `/Length` bytes when that is a number and `endstream`
/// follows there; otherwise before the next `endstream` (or at the file's end), without the
/// end of line before it.
fn stream_end(bytes: &[u8], start: usize, length: Option<&Obj>) -> usize {
    if let Some(len) = length.and_then(Obj::num).filter(|n| *n >= 0.0) {
        let end = start.saturating_add(len as usize);
        if let Some(rest) = bytes.get(end..) {
            let k = rest
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            if rest[k..].starts_with(b"endstream") {
                return end;
            }
        }
    }
    let Some(k) = memchr::memmem::find(&bytes[start.min(bytes.len())..], b"endstream") else {
        return bytes.len();
    };
    let mut end = start + k;
    if end > start && bytes[end - 1] == b'\n' {
        end -= 1;
    }
    if end > start && bytes[end - 1] == b'\r' {
        end -= 1;
    }
    end
}

/// Deflated data inflated (zlib, or raw deflate without the zlib header) as far as it goes,
/// `limit` bytes at most.
fn inflate(data: &[u8], limit: usize) -> Vec<u8> {
    let limit = limit as u64;
    let mut out = Vec::new();
    let zlib = data.len() >= 2
        && data[0] & 0x0F == 8
        && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0;
    // A cut or corrupt stream ends where it breaks; what was read before stays.
    let _ = if zlib {
        flate2::read::ZlibDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out)
    } else {
        flate2::read::DeflateDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out)
    };
    out
}

/// `LZWDecode` (writers of the 1990s): codes of 9 to 12 bits, most significant bit first; 256
/// empties the table and 257 ends the data. With `early` (`/EarlyChange 1`, the default) the
/// codes grow a bit wider one code before the table needs it. A bad code ends the data there;
/// `limit` bytes at most.
fn lzw(data: &[u8], early: bool, limit: usize) -> Vec<u8> {
    const CLEAR: usize = 256;
    const END: usize = 257;
    const MAX_CODES: usize = 4096;
    // Each code's string: the code of the string it extends (`u16::MAX`: none), its last byte
    // and its length. 256 and 257 stand for no string; the table is emptied back to them.
    let mut table: Vec<(u16, u8, u16)> = Vec::with_capacity(MAX_CODES);
    table.extend((0..=255u8).map(|b| (u16::MAX, b, 1)));
    table.extend([(u16::MAX, 0, 0); 2]);
    let mut out = Vec::new();
    let (mut bits, mut held) = (0u32, 0u32);
    let mut width = 9;
    let mut bytes = data.iter();
    // The code read before, and its string's first byte.
    let mut previous: Option<(usize, u8)> = None;
    while out.len() < limit {
        while held < width {
            let Some(&b) = bytes.next() else {
                return out;
            };
            bits = (bits << 8) | u32::from(b);
            held += 8;
        }
        let code = ((bits >> (held - width)) & ((1 << width) - 1)) as usize;
        held -= width;
        bits &= (1 << held) - 1;
        if code == CLEAR {
            table.truncate(END + 1);
            width = 9;
            previous = None;
            continue;
        }
        if code == END {
            break;
        }
        // The code just being defined (`KwKwK`): the previous string and its first byte.
        let (known, extra) = match previous {
            _ if code < table.len() && table[code].2 > 0 => (code, None),
            Some((p, first)) if code == table.len() => (p, Some(first)),
            _ => break,
        };
        let start = out.len();
        out.resize(start + usize::from(table[known].2), 0);
        let mut c = known;
        for k in (start..out.len()).rev() {
            out[k] = table[c].1;
            c = usize::from(table[c].0);
        }
        out.extend(extra);
        if let Some((p, _)) = previous
            && table.len() < MAX_CODES
        {
            table.push((p as u16, out[start], table[p].2.saturating_add(1)));
        }
        if table.len() + usize::from(early) >= 1 << width && width < 12 {
            width += 1;
        }
        previous = Some((code, out[start]));
    }
    out.truncate(limit);
    out
}

/// `ASCIIHexDecode`: pairs of hexadecimal digits up to `>`.
fn ascii_hex(data: &[u8]) -> Vec<u8> {
    let end = memchr::memchr(b'>', data).unwrap_or(data.len());
    let digits: Vec<u8> = data[..end]
        .iter()
        .filter_map(|&b| (b as char).to_digit(16).map(|d| d as u8))
        .collect();
    digits
        .chunks(2)
        .map(|p| p[0] << 4 | p.get(1).copied().unwrap_or(0))
        .collect()
}

/// `ASCII85Decode`: groups of five characters `!`…`u` to four bytes, `z` for four zeros, up
/// to `~>`.
fn ascii85(data: &[u8]) -> Vec<u8> {
    let end = memchr::memmem::find(data, b"~>").unwrap_or(data.len());
    let mut out = Vec::new();
    let mut group = [0u8; 5];
    let mut n = 0;
    for &b in &data[..end] {
        match b {
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group[n] = b - b'!';
                n += 1;
                if n == 5 {
                    let v = group
                        .iter()
                        .fold(0u64, |v, &d| v * 85 + u64::from(d))
                        .min(u64::from(u32::MAX)) as u32;
                    out.extend_from_slice(&v.to_be_bytes());
                    n = 0;
                }
            }
            _ => {}
        }
    }
    if n > 1 {
        for d in group.iter_mut().skip(n) {
            *d = 84;
        }
        let v = group
            .iter()
            .fold(0u64, |v, &d| v * 85 + u64::from(d))
            .min(u64::from(u32::MAX)) as u32;
        out.extend_from_slice(&v.to_be_bytes()[..n - 1]);
    }
    out
}

#[cfg(test)]
mod tests;
