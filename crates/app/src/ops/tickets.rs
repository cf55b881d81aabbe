//! The support desk's tickets as the faces use them (`shared/spec/desk.md`): customers open,
//! answer, close and rate their own; staff answer (public replies mailed to the customer,
//! threaded), write internal notes, set statuses, triage, assign, merge, and read the queue.
//! Every change reads the ticket with its log, computes the new state and the SLA clocks,
//! and writes them with the events and the notices in one transaction that the store refuses
//! if the ticket changed since it was read; it is then read and decided again.

use std::borrow::Cow;
use std::collections::HashMap;

use tocsin_model::inventory::Language;
use tocsin_model::ticket_clock::Targets;
use tocsin_model::Inventory;
use tocsin_store::{
    IncidentStore, Intervention, InterventionStore, RecordedBreach, Saved, Ticket, TicketEvent,
    TicketFilter, TicketStore,
};

use super::Refused;
use crate::desk::{standing, DeskPolicy, DEPARTMENTS, PRIORITIES, STATUSES};
use crate::{Action, Principal, System};

mod closing;
pub(super) mod credentials;
mod fields;
mod files;
mod hardware;
mod inbound;
mod intervention;
mod mail;
mod new_credentials;
mod staff;
mod timer;
mod view;

pub use credentials::Credentials;
use fields::{customer_index, event, new_ticket, one_of, own_services, text};
pub use inbound::{spawn_inbound, DeskDrop, Received};
pub use intervention::{
    reveal_refusal, Authorisation, NewIntervention, ACCESS_METHODS, COMPLEXITIES,
};
pub use mail::{message_domain, outgoing_ticket, ticket_notice, TICKET_KIND_PREFIX};
pub use timer::breach_timer;
pub use view::{EventView, InterventionTargets, InterventionView, SlaView, TicketView};

/// The longest subject.
const MAX_SUBJECT: usize = 250;
/// The longest message.
const MAX_BODY: usize = 100_000;
/// The most attachments on one message, and their total size.
const MAX_ATTACHMENTS: usize = 20;
const MAX_ATTACHMENT_BYTES: usize = 25 << 20;
/// Tries of a change that met a concurrent one.
const TRIES: usize = 5;
/// The queue's counts stop here ("1000+"): counting every active ticket reads them all.
pub const COUNT_CAP: i64 = 1000;
/// Tickets listed at most per request.
pub const LIST_LIMIT: i64 = 200;

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Its name.
    pub name: String,
    /// Its MIME type.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A ticket as a customer or staff asks for it.
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    /// For staff opening one for a customer.
    pub customer: Option<String>,
    /// Subject.
    pub subject: String,
    /// First message.
    pub body: String,
    /// One of [`DEPARTMENTS`]; empty: `technical`.
    pub department: String,
    /// One of [`PRIORITIES`]; empty: `normal`.
    pub priority: String,
    /// Services it is about: the customer's own.
    pub services: Vec<String>,
    /// Files.
    pub attachments: Vec<Upload>,
}

/// What staff change when triaging; `None` leaves it.
#[derive(Debug, Clone, Default)]
pub struct Triage {
    /// The customer (for mail from an unknown sender).
    pub customer: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Priority.
    pub priority: Option<String>,
    /// Services, replacing the list.
    pub services: Option<Vec<String>>,
}

/// A ticket read with its log and recorded breaches, and its intervention if it is one.
pub(crate) struct Read {
    pub ticket: Ticket,
    pub events: Vec<TicketEvent>,
    pub recorded: Vec<RecordedBreach>,
    pub intervention: Option<Intervention>,
}

impl Read {
    /// The targets its clocks run against.
    pub(crate) fn targets<'a>(&self, desk: &'a DeskPolicy) -> Cow<'a, Targets> {
        let complex = self
            .intervention
            .as_ref()
            .is_some_and(|i| i.complexity == "complex");
        desk.ticket_targets(&self.ticket, complex)
    }
}

impl System {
    /// A ticket with its log and recorded breaches, if it exists.
    pub(crate) async fn read_ticket(&self, id: i64) -> Result<Option<Read>, Refused> {
        let Some(ticket) = self.store.ticket(id).await? else {
            return Ok(None);
        };
        let events = self.store.ticket_events(id).await?;
        let recorded = self.store.ticket_breaches(id).await?;
        let intervention = if ticket.kind == "intervention" {
            self.store.intervention(id).await?
        } else {
            None
        };
        Ok(Some(Read {
            ticket,
            events,
            recorded,
            intervention,
        }))
    }

    /// Ticket `id` as `who` may see it: a customer only its own (another's is not found).
    async fn visible_ticket(&self, who: &Principal, id: i64) -> Result<Read, Refused> {
        let not_found = || Refused::NotFound(format!("no ticket T-{id}"));
        let read = self.read_ticket(id).await?.ok_or_else(not_found)?;
        if who.role.is_staff() {
            who.require(Action::View)?;
        } else {
            who.require(Action::OwnTickets)?;
            if read.ticket.customer.is_none() || read.ticket.customer != who.customer {
                return Err(not_found());
            }
        }
        Ok(read)
    }

    /// The open incidents in which one of `services` is down now.
    async fn incidents_of(&self, services: &[String]) -> Result<Vec<i64>, Refused> {
        if services.is_empty() {
            return Ok(Vec::new());
        }
        let open = self.store.open_incidents().await?;
        Ok(open
            .into_iter()
            .filter(|i| {
                i.services
                    .iter()
                    .any(|s| s.down_since_ms.is_some() && services.contains(&s.service))
            })
            .map(|i| i.id)
            .collect())
    }

    /// Opens a ticket — `POST /api/v1/tickets`: a customer's own, or staff's for `customer`.
    pub async fn open_ticket(
        &self,
        who: &Principal,
        new: NewTicket,
    ) -> Result<TicketView, Refused> {
        let customer = if who.role.is_staff() {
            who.require(Action::AnswerTicket)?;
            new.customer
                .clone()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    Refused::invalid("customer", "customer is required when staff open a ticket")
                })?
        } else {
            who.require(Action::OwnTickets)?;
            who.customer
                .clone()
                .ok_or_else(|| Refused::Forbidden("this account has no customer".to_owned()))?
        };
        let subject = text("subject", &new.subject, MAX_SUBJECT)?;
        let body = text("body", &new.body, MAX_BODY)?;
        let department = one_of("department", &new.department, "technical", &DEPARTMENTS)?;
        let priority = one_of("priority", &new.priority, "normal", &PRIORITIES)?;
        let inventory = self.inventory()?;
        let c = customer_index(&inventory, "customer", &customer)?;
        let services = own_services(&inventory, c, &new.services)?;
        let incidents = self.incidents_of(&services).await?;
        let attachments = self.keep_uploads("new", new.attachments).await?;
        let (tier, language) = self.tier_and_language(&inventory, c);
        let now = self.clock.now_ms();
        let ticket = Ticket {
            customer: Some(customer.clone()),
            department,
            priority,
            services,
            incidents,
            ..new_ticket(subject, tier, language, now)
        };
        let created = TicketEvent {
            attachments,
            ..event(0, "created", &who.login, body, true, "open", now)
        };
        let notices = self.received_notices(&inventory, &ticket, &created, None);
        let id = self.create(ticket, created, notices).await?;
        self.audit(who, "ticket.open", &format!("T-{id}"), &customer)
            .await;
        self.ticket_view(who, id).await
    }

    /// The tier and mail language of customer `c`.
    fn tier_and_language(&self, inventory: &Inventory, c: u32) -> (String, String) {
        let customer = inventory.customers.get(c as usize);
        let tier = self
            .desk
            .tier_of(customer.and_then(|c| c.tier.as_deref()))
            .to_owned();
        let language = customer
            .and_then(|c| c.contacts.first())
            .map_or(Language::default(), |c| c.language)
            .code()
            .to_owned();
        (tier, language)
    }

    /// Stores a new ticket with its first event; its id.
    pub(crate) async fn create(
        &self,
        mut ticket: Ticket,
        created: TicketEvent,
        notices: Vec<tocsin_store::NewNotice>,
    ) -> Result<i64, Refused> {
        let s = standing(
            &self.desk.ticket_targets(&ticket, false),
            std::slice::from_ref(&created),
            &[],
            created.at_ms,
        );
        ticket.due_ms = s.due_ms;
        ticket.breached = s.breached;
        match self
            .store
            .save_ticket(&ticket, &[created], &notices)
            .await?
        {
            Saved::Done { ticket, .. } => {
                self.wake_outbox();
                Ok(ticket)
            }
            Saved::Duplicate(id) => Ok(id),
            Saved::Conflict => Err(Refused::Unavailable("the ticket was not stored".to_owned())),
        }
    }

    /// Ticket `id` with its log (a customer's without internal notes) — `GET /api/v1/tickets/{id}`.
    pub async fn ticket_view(&self, who: &Principal, id: i64) -> Result<TicketView, Refused> {
        let read = self.visible_ticket(who, id).await?;
        let now = self.clock.now_ms();
        Ok(view::ticket_view(
            &read,
            &self.desk,
            who.role.is_staff(),
            true,
            now,
        ))
    }

    /// Tickets, newest first: staff filter by status and customer, a customer gets its own —
    /// `GET /api/v1/tickets`.
    pub async fn tickets(
        &self,
        who: &Principal,
        status: Option<&str>,
        customer: Option<&str>,
        before: Option<i64>,
    ) -> Result<Vec<TicketView>, Refused> {
        let customer = if who.role.is_staff() {
            who.require(Action::View)?;
            customer.filter(|c| !c.is_empty()).map(str::to_owned)
        } else {
            who.require(Action::OwnTickets)?;
            Some(who.customer.clone().unwrap_or_default())
        };
        if let Some(s) = status.filter(|s| !s.is_empty()) {
            one_of("status", s, "", &STATUSES)?;
        }
        let filter = TicketFilter {
            status: status.filter(|s| !s.is_empty()).map(str::to_owned),
            customer,
            before,
            limit: LIST_LIMIT,
        };
        let tickets = self.store.tickets(&filter).await?;
        self.views_without_events(who, tickets).await
    }

    async fn views_without_events(
        &self,
        who: &Principal,
        tickets: Vec<Ticket>,
    ) -> Result<Vec<TicketView>, Refused> {
        let now = self.clock.now_ms();
        let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
        let mut logs: HashMap<i64, Vec<TicketEvent>> = HashMap::with_capacity(ids.len());
        for event in self.store.ticket_events_of(&ids).await? {
            logs.entry(event.ticket).or_default().push(event);
        }
        // An intervention's complexity moves its target.
        let asked: Vec<i64> = tickets
            .iter()
            .filter(|t| t.kind == "intervention")
            .map(|t| t.id)
            .collect();
        let mut interventions: HashMap<i64, Intervention> = HashMap::with_capacity(asked.len());
        for i in self.store.interventions_of(&asked).await? {
            interventions.insert(i.ticket, i);
        }
        let mut out = Vec::with_capacity(tickets.len());
        for ticket in tickets {
            let events = logs.remove(&ticket.id).unwrap_or_default();
            let intervention = interventions.remove(&ticket.id);
            let read = Read {
                ticket,
                events,
                recorded: Vec::new(),
                intervention,
            };
            out.push(view::ticket_view(
                &read,
                &self.desk,
                who.role.is_staff(),
                false,
                now,
            ));
        }
        Ok(out)
    }

    /// Applies `change` to ticket `id` as read, with the events it returns, and writes it;
    /// read and decided again when another change came between. The change answers the
    /// events to add and the notices to queue.
    pub(crate) async fn change_ticket<F>(
        &self,
        who: &Principal,
        id: i64,
        mut change: F,
    ) -> Result<Ticket, Refused>
    where
        F: FnMut(
            &mut Read,
            i64,
        ) -> Result<(Vec<TicketEvent>, Vec<tocsin_store::NewNotice>), Refused>,
    {
        for _ in 0..TRIES {
            let mut read = self.visible_ticket(who, id).await?;
            let now = self.clock.now_ms();
            let (events, notices) = change(&mut read, now)?;
            let mut log = read.events.clone();
            log.extend(events.iter().cloned());
            let s = standing(&read.targets(&self.desk), &log, &read.recorded, now);
            read.ticket.due_ms = s.due_ms;
            read.ticket.breached = s.breached;
            read.ticket.updated_ms = now;
            let saved = match &read.intervention {
                Some(i) => {
                    self.store
                        .save_intervention(&read.ticket, i, &events, &notices)
                        .await?
                }
                None => {
                    self.store
                        .save_ticket(&read.ticket, &events, &notices)
                        .await?
                }
            };
            match saved {
                Saved::Done { .. } => {
                    if !notices.is_empty() {
                        self.wake_outbox();
                    }
                    return Ok(read.ticket);
                }
                Saved::Duplicate(_) => return Ok(read.ticket),
                Saved::Conflict => continue,
            }
        }
        Err(Refused::Conflict(format!(
            "ticket T-{id} kept changing; try again"
        )))
    }

    /// A reply — `POST /api/v1/tickets/{id}/replies`: a customer's is public and reopens a
    /// waiting or resolved ticket; staff's is public (mailed to the customer, the first or
    /// next response) or an internal note.
    pub async fn reply_ticket(
        &self,
        who: &Principal,
        id: i64,
        body: &str,
        public: bool,
        uploads: Vec<Upload>,
    ) -> Result<TicketView, Refused> {
        let body = text("body", body, MAX_BODY)?;
        let staff = who.role.is_staff();
        let kind = match (staff, public) {
            (false, _) => "customer",
            (true, true) => {
                who.require(Action::AnswerTicket)?;
                "reply"
            }
            (true, false) => {
                who.require(Action::Note)?;
                "note"
            }
        };
        // Checked before the files are kept.
        let _ = self.visible_ticket(who, id).await?;
        let attachments = self.keep_uploads(&format!("T-{id}"), uploads).await?;
        let inventory = self.inventory()?;
        let domain = message_domain(&self.desk);
        self.change_ticket(who, id, |read, now| {
            let t = &mut read.ticket;
            if kind == "customer" {
                if t.status == "closed" || t.merged_into.is_some() {
                    return Err(Refused::Conflict(format!(
                        "ticket T-{id} is closed: open a new one"
                    )));
                }
                if t.status != "open" {
                    t.status = "open".to_owned();
                }
            }
            let event = TicketEvent {
                attachments: attachments.clone(),
                ..event(
                    id,
                    kind,
                    &who.login,
                    body.clone(),
                    kind != "note",
                    &t.status,
                    now,
                )
            };
            let notices = if kind == "reply" {
                mail::reply_notices(&inventory, &self.desk, &domain, read, &event, now)
            } else {
                Vec::new()
            };
            Ok((vec![event], notices))
        })
        .await?;
        let action = match kind {
            "customer" => "ticket.customer_reply",
            "reply" => "ticket.reply",
            _ => "ticket.note",
        };
        self.audit(who, action, &format!("T-{id}"), "").await;
        self.ticket_view(who, id).await
    }

    /// Sets the status — `POST /api/v1/tickets/{id}/status`. Staff set any; a customer may
    /// only resolve or close its own.
    /// An OS intervention closed or resolved by staff needs a `summary`, mailed to the
    /// customer; its credentials are destroyed then.
    pub async fn set_ticket_status(
        &self,
        who: &Principal,
        id: i64,
        status: &str,
        summary: Option<&str>,
    ) -> Result<TicketView, Refused> {
        let status = one_of("status", status, "", &STATUSES)?;
        if who.role.is_staff() {
            who.require(Action::AnswerTicket)?;
        } else if status != "resolved" && status != "closed" {
            return Err(Refused::invalid(
                "status",
                "status: a customer may only resolve or close a ticket",
            ));
        }
        let ending = status == "resolved" || status == "closed";
        if ending && self.visible_ticket(who, id).await?.intervention.is_some() {
            self.close_intervention(who, id, &status, summary).await?;
            self.audit(who, "ticket.status", &format!("T-{id}"), &status)
                .await;
            return self.ticket_view(who, id).await;
        }
        self.change_ticket(who, id, |read, now| {
            if read.ticket.merged_into.is_some() {
                return Err(Refused::Conflict(format!(
                    "ticket T-{id} was merged into another"
                )));
            }
            read.ticket.status = status.clone();
            let event = event(id, "status", &who.login, String::new(), true, &status, now);
            Ok((vec![event], Vec::new()))
        })
        .await?;
        self.audit(who, "ticket.status", &format!("T-{id}"), &status)
            .await;
        self.ticket_view(who, id).await
    }

    /// The customer's satisfaction, once the ticket is resolved — `POST …/rating`.
    pub async fn rate_ticket(
        &self,
        who: &Principal,
        id: i64,
        score: i64,
        comment: &str,
    ) -> Result<TicketView, Refused> {
        who.require(Action::OwnTickets)?;
        if !(1..=5).contains(&score) {
            return Err(Refused::invalid("score", "score must be 1 to 5"));
        }
        let comment = comment.trim();
        if comment.len() > 5_000 {
            return Err(Refused::invalid(
                "comment",
                "comment is longer than 5000 bytes",
            ));
        }
        self.change_ticket(who, id, |read, now| {
            let t = &mut read.ticket;
            if t.status != "resolved" && t.status != "closed" {
                return Err(Refused::Conflict(format!(
                    "ticket T-{id} is not resolved yet"
                )));
            }
            if t.rating.is_some() {
                return Err(Refused::Conflict(format!("ticket T-{id} is rated already")));
            }
            t.rating = Some(score);
            t.rating_comment = (!comment.is_empty()).then(|| comment.to_owned());
            t.rated_ms = Some(now);
            let event = event(
                id,
                "rating",
                &who.login,
                format!("{score}/5 {comment}").trim().to_owned(),
                true,
                &t.status,
                now,
            );
            Ok((vec![event], Vec::new()))
        })
        .await?;
        self.audit(who, "ticket.rating", &format!("T-{id}"), &score.to_string())
            .await;
        self.ticket_view(who, id).await
    }
}
