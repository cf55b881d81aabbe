//! `tocsin bench netbox`: generates a provider's NetBox 4.2 answer set (10,000 devices and
//! 50,000 cables by default), serves it on the loopback as NetBox would, times
//! `tocsin import netbox` against it and `tocsin check` on what it wrote, and prints JSON.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::Context;
use clap::Args;

mod answers;
mod generate;
mod model;
mod render;
mod server;
#[cfg(test)]
mod tests;

/// Arguments of `tocsin bench netbox`.
#[derive(Args)]
pub struct NetboxBench {
    /// Devices to generate.
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// Cables to generate, data and power together (met within 1%).
    #[arg(long, default_value_t = 50_000)]
    cables: usize,
    /// The server's `MAX_PAGE_SIZE`: the most objects a page holds whatever `limit` asks.
    #[arg(long, default_value_t = answers::MAX_PAGE_SIZE)]
    page_size: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A program to run instead of this binary's `import netbox`, with the same arguments
    /// (`import netbox --url .. --token-file .. --out ..`): another importer to compare.
    #[arg(long)]
    importer: Option<std::path::PathBuf>,
    /// Keep the working directory (token file, imported inventory) and name it on stderr.
    #[arg(long)]
    keep: bool,
}

/// A child command's outcome.
struct Ran {
    code: Option<i32>,
    seconds: f64,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }

    fn lines_with(&self, word: &str) -> usize {
        self.stdout
            .lines()
            .chain(self.stderr.lines())
            .filter(|l| l.to_ascii_lowercase().contains(word))
            .count()
    }
}

/// Runs `program` (this binary when `None`) with `args`, timing it.
fn run_self(program: Option<&Path>, args: &[&str]) -> anyhow::Result<Ran> {
    let exe = match program {
        Some(p) => p.to_path_buf(),
        None => std::env::current_exe().context("cannot find the tocsin binary")?,
    };
    let t = Instant::now();
    let out = Command::new(&exe)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {} {}", exe.display(), args.join(" ")))?;
    Ok(Ran {
        code: out.status.code(),
        seconds: t.elapsed().as_secs_f64(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Writes the token where only this user can read it, as a real token file is kept.
fn write_token(path: &Path, token: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(f, "{token}").with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Items of the top-level lists `nodes`, `services` and `customers` of an inventory, counted
/// from its lines: a list item is a `- ` at the indentation of the list's first item.
fn count_items(yaml: &str) -> [usize; 3] {
    let sections = ["nodes", "services", "customers"];
    let mut counts = [0; 3];
    let mut current: Option<usize> = None;
    let mut indent: Option<usize> = None;
    for line in yaml.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let at = line.len() - trimmed.len();
        if at == 0 && !trimmed.starts_with('-') {
            let key = trimmed.split(':').next().unwrap_or("");
            current = sections.iter().position(|s| *s == key);
            indent = None;
            continue;
        }
        let Some(c) = current else { continue };
        if trimmed.starts_with("- ") || trimmed == "-" {
            match indent {
                None => {
                    indent = Some(at);
                    counts[c] += 1;
                }
                Some(i) if i == at => counts[c] += 1,
                Some(_) => {}
            }
        }
    }
    counts
}

/// How many planted hosts the imported inventory gives a plain requirement of one PDU
/// (`planted[0]`) or one leaf (`planted[1]`), and how many other hosts it gives one: a
/// redundant pair imported as such is an `any` group of two.
fn found(inventory: &Path, planted: &[Vec<String>; 2]) -> anyhow::Result<serde_json::Value> {
    let inventory = tocsin_inventory::load_path(inventory).map_err(|e| anyhow::anyhow!("{e}"))?;
    let graph = &inventory.graph;
    let single = |v: u32, kind: &str| {
        graph.groups(v).any(|g| {
            let m = graph.members(g);
            m.len() == 1 && inventory.kind_of(m[0]) == kind
        })
    };
    let mut out = serde_json::Map::new();
    for (names, kind, key) in [
        (&planted[0], "pdu", "both_psus_on_one_pdu"),
        (&planted[1], "leaf", "both_uplinks_on_one_leaf"),
    ] {
        let planted: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
        let (mut hit, mut other) = (0, 0);
        for v in 0..graph.vertex_count() as u32 {
            if matches!(inventory.kind_of(v), "server" | "hypervisor") && single(v, kind) {
                if planted.contains(graph.name(v)) {
                    hit += 1;
                } else {
                    other += 1;
                }
            }
        }
        out.insert(
            key.to_owned(),
            serde_json::json!({"planted": names.len(), "found": hit, "unplanted_found": other}),
        );
    }
    Ok(serde_json::Value::Object(out))
}

fn random_token() -> String {
    let mut rng = fastrand::Rng::new();
    (0..40)
        .map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0'))
        .collect()
}

pub(super) fn run(b: NetboxBench) -> anyhow::Result<ExitCode> {
    let t = Instant::now();
    let shape = generate::Shape {
        devices: b.devices,
        cables: b.cables,
        seed: b.seed,
    };
    let mut provider = generate::generate(&shape).map_err(anyhow::Error::msg)?;
    let generate_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut answers = render::render(&provider);
    answers.max_page_size = b.page_size.max(1);
    let render_s = t.elapsed().as_secs_f64();
    let stored_bytes = answers.stored_bytes();
    let generated = serde_json::json!({
        "sites": provider.sites.len(),
        "devices": provider.devices.len(),
        "cables": provider.cables.len(),
        "interfaces": provider.interfaces.len(),
        "cabled_interfaces": provider.interfaces.iter().filter(|i| i.link.is_some()).count(),
        "front_ports": provider.front_ports.len(),
        "rear_ports": provider.rear_ports.len(),
        "power_feeds": provider.power_feeds.len(),
        "power_ports": provider.power_ports.len(),
        "power_outlets": provider.power_outlets.len(),
        "clusters": provider.clusters.len(),
        "virtual_machines": provider.vms.len(),
        "tenants": provider.tenants.len(),
        "contacts": provider.contacts.len(),
        "generate_seconds": generate_s,
        "render_seconds": render_s,
        "answer_bytes": stored_bytes,
    });
    let planted = serde_json::json!({
        "both_psus_on_one_pdu": provider.planted_single_pdu.len(),
        "both_uplinks_on_one_leaf": provider.planted_single_leaf.len(),
    });
    let planted_hosts = [
        std::mem::take(&mut provider.planted_single_pdu),
        std::mem::take(&mut provider.planted_single_leaf),
    ];
    // What `spec/netbox.md` makes of the answer set: a customer per tenant, a service per
    // virtual machine or device that has a tenant, a node per device and power feed; and a
    // warning per tenant contact without an e-mail address.
    let tenanted = provider.vms.iter().filter(|v| v.tenant.is_some()).count()
        + provider
            .devices
            .iter()
            .filter(|d| d.tenant.is_some())
            .count();
    let expected = serde_json::json!({
        "customers": provider.tenants.len(),
        "services": tenanted,
        "device_and_feed_nodes": provider.devices.len() + provider.power_feeds.len(),
        "contacts_without_email": provider.contacts.iter().filter(|c| c.email.is_empty()).count(),
    });
    drop(provider);

    let dir = std::env::temp_dir().join(format!("tocsin-bench-netbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let token = random_token();
    let token_file = dir.join("token");
    write_token(&token_file, &token)?;
    let out = dir.join("inventory.yaml");

    // One worker: the importer under test should have the other core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut server = runtime
        .block_on(server::Server::start(answers, token))
        .context("cannot start the bench NetBox on 127.0.0.1")?;
    let url = format!("http://{}", server.addr);
    let (token_arg, out_arg) = (token_file.display().to_string(), out.display().to_string());
    let import = run_self(
        b.importer.as_deref(),
        &[
            "import",
            "netbox",
            "--url",
            &url,
            "--token-file",
            &token_arg,
            "--out",
            &out_arg,
        ],
    )?;
    let served = server.served();
    server.stop();
    drop(runtime);

    let mut report = serde_json::json!({
        "generated": generated,
        "planted_single_points_of_failure": planted,
        "expected_by_contract": expected,
        "served": {
            "max_page_size": b.page_size,
            "requests": served.requests,
            "bytes": served.bytes,
            "refused_or_unknown": served.refused,
            "busy_seconds": served.busy_seconds,
            "per_endpoint": served.per_endpoint.iter().map(|(p, r, bytes)| {
                ((*p).to_owned(), serde_json::json!({"requests": r, "bytes": bytes}))
            }).collect::<serde_json::Map<_, _>>(),
        },
        "import": {
            "exit_status": import.code,
            "seconds": import.seconds,
            "warning_lines": import.lines_with("warning"),
            "warning_sample": import.stderr.lines()
                .filter(|l| l.to_ascii_lowercase().contains("warning"))
                .take(3)
                .collect::<Vec<_>>(),
            "stderr_lines": import.stderr.lines().count(),
        },
    });
    let mut ok = import.ok();
    if ok {
        let text = std::fs::read_to_string(&out)
            .with_context(|| format!("the importer wrote no {}", out.display()))?;
        let [nodes, services, customers] = count_items(&text);
        report["output"] = serde_json::json!({
            "bytes": text.len(),
            "nodes": nodes,
            "services": services,
            "customers": customers,
        });
        let check = run_self(None, &["check", "--inventory", &out_arg])?;
        report["check"] = serde_json::json!({
            "exit_status": check.code,
            "seconds": check.seconds,
            "mtu_warnings": check.lines_with("exceeds"),
            "output_lines": check.stdout.lines().count() + check.stderr.lines().count(),
        });
        ok = check.ok();
        if ok {
            report["planted_found_in_import"] = found(&out, &planted_hosts)?;
        }
        if !ok {
            eprintln!("tocsin check failed on the import:");
            for line in check.stderr.lines().take(20) {
                eprintln!("  {line}");
            }
        }
    } else {
        eprintln!("tocsin import netbox failed against {url}:");
        for line in import.stderr.lines().take(20) {
            eprintln!("  {line}");
        }
    }
    report["bench_peak_rss_bytes"] = serde_json::json!(super::peak_rss());
    println!("{}", serde_json::to_string_pretty(&report)?);
    if b.keep {
        eprintln!("kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
