//! `tocsin migrate`: moving customers' VMs between clouds (`shared/spec/migration.md`).
//! `plan` (`plan.rs`) puts the VMs into waves inside the customers' downtime windows,
//! `announce` makes each wave planned maintenance, `convert` converts a disk with qemu-img.

mod announce;
mod convert;
mod plan;

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// Arguments of `tocsin migrate`.
#[derive(Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    command: MigrateCommand,
}

#[derive(Subcommand)]
enum MigrateCommand {
    /// Waves of VMs inside every customer's windows: `plan --inventory FILE --vms FILE --link 10Gbit/s`.
    Plan(plan::PlanArgs),
    /// Make each wave of a plan planned maintenance on its VMs, telling exactly their customers.
    Announce(announce::AnnounceArgs),
    /// Convert a disk image with qemu-img, then check and compare the result with its source.
    Convert(convert::ConvertArgs),
}

/// Runs `tocsin migrate`.
pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        MigrateCommand::Plan(args) => plan::run(args),
        MigrateCommand::Announce(args) => announce::run(args),
        MigrateCommand::Convert(args) => convert::run(args),
    }
}
