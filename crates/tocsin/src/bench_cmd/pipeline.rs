//! Whether planning maintenance stalls the pipeline: the real running system in-process (a
//! fresh SQLite database, the bench's inventory, notices kept rather than mailed) takes alerts
//! from a few concurrent submitters, each waiting for its alert to be durable and applied, as
//! a request to `/api/v1/alerts` does. Meanwhile a thread takes the live lock every
//! millisecond and times how long it waited. Three phases: before any window, while windows
//! are planned back to back through `System::plan_maintenance` (on a runtime worker, as the
//! API handler runs it), and after, with the windows stored. An alert or a lock wait belongs
//! to the planning phase when it overlaps it at all, so that one stalled by a plan counts
//! there whenever it started.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tocsin_app::ops::MaintenancePlan;
use tocsin_app::{Incoming, Opened, Principal, Role, System, Target};
use tocsin_model::{Inventory, State};
use tocsin_store::{AlertStatus, AnyStore, MaintenanceStore};

use super::maintenance::{MaintenanceBench, Scenario};
use super::{median, percentile};
use crate::edge::runtime;

/// One timed event: when it started and ended, in seconds since the bench's start.
type Sample = (f64, f64);

/// Seconds from `base` to `t`.
fn since(base: Instant, t: Instant) -> f64 {
    t.duration_since(base).as_secs_f64()
}

/// Measures the pipeline while `scenarios` are planned; answers the JSON of it.
pub(super) fn measure(
    inventory: Arc<Inventory>,
    scenarios: &[&Scenario],
    b: &MaintenanceBench,
) -> anyhow::Result<serde_json::Value> {
    let dir = std::env::temp_dir().join(format!("tocsin-bench-pipeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = runtime()?.block_on(run(inventory, scenarios, b, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Hypervisors whose failure takes a few services down (no shared hosting server on them),
/// one per submitter: each submitter fails and restores its own.
fn quiet_hypervisors(inventory: &Inventory, n: usize) -> Vec<String> {
    let graph = &inventory.graph;
    let mut picked = Vec::with_capacity(n);
    // A stride through the hypervisors spreads the picks over sites and racks.
    let hypervisors: Vec<u32> = (0..graph.vertex_count() as u32)
        .filter(|&v| inventory.kind_of(v) == "hypervisor")
        .collect();
    for i in 0..hypervisors.len() {
        let v = hypervisors[(i * 7919 + 101) % hypervisors.len()];
        let down = tocsin_app::ops::targets_impact(inventory, &[v])
            .impact
            .down_services
            .len();
        if (1..=60).contains(&down) && !picked.contains(&v) {
            picked.push(v);
        }
        if picked.len() == n {
            break;
        }
    }
    picked.iter().map(|&v| graph.name(v).to_owned()).collect()
}

/// Fails and restores `node` until the phase says stop, timing each alert.
async fn submit(
    system: Arc<System>,
    node: String,
    id: usize,
    base: Instant,
    stop: Arc<AtomicBool>,
) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    let mut firing = true;
    while !stop.load(Ordering::Relaxed) {
        let alert = Incoming {
            source: "bench".to_owned(),
            fingerprint: format!("bench-{id}"),
            status: if firing {
                AlertStatus::Firing
            } else {
                AlertStatus::Resolved
            },
            state: State::Down,
            target: Target::Node(node.clone()),
            received_ms: system.clock.now_ms(),
        };
        let t = Instant::now();
        system
            .ingest(vec![alert], None)
            .await
            .map_err(|e| e.to_string())?;
        samples.push((since(base, t), since(base, Instant::now())));
        firing = !firing;
    }
    // Leave the hypervisor up.
    if !firing {
        let alert = Incoming {
            source: "bench".to_owned(),
            fingerprint: format!("bench-{id}"),
            status: AlertStatus::Resolved,
            state: State::Down,
            target: Target::Node(node),
            received_ms: system.clock.now_ms(),
        };
        system
            .ingest(vec![alert], None)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(samples)
}

/// Takes the live lock every millisecond until the phase says stop, timing the wait.
fn probe_lock(system: Arc<System>, base: Instant, stop: Arc<AtomicBool>) -> Vec<Sample> {
    let mut samples = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        if system.read(|live| live.applied).is_err() {
            break;
        }
        samples.push((since(base, t), since(base, Instant::now())));
        std::thread::sleep(Duration::from_millis(1));
    }
    samples
}

/// One plan as it went.
struct Planned {
    scenario: &'static str,
    /// When it started and ended, in seconds since the bench's start.
    from: f64,
    to: f64,
    services_down: usize,
    services_at_risk: usize,
    customers_told: usize,
}

/// Plans each scenario `rounds` times, back to back, starting two hours from now.
async fn plan_all(
    system: Arc<System>,
    plans: Vec<(&'static str, Vec<String>)>,
    rounds: usize,
    base: Instant,
) -> Result<Vec<Planned>, String> {
    let who = Principal {
        login: "bench@provider.test".to_owned(),
        role: Role::ShiftLead,
        customer: None,
    };
    let mut out = Vec::new();
    for round in 0..rounds {
        for (name, targets) in &plans {
            let now = system.clock.now_ms();
            let plan = MaintenancePlan {
                title: format!("Bench {name} {round}"),
                body: "Planned by tocsin bench maintenance.".to_owned(),
                components: Vec::new(),
                targets: targets.clone(),
                starts_ms: Some(now + 2 * 3_600_000),
                ends_ms: Some(now + 4 * 3_600_000),
                notify: None,
            };
            let t = Instant::now();
            let m = system
                .plan_maintenance(&who, &plan)
                .await
                .map_err(|e| format!("{name}: {e}"))?;
            out.push(Planned {
                scenario: name,
                from: since(base, t),
                to: since(base, Instant::now()),
                services_down: m.impact.down_services.len(),
                services_at_risk: m.impact.at_risk_services.len(),
                customers_told: m.impact.affected_customers.len(),
            });
        }
    }
    Ok(out)
}

/// The longest stretch of `from..to` in which none of `ends` falls, in ms.
fn longest_without_an_end(ends: impl Iterator<Item = f64>, from: f64, to: f64) -> f64 {
    let mut ends: Vec<f64> = ends.filter(|e| (from..=to).contains(e)).collect();
    ends.push(from);
    ends.push(to);
    ends.sort_by(f64::total_cmp);
    ends.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max) * 1e3
}

/// The phases as intervals of seconds since the bench's start: before, planning, after.
struct Phases {
    before: (f64, f64),
    planning: (f64, f64),
    after: (f64, f64),
}

impl Phases {
    /// The samples of each phase: wholly before planning, overlapping it, wholly after; the
    /// warm-up and what ended after the last phase are left out.
    fn split<'a>(&self, samples: &'a [Sample]) -> [(&'static str, f64, Vec<&'a Sample>); 3] {
        let (p0, p1) = self.planning;
        let pick = |keep: &dyn Fn(&Sample) -> bool| samples.iter().filter(|s| keep(s)).collect();
        [
            (
                "before",
                self.before.1 - self.before.0,
                pick(&|&(s, e)| s >= self.before.0 && e < p0),
            ),
            ("planning", p1 - p0, pick(&|&(s, e)| e >= p0 && s <= p1)),
            (
                "after",
                self.after.1 - self.after.0,
                pick(&|&(s, e)| s > p1 && e <= self.after.1),
            ),
        ]
    }

    /// Per phase: count, rate, p50, p99 and max of the durations in ms, and with `gaps` the
    /// longest time in the phase during which none ended (how long the pipeline stood still).
    fn summary(&self, samples: &[Sample], gaps: bool) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        let bounds = [self.before, self.planning, self.after];
        for ((name, seconds, picked), (from, to)) in self.split(samples).into_iter().zip(bounds) {
            let mut ms: Vec<f64> = picked.iter().map(|(s, e)| (e - s) * 1e3).collect();
            let max = ms.iter().copied().fold(0.0, f64::max);
            let ended = picked.iter().filter(|&&&(_, e)| e <= to).count();
            let gap = longest_without_an_end(picked.iter().map(|s| s.1), from, to);
            let mut phase = serde_json::json!({
                "count": ms.len(),
                "ended_per_second": ended as f64 / seconds.max(1e-9),
                "p50_ms": median(&mut ms),
                "p99_ms": percentile(&mut ms, 0.99),
                "max_ms": max,
            });
            if gaps {
                phase["longest_without_one_ending_ms"] = serde_json::json!(gap);
            }
            out.insert(name.to_owned(), phase);
        }
        serde_json::Value::Object(out)
    }
}

async fn run(
    inventory: Arc<Inventory>,
    scenarios: &[&Scenario],
    b: &MaintenanceBench,
    dir: &std::path::Path,
) -> anyhow::Result<serde_json::Value> {
    let database = format!("sqlite://{}", dir.join("tocsin.db").display());
    let store = AnyStore::connect(&database).await?;
    let t = Instant::now();
    let opened = Opened::open(super::in_process(
        Arc::clone(&inventory),
        store,
        Default::default(),
    ))
    .await?;
    let open_s = t.elapsed().as_secs_f64();
    let (system, running) = opened.start();
    let waited = Instant::now();
    while !system.standing.leading() {
        anyhow::ensure!(
            waited.elapsed() < Duration::from_secs(60),
            "the in-process system did not lead within a minute"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let nodes = quiet_hypervisors(&inventory, b.submitters());
    anyhow::ensure!(!nodes.is_empty(), "no hypervisor to fail in this inventory");
    let base = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let submitters: Vec<_> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            tokio::spawn(submit(
                Arc::clone(&system),
                node.clone(),
                i,
                base,
                Arc::clone(&stop),
            ))
        })
        .collect();
    let prober = {
        let system = Arc::clone(&system);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || probe_lock(system, base, stop))
    };
    // Warm-up: the first alerts fill caches and the database's pages.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let before_from = since(base, Instant::now());
    tokio::time::sleep(b.phase()).await;
    let planning_from = since(base, Instant::now());
    let plans = scenarios
        .iter()
        .map(|s| (s.name, s.targets.clone()))
        .collect();
    let planned = tokio::spawn(plan_all(Arc::clone(&system), plans, b.rounds(), base)).await;
    let planning_to = since(base, Instant::now());
    tokio::time::sleep(b.phase()).await;
    let after_to = since(base, Instant::now());
    stop.store(true, Ordering::Relaxed);
    let phases = Phases {
        before: (before_from, planning_from),
        planning: (planning_from, planning_to),
        after: (planning_to, after_to),
    };

    let mut ingest: Vec<Sample> = Vec::new();
    for s in submitters {
        ingest.extend(s.await?.map_err(|e| anyhow::anyhow!("ingest: {e}"))?);
    }
    let lock = prober
        .join()
        .map_err(|_| anyhow::anyhow!("the lock probe panicked"))?;
    let planned = planned?.map_err(|e| anyhow::anyhow!("planning: {e}"))?;

    // What the applier does every few seconds, and after each plan: read every window not
    // over, with its stored what-if.
    let mut read_ms = Vec::new();
    let mut windows = 0;
    for _ in 0..3 {
        let t = Instant::now();
        windows = system
            .store
            .maintenances(system.clock.now_ms())
            .await
            .context("reading the windows")?
            .len();
        read_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let read_median = median(&mut read_ms);
    let db_bytes: u64 = ["tocsin.db", "tocsin.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    drop(system);
    running.stop().await;

    let mut plan_ms: Vec<f64> = planned.iter().map(|p| (p.to - p.from) * 1e3).collect();
    Ok(serde_json::json!({
        "measured": "the real pipeline in-process on SQLite: each alert's latency from submit to \
                     durable and applied, one alert in flight per submitter; how long the live \
                     lock is held is not timed directly (the lock is private to tocsin-app): \
                     live_lock_wait is how long a thread taking it every millisecond waited; \
                     phases before any window, while windows are planned back to back, and \
                     after (windows stored, not yet started)",
        "open_seconds": open_s,
        "submitters": nodes.len(),
        "submitted_to": nodes,
        "phase_seconds": {
            "before": planning_from - before_from,
            "planning": planning_to - planning_from,
            "after": after_to - planning_to,
        },
        "ingest_latency": phases.summary(&ingest, true),
        "live_lock_wait": phases.summary(&lock, false),
        "plans": {
            "count": planned.len(),
            "median_ms": median(&mut plan_ms),
            "max_ms": plan_ms.iter().copied().fold(0.0, f64::max),
            "each": planned.iter().map(|p| serde_json::json!({
                "scenario": p.scenario,
                "ms": (p.to - p.from) * 1e3,
                // The alerts in flight while this plan ran: the slowest, and how long none
                // was answered.
                "ingest_max_ms": ingest
                    .iter()
                    .filter(|&&(s, e)| e >= p.from && s <= p.to)
                    .map(|&(s, e)| (e - s) * 1e3)
                    .fold(0.0, f64::max),
                "ingest_longest_without_one_ending_ms":
                    longest_without_an_end(ingest.iter().map(|s| s.1), p.from, p.to),
                "services_down": p.services_down,
                "services_at_risk": p.services_at_risk,
                "customers_told": p.customers_told,
            })).collect::<Vec<_>>(),
        },
        "windows_read": {"windows": windows, "median_ms": read_median},
        "database_bytes": db_bytes,
    }))
}
