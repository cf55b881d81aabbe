//! Mail to the desk's address becomes tickets (`shared/spec/desk.md`, "Inbound e-mail"): a
//! message answering one of a ticket's messages (`In-Reply-To`, `References`) or carrying
//! its tag `[#T-ID]` in the subject is added to it as the customer's reply, when its sender
//! may write there; any other opens a ticket, the customer's whose contact sent it, or held
//! without a customer until staff assign one. Automatic mail (auto-replies, bulk, bounces)
//! opens nothing and is answered by nothing; a message already added is not added again.

use std::sync::Weak;

use tocsin_model::inventory::Language;
use tocsin_model::Inventory;
use tocsin_store::{Ticket, TicketEvent, TicketStore};

use super::mail::{message_domain, outgoing_ticket};
use super::{event, new_ticket, text, Upload, MAX_SUBJECT};
use crate::inbound::{InboundMail, MailDrop, Verdict};
use crate::{Principal, Refused, System};

/// Serves the desk's SMTP listener on `listener` with the running system as its drop, until
/// `stop` turns true.
pub fn spawn_inbound(
    system: Weak<System>,
    listener: std::net::TcpListener,
    config: crate::inbound::InboundConfig,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let drop = std::sync::Arc::new(DeskDrop(system));
    tokio::spawn(async move {
        let listener = match listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpListener::from_std(listener))
        {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "the desk's SMTP listener could not start");
                return;
            }
        };
        if let Err(e) = crate::inbound::serve(listener, config, drop, stop).await {
            tracing::error!(error = %e, "the desk's SMTP listener failed");
        }
    })
}

/// The running system as the SMTP listener's drop.
pub struct DeskDrop(pub Weak<System>);

impl MailDrop for DeskDrop {
    async fn deliver(&self, mail: InboundMail) -> Verdict {
        let Some(system) = self.0.upgrade() else {
            return Verdict::Retry("shutting down".to_owned());
        };
        match system.receive_mail(mail).await {
            Ok(_) => Verdict::Accepted,
            // The database, the archive, or a ticket changing under concurrent writes: the
            // MTA tries again later.
            Err(Refused::Unavailable(why) | Refused::Conflict(why)) => Verdict::Retry(why),
            Err(e) => Verdict::Rejected(e.to_string()),
        }
    }
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A new ticket.
    Opened(i64),
    /// Added to this ticket.
    Added(i64),
    /// Already added to this ticket before.
    Repeated(i64),
    /// Automatic mail: nothing done.
    Ignored,
}

/// The ticket number in a subject's `[#T-ID]` tag.
fn subject_tag(subject: &str) -> Option<i64> {
    let at = subject.find("[#T-")?;
    let rest = &subject[at + 4..];
    let end = rest.find(']')?;
    rest[..end].parse().ok()
}

/// The customer (index, id) one of whose contacts is `address`, and that contact's language.
fn customer_of(inventory: &Inventory, address: &str) -> Option<(String, Language)> {
    inventory.customers.iter().enumerate().find_map(|(i, c)| {
        c.contacts
            .iter()
            .find(|k| k.email.eq_ignore_ascii_case(address))
            .map(|k| (inventory.customer_id(i as u32).to_owned(), k.language))
    })
}

/// Whether `from` may write to `ticket`: its requester, or a contact of its customer.
fn may_write(inventory: &Inventory, ticket: &Ticket, from: &str) -> bool {
    if ticket
        .requester
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case(from))
    {
        return true;
    }
    let Some(c) = ticket
        .customer
        .as_deref()
        .and_then(|c| inventory.customer_ids.find(c))
        .and_then(|c| inventory.customers.get(c as usize))
    else {
        return false;
    };
    c.contacts
        .iter()
        .any(|k| k.email.eq_ignore_ascii_case(from))
}

impl System {
    /// Takes one message relayed to the desk.
    pub async fn receive_mail(&self, mail: InboundMail) -> Result<Received, Refused> {
        let from = mail.from.clone().unwrap_or_default();
        // Keep what came in, whatever becomes of it: the proof of what the customer wrote.
        if self.archiver.enabled() {
            let key = self.archiver.key("desk/mail");
            self.archiver
                .put_all(vec![(key, mail.raw.clone())])
                .await
                .map_err(Refused::Unavailable)?;
        }
        if mail.automatic || mail.envelope_from.is_empty() || from.is_empty() {
            tracing::info!(from = %from, subject = %mail.subject, "automatic mail to the desk ignored");
            return Ok(Received::Ignored);
        }
        if let Some(id) = &mail.message_id {
            if let Some(t) = self
                .store
                .ticket_by_message(std::slice::from_ref(id))
                .await?
            {
                return Ok(Received::Repeated(t));
            }
        }
        let inventory = self.inventory()?;
        if let Some(ticket) = self.thread_of(&inventory, &mail, &from).await? {
            return self.add_mail(ticket, mail, &from).await;
        }
        self.open_from_mail(&inventory, mail, &from).await
    }

    /// The open ticket the message answers, if its sender may write there.
    async fn thread_of(
        &self,
        inventory: &Inventory,
        mail: &InboundMail,
        from: &str,
    ) -> Result<Option<Ticket>, Refused> {
        let domain = message_domain(&self.desk);
        let mut ids: Vec<String> = mail.in_reply_to.clone();
        ids.extend(mail.references.iter().rev().cloned());
        let mut candidate = ids.iter().find_map(|m| outgoing_ticket(m, &domain));
        if candidate.is_none() && !ids.is_empty() {
            candidate = self.store.ticket_by_message(&ids).await?;
        }
        if candidate.is_none() {
            candidate = subject_tag(&mail.subject);
        }
        let Some(id) = candidate else {
            return Ok(None);
        };
        let Some(mut ticket) = self.store.ticket(id).await? else {
            return Ok(None);
        };
        // A merged ticket's messages live on in the one it was merged into.
        if let Some(into) = ticket.merged_into {
            match self.store.ticket(into).await? {
                Some(t) => ticket = t,
                None => return Ok(None),
            }
        }
        if ticket.status == "closed" || !may_write(inventory, &ticket, from) {
            return Ok(None);
        }
        Ok(Some(ticket))
    }

    /// The message's attachments kept in the archive, and a note for the text when they
    /// could not be.
    async fn mail_files(
        &self,
        hint: &str,
        mail: &mut InboundMail,
    ) -> Result<(String, String), Refused> {
        let files: Vec<Upload> = std::mem::take(&mut mail.attachments)
            .into_iter()
            .map(|a| Upload {
                name: a.name,
                content_type: a.content_type,
                bytes: a.bytes,
            })
            .collect();
        if files.is_empty() {
            return Ok(("[]".to_owned(), String::new()));
        }
        if !self.archiver.enabled() {
            let note = format!(
                "\n\n[{} attachment(s) not kept: this server has no archive]",
                files.len()
            );
            return Ok(("[]".to_owned(), note));
        }
        match self.keep_uploads(hint, files).await {
            Ok(list) => Ok((list, String::new())),
            // Too many or too large: the text is kept, the files are named as refused.
            Err(Refused::Invalid { message, .. }) => {
                Ok(("[]".to_owned(), format!("\n\n[{message}]")))
            }
            Err(e) => Err(e),
        }
    }

    async fn add_mail(
        &self,
        ticket: Ticket,
        mut mail: InboundMail,
        from: &str,
    ) -> Result<Received, Refused> {
        let id = ticket.id;
        let (attachments, note) = self.mail_files(&format!("T-{id}"), &mut mail).await?;
        let body = format!("{}{note}", mail.text.trim());
        let body = if body.trim().is_empty() {
            "(empty message)".to_owned()
        } else {
            body
        };
        let who = Principal::automatic(format!("mail:{from}"));
        self.change_ticket(&who, id, |read, now| {
            if read.ticket.status != "open" {
                read.ticket.status = "open".to_owned();
            }
            let event = TicketEvent {
                message_id: mail.message_id.clone(),
                attachments: attachments.clone(),
                ..event(id, "customer", from, body.clone(), true, "open", now)
            };
            Ok((vec![event], Vec::new()))
        })
        .await?;
        self.audit(&who, "ticket.mail_reply", &format!("T-{id}"), from)
            .await;
        Ok(Received::Added(id))
    }

    async fn open_from_mail(
        &self,
        inventory: &Inventory,
        mut mail: InboundMail,
        from: &str,
    ) -> Result<Received, Refused> {
        let found = customer_of(inventory, from);
        let subject = text("subject", &mail.subject, MAX_SUBJECT).unwrap_or_else(|_| {
            let s: String = mail.subject.chars().take(MAX_SUBJECT / 4).collect();
            if s.trim().is_empty() {
                "(no subject)".to_owned()
            } else {
                s
            }
        });
        let (attachments, note) = self.mail_files("new", &mut mail).await?;
        let body = format!("{}{note}", mail.text.trim());
        let body = if body.trim().is_empty() {
            "(empty message)".to_owned()
        } else {
            body
        };
        let (customer, tier, language) = match &found {
            Some((id, language)) => {
                let c = inventory.customer_ids.find(id).unwrap_or(0);
                let (tier, _) = self.tier_and_language(inventory, c);
                (Some(id.clone()), tier, language.code().to_owned())
            }
            None => (
                None,
                self.desk.tier_of(None).to_owned(),
                Language::default().code().to_owned(),
            ),
        };
        let now = self.clock.now_ms();
        let ticket = Ticket {
            customer: customer.clone(),
            requester: Some(from.to_owned()),
            ..new_ticket(subject, tier, language.clone(), now)
        };
        let created = TicketEvent {
            message_id: mail.message_id.clone(),
            attachments,
            ..event(0, "created", from, body, true, "open", now)
        };
        // The acknowledgement goes to the sender only, whoever else the customer has.
        let notices = self.received_notices(
            inventory,
            &ticket,
            &created,
            Some((from.to_owned(), language)),
        );
        let id = self.create(ticket, created, notices).await?;
        let who = Principal::automatic(format!("mail:{from}"));
        self.audit(
            &who,
            "ticket.mail_open",
            &format!("T-{id}"),
            customer.as_deref().unwrap_or("held: unknown sender"),
        )
        .await;
        Ok(Received::Opened(id))
    }
}

#[cfg(test)]
mod tests {
    use super::subject_tag;

    #[test]
    fn the_subject_tag_names_the_ticket() {
        assert_eq!(subject_tag("Re: [#T-42] Web is slow"), Some(42));
        assert_eq!(subject_tag("[#T-] nothing"), None);
        assert_eq!(subject_tag("[#T-4x2]"), None);
        assert_eq!(subject_tag("T-42"), None);
    }
}
