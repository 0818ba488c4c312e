//! The bundle file format.
//!
//! ```text
//! offset  size      field
//! 0       8         magic "LWFPRINT"
//! 8       4         format version (u32 LE)
//! 12      4         metadata length M (u32 LE)
//! 16      M         metadata, JSON (BundleMeta): counts and sizes, no fingerprint
//! 16+M    24        XChaCha20-Poly1305 nonce
//! 40+M    8         ciphertext length C (u64 LE)
//! 48+M    C         payload, encrypted with a key derived from the secret key; the AEAD's
//!                   associated data is every byte before the ciphertext
//! 48+M+C  32        BLAKE3 checksum of every byte before it
//! ```
//!
//! The checksum tells corruption from a wrong key without the key; the key id in the metadata
//! tells a wrong key before any decryption is attempted; the AEAD tag authenticates the payload.
//! The payload is a sequence of length-prefixed sections, every count checked against the bytes
//! left before anything is allocated.

use std::collections::BTreeMap;

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::{Bundle, BundleMeta, MultiTokenField};
use crate::{
    CorroboratorFilter, Error, FieldKind, Hasher, KindClass, RecordRef, SecretKey, TokenFilter,
};

/// The magic bytes a bundle file starts with.
pub const MAGIC: &[u8; 8] = b"LWFPRINT";
/// The format version this build writes and reads.
/// (6: the sections of 5 and the towns of each postal code, so that an address written
/// without its town, by postal code and block numbers, is found;
/// 5: the layout of 4, its fingerprints made with variant kanji folded to the common form and
/// variation selectors dropped, so a bundle of 4 would miss names with such characters;
/// 4: romaji keys of reading tokens; 3: record-scoped fingerprints keyed by record number in
/// a blocked filter; 2 used the `bloomfilter` crate and record references.)
pub const FORMAT_VERSION: u32 = 6;
/// Largest metadata block accepted.
const MAX_META: usize = 1 << 20;

fn aead(key: &SecretKey) -> XChaCha20Poly1305 {
    let k = Zeroizing::new(key.derive("bundle encryption"));
    XChaCha20Poly1305::new((&*k).into())
}

pub(super) fn encode(bundle: &Bundle, key: &SecretKey) -> Result<Vec<u8>, Error> {
    if key.key_id().to_string() != bundle.meta.key_id {
        return Err(Error::WrongKey {
            bundle: bundle.meta.key_id.clone(),
            given: key.key_id().to_string(),
        });
    }
    let mut sections = BTreeMap::new();
    let mut w = Writer::default();
    let mut section = |w: &mut Writer, name: &str, start: usize| {
        sections.insert(name.to_owned(), (w.buf.len() - start) as u64);
    };
    let s = w.buf.len();
    w.u32(bundle.refs.len() as u32);
    for r in &bundle.refs {
        w.u64(r.0);
    }
    section(&mut w, "record_refs", s);
    let s = w.buf.len();
    w.u32(bundle.vocab.len() as u32);
    for v in &bundle.vocab {
        w.u64(*v);
    }
    section(&mut w, "token_vocabulary", s);
    let s = w.buf.len();
    w.u64(bundle.token_len_mask);
    w.u32(bundle.filter.words().len() as u32);
    for x in bundle.filter.words() {
        w.u64(*x);
    }
    section(&mut w, "hot_path_filter", s);
    let s = w.buf.len();
    w.u32(bundle.multi.len() as u32);
    for m in &bundle.multi {
        w.u8(m.kind.tag());
        w.varint(m.len() as u64);
        let mut prev = 0u32;
        for i in 0..m.len() {
            let (rec, ids) = m.entry(i);
            w.varint(u64::from(rec - prev));
            prev = rec;
            w.varint(ids.len() as u64);
            for id in ids {
                w.varint(u64::from(*id));
            }
        }
    }
    section(&mut w, "multi_token_entries", s);
    let s = w.buf.len();
    w.u32(bundle.strong_fps.len() as u32);
    for f in &bundle.strong_fps {
        w.u64(*f);
    }
    for r in &bundle.strong_recs {
        w.u32(*r);
    }
    section(&mut w, "strong_index", s);
    let s = w.buf.len();
    w.u64(bundle.corroborators.salt());
    w.u32(bundle.corroborators.words().len() as u32);
    for x in bundle.corroborators.words() {
        w.u64(*x);
    }
    section(&mut w, "corroborator_filter", s);
    let s = w.buf.len();
    for t in &bundle.birth_tags {
        w.buf.extend_from_slice(&t.to_le_bytes());
    }
    section(&mut w, "birth_date_tags", s);
    let s = w.buf.len();
    w.key_ids(&bundle.romaji);
    section(&mut w, "romaji_keys", s);
    let s = w.buf.len();
    w.key_ids(&bundle.postal_towns);
    section(&mut w, "postal_towns", s);

    let mut meta = bundle.meta.clone();
    meta.section_bytes = sections;
    let meta_json =
        serde_json::to_vec(&meta).map_err(|e| Error::Corrupt(format!("metadata: {e}")))?;
    let mut head = Vec::with_capacity(meta_json.len() + 64);
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    head.extend_from_slice(&(meta_json.len() as u32).to_le_bytes());
    head.extend_from_slice(&meta_json);
    let nonce: [u8; 24] = super::random_bytes()?;
    head.extend_from_slice(&nonce);
    let ct_len = w.buf.len() as u64 + 16;
    head.extend_from_slice(&ct_len.to_le_bytes());
    // Encrypt in place: the payload buffer becomes the ciphertext, the tag follows it.
    let tag = aead(key)
        .encrypt_in_place_detached(XNonce::from_slice(&nonce), &head, &mut w.buf)
        .map_err(|_| Error::Corrupt("encryption failed".into()))?;
    let mut sum = blake3::Hasher::new();
    sum.update(&head);
    sum.update(&w.buf);
    sum.update(&tag);
    let mut out = head;
    out.reserve_exact(w.buf.len() + 16 + 32);
    out.extend_from_slice(&w.buf);
    drop(w);
    out.extend_from_slice(&tag);
    out.extend_from_slice(sum.finalize().as_bytes());
    Ok(out)
}

/// The parts of a bundle file that need no key.
struct Envelope<'a> {
    meta: BundleMeta,
    aad: &'a [u8],
    nonce: &'a [u8],
    ciphertext: &'a [u8],
}

fn envelope(bytes: &[u8]) -> Result<Envelope<'_>, Error> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        if bytes.len() < 8 && MAGIC.starts_with(bytes) && !bytes.is_empty() {
            return Err(Error::Truncated {
                expected: 48,
                found: bytes.len() as u64,
            });
        }
        return Err(Error::NotABundle);
    }
    let truncated = |expected: u64| Error::Truncated {
        expected,
        found: bytes.len() as u64,
    };
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let version = u32_at(8).ok_or_else(|| truncated(16))?;
    if version != FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let meta_len = u32_at(12).ok_or_else(|| truncated(16))? as usize;
    if meta_len > MAX_META {
        return Err(Error::Corrupt(format!(
            "metadata length {meta_len} is implausible"
        )));
    }
    let ct_len_at = 16 + meta_len + 24;
    let ct_len = bytes
        .get(ct_len_at..ct_len_at + 8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
        .ok_or_else(|| truncated(ct_len_at as u64 + 8 + 32))?;
    let expected = (ct_len_at as u64 + 8)
        .saturating_add(ct_len)
        .saturating_add(32);
    if (bytes.len() as u64) < expected {
        return Err(truncated(expected));
    }
    if bytes.len() as u64 > expected {
        return Err(Error::Corrupt(format!(
            "{} unexpected bytes after the end",
            bytes.len() as u64 - expected
        )));
    }
    let body_end = bytes.len() - 32;
    if blake3::hash(&bytes[..body_end]).as_bytes() != &bytes[body_end..] {
        return Err(Error::Corrupt(
            "checksum mismatch: the file was altered or damaged".into(),
        ));
    }
    let meta: BundleMeta = serde_json::from_slice(&bytes[16..16 + meta_len])
        .map_err(|e| Error::Corrupt(format!("metadata is unreadable: {e}")))?;
    let ct_start = ct_len_at + 8;
    Ok(Envelope {
        meta,
        aad: &bytes[..ct_start],
        nonce: &bytes[16 + meta_len..ct_len_at],
        ciphertext: &bytes[ct_start..body_end],
    })
}

/// Reads a bundle's metadata without the key, verifying magic, version, length and checksum.
pub fn inspect_bytes(bytes: &[u8]) -> Result<BundleMeta, Error> {
    envelope(bytes).map(|e| e.meta)
}

pub(super) fn decode(bytes: &[u8], key: &SecretKey) -> Result<Bundle, Error> {
    decode_owned(bytes.to_vec(), key)
}

/// Decodes a bundle from its file bytes, decrypting in place (the file's bytes are the only
/// copy of the payload, which keeps the peak memory of loading down).
pub(super) fn decode_owned(mut bytes: Vec<u8>, key: &SecretKey) -> Result<Bundle, Error> {
    let env = envelope(&bytes)?;
    let given = key.key_id().to_string();
    if env.meta.key_id != given {
        return Err(Error::WrongKey {
            bundle: env.meta.key_id,
            given,
        });
    }
    let (ct_start, ct_len) = (env.aad.len(), env.ciphertext.len());
    let nonce: [u8; 24] = env
        .nonce
        .try_into()
        .map_err(|_| Error::Corrupt("nonce".into()))?;
    let meta = env.meta;
    if ct_len < 16 {
        return Err(Error::Corrupt("payload too short".into()));
    }
    let (head, rest) = bytes.split_at_mut(ct_start);
    let (msg, tag) = rest[..ct_len].split_at_mut(ct_len - 16);
    aead(key)
        .decrypt_in_place_detached(
            XNonce::from_slice(&nonce),
            head,
            msg,
            chacha20poly1305::Tag::from_slice(tag),
        )
        .map_err(|_| Error::Corrupt("payload authentication failed".into()))?;
    let result = parse_payload(meta, msg, key);
    zeroize::Zeroize::zeroize(msg);
    result
}

fn parse_payload(meta: BundleMeta, payload: &[u8], key: &SecretKey) -> Result<Bundle, Error> {
    let mut r = Reader {
        buf: payload,
        pos: 0,
    };
    let n = r.count(8, "record refs")?;
    let refs: Vec<RecordRef> = r.u64s(n)?.map(RecordRef).collect();
    let n = r.count(8, "token vocabulary")?;
    let vocab: Vec<u64> = r.u64s(n)?.collect();
    let token_len_mask = r.u64()?;
    let n = r.count(8, "hot-path filter")?;
    let words: Vec<u64> = r.u64s(n)?.collect();
    let filter = TokenFilter::from_words(words).ok_or_else(|| bad("hot-path filter size"))?;
    let kinds = r.count(1, "multi-token kinds")?;
    let mut multi = Vec::with_capacity(kinds);
    for _ in 0..kinds {
        let kind = FieldKind::from_tag(r.u8()?)
            .filter(|k| k.class() == KindClass::MultiToken)
            .ok_or_else(|| bad("multi-token kind"))?;
        let entries = r.varint_count(2, "multi-token entries")?;
        let mut m = MultiTokenField {
            kind,
            entry_record: Vec::with_capacity(entries),
            offsets: Vec::with_capacity(entries + 1),
            ids: Vec::with_capacity(entries * 3),
        };
        m.offsets.push(0);
        let mut rec = 0u32;
        for _ in 0..entries {
            rec = rec
                .checked_add(r.varint_u32()?)
                .filter(|&x| (x as usize) < refs.len())
                .ok_or_else(|| bad("record number"))?;
            let len = r.varint_count(1, "token ids")?;
            for _ in 0..len {
                let id = r.varint_u32()?;
                if id as usize >= vocab.len() {
                    return Err(bad("token id"));
                }
                m.ids.push(id);
            }
            m.entry_record.push(rec);
            m.offsets.push(m.ids.len() as u32);
        }
        multi.push(m);
    }
    let n = r.count(12, "strong index")?;
    let strong_fps: Vec<u64> = r.u64s(n)?.collect();
    let strong_recs: Vec<u32> = r
        .bytes(n * 4)?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if strong_recs.iter().any(|&x| x as usize >= refs.len()) {
        return Err(bad("strong record"));
    }
    let salt = r.u64()?;
    let n = r.count(8, "corroborator filter")?;
    let words: Vec<u64> = r.u64s(n)?.collect();
    let corroborators = CorroboratorFilter::from_parts(salt, words)
        .ok_or_else(|| bad("corroborator filter size"))?;
    let birth_tags: Vec<u16> = r
        .bytes(refs.len() * 2)?
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let romaji = r.key_ids("romaji keys", vocab.len())?;
    let postal_towns = r.key_ids("postal towns", vocab.len())?;
    if r.pos != payload.len() {
        return Err(bad("trailing payload bytes"));
    }
    let vocab_index: crate::fxhash::FxHashMap<u64, u32> = vocab
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, i as u32))
        .collect();
    Ok(Bundle {
        meta,
        hasher: Hasher::new(key),
        refs,
        vocab,
        vocab_index,
        filter,
        token_len_mask,
        multi,
        strong_fps,
        strong_recs,
        corroborators,
        birth_tags,
        romaji,
        postal_towns,
    })
}

fn bad(what: &str) -> Error {
    Error::Corrupt(format!("payload section is malformed ({what})"))
}

#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// A section of `(key, token id)` pairs: their count, the keys, then the ids.
    fn key_ids(&mut self, pairs: &[(u64, u32)]) {
        self.u32(pairs.len() as u32);
        for (key, _) in pairs {
            self.u64(*key);
        }
        for (_, id) in pairs {
            self.u32(*id);
        }
    }
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    /// A section of `(key, token id)` pairs ([`Writer::key_ids`]): every id in the vocabulary
    /// of `vocab_len` tokens, the pairs strictly ascending (sorted and deduplicated at build).
    fn key_ids(&mut self, what: &str, vocab_len: usize) -> Result<Vec<(u64, u32)>, Error> {
        let n = self.count(12, what)?;
        let keys: Vec<u64> = self.u64s(n)?.collect();
        let pairs: Vec<(u64, u32)> = keys
            .into_iter()
            .zip(
                self.bytes(n * 4)?
                    .chunks_exact(4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            )
            .collect();
        if pairs.iter().any(|&(_, id)| id as usize >= vocab_len)
            || pairs.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(bad(what));
        }
        Ok(pairs)
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| bad("length"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.bytes(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, Error> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, Error> {
        let b = self.bytes(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }
    /// `n` little-endian u64s (an exact-size iterator, so collecting allocates once).
    fn u64s(&mut self, n: usize) -> Result<impl ExactSizeIterator<Item = u64> + '_, Error> {
        let b = self.bytes(n.checked_mul(8).ok_or_else(|| bad("count overflow"))?)?;
        Ok(b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())))
    }
    /// A u32 count of items of at least `min_size` bytes each, checked against what is left.
    fn count(&mut self, min_size: usize, what: &str) -> Result<usize, Error> {
        let n = self.u32()? as usize;
        self.check_count(n, min_size, what)
    }
    fn varint_count(&mut self, min_size: usize, what: &str) -> Result<usize, Error> {
        let n = self.varint_u32()? as usize;
        self.check_count(n, min_size, what)
    }
    fn check_count(&self, n: usize, min_size: usize, what: &str) -> Result<usize, Error> {
        if n.saturating_mul(min_size) > self.buf.len() - self.pos {
            return Err(bad(what));
        }
        Ok(n)
    }
    fn varint_u32(&mut self) -> Result<u32, Error> {
        let mut v = 0u64;
        for shift in (0..35).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| bad("varint"));
            }
        }
        Err(bad("varint"))
    }
}
