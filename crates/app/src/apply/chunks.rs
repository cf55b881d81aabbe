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
    // Customers numbered once, each change's and each notice's: what follows keeps per
    // customer a slot of an array, not a hashed string (a fan-out has 320,000 changes).
    let (change_customer, notice_customer, customers) = {
        let mut numbering = Numbering::default();
        let changes: Vec<u32> = incidents
            .iter()
            .map(|c| customer_of(c).map_or(NONE, |c| numbering.of(c)))
            .collect();
        let notices: Vec<u32> = notices.iter().map(|n| numbering.of(&n.customer)).collect();
        (changes, notices, numbering.numbers.len())
    };
    let movable = movable_customers(&incidents, &change_customer, customers);
    // Customers in the order their notices come, each with how many it has.
    let mut order: Vec<u32> = Vec::new();
    let mut count = vec![0usize; customers];
    for &c in &notice_customer {
        if !movable[c as usize] {
            continue;
        }
        if count[c as usize] == 0 {
            order.push(c);
        }
        count[c as usize] += 1;
    }
    // The part of each customer's notices: 0 keeps it (its changes too) in the first commit,
    // with the notices that cannot move.
    let mut notices_in = vec![0usize; customers];
    let staying = notices.len() - count.iter().sum::<usize>();
    let (mut part, mut filled, mut size) = (0, staying, first);
    for c in order {
        if filled >= size {
            part += 1;
            filled = 0;
            size = each;
        }
        notices_in[c as usize] = part;
        filled += count[c as usize];
    }
    if part == 0 {
        return whole(incidents, notices);
    }
    // The part of the changes of each customer whose notices left the first: after every
    // part of notices, about `rows` changes each, customers in the order their changes come.
    let mut changes_of = vec![0usize; customers];
    let mut by_changes: Vec<u32> = Vec::new();
    for &c in &change_customer {
        if c != NONE && notices_in[c as usize] > 0 {
            if changes_of[c as usize] == 0 {
                by_changes.push(c);
            }
            changes_of[c as usize] += 1;
        }
    }
    // 0: the change stays in the first part.
    let mut changes_in = vec![0usize; customers];
    let mut filled = rows;
    for c in by_changes {
        if filled >= rows {
            part += 1;
            filled = 0;
        }
        changes_in[c as usize] = part;
        filled += changes_of[c as usize];
    }
    // Every part sized before it is filled: grown by doubling, a fan-out's parts were
    // copied over and over (a tenth of the split's time).
    let part_of = |c: u32| changes_in.get(c as usize).copied().unwrap_or(0);
    let mut sizes = vec![(0usize, 0usize); part + 1];
    let mut deferred = 0;
    for (change, &c) in incidents.iter().zip(&change_customer) {
        let p = part_of(c);
        sizes[p].0 += 1;
        if p > 0 && matches!(change, IncidentChange::ServiceDown { .. }) {
            deferred += 1;
        }
    }
    for &c in &notice_customer {
        sizes[notices_in[c as usize]].1 += 1;
    }
    let mut parts: Vec<Part> = sizes
        .iter()
        .map(|&(changes, notices)| Part {
            incidents: Vec::with_capacity(changes),
            notices: Vec::with_capacity(notices),
        })
        .collect();
    let mut defer = Vec::with_capacity(deferred);
    for (change, c) in incidents.into_iter().zip(change_customer) {
        match part_of(c) {
            0 => parts[0].incidents.push(change),
            p => {
                if matches!(change, IncidentChange::ServiceDown { .. }) {
                    defer.push(change.clone());
                }
                parts[p].incidents.push(change);
            }
        }
    }
    for (n, c) in notices.into_iter().zip(notice_customer) {
        parts[notices_in[c as usize]].notices.push(n);
    }
    Split { parts, defer }
}

/// A change about no customer (or not one that may move).
const NONE: u32 = u32::MAX;

/// Customers numbered in the order first seen.
#[derive(Default)]
struct Numbering<'a> {
    numbers: HashMap<&'a str, u32>,
    /// The last customer numbered: a customer's changes mostly come together.
    last: Option<(&'a str, u32)>,
}

impl<'a> Numbering<'a> {
    /// The number of customer `c`, a new one when first seen.
    fn of(&mut self, c: &'a str) -> u32 {
        if let Some((last, n)) = self.last {
            if last == c {
                return n;
            }
        }
        let next = self.numbers.len() as u32;
        let n = *self.numbers.entry(c).or_insert(next);
        self.last = Some((c, n));
        n
    }
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

/// Which of the `customers` (numbered as in `who`, each change's) may have all their changes
/// written after the first commit: each of their services goes down at most once and is
/// otherwise only announced, and none of their incidents is resolved in the stretch. Anything
/// else about a service (it came back up, its row changes twice) keeps its customer in the
/// first commit, where the order is the stretch's.
fn movable_customers(incidents: &[IncidentChange], who: &[u32], customers: usize) -> Vec<bool> {
    let resolved: HashSet<i64> = incidents
        .iter()
        .filter_map(|c| match c {
            IncidentChange::Resolve { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    let mut downs: HashSet<(i64, &str)> = HashSet::with_capacity(incidents.len());
    let mut seen = vec![false; customers];
    let mut kept = vec![false; customers];
    // Services changed otherwise than down and announced: their customers stay.
    let mut other: HashSet<(i64, &str)> = HashSet::new();
    for (c, &who) in incidents.iter().zip(who) {
        let slot = (who != NONE).then_some(who as usize);
        match c {
            IncidentChange::ServiceDown { id, service, .. } => {
                let fresh = downs.insert((*id, &**service));
                if let Some(w) = slot {
                    if fresh && !resolved.contains(id) {
                        seen[w] = true;
                    } else {
                        kept[w] = true;
                    }
                }
            }
            IncidentChange::Announce { id, .. } => {
                if let Some(w) = slot {
                    if resolved.contains(id) {
                        kept[w] = true;
                    } else {
                        seen[w] = true;
                    }
                }
            }
            IncidentChange::ServiceUp { id, service, .. } => {
                other.insert((*id, &**service));
            }
            _ => {}
        }
    }
    // A service that also came back up: its customer stays in the first commit.
    if !other.is_empty() {
        for (c, &who) in incidents.iter().zip(who) {
            if let IncidentChange::ServiceDown { id, service, .. }
            | IncidentChange::Announce { id, service, .. } = c
            {
                if who != NONE && other.contains(&(*id, &**service)) {
                    kept[who as usize] = true;
                }
            }
        }
    }
    seen.iter().zip(&kept).map(|(&s, &k)| s && !k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(id: i64, service: &str, customer: &str) -> IncidentChange {
        IncidentChange::ServiceDown {
            id,
            service: service.into(),
            customer: Some(customer.into()),
            at_ms: 1_000,
        }
    }

    fn announce(id: i64, service: &str, customer: &str) -> IncidentChange {
        IncidentChange::Announce {
            id,
            service: service.into(),
            customer: Some(customer.into()),
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
                service: "a1".into(),
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
