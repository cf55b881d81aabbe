//! `tocsin migrate`: moving customers' VMs between clouds (`shared/spec/migration.md`).
//! `plan` (`plan.rs`) puts the VMs into waves inside the customers' downtime windows.

use std::process::ExitCode;

use clap::{Args, Subcommand};

mod plan;

/// Arguments of `tocsin migrate`.
#[derive(Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    what: Migrate,
}

#[derive(Subcommand)]
enum Migrate {
    /// Waves of VMs inside every customer's windows: `plan --inventory FILE --vms FILE --link 10Gbit/s`.
    Plan(plan::PlanArgs),
}

/// Runs a `migrate` subcommand.
pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        Migrate::Plan(a) => plan::run(a),
    }
}
