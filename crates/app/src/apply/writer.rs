//! The leader's writer: what the applier derived from the log goes to the database in
//! order, fenced by the leader's epoch.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tocsin_store::{
    AccountStore, AnyStore, Applied, AssertionChange, IncidentChange, LogStore, NewNotice,
    StoreError,
};
use tokio::sync::{mpsc, oneshot};

use super::chunks;
use crate::metrics::Metrics;

/// What the leader's writer commits.
pub(super) enum Write {
    /// Consequences of the log through `through`.
    Record {
        through: i64,
        assertions: Vec<AssertionChange>,
        incidents: Vec<IncidentChange>,
        notices: Vec<NewNotice>,
        /// Backlogs of a former leader that `incidents` write in full.
        settle: Vec<i64>,
    },
    /// Answer once everything handed over before is committed.
    Flush(oneshot::Sender<()>),
}

/// The leader's writer: commits what the applier derived, in order, several stretches per
/// transaction when they queue up, each transaction fenced by the epoch. A fan-out goes in
/// several commits (`chunks`), the outbox woken after each. A refusal (another leader came)
/// or a database failing past the retries is told to the applier, which steps down; nothing
/// more is written.
pub(super) async fn write_records(
    epoch: i64,
    store: Arc<AnyStore>,
    mut rx: mpsc::UnboundedReceiver<Write>,
    outbox: Arc<tokio::sync::Notify>,
    metrics: Arc<Metrics>,
    failed: mpsc::UnboundedSender<i64>,
) {
    while let Some(first) = rx.recv().await {
        let mut through = 0;
        let (mut assertions, mut incidents, mut notices) = (Vec::new(), Vec::new(), Vec::new());
        let mut settle = Vec::new();
        let mut flushes = Vec::new();
        let mut any = false;
        for w in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
            match w {
                Write::Record {
                    through: t,
                    assertions: a,
                    incidents: i,
                    notices: n,
                    settle: s,
                } => {
                    any = true;
                    through = through.max(t);
                    // A fan-out comes as one record: taken whole, not copied over.
                    append(&mut assertions, a);
                    append(&mut incidents, i);
                    append(&mut notices, n);
                    append(&mut settle, s);
                }
                Write::Flush(done) => flushes.push(done),
            }
        }
        if any {
            notices.extend(lead_notices(&store, &incidents).await);
            let split = chunks::split(
                incidents,
                notices,
                chunks::FIRST,
                chunks::EACH,
                chunks::ROWS,
            );
            let last = split.parts.len() - 1;
            let mut backlog = None;
            for (k, part) in split.parts.iter().enumerate() {
                let settled: Vec<i64> = match (k, backlog) {
                    (0, _) => std::mem::take(&mut settle),
                    (k, Some(b)) if k == last => vec![b],
                    _ => Vec::new(),
                };
                let applied = Applied {
                    epoch,
                    through,
                    assertions: if k == 0 { &assertions } else { &[] },
                    incidents: &part.incidents,
                    notices: &part.notices,
                    defer: if k == 0 { &split.defer } else { &[] },
                    settle: &settled,
                };
                match commit(&store, &applied).await {
                    Ok(b) => backlog = backlog.or(b),
                    Err(e) => {
                        tracing::error!(error = %e, epoch, through, "the leader's writes failed: stepping down");
                        let _ = failed.send(epoch);
                        return;
                    }
                }
                if !part.notices.is_empty() {
                    tracing::info!(notices = part.notices.len(), part = k, "notices queued");
                    metrics
                        .queued
                        .fetch_add(part.notices.len() as u64, Ordering::Relaxed);
                    outbox.notify_one();
                }
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// `more` after what `into` holds; taken as it is when `into` is empty.
fn append<T>(into: &mut Vec<T>, mut more: Vec<T>) {
    if into.is_empty() {
        *into = more;
    } else {
        into.append(&mut more);
    }
}

/// The mail to the shift lead on duty when each incident of `incidents` opened, for those
/// with an e-mail address. Only the leader decides notices, so it is queued here with the
/// incident, once: the outbox keeps one notice per incident, contact and kind. A lead that
/// cannot be looked up is logged and not mailed; the incident is written all the same.
pub(super) async fn lead_notices(store: &AnyStore, incidents: &[IncidentChange]) -> Vec<NewNotice> {
    let mut notices = Vec::new();
    for change in incidents {
        let IncidentChange::Open {
            id, title, at_ms, ..
        } = change
        else {
            continue;
        };
        let email = match store.on_duty(*at_ms).await {
            Ok(duty) => duty.lead_email,
            Err(e) => {
                tracing::warn!(error = %e, incident = id, "the shift lead on duty could not be looked up: not mailed");
                continue;
            }
        };
        let Some(email) = email else { continue };
        let payload = crate::notices::Payload {
            title: title.clone(),
            customer_name: String::new(),
            services: Vec::new(),
            body: String::new(),
            at_risk: 0,
            window: None,
            credit: None,
        };
        let payload = match serde_json::to_string(&payload) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, incident = id, "lead notice payload not written");
                continue;
            }
        };
        notices.push(NewNotice {
            incident_id: *id,
            customer: String::new(),
            contact: email,
            language: "en".to_owned(),
            kind: crate::outbox::LEAD_OPENED_KIND.to_owned(),
            payload,
            created_ms: *at_ms,
        });
    }
    notices
}

/// Commits, retrying a failing database a few times (about 3 s in all); a fencing refusal
/// is final at once.
async fn commit(store: &AnyStore, applied: &Applied<'_>) -> Result<Option<i64>, StoreError> {
    let mut delay = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match store.commit_applied(applied).await {
            Ok(backlog) => return Ok(backlog),
            Err(e @ StoreError::Fenced { .. }) => return Err(e),
            Err(e) if attempt < 5 => {
                tracing::warn!(error = %e, attempt, "could not record incident changes; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
