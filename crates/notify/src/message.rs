//! Wrapping a rendered notice into an RFC 5322 multipart message with Tocsin's headers, and a
//! ticket's e-mail into its thread.

use std::cell::RefCell;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use lettre::message::header;
use lettre::message::{Mailbox, Mailboxes};
use minijinja::Environment;

use crate::locale::Locales;
use crate::notice::{ascii_domain, Envelope, Notice, NoticeKind, Sender};
use crate::render::{render, templates, Plans, Rendered};
use crate::ticket::thread;
use crate::time::rfc5322;
use crate::NotifyError;
use head::Head;

mod head;
mod mime;
#[cfg(test)]
mod reference;

/// Locales and templates, loaded once and shared by every worker.
pub struct Composer {
    locales: Locales,
    templates: Environment<'static>,
    /// The notice templates as plans to fill in, learnt as notices of new shapes come.
    plans: Plans,
    /// The last sender's address as parsed: a fan-out sends thousands of notices from one.
    sender: Mutex<Option<Arc<SenderLines>>>,
}

impl Composer {
    /// Loads the compiled-in locales and templates.
    pub fn new() -> Result<Self, NotifyError> {
        Ok(Self {
            locales: Locales::load()?,
            templates: templates()?,
            sender: Mutex::new(None),
            plans: Plans::default(),
        })
    }

    /// The notice's subject and bodies, e.g. for a page that shows notices without mailing them.
    pub fn render(&self, notice: &Notice) -> Result<Rendered, NotifyError> {
        render(&self.locales, &self.templates, Some(&self.plans), notice)
    }

    /// [`Composer::render`] with every template run by minijinja, the reference for the plans.
    #[cfg(test)]
    pub(crate) fn render_with_templates(&self, notice: &Notice) -> Result<Rendered, NotifyError> {
        render(&self.locales, &self.templates, None, notice)
    }

    /// The full RFC 5322 message for `notice`, from `sender`. The same inputs give the same
    /// bytes, so a retried outbox row sends an identical message with the same `Message-ID`.
    pub fn compose(&self, notice: &Notice, sender: &Sender) -> Result<Vec<u8>, NotifyError> {
        let rendered = self.render(notice)?;
        let from = self.sender_mailbox(&sender.from)?;
        let to = mailbox("to", &notice.to)?;
        // Ticket mail is a conversation with one person, not list traffic: no List-Id.
        let thread = if notice.kind.is_ticket() {
            Some(thread(notice)?)
        } else {
            if !valid_list_id(&sender.list_id) {
                return Err(NotifyError::ListId(sender.list_id.clone()));
            }
            None
        };
        let date = rfc5322(notice.date).ok_or(NotifyError::Date(notice.date))?;
        let message_id = match &thread {
            Some(t) => format!("<{}>", t.message_id),
            None => {
                // A credit notice carries the credit's number where others carry the incident's,
                // and so does an envelope warning the envelope's.
                let about = match notice.kind {
                    NoticeKind::CreditOffered => "credit",
                    NoticeKind::EnvelopeOpened => "envelope",
                    _ => "incident",
                };
                format!(
                    "<{about}-{}.{}.{}@{}>",
                    notice.incident_id,
                    notice.kind.as_str(),
                    notice.outbox_id,
                    from.mailbox.email.domain()
                )
            }
        };

        // One buffer for the whole message: headers, then bodies that quoted-printable or
        // base64 grow by about a third, plus the part headers.
        let mut head =
            Head::with_capacity(2048 + (rendered.text.len() + rendered.html.len()) * 4 / 3);
        head.lines(&from.from_line);
        if thread.is_some() {
            // Answers go to the desk, which files them on the ticket, even where a relay
            // rewrites the sender.
            head.lines(&from.reply_to_line);
        }
        head.mailbox::<header::To>("To", to);
        head.raw("Subject", &rendered.subject);
        head.raw("Date", &date);
        head.raw("Message-ID", &message_id);
        if let Some(t) = &thread {
            if let Some(parent) = &t.in_reply_to {
                head.raw("In-Reply-To", &format!("<{parent}>"));
            }
            if !t.references.is_empty() {
                // Written as one line of ids separated by spaces; lettre folds it at the
                // spaces, never inside an id.
                let ids: Vec<String> = t.references.iter().map(|id| format!("<{id}>")).collect();
                head.raw("References", &ids.join(" "));
            }
        }
        // RFC 3834: an acknowledgement answers the customer's message, notices are generated;
        // a staff reply is a person writing and says nothing.
        let auto_submitted = match notice.kind {
            NoticeKind::TicketReply => None,
            NoticeKind::TicketReceived => Some("auto-replied"),
            _ => Some("auto-generated"),
        };
        if let Some(value) = auto_submitted {
            head.raw("Auto-Submitted", value);
        }
        // Asks Exchange and Outlook not to answer with out-of-office replies. Also on a staff
        // reply: an absent customer's auto-reply would otherwise come back to the desk as the
        // customer's answer and reopen the ticket.
        head.raw("X-Auto-Response-Suppress", "OOF, AutoReply");
        if thread.is_none() {
            head.raw("List-Id", &format!("<{}>", sender.list_id));
        }
        head.raw("Content-Language", notice.language.code());
        head.raw("MIME-Version", "1.0");

        let boundary = boundary(&message_id, &rendered);
        let mut out = head.into_bytes();
        mime::alternative(&mut out, &boundary, &rendered.text, &rendered.html);
        Ok(out)
    }
}

impl Composer {
    /// `from` parsed and its header lines, from the cache when it is the sender of the previous
    /// call.
    fn sender_mailbox(&self, from: &str) -> Result<Arc<SenderLines>, NotifyError> {
        // A poisoned lock only means another thread panicked mid-update; the cache is then
        // parsed afresh, never trusted.
        let mut cached = self.sender.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            *guard = None;
            guard
        });
        if let Some(lines) = cached.as_ref() {
            if lines.value == from {
                return Ok(Arc::clone(lines));
            }
        }
        let mailbox = mailbox("from", from)?;
        let lines = Arc::new(SenderLines {
            value: from.to_owned(),
            from_line: head::typed_lines(header::From::from(Mailboxes::from(mailbox.clone()))),
            reply_to_line: head::typed_lines(header::ReplyTo::from(Mailboxes::from(
                mailbox.clone(),
            ))),
            mailbox,
        });
        *cached = Some(Arc::clone(&lines));
        Ok(lines)
    }
}

/// A sender as given, parsed, and its `From` and `Reply-To` lines as lettre writes them.
struct SenderLines {
    value: String,
    mailbox: Mailbox,
    from_line: String,
    reply_to_line: String,
}

/// [`Composer::compose`] with locales and templates loaded once for the process.
pub fn compose(notice: &Notice, sender: &Sender) -> Result<Vec<u8>, NotifyError> {
    static COMPOSER: OnceLock<Result<Composer, NotifyError>> = OnceLock::new();
    match COMPOSER.get_or_init(Composer::new) {
        Ok(composer) => composer.compose(notice, sender),
        Err(e) => Err(e.clone()),
    }
}

/// The SMTP envelope for `notice`: the bare address of `sender.from` and the contact.
pub fn envelope(notice: &Notice, sender: &Sender) -> Result<Envelope, NotifyError> {
    thread_local! {
        /// The last sender as given and its bare address: a fan-out asks for thousands of
        /// envelopes from one sender.
        static FROM: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
    }
    let from = FROM.with_borrow_mut(|last| {
        if let Some((value, address)) = last.as_ref() {
            if *value == sender.from {
                return Ok(address.clone());
            }
        }
        let address = mailbox("from", &sender.from)?.email.to_string();
        *last = Some((sender.from.clone(), address.clone()));
        Ok::<_, NotifyError>(address)
    })?;
    Ok(Envelope {
        from,
        to: mailbox("to", &notice.to)?.email.to_string(),
    })
}

fn mailbox(field: &'static str, value: &str) -> Result<Mailbox, NotifyError> {
    let error = |detail: String| NotifyError::Address {
        field,
        value: value.to_owned(),
        detail,
    };
    let mut mailbox = Mailbox::from_str(value.trim()).map_err(|e| error(e.to_string()))?;
    // Internationalised domains go out as A-labels, so the headers and the envelope stay ASCII.
    mailbox.email = ascii_domain(mailbox.email.as_ref())
        .and_then(|a| a.parse().map_err(|e| format!("{e}")))
        .map_err(error)?;
    Ok(mailbox)
}

fn valid_list_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id.split('.').all(|atom| {
            !atom.is_empty() && atom.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A multipart boundary that depends only on the message, so snapshots and retries are
/// byte-identical, and that appears in neither body. `=_` cannot occur in quoted-printable or
/// base64 text; the check covers bodies sent as plain 7bit.
fn boundary(message_id: &str, rendered: &Rendered) -> String {
    let mut salt = 0u32;
    loop {
        let mut hash = Fnv::new();
        hash.write(message_id.as_bytes());
        hash.write(rendered.text.as_bytes());
        hash.write(rendered.html.as_bytes());
        hash.write(&salt.to_le_bytes());
        let candidate = format!("=_tocsin_{:016x}", hash.0);
        if !rendered.text.contains(&candidate) && !rendered.html.contains(&candidate) {
            return candidate;
        }
        salt = salt.wrapping_add(1);
    }
}

/// 64-bit FNV-1a taken over little-endian 8-byte words (the last few bytes one by one):
/// stable across Rust versions and platforms, unlike `DefaultHasher`, and an eighth of the
/// multiplications of the byte-wise hash over a notice's bodies.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            self.0 = (self.0 ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
        }
        for &b in words.remainder() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(PRIME);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_ids() {
        assert!(valid_list_id("status.example.net"));
        assert!(valid_list_id("notices"));
        assert!(!valid_list_id(""));
        assert!(!valid_list_id("a..b"));
        assert!(!valid_list_id("a b"));
        assert!(!valid_list_id("x>\r\nBcc: y"));
    }

    #[test]
    fn envelopes_follow_a_changing_sender() {
        let notice = Notice {
            kind: NoticeKind::Opened,
            incident_id: 1,
            incident_title: String::new(),
            customer_name: String::new(),
            to: "Jana <jana@pekárna.example>".to_owned(),
            language: tocsin_model::inventory::Language::En,
            services: Vec::new(),
            public_url: String::new(),
            date: 0,
            outbox_id: 1,
            body: String::new(),
            at_risk: 0,
            window: None,
            credit: None,
            ticket: None,
        };
        let sender = |from: &str| Sender {
            from: from.to_owned(),
            list_id: "x".to_owned(),
        };
        let a = sender("NOC <noc@a.example>");
        let b = sender("noc@b.example");
        for (s, expected) in [
            (&a, "noc@a.example"),
            (&b, "noc@b.example"),
            (&a, "noc@a.example"),
        ] {
            let e = envelope(&notice, s).unwrap();
            assert_eq!(e.from, expected);
            assert_eq!(e.to, "jana@xn--pekrna-rta.example");
        }
        assert!(envelope(&notice, &sender("not an address")).is_err());
        assert_eq!(envelope(&notice, &a).unwrap().from, "noc@a.example");
    }

    #[test]
    fn boundary_avoids_the_bodies() {
        let mut rendered = Rendered {
            subject: String::new(),
            text: "hello".to_owned(),
            html: "<p>hello</p>".to_owned(),
        };
        let first = boundary("<a@b>", &rendered);
        assert_eq!(first, boundary("<a@b>", &rendered));
        rendered.text = format!("--{first}\r\nContent-Type: text/html");
        let second = boundary("<a@b>", &rendered);
        assert_ne!(first, second);
        assert!(!rendered.text.contains(&second));
    }
}
