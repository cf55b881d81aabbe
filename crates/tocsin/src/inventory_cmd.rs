//! `tocsin check`, `tocsin impact` and `tocsin spof`: the inventory and impact engine on the
//! command line, per `shared/spec/inventory.md`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;
use tocsin_model::{FailureSets, Impact, Inventory, State, VertexId};

use crate::report::{self, SummaryOut};
use tocsin_model::summary::Summary;

/// Arguments of `tocsin check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The inventory: a YAML file, or a directory of `*.yaml` files merged in name order.
    #[arg(long)]
    inventory: PathBuf,
    /// Exit 1 when there is any warning (such as a host's MTU exceeding the fabric's).
    #[arg(long)]
    strict: bool,
}

/// Arguments of `tocsin impact`.
#[derive(Args)]
pub struct ImpactArgs {
    /// The inventory: a YAML file, or a directory of `*.yaml` files merged in name order.
    #[arg(long)]
    inventory: PathBuf,
    /// A vertex observed down (repeatable).
    #[arg(long = "down", value_name = "ID")]
    down: Vec<String>,
    /// A vertex observed degraded (repeatable).
    #[arg(long = "degraded", value_name = "ID")]
    degraded: Vec<String>,
    /// A file of scenarios, one a line: ids observed down, `~ID` observed degraded.
    #[arg(long, conflicts_with_all = ["down", "degraded"])]
    scenarios: Option<PathBuf>,
    /// Print JSON (JSON Lines with --scenarios) instead of a summary for people.
    #[arg(long)]
    json: bool,
}

/// Arguments of `tocsin spof`.
#[derive(Args)]
pub struct SpofArgs {
    /// The inventory: a YAML file, or a directory of `*.yaml` files merged in name order.
    #[arg(long)]
    inventory: PathBuf,
    /// Print `{"services": {ID: [SPOF, ...]}}` instead of a report for people.
    #[arg(long)]
    json: bool,
}

/// Loads an inventory, printing every problem to stderr on failure.
pub fn load(path: &Path) -> Result<Inventory, ExitCode> {
    tocsin_inventory::load_path(path).map_err(|err| report_errors(path, &err))
}

/// Prints every problem of an inventory that does not load to stderr, then their count.
pub fn report_errors(path: &Path, err: &tocsin_inventory::LoadError) -> ExitCode {
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    for d in &err.diagnostics {
        let _ = writeln!(out, "{d}");
    }
    let n = err.diagnostics.len();
    let _ = writeln!(
        out,
        "{n} error{} in {}",
        if n == 1 { "" } else { "s" },
        path.display()
    );
    ExitCode::from(1)
}

/// `tocsin check`: the summary on stdout; warnings, one a line, then their count on stderr.
pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let (inventory, warnings) = match tocsin_inventory::load_path_with_warnings(&args.inventory) {
        Ok(loaded) => loaded,
        Err(err) => return Ok(report_errors(&args.inventory, &err)),
    };
    let g = &inventory.graph;
    println!(
        "{}: ok — {} vertices ({} nodes, {} services), {} requirement groups, {} customers, {} components, {} sites",
        args.inventory.display(),
        g.vertex_count(),
        g.vertex_count() - inventory.services.len(),
        inventory.services.len(),
        g.group_count(),
        inventory.customers.len(),
        inventory.components.len(),
        inventory.sites.len(),
    );
    if !warnings.is_empty() {
        let stderr = std::io::stderr();
        let mut out = stderr.lock();
        for w in &warnings {
            writeln!(out, "{w}")?;
        }
        let n = warnings.len();
        writeln!(
            out,
            "{n} warning{} in {}",
            if n == 1 { "" } else { "s" },
            args.inventory.display()
        )?;
        if args.strict {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One scenario: the vertices observed down or degraded.
type Scenario = Vec<(VertexId, State)>;

fn resolve(
    inventory: &Inventory,
    id: &str,
    state: State,
    at: &str,
) -> anyhow::Result<(VertexId, State)> {
    match inventory.graph.find(id) {
        Some(v) => Ok((v, state)),
        None => bail!("{at}unknown vertex id `{id}`: no node or service has it"),
    }
}

fn parse_scenarios(inventory: &Inventory, path: &Path) -> anyhow::Result<Vec<Scenario>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read scenarios {}", path.display()))?;
    let mut scenarios = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut scenario = Scenario::new();
        for token in line.split_whitespace() {
            let at = format!("{}:{}: ", path.display(), i + 1);
            let (id, state) = match token.strip_prefix('~') {
                Some(id) => (id, State::Degraded),
                None => (token, State::Down),
            };
            scenario.push(resolve(inventory, id, state, &at)?);
        }
        scenarios.push(scenario);
    }
    Ok(scenarios)
}

/// Applies a scenario: each vertex gets the worst state observed of it.
fn apply(impact: &mut Impact, scenario: &Scenario, changes: &mut Vec<tocsin_model::Change>) {
    for &(v, s) in scenario {
        if s > impact.observation(v) {
            impact.observe(v, s, changes);
        }
    }
}

/// `tocsin impact`.
pub fn impact(args: ImpactArgs) -> anyhow::Result<ExitCode> {
    let inventory = match load(&args.inventory) {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let mut impact = Impact::new(Arc::clone(&inventory.graph));
    let mut changes = Vec::new();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    if let Some(path) = &args.scenarios {
        let scenarios = parse_scenarios(&inventory, path)?;
        for scenario in &scenarios {
            apply(&mut impact, scenario, &mut changes);
            let summary = Summary::of(&inventory, &impact);
            if args.json {
                summary.write_json(&mut out)?;
            } else {
                summary.write_text(&mut out, &inventory)?;
            }
            for &(v, _) in scenario {
                impact.observe(v, State::Up, &mut changes);
            }
            changes.clear();
        }
    } else {
        let mut scenario = Scenario::new();
        for id in &args.down {
            scenario.push(resolve(&inventory, id, State::Down, "--down: ")?);
        }
        for id in &args.degraded {
            scenario.push(resolve(&inventory, id, State::Degraded, "--degraded: ")?);
        }
        apply(&mut impact, &scenario, &mut changes);
        let summary = Summary::of(&inventory, &impact);
        if args.json {
            summary.write_json(&mut out)?;
        } else {
            summary.write_text(&mut out, &inventory)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `tocsin spof`.
pub fn spof(args: SpofArgs) -> anyhow::Result<ExitCode> {
    let inventory = match load(&args.inventory) {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let sets = FailureSets::compute(&inventory.graph);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    if args.json {
        report::write_spof_json(&mut out, &inventory, &sets)?;
    } else {
        report::write_spof_text(&mut out, &inventory, &sets)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
