//! New credentials an engineer set during an OS intervention go back to the customer through
//! the client area only: sealed in their own column until read once, then destroyed.

use tocsin_model::time::rfc3339;

use super::credentials::{bound_to, keyring, Credentials};
use super::fields::event;
use super::intervention::TABLE;
use super::TicketView;
use crate::{Action, Principal, Refused, System};

impl System {
    /// Gives the customer new credentials the engineer set, sealed until read once in the
    /// client area — `POST /api/v1/tickets/{id}/new-credentials`.
    pub async fn give_new_credentials(
        &self,
        who: &Principal,
        id: i64,
        credentials: Credentials,
    ) -> Result<TicketView, Refused> {
        who.require(Action::Intervene)?;
        credentials.check("credentials")?;
        let ring = keyring(self.vault.as_ref())?;
        let read = self.visible_intervention(who, id).await?;
        let Some(reference) = read.intervention.map(|i| i.seal_ref) else {
            return Err(Refused::NotFound(format!(
                "T-{id} is not an OS intervention"
            )));
        };
        let sealed = credentials.seal(ring, &bound_to(TABLE, &reference, "new_credentials"))?;
        drop(credentials);
        self.change_ticket(who, id, |read, now| {
            if read.ticket.assignee.as_deref() != Some(who.login.as_str()) {
                return Err(Refused::Forbidden(format!(
                    "only the engineer assigned to T-{id} gives its new credentials"
                )));
            }
            if read.ticket.status == "closed" {
                return Err(Refused::Conflict(format!("T-{id} is closed")));
            }
            let Some(i) = read.intervention.as_mut() else {
                return Err(Refused::NotFound(format!(
                    "T-{id} is not an OS intervention"
                )));
            };
            i.new_credentials = Some(sealed.clone());
            i.new_credentials_ms = Some(now);
            i.new_credentials_read_ms = None;
            let e = event(
                id,
                "new_credentials",
                &who.login,
                "New credentials are waiting in the client area, to be read once.".to_owned(),
                true,
                &read.ticket.status,
                now,
            );
            Ok((vec![e], Vec::new()))
        })
        .await?;
        self.audit(who, "intervention.new_credentials", &format!("T-{id}"), "")
            .await;
        self.ticket_view(who, id).await
    }

    /// The new credentials, once, to the customer — `GET /api/v1/tickets/{id}/new-credentials`;
    /// destroyed as they are read (`410` after).
    pub async fn read_new_credentials(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<Credentials, Refused> {
        if who.role.is_staff() {
            return Err(Refused::Forbidden(
                "new credentials are for the customer's own account only".to_owned(),
            ));
        }
        let read = self.visible_intervention(who, id).await?;
        let i = read.intervention.as_ref();
        let Some((sealed, reference)) =
            i.and_then(|i| i.new_credentials.clone().zip(Some(i.seal_ref.clone())))
        else {
            return Err(match i.and_then(|i| i.new_credentials_read_ms) {
                Some(at) => Refused::Gone(format!(
                    "the new credentials of T-{id} were read at {} and destroyed",
                    rfc3339(at)
                )),
                None => Refused::NotFound(format!("T-{id} has no new credentials")),
            });
        };
        let credentials = Credentials::open(
            keyring(self.vault.as_ref())?,
            &sealed,
            &bound_to(TABLE, &reference, "new_credentials"),
        )?;
        self.change_ticket(who, id, |read, now| {
            let Some(i) = read.intervention.as_mut() else {
                return Err(Refused::NotFound(format!(
                    "T-{id} is not an OS intervention"
                )));
            };
            if i.new_credentials.as_ref() != Some(&sealed) {
                return Err(Refused::Gone(format!(
                    "the new credentials of T-{id} were read already"
                )));
            }
            i.new_credentials = None;
            i.new_credentials_read_ms = Some(now);
            let e = event(
                id,
                "new_credentials_read",
                &who.login,
                "The new credentials were read in the client area and destroyed.".to_owned(),
                true,
                &read.ticket.status,
                now,
            );
            Ok((vec![e], Vec::new()))
        })
        .await?;
        self.audit(
            who,
            "intervention.new_credentials_read",
            &format!("T-{id}"),
            "",
        )
        .await;
        Ok(credentials)
    }
}
