//! The fingerprint bundle: everything the matcher needs, nothing it could leak.
//!
//! What it holds (all keyed hashes; see the crate docs for the privacy model):
//!
//! | part | what | used for |
//! |---|---|---|
//! | record refs | one [`RecordRef`] per record | what alerts name |
//! | token vocabulary | exact keyed fingerprint of every token of a multi-token field, its index is the token id | confirming a token the hot-path filter let through |
//! | hot-path filter | fast keyed fingerprints of every token, token prefix and strong value | rejecting non-matching text in nanoseconds |
//! | multi-token entries | per record and kind, the token-id sequence of a name, reading, address | finding fields split or joined |
//! | strong index | exact fingerprint of phone / e-mail / account / My Number → record | primary hits |
//! | birth-date tags | per record, 15 keyed bits of (record number, birth date) | ruling a date out for a record in nanoseconds before asking the corroborator filter |
//! | postal towns | per postal code's keyed fingerprint, the token ids of its records' towns | addresses written without their town, by postal code and block numbers |
//! | corroborators | salted blocked Bloom filter ([`CorroboratorFilter`], ~1e-6 false positives) of record-scoped fingerprints of birth dates, postal codes, name tokens, address prefixes | raising confidence around a hit; low-entropy values are only here |

mod build;
mod codec;

pub use build::{BuildReport, BundleBuilder, build_from_file};
pub use codec::{FORMAT_VERSION, MAGIC, inspect_bytes};

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::fxhash::FxHashMap;
use crate::{
    CorroboratorFilter, CorroboratorValue, Error, FieldKind, Hasher, RecordRef, SecretKey,
    TokenFilter,
};

/// Birth-date tag of a record with several birth dates: never rules a date out. Real tags are
/// odd, 0 means "no birth date".
pub(crate) const ANY_BIRTH_TAG: u16 = 2;

/// `N` bytes from the system's random source (bundle ids, filter salts, nonces).
fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| {
        Error::io(
            "reading the system random source",
            std::io::Error::other(e.to_string()),
        )
    })?;
    Ok(b)
}

/// Plain-text metadata in a bundle's header; readable without the key (`fingerprint inspect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleMeta {
    /// Format version of the file.
    pub format_version: u32,
    /// Id of the key the bundle was built with (16 hex digits).
    pub key_id: String,
    /// Random id of this build (16 hex digits); alerts carry it.
    pub bundle_id: String,
    /// Build time, seconds since the Unix epoch.
    pub created_unix: u64,
    /// Records in the bundle.
    pub records: u64,
    /// Values stored per field kind.
    pub fingerprints_per_kind: BTreeMap<String, u64>,
    /// Distinct tokens of multi-token fields.
    pub vocabulary_tokens: u64,
    /// Entries in the strong index.
    pub strong_fingerprints: u64,
    /// Record-scoped corroborator fingerprints in the Bloom filter.
    pub corroborator_fingerprints: u64,
    /// Bytes per payload section (before encryption).
    pub section_bytes: BTreeMap<String, u64>,
}

/// The token-id sequences of one multi-token kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiTokenField {
    /// The field kind.
    pub kind: FieldKind,
    /// Record number of each entry (sorted).
    pub entry_record: Vec<u32>,
    /// Entry `i`'s token ids are `ids[offsets[i]..offsets[i + 1]]`.
    pub offsets: Vec<u32>,
    /// Token ids of all entries, concatenated.
    pub ids: Vec<u32>,
}

impl MultiTokenField {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entry_record.len()
    }

    /// True if there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entry_record.is_empty()
    }

    /// Entry `i`: its record number and token ids.
    pub fn entry(&self, i: usize) -> (u32, &[u32]) {
        let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        (self.entry_record[i], &self.ids[a..b])
    }
}

/// A loaded, immutable fingerprint bundle together with the hasher of its key.
///
/// Share it across threads behind an `Arc`; every query is `&self`.
pub struct Bundle {
    pub(crate) meta: BundleMeta,
    pub(crate) hasher: Hasher,
    pub(crate) refs: Vec<RecordRef>,
    pub(crate) vocab: Vec<u64>,
    pub(crate) vocab_index: FxHashMap<u64, u32>,
    pub(crate) filter: TokenFilter,
    pub(crate) token_len_mask: u64,
    pub(crate) multi: Vec<MultiTokenField>,
    pub(crate) strong_fps: Vec<u64>,
    pub(crate) strong_recs: Vec<u32>,
    pub(crate) corroborators: CorroboratorFilter,
    /// Per record: its [`Hasher::birth_tag`], or 0 without a birth date.
    pub(crate) birth_tags: Vec<u16>,
    /// `(`[`Hasher::romaji`]` of a reading token's romaji key, the token's id)`, sorted; a key
    /// shared by several readings (サトウ, サト) has a pair for each.
    pub(crate) romaji: Vec<(u64, u32)>,
    /// `(`[`Hasher::postal_town_key`]` of a postal code, the token id of a town some record
    /// with that postal code lives in)`, sorted: an address written by its postal code and
    /// block numbers, without its town (in Latin letters), is walked from these towns.
    pub(crate) postal_towns: Vec<(u64, u32)>,
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bundle")
            .field("bundle_id", &self.meta.bundle_id)
            .field("key_id", &self.meta.key_id)
            .field("records", &self.refs.len())
            .finish_non_exhaustive()
    }
}

impl Bundle {
    /// Opens a bundle file with its key. Wrong key, corruption and truncation are refused with
    /// an error that says which.
    pub fn open(path: &Path, key: &SecretKey) -> Result<Bundle, Error> {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::io(format!("reading bundle {}", path.display()), e))?;
        codec::decode_owned(bytes, key)
    }

    /// Decodes a bundle from its file bytes.
    pub fn from_bytes(bytes: &[u8], key: &SecretKey) -> Result<Bundle, Error> {
        codec::decode(bytes, key)
    }

    /// Encodes the bundle to file bytes, encrypting the payload with `key` (the bundle's own key).
    pub fn to_bytes(&self, key: &SecretKey) -> Result<Vec<u8>, Error> {
        codec::encode(self, key)
    }

    /// Writes the bundle file (atomically: a temp file renamed into place).
    pub fn write(&self, path: &Path, key: &SecretKey) -> Result<u64, Error> {
        let bytes = self.to_bytes(key)?;
        let tmp = path.with_extension("lwfp.tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| Error::io(format!("writing bundle {}", path.display()), e))?;
        Ok(bytes.len() as u64)
    }

    /// The header metadata.
    pub fn meta(&self) -> &BundleMeta {
        &self.meta
    }

    /// The hasher of the bundle's key.
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// Number of records.
    pub fn record_count(&self) -> usize {
        self.refs.len()
    }

    /// The opaque reference of record number `record`.
    pub fn record_ref(&self, record: u32) -> Option<RecordRef> {
        self.refs.get(record as usize).copied()
    }

    /// The hot-path filter.
    pub fn filter(&self) -> &TokenFilter {
        &self.filter
    }

    /// Bit `n` is set when some token has `n` characters (n < 64).
    pub fn token_len_mask(&self) -> u64 {
        self.token_len_mask
    }

    /// The token id of a token's exact fingerprint, if the token occurs in the register.
    pub fn token_id(&self, exact_fp: u64) -> Option<u32> {
        self.vocab_index.get(&exact_fp).copied()
    }

    /// Number of distinct tokens.
    pub fn vocabulary_len(&self) -> usize {
        self.vocab.len()
    }

    /// The multi-token fields (one per kind present).
    pub fn multi_token_fields(&self) -> &[MultiTokenField] {
        &self.multi
    }

    /// Records whose strong field has this exact fingerprint (see [`Hasher::strong`]).
    pub fn strong_records(&self, exact_fp: u64) -> &[u32] {
        let r = equal_range(&self.strong_fps, exact_fp);
        self.strong_recs.get(r).unwrap_or_default()
    }

    /// Whether record `record` has the canonical value `canonical` of `kind` as a corroborator
    /// (birth date, postal code, a name token, an address prefix). False positives at ~1e-6.
    /// To check one value against many records, hash it once with
    /// [`Hasher::corroborator_value`] and ask [`Bundle::corroborates_value`].
    pub fn corroborates(&self, record: u32, kind: FieldKind, canonical: &str) -> bool {
        self.corroborates_value(record, &self.hasher.corroborator_value(kind, canonical))
    }

    /// [`Bundle::corroborates`] for a value already hashed: a keyed mix and one cache line of
    /// the filter (birth dates are first checked against the record's tag).
    #[inline]
    pub fn corroborates_value(&self, record: u32, value: &CorroboratorValue) -> bool {
        // One tag per record: the record count, without reading the reference table.
        let Some(&stored) = self.birth_tags.get(record as usize) else {
            return false;
        };
        if value.kind() == FieldKind::BirthDate
            && stored != ANY_BIRTH_TAG
            && stored != self.hasher.birth_tag(record, value)
        {
            return false;
        }
        self.corroborators
            .contains(self.hasher.corroborator(record, value))
    }

    /// Reads the memory [`Bundle::corroborates_value`] will read first for `record` and
    /// `value` (not a birth date) and returns a word of it: asking this for several lookups
    /// before making them lets their cache misses overlap. No branch depends on the answer.
    #[inline]
    pub fn touch_corroborates(&self, record: u32, value: &CorroboratorValue) -> u64 {
        self.corroborators
            .touch(self.hasher.corroborator(record, value))
    }

    /// The records of `records` whose birth-date tag allows `date` (a birth date's
    /// [`Hasher::corroborator_value`]), appended to `out`; those still need
    /// [`Bundle::corroborates_value`], and about one in 30,000 of the others passes. The tags
    /// are the only table read (0.9 MB for 460,177 residents, which stays in a core's cache).
    pub fn birth_tag_matches(&self, records: &[u32], date: &CorroboratorValue, out: &mut Vec<u32>) {
        out.extend(records.iter().copied().filter(|&r| {
            self.birth_tags.get(r as usize).is_some_and(|&stored| {
                stored == ANY_BIRTH_TAG || stored == self.hasher.birth_tag(r, date)
            })
        }));
    }

    /// Whether token `id` is in a token-id sequence of `kind` of record number `record` (a
    /// family or given name of its reading, say). A binary search over the kind's entries: for
    /// the rare question the corroborator filter cannot answer, about a token known only by
    /// its id (a reading found in Latin letters).
    pub fn record_has_token(&self, record: u32, kind: FieldKind, id: u32) -> bool {
        self.multi.iter().filter(|m| m.kind == kind).any(|m| {
            let first = m.entry_record.partition_point(|&r| r < record);
            (first..m.len())
                .take_while(|&i| m.entry_record[i] == record)
                .any(|i| m.entry(i).1.contains(&id))
        })
    }

    /// The ids of the reading tokens whose romaji key has the exact fingerprint `fp`
    /// ([`Hasher::romaji`]); empty for any other value.
    pub fn romaji_ids(&self, fp: u64) -> impl Iterator<Item = u32> + '_ {
        let from = self.romaji.partition_point(|&(f, _)| f < fp);
        self.romaji[from..]
            .iter()
            .take_while(move |&&(f, _)| f == fp)
            .map(|&(_, id)| id)
    }

    /// The token ids of the towns that records with postal code `postal` (canonical, seven
    /// ASCII digits) live in, per the register; empty for a postal code no record has.
    pub fn postal_towns(&self, postal: &str) -> impl Iterator<Item = u32> + '_ {
        let key = self.hasher.postal_town_key(postal);
        let from = self.postal_towns.partition_point(|&(k, _)| k < key);
        self.postal_towns[from..]
            .iter()
            .take_while(move |&&(k, _)| k == key)
            .map(|&(_, id)| id)
    }

    /// Whether the bundle has postal codes' towns (a register with postal codes and
    /// addresses).
    pub fn has_postal_towns(&self) -> bool {
        !self.postal_towns.is_empty()
    }

    /// Whether the bundle has romaji keys (a register with readings).
    pub fn has_romaji(&self) -> bool {
        !self.romaji.is_empty()
    }

    /// Approximate heap bytes held by the loaded bundle.
    pub fn heap_bytes(&self) -> usize {
        self.refs.len() * 8
            + self.vocab.len() * 8
            + self.vocab_index.capacity() * 16
            + self.filter.size_bytes()
            + self
                .multi
                .iter()
                .map(|m| (m.entry_record.len() + m.offsets.len() + m.ids.len()) * 4)
                .sum::<usize>()
            + self.strong_fps.len() * 12
            + self.corroborators.size_bytes()
            + self.birth_tags.len() * 2
            + self.romaji.len() * 16
            + self.postal_towns.len() * 16
            + 0x1_0000 * 8
    }
}

/// The range of `sorted` equal to `x`. Keyed fingerprints are uniform over `u64`, so the search
/// starts where `x` would sit in proportion and gallops from there: two or three reads of a
/// 16 MB table instead of a binary search's twenty-odd cache misses. Any order gives some range
/// of `sorted` (a corrupt table cannot make it read out of bounds).
fn equal_range(sorted: &[u64], x: u64) -> std::ops::Range<usize> {
    let n = sorted.len();
    if n == 0 {
        return 0..0;
    }
    let guess = ((u128::from(x) * n as u128) >> 64) as usize;
    // `lo`: the first index whose value is not below `x`, found between two gallop points.
    let lo = if sorted[guess] < x {
        let (mut a, mut step) = (guess, 1);
        while a + step < n && sorted[a + step] < x {
            a += step;
            step *= 2;
        }
        let b = (a + step).min(n);
        a + 1 + sorted[a + 1..b].partition_point(|&f| f < x)
    } else {
        let (mut b, mut step) = (guess, 1);
        while b >= step && sorted[b - step] >= x {
            b -= step;
            step *= 2;
        }
        let a = b.saturating_sub(step);
        a + sorted[a..b].partition_point(|&f| f < x)
    };
    let hi = lo + sorted[lo..].iter().take_while(|&&f| f == x).count();
    lo..hi
}

#[cfg(test)]
mod search_tests {
    use super::equal_range;

    fn by_binary_search(sorted: &[u64], x: u64) -> std::ops::Range<usize> {
        let lo = sorted.partition_point(|&f| f < x);
        lo..lo + sorted[lo..].partition_point(|&f| f == x)
    }

    proptest::proptest! {
        #[test]
        fn same_range_as_a_binary_search(
            mut v in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..300),
            dups in proptest::collection::vec(0usize..300, 0..40),
            probe in proptest::prelude::any::<u64>(),
            pick in 0usize..300,
        ) {
            for d in dups {
                if let Some(&x) = v.get(d) {
                    v.push(x);
                }
            }
            v.sort_unstable();
            let mut probes = vec![probe, 0, u64::MAX];
            if let Some(&x) = v.get(pick % v.len().max(1)) {
                probes.extend([x, x.wrapping_sub(1), x.wrapping_add(1)]);
            }
            for x in probes {
                proptest::prop_assert_eq!(equal_range(&v, x), by_binary_search(&v, x));
            }
        }

        #[test]
        fn clustered_values(base in proptest::prelude::any::<u64>(), n in 1usize..200, x in 0u64..400) {
            // Not uniform at all: every value in a narrow band.
            let v: Vec<u64> = (0..n as u64).map(|i| base.saturating_add(i * 2)).collect();
            let x = base.saturating_add(x);
            proptest::prop_assert_eq!(equal_range(&v, x), by_binary_search(&v, x));
        }

        #[test]
        fn unsorted_input_stays_in_bounds(v in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..100), x in proptest::prelude::any::<u64>()) {
            let r = equal_range(&v, x);
            proptest::prop_assert!(r.start <= r.end && r.end <= v.len());
        }
    }
}

#[cfg(test)]
mod romaji_tests {
    use crate::normalize::romaji::katakana_key;
    use crate::records::Row;
    use crate::{Bundle, BundleBuilder, FieldKind, SecretKey};

    #[test]
    fn readings_have_romaji_keys_that_survive_the_file() {
        let key = SecretKey::from_bytes([5; 32]);
        let mut b = BundleBuilder::new(&key);
        let row = |line: u64, id: &str, name: &str, kana: &str| Row {
            line,
            id: id.into(),
            fields: vec![
                (FieldKind::Name, 0, name.into()),
                (FieldKind::NameKana, 1, kana.into()),
            ],
        };
        // サトウ and サト share a key; 山田 has no reading, so no key of its own.
        b.add_rows(vec![
            row(2, "R1", "佐藤 太郎", "サトウ タロウ"),
            row(3, "R2", "佐渡 太郎", "さと たろう"),
            row(4, "R3", "山田 花子", "ヤマダ ハナコ"),
        ]);
        let (bundle, _) = b.finish().expect("bundle");
        let reopened =
            Bundle::from_bytes(&bundle.to_bytes(&key).expect("encode"), &key).expect("decode");
        for bundle in [&bundle, &reopened] {
            assert!(bundle.has_romaji());
            let h = bundle.hasher();
            let ids = |k: &str| bundle.romaji_ids(h.romaji(k)).collect::<Vec<_>>();
            assert_eq!(katakana_key("サトウ"), katakana_key("サト"));
            let sato = katakana_key("サトウ").expect("key");
            let want: Vec<u32> = ["サトウ", "サト"]
                .iter()
                .filter_map(|t| bundle.token_id(h.token(t)))
                .collect();
            let mut got = ids(&sato);
            got.sort_unstable();
            let mut want = want;
            want.sort_unstable();
            assert_eq!(got.len(), 2);
            assert_eq!(got, want);
            assert_eq!(ids(&katakana_key("ハナコ").expect("key")).len(), 1);
            assert!(ids("yamamoto").is_empty());
            // A key never answers as a token, nor a token as a key.
            assert_eq!(bundle.token_id(h.token(&sato)), None);
            assert!(ids("サトウ").is_empty());
            // Which record's reading holds which token.
            let record = |id: &str| {
                (0..bundle.record_count() as u32)
                    .find(|&r| bundle.record_ref(r) == Some(h.record_ref(id)))
                    .expect("record")
            };
            let token = |t: &str| bundle.token_id(h.token(t)).expect("token");
            let has = |id: &str, kind: FieldKind, t: &str| {
                bundle.record_has_token(record(id), kind, token(t))
            };
            assert!(has("R1", FieldKind::NameKana, "サトウ"));
            assert!(has("R1", FieldKind::NameKana, "タロウ"));
            assert!(!has("R1", FieldKind::NameKana, "サト"));
            assert!(has("R2", FieldKind::NameKana, "サト"));
            assert!(!has("R3", FieldKind::NameKana, "タロウ"));
            assert!(has("R3", FieldKind::Name, "山田"));
            assert!(!has("R3", FieldKind::NameKana, "山田"));
        }
    }
}

#[cfg(test)]
mod postal_town_tests {
    use crate::records::Row;
    use crate::{Bundle, BundleBuilder, FieldKind, SecretKey};

    #[test]
    fn each_postal_code_names_its_records_towns_and_survives_the_file() {
        let key = SecretKey::from_bytes([6; 32]);
        let mut b = BundleBuilder::new(&key);
        let row = |line: u64, id: &str, postal: &str, address: &str| Row {
            line,
            id: id.into(),
            fields: vec![
                (FieldKind::PostalCode, 0, postal.into()),
                (FieldKind::Address, 1, address.into()),
            ],
        };
        b.add_rows(vec![
            row(2, "R1", "660-0875", "兵庫県尼崎市南竹谷町2丁目8番2号"),
            row(3, "R2", "〒6600875", "尼崎市南竹谷町3-1-4"),
            // One postal code, two towns (a register's mistake, or a code shared by two).
            row(4, "R3", "660-0868", "西御園町15番5号"),
            row(5, "R4", "660-0868", "御園町1-2"),
            // A town without block numbers is no address to walk.
            row(6, "R5", "661-0022", "尾浜町"),
        ]);
        let (bundle, _) = b.finish().expect("bundle");
        let reopened =
            Bundle::from_bytes(&bundle.to_bytes(&key).expect("encode"), &key).expect("decode");
        for bundle in [&bundle, &reopened] {
            assert!(bundle.has_postal_towns());
            let h = bundle.hasher();
            let town = |t: &str| bundle.token_id(h.token(t)).expect("token");
            let towns = |postal: &str| {
                let mut v: Vec<u32> = bundle.postal_towns(postal).collect();
                v.sort_unstable();
                v
            };
            assert_eq!(towns("6600875"), vec![town("南竹谷町")]);
            let mut both = vec![town("西御園町"), town("御園町")];
            both.sort_unstable();
            assert_eq!(towns("6600868"), both);
            assert!(towns("6610022").is_empty());
            assert!(towns("6600051").is_empty());
            // The key is no token's fingerprint: a postal code is not in the vocabulary.
            assert_eq!(bundle.token_id(h.postal_town_key("6600875")), None);
        }
    }
}
