//! Maintenance in the client area, through `tocsin serve`: a window planned over the API on a
//! switch shows in the calendar, the private feed and the overview of the customer whose
//! service it takes down (naming that service, never the switch), and nowhere for the
//! customer whose service it only leaves without redundancy; moved and cancelled, the same
//! calendar event follows with a higher `SEQUENCE`, then `STATUS:CANCELLED`.

use serde_json::Value;

use crate::mail::{smtp_config, Keeper};
use crate::serve::{add_account, http, json_of, start, PASSWORD};
use crate::session::{exchange, login, Reply};

const JANA: &str = "jana@acme.example";
const PIOTR: &str = "piotr@beta.example";

/// sw-a alone takes acme's vps-1 down; beta's vps-2 is dual-homed on sw-a and sw-b.
const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
  - {id: sw-b, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [sw-a]}
  - {id: hv-2, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
services:
  - {id: vps-1, customer: acme, name: acme-web, component: c-cloud, requires: [hv-1]}
  - {id: vps-2, customer: beta, name: beta-shop, component: c-shops, requires: [hv-2]}
components:
  - {id: c-cloud, name: Cloud}
  - {id: c-shops, name: Shops}
"#;

/// The address the overview links with `prefix` (`feed` or `maintenance`), unescaped.
fn linked(overview: &str, prefix: &str) -> String {
    let needle = format!("&#x2f;account&#x2f;{prefix}&#x2f;");
    let at = overview
        .find(&needle)
        .unwrap_or_else(|| panic!("no {prefix} link: {overview}"));
    let end = at + overview[at..].find('"').unwrap();
    overview[at..end].replace("&#x2f;", "/")
}

fn anonymous(addr: &str, path: &str) -> Reply {
    exchange(addr, "GET", path, "", "")
}

/// The calendar at `path`, checked as a calendar client would take it, unfolded.
fn calendar(addr: &str, path: &str) -> String {
    let r = anonymous(addr, path);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert!(r.body.starts_with("BEGIN:VCALENDAR\r\n"), "{}", r.body);
    assert!(r.body.ends_with("END:VCALENDAR\r\n"), "{}", r.body);
    for line in r.body.split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
    }
    r.body.replace("\r\n ", "")
}

fn post(addr: &str, path: &str, body: &str) -> Value {
    let (status, reply) = http(addr, "POST", path, body);
    assert!(status == 200 || status == 201, "{path}: {status} {reply}");
    json_of(&reply)
}

#[test]
fn a_window_shows_to_the_customer_it_takes_down_and_not_to_one_only_at_risk() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = smtp_config(
        dir.path(),
        keeper.port,
        INVENTORY,
        "",
        "0s",
        "[sla]\ntime_zone = \"Europe/Prague\"\n",
    );
    add_account(&config, JANA, "customer", Some("acme"));
    add_account(&config, PIOTR, "customer", Some("beta"));
    let server = start(&config);
    let addr = &server.addr;
    let jana = login(addr, JANA, PASSWORD).ok().unwrap();
    let piotr = login(addr, PIOTR, PASSWORD).ok().unwrap();
    let overview = jana.get("/account").body;
    let acme_calendar = linked(&overview, "maintenance");
    let acme_feed = linked(&overview, "feed");
    let token = acme_feed
        .strip_prefix("/account/feed/")
        .and_then(|f| f.strip_suffix(".atom"))
        .unwrap();
    assert_eq!(acme_calendar, format!("/account/maintenance/{token}.ics"));
    let beta_calendar = linked(&piotr.get("/account").body, "maintenance");
    assert!(!calendar(addr, &acme_calendar).contains("BEGIN:VEVENT"));
    // A wrong token, or the feed's file name, is no calendar.
    let zeros = format!("/account/maintenance/{}.ics", "0".repeat(64));
    assert_eq!(anonymous(addr, &zeros).status, 404);
    assert_eq!(
        anonymous(addr, &format!("/account/maintenance/{token}.atom")).status,
        404
    );

    let planned = post(
        addr,
        "/api/v1/maintenance",
        r#"{"title":"Core switch <upgrade>; night","description":"One side at a time.",
            "targets":["sw-a"],"start":"2099-01-01T22:00:00Z","end":"2099-01-02T02:00:00Z"}"#,
    );
    assert_eq!(planned["affected_customers"], serde_json::json!(["acme"]));
    assert_eq!(planned["at_risk_customers"], serde_json::json!(["beta"]));
    let id = planned["id"].as_i64().unwrap();

    let ics = calendar(addr, &acme_calendar);
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1, "{ics}");
    assert!(
        ics.contains(&format!("UID:maintenance-{id}.acme@tocsin\r\n")),
        "{ics}"
    );
    assert!(ics.contains("SEQUENCE:0\r\nDTSTART:20990101T220000Z\r\nDTEND:20990102T020000Z\r\n"));
    assert!(
        ics.contains("SUMMARY:Core switch <upgrade>\\; night\r\n"),
        "{ics}"
    );
    assert!(ics.contains("acme-web (vps-1)"), "{ics}");
    assert!(
        ics.contains("2099-01-01 23:00 CET"),
        "the provider's zone: {ics}"
    );
    assert!(ics.contains("STATUS:CONFIRMED\r\n"));
    for never in ["sw-a", "sw-b", "hv-1", "hv-2", "vps-2", "beta-shop"] {
        assert!(!ics.contains(never), "{never} in {ics}");
    }
    // Beta's service is only at risk: beta is not told, and sees nothing.
    let beta = calendar(addr, &beta_calendar);
    assert!(!beta.contains("BEGIN:VEVENT"), "{beta}");
    let page = piotr.get("/account").body;
    assert!(!page.contains("Core switch"), "{page}");

    let page = jana.get("/account").body;
    assert!(page.contains(&format!("id=\"maintenance-{id}\"")), "{page}");
    assert!(
        page.contains("Core switch &lt;upgrade&gt;; night"),
        "{page}"
    );
    assert!(
        page.contains("2099-01-01 22:00 – 2099-01-02 02:00 UTC"),
        "{page}"
    );
    assert!(page.contains("2099-01-01 23:00 CET"), "{page}");
    assert!(
        page.contains("acme-web (vps-1)") && !page.contains("sw-a"),
        "{page}"
    );

    let feed = anonymous(addr, &acme_feed);
    assert_eq!(feed.status, 200);
    let parsed = atom_syndication::Feed::read_from(feed.body.as_bytes()).unwrap();
    let entry = |f: &atom_syndication::Feed| {
        f.entries()
            .iter()
            .find(|e| e.id().ends_with(&format!(":maintenance:{id}")))
            .cloned()
            .unwrap_or_else(|| panic!("no window in the feed: {f:?}"))
    };
    let e = entry(&parsed);
    assert_eq!(
        e.title().as_str(),
        "Planned maintenance: Core switch <upgrade>; night"
    );
    assert!(e
        .links()
        .iter()
        .any(|l| l.mime_type() == Some("text/calendar") && l.href().ends_with(&acme_calendar)));
    assert!(!feed.body.contains("sw-a") && !feed.body.contains("beta-shop"));
    let beta_feed = anonymous(addr, &linked(&piotr.get("/account").body, "feed"));
    assert!(
        !beta_feed.body.contains("Core switch"),
        "{}",
        beta_feed.body
    );

    // Moved: the same event with the new times and a higher sequence.
    post(
        addr,
        &format!("/api/v1/maintenance/{id}/move"),
        r#"{"start":"2099-01-08T22:00:00Z","end":"2099-01-09T02:00:00Z"}"#,
    );
    let ics = calendar(addr, &acme_calendar);
    assert!(
        ics.contains("SEQUENCE:1\r\nDTSTART:20990108T220000Z\r\n"),
        "{ics}"
    );
    // Cancelled: kept, cancelled, gone from the overview; the feed's entry is updated.
    post(
        addr,
        &format!("/api/v1/maintenance/{id}/cancel"),
        r#"{"reason":"vendor delay"}"#,
    );
    let ics = calendar(addr, &acme_calendar);
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1, "{ics}");
    assert!(ics.contains(&format!("UID:maintenance-{id}.acme@tocsin\r\n")));
    assert!(ics.contains("SEQUENCE:2\r\n"), "{ics}");
    assert!(ics.contains("STATUS:CANCELLED\r\n"), "{ics}");
    assert!(ics.contains("SUMMARY:Cancelled: Core switch"), "{ics}");
    assert!(!jana.get("/account").body.contains("Core switch"));
    let cancelled = entry(
        &atom_syndication::Feed::read_from(anonymous(addr, &acme_feed).body.as_bytes()).unwrap(),
    );
    assert!(cancelled
        .title()
        .as_str()
        .starts_with("Cancelled maintenance: "));
    assert!(!calendar(addr, &beta_calendar).contains("BEGIN:VEVENT"));
}
