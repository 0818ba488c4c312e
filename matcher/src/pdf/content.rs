//! A page's content stream, run for its text: where each string is shown, in which font, and
//! what it says; then the page's text laid out from those positions as lines, a table's cells
//! apart by tabs.
//!
//! A PDF has no paragraphs, lines or cells: it places strings on a page. Writers place them in
//! reading order, line by line, or cell by cell (LibreOffice writes a table's cell with all
//! its lines, then goes up to the next cell of the row). So each string is set apart from
//! the one before by where it is:
//!
//! - on the same line: nothing when it follows on (letters placed one by one), a space after
//!   a gap of a word space, a tab after a wider one (the next cell);
//! - higher up: a tab (the next cell of a row whose earlier cell had several lines);
//! - one line down, at the start of the line or cell above: a line wrapped inside a cell or a
//!   paragraph, joined (with a space between Latin words, with nothing between Japanese
//!   characters or after `-` and `/`) when it is inside a table row (a tab came before it on
//!   the line, or the text goes up to a next cell after it), or when the line above was full:
//!   the next line's first word would not have fitted before the page's right margin (the
//!   right end of its text, when that is past 60 % of the page's width: a page of short lines,
//!   a list, has none) and the line is not separated values (two commas without a space after
//!   them, or bars: a printed dump's rows stay apart);
//! - anywhere else below: a new line.
//!
//! Invisible text (render mode 3 or 7) is the text layer of a scanned page, written by an OCR
//! engine a word a string, each word ending with a space, over rough boxes: its spaces inside
//! Japanese text are dropped (see [`ocr_word`]), and two of its words on one line are the next
//! cell only two characters apart or more.

use std::rc::Rc;

use super::font::Font;
use super::syntax::{Lexer, Obj, Token, text_string};

/// Form XObjects inside one another, at most.
const MAX_FORM_DEPTH: usize = 8;

/// `q` (saves of the graphics state) kept, at most; more are counted and their `Q` ignored.
const MAX_SAVES: usize = 64;

/// Operands kept before an operator, at most.
const MAX_OPERANDS: usize = 64;

/// Marked-content sequences inside one another kept, at most; more are counted and their
/// `EMC` ignored.
const MAX_MARKED: usize = 64;

/// How far ahead (strings) a line wrapped inside a table cell is looked for.
const CELL_LOOKAHEAD: usize = 64;

/// An affine matrix `[a b c d e f]`, PDF's convention (a point is a row vector).
pub(crate) type Matrix = [f64; 6];

/// The identity matrix.
pub(crate) const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m × n`.
fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn translate(tx: f64, ty: f64) -> Matrix {
    [1.0, 0.0, 0.0, 1.0, tx, ty]
}

/// A matrix from six numbers, if they are.
pub(crate) fn matrix(items: &[Obj]) -> Option<Matrix> {
    let mut m = [0.0; 6];
    if items.len() != 6 {
        return None;
    }
    for (v, o) in m.iter_mut().zip(items) {
        *v = o.num()?;
    }
    Some(m)
}

/// A shown string: where it starts and ends on the page, its size there, its text, and
/// whether it is invisible (text render mode 3 or 7: the text layer an OCR engine lays over a
/// scanned page).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) end_x: f64,
    pub(crate) size: f64,
    pub(crate) text: String,
    pub(crate) invisible: bool,
}

/// What a content stream's fonts and forms are, in the resources it runs with.
pub(crate) trait Resources<'d> {
    /// The font named `name` in `res`.
    fn font(&mut self, res: &'d Obj, name: &[u8]) -> Rc<Font>;
    /// The form XObject named `name` in `res`: its content, resources and matrix.
    fn form(&mut self, res: &'d Obj, name: &[u8]) -> Option<(Vec<u8>, &'d Obj, Matrix)>;
}

/// The graphics state, as far as text needs it.
#[derive(Clone)]
struct State {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    scale: f64,
    leading: f64,
    /// Text render mode 3 or 7: glyphs not drawn.
    invisible: bool,
}

/// Runs content streams, collecting the strings they show, until `left` bytes of text.
pub(crate) struct Interpreter<'r, 'd> {
    resources: &'r mut dyn Resources<'d>,
    /// The strings shown, in order.
    pub(crate) runs: Vec<Run>,
    /// Bytes of text still to collect.
    pub(crate) left: usize,
}

/// A marked-content sequence: its `/ActualText`, if it has one, and whether that was given.
struct Marked {
    actual: Option<String>,
    given: bool,
}

impl<'r, 'd> Interpreter<'r, 'd> {
    /// An interpreter of streams using `resources`, collecting at most `left` bytes of text.
    pub(crate) fn new(resources: &'r mut dyn Resources<'d>, left: usize) -> Self {
        Interpreter {
            resources,
            runs: Vec::new(),
            left,
        }
    }

    /// Runs the content stream `content` with the resources `res`.
    pub(crate) fn run(&mut self, content: &[u8], res: &'d Obj) {
        let state = State {
            ctm: IDENTITY,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            invisible: false,
        };
        self.run_with(content, res, state, 0);
    }

    fn run_with(&mut self, content: &[u8], res: &'d Obj, state: State, depth: usize) {
        let mut gs = state;
        let mut saved: Vec<State> = Vec::new();
        let mut unsaved = 0usize;
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        let mut marked: Vec<Marked> = Vec::new();
        let mut unmarked = 0usize;
        let mut operands: Vec<Obj> = Vec::new();
        let mut lex = Lexer::new(content, 0);
        loop {
            if self.left == 0 {
                return;
            }
            let op = match lex.object(false) {
                Ok(v) => {
                    if operands.len() >= MAX_OPERANDS {
                        operands.clear();
                    }
                    operands.push(v);
                    continue;
                }
                Err(Some(op)) => op,
                Err(None) => {
                    // A stray `]` or `>>`, or the end.
                    if lex.at >= content.len() {
                        return;
                    }
                    operands.clear();
                    continue;
                }
            };
            let num = |k: usize| operands.get(k).and_then(Obj::num).unwrap_or(0.0);
            match op {
                b"q" => {
                    if saved.len() < MAX_SAVES {
                        saved.push(gs.clone());
                    } else {
                        unsaved += 1;
                    }
                }
                b"Q" => {
                    if unsaved > 0 {
                        unsaved -= 1;
                    } else if let Some(s) = saved.pop() {
                        gs = s;
                    }
                }
                b"cm" => {
                    if let Some(m) = matrix(&operands) {
                        gs.ctm = mul(&m, &gs.ctm);
                    }
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" => {
                    if let Some(name) = operands.first().and_then(Obj::name) {
                        gs.font = Some(self.resources.font(res, name));
                    }
                    gs.size = num(1);
                }
                b"Tc" => gs.char_spacing = num(0),
                b"Tw" => gs.word_spacing = num(0),
                b"Tz" => gs.scale = num(0) / 100.0,
                b"TL" => gs.leading = num(0),
                b"Tr" => gs.invisible = matches!(num(0), 3.0 | 7.0),
                b"Td" | b"TD" => {
                    if op == b"TD" {
                        gs.leading = -num(1);
                    }
                    tlm = mul(&translate(num(0), num(1)), &tlm);
                    tm = tlm;
                }
                b"Tm" => {
                    if let Some(m) = matrix(&operands) {
                        tlm = m;
                        tm = m;
                    }
                }
                b"T*" => {
                    tlm = mul(&translate(0.0, -gs.leading), &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" | b"TJ" => {
                    if op == b"\"" {
                        gs.word_spacing = num(0);
                        gs.char_spacing = num(1);
                    }
                    if op == b"'" || op == b"\"" {
                        tlm = mul(&translate(0.0, -gs.leading), &tlm);
                        tm = tlm;
                    }
                    let items: &[Obj] = match operands.last() {
                        Some(Obj::Array(items)) if op == b"TJ" => items,
                        Some(s @ Obj::Str(_)) if op != b"TJ" => std::slice::from_ref(s),
                        _ => &[],
                    };
                    self.show(items, &gs, &mut tm, &mut marked);
                }
                b"BMC" | b"BDC" if marked.len() >= MAX_MARKED => unmarked += 1,
                b"BMC" => marked.push(Marked {
                    actual: None,
                    given: false,
                }),
                b"BDC" => {
                    let actual = operands
                        .get(1)
                        .and_then(|p| p.get(b"ActualText"))
                        .and_then(|t| match t {
                            Obj::Str(s) => Some(text_string(s)),
                            _ => None,
                        });
                    marked.push(Marked {
                        actual,
                        given: false,
                    });
                }
                b"EMC" => {
                    if unmarked > 0 {
                        unmarked -= 1;
                    } else {
                        marked.pop();
                    }
                }
                b"Do" => {
                    let name = operands.first().and_then(Obj::name).map(<[u8]>::to_vec);
                    if let Some(name) = name.filter(|_| depth + 1 < MAX_FORM_DEPTH)
                        && let Some((form, form_res, m)) = self.resources.form(res, &name)
                    {
                        let mut inner = gs.clone();
                        inner.ctm = mul(&m, &gs.ctm);
                        self.run_with(&form, form_res, inner, depth + 1);
                    }
                }
                b"BI" => skip_inline_image(&mut lex),
                _ => {}
            }
            operands.clear();
        }
    }

    /// Shows the strings of `items` (numbers between them move back, in thousandths of the
    /// font size) as one run.
    fn show(&mut self, items: &[Obj], gs: &State, tm: &mut Matrix, marked: &mut [Marked]) {
        let unknown;
        let font: &Font = match &gs.font {
            Some(f) => f,
            None => {
                unknown = Font::unknown();
                &unknown
            }
        };
        // An `/ActualText` stands for the strings shown inside its sequence: given once.
        let actual = marked.iter_mut().rev().find(|m| m.actual.is_some());
        let mute = actual.is_some();
        let mut text = String::new();
        if let Some(m) = actual
            && !m.given
        {
            m.given = true;
            text.push_str(m.actual.as_deref().unwrap_or_default());
        }
        let start = mul(tm, &gs.ctm);
        for item in items {
            match item {
                Obj::Str(bytes) => {
                    let shown = font.show(bytes, mute, &mut text);
                    let tx = (f64::from(shown.width) / 1000.0 * gs.size
                        + gs.char_spacing * shown.codes as f64
                        + gs.word_spacing * shown.spaces as f64)
                        * gs.scale;
                    *tm = mul(&translate(tx, 0.0), tm);
                }
                Obj::Num(n) => {
                    // A move back of more than a fifth of the font size is a space.
                    if *n < -200.0 && !mute && !text.is_empty() && !text.ends_with(' ') {
                        text.push(' ');
                    }
                    *tm = mul(&translate(-n / 1000.0 * gs.size * gs.scale, 0.0), tm);
                }
                _ => {}
            }
        }
        let mut end = mul(tm, &gs.ctm)[4];
        if text.trim().is_empty() {
            return;
        }
        if gs.invisible {
            end = ocr_word(&mut text, start[4], end);
        }
        text.truncate(floor_char_boundary(&text, self.left));
        self.left -= text.len();
        self.runs.push(Run {
            x: start[4],
            y: start[5],
            end_x: end,
            size: (gs.size * start[2].hypot(start[3])).abs(),
            text,
            invisible: gs.invisible,
        });
    }
}

fn floor_char_boundary(s: &str, n: usize) -> usize {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

/// Steps over an inline image's data (after `BI`, its dictionary, `ID`, up to `EI`).
fn skip_inline_image(lex: &mut Lexer<'_>) {
    while let Some(t) = lex.token() {
        if t == Token::Keyword(b"ID") {
            break;
        }
    }
    let data = lex.bytes.get(lex.at..).unwrap_or_default();
    let mut from = 0;
    while let Some(k) = memchr::memmem::find(&data[from..], b"EI") {
        let at = from + k;
        let before = at == 0 || data[at - 1].is_ascii_whitespace();
        let after = data.get(at + 2).is_none_or(|b| b.is_ascii_whitespace());
        if before && after {
            lex.at += at + 2;
            return;
        }
        from = at + 2;
    }
    lex.at = lex.bytes.len();
}

/// An invisible string (an OCR engine's word over a scanned page, from `x` to `end`) made
/// text: the space an engine ends each word with is dropped, and the end moved back to where
/// that space began (counted in characters: an OCR layer's font has glyphs of one width,
/// stretched over the word), which is returned; a space between Japanese characters or digits
/// (`ヤマ グチ`, `1968 年`), where an engine that splits Japanese text into words puts one, is
/// dropped too.
fn ocr_word(text: &mut String, x: f64, end: f64) -> f64 {
    let chars = text.chars().count();
    let kept = text.trim_end().chars().count();
    text.truncate(text.trim_end().len());
    if text.contains(' ') {
        *text = without_ocr_spaces(text);
    }
    x + (end - x) * kept as f64 / chars.max(1) as f64
}

/// `text` without the spaces [`ocr_word`] drops: those with a Japanese character on one side
/// and no Latin letter on the other.
fn without_ocr_spaces(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (k, &c) in chars.iter().enumerate() {
        if c == ' ' && k > 0 && k + 1 < chars.len() && ocr_joined(chars[k - 1], chars[k + 1]) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Whether a space an OCR engine put between `a` and `b` is no space in the text: one is
/// Japanese (not ASCII) and the other is no Latin letter.
fn ocr_joined(a: char, b: char) -> bool {
    (!a.is_ascii() || !b.is_ascii()) && !a.is_ascii_alphabetic() && !b.is_ascii_alphabetic()
}

/// Where a run is against the one before it.
enum Move {
    /// On the same line, this far (page units) after the end of the one before.
    Same(f64),
    /// Higher up.
    Up,
    /// Lower down, by this much.
    Down(f64),
}

fn relation(p: &Run, r: &Run) -> Move {
    let s = size(p, r);
    let dy = p.y - r.y;
    if dy.abs() < 0.3 * s {
        Move::Same(r.x - p.end_x)
    } else if dy < 0.0 {
        Move::Up
    } else {
        Move::Down(dy)
    }
}

/// The size two runs are measured against: the larger of theirs (a point at least).
fn size(p: &Run, r: &Run) -> f64 {
    p.size.max(r.size).max(1.0)
}

/// Whether, after `runs[i]` (a line below `runs[i - 1]`), the text goes on down a line at a
/// time and then up: the lines of one table cell, before the row's next cell.
fn wraps_in_cell(runs: &[Run], i: usize) -> bool {
    for j in i + 1..runs.len().min(i + CELL_LOOKAHEAD) {
        let (p, r) = (&runs[j - 1], &runs[j]);
        match relation(p, r) {
            Move::Same(_) => {}
            Move::Down(dy) if dy <= 1.7 * size(p, r) => {}
            Move::Up => return true,
            Move::Down(_) => return false,
        }
    }
    false
}

/// Whether `r`'s first word (a Latin word, or a character) would not have fitted after `p`
/// on its line, the page's text reaching `right`: `p`'s line was full, and wrapped.
fn wrapped(p: &Run, r: &Run, right: f64, s: f64) -> bool {
    let chars = r.text.chars().count().max(1) as f64;
    let word = match r.text.chars().next() {
        Some(c) if c.is_ascii_alphanumeric() => {
            r.text.chars().take_while(|c| !c.is_whitespace()).count() as f64
        }
        _ => 1.0,
    };
    p.end_x + (r.end_x - r.x) * word / chars > right - s
}

/// Whether one of the characters either side of a join is not ASCII (Japanese text, where a
/// gap between strings is spacing, not a space).
fn wide_join(before: &str, after: &str) -> bool {
    let wide = |c: Option<char>| c.is_some_and(|c| !c.is_ascii());
    wide(before.chars().next_back()) || wide(after.chars().next())
}

/// The separators of values in `text` (a dump's: commas without a space after them, as prose
/// writes them, or bars), `text` following one that ended with `before`. A line with two is a
/// row of a dump, not joined to the next.
fn separators(before: Option<char>, text: &str) -> usize {
    let mut n = 0;
    let mut prev = before;
    for c in text.chars() {
        if c == '|' || (prev == Some(',') && c != ' ') {
            n += 1;
        }
        prev = Some(c);
    }
    n
}

/// Appends the text of a page `width` wide (its media box's) to `out`, as lines (see the module
/// documentation).
pub(crate) fn layout(runs: &[Run], width: f64, out: &mut String) {
    let right = runs.iter().map(|r| r.end_x).fold(f64::MIN, f64::max);
    // The page's text reaches its right margin when paragraphs wrap there: a page of short
    // lines (a list) has none to wrap at.
    let margin = (right >= 0.6 * width).then_some(right);
    // The separators of values on the line so far (counted as it grows: a line can be long).
    let mut separated = 0;
    let mut row = false;
    let mut segment_x = runs.first().map_or(0.0, |r| r.x);
    for (i, r) in runs.iter().enumerate() {
        if let Some(p) = i.checked_sub(1).map(|k| &runs[k]) {
            let s = size(p, r);
            let space = |out: &mut String| {
                if !out.ends_with(char::is_whitespace) && !r.text.starts_with(char::is_whitespace) {
                    out.push(' ');
                }
            };
            match relation(p, r) {
                // An OCR engine's words on one line of its own: its words' boxes are rough
                // (they overlap, or leave gaps inside Japanese text a character wide), so only
                // a gap of two characters is the next cell; the words are otherwise joined, a
                // space apart only beside a Latin word (see [`ocr_word`]).
                Move::Same(gap)
                    if p.invisible && r.invisible && (-2.0 * s..=2.0 * s).contains(&gap) =>
                {
                    let joined = match (out.chars().next_back(), r.text.chars().next()) {
                        (Some(a), Some(b)) => ocr_joined(a, b),
                        _ => true,
                    };
                    if !joined {
                        space(out);
                    }
                }
                // A gap wider than a word space (a cell's padding), or a string placed before
                // the one before it: the next cell.
                Move::Same(gap) if gap > 0.4 * s || gap < -s => {
                    out.push('\t');
                    row = true;
                    segment_x = r.x;
                }
                Move::Same(gap) if gap > 0.25 * s => space(out),
                // Between Japanese and Latin text, writers set a narrow gap (LibreOffice's
                // Asian-Western spacing): no space.
                Move::Same(gap) if gap > 0.1 * s && !wide_join(out, &r.text) => space(out),
                Move::Same(_) => {}
                Move::Up => {
                    out.push('\t');
                    row = true;
                    segment_x = r.x;
                }
                Move::Down(dy)
                    if dy <= 1.7 * s
                        && (r.x - segment_x).abs() <= s
                        && (row
                            || wraps_in_cell(runs, i)
                            || margin
                                .is_some_and(|right| wrapped(p, r, right, s) && separated < 2)) =>
                {
                    if !wide_join(out, &r.text) && !out.ends_with(['-', '/']) {
                        space(out);
                    }
                }
                Move::Down(_) => {
                    out.push('\n');
                    separated = 0;
                    row = false;
                    segment_x = r.x;
                }
            }
        }
        separated += separators(out.chars().next_back(), &r.text);
        out.push_str(&r.text);
    }
    if !runs.is_empty() {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: f64, y: f64, text: &str) -> Run {
        // Twelve-point text, each character half the size wide (Latin) or the size (others).
        let width: f64 = text
            .chars()
            .map(|c| if c.is_ascii() { 6.0 } else { 12.0 })
            .sum();
        Run {
            x,
            y,
            end_x: x + width,
            size: 12.0,
            text: text.to_owned(),
            invisible: false,
        }
    }

    fn laid_out(runs: &[Run]) -> String {
        let mut out = String::new();
        // Wide enough for the lines below to reach its right margin.
        layout(runs, 400.0, &mut out);
        out
    }

    #[test]
    fn an_ocr_engine_s_words_lose_the_spaces_japanese_text_has_not() {
        for (shown, text) in [
            ("山口 ", "山口"),
            ("ヤマ グチ ", "ヤマグチ"),
            ("1968 年 9 月 ", "1968年9月"),
            ("090-6682- 8625 ", "090-6682- 8625"),
            ("Room 5 号 ", "Room 5号"),
            ("東京 Tower ", "東京 Tower"),
            ("   ", ""),
        ] {
            let mut t = shown.to_owned();
            let end = ocr_word(&mut t, 10.0, 10.0 + 6.0 * shown.chars().count() as f64);
            assert_eq!(t, text, "{shown:?}");
            // The end is where the trailing space started.
            let kept = shown.trim_end().chars().count() as f64;
            assert!((end - (10.0 + 6.0 * kept)).abs() < 1e-9, "{shown:?}");
        }
    }

    #[test]
    fn an_ocr_engine_s_words_are_joined_and_its_lines_are_rows() {
        let ocr = |x: f64, y: f64, text: &str| Run {
            invisible: true,
            ..run(x, y, text)
        };
        // Boxes that overlap or leave a character's gap inside a cell; a cell's two lines, the
        // next cell higher up; two Latin words; a gap of three characters between two cells.
        let runs = [
            ocr(50.0, 700.0, "山口"),
            ocr(70.0, 700.0, "大"),
            ocr(90.0, 700.0, "介"),
            ocr(150.0, 707.0, "ヤマ"),
            ocr(150.0, 693.0, "グチ"),
            ocr(250.0, 707.0, "Yamaguchi"),
            ocr(310.0, 707.0, "Daisuke"),
            ocr(400.0, 707.0, "1968"),
        ];
        assert_eq!(
            laid_out(&runs),
            "山口大介\tヤマグチ\tYamaguchi Daisuke\t1968\n"
        );
    }

    #[test]
    fn strings_on_a_line_follow_on_or_are_set_apart() {
        // Letters placed one by one, a word space, a wide gap (a cell's padding).
        let runs = [
            run(50.0, 700.0, "Y"),
            run(56.0, 700.0, "amaguchi"),
            run(107.5, 700.0, "Daisuke"),
            run(160.0, 700.0, "1968/9/18"),
        ];
        assert_eq!(laid_out(&runs), "Yamaguchi Daisuke\t1968/9/18\n");
        // Japanese and Latin text set a little apart (Asian-Western spacing): no space.
        let runs = [
            run(50.0, 700.0, "1968"),
            run(76.4, 700.0, "年"),
            run(90.8, 700.0, "9"),
            run(99.2, 700.0, "月"),
        ];
        assert_eq!(laid_out(&runs), "1968年9月\n");
    }

    #[test]
    fn a_table_row_is_a_line_of_cells() {
        // A row of single-line cells, and the next row a line below.
        let runs = [
            run(50.0, 700.0, "山口 大介"),
            run(150.0, 700.0, "1968/9/18"),
            run(250.0, 700.0, "尼崎市東七松町1-23-4"),
            run(50.0, 686.0, "前田 花子"),
            run(150.0, 686.0, "1970/1/2"),
        ];
        assert_eq!(
            laid_out(&runs),
            "山口 大介\t1968/9/18\t尼崎市東七松町1-23-4\n前田 花子\t1970/1/2\n"
        );
    }

    #[test]
    fn a_cell_s_lines_are_joined_cell_by_cell() {
        // LibreOffice's order: a cell's lines, then up to the next cell; the last cell's
        // address wrapped; the next row well below.
        let runs = [
            run(50.0, 700.0, "山口"),
            run(50.0, 686.0, "大介"),
            run(150.0, 700.0, "1968/9/18"),
            run(250.0, 700.0, "兵庫県尼崎市東七松"),
            run(250.0, 686.0, "町1丁目23番4号"),
            run(50.0, 650.0, "前田 花子"),
            run(150.0, 650.0, "S45.1.2"),
        ];
        assert_eq!(
            laid_out(&runs),
            "山口大介\t1968/9/18\t兵庫県尼崎市東七松町1丁目23番4号\n前田 花子\tS45.1.2\n"
        );
    }

    #[test]
    fn a_paragraph_wrapped_at_the_right_edge_is_joined_a_list_is_not() {
        let runs = [
            run(50.0, 700.0, "連絡先は兵庫県尼崎市東七松町一丁目"),
            run(50.0, 686.0, "二十三番四号、山口大介まで。"),
            run(50.0, 660.0, "山口 大介 1968/9/18"),
            run(50.0, 646.0, "前田 花子 1970/1/2"),
            run(50.0, 632.0, "Call 06 1234"),
            run(50.0, 618.0, "5678 now"),
        ];
        assert_eq!(
            laid_out(&runs),
            "連絡先は兵庫県尼崎市東七松町一丁目二十三番四号、山口大介まで。\n\
             山口 大介 1968/9/18\n前田 花子 1970/1/2\nCall 06 1234\n5678 now\n"
        );
        // Latin text wrapped at the right edge is joined with a space.
        let runs = [
            run(50.0, 700.0, "Contact Daisuke Yamaguchi at 06 1234"),
            run(50.0, 686.0, "5678"),
        ];
        assert_eq!(
            laid_out(&runs),
            "Contact Daisuke Yamaguchi at 06 1234 5678\n"
        );
        // A line that ends short of the edge, because the next word was too long for it.
        let runs = [
            run(50.0, 700.0, "Contact Daisuke Yamaguchi at 1-23-4 Higashi"),
            run(50.0, 686.0, "Nanamatsucho, Amagasaki"),
            run(50.0, 672.0, "Phone list"),
        ];
        assert_eq!(
            laid_out(&runs),
            "Contact Daisuke Yamaguchi at 1-23-4 Higashi Nanamatsucho, Amagasaki\nPhone list\n"
        );
        // Lines of about the same length, none near the page's right margin: a list.
        let runs = [
            run(50.0, 700.0, "山口 大介 1968/9/18"),
            run(50.0, 686.0, "前田 花子 1970/1/2"),
        ];
        let mut out = String::new();
        layout(&runs, 595.0, &mut out);
        assert_eq!(out, "山口 大介 1968/9/18\n前田 花子 1970/1/2\n");
        // Separated values are rows, even when they reach the margin.
        let runs = [
            run(50.0, 700.0, "山口,大介,1968/9/18,尼崎市東七松町1-23-4"),
            run(50.0, 686.0, "前田,花子,1970/1/2"),
        ];
        assert_eq!(
            laid_out(&runs),
            "山口,大介,1968/9/18,尼崎市東七松町1-23-4\n前田,花子,1970/1/2\n"
        );
    }

    #[test]
    fn matrices() {
        let m = mul(&translate(10.0, 20.0), &[2.0, 0.0, 0.0, 2.0, 5.0, 5.0]);
        assert_eq!(m, [2.0, 0.0, 0.0, 2.0, 25.0, 45.0]);
        assert_eq!(matrix(&[Obj::Num(1.0)]), None);
    }
}
