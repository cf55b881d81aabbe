//! `tocsin status export`: the public status page written as static files, from the same
//! database and inventory as `tocsin serve`, for publishing on independent hosting.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use tocsin_store::AnyStore;

use crate::config::Config;
use crate::edge::{one_thread_runtime, stop_signal, SystemClock};
use crate::inventory_cmd;

/// Arguments of `tocsin status`.
#[derive(Args)]
pub struct StatusArgs {
    #[command(subcommand)]
    command: StatusCommand,
}

#[derive(Subcommand)]
enum StatusCommand {
    /// Write the status page, its JSON, feed, calendar and stylesheet into a directory.
    Export(ExportArgs),
}

/// Arguments of `tocsin status export`.
#[derive(Args)]
struct ExportArgs {
    /// The TOML configuration file of the server.
    #[arg(long)]
    config: PathBuf,
    /// The directory to write into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Keep exporting at this interval (e.g. `10s`) until SIGTERM or Ctrl-C, rewriting only
    /// the files that changed: a mirror for independent hosting.
    #[arg(long, value_parser = humantime::parse_duration)]
    every: Option<Duration>,
}

/// Runs a `tocsin status` subcommand.
pub fn run(args: StatusArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        StatusCommand::Export(args) => export(args),
    }
}

fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config, std::env::vars())?;
    let inventory = match inventory_cmd::load(&config.inventory) {
        Ok(i) => Arc::new(i),
        Err(code) => return Ok(code),
    };
    let runtime = one_thread_runtime()?;
    runtime.block_on(async {
        // No migrations: a database `serve` never created is an error, not an empty page.
        let store = AnyStore::connect(&config.database)
            .await
            .context("cannot open the database")?;
        let stop = stop_signal();
        tokio::pin!(stop);
        loop {
            let written = tocsin_web::status::export(
                Arc::clone(&inventory),
                &store,
                &SystemClock,
                config.public_url.as_deref(),
                &args.out,
            )
            .await
            .with_context(|| format!("export to {}", args.out.display()))?;
            if !written.is_empty() || args.every.is_none() {
                println!("wrote {} files into {}", written.len(), args.out.display());
            }
            let Some(every) = args.every else { break };
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = &mut stop => break,
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
