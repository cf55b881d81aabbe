//! Rolling upgrades, end to end (seed 000): a plan over a switch pair with one host cabled to
//! only one of them is blocked before the work, naming exactly that host's services; a plan
//! over a clean pair runs drain → upgrade → verify → return on each step, in order only, the
//! drained member down in the engine meanwhile; the audit trail names who did each action.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::serve::{
    add_account, api_token, error_of, http, http_as, json_of, start, ADMIN, PASSWORD,
};
use crate::session::login;

/// `sw-a`/`sw-b` serve dual-homed `hv-1`, `hv-2` and the miswired `hv-9`, which requires
/// `sw-a` only; `sw-c`/`sw-d` serve dual-homed `hv-3`, `hv-4`, correctly.
const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
  - {id: sw-b, kind: switch}
  - {id: sw-c, kind: switch}
  - {id: sw-d, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
  - {id: hv-2, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
  - {id: hv-9, kind: hypervisor, requires: [sw-a]}
  - {id: hv-3, kind: hypervisor, requires: [{any: [sw-c, sw-d]}]}
  - {id: hv-4, kind: hypervisor, requires: [{any: [sw-c, sw-d]}]}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: en}]
services:
  - {id: web-1, customer: acme, name: web, requires: [hv-1]}
  - {id: web-2, customer: acme, name: web too, requires: [hv-2]}
  - {id: mail-9, customer: acme, name: mail, requires: [hv-9]}
  - {id: db-9, customer: acme, name: database, requires: [hv-9]}
  - {id: dns-3, customer: acme, name: dns, requires: [hv-3]}
  - {id: shop-4, customer: acme, name: shop, requires: [hv-4]}
"#;

const ENGINEER: &str = "eng@provider.test";
const JUNIOR: &str = "junior@provider.test";

fn config(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("inventory.yaml"), INVENTORY).unwrap();
    let config = dir.join("tocsin.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"sqlite://{}\"\ninventory = \"inventory.yaml\"\npublic_url = \"https://status.example.net\"\n[notify]\nhold_down = \"0s\"\n",
            dir.join("t.db").display()
        ),
    )
    .unwrap();
    config
}

fn plan_body(title: &str, members: &[&str]) -> String {
    json!({
        "title": title,
        "members": members,
        "checklist": ["changelog read", "tested in the lab", "port names compared"],
    })
    .to_string()
}

fn impact(addr: &str) -> Value {
    let (status, body) = http(addr, "GET", "/api/v1/impact", "");
    assert_eq!(status, 200, "{body}");
    json_of(&body)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_miswired_pair_is_blocked_and_a_clean_one_runs_step_by_step() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    add_account(&config, ENGINEER, "engineer", None);
    add_account(&config, JUNIOR, "junior", None);
    let engineer = api_token(&config, ENGINEER);
    let junior = api_token(&config, JUNIOR);
    let server = start(&config);
    let addr = server.addr.as_str();

    // Bad input is refused naming the field, and nothing is planned.
    for (body, field, names) in [
        (plan_body("EVPN pair", &["sw-a", "sw-x"]), "members", "sw-x"),
        (plan_body("EVPN pair", &[]), "members", ""),
        (
            plan_body("EVPN pair", &["sw-a", "sw-b", "sw-a"]),
            "members",
            "sw-a",
        ),
        (plan_body("  ", &["sw-a", "sw-b"]), "title", ""),
    ] {
        let (status, reply) = http(addr, "POST", "/api/v1/upgrades", &body);
        assert_eq!(status, 400, "{body}: {reply}");
        let error = error_of(&reply);
        assert!(error.starts_with(field), "{body}: {error}");
        assert!(error.contains(names), "{body}: {error}");
    }
    // Juniors read plans but neither plan nor run them.
    let (status, _) = http_as(
        addr,
        "POST",
        "/api/v1/upgrades",
        &plan_body("EVPN pair", &["sw-c", "sw-d"]),
        Some(&junior),
    );
    assert_eq!(status, 403);
    let (status, body) = http(addr, "GET", "/api/v1/upgrades", "");
    assert_eq!(
        (status, json_of(&body)["upgrades"].clone()),
        (200, json!([]))
    );

    // The miswired pair: draining sw-a would take down hv-9's services, exactly those.
    let (status, body) = http_as(
        addr,
        "POST",
        "/api/v1/upgrades",
        &plan_body("EVPN pair A/B", &["sw-a", "sw-b"]),
        Some(&engineer),
    );
    assert_eq!(status, 201, "{body}");
    let blocked = json_of(&body);
    assert_eq!(blocked["blocked"], json!(true));
    assert_eq!(
        blocked["steps"],
        json!([
            {"step": 1, "member": "sw-a", "down_services": ["db-9", "mail-9"],
             "at_risk_services": ["web-1", "web-2"], "at_risk_total": 2, "state": "waiting",
             "actions": []},
            {"step": 2, "member": "sw-b", "down_services": [],
             "at_risk_services": ["web-1", "web-2"], "at_risk_total": 2, "state": "waiting",
             "actions": []},
        ])
    );
    // The list counts what each step puts at risk; the plan itself names it.
    let (_, body) = http(addr, "GET", "/api/v1/upgrades", "");
    let listed = &json_of(&body)["upgrades"][0]["steps"][0];
    assert_eq!(
        (
            listed["at_risk_total"].as_i64(),
            listed.get("at_risk_services")
        ),
        (Some(2), None)
    );
    let (_, body) = http(
        addr,
        "GET",
        &format!("/api/v1/upgrades/{}", blocked["id"]),
        "",
    );
    assert_eq!(
        json_of(&body)["steps"][0]["at_risk_services"],
        json!(["web-1", "web-2"])
    );
    assert_eq!(blocked["blocking_services"], json!(["db-9", "mail-9"]));
    let blocked_id = blocked["id"].as_i64().unwrap();
    let (status, body) = http(
        addr,
        "POST",
        &format!("/api/v1/upgrades/{blocked_id}/steps/1/drain"),
        "",
    );
    assert_eq!(status, 409, "{body}");
    let error = error_of(&body);
    assert!(
        error.contains("db-9, mail-9") && !error.contains("web-"),
        "{error}"
    );
    // Nothing was drained.
    assert_eq!(impact(addr)["down"], json!([]));

    // The clean pair.
    let (status, body) = http_as(
        addr,
        "POST",
        "/api/v1/upgrades",
        &plan_body("EVPN pair C/D", &["sw-c", "sw-d"]),
        Some(&engineer),
    );
    assert_eq!(status, 201, "{body}");
    let clean = json_of(&body);
    assert_eq!(clean["blocked"], json!(false));
    assert_eq!(
        clean["checklist"],
        json!(["changelog read", "tested in the lab", "port names compared"])
    );
    for step in clean["steps"].as_array().unwrap() {
        assert_eq!(step["down_services"], json!([]), "{step}");
        assert_eq!(
            step["at_risk_services"],
            json!(["dns-3", "shop-4"]),
            "{step}"
        );
    }
    let id = clean["id"].as_i64().unwrap();
    let step = |n: i64, action: &str, token: Option<&str>| {
        let path = format!("/api/v1/upgrades/{id}/steps/{n}/{action}");
        match token {
            Some(t) => http_as(addr, "POST", &path, "", Some(t)),
            None => http(addr, "POST", &path, ""),
        }
    };

    // Out of order, unknown steps and actions, and juniors are refused.
    let (status, body) = step(1, "upgrade", None);
    assert_eq!(status, 409, "{body}");
    assert!(
        error_of(&body).contains("next is drain of step 1 (sw-c)"),
        "{body}"
    );
    assert_eq!(step(2, "drain", None).0, 409);
    assert_eq!(step(3, "drain", None).0, 404);
    assert_eq!(step(0, "drain", None).0, 404);
    let (status, body) = step(1, "reboot", None);
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).starts_with("action"), "{body}");
    assert_eq!(step(1, "drain", Some(&junior)).0, 403);
    assert_eq!(
        http(addr, "POST", "/api/v1/upgrades/999/steps/1/drain", "").0,
        404
    );

    // The world changed since planning: with sw-d marked down, draining sw-c would take
    // hv-3's and hv-4's services down, and is refused naming them.
    let mark = |state: &str| {
        let body = json!({"vertex": "sw-d", "state": state, "reason": "cable test"}).to_string();
        let (status, reply) = http(addr, "POST", "/api/v1/marks", &body);
        assert!(status < 300, "{status} {reply}");
    };
    mark("down");
    let (status, body) = step(1, "drain", None);
    assert_eq!(status, 409, "{body}");
    assert!(error_of(&body).contains("dns-3, shop-4"), "{body}");
    mark("up");
    assert_eq!(impact(addr)["down"], json!([]));

    // Step 1 by the administrator.
    let (status, body) = step(1, "drain", None);
    assert_eq!(status, 200, "{body}");
    let now = json_of(&body);
    assert_eq!(now["steps"][0]["state"], "drained");
    assert_eq!(
        now["next"],
        json!({"step": 1, "member": "sw-c", "action": "upgrade"})
    );
    assert_eq!(now["current_step"], 1);
    let drained = impact(addr);
    assert_eq!(drained["down"], json!(["sw-c"]));
    let degraded = strings(&drained["degraded"]);
    for v in ["dns-3", "shop-4", "hv-3", "hv-4"] {
        assert!(degraded.iter().any(|d| d == v), "{v}: {degraded:?}");
    }
    // Done once: the same action again is refused, naming who did it.
    let (status, body) = step(1, "drain", Some(&engineer));
    assert_eq!(status, 409, "{body}");
    assert!(
        error_of(&body).contains(&format!("was done already by {ADMIN}")),
        "{body}"
    );
    // The next step waits for this one to return.
    assert_eq!(step(2, "drain", None).0, 409);
    for action in ["upgrade", "verify"] {
        let (status, body) = step(1, action, None);
        assert_eq!(status, 200, "{action}: {body}");
        // Upgrading and verifying record only: sw-c stays drained.
        assert_eq!(impact(addr)["down"], json!(["sw-c"]));
    }
    let (status, body) = step(1, "return", None);
    assert_eq!(status, 200, "{body}");
    let back = impact(addr);
    assert_eq!(
        (back["down"].clone(), back["degraded"].clone()),
        (json!([]), json!([]))
    );

    // Step 2 by the engineer.
    let (status, body) = step(2, "drain", Some(&engineer));
    assert_eq!(status, 200, "{body}");
    assert_eq!(impact(addr)["down"], json!(["sw-d"]));
    for action in ["upgrade", "verify", "return"] {
        let (status, body) = step(2, action, Some(&engineer));
        assert_eq!(status, 200, "{action}: {body}");
    }
    let back = impact(addr);
    assert_eq!(
        (back["down"].clone(), back["degraded"].clone()),
        (json!([]), json!([]))
    );

    // Where it stands: done, every action with who did it, in order.
    let (status, body) = http_as(
        addr,
        "GET",
        &format!("/api/v1/upgrades/{id}"),
        "",
        Some(&junior),
    );
    assert_eq!(status, 200, "{body}");
    let done = json_of(&body);
    assert_eq!(
        (
            done["done"].clone(),
            done["next"].clone(),
            done["current_step"].clone()
        ),
        (json!(true), Value::Null, Value::Null)
    );
    let history: Vec<(i64, String, String)> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            assert!(h["at"].as_str().unwrap().ends_with('Z'), "{h}");
            (
                h["step"].as_i64().unwrap(),
                h["action"].as_str().unwrap().to_owned(),
                h["by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut want = Vec::new();
    for (n, by) in [(1, ADMIN), (2, ENGINEER)] {
        for action in ["drain", "upgrade", "verify", "return"] {
            want.push((n, action.to_owned(), by.to_owned()));
        }
    }
    assert_eq!(history, want);
    for s in done["steps"].as_array().unwrap() {
        assert_eq!(s["state"], "returned", "{s}");
    }
    let (status, body) = step(2, "return", None);
    assert_eq!(status, 409, "{body}");
    assert!(error_of(&body).contains("is done"), "{body}");
    let (status, body) = http(addr, "GET", "/api/v1/upgrades", "");
    assert_eq!(status, 200, "{body}");
    let ids: Vec<i64> = json_of(&body)["upgrades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id, blocked_id]);

    // The audit trail: the plan and each action, with who.
    let admin = login(addr, ADMIN, PASSWORD).unwrap_or_else(|r| panic!("{}", r.body));
    let audit = admin
        .get(&format!("/console/audit?target=upgrade:{id}"))
        .body;
    assert!(
        audit.contains(&format!("<td>{ENGINEER}</td><td>upgrade.plan</td>")),
        "{audit}"
    );
    for (n, member, by) in [(1, "sw-c", ADMIN), (2, "sw-d", ENGINEER)] {
        for action in ["drain", "upgrade", "verify", "return"] {
            // A drain names what it left without redundancy.
            let risk = match action {
                "drain" => "; without redundancy: dns-3, shop-4",
                _ => "",
            };
            let row = format!(
                "<td>{by}</td><td>upgrade.{action}</td><td>upgrade:{id}</td><td>step {n}: {member}{risk}</td>"
            );
            assert_eq!(audit.matches(&row).count(), 1, "{row}: {audit}");
        }
    }
}

#[test]
fn the_console_plans_and_runs_upgrades_for_engineers_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    add_account(&config, ENGINEER, "engineer", None);
    add_account(&config, JUNIOR, "junior", None);
    let server = start(&config);
    let addr = server.addr.as_str();
    let engineer = login(addr, ENGINEER, PASSWORD).unwrap_or_else(|r| panic!("{}", r.body));
    let junior = login(addr, JUNIOR, PASSWORD).unwrap_or_else(|r| panic!("{}", r.body));

    let page = engineer.get("/console/upgrades");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("action=\"/console/upgrades\""));
    assert!(page.body.contains("port names compared"), "{}", page.body);
    let page = junior.get("/console/upgrades");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("action=\"/console/upgrades\""));
    let clean = [
        ("title", "EVPN pair C/D"),
        ("members", "sw-c\nsw-d"),
        ("checklist", "changelog read\ntested in the lab"),
    ];
    assert_eq!(
        junior
            .post_form("/console/upgrades", "/console/upgrades", &clean)
            .status,
        403
    );

    // A field error renders the form again with what was typed.
    let bad = engineer.post_form(
        "/console/upgrades",
        "/console/upgrades",
        &[("title", "Typo <pair>"), ("members", "sw-c sw-q")],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains("members: unknown vertex id `sw-q`"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("Typo &lt;pair&gt;"), "{}", bad.body);
    assert!(bad.body.contains("sw-c sw-q"), "{}", bad.body);

    // A blocked plan names the services and offers no button.
    let planned = engineer.post_form(
        "/console/upgrades",
        "/console/upgrades",
        &[("title", "EVPN pair A/B"), ("members", "sw-a, sw-b")],
    );
    assert_eq!(planned.status, 303, "{}", planned.body);
    let to = planned.header("location").unwrap().to_owned();
    assert!(to.ends_with("?done=upgrade.plan"), "{to}");
    let page = engineer.get(&to);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Upgrade planned."), "{}", page.body);
    assert!(
        page.body
            .contains("its steps would take down db-9, mail-9."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("/steps/"), "{}", page.body);

    let planned = engineer.post_form("/console/upgrades", "/console/upgrades", &clean);
    assert_eq!(planned.status, 303, "{}", planned.body);
    let run = planned
        .header("location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = engineer.get(&run);
    assert!(page.body.contains("changelog read"), "{}", page.body);
    // One button, for the next action only.
    assert_eq!(page.body.matches("/steps/").count(), 1, "{}", page.body);
    let drain = format!("{run}/steps/1/drain");
    assert!(
        page.body.contains(&format!("action=\"{drain}\"")),
        "{}",
        page.body
    );
    assert!(!junior.get(&run).body.contains("/steps/"));
    assert_eq!(junior.post_form(&run, &drain, &[]).status, 403);

    let done = engineer.post_form(&run, &drain, &[]);
    assert_eq!(done.status, 303, "{}", done.body);
    let page = engineer.get(done.header("location").unwrap());
    assert!(page.body.contains("Member drained"), "{}", page.body);
    assert!(page
        .body
        .contains(&format!("action=\"{run}/steps/1/upgrade\"")));
    assert!(
        page.body.contains(&format!(
            "<td>1</td><td>sw-c</td><td>drain</td><td>{ENGINEER}</td>"
        )),
        "{}",
        page.body
    );
    // Out of order through the console: the page again, with what comes next.
    let again = engineer.post_form(&run, &drain, &[]);
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again.body.contains("next is upgrade of step 1 (sw-c)"),
        "{}",
        again.body
    );
    let back = engineer.post_form(&run, &format!("{run}/steps/1/upgrade"), &[]);
    assert_eq!(back.status, 303, "{}", back.body);
}
