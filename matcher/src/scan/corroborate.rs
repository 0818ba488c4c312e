//! Corroboration: around each place a record was found, look for its other fields (birth date,
//! postal code, name tokens, address prefixes) in the record-scoped Bloom filter, then score.
//! Each value found in the block is hashed once ([`CorroboratorValue`]) and then scoped to each
//! record it is checked against with a few multiplications.

use std::cell::{Cell, OnceCell};

use fingerprints::normalize::{
    CELL_CHARS, Date, parse_cell_date_prefix, parse_date_prefix, parse_era_cell_date,
    parse_eraless_date_prefix, parse_kanji_numeral_date_prefix, parse_numeric_date_prefix,
    parse_short_year_date_prefix, three_digit_cells,
};
use fingerprints::{Bundle, CorroboratorValue, FieldKind};

mod postal;

use super::text::FoldedText;
use super::{Accumulator, BlockScan, Edge, Group, Hit, RecordMarks};
use crate::{Confidence, Span};

/// Lines longer than this (characters) are not taken whole into a proximity window.
const MAX_LINE_WINDOW: usize = 4096;

/// A hit naming more records than this (a common name, a large apartment block) is "wide": its
/// records are only corroborated by a birth date and only reported when that raises them to
/// medium, since a low finding for one of dozens of namesakes says nothing.
const NARROW_HIT_RECORDS: usize = 8;

/// What the corroboration of one block looks up, computed once.
struct Context {
    /// Dates in the block, by start.
    dates: Vec<Weak>,
    /// Postal codes in the block, by start.
    postals: Vec<Weak>,
    /// Where names were found, sorted.
    name_starts: Vec<usize>,
    /// Where readings were found, sorted.
    kana_starts: Vec<usize>,
    /// Where names and readings were found, start and end, sorted.
    name_spans: Vec<(usize, usize)>,
    /// The window of each hit: start, end, and whether it is a table row.
    windows: Vec<(usize, usize, bool)>,
    /// Where each hit's record's birth date may be: its window, or its own line when that is
    /// no table row and holds a date (a list of people with their birth dates, one a line:
    /// the next line's date is someone else's); and whether it is that line.
    date_windows: Vec<(usize, usize, bool)>,
}

/// The vectors of a block's corroboration, kept per thread with their allocations (see
/// [`super::Buffers`]); empty between blocks.
#[derive(Default)]
pub(crate) struct Buffers {
    dates: Vec<Weak>,
    postals: Vec<Weak>,
    phones: Vec<CellPhone>,
    name_starts: Vec<usize>,
    kana_starts: Vec<usize>,
    name_spans: Vec<(usize, usize)>,
    windows: Vec<(usize, usize, bool)>,
    date_windows: Vec<(usize, usize, bool)>,
    rows: Vec<u8>,
    born: Vec<Option<Vec<u32>>>,
    kept: Vec<u32>,
    kept_at: Vec<(u32, u32)>,
    order: Vec<u32>,
    by_record: Vec<u64>,
    skips: Vec<bool>,
    longer: Vec<bool>,
    his: Vec<usize>,
    radix: Vec<u64>,
}

/// Empties `v` and puts it (its allocation) back into `slot`.
fn give_back<T>(slot: &mut Vec<T>, mut v: Vec<T>) {
    v.clear();
    *slot = v;
}

/// Records born on a date near a hit, sorted.
struct BornSet<'b>(&'b [u32]);

impl BornSet<'_> {
    fn contains(&self, r: &u32) -> bool {
        self.0.binary_search(r).is_ok()
    }
}

/// The outcome of scoring one group of a record's hits.
enum Scored {
    /// Not a finding at all.
    Nothing,
    /// A finding below the matcher's minimum confidence: counted, not built.
    Below,
    /// A finding.
    Found(Group),
}

/// A low-entropy value found in the block (a date or postal code), checked only near hits.
/// Deliberately not `Debug`: it holds a value read from the page.
struct Weak {
    start: usize,
    end: usize,
    kind: FieldKind,
    /// The canonical form, ASCII digits (`YYYYMMDD`, or the postal code's 7): no allocation for
    /// the many values never looked up.
    digits: [u8; 8],
    len: u8,
    /// Its keyed fingerprint, once asked.
    value: OnceCell<CorroboratorValue>,
}

impl Weak {
    fn new(start: usize, end: usize, kind: FieldKind, digits: [u8; 8], len: u8) -> Weak {
        Weak {
            start,
            end,
            kind,
            digits,
            len,
            value: OnceCell::new(),
        }
    }

    /// A birth date read at `start..end`.
    fn date(start: usize, end: usize, date: Date) -> Weak {
        Weak::new(start, end, FieldKind::BirthDate, date.canonical_digits(), 8)
    }

    /// The canonical form as text (ASCII digits).
    fn canonical(&self) -> &str {
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The value's keyed fingerprint (hashed at the first ask, or for a birth date taken from
    /// `dates`, the thread's fingerprints by day).
    fn value(
        &self,
        bundle: &Bundle,
        dates: &[Cell<Option<CorroboratorValue>>],
    ) -> &CorroboratorValue {
        self.value.get_or_init(|| {
            let slot = match self.kind {
                FieldKind::BirthDate => birth_date_slot(&self.digits).and_then(|d| dates.get(d)),
                _ => None,
            };
            if let Some(v) = slot.and_then(Cell::get) {
                return v;
            }
            let canonical =
                std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default();
            let v = bundle.hasher().corroborator_value(self.kind, canonical);
            if let Some(slot) = slot {
                slot.set(Some(v));
            }
            v
        })
    }
}

/// Birth years with a slot in the per-thread fingerprints by day: 1900 to 2029.
const BIRTH_DATE_FIRST_YEAR: usize = 1900;
const BIRTH_DATE_YEARS: usize = 130;

/// Slots of the per-thread fingerprints of birth dates: 372 a year (12 months of 31 days).
pub(crate) const BIRTH_DATE_SLOTS: usize = BIRTH_DATE_YEARS * 372;

/// The slot of a canonical date (`YYYYMMDD`, ASCII digits), if its year has slots.
fn birth_date_slot(digits: &[u8; 8]) -> Option<usize> {
    let n = |r: std::ops::Range<usize>| {
        digits[r].iter().fold(0usize, |acc, &d| {
            acc * 10 + usize::from(d.wrapping_sub(b'0'))
        })
    };
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    let year = y.checked_sub(BIRTH_DATE_FIRST_YEAR)?;
    (year < BIRTH_DATE_YEARS && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| year * 372 + (m - 1) * 31 + (d - 1))
}

impl BlockScan<'_> {
    /// Pass 3: group each record's hits by proximity, corroborate, score, accumulate.
    pub(crate) fn corroborate(
        &mut self,
        acc: &mut Accumulator,
        marks: &mut RecordMarks,
        bufs: &mut Buffers,
    ) {
        if self.hits.is_empty() {
            return;
        }
        use std::mem::take;
        let w = self.m.config.proximity_chars;
        let (mut dates, mut postals) = (take(&mut bufs.dates), take(&mut bufs.postals));
        let mut phones = take(&mut bufs.phones);
        let chars = &self.t.chars;
        weak_values(
            chars,
            &self.candidate_buffers.digit_runs,
            &mut dates,
            &mut postals,
            &mut phones,
        );
        if !phones.is_empty() {
            self.phones_in_cells(&phones);
        }
        give_back(&mut bufs.phones, phones);
        let mut lines = Lines::with_buffers(chars.len(), &self.t.breaks, take(&mut bufs.rows));
        if !postals.is_empty() && self.m.bundle.has_postal_towns() {
            self.addresses_by_postal_code(&postals, &mut lines);
        }
        // Each hit's window, computed once (a hit is shared by all its records).
        let mut windows = take(&mut bufs.windows);
        windows.extend(self.hits.iter().map(|h| {
            let window = self.window(h.start, h.end, w, &mut lines);
            if h.latin && !window.2 {
                own_line_if_dated(h, window, &dates, &mut lines)
            } else {
                window
            }
        }));
        // E-mail addresses written to dodge harvesters, in the hits' windows; their hits'
        // windows after the others'.
        let found_before = self.hits.len();
        self.obfuscated_emails(&windows);
        for k in found_before..self.hits.len() {
            let (start, end) = (self.hits[k].start, self.hits[k].end);
            windows.push(self.window(start, end, w, &mut lines));
        }
        let chars = &self.t.chars;
        // Dates in kanji numerals are written in prose and certificates, not in the rows of a
        // dump: looked for only where some hit is not in a row.
        if !self.t.is_ascii() && windows.iter().any(|w| !w.2) {
            kanji_numeral_dates(self.block, self.t, &mut dates);
        }
        let name_spans = self.name_spans(take(&mut bufs.name_spans));
        let mut date_windows = take(&mut bufs.date_windows);
        // The last line asked about, and whether it holds a date (hits come mostly line by
        // line).
        let mut last: Option<(usize, usize, bool)> = None;
        date_windows.extend(self.hits.iter().zip(&windows).map(|(h, &(ws, we, row))| {
            if row {
                return (ws, we, false);
            }
            let dated_line = match last {
                Some((ls, le, dated)) if ls <= h.start && h.end <= le => Some((ls, le, dated)),
                _ => match lines.around(h.start, h.end) {
                    (Some(ls), Some(le)) => {
                        let dated = within(&dates, ls, le).iter().any(|d| d.end <= le);
                        last = Some((ls, le, dated));
                        last
                    }
                    _ => None,
                },
            };
            match dated_line {
                Some((ls, le, true)) => (ls, le, true),
                // A line without a date: the lines around it, up to those that hold another
                // name (a list of people, some lines without a date: the next line's date is
                // that line's person's).
                Some((ls, le, false)) => {
                    let (from, to) = up_to_other_names(&name_spans, &self.t.breaks, (ls, le));
                    (ws.max(from), we.min(to).max(ws.max(from)), false)
                }
                None => (ws, we, false),
            }
        }));
        let cx = Context {
            dates,
            postals,
            name_starts: self.starts_of(FieldKind::Name, take(&mut bufs.name_starts)),
            kana_starts: self.starts_of(FieldKind::NameKana, take(&mut bufs.kana_starts)),
            name_spans,
            windows,
            date_windows,
        };
        // Per hit, for wide hits once asked: which of its records were born on a date in its
        // window.
        let mut born = take(&mut bufs.born);
        born.resize(self.hits.len(), None);
        let (mut kept, mut kept_at) = (take(&mut bufs.kept), take(&mut bufs.kept_at));
        self.keep_reportable(&cx, &lines, marks, &mut born, (&mut kept, &mut kept_at));
        // A name or reading in a table row that the character before or after it carries on in
        // the same script is part of a longer name (`中村 浩` of `'中村', '浩之'`, `カトウ ユミ`
        // of `カトウ ユミコ`, `原 順子` of `西原 順子`): someone else's, and not followed up. In
        // prose, where a name runs on into particles and titles and follows labels, only when a
        // token of some name runs on past either end (`森　健` of `森　健太郎`, `岡 彩花` of
        // `松岡 彩花`: the tokens `健太郎`, `松岡`).
        let mut longer = take(&mut bufs.longer);
        longer.extend(self.hits.iter().zip(&cx.windows).map(|(h, &(_, _, row))| {
            if row {
                continues_a_word(h, chars)
            } else {
                self.name_token_runs_past(h)
            }
        }));
        let records_of = |i: usize| -> &[u32] {
            if longer[i] {
                return &[];
            }
            match kept_at.get(i) {
                Some(&(a, b)) if a != u32::MAX => &kept[a as usize..b as usize],
                _ => self.hits[i].records,
            }
        };
        // Most records are named by one hit of the block: they are scored straight from it.
        // The others become `record << 32 | rank` keys (rank: the hit's place in text order),
        // sorted so that each such record's hits are one run in text order.
        for i in 0..self.hits.len() {
            for &r in records_of(i) {
                marks.mark(r);
            }
        }
        let mut order = take(&mut bufs.order);
        order.extend(0..self.hits.len() as u32);
        order.sort_unstable_by_key(|&i| {
            let h = &self.hits[i as usize];
            (h.start, h.end, i)
        });
        let mut by_record = take(&mut bufs.by_record);
        // Per hit: whether a group of it alone is skipped.
        let mut skips = take(&mut bufs.skips);
        skips.resize(self.hits.len(), false);
        for (rank, &i) in order.iter().enumerate() {
            let i = i as usize;
            let h = &self.hits[i];
            let his = [i];
            let (ws, we, row) = cx.windows[i];
            let wide = h.records.len() > NARROW_HIT_RECORDS;
            let skip = (wide || row) && self.someone_else(&his, ws, we, &cx);
            skips[i] = skip;
            for &r in records_of(i) {
                if marks.is_multi(r) {
                    by_record.push((u64::from(r) << 32) | rank as u64);
                } else if !skip && (!wide || self.born_near(i, &cx, &mut born).contains(&r)) {
                    self.score(r, &his, (ws, we), wide, &cx, acc);
                }
            }
        }
        for i in 0..self.hits.len() {
            for &r in records_of(i) {
                marks.clear(r);
            }
        }
        radix_sort_high(&mut by_record, &mut bufs.radix);
        let mut his = take(&mut bufs.his);
        let mut run = 0;
        while run < by_record.len() {
            let record = (by_record[run] >> 32) as u32;
            let run_end = run + by_record[run..].partition_point(|&e| (e >> 32) as u32 == record);
            his.clear();
            his.extend(
                by_record[run..run_end]
                    .iter()
                    .map(|&e| order[e as u32 as usize] as usize),
            );
            run = run_end;
            let mut c = 0;
            while c < his.len() {
                // A group: hits chained within each other's windows.
                let (mut ws, mut we, mut row) = cx.windows[his[c]];
                let mut d = c + 1;
                // Hits on two lines that each hold a date of their own are two people of a
                // list, a line each: not one group.
                while d < his.len()
                    && self.hits[his[d]].start < we
                    && !dated_apart(&cx.date_windows, his[d - 1], his[d])
                {
                    let (s, e, r) = cx.windows[his[d]];
                    ws = ws.min(s);
                    we = we.max(e);
                    row &= r;
                    d += 1;
                }
                // Hits that name many records (a common name) are only worth following up
                // where something else of the same record is near.
                let wide = his[c..d]
                    .iter()
                    .all(|&h| self.hits[h].records.len() > NARROW_HIT_RECORDS);
                let skip = if d == c + 1 {
                    skips[his[c]]
                } else {
                    (wide || row) && self.someone_else(&his[c..d], ws, we, &cx)
                };
                // A wide group can only reach medium with its record's birth date. The records
                // born on a date near a wide hit are known per hit; a group of hits with the
                // same window (a table row) shares them.
                let first = cx.windows[his[c]];
                let born_ok = !wide
                    || if his[c..d].iter().all(|&h| cx.windows[h] == first) {
                        self.born_near(his[c], &cx, &mut born).contains(&record)
                    } else {
                        self.born_on_any(record, &cx, &his[c..d])
                    };
                if !skip && born_ok {
                    self.score(record, &his[c..d], (ws, we), wide, &cx, acc);
                }
                c = d;
            }
        }
        let Context {
            dates,
            postals,
            name_starts,
            kana_starts,
            name_spans,
            windows,
            date_windows,
        } = cx;
        give_back(&mut bufs.dates, dates);
        give_back(&mut bufs.postals, postals);
        give_back(&mut bufs.name_starts, name_starts);
        give_back(&mut bufs.kana_starts, kana_starts);
        give_back(&mut bufs.name_spans, name_spans);
        give_back(&mut bufs.windows, windows);
        give_back(&mut bufs.date_windows, date_windows);
        give_back(&mut bufs.rows, lines.into_buffer());
        give_back(&mut bufs.born, born);
        give_back(&mut bufs.kept, kept);
        give_back(&mut bufs.kept_at, kept_at);
        give_back(&mut bufs.order, order);
        give_back(&mut bufs.by_record, by_record);
        give_back(&mut bufs.skips, skips);
        give_back(&mut bufs.longer, longer);
        give_back(&mut bufs.his, his);
    }

    /// In a block whose hits all lie in table rows (a dump), the records of each wide hit that
    /// can still be reported: those born on a date in its row, and those a narrow hit of the
    /// block names. The others cannot make a finding (a group of wide hits needs its record's
    /// birth date, and in such a block every hit's window is its own row, so the hits of one
    /// group share it), and leaving them out spares their marks, sorting and groups: in a dump
    /// of namesakes that is most of the records named.
    ///
    /// Fills `kept` with the kept records and `kept_at` with, per hit, their range in them
    /// (`u32::MAX`: all of the hit's records, for narrow hits); leaves both empty in blocks
    /// this does not apply to.
    fn keep_reportable(
        &self,
        cx: &Context,
        lines: &Lines<'_>,
        marks: &mut RecordMarks,
        born: &mut [Option<Vec<u32>>],
        (kept, kept_at): (&mut Vec<u32>, &mut Vec<(u32, u32)>),
    ) {
        let wide = |i: usize| self.hits[i].records.len() > NARROW_HIT_RECORDS;
        let rows_only = self
            .hits
            .iter()
            .zip(&cx.windows)
            .all(|(h, &(_, _, row))| row && lines.one_line(h.start, h.end));
        if !rows_only || !(0..self.hits.len()).any(wide) {
            return;
        }
        let narrow = || (0..self.hits.len()).filter(|&i| !wide(i));
        for i in narrow() {
            for &r in self.hits[i].records {
                marks.mark(r);
            }
        }
        kept_at.resize(self.hits.len(), (u32::MAX, 0));
        for i in (0..self.hits.len()).filter(|&i| wide(i)) {
            let from = kept.len() as u32;
            let b = self.born_near(i, cx, born);
            kept.extend(
                self.hits[i]
                    .records
                    .iter()
                    .copied()
                    .filter(|&r| marks.is_seen(r) || b.contains(&r)),
            );
            kept_at[i] = (from, kept.len() as u32);
        }
        for i in narrow() {
            for &r in self.hits[i].records {
                marks.clear(r);
            }
        }
    }

    /// The records of hit `i` born on a date in its window, sorted: computed once per hit (all
    /// its records against each date at once) and kept in `memo`.
    fn born_near<'b>(
        &self,
        i: usize,
        cx: &Context,
        memo: &'b mut [Option<Vec<u32>>],
    ) -> BornSet<'b> {
        let born = memo[i].get_or_insert_with(|| {
            let bundle = &self.m.bundle;
            let (ws, we, _) = cx.date_windows[i];
            let mut born = Vec::new();
            let mut maybe = Vec::new();
            for v in dates_near(cx, ws, we) {
                maybe.clear();
                let value = v.value(bundle, self.caches.birth_dates);
                bundle.birth_tag_matches(self.hits[i].records, value, &mut maybe);
                born.extend(
                    maybe
                        .iter()
                        .copied()
                        .filter(|&r| bundle.corroborates_value(r, value)),
                );
            }
            born.sort_unstable();
            born.dedup();
            born
        });
        BornSet(born)
    }

    /// Whether a date near the hits `hit_ids` (see [`date_range`]) is `record`'s birth date.
    fn born_on_any(&self, record: u32, cx: &Context, hit_ids: &[usize]) -> bool {
        let bundle = &self.m.bundle;
        let (ws, we) = date_range(cx, hit_ids);
        dates_near(cx, ws, we)
            .any(|v| bundle.corroborates_value(record, v.value(bundle, self.caches.birth_dates)))
    }

    /// Whether a token of some name or reading starts inside name or reading hit `h` (after its
    /// first character) and ends after it, or starts before it and ends inside it: the name is
    /// part of another (`森　健` of `森　健太郎`, `岡 彩花` of `松岡 彩花`, where `健太郎` and
    /// `松岡` are tokens).
    fn name_token_runs_past(&self, h: &Hit<'_>) -> bool {
        if h.latin || !matches!(h.kind, FieldKind::Name | FieldKind::NameKana) {
            return false;
        }
        let index = &self.m.index;
        let name_token = |e: &Edge| !e.romaji && index.in_names(e.id);
        let past_the_end = (h.start + 1..h.end).any(|k| {
            let (lo, hi) = (self.edge_at[k] as usize, self.edge_at[k + 1] as usize);
            self.edges[lo..hi]
                .iter()
                .any(|e| e.end > h.end && name_token(e))
        });
        // Tokens are a few characters long: those that start this far before it at most.
        past_the_end
            || (h.start.saturating_sub(MAX_TOKEN_BACK)..h.start).any(|k| {
                let (lo, hi) = (self.edge_at[k] as usize, self.edge_at[k + 1] as usize);
                self.edges[lo..hi]
                    .iter()
                    .any(|e| e.end > h.start && e.end < h.end && name_token(e))
            })
    }

    /// Where hits of `kind` start, sorted, in `v` (empty).
    fn starts_of(&self, kind: FieldKind, mut v: Vec<usize>) -> Vec<usize> {
        v.extend(self.hits.iter().filter(|h| h.kind == kind).map(|h| h.start));
        v.sort_unstable();
        v
    }

    /// Where names and readings were found (start and end), sorted, in `v` (empty).
    fn name_spans(&self, mut v: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
        v.extend(
            self.hits
                .iter()
                .filter(|h| matches!(h.kind, FieldKind::Name | FieldKind::NameKana))
                .map(|h| (h.start, h.end)),
        );
        v.sort_unstable();
        v
    }

    /// A record found by its reading only, next to a name in kanji that is not theirs (or the
    /// other way round), is someone else: its lookups are skipped. In a row of a table that
    /// holds for every record; in prose, where a window may span several people, only for
    /// namesakes of a common name (the caller decides which applies).
    fn someone_else(&self, hit_ids: &[usize], ws: usize, we: usize, cx: &Context) -> bool {
        let any_in = |v: &[usize]| {
            let i = v.partition_point(|&s| s < ws);
            v.get(i).is_some_and(|&s| s < we)
        };
        let has = |k: FieldKind| hit_ids.iter().any(|&h| self.hits[h].kind == k);
        let (name, kana) = (has(FieldKind::Name), has(FieldKind::NameKana));
        (kana && !name && any_in(&cx.name_starts)) || (name && !kana && any_in(&cx.kana_starts))
    }

    /// Scores one group of a record's hits and adds it to the document's findings.
    fn score(
        &self,
        record: u32,
        hit_ids: &[usize],
        window: (usize, usize),
        wide: bool,
        cx: &Context,
        acc: &mut Accumulator,
    ) {
        match self.group(record, hit_ids, window, cx, wide) {
            Scored::Nothing => {}
            Scored::Below => acc.add_below(record),
            Scored::Found(g) => acc.add(record, g),
        }
    }

    /// The proximity window of `start..end`, and whether it is a table row.
    ///
    /// When the line holding it is a row of a table or dump (it has several `,`, tab or `|`
    /// separators, or quoted values) the window is that line: fields of one record share a row,
    /// and the rows above and below are other people. Otherwise (prose, one field per line) it
    /// is `w` characters either side, widened to the whole line when the line is not too long.
    fn window(
        &self,
        start: usize,
        end: usize,
        w: usize,
        lines: &mut Lines<'_>,
    ) -> (usize, usize, bool) {
        let chars = &self.t.chars;
        let (line_start, line_end) = lines.around(start, end);
        if let (Some(ls), Some(le)) = (line_start, line_end) {
            if lines.is_row(chars, ls, le) {
                return (ls, le, true);
            }
            if let Some((cs, ce)) = card_around(chars, (ls, le), start) {
                return (cs, ce, true);
            }
        }
        let ws = line_start.map_or(start.saturating_sub(w), |ls| {
            ls.min(start.saturating_sub(w))
        });
        let we = line_end.map_or((end + w).min(chars.len()), |le| {
            le.max((end + w).min(chars.len()))
        });
        (ws, we, false)
    }

    /// Scores one group of a record's hits, after looking for its other fields in the window.
    fn group(
        &self,
        record: u32,
        hit_ids: &[usize],
        (ws, we): (usize, usize),
        cx: &Context,
        wide: bool,
    ) -> Scored {
        let floor = self.m.min_confidence;
        let bundle = &self.m.bundle;
        // `kinds`: fields found whole; `weak`: fields found only in part (an address prefix, a
        // postal code), listed but not counted for the confidence.
        let mut kinds = KindSet::default();
        let mut weak = KindSet::default();
        for &h in hit_ids {
            kinds.insert(self.hits[h].kind);
        }
        let in_window = |s: usize, e: usize| s >= ws && e <= we;
        let (dws, dwe) = date_range(cx, hit_ids);
        let date = dates_near(cx, dws, dwe)
            .find(|v| bundle.corroborates_value(record, v.value(bundle, self.caches.birth_dates)));
        if date.is_some() {
            kinds.insert(FieldKind::BirthDate);
        }
        let spans = || {
            let mut spans: Vec<(usize, usize, FieldKind)> = hit_ids
                .iter()
                .map(|&h| (self.hits[h].start, self.hits[h].end, self.hits[h].kind))
                .collect();
            if let Some(v) = date {
                spans.push((v.start, v.end, FieldKind::BirthDate));
            }
            spans
        };
        // Wide hits (a common name) end here, and most of them before anything is allocated.
        if wide {
            return match confidence(&kinds) {
                Some(c) if c >= Confidence::Medium && c >= floor => {
                    Scored::Found(self.finish_group(c, kinds, spans()))
                }
                Some(c) if c >= Confidence::Medium => Scored::Below,
                _ => Scored::Nothing,
            };
        }
        let mut found: Vec<(usize, usize, FieldKind, u32)> = Vec::new();
        // Name tokens are looked for around strong identifiers, and around a name-less value
        // (an address) that points at one or two records, not a whole apartment block.
        let strong_hit = hit_ids.iter().any(|&h| self.hits[h].kind.is_strong());
        let few_records = hit_ids.iter().all(|&h| self.hits[h].records.len() <= 2);
        if !kinds.contains(FieldKind::Name)
            && !kinds.contains(FieldKind::NameKana)
            && (strong_hit || few_records)
        {
            // Single name tokens: two different tokens of the name, or two of the reading (family
            // and given name written apart) stand for the name. A family name and its own
            // reading do not.
            // A token inside a whole name or reading found in the window is part of someone
            // else's name (had it been this record's, the record would have that hit in this
            // group): in a dump of look-alikes, the row's own name, next to an address that
            // names a resident.
            let covered = |e: &Edge| {
                let i = cx.name_spans.partition_point(|&(s, _)| s <= e.start);
                cx.name_spans[..i]
                    .iter()
                    .rev()
                    .take(4)
                    .any(|&(_, end)| end >= e.end)
            };
            let index = &self.m.index;
            let lo = self.edges.partition_point(|e| e.start < ws);
            let edges_in = self.edges[lo..]
                .iter()
                .take_while(|e| e.start < we)
                .filter(|e| index.in_names(e.id) && !covered(e));
            // Each lookup is a cache miss in a large filter: all of them are read first, in a
            // pass that nothing depends on, so that they wait for memory together.
            let sink = edges_in
                .clone()
                .filter(|e| e.end <= we)
                .filter_map(|e| self.name_value(e))
                .fold(0, |acc, v| acc ^ bundle.touch_corroborates(record, v));
            std::hint::black_box(sink);
            let (breaks, len) = (&self.t.breaks, self.t.chars.len());
            let line_of = |at: usize| line_bounds(breaks, at, len);
            // Two tokens stand for the name. On the line of the record's phone number, e-mail
            // address or My Number, one of two characters or more does too (`望月様
            // 06-6014-7937`, `Mochizuki 06-6014-7937`): the number is the record's own, and the
            // name says whose it is. Not next to an account number (seven digits: one number
            // in twenty is some resident's, such as the digits of a row's own id), nor next to
            // an address (a household, or a neighbour), nor one character (`島` of a town
            // `小中島`).
            let beside_identifier = |f: &(usize, usize, FieldKind, u32)| {
                f.1 - f.0 >= 2 && {
                    let (ls, le) = line_of(f.0);
                    hit_ids.iter().any(|&h| {
                        matches!(
                            self.hits[h].kind,
                            FieldKind::Phone | FieldKind::Email | FieldKind::NationalId
                        ) && (ls..=le).contains(&self.hits[h].start)
                    })
                }
            };
            for e in edges_in {
                if e.end > we {
                    continue;
                }
                // The same token id is the same token text.
                if found.iter().any(|f| f.3 == e.id) {
                    continue;
                }
                if e.romaji {
                    // A word in Latin letters stands for the readings of its romaji key, so
                    // more namesakes: it counts only beside the record's own number, as a
                    // token of the record's reading (`Index` knows the record's sequences).
                    let f = (e.start, e.end, FieldKind::NameKana, e.id);
                    if beside_identifier(&f)
                        && bundle.record_has_token(record, FieldKind::NameKana, e.id)
                    {
                        found.push(f);
                    }
                    continue;
                }
                let Some(value) = self.name_value(e) else {
                    continue;
                };
                if bundle.corroborates_value(record, value) {
                    found.push((e.start, e.end, value.kind(), e.id));
                }
            }
            // A listing of people, a line each: a token on a line of its own (none of the
            // group's hits is on it) that holds a date, none of them the record's birth date,
            // is the name of that line's person.
            if !found.is_empty() {
                found.retain(|f| {
                    let (ls, le) = line_of(f.0);
                    let dates = within(&cx.dates, ls, le);
                    hit_ids
                        .iter()
                        .any(|&h| (ls..=le).contains(&self.hits[h].start))
                        || dates.is_empty()
                        || dates.iter().any(|v| {
                            bundle.corroborates_value(
                                record,
                                v.value(bundle, self.caches.birth_dates),
                            )
                        })
                });
            }
            for kind in [FieldKind::Name, FieldKind::NameKana] {
                let n = found.iter().filter(|f| f.2 == kind).count();
                let stands =
                    n >= 2 || (n == 1 && found.iter().any(|f| f.2 == kind && beside_identifier(f)));
                if !stands {
                    found.retain(|f| f.2 != kind);
                } else {
                    kinds.insert(kind);
                }
            }
        }
        let Some(confidence) = confidence(&kinds) else {
            return Scored::Nothing;
        };
        if confidence < floor {
            return Scored::Below;
        }
        let mut spans = spans();
        spans.extend(found.iter().map(|f| (f.0, f.1, f.2)));
        // Supporting fields (postal code, address prefix) change no confidence; they are only
        // looked up to list them in findings that will be reported by default.
        if confidence >= Confidence::Medium {
            if let Some(v) = within(&cx.postals, ws, we).iter().find(|v| {
                in_window(v.start, v.end)
                    && bundle.corroborates_value(record, v.value(bundle, self.caches.birth_dates))
            }) {
                weak.insert(FieldKind::PostalCode);
                spans.push((v.start, v.end, FieldKind::PostalCode));
            }
            if !kinds.contains(FieldKind::Address)
                && let Some(a) = self.addresses.iter().find(|a| {
                    in_window(a.start, a.end)
                        && bundle.corroborates(record, FieldKind::Address, &a.canonical(self.t))
                })
            {
                weak.insert(FieldKind::Address);
                spans.push((a.start, a.end, FieldKind::Address));
            }
        }
        kinds.extend(weak);
        Scored::Found(self.finish_group(confidence, kinds, spans))
    }

    /// The keyed fingerprint of token `e` as a name or reading token: worked out once per
    /// thread and token, not per record.
    ///
    /// `None` for a reading found in Latin letters: its key is not the reading's text, whose
    /// fingerprint the bundle keeps (such a token counts in a whole name, not alone).
    fn name_value(&self, e: &Edge) -> Option<&CorroboratorValue> {
        if e.romaji {
            return None;
        }
        let cell = self.caches.name_values.get(e.id as usize)?;
        Some(cell.get_or_init(|| {
            let token = super::candidates::token_text(self.t, e.start, e.end);
            // Readings are katakana after folding; names are anything else.
            let kind = if token.chars().all(|c| matches!(c, '\u{30A0}'..='\u{30FF}')) {
                FieldKind::NameKana
            } else {
                FieldKind::Name
            };
            self.m.bundle.hasher().corroborator_value(kind, &token)
        }))
    }

    fn finish_group(
        &self,
        confidence: Confidence,
        kinds: KindSet,
        spans: Vec<(usize, usize, FieldKind)>,
    ) -> Group {
        let mut spans: Vec<Span> = spans
            .into_iter()
            .map(|(s, e, kind)| {
                let (start, end) = self.t.byte_span(s, e);
                Span { start, end, kind }
            })
            .collect();
        spans.sort();
        spans.dedup();
        Group {
            confidence,
            fields: kinds.iter().collect(),
            spans,
        }
    }
}

/// Characters before the first digit of a date at most: every date and postal code has an
/// ASCII digit in its first five characters (`h.元年2月1日` is the longest way there)...
const DIGIT_WITHIN: usize = 4;

/// ...or in its first eight, right after a space or a `(` that follows `年`, a separator, a
/// space or a `(` (`平成元年 ( 1989年)1月8日`, `h.元年 2月`, `平成元. 1.8`: see
/// `parse_date_prefix`). A dump's runs of digits mostly follow something else, so the farther
/// look back is rare.
const DIGIT_WITHIN_AFTER_GAP: usize = 7;

/// Every date in `chars`, in any notation `parse_date_prefix` reads, and every postal code
/// (`660-0051`, `6600051`), appended to `dates` and `postals`, each by start. `runs` are
/// where runs of ASCII digits start in `chars`, ascending (pass 1 notes them).
///
/// A date or postal code starts at the start of a run of digits, or at an era letter or kanji
/// at most [`DIGIT_WITHIN`] characters before one (or [`DIGIT_WITHIN_AFTER_GAP`]): only those
/// places are looked at. Prose and
/// markup have few digits, and in a dump that is one character in seven.
///
/// Dates written day or month first (`11/7/1988`, `7 Nov 1988`, `Nov. 7, 1988`, `7-Nov-88`)
/// end with their year: they are looked for back from a run of digits that may be one (four
/// digits from 1800 to 2099, which `weak_at` tests anyway, or two after `-` and a month's
/// name), a few in a dump, so a dump's other runs cost next to nothing more (a test at every
/// run cost its dumps 2 % more instructions).
fn weak_values(
    chars: &[char],
    runs: &[usize],
    dates: &mut Vec<Weak>,
    postals: &mut Vec<Weak>,
    phones: &mut Vec<CellPhone>,
) {
    // The first place not looked at yet.
    let mut next = 0;
    let mut back = false;
    for &d in runs {
        let mut lo = next.max(d.saturating_sub(DIGIT_WITHIN));
        // `元年 1`, `元年(1`, `元年 (1`, `元. 1`: the only ways a date's first digit is farther
        // (asked only when the previous run does not cover it: in a dump it mostly does).
        if lo > next
            && d > 1
            && match chars[d - 1] {
                ' ' => matches!(chars[d - 2], '年' | '(' | '.' | '/' | '-'),
                '(' => matches!(chars[d - 2], '年' | ' '),
                _ => false,
            }
        {
            lo = next.max(d.saturating_sub(DIGIT_WITHIN_AFTER_GAP));
        }
        for p in lo..d {
            if is_era_start(chars[p]) {
                back |= weak_at(chars, p, dates, postals, phones);
            }
        }
        back |= weak_at(chars, d, dates, postals, phones);
        next = d + 1;
    }
    if back {
        // Into order by start (stable: a date read both ways keeps its order).
        dates.sort_by_key(|v| v.start);
    }
}

/// Characters a date may take, at most (`september 30th, 1975`).
const DATE_CHARS: usize = 24;

/// Whether what stands right before the year at `y` may be the rest of a date written day or
/// month first: a separator after one or two digits (`11/7/`, `nov 7, `, `nov 7 `), or a word
/// (`7 nov `, `7 nov. `, `7-nov-`, `7th `). A dump's dates written year first follow a cell's
/// quote, tab, or comma after a longer number or a name, and are turned away here.
#[inline]
fn may_end_a_date(chars: &[char], y: usize) -> bool {
    let at = |k: usize| if k < y { chars[y - 1 - k] } else { '\0' };
    // Back over a space and a comma (`7, `, `nov, `).
    let mut k = usize::from(at(0) == ' ');
    k += usize::from(at(k) == ',');
    match at(k) {
        // One or two digits: a day, or a month or day and a separator (`7 `, `11/7/`).
        '/' | '.' | '-' if k == 0 && at(1).is_ascii_digit() => {
            !at(2).is_ascii_digit() || !at(3).is_ascii_digit()
        }
        c if c.is_ascii_digit() => !at(k + 1).is_ascii_digit() || !at(k + 2).is_ascii_digit(),
        // A month's name (`nov `, `nov. `, `nov-`), or an ordinal's letters (`7th `).
        '-' | '.' => at(k + 1).is_ascii_lowercase() || at(k + 1) == '.',
        c => c.is_ascii_lowercase(),
    }
}

/// Whether the run of digits at `y`, after a `/`, may be the two-digit year of a date written
/// month or day first (`11/7/88`, `7/11/88`): one or two digits before that `/`, and one or two
/// before the `/` before them. Most such runs in a dump end a date written year first
/// (`2012/1/13`), turned away here.
#[inline]
fn ends_month_day_first(chars: &[char], y: usize) -> bool {
    let at = |k: usize| if k < y { chars[y - 1 - k] } else { '\0' };
    let digit = |k: usize| at(k).is_ascii_digit();
    // `at(0)` is the `/`; then the day or month, and the `/` after the first number.
    let slash = match (digit(1), digit(2), at(2), at(3)) {
        (true, false, '/', _) => 2,
        (true, true, _, '/') => 3,
        _ => return false,
    };
    digit(slash + 1) && !(digit(slash + 2) && digit(slash + 3))
}

/// The dates written day or month first that end at `end`, the end of the year at `y`,
/// appended to `dates`: each place within [`DATE_CHARS`] before the year where the reference
/// scan would parse one (the start of a run of one or two digits, or of a word) is parsed, and
/// a date that ends there is kept. Returns whether one was.
#[cold]
fn dates_ending_at(chars: &[char], y: usize, end: usize, dates: &mut Vec<Weak>) -> bool {
    // Back over what such a date is written with.
    let lo = end.saturating_sub(DATE_CHARS);
    let mut w = y;
    while w > lo && matches!(chars[w - 1], '0'..='9' | 'a'..='z' | ' ' | ',' | '.' | '/' | '-') {
        w -= 1;
    }
    let mut found = false;
    for p in w..y {
        let c = chars[p];
        let before = p.checked_sub(1).map_or(' ', |k| chars[k]);
        let start = if c.is_ascii_digit() {
            // The start of a run of one or two digits.
            let digit = |k: usize| chars.get(k).is_some_and(char::is_ascii_digit);
            let long = digit(p + 1) && digit(p + 2);
            !before.is_ascii_digit() && !long
        } else {
            c.is_ascii_lowercase() && !before.is_ascii_alphanumeric()
        };
        if !start {
            continue;
        }
        let text = &chars[p..end];
        let read = match parse_date_prefix(text) {
            Some((date, used)) => [Some(date), None].map(|d| d.map(|d| (d, used))),
            None if c.is_ascii_digit() => match parse_numeric_date_prefix(text) {
                Some((both, used)) => both.map(|d| d.map(|d| (d, used))),
                None => [None, None],
            },
            None => [None, None],
        };
        for (date, used) in read.into_iter().flatten() {
            let digits = date.canonical_digits();
            // Found already: an era's date whose day is two digits after `/` (`r2/1/01`) ends
            // like one with a two-digit year and was read from its era's letter, and a date
            // read day first may be the same as read year first (`22/1/22`). The entries pushed
            // since then all start at most `DATE_CHARS` before it.
            let known = || {
                dates
                    .iter()
                    .rev()
                    .take_while(|v| v.start + DATE_CHARS >= p)
                    .any(|v| (v.start, v.end, v.digits) == (p, end, digits))
            };
            if p + used == end && !known() {
                dates.push(Weak::new(p, end, FieldKind::BirthDate, digits, 8));
                found = true;
            }
        }
    }
    found
}

/// An era kanji or an era letter (after folding): what starts a date other than a digit.
#[inline]
fn is_era_start(c: char) -> bool {
    matches!(
        c,
        '明' | '大' | '昭' | '平' | '令' | 'm' | 't' | 's' | 'h' | 'r'
    )
}

/// The date and postal code starting at `i` (the start of a run of digits, or a character
/// [`is_era_start`] accepts), if any, appended to `dates` and `postals`, and the dates written
/// day or month first that end with a year starting there ([`dates_ending_at`]: they start
/// before `i`; returns whether there was one).
fn weak_at(
    chars: &[char],
    i: usize,
    dates: &mut Vec<Weak>,
    postals: &mut Vec<Weak>,
    phones: &mut Vec<CellPhone>,
) -> bool {
    let c = chars[i];
    let p = i.checked_sub(1).map_or('\0', |j| chars[j]);
    let mut back = false;
    let date_starts = match c {
        // A date without an era starts with a four-digit year, 1868 to 2099 (phone, account
        // and most other numbers in a dump start otherwise, and are not parsed as dates).
        '0'..='9' => {
            // Every run of digits comes here (a dump has one every seven characters): its
            // first characters are read once into a window that needs no bounds checks.
            let w = window(chars, i);
            let wd = |k: usize| w[k].is_ascii_digit();
            let year = matches!((w[0], w[1]), ('1', '8' | '9') | ('2', '0')) && wd(2) && wd(3);
            // The year may also end a date written day or month first: four digits, or two
            // after `-` and a month's name (`7-nov-88`).
            let len = if year && !wd(4) {
                4
            } else if p == '-'
                && i > 1
                && matches!(chars[i - 2], 'a'..='z' | '.')
                && wd(1)
                && !wd(2)
            {
                2
            } else if p == '/' && wd(1) && !wd(2) && ends_month_day_first(chars, i) {
                // Two digits after a month and day written with `/` (`11/7/88`).
                2
            } else {
                0
            };
            if len > 0 && may_end_a_date(chars, i) {
                back = dates_ending_at(chars, i, i + len, dates);
            }
            // A year in a cell of its own, month and day in the next two (`1968,9,18`).
            if year && ends_a_cell(w[4]) {
                cell_date_at(chars, i, dates);
            }
            if let Some((digits, used)) = postal_candidate(&w) {
                postals.push(Weak::new(i, i + used, FieldKind::PostalCode, digits, 7));
            }
            if is_cell_open(p) {
                // A phone number in three cells: a `0` opens a cell of 2 to 5 digits.
                if w[0] == '0' && area_code_cell(&w) {
                    cell_phone_at(chars, i, phones);
                }
                // An era's year in a cell of its own, after the era's (`昭和,43,9,18`): one or
                // two digits in a cell.
                let len = 1 + usize::from(wd(1));
                if !wd(len) && ends_a_cell(w[len]) {
                    back |= era_cell_date_at(chars, i, dates);
                }
            }
            // A year of one or two digits before `年`, without its era (`43年9月18日`).
            if (w[1] == '年' || w[2] == '年') && eraless_may_start(p) {
                readings_at(chars, i, dates, parse_eraless_date_prefix);
            }
            // A year of two digits, year first (`68/09/18`, `43.9.18`, `680918`).
            let short_year = match w[2] {
                '/' | '.' | '・' => wd(1),
                // Six digits and no seventh.
                '0'..='9' => !wd(6) && wd(5) && wd(4) && wd(3) && wd(1),
                _ => false,
            };
            if short_year && short_year_may_start(chars, i) {
                readings_at(chars, i, dates, parse_short_year_date_prefix);
            }
            year
        }
        '明' | '大' | '昭' | '平' | '令' => true,
        'm' | 't' | 's' | 'h' | 'r' => {
            !p.is_ascii_alphanumeric()
                && chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_digit() || *n == '.')
        }
        _ => return false,
    };
    if date_starts {
        let end = chars.len().min(i + DATE_CHARS);
        if let Some((date, used)) = parse_date_prefix(&chars[i..end]) {
            dates.push(Weak::date(i, i + used, date));
        }
    }
    back
}

/// The date written in three cells whose year starts at `i` (see [`parse_cell_date_prefix`]),
/// appended to `dates`. Asked only of a four-digit year followed by a quote, a space or a
/// separator: a dump's years mostly go on with `-` `/` or `年`.
#[cold]
fn cell_date_at(chars: &[char], i: usize, dates: &mut Vec<Weak>) {
    let end = chars.len().min(i + CELL_CHARS);
    if let Some((date, used)) = parse_cell_date_prefix(&chars[i..end]) {
        dates.push(Weak::date(i, i + used, date));
    }
}

/// The date written in four cells whose era's year starts at `i` (see
/// [`parse_era_cell_date`]), appended to `dates`; whether there was one (it starts before `i`,
/// at the era). Asked only of a run of one or two digits that opens and ends a cell.
#[cold]
fn era_cell_date_at(chars: &[char], i: usize, dates: &mut Vec<Weak>) -> bool {
    let from = i.saturating_sub(CELL_CHARS);
    let end = chars.len().min(i + CELL_CHARS);
    match parse_era_cell_date(&chars[from..end], i - from) {
        Some((date, a, b)) => {
            dates.push(Weak::date(from + a, from + b, date));
            true
        }
        None => false,
    }
}

/// A phone number written in three cells, as web shops store it (`tel01`, `tel02`, `tel03`):
/// its place and national digits. Deliberately not `Debug`: the digits are read from the page.
#[derive(Clone, Copy)]
pub(crate) struct CellPhone {
    pub(crate) start: usize,
    pub(crate) end: usize,
    digits: [u8; 11],
    len: u8,
}

impl CellPhone {
    /// The national digits (ASCII).
    pub(crate) fn digits(&self) -> &str {
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// What may stand after a cell's last digit: a quote, a separator, a space.
#[inline]
fn ends_a_cell(c: char) -> bool {
    matches!(c, '"' | '\'' | ',' | '\t' | ';' | '|' | ' ')
}

/// What may stand before a cell's first digit: what ends one, or a JSON key's `:`.
#[inline]
fn is_cell_open(c: char) -> bool {
    c == ':' || ends_a_cell(c)
}

/// Whether the run of digits that starts `w` (a [`window`]) has 2 to 5 digits and ends its cell
/// (a quote, a separator or a space follows): what a phone number in three cells starts with.
/// Most runs that start with `0` in a dump (account numbers, bank codes, phone numbers in one
/// cell) are turned away here, before the cells are parsed.
#[inline]
fn area_code_cell(w: &[char; WINDOW]) -> bool {
    let len = 1 + w[1..6].iter().take_while(|c| c.is_ascii_digit()).count();
    (2..=5).contains(&len) && ends_a_cell(w[len])
}

/// The phone number in three cells whose first digit, a `0`, is at `i`, appended to `phones`:
/// an area code or mobile prefix of 2 to 5 digits, 1 to 4 digits, then 4, 10 or 11 in all
/// (`'090','6682','8625'`, `"06","6412","3456"`, `"tel01":"090","tel02":"6682",…`). A phone
/// number written in one cell is found by pass 1.
#[cold]
fn cell_phone_at(chars: &[char], i: usize, phones: &mut Vec<CellPhone>) {
    let end = chars.len().min(i + CELL_CHARS);
    let Some((cells, used)) = three_digit_cells(&chars[i..end], 5) else {
        return;
    };
    let lens = cells.map(|(a, b)| b - a);
    if !(2..=5).contains(&lens[0])
        || !(1..=4).contains(&lens[1])
        || lens[2] != 4
        || !(10..=11).contains(&lens.iter().sum::<usize>())
    {
        return;
    }
    let mut phone = CellPhone {
        start: i,
        end: i + used,
        digits: [0; 11],
        len: 0,
    };
    for &(a, b) in &cells {
        for &c in &chars[i + a..i + b] {
            phone.digits[usize::from(phone.len)] = c as u8;
            phone.len += 1;
        }
    }
    phones.push(phone);
}

/// Dates in kanji numerals (`昭和四十三年九月十八日`, `一九六八年九月十八日`), appended to `dates`
/// (which stay in order by start). They have no ASCII digit for `weak_values` to start from:
/// they are found from each `年` of the block's text (a byte search) that follows a kanji
/// numeral or `元`, and parsed from the era's name or the run of numerals before it.
fn kanji_numeral_dates(block: &str, t: &FoldedText, dates: &mut Vec<Weak>) {
    static YEAR: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("年".as_bytes()));
    let mut added = false;
    let bytes = block.as_bytes();
    for at in YEAR.find_iter(bytes) {
        // Most `年` follow an ASCII digit (`2003年`): one byte test turns them away.
        if at < 3 || bytes[at - 1] < 0x80 {
            continue;
        }
        let before = at
            .checked_sub(3)
            .and_then(|p| block.get(p..at))
            .and_then(|s| s.chars().next());
        if !before.is_some_and(is_year_numeral) {
            continue;
        }
        let Some(y) = t.char_at_byte(at) else {
            continue;
        };
        added |= kanji_numeral_dates_at(&t.chars, y, dates);
    }
    if added {
        dates.sort_by_key(|v| v.start);
    }
}

/// A kanji numeral as a year writes it (the old forms too), or `元`.
fn is_year_numeral(c: char) -> bool {
    fingerprints::normalize::is_kanji_numeral(c) || matches!(c, '元' | '壱' | '弐' | '参' | '拾')
}

/// The kanji-numeral date whose `年` is character `y`, if any, appended to `dates`: parsed from
/// the run of numerals before it, or from the era's name before that. Whether there was one.
#[cold]
fn kanji_numeral_dates_at(chars: &[char], y: usize, dates: &mut Vec<Weak>) -> bool {
    let mut p = y;
    while p > 0 && y - p < 6 && is_year_numeral(chars[p - 1]) {
        p -= 1;
    }
    let starts = [p.checked_sub(2), Some(p)];
    for start in starts.into_iter().flatten() {
        let end = chars.len().min(start + DATE_CHARS);
        if let Some((date, used)) = parse_kanji_numeral_date_prefix(&chars[start..end]) {
            dates.push(Weak::date(start, start + used, date));
            return true;
        }
    }
    false
}

/// The lines around the line `ls..le` up to those that hold a name or reading (`name_spans`,
/// sorted): from the line after the last such line before it to the end of the line before the
/// first such line after it (`0` and `usize::MAX` where there is none).
fn up_to_other_names(
    name_spans: &[(usize, usize)],
    breaks: &[usize],
    (ls, le): (usize, usize),
) -> (usize, usize) {
    let before = name_spans.partition_point(|&(s, _)| s < ls);
    let from = before
        .checked_sub(1)
        .map_or(0, |i| {
            let s = name_spans[i].0;
            // The break that ends that name's line (`ls - 1` at the latest).
            breaks
                .get(breaks.partition_point(|&b| b < s))
                .map_or(ls, |&b| b + 1)
        })
        .min(ls);
    let after = name_spans.partition_point(|&(s, _)| s < le);
    let to = name_spans
        .get(after)
        .map_or(usize::MAX, |&(s, _)| {
            // The break that starts that name's line (`le` at the earliest).
            breaks[..breaks.partition_point(|&b| b < s)]
                .last()
                .copied()
                .unwrap_or(le)
        })
        .max(le);
    (from, to)
}

/// Whether a year without its era may start after `p`: not after an era's name or letter
/// (`昭和43年`, `s43年`, `h.43年`: there it is that era's year, read from the era's start).
#[inline]
fn eraless_may_start(p: char) -> bool {
    !(p.is_ascii_alphabetic()
        || matches!(
            p,
            '.' | '元' | '和' | '成' | '正' | '治' | '明' | '大' | '昭' | '平' | '令'
        ))
}

/// Whether a date with a two-digit year may start at `chars[i]`: not after a letter
/// (`s43.9.18`, `v22.04.1`), a digit, an era's name, or a separator (`1.43.9.18`,
/// `2-68/09/18`: a longer number, a version, an address); after `:` only as a label's value
/// ([`after_label`]).
#[inline]
fn short_year_may_start(chars: &[char], i: usize) -> bool {
    let p = i.checked_sub(1).map_or('\0', |j| chars[j]);
    if p == ':' {
        return after_label(chars, i);
    }
    eraless_may_start(p) && !matches!(p, '0'..='9' | '/' | '-')
}

/// Whether a two-digit year at `chars[i]`, after `:`, is a label's value: the label is not
/// in Latin letters or digits (`生年月日:43.9.18`, `誕生日：68/09/18`), or the date is written
/// with `/` (`DOB:68/09/18`). Not a version or an image's tag (`node:18.12.1`, `id:680918`),
/// nor the end of a time (`12:43.9`).
#[cold]
fn after_label(chars: &[char], i: usize) -> bool {
    let label = i.checked_sub(2).map(|j| chars[j]);
    label.is_some_and(|l| !l.is_ascii_alphanumeric() && !matches!(l, ':' | '/' | '-' | '.'))
        || (label.is_some_and(|l| l.is_ascii_alphabetic()) && chars.get(i + 2) == Some(&'/'))
}

/// A parser of a date that several readings fit: each reading, and the characters used.
type ReadingsParser<const N: usize> = fn(&[char]) -> Option<([Option<Date>; N], usize)>;

/// Every reading `parse` gives of a date that several readings fit at `i` (its year without
/// an era, `parse_eraless_date_prefix`, or of two digits, `parse_short_year_date_prefix`),
/// appended to `dates`.
#[cold]
fn readings_at<const N: usize>(
    chars: &[char],
    i: usize,
    dates: &mut Vec<Weak>,
    parse: ReadingsParser<N>,
) {
    let end = chars.len().min(i + DATE_CHARS);
    if let Some((read, used)) = parse(&chars[i..end]) {
        for date in read.into_iter().flatten() {
            dates.push(Weak::date(i, i + used, date));
        }
    }
}

/// Characters a postal code takes and one after it: what `weak_at` reads of a run of digits.
const WINDOW: usize = 9;

/// `chars[i..]`'s first [`WINDOW`] characters, `'\0'` past the end.
#[inline]
fn window(chars: &[char], i: usize) -> [char; WINDOW] {
    if let Some(&w) = chars.get(i..).and_then(|rest| rest.first_chunk::<WINDOW>()) {
        return w;
    }
    let mut w = ['\0'; WINDOW];
    for (k, c) in chars[i..].iter().enumerate() {
        w[k] = *c;
    }
    w
}

/// The confidence of a group of fields of one record.
///
/// Dimensions: each strong identifier (phone, e-mail, account number, My Number) counts once;
/// the name counts once whether found in kanji, kana or both; the birth date, the address and
/// an `other` value count once each. Postal codes and address prefixes (town and block, without
/// the house number) are listed in a finding but do not count: they name a neighbourhood, not a
/// person.
///
/// - high: a strong identifier and at least one more dimension, or three dimensions;
/// - medium: two dimensions;
/// - low: one dimension other than the birth date.
pub(crate) fn confidence(kinds: &KindSet) -> Option<Confidence> {
    let strong = kinds.iter().filter(|k| k.is_strong()).count();
    let name = kinds.contains(FieldKind::Name) || kinds.contains(FieldKind::NameKana);
    let dims = strong
        + usize::from(name)
        + usize::from(kinds.contains(FieldKind::BirthDate))
        + usize::from(kinds.contains(FieldKind::Address))
        + usize::from(kinds.contains(FieldKind::Other));
    if dims >= 3 || (strong >= 1 && dims >= 2) {
        Some(Confidence::High)
    } else if dims == 2 {
        Some(Confidence::Medium)
    } else if dims == 1 && !kinds.contains(FieldKind::BirthDate) {
        Some(Confidence::Low)
    } else {
        None
    }
}

/// A set of field kinds: bit `k as u16` for kind `k`, so iteration follows `FieldKind`'s order
/// (its declaration order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct KindSet(u16);

impl KindSet {
    pub(crate) fn insert(&mut self, k: FieldKind) {
        self.0 |= 1 << (k as u16);
    }

    pub(crate) fn contains(self, k: FieldKind) -> bool {
        self.0 & (1 << (k as u16)) != 0
    }

    pub(crate) fn extend(&mut self, other: KindSet) {
        self.0 |= other.0;
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = FieldKind> {
        FieldKind::ALL
            .into_iter()
            .filter(move |&k| self.contains(k))
    }
}

impl FromIterator<FieldKind> for KindSet {
    fn from_iter<I: IntoIterator<Item = FieldKind>>(iter: I) -> Self {
        let mut set = KindSet::default();
        for k in iter {
            set.insert(k);
        }
        set
    }
}

/// Keys sorted by comparison rather than by radix.
const SMALL_SORT: usize = 256;

/// Sorts keys whose low 32 bits ascend among keys with the same high 32 bits (the caller's
/// `record << 32 | rank`, pushed in rank order): a least-significant-digit radix sort of the
/// high bits over 11-bit digits, as many as the largest key needs, which keeps the order of
/// keys with equal high bits, so the result is the keys in ascending order. `tmp` is scratch
/// space (its allocation is reused).
fn radix_sort_high(keys: &mut Vec<u64>, tmp: &mut Vec<u64>) {
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    // Each pass clears and sums 2,048 counters: a few keys (a block of prose) are sorted by
    // comparison instead (the same order, given keys as described above).
    if keys.len() <= SMALL_SORT {
        keys.sort_unstable();
        return;
    }
    let Some(max) = keys.iter().map(|&k| k >> 32).max() else {
        return;
    };
    tmp.clear();
    tmp.resize(keys.len(), 0);
    let mut shift = 32;
    while shift < 64 && (max >> (shift - 32)) != 0 {
        let mut counts = [0usize; BUCKETS];
        for &k in keys.iter() {
            counts[(k >> shift) as usize & (BUCKETS - 1)] += 1;
        }
        let mut sum = 0;
        for c in &mut counts {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &k in keys.iter() {
            let d = (k >> shift) as usize & (BUCKETS - 1);
            tmp[counts[d]] = k;
            counts[d] += 1;
        }
        std::mem::swap(keys, tmp);
        shift += BITS;
    }
}

/// Whether hit `h` is a name or reading in kanji or kana that the character before or after it
/// carries on in the same script: part of a longer name. Honorifics after a kanji name (`様`,
/// `殿`, `氏`, `君`, `宛`) end it.
fn continues_a_word(h: &Hit<'_>, chars: &[char]) -> bool {
    if h.latin || !matches!(h.kind, FieldKind::Name | FieldKind::NameKana) || h.end == 0 {
        return false;
    }
    let kanji = |c: char| matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3FFFF}' | '々');
    let kana = |c: char| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー');
    if let (Some(&before), Some(&first)) = (
        h.start.checked_sub(1).and_then(|p| chars.get(p)),
        chars.get(h.start),
    ) && ((kanji(before) && kanji(first)) || (kana(before) && kana(first)))
    {
        return true;
    }
    let (Some(&last), Some(&next)) = (chars.get(h.end - 1), chars.get(h.end)) else {
        return false;
    };
    let kanji = |c: char| matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3FFFF}' | '々');
    // Folded: hiragana and half-width kana are katakana.
    let kana = |c: char| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー');
    (kanji(last) && kanji(next) && !matches!(next, '様' | '殿' | '氏' | '君' | '宛'))
        || (kana(last) && kana(next))
}

/// How far before a name hit [`BlockScan::name_token_runs_past`] looks for a token that
/// runs into it.
const MAX_TOKEN_BACK: usize = 8;

/// Whether hits `a` and `b` lie on different lines that each hold a date (see
/// `Context::date_windows`).
#[inline]
fn dated_apart(date_windows: &[(usize, usize, bool)], a: usize, b: usize) -> bool {
    let (a, b) = (date_windows[a], date_windows[b]);
    a.2 && b.2 && (a.0, a.1) != (b.0, b.1)
}

/// Where a birth date of a group of hits may be: from the first start to the last end of their
/// date windows (`Context::date_windows`).
fn date_range(cx: &Context, hit_ids: &[usize]) -> (usize, usize) {
    hit_ids
        .iter()
        .map(|&h| (cx.date_windows[h].0, cx.date_windows[h].1))
        .fold((usize::MAX, 0), |(s, e), (hs, he)| (s.min(hs), e.max(he)))
}

/// The dates of the block that lie wholly inside `ws..we`.
fn dates_near(cx: &Context, ws: usize, we: usize) -> impl Iterator<Item = &Weak> {
    within(&cx.dates, ws, we)
        .iter()
        .filter(move |v| v.end <= we)
}

/// A Latin-letter reading's window: its own line when that line holds a date (a list of
/// people with their birth dates: the next line's date is someone else's), else `window`.
fn own_line_if_dated(
    h: &Hit<'_>,
    window: (usize, usize, bool),
    dates: &[Weak],
    lines: &mut Lines<'_>,
) -> (usize, usize, bool) {
    match lines.around(h.start, h.end) {
        (Some(ls), Some(le)) if within(dates, ls, le).iter().any(|d| d.end <= le) => {
            (ls, le, false)
        }
        _ => window,
    }
}

/// The line holding character `p` of a block of `len` characters whose line breaks are at
/// `breaks`: its first character and the end (its break, or `len`).
pub(super) fn line_bounds(breaks: &[usize], p: usize, len: usize) -> (usize, usize) {
    let i = breaks.partition_point(|&b| b < p);
    let start = i.checked_sub(1).map_or(0, |j| breaks[j] + 1);
    (start, breaks.get(i).copied().unwrap_or(len))
}

/// The values that start inside `ws..we` (`values` is sorted by start).
fn within(values: &[Weak], ws: usize, we: usize) -> &[Weak] {
    let lo = values.partition_point(|v| v.start < ws);
    let hi = lo + values[lo..].partition_point(|v| v.start < we);
    &values[lo..hi]
}

/// The line breaks of a block, found once for all the windows of its hits, and which of its
/// lines are table rows (asked once per line).
struct Lines<'b> {
    /// Positions of `\n`, ascending.
    breaks: &'b [usize],
    /// Characters in the block.
    len: usize,
    /// Per line: 0 not asked yet, 1 not a row, 2 a row.
    rows: Vec<u8>,
    /// The line last asked about: consecutive hits are mostly on one line (a row of a dump).
    last: usize,
}

impl<'b> Lines<'b> {
    /// The lines of a block of `len` characters with line breaks at `breaks` (ascending), with
    /// `rows` (empty; its allocation is reused).
    fn with_buffers(len: usize, breaks: &'b [usize], mut rows: Vec<u8>) -> Lines<'b> {
        rows.resize(breaks.len() + 1, 0);
        Lines {
            breaks,
            len,
            rows,
            last: 0,
        }
    }

    /// The vector of rows, for the next block.
    fn into_buffer(self) -> Vec<u8> {
        self.rows
    }

    /// The line holding character `pos`: the number of breaks before it (the line last asked
    /// about is tried first).
    fn line_of(&mut self, pos: usize) -> usize {
        let k = self.last;
        let after_prev = k == 0 || self.breaks.get(k - 1).is_some_and(|&p| p < pos);
        if after_prev && self.breaks.get(k).is_none_or(|&p| p >= pos) {
            return k;
        }
        let k = self.breaks.partition_point(|&p| p < pos);
        self.last = k;
        k
    }

    /// The start and end of the line(s) holding `start..end`, each `None` when it is more than
    /// [`MAX_LINE_WINDOW`] characters away.
    fn around(&mut self, start: usize, end: usize) -> (Option<usize>, Option<usize>) {
        let k = self.line_of(start);
        let line_start = match k.checked_sub(1).map(|j| self.breaks[j]) {
            Some(prev) => (start - 1 - prev < MAX_LINE_WINDOW).then_some(prev + 1),
            None => (start <= MAX_LINE_WINDOW).then_some(0),
        };
        let k = match self.breaks.get(k) {
            Some(&p) if p >= end => k,
            _ => k + self.breaks[k..].partition_point(|&p| p < end),
        };
        let line_end = match self.breaks.get(k) {
            Some(&next) => (next - end < MAX_LINE_WINDOW).then_some(next),
            None => (self.len - end <= MAX_LINE_WINDOW).then_some(self.len),
        };
        (line_start, line_end)
    }

    /// Whether `start..end` lies within one line.
    fn one_line(&self, start: usize, end: usize) -> bool {
        let a = self.breaks.partition_point(|&p| p < start);
        self.breaks.get(a).is_none_or(|&p| p >= end)
    }

    /// Whether `ls..le` (whole lines) is a row of a table or dump, remembered per line.
    fn is_row(&mut self, chars: &[char], ls: usize, le: usize) -> bool {
        let k = self.line_of(ls);
        let one_line = self.breaks.get(k).is_none_or(|&b| b >= le);
        if !one_line {
            return is_row(&chars[ls..le]);
        }
        match self.rows[k] {
            0 => {
                let row = is_row(&chars[ls..le]);
                self.rows[k] = 1 + u8::from(row);
                row
            }
            known => known == 2,
        }
    }
}

/// Most lines of a card ([`card_around`]), and most characters of one of its lines.
const MAX_CARD_LINES: usize = 24;
const MAX_CARD_LINE: usize = 200;

/// The card a hit at `start` on the line `ls..le` is on, when that line is one labelled
/// field and the hit is in its value (`【お名前】山口 大介`, `生年月日：1968-09-18`): the run of
/// such lines around it, two at least (a blank or unlabelled line ends it, as it ends a web
/// form's mail or one person's record in a listing of such, and so does a label met again). Like a row of a table, a card is one
/// record: its fields are looked for in it alone (the next person's card, or a line of prose
/// after it, holds someone else's date).
fn card_around(chars: &[char], (ls, le): (usize, usize), start: usize) -> Option<(usize, usize)> {
    // One field a line: a label, and a value with no other field in it (`顧客：山田様、生年月日…、
    // 電話…` is a listing's line of one person, not a card's). Its label: the characters
    // before the value.
    let field = |a: usize, b: usize| {
        super::candidates::value_after_label(chars, a).filter(|&v| {
            v < b
                && !chars[v..b]
                    .iter()
                    .any(|&c| matches!(c, '、' | ',' | ':' | '。' | '\t'))
        })
    };
    let v = field(ls, le).filter(|&v| v <= start)?;
    // A label met again starts the next card (cards written without a blank line between).
    let mut labels: Vec<&[char]> = vec![&chars[ls..v]];
    let mut new_label = |a: usize, b: usize| match field(a, b) {
        Some(v) if !labels.contains(&&chars[a..v]) && labels.len() < MAX_CARD_LINES => {
            labels.push(&chars[a..v]);
            true
        }
        _ => false,
    };
    // Down first, then up (a card's first label met again above is the previous card's).
    // Down: the line after `ce` (a line feed, or the end).
    let mut ce = le;
    while ce < chars.len() {
        let ns = ce + 1;
        let mut ne = ns;
        while ne < chars.len() && ne - ns < MAX_CARD_LINE && chars[ne] != '\n' {
            ne += 1;
        }
        if (ne < chars.len() && chars[ne] != '\n') || !new_label(ns, ne) {
            break;
        }
        ce = ne;
    }
    // Up: the line before `cs` (which starts after a line feed).
    let mut cs = ls;
    while cs > 0 {
        let pe = cs - 1;
        let mut ps = pe;
        while ps > 0 && pe - ps < MAX_CARD_LINE && chars[ps - 1] != '\n' {
            ps -= 1;
        }
        if (ps > 0 && chars[ps - 1] != '\n') || !new_label(ps, pe) {
            break;
        }
        cs = ps;
    }
    (labels.len() >= 2).then_some((cs, ce))
}

/// A line that is a row of a table or dump: several separators or quoted values. A run of
/// tabs counts as one separator: a spreadsheet's empty cells (a form's label and its value
/// apart by the empty cells of a merged label, `氏名\t\t\t山口 大介`) do not make a line a
/// row.
fn is_row(line: &[char]) -> bool {
    // One pass that stops as soon as either count is reached (a CSV row: within its first
    // fields).
    let (mut separators, mut quotes) = (0, 0);
    let mut after_tab = false;
    for &c in line {
        let tab = c == '\t';
        match c {
            ',' | '|' => separators += 1,
            '\t' => separators += usize::from(!after_tab),
            '"' | '\'' => quotes += 1,
            _ => {
                after_tab = false;
                continue;
            }
        }
        after_tab = tab;
        if separators >= 2 || quotes >= 4 {
            return true;
        }
    }
    false
}

/// A postal code at the start of `s`: `660-0051` or `6600051`, not part of a longer number.
fn postal_candidate(s: &[char; WINDOW]) -> Option<([u8; 8], usize)> {
    let digit = |i: usize| s[i].is_ascii_digit();
    let (picked, used): ([usize; 7], usize) =
        if (0..3).all(digit) && s.get(3) == Some(&'-') && (4..8).all(digit) && !digit(8) {
            ([0, 1, 2, 4, 5, 6, 7], 8)
        } else if (0..7).all(digit) && !digit(7) {
            ([0, 1, 2, 3, 4, 5, 6], 7)
        } else {
            return None;
        };
    let mut digits = [0u8; 8];
    for (d, &k) in digits.iter_mut().zip(&picked) {
        // ASCII digits (checked above), so the byte is the character.
        *d = s[k] as u8;
    }
    Some((digits, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line bounds by scanning characters, as the windows were computed before `Lines`.
    fn around_by_scanning(
        chars: &[char],
        start: usize,
        end: usize,
    ) -> (Option<usize>, Option<usize>) {
        let line_start = chars[..start]
            .iter()
            .rev()
            .take(MAX_LINE_WINDOW)
            .position(|&c| c == '\n')
            .map(|p| start - p)
            .or((start <= MAX_LINE_WINDOW).then_some(0));
        let line_end = chars[end..]
            .iter()
            .take(MAX_LINE_WINDOW)
            .position(|&c| c == '\n')
            .map(|p| end + p)
            .or((chars.len() - end <= MAX_LINE_WINDOW).then_some(chars.len()));
        (line_start, line_end)
    }

    #[test]
    fn line_bounds_match_a_scan() {
        let line = |n: usize, c: char| std::iter::repeat_n(c, n).chain(['\n']);
        let chars: Vec<char> = line(3, 'a')
            .chain(line(0, 'b'))
            .chain(line(MAX_LINE_WINDOW + 10, 'c'))
            .chain(line(MAX_LINE_WINDOW - 1, 'd'))
            .chain(line(MAX_LINE_WINDOW, 'e'))
            .chain(std::iter::repeat_n('f', MAX_LINE_WINDOW + 3))
            .collect();
        let breaks: Vec<usize> = (0..chars.len()).filter(|&i| chars[i] == '\n').collect();
        let mut lines = Lines::with_buffers(chars.len(), &breaks, Vec::new());
        // In text order, and backwards (the line last asked about is tried first).
        for start in (0..chars.len()).chain((0..chars.len()).rev()) {
            for end in [start, start + 1, start + 7]
                .into_iter()
                .filter(|&e| e <= chars.len())
            {
                assert_eq!(
                    lines.around(start, end),
                    around_by_scanning(&chars, start, end),
                    "{start}..{end}"
                );
            }
        }
    }

    /// The dates and postal codes at every position, asked one character at a time (what
    /// `weak_values` finds from the starts of digit runs).
    fn weak_values_one_by_one(chars: &[char]) -> Vec<(usize, usize, FieldKind, [u8; 8])> {
        let mut out = Vec::new();
        for i in 0..chars.len() {
            let p = i.checked_sub(1).map_or('\0', |j| chars[j]);
            let c = chars[i];
            let (date, postal) = match c {
                '0'..='9' => (!p.is_ascii_digit(), !p.is_ascii_digit()),
                '明' | '大' | '昭' | '平' | '令' => (true, false),
                // An era letter, or any word (an English month's name).
                'a'..='z' => (!p.is_ascii_alphanumeric(), false),
                _ => (false, false),
            };
            let text = &chars[i..chars.len().min(i + DATE_CHARS)];
            if date && let Some((d, used)) = parse_date_prefix(text) {
                out.push((i, i + used, FieldKind::BirthDate, d.canonical_digits()));
            } else if date && c.is_ascii_digit() {
                // A two-digit year first and one last may both read (`05/06/07`): the first
                // is read where the date starts, the other back from its end, so after it.
                let mut read_all = |read: Option<(&[Option<Date>], usize)>| {
                    if let Some((read, used)) = read {
                        for d in read.iter().flatten() {
                            out.push((i, i + used, FieldKind::BirthDate, d.canonical_digits()));
                        }
                    }
                };
                let eraless = parse_eraless_date_prefix(text).filter(|_| eraless_may_start(p));
                let short =
                    parse_short_year_date_prefix(text).filter(|_| short_year_may_start(chars, i));
                let numeric = parse_numeric_date_prefix(text);
                read_all(eraless.as_ref().map(|(r, u)| (&r[..], *u)));
                read_all(short.as_ref().map(|(r, u)| (&r[..], *u)));
                read_all(numeric.as_ref().map(|(r, u)| (&r[..], *u)));
            }
            let cells = &chars[i..chars.len().min(i + CELL_CHARS)];
            if date
                && c.is_ascii_digit()
                && let Some((d, used)) = parse_cell_date_prefix(cells)
            {
                out.push((i, i + used, FieldKind::BirthDate, d.canonical_digits()));
            }
            if date
                && c.is_ascii_digit()
                && let Some((d, a, b)) = parse_era_cell_date(chars, i)
            {
                out.push((a, b, FieldKind::BirthDate, d.canonical_digits()));
            }
            if postal && let Some((digits, used)) = postal_candidate(&window(chars, i)) {
                out.push((i, i + used, FieldKind::PostalCode, digits));
            }
        }
        out.sort_by_key(|v| (v.2, v.0));
        // Each date once: two notations may read the same (`22/1/22` is 2022-01-22 year first
        // and day first).
        let mut seen = std::collections::HashSet::new();
        out.retain(|v| seen.insert(*v));
        out
    }

    /// What `weak_values` finds: dates, then postal codes, each by start.
    fn weak_values_found(chars: &[char]) -> Vec<(usize, usize, FieldKind, [u8; 8])> {
        let (mut dates, mut postals) = (Vec::new(), Vec::new());
        let runs: Vec<usize> = (0..chars.len())
            .filter(|&i| chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit()))
            .collect();
        weak_values(chars, &runs, &mut dates, &mut postals, &mut Vec::new());
        dates
            .iter()
            .chain(&postals)
            .map(|w| (w.start, w.end, w.kind, w.digits))
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn weak_values_finds_what_a_scan_of_every_character_finds(
            s in "([0-9]|[-/. ():]|日:|年|月|日|昭和|平成|令和|元|[mtshrx]|[0-9]{1,2}年[0-9]{1,2}月[0-9]{1,2}日|〒|山|昭|平|nov|november|sept|may|of|th|nd|,|[0-9]{1,2}[-/.][0-9]{1,2}[-/.](19|20)[0-9]{2}|[0-9]{2}[/.・] ?[0-9]{1,2}[/.・] ?[0-9]{1,2}|[0-9]{6}|[shr][0-9]{6}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}|[0-9]{1,2}(st|th)?[ -](of )?(nov|november)[ -.,]{0,2}(19[0-9]{2}|[0-9]{2})|nov\\.? [0-9]{1,2}(th)?,? (19|20)[0-9]{2}|(19|20)[0-9]{2}|[;|\t\"']|\"m\": ?|(昭和|s|showa|平成)[\",\t]{1,2}[0-9]{1,2}[\",\t]{1,2}[0-9]{1,2}|(昭和|s|showa|平成)[,\t][1-6]?[0-9][,\t]0?[1-9][,\t][12]?[0-9]|[0-9]{1,2}[,\t][0-9]{1,2}){0,40}"
        ) {
            let chars: Vec<char> = s.chars().collect();
            proptest::prop_assert_eq!(weak_values_found(&chars), weak_values_one_by_one(&chars));
        }
    }

    #[test]
    fn western_dates_at_the_ends_of_the_years_read() {
        // The digit-run start is parsed as a date only when it reads 18, 19 or 20 first: the
        // years `Date::new` takes. Dates at either end of that range, and just outside it, in
        // each notation, are found (or not) as by a parse at every character.
        for year in [
            "1867", "1868", "1899", "1900", "1999", "2000", "2099", "2100",
        ] {
            for date in [
                format!("{year}-01-25"),
                format!("{year}/1/25"),
                format!("{year}.1.25"),
                format!("{year}年1月25日"),
                format!("{year}0125"),
                format!("TEL 06-{year}-0125"),
            ] {
                let chars: Vec<char> = date.chars().collect();
                let found = weak_values_found(&chars);
                assert_eq!(found, weak_values_one_by_one(&chars), "{date}");
                let dated = found.iter().any(|v| v.2 == FieldKind::BirthDate);
                let in_range = ("1868"..="2099").contains(&year) && !date.starts_with("TEL");
                assert_eq!(dated, in_range, "{date}");
            }
        }
    }

    #[test]
    fn dates_in_english_and_day_or_month_first() {
        let cases: &[(&str, &[&str])] = &[
            ("born nov. 7, 1988 in", &["19881107"]),
            ("born november 7th, 1988", &["19881107"]),
            ("dob: 7 nov 1988", &["19881107"]),
            ("7th of november 1988", &["19881107"]),
            ("7-nov-88,", &["19881107"]),
            ("11/7/1988", &["19881107", "19880711"]),
            ("07.11.1988", &["19880711", "19881107"]),
            ("25/12/1988", &["19881225"]),
            ("(7/20/1946)", &["19460720"]),
            ("born 3/6/1960, lives", &["19600306", "19600603"]),
            ("12.10.2008.", &["20081210", "20081012"]),
            ("昭63.11.7", &["19881107"]),
            // Not dates: a word that is no month, a month glued to a word, phone and block
            // numbers, a two-digit year after a space.
            ("nova 7, 1988", &[]),
            ("xnov 7, 1988", &[]),
            ("06-6297-2552 3-20-3", &[]),
            ("7 nov 88", &[]),
        ];
        for (text, want) in cases {
            let chars: Vec<char> = text.chars().collect();
            let found = weak_values_found(&chars);
            assert_eq!(found, weak_values_one_by_one(&chars), "{text}");
            let mut got: Vec<String> = found
                .iter()
                .filter(|w| w.2 == FieldKind::BirthDate)
                .map(|w| String::from_utf8_lossy(&w.3).into_owned())
                .collect();
            got.sort();
            let mut want: Vec<String> = want.iter().map(|s| (*s).to_owned()).collect();
            want.sort();
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn era_dates_far_from_other_digits() {
        for pad in 0..40 {
            for date in [
                "平成元年1月8日",
                "h.元年2月1日",
                "昭和50年3月2日",
                "h1.1.8",
                "平成元年 1月 8日",
                "平成元年 ( 1989年)1月8日",
                "h.元年 ( 1989年)1月8日",
                "昭和43年(1968年) 9月18日",
                "1968年(昭和43年)9月18日",
            ] {
                let text = format!("{}{date}", "山".repeat(pad));
                let chars: Vec<char> = text.chars().collect();
                let got: Vec<_> = weak_values_found(&chars)
                    .iter()
                    .filter(|w| w.2 == FieldKind::BirthDate)
                    .map(|w| (w.0, w.1))
                    .collect();
                assert_eq!(got, [(pad, chars.len())], "{text}");
            }
        }
    }

    proptest::proptest! {
        /// The same on text that is mostly without digits: era dates far from any other digit,
        /// and era letters and kanji that start no date.
        #[test]
        fn weak_values_finds_era_dates_in_text_with_few_digits(
            s in "(山{1,20}|x{1,20}|昭和|平成|令和|元|年|月|日|[mtshr]|[-/. ()]|[0-9]{1,4}){0,40}"
        ) {
            let chars: Vec<char> = s.chars().collect();
            proptest::prop_assert_eq!(weak_values_found(&chars), weak_values_one_by_one(&chars));
        }
    }

    #[test]
    fn birth_date_slots_are_distinct_days_of_the_years_kept() {
        let slot = |s: &str| birth_date_slot(s.as_bytes().try_into().unwrap());
        assert_eq!(slot("19000101"), Some(0));
        assert_eq!(slot("19000102"), Some(1));
        assert_eq!(slot("19000201"), Some(31));
        assert_eq!(slot("19010101"), Some(372));
        assert_eq!(slot("20291231"), Some(BIRTH_DATE_SLOTS - 1));
        assert_eq!(slot("18991231"), None);
        assert_eq!(slot("20300101"), None);
        assert_eq!(slot("19751300"), None);
        let mut seen = std::collections::HashSet::new();
        for y in 1900..2030 {
            for m in 1..=12 {
                for d in 1..=31 {
                    let s = slot(&format!("{y:04}{m:02}{d:02}")).unwrap();
                    assert!(s < BIRTH_DATE_SLOTS && seen.insert(s));
                }
            }
        }
    }

    #[test]
    fn rows_of_tables_and_dumps() {
        let cases = [
            ("山田 太郎,1975-03-02,06-1234-5678", true),
            ("山田 太郎\t1975-03-02\t06", true),
            ("| 山田 太郎 | 1975-03-02 |", true),
            (r#"{"name":"山田 太郎","dob":"1975-03-02"}"#, true),
            ("('山田 太郎', '1975-03-02')", true),
            (
                "山田太郎さん（1975年3月2日生まれ）は尼崎市に住んでいます。",
                false,
            ),
            ("one comma, then prose", false),
            (r#"he said "hi""#, false),
            // A spreadsheet form's label, its merged cells' empty ones, and its value.
            ("氏名\t\t\t\t山口 大介", false),
            ("氏名\t\t山口 大介\t\t", true),
            ("氏名\t\t\t山口\t大介", true),
            ("山田,,1975-03-02", true),
            ("", false),
        ];
        for (line, want) in cases {
            let chars: Vec<char> = line.chars().collect();
            assert_eq!(is_row(&chars), want, "{line}");
        }
    }

    #[test]
    fn radix_sort_orders_by_high_bits_and_is_stable() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        // Records from few (many equal high bits) to up to 2^23 (three 11-bit digits); ranks
        // ascending, as the caller pushes them.
        for (n, records) in [
            (0, 1),
            (3, 2),
            (SMALL_SORT, 16),
            (SMALL_SORT + 1, 16),
            (50_000, 1 << 23),
        ] {
            let mut keys: Vec<u64> = (0..n as u64)
                .map(|i| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    ((rng % records) << 32) | i
                })
                .collect();
            let mut want = keys.clone();
            want.sort_by_key(|k| k >> 32);
            let mut tmp = Vec::new();
            radix_sort_high(&mut keys, &mut tmp);
            assert_eq!(keys, want, "{n} keys");
        }
    }
}
