//! Incidents from impact: services that go down open an incident, or join the open one that
//! shares a root cause (an observed-down vertex they depend on); the incident is resolved when
//! all its services are up again. Per service it keeps the down time, which never goes
//! negative however the clock jumps.

use hashbrown::HashMap;

use crate::graph::VertexId;
use crate::impact::{Change, Impact, State};

/// An incident's number, as stored.
pub type IncidentId = i64;

/// A service of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentService {
    /// The service's vertex.
    pub service: VertexId,
    /// Since when it is down, if it is down now.
    pub down_since_ms: Option<i64>,
    /// Down time of intervals already over.
    pub down_total_ms: i64,
    /// Whether its customer has been told (hold-down passed).
    pub announced: bool,
}

impl IncidentService {
    /// Down time up to `now_ms`, counting the open interval; never negative.
    pub fn down_ms(&self, now_ms: i64) -> i64 {
        self.down_total_ms + self.down_since_ms.map_or(0, |s| (now_ms - s).max(0))
    }
}

/// An open incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIncident {
    /// Its number.
    pub id: IncidentId,
    /// Observed-down vertices its services depend on.
    pub roots: Vec<VertexId>,
    /// Its services, in the order they went down.
    pub services: Vec<IncidentService>,
}

/// What changed, for the store and the notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentEvent {
    /// A new incident, numbered by the caller's allocator.
    Opened {
        /// Its number.
        id: IncidentId,
        /// Its root causes.
        roots: Vec<VertexId>,
    },
    /// Roots added to an open incident.
    Rooted {
        /// The incident.
        id: IncidentId,
        /// All its roots now.
        roots: Vec<VertexId>,
    },
    /// A service of the incident went down (again).
    ServiceDown {
        /// The incident.
        id: IncidentId,
        /// The service.
        service: VertexId,
        /// When.
        at_ms: i64,
    },
    /// A service of the incident came back up.
    ServiceUp {
        /// The incident.
        id: IncidentId,
        /// The service.
        service: VertexId,
        /// When.
        at_ms: i64,
        /// Its down time in this incident so far.
        down_total_ms: i64,
    },
    /// Every service of the incident is up.
    Resolved {
        /// The incident.
        id: IncidentId,
        /// When.
        at_ms: i64,
        /// Its services with their total down time.
        services: Vec<IncidentService>,
    },
}

/// The open incidents and which incident each down service belongs to.
#[derive(Debug, Default)]
pub struct IncidentBook {
    open: Vec<OpenIncident>,
    by_service: HashMap<VertexId, IncidentId>,
    /// Vertices down on purpose (planned maintenance, a drained member), sorted: a service
    /// down only because of them opens no incident.
    quiet: Vec<VertexId>,
    /// Room for the walks to root causes, kept between services (a fan-out walks from each
    /// of 160,000).
    walk: Walk,
}

impl IncidentBook {
    /// No open incidents.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resumes with incidents read back from the store.
    pub fn restore(open: Vec<OpenIncident>) -> Self {
        let mut by_service = HashMap::new();
        for i in &open {
            for s in &i.services {
                by_service.insert(s.service, i.id);
            }
        }
        IncidentBook {
            open,
            by_service,
            quiet: Vec::new(),
            walk: Walk::default(),
        }
    }

    /// From now on, a service that goes down with every root cause among `quiet` (vertices
    /// down on purpose: planned maintenance, a member drained for an upgrade) opens and joins
    /// no incident; one with any other root cause does, as always. The caller changes the set
    /// when a window starts or ends and runs [`IncidentBook::reconcile`], which opens the
    /// incidents of services still down once their causes are no longer quiet.
    pub fn set_quiet(&mut self, mut quiet: Vec<VertexId>) {
        quiet.sort_unstable();
        quiet.dedup();
        self.quiet = quiet;
    }

    /// The vertices down on purpose now.
    pub fn quiet(&self) -> &[VertexId] {
        &self.quiet
    }

    /// The open incidents.
    pub fn open(&self) -> &[OpenIncident] {
        &self.open
    }

    /// The open incident numbered `id`.
    pub fn get(&self, id: IncidentId) -> Option<&OpenIncident> {
        self.open.iter().find(|i| i.id == id)
    }

    /// Takes the state changes of one step of the engine. `is_service` says which vertices are
    /// services; `next_id` numbers new incidents. Appends what happened to `events`.
    pub fn apply(
        &mut self,
        impact: &Impact,
        changes: &[Change],
        is_service: impl Fn(VertexId) -> bool,
        now_ms: i64,
        next_id: &mut dyn FnMut() -> IncidentId,
        events: &mut Vec<IncidentEvent>,
    ) {
        for c in changes {
            if !is_service(c.vertex) || (c.from == State::Down) == (c.to == State::Down) {
                continue;
            }
            if c.to == State::Down {
                self.service_down(impact, c.vertex, now_ms, next_id, events);
            } else {
                self.service_up(c.vertex, now_ms, events);
            }
        }
    }

    /// Brings the book in line with the engine after a restart or a reload: services down in
    /// the engine but in no incident join or open one; services of incidents that are not
    /// down any more come up at `now_ms`.
    pub fn reconcile(
        &mut self,
        impact: &Impact,
        is_service: impl Fn(VertexId) -> bool,
        now_ms: i64,
        next_id: &mut dyn FnMut() -> IncidentId,
        events: &mut Vec<IncidentEvent>,
    ) {
        let mut up = Vec::new();
        for i in &self.open {
            for s in &i.services {
                if s.down_since_ms.is_some() && impact.state(s.service) != State::Down {
                    up.push(s.service);
                }
            }
        }
        for v in up {
            self.service_up(v, now_ms, events);
        }
        let mut down: Vec<VertexId> = impact
            .not_up()
            .iter()
            .copied()
            .filter(|&v| impact.state(v) == State::Down && is_service(v))
            .filter(|v| !self.is_down_in_incident(*v))
            .collect();
        down.sort_unstable();
        for v in down {
            self.service_down(impact, v, now_ms, next_id, events);
        }
    }

    fn is_down_in_incident(&self, v: VertexId) -> bool {
        self.by_service.get(&v).is_some_and(|id| {
            self.get(*id).is_some_and(|i| {
                i.services
                    .iter()
                    .any(|s| s.service == v && s.down_since_ms.is_some())
            })
        })
    }

    /// Marks `service` of incident `id` as announced to its customer.
    pub fn announce(&mut self, id: IncidentId, service: VertexId) {
        if let Some(i) = self.open.iter_mut().find(|i| i.id == id) {
            for s in i.services.iter_mut().filter(|s| s.service == service) {
                s.announced = true;
            }
        }
    }

    /// Marks the services at `positions` of incident `id`'s list as announced, without a
    /// search (a fan-out announces thousands at once). An incident lists each service once.
    pub fn announce_at(&mut self, id: IncidentId, positions: &[usize]) {
        if let Some(i) = self.open.iter_mut().find(|i| i.id == id) {
            for &p in positions {
                if let Some(s) = i.services.get_mut(p) {
                    s.announced = true;
                }
            }
        }
    }

    fn service_down(
        &mut self,
        impact: &Impact,
        service: VertexId,
        now_ms: i64,
        next_id: &mut dyn FnMut() -> IncidentId,
        events: &mut Vec<IncidentEvent>,
    ) {
        // Still in an open incident (a flap): a new interval in the same incident.
        if let Some(&id) = self.by_service.get(&service) {
            if let Some(i) = self.open.iter_mut().find(|i| i.id == id) {
                if let Some(s) = i.services.iter_mut().find(|s| s.service == service) {
                    if s.down_since_ms.is_none() {
                        s.down_since_ms = Some(now_ms);
                        events.push(IncidentEvent::ServiceDown {
                            id,
                            service,
                            at_ms: now_ms,
                        });
                    }
                    return;
                }
            }
        }
        let roots = self.walk.roots(impact, service);
        if !self.quiet.is_empty() && roots.iter().all(|r| self.quiet.binary_search(r).is_ok()) {
            // Down on purpose, on every path: recorded by the engine, not an incident.
            return;
        }
        let joined = self
            .open
            .iter_mut()
            .find(|i| i.roots.iter().any(|r| roots.binary_search(r).is_ok()));
        let incident = match joined {
            Some(i) => {
                let before = i.roots.len();
                for r in roots {
                    if let Err(pos) = i.roots.binary_search(r) {
                        i.roots.insert(pos, *r);
                    }
                }
                if i.roots.len() != before {
                    events.push(IncidentEvent::Rooted {
                        id: i.id,
                        roots: i.roots.clone(),
                    });
                }
                i
            }
            None => {
                let id = next_id();
                events.push(IncidentEvent::Opened {
                    id,
                    roots: roots.to_vec(),
                });
                self.open.push(OpenIncident {
                    id,
                    roots: roots.to_vec(),
                    services: Vec::new(),
                });
                let last = self.open.len() - 1;
                &mut self.open[last]
            }
        };
        incident.services.push(IncidentService {
            service,
            down_since_ms: Some(now_ms),
            down_total_ms: 0,
            announced: false,
        });
        self.by_service.insert(service, incident.id);
        events.push(IncidentEvent::ServiceDown {
            id: incident.id,
            service,
            at_ms: now_ms,
        });
    }

    fn service_up(&mut self, service: VertexId, now_ms: i64, events: &mut Vec<IncidentEvent>) {
        let Some(&id) = self.by_service.get(&service) else {
            return;
        };
        let Some(pos) = self.open.iter().position(|i| i.id == id) else {
            return;
        };
        let incident = &mut self.open[pos];
        if let Some(s) = incident.services.iter_mut().find(|s| s.service == service) {
            if let Some(since) = s.down_since_ms.take() {
                s.down_total_ms += (now_ms - since).max(0);
                events.push(IncidentEvent::ServiceUp {
                    id,
                    service,
                    at_ms: now_ms,
                    down_total_ms: s.down_total_ms,
                });
            }
        }
        if incident.services.iter().all(|s| s.down_since_ms.is_none()) {
            let done = self.open.remove(pos);
            for s in &done.services {
                self.by_service.remove(&s.service);
            }
            events.push(IncidentEvent::Resolved {
                id,
                at_ms: now_ms,
                services: done.services,
            });
        }
    }
}

/// The observed-down vertices that `service` is down because of, found by walking from it
/// through members that are down. Sorted; never empty (a vertex down without any such cause is
/// its own root).
pub fn root_causes(impact: &Impact, service: VertexId) -> Vec<VertexId> {
    Walk::default().roots(impact, service).to_vec()
}

/// The buffers of a walk to root causes.
#[derive(Debug, Default)]
struct Walk {
    roots: Vec<VertexId>,
    seen: Vec<VertexId>,
    stack: Vec<VertexId>,
}

impl Walk {
    /// [`root_causes`], in this walk's buffers.
    fn roots(&mut self, impact: &Impact, service: VertexId) -> &[VertexId] {
        let graph = impact.graph();
        let Walk { roots, seen, stack } = self;
        roots.clear();
        seen.clear();
        stack.clear();
        seen.push(service);
        stack.push(service);
        while let Some(v) = stack.pop() {
            if impact.observation(v) == State::Down {
                roots.push(v);
            }
            for g in graph.groups(v) {
                for &m in graph.members(g) {
                    if impact.state(m) == State::Down && !seen.contains(&m) {
                        seen.push(m);
                        stack.push(m);
                    }
                }
            }
        }
        if roots.is_empty() {
            roots.push(service);
        }
        roots.sort_unstable();
        roots.dedup();
        roots
    }
}

#[cfg(test)]
mod tests;
