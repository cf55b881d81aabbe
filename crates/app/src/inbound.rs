//! The support desk's inbound mail (`shared/spec/desk.md`, "Inbound e-mail"): a small SMTP
//! listener for the mail the provider's MTA relays to `[desk] address`, and the reading of
//! each message into an [`InboundMail`] that a [`MailDrop`] turns into tickets.
//!
//! The listener speaks RFC 5321 with PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES,
//! SMTPUTF8 and, when a certificate is configured, STARTTLS. It takes mail for the desk's
//! address only, bounds line lengths, message size, idle time and connections, and answers
//! every message with the drop's verdict: 250 accepted, 451 try again, 554 refused. It never
//! decides what a message means for the desk (threading, customers, automatic replies): the
//! drop does.

mod command;
mod parse;
mod session;
#[cfg(test)]
mod tests;
mod wire;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

pub use parse::parse;
pub(crate) use session::Limits;
/// The TLS library the listener's [`InboundConfig::tls`] comes from, so that the binary
/// builds its `ServerConfig` with the same version.
pub use tokio_rustls::rustls;

/// A message received for the desk, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// `Message-ID`, without angle brackets.
    pub message_id: Option<String>,
    /// `In-Reply-To` ids, without brackets.
    pub in_reply_to: Vec<String>,
    /// `References` ids, without brackets, oldest first as sent.
    pub references: Vec<String>,
    /// The `From:` address, lowercased.
    pub from: Option<String>,
    /// The `From:` display name, decoded.
    pub from_name: Option<String>,
    /// The subject, decoded (RFC 2047); empty when there is none.
    pub subject: String,
    /// The text/plain body, else the text of the HTML part; several inline text parts are
    /// joined by a line break. Quoted replies are kept as sent.
    pub text: String,
    /// The attachments, decoded.
    pub attachments: Vec<InboundAttachment>,
    /// Sent by a machine: `Auto-Submitted` other than `no`, or `Precedence` `bulk`, `junk`
    /// or `list`. Such a message opens no ticket and gets no reply.
    pub automatic: bool,
    /// The envelope sender (`MAIL FROM`), empty for the null sender of bounces.
    pub envelope_from: String,
    /// The envelope recipients accepted (`RCPT TO`).
    pub recipients: Vec<String>,
    /// The message as received, dot-unstuffed (for the archive).
    pub raw: Vec<u8>,
}

/// One attachment of an [`InboundMail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundAttachment {
    /// The file name the sender gave, without any path; `attachment-N` when it gave none.
    pub name: String,
    /// `type/subtype`, lowercased; text parts are decoded to UTF-8 and say
    /// `; charset=utf-8`.
    pub content_type: String,
    /// The content, transfer encoding undone.
    pub bytes: Vec<u8>,
}

/// What the drop made of a message; the listener answers the client with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Kept: `250`.
    Accepted,
    /// Not kept this time, the sending MTA should try again later: `451` with the reason.
    Retry(String),
    /// Never to be kept: `554` with the reason.
    Rejected(String),
}

/// Where received messages go (the desk's tickets).
pub trait MailDrop: Send + Sync + 'static {
    /// Takes one message; the SMTP client waits for the verdict.
    fn deliver(&self, mail: InboundMail) -> impl std::future::Future<Output = Verdict> + Send;
}

/// How the listener presents itself and what it accepts.
#[derive(Debug, Clone)]
pub struct InboundConfig {
    /// `[desk] address`: the one recipient accepted (case-insensitively).
    pub address: String,
    /// The name in the greeting and the EHLO answer.
    pub hostname: String,
    /// The largest message accepted, in bytes (as received, dot-unstuffed).
    pub max_size: usize,
    /// Offers STARTTLS with this configuration when set.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Serves SMTP on `listener` until `stop` turns true (or its sender is dropped); each
/// connection on its own task. Open connections are told `421` at their next wait and
/// closed; a message being handed to the drop is answered first. Returns once every
/// connection has ended.
pub async fn serve<D: MailDrop>(
    listener: TcpListener,
    config: InboundConfig,
    drop: Arc<D>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    serve_with(listener, config, drop, stop, Limits::default()).await
}

/// [`serve`] with chosen limits (tests take short time-outs and few connections).
pub(crate) async fn serve_with<D: MailDrop>(
    listener: TcpListener,
    config: InboundConfig,
    mail_drop: Arc<D>,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) -> std::io::Result<()> {
    let acceptor = config.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let shared = Arc::new(session::Shared {
        config,
        drop: mail_drop,
        limits,
        acceptor,
    });
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = wire::stopped(&mut stop) => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors, or a connection reset before it was taken: neither
                // ends the listener, and a pause keeps a lasting one from spinning.
                tracing::warn!(error = %e, "inbound: cannot accept a connection");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            let busy = format!(
                "421 4.7.0 {} Error: too many connections, try again later\r\n",
                shared.config.hostname
            );
            // Best effort: a new socket's send buffer takes one line without waiting.
            let _ = tcp.try_write(busy.as_bytes());
            tracing::warn!(%peer, "inbound: connection refused, too many open");
            continue;
        };
        let shared = Arc::clone(&shared);
        let stop = stop.clone();
        connections.spawn(async move {
            session::connection(tcp, peer, shared, stop).await;
            std::mem::drop(slot);
        });
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}
