//! Unit tests of maintenance windows in the client area: which customers a window concerns,
//! what their calendar, feed and overview say of it, and that nothing of the provider's
//! topology or of another customer shows.

use minijinja::context;
use tocsin_model::inventory::Language;
use tocsin_model::time::{human, ical};
use tocsin_model::Inventory;
use tocsin_store::Maintenance;

use super::calendar::ics;
use super::env;
use super::i18n::texts;
use super::view::{self, WindowView};

const NOW: i64 = 1_795_341_600_000;
const HOUR: i64 = 3_600_000;

/// sw-a alone takes acme's vps-1 down; beta's vps-2 is dual-homed on sw-a and sw-b, so only
/// at risk; gamma's vps-5 shares acme's component but hangs on sw-b only.
fn inventory() -> Inventory {
    tocsin_inventory::load_str(
        "t.yaml",
        r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
  - {id: sw-b, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [sw-a]}
  - {id: hv-2, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
customers:
  - {id: acme, name: "ACME <b>s.r.o.</b>", contacts: [{email: ops@acme.example, language: cs}]}
  - {id: beta, name: Beta, contacts: [{email: it@beta.example, language: pl}]}
  - {id: gamma, name: Gamma, contacts: [{email: it@gamma.example, language: en}]}
services:
  - {id: vps-1, customer: acme, name: "<script>alert(1)</script>", component: c-cloud, requires: [hv-1]}
  - {id: vps-9, customer: acme, component: c-cloud, requires: [sw-b]}
  - {id: vps-2, customer: beta, name: beta-shop, component: c-shops, requires: [hv-2]}
  - {id: vps-5, customer: gamma, name: gamma-web, component: c-cloud, requires: [sw-b]}
components:
  - {id: c-cloud, name: Cloud}
  - {id: c-shops, name: Shops}
"#,
    )
    .unwrap()
}

/// A window on `targets`, with the what-if the running system computes when planning it.
fn on_targets(inv: &Inventory, id: i64, title: &str, targets: &[&str]) -> Maintenance {
    let vertices: Vec<_> = targets.iter().map(|t| inv.graph.find(t).unwrap()).collect();
    let what_if = tocsin_app::ops::targets_impact(inv, &vertices);
    Maintenance {
        id,
        title: title.into(),
        body: "One side at a time.".into(),
        components: what_if.components,
        starts_ms: NOW + HOUR,
        ends_ms: NOW + 3 * HOUR,
        created_by: "lead@provider.test".into(),
        created_ms: NOW - HOUR,
        updated_ms: NOW - HOUR,
        targets: targets.iter().map(|t| (*t).to_owned()).collect(),
        impact: what_if.impact,
        ..Maintenance::default()
    }
}

/// The times as the running system writes them, with a zone that is not UTC.
fn times(starts: i64, ends: i64) -> (String, String) {
    (
        format!("{} – {}", human(starts), human(ends)),
        "in Europe/Prague".into(),
    )
}

fn seen(inv: &Inventory, m: &Maintenance, customer: &str) -> Option<WindowView> {
    let own = view::customer_number(inv, customer)
        .map(|c| view::service_vertices(inv, c))
        .unwrap_or_default();
    view::window(inv, m, customer, &own, &times, NOW)
}

#[test]
fn a_window_on_targets_concerns_the_customers_it_takes_down_only() {
    let inv = inventory();
    let m = on_targets(&inv, 3, "Switch upgrade", &["sw-a"]);
    assert_eq!(m.impact.affected_customers, ["acme"]);
    assert_eq!(m.impact.at_risk_customers, ["beta"]);
    let acme = seen(&inv, &m, "acme").unwrap();
    assert!(acme.down);
    let ids: Vec<&str> = acme.services.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["vps-1"], "vps-9 is acme's but stays up");
    assert_eq!(acme.services[0].name, "<script>alert(1)</script>");
    assert_eq!(acme.status, "scheduled");
    assert!(acme.upcoming() && !acme.cancelled());
    assert_eq!(acme.local, "in Europe/Prague");
    // Only at risk: never told, so nothing shows.
    assert!(seen(&inv, &m, "beta").is_none());
    // Gamma's service is in the component the window touches but does not go down.
    assert!(m.components.contains(&"c-cloud".to_owned()));
    assert!(seen(&inv, &m, "gamma").is_none());
    assert!(seen(&inv, &m, "nobody").is_none());
}

#[test]
fn a_window_on_components_concerns_the_customers_with_services_in_them() {
    let inv = inventory();
    let m = Maintenance {
        id: 8,
        title: "Shop platform patching".into(),
        components: vec!["c-shops".into()],
        starts_ms: NOW - HOUR,
        ends_ms: NOW + HOUR,
        ..Maintenance::default()
    };
    let beta = seen(&inv, &m, "beta").unwrap();
    assert!(!beta.down);
    assert_eq!(beta.services.len(), 1);
    assert_eq!(
        (beta.services[0].id.as_str(), beta.status),
        ("vps-2", "in_progress")
    );
    assert!(seen(&inv, &m, "acme").is_none());
    assert!(seen(&inv, &m, "gamma").is_none());
}

/// The calendar unfolded, one property a line.
fn unfolded(ics: &str) -> String {
    ics.replace("\r\n ", "")
}

#[test]
fn the_calendar_names_the_customers_own_services_and_no_topology() {
    let inv = inventory();
    let hostile = "Core <switch>; phase 1, night\n\u{7}\\ \"quoted\" žluťoučký kůň \
                   úpěl ďábelské ódy a ještě o něco déle, aby se řádek musel zalomit";
    let m = on_targets(&inv, 3, hostile, &["sw-a"]);
    let acme: Vec<WindowView> = seen(&inv, &m, "acme").into_iter().collect();
    let t = texts(Language::En);
    let cal = ics("ACME <b>s.r.o.</b>", "acme", &acme, t, NOW);
    assert!(cal.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
    assert!(cal.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"), "{cal}");
    assert_eq!(cal.matches("BEGIN:VEVENT").count(), 1, "{cal}");
    for line in cal.split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        assert!(!line.contains('\n') && !line.contains('\u{7}'), "{line:?}");
    }
    let cal = unfolded(&cal);
    assert!(cal.contains("UID:maintenance-3.acme@tocsin\r\n"), "{cal}");
    assert!(cal.contains("SEQUENCE:0\r\nDTSTART:"), "{cal}");
    assert!(cal.contains(&format!(
        "DTSTART:{}\r\nDTEND:{}\r\n",
        ical(NOW + HOUR),
        ical(NOW + 3 * HOUR)
    )));
    assert!(cal.contains("X-WR-CALNAME:ACME <b>s.r.o.</b>: Planned maintenance\r\n"));
    assert!(
        cal.contains("SUMMARY:Core <switch>\\; phase 1\\, night\\n\\\\ \"quoted\" žluťoučký kůň")
    );
    assert!(cal.contains("STATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\n"));
    assert!(
        cal.contains(
            "DESCRIPTION:One side at a time.\\n\\nYour services that will be down:\\n\
             - <script>alert(1)</script> (vps-1)\\n\\n"
        ),
        "{cal}"
    );
    assert!(cal.contains("in Europe/Prague"), "{cal}");
    // Neither the targets, nor what hangs between them and the service, nor another
    // customer's service, nor a service of theirs that stays up.
    for never in [
        "sw-a", "sw-b", "hv-1", "hv-2", "vps-2", "beta", "vps-9", "gamma",
    ] {
        assert!(!cal.contains(never), "{never} in {cal}");
    }
    // Beta is only at risk: an empty calendar, still a valid one.
    let beta: Vec<WindowView> = seen(&inv, &m, "beta").into_iter().collect();
    let cal = ics("Beta", "beta", &beta, t, NOW);
    assert!(!cal.contains("BEGIN:VEVENT"), "{cal}");
    assert!(
        cal.ends_with(
            "X-WR-CALNAME:Beta: Planned maintenance\r\n\
             X-TOCSIN-GENERATED:20261122T100000Z\r\nEND:VCALENDAR\r\n"
        ),
        "{cal}"
    );
}

#[test]
fn a_cancelled_window_stays_in_the_calendar_as_cancelled_in_the_customers_language() {
    let inv = inventory();
    let mut m = on_targets(&inv, 4, "Storage migration", &["sw-a"]);
    m.cancelled_ms = Some(NOW - 60_000);
    m.updated_ms = NOW - 60_000;
    m.sequence = 2;
    let w = seen(&inv, &m, "acme").unwrap();
    assert!(w.cancelled() && !w.upcoming());
    let cal = unfolded(&ics("ACME", "acme", &[w], texts(Language::Cs), NOW));
    assert!(
        cal.contains("SUMMARY:Zrušeno: Storage migration\r\n"),
        "{cal}"
    );
    assert!(cal.contains("STATUS:CANCELLED\r\nTRANSP:TRANSPARENT\r\n"));
    assert!(cal.contains("SEQUENCE:2\r\n"));
    let changed = ical(NOW - 60_000);
    assert!(cal.contains(&format!("DTSTAMP:{changed}\r\n")), "{cal}");
    assert!(cal.contains(&format!("LAST-MODIFIED:{changed}\r\n")));
    assert!(
        cal.contains("Vaše služby\\, které budou mimo provoz:"),
        "{cal}"
    );
}

#[test]
fn the_feed_carries_the_window_escaped_with_a_link_to_the_calendar() {
    let inv = inventory();
    let mut m = on_targets(&inv, 3, "Core <switch> & \u{7}bell", &["sw-a"]);
    let render = |windows: Vec<WindowView>, l: Language| {
        let mut windows = windows;
        for w in &mut windows {
            w.title = view::xml_safe(&w.title);
            w.body = view::xml_safe(&w.body);
        }
        env()
            .get_template("account/feed.xml")
            .unwrap()
            .render(context! {
                lang => l.code(), t => texts(l), name => "ACME", provider => "Tocsin",
                feed_id => "urn:tocsin:account:acme", self_href => "/account/feed/x.atom",
                calendar_href => "/account/maintenance/x.ics",
                base => "", updated => "2026-11-22T10:00:00Z",
                incidents => Vec::<view::IncidentView>::new(), windows,
            })
            .unwrap()
    };
    let xml = render(seen(&inv, &m, "acme").into_iter().collect(), Language::En);
    assert!(
        xml.contains("<id>urn:tocsin:account:acme:maintenance:3</id>"),
        "{xml}"
    );
    assert!(
        xml.contains("<title>Planned maintenance: Core &lt;switch&gt; &amp; bell</title>"),
        "{xml}"
    );
    assert!(
        xml.contains("<updated>2026-11-22T09:00:00Z</updated>"),
        "{xml}"
    );
    assert!(xml.contains(
        "<link rel=\"alternate\" type=\"text/calendar\" href=\"&#x2f;account&#x2f;maintenance&#x2f;x.ics\"/>"
    ));
    assert!(xml.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; (vps-1)"));
    assert!(!xml.contains('\u{7}') && !xml.contains("<script>"));
    for never in ["sw-a", "hv-1", "vps-2", "vps-9"] {
        assert!(!xml.contains(never), "{never} in {xml}");
    }
    // Cancelled later: the same entry, updated, titled so in the customer's language.
    m.cancelled_ms = Some(NOW);
    m.updated_ms = NOW;
    let xml = render(seen(&inv, &m, "acme").into_iter().collect(), Language::Fr);
    assert!(xml.contains("<id>urn:tocsin:account:acme:maintenance:3</id>"));
    assert!(xml.contains("<title>Maintenance annulée: Core"), "{xml}");
    assert!(
        xml.contains("<updated>2026-11-22T10:00:00Z</updated>"),
        "{xml}"
    );
    // Beta, only at risk, gets no entry.
    let xml = render(seen(&inv, &m, "beta").into_iter().collect(), Language::Pl);
    assert!(!xml.contains("<entry>"), "{xml}");
}

#[test]
fn the_overview_lists_the_windows_ahead_in_every_language() {
    let inv = inventory();
    let m = on_targets(&inv, 3, "Core <switch> upgrade", &["sw-a"]);
    for l in Language::ALL {
        let t = texts(l);
        let frame = context! { lang => l.code(), t, who => "jana@acme.example", csrf => "tok" };
        let page = |maintenance: Vec<WindowView>| {
            env()
                .get_template("account/overview.html")
                .unwrap()
                .render(context! {
                    name => "ACME", services => Vec::<view::ServiceView>::new(), degraded => false,
                    open => Vec::<view::IncidentView>::new(),
                    resolved => Vec::<view::IncidentView>::new(), maintenance,
                    feed => "/account/feed/abc.atom", calendar => "/account/maintenance/abc.ics",
                    ..frame.clone()
                })
                .unwrap()
        };
        let html = page(seen(&inv, &m, "acme").into_iter().collect());
        assert!(html.contains(t.maintenance), "{html}");
        assert!(html.contains("id=\"maintenance-3\""), "{html}");
        assert!(html.contains("Core &lt;switch&gt; upgrade"), "{html}");
        assert!(html.contains(&format!("{}:</p>", t.will_be_down.replace('\'', "&#x27;"))));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; (vps-1)"));
        assert!(html.contains("in Europe&#x2f;Prague"), "{html}");
        assert!(html.contains("&#x2f;account&#x2f;maintenance&#x2f;abc.ics"));
        assert!(
            !html.contains("<script>") && !html.contains("sw-a"),
            "{html}"
        );
        let html = page(Vec::new());
        assert!(html.contains(t.no_maintenance), "{html}");
    }
}
