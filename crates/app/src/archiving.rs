//! Keeps raw alert bodies and every message sent in the small-object archive, committing
//! several objects per durability point off the async threads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tocsin_archive::{Archive, Op};

/// The archive, if the server has one.
#[derive(Clone)]
pub struct Archiver {
    archive: Option<Arc<Mutex<Archive>>>,
    /// Tells this process's keys from an earlier run's.
    boot: u64,
    seq: Arc<AtomicU64>,
}

impl Archiver {
    /// Objects go to `archive`; `boot` must differ between runs (e.g. the start time).
    pub fn new(archive: Option<Archive>, boot: u64) -> Self {
        Archiver {
            archive: archive.map(|a| Arc::new(Mutex::new(a))),
            boot,
            seq: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Whether objects are kept at all.
    pub fn enabled(&self) -> bool {
        self.archive.is_some()
    }

    /// A fresh key under `prefix`, unique across runs: `prefix/BOOT-SEQ`.
    pub fn key(&self, prefix: &str) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}/{:016x}-{n:08}", self.boot)
    }

    /// The object under `key`, read off the async threads: `None` when there is none or the
    /// server keeps no archive; an error names what failed (a damaged record never returns).
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(archive) = self.archive.clone() else {
            return Ok(None);
        };
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || {
            let archive = archive
                .lock()
                .map_err(|_| "archive lock poisoned".to_owned())?;
            archive.get(&key).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("archive task failed: {e}"))?
    }

    /// Stores every (key, bytes) pair with one durability point; returns once they are on
    /// disk. Without an archive it does nothing.
    pub async fn put_all(&self, objects: Vec<(String, Vec<u8>)>) -> Result<(), String> {
        let Some(archive) = self.archive.clone() else {
            return Ok(());
        };
        if objects.is_empty() {
            return Ok(());
        }
        tokio::task::spawn_blocking(move || {
            let ops: Vec<Op<'_>> = objects
                .iter()
                .map(|(k, v)| Op::Put(k.as_str(), v.as_slice()))
                .collect();
            let mut archive = archive
                .lock()
                .map_err(|_| "archive lock poisoned".to_owned())?;
            archive.commit(&ops).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("archive task failed: {e}"))?
    }
}
