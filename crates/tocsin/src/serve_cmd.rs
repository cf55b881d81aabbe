//! `tocsin serve` and `tocsin demo`: the server, from a configuration file or from a generated
//! provider with an embedded database in a temporary directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tocsin_app::{Clock, Delivering, Transport};
use tocsin_store::{AnyStore, Store};
use tocsin_web::Server;

use crate::config::Config;
use crate::edge::{instance_lock, runtime, stop_signal, SystemClock};
use crate::inventory_cmd;

/// Arguments of `tocsin serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The TOML configuration file.
    #[arg(long)]
    config: PathBuf,
}

/// Arguments of `tocsin demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Customers of the generated provider.
    #[arg(long, default_value_t = 500)]
    customers: usize,
}

pub(crate) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TOCSIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Completes on SIGTERM or Ctrl-C, saying so in the log.
async fn shutdown_signal() {
    stop_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
}

/// Delivery per the configuration: SMTP when `[smtp]` is set, else notices are only kept.
fn delivering(config: &Config) -> anyhow::Result<Delivering> {
    // Notices link to the status page and the client area: the public face, when it has its
    // own address.
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen_public.unwrap_or(config.listen)));
    let list_id = public_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("tocsin.invalid")
        .to_owned();
    let Some(smtp) = &config.smtp else {
        tracing::warn!("no [smtp] section: notices are queued and kept, not e-mailed");
        return Ok(Delivering {
            transport: Transport::Keep,
            sender: tocsin_notify::Sender {
                from: format!("Tocsin <status@{list_id}>"),
                list_id,
            },
            public_url,
        });
    };
    let mut smtp_config = smtp.to_notify();
    // Strict relays refuse `EHLO localhost`: greet with the status page's host name.
    smtp_config.hello_name = Some(list_id.clone());
    let mailer =
        tocsin_notify::Mailer::new(&smtp_config).map_err(|e| anyhow::anyhow!("[smtp]: {e}"))?;
    Ok(Delivering {
        transport: Transport::Smtp(mailer),
        sender: tocsin_notify::Sender {
            from: smtp.from.clone(),
            list_id,
        },
        public_url,
    })
}

/// The archive at `dir`, opened for writing (this process is its one writer).
fn archiver(dir: Option<&std::path::Path>) -> anyhow::Result<tocsin_app::Archiver> {
    let boot = SystemClock.now_ms() as u64;
    let Some(dir) = dir else {
        tracing::warn!("no `archive` directory configured: raw alerts and sent mail are not kept");
        return Ok(tocsin_app::Archiver::new(None, boot));
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the archive directory {}", dir.display()))?;
    let archive = tocsin_archive::Archive::open_write(dir, tocsin_archive::Options::default())
        .with_context(|| format!("cannot open the archive {}", dir.display()))?;
    Ok(tocsin_app::Archiver::new(Some(archive), boot))
}

/// Re-reads the inventory at `path`, for SIGHUP and the reload endpoint.
fn reader(path: PathBuf) -> tocsin_app::ReloadFn {
    Arc::new(move || {
        // Reading a large inventory takes seconds of both cores; at a lower priority
        // (nice 10) it yields them to the alerts that keep coming meanwhile. The reader
        // runs on a thread of its own (`reload_inventory`), and the threads it starts
        // inherit the priority.
        crate::edge::lower_thread_priority(10);
        tocsin_inventory::load_path(&path).map_err(|e| {
            tracing::error!(inventory = %path.display(), "inventory has errors:\n{e}");
            e.to_string()
        })
    })
}

/// `tocsin serve`.
pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    let config = Config::load(&args.config, std::env::vars())?;
    tracing::info!(
        inventory = %config.inventory.display(),
        hold_down = ?config.notify.hold_down,
        smtp = config.smtp.as_ref().map(|s| format!("{}:{}", s.host, s.port)),
        public_url = config.public_url.as_deref(),
        allow_private_webhooks = config.notify.allow_private_webhooks,
        listen_public = config.listen_public.map(|a| a.to_string()),
        alert_tokens = config.alerts.tokens.len(),
        "configuration loaded"
    );
    if config.alerts.tokens.is_empty() {
        tracing::info!(
            "no [alerts] tokens: the alert endpoints take alerts from anyone who reaches them"
        );
    }
    let inventory = match inventory_cmd::load(&config.inventory) {
        Ok(i) => Arc::new(i),
        Err(code) => return Ok(code),
    };
    let _instance = instance_lock(&config.database)?;
    runtime()?.block_on(async {
        let store = AnyStore::connect(&config.database)
            .await
            .with_context(|| "cannot open the database".to_owned())?;
        let delivering = delivering(&config)?;
        let bound = Server {
            listen: config.listen,
            listen_public: config.listen_public,
            system: tocsin_app::Config {
                inventory,
                store,
                clock: Arc::new(SystemClock),
                hold_down: config.notify.hold_down,
                delivering,
                reload: Some(reader(config.inventory.clone())),
                archiver: archiver(config.archive.as_deref())?,
                broadcast_per_second: config.notify.broadcast_per_second,
                staff: config.notify.staff.clone(),
                allow_private_webhooks: config.notify.allow_private_webhooks,
                time_zone: config.sla.time_zone.clone(),
                sla: config.sla.to_policy()?,
                desk: config.desk.policy()?,
                inbound: inbound_listener(&config.desk)?,
                vault: match &config.desk.key_file {
                    Some(path) => Some(Arc::new(crate::keyfile::load_or_create(path)?)),
                    None => None,
                },
            },
        }
        .bind()
        .await?
        .with_trusted_proxies(config.trusted_proxies.clone())
        .with_alert_tokens(config.alerts.tokens.clone());
        bound.serve(shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `tocsin demo`.
pub fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    let dir = std::env::temp_dir().join(format!("tocsin-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut yaml = Vec::new();
    tocsin_inventory::generate::generate(
        tocsin_inventory::generate::Shape {
            customers: args.customers,
            seed: 1,
        },
        &mut yaml,
    )?;
    let inventory_path = dir.join("inventory.yaml");
    std::fs::write(&inventory_path, &yaml)?;
    let inventory = match inventory_cmd::load(&inventory_path) {
        Ok(i) => Arc::new(i),
        Err(code) => return Ok(code),
    };
    let services = inventory.services.len();
    let customers = inventory.customers.len();
    let database = format!("sqlite://{}", dir.join("tocsin.db").display());
    let showcase = demo_customer(&inventory, DEMO_LEAF);
    let tomorrow = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Prague")?)
        .date()
        .tomorrow()?;
    let vms = crate::demo_files::write_migration(&dir, &inventory, showcase.as_deref(), tomorrow)?;
    let config = crate::demo_files::write_config(&dir, &database)?;
    runtime()?.block_on(async {
        let store = AnyStore::connect(&database).await?;
        store.migrate().await?;
        let accounts = demo_accounts(&store, showcase.as_deref()).await?;
        // The desk's SMTP listener on a free port: mail to support@demo.example opens tickets.
        let inbound = std::net::TcpListener::bind("127.0.0.1:0")?;
        let inbound_port = inbound.local_addr()?.port();
        let contact = showcase
            .as_deref()
            .and_then(|c| inventory.customer_ids.find(c))
            .and_then(|c| inventory.customers.get(c as usize))
            .and_then(|c| c.contacts.first())
            .map_or_else(|| "someone@example.com".to_owned(), |k| k.email.to_string());
        // One of the showcase customer's services, for an OS intervention on it.
        let server = showcase
            .as_deref()
            .and_then(|c| inventory.customer_ids.find(c))
            .and_then(|c| inventory.services.iter().find(|s| s.customer == c))
            .map_or_else(|| "vps".to_owned(), |s| inventory.graph.name(s.vertex).to_owned());
        let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(8);
        let bound = Server {
            listen: args.listen,
            listen_public: None,
            system: tocsin_app::Config {
            inventory,
            store,
            clock: Arc::new(SystemClock),
            hold_down: std::time::Duration::from_secs(5),
            delivering: Delivering {
                transport: Transport::Keep,
                sender: tocsin_notify::Sender {
                    from: "Demo Hosting <status@demo.example>".to_owned(),
                    list_id: "status.demo.example".to_owned(),
                },
                public_url: format!("http://{}", args.listen),
            },
            reload: Some(reader(inventory_path.clone())),
            archiver: archiver(Some(&dir.join("archive")))?,
            broadcast_per_second: 50,
            staff: vec!["noc@demo.example".to_owned()],
            // The demo keeps the guard a real server has.
            allow_private_webhooks: false,
            time_zone: jiff::tz::TimeZone::get("Europe/Prague")?,
            sla: tocsin_app::sla::SlaPolicy {
                time_zone: jiff::tz::TimeZone::get("Europe/Prague")?,
                ..Default::default()
            },
            desk: tocsin_app::desk::DeskPolicy::new(
                Some("support@demo.example".to_owned()),
                Vec::new(),
            ),
            vault: Some(Arc::new(crate::keyfile::load_or_create(&dir.join("desk.key"))?)),
            inbound: Some((
                inbound,
                tocsin_app::inbound::InboundConfig {
                    address: "support@demo.example".to_owned(),
                    hostname: "demo.example".to_owned(),
                    max_size: 25 << 20,
                    tls: None,
                },
            )),
            },
        }
        .bind()
        .await?;
        let url = format!("http://{}", bound.addr());
        // Alerts need a token, as a real server's should; it lives only in this process.
        let alert_token = tocsin_web::auth::secrets::random_token()?;
        let tokens = tocsin_web::AlertTokens::parse(std::slice::from_ref(&alert_token))
            .map_err(|e| anyhow::anyhow!("demo alert token: {e}"))?;
        let bound = bound.with_public_url(url.clone()).with_alert_tokens(tokens);
        println!("Tocsin demo: a generated provider, {customers} customers, {services} services, 2 sites.");
        println!("Inventory and database in {}", dir.display());
        println!();
        println!("Status page: {url}/   Log in at {url}/login (password for every account below: {}):", accounts.password);
        for (login, what) in &accounts.logins {
            println!("  {login:<24} {what}");
        }
        println!();
        println!("Fail a leaf switch (hypervisors miswired to it lose service, the rest lose redundancy;");
        println!("alerts carry this run's alert token, as [alerts] tokens has monitoring do):");
        println!("  curl -s -X POST {url}/api/v1/alerts -H 'authorization: Bearer {alert_token}' -H 'content-type: application/json' -d '{{\"node\":\"{DEMO_LEAF}\",\"state\":\"down\",\"source\":\"demo\",\"id\":\"leaf\"}}'");
        println!("Who is down, degraded, affected, at risk (the staff API takes the admin's token):");
        println!("  curl -s {url}/api/v1/impact -H 'authorization: Bearer {}'", accounts.token);
        println!("Every console action has a JSON twin: what if the other leaf of the pair failed too?");
        println!("  curl -s '{url}/api/v1/whatif?down={DEMO_LEAF_PEER}' -H 'authorization: Bearer {}'", accounts.token);
        println!("After 5 s (the demo's hold-down) the affected customers' e-mails appear at:");
        println!("  {url}/demo/outbox   (logged in as staff; the incident in {url}/console and, for the customer, {url}/account)");
        println!("with one to the shift lead on duty (who that is, and the roster at {url}/console/shifts):");
        println!("  curl -s {url}/api/v1/shifts/now -H 'authorization: Bearer {}'", accounts.token);
        println!("Bring it back:");
        println!("  curl -s -X POST {url}/api/v1/alerts -H 'authorization: Bearer {alert_token}' -H 'content-type: application/json' -d '{{\"node\":\"{DEMO_LEAF}\",\"state\":\"up\",\"source\":\"demo\",\"id\":\"leaf\"}}'");
        println!();
        println!("Planned work (shared/spec/operations.md). Maintenance on that leaf in {} minutes: the answer", MAINTENANCE_IN_MIN);
        println!("names who will be down (the customers told now and 1 minute before, in /demo/outbox) and who is");
        println!("only at risk (not told); inside the window an alert on it opens no incident and the page shows");
        println!("the components under maintenance (all in {url}/console/components):");
        println!("  curl -s -X POST {url}/api/v1/maintenance -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"title\":\"Firmware of {DEMO_LEAF}\",\"description\":\"One switch of the pair at a time.\",\"targets\":[\"{DEMO_LEAF}\"],\"start\":\"{}\",\"end\":\"{}\",\"notify\":[\"1m\"]}}'", accounts.token, demo_at(MAINTENANCE_IN_MIN), demo_at(MAINTENANCE_IN_MIN + 30));
        println!("A rolling upgrade of the pair, one member at a time: blocked, naming the services of the hosts");
        println!("cabled to one switch only (seed 000), before anyone drains anything ({url}/console/upgrades):");
        println!("  curl -s -X POST {url}/api/v1/upgrades -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"title\":\"EVPN pair firmware\",\"members\":[\"{DEMO_LEAF}\",\"{DEMO_LEAF_PEER}\"],\"checklist\":[\"changelog read\",\"tested in the lab\",\"port names compared\"]}}'", accounts.token);
        println!("The monthly generator test of seed 001 in the drills register ({url}/console/drills):");
        println!("  curl -s -X POST {url}/api/v1/drills -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"title\":\"Generator under load\",\"targets\":[\"gen-dc1-a\"],\"rrule\":\"FREQ=MONTHLY;BYDAY=1TU\",\"start\":\"2026-01-06T09:00:00Z\",\"duration\":\"15m\",\"announced\":false}}'", accounts.token);
        println!();
        let (month, from, to) = demo_last_month();
        println!("SLA accounting (shared/spec/sla.md): record the 8-hour outage of that leaf last month that");
        println!("monitoring missed; within seconds last month's credits are offered to the customers it took down");
        println!("(e-mails in /demo/outbox; each customer chooses at {url}/account/sla, credits over 30 % wait for");
        println!("a shift lead at {url}/console/sla):");
        println!("  curl -s -X POST {url}/api/v1/outages -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"down\":[\"{DEMO_LEAF}\"],\"start\":\"{from}\",\"end\":\"{to}\",\"note\":\"monitoring missed it\"}}'", accounts.token);
        println!("  curl -s '{url}/api/v1/sla?month={month}' -H 'authorization: Bearer {}'", accounts.token);
        println!("  curl -s '{url}/api/v1/credits' -H 'authorization: Bearer {}'", accounts.token);
        println!();
        println!("Support desk (shared/spec/desk.md). The customer opens a ticket about a service (its first");
        println!("response is due in an hour of the default 24x7 tier; missed, the lead on duty and the assignee");
        println!("are mailed); the acknowledgement, then staff's public reply, threaded, appear in /demo/outbox;");
        println!("the queue is at {url}/console/tickets and the customer's tickets at {url}/account/tickets:");
        if let Some(t) = &accounts.customer_token {
            println!("  curl -s -X POST {url}/api/v1/tickets -H 'authorization: Bearer {t}' -H 'content-type: application/json' -d '{{\"subject\":\"Web is slow\",\"body\":\"Since 9:00 our shop answers slowly.\",\"priority\":\"high\"}}'");
        }
        println!("  curl -s -X POST {url}/api/v1/tickets/1/replies -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"body\":\"We are looking at it.\",\"public\":true}}'", accounts.token);
        println!("  curl -s {url}/api/v1/tickets/queue -H 'authorization: Bearer {}'", accounts.token);
        println!("Mail to the desk over SMTP opens a ticket (the sender is that customer's contact) or, answering");
        println!("the acknowledgement, is added to it (swaks is in Debian's package swaks):");
        println!("  swaks --server 127.0.0.1:{inbound_port} --from {contact} --to support@demo.example --header 'Subject: Mail is down' --body 'No mail since 8:00.'");
        println!("An OS intervention (seed 003): the customer authorises work on {server} and hands over");
        println!("credentials, sealed at once under the demo's key file; assigned (here to the admin), only the");
        println!("assignee sees them, and every look is on the customer's timeline. Closing needs a summary,");
        println!("mailed to the customer; the credentials are destroyed then (410). Replace N by the id answered:");
        if let Some(t) = &accounts.customer_token {
            println!("  curl -s -X POST {url}/api/v1/tickets -H 'authorization: Bearer {t}' -H 'content-type: application/json' -d '{{\"kind\":\"intervention\",\"server\":\"{server}\",\"action\":\"Reset the firewall: SSH does not answer\",\"credentials\":{{\"username\":\"root\",\"password\":\"demo-secret\"}},\"authorisation\":{{\"scope\":\"iptables only\",\"expires\":\"{expires}\",\"backups_confirmed\":true,\"interruption_accepted\":true}}}}'");
        }
        println!("  curl -s -X POST {url}/api/v1/tickets/N/assign -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"login\":\"admin@demo.example\"}}'", accounts.token);
        println!("  curl -s -X POST {url}/api/v1/tickets/N/credentials/reveal -H 'authorization: Bearer {}'", accounts.token);
        println!("  curl -s -X POST {url}/api/v1/tickets/N/status -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"status\":\"resolved\",\"summary\":\"Flushed the INPUT chain; SSH answers.\"}}'", accounts.token);
        println!("A sealed envelope (seed 001): the admin seals the social networks' passwords; any staff member");
        println!("may open it with a reason, and every admin is mailed at once (/demo/outbox, {url}/console/envelopes):");
        println!("  curl -s -X POST {url}/api/v1/envelopes -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"name\":\"Social networks\",\"secret\":\"twitter: demo-password\"}}'", accounts.token);
        println!("  curl -s -X POST {url}/api/v1/envelopes/1/open -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"reason\":\"our own network is down\"}}'", accounts.token);
        println!();
        println!("Your NetBox as an inventory (shared/spec/netbox.md): redundancy from cables and power, MTUs from");
        println!("interfaces; with a `fabric:` file beside it, `check --strict` fails on jumbo frames the overlay breaks:");
        println!("  tocsin import netbox --url https://netbox.example/ --token-file netbox.token --out inventory/netbox.yaml");
        println!("  tocsin check --inventory inventory/ --strict");
        println!("Moving {} VMs to a new cloud in weekend nights (shared/spec/migration.md): waves inside every", crate::demo_files::MIGRATING);
        println!("customer's windows, each customer interrupted as few times as it fits; then each wave announced as");
        println!("planned maintenance to exactly its customers (the e-mails in /demo/outbox), and a disk converted:");
        println!("  cargo run --release -- migrate plan --inventory {} --vms {}", inventory_path.display(), vms.display());
        println!("  cargo run --release -- migrate plan --inventory {} --vms {} --json > plan.json", inventory_path.display(), vms.display());
        println!("  cargo run --release -- migrate announce --config {} --plan plan.json", config.display());
        println!("  qemu-img create -f vmdk disk.vmdk 1G && cargo run --release -- migrate convert disk.vmdk disk.qcow2 --from vmdk --to qcow2");
        println!();
        println!("This instance's role and how far it applied the alert log (on PostgreSQL, several");
        println!("instances share the work and one leads: README, \"Several instances\"):");
        println!("  curl -s {url}/healthz");
        println!();
        println!("Ctrl-C stops the demo.");
        bound.serve(shutdown_signal()).await?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(ExitCode::SUCCESS)
    })
}

/// In how many minutes the demo's maintenance window starts.
const MAINTENANCE_IN_MIN: i64 = 3;

/// `minutes` from now, to the minute, as the API takes times.
fn demo_at(minutes: i64) -> String {
    let ms = SystemClock.now_ms() + minutes * 60_000;
    jiff::Timestamp::from_millisecond(ms - ms.rem_euclid(60_000))
        .map_or_else(|_| String::new(), |t| t.to_string())
}

/// Last month in Prague (`YYYY-MM`), and 8 hours on its tenth day (RFC 3339), for the demo's
/// recorded outage.
fn demo_last_month() -> (String, String, String) {
    let zone = jiff::tz::TimeZone::get("Europe/Prague").unwrap_or(jiff::tz::TimeZone::UTC);
    let month = tocsin_app::sla::Month::of(SystemClock.now_ms(), &zone).previous();
    let start = month.start_ms(&zone) + 9 * 86_400_000 + 8 * 3_600_000;
    let text = |ms: i64| tocsin_model::time::rfc3339(ms);
    (month.to_string(), text(start), text(start + 8 * 3_600_000))
}

/// The switch the demo's instructions fail.
const DEMO_LEAF: &str = "leaf-dc1-p00-a";
/// Its partner in the pair, for the demo's what-if.
const DEMO_LEAF_PEER: &str = "leaf-dc1-p00-b";

/// The first customer (by inventory order) who loses a service when `vertex` fails: the
/// demo's customer account shows an incident once the printed alert is sent.
fn demo_customer(inventory: &tocsin_model::Inventory, vertex: &str) -> Option<String> {
    let v = inventory.graph.find(vertex)?;
    let mut impact = tocsin_model::Impact::new(Arc::clone(&inventory.graph));
    impact.evaluate_full();
    let mut changes = Vec::new();
    impact.observe(v, tocsin_model::State::Down, &mut changes);
    changes
        .iter()
        .filter(|c| c.to == tocsin_model::State::Down)
        .filter_map(|c| inventory.service_of(c.vertex))
        .map(|s| s.customer)
        .filter(|&c| c != tocsin_model::inventory::NONE)
        .min()
        .map(|c| inventory.customer_id(c).to_owned())
}

/// The demo's accounts: one per staff role and one customer, all with one random password.
struct DemoAccounts {
    password: String,
    token: String,
    /// The customer's API token, when there is a customer.
    customer_token: Option<String>,
    logins: Vec<(String, String)>,
}

async fn demo_accounts(store: &AnyStore, customer: Option<&str>) -> anyhow::Result<DemoAccounts> {
    use tocsin_store::{AccountStore, NewAccount};
    use tocsin_web::auth::secrets;
    let password = secrets::random_token()?[..16].to_owned();
    let hash = secrets::hash_password(&password)?;
    let now = SystemClock.now_ms();
    let mut accounts: Vec<(String, &str, Option<&str>, String)> = [
        (
            "admin",
            "administrator: everything, accounts and inventory reload",
        ),
        (
            "lead",
            "shift lead: public updates, broadcasts, component status, maintenance",
        ),
        ("engineer", "engineer: marks vertices down and up by hand"),
        ("junior", "junior engineer: reads, notes, what-if"),
    ]
    .into_iter()
    .map(|(who, what)| {
        (
            format!("{who}@demo.example"),
            role_of(who),
            None,
            what.to_owned(),
        )
    })
    .collect();
    if let Some(c) = customer {
        accounts.push((
            format!("{c}@customer.example"),
            "customer",
            Some(c),
            format!("customer {c}: the client area (hit by the leaf switch below)"),
        ));
    }
    let mut logins = Vec::new();
    for (login, role, customer, what) in &accounts {
        store
            .create_account(&NewAccount {
                login,
                role,
                customer: *customer,
                password_hash: &hash,
                // The shift lead is on duty for the demo's first 12 hours, and mailed when an
                // incident opens.
                // The admin is mailed when a sealed envelope is opened.
                email: matches!(*role, "shift_lead" | "admin").then_some(login.as_str()),
                created_ms: now,
            })
            .await?;
        logins.push((login.clone(), what.clone()));
    }
    let on_duty = tocsin_store::Shift {
        id: 0,
        login: "lead@demo.example".to_owned(),
        starts_ms: now,
        ends_ms: now + 12 * 3600 * 1000,
        lead: true,
        created_by: "demo".to_owned(),
        created_ms: now,
    };
    if let Err(overlap) = store.add_shift(&on_duty).await? {
        anyhow::bail!("the demo's lead shift overlaps shift {overlap:?}");
    }
    let token = secrets::random_token()?;
    if let Some(admin) = store.account_by_login("admin@demo.example").await? {
        store
            .create_token(&secrets::token_hash(&token), admin.id, "demo", now)
            .await?;
    }
    let mut customer_token = None;
    if let Some(c) = customer {
        if let Some(account) = store
            .account_by_login(&format!("{c}@customer.example"))
            .await?
        {
            let t = secrets::random_token()?;
            store
                .create_token(&secrets::token_hash(&t), account.id, "demo", now)
                .await?;
            customer_token = Some(t);
        }
    }
    Ok(DemoAccounts {
        password,
        token,
        customer_token,
        logins,
    })
}

fn role_of(who: &str) -> &'static str {
    match who {
        "admin" => "admin",
        "lead" => "shift_lead",
        "engineer" => "engineer",
        _ => "junior",
    }
}

/// The desk's SMTP listener bound now, so that a taken port stops the start (`[desk] inbound`).
fn inbound_listener(
    desk: &crate::config::Desk,
) -> anyhow::Result<Option<(std::net::TcpListener, tocsin_app::inbound::InboundConfig)>> {
    let Some((at, config)) = desk.inbound_listener()? else {
        return Ok(None);
    };
    let listener = std::net::TcpListener::bind(at)
        .map_err(|e| anyhow::anyhow!("[desk] inbound: cannot listen on {at}: {e}"))?;
    tracing::info!(
        "desk inbound SMTP listening on {}",
        listener.local_addr().map_or(at, |a| a)
    );
    Ok(Some((listener, config)))
}
