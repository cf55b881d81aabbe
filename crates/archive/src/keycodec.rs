//! Compact encoding of sorted keys for the index file: front and back sharing with the
//! previous key, and runs of lowercase hex digits packed two to a byte.
//!
//! Swift-like keys (`<32 hex>/<16 digits>.data`) share a few leading characters with their
//! sorted neighbour and always share `.data`; what remains is mostly hex, which packs to half.

/// Appends `v` as a LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a LEB128 varint at `*at`, advancing it.
pub fn get_varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
}

fn nibble(c: u8) -> u8 {
    if c.is_ascii_digit() {
        c - b'0'
    } else {
        c - b'a' + 10
    }
}

const HEX_RUN: u8 = 0x80;
const MAX_RUN: usize = 128;
/// Shorter hex runs are cheaper as literals.
const MIN_HEX_RUN: usize = 4;

/// How many leading and trailing bytes `key` shares with `prev`, never overlapping in `key`.
pub fn shared(prev: &[u8], key: &[u8]) -> (usize, usize) {
    let prefix = prev.iter().zip(key).take_while(|(a, b)| a == b).count();
    let room = key.len() - prefix;
    let suffix = prev
        .iter()
        .rev()
        .zip(key.iter().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    (prefix, suffix)
}

/// Appends the part of `key` between its shared prefix and suffix: its encoded length, then
/// the encoding.
pub fn encode_key(out: &mut Vec<u8>, key: &[u8], prefix: usize, suffix: usize) {
    let mut middle = Vec::with_capacity(key.len());
    encode_middle(&mut middle, &key[prefix..key.len() - suffix]);
    put_varint(out, middle.len() as u64);
    out.extend_from_slice(&middle);
}

fn encode_middle(out: &mut Vec<u8>, mut s: &[u8]) {
    while !s.is_empty() {
        let hex = s.iter().take(MAX_RUN).take_while(|c| is_hex(**c)).count();
        if hex >= MIN_HEX_RUN {
            out.push(HEX_RUN | (hex - 1) as u8);
            for pair in s[..hex].chunks(2) {
                let hi = nibble(pair[0]) << 4;
                let lo = pair.get(1).map_or(0, |c| nibble(*c));
                out.push(hi | lo);
            }
            s = &s[hex..];
            continue;
        }
        // A literal run stops where a hex run worth packing begins.
        let mut n = 0;
        while n < s.len() && n < MAX_RUN {
            let run = s[n..].iter().take_while(|c| is_hex(**c)).count();
            if run >= MIN_HEX_RUN {
                break;
            }
            n += run.max(1);
        }
        let n = n.min(MAX_RUN);
        out.push((n - 1) as u8);
        out.extend_from_slice(&s[..n]);
        s = &s[n..];
    }
}

/// Decodes one key at `*at` given the previous key and what it shares with it.
pub fn decode_key(
    b: &[u8],
    at: &mut usize,
    prev: &[u8],
    prefix: usize,
    suffix: usize,
) -> Option<Vec<u8>> {
    let len = usize::try_from(get_varint(b, at)?).ok()?;
    if prefix > prev.len() || suffix > prev.len() {
        return None;
    }
    let end = at.checked_add(len)?;
    let mut m = b.get(*at..end)?;
    *at = end;
    let mut key = prev[..prefix].to_vec();
    while let Some((&head, rest)) = m.split_first() {
        let n = usize::from(head & !HEX_RUN) + 1;
        if head & HEX_RUN != 0 {
            let packed = rest.get(..n.div_ceil(2))?;
            for i in 0..n {
                let byte = packed[i / 2];
                let v = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
                key.push(b"0123456789abcdef"[usize::from(v)]);
            }
            m = &rest[n.div_ceil(2)..];
        } else {
            key.extend_from_slice(rest.get(..n)?);
            m = &rest[n..];
        }
    }
    key.extend_from_slice(&prev[prev.len() - suffix..]);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(keys: &[&[u8]]) -> usize {
        let mut out = Vec::new();
        let mut prev: &[u8] = b"";
        let mut shares = Vec::new();
        for k in keys {
            let (p, s) = shared(prev, k);
            shares.push((p, s));
            encode_key(&mut out, k, p, s);
            prev = k;
        }
        let mut at = 0;
        let mut prev = Vec::new();
        for (k, (p, s)) in keys.iter().zip(shares) {
            let got = decode_key(&out, &mut at, &prev, p, s).unwrap();
            assert_eq!(&got, k);
            prev = got;
        }
        assert_eq!(at, out.len());
        out.len()
    }

    #[test]
    fn swift_keys_pack_small() {
        let a = b"0a1b2c3d4e5f60718293a4b5c6d7e8f9/1700000000123456.data";
        let b = b"0a1c2c3d4e5f60718293a4b5c6d7e8f9/1700000000654321.data";
        let n = round_trip(&[a, b]);
        // The second key costs: a length, 2 hex runs with their heads, one literal "/".
        assert!(n < a.len() + 28, "{n}");
    }

    #[test]
    fn odd_keys_round_trip() {
        round_trip(&[
            b"a",
            b"ab",
            b"abc/\xc3\xa9t\xc3\xa9",
            b"abcdef0123",
            b"abcdef01234",
            b"zzz",
            b"zzz",
            &[b'f'; 300],
            &[b'x'; 300],
            b"x",
        ]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut at = 0;
        assert!(decode_key(&[1, 0], &mut at, b"ab", 5, 0).is_none());
        let mut at = 0;
        assert!(decode_key(&[2, 0x85, 1], &mut at, b"", 0, 0).is_none());
    }
}
