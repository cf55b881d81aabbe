//! The desk's e-mails as queued in the outbox: the acknowledgement of a new ticket, staff's
//! public replies (threaded: each names the ticket's earlier messages) and the breach notices
//! to staff. Our own messages' ids name the ticket (`tocsin-tT.eE@DOMAIN`), so a customer's
//! answer to any of them finds its ticket without a lookup; messages that came in keep their
//! own ids, stored with the event.

use serde::{Deserialize, Serialize};
use tocsin_model::inventory::Language;
use tocsin_model::Inventory;
use tocsin_notify::{Notice, NoticeKind, TicketLines};
use tocsin_store::{NewNotice, Ticket, TicketEvent, EVENT_ID_PLACEHOLDER, TICKET_ID_PLACEHOLDER};

use super::Read;
use crate::desk::DeskPolicy;

/// Outbox kinds of desk mail start with this: `ticket.received.T.E`, `ticket.reply.T.E`,
/// `ticket.breach.T.TARGET.DUE`.
pub const TICKET_KIND_PREFIX: &str = "ticket.";
/// At most this many ids in `References` (the first and the latest).
const MAX_REFERENCES: usize = 10;

/// What a desk notice renders from, fixed when queued (see `tocsin_notify::TicketLines`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TicketPayload {
    /// The ticket's number (the store writes it in).
    pub ticket_id: String,
    /// Its subject.
    pub subject: String,
    /// The text mailed.
    pub body: String,
    /// Who wrote it (replies).
    pub author: String,
    /// This message's id, without brackets.
    pub message_id: String,
    /// The message it answers.
    pub in_reply_to: Option<String>,
    /// The thread, oldest first.
    pub references: Vec<String>,
    /// Where to read the ticket, relative to the public URL (`/account/tickets/T`).
    pub path: String,
    /// Breaches: the target.
    pub target: Option<String>,
    /// Breaches: when it was due, ms.
    pub due_ms: Option<i64>,
    /// The customer's name or id.
    pub customer: String,
    /// `From:` of the message: the desk's address, or empty for the notices' sender.
    pub from: String,
}

/// The domain of the desk's message ids: the desk address's, else `tocsin.invalid`.
pub fn message_domain(desk: &DeskPolicy) -> String {
    desk.address
        .as_deref()
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, d)| d.trim_end_matches('>').trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "tocsin.invalid".to_owned())
}

/// The id of our own message about event `event` of ticket `ticket`.
fn own_id(ticket: &str, event: &str, domain: &str) -> String {
    format!("tocsin-t{ticket}.e{event}@{domain}")
}

/// The ticket our own message `message_id` was about, if it is one of ours.
pub fn outgoing_ticket(message_id: &str, domain: &str) -> Option<i64> {
    let (local, at) = message_id.rsplit_once('@')?;
    if !at.eq_ignore_ascii_case(domain) {
        return None;
    }
    let (ticket, _) = local.strip_prefix("tocsin-t")?.split_once(".e")?;
    ticket.parse().ok()
}

/// The ids of the ticket's messages so far, oldest first: those that came in, and ours.
fn thread(read: &Read, domain: &str) -> Vec<String> {
    let id = read.ticket.id.to_string();
    read.events
        .iter()
        .filter_map(|e| match (e.kind.as_str(), &e.message_id) {
            (_, Some(m)) => Some(m.clone()),
            ("created" | "reply", None) => Some(own_id(&id, &e.id.to_string(), domain)),
            _ => None,
        })
        .collect()
}

fn references(mut ids: Vec<String>) -> Vec<String> {
    if ids.len() > MAX_REFERENCES {
        let first = ids[0].clone();
        ids.drain(..ids.len() - (MAX_REFERENCES - 1));
        ids.insert(0, first);
    }
    ids
}

/// (address, language) of everyone the ticket's customer-facing mail goes to: the
/// customer's contacts, or the address mail came from.
fn recipients(inventory: &Inventory, ticket: &Ticket) -> Vec<(String, String)> {
    let customer = ticket
        .customer
        .as_deref()
        .and_then(|c| inventory.customer_ids.find(c))
        .and_then(|c| inventory.customers.get(c as usize));
    match customer {
        Some(c) if !c.contacts.is_empty() => c
            .contacts
            .iter()
            .map(|k| (k.email.to_string(), k.language.code().to_owned()))
            .collect(),
        _ => ticket
            .requester
            .iter()
            .map(|r| (r.clone(), ticket.language.clone()))
            .collect(),
    }
}

fn notice(
    ticket: &Ticket,
    to: (String, String),
    kind: String,
    payload: &TicketPayload,
    at_ms: i64,
) -> Option<NewNotice> {
    let payload = match serde_json::to_string(payload) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, ticket = ticket.id, "desk notice payload not written");
            return None;
        }
    };
    Some(NewNotice {
        incident_id: 0,
        customer: ticket.customer.clone().unwrap_or_default(),
        contact: to.0,
        language: to.1,
        kind,
        payload,
        created_ms: at_ms,
    })
}

impl crate::System {
    /// The acknowledgement of a new ticket to its customer (or the address it came from),
    /// threaded under the message that opened it, if one did.
    pub(crate) fn received_notices(
        &self,
        inventory: &Inventory,
        ticket: &Ticket,
        created: &TicketEvent,
        to: Option<(String, String)>,
    ) -> Vec<NewNotice> {
        let domain = message_domain(&self.desk);
        let payload = TicketPayload {
            ticket_id: TICKET_ID_PLACEHOLDER.to_owned(),
            subject: ticket.subject.clone(),
            body: created.body.clone(),
            author: String::new(),
            message_id: own_id(TICKET_ID_PLACEHOLDER, EVENT_ID_PLACEHOLDER, &domain),
            in_reply_to: created.message_id.clone(),
            references: created.message_id.iter().cloned().collect(),
            path: format!("/account/tickets/{TICKET_ID_PLACEHOLDER}"),
            target: None,
            due_ms: None,
            customer: ticket.customer.clone().unwrap_or_default(),
            from: self.desk.address.clone().unwrap_or_default(),
        };
        let kind =
            format!("{TICKET_KIND_PREFIX}received.{TICKET_ID_PLACEHOLDER}.{EVENT_ID_PLACEHOLDER}");
        let to = match to {
            Some(to) => vec![to],
            None => recipients(inventory, ticket),
        };
        to.into_iter()
            .filter_map(|to| notice(ticket, to, kind.clone(), &payload, created.at_ms))
            .collect()
    }
}

/// A public staff reply mailed to the customer, answering the ticket's latest message.
pub(super) fn reply_notices(
    inventory: &Inventory,
    desk: &DeskPolicy,
    domain: &str,
    read: &Read,
    reply: &TicketEvent,
    now: i64,
) -> Vec<NewNotice> {
    let ticket = &read.ticket;
    let id = ticket.id.to_string();
    let ids = thread(read, domain);
    let payload = TicketPayload {
        ticket_id: id.clone(),
        subject: ticket.subject.clone(),
        body: reply.body.clone(),
        author: reply.author.clone(),
        message_id: own_id(&id, EVENT_ID_PLACEHOLDER, domain),
        in_reply_to: ids.last().cloned(),
        references: references(ids),
        path: format!("/account/tickets/{id}"),
        target: None,
        due_ms: None,
        customer: ticket.customer.clone().unwrap_or_default(),
        from: desk.address.clone().unwrap_or_default(),
    };
    let kind = format!("{TICKET_KIND_PREFIX}reply.{id}.{EVENT_ID_PLACEHOLDER}");
    recipients(inventory, ticket)
        .into_iter()
        .filter_map(|to| notice(ticket, to, kind.clone(), &payload, now))
        .collect()
}

/// A missed target, mailed to each of `to` (staff addresses).
pub(super) fn breach_notices(
    desk: &DeskPolicy,
    ticket: &Ticket,
    target: &str,
    due_ms: i64,
    to: &[String],
    now: i64,
) -> Vec<NewNotice> {
    let domain = message_domain(desk);
    let id = ticket.id.to_string();
    let payload = TicketPayload {
        ticket_id: id.clone(),
        subject: ticket.subject.clone(),
        body: String::new(),
        author: String::new(),
        message_id: format!("tocsin-t{id}.breach.{target}.{due_ms}@{domain}"),
        in_reply_to: None,
        references: Vec::new(),
        path: format!("/console/tickets/{id}"),
        target: Some(target.to_owned()),
        due_ms: Some(due_ms),
        customer: ticket.customer.clone().unwrap_or_default(),
        from: desk.address.clone().unwrap_or_default(),
    };
    let kind = format!("{TICKET_KIND_PREFIX}breach.{id}.{target}.{due_ms}");
    let mut seen: Vec<&String> = Vec::new();
    to.iter()
        .filter(|a| {
            let new = !seen.contains(a);
            seen.push(a);
            new
        })
        .filter_map(|a| {
            notice(
                ticket,
                (a.clone(), "en".to_owned()),
                kind.clone(),
                &payload,
                now,
            )
        })
        .collect()
}

/// The e-mail of a desk notice queued in the outbox, and the `From:` it goes out with when
/// the desk has an address of its own.
pub fn ticket_notice(
    row: &tocsin_store::OutboxRow,
    public_url: &str,
) -> Result<(Notice, Option<String>), String> {
    let kind = row.notice.kind.as_str();
    let p: TicketPayload = serde_json::from_str(&row.notice.payload)
        .map_err(|e| format!("outbox row {}: unreadable payload: {e}", row.id))?;
    let what = kind.strip_prefix(TICKET_KIND_PREFIX).unwrap_or("");
    let kind = match what.split('.').next() {
        Some("received") => NoticeKind::TicketReceived,
        Some("reply") => NoticeKind::TicketReply,
        Some("breach") => NoticeKind::TicketBreach,
        _ => return Err(format!("outbox row {}: unknown kind `{kind}`", row.id)),
    };
    let ticket_id = p
        .ticket_id
        .parse()
        .map_err(|_| format!("outbox row {}: ticket id `{}`", row.id, p.ticket_id))?;
    let from = Some(p.from).filter(|f| !f.is_empty());
    let notice = Notice {
        kind,
        incident_id: ticket_id,
        incident_title: p.subject.clone(),
        customer_name: p.customer.clone(),
        to: row.notice.contact.clone(),
        language: Language::from_code(&row.notice.language).unwrap_or_default(),
        services: Vec::new(),
        public_url: public_url.to_owned(),
        date: row.notice.created_ms.div_euclid(1000),
        outbox_id: row.id.max(0) as u64,
        body: String::new(),
        at_risk: 0,
        window: None,
        credit: None,
        ticket: Some(TicketLines {
            ticket_id,
            subject: p.subject,
            body: p.body,
            author: p.author,
            message_id: p.message_id,
            in_reply_to: p.in_reply_to,
            references: p.references,
            url: format!("{}{}", public_url.trim_end_matches('/'), p.path),
            target: p.target,
            due: p.due_ms.map(|ms| ms.div_euclid(1000)),
            customer: p.customer,
        }),
    };
    Ok((notice, from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_message_ids_name_their_ticket() {
        let id = own_id("42", "7", "example.net");
        assert_eq!(outgoing_ticket(&id, "example.net"), Some(42));
        assert_eq!(outgoing_ticket(&id, "other.net"), None);
        assert_eq!(outgoing_ticket("abc@example.net", "example.net"), None);
        assert_eq!(
            outgoing_ticket("tocsin-tx.e1@example.net", "example.net"),
            None
        );
    }

    #[test]
    fn references_keep_the_first_and_the_latest() {
        let ids: Vec<String> = (0..25).map(|i| format!("m{i}")).collect();
        let kept = references(ids);
        assert_eq!(kept.len(), MAX_REFERENCES);
        assert_eq!(kept[0], "m0");
        assert_eq!(kept[1], "m16");
        assert_eq!(kept[MAX_REFERENCES - 1], "m24");
    }
}
