use std::str::FromStr;

use jiff::tz::TimeZone;
use tocsin_store::{AlertRow, AlertStatus, Maintenance, NewAlert, WindowImpact};

use super::*;

const INVENTORY: &str = r#"
version: 1
nodes:
  - {id: sw-a, kind: switch}
  - {id: sw-b, kind: switch}
  - id: hv-1
    kind: hypervisor
    requires: [{any: [sw-a, sw-b]}]
  - id: hv-2
    kind: hypervisor
    requires: [sw-a]
customers:
  - id: acme
    country: CZ
  - id: bistro
    country: SK
    vat_id: SK2020202020
  - id: yankee
    country: US
plans:
  - {id: vps-m, price: "12.00", currency: EUR, sla: 99.9, credits: tiered}
  - {id: vps-h, price: "30.00", currency: EUR, sla: 99.9, credits: hourly}
  - {id: vps-c, price: "12.00", currency: EUR, sla: 99.9, credits: tiered, maintenance: counted}
credit_policies:
  - id: tiered
    tiers:
      - {below: 99.9, percent: 10}
      - {below: 99.0, percent: 30}
      - {below: 95.0, percent: 100}
  - id: hourly
    per_hour: 2.5
    cap: 50
    min_outage: 5m
services:
  - {id: web-1, customer: acme, kind: vps, plan: vps-m, requires: [hv-1]}
  - {id: web-2, customer: acme, kind: vps, plan: vps-m, requires: [hv-2]}
  - {id: db-1, customer: bistro, kind: vps, plan: vps-h, requires: [hv-2]}
  - {id: cnt-1, customer: yankee, kind: vps, plan: vps-c, requires: [hv-2]}
  - {id: free-1, customer: acme, kind: vps, requires: [hv-2]}
"#;

const H: i64 = 3_600_000;
const MIN: i64 = 60_000;

fn inventory() -> Inventory {
    tocsin_inventory::load_str("x.yaml", INVENTORY).unwrap()
}

fn prague() -> SlaPolicy {
    SlaPolicy {
        time_zone: TimeZone::get("Europe/Prague").unwrap(),
        ..SlaPolicy::default()
    }
}

fn alert(id: i64, fp: &str, firing: bool, vertex: &str, at: i64) -> AlertRow {
    AlertRow {
        id,
        alert: NewAlert {
            source: "am".into(),
            fingerprint: fp.into(),
            status: if firing {
                AlertStatus::Firing
            } else {
                AlertStatus::Resolved
            },
            state: if firing { "down" } else { "up" }.into(),
            vertices: vec![vertex.into()],
            received_ms: at,
            body_key: None,
        },
    }
}

fn october() -> Month {
    Month::parse("2026-10").unwrap()
}

fn line(inv: &Inventory, a: &Account, id: &str) -> Line {
    let v = inv.graph.find(id).unwrap();
    a.line(inv, &prague(), v).unwrap()
}

#[test]
fn months_follow_the_zone_and_its_daylight_saving() {
    let zone = TimeZone::get("Europe/Prague").unwrap();
    let (s, e) = october().bounds(&zone);
    // 2026-10-01T00:00 CEST is 2026-09-30T22:00Z; October has 31 days and one hour more.
    assert_eq!(tocsin_model::time::rfc3339(s), "2026-09-30T22:00:00Z");
    assert_eq!(tocsin_model::time::rfc3339(e), "2026-10-31T23:00:00Z");
    assert_eq!(e - s, 31 * 24 * H + H);
    let (s, e) = Month::parse("2026-03").unwrap().bounds(&zone);
    assert_eq!(e - s, 31 * 24 * H - H);
    assert_eq!(Month::of(s, &zone), Month::parse("2026-03").unwrap());
    assert_eq!(Month::of(s - 1, &zone), Month::parse("2026-02").unwrap());
    assert!(Month::parse("2026-13").is_err());
    assert!(Month::parse("26-01").is_err());
    assert_eq!(
        Month::parse("2026-12").unwrap().next().to_string(),
        "2027-01"
    );
    assert_eq!(
        Month::parse("2026-01").unwrap().previous().to_string(),
        "2025-12"
    );
}

#[test]
fn overlapping_switch_outages_cost_the_dual_homed_only_the_overlap() {
    let inv = inventory();
    let p = prague();
    let (s, e) = october().bounds(&p.time_zone);
    let t0 = s + 10 * 24 * H;
    let evidence = Evidence {
        during: vec![
            alert(1, "a", true, "sw-a", t0),
            alert(2, "b", true, "sw-b", t0 + H),
            alert(3, "a", false, "sw-a", t0 + 3 * H),
            alert(4, "b", false, "sw-b", t0 + 4 * H),
        ],
        ..Evidence::default()
    };
    let a = account(&inv, &p, october(), &evidence, e + H);
    assert!(a.final_);
    // web-1 on hv-1 (both switches): the two hours of overlap.
    assert_eq!(line(&inv, &a, "web-1").down_s, 2 * 3600);
    // web-2 on hv-2 (sw-a only): three hours.
    assert_eq!(line(&inv, &a, "web-2").down_s, 3 * 3600);
    // 3 h of 745 h: 99.597 % < 99.9 → 10 % of 12.00 = 1.20, Czech VAT 21 %.
    let c = line(&inv, &a, "web-2").credit.unwrap();
    assert_eq!(
        (c.net.to_string(), c.vat.to_string(), c.gross.to_string()),
        ("1.20".into(), "0.25".into(), "1.45".into())
    );
    // db-1 (hourly, SK business with a VAT id): 3 × 2.5 % of 30.00 = 2.25, reverse charge.
    let c = line(&inv, &a, "db-1").credit.unwrap();
    assert_eq!(c.net.to_string(), "2.25");
    assert!(c.vat_rule.reverse_charge);
    assert_eq!(c.vat.to_string(), "0.00");
    // A service without a plan has no line.
    assert!(a
        .lines(&inv, &p)
        .all(|l| inv.graph.name(l.vertex) != "free-1"));
    // Sorted by service id.
    let ids: Vec<&str> = a
        .lines(&inv, &p)
        .map(|l| inv.graph.name(l.vertex))
        .collect();
    assert_eq!(ids, vec!["cnt-1", "db-1", "web-1", "web-2"]);
}

#[test]
fn an_outage_across_the_month_boundary_is_split_between_the_months() {
    let inv = inventory();
    let p = prague();
    let (_, e) = october().bounds(&p.time_zone);
    let evidence_of = |month: Month| {
        let (from, _) = span(&inv, month, &p.time_zone, i64::MAX);
        let rows = [
            alert(1, "a", true, "sw-a", e - H),
            alert(2, "a", false, "sw-a", e + 2 * H),
        ];
        Evidence {
            before: rows
                .iter()
                .filter(|r| r.alert.received_ms < from)
                .cloned()
                .collect(),
            during: rows
                .iter()
                .filter(|r| r.alert.received_ms >= from)
                .cloned()
                .collect(),
            ..Evidence::default()
        }
    };
    let oct = account(
        &inv,
        &p,
        october(),
        &evidence_of(october()),
        e + 30 * 24 * H,
    );
    let nov = october().next();
    let novacc = account(&inv, &p, nov, &evidence_of(nov), e + 40 * 24 * H);
    assert_eq!(line(&inv, &oct, "web-2").down_s, 3600);
    assert_eq!(line(&inv, &novacc, "web-2").down_s, 2 * 3600);
    // The month is still provisional until it ends.
    let early = account(&inv, &p, nov, &evidence_of(nov), e + 3 * H);
    assert!(!early.final_);
    assert_eq!(line(&inv, &early, "web-2").down_s, 2 * 3600);
}

#[test]
fn outages_shorter_than_the_minimum_do_not_count_even_across_the_boundary() {
    let inv = inventory();
    let p = prague();
    let (s, e) = october().bounds(&p.time_zone);
    let t0 = s + 5 * 24 * H;
    let evidence = Evidence {
        during: vec![
            // 4 minutes: under db-1's 5-minute minimum.
            alert(1, "a", true, "sw-a", t0),
            alert(2, "a", false, "sw-a", t0 + 4 * MIN),
            // 3 minutes before the month's end and 3 after: 6 minutes count, 3 in October.
            alert(3, "a", true, "sw-a", e - 3 * MIN),
        ],
        ..Evidence::default()
    };
    let mut more = evidence.during.clone();
    more.push(alert(4, "a", false, "sw-a", e + 3 * MIN));
    let evidence = Evidence {
        during: more,
        ..evidence
    };
    let a = account(&inv, &p, october(), &evidence, e + 24 * H);
    assert_eq!(line(&inv, &a, "db-1").down_s, 180);
    // The tiered plan has no minimum: both count.
    assert_eq!(line(&inv, &a, "web-2").down_s, 240 + 180);
}

#[test]
fn a_recorded_outage_counts_like_an_alert_and_what_held_before_the_month_counts_from_its_start() {
    let inv = inventory();
    let p = prague();
    let (s, e) = october().bounds(&p.time_zone);
    let evidence = Evidence {
        before: vec![alert(1, "a", true, "sw-b", s - 24 * H)],
        during: vec![alert(2, "a", false, "sw-b", s + H)],
        outages: vec![RecordedOutage {
            id: 1,
            down: vec![inv.graph.find("sw-a").unwrap()],
            degraded: vec![],
            start_ms: s + 30 * MIN,
            end_ms: s + 2 * H,
        }],
        ..Evidence::default()
    };
    let a = account(&inv, &p, october(), &evidence, e);
    // Both switches down from 00:30 to 01:00.
    assert_eq!(line(&inv, &a, "web-1").down_s, 1800);
    assert_eq!(line(&inv, &a, "web-2").down_s, 2 * 3600 - 1800);
}

#[test]
fn announced_maintenance_is_left_out_unless_the_plan_counts_it() {
    let inv = inventory();
    let p = prague();
    let (s, e) = october().bounds(&p.time_zone);
    let start = s + 20 * 24 * H;
    let window = |created: i64| Maintenance {
        id: 1,
        starts_ms: start,
        ends_ms: start + 2 * H,
        created_ms: created,
        updated_ms: created,
        targets: vec!["sw-a".into()],
        impact: WindowImpact {
            down_services: vec!["cnt-1".into(), "db-1".into(), "web-2".into()],
            ..WindowImpact::default()
        },
        ..Maintenance::default()
    };
    let during = vec![
        alert(1, "a", true, "sw-a", start - H),
        alert(2, "a", false, "sw-a", start + H),
    ];
    let ahead = Evidence {
        during: during.clone(),
        windows: vec![window(start - 48 * H)],
        ..Evidence::default()
    };
    let a = account(&inv, &p, october(), &ahead, e);
    assert_eq!(line(&inv, &a, "web-2").down_s, 3600);
    assert_eq!(line(&inv, &a, "web-2").excluded_s, 3600);
    // The plan that counts maintenance counts it.
    assert_eq!(line(&inv, &a, "cnt-1").down_s, 7200);
    assert_eq!(line(&inv, &a, "cnt-1").excluded_s, 0);
    // Planned an hour ahead is not announced ahead (notice 24 h): all counts.
    let late = Evidence {
        during,
        windows: vec![window(start - H)],
        ..Evidence::default()
    };
    let a = account(&inv, &p, october(), &late, e);
    assert_eq!(line(&inv, &a, "web-2").down_s, 7200);
}

#[test]
fn vat_for_every_country_of_the_default_table() {
    let table = eu_vat();
    assert_eq!(table.len(), 27);
    let plan = tocsin_model::sla::Plan {
        id: "p".into(),
        name: "p".into(),
        price: Decimal::from_str("100.00").unwrap(),
        currency: tocsin_model::sla::Currency::EUR,
        sla: Decimal::from(99),
        policy: 0,
        maintenance_excluded: true,
    };
    for (country, rate) in &table {
        // A consumer pays their country's rate; a business abroad reverse-charges; at home a
        // business pays the home rate.
        let consumer = tocsin_model::sla::vat_rule(&table, *b"CZ", Some(*country), false);
        assert_eq!(consumer.rate, *rate);
        let a = tocsin_model::sla::amounts(&plan, Decimal::from(10), consumer).unwrap();
        assert_eq!(
            a.vat,
            (Decimal::from(10) * rate / Decimal::ONE_HUNDRED).round_dp(2)
        );
        assert_eq!(a.gross, a.net + a.vat);
        let business = tocsin_model::sla::vat_rule(&table, *b"CZ", Some(*country), true);
        assert_eq!(business.reverse_charge, country != b"CZ", "{country:?}");
    }
}

#[test]
fn an_outage_across_the_october_change_counts_its_real_length() {
    let inv = inventory();
    let p = prague();
    let (_, e) = october().bounds(&p.time_zone);
    // 2026-10-25 02:30 CEST (00:30Z) to 02:30 CET (01:30Z): the wall clock reads the same,
    // an hour went by.
    let from = jiff::Timestamp::from_str("2026-10-25T00:30:00Z")
        .unwrap()
        .as_millisecond();
    let to = jiff::Timestamp::from_str("2026-10-25T01:30:00Z")
        .unwrap()
        .as_millisecond();
    let evidence = Evidence {
        during: vec![
            alert(1, "a", true, "sw-a", from),
            alert(2, "a", false, "sw-a", to),
        ],
        ..Evidence::default()
    };
    let a = account(&inv, &p, october(), &evidence, e);
    let web2 = line(&inv, &a, "web-2");
    assert_eq!(web2.down_s, 3600);
    assert_eq!(web2.month_s, 745 * 3600);
    // 744 of 745 hours: 99.8658 %, under 99.9: 10 %.
    assert_eq!(web2.availability.to_string(), "99.8658");
    assert_eq!(web2.credit.unwrap().net.to_string(), "1.20");
}
