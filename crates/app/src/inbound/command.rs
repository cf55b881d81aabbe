//! SMTP command lines (RFC 5321 §4.1) read into [`Command`]s, with the reply a malformed one
//! deserves, so the session only decides what a well-formed command means in its state.

/// One command the listener understands.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// `EHLO domain`.
    Ehlo(String),
    /// `HELO domain`.
    Helo(String),
    /// `MAIL FROM:<path>`; the path without brackets (empty for the null sender).
    Mail {
        from: String,
        /// `SIZE=` as declared by the client.
        size: Option<u64>,
    },
    /// `RCPT TO:<path>`.
    Rcpt(String),
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `NOOP [text]`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `STARTTLS`.
    StartTls,
    /// `HELP [topic]`.
    Help,
    /// A command of the protocol this listener does not offer (`VRFY`, `EXPN`, `AUTH`,
    /// `BDAT`, `ETRN`, `TURN`): answered 502 rather than 500.
    NotOffered(String),
}

/// Why a line is not a command this listener takes, with the reply code and text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed {
    /// The SMTP reply code (500, 501, 504 or 555).
    pub code: u16,
    /// The reply text, enhanced status code first.
    pub text: String,
}

fn malformed(code: u16, text: impl Into<String>) -> Malformed {
    Malformed {
        code,
        text: text.into(),
    }
}

/// The longest path we take (RFC 5321 §4.5.3.1.3 allows 256 octets).
const MAX_PATH: usize = 256;

/// Reads one command line (without its line ending).
pub(crate) fn parse(line: &[u8]) -> Result<Command, Malformed> {
    let Ok(line) = std::str::from_utf8(line) else {
        return Err(malformed(500, "5.5.2 Error: command is not text"));
    };
    if line.chars().any(|c| c.is_control() && c != '\t') {
        return Err(malformed(500, "5.5.2 Error: control characters in command"));
    }
    let (verb, rest) = match line.find([' ', '\t']) {
        Some(i) => (&line[..i], line[i + 1..].trim()),
        None => (line, ""),
    };
    let verb = verb.to_ascii_uppercase();
    let bare = |command: Command| {
        if rest.is_empty() {
            Ok(command)
        } else {
            Err(malformed(
                501,
                format!("5.5.4 Syntax: {verb} takes no argument"),
            ))
        }
    };
    match verb.as_str() {
        "EHLO" | "HELO" => {
            let domain = rest.split_whitespace().next().unwrap_or("");
            if domain.is_empty() {
                return Err(malformed(501, format!("5.5.4 Syntax: {verb} hostname")));
            }
            let domain = domain.chars().take(255).collect::<String>();
            Ok(if verb == "EHLO" {
                Command::Ehlo(domain)
            } else {
                Command::Helo(domain)
            })
        }
        "MAIL" => {
            let Some(args) = strip_keyword(rest, "FROM:") else {
                return Err(malformed(501, "5.5.4 Syntax: MAIL FROM:<address>"));
            };
            let (from, params) = path(args).map_err(|e| malformed(501, e))?;
            let mut size = None;
            for param in params.split_whitespace() {
                let (key, value) = param.split_once('=').unwrap_or((param, ""));
                match key.to_ascii_uppercase().as_str() {
                    "SIZE" => match value.parse::<u64>() {
                        Ok(n) => size = Some(n),
                        Err(_) => {
                            return Err(malformed(501, "5.5.4 Syntax: SIZE=<octets>"));
                        }
                    },
                    "BODY"
                        if ["7BIT", "8BITMIME"].contains(&value.to_ascii_uppercase().as_str()) => {}
                    // RFC 6531: addresses and headers in UTF-8, which we read as they are.
                    "SMTPUTF8" if value.is_empty() && !param.contains('=') => {}
                    _ => {
                        return Err(malformed(
                            555,
                            format!("5.5.4 Error: MAIL parameter {key} is not supported"),
                        ));
                    }
                }
            }
            Ok(Command::Mail { from, size })
        }
        "RCPT" => {
            let Some(args) = strip_keyword(rest, "TO:") else {
                return Err(malformed(501, "5.5.4 Syntax: RCPT TO:<address>"));
            };
            let (to, params) = path(args).map_err(|e| malformed(501, e))?;
            if let Some(param) = params.split_whitespace().next() {
                return Err(malformed(
                    555,
                    format!("5.5.4 Error: RCPT parameter {param} is not supported"),
                ));
            }
            if to.is_empty() {
                return Err(malformed(501, "5.1.3 Error: RCPT TO needs an address"));
            }
            Ok(Command::Rcpt(to))
        }
        "DATA" => bare(Command::Data),
        "RSET" => bare(Command::Rset),
        "QUIT" => bare(Command::Quit),
        "STARTTLS" => bare(Command::StartTls),
        "NOOP" => Ok(Command::Noop),
        "HELP" => Ok(Command::Help),
        "VRFY" | "EXPN" | "AUTH" | "BDAT" | "ETRN" | "TURN" | "ATRN" | "SEND" | "SOML" | "SAML" => {
            Ok(Command::NotOffered(verb))
        }
        "" => Err(malformed(500, "5.5.2 Error: empty command")),
        _ => Err(malformed(500, "5.5.2 Error: command not recognized")),
    }
}

/// `FROM:` / `TO:` case-insensitively, with the spaces some clients put around it.
fn strip_keyword<'a>(rest: &'a str, keyword: &str) -> Option<&'a str> {
    let head = rest.get(..keyword.len())?;
    if head.eq_ignore_ascii_case(keyword) {
        Some(rest[keyword.len()..].trim_start())
    } else {
        None
    }
}

/// A reverse- or forward-path and what follows it: `<user@host> PARAMS`. Brackets may be
/// missing (as some clients send); a source route (`<@a,@b:user@host>`) is dropped.
fn path(args: &str) -> Result<(String, &str), String> {
    let (inner, params) = if let Some(after) = args.strip_prefix('<') {
        // The closing bracket, skipping quoted strings in the local part.
        let mut quoted = false;
        let mut escaped = false;
        let mut end = None;
        for (i, c) in after.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                '>' if !quoted => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return Err("5.1.7 Syntax: the address has no closing >".to_owned());
        };
        (&after[..end], &after[end + 1..])
    } else {
        match args.find([' ', '\t']) {
            Some(i) => (&args[..i], &args[i..]),
            None => (args, ""),
        }
    };
    if !params.is_empty() && !params.starts_with([' ', '\t']) {
        return Err("5.5.4 Syntax: a space must follow the address".to_owned());
    }
    let address = match inner.strip_prefix('@') {
        Some(routed) => match routed.split_once(':') {
            Some((_, address)) => address,
            None => return Err("5.1.7 Syntax: source route without an address".to_owned()),
        },
        None => inner,
    };
    if address.len() > MAX_PATH {
        return Err("5.1.7 Error: address too long".to_owned());
    }
    // A quoted local part may hold spaces and brackets; anything else may not.
    let quoted = address.starts_with('"');
    let odd = !quoted && address.contains([' ', '\t', '<', '>']);
    if !address.is_empty() && (!address.contains('@') || odd) {
        return Err(format!("5.1.7 Error: `{address}` is not an address"));
    }
    Ok((address.to_owned(), params.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(from: &str, size: Option<u64>) -> Command {
        Command::Mail {
            from: from.to_owned(),
            size,
        }
    }

    #[test]
    fn mail_and_rcpt_read_paths_and_parameters() {
        assert_eq!(parse(b"MAIL FROM:<a@b.cz>"), Ok(mail("a@b.cz", None)));
        assert_eq!(
            parse(b"mail from: <a@b.cz> size=1200 BODY=8BITMIME"),
            Ok(mail("a@b.cz", Some(1200)))
        );
        assert_eq!(parse(b"MAIL FROM:<>"), Ok(mail("", None)));
        assert_eq!(
            parse("MAIL FROM:<jiří@příklad.cz> SMTPUTF8".as_bytes()),
            Ok(mail("jiří@příklad.cz", None))
        );
        assert_eq!(parse(b"MAIL FROM:a@b.cz"), Ok(mail("a@b.cz", None)));
        assert_eq!(
            parse(b"MAIL FROM:<@relay.example,@x.example:a@b.cz>"),
            Ok(mail("a@b.cz", None))
        );
        assert_eq!(
            parse(b"MAIL FROM:<\"john > doe\"@b.cz>"),
            Ok(mail("\"john > doe\"@b.cz", None))
        );
        assert_eq!(
            parse(b"RCPT TO:<Support@Example.net>"),
            Ok(Command::Rcpt("Support@Example.net".to_owned()))
        );
    }

    #[test]
    fn malformed_commands_get_the_reply_they_deserve() {
        let code = |line: &[u8]| parse(line).map(|_| 0).unwrap_or_else(|m| m.code);
        assert_eq!(code(b"MAIL FROM:<a@b.cz> SIZE=lots"), 501);
        assert_eq!(code(b"MAIL FROM:<a@b.cz> SMTPUTF8=yes"), 555);
        assert_eq!(code(b"MAIL FROM:<a@b.cz> REQUIRETLS"), 555);
        assert_eq!(code(b"MAIL FROM:<a@b.cz> BODY=BINARYMIME"), 555);
        assert_eq!(code(b"MAIL FROM:<a@b.cz"), 501);
        assert_eq!(code(b"MAIL FROM:<a@b.cz>SIZE=1"), 501);
        assert_eq!(code(b"MAIL TO:<a@b.cz>"), 501);
        assert_eq!(code(b"RCPT TO:<>"), 501);
        assert_eq!(code(b"RCPT TO:<a@b.cz> NOTIFY=NEVER"), 555);
        assert_eq!(code(b"RCPT TO:<not an address>"), 501);
        assert_eq!(code(b"EHLO"), 501);
        assert_eq!(code(b"DATA now"), 501);
        assert_eq!(code(b""), 500);
        assert_eq!(code(b"\xff\xfe"), 500);
        assert_eq!(code(b"HELO\x00x"), 500);
        assert_eq!(code(b"GET / HTTP/1.1"), 500);
        assert_eq!(
            parse(b"VRFY root"),
            Ok(Command::NotOffered("VRFY".to_owned()))
        );
        let long = format!("MAIL FROM:<{}@b.cz>", "a".repeat(300));
        assert_eq!(code(long.as_bytes()), 501);
    }

    proptest::proptest! {
        #[test]
        fn no_line_makes_it_panic(line in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse(&line);
        }

        #[test]
        fn no_text_after_a_verb_makes_it_panic(verb in "(MAIL FROM:|RCPT TO:|EHLO |mail from: <)", rest in "\\PC{0,80}") {
            let _ = parse(format!("{verb}{rest}").as_bytes());
        }
    }
}
