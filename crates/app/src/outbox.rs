//! The outbox worker: claims due notices, renders them, delivers them over SMTP (or keeps
//! them, in the demo), and records how each delivery ended; failures retry with backoff.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hashbrown::HashMap;

use tocsin_model::inventory::Language;
use tocsin_notify::{Composer, Envelope, Mailer, Notice, NoticeKind, Outcome, Sender, ServiceLine};
use tocsin_store::{AnyStore, Delivery, IncidentStore, OutboxRow, BROADCAST_KIND};
use tokio::sync::{watch, Notify};

use std::sync::atomic::Ordering;

use crate::archiving::Archiver;
use crate::metrics::Metrics;
use crate::notices::Payload;
use crate::recipients::Origin;
use crate::webhooks::{self, Hooks};
use crate::Clock;

/// The kind of the notice telling the shift lead on duty that an incident opened.
pub(crate) const LEAD_OPENED_KIND: &str = "lead.opened";

/// How long a claimed notice is reserved for the worker that claimed it; a batch still being
/// delivered renews it every [`RENEW_EVERY`], so that a slow server never lets another worker
/// (of this instance or another) take the batch's notices and send them a second time.
pub(crate) const LEASE_MS: i64 = 60_000;
/// How often a batch in delivery renews its claim: three times a lease, so that one renewal
/// lost to a busy database still leaves time for the next.
const RENEW_EVERY: Duration = Duration::from_millis(LEASE_MS.unsigned_abs() / 3);
/// Notices claimed at once: also the most that a crash can deliver twice per batch in flight
/// (delivered, but not yet recorded as sent). Each claim and each batch's verdicts is one
/// commit; on SQLite one commit at a time, each with its fsync. At 64 a fan-out of 10,000 made
/// over 300 commits, which kept the database's one writer busy for most of the sending (3.0 s
/// for the fan-out against 2.0–2.2 s at 512, `scripts/bench/fanout.py`).
const BATCH: i64 = 512;
/// Batches delivered at the same time, so the SMTP connections never wait for a slow batch.
const BATCHES_IN_FLIGHT: usize = 4;
/// Attempts before a notice that keeps failing temporarily is given up.
const MAX_ATTEMPTS: i64 = 60;

/// Where notices go.
pub enum Transport {
    /// A real SMTP server.
    Smtp(Mailer),
    /// Nowhere: composed and kept in memory to be shown at `/demo/outbox`.
    Keep,
}

/// How notices are delivered.
pub struct Delivering {
    /// SMTP or kept.
    pub transport: Transport,
    /// From and List-Id.
    pub sender: Sender,
    /// Linked from every message.
    pub public_url: String,
}

/// A message kept by [`Transport::Keep`].
#[derive(Debug, Clone)]
pub struct Kept {
    /// Outbox row.
    pub id: i64,
    /// Recipient.
    pub to: String,
    /// The whole message.
    pub message: String,
}

/// Finds a webhook's secret, and who wrote its URL, by customer id and URL in the live state.
pub(crate) type SecretLookup = Arc<dyn Fn(&str, &str) -> Option<(String, Origin)> + Send + Sync>;

/// The last messages kept, newest last.
pub type KeptMessages = Arc<Mutex<VecDeque<Kept>>>;

/// Backoff after `attempts` failed tries: 1 s, 2 s, 4 s… at most 30 s, so that mail flows
/// again soon after the SMTP server returns.
fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 6) - 1;
    (1000i64 << exp).min(30_000)
}

/// The notice of an outbox row, and the `From:` it goes out with when not the notices'
/// sender's (desk mail from the desk's address).
fn notice_of(row: &OutboxRow, public_url: &str) -> Result<(Notice, Option<String>), String> {
    if row.notice.kind.starts_with(crate::ops::TICKET_KIND_PREFIX) {
        return crate::ops::ticket_notice(row, public_url);
    }
    if row
        .notice
        .kind
        .starts_with(crate::ops::ENVELOPE_KIND_PREFIX)
    {
        return crate::ops::envelope_notice(row, public_url).map(|n| (n, None));
    }
    let payload: Payload = serde_json::from_str(&row.notice.payload)
        .map_err(|e| format!("outbox row {}: unreadable payload: {e}", row.id))?;
    let kind = match row.notice.kind.as_str() {
        "opened" => NoticeKind::Opened,
        "resolved" => NoticeKind::Resolved,
        LEAD_OPENED_KIND => NoticeKind::LeadOpened,
        k if k.starts_with(BROADCAST_KIND) => NoticeKind::Broadcast,
        k if k.starts_with(crate::staff::KIND_PREFIX) => NoticeKind::Degraded,
        k if k.starts_with(crate::planned::KIND_PREFIX) => crate::planned::notice_kind(k)
            .ok_or_else(|| format!("outbox row {}: unknown kind `{k}`", row.id))?,
        k if k.starts_with(crate::ops::CREDIT_KIND_PREFIX) => NoticeKind::CreditOffered,
        other => return Err(format!("outbox row {}: unknown kind `{other}`", row.id)),
    };
    let credit = payload.credit.map(|c| tocsin_notify::CreditLines {
        service_id: c.service_id,
        service_name: c.service_name,
        month: c.month,
        down_seconds: c.down_seconds,
        availability: c.availability,
        sla: c.sla,
        net: c.net,
        vat: c.vat,
        gross: c.gross,
        currency: c.currency,
        reverse_charge: c.reverse_charge,
        deadline: c.deadline_ms.div_euclid(1000),
        offers: c
            .offers
            .into_iter()
            .map(|(id, kind, value)| tocsin_notify::OfferLine {
                id,
                kind: tocsin_notify::OfferKind::from_code(&kind)
                    .unwrap_or(tocsin_notify::OfferKind::AccountCredit),
                value,
            })
            .collect(),
        url: format!("{}/account/sla", public_url.trim_end_matches('/')),
    });
    let incident_id = match kind {
        NoticeKind::CreditOffered => row
            .notice
            .kind
            .strip_prefix(crate::ops::CREDIT_KIND_PREFIX)
            .and_then(|k| k.split('.').next())
            .and_then(|id| id.parse().ok())
            .unwrap_or(0),
        _ => row.notice.incident_id.max(0) as u64,
    };
    let notice = Notice {
        kind,
        incident_id,
        incident_title: payload.title,
        customer_name: payload.customer_name,
        to: row.notice.contact.clone(),
        language: Language::from_code(&row.notice.language).unwrap_or_default(),
        services: payload
            .services
            .into_iter()
            .map(|s| ServiceLine {
                id: s.id,
                name: s.name,
                down_since: s.down_since_ms.div_euclid(1000),
                back_up_at: s.back_up_ms.map(|ms| ms.div_euclid(1000)),
            })
            .collect(),
        public_url: public_url.to_owned(),
        date: row.notice.created_ms.div_euclid(1000),
        outbox_id: row.id.max(0) as u64,
        body: payload.body,
        at_risk: payload.at_risk,
        window: payload.window.map(|w| tocsin_notify::WindowTimes {
            utc: w.utc,
            local: w.local,
            previous: w.previous,
        }),
        credit,
        ticket: None,
    };
    Ok((notice, None))
}

/// What the outbox worker works with.
pub(crate) struct Worker {
    pub store: Arc<AnyStore>,
    pub delivering: Delivering,
    pub clock: Arc<dyn Clock>,
    pub wake: Arc<Notify>,
    pub kept: KeptMessages,
    pub metrics: Arc<Metrics>,
    pub archiver: Archiver,
    pub secrets: SecretLookup,
    /// Customers' own webhooks may reach private and reserved addresses.
    pub allow_private_webhooks: bool,
    /// Broadcast notices sent per second at most.
    pub broadcast_per_second: u32,
}

/// What every batch needs, shared by the incident and the broadcast workers.
pub(crate) struct Shared {
    pub store: Arc<AnyStore>,
    pub composer: Composer,
    pub delivering: Delivering,
    pub clock: Arc<dyn Clock>,
    pub kept: KeptMessages,
    pub metrics: Arc<Metrics>,
    pub archiver: Archiver,
    pub hooks: Hooks,
    pub secrets: SecretLookup,
}

/// Runs until `stop` turns true, finishing the batches in hand.
pub(crate) async fn work(worker: Worker, mut stop: watch::Receiver<bool>) {
    let composer = match Composer::new() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot load the notice templates: no notice will be sent");
            return;
        }
    };
    let (wake, per_second) = (worker.wake, worker.broadcast_per_second);
    let shared = Arc::new(Shared {
        store: worker.store,
        composer,
        delivering: worker.delivering,
        clock: worker.clock,
        kept: worker.kept,
        metrics: worker.metrics,
        archiver: worker.archiver,
        hooks: Hooks::new(worker.allow_private_webhooks),
        secrets: worker.secrets,
    });
    let broadcasts = tokio::spawn(crate::broadcast::work(
        Arc::clone(&shared),
        per_second,
        stop.clone(),
    ));
    let slots = Arc::new(tokio::sync::Semaphore::new(BATCHES_IN_FLIGHT));
    let mut in_flight = tokio::task::JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        while in_flight.try_join_next().is_some() {}
        let now = shared.clock.now_ms();
        let claimed = shared.store.claim_notices(now, BATCH, LEASE_MS).await;
        let rows = match claimed {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "outbox: cannot claim notices");
                drop(slot);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if rows.is_empty() {
            drop(slot);
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let shared = Arc::clone(&shared);
        in_flight.spawn(async move {
            run_batch(&shared, rows, now + LEASE_MS).await;
            drop(slot);
        });
    }
    while in_flight.join_next().await.is_some() {}
    if let Err(e) = broadcasts.await {
        tracing::error!(error = %e, "broadcast worker failed");
    }
}

/// Delivers one claimed batch (e-mail and webhooks), archives what was accepted and records
/// the verdicts. `lease_ms` is the lease the rows were claimed with; it is renewed until the
/// verdicts are recorded.
pub(crate) async fn run_batch(shared: &Arc<Shared>, rows: Vec<OutboxRow>, lease_ms: i64) {
    let renewing = Renewing(tokio::spawn(keep_claimed(
        Arc::clone(&shared.store),
        Arc::clone(&shared.clock),
        rows.iter().map(|r| r.id).collect(),
        lease_ms,
        (LEASE_MS, RENEW_EVERY),
    )));
    let (hook_rows, mut rows): (Vec<OutboxRow>, Vec<OutboxRow>) = rows
        .into_iter()
        .partition(|r| r.notice.kind.starts_with(webhooks::KIND_PREFIX));
    let posted = webhooks::post_all(hook_rows.clone(), Arc::clone(shared));
    let mailed = deliver(&rows, &shared.composer, &shared.delivering, &shared.kept);
    let (posted, (mut results, accepted)) = tokio::join!(posted, mailed);
    results.extend(posted);
    rows.extend(hook_rows);
    // Proof of notification: every accepted message is archived before it counts as sent.
    let incident_of: HashMap<i64, i64> =
        rows.iter().map(|r| (r.id, r.notice.incident_id)).collect();
    let keys: Vec<(i64, String)> = accepted
        .iter()
        .map(|(id, _)| {
            let incident = incident_of.get(id).copied().unwrap_or(0);
            (*id, format!("mail/{incident}/{id}.eml"))
        })
        .collect();
    let objects = keys
        .iter()
        .zip(accepted)
        .map(|((_, k), (_, m))| (k.clone(), m))
        .collect();
    let archiver = &shared.archiver;
    let keys = match archiver.put_all(objects).await {
        Ok(()) if archiver.enabled() => keys,
        Ok(()) => Vec::new(),
        Err(e) => {
            tracing::error!(error = %e, "could not archive sent messages");
            Vec::new()
        }
    };
    // The verdicts end the claim; a renewal after them would change nothing.
    drop(renewing);
    let now = shared.clock.now_ms();
    finish(&shared.store, &rows, results, &keys, now, &shared.metrics).await;
}

/// The task renewing a batch's claim, stopped when the batch is done or dropped.
struct Renewing(tokio::task::JoinHandle<()>);

impl Drop for Renewing {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews the claim on `ids`, held with the lease `held_ms`, for `lease` (milliseconds of the
/// clock) every `every` (of the runtime's timer) until stopped.
async fn keep_claimed(
    store: Arc<AnyStore>,
    clock: Arc<dyn Clock>,
    ids: Vec<i64>,
    mut held_ms: i64,
    (lease, every): (i64, Duration),
) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let lease_ms = clock.now_ms() + lease;
        match store.renew_claims(&ids, held_ms, lease_ms).await {
            Ok(renewed) => {
                if renewed < ids.len() as u64 {
                    // Their lease ran out before this renewal: another worker may send them too.
                    tracing::warn!(
                        claimed = ids.len(),
                        renewed,
                        "outbox: a batch lost part of its claim while delivering"
                    );
                }
                held_ms = lease_ms;
            }
            Err(e) => tracing::warn!(error = %e, "outbox: cannot renew a batch's claim"),
        }
    }
}

/// Records how a batch's deliveries ended, turning temporary failures into retries with
/// backoff.
async fn finish(
    store: &AnyStore,
    rows: &[OutboxRow],
    results: Vec<(i64, Outcome)>,
    keys: &[(i64, String)],
    now: i64,
    metrics: &Metrics,
) {
    // A batch has hundreds of rows: each looked up once, not searched for.
    let row_of: HashMap<i64, &OutboxRow> = rows.iter().map(|r| (r.id, r)).collect();
    let key_of: HashMap<i64, &String> = keys.iter().map(|(i, k)| (*i, k)).collect();
    let attempts = |id: i64| row_of.get(&id).map_or(1, |r| r.attempts);
    let results: Vec<(i64, Delivery)> = results
        .into_iter()
        .map(|(id, outcome)| {
            let d = match outcome {
                Outcome::Delivered => Delivery::Sent {
                    message_key: key_of.get(&id).map(|k| (*k).clone()),
                },
                Outcome::Failed { reason } => Delivery::Failed { error: reason },
                Outcome::Retry { reason } if attempts(id) >= MAX_ATTEMPTS => Delivery::Failed {
                    error: format!("gave up after {MAX_ATTEMPTS} attempts: {reason}"),
                },
                Outcome::Retry { reason } => Delivery::Retry {
                    next_ms: now + backoff_ms(attempts(id)),
                    error: reason,
                },
            };
            (id, d)
        })
        .collect();
    let mut sent = 0;
    for (id, d) in &results {
        match d {
            Delivery::Sent { .. } => {
                sent += 1;
                metrics.sent.fetch_add(1, Ordering::Relaxed);
                if let Some(row) = row_of.get(id) {
                    metrics.notice_latency(now - row.notice.created_ms);
                }
            }
            Delivery::Retry { .. } => {
                metrics.retried.fetch_add(1, Ordering::Relaxed);
            }
            Delivery::Failed { .. } => {
                metrics.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    if let Err(e) = store.finish_notices(&results, now).await {
        // The leases run out and the notices go again: a duplicate rather than a loss.
        tracing::error!(error = %e, "outbox: cannot record deliveries");
    }
    tracing::debug!(claimed = rows.len(), sent, "outbox batch done");
}

/// Composes and sends a batch; returns each row's outcome, and the bytes of the messages the
/// server accepted, to archive.
async fn deliver(
    rows: &[OutboxRow],
    composer: &Composer,
    delivering: &Delivering,
    kept: &KeptMessages,
) -> (Vec<(i64, Outcome)>, Vec<(i64, Vec<u8>)>) {
    let mut results = Vec::new();
    let mut accepted = Vec::new();
    let mut batch: Vec<(u64, Envelope, Vec<u8>)> = Vec::with_capacity(rows.len());
    for row in rows {
        let composed = notice_of(row, &delivering.public_url).and_then(|(notice, from)| {
            let sender = match from {
                Some(from) => Sender {
                    from,
                    list_id: delivering.sender.list_id.clone(),
                },
                None => delivering.sender.clone(),
            };
            let message = composer
                .compose(&notice, &sender)
                .map_err(|e| e.to_string())?;
            let envelope = tocsin_notify::envelope(&notice, &sender).map_err(|e| e.to_string())?;
            Ok((envelope, message))
        });
        match composed {
            Ok((envelope, message)) => batch.push((row.id as u64, envelope, message)),
            Err(reason) => {
                tracing::error!(outbox = row.id, %reason, "cannot compose notice");
                results.push((row.id, Outcome::Failed { reason }));
            }
        }
    }
    match &delivering.transport {
        Transport::Smtp(mailer) => {
            // The mailer hands back what the server accepted: the bytes to archive.
            for (id, outcome, message) in mailer.send_batch_accepted(batch).await {
                if let Some(message) = message {
                    accepted.push((id as i64, message));
                }
                results.push((id as i64, outcome));
            }
        }
        Transport::Keep => {
            if let Ok(mut kept) = kept.lock() {
                for (id, envelope, message) in batch {
                    accepted.push((id as i64, message.clone()));
                    kept.push_back(Kept {
                        id: id as i64,
                        to: envelope.to,
                        message: String::from_utf8_lossy(&message).into_owned(),
                    });
                    while kept.len() > 500 {
                        kept.pop_front();
                    }
                    results.push((id as i64, Outcome::Delivered));
                }
            }
        }
    }
    (results, accepted)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::AtomicI64;

    use tocsin_store::{IncidentChange, IncidentStore, NewNotice, Store};

    use super::*;

    /// A clock the test moves.
    struct Manual(AtomicI64);

    impl Clock for Manual {
        fn now_ms(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn notice(contact: &str) -> NewNotice {
        NewNotice {
            incident_id: 1,
            customer: "acme".into(),
            contact: contact.into(),
            language: "en".into(),
            kind: "opened".into(),
            payload: "{}".into(),
            created_ms: 10,
        }
    }

    /// Waits until `ids` all hold the lease `lease_ms` (a renewal to the same lease changes
    /// nothing and counts them), for at most ten seconds.
    async fn until_held(store: &AnyStore, ids: &[i64], lease_ms: i64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while store.renew_claims(ids, lease_ms, lease_ms).await.unwrap() < ids.len() as u64 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the claim was never renewed to {lease_ms}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn a_batch_still_sending_keeps_its_claim_and_lets_go_when_done() {
        let store = Arc::new(AnyStore::connect("sqlite::memory:").await.unwrap());
        store.migrate().await.unwrap();
        let open = IncidentChange::Open {
            id: 1,
            title: "sw-a down".into(),
            roots: vec!["sw-a".into()],
            at_ms: 10,
        };
        store
            .record(&[open], &[notice("a@acme.test"), notice("b@acme.test")])
            .await
            .unwrap();
        let clock = Arc::new(Manual(AtomicI64::new(1_000)));
        let rows = store.claim_notices(1_000, 10, 1_000).await.unwrap();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 2);

        let renewing = Renewing(tokio::spawn(keep_claimed(
            Arc::clone(&store),
            Arc::clone(&clock) as Arc<dyn Clock>,
            ids.clone(),
            2_000,
            (1_000, Duration::from_millis(10)),
        )));
        // Sending takes well past the first lease; each renewal carries the claim on.
        for now in [1_800, 2_600, 3_400] {
            clock.0.store(now, Ordering::SeqCst);
            until_held(&store, &ids, now + 1_000).await;
            assert!(
                store
                    .claim_notices(now + 500, 10, 1_000)
                    .await
                    .unwrap()
                    .is_empty(),
                "another worker took notices still being sent at {now}"
            );
        }
        // Done (or dropped): no more renewals, and once the lease runs out the notices can be
        // claimed again, as after a crash.
        drop(renewing);
        clock.0.store(10_000, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            store.claim_notices(4_400, 10, 1_000).await.unwrap().len(),
            2
        );
    }
}
