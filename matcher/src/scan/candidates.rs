//! Candidate extraction: digit groups (phones, My Numbers, accounts), e-mails, register tokens
//! in any script (with or without spaces), and the multi-token walk over the token trie.

use fingerprints::normalize::{
    MAX_TOKEN_CHARS, address_suffix_len, is_digit_separator, is_kanji_numeral, is_token_separator,
    kanji_numeral_value, my_number_is_valid, phone_national, romaji,
};
use fingerprints::{FastDomain, FieldKind};

use super::text::{self, FoldedText, boxed_run, is_cell_gap, is_single};
use super::{AddressPath, BlockScan, Edge, Hit};
use crate::Matcher;
use crate::index::{ASCII_AT, ASCII_DIGIT, Node};

/// Digit groups looked at in one cluster (`+81 6 1234 5678` has four).
const MAX_GROUPS: usize = 8;
/// Digits of one group.
const MAX_GROUP_DIGITS: usize = 24;
/// Groups combined into one candidate.
const MAX_GROUPS_PER_CANDIDATE: usize = 5;
/// Tokens of one multi-token value followed by the walk (a town and 3 block numbers, or a name
/// in several parts).
pub(crate) const MAX_WALK_TOKENS: usize = 8;
/// Separator characters skipped between two tokens (`山田　太郎`, `"山田","太郎"`).
const MAX_SEPARATORS: usize = 3;

/// A node of a block's walk tree (see [`BlockScan::walk_multi_token`]): a trie node reached
/// by a token or block number at `start..end`, and where its children are in the tree.
/// Deliberately not `Debug`: a block number is a value read from the page.
#[derive(Clone, Copy)]
pub(crate) struct WalkNode {
    node: Node,
    start: usize,
    end: usize,
    /// `Some(n)` for a block number.
    number: Option<u32>,
    first_child: u32,
    children: u32,
}

impl WalkNode {
    fn new(node: Node, start: usize, end: usize, number: Option<u32>) -> Self {
        WalkNode {
            node,
            start,
            end,
            number,
            first_child: 0,
            children: 0,
        }
    }
}

/// A step to try from a node of the walk tree's current level. Not `Debug`, like [`WalkNode`].
#[derive(Clone, Copy)]
pub(crate) struct WalkStep {
    parent: u32,
    node: Node,
    id: u32,
    start: usize,
    end: usize,
    number: Option<u32>,
}

/// The working vectors of passes 1 and 2 (empty between blocks), kept per thread for their
/// allocations (see [`super::Buffers`]).
#[derive(Default)]
pub(crate) struct CandidateBuffers {
    /// The walk's tree and the steps of its current level.
    walk_tree: Vec<WalkNode>,
    walk_steps: Vec<WalkStep>,
    /// Strong candidates found by pass 1, looked up at its end, and their canonical texts:
    /// values read from the page, dropped with the block.
    strong_queue: Vec<StrongCandidate>,
    strong_text: String,
    /// Where pass 1 saw runs of ASCII digits start, ascending: pass 3 finds dates and postal
    /// codes from them.
    pub(crate) digit_runs: Vec<usize>,
    /// Edges of names in Latin letters, merged into the block's edges at the end of pass 1.
    romaji_edges: Vec<Edge>,
    /// Whether this block's edges include names in Latin letters (the walk then also takes
    /// them given name first).
    romaji_block: bool,
}

/// A strong candidate waiting to be looked up: its kind, fast fingerprint, canonical text (a
/// range of the block's queue text) and place. Deliberately not `Debug`: its text is a value
/// read from the page.
#[derive(Clone)]
pub(crate) struct StrongCandidate {
    kind: FieldKind,
    fp: u64,
    text: std::ops::Range<usize>,
    start: usize,
    end: usize,
}

/// One step of a multi-token walk.
#[derive(Debug, Clone, Copy)]
struct Step {
    start: usize,
    end: usize,
    /// `Some(n)` for a block number.
    number: Option<u32>,
}

impl BlockScan<'_> {
    /// Pass 1: digit clusters (noting where runs of digits start), e-mails and vocabulary
    /// tokens.
    pub(crate) fn find_candidates(&mut self) {
        // Only registers with names stored without a space need a gap inside a token stepped
        // over (see [`gap_inside_token`]); without it the loop stays as it was.
        if self.m.index.joined_names() {
            self.find_candidates_in::<true>();
        } else {
            self.find_candidates_in::<false>();
        }
    }

    /// [`BlockScan::find_candidates`], `SPACES` as in [`BlockScan::token_edges`].
    fn find_candidates_in<const SPACES: bool>(&mut self) {
        let t = self.t;
        self.candidate_buffers.digit_runs.clear();
        let mut digits_done = 0;
        let m = self.m;
        let index = &m.index;
        for (i, &c) in t.chars.iter().enumerate() {
            if c.is_ascii() {
                match index.ascii_class(c as u8) {
                    0 => {}
                    ASCII_DIGIT => {
                        if i >= digits_done {
                            digits_done = self.digit_cluster(i);
                        }
                    }
                    ASCII_AT => self.email(i),
                    _ => self.ascii_token_edges::<SPACES>(i),
                }
            } else if index.may_start(c) {
                self.token_edges::<SPACES>(i);
            }
        }
        if m.bundle.has_romaji() {
            if t.wide_capitals {
                self.romaji_gaps_by_char();
            } else if t.latin {
                // Lower-case names in cells too in blocks of ASCII text (English-language
                // exports); in other blocks from where folding noted them.
                if t.is_ascii() {
                    self.romaji_gaps::<true>();
                } else {
                    self.romaji_gaps::<false>();
                }
            }
            if !t.is_ascii() {
                self.romaji_cells_noted();
            }
            if t.latin {
                self.romaji_labelled_values();
            }
        }
        self.look_up_strong();
        if m.bundle.has_romaji() && t.latin {
            self.romaji_beside_identifiers();
        }
        let b = &mut self.candidate_buffers;
        b.romaji_block = !b.romaji_edges.is_empty();
        if b.romaji_block {
            // Into text order (stable: a token's own edges stay first), each once (a word of a
            // pair may also be beside an identifier).
            self.edges.append(&mut b.romaji_edges);
            self.edges.sort_by_key(|e| e.start);
            self.edges.dedup_by(|a, b| {
                (a.start, a.end, a.id, a.romaji) == (b.start, b.end, b.id, b.romaji)
            });
        }
    }

    /// A name in Latin letters alone on the line of a phone number, e-mail address or My
    /// Number found in the block (`Mochizuki 06-6014-7937`): each word of three letters or more
    /// capitalized in the page, within `proximity_chars` of the number on its line and outside
    /// every number found (and its part before a hyphen: `Mochizuki-sama`), is looked up as a
    /// reading
    /// ([`BlockScan::romaji_word`]). Scoring keeps such a word only as a token of the reading
    /// of the record the number is of (the rule for one name token beside an identifier).
    /// Only lines with such a number are read: most blocks have none.
    fn romaji_beside_identifiers(&mut self) {
        let (chars, breaks) = (&self.t.chars, &self.t.breaks);
        let w = self.m.config.proximity_chars;
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for h in &self.hits {
            if !matches!(
                h.kind,
                FieldKind::Phone | FieldKind::Email | FieldKind::NationalId
            ) {
                continue;
            }
            let (ls, le) = super::corroborate::line_bounds(breaks, h.start, chars.len());
            spans.push((ls.max(h.start.saturating_sub(w)), le.min(h.end + w)));
        }
        if spans.is_empty() {
            return;
        }
        spans.sort_unstable();
        // Every number found, in text order, to keep the words inside them out (a leak of many
        // residents has many: a search, not a scan of all of them for each word).
        let mut numbers: Vec<(usize, usize)> = self.hits.iter().map(|h| (h.start, h.end)).collect();
        numbers.sort_unstable();
        let inside_number = |a: usize, b: usize| {
            let i = numbers.partition_point(|&(s, _)| s < b);
            numbers[..i].iter().rev().take(8).any(|&(_, e)| e > a)
        };
        let glued = |k: usize| {
            chars
                .get(k)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '@')
        };
        let mut words: Vec<(usize, usize)> = Vec::new();
        let mut k = 0;
        for (a, b) in spans {
            k = k.max(a);
            while k < b {
                if !chars[k].is_ascii_lowercase() || (k > 0 && glued(k - 1)) {
                    k += 1;
                    continue;
                }
                let e = romaji_word_end(chars, k);
                if e - k >= 3 && e <= b && !glued(e) && !inside_number(k, e) && self.upper_at(k) {
                    words.push((k, e));
                    // And without what a hyphen adds (`Mochizuki-sama`).
                    if let Some(h) = chars[k..e].iter().position(|&c| c == '-')
                        && h >= 3
                    {
                        words.push((k, k + h));
                    }
                }
                k = e.max(k + 1);
            }
        }
        for word in words {
            self.romaji_word(&[word]);
        }
    }

    /// Reads the digit groups starting at `i` and tests every run of adjacent groups as a
    /// phone number, My Number and account number. Returns where the cluster ends.
    fn digit_cluster(&mut self, i: usize) -> usize {
        let chars = &self.t.chars;
        let n = chars.len();
        let had_plus = i > 0 && chars[i - 1] == '+';
        let mut groups: [(usize, usize); MAX_GROUPS] = [(0, 0); MAX_GROUPS];
        let mut g = 0;
        let mut k = i;
        loop {
            let gs = k;
            while k < n && chars[k].is_ascii_digit() && k - gs < MAX_GROUP_DIGITS {
                k += 1;
            }
            groups[g] = (gs, k);
            g += 1;
            if g == MAX_GROUPS {
                break;
            }
            // One or two separators, or a hyphen spaced apart, as some forms print it
            // (`090 - 6682 - 8625`).
            let mut s = k;
            while s < n && s - k < 3 && is_digit_separator(chars[s]) {
                s += 1;
            }
            if s > k
                && s < n
                && chars[s].is_ascii_digit()
                && (s - k < 3 || chars[k..s] == [' ', '-', ' '])
            {
                k = s;
            } else {
                break;
            }
        }
        let end = groups[g - 1].1;
        // Every run of digits is one or more groups of a cluster (a run longer than a group
        // goes on in the next group, or the next cluster).
        for &(gs, _) in &groups[..g] {
            if gs == 0 || !chars[gs - 1].is_ascii_digit() {
                self.candidate_buffers.digit_runs.push(gs);
            }
        }
        // Candidates are 7 or 14 digits (an account number), 10 to 12 (a phone number) or 12
        // (a My Number); only those lengths are spelled out and looked up. Most numbers in
        // text (times, counts, versions) are shorter than all of them.
        let lens = groups[..g].iter().map(|&(gs, ge)| ge - gs);
        let total: usize = lens.clone().sum();
        if total < 10 && !lens.clone().any(|l| l == 7) {
            // A digit in a cell of its own, as forms' boxes hold a My Number or a postal code
            // (`6,8,5,4,…`, `6 8 5 4 …`): when seven or more follow so, pass 1 is to start
            // over with them joined (see `FoldedText::join_boxed_cells`).
            if total == g
                && chars.get(i + 1).is_some_and(|&c| is_cell_gap(c))
                && !self.boxed
                && !self.t.boxed_checked()
            {
                self.boxed = boxed_digits_at(chars, i);
            }
            return end;
        }
        let mut buf = [0u8; MAX_GROUPS_PER_CANDIDATE * MAX_GROUP_DIGITS];
        for a in 0..g {
            let mut len = 0;
            for b in a..g.min(a + MAX_GROUPS_PER_CANDIDATE) {
                let (gs, ge) = groups[b];
                len += ge - gs;
                if len > 13 && a != b {
                    break;
                }
                // An account number alone, or after its bank and branch codes, or padded
                // with zeros to ten digits (`0006982255`: no phone starts with `00`).
                let single = a == b
                    && (len == 7
                        || len == 14
                        || (len == 10 && chars[groups[a].0..].starts_with(&['0', '0', '0'])));
                if !single && !(10..=12).contains(&len) {
                    continue;
                }
                let mut k = 0;
                for &(gs, ge) in &groups[a..=b] {
                    for &c in &chars[gs..ge] {
                        buf[k] = c as u8;
                        k += 1;
                    }
                }
                // ASCII digits: always valid UTF-8.
                let digits = std::str::from_utf8(&buf[..len]).unwrap_or_default();
                let (start, end) = (groups[a].0, ge);
                if (10..=12).contains(&len)
                    && let Some(p) = phone_national(digits, had_plus && a == 0)
                {
                    self.strong(FieldKind::Phone, &p, start, end);
                }
                if len == 12 && my_number_is_valid(digits) {
                    self.strong(FieldKind::NationalId, digits, start, end);
                }
                if single {
                    self.strong(FieldKind::AccountNumber, &digits[len - 7..], start, end);
                }
            }
        }
        // `0081…` or `00 81…` (a bank code `0005 …` is neither).
        let (g0, g1) = (groups[0], groups[1.min(g - 1)]);
        if chars[g0.0..g0.1].starts_with(&['0', '0', '8', '1'])
            || (g0.1 - g0.0 == 2
                && chars[g0.0..g0.1] == ['0', '0']
                && chars[g1.0..g1.1].starts_with(&['8', '1']))
        {
            self.international_phone(&groups[..g]);
        }
        end
    }

    /// A phone number dialled from abroad with the international prefix `00` written out
    /// (`0081-6-1234-5678`, `0081 (0)90 1234 5678`, as a `+` is written where it cannot
    /// be typed): the cluster's digits from its start, `00` then `81` then the national
    /// number with or without its 0, to the end of each of its groups.
    fn international_phone(&mut self, groups: &[(usize, usize)]) {
        let chars = &self.t.chars;
        let mut buf = [0u8; MAX_GROUPS_PER_CANDIDATE * MAX_GROUP_DIGITS];
        let mut len = 0;
        for &(gs, ge) in groups.iter().take(MAX_GROUPS_PER_CANDIDATE) {
            for &c in &chars[gs..ge] {
                buf[len] = c as u8;
                len += 1;
            }
            // `00`, `81` and a national number of 9 or 10 digits (10 or 11 with its 0).
            if !(13..=15).contains(&len) || !buf.starts_with(b"0081") {
                continue;
            }
            // ASCII digits: always valid UTF-8.
            let digits = std::str::from_utf8(&buf[..len]).unwrap_or_default();
            if let Some(p) = phone_national(digits, false) {
                self.strong(FieldKind::Phone, &p, groups[0].0, ge);
            }
        }
    }

    /// An e-mail address around the `@` at `at`.
    fn email(&mut self, at: usize) {
        let chars = &self.t.chars;
        let local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
        let domain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
        let mut a = at;
        while a > 0 && at - a < 64 && local(chars[a - 1]) {
            a -= 1;
        }
        let mut b = at + 1;
        while b < chars.len() && b - at < 255 && domain(chars[b]) {
            b += 1;
        }
        while b > at + 1 && chars[b - 1] == '.' {
            b -= 1;
        }
        if a == at || b == at + 1 || !chars[at + 1..b].contains(&'.') {
            return;
        }
        let e = self.t.string(a, b);
        self.strong(FieldKind::Email, &e, a, b);
    }

    /// Pass 3's hits of phone numbers written in three cells (see `corroborate::cell_phone_at`):
    /// looked up as pass 1's strong candidates are, and appended to `self.hits`.
    pub(super) fn phones_in_cells(&mut self, phones: &[super::corroborate::CellPhone]) {
        for p in phones {
            if let Some(national) = phone_national(p.digits(), false) {
                self.strong(FieldKind::Phone, &national, p.start, p.end);
            }
        }
        self.look_up_strong();
    }

    /// Queues a strong candidate for [`BlockScan::look_up_strong`].
    pub(super) fn strong(&mut self, kind: FieldKind, canonical: &str, start: usize, end: usize) {
        let fp = self
            .m
            .bundle
            .hasher()
            .fast_str(FastDomain::Strong(kind), canonical);
        let b = &mut self.candidate_buffers;
        let text = b.strong_text.len();
        b.strong_text.push_str(canonical);
        b.strong_queue.push(StrongCandidate {
            kind,
            fp,
            text: text..b.strong_text.len(),
            start,
            end,
        });
    }

    /// Looks the block's strong candidates up, in text order: hot-path filter, then exact
    /// fingerprint in the bundle. The filter words of all of them are read first, in one pass
    /// that nothing depends on, so that their cache misses overlap.
    pub(super) fn look_up_strong(&mut self) {
        let bundle = &self.m.bundle;
        let (h, filter) = (bundle.hasher(), bundle.filter());
        let b = &mut self.candidate_buffers;
        let sink = b
            .strong_queue
            .iter()
            .fold(0, |acc, c| acc ^ filter.touch(c.fp));
        std::hint::black_box(sink);
        for c in &b.strong_queue {
            if !filter.contains(c.fp) {
                continue;
            }
            let canonical = &b.strong_text[c.text.clone()];
            let records = bundle.strong_records(h.strong(c.kind, canonical));
            if !records.is_empty() {
                self.hits.push(Hit {
                    kind: c.kind,
                    start: c.start,
                    end: c.end,
                    records,
                    latin: false,
                });
            }
        }
        b.strong_queue.clear();
        b.strong_text.clear();
    }

    /// Every vocabulary token starting at `i`: extend the fast fingerprint a character at a
    /// time while the filter knows the prefix; confirm whole-token filter hits exactly. With
    /// `SPACES`, one gap inside a token is stepped over (see [`gap_inside_token`]).
    ///
    /// Inlined into pass 1's loop where a character that is not ASCII may start a token (most
    /// characters of Japanese text); called where an ASCII letter does
    /// ([`BlockScan::ascii_token_edges`]), which keeps that loop as fast for English text.
    #[inline(always)]
    fn token_edges<const SPACES: bool>(&mut self, i: usize) {
        let bundle = &self.m.bundle;
        let (h, filter, mask) = (bundle.hasher(), bundle.filter(), bundle.token_len_mask());
        let chars = &self.t.chars;
        let memo = &mut *self.caches.memo;
        // The filter is 4 MiB, so a probe is a cache miss; text repeats its character pairs, so
        // recent answers are kept in a small direct-mapped table (64 KiB, stays in L2).
        let mut contains = |fp: u64| {
            let slot = &mut memo[(fp >> 51) as usize];
            if *slot != 0 && (*slot ^ fp) & !1 == 0 {
                return *slot & 1 == 1;
            }
            let r = filter.contains(fp);
            *slot = (fp & !1) | u64::from(r);
            r
        };
        let mut fp = h.fast_start(FastDomain::TokenPrefix);
        // Characters stepped over (a gap), and where the token goes on after them.
        let (mut skipped, mut resume) = (0, 0);
        let end = chars.len().min(i + MAX_TOKEN_CHARS);
        // Where the filter stopped knowing the prefix.
        let mut stop = i;
        for (k, &c) in chars[i..end].iter().enumerate() {
            let j = i + k;
            if SPACES && j < resume {
                continue;
            }
            // The first character is none (`may_start`, asked before this is called).
            if k > 0 && (is_token_separator(c) || (SPACES && (is_quote(c) || c == '&'))) {
                if SPACES
                    && skipped == 0
                    && let Some(next) = gap_inside_token(chars, i, j)
                {
                    (skipped, resume) = (next - j, next);
                    continue;
                }
                if is_token_separator(c) {
                    break;
                }
            }
            fp = h.fast_step(fp, c);
            // The first character's prefix is in the filter: that is what `may_start` (asked
            // before this is called) tells for characters of the Basic Multilingual Plane.
            if (k > 0 || c > '\u{FFFF}') && !contains(fp) {
                stop = j;
                break;
            }
            let len = j + 1 - i - skipped;
            if mask & (1u64 << len.min(63)) == 0 {
                continue;
            }
            let token_fp = h.fast_as_token(fp);
            if !contains(token_fp) {
                continue;
            }
            let id = *self.caches.token_ids.entry(token_fp).or_insert_with(|| {
                let s = token_text(self.t, i, j + 1);
                bundle.token_id(h.token(&s))
            });
            if let Some(id) = id {
                self.edges.push(Edge {
                    start: i,
                    end: j + 1,
                    id,
                    romaji: false,
                });
            }
        }
        // A digit after two characters or more the filter knows: the town may be written
        // without its `町` (`南竹谷2-8-2`).
        if stop >= i + 2 && skipped == 0 && chars[stop].is_ascii_digit() {
            self.town_without_machi(i, stop);
        }
    }

    /// [`BlockScan::token_edges`] at an ASCII letter or digit, not inlined.
    #[inline(never)]
    fn ascii_token_edges<const SPACES: bool>(&mut self, i: usize) {
        self.token_edges::<SPACES>(i);
    }

    /// A town written without its `町` before its block numbers (`南竹谷2-8-2` for
    /// `南竹谷町2-8-2`, as addresses are typed into forms): `chars[i..j]`, which the filter
    /// knows as a prefix, followed by a digit, stands for the token with `町` when that is one,
    /// unless it is a town itself (`御園` and `御園町` are two towns of Amagasaki).
    #[cold]
    fn town_without_machi(&mut self, i: usize, j: usize) {
        let m = self.m;
        let (bundle, h) = (&m.bundle, m.bundle.hasher());
        let whole = self
            .edges
            .last()
            .filter(|e| e.start == i && e.end == j && !e.romaji)
            .map(|e| e.id);
        if whole.is_some_and(|id| starts_address(m, id)) {
            return;
        }
        let chars = &self.t.chars[i..j];
        let prefix = chars
            .iter()
            .fold(h.fast_start(FastDomain::TokenPrefix), |fp, &c| {
                h.fast_step(fp, c)
            });
        let town = h.fast_step(prefix, '町');
        let token_fp = h.fast_as_token(town);
        if !bundle.filter().contains(town) || !bundle.filter().contains(token_fp) {
            return;
        }
        let id = *self.caches.token_ids.entry(token_fp).or_insert_with(|| {
            let mut s = token_text(self.t, i, j);
            s.push('町');
            bundle.token_id(h.token(&s))
        });
        if let Some(id) = id {
            self.edges.push(Edge {
                start: i,
                end: j,
                id,
                romaji: false,
            });
        }
    }

    /// Names in Latin letters: every gap (see [`is_name_gap`]; an ideographic space folds to
    /// one) followed by an upper-case ASCII letter in the page is looked at by
    /// [`BlockScan::romaji_names`]; with `CELLS`, also every lower-case letter right after
    /// what opens a cell, by [`BlockScan::romaji_cell`]. The block's bytes are tested 16 pairs
    /// at a time (vector compares: in most of them no such pair is), apart from pass 1's loop
    /// over the characters, which stays as fast as without romaji keys.
    fn romaji_gaps<const CELLS: bool>(&mut self) {
        let bytes = self.block.as_bytes();
        // `wrapping_sub` rather than `is_ascii_uppercase`: the range match kept the sixteen
        // pairs from compiling to vector compares (English 49 → 66 instructions a byte).
        // A gap byte, or the last byte of an ideographic space (U+3000 is E3 80 80; other
        // characters ending in 0x80 are turned away below, by their folded character).
        // A quote too: the words may be quoted cells (`"SATO","Taro"`). Or what opens a cell
        // followed by a lower-case letter (`,yamada taro,`: see [`BlockScan::romaji_cell`]).
        let opens = |a: u8| {
            (a == b',')
                | (a == b'\t')
                | (a == b'|')
                | (a == b';')
                | (a == b'"')
                | (a == b'\'')
                | (a == b'\n')
        };
        let pair = |a: u8, b: u8| {
            ((u8::from(is_name_gap_byte(a))
                | u8::from(a == 0x80)
                | u8::from(a == b'"')
                | u8::from(a == b'\''))
                & u8::from(b.wrapping_sub(b'A') < 26))
                | (u8::from(CELLS && opens(a)) & u8::from(b.wrapping_sub(b'a') < 26))
        };
        // Where the last word looked up ends: the word after one gap is the word before the
        // next, and is looked up once (apart for the two kinds of place).
        let (mut looked, mut looked_cells) = (0, 0);
        if CELLS && bytes.first().is_some_and(u8::is_ascii_lowercase) {
            self.romaji_cell(0, &mut looked_cells);
        }
        let mut p = 0;
        while p < bytes.len() {
            // Sixteen pairs (`w[k]`, `w[k + 1]`) at a time; the last ones one by one.
            let any = match bytes
                .get(p..p + 17)
                .and_then(|w| <&[u8; 17]>::try_from(w).ok())
            {
                Some(w) => {
                    let mut any = 0;
                    for k in 0..16 {
                        any |= pair(w[k], w[k + 1]);
                    }
                    any
                }
                None => 1,
            };
            let end = (p + 16).min(bytes.len() - 1);
            if any != 0 {
                for k in p..end {
                    if pair(bytes[k], bytes[k + 1]) != 0 {
                        if CELLS && bytes[k + 1].is_ascii_lowercase() {
                            let a = self.t.char_at(k + 1);
                            self.romaji_cell(a, &mut looked_cells);
                            continue;
                        }
                        // The character that byte `k` ends (starts, for an ASCII gap).
                        let i = self.t.char_at(k + 1).wrapping_sub(1);
                        if self
                            .t
                            .chars
                            .get(i)
                            .is_some_and(|&c| is_name_gap(c) || is_quote(c))
                        {
                            self.romaji_names(i, &mut looked);
                        }
                    }
                }
            }
            p += 16;
        }
    }

    /// Names in Latin letters in lower case as whole cells ([`BlockScan::romaji_cell`]) in a
    /// block that is not all ASCII: an export with Japanese column names or keys and romaji
    /// values (`氏名,生年月日` over `yamada taro,1985-04-02`, `{"氏名": "yamada taro"}`).
    /// Folding noted where a letter follows what opens a cell; only those lower case in the page are
    /// looked at (a capitalized name is found at its gap, as in any block). A pass over the
    /// block's bytes for them, as in blocks all ASCII, cost Japanese HTML pages 9 % more
    /// instructions, and a test in pass 1's loop English logs 8 %: folding notes them.
    fn romaji_cells_noted(&mut self) {
        let t = self.t;
        let mut looked = 0;
        let first = t.chars.first().is_some_and(char::is_ascii_lowercase);
        for a in first
            .then_some(0)
            .into_iter()
            .chain(t.cells.iter().map(|&a| a as usize))
        {
            if !self.upper_at(a) {
                self.romaji_cell(a, &mut looked);
            }
        }
    }

    /// Names in Latin letters over labelled lines, as English-language forms write them
    /// (`Last name: Yamaguchi` over `First name: Daisuke`): each line whose value after its
    /// label ([`value_after_label`]) is one word, in any case, is looked up as a reading's
    /// token ([`BlockScan::romaji_word`]); the walk steps from one labelled line to the next
    /// ([`next_labelled_line`]), so only a whole reading over two such lines is a name.
    fn romaji_labelled_values(&mut self) {
        let t = self.t;
        let chars = &t.chars;
        let mut words = Vec::new();
        let starts = std::iter::once(0).chain(t.breaks.iter().map(|&b| b + 1));
        let ends = t.breaks.iter().copied().chain(std::iter::once(chars.len()));
        for (ls, le) in starts.zip(ends) {
            // Short lines ending in a letter only (most lines of a log or dump are not).
            let mut last = le;
            while last > ls && matches!(chars[last - 1], '\r' | ' ' | '\t') {
                last -= 1;
            }
            if last - ls > MAX_LABEL + 4 + romaji::MAX_ROMAJI_CHARS
                || !chars[..last].last().is_some_and(char::is_ascii_lowercase)
            {
                continue;
            }
            let Some(v) = value_after_label(chars, ls) else {
                continue;
            };
            if !chars.get(v).is_some_and(char::is_ascii_lowercase) {
                continue;
            }
            let e = romaji_word_end(chars, v);
            let mut k = e;
            while k < chars.len() && matches!(chars[k], ' ' | '\t' | '\r') {
                k += 1;
            }
            if e - v >= 2 && chars.get(k).is_none_or(|&c| c == '\n') {
                words.push((v, e));
            }
        }
        for word in words {
            self.romaji_word(&[word]);
        }
    }

    /// [`BlockScan::romaji_gaps`] for a block with full-width capitals in it (`ＳＡＴＯ　Ｔａｒｏ`:
    /// rare, so taken character by character): every gap followed by a letter that is upper
    /// case in the page, in ASCII or in full width.
    #[cold]
    fn romaji_gaps_by_char(&mut self) {
        let mut looked = 0;
        for i in 0..self.t.chars.len().saturating_sub(1) {
            let c = self.t.chars[i];
            if (is_name_gap(c) || is_quote(c)) && self.upper_at(i + 1) {
                self.romaji_names(i, &mut looked);
            }
        }
    }

    /// Names in Latin letters in lower case where a cell of a row or a JSON value holds them
    /// and nothing else: at character `a`, a lower-case letter right after what opens a cell
    /// (`,yamada taro,`, `"taro yamada"`, `('yamada','taro')`): a word, a gap (spaces inside
    /// the cell, or a cell's end with quotes and spaces around it), another word, and the end
    /// of the cell. Outside cells a name has to be capitalized (two lower-case words are too
    /// common in text). `looked` as in [`BlockScan::romaji_names`].
    fn romaji_cell(&mut self, a: usize, looked: &mut usize) {
        let chars = &self.t.chars;
        if !value_starts_at(chars, a) {
            return;
        }
        let b = romaji_word_end(chars, a);
        let mut k = b;
        while k < chars.len()
            && k - b <= MAX_SEPARATORS
            && (chars[k] == ' ' || is_cell_end(chars[k]) || is_quote(chars[k]))
        {
            k += 1;
        }
        let gap = &chars[b..k];
        let cells = gap.iter().any(|&c| is_cell_end(c));
        // One word, the value of a JSON key that names a part of a person's name
        // (`{"last_name":"yamaguchi","first_name":"daisuke"}`): looked up alone; the walk
        // joins it to the next value across its key.
        if b > a && gap.first().is_some_and(|&c| is_quote(c)) && names_a_part_of_a_name(chars, a) {
            // With the value before it, when that is one too: as two words (a register that
            // stores readings without a space has them as one token).
            let before = json_value_before(chars, a - 1).and_then(|e| {
                let s = romaji_word_start(chars, e);
                (s < e && names_a_part_of_a_name(chars, s)).then_some((s, e))
            });
            match before {
                Some(first) => self.romaji_pair(first, (a, b), looked),
                None => {
                    self.romaji_word(&[(a, b)]);
                    *looked = b;
                }
            }
            return;
        }
        // Spaces inside one cell; quotes only around a cell's end; no more than the walk
        // steps over.
        if b == a
            || gap.is_empty()
            || (!cells && gap.iter().any(|&c| c != ' '))
            || skip_separators(chars, b) != k
        {
            return;
        }
        let d = romaji_word_end(chars, k);
        if d == k
            || chars.get(d).is_some_and(char::is_ascii_alphanumeric)
            || !value_ends_at(chars, d)
        {
            return;
        }
        self.romaji_pair((a, b), (k, d), looked);
    }

    /// Names in Latin letters, at gap `i` (a space, `,`, …, see [`is_name_gap`], or the quote
    /// opening a cell) that is followed by an upper-case letter in the page: when the word
    /// before the gap is capitalized too (`Taro Sato`, `SATO, Taro`), each of the two words that
    /// has a romaji key becomes an edge for every reading token with that key. A single capitalized word
    /// (`INFO`, `Response`) is no name. `looked` is where the last word looked up ends.
    fn romaji_names(&mut self, i: usize, looked: &mut usize) {
        let chars = &self.t.chars;
        let a = i + 1;
        let b = romaji_word_end(chars, a);
        // The word before it (its run of gaps: at most three characters, or four with
        // quotes around a cell's end: `"SATO","Taro"`, `'Sato', 'Taro'`; a quote alone is no
        // gap: `O'Brien`).
        let most = if is_quote(chars[i]) { 3 } else { 2 };
        let mut e = i;
        while e > 0 && i - e < most && (is_name_gap(chars[e - 1]) || is_quote(chars[e - 1])) {
            e -= 1;
        }
        let mut s = romaji_word_start(chars, e);
        if s == e || !chars[e..=i].iter().any(|&c| is_name_gap(c)) {
            // Or the value before it in a JSON object, across this value's key
            // (`"first_name":"Daisuke","last_name":"Yamaguchi"`).
            match json_value_before(chars, i) {
                Some(end) => {
                    e = end;
                    s = romaji_word_start(chars, e);
                }
                None => return,
            }
        }
        // `'` and `-` only inside the word (`'Sato','Taro'`).
        while s < e && matches!(chars[s], '\'' | '-') {
            s += 1;
        }
        let glued = |k: usize| chars.get(k).is_some_and(char::is_ascii_alphanumeric);
        if s == e || (s > 0 && glued(s - 1)) || glued(b) || !self.upper_at(s) {
            return;
        }
        self.romaji_pair((s, e), (a, b), looked);
    }

    /// Two words in Latin letters that may be a name (`first` then `second`, as character
    /// ranges): each is looked up ([`BlockScan::romaji_word`]; `first` only if it does not end
    /// before `looked`, where the last word looked up ends, which this moves past `second`).
    fn romaji_pair(&mut self, first: (usize, usize), second: (usize, usize), looked: &mut usize) {
        if first.0 >= *looked {
            self.romaji_word(&[first]);
        }
        self.romaji_word(&[second]);
        if self.m.index.joined_readings() {
            // A reading stored without a space is one token: the two words as one, in either
            // order (`Yamada Taro` and `Taro Yamada` for ヤマダタロウ).
            self.romaji_word(&[first, second]);
            self.romaji_word(&[second, first]);
        }
        *looked = second.1;
    }

    /// Whether folded character `k` is an upper-case letter in the page, in ASCII or in full
    /// width (`Ａ`..`Ｚ`, U+FF21..U+FF3A: EF BC A1..BA).
    fn upper_at(&self, k: usize) -> bool {
        let bytes = self.block.as_bytes();
        match bytes.get(self.t.source_start(k)..) {
            Some([c, ..]) if c.is_ascii_uppercase() => true,
            Some([0xEF, 0xBC, c, ..]) => (0xA1..=0xBA).contains(c),
            _ => false,
        }
    }

    /// The edges of the word made of the characters of `parts` (`(start, end)` ranges: one
    /// word, or two written apart and looked up as one), if it has a romaji key that names
    /// reading tokens; the edges span all the parts.
    fn romaji_word(&mut self, parts: &[(usize, usize)]) {
        let chars = &self.t.chars;
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
            return;
        };
        let word = || parts.iter().flat_map(|&(a, b)| &chars[a..b]);
        let letters = word().filter(|&&c| c != '\'' && c != '-').count();
        // Romaji has no l, q or x and ends in a vowel, n or the h of a long o: most English
        // words are turned away here, before their syllables are read.
        let ends_well = matches!(chars[last.1 - 1], 'a' | 'i' | 'u' | 'e' | 'o' | 'n' | 'h')
            || !chars[last.1 - 1].is_ascii();
        if !(2..=romaji::MAX_ROMAJI_CHARS).contains(&letters)
            || !ends_well
            || word().any(|c| matches!(c, 'l' | 'q' | 'x'))
        {
            return;
        }
        // The word on the stack (at most 24 characters of two bytes). A long o written `oh`
        // at the end of a part that another follows loses its `h`: `Tohjoh Yuuna` is
        // `tohjoyuuna` (`ohy` inside a word reads ひゅ, as the register's `toujouyuuna`
        // never would).
        let mut buf = [0u8; romaji::MAX_ROMAJI_CHARS * 2];
        let mut n = 0;
        for (p, &(a, b)) in parts.iter().enumerate() {
            let part = &chars[a..b];
            let oh = p + 1 < parts.len() && part.ends_with(&['o', 'h']);
            for &c in &part[..part.len() - usize::from(oh)] {
                let Some(slot) = buf.get_mut(n..n + c.len_utf8()) else {
                    return;
                };
                n += c.encode_utf8(slot).len();
            }
        }
        let Some(key) = std::str::from_utf8(&buf[..n]).ok().and_then(romaji::key) else {
            return;
        };
        let (a, b) = (first.0.min(last.0), first.1.max(last.1));
        let bundle = &self.m.bundle;
        let h = bundle.hasher();
        if !bundle
            .filter()
            .contains(h.fast_str(FastDomain::Romaji, &key))
        {
            return;
        }
        for id in bundle.romaji_ids(h.romaji(&key)) {
            self.candidate_buffers.romaji_edges.push(Edge {
                start: a,
                end: b,
                id,
                romaji: true,
            });
        }
    }

    /// Names in Latin letters written given name first (`Taro Yamada`): the reading's
    /// sequence taken from the second word back to the first, for every pair of adjacent
    /// romaji edges. Called after the walk, which finds them in register order.
    fn reversed_romaji_names(&mut self) {
        for a in 0..self.edges.len() {
            let first = self.edges[a];
            if !first.romaji {
                continue;
            }
            let k = self.next_token_at(first.end);
            let (lo, hi) = (self.edge_at[k] as usize, self.edge_at[k + 1] as usize);
            for b in lo..hi {
                let second = self.edges[b];
                if !second.romaji || second.start != k {
                    continue;
                }
                self.reversed_name(first, second, true);
            }
        }
    }

    /// Where the next token of a value may start after one that ends at `end`: past the
    /// separators ([`skip_separators`]) and a reading in parentheses ([`skip_reading`]), and
    /// past the key of the next JSON value ([`skip_json_key`]) or form field
    /// ([`skip_form_key`]: `name01=山口&name02=大介`) if one follows. A key is
    /// stepped over even where a token starts (`"セイ": "ヤマグチ", "メイ": "ダイスケ"`: the key
    /// `メイ` is a given name's reading too; `ヤマグチ メイ` would be someone else).
    #[inline]
    fn next_token_at(&self, end: usize) -> usize {
        let chars = &self.t.chars;
        let k = skip_reading(chars, skip_separators(chars, end));
        match chars.get(k) {
            Some(c) if k > end && chars[k - 1] == '"' && !c.is_ascii_digit() => {
                skip_json_key(chars, k)
            }
            Some(_) if k > end && chars[k - 1] == '\n' => next_labelled_line(chars, end, k),
            Some('&') if k == end => skip_form_key(chars, k),
            _ => k,
        }
    }

    /// The hits of a name or reading written given name (`first`) then family name
    /// (`second`): the trie from `second` to `first`. `latin`: a name in Latin letters (then
    /// readings only).
    fn reversed_name(&mut self, first: Edge, second: Edge, latin: bool) {
        let m = self.m;
        let index = &m.index;
        let Some(node) = index
            .step(index.start(), second.id)
            .and_then(|n| index.step(n, first.id))
        else {
            return;
        };
        for (kind, records) in index.entries(node) {
            let wanted = kind == FieldKind::NameKana || (!latin && kind == FieldKind::Name);
            if wanted && records.len() <= m.config.max_records_per_value {
                self.hits.push(Hit {
                    kind,
                    start: first.start,
                    end: second.end,
                    records,
                    latin,
                });
            }
        }
    }

    /// Names given name first in two cells of a row (`太郎,山田`, as in `first_name,last_name`
    /// columns): for two tokens that are whole cells next to each other (a cell's end between
    /// them: `,`, tab, `|` or `;`, with quotes and spaces around it, no line break), the second
    /// then the first through the trie, for names and readings only. Called after the walk,
    /// which finds them in register order. Whole cells only: in `阿部 エリカ,アベ エリカ` the
    /// given name ending one cell and the family reading starting the next are no name.
    #[inline(never)]
    fn reversed_cell_names(&mut self) {
        let t = self.t;
        let chars = &t.chars;
        for a in 0..self.edges.len() {
            let first = self.edges[a];
            // Most tokens are followed by more text: one test turns them away.
            let next = chars.get(first.end).copied().unwrap_or('\n');
            if !(is_cell_end(next) || is_quote(next) || next == ' ')
                || first.romaji
                || !(cell_starts_at(chars, first.start)
                    || (first.start > 0
                        && is_quote(chars[first.start - 1])
                        && value_starts_at(chars, first.start)))
            {
                continue;
            }
            let k = self.next_token_at(first.end);
            let gap = &chars[first.end..k];
            if !gap.iter().any(|&c| is_cell_end(c)) || gap.iter().any(|&c| is_line_break(c)) {
                continue;
            }
            let (lo, hi) = (self.edge_at[k] as usize, self.edge_at[k + 1] as usize);
            for b in lo..hi {
                let second = self.edges[b];
                if second.romaji || second.start != k || !value_ends_at(chars, second.end) {
                    continue;
                }
                self.reversed_name(first, second, false);
            }
        }
    }

    /// Pass 2: from every token, walk the token trie over following tokens and block numbers.
    ///
    /// The walk is taken level by level across the whole block (all first steps, then all
    /// second steps, …) into a tree of [`WalkNode`]s, and the tree is then visited depth first,
    /// each path reported in the order a depth-first walk from each token in text order would
    /// take. The steps of one level are independent of each other: their trie slots are read
    /// in one pass before they are probed, so they wait for memory together rather than one
    /// after another (the trie is tens of MB, so most steps miss the cache).
    pub(crate) fn walk_multi_token(&mut self) {
        if self.edges.is_empty() {
            return;
        }
        // Where the edges starting at each character are: the walk asks at every step.
        let at = &mut self.edge_at;
        at.clear();
        at.reserve(self.t.chars.len() + 2);
        for (e, edge) in self.edges.iter().enumerate() {
            if edge.start >= at.len() {
                at.resize(edge.start + 1, e as u32);
            }
        }
        at.resize(self.t.chars.len() + 2, self.edges.len() as u32);
        let mut tree = std::mem::take(&mut self.candidate_buffers.walk_tree);
        let mut steps = std::mem::take(&mut self.candidate_buffers.walk_steps);
        let roots = self.grow_walk_tree(&mut tree, &mut steps);
        let mut path: Vec<Step> = Vec::with_capacity(MAX_WALK_TOKENS);
        for r in 0..roots {
            self.visit(&tree, r, &mut path);
        }
        if self.candidate_buffers.romaji_block {
            self.reversed_romaji_names();
        }
        self.reversed_cell_names();
        tree.clear();
        steps.clear();
        self.candidate_buffers.walk_tree = tree;
        self.candidate_buffers.walk_steps = steps;
    }

    /// Fills `tree` breadth first: the first steps (one per edge with a trie node), then for
    /// each level the next steps of all its nodes, each node's children contiguous and in the
    /// order the depth-first walk takes them (the block number first, then the tokens).
    /// Returns the number of first steps (the tree's first nodes).
    fn grow_walk_tree(&self, tree: &mut Vec<WalkNode>, steps: &mut Vec<WalkStep>) -> usize {
        let index = &self.m.index;
        let chars = &self.t.chars;
        let mut sink = 0u32;
        for edge in &self.edges {
            if let Some(node) = index.step(index.start(), edge.id) {
                sink ^= index.touch_entries(node);
                tree.push(WalkNode::new(node, edge.start, edge.end, None));
            }
        }
        let roots = tree.len();
        let mut level = 0..roots;
        // Tokens on the paths to the nodes of `level`.
        let mut depth = 1;
        while !level.is_empty() && depth < MAX_WALK_TOKENS {
            steps.clear();
            for p in level.clone() {
                let WalkNode {
                    node, end, number, ..
                } = tree[p];
                let k = if number.is_some() {
                    after_block_number(chars, end)
                } else {
                    self.next_token_at(end)
                };
                if let Some((value, len)) = number_at(chars, k)
                    && let Some(id) = index.number_id(value, &self.m.bundle)
                {
                    steps.push(WalkStep {
                        parent: p as u32,
                        node,
                        id,
                        start: k,
                        end: k + len,
                        number: Some(value),
                    });
                }
                let (lo, hi) = (self.edge_at[k] as usize, self.edge_at[k + 1] as usize);
                for edge in &self.edges[lo..hi] {
                    steps.push(WalkStep {
                        parent: p as u32,
                        node,
                        id: edge.id,
                        start: edge.start,
                        end: edge.end,
                        number: None,
                    });
                }
            }
            // Loads only: nothing depends on them, so they are all in flight at once.
            for s in steps.iter() {
                sink ^= index.touch_step(s.node, s.id);
            }
            let from = tree.len();
            for s in steps.iter() {
                if let Some(next) = index.step(s.node, s.id) {
                    let at = tree.len() as u32;
                    let parent = &mut tree[s.parent as usize];
                    if parent.children == 0 {
                        parent.first_child = at;
                    }
                    parent.children += 1;
                    tree.push(WalkNode::new(next, s.start, s.end, s.number));
                }
            }
            for n in &tree[from..] {
                sink ^= index.touch_entries(n.node);
            }
            level = from..tree.len();
            depth += 1;
        }
        std::hint::black_box(sink);
        roots
    }

    /// Reports the path to tree node `i`, then visits its children.
    fn visit(&mut self, tree: &[WalkNode], i: usize, path: &mut Vec<Step>) {
        let n = &tree[i];
        path.push(Step {
            start: n.start,
            end: n.end,
            number: n.number,
        });
        self.report(n.node, path);
        let first = n.first_child as usize;
        for c in first..first + n.children as usize {
            self.visit(tree, c, path);
        }
        path.pop();
    }

    /// Records the values whose whole token sequence ends here, and address prefixes.
    fn report(&mut self, node: Node, path: &[Step]) {
        let (Some(first), Some(last)) = (path.first(), path.last()) else {
            return;
        };
        let address_like = path.len() >= 2
            && first.number.is_none()
            && path[1..].iter().all(|s| s.number.is_some());
        let address_ok = address_like && address_boundary(&self.t.chars, first.start);
        if address_ok && path.len() >= 3 {
            // Kept as the town's place and the numbers; its canonical text is only made for the
            // few findings that list address prefixes.
            let mut numbers = [0u32; MAX_WALK_TOKENS - 1];
            for (n, s) in numbers.iter_mut().zip(&path[1..]) {
                *n = s.number.unwrap_or_default();
            }
            self.addresses.push(AddressPath {
                start: first.start,
                town_end: first.end,
                end: last.end,
                numbers,
                count: (path.len() - 1).min(MAX_WALK_TOKENS - 1) as u8,
            });
        }
        let cap = self.m.config.max_records_per_value;
        let latin = self.t.chars[first.start].is_ascii_alphabetic();
        for (kind, records) in self.m.index.entries(node) {
            let allowed = match kind {
                FieldKind::Address => address_ok,
                _ => true,
            };
            if allowed && records.len() <= cap {
                self.hits.push(Hit {
                    kind,
                    start: first.start,
                    end: last.end,
                    records,
                    latin: latin && kind == FieldKind::NameKana,
                });
            }
        }
    }
}

/// Where a token that starts at `i` goes on after a gap at `j` (a separator or a quote), when
/// pass 1 steps over it: up to [`MAX_SEPARATORS`] characters of the kind the walk steps over
/// between a name's tokens, at least one of them a separator and none a line break, with more
/// of the token after them (`松本 菜々子`, `松本,菜々子`, `"松本","菜々子"` for a register's
/// `松本菜々子`; also a JSON key between, `"松本","first_name":"菜々子"`), and only when the token starts a word (not `ウ タ` inside `カトウ タツヤ`).
/// Asked only for registers with names stored without a space.
#[cold]
#[inline(never)]
fn gap_inside_token(chars: &[char], i: usize, j: usize) -> Option<usize> {
    let mut next = skip_separators(chars, j);
    if next > j && chars[next - 1] == '\n' {
        // `姓：松本` over `名：菜々子`; no other line break.
        let after = next_labelled_line(chars, j, next);
        return (after > next).then_some(after);
    }
    // And the key of the next JSON value (`"松本","first_name":"菜々子"`).
    if next > j && chars[next - 1] == '"' && chars.get(next).is_some_and(|c| !c.is_ascii_digit()) {
        next = skip_json_key(chars, next);
    }
    // Or of the next form field (`松本&mei=菜々子`).
    let form_key = next == j && chars.get(j) == Some(&'&');
    if form_key {
        next = skip_form_key(chars, j);
    }
    let gap = &chars[j..next];
    let resumes = chars
        .get(next)
        .is_some_and(|&c| !is_token_separator(c) && !is_quote(c) && c != '-');
    (resumes
        && (next > j && form_key || gap.iter().any(|&c| is_token_separator(c)))
        && !gap.iter().any(|&c| is_line_break(c))
        && starts_word(chars, i))
    .then_some(next)
}

/// A line break: the end of a row, which no name or cell gap spans.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r')
}

/// What ends a cell of a row: `,`, tab, `|`, `;`.
fn is_cell_end(c: char) -> bool {
    matches!(c, ',' | '\t' | '|' | ';')
}

/// Quotes and spaces looked past around a cell's value.
const CELL_PADDING: usize = 3;

/// Whether a cell starts at character `i`: after the start of the text, a line break or a
/// cell's end, with at most [`CELL_PADDING`] quotes and spaces between.
#[inline]
fn cell_starts_at(chars: &[char], i: usize) -> bool {
    let k = padding_before(chars, i);
    k == 0 || is_cell_end(chars[k - 1]) || is_line_break(chars[k - 1])
}

/// Where the quotes and spaces (at most [`CELL_PADDING`]) before character `i` start.
fn padding_before(chars: &[char], i: usize) -> usize {
    let mut k = i;
    while k > 0 && i - k < CELL_PADDING && (is_quote(chars[k - 1]) || chars[k - 1] == ' ') {
        k -= 1;
    }
    k
}

/// Where the quotes and spaces (at most [`CELL_PADDING`]) from character `j` on end.
fn padding_after(chars: &[char], j: usize) -> usize {
    let mut k = j;
    while k < chars.len() && k - j < CELL_PADDING && (is_quote(chars[k]) || chars[k] == ' ') {
        k += 1;
    }
    k
}

/// Whether a cell ends at character `j`: before the end of the text, a line break or a cell's
/// end, with at most [`CELL_PADDING`] quotes and spaces between.
fn cell_ends_at(chars: &[char], j: usize) -> bool {
    let k = padding_after(chars, j);
    k == chars.len() || is_cell_end(chars[k]) || is_line_break(chars[k])
}

/// [`cell_starts_at`], a JSON value's start (after `":` and a quote) or an SQL tuple's first
/// value (after `(` and a quote).
#[inline]
fn value_starts_at(chars: &[char], i: usize) -> bool {
    if cell_starts_at(chars, i) {
        return true;
    }
    let k = padding_before(chars, i);
    let quoted = || chars[k..i].iter().any(|&c| is_quote(c));
    match chars[k - 1] {
        '(' => quoted(),
        ':' => k >= 2 && is_quote(chars[k - 2]) && quoted(),
        _ => false,
    }
}

/// [`cell_ends_at`], or the end of a JSON object's or an SQL tuple's last value
/// (`"taro yamada"}`, `'taro yamada')`).
fn value_ends_at(chars: &[char], j: usize) -> bool {
    let k = padding_after(chars, j);
    let quoted = chars[j..k].iter().any(|&c| is_quote(c));
    cell_ends_at(chars, j) || (quoted && matches!(chars[k], '}' | ')'))
}

/// The quotes around values in CSV and SQL (`"山田","太郎"`, `('山田','太郎')`).
fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'')
}

/// The text of a token found at characters `a..b`: without the gap pass 1 may have stepped
/// over inside it (see [`gap_inside_token`]; tokens hold no separators, so the first place a
/// gap is possible is where it was).
pub(crate) fn token_text(t: &FoldedText, a: usize, b: usize) -> String {
    let chars = &t.chars[a..b];
    let gap = (1..chars.len())
        .filter(|&p| is_token_separator(chars[p]) || is_quote(chars[p]))
        .find_map(|p| Some((p, gap_inside_token(&t.chars, a, a + p)? - a)));
    let mut s = String::with_capacity(chars.len() * 3);
    match gap {
        Some((p, q)) => s.extend(chars[..p].iter().chain(&chars[q.min(chars.len())..])),
        None => s.extend(chars),
    }
    s
}

/// Whether a word starts at character `i`: at the start of the text, after a separator, or
/// where the script changes (kana, kanji, anything else), as at `名前：松本` or `は松本`
/// (hiragana is katakana once folded).
fn starts_word(chars: &[char], i: usize) -> bool {
    fn script(c: char) -> u8 {
        match c {
            '\u{30A0}'..='\u{30FF}' => 1,
            '\u{3005}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}' => 2,
            _ => 0,
        }
    }
    let Some(&p) = i.checked_sub(1).and_then(|k| chars.get(k)) else {
        return true;
    };
    let c = chars[i];
    is_token_separator(p) || script(p) != script(c) || (script(c) == 0 && !p.is_alphanumeric())
}

/// What may stand between a family and a given name written in Latin letters, as a byte.
/// Bitwise on purpose (no short-circuit): sixteen of them compile to vector compares.
#[inline]
fn is_name_gap_byte(b: u8) -> bool {
    (b == b' ') | (b == b',') | (b == b'\t') | (b == b'/') | (b == b'|') | (b == b';')
}

/// [`is_name_gap_byte`] of a folded character.
#[inline]
fn is_name_gap(c: char) -> bool {
    c.is_ascii() && is_name_gap_byte(c as u8)
}

/// A letter of a word in Latin letters as folded: lower-case ASCII, the macron and
/// circumflex vowels, and `'` or `-` inside the word.
fn is_romaji_letter(c: char) -> bool {
    c.is_ascii_lowercase()
        || matches!(
            c,
            '\'' | '-' | 'ā' | 'ī' | 'ū' | 'ē' | 'ō' | 'â' | 'î' | 'û' | 'ê' | 'ô'
        )
}

/// Where the word in Latin letters that ends at `e` starts (`e` when none does).
fn romaji_word_start(chars: &[char], e: usize) -> usize {
    let mut s = e;
    while s > 0 && e - s < romaji::MAX_ROMAJI_CHARS && is_romaji_letter(chars[s - 1]) {
        s -= 1;
    }
    s
}

/// The end of the word in Latin letters at `a` (at most [`romaji::MAX_ROMAJI_CHARS`]
/// characters; `'` and `-` only between letters).
fn romaji_word_end(chars: &[char], a: usize) -> usize {
    let mut b = a;
    while b < chars.len() && b - a < romaji::MAX_ROMAJI_CHARS && is_romaji_letter(chars[b]) {
        b += 1;
    }
    while b > a && matches!(chars[b - 1], '\'' | '-') {
        b -= 1;
    }
    b
}

/// Skips up to [`MAX_SEPARATORS`] separator characters between two tokens, and one more
/// between quoted cells with a space after the comma (`'山田', '太郎'` as SQL dumps write
/// their rows, `"Sato", "Taro"`): the closing quote, the three, and the opening quote.
fn skip_separators(chars: &[char], mut k: usize) -> usize {
    let start = k;
    while k < chars.len()
        && k - start < MAX_SEPARATORS
        && (is_token_separator(chars[k]) || matches!(chars[k], '"' | '\'' | '-'))
    {
        k += 1;
    }
    if k - start == MAX_SEPARATORS
        && is_quote(chars[start])
        && chars.get(k).is_some_and(|&c| is_quote(c))
    {
        k += 1;
    }
    k
}

/// Most characters of a JSON key stepped over between two values.
const MAX_JSON_KEY: usize = 24;

/// At `k`, right after the quote that opens a JSON key (`"山口", "first_name": "大介"`: the
/// separators before it already stepped over), the key, its closing quote, the `:` and the
/// quote that opens the value (spaces around the `:`): where the value starts. `k` when
/// there is no such key. A name split into two fields of an object
/// (`{"last_name":"山口","first_name":"大介"}`) is then one name, as in two cells of a row.
#[cold]
#[inline(never)]
fn skip_json_key(chars: &[char], k: usize) -> usize {
    let mut j = k;
    while j < chars.len()
        && j - k < MAX_JSON_KEY
        && !matches!(chars[j], '"' | '\n' | ',' | ':' | '{' | '}')
    {
        j += 1;
    }
    if j == k || chars.get(j) != Some(&'"') {
        return k;
    }
    j += 1;
    let spaces = |mut j: usize| {
        let from = j;
        while j < chars.len() && j - from < 2 && chars[j] == ' ' {
            j += 1;
        }
        j
    };
    j = spaces(j);
    if chars.get(j) != Some(&':') {
        return k;
    }
    j = spaces(j + 1);
    if chars.get(j) != Some(&'"') {
        return k;
    }
    j + 1
}

/// At `k`, the `&` that ends a form field's value (`name01=山口&name02=大介`, as a form post or a
/// URL's query carries them, decoded by folding): the next field's key (ASCII letters, digits,
/// `_` `-` `.` `[` `]`) and its `=`: where the next value starts. `k` when there is no such key.
#[cold]
#[inline(never)]
fn skip_form_key(chars: &[char], k: usize) -> usize {
    let mut j = k + 1;
    while j < chars.len()
        && j - k <= MAX_JSON_KEY
        && (chars[j].is_ascii_alphanumeric() || matches!(chars[j], '_' | '-' | '.' | '[' | ']'))
    {
        j += 1;
    }
    if j > k + 1 && chars.get(j) == Some(&'=') {
        j + 1
    } else {
        k
    }
}

/// Up to two spaces before `j`: where they start.
fn spaces_before(chars: &[char], mut j: usize) -> usize {
    let to = j.saturating_sub(2);
    while j > to && chars[j - 1] == ' ' {
        j -= 1;
    }
    j
}

/// At `i`, the quote that opens a JSON value: the quotes around its key (`"key": "`), if
/// one is there. The other way round from [`skip_json_key`].
fn json_key_before(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if chars.get(i) != Some(&'"') {
        return None;
    }
    let colon = spaces_before(chars, i)
        .checked_sub(1)
        .filter(|&j| chars[j] == ':')?;
    let close = spaces_before(chars, colon)
        .checked_sub(1)
        .filter(|&j| chars[j] == '"')?;
    let mut open = close;
    while open > 0
        && close - open < MAX_JSON_KEY
        && !matches!(chars[open - 1], '"' | '\n' | ',' | ':' | '{' | '}')
    {
        open -= 1;
    }
    let open = open
        .checked_sub(1)
        .filter(|&o| o < close - 1 && chars[o] == '"')?;
    Some((open, close))
}

/// At `i`, the quote that opens a JSON value: where the value before it ends (its closing
/// quote), when only `, "key":` stands between them (`"Daisuke","last_name":"Yamaguchi"`:
/// the quote after `Daisuke`).
#[cold]
#[inline(never)]
fn json_value_before(chars: &[char], i: usize) -> Option<usize> {
    let (open, _) = json_key_before(chars, i)?;
    let comma = spaces_before(chars, open)
        .checked_sub(1)
        .filter(|&j| chars[j] == ',')?;
    spaces_before(chars, comma)
        .checked_sub(1)
        .filter(|&j| chars[j] == '"')
}

/// Whether the JSON value starting at `a` (after its quote) is that of a key that names a part
/// of a person's name (`"last_name": "`, `"firstName":"`, `"sei":"`, `"姓":"`), folded.
#[cold]
#[inline(never)]
fn names_a_part_of_a_name(chars: &[char], a: usize) -> bool {
    let Some((open, close)) = a.checked_sub(1).and_then(|q| json_key_before(chars, q)) else {
        return false;
    };
    let start = open + 1;
    let key: String = chars[start..close]
        .iter()
        .filter(|&&c| !matches!(c, '_' | '-' | ' ' | '.'))
        .collect();
    matches!(
        key.as_str(),
        "lastname"
            | "firstname"
            | "familyname"
            | "givenname"
            | "surname"
            | "forename"
            | "sei"
            | "mei"
            | "namesei"
            | "namemei"
            | "姓"
            | "名"
            | "セイ"
            | "メイ"
    )
}

/// Most characters of a label before a value on its line (`お名前（姓）：`).
const MAX_LABEL: usize = 16;

/// Where the value of a line starts after its label (`姓：`, `お名前（姓）:`, `【名】`, `mei =`):
/// at most [`MAX_LABEL`] characters, no line break among them and no digit but a field's
/// number last, after a word (`住所2：`, `address 2:`; not a time, `12:30`), then `:` (also the
/// full-width one, folded), `】`, `]` or `=`, then up to three spaces or tabs. `None` when the
/// line from `start` has no label.
#[inline]
pub(crate) fn value_after_label(chars: &[char], start: usize) -> Option<usize> {
    let mut j = start;
    while j < chars.len() && j - start <= MAX_LABEL {
        match chars[j] {
            ':' | '】' | ']' | '=' if j > start => {
                let mut v = j + 1;
                while v < chars.len() && v - j <= 3 && matches!(chars[v], ' ' | '\t') {
                    v += 1;
                }
                return Some(v);
            }
            '\n' | '\r' => return None,
            c if c.is_ascii_digit() => {
                let numbered = j > start
                    && !chars[start].is_ascii_digit()
                    && !chars[j - 1].is_ascii_digit()
                    && matches!(chars.get(j + 1), Some(':' | '】' | ']' | '='));
                if !numbered {
                    return None;
                }
                j += 1;
            }
            _ => j += 1,
        }
    }
    None
}

/// After a token that ends at `end` and a line break (the separators after it end at `k`,
/// the start of the next line's text), where a value split over two labelled lines goes on
/// (`姓：山口` over `名：大介`, as web forms mail their fields): past the next line's label,
/// when the token's line is labelled too and its value ends at the token. `k` when not (the
/// walk then goes on at `k` as it did).
#[cold]
#[inline(never)]
fn next_labelled_line(chars: &[char], end: usize, k: usize) -> usize {
    if chars[end..k]
        .iter()
        .any(|&c| !matches!(c, ' ' | '\t' | '\r' | '\n'))
    {
        return k;
    }
    let Some(next) = value_after_label(chars, k)
        .filter(|&v| v < chars.len() && !matches!(chars[v], '\n' | '\r'))
    else {
        return k;
    };
    // The token's own line: a label, then the value the token ends.
    let mut ls = end;
    while ls > 0 && end - ls < MAX_LABEL + 40 && chars[ls - 1] != '\n' {
        ls -= 1;
    }
    if ls > 0 && chars[ls - 1] != '\n' {
        return k;
    }
    match value_after_label(chars, ls) {
        Some(v) if v < end => next,
        _ => k,
    }
}

/// Most kana a reading in parentheses after a token may have (`山口(やまぐち)大介(だいすけ)`).
const MAX_READING: usize = 12;

/// After a token, a reading in parentheses, as documents print furigana on one line
/// (`山口(やまぐち)大介(だいすけ)`: folded, the parentheses are ASCII and the kana katakana), and
/// the separators after it: where the next token may start. `k` when there is none.
#[inline]
fn skip_reading(chars: &[char], k: usize) -> usize {
    if chars.get(k) == Some(&'(') {
        reading_in_parentheses(chars, k)
    } else {
        k
    }
}

/// [`skip_reading`] at a `(`.
#[cold]
#[inline(never)]
fn reading_in_parentheses(chars: &[char], k: usize) -> usize {
    let kana = |c: char| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー');
    let mut j = k + 1;
    while j < chars.len() && j - k <= MAX_READING && kana(chars[j]) {
        j += 1;
    }
    if j > k + 1 && chars.get(j) == Some(&')') {
        skip_separators(chars, j + 1)
    } else {
        k
    }
}

/// After a block number: its suffix (丁目, 番地, 番, 号; a space before it allowed, `2 丁目`)
/// and one separator (`-`, `の`, `ノ`, ` - `).
fn after_block_number(chars: &[char], mut k: usize) -> usize {
    let mut suffix = address_suffix_len(chars, k);
    if suffix == 0 && chars.get(k) == Some(&' ') {
        // `2 丁目 8 番 2 号`, as some forms print the numbers in boxes of their own.
        suffix = address_suffix_len(chars, k + 1);
        k += usize::from(suffix > 0);
    }
    k += suffix;
    match chars.get(k) {
        Some('-' | 'ノ' | 'の' | 'ー') => k + 1,
        // A hyphen spaced apart (`2 - 8 - 2`).
        Some(' ') if chars.get(k + 1) == Some(&'-') && chars.get(k + 2) == Some(&' ') => k + 3,
        Some(' ') if suffix > 0 => k + 1,
        _ => k,
    }
}

/// A block number at `k`: ASCII digits, or kanji numerals followed by an address suffix.
fn number_at(chars: &[char], k: usize) -> Option<(u32, usize)> {
    let mut j = k;
    while j < chars.len() && chars[j].is_ascii_digit() && j - k < 6 {
        j += 1;
    }
    if j > k {
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            return None;
        }
        let v = chars[k..j]
            .iter()
            .fold(0u32, |acc, c| acc * 10 + (*c as u32 - '0' as u32));
        return Some((v, j - k));
    }
    while j < chars.len() && is_kanji_numeral(chars[j]) && j - k < 6 {
        j += 1;
    }
    if j > k && address_suffix_len(chars, j) > 0 {
        return kanji_numeral_value(&chars[k..j]).map(|v| (v, j - k));
    }
    None
}

/// Whether token `id` starts some record's address in `m`'s register: block numbers follow it
/// there (a town's chome or first number is small).
#[cold]
fn starts_address(m: &Matcher, id: u32) -> bool {
    let (index, bundle) = (&m.index, &m.bundle);
    index.step(index.start(), id).is_some_and(|node| {
        (1..=9).any(|n| {
            index
                .number_id(n, bundle)
                .is_some_and(|number| index.step(node, number).is_some())
        })
    })
}

/// A town name starts an address only at a boundary: not in the middle of a longer word (so
/// `東七松町` does not also count as `七松町`). Allowed before it: nothing, a non-letter, the end
/// of a prefecture, city, ward or district name, a particle of a sentence (`住所は立花町…`,
/// `…さんは立花町…`, `立花町に`; not `の`, which town names hold: `武庫の里`), or the label
/// `住所` written without a colon (`新住所立花町…`, a form's or a notice's).
fn address_boundary(chars: &[char], start: usize) -> bool {
    let Some(&prev) = start.checked_sub(1).and_then(|p| chars.get(p)) else {
        return true;
    };
    if matches!(
        prev,
        '県' | '都' | '府' | '道' | '市' | '区' | '郡' | '町' | '村'
    ) {
        return true;
    }
    // Folded: hiragana are katakana.
    if matches!(prev, 'ハ' | 'ガ' | 'ヲ' | 'ニ' | 'デ' | 'ヘ' | 'ト' | 'モ') {
        return true;
    }
    if prev == '所' && start >= 2 && chars.get(start - 2) == Some(&'住') {
        return true;
    }
    !(prev.is_alphanumeric())
}

/// Whether the digit at `chars[i]`, a cell of its own, starts a run of seven or more such
/// (see `FoldedText::join_boxed_cells`): the next cell is a digit alone too, and so on. Each
/// run is followed to its end from at most six of its digits (a seventh makes it one to join,
/// and pass 1 asks no more of the block), so the time this takes stays in proportion to the
/// block's length.
#[cold]
#[inline(never)]
fn boxed_digits_at(chars: &[char], i: usize) -> bool {
    let next = chars[i + 1..]
        .iter()
        .take(text::MAX_BOX_GAP + 1)
        .position(|&c| !is_cell_gap(c))
        .map(|k| i + 1 + k);
    next.is_some_and(|j| chars[j].is_ascii_digit() && is_single(chars, j))
        && is_single(chars, i)
        && boxed_run(chars, i, None).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::text::FoldedText;
    use crate::scan::{Buffers, Caches, ProbeMemo};

    /// The depth-first walk the level-wise one replaced: the reference for its output.
    fn depth_first(scan: &mut BlockScan<'_>, node: Node, path: &mut Vec<Step>) {
        scan.report(node, path);
        if path.len() >= MAX_WALK_TOKENS {
            return;
        }
        let Some(last) = path.last().copied() else {
            return;
        };
        let (index, chars) = (&scan.m.index, &scan.t.chars);
        let k = if last.number.is_some() {
            after_block_number(chars, last.end)
        } else {
            scan.next_token_at(last.end)
        };
        if let Some((value, len)) = number_at(chars, k)
            && let Some(id) = index.number_id(value, &scan.m.bundle)
            && let Some(next) = index.step(node, id)
        {
            path.push(Step {
                start: k,
                end: k + len,
                number: Some(value),
            });
            depth_first(scan, next, path);
            path.pop();
        }
        let (lo, hi) = (scan.edge_at[k] as usize, scan.edge_at[k + 1] as usize);
        for e in lo..hi {
            let edge = scan.edges[e];
            if let Some(next) = scan.m.index.step(node, edge.id) {
                path.push(Step {
                    start: edge.start,
                    end: edge.end,
                    number: None,
                });
                depth_first(scan, next, path);
                path.pop();
            }
        }
    }

    #[test]
    fn level_wise_walk_reports_what_a_depth_first_walk_reports() {
        let (m, residents) = crate::scan::tests::fixture();
        // Rows and prose with names, readings and addresses in several notations, back to
        // back so that paths branch (a town followed by numbers and by tokens).
        let mut text = String::new();
        for (i, x) in residents.iter().take(80).enumerate() {
            let chome = x.chome.map(|c| format!("{c}丁目")).unwrap_or_default();
            text.push_str(&match i % 6 {
                0 => format!(
                    "{},{},{},{}\n",
                    x.name(),
                    x.name_kana(),
                    x.address(),
                    x.phone
                ),
                1 => format!(
                    "{}{}さんは{}{}{}番{}号に住む。",
                    x.family, x.given, x.town, chome, x.ban, x.go
                ),
                2 => format!(
                    "{}　{}|{}{}|{}\n",
                    x.family, x.given, x.family_kana, x.given_kana, x.town
                ),
                3 => format!("{}{}-{}{}{}\n", x.town, x.ban, x.go, x.family, x.given),
                // Keys between a value's parts, readings in parentheses.
                4 => format!(
                    "{{\"sei\": \"{}\", \"mei\": \"{}\", \"town\":\"{}\",\"ban\":\"{}-{}\"}}\n",
                    x.family, x.given, x.town, x.ban, x.go
                ),
                _ => format!(
                    "{}({}){}({})\n",
                    x.family, x.family_kana, x.given, x.given_kana
                ),
            });
        }
        let folded = FoldedText::fold(&text, 0, FoldedText::default());
        let mut memo: Box<ProbeMemo> = Box::new([0; 1 << 13]);
        let mut token_ids = crate::scan::TokenIds::default();
        let name_values = vec![std::cell::OnceCell::new(); m.bundle.vocabulary_len()];
        let birth_dates =
            vec![std::cell::Cell::new(None); crate::scan::corroborate::BIRTH_DATE_SLOTS];
        let caches = Caches {
            memo: &mut memo,
            token_ids: &mut token_ids,
            name_values: &name_values,
            birth_dates: &birth_dates,
        };
        let mut bufs = Buffers::default();
        let mut scan = BlockScan::new(m, (&folded, &text), caches, &mut bufs);
        scan.find_candidates();
        let before = scan.hits.len();
        scan.walk_multi_token();
        let summary = |scan: &BlockScan<'_>| {
            let hits: Vec<_> = scan.hits[before..]
                .iter()
                .map(|h| (h.kind, h.start, h.end, h.records.to_vec()))
                .collect();
            let addresses: Vec<_> = scan
                .addresses
                .iter()
                .map(|a| (a.start, a.town_end, a.end, a.numbers, a.count))
                .collect();
            (hits, addresses)
        };
        let level_wise = summary(&scan);
        assert!(level_wise.0.len() > 100, "{} hits", level_wise.0.len());
        assert!(!level_wise.1.is_empty());
        scan.hits.truncate(before);
        scan.addresses.clear();
        let mut path = Vec::new();
        for e in 0..scan.edges.len() {
            let edge = scan.edges[e];
            if let Some(node) = m.index.step(m.index.start(), edge.id) {
                path.push(Step {
                    start: edge.start,
                    end: edge.end,
                    number: None,
                });
                depth_first(&mut scan, node, &mut path);
                path.pop();
            }
        }
        // The passes after the walk, as `walk_multi_token` takes them.
        if scan.candidate_buffers.romaji_block {
            scan.reversed_romaji_names();
        }
        scan.reversed_cell_names();
        assert!(level_wise == summary(&scan));
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn block_numbers() {
        let cases: [(&str, Option<(u32, usize)>); 6] = [
            ("23番", Some((23, 2))),
            ("一丁目", Some((1, 1))),
            ("二十三番地", Some((23, 3))),
            ("一郎", None),
            ("1234567", None),
            ("x", None),
        ];
        for (s, want) in cases {
            assert_eq!(number_at(&chars(s), 0), want, "{s}");
        }
        let c = chars("1丁目 23番4号");
        assert_eq!(after_block_number(&c, 1), 4);
        assert_eq!(after_block_number(&c, 6), 7);
        let c = chars("1-23");
        assert_eq!(after_block_number(&c, 1), 2);
        // A space before the suffix, and one after it.
        let c = chars("1 丁目 23 番 4 号");
        assert_eq!(after_block_number(&c, 1), 5);
        assert_eq!(after_block_number(&c, 7), 10);
        // A space before what is no suffix is not stepped over.
        let c = chars("1 x");
        assert_eq!(after_block_number(&c, 1), 1);
    }

    #[test]
    fn address_boundaries() {
        let c = chars("尼崎市東七松町");
        assert!(address_boundary(&c, 3));
        assert!(!address_boundary(&c, 4));
        assert!(address_boundary(&c, 0));
        let c = chars("住所:東七松町");
        assert!(address_boundary(&c, 3));
        // After a particle (folded to katakana), not after `の` or another kana.
        for (text, at, boundary) in [
            ("さんは東七松町", 3, true),
            ("住所は東七松町", 3, true),
            ("住所も東七松町", 3, true),
            ("新住所東七松町", 3, true),
            ("研究所東七松町", 3, false),
            ("武庫の里", 3, false),
            ("むこの里", 3, false),
            ("あさ東七松町", 2, false),
        ] {
            let folded = fingerprints::normalize::fold_str(text);
            let c = chars(&folded);
            assert_eq!(address_boundary(&c, at), boundary, "{text}");
        }
    }

    #[test]
    fn cells() {
        // (text, a place, a cell starts there, a cell ends there)
        let cases = [
            ("太郎,山田", 0, true, false),
            ("太郎,山田", 2, false, true),
            ("太郎,山田", 3, true, false),
            ("太郎,山田", 5, false, true),
            ("\"太郎\", \"山田\"", 1, true, false),
            ("\"太郎\", \"山田\"", 3, false, true),
            ("\"太郎\", \"山田\"", 6, true, false),
            ("阿部 エリカ\tアベ", 3, false, false),
            ("阿部 エリカ\tアベ", 6, false, true),
            ("| 太郎 | 山田 |", 2, true, false),
            ("x\n太郎", 2, true, false),
            ("名前:太郎", 3, false, false),
            ("太郎    ,", 2, false, false),
        ];
        for (text, k, starts, ends) in cases {
            let c = chars(text);
            assert_eq!(cell_starts_at(&c, k), starts, "{text:?} at {k}");
            assert_eq!(cell_ends_at(&c, k), ends, "{text:?} at {k}");
        }
    }

    #[test]
    fn gaps_stepped_over_inside_tokens() {
        // (text, token start, the gap's start, where the token goes on)
        let cases = [
            ("松本 菜々子", 0, 2, Some(3)),
            ("松本  菜々子", 0, 2, Some(4)),
            ("松本,菜々子", 0, 2, Some(3)),
            ("\"松本\",\"菜々子\"", 1, 3, Some(6)),
            ("('松本','菜々子')", 2, 4, Some(7)),
            ("('松本', '菜々子')", 2, 4, Some(8)),
            ("[\"松本\", \"菜々子\"]", 2, 4, Some(8)),
            ("松本\t菜々子", 0, 2, Some(3)),
            ("名前:松本 菜々子", 3, 5, Some(6)),
            ("ハ松本 菜々子", 1, 3, Some(4)),
            ("カトウ タツヤ", 0, 3, Some(4)),
            // Not a word's start, a line break, too long a gap, nothing after it, a quote
            // alone (part of a token: `o'brien`).
            ("カトウ タツヤ", 2, 3, None),
            ("氏名松本 菜々子", 2, 4, None),
            ("松本\n菜々子", 0, 2, None),
            ("松本 \r\n菜々子", 0, 2, None),
            ("松本 ,  菜々子", 0, 2, None),
            // Four only from a quote to a quote.
            ("松本 ,  '菜々子'", 0, 2, None),
            ("'松本' ,  菜々子", 1, 3, None),
            ("松本 ", 0, 2, None),
            ("o'brien", 0, 1, None),
        ];
        for (text, i, j, want) in cases {
            let c = chars(text);
            assert_eq!(gap_inside_token(&c, i, j), want, "{text:?} from {i}");
        }
    }
}
