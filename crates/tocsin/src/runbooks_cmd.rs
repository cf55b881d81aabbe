//! `tocsin runbooks export`: the runbooks, the shift roster, the staff contacts, the drills
//! due and the single points of failure as one self-contained HTML page to print, for the
//! day the internal network (and the wiki on it) is down. It reads the same configuration
//! and database as `tocsin serve`, beside a running server, and takes no instance lock.

mod drills;
mod render;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use tocsin_app::Clock;
use tocsin_model::FailureSets;
use tocsin_store::{AccountStore, AnyStore, DrillStore};

use crate::config::Config;
use crate::edge::{one_thread_runtime, SystemClock};
use crate::{inventory_cmd, report};
use drills::RegisteredDrill;
use render::{Book, Runbook};

/// How far ahead the roster and the drills are printed.
const WINDOW_MS: i64 = 14 * 24 * 3_600_000;

/// Arguments of `tocsin runbooks`.
#[derive(Args)]
pub struct RunbooksArgs {
    #[command(subcommand)]
    command: RunbooksCommand,
}

#[derive(Subcommand)]
enum RunbooksCommand {
    /// Write `DIR/index.html`: one self-contained page to read and print (A4).
    Export(ExportArgs),
}

/// Arguments of `tocsin runbooks export`.
#[derive(Args)]
struct ExportArgs {
    /// The TOML configuration file of the server (its `runbooks = "DIR"` names the Markdown).
    #[arg(long)]
    config: PathBuf,
    /// The directory to write `index.html` into (created if missing).
    #[arg(long)]
    out: PathBuf,
}

/// Runs a `tocsin runbooks` subcommand.
pub fn run(args: RunbooksArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RunbooksCommand::Export(args) => export(args),
    }
}

fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config, std::env::vars())?;
    let Some(dir) = &config.runbooks else {
        bail!(
            "{}: no `runbooks = \"DIR\"`: name the directory of Markdown runbooks to print",
            args.config.display()
        );
    };
    let runbooks = read_runbooks(dir)?;
    let inventory = match inventory_cmd::load(&config.inventory) {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let sets = FailureSets::compute(&inventory.graph);
    let spof = report::redundancy_report(&inventory, &sets);
    // The one reading of the clock: everything below takes this moment as an argument.
    let now_ms = SystemClock.now_ms();
    let runtime = one_thread_runtime()?;
    let (roster, accounts, drills) = runtime.block_on(async {
        // No migrations: a database `serve` never created is an error, not an empty roster.
        let store = AnyStore::connect(&config.database)
            .await
            .context("cannot open the database")?;
        let unread = "cannot read the database (is it one `tocsin serve` has run on?)";
        let roster = store
            .shifts(now_ms, now_ms + WINDOW_MS)
            .await
            .context(unread)?;
        let accounts = store.accounts().await.context(unread)?;
        let drills = registered_drills(&store, &config.sla.time_zone, now_ms, now_ms + WINDOW_MS)
            .await
            .context(unread)?;
        anyhow::Ok((roster, accounts, drills))
    })?;
    let contacts = render::staff_contacts(&accounts);
    let due = drills::drills_due(&drills, now_ms, now_ms + WINDOW_MS);
    let provider = config.public_url.as_deref().and_then(host_of);
    let html = render::render(&Book {
        provider,
        generated_ms: now_ms,
        time_zone: &config.sla.time_zone,
        runbooks: &runbooks,
        roster: &roster,
        contacts: &contacts,
        drills: &due,
        spof: &spof,
    })
    .context("cannot render the runbooks")?;
    let path = write_page(&args.out, &html)?;
    println!(
        "wrote {} ({} runbooks, {} shifts, {} staff, {} drills due)",
        path.display(),
        runbooks.len(),
        roster.len(),
        contacts.len(),
        due.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The drills of the register with their occurrences expanded up to `to_ms`, for
/// [`drills::drills_due`].
///
/// The drills of the register (`shared/spec/operations.md` § "Emergency drills"), each with
/// its occurrences from a year back (overdue ones are printed) to `to_ms`, its RRULE expanded
/// in `[sla] time_zone` as the server expands it, and the occurrences that have a result.
/// A drill whose rule no longer parses is printed without occurrences, not dropped.
async fn registered_drills(
    store: &AnyStore,
    zone: &jiff::tz::TimeZone,
    now_ms: i64,
    to_ms: i64,
) -> anyhow::Result<Vec<RegisteredDrill>> {
    const YEAR_MS: i64 = 366 * 86_400_000;
    const MOST: usize = 1000;
    let from_ms = now_ms - YEAR_MS;
    let results = store.drill_results(from_ms).await?;
    let mut out = Vec::new();
    for d in store.drills().await? {
        let occurrences_ms = match tocsin_app::recur::Recurrence::new(&d.rrule, d.start_ms, zone) {
            Ok(r) => r.between(from_ms.max(d.start_ms), to_ms, MOST),
            Err(e) => {
                tracing::warn!(drill = d.id, error = %e, "a drill's rule does not parse");
                Vec::new()
            }
        };
        let with_result_ms = results
            .iter()
            .filter(|r| r.drill == d.id)
            .map(|r| r.occurrence_ms)
            .collect();
        out.push(RegisteredDrill {
            title: d.title,
            targets: d.targets,
            duration_ms: d.duration_ms,
            announced: d.announced,
            occurrences_ms,
            with_result_ms,
        });
    }
    Ok(out)
}

/// The Markdown files of `dir`, in name order.
fn read_runbooks(dir: &Path) -> anyhow::Result<Vec<Runbook>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the runbooks directory {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read the runbooks directory {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "md") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read runbook {} (UTF-8)", path.display()))?;
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            Runbook::from_markdown(&name, &text)
                .with_context(|| format!("cannot render runbook {}", path.display()))
        })
        .collect()
}

/// The host of the public status page's URL: the closest thing to the provider's name the
/// configuration has.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', ':', '?', '#']).next()?;
    (!host.is_empty()).then_some(host)
}

/// Writes `out/index.html` through a temporary file and a rename, so that a reader (or a
/// printer) never sees half a page when the export runs from cron.
fn write_page(out: &Path, html: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("index.html");
    crate::edge::write_atomically(&path, html.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_is_the_public_urls_host() {
        assert_eq!(
            host_of("https://status.provider.example/x"),
            Some("status.provider.example")
        );
        assert_eq!(
            host_of("http://status.provider.example:8080"),
            Some("status.provider.example")
        );
        assert_eq!(host_of("https://"), None);
    }

    #[test]
    fn runbooks_are_the_markdown_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.md"), "# Second\n").unwrap();
        std::fs::write(dir.path().join("a.md"), "no heading\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "# Not a runbook\n").unwrap();
        let books = read_runbooks(dir.path()).unwrap();
        let titles: Vec<&str> = books.iter().map(|b| b.title.as_str()).collect();
        assert_eq!(titles, ["a.md", "Second"]);
        let out = dir.path().join("out");
        let path = write_page(&out, "<p>x</p>").unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "<p>x</p>");
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            1,
            "no temporary left"
        );
    }
}
