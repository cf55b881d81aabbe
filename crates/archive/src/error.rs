//! The archive's error type: one variant per situation a caller can act on.

use std::io;
use std::path::PathBuf;

/// What can go wrong in the archive.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file-system call failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// Another process holds the archive's writer lock.
    #[error("{}: another process is writing to this archive", .0.display())]
    Locked(PathBuf),
    /// The directory holds no archive.
    #[error("{}: no archive here", .0.display())]
    NotAnArchive(PathBuf),
    /// A key breaks the rules (1 to 1024 bytes of UTF-8 without NUL).
    #[error("invalid key {key:?}: {reason}")]
    InvalidKey {
        /// The key, lossily printed.
        key: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A value is larger than the archive takes.
    #[error("value of key {key:?} has {len} bytes, more than the {max} allowed")]
    ValueTooLarge {
        /// The key.
        key: String,
        /// The value's length.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// The record of a key fails its checksum: the value is lost, never returned wrong.
    #[error("key {key:?} is damaged (volume {volume}, offset {offset})")]
    Damaged {
        /// The key.
        key: String,
        /// Volume id.
        volume: u32,
        /// Offset of the record.
        offset: u64,
    },
    /// A file is in a format version this build does not read.
    #[error("{}: format version {found}, this build reads version {supported}", path.display())]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A file is not what the archive wrote.
    #[error("{}: corrupt: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A write was attempted on an archive opened for reading.
    #[error("the archive is open read-only")]
    ReadOnly,
}

/// Attaches a path to I/O errors.
pub trait IoContext<T> {
    /// Turns an `io::Error` into [`Error::Io`] naming `path`.
    fn at(self, path: impl Into<PathBuf>) -> Result<T, Error>;
}

impl<T> IoContext<T> for Result<T, io::Error> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T, Error> {
        self.map_err(|source| Error::Io {
            path: path.into(),
            source,
        })
    }
}
