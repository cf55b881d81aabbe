//! Volume files on disk: names, creation, positioned reads and writes, hole punching, and the
//! directory-level helpers (locking, syncing) the archive needs.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext};
use crate::format::{DecodeError, VolumeHeader, BLOCK, VOLUME_HEADER_LEN};
use crate::index::VolumeRef;

/// An open volume.
#[derive(Debug)]
pub struct Volume {
    /// Which volume file this is.
    pub vref: VolumeRef,
    /// The open file, kept for every read.
    pub file: File,
    /// Where the log in this volume ends.
    pub len: u64,
    /// Where the file ends: past `len` a writer keeps blocks allocated ahead (reading as
    /// zeros), so that appends need not grow the file on every batch.
    pub file_end: u64,
    /// Its path, for error messages.
    pub path: PathBuf,
}

/// The file name of a volume.
pub fn file_name(v: VolumeRef) -> String {
    format!("{:08}.{}.vol", v.id, v.generation)
}

/// The volume a file name names, if it is one.
pub fn parse_name(name: &str) -> Option<VolumeRef> {
    let stem = name.strip_suffix(".vol")?;
    let (id, generation) = stem.split_once('.')?;
    if id.len() != 8 || !id.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(VolumeRef {
        id: id.parse().ok()?,
        generation: generation.parse().ok()?,
    })
}

/// Volume files in `dir`, sorted, and leftover temporary files.
pub fn list(dir: &Path) -> Result<(Vec<VolumeRef>, Vec<PathBuf>), Error> {
    let mut vols = Vec::new();
    let mut temps = Vec::new();
    for entry in fs::read_dir(dir).at(dir)? {
        let entry = entry.at(dir)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(v) = parse_name(name) {
            vols.push(v);
        } else if name.ends_with(".tmp") {
            temps.push(entry.path());
        }
    }
    vols.sort();
    Ok((vols, temps))
}

/// Creates a volume file with its header, durably.
pub fn create(dir: &Path, vref: VolumeRef, salt: u64, temp: bool) -> Result<Volume, Error> {
    let mut path = dir.join(file_name(vref));
    if temp {
        path.as_mut_os_string().push(".tmp");
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .at(&path)?;
    let header = VolumeHeader {
        id: vref.id,
        generation: vref.generation,
        salt,
    };
    file.write_all_at(&header.encode(), 0).at(&path)?;
    file.sync_all().at(&path)?;
    sync_dir(dir)?;
    Ok(Volume {
        vref,
        file,
        len: VOLUME_HEADER_LEN,
        file_end: VOLUME_HEADER_LEN,
        path,
    })
}

/// Opens an existing volume and checks its header against its name.
pub fn open(dir: &Path, vref: VolumeRef, writable: bool) -> Result<(Volume, u64), Error> {
    let path = dir.join(file_name(vref));
    let file = OpenOptions::new()
        .read(true)
        .write(writable)
        .open(&path)
        .at(&path)?;
    let len = file.metadata().at(&path)?.len();
    let mut buf = [0u8; VOLUME_HEADER_LEN as usize];
    let got = read_up_to(&file, &mut buf, 0).at(&path)?;
    let header = VolumeHeader::decode(&buf[..got]).map_err(|e| header_error(&path, e))?;
    if header.id != vref.id || header.generation != vref.generation {
        return Err(Error::Corrupt {
            path,
            reason: "volume header does not match its file name".into(),
        });
    }
    let vol = Volume {
        vref,
        file,
        len,
        file_end: len,
        path,
    };
    Ok((vol, header.salt))
}

/// The error for a volume or index header that does not decode.
pub fn header_error(path: &Path, e: DecodeError) -> Error {
    match e {
        DecodeError::Version(found) => Error::UnsupportedVersion {
            path: path.to_owned(),
            found,
            supported: u32::from(crate::format::FORMAT_VERSION),
        },
        other => Error::Corrupt {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    }
}

impl Volume {
    /// Makes sure the file is allocated up to past `needed`, a chunk at a time: appends then
    /// land in blocks the file already has, below its size, and `fdatasync` need not journal
    /// a new size and new blocks on every batch. Without `fallocate`, plain appends it is.
    pub fn reserve(&mut self, needed: u64) -> Result<(), Error> {
        if needed <= self.file_end {
            return Ok(());
        }
        // About 32 batches like this one ahead, and no more than 1/16 of the volume so far:
        // deletes (small tombstones) reserve little, bulk puts reserve a lot.
        let batch = needed - self.len;
        let chunk = (batch * 32)
            .min(self.len / 16)
            .clamp(64 * 1024, 8 * 1024 * 1024);
        let new_end = (needed + chunk).div_ceil(BLOCK) * BLOCK;
        let (Ok(off), Ok(len)) = (
            i64::try_from(self.file_end),
            i64::try_from(new_end - self.file_end),
        ) else {
            return Ok(());
        };
        // SAFETY: fallocate only reads its integer arguments; `self.file` owns the descriptor.
        let rc = unsafe { libc::fallocate(self.file.as_raw_fd(), 0, off, len) };
        self.file_end = if rc == 0 { new_end } else { needed };
        Ok(())
    }

    /// Gives back the blocks allocated ahead of the end of the log.
    pub fn trim(&mut self) -> Result<(), Error> {
        if self.file_end > self.len {
            self.file.set_len(self.len).at(&self.path)?;
            self.file_end = self.len;
        }
        Ok(())
    }
}

/// Reads as many bytes as the file has at `offset`, up to `buf.len()`.
pub fn read_up_to(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Gives the blocks of `[start, end)` back to the file system, keeping the file's size.
/// File systems without hole punching leave the space to compaction.
pub fn punch(file: &File, start: u64, end: u64) -> io::Result<()> {
    let (Ok(off), Ok(len)) = (i64::try_from(start), i64::try_from(end - start)) else {
        return Ok(());
    };
    // SAFETY: fallocate only reads its integer arguments; the descriptor is owned by `file`,
    // which outlives the call.
    let rc = unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            off,
            len,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => Ok(()),
        _ => Err(err),
    }
}

/// Makes a directory's entries (creations, renames, removals) durable.
pub fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

/// Takes the archive's writer lock, or says who has it.
pub fn lock(dir: &Path) -> Result<File, Error> {
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .at(&path)?;
    // SAFETY: flock only takes the descriptor and flags; `file` stays open while locked.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            return Err(Error::Locked(dir.to_owned()));
        }
        return Err(Error::Io { path, source: err });
    }
    Ok(file)
}

/// Bytes the file system has allocated for `path` (`st_blocks * 512`).
pub fn allocated(path: &Path) -> Result<u64, Error> {
    use std::os::unix::fs::MetadataExt;
    Ok(fs::symlink_metadata(path).at(path)?.blocks() * 512)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let v = VolumeRef {
            id: 12,
            generation: 3,
        };
        assert_eq!(file_name(v), "00000012.3.vol");
        assert_eq!(parse_name(&file_name(v)), Some(v));
        assert_eq!(parse_name("00000012.3.vol.tmp"), None);
        assert_eq!(parse_name("12.3.vol"), None);
        assert_eq!(parse_name("index"), None);
    }
}
