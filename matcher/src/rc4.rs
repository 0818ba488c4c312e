//! RC4, the stream cipher of PDF files' older encryption (revisions 2 to 4) and of Word and
//! Excel 97–2003 files encrypted with a password.

/// RC4's state: a keystream, XORed into data as it goes.
pub(crate) struct Rc4 {
    s: [u8; 256],
    i: u8,
    j: u8,
}

impl Rc4 {
    /// The state `key` sets up (an empty key as a key of one zero byte).
    pub(crate) fn new(key: &[u8]) -> Rc4 {
        let mut s: [u8; 256] = std::array::from_fn(|i| i as u8);
        let mut j = 0u8;
        for i in 0..256 {
            let k = key.get(i % key.len().max(1)).copied().unwrap_or(0);
            j = j.wrapping_add(s[i]).wrapping_add(k);
            s.swap(i, usize::from(j));
        }
        Rc4 { s, i: 0, j: 0 }
    }

    /// XORs the next bytes of the keystream into `data` (encrypts or decrypts it).
    pub(crate) fn apply(&mut self, data: &mut [u8]) {
        for b in data {
            self.i = self.i.wrapping_add(1);
            self.j = self.j.wrapping_add(self.s[usize::from(self.i)]);
            self.s.swap(usize::from(self.i), usize::from(self.j));
            let at = self.s[usize::from(self.i)].wrapping_add(self.s[usize::from(self.j)]);
            *b ^= self.s[usize::from(at)];
        }
    }
}

/// `data` encrypted (or decrypted) with `key`; with an empty key, as it is (a PDF file's
/// key is never empty).
pub(crate) fn rc4(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if !key.is_empty() {
        Rc4::new(key).apply(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc4_test_vectors() {
        // RFC 6229's first vector (key 0x0102030405), and the classic `Key`/`Plaintext`.
        assert_eq!(
            rc4(&[1, 2, 3, 4, 5], &[0; 8]),
            [0xb2, 0x39, 0x63, 0x05, 0xf0, 0x3d, 0xc0, 0x27]
        );
        assert_eq!(
            rc4(b"Key", b"Plaintext"),
            [0xBB, 0xF3, 0x16, 0xE8, 0xD9, 0x40, 0xAF, 0x0A, 0xD3]
        );
        assert_eq!(rc4(b"Key", &rc4(b"Key", b"round trip")), b"round trip");
        // The keystream goes on across calls.
        let mut state = Rc4::new(b"Key");
        let (mut a, mut b) = (*b"Plain", *b"text");
        state.apply(&mut a);
        state.apply(&mut b);
        assert_eq!([&a[..], &b[..]].concat(), rc4(b"Key", b"Plaintext"));
    }
}
