//! Rolling upgrades of redundant groups (seed 000: "redundant" NICs cabled to one switch cost
//! two days). A plan lists the members of a group, upgraded one at a time; each step's
//! what-if — that member alone down, on top of what is down now — is computed when the plan
//! is made, so a miswiring that would take a service down blocks the plan before the work
//! starts. A step runs `drain`, `upgrade`, `verify`, `return` in that order, and a step starts
//! only after the previous one returned.
//!
//! `drain` marks the member down through the ingestion pipeline, with an alert of source
//! [`DRAIN_SOURCE`] and the fingerprint [`drain_fingerprint`]; `return` resolves it. The
//! effect comes before the record: a drain whose record failed is repeated by retrying it
//! (firing the same alert again changes nothing), and of several instances racing to record
//! the same action, the store keeps one and the others are refused. Each action has one
//! predecessor, so the order check and that one record suffice; what is not guarded is a
//! drain that stalls between its check and its alert for as long as the step takes to run
//! (its late alert would drain the member again after `return`), and two plans draining
//! both members of one group at the same moment (each checked against the other not yet down).

use std::sync::Arc;

use serde::Serialize;
use tocsin_model::{Impact, Inventory, State, VertexId, WhatIf};
use tocsin_store::{AlertStatus, PlannedStep, UpgradeAction, UpgradePlan, UpgradeStore};

use super::Refused;
use crate::{Action, Incoming, Principal, System, Target};

/// The source of the alerts that drain a member: the pipeline keeps drained members quiet
/// (`planned.rs`).
pub use crate::planned::DRAIN_SOURCE;
/// The actions of a step, in the order they are done.
pub const UPGRADE_ACTIONS: [&str; 4] = ["drain", "upgrade", "verify", "return"];
/// At most this many members in one plan.
const MAX_MEMBERS: usize = 1000;
/// At most this many checklist lines.
const MAX_CHECKLIST: usize = 100;
/// At most this many plans listed.
const LISTED: i64 = 100;

/// The fingerprint of the alert draining `member` for plan `plan`.
pub fn drain_fingerprint(plan: i64, member: &str) -> String {
    format!("upgrade:{plan}:{member}")
}

/// A plan as asked for.
#[derive(Debug, Clone, Default)]
pub struct NewUpgrade {
    /// What is upgraded.
    pub title: String,
    /// Vertex ids, in the order they are upgraded.
    pub members: Vec<String>,
    /// Lines to tick before the work (blank ones are dropped).
    pub checklist: Vec<String>,
}

/// The next thing to do on a plan.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct NextAction {
    /// The step, numbered from 1.
    pub step: i64,
    /// Its member.
    pub member: String,
    /// One of [`UPGRADE_ACTIONS`].
    pub action: &'static str,
}

/// A plan and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollingUpgrade {
    /// The plan, with each step's what-if as computed when it was made.
    pub plan: UpgradePlan,
    /// What was done, in order, with who and when.
    pub actions: Vec<UpgradeAction>,
    /// What comes next; `None` when the last step returned.
    pub next: Option<NextAction>,
}

impl RollingUpgrade {
    fn of(plan: UpgradePlan, actions: Vec<UpgradeAction>) -> RollingUpgrade {
        let next = next_action(&plan, &actions);
        RollingUpgrade {
            plan,
            actions,
            next,
        }
    }

    /// Whether the last step returned.
    pub fn done(&self) -> bool {
        self.next.is_none()
    }

    /// The actions done on step `step` (from 1), in order.
    pub fn actions_of(&self, step: i64) -> impl Iterator<Item = &UpgradeAction> {
        self.actions.iter().filter(move |a| a.step == step)
    }

    /// The services some step would take down, each once, sorted.
    pub fn blocking_services(&self) -> Vec<String> {
        blocking_services(&self.plan)
    }
}

fn blocking_services(plan: &UpgradePlan) -> Vec<String> {
    let mut all: Vec<String> = plan
        .steps
        .iter()
        .flat_map(|s| s.down_services.iter().cloned())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The first action of the first step not done yet, in order.
fn next_action(plan: &UpgradePlan, actions: &[UpgradeAction]) -> Option<NextAction> {
    plan.steps.iter().zip(1i64..).find_map(|(s, step)| {
        UPGRADE_ACTIONS
            .iter()
            .find(|a| {
                !actions
                    .iter()
                    .any(|done| done.step == step && done.action == **a)
            })
            .map(|action| NextAction {
                step,
                member: s.member.clone(),
                action,
            })
    })
}

/// What taking `member` alone down would do on top of `impact`, which is only read: the
/// services it would take down and those it would leave without redundancy, sorted — the
/// services whose state it changes, so one degraded already by something else is not the
/// step's risk. Every
/// service is named (unlike [`super::what_if_of`], which shortens its lists for display):
/// a plan must name all it would break.
fn step_of(inventory: &Inventory, impact: &Impact, member: VertexId) -> PlannedStep {
    let w = WhatIf::of(impact, &[(member, State::Down)]);
    let mut down_services = Vec::new();
    let mut at_risk_services = Vec::new();
    for c in w.changes() {
        if inventory.service_of(c.vertex).is_none() {
            continue;
        }
        let id = inventory.graph.name(c.vertex).to_owned();
        match c.to {
            State::Down => down_services.push(id),
            State::Degraded => at_risk_services.push(id),
            State::Up => {}
        }
    }
    down_services.sort_unstable();
    at_risk_services.sort_unstable();
    PlannedStep {
        member: inventory.graph.name(member).to_owned(),
        down_services,
        at_risk_total: at_risk_services.len(),
        at_risk_services,
    }
}

/// `a, b, c`, or the first 20 and how many more.
fn named(services: &[String]) -> String {
    const NAMED: usize = 20;
    let mut text = services
        .iter()
        .take(NAMED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if services.len() > NAMED {
        text.push_str(&format!(" and {} more", services.len() - NAMED));
    }
    text
}

impl System {
    /// Plans a rolling upgrade (engineers and up): one step per member, in the given order,
    /// each with its what-if on top of the live state; blocked when a step would take a
    /// service down. Audited as `upgrade.plan`.
    pub async fn plan_upgrade(
        &self,
        who: &Principal,
        new: NewUpgrade,
    ) -> Result<RollingUpgrade, Refused> {
        who.require(Action::Upgrade)?;
        let title = new.title.trim();
        if title.is_empty() {
            return Err(Refused::invalid("title", "title: say what is upgraded"));
        }
        if title.chars().count() > 200 {
            return Err(Refused::invalid("title", "title: at most 200 characters"));
        }
        let members: Vec<&str> = new
            .members
            .iter()
            .map(|m| m.trim())
            .filter(|m| !m.is_empty())
            .collect();
        if members.is_empty() {
            return Err(Refused::invalid(
                "members",
                "members: name the members of the group, in the order they are upgraded",
            ));
        }
        if members.len() > MAX_MEMBERS {
            return Err(Refused::invalid(
                "members",
                format!("members: at most {MAX_MEMBERS} in one plan"),
            ));
        }
        let mut repeated: Vec<&str> = members
            .iter()
            .enumerate()
            .filter(|(i, m)| members[..*i].contains(m))
            .map(|(_, m)| *m)
            .collect();
        repeated.dedup();
        if !repeated.is_empty() {
            return Err(Refused::invalid(
                "members",
                format!(
                    "members: each member is upgraded once; repeated: {}",
                    repeated.join(", ")
                ),
            ));
        }
        let checklist: Vec<String> = new
            .checklist
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        if checklist.len() > MAX_CHECKLIST {
            return Err(Refused::invalid(
                "checklist",
                format!("checklist: at most {MAX_CHECKLIST} lines"),
            ));
        }
        // The live engine is copied under the lock (milliseconds at a million services) and
        // the what-ifs, long when a member's loss reaches most of the graph, run on the copy
        // on a blocking thread: planning never holds the pipeline up.
        let (inventory, impact, ids) = {
            let live = self.lock()?;
            let mut unknown = Vec::new();
            let mut ids = Vec::with_capacity(members.len());
            for m in &members {
                match live.inventory.graph.find(m) {
                    Some(v) => ids.push(v),
                    None => unknown.push(format!("`{m}`")),
                }
            }
            if !unknown.is_empty() {
                return Err(Refused::invalid(
                    "members",
                    format!(
                        "members: unknown vertex id {}: no node or service has it",
                        unknown.join(", ")
                    ),
                ));
            }
            (Arc::clone(&live.inventory), live.impact.clone(), ids)
        };
        let steps = tokio::task::spawn_blocking(move || {
            ids.iter()
                .map(|&v| step_of(&inventory, &impact, v))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| Refused::Unavailable(format!("the what-if stopped: {e}")))?;
        let mut plan = UpgradePlan {
            id: 0,
            title: title.to_owned(),
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            checklist,
            blocked: steps.iter().any(|s| !s.down_services.is_empty()),
            steps,
            created_by: who.login.clone(),
            created_ms: self.clock.now_ms(),
        };
        plan.id = self.store.add_upgrade(&plan).await?;
        let mut detail = format!("{}: {}", plan.title, plan.members.join(", "));
        if plan.blocked {
            detail.push_str(&format!(
                " (blocked: would take down {})",
                named(&blocking_services(&plan))
            ));
        }
        self.audit(
            who,
            "upgrade.plan",
            &format!("upgrade:{}", plan.id),
            &detail,
        )
        .await;
        Ok(RollingUpgrade::of(plan, Vec::new()))
    }

    /// The latest plans, newest first, with where each stands (staff).
    pub async fn upgrades(&self, who: &Principal) -> Result<Vec<RollingUpgrade>, Refused> {
        who.require(Action::View)?;
        let plans = self.store.upgrades(LISTED).await?;
        let mut list = Vec::with_capacity(plans.len());
        for plan in plans {
            let actions = self.store.upgrade_actions(plan.id).await?;
            list.push(RollingUpgrade::of(plan, actions));
        }
        Ok(list)
    }

    /// One plan with where it stands (staff).
    pub async fn upgrade(&self, who: &Principal, id: i64) -> Result<RollingUpgrade, Refused> {
        who.require(Action::View)?;
        let Some(plan) = self.store.upgrade(id).await? else {
            return Err(Refused::NotFound(format!("no upgrade plan {id}")));
        };
        let actions = self.store.upgrade_actions(id).await?;
        Ok(RollingUpgrade::of(plan, actions))
    }

    /// Does `action` on step `step` (from 1) of plan `id` (engineers and up), only when it is
    /// the next one ([`Refused::Conflict`] saying what is next otherwise). `drain` is refused
    /// on a blocked plan, and when taking the member down now would take a service down;
    /// it marks the member down through the pipeline, `return` lifts that. Audited as
    /// `upgrade.ACTION`.
    pub async fn upgrade_step(
        &self,
        who: &Principal,
        id: i64,
        step: i64,
        action: &str,
    ) -> Result<RollingUpgrade, Refused> {
        who.require(Action::Upgrade)?;
        let Some(action) = UPGRADE_ACTIONS.iter().copied().find(|a| *a == action) else {
            return Err(Refused::invalid(
                "action",
                format!("action: `{action}` is not one of drain, upgrade, verify, return"),
            ));
        };
        let run = self.upgrade(who, id).await?;
        let plan = &run.plan;
        let Some(member) = usize::try_from(step)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| plan.steps.get(i))
            .map(|s| s.member.clone())
        else {
            return Err(Refused::NotFound(format!(
                "upgrade plan {id} has no step {step}: its steps are 1 to {}",
                plan.steps.len()
            )));
        };
        let Some(next) = &run.next else {
            return Err(Refused::Conflict(format!(
                "upgrade plan {id} is done: its last step returned"
            )));
        };
        if (next.step, next.action) != (step, action) {
            let done = run
                .actions_of(step)
                .find(|a| a.action == action)
                .map(|a| format!("{action} of step {step} was done already by {}; ", a.by))
                .unwrap_or_default();
            return Err(Refused::Conflict(format!(
                "{done}next is {} of step {} ({})",
                next.action, next.step, next.member
            )));
        }
        let mut detail = format!("step {step}: {member}");
        if action == "drain" {
            if plan.blocked {
                return Err(Refused::Conflict(format!(
                    "upgrade plan {id} is blocked: its steps would take down {}",
                    named(&run.blocking_services())
                )));
            }
            // The world may have changed since the plan was made.
            let (inventory, impact) = {
                let live = self.lock()?;
                (Arc::clone(&live.inventory), live.impact.clone())
            };
            let who_now = member.clone();
            let now = tokio::task::spawn_blocking(move || {
                inventory
                    .graph
                    .find(&who_now)
                    .map(|v| step_of(&inventory, &impact, v))
            })
            .await
            .map_err(|e| Refused::Unavailable(format!("the what-if stopped: {e}")))?;
            let Some(now) = now else {
                return Err(Refused::Conflict(format!(
                    "`{member}` is no longer in the inventory"
                )));
            };
            if !now.down_services.is_empty() {
                return Err(Refused::Conflict(format!(
                    "draining {member} now would take down {}",
                    named(&now.down_services)
                )));
            }
            // Who drained, and what it left without redundancy then, for the post-mortem.
            if !now.at_risk_services.is_empty() {
                detail.push_str(&format!(
                    "; without redundancy: {}",
                    named(&now.at_risk_services)
                ));
            }
        }
        if action == "drain" || action == "return" {
            let firing = action == "drain";
            let alert = Incoming {
                source: DRAIN_SOURCE.to_owned(),
                fingerprint: drain_fingerprint(id, &member),
                status: if firing {
                    AlertStatus::Firing
                } else {
                    AlertStatus::Resolved
                },
                state: if firing { State::Down } else { State::Up },
                target: Target::Node(member.clone()),
                received_ms: self.clock.now_ms(),
            };
            self.ingest(vec![alert], None).await?;
        }
        let record = UpgradeAction {
            plan_id: id,
            step,
            action: action.to_owned(),
            by: who.login.clone(),
            at_ms: self.clock.now_ms(),
        };
        if !self.store.record_upgrade_action(&record).await? {
            return Err(Refused::Conflict(format!(
                "{action} of step {step} of upgrade plan {id} was done already"
            )));
        }
        self.audit(
            who,
            &format!("upgrade.{action}"),
            &format!("upgrade:{id}"),
            &detail,
        )
        .await;
        self.upgrade(who, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(members: &[&str]) -> UpgradePlan {
        UpgradePlan {
            id: 1,
            title: "t".into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            checklist: vec![],
            steps: members
                .iter()
                .map(|m| PlannedStep {
                    member: m.to_string(),
                    down_services: vec![],
                    at_risk_services: vec![],
                    at_risk_total: 0,
                })
                .collect(),
            blocked: false,
            created_by: "e".into(),
            created_ms: 0,
        }
    }

    fn done(step: i64, action: &str) -> UpgradeAction {
        UpgradeAction {
            plan_id: 1,
            step,
            action: action.into(),
            by: "e".into(),
            at_ms: 0,
        }
    }

    #[test]
    fn the_next_action_walks_each_step_in_order() {
        let p = plan(&["sw-a", "sw-b"]);
        let next = |actions: &[UpgradeAction]| {
            next_action(&p, actions).map(|n| (n.step, n.member, n.action))
        };
        assert_eq!(next(&[]), Some((1, "sw-a".into(), "drain")));
        let mut actions = Vec::new();
        for a in UPGRADE_ACTIONS {
            actions.push(done(1, a));
        }
        assert_eq!(next(&actions), Some((2, "sw-b".into(), "drain")));
        actions.push(done(2, "drain"));
        assert_eq!(next(&actions), Some((2, "sw-b".into(), "upgrade")));
        for a in &UPGRADE_ACTIONS[1..] {
            actions.push(done(2, a));
        }
        assert_eq!(next(&actions), None);
    }

    #[test]
    fn long_lists_of_services_are_shortened() {
        let few: Vec<String> = vec!["a".into(), "b".into()];
        assert_eq!(named(&few), "a, b");
        let many: Vec<String> = (0..25).map(|i| format!("s{i:02}")).collect();
        let text = named(&many);
        assert!(text.starts_with("s00, s01"), "{text}");
        assert!(text.ends_with("s19 and 5 more"), "{text}");
    }
}
