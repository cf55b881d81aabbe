//! The index: an in-memory sorted map from key to record location, and its checkpoint file.
//!
//! The volumes themselves are the index log: every record carries its key, so a batch's
//! index entries are durable once the volume is. The checkpoint file `index` is a compact,
//! sorted snapshot of the map plus how far into the log it reaches; opening loads it and scans
//! the log forward from there. It is written to `index.tmp`, synced and renamed into place.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::format::DecodeError;
use crate::keycodec::{decode_key, encode_key, get_varint, put_varint, shared};

/// In an entry's head byte, the shared prefix length takes 4 bits and the shared suffix
/// length 3; these values mean "too long, a varint follows". The top bit says the entry has
/// the volume and value length of the entry before it.
const PREFIX_ESCAPE: usize = 15;
const SUFFIX_ESCAPE: usize = 7;

/// Where a key's current record lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    /// Volume id.
    pub volume: u32,
    /// Offset of the record in the volume.
    pub offset: u64,
    /// Length of the value.
    pub value_len: u32,
}

/// A volume file named by id and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct VolumeRef {
    /// Volume id.
    pub id: u32,
    /// Rewrite generation.
    pub generation: u32,
}

/// The sorted map of live keys.
#[derive(Debug, Default)]
pub struct Index {
    map: BTreeMap<Box<[u8]>, Loc>,
    live_bytes: u64,
}

impl Index {
    /// Sets `key` to `loc`, returning the location it replaces.
    pub fn insert(&mut self, key: &[u8], loc: Loc) -> Option<Loc> {
        self.live_bytes += u64::from(loc.value_len);
        let old = self.map.insert(key.into(), loc);
        if let Some(old) = old {
            self.live_bytes -= u64::from(old.value_len);
        }
        old
    }

    /// Removes `key`, returning its location.
    pub fn remove(&mut self, key: &[u8]) -> Option<Loc> {
        let old = self.map.remove(key);
        if let Some(old) = old {
            self.live_bytes -= u64::from(old.value_len);
        }
        old
    }

    /// Location of `key`.
    pub fn get(&self, key: &[u8]) -> Option<Loc> {
        self.map.get(key).copied()
    }

    /// Re-points `key` from `from` to `to` if it still is at `from` (compaction).
    pub fn relocate(&mut self, key: &[u8], from: Loc, to: Loc) -> bool {
        match self.map.get_mut(key) {
            Some(loc) if *loc == from => {
                *loc = to;
                true
            }
            _ => false,
        }
    }

    /// Number of live keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no key is live.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Sum of the live values' lengths.
    pub fn live_bytes(&self) -> u64 {
        self.live_bytes
    }

    /// Keys starting with `prefix`, in byte order: a range scan from `prefix` on.
    pub fn scan_prefix<'a>(
        &'a self,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = (&'a [u8], Loc)> + 'a {
        self.map
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, l)| (&k[..], *l))
    }

    /// Every entry in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Loc)> {
        self.map.iter().map(|(k, l)| (&k[..], *l))
    }
}

/// What a checkpoint holds besides the entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The archive's salt.
    pub salt: u64,
    /// Volumes the checkpoint knows, in id order; the last one is covered up to `tail_offset`,
    /// the others entirely.
    pub volumes: Vec<VolumeRef>,
    /// Offset in the last volume where the log continues past the checkpoint.
    pub tail_offset: u64,
}

const INDEX_MAGIC: [u8; 8] = *b"TSARCIDX";
const INDEX_VERSION: u32 = 1;

/// Serialises a checkpoint: header, volumes, then per entry a head byte, the key's middle
/// (see `keycodec`), the location where it differs from the previous entry's, the offset.
pub fn encode_checkpoint(index: &Index, cov: &Coverage) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + index.len() * 40);
    out.extend_from_slice(&INDEX_MAGIC);
    out.extend_from_slice(&INDEX_VERSION.to_le_bytes());
    out.extend_from_slice(&cov.salt.to_le_bytes());
    put_varint(&mut out, cov.volumes.len() as u64);
    for v in &cov.volumes {
        put_varint(&mut out, u64::from(v.id));
        put_varint(&mut out, u64::from(v.generation));
    }
    put_varint(&mut out, cov.tail_offset);
    put_varint(&mut out, index.len() as u64);
    let mut prev: &[u8] = b"";
    let mut prev_loc: Option<Loc> = None;
    for (key, loc) in index.iter() {
        let (prefix, suffix) = shared(prev, key);
        let same = prev_loc.is_some_and(|p| p.volume == loc.volume && p.value_len == loc.value_len);
        out.push(
            u8::from(same) << 7
                | (suffix.min(SUFFIX_ESCAPE) as u8) << 4
                | prefix.min(PREFIX_ESCAPE) as u8,
        );
        if prefix >= PREFIX_ESCAPE {
            put_varint(&mut out, prefix as u64);
        }
        if suffix >= SUFFIX_ESCAPE {
            put_varint(&mut out, suffix as u64);
        }
        encode_key(&mut out, key, prefix, suffix);
        if !same {
            put_varint(&mut out, u64::from(loc.volume));
            put_varint(&mut out, u64::from(loc.value_len));
        }
        put_varint(&mut out, loc.offset);
        prev = key;
        prev_loc = Some(loc);
    }
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Parses a checkpoint, checking its magic, version and checksum.
pub fn decode_checkpoint(b: &[u8]) -> Result<(Index, Coverage), DecodeError> {
    if b.len() < 24 || b[0..8] != INDEX_MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let (body, crc) = b.split_at(b.len() - 4);
    let mut want = [0u8; 4];
    want.copy_from_slice(crc);
    if crc32c::crc32c(body) != u32::from_le_bytes(want) {
        return Err(DecodeError::BadHeader);
    }
    let mut v4 = [0u8; 4];
    v4.copy_from_slice(&body[8..12]);
    let version = u32::from_le_bytes(v4);
    if version != INDEX_VERSION {
        return Err(DecodeError::Version(version));
    }
    let mut s8 = [0u8; 8];
    s8.copy_from_slice(&body[12..20]);
    let salt = u64::from_le_bytes(s8);
    let mut at = 20;
    let bad = || DecodeError::BadHeader;
    let n = get_varint(body, &mut at).ok_or_else(bad)?;
    let mut volumes = Vec::new();
    for _ in 0..n {
        let id = get_varint(body, &mut at).ok_or_else(bad)?;
        let generation = get_varint(body, &mut at).ok_or_else(bad)?;
        volumes.push(VolumeRef {
            id: u32::try_from(id).map_err(|_| bad())?,
            generation: u32::try_from(generation).map_err(|_| bad())?,
        });
    }
    let tail_offset = get_varint(body, &mut at).ok_or_else(bad)?;
    let count = get_varint(body, &mut at).ok_or_else(bad)?;
    let mut index = Index::default();
    let mut prev = Vec::new();
    let mut prev_loc: Option<Loc> = None;
    for _ in 0..count {
        let head = *body.get(at).ok_or_else(bad)?;
        at += 1;
        let mut prefix = usize::from(head & 0x0f);
        let mut suffix = usize::from((head >> 4) & 0x07);
        if prefix >= PREFIX_ESCAPE {
            prefix =
                usize::try_from(get_varint(body, &mut at).ok_or_else(bad)?).map_err(|_| bad())?;
        }
        if suffix >= SUFFIX_ESCAPE {
            suffix =
                usize::try_from(get_varint(body, &mut at).ok_or_else(bad)?).map_err(|_| bad())?;
        }
        let key = decode_key(body, &mut at, &prev, prefix, suffix).ok_or_else(bad)?;
        let (volume, value_len) = if head & 0x80 != 0 {
            let p = prev_loc.ok_or_else(bad)?;
            (p.volume, p.value_len)
        } else {
            let volume = get_varint(body, &mut at).ok_or_else(bad)?;
            let value_len = get_varint(body, &mut at).ok_or_else(bad)?;
            (
                u32::try_from(volume).map_err(|_| bad())?,
                u32::try_from(value_len).map_err(|_| bad())?,
            )
        };
        let offset = get_varint(body, &mut at).ok_or_else(bad)?;
        if key <= prev && !index.is_empty() {
            return Err(bad());
        }
        let loc = Loc {
            volume,
            offset,
            value_len,
        };
        index.insert(&key, loc);
        prev = key;
        prev_loc = Some(loc);
    }
    if at != body.len() {
        return Err(bad());
    }
    let cov = Coverage {
        salt,
        volumes,
        tail_offset,
    };
    Ok((index, cov))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_round_trips_and_checks_itself() {
        let mut index = Index::default();
        for i in 0..100u32 {
            let key = format!("{:032x}/{:016}.data", u128::from(i) * 7919, i);
            let loc = Loc {
                volume: 1,
                offset: u64::from(i) * 4200,
                value_len: 4096,
            };
            index.insert(key.as_bytes(), loc);
        }
        let cov = Coverage {
            salt: 5,
            volumes: vec![VolumeRef {
                id: 1,
                generation: 0,
            }],
            tail_offset: 420_000,
        };
        let b = encode_checkpoint(&index, &cov);
        let (back, back_cov) = decode_checkpoint(&b).unwrap();
        assert_eq!(back_cov, cov);
        assert!(back.iter().eq(index.iter()));
        assert_eq!(back.live_bytes(), 100 * 4096);
        let mut bad = b.clone();
        bad[40] ^= 1;
        assert!(decode_checkpoint(&bad).is_err());
        assert!(decode_checkpoint(&b[..b.len() - 1]).is_err());
    }

    #[test]
    fn prefix_scan_is_a_range() {
        let mut index = Index::default();
        let loc = Loc {
            volume: 1,
            offset: 0,
            value_len: 1,
        };
        for k in ["a/1", "a/2", "a0", "b/1", "a"] {
            index.insert(k.as_bytes(), loc);
        }
        let got: Vec<&[u8]> = index.scan_prefix(b"a/").map(|(k, _)| k).collect();
        assert_eq!(got, vec![&b"a/1"[..], b"a/2"]);
        assert_eq!(index.scan_prefix(b"").count(), 5);
    }
}
