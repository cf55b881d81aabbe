//! The MIME body of a notice written straight into the message buffer: a
//! `multipart/alternative` with a text and an HTML part, each in the transfer encoding lettre
//! would choose, encoded byte for byte as lettre and the `quoted_printable` crate do, without
//! their intermediate copies.

use base64::Engine;

/// Longest encoded line, without its CRLF (RFC 2045).
const LINE: usize = 76;

/// Writes the `Content-Type` header of the multipart, the blank line, both parts and the
/// closing delimiter.
pub(super) fn alternative(out: &mut Vec<u8>, boundary: &str, text: &str, html: &str) {
    out.extend_from_slice(b"Content-Type: multipart/alternative; boundary=\"");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\"\r\n\r\n");
    SCRATCH.with_borrow_mut(|scratch| {
        for (content_type, body) in [("text/plain", text), ("text/html", html)] {
            part_with_headers(out, boundary, content_type, body, scratch);
        }
        // A rare huge body should not pin its buffer to the thread for good.
        if scratch.capacity() > 1 << 20 {
            *scratch = Vec::new();
        }
    });
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
}

thread_local! {
    /// The CRLF copy of a body before it is encoded, reused by the thread's next message.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The delimiter line, the part's headers and its encoded body.
fn part_with_headers(
    out: &mut Vec<u8>,
    boundary: &str,
    content_type: &str,
    body: &str,
    scratch: &mut Vec<u8>,
) {
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\r\nContent-Type: ");
    out.extend_from_slice(content_type.as_bytes());
    out.extend_from_slice(b"; charset=utf-8\r\n");
    part(out, body, scratch);
    out.extend_from_slice(b"\r\n");
}

/// How a part's body travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    SevenBit,
    QuotedPrintable,
    Base64,
}

/// The encoding lettre picks for a string body on a server without `SMTPUTF8`: plain ASCII
/// with short lines as it is; otherwise quoted-printable unless more than a third of the
/// octets would need escaping, then base64. Lines are measured before the CRLF conversion,
/// with lettre's own arithmetic (the first line may hold one octet more than the others).
pub(super) fn choose(body: &str) -> Encoding {
    let b = body.as_bytes();
    let mut last = 0;
    let mut too_long = false;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            if i - last >= LINE {
                too_long = true;
                break;
            }
            last = i;
        }
    }
    too_long = too_long || b.len() - last >= LINE;
    if b.is_ascii() && !too_long {
        return Encoding::SevenBit;
    }
    let escaped = b
        .iter()
        .filter(|&&c| !matches!(c, b'\t' | b' '..=b'~'))
        .count();
    if escaped <= b.len() / 3 {
        Encoding::QuotedPrintable
    } else {
        Encoding::Base64
    }
}

/// One part's `Content-Transfer-Encoding` header, the blank line and the encoded body.
fn part(out: &mut Vec<u8>, body: &str, scratch: &mut Vec<u8>) {
    let encoding = choose(body);
    out.extend_from_slice(b"Content-Transfer-Encoding: ");
    out.extend_from_slice(match encoding {
        Encoding::SevenBit => b"7bit".as_slice(),
        Encoding::QuotedPrintable => b"quoted-printable",
        Encoding::Base64 => b"base64",
    });
    out.extend_from_slice(b"\r\n\r\n");
    match encoding {
        Encoding::SevenBit => crlf(body.as_bytes(), out),
        Encoding::QuotedPrintable => quoted_printable(body.as_bytes(), out),
        Encoding::Base64 => {
            scratch.clear();
            crlf(body.as_bytes(), scratch);
            base64_lines(scratch, out);
        }
    }
}

/// Copies `input` with a CR put before every LF that lacks one.
pub(super) fn crlf(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len() + input.len() / 16);
    let mut previous = 0u8;
    let mut start = 0;
    for (i, &c) in input.iter().enumerate() {
        if c == b'\n' && previous != b'\r' {
            out.extend_from_slice(&input[start..i]);
            out.push(b'\r');
            start = i;
        }
        previous = c;
    }
    out.extend_from_slice(&input[start..]);
}

/// Base64 in lines of 76 characters separated by CRLF, no CRLF after the last.
pub(super) fn base64_lines(input: &[u8], out: &mut Vec<u8>) {
    let engine = &base64::engine::general_purpose::STANDARD;
    let mut line = [0u8; LINE];
    let mut chunks = input.chunks(LINE / 4 * 3).peekable();
    while let Some(chunk) = chunks.next() {
        // A chunk of 57 octets encodes to exactly 76 characters, so this never fails.
        let len = engine.encode_slice(chunk, &mut line).unwrap_or(0);
        out.extend_from_slice(&line[..len]);
        if chunks.peek().is_some() {
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// The octets quoted-printable writes as they are: tab and printable ASCII but `=`.
const PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut c = 0;
    while c < 256 {
        plain[c] = matches!(c as u8, b'\t' | b' '..=b'<' | b'>'..=b'~');
        c += 1;
    }
    plain
};

fn needs_encoding(c: u8) -> bool {
    !PLAIN[usize::from(c)]
}

/// Quoted-printable in text mode of `input` with its line breaks made CRLF, as
/// `quoted_printable::encode` writes the body lettre gives it: CRLF and a lone LF are a hard
/// line break, a lone CR becomes `=0D`, space or tab before a break is escaped, and a soft
/// break goes in where the next token would pass 76 characters. Appends to `out`.
pub(super) fn quoted_printable(input: &[u8], out: &mut Vec<u8>) {
    let mut qp = Qp {
        out,
        on_line: 0,
        backup: 0,
    };
    qp.backup = qp.out.len();
    let start = qp.out.len();
    let mut was_cr = false;
    let mut i = 0;
    while i < input.len() {
        let byte = input[i];
        i += 1;
        if was_cr && byte != b'\n' {
            qp.append(b"=0D");
        }
        was_cr = byte == b'\r';
        if was_cr {
            continue;
        }
        if byte == b'\n' {
            // CRLF, or a lone LF that becomes one.
            qp.trailing_space(start);
            qp.out.extend_from_slice(b"\r\n");
            qp.on_line = 0;
            continue;
        }
        if LINE - qp.on_line >= 3 && !needs_encoding(byte) {
            // A run of octets that need no escaping, copied while it surely fits the line.
            let max = LINE - qp.on_line - 2;
            let run_start = i - 1;
            let limit = input.len().min(run_start + max);
            let end = input[i..limit]
                .iter()
                .position(|&c| needs_encoding(c))
                .map_or(limit, |p| i + p);
            qp.out.extend_from_slice(&input[run_start..end]);
            qp.on_line += end - run_start;
            qp.backup = qp.out.len();
            i = end;
            continue;
        }
        match byte {
            b'=' => qp.append(b"=3D"),
            b'\t' | b' '..=b'~' => qp.append(&[byte]),
            _ => qp.append(&hex(byte)),
        }
    }
    if was_cr {
        qp.append(b"=0D");
    } else {
        qp.trailing_space(start);
    }
}

fn hex(byte: u8) -> [u8; 3] {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    [
        b'=',
        DIGITS[usize::from(byte >> 4)],
        DIGITS[usize::from(byte & 0x0f)],
    ]
}

/// The state of the quoted-printable writer: octets on the current line and where the last
/// token began, where a soft break goes when a token lands exactly on the limit.
struct Qp<'a> {
    out: &'a mut Vec<u8>,
    on_line: usize,
    backup: usize,
}

impl Qp<'_> {
    fn append(&mut self, token: &[u8]) {
        if self.on_line + token.len() > LINE {
            if self.on_line == LINE {
                self.on_line = self.out.len() - self.backup;
                let at = self.backup;
                self.out.splice(at..at, *b"=\r\n");
            } else {
                self.out.extend_from_slice(b"=\r\n");
                self.on_line = 0;
            }
        }
        self.out.extend_from_slice(token);
        self.on_line += token.len();
        self.backup = self.out.len() - token.len();
    }

    /// Escapes a space or tab that would end a line; `start` is where this body began in
    /// `out`, before which nothing counts.
    fn trailing_space(&mut self, start: usize) {
        if self.out.len() == start {
            return;
        }
        let token: &[u8] = match self.out.last() {
            Some(b' ') => b"=20",
            Some(b'\t') => b"=09",
            _ => return,
        };
        self.on_line = self.on_line.saturating_sub(1);
        self.out.pop();
        self.append(token);
    }
}
