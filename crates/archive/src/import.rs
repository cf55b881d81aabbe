//! Adopting a file-per-object tree, and the hybrid read path that serves keys from that tree
//! while the import runs.
//!
//! The importing writer first leaves a marker file in the archive naming the source tree;
//! any reader that misses a key while the marker exists looks in the tree. The marker goes
//! only when every file is durably in the archive (and, if asked, removed from the source).

use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::archive::Archive;
use crate::error::{Error, IoContext};
use crate::volume::sync_dir;
use crate::writer::Op;

/// The marker file naming the tree an import is reading.
pub const IMPORT_MARKER: &str = "import-source";

/// Files per batch, and bytes per batch, during an import.
const IMPORT_BATCH_FILES: usize = 64;
const IMPORT_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Files stored.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Source files removed.
    pub removed: u64,
}

impl Archive {
    /// Stores every regular file below `src` under its relative path; `on_durable` hears each
    /// key once it is durable. With `remove_source`, the files are removed afterwards.
    pub fn import_tree(
        &mut self,
        src: &Path,
        remove_source: bool,
        on_durable: &mut dyn FnMut(&str),
    ) -> Result<ImportReport, Error> {
        let src = fs::canonicalize(src).at(src)?;
        if !src.is_dir() {
            return Err(Error::Io {
                path: src,
                source: std::io::Error::new(ErrorKind::InvalidInput, "not a directory"),
            });
        }
        self.write_marker(&src)?;
        let mut report = ImportReport::default();
        let mut batch: Vec<(String, Vec<u8>)> = Vec::new();
        let mut batch_bytes = 0;
        let mut files = Vec::new();
        let own = fs::canonicalize(&self.dir).at(&self.dir)?;
        walk(&src, &own, &mut files)?;
        for (key, path) in files {
            let data = match fs::read(&path) {
                Ok(d) => d,
                // Removed by someone else since the walk: nothing to adopt.
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e).at(&path),
            };
            batch_bytes += data.len();
            batch.push((key, data));
            if batch.len() >= IMPORT_BATCH_FILES || batch_bytes >= IMPORT_BATCH_BYTES {
                self.import_batch(&mut batch, &mut report, on_durable)?;
                batch_bytes = 0;
            }
        }
        self.import_batch(&mut batch, &mut report, on_durable)?;
        self.checkpoint()?;
        if remove_source {
            let mut again = Vec::new();
            walk(&src, &own, &mut again)?;
            for (key, path) in again {
                if self.contains(&key) {
                    fs::remove_file(&path).at(&path)?;
                    report.removed += 1;
                }
            }
            remove_empty_dirs(&src)?;
        }
        let marker = self.dir.join(IMPORT_MARKER);
        fs::remove_file(&marker).at(&marker)?;
        sync_dir(&self.dir)?;
        Ok(report)
    }

    fn import_batch(
        &mut self,
        batch: &mut Vec<(String, Vec<u8>)>,
        report: &mut ImportReport,
        on_durable: &mut dyn FnMut(&str),
    ) -> Result<(), Error> {
        let ops: Vec<Op<'_>> = batch.iter().map(|(k, v)| Op::Put(k, v)).collect();
        self.commit(&ops)?;
        for (key, data) in batch.drain(..) {
            report.files += 1;
            report.bytes += data.len() as u64;
            on_durable(&key);
        }
        Ok(())
    }

    fn write_marker(&self, src: &Path) -> Result<(), Error> {
        let tmp = self.dir.join(format!("{IMPORT_MARKER}.tmp"));
        let mut f = fs::File::create(&tmp).at(&tmp)?;
        f.write_all(src.as_os_str().as_bytes()).at(&tmp)?;
        f.sync_all().at(&tmp)?;
        let path = self.dir.join(IMPORT_MARKER);
        fs::rename(&tmp, &path).at(&path)?;
        sync_dir(&self.dir)
    }
}

/// Regular files below `root` with their keys (relative paths with `/`), in sorted order;
/// the archive's own directory `own` is skipped should it lie inside the tree.
fn walk(root: &Path, own: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), Error> {
    let mut dirs = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = dirs.pop() {
        for entry in fs::read_dir(&dir).at(&dir)? {
            let entry = entry.at(&dir)?;
            let path = entry.path();
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(Error::InvalidKey {
                    key: path.to_string_lossy().into_owned(),
                    reason: "file name is not UTF-8",
                });
            };
            let key = if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}/{name}")
            };
            let kind = entry.file_type().at(&path)?;
            if kind.is_dir() {
                if path != own {
                    dirs.push((path, key));
                }
            } else if kind.is_file() {
                out.push((key, path));
            }
        }
    }
    out.sort();
    Ok(())
}

fn remove_empty_dirs(root: &Path) -> Result<(), Error> {
    for entry in fs::read_dir(root).at(root)? {
        let entry = entry.at(root)?;
        if entry.file_type().at(entry.path())?.is_dir() {
            let path = entry.path();
            remove_empty_dirs(&path)?;
            // A directory that still holds something (a symlink, a new file) stays.
            let _ = fs::remove_dir(&path);
        }
    }
    Ok(())
}

/// The tree named by a running (or interrupted) import, if any.
pub fn import_source(dir: &Path) -> Result<Option<PathBuf>, Error> {
    let path = dir.join(IMPORT_MARKER);
    match fs::read(&path) {
        Ok(b) => Ok(Some(PathBuf::from(std::ffi::OsStr::from_bytes(&b)))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).at(&path),
    }
}

/// `key` as a path inside the source tree, if it can be one (no `..`, no absolute path).
fn relative_path(key: &str) -> Option<PathBuf> {
    let plain = key
        .split('/')
        .all(|c| !c.is_empty() && c != "." && c != "..");
    plain.then(|| PathBuf::from(key))
}

/// Reads `key` from the archive in `dir`, or from the source tree of an import in progress.
pub fn read_hybrid(dir: &Path, key: &str) -> Result<Option<Vec<u8>>, Error> {
    for attempt in 0..2 {
        let source = import_source(dir)?;
        let archive = match Archive::open_read(dir) {
            Ok(a) => Some(a),
            Err(Error::NotAnArchive(_)) if source.is_some() => None,
            Err(e) => return Err(e),
        };
        if let Some(a) = &archive {
            match a.get(key) {
                Ok(Some(v)) => return Ok(Some(v)),
                Ok(None) => {}
                // A writer may have replaced and punched the record since this reader opened:
                // only damage that a fresh look still sees is reported.
                Err(Error::Damaged { .. }) if attempt == 0 => continue,
                Err(e) => return Err(e),
            }
        }
        let (Some(src), Some(rel)) = (source, relative_path(key)) else {
            return Ok(None);
        };
        let path = src.join(rel);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => match fs::read(&path) {
                Ok(v) => return Ok(Some(v)),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e).at(&path),
            },
            Ok(_) => return Ok(None),
            // The import may have just finished and removed it: look in the archive again.
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e).at(&path),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::relative_path;

    #[test]
    fn keys_never_escape_the_source() {
        assert!(relative_path("a/b.data").is_some());
        assert!(relative_path("../etc/passwd").is_none());
        assert!(relative_path("/etc/passwd").is_none());
        assert!(relative_path("a/./b").is_none());
        assert!(relative_path("a//b").is_none());
    }
}
