//! The `tocsin` command: parses the command line and hands each subcommand to its module.

mod archive_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tocsin: infrastructure-aware incident notification for hosting providers.
#[derive(Parser)]
#[command(name = "tocsin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The small-object archive.
    Archive(archive_cmd::ArchiveArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Archive(args) => archive_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("tocsin: {err:#}");
            ExitCode::from(2)
        }
    }
}
