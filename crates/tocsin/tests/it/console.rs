//! The staff console driven through the real binary with logged-in browsers of each role:
//! roles enforced per action, manual marks through the pipeline and audited, what-if without
//! side effects, incident updates and notes, component statuses and maintenance reaching the
//! public outputs and the export, and CSRF on every form.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::account::{config_with, fire, ALLOW_PRIVATE, JANA, OWN_SECRET};
use crate::mail::Keeper;
use crate::serve::{add_account, api_token, http, http_as, json_of, start, wait_for, PASSWORD};
use crate::session::{form_encode, login, Browser};

const JUNIOR: &str = "junior@provider.test";
const ENGINEER: &str = "engineer@provider.test";
const LEAD: &str = "lead@provider.test";

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::serve::example_config(dir.path(), None, "http://status.example.net");
    for (login, role) in [
        (JUNIOR, "junior"),
        (ENGINEER, "engineer"),
        (LEAD, "shift_lead"),
    ] {
        add_account(&config, login, role, None);
    }
    (dir, config)
}

fn browser(addr: &str, who: &str) -> Browser {
    login(addr, who, PASSWORD)
        .unwrap_or_else(|r| panic!("{who} cannot log in: {} {}", r.status, r.body))
}

fn impact(addr: &str) -> Value {
    let (status, body) = http(addr, "GET", "/api/v1/impact", "");
    assert_eq!(status, 200, "{body}");
    json_of(&body)
}

#[test]
fn roles_marks_and_what_if() {
    let (_dir, config) = setup();
    let server = start(&config);
    let addr = server.addr.as_str();
    let (junior, engineer) = (browser(addr, JUNIOR), browser(addr, ENGINEER));

    // Anonymous visitors are sent to the login form; customers' and staff's pages differ.
    let (status, _) = http_as(addr, "GET", "/console", "", None);
    assert_eq!(status, 303);
    let overview = junior.get("/console");
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert!(overview.body.contains("Live impact"));
    for page in [
        "/console/spof",
        "/console/incidents",
        "/console/vertices",
        "/console/whatif",
        "/console/components",
        "/console/outbox",
        "/console/audit",
    ] {
        assert_eq!(junior.get(page).status, 200, "{page}");
    }
    let spof = junior.get("/console/spof").body;
    assert!(spof.contains("Designed redundant, yet a single point of failure"));
    assert!(spof.contains("<td>sw-a</td>"), "{spof}");

    // A junior may look and ask what-if, not mark.
    assert!(!junior
        .get("/console/vertices")
        .body
        .contains("Mark a vertex"));
    let fields = [("vertex", "sw-a"), ("state", "down"), ("reason", "optics")];
    let refused = junior.post_form("/console/vertices", "/console/vertices", &fields);
    assert_eq!(refused.status, 403, "{}", refused.body);

    // What-if lists who would be hit and changes nothing live.
    let what_if = junior.get("/console/whatif?down=sw-a");
    assert_eq!(what_if.status, 200, "{}", what_if.body);
    let newly = |html: &str, class: &str| -> Vec<String> {
        html.split(&format!("<li class=\"{class}\">"))
            .skip(1)
            .map(|s| s.split('<').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(newly(&what_if.body, "affected"), vec!["beta"]);
    assert_eq!(newly(&what_if.body, "at-risk"), vec!["acme"]);
    assert_eq!(impact(addr)["down"], serde_json::json!([]));
    let unknown = junior.get("/console/whatif?down=sw-a+nope");
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.body.contains("unknown vertex id `nope`"),
        "{}",
        unknown.body
    );

    // Bad input: the form again, naming the field; nothing stored.
    let no_reason = engineer.post_form(
        "/console/vertices",
        "/console/vertices",
        &[("vertex", "sw-a"), ("state", "down"), ("reason", "  ")],
    );
    assert_eq!(no_reason.status, 400);
    assert!(
        no_reason.body.contains("reason: say why"),
        "{}",
        no_reason.body
    );
    assert!(
        no_reason.body.contains("value=\"sw-a\""),
        "the form keeps its input"
    );
    let unknown = engineer.post_form(
        "/console/vertices",
        "/console/vertices",
        &[("vertex", "nope"), ("state", "down"), ("reason", "x")],
    );
    assert_eq!(unknown.status, 400);
    assert!(unknown.body.contains("vertex: unknown vertex id `nope`"));
    assert_eq!(impact(addr)["down"], serde_json::json!([]));

    // Missing and wrong CSRF tokens.
    let body = form_encode(&[("vertex", "sw-a"), ("state", "down"), ("reason", "x")]);
    assert_eq!(engineer.post_raw("/console/vertices", &body).status, 403);
    let wrong = format!("{body}&csrf=not-the-token");
    assert_eq!(engineer.post_raw("/console/vertices", &wrong).status, 403);
    assert_eq!(impact(addr)["down"], serde_json::json!([]));

    // An engineer marks sw-a down: the impact follows at once, and the audit has the reason.
    let marked = engineer.post_form(
        "/console/vertices",
        "/console/vertices",
        &[
            ("vertex", "sw-a"),
            ("state", "down"),
            ("reason", "replacing <optics>"),
        ],
    );
    assert_eq!(marked.status, 303, "{}", marked.body);
    assert_eq!(
        marked.header("location"),
        Some("/console/vertices?done=down")
    );
    let now = impact(addr);
    assert_eq!(
        now["down"],
        serde_json::json!(["hv-08", "sw-a", "vm-2", "vps-2"])
    );
    assert_eq!(now["affected_customers"], serde_json::json!(["beta"]));
    assert_eq!(now["at_risk_customers"], serde_json::json!(["acme"]));
    let audit = junior.get("/console/audit?target=vertex:sw-a").body;
    assert!(audit.contains("vertex.down"), "{audit}");
    assert!(audit.contains("replacing &lt;optics&gt;") && audit.contains(ENGINEER));
    let marks = junior.get("/console/vertices").body;
    assert!(marks.contains("<td>sw-a</td>") && marks.contains("replacing &lt;optics&gt;"));

    // The mark is an alert like any other: it survives a restart.
    drop(server);
    let server = start(&config);
    let addr = server.addr.as_str();
    assert_eq!(
        impact(addr)["affected_customers"],
        serde_json::json!(["beta"])
    );
    let (junior, engineer) = (
        Browser {
            addr: addr.to_owned(),
            cookie: junior.cookie,
        },
        Browser {
            addr: addr.to_owned(),
            cookie: engineer.cookie,
        },
    );

    // Lifting a mark that is not there names the field; lifting sw-a brings it back up.
    let none = engineer.post_form(
        "/console/vertices",
        "/console/vertices",
        &[("vertex", "sw-b"), ("state", "up"), ("reason", "x")],
    );
    assert_eq!(none.status, 400);
    assert!(none.body.contains("has no manual mark to lift"));
    let lifted = engineer.post_form(
        "/console/vertices",
        "/console/vertices",
        &[
            ("vertex", "sw-a"),
            ("state", "up"),
            ("reason", "optics replaced"),
        ],
    );
    assert_eq!(lifted.status, 303, "{}", lifted.body);
    assert_eq!(impact(addr)["down"], serde_json::json!([]));
    let audit = junior.get("/console/audit").body;
    assert!(audit.contains("vertex.up") && audit.contains("optics replaced"));
}

/// A page's text with the `/` the templates escape put back.
fn unescaped(html: &str) -> String {
    html.replace("&#x2f;", "/").replace("&amp;", "&")
}

/// A customer's own webhook URL is itself the secret (a Slack URL is): staff read only its
/// scheme, host and port in the outbox (contact and delivery error), the audit trail and the
/// outbox API, and e-mail addresses whole; the customer's own preferences show it whole.
#[test]
fn staff_see_customers_webhook_urls_masked() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = config_with(dir.path(), keeper.port, ALLOW_PRIVATE);
    add_account(&config, JUNIOR, "junior", None);
    let token = api_token(&config, JUNIOR);
    let server = start(&config);
    let addr = server.addr.as_str();
    // Nothing listens there, so the delivery fails with an error naming the URL as well.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let origin = format!("http://127.0.0.1:{port}");
    let url = format!("{origin}/services/T0ACME/B0HOOK/s3cr3tT0k3n");
    let jana = browser(addr, JANA);
    let saved = jana.post_form(
        "/account/preferences",
        "/account/preferences",
        &[
            ("contacts", ""),
            ("language", ""),
            ("webhook_url", &url),
            ("webhook_secret", OWN_SECRET),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    fire(addr, "sw-a");
    wait_for(
        addr,
        "/api/v1/outbox",
        "a failed attempt at the customer's webhook",
        Duration::from_secs(30),
        |b| {
            serde_json::from_str::<Value>(b).is_ok_and(|o| {
                o["latest"].as_array().is_some_and(|l| {
                    l.iter().any(|n| {
                        n["kind"]
                            .as_str()
                            .is_some_and(|k| k.starts_with("webhook."))
                            && n["last_error"].is_string()
                    })
                })
            })
        },
    );

    let masked = format!("{origin}/…");
    let (status, api) = http_as(addr, "GET", "/api/v1/outbox", "", Some(&token));
    assert_eq!(status, 200, "{api}");
    let junior = browser(addr, JUNIOR);
    let outbox = junior.get("/console/outbox");
    assert_eq!(outbox.status, 200);
    let audit = junior.get("/console/audit");
    assert_eq!(audit.status, 200);
    for (what, body) in [
        ("the outbox API", api.clone()),
        ("the console's outbox", unescaped(&outbox.body)),
        ("the audit trail", unescaped(&audit.body)),
    ] {
        assert!(body.contains(&masked), "{what} lacks {masked}: {body}");
        for secret in ["T0ACME", "B0HOOK", "s3cr3tT0k3n"] {
            assert!(!body.contains(secret), "{what} shows {secret}: {body}");
        }
    }
    // E-mail addresses are no secret here: acme's contacts on file show whole.
    assert!(api.contains("ops@acme.example"), "{api}");
    assert!(outbox.body.contains("ops@acme.example"));
    assert!(unescaped(&audit.body).contains(&format!("webhook={masked}; secret=changed")));
    // The customer typed it: their own form gives it back whole.
    let own = jana.get("/account/preferences");
    assert!(
        unescaped(&own.body).contains(&format!("value=\"{url}\"")),
        "{}",
        own.body
    );
}

#[test]
fn incidents_take_notes_from_all_staff_and_updates_from_shift_leads() {
    let (_dir, config) = setup();
    let server = start(&config);
    let addr = server.addr.as_str();
    let (junior, engineer, lead) = (
        browser(addr, JUNIOR),
        browser(addr, ENGINEER),
        browser(addr, LEAD),
    );
    let marked = engineer.post_form(
        "/console/vertices",
        "/console/vertices",
        &[
            ("vertex", "sw-a"),
            ("state", "down"),
            ("reason", "switch dead"),
        ],
    );
    assert_eq!(marked.status, 303);
    let list = wait_for(
        addr,
        "/api/v1/incidents",
        "an incident",
        Duration::from_secs(20),
        |b| b.contains("\"id\":1"),
    );
    assert!(list.contains("vps-2"), "{list}");
    let page = "/console/incidents/1";
    let shown = junior.get(page);
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("vps-2"));
    assert!(
        !shown.body.contains("value=\"public\""),
        "juniors are offered notes only"
    );
    assert!(lead.get(page).body.contains("value=\"public\""));
    assert_eq!(junior.get("/console/incidents/99").status, 404);

    let note = junior.post_form(
        page,
        "/console/incidents/1/updates",
        &[
            ("kind", "note"),
            ("body", "Suspect the <PSU>, internal only"),
        ],
    );
    assert_eq!(note.status, 303, "{}", note.body);
    for who in [&junior, &engineer] {
        let public = who.post_form(
            page,
            "/console/incidents/1/updates",
            &[("kind", "public"), ("status", "identified"), ("body", "x")],
        );
        assert_eq!(public.status, 403, "{}", public.body);
    }
    let empty = lead.post_form(
        page,
        "/console/incidents/1/updates",
        &[("kind", "public"), ("status", "identified"), ("body", " ")],
    );
    assert_eq!(empty.status, 400);
    assert!(empty.body.contains("body: write the text"));
    let public = lead.post_form(
        page,
        "/console/incidents/1/updates",
        &[
            ("kind", "public"),
            ("status", "identified"),
            ("body", "A switch failed; traffic is moving to its pair."),
        ],
    );
    assert_eq!(public.status, 303, "{}", public.body);
    let timeline = junior.get(page).body;
    assert!(timeline.contains("Internal note</strong>"), "{timeline}");
    assert!(timeline.contains("Suspect the &lt;PSU&gt;"));
    assert!(timeline.contains(&format!("by {LEAD}")) && timeline.contains(&format!("by {JUNIOR}")));
    // The public page shows the update, never the note.
    let html = wait_for(
        addr,
        "/",
        "the public update",
        Duration::from_secs(20),
        |b| b.contains("traffic is moving to its pair"),
    );
    assert!(!html.contains("Suspect the"), "{html}");
    let audit = junior.get("/console/audit?target=incident:1").body;
    assert!(audit.contains("incident.note") && audit.contains("incident.update"));
}

#[test]
fn component_statuses_and_maintenance_reach_the_status_outputs_and_the_export() {
    let (dir, config) = setup();
    let server = start(&config);
    let addr = server.addr.as_str();
    let (engineer, lead) = (browser(addr, ENGINEER), browser(addr, LEAD));
    let page = "/console/components";
    assert!(!engineer
        .get(page)
        .body
        .contains("/console/components/status"));
    let set = [
        ("component", "vps-dc1"),
        ("status", "degraded_performance"),
        ("note", "SAN latency"),
    ];
    assert_eq!(
        engineer
            .post_form(page, "/console/components/status", &set)
            .status,
        403
    );
    let bad = lead.post_form(
        page,
        "/console/components/status",
        &[
            ("component", "nope"),
            ("status", "degraded_performance"),
            ("note", "x"),
        ],
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("component: unknown component id `nope`"));
    let done = lead.post_form(page, "/console/components/status", &set);
    assert_eq!(done.status, 303, "{}", done.body);
    let summary = crate::status::wait_summary(addr, "degraded_performance", |s| {
        s["components"][0]["status"] == "degraded_performance"
    });
    assert!(
        !summary.to_string().contains("SAN latency"),
        "staff notes stay in"
    );

    // Maintenance: bad windows are refused with the field named.
    let window = |starts: &'static str, ends: &'static str| {
        vec![
            ("title", "Core switch upgrade"),
            ("body", "Firmware; a few seconds of loss per port."),
            ("components", "vps-dc1"),
            ("starts", starts),
            ("ends", ends),
        ]
    };
    let backwards = lead.post_form(
        page,
        "/console/maintenance",
        &window("2098-01-02T00:00", "2098-01-01T00:00"),
    );
    assert_eq!(backwards.status, 400);
    assert!(backwards
        .body
        .contains("ends: the window must end after it starts"));
    let garbled = lead.post_form(
        page,
        "/console/maintenance",
        &window("soon", "2098-01-01T00:00"),
    );
    assert!(garbled.status == 400 && garbled.body.contains("starts:"));
    assert_eq!(
        engineer
            .post_form(
                page,
                "/console/maintenance",
                &window("2098-01-01T00:00", "2098-01-01T02:00")
            )
            .status,
        403
    );
    // One window in progress, one to come.
    for (s, e) in [
        ("2020-01-01T00:00", "2099-01-01T00:00"),
        ("2098-01-01T00:00", "2098-01-01T02:00"),
    ] {
        let planned = lead.post_form(page, "/console/maintenance", &window(s, e));
        assert_eq!(planned.status, 303, "{}", planned.body);
    }
    let summary = crate::status::wait_summary(addr, "two windows", |s| {
        s["scheduled_maintenances"]
            .as_array()
            .is_some_and(|m| m.len() == 2)
    });
    let m = &summary["scheduled_maintenances"];
    assert_eq!(m[0]["status"], "in_progress");
    assert_eq!(m[0]["scheduled_until"], "2099-01-01T00:00:00Z");
    assert_eq!(m[1]["status"], "scheduled");
    assert_eq!(m[1]["scheduled_for"], "2098-01-01T00:00:00Z");
    assert_eq!(m[1]["components"][0]["id"], "vps-dc1");
    // Maintenance in progress shows before the hand-set degraded status.
    assert_eq!(summary["components"][0]["status"], "under_maintenance");
    let (status, ics) = http(addr, "GET", "/maintenance.ics", "");
    assert_eq!(status, 200);
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    assert!(
        ics.contains("DTSTART:20980101T000000Z\r\nDTEND:20980101T020000Z\r\n"),
        "{ics}"
    );
    assert!(ics.contains("SUMMARY:Core switch upgrade\r\n"));
    let (_, html) = http(addr, "GET", "/", "");
    assert!(html.contains("Core switch upgrade") && !html.contains("No maintenance is scheduled"));

    // The export shows the same.
    let out = dir.path().join("out");
    crate::status::export(&config, &out);
    let exported = json_of(&std::fs::read_to_string(out.join("api/v2/summary.json")).unwrap());
    assert_eq!(exported["components"][0]["status"], "under_maintenance");
    assert_eq!(
        exported["scheduled_maintenances"],
        summary["scheduled_maintenances"]
    );
    let exported_ics = std::fs::read_to_string(out.join("maintenance.ics")).unwrap();
    assert_eq!(exported_ics.matches("BEGIN:VEVENT").count(), 2);

    // Cancelling the window in progress leaves the degraded status; clearing it, operational.
    // The calendar keeps the cancelled window as cancelled; the other is moved.
    crate::console_maintenance::cancel_and_move(addr, &lead, page);
    crate::status::wait_summary(addr, "the window gone", |s| {
        s["components"][0]["status"] == "degraded_performance"
            && s["scheduled_maintenances"]
                .as_array()
                .is_some_and(|m| m.len() == 1)
    });
    let cleared = lead.post_form(
        page,
        "/console/components/status",
        &[
            ("component", "vps-dc1"),
            ("status", "clear"),
            ("note", "SAN fixed"),
        ],
    );
    assert_eq!(cleared.status, 303);
    crate::status::wait_summary(addr, "operational", |s| {
        s["components"][0]["status"] == "operational"
    });
    let audit = lead.get("/console/audit").body;
    for action in [
        "component.status",
        "component.clear",
        "maintenance.plan",
        "maintenance.cancel",
        "maintenance.move",
    ] {
        assert!(audit.contains(action), "{action} not audited: {audit}");
    }
}

#[test]
fn a_shift_lead_broadcasts_from_the_console_and_an_admin_reloads_the_inventory() {
    let (_dir, config) = setup();
    add_account(&config, "root@provider.test", "admin", None);
    let server = start(&config);
    let addr = server.addr.as_str();
    let (junior, lead) = (browser(addr, JUNIOR), browser(addr, LEAD));
    let page = junior.get("/console/broadcast");
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("action=\"/console/broadcast\""),
        "juniors get no form"
    );
    let refused = junior.post_form(
        "/console/broadcast",
        "/console/broadcast",
        &[("subject", "x"), ("body", "y")],
    );
    assert_eq!(refused.status, 403);

    // A field error re-renders the form with what was typed; nothing is queued.
    let bad = lead.post_form(
        "/console/broadcast",
        "/console/broadcast",
        &[
            ("subject", "DDoS upstream"),
            ("body", "Slow links."),
            ("incident", "seven"),
        ],
    );
    assert_eq!(bad.status, 400);
    assert!(
        bad.body
            .contains("incident: `seven` is not an incident number"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("DDoS upstream"));
    let sent = lead.post_form(
        "/console/broadcast",
        "/console/broadcast",
        &[
            ("subject", "DDoS upstream"),
            ("body", "Our transit provider is under attack."),
        ],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(
        sent.header("location"),
        Some("/console/broadcast?done=broadcast")
    );
    // One notice per contact of every customer: only acme has one in this inventory.
    let outbox = wait_for(
        addr,
        "/api/v1/outbox",
        "the broadcast's notices",
        Duration::from_secs(10),
        |b| b.matches("\"kind\":\"broadcast").count() == 1,
    );
    assert!(
        outbox.contains("\"contact\":\"ops@acme.example\""),
        "{outbox}"
    );

    let admin = browser(addr, "root@provider.test");
    assert!(!lead
        .get("/console/broadcast")
        .body
        .contains("/console/inventory/reload\""));
    let reloaded = admin.post_form("/console/broadcast", "/console/inventory/reload", &[]);
    assert_eq!(reloaded.status, 303, "{}", reloaded.body);
    let audit = junior.get("/console/audit").body;
    assert!(audit.contains("<td>broadcast.queue</td>"), "{audit}");
    assert!(audit.contains("<td>inventory.reload</td>"), "{audit}");
}
