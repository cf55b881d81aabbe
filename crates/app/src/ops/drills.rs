//! Emergency drills: shift leads plan them (targets, an RFC 5545 rule in the provider's time
//! zone, a duration, announced or not), every member of staff reads the register with each
//! drill's next occurrences and the past ones still without a result, and engineers record
//! what came of an occurrence — at most one result each, which the store guarantees even
//! when several instances record at once.
//!
//! Announced drills are only stored and shown as such here: making one planned maintenance
//! for its occurrence belongs to the maintenance model.

use serde::Serialize;
use tocsin_model::time::rfc3339;
use tocsin_model::Inventory;
use tocsin_store::{Drill, DrillResult, DrillStore};

use super::Refused;
use crate::recur::{RecurError, Recurrence};
use crate::{Action, Principal, System};

/// How many next occurrences the register shows of each drill.
pub const NEXT: usize = 5;
/// How far back an occurrence without a result still counts as overdue.
pub const OVERDUE_WINDOW_MS: i64 = 365 * 86_400_000;
/// At most this many overdue occurrences of one drill are listed (the most recent).
const OVERDUE_SHOWN: usize = 100;
/// The longest a drill may last.
const MAX_DURATION_MS: i64 = 7 * 86_400_000;
/// The longest title and notes.
const MAX_TITLE: usize = 200;
const MAX_NOTES: usize = 10_000;
/// At most this many targets in one drill.
const MAX_TARGETS: usize = 100;

/// A drill as asked for: `None` where what was typed is not a time.
#[derive(Debug, Clone, Default)]
pub struct NewDrill {
    /// What it is called.
    pub title: String,
    /// The vertices it takes down, by id.
    pub targets: Vec<String>,
    /// The RRULE value (`FREQ=MONTHLY;BYDAY=1TU`).
    pub rrule: String,
    /// The first occurrence, ms UTC.
    pub start_ms: Option<i64>,
    /// How long, as typed (`15m`, `1h 30m`).
    pub duration: String,
    /// Whether customers are told.
    pub announced: bool,
}

/// What taking a drill's targets down would do on top of the live state: what the answer to
/// planning it shows, sorted lists of ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DrillWhatIf {
    /// Services that would go down.
    pub down_services: Vec<String>,
    /// Services that would lose redundancy (degraded) without going down.
    pub at_risk_services: Vec<String>,
    /// Customers with a service down.
    pub affected_customers: Vec<String>,
    /// Customers with no service down and one degraded.
    pub at_risk_customers: Vec<String>,
}

/// A drill just planned, with the what-if of its targets.
#[derive(Debug, Clone)]
pub struct PlannedDrill {
    /// The drill as stored.
    pub drill: Drill,
    /// What its targets down would do now.
    pub what_if: DrillWhatIf,
}

/// One drill of the register.
#[derive(Debug, Clone)]
pub struct DrillView {
    /// The drill.
    pub drill: Drill,
    /// Its next occurrences (from now, at most [`NEXT`]), ms UTC.
    pub next: Vec<i64>,
    /// Its occurrences that ended without a result, at most [`OVERDUE_WINDOW_MS`] ago, oldest
    /// first.
    pub overdue: Vec<i64>,
    /// Its results of the same window, by occurrence.
    pub results: Vec<DrillResult>,
}

/// A result as asked for: `None` where what was typed is not a time.
#[derive(Debug, Clone, Default)]
pub struct NewDrillResult {
    /// The occurrence, as the rule gives it.
    pub occurrence_ms: Option<i64>,
    /// `passed` or `failed`.
    pub outcome: String,
    /// When it really started.
    pub started_ms: Option<i64>,
    /// When it really ended.
    pub ended_ms: Option<i64>,
    /// What was seen.
    pub notes: String,
}

/// The outcomes a result may have.
pub const OUTCOMES: [&str; 2] = ["passed", "failed"];

/// A duration as planning reads it back: `15m`, `1h 30m`.
pub fn duration_text(ms: i64) -> String {
    humantime::format_duration(std::time::Duration::from_millis(ms.unsigned_abs())).to_string()
}

/// What taking `targets` down would do, judged alone as planned maintenance is (the
/// inventory contract's semantics, on top of nothing else): the one place planning asks it.
fn drill_what_if(inventory: &Inventory, targets: &[String]) -> DrillWhatIf {
    let vertices: Vec<_> = targets
        .iter()
        .filter_map(|t| inventory.graph.find(t))
        .collect();
    let found = super::targets_impact(inventory, &vertices).impact;
    DrillWhatIf {
        down_services: found.down_services,
        at_risk_services: found.at_risk_services,
        affected_customers: found.affected_customers,
        at_risk_customers: found.at_risk_customers,
    }
}

/// The targets, trimmed and without repeats, each a vertex of the inventory.
fn checked_targets(inventory: &Inventory, targets: &[String]) -> Result<Vec<String>, Refused> {
    let mut list: Vec<String> = Vec::new();
    for t in targets.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if inventory.graph.find(t).is_none() {
            return Err(Refused::invalid(
                "targets",
                format!("targets: unknown vertex id `{t}`: no node or service has it"),
            ));
        }
        if !list.iter().any(|x| x == t) {
            list.push(t.to_owned());
        }
    }
    if list.is_empty() {
        return Err(Refused::invalid(
            "targets",
            "targets: name at least one vertex the drill takes down",
        ));
    }
    if list.len() > MAX_TARGETS {
        return Err(Refused::invalid(
            "targets",
            format!("targets: at most {MAX_TARGETS} vertices"),
        ));
    }
    Ok(list)
}

/// The next occurrences of `drill` at `now` (at most [`NEXT`]) and its overdue ones: over
/// (start plus duration reached), at most [`OVERDUE_WINDOW_MS`] old, with none of `results`
/// (the drill's own); the most recent [`OVERDUE_SHOWN`] of them, oldest first.
fn schedule(
    rule: &Recurrence,
    drill: &Drill,
    results: &[DrillResult],
    now: i64,
) -> (Vec<i64>, Vec<i64>) {
    let next = rule.between(now, i64::MAX, NEXT);
    let since = now.saturating_sub(OVERDUE_WINDOW_MS).max(drill.start_ms);
    let ended_before = now.saturating_sub(drill.duration_ms).saturating_add(1);
    let mut overdue: Vec<i64> = rule
        .between(since, ended_before, 10_000)
        .into_iter()
        .filter(|at| !results.iter().any(|r| r.occurrence_ms == *at))
        .collect();
    if overdue.len() > OVERDUE_SHOWN {
        overdue.drain(..overdue.len() - OVERDUE_SHOWN);
    }
    (next, overdue)
}

fn refused_rule(e: RecurError) -> Refused {
    match e {
        RecurError::Rule(_) => Refused::invalid("rrule", e.to_string()),
        RecurError::Zone(_) => Refused::Unavailable(e.to_string()),
    }
}

impl System {
    /// The recurrence of `drill` in the provider's zone.
    fn recurrence(&self, drill: &Drill) -> Result<Recurrence, Refused> {
        Recurrence::new(&drill.rrule, drill.start_ms, &self.time_zone).map_err(refused_rule)
    }

    /// Plans a drill (shift leads and up); answers it with the what-if of its targets.
    /// Audited.
    pub async fn plan_drill(
        &self,
        who: &Principal,
        new: NewDrill,
    ) -> Result<PlannedDrill, Refused> {
        who.require(Action::PlanDrill)?;
        let title = new.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(Refused::invalid(
                "title",
                format!("title: say what is tested, in at most {MAX_TITLE} characters"),
            ));
        }
        let targets = {
            let live = self.lock()?;
            checked_targets(&live.inventory, &new.targets)?
        };
        let Some(start_ms) = new.start_ms else {
            return Err(Refused::invalid(
                "start",
                "start: the first occurrence, a date and time (UTC) such as 2026-12-01T09:00:00Z",
            ));
        };
        let rrule = new.rrule.trim();
        Recurrence::new(rrule, start_ms, &self.time_zone).map_err(refused_rule)?;
        let duration_ms = humantime::parse_duration(new.duration.trim())
            .ok()
            .and_then(|d| i64::try_from(d.as_millis()).ok())
            .filter(|ms| (1..=MAX_DURATION_MS).contains(ms))
            .ok_or_else(|| {
                Refused::invalid(
                    "duration",
                    format!(
                        "duration: how long each occurrence lasts, such as 15m or 1h 30m, at most 7 days (not `{}`)",
                        new.duration.trim()
                    ),
                )
            })?;
        let mut drill = Drill {
            id: 0,
            title: title.to_owned(),
            targets,
            rrule: rrule.to_owned(),
            start_ms,
            duration_ms,
            announced: new.announced,
            created_by: who.login.clone(),
            created_ms: self.clock.now_ms(),
        };
        drill.id = self.store.add_drill(&drill).await?;
        let inventory = self.read(|live| std::sync::Arc::clone(&live.inventory))?;
        let what_if = {
            let targets = drill.targets.clone();
            tokio::task::spawn_blocking(move || drill_what_if(&inventory, &targets))
                .await
                .map_err(|e| Refused::Unavailable(format!("the what-if stopped: {e}")))?
        };
        let detail = format!(
            "{} ({}) on {} from {} every {}{}",
            drill.title,
            duration_text(drill.duration_ms),
            drill.targets.join(", "),
            rfc3339(drill.start_ms),
            drill.rrule,
            if drill.announced { ", announced" } else { "" }
        );
        self.audit(who, "drill.plan", &format!("drill:{}", drill.id), &detail)
            .await;
        if drill.announced {
            self.announce_drills().await;
        }
        Ok(PlannedDrill { drill, what_if })
    }

    /// The drills register (staff): each drill with its next occurrences, the past ones
    /// without a result, and its results.
    pub async fn drills(&self, who: &Principal) -> Result<Vec<DrillView>, Refused> {
        who.require(Action::View)?;
        let now = self.clock.now_ms();
        let since = now.saturating_sub(OVERDUE_WINDOW_MS);
        let drills = self.store.drills().await?;
        let results = self.store.drill_results(since).await?;
        let mut views = Vec::with_capacity(drills.len());
        for drill in drills {
            let results: Vec<DrillResult> = results
                .iter()
                .filter(|r| r.drill == drill.id)
                .cloned()
                .collect();
            let (next, overdue) = match self.recurrence(&drill) {
                Ok(rule) => schedule(&rule, &drill, &results, now),
                Err(e) => {
                    // Stored rules were checked when planned; a newer zone database or
                    // parser refusing one must not hide the rest of the register.
                    tracing::warn!(drill = drill.id, error = %e, "drill rule not expanded");
                    (Vec::new(), Vec::new())
                }
            };
            views.push(DrillView {
                drill,
                next,
                overdue,
                results,
            });
        }
        Ok(views)
    }

    /// Records what came of one occurrence of drill `id` (engineers and up); a second result
    /// of the same occurrence is [`Refused::Conflict`]. Audited.
    pub async fn record_drill_result(
        &self,
        who: &Principal,
        id: i64,
        new: NewDrillResult,
    ) -> Result<DrillResult, Refused> {
        who.require(Action::DrillResult)?;
        let Some(drill) = self.store.drill(id).await? else {
            return Err(Refused::NotFound(format!("no drill {id}")));
        };
        let Some(occurrence_ms) = new.occurrence_ms else {
            return Err(Refused::invalid(
                "occurrence",
                "occurrence: the occurrence's date and time (UTC), as the register lists it",
            ));
        };
        if !self.recurrence(&drill)?.is_occurrence(occurrence_ms) {
            return Err(Refused::invalid(
                "occurrence",
                format!(
                    "occurrence: {} is not an occurrence of `{}` from {}",
                    rfc3339(occurrence_ms),
                    drill.rrule,
                    rfc3339(drill.start_ms)
                ),
            ));
        }
        let outcome = new.outcome.trim();
        if !OUTCOMES.contains(&outcome) {
            return Err(Refused::invalid(
                "outcome",
                format!("outcome: `passed` or `failed`, not `{outcome}`"),
            ));
        }
        let Some(started_ms) = new.started_ms else {
            return Err(Refused::invalid(
                "started",
                "started: when the drill really started, a date and time (UTC)",
            ));
        };
        let Some(ended_ms) = new.ended_ms else {
            return Err(Refused::invalid(
                "ended",
                "ended: when the drill really ended, a date and time (UTC)",
            ));
        };
        if ended_ms < started_ms {
            return Err(Refused::invalid(
                "ended",
                "ended: the drill cannot end before it started",
            ));
        }
        let notes = new.notes.trim();
        if notes.chars().count() > MAX_NOTES {
            return Err(Refused::invalid(
                "notes",
                format!("notes: at most {MAX_NOTES} characters"),
            ));
        }
        let mut result = DrillResult {
            id: 0,
            drill: drill.id,
            occurrence_ms,
            outcome: outcome.to_owned(),
            started_ms,
            ended_ms,
            notes: notes.to_owned(),
            recorded_by: who.login.clone(),
            recorded_ms: self.clock.now_ms(),
        };
        match self.store.add_drill_result(&result).await? {
            Some(stored) => result.id = stored,
            None => {
                return Err(Refused::Conflict(format!(
                    "the occurrence {} of drill {} already has a result",
                    rfc3339(occurrence_ms),
                    drill.id
                )))
            }
        }
        let detail = format!(
            "{}: occurrence {} {}",
            drill.title,
            rfc3339(occurrence_ms),
            result.outcome
        );
        self.audit(who, "drill.result", &format!("drill:{}", drill.id), &detail)
            .await;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tocsin_model::time::{parse_utc, rfc3339};

    use super::*;

    fn at(s: &str) -> i64 {
        parse_utc(s).unwrap()
    }

    fn shown(list: &[i64]) -> Vec<String> {
        list.iter().map(|ms| rfc3339(*ms)).collect()
    }

    fn generator() -> (Drill, Recurrence) {
        let drill = Drill {
            id: 1,
            title: "Generator".into(),
            targets: vec!["gen-a".into()],
            rrule: "FREQ=MONTHLY;BYDAY=1TU".into(),
            start_ms: at("2026-01-06T09:00:00Z"),
            duration_ms: 15 * 60_000,
            announced: false,
            created_by: "lead".into(),
            created_ms: 0,
        };
        let zone = jiff::tz::TimeZone::get("Europe/Prague").unwrap();
        let rule = Recurrence::new(&drill.rrule, drill.start_ms, &zone).unwrap();
        (drill, rule)
    }

    fn result(occurrence: &str) -> DrillResult {
        DrillResult {
            id: 1,
            drill: 1,
            occurrence_ms: at(occurrence),
            outcome: "passed".into(),
            started_ms: at(occurrence),
            ended_ms: at(occurrence),
            notes: String::new(),
            recorded_by: "eng".into(),
            recorded_ms: 0,
        }
    }

    #[test]
    fn an_occurrence_is_overdue_once_it_is_over_without_a_result() {
        let (drill, rule) = generator();
        // During the April drill (10:00–10:15 in Prague, summer time): it is not overdue
        // yet, nor next any more.
        let (next, overdue) = schedule(&rule, &drill, &[], at("2026-04-07T08:05:00Z"));
        assert_eq!(
            shown(&overdue),
            [
                "2026-01-06T09:00:00Z",
                "2026-02-03T09:00:00Z",
                "2026-03-03T09:00:00Z"
            ]
        );
        assert_eq!(next.len(), NEXT);
        assert_eq!(rfc3339(next[0]), "2026-05-05T08:00:00Z");
        // Once it is over, it is; a recorded result takes an occurrence off the list.
        let results = [result("2026-02-03T09:00:00Z")];
        let (_, overdue) = schedule(&rule, &drill, &results, at("2026-04-07T08:15:00Z"));
        assert_eq!(
            shown(&overdue),
            [
                "2026-01-06T09:00:00Z",
                "2026-03-03T09:00:00Z",
                "2026-04-07T08:00:00Z"
            ]
        );
    }

    #[test]
    fn occurrences_older_than_a_year_are_no_longer_overdue() {
        let (drill, rule) = generator();
        let (_, overdue) = schedule(&rule, &drill, &[], at("2027-03-01T00:00:00Z"));
        // From 2026-03-01 on: March 2026 to February 2027.
        assert_eq!(overdue.len(), 12);
        assert_eq!(rfc3339(overdue[0]), "2026-03-03T09:00:00Z");
        assert_eq!(rfc3339(overdue[11]), "2027-02-02T09:00:00Z");
        // Before the first occurrence nothing is overdue.
        let (next, overdue) = schedule(&rule, &drill, &[], at("2025-12-01T00:00:00Z"));
        assert!(overdue.is_empty());
        assert_eq!(rfc3339(next[0]), "2026-01-06T09:00:00Z");
    }

    #[test]
    fn durations_read_back_as_they_are_written() {
        assert_eq!(duration_text(15 * 60_000), "15m");
        assert_eq!(duration_text(90 * 60_000), "1h 30m");
    }
}
