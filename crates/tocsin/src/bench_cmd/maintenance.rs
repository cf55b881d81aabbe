//! `tocsin bench maintenance`: on a generated provider (1M services by default), times the
//! what-if of realistic maintenance targets as planning computes it (`targets_impact`, a
//! sparse overlay of the graph with everything up) against the naive way (a fresh engine and
//! `observe` of each target, the summary read from it), with the propagation alone timed
//! both ways beside (`breakdown`), then measures whether planning stalls the running pipeline
//! (`pipeline.rs`). Prints JSON.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use tocsin_app::ops::targets_impact;
use tocsin_model::summary::Summary;
use tocsin_model::{Impact, Inventory, State, VertexId, WhatIf};

use super::{median, peak_rss, percentile, pipeline, reset_peak_rss, write_generated};

/// Arguments of `tocsin bench maintenance`.
#[derive(Args)]
pub struct MaintenanceBench {
    /// Customers to generate (about three services each: the default gives ~1M services).
    #[arg(long, default_value_t = 333_334)]
    customers: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the generated inventory (a temporary file by default).
    #[arg(long, conflicts_with = "inventory")]
    file: Option<PathBuf>,
    /// Load this inventory (e.g. one written by `--file` before) instead of generating one.
    #[arg(long)]
    inventory: Option<PathBuf>,
    /// Repetitions of each scenario's what-if.
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Repetitions of each scenario's naive computation.
    #[arg(long, default_value_t = 10)]
    naive_runs: usize,
    /// Alerts in flight at once while the pipeline is measured (one submitter each).
    #[arg(long, default_value_t = 8)]
    submitters: usize,
    /// Length of the pipeline phases before and after planning.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    phase: Duration,
    /// How many times each scenario is planned as a window while alerts flow.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Scenarios planned while alerts flow, by name, comma-separated (all by default).
    #[arg(long, value_delimiter = ',')]
    plan: Vec<String>,
    /// Times the what-if only; no running system.
    #[arg(long)]
    no_pipeline: bool,
}

impl MaintenanceBench {
    pub(super) fn submitters(&self) -> usize {
        self.submitters.max(1)
    }

    pub(super) fn phase(&self) -> Duration {
        self.phase
    }

    pub(super) fn rounds(&self) -> usize {
        self.rounds
    }
}

/// A maintenance the bench plans: what it is and the vertices it takes down.
pub(super) struct Scenario {
    pub name: &'static str,
    pub what: &'static str,
    pub targets: Vec<String>,
}

/// The realistic maintenances on a generated provider: one of each redundant pair, a spine,
/// a rack's power, and hypervisors. Ids follow `tocsin_inventory::generate`; racks and
/// hypervisors are taken from the first site's, as far into it as the inventory goes.
fn scenarios(inventory: &Inventory) -> anyhow::Result<Vec<Scenario>> {
    let exists = |id: &str| inventory.graph.find(id).is_some();
    let rack = (0..=10)
        .rev()
        .find(|r| exists(&format!("pdu-dc1-r{r:03}-a")))
        .context("the inventory has no rack pdu-dc1-r000-a: not a generated one?")?;
    let list = vec![
        Scenario {
            name: "leaf_switch",
            what: "one leaf switch of a pod's pair (hosts miswired to it alone go down)",
            targets: vec!["leaf-dc1-p00-a".to_owned()],
        },
        Scenario {
            name: "spine_switch",
            what: "one spine switch of a site's pair",
            targets: vec!["spine-dc1-1".to_owned()],
        },
        Scenario {
            name: "ups",
            what: "one UPS of a site's pair (single-fed hosts on its side go down)",
            targets: vec!["ups-dc1-a".to_owned()],
        },
        Scenario {
            name: "rack_power",
            what: "a whole rack: both its PDUs",
            targets: vec![
                format!("pdu-dc1-r{rack:03}-a"),
                format!("pdu-dc1-r{rack:03}-b"),
            ],
        },
        Scenario {
            name: "hypervisor",
            what: "one hypervisor with VMs only",
            targets: vec![format!("hv-dc1-r{rack:03}-01")],
        },
        Scenario {
            name: "hypervisor_shared_web",
            what: "the hypervisor carrying the first shared web-hosting server",
            targets: vec!["hv-dc1-r000-00".to_owned()],
        },
    ];
    for s in &list {
        for t in &s.targets {
            anyhow::ensure!(
                exists(t),
                "the inventory has no vertex {t}: not a generated one?"
            );
        }
    }
    Ok(list)
}

/// Sizes of a what-if's answer, whichever way it was computed.
#[derive(Debug, PartialEq, Eq)]
struct Sizes {
    services_down: usize,
    services_at_risk: usize,
    customers_affected: usize,
    customers_at_risk: usize,
}

/// The naive propagation: a whole engine for the graph, every target observed down.
fn naive_engine(inventory: &Inventory, targets: &[VertexId]) -> Impact {
    let mut impact = Impact::new(Arc::clone(&inventory.graph));
    let mut changes = Vec::new();
    for &t in targets {
        impact.observe(t, State::Down, &mut changes);
    }
    impact
}

/// The naive what-if: the naive engine, the summary read from it.
fn naive(inventory: &Inventory, targets: &[VertexId]) -> Sizes {
    let impact = naive_engine(inventory, targets);
    let summary = Summary::of(inventory, &impact);
    Sizes {
        services_down: summary.services.0,
        services_at_risk: summary.services.1,
        customers_affected: summary.affected.len(),
        customers_at_risk: summary.at_risk.len(),
    }
}

/// Milliseconds of `runs` repetitions: min, median, p99.
fn stats_ms(mut ms: Vec<f64>) -> serde_json::Value {
    let min = ms.iter().copied().fold(f64::INFINITY, f64::min);
    serde_json::json!({
        "runs": ms.len(),
        "min_ms": min,
        "median_ms": median(&mut ms),
        "p99_ms": percentile(&mut ms, 0.99),
    })
}

/// Times `f` `runs` times (at least once), in milliseconds; each answer is dropped outside
/// the timing.
fn timed<R>(runs: usize, mut f: impl FnMut() -> R) -> Vec<f64> {
    let mut ms = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let answer = std::hint::black_box(f());
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        drop(answer);
    }
    ms
}

/// The what-if of each scenario, both ways, checked to agree.
fn what_ifs(
    inventory: &Inventory,
    scenarios: &[Scenario],
    b: &MaintenanceBench,
) -> anyhow::Result<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for s in scenarios {
        let targets: Vec<VertexId> = s
            .targets
            .iter()
            .filter_map(|t| inventory.graph.find(t))
            .collect();
        let scenario: Vec<_> = targets.iter().map(|&v| (v, State::Down)).collect();
        let fast_ms = timed(b.runs, || targets_impact(inventory, &targets));
        let overlay_ms = timed(b.runs, || {
            WhatIf::alone(&inventory.graph, &scenario).changes().len()
        });
        let naive_ms = timed(b.naive_runs, || naive(inventory, &targets));
        let engine_ms = timed(b.naive_runs, || naive_engine(inventory, &targets));
        let fast = targets_impact(inventory, &targets);
        let slow = naive(inventory, &targets);
        let sizes = Sizes {
            services_down: fast.impact.down_services.len(),
            services_at_risk: fast.impact.at_risk_services.len(),
            customers_affected: fast.impact.affected_customers.len(),
            customers_at_risk: fast.impact.at_risk_customers.len(),
        };
        anyhow::ensure!(
            sizes == slow,
            "{}: targets_impact answers {sizes:?}, the naive engine {slow:?}",
            s.name
        );
        let ratio =
            |naive: &[f64], fast: &[f64]| median(&mut naive.to_vec()) / median(&mut fast.to_vec());
        out.insert(
            s.name.to_owned(),
            serde_json::json!({
                "what": s.what,
                "targets": s.targets,
                "answer": {
                    "services_down": sizes.services_down,
                    "services_at_risk": sizes.services_at_risk,
                    "customers_affected": sizes.customers_affected,
                    "customers_at_risk": sizes.customers_at_risk,
                    "components": fast.components.len(),
                },
                "naive_over_targets_impact_median": ratio(&naive_ms, &fast_ms),
                "naive_engine_over_overlay_median": ratio(&engine_ms, &overlay_ms),
                "targets_impact": stats_ms(fast_ms),
                "naive_fresh_engine": stats_ms(naive_ms),
                "breakdown": {
                    "what_if_overlay_only": stats_ms(overlay_ms),
                    "naive_engine_only": stats_ms(engine_ms),
                },
            }),
        );
    }
    Ok(serde_json::Value::Object(out))
}

/// Runs the bench.
pub(super) fn run(b: MaintenanceBench) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("tocsin-bench-maint-{}", std::process::id()));
    let path = match (&b.inventory, &b.file) {
        (Some(p), _) => p.clone(),
        (None, file) => {
            let path = match file {
                Some(p) => p.clone(),
                None => {
                    std::fs::create_dir_all(&dir)?;
                    dir.join("inventory.yaml")
                }
            };
            write_generated(&path, b.customers, b.seed)?;
            path
        }
    };
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    reset_peak_rss();
    let t = Instant::now();
    let inventory = tocsin_inventory::load_path(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let load_s = t.elapsed().as_secs_f64();
    if b.inventory.is_none() && b.file.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let inventory = Arc::new(inventory);
    let scenarios = scenarios(&inventory)?;
    for name in &b.plan {
        anyhow::ensure!(
            scenarios.iter().any(|s| s.name == name),
            "--plan: no scenario {name}; there are {}",
            scenarios
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let planned: Vec<&Scenario> = scenarios
        .iter()
        .filter(|s| b.plan.is_empty() || b.plan.iter().any(|n| n == s.name))
        .collect();
    let what_if = what_ifs(&inventory, &scenarios, &b)?;
    let peak_what_if = peak_rss();
    let pipeline = if b.no_pipeline {
        serde_json::Value::Null
    } else {
        pipeline::measure(Arc::clone(&inventory), &planned, &b)?
    };
    let report = serde_json::json!({
        "bench": "maintenance",
        "machine": {
            "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
            "loadavg_at_start": loadavg.trim(),
        },
        "inventory": {
            "customers": inventory.customers.len(),
            "services": inventory.services.len(),
            "vertices": inventory.graph.vertex_count(),
            "load_seconds": load_s,
        },
        "what_if": what_if,
        "peak_rss_bytes_after_what_if": peak_what_if,
        "pipeline": pipeline,
        "peak_rss_bytes": peak_rss(),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
