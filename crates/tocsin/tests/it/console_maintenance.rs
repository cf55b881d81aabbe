//! The console's maintenance windows as subscribed calendars see them: a cancelled window
//! stays in `/maintenance.ics` as the same event, cancelled, and leaves every other output; a
//! moved one keeps its event with the new times and a higher `SEQUENCE`. Part of the console
//! test's scenario (`console.rs`), kept apart so that each file stays readable.

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
/// cancels the first and moves the second, as `lead`, checking what the public outputs and
/// the calendar show after each.
pub(crate) fn cancel_and_move(addr: &str, lead: &Browser, page: &str) {
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
    let [cancel, moving] = &ids[..] else {
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
        [format!("maintenance-{moving}")],
        "{summary}"
    );
    assert_ne!(summary["components"][0]["status"], "under_maintenance");
    let again = lead.post_raw(&path, &form_encode(&[("csrf", &csrf)]));
    assert_eq!(again.status, 400, "cancelled once only");
    assert!(again.body.contains("cancelled already?"));
    assert!(!lead
        .get(page)
        .body
        .contains(&format!("/console/maintenance/{cancel}/move")));

    // Moving: bad input names the field and changes nothing.
    let path = format!("/console/maintenance/{moving}/move");
    let to = |starts: &'static str, ends: &'static str| [("starts", starts), ("ends", ends)];
    let backwards = lead.post_form(page, &path, &to("2098-03-02T00:00", "2098-03-01T00:00"));
    assert_eq!(backwards.status, 400);
    assert!(backwards
        .body
        .contains("ends: the window must end after it starts"));
    assert!(
        backwards.body.contains("value=\"2098-03-02T00:00\""),
        "the form keeps its input"
    );
    let garbled = lead.post_form(page, &path, &to("2098-03-01T00:00", "tomorrow"));
    assert_eq!(garbled.status, 400);
    assert!(garbled.body.contains("ends: a date and time (UTC)"));
    let over = lead.post_form(page, &path, &to("2001-01-01T00:00", "2001-01-01T02:00"));
    assert!(over.status == 400 && over.body.contains("ends: the window is already over"));
    let gone = lead.post_form(
        page,
        &format!("/console/maintenance/{cancel}/move"),
        &to("2098-03-01T00:00", "2098-03-01T02:00"),
    );
    assert!(gone.status == 400 && gone.body.contains("no window"));
    let unsigned = form_encode(&to("2098-03-01T00:00", "2098-03-01T02:00"));
    assert_eq!(lead.post_raw(&path, &unsigned).status, 403);
    let e = event_when(addr, moving, "the window to come", |_| true);
    assert!(e.contains("SEQUENCE:0\r\n"), "nothing moved yet: {e}");

    let moved = lead.post_form(page, &path, &to("2098-03-01T22:00", "2098-03-02T01:30"));
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert_eq!(
        moved.header("location"),
        Some("/console/components?done=moved")
    );
    let e = event_when(addr, moving, "the move", |e| e.contains("SEQUENCE:1\r\n"));
    assert!(
        e.contains("DTSTART:20980301T220000Z\r\nDTEND:20980302T013000Z\r\n"),
        "{e}"
    );
    assert!(e.contains("STATUS:CONFIRMED\r\n"), "{e}");
    let summary = json_of(&http(addr, "GET", "/api/v2/summary.json", "").1);
    let m = &summary["scheduled_maintenances"][0];
    assert_eq!(m["scheduled_for"], "2098-03-01T22:00:00Z", "{summary}");
    assert_eq!(m["scheduled_until"], "2098-03-02T01:30:00Z");
    let audit = lead.get("/console/audit").body;
    assert!(audit.contains("maintenance.move"), "{audit}");
    assert!(
        audit.contains("2098-01-01 00:00 UTC"),
        "old times audited: {audit}"
    );
}
