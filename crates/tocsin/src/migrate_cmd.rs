//! `tocsin migrate`: moving customers' VMs between clouds (`shared/spec/migration.md`).

mod announce;
mod convert;

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
    /// Make each wave of a plan planned maintenance on its VMs, telling exactly their customers.
    Announce(announce::AnnounceArgs),
    /// Convert a disk image with qemu-img, then check and compare the result with its source.
    Convert(convert::ConvertArgs),
}

/// Runs `tocsin migrate`.
pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        MigrateCommand::Announce(args) => announce::run(args),
        MigrateCommand::Convert(args) => convert::run(args),
    }
}
