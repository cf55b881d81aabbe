//! `tocsin import netbox`: reads a NetBox 4.x over its REST API and writes an inventory
//! (`shared/spec/netbox.md`); with `--watch`, re-imports on an interval and tells the server
//! to reload only when the result changed.

mod client;
mod watch;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use tocsin_inventory::netbox::{self, Answers, Imported, Options};
use zeroize::Zeroizing;

pub use client::Client;

/// Arguments of `tocsin import`.
#[derive(Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    source: Source,
}

#[derive(Subcommand)]
enum Source {
    /// From a NetBox 4.x REST API.
    Netbox(NetboxArgs),
}

/// Arguments of `tocsin import netbox`.
#[derive(Args)]
pub struct NetboxArgs {
    /// NetBox's base URL, e.g. `https://netbox.example/`.
    #[arg(long)]
    url: String,
    /// A file holding the API token (v1, or v2 `nbt_…`); it is never printed.
    #[arg(long)]
    token_file: PathBuf,
    /// Where to write the inventory; standard output without it.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Role slugs of the devices that are the network, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = netbox::DEFAULT_NETWORK_ROLES.iter().map(|s| s.to_string()))]
    network_roles: Vec<String>,
    /// Re-import every INTERVAL (e.g. `5m`), writing `--out` and reloading only on a change.
    #[arg(long, value_name = "INTERVAL", requires = "out")]
    watch: Option<humantime::Duration>,
    /// With --watch: the Tocsin server to reload (its base URL) after a change.
    #[arg(long, value_name = "URL", requires = "watch")]
    reload: Option<String>,
    /// With --reload: a file holding an administrator's API token of the Tocsin server.
    #[arg(long, value_name = "FILE", requires = "reload")]
    reload_token_file: Option<PathBuf>,
    /// Objects asked for per page (NetBox caps it at its MAX_PAGE_SIZE).
    #[arg(long, default_value_t = client::PAGE_SIZE, hide = true)]
    page_size: u32,
}

/// `tocsin import`.
pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let Source::Netbox(args) = args.source;
    let token = read_token(&args.token_file, "--token-file")?;
    let client = Client::new(&args.url, &token, args.page_size)?;
    drop(token);
    let options = Options {
        network_roles: args.network_roles.clone(),
        source: args.url.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if let Some(every) = args.watch {
        crate::serve_cmd::init_tracing();
        return runtime.block_on(watch::run(&client, &options, &args, every.into()));
    }
    let imported = runtime.block_on(import(&client, &options))?;
    report_warnings(&imported);
    match &args.out {
        Some(path) => {
            crate::edge::write_atomically(path, imported.text.as_bytes())?;
            eprintln!(
                "tocsin: wrote {}: {} sites, {} nodes, {} customers, {} services ({} requests, {} bytes from NetBox {} at {})",
                path.display(),
                imported.counts.sites,
                imported.counts.nodes,
                imported.counts.customers,
                imported.counts.services,
                client.requests(),
                client.bytes(),
                imported.netbox_version,
                args.url
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(imported.text.as_bytes())
                .and_then(|()| out.flush())
                .context("cannot write the inventory to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints each warning on standard error.
fn report_warnings(imported: &Imported) {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for w in &imported.warnings {
        let _ = writeln!(err, "warning: netbox {w}");
    }
}

/// A token from a file, trimmed; an empty file is an error naming it.
pub fn read_token(path: &std::path::Path, flag: &str) -> anyhow::Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {flag} {}", path.display()))?,
    );
    let token = Zeroizing::new(text.trim().to_owned());
    if token.is_empty() {
        bail!("{flag} {} is empty", path.display());
    }
    Ok(token)
}

/// Fetches every list the mapping reads, in parallel, and maps them.
pub async fn import(client: &Client, options: &Options) -> anyhow::Result<Imported> {
    let version = client.status().await?;
    let (sites, devices, cabled, lags, power_ports, power_panels, power_feeds) = tokio::try_join!(
        client.list("api/dcim/sites/", "id,name,slug", &[]),
        client.list(
            "api/dcim/devices/",
            "id,name,display,role,site,tenant,cluster",
            &[]
        ),
        client.list(
            "api/dcim/interfaces/",
            "id,device,type,lag,mtu,mgmt_only,enabled,cable,connected_endpoints,\
             connected_endpoints_type,connected_endpoints_reachable",
            &[("cabled", "true")]
        ),
        client.list::<tocsin_inventory::netbox::types::Interface>(
            "api/dcim/interfaces/",
            "id,device,type,mtu",
            &[("type", "lag")]
        ),
        client.list(
            "api/dcim/power-ports/",
            "id,device,cable,connected_endpoints,connected_endpoints_type",
            &[("cabled", "true")]
        ),
        client.list("api/dcim/power-panels/", "id,name,site", &[]),
        client.list("api/dcim/power-feeds/", "id,name,power_panel", &[]),
    )?;
    let (clusters, virtual_machines, tenants, contacts, contact_assignments) = tokio::try_join!(
        client.list("api/virtualization/clusters/", "id,name", &[]),
        client.list(
            "api/virtualization/virtual-machines/",
            "id,name,site,cluster,device,tenant",
            &[]
        ),
        client.list("api/tenancy/tenants/", "id,name,slug", &[]),
        client.list("api/tenancy/contacts/", "id,name,email", &[]),
        client.list(
            "api/tenancy/contact-assignments/",
            "id,object_type,object_id,contact",
            &[("object_type", "tenancy.tenant")]
        ),
    )?;
    let mut interfaces = cabled;
    interfaces.extend(lags);
    interfaces.sort_by_key(|i| i.id);
    interfaces.dedup_by_key(|i| i.id);
    let answers = Answers {
        version,
        sites,
        devices,
        interfaces,
        power_ports,
        power_panels,
        power_feeds,
        clusters,
        virtual_machines,
        tenants,
        contacts,
        contact_assignments,
    };
    Ok(netbox::import(&answers, options))
}
