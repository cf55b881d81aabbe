//! A hardware fault found on a ticket (during an OS intervention, say: seed 003 escalates
//! them) becomes a hardware ticket of its own, whose resolution target is the customer's
//! tier's replacement target.

use tocsin_store::{Ticket, TicketEvent};

use super::fields::{event, new_ticket, text};
use super::{TicketView, MAX_BODY};
use crate::{Action, Principal, Refused, System};

impl System {
    /// Opens a hardware ticket for the fault `note` describes, linked both ways to ticket
    /// `id` — `POST /api/v1/tickets/{id}/hardware`; answers the new ticket.
    pub async fn hardware_ticket(
        &self,
        who: &Principal,
        id: i64,
        note: &str,
    ) -> Result<TicketView, Refused> {
        who.require(Action::Intervene)?;
        let note = text("note", note, MAX_BODY)?;
        let read = self.visible_ticket(who, id).await?;
        let source = &read.ticket;
        let Some(customer) = source.customer.clone() else {
            return Err(Refused::Conflict(format!(
                "T-{id} has no customer yet: triage it first"
            )));
        };
        let inventory = self.inventory()?;
        let now = self.clock.now_ms();
        let on = read
            .intervention
            .as_ref()
            .map(|i| i.server.clone())
            .or_else(|| source.services.first().cloned())
            .unwrap_or_else(|| format!("T-{id}"));
        let ticket = Ticket {
            kind: "hardware".to_owned(),
            customer: Some(customer.clone()),
            priority: "high".to_owned(),
            services: source.services.clone(),
            incidents: source.incidents.clone(),
            assignee: source.assignee.clone(),
            ..new_ticket(
                format!("Hardware fault on {on}"),
                source.tier.clone(),
                source.language.clone(),
                now,
            )
        };
        let created = event(
            0,
            "created",
            &who.login,
            format!("{note}\n\nFound while working on T-{id}."),
            true,
            "open",
            now,
        );
        let notices = self.received_notices(&inventory, &ticket, &created, None);
        let new_id = self.create(ticket, created, notices).await?;
        self.change_ticket(who, id, |read, now| {
            let e: TicketEvent = event(
                id,
                "hardware",
                &who.login,
                format!("Hardware fault: T-{new_id} opened for its replacement. {note}"),
                true,
                &read.ticket.status,
                now,
            );
            Ok((vec![e], Vec::new()))
        })
        .await?;
        self.audit(
            who,
            "ticket.hardware",
            &format!("T-{new_id}"),
            &format!("T-{id}"),
        )
        .await;
        self.ticket_view(who, new_id).await
    }
}
