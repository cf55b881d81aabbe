//! Generated inventories load without error, with a plan on every customer's service and
//! customers in several countries, some VAT registered.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use tocsin_model::inventory::NONE;
use tocsin_model::sla::{CreditRule, Currency, Decimal};

use super::{generate, Shape};
use crate::load_str;

fn generated(customers: usize, seed: u64) -> String {
    let mut out = Vec::new();
    generate(Shape { customers, seed }, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn generated_services_have_plans_and_customers_vat_data() {
    let text = generated(300, 7);
    assert_eq!(text, generated(300, 7), "the same seed gives the same file");
    let inv = load_str("gen.yaml", &text).unwrap_or_else(|e| panic!("{e}"));

    let policies: Vec<&str> = inv.credit_policies.iter().map(|p| &*p.id).collect();
    assert_eq!(policies, ["tiered", "hourly"]);
    assert!(matches!(&inv.credit_policies[0].rule, CreditRule::Tiers(t) if t.len() == 3));
    assert_eq!(
        inv.credit_policies[1].rule,
        CreditRule::PerHour {
            per_hour: Decimal::new(25, 1),
            cap: Decimal::ONE_HUNDRED
        }
    );
    assert_eq!(inv.credit_policies[1].min_outage_ms, 300_000);
    let czk: Vec<_> = inv
        .plans
        .iter()
        .filter(|p| p.currency == Currency::CZK)
        .collect();
    assert_eq!(czk.len(), 1);
    assert_eq!(czk[0].sla, Decimal::new(995, 1));

    let mut used = BTreeSet::new();
    for s in &inv.services {
        let customer = inv.customer_id(s.customer);
        if customer == "provider" {
            assert_eq!(s.plan, NONE, "the provider's own service is sold to no one");
            continue;
        }
        assert_ne!(s.plan, NONE, "a service of {customer} without a plan");
        let plan = &*inv.plans[s.plan as usize].id;
        let kind = inv.kinds.get(s.kind);
        let expected_prefix = match kind {
            "vps" | "vps-ha" => "vps-",
            "webhosting" => "web-",
            "mail" => "mail",
            "dns" => "dns",
            "dedicated" => "dedicated",
            "object-storage" => "storage",
            other => panic!("unexpected kind {other}"),
        };
        assert!(plan.starts_with(expected_prefix), "{kind} on plan {plan}");
        used.insert(plan);
    }
    assert_eq!(used.len(), inv.plans.len(), "every plan is sold: {used:?}");

    let mut countries = BTreeSet::new();
    let (mut with_vat, mut without_country) = (0, 0);
    for c in &inv.customers {
        match c.country {
            Some(country) => {
                countries.insert(String::from_utf8_lossy(&country).into_owned());
            }
            None => without_country += 1,
        }
        if let Some(vat) = &c.vat_id {
            with_vat += 1;
            let country = c.country.expect("a VAT id comes with a country");
            assert!(vat.as_bytes().starts_with(&country), "{vat}");
            assert_ne!(&country, b"US");
        }
    }
    let countries: Vec<&str> = countries.iter().map(String::as_str).collect();
    assert_eq!(countries, ["CZ", "DE", "FR", "PL", "SK", "US"]);
    let n = inv.customers.len();
    assert!(
        with_vat > n / 4 && with_vat < n,
        "{with_vat} of {n} with a VAT id"
    );
    assert!(without_country > 1, "{without_country} without a country");
}
