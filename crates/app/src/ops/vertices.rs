//! Marking a vertex down (or degraded) by hand and lifting the mark, with a required reason;
//! and what-if: who a failure would hit, computed on the side of the live engine.
//!
//! A mark is an alert like any other, from the source `staff` with the fingerprint
//! `staff:VERTEX`: it goes through the ingestion pipeline, so it is durable before the
//! operation answers, replayed after a restart, and lifted exactly by resolving that
//! fingerprint — monitoring's own alerts on the vertex are untouched.

use serde::Serialize;
use tocsin_model::inventory::NONE;
use tocsin_model::summary::Summary;
use tocsin_model::{Impact, Inventory, State, VertexId, WhatIf};
use tocsin_store::{AccountStore, AlertStatus};

use super::Refused;
use crate::{Action, Incoming, Principal, System, Target};

/// The source of marks made by hand.
pub const MARK_SOURCE: &str = "staff";
/// At most this many customers or services in one list of an answer; the totals say the rest.
pub const SHOWN: usize = 200;
/// At most this many vertices in one scenario.
const MAX_SCENARIO: usize = 1000;

/// The fingerprint of the hand-made mark on `vertex`.
pub fn fingerprint(vertex: &str) -> String {
    format!("staff:{vertex}")
}

/// A hand-made mark: `state` down or degraded sets it, `None` lifts it.
#[derive(Debug, Clone)]
pub struct Mark {
    /// The vertex id.
    pub vertex: String,
    /// Down or degraded; `None` lifts the mark.
    pub state: Option<State>,
    /// Why, for the audit trail.
    pub reason: String,
}

impl Mark {
    /// The state as the forms and the API name it: `down`, `degraded` or `up` (lift).
    pub fn state_of(text: &str) -> Result<Option<State>, Refused> {
        match text {
            "down" => Ok(Some(State::Down)),
            "degraded" => Ok(Some(State::Degraded)),
            "up" => Ok(None),
            _ => Err(Refused::invalid(
                "state",
                "state: choose down, degraded or up",
            )),
        }
    }
}

/// A vertex marked by hand now.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct MarkRow {
    /// The vertex id.
    pub vertex: String,
    /// `down` or `degraded`.
    pub state: String,
    /// Since when (ms UTC).
    pub since_ms: i64,
    /// Who marked it, from the audit trail.
    pub by: Option<String>,
    /// Why, from the audit trail.
    pub reason: Option<String>,
}

/// A customer id with its display name.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    /// The inventory id.
    pub id: String,
    /// The display name, else the id.
    pub name: String,
}

/// The first [`SHOWN`] customers of `ids` and how many more there are.
pub fn customers(inventory: &Inventory, ids: &[&str]) -> (Vec<CustomerRow>, usize) {
    let shown = ids
        .iter()
        .take(SHOWN)
        .map(|id| {
            let name = inventory
                .customer_ids
                .find(id)
                .and_then(|c| inventory.customers.get(c as usize))
                .map(|c| c.name.to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| (*id).to_owned());
            CustomerRow {
                id: (*id).to_owned(),
                name,
            }
        })
        .collect();
    (shown, ids.len().saturating_sub(SHOWN))
}

/// A service the scenario would change.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    /// The service id.
    pub id: String,
    /// Its customer, empty for the provider's own.
    pub customer: String,
    /// Its state now.
    pub now: &'static str,
    /// Its state under the scenario.
    pub then: &'static str,
}

/// What a scenario would do on top of the live state.
#[derive(Serialize, Debug, Clone)]
pub struct WhatIfOutcome {
    /// Vertices whose state would change.
    pub vertices_changed: usize,
    /// Services down under the scenario.
    pub services_down: usize,
    /// Services degraded under the scenario.
    pub services_degraded: usize,
    /// Customers affected under the scenario (the first [`SHOWN`]).
    pub affected: Vec<CustomerRow>,
    /// How many more.
    pub more_affected: usize,
    /// Customers at risk under the scenario (the first [`SHOWN`]).
    pub at_risk: Vec<CustomerRow>,
    /// How many more.
    pub more_at_risk: usize,
    /// Customers affected in all.
    pub affected_total: usize,
    /// Customers at risk in all.
    pub at_risk_total: usize,
    /// Customers the scenario would hit who are not hit now (the first [`SHOWN`]).
    pub newly_affected: Vec<String>,
    /// Customers the scenario would put at risk who are not now (the first [`SHOWN`]).
    pub newly_at_risk: Vec<String>,
    /// How many in all.
    pub newly_affected_total: usize,
    /// How many in all.
    pub newly_at_risk_total: usize,
    /// Services whose state would change, down first (the first [`SHOWN`]).
    pub services: Vec<ServiceRow>,
    /// How many in all.
    pub changed_services: usize,
}

/// Reads a scenario: ids separated by spaces, commas or lines; `~ID` is degraded.
pub fn parse_scenario(inventory: &Inventory, text: &str) -> Result<Vec<(VertexId, State)>, String> {
    let mut scenario = Vec::new();
    let mut unknown = Vec::new();
    for token in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let (id, state) = match token.strip_prefix('~') {
            Some(id) => (id, State::Degraded),
            None => (token, State::Down),
        };
        match inventory.graph.find(id) {
            Some(v) => scenario.push((v, state)),
            None => unknown.push(format!("`{id}`")),
        }
    }
    if !unknown.is_empty() {
        return Err(format!("down: unknown vertex id {}", unknown.join(", ")));
    }
    if scenario.is_empty() {
        return Err("down: name at least one vertex".to_owned());
    }
    if scenario.len() > MAX_SCENARIO {
        return Err(format!("down: at most {MAX_SCENARIO} vertices at once"));
    }
    Ok(scenario)
}

/// What `scenario` would do on top of `impact`, which is only read.
pub fn what_if_of(
    inventory: &Inventory,
    impact: &Impact,
    scenario: &[(VertexId, State)],
) -> WhatIfOutcome {
    let w = WhatIf::of(impact, scenario);
    let now = Summary::of(inventory, impact);
    let then = Summary::of_what_if(inventory, &w);
    let new = |then: &[&str], now: &[&str]| -> Vec<String> {
        then.iter()
            .filter(|c| now.binary_search(c).is_err())
            .map(|c| (*c).to_owned())
            .collect()
    };
    let mut newly_affected = new(&then.affected, &now.affected);
    let mut newly_at_risk = new(&then.at_risk, &now.at_risk);
    let (newly_affected_total, newly_at_risk_total) = (newly_affected.len(), newly_at_risk.len());
    newly_affected.truncate(SHOWN);
    newly_at_risk.truncate(SHOWN);
    let mut services: Vec<ServiceRow> = w
        .changes()
        .iter()
        .filter_map(|c| {
            let s = inventory.service_of(c.vertex)?;
            Some(ServiceRow {
                id: inventory.graph.name(c.vertex).to_owned(),
                customer: if s.customer == NONE {
                    String::new()
                } else {
                    inventory.customer_id(s.customer).to_owned()
                },
                now: c.from.as_str(),
                then: c.to.as_str(),
            })
        })
        .collect();
    services.sort_by(|a, b| b.then.cmp(a.then).then_with(|| a.id.cmp(&b.id)));
    let changed_services = services.len();
    services.truncate(SHOWN);
    let (affected, more_affected) = customers(inventory, &then.affected);
    let (at_risk, more_at_risk) = customers(inventory, &then.at_risk);
    WhatIfOutcome {
        vertices_changed: w.changes().len(),
        services_down: then.services.0,
        services_degraded: then.services.1,
        affected,
        more_affected,
        at_risk,
        more_at_risk,
        affected_total: then.affected.len(),
        at_risk_total: then.at_risk.len(),
        newly_affected,
        newly_at_risk,
        newly_affected_total,
        newly_at_risk_total,
        services,
        changed_services,
    }
}

impl System {
    /// The vertices marked by hand now, with who marked them, when and why (the latest audit
    /// entry of each). Read from this instance's engine, which reflects a mark once it was
    /// answered, rather than from `assertions`, which the leader writes a moment later.
    pub async fn marks(&self, who: &Principal) -> Result<Vec<MarkRow>, Refused> {
        who.require(Action::View)?;
        let mut marked: Vec<(String, &'static str)> = self.read(|live| {
            live.observations
                .iter()
                .filter(|((source, _), _)| &**source == MARK_SOURCE)
                .flat_map(|(_, (state, vertices))| {
                    vertices
                        .iter()
                        .map(|&v| (live.inventory.graph.name(v).to_owned(), state.as_str()))
                })
                .collect()
        })?;
        marked.sort_unstable();
        let mut marks = Vec::with_capacity(marked.len());
        for (vertex, state) in marked {
            let entry = self
                .store
                .audit_log(1, Some(&format!("vertex:{vertex}")))
                .await?
                .into_iter()
                .next();
            marks.push(MarkRow {
                since_ms: entry.as_ref().map_or(0, |r| r.at_ms),
                by: entry.as_ref().map(|r| r.actor.clone()),
                reason: entry.map(|r| r.detail),
                state: state.to_owned(),
                vertex,
            });
        }
        Ok(marks)
    }

    /// Who `scenario` (vertex ids, `~ID` for degraded) would hit on top of the live state,
    /// which is only read.
    pub fn what_if(&self, who: &Principal, scenario: &str) -> Result<WhatIfOutcome, Refused> {
        who.require(Action::WhatIf)?;
        let live = self.lock()?;
        let scenario = parse_scenario(&live.inventory, scenario)
            .map_err(|message| Refused::invalid("down", message))?;
        Ok(what_if_of(&live.inventory, &live.impact, &scenario))
    }

    /// Marks a vertex down or degraded by hand, or lifts the mark (engineers and up), through
    /// the pipeline; audited with its reason.
    pub async fn mark(&self, who: &Principal, mark: &Mark) -> Result<(), Refused> {
        who.require(Action::MarkVertex)?;
        let vertex = mark.vertex.trim();
        let reason = mark.reason.trim();
        let (known, marked) = {
            let live = self.lock()?;
            let key = (MARK_SOURCE.into(), fingerprint(vertex).into());
            (
                live.inventory.graph.find(vertex).is_some(),
                live.observations.asserted(&key).is_some(),
            )
        };
        if vertex.is_empty() {
            return Err(Refused::invalid(
                "vertex",
                "vertex: name the vertex to mark",
            ));
        }
        if !known {
            return Err(Refused::invalid(
                "vertex",
                format!("vertex: unknown vertex id `{vertex}`: no node or service has it"),
            ));
        }
        if reason.is_empty() {
            return Err(Refused::invalid(
                "reason",
                "reason: say why, for the audit trail",
            ));
        }
        if mark.state.is_none() && !marked {
            return Err(Refused::invalid(
                "vertex",
                format!(
                    "vertex: `{vertex}` has no manual mark to lift; alerts from monitoring are resolved at their source"
                ),
            ));
        }
        let alert = Incoming {
            source: MARK_SOURCE.to_owned(),
            fingerprint: fingerprint(vertex),
            status: if mark.state.is_some() {
                AlertStatus::Firing
            } else {
                AlertStatus::Resolved
            },
            state: mark.state.unwrap_or(State::Up),
            target: Target::Node(vertex.to_owned()),
            received_ms: self.clock.now_ms(),
        };
        self.ingest(vec![alert], None).await?;
        let code = mark.state.map_or("up", State::as_str);
        self.audit(
            who,
            &format!("vertex.{code}"),
            &format!("vertex:{vertex}"),
            reason,
        )
        .await;
        Ok(())
    }
}
