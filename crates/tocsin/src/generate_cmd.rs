//! `tocsin generate`: writes a realistic provider inventory to stdout.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::Args;
use tocsin_inventory::generate::{generate, Shape};

/// Arguments of `tocsin generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// How many customers; services are about three per customer.
    #[arg(long)]
    customers: usize,
    /// Seed: the same seed gives the same inventory.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// `tocsin generate`.
pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    generate(
        Shape {
            customers: args.customers,
            seed: args.seed,
        },
        &mut out,
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
