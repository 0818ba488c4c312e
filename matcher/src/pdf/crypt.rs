//! PDF files encrypted by the standard security handler (ISO 32000-1, 7.6; ISO 32000-2,
//! 7.6.4). Writers encrypt a file so to set its permissions (no copying, no printing) while
//! anyone may open it: an empty user password and an owner password only the author knows.
//! Every viewer opens such a file without asking, so a leak of one is as readable as a leak
//! of a plain file; its strings and streams are ciphertext to a reader that does not decrypt
//! them. A file that does need a password to be opened (a list mailed with its password in the
//! next mail) is opened by the user or the owner password ([`Lock::open`]), when one is known.
//!
//! Read: RC4 of 40 to 128 bits (revisions 2 and 3, and 4 with `/V2`), AES-128 (revision 4 with
//! `/AESV2`) and AES-256 (revision 5, Adobe's extension, and revision 6, PDF 2.0). A password
//! is checked against `/U` (or `/O`) as a viewer checks it.

use aes::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use aes::{Aes128, Aes256};
use md5::Digest as _;
use sha2::Digest as _;

use super::syntax::Obj;
use crate::rc4::rc4;
use crate::unlock::cbc_decrypt;

/// The 32 bytes a password is padded with (Algorithm 2, step a).
const PADDING: [u8; 32] = [
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
];

/// A password's bytes hashed by revisions 5 and 6, at most (ISO 32000-2, 7.6.4.3.3).
const MAX_PASSWORD_BYTES: usize = 127;

/// How strings or streams are encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// Not at all (the crypt filter `/Identity`, or `/CFM /None`).
    Identity,
    /// RC4 with a key made for each object.
    Rc4,
    /// AES-128 in CBC mode, the IV first, with a key made for each object.
    Aes128,
    /// AES-256 in CBC mode, the IV first, with the file's key.
    Aes256,
}

/// An encrypted file's key and methods, once a password opened it.
pub(crate) struct Crypt {
    key: Vec<u8>,
    strings: Method,
    streams: Method,
}

impl std::fmt::Debug for Crypt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crypt")
            .field("key", &format_args!("{} bytes", self.key.len()))
            .field("strings", &self.strings)
            .field("streams", &self.streams)
            .finish()
    }
}

/// What the standard security handler of a file checks a password against: its encryption
/// dictionary's `/O`, `/U` (and `/OE`, `/UE`), as read, with the file's first `/ID`.
#[derive(Clone)]
pub(crate) struct Lock {
    revision: i64,
    o: Vec<u8>,
    u: Vec<u8>,
    oe: Vec<u8>,
    ue: Vec<u8>,
    permissions: i32,
    id: Vec<u8>,
    /// The RC4 or AES-128 key's length in bytes (revisions 2 to 4).
    length: usize,
    encrypt_metadata: bool,
    strings: Method,
    streams: Method,
}

impl std::fmt::Debug for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lock")
            .field("revision", &self.revision)
            .field("strings", &self.strings)
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}

impl Lock {
    /// The lock of a file whose encryption dictionary is `dict` (references resolved through
    /// `resolve`) and whose first `/ID` is `id`: `None` for another security handler (a
    /// certificate's), or a version or revision not read.
    pub(crate) fn read<'o>(
        dict: &'o Obj,
        id: &[u8],
        resolve: &dyn Fn(&'o Obj) -> &'o Obj,
    ) -> Option<Lock> {
        let get = |key: &[u8]| dict.get(key).map(resolve);
        let int = |key: &[u8]| get(key).and_then(Obj::num).map(|n| n as i64);
        let bytes = |key: &[u8]| match get(key) {
            Some(Obj::Str(s)) => Some(s.clone()),
            _ => None,
        };
        if get(b"Filter").and_then(Obj::name) != Some(b"Standard") {
            return None;
        }
        let version = int(b"V").unwrap_or(0);
        let revision = int(b"R")?;
        let (o, u) = (bytes(b"O")?, bytes(b"U")?);
        // `/P` is a signed 32-bit integer, hashed as its four bytes.
        let permissions = int(b"P").unwrap_or(0) as i32;
        let encrypt_metadata = !matches!(get(b"EncryptMetadata"), Some(Obj::Bool(false)));
        // Version 4 and 5 name a crypt filter for strings and one for streams.
        let filter = |key: &[u8]| -> Option<(Method, Option<i64>)> {
            let name = get(key).and_then(Obj::name).unwrap_or(b"Identity");
            if name == b"Identity" {
                return Some((Method::Identity, None));
            }
            let cf = resolve(get(b"CF")?.get(name)?);
            let method = match cf.get(b"CFM").map(resolve).and_then(Obj::name) {
                None | Some(b"None") => Method::Identity,
                Some(b"V2") => Method::Rc4,
                Some(b"AESV2") => Method::Aes128,
                Some(b"AESV3") => Method::Aes256,
                Some(_) => return None,
            };
            let length = cf
                .get(b"Length")
                .map(resolve)
                .and_then(Obj::num)
                .map(|n| n as i64);
            Some((method, length))
        };
        let (strings, streams, length_bits) = match version {
            1 => (Method::Rc4, Method::Rc4, 40),
            2 | 3 => (Method::Rc4, Method::Rc4, int(b"Length").unwrap_or(40)),
            4 | 5 => {
                let (strings, _) = filter(b"StrF")?;
                let (streams, cf_length) = filter(b"StmF")?;
                // A crypt filter's `/Length` is in bytes, though some writers give bits.
                let bits = match cf_length.or(int(b"Length")) {
                    Some(n) if n < 40 => n * 8,
                    Some(n) => n,
                    None => 128,
                };
                (strings, streams, bits)
            }
            _ => return None,
        };
        let length = match revision {
            2 => 5,
            3 | 4 => usize::try_from(length_bits / 8).ok()?.clamp(5, 16),
            5 | 6 if u.len() >= 48 => 32,
            _ => return None,
        };
        let (oe, ue) = if revision >= 5 {
            (bytes(b"OE").unwrap_or_default(), bytes(b"UE")?)
        } else {
            (Vec::new(), Vec::new())
        };
        Some(Lock {
            revision,
            o,
            u,
            oe,
            ue,
            permissions,
            id: id.to_vec(),
            length,
            encrypt_metadata,
            strings,
            streams,
        })
    }

    /// The file's key, if `password` is its user password or its owner password (as typed:
    /// its bytes are what revisions 2 to 4 pad and revisions 5 and 6 hash, the same for an
    /// ASCII password).
    pub(crate) fn open(&self, password: &[u8]) -> Option<Crypt> {
        let key = if self.revision <= 4 {
            let user = padded(password);
            self.legacy_key(&user)
                .or_else(|| self.legacy_key(&self.owner_to_user(password)?))?
        } else {
            let password = &password[..password.len().min(MAX_PASSWORD_BYTES)];
            let u = &self.u[..48];
            // Algorithm 2.A: the user password, then the owner password (hashed with `/U`).
            if self.hash(password, &u[32..40], &[]) == u[..32] {
                self.unwrap(&self.hash(password, &u[40..48], &[]), &self.ue)?
            } else if let Some(o) = self.o.get(..48)
                && self.hash(password, &o[32..40], u) == o[..32]
            {
                self.unwrap(&self.hash(password, &o[40..48], u), &self.oe)?
            } else {
                return None;
            }
        };
        Some(Crypt {
            key,
            strings: self.strings,
            streams: self.streams,
        })
    }

    /// Algorithm 2: the file's key for revisions 2 to 4 from the user password `padded`, if
    /// it is the file's (Algorithms 4 and 5 compute `/U` from it).
    fn legacy_key(&self, padded: &[u8; 32]) -> Option<Vec<u8>> {
        let mut md5 = md5::Md5::new();
        md5.update(padded);
        md5.update(&self.o[..self.o.len().min(32)]);
        md5.update(self.permissions.to_le_bytes());
        md5.update(&self.id);
        if self.revision >= 4 && !self.encrypt_metadata {
            md5.update([0xFF; 4]);
        }
        let mut hash: [u8; 16] = md5.finalize().into();
        if self.revision >= 3 {
            for _ in 0..50 {
                hash = md5::Md5::digest(&hash[..self.length]).into();
            }
        }
        let key = hash[..self.length].to_vec();
        legacy_user_password_opens(&key, &self.u, &self.id, self.revision).then_some(key)
    }

    /// Algorithm 7: the user password (padded) that `/O` holds encrypted with the owner
    /// password `password`, for revisions 2 to 4.
    fn owner_to_user(&self, password: &[u8]) -> Option<[u8; 32]> {
        let mut hash: [u8; 16] = md5::Md5::digest(padded(password)).into();
        if self.revision >= 3 {
            for _ in 0..50 {
                hash = md5::Md5::digest(hash).into();
            }
        }
        let key = &hash[..self.length];
        let mut user = self.o.get(..32)?.to_vec();
        if self.revision == 2 {
            user = rc4(key, &user);
        } else {
            for i in (0..20u8).rev() {
                let k: Vec<u8> = key.iter().map(|b| b ^ i).collect();
                user = rc4(&k, &user);
            }
        }
        user.try_into().ok()
    }

    /// Algorithm 2.B's hash of `password` with `salt` and `user` (`/U` when checking an owner
    /// password): SHA-256 (revision 5), or rounds of AES-128 and SHA-2 (revision 6).
    fn hash(&self, password: &[u8], salt: &[u8], user: &[u8]) -> Vec<u8> {
        let mut sha = sha2::Sha256::new();
        sha.update(password);
        sha.update(salt);
        sha.update(user);
        let mut k = sha.finalize().to_vec();
        if self.revision < 6 {
            return k;
        }
        let mut round = 0u32;
        let mut k1 = Vec::new();
        loop {
            // K1 is the password, K and the user key, 64 times; E is K1 encrypted with
            // AES-128-CBC, K's first half the key and its second the IV.
            k1.clear();
            for _ in 0..64 {
                k1.extend_from_slice(password);
                k1.extend_from_slice(&k);
                k1.extend_from_slice(user);
            }
            let Ok(cipher) = Aes128::new_from_slice(&k[..16]) else {
                return k;
            };
            let mut previous: [u8; 16] = k[16..32].try_into().unwrap_or_default();
            let mut e = Vec::with_capacity(k1.len());
            for chunk in k1.chunks_exact(16) {
                let mut block = [0u8; 16];
                for (b, (c, p)) in block.iter_mut().zip(chunk.iter().zip(previous)) {
                    *b = c ^ p;
                }
                let mut block = Array::from(block);
                cipher.encrypt_block(&mut block);
                previous = block.into();
                e.extend_from_slice(&previous);
            }
            // The first 16 bytes of E as a number, modulo 3, choose the next hash.
            let sum: u32 = e[..16].iter().map(|&b| u32::from(b)).sum();
            k = match sum % 3 {
                0 => sha2::Sha256::digest(&e).to_vec(),
                1 => sha2::Sha384::digest(&e).to_vec(),
                _ => sha2::Sha512::digest(&e).to_vec(),
            };
            round += 1;
            let last = u32::from(e.last().copied().unwrap_or(0));
            if round >= 64 && last <= round - 32 {
                break;
            }
        }
        k.truncate(32);
        k
    }

    /// The file's key, `/UE` or `/OE` decrypted with the intermediate key `hash` (AES-256-CBC,
    /// a zero IV, no padding).
    fn unwrap(&self, hash: &[u8], wrapped: &[u8]) -> Option<Vec<u8>> {
        let cipher = Aes256::new_from_slice(hash).ok()?;
        Some(cbc_decrypt(&cipher, [0; 16], wrapped.get(..32)?))
    }
}

/// A password as revisions 2 to 4 hash it: its first 32 bytes, padded with [`PADDING`].
fn padded(password: &[u8]) -> [u8; 32] {
    let n = password.len().min(32);
    let mut out = [0u8; 32];
    out[..n].copy_from_slice(&password[..n]);
    out[n..].copy_from_slice(&PADDING[..32 - n]);
    out
}

impl Crypt {
    /// A string of the object `number`, generation `generation`, decrypted.
    pub(crate) fn string(&self, number: u32, generation: u16, data: &[u8]) -> Vec<u8> {
        self.decrypt(self.strings, number, generation, data)
    }

    /// A stream's data of the object `number`, generation `generation`, decrypted.
    pub(crate) fn stream(&self, number: u32, generation: u16, data: &[u8]) -> Vec<u8> {
        self.decrypt(self.streams, number, generation, data)
    }

    fn decrypt(&self, method: Method, number: u32, generation: u16, data: &[u8]) -> Vec<u8> {
        match method {
            Method::Identity => data.to_vec(),
            Method::Rc4 => rc4(&self.object_key(number, generation, false), data),
            Method::Aes128 => {
                aes_cbc_decrypt::<Aes128>(&self.object_key(number, generation, true), data)
            }
            Method::Aes256 => aes_cbc_decrypt::<Aes256>(&self.key, data),
        }
    }

    /// Algorithm 1: the key of one object, for RC4 or AES-128.
    fn object_key(&self, number: u32, generation: u16, aes: bool) -> Vec<u8> {
        let mut md5 = md5::Md5::new();
        md5.update(&self.key);
        md5.update(&number.to_le_bytes()[..3]);
        md5.update(generation.to_le_bytes());
        if aes {
            md5.update(b"sAlT");
        }
        let hash = md5.finalize();
        hash[..(self.key.len() + 5).min(16)].to_vec()
    }
}

/// Algorithms 4 and 5 (6 checks with them): whether `key` is the user password's, by
/// computing `/U` from it.
fn legacy_user_password_opens(key: &[u8], u: &[u8], id: &[u8], revision: i64) -> bool {
    if revision == 2 {
        return u.len() >= 32 && rc4(key, &PADDING) == u[..32];
    }
    let mut md5 = md5::Md5::new();
    md5.update(PADDING);
    md5.update(id);
    let mut x = md5.finalize().to_vec();
    for i in 0..20u8 {
        let k: Vec<u8> = key.iter().map(|b| b ^ i).collect();
        x = rc4(&k, &x);
    }
    u.len() >= 16 && x == u[..16]
}

/// AES-CBC decryption of `data` (its first 16 bytes the IV) with `key`, PKCS #5 padding
/// removed when it is there; a cut last block is left out.
fn aes_cbc_decrypt<C: KeyInit + BlockCipherDecrypt<BlockSize = aes::cipher::consts::U16>>(
    key: &[u8],
    data: &[u8],
) -> Vec<u8> {
    let Ok(cipher) = C::new_from_slice(key) else {
        return Vec::new();
    };
    if data.len() < 16 {
        return Vec::new();
    }
    let (iv, body) = data.split_at(16);
    let mut out = cbc_decrypt(&cipher, iv.try_into().unwrap_or_default(), body);
    if let Some(&pad) = out.last() {
        let pad = usize::from(pad);
        if (1..=16).contains(&pad)
            && pad <= out.len()
            && out[out.len() - pad..]
                .iter()
                .all(|&b| usize::from(b) == pad)
        {
            out.truncate(out.len() - pad);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_cbc_strips_padding_and_drops_a_cut_block() {
        // FIPS 197's AES-128 vector as one CBC block with a zero IV.
        let key: Vec<u8> = (0u8..16).collect();
        let mut data = vec![0u8; 16];
        data.extend_from_slice(&[
            0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
            0xc5, 0x5a,
        ]);
        let plain: Vec<u8> = (0u8..16).map(|i| i * 0x11).collect();
        assert_eq!(aes_cbc_decrypt::<Aes128>(&key, &data), plain);
        // A cut block, and data shorter than the IV.
        data.extend_from_slice(&[1, 2, 3]);
        assert_eq!(aes_cbc_decrypt::<Aes128>(&key, &data), plain);
        assert!(aes_cbc_decrypt::<Aes128>(&key, &data[..10]).is_empty());
        // A wrong key length gives nothing rather than a panic.
        assert!(aes_cbc_decrypt::<Aes128>(&key[..5], &data).is_empty());
    }
}
