//! The encryption header of CryptoAPI's encryptions ([MS-OFFCRYPTO] 2.3.2 to 2.3.4.5): what a
//! Word or Excel 97–2003 file encrypted with RC4 CryptoAPI ([`super::binary`]) and an Office
//! 2007 file in the "standard" AES encryption ([`super::office`]) both begin their encryption
//! information with. Read here once for both.

use crate::cfb::{u16_at, u32_at};

/// `fAES` of the header's flags: the cipher is AES (standard encryption), not RC4.
pub(crate) const AES: u32 = 0x20;

/// `fExternal`: the encryption is an extensible one, whose header names another provider.
const EXTERNAL: u32 = 0x10;

/// What a CryptoAPI encryption header says: its algorithms, the key's size, the salt, and the
/// verifier with its hash, both encrypted.
pub(crate) struct CryptoApiHeader<'a> {
    /// The flags of `EncryptionHeader` (the same as the version's flags in files Office
    /// writes).
    pub(crate) flags: u32,
    /// The cipher's `AlgID`: 0x6801 RC4, 0x660E to 0x6610 AES-128 to AES-256, or 0 for the
    /// flags' default.
    pub(crate) alg: u32,
    /// The hash's `AlgIDHash`: 0x8004 SHA-1, or 0 for the default (SHA-1).
    pub(crate) hash: u32,
    /// The key's size in bits (0 for the cipher's default).
    pub(crate) bits: u32,
    /// The verifier's salt (16 bytes).
    pub(crate) salt: [u8; 16],
    /// The random verifier, encrypted.
    pub(crate) verifier: [u8; 16],
    /// The verifier hash's size in bytes (20, SHA-1's).
    pub(crate) hash_size: usize,
    /// The bytes from the verifier's hash on, encrypted: 20 for RC4, 32 for AES (the hash
    /// padded to whole blocks); whatever follows comes too.
    pub(crate) verifier_hash: &'a [u8],
}

impl<'a> CryptoApiHeader<'a> {
    /// The header of `info` (its `EncryptionVersionInfo` first): `None` unless its version is
    /// 2, 3 or 4 .2, it is not an extensible encryption, and it is whole up to the verifier's
    /// hash.
    pub(crate) fn read(info: &'a [u8]) -> Option<CryptoApiHeader<'a>> {
        let (major, minor) = (u16_at(info, 0)?, u16_at(info, 2)?);
        if !matches!(major, 2..=4) || minor != 2 || u32_at(info, 4)? & EXTERNAL != 0 {
            return None;
        }
        // The header's size, the header (flags, size extra, the algorithm, the hash, the key's
        // size in bits, the provider, two reserved words, the provider's name), then the
        // verifier (the salt's size, the salt, the verifier, the hash's size, the hash).
        let size = usize::try_from(u32_at(info, 8)?).ok()?;
        let h = info.get(12..12usize.checked_add(size)?)?;
        let v = 12 + size;
        if u32_at(info, v)? != 16 {
            return None;
        }
        let array16 = |at: usize| -> Option<[u8; 16]> { info.get(at..at + 16)?.try_into().ok() };
        Some(CryptoApiHeader {
            flags: u32_at(h, 0)?,
            alg: u32_at(h, 8)?,
            hash: u32_at(h, 12)?,
            bits: u32_at(h, 16)?,
            salt: array16(v + 4)?,
            verifier: array16(v + 20)?,
            hash_size: usize::try_from(u32_at(info, v + 36)?).ok()?,
            verifier_hash: info.get(v + 40..)?,
        })
    }

    /// Whether the hash is SHA-1, the only one these encryptions use.
    pub(crate) fn sha1(&self) -> bool {
        matches!(self.hash, 0 | 0x8004) && self.hash_size == 20
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header of version `major`.2 with `flags`, `alg` and `bits`, and `tail` bytes after
    /// the verifier's hash size.
    fn header(major: u16, flags: u32, alg: u32, bits: u32, tail: usize) -> Vec<u8> {
        let mut h: Vec<u8> = [flags, 0, alg, 0x8004, bits, 0x18, 0, 0]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        h.extend("CSP\0".encode_utf16().flat_map(u16::to_le_bytes));
        let mut info = Vec::new();
        info.extend(major.to_le_bytes());
        info.extend(2u16.to_le_bytes());
        info.extend(flags.to_le_bytes());
        info.extend((h.len() as u32).to_le_bytes());
        info.extend(h);
        info.extend(16u32.to_le_bytes());
        info.extend([1; 16]);
        info.extend([2; 16]);
        info.extend(20u32.to_le_bytes());
        info.extend(vec![3; tail]);
        info
    }

    #[test]
    fn headers_are_read_with_their_fields_and_refused_cut_or_of_another_kind() {
        let info = header(4, 0x24, 0x660E, 128, 32);
        let h = CryptoApiHeader::read(&info).expect("a header");
        assert_eq!(
            (h.flags, h.alg, h.hash, h.bits),
            (0x24, 0x660E, 0x8004, 128)
        );
        assert_eq!((h.salt, h.verifier), ([1; 16], [2; 16]));
        assert!(h.sha1());
        assert_eq!(h.verifier_hash, [3; 32]);
        for major in [2, 3] {
            assert!(CryptoApiHeader::read(&header(major, 0x04, 0x6801, 40, 20)).is_some());
        }
        // Cut anywhere before the verifier's hash.
        for cut in 0..info.len() - 32 {
            assert!(CryptoApiHeader::read(&info[..cut]).is_none(), "{cut}");
        }
        // Another version, the agile one, or an extensible encryption.
        let mut other = info.clone();
        other[2] = 4;
        assert!(CryptoApiHeader::read(&other).is_none());
        assert!(CryptoApiHeader::read(&header(1, 0x24, 0x660E, 128, 32)).is_none());
        assert!(CryptoApiHeader::read(&header(3, 0x34, 0x660E, 128, 32)).is_none());
        // A salt of another size.
        let mut salt = info;
        let v = 12 + u32_at(&salt, 8).unwrap() as usize;
        salt[v] = 8;
        assert!(CryptoApiHeader::read(&salt).is_none());
    }
}
