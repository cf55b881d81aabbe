//! A leader's backlog of service downs (`incident_backlog`, migration 21) as the JSON text it
//! is stored as: what a fan-out's first commit records for its later commits to write.

use std::sync::Arc;

use crate::incidents::IncidentChange;
use crate::{Result, StoreError};

/// A backlog's downs as stored: runs of downs of one incident, time and customer as
/// `[incident, at_ms, customer, [service, ...]]` (a fan-out's 160,000 downs come in 10,000
/// runs, a third of the bytes of one row each). Only `ServiceDown` changes are deferred
/// (`Applied::defer` says so).
pub(crate) fn downs_json(downs: &[IncidentChange]) -> Result<String> {
    let mut runs: Vec<(i64, i64, Option<&str>, Vec<&str>)> = Vec::new();
    for d in downs {
        let IncidentChange::ServiceDown {
            id,
            service,
            customer,
            at_ms,
        } = d
        else {
            continue;
        };
        match runs.last_mut() {
            Some((i, at, c, services))
                if *i == *id && *at == *at_ms && *c == customer.as_deref() =>
            {
                services.push(service)
            }
            _ => runs.push((*id, *at_ms, customer.as_deref(), vec![service])),
        }
    }
    serde_json::to_string(&runs).map_err(|e| StoreError::Corrupt(format!("incident backlog: {e}")))
}

/// One entry of a stored backlog: a run, or one down as the first backlogs stored each
/// (`[incident, service, customer, at_ms]`).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum StoredDowns {
    Run(i64, i64, Option<String>, Vec<String>),
    One(i64, String, Option<String>, i64),
}

/// The downs of backlog `id` from what `downs_json` stored.
pub(crate) fn downs_from_json(id: i64, text: String) -> Result<Vec<IncidentChange>> {
    let entries: Vec<StoredDowns> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("incident backlog {id}: {e}")))?;
    let mut downs = Vec::new();
    for entry in entries {
        match entry {
            StoredDowns::Run(id, at_ms, customer, services) => {
                let customer: Option<Arc<str>> = customer.map(Arc::from);
                downs.extend(
                    services
                        .into_iter()
                        .map(|service| IncidentChange::ServiceDown {
                            id,
                            service: service.into(),
                            customer: customer.clone(),
                            at_ms,
                        }),
                )
            }
            StoredDowns::One(id, service, customer, at_ms) => {
                downs.push(IncidentChange::ServiceDown {
                    id,
                    service: service.into(),
                    customer: customer.map(Arc::from),
                    at_ms,
                })
            }
        }
    }
    Ok(downs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(id: i64, service: &str, customer: Option<&str>, at_ms: i64) -> IncidentChange {
        IncidentChange::ServiceDown {
            id,
            service: service.into(),
            customer: customer.map(Arc::from),
            at_ms,
        }
    }

    #[test]
    fn a_backlog_is_stored_in_runs_and_read_back_in_order() {
        let downs = vec![
            down(1, "a1", Some("a"), 5),
            down(1, "a2", Some("a"), 5),
            down(1, "b1", Some("b"), 5),
            down(1, "x", None, 5),
            down(2, "a3", Some("a"), 7),
        ];
        let text = downs_json(&downs).unwrap();
        assert_eq!(
            text,
            r#"[[1,5,"a",["a1","a2"]],[1,5,"b",["b1"]],[1,5,null,["x"]],[2,7,"a",["a3"]]]"#
        );
        assert_eq!(downs_from_json(3, text).unwrap(), downs);
    }

    #[test]
    fn a_backlog_stored_one_down_an_entry_is_still_read() {
        let text = r#"[[1,"a1","a",5],[2,"b1",null,7]]"#.to_owned();
        assert_eq!(
            downs_from_json(3, text).unwrap(),
            vec![down(1, "a1", Some("a"), 5), down(2, "b1", None, 7)]
        );
        let broken = downs_from_json(4, "[[1,2]]".to_owned()).unwrap_err();
        assert!(
            broken.to_string().contains("incident backlog 4"),
            "{broken}"
        );
    }
}
