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
