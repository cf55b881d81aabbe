//! `tocsin users`: accounts of staff and customers, kept in the server's database. Passwords
//! are read from `TOCSIN_PASSWORD` or the first line of standard input, never from the
//! command line (where `ps` would show them); API tokens are printed once and stored hashed.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use tocsin_app::Clock;
use tocsin_store::{AccountStore, NewAccount};
use tocsin_web::auth::{secrets, Role};

use crate::config::Config;
use crate::edge::{one_thread_runtime, SystemClock};
use crate::inventory_cmd;

/// Arguments of `tocsin users`.
#[derive(Args)]
pub struct UsersArgs {
    /// The TOML configuration file of the server (for its database).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create an account: `--role admin|shift_lead|engineer|junior|customer`.
    Add {
        /// What its owner types to log in.
        login: String,
        /// Its role.
        #[arg(long)]
        role: String,
        /// The inventory customer id (customers only).
        #[arg(long)]
        customer: Option<String>,
        /// Where its owner is mailed (staff: the shift lead, of an opened incident).
        #[arg(long)]
        email: Option<String>,
    },
    /// Set a new password (and enable the account).
    Passwd {
        /// The account.
        login: String,
    },
    /// Disable an account: it cannot log in, its sessions and tokens stop working.
    Disable {
        /// The account.
        login: String,
    },
    /// Print a new API token for `Authorization: Bearer`, once.
    Token {
        /// The account the token acts as.
        login: String,
        /// What the token is for.
        #[arg(long, default_value = "api")]
        name: String,
    },
    /// List accounts.
    List,
}

fn now_ms() -> i64 {
    SystemClock.now_ms()
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("TOCSIN_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn hash(password: &str) -> anyhow::Result<String> {
    secrets::hash_password(password).context("password refused")
}

/// A minimal check of an address: one `@` with something on both sides, no white space.
/// Whether it reaches anyone only the mail server can tell.
fn check_email(address: &str) -> anyhow::Result<()> {
    let well_formed = match address.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    };
    if !well_formed || address.chars().any(char::is_whitespace) {
        bail!("--email: `{address}` is not an e-mail address (expected one `@` and no spaces)");
    }
    Ok(())
}

/// Runs a `tocsin users` subcommand.
pub fn run(args: UsersArgs) -> anyhow::Result<ExitCode> {
    let Some(path) = args.config else {
        bail!("tocsin users: --config FILE is required (the server's configuration)");
    };
    let config = Config::load(&path, std::env::vars())?;
    // Checked before the database is touched: a customer account must name a customer.
    if let UsersCommand::Add {
        role,
        customer,
        email,
        ..
    } = &args.command
    {
        if let Some(address) = email {
            check_email(address)?;
        }
        let Some(r) = Role::parse(role) else {
            bail!("--role: `{role}` is not one of admin, shift_lead, engineer, junior, customer");
        };
        match (r, customer) {
            (Role::Customer, None) => {
                bail!("--customer: a customer account needs the inventory customer id")
            }
            (Role::Customer, Some(c)) => {
                let inventory = match inventory_cmd::load(&config.inventory) {
                    Ok(i) => i,
                    Err(code) => return Ok(code),
                };
                if inventory.customer_ids.find(c).is_none() {
                    bail!(
                        "--customer: `{c}` is not a customer in {}",
                        config.inventory.display()
                    );
                }
            }
            (_, Some(_)) => bail!("--customer: only customer accounts belong to a customer"),
            _ => {}
        }
    }
    let runtime = one_thread_runtime()?;
    runtime.block_on(async {
        let store = crate::edge::open_database(&config.database).await?;
        match args.command {
            UsersCommand::Add {
                login,
                role,
                customer,
                email,
            } => {
                let password_hash = hash(&read_password()?)?;
                let created = store
                    .create_account(&NewAccount {
                        login: &login,
                        role: &role,
                        customer: customer.as_deref(),
                        password_hash: &password_hash,
                        email: email.as_deref(),
                        created_ms: now_ms(),
                    })
                    .await?;
                if created.is_none() {
                    bail!(
                        "login `{login}` is taken (tocsin users passwd {login} sets its password)"
                    );
                }
                store
                    .audit(
                        now_ms(),
                        "cli",
                        "account.add",
                        &format!("account:{login}"),
                        &role,
                    )
                    .await?;
                println!("added {login} ({role})");
            }
            UsersCommand::Passwd { login } => {
                let password_hash = hash(&read_password()?)?;
                if !store.set_password(&login, &password_hash).await? {
                    bail!("no account `{login}`");
                }
                store
                    .audit(
                        now_ms(),
                        "cli",
                        "account.password",
                        &format!("account:{login}"),
                        "",
                    )
                    .await?;
                println!("password of {login} set");
            }
            UsersCommand::Disable { login } => {
                if !store.set_disabled(&login, true).await? {
                    bail!("no account `{login}`");
                }
                store
                    .audit(
                        now_ms(),
                        "cli",
                        "account.disable",
                        &format!("account:{login}"),
                        "",
                    )
                    .await?;
                println!("{login} disabled");
            }
            UsersCommand::Token { login, name } => {
                let Some(account) = store.account_by_login(&login).await? else {
                    bail!("no account `{login}`");
                };
                let token = secrets::random_token()?;
                store
                    .create_token(&secrets::token_hash(&token), account.id, &name, now_ms())
                    .await?;
                store
                    .audit(
                        now_ms(),
                        "cli",
                        "account.token",
                        &format!("account:{login}"),
                        &name,
                    )
                    .await?;
                println!("{token}");
            }
            UsersCommand::List => {
                for a in store.accounts().await? {
                    println!(
                        "{}\t{}\t{}{}",
                        a.login,
                        a.role,
                        a.customer.as_deref().unwrap_or("-"),
                        if a.disabled { "\tdisabled" } else { "" }
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
