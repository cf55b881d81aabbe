//! The end of an OS intervention's credentials: at close (with the summary staff must send
//! the customer), and when the authorisation runs out (the leader's timer). Revocation
//! destroys them too (`intervention.rs`).

use tocsin_store::{Intervention, InterventionStore};

use super::fields::{event, text};
use super::intervention::MAX_TEXT;
use super::{mail, message_domain};
use crate::{Principal, Refused, System};

impl System {
    /// Closes or resolves an intervention: staff must give a `summary` (unless one was sent
    /// already), which is mailed to the customer; the credentials are destroyed in the same
    /// write.
    pub(super) async fn close_intervention(
        &self,
        who: &Principal,
        id: i64,
        status: &str,
        summary: Option<&str>,
    ) -> Result<(), Refused> {
        let summarised = self
            .visible_intervention(who, id)
            .await?
            .intervention
            .is_some_and(|i| i.summary.is_some());
        let summary = match summary.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(text("summary", s, MAX_TEXT)?),
            // Resolved with a summary already, then closed: nothing more to say.
            None if who.role.is_staff() && !summarised => return Err(Refused::invalid(
                "summary",
                "summary is required to close an intervention: what was done, sent to the customer",
            )),
            None => None,
        };
        let inventory = self.inventory()?;
        let domain = message_domain(&self.desk);
        self.change_ticket(who, id, |read, now| {
            read.ticket.status = status.to_owned();
            let mut events = Vec::new();
            let mut notices = Vec::new();
            if let Some(s) = &summary {
                let e = event(id, "summary", &who.login, s.clone(), true, status, now);
                notices = mail::reply_notices(&inventory, &self.desk, &domain, read, &e, now);
                events.push(e);
            }
            let Some(i) = read.intervention.as_mut() else {
                return Err(Refused::NotFound(format!(
                    "T-{id} is not an OS intervention"
                )));
            };
            i.summary = summary.clone().or(i.summary.take());
            let held = i.credentials.is_some();
            destroy(i, now);
            events.push(event(
                id,
                "status",
                &who.login,
                String::new(),
                true,
                status,
                now,
            ));
            if held {
                events.push(event(
                    id,
                    "purge",
                    "tocsin",
                    "The credentials were destroyed at close.".to_owned(),
                    true,
                    status,
                    now,
                ));
            }
            Ok((events, notices))
        })
        .await?;
        Ok(())
    }

    /// Destroys the credentials of interventions whose authorisation ran out; answers how
    /// many. Run on the leader.
    pub async fn purge_expired_credentials(&self) -> Result<usize, Refused> {
        let now = self.clock.now_ms();
        let due = self.store.interventions_expired(now, 200).await?;
        let system = Principal::automatic("tocsin");
        for &id in &due {
            self.change_ticket(&system, id, |read, now| {
                let status = read.ticket.status.clone();
                let Some(i) = read.intervention.as_mut() else {
                    return Ok((Vec::new(), Vec::new()));
                };
                if i.credentials.is_none() || i.expires_ms > now {
                    return Ok((Vec::new(), Vec::new()));
                }
                destroy(i, now);
                let e = event(
                    id,
                    "purge",
                    "tocsin",
                    "The authorisation expired; the credentials were destroyed.".to_owned(),
                    true,
                    &status,
                    now,
                );
                Ok((vec![e], Vec::new()))
            })
            .await?;
            self.audit(&system, "intervention.expired", &format!("T-{id}"), "")
                .await;
        }
        Ok(due.len())
    }
}

/// Forgets the sealed credentials.
pub(super) fn destroy(i: &mut Intervention, now: i64) {
    if i.credentials.take().is_some() {
        i.purged_ms = Some(now);
    }
}
