//! `tocsin sla report`: the month's SLA account of every service with a plan, as
//! `GET /api/v1/sla` answers it (JSON) or one CSV line per service, read from the same
//! configuration and database as `tocsin serve`, beside a running server.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use tocsin_app::sla::Month;
use tocsin_app::Clock;
use tocsin_store::AnyStore;

use crate::config::Config;
use crate::edge::{one_thread_runtime, SystemClock};
use crate::inventory_cmd;

/// Arguments of `tocsin sla`.
#[derive(Args)]
pub struct SlaArgs {
    #[command(subcommand)]
    command: SlaCommand,
}

#[derive(Subcommand)]
enum SlaCommand {
    /// The month's availability and credits of every service with a plan.
    Report(ReportArgs),
}

/// Arguments of `tocsin sla report`.
#[derive(Args)]
struct ReportArgs {
    /// The server's TOML configuration.
    #[arg(long)]
    config: PathBuf,
    /// The month, `YYYY-MM`, in `[sla] time_zone` (default: the current one).
    #[arg(long)]
    month: Option<String>,
    /// Print JSON (the default).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV: a header line, then one line per service.
    #[arg(long)]
    csv: bool,
}

/// Runs a `tocsin sla` subcommand.
pub fn run(args: SlaArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        SlaCommand::Report(args) => report(args),
    }
}

fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config, std::env::vars())?;
    let policy = Arc::new(config.sla.to_policy()?);
    // The one reading of the clock.
    let now_ms = SystemClock.now_ms();
    let month = match &args.month {
        Some(m) => Month::parse(m).map_err(anyhow::Error::msg)?,
        None => Month::of(now_ms, &policy.time_zone),
    };
    let inventory = match inventory_cmd::load(&config.inventory) {
        Ok(i) => Arc::new(i),
        Err(code) => return Ok(code),
    };
    let runtime = one_thread_runtime()?;
    let account = runtime.block_on(async {
        let store = AnyStore::connect(&config.database)
            .await
            .context("cannot open the database")?;
        tocsin_app::ops::month_account(
            &store,
            Arc::clone(&inventory),
            Arc::clone(&policy),
            month,
            now_ms,
            None,
        )
        .await
        .context("cannot read the database (is it one `tocsin serve` has run on?)")
    })?;
    let report = tocsin_app::ops::report(&inventory, &policy, &account, None);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.csv {
        write_csv(&mut out, &report)?;
    } else {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The CSV columns, in order.
const COLUMNS: [&str; 16] = [
    "month",
    "service",
    "customer",
    "plan",
    "month_seconds",
    "down_seconds",
    "excluded_seconds",
    "availability",
    "sla",
    "percent",
    "net",
    "vat_rate",
    "reverse_charge",
    "vat",
    "gross",
    "currency",
];

fn write_csv(out: &mut impl Write, report: &tocsin_app::ops::SlaReport) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for s in &report.services {
        let c = s.credit.as_ref();
        let text =
            |f: &dyn Fn(&tocsin_app::ops::CreditAmounts) -> String| c.map(f).unwrap_or_default();
        w.write_record([
            report.month.clone(),
            s.service.clone(),
            s.customer.clone(),
            s.plan.clone(),
            s.month_seconds.to_string(),
            s.down_seconds.to_string(),
            s.excluded_seconds.to_string(),
            s.availability.to_string(),
            s.sla.to_string(),
            text(&|c| c.percent.to_string()),
            text(&|c| c.net.clone()),
            text(&|c| c.vat_rate.to_string()),
            text(&|c| c.reverse_charge.to_string()),
            text(&|c| c.vat.clone()),
            text(&|c| c.gross.clone()),
            text(&|c| c.currency.clone()),
        ])?;
    }
    w.flush()?;
    Ok(())
}
