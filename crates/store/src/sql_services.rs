//! An incident's services read as one JSON document built by the database: a fan-out's
//! incident has 100,000s of them, and row by row through the driver they took seconds.

use serde::Deserialize;

use crate::incidents::IncidentServiceRow;
use crate::{Result, StoreError};

/// SQLite's query: one row, a JSON array of `[service, customer, down_since_ms,
/// down_total_ms, first_down_ms, announced]` arrays (`[]` for none).
pub(crate) const SQLITE_SERVICES: &str =
    "SELECT json_group_array(json_array(service, customer, down_since_ms, down_total_ms, first_down_ms, announced)) \
     FROM incident_services WHERE incident_id = $1";

/// PostgreSQL's query, of the same shape.
pub(crate) const PG_SERVICES: &str =
    "SELECT COALESCE(json_agg(json_build_array(service, customer, down_since_ms, down_total_ms, first_down_ms, announced))::text, '[]') \
     FROM incident_services WHERE incident_id = $1";

/// `announced` as each backend writes it: SQLite's 0 or 1, PostgreSQL's boolean.
#[derive(Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Int(i64),
}

type Entry = (String, Option<String>, Option<i64>, i64, i64, Flag);

/// The rows of the document `json`, in key order (first down, then service id in byte order,
/// as SQLite's BINARY collation sorts).
pub(crate) fn services_from_json(incident: i64, json: &str) -> Result<Vec<IncidentServiceRow>> {
    let entries: Vec<Entry> = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("services of incident {incident}: {e}")))?;
    let mut services: Vec<IncidentServiceRow> = entries
        .into_iter()
        .map(
            |(service, customer, down_since_ms, down_total_ms, first_down_ms, announced)| {
                IncidentServiceRow {
                    service,
                    customer,
                    down_since_ms,
                    down_total_ms,
                    first_down_ms,
                    announced: match announced {
                        Flag::Bool(b) => b,
                        Flag::Int(n) => n != 0,
                    },
                }
            },
        )
        .collect();
    // Sorted here: SQLite sorting the 100,000s of a fan-out's incident took it seconds, a
    // sort in memory tens of milliseconds.
    services.sort_by(|a, b| {
        (a.first_down_ms, a.service.as_bytes()).cmp(&(b.first_down_ms, b.service.as_bytes()))
    });
    Ok(services)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn both_backends_documents_read_the_same() {
        let sqlite = r#"[["vps-b","acme",null,5,10,0],["vps-a",null,20,0,10,1]]"#;
        let pg = r#"[["vps-b", "acme", null, 5, 10, false], ["vps-a", null, 20, 0, 10, true]]"#;
        let a = services_from_json(7, sqlite).unwrap();
        assert_eq!(a, services_from_json(7, pg).unwrap());
        assert_eq!(
            a.iter().map(|s| s.service.as_str()).collect::<Vec<_>>(),
            ["vps-a", "vps-b"]
        );
        assert_eq!(
            (a[0].customer.as_deref(), a[0].down_since_ms, a[0].announced),
            (None, Some(20), true)
        );
        assert_eq!((a[1].down_total_ms, a[1].announced), (5, false));
        assert!(services_from_json(7, "[]").unwrap().is_empty());
    }

    #[test]
    fn a_damaged_document_is_an_error_naming_the_incident() {
        let e = services_from_json(7, r#"[["vps-a"]]"#).unwrap_err();
        assert!(e.to_string().contains("services of incident 7"), "{e}");
    }
}
