//! Unit tests of the client area's SLA page: a credit as the customer sees it (offers in
//! words, whether they may still choose), the incidents behind its outage intervals, and the
//! page escaped in every language with the choice form only while it is open.

use minijinja::context;
use tocsin_app::ops::{CreditView, OfferValue, SlaLine, SlaReport};
use tocsin_model::inventory::Language;
use tocsin_model::time::rfc3339;
use tocsin_model::Inventory;
use tocsin_store::{IncidentRow, IncidentServiceRow, IncidentUpdate};

use super::env;
use super::i18n::texts;
use super::sla::{credit_page, incidents_during, lines};

const NOW: i64 = 1_795_341_600_000;
const HOSTILE: &str = "<script>alert(1)</script>";

fn inventory() -> Inventory {
    tocsin_inventory::load_str(
        "t.yaml",
        r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
customers:
  - {id: acme, name: ACME, contacts: [{email: ops@acme.example, language: cs}]}
  - {id: beta, name: Beta, contacts: [{email: it@beta.example, language: pl}]}
services:
  - {id: vps-1, customer: acme, name: "<script>alert(1)</script>", component: c, requires: [sw-a]}
  - {id: vps-2, customer: beta, name: beta-shop, component: c, requires: [sw-a]}
components:
  - {id: c, name: Cloud}
"#,
    )
    .unwrap()
}

fn row(id: i64, service: &str, customer: &str, opened: i64, resolved: Option<i64>) -> IncidentRow {
    IncidentRow {
        id,
        status: "resolved".into(),
        title: "sw-a (switch)".into(),
        roots: vec!["sw-a".into()],
        opened_ms: opened,
        resolved_ms: resolved,
        services: vec![IncidentServiceRow {
            service: service.into(),
            customer: Some(customer.into()),
            down_since_ms: None,
            down_total_ms: 60_000,
            first_down_ms: opened,
            announced: true,
        }],
    }
}

fn update(id: i64, at_ms: i64, public: bool, body: &str) -> IncidentUpdate {
    IncidentUpdate {
        id,
        status: "identified".into(),
        body: body.into(),
        public,
        author: "lead".into(),
        at_ms,
    }
}

fn credit(status: &str, deadline_ms: i64) -> CreditView {
    CreditView {
        id: 5,
        service: "vps-1".into(),
        customer: "acme".into(),
        month: "2026-10".into(),
        percent: 10.0,
        net: "1.20".into(),
        vat: "0.25".into(),
        gross: "1.45".into(),
        currency: "EUR".into(),
        vat_rate: 21.0,
        reverse_charge: false,
        down_seconds: 3_600,
        deadline: rfc3339(deadline_ms),
        status: status.into(),
        offers: vec![
            OfferValue {
                id: "credit".into(),
                kind: "account_credit".into(),
                value: serde_json::json!("1.45"),
            },
            OfferValue {
                id: "extension".into(),
                kind: "service_days".into(),
                value: serde_json::json!(4),
            },
        ],
        choice: (status != "offered").then(|| "extension".into()),
        needs_approval: false,
        reason: None,
        decided_by: None,
    }
}

/// One down interval of an hour, ending 10 minutes before now.
const INTERVAL: (i64, i64) = (NOW - 4_200_000, NOW - 600_000);

fn rows() -> Vec<(IncidentRow, Vec<IncidentUpdate>)> {
    vec![
        // During the interval, with a public update in it, one after it and a note.
        (
            row(4, "vps-1", "acme", NOW - 4_000_000, Some(NOW - 700_000)),
            vec![
                update(1, NOW - 3_000_000, true, "Switch <b>replaced</b>"),
                update(2, NOW - 2_000_000, false, "INTERNAL note"),
                update(3, NOW - 100_000, true, "Postmortem later"),
            ],
        ),
        // Long before it.
        (
            row(3, "vps-1", "acme", NOW - 90_000_000, Some(NOW - 80_000_000)),
            vec![],
        ),
        // Another customer's service at the same time.
        (row(6, "vps-2", "beta", NOW - 4_000_000, None), vec![]),
    ]
}

#[test]
fn a_credit_shows_the_incidents_told_during_its_outages_only() {
    let inv = inventory();
    let seen = incidents_during(
        &inv,
        &rows(),
        "acme",
        "vps-1",
        &[INTERVAL],
        Language::En,
        NOW,
    );
    let ids: Vec<i64> = seen.iter().map(|i| i.id).collect();
    assert_eq!(ids, [4]);
    let bodies: Vec<&str> = seen[0].updates.iter().map(|u| u.body.as_str()).collect();
    assert_eq!(bodies, ["Switch <b>replaced</b>"]);
    assert!(!seen[0].title.contains("sw-a"), "{}", seen[0].title);
    // An open incident counts until now; none of them when there is no interval.
    let open = vec![(row(9, "vps-1", "acme", NOW - 1_000_000, None), vec![])];
    assert_eq!(
        incidents_during(&inv, &open, "acme", "vps-1", &[INTERVAL], Language::En, NOW).len(),
        1
    );
    assert!(incidents_during(&inv, &rows(), "acme", "vps-1", &[], Language::En, NOW).is_empty());
}

#[test]
fn a_credit_is_open_until_its_deadline_and_decision() {
    let inv = inventory();
    let rows = rows();
    let page = |status: &str, deadline: i64| {
        credit_page(
            &inv,
            &credit(status, deadline),
            &[INTERVAL],
            &rows,
            Language::Fr,
            NOW,
        )
    };
    let open = page("offered", NOW + 86_400_000);
    assert!(open.open);
    assert_eq!(open.status_label, texts(Language::Fr).sla.offered);
    assert_eq!(open.offers[0].value, "1.45 EUR");
    assert_eq!(open.offers[1].value, "4 jours");
    assert_eq!(open.offers[1].label, texts(Language::Fr).sla.service_days);
    assert!(!open.offers.iter().any(|o| o.chosen));
    assert_eq!(open.intervals.len(), 1);
    assert_eq!(open.intervals[0].length, "1 h 0 min");
    assert_eq!(
        open.service, HOSTILE,
        "the service's name, escaped by the template"
    );
    let chosen = page("chosen", NOW + 86_400_000);
    assert!(chosen.open && chosen.offers[1].chosen);
    assert!(!page("chosen", NOW - 1).open, "past the deadline");
    assert!(!page("approved", NOW + 86_400_000).open);
    assert!(!page("expired", NOW - 1).open);
}

#[test]
fn the_sla_page_escapes_and_offers_the_choice_only_while_open() {
    let inv = inventory();
    let report = SlaReport {
        month: "2026-10".into(),
        time_zone: "Europe/Prague".into(),
        final_: true,
        services: vec![SlaLine {
            service: "vps-1".into(),
            customer: "acme".into(),
            plan: "vps-m".into(),
            month_seconds: 2_678_400,
            down_seconds: 3_600,
            excluded_seconds: 0,
            availability: 99.8656,
            sla: 99.9,
            credit: None,
            down: vec![INTERVAL],
        }],
    };
    for l in Language::ALL {
        let t = texts(l);
        for (status, form) in [("offered", true), ("approved", false)] {
            let c = credit_page(
                &inv,
                &credit(status, NOW + 86_400_000),
                &[INTERVAL],
                &rows(),
                l,
                NOW,
            );
            let out = env()
                .get_template("account/sla.html")
                .unwrap()
                .render(context! {
                    lang => l.code(), t, who => "jana@acme.example", csrf => "tok\"en",
                    month => "2026-10", previous => "2026-09", next => "2026-11", final_ => true,
                    lines => lines(&inv, &report, t), credits => vec![c],
                    error => Some(HOSTILE), error_id => 5, saved => true,
                })
                .unwrap();
            assert!(
                !out.contains("<script>") && !out.contains("<b>replaced"),
                "{out}"
            );
            assert!(out.contains("&lt;script&gt;"), "{out}");
            assert!(
                out.contains("99.8656 %") && out.contains(t.sla.below),
                "{out}"
            );
            assert!(out.contains(t.sla.choice_saved) && out.contains(t.sla.final_));
            assert!(out.contains("href=\"/account/incidents/4\""), "{out}");
            assert!(
                !out.contains("/account/incidents/6"),
                "another customer's: {out}"
            );
            assert!(!out.contains("INTERNAL"), "{out}");
            assert!(out.contains("month=2026-09") && out.contains("month=2026-11"));
            assert_eq!(
                out.contains("action=\"/account/credits/5/choice\""),
                form,
                "{status}"
            );
            if form {
                assert!(out.contains("tok&quot;en"), "the CSRF token, escaped");
                assert!(out.contains("value=\"credit\" checked"), "{out}");
            }
        }
    }
}
