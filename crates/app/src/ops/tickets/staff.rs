//! Staff's side of the desk: the queue, assignment, triage, merges and canned replies.

use tocsin_model::inventory::{Language, NONE};
use tocsin_store::{AccountStore, CannedReply, Saved, Ticket, TicketEvent, TicketStore};

use super::{
    customer_index, event, one_of, own_services, text, TicketView, Triage, MAX_BODY, TRIES,
};
use crate::desk::{standing, DEPARTMENTS, PRIORITIES};
use crate::{Action, Principal, Refused, System};

impl System {
    /// The staff queue: active tickets of `tier` (or all), missed targets first, then by due
    /// time, with the counts of all active and breached ones (up to [`super::COUNT_CAP`]).
    pub async fn ticket_queue(
        &self,
        who: &Principal,
        tier: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<Ticket>, i64, i64), Refused> {
        who.require(Action::View)?;
        let tier = tier.filter(|t| !t.is_empty());
        let list = self.store.ticket_queue(tier, limit.clamp(1, 1000)).await?;
        let (active, breached) = self.store.ticket_counts(super::COUNT_CAP).await?;
        Ok((list, active, breached))
    }

    /// Assigns the ticket to a staff account — `POST /api/v1/tickets/{id}/assign`.
    pub async fn assign_ticket(
        &self,
        who: &Principal,
        id: i64,
        login: &str,
    ) -> Result<TicketView, Refused> {
        who.require(Action::AssignTicket)?;
        let account = self
            .store
            .account_by_login(login.trim())
            .await?
            .filter(|a| a.role != "customer" && !a.disabled)
            .ok_or_else(|| {
                Refused::invalid("login", format!("login: no staff account `{login}`"))
            })?;
        self.change_ticket(who, id, |read, now| {
            read.ticket.assignee = Some(account.login.clone());
            let event = event(
                id,
                "assign",
                &who.login,
                account.login.clone(),
                false,
                &read.ticket.status,
                now,
            );
            Ok((vec![event], Vec::new()))
        })
        .await?;
        self.audit(who, "ticket.assign", &format!("T-{id}"), &account.login)
            .await;
        self.ticket_view(who, id).await
    }

    /// Sets the customer, department, priority or services — `POST …/triage`. Setting the
    /// customer of mail from an unknown sender makes the ticket theirs (their tier applies;
    /// the clocks are recomputed from the log, so nothing used is lost).
    pub async fn triage_ticket(
        &self,
        who: &Principal,
        id: i64,
        triage: Triage,
    ) -> Result<TicketView, Refused> {
        who.require(Action::AnswerTicket)?;
        let inventory = self.inventory()?;
        let department = match &triage.department {
            Some(d) => Some(one_of("department", d, "", &DEPARTMENTS)?),
            None => None,
        };
        let priority = match &triage.priority {
            Some(p) => Some(one_of("priority", p, "", &PRIORITIES)?),
            None => None,
        };
        let new_customer = match triage.customer.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some((c.to_owned(), customer_index(&inventory, "customer", c)?)),
            None => None,
        };
        let linked = match &triage.services {
            Some(list) => Some(self.incidents_of(list).await?),
            None => None,
        };
        let mut what = Vec::new();
        self.change_ticket(who, id, |read, now| {
            let t = &mut read.ticket;
            what.clear();
            if let Some((id, c)) = &new_customer {
                let (tier, language) = self.tier_and_language(&inventory, *c);
                t.customer = Some(id.clone());
                t.tier = tier;
                t.language = language;
                what.push(format!("customer {id}"));
            }
            let c = t
                .customer
                .as_deref()
                .and_then(|c| inventory.customer_ids.find(c))
                .unwrap_or(NONE);
            if let Some(list) = &triage.services {
                t.services = own_services(&inventory, c, list)?;
                t.incidents = linked.clone().unwrap_or_default();
                what.push(format!("services {}", t.services.join(" ")));
            }
            if let Some(d) = &department {
                t.department = d.clone();
                what.push(format!("department {d}"));
            }
            if let Some(p) = &priority {
                t.priority = p.clone();
                what.push(format!("priority {p}"));
            }
            let event = event(
                id,
                "triage",
                &who.login,
                what.join(", "),
                false,
                &t.status,
                now,
            );
            Ok((vec![event], Vec::new()))
        })
        .await?;
        self.audit(who, "ticket.triage", &format!("T-{id}"), &what.join(", "))
            .await;
        self.ticket_view(who, id).await
    }

    /// Merges ticket `id` into `into` — `POST /api/v1/tickets/{id}/merge`: its messages move
    /// there, it is closed and points to `into`.
    pub async fn merge_ticket(
        &self,
        who: &Principal,
        id: i64,
        into: i64,
    ) -> Result<TicketView, Refused> {
        who.require(Action::AnswerTicket)?;
        if id == into {
            return Err(Refused::invalid(
                "into",
                "into: a ticket cannot be merged into itself",
            ));
        }
        for _ in 0..TRIES {
            let from = self.visible_ticket(who, id).await?;
            let target = self
                .read_ticket(into)
                .await?
                .ok_or_else(|| Refused::invalid("into", format!("into: no ticket T-{into}")))?;
            if !from.ticket.active() || !target.ticket.active() {
                return Err(Refused::Conflict("only open tickets are merged".to_owned()));
            }
            if from.ticket.kind != "ticket" || target.ticket.kind != "ticket" {
                // An intervention's authorisation and credentials belong to its own ticket.
                return Err(Refused::Conflict(
                    "interventions and hardware tickets are not merged".to_owned(),
                ));
            }
            if from.ticket.customer.is_some() && from.ticket.customer != target.ticket.customer {
                return Err(Refused::invalid(
                    "into",
                    format!("into: T-{into} is another customer's"),
                ));
            }
            let now = self.clock.now_ms();
            let mut merged = from.ticket.clone();
            merged.merged_into = Some(into);
            merged.status = "closed".to_owned();
            merged.due_ms = tocsin_store::NOTHING_DUE;
            merged.breached = false;
            merged.updated_ms = now;
            let mut kept = target.ticket.clone();
            for s in &from.ticket.services {
                if !kept.services.contains(s) {
                    kept.services.push(s.clone());
                }
            }
            let event = event(
                into,
                "merge",
                &who.login,
                format!("T-{id}"),
                false,
                &kept.status,
                now,
            );
            let mut log: Vec<TicketEvent> =
                target.events.iter().chain(&from.events).cloned().collect();
            log.sort_by_key(|e| (e.at_ms, e.id));
            log.push(event.clone());
            let s = standing(
                &self.desk.ticket_targets(&kept, false),
                &log,
                &target.recorded,
                now,
            );
            kept.due_ms = s.due_ms;
            kept.breached = s.breached;
            kept.updated_ms = now;
            match self.store.merge_tickets(&kept, &merged, &[event]).await? {
                Saved::Conflict => continue,
                _ => {
                    self.audit(
                        who,
                        "ticket.merge",
                        &format!("T-{id}"),
                        &format!("T-{into}"),
                    )
                    .await;
                    return self.ticket_view(who, into).await;
                }
            }
        }
        Err(Refused::Conflict(format!(
            "ticket T-{id} kept changing; try again"
        )))
    }

    /// Canned replies, by title.
    pub async fn canned_replies(&self, who: &Principal) -> Result<Vec<CannedReply>, Refused> {
        who.require(Action::View)?;
        Ok(self.store.canned_replies().await?)
    }

    /// Stores a canned reply — `POST /api/v1/canned-replies`.
    pub async fn add_canned_reply(
        &self,
        who: &Principal,
        title: &str,
        body: &str,
        language: &str,
    ) -> Result<i64, Refused> {
        who.require(Action::CannedReplies)?;
        let title = text("title", title, 200)?;
        let body = text("body", body, MAX_BODY)?;
        let language = Language::from_code(language.trim()).ok_or_else(|| {
            Refused::invalid(
                "language",
                format!("language `{language}` is not one of en, cs, pl, fr, ru"),
            )
        })?;
        let id = self
            .store
            .add_canned_reply(&CannedReply {
                id: 0,
                title: title.clone(),
                body,
                language: language.code().to_owned(),
                created_by: who.login.clone(),
                created_ms: self.clock.now_ms(),
            })
            .await?;
        self.audit(who, "canned_reply.add", &id.to_string(), &title)
            .await;
        Ok(id)
    }
}
