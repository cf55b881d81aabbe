//! OS interventions (`shared/spec/desk.md`, seed 003): the customer names their server, the
//! work, hands over credentials and authorises it (scope, expiry, backups confirmed,
//! interruptions accepted); only its own account can. The credentials are sealed at once
//! and shown only to the engineer the ticket is assigned to, while the authorisation holds:
//! not revoked, not expired, the ticket not closed. Every reveal, given or refused, is
//! audited and written on the ticket's timeline that the customer reads. The engineer logs
//! each access and action; closing needs a summary, mailed to the customer, and destroys the
//! credentials; new credentials go back through the client area, read once.

use jiff::Timestamp;
use tocsin_model::time::rfc3339;
use tocsin_store::{Intervention, InterventionStore, Saved, Ticket, TicketEvent};

use super::closing::destroy;
use super::credentials::{bound_to, keyring, seal_ref, Credentials};
use super::fields::{customer_index, event, new_ticket, one_of, own_services, text};
use super::{NewTicket, Read, TicketView, MAX_BODY, MAX_SUBJECT};
use crate::desk::PRIORITIES;
use crate::{Action, Principal, Refused, System};

/// How the engineer reached the server (seed 003's access methods).
pub const ACCESS_METHODS: [&str; 6] = ["ssh", "rdp", "ipkvm", "rescue", "vnc", "onsite"];
/// How much work an intervention is.
pub const COMPLEXITIES: [&str; 2] = ["standard", "complex"];
/// The longest an authorisation may run.
const MAX_AUTHORISATION_MS: i64 = 30 * 24 * 3_600_000;
/// The longest text of an action, scope, work entry or summary.
pub(super) const MAX_TEXT: usize = 20_000;
pub(super) const TABLE: &str = "interventions";

/// The customer's authorisation as asked for.
#[derive(Debug, Clone, Default)]
pub struct Authorisation {
    /// What the provider may do.
    pub scope: String,
    /// Until when: RFC 3339.
    pub expires: String,
    /// Current backups exist.
    pub backups_confirmed: bool,
    /// Interruptions are accepted.
    pub interruption_accepted: bool,
}

/// An intervention as the customer asks for it.
#[derive(Debug, Clone, Default)]
pub struct NewIntervention {
    /// Subject (a default naming the server when empty), description, priority, files.
    pub ticket: NewTicket,
    /// The customer's service to work on.
    pub server: String,
    /// The work asked for.
    pub action: String,
    /// The administrator account to use.
    pub credentials: Option<Credentials>,
    /// The authorisation.
    pub authorisation: Option<Authorisation>,
}

/// Why the credentials of `i` may not be shown to `who` now, if they may not: `403` for the
/// wrong person, a revoked or expired authorisation, `410` once destroyed at close.
pub fn reveal_refusal(
    who: &Principal,
    ticket: &Ticket,
    i: &Intervention,
    now: i64,
) -> Option<Refused> {
    let id = ticket.id;
    if !who.role.may(Action::Intervene) {
        return Some(Refused::Forbidden(format!(
            "only the engineer assigned to T-{id} may see its credentials"
        )));
    }
    match &ticket.assignee {
        Some(a) if *a == who.login => {}
        Some(a) => {
            return Some(Refused::Forbidden(format!(
                "T-{id} is assigned to {a}: only they may see its credentials"
            )))
        }
        None => {
            return Some(Refused::Forbidden(format!(
                "T-{id} is not assigned: nothing is revealed before assignment"
            )))
        }
    }
    let closed = matches!(ticket.status.as_str(), "resolved" | "closed");
    if closed || (i.credentials.is_none() && i.revoked_ms.is_none() && now < i.expires_ms) {
        return Some(Refused::Gone(format!(
            "the credentials of T-{id} were destroyed when it was closed"
        )));
    }
    if let Some(at) = i.revoked_ms {
        return Some(Refused::Forbidden(format!(
            "the customer revoked the authorisation of T-{id} at {}",
            rfc3339(at)
        )));
    }
    if now >= i.expires_ms {
        return Some(Refused::Forbidden(format!(
            "the authorisation of T-{id} expired at {}",
            rfc3339(i.expires_ms)
        )));
    }
    None
}

impl System {
    /// Opens an OS intervention — `POST /api/v1/tickets` with `"kind": "intervention"`: the
    /// customer's own account only, with the credentials sealed at once.
    pub async fn open_intervention(
        &self,
        who: &Principal,
        new: NewIntervention,
    ) -> Result<TicketView, Refused> {
        if who.role.is_staff() {
            return Err(Refused::Forbidden(
                "only the customer's own account authorises an intervention".to_owned(),
            ));
        }
        who.require(Action::OwnTickets)?;
        let customer = who
            .customer
            .clone()
            .ok_or_else(|| Refused::Forbidden("this account has no customer".to_owned()))?;
        let now = self.clock.now_ms();
        let auth = new.authorisation.unwrap_or_default();
        let mut missing = Vec::new();
        if !auth.backups_confirmed {
            missing.push("authorisation.backups_confirmed");
        }
        if !auth.interruption_accepted {
            missing.push("authorisation.interruption_accepted");
        }
        if !missing.is_empty() {
            return Err(Refused::invalid(
                "authorisation",
                format!("{} must be true", missing.join(" and ")),
            ));
        }
        let scope = text("authorisation.scope", &auth.scope, MAX_TEXT)?;
        let expires_ms = expiry(&auth.expires, now)?;
        let action = text("action", &new.action, MAX_TEXT)?;
        let credentials = new
            .credentials
            .ok_or_else(|| Refused::invalid("credentials", "credentials are required"))?;
        credentials.check("credentials")?;
        let ring = keyring(self.vault.as_ref())?;
        let inventory = self.inventory()?;
        let c = customer_index(&inventory, "customer", &customer)?;
        let server = text("server", &new.server, 200)?;
        let services =
            own_services(&inventory, c, std::slice::from_ref(&server)).map_err(|_| {
                Refused::invalid(
                    "server",
                    format!("server: `{server}` is not a service of this customer"),
                )
            })?;
        let subject = if new.ticket.subject.trim().is_empty() {
            format!("OS intervention on {server}")
        } else {
            text("subject", &new.ticket.subject, MAX_SUBJECT)?
        };
        let body = if new.ticket.body.trim().is_empty() {
            action.clone()
        } else {
            text("body", &new.ticket.body, MAX_BODY)?
        };
        let priority = one_of("priority", &new.ticket.priority, "high", &PRIORITIES)?;
        let incidents = self.incidents_of(&services).await?;
        let attachments = self.keep_uploads("new", new.ticket.attachments).await?;
        let (tier, language) = self.tier_and_language(&inventory, c);
        let reference = seal_ref()?;
        let sealed = credentials.seal(ring, &bound_to(TABLE, &reference, "credentials"))?;
        drop(credentials);
        let ticket = Ticket {
            kind: "intervention".to_owned(),
            customer: Some(customer.clone()),
            priority,
            services,
            incidents,
            ..new_ticket(subject, tier, language, now)
        };
        let created = TicketEvent {
            attachments,
            ..event(0, "created", &who.login, body, true, "open", now)
        };
        let authorised = event(
            0,
            "authorise",
            &who.login,
            format!(
                "Intervention on {server} authorised until {}: {scope}. Action: {action}. \
                 Backups confirmed; interruptions accepted.",
                rfc3339(expires_ms)
            ),
            true,
            "open",
            now,
        );
        let intervention = Intervention {
            ticket: 0,
            server: server.clone(),
            action,
            complexity: "standard".to_owned(),
            scope,
            expires_ms,
            backups_confirmed: true,
            interruption_accepted: true,
            authorised_by: who.login.clone(),
            authorised_ms: now,
            revoked_by: None,
            revoked_ms: None,
            seal_ref: reference,
            credentials: Some(sealed),
            purged_ms: None,
            new_credentials: None,
            new_credentials_ms: None,
            new_credentials_read_ms: None,
            summary: None,
        };
        let notices = self.received_notices(&inventory, &ticket, &created, None);
        let mut ticket = ticket;
        let s = crate::desk::standing(
            &self.desk.ticket_targets(&ticket, false),
            std::slice::from_ref(&created),
            &[],
            now,
        );
        ticket.due_ms = s.due_ms;
        ticket.breached = s.breached;
        let id = match self
            .store
            .save_intervention(&ticket, &intervention, &[created, authorised], &notices)
            .await?
        {
            Saved::Done { ticket, .. } => ticket,
            _ => {
                return Err(Refused::Unavailable(
                    "the intervention was not stored".to_owned(),
                ))
            }
        };
        self.wake_outbox();
        self.audit(who, "intervention.open", &format!("T-{id}"), &server)
            .await;
        self.ticket_view(who, id).await
    }

    /// The intervention of a ticket `who` may see.
    pub(super) async fn visible_intervention(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<Read, Refused> {
        let read = self.visible_ticket(who, id).await?;
        if read.intervention.is_none() {
            return Err(Refused::NotFound(format!(
                "T-{id} is not an OS intervention"
            )));
        }
        Ok(read)
    }

    /// The credentials, to the assigned engineer while the authorisation holds —
    /// `POST /api/v1/tickets/{id}/credentials/reveal`. Given or refused, the attempt is
    /// audited and written on the ticket's timeline first.
    pub async fn reveal_credentials(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<Credentials, Refused> {
        match self.visible_intervention(who, id).await {
            Ok(_) => {}
            // Someone who may never see credentials is told so first, whether the ticket
            // exists or not (when it does, the attempt is on its timeline).
            Err(Refused::NotFound(_)) if !who.role.may(Action::Intervene) => {
                self.audit(who, "intervention.reveal_refused", &format!("T-{id}"), "")
                    .await;
                return Err(Refused::Forbidden(
                    "only the assigned engineer may see an intervention's credentials".to_owned(),
                ));
            }
            Err(e) => return Err(e),
        }
        // Decided, opened and recorded on the same read of the ticket: a revocation or a
        // close that came between makes the store refuse the write, and it is decided again.
        let mut outcome: Option<Result<Credentials, Refused>> = None;
        self.change_ticket(who, id, |read, now| {
            let i = read
                .intervention
                .as_ref()
                .ok_or_else(|| Refused::NotFound(format!("T-{id} is not an OS intervention")))?;
            let result = match (reveal_refusal(who, &read.ticket, i, now), &i.credentials) {
                (Some(r), _) => Err(r),
                (None, Some(sealed)) => Ok(Credentials::open(
                    keyring(self.vault.as_ref())?,
                    sealed,
                    &bound_to(TABLE, &i.seal_ref, "credentials"),
                )?),
                (None, None) => Err(Refused::Gone(format!(
                    "the credentials of T-{id} were destroyed"
                ))),
            };
            let said = match &result {
                Ok(_) => format!("Credentials revealed to {}.", who.login),
                Err(r) => format!("Credentials refused to {}: {r}", who.login),
            };
            outcome = Some(result);
            let e = event(
                id,
                "reveal",
                &who.login,
                said,
                true,
                &read.ticket.status,
                now,
            );
            Ok((vec![e], Vec::new()))
        })
        .await?;
        let outcome = outcome.unwrap_or_else(|| {
            Err(Refused::Unavailable(
                "the reveal was not decided".to_owned(),
            ))
        });
        let action = if outcome.is_ok() {
            "intervention.reveal"
        } else {
            "intervention.reveal_refused"
        };
        self.audit(who, action, &format!("T-{id}"), "").await;
        outcome
    }

    /// Revokes the authorisation at once and destroys the credentials — `DELETE
    /// /api/v1/tickets/{id}/authorisation` (the customer).
    pub async fn revoke_authorisation(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<TicketView, Refused> {
        if who.role.is_staff() {
            return Err(Refused::Forbidden(
                "only the customer revokes its authorisation".to_owned(),
            ));
        }
        self.visible_intervention(who, id).await?;
        self.change_ticket(who, id, |read, now| {
            let status = read.ticket.status.clone();
            let Some(i) = read.intervention.as_mut() else {
                return Err(Refused::NotFound(format!(
                    "T-{id} is not an OS intervention"
                )));
            };
            if i.revoked_ms.is_some() {
                return Ok((Vec::new(), Vec::new()));
            }
            i.revoked_by = Some(who.login.clone());
            i.revoked_ms = Some(now);
            destroy(i, now);
            let e = event(
                id,
                "revoke",
                &who.login,
                "Authorisation revoked; the credentials were destroyed.".to_owned(),
                true,
                &status,
                now,
            );
            Ok((vec![e], Vec::new()))
        })
        .await?;
        self.audit(who, "intervention.revoke", &format!("T-{id}"), "")
            .await;
        self.ticket_view(who, id).await
    }

    /// Records an access and what was done — `POST /api/v1/tickets/{id}/work` (the assigned
    /// engineer, while the authorisation holds); `complexity` re-judges the work.
    pub async fn record_work(
        &self,
        who: &Principal,
        id: i64,
        access: &str,
        note: &str,
        complexity: Option<&str>,
    ) -> Result<TicketView, Refused> {
        who.require(Action::Intervene)?;
        let access = one_of("access", access, "", &ACCESS_METHODS)?;
        let note = text("note", note, MAX_TEXT)?;
        let complexity = complexity
            .filter(|c| !c.is_empty())
            .map(|c| one_of("complexity", c, "", &COMPLEXITIES))
            .transpose()?;
        self.visible_intervention(who, id).await?;
        self.change_ticket(who, id, |read, now| {
            let Some(i) = read.intervention.as_mut() else {
                return Err(Refused::NotFound(format!(
                    "T-{id} is not an OS intervention"
                )));
            };
            if let Some(r) = reveal_refusal(who, &read.ticket, i, now) {
                return Err(r);
            }
            if let Some(c) = &complexity {
                i.complexity = c.clone();
            }
            let e = event(
                id,
                "work",
                &who.login,
                format!("{access}: {note}"),
                true,
                &read.ticket.status,
                now,
            );
            Ok((vec![e], Vec::new()))
        })
        .await?;
        self.audit(who, "intervention.work", &format!("T-{id}"), &access)
            .await;
        self.ticket_view(who, id).await
    }
}

/// An authorisation's expiry: an RFC 3339 time after `now` and within 30 days.
fn expiry(expires: &str, now: i64) -> Result<i64, Refused> {
    let field = "authorisation.expires";
    let at: Timestamp = expires.trim().parse().map_err(|e| {
        Refused::invalid(
            field,
            format!("{field}: `{expires}` is not an RFC 3339 time ({e})"),
        )
    })?;
    let ms = at.as_millisecond();
    if ms <= now {
        return Err(Refused::invalid(
            field,
            format!("{field}: `{expires}` is past"),
        ));
    }
    if ms - now > MAX_AUTHORISATION_MS {
        return Err(Refused::invalid(
            field,
            format!("{field}: an authorisation runs 30 days at most"),
        ));
    }
    Ok(ms)
}
