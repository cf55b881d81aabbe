//! The drills due, as the printed runbooks list them: the occurrences in the printed window
//! and the earlier ones that still have no result (overdue). The drills register expands
//! recurrences; this only chooses and orders what to print.

use serde::Serialize;

/// A drill of the register as the printed runbooks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredDrill {
    /// Title.
    pub title: String,
    /// The vertices it takes down.
    pub targets: Vec<String>,
    /// How long each occurrence lasts.
    pub duration_ms: i64,
    /// Whether customers are told (it is then planned maintenance).
    pub announced: bool,
    /// Starts of its occurrences (the recurrence expanded in the provider's zone), from its
    /// first up to the end of the printed window.
    pub occurrences_ms: Vec<i64>,
    /// Starts of the occurrences that have a result.
    pub with_result_ms: Vec<i64>,
}

/// One occurrence of a drill to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueDrill {
    /// Title.
    pub title: String,
    /// The vertices it takes down.
    pub targets: Vec<String>,
    /// When the occurrence starts.
    pub occurrence_ms: i64,
    /// How long it lasts.
    pub duration_ms: i64,
    /// Whether customers are told.
    pub announced: bool,
    /// In the past without a result.
    pub overdue: bool,
}

/// The occurrences starting in `from_ms..to_ms`, and those before `from_ms` without a result,
/// earliest first (then by title).
pub fn drills_due(drills: &[RegisteredDrill], from_ms: i64, to_ms: i64) -> Vec<DueDrill> {
    let mut due = Vec::new();
    for d in drills {
        for &at in &d.occurrences_ms {
            let overdue = at < from_ms && !d.with_result_ms.contains(&at);
            if overdue || (from_ms..to_ms).contains(&at) {
                due.push(DueDrill {
                    title: d.title.clone(),
                    targets: d.targets.clone(),
                    occurrence_ms: at,
                    duration_ms: d.duration_ms,
                    announced: d.announced,
                    overdue,
                });
            }
        }
    }
    due.sort_by(|a, b| {
        a.occurrence_ms
            .cmp(&b.occurrence_ms)
            .then_with(|| a.title.cmp(&b.title))
    });
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn drill(title: &str, occurrences: &[i64], with_result: &[i64]) -> RegisteredDrill {
        RegisteredDrill {
            title: title.to_owned(),
            targets: vec!["ups-a".to_owned()],
            duration_ms: H / 4,
            announced: false,
            occurrences_ms: occurrences.to_vec(),
            with_result_ms: with_result.to_vec(),
        }
    }

    #[test]
    fn due_are_the_window_and_the_past_without_a_result_earliest_first() {
        let now = 1_000 * H;
        let drills = [
            drill(
                "UPS",
                &[now - 48 * H, now - 24 * H, now + 2 * H],
                &[now - 24 * H],
            ),
            drill("Generator", &[now + H, now + 15 * 24 * H], &[]),
        ];
        let due = drills_due(&drills, now, now + 14 * 24 * H);
        let got: Vec<(&str, i64, bool)> = due
            .iter()
            .map(|d| (d.title.as_str(), d.occurrence_ms, d.overdue))
            .collect();
        assert_eq!(
            got,
            [
                ("UPS", now - 48 * H, true),
                ("Generator", now + H, false),
                ("UPS", now + 2 * H, false),
            ]
        );
        assert!(drills_due(&[], now, now + H).is_empty());
    }
}
