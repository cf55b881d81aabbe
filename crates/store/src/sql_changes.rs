//! How a batch of incident changes goes into statements: runs of the same change in one
//! multi-row statement, and announcements folded into the downs they follow.

use std::sync::Arc;

use hashbrown::HashSet;

use crate::incidents::IncidentChange;
use crate::sql::{PgStore, SqliteStore};
use crate::Result;

/// Rows per multi-row statement: at most 10 parameters a row stays below SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters per statement.
pub(crate) const ROWS_PER_STATEMENT: usize = 1000;

/// How many changes at the start of `changes` form a run written in one statement: all
/// `ServiceDown` or all `Announce`, none touching the same service of the same incident twice
/// (one statement may not change a row twice); 0 when the first change is of another kind.
pub(crate) fn run_of(changes: &[&IncidentChange]) -> usize {
    fn key(c: &IncidentChange) -> Option<(bool, i64, &str)> {
        match c {
            IncidentChange::ServiceDown { id, service, .. } => Some((false, *id, &**service)),
            IncidentChange::Announce { id, service, .. } => Some((true, *id, &**service)),
            _ => None,
        }
    }
    let Some((announce, _, _)) = changes.first().and_then(|c| key(c)) else {
        return 0;
    };
    let mut seen = HashSet::with_capacity(ROWS_PER_STATEMENT.min(changes.len()));
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
    fn down(c: &IncidentChange) -> Option<(i64, &str)> {
        match c {
            IncidentChange::ServiceDown { id, service, .. } => Some((*id, &**service)),
            _ => None,
        }
    }
    // Sized once: a fan-out's set holds 100,000s and would otherwise grow a dozen times.
    let mut downs = HashSet::with_capacity(changes.iter().filter(|c| down(c).is_some()).count());
    downs.extend(changes.iter().filter_map(down));
    changes
        .iter()
        .filter_map(|c| match c {
            IncidentChange::Announce { id, service, .. } => Some((*id, &**service)),
            _ => None,
        })
        .filter(|k| downs.contains(k))
        .collect()
}

/// Binds `ids` separated by commas: what goes between the parentheses of `IN (…)`.
pub(crate) fn push_ids<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, ids: &[i64])
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
}

/// One row of a run of service downs, as written.
struct Down<'a> {
    id: i64,
    service: &'a Arc<str>,
    customer: Option<&'a Arc<str>>,
    at_ms: i64,
    announced: bool,
}

/// The rows of `run` (its `ServiceDown` changes), announced at once where `folded` says so.
fn downs<'a>(
    run: &'a [&'a IncidentChange],
    folded: &'a HashSet<(i64, &'a str)>,
) -> impl Iterator<Item = Down<'a>> + 'a {
    run.iter().filter_map(move |c| match c {
        IncidentChange::ServiceDown {
            id,
            service,
            customer,
            at_ms,
        } => Some(Down {
            id: *id,
            service,
            customer: customer.as_ref(),
            at_ms: *at_ms,
            announced: folded.contains(&(*id, &**service)),
        }),
        _ => None,
    })
}

/// The `INSERT` of service-down rows, up to where the rows are given.
macro_rules! insert_downs {
    () => {
        "INSERT INTO incident_services \
         (incident_id, service, customer, down_since_ms, down_total_ms, first_down_ms, announced) "
    };
}

/// The `ON CONFLICT` of a service-down row: down again in the same incident, only
/// `down_since_ms` changes, and `announced` only ever turns true.
macro_rules! down_again {
    () => {
        " ON CONFLICT (incident_id, service) DO UPDATE SET \
         down_since_ms = excluded.down_since_ms, \
         announced = incident_services.announced OR excluded.announced"
    };
}

impl SqliteStore {
    /// A run of service downs (no service twice) as one multi-row statement.
    pub(crate) async fn insert_downs(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        run: &[&IncidentChange],
        folded: &HashSet<(i64, &str)>,
    ) -> Result<()> {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(insert_downs!());
        q.push_values(downs(run, folded), |mut row, d| {
            row.push_bind(d.id)
                .push_bind(Arc::clone(d.service))
                .push_bind(d.customer.cloned())
                .push_bind(d.at_ms)
                .push_bind(0i64)
                .push_bind(d.at_ms)
                .push_bind(d.announced);
        });
        q.push(down_again!());
        q.build().execute(&mut **tx).await?;
        Ok(())
    }
}

impl PgStore {
    /// A run of service downs (no service twice) as one statement over column arrays: the
    /// server parses and plans five parameters instead of seven a row (after a fan-out to
    /// 10,000 customers, whose 160,000 rows are written behind the e-mails, the next alert
    /// waited 1.53 s instead of 1.83 s).
    pub(crate) async fn insert_downs(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        run: &[&IncidentChange],
        folded: &HashSet<(i64, &str)>,
    ) -> Result<()> {
        let mut ids = Vec::with_capacity(run.len());
        let mut services = Vec::with_capacity(run.len());
        let mut customers = Vec::with_capacity(run.len());
        let mut at = Vec::with_capacity(run.len());
        let mut announced = Vec::with_capacity(run.len());
        for d in downs(run, folded) {
            ids.push(d.id);
            services.push(&**d.service);
            customers.push(d.customer.map(|c| &**c));
            at.push(d.at_ms);
            announced.push(d.announced);
        }
        sqlx::query(concat!(
            insert_downs!(),
            "SELECT i, s, c, t, 0, t, a \
             FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::int8[], $5::bool[]) AS u(i, s, c, t, a)",
            down_again!()
        ))
        .bind(&ids)
        .bind(&services)
        .bind(&customers)
        .bind(&at)
        .bind(&announced)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Puts each unbroken stretch of `ServiceDown` changes in (incident, service) order, the order
/// of the table's key, so that a fan-out's 100,000s of rows are appended to the key's B-tree
/// rather than inserted all over it. The sort is stable and only ever moves a down past downs
/// of other services: two downs of the same service keep their order, and nothing moves past
/// a change of another kind.
pub(crate) fn in_key_order(changes: &mut [&IncidentChange]) {
    fn key<'a>(c: &&'a IncidentChange) -> Option<(i64, &'a str)> {
        match c {
            IncidentChange::ServiceDown { id, service, .. } => Some((*id, &**service)),
            _ => None,
        }
    }
    let mut at = 0;
    while at < changes.len() {
        let len = changes[at..]
            .iter()
            .take_while(|c| key(c).is_some())
            .count();
        changes[at..at + len].sort_by(|a, b| key(a).cmp(&key(b)));
        at += len.max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(service: &str, at_ms: i64) -> IncidentChange {
        IncidentChange::ServiceDown {
            id: 1,
            service: service.into(),
            customer: None,
            at_ms,
        }
    }

    #[test]
    fn downs_are_ordered_by_key_between_other_changes_and_repeats_keep_their_order() {
        let changes = [
            down("s10-0", 1),
            down("s2-0", 2),
            down("s10-0", 3),
            IncidentChange::ServiceUp {
                id: 1,
                service: "s2-0".into(),
                down_total_ms: 5,
            },
            down("s3-0", 4),
            down("s1-0", 5),
        ];
        let mut ordered: Vec<&IncidentChange> = changes.iter().collect();
        in_key_order(&mut ordered);
        let seen: Vec<String> = ordered
            .iter()
            .map(|c| match c {
                IncidentChange::ServiceDown { service, at_ms, .. } => format!("{service}@{at_ms}"),
                _ => "up".to_owned(),
            })
            .collect();
        assert_eq!(
            seen,
            ["s10-0@1", "s10-0@3", "s2-0@2", "up", "s1-0@5", "s3-0@4"]
        );
    }
}
