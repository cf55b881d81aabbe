//! Protocol edges a polite client never shows: pipelined commands, plain text behind
//! STARTTLS, bare line feeds in DATA, silence, floods of errors, too many connections, and
//! the listener stopping under an open session. Spoken byte by byte over TCP.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{certificate, Listener};
use crate::inbound::Limits;

/// A client that writes bytes as given and reads replies.
struct Raw {
    stream: BufReader<TcpStream>,
}

impl Raw {
    async fn connect(port: u16) -> Raw {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        Raw {
            stream: BufReader::new(tcp),
        }
    }

    /// Connects and reads the greeting.
    async fn greeted(port: u16) -> Raw {
        let mut raw = Raw::connect(port).await;
        let (code, _) = raw.reply().await;
        assert_eq!(code, 220);
        raw
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).await.unwrap();
    }

    /// One reply: its code and the text of each line.
    async fn reply(&mut self) -> (u16, Vec<String>) {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read =
                tokio::time::timeout(Duration::from_secs(10), self.stream.read_line(&mut line));
            let n = read.await.expect("no reply").unwrap();
            assert!(n > 0, "closed before a reply; got {lines:?}");
            assert!(line.ends_with("\r\n"), "{line:?}");
            let code: u16 = line[..3].parse().unwrap();
            lines.push(line[4..line.len() - 2].to_owned());
            if line.as_bytes()[3] == b' ' {
                return (code, lines);
            }
            assert_eq!(line.as_bytes()[3], b'-');
        }
    }

    async fn code(&mut self) -> u16 {
        self.reply().await.0
    }

    /// Whether the server closed the connection (within 10 s), with nothing more said.
    async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), self.stream.read_to_end(&mut rest));
        matches!(read.await, Ok(Ok(0)))
    }
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let mut listener = Listener::plain().await;
    let mut c = Raw::greeted(listener.port).await;
    c.send(b"EHLO a.example\r\nMAIL FROM:<jan@example.cz> BODY=8BITMIME\r\nRCPT TO:<other@example.net>\r\nRCPT TO:<support@example.net>\r\nDATA\r\n")
        .await;
    let (code, ehlo) = c.reply().await;
    assert_eq!((code, ehlo[0].as_str()), (250, "desk.example.net"));
    assert!(ehlo.contains(&"PIPELINING".to_owned()));
    assert_eq!(
        [c.code().await, c.code().await, c.code().await],
        [250, 550, 250]
    );
    assert_eq!(c.code().await, 354);
    c.send("Subject: p\r\n\r\n..one\r\nžluťoučký\r\n.\r\nQUIT\r\n".as_bytes())
        .await;
    assert_eq!([c.code().await, c.code().await], [250, 221]);
    assert!(c.closed().await);
    let mails = listener.delivered();
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].raw,
        "Subject: p\r\n\r\n.one\r\nžluťoučký\r\n".as_bytes()
    );
    assert_eq!(mails[0].text, ".one\r\nžluťoučký\r\n");
    listener.stop().await;
}

#[tokio::test]
async fn a_bare_line_feed_dot_does_not_end_the_message() {
    let mut listener = Listener::plain().await;
    let mut c = Raw::greeted(listener.port).await;
    c.send(b"HELO a.example\r\nMAIL FROM:<jan@example.cz>\r\nRCPT TO:<support@example.net>\r\nDATA\r\n").await;
    assert_eq!(
        [
            c.code().await,
            c.code().await,
            c.code().await,
            c.code().await
        ],
        [250, 250, 250, 354]
    );
    c.send(b"Subject: one\r\n\r\nhello\n.\nMAIL FROM:<evil@example.org>\r\n.\r\n")
        .await;
    assert_eq!(c.code().await, 250);
    c.send(b"NOOP\r\n").await;
    assert_eq!(c.code().await, 250);
    let mails = listener.delivered();
    assert_eq!(mails.len(), 1, "one message, not two");
    assert!(mails[0]
        .raw
        .ends_with(b"hello\n.\nMAIL FROM:<evil@example.org>\r\n"));
    listener.stop().await;
}

#[tokio::test]
async fn commands_pipelined_behind_starttls_close_the_connection() {
    let Some((_dir, _cert, tls)) = certificate() else {
        return;
    };
    let listener = Listener::start(Some(tls), Limits::default()).await;
    let mut c = Raw::greeted(listener.port).await;
    c.send(b"EHLO a.example\r\n").await;
    let (_, ehlo) = c.reply().await;
    assert_eq!(ehlo.last().map(String::as_str), Some("STARTTLS"));
    c.send(b"STARTTLS\r\nMAIL FROM:<evil@example.org>\r\n")
        .await;
    assert_eq!(c.code().await, 554);
    assert!(c.closed().await);
    listener.stop().await;
}

#[tokio::test]
async fn starttls_without_a_certificate_is_not_offered() {
    let listener = Listener::plain().await;
    let mut c = Raw::greeted(listener.port).await;
    c.send(b"STARTTLS\r\nHELP\r\nVRFY root\r\nMAIL FROM:<jan@example.cz>\r\n")
        .await;
    assert_eq!(c.code().await, 502);
    let (code, help) = c.reply().await;
    assert_eq!(code, 214);
    assert!(!help[0].contains("STARTTLS"), "{help:?}");
    assert_eq!([c.code().await, c.code().await], [502, 503]);
    listener.stop().await;
}

#[tokio::test]
async fn overlong_lines_are_refused_and_the_session_goes_on() {
    let listener = Listener::plain().await;
    let mut c = Raw::greeted(listener.port).await;
    let mut long = vec![b'A'; 5000];
    long.extend_from_slice(b"\r\nNOOP\r\n");
    c.send(&long).await;
    let (code, text) = c.reply().await;
    assert_eq!(
        (code, text[0].as_str()),
        (500, "5.5.2 Error: line too long")
    );
    assert_eq!(c.code().await, 250);
    listener.stop().await;
}

#[tokio::test]
async fn a_flood_of_errors_ends_the_connection() {
    let limits = Limits {
        max_errors: 5,
        ..Limits::default()
    };
    let listener = Listener::start(None, limits).await;
    let mut c = Raw::greeted(listener.port).await;
    c.send(&b"XYZZY\r\n".repeat(8)).await;
    for _ in 0..5 {
        assert_eq!(c.code().await, 500);
    }
    let (code, text) = c.reply().await;
    assert_eq!(
        (code, text[0].as_str()),
        (421, "4.7.0 desk.example.net Error: too many errors")
    );
    assert!(c.closed().await);
    listener.stop().await;
}

#[tokio::test]
async fn a_silent_client_is_timed_out() {
    let limits = Limits {
        timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let listener = Listener::start(None, limits).await;
    let mut c = Raw::greeted(listener.port).await;
    let (code, text) = c.reply().await;
    assert_eq!(
        (code, text[0].as_str()),
        (421, "4.4.2 desk.example.net Error: timeout exceeded")
    );
    assert!(c.closed().await);
    // In the middle of DATA too.
    let mut c = Raw::greeted(listener.port).await;
    c.send(b"HELO a\r\nMAIL FROM:<>\r\nRCPT TO:<support@example.net>\r\nDATA\r\nSubject: slow\r\n")
        .await;
    assert_eq!(
        [
            c.code().await,
            c.code().await,
            c.code().await,
            c.code().await
        ],
        [250, 250, 250, 354]
    );
    assert_eq!(c.code().await, 421);
    assert!(c.closed().await);
    listener.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_bound_are_told_to_come_back() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let listener = Listener::start(None, limits).await;
    let mut first = Raw::greeted(listener.port).await;
    let _second = Raw::greeted(listener.port).await;
    let mut third = Raw::connect(listener.port).await;
    let (code, text) = third.reply().await;
    assert_eq!(
        (code, text[0].as_str()),
        (
            421,
            "4.7.0 desk.example.net Error: too many connections, try again later"
        )
    );
    assert!(third.closed().await);
    first.send(b"QUIT\r\n").await;
    assert_eq!(first.code().await, 221);
    assert!(first.closed().await);
    // The slot comes back once the first connection's task has ended.
    let mut greeted = false;
    for _ in 0..50 {
        let mut next = Raw::connect(listener.port).await;
        if next.code().await == 220 {
            greeted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(greeted, "no slot came back");
    listener.stop().await;
}

#[tokio::test]
async fn stopping_tells_open_sessions_and_ends_the_listener() {
    let listener = Listener::plain().await;
    let port = listener.port;
    let mut c = Raw::greeted(port).await;
    c.send(b"EHLO a.example\r\n").await;
    assert_eq!(c.reply().await.0, 250);
    listener.stop().await;
    let (code, text) = c.reply().await;
    assert_eq!(
        (code, text[0].as_str()),
        (421, "4.3.2 desk.example.net Service shutting down")
    );
    assert!(c.closed().await);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "still listening"
    );
}
