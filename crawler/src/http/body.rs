//! Reading a body while enforcing the size cap after decompression.

use std::io::Write;

use flate2::write::{GzDecoder, ZlibDecoder};

/// A `Vec` that stops taking bytes at `cap` and remembers that it overflowed.
#[derive(Debug)]
pub(crate) struct Capped {
    pub(crate) buf: Vec<u8>,
    cap: usize,
    pub(crate) overflowed: bool,
}

impl Capped {
    pub(crate) fn new(cap: usize) -> Capped {
        Capped {
            buf: Vec::new(),
            cap,
            overflowed: false,
        }
    }
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = self.cap - self.buf.len();
        if data.len() > room {
            self.buf.extend_from_slice(&data[..room]);
            self.overflowed = true;
        } else {
            self.buf.extend_from_slice(data);
        }
        // Pretend to take everything: the reader checks `overflowed` and stops reading.
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The body's `Content-Encoding`, as far as we decode it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Identity,
    Gzip,
    Deflate,
}

impl Encoding {
    /// `None` for encodings we did not ask for (br, zstd, stacked encodings).
    pub(crate) fn parse(header: Option<&str>) -> Option<Encoding> {
        match header.map(|h| h.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("identity") => Some(Encoding::Identity),
            Some("gzip") | Some("x-gzip") => Some(Encoding::Gzip),
            Some("deflate") => Some(Encoding::Deflate),
            _ => None,
        }
    }
}

/// Decodes a body chunk by chunk into a [`Capped`] buffer.
pub(crate) enum Decoder {
    Identity(Capped),
    Gzip(GzDecoder<Capped>),
    Deflate(ZlibDecoder<Capped>),
}

impl Decoder {
    pub(crate) fn new(encoding: Encoding, cap: usize) -> Decoder {
        let out = Capped::new(cap);
        match encoding {
            Encoding::Identity => Decoder::Identity(out),
            Encoding::Gzip => Decoder::Gzip(GzDecoder::new(out)),
            Encoding::Deflate => Decoder::Deflate(ZlibDecoder::new(out)),
        }
    }

    /// Feeds one chunk; `Err` on corrupt compressed data.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        match self {
            Decoder::Identity(c) => c.write_all(chunk),
            Decoder::Gzip(d) => d.write_all(chunk),
            Decoder::Deflate(d) => d.write_all(chunk),
        }
    }

    /// The bytes decoded so far.
    pub(crate) fn decoded(&self) -> &[u8] {
        match self {
            Decoder::Identity(c) => &c.buf,
            Decoder::Gzip(d) => &d.get_ref().buf,
            Decoder::Deflate(d) => &d.get_ref().buf,
        }
    }

    pub(crate) fn overflowed(&self) -> bool {
        match self {
            Decoder::Identity(c) => c.overflowed,
            Decoder::Gzip(d) => d.get_ref().overflowed,
            Decoder::Deflate(d) => d.get_ref().overflowed,
        }
    }

    /// Ends the stream. A stream cut at the cap is not checked for completeness.
    pub(crate) fn finish(self) -> std::io::Result<Capped> {
        match self {
            Decoder::Identity(c) => Ok(c),
            Decoder::Gzip(mut d) => {
                if d.get_ref().overflowed {
                    return Ok(std::mem::replace(d.get_mut(), Capped::new(0)));
                }
                d.finish()
            }
            Decoder::Deflate(mut d) => {
                if d.get_ref().overflowed {
                    return Ok(std::mem::replace(d.get_mut(), Capped::new(0)));
                }
                d.finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};

    #[test]
    fn gzip_bomb_stops_at_the_cap() {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&vec![0u8; 4 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 10_000);
        let mut d = Decoder::new(Encoding::Gzip, 1000);
        for chunk in bomb.chunks(512) {
            d.feed(chunk).unwrap();
            if d.overflowed() {
                break;
            }
        }
        assert!(d.overflowed());
        assert_eq!(d.finish().unwrap().buf.len(), 1000);
    }

    #[test]
    fn gzip_round_trip_and_corruption() {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(b"hello world").unwrap();
        let gz = enc.finish().unwrap();
        let mut d = Decoder::new(Encoding::Gzip, 1000);
        d.feed(&gz).unwrap();
        assert_eq!(d.finish().unwrap().buf, b"hello world");
        let mut d = Decoder::new(Encoding::Gzip, 1000);
        let bad = d
            .feed(b"not gzip at all")
            .and_then(|()| d.finish().map(|_| ()));
        assert!(bad.is_err());
        assert_eq!(Encoding::parse(Some("br")), None);
        assert_eq!(Encoding::parse(Some(" GZIP ")), Some(Encoding::Gzip));
    }
}
