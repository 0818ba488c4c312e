//! Structures built once when a bundle is loaded: the trie over token ids, the table from its
//! nodes to records, the "may start a token" character bitmap and the token ids of block
//! numbers.
//!
//! The walk over following tokens is always anchored at a token found in the text, so it needs
//! a trie, not an Aho-Corasick automaton (whose failure links it never follows). The trie is
//! built straight from the bundle's per-record sequences with one hash-table insert per token:
//! no sort and no automaton compilation, which made up two thirds of the start-up time (see the
//! README's benchmark section for both figures).

use fingerprints::normalize::is_token_separator;
use fingerprints::{Bundle, FastDomain, FieldKind};

use crate::Error;

/// Block numbers (丁目, 番, 号) below this have a precomputed token id.
const NUMBER_IDS: u32 = 10_000;

/// No token id.
pub(crate) const NO_ID: u32 = u32::MAX;

/// A trie node's number.
type NodeId = u32;

/// A trie node reached by a walk: its number and where its entries are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Node {
    id: NodeId,
    /// Offset of the node's entries in [`Index::entries`], or [`NO_ENTRIES`]. It travels with
    /// the transition, so the many nodes only on the way to a sequence (a family name before the
    /// given name) are passed without a read, and a node's entries cost one cache miss.
    entries: u32,
}

/// A node where no sequence ends.
const NO_ENTRIES: u32 = u32::MAX;

/// A run of one kind's records in [`Index::entries`]: the kind in the top 8 bits, the count in
/// the low 24.
const RUN_LEN_BITS: u32 = 24;

/// The root: no token read yet.
const ROOT: NodeId = 0;
/// No node (in the root's direct table).
const NO_NODE: NodeId = u32::MAX;
/// The node of an empty slot of the transition table.
const EMPTY: NodeId = u32::MAX;

/// A slot of the transition table: `[node, token id, child, child's entries]`. They share a
/// slot (not parallel arrays) so that a step costs one cache miss, not two.
type Slot = [u32; 4];

/// Load-time index over a bundle's multi-token fields.
pub(crate) struct Index {
    /// The root's child for each token id, with the child's entries (a direct table: every
    /// walk starts there).
    root: Vec<[u32; 2]>,
    /// Transitions below the root, open addressing on `(node, id)`; node [`EMPTY`] if free.
    slots: Vec<Slot>,
    /// The entries of each node where sequences end, one block per node: the number of runs,
    /// one word per run (kind and count, see [`RUN_LEN_BITS`]), then the runs' record numbers
    /// (so a hit borrows its records). Runs are in kind order, records sorted.
    entries: Vec<u32>,
    /// Number of multi-token entries (sequence, kind, record).
    entry_count: usize,
    /// Number of distinct token sequences (nodes with entries).
    patterns: usize,
    /// Bit `c` set when a token may start with BMP character `c`.
    may_start: Vec<u64>,
    /// What pass 1 does at each ASCII character (see [`Index::ascii_class`]).
    ascii_class: [u8; 128],
    /// Token id of the decimal number `n` (or [`NO_ID`]).
    number_ids: Vec<u32>,
    /// Whether some record's reading is one token (stored without a space): names in Latin
    /// letters are then also looked up as one word (`Yamada Taro` as `yamadataro`).
    joined_readings: bool,
    /// Whether some record's name or reading is one token: pass 1 then steps over a space
    /// inside a token (`松本 菜々子` for `松本菜々子`).
    joined_names: bool,
    /// A bit per token id: the token is part of some record's name or reading (a town's name
    /// is usually not, and cannot corroborate one).
    name_tokens: Vec<u64>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("patterns", &self.patterns)
            .field("entries", &self.entry_count)
            .finish_non_exhaustive()
    }
}

/// [`Index::ascii_class`]: a digit (a digit cluster starts or goes on).
pub(crate) const ASCII_DIGIT: u8 = 1;
/// [`Index::ascii_class`]: `@` (an e-mail address around it).
pub(crate) const ASCII_AT: u8 = 2;
/// [`Index::ascii_class`]: a register token may start here.
const ASCII_TOKEN: u8 = 3;

/// The slot of `(node, id)` in an open-addressing table (a power of two long, never full):
/// where it is, or the empty slot where it would go.
#[inline]
fn probe(slots: &[Slot], node: NodeId, id: u32) -> usize {
    let mask = slots.len() - 1;
    let mut s = home_slot(slots, node, id);
    while slots[s][0] != EMPTY && (slots[s][0] != node || slots[s][1] != id) {
        s = (s + 1) & mask;
    }
    s
}

/// The slot where the search for `(node, id)` starts.
#[inline]
fn home_slot(slots: &[Slot], node: NodeId, id: u32) -> usize {
    let key = (u64::from(node) << 32) | u64::from(id);
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & (slots.len() - 1)
}

impl Index {
    /// A trie with nothing in it, for a vocabulary of `vocabulary` token ids.
    fn empty(vocabulary: usize) -> Index {
        Index {
            root: vec![[NO_NODE, NO_ENTRIES]; vocabulary],
            slots: vec![[EMPTY, 0, 0, NO_ENTRIES]; 1 << 12],
            entries: Vec::new(),
            entry_count: 0,
            patterns: 0,
            may_start: Vec::new(),
            ascii_class: [0; 128],
            number_ids: Vec::new(),
            joined_readings: false,
            joined_names: false,
            name_tokens: vec![0; vocabulary.div_ceil(64)],
        }
    }

    pub(crate) fn build(bundle: &Bundle) -> Result<Index, Error> {
        let fields = bundle.multi_token_fields();
        let total: usize = fields.iter().map(|m| m.len()).sum();
        // The bundle reader has checked every id against the vocabulary.
        let max_id = bundle.vocabulary_len();
        let mut index = Index::empty(max_id);
        let mut nodes: u32 = 1;
        // Pass 1: insert every sequence; remember the node each entry ends at.
        let mut ends: Vec<NodeId> = Vec::with_capacity(total);
        for m in fields {
            for i in 0..m.len() {
                let (_, ids) = m.entry(i);
                if ids.len() == 1 {
                    index.joined_readings |= m.kind == FieldKind::NameKana;
                    index.joined_names |= matches!(m.kind, FieldKind::Name | FieldKind::NameKana);
                }
                let name = matches!(m.kind, FieldKind::Name | FieldKind::NameKana);
                let mut node = ROOT;
                for &id in ids {
                    if name && let Some(w) = index.name_tokens.get_mut(id as usize / 64) {
                        *w |= 1 << (id % 64);
                    }
                    node = index.insert(node, id, &mut nodes);
                }
                ends.push(node);
            }
        }
        if nodes == NO_NODE {
            return Err(Error::Index(format!(
                "more than {} trie nodes",
                NO_NODE - 1
            )));
        }
        // Pass 2: a counting sort of the entries by end node, keeping their order (kind, then
        // record) within a node.
        let mut counts = vec![0u32; nodes as usize + 1];
        for &n in &ends {
            if n != ROOT {
                counts[n as usize + 1] += 1;
            }
        }
        index.patterns = counts.iter().filter(|&&c| c > 0).count();
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut fill = counts.clone();
        let total_entries = counts[nodes as usize] as usize;
        let mut entry_kinds = vec![FieldKind::Name; total_entries];
        let mut entry_records = vec![0u32; total_entries];
        let mut k = 0;
        for m in fields {
            for i in 0..m.len() {
                let n = ends[k] as usize;
                k += 1;
                if n != ROOT as usize {
                    entry_kinds[fill[n] as usize] = m.kind;
                    entry_records[fill[n] as usize] = m.entry_record[i];
                    fill[n] += 1;
                }
            }
        }
        // Pass 3: one block per node (runs by kind, then the records), and each transition
        // learns where its child's block is.
        let mut at = vec![NO_ENTRIES; nodes as usize];
        let mut entries: Vec<u32> = Vec::with_capacity(total_entries + 2 * index.patterns);
        for n in 0..nodes as usize {
            let (a, b) = (counts[n] as usize, counts[n + 1] as usize);
            if a == b {
                continue;
            }
            let block = entries.len();
            at[n] = u32::try_from(block)
                .ok()
                .filter(|&o| o != NO_ENTRIES)
                .ok_or_else(|| Error::Index("more than 2^32 entry words".into()))?;
            entries.push(0);
            let mut i = a;
            while i < b {
                let kind = entry_kinds[i];
                let j = i + entry_kinds[i..b].partition_point(|&k| k == kind);
                let len = u32::try_from(j - i)
                    .ok()
                    .filter(|&l| l < 1 << RUN_LEN_BITS)
                    .ok_or_else(|| {
                        Error::Index(format!(
                            "more than {} records share one value",
                            (1u32 << RUN_LEN_BITS) - 1
                        ))
                    })?;
                entries.push(((kind as u32) << RUN_LEN_BITS) | len);
                entries[block] += 1;
                i = j;
            }
            entries.extend_from_slice(&entry_records[a..b]);
        }
        for r in index.root.iter_mut().filter(|r| r[0] != NO_NODE) {
            r[1] = at[r[0] as usize];
        }
        for slot in index.slots.iter_mut().filter(|s| s[0] != EMPTY) {
            slot[3] = at[slot[2] as usize];
        }
        index.entries = entries;
        index.entry_count = total_entries;

        let hasher = bundle.hasher();
        let filter = bundle.filter();
        let base = hasher.fast_start(FastDomain::TokenPrefix);
        let mut may_start = vec![0u64; 0x1_0000 / 64];
        for u in 0..0x1_0000u32 {
            // No token starts with a separator: left out here, pass 1 need not ask.
            if let Some(c) = char::from_u32(u)
                && !c.is_ascii_digit()
                && !is_token_separator(c)
                && filter.contains(hasher.fast_step(base, c))
            {
                may_start[(u / 64) as usize] |= 1 << (u % 64);
            }
        }
        index.may_start = may_start;
        let mut ascii_class = [0; 128];
        for (u, class) in ascii_class.iter_mut().enumerate() {
            let c = char::from(u as u8);
            *class = if c.is_ascii_digit() {
                ASCII_DIGIT
            } else if c == '@' {
                ASCII_AT
            } else if index.may_start(c) {
                ASCII_TOKEN
            } else {
                0
            };
        }
        index.ascii_class = ascii_class;
        index.number_ids = (0..NUMBER_IDS)
            .map(|n| {
                bundle
                    .token_id(hasher.token(&n.to_string()))
                    .unwrap_or(NO_ID)
            })
            .collect();
        Ok(index)
    }

    /// The child of `node` by `id`, created if missing.
    fn insert(&mut self, node: NodeId, id: u32, nodes: &mut u32) -> NodeId {
        if node == ROOT {
            let slot = &mut self.root[id as usize][0];
            if *slot == NO_NODE {
                *slot = *nodes;
                *nodes = nodes.saturating_add(1);
            }
            return *slot;
        }
        // Nodes below the root are at least the occupied slots: keep the table under 5/8 full.
        if (*nodes as usize) * 8 > self.slots.len() * 5 {
            self.grow();
        }
        let s = probe(&self.slots, node, id);
        if self.slots[s][0] == EMPTY {
            self.slots[s] = [node, id, *nodes, NO_ENTRIES];
            *nodes = nodes.saturating_add(1);
        }
        self.slots[s][2]
    }

    /// What pass 1 does at ASCII character `c` (below 128): [`ASCII_DIGIT`], [`ASCII_AT`],
    /// [`ASCII_TOKEN`] (a token may start there and it is no separator) or 0 (nothing: most
    /// letters and punctuation of Latin text, answered with one load).
    #[inline]
    pub(crate) fn ascii_class(&self, c: u8) -> u8 {
        self.ascii_class[usize::from(c & 0x7F)]
    }

    /// Whether a token may start with `c` (false positives possible, no false negatives; never
    /// a separator, [`is_token_separator`]).
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

    /// Doubles the transition table.
    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![[EMPTY, 0, 0, NO_ENTRIES]; size]);
        for slot in old.into_iter().filter(|s| s[0] != EMPTY) {
            let s = probe(&self.slots, slot[0], slot[1]);
            self.slots[s] = slot;
        }
    }

    /// The root: where every walk starts.
    pub(crate) fn start(&self) -> Node {
        Node {
            id: ROOT,
            entries: NO_ENTRIES,
        }
    }

    /// Feeds one token id; `None` when no sequence continues this way, else the new node.
    #[inline]
    pub(crate) fn step(&self, node: Node, id: u32) -> Option<Node> {
        if node.id == ROOT {
            return self
                .root
                .get(id as usize)
                .filter(|r| r[0] != NO_NODE)
                .map(|r| Node {
                    id: r[0],
                    entries: r[1],
                });
        }
        let slot = self.slots[probe(&self.slots, node.id, id)];
        (slot[0] == node.id).then_some(Node {
            id: slot[2],
            entries: slot[3],
        })
    }

    /// The sequences that end exactly at `node`: one run of records per kind, in kind order.
    /// Reads the first trie slot [`Index::step`] from `node` by `id` would read, to bring it into
    /// the cache; no branch depends on the value.
    #[inline]
    pub(crate) fn touch_step(&self, node: Node, id: u32) -> u32 {
        if node.id == ROOT {
            return 0;
        }
        self.slots[home_slot(&self.slots, node.id, id)][0]
    }

    /// Reads the first word of `node`'s entry block (0 when it has none), to bring it into the
    /// cache ahead of [`Index::entries`].
    #[inline]
    pub(crate) fn touch_entries(&self, node: Node) -> u32 {
        self.entries
            .get(node.entries as usize)
            .copied()
            .unwrap_or(0)
    }

    #[inline]
    pub(crate) fn entries(&self, node: Node) -> impl Iterator<Item = (FieldKind, &[u32])> {
        let block: &[u32] = match self.entries.get(node.entries as usize..) {
            Some(b) if node.entries != NO_ENTRIES => b,
            _ => &[],
        };
        let runs = block.first().map_or(0, |&n| n as usize);
        let heads = block.get(1..1 + runs).unwrap_or_default();
        let mut next = 1 + runs;
        heads.iter().map(move |&h| {
            let kind = FieldKind::ALL
                .get((h >> RUN_LEN_BITS) as usize)
                .copied()
                .unwrap_or(FieldKind::Other);
            let len = (h & ((1 << RUN_LEN_BITS) - 1)) as usize;
            let records = block.get(next..next + len).unwrap_or_default();
            next += len;
            (kind, records)
        })
    }

    /// Heap bytes of the index.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.root.len() * 8
            + self.slots.len() * 16
            + self.entries.len() * 4
            + self.may_start.len() * 8
            + self.number_ids.len() * 4
            + self.name_tokens.len() * 8
    }

    /// Whether some record's reading is one token (see [`Index`]'s field of that name).
    pub(crate) fn joined_readings(&self) -> bool {
        self.joined_readings
    }

    /// Whether some record's name or reading is one token (see [`Index`]'s field of that
    /// name).
    pub(crate) fn joined_names(&self) -> bool {
        self.joined_names
    }

    /// Whether token `id` is part of some record's name or reading.
    #[inline]
    pub(crate) fn in_names(&self, id: u32) -> bool {
        self.name_tokens
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Number of distinct token-id sequences.
    pub(crate) fn patterns(&self) -> usize {
        self.patterns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trie_keeps_every_sequence_across_growth() {
        let mut index = Index::empty(1000);
        let mut nodes = 1;
        // 20,000 three-token sequences: the transition table grows several times.
        let seq = |i: u32| [i % 1000, (i / 7) % 1000, i / 3];
        let ends: Vec<NodeId> = (0..20_000)
            .map(|i| {
                seq(i)
                    .iter()
                    .fold(ROOT, |n, &id| index.insert(n, id, &mut nodes))
            })
            .collect();
        assert!(index.slots.len() > 1 << 12);
        for (i, &end) in (0..20_000).zip(&ends) {
            let walked = seq(i)
                .iter()
                .try_fold(index.start(), |n, &id| index.step(n, id));
            assert_eq!(walked.map(|n| n.id), Some(end), "sequence {i}");
        }
        // Inserting again creates nothing; unknown continuations are absent.
        let before = nodes;
        assert_eq!(
            seq(5)
                .iter()
                .fold(ROOT, |n, &id| index.insert(n, id, &mut nodes)),
            ends[5]
        );
        assert_eq!(nodes, before);
        let node = |id| Node {
            id,
            entries: NO_ENTRIES,
        };
        assert_eq!(index.step(node(ends[5]), 999_999), None);
        assert_eq!(index.step(index.start(), 5_000), None);
    }
}
