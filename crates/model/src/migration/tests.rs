//! The planner on small requests: the common windows of a VM's customers, the lanes, waves per
//! customer, the reasons of VMs left out, and the invariants on random requests.

use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use proptest::prelude::*;

use super::*;

fn utc(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_second()
}

fn windows(list: &[&str]) -> Vec<Window> {
    list.iter().map(|w| Window::parse(w).unwrap()).collect()
}

/// A request over 1 Gbit/s in `streams` streams with no overhead: a VM of `n` × 125 MB
/// takes `n` × `streams` seconds.
fn request(streams: u32, default: &[&str], customers: &[(&str, Option<&[&str]>)]) -> Request {
    Request {
        zone: TimeZone::get("Europe/Prague").unwrap(),
        from: date(2026, 12, 1),
        link_bits_per_second: 1_000_000_000,
        streams,
        overhead_seconds: 0,
        default_windows: windows(default),
        customers: customers
            .iter()
            .map(|(id, w)| CustomerWindows {
                id: (*id).to_owned(),
                windows: w.map(windows),
            })
            .collect(),
        vms: Vec::new(),
    }
}

fn vm(r: &mut Request, id: &str, seconds_per_stream: u64, customers: &[usize]) {
    r.vms.push(MigrationVm {
        id: id.to_owned(),
        disk_bytes: seconds_per_stream * 125_000_000,
        format: DiskFormat::Raw,
        customers: customers.to_vec(),
    });
}

/// Checks what every plan must hold and returns the placed VMs by index.
fn check(r: &Request, plan: &Plan) -> Vec<Option<Placed>> {
    let mut at = vec![None; r.vms.len()];
    for wave in &plan.waves {
        assert!(!wave.vms.is_empty());
        for p in &wave.vms {
            assert!(at[p.vm].is_none(), "{} placed twice", r.vms[p.vm].id);
            at[p.vm] = Some(*p);
            assert!(wave.start <= p.start && p.end <= wave.end);
            assert_eq!(p.end - p.start, r.downtime(&r.vms[p.vm]) as i64);
        }
    }
    for u in &plan.unplaceable {
        assert!(
            at[u.vm].is_none(),
            "{} placed and unplaceable",
            r.vms[u.vm].id
        );
    }
    let left = plan.unplaceable.len();
    assert_eq!(at.iter().flatten().count() + left, r.vms.len());
    // Inside one window of each customer (the default ones for a VM of nobody's).
    for (v, p) in at.iter().enumerate() {
        let Some(p) = p else { continue };
        let mut lists: Vec<&[Window]> = r.vms[v]
            .customers
            .iter()
            .map(|&c| {
                r.customers[c]
                    .windows
                    .as_deref()
                    .unwrap_or(&r.default_windows)
            })
            .collect();
        if lists.is_empty() {
            lists.push(&r.default_windows);
        }
        for list in lists {
            let mut occurrences = Vec::new();
            for w in list {
                w.expand(&r.zone, r.from, HORIZON_DAYS, &mut occurrences);
            }
            assert!(
                occurrences
                    .iter()
                    .any(|o| o.start <= p.start && p.end <= o.end),
                "{} at {}..{} outside its windows",
                r.vms[v].id,
                p.start,
                p.end
            );
        }
    }
    // Never more than `streams` transfers at once.
    let mut edges: Vec<(i64, i32)> = at
        .iter()
        .flatten()
        .flat_map(|p| [(p.start, 1), (p.end, -1)])
        .collect();
    edges.sort_by_key(|&(t, d)| (t, d));
    let mut running = 0;
    for (_, d) in edges {
        running += d;
        assert!(running <= r.streams as i32, "{running} transfers at once");
    }
    at
}

#[test]
fn more_vms_than_streams_share_one_window_on_the_lanes() {
    let mut r = request(2, &["Sat 22:00-Sun 06:00"], &[("acme", None)]);
    // Each takes 1 h (1800 s per stream × 2 streams); five of them on two lanes.
    for i in 0..5 {
        vm(&mut r, &format!("vm-{i}"), 1800, &[0]);
    }
    let plan = plan(&r);
    let at = check(&r, &plan);
    assert_eq!(plan.waves.len(), 1, "one wave: {plan:?}");
    assert!(plan.unplaceable.is_empty());
    let starts: Vec<i64> = at.iter().map(|p| p.unwrap().start).collect();
    let night = utc("2026-12-05T21:00:00Z");
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        vec![night, night, night + 3600, night + 3600, night + 7200]
    );
    assert_eq!(plan.waves[0].start, night);
    assert_eq!(plan.waves[0].end, night + 3 * 3600);
}

#[test]
fn a_shared_vm_goes_only_where_both_customers_windows_overlap() {
    let mut r = request(
        4,
        &[],
        &[
            ("acme", Some(&["Sat 20:00-23:00"])),
            ("beta", Some(&["Sat 21:00-Sun 01:00"])),
        ],
    );
    vm(&mut r, "shared", 900, &[0, 1]);
    let plan = plan(&r);
    let at = check(&r, &plan);
    let p = at[0].unwrap();
    assert_eq!(p.start, utc("2026-12-05T20:00:00Z"), "21:00 in Prague");
    assert_eq!(plan.interruptions(&r), vec![1, 1]);
}

#[test]
fn a_vm_too_long_for_every_common_window_is_left_out_with_the_reason() {
    let mut r = request(
        1,
        &[],
        &[
            ("acme", Some(&["Sat 20:00-23:00"])),
            ("beta", Some(&["Sat 21:00-Sun 01:00"])),
            ("gamma", Some(&["Tue 01:00-04:00"])),
        ],
    );
    vm(&mut r, "big", 3 * 3600 + 5 * 60, &[0, 1]);
    vm(&mut r, "apart", 60, &[0, 2]);
    vm(&mut r, "small", 60, &[1]);
    let plan = plan(&r);
    check(&r, &plan);
    let reasons: Vec<(&str, &str)> = plan
        .unplaceable
        .iter()
        .map(|u| (r.vms[u.vm].id.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("apart", "no common window of acme and gamma in 90 days"),
            (
                "big",
                "needs 3h05m, longest common window of acme and beta is 2h"
            ),
        ]
    );
    let shortfalls: Vec<Shortfall> = plan.unplaceable.iter().map(|u| u.shortfall).collect();
    assert_eq!(
        shortfalls,
        vec![Shortfall::NoCommonWindow, Shortfall::TooLong]
    );
    assert_eq!(plan.waves.len(), 1);
}

#[test]
fn a_customers_vms_share_one_wave_when_they_fit_and_split_when_not() {
    // Two lanes, a 3 h window: acme's three 1 h VMs fit at once; beta's eight 1 h VMs need
    // three nights, the first of them shared with acme.
    let mut r = request(2, &["Sun 01:00-04:00"], &[("acme", None), ("beta", None)]);
    for i in 0..3 {
        vm(&mut r, &format!("a-{i}"), 1800, &[0]);
    }
    for i in 0..8 {
        vm(&mut r, &format!("b-{i}"), 1800, &[1]);
    }
    let plan = plan(&r);
    check(&r, &plan);
    assert!(plan.unplaceable.is_empty());
    // beta is larger, so it goes first: six VMs the first night, two the next; acme's three
    // fit together beside those two, in the same wave.
    assert_eq!(plan.interruptions(&r), vec![1, 2]);
    let sizes: Vec<usize> = plan.waves.iter().map(|w| w.vms.len()).collect();
    assert_eq!(sizes, vec![6, 5]);
}

#[test]
fn a_customer_joins_the_wave_its_shared_vm_is_in() {
    // acme goes first (larger); its VM shared with beta lands in their overlap, and beta's
    // own VM follows it into that wave rather than into beta's earlier window.
    let mut r = request(
        4,
        &[],
        &[
            ("acme", Some(&["Sat 20:00-23:00"])),
            ("beta", Some(&["Fri 20:00-23:00", "Sat 21:00-Sun 01:00"])),
        ],
    );
    vm(&mut r, "a-1", 1800, &[0]);
    vm(&mut r, "shared", 150, &[0, 1]);
    vm(&mut r, "b-1", 150, &[1]);
    let plan = plan(&r);
    check(&r, &plan);
    assert_eq!(plan.waves.len(), 1, "{plan:?}");
    assert_eq!(plan.interruptions(&r), vec![1, 1]);
}

#[test]
fn vms_of_nobody_use_the_default_windows() {
    let mut r = request(1, &["Wed 02:00-03:00"], &[]);
    vm(&mut r, "lonely", 600, &[]);
    let plan = plan(&r);
    let at = check(&r, &plan);
    assert_eq!(at[0].unwrap().start, utc("2026-12-02T01:00:00Z"));
    let mut r = request(1, &[], &[]);
    vm(&mut r, "lonely", 600, &[]);
    assert_eq!(
        plan_reasons(&r),
        vec!["no default window in 90 days".to_owned()]
    );
}

fn plan_reasons(r: &Request) -> Vec<String> {
    plan(r).unplaceable.into_iter().map(|u| u.reason).collect()
}

#[test]
fn a_full_window_is_named_as_full() {
    let mut r = request(
        1,
        &[],
        &[("acme", Some(&["2026-12-05T20:00/2026-12-05T21:00"]))],
    );
    vm(&mut r, "one", 2400, &[0]);
    vm(&mut r, "two", 2400, &[0]);
    assert_eq!(
        plan_reasons(&r),
        vec!["needs 40m; every window of acme long enough within 90 days is already full"]
    );
    assert_eq!(plan(&r).unplaceable[0].shortfall, Shortfall::Full);
}

const WINDOWS: [&str; 6] = [
    "Sat 22:00-Sun 06:00",
    "Tue 01:00-04:00",
    "Sun 02:30-05:00",
    "Fri 23:00-01:00",
    "2026-12-05T20:00/2026-12-06T08:00",
    "Wed 12:00-Thu 12:00",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_plan_keeps_the_windows_and_the_lanes(
        streams in 1u32..5,
        own in proptest::collection::vec(proptest::option::of(proptest::collection::vec(0usize..6, 1..3)), 1..6),
        vms in proptest::collection::vec((1u64..20_000, proptest::collection::vec(0usize..8, 0..3)), 1..40),
    ) {
        let customers: Vec<(String, Option<Vec<&str>>)> = own
            .iter()
            .enumerate()
            .map(|(i, w)| (format!("c{i}"), w.as_ref().map(|w| w.iter().map(|&k| WINDOWS[k]).collect())))
            .collect();
        let refs: Vec<(&str, Option<&[&str]>)> =
            customers.iter().map(|(id, w)| (id.as_str(), w.as_deref())).collect();
        let mut r = request(streams, &WINDOWS[..1], &refs);
        for (i, (seconds, cs)) in vms.iter().enumerate() {
            let mut cs: Vec<usize> = cs.iter().filter(|&&c| c < refs.len()).copied().collect();
            cs.sort_unstable();
            cs.dedup();
            vm(&mut r, &format!("vm-{i:02}"), *seconds, &cs);
        }
        let plan = plan(&r);
        check(&r, &plan);
        for w in plan.waves.windows(2) {
            prop_assert!(w[0].start <= w[1].start);
        }
    }
}
