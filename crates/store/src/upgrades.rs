//! Rolling-upgrade plans: the members of a redundant group taken down one at a time, the
//! what-if of each step as computed when the plan was made, and the actions taken on each
//! step (drain, upgrade, verify, return), each done once.

use serde::{Deserialize, Serialize};

use crate::Result;

/// One step of a plan: its member and what taking it down alone would do, on top of what was
/// down when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    /// The vertex upgraded in this step.
    pub member: String,
    /// Services that would go down, sorted.
    pub down_services: Vec<String>,
    /// Services that would run without redundancy (degraded), sorted; read with one plan
    /// only (lists of plans carry [`PlannedStep::at_risk_total`]).
    #[serde(default, skip_serializing)]
    pub at_risk_services: Vec<String>,
    /// How many services would run without redundancy.
    #[serde(default)]
    pub at_risk_total: usize,
}

/// A rolling-upgrade plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradePlan {
    /// Id (0 before it is stored).
    pub id: i64,
    /// What is upgraded, in the planner's words.
    pub title: String,
    /// The members, in the order they are upgraded.
    pub members: Vec<String>,
    /// Lines to tick before the work starts.
    pub checklist: Vec<String>,
    /// One step per member, in the same order.
    pub steps: Vec<PlannedStep>,
    /// Whether some step would take a service down: then no step may start.
    pub blocked: bool,
    /// Who planned it.
    pub created_by: String,
    /// When it was planned.
    pub created_ms: i64,
}

/// An action taken on one step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeAction {
    /// The plan.
    pub plan_id: i64,
    /// The step, numbered from 1.
    pub step: i64,
    /// `drain`, `upgrade`, `verify` or `return`.
    pub action: String,
    /// Login of who did it.
    pub by: String,
    /// When.
    pub at_ms: i64,
}

/// Where rolling-upgrade plans and their actions are kept.
#[allow(async_fn_in_trait)]
pub trait UpgradeStore {
    /// Stores a plan (`id` is not read); returns its id. Lists of plans ([`UpgradeStore::upgrades`])
    /// leave the steps' at-risk services out; one plan ([`UpgradeStore::upgrade`]) has them.
    async fn add_upgrade(&self, plan: &UpgradePlan) -> Result<i64>;
    /// The latest `limit` plans, newest first.
    async fn upgrades(&self, limit: i64) -> Result<Vec<UpgradePlan>>;
    /// One plan.
    async fn upgrade(&self, id: i64) -> Result<Option<UpgradePlan>>;
    /// Records an action; `false` when that action of that step of that plan was recorded
    /// already (then nothing changes), so racing instances do it once.
    async fn record_upgrade_action(&self, action: &UpgradeAction) -> Result<bool>;
    /// The actions taken on a plan, in the order they were recorded.
    async fn upgrade_actions(&self, plan_id: i64) -> Result<Vec<UpgradeAction>>;
}
