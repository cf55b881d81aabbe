//! An embedded store for lots of small objects: append-only, checksummed volumes, one writer
//! per directory with group commit, and a compact sorted index checkpointed from the log.
//!
//! The crate knows files and nothing of Tocsin. Start with [`Archive::open_write`] or
//! [`Archive::open_read`].

mod archive;
mod compact;
mod error;
pub mod format;
mod import;
mod index;
mod keycodec;
mod reclaimer;
pub mod recovery;
mod space;
mod volume;
mod writer;

pub use archive::{Archive, Damage, Options, Stats};
pub use compact::{CompactionPolicy, CompactionReport};
pub use error::Error;
pub use import::{read_hybrid, ImportReport, IMPORT_MARKER};
pub use writer::{check_key, Op};
