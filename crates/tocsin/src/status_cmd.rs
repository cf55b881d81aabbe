//! `tocsin status export`: the public status page written as static files, from the same
//! database and inventory as `tocsin serve`, for publishing on independent hosting.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use tocsin_store::AnyStore;
use tocsin_web::Clock;

use crate::config::Config;
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
}

/// The wall clock, read at the edge only.
struct WallClock;

impl Clock for WallClock {
    #[allow(clippy::disallowed_methods)]
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        // No migrations: a database `serve` never created is an error, not an empty page.
        let store = AnyStore::connect(&config.database)
            .await
            .context("cannot open the database")?;
        let written = tocsin_web::status::export(
            inventory,
            &store,
            &WallClock,
            config.public_url.as_deref(),
            &args.out,
        )
        .await
        .with_context(|| format!("export to {}", args.out.display()))?;
        println!("wrote {} files into {}", written.len(), args.out.display());
        Ok(ExitCode::SUCCESS)
    })
}
