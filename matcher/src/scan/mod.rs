//! The scan of one document: candidates → keyed hashes → bundle → corroboration → findings.

mod candidates;
mod corroborate;
mod emails;
#[cfg(test)]
mod tests;
mod text;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use fingerprints::fxhash::FxHashMap;
use fingerprints::{Bundle, FieldKind, SecretKey};

use crate::archive::{Office97, is_archive, unpack_archive_text};
use crate::decode::decode;
use crate::html::{extract_text, is_html};
use crate::index::Index;
use crate::mime::{is_mime, unpack_mail_text};
use crate::sqlite::is_sqlite;
use crate::stages::{Clock, StageTimes};
use crate::strings::read_binary_file;
use crate::unlock::{Passwords, Unpack};
use crate::{Confidence, Error, Finding, MatcherConfig, ScanReport, SkipReason, Span, TextFormat};
use text::{FoldedText, blocks};

/// One document to scan: its bytes and what the fetcher knows about them. Its `Debug` shows
/// the length, never the bytes.
#[derive(Clone, Copy)]
pub struct Document<'a> {
    /// The raw bytes, in any encoding.
    pub bytes: &'a [u8],
    /// The declared charset (HTTP `Content-Type` parameter or similar), if any.
    pub charset: Option<&'a str>,
    /// The declared content type (`text/html`, `text/plain`, …), if any.
    pub content_type: Option<&'a str>,
}

impl std::fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("bytes", &self.bytes.len())
            .field("charset", &self.charset)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl<'a> Document<'a> {
    /// A document with nothing declared: encoding and format are detected.
    pub fn new(bytes: &'a [u8]) -> Self {
        Document {
            bytes,
            charset: None,
            content_type: None,
        }
    }

    /// Sets the declared charset.
    pub fn with_charset(mut self, charset: Option<&'a str>) -> Self {
        self.charset = charset;
        self
    }

    /// Sets the declared content type.
    pub fn with_content_type(mut self, content_type: Option<&'a str>) -> Self {
        self.content_type = content_type;
        self
    }
}

/// A loaded bundle plus the structures built from it; immutable, share it across threads.
///
/// See the crate documentation for the detection model.
pub struct Matcher {
    bundle: Bundle,
    index: Index,
    config: MatcherConfig,
    min_confidence: Confidence,
    /// The operator's passwords for encrypted ZIP entries, 7z and RAR archives, PDF and Office
    /// files.
    passwords: Passwords,
    /// Tells this matcher's per-thread caches from another's (a thread may scan for several).
    instance: u64,
}

/// Source of [`Matcher::instance`].
static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("bundle", &self.bundle)
            .field("index", &self.index)
            .field("config", &self.config)
            .field("min_confidence", &self.min_confidence)
            .field("passwords", &self.passwords)
            .finish()
    }
}

impl Matcher {
    /// Builds a matcher from a loaded bundle.
    pub fn new(bundle: Bundle, config: MatcherConfig) -> Result<Matcher, Error> {
        let index = Index::build(&bundle)?;
        Ok(Matcher {
            bundle,
            index,
            config,
            min_confidence: Confidence::Low,
            passwords: Passwords::default(),
            instance: INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// The same matcher, building findings only at or above `min` (default: every finding).
    ///
    /// Groups of fields below `min` are still counted (in [`ScanReport::records`] and in the
    /// `occurrences` of a record that is reported) but their spans and fields are never built,
    /// which is most of the work on a dump of namesakes when only `medium` and up is wanted.
    pub fn with_min_confidence(mut self, min: Confidence) -> Matcher {
        self.min_confidence = min;
        self
    }

    /// The same matcher, trying `passwords` (and then those a document's own text gives) on the
    /// encrypted entries of ZIP archives, encrypted 7z and RAR archives, PDF files that need a
    /// password and Office files encrypted with one: a leak's archive, a mail's attachment. See
    /// [`Passwords`].
    pub fn with_passwords(mut self, passwords: Passwords) -> Matcher {
        self.passwords = passwords;
        self
    }

    /// The lowest confidence of the findings this matcher builds.
    pub fn min_confidence(&self) -> Confidence {
        self.min_confidence
    }

    /// Opens a bundle file with its key and builds a matcher. A wrong key or a corrupt or
    /// truncated bundle is refused with an error that says which.
    pub fn open(path: &Path, key: &SecretKey, config: MatcherConfig) -> Result<Matcher, Error> {
        Matcher::new(Bundle::open(path, key)?, config)
    }

    /// The bundle.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The configuration.
    pub fn config(&self) -> &MatcherConfig {
        &self.config
    }

    /// Approximate heap bytes of the bundle and the load-time index.
    pub fn heap_bytes(&self) -> usize {
        self.bundle.heap_bytes() + self.index.heap_bytes()
    }

    /// Number of distinct token sequences (names, readings, addresses) in the multi-token index.
    pub fn multi_token_patterns(&self) -> usize {
        self.index.patterns()
    }

    /// Scans one document: decodes it, extracts the text of HTML, and finds records.
    pub fn scan(&self, doc: &Document<'_>) -> ScanReport {
        self.scan_clocked(doc, &mut Clock::start(None))
    }

    /// [`Matcher::scan`], adding the time spent in each stage to `times`.
    pub fn scan_timed(&self, doc: &Document<'_>, times: &mut StageTimes) -> ScanReport {
        self.scan_clocked(doc, &mut Clock::start(Some(times)))
    }

    fn scan_clocked(&self, doc: &Document<'_>, clock: &mut Clock<'_>) -> ScanReport {
        let bytes = doc.bytes.len() as u64;
        let cap = self.config.max_document_bytes;
        // The text to scan: of a spreadsheet, an archive, a compressed file or a database, what it holds
        // (inflated within the cap: truncated when that ran out); of other documents, their
        // decoded text, HTML's visible text, mail's decoded text.
        let mut locked = 0;
        let (text, encoding, format, truncated) = if is_archive(doc.bytes) {
            let mut cx = Unpack::new(cap, &self.passwords);
            let (text, exhausted) =
                unpack_archive_text(&doc.bytes[..doc.bytes.len().min(cap)], &mut cx);
            locked = cx.locked();
            clock.lap(|t| &mut t.html);
            let format = if is_sqlite(doc.bytes) {
                TextFormat::Database
            } else if Office97::of(doc.bytes) == Some(Office97::Message) {
                TextFormat::Mail
            } else {
                TextFormat::Archive
            };
            (
                Cow::Owned(text),
                "UTF-8",
                format,
                doc.bytes.len() > cap || exhausted,
            )
        } else {
            'text: {
                let decoded = decode(doc.bytes, doc.charset, cap);
                clock.lap(|t| &mut t.decode);
                let decoded = match decoded {
                    Ok(d) => d,
                    Err((reason, enc)) => {
                        // A binary file of no format read above: its text runs (not of a
                        // picture, a sound, a video, a font or a program).
                        let mut text = String::new();
                        if reason == SkipReason::Binary
                            && read_binary_file(&doc.bytes[..doc.bytes.len().min(cap)], &mut text)
                        {
                            clock.lap(|t| &mut t.html);
                            let truncated = doc.bytes.len() > cap;
                            break 'text (
                                Cow::Owned(text),
                                "UTF-8",
                                TextFormat::Strings,
                                truncated,
                            );
                        }
                        return ScanReport {
                            bytes,
                            encoding: enc.name(),
                            format: TextFormat::Plain,
                            truncated: false,
                            skipped: Some(reason),
                            findings: Vec::new(),
                            records: 0,
                            locked: 0,
                        };
                    }
                };
                let (encoding, truncated) = (decoded.encoding.name(), decoded.truncated);
                if is_html(&decoded.text, doc.content_type) {
                    let text = extract_text(&decoded.text);
                    clock.lap(|t| &mut t.html);
                    (Cow::Owned(text), encoding, TextFormat::Html, truncated)
                } else if is_mime(&decoded.text, doc.content_type) {
                    let mut cx = Unpack::new(cap, &self.passwords);
                    let text = unpack_mail_text(&decoded.text, &mut cx);
                    locked = cx.locked();
                    clock.lap(|t| &mut t.html);
                    (Cow::Owned(text), encoding, TextFormat::Mail, truncated)
                } else {
                    (decoded.text, encoding, TextFormat::Plain, truncated)
                }
            }
        };
        locked += armored_ciphertexts(&text);
        let (findings, records) = self.scan_text_counted(&text, clock);
        ScanReport {
            bytes,
            encoding,
            format,
            truncated,
            skipped: None,
            findings,
            records,
            locked,
        }
    }

    /// Finds records in text. Spans are byte offsets into `text`.
    pub fn scan_text(&self, text: &str) -> Vec<Finding> {
        self.scan_text_counted(text, &mut Clock::start(None)).0
    }

    /// The findings in `text`, and the number of records found at any confidence.
    fn scan_text_counted(&self, text: &str, clock: &mut Clock<'_>) -> (Vec<Finding>, u32) {
        // The folded-text buffers (8 bytes a character) are kept per thread and reused, so
        // scanning many small documents does not fault in fresh pages for each of them.
        // So are the lookup caches: the filter's answer memo (64 KiB), the token ids of whole
        // tokens and the keyed fingerprints of name tokens and of birth dates. They hold keyed
        // hashes and ids, never text, and are kept from one document to the next (the same
        // names recur across a dump's pages) for as long as the thread scans for the same
        // matcher.
        thread_local! {
            static BUF: std::cell::RefCell<Option<Scratch>> = const { std::cell::RefCell::new(None) };
        }
        let mut scratch = BUF
            .with(|b| b.borrow_mut().take())
            .unwrap_or_else(|| Scratch {
                text: FoldedText::default(),
                memo: Box::new([0; 1 << 13]),
                marks: RecordMarks::default(),
                owner: 0,
                token_ids: HashMap::default(),
                name_values: Vec::new(),
                birth_dates: Vec::new(),
                buffers: Buffers::default(),
                best: FxHashMap::default(),
            });
        // The map of records found keeps its allocation from one document to the next (it
        // is grown by rehashing otherwise, 1 % of a scan of dumps), unless it grew large.
        let mut best = std::mem::take(&mut scratch.best);
        if best.capacity() > MAX_KEPT_RECORDS {
            best = FxHashMap::default();
        }
        let mut acc = Accumulator { best };
        if scratch.owner != self.instance || scratch.token_ids.len() > MAX_CACHED_TOKENS {
            scratch.memo.fill(0);
            scratch.token_ids.clear();
            scratch.name_values.clear();
            scratch.birth_dates.clear();
            scratch
                .birth_dates
                .resize(corroborate::BIRTH_DATE_SLOTS, std::cell::Cell::new(None));
            scratch
                .name_values
                .resize(self.bundle.vocabulary_len(), std::cell::OnceCell::new());
            scratch.owner = self.instance;
        }
        scratch.marks.ensure(self.bundle.record_count());
        for (offset, block) in blocks(text) {
            let mut folded = FoldedText::fold(block, offset, std::mem::take(&mut scratch.text));
            clock.lap(|t| &mut t.fold);
            let caches = Caches {
                memo: &mut scratch.memo,
                token_ids: &mut scratch.token_ids,
                name_values: &scratch.name_values,
                birth_dates: &scratch.birth_dates,
            };
            let mut scan = BlockScan::new(self, (&folded, block), caches, &mut scratch.buffers);
            scan.find_candidates();
            if scan.boxed {
                // Pass 1 met digits one to a cell (see `FoldedText::join_boxed_cells`): it
                // starts over on the block with them joined (rare: forms laid out in boxes).
                scan.return_buffers(&mut scratch.buffers);
                folded.join_boxed_cells();
                let caches = Caches {
                    memo: &mut scratch.memo,
                    token_ids: &mut scratch.token_ids,
                    name_values: &scratch.name_values,
                    birth_dates: &scratch.birth_dates,
                };
                scan = BlockScan::new(self, (&folded, block), caches, &mut scratch.buffers);
                scan.find_candidates();
            }
            clock.lap(|t| &mut t.candidates);
            scan.walk_multi_token();
            clock.lap(|t| &mut t.walk);
            scan.corroborate(
                &mut acc,
                &mut scratch.marks,
                &mut scratch.buffers.corroborate,
            );
            scan.return_buffers(&mut scratch.buffers);
            scratch.text = folded;
            clock.lap(|t| &mut t.corroborate);
        }
        let found = acc.take_findings(&self.bundle);
        scratch.best = acc.best;
        BUF.with(|b| *b.borrow_mut() = Some(scratch));
        clock.lap(|t| &mut t.corroborate);
        found
    }
}

/// Per-thread buffers reused from one document to the next.
struct Scratch {
    text: FoldedText,
    memo: Box<ProbeMemo>,
    marks: RecordMarks,
    /// The [`Matcher::instance`] the caches below (and `memo`) belong to.
    owner: u64,
    token_ids: TokenIds,
    name_values: Vec<std::cell::OnceCell<fingerprints::CorroboratorValue>>,
    birth_dates: Vec<std::cell::Cell<Option<fingerprints::CorroboratorValue>>>,
    buffers: Buffers,
    /// [`Accumulator::best`], empty between documents.
    best: FxHashMap<u32, Best>,
}

/// The map of records found in a document is kept for the next one up to this capacity.
const MAX_KEPT_RECORDS: usize = 1 << 14;

/// The vectors a block scan fills, kept per thread with their allocations (and empty between
/// blocks): a scan of many small documents would otherwise allocate, zero and grow them again
/// for every block (2–3 % of the instructions of a scan of dumps or Japanese prose, and page
/// faults on top). Like the folded text, they grow to the largest block the thread has seen,
/// at most [`text::BLOCK_BYTES`] of text.
#[derive(Default)]
pub(crate) struct Buffers {
    edges: Vec<Edge>,
    edge_at: Vec<u32>,
    candidate_buffers: candidates::CandidateBuffers,
    /// `'static` only as a type: it is always empty here (see [`recycle`]).
    hits: Vec<Hit<'static>>,
    addresses: Vec<AddressPath>,
    corroborate: corroborate::Buffers,
}

/// An empty vector with `v`'s allocation, for an element type of the same size and alignment
/// (here: the same type with another lifetime). Collecting a vector's own iterator reuses its
/// allocation when the layouts agree; the `recycle_keeps_the_allocation` test checks it.
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// Whole-token fast fingerprint → its token id (`None`: the filter let a non-token through).
pub(crate) type TokenIds = HashMap<u64, Option<u32>, BuildIdentity>;

/// The token-id cache is dropped and started again past this many entries.
const MAX_CACHED_TOKENS: usize = 1 << 16;

/// A block scan's view of the per-thread lookup caches.
pub(crate) struct Caches<'c> {
    memo: &'c mut ProbeMemo,
    token_ids: &'c mut TokenIds,
    /// By token id: the token's keyed fingerprint as a name or reading token, once asked.
    name_values: &'c [std::cell::OnceCell<fingerprints::CorroboratorValue>],
    /// By day (see [`corroborate::BIRTH_DATE_SLOTS`]): a birth date's keyed fingerprint, once
    /// asked. A dump has a birth date a row, each hashed with keyed BLAKE3 otherwise.
    birth_dates: &'c [std::cell::Cell<Option<fingerprints::CorroboratorValue>>],
}

/// Two bits per register record, all clear between blocks: "named by a hit of this block" and
/// "named by more than one". A record named once (most of them) is scored straight from its
/// hit; only the others are sorted into runs.
#[derive(Default)]
pub(crate) struct RecordMarks {
    seen: Vec<u64>,
    multi: Vec<u64>,
}

impl RecordMarks {
    /// Makes room for `records` records.
    fn ensure(&mut self, records: usize) {
        let words = records.div_ceil(64);
        if self.seen.len() < words {
            self.seen.resize(words, 0);
            self.multi.resize(words, 0);
        }
    }

    /// Marks `r` seen; a second mark makes it "multi".
    #[inline]
    pub(crate) fn mark(&mut self, r: u32) {
        let (w, b) = ((r / 64) as usize, 1u64 << (r % 64));
        if let Some(seen) = self.seen.get_mut(w) {
            if *seen & b != 0 {
                self.multi[w] |= b;
            }
            *seen |= b;
        }
    }

    /// Whether `r` was marked.
    #[inline]
    pub(crate) fn is_seen(&self, r: u32) -> bool {
        self.seen
            .get((r / 64) as usize)
            .is_some_and(|w| w & (1u64 << (r % 64)) != 0)
    }

    /// Whether `r` was marked more than once.
    #[inline]
    pub(crate) fn is_multi(&self, r: u32) -> bool {
        self.multi
            .get((r / 64) as usize)
            .is_some_and(|w| w & (1u64 << (r % 64)) != 0)
    }

    /// Clears the marks of `r`, and of the records sharing its 64-bit word: call it for every
    /// record that was marked.
    #[inline]
    pub(crate) fn clear(&mut self, r: u32) {
        let w = (r / 64) as usize;
        if w < self.seen.len() {
            self.seen[w] = 0;
            self.multi[w] = 0;
        }
    }
}

/// A field of one or more records found at a place in the block (character indices).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit<'m> {
    pub kind: FieldKind,
    pub start: usize,
    pub end: usize,
    /// The records, borrowed from the bundle or the index.
    pub records: &'m [u32],
    /// A reading found in Latin letters: its key stands for several spellings and namesakes,
    /// so when its line holds a date of its own, dates on other lines are not its.
    pub latin: bool,
}

/// A confirmed token of the register's vocabulary at `start..end` (character indices).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub start: usize,
    pub end: usize,
    pub id: u32,
    /// A reading found in Latin letters (its romaji key), not the token's own text.
    pub romaji: bool,
}

/// A town followed by block numbers (an address prefix) at `start..end`. Deliberately not
/// `Debug`: it holds a value read from the page.
#[derive(Clone)]
pub(crate) struct AddressPath {
    pub start: usize,
    /// Where the town's token ends.
    pub town_end: usize,
    pub end: usize,
    /// The block numbers, `count` of them.
    pub numbers: [u32; candidates::MAX_WALK_TOKENS - 1],
    pub count: u8,
}

impl AddressPath {
    /// The prefix in canonical form: the town, then each number, space-separated.
    pub(crate) fn canonical(&self, t: &FoldedText) -> String {
        let mut canonical = candidates::token_text(t, self.start, self.town_end);
        for n in &self.numbers[..usize::from(self.count)] {
            canonical.push(' ');
            canonical.push_str(&n.to_string());
        }
        canonical
    }
}

/// Per-block scanning state.
pub(crate) struct BlockScan<'m> {
    m: &'m Matcher,
    t: &'m FoldedText,
    /// The block's text as in the page (the case of Latin letters, which folding drops).
    block: &'m str,
    edges: Vec<Edge>,
    /// `edge_at[k]`: the first edge starting at or after character `k`, for `k` in
    /// `0..=chars.len() + 1` (edges are found in text order); built for the trie walk.
    edge_at: Vec<u32>,
    candidate_buffers: candidates::CandidateBuffers,
    hits: Vec<Hit<'m>>,
    addresses: Vec<AddressPath>,
    caches: Caches<'m>,
    /// Pass 1 met a value's digits one to a cell, and the block has not been folded with them
    /// joined yet (see [`FoldedText::join_boxed_cells`]).
    boxed: bool,
}

/// Recent hot-path filter answers, keyed by the top 13 bits of the fingerprint: a slot holds the
/// fingerprint with its lowest bit replaced by the answer (0 = empty).
pub(crate) type ProbeMemo = [u64; 1 << 13];

impl<'m> BlockScan<'m> {
    fn new(
        m: &'m Matcher,
        (t, block): (&'m FoldedText, &'m str),
        caches: Caches<'m>,
        bufs: &mut Buffers,
    ) -> Self {
        use std::mem::take;
        BlockScan {
            caches,
            m,
            t,
            block,
            edges: take(&mut bufs.edges),
            edge_at: take(&mut bufs.edge_at),
            candidate_buffers: take(&mut bufs.candidate_buffers),
            hits: recycle(take(&mut bufs.hits)),
            addresses: take(&mut bufs.addresses),
            boxed: false,
        }
    }

    /// Gives the block's vectors back, emptied, for the next block.
    fn return_buffers(self, bufs: &mut Buffers) {
        let BlockScan {
            mut edges,
            mut edge_at,
            candidate_buffers,
            hits,
            mut addresses,
            ..
        } = self;
        edges.clear();
        edge_at.clear();
        addresses.clear();
        bufs.edges = edges;
        bufs.edge_at = edge_at;
        bufs.candidate_buffers = candidate_buffers;
        bufs.hits = recycle(hits);
        bufs.addresses = addresses;
    }
}

/// The best group of each record found so far in a document.
#[derive(Default)]
pub(crate) struct Accumulator {
    best: FxHashMap<u32, Best>,
}

/// A record's best group (none when every group was below the matcher's minimum confidence)
/// and how many groups it has in the document.
#[derive(Default)]
pub(crate) struct Best {
    group: Option<Group>,
    occurrences: u32,
}

/// One group of a record's fields found close together.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub confidence: Confidence,
    pub fields: Vec<FieldKind>,
    pub spans: Vec<Span>,
}

impl Accumulator {
    /// Counts one more group of `record`, and keeps it if it is the record's best so far.
    pub(crate) fn add(&mut self, record: u32, group: Group) {
        let best = self.best.entry(record).or_default();
        best.occurrences += 1;
        let better = best.group.as_ref().is_none_or(|g| {
            (group.confidence, group.fields.len()) > (g.confidence, g.fields.len())
        });
        if better {
            best.group = Some(group);
        }
    }

    /// Counts one more group of `record` that is below the matcher's minimum confidence.
    pub(crate) fn add_below(&mut self, record: u32) {
        self.best.entry(record).or_default().occurrences += 1;
    }

    /// The findings, highest confidence first, and the number of records found at all;
    /// leaves the accumulator empty.
    fn take_findings(&mut self, bundle: &Bundle) -> (Vec<Finding>, u32) {
        let records = u32::try_from(self.best.len()).unwrap_or(u32::MAX);
        let mut out: Vec<Finding> = self
            .best
            .drain()
            .filter_map(|(rec, b)| {
                let g = b.group?;
                Some(Finding {
                    record: bundle.record_ref(rec)?,
                    confidence: g.confidence,
                    fields: g.fields,
                    spans: g.spans,
                    occurrences: b.occurrences,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.confidence
                .cmp(&a.confidence)
                .then(b.fields.len().cmp(&a.fields.len()))
                .then(a.record.cmp(&b.record))
        });
        (out, records)
    }
}

/// Hasher for keys that already are keyed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type BuildIdentity = std::hash::BuildHasherDefault<IdentityHasher>;

/// How many encrypted messages are pasted into `text` in ASCII armour: OpenPGP's (`-----BEGIN
/// PGP MESSAGE-----`, RFC 9580 6.2: inline PGP in a mail, or a paste a leaker encrypted) and
/// age's (`-----BEGIN AGE ENCRYPTED FILE-----`). They are not read, and count as `locked`.
/// A signed message in clear (`BEGIN PGP SIGNED MESSAGE`) and a key are not encrypted data.
fn armored_ciphertexts(text: &str) -> u32 {
    static BEGIN: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("-----BEGIN "));
    let bytes = text.as_bytes();
    let mut count = 0u32;
    for at in BEGIN.find_iter(bytes) {
        let rest = &bytes[at + "-----BEGIN ".len()..];
        if rest.starts_with(b"PGP MESSAGE-----") || rest.starts_with(b"AGE ENCRYPTED FILE-----") {
            count = count.saturating_add(1);
        }
    }
    count
}
