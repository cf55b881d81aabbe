//! Compaction: a volume whose garbage passes a threshold is rewritten with its live records
//! only, under the same id and the next generation, and switched in by a checkpoint.
//!
//! Order of the switch: write `ID.GEN+1.vol.tmp`, sync, rename, sync the directory; re-point
//! the index; checkpoint (from here on the new file is the volume); remove the old file. A crash
//! at any step leaves one of the two generations named by the checkpoint and the other an
//! orphan that the next writer removes. Copying sleeps between chunks to stay under a byte
//! rate, so that a background compaction does not starve foreground work.

use std::fs;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use crate::archive::Archive;
use crate::error::{Error, IoContext};
use crate::format::{encode_padding, encode_record, placement, record_len, Place};
use crate::index::{Loc, VolumeRef};
use crate::volume;

/// When and how fast to compact.
#[derive(Debug, Clone, Copy)]
pub struct CompactionPolicy {
    /// Rewrite a volume once this share of its bytes is garbage (0.0 to 1.0).
    pub min_garbage_ratio: f64,
    /// Copy at most this many bytes per second (`None`: as fast as the disk goes).
    pub max_bytes_per_sec: Option<u64>,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        Self {
            min_garbage_ratio: 0.3,
            max_bytes_per_sec: None,
        }
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactionReport {
    /// Volumes rewritten.
    pub volumes: u64,
    /// Bytes of live records copied.
    pub bytes_copied: u64,
    /// Keys left where they were because their record is damaged.
    pub damaged_keys: Vec<String>,
}

const CHUNK: usize = 8 * 1024 * 1024;

impl Archive {
    /// Rewrites every volume whose garbage passes the policy's threshold.
    pub fn compact(&mut self, policy: CompactionPolicy) -> Result<CompactionReport, Error> {
        // Everything the log holds goes into the checkpoint first, so that no volume to be
        // rewritten is still needed for recovery.
        self.checkpoint()?;
        let mut report = CompactionReport::default();
        let candidates: Vec<u32> = {
            let w = self.writer.as_ref().ok_or(Error::ReadOnly)?;
            self.volumes
                .values()
                .filter(|v| {
                    let size = v.len.saturating_sub(crate::format::VOLUME_HEADER_LEN);
                    let live = w.space.live_bytes(v.vref.id);
                    size > 0
                        && (size - live.min(size)) as f64 >= policy.min_garbage_ratio * size as f64
                })
                .map(|v| v.vref.id)
                .collect()
        };
        if let Some(&last) = candidates.last() {
            if Some(last) == self.volumes.keys().next_back().copied() {
                // The active volume is rewritten too: new writes go to a fresh one.
                self.start_volume(last + 1)?;
                self.checkpoint()?;
            }
        }
        for id in candidates {
            self.compact_volume(id, policy, &mut report)?;
        }
        Ok(report)
    }

    fn compact_volume(
        &mut self,
        id: u32,
        policy: CompactionPolicy,
        report: &mut CompactionReport,
    ) -> Result<(), Error> {
        let Some(old) = self.volumes.get(&id) else {
            return Ok(());
        };
        let old_ref = old.vref;
        let mut live: Vec<(Vec<u8>, Loc)> = self
            .index
            .iter()
            .filter(|(_, l)| l.volume == id)
            .map(|(k, l)| (k.to_vec(), l))
            .collect();
        live.sort_by_key(|(_, l)| l.offset);
        let new_ref = VolumeRef {
            id,
            generation: old_ref.generation + 1,
        };
        let mut new = volume::create(&self.dir, new_ref, self.salt, true)?;
        let salt = self.salt;
        let place = |offset| Place {
            salt,
            volume: id,
            offset,
        };
        let mut buf = Vec::with_capacity(CHUNK);
        let mut moves = Vec::with_capacity(live.len());
        let mut pos = new.len;
        for (key, loc) in &live {
            let value = match self.read_at(key, *loc) {
                Ok(v) => v,
                Err(Error::Damaged { key, .. }) => {
                    // A damaged record cannot be copied; the whole volume stays as it is.
                    report.damaged_keys.push(key);
                    drop(new);
                    let _ = fs::remove_file(volume_tmp_path(self, new_ref));
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let (start, pad) = placement(pos, key.len(), value.len() as u64);
            if pad > 0 {
                encode_padding(&mut buf, place(pos), pad);
            }
            encode_record(&mut buf, place(start), 0, key, &value);
            pos = start + record_len(key.len(), value.len() as u64);
            let to = Loc {
                offset: start,
                ..*loc
            };
            moves.push((key, *loc, to));
            if buf.len() >= CHUNK {
                flush(&mut new, &mut buf, policy)?;
            }
        }
        flush(&mut new, &mut buf, policy)?;
        new.file.sync_all().at(&new.path)?;
        let final_path = self.dir.join(volume::file_name(new_ref));
        fs::rename(&new.path, &final_path).at(&final_path)?;
        volume::sync_dir(&self.dir)?;
        new.path = final_path;
        report.bytes_copied += new.len - crate::format::VOLUME_HEADER_LEN;
        report.volumes += 1;
        let old_path = self.dir.join(volume::file_name(old_ref));
        self.volumes.insert(id, new);
        if let Some(w) = self.writer.as_mut() {
            // Holes still to punch in the old file are moot: it is about to go.
            w.dead.retain(|d| d.0 != id);
            w.space.drop_volume(id);
            for (key, _, to) in &moves {
                let end = to.offset + record_len(key.len(), u64::from(to.value_len));
                w.space.add(id, to.offset, end);
            }
        }
        for (key, from, to) in &moves {
            self.index.relocate(key, *from, *to);
        }
        self.checkpoint()?;
        fs::remove_file(&old_path).at(&old_path)?;
        volume::sync_dir(&self.dir)
    }
}

fn volume_tmp_path(a: &Archive, v: VolumeRef) -> std::path::PathBuf {
    let mut p = a.dir.join(volume::file_name(v));
    p.as_mut_os_string().push(".tmp");
    p
}

fn flush(
    vol: &mut volume::Volume,
    buf: &mut Vec<u8>,
    policy: CompactionPolicy,
) -> Result<(), Error> {
    if buf.is_empty() {
        return Ok(());
    }
    vol.file.write_all_at(buf, vol.len).at(&vol.path)?;
    vol.len += buf.len() as u64;
    vol.file_end = vol.len;
    if let Some(rate) = policy.max_bytes_per_sec.filter(|r| *r > 0) {
        // Sleeping for the time the chunk is allowed to take keeps the rate at most `rate`
        // without reading a clock: the copying itself only adds to the pause.
        let secs = buf.len() as f64 / rate as f64;
        std::thread::sleep(Duration::from_secs_f64(secs));
    }
    buf.clear();
    Ok(())
}
