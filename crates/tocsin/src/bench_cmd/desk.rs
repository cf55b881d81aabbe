//! `tocsin bench desk`: the support desk's throughput and its staff queue, on the real running
//! system in-process (a fresh database, a generated provider, e-mails kept rather than
//! mailed). Customers open tickets from `--concurrency` tasks (each one a durable
//! transaction with its acknowledgement queued), staff answer them in public (mailed,
//! threaded); then `--tickets` more are imported and the staff queue (`System::ticket_queue`:
//! the page's two reads, every tier and each tier alone) is timed over `--rounds`. Prints JSON
//! with the goal (queue p99 ≤ 100 ms).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use tocsin_app::desk::DeskPolicy;
use tocsin_app::ops::NewTicket;
use tocsin_app::{Clock, Opened, Principal, Role, System};
use tocsin_model::calendar::{Calendar, Hours};
use tocsin_model::ticket_clock::Targets;
use tocsin_model::Inventory;
use tocsin_store::{AnyStore, Ticket, TicketEvent, TicketStore};

use super::{percentile, write_generated};
use crate::edge::{runtime, SystemClock};

/// Arguments of `tocsin bench desk`.
#[derive(Args)]
pub struct DeskBench {
    /// Customers to generate (tickets are opened by them).
    #[arg(long, default_value_t = 2_000)]
    customers: usize,
    /// Tickets opened through the operation, timed.
    #[arg(long, default_value_t = 2_000)]
    creates: usize,
    /// Public staff replies, timed.
    #[arg(long, default_value_t = 2_000)]
    replies: usize,
    /// Tasks opening and answering at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Tickets in the database when the queue is timed.
    #[arg(long, default_value_t = 100_000)]
    tickets: usize,
    /// Queue reads timed.
    #[arg(long, default_value_t = 300)]
    rounds: usize,
    /// The database (a fresh SQLite file by default; a PostgreSQL URL of an empty database).
    #[arg(long)]
    database: Option<String>,
}

const HOUR: i64 = 3_600_000;

/// Two tiers: `business` in Prague office hours, `standard` around the clock.
fn policy() -> anyhow::Result<DeskPolicy> {
    let day: &[&str] = &["08:00-12:00", "13:00-17:00"];
    let hours = Hours::parse(
        jiff::tz::TimeZone::get("Europe/Prague")?,
        [day, day, day, day, day, &[], &[]],
        &["2026-12-24", "2026-12-25", "2026-12-26"],
    )
    .map_err(anyhow::Error::msg)?;
    Ok(DeskPolicy::new(
        Some("support@bench.invalid".to_owned()),
        vec![
            (
                "standard".to_owned(),
                Targets {
                    calendar: Calendar::Always,
                    first_response_ms: HOUR,
                    next_response_ms: 4 * HOUR,
                    resolution_ms: 72 * HOUR,
                },
            ),
            (
                "business".to_owned(),
                Targets {
                    calendar: Calendar::Hours(hours),
                    first_response_ms: HOUR / 2,
                    next_response_ms: 4 * HOUR,
                    resolution_ms: 48 * HOUR,
                },
            ),
        ],
    ))
}

pub(super) fn run(b: DeskBench) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("tocsin-bench-desk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("inventory.yaml");
    write_generated(&path, b.customers, 1)?;
    let inventory =
        Arc::new(tocsin_inventory::load_path(&path).map_err(|e| anyhow::anyhow!("{e}"))?);
    let database = b
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("tocsin.db").display()));
    let result = runtime()?.block_on(measure(inventory, &database, &b));
    let _ = std::fs::remove_dir_all(&dir);
    let out = result?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

fn summary(mut ms: Vec<f64>, wall: Duration) -> serde_json::Value {
    let n = ms.len();
    serde_json::json!({
        "count": n,
        "per_second": (n as f64 / wall.as_secs_f64()).round(),
        "p50_ms": percentile(&mut ms, 0.50),
        "p99_ms": percentile(&mut ms, 0.99),
    })
}

/// Runs `each(i)` for `0..n` on `concurrency` tasks; the latency of each call, ms, and the
/// wall time of all.
async fn timed<F, Fut>(
    n: usize,
    concurrency: usize,
    each: F,
) -> anyhow::Result<(Vec<f64>, Duration)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let each = Arc::new(each);
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|t| {
            let each = Arc::clone(&each);
            tokio::spawn(async move {
                let mut ms = Vec::new();
                let mut i = t;
                while i < n {
                    let at = Instant::now();
                    each(i).await?;
                    ms.push(at.elapsed().as_secs_f64() * 1000.0);
                    i += concurrency.max(1);
                }
                anyhow::Ok(ms)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((all, start.elapsed()))
}

async fn measure(
    inventory: Arc<Inventory>,
    database: &str,
    b: &DeskBench,
) -> anyhow::Result<serde_json::Value> {
    let store = AnyStore::connect(database).await?;
    let opened = Opened::open(super::in_process(Arc::clone(&inventory), store, policy()?)).await?;
    let (system, running) = opened.start();
    let customers: Arc<Vec<String>> = Arc::new(
        (0..inventory.customers.len())
            .map(|c| inventory.customer_id(c as u32).to_owned())
            .collect(),
    );
    anyhow::ensure!(
        !customers.is_empty(),
        "the generated provider has no customers"
    );

    // Customers open tickets.
    let ids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(b.creates)));
    let (open_ms, open_wall) = {
        let (system, customers, ids) = (
            Arc::clone(&system),
            Arc::clone(&customers),
            Arc::clone(&ids),
        );
        timed(b.creates, b.concurrency, move |i| {
            let (system, customers, ids) = (
                Arc::clone(&system),
                Arc::clone(&customers),
                Arc::clone(&ids),
            );
            async move {
                let customer = &customers[i % customers.len()];
                let who = Principal {
                    login: format!("bench@{customer}"),
                    role: Role::Customer,
                    customer: Some(customer.clone()),
                };
                let t = system
                    .open_ticket(
                        &who,
                        NewTicket {
                            subject: format!("Server {i} does not answer"),
                            body: "Since this morning the server answers no ping.".to_owned(),
                            ..NewTicket::default()
                        },
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("open: {e}"))?;
                ids.lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .push(t.id);
                Ok(())
            }
        })
        .await?
    };
    let ids: Arc<Vec<i64>> = Arc::new(ids.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone());

    // Staff answer them in public.
    let (reply_ms, reply_wall) = {
        let (system, ids) = (Arc::clone(&system), Arc::clone(&ids));
        timed(b.replies, b.concurrency, move |i| {
            let (system, ids) = (Arc::clone(&system), Arc::clone(&ids));
            async move {
                let who = Principal {
                    login: "engineer@bench.invalid".to_owned(),
                    role: Role::Engineer,
                    customer: None,
                };
                system
                    .reply_ticket(
                        &who,
                        ids[i % ids.len()],
                        "We are on it; the host is being restarted.",
                        true,
                        Vec::new(),
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("reply: {e}"))?;
                Ok(())
            }
        })
        .await?
    };

    // The queue over `tickets` tickets.
    let imported = import(&system, &customers, b.tickets).await?;
    let staff = Principal::automatic("bench-queue");
    let mut queue = serde_json::Map::new();
    for tier in [None, Some("business"), Some("standard")] {
        let mut ms = Vec::with_capacity(b.rounds);
        let mut shown = 0;
        for _ in 0..b.rounds {
            let at = Instant::now();
            let (list, _, _) = system
                .ticket_queue(&staff, tier, 100)
                .await
                .map_err(|e| anyhow::anyhow!("queue: {e}"))?;
            ms.push(at.elapsed().as_secs_f64() * 1000.0);
            shown = list.len();
        }
        let p99 = percentile(&mut ms, 0.99);
        queue.insert(
            tier.unwrap_or("all").to_owned(),
            serde_json::json!({
                "rows": shown,
                "p50_ms": percentile(&mut ms, 0.50),
                "p99_ms": p99,
                "goal_ms": 100,
                "met": p99 <= 100.0,
            }),
        );
    }
    drop(system);
    running.stop().await;
    Ok(serde_json::json!({
        "bench": "desk",
        "database": if database.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "concurrency": b.concurrency,
        "open_ticket": summary(open_ms, open_wall),
        "staff_reply": summary(reply_ms, reply_wall),
        "tickets_in_queue_database": imported + ids.len(),
        "queue_100_rows": queue,
    }))
}

/// Imports `n` open tickets of every kind the queue sorts: both tiers, due times over two
/// weeks, about one in twenty with a missed target, some resolved.
async fn import(system: &System, customers: &[String], n: usize) -> anyhow::Result<usize> {
    let now = SystemClock.now_ms();
    let mut done = 0;
    while done < n {
        let batch: Vec<(Ticket, Vec<TicketEvent>)> = (done..(done + 5_000).min(n))
            .map(|i| {
                let created = now - (i as i64 % 1_000) * 60_000;
                let status = match i % 10 {
                    0 => "resolved",
                    1 | 2 => "waiting_customer",
                    _ => "open",
                };
                let ticket = Ticket {
                    id: 0,
                    customer: Some(customers[i % customers.len()].clone()),
                    requester: None,
                    subject: format!("Imported ticket {i}"),
                    department: "technical".to_owned(),
                    priority: "normal".to_owned(),
                    status: status.to_owned(),
                    tier: if i % 3 == 0 { "business" } else { "standard" }.to_owned(),
                    language: "en".to_owned(),
                    services: Vec::new(),
                    incidents: Vec::new(),
                    assignee: None,
                    merged_into: None,
                    due_ms: created + ((i * 7_919) % (14 * 24)) as i64 * HOUR,
                    breached: i % 20 == 0,
                    rating: None,
                    rating_comment: None,
                    rated_ms: None,
                    created_ms: created,
                    updated_ms: created,
                    version: 0,
                };
                let event = TicketEvent {
                    id: 0,
                    ticket: 0,
                    kind: "created".to_owned(),
                    author: "someone@customer.invalid".to_owned(),
                    body: "Imported.".to_owned(),
                    public: true,
                    status: Some(status.to_owned()),
                    message_id: None,
                    attachments: "[]".to_owned(),
                    at_ms: created,
                };
                (ticket, vec![event])
            })
            .collect();
        done += system.store.import_tickets(&batch).await?.len();
    }
    Ok(done)
}
