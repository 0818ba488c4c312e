//! OLE2 compound files: the container of Office 97–2003 files (`.xls`, `.doc`, `.ppt`) and of
//! Outlook's saved messages (`.msg`). A compound file is a FAT file system in one file: a
//! header, sectors of 512 (or 4,096) bytes chained through a FAT, a directory of storages and
//! streams kept as a tree, and a mini stream of 64-byte sectors (with a mini FAT of its own)
//! for streams under a cut-off size. Everything is bounds checked: a cut or corrupt file gives
//! what can be read of it; a chain of sectors that loops ends where it would visit a sector
//! twice, and a directory tree that loops is walked once.

/// An OLE2 compound file's signature.
pub(crate) const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// A FAT entry that ends a chain (or is free, or is a FAT or DIFAT sector).
pub(crate) const END: u32 = 0xFFFF_FFFA;

/// Whether `bytes` is an OLE2 compound file (`.xls`, `.doc`, `.msg`, …).
pub(crate) fn is_cfb(bytes: &[u8]) -> bool {
    bytes.starts_with(&CFB)
}

/// One entry of a compound file's directory.
struct DirEntry {
    name: String,
    /// A stream (not a storage, the root or an unused entry).
    stream: bool,
    /// In the root storage, not inside another storage.
    top: bool,
    start: u32,
    size: u64,
}

/// A compound file, opened: its streams can be read by name.
pub(crate) struct Compound<'a> {
    bytes: &'a [u8],
    sector: usize,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    mini_stream: Vec<u8>,
    mini_cutoff: u64,
    /// The directory, in its order (an entry's index is its id).
    entries: Vec<DirEntry>,
}

/// The little-endian `u32` at `k` in `b`, if `b` holds it.
pub(crate) fn u32_at(b: &[u8], k: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(k..k + 4)?.try_into().ok()?))
}

/// The little-endian `u16` at `k` in `b`, if `b` holds it.
pub(crate) fn u16_at(b: &[u8], k: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(k..k + 2)?.try_into().ok()?))
}

impl<'a> Compound<'a> {
    /// The compound file `bytes`, or `None` when it is not one or its header cannot be read.
    pub(crate) fn open(bytes: &'a [u8]) -> Option<Compound<'a>> {
        if !is_cfb(bytes) || bytes.len() < 512 {
            return None;
        }
        let shift = u16_at(bytes, 0x1E)?;
        if !(9..=12).contains(&shift) {
            return None;
        }
        let sector = 1usize << shift;
        let mut c = Compound {
            bytes,
            sector,
            fat: Vec::new(),
            mini_fat: Vec::new(),
            mini_stream: Vec::new(),
            mini_cutoff: u64::from(u32_at(bytes, 0x38)?),
            entries: Vec::new(),
        };
        // The FAT's sectors: 109 listed in the header, the rest in a chain of DIFAT sectors.
        let mut fat_sectors: Vec<u32> = (0..109)
            .filter_map(|k| u32_at(bytes, 0x4C + 4 * k))
            .filter(|&s| s < END)
            .collect();
        let mut difat = u32_at(bytes, 0x44)?;
        let mut hops = bytes.len() / sector;
        while difat < END && hops > 0 {
            hops -= 1;
            let Some(d) = c.sector_bytes(difat) else {
                break;
            };
            let per = sector / 4 - 1;
            fat_sectors.extend(
                (0..per)
                    .filter_map(|k| u32_at(d, 4 * k))
                    .filter(|&s| s < END),
            );
            difat = u32_at(d, 4 * per).unwrap_or(u32::MAX);
        }
        // No more FAT than the file has sectors to describe (a DIFAT that lists one sector
        // over and over must not grow it without end).
        fat_sectors.truncate(bytes.len() / sector / (sector / 4) + 1);
        for s in fat_sectors {
            let Some(d) = c.sector_bytes(s) else {
                continue;
            };
            c.fat
                .extend((0..sector / 4).filter_map(|k| u32_at(d, 4 * k)));
        }
        let directory = c.chain(u32_at(bytes, 0x30)?, u64::MAX);
        let mut siblings: Vec<[u32; 3]> = Vec::new();
        for e in directory.chunks_exact(128) {
            let name_len = usize::from(u16_at(e, 0x40)?).min(64);
            let units: Vec<u16> = e[..name_len]
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .take_while(|&u| u != 0)
                .collect();
            let name = String::from_utf16_lossy(&units);
            let kind = e[0x42];
            let start = u32_at(e, 0x74)?;
            // Version 3 files keep garbage in the size's high half.
            let size = u64::from(u32_at(e, 0x78)?);
            c.entries.push(DirEntry {
                name,
                stream: kind == 2,
                top: false,
                start,
                size,
            });
            siblings.push([u32_at(e, 0x44)?, u32_at(e, 0x48)?, u32_at(e, 0x4C)?]);
            if kind == 5 && c.mini_stream.is_empty() {
                c.mini_stream = c.chain(start, size);
            }
        }
        // The root storage's children: the tree under the root's child, through left and
        // right siblings (each entry visited once, however the ids loop).
        let mut seen = vec![false; c.entries.len()];
        let mut stack: Vec<u32> = siblings.first().map(|s| vec![s[2]]).unwrap_or_default();
        while let Some(id) = stack.pop() {
            let k = id as usize;
            if k >= seen.len() || seen[k] {
                continue;
            }
            seen[k] = true;
            c.entries[k].top = true;
            stack.extend([siblings[k][0], siblings[k][1]]);
        }
        // A directory whose tree leads to no stream (a writer that left the links out):
        // every stream counts as the root's.
        if !c.entries.iter().any(|e| e.stream && e.top) {
            for e in &mut c.entries {
                e.top = true;
            }
        }
        let mini_fat = c.chain(u32_at(bytes, 0x3C)?, u64::MAX);
        c.mini_fat = mini_fat
            .chunks_exact(4)
            .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]))
            .collect();
        Some(c)
    }

    fn sector_bytes(&self, n: u32) -> Option<&'a [u8]> {
        let at = (n as usize).checked_add(1)?.checked_mul(self.sector)?;
        self.bytes.get(at..at.checked_add(self.sector)?)
    }

    /// The sectors of the FAT's chain from `start`, joined, at most `size` bytes.
    fn chain(&self, start: u32, size: u64) -> Vec<u8> {
        follow(&self.fat, start, size, |s| self.sector_bytes(s))
    }

    /// The mini stream's 64-byte sectors of the mini FAT's chain from `start`, joined, at most
    /// `size` bytes.
    fn mini_chain(&self, start: u32, size: u64) -> Vec<u8> {
        follow(&self.mini_fat, start, size, |s| {
            let at = s as usize * 64;
            self.mini_stream.get(at..at + 64)
        })
    }

    /// The stream named `name` in the root storage (ASCII names compared without case), as
    /// far as it can be read.
    pub(crate) fn stream(&self, name: &str) -> Option<Vec<u8>> {
        let e = self
            .entries
            .iter()
            .find(|e| e.stream && e.top && e.name.eq_ignore_ascii_case(name))?;
        Some(self.data(e))
    }

    /// Whether the root storage has a stream named `name` (as [`Compound::stream`] finds it).
    pub(crate) fn has_stream(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.stream && e.top && e.name.eq_ignore_ascii_case(name))
    }

    /// The names of every stream, in whatever storage, in the directory's order.
    pub(crate) fn stream_names(&self) -> impl Iterator<Item = (usize, &str)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.stream)
            .map(|(k, e)| (k, e.name.as_str()))
    }

    /// The size the directory gives the stream with directory id `id`: its data is no
    /// longer.
    pub(crate) fn stream_size(&self, id: usize) -> u64 {
        self.entries.get(id).map_or(0, |e| e.size)
    }

    /// The file's size.
    pub(crate) fn file_len(&self) -> usize {
        self.bytes.len()
    }

    /// The data of the stream with directory id `id` (from [`Compound::stream_names`]).
    pub(crate) fn stream_data(&self, id: usize) -> Vec<u8> {
        self.entries
            .get(id)
            .map(|e| self.data(e))
            .unwrap_or_default()
    }

    fn data(&self, e: &DirEntry) -> Vec<u8> {
        if e.size < self.mini_cutoff {
            self.mini_chain(e.start, e.size)
        } else {
            self.chain(e.start, e.size)
        }
    }
}

/// The sectors (`sector`) of the chain in `table` from `start`, joined, at most `size` bytes;
/// it ends at a sector that cannot be read or that it would visit twice.
fn follow<'a>(
    table: &[u32],
    start: u32,
    size: u64,
    sector: impl Fn(u32) -> Option<&'a [u8]>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut seen = vec![false; table.len().max(1)];
    let mut s = start;
    while s < END && (out.len() as u64) < size {
        let Some(d) = sector(s) else {
            break;
        };
        match seen.get_mut(s as usize) {
            Some(v) if !*v => *v = true,
            _ => break,
        }
        out.extend_from_slice(d);
        s = table.get(s as usize).copied().unwrap_or(u32::MAX);
    }
    out.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fingerprints::leaks::{CompoundNode as Node, compound_file as compound};

    #[test]
    fn streams_are_found_in_their_storages() {
        let big = vec![7u8; 1500];
        let file = compound(&[
            Node::Stream("Top", b"top"),
            Node::Storage(
                "Inner",
                vec![Node::Stream("Deep", &big), Node::Stream("Top", b"inner")],
            ),
            Node::Stream("Empty", b""),
        ]);
        let c = Compound::open(&file).expect("a compound file");
        assert_eq!(c.stream("top").as_deref(), Some(&b"top"[..]));
        assert_eq!(c.stream("Empty").as_deref(), Some(&b""[..]));
        // A stream inside a storage is not the root's, but is listed.
        assert!(c.stream("Deep").is_none() && !c.has_stream("Deep"));
        let all: Vec<(String, Vec<u8>)> = c
            .stream_names()
            .map(|(k, n)| (n.to_string(), c.stream_data(k)))
            .collect();
        assert_eq!(all.len(), 4);
        assert_eq!(all[1], ("Deep".to_string(), big));
        assert_eq!(all[2], ("Top".to_string(), b"inner".to_vec()));
    }

    #[test]
    fn loops_in_the_directory_and_the_difat_end() {
        let file = compound(&[Node::Stream("A", b"a"), Node::Stream("B", b"b")]);
        // B's right sibling is the root's child A again: each is visited once.
        let mut looped = file.clone();
        let dir = 512 * (1 + u32_at(&file, 0x30).unwrap() as usize);
        looped[dir + 2 * 128 + 0x48..dir + 2 * 128 + 0x4C].copy_from_slice(&1u32.to_le_bytes());
        let c = Compound::open(&looped).expect("a compound file");
        assert!(c.has_stream("A") && c.has_stream("B"));
        // A DIFAT chain that lists the same FAT sector in every slot, looping onto itself:
        // the FAT stays the size the file can need.
        let mut difat = vec![0u8; 512 * 4];
        difat[..512].copy_from_slice(&file[..512]);
        difat[0x44..0x48].copy_from_slice(&0u32.to_le_bytes());
        difat[0x48..0x4C].copy_from_slice(&1u32.to_le_bytes());
        for k in 0..128 {
            difat[512 + 4 * k..516 + 4 * k].copy_from_slice(&0u32.to_le_bytes());
        }
        let c = Compound::open(&difat).expect("a compound file");
        assert!(c.fat.len() <= 2 * 128, "{}", c.fat.len());
        // Cut anywhere: no panic.
        for cut in 0..file.len() {
            if let Some(c) = Compound::open(&file[..cut]) {
                for (k, _) in c.stream_names() {
                    assert!(c.stream_data(k).len() <= 1);
                }
            }
        }
    }
}
