//! `tocsin migrate plan` end to end: the JSON plan checked by a checker of this file's own
//! (chrono and chrono-tz, not the model's code) against the case it was made from: every VM
//! once, inside a window of each of its customers, never more than `streams` at once,
//! durations from the link, waves covering their VMs.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

/// A migration as the test states it.
struct Case {
    name: &'static str,
    zone: &'static str,
    from: &'static str,
    link: &'static str,
    link_bps: u64,
    streams: u32,
    overhead: i64,
    default: Vec<&'static str>,
    windows: Vec<(&'static str, Vec<&'static str>)>,
    /// VM id, disk bytes, customers whose services run on it.
    vms: Vec<(&'static str, u64, Vec<&'static str>)>,
}

/// The inventory: each VM under a hypervisor, an application node on it, and each customer's
/// service on that node, so that customers are found two hops up.
fn inventory_yaml(case: &Case) -> String {
    let mut customers: BTreeSet<&str> = case.windows.iter().map(|(c, _)| *c).collect();
    for (_, _, cs) in &case.vms {
        customers.extend(cs.iter().copied());
    }
    let mut y = String::from("version: 1\ncustomers:\n");
    for c in &customers {
        y += &format!("  - {{id: {c}, name: {c}}}\n");
    }
    y += "nodes:\n  - {id: hv-1, kind: hypervisor}\n";
    for (vm, _, _) in &case.vms {
        y += &format!("  - {{id: {vm}, kind: vm, requires: [hv-1]}}\n");
        y += &format!("  - {{id: app-{vm}, kind: app, requires: [{vm}]}}\n");
    }
    y += "services:\n";
    for (vm, _, cs) in &case.vms {
        for c in cs {
            y += &format!(
                "  - {{id: svc-{vm}-{c}, customer: {c}, kind: vps, requires: [app-{vm}]}}\n"
            );
        }
    }
    y
}

fn vms_yaml(case: &Case) -> String {
    let list = |w: &[&str]| {
        w.iter()
            .map(|x| format!("\"{x}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut y = format!("windows:\n  default: [{}]\n", list(&case.default));
    for (c, w) in &case.windows {
        y += &format!("  {c}: [{}]\n", list(w));
    }
    y += &format!(
        "time_zone: {}\nfrom: {}\nlink: {}\nstreams: {}\noverhead: {}s\nvms:\n",
        case.zone, case.from, case.link, case.streams, case.overhead
    );
    for (vm, bytes, _) in &case.vms {
        y += &format!("  - id: {vm}\n    disk_bytes: {bytes}\n    format: vmdk\n");
    }
    y
}

fn tocsin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .output()
        .expect("run tocsin")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Runs the plan of `case`, checks it and returns the JSON.
fn run(case: &Case) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        &dir,
        &format!("{}-inv.yaml", case.name),
        &inventory_yaml(case),
    );
    let vms = write(&dir, &format!("{}-vms.yaml", case.name), &vms_yaml(case));
    let out = tocsin(&[
        "migrate",
        "plan",
        "--inventory",
        &inv,
        "--vms",
        &vms,
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    check(case, &plan);
    plan
}

fn at(text: &Value) -> DateTime<Utc> {
    let t = text.as_str().unwrap();
    assert!(t.ends_with('Z'), "{t} is not UTC with Z");
    DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)
}

/// Civil `at` in `tz`: the first reading when the clock reads it twice; the cases hold no time
/// that does not exist.
fn instant(tz: Tz, at: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&at)
        .earliest()
        .unwrap_or_else(|| panic!("{at} does not exist in {tz}"))
        .with_timezone(&Utc)
}

/// Every occurrence of `windows` over the 90 days from `from`, cut to them.
fn occurrences(tz: Tz, from: NaiveDate, windows: &[&str]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let first = instant(tz, from.and_time(NaiveTime::MIN));
    let last = instant(tz, (from + Duration::days(90)).and_time(NaiveTime::MIN));
    let mut out = Vec::new();
    let hm = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").unwrap();
    for w in windows {
        let mut spans = Vec::new();
        if let Some((a, b)) = w.split_once('/') {
            let p = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M").unwrap();
            spans.push((p(a), p(b)));
        } else {
            let (a, b) = w.split_once('-').unwrap();
            let (sday, stime) = a.split_once(' ').unwrap();
            let sday: chrono::Weekday = sday.parse().unwrap();
            let stime = hm(stime);
            let (days, etime) = match b.split_once(' ') {
                Some((eday, etime)) => {
                    let eday: chrono::Weekday = eday.parse().unwrap();
                    let mut d = (eday.num_days_from_monday() + 7 - sday.num_days_from_monday()) % 7;
                    if d == 0 && hm(etime) <= stime {
                        d = 7;
                    }
                    (i64::from(d), hm(etime))
                }
                None => (i64::from(hm(b) <= stime), hm(b)),
            };
            for k in -7..97 {
                let d = from + Duration::days(k);
                if d.weekday() == sday {
                    spans.push((
                        d.and_time(stime),
                        (d + Duration::days(days)).and_time(etime),
                    ));
                }
            }
        }
        for (s, e) in spans {
            let (s, e) = (instant(tz, s).max(first), instant(tz, e).min(last));
            if e > s {
                out.push((s, e));
            }
        }
    }
    out
}

fn check(case: &Case, plan: &Value) {
    let tz: Tz = case.zone.parse().unwrap();
    let from = NaiveDate::parse_from_str(case.from, "%Y-%m-%d").unwrap();
    let own: BTreeMap<&str, &Vec<&str>> = case.windows.iter().map(|(c, w)| (*c, w)).collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut spans = Vec::new();
    let mut last_wave_start = None;
    for wave in plan["waves"].as_array().unwrap() {
        let (ws, we) = (at(&wave["start"]), at(&wave["end"]));
        assert!(
            last_wave_start.is_none_or(|l| l <= ws),
            "waves out of time order"
        );
        last_wave_start = Some(ws);
        let vms = wave["vms"].as_array().unwrap();
        assert!(!vms.is_empty(), "an empty wave");
        let mut previous: Option<(DateTime<Utc>, String)> = None;
        for vm in vms {
            let id = vm["id"].as_str().unwrap().to_owned();
            *seen.entry(id.clone()).or_default() += 1;
            let (s, e) = (at(&vm["start"]), at(&vm["end"]));
            let key = (s, id.clone());
            assert!(
                previous.as_ref().is_none_or(|p| *p <= key),
                "VMs of a wave by start, then id"
            );
            previous = Some(key);
            assert!(
                ws <= s && e <= we,
                "wave {ws}..{we} does not cover {id} {s}..{e}"
            );
            let (_, bytes, customers) = case.vms.iter().find(|v| v.0 == id).unwrap();
            let bits = u128::from(*bytes) * 8 * u128::from(case.streams);
            let transfer = bits.div_ceil(u128::from(case.link_bps)) as i64;
            let downtime = transfer + case.overhead;
            assert_eq!((e - s).num_seconds(), downtime, "{id}'s duration");
            assert_eq!(vm["downtime_seconds"].as_i64(), Some(downtime), "{id}");
            let mut sorted = customers.clone();
            sorted.sort_unstable();
            let listed: Vec<&str> = vm["customers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            assert_eq!(listed, sorted, "{id}'s customers");
            let mut whose: Vec<&Vec<&str>> = customers
                .iter()
                .map(|c| own.get(c).copied().unwrap_or(&case.default))
                .collect();
            if whose.is_empty() {
                whose.push(&case.default);
            }
            for windows in whose {
                let inside = occurrences(tz, from, windows)
                    .iter()
                    .any(|&(ws, we)| ws <= s && e <= we);
                assert!(
                    inside,
                    "{id} at {s}..{e} is outside every window of {windows:?}"
                );
            }
            spans.push((s, e));
        }
    }
    for u in plan["unplaceable"].as_array().unwrap() {
        *seen
            .entry(u["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
        assert!(!u["reason"].as_str().unwrap().is_empty());
    }
    let expected: BTreeMap<String, usize> = case
        .vms
        .iter()
        .map(|(id, _, _)| ((*id).to_owned(), 1))
        .collect();
    assert_eq!(
        seen, expected,
        "every VM exactly once, placed or unplaceable"
    );
    let mut edges: Vec<(DateTime<Utc>, i32)> =
        spans.iter().flat_map(|&(s, e)| [(s, 1), (e, -1)]).collect();
    edges.sort();
    let mut running = 0;
    for (t, d) in edges {
        running += d;
        assert!(running <= case.streams as i32, "{running} transfers at {t}");
    }
}

/// Waves as lists of VM ids.
fn waves(plan: &Value) -> Vec<Vec<String>> {
    plan["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            w["vms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

mod cases;
