//! Plans, credit policies, VAT ids and services' plans: the model values read, and every
//! refusal at its exact position.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tocsin_model::inventory::NONE;
use tocsin_model::sla::{CreditRule, Currency, Decimal, Tier};

use super::{decimal, duration_ms};
use crate::load_str;

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Every diagnostic of `text`, as `x.yaml:LINE:COL: message`.
fn errors(text: &str) -> Vec<String> {
    match load_str("x.yaml", text) {
        Ok(_) => panic!("loaded without error:\n{text}"),
        Err(e) => e.diagnostics.iter().map(ToString::to_string).collect(),
    }
}

/// The one diagnostic of `text`.
fn error(text: &str) -> String {
    let all = errors(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().unwrap()
}

const POLICIES: &str = "\
credit_policies:
  - {id: tiered, tiers: [{below: 99.9, percent: 10}]}
";

#[test]
fn plans_and_both_policy_kinds_load_to_exact_values() {
    let text = "\
version: 1
plans:
  - id: vps-m
    name: VPS M
    price: 12.00
    currency: EUR
    sla: 99.9
    credits: tiered
  - {id: web, price: \"3.5\", currency: CZK, sla: \"99.50\", credits: hourly, maintenance: counted}
credit_policies:
  - id: tiered
    tiers:
      - {below: 99.9, percent: 10}
      - {below: 99.0, percent: 30}
      - {below: 95.0, percent: 100}
  - {id: hourly, per_hour: 2.5, cap: 50, min_outage: 1h30m}
  - {id: plain, per_hour: 0.25}
customers:
  - {id: acme, country: CZ, vat_id: CZ12345678}
  - {id: bob}
services:
  - {id: s1, customer: acme, plan: web}
  - {id: s2, customer: bob, plan: vps-m}
  - {id: s3, customer: bob}
";
    let inv = load_str("x.yaml", text).unwrap();
    assert_eq!(inv.plans.len(), 2);
    let m = &inv.plans[0];
    assert_eq!((&*m.id, &*m.name), ("vps-m", "VPS M"));
    assert_eq!(m.price, Decimal::new(1200, 2));
    assert_eq!(m.price.to_string(), "12.00", "the scale written is kept");
    assert_eq!(m.currency, Currency::EUR);
    assert_eq!(m.sla, Decimal::new(999, 1));
    assert!(m.maintenance_excluded, "excluded is the default");
    assert_eq!(&*inv.credit_policies[m.policy as usize].id, "tiered");
    let web = &inv.plans[1];
    assert_eq!(&*web.name, "web", "the name defaults to the id");
    assert_eq!(web.price.to_string(), "3.5");
    assert_eq!(web.currency, Currency::CZK);
    assert_eq!(web.sla.to_string(), "99.50");
    assert!(!web.maintenance_excluded);
    assert_eq!(&*inv.credit_policies[web.policy as usize].id, "hourly");

    assert_eq!(inv.credit_policies.len(), 3);
    let tiered = &inv.credit_policies[0];
    let tier = |below, percent| Tier {
        below: dec(below),
        percent: dec(percent),
    };
    assert_eq!(
        tiered.rule,
        CreditRule::Tiers(Box::new([
            tier("99.9", "10"),
            tier("99.0", "30"),
            tier("95.0", "100")
        ]))
    );
    assert_eq!(tiered.min_outage_ms, 0);
    let hourly = &inv.credit_policies[1];
    assert_eq!(
        hourly.rule,
        CreditRule::PerHour {
            per_hour: dec("2.5"),
            cap: dec("50")
        }
    );
    assert_eq!(hourly.min_outage_ms, 5_400_000);
    assert_eq!(
        inv.credit_policies[2].rule,
        CreditRule::PerHour {
            per_hour: dec("0.25"),
            cap: Decimal::ONE_HUNDRED
        },
        "the cap defaults to 100"
    );

    assert_eq!(inv.customers[0].vat_id.as_deref(), Some("CZ12345678"));
    assert_eq!(inv.customers[0].country, Some(*b"CZ"));
    assert_eq!(inv.customers[1].vat_id, None);
    let plan_of = |id: &str| inv.service_of(inv.graph.find(id).unwrap()).unwrap().plan;
    assert_eq!(plan_of("s1"), 1);
    assert_eq!(plan_of("s2"), 0);
    assert_eq!(plan_of("s3"), NONE);
}

#[test]
fn references_may_come_before_definitions_and_plans_keep_file_order() {
    // The services name vps-l first, and the plans name their policy before it is defined.
    let text = "\
version: 1
services:
  - {id: s1, plan: vps-l}
  - {id: s2, plan: vps-s}
plans:
  - {id: vps-s, price: 5, currency: EUR, sla: 99, credits: late}
  - {id: vps-l, price: 20, currency: EUR, sla: 99.95, credits: early}
credit_policies:
  - {id: early, per_hour: 1}
  - {id: late, tiers: [{below: 99, percent: 5}]}
";
    let inv = load_str("x.yaml", text).unwrap();
    let ids: Vec<&str> = inv.plans.iter().map(|p| &*p.id).collect();
    assert_eq!(ids, ["vps-s", "vps-l"]);
    let ids: Vec<&str> = inv.credit_policies.iter().map(|p| &*p.id).collect();
    assert_eq!(ids, ["early", "late"]);
    let plan_of = |id: &str| inv.service_of(inv.graph.find(id).unwrap()).unwrap().plan;
    assert_eq!(plan_of("s1"), 1);
    assert_eq!(plan_of("s2"), 0);
    assert_eq!(inv.plans[0].policy, 1, "vps-s credits `late`");
    assert_eq!(inv.plans[1].policy, 0, "vps-l credits `early`");
    assert_eq!(inv.plans[1].sla, dec("99.95"));
}

/// `x.yaml:LINE:COL` of the first `needle` on line `line` of `text` (columns count
/// characters from 1), so that expected positions are read off the text itself.
fn at(text: &str, line: usize, needle: &str) -> String {
    let l = text.lines().nth(line - 1).unwrap();
    let byte = l
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not on line {line}: {l:?}"));
    format!("x.yaml:{line}:{}", l[..byte].chars().count() + 1)
}

/// Where the value of `key` starts on line `line`.
fn value_of(text: &str, line: usize, key: &str) -> String {
    let l = text.lines().nth(line - 1).unwrap();
    let key_at = l.find(&format!("{key}: ")).unwrap();
    format!("x.yaml:{line}:{}", key_at + key.len() + 3)
}

#[test]
fn a_duplicate_plan_or_policy_id_names_the_first_definition() {
    let text = "\
version: 1
credit_policies:
  - {id: tiered, tiers: [{below: 99.9, percent: 10}]}
  - {id: tiered, per_hour: 1}
plans:
  - {id: p, price: 1, currency: EUR, sla: 99, credits: tiered}
  - {id: p, price: 2, currency: EUR, sla: 99, credits: tiered}
";
    assert_eq!(
        errors(text),
        [
            format!(
                "{}: duplicate credit policy id `tiered` (first defined at {})",
                value_of(text, 4, "id"),
                value_of(text, 3, "id")
            ),
            format!(
                "{}: duplicate plan id `p` (first defined at {})",
                value_of(text, 7, "id"),
                value_of(text, 6, "id")
            ),
        ]
    );
}

/// A file with one plan entry, on line 5, `{id: p, FIELDS}`.
fn plan_file(fields: &str) -> String {
    format!("version: 1\n{POLICIES}plans:\n  - {{id: p, {fields}}}\n")
}

#[test]
fn each_bad_plan_field_is_reported_at_its_value() {
    let ok = "currency: EUR, sla: 99.9, credits: tiered";
    let non_negative = "must be a non-negative decimal such as \"12.00\"";
    let currency = "(an ISO 4217 code with a minor unit, such as EUR)";
    // (fields, where: a key whose value is at fault or a text to find, message)
    let cases: &[(String, &str, String)] = &[
        (format!("price: -1, {ok}"), "price", format!("`price` {non_negative}, found `-1`")),
        (format!("price: \"12,00\", {ok}"), "price", format!("`price` {non_negative}, found `12,00`")),
        (format!("price: 1e3, {ok}"), "price", format!("`price` {non_negative}, found `1e3`")),
        (format!("price: 1_000, {ok}"), "price", format!("`price` {non_negative}, found `1_000`")),
        (format!("price: [1], {ok}"), "price", "`price` must be a single value, found a list".into()),
        (
            "price: 1, currency: XYZ, sla: 99, credits: tiered".into(),
            "currency",
            format!("unknown currency `XYZ` {currency}"),
        ),
        (
            // Gold is in ISO 4217 but has no minor unit to round money to.
            "price: 1, currency: XAU, sla: 99, credits: tiered".into(),
            "currency",
            format!("unknown currency `XAU` {currency}"),
        ),
        (
            "price: 1, currency: eur, sla: 99, credits: tiered".into(),
            "currency",
            format!("unknown currency `eur` {currency}"),
        ),
        (
            "price: 1, currency: EUR, sla: 100.5, credits: tiered".into(),
            "sla",
            "`sla` must be a decimal from 0 to 100, found `100.5`".into(),
        ),
        (
            "price: 1, currency: EUR, sla: high, credits: tiered".into(),
            "sla",
            "`sla` must be a decimal from 0 to 100, found `high`".into(),
        ),
        (
            "price: 1, currency: EUR, sla: 99, credits: ghost".into(),
            "credits",
            "plan names unknown credit policy `ghost`".into(),
        ),
        (
            format!("price: 1, {ok}, maintenance: sometimes"),
            "maintenance",
            "`maintenance` must be `excluded` or `counted`, found `sometimes`".into(),
        ),
        (
            format!("price: 1, {ok}, cost: 2"),
            "@cost",
            "unknown key `cost` in a plan (allowed: id, name, price, currency, sla, credits, maintenance)".into(),
        ),
        (ok.into(), "@{", "the plan `p` has no `price`".into()),
        ("price: 1, sla: 99, credits: tiered".into(), "@{", "the plan `p` has no `currency`".into()),
        ("price: 1, currency: EUR, credits: tiered".into(), "@{", "the plan `p` has no `sla`".into()),
        ("price: 1, currency: EUR, sla: 99".into(), "@{", "the plan `p` has no `credits`".into()),
    ];
    for (fields, place, message) in cases {
        let text = plan_file(fields);
        let place = match place.strip_prefix('@') {
            Some(needle) => at(&text, 5, needle),
            None => value_of(&text, 5, place),
        };
        assert_eq!(error(&text), format!("{place}: {message}"), "{fields}");
    }
}

#[test]
fn each_bad_policy_field_is_reported_at_its_node() {
    let percent = |key: &str, found: &str| {
        format!("`{key}` must be a decimal from 0 to 100, found `{found}`")
    };
    let duration = |found: &str| {
        format!("`min_outage` must be a duration such as 30s, 5m, 1h30m or 2d, found `{found}`")
    };
    // (fields of `{id: q, …}` on line 3, where: a key whose value is at fault or a text to
    // find, message)
    let cases: &[(&str, &str, String)] = &[
        (
            "tiers: [{below: 99, percent: 10}], per_hour: 1",
            "per_hour",
            "the credit policy `q` has both `tiers` and `per_hour`: it takes one".into(),
        ),
        (
            "min_outage: 5m",
            "@{",
            "the credit policy `q` has neither `tiers` nor `per_hour`".into(),
        ),
        ("tiers: []", "tiers", "`tiers` must list at least one tier".into()),
        ("tiers: {below: 99}", "tiers", "`tiers` must be a list, found a mapping".into()),
        ("tiers: [{below: 99, percent: 120}]", "percent", percent("percent", "120")),
        (
            "tiers: [{below: 99, percent: 10}, {below: 100.01, percent: 30}]",
            "@100.01",
            percent("below", "100.01"),
        ),
        ("tiers: [{percent: 10}]", "@{percent", "a tier without `below`".into()),
        (
            "tiers: [{below: 99, percent: 10, above: 1}]",
            "@above",
            "unknown key `above` in a tier (allowed: below, percent)".into(),
        ),
        (
            "tiers: [{below: 99, percent: 10}], cap: 50",
            "cap",
            "`cap` belongs to a `per_hour` policy, not to one with `tiers`".into(),
        ),
        ("per_hour: 101", "per_hour", percent("per_hour", "101")),
        ("per_hour: -0.5", "per_hour", percent("per_hour", "-0.5")),
        ("per_hour: 2.5, cap: 100.1", "cap", percent("cap", "100.1")),
        ("per_hour: 2.5, min_outage: 5 minutes", "min_outage", duration("5 minutes")),
        ("per_hour: 2.5, min_outage: 300", "min_outage", duration("300")),
        (
            "per_hour: 2.5, every: 1h",
            "@every",
            "unknown key `every` in a credit policy (allowed: id, tiers, per_hour, cap, min_outage)"
                .into(),
        ),
    ];
    for (fields, place, message) in cases {
        let text = format!("version: 1\ncredit_policies:\n  - {{id: q, {fields}}}\n");
        let place = match place.strip_prefix('@') {
            Some(needle) => at(&text, 3, needle),
            None => value_of(&text, 3, place),
        };
        assert_eq!(error(&text), format!("{place}: {message}"), "{fields}");
    }
}

#[test]
fn a_service_naming_an_unknown_plan_is_reported_at_the_plan() {
    let text = format!(
        "version: 1\n{POLICIES}services:\n  - id: s1\n    plan: vps-xl\n  - {{id: s2, plan: vps-xl}}\n\
         plans:\n  - {{id: vps-l, price: 1, currency: EUR, sla: 99, credits: tiered}}\n"
    );
    assert_eq!(
        errors(&text),
        [
            format!(
                "{}: service names unknown plan `vps-xl`",
                value_of(&text, 6, "plan")
            ),
            format!(
                "{}: service names unknown plan `vps-xl`",
                value_of(&text, 7, "plan")
            ),
        ]
    );
}

#[test]
fn vat_ids_are_single_words() {
    let refused = "`vat_id` must be a VAT number without spaces such as CZ12345678";
    for (vat, message) in [
        ("\"CZ 1234\"", format!("{refused}, found `CZ 1234`")),
        ("\"\"", format!("{refused}, found ``")),
        ("\"CZ1\\t\"", format!("{refused}, found `CZ1\t`")),
        (
            "[CZ1]",
            "`vat_id` must be a single value, found a list".into(),
        ),
    ] {
        let text = format!("version: 1\ncustomers:\n  - {{id: c, vat_id: {vat}}}\n");
        assert_eq!(
            error(&text),
            format!("{}: {message}", value_of(&text, 3, "vat_id"))
        );
    }
}

#[test]
fn every_error_of_a_file_is_reported_at_once() {
    let text = "\
version: 1
plans:
  - {id: a, price: -5, currency: EUR, sla: 99, credits: nowhere}
  - {id: b, price: 5, currency: ZZZ, sla: 101, credits: hourly}
credit_policies:
  - {id: hourly, per_hour: 200, min_outage: soon}
customers:
  - {id: c, vat_id: \"DE 1\"}
services:
  - {id: s, customer: c, plan: gone}
";
    assert_eq!(
        errors(text),
        [
            format!(
                "{}: `price` must be a non-negative decimal such as \"12.00\", found `-5`",
                value_of(text, 3, "price")
            ),
            format!(
                "{}: plan names unknown credit policy `nowhere`",
                value_of(text, 3, "credits")
            ),
            format!(
                "{}: unknown currency `ZZZ` (an ISO 4217 code with a minor unit, such as EUR)",
                value_of(text, 4, "currency")
            ),
            format!(
                "{}: `sla` must be a decimal from 0 to 100, found `101`",
                value_of(text, 4, "sla")
            ),
            format!(
                "{}: `per_hour` must be a decimal from 0 to 100, found `200`",
                value_of(text, 6, "per_hour")
            ),
            format!(
                "{}: `min_outage` must be a duration such as 30s, 5m, 1h30m or 2d, found `soon`",
                value_of(text, 6, "min_outage")
            ),
            format!(
                "{}: `vat_id` must be a VAT number without spaces such as CZ12345678, found `DE 1`",
                value_of(text, 8, "vat_id")
            ),
            format!(
                "{}: service names unknown plan `gone`",
                value_of(text, 10, "plan")
            ),
        ]
    );
}

#[test]
fn decimals_are_read_from_their_text_exactly() {
    assert_eq!(decimal("12.00").unwrap().to_string(), "12.00");
    assert_eq!(decimal("+7").unwrap(), Decimal::from(7));
    assert_eq!(decimal("0.1").unwrap(), Decimal::new(1, 1));
    // 0.1 + 0.2 is exactly 0.3 here, as it would not be through a float.
    assert_eq!(
        decimal("0.1").unwrap() + decimal("0.2").unwrap(),
        decimal("0.3").unwrap()
    );
    assert_eq!(decimal("-0").unwrap(), Decimal::ZERO);
    assert!(!decimal("-0.00").unwrap().is_sign_negative());
    assert_eq!(decimal("-1.5").unwrap(), Decimal::new(-15, 1));
    for bad in [
        "", ".5", "5.", "1.2.3", "1e3", "1_000", "0x10", " 1", "1 ", "--1", "+-1", "NaN", ".inf",
        "1,5",
    ] {
        assert_eq!(decimal(bad), None, "{bad:?}");
    }
    // More digits than a Decimal holds exactly is refused, not rounded.
    assert_eq!(decimal("0.12345678901234567890123456789"), None);
}

#[test]
fn durations_take_units_from_days_to_seconds() {
    for (text, ms) in [
        ("30s", 30_000),
        ("5m", 300_000),
        ("1h", 3_600_000),
        ("1h30m", 5_400_000),
        ("90s", 90_000),
        ("2d", 172_800_000),
        ("1d2h3m4s", 93_784_000),
        ("0s", 0),
    ] {
        assert_eq!(duration_ms(text), Some(ms), "{text}");
    }
    for bad in [
        "",
        "5",
        "m",
        "5x",
        "5ms",
        "30m1h",
        "1m1m",
        "1h 30m",
        "-5m",
        "5M",
        "99999999999999999d",
    ] {
        assert_eq!(duration_ms(bad), None, "{bad:?}");
    }
}

#[test]
fn plan_names_are_checked_once_the_inventory_declares_plans() {
    // The inventory contract's example names `plan: vps-m` and defines no plans: it loads,
    // and its services have no plan.
    let without = "version: 1\nservices:\n  - {id: s1, plan: vps-m}\n";
    let inv = load_str("x.yaml", without).unwrap();
    assert_eq!(inv.services[0].plan, NONE);
    assert!(inv.plans.is_empty());
    // An empty `plans:` section is a declaration too.
    let empty = "version: 1\nplans: []\nservices:\n  - {id: s1, plan: vps-m}\n";
    assert_eq!(
        error(empty),
        format!(
            "{}: service names unknown plan `vps-m`",
            value_of(empty, 4, "plan")
        )
    );
}
