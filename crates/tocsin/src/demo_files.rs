//! Files the demo writes beside its generated inventory so that the commands it prints work
//! as they are: the VMs of a migration to a new cloud (`tocsin migrate plan`), and a
//! configuration naming the demo's database and inventory (`tocsin migrate announce`).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use tocsin_model::Inventory;

/// How many of the generated provider's VMs the demo's migration moves.
pub const MIGRATING: usize = 240;

/// Writes `DIR/vms.yaml`: the first VMs of `inventory` with made-up disk sizes, weekend
/// nights as every customer's window, and a Tuesday night for `showcase`, from `from` on.
pub fn write_migration(
    dir: &Path,
    inventory: &Inventory,
    showcase: Option<&str>,
    from: jiff::civil::Date,
) -> anyhow::Result<PathBuf> {
    let mut text = String::new();
    writeln!(
        text,
        "# The demo's move to the new cloud: tocsin migrate plan --vms this file"
    )?;
    writeln!(
        text,
        "time_zone: Europe/Prague\nfrom: {from}\nlink: 10Gbit/s\nstreams: 4"
    )?;
    writeln!(text, "windows:\n  default: [\"Sat 22:00-Sun 06:00\"]")?;
    if let Some(c) = showcase {
        writeln!(
            text,
            "  {c}: [\"Tue 01:00-04:00\", \"Sat 22:00-Sun 06:00\"]"
        )?;
    }
    writeln!(text, "vms:")?;
    let vms = (0..inventory.graph.vertex_count() as u32)
        .filter(|&v| inventory.kind_of(v) == "vm")
        .take(MIGRATING);
    for (i, v) in vms.enumerate() {
        // 20 GiB to 500 GiB, spread without a random source.
        let gib = 20 + (i as u64 * 7919) % 481;
        let format = ["vmdk", "vhdx", "vpc", "qcow2"][i % 4];
        writeln!(
            text,
            "  - {{id: {}, disk_bytes: {}, format: {format}}}",
            inventory.graph.name(v),
            gib << 30
        )?;
    }
    let path = dir.join("vms.yaml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Writes `DIR/tocsin.toml` naming the demo's database and inventory, for the commands that
/// work on the database beside the running demo.
pub fn write_config(dir: &Path, database: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join("tocsin.toml");
    std::fs::write(
        &path,
        format!(
            "# The demo's own settings, for commands run beside it (tocsin migrate announce).\n\
             listen = \"127.0.0.1:0\"\ndatabase = \"{database}\"\ninventory = \"inventory.yaml\"\n\
             [sla]\ntime_zone = \"Europe/Prague\"\n"
        ),
    )?;
    Ok(path)
}
