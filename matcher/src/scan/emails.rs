//! E-mail addresses written to dodge address harvesters: `name[at]example.com`,
//! `name (at) example (dot) com`, `name（アットマーク）example.com` (full-width brackets fold to
//! ASCII), `name<at>example.com`, `name★example.com` (Japanese pages ask the reader to put the
//! `@` back), `name@example[.]com`, `name at example dot com`; and percent-encoded in a URL or
//! a form post, `name%40example.com`. Pass 1 reads every plain `@`; these are read in pass 3 of
//! a block that has a hit (an e-mail address alone is a low finding, which a scan does not
//! report by default), and looked up as pass 1's strong candidates are.

use super::BlockScan;
use fingerprints::FieldKind;

/// Characters of an address's local part, at most (as pass 1 reads them).
const MAX_LOCAL_CHARS: usize = 64;
/// Characters of an address's domain, at most, markers included.
const MAX_DOMAIN_CHARS: usize = 255;
/// Hits' windows beyond which a block is searched whole rather than window by window.
const MANY_WINDOWS: usize = 64;

impl BlockScan<'_> {
    /// Pass 3's hits of e-mail addresses written with an `[at]`, a `★`, a `[dot]`, an ` at `
    /// or a `%40` for their `@` or dots, appended to `self.hits`. Markers are looked for
    /// inside `windows` (the block's hits' windows: an address elsewhere could not join a
    /// finding); stars, which folding notes, in the whole block.
    #[inline(never)]
    pub(super) fn obfuscated_emails(&mut self, windows: &[(usize, usize, bool)]) {
        let bytes = self.block.as_bytes();
        // The windows as one sorted set of ranges of the block's bytes; where there are many
        // (a dump, whose hits' rows cover it), the whole block.
        let whole = windows.len() > MANY_WINDOWS;
        let mut ranges: Vec<(usize, usize)> = if whole {
            vec![(0, bytes.len())]
        } else {
            windows
                .iter()
                .map(|&(ws, we, _)| (self.t.source_start(ws), self.t.source_start(we)))
                .collect()
        };
        ranges.sort_unstable();
        // Merged (windows overlap: in a dump, every row's hits share it), then searched.
        let mut starts: Vec<usize> = Vec::new();
        let mut open: Option<(usize, usize)> = None;
        for (a, b) in ranges {
            let b = b.min(bytes.len());
            match open {
                Some((oa, ob)) if a <= ob => open = Some((oa, ob.max(b))),
                _ => {
                    if let Some((oa, ob)) = open {
                        markers_in(bytes, (oa, ob), whole, &mut starts);
                    }
                    open = Some((a, b));
                }
            }
        }
        if let Some((oa, ob)) = open {
            markers_in(bytes, (oa, ob), whole, &mut starts);
        }
        // By folded character; stars, which folding notes, too.
        let mut markers: Vec<usize> = starts
            .into_iter()
            .filter_map(|b| self.t.char_at_byte(b))
            .collect();
        if self.t.stars {
            let chars = &self.t.chars;
            markers.extend((0..chars.len()).filter(|&k| matches!(chars[k], '★' | '☆')));
        }
        if markers.is_empty() {
            return;
        }
        markers.sort_unstable();
        let chars = &self.t.chars;
        // The end of the last address read: a `[dot]` inside it is not read again.
        let mut done = 0;
        let mut found = Vec::new();
        for k in markers {
            if k < done {
                continue;
            }
            let at = if let Some(end) = at_marker(chars, k) {
                Some((k, end))
            } else if dot_marker(chars, k).is_some() {
                // A `[dot]` in the domain after a plain `@` (which pass 1 could not read).
                plain_at_before(chars, k).map(|a| (a, a + 1))
            } else {
                None
            };
            if let Some((a, e)) = at
                && let Some((start, end, address)) = email_around(chars, a, e)
            {
                done = end;
                found.push((start, end, address));
            }
        }
        for (start, end, address) in found {
            self.strong(FieldKind::Email, &address, start, end);
        }
        self.look_up_strong();
    }
}

/// Where a marker may start in `bytes[a..b]`, by byte searches: an opening bracket followed
/// by what a marker's word starts with, or a `%40`; and unless the block is searched `whole`
/// (a dump, whose rows store addresses plain), the same after a full-width bracket, or a
/// space before `at` and a space. Appended to `starts` (byte offsets in `bytes`).
fn markers_in(bytes: &[u8], (a, b): (usize, usize), whole: bool, starts: &mut Vec<usize>) {
    if a >= b {
        return;
    }
    let window = &bytes[a..b];
    starts.extend(
        memchr::memchr3_iter(b'[', b'(', b'{', window)
            .map(|k| a + k)
            .filter(|&k| may_open_marker(&bytes[k + 1..])),
    );
    starts.extend(
        memchr::memchr3_iter(b'<', b'%', b'&', window)
            .map(|k| a + k)
            .filter(|&k| match bytes[k] {
                b'<' => may_open_marker(&bytes[k + 1..]),
                b'%' => bytes[k + 1..].starts_with(b"40"),
                _ => matches!(
                    bytes[k + 1..],
                    [b'#', b'6', b'4', b';', ..] | [b'#', b'x' | b'X', b'4', b'0', b';', ..]
                ),
            }),
    );
    if whole {
        return;
    }
    // Full-width brackets (`（` `［` `＜` `｛`) and `at` between spaces: rare bytes in Japanese
    // text, and in English text's few windows.
    starts.extend(
        memchr::memchr2_iter(0xEF, b' ', window)
            .map(|k| a + k)
            .filter(|&k| match bytes[k..] {
                [0xEF, 0xBC, 0x88 | 0xBB | 0x9C, ref rest @ ..]
                | [0xEF, 0xBD, 0x9B, ref rest @ ..] => may_open_marker(rest),
                // `at`, `アット`, `あっと`.
                [b' ', b'a' | b'A', b't' | b'T', b' ', ..]
                | [b' ', 0xE3, 0x82, 0xA2, ..]
                | [b' ', 0xE3, 0x81, 0x82, ..] => true,
                _ => false,
            }),
    );
}

/// Whether the bytes after an opening bracket may start a marker: a space, `a` `d` `@` `.`
/// (either case), or a three-byte character of kana (`アット`, `あっと`, `ドット`) or full
/// width (`ａｔ`).
#[inline]
fn may_open_marker(rest: &[u8]) -> bool {
    matches!(
        rest.first(),
        Some(b' ' | b'a' | b'A' | b'd' | b'D' | b'@' | b'.' | 0xE3 | 0xEF)
    )
}

/// The bracket that closes `open` (folded: full-width brackets are ASCII).
fn closing(open: char) -> Option<char> {
    match open {
        '[' => Some(']'),
        '(' => Some(')'),
        '{' => Some('}'),
        '<' => Some('>'),
        _ => None,
    }
}

/// The word `word` between two spaces at `chars[k]`, the first space's place (`name at
/// example dot com`): where the second space ends.
fn spaced(chars: &[char], k: usize, word: &str) -> Option<usize> {
    let n = word.chars().count();
    let ok = chars.get(k) == Some(&' ')
        && chars
            .get(k + 1..k + 1 + n)?
            .iter()
            .copied()
            .eq(word.chars())
        && chars.get(k + 1 + n) == Some(&' ');
    ok.then_some(k + n + 2)
}

/// A word in brackets at `chars[k]` (folded: `[at]`, `( at )`, `(アット)`), one of `words`:
/// where the marker ends.
fn bracketed(chars: &[char], k: usize, words: &[&str]) -> Option<usize> {
    let close = closing(*chars.get(k)?)?;
    let mut i = k + 1;
    i += usize::from(chars.get(i) == Some(&' '));
    let word = words.iter().find_map(|w| {
        let n = w.chars().count();
        let here = chars.get(i..i + n)?;
        here.iter().copied().eq(w.chars()).then_some(n)
    })?;
    i += word;
    i += usize::from(chars.get(i) == Some(&' '));
    (chars.get(i) == Some(&close)).then_some(i + 1)
}

/// An `@` written to dodge harvesters at `chars[k]`: `[at]`, `(at)`, `{at}`, `<at>`, `[@]`,
/// `(アット)`, `(アットマーク)` (hiragana folds to katakana), a star, ` at ` or ` アット `
/// between spaces; or escaped, `%40`, `&#64;`. Where it ends.
fn at_marker(chars: &[char], k: usize) -> Option<usize> {
    match chars.get(k)? {
        '★' | '☆' => Some(k + 1),
        ' ' => ["at", "アットマーク", "アット"]
            .iter()
            .find_map(|w| spaced(chars, k, w)),
        '%' => (chars.get(k + 1..k + 3)? == ['4', '0']).then_some(k + 3),
        // A character reference in text that is no HTML page: `&#64;`, `&#x40;`.
        '&' => ["#64;", "#x40;"].iter().find_map(|r| {
            let n = r.len();
            chars
                .get(k + 1..k + 1 + n)?
                .iter()
                .copied()
                .eq(r.chars())
                .then_some(k + 1 + n)
        }),
        _ => bracketed(chars, k, &["at", "@", "アットマーク", "アット"]),
    }
}

/// A dot written to dodge harvesters at `chars[k]`: `[dot]`, `(dot)`, `[.]`, `(ドット)`. Where
/// it ends.
fn dot_marker(chars: &[char], k: usize) -> Option<usize> {
    bracketed(chars, k, &["dot", ".", "ドット"])
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// The plain `@` right before the domain characters that end at `k` (`name@example[.]com`).
fn plain_at_before(chars: &[char], k: usize) -> Option<usize> {
    let mut a = k;
    while a > 0 && k - a < MAX_DOMAIN_CHARS && is_domain(chars[a - 1]) {
        a -= 1;
    }
    (a > 0 && chars[a - 1] == '@').then(|| a - 1)
}

/// The address whose `@` is written as `chars[a..e]`: the local part before it and the domain
/// after it (a space on either side of a marker allowed, dots in the domain written plain or
/// as markers, or as ` dot ` after an ` at `). Its span and its canonical form (`name@example.com`, folded: lower case).
fn email_around(chars: &[char], a: usize, e: usize) -> Option<(usize, usize, String)> {
    let spaced_at = chars[a] == ' ';
    let mut l = a;
    if l > 0 && chars[l - 1] == ' ' && e - a > 1 {
        l -= 1;
    }
    let local_end = l;
    while l > 0 && local_end - l < MAX_LOCAL_CHARS && is_local(chars[l - 1]) {
        l -= 1;
    }
    if l == local_end {
        return None;
    }
    let mut address: String = chars[l..local_end].iter().collect();
    address.push('@');
    let mut i = e;
    if chars.get(i) == Some(&' ') && e - a > 1 {
        i += 1;
    }
    let domain_start = address.len();
    // Where the domain read so far ends (past its last letter or digit).
    let mut end = i;
    while i < chars.len() && i - e < MAX_DOMAIN_CHARS {
        let c = chars[i];
        if is_domain(c) {
            address.push(c);
            i += 1;
            if c != '.' {
                end = i;
            }
            continue;
        }
        // A dot marker, with a space on either side (`example [dot] com`), or after an `at`
        // between spaces, a `dot` between spaces.
        let m = i + usize::from(c == ' ');
        let spaced_dot = || {
            ["dot", "ドット"]
                .iter()
                .find_map(|w| spaced(chars, i, w))
                .filter(|_| spaced_at)
        };
        match dot_marker(chars, m).or_else(spaced_dot) {
            Some(after) => {
                address.push('.');
                i = after + usize::from(chars.get(after) == Some(&' '));
            }
            None => break,
        }
    }
    while address.ends_with('.') {
        address.pop();
    }
    let domain = &address[domain_start..];
    let ok = !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.contains("..");
    ok.then_some((l, end, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The address read around the first marker of `page` (folded as the matcher folds it).
    fn read(page: &str) -> Option<String> {
        let chars: Vec<char> = fingerprints::normalize::fold_str(page).chars().collect();
        (0..chars.len()).find_map(|k| {
            let (a, e) = match at_marker(&chars, k) {
                Some(e) => (k, e),
                None => {
                    dot_marker(&chars, k)?;
                    let a = plain_at_before(&chars, k)?;
                    (a, a + 1)
                }
            };
            email_around(&chars, a, e).map(|(_, _, address)| address)
        })
    }

    #[test]
    fn addresses_written_to_dodge_harvesters() {
        for (page, want) in [
            ("dsk.yamaguchi[at]example.com", "dsk.yamaguchi@example.com"),
            (
                "dsk.yamaguchi [at] example.com",
                "dsk.yamaguchi@example.com",
            ),
            (
                "dsk.yamaguchi(at)example.co.jp",
                "dsk.yamaguchi@example.co.jp",
            ),
            (
                "dsk.yamaguchi (AT) example (DOT) com",
                "dsk.yamaguchi@example.com",
            ),
            (
                "dsk.yamaguchi{at}example{dot}com",
                "dsk.yamaguchi@example.com",
            ),
            (
                "dsk.yamaguchi[ at ]example[ dot ]com",
                "dsk.yamaguchi@example.com",
            ),
            ("dsk.yamaguchi[@]example.com", "dsk.yamaguchi@example.com"),
            ("dsk.yamaguchi★example.com", "dsk.yamaguchi@example.com"),
            (
                "メール：dsk.yamaguchi☆example.com まで",
                "dsk.yamaguchi@example.com",
            ),
            (
                "dsk.yamaguchi(アットマーク)example.com",
                "dsk.yamaguchi@example.com",
            ),
            (
                "dsk.yamaguchi(あっと)example(どっと)com",
                "dsk.yamaguchi@example.com",
            ),
            ("dsk.yamaguchi@example[.]com", "dsk.yamaguchi@example.com"),
            (
                "dsk.yamaguchi@example(dot)co(dot)jp",
                "dsk.yamaguchi@example.co.jp",
            ),
            (
                "ＤＳＫ．ＹＡＭＡＧＵＣＨＩ［ａｔ］ＥＸＡＭＰＬＥ．ＣＯＭ",
                "dsk.yamaguchi@example.com",
            ),
            (
                "mail: dsk.yamaguchi[at]example.com.",
                "dsk.yamaguchi@example.com",
            ),
            (
                "dsk.yamaguchi（アットマーク）example.com",
                "dsk.yamaguchi@example.com",
            ),
            ("dsk.yamaguchi<at>example.com", "dsk.yamaguchi@example.com"),
            (
                "dsk.yamaguchi＜ａｔ＞example.com",
                "dsk.yamaguchi@example.com",
            ),
            (
                "mail dsk.yamaguchi at example dot com",
                "dsk.yamaguchi@example.com",
            ),
            (
                "DSK.YAMAGUCHI AT EXAMPLE DOT CO DOT JP",
                "dsk.yamaguchi@example.co.jp",
            ),
            (
                "write to dsk.yamaguchi at example.com",
                "dsk.yamaguchi@example.com",
            ),
            (
                "mailto:dsk.yamaguchi%40example.com",
                "dsk.yamaguchi@example.com",
            ),
            (
                "email=dsk.yamaguchi%40example.com&tel=090",
                "dsk.yamaguchi@example.com",
            ),
            (
                "dsk.yamaguchi アット example ドット com",
                "dsk.yamaguchi@example.com",
            ),
            (
                "dsk.yamaguchi あっとまーく example.com",
                "dsk.yamaguchi@example.com",
            ),
            ("dsk.yamaguchi&#64;example.com", "dsk.yamaguchi@example.com"),
            (
                "dsk.yamaguchi&#X40;example.com",
                "dsk.yamaguchi@example.com",
            ),
        ] {
            assert_eq!(read(page).as_deref(), Some(want), "{page}");
        }
        for page in [
            // No domain with a dot, no local part, or no marker.
            "meet me [at] noon",
            "the value (at) index",
            "[at]example.com",
            "dsk.yamaguchi[at]",
            "dsk.yamaguchi[at]localhost",
            "dsk.yamaguchi[at)example.com",
            "dsk.yamaguchi[attic]example.com",
            "dsk.yamaguchi★",
            "example[.]com",
            "f(a)(dot)g",
            "dsk.yamaguchi[at]example[.][.]com",
            // Plain words: a domain with a dot, and `dot` only after an `at` between spaces.
            "meet me at noon",
            "dsk.yamaguchi at example dot",
            "dsk.yamaguchi[at]example dot com",
            "dsk.yamaguchi%41example.com",
            "100%40 of it",
            "a&#64 b.com",
            "dsk.yamaguchi アットexample.com",
        ] {
            assert_eq!(read(page), None, "{page}");
        }
    }
}
