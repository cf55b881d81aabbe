//! A background thread that gives space back to the file system: it punches the holes of dead
//! records and removes volume files that compaction replaced.
//!
//! Both can take long on a fragmented file (ext4 frees extent by extent) and neither is needed
//! for correctness by the time it is queued: the deletes are durable and the old volume is no
//! longer named by the checkpoint. Tasks run in order; dropping the reclaimer waits for them.

use std::fs::File;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Sender};
use std::thread::JoinHandle;

use crate::volume;

enum Task {
    /// Punch these `[lo, hi)` ranges of this file (a duplicate of the volume's descriptor).
    Punch(File, Vec<(u64, u64)>),
    /// Remove this file, then sync its directory.
    Remove(PathBuf, PathBuf),
    /// Answer once every earlier task is done.
    Wait(Sender<()>),
}

/// The handle of the reclaiming thread.
#[derive(Debug)]
pub(crate) struct Reclaimer {
    tx: Option<Sender<Task>>,
    handle: Option<JoinHandle<()>>,
}

fn run(task: Task) {
    match task {
        // A failed punch or removal only delays reclaiming space: compaction or the next
        // writer's clean-up of orphans takes care of it.
        Task::Punch(file, ranges) => {
            for (lo, hi) in ranges {
                let _ = volume::punch(&file, lo, hi);
            }
        }
        Task::Remove(path, dir) => {
            let _ = std::fs::remove_file(&path);
            let _ = volume::sync_dir(&dir);
        }
        Task::Wait(ack) => {
            let _ = ack.send(());
        }
    }
}

impl Reclaimer {
    /// Starts the thread; without one, tasks run at once in the caller.
    pub(crate) fn start() -> Self {
        let (tx, rx) = channel::<Task>();
        let spawned = std::thread::Builder::new()
            .name("archive-reclaim".into())
            .spawn(move || {
                for task in rx {
                    run(task);
                }
            });
        match spawned {
            Ok(handle) => Self {
                tx: Some(tx),
                handle: Some(handle),
            },
            Err(_) => Self {
                tx: None,
                handle: None,
            },
        }
    }

    fn send(&self, task: Task) {
        match &self.tx {
            Some(tx) => {
                if let Err(e) = tx.send(task) {
                    run(e.0);
                }
            }
            None => run(task),
        }
    }

    /// Queues hole punching in `file`.
    pub(crate) fn punch(&self, file: File, ranges: Vec<(u64, u64)>) {
        self.send(Task::Punch(file, ranges));
    }

    /// Queues the removal of a replaced volume file.
    pub(crate) fn remove(&self, path: PathBuf, dir: PathBuf) {
        self.send(Task::Remove(path, dir));
    }

    /// Waits until every queued task is done.
    pub(crate) fn wait(&self) {
        let (ack, done) = channel();
        self.send(Task::Wait(ack));
        let _ = done.recv();
    }
}

impl Drop for Reclaimer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
