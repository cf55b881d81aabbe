//! `tocsin keys add --config FILE`: rotates the key that seals secrets at rest (`[desk]
//! key_file`) by appending a new one. Servers seal with it from their next start; what older
//! keys sealed keeps opening with them until it is destroyed or sealed again.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::config::Config;

/// Arguments of `tocsin keys`.
#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Append a new key to `[desk] key_file`; it seals from the servers' next start.
    Add(AddArgs),
}

/// Arguments of `tocsin keys add`.
#[derive(Args)]
struct AddArgs {
    /// The server's TOML configuration.
    #[arg(long)]
    config: PathBuf,
}

/// Runs `tocsin keys`.
pub fn run(args: KeysArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        KeysCommand::Add(a) => {
            let config = Config::load(&a.config, std::env::vars())?;
            let path = config
                .desk
                .key_file
                .as_deref()
                .context("the configuration sets no [desk] key_file")?;
            let id = crate::keyfile::add_key(path)?;
            println!(
                "key {id} added to {}: restart the servers to seal with it",
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
