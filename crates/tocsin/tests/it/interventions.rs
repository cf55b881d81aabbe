//! OS interventions end to end (`shared/spec/desk.md`, seed 003) against a real SMTP server:
//! only the customer's own account authorises one, with both confirmations, on its own
//! server; the credentials are shown to the assigned engineer only while the authorisation
//! holds, every attempt on the customer's timeline; the work is logged, the summary mailed
//! at close and the credentials destroyed (`410`); new credentials are read once; a hardware
//! fault becomes a ticket with the tier's replacement target. Who may see the credentials in
//! which state is one table. Sealed envelopes are opened with a reason every admin is mailed.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::serve::{add_account, api_token};
use crate::tickets::{call, desk_server, users_add, Desk, ENGINEER};

const PASSWORD: &str = "Hx7-quartz-Lantern-2291";

/// An intervention on `server` as the spec's example, expiring `expires` from now.
fn request(server: &str, expires: Duration) -> Value {
    let at = jiff::Timestamp::now() + jiff::SignedDuration::try_from(expires).unwrap();
    json!({
        "kind": "intervention",
        "server": server,
        "subject": "SSH does not answer",
        "body": "After an update sshd does not start.",
        "action": "Repair sshd and restart it",
        "credentials": {"username": "rescue-admin", "password": PASSWORD},
        "authorisation": {
            "scope": "sshd configuration and restart",
            "expires": at.to_string(),
            "backups_confirmed": true,
            "interruption_accepted": true
        }
    })
}

fn open(d: &Desk, server: &str, expires: Duration) -> i64 {
    let (status, t) = call(
        &d.server.addr,
        &d.acme,
        "POST",
        "/api/v1/tickets",
        request(server, expires),
    );
    assert_eq!(status, 201, "{t}");
    t["id"].as_i64().unwrap()
}

fn assign(d: &Desk, id: i64, login: &str) {
    let (status, t) = call(
        &d.server.addr,
        &d.lead,
        "POST",
        &format!("/api/v1/tickets/{id}/assign"),
        json!({ "login": login }),
    );
    assert_eq!(status, 200, "{t}");
}

fn reveal(d: &Desk, token: &str, id: i64) -> (u16, Value) {
    call(
        &d.server.addr,
        token,
        "POST",
        &format!("/api/v1/tickets/{id}/credentials/reveal"),
        Value::Null,
    )
}

fn view(d: &Desk, token: &str, id: i64) -> Value {
    let (status, t) = call(
        &d.server.addr,
        token,
        "GET",
        &format!("/api/v1/tickets/{id}"),
        Value::Null,
    );
    assert_eq!(status, 200, "{t}");
    t
}

fn kinds(t: &Value) -> Vec<String> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_intervention_is_authorised_worked_closed_and_its_credentials_destroyed() {
    let d = desk_server("30m");
    let addr = &d.server.addr;
    let id = open(&d, "vps-1", Duration::from_secs(8 * 3600));
    let t = view(&d, &d.acme, id);
    assert_eq!(t["kind"], "intervention");
    let i = &t["intervention"];
    assert_eq!(i["server"], "vps-1");
    assert_eq!(i["credentials"], "sealed");
    assert_eq!(i["authorisation_holds"], true);
    assert_eq!(i["targets"]["first_response"], "10 min");
    assert_eq!(i["targets"]["intervention"], "15–60 min");
    assert!(!t.to_string().contains(PASSWORD), "{t}");
    // The first response is due 10 minutes after opening, whatever the tier says (30m).
    let created = t["created"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    let due = t["sla"]["first_response_due"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    assert_eq!(due.duration_since(created).as_secs(), 600);

    // Nothing is revealed before assignment, even to an engineer.
    assert_eq!(reveal(&d, &d.engineer, id).0, 403);
    assign(&d, id, ENGINEER);
    let (status, c) = reveal(&d, &d.engineer, id);
    assert_eq!(status, 200, "{c}");
    assert_eq!(c, json!({"username": "rescue-admin", "password": PASSWORD}));

    // The work log, judged complex: the target moves to 1–4 h.
    let (status, w) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{id}/work"),
        json!({"access": "rescue", "note": "Booted rescue, fixed sshd_config", "complexity": "complex"}),
    );
    assert_eq!(status, 201, "{w}");
    assert_eq!(w["intervention"]["targets"]["intervention"], "1–4 h");
    // Lists show it too, with the resolution due that complexity gives.
    let (_, list) = call(addr, &d.engineer, "GET", "/api/v1/tickets", Value::Null);
    let listed = &list["tickets"][0];
    assert_eq!(listed["intervention"]["complexity"], "complex");
    assert_eq!(listed["sla"]["resolution_due"], w["sla"]["resolution_due"]);
    // The list reads its interventions at once; each is what the ticket's own page shows, but
    // the log.
    let mut own = view(&d, &d.engineer, id);
    own.as_object_mut().unwrap().remove("events");
    assert_eq!(listed, &own);
    let (status, e) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{id}/work"),
        json!({"access": "telnet", "note": "x"}),
    );
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("access"), "{e}");

    // New credentials, then a close without a summary is refused; with one it is mailed.
    let (status, _) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{id}/new-credentials"),
        json!({"username": "root", "password": "Fresh-Cobalt-8841"}),
    );
    assert_eq!(status, 201);
    let (status, e) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{id}/status"),
        json!({"status": "resolved"}),
    );
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("summary"), "{e}");
    let summary = "Repaired sshd_config (a duplicated Port line) and restarted sshd.";
    let (status, t) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{id}/status"),
        json!({"status": "resolved", "summary": summary}),
    );
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["intervention"]["credentials"], "destroyed");
    assert_eq!(reveal(&d, &d.engineer, id).0, 410);
    // Resolved with its summary, it is closed later without another.
    let (status, t) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{id}/status"),
        json!({"status": "closed"}),
    );
    assert_eq!(status, 200, "{t}");
    assert_eq!(kinds(&t).iter().filter(|k| *k == "summary").count(), 1);

    // The customer's timeline shows the authorisation, both reveal attempts, the work and the
    // summary, never an internal assignment or a secret.
    let t = view(&d, &d.acme, id);
    let k = kinds(&t);
    for kind in [
        "authorise",
        "reveal",
        "work",
        "new_credentials",
        "summary",
        "purge",
    ] {
        assert!(k.contains(&kind.to_owned()), "{kind} missing from {k:?}");
    }
    assert_eq!(k.iter().filter(|k| *k == "reveal").count(), 3);
    assert!(!k.contains(&"assign".to_owned()));
    assert!(!t.to_string().contains(PASSWORD) && !t.to_string().contains("Fresh-Cobalt"));

    // New credentials once; the second read is gone. Staff never read them.
    let path = format!("/api/v1/tickets/{id}/new-credentials");
    assert_eq!(call(addr, &d.engineer, "GET", &path, Value::Null).0, 403);
    let (status, c) = call(addr, &d.acme, "GET", &path, Value::Null);
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["password"], "Fresh-Cobalt-8841");
    assert_eq!(call(addr, &d.acme, "GET", &path, Value::Null).0, 410);

    // The summary reached the customer's contacts; no mail carries a credential.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mails = loop {
        let got = d.keeper.messages();
        if got.iter().any(|(_, m)| m.contains("duplicated Port line")) || Instant::now() > deadline
        {
            break got;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        mails
            .iter()
            .any(|(to, m)| to == "ops@acme.example" && m.contains("duplicated Port line")),
        "no summary mail"
    );
    for (_, m) in &mails {
        assert!(!m.contains(PASSWORD) && !m.contains("Fresh-Cobalt"), "{m}");
    }
}

#[test]
fn only_the_customer_authorises_with_both_confirmations_on_its_own_server() {
    let d = desk_server("30m");
    let addr = &d.server.addr;
    let post = |token: &str, body: Value| call(addr, token, "POST", "/api/v1/tickets", body);
    let mut missing = request("vps-1", Duration::from_secs(3600));
    missing["authorisation"]["backups_confirmed"] = json!(false);
    missing["authorisation"]
        .as_object_mut()
        .unwrap()
        .remove("interruption_accepted");
    let (status, e) = post(&d.acme, missing);
    assert_eq!(status, 400);
    let said = e["error"].as_str().unwrap();
    assert!(
        said.contains("backups_confirmed") && said.contains("interruption_accepted"),
        "{said}"
    );
    let (status, e) = post(&d.acme, request("vps-3", Duration::from_secs(3600)));
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("vps-3"), "{e}");
    let mut none = request("vps-1", Duration::from_secs(3600));
    none.as_object_mut().unwrap().remove("credentials");
    assert_eq!(post(&d.acme, none).0, 400);
    let mut both = request("vps-1", Duration::from_secs(3600));
    both["credentials"]["ssh_key"] = json!("-----BEGIN OPENSSH PRIVATE KEY-----");
    assert_eq!(post(&d.acme, both).0, 400);
    let mut past = request("vps-1", Duration::from_secs(3600));
    past["authorisation"]["expires"] = json!("2020-01-01T00:00:00Z");
    let (status, e) = post(&d.acme, past);
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("expires"), "{e}");
    // Staff cannot authorise for a customer.
    let mut for_acme = request("vps-1", Duration::from_secs(3600));
    for_acme["customer"] = json!("acme");
    assert_eq!(post(&d.engineer, for_acme).0, 403);
    // Nothing was opened by any of these.
    let (_, list) = call(addr, &d.acme, "GET", "/api/v1/tickets", Value::Null);
    assert_eq!(list["tickets"].as_array().unwrap().len(), 0, "{list}");
}

/// The states an intervention's credentials can be in when someone asks for them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Unassigned,
    Assigned,
    Expired,
    Revoked,
    Closed,
}

#[test]
fn who_sees_the_credentials_in_which_state_is_one_table() {
    use State::*;
    let d = desk_server("30m");
    let addr = &d.server.addr;
    let other = "other-engineer@provider.test";
    add_account(&d.config, other, "engineer", None);
    let other = api_token(&d.config, other);
    // The intervention of each state.
    let mut tickets = Vec::new();
    for state in [Unassigned, Assigned, Expired, Revoked, Closed] {
        let expires = if state == Expired {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(3600)
        };
        let id = open(&d, "vps-2", expires);
        if state != Unassigned {
            assign(&d, id, ENGINEER);
        }
        if state == Revoked {
            let (status, t) = call(
                addr,
                &d.acme,
                "DELETE",
                &format!("/api/v1/tickets/{id}/authorisation"),
                Value::Null,
            );
            assert_eq!(status, 200, "{t}");
            assert_eq!(t["intervention"]["credentials"], "destroyed");
            // Staff cannot revoke for the customer, nor can another customer.
            let path = format!("/api/v1/tickets/{id}/authorisation");
            assert_eq!(call(addr, &d.lead, "DELETE", &path, Value::Null).0, 403);
            assert_eq!(call(addr, &d.beta, "DELETE", &path, Value::Null).0, 404);
        }
        if state == Closed {
            let (status, t) = call(
                addr,
                &d.engineer,
                "POST",
                &format!("/api/v1/tickets/{id}/status"),
                json!({"status": "closed", "summary": "Nothing was needed after all."}),
            );
            assert_eq!(status, 200, "{t}");
        }
        tickets.push((state, id));
    }
    // The short authorisation runs out (the server's clock decides).
    let expired = tickets[2].1;
    let deadline = Instant::now() + Duration::from_secs(20);
    while view(&d, &d.acme, expired)["intervention"]["authorisation_holds"] == true {
        assert!(Instant::now() < deadline, "the authorisation never expired");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Who asks, and what each state answers them.
    let who: [(&str, &str); 6] = [
        ("customer", &d.acme),
        ("other customer", &d.beta),
        ("junior", &d.junior),
        ("shift lead", &d.lead),
        ("other engineer", &other),
        ("assigned engineer", &d.engineer),
    ];
    let expect = |asker: &str, state: State| -> u16 {
        match (asker, state) {
            ("other customer", _) => 403,
            ("assigned engineer", Assigned) => 200,
            ("assigned engineer", Closed) => 410,
            _ => 403,
        }
    };
    let mut wrong = Vec::new();
    let mut attempts = vec![0usize; tickets.len()];
    for (asker, token) in who {
        for (n, &(state, id)) in tickets.iter().enumerate() {
            let (status, body) = reveal(&d, token, id);
            if status != expect(asker, state) {
                wrong.push(format!("{asker} on {state:?}: {status} {body}"));
            }
            if status == 200 && body["password"] != PASSWORD {
                wrong.push(format!("{asker} on {state:?}: {body}"));
            }
            if asker != "other customer" {
                attempts[n] += 1;
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Every attempt by someone who can see the ticket is on the customer's timeline.
    for (n, &(state, id)) in tickets.iter().enumerate() {
        let t = view(&d, &d.acme, id);
        let reveals: Vec<&Value> = t["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "reveal")
            .collect();
        assert_eq!(reveals.len(), attempts[n], "{state:?}: {reveals:?}");
        let given = reveals
            .iter()
            .filter(|e| e["body"].as_str().unwrap().contains("revealed to"))
            .count();
        assert_eq!(given, usize::from(state == Assigned), "{state:?}");
    }
    // The expired one's credentials are destroyed by the leader's timer, too.
    let deadline = Instant::now() + Duration::from_secs(20);
    while view(&d, &d.acme, expired)["intervention"]["credentials"] != "destroyed" {
        assert!(Instant::now() < deadline, "expired credentials were kept");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_hardware_fault_becomes_a_ticket_with_the_replacement_target() {
    let d = desk_server("30m");
    let addr = &d.server.addr;
    let id = open(&d, "vps-1", Duration::from_secs(3600));
    assign(&d, id, ENGINEER);
    let path = format!("/api/v1/tickets/{id}/hardware");
    assert_eq!(
        call(addr, &d.junior, "POST", &path, json!({"note": "disk"})).0,
        403
    );
    let (status, h) = call(
        addr,
        &d.engineer,
        "POST",
        &path,
        json!({"note": "SMART reports reallocated sectors on sda"}),
    );
    assert_eq!(status, 201, "{h}");
    assert_eq!(h["kind"], "hardware");
    assert_eq!(h["customer"], "acme");
    // The business tier names no replacement target: 4 h.
    let created = h["created"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    let due = h["sla"]["resolution_due"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    assert_eq!(due.duration_since(created).as_secs(), 4 * 3600);
    let hw = h["id"].as_i64().unwrap();
    let t = view(&d, &d.acme, id);
    assert!(t["events"].as_array().unwrap().iter().any(
        |e| e["kind"] == "hardware" && e["body"].as_str().unwrap().contains(&format!("T-{hw}"))
    ));
    assert_eq!(view(&d, &d.acme, hw)["kind"], "hardware");
}

#[test]
fn an_envelope_opened_by_any_staff_mails_every_admin_and_never_lists_its_secret() {
    let d = desk_server("30m");
    let addr = &d.server.addr;
    users_add(
        &d.config,
        "chief@provider.test",
        "admin",
        "chief@ops.example",
    );
    users_add(
        &d.config,
        "deputy@provider.test",
        "admin",
        "deputy@ops.example",
    );
    let admin = api_token(&d.config, "chief@provider.test");
    let secret = "facebook: status-page / Orchid-Velvet-6620";
    let body = json!({"name": "Social networks", "secret": secret});
    assert_eq!(
        call(addr, &d.lead, "POST", "/api/v1/envelopes", body.clone()).0,
        403
    );
    let (status, e) = call(addr, &admin, "POST", "/api/v1/envelopes", body.clone());
    assert_eq!(status, 201, "{e}");
    assert!(!e.to_string().contains("Orchid"));
    let eid = e["id"].as_i64().unwrap();
    assert_eq!(call(addr, &admin, "POST", "/api/v1/envelopes", body).0, 409);

    let open = format!("/api/v1/envelopes/{eid}/open");
    let (status, r) = call(addr, &d.junior, "POST", &open, json!({"reason": " "}));
    assert_eq!(status, 400, "{r}");
    let reason = "Our network is down; the status must go out on the social networks";
    let (status, r) = call(addr, &d.junior, "POST", &open, json!({ "reason": reason }));
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["secret"], secret);

    let (status, list) = call(addr, &d.junior, "GET", "/api/v1/envelopes", Value::Null);
    assert_eq!(status, 200);
    assert!(!list.to_string().contains("Orchid"), "{list}");
    let openings = &list["envelopes"][0]["openings"];
    assert_eq!(openings[0]["opened_by"], crate::tickets::JUNIOR);
    assert_eq!(openings[0]["reason"], reason);

    // Every admin with an address is told at once, and no mail carries the secret.
    let mails = d.keeper.wait_for(2, Duration::from_secs(20));
    let told: Vec<&str> = mails
        .iter()
        .filter(|(_, m)| m.contains("Social networks"))
        .map(|(to, _)| to.as_str())
        .collect();
    assert!(
        told.contains(&"chief@ops.example") && told.contains(&"deputy@ops.example"),
        "{told:?}"
    );
    for (_, m) in &mails {
        assert!(!m.contains("Orchid"), "{m}");
    }

    // Resealed after the opening: the new secret opens, the opening stays listed.
    let (status, _) = call(
        addr,
        &admin,
        "POST",
        &format!("/api/v1/envelopes/{eid}/reseal"),
        json!({"secret": "rotated"}),
    );
    assert_eq!(status, 200);
    let (_, r) = call(addr, &d.lead, "POST", &open, json!({"reason": "check"}));
    assert_eq!(r["secret"], "rotated");
    let (_, list) = call(addr, &d.junior, "GET", "/api/v1/envelopes", Value::Null);
    assert_eq!(
        list["envelopes"][0]["openings"].as_array().unwrap().len(),
        2
    );
}
