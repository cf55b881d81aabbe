//! What every ticket operation checks and builds: a field among its allowed values, a text
//! within its length, a customer, the customer's own services, a new ticket, an event.

use tocsin_model::Inventory;
use tocsin_store::{Ticket, TicketEvent};

use crate::Refused;

pub(super) fn one_of(
    field: &'static str,
    value: &str,
    default: &str,
    allowed: &[&str],
) -> Result<String, Refused> {
    let value = if value.is_empty() { default } else { value };
    if allowed.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(Refused::invalid(
            field,
            format!("{field} `{value}` is not one of {}", allowed.join(", ")),
        ))
    }
}

pub(super) fn text(field: &'static str, value: &str, max: usize) -> Result<String, Refused> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Refused::invalid(field, format!("{field} is empty")));
    }
    if value.len() > max {
        return Err(Refused::invalid(
            field,
            format!("{field} is longer than {max} bytes"),
        ));
    }
    Ok(value.to_owned())
}

/// The customer `id` in `inventory`, or a refusal naming `field`.
pub(super) fn customer_index(
    inventory: &Inventory,
    field: &'static str,
    id: &str,
) -> Result<u32, Refused> {
    inventory
        .customer_ids
        .find(id)
        .ok_or_else(|| Refused::invalid(field, format!("{field}: no customer `{id}`")))
}

/// `services`, checked to be customer `c`'s own: a refusal names the first that is not.
pub(super) fn own_services(
    inventory: &Inventory,
    c: u32,
    services: &[String],
) -> Result<Vec<String>, Refused> {
    let mut out: Vec<String> = Vec::with_capacity(services.len());
    for id in services {
        let owned = inventory
            .graph
            .find(id)
            .and_then(|v| inventory.service_of(v))
            .is_some_and(|s| s.customer == c);
        if !owned {
            return Err(Refused::invalid(
                "services",
                format!("services: `{id}` is not a service of this customer"),
            ));
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// A ticket opened `now` in `tier`, open, technical, of normal priority, about nothing yet.
pub(super) fn new_ticket(subject: String, tier: String, language: String, now: i64) -> Ticket {
    Ticket {
        id: 0,
        kind: "ticket".to_owned(),
        customer: None,
        requester: None,
        subject,
        department: "technical".to_owned(),
        priority: "normal".to_owned(),
        status: "open".to_owned(),
        tier,
        language,
        services: Vec::new(),
        incidents: Vec::new(),
        assignee: None,
        merged_into: None,
        due_ms: 0,
        breached: false,
        rating: None,
        rating_comment: None,
        rated_ms: None,
        created_ms: now,
        updated_ms: now,
        version: 0,
    }
}

/// An event of ticket `ticket` by `author` at `at_ms`, with the status the ticket has after
/// it, without a message id or files.
pub(super) fn event(
    ticket: i64,
    kind: &str,
    author: &str,
    body: String,
    public: bool,
    status: &str,
    at_ms: i64,
) -> TicketEvent {
    TicketEvent {
        id: 0,
        ticket,
        kind: kind.to_owned(),
        author: author.to_owned(),
        body,
        public,
        status: Some(status.to_owned()),
        message_id: None,
        attachments: "[]".to_owned(),
        at_ms,
    }
}
