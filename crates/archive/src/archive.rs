//! The archive: opening (with recovery), reads, listing, statistics and verification.
//! Writes live in `writer.rs`, compaction in `compact.rs`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::compact::CompactionPolicy;
use crate::error::{Error, IoContext};
use crate::format::{
    decode_record, record_len, Decoded, Place, FLAG_PADDING, FLAG_TOMBSTONE, RECORD_HEADER_LEN,
    VOLUME_HEADER_LEN,
};
use crate::index::{decode_checkpoint, Coverage, Index, Loc, VolumeRef};
use crate::recovery::{scan, Event};
use crate::space::Space;
use crate::volume::{self, Volume};

/// Name of the checkpoint file.
pub(crate) const INDEX_FILE: &str = "index";

/// Tuning of an archive opened for writing.
#[derive(Debug, Clone)]
pub struct Options {
    /// A new volume is started once the active one would pass this size.
    pub max_volume_bytes: u64,
    /// A checkpoint is written once this many bytes were appended since the last one.
    pub checkpoint_bytes: u64,
    /// Compact in the background, a step after each commit (`None`: only when asked).
    pub auto_compact: Option<CompactionPolicy>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_volume_bytes: 256 * 1024 * 1024,
            checkpoint_bytes: 64 * 1024 * 1024,
            auto_compact: Some(CompactionPolicy::default()),
        }
    }
}

/// Figures of `stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Live keys.
    pub objects: u64,
    /// Sum of live value lengths.
    pub live_bytes: u64,
    /// Bytes the file system allocated for the directory and every file in it.
    pub allocated_bytes: u64,
    /// Bytes allocated for the index checkpoint alone.
    pub index_bytes: u64,
    /// Number of volume files.
    pub volumes: u64,
}

/// A record `verify` found damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The key whose value is lost.
    pub key: String,
    /// Volume id.
    pub volume: u32,
    /// Record offset.
    pub offset: u64,
}

/// State only the process holding the writer lock has.
#[derive(Debug)]
pub(crate) struct WriterState {
    pub(crate) options: Options,
    pub(crate) space: Space,
    /// Tombstones past the last checkpoint: the log needs them until the next one.
    pub(crate) pinned: Vec<(u32, u64)>,
    /// Records dead since the last punching: `(volume, start, end)`.
    pub(crate) dead: Vec<(u32, u64, u64)>,
    pub(crate) appended_since_checkpoint: u64,
    /// The last volume at the last checkpoint: volumes before it are covered entirely.
    pub(crate) checkpointed_last: u32,
    /// The background compaction in flight.
    pub(crate) job: Option<crate::compact::Job>,
    /// Volumes background compaction gave up on for this session.
    pub(crate) compaction_skip: Vec<u32>,
    /// The thread that punches holes and removes replaced volumes.
    pub(crate) reclaimer: crate::reclaimer::Reclaimer,
    /// Held to the end (fields drop in order): the reclaimer finishes before another writer
    /// may start.
    pub(crate) _lock: File,
}

/// An open archive directory.
#[derive(Debug)]
pub struct Archive {
    pub(crate) dir: PathBuf,
    pub(crate) salt: u64,
    pub(crate) index: Index,
    pub(crate) volumes: BTreeMap<u32, Volume>,
    pub(crate) writer: Option<WriterState>,
}

impl Archive {
    /// Opens the archive in `dir` for reading only; other processes may write meanwhile.
    pub fn open_read(dir: &Path) -> Result<Self, Error> {
        if !dir.is_dir() || (!dir.join(INDEX_FILE).exists() && volume::list(dir)?.0.is_empty()) {
            return Err(Error::NotAnArchive(dir.to_owned()));
        }
        // A writer may checkpoint, punch and remove volumes while a reader opens: a reader
        // that saw the checkpoint change under it, or a volume vanish, starts again.
        let index_id = || {
            use std::os::unix::fs::MetadataExt;
            fs::metadata(dir.join(INDEX_FILE))
                .ok()
                .map(|m| (m.ino(), m.mtime_nsec(), m.len()))
        };
        let mut tries = 0;
        loop {
            tries += 1;
            let before = index_id();
            match Self::open_inner(dir, None) {
                Ok(a) if tries < 5 && index_id() != before => drop(a),
                Err(Error::Io { source, .. })
                    if source.kind() == ErrorKind::NotFound && tries < 5 => {}
                other => return other,
            }
        }
    }

    /// Opens (or creates) the archive in `dir` as its one writer, recovering from any crash.
    pub fn open_write(dir: &Path, options: Options) -> Result<Self, Error> {
        fs::create_dir_all(dir).at(dir)?;
        let lock = volume::lock(dir)?;
        let state = WriterState {
            _lock: lock,
            options,
            space: Space::default(),
            pinned: Vec::new(),
            dead: Vec::new(),
            appended_since_checkpoint: 0,
            checkpointed_last: 0,
            job: None,
            compaction_skip: Vec::new(),
            reclaimer: crate::reclaimer::Reclaimer::start(),
        };
        Self::open_inner(dir, Some(state))
    }

    fn open_inner(dir: &Path, mut writer: Option<WriterState>) -> Result<Self, Error> {
        let writable = writer.is_some();
        let index_path = dir.join(INDEX_FILE);
        let (mut index, cov, had_index) = match fs::read(&index_path) {
            Ok(b) => {
                let (i, c) =
                    decode_checkpoint(&b).map_err(|e| volume::header_error(&index_path, e))?;
                (i, c, true)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let cov = Coverage {
                    salt: 0,
                    volumes: Vec::new(),
                    tail_offset: 0,
                };
                (Index::default(), cov, false)
            }
            Err(e) => return Err(e).at(&index_path),
        };
        let (found, temps) = volume::list(dir)?;
        let max_known = cov.volumes.last().map_or(0, |v| v.id);
        let mut tail: Vec<VolumeRef> = Vec::new();
        for v in found {
            if cov.volumes.contains(&v) {
                continue;
            }
            if v.id > max_known && tail.last().is_none_or(|t| t.id != v.id) {
                tail.push(v);
            } else if writable {
                // Left by a compaction or a volume switch that did not finish, or finished.
                let p = dir.join(volume::file_name(v));
                fs::remove_file(&p).at(&p)?;
            }
        }
        if writable {
            for t in temps {
                fs::remove_file(&t).at(&t)?;
            }
        }
        let mut salt = cov.salt;
        let mut volumes = BTreeMap::new();
        for v in &cov.volumes {
            let (vol, s) = volume::open(dir, *v, writable)?;
            if had_index && s != salt {
                return Err(Error::Corrupt {
                    path: vol.path,
                    reason: "volume belongs to another archive".into(),
                });
            }
            volumes.insert(v.id, vol);
        }
        // The log past the checkpoint: the rest of its last volume, then newer volumes.
        let mut to_scan: Vec<(u32, u64)> = Vec::new();
        if let Some(last) = cov.volumes.last() {
            to_scan.push((last.id, cov.tail_offset));
        }
        let tail_count = tail.len();
        for (i, v) in tail.into_iter().enumerate() {
            match volume::open(dir, v, writable) {
                Ok((vol, s)) => {
                    if !had_index && volumes.is_empty() {
                        salt = s;
                    }
                    if s != salt {
                        return Err(Error::Corrupt {
                            path: vol.path,
                            reason: "volume belongs to another archive".into(),
                        });
                    }
                    volumes.insert(v.id, vol);
                    to_scan.push((v.id, VOLUME_HEADER_LEN));
                }
                Err(Error::Corrupt { path, .. })
                    if i + 1 == tail_count
                        && fs::metadata(&path).is_ok_and(|m| m.len() <= VOLUME_HEADER_LEN) =>
                {
                    // A volume whose creation was cut short (or, for a reader, is under way)
                    // holds no record yet.
                    if writable {
                        fs::remove_file(&path).at(&path)?;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let mut pinned = Vec::new();
        let mut appended = 0;
        let last_id = volumes.keys().next_back().copied();
        for (id, from) in to_scan {
            let Some(vol) = volumes.get_mut(&id) else {
                continue;
            };
            let len = vol.file.metadata().at(&vol.path)?.len();
            let mut buf = vec![0u8; len.saturating_sub(from) as usize];
            vol.file.read_exact_at(&mut buf, from).at(&vol.path)?;
            appended += buf.len() as u64;
            let end = scan(&buf, from, salt, id, &mut |e| match e {
                Event::Put {
                    key,
                    offset,
                    value_len,
                    ..
                } => {
                    let loc = Loc {
                        volume: id,
                        offset,
                        value_len: value_len as u32,
                    };
                    index.insert(key, loc);
                }
                Event::Delete { key, offset, .. } => {
                    index.remove(key);
                    pinned.push((id, offset));
                }
            });
            vol.len = len;
            if writable && Some(id) == last_id && end.log_end < len {
                // A torn write at the end of the log: nothing in it was acknowledged.
                vol.file.set_len(end.log_end).at(&vol.path)?;
                vol.file.sync_all().at(&vol.path)?;
                vol.len = end.log_end;
                vol.file_end = end.log_end;
            }
        }
        let mut archive = Self {
            dir: dir.to_owned(),
            salt,
            index,
            volumes,
            writer: None,
        };
        if let Some(w) = writer.as_mut() {
            w.appended_since_checkpoint = appended;
            w.checkpointed_last = cov.volumes.last().map_or(0, |v| v.id);
            for (key, loc) in archive.index.iter() {
                let end = loc.offset + record_len(key.len(), u64::from(loc.value_len));
                w.space.add(loc.volume, loc.offset, end);
            }
            for (vol, offset) in &pinned {
                if let Some(v) = archive.volumes.get(vol) {
                    let mut head = [0u8; RECORD_HEADER_LEN as usize];
                    v.file.read_exact_at(&mut head, *offset).at(&v.path)?;
                    let key_len = u64::from(u16::from_le_bytes([head[6], head[7]]));
                    w.space
                        .add(*vol, *offset, offset + RECORD_HEADER_LEN + key_len);
                }
            }
            w.pinned = pinned;
            // Appends go past every record the index knows, even if the file was cut short
            // from outside: a new record must never land where a known one is said to be.
            if let Some((id, vol)) = archive.volumes.iter_mut().next_back() {
                let known_end = w.space.end_of(*id);
                vol.len = vol.len.max(known_end);
            }
        }
        archive.writer = writer;
        if archive.writer.is_some() {
            if archive.volumes.is_empty() {
                if archive.salt == 0 {
                    archive.salt = new_salt();
                }
                archive.start_volume(1)?;
            }
            if !had_index {
                archive.checkpoint()?;
            }
        }
        Ok(archive)
    }

    /// The directory of the archive.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The value of `key`, read with one positioned read and checked; `None` when absent.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(loc) = self.index.get(key.as_bytes()) else {
            return Ok(None);
        };
        self.read_at(key.as_bytes(), loc).map(Some)
    }

    pub(crate) fn read_at(&self, key: &[u8], loc: Loc) -> Result<Vec<u8>, Error> {
        let damaged = || Error::Damaged {
            key: String::from_utf8_lossy(key).into_owned(),
            volume: loc.volume,
            offset: loc.offset,
        };
        let vol = self.volumes.get(&loc.volume).ok_or_else(damaged)?;
        let head = RECORD_HEADER_LEN as usize + key.len();
        let mut buf = vec![0u8; head + loc.value_len as usize];
        match vol.file.read_exact_at(&mut buf, loc.offset) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Err(damaged()),
            Err(e) => return Err(e).at(&vol.path),
        }
        let place = Place {
            salt: self.salt,
            volume: loc.volume,
            offset: loc.offset,
        };
        match decode_record(&buf, place) {
            Ok(Decoded::Whole(r))
                if r.key == key && r.flags & (FLAG_TOMBSTONE | FLAG_PADDING) == 0 =>
            {
                buf.drain(..head);
                Ok(buf)
            }
            _ => Err(damaged()),
        }
    }

    /// Live keys starting with `prefix`, in byte order (a range scan of the index).
    pub fn list<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.index
            .scan_prefix(prefix.as_bytes())
            .filter_map(|(k, _)| std::str::from_utf8(k).ok())
    }

    /// True when `key` is live.
    pub fn contains(&self, key: &str) -> bool {
        self.index.get(key.as_bytes()).is_some()
    }

    /// Objects, bytes and allocation of the archive.
    pub fn stats(&self) -> Result<Stats, Error> {
        let mut allocated = volume::allocated(&self.dir)?;
        for entry in fs::read_dir(&self.dir).at(&self.dir)? {
            let entry = entry.at(&self.dir)?;
            allocated += volume::allocated(&entry.path())?;
        }
        let index_path = self.dir.join(INDEX_FILE);
        let index_bytes = match volume::allocated(&index_path) {
            Ok(n) => n,
            Err(Error::Io { source, .. }) if source.kind() == ErrorKind::NotFound => 0,
            Err(e) => return Err(e),
        };
        Ok(Stats {
            objects: self.index.len() as u64,
            live_bytes: self.index.live_bytes(),
            allocated_bytes: allocated,
            index_bytes,
            volumes: self.volumes.len() as u64,
        })
    }

    /// Reads and checks every live record, in disk order; returns those that fail.
    pub fn verify(&self) -> Result<Vec<Damage>, Error> {
        let mut entries: Vec<(&[u8], Loc)> = self.index.iter().collect();
        entries.sort_by_key(|(_, l)| (l.volume, l.offset));
        let mut damage = Vec::new();
        for (key, loc) in entries {
            match self.read_at(key, loc) {
                Ok(_) => {}
                Err(Error::Damaged {
                    key,
                    volume,
                    offset,
                }) => damage.push(Damage {
                    key,
                    volume,
                    offset,
                }),
                Err(e) => return Err(e),
            }
        }
        Ok(damage)
    }
}

/// A random number for a new archive, from the standard library's hasher seed.
fn new_salt() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish() | 1
}
