//! The support desk's e-mails: a ticket's acknowledgement to the customer, a staff member's
//! public reply, and the warning to staff that a ticket missed an SLA target. They have a frame
//! of their own (`templates/ticket.*`): a reply is a human's letter, not a notice, and every
//! one of them carries the ticket's tag and its place in the e-mail thread.

use fluent_bundle::{FluentArgs, FluentValue};
use minijinja::Environment;
use serde::Serialize;

use crate::locale::Locales;
use crate::notice::{Notice, NoticeKind, TicketLines};
use crate::render::{clean, render_one, shorten, Rendered, MAX_SUBJECT};
use crate::time::short_utc;
use crate::NotifyError;

/// Most characters of the customer's message quoted back in the acknowledgement: enough to
/// recognise it, not a copy of a long log pasted into the ticket.
const MAX_QUOTE: usize = 2000;

/// Most message ids in `References`: the thread's first and its latest. A ticket with hundreds
/// of messages would otherwise make a header some servers refuse (RFC 5322 §3.6.4 lets a
/// reply shorten it).
const MAX_REFERENCES: usize = 20;

/// Longest message id accepted: with its brackets and the header's name it stays well inside
/// the 998 octets of a line.
const MAX_ID: usize = 250;

/// What the ticket templates see: every sentence already in the recipient's language. The
/// envelope warning (`envelope.rs`) is written in the same frame.
#[derive(Serialize)]
pub(crate) struct View<'a> {
    pub(crate) lang: &'static str,
    pub(crate) subject: &'a str,
    pub(crate) greeting: Option<String>,
    pub(crate) intro: Vec<String>,
    /// A message quoted back, in paragraphs of lines: the customer's first message, or the
    /// reason given for opening an envelope.
    pub(crate) quote_label: Option<String>,
    pub(crate) quote: Vec<Vec<String>>,
    /// The staff's reply, in paragraphs of lines.
    pub(crate) letter: Vec<Vec<String>>,
    /// One fact a line (the breach's target, due time, customer).
    pub(crate) facts: Vec<String>,
    pub(crate) closing: Vec<String>,
    pub(crate) sign_off: Option<String>,
    pub(crate) signature: Option<String>,
    pub(crate) next: String,
    pub(crate) url: String,
    /// A human's reply keeps the link under the signature separator, out of the letter.
    pub(crate) link_in_footer: bool,
    pub(crate) footer: String,
}

/// The ticket of a ticket notice, or `Incomplete` when the caller left it out.
pub(crate) fn lines(notice: &Notice) -> Result<&TicketLines, NotifyError> {
    notice.ticket.as_ref().ok_or(NotifyError::Incomplete {
        kind: notice.kind.as_str(),
        missing: "its ticket",
    })
}

/// Renders a ticket notice (`notice.kind.is_ticket()`) in its language.
pub(crate) fn render(
    locales: &Locales,
    env: &Environment<'static>,
    notice: &Notice,
) -> Result<Rendered, NotifyError> {
    let ticket = lines(notice)?;
    let kind = notice.kind;
    let lang = notice.language;
    let incomplete = |missing| NotifyError::Incomplete {
        kind: kind.as_str(),
        missing,
    };
    let url = clean(&ticket.url);
    if url.is_empty() {
        return Err(incomplete("ticket.url"));
    }
    let mut args = FluentArgs::new();
    let number = ticket.ticket_id.to_string();
    args.set("ticket", FluentValue::from(number.as_str()));
    let subject = match clean(&ticket.subject) {
        s if s.is_empty() => locales.text(lang, "ticket-untitled", &args)?,
        s => s,
    };
    args.set("subject", FluentValue::from(subject.as_str()));
    let tag = format!("[#T-{}]", ticket.ticket_id);

    let mut view = View {
        lang: lang.code(),
        subject: "",
        greeting: None,
        intro: Vec::new(),
        quote_label: None,
        quote: Vec::new(),
        letter: Vec::new(),
        facts: Vec::new(),
        closing: Vec::new(),
        sign_off: None,
        signature: None,
        next: String::new(),
        url,
        link_in_footer: false,
        footer: String::new(),
    };
    let line = match kind {
        NoticeKind::TicketReceived => {
            let t = |id: &str| locales.text(lang, id, &args);
            view.greeting = Some(t("greeting")?);
            view.intro = vec![t("ticket-received-intro")?];
            view.quote = letter(&ticket.body, MAX_QUOTE);
            if !view.quote.is_empty() {
                view.quote_label = Some(t("ticket-received-quote")?);
            }
            view.closing = vec![t("ticket-received-reply")?];
            view.next = t("ticket-received-next")?;
            view.footer = t("ticket-received-footer")?;
            format!("{tag} {subject}")
        }
        NoticeKind::TicketReply => {
            let t = |id: &str| locales.text(lang, id, &args);
            view.letter = letter(&ticket.body, usize::MAX);
            if view.letter.is_empty() {
                return Err(incomplete("ticket.body (the reply)"));
            }
            view.sign_off = Some(t("ticket-reply-sign-off")?);
            view.signature = Some(match clean(&ticket.author) {
                a if a.is_empty() => t("ticket-reply-team")?,
                a => a,
            });
            view.next = t("ticket-reply-next")?;
            view.link_in_footer = true;
            view.footer = t("ticket-reply-footer")?;
            // "Re:" is not translated (RFC 5322 §3.6.5): clients and the desk's inbound
            // side recognise it in every language.
            format!("Re: {tag} {subject}")
        }
        NoticeKind::TicketBreach => {
            let target = ticket
                .target
                .as_deref()
                .ok_or(incomplete("ticket.target"))?;
            if !matches!(target, "first_response" | "next_response" | "resolution") {
                return Err(NotifyError::Invalid {
                    field: "ticket.target",
                    value: target.to_owned(),
                    detail: "expected first_response, next_response or resolution",
                });
            }
            let due = ticket.due.ok_or(incomplete("ticket.due"))?;
            let due = short_utc(due).ok_or(NotifyError::Date(due))?;
            let mut a = FluentArgs::new();
            a.set("target", FluentValue::from(target));
            let target = locales.text(lang, "ticket-target", &a)?;
            args.set("target", FluentValue::from(target.as_str()));
            args.set("due", FluentValue::from(due.as_str()));
            let customer = clean(&ticket.customer);
            args.set("customer", FluentValue::from(customer.as_str()));
            let t = |id: &str| locales.text(lang, id, &args);
            view.greeting = Some(t("greeting")?);
            view.intro = vec![t("ticket-breach-intro")?];
            view.facts = vec![
                t("ticket-breach-target")?,
                t("ticket-breach-due")?,
                t(if customer.is_empty() {
                    "ticket-breach-no-customer"
                } else {
                    "ticket-breach-customer"
                })?,
            ];
            view.next = t("ticket-breach-next")?;
            view.footer = t("ticket-breach-footer")?;
            format!("{tag} {}", t("subject-ticket-breach")?)
        }
        _ => return Err(incomplete("a ticket kind")),
    };
    let subject = shorten(&clean(&line), MAX_SUBJECT);
    view.subject = &subject;
    Ok(Rendered {
        text: render_one(env, "ticket.txt", &view)?,
        html: render_one(env, "ticket.html", &view)?,
        subject,
    })
}

/// Untrusted text as a letter: paragraphs split on blank lines, each a list of lines cleaned
/// of control characters, `max` characters in all (the cut marked with `[…]`).
pub(crate) fn letter(body: &str, max: usize) -> Vec<Vec<String>> {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let mut paragraphs: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut used = 0usize;
    for raw in body.split('\n') {
        let line = clean(raw);
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        let count = line.chars().count();
        if used.saturating_add(count) > max {
            current.push("[…]".to_owned());
            break;
        }
        used += count;
        current.push(line);
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

/// A ticket message's place in its thread, checked: ids without brackets, each safe to write
/// between `<` and `>` in a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Thread {
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// Oldest first, ending with `in_reply_to` when there is one.
    pub references: Vec<String>,
}

/// The thread headers of a ticket notice. `References` ends with the message replied to even
/// when the caller's list lacked it (RFC 5322 §3.6.4), and keeps the first and the latest
/// [`MAX_REFERENCES`] ids of a long thread.
pub(crate) fn thread(notice: &Notice) -> Result<Thread, NotifyError> {
    let ticket = lines(notice)?;
    let message_id = msg_id("ticket.message_id", &ticket.message_id, true)?;
    let in_reply_to = ticket
        .in_reply_to
        .as_deref()
        .map(|id| msg_id("ticket.in_reply_to", id, false))
        .transpose()?;
    let mut references = Vec::with_capacity(ticket.references.len() + 1);
    for id in &ticket.references {
        let id = msg_id("ticket.references", id, false)?;
        if !references.contains(&id) {
            references.push(id);
        }
    }
    if let Some(parent) = &in_reply_to {
        references.retain(|id| id != parent);
        references.push(parent.clone());
    }
    if references.len() > MAX_REFERENCES {
        let cut = references.len() - (MAX_REFERENCES - 1);
        references.drain(1..cut);
    }
    Ok(Thread {
        message_id,
        in_reply_to,
        references,
    })
}

/// `value` if it can stand between `<` and `>` in a header: printable ASCII without spaces or
/// brackets, at most [`MAX_ID`] characters, with an `@` when `ours` (a message id we mint must
/// be `left@right`; ids of others' messages are taken as their clients wrote them).
fn msg_id(field: &'static str, value: &str, ours: bool) -> Result<String, NotifyError> {
    let invalid = |detail| NotifyError::Invalid {
        field,
        value: value.to_owned(),
        detail,
    };
    if value.is_empty() {
        return Err(invalid("empty"));
    }
    if value.len() > MAX_ID {
        return Err(invalid("longer than 250 characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
    {
        return Err(invalid(
            "only printable ASCII without spaces or angle brackets (give the id without <>)",
        ));
    }
    if ours && !value.contains('@') {
        return Err(invalid("needs the form left@right"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_keep_lines_and_paragraphs_and_drop_control_characters() {
        let text =
            "Dear Jana,\r\n\r\nplease run:\n  apt update\u{7}\n  apt upgrade\n\n \n\nRegards\r";
        assert_eq!(
            letter(text, usize::MAX),
            vec![
                vec!["Dear Jana,".to_owned()],
                vec![
                    "please run:".to_owned(),
                    "apt update".to_owned(),
                    "apt upgrade".to_owned()
                ],
                vec!["Regards".to_owned()],
            ]
        );
        assert!(letter(" \n\r\n\t", usize::MAX).is_empty());
    }

    #[test]
    fn long_quotes_are_cut_and_marked() {
        let text = "abcde\nfghij\n\nklmno";
        assert_eq!(
            letter(text, 12),
            vec![
                vec!["abcde".to_owned(), "fghij".to_owned()],
                vec!["[…]".to_owned()]
            ]
        );
        assert_eq!(letter(text, 15).concat().len(), 3);
    }

    #[test]
    fn message_ids_are_checked() {
        assert!(msg_id("f", "t42.7@desk.example.net", true).is_ok());
        assert!(msg_id("f", "CAF=x+y/z!#$%&'*?^_`{|}~@mail.gmail.com", true).is_ok());
        assert!(msg_id("f", "no-at-sign", false).is_ok());
        for bad in [
            "",
            "a b@c",
            "<a@b>",
            "a@b>\r\nBcc: x@y",
            "ж@b",
            "no-at-sign",
            &"x".repeat(251),
        ] {
            assert!(
                matches!(
                    msg_id("f", bad, true),
                    Err(NotifyError::Invalid { field: "f", .. })
                ),
                "{bad:?}"
            );
        }
    }
}
