//! Emergency drills and what came of each occurrence. The store keeps the rule as text and
//! knows nothing of recurrence: which instants are occurrences is the running system's
//! business. It only guarantees that an occurrence has at most one result.

use crate::Result;

/// A planned drill (seed: the generator under load monthly for 15 minutes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    /// Id (0 before it is stored).
    pub id: i64,
    /// What it is called.
    pub title: String,
    /// The vertices it takes down, by id.
    pub targets: Vec<String>,
    /// The RFC 5545 RRULE value (`FREQ=MONTHLY;BYDAY=1TU`).
    pub rrule: String,
    /// Its first occurrence, ms since the epoch.
    pub start_ms: i64,
    /// How long each occurrence lasts, ms.
    pub duration_ms: i64,
    /// Whether customers are told (planned maintenance) or not.
    pub announced: bool,
    /// Who planned it.
    pub created_by: String,
    /// When it was planned.
    pub created_ms: i64,
}

/// What came of one occurrence of a drill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillResult {
    /// Id (0 before it is stored).
    pub id: i64,
    /// The drill.
    pub drill: i64,
    /// The occurrence, ms since the epoch: the instant the rule gives.
    pub occurrence_ms: i64,
    /// `passed` or `failed`.
    pub outcome: String,
    /// When it really started.
    pub started_ms: i64,
    /// When it really ended, not before the start.
    pub ended_ms: i64,
    /// What was seen.
    pub notes: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When it was recorded.
    pub recorded_ms: i64,
}

/// The drills register. Every method is one transaction.
#[allow(async_fn_in_trait)]
pub trait DrillStore {
    /// Plans a drill (`id` is not read); returns its id.
    async fn add_drill(&self, drill: &Drill) -> Result<i64>;
    /// Every drill, by id.
    async fn drills(&self) -> Result<Vec<Drill>>;
    /// One drill.
    async fn drill(&self, id: i64) -> Result<Option<Drill>>;
    /// Records a result (`id` is not read) of a stored drill; returns its id, or `None` when
    /// that occurrence already has one (then nothing is stored), even when several instances
    /// record at once.
    async fn add_drill_result(&self, result: &DrillResult) -> Result<Option<i64>>;
    /// The results of occurrences at or after `from_ms`, of every drill, by drill and
    /// occurrence.
    async fn drill_results(&self, from_ms: i64) -> Result<Vec<DrillResult>>;
}
