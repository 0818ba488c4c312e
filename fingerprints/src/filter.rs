//! The hot-path filter: a register-blocked Bloom filter over fast fingerprints.
//!
//! One 64-bit word per probe, three bits in it: a lookup is one multiply, one memory access and
//! a mask compare. The matcher asks it for every substring it considers, so it must answer "no"
//! in a few nanoseconds; a "yes" is confirmed with an exact keyed fingerprint.

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

#[inline]
fn mix(h: u64) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

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
