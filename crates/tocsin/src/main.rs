//! The `tocsin` command: parses the command line and hands each subcommand to its module.

mod archive_cmd;
mod bench_cmd;
mod config;
mod demo_files;
mod edge;
mod generate_cmd;
mod inventory_cmd;
mod keyfile;
mod keys_cmd;
mod migrate_cmd;
mod netbox_cmd;
mod report;
mod runbooks_cmd;
mod serve_cmd;
mod sla_cmd;
mod status_cmd;
mod users_cmd;

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
    /// Run the server (`shared/spec/server.md`).
    Serve(serve_cmd::ServeArgs),
    /// Run the server on a generated provider with an embedded database: no setup.
    Demo(serve_cmd::DemoArgs),
    /// Check an inventory: every problem with FILE:LINE:COL.
    Check(inventory_cmd::CheckArgs),
    /// Who is down, degraded, affected or at risk given observed failures.
    Impact(inventory_cmd::ImpactArgs),
    /// Single points of failure of every service.
    Spof(inventory_cmd::SpofArgs),
    /// Write a realistic generated provider inventory to stdout.
    Generate(generate_cmd::GenerateArgs),
    /// Benchmarks that print JSON.
    Bench(bench_cmd::BenchArgs),
    /// The small-object archive.
    Archive(archive_cmd::ArchiveArgs),
    /// The public status page: `status export --config FILE --out DIR` writes it as static files.
    Status(status_cmd::StatusArgs),
    /// Accounts of staff and customers: add, passwd, disable, token, list.
    Users(users_cmd::UsersArgs),
    /// Runbooks for print: `runbooks export --config FILE --out DIR` writes `DIR/index.html`.
    Runbooks(runbooks_cmd::RunbooksArgs),
    /// SLA accounting: `sla report --config FILE --month YYYY-MM [--json | --csv]`.
    Sla(sla_cmd::SlaArgs),
    /// Import an inventory from another system: `import netbox --url URL --token-file FILE`.
    Import(netbox_cmd::ImportArgs),
    /// The keys of secrets at rest: `keys add --config FILE` rotates `[desk] key_file`.
    Keys(keys_cmd::KeysArgs),
    /// Moving VMs between clouds: `migrate plan`, `migrate announce`, `migrate convert`.
    Migrate(migrate_cmd::MigrateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve_cmd::serve(args),
        Command::Demo(args) => serve_cmd::demo(args),
        Command::Check(args) => inventory_cmd::check(args),
        Command::Impact(args) => inventory_cmd::impact(args),
        Command::Spof(args) => inventory_cmd::spof(args),
        Command::Generate(args) => generate_cmd::run(args),
        Command::Bench(args) => bench_cmd::run(args),
        Command::Archive(args) => archive_cmd::run(args),
        Command::Status(args) => status_cmd::run(args),
        Command::Users(args) => users_cmd::run(args),
        Command::Runbooks(args) => runbooks_cmd::run(args),
        Command::Sla(args) => sla_cmd::run(args),
        Command::Keys(args) => keys_cmd::run(args),
        Command::Import(args) => netbox_cmd::run(args),
        Command::Migrate(args) => migrate_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("tocsin: {err:#}");
            ExitCode::from(2)
        }
    }
}
