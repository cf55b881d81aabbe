//! The console's maintenance windows as subscribed calendars see them: a cancelled window
//! stays in `/maintenance.ics` as the same event, cancelled, and leaves every other output.
//! Part of the console test's scenario (`console.rs`), kept apart so that each file stays
//! readable.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::serve::{http, json_of};
use crate::session::{csrf_of, form_encode, Browser};

/// The `VEVENT` of window `id` in `ics`, unfolded; `None` when it is not there.
fn event(ics: &str, id: &str) -> Option<String> {
    let unfolded = ics.replace("\r\n ", "");
    let at = unfolded.find(&format!("UID:maintenance-{id}@"))?;
    let end = unfolded[at..].find("END:VEVENT")? + at;
    Some(unfolded[at..end].to_owned())
}

/// Polls the calendar until window `id`'s event satisfies `pred`; returns the event.
fn event_when(addr: &str, id: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, ics) = http(addr, "GET", "/maintenance.ics", "");
        assert_eq!(status, 200);
        if let Some(e) = event(&ics, id).filter(|e| pred(e)) {
            return e;
        }
        assert!(Instant::now() < deadline, "never saw {what}: {ics}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn listed_ids(summary: &Value) -> Vec<String> {
    summary["scheduled_maintenances"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|w| w["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// With two windows planned on `page` (the first listed in progress, the second to come):
/// cancels the first as `lead`, checking what the public outputs and the calendar show.
pub(crate) fn cancel(addr: &str, lead: &Browser, page: &str) {
    let listed = lead.get(page).body;
    let ids: Vec<String> = listed
        .split("action=\"/console/maintenance/")
        .skip(1)
        .filter_map(|s| s.split('/').next().map(str::to_owned))
        .fold(Vec::new(), |mut v, id| {
            if !v.contains(&id) {
                v.push(id);
            }
            v
        });
    let [cancel, other] = &ids[..] else {
        panic!("two windows with forms expected, got {ids:?}: {listed}");
    };
    let before = event_when(addr, cancel, "the window", |e| {
        e.contains("STATUS:CONFIRMED")
    });
    assert!(before.contains("SEQUENCE:0\r\n"), "{before}");

    // Cancelling: CSRF checked, then the event stays, cancelled, with a higher sequence.
    let path = format!("/console/maintenance/{cancel}/cancel");
    assert_eq!(lead.post_raw(&path, "").status, 403);
    let csrf = csrf_of(&listed).unwrap();
    let cancelled = lead.post_raw(&path, &form_encode(&[("csrf", &csrf)]));
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    let e = event_when(addr, cancel, "the cancellation", |e| {
        e.contains("STATUS:CANCELLED\r\n")
    });
    assert!(e.contains("SEQUENCE:1\r\n"), "{e}");
    assert!(e.contains("DTEND:20990101T000000Z\r\n"), "{e}");
    let summary = json_of(&http(addr, "GET", "/api/v2/summary.json", "").1);
    assert_eq!(
        listed_ids(&summary),
        [format!("maintenance-{other}")],
        "{summary}"
    );
    assert_ne!(summary["components"][0]["status"], "under_maintenance");
    let again = lead.post_raw(&path, &form_encode(&[("csrf", &csrf)]));
    assert_eq!(again.status, 400, "cancelled once only");
    assert!(again.body.contains("cancelled already?"));
    assert!(!lead.get(page).body.contains(&path), "no form for it");
}
