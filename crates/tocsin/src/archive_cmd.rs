//! `tocsin archive …`: the command-line face of the small-object archive (work in progress).

use std::process::ExitCode;

use clap::Args;

/// Arguments of `tocsin archive`.
#[derive(Args)]
pub struct ArchiveArgs {
    /// The archive directory.
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
}

/// Runs an archive subcommand.
pub fn run(args: ArchiveArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("archive commands are not built yet (dir {:?})", args.dir)
}
