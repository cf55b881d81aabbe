//! `/console/vertices`: marking a vertex down (or degraded) by hand and lifting the mark, with
//! a required reason; and `/console/whatif`: who a failure would hit, computed on the side.
//!
//! A mark is an alert like any other, from the source `staff` with the fingerprint
//! `staff:VERTEX`: it goes through the ingestion pipeline, so it is durable before the page
//! answers, replayed after a restart, and lifted exactly by resolving that fingerprint —
//! monitoring's own alerts on the vertex are untouched. Every mark is audited with its reason.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};
use tocsin_model::inventory::NONE;
use tocsin_model::summary::Summary;
use tocsin_model::{Inventory, State as Vertex, VertexId, WhatIf};
use tocsin_store::{AlertStatus, Store};

use super::overview::{customers, SHOWN};
use super::{audit, done, frame, poisoned, render, unavailable, when, Done, Page};
use crate::auth::{act, Action, May, Principal, Staff};
use crate::ingest::{Incoming, Target};
use crate::App;

/// The source of marks made by hand.
pub(crate) const SOURCE: &str = "staff";

/// The fingerprint of the hand-made mark on `vertex`.
pub(crate) fn fingerprint(vertex: &str) -> String {
    format!("staff:{vertex}")
}

/// The mark form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct MarkForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    vertex: String,
    /// `down`, `degraded` or `up` (lift the mark).
    #[serde(default)]
    state: String,
    #[serde(default)]
    reason: String,
}

async fn show(
    app: &App,
    who: &Principal,
    form: MarkForm,
    error: Option<String>,
    flash: Option<&str>,
) -> Page {
    let mut marks: Vec<Value> = Vec::new();
    for a in app.store.assertions().await.map_err(unavailable)? {
        if a.source != SOURCE {
            continue;
        }
        let reason = tocsin_store::AccountStore::audit_log(
            &*app.store,
            1,
            Some(&format!("vertex:{}", a.vertex)),
        )
        .await
        .map_err(unavailable)?
        .into_iter()
        .next();
        marks.push(context! {
            vertex => a.vertex,
            state => a.state,
            since => when(a.since_ms),
            by => reason.as_ref().map(|r| r.actor.clone()),
            reason => reason.map(|r| r.detail),
        });
    }
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        "console/vertices.html",
        frame(who, "vertices", flash),
        context! {
            heading => "Manual marks",
            marks,
            error,
            form => context! { vertex => form.vertex, state => form.state, reason => form.reason },
        },
        status,
    ))
}

/// `GET /console/vertices`.
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Done>,
) -> Page {
    who.require(Action::View)?;
    show(&app, &who, MarkForm::default(), None, q.done.as_deref()).await
}

/// `POST /console/vertices`: engineers and up.
pub(super) async fn mark(
    State(app): State<Arc<App>>,
    May(who, _): May<act::MarkVertex>,
    Form(form): Form<MarkForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let vertex = form.vertex.trim();
    let reason = form.reason.trim();
    let (known, marked) = {
        let live = app.live.lock().map_err(|_| poisoned())?;
        let key = (SOURCE.into(), fingerprint(vertex).into());
        (
            live.inventory.graph.find(vertex).is_some(),
            live.observations.asserted(&key).is_some(),
        )
    };
    let state = match form.state.as_str() {
        "down" => Some(Vertex::Down),
        "degraded" => Some(Vertex::Degraded),
        "up" => None,
        _ => {
            let error = "state: choose down, degraded or up".to_owned();
            return show(&app, &who, form.clone(), Some(error), None).await;
        }
    };
    let error = if vertex.is_empty() {
        Some("vertex: name the vertex to mark".to_owned())
    } else if !known {
        Some(format!(
            "vertex: unknown vertex id `{vertex}`: no node or service has it"
        ))
    } else if reason.is_empty() {
        Some("reason: say why, for the audit trail".to_owned())
    } else if state.is_none() && !marked {
        Some(format!(
            "vertex: `{vertex}` has no manual mark to lift; alerts from monitoring are resolved at their source"
        ))
    } else {
        None
    };
    if error.is_some() {
        return show(&app, &who, form.clone(), error, None).await;
    }
    let alert = Incoming {
        source: SOURCE.to_owned(),
        fingerprint: fingerprint(vertex),
        status: if state.is_some() {
            AlertStatus::Firing
        } else {
            AlertStatus::Resolved
        },
        state: state.unwrap_or(Vertex::Up),
        target: Target::Node(vertex.to_owned()),
        received_ms: app.clock.now_ms(),
    };
    app.ingestor
        .submit(vec![alert], None)
        .await
        .map_err(crate::auth::Refusal::Unavailable)?;
    let code = state.map_or("up", Vertex::as_str);
    audit(
        &app,
        &who,
        &format!("vertex.{code}"),
        &format!("vertex:{vertex}"),
        reason,
    )
    .await;
    Ok(done("/console/vertices", code))
}

/// The what-if form: vertex ids to take down, `~ID` for degraded.
#[derive(Deserialize, Default)]
pub(super) struct WhatIfQuery {
    #[serde(default)]
    down: Option<String>,
}

/// At most this many vertices in one scenario.
const MAX_SCENARIO: usize = 1000;

/// A service the scenario would change.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub(crate) struct ServiceRow {
    pub id: String,
    pub customer: String,
    pub now: &'static str,
    pub then: &'static str,
}

/// Reads a scenario: ids separated by spaces, commas or lines; `~ID` is degraded.
pub(crate) fn parse_scenario(
    inventory: &Inventory,
    text: &str,
) -> Result<Vec<(VertexId, Vertex)>, String> {
    let mut scenario = Vec::new();
    let mut unknown = Vec::new();
    for token in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let (id, state) = match token.strip_prefix('~') {
            Some(id) => (id, Vertex::Degraded),
            None => (token, Vertex::Down),
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

/// `GET /console/whatif?down=sw-a`: the affected and at-risk customers and the services a
/// scenario would change, on top of the live state, which is only read.
pub(super) async fn what_if(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<WhatIfQuery>,
) -> Page {
    who.require(Action::WhatIf)?;
    let text = q.down.unwrap_or_default();
    let mut ctx = context! { heading => "What if…?", down => text };
    let mut status = StatusCode::OK;
    if !text.trim().is_empty() {
        let live = app.live.lock().map_err(|_| poisoned())?;
        match parse_scenario(&live.inventory, &text) {
            Err(error) => {
                status = StatusCode::BAD_REQUEST;
                ctx = context! { error, ..ctx };
            }
            Ok(scenario) => {
                let result = outcome(&live.inventory, &live.impact, &scenario);
                ctx = context! { result, ..ctx };
            }
        }
    }
    Ok(render(
        "console/whatif.html",
        frame(&who, "whatif", None),
        ctx,
        status,
    ))
}

/// What `scenario` would do on top of `impact`, for the page.
pub(crate) fn outcome(
    inventory: &Inventory,
    impact: &tocsin_model::Impact,
    scenario: &[(VertexId, Vertex)],
) -> Value {
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
    context! {
        vertices_changed => w.changes().len(),
        services_down => then.services.0,
        services_degraded => then.services.1,
        affected, more_affected, at_risk, more_at_risk,
        affected_total => then.affected.len(),
        at_risk_total => then.at_risk.len(),
        newly_affected, newly_at_risk, newly_affected_total, newly_at_risk_total,
        services, changed_services,
    }
}
