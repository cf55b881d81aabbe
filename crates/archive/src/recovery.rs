//! The forward scan of the log past the last checkpoint, run on every open.
//!
//! Every record is checked. A record whose header checks but whose value does not is held back:
//! if a whole record follows it, it was written before and damaged since, and it is indexed so
//! that reads name it as damaged; if nothing whole follows, it is a torn write at the end of the
//! log and is dropped. Bytes that are no record at all (a torn header, a punched hole) are
//! skipped to the next record whose position-bound header checksum holds. The log ends after
//! the last whole record: a writer truncates the file there.

use crate::format::{decode_record, Decoded, Place, FLAG_PADDING, FLAG_TOMBSTONE};

/// One thing the scan found, in log order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// `key` was set by the record at `offset`; `damaged` when its value fails its checksum.
    Put {
        /// The key.
        key: &'a [u8],
        /// Record offset.
        offset: u64,
        /// Length of the value.
        value_len: u64,
        /// The value fails its checksum.
        damaged: bool,
    },
    /// `key` was deleted by the tombstone at `offset`, `len` bytes long.
    Delete {
        /// The key.
        key: &'a [u8],
        /// Record offset.
        offset: u64,
        /// Record length.
        len: u64,
    },
}

/// How a scan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanEnd {
    /// Offset just past the last whole record (or the scan start).
    pub log_end: u64,
    /// Bytes skipped because they were no record.
    pub skipped: u64,
}

/// Scans `buf`, the bytes of volume `volume` from offset `base` to its end.
pub fn scan<'a>(
    buf: &'a [u8],
    base: u64,
    salt: u64,
    volume: u32,
    on: &mut dyn FnMut(Event<'a>),
) -> ScanEnd {
    let place = |pos: usize| Place {
        salt,
        volume,
        offset: base + pos as u64,
    };
    let mut pos = 0usize;
    let mut log_end = 0usize;
    let mut skipped = 0u64;
    let mut held: Vec<Event<'a>> = Vec::new();
    while pos < buf.len() {
        match decode_record(&buf[pos..], place(pos)) {
            Ok(Decoded::Whole(rec)) => {
                for e in held.drain(..) {
                    on(e);
                }
                let len = crate::format::record_len(rec.key.len(), rec.value.len() as u64);
                if rec.flags & FLAG_TOMBSTONE != 0 {
                    on(Event::Delete {
                        key: rec.key,
                        offset: place(pos).offset,
                        len,
                    });
                } else if rec.flags & FLAG_PADDING == 0 {
                    on(Event::Put {
                        key: rec.key,
                        offset: place(pos).offset,
                        value_len: rec.value.len() as u64,
                        damaged: false,
                    });
                }
                pos += len as usize;
                log_end = pos;
            }
            Ok(Decoded::DamagedValue { flags, key, len }) => {
                if flags & (FLAG_PADDING | FLAG_TOMBSTONE) == 0 {
                    let head = crate::format::record_len(key.len(), 0);
                    held.push(Event::Put {
                        key,
                        offset: place(pos).offset,
                        value_len: len - head,
                        damaged: true,
                    });
                }
                pos += len as usize;
            }
            Err(_) => match resync(buf, pos + 1, &place) {
                Some(next) => {
                    skipped += (next - pos) as u64;
                    pos = next;
                }
                None => break,
            },
        }
    }
    ScanEnd {
        log_end: base + log_end as u64,
        skipped,
    }
}

/// The next position at or after `from` where a record's header checks.
fn resync(buf: &[u8], from: usize, place: &dyn Fn(usize) -> Place) -> Option<usize> {
    let mut at = from;
    while at + 4 <= buf.len() {
        let hit = buf[at..].windows(4).position(|w| w == b"TsRc")?;
        at += hit;
        if decode_record(&buf[at..], place(at)).is_ok() {
            return Some(at);
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::encode_record;

    const SALT: u64 = 42;

    fn log(records: &[(&str, &[u8])]) -> (Vec<u8>, Vec<usize>) {
        let mut buf = Vec::new();
        let mut starts = Vec::new();
        for (k, v) in records {
            starts.push(buf.len());
            let place = Place {
                salt: SALT,
                volume: 1,
                offset: 64 + buf.len() as u64,
            };
            encode_record(&mut buf, place, 0, k.as_bytes(), v);
        }
        (buf, starts)
    }

    fn keys(buf: &[u8]) -> (Vec<(String, bool)>, ScanEnd) {
        let mut got = Vec::new();
        let end = scan(buf, 64, SALT, 1, &mut |e| {
            if let Event::Put { key, damaged, .. } = e {
                got.push((String::from_utf8_lossy(key).into_owned(), damaged));
            }
        });
        (got, end)
    }

    #[test]
    fn torn_tail_is_dropped() {
        let (buf, starts) = log(&[("a", b"1111"), ("b", b"2222"), ("c", b"3333")]);
        let (got, end) = keys(&buf[..buf.len() - 2]);
        assert_eq!(got, vec![("a".into(), false), ("b".into(), false)]);
        assert_eq!(end.log_end, 64 + starts[2] as u64);
    }

    #[test]
    fn damage_before_a_whole_record_is_kept_as_damaged() {
        let (mut buf, starts) = log(&[("a", b"1111"), ("b", b"2222"), ("c", b"3333")]);
        let value_of_b = starts[1] + 21;
        buf[value_of_b] ^= 0xff;
        let (got, end) = keys(&buf);
        assert_eq!(
            got,
            vec![("a".into(), false), ("b".into(), true), ("c".into(), false)]
        );
        assert_eq!(end.log_end, 64 + buf.len() as u64);
    }

    #[test]
    fn bad_header_and_holes_are_skipped() {
        let (mut buf, starts) = log(&[("a", b"1111"), ("b", b"2222"), ("c", b"3333")]);
        buf[starts[1] + 6] ^= 0x01;
        for b in &mut buf[starts[0]..starts[0] + 10] {
            *b = 0;
        }
        let (got, end) = keys(&buf);
        assert_eq!(got, vec![("c".into(), false)]);
        assert_eq!(end.skipped, starts[2] as u64);
    }

    proptest::proptest! {
        /// Whatever happens to the bytes (flips, cuts, zeroed ranges), the scan never panics
        /// and never reports a record that was not written at that offset with that key.
        #[test]
        fn damage_never_invents_records(
            values in proptest::collection::vec(proptest::collection::vec(0u8..=255, 0..300), 1..12),
            flips in proptest::collection::vec((0usize..4000, 0u8..=255), 0..6),
            zero in proptest::option::of((0usize..4000, 0usize..600)),
            cut in proptest::option::of(0usize..4000),
        ) {
            let names: Vec<String> = (0..values.len()).map(|i| format!("key{i}")).collect();
            let records: Vec<(&str, &[u8])> =
                names.iter().zip(&values).map(|(k, v)| (k.as_str(), &v[..])).collect();
            let (mut buf, starts) = log(&records);
            for (at, x) in flips {
                if let Some(b) = buf.get_mut(at) {
                    *b ^= x;
                }
            }
            if let Some((at, n)) = zero {
                let end = (at + n).min(buf.len());
                if at < end {
                    buf[at..end].fill(0);
                }
            }
            if let Some(c) = cut {
                buf.truncate(c.min(buf.len()));
            }
            let written: Vec<(u64, &[u8])> = starts
                .iter()
                .zip(&names)
                .map(|(s, k)| (64 + *s as u64, k.as_bytes()))
                .collect();
            let end = scan(&buf, 64, SALT, 1, &mut |e| {
                if let Event::Put { key, offset, .. } = e {
                    assert!(written.contains(&(offset, key)), "invented {offset}");
                }
            });
            proptest::prop_assert!(end.log_end <= 64 + buf.len() as u64);
        }
    }

    #[test]
    fn garbage_is_no_record() {
        let (got, end) = keys(&[0x54, 0x73, 0x52, 0x63, 1, 0, 1, 0, 9, 9, 9]);
        assert!(got.is_empty());
        assert_eq!(end.log_end, 64);
    }
}
