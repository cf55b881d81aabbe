//! Unit tests of the console: every template renders and escapes, forms show only to roles
//! that may use them, what-if agrees with the model and leaves the live engine alone, the SPOF
//! report names the redundancy that is not.

use std::sync::Arc;

use minijinja::{context, Value};
use tocsin_model::{Impact, Inventory, State};

use super::spof::Report;
use super::vertices::{outcome, parse_scenario};
use super::{env, frame};
use crate::auth::{Principal, Role, Via};

fn inventory() -> Inventory {
    let text = include_str!("../../../inventory/tests/fixtures/good/spec-example.yaml");
    tocsin_inventory::load_str("spec-example.yaml", text).unwrap()
}

fn who(role: Role) -> Principal {
    Principal {
        who: tocsin_app::Principal {
            login: "<b>eve</b>".into(),
            role,
            customer: None,
        },
        via: Via::Session {
            csrf: "tok\"en".into(),
            token_hash: "h".into(),
        },
    }
}

fn html(name: &str, role: Role, page: Value) -> String {
    let frame = frame(&who(role), "x", Some("note"));
    env()
        .get_template(name)
        .unwrap()
        .render(context! { ..frame, ..page })
        .unwrap()
}

const HOSTILE: &str = "<script>alert(1)</script>";

fn incident_page() -> Value {
    context! {
        heading => HOSTILE,
        incident => context! { id => 3, status => "identified", roots => "sw-a", opened => "t" },
        services => vec![context! { service => HOSTILE, customer => "acme", first_down => "t", down_minutes => 1, announced => true }],
        updates => vec![
            context! { status => "identified", body => HOSTILE, public => true, author => "lead", at => "t" },
            context! { status => "identified", body => "internal words", public => false, author => "eng", at => "t" },
        ],
        statuses => tocsin_app::ops::STATUSES,
        form => context! { kind => "", status => "identified", body => "" },
    }
}

#[test]
fn every_page_renders_escaped_for_every_role() {
    let inv = inventory();
    let impact = Impact::new(Arc::clone(&inv.graph));
    let scenario = parse_scenario(&inv, "sw-a").unwrap();
    let pages: Vec<(&str, Value)> = vec![
        (
            "console/overview.html",
            context! { heading => HOSTILE, counts => context! { down => 1 }, incidents => vec![context! { id => 1, title => HOSTILE }], affected => vec![context! { id => "acme", name => HOSTILE }] },
        ),
        (
            "console/spof.html",
            context! { heading => "S", report => Report::of(&inv) },
        ),
        (
            "console/incidents.html",
            context! { heading => "I", incidents => vec![context! { id => 1, title => HOSTILE }] },
        ),
        ("console/incident.html", incident_page()),
        (
            "console/vertices.html",
            context! { heading => "V", marks => vec![context! { vertex => HOSTILE, state => "down", reason => HOSTILE }], form => context! { vertex => HOSTILE } },
        ),
        (
            "console/whatif.html",
            context! { heading => "W", down => HOSTILE, result => outcome(&inv, &impact, &scenario) },
        ),
        (
            "console/components.html",
            context! { heading => "C", components => vec![context! { id => "vps-dc1", name => HOSTILE, computed => "operational" }], windows => vec![context! { id => 1, title => HOSTILE }], status_form => context! {}, plan_form => context! { components => Vec::<String>::new() } },
        ),
        (
            "console/broadcast.html",
            context! { heading => "B", error => HOSTILE, form => context! { subject => HOSTILE, body => HOSTILE, incident => HOSTILE } },
        ),
        (
            "console/outbox.html",
            context! { heading => "O", counts => context! { queued => 1 }, notices => vec![context! { id => 1, kind => "opened", contact => HOSTILE }] },
        ),
        (
            "console/audit.html",
            context! { heading => "A", entries => vec![context! { detail => HOSTILE }], target => HOSTILE },
        ),
    ];
    for role in [Role::Junior, Role::Engineer, Role::ShiftLead, Role::Admin] {
        for (name, page) in &pages {
            let out = html(name, role, page.clone());
            assert!(!out.contains("<script>"), "{name}: {out}");
            assert!(!out.contains("<b>eve"), "{name}");
            assert!(out.contains("&lt;b&gt;eve"), "{name}");
            assert!(out.contains("Internal note added."), "{name}: the flash");
            assert!(out.contains("aria-label=\"Console sections\""), "{name}");
        }
    }
}

#[test]
fn forms_show_only_to_roles_that_may_use_them() {
    let incident = |r| html("console/incident.html", r, incident_page());
    let junior = incident(Role::Junior);
    assert!(junior.contains("name=\"kind\" value=\"note\""));
    assert!(
        !junior.contains("value=\"public\""),
        "a junior cannot publish"
    );
    assert!(incident(Role::ShiftLead).contains("value=\"public\""));
    // Internal notes are marked as such, with their author.
    assert!(junior.contains("Internal note</strong>") && junior.contains("by eng"));
    assert!(junior.contains("Public update</strong>"));
    let vertices = |r| {
        html(
            "console/vertices.html",
            r,
            context! { heading => "V", marks => vec![context! { vertex => "sw-a", state => "down" }], form => context! {} },
        )
    };
    assert!(!vertices(Role::Junior).contains("action=\"/console/vertices\""));
    assert!(vertices(Role::Engineer).contains("action=\"/console/vertices\""));
    let broadcast = |r| {
        html(
            "console/broadcast.html",
            r,
            context! { heading => "B", form => context! {} },
        )
    };
    for (role, mail, reload) in [
        (Role::Junior, false, false),
        (Role::Engineer, false, false),
        (Role::ShiftLead, true, false),
        (Role::Admin, true, true),
    ] {
        let page = broadcast(role);
        assert_eq!(
            page.contains("action=\"/console/broadcast\""),
            mail,
            "{role:?}"
        );
        assert_eq!(
            page.contains("action=\"/console/inventory/reload\""),
            reload,
            "{role:?}"
        );
    }
    let components = |r| {
        html(
            "console/components.html",
            r,
            context! { heading => "C", components => vec![context! { id => "c", name => "C" }], windows => vec![context! { id => 4, title => "w", upcoming => true }, context! { id => 5, title => "off", cancelled => true }], status_form => context! {}, plan_form => context! { components => Vec::<String>::new() } },
        )
    };
    for r in [Role::Junior, Role::Engineer] {
        let page = components(r);
        assert!(!page.contains("/console/components/status"));
        assert!(!page.contains("action=\"/console/maintenance"));
    }
    let lead = components(Role::ShiftLead);
    assert!(lead.contains("action=\"/console/components/status\""));
    assert!(lead.contains("action=\"/console/maintenance\""));
    assert!(lead.contains("action=\"/console/maintenance/4/cancel\""));
    assert!(lead.contains("action=\"/console/maintenance/4/move\""));
    // A cancelled window can be neither cancelled again nor moved.
    assert!(!lead.contains("/console/maintenance/5/"));
}

#[test]
fn what_if_names_who_would_be_hit_and_leaves_the_live_state_alone() {
    let inv = inventory();
    let mut impact = Impact::new(Arc::clone(&inv.graph));
    let scenario = parse_scenario(&inv, "sw-a").unwrap();
    let result = outcome(&inv, &impact, &scenario);
    // hv-08 needs sw-a alone: vps-2 of beta goes down; hv-07 has sw-b too: acme at risk.
    assert_eq!(
        result.get_attr("newly_affected").unwrap().to_string(),
        "[\"beta\"]"
    );
    assert_eq!(
        result.get_attr("newly_at_risk").unwrap().to_string(),
        "[\"acme\"]"
    );
    assert!(impact.not_up().is_empty(), "the live engine is untouched");
    // With sw-b already down, taking sw-a down too hits acme as well, and beta is not new.
    impact.observe(
        inv.graph.find("sw-b").unwrap(),
        State::Down,
        &mut Vec::new(),
    );
    let result = outcome(&inv, &impact, &scenario);
    assert_eq!(
        result.get_attr("newly_affected").unwrap().to_string(),
        "[\"acme\", \"beta\"]"
    );
    assert_eq!(result.get_attr("affected_total").unwrap().to_string(), "2");
    assert_eq!(
        impact.state(inv.graph.find("vps-1042").unwrap()),
        State::Degraded
    );
    // Degraded with `~`: nobody is affected, both are at risk.
    impact.observe(inv.graph.find("sw-b").unwrap(), State::Up, &mut Vec::new());
    let result = outcome(&inv, &impact, &parse_scenario(&inv, "~pdu-a").unwrap());
    assert_eq!(result.get_attr("affected_total").unwrap().to_string(), "0");
    assert_eq!(
        result.get_attr("newly_at_risk").unwrap().to_string(),
        "[\"acme\", \"beta\"]"
    );
}

#[test]
fn a_scenario_names_its_unknown_ids() {
    let inv = inventory();
    let e = parse_scenario(&inv, "sw-a, nope ~gone").unwrap_err();
    assert_eq!(e, "down: unknown vertex id `nope`, `gone`");
    assert!(parse_scenario(&inv, " , ").is_err());
    assert_eq!(parse_scenario(&inv, "sw-a\nsw-b").unwrap().len(), 2);
}

#[test]
fn the_spof_report_names_redundancy_that_is_not() {
    let inv = inventory();
    let r = Report::of(&inv);
    assert_eq!((r.services, r.with_spof), (2, 2));
    let illusions: Vec<(&str, usize)> = r
        .illusions
        .iter()
        .map(|x| (x.id.as_str(), x.services))
        .collect();
    // sw-a and pdu-a are listed in hv-07's `any` groups, yet hv-08 needs each alone.
    assert_eq!(illusions, vec![("pdu-a", 1), ("sw-a", 1)]);
    assert_eq!(r.illusions[1].examples, vec!["vps-2"]);
    assert_eq!(r.illusions[1].customers, 1);
    assert!(r
        .largest
        .iter()
        .any(|x| x.id == "rack-07-tor" && x.services == 1));
    assert!(!r.largest.iter().any(|x| x.id.starts_with("vps-")));
}

#[test]
fn the_shifts_page_escapes_and_shows_its_form_to_admins_only() {
    let page = |r| {
        html(
            "console/shifts.html",
            r,
            context! { heading => "S", error => HOSTILE, lead => HOSTILE, on_duty => vec![HOSTILE], shifts => vec![context! { login => HOSTILE, starts => "t", ends => "t", lead => true, created_by => HOSTILE }], form => context! { login => HOSTILE, lead => true } },
        )
    };
    for role in [Role::Junior, Role::Engineer, Role::ShiftLead, Role::Admin] {
        let out = page(role);
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(out.contains("Internal note added."), "the flash");
        assert_eq!(
            out.contains("action=\"/console/shifts\""),
            role == Role::Admin,
            "{role:?}"
        );
    }
}

#[test]
fn the_upgrade_pages_escape_and_show_their_forms_to_engineers_and_up() {
    let list = |r| {
        html(
            "console/upgrades.html",
            r,
            context! { heading => "U", error => HOSTILE, plans => vec![context! { id => 1, title => HOSTILE, members => HOSTILE, blocked => true, standing => "blocked", created_by => HOSTILE, created => "t" }], form => context! { title => HOSTILE, members => HOSTILE, checklist => HOSTILE } },
        )
    };
    let run = |r, blocked: bool| {
        html(
            "console/upgrade.html",
            r,
            context! {
                heading => HOSTILE,
                error => HOSTILE,
                plan => context! { id => 7, title => HOSTILE, blocked, blocking => vec![HOSTILE], created_by => HOSTILE, created => "t", done => false },
                checklist => vec![HOSTILE],
                steps => vec![
                    context! { n => 1, member => HOSTILE, down => vec![HOSTILE], at_risk => vec![HOSTILE], current => true, actions => vec![context! { action => "drain", by => HOSTILE, at => "t" }] },
                    context! { n => 2, member => "sw-b", down => Vec::<String>::new(), at_risk => Vec::<String>::new(), current => false, actions => Vec::<Value>::new() },
                ],
                next => context! { step => 1, member => HOSTILE, action => "upgrade" },
                history => vec![context! { step => 1, member => HOSTILE, action => "drain", by => HOSTILE, at => "t" }],
            },
        )
    };
    let button = "action=\"/console/upgrades/7/steps/1/upgrade\"";
    for role in [Role::Junior, Role::Engineer, Role::ShiftLead, Role::Admin] {
        let may = role != Role::Junior;
        for out in [list(role), run(role, false), run(role, true)] {
            assert!(!out.contains("<script>"), "{out}");
            assert!(out.contains("&lt;script&gt;"), "{out}");
            assert!(out.contains("Internal note added."), "the flash");
        }
        assert_eq!(
            list(role).contains("action=\"/console/upgrades\""),
            may,
            "{role:?}"
        );
        // The button for the next action only, never on a blocked plan.
        let open = run(role, false);
        assert_eq!(open.contains(button), may, "{role:?}");
        assert_eq!(
            open.matches("<form method=\"post\"").count(),
            usize::from(may)
        );
        let blocked = run(role, true);
        assert!(!blocked.contains(button), "{role:?}");
        assert!(blocked.contains("Blocked:"), "{blocked}");
    }
}

fn sla_line(service: &str, down: i64, net: Option<&str>) -> tocsin_app::ops::SlaLine {
    tocsin_app::ops::SlaLine {
        service: service.into(),
        customer: HOSTILE.into(),
        plan: "vps-m".into(),
        month_seconds: 2_592_000,
        down_seconds: down,
        excluded_seconds: 0,
        availability: 100.0 - down as f64 / 25_920.0,
        sla: 99.9,
        credit: net.map(|n| tocsin_app::ops::CreditAmounts {
            percent: 10.0,
            net: n.into(),
            vat_rate: 21.0,
            reverse_charge: false,
            vat: "0.25".into(),
            gross: "1.45".into(),
            currency: "EUR".into(),
        }),
        down: vec![],
    }
}

fn credit(id: i64, status: &str, needs_approval: bool) -> tocsin_app::ops::CreditView {
    tocsin_app::ops::CreditView {
        id,
        service: HOSTILE.into(),
        customer: "acme".into(),
        month: "2026-10".into(),
        percent: 30.0,
        net: "3.60".into(),
        vat: "0.76".into(),
        gross: "4.36".into(),
        currency: "EUR".into(),
        vat_rate: 21.0,
        reverse_charge: false,
        down_seconds: 30_000,
        deadline: "2026-11-30T23:00:00Z".into(),
        status: status.into(),
        offers: vec![],
        choice: Some("credit".into()),
        needs_approval,
        reason: Some(HOSTILE.into()),
        decided_by: None,
    }
}

#[test]
fn the_sla_report_lists_credits_then_downtime_and_totals_everything() {
    let lines = vec![
        sla_line("a-up", 0, None),
        sla_line("b-long", 9_000, None),
        sla_line("c-credit-short", 4_000, Some("1.20")),
        sla_line("d-short", 60, None),
        sla_line("e-credit-long", 30_000, Some("3.60")),
    ];
    let (all, totals) = super::sla::summarise(lines.clone(), 10);
    let order: Vec<&str> = all.iter().map(|l| l.service.as_str()).collect();
    assert_eq!(
        order,
        [
            "e-credit-long",
            "c-credit-short",
            "b-long",
            "d-short",
            "a-up"
        ]
    );
    assert_eq!(
        (totals.services, totals.with_downtime, totals.with_credit),
        (5, 4, 2)
    );
    assert_eq!(totals.net, vec![("EUR".to_owned(), "4.80".to_owned())]);
    assert_eq!(totals.not_listed, 0);
    assert!(all[0].breached && !all[4].breached);
    assert_eq!(all[2].down, "2 h 30 min 00 s");
    // Cut to three: the same first three, the totals still of all five.
    let (first, cut) = super::sla::summarise(lines, 3);
    let order: Vec<&str> = first.iter().map(|l| l.service.as_str()).collect();
    assert_eq!(order, ["e-credit-long", "c-credit-short", "b-long"]);
    assert_eq!((cut.services, cut.not_listed, cut.with_credit), (5, 2, 2));
}

#[test]
fn the_sla_page_escapes_and_shows_forms_by_role() {
    let report = tocsin_app::ops::SlaReport {
        month: "2026-10".into(),
        time_zone: "Europe/Prague".into(),
        final_: true,
        services: vec![
            sla_line(HOSTILE, 30_000, Some("3.60")),
            sla_line("vps-9", 0, None),
        ],
    };
    let credits = vec![
        credit(7, "chosen", true),
        credit(8, "offered", true),
        credit(9, "approved", false),
    ];
    let outages = vec![tocsin_store::Outage {
        id: 3,
        down: vec![HOSTILE.into()],
        degraded: vec![],
        start_ms: 1_790_000_000_000,
        end_ms: 1_790_000_600_000,
        note: HOSTILE.into(),
        created_by: HOSTILE.into(),
        created_ms: 1_790_000_700_000,
    }];
    for role in [Role::Junior, Role::Engineer, Role::ShiftLead, Role::Admin] {
        let values = super::sla::page_values(report.clone(), &credits, &outages);
        let page = context! {
            outage_error => HOSTILE, decision_error => HOSTILE, decision_id => 7,
            form => context! { down => HOSTILE, degraded => "", start => "", end => "", note => HOSTILE },
            ..values
        };
        let out = html("console/sla.html", role, page);
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(out.contains("class=\"final\""), "{out}");
        assert!(out.contains("href=\"/console/sla?month=2026-09\""), "{out}");
        assert!(out.contains("href=\"/console/sla?month=2026-11\""), "{out}");
        assert!(out.contains("3.60 EUR"), "{out}");
        assert!(out.contains("10 min 00 s"), "the outage's length: {out}");
        // Only the chosen credit that needs approval waits; the others are listed.
        assert!(out.contains("Credit 7:"), "{out}");
        assert!(
            !out.contains("Credit 8:") && !out.contains("Credit 9:"),
            "{out}"
        );
        assert_eq!(
            out.contains("action=\"/console/credits/7/approve\""),
            role >= Role::ShiftLead,
            "{role:?}"
        );
        assert_eq!(
            out.contains("action=\"/console/credits/7/reject\""),
            role >= Role::ShiftLead,
            "{role:?}"
        );
        assert!(!out.contains("/console/credits/8/"), "{out}");
        assert_eq!(
            out.contains("action=\"/console/sla/outages\""),
            role >= Role::Engineer,
            "{role:?}"
        );
    }
}

#[test]
fn the_sla_page_lists_the_first_credits_of_a_large_month_and_counts_all() {
    let report = tocsin_app::ops::SlaReport {
        month: "2026-10".into(),
        time_zone: "UTC".into(),
        final_: true,
        services: vec![],
    };
    let n = super::sla::LISTED + 1;
    let credits: Vec<_> = (0..n as i64).map(|id| credit(id, "chosen", true)).collect();
    let values = super::sla::page_values(report, &credits, &[]);
    let form = context! { down => "", degraded => "", start => "", end => "", note => "" };
    let out = html(
        "console/sla.html",
        Role::ShiftLead,
        context! { form, ..values },
    );
    assert!(
        out.contains(&format!("The first 500 of {n} credits waiting")),
        "{out}"
    );
    assert!(
        out.contains(&format!("The first 500 of {n} credits of the month")),
        "{out}"
    );
    assert_eq!(out.matches("/approve\"").count(), 500);
}
