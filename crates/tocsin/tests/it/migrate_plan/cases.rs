//! The cases: a daylight-saving weekend, a VM shared by two customers, a VM too big for any
//! window, a customer's VMs in one wave, more VMs than streams, and files with mistakes.

use super::*;

/// Two VMs of 4 h 15 min each on one stream: 8 h 30 min, more than a Saturday night of 8 h.
fn dst(from: &'static str) -> Case {
    Case {
        name: "dst",
        zone: "Europe/Prague",
        from,
        link: "1Gbit/s",
        link_bps: 1_000_000_000,
        streams: 1,
        overhead: 300,
        default: vec!["Sat 22:00-Sun 06:00"],
        windows: vec![],
        vms: vec![
            ("vm-a1", 1_875_000_000_000, vec!["acme"]),
            ("vm-a2", 1_875_000_000_000, vec!["acme"]),
        ],
    }
}

#[test]
fn the_autumn_change_night_holds_nine_hours_of_transfers() {
    let plan = run(&dst("2026-10-24"));
    assert_eq!(waves(&plan), vec![vec!["vm-a1", "vm-a2"]]);
    assert_eq!(plan["waves"][0]["start"], "2026-10-24T20:00:00Z");
    assert_eq!(plan["waves"][0]["end"], "2026-10-25T04:30:00Z");
    // A week later the night has its 8 h again: one VM a night.
    let mut later = dst("2026-10-31");
    later.name = "dst-later";
    let plan = run(&later);
    assert_eq!(waves(&plan), vec![vec!["vm-a1"], vec!["vm-a2"]]);
    assert_eq!(plan["waves"][0]["start"], "2026-10-31T21:00:00Z");
    assert_eq!(plan["waves"][1]["start"], "2026-11-07T21:00:00Z");
}

#[test]
fn a_shared_vm_goes_into_the_overlap_and_a_too_big_one_is_left_out() {
    let case = Case {
        name: "shared",
        zone: "Europe/Prague",
        from: "2026-12-01",
        link: "1Gbit/s",
        link_bps: 1_000_000_000,
        streams: 1,
        overhead: 300,
        default: vec![],
        windows: vec![
            ("acme", vec!["Sat 20:00-23:00"]),
            ("beta", vec!["Sat 21:00-Sun 01:00"]),
            ("gamma", vec!["Tue 01:00-04:00"]),
        ],
        vms: vec![
            ("shared", 100_000_000_000, vec!["acme", "beta"]),
            ("big", 1_350_000_000_000, vec!["beta", "acme"]),
            ("apart", 10_000_000_000, vec!["acme", "gamma"]),
        ],
    };
    let plan = run(&case);
    assert_eq!(waves(&plan), vec![vec!["shared"]]);
    // 21:00 in Prague: beta's window opens an hour after acme's.
    assert_eq!(plan["waves"][0]["vms"][0]["start"], "2026-12-05T20:00:00Z");
    assert_eq!(
        plan["unplaceable"],
        serde_json::json!([
            {"id": "apart", "reason": "no common window of acme and gamma in 90 days"},
            {"id": "big", "reason": "needs 3h05m, longest common window of acme and beta is 2h"},
        ])
    );
}

#[test]
fn a_customers_vms_share_one_wave_when_they_fit() {
    // 1 h, 1 h and 1 h 30 min for beta (3 h 30 min, so it goes first) fill Tuesday's two lanes
    // but half an hour; acme's three hours wait for Saturday together.
    let hour = 2_250_000_000_000;
    let case = Case {
        name: "together",
        zone: "Europe/Prague",
        from: "2026-12-01",
        link: "10Gbit/s",
        link_bps: 10_000_000_000,
        streams: 2,
        overhead: 0,
        default: vec!["Tue 01:00-03:00", "Sat 22:00-Sun 06:00"],
        windows: vec![],
        vms: vec![
            ("a-1", hour, vec!["acme"]),
            ("a-2", hour, vec!["acme"]),
            ("a-3", hour, vec!["acme"]),
            ("b-1", hour, vec!["beta"]),
            ("b-2", hour, vec!["beta"]),
            ("b-3", hour * 3 / 2, vec!["beta"]),
        ],
    };
    let plan = run(&case);
    assert_eq!(
        waves(&plan),
        vec![vec!["b-1", "b-3", "b-2"], vec!["a-1", "a-2", "a-3"]]
    );
    assert_eq!(plan["waves"][0]["start"], "2026-12-01T00:00:00Z");
    assert_eq!(plan["waves"][1]["start"], "2026-12-05T21:00:00Z");
}

#[test]
fn more_vms_than_streams_take_turns_in_one_window() {
    // Five VMs of 55 min + 5 min on two streams: three rounds, one wave.
    let case = Case {
        name: "lanes",
        zone: "Europe/Prague",
        from: "2026-12-01",
        link: "10Gbit/s",
        link_bps: 10_000_000_000,
        streams: 2,
        overhead: 300,
        default: vec!["Sat 22:00-Sun 06:00"],
        windows: vec![],
        vms: (0..5)
            .map(|i| {
                let id: &'static str = ["v-0", "v-1", "v-2", "v-3", "v-4"][i];
                (id, 2_062_500_000_000, vec!["acme"])
            })
            .collect(),
    };
    let plan = run(&case);
    assert_eq!(waves(&plan).len(), 1);
    assert_eq!(plan["waves"][0]["start"], "2026-12-05T21:00:00Z");
    assert_eq!(plan["waves"][0]["end"], "2026-12-06T00:00:00Z");
    let starts: Vec<&str> = plan["waves"][0]["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        vec![
            "2026-12-05T21:00:00Z",
            "2026-12-05T21:00:00Z",
            "2026-12-05T22:00:00Z",
            "2026-12-05T22:00:00Z",
            "2026-12-05T23:00:00Z",
        ]
    );
}

#[test]
fn mistakes_are_reported_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let case = dst("2026-12-01");
    let inv = write(&dir, "bad-inv.yaml", &inventory_yaml(&case));
    let vms = write(
        &dir,
        "bad-vms.yaml",
        "\
windows:
  default: [\"Sat 22:00-Sun 6\"]
  nobody: [\"Tue 01:00-04:00\"]
time_zone: Europe/Prague
from: 2026-12-01
link: 10Gbit/s
vms:
  - {id: vm-a1, disk_bytes: 0, format: vmdk}
  - {id: vm-zz, disk_bytes: 10, format: iso}
",
    );
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
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(!stderr.contains("panicked"), "{stderr}");
    for expected in [
        format!("{vms}:2:13: windows of `default`: `Sat 22:00-Sun 6` is not a window"),
        format!("{vms}:3:3: windows: unknown customer `nobody`"),
        format!("{vms}:8:29: disk_bytes of VM `vm-a1`: `0` is not a whole number"),
        format!("{vms}:9:10: id: unknown VM `vm-zz`: not a vertex of the inventory"),
        format!("{vms}:9:41: format of VM `vm-zz`: `iso` is not one of"),
        format!("5 errors in {vms}"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nnot in\n{stderr}");
    }
    // Broken YAML, and a link speed on the command line that is not one.
    let broken = write(&dir, "broken-vms.yaml", "vms:\n  - {id: vm-a1\n");
    let out = tocsin(&["migrate", "plan", "--inventory", &inv, "--vms", &broken]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!("{broken}:3:1: YAML syntax")),
        "{stderr}"
    );
    let good = write(&dir, "good-vms.yaml", &vms_yaml(&case));
    let out = tocsin(&[
        "migrate",
        "plan",
        "--inventory",
        &inv,
        "--vms",
        &good,
        "--link",
        "fast",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`fast` is not a link speed"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // A lane is kept per stream, so their number is bounded.
    let out = tocsin(&[
        "migrate",
        "plan",
        "--inventory",
        &inv,
        "--vms",
        &good,
        "--streams",
        "100000",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("100000 is not in 1..=1024"), "{stderr}");
}

#[test]
fn the_table_shows_local_and_utc_times() {
    let dir = tempfile::tempdir().unwrap();
    let case = dst("2026-10-24");
    let inv = write(&dir, "table-inv.yaml", &inventory_yaml(&case));
    let vms = write(&dir, "table-vms.yaml", &vms_yaml(&case));
    let out = tocsin(&[
        "migrate",
        "plan",
        "--inventory",
        &inv,
        "--vms",
        &vms,
        "--streams",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two streams halve each VM's share: 8 h 20 min of transfer + 5 min, both at once.
    assert!(
        stdout.starts_with(
            "Wave 1: Sat 2026-10-24 22:00 CEST – Sun 2026-10-25 05:25 CET (Europe/Prague), \
             2026-10-24T20:00:00Z – 2026-10-25T04:25:00Z\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("customers: acme"), "{stdout}");
    assert!(
        stdout.ends_with("1 wave, 2 VMs placed, 0 unplaceable\n"),
        "{stdout}"
    );
}
