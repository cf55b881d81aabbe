//! The leader's breach timer: tickets whose next target fell due are read again, each target
//! missed is recorded once and mailed to the ticket's assignee and the shift lead on duty,
//! and the ticket row gets its next due time.

use tocsin_store::{AccountStore, RecordedBreach, Saved, TicketStore};

use super::mail::breach_notices;
use super::Refused;
use crate::desk::standing;
use crate::System;

/// Tickets looked at per round.
const BATCH: i64 = 200;

impl System {
    /// Records the targets missed by now; answers how many were recorded. Run on the leader.
    pub async fn check_ticket_breaches(&self) -> Result<usize, Refused> {
        let now = self.clock.now_ms();
        let due = self.store.tickets_due(now, BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let lead = self.store.on_duty(now).await?.lead_email;
        let mut recorded_now = 0;
        for ticket in due {
            let Some(read) = self.read_ticket(ticket.id).await? else {
                continue;
            };
            let targets = &*read.targets(&self.desk);
            let s = standing(targets, &read.events, &read.recorded, now);
            let mut to: Vec<String> = lead.iter().cloned().collect();
            if let Some(login) = &read.ticket.assignee {
                if let Some(email) = self
                    .store
                    .account_by_login(login)
                    .await?
                    .and_then(|a| a.email)
                {
                    to.push(email);
                }
            }
            let fresh: Vec<(RecordedBreach, Vec<tocsin_store::NewNotice>)> = s
                .clocks
                .breaches
                .iter()
                .filter(|b| b.due_ms <= now)
                .filter(|b| {
                    !read
                        .recorded
                        .iter()
                        .any(|r| r.target == b.target.as_str() && r.due_ms == b.due_ms)
                })
                .map(|b| {
                    let target = b.target.as_str();
                    (
                        RecordedBreach {
                            ticket: read.ticket.id,
                            target: target.to_owned(),
                            due_ms: b.due_ms,
                            recorded_ms: now,
                        },
                        breach_notices(&self.desk, &read.ticket, target, b.due_ms, &to, now),
                    )
                })
                .collect();
            let recorded = self.store.record_breaches(&fresh).await?;
            recorded_now += recorded.len();
            for r in &recorded {
                tracing::warn!(ticket = r.ticket, target = %r.target, due_ms = r.due_ms, "ticket target missed");
            }
            let mut all = read.recorded.clone();
            all.extend(recorded);
            let after = standing(targets, &read.events, &all, now);
            let mut t = read.ticket.clone();
            if t.due_ms != after.due_ms || t.breached != after.breached {
                t.due_ms = after.due_ms;
                t.breached = after.breached;
                // A change that came between has computed the row again: nothing to do.
                if let Saved::Conflict = self.store.save_ticket(&t, &[], &[]).await? {
                    continue;
                }
            }
        }
        if recorded_now > 0 {
            self.wake_outbox();
            self.metrics
                .ticket_breaches
                .fetch_add(recorded_now as u64, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(recorded_now)
    }
}

/// Every second, on the leader: support ticket targets that fell due are recorded and mailed
/// once each, and the credentials of interventions whose authorisation ran out destroyed.
pub async fn breach_timer(system: std::sync::Weak<System>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(system) = system.upgrade() else {
            return;
        };
        if !system.standing.leading() {
            continue;
        }
        if let Err(e) = system.check_ticket_breaches().await {
            tracing::error!(error = %e, "ticket breaches not checked; tried again in a second");
        }
        if let Err(e) = system.purge_expired_credentials().await {
            tracing::error!(error = %e, "expired credentials not destroyed; tried again in a second");
        }
    }
}
