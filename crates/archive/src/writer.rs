//! Writes: group commit of a batch of puts and deletes, hole punching, checkpoints.
//!
//! A batch is encoded into one buffer, appended with one positioned write and made durable with
//! one `fdatasync`. Since every record carries its key, the batch's index entries are durable
//! at that moment too (the log is the index's journal); only then is the batch applied to the
//! in-memory index and acknowledged, and only then are the dead records' blocks punched.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;

use crate::archive::{Archive, WriterState, INDEX_FILE};
use crate::error::{Error, IoContext};
use crate::format::{
    encode_padding, encode_record, placement, record_len, Place, FLAG_TOMBSTONE, MAX_KEY_LEN,
    MAX_VALUE_LEN, VOLUME_HEADER_LEN,
};
use crate::index::{encode_checkpoint, Coverage, Loc, VolumeRef};
use crate::volume;

/// Dead records gathered before their blocks are punched together.
const PUNCH_GROUP: usize = 65_536;

/// One change in a batch.
#[derive(Debug, Clone, Copy)]
pub enum Op<'a> {
    /// Set `key` to the value.
    Put(&'a str, &'a [u8]),
    /// Delete `key` (nothing happens when it is absent).
    Delete(&'a str),
}

/// Checks a key against the contract: 1 to 1024 bytes of UTF-8 (guaranteed by `str`), no NUL.
pub fn check_key(key: &str) -> Result<(), Error> {
    let reason = if key.is_empty() {
        "empty"
    } else if key.len() > MAX_KEY_LEN {
        "longer than 1024 bytes"
    } else if key.contains('\0') {
        "contains NUL"
    } else {
        return Ok(());
    };
    Err(Error::InvalidKey {
        key: key.chars().take(80).collect(),
        reason,
    })
}

impl Archive {
    fn writer_mut(&mut self) -> Result<&mut WriterState, Error> {
        self.writer.as_mut().ok_or(Error::ReadOnly)
    }

    /// Stores `value` under `key`, durably.
    pub fn put(&mut self, key: &str, value: &[u8]) -> Result<(), Error> {
        self.commit(&[Op::Put(key, value)])
    }

    /// Deletes `key`, durably; absent keys are fine.
    pub fn delete(&mut self, key: &str) -> Result<(), Error> {
        self.commit(&[Op::Delete(key)])
    }

    /// Applies a batch: one append, one `fdatasync`; returns once all of it is durable.
    pub fn commit(&mut self, ops: &[Op<'_>]) -> Result<(), Error> {
        self.writer_mut()?;
        for op in ops {
            let (Op::Put(key, _) | Op::Delete(key)) = op;
            check_key(key)?;
            if let Op::Put(key, value) = op {
                if value.len() as u64 > MAX_VALUE_LEN {
                    return Err(Error::ValueTooLarge {
                        key: (*key).into(),
                        len: value.len() as u64,
                        max: MAX_VALUE_LEN,
                    });
                }
            }
        }
        let estimate: u64 = ops
            .iter()
            .map(|op| match op {
                Op::Put(k, v) => record_len(k.len(), v.len() as u64) + 8192,
                Op::Delete(k) => record_len(k.len(), 0),
            })
            .sum();
        let (active_id, active_len) = self.active()?;
        let max = self.writer_mut()?.options.max_volume_bytes;
        let active_id = if active_len > VOLUME_HEADER_LEN && active_len + estimate > max {
            self.start_volume(active_id + 1)?;
            active_id + 1
        } else {
            active_id
        };
        let salt = self.salt;
        let base = self.volumes.get(&active_id).ok_or(Error::ReadOnly)?.len;
        let place = |offset| Place {
            salt,
            volume: active_id,
            offset,
        };
        let mut buf = Vec::with_capacity(estimate.min(1 << 30) as usize);
        let mut at = Vec::with_capacity(ops.len());
        let mut put_here: HashSet<&str> = HashSet::new();
        for op in ops {
            let pos = base + buf.len() as u64;
            match op {
                Op::Put(key, value) => {
                    let (start, pad) = placement(pos, key.len(), value.len() as u64);
                    if pad > 0 {
                        encode_padding(&mut buf, place(pos), pad);
                    }
                    encode_record(&mut buf, place(start), 0, key.as_bytes(), value);
                    at.push(Some(start));
                    put_here.insert(key);
                }
                Op::Delete(key) => {
                    if self.index.get(key.as_bytes()).is_some() || put_here.contains(key) {
                        encode_record(&mut buf, place(pos), FLAG_TOMBSTONE, key.as_bytes(), &[]);
                        at.push(Some(pos));
                    } else {
                        at.push(None);
                    }
                }
            }
        }
        if buf.is_empty() {
            return Ok(());
        }
        let vol = self.volumes.get_mut(&active_id).ok_or(Error::ReadOnly)?;
        vol.reserve(base + buf.len() as u64)?;
        let written = vol
            .file
            .write_all_at(&buf, base)
            .and_then(|()| vol.file.sync_data());
        if let Err(e) = written {
            // Cut whatever part made it so the next batch starts on a clean end.
            let _ = vol.file.set_len(base);
            vol.file_end = base;
            return Err(e).at(&vol.path);
        }
        vol.len = base + buf.len() as u64;
        // Durable: apply to the index, then give dead records' blocks back.
        let mut dead = Vec::new();
        let mut pinned = Vec::new();
        for (op, start) in ops.iter().zip(at) {
            let Some(start) = start else { continue };
            match op {
                Op::Put(key, value) => {
                    let loc = Loc {
                        volume: active_id,
                        offset: start,
                        value_len: value.len() as u32,
                    };
                    if let Some(old) = self.index.insert(key.as_bytes(), loc) {
                        dead.push(old);
                    }
                    let len = record_len(key.len(), value.len() as u64);
                    let w = self.writer_mut()?;
                    w.space.add(active_id, start, start + len);
                }
                Op::Delete(key) => {
                    if let Some(old) = self.index.remove(key.as_bytes()) {
                        dead.push(old);
                    }
                    let w = self.writer_mut()?;
                    w.space
                        .add(active_id, start, start + record_len(key.len(), 0));
                    pinned.push((active_id, start));
                }
            }
        }
        let w = self.writer_mut()?;
        w.pinned.extend(pinned);
        w.appended_since_checkpoint += buf.len() as u64;
        let checkpoint_due = w.appended_since_checkpoint >= w.options.checkpoint_bytes;
        for old in dead {
            self.release(old.volume, old.offset);
        }
        if checkpoint_due {
            self.checkpoint()?;
        }
        let auto = self.writer.as_ref().and_then(|w| w.options.auto_compact);
        if let Some(policy) = auto {
            self.compaction_step(policy, buf.len() as u64);
        }
        Ok(())
    }

    /// Marks the record at `offset` dead; its blocks are punched with the next group.
    pub(crate) fn release(&mut self, volume_id: u32, offset: u64) {
        let Some(w) = self.writer.as_mut() else {
            return;
        };
        let Some(end) = w.space.remove(volume_id, offset) else {
            return;
        };
        w.dead.push((volume_id, offset, end));
        if w.dead.len() >= PUNCH_GROUP {
            self.queue_reclaim();
        }
    }

    /// Gives the file system back the whole blocks of every dead gap, and waits until it is
    /// done. Punching in groups, in disk order, costs far fewer calls than one per record
    /// between `fdatasync`s and sees neighbours that died together as one gap.
    pub fn reclaim(&mut self) {
        self.queue_reclaim();
        if let Some(w) = self.writer.as_ref() {
            w.reclaimer.wait();
        }
    }

    /// Hands the dead gaps' whole blocks to the reclaiming thread, one range per merged gap.
    pub(crate) fn queue_reclaim(&mut self) {
        let Some(w) = self.writer.as_mut() else {
            return;
        };
        let mut ranges: Vec<(u32, u64, u64)> = Vec::with_capacity(w.dead.len());
        for (vol, start, end) in w.dead.drain(..) {
            let Some(v) = self.volumes.get(&vol) else {
                continue;
            };
            if let Some((lo, hi)) = w.space.dead_blocks(vol, start, end, v.len) {
                ranges.push((vol, lo, hi));
            }
        }
        ranges.sort_unstable();
        let mut merged: BTreeMap<u32, Vec<(u64, u64)>> = BTreeMap::new();
        for (vol, lo, hi) in ranges {
            let list = merged.entry(vol).or_default();
            match list.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => list.push((lo, hi)),
            }
        }
        for (vol, list) in merged {
            let Some(v) = self.volumes.get(&vol) else {
                continue;
            };
            // The thread punches through its own descriptor, so it may outlive the volume.
            if let Ok(file) = v.file.try_clone() {
                w.reclaimer.punch(file, list);
            }
        }
    }

    /// The active volume's id and length.
    pub(crate) fn active(&self) -> Result<(u32, u64), Error> {
        self.volumes
            .iter()
            .next_back()
            .map(|(id, v)| (*id, v.len))
            .ok_or(Error::ReadOnly)
    }

    /// Starts a new, empty volume with id `id`.
    pub(crate) fn start_volume(&mut self, id: u32) -> Result<(), Error> {
        if let Some(last) = self.volumes.values_mut().next_back() {
            last.trim()?;
        }
        let vref = VolumeRef { id, generation: 0 };
        let vol = volume::create(&self.dir, vref, self.salt, false)?;
        self.volumes.insert(id, vol);
        Ok(())
    }

    /// Writes the whole index as a checkpoint, atomically, then releases the tombstones the
    /// log no longer needs.
    pub fn checkpoint(&mut self) -> Result<(), Error> {
        self.writer_mut()?;
        let cov = Coverage {
            salt: self.salt,
            volumes: self.volumes.values().map(|v| v.vref).collect(),
            tail_offset: self.active()?.1,
        };
        let bytes = encode_checkpoint(&self.index, &cov);
        let tmp = self.dir.join("index.tmp");
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .at(&tmp)?;
        f.write_all(&bytes).at(&tmp)?;
        f.sync_all().at(&tmp)?;
        let path = self.dir.join(INDEX_FILE);
        fs::rename(&tmp, &path).at(&path)?;
        volume::sync_dir(&self.dir)?;
        let last = cov.volumes.last().map_or(0, |v| v.id);
        let w = self.writer_mut()?;
        w.appended_since_checkpoint = 0;
        w.checkpointed_last = last;
        let pinned = std::mem::take(&mut w.pinned);
        for (vol, offset) in pinned {
            self.release(vol, offset);
        }
        self.queue_reclaim();
        Ok(())
    }

    /// Closes the archive; a writer checkpoints what it appended so the next open reads the
    /// index alone.
    pub fn close(mut self) -> Result<(), Error> {
        self.abandon_job();
        let due = self
            .writer
            .as_ref()
            .is_some_and(|w| w.appended_since_checkpoint > 0 || !w.pinned.is_empty());
        if due {
            self.checkpoint()?;
        }
        if self.writer.is_some() {
            self.reclaim();
            if let Some(last) = self.volumes.values_mut().next_back() {
                last.trim()?;
            }
        }
        Ok(())
    }
}
