//! PDF's syntax: the tokens and objects both a file's body and a page's content stream are
//! written in (ISO 32000-1, 7.2 and 7.3). Everything is bounds checked; nesting deeper than
//! [`MAX_NESTING`] ends the object there.

/// Arrays and dictionaries inside one another, at most.
const MAX_NESTING: usize = 32;

/// A PDF object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj {
    /// `null`, and what could not be read.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer or a real number.
    Num(f64),
    /// A string's bytes (literal or hexadecimal), escapes undone.
    Str(Vec<u8>),
    /// A name's bytes, without its `/`, `#xx` escapes undone.
    Name(Vec<u8>),
    /// An array.
    Array(Vec<Obj>),
    /// A dictionary, its entries in order.
    Dict(Vec<(Vec<u8>, Obj)>),
    /// A reference to an indirect object (its number; the generation is not kept).
    Ref(u32),
}

impl Obj {
    /// The value of `key`, if this is a dictionary that has it.
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Obj> {
        match self {
            Obj::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub(crate) fn num(&self) -> Option<f64> {
        match self {
            Obj::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// The name, if this is one.
    pub(crate) fn name(&self) -> Option<&[u8]> {
        match self {
            Obj::Name(n) => Some(n),
            _ => None,
        }
    }

    /// Whether this is a dictionary whose `/Type` is `ty`.
    pub(crate) fn is_type(&self, ty: &[u8]) -> bool {
        self.get(b"Type").and_then(Obj::name) == Some(ty)
    }
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token<'a> {
    /// A number.
    Num(f64),
    /// A string.
    Str(Vec<u8>),
    /// A name.
    Name(Vec<u8>),
    /// `[`.
    ArrayStart,
    /// `]`.
    ArrayEnd,
    /// `<<`.
    DictStart,
    /// `>>`.
    DictEnd,
    /// Anything else: a keyword (`obj`, `R`, `true`) or a content stream's operator (`Tj`).
    Keyword(&'a [u8]),
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_space(b) && !is_delimiter(b)
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// A reader of tokens and objects from `bytes`, from `at` on.
pub(crate) struct Lexer<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer at `at` of `bytes`.
    pub(crate) fn new(bytes: &'a [u8], at: usize) -> Lexer<'a> {
        Lexer { bytes, at }
    }

    /// Steps over white space and comments.
    pub(crate) fn skip_space(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            if is_space(b) {
                self.at += 1;
            } else if b == b'%' {
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|&b| b != b'\n' && b != b'\r')
                {
                    self.at += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next token, or `None` at the end.
    pub(crate) fn token(&mut self) -> Option<Token<'a>> {
        self.skip_space();
        let b = *self.bytes.get(self.at)?;
        Some(match b {
            b'(' => {
                self.at += 1;
                Token::Str(self.literal())
            }
            b'<' if self.bytes.get(self.at + 1) == Some(&b'<') => {
                self.at += 2;
                Token::DictStart
            }
            b'<' => {
                self.at += 1;
                Token::Str(self.hex())
            }
            b'>' if self.bytes.get(self.at + 1) == Some(&b'>') => {
                self.at += 2;
                Token::DictEnd
            }
            b'[' => {
                self.at += 1;
                Token::ArrayStart
            }
            b']' => {
                self.at += 1;
                Token::ArrayEnd
            }
            b'/' => {
                self.at += 1;
                Token::Name(self.name())
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => {
                let start = self.at;
                self.at += 1;
                while self.bytes.get(self.at).is_some_and(|&b| is_regular(b)) {
                    self.at += 1;
                }
                let word = &self.bytes[start..self.at];
                match number(word) {
                    Some(n) => Token::Num(n),
                    None => Token::Keyword(word),
                }
            }
            _ if is_regular(b) => {
                let start = self.at;
                while self.bytes.get(self.at).is_some_and(|&b| is_regular(b)) {
                    self.at += 1;
                }
                Token::Keyword(&self.bytes[start..self.at])
            }
            _ => {
                // A stray delimiter (`)`, `>`, `{`, `}`): a keyword of one byte.
                self.at += 1;
                Token::Keyword(&self.bytes[self.at - 1..self.at])
            }
        })
    }

    /// A literal string's bytes, after its `(`: nested parentheses kept, escapes undone.
    fn literal(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        while let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' if depth == 0 => break,
                b')' => {
                    depth -= 1;
                    out.push(b);
                }
                b'\\' => {
                    let Some(&e) = self.bytes.get(self.at) else {
                        break;
                    };
                    self.at += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.bytes.get(self.at) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.at += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        // A line's end after `\` continues the string.
                        b'\r' => {
                            if self.bytes.get(self.at) == Some(&b'\n') {
                                self.at += 1;
                            }
                        }
                        b'\n' => {}
                        _ => out.push(e),
                    }
                }
                b'\r' => {
                    // An end of line in a string is a line feed, whichever it is.
                    if self.bytes.get(self.at) == Some(&b'\n') {
                        self.at += 1;
                    }
                    out.push(b'\n');
                }
                _ => out.push(b),
            }
        }
        out
    }

    /// A hexadecimal string's bytes, after its `<`: white space ignored, an odd last digit
    /// followed by 0.
    fn hex(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            if b == b'>' {
                break;
            }
            let Some(v) = hex_value(b) else {
                continue;
            };
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    /// A name's bytes, after its `/`.
    fn name(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(&b) = self.bytes.get(self.at).filter(|&&b| is_regular(b)) {
            self.at += 1;
            let escaped = (b == b'#')
                .then(|| {
                    let h = hex_value(*self.bytes.get(self.at)?)?;
                    let l = hex_value(*self.bytes.get(self.at + 1)?)?;
                    Some(h << 4 | l)
                })
                .flatten();
            match escaped {
                Some(v) => {
                    self.at += 2;
                    out.push(v);
                }
                None => out.push(b),
            }
        }
        out
    }

    /// The next object. With `refs`, `12 0 R` is a reference (a file's body); without, it is
    /// two numbers and an operator (a content stream has no references). A keyword that is
    /// not a value (`endobj`, an operator) is returned as `Err`, the lexer after it.
    pub(crate) fn object(&mut self, refs: bool) -> Result<Obj, Option<&'a [u8]>> {
        let token = self.token().ok_or(None)?;
        self.value(token, refs, 0)
    }

    fn value(
        &mut self,
        token: Token<'a>,
        refs: bool,
        depth: usize,
    ) -> Result<Obj, Option<&'a [u8]>> {
        Ok(match token {
            Token::Num(n) => {
                if refs && n >= 0.0 && n.fract() == 0.0 {
                    let back = self.at;
                    if let (Some(Token::Num(g)), Some(Token::Keyword(b"R"))) =
                        (self.token(), self.token())
                        && g >= 0.0
                        && g.fract() == 0.0
                        && n <= f64::from(u32::MAX)
                    {
                        return Ok(Obj::Ref(n as u32));
                    }
                    self.at = back;
                }
                Obj::Num(n)
            }
            Token::Str(s) => Obj::Str(s),
            Token::Name(n) => Obj::Name(n),
            Token::ArrayStart => {
                let mut items = Vec::new();
                loop {
                    match self.token() {
                        None | Some(Token::ArrayEnd) => break,
                        Some(t) if depth < MAX_NESTING => match self.value(t, refs, depth + 1) {
                            Ok(v) => items.push(v),
                            Err(_) => break,
                        },
                        Some(_) => break,
                    }
                }
                Obj::Array(items)
            }
            Token::DictStart => {
                let mut entries = Vec::new();
                loop {
                    match self.token() {
                        None | Some(Token::DictEnd) => break,
                        Some(Token::Name(key)) => {
                            let Some(t) = self.token().filter(|_| depth < MAX_NESTING) else {
                                break;
                            };
                            if t == Token::DictEnd {
                                break;
                            }
                            match self.value(t, refs, depth + 1) {
                                Ok(v) => entries.push((key, v)),
                                Err(_) => break,
                            }
                        }
                        // A key that is not a name: the dictionary is broken here.
                        Some(_) => break,
                    }
                }
                Obj::Dict(entries)
            }
            Token::ArrayEnd | Token::DictEnd => return Err(None),
            Token::Keyword(b"true") => Obj::Bool(true),
            Token::Keyword(b"false") => Obj::Bool(false),
            Token::Keyword(b"null") => Obj::Null,
            Token::Keyword(k) => return Err(Some(k)),
        })
    }
}

/// A number's value (`12`, `-3.5`, `.5`, `4.`); `None` if `word` is not one.
fn number(word: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(word).ok()?;
    // A second sign (`--5`) is read as one by some readers; PDF writers do not write it.
    let n: f64 = s.parse().ok()?;
    n.is_finite().then_some(n)
}

/// A text string's characters (outside a content stream: `/ActualText`, a form field's value):
/// UTF-16BE after its byte order mark, UTF-8 after its, or PDFDocEncoding (read as
/// Windows-1252, which agrees with it on every letter and digit).
pub(crate) fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        encoding_rs::UTF_16BE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(s: &str) -> Obj {
        Lexer::new(s.as_bytes(), 0).object(true).expect("an object")
    }

    #[test]
    fn objects() {
        let n = |v: f64| Obj::Num(v);
        let name = |s: &str| Obj::Name(s.as_bytes().to_vec());
        let string = |s: &[u8]| Obj::Str(s.to_vec());
        for (text, want) in [
            ("12", n(12.0)),
            ("-3.5", n(-3.5)),
            (".5", n(0.5)),
            ("4.", n(4.0)),
            ("/Type", name("Type")),
            ("/A#20B", name("A B")),
            ("/", name("")),
            ("(a(b)c)", string(b"a(b)c")),
            ("(a\\)b)", string(b"a)b")),
            (r"(\101\12\n\\)", string(b"A\n\n\\")),
            ("(a\\\r\nb)", string(b"ab")),
            ("(a\r\nb)", string(b"a\nb")),
            ("<48 65 6c6C6>", string(b"Hell`")),
            ("<>", string(b"")),
            ("(unclosed", string(b"unclosed")),
            ("true", Obj::Bool(true)),
            ("null", Obj::Null),
            ("12 0 R", Obj::Ref(12)),
            ("[1 0 R 2]", Obj::Array(vec![Obj::Ref(1), n(2.0)])),
            ("[1 2]", Obj::Array(vec![n(1.0), n(2.0)])),
            (
                "<</Type/Page/Kids[3 0 R]/N -1>>",
                Obj::Dict(vec![
                    (b"Type".to_vec(), name("Page")),
                    (b"Kids".to_vec(), Obj::Array(vec![Obj::Ref(3)])),
                    (b"N".to_vec(), n(-1.0)),
                ]),
            ),
            ("<</A 1 % a comment\n/B 2>>", {
                Obj::Dict(vec![(b"A".to_vec(), n(1.0)), (b"B".to_vec(), n(2.0))])
            }),
            ("<</A>>", Obj::Dict(vec![])),
            ("<</A", Obj::Dict(vec![])),
        ] {
            assert_eq!(obj(text), want, "{text}");
        }
    }

    #[test]
    fn content_streams_have_no_references() {
        let mut lex = Lexer::new(b"1 0 0 1 72 700 Tm", 0);
        for _ in 0..6 {
            assert!(matches!(lex.object(false), Ok(Obj::Num(_))));
        }
        assert_eq!(lex.object(false), Err(Some(&b"Tm"[..])));
        assert_eq!(lex.object(false), Err(None));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(100_000);
        let mut lex = Lexer::new(deep.as_bytes(), 0);
        // Returns (at the nesting bound), without exhausting the stack.
        let _ = lex.object(true);
        let deep = "<</A ".repeat(100_000);
        let _ = Lexer::new(deep.as_bytes(), 0).object(true);
    }

    #[test]
    fn text_strings() {
        assert_eq!(text_string(b"\xFE\xFF\x5C\x71\x53\xE3"), "山口");
        assert_eq!(text_string(b"\xEF\xBB\xBF\xE5\xB1\xB1"), "山");
        assert_eq!(text_string(b"Caf\xE9"), "Café");
    }
}
