//! `tocsin archive …`: the command-line face of the small-object archive, per
//! `shared/spec/archive.md`, and its benchmark against a file per object and SQLite.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use tocsin_archive::{Archive, CompactionPolicy, Error, Op, Options};

/// Arguments of `tocsin archive`.
#[derive(Args)]
pub struct ArchiveArgs {
    /// The archive directory (accepted before or after the subcommand).
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: ArchiveCommand,
}

#[derive(Subcommand)]
enum ArchiveCommand {
    /// Store FILE (or - for stdin) under KEY; exits 0 once durable.
    Put { key: String, file: PathBuf },
    /// Write the value of KEY to stdout; exit 1 and "not found" when absent.
    Get { key: String },
    /// Delete KEY (exit 0 also when absent).
    Rm { key: String },
    /// List keys, one a line, in byte order.
    Ls {
        /// Only keys starting with this.
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Objects, bytes and allocation.
    Stat {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Read "KEY<TAB>FILE" lines on stdin; print "ok KEY" for each once durable.
    PutMany {
        /// Most puts that share one durability point.
        #[arg(long, default_value_t = 64)]
        batch: usize,
    },
    /// Adopt every regular file below SRC, keyed by its relative path.
    ImportTree {
        src: PathBuf,
        /// Remove the source files once they are all durably imported.
        #[arg(long)]
        remove_source: bool,
    },
    /// Check every record; exit 1 when any is damaged.
    Verify,
    /// Rewrite volumes whose garbage passes a threshold.
    Compact {
        /// Share of garbage (0 to 1) from which a volume is rewritten.
        #[arg(long, default_value_t = 0.3)]
        min_garbage: f64,
        /// Copy at most this many MiB per second.
        #[arg(long)]
        max_mib_per_s: Option<u64>,
    },
    /// Measure the archive against a file per object and SQLite on the same workload.
    Bench(bench::BenchArgs),
}

/// Runs an archive subcommand.
pub fn run(args: ArchiveArgs) -> anyhow::Result<ExitCode> {
    let Some(dir) = args.dir else {
        bail!("--dir DIR is required");
    };
    match args.command {
        ArchiveCommand::Put { key, file } => {
            let value = read_input(&file)?;
            let mut a = open_write(&dir)?;
            a.put(&key, &value)?;
            a.close()?;
        }
        ArchiveCommand::Get { key } => return get(&dir, &key),
        ArchiveCommand::Rm { key } => {
            tocsin_archive::check_key(&key)?;
            let mut a = open_write(&dir)?;
            a.delete(&key)?;
            a.close()?;
        }
        ArchiveCommand::Ls { prefix } => {
            let Some(a) = open_read(&dir)? else {
                return Ok(ExitCode::SUCCESS);
            };
            let mut out = std::io::stdout().lock();
            for key in a.list(&prefix) {
                writeln!(out, "{key}")?;
            }
            out.flush()?;
        }
        ArchiveCommand::Stat { json } => stat(&dir, json)?,
        ArchiveCommand::PutMany { batch } => put_many(&dir, batch.max(1))?,
        ArchiveCommand::ImportTree { src, remove_source } => {
            let mut a = open_write(&dir)?;
            let report = a.import_tree(&src, remove_source, &mut |_| {})?;
            a.close()?;
            eprintln!(
                "imported {} files ({} bytes); removed {} source files",
                report.files, report.bytes, report.removed
            );
        }
        ArchiveCommand::Verify => return verify(&dir),
        ArchiveCommand::Compact {
            min_garbage,
            max_mib_per_s,
        } => {
            if !(0.0..=1.0).contains(&min_garbage) {
                bail!("--min-garbage must be between 0 and 1, not {min_garbage}");
            }
            let mut a = open_write(&dir)?;
            let policy = CompactionPolicy {
                min_garbage_ratio: min_garbage,
                max_bytes_per_sec: max_mib_per_s.map(|m| m * 1024 * 1024),
            };
            let report = a.compact(policy)?;
            a.close()?;
            eprintln!(
                "compacted {} volumes, copied {} bytes",
                report.volumes, report.bytes_copied
            );
            for key in report.damaged_keys {
                eprintln!("left in place, damaged: {key}");
            }
        }
        ArchiveCommand::Bench(b) => return bench::run(&dir, &b),
    }
    Ok(ExitCode::SUCCESS)
}

fn open_write(dir: &Path) -> anyhow::Result<Archive> {
    // One command is too short a session for background compaction to finish a volume:
    // `compact` does it on request instead.
    let options = Options {
        auto_compact: None,
        ..Options::default()
    };
    Archive::open_write(dir, options)
        .with_context(|| format!("opening the archive in {} for writing", dir.display()))
}

/// The archive for reading; `None` for an existing directory that holds none yet.
fn open_read(dir: &Path) -> anyhow::Result<Option<Archive>> {
    match Archive::open_read(dir) {
        Ok(a) => Ok(Some(a)),
        Err(Error::NotAnArchive(_)) if dir.is_dir() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The bytes of FILE (or stdin for `-`), refusing anything over the archive's value limit
/// before reading it all.
fn read_input(file: &Path) -> anyhow::Result<Vec<u8>> {
    let max = tocsin_archive::format::MAX_VALUE_LEN;
    let mut value = Vec::new();
    if file == Path::new("-") {
        let stdin = std::io::stdin().lock();
        stdin.take(max + 1).read_to_end(&mut value)?;
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
        f.take(max + 1)
            .read_to_end(&mut value)
            .with_context(|| format!("reading {}", file.display()))?;
    }
    if value.len() as u64 > max {
        bail!(
            "{}: larger than the {max} bytes a value may have",
            file.display()
        );
    }
    Ok(value)
}

fn get(dir: &Path, key: &str) -> anyhow::Result<ExitCode> {
    tocsin_archive::check_key(key)?;
    let value = match tocsin_archive::read_hybrid(dir, key) {
        Ok(v) => v,
        Err(Error::NotAnArchive(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let Some(value) = value else {
        eprintln!("not found: {key}");
        return Ok(ExitCode::from(1));
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&value)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn stat(dir: &Path, json: bool) -> anyhow::Result<()> {
    let s = match open_read(dir)? {
        Some(a) => a.stats()?,
        None => tocsin_archive::Stats {
            objects: 0,
            live_bytes: 0,
            allocated_bytes: 0,
            index_bytes: 0,
            volumes: 0,
        },
    };
    if json {
        let v = serde_json::json!({
            "objects": s.objects,
            "live_bytes": s.live_bytes,
            "allocated_bytes": s.allocated_bytes,
            "index_bytes": s.index_bytes,
            "volumes": s.volumes,
        });
        println!("{v}");
    } else {
        println!("objects          {}", s.objects);
        println!("live bytes       {}", s.live_bytes);
        println!("allocated bytes  {}", s.allocated_bytes);
        println!("index bytes      {}", s.index_bytes);
        println!("volumes          {}", s.volumes);
    }
    Ok(())
}

fn verify(dir: &Path) -> anyhow::Result<ExitCode> {
    let Some(a) = open_read(dir)? else {
        println!("ok: empty archive");
        return Ok(ExitCode::SUCCESS);
    };
    let mut damage = a.verify()?;
    if !damage.is_empty() {
        // A writer may have replaced and punched records while this pass ran: report only
        // what a fresh open still finds damaged.
        let fresh = Archive::open_read(dir)?;
        damage.retain(|d| matches!(fresh.get(&d.key), Err(Error::Damaged { .. })));
    }
    for d in &damage {
        println!(
            "damaged: {} (volume {}, offset {})",
            d.key, d.volume, d.offset
        );
    }
    if damage.is_empty() {
        println!("ok: {} objects checked", a.stats()?.objects);
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} damaged records", damage.len());
        Ok(ExitCode::from(1))
    }
}

/// Commits whenever stdin has nothing more buffered (so a slow producer is acknowledged at
/// once) or the batch is full, and prints `ok KEY` only after the commit returned.
fn put_many(dir: &Path, batch_size: usize) -> anyhow::Result<()> {
    let mut a = open_write(dir)?;
    let mut input = BufReader::with_capacity(64 * 1024, std::io::stdin().lock());
    let mut pending: Vec<(String, Vec<u8>)> = Vec::new();
    let mut pending_bytes = 0usize;
    let mut line = String::new();
    let mut number = 0u64;
    let outcome = loop {
        line.clear();
        let n = match input.read_line(&mut line) {
            Ok(n) => n,
            Err(e) => break Err(anyhow::Error::new(e).context("reading stdin")),
        };
        if n == 0 {
            break Ok(());
        }
        number += 1;
        let entry = line.trim_end_matches(['\n', '\r']);
        if !entry.is_empty() {
            let parsed = parse_line(entry, number);
            match parsed {
                Ok((key, value)) => {
                    pending_bytes += value.len();
                    pending.push((key, value));
                }
                Err(e) => break Err(e),
            }
        }
        let idle = input.buffer().is_empty();
        if !pending.is_empty() && (idle || pending.len() >= batch_size || pending_bytes >= 1 << 24)
        {
            commit_and_ack(&mut a, &mut pending)?;
            pending_bytes = 0;
        }
    };
    // What was read before a bad line is still stored and acknowledged.
    commit_and_ack(&mut a, &mut pending)?;
    a.close()?;
    outcome
}

fn parse_line(entry: &str, number: u64) -> anyhow::Result<(String, Vec<u8>)> {
    let Some((key, file)) = entry.split_once('\t') else {
        bail!("stdin line {number}: expected KEY<TAB>FILE");
    };
    tocsin_archive::check_key(key).with_context(|| format!("stdin line {number}"))?;
    let value = read_input(Path::new(file)).with_context(|| format!("stdin line {number}"))?;
    Ok((key.to_owned(), value))
}

fn commit_and_ack(a: &mut Archive, pending: &mut Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let ops: Vec<Op<'_>> = pending.iter().map(|(k, v)| Op::Put(k, v)).collect();
    a.commit(&ops)?;
    let mut out = std::io::stdout().lock();
    for (key, _) in pending.drain(..) {
        writeln!(out, "ok {key}")?;
    }
    out.flush()?;
    Ok(())
}

/// `tocsin archive bench`: the same workload against the archive, a file per object and
/// SQLite, each with one durability point per batch, run in lockstep.
mod bench {
    use std::fs::{self, File};
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::Instant;

    use anyhow::{bail, Context};
    use clap::Args;
    use rusqlite::OptionalExtension;
    use serde_json::{json, Value};
    use tocsin_archive::{Archive, CompactionPolicy, Op, Options};

    /// Options of `tocsin archive bench`.
    #[derive(Args)]
    pub struct BenchArgs {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Number of objects.
        #[arg(long, default_value_t = 100_000)]
        objects: usize,
        /// Bytes per object.
        #[arg(long, default_value_t = 4096)]
        size: usize,
        /// Puts (and deletes) sharing one durability point, for all three systems.
        #[arg(long, default_value_t = 64)]
        batch: usize,
    }

    /// Wall time; the benchmark is the one place that measures it.
    #[allow(clippy::disallowed_methods)]
    fn now() -> Instant {
        Instant::now()
    }

    /// What each system under test offers the workload.
    trait Store {
        fn put_batch(&mut self, items: &[(&str, &[u8])]) -> anyhow::Result<()>;
        /// Called once after the last put; its time counts as put time.
        fn finish_puts(&mut self) -> anyhow::Result<()>;
        fn get(&mut self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
        fn delete_batch(&mut self, keys: &[&str]) -> anyhow::Result<()>;
        /// Called once after the last delete; its time counts as delete time.
        fn finish_deletes(&mut self) {}
    }

    struct Workload {
        keys: Vec<String>,
        put_order: Vec<usize>,
        get_order: Vec<usize>,
        delete_order: Vec<usize>,
        pool: Vec<u8>,
        size: usize,
        batch: usize,
    }

    impl Workload {
        fn new(objects: usize, size: usize, batch: usize) -> Self {
            let mut rng = fastrand::Rng::new();
            let keys = (0..objects)
                .map(|_| {
                    let ts = rng.u64(1_500_000_000_000_000..1_900_000_000_000_000);
                    format!("{:032x}/{ts:016}.data", rng.u128(..))
                })
                .collect();
            let order = |rng: &mut fastrand::Rng| {
                let mut v: Vec<usize> = (0..objects).collect();
                rng.shuffle(&mut v);
                v
            };
            let put_order = order(&mut rng);
            let get_order = order(&mut rng);
            let delete_order = order(&mut rng);
            let pool = (0..size + (1 << 20)).map(|_| rng.u8(..)).collect();
            Self {
                keys,
                put_order,
                get_order,
                delete_order,
                pool,
                size,
                batch,
            }
        }

        /// The value of object `i`: random bytes, its number in front so each is distinct.
        fn value(&self, i: usize) -> Vec<u8> {
            let start = i.wrapping_mul(7919) % (self.pool.len() - self.size);
            let mut v = self.pool[start..start + self.size].to_vec();
            let tag = (i as u64).to_le_bytes();
            let n = tag.len().min(v.len());
            v[..n].copy_from_slice(&tag[..n]);
            v
        }
    }

    struct Figures {
        put_per_s: f64,
        get_per_s: f64,
        delete_per_s: f64,
        allocated_after_puts: u64,
        allocated_after_deletes: u64,
        index_after_puts: u64,
    }

    /// Runs the workload on every store in lockstep, batch by batch, each timed on its own:
    /// the disk's good and bad moments then fall on all three alike.
    fn measure(
        stores: &mut [(&mut dyn Store, &Path)],
        w: &Workload,
    ) -> anyhow::Result<Vec<Figures>> {
        let n = w.keys.len() as f64;
        let mut put = vec![0.0f64; stores.len()];
        for chunk in w.put_order.chunks(w.batch) {
            let values: Vec<Vec<u8>> = chunk.iter().map(|i| w.value(*i)).collect();
            let items: Vec<(&str, &[u8])> = chunk
                .iter()
                .zip(&values)
                .map(|(i, v)| (w.keys[*i].as_str(), &v[..]))
                .collect();
            for ((store, _), spent) in stores.iter_mut().zip(&mut put) {
                let t = now();
                store.put_batch(&items)?;
                *spent += t.elapsed().as_secs_f64();
            }
        }
        let mut after_puts = Vec::new();
        for ((store, dir), spent) in stores.iter_mut().zip(&mut put) {
            let t = now();
            store.finish_puts()?;
            *spent += t.elapsed().as_secs_f64();
            let index = fs::metadata(dir.join("index"))
                .map_or(0, |m| std::os::unix::fs::MetadataExt::blocks(&m) * 512);
            after_puts.push((allocated(dir)?, index));
        }
        let mut get = vec![0.0f64; stores.len()];
        for round in w.get_order.chunks(256) {
            let expected: Vec<Vec<u8>> = round.iter().map(|i| w.value(*i)).collect();
            for ((store, _), spent) in stores.iter_mut().zip(&mut get) {
                let t = now();
                for (i, want) in round.iter().zip(&expected) {
                    let got = store.get(&w.keys[*i])?;
                    if got.as_ref() != Some(want) {
                        bail!("{}: wrong value read back", w.keys[*i]);
                    }
                }
                *spent += t.elapsed().as_secs_f64();
            }
        }
        let half = &w.delete_order[..w.keys.len() / 2];
        let mut delete = vec![0.0f64; stores.len()];
        for chunk in half.chunks(w.batch) {
            let keys: Vec<&str> = chunk.iter().map(|i| w.keys[*i].as_str()).collect();
            for ((store, _), spent) in stores.iter_mut().zip(&mut delete) {
                let t = now();
                store.delete_batch(&keys)?;
                *spent += t.elapsed().as_secs_f64();
            }
        }
        let mut figures = Vec::new();
        for (i, (store, dir)) in stores.iter_mut().enumerate() {
            let t = now();
            store.finish_deletes();
            delete[i] += t.elapsed().as_secs_f64();
            figures.push(Figures {
                put_per_s: n / put[i],
                get_per_s: n / get[i],
                delete_per_s: half.len() as f64 / delete[i],
                allocated_after_puts: after_puts[i].0,
                allocated_after_deletes: allocated(dir)?,
                index_after_puts: after_puts[i].1,
            });
        }
        Ok(figures)
    }

    fn allocated(dir: &Path) -> anyhow::Result<u64> {
        use std::os::unix::fs::MetadataExt;
        let mut total = fs::metadata(dir)?.blocks() * 512;
        for e in fs::read_dir(dir)? {
            total += e?.metadata()?.blocks() * 512;
        }
        Ok(total)
    }

    impl Store for Archive {
        fn put_batch(&mut self, items: &[(&str, &[u8])]) -> anyhow::Result<()> {
            let ops: Vec<Op<'_>> = items.iter().map(|(k, v)| Op::Put(k, v)).collect();
            Ok(self.commit(&ops)?)
        }
        fn finish_puts(&mut self) -> anyhow::Result<()> {
            Ok(self.checkpoint()?)
        }
        fn get(&mut self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
            Ok(Archive::get(self, key)?)
        }
        fn delete_batch(&mut self, keys: &[&str]) -> anyhow::Result<()> {
            let ops: Vec<Op<'_>> = keys.iter().map(|k| Op::Delete(k)).collect();
            Ok(self.commit(&ops)?)
        }
        fn finish_deletes(&mut self) {
            self.reclaim();
        }
    }

    /// One file per object: temporary name, fsync, rename; one directory fsync per batch.
    struct Files(PathBuf);

    impl Files {
        fn path(&self, key: &str) -> PathBuf {
            self.0.join(key.replace('/', "_"))
        }
        fn sync_dir(&self) -> anyhow::Result<()> {
            Ok(File::open(&self.0)?.sync_all()?)
        }
    }

    impl Store for Files {
        fn put_batch(&mut self, items: &[(&str, &[u8])]) -> anyhow::Result<()> {
            for (key, value) in items {
                let tmp = self.0.join(format!(".tmp.{}", key.replace('/', "_")));
                let mut f = File::create(&tmp)?;
                f.write_all(value)?;
                f.sync_all()?;
                fs::rename(&tmp, self.path(key))?;
            }
            self.sync_dir()
        }
        fn finish_puts(&mut self) -> anyhow::Result<()> {
            Ok(())
        }
        fn get(&mut self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
            match fs::read(self.path(key)) {
                Ok(v) => Ok(Some(v)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            }
        }
        fn delete_batch(&mut self, keys: &[&str]) -> anyhow::Result<()> {
            for key in keys {
                fs::remove_file(self.path(key))?;
            }
            self.sync_dir()
        }
    }

    /// SQLite in WAL mode with `synchronous=FULL`, one transaction per batch.
    struct Sqlite(rusqlite::Connection);

    impl Store for Sqlite {
        fn put_batch(&mut self, items: &[(&str, &[u8])]) -> anyhow::Result<()> {
            let tx = self.0.transaction()?;
            {
                let mut st = tx.prepare_cached(
                    "INSERT OR REPLACE INTO objects (key, value) VALUES (?1, ?2)",
                )?;
                for (k, v) in items {
                    st.execute((k, v))?;
                }
            }
            Ok(tx.commit()?)
        }
        fn finish_puts(&mut self) -> anyhow::Result<()> {
            Ok(())
        }
        fn get(&mut self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
            let mut st = self
                .0
                .prepare_cached("SELECT value FROM objects WHERE key = ?1")?;
            Ok(st.query_row([key], |r| r.get(0)).optional()?)
        }
        fn delete_batch(&mut self, keys: &[&str]) -> anyhow::Result<()> {
            let tx = self.0.transaction()?;
            {
                let mut st = tx.prepare_cached("DELETE FROM objects WHERE key = ?1")?;
                for k in keys {
                    st.execute([k])?;
                }
            }
            Ok(tx.commit()?)
        }
    }

    fn open_sqlite(dir: &Path) -> anyhow::Result<Sqlite> {
        let conn = rusqlite::Connection::open(dir.join("objects.db"))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!("SQLite refused WAL mode ({mode})");
        }
        conn.execute_batch(
            "PRAGMA synchronous=FULL;
             CREATE TABLE objects (key TEXT PRIMARY KEY, value BLOB NOT NULL);",
        )?;
        Ok(Sqlite(conn))
    }

    fn common(f: &Figures, objects: usize) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("put_per_s".into(), json!(f.put_per_s.round()));
        m.insert("get_per_s".into(), json!(f.get_per_s.round()));
        m.insert("delete_per_s".into(), json!(f.delete_per_s.round()));
        let per_object = f.allocated_after_puts as f64 / objects as f64;
        m.insert("bytes_per_object_on_disk".into(), json!(per_object.round()));
        m.insert(
            "allocated_bytes_after_puts".into(),
            json!(f.allocated_after_puts),
        );
        m.insert(
            "allocated_bytes_after_deletes".into(),
            json!(f.allocated_after_deletes),
        );
        m
    }

    /// Runs the benchmark in `dir`, which must be empty or absent; removes its data after.
    pub fn run(dir: &Path, args: &BenchArgs) -> anyhow::Result<ExitCode> {
        if args.objects < 2 || args.batch == 0 {
            bail!("--objects must be at least 2 and --batch at least 1");
        }
        if dir.exists() && fs::read_dir(dir)?.next().is_some() {
            bail!("{}: the bench needs an empty directory", dir.display());
        }
        let w = Workload::new(args.objects, args.size, args.batch);
        let deleted_bytes = (args.objects / 2 * args.size) as f64;
        let paths = ["archive", "files", "sqlite"].map(|s| dir.join(s));
        for p in &paths {
            fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }

        // Compaction runs once, after the deletes, so that holes and compaction show apart.
        let options = Options {
            auto_compact: None,
            ..Options::default()
        };
        let mut archive = Archive::open_write(&paths[0], options)?;
        let mut files = Files(paths[1].clone());
        let mut sqlite = open_sqlite(&paths[2])?;
        let figures = measure(
            &mut [
                (&mut archive, &paths[0]),
                (&mut files, &paths[1]),
                (&mut sqlite, &paths[2]),
            ],
            &w,
        )?;
        drop(sqlite);
        let f = &figures[0];
        let mut a = common(f, args.objects);
        let per_object = f.index_after_puts as f64 / args.objects as f64;
        a.insert(
            "index_bytes_per_object".into(),
            json!((per_object * 10.0).round() / 10.0),
        );
        let freed = f.allocated_after_puts as f64 - f.allocated_after_deletes as f64;
        a.insert(
            "freed_at_once_of_deleted".into(),
            json!((freed / deleted_bytes * 1000.0).round() / 1000.0),
        );
        let t = now();
        archive.compact(CompactionPolicy::default())?;
        a.insert(
            "compact_seconds".into(),
            json!((t.elapsed().as_secs_f64() * 100.0).round() / 100.0),
        );
        let after = allocated(&paths[0])?;
        let freed = f.allocated_after_puts as f64 - after as f64;
        a.insert(
            "freed_after_compaction_of_deleted".into(),
            json!((freed / deleted_bytes * 1000.0).round() / 1000.0),
        );
        archive.close()?;
        let files = common(&figures[1], args.objects);
        let sqlite = common(&figures[2], args.objects);

        let out = json!({ "archive": a, "files": files, "sqlite": sqlite });
        if args.json {
            println!("{out}");
        } else {
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        for p in &paths {
            fs::remove_dir_all(p).with_context(|| format!("removing {}", p.display()))?;
        }
        Ok(ExitCode::SUCCESS)
    }
}
