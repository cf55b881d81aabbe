//! The binary's edge with the machine: the one place the wall clock is read (everything
//! else takes time as an argument or through [`Clock`]), the async runtimes the
//! subcommands run on, and the signals that stop them.

use anyhow::Context;
use tocsin_app::Clock;

/// The wall clock, read at the edge only.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// The server's runtime: one worker per core.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A runtime on the calling thread, for one-shot commands talking to the database.
pub(crate) fn one_thread_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Completes on SIGTERM or Ctrl-C.
pub(crate) async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Held while `tocsin serve` runs on an SQLite database: a second `serve` on the same file
/// refuses to start (`shared/spec/ha.md`: SQLite stays one instance; several instances share
/// PostgreSQL). Other commands (`status export`, `users`) read and write beside a server and
/// take no lock.
pub(crate) struct InstanceLock {
    _file: std::fs::File,
}

/// Takes the instance lock of `database` when it is an SQLite file: an exclusive `flock` on
/// `PATH.lock`, released by the kernel when the process ends however it ends.
pub(crate) fn instance_lock(database: &str) -> anyhow::Result<Option<InstanceLock>> {
    use std::os::fd::AsRawFd;
    let Some(path) = database.strip_prefix("sqlite://") else {
        return Ok(None);
    };
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(":memory:") {
        return Ok(None);
    }
    let lock = format!("{path}.lock");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .with_context(|| format!("cannot open the instance lock {lock}"))?;
    // SAFETY: flock only takes the descriptor and flags; `file` stays open while locked.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            anyhow::bail!(
                "database {path} is in use by another `tocsin serve` (it holds {lock}): an SQLite \
                 database serves one instance; run several instances on PostgreSQL"
            );
        }
        return Err(err).with_context(|| format!("cannot lock {lock}"));
    }
    Ok(Some(InstanceLock { _file: file }))
}
