//! One operation, two faces: every action the console offers has a JSON twin under
//! `/api/v1/` that a NOC can script. Each twin is driven here with bearer tokens of the
//! roles that may and may not use it, its refusals name the field at fault, what it does
//! shows in the same outputs as the console's form, and it leaves the same audit entry.

use serde_json::Value;

use crate::serve::{
    add_account, api_token, example_config, http, http_as, json_of, start, wait_for,
};

fn as_(addr: &str, token: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
    let (status, body) = http_as(addr, method, path, body, Some(token));
    let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, json)
}

#[test]
fn every_console_action_has_a_json_twin_with_the_same_checks_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    let mut token = std::collections::HashMap::new();
    for (login, role, customer) in [
        ("junior@provider.test", "junior", None),
        ("eng@provider.test", "engineer", None),
        ("lead@provider.test", "shift_lead", None),
        ("it@acme.test", "customer", Some("acme")),
    ] {
        add_account(&config, login, role, customer);
        token.insert(role, api_token(&config, login));
    }
    let server = start(&config);
    let addr = server.addr.as_str();
    let within = std::time::Duration::from_secs(10);

    // What-if: read-only, for every member of staff; an unknown id is named.
    let (status, w) = as_(
        addr,
        &token["junior"],
        "GET",
        "/api/v1/whatif?down=sw-a",
        "",
    );
    assert_eq!(status, 200, "{w}");
    assert_eq!(w["newly_affected"], serde_json::json!(["beta"]), "{w}");
    assert_eq!(w["newly_at_risk"], serde_json::json!(["acme"]), "{w}");
    let (status, w) = as_(
        addr,
        &token["junior"],
        "GET",
        "/api/v1/whatif?down=nope",
        "",
    );
    assert_eq!(status, 400);
    assert_eq!(w["error"], "down: unknown vertex id `nope`");
    let (_, impact) = http(addr, "GET", "/api/v1/impact", "");
    assert_eq!(
        json_of(&impact)["down"],
        serde_json::json!([]),
        "what-if changed the live state"
    );

    // A manual mark: engineers and up; the reason is required; it goes through the pipeline.
    let mark = r#"{"vertex":"hv-08","state":"down","reason":"replacing a PSU"}"#;
    let (status, _) = as_(addr, &token["junior"], "POST", "/api/v1/marks", mark);
    assert_eq!(status, 403);
    let (status, e) = as_(
        addr,
        &token["engineer"],
        "POST",
        "/api/v1/marks",
        r#"{"vertex":"hv-08","state":"down","reason":" "}"#,
    );
    assert_eq!(status, 400);
    assert_eq!(e["error"], "reason: say why, for the audit trail");
    let (status, e) = as_(addr, &token["engineer"], "POST", "/api/v1/marks", mark);
    assert_eq!(status, 200, "{e}");
    let (_, impact) = http(addr, "GET", "/api/v1/impact", "");
    assert!(
        json_of(&impact)["down"].to_string().contains("hv-08"),
        "{impact}"
    );
    let (_, marks) = as_(addr, &token["junior"], "GET", "/api/v1/marks", "");
    assert_eq!(marks["marks"][0]["vertex"], "hv-08", "{marks}");
    assert_eq!(marks["marks"][0]["by"], "eng@provider.test", "{marks}");
    assert_eq!(marks["marks"][0]["reason"], "replacing a PSU", "{marks}");

    // The mark opens an incident; a public update needs a shift lead, a note does not.
    wait_for(addr, "/api/v1/incidents", "the incident", within, |b| {
        b.contains("vps-2")
    });
    let update = r#"{"status":"identified","body":"A power supply is being replaced."}"#;
    let (status, _) = as_(
        addr,
        &token["engineer"],
        "POST",
        "/api/v1/incidents/1/updates",
        update,
    );
    assert_eq!(status, 403);
    let (status, u) = as_(
        addr,
        &token["shift_lead"],
        "POST",
        "/api/v1/incidents/1/updates",
        update,
    );
    assert_eq!(status, 201, "{u}");
    let (status, _) = as_(
        addr,
        &token["junior"],
        "POST",
        "/api/v1/incidents/1/updates",
        r#"{"status":"identified","body":"PSU ordered","public":false}"#,
    );
    assert_eq!(status, 201);
    let (status, _) = as_(
        addr,
        &token["shift_lead"],
        "POST",
        "/api/v1/incidents/99/updates",
        update,
    );
    assert_eq!(status, 404);
    wait_for(
        addr,
        "/api/v2/summary.json",
        "the public update",
        within,
        |b| b.contains("A power supply is being replaced.") && !b.contains("PSU ordered"),
    );

    // A component's status by hand: shift leads; the status and the note are checked.
    let set = r#"{"status":"under_maintenance","note":"firmware"}"#;
    let (status, _) = as_(
        addr,
        &token["engineer"],
        "POST",
        "/api/v1/components/vps-dc1/status",
        set,
    );
    assert_eq!(status, 403);
    let (status, e) = as_(
        addr,
        &token["shift_lead"],
        "POST",
        "/api/v1/components/vps-dc1/status",
        r#"{"status":"broken","note":"x"}"#,
    );
    assert_eq!(status, 400);
    assert!(
        e["error"].as_str().unwrap().starts_with("status: choose"),
        "{e}"
    );
    let (status, e) = as_(
        addr,
        &token["shift_lead"],
        "POST",
        "/api/v1/components/nope/status",
        set,
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("component: unknown component id `nope`"))
    );
    let (status, _) = as_(
        addr,
        &token["shift_lead"],
        "POST",
        "/api/v1/components/vps-dc1/status",
        set,
    );
    assert_eq!(status, 200);
    let (_, c) = as_(addr, &token["junior"], "GET", "/api/v1/components", "");
    assert_eq!(
        c["components"][0]["manual"]["status"], "under_maintenance",
        "{c}"
    );
    assert_eq!(
        c["components"][0]["manual"]["set_by"], "lead@provider.test",
        "{c}"
    );

    // Maintenance planned, moved and cancelled; the calendar follows.
    let plan = r#"{"title":"Core switch upgrade","body":"One side at a time.","components":["vps-dc1"],"starts":"2099-01-01T22:00:00Z","ends":"2099-01-02T02:00:00Z"}"#;
    let (status, _) = as_(
        addr,
        &token["engineer"],
        "POST",
        "/api/v1/maintenance",
        plan,
    );
    assert_eq!(status, 403);
    let (status, e) = as_(
        addr,
        &token["shift_lead"],
        "POST",
        "/api/v1/maintenance",
        &plan.replace("2099-01-02T02:00:00Z", "2098-01-01T00:00:00Z"),
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("ends: the window must end after it starts"))
    );
    let (status, p) = as_(
        addr,
        &token["shift_lead"],
        "POST",
        "/api/v1/maintenance",
        plan,
    );
    assert_eq!(status, 201, "{p}");
    let id = p["id"].as_i64().unwrap();
    let moved = r#"{"starts":"2099-01-08T22:00:00Z","ends":"2099-01-09T02:00:00Z"}"#;
    let (status, _) = as_(
        addr,
        &token["shift_lead"],
        "POST",
        &format!("/api/v1/maintenance/{id}/move"),
        moved,
    );
    assert_eq!(status, 200);
    let (status, e) = as_(
        addr,
        &token["shift_lead"],
        "POST",
        &format!("/api/v1/maintenance/{id}/move"),
        moved,
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("starts: the window already has these times"))
    );
    let (_, list) = as_(addr, &token["junior"], "GET", "/api/v1/maintenance", "");
    let w = &list["maintenance"][0];
    assert_eq!(
        (w["sequence"].as_i64(), w["starts"].as_str()),
        (Some(1), Some("2099-01-08T22:00:00Z")),
        "{list}"
    );
    wait_for(
        addr,
        "/maintenance.ics",
        "the moved window",
        within,
        |ics| ics.contains("Core switch upgrade") && ics.contains("DTSTART:20990108T220000Z"),
    );
    let cancel = format!("/api/v1/maintenance/{id}/cancel");
    let (status, _) = as_(addr, &token["shift_lead"], "POST", &cancel, "");
    assert_eq!(status, 200);
    let (status, _) = as_(addr, &token["shift_lead"], "POST", &cancel, "");
    assert_eq!(status, 404);

    // A customer's own preferences: checked as the form checks them, never the secret back.
    let (status, e) = as_(
        addr,
        &token["customer"],
        "PUT",
        "/api/v1/account/preferences",
        r#"{"contacts":["not an address"]}"#,
    );
    assert_eq!(status, 400);
    assert!(
        e["error"].as_str().unwrap().starts_with("contacts: "),
        "{e}"
    );
    let prefs = r#"{"contacts":["noc@acme.test"],"language":"cs","webhook_url":"https://hooks.example.com/acme","webhook_secret":"sixteen-chars-ok!"}"#;
    let (status, p) = as_(
        addr,
        &token["customer"],
        "PUT",
        "/api/v1/account/preferences",
        prefs,
    );
    assert_eq!(status, 200, "{p}");
    let (_, p) = as_(
        addr,
        &token["customer"],
        "GET",
        "/api/v1/account/preferences",
        "",
    );
    assert_eq!(p["contacts"], serde_json::json!(["noc@acme.test"]), "{p}");
    assert_eq!(
        (p["language"].as_str(), p["webhook_secret_set"].as_bool()),
        (Some("cs"), Some(true))
    );
    assert!(!p.to_string().contains("sixteen-chars-ok"), "{p}");
    let (status, _) = as_(
        addr,
        &token["shift_lead"],
        "PUT",
        "/api/v1/account/preferences",
        prefs,
    );
    assert_eq!(status, 403);

    // Each change left its one audit entry, under the account that made it.
    let (_, audit) = http(addr, "GET", "/console/audit", "");
    for (action, actor) in [
        ("vertex.down", "eng@provider.test"),
        ("incident.update", "lead@provider.test"),
        ("incident.note", "junior@provider.test"),
        ("component.status", "lead@provider.test"),
        ("maintenance.plan", "lead@provider.test"),
        ("maintenance.move", "lead@provider.test"),
        ("maintenance.cancel", "lead@provider.test"),
        ("preferences.set", "it@acme.test"),
    ] {
        let cell = format!("<td>{action}</td>");
        let rows: Vec<&str> = audit.lines().filter(|l| l.contains(&cell)).collect();
        assert_eq!(rows.len(), 1, "{action}: {rows:?}");
        assert!(
            rows[0].contains(&format!("<td>{actor}</td>")),
            "{action}: {rows:?}"
        );
    }
}

/// The month before `YYYY-MM`.
fn month_before(month: &str) -> String {
    let (y, m) = month.split_once('-').unwrap();
    let (y, m): (i32, u32) = (y.parse().unwrap(), m.parse().unwrap());
    if m == 1 {
        format!("{}-12", y - 1)
    } else {
        format!("{y}-{:02}", m - 1)
    }
}

/// A form POSTed with a bearer token, as a script would post the console's or client area's.
fn form_as(addr: &str, token: &str, path: &str, fields: &[(&str, &str)]) -> crate::session::Reply {
    let headers = format!(
        "Authorization: Bearer {token}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    );
    crate::session::exchange(
        addr,
        "POST",
        path,
        &headers,
        &crate::session::form_encode(fields),
    )
}

#[test]
fn sla_console_and_client_area_actions_have_json_twins_with_the_same_checks_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    // The spec's example inventory with acme's vps-m plan defined, and time to choose.
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../inventory/tests/fixtures/good/spec-example.yaml"),
    )
    .unwrap();
    let planned = example.replacen(
        "version: 1\n",
        "version: 1\nplans:\n  - {id: vps-m, name: VPS M, price: \"12.00\", currency: EUR, sla: 99.9, credits: tiered}\ncredit_policies:\n  - id: tiered\n    tiers:\n      - {below: 99.9, percent: 10}\n      - {below: 99.0, percent: 30}\n      - {below: 95.0, percent: 100}\n",
        1,
    );
    let inventory = dir.path().join("planned.yaml");
    std::fs::write(&inventory, planned).unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("inventory = ") {
                format!("inventory = \"{}\"", inventory.display())
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config, format!("{text}\n[sla]\nclaim_days = 60\n")).unwrap();
    let mut token = std::collections::HashMap::new();
    for (login, role, customer) in [
        ("junior@provider.test", "junior", None),
        ("eng@provider.test", "engineer", None),
        ("lead@provider.test", "shift_lead", None),
        ("it@acme.test", "customer", Some("acme")),
        ("it@beta.test", "customer", Some("beta")),
    ] {
        add_account(&config, login, role, customer);
        token.insert(login, api_token(&config, login));
    }
    let server = start(&config);
    let addr = server.addr.as_str();
    let (junior, eng, lead) = (
        &token["junior@provider.test"],
        &token["eng@provider.test"],
        &token["lead@provider.test"],
    );
    let (acme, beta) = (&token["it@acme.test"], &token["it@beta.test"]);

    // The last month is final: an outage recorded in it earns acme a credit.
    let (status, now) = as_(addr, junior, "GET", "/api/v1/sla", "");
    assert_eq!(status, 200, "{now}");
    assert_eq!(now["final"], false, "{now}");
    let month = month_before(now["month"].as_str().unwrap());
    let outage = format!(
        r#"{{"down":["rack-07-tor"],"start":"{month}-02T00:00:00Z","end":"{month}-04T00:00:00Z","note":"ToR replaced"}}"#
    );
    let (status, _) = as_(addr, junior, "POST", "/api/v1/outages", &outage);
    assert_eq!(status, 403);
    let (status, e) = as_(
        addr,
        eng,
        "POST",
        "/api/v1/outages",
        &outage.replace("rack-07-tor", "nope"),
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("down: `nope` is not a vertex of the inventory"))
    );
    let (status, e) = as_(
        addr,
        eng,
        "POST",
        "/api/v1/outages",
        &outage.replace("-04T", "-01T"),
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("end: must be after start"))
    );
    let (status, o) = as_(addr, eng, "POST", "/api/v1/outages", &outage);
    assert_eq!(status, 201, "{o}");
    // Its console twin: the same checks, the page names the field; done, back to the month.
    let fields = |down: &'static str| {
        vec![
            ("down", ""),
            ("degraded", down),
            ("start", "2020-01-10T10:00"),
            ("end", "2020-01-10T10:30"),
            ("note", "a flapping uplink"),
            ("month", "2020-01"),
        ]
    };
    let refused = form_as(addr, junior, "/console/sla/outages", &fields("sw-b"));
    assert_eq!(refused.status, 403);
    let refused = form_as(addr, eng, "/console/sla/outages", &fields("nope"));
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .body
            .contains("degraded: `nope` is not a vertex of the inventory"),
        "{}",
        refused.body
    );
    let done = form_as(addr, eng, "/console/sla/outages", &fields("sw-b"));
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.header("location"),
        Some("/console/sla?month=2020-01&done=outage")
    );
    let (_, list) = as_(addr, junior, "GET", "/api/v1/outages", "");
    assert_eq!(
        list["outages"][0]["degraded"],
        serde_json::json!(["sw-b"]),
        "{list}"
    );
    assert_eq!(list["outages"][1]["id"], o["id"], "{list}");

    // The report: two days down of the month, the top tier.
    let (status, r) = as_(
        addr,
        junior,
        "GET",
        &format!("/api/v1/sla?month={month}"),
        "",
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["final"], true);
    let line = &r["services"][0];
    assert_eq!(
        (line["service"].as_str(), line["down_seconds"].as_i64()),
        (Some("vps-1042"), Some(172_800)),
        "{r}"
    );
    assert_eq!(
        (
            line["credit"]["net"].as_str(),
            line["credit"]["gross"].as_str()
        ),
        (Some("12.00"), Some("14.52")),
        "{r}"
    );
    let (status, e) = as_(addr, junior, "GET", "/api/v1/sla?month=2026-13", "");
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().starts_with("month: "), "{e}");
    let page = crate::serve::http_as(
        addr,
        "GET",
        &format!("/console/sla?month={month}"),
        "",
        Some(junior),
    )
    .1;
    assert!(
        page.contains("<td>vps-1042</td>") && page.contains("12.00 EUR"),
        "{page}"
    );
    assert!(
        !page.contains("action=\"/console/sla/outages\""),
        "a junior gets no form"
    );

    // The leader offers the credit; the customer chooses, on either face.
    wait_for(
        addr,
        "/api/v1/credits",
        "the credit",
        std::time::Duration::from_secs(10),
        |b| b.contains("vps-1042"),
    );
    let (_, mine) = as_(addr, acme, "GET", "/api/v1/account/credits", "");
    let credit = &mine["credits"][0];
    assert_eq!(
        (credit["status"].as_str(), credit["net"].as_str()),
        (Some("offered"), Some("12.00")),
        "{mine}"
    );
    let id = credit["id"].as_i64().unwrap();
    let choice = format!("/api/v1/account/credits/{id}/choice");
    let (status, e) = as_(addr, acme, "POST", &choice, r#"{"offer":"nope"}"#);
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().starts_with("offer: "), "{e}");
    let (status, _) = as_(addr, beta, "POST", &choice, r#"{"offer":"credit"}"#);
    assert_eq!(status, 404, "another customer's credit");
    let (status, _) = as_(addr, lead, "POST", &choice, r#"{"offer":"credit"}"#);
    assert_eq!(status, 403);
    let (status, c) = as_(addr, acme, "POST", &choice, r#"{"offer":"extension"}"#);
    assert_eq!((status, c["status"].as_str()), (200, Some("chosen")), "{c}");
    let form = format!("/account/credits/{id}/choice");
    assert_eq!(
        form_as(addr, beta, &form, &[("offer", "credit")]).status,
        404
    );
    let chosen = form_as(addr, acme, &form, &[("offer", "credit")]);
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    assert_eq!(
        chosen.header("location"),
        Some(format!("/account/sla?month={month}&done=chosen").as_str())
    );
    let page = crate::serve::http_as(addr, "GET", "/account/sla?done=chosen", "", Some(acme)).1;
    assert!(
        page.contains(&format!("action=\"/account/credits/{id}/choice\"")),
        "{page}"
    );
    assert!(page.contains("value=\"credit\" checked"), "{page}");
    assert!(
        page.contains(&format!("{month}-02 00:00 UTC")),
        "the interval: {page}"
    );
    let other = crate::serve::http_as(addr, "GET", "/account/sla", "", Some(beta)).1;
    assert!(
        !other.contains("acme-web") && !other.contains("/choice"),
        "{other}"
    );

    // It waits for a shift lead: the reason is required; decided once, on either face.
    let (_, waiting) = as_(addr, junior, "GET", "/api/v1/credits?status=chosen", "");
    assert_eq!(waiting["credits"][0]["id"].as_i64(), Some(id), "{waiting}");
    let approve = format!("/api/v1/credits/{id}/approve");
    let (status, _) = as_(addr, eng, "POST", &approve, r#"{"reason":"ok"}"#);
    assert_eq!(status, 403);
    let (status, e) = as_(addr, lead, "POST", &approve, r#"{"reason":" "}"#);
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("reason: say why"))
    );
    let reject = format!("/console/credits/{id}/reject");
    assert_eq!(form_as(addr, eng, &reject, &[("reason", "no")]).status, 403);
    let refused = form_as(addr, lead, &reject, &[("reason", ""), ("month", &month)]);
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("reason: say why"), "{}", refused.body);
    let (status, _) = as_(
        addr,
        lead,
        "POST",
        "/api/v1/credits/999/approve",
        r#"{"reason":"x"}"#,
    );
    assert_eq!(status, 404);
    let (status, c) = as_(
        addr,
        lead,
        "POST",
        &approve,
        r#"{"reason":"two days down"}"#,
    );
    assert_eq!(
        (status, c["status"].as_str()),
        (200, Some("approved")),
        "{c}"
    );
    let late = form_as(
        addr,
        lead,
        &reject,
        &[("reason", "changed my mind"), ("month", &month)],
    );
    assert_eq!(late.status, 409, "{}", late.body);
    let (status, _) = as_(
        addr,
        lead,
        "POST",
        &format!("/api/v1/credits/{id}/reject"),
        r#"{"reason":"x"}"#,
    );
    assert_eq!(status, 409);
    let (status, _) = as_(addr, acme, "POST", &choice, r#"{"offer":"credit"}"#);
    assert_eq!(status, 409);
    assert_eq!(
        form_as(addr, acme, &form, &[("offer", "credit")]).status,
        409
    );

    // Each change left its audit entries, under the account that made it.
    let (_, audit) = http(addr, "GET", "/console/audit", "");
    for (action, actor, count) in [
        ("outage.record", "eng@provider.test", 2),
        ("credit.offer", "system", 1),
        ("credit.choose", "it@acme.test", 2),
        ("credit.approve", "lead@provider.test", 1),
        ("credit.reject", "", 0),
    ] {
        let cell = format!("<td>{action}</td>");
        let rows: Vec<&str> = audit.lines().filter(|l| l.contains(&cell)).collect();
        assert_eq!(rows.len(), count, "{action}: {rows:?}");
        let by = format!("<td>{actor}</td>");
        assert!(rows.iter().all(|r| r.contains(&by)), "{action}: {rows:?}");
    }
}
