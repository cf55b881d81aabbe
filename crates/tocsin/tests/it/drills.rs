//! Emergency drills, end to end, with `[sla] time_zone = "Europe/Prague"`: a shift lead plans
//! one over the API (`201` with the what-if of its targets), the register lists its next five
//! occurrences at 10:00 in Prague whatever the season, and the past ones without a result as
//! overdue; an engineer records a result, a second one for the same occurrence is `409`; bad
//! fields are `400` naming the field; a junior may read but neither plan nor record. The
//! console does the same through its forms.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::serve::{add_account, api_token, example_config, http, http_as, json_of, start};
use crate::serve::{error_of, PASSWORD};
use crate::session::login;

const JUNIOR: &str = "junior@provider.test";
const ENGINEER: &str = "engineer@provider.test";
const LEAD: &str = "lead@provider.test";

/// The spec's example inventory, the provider in Prague.
fn prague_config(dir: &Path) -> PathBuf {
    let config = example_config(dir, None, "http://status.example.net");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&config)
        .unwrap();
    writeln!(f, "[sla]\ntime_zone = \"Europe/Prague\"").unwrap();
    config
}

/// The generator test of the seed: monthly on the first Tuesday at 10:00 Prague time (the
/// first occurrence, 2026-01-06, is in winter: 09:00 UTC), for 15 minutes.
fn generator(targets: Value) -> String {
    json!({
        "title": "Generator under load <b>A</b>",
        "targets": targets,
        "rrule": "FREQ=MONTHLY;BYDAY=1TU",
        "start": "2026-01-06T09:00:00Z",
        "duration": "15m",
        "announced": false,
    })
    .to_string()
}

#[test]
fn drills_are_planned_listed_in_the_zone_and_their_results_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = prague_config(dir.path());
    add_account(&config, JUNIOR, "junior", None);
    add_account(&config, ENGINEER, "engineer", None);
    let junior = api_token(&config, JUNIOR);
    let engineer = api_token(&config, ENGINEER);
    let server = start(&config);
    let addr = server.addr.as_str();

    // Planning: shift leads and up only.
    let plan = generator(json!(["sw-a"]));
    for token in [&junior, &engineer] {
        let (status, body) = http_as(addr, "POST", "/api/v1/drills", &plan, Some(token));
        assert_eq!(status, 403, "{body}");
    }
    let (status, body) = http(addr, "POST", "/api/v1/drills", &plan);
    assert_eq!(status, 201, "{body}");
    let planned = json_of(&body);
    let id = planned["id"].as_i64().unwrap();
    assert_eq!(planned["title"], "Generator under load <b>A</b>");
    assert_eq!(planned["targets"], json!(["sw-a"]));
    assert_eq!(planned["start"], "2026-01-06T09:00:00Z");
    assert_eq!(planned["duration"], "15m");
    assert_eq!(planned["announced"], false);
    // sw-a down: hv-08 needs it alone (vps-2 of beta down), hv-07 has sw-b too (vps-1042 of
    // acme loses its redundancy).
    assert_eq!(
        planned["what_if"],
        json!({
            "down_services": ["vps-2"],
            "at_risk_services": ["vps-1042"],
            "affected_customers": ["beta"],
            "at_risk_customers": ["acme"],
        })
    );

    // Bad fields are refused naming the field, and store nothing.
    let refused = [
        (generator(json!(["sw-a", "sw-zz"])), "targets"),
        (generator(json!([])), "targets"),
        (
            plan.replace("FREQ=MONTHLY;BYDAY=1TU", "FREQ=FORTNIGHTLY"),
            "rrule",
        ),
        (
            plan.replace("2026-01-06T09:00:00Z", "next tuesday"),
            "start",
        ),
        (plan.replace("\"15m\"", "\"a while\""), "duration"),
        (plan.replace("\"15m\"", "\"0s\""), "duration"),
    ];
    for (body, field) in &refused {
        let (status, reply) = http(addr, "POST", "/api/v1/drills", body);
        assert_eq!(status, 400, "{field}: {reply}");
        assert!(error_of(&reply).starts_with(field), "{field}: {reply}");
    }

    // The register, as a junior may read it.
    let (status, body) = http_as(addr, "GET", "/api/v1/drills", "", Some(&junior));
    assert_eq!(status, 200, "{body}");
    let list = json_of(&body);
    assert_eq!(list["time_zone"], "Europe/Prague");
    let drills = list["drills"].as_array().unwrap();
    assert_eq!(drills.len(), 1, "{body}");
    let d = &drills[0];
    assert_eq!(d["id"].as_i64(), Some(id));
    let next = d["next"].as_array().unwrap();
    let local = d["next_local"].as_array().unwrap();
    assert_eq!((next.len(), local.len()), (5, 5), "{body}");
    for (utc, local) in next.iter().zip(local) {
        let (utc, local) = (utc.as_str().unwrap(), local.as_str().unwrap());
        // 10:00 in Prague: 09:00 UTC in winter, 08:00 UTC in summer, on a first Tuesday.
        let winter = local.ends_with("T10:00:00+01:00") && utc.ends_with("T09:00:00Z");
        let summer = local.ends_with("T10:00:00+02:00") && utc.ends_with("T08:00:00Z");
        assert!(winter || summer, "{utc} {local}");
        assert_eq!(utc[..10], local[..10], "{utc} {local}");
        let day: u32 = utc[8..10].parse().unwrap();
        assert!((1..=7).contains(&day), "{utc}");
    }
    assert!(next.windows(2).all(|w| w[0].as_str() < w[1].as_str()));
    // Every first Tuesday since January 2026 that is over has no result: overdue.
    let overdue: Vec<String> = d["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_owned())
        .collect();
    assert!(!overdue.is_empty(), "{body}");
    assert!(overdue
        .iter()
        .all(|o| o.as_str() < next[0].as_str().unwrap()));
    let first = overdue[0].clone();

    // Recording a result: engineers and up; once per occurrence.
    let result = |occurrence: &str, outcome: &str, started: &str, ended: &str| {
        json!({"occurrence": occurrence, "outcome": outcome, "started": started,
               "ended": ended, "notes": "load held <ok>"})
        .to_string()
    };
    let path = format!("/api/v1/drills/{id}/results");
    let good = result(&first, "passed", &first, &first);
    let (status, reply) = http_as(addr, "POST", &path, &good, Some(&junior));
    assert_eq!(status, 403, "{reply}");
    let (status, reply) = http_as(addr, "POST", &path, &good, Some(&engineer));
    assert_eq!(status, 201, "{reply}");
    let recorded = json_of(&reply);
    assert_eq!(
        (
            &recorded["occurrence"],
            &recorded["outcome"],
            &recorded["recorded_by"]
        ),
        (&json!(first), &json!("passed"), &json!(ENGINEER))
    );
    let (status, reply) = http(
        addr,
        "POST",
        &path,
        &result(&first, "failed", &first, &first),
    );
    assert_eq!(status, 409, "{reply}");
    let (status, reply) = http(
        addr,
        "POST",
        "/api/v1/drills/999/results",
        &result(&first, "passed", &first, &first),
    );
    assert_eq!(status, 404, "{reply}");

    let second = overdue.get(1).cloned().unwrap_or_else(|| first.clone());
    let not_one = "2026-01-07T09:00:00Z";
    let bad = [
        (result(not_one, "passed", not_one, not_one), "occurrence"),
        (
            result("yesterday", "passed", &second, &second),
            "occurrence",
        ),
        (result(&second, "meh", &second, &second), "outcome"),
        (result(&second, "passed", "soon", &second), "started"),
        (
            result(
                &second,
                "passed",
                "2026-02-03T09:10:00Z",
                "2026-02-03T09:00:00Z",
            ),
            "ended",
        ),
    ];
    for (body, field) in &bad {
        let (status, reply) = http(addr, "POST", &path, body);
        assert_eq!(status, 400, "{field}: {reply}");
        assert!(error_of(&reply).starts_with(field), "{field}: {reply}");
    }

    // The recorded occurrence is no longer overdue, and its result is listed.
    let (_, body) = http(addr, "GET", "/api/v1/drills", "");
    let d = &json_of(&body)["drills"][0];
    let still: Vec<&str> = d["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert!(!still.contains(&first.as_str()), "{body}");
    assert_eq!(still.len(), overdue.len() - 1, "{body}");
    assert_eq!(d["results"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(d["results"][0]["notes"], "load held <ok>");

    let (_, audit) = http(addr, "GET", "/console/audit", "");
    assert!(audit.contains("drill.plan"), "{audit}");
    assert!(audit.contains("drill.result"), "{audit}");
}

#[test]
fn the_console_register_plans_for_leads_and_records_for_engineers() {
    let dir = tempfile::tempdir().unwrap();
    let config = prague_config(dir.path());
    add_account(&config, JUNIOR, "junior", None);
    add_account(&config, ENGINEER, "engineer", None);
    add_account(&config, LEAD, "shift_lead", None);
    let server = start(&config);
    let addr = server.addr.as_str();
    let browse = |who: &str| login(addr, who, PASSWORD).unwrap_or_else(|r| panic!("{}", r.body));
    let (junior, engineer, lead) = (browse(JUNIOR), browse(ENGINEER), browse(LEAD));

    let page = junior.get("/console/drills");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("No drill is planned."), "{}", page.body);
    assert!(!page.body.contains("action=\"/console/drills\""));
    let fields = [
        ("title", "Firewall <i>failover</i>"),
        ("targets", "sw-a, sw-b"),
        ("rrule", "FREQ=MONTHLY;BYDAY=2WE"),
        ("start", "2026-01-14T13:00"),
        ("duration", "30m"),
        ("announced", "on"),
    ];
    assert_eq!(
        junior
            .post_form("/console/drills", "/console/drills", &fields)
            .status,
        403
    );
    assert_eq!(
        engineer
            .post_form("/console/drills", "/console/drills", &fields)
            .status,
        403
    );

    // A field error renders the form again with what was typed, escaped.
    let mut bad = fields;
    bad[2] = ("rrule", "FREQ=SOMETIMES");
    let refused = lead.post_form("/console/drills", "/console/drills", &bad);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("rrule: "), "{}", refused.body);
    assert!(refused.body.contains("FREQ=SOMETIMES"), "{}", refused.body);
    assert!(
        refused.body.contains("Firewall &lt;i&gt;failover&lt;"),
        "{}",
        refused.body
    );

    let planned = lead.post_form("/console/drills", "/console/drills", &fields);
    assert_eq!(planned.status, 303, "{}", planned.body);
    assert_eq!(
        planned.header("location"),
        Some("/console/drills?done=drill")
    );
    let page = junior.get("/console/drills");
    assert!(page.body.contains("Firewall &lt;i&gt;failover&lt;"));
    assert!(!page.body.contains("<i>failover"));
    assert!(page.body.contains("announced (planned maintenance)"));
    // 14:00 in Prague in winter, 13:00 UTC.
    assert!(page.body.contains("T14:00:00+01:00"), "{}", page.body);
    assert!(page.body.contains("13:00 UTC"), "{}", page.body);
    assert!(page.body.contains("class=\"overdue"), "{}", page.body);
    assert!(
        !page.body.contains("/results\""),
        "no result form for juniors"
    );

    // The engineer's form offers the oldest overdue occurrence: recording it once works.
    let form = engineer.get("/console/drills").body;
    assert!(
        form.contains("action=\"/console/drills/1/results\""),
        "{form}"
    );
    let result = [
        ("occurrence", "2026-01-14T13:00"),
        ("outcome", "failed"),
        ("started", "2026-01-14T13:02"),
        ("ended", "2026-01-14T13:40"),
        ("notes", "fw-b took <b>40 s</b>"),
    ];
    let mut early = result;
    early[3] = ("ended", "2026-01-14T12:00");
    let refused = engineer.post_form("/console/drills", "/console/drills/1/results", &early);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("ended: "), "{}", refused.body);
    assert_eq!(
        junior
            .post_form("/console/drills", "/console/drills/1/results", &result)
            .status,
        403
    );
    let done = engineer.post_form("/console/drills", "/console/drills/1/results", &result);
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.header("location"),
        Some("/console/drills?done=drill_result")
    );
    let again = engineer.post_form("/console/drills", "/console/drills/1/results", &result);
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again.body.contains("already has a result"),
        "{}",
        again.body
    );
    let page = junior.get("/console/drills").body;
    assert!(page.contains("fw-b took &lt;b&gt;40 s&lt;"), "{page}");

    let audit = junior.get("/console/audit").body;
    assert!(audit.contains("<td>drill.plan</td>"), "{audit}");
    assert!(audit.contains("<td>drill.result</td>"), "{audit}");
}
