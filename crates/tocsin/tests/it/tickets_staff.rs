//! Staff's side of tickets end to end: assignment (shift leads, to staff accounts), triage of
//! department, priority and the customer's own services, merging one ticket into another,
//! canned replies, and the queue of active tickets.

use serde_json::{json, Value};

use crate::serve::error_of;
use crate::tickets::{call, desk_server, ACME, ENGINEER};

#[test]
fn staff_assign_triage_merge_and_keep_canned_replies() {
    let d = desk_server("30m");
    let addr = &d.server.addr;
    let open = |subject: &str| {
        let (status, t) = call(
            addr,
            &d.acme,
            "POST",
            "/api/v1/tickets",
            json!({"subject": subject, "body": "help"}),
        );
        assert_eq!(status, 201, "{t}");
        t["id"].as_i64().unwrap()
    };
    let a = open("Mail bounces");
    let b = open("Mail bounces again");

    // Assignment: shift leads only, to a staff account.
    let assign = |token: &str, login: &str| {
        call(
            addr,
            token,
            "POST",
            &format!("/api/v1/tickets/{a}/assign"),
            json!({"login": login}),
        )
    };
    assert_eq!(assign(&d.engineer, ENGINEER).0, 403);
    let (status, body) = assign(&d.lead, ACME);
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body.to_string()).starts_with("login"), "{body}");
    let (status, t) = assign(&d.lead, ENGINEER);
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["assignee"], ENGINEER);
    let (_, own) = call(
        addr,
        &d.acme,
        "GET",
        &format!("/api/v1/tickets/{a}"),
        Value::Null,
    );
    assert!(own.get("assignee").is_none(), "{own}");

    // Triage: department, priority and the customer's own services.
    let (status, t) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{a}/triage"),
        json!({"department": "billing", "priority": "urgent", "services": ["vps-1"]}),
    );
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        (t["department"].as_str(), t["priority"].as_str()),
        (Some("billing"), Some("urgent"))
    );
    let (status, body) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{a}/triage"),
        json!({"services": ["vps-3"]}),
    );
    assert_eq!(status, 400, "{body}");

    // Merge: b's messages move to a, b is closed and points to it.
    let (status, t) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{b}/merge"),
        json!({"into": a}),
    );
    assert_eq!(status, 200, "{t}");
    let bodies: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "created")
        .map(|e| e["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 2, "{t}");
    let (_, merged) = call(
        addr,
        &d.engineer,
        "GET",
        &format!("/api/v1/tickets/{b}"),
        Value::Null,
    );
    assert_eq!(
        (merged["status"].as_str(), merged["merged_into"].as_i64()),
        (Some("closed"), Some(a))
    );
    assert_eq!(
        call(
            addr,
            &d.engineer,
            "POST",
            &format!("/api/v1/tickets/{b}/merge"),
            json!({"into": a})
        )
        .0,
        409
    );

    // Canned replies: shift leads write them, staff read them.
    assert_eq!(
        call(
            addr,
            &d.engineer,
            "POST",
            "/api/v1/canned-replies",
            json!({"title": "Reboot", "body": "Please reboot."})
        )
        .0,
        403
    );
    let (status, _) = call(
        addr,
        &d.lead,
        "POST",
        "/api/v1/canned-replies",
        json!({"title": "Reboot", "body": "Please reboot.", "language": "en"}),
    );
    assert_eq!(status, 201);
    let (_, list) = call(
        addr,
        &d.junior,
        "GET",
        "/api/v1/canned-replies",
        Value::Null,
    );
    assert_eq!(list["canned_replies"][0]["title"], "Reboot");

    // The queue: active tickets only.
    let (status, q) = call(addr, &d.junior, "GET", "/api/v1/tickets/queue", Value::Null);
    assert_eq!(status, 200, "{q}");
    let ids: Vec<i64> = q["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [a]);
    assert_eq!(
        call(addr, &d.acme, "GET", "/api/v1/tickets/queue", Value::Null).0,
        403
    );
}
