//! A received message read into an [`InboundMail`] with `mail-parser`: threading headers,
//! the sender, the decoded subject and text (every charset it knows, the cs/pl/ru single-byte
//! ones among them), the attachments, and whether it was sent by a machine.

use mail_parser::{HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::{InboundAttachment, InboundMail};

/// Reads `raw` (the message as received) with its envelope. A message that cannot be read
/// as MIME still gives an `InboundMail`, with what could be read (at worst its raw bytes).
pub fn parse(raw: &[u8], envelope_from: &str, recipients: &[String]) -> InboundMail {
    read(raw.to_vec(), envelope_from, recipients)
}

/// [`parse`], keeping the bytes it is given rather than a copy (the listener's DATA block).
pub(crate) fn read(raw: Vec<u8>, envelope_from: &str, recipients: &[String]) -> InboundMail {
    let mut mail = InboundMail {
        message_id: None,
        in_reply_to: Vec::new(),
        references: Vec::new(),
        from: None,
        from_name: None,
        subject: String::new(),
        text: String::new(),
        attachments: Vec::new(),
        automatic: false,
        envelope_from: envelope_from.to_owned(),
        recipients: recipients.to_vec(),
        raw: Vec::new(),
    };
    if let Some(message) = MessageParser::default().parse(&raw[..]) {
        fill(&mut mail, &message);
    }
    mail.raw = raw;
    mail
}

/// Everything but the envelope and the raw bytes, from the parsed message.
fn fill(mail: &mut InboundMail, message: &Message<'_>) {
    mail.message_id = message
        .message_id()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    mail.in_reply_to = ids(message.in_reply_to());
    mail.references = ids(message.references());
    if let Some(sender) = message.from().and_then(|a| a.first()) {
        mail.from = sender
            .address()
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty());
        mail.from_name = sender
            .name()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
    }
    mail.subject = message.subject().unwrap_or_default().to_owned();
    mail.text = (0..message.text_body_count())
        .filter_map(|i| message.body_text(i))
        .collect::<Vec<_>>()
        .join("\n");
    mail.attachments = message
        .attachments()
        .enumerate()
        .map(|(i, part)| attachment(i, part))
        .collect();
    let auto_submitted = message
        .header("Auto-Submitted")
        .and_then(HeaderValue::as_text)
        .is_some_and(|v| keyword(v) != "no");
    let precedence = message
        .header("Precedence")
        .and_then(HeaderValue::as_text)
        .is_some_and(|v| ["bulk", "junk", "list"].contains(&keyword(v).as_str()));
    mail.automatic = auto_submitted || precedence;
}

/// The first word of a header value, lowercased: `auto-replied; owner=…` is `auto-replied`.
fn keyword(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Message ids of `In-Reply-To` or `References`, without brackets, in their order.
fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(ids) => ids.iter().map(AsRef::as_ref).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>'))
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One attachment: its file name made safe to show and store, its type, its decoded bytes.
/// Text parts come decoded to UTF-8 (mail-parser converts their charset), so their type
/// says so rather than repeating the charset they were sent in.
fn attachment(index: usize, part: &MessagePart<'_>) -> InboundAttachment {
    let (kind, sub) = part
        .content_type()
        .map(|ct| {
            (
                ct.ctype().to_ascii_lowercase(),
                ct.subtype().map(str::to_ascii_lowercase),
            )
        })
        .unwrap_or_else(|| ("application".to_owned(), Some("octet-stream".to_owned())));
    let mut content_type = match sub {
        Some(sub) => format!("{kind}/{sub}"),
        None => kind,
    };
    if matches!(part.body, PartType::Text(_) | PartType::Html(_)) {
        content_type.push_str("; charset=utf-8");
    }
    let name = part
        .attachment_name()
        .map(safe_name)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| match part.body {
            PartType::Message(_) => format!("message-{}.eml", index + 1),
            _ => format!("attachment-{}", index + 1),
        });
    InboundAttachment {
        name,
        content_type,
        bytes: part.contents().to_vec(),
    }
}

/// The last path component of a sender's file name, without control characters, at most
/// 200 characters: `../../etc/passwd` is `passwd`.
fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim();
    if clean == "." || clean == ".." {
        String::new()
    } else {
        clean.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_paths_and_control_characters() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\Users\\jan\\faktura.pdf"), "faktura.pdf");
        assert_eq!(safe_name("a\u{0}b\r\n.pdf"), "ab.pdf");
        assert_eq!(safe_name(".."), "");
        assert_eq!(safe_name(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn keywords_ignore_parameters_and_case() {
        assert_eq!(
            keyword(" Auto-Replied; owner-email=\"a@b\""),
            "auto-replied"
        );
        assert_eq!(keyword("No"), "no");
    }
}
