//! A fan-out written in several commits: the leader's first commit carries everything but
//! the notices and the service rows and announcements of most customers; their notices follow
//! in a few commits, then their rows and announcements in commits small enough for the
//! outbox's claims and verdicts to write between them. The outbox sends the first notices
//! while the rest is written: one transaction for 10,000 customers' 160,000 service rows and
//! notices held every notice back for about two seconds, and commits of whole customers
//! (rows with notices) kept the outbox from writing for most of the fan-out.
//!
//! A customer's notices are committed no later than its services are written announced, so
//! that a service is never announced without its notice queued. What later commits write is
//! recorded in the first one: service downs in a backlog (with the time each went down),
//! announcements as the services still unannounced. A successor taking over from a leader
//! that died between two commits writes the backlog's downs and announces what was not, from
//! the database alone, as after any crash; a notice queued already is not queued twice (the
//! outbox keeps one per incident, contact and kind).

use hashbrown::{HashMap, HashSet};
use tocsin_store::{IncidentChange, NewNotice};

/// Notices in the first commit: the outbox starts on them while the rest is written.
pub(super) const FIRST: usize = 256;
/// Notices in each later commit.
pub(super) const EACH: usize = 2048;
/// Changes (service rows, announcements) in each commit after the notices: small enough that
/// the outbox's claims and verdicts get their turns to write between two.
pub(super) const ROWS: usize = 8192;

/// One commit's share of a stretch.
#[derive(Debug, Default)]
pub(super) struct Part {
    pub incidents: Vec<IncidentChange>,
    pub notices: Vec<NewNotice>,
}

/// A stretch's changes and notices split in commits: `parts[0]` first, with `defer` (the
/// service downs that later parts write) recorded in its backlog.
#[derive(Debug)]
pub(super) struct Split {
    pub parts: Vec<Part>,
    pub defer: Vec<IncidentChange>,
}

/// Splits `incidents` and `notices` into a first part of about `first` notices, parts of about
/// `each` notices after it, then parts of about `rows` changes. Only customers whose every
/// change in the stretch is a service going down (once) or being announced, in an incident
/// not resolved in it, leave the first part; everything else stays there, in its order. A
/// customer's notices come in a part before its changes: the outbox sends while service rows
/// are written. Small stretches stay whole.
pub(super) fn split(
    incidents: Vec<IncidentChange>,
    notices: Vec<NewNotice>,
    first: usize,
    each: usize,
    rows: usize,
) -> Split {
    if notices.len() <= first {
        return whole(incidents, notices);
    }
    let movable = movable_customers(&incidents);
    // Customers in the order their notices come, each with how many it has.
    let mut order: Vec<&str> = Vec::new();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for n in &notices {
        let c = n.customer.as_str();
        if !movable.contains(c) {
            continue;
        }
        let k = count.entry(c).or_insert(0);
        if *k == 0 {
            order.push(c);
        }
        *k += 1;
    }
    // The part of each customer's notices: 0 keeps it (its changes too) in the first commit,
    // with the notices that cannot move.
    let mut notices_in: HashMap<&str, usize> = HashMap::new();
    let staying = notices.len() - count.values().sum::<usize>();
    let (mut part, mut filled, mut size) = (0, staying, first);
    for c in order {
        if filled >= size {
            part += 1;
            filled = 0;
            size = each;
        }
        notices_in.insert(c, part);
        filled += count[c];
    }
    if part == 0 {
        drop((movable, count, notices_in));
        return whole(incidents, notices);
    }
    // The part of the changes of each customer whose notices left the first: after every
    // part of notices, about `rows` changes each, customers in the order their changes come.
    let mut changes_of: HashMap<&str, usize> = HashMap::new();
    let mut by_changes: Vec<&str> = Vec::new();
    for c in incidents.iter().filter_map(customer_of) {
        if notices_in.get(c).is_some_and(|&p| p > 0) {
            let k = changes_of.entry(c).or_insert(0);
            if *k == 0 {
                by_changes.push(c);
            }
            *k += 1;
        }
    }
    let mut changes_in: HashMap<&str, usize> = HashMap::new();
    let mut filled = rows;
    for c in by_changes {
        if filled >= rows {
            part += 1;
            filled = 0;
        }
        changes_in.insert(c, part);
        filled += changes_of[c];
    }
    let owned = |m: HashMap<&str, usize>| -> HashMap<String, usize> {
        m.into_iter().map(|(c, p)| (c.to_owned(), p)).collect()
    };
    let (notices_in, changes_in) = (owned(notices_in), owned(changes_in));
    drop((movable, count, changes_of));
    let mut parts: Vec<Part> = (0..=part).map(|_| Part::default()).collect();
    let mut defer = Vec::new();
    for change in incidents {
        match customer_of(&change)
            .and_then(|c| changes_in.get(c))
            .copied()
        {
            Some(p) => {
                if matches!(change, IncidentChange::ServiceDown { .. }) {
                    defer.push(change.clone());
                }
                parts[p].incidents.push(change);
            }
            None => parts[0].incidents.push(change),
        }
    }
    for n in notices {
        let p = notices_in.get(n.customer.as_str()).copied().unwrap_or(0);
        parts[p].notices.push(n);
    }
    Split { parts, defer }
}

fn whole(incidents: Vec<IncidentChange>, notices: Vec<NewNotice>) -> Split {
    Split {
        parts: vec![Part { incidents, notices }],
        defer: Vec::new(),
    }
}

/// The customer a change is about, for the changes that may move to a later commit.
fn customer_of(change: &IncidentChange) -> Option<&str> {
    match change {
        IncidentChange::ServiceDown { customer, .. }
        | IncidentChange::Announce { customer, .. } => customer.as_deref(),
        _ => None,
    }
}

/// The customers all of whose changes may be written after the first commit: each of their
/// services goes down at most once and is otherwise only announced, and none of their
/// incidents is resolved in the stretch. Anything else about a service (it came back up, its
/// row changes twice) keeps its customer in the first commit, where the order is the stretch's.
fn movable_customers(incidents: &[IncidentChange]) -> HashSet<&str> {
    let resolved: HashSet<i64> = incidents
        .iter()
        .filter_map(|c| match c {
            IncidentChange::Resolve { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    let mut downs: HashSet<(i64, &str)> = HashSet::with_capacity(incidents.len());
    let mut customers: HashSet<&str> = HashSet::new();
    let mut kept: HashSet<&str> = HashSet::new();
    // Services changed otherwise than down and announced: their customers stay.
    let mut other: HashSet<(i64, &str)> = HashSet::new();
    for c in incidents {
        match c {
            IncidentChange::ServiceDown {
                id,
                service,
                customer,
                ..
            } => {
                let fresh = downs.insert((*id, service.as_str()));
                match customer.as_deref() {
                    Some(who) if fresh && !resolved.contains(id) => {
                        customers.insert(who);
                    }
                    Some(who) => {
                        kept.insert(who);
                    }
                    None => {}
                }
            }
            IncidentChange::Announce { id, customer, .. } => match customer.as_deref() {
                Some(who) if !resolved.contains(id) => {
                    customers.insert(who);
                }
                Some(who) => {
                    kept.insert(who);
                }
                None => {}
            },
            IncidentChange::ServiceUp { id, service, .. } => {
                other.insert((*id, service.as_str()));
            }
            _ => {}
        }
    }
    // A service that also came back up: its customer stays in the first commit.
    for c in incidents {
        if let IncidentChange::ServiceDown {
            id,
            service,
            customer: Some(who),
            ..
        }
        | IncidentChange::Announce {
            id,
            service,
            customer: Some(who),
        } = c
        {
            if other.contains(&(*id, service.as_str())) {
                kept.insert(who.as_str());
            }
        }
    }
    customers.retain(|c| !kept.contains(c));
    customers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(id: i64, service: &str, customer: &str) -> IncidentChange {
        IncidentChange::ServiceDown {
            id,
            service: service.to_owned(),
            customer: Some(customer.to_owned()),
            at_ms: 1_000,
        }
    }

    fn announce(id: i64, service: &str, customer: &str) -> IncidentChange {
        IncidentChange::Announce {
            id,
            service: service.to_owned(),
            customer: Some(customer.to_owned()),
        }
    }

    fn notice(customer: &str, contact: &str) -> NewNotice {
        NewNotice {
            incident_id: 1,
            customer: customer.to_owned(),
            contact: contact.to_owned(),
            language: "en".to_owned(),
            kind: "opened".to_owned(),
            payload: "{}".to_owned(),
            created_ms: 1_000,
        }
    }

    fn names(part: &Part) -> (Vec<String>, Vec<String>) {
        let changes = part
            .incidents
            .iter()
            .map(|c| match c {
                IncidentChange::Open { .. } => "open".to_owned(),
                IncidentChange::ServiceDown { service, .. } => format!("down {service}"),
                IncidentChange::Announce { service, .. } => format!("announce {service}"),
                IncidentChange::ServiceUp { service, .. } => format!("up {service}"),
                IncidentChange::Resolve { id, .. } => format!("resolve {id}"),
                IncidentChange::Roots { .. } => "roots".to_owned(),
            })
            .collect();
        let notices = part.notices.iter().map(|n| n.contact.clone()).collect();
        (changes, notices)
    }

    #[test]
    fn a_customers_notices_come_before_its_changes_and_its_downs_are_deferred() {
        let incidents = vec![
            IncidentChange::Open {
                id: 1,
                title: "sw down".to_owned(),
                roots: vec!["sw".to_owned()],
                at_ms: 1_000,
            },
            down(1, "a1", "a"),
            down(1, "b1", "b"),
            down(1, "c1", "c"),
            down(1, "c2", "c"),
            announce(1, "a1", "a"),
            announce(1, "b1", "b"),
            announce(1, "c1", "c"),
            announce(1, "c2", "c"),
        ];
        let notices = vec![
            notice("a", "a@x"),
            notice("b", "b@x"),
            notice("b", "b2@x"),
            notice("c", "c@x"),
            notice("", "lead@x"),
        ];
        // The lead's notice cannot move, and counts in the first part's two.
        let split = split(incidents, notices, 2, 2, 2);
        let parts: Vec<_> = split.parts.iter().map(names).collect();
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            parts,
            [
                (
                    strings(&["open", "down a1", "announce a1"]),
                    strings(&["a@x", "lead@x"])
                ),
                (vec![], strings(&["b@x", "b2@x"])),
                (vec![], strings(&["c@x"])),
                (strings(&["down b1", "announce b1"]), vec![]),
                (
                    strings(&["down c1", "down c2", "announce c1", "announce c2"]),
                    vec![]
                ),
            ]
        );
        assert_eq!(
            split.defer,
            vec![down(1, "b1", "b"), down(1, "c1", "c"), down(1, "c2", "c")]
        );
    }

    #[test]
    fn a_customer_with_any_other_change_stays_in_the_first_part() {
        let incidents = vec![
            down(1, "a1", "a"),
            IncidentChange::ServiceUp {
                id: 1,
                service: "a1".to_owned(),
                down_total_ms: 5,
            },
            down(1, "b1", "b"),
            down(1, "b1", "b"),
            down(2, "c1", "c"),
            IncidentChange::Resolve {
                id: 2,
                at_ms: 2_000,
            },
            down(1, "d1", "d"),
            announce(1, "d1", "d"),
        ];
        let notices = vec![
            notice("a", "a@x"),
            notice("b", "b@x"),
            notice("c", "c@x"),
            notice("d", "d@x"),
        ];
        let split = split(incidents, notices, 1, 1, 1);
        let parts: Vec<_> = split.parts.iter().map(names).collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts[0].1,
            ["a@x".to_owned(), "b@x".to_owned(), "c@x".to_owned()]
        );
        assert_eq!(parts[1], (vec![], vec!["d@x".to_owned()]));
        assert_eq!(
            parts[2],
            (vec!["down d1".to_owned(), "announce d1".to_owned()], vec![])
        );
        assert_eq!(split.defer, vec![down(1, "d1", "d")]);
    }

    #[test]
    fn small_stretches_stay_whole() {
        let split = split(
            vec![down(1, "a1", "a"), announce(1, "a1", "a")],
            vec![notice("a", "a@x")],
            1,
            1,
            1,
        );
        assert_eq!(split.parts.len(), 1);
        assert!(split.defer.is_empty());
    }
}
