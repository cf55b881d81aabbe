//! Delivering composed messages over SMTP: a pool of reused connections, several in parallel,
//! and a verdict per message that the outbox turns into "sent", "retry later" or "give up".

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::address::{Address, Envelope as SmtpEnvelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls as LettreTls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{Error as SmtpError, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::task::JoinSet;

use crate::notice::Envelope;
use crate::NotifyError;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tls {
    /// Plain text, for a relay on the same host or network.
    #[default]
    None,
    /// Plain connection upgraded with `STARTTLS`, which the server must offer.
    StartTls,
    /// TLS from the first byte (implicit TLS, usually port 465).
    Tls,
}

/// A password or other secret; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where and how to deliver notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Server host name or IP address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub tls: Tls,
    /// Login, if the server wants one.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<Secret>,
    /// Connections kept open and used in parallel.
    pub connections: u32,
    /// Longest wait for any one step of the conversation.
    pub timeout: Duration,
    /// Name given in `EHLO`; `None` sends the loopback address literal.
    pub hello_name: Option<String>,
}

impl SmtpConfig {
    /// A plain-text server at `host:port` with the defaults: 8 connections, 30 s time-out.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            tls: Tls::None,
            username: None,
            password: None,
            connections: 8,
            timeout: Duration::from_secs(30),
            hello_name: None,
        }
    }
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server accepted it (`250` after the data).
    Delivered,
    /// Not delivered this time (`4xx`, connection refused or lost, time-out): try again later.
    Retry {
        /// What happened, for the staff's view of the outbox.
        reason: String,
    },
    /// Refused for good (`5xx`, or an address that cannot be sent to): do not retry.
    Failed {
        /// What happened.
        reason: String,
    },
}

/// Messages waiting for a free connection: position in the batch, envelope, bytes.
type Queue = Arc<Mutex<VecDeque<(usize, Envelope, Vec<u8>)>>>;

/// Each message's outcome by position in the batch, filled in as the workers finish them.
type Outcomes = Arc<Mutex<Vec<Option<Outcome>>>>;

/// Sends messages to one SMTP server over a pool of reused connections.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    connections: usize,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `config`. Connects lazily: a server that is down shows as [`Outcome::Retry`]
    /// on the first messages, not as an error here.
    pub fn new(config: &SmtpConfig) -> Result<Self, NotifyError> {
        let tls = match config.tls {
            Tls::None => LettreTls::None,
            Tls::StartTls => LettreTls::Required(tls_parameters(&config.host)?),
            Tls::Tls => LettreTls::Wrapper(tls_parameters(&config.host)?),
        };
        let connections = config.connections.max(1);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(connections)
                    .idle_timeout(Duration::from_secs(60)),
            );
        if let Some(name) = &config.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                builder = builder
                    .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
            }
            (None, None) => {}
            _ => {
                return Err(NotifyError::Config(
                    "username and password go together".to_owned(),
                ))
            }
        }
        Ok(Self {
            transport: builder.build(),
            connections: usize::try_from(connections).unwrap_or(8),
        })
    }

    /// Delivers one message to its one recipient.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Outcome {
        let envelope = match smtp_envelope(envelope) {
            Ok(e) => e,
            Err(reason) => return Outcome::Failed { reason },
        };
        match self.transport.send_raw(&envelope, message).await {
            Ok(_) => Outcome::Delivered,
            Err(e) => outcome_of(&e),
        }
    }

    /// Delivers `batch` over the pool, as many messages at once as there are connections, and
    /// returns each outbox id with its outcome, in the order given.
    pub async fn send_batch(&self, batch: Vec<(u64, Envelope, Vec<u8>)>) -> Vec<(u64, Outcome)> {
        let ids: Vec<u64> = batch.iter().map(|(id, _, _)| *id).collect();
        let queue: Queue = Arc::new(Mutex::new(
            batch
                .into_iter()
                .enumerate()
                .map(|(i, (_, envelope, message))| (i, envelope, message))
                .collect(),
        ));
        let outcomes: Outcomes = Arc::new(Mutex::new(vec![None; ids.len()]));
        let mut workers = JoinSet::new();
        for _ in 0..self.connections.min(ids.len()) {
            let queue = Arc::clone(&queue);
            let outcomes = Arc::clone(&outcomes);
            let mailer = self.clone();
            workers.spawn(async move {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some((index, envelope, message)) = next else {
                        break;
                    };
                    let outcome = mailer.send(&envelope, &message).await;
                    if let Ok(mut slots) = outcomes.lock() {
                        if let Some(slot) = slots.get_mut(index) {
                            *slot = Some(outcome);
                        }
                    }
                }
            });
        }
        while workers.join_next().await.is_some() {}
        // A worker that stopped early (cancelled; it has no panics) leaves slots empty: those
        // messages may or may not have gone out, and the outbox retries them.
        let slots = outcomes
            .lock()
            .map(|mut slots| std::mem::take(&mut *slots))
            .unwrap_or_default();
        ids.into_iter()
            .enumerate()
            .map(|(i, id)| {
                let outcome = slots.get(i).cloned().flatten().unwrap_or(Outcome::Retry {
                    reason: "not attempted: sending worker stopped".to_owned(),
                });
                (id, outcome)
            })
            .collect()
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, NotifyError> {
    TlsParameters::new(host.to_owned()).map_err(|e| NotifyError::Config(e.to_string()))
}

fn smtp_envelope(envelope: &Envelope) -> Result<SmtpEnvelope, String> {
    let from = if envelope.from.is_empty() {
        None
    } else {
        Some(
            envelope
                .from
                .parse::<Address>()
                .map_err(|e| format!("invalid sender {:?}: {e}", envelope.from))?,
        )
    };
    let to = envelope
        .to
        .parse::<Address>()
        .map_err(|e| format!("invalid recipient {:?}: {e}", envelope.to))?;
    SmtpEnvelope::new(from, vec![to]).map_err(|e| e.to_string())
}

/// Sorts an SMTP error: the server's `5xx` and our own refusals (a message this server can
/// never take) are final; everything else — `4xx`, network, time-out, TLS — may pass later.
fn outcome_of(error: &SmtpError) -> Outcome {
    let reason = error.to_string();
    if error.is_permanent() || error.is_client() {
        Outcome::Failed { reason }
    } else {
        Outcome::Retry { reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_not_printed() {
        let mut config = SmtpConfig::new("mx.example.net", 587);
        config.username = Some("tocsin".to_owned());
        config.password = Some(Secret::new("hunter2"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Secret(***)"));
    }

    #[test]
    fn half_credentials_are_refused() {
        let mut config = SmtpConfig::new("127.0.0.1", 25);
        config.username = Some("tocsin".to_owned());
        assert!(matches!(Mailer::new(&config), Err(NotifyError::Config(_))));
    }

    #[test]
    fn bad_recipient_fails_for_good() {
        let envelope = Envelope {
            from: "noc@example.net".to_owned(),
            to: "not an address".to_owned(),
        };
        assert!(smtp_envelope(&envelope).is_err());
    }
}
