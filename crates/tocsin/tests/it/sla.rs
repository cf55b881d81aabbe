//! SLA accounting end to end (`shared/spec/sla.md`), against a real SMTP server and a real
//! HTTP receiver for billing: outages recorded for last month on a switch pair, the month's
//! report, credits offered once with an e-mail to each contact, the customer's choice, a
//! shift lead's approval and rejection, the signed billing webhook, another customer's credit
//! a 404, a restart that makes no second credit, and credits expiring to their first offer.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use jiff::{civil::Date, tz::TimeZone, Timestamp, ToSpan};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::mail::{smtp_config, Keeper};
use crate::serve::{add_account, api_token, error_of, http, http_as, json_of, start, wait_for};
use crate::webhooks::HookServer;

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
  - {id: sw-b, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
  - {id: hv-2, kind: hypervisor, requires: [sw-a]}
  - {id: hv-3, kind: hypervisor, requires: [sw-b]}
customers:
  - id: acme
    name: ACME s.r.o.
    country: CZ
    contacts: [{email: ops@acme.example, language: cs}, {email: boss@acme.example, language: en}]
  - id: bistro
    name: Bistro Kraków sp. z o.o.
    country: PL
    vat_id: PL5260001246
    contacts: [{email: it@bistro.example, language: pl}]
plans:
  - {id: vps-m, name: VPS M, price: "12.00", currency: EUR, sla: 99.9, credits: tiered}
  - {id: db-h, name: DB hourly, price: "30.00", currency: EUR, sla: 99.95, credits: hourly}
credit_policies:
  - id: tiered
    tiers:
      - {below: 99.9, percent: 10}
      - {below: 99.0, percent: 30}
      - {below: 95.0, percent: 100}
  - id: hourly
    per_hour: 2.5
    cap: 100
    min_outage: 5m
services:
  - {id: web-1, customer: acme, name: acme-web, plan: vps-m, requires: [hv-1]}
  - {id: web-2, customer: acme, name: acme-shop, plan: vps-m, requires: [hv-2]}
  - {id: web-3, customer: acme, name: acme-idle, plan: vps-m, requires: [hv-3]}
  - {id: db-1, customer: bistro, name: bistro-db, plan: db-h, requires: [hv-2]}
  - {id: db-2, customer: bistro, name: bistro-cache, plan: db-h, requires: [hv-3]}
"#;

const ENGINEER: &str = "engineer@provider.test";
const LEAD: &str = "lead@provider.test";
const JUNIOR: &str = "junior@provider.test";
const ACME: &str = "ops@acme.example";
const BISTRO: &str = "it@bistro.example";
const SECRET: &str = "billing-secret-1";

/// Last month in UTC (final now), its first instant and its number of days.
fn last_month() -> (String, Timestamp, i64) {
    let today = Timestamp::now().to_zoned_datetime(TimeZone::UTC).date();
    let first = Date::new(today.year(), today.month(), 1)
        .unwrap()
        .checked_sub(1.month())
        .unwrap();
    let start = first.to_zoned_datetime(TimeZone::UTC).unwrap().timestamp();
    (
        format!("{:04}-{:02}", first.year(), first.month()),
        start,
        i64::from(first.days_in_month()),
    )
}

fn at(start: Timestamp, hours: i64, minutes: i64) -> String {
    (start + hours.hours() + minutes.minutes()).to_string()
}

fn config(dir: &Path, smtp: u16, hook: u16, claim_days: u32) -> PathBuf {
    let config = smtp_config(dir, smtp, INVENTORY, "", "0s", "");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&config)
        .unwrap();
    write!(
        f,
        "[sla]\ncountry = \"CZ\"\nclaim_days = {claim_days}\nauto_approve_percent = 30\n\
         billing_webhook = \"http://127.0.0.1:{hook}/hook\"\nbilling_secret = \"{SECRET}\"\n\
         [[sla.offers]]\nid = \"credit\"\nkind = \"account_credit\"\n\
         [[sla.offers]]\nid = \"extension\"\nkind = \"service_days\"\nmultiplier = 1.5\n"
    )
    .unwrap();
    config
}

fn outage(down: &[&str], start: &str, end: &str) -> String {
    json!({"down": down, "start": start, "end": end, "note": "monitoring missed it"}).to_string()
}

/// Records last month's outages: sw-a 3 h on day 10 and 40 h from day 20; sw-b 1 h inside
/// the first (both down: hv-1) and 2 minutes alone on day 26 (under db-h's 5-minute minimum).
fn record_outages(addr: &str, engineer: &str, start: Timestamp) {
    let day = |d: i64| d * 24;
    for (down, from, to) in [
        (
            ["sw-a"],
            at(start, day(9) + 10, 0),
            at(start, day(9) + 13, 0),
        ),
        (
            ["sw-b"],
            at(start, day(9) + 11, 0),
            at(start, day(9) + 12, 0),
        ),
        (["sw-a"], at(start, day(19), 0), at(start, day(19) + 40, 0)),
        (["sw-b"], at(start, day(25), 0), at(start, day(25), 2)),
    ] {
        let (status, body) = http_as(
            addr,
            "POST",
            "/api/v1/outages",
            &outage(&down, &from, &to),
            Some(engineer),
        );
        assert_eq!(status, 201, "{body}");
        assert!(json_of(&body)["id"].as_i64().is_some());
    }
}

fn by_service(list: &Value, service: &str) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["service"] == service)
        .unwrap_or_else(|| panic!("no {service} in {list}"))
        .clone()
}

fn signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn settlements(addr: &str) -> u64 {
    let (_, body) = http(addr, "GET", "/metrics", "");
    body.lines()
        .find_map(|l| l.strip_prefix("tocsin_sla_settlements_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn last_months_outages_become_credits_the_customer_chooses_and_a_lead_decides() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let hook = HookServer::start(vec![200]);
    let config = config(dir.path(), keeper.port, hook.port, 30);
    add_account(&config, ENGINEER, "engineer", None);
    add_account(&config, LEAD, "shift_lead", None);
    add_account(&config, JUNIOR, "junior", None);
    add_account(&config, ACME, "customer", Some("acme"));
    add_account(&config, BISTRO, "customer", Some("bistro"));
    let (engineer, lead, junior) = (
        api_token(&config, ENGINEER),
        api_token(&config, LEAD),
        api_token(&config, JUNIOR),
    );
    let (acme, bistro) = (api_token(&config, ACME), api_token(&config, BISTRO));
    let server = start(&config);
    let addr = server.addr.clone();
    let (month, start_ts, days) = last_month();

    // Bad outages are refused naming the field; a junior may not record one.
    let good = outage(&["sw-a"], &at(start_ts, 1, 0), &at(start_ts, 2, 0));
    let (status, _) = http_as(&addr, "POST", "/api/v1/outages", &good, Some(&junior));
    assert_eq!(status, 403);
    for (body, field) in [
        (
            outage(&["sw-x"], &at(start_ts, 1, 0), &at(start_ts, 2, 0)),
            "down",
        ),
        (
            outage(&["sw-a"], &at(start_ts, 2, 0), &at(start_ts, 1, 0)),
            "end",
        ),
        (
            outage(&["sw-a"], &at(start_ts, 1, 0), "2999-01-01T00:00:00Z"),
            "end",
        ),
        (outage(&["sw-a"], "yesterday", &at(start_ts, 1, 0)), "start"),
    ] {
        let (status, answer) = http_as(&addr, "POST", "/api/v1/outages", &body, Some(&engineer));
        assert_eq!(status, 400, "{answer}");
        assert!(error_of(&answer).starts_with(field), "{field}: {answer}");
    }
    record_outages(&addr, &engineer, start_ts);

    // The month's report: final, every service with a plan, sorted.
    let (status, body) = http_as(
        &addr,
        "GET",
        &format!("/api/v1/sla?month={month}"),
        "",
        Some(&junior),
    );
    assert_eq!(status, 200, "{body}");
    let report = json_of(&body);
    assert_eq!(report["month"], month.as_str());
    assert_eq!(report["time_zone"], "UTC");
    assert_eq!(report["final"], true);
    let ids: Vec<&str> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["db-1", "db-2", "web-1", "web-2", "web-3"]);
    let month_s = days * 86_400;
    let web1 = by_service(&report["services"], "web-1");
    // Dual-homed: down only while both switches were (1 h).
    assert_eq!(web1["down_seconds"], 3600);
    assert_eq!(web1["month_seconds"], month_s);
    assert_eq!(web1["excluded_seconds"], 0);
    assert_eq!(web1["customer"], "acme");
    assert_eq!(web1["plan"], "vps-m");
    assert_eq!(web1["sla"], 99.9);
    let expected = ((month_s - 3600) as f64 * 100.0 / month_s as f64 * 10_000.0).round() / 10_000.0;
    assert_eq!(web1["availability"].as_f64().unwrap(), expected);
    assert_eq!(
        web1["credit"],
        json!({"percent": 10.0, "net": "1.20", "vat_rate": 21.0, "reverse_charge": false,
               "vat": "0.25", "gross": "1.45", "currency": "EUR"})
    );
    // sw-a alone: 43 h, under 95 %: all of the price.
    assert_eq!(
        by_service(&report["services"], "web-2")["down_seconds"],
        43 * 3600
    );
    assert_eq!(
        by_service(&report["services"], "web-2")["credit"]["net"],
        "12.00"
    );
    // Hourly, capped at 100 %; a Polish business with a VAT id: reverse charge.
    let db1 = by_service(&report["services"], "db-1");
    assert_eq!(db1["credit"]["net"], "30.00");
    assert_eq!(db1["credit"]["reverse_charge"], true);
    assert_eq!(db1["credit"]["vat"], "0.00");
    // sw-b: the hour counts, the 2 minutes do not (under the minimum): 2.5 % of 30.00.
    let db2 = by_service(&report["services"], "db-2");
    assert_eq!(db2["down_seconds"], 3600);
    assert_eq!(db2["credit"]["net"], "0.75");
    // web-3 (tiered, no minimum) counts both: 62 minutes, 99.86 %: 10 %.
    assert_eq!(
        by_service(&report["services"], "web-3")["down_seconds"],
        3720
    );

    // The customer sees its own services only.
    let (_, body) = http_as(
        &addr,
        "GET",
        &format!("/api/v1/account/sla?month={month}"),
        "",
        Some(&acme),
    );
    let mine: Vec<String> = json_of(&body)["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(mine, ["web-1", "web-2", "web-3"]);
    let (status, _) = http_as(
        &addr,
        "GET",
        &format!("/api/v1/sla?month={month}"),
        "",
        Some(&acme),
    );
    assert_eq!(status, 403);
    let (status, body) = http_as(&addr, "GET", "/api/v1/sla?month=2026-13", "", Some(&junior));
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).starts_with("month"), "{body}");

    // Credits are offered once the outages are in: one per service with a credit.
    let body = wait_for(
        &addr,
        "/api/v1/credits",
        "five credits",
        Duration::from_secs(20),
        |b| {
            serde_json::from_str::<Value>(b).is_ok_and(|v| {
                v["credits"].as_array().is_some_and(|c| {
                    c.len() == 5
                        && c.iter()
                            .any(|c| c["service"] == "web-2" && c["net"] == "12.00")
                })
            })
        },
    );
    let credits = json_of(&body)["credits"].clone();
    for c in credits.as_array().unwrap() {
        assert_eq!(c["status"], "offered", "{c}");
        assert_eq!(c["month"], month.as_str());
    }
    // Each contact is told of each of its customer's credits, in its language.
    let mails = keeper.wait_for(8, Duration::from_secs(20));
    let mut to: Vec<&str> = mails.iter().map(|(t, _)| t.as_str()).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        [
            "boss@acme.example",
            "boss@acme.example",
            "boss@acme.example",
            "it@bistro.example",
            "it@bistro.example",
            "ops@acme.example",
            "ops@acme.example",
            "ops@acme.example"
        ]
    );

    // The customer's list: offers with their values, until the deadline.
    let (_, body) = http_as(&addr, "GET", "/api/v1/account/credits", "", Some(&acme));
    let mine = json_of(&body)["credits"].clone();
    assert_eq!(mine.as_array().unwrap().len(), 3);
    let w1 = by_service(&mine, "web-1");
    assert_eq!(w1["net"], "1.20");
    assert_eq!(w1["gross"], "1.45");
    assert_eq!(w1["currency"], "EUR");
    assert_eq!(w1["choice"], Value::Null);
    // ⌈1.20 × 1.5 ÷ (12.00 ÷ days)⌉ = ⌈0.15 × days⌉ = 5 for 28 to 31 days.
    assert_eq!(
        w1["offers"],
        json!([{"id": "credit", "kind": "account_credit", "value": "1.45"},
               {"id": "extension", "kind": "service_days", "value": 5}])
    );
    let w1_id = w1["id"].as_i64().unwrap();
    let w2_id = by_service(&mine, "web-2")["id"].as_i64().unwrap();
    assert_eq!(w1["needs_approval"], false, "{w1}");
    assert_eq!(by_service(&mine, "web-2")["needs_approval"], true, "{mine}");
    let (_, body) = http_as(&addr, "GET", "/api/v1/account/credits", "", Some(&bistro));
    let theirs = json_of(&body)["credits"].clone();
    let db1_id = by_service(&theirs, "db-1")["id"].as_i64().unwrap();

    // Another customer's credit is not found; an unknown offer is refused.
    let choose = |token: &str, id: i64, offer: &str| {
        http_as(
            &addr,
            "POST",
            &format!("/api/v1/account/credits/{id}/choice"),
            &json!({"offer": offer}).to_string(),
            Some(token),
        )
    };
    assert_eq!(choose(&bistro, w1_id, "credit").0, 404);
    assert_eq!(choose(&acme, 999_999, "credit").0, 404);
    let (status, body) = choose(&acme, w1_id, "gold");
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).starts_with("offer"), "{body}");

    // A small credit is approved when chosen; then it is settled.
    let (status, body) = choose(&acme, w1_id, "extension");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["status"], "approved");
    assert_eq!(json_of(&body)["choice"], "extension");
    assert_eq!(choose(&acme, w1_id, "credit").0, 409);

    // A large one waits for a shift lead, who gives a reason.
    let (status, body) = choose(&acme, w2_id, "credit");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["status"], "chosen");
    let decide = |token: &str, id: i64, what: &str, reason: &str| {
        http_as(
            &addr,
            "POST",
            &format!("/api/v1/credits/{id}/{what}"),
            &json!({"reason": reason}).to_string(),
            Some(token),
        )
    };
    assert_eq!(decide(&engineer, w2_id, "approve", "ok").0, 403);
    let (status, body) = decide(&lead, w2_id, "approve", "  ");
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).starts_with("reason"), "{body}");
    let (status, body) = decide(&lead, w2_id, "approve", "Outage confirmed by the NOC");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["status"], "approved");
    assert_eq!(json_of(&body)["decided_by"], LEAD);
    assert_eq!(decide(&lead, w2_id, "reject", "changed my mind").0, 409);
    // Not chosen yet: nothing to decide.
    assert_eq!(decide(&lead, db1_id, "reject", "too early").0, 409);
    assert_eq!(choose(&bistro, db1_id, "credit").0, 200);
    let (status, body) = decide(
        &lead,
        db1_id,
        "reject",
        "Outage caused by the customer's own firewall",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["status"], "rejected");
    assert_eq!(choose(&bistro, db1_id, "extension").0, 409);
    let (_, body) = http_as(
        &addr,
        "GET",
        "/api/v1/credits?status=approved",
        "",
        Some(&junior),
    );
    assert_eq!(json_of(&body)["credits"].as_array().unwrap().len(), 2);
    let (status, _) = http_as(
        &addr,
        "GET",
        "/api/v1/credits?status=paid",
        "",
        Some(&junior),
    );
    assert_eq!(status, 400);

    // The two approved credits went to billing, signed.
    let got = hook.wait_for(2, Duration::from_secs(20));
    assert_eq!(got.len(), 2);
    let mut billed = Vec::new();
    for r in &got {
        assert_eq!(r.header("x-tocsin-signature").unwrap(), signature(&r.body));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["event"], "credit.approved");
        billed.push(v["credit"]["id"].as_i64().unwrap());
    }
    billed.sort_unstable();
    assert_eq!(billed, [w1_id.min(w2_id), w1_id.max(w2_id)]);

    // The command line prints the same report, as JSON or one CSV line per service.
    let cli = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .args([
                "sla",
                "report",
                "--config",
                config.to_str().unwrap(),
                "--month",
                &month,
                format,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(json_of(&cli("--json")), report);
    let csv = cli("--csv");
    let mut rows = csv.lines();
    assert_eq!(
        rows.next().unwrap(),
        "month,service,customer,plan,month_seconds,down_seconds,excluded_seconds,availability,sla,percent,net,vat_rate,reverse_charge,vat,gross,currency"
    );
    let web1_row = rows.find(|r| r.contains(",web-1,")).unwrap();
    assert_eq!(
        web1_row,
        format!("{month},web-1,acme,vps-m,{month_s},3600,0,{expected},99.9,10,1.20,21,false,0.25,1.45,EUR")
    );
    assert_eq!(csv.lines().count(), 6);

    // A restart settles the month again and makes no second credit nor a second e-mail.
    drop(server);
    let server = start(&config);
    let addr = server.addr.clone();
    wait_for(
        &addr,
        "/metrics",
        "a settlement",
        Duration::from_secs(20),
        |b| {
            b.contains("tocsin_sla_settlements_total 1")
                || b.contains("tocsin_sla_settlements_total 2")
        },
    );
    assert!(settlements(&addr) >= 1);
    let (_, body) = http(&addr, "GET", "/api/v1/credits", "");
    assert_eq!(json_of(&body)["credits"].as_array().unwrap().len(), 5);
    assert_eq!(keeper.messages().len(), 8);
}

#[test]
fn credits_not_chosen_by_the_deadline_take_the_first_offer() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let hook = HookServer::start(vec![200]);
    // No days to choose: the deadline is the month's end, already past.
    let config = config(dir.path(), keeper.port, hook.port, 0);
    add_account(&config, ENGINEER, "engineer", None);
    add_account(&config, LEAD, "shift_lead", None);
    add_account(&config, ACME, "customer", Some("acme"));
    let (engineer, lead, acme) = (
        api_token(&config, ENGINEER),
        api_token(&config, LEAD),
        api_token(&config, ACME),
    );
    let server = start(&config);
    let addr = server.addr.clone();
    let (_, start_ts, _) = last_month();
    record_outages(&addr, &engineer, start_ts);
    let body = wait_for(
        &addr,
        "/api/v1/credits?status=expired",
        "five expired credits",
        Duration::from_secs(20),
        |b| {
            serde_json::from_str::<Value>(b)
                .is_ok_and(|v| v["credits"].as_array().is_some_and(|c| c.len() == 5))
        },
    );
    let credits = json_of(&body)["credits"].clone();
    for c in credits.as_array().unwrap() {
        assert_eq!(c["choice"], "credit", "{c}");
    }
    let w1 = by_service(&credits, "web-1")["id"].as_i64().unwrap();
    let w2 = by_service(&credits, "web-2")["id"].as_i64().unwrap();
    let (status, body) = http_as(
        &addr,
        "POST",
        &format!("/api/v1/account/credits/{w1}/choice"),
        r#"{"offer": "extension"}"#,
        Some(&acme),
    );
    assert_eq!(status, 409, "{body}");
    assert!(error_of(&body).contains("deadline"), "{body}");
    // The small ones apply as they are (billed); a large one still waits for a lead.
    let small = hook.wait_for(3, Duration::from_secs(20));
    let mut ids: Vec<i64> = small
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["credit"]["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    ids.sort_unstable();
    assert!(ids.contains(&w1) && !ids.contains(&w2), "{ids:?}");
    let (status, body) = http_as(
        &addr,
        "POST",
        &format!("/api/v1/credits/{w2}/approve"),
        r#"{"reason": "applied as the first offer"}"#,
        Some(&lead),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["status"], "approved");
    assert_eq!(hook.wait_for(4, Duration::from_secs(20)).len(), 4);
}
