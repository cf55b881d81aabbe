use std::str::FromStr;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::graph::GraphBuilder;
use crate::Impact;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn tiers() -> CreditRule {
    CreditRule::Tiers(
        vec![
            Tier {
                below: d("99.9"),
                percent: d("10"),
            },
            Tier {
                below: d("99.0"),
                percent: d("30"),
            },
            Tier {
                below: d("95.0"),
                percent: d("100"),
            },
        ]
        .into(),
    )
}

fn plan(price: &str, currency: Currency) -> Plan {
    Plan {
        id: "p".into(),
        name: "P".into(),
        price: d(price),
        currency,
        sla: d("99.9"),
        policy: 0,
        maintenance_excluded: true,
    }
}

const MONTH_30: i64 = 30 * 86_400;

#[test]
fn tier_bounds_are_compared_exactly() {
    // 99.9 % of 30 days leaves 2,592 s: exactly at the bound is not below it.
    assert_eq!(tiers().percent(MONTH_30, 2_592), d("0"));
    assert_eq!(tiers().percent(MONTH_30, 2_593), d("10"));
    // 99.0 %: 25,920 s.
    assert_eq!(tiers().percent(MONTH_30, 25_920), d("10"));
    assert_eq!(tiers().percent(MONTH_30, 25_921), d("30"));
    assert_eq!(tiers().percent(MONTH_30, MONTH_30), d("100"));
    assert_eq!(tiers().percent(MONTH_30, 0), d("0"));
}

#[test]
fn per_hour_is_pro_rata_by_the_second_and_capped() {
    let rule = CreditRule::PerHour {
        per_hour: d("2.5"),
        cap: d("100"),
    };
    assert_eq!(rule.percent(MONTH_30, 3_600), d("2.5"));
    assert_eq!(rule.percent(MONTH_30, 1_800), d("1.25"));
    assert_eq!(rule.percent(MONTH_30, 40 * 3_600), d("100"));
    assert_eq!(rule.percent(MONTH_30, 41 * 3_600), d("100"));
    let capped = CreditRule::PerHour {
        per_hour: d("5"),
        cap: d("20"),
    };
    assert_eq!(capped.percent(MONTH_30, 4 * 3_600), d("20"));
    assert_eq!(
        capped.percent(MONTH_30, 4 * 3_600 - 1),
        d("5") * d("14399") / d("3600")
    );
}

#[test]
fn money_is_rounded_once_half_away_from_zero_to_the_minor_unit() {
    assert_eq!(round_money(d("0.125"), Currency::EUR).to_string(), "0.13");
    assert_eq!(round_money(d("0.135"), Currency::EUR).to_string(), "0.14");
    assert_eq!(
        round_money(d("0.1249999"), Currency::EUR).to_string(),
        "0.12"
    );
    assert_eq!(round_money(d("12"), Currency::EUR).to_string(), "12.00");
    assert_eq!(round_money(d("150.5"), Currency::JPY).to_string(), "151");
    assert_eq!(round_money(d("1.0005"), Currency::KWD).to_string(), "1.001");
}

#[test]
fn amounts_round_net_then_vat_and_add_them() {
    let vat = VatRule {
        rate: d("21"),
        reverse_charge: false,
    };
    // 12.00 × 10 % = 1.20; VAT 0.252 → 0.25.
    let a = amounts(&plan("12.00", Currency::EUR), d("10"), vat).unwrap();
    assert_eq!(
        (a.net.to_string(), a.vat.to_string(), a.gross.to_string()),
        ("1.20".into(), "0.25".into(), "1.45".into())
    );
    // 0.05 × 10 % = 0.005 → 0.01 (half away from zero, not to even).
    let a = amounts(&plan("0.05", Currency::EUR), d("10"), vat).unwrap();
    assert_eq!(a.net.to_string(), "0.01");
    // 0.04 × 10 % = 0.004 → 0.00: no credit.
    assert!(amounts(&plan("0.04", Currency::EUR), d("10"), vat).is_none());
    assert!(amounts(&plan("12.00", Currency::EUR), d("0"), vat).is_none());
    // 9.99 × 2.5 × 1.5 h / 100 = 0.3746... → 0.37 (one rounding, not of a rounded percent).
    let rule = CreditRule::PerHour {
        per_hour: d("2.5"),
        cap: d("100"),
    };
    let p = rule.percent(MONTH_30, 5_399);
    let a = amounts(&plan("9.99", Currency::EUR), p, vat).unwrap();
    assert_eq!(a.net.to_string(), "0.37");
}

#[test]
fn vat_by_country_with_reverse_charge_for_foreign_businesses() {
    let table = [(*b"CZ", d("21")), (*b"SK", d("20")), (*b"DE", d("19"))];
    let rule = |c: Option<&[u8; 2]>, id| vat_rule(&table, *b"CZ", c.copied(), id);
    assert_eq!(rule(Some(b"CZ"), false).rate, d("21"));
    // A business at home pays the home rate.
    assert_eq!(
        rule(Some(b"CZ"), true),
        VatRule {
            rate: d("21"),
            reverse_charge: false
        }
    );
    assert_eq!(rule(Some(b"SK"), false).rate, d("20"));
    assert_eq!(
        rule(Some(b"SK"), true),
        VatRule {
            rate: d("0"),
            reverse_charge: true
        }
    );
    assert!(rule(Some(b"DE"), true).reverse_charge);
    // Outside the table: nothing, and no reverse charge.
    assert_eq!(
        rule(Some(b"US"), true),
        VatRule {
            rate: d("0"),
            reverse_charge: false
        }
    );
    assert_eq!(rule(Some(b"US"), false).rate, d("0"));
    // A customer of no country is in no country of the table.
    assert_eq!(
        rule(None, false),
        VatRule {
            rate: d("0"),
            reverse_charge: false
        }
    );
    assert_eq!(
        rule(None, true),
        VatRule {
            rate: d("0"),
            reverse_charge: false
        }
    );
}

#[test]
fn service_days_round_up() {
    // 1.20 of a 12.00 plan over 30 days: 3 days; × 1.5 → 4.5 → 5.
    assert_eq!(service_days(d("1.20"), d("1"), d("12.00"), 30), 3);
    assert_eq!(service_days(d("1.20"), d("1.5"), d("12.00"), 30), 5);
    assert_eq!(service_days(d("0.01"), d("1"), d("12.00"), 31), 1);
    assert_eq!(service_days(d("1"), d("1"), d("0"), 31), 0);
}

#[test]
fn availability_is_rounded_to_four_decimals() {
    assert_eq!(availability(MONTH_30, 2_592).to_string(), "99.9");
    assert_eq!(availability(MONTH_30, 1).to_string(), "100");
    assert_eq!(availability(MONTH_30, 0).to_string(), "100");
    assert_eq!(availability(MONTH_30, 12_345).to_string(), "99.5237");
}

/// sw-a and sw-b; host-1 needs either, host-2 needs sw-a, svc-1 needs host-1.
fn pair() -> (Arc<Graph>, [VertexId; 5]) {
    let mut b = GraphBuilder::with_capacity(5);
    let a = b.add_vertex("sw-a").unwrap();
    let bb = b.add_vertex("sw-b").unwrap();
    let h1 = b.add_vertex("host-1").unwrap();
    let h2 = b.add_vertex("host-2").unwrap();
    let s = b.add_vertex("svc-1").unwrap();
    b.add_group(h1, 1, &[a, bb]);
    b.add_group(h2, 1, &[a]);
    b.add_group(s, 1, &[h1]);
    (Arc::new(b.build().unwrap()), [a, bb, h1, h2, s])
}

fn key(s: &str) -> AlertKey {
    ("am".into(), s.into())
}

#[test]
fn overlapping_switch_outages_take_down_the_dual_homed_for_exactly_the_overlap() {
    let (g, [a, b, h1, h2, s]) = pair();
    let mut t = Timeline::new(g, [h1, h2, s], 0);
    t.begin();
    t.assert(1_000, key("a"), State::Down, vec![a]);
    t.assert(5_000, key("b"), State::Down, vec![b]);
    t.withdraw(8_000, &key("a"));
    t.withdraw(20_000, &key("b"));
    let got = t.finish(100_000);
    let of = |v| {
        got.iter()
            .filter(|i| i.vertex == v)
            .map(|i| (i.start, i.end))
            .collect::<Vec<_>>()
    };
    assert_eq!(of(h1), vec![(5_000, 8_000)]);
    assert_eq!(of(s), vec![(5_000, 8_000)]);
    assert_eq!(of(h2), vec![(1_000, 8_000)]);
}

#[test]
fn times_going_backwards_never_make_negative_or_lost_intervals() {
    let (g, [a, _, _, h2, _]) = pair();
    let mut t = Timeline::new(g, [h2], 0);
    t.begin();
    t.assert(10_000, key("a"), State::Down, vec![a]);
    // The clock jumped back an hour: the withdrawal is taken at the latest time seen.
    t.withdraw(10_000 - 3_600_000, &key("a"));
    t.assert(12_000, key("a"), State::Down, vec![a]);
    let got = t.finish(15_000);
    assert_eq!(
        got,
        vec![DownInterval {
            vertex: h2,
            start: 12_000,
            end: 15_000,
            cut: true
        }]
    );
}

#[test]
fn what_holds_at_the_start_is_a_cut_interval() {
    let (g, [a, _, _, h2, _]) = pair();
    let mut t = Timeline::new(g, [h2], 50);
    t.assert(0, key("a"), State::Down, vec![a]);
    t.begin();
    t.withdraw(70, &key("a"));
    assert_eq!(
        t.finish(100),
        vec![DownInterval {
            vertex: h2,
            start: 50,
            end: 70,
            cut: true
        }]
    );
}

#[test]
fn spans_merge_measure_and_intersect() {
    let m = merge(vec![(5, 10), (0, 3), (2, 4), (10, 12), (20, 20)]);
    assert_eq!(m, vec![(0, 4), (5, 12)]);
    assert_eq!(measure_within(&m, 3, 6), 2);
    assert_eq!(
        intersect(&m, &[(3, 6), (11, 30)]),
        vec![(3, 4), (5, 6), (11, 12)]
    );
}

proptest! {
    /// The timeline agrees with evaluating the observations afresh at every instant.
    #[test]
    fn timeline_matches_a_fresh_evaluation_at_every_step(
        steps in prop::collection::vec((0u8..4, any::<bool>(), 0i64..50), 1..40)
    ) {
        let (g, [a, b, h1, h2, s]) = pair();
        let vs = [a, b, h1, h2];
        let mut t = Timeline::new(Arc::clone(&g), [h1, h2, s], 0);
        t.begin();
        let mut now = 0;
        let mut truth: Vec<(i64, [bool; 3])> = Vec::new();
        let mut held: Vec<Option<State>> = vec![None; 4];
        for (which, down, dt) in steps {
            now += dt;
            let k = key(&which.to_string());
            held[which as usize] = if held[which as usize].is_some() { None } else if down { Some(State::Down) } else { Some(State::Degraded) };
            match held[which as usize] {
                Some(st) => t.assert(now, k, st, vec![vs[which as usize]]),
                None => t.withdraw(now, &k),
            }
            let mut fresh = Impact::new(Arc::clone(&g));
            let mut ch = Vec::new();
            for (i, h) in held.iter().enumerate() {
                if let Some(st) = h { fresh.observe(vs[i], *st, &mut ch); }
            }
            truth.push((now, [h1, h2, s].map(|v| fresh.state(v) == State::Down)));
        }
        let got = t.finish(now + 1);
        for (i, v) in [h1, h2, s].into_iter().enumerate() {
            // Down at every instant where the fresh evaluation was down, nowhere else.
            for w in truth.windows(2) {
                let (t0, st) = w[0];
                let t1 = w[1].0;
                if t1 == t0 { continue; }
                let covered = got.iter().any(|iv| iv.vertex == v && iv.start <= t0 && iv.end >= t1);
                prop_assert_eq!(covered, st[i]);
            }
        }
    }
}
