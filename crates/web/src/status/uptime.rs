//! Daily uptime of each component over the last 90 days, from the outage intervals stored with
//! incidents.
//!
//! What the rows support: per service and incident, when it first went down
//! (`first_down_ms`), the total of its down intervals already over (`down_total_ms`) and, while
//! down, since when (`down_since_ms`). The closed intervals themselves are not kept, so their
//! total is placed as one interval starting at `first_down_ms`. That is exact for a service
//! that went down once in an incident (the common case); for one that flapped, down time may
//! be attributed earlier than it happened, possibly to the previous day, but the total is
//! always right. A day with no recorded outage counts as fully up: Tocsin does not record when
//! monitoring itself was blind.

use tocsin_model::inventory::NONE;
use tocsin_model::Inventory;
use tocsin_store::IncidentRow;

use super::time::DAY_MS;

/// How many days of history the bars show.
pub(crate) const DAYS: usize = 90;

/// Down time per component (in inventory order) and per day, oldest day first; the last day
/// is today (UTC) up to `now_ms`.
pub(crate) fn daily_down<'a>(
    inventory: &Inventory,
    incidents: impl Iterator<Item = &'a IncidentRow>,
    now_ms: i64,
) -> Vec<[i64; DAYS]> {
    let mut down = vec![[0i64; DAYS]; inventory.components.len()];
    let first_day = now_ms.div_euclid(DAY_MS) - (DAYS as i64 - 1);
    let window_start = first_day * DAY_MS;
    for incident in incidents {
        for s in &incident.services {
            let Some(component) = component_of(inventory, &s.service) else {
                continue;
            };
            let Some(days) = down.get_mut(component) else {
                continue;
            };
            for (start, end) in intervals(s, incident.resolved_ms, now_ms) {
                add(days, start.max(window_start), end.min(now_ms), first_day);
            }
        }
    }
    down
}

/// The component of service `id`, if it has one.
pub(crate) fn component_of(inventory: &Inventory, id: &str) -> Option<usize> {
    let v = inventory.graph.find(id)?;
    let service = inventory.service_of(v)?;
    (service.component != NONE).then_some(service.component as usize)
}

/// The down intervals of one service in one incident, as far as the row tells.
fn intervals(
    s: &tocsin_store::IncidentServiceRow,
    resolved_ms: Option<i64>,
    now_ms: i64,
) -> [(i64, i64); 2] {
    let closed_end = (s.first_down_ms + s.down_total_ms.max(0))
        .min(s.down_since_ms.unwrap_or(i64::MAX))
        .min(resolved_ms.unwrap_or(i64::MAX));
    let open = s.down_since_ms.map_or((0, 0), |since| (since, now_ms));
    [(s.first_down_ms, closed_end), open]
}

fn add(days: &mut [i64; DAYS], start: i64, end: i64, first_day: i64) {
    let mut t = start;
    while t < end {
        let day = t.div_euclid(DAY_MS);
        let day_end = (day + 1) * DAY_MS;
        let upto = end.min(day_end);
        if let Some(slot) = usize::try_from(day - first_day)
            .ok()
            .and_then(|i| days.get_mut(i))
        {
            *slot += upto - t;
        }
        t = upto;
    }
}

/// Uptime in percent, rounded down to two decimals so that a short outage never shows as
/// 100 %, given down time summed over `services` services during `span_ms`.
pub(crate) fn percent(down_ms: i64, services: u32, span_ms: i64) -> Option<f64> {
    if services == 0 || span_ms <= 0 {
        return None;
    }
    let whole = span_ms as f64 * f64::from(services);
    let up = (1.0 - down_ms as f64 / whole).clamp(0.0, 1.0);
    Some((up * 10_000.0).floor() / 100.0)
}

/// How long day `index` (0 = oldest) of the window ending at `now_ms` has lasted so far.
pub(crate) fn span_of_day(index: usize, now_ms: i64) -> i64 {
    if index + 1 == DAYS {
        now_ms.rem_euclid(DAY_MS).max(1)
    } else {
        DAY_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_store::IncidentServiceRow;

    fn row(first: i64, total: i64, since: Option<i64>, resolved: Option<i64>) -> IncidentRow {
        IncidentRow {
            id: 1,
            status: "investigating".into(),
            title: String::new(),
            roots: vec![],
            opened_ms: first,
            resolved_ms: resolved,
            services: vec![IncidentServiceRow {
                service: "s".into(),
                customer: None,
                down_since_ms: since,
                down_total_ms: total,
                first_down_ms: first,
                announced: false,
            }],
        }
    }

    #[test]
    fn intervals_split_at_midnight_and_run_to_now() {
        let now = 100 * DAY_MS + 6 * 3_600_000;
        let mut days = [0; DAYS];
        let first_day = now / DAY_MS - 89;
        let r = row(
            99 * DAY_MS + 23 * 3_600_000,
            0,
            Some(99 * DAY_MS + 23 * 3_600_000),
            None,
        );
        for (a, b) in intervals(&r.services[0], None, now) {
            add(&mut days, a, b, first_day);
        }
        assert_eq!(days[88], 3_600_000);
        assert_eq!(days[89], 6 * 3_600_000);
        assert_eq!(days.iter().sum::<i64>(), 7 * 3_600_000);
    }

    #[test]
    fn closed_time_starts_at_first_down_and_never_passes_resolution() {
        let r = row(1_000, 5_000, None, Some(4_000));
        let [closed, open] = intervals(&r.services[0], r.resolved_ms, 10_000);
        assert_eq!(closed, (1_000, 4_000));
        assert_eq!(open, (0, 0));
        let r = row(1_000, 500, Some(3_000), None);
        let [closed, open] = intervals(&r.services[0], None, 10_000);
        assert_eq!(closed, (1_000, 1_500));
        assert_eq!(open, (3_000, 10_000));
    }

    #[test]
    fn outside_the_window_is_ignored() {
        let now = 200 * DAY_MS;
        let mut days = [0; DAYS];
        add(&mut days, 0, 5 * DAY_MS, now / DAY_MS - 89);
        assert_eq!(days.iter().sum::<i64>(), 0);
    }

    #[test]
    fn percent_rounds_down_and_needs_services() {
        assert_eq!(percent(0, 2, DAY_MS), Some(100.0));
        assert_eq!(percent(1, 1, DAY_MS), Some(99.99));
        assert_eq!(percent(DAY_MS, 2, DAY_MS), Some(50.0));
        assert_eq!(percent(3 * DAY_MS, 2, DAY_MS), Some(0.0));
        assert_eq!(percent(0, 0, DAY_MS), None);
        assert_eq!(span_of_day(89, 3 * DAY_MS + 10), 10);
        assert_eq!(span_of_day(3, 3 * DAY_MS + 10), DAY_MS);
    }
}
