//! `tocsin bench migrate`: plans the waves of a generated migration (VMs of 10 GB to 2 TB, most
//! small, some shared by two customers, a quarter of the customers with windows of their own,
//! in Europe/Prague) and compares each customer's interruptions with moving one VM per window.

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use jiff::civil::date;
use tocsin_model::migration::{
    plan, CustomerWindows, DiskFormat, MigrationVm, Request, Shortfall, Window,
    DEFAULT_OVERHEAD_SECONDS,
};

use super::percentile;

/// Arguments of `tocsin bench migrate`.
#[derive(Args)]
pub struct MigrateBench {
    /// VMs to move.
    #[arg(long, default_value_t = 10_000)]
    vms: usize,
    /// Customers owning them.
    #[arg(long, default_value_t = 2_000)]
    customers: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Windows everybody accepts unless they say otherwise: weekend and two week nights.
const DEFAULT_WINDOWS: &[&str] = &[
    "Sat 22:00-Sun 06:00",
    "Sun 22:00-Mon 05:00",
    "Wed 22:00-Thu 05:00",
];

/// Windows of customers with their own, one to three of them each.
const OWN_WINDOWS: &[&str] = &[
    "Tue 01:00-04:00",
    "Fri 22:00-Sat 08:00",
    "Sat 14:00-Sun 10:00",
    "Thu 23:00-Fri 05:00",
    "Mon 00:00-06:00",
    "2026-12-05T20:00/2026-12-06T08:00",
    "2026-12-26T00:00/2026-12-27T00:00",
];

fn windows(list: &[&str]) -> anyhow::Result<Vec<Window>> {
    list.iter()
        .map(|w| Window::parse(w).map_err(anyhow::Error::from))
        .collect()
}

fn request(b: &MigrateBench) -> anyhow::Result<Request> {
    let mut rng = fastrand::Rng::with_seed(b.seed);
    let customers = b.customers.max(1);
    let customers: Vec<CustomerWindows> = (0..customers)
        .map(|i| {
            let own = if rng.usize(..4) == 0 {
                let n = rng.usize(1..=3);
                let picked: Vec<&str> = (0..n)
                    .map(|_| OWN_WINDOWS[rng.usize(..OWN_WINDOWS.len())])
                    .collect();
                Some(windows(&picked)?)
            } else {
                None
            };
            Ok(CustomerWindows {
                id: format!("cust-{i:05}"),
                windows: own,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let n = customers.len();
    let vms = (0..b.vms)
        .map(|i| {
            // Skewed owners: a few customers own many VMs, most own a few.
            let owner = ((rng.f64().powi(2)) * n as f64) as usize % n;
            let mut who = vec![owner];
            if rng.usize(..20) == 0 {
                let other = rng.usize(..n);
                if other != owner {
                    who.push(other);
                }
            }
            who.sort_unstable();
            // 10 GB to 2 TB, most of them small.
            let disk_bytes = (10e9 * 200f64.powf(rng.f64().powi(3))) as u64;
            MigrationVm {
                id: format!("vm-{i:06}"),
                disk_bytes,
                format: DiskFormat::ALL[rng.usize(..DiskFormat::ALL.len())],
                customers: who,
            }
        })
        .collect();
    Ok(Request {
        zone: jiff::tz::TimeZone::get("Europe/Prague")?,
        from: date(2026, 12, 1),
        link_bits_per_second: 40_000_000_000,
        streams: 8,
        overhead_seconds: DEFAULT_OVERHEAD_SECONDS,
        default_windows: windows(DEFAULT_WINDOWS)?,
        customers,
        vms,
    })
}

fn summary(counts: &[u32]) -> serde_json::Value {
    let mut v: Vec<f64> = counts.iter().map(|&c| f64::from(c)).collect();
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    serde_json::json!({
        "mean": mean,
        "p50": percentile(&mut v, 0.5),
        "p99": percentile(&mut v, 0.99),
        "max": v.iter().copied().fold(0.0, f64::max),
    })
}

/// Runs the bench and prints JSON.
pub fn run(b: MigrateBench) -> anyhow::Result<ExitCode> {
    let request = request(&b)?;
    let t = Instant::now();
    let plan = plan(&request);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let placed: usize = plan.waves.iter().map(|w| w.vms.len()).sum();
    let short = |s: Shortfall| plan.unplaceable.iter().filter(|u| u.shortfall == s).count();
    // Customers that have VMs; a generated customer may get none.
    let mut vm_counts = vec![0u32; request.customers.len()];
    for vm in &request.vms {
        for &c in &vm.customers {
            vm_counts[c] += 1;
        }
    }
    let interruptions = plan.interruptions(&request);
    let with_vms: Vec<usize> = (0..vm_counts.len()).filter(|&c| vm_counts[c] > 0).collect();
    let planned: Vec<u32> = with_vms.iter().map(|&c| interruptions[c]).collect();
    let baseline: Vec<u32> = with_vms.iter().map(|&c| vm_counts[c]).collect();
    let mean = |v: &[u32]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len().max(1) as f64;
    let report = serde_json::json!({
        "vms": request.vms.len(),
        "customers": request.customers.len(),
        "customers_with_vms": with_vms.len(),
        "link_bits_per_second": request.link_bits_per_second,
        "streams": request.streams,
        "time_ms": ms,
        "waves": plan.waves.len(),
        "placed": placed,
        "unplaceable": plan.unplaceable.len(),
        "unplaceable_because": {
            "no_common_window": short(Shortfall::NoCommonWindow),
            "longer_than_every_common_window": short(Shortfall::TooLong),
            "common_windows_full": short(Shortfall::Full),
        },
        "interruptions_per_customer": {
            "plan": summary(&planned),
            "one_vm_per_window": summary(&baseline),
            "baseline_over_plan_mean": mean(&baseline) / mean(&planned).max(f64::MIN_POSITIVE),
        },
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
