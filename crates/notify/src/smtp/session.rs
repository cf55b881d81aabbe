//! One SMTP connection: greeting, EHLO, optional TLS and login, then any number of mail
//! transactions, pipelined (RFC 2920) when the server offers it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::TlsConnector;

use super::wire::{push_data, read_reply, Reply};
use super::{Secret, Tls};

/// Anything a session can talk over: plain TCP or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// What every connection of a mailer is opened with.
pub(crate) struct Settings {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub tls_config: Option<Arc<ClientConfig>>,
    pub login: Option<(String, Secret)>,
    pub hello_name: String,
    pub timeout: Duration,
}

/// Why a transaction did not deliver its message.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The server answered with a refusal; the connection stays usable.
    Refused(Reply),
    /// This server cannot take this message at all (it lacks an extension the message needs).
    Unsupported(String),
    /// The connection failed (I/O, time-out, garbled reply) and must be dropped.
    /// `before_data` tells that no part of the message had been sent yet.
    Broken { reason: String, before_data: bool },
}

/// An open, greeted (and possibly encrypted and logged-in) SMTP connection.
pub(crate) struct Session {
    io: BufReader<Box<dyn Io>>,
    timeout: Duration,
    pipelining: bool,
    /// Sender and recipient of the next transaction, whose commands went out behind the last
    /// message and whose replies are still to be read.
    pending: Option<(String, String)>,
    eight_bit: bool,
    smtputf8: bool,
    /// Set when the connection can no longer be trusted to be in step with the server.
    pub broken: bool,
}

async fn timed<T>(
    timeout: Duration,
    what: &str,
    f: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match tokio::time::timeout(timeout, f).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "timed out after {}s waiting for {what}",
            timeout.as_secs()
        )),
    }
}

async fn reply<S: AsyncRead + Unpin>(
    io: &mut BufReader<S>,
    timeout: Duration,
    what: &str,
) -> Result<Reply, String> {
    timed(timeout, what, async {
        read_reply(io)
            .await?
            .ok_or_else(|| format!("connection closed waiting for {what}"))
    })
    .await
}

async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    timeout: Duration,
    bytes: &[u8],
) -> Result<(), String> {
    timed(timeout, "the server to take data", async {
        let w = io.get_mut();
        w.write_all(bytes).await.map_err(|e| e.to_string())?;
        w.flush().await.map_err(|e| e.to_string())
    })
    .await
}

/// Sends `line` and expects a reply with `code`.
async fn expect<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    timeout: Duration,
    line: &str,
    code: u16,
) -> Result<Reply, String> {
    send(io, timeout, line.as_bytes()).await?;
    let verb = line.split_whitespace().next().unwrap_or(line);
    let r = reply(io, timeout, verb).await?;
    if r.code == code {
        Ok(r)
    } else {
        Err(format!("{verb} answered {r}"))
    }
}

/// Greeting and EHLO (HELO if EHLO is refused); returns the extensions, upper-cased.
async fn hello<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    s: &Settings,
    greet: bool,
) -> Result<Vec<String>, String> {
    if greet {
        let g = reply(io, s.timeout, "the greeting").await?;
        if g.code != 220 {
            return Err(format!("server greeted with {g}"));
        }
    }
    send(
        io,
        s.timeout,
        format!("EHLO {}\r\n", s.hello_name).as_bytes(),
    )
    .await?;
    let r = reply(io, s.timeout, "EHLO").await?;
    if r.is_success() {
        return Ok(r
            .lines
            .iter()
            .skip(1)
            .map(|l| l.to_ascii_uppercase())
            .collect());
    }
    expect(io, s.timeout, &format!("HELO {}\r\n", s.hello_name), 250).await?;
    Ok(Vec::new())
}

fn has(extensions: &[String], name: &str) -> bool {
    extensions
        .iter()
        .any(|e| e.split_whitespace().next() == Some(name))
}

async fn tls_wrap(s: &Settings, tcp: TcpStream) -> Result<Box<dyn Io>, String> {
    let config = s
        .tls_config
        .clone()
        .ok_or_else(|| "TLS is not configured".to_owned())?;
    let name = ServerName::try_from(s.host.clone()).map_err(|e| format!("TLS name: {e}"))?;
    let stream = timed(s.timeout, "the TLS handshake", async {
        TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS: {e}"))
    })
    .await?;
    Ok(Box::new(stream))
}

impl Session {
    /// Connects and prepares a session for mail transactions.
    pub async fn open(s: &Settings) -> Result<Session, String> {
        let tcp = timed(s.timeout, "the connection", async {
            TcpStream::connect((s.host.as_str(), s.port))
                .await
                .map_err(|e| e.to_string())
        })
        .await?;
        // Commands are small writes that wait for replies: Nagle's algorithm would hold each
        // one back for a delayed ACK, which costs tens of milliseconds per message.
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let (io, greeted): (Box<dyn Io>, bool) = match s.tls {
            Tls::None => (Box::new(tcp), false),
            Tls::Tls => (tls_wrap(s, tcp).await?, false),
            Tls::StartTls => {
                let mut plain = BufReader::new(tcp);
                let extensions = hello(&mut plain, s, true).await?;
                if !has(&extensions, "STARTTLS") {
                    return Err("server does not offer STARTTLS".to_owned());
                }
                expect(&mut plain, s.timeout, "STARTTLS\r\n", 220).await?;
                // Bytes already buffered would have come unencrypted yet be read as if
                // protected (the STARTTLS injection attack): refuse them.
                if !plain.buffer().is_empty() {
                    return Err("server sent data after agreeing to STARTTLS".to_owned());
                }
                (tls_wrap(s, plain.into_inner()).await?, true)
            }
        };
        let mut io = BufReader::new(io);
        let extensions = hello(&mut io, s, !greeted).await?;
        if let Some((user, password)) = &s.login {
            login(&mut io, s.timeout, &extensions, user, password).await?;
        }
        Ok(Session {
            io,
            timeout: s.timeout,
            pipelining: has(&extensions, "PIPELINING"),
            pending: None,
            eight_bit: has(&extensions, "8BITMIME"),
            smtputf8: has(&extensions, "SMTPUTF8"),
            broken: false,
        })
    }

    /// The envelope commands of one transaction, or why this server cannot take it.
    fn envelope(&self, from: &str, to: &str, message: &[u8]) -> Result<String, Failure> {
        // A non-ASCII mailbox (RFC 6531) can only go to a server that says it takes one.
        let utf8 = !from.is_ascii() || !to.is_ascii();
        if utf8 && !self.smtputf8 {
            return Err(Failure::Unsupported(format!(
                "the address {to:?} needs SMTPUTF8, which the server does not offer"
            )));
        }
        let mut parameters = "";
        if self.eight_bit && !message.is_ascii() {
            parameters = " BODY=8BITMIME";
        }
        let smtputf8 = if utf8 { " SMTPUTF8" } else { "" };
        Ok(format!(
            "MAIL FROM:<{from}>{parameters}{smtputf8}\r\nRCPT TO:<{to}>\r\nDATA\r\n"
        ))
    }

    /// Runs one mail transaction for one recipient. With `next`, the transaction this session
    /// will run after this one, and a server that pipelines, the next envelope's commands go
    /// out behind this message's data (RFC 2920 lets the message content open a group): one
    /// round trip a message instead of two. The next call must then be for that transaction;
    /// if this one breaks the connection, nothing of the next one's message has been sent.
    pub async fn deliver(
        &mut self,
        from: &str,
        to: &str,
        message: &[u8],
        next: Option<(&str, &str, &[u8])>,
    ) -> Result<(), Failure> {
        let broken = |reason: String| Failure::Broken {
            reason,
            before_data: true,
        };
        let sent = match self.pending.take() {
            None => false,
            Some((f, t)) if f == from && t == to => true,
            Some((f, t)) => {
                // The worker delivers what it announced; anything else is out of step.
                self.broken = true;
                return Err(broken(format!(
                    "pipelined commands for {f:?} to {t:?} were sent, not for {from:?} to {to:?}"
                )));
            }
        };
        let mut refusal = None;
        // Commands are only ever sent ahead to a server that pipelines.
        if self.pipelining {
            if !sent {
                // One write, three replies: a single round trip instead of three.
                let commands = self.envelope(from, to, message)?;
                self.send(commands.as_bytes()).await.map_err(broken)?;
            }
            for what in ["MAIL", "RCPT", "DATA"] {
                let r = self.reply(what).await.map_err(broken)?;
                if !expected(what, &r) {
                    refusal = refusal.or(Some(r));
                } else if what == "DATA" && refusal.is_some() {
                    // The server wants data though the transaction already failed: give it an
                    // empty message and let it refuse that.
                    self.send(b".\r\n").await.map_err(broken)?;
                    self.reply("end of data").await.map_err(broken)?;
                }
            }
        } else {
            let commands = self.envelope(from, to, message)?;
            for (command, what) in commands
                .split_inclusive("\r\n")
                .zip(["MAIL", "RCPT", "DATA"])
            {
                self.send(command.as_bytes()).await.map_err(broken)?;
                let r = self.reply(what).await.map_err(broken)?;
                if !expected(what, &r) {
                    refusal = Some(r);
                    break;
                }
            }
        }
        if let Some(r) = refusal {
            self.reset().await;
            return Err(Failure::Refused(r));
        }
        let mut data = Vec::new();
        push_data(message, &mut data);
        if let Some((from, to, message)) = next.filter(|_| self.pipelining) {
            // A next transaction this server cannot take is left for its own call to refuse.
            if let Ok(commands) = self.envelope(from, to, message) {
                data.extend_from_slice(commands.as_bytes());
                self.pending = Some((from.to_owned(), to.to_owned()));
            }
        }
        let after = |reason: String| Failure::Broken {
            reason,
            before_data: false,
        };
        self.send(&data).await.map_err(after)?;
        let r = self.reply("the end of data").await.map_err(after)?;
        if r.is_success() {
            Ok(())
        } else {
            Err(Failure::Refused(r))
        }
    }

    /// Says goodbye; errors do not matter any more.
    pub async fn quit(mut self) {
        if self.send(b"QUIT\r\n").await.is_ok() {
            let _ = self.reply("QUIT").await;
        }
    }

    async fn reset(&mut self) {
        let ok = match self.send(b"RSET\r\n").await {
            Ok(()) => self.reply("RSET").await.is_ok_and(|r| r.is_success()),
            Err(_) => false,
        };
        self.broken |= !ok;
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let r = send(&mut self.io, self.timeout, bytes).await;
        self.broken |= r.is_err();
        r
    }

    async fn reply(&mut self, what: &str) -> Result<Reply, String> {
        let r = reply(&mut self.io, self.timeout, what).await;
        // 421 means the server is closing the connection (RFC 5321 3.8).
        self.broken |= r.as_ref().map_or(true, |r| r.code == 421);
        r
    }
}

/// Whether `reply` lets the transaction go on: `354` for DATA, `2xx` for the rest.
fn expected(what: &str, reply: &Reply) -> bool {
    if what == "DATA" {
        reply.code == 354
    } else {
        reply.is_success()
    }
}

/// Logs in with AUTH PLAIN, or AUTH LOGIN where PLAIN is not offered.
async fn login<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    timeout: Duration,
    extensions: &[String],
    user: &str,
    password: &Secret,
) -> Result<(), String> {
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    let mechanisms: Vec<&str> = extensions
        .iter()
        .filter_map(|e| e.strip_prefix("AUTH").filter(|r| r.starts_with([' ', '='])))
        .flat_map(|r| r[1..].split_whitespace())
        .collect();
    let failed = |e: String| format!("login as {user} failed: {e}");
    if mechanisms.contains(&"PLAIN") {
        let token = b64(format!("\0{user}\0{}", password.expose()).as_bytes());
        expect(io, timeout, &format!("AUTH PLAIN {token}\r\n"), 235)
            .await
            .map_err(failed)?;
    } else if mechanisms.contains(&"LOGIN") {
        expect(io, timeout, "AUTH LOGIN\r\n", 334)
            .await
            .map_err(failed)?;
        expect(io, timeout, &format!("{}\r\n", b64(user.as_bytes())), 334)
            .await
            .map_err(failed)?;
        // The error of `expect` would quote the line sent, which here is the password.
        expect(
            io,
            timeout,
            &format!("{}\r\n", b64(password.expose().as_bytes())),
            235,
        )
        .await
        .map_err(|_| failed("password refused".to_owned()))?;
    } else {
        return Err(format!(
            "server offers no AUTH PLAIN or LOGIN (offers: {})",
            mechanisms.join(" ")
        ));
    }
    Ok(())
}
