//! The bytes of one SMTP connection: command lines with a length limit, the DATA block with
//! dot-unstuffing and a size limit, and replies held back while pipelined commands wait
//! (RFC 2920), each read and write bounded by a time-out and cut short by the stop signal.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

/// How a wait on the client ended when it did not bring bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cut {
    /// The client closed the connection (or it failed).
    Closed,
    /// Nothing arrived within the time-out.
    TimedOut,
    /// The listener is stopping.
    Stopping,
}

/// One command line, or why there is none.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// The line without its ending (`\r\n`, or a bare `\n`).
    Complete(Vec<u8>),
    /// Longer than the limit; it was read to its end and thrown away.
    TooLong,
}

/// A DATA block as read up to its `<CRLF>.<CRLF>`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// The message, dot-unstuffed, with its CRLFs.
    Message(Vec<u8>),
    /// Larger than the limit; it was read to its end and thrown away.
    TooLarge,
}

/// Reads above this many bytes at once.
const CHUNK: usize = 16 * 1024;

/// The connection's stream with its input and output buffers.
pub(crate) struct Wire<S> {
    stream: S,
    input: Vec<u8>,
    output: Vec<u8>,
    timeout: Duration,
    stop: watch::Receiver<bool>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    pub(crate) fn new(stream: S, timeout: Duration, stop: watch::Receiver<bool>) -> Self {
        Wire {
            stream,
            input: Vec::with_capacity(1024),
            output: Vec::with_capacity(512),
            timeout,
            stop,
        }
    }

    /// Whether the client has sent bytes this side has not read yet.
    pub(crate) fn has_unread_input(&self) -> bool {
        !self.input.is_empty()
    }

    /// The stream, once the buffers are no longer needed (STARTTLS).
    pub(crate) fn into_inner(self) -> S {
        self.stream
    }

    /// Queues a reply of one or more lines (`250-…` continuation lines for all but the
    /// last). The text is made safe for the wire: printable ASCII only.
    pub(crate) fn reply(&mut self, code: u16, lines: &[&str]) {
        let last = lines.len().saturating_sub(1);
        for (i, text) in lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            self.output
                .extend_from_slice(format!("{code}{sep}").as_bytes());
            self.output.extend(text.chars().take(400).map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c as u8
                } else {
                    b'?'
                }
            }));
            self.output.extend_from_slice(b"\r\n");
        }
        if lines.is_empty() {
            self.output
                .extend_from_slice(format!("{code}\r\n").as_bytes());
        }
    }

    /// Writes the queued replies.
    pub(crate) async fn flush(&mut self) -> Result<(), Cut> {
        if self.output.is_empty() {
            return Ok(());
        }
        let out = std::mem::take(&mut self.output);
        let write = async {
            self.stream.write_all(&out).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.timeout, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Cut::Closed),
            Err(_) => Err(Cut::TimedOut),
        }
    }

    /// Reads more input; writes the queued replies first, since the client may be waiting
    /// for them before it sends more.
    async fn fill(&mut self) -> Result<(), Cut> {
        self.flush().await?;
        if *self.stop.borrow() {
            return Err(Cut::Stopping);
        }
        let start = self.input.len();
        self.input.resize(start + CHUNK, 0);
        let read = tokio::select! {
            r = tokio::time::timeout(self.timeout, self.stream.read(&mut self.input[start..])) => r,
            _ = stopped(&mut self.stop) => {
                self.input.truncate(start);
                return Err(Cut::Stopping);
            }
        };
        match read {
            Ok(Ok(n)) if n > 0 => {
                self.input.truncate(start + n);
                Ok(())
            }
            Ok(_) => {
                self.input.truncate(start);
                Err(Cut::Closed)
            }
            Err(_) => {
                self.input.truncate(start);
                Err(Cut::TimedOut)
            }
        }
    }

    /// The next command line, at most `max` bytes before its ending.
    pub(crate) async fn line(&mut self, max: usize) -> Result<Line, Cut> {
        let mut scanned = 0;
        loop {
            if let Some(i) = self.input[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + i;
                let mut line: Vec<u8> = self.input.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > max {
                    return Ok(Line::TooLong);
                }
                return Ok(Line::Complete(line));
            }
            if self.input.len() > max + 1 {
                return self.skip_line().await.map(|()| Line::TooLong);
            }
            scanned = self.input.len();
            self.fill().await?;
        }
    }

    /// Throws input away up to and including the next `\n`.
    async fn skip_line(&mut self) -> Result<(), Cut> {
        loop {
            if let Some(i) = self.input.iter().position(|&b| b == b'\n') {
                self.input.drain(..=i);
                return Ok(());
            }
            self.input.clear();
            self.fill().await?;
        }
    }

    /// The DATA block up to `<CRLF>.<CRLF>`, dot-unstuffed, at most `max` bytes. Only CRLF
    /// ends a line here: a bare `\n` or `\r` is part of the line it is in, so that `\n.\n`
    /// can never end a message early (SMTP smuggling).
    pub(crate) async fn block(&mut self, max: usize) -> Result<Block, Cut> {
        let mut message = Vec::new();
        let mut too_large = false;
        let mut at_line_start = true;
        let keep = |message: &mut Vec<u8>, bytes: &[u8], too_large: &mut bool| {
            if *too_large {
                return;
            }
            if message.len() + bytes.len() > max {
                *too_large = true;
                *message = Vec::new();
            } else {
                message.extend_from_slice(bytes);
            }
        };
        loop {
            // Lines are taken by position and the buffer shifted once per read, not once
            // per line, so a message of many short lines costs no more than one long one.
            let mut pos = 0;
            while let Some(i) = self.input[pos..].windows(2).position(|w| w == b"\r\n") {
                let line = &self.input[pos..pos + i + 2];
                pos += i + 2;
                if at_line_start && line == b".\r\n" {
                    self.input.drain(..pos);
                    return Ok(if too_large {
                        Block::TooLarge
                    } else {
                        Block::Message(message)
                    });
                }
                let unstuffed = match line.first() {
                    Some(b'.') if at_line_start => &line[1..],
                    _ => line,
                };
                keep(&mut message, unstuffed, &mut too_large);
                at_line_start = true;
            }
            // A long line is taken in pieces, so that it never has to fit in memory whole;
            // the last byte stays, as it may be the `\r` of a CRLF.
            if self.input.len() - pos > CHUNK {
                let piece = &self.input[pos..self.input.len() - 1];
                pos = self.input.len() - 1;
                let unstuffed = match piece.first() {
                    Some(b'.') if at_line_start => &piece[1..],
                    _ => piece,
                };
                keep(&mut message, unstuffed, &mut too_large);
                at_line_start = false;
            }
            self.input.drain(..pos);
            self.fill().await?;
        }
    }
}

/// Resolves once the stop signal is on (or its sender is gone).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wire whose client sent `input` and closed; the stop signal's sender with it.
    async fn wire_with(input: &[u8]) -> (Wire<tokio::io::DuplexStream>, watch::Sender<bool>) {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let (stop_tx, stop) = watch::channel(false);
        client.write_all(input).await.unwrap();
        drop(client);
        (Wire::new(server, Duration::from_secs(5), stop), stop_tx)
    }

    #[tokio::test]
    async fn the_block_is_unstuffed_and_ends_only_at_crlf_dot_crlf() {
        let (mut w, _stop) = wire_with(b"..leading dot\r\nbare\n.\nstays\r\n.\r\nNOOP\r\n").await;
        assert_eq!(
            w.block(1000).await,
            Ok(Block::Message(
                b".leading dot\r\nbare\n.\nstays\r\n".to_vec()
            ))
        );
        assert_eq!(w.line(100).await, Ok(Line::Complete(b"NOOP".to_vec())));
        assert_eq!(w.line(100).await, Err(Cut::Closed));
    }

    /// What a client puts on the wire for `message`: a dot doubled at each line start, the
    /// terminator after.
    fn stuffed(message: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, &b) in message.iter().enumerate() {
            if b == b'.' && (i == 0 || message[..i].ends_with(b"\r\n")) {
                out.push(b'.');
            }
            out.push(b);
        }
        out.extend_from_slice(b".\r\n");
        out
    }

    proptest::proptest! {
        #[test]
        fn any_message_comes_back_through_stuffing_and_small_reads(
            mut message in proptest::collection::vec(
                proptest::sample::select(vec![b'.', b'\r', b'\n', b'a', 0xc5]),
                0..600,
            ),
            pipe in 1usize..40,
        ) {
            message.extend_from_slice(b"\r\n");
            let wire = stuffed(&message);
            let got = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    // A pipe this narrow splits the input at every possible place.
                    let (mut client, server) = tokio::io::duplex(pipe);
                    let (_stop_tx, stop) = watch::channel(false);
                    let writer = tokio::spawn(async move {
                        client.write_all(&wire).await.unwrap();
                        client.write_all(b"QUIT\r\n").await.unwrap();
                    });
                    let mut w = Wire::new(server, Duration::from_secs(5), stop);
                    let block = w.block(10_000).await;
                    let next = w.line(100).await;
                    writer.await.unwrap();
                    (block, next)
                });
            proptest::prop_assert_eq!(got.0, Ok(Block::Message(message)));
            proptest::prop_assert_eq!(got.1, Ok(Line::Complete(b"QUIT".to_vec())));
        }
    }

    #[tokio::test]
    async fn a_large_block_is_read_to_its_end_and_refused() {
        let mut input = vec![b'x'; 3 * CHUNK];
        input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
        let (mut w, _stop) = wire_with(&input).await;
        assert_eq!(w.block(CHUNK).await, Ok(Block::TooLarge));
        assert_eq!(w.line(100).await, Ok(Line::Complete(b"QUIT".to_vec())));
    }

    #[tokio::test]
    async fn a_long_line_is_unstuffed_once_and_kept_whole() {
        let mut input = b"..".to_vec();
        input.extend(std::iter::repeat_n(b'y', 2 * CHUNK));
        input.extend_from_slice(b"\r\n.\r\n");
        let (mut w, _stop) = wire_with(&input).await;
        let Ok(Block::Message(m)) = w.block(10 * CHUNK).await else {
            panic!("no message");
        };
        assert_eq!(m.len(), 1 + 2 * CHUNK + 2);
        assert!(m.starts_with(b".yy") && m.ends_with(b"y\r\n"));
    }

    #[tokio::test]
    async fn an_overlong_command_line_is_skipped() {
        let mut input = vec![b'A'; 5000];
        input.extend_from_slice(b"\r\nQUIT\n");
        let (mut w, _stop) = wire_with(&input).await;
        assert_eq!(w.line(512).await, Ok(Line::TooLong));
        assert_eq!(w.line(512).await, Ok(Line::Complete(b"QUIT".to_vec())));
    }
}
