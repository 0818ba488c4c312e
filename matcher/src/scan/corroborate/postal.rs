//! Addresses written by postal code and block numbers, without their town in the register's
//! script: in Latin letters (`2-8-2 Minamitakeya-cho, Amagasaki, Hyogo 660-0875`, `2 Chome-8-2
//! Minamitakeyacho`), as English-language pages and shipping labels write them.
//!
//! The bundle keeps the towns each postal code's records live in (keyed, see
//! `Bundle::postal_towns`). Where a page has a postal code written as one that no kanji or kana
//! follows (a Japanese address writes its town right after it, and is walked from the town in
//! pass 2), the block numbers near it that no kanji or kana precedes (nor a town in kanji,
//! walked in pass 2 too) are walked in the token trie from each of those towns, as if the town
//! were written before them. A resident's whole address found so is a hit like any other: the
//! postal code stands for the town.

use fingerprints::FieldKind;

use super::{Lines, Weak};
use crate::scan::{BlockScan, Hit};

/// Characters either side of a postal code where its block numbers are looked for.
const REACH: usize = 160;
/// Lines above a postal code's own (outside table rows) where its block numbers may be: an
/// address written over several lines (`2-8-2 Minamitakeya-cho` over `Amagasaki-shi, Hyogo
/// 660-0875`); one line below.
const LINES_ABOVE: usize = 2;
/// Most block numbers read in one run (`2-8-2-301`: a room after the house number).
const MAX_NUMBERS: usize = 4;

/// A run of block numbers at `start`: `numbers[..count]`, the `k`-th ending at `ends[k]`.
struct BlockRun {
    start: usize,
    numbers: [u32; MAX_NUMBERS],
    ends: [usize; MAX_NUMBERS],
    count: usize,
}

impl BlockScan<'_> {
    /// Pass 3's first step: the hits of addresses written by postal code and block numbers
    /// (see the module docs), appended to `self.hits`.
    pub(super) fn addresses_by_postal_code(&mut self, postals: &[Weak], lines: &mut Lines<'_>) {
        let bundle = &self.m.bundle;
        let chars = &self.t.chars;
        let mut towns: Vec<u32> = Vec::new();
        // The addresses pass 2 walked (their ends and records), sorted, made at the first
        // address found here: not found again (a postal code after an address).
        let mut walked: Option<Vec<(usize, usize)>> = None;
        for p in postals {
            if !written_as_postal_code(chars, p) || town_follows(chars, p.end) {
                continue;
            }
            towns.clear();
            towns.extend(bundle.postal_towns(p.canonical()));
            if towns.is_empty() {
                continue;
            }
            let (from, to) = self.region(p, lines);
            // Block numbers start where pass 1 saw a run of digits start.
            let mut at = self
                .candidate_buffers
                .digit_runs
                .partition_point(|&r| r < from);
            let mut free = from;
            while let Some(&k) = self
                .candidate_buffers
                .digit_runs
                .get(at)
                .filter(|&&k| k < to)
            {
                at += 1;
                if k < free || (p.start..p.end).contains(&k) {
                    continue;
                }
                let Some(run) = block_run(chars, k, to) else {
                    continue;
                };
                free = run.ends[run.count - 1];
                if run.count >= 2 {
                    for &town in &towns {
                        self.walk_numbers(town, &run, &mut walked);
                    }
                }
            }
        }
    }

    /// Where the block numbers of postal code `p` may be: its line, and in prose or a letter
    /// (not a table row) the lines around it, within [`REACH`] characters.
    fn region(&self, p: &Weak, lines: &mut Lines<'_>) -> (usize, usize) {
        let chars = &self.t.chars;
        let breaks = &self.t.breaks;
        let near = (
            p.start.saturating_sub(REACH),
            (p.end + REACH).min(chars.len()),
        );
        if let (Some(ls), Some(le)) = lines.around(p.start, p.end)
            && lines.is_row(chars, ls, le)
        {
            return (ls.max(near.0), le.min(near.1));
        }
        // The line breaks before and after the postal code.
        let b = breaks.partition_point(|&x| x < p.start);
        let from = b
            .checked_sub(LINES_ABOVE + 1)
            .map_or(0, |j| breaks[j] + 1)
            .max(near.0);
        let to = breaks
            .get(b + 1)
            .copied()
            .unwrap_or(chars.len())
            .min(near.1);
        (from, to)
    }

    /// Walks `town` and then the run's numbers in the token trie; each whole address met after
    /// two numbers or more is a hit at the numbers, unless pass 2 walked it (`walked`).
    fn walk_numbers(
        &mut self,
        town: u32,
        run: &BlockRun,
        walked: &mut Option<Vec<(usize, usize)>>,
    ) {
        let m = self.m;
        let index = &m.index;
        let cap = m.config.max_records_per_value;
        let Some(mut node) = index.step(index.start(), town) else {
            return;
        };
        for (j, &n) in run.numbers[..run.count].iter().enumerate() {
            let Some(next) = index
                .number_id(n, &m.bundle)
                .and_then(|id| index.step(node, id))
            else {
                return;
            };
            node = next;
            if j == 0 {
                continue;
            }
            let end = run.ends[j];
            for (kind, records) in index.entries(node) {
                if kind != FieldKind::Address || records.len() > cap {
                    continue;
                }
                // Not again where pass 2 walked it from the town as written (a postal code
                // after the address). The records are the index's: the same slice.
                let walked = walked.get_or_insert_with(|| {
                    let mut v: Vec<(usize, usize)> = self
                        .hits
                        .iter()
                        .filter(|h| h.kind == FieldKind::Address)
                        .map(|h| (h.end, h.records.as_ptr() as usize))
                        .collect();
                    v.sort_unstable();
                    v
                });
                if walked
                    .binary_search(&(end, records.as_ptr() as usize))
                    .is_err()
                {
                    self.hits.push(Hit {
                        kind,
                        start: run.start,
                        end,
                        records,
                        latin: false,
                    });
                }
            }
        }
    }
}

/// Whether postal code `p` is written as one: with its hyphen (`660-0875`) or after `〒`. Seven
/// digits alone are more often something else (a dump's account numbers).
fn written_as_postal_code(chars: &[char], p: &Weak) -> bool {
    // Not the first groups of a phone number (`070-1199-1287`).
    let goes_on =
        chars.get(p.end) == Some(&'-') && chars.get(p.end + 1).is_some_and(char::is_ascii_digit);
    let hyphen = p.end - p.start == 8;
    let marked = || {
        chars[..p.start]
            .iter()
            .rev()
            .take(2)
            .find(|&&c| c != ' ')
            .is_some_and(|&c| c == '〒')
    };
    !goes_on && (hyphen || marked())
}

/// Whether a town follows a postal code ending at `end`: after spaces or a cell's end, a kanji
/// or kana (a Japanese address, walked from its town in pass 2).
fn town_follows(chars: &[char], end: usize) -> bool {
    chars[end.min(chars.len())..]
        .iter()
        .take(4)
        .find(|&&c| !matches!(c, ' ' | ',' | '\t' | '"' | '\'' | '|' | ':' | ';'))
        .is_some_and(|&c| kanji_or_kana(c))
}

/// Kana, kanji and the CJK symbols between them (a town's name, written in the page).
fn kanji_or_kana(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// The run of block numbers starting at `chars[k]`, before `to`: numbers of one to four digits,
/// none starting with `0` (a phone number does), joined by hyphens or block suffixes
/// (`2-8-2`, `2丁目8番2号`, `2 Chome-8-2`, `2-chōme 8-ban 2-go`); `None` where no number
/// starts (inside a longer number, a date or a version, after `-` `.` `/` `:` `+`), or after
/// a kanji or kana (a town written in the page, which pass 2 walks from).
fn block_run(chars: &[char], k: usize, to: usize) -> Option<BlockRun> {
    let first = *chars.get(k)?;
    let before = k.checked_sub(1).map(|j| chars[j]);
    if !('1'..='9').contains(&first)
        || before.is_some_and(|c| {
            c.is_ascii_digit() || matches!(c, '-' | '.' | '/' | ':' | '+') || kanji_or_kana(c)
        })
    {
        return None;
    }
    let mut run = BlockRun {
        start: k,
        numbers: [0; MAX_NUMBERS],
        ends: [0; MAX_NUMBERS],
        count: 0,
    };
    let mut q = k;
    loop {
        let digits = chars[q..to]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 4 || chars[q] == '0' {
            break;
        }
        let n = chars[q..q + digits]
            .iter()
            .fold(0u32, |acc, &c| acc * 10 + (c as u32 - '0' as u32));
        q += digits;
        // A decimal or a version (`2.8`), or digits run on: no block number.
        if chars.get(q).is_some_and(|&c| c == '.' || c == ',')
            && chars.get(q + 1).is_some_and(char::is_ascii_digit)
        {
            break;
        }
        run.numbers[run.count] = n;
        run.ends[run.count] = q;
        run.count += 1;
        if run.count == MAX_NUMBERS {
            break;
        }
        match separator(chars, q, to) {
            Some(next) => q = next,
            None => break,
        }
    }
    (run.count > 0).then_some(run)
}

/// Where the next number starts after a block number ending at `q`: past hyphens, spaces and
/// block suffixes, one hyphen or suffix at least, and a digit after them.
fn separator(chars: &[char], q: usize, to: usize) -> Option<usize> {
    let mut i = q;
    let mut joined = false;
    while i < to && i - q <= 12 {
        match chars[i] {
            '-' => {
                joined = true;
                i += 1;
            }
            ' ' => i += 1,
            _ => match suffix_len(chars, i) {
                0 => break,
                len => {
                    joined = true;
                    i += len;
                }
            },
        }
    }
    (joined && i < to && chars[i].is_ascii_digit()).then_some(i)
}

/// Block suffixes, in kanji and in Latin letters (folded to lower case).
const SUFFIXES: [&str; 11] = [
    "丁目", "番地", "番", "号", "の", "chome", "chōme", "choume", "banchi", "ban", "go",
];

/// Length in characters of a block suffix at `chars[i]`, or 0. One in Latin letters is a whole
/// word (`go` of `gotanda` is not).
fn suffix_len(chars: &[char], i: usize) -> usize {
    for s in SUFFIXES {
        let n = s.chars().count();
        let Some(at) = chars.get(i..i + n) else {
            continue;
        };
        if at.iter().copied().eq(s.chars())
            && (!s.is_ascii() || !chars.get(i + n).is_some_and(char::is_ascii_alphabetic))
        {
            return n;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(s: &str) -> Option<Vec<u32>> {
        let chars: Vec<char> = s.chars().collect();
        block_run(&chars, 0, chars.len()).map(|r| r.numbers[..r.count].to_vec())
    }

    #[test]
    fn block_runs() {
        for (text, want) in [
            ("2-8-2", Some(vec![2, 8, 2])),
            ("2-8-2-301", Some(vec![2, 8, 2, 301])),
            ("2丁目8番2号", Some(vec![2, 8, 2])),
            ("2丁目8番地の2", Some(vec![2, 8, 2])),
            ("2 chome-8-2 minamitakeyacho", Some(vec![2, 8, 2])),
            ("2-chōme-8-2", Some(vec![2, 8, 2])),
            ("2-chome 8-ban 2-go", Some(vec![2, 8, 2])),
            ("15-5, amagasaki", Some(vec![15, 5])),
            ("2 8 2", Some(vec![2])),
            ("2 gotanda 8", Some(vec![2])),
            ("2.8.2", None),
            ("1968-09-18", Some(vec![1968])),
            ("12345-6", None),
            ("090-6682-8625", None),
        ] {
            assert_eq!(numbers(text), want, "{text}");
        }
        // Not inside a number, a phone number, a date or a version, nor after a town written
        // in kanji.
        let chars: Vec<char> = "06-6682-8625 v1.2-3 南竹谷町2-8-2".chars().collect();
        for k in [3, 8, 15, 17, 24] {
            assert!(block_run(&chars, k, chars.len()).is_none(), "{k}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_run_is_numbers_in_order_inside_its_bounds(
            s in "([0-9]{1,5}|[-. ,/:+]|丁目|番地?|号|の|chome|ban|go|[a-z]|町){0,30}",
            k in 0usize..40,
            cut in 0usize..40,
        ) {
            let chars: Vec<char> = s.chars().collect();
            let to = chars.len().saturating_sub(cut % (chars.len() + 1));
            if k < to
                && let Some(run) = block_run(&chars, k, to)
            {
                proptest::prop_assert!(run.start == k && (1..=MAX_NUMBERS).contains(&run.count));
                let mut from = k;
                for (&n, &end) in run.numbers[..run.count].iter().zip(&run.ends[..run.count]) {
                    proptest::prop_assert!(from < end && end <= to);
                    // The number is the digits that end there.
                    let digits: String = chars[..end]
                        .iter()
                        .rev()
                        .take_while(|c| c.is_ascii_digit())
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    proptest::prop_assert!(!digits.starts_with('0') && digits.len() <= 4);
                    proptest::prop_assert_eq!(digits.parse::<u32>().ok(), Some(n));
                    from = end;
                }
            }
        }
    }

    #[test]
    fn a_town_follows_a_postal_code() {
        for (text, follows) in [
            ("6600875 尼崎市", true),
            ("6600875南竹谷町", true),
            ("6600875 amagasaki", false),
            ("6600875\n", false),
            ("6600875", false),
            ("6600875, 2-8-2", false),
            ("6600875\",\"尼崎市", true),
            ("6600875\t南竹谷町", true),
        ] {
            let chars: Vec<char> = text.chars().collect();
            assert_eq!(town_follows(&chars, 7), follows, "{text}");
        }
    }
}
