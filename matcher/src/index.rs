//! Structures built once when a bundle is loaded: the Aho-Corasick automaton over token ids,
//! the table from its patterns to records, the "may start a token" character bitmap and the
//! token ids of block numbers.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous;
use aho_corasick::{Anchored, MatchKind, PatternID};
use fingerprints::{Bundle, FastDomain, FieldKind};
use rayon::prelude::*;

use crate::Error;

/// Block numbers (丁目, 番, 号) below this have a precomputed token id.
const NUMBER_IDS: u32 = 10_000;

/// No token id.
pub(crate) const NO_ID: u32 = u32::MAX;

/// Load-time index over a bundle's multi-token fields.
pub(crate) struct Index {
    /// Anchored automaton over the token-id alphabet (1–5 bytes an id, see [`id_bytes`]).
    ac: contiguous::NFA,
    start: StateID,
    /// Pattern `p`'s entries are `entries[pattern_entries[p]..pattern_entries[p + 1]]`.
    pattern_entries: Vec<u32>,
    /// (kind, record number) of every multi-token entry, grouped by pattern.
    entries: Vec<(FieldKind, u32)>,
    /// Bit `c` set when a token may start with BMP character `c`.
    may_start: Vec<u64>,
    /// Token id of the decimal number `n` (or [`NO_ID`]).
    number_ids: Vec<u32>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("patterns", &self.ac.patterns_len())
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// Writes a token id in 1 to 5 bytes. The first byte has its high bit set and tells the length
/// (`10xxxxxx` one byte, `110xxxxx` two, `1110xxxx` three, `11110xxx` four, `11111xxx` five);
/// the continuation bytes carry 7 bits each with the high bit clear. So a pattern can only match
/// on id boundaries, and the vocabulary's frequency order (id 0 = the commonest token) keeps the
/// automaton shallow: the ids below 4,096 take at most two bytes.
pub(crate) fn id_bytes(id: u32) -> ([u8; 5], usize) {
    let c = |shift: u32| ((id >> shift) & 0x7F) as u8;
    if id < 1 << 6 {
        ([0x80 | id as u8, 0, 0, 0, 0], 1)
    } else if id < 1 << 12 {
        ([0xC0 | (id >> 7) as u8, c(0), 0, 0, 0], 2)
    } else if id < 1 << 18 {
        ([0xE0 | (id >> 14) as u8, c(7), c(0), 0, 0], 3)
    } else if id < 1 << 24 {
        ([0xF0 | (id >> 21) as u8, c(14), c(7), c(0), 0], 4)
    } else {
        (
            [0xF8 | ((id >> 28) & 0x07) as u8, c(21), c(14), c(7), c(0)],
            5,
        )
    }
}

impl Index {
    pub(crate) fn build(bundle: &Bundle) -> Result<Index, Error> {
        // Every entry of every multi-token kind, sorted by token-id sequence so equal sequences
        // become one pattern.
        let mut all: Vec<(&[u32], FieldKind, u32)> = bundle
            .multi_token_fields()
            .iter()
            .flat_map(|m| {
                (0..m.len()).map(move |i| {
                    let (rec, ids) = m.entry(i);
                    (ids, m.kind, rec)
                })
            })
            .filter(|(ids, _, _)| !ids.is_empty())
            .collect();
        all.par_sort_unstable();
        let mut bytes: Vec<u8> = Vec::new();
        let mut pattern_bytes: Vec<usize> = vec![0];
        let mut pattern_entries: Vec<u32> = vec![0];
        let mut entries: Vec<(FieldKind, u32)> = Vec::with_capacity(all.len());
        for (i, (ids, kind, rec)) in all.iter().enumerate() {
            if i > 0 && all[i - 1].0 != *ids {
                pattern_bytes.push(bytes.len());
                pattern_entries.push(entries.len() as u32);
            }
            if i == 0 || all[i - 1].0 != *ids {
                for &id in *ids {
                    let (b, n) = id_bytes(id);
                    bytes.extend_from_slice(&b[..n]);
                }
            }
            entries.push((*kind, *rec));
        }
        if !all.is_empty() {
            pattern_bytes.push(bytes.len());
            pattern_entries.push(entries.len() as u32);
        }
        drop(all);
        let patterns = pattern_bytes.windows(2).map(|w| &bytes[w[0]..w[1]]);
        let ac = contiguous::Builder::new()
            .match_kind(MatchKind::Standard)
            .byte_classes(true)
            .prefilter(false)
            .build(patterns)
            .map_err(|e| Error::Automaton(e.to_string()))?;
        let start = ac
            .start_state(Anchored::Yes)
            .map_err(|e| Error::Automaton(e.to_string()))?;

        let hasher = bundle.hasher();
        let filter = bundle.filter();
        let base = hasher.fast_start(FastDomain::TokenPrefix);
        let mut may_start = vec![0u64; 0x1_0000 / 64];
        for u in 0..0x1_0000u32 {
            if let Some(c) = char::from_u32(u)
                && !c.is_ascii_digit()
                && filter.contains(hasher.fast_step(base, c))
            {
                may_start[(u / 64) as usize] |= 1 << (u % 64);
            }
        }
        let number_ids = (0..NUMBER_IDS)
            .map(|n| {
                bundle
                    .token_id(hasher.token(&n.to_string()))
                    .unwrap_or(NO_ID)
            })
            .collect();
        Ok(Index {
            ac,
            start,
            pattern_entries,
            entries,
            may_start,
            number_ids,
        })
    }

    /// Whether a token may start with `c` (false positives possible, no false negatives).
    #[inline]
    pub(crate) fn may_start(&self, c: char) -> bool {
        let u = c as u32;
        match self.may_start.get((u / 64) as usize) {
            Some(w) => w & (1 << (u % 64)) != 0,
            None => true, // astral: test with the filter directly
        }
    }

    /// The token id of block number `n`, if some address uses it.
    pub(crate) fn number_id(&self, n: u32, bundle: &Bundle) -> Option<u32> {
        let id = match self.number_ids.get(n as usize) {
            Some(&id) => id,
            None => bundle
                .token_id(bundle.hasher().token(&n.to_string()))
                .unwrap_or(NO_ID),
        };
        (id != NO_ID).then_some(id)
    }

    /// The anchored start state.
    pub(crate) fn start(&self) -> StateID {
        self.start
    }

    /// Feeds one token id; `None` when no pattern continues this way, else the new state and
    /// the number of bytes the id took.
    #[inline]
    pub(crate) fn step(&self, mut sid: StateID, id: u32) -> Option<(StateID, usize)> {
        let (bytes, n) = id_bytes(id);
        for &b in &bytes[..n] {
            sid = self.ac.next_state(Anchored::Yes, sid, b);
            if self.ac.is_dead(sid) {
                return None;
            }
        }
        Some((sid, n))
    }

    /// The patterns that end exactly at `sid` after `depth_bytes` bytes from the start.
    pub(crate) fn matches(
        &self,
        sid: StateID,
        depth_bytes: usize,
    ) -> impl Iterator<Item = PatternID> + '_ {
        let n = if self.ac.is_match(sid) {
            self.ac.match_len(sid)
        } else {
            0
        };
        (0..n)
            .map(move |i| self.ac.match_pattern(sid, i))
            .filter(move |&p| self.ac.pattern_len(p) == depth_bytes)
    }

    /// The (kind, record) entries of pattern `p`.
    pub(crate) fn entries(&self, p: PatternID) -> &[(FieldKind, u32)] {
        let i = p.as_usize();
        let (a, b) = (
            self.pattern_entries[i] as usize,
            self.pattern_entries[i + 1] as usize,
        );
        &self.entries[a..b]
    }

    /// Heap bytes of the index.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.ac.memory_usage()
            + self.pattern_entries.len() * 4
            + self.entries.len() * 8
            + self.may_start.len() * 8
            + self.number_ids.len() * 4
    }

    /// Number of distinct token-id sequences.
    pub(crate) fn patterns(&self) -> usize {
        self.ac.patterns_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_encoding_is_prefix_free_and_marks_boundaries() {
        let ids = [
            0,
            1,
            63,
            64,
            4095,
            4096,
            (1 << 18) - 1,
            1 << 18,
            (1 << 24) - 1,
            1 << 24,
            u32::MAX >> 1,
        ];
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            let (b, n) = id_bytes(id);
            assert!(b[0] & 0x80 != 0, "{id}");
            assert!(b[1..n].iter().all(|c| c & 0x80 == 0), "{id}");
            let want = match b[0] {
                0x80..=0xBF => 1,
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 5,
            };
            assert_eq!(n, want, "{id}");
            assert!(seen.insert(b[..n].to_vec()), "{id} collides");
        }
    }
}
