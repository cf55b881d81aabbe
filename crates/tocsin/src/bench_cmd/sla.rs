//! `tocsin bench sla`: the month's SLA report on a generated provider (1M services by
//! default) with `--changes` observation changes in the month, read from a real SQLite
//! database as the server reads it: time and memory over the loaded inventory, as JSON.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use tocsin_app::sla::{Month, SlaPolicy};
use tocsin_store::{AlertStatus, AnyStore, LogStore, NewAlert, Outage, SlaStore, Store};

use super::{peak_rss, reset_peak_rss, write_generated};

/// Arguments of `tocsin bench sla`.
#[derive(Args)]
pub struct SlaBench {
    /// Customers to generate (about three services each: the default gives ~1M services).
    #[arg(long, default_value_t = 333_334)]
    customers: usize,
    /// Seed of the generator and of the changes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Observation changes in the month (alerts firing and resolving).
    #[arg(long, default_value_t = 10_000)]
    changes: usize,
    /// Rounds of the report, each timed.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// A generated inventory to read instead of generating one.
    #[arg(long)]
    inventory: Option<PathBuf>,
}

/// What an alert may be about: infrastructure that takes services down or degrades them.
const KINDS: [&str; 6] = ["hypervisor", "switch", "pdu", "ups", "storage", "server"];

pub(super) fn run(b: SlaBench) -> anyhow::Result<ExitCode> {
    let dir = tempfile_dir()?;
    let path = match &b.inventory {
        Some(p) => p.clone(),
        None => {
            let p = dir.join("inventory.yaml");
            write_generated(&p, b.customers, b.seed)?;
            p
        }
    };
    let inventory =
        Arc::new(tocsin_inventory::load_path(&path).map_err(|e| anyhow::anyhow!("{e}"))?);
    let services = inventory
        .services
        .iter()
        .filter(|s| s.plan != tocsin_model::inventory::NONE)
        .count();
    let loaded_rss = peak_rss();
    let policy = Arc::new(SlaPolicy::default());
    let month = Month::parse("2026-10").map_err(anyhow::Error::msg)?;
    let (start, end) = month.bounds(&policy.time_zone);
    // Candidates for alerts, in vertex order.
    let candidates: Vec<u32> = (0..inventory.graph.vertex_count() as u32)
        .filter(|&v| KINDS.contains(&inventory.kind_of(v)))
        .collect();
    anyhow::ensure!(
        !candidates.is_empty(),
        "the inventory has no infrastructure to fail"
    );
    let runtime = crate::edge::runtime()?;
    let database = format!("sqlite://{}", dir.join("tocsin.db").display());
    let (store, write_s) = runtime.block_on(async {
        let store = AnyStore::connect(&database).await?;
        store.migrate().await?;
        let t = Instant::now();
        let alerts = changes(&inventory, &candidates, b.changes, b.seed, start, end);
        for chunk in alerts.chunks(1000) {
            store.append(chunk).await?;
        }
        // A few outages staff recorded, a tenth as many as the alerts.
        for (i, a) in alerts.iter().step_by(20).enumerate().take(b.changes / 20) {
            store
                .add_outage(&Outage {
                    id: 0,
                    down: a.vertices.clone(),
                    degraded: Vec::new(),
                    start_ms: a.received_ms,
                    end_ms: a.received_ms + 600_000 + i as i64 * 1000,
                    note: String::new(),
                    created_by: "bench".into(),
                    created_ms: end,
                })
                .await?;
        }
        anyhow::Ok((store, t.elapsed().as_secs_f64()))
    })?;
    reset_peak_rss();
    let base_rss = peak_rss();
    let mut evidence_s = Vec::new();
    let mut account_s = Vec::new();
    let mut last = None;
    for _ in 0..b.rounds.max(1) {
        // One account at a time: the last one is dropped before the next is made.
        drop(last.take());
        let t = Instant::now();
        let e = runtime.block_on(tocsin_app::ops::evidence(
            &store,
            &inventory,
            &policy,
            month,
            end + 86_400_000,
        ))?;
        evidence_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let a = tocsin_app::sla::account(&inventory, &policy, month, &e, end + 86_400_000);
        account_s.push(t.elapsed().as_secs_f64());
        last = Some((a, e.during.len(), e.outages.len()));
    }
    let peak = peak_rss();
    let (account, during, outages) = last.context("no round ran")?;
    let down = account.downs.len();
    let t = Instant::now();
    let credits = account
        .lines(&inventory, &policy)
        .filter(|l| l.credit.is_some())
        .count();
    let lines_s = t.elapsed().as_secs_f64();
    let total: Vec<f64> = evidence_s
        .iter()
        .zip(&account_s)
        .map(|(e, a)| e + a)
        .collect();
    let best = total.iter().copied().fold(f64::INFINITY, f64::min);
    let extra = match (peak, base_rss) {
        (Some(p), Some(b)) => Some(p.saturating_sub(b)),
        _ => None,
    };
    let out = serde_json::json!({
        "bench": "sla",
        "services_with_plan": services,
        "vertices": inventory.graph.vertex_count(),
        "month": month.to_string(),
        "changes": { "alerts": during, "outages": outages, "written_seconds": write_s },
        "report": {
            "rounds": total.len(),
            "evidence_seconds": evidence_s,
            "account_seconds": account_s,
            "total_seconds": total,
            "best_seconds": best,
            "goal_seconds": 5.0,
            "ratio_to_goal": best / 5.0,
        },
        "memory": {
            "rss_after_load_bytes": loaded_rss,
            "rss_before_report_bytes": base_rss,
            "peak_rss_during_report_bytes": peak,
            "extra_bytes": extra,
            "extra_mb": extra.map(|e| e as f64 / 1e6),
            "goal_extra_mb": 200.0,
            "inventory_heap_bytes": inventory.heap_bytes(),
        },
        "result": {
            "services_with_downtime": down,
            "credits": credits,
            "lines_of_every_service_seconds": lines_s,
        },
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

/// A fresh directory under the system's temporary one.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("tocsin-bench-sla-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// `n` alert changes spread over the month: each one fails an infrastructure vertex and a
/// later one (minutes to hours after) withdraws it, so that outages overlap as they do.
fn changes(
    inventory: &tocsin_model::Inventory,
    candidates: &[u32],
    n: usize,
    seed: u64,
    start: i64,
    end: i64,
) -> Vec<NewAlert> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let pairs = n / 2;
    let mut events: Vec<(i64, usize, bool)> = Vec::with_capacity(pairs * 2);
    let span = end - start;
    for i in 0..pairs {
        let at = start + rng.i64(0..span - 3_600_000);
        let length = rng.i64(60_000..4 * 3_600_000);
        events.push((at, i, true));
        events.push(((at + length).min(end - 1), i, false));
    }
    events.sort_unstable();
    let targets: Vec<u32> = (0..pairs)
        .map(|_| candidates[rng.usize(0..candidates.len())])
        .collect();
    events
        .into_iter()
        .map(|(at, i, firing)| NewAlert {
            source: "bench".into(),
            fingerprint: format!("fp-{i}"),
            status: if firing {
                AlertStatus::Firing
            } else {
                AlertStatus::Resolved
            },
            state: if firing { "down" } else { "up" }.into(),
            vertices: vec![inventory.graph.name(targets[i]).to_owned()],
            received_ms: at,
            body_key: None,
        })
        .collect()
}
