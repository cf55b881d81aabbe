//! `tocsin migrate announce --config FILE --plan PLAN.json`: each wave of a plan becomes
//! planned maintenance on its VMs (`shared/spec/operations.md`), so the customers whose
//! services the VMs take down — and only they — are told ahead, then reminded; a running
//! server picks the windows and their notices up from the database.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use serde::Deserialize;
use tocsin_app::ops::{plan_maintenance_offline, MaintenancePlan};
use tocsin_app::{Clock, Principal};
use tocsin_store::MaintenanceStore;

use crate::config::Config;
use crate::edge::{one_thread_runtime, SystemClock};
use crate::inventory_cmd;

/// Arguments of `tocsin migrate announce`.
#[derive(Args)]
pub struct AnnounceArgs {
    /// The server's configuration file (database, inventory, `[sla] time_zone`).
    #[arg(long)]
    config: PathBuf,
    /// A plan written by `tocsin migrate plan --json`.
    #[arg(long)]
    plan: PathBuf,
    /// Lead times of the reminders before each wave, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "168h,24h")]
    notify: Vec<String>,
    /// Print one JSON object per wave instead of lines for people.
    #[arg(long)]
    json: bool,
}

/// The parts of a plan that announcing reads.
#[derive(Deserialize)]
struct Plan {
    waves: Vec<Wave>,
}

#[derive(Deserialize)]
struct Wave {
    start: String,
    end: String,
    vms: Vec<Move>,
}

#[derive(Deserialize)]
struct Move {
    id: String,
    downtime_seconds: u64,
}

/// `2026-12-05T21:00:00Z` in ms.
fn instant(text: &str, what: &str) -> anyhow::Result<i64> {
    let t: jiff::Timestamp = text.parse().with_context(|| {
        format!("{what}: `{text}` is not a UTC time such as 2026-12-05T21:00:00Z")
    })?;
    Ok(t.as_millisecond())
}

/// A duration in hours and minutes, as customers read it.
fn hours_minutes(seconds: u64) -> String {
    let minutes = seconds.div_ceil(60);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The window of wave `n` (from 1) of `of` waves.
fn window(n: usize, of: usize, wave: &Wave, notify: &[String]) -> anyhow::Result<MaintenancePlan> {
    let what = format!("waves[{}]", n - 1);
    let longest = wave
        .vms
        .iter()
        .map(|v| v.downtime_seconds)
        .max()
        .unwrap_or(0);
    let shortest = wave
        .vms
        .iter()
        .map(|v| v.downtime_seconds)
        .min()
        .unwrap_or(0);
    let downtime = if longest == shortest {
        hours_minutes(longest)
    } else {
        format!("{} to {}", hours_minutes(shortest), hours_minutes(longest))
    };
    Ok(MaintenancePlan {
        title: format!("Migration to the new cloud, wave {n} of {of}"),
        body: format!(
            "Virtual machines move to our new cloud in this window. Each machine is stopped \
             only while its disk is copied and checked, then it starts in the new cloud: \
             an estimated {downtime} per machine, from its disk size and the link's speed."
        ),
        components: Vec::new(),
        targets: wave.vms.iter().map(|v| v.id.clone()).collect(),
        starts_ms: Some(instant(&wave.start, &format!("{what}.start"))?),
        ends_ms: Some(instant(&wave.end, &format!("{what}.end"))?),
        notify: Some(notify.to_vec()),
    })
}

/// `tocsin migrate announce`.
pub fn run(args: AnnounceArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config, std::env::vars())?;
    let time_zone = config.sla.to_policy()?.time_zone;
    let text = std::fs::read_to_string(&args.plan)
        .with_context(|| format!("cannot read --plan {}", args.plan.display()))?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not a plan of `tocsin migrate plan --json`: {e}",
            args.plan.display(),
            e.line(),
            e.column()
        )
    })?;
    let windows = plan
        .waves
        .iter()
        .enumerate()
        .map(|(i, w)| window(i + 1, plan.waves.len(), w, &args.notify))
        .collect::<anyhow::Result<Vec<_>>>()
        .with_context(|| format!("in {}", args.plan.display()))?;
    let inventory = match inventory_cmd::load(&config.inventory) {
        Ok(i) => Arc::new(i),
        Err(code) => return Ok(code),
    };
    // The one reading of the clock.
    let now = SystemClock.now_ms();
    let who = Principal::automatic("migrate-announce");
    let runtime = one_thread_runtime()?;
    let mut failed = 0;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    runtime.block_on(async {
        let store = crate::edge::open_database(&config.database).await?;
        let existing = store.maintenances(now).await?;
        for (i, w) in windows.iter().enumerate() {
            let n = i + 1;
            // Announcing the same plan again tells nobody twice.
            if let Some(m) = existing.iter().find(|m| {
                m.cancelled_ms.is_none()
                    && m.title == w.title
                    && Some(m.starts_ms) == w.starts_ms
                    && Some(m.ends_ms) == w.ends_ms
            }) {
                report(&mut out, args.json, n, Ok(m), true)?;
                continue;
            }
            let planned =
                plan_maintenance_offline(&store, Arc::clone(&inventory), &time_zone, now, &who, w)
                    .await;
            if planned.is_err() {
                failed += 1;
            }
            report(
                &mut out,
                args.json,
                n,
                planned.as_ref().map_err(|e| e.to_string()),
                false,
            )?;
        }
        anyhow::Ok(())
    })?;
    out.flush()?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("tocsin: {failed} of {} waves not announced", windows.len());
        ExitCode::from(1)
    })
}

fn report(
    out: &mut impl Write,
    json: bool,
    wave: usize,
    planned: Result<&tocsin_store::Maintenance, String>,
    already: bool,
) -> anyhow::Result<()> {
    match (planned, json) {
        (Ok(m), true) => writeln!(
            out,
            "{}",
            serde_json::json!({
                "wave": wave, "maintenance": m.id, "already_announced": already,
                "down_services": m.impact.down_services,
                "affected_customers": m.impact.affected_customers,
            })
        )?,
        (Ok(m), false) => writeln!(
            out,
            "wave {wave}: maintenance {}{} — {} VMs, {} services down, customers told: {}",
            m.id,
            if already { " (announced before)" } else { "" },
            m.targets.len(),
            m.impact.down_services.len(),
            super::plan::named(&m.impact.affected_customers)
        )?,
        (Err(e), true) => writeln!(out, "{}", serde_json::json!({"wave": wave, "error": e}))?,
        (Err(e), false) => writeln!(out, "wave {wave}: not announced: {e}")?,
    }
    Ok(())
}
