//! `tocsin archive bench`: the same workload against the archive, a file per object and
//! SQLite, each with one durability point per batch, run in lockstep.
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
fn measure(stores: &mut [(&mut dyn Store, &Path)], w: &Workload) -> anyhow::Result<Vec<Figures>> {
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
            let mut st =
                tx.prepare_cached("INSERT OR REPLACE INTO objects (key, value) VALUES (?1, ?2)")?;
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
