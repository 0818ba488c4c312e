//! Building a bundle from register rows.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use super::{Bundle, BundleMeta, MultiTokenField};
use crate::fxhash::FxHashMap;
use crate::normalize::{Canonical, canonicalize, romaji};
use crate::records::{ReadOptions, Row, RowProblem, read_register};
use crate::{
    CorroboratorFilter, CorroboratorValue, Error, FastDomain, FieldKind, Hasher, KindClass,
    RecordRef, Schema, SecretKey, TokenFilter,
};

/// Bits per item of the hot-path filter.
const FILTER_BITS_PER_ITEM: usize = 16;
/// Rows normalized per parallel batch.
const BATCH: usize = 16_384;

/// What a build did: the summary `fingerprint build` prints.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Records in the bundle.
    pub records: u64,
    /// Rows rejected entirely, with line numbers and reasons.
    pub rejected_rows: Vec<RowProblem>,
    /// Fields left out of otherwise good rows (the value did not normalize).
    pub field_problems: Vec<RowProblem>,
    /// Values stored per kind.
    pub per_kind: BTreeMap<FieldKind, u64>,
    /// Distinct tokens of multi-token fields.
    pub vocabulary_tokens: u64,
    /// Bundle file size, once written.
    pub bundle_bytes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// One register row after normalization and hashing. Tokens are `String`s right after the
/// parallel step and interned `u32` ids once the batch is merged; raw values are gone.
struct Processed<T> {
    line: u64,
    reference: RecordRef,
    strong: Vec<(FieldKind, u64, u64)>,
    multi: Vec<(FieldKind, Vec<T>)>,
    /// Keyed fingerprints of the corroborating values; scoped to the record once its number
    /// in the bundle is known.
    corroborators: Vec<CorroboratorValue>,
    /// [`Hasher::postal_town_key`] of each postal code of the record.
    postal_keys: Vec<u64>,
    problems: Vec<String>,
}

/// A processed record once its tokens are interned.
type Interned = Processed<u32>;

/// Accumulates register rows and produces a [`Bundle`].
///
/// ```
/// use fingerprints::{BundleBuilder, SecretKey, FieldKind};
/// use fingerprints::records::Row;
///
/// let key = SecretKey::from_bytes([7; 32]);
/// let mut b = BundleBuilder::new(&key);
/// b.add_rows(vec![Row { line: 2, id: "R1".into(), fields: vec![
///     (FieldKind::Name, 0, "山田 太郎".into()),
///     (FieldKind::Phone, 1, "06-1234-5678".into()),
/// ]}]);
/// let (bundle, report) = b.finish().unwrap();
/// assert_eq!(report.records, 1);
/// assert_eq!(bundle.record_count(), 1);
/// ```
pub struct BundleBuilder {
    hasher: Hasher,
    key_id: String,
    processed: Vec<Interned>,
    /// Distinct tokens seen so far, their (provisional) ids and counts.
    interner: FxHashMap<String, u32>,
    token_counts: Vec<u32>,
    rejected: Vec<RowProblem>,
    columns: Vec<String>,
}

impl std::fmt::Debug for BundleBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BundleBuilder({} rows)", self.processed.len())
    }
}

impl BundleBuilder {
    /// A builder for bundles keyed with `key`.
    pub fn new(key: &SecretKey) -> BundleBuilder {
        BundleBuilder {
            hasher: Hasher::new(key),
            key_id: key.key_id().to_string(),
            processed: Vec::new(),
            interner: FxHashMap::default(),
            token_counts: Vec::new(),
            rejected: Vec::new(),
            columns: Vec::new(),
        }
    }

    /// Names the schema columns (by `Row::fields` index) for problem messages.
    pub fn with_column_names(mut self, columns: Vec<String>) -> BundleBuilder {
        self.columns = columns;
        self
    }

    /// Normalizes and hashes a batch of rows (in parallel); raw values are dropped afterwards.
    pub fn add_rows(&mut self, rows: Vec<Row>) {
        let hasher = &self.hasher;
        let columns = &self.columns;
        let done: Vec<Processed<String>> = rows
            .into_par_iter()
            .map(|r| process(hasher, columns, r))
            .collect();
        self.processed.reserve(done.len());
        for p in done {
            let multi = p
                .multi
                .into_iter()
                .map(|(kind, toks)| {
                    let ids = toks
                        .into_iter()
                        .map(|t| {
                            let next = self.token_counts.len() as u32;
                            let id = *self.interner.entry(t).or_insert(next);
                            if id == next {
                                self.token_counts.push(0);
                            }
                            self.token_counts[id as usize] += 1;
                            id
                        })
                        .collect();
                    (kind, ids)
                })
                .collect();
            self.processed.push(Interned {
                line: p.line,
                reference: p.reference,
                strong: p.strong,
                multi,
                corroborators: p.corroborators,
                postal_keys: p.postal_keys,
                problems: p.problems,
            });
        }
    }

    /// Records a row rejected while reading.
    pub fn reject(&mut self, problem: RowProblem) {
        self.rejected.push(problem);
    }

    /// Assembles the bundle.
    pub fn finish(self) -> Result<(Bundle, BuildReport), Error> {
        let BundleBuilder {
            hasher,
            key_id,
            mut processed,
            mut rejected,
            interner,
            token_counts,
            ..
        } = self;
        let mut report = BuildReport::default();
        // Records are ordered by their keyed reference, which reveals nothing about register order.
        processed.par_sort_unstable_by_key(|p| (p.reference, p.line));
        let mut kept: Vec<Interned> = Vec::with_capacity(processed.len());
        for p in processed {
            if let Some(prev) = kept.last().filter(|k| k.reference == p.reference) {
                rejected.push(RowProblem {
                    line: p.line,
                    reason: format!("duplicate id (same as line {})", prev.line),
                });
                continue;
            }
            kept.push(p);
        }
        rejected.sort_by_key(|p| p.line);
        if kept.is_empty() {
            return Err(Error::NoRecords {
                rejected: rejected.len(),
            });
        }
        let mut field_problems = Vec::new();
        for p in &mut kept {
            for reason in p.problems.drain(..) {
                field_problems.push(RowProblem {
                    line: p.line,
                    reason,
                });
            }
        }
        field_problems.sort_by_key(|p| p.line);

        // Token vocabulary, most frequent first so common tokens get small ids.
        let mut tokens: Vec<(String, u32, u32, u64)> = interner
            .into_iter()
            .map(|(t, provisional)| {
                let fp = hasher.token(&t);
                (t, token_counts[provisional as usize], provisional, fp)
            })
            .collect();
        tokens.sort_by(|a, b| b.1.cmp(&a.1).then(a.3.cmp(&b.3)));
        let mut final_id = vec![0u32; tokens.len()];
        for (i, t) in tokens.iter().enumerate() {
            final_id[t.2 as usize] = i as u32;
        }
        let vocab: Vec<u64> = tokens.iter().map(|t| t.3).collect();
        // Readings in Latin letters: every katakana token's romaji key, to its id.
        let romaji_keys: Vec<(String, u32)> = tokens
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((romaji::katakana_key(&t.0)?, i as u32)))
            .collect();
        let mut romaji: Vec<(u64, u32)> = romaji_keys
            .iter()
            .map(|(k, id)| (hasher.romaji(k), *id))
            .collect();
        romaji.sort_unstable();
        romaji.dedup();

        // Hot-path filter: every token prefix, every token, every strong value.
        let prefix_items: usize = tokens.iter().map(|t| t.0.chars().count() + 1).sum();
        let strong_items: usize = kept.iter().map(|p| p.strong.len()).sum();
        let mut filter = TokenFilter::with_capacity(
            prefix_items + strong_items + romaji_keys.len(),
            FILTER_BITS_PER_ITEM,
        );
        for (k, _) in &romaji_keys {
            filter.insert(hasher.fast_str(FastDomain::Romaji, k));
        }
        let mut token_len_mask = 0u64;
        for (t, ..) in &tokens {
            let mut h = hasher.fast_start(FastDomain::TokenPrefix);
            let mut n = 0;
            for c in t.chars() {
                h = hasher.fast_step(h, c);
                filter.insert(h);
                n += 1;
            }
            filter.insert(hasher.fast_as_token(h));
            token_len_mask |= 1u64 << n.min(63);
        }

        // Per-kind entries, strong index, corroborators.
        let mut multi: BTreeMap<FieldKind, MultiTokenField> = BTreeMap::new();
        let mut strong: Vec<(u64, u32)> = Vec::with_capacity(strong_items);
        let corroborator_count: usize = kept.iter().map(|p| p.corroborators.len()).sum();
        let mut corroborators = CorroboratorFilter::with_capacity(
            corroborator_count,
            u64::from_le_bytes(super::random_bytes()?),
        );
        let mut refs = Vec::with_capacity(kept.len());
        let mut birth_tags = Vec::with_capacity(kept.len());
        // Each postal code's towns: the town of every address with block numbers of a record
        // with that postal code.
        let mut postal_towns: Vec<(u64, u32)> = Vec::new();
        for (rec, p) in kept.iter().enumerate() {
            let rec = rec as u32;
            refs.push(p.reference);
            let mut birth_tag = 0;
            for v in &p.corroborators {
                corroborators.insert(hasher.corroborator(rec, v));
                if v.kind() == FieldKind::BirthDate {
                    let tag = hasher.birth_tag(rec, v);
                    // Two different birth dates (two date columns): no quick rule-out.
                    birth_tag = if birth_tag == 0 || birth_tag == tag {
                        tag
                    } else {
                        super::ANY_BIRTH_TAG
                    };
                }
            }
            birth_tags.push(birth_tag);
            for &(kind, exact, fast) in &p.strong {
                strong.push((exact, rec));
                filter.insert(fast);
                *report.per_kind.entry(kind).or_default() += 1;
            }
            for (kind, toks) in &p.multi {
                if *kind == FieldKind::Address
                    && toks.len() >= 2
                    && let Some(&town) = toks.first()
                {
                    let town = final_id[town as usize];
                    postal_towns.extend(p.postal_keys.iter().map(|&k| (k, town)));
                }
                let m = multi.entry(*kind).or_insert_with(|| MultiTokenField {
                    kind: *kind,
                    entry_record: Vec::new(),
                    offsets: vec![0],
                    ids: Vec::new(),
                });
                m.entry_record.push(rec);
                m.ids.extend(toks.iter().map(|&t| final_id[t as usize]));
                m.offsets.push(m.ids.len() as u32);
                *report.per_kind.entry(*kind).or_default() += 1;
            }
        }
        strong.par_sort_unstable();
        postal_towns.sort_unstable();
        postal_towns.dedup();
        let (strong_fps, strong_recs): (Vec<u64>, Vec<u32>) = strong.into_iter().unzip();
        report.records = kept.len() as u64;
        report.vocabulary_tokens = vocab.len() as u64;
        report.rejected_rows = rejected;
        report.field_problems = field_problems;
        let id: [u8; 8] = super::random_bytes()?;
        let meta = BundleMeta {
            format_version: super::FORMAT_VERSION,
            key_id,
            bundle_id: hex::encode(id),
            created_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            records: refs.len() as u64,
            fingerprints_per_kind: BTreeMap::new(),
            vocabulary_tokens: vocab.len() as u64,
            strong_fingerprints: strong_fps.len() as u64,
            corroborator_fingerprints: corroborator_count as u64,
            section_bytes: BTreeMap::new(),
        };
        let vocab_index = vocab
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, i as u32))
            .collect();
        let mut bundle = Bundle {
            meta,
            hasher,
            refs,
            vocab,
            vocab_index,
            filter,
            token_len_mask,
            multi: multi.into_values().collect(),
            strong_fps,
            strong_recs,
            corroborators,
            birth_tags,
            romaji,
            postal_towns,
        };
        bundle.meta.fingerprints_per_kind = report
            .per_kind
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), *v))
            .collect();
        Ok((bundle, report))
    }
}

fn process(hasher: &Hasher, columns: &[String], row: Row) -> Processed<String> {
    let reference = hasher.record_ref(&row.id);
    let mut p = Processed {
        line: row.line,
        reference,
        strong: Vec::new(),
        multi: Vec::new(),
        corroborators: Vec::new(),
        postal_keys: Vec::new(),
        problems: Vec::new(),
    };
    for (kind, col, raw) in &row.fields {
        let canonical = match canonicalize(*kind, raw) {
            Ok(c) => c,
            Err(e) => {
                let name = columns
                    .get(*col)
                    .map_or_else(|| format!("#{col}"), |c| format!("\"{c}\""));
                p.problems
                    .push(format!("column {name} ({kind}) left out: {e}"));
                continue;
            }
        };
        match (kind.class(), canonical) {
            (KindClass::Strong, Canonical::Value(v)) => {
                p.strong.push((
                    *kind,
                    hasher.strong(*kind, &v),
                    hasher.fast_str(FastDomain::Strong(*kind), &v),
                ));
            }
            (KindClass::Corroborator, Canonical::Value(v)) => {
                if *kind == FieldKind::PostalCode {
                    p.postal_keys.push(hasher.postal_town_key(&v));
                }
                p.corroborators.push(hasher.corroborator_value(*kind, &v));
            }
            (KindClass::MultiToken, Canonical::Tokens(toks)) => {
                match kind {
                    FieldKind::Address => {
                        // Partial addresses (town + block numbers) corroborate.
                        for n in 2..=toks.len() {
                            p.corroborators
                                .push(hasher.corroborator_value(*kind, &toks[..n].join(" ")));
                        }
                    }
                    _ => {
                        // Single name tokens (a family name near a phone number) corroborate.
                        for t in &toks {
                            p.corroborators.push(hasher.corroborator_value(*kind, t));
                        }
                    }
                }
                p.multi.push((*kind, toks));
            }
            _ => p.problems.push(format!(
                "column #{col} ({kind}) left out: internal kind mismatch"
            )),
        }
    }
    p
}

/// Reads a register file and builds its bundle; `progress(bytes_read)` is called while reading.
pub fn build_from_file(
    records: &Path,
    schema: &Schema,
    opts: ReadOptions,
    key: &SecretKey,
    progress: impl Fn(u64) + Send,
) -> Result<(Bundle, BuildReport), Error> {
    let started = Instant::now();
    // A value joined from parts is named by all its columns (`"氏" + "名"`).
    let joined = schema.joined_columns();
    // Then each value listed in `[values]`, by its columns (see `Row::fields`).
    let names = schema
        .columns
        .iter()
        .map(
            |(column, kind)| match joined.iter().find(|(k, _)| k == kind) {
                Some((_, parts)) => parts.join("\" + \""),
                None => column.clone(),
            },
        )
        .chain(
            schema
                .values
                .iter()
                .flat_map(|(_, lists)| lists.iter().map(|l| l.join("\" + \""))),
        )
        .collect();
    let mut builder = BundleBuilder::new(key).with_column_names(names);
    // Reading (one thread) overlaps normalizing and hashing (rayon) through a small queue.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
    let rejected = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut rejected = Vec::new();
            let mut batch = Vec::with_capacity(BATCH);
            let result = read_register(
                records,
                schema,
                opts,
                |r| match r {
                    Ok(row) => {
                        batch.push(row);
                        if batch.len() == BATCH {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                            // The receiver only goes away when the build is abandoned.
                            let _ = tx.send(full);
                        }
                    }
                    Err(p) => rejected.push(p),
                },
                progress,
            );
            let _ = tx.send(batch);
            result.map(|()| rejected)
        });
        for batch in rx {
            builder.add_rows(batch);
        }
        reader
            .join()
            .unwrap_or_else(|_| Err(Error::Records("the register reader failed".into())))
    })?;
    for p in rejected {
        builder.reject(p);
    }
    let (bundle, mut report) = builder.finish()?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok((bundle, report))
}
