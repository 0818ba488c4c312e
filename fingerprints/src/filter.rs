//! The bundle's two Bloom filters, both blocked so that a lookup touches one cache line.
//!
//! - [`TokenFilter`], the hot-path filter: one 64-bit word per probe, three bits in it: a lookup
//!   is one multiply, one memory access and a mask compare. The matcher asks it for every
//!   substring it considers, so it must answer "no" in a few nanoseconds; a "yes" is confirmed
//!   with an exact keyed fingerprint.
//! - [`CorroboratorFilter`]: record-scoped fingerprints at a false-positive rate of about 1e-6,
//!   asked only around a hit. [`CORROBORATOR_PROBES`] bits in one 512-bit block, placed by a
//!   per-bundle salt: one cache miss a lookup where a classic Bloom filter at that rate probes
//!   20 scattered words.

/// A blocked Bloom filter over `u64` fingerprints.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenFilter {
    words: Vec<u64>,
    shift: u32,
}

impl std::fmt::Debug for TokenFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenFilter({} words)", self.words.len())
    }
}

/// A 64-bit finalizer (MurmurHash3's): every input bit moves every output bit.
#[inline]
pub(crate) fn mix(h: u64) -> u64 {
    let mut x = h ^ (h >> 33);
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl TokenFilter {
    /// An empty filter sized for `items` insertions at about `bits_per_item` bits each
    /// (rounded up to a power-of-two number of words).
    pub fn with_capacity(items: usize, bits_per_item: usize) -> TokenFilter {
        let words = (items.max(1) * bits_per_item)
            .div_ceil(64)
            .next_power_of_two()
            .max(1);
        TokenFilter::from_words(vec![0; words]).unwrap_or_else(|| TokenFilter {
            words: vec![0],
            shift: 64,
        })
    }

    /// Rebuilds a filter from its words; `None` unless the count is a power of two.
    pub fn from_words(words: Vec<u64>) -> Option<TokenFilter> {
        if !words.len().is_power_of_two() {
            return None;
        }
        let shift = 64 - words.len().trailing_zeros();
        Some(TokenFilter { words, shift })
    }

    /// The filter's words (for serialization).
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    #[inline]
    fn slot(&self, fp: u64) -> (usize, u64) {
        let m = mix(fp);
        let idx = if self.shift >= 64 {
            0
        } else {
            (m >> self.shift) as usize
        };
        let pattern = (1u64 << (m & 63)) | (1u64 << ((m >> 6) & 63)) | (1u64 << ((m >> 12) & 63));
        (idx, pattern)
    }

    /// Reads the word [`TokenFilter::contains`] would read for `fp` and returns it: a lookup
    /// ahead of time, so that many can wait for memory together (no branch depends on it).
    #[inline]
    pub fn touch(&self, fp: u64) -> u64 {
        self.words.get(self.slot(fp).0).copied().unwrap_or(0)
    }

    /// Adds a fingerprint.
    pub fn insert(&mut self, fp: u64) {
        let (i, p) = self.slot(fp);
        self.words[i] |= p;
    }

    /// True if `fp` may have been inserted; false means it certainly was not.
    #[inline]
    pub fn contains(&self, fp: u64) -> bool {
        let (i, p) = self.slot(fp);
        self.words.get(i).is_some_and(|w| w & p == p)
    }

    /// Heap bytes used.
    pub fn size_bytes(&self) -> usize {
        self.words.len() * 8
    }
}

/// Bits set per item in a [`CorroboratorFilter`] block.
pub const CORROBORATOR_PROBES: u32 = 17;
/// Bits per item of a [`CorroboratorFilter`]: with [`CORROBORATOR_PROBES`] bits in a 512-bit
/// block, a false-positive rate of about 7e-7 (a classic Bloom filter needs 29 bits for 1e-6,
/// but probes 20 words).
pub const CORROBORATOR_BITS_PER_ITEM: usize = 40;
/// Words of a [`CorroboratorFilter`] block (512 bits, one cache line).
const BLOCK_WORDS: usize = 8;

/// A blocked Bloom filter of record-scoped `u64` fingerprints, salted per bundle.
#[derive(Clone, PartialEq, Eq)]
pub struct CorroboratorFilter {
    salt: u64,
    words: Vec<u64>,
}

impl std::fmt::Debug for CorroboratorFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CorroboratorFilter({} blocks)", self.blocks())
    }
}

impl CorroboratorFilter {
    /// An empty filter for `items` insertions at [`CORROBORATOR_BITS_PER_ITEM`] bits each,
    /// with `salt` deciding where each item's bits go.
    pub fn with_capacity(items: usize, salt: u64) -> CorroboratorFilter {
        let blocks = (items.max(1) * CORROBORATOR_BITS_PER_ITEM).div_ceil(BLOCK_WORDS * 64);
        CorroboratorFilter {
            salt,
            words: vec![0; blocks * BLOCK_WORDS],
        }
    }

    /// Rebuilds a filter from its salt and words; `None` unless the words are a positive
    /// number of whole blocks (fewer than 2^32).
    pub fn from_parts(salt: u64, words: Vec<u64>) -> Option<CorroboratorFilter> {
        let blocks = words.len() / BLOCK_WORDS;
        (blocks > 0 && words.len().is_multiple_of(BLOCK_WORDS) && u32::try_from(blocks).is_ok())
            .then_some(CorroboratorFilter { salt, words })
    }

    /// The salt (for serialization).
    pub fn salt(&self) -> u64 {
        self.salt
    }

    /// The filter's words (for serialization).
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    fn blocks(&self) -> usize {
        self.words.len() / BLOCK_WORDS
    }

    /// The first word of `fp`'s block, and the mask of its bits in each word of the block.
    #[inline]
    fn slot(&self, fp: u64) -> (usize, [u64; BLOCK_WORDS]) {
        let m1 = mix(fp ^ self.salt);
        (self.base(m1), masks(m1))
    }

    /// The first word of the block that `m1` (the first mix of a fingerprint) picks:
    /// multiply-shift onto any block count (no power-of-two rounding of the size).
    #[inline]
    fn base(&self, m1: u64) -> usize {
        (((m1 >> 32) * self.blocks() as u64) >> 32) as usize * BLOCK_WORDS
    }

    /// Adds a fingerprint.
    pub fn insert(&mut self, fp: u64) {
        let (base, masks) = self.slot(fp);
        for (w, m) in self.words[base..base + BLOCK_WORDS].iter_mut().zip(masks) {
            *w |= m;
        }
    }

    /// True if `fp` may have been inserted; false means it certainly was not.
    ///
    /// Most lookups are of fingerprints that were not inserted (a namesake's other fields), and
    /// in a filter about half full each bit rejects half of them: the block's first three bits
    /// are tested before the other fourteen are even computed.
    #[inline]
    pub fn contains(&self, fp: u64) -> bool {
        let m1 = mix(fp ^ self.salt);
        let base = self.base(m1);
        let Some(words) = self.words.get(base..base + BLOCK_WORDS) else {
            return false;
        };
        let first = (0..3).all(|i| {
            let bit = (m1 >> (9 * i)) & 511;
            words[(bit >> 6) as usize] & (1 << (bit & 63)) != 0
        });
        first && words.iter().zip(masks(m1)).all(|(w, m)| w & m == m)
    }

    /// Reads the first word [`CorroboratorFilter::contains`] would read for `fp` and returns
    /// it: a lookup ahead of time, so that several can wait for memory together (no branch
    /// depends on it).
    #[inline]
    pub fn touch(&self, fp: u64) -> u64 {
        let m1 = mix(fp ^ self.salt);
        let first_bit = m1 & 511;
        self.words
            .get(self.base(m1) + (first_bit >> 6) as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Heap bytes used.
    pub fn size_bytes(&self) -> usize {
        self.words.len() * 8
    }
}

/// The mask of a fingerprint's 17 bits in each word of its block, from `m1`, its first mix.
///
/// Every bit position takes 9 fresh hash bits (three 64-bit mixes give the block and all 17):
/// positions derived by double hashing (`h1 + i·h2`) form progressions that overlap other
/// items' progressions in a 512-bit block, which measured 400 times the rate. The first three
/// come from `m1`'s low 27 bits, which [`CorroboratorFilter::contains`] tests on their own.
#[inline]
fn masks(m1: u64) -> [u64; BLOCK_WORDS] {
    let m2 = mix(m1 ^ 0x9E37_79B9_7F4A_7C15);
    let m3 = mix(m2 ^ 0x9E37_79B9_7F4A_7C15);
    let mut masks = [0u64; BLOCK_WORDS];
    let mut set = |bits: u64, n: u32| {
        for i in 0..n {
            let bit = (bits >> (9 * i)) & 511;
            masks[(bit >> 6) as usize] |= 1 << (bit & 63);
        }
    };
    const _: () = assert!(3 + 7 + 7 == CORROBORATOR_PROBES);
    set(m1 & 0xFFFF_FFFF, 3);
    set(m2, 7);
    set(m3, 7);
    masks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corroborator_filter_has_no_false_negatives_and_about_1e_6_false_positives() {
        let items = 100_000u64;
        let mut f = CorroboratorFilter::with_capacity(items as usize, 0x5eed);
        let member = |i: u64| mix(i ^ 0xabcd);
        for i in 0..items {
            f.insert(member(i));
        }
        assert!((0..items).all(|i| f.contains(member(i))));
        // 2 M non-members: about 1.4 false positives expected at 7e-7.
        let fp = (items..items + 2_000_000)
            .filter(|&i| f.contains(member(i)))
            .count();
        assert!(fp <= 12, "{fp} false positives in 2,000,000");
        // The salt moves every item: the same fingerprints in another bundle set other bits.
        let mut g = CorroboratorFilter::with_capacity(items as usize, 0x5eee);
        for i in 0..items {
            g.insert(member(i));
        }
        assert_ne!(f.words(), g.words());
    }

    #[test]
    fn corroborator_filter_parts_roundtrip_and_sizes_are_checked() {
        let mut f = CorroboratorFilter::with_capacity(10, 7);
        f.insert(42);
        let g = CorroboratorFilter::from_parts(f.salt(), f.words().to_vec()).unwrap();
        assert_eq!(f, g);
        assert!(g.contains(42));
        assert!(CorroboratorFilter::from_parts(7, vec![]).is_none());
        assert!(CorroboratorFilter::from_parts(7, vec![0; 9]).is_none());
        // 1,000 items at 40 bits: 79 blocks of 64 bytes.
        assert_eq!(
            CorroboratorFilter::with_capacity(1000, 0).size_bytes(),
            79 * 64
        );
    }

    #[test]
    fn no_false_negatives_and_low_fp() {
        let mut f = TokenFilter::with_capacity(10_000, 16);
        for i in 0..10_000u64 {
            f.insert(i.wrapping_mul(0x1234_5678_9abc_def1));
        }
        assert!((0..10_000u64).all(|i| f.contains(i.wrapping_mul(0x1234_5678_9abc_def1))));
        let fp = (0..100_000u64)
            .filter(|i| f.contains(i.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 7))
            .count();
        assert!(fp < 2_000, "false positive rate too high: {fp}/100000");
    }

    #[test]
    fn from_words_needs_power_of_two() {
        assert!(TokenFilter::from_words(vec![0; 3]).is_none());
        assert!(TokenFilter::from_words(vec![0; 4]).is_some());
    }
}
