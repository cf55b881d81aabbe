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

mod bench;
