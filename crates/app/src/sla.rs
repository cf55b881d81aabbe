//! SLA accounting over the provider's months: the observations in force over time (alerts
//! from their acceptance to their withdrawal, outages staff recorded) replayed on a
//! [`Timeline`], the down intervals of every service with a plan, maintenance announced ahead
//! left out where the plan says so, and the credit each month earns (`shared/spec/sla.md`).
//!
//! Everything here is computed from its arguments: the caller reads the store and the clock.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use tocsin_model::alerts::AlertKey;
use tocsin_model::inventory::NONE;
use tocsin_model::sla::{
    amounts, availability, intersect, measure_within, merge, vat_rule, Amounts, Decimal, Spans,
    Timeline,
};
use tocsin_model::{Inventory, State, VertexId};
use tocsin_store::{AlertRow, AlertStatus, Maintenance};

pub use month::Month;
pub use policy::{eu_vat, BillingHook, Offer, OfferKind, SlaPolicy, EU_VAT};

mod month;
mod policy;

/// An outage staff recorded, with its vertices found in the inventory.
#[derive(Debug, Clone)]
pub struct RecordedOutage {
    /// Its id.
    pub id: i64,
    /// Vertices observed down.
    pub down: Vec<VertexId>,
    /// Vertices observed degraded.
    pub degraded: Vec<VertexId>,
    /// From, ms.
    pub start_ms: i64,
    /// To, ms.
    pub end_ms: i64,
}

/// What a month's account is computed from.
#[derive(Debug, Default)]
pub struct Evidence {
    /// Per alert key, its latest alert accepted before the timeline starts.
    pub before: Vec<AlertRow>,
    /// Alerts accepted while it runs, in log order.
    pub during: Vec<AlertRow>,
    /// Outages overlapping it.
    pub outages: Vec<RecordedOutage>,
    /// Maintenance windows overlapping the month.
    pub windows: Vec<Maintenance>,
}

/// The span of time whose observations a month's account needs: the month widened by the
/// longest `min_outage` on both sides (an interval crossing the month's edge counts by its
/// whole length), up to `now`.
pub fn span(inventory: &Inventory, month: Month, zone: &TimeZone, now_ms: i64) -> (i64, i64) {
    let (start, end) = month.bounds(zone);
    let widen = inventory
        .credit_policies
        .iter()
        .map(|p| p.min_outage_ms)
        .max()
        .unwrap_or(0);
    (start - widen, (end + widen).min(now_ms).max(start - widen))
}

/// One service's month.
#[derive(Debug, Clone)]
pub struct Line {
    /// The service's vertex.
    pub vertex: VertexId,
    /// Index into `inventory.plans`.
    pub plan: u32,
    /// The month's length, s.
    pub month_s: i64,
    /// Counted downtime after exclusions, s.
    pub down_s: i64,
    /// Downtime left out as announced maintenance, s.
    pub excluded_s: i64,
    /// 100 × (month − down) / month, to four decimals.
    pub availability: Decimal,
    /// What it earns; `None` for nothing.
    pub credit: Option<Amounts>,
    /// The counted down intervals within the month (ms), before exclusions.
    pub down: Spans,
}

/// What a month's counted downtime is for one service.
#[derive(Debug, Clone, Default)]
pub struct Down {
    /// Counted downtime after exclusions, s.
    pub down_s: i64,
    /// Downtime left out as announced maintenance, s.
    pub excluded_s: i64,
    /// The counted down intervals within the month (ms), before exclusions.
    pub spans: Spans,
}

/// A month's account: the services it covers, and the downtime of those that had any (a
/// few percent of a million); [`Account::lines`] makes each service's line when read.
#[derive(Debug, Clone)]
pub struct Account {
    /// The month.
    pub month: Month,
    /// `[start, end)`, ms.
    pub start_ms: i64,
    /// End, ms.
    pub end_ms: i64,
    /// The month's length, s.
    pub month_s: i64,
    /// The month has ended.
    pub final_: bool,
    /// Every service with a plan (of the customer asked for), sorted by id.
    pub services: Vec<VertexId>,
    /// The services with counted downtime.
    pub downs: HashMap<VertexId, Down>,
}

impl Account {
    /// The line of service `v`.
    pub fn line(&self, inventory: &Inventory, policy: &SlaPolicy, v: VertexId) -> Option<Line> {
        let s = inventory.service_of(v)?;
        if s.plan == NONE {
            return None;
        }
        let plan = &inventory.plans[s.plan as usize];
        let rule = &inventory.credit_policies[plan.policy as usize];
        let down = self.downs.get(&v);
        let down_s = down.map_or(0, |d| d.down_s);
        let percent = rule.rule.percent(self.month_s, down_s);
        let credit = if percent > Decimal::ZERO {
            let customer = inventory.customers.get(s.customer as usize);
            let vat = vat_rule(
                &policy.vat,
                policy.country,
                customer.and_then(|c| c.country),
                customer.is_some_and(|c| c.vat_id.is_some()),
            );
            amounts(plan, percent, vat)
        } else {
            None
        };
        Some(Line {
            vertex: v,
            plan: s.plan,
            month_s: self.month_s,
            down_s,
            excluded_s: down.map_or(0, |d| d.excluded_s),
            availability: availability(self.month_s, down_s),
            credit,
            down: down.map(|d| d.spans.clone()).unwrap_or_default(),
        })
    }

    /// Every service's line, sorted by service id.
    pub fn lines<'a>(
        &'a self,
        inventory: &'a Inventory,
        policy: &'a SlaPolicy,
    ) -> impl Iterator<Item = Line> + 'a {
        self.services
            .iter()
            .filter_map(move |&v| self.line(inventory, policy, v))
    }
}

/// A maintenance window counts as announced ahead when it was planned, and last moved, at
/// least `notice_ms` before it starts; a cancelled one never does.
pub fn announced_ahead(w: &Maintenance, notice_ms: i64) -> bool {
    w.cancelled_ms.is_none()
        && w.created_ms <= w.starts_ms - notice_ms
        && w.updated_ms <= w.starts_ms - notice_ms
}

/// The account of `month` from `evidence`, as of `now_ms`.
pub fn account(
    inventory: &Inventory,
    policy: &SlaPolicy,
    month: Month,
    evidence: &Evidence,
    now_ms: i64,
) -> Account {
    account_of(inventory, policy, month, evidence, now_ms, None)
}

/// [`account`] of customer `only`'s services (by number) when given: the replay is the same,
/// the lines are that customer's.
pub fn account_of(
    inventory: &Inventory,
    policy: &SlaPolicy,
    month: Month,
    evidence: &Evidence,
    now_ms: i64,
    only: Option<u32>,
) -> Account {
    let zone = &policy.time_zone;
    let (start, end) = month.bounds(zone);
    let (from, to) = span(inventory, month, zone, now_ms);
    let counted = |s: &&tocsin_model::inventory::Service| {
        s.plan != NONE && only.is_none_or(|c| s.customer == c)
    };
    let watched = inventory.services.iter().filter(counted).map(|s| s.vertex);
    let mut timeline = Timeline::new(inventory.graph.clone(), watched, from);
    replay(inventory, &mut timeline, evidence, from, to);
    let intervals = timeline.finish(to);
    let windows = excluded_windows(inventory, &evidence.windows, policy.maintenance_notice_ms);
    let mut services: Vec<VertexId> = inventory
        .services
        .iter()
        .filter(counted)
        .map(|s| s.vertex)
        .collect();
    services.sort_unstable_by(|&a, &b| inventory.graph.name(a).cmp(inventory.graph.name(b)));
    // Intervals come sorted by vertex: one chunk per service that was ever down.
    let mut downs = HashMap::new();
    for ivs in intervals.chunk_by(|a, b| a.vertex == b.vertex) {
        let v = ivs[0].vertex;
        let Some(s) = inventory.service_of(v) else {
            continue;
        };
        let plan = &inventory.plans[s.plan as usize];
        let rule = &inventory.credit_policies[plan.policy as usize];
        let spans: Spans = merge(
            ivs.iter()
                .filter(|i| i.cut || i.end - i.start >= rule.min_outage_ms)
                .map(|i| (i.start.max(start), i.end.min(end)))
                .collect(),
        );
        let down_ms = measure_within(&spans, start, end);
        if down_ms == 0 {
            continue;
        }
        let excluded_ms = match windows.get(&v) {
            Some(w) if plan.maintenance_excluded => {
                measure_within(&intersect(&spans, w), start, end)
            }
            _ => 0,
        };
        downs.insert(
            v,
            Down {
                down_s: seconds(down_ms - excluded_ms),
                excluded_s: seconds(excluded_ms),
                spans,
            },
        );
    }
    Account {
        month,
        start_ms: start,
        end_ms: end,
        month_s: seconds(end - start),
        final_: now_ms >= end,
        services,
        downs,
    }
}

/// Milliseconds to whole seconds, half up.
fn seconds(ms: i64) -> i64 {
    (ms.max(0) + 500) / 1000
}

/// Per service, the merged spans of announced maintenance that takes it down.
fn excluded_windows(
    inventory: &Inventory,
    windows: &[Maintenance],
    notice_ms: i64,
) -> HashMap<VertexId, Spans> {
    let mut out: HashMap<VertexId, Spans> = HashMap::new();
    for w in windows.iter().filter(|w| announced_ahead(w, notice_ms)) {
        for id in &w.impact.down_services {
            if let Some(v) = inventory.graph.find(id) {
                out.entry(v).or_default().push((w.starts_ms, w.ends_ms));
            }
        }
    }
    for spans in out.values_mut() {
        *spans = merge(std::mem::take(spans));
    }
    out
}

/// What an alert row asserts: its state and vertices, or nothing (`None`) for a withdrawal.
fn asserted(inventory: &Inventory, row: &AlertRow) -> Option<(State, Vec<VertexId>)> {
    let a = &row.alert;
    let state = match (a.status, a.state.as_str()) {
        (AlertStatus::Resolved, _) | (_, "up") => return None,
        (_, "degraded") => State::Degraded,
        _ => State::Down,
    };
    let vertices: Vec<VertexId> = a
        .vertices
        .iter()
        .filter_map(|v| inventory.graph.find(v))
        .collect();
    (!vertices.is_empty()).then_some((state, vertices))
}

fn alert_key(row: &AlertRow) -> AlertKey {
    (
        row.alert.source.as_str().into(),
        row.alert.fingerprint.as_str().into(),
    )
}

fn outage_keys(id: i64) -> (AlertKey, AlertKey) {
    let id = id.to_string();
    (
        ("outage-down".into(), id.as_str().into()),
        ("outage-degraded".into(), id.into()),
    )
}

/// Feeds `timeline` what held at `from` and every change until `to`: alerts at their
/// acceptance (in log order; a time earlier than the one before is taken as that one), and
/// outages at their start and end.
fn replay(inventory: &Inventory, t: &mut Timeline, e: &Evidence, from: i64, to: i64) {
    for row in &e.before {
        if let Some((state, vertices)) = asserted(inventory, row) {
            t.assert(from, alert_key(row), state, vertices);
        }
    }
    // Outage edges, sorted: (time, is_start, index).
    let mut edges: Vec<(i64, bool, usize)> = Vec::new();
    for (i, o) in e.outages.iter().enumerate() {
        if o.end_ms <= from || o.start_ms >= to {
            continue;
        }
        if o.start_ms <= from {
            start_outage(t, from, o);
        } else {
            edges.push((o.start_ms, true, i));
        }
        if o.end_ms < to {
            edges.push((o.end_ms, false, i));
        }
    }
    edges.sort_unstable();
    t.begin();
    let mut edges = edges.into_iter().peekable();
    let mut latest = from;
    for row in &e.during {
        latest = latest.max(row.alert.received_ms);
        while let Some(&(at, is_start, i)) = edges.peek() {
            if at > latest {
                break;
            }
            edge(t, at, is_start, &e.outages[i]);
            edges.next();
        }
        match asserted(inventory, row) {
            Some((state, vertices)) => t.assert(latest, alert_key(row), state, vertices),
            None => t.withdraw(latest, &alert_key(row)),
        }
    }
    for (at, is_start, i) in edges {
        edge(t, at, is_start, &e.outages[i]);
    }
}

fn start_outage(t: &mut Timeline, at: i64, o: &RecordedOutage) {
    let (down, degraded) = outage_keys(o.id);
    t.assert(at, down, State::Down, o.down.clone());
    t.assert(at, degraded, State::Degraded, o.degraded.clone());
}

fn edge(t: &mut Timeline, at: i64, is_start: bool, o: &RecordedOutage) {
    if is_start {
        start_outage(t, at, o);
    } else {
        let (down, degraded) = outage_keys(o.id);
        t.withdraw(at, &down);
        t.withdraw(at, &degraded);
    }
}

#[cfg(test)]
mod tests;
