//! `tocsin migrate`: moving customers' VMs between clouds (`shared/spec/migration.md`).

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
    /// Convert a disk image with qemu-img, then check and compare the result with its source.
    Convert(convert::ConvertArgs),
}

/// Runs `tocsin migrate`.
pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        MigrateCommand::Convert(args) => convert::run(args),
    }
}
