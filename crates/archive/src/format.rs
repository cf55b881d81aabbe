//! The on-disk encoding of volumes and records: headers, checksums and alignment.
//!
//! A volume starts with a 64-byte header (magic, format version, volume id, generation, the
//! archive's salt, CRC32C). Records follow back to back:
//!
//! ```text
//! 0  magic "TsRc"       4  version u8   5  flags u8   6  key_len u16 LE
//! 8  value_len u32 LE   12 header_crc u32 LE          16 value_crc u32 LE
//! 20 key bytes, then value bytes
//! ```
//!
//! `header_crc` covers the archive salt, the volume id, the record's own offset, bytes 0..12
//! and the key, so a record copied elsewhere (inside another value, say) never validates at
//! the wrong place; `value_crc` covers the value. Together they cover header, key and value.

use std::fmt;

/// The file-system block: records with large values put the value on this boundary.
pub const BLOCK: u64 = 4096;
/// Values at least this large start on a block boundary so their blocks can be punched alone.
pub const ALIGN_VALUES_FROM: u64 = 64 * 1024;
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Length of a volume's header.
pub const VOLUME_HEADER_LEN: u64 = 64;
/// Length of a record's fixed header.
pub const RECORD_HEADER_LEN: u64 = 20;
/// Longest key in bytes.
pub const MAX_KEY_LEN: usize = 1024;
/// Largest value in bytes.
pub const MAX_VALUE_LEN: u64 = 64 * 1024 * 1024;

const VOLUME_MAGIC: [u8; 8] = *b"TSARCVOL";
const RECORD_MAGIC: [u8; 4] = *b"TsRc";

/// Record flag: the record deletes its key.
pub const FLAG_TOMBSTONE: u8 = 1;
/// Record flag: the record only fills space up to an aligned value.
pub const FLAG_PADDING: u8 = 2;
const KNOWN_FLAGS: u8 = FLAG_TOMBSTONE | FLAG_PADDING;

/// Why bytes did not decode as a volume header or a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the header or the record claims.
    Truncated,
    /// No magic where one should be.
    BadMagic,
    /// A format version this build does not read.
    Version(u32),
    /// Lengths or flags out of range, or the header checksum does not match.
    BadHeader,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("truncated"),
            Self::BadMagic => f.write_str("bad magic"),
            Self::Version(v) => write!(f, "format version {v}"),
            Self::BadHeader => f.write_str("bad header or header checksum"),
        }
    }
}

/// The header of a volume file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolumeHeader {
    /// Volume number: order of the log.
    pub id: u32,
    /// Rewrite generation: compaction writes the same id with the next generation.
    pub generation: u32,
    /// Random number of the archive, mixed into every record checksum.
    pub salt: u64,
}

impl VolumeHeader {
    /// Encodes the header in its 64 bytes.
    pub fn encode(&self) -> [u8; VOLUME_HEADER_LEN as usize] {
        let mut b = [0u8; VOLUME_HEADER_LEN as usize];
        b[0..8].copy_from_slice(&VOLUME_MAGIC);
        b[8..12].copy_from_slice(&u32::from(FORMAT_VERSION).to_le_bytes());
        b[12..16].copy_from_slice(&self.id.to_le_bytes());
        b[16..20].copy_from_slice(&self.generation.to_le_bytes());
        b[24..32].copy_from_slice(&self.salt.to_le_bytes());
        let crc = crc32c::crc32c(&b[0..60]);
        b[60..64].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decodes and checks a volume header.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let b = b
            .get(0..VOLUME_HEADER_LEN as usize)
            .ok_or(DecodeError::Truncated)?;
        if b[0..8] != VOLUME_MAGIC {
            return Err(DecodeError::BadMagic);
        }
        if crc32c::crc32c(&b[0..60]) != le32(&b[60..64]) {
            return Err(DecodeError::BadHeader);
        }
        let version = le32(&b[8..12]);
        if version != u32::from(FORMAT_VERSION) {
            return Err(DecodeError::Version(version));
        }
        Ok(Self {
            id: le32(&b[12..16]),
            generation: le32(&b[16..20]),
            salt: le64(&b[24..32]),
        })
    }
}

/// Where a record lives: part of its header checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The archive's salt.
    pub salt: u64,
    /// The volume id.
    pub volume: u32,
    /// The record's offset in the volume.
    pub offset: u64,
}

/// A decoded record, borrowing the buffer it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Flags ([`FLAG_TOMBSTONE`], [`FLAG_PADDING`]).
    pub flags: u8,
    /// The key (empty for padding).
    pub key: &'a [u8],
    /// The value (empty for tombstones).
    pub value: &'a [u8],
}

/// What the bytes at a place hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A record whose header and value both check.
    Whole(Record<'a>),
    /// A record whose header checks but whose value does not: the key is known, the value
    /// is damaged. `len` is the record's whole length.
    DamagedValue {
        /// Record flags.
        flags: u8,
        /// The key read from the checked header.
        key: &'a [u8],
        /// The record's length on disk.
        len: u64,
    },
}

/// Length on disk of a record with these key and value lengths.
pub fn record_len(key_len: usize, value_len: u64) -> u64 {
    RECORD_HEADER_LEN + key_len as u64 + value_len
}

/// Appends the encoding of one record at `place` to `out`.
pub fn encode_record(out: &mut Vec<u8>, place: Place, flags: u8, key: &[u8], value: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&RECORD_MAGIC);
    out.push(FORMAT_VERSION);
    out.push(flags);
    out.extend_from_slice(&(key.len() as u16).to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    let header_crc = header_crc(place, &out[start..start + 12], key);
    out.extend_from_slice(&header_crc.to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(value).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(value);
}

/// Appends a padding record of exactly `len` bytes (at least a record header).
pub fn encode_padding(out: &mut Vec<u8>, place: Place, len: u64) {
    let zeros = vec![0u8; (len - RECORD_HEADER_LEN) as usize];
    encode_record(out, place, FLAG_PADDING, &[], &zeros);
}

/// Decodes the record at the start of `b`, which was read from `place`.
pub fn decode_record(b: &[u8], place: Place) -> Result<Decoded<'_>, DecodeError> {
    let h = b
        .get(0..RECORD_HEADER_LEN as usize)
        .ok_or(DecodeError::Truncated)?;
    if h[0..4] != RECORD_MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let flags = h[5];
    let key_len = usize::from(u16::from_le_bytes([h[6], h[7]]));
    let value_len = u64::from(le32(&h[8..12]));
    let plausible = flags & !KNOWN_FLAGS == 0
        && flags != KNOWN_FLAGS
        && key_len <= MAX_KEY_LEN
        && value_len <= MAX_VALUE_LEN
        && (key_len == 0) == (flags & FLAG_PADDING != 0)
        && (flags & FLAG_TOMBSTONE == 0 || value_len == 0);
    if !plausible {
        return Err(DecodeError::BadHeader);
    }
    let key_end = RECORD_HEADER_LEN as usize + key_len;
    let key = b.get(RECORD_HEADER_LEN as usize..key_end);
    let Some(key) = key else {
        return Err(DecodeError::Truncated);
    };
    if header_crc(place, &h[0..12], key) != le32(&h[12..16]) {
        return Err(DecodeError::BadHeader);
    }
    if h[4] != FORMAT_VERSION {
        return Err(DecodeError::Version(u32::from(h[4])));
    }
    let len = record_len(key_len, value_len);
    let Some(value) = b.get(key_end..len as usize) else {
        return Err(DecodeError::Truncated);
    };
    if crc32c::crc32c(value) != le32(&h[16..20]) {
        return Ok(Decoded::DamagedValue { flags, key, len });
    }
    Ok(Decoded::Whole(Record { flags, key, value }))
}

/// Where to put a record of `len` bytes with a value of `value_len` when the volume ends at
/// `end`: returns the record's offset and the padding (0, or at least a header) before it.
pub fn placement(end: u64, key_len: usize, value_len: u64) -> (u64, u64) {
    if value_len < ALIGN_VALUES_FROM {
        return (end, 0);
    }
    let head = RECORD_HEADER_LEN + key_len as u64;
    let value_start = (end + head).div_ceil(BLOCK) * BLOCK;
    let mut gap = value_start - head - end;
    if gap > 0 && gap < RECORD_HEADER_LEN {
        gap += BLOCK;
    }
    (end + gap, gap)
}

fn header_crc(place: Place, fixed: &[u8], key: &[u8]) -> u32 {
    let mut seed = [0u8; 20];
    seed[0..8].copy_from_slice(&place.salt.to_le_bytes());
    seed[8..12].copy_from_slice(&place.volume.to_le_bytes());
    seed[12..20].copy_from_slice(&place.offset.to_le_bytes());
    let crc = crc32c::crc32c(&seed);
    let crc = crc32c::crc32c_append(crc, fixed);
    crc32c::crc32c_append(crc, key)
}

fn le32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

fn le64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACE: Place = Place {
        salt: 7,
        volume: 1,
        offset: 64,
    };

    #[test]
    fn record_round_trips_and_rejects_any_flipped_byte() {
        let mut buf = Vec::new();
        encode_record(&mut buf, PLACE, 0, b"key", b"value");
        let want = Decoded::Whole(Record {
            flags: 0,
            key: b"key",
            value: b"value",
        });
        assert_eq!(decode_record(&buf, PLACE), Ok(want));
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x10;
            assert!(
                !matches!(decode_record(&bad, PLACE), Ok(Decoded::Whole(_))),
                "flip at {i} went unnoticed"
            );
        }
    }

    #[test]
    fn record_does_not_validate_elsewhere() {
        let mut buf = Vec::new();
        encode_record(&mut buf, PLACE, 0, b"key", b"value");
        let moved = Place {
            offset: 65,
            ..PLACE
        };
        assert_eq!(decode_record(&buf, moved), Err(DecodeError::BadHeader));
    }

    #[test]
    fn damaged_value_keeps_the_key() {
        let mut buf = Vec::new();
        encode_record(&mut buf, PLACE, 0, b"key", b"value");
        let last = buf.len() - 1;
        buf[last] ^= 1;
        assert!(matches!(
            decode_record(&buf, PLACE),
            Ok(Decoded::DamagedValue { key: b"key", .. })
        ));
        assert_eq!(
            decode_record(&buf[..last], PLACE),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn large_values_start_on_a_block() {
        for end in [64u64, 100, 4096 - 30, 4096 - 20, 4096, 9000] {
            let (at, pad) = placement(end, 10, ALIGN_VALUES_FROM);
            assert_eq!((at + RECORD_HEADER_LEN + 10) % BLOCK, 0);
            assert!(pad == 0 || pad >= RECORD_HEADER_LEN);
            assert_eq!(at, end + pad);
        }
        assert_eq!(placement(100, 10, 4096), (100, 0));
    }

    #[test]
    fn volume_header_round_trips_and_checks_version() {
        let h = VolumeHeader {
            id: 3,
            generation: 2,
            salt: 99,
        };
        let mut b = h.encode();
        assert_eq!(VolumeHeader::decode(&b), Ok(h));
        b[8] = 0;
        let crc = crc32c::crc32c(&b[0..60]);
        b[60..64].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(VolumeHeader::decode(&b), Err(DecodeError::Version(0)));
    }
}
