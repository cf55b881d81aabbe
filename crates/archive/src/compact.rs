//! Compaction: a volume whose garbage passes a threshold is rewritten with its live records
//! only, under the same id and the next generation, and switched in by a checkpoint.
//!
//! Order of the switch: write `ID.GEN+1.vol.tmp`, sync, rename, sync the directory; re-point
//! the index; checkpoint (from here on the new file is the volume); remove the old file. A crash
//! at any step leaves one of the two generations named by the checkpoint and the other an
//! orphan that the next writer removes.
//!
//! Two ways to run it: `compact()` rewrites every candidate now, sleeping between chunks to
//! stay under a byte rate; and, when `Options::auto_compact` is set, each commit advances a
//! background job by about as many bytes as it appended itself (at least `STEP_FLOOR`), so
//! compaction keeps pace with the foreground without ever stalling it for long.

use std::fs;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use crate::archive::Archive;
use crate::error::{Error, IoContext};
use crate::format::{
    encode_padding, encode_record, placement, record_len, Place, VOLUME_HEADER_LEN,
};
use crate::index::{Loc, VolumeRef};
use crate::volume::{self, Volume};

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
/// Least bytes a background step copies, so delete-only workloads still make progress.
const STEP_FLOOR: u64 = 256 * 1024;

/// A volume being rewritten: where the copy stands.
#[derive(Debug)]
pub(crate) struct Job {
    old: VolumeRef,
    new: Volume,
    /// Live records still to copy, in disk order, reversed so `pop` takes the next.
    queue: Vec<(Vec<u8>, Loc)>,
    moves: Vec<(Vec<u8>, Loc, Loc)>,
    buf: Vec<u8>,
    pos: u64,
}

enum Progress {
    Running,
    Done,
    Damaged(String),
}

impl Archive {
    /// Rewrites every volume whose garbage passes the policy's threshold.
    pub fn compact(&mut self, policy: CompactionPolicy) -> Result<CompactionReport, Error> {
        let mut report = CompactionReport::default();
        // A background job in flight is finished first.
        let running = self.writer.as_mut().and_then(|w| w.job.take());
        if let Some(job) = running {
            self.finish(job, policy, &mut report)?;
        }
        // Everything the log holds goes into the checkpoint first, so that no volume to be
        // rewritten is still needed for recovery.
        self.checkpoint()?;
        let candidates = self.candidates(policy, true);
        if let Some(&last) = candidates.last() {
            if Some(last) == self.volumes.keys().next_back().copied() {
                // The active volume is rewritten too: new writes go to a fresh one.
                self.start_volume(last + 1)?;
                self.checkpoint()?;
            }
        }
        for id in candidates {
            let job = self.start_job(id)?;
            self.finish(job, policy, &mut report)?;
        }
        // Asked for in the foreground, compaction returns once the space is back.
        self.reclaim();
        Ok(report)
    }

    /// Volumes whose garbage passes the threshold; the active one only if `with_active`.
    fn candidates(&self, policy: CompactionPolicy, with_active: bool) -> Vec<u32> {
        let Some(w) = self.writer.as_ref() else {
            return Vec::new();
        };
        let active = self.volumes.keys().next_back().copied();
        self.volumes
            .values()
            .filter(|v| {
                with_active || (Some(v.vref.id) != active && v.vref.id < w.checkpointed_last)
            })
            .filter(|v| !w.compaction_skip.contains(&v.vref.id))
            .filter(|v| {
                let size = v.len.saturating_sub(VOLUME_HEADER_LEN);
                let live = w.space.live_bytes(v.vref.id);
                size > 0 && (size - live.min(size)) as f64 >= policy.min_garbage_ratio * size as f64
            })
            .map(|v| v.vref.id)
            .collect()
    }

    /// One background step after a commit that appended `appended` bytes. Failures only
    /// stop compacting that volume for this session: the commit itself is already durable.
    pub(crate) fn compaction_step(&mut self, policy: CompactionPolicy, appended: u64) {
        let Some(w) = self.writer.as_mut() else {
            return;
        };
        let job = match w.job.take() {
            Some(job) => job,
            None => {
                let Some(id) = self.candidates(policy, false).first().copied() else {
                    return;
                };
                match self.start_job(id) {
                    Ok(job) => job,
                    Err(_) => return self.skip(id),
                }
            }
        };
        let id = job.old.id;
        let mut job = job;
        let budget = appended.max(STEP_FLOOR);
        match self.copy(&mut job, budget, policy) {
            Ok(Progress::Running) => {
                if let Some(w) = self.writer.as_mut() {
                    w.job = Some(job);
                }
            }
            Ok(Progress::Done) => {
                if self.switch(job).is_err() {
                    self.skip(id);
                }
            }
            Ok(Progress::Damaged(_)) | Err(_) => {
                abandon(job);
                self.skip(id);
            }
        }
    }

    fn skip(&mut self, id: u32) {
        if let Some(w) = self.writer.as_mut() {
            w.compaction_skip.push(id);
        }
    }

    fn finish(
        &mut self,
        mut job: Job,
        policy: CompactionPolicy,
        report: &mut CompactionReport,
    ) -> Result<(), Error> {
        match self.copy(&mut job, u64::MAX, policy)? {
            Progress::Damaged(key) => {
                // A damaged record cannot be copied; the whole volume stays as it is.
                report.damaged_keys.push(key);
                abandon(job);
                Ok(())
            }
            Progress::Running | Progress::Done => {
                report.volumes += 1;
                report.bytes_copied += self.switch(job)?;
                Ok(())
            }
        }
    }

    fn start_job(&mut self, id: u32) -> Result<Job, Error> {
        let old = self.volumes.get(&id).ok_or(Error::ReadOnly)?.vref;
        let mut queue: Vec<(Vec<u8>, Loc)> = self
            .index
            .iter()
            .filter(|(_, l)| l.volume == id)
            .map(|(k, l)| (k.to_vec(), l))
            .collect();
        queue.sort_by_key(|(_, l)| std::cmp::Reverse(l.offset));
        let new_ref = VolumeRef {
            id,
            generation: old.generation + 1,
        };
        let new = volume::create(&self.dir, new_ref, self.salt, true)?;
        let pos = new.len;
        Ok(Job {
            old,
            new,
            queue,
            moves: Vec::new(),
            buf: Vec::with_capacity(CHUNK),
            pos,
        })
    }

    /// Copies live records until `budget` bytes are done or the queue is empty.
    fn copy(
        &mut self,
        job: &mut Job,
        budget: u64,
        policy: CompactionPolicy,
    ) -> Result<Progress, Error> {
        let id = job.old.id;
        let mut done = 0u64;
        while done < budget {
            let Some((key, loc)) = job.queue.pop() else {
                flush(&mut job.new, &mut job.buf, policy)?;
                return Ok(Progress::Done);
            };
            if self.index.get(&key) != Some(loc) {
                continue; // Overwritten or deleted since the job started.
            }
            let value = match self.read_at(&key, loc) {
                Ok(v) => v,
                Err(Error::Damaged { key, .. }) => return Ok(Progress::Damaged(key)),
                Err(e) => return Err(e),
            };
            let place = |offset| Place {
                salt: self.salt,
                volume: id,
                offset,
            };
            let (start, pad) = placement(job.pos, key.len(), value.len() as u64);
            if pad > 0 {
                encode_padding(&mut job.buf, place(job.pos), pad);
            }
            encode_record(&mut job.buf, place(start), 0, &key, &value);
            let len = record_len(key.len(), value.len() as u64);
            job.pos = start + len;
            done += len + pad;
            job.moves.push((
                key,
                loc,
                Loc {
                    offset: start,
                    ..loc
                },
            ));
            if job.buf.len() >= CHUNK {
                flush(&mut job.new, &mut job.buf, policy)?;
            }
        }
        flush(&mut job.new, &mut job.buf, policy)?;
        Ok(if job.queue.is_empty() {
            Progress::Done
        } else {
            Progress::Running
        })
    }

    /// Puts the rewritten volume in place of the old one; returns the bytes it holds.
    fn switch(&mut self, job: Job) -> Result<u64, Error> {
        let Job {
            old,
            mut new,
            moves,
            ..
        } = job;
        let id = old.id;
        new.file.sync_all().at(&new.path)?;
        let final_path = self.dir.join(volume::file_name(new.vref));
        fs::rename(&new.path, &final_path).at(&final_path)?;
        volume::sync_dir(&self.dir)?;
        new.path = final_path;
        let copied = new.len - VOLUME_HEADER_LEN;
        let old_path = self.dir.join(volume::file_name(old));
        self.volumes.insert(id, new);
        for (key, from, to) in &moves {
            self.index.relocate(key, *from, *to);
        }
        if let Some(w) = self.writer.as_mut() {
            // Holes still to punch in the old file are moot: it is about to go.
            w.dead.retain(|d| d.0 != id);
            w.space.drop_volume(id);
            for (key, _, to) in &moves {
                if self.index.get(key) == Some(*to) {
                    let end = to.offset + record_len(key.len(), u64::from(to.value_len));
                    w.space.add(id, to.offset, end);
                }
            }
        }
        self.checkpoint()?;
        // Freeing a fragmented file's blocks can take seconds: the reclaimer does it.
        if let Some(w) = self.writer.as_ref() {
            w.reclaimer.remove(old_path, self.dir.clone());
        }
        Ok(copied)
    }

    /// Drops a background job that has not switched (the writer is closing).
    pub(crate) fn abandon_job(&mut self) {
        if let Some(job) = self.writer.as_mut().and_then(|w| w.job.take()) {
            abandon(job);
        }
    }
}

fn abandon(job: Job) {
    let path = job.new.path.clone();
    drop(job);
    // Left behind, the next writer removes it as a leftover temporary file.
    let _ = fs::remove_file(path);
}

fn flush(vol: &mut Volume, buf: &mut Vec<u8>, policy: CompactionPolicy) -> Result<(), Error> {
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
