//! How a batch of incident changes goes into statements: runs of the same change in one
//! multi-row statement, and announcements folded into the downs they follow.

use hashbrown::HashSet;

use crate::incidents::IncidentChange;

/// Rows per multi-row statement: at most 10 parameters a row stays below SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters per statement.
pub(crate) const ROWS_PER_STATEMENT: usize = 1000;

/// How many changes at the start of `changes` form a run written in one statement: all
/// `ServiceDown` or all `Announce`, none touching the same service of the same incident twice
/// (one statement may not change a row twice); 0 when the first change is of another kind.
pub(crate) fn run_of(changes: &[&IncidentChange]) -> usize {
    fn key(c: &IncidentChange) -> Option<(bool, i64, &str)> {
        match c {
            IncidentChange::ServiceDown { id, service, .. } => Some((false, *id, service.as_str())),
            IncidentChange::Announce { id, service } => Some((true, *id, service.as_str())),
            _ => None,
        }
    }
    let Some((announce, _, _)) = changes.first().and_then(|c| key(c)) else {
        return 0;
    };
    let mut seen = HashSet::new();
    changes
        .iter()
        .take(ROWS_PER_STATEMENT)
        .map_while(|c| key(c))
        .take_while(|&(a, id, service)| a == announce && seen.insert((id, service)))
        .count()
}

/// The services announced in `changes` that also went down in them: those are written
/// announced at once, and their `Announce` is not written. `announced` only ever turns true,
/// so where the announcement stands in the batch does not matter, and a fan-out's 100,000s of
/// announcements cost no second statement.
pub(crate) fn announced_downs(changes: &[IncidentChange]) -> HashSet<(i64, &str)> {
    let downs: HashSet<(i64, &str)> = changes
        .iter()
        .filter_map(|c| match c {
            IncidentChange::ServiceDown { id, service, .. } => Some((*id, service.as_str())),
            _ => None,
        })
        .collect();
    changes
        .iter()
        .filter_map(|c| match c {
            IncidentChange::Announce { id, service } => Some((*id, service.as_str())),
            _ => None,
        })
        .filter(|k| downs.contains(k))
        .collect()
}
