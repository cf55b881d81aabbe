//! `tocsin bench inventory`: measures loading, memory, full and incremental evaluation, what-if
//! scenarios and single points of failure on a generated inventory, and prints JSON.
//! `tocsin bench maintenance` (`maintenance.rs`): the what-if of maintenance windows and
//! whether planning them stalls the running pipeline. `tocsin bench sla` (`sla.rs`): the
//! month's SLA report with observation changes in the month. `tocsin bench desk` (`desk.rs`):
//! tickets opened and answered per second, and the staff queue over 100,000 tickets.
//! `tocsin bench help-search` (`help.rs`): the help centre's search over 10,000 articles in
//! five languages. `tocsin bench netbox` (`netbox.rs`): `tocsin import netbox` against a
//! generated NetBox of 10,000 devices and 50,000 cables served on the loopback. `tocsin bench
//! migrate` (`migrate.rs`): migration waves of 10,000 VMs.

// This module measures wall time on purpose; the domain crates never read the clock.
#![allow(clippy::disallowed_methods)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use tocsin_model::{FailureSets, Impact, State};

use tocsin_model::summary::Summary;

use crate::report::SummaryOut;

mod desk;
mod help;
mod maintenance;
mod migrate;
mod netbox;
mod pipeline;
mod sla;

/// Arguments of `tocsin bench`.
#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Inventory loading, impact engine and SPOF on a generated provider.
    Inventory(InventoryBench),
    /// Maintenance what-if on a generated provider, and the pipeline while windows are planned.
    Maintenance(maintenance::MaintenanceBench),
    /// The month's SLA report on a generated provider with observation changes in the month.
    Sla(sla::SlaBench),
    /// Support desk throughput (tickets opened, answered) and the staff queue over many tickets.
    Desk(desk::DeskBench),
    /// The help centre's search over generated articles in five languages (`help` is clap's).
    HelpSearch(help::HelpBench),
    /// `tocsin import netbox` and `tocsin check` against a generated NetBox on the loopback.
    Netbox(netbox::NetboxBench),
    /// Migration waves of generated VMs inside their customers' windows.
    Migrate(migrate::MigrateBench),
}

#[derive(Args)]
struct InventoryBench {
    /// Customers to generate (about three services each).
    #[arg(long, default_value_t = 333_334)]
    customers: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Hypervisor failures applied and withdrawn to time the incremental path.
    #[arg(long, default_value_t = 1000)]
    failures: usize,
    /// Where to write the generated inventory (a temporary file by default).
    #[arg(long)]
    file: Option<PathBuf>,
}

/// Runs a benchmark.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        Bench::Inventory(b) => inventory(b),
        Bench::Maintenance(b) => maintenance::run(b),
        Bench::Sla(b) => sla::run(b),
        Bench::Desk(b) => desk::run(b),
        Bench::HelpSearch(b) => help::run(b),
        Bench::Netbox(b) => netbox::run(b),
        Bench::Migrate(b) => migrate::run(b),
    }
}

/// Peak resident memory of this process, from `/proc/self/status`, in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak so that the next reading covers what follows only.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1));
    v.get(i).copied().unwrap_or(0.0)
}

/// The running system as the benches run it in-process: notices kept rather than mailed, no
/// archive, no reload, nobody told of the bench's own alerts for an hour.
fn in_process(
    inventory: Arc<tocsin_model::Inventory>,
    store: tocsin_store::AnyStore,
    desk: tocsin_app::desk::DeskPolicy,
) -> tocsin_app::Config {
    use tocsin_app::Clock;
    tocsin_app::Config {
        inventory,
        store,
        clock: Arc::new(crate::edge::SystemClock),
        hold_down: std::time::Duration::from_secs(3600),
        delivering: tocsin_app::Delivering {
            transport: tocsin_app::Transport::Keep,
            sender: tocsin_notify::Sender {
                from: "Bench <status@bench.invalid>".to_owned(),
                list_id: "bench.invalid".to_owned(),
            },
            public_url: "http://bench.invalid".to_owned(),
        },
        reload: None,
        archiver: tocsin_app::Archiver::new(None, crate::edge::SystemClock.now_ms() as u64),
        broadcast_per_second: 50,
        staff: Vec::new(),
        allow_private_webhooks: false,
        time_zone: jiff::tz::TimeZone::UTC,
        sla: Default::default(),
        desk,
        inbound: None,
        vault: None,
    }
}

/// Writes a generated provider of `customers` customers to `path`.
fn write_generated(path: &std::path::Path, customers: usize, seed: u64) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    tocsin_inventory::generate::generate(
        tocsin_inventory::generate::Shape { customers, seed },
        &mut out,
    )?;
    out.flush()?;
    Ok(())
}

fn inventory(b: InventoryBench) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("tocsin-bench-{}", std::process::id()));
    let path = match &b.file {
        Some(p) => p.clone(),
        None => {
            std::fs::create_dir_all(&dir)?;
            dir.join("inventory.yaml")
        }
    };
    write_generated(&path, b.customers, b.seed)?;
    let bytes = std::fs::metadata(&path)?.len();

    // The baseline in the same run: the full YAML parser alone, as loading was before the
    // fast reader; the two must read the same inventory.
    reset_peak_rss();
    let t = Instant::now();
    let full =
        tocsin_inventory::load_path_with_full_parser(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let baseline_s = t.elapsed().as_secs_f64();
    let baseline_peak = peak_rss();
    let full_shape = (
        full.graph.vertex_count(),
        full.graph.group_count(),
        full.services.len(),
        full.customers.len(),
    );
    drop(full);

    reset_peak_rss();
    let t = Instant::now();
    let inventory = tocsin_inventory::load_path(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let load_s = t.elapsed().as_secs_f64();
    let load_peak = peak_rss();
    let shape = (
        inventory.graph.vertex_count(),
        inventory.graph.group_count(),
        inventory.services.len(),
        inventory.customers.len(),
    );
    anyhow::ensure!(
        shape == full_shape,
        "the fast reader read {shape:?}, the full parser {full_shape:?}"
    );
    let graph = Arc::clone(&inventory.graph);
    let vertices = graph.vertex_count();
    let model_bytes = inventory.heap_bytes();

    let mut impact = Impact::new(Arc::clone(&graph));
    let engine_bytes = impact.heap_bytes();
    let t = Instant::now();
    impact.evaluate_full();
    let full_s = t.elapsed().as_secs_f64();

    // Incremental: fail and restore hypervisors one at a time.
    let hypervisors: Vec<u32> = (0..vertices as u32)
        .filter(|&v| inventory.kind_of(v) == "hypervisor")
        .collect();
    let mut changes = Vec::new();
    let mut costs = Vec::with_capacity(b.failures);
    let mut touched = 0usize;
    for i in 0..b.failures {
        let hv = hypervisors[(i * 7919) % hypervisors.len().max(1)];
        changes.clear();
        let t = Instant::now();
        impact.observe(hv, State::Down, &mut changes);
        impact.observe(hv, State::Up, &mut changes);
        costs.push(t.elapsed().as_secs_f64());
        touched += changes.len();
    }
    let incr_median = median(&mut costs);
    let incr_p99 = percentile(&mut costs, 0.99);

    // What-if: 1000 single-failure scenarios over random vertices, JSON rendered to memory.
    let mut sink = Vec::with_capacity(1 << 20);
    let t = Instant::now();
    for i in 0..1000usize {
        let v = ((i as u64 * 2_654_435_761) % vertices as u64) as u32;
        impact.observe(v, State::Down, &mut changes);
        Summary::of(&inventory, &impact).write_json(&mut sink)?;
        impact.observe(v, State::Up, &mut changes);
        changes.clear();
    }
    let scenarios_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let sets = FailureSets::compute(&graph);
    let spof_s = t.elapsed().as_secs_f64();
    let spof_total: usize = inventory
        .services
        .iter()
        .map(|s| sets.single_points_of_failure(s.vertex).count())
        .sum();
    let peak_all = peak_rss();

    let report = serde_json::json!({
        "inventory": {
            "customers": inventory.customers.len(),
            "services": inventory.services.len(),
            "vertices": vertices,
            "groups": graph.group_count(),
            "yaml_bytes": bytes,
        },
        "load": {
            "seconds": load_s,
            "mb_per_s": bytes as f64 / 1e6 / load_s,
            "peak_rss_bytes": load_peak,
            "baseline_full_parser": {
                "seconds": baseline_s,
                "mb_per_s": bytes as f64 / 1e6 / baseline_s,
                "peak_rss_bytes": baseline_peak,
            },
            "speedup_over_baseline": baseline_s / load_s,
            "targets_met": { "speedup_ge_4": baseline_s / load_s >= 4.0 },
        },
        "memory": {
            "model_bytes": model_bytes,
            "model_bytes_per_vertex": model_bytes as f64 / vertices as f64,
            "engine_bytes_per_vertex": engine_bytes as f64 / vertices as f64,
        },
        "full_evaluation_seconds": full_s,
        "incremental_hypervisor_fail_and_restore": {
            "hypervisors": hypervisors.len(),
            "runs": b.failures,
            "median_seconds": incr_median,
            "p99_seconds": incr_p99,
            "state_changes_per_run": touched as f64 / b.failures.max(1) as f64,
            "full_over_incremental": full_s / incr_median,
        },
        "scenarios_1000": {
            "seconds": scenarios_s,
            "fraction_of_load": scenarios_s / load_s,
            "json_bytes": sink.len(),
        },
        "spof": {
            "seconds": spof_s,
            "over_load": spof_s / load_s,
            "spof_entries": spof_total,
            "peak_rss_bytes": peak_all,
        },
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    if b.file.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(ExitCode::SUCCESS)
}
