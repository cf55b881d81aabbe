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
