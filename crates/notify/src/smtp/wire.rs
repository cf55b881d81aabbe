//! The SMTP wire format: reading multi-line replies and making message data transparent
//! (RFC 5321 sections 4.2 and 4.5.2).

use std::fmt;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// The longest reply line we accept; RFC 5321 allows 512 octets, servers sometimes send more.
const MAX_LINE: u64 = 4096;
/// The most lines in one reply (EHLO lists every extension on its own line).
const MAX_LINES: usize = 100;

/// A server reply: a three-digit code and its text lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// `2xx`: the command did what was asked.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// `5xx`: the same command will never succeed.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" "))
    }
}

/// Reads one reply. `Ok(None)` means the server closed the connection before a whole reply.
pub(crate) async fn read_reply<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> Result<Option<Reply>, String> {
    let mut lines = Vec::new();
    let mut code = None;
    let mut buf = Vec::with_capacity(128);
    loop {
        buf.clear();
        let n = (&mut *reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut buf)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(None);
        }
        if !buf.ends_with(b"\n") {
            return Err("reply line too long or cut off".to_owned());
        }
        let (line_code, last, text) = parse_line(&buf)?;
        if *code.get_or_insert(line_code) != line_code {
            return Err(format!("reply mixes codes {code:?} and {line_code}"));
        }
        lines.push(text);
        if last {
            return Ok(Some(Reply {
                code: line_code,
                lines,
            }));
        }
        if lines.len() >= MAX_LINES {
            return Err("reply has too many lines".to_owned());
        }
    }
}

/// Splits `250-text\r\n` into code, whether it is the last line, and the text.
fn parse_line(raw: &[u8]) -> Result<(u16, bool, String), String> {
    let line = raw
        .strip_suffix(b"\n")
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .unwrap_or(raw);
    let bad = || format!("malformed reply line {:?}", String::from_utf8_lossy(line));
    let digits = line.get(..3).ok_or_else(bad)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&digits[0]) {
        return Err(bad());
    }
    let code = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    let (last, text) = match line.get(3) {
        None => (true, &line[3..]),
        Some(b' ') => (true, &line[4..]),
        Some(b'-') => (false, &line[4..]),
        Some(_) => return Err(bad()),
    };
    Ok((code, last, String::from_utf8_lossy(text).into_owned()))
}

/// Appends `message` to `out` as SMTP data: a dot doubled at the start of every line, a line
/// break added if the message lacks a final one, then the `.` line that ends the data.
pub(crate) fn push_data(message: &[u8], out: &mut Vec<u8>) {
    out.reserve(message.len() + message.len() / 512 + 5);
    // Copied in runs from one doubled dot to the next.
    let mut copied = 0;
    let mut line = 0;
    loop {
        if message.get(line) == Some(&b'.') {
            out.extend_from_slice(&message[copied..line]);
            out.push(b'.');
            copied = line;
        }
        match memchr::memchr(b'\n', &message[line..]) {
            Some(at) => line += at + 1,
            None => break,
        }
    }
    out.extend_from_slice(&message[copied..]);
    if !message.is_empty() && !message.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn replies(input: &str) -> Vec<Result<Option<Reply>, String>> {
        let mut reader = tokio::io::BufReader::new(input.as_bytes());
        let mut out = Vec::new();
        loop {
            let r = read_reply(&mut reader).await;
            let stop = !matches!(r, Ok(Some(_)));
            out.push(r);
            if stop {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn single_and_multi_line_replies() {
        let got =
            replies("220 mx ready\r\n250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n354\r\n").await;
        assert_eq!(
            got,
            vec![
                Ok(Some(Reply {
                    code: 220,
                    lines: vec!["mx ready".into()]
                })),
                Ok(Some(Reply {
                    code: 250,
                    lines: vec!["mx".into(), "PIPELINING".into(), "8BITMIME".into()]
                })),
                Ok(Some(Reply {
                    code: 354,
                    lines: vec![String::new()]
                })),
                Ok(None),
            ]
        );
    }

    #[tokio::test]
    async fn malformed_replies_are_errors() {
        assert!(replies("25O ok\r\n").await[0].is_err());
        assert!(replies("250-a\r\n251 b\r\n").await[0].is_err());
        assert!(replies("250xok\r\n").await[0].is_err());
        assert!(replies("ok\r\n").await[0].is_err());
        assert!(replies("650 nope\r\n").await[0].is_err());
        // Cut off in the middle of a line, or of a multi-line reply.
        assert!(replies("250 ok").await[0].is_err());
        assert_eq!(replies("250-a\r\n").await[0], Ok(None));
        let long = format!("250 {}\r\n", "x".repeat(5000));
        assert!(replies(&long).await[0].is_err());
    }

    #[test]
    fn reply_classes() {
        let r = |code| Reply {
            code,
            lines: vec![],
        };
        assert!(r(250).is_success() && !r(250).is_permanent());
        assert!(!r(451).is_success() && !r(451).is_permanent());
        assert!(r(550).is_permanent());
        assert!(!r(354).is_success());
    }

    fn data(message: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        push_data(message, &mut out);
        out
    }

    #[test]
    fn dots_are_doubled_at_line_starts_only() {
        assert_eq!(
            data(b".a\r\nb.c\r\n..\r\n.\r\n"),
            b"..a\r\nb.c\r\n...\r\n..\r\n.\r\n"
        );
        assert_eq!(data(b"x\r\n"), b"x\r\n.\r\n");
        assert_eq!(data(b"no final break"), b"no final break\r\n.\r\n");
        assert_eq!(data(b"bare\n.lf\n"), b"bare\n..lf\n\r\n.\r\n");
        assert_eq!(data(b""), b".\r\n");
    }

    #[test]
    fn undoing_the_transparency_gives_the_message_back() {
        let message = b"From: a\r\n\r\n.\r\n..x\r\n.y.\r\nend\r\n";
        let sent = data(message);
        let body = sent.strip_suffix(b".\r\n").unwrap();
        let mut back = Vec::new();
        for line in body.split_inclusive(|&b| b == b'\n') {
            back.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        }
        assert_eq!(back, message);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Messages made of the pieces that matter to transparency: dots, CR, LF, text.
    fn message() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                Just(b".".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"\r".to_vec()),
                Just(b"x".to_vec()),
                Just(b"..".to_vec()),
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn no_line_of_the_data_ends_it_early(m in message()) {
            let mut out = Vec::new();
            push_data(&m, &mut out);
            prop_assert!(out.ends_with(b".\r\n"));
            let body = &out[..out.len() - 3];
            prop_assert!(body.is_empty() || body.ends_with(b"\r\n"));
            // The receiver ends the data at the first CRLF "." CRLF; it must be ours.
            let mut with_lead = b"\r\n".to_vec();
            with_lead.extend_from_slice(&out);
            let first_end = with_lead.windows(5).position(|w| w == b"\r\n.\r\n");
            prop_assert_eq!(first_end, Some(with_lead.len() - 5));
        }

        #[test]
        fn the_receiver_gets_the_message_back(m in message()) {
            let mut out = Vec::new();
            push_data(&m, &mut out);
            // Undo as a receiver does (RFC 5321 4.5.2): drop a leading dot on every line.
            let body = &out[..out.len() - 3];
            let mut back = Vec::new();
            let mut line_start = true;
            let mut skip = false;
            for &b in body {
                if line_start && b == b'.' && !skip {
                    skip = true;
                    line_start = false;
                    continue;
                }
                skip = false;
                back.push(b);
                line_start = b == b'\n';
            }
            let mut expected = m.clone();
            if !m.is_empty() && !m.ends_with(b"\r\n") {
                expected.extend_from_slice(b"\r\n");
            }
            prop_assert_eq!(back, expected);
        }

        #[test]
        fn any_server_bytes_give_a_reply_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let mut reader = tokio::io::BufReader::new(bytes.as_slice());
            // Must not panic; every reply it returns has a valid code.
            while let Ok(Some(r)) = runtime.block_on(read_reply(&mut reader)) {
                prop_assert!((200..600).contains(&r.code));
            }
        }
    }
}
