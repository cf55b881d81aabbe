//! `tocsin bench desk`: the support desk's throughput and its staff queue, on the real server
//! in-process (HTTP on a local port, a fresh database, a generated provider, e-mails kept
//! rather than mailed). Customers open tickets through the API from `--concurrency` tasks
//! (each a durable transaction with its acknowledgement queued), staff answer them in public
//! (mailed, threaded); then `--tickets` more are imported and the console's queue page and
//! the queue API (every tier and one) are timed over `--rounds`, each request on a connection
//! of its own. Prints JSON with the goal (queue page p99 ≤ 100 ms).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use tocsin_app::desk::DeskPolicy;
use tocsin_app::Clock;
use tocsin_model::calendar::{Calendar, Hours};
use tocsin_model::ticket_clock::Targets;
use tocsin_model::Inventory;
use tocsin_store::{AnyStore, Store, Ticket, TicketEvent, TicketStore};

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

/// One HTTP/1.1 exchange on a connection of its own: the status and the body.
async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> anyhow::Result<(u16, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("an answer without headers")?;
    let status = std::str::from_utf8(&raw[..split])?
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("an answer without a status")?;
    Ok((status, raw[split + 4..].to_vec()))
}

/// `request`, demanding `want`.
async fn expect(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
    want: u16,
) -> anyhow::Result<Vec<u8>> {
    let (status, answer) = request(addr, method, path, token, body).await?;
    anyhow::ensure!(
        status == want,
        "{method} {path}: {status} {}",
        String::from_utf8_lossy(&answer)
    );
    Ok(answer)
}

/// An account of `role` (for `customer`) with an API token; the token.
async fn account(
    store: &AnyStore,
    login: &str,
    role: &str,
    customer: Option<&str>,
) -> anyhow::Result<String> {
    use tocsin_store::{AccountStore, NewAccount};
    use tocsin_web::auth::secrets;
    let now = SystemClock.now_ms();
    let id = store
        .create_account(&NewAccount {
            login,
            role,
            customer,
            password_hash: "!",
            email: None,
            created_ms: now,
        })
        .await?
        .context("a bench account exists already")?;
    let token = secrets::random_token()?;
    store
        .create_token(&secrets::token_hash(&token), id, "bench", now)
        .await?;
    Ok(token)
}

async fn measure(
    inventory: Arc<Inventory>,
    database: &str,
    b: &DeskBench,
) -> anyhow::Result<serde_json::Value> {
    let store = AnyStore::connect(database).await?;
    store.migrate().await?;
    let concurrency = b.concurrency.max(1);
    let customers: Vec<String> = (0..inventory.customers.len().min(concurrency))
        .map(|c| inventory.customer_id(c as u32).to_owned())
        .collect();
    anyhow::ensure!(
        !customers.is_empty(),
        "the generated provider has no customers"
    );
    let mut customer_tokens = Vec::new();
    for c in &customers {
        customer_tokens.push(account(&store, &format!("bench@{c}"), "customer", Some(c)).await?);
    }
    let customer_tokens = Arc::new(customer_tokens);
    let staff = Arc::new(account(&store, "engineer@bench.invalid", "engineer", None).await?);
    let bound = tocsin_web::Server {
        listen: "127.0.0.1:0".parse()?,
        listen_public: None,
        system: super::in_process(Arc::clone(&inventory), store, policy()?),
    }
    .bind()
    .await?;
    let addr = bound.addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bound.serve(async move {
        let _ = stopped.await;
    }));

    // Customers open tickets, each a request to the API.
    let ids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(b.creates)));
    let (open_ms, open_wall) = {
        let (tokens, ids) = (Arc::clone(&customer_tokens), Arc::clone(&ids));
        timed(b.creates, concurrency, move |i| {
            let (tokens, ids) = (Arc::clone(&tokens), Arc::clone(&ids));
            async move {
                let body = serde_json::json!({
                    "subject": format!("Server {i} does not answer"),
                    "body": "Since this morning the server answers no ping.",
                })
                .to_string();
                let token = &tokens[i % tokens.len()];
                let answer = expect(addr, "POST", "/api/v1/tickets", token, &body, 201).await?;
                let t: serde_json::Value = serde_json::from_slice(&answer)?;
                let id = t["id"].as_i64().context("a ticket without an id")?;
                ids.lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .push(id);
                Ok(())
            }
        })
        .await?
    };
    let ids: Arc<Vec<i64>> = Arc::new(ids.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone());
    anyhow::ensure!(!ids.is_empty(), "no ticket was opened");

    // Staff answer them in public.
    let (reply_ms, reply_wall) = {
        let (staff, ids) = (Arc::clone(&staff), Arc::clone(&ids));
        timed(b.replies, concurrency, move |i| {
            let (staff, ids) = (Arc::clone(&staff), Arc::clone(&ids));
            async move {
                let path = format!("/api/v1/tickets/{}/replies", ids[i % ids.len()]);
                let body =
                    r#"{"body": "We are on it; the host is being restarted.", "public": true}"#;
                expect(addr, "POST", &path, &staff, body, 201).await?;
                Ok(())
            }
        })
        .await?
    };

    // The queue over `tickets` tickets: the console's page and the API, every tier and each.
    let importer = AnyStore::connect(database).await?;
    let imported = import(&importer, &customers, b.tickets).await?;
    let mut queue = serde_json::Map::new();
    for (name, path) in [
        ("page_all", "/console/tickets"),
        ("page_business", "/console/tickets?tier=business"),
        ("api_all", "/api/v1/tickets/queue?limit=100"),
        (
            "api_standard",
            "/api/v1/tickets/queue?tier=standard&limit=100",
        ),
    ] {
        let mut ms = Vec::with_capacity(b.rounds);
        let mut bytes = 0;
        for _ in 0..b.rounds {
            let at = Instant::now();
            bytes = expect(addr, "GET", path, &staff, "", 200).await?.len();
            ms.push(at.elapsed().as_secs_f64() * 1000.0);
        }
        let p99 = percentile(&mut ms, 0.99);
        queue.insert(
            name.to_owned(),
            serde_json::json!({
                "path": path,
                "bytes": bytes,
                "p50_ms": percentile(&mut ms, 0.50),
                "p99_ms": p99,
                "goal_ms": 100,
                "met": p99 <= 100.0,
            }),
        );
    }
    let _ = stop.send(());
    server.await??;
    Ok(serde_json::json!({
        "bench": "desk",
        "database": if database.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "concurrency": concurrency,
        "open_ticket_http": summary(open_ms, open_wall),
        "staff_reply_http": summary(reply_ms, reply_wall),
        "tickets_in_database": imported + ids.len(),
        "queue_100_rows": queue,
    }))
}

/// Imports `n` open tickets of every kind the queue sorts: both tiers, due times over two
/// weeks, about one in twenty with a missed target, some resolved.
async fn import(store: &AnyStore, customers: &[String], n: usize) -> anyhow::Result<usize> {
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
                    kind: "ticket".to_owned(),
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
        done += store.import_tickets(&batch).await?.len();
    }
    Ok(done)
}
