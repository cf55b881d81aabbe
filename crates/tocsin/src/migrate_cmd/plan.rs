//! `tocsin migrate plan`: reads the inventory and the VMs file, plans the waves and prints
//! them as the spec's JSON or as a table for people, times in the zone and in UTC.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;
use tocsin_inventory::migration::{read_vms_path, Overrides};
use tocsin_model::migration::{parse_link, plan, show_duration, Plan, Request, MAX_STREAMS};

/// Arguments of `tocsin migrate plan`.
#[derive(Args)]
pub struct PlanArgs {
    /// The inventory: a YAML file, or a directory of `*.yaml` files merged in name order.
    #[arg(long)]
    inventory: PathBuf,
    /// The VMs to move and the customers' windows (YAML, `shared/spec/migration.md`).
    #[arg(long)]
    vms: PathBuf,
    /// The link's speed, over the file's `link`: `10Gbit/s`, `500Mbit/s`, `100MB/s`.
    #[arg(long, value_parser = link_speed)]
    link: Option<u64>,
    /// VMs moved at once, each on an equal share of the link, over the file's `streams`.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_STREAMS)))]
    streams: Option<u32>,
    /// Print the plan as JSON.
    #[arg(long)]
    json: bool,
}

fn link_speed(text: &str) -> Result<u64, String> {
    parse_link(text).map_err(|e| e.to_string())
}

/// Runs `tocsin migrate plan`.
pub fn run(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let inventory = match crate::inventory_cmd::load(&args.inventory) {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let overrides = Overrides {
        link_bits_per_second: args.link,
        streams: args.streams,
    };
    let request = match read_vms_path(&args.vms, &inventory, overrides) {
        Ok(r) => r,
        Err(err) => return Ok(crate::inventory_cmd::report_errors(&args.vms, &err)),
    };
    let plan = plan(&request);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &json(&request, &plan))?;
        writeln!(out)?;
    } else {
        table(&mut out, &request, &plan)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct PlanOut<'a> {
    waves: Vec<WaveOut<'a>>,
    unplaceable: Vec<UnplaceableOut<'a>>,
}

#[derive(Serialize)]
struct WaveOut<'a> {
    start: String,
    end: String,
    vms: Vec<VmOut<'a>>,
}

#[derive(Serialize)]
struct VmOut<'a> {
    id: &'a str,
    start: String,
    end: String,
    downtime_seconds: i64,
    customers: Vec<&'a str>,
}

#[derive(Serialize)]
struct UnplaceableOut<'a> {
    id: &'a str,
    reason: &'a str,
}

/// UTC seconds as RFC 3339 with `Z`.
fn utc(seconds: i64) -> String {
    Timestamp::from_second(seconds).map_or_else(|_| seconds.to_string(), |t| t.to_string())
}

fn local(seconds: i64, zone: &TimeZone) -> String {
    Timestamp::from_second(seconds).map_or_else(
        |_| seconds.to_string(),
        |t| {
            t.to_zoned_datetime(zone.clone())
                .strftime("%a %Y-%m-%d %H:%M %Z")
                .to_string()
        },
    )
}

fn customers(request: &Request, vm: usize) -> Vec<&str> {
    request.vms[vm]
        .customers
        .iter()
        .map(|&c| request.customers[c].id.as_str())
        .collect()
}

fn json<'a>(request: &'a Request, plan: &'a Plan) -> PlanOut<'a> {
    PlanOut {
        waves: plan
            .waves
            .iter()
            .map(|w| WaveOut {
                start: utc(w.start),
                end: utc(w.end),
                vms: w
                    .vms
                    .iter()
                    .map(|p| VmOut {
                        id: &request.vms[p.vm].id,
                        start: utc(p.start),
                        end: utc(p.end),
                        downtime_seconds: p.end - p.start,
                        customers: customers(request, p.vm),
                    })
                    .collect(),
            })
            .collect(),
        unplaceable: plan
            .unplaceable
            .iter()
            .map(|u| UnplaceableOut {
                id: &request.vms[u.vm].id,
                reason: &u.reason,
            })
            .collect(),
    }
}

fn table(out: &mut dyn Write, request: &Request, plan: &Plan) -> std::io::Result<()> {
    let zone = &request.zone;
    let zone_name = zone.iana_name().unwrap_or("UTC");
    for (i, w) in plan.waves.iter().enumerate() {
        let mut who: Vec<&str> = w
            .vms
            .iter()
            .flat_map(|p| customers(request, p.vm))
            .collect();
        who.sort_unstable();
        who.dedup();
        let downtime: i64 = w.vms.iter().map(|p| p.end - p.start).sum();
        writeln!(
            out,
            "Wave {}: {} – {} ({zone_name}), {} – {}",
            i + 1,
            local(w.start, zone),
            local(w.end, zone),
            utc(w.start),
            utc(w.end)
        )?;
        writeln!(
            out,
            "  {} VM{}, downtime {} in all; customers: {}",
            w.vms.len(),
            if w.vms.len() == 1 { "" } else { "s" },
            show_duration(downtime),
            named(&who)
        )?;
        let width = w
            .vms
            .iter()
            .map(|p| request.vms[p.vm].id.len())
            .max()
            .unwrap_or(0);
        for p in &w.vms {
            writeln!(
                out,
                "    {:width$}  {} – {}  {:>9}  {}",
                request.vms[p.vm].id,
                local(p.start, zone),
                local(p.end, zone),
                show_duration(p.end - p.start),
                named(&customers(request, p.vm))
            )?;
        }
    }
    if !plan.unplaceable.is_empty() {
        writeln!(out, "Unplaceable:")?;
        for u in &plan.unplaceable {
            writeln!(out, "    {}: {}", request.vms[u.vm].id, u.reason)?;
        }
    }
    let placed: usize = plan.waves.iter().map(|w| w.vms.len()).sum();
    writeln!(
        out,
        "{} wave{}, {placed} VM{} placed, {} unplaceable",
        plan.waves.len(),
        if plan.waves.len() == 1 { "" } else { "s" },
        if placed == 1 { "" } else { "s" },
        plan.unplaceable.len()
    )
}

/// How many customers a line of the table names before it counts the rest.
const NAMED: usize = 8;

/// `ids` for people: the first few, then how many more (a DNS VM serves everyone).
pub(super) fn named<S: AsRef<str>>(ids: &[S]) -> String {
    match ids.len() {
        0 => "none".to_owned(),
        n => {
            let shown: Vec<&str> = ids.iter().take(NAMED).map(AsRef::as_ref).collect();
            if n > NAMED {
                format!("{} and {} more", shown.join(", "), n - NAMED)
            } else {
                shown.join(", ")
            }
        }
    }
}
