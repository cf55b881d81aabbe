//! From impact changes to incidents and due notices: keeps the incident book, holds notices
//! back until a service has stayed down for the hold-down, and writes incident changes and the
//! notices they make due in one transaction.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

// A fan-out looks up hundreds of thousands of (incident, vertex) pairs here: numbers of our
// own, hashed with foldhash rather than the standard library's SipHash.
use hashbrown::{HashMap, HashSet};

use tocsin_model::incident::{
    IncidentBook, IncidentEvent, IncidentId, IncidentService, OpenIncident,
};
use tocsin_model::inventory::NONE;
use tocsin_model::{Change, Impact, Inventory, VertexId};
use tocsin_store::{Backlog, IncidentChange, IncidentRow, IncidentServiceRow, NewNotice};

use crate::recipients::Recipients;

mod opened;
mod payload;

use opened::{opened_notices, CustomerIds, Due, ServiceIndex};

pub use payload::{Payload, PayloadCredit, PayloadService, PayloadWindow};

/// Incidents and the notices they cause.
pub struct Incidents {
    book: IncidentBook,
    last_id: i64,
    hold_down_ms: i64,
    /// (due, incident, service): announcements waiting for the hold-down.
    pending: BinaryHeap<Reverse<(i64, IncidentId, VertexId)>>,
    /// (incident, customer) pairs whose contacts got the "opened" notice.
    told: HashSet<(IncidentId, u32)>,
    /// Headlines of open incidents, kept for their resolution notices.
    titles: HashMap<IncidentId, String>,
    /// Who is told, and in which language: the inventory with the customers' choices.
    recipients: Recipients,
    /// Service downs a former leader decided and did not write (its backlogs), and those
    /// backlogs' numbers: the next leader writes them.
    unwritten: (Vec<IncidentChange>, Vec<i64>),
}

impl Incidents {
    /// Resumes from the store's open incidents and the backlogs of service downs decided but
    /// not written: a down of the backlog that the incident has no row of joins it as it went
    /// down, not yet announced, so that the hold-down announces it.
    pub fn restore(
        inventory: &Inventory,
        mut open: Vec<IncidentRow>,
        last_id: i64,
        hold_down_ms: i64,
        recipients: Recipients,
        backlog: Vec<Backlog>,
    ) -> Self {
        let mut told = HashSet::new();
        let mut pending = BinaryHeap::new();
        let mut incidents = Vec::new();
        let mut titles = HashMap::new();
        let unwritten = unwritten_downs(&mut open, backlog);
        for row in open {
            let mut services = Vec::new();
            for s in row.services {
                let Some(v) = inventory.graph.find(&s.service) else {
                    continue;
                };
                if s.announced {
                    if let Some(c) = customer_of(inventory, v) {
                        told.insert((row.id, c));
                    }
                } else if let Some(since) = s.down_since_ms {
                    pending.push(Reverse((since + hold_down_ms, row.id, v)));
                }
                services.push(tocsin_model::incident::IncidentService {
                    service: v,
                    down_since_ms: s.down_since_ms,
                    down_total_ms: s.down_total_ms,
                    announced: s.announced,
                });
            }
            titles.insert(row.id, row.title.clone());
            let roots = row
                .roots
                .iter()
                .filter_map(|r| inventory.graph.find(r))
                .collect();
            incidents.push(OpenIncident {
                id: row.id,
                roots,
                services,
            });
        }
        Incidents {
            book: IncidentBook::restore(incidents),
            last_id,
            hold_down_ms,
            pending,
            told,
            titles,
            recipients,
            unwritten,
        }
    }

    /// The service downs of a former leader's backlogs that are not written, and the
    /// backlogs' numbers, for the new leader to write (once).
    pub fn take_unwritten(&mut self) -> (Vec<IncidentChange>, Vec<i64>) {
        std::mem::take(&mut self.unwritten)
    }

    /// Who is told about incidents.
    pub fn recipients(&self) -> &Recipients {
        &self.recipients
    }

    /// Who is told about incidents, to take a customer's new choices into account.
    pub fn recipients_mut(&mut self) -> &mut Recipients {
        &mut self.recipients
    }

    /// From now on, services down only because of `quiet` vertices open no incident.
    pub fn set_quiet(&mut self, quiet: Vec<VertexId>) {
        if quiet != self.book.quiet() {
            self.book.set_quiet(quiet);
        }
    }

    /// The vertices down on purpose now.
    pub fn quiet(&self) -> &[VertexId] {
        self.book.quiet()
    }

    /// The hold-down, in milliseconds.
    pub fn hold_down_ms(&self) -> i64 {
        self.hold_down_ms
    }

    /// How many incidents are open.
    pub fn open_count(&self) -> usize {
        self.book.open().len()
    }

    /// The next moment a held-back notice may become due.
    pub fn next_due(&self) -> Option<i64> {
        self.pending.peek().map(|Reverse((due, _, _))| *due)
    }

    /// Brings incidents in line with the engine (after a restart).
    pub fn reconcile(
        &mut self,
        inventory: &Inventory,
        impact: &Impact,
        now_ms: i64,
        out: &mut Vec<IncidentChange>,
        notices: &mut Vec<NewNotice>,
    ) {
        self.with_book(inventory, now_ms, out, notices, |book, next_id, events| {
            book.reconcile(
                impact,
                |v| inventory.service_of(v).is_some(),
                now_ms,
                next_id,
                events,
            )
        });
    }

    /// Takes one step of engine changes.
    pub fn apply(
        &mut self,
        inventory: &Inventory,
        impact: &Impact,
        changes: &[Change],
        now_ms: i64,
        out: &mut Vec<IncidentChange>,
        notices: &mut Vec<NewNotice>,
    ) {
        self.with_book(inventory, now_ms, out, notices, |book, next_id, events| {
            book.apply(
                impact,
                changes,
                |v| inventory.service_of(v).is_some(),
                now_ms,
                next_id,
                events,
            )
        });
    }

    /// Runs `step` on the book with the incident numbering, then handles its events.
    fn with_book(
        &mut self,
        inventory: &Inventory,
        now_ms: i64,
        out: &mut Vec<IncidentChange>,
        notices: &mut Vec<NewNotice>,
        step: impl FnOnce(&mut IncidentBook, &mut dyn FnMut() -> IncidentId, &mut Vec<IncidentEvent>),
    ) {
        let mut events = Vec::new();
        let mut last = self.last_id;
        let mut next_id = || {
            last += 1;
            last
        };
        step(&mut self.book, &mut next_id, &mut events);
        self.last_id = last;
        self.handle(inventory, &events, now_ms, out, notices);
    }

    fn handle(
        &mut self,
        inventory: &Inventory,
        events: &[IncidentEvent],
        now_ms: i64,
        out: &mut Vec<IncidentChange>,
        notices: &mut Vec<NewNotice>,
    ) {
        let name = |v: VertexId| inventory.graph.name(v).to_owned();
        // A fan-out makes a change per service: grown once, not by doubling.
        out.reserve(events.len());
        let mut due_now = Vec::new();
        let mut customers = CustomerIds::default();
        for e in events {
            match e {
                IncidentEvent::Opened { id, roots } => {
                    let headline = title(inventory, roots);
                    self.titles.insert(*id, headline.clone());
                    out.push(IncidentChange::Open {
                        id: *id,
                        title: headline,
                        roots: roots.iter().map(|&r| name(r)).collect(),
                        at_ms: now_ms,
                    });
                }
                IncidentEvent::Rooted { id, roots } => out.push(IncidentChange::Roots {
                    id: *id,
                    roots: roots.iter().map(|&r| name(r)).collect(),
                }),
                IncidentEvent::ServiceDown { id, service, at_ms } => {
                    let service_id: Arc<str> = inventory.graph.name(*service).into();
                    out.push(IncidentChange::ServiceDown {
                        id: *id,
                        service: Arc::clone(&service_id),
                        customer: customer_of(inventory, *service)
                            .map(|c| customers.id(inventory, c)),
                        at_ms: *at_ms,
                    });
                    let due = at_ms + self.hold_down_ms;
                    if due <= now_ms {
                        // Its announcement shares the id.
                        due_now.push(((due, *id, *service), service_id));
                    } else {
                        self.pending.push(Reverse((due, *id, *service)));
                    }
                }
                IncidentEvent::ServiceUp {
                    id,
                    service,
                    down_total_ms,
                    ..
                } => out.push(IncidentChange::ServiceUp {
                    id: *id,
                    service: inventory.graph.name(*service).into(),
                    down_total_ms: *down_total_ms,
                }),
                IncidentEvent::Resolved {
                    id,
                    at_ms,
                    services,
                } => {
                    out.push(IncidentChange::Resolve {
                        id: *id,
                        at_ms: *at_ms,
                    });
                    self.resolved(inventory, *id, *at_ms, services, notices);
                }
            }
        }
        self.announce(inventory, now_ms, due_now, customers, out, notices);
    }

    /// Announces every service that has stayed down for the hold-down.
    pub fn due(
        &mut self,
        inventory: &Inventory,
        now_ms: i64,
        out: &mut Vec<IncidentChange>,
        notices: &mut Vec<NewNotice>,
    ) {
        self.announce(
            inventory,
            now_ms,
            Vec::new(),
            CustomerIds::default(),
            out,
            notices,
        );
    }

    /// Announces every service whose hold-down is over: those waiting for it, and `due_now`
    /// ((due, incident, service), service id), which went down just now and are due already
    /// (no hold-down left: they skip the waiting heap, where a fan-out's 160,000 went in and
    /// out at once).
    fn announce(
        &mut self,
        inventory: &Inventory,
        now_ms: i64,
        due_now: Vec<(Due, Arc<str>)>,
        mut customers: CustomerIds,
        out: &mut Vec<IncidentChange>,
        notices: &mut Vec<NewNotice>,
    ) {
        let mut ready: Vec<(Due, Option<Arc<str>>)> =
            due_now.into_iter().map(|(due, s)| (due, Some(s))).collect();
        while let Some(&Reverse(entry)) = self.pending.peek() {
            if entry.0 > now_ms {
                break;
            }
            self.pending.pop();
            ready.push((entry, None));
        }
        // In the heap's order: by due time, incident, service.
        ready.sort_unstable_by_key(|&(due, _)| due);
        out.reserve(ready.len());
        // Each incident's services indexed once: looking every due service up in the list,
        // and every customer's services too, made a fan-out of n services cost n² steps.
        let mut indexes: HashMap<IncidentId, ServiceIndex> = HashMap::new();
        // (incident, customer) to tell now, in order.
        let mut tell = Vec::new();
        for ((_, id, service), service_id) in ready {
            let Some(incident) = self.book.get(id) else {
                continue; // resolved within the hold-down: recorded, nobody told
            };
            let index = indexes
                .entry(id)
                .or_insert_with(|| ServiceIndex::of(inventory, incident));
            let Some(entry) = index.get_mut(service) else {
                continue;
            };
            let Some(since) = entry.down_since else {
                continue; // back up within the hold-down
            };
            if since + self.hold_down_ms > now_ms {
                continue; // a later outage of the same service: its own entry is queued
            }
            if entry.announced {
                continue; // told already, or due twice
            }
            entry.announced = true;
            let at = entry.at;
            index.announced.push(at);
            let customer = customer_of(inventory, service);
            out.push(IncidentChange::Announce {
                id,
                service: service_id.unwrap_or_else(|| inventory.graph.name(service).into()),
                customer: customer.map(|c| customers.id(inventory, c)),
            });
            let Some(customer) = customer else {
                continue;
            };
            if self.told.insert((id, customer)) {
                tell.push((id, customer)); // one "opened" notice per customer and incident
            }
        }
        opened_notices(
            inventory,
            &self.recipients,
            &indexes,
            &tell,
            now_ms,
            notices,
        );
        for (id, index) in indexes {
            self.book.announce_at(id, &index.announced);
        }
    }

    /// Tells every customer told of the incident that it is over, with each of their
    /// services' total down time.
    fn resolved(
        &mut self,
        inventory: &Inventory,
        id: IncidentId,
        at_ms: i64,
        services: &[IncidentService],
        notices: &mut Vec<NewNotice>,
    ) {
        let mut customers: Vec<u32> = self
            .told
            .iter()
            .filter(|(i, _)| *i == id)
            .map(|(_, c)| *c)
            .collect();
        customers.sort_unstable();
        for customer in customers {
            self.told.remove(&(id, customer));
            let theirs = || {
                services
                    .iter()
                    .filter(|s| customer_of(inventory, s.service) == Some(customer))
            };
            let lines: Vec<PayloadService> = theirs()
                .map(|s| service_line(inventory, s.service, at_ms - s.down_ms(at_ms), Some(at_ms)))
                .collect();
            let title = public_title(inventory, theirs().map(|s| s.service));
            queue(
                inventory,
                &self.recipients,
                id,
                customer,
                "resolved",
                &title,
                lines,
                at_ms,
                notices,
            );
        }
        self.titles.remove(&id);
    }
}

/// Adds to `open` the downs of `backlog` whose incident is open and has no row of the service
/// (a leader decided them and died before writing them), as rows down since then and not
/// announced; answers them as changes to write, with the backlogs' numbers.
fn unwritten_downs(
    open: &mut [IncidentRow],
    backlog: Vec<Backlog>,
) -> (Vec<IncidentChange>, Vec<i64>) {
    let mut ids = Vec::new();
    let mut unwritten = Vec::new();
    if backlog.is_empty() {
        return (unwritten, ids);
    }
    let mut written: HashSet<(i64, String)> = open
        .iter()
        .flat_map(|i| i.services.iter().map(|s| (i.id, s.service.clone())))
        .collect();
    for b in backlog {
        ids.push(b.id);
        for down in b.downs {
            let IncidentChange::ServiceDown {
                id,
                service,
                customer,
                at_ms,
            } = &down
            else {
                continue;
            };
            let Ok(at) = open.binary_search_by_key(id, |i| i.id) else {
                continue;
            };
            if !written.insert((*id, service.to_string())) {
                continue;
            }
            open[at].services.push(IncidentServiceRow {
                service: service.to_string(),
                customer: customer.as_deref().map(str::to_owned),
                down_since_ms: Some(*at_ms),
                down_total_ms: 0,
                first_down_ms: *at_ms,
                announced: false,
            });
            unwritten.push(down);
        }
    }
    (unwritten, ids)
}

pub(crate) fn customer_of(inventory: &Inventory, v: VertexId) -> Option<u32> {
    inventory
        .service_of(v)
        .map(|s| s.customer)
        .filter(|&c| c != NONE)
}

/// One service of a notice: its id, its public name (else its id) and its down interval.
pub fn service_line(
    inventory: &Inventory,
    v: VertexId,
    since: i64,
    back: Option<i64>,
) -> PayloadService {
    let name = inventory
        .service_of(v)
        .map(|s| inventory.texts.get(s.name))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| inventory.graph.name(v));
    PayloadService {
        id: inventory.graph.name(v).to_owned(),
        name: name.to_owned(),
        down_since_ms: since,
        back_up_ms: back,
    }
}

/// What a customer is told an incident is about: the status-page components of `services`
/// (their names, as the public page shows them), never the provider's vertices; empty when
/// none of them belongs to a component, and the notice is then untitled.
fn public_title(inventory: &Inventory, services: impl Iterator<Item = VertexId>) -> String {
    let mut components: Vec<u32> = services
        .filter_map(|v| inventory.service_of(v))
        .map(|s| s.component)
        .filter(|&c| c != NONE)
        .collect();
    components.sort_unstable();
    components.dedup();
    components
        .iter()
        .filter_map(|&c| inventory.components.get(c as usize))
        .map(|c| &*c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A headline from the root causes: "leaf-dc1-p00-a (switch)", or the first few.
fn title(inventory: &Inventory, roots: &[VertexId]) -> String {
    let mut parts: Vec<String> = roots
        .iter()
        .take(3)
        .map(|&r| format!("{} ({})", inventory.graph.name(r), inventory.kind_of(r)))
        .collect();
    if roots.len() > 3 {
        parts.push(format!("and {} more", roots.len() - 3));
    }
    parts.join(", ")
}

#[allow(clippy::too_many_arguments)]
fn queue(
    inventory: &Inventory,
    recipients: &Recipients,
    id: IncidentId,
    customer: u32,
    kind: &str,
    title: &str,
    services: Vec<PayloadService>,
    now_ms: i64,
    notices: &mut Vec<NewNotice>,
) {
    let Some(c) = inventory.customers.get(customer as usize) else {
        return;
    };
    let payload = Payload {
        title: title.to_owned(),
        customer_name: c.name.to_string(),
        services,
        body: String::new(),
        at_risk: 0,
        window: None,
        credit: None,
    };
    let payload = serde_json::to_string(&payload).unwrap_or_default();
    // The customer's chosen contacts and language where they chose, else the inventory's.
    for (email, language) in recipients.mail(inventory, customer) {
        notices.push(NewNotice {
            incident_id: id,
            customer: inventory.customer_id(customer).to_owned(),
            contact: email,
            language: language.code().to_owned(),
            kind: kind.to_owned(),
            payload: payload.clone(),
            created_ms: now_ms,
        });
    }
    // One row per webhook, keyed by its URL; the secret is looked up when it is sent.
    for url in recipients.webhooks(inventory, customer) {
        notices.push(NewNotice {
            incident_id: id,
            customer: inventory.customer_id(customer).to_owned(),
            contact: url,
            language: String::new(),
            kind: format!("{}{kind}", crate::webhooks::KIND_PREFIX),
            payload: payload.clone(),
            created_ms: now_ms,
        });
    }
}
