//! Content codings of the status outputs: every body is compressed with gzip and brotli once,
//! when it is rendered, and each request gets the variant its `Accept-Encoding` prefers
//! (RFC 9110 §12.5.3), so that a surge costs no compression and fewer bytes on the wire.

use std::io::Write;

use axum::body::Bytes;

/// Brotli's densest setting: bodies are compressed once per change, not per request.
const BROTLI_QUALITY: u32 = 11;
/// Brotli's window (log2 bytes); 22 is its default and covers every output.
const BROTLI_WINDOW: u32 = 22;

/// A content coding we can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Identity,
    Gzip,
    Br,
}

impl Coding {
    /// Its token in `Content-Encoding`; none for identity.
    pub(crate) fn token(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Br => Some("br"),
        }
    }
}

/// One body in every coding worth sending.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    pub identity: Bytes,
    /// Absent when compressing did not make it smaller.
    pub gzip: Option<Bytes>,
    pub br: Option<Bytes>,
}

impl Encoded {
    /// Compresses `body` both ways, keeping only the variants smaller than it.
    pub(crate) fn new(body: Bytes) -> Self {
        let smaller = |c: Option<Vec<u8>>| c.filter(|c| c.len() < body.len()).map(Bytes::from);
        Encoded {
            gzip: smaller(gzip(&body)),
            br: smaller(brotli(&body)),
            identity: body,
        }
    }

    /// The bytes of `coding`, identity when that variant is absent.
    pub(crate) fn get(&self, coding: Coding) -> (Coding, &Bytes) {
        match coding {
            Coding::Gzip => self.gzip.as_ref().map(|b| (Coding::Gzip, b)),
            Coding::Br => self.br.as_ref().map(|b| (Coding::Br, b)),
            Coding::Identity => None,
        }
        .unwrap_or((Coding::Identity, &self.identity))
    }

    /// The variant to send for this `Accept-Encoding`.
    pub(crate) fn choose(&self, accept: Option<&[u8]>) -> (Coding, &Bytes) {
        self.get(negotiate(accept, self.gzip.is_some(), self.br.is_some()))
    }
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::best(),
    );
    out.write_all(body).ok()?;
    out.finish().ok()
}

fn brotli(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() / 3);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        w.write_all(body).ok()?;
        w.flush().ok()?;
    }
    Some(out)
}

/// The coding to send given `Accept-Encoding` and the variants at hand. No header means
/// identity (what every client understands); otherwise the highest q-value wins, `*` stands
/// for codings not named, `q=0` refuses, and ties go to the smaller (br, then gzip).
/// Identity is the fallback even when refused: a readable answer beats a `406`.
pub(crate) fn negotiate(accept: Option<&[u8]>, have_gzip: bool, have_br: bool) -> Coding {
    let Some(accept) = accept else {
        return Coding::Identity;
    };
    let (mut gzip, mut br, mut identity, mut any) = (None, None, None, None);
    for item in accept.split(|&b| b == b',') {
        let mut parts = item.split(|&b| b == b';');
        let name = trim(parts.next().unwrap_or_default());
        let q = parts.find_map(|p| q_value(trim(p))).unwrap_or(1000);
        let slot = if name.eq_ignore_ascii_case(b"gzip") || name.eq_ignore_ascii_case(b"x-gzip") {
            &mut gzip
        } else if name.eq_ignore_ascii_case(b"br") {
            &mut br
        } else if name.eq_ignore_ascii_case(b"identity") {
            &mut identity
        } else if name == b"*" {
            &mut any
        } else {
            continue;
        };
        // A coding named twice keeps its best weight.
        *slot = Some(slot.map_or(q, |old: u16| old.max(q)));
    }
    let weight = |named: Option<u16>| named.or(any).unwrap_or(0);
    let mut best = (Coding::Identity, 0);
    for (coding, have, q) in [
        (Coding::Br, have_br, weight(br)),
        (Coding::Gzip, have_gzip, weight(gzip)),
    ] {
        if have && q > best.1 {
            best = (coding, q);
        }
    }
    // Identity is acceptable unless refused by name or by `*;q=0`.
    let identity = identity.or(any).unwrap_or(1);
    if best.1 == 0 || (identity > best.1) {
        Coding::Identity
    } else {
        best.0
    }
}

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

/// A `q=` parameter in thousandths; `None` for any other parameter or a malformed weight.
fn q_value(param: &[u8]) -> Option<u16> {
    let (name, value) = param.split_at_checked(2)?;
    if !name.eq_ignore_ascii_case(b"q=") {
        return None;
    }
    let text = std::str::from_utf8(value).ok()?;
    let q: f64 = text.parse().ok()?;
    if !(0.0..=1.0).contains(&q) {
        return None;
    }
    // At most three decimals (RFC 9110 §12.4.2); rounding keeps 0.001 above zero.
    Some((q * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn pick(accept: &str) -> Coding {
        negotiate(Some(accept.as_bytes()), true, true)
    }

    #[test]
    fn accept_encoding_is_negotiated_by_weight() {
        assert_eq!(negotiate(None, true, true), Coding::Identity);
        assert_eq!(pick(""), Coding::Identity);
        assert_eq!(pick("gzip"), Coding::Gzip);
        assert_eq!(pick("GZIP"), Coding::Gzip);
        assert_eq!(pick("x-gzip"), Coding::Gzip);
        assert_eq!(pick("br"), Coding::Br);
        assert_eq!(pick("gzip, deflate, br"), Coding::Br);
        assert_eq!(pick("gzip, br;q=0.5"), Coding::Gzip);
        assert_eq!(pick("gzip;q=0.2, br;q=0.3"), Coding::Br);
        assert_eq!(pick("br;q=0, gzip"), Coding::Gzip);
        assert_eq!(pick("gzip;q=0"), Coding::Identity);
        assert_eq!(pick("gzip;q=0, br;q=0"), Coding::Identity);
        assert_eq!(pick("deflate, zstd"), Coding::Identity);
        assert_eq!(pick("*"), Coding::Br);
        assert_eq!(pick("*;q=0.5, br;q=0"), Coding::Gzip);
        assert_eq!(pick("identity"), Coding::Identity);
        // Identity preferred over a weaker compression.
        assert_eq!(pick("identity;q=1, gzip;q=0.5"), Coding::Identity);
        assert_eq!(pick("identity;q=0.1, gzip;q=0.5"), Coding::Gzip);
        // A refused identity with nothing else acceptable still gets a readable answer.
        assert_eq!(pick("identity;q=0"), Coding::Identity);
        // Parameters other than q, spaces, and a malformed weight (ignored, so 1).
        assert_eq!(pick(" gzip ; foo=1 ; q=0.8 ,br ; q=0.7"), Coding::Gzip);
        assert_eq!(pick("br;q=2, gzip;q=0.5"), Coding::Br);
        assert_eq!(pick("gzip;Q=0.001"), Coding::Gzip);
        // Only the variants at hand are chosen.
        assert_eq!(negotiate(Some(b"br, gzip"), true, false), Coding::Gzip);
        assert_eq!(negotiate(Some(b"br"), true, false), Coding::Identity);
        assert_eq!(negotiate(Some(b"br, gzip"), false, false), Coding::Identity);
    }

    #[test]
    fn variants_decode_to_the_body_and_tiny_bodies_stay_plain() {
        let body: Bytes = "<p>Service status: all operational</p>\n"
            .repeat(200)
            .into();
        let e = Encoded::new(body.clone());
        let gz = e.gzip.clone().unwrap();
        let br = e.br.clone().unwrap();
        assert!(gz.len() < body.len() / 10 && br.len() < body.len() / 10);
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
        let mut plain = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
        assert_eq!(e.choose(Some(b"gzip")), (Coding::Gzip, &gz));
        assert_eq!(e.choose(None), (Coding::Identity, &body));

        let tiny = Encoded::new(Bytes::from_static(b"{}"));
        assert!(tiny.gzip.is_none() && tiny.br.is_none());
        assert_eq!(tiny.choose(Some(b"br, gzip")).0, Coding::Identity);
    }
}
