//! The binary's edge with the machine: the one place the wall clock is read (everything
//! else takes time as an argument or through [`Clock`]), the async runtimes the
//! subcommands run on, and the signals that stop them.

use std::sync::LazyLock;

use anyhow::Context;
use tocsin_app::clock::{ClockJumps, Sources, SteadyClock};
use tocsin_app::Clock;

/// The machine's clocks, read here only: the wall clock, and `Instant` (`CLOCK_MONOTONIC`)
/// for the time elapsed.
struct Machine {
    origin: std::time::Instant,
}

impl Sources for Machine {
    #[allow(clippy::disallowed_methods)]
    fn wall_ms(&self) -> i64 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            // Before 1970 (an NTP server answering 1752): negative, so the jump shows as such.
            Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
        }
    }

    fn monotonic_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// The process's one clock, anchored at the wall clock when first read; its jump record is
/// the one `/metrics` renders.
static STEADY: LazyLock<SteadyClock<Machine>> = LazyLock::new(|| {
    #[allow(clippy::disallowed_methods)]
    let origin = std::time::Instant::now();
    let clock = SteadyClock::new(Machine { origin });
    tocsin_app::clock::publish(clock.record());
    clock
});

/// The wall clock as the system sees it: [`SteadyClock`] on the machine's clocks, one for the
/// whole process (the machine has one wall clock), so that every `SystemClock` — the server's,
/// the archive's boot time, the one-shot commands' — hands out the same time that never goes
/// back nor leaps when the wall clock jumps.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        STEADY.now_ms()
    }

    fn jumps(&self) -> ClockJumps {
        STEADY.jumps()
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

/// Writes `bytes` to `path` through a hidden temporary file beside it and a rename, so that a
/// reader (a server reloading an inventory, a printer, cron) never sees half of it.
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The database at `url`, connected and migrated, for one-shot commands beside a server.
pub(crate) async fn open_database(url: &str) -> anyhow::Result<tocsin_store::AnyStore> {
    let store = tocsin_store::AnyStore::connect(url)
        .await
        .context("cannot open the database")?;
    tocsin_store::Store::migrate(&store)
        .await
        .context("cannot migrate the database")?;
    Ok(store)
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

/// Lowers the calling thread's scheduling priority to `nice` (Linux keeps one per thread).
/// A failure only costs the preference, so it is logged, not returned.
pub fn lower_thread_priority(nice: i32) {
    // SAFETY: gettid and setpriority take plain integers and touch no memory of ours.
    let done = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, nice)
    };
    if done != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "thread priority unchanged");
    }
}
