//! One SMTP connection, from the greeting to QUIT: the session's state (greeted, the mail
//! transaction in progress), what each command means in it, STARTTLS, and handing a received
//! message to the [`MailDrop`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::command::{self, Command};
use super::wire::{Block, Cut, Line, Wire};
use super::{InboundConfig, MailDrop, Verdict};

/// Bounds on what one client may make the listener do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Connections served at once; one more is told 421 and closed.
    pub max_connections: usize,
    /// How long the listener waits for a client to send (or take) anything.
    pub timeout: Duration,
    /// The longest command line, without its ending.
    pub max_line: usize,
    /// Error replies after which the connection is closed.
    pub max_errors: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 100,
            // RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for a command.
            timeout: Duration::from_secs(300),
            // Above RFC 5321's 512 octets, for clients that add parameters.
            max_line: 1000,
            max_errors: 20,
        }
    }
}

/// What every connection of one listener shares.
pub(crate) struct Shared<D> {
    pub config: InboundConfig,
    pub drop: Arc<D>,
    pub limits: Limits,
    pub acceptor: Option<TlsAcceptor>,
}

/// A mail transaction: from MAIL to the end of DATA (or RSET).
struct Transaction {
    from: String,
    recipients: Vec<String>,
}

/// What the client has said so far on this stream.
#[derive(Default)]
struct Session {
    greeted: bool,
    mail: Option<Transaction>,
    errors: usize,
}

/// How a conversation on one stream ended.
enum End {
    Done,
    StartTls,
}

/// Serves one connection to its end.
pub(crate) async fn connection<D: MailDrop>(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared<D>>,
    stop: watch::Receiver<bool>,
) {
    let mut wire = Wire::new(tcp, shared.limits.timeout, stop.clone());
    let greeting = format!("{} ESMTP Tocsin", shared.config.hostname);
    wire.reply(220, &[&greeting]);
    let End::StartTls = converse(&mut wire, &shared, false).await else {
        return;
    };
    let Some(acceptor) = &shared.acceptor else {
        return;
    };
    let tcp = wire.into_inner();
    let tls = match tokio::time::timeout(shared.limits.timeout, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "inbound: TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "inbound: TLS handshake timed out");
            return;
        }
    };
    let mut wire = Wire::new(tls, shared.limits.timeout, stop);
    converse(&mut wire, &shared, true).await;
}

/// Answers commands until the client quits, the connection ends, or STARTTLS; a new
/// session starts on the encrypted stream then, knowing nothing of this one (RFC 3207 §4.2).
async fn converse<S, D>(wire: &mut Wire<S>, shared: &Shared<D>, secure: bool) -> End
where
    S: AsyncRead + AsyncWrite + Unpin,
    D: MailDrop,
{
    let host = shared.config.hostname.as_str();
    let offers_tls = shared.acceptor.is_some() && !secure;
    let mut session = Session::default();
    loop {
        let parsed = match wire.line(shared.limits.max_line).await {
            Ok(Line::Complete(line)) => command::parse(&line),
            Ok(Line::TooLong) => Err(command::Malformed {
                code: 500,
                text: "5.5.2 Error: line too long".to_owned(),
            }),
            Err(cut) => return farewell(wire, cut, host).await,
        };
        let (code, text) = match parsed {
            Err(m) => (m.code, m.text),
            Ok(Command::Quit) => {
                wire.reply(221, &["2.0.0 Bye"]);
                let _ = wire.flush().await;
                return End::Done;
            }
            Ok(Command::Ehlo(_)) => {
                session.greeted = true;
                session.mail = None;
                let size = format!("SIZE {}", shared.config.max_size);
                let mut lines = vec![
                    host,
                    "PIPELINING",
                    &size,
                    "8BITMIME",
                    "ENHANCEDSTATUSCODES",
                    "SMTPUTF8",
                ];
                if offers_tls {
                    lines.push("STARTTLS");
                }
                wire.reply(250, &lines);
                continue;
            }
            Ok(Command::Helo(_)) => {
                session.greeted = true;
                session.mail = None;
                (250, host.to_owned())
            }
            Ok(Command::Mail { from, size }) => {
                if !session.greeted {
                    (503, "5.5.1 Error: send HELO/EHLO first".to_owned())
                } else if session.mail.is_some() {
                    (503, "5.5.1 Error: nested MAIL command".to_owned())
                } else if size.is_some_and(|s| s > shared.config.max_size as u64) {
                    (552, too_large(shared.config.max_size))
                } else {
                    session.mail = Some(Transaction {
                        from,
                        recipients: Vec::new(),
                    });
                    (250, "2.1.0 Ok".to_owned())
                }
            }
            Ok(Command::Rcpt(to)) => match &mut session.mail {
                None => (503, "5.5.1 Error: need MAIL command".to_owned()),
                Some(t) if to.eq_ignore_ascii_case(&shared.config.address) => {
                    if !t.recipients.iter().any(|r| r.eq_ignore_ascii_case(&to)) {
                        t.recipients.push(to);
                    }
                    (250, "2.1.5 Ok".to_owned())
                }
                Some(_) => (
                    550,
                    format!("5.1.1 <{to}>: Recipient address rejected: not the support desk"),
                ),
            },
            Ok(Command::Data) => match session.mail.take() {
                None => (503, "5.5.1 Error: need MAIL command".to_owned()),
                Some(t) if t.recipients.is_empty() => {
                    session.mail = Some(t);
                    (554, "5.5.1 Error: no valid recipients".to_owned())
                }
                Some(t) => {
                    wire.reply(354, &["End data with <CR><LF>.<CR><LF>"]);
                    match wire.block(shared.config.max_size).await {
                        Err(cut) => return farewell(wire, cut, host).await,
                        Ok(Block::TooLarge) => (552, too_large(shared.config.max_size)),
                        Ok(Block::Message(raw)) => deliver(shared, raw, t).await,
                    }
                }
            },
            Ok(Command::Rset) => {
                session.mail = None;
                (250, "2.0.0 Ok".to_owned())
            }
            Ok(Command::Noop) => (250, "2.0.0 Ok".to_owned()),
            Ok(Command::Help) => {
                let tls = if offers_tls { " STARTTLS" } else { "" };
                (
                    214,
                    format!("2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT{tls}"),
                )
            }
            Ok(Command::NotOffered(verb)) => {
                (502, format!("5.5.1 Error: {verb} is not offered here"))
            }
            Ok(Command::StartTls) => {
                if secure {
                    (503, "5.5.1 Error: TLS already active".to_owned())
                } else if shared.acceptor.is_none() {
                    (502, "5.5.1 Error: STARTTLS is not offered here".to_owned())
                } else if wire.has_unread_input() {
                    // Plain text sent behind STARTTLS would be taken as if it came
                    // encrypted (CVE-2011-0411): the client is broken or an attacker.
                    wire.reply(554, &["5.5.1 Error: commands pipelined after STARTTLS"]);
                    let _ = wire.flush().await;
                    return End::Done;
                } else {
                    wire.reply(220, &["2.0.0 Ready to start TLS"]);
                    return match wire.flush().await {
                        Ok(()) => End::StartTls,
                        Err(_) => End::Done,
                    };
                }
            }
        };
        wire.reply(code, &[&text]);
        if code >= 500 {
            session.errors += 1;
            if session.errors >= shared.limits.max_errors {
                wire.reply(421, &[&format!("4.7.0 {host} Error: too many errors")]);
                let _ = wire.flush().await;
                return End::Done;
            }
        }
    }
}

fn too_large(max: usize) -> String {
    format!("5.3.4 Error: message larger than the {max} bytes accepted")
}

/// Says why the connection closes, when the client can still hear it.
async fn farewell<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    cut: Cut,
    host: &str,
) -> End {
    let text = match cut {
        Cut::Closed => return End::Done,
        Cut::TimedOut => format!("4.4.2 {host} Error: timeout exceeded"),
        Cut::Stopping => format!("4.3.2 {host} Service shutting down"),
    };
    wire.reply(421, &[&text]);
    let _ = wire.flush().await;
    End::Done
}

/// Parses the message (on a blocking thread: a large one takes a while) and hands it over.
async fn deliver<D: MailDrop>(shared: &Shared<D>, raw: Vec<u8>, t: Transaction) -> (u16, String) {
    let parsed =
        tokio::task::spawn_blocking(move || super::parse::read(raw, &t.from, &t.recipients)).await;
    let mail = match parsed {
        Ok(mail) => mail,
        Err(e) => {
            tracing::error!(error = %e, "inbound: reading a message failed");
            return (451, "4.3.0 Error: the message could not be read".to_owned());
        }
    };
    match shared.drop.deliver(mail).await {
        Verdict::Accepted => (250, "2.0.0 Ok: queued".to_owned()),
        Verdict::Retry(why) => (451, format!("4.3.0 {why}")),
        Verdict::Rejected(why) => (554, format!("5.6.0 {why}")),
    }
}
