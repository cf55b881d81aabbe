//! Shifts: who is on duty when, and who leads (admins plan them, every member of staff reads
//! them). Lead shifts never overlap: the store refuses one that would in the transaction that
//! adds it, so two instances cannot both add one.

use tocsin_model::time::rfc3339;
use tocsin_store::{AccountStore, OnDuty, Shift};

use super::Refused;
use crate::{Action, Principal, Role, System};

/// A shift as asked for: times in ms UTC, `None` where what was typed is not a time.
#[derive(Debug, Clone, Default)]
pub struct NewShift {
    /// Login of the member of staff on duty.
    pub login: String,
    /// Start.
    pub starts_ms: Option<i64>,
    /// End.
    pub ends_ms: Option<i64>,
    /// Whether they lead it.
    pub lead: bool,
}

impl System {
    /// Plans a shift (admins); refuses a lead shift overlapping another with
    /// [`Refused::Conflict`]. Audited.
    pub async fn add_shift(&self, who: &Principal, shift: NewShift) -> Result<Shift, Refused> {
        who.require(Action::ManageShifts)?;
        let login = shift.login.trim();
        let Some(starts_ms) = shift.starts_ms else {
            return Err(Refused::invalid(
                "start",
                "start: a date and time (UTC) such as 2026-11-22T22:00:00Z",
            ));
        };
        let Some(ends_ms) = shift.ends_ms else {
            return Err(Refused::invalid(
                "end",
                "end: a date and time (UTC) such as 2026-11-23T06:00:00Z",
            ));
        };
        if ends_ms <= starts_ms {
            return Err(Refused::invalid(
                "end",
                "end: the shift must end after it starts",
            ));
        }
        let staff = self
            .store
            .account_by_login(login)
            .await?
            .filter(|a| !a.disabled && Role::parse(&a.role).is_some_and(Role::is_staff));
        if login.is_empty() || staff.is_none() {
            return Err(Refused::invalid(
                "login",
                format!("login: `{login}` is no enabled staff account"),
            ));
        }
        let mut row = Shift {
            id: 0,
            login: login.to_owned(),
            starts_ms,
            ends_ms,
            lead: shift.lead,
            created_by: who.login.clone(),
            created_ms: self.clock.now_ms(),
        };
        match self.store.add_shift(&row).await? {
            Ok(id) => row.id = id,
            Err(overlap) => {
                let other = overlap.existing;
                return Err(Refused::Conflict(format!(
                    "a lead shift overlaps: {} leads from {} to {}",
                    other.login,
                    rfc3339(other.starts_ms),
                    rfc3339(other.ends_ms)
                )));
            }
        }
        let detail = format!(
            "{}{} from {} to {}",
            row.login,
            if row.lead { " (lead)" } else { "" },
            rfc3339(starts_ms),
            rfc3339(ends_ms)
        );
        self.audit(who, "shift.add", &format!("shift:{}", row.id), &detail)
            .await;
        Ok(row)
    }

    /// Shifts overlapping `from_ms`..`to_ms`, by start (staff).
    pub async fn shifts(
        &self,
        who: &Principal,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Shift>, Refused> {
        who.require(Action::View)?;
        Ok(self.store.shifts(from_ms, to_ms).await?)
    }

    /// Who is on duty at `at_ms`, and who leads (staff).
    pub async fn on_duty(&self, who: &Principal, at_ms: i64) -> Result<OnDuty, Refused> {
        who.require(Action::View)?;
        Ok(self.store.on_duty(at_ms).await?)
    }
}
