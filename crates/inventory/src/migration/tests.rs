//! The VMs file: what a good one becomes, and where each kind of mistake is reported.

use super::*;
use crate::load_str;
use tocsin_model::migration::Window;

const INVENTORY: &str = "\
version: 1
customers:
  - {id: beta, name: Beta}
  - {id: acme, name: ACME}
  - {id: idle, name: Idle}
nodes:
  - {id: hv-1, kind: hypervisor}
  - {id: vm-1, kind: vm, requires: [hv-1]}
  - {id: vm-2, kind: vm, requires: [hv-1]}
  - {id: vm-3, kind: vm, requires: [hv-1]}
  - {id: db-1, kind: database, requires: [vm-2]}
services:
  - {id: web, customer: acme, kind: vps, requires: [vm-1]}
  - {id: shop, customer: beta, kind: vps, requires: [{any: [db-1, vm-1]}]}
  - {id: mail, customer: acme, kind: mail, requires: [db-1]}
  - {id: ftp, customer: beta, kind: vps, requires: [vm-3]}
";

fn inventory() -> Inventory {
    load_str("inv.yaml", INVENTORY).unwrap()
}

fn read(text: &str) -> Result<Request, String> {
    read_vms("vms.yaml", text, &inventory(), Overrides::default()).map_err(|e| e.to_string())
}

const GOOD: &str = "\
windows:
  default: [\"Sat 22:00-Sun 06:00\"]
  acme: [\"Tue 01:00-04:00\", \"2026-12-05T20:00/2026-12-06T08:00\"]
time_zone: Europe/Prague
from: 2026-12-01
link: 10Gbit/s
streams: 2
overhead: 10m
vms:
  - id: vm-1
    disk_bytes: 85899345920
    format: vmdk
  - {id: vm-2, disk_bytes: 1000, format: qcow2}
  - {id: vm-3, disk_bytes: 1, format: raw}
";

#[test]
fn a_good_file_with_customers_found_through_the_graph() {
    let r = read(GOOD).unwrap();
    assert_eq!(r.zone.iana_name(), Some("Europe/Prague"));
    assert_eq!(r.from.to_string(), "2026-12-01");
    assert_eq!(r.link_bits_per_second, 10_000_000_000);
    assert_eq!((r.streams, r.overhead_seconds), (2, 600));
    assert_eq!(
        r.default_windows,
        vec![Window::parse("Sat 22:00-Sun 06:00").unwrap()]
    );
    let customers = |i: usize| -> Vec<&str> {
        r.vms[i]
            .customers
            .iter()
            .map(|&c| r.customers[c].id.as_str())
            .collect()
    };
    // vm-1 carries acme's web; beta's shop runs on vm-1 or db-1, so while vm-1 moves it only
    // loses redundancy and beta's windows do not bind vm-1. vm-2 carries db-1, which acme's
    // mail needs; the shop still has vm-1.
    assert_eq!(customers(0), vec!["acme"]);
    assert_eq!(customers(1), vec!["acme"]);
    assert_eq!(customers(2), vec!["beta"]);
    let acme = r.customers.iter().find(|c| c.id == "acme").unwrap();
    assert_eq!(acme.windows.as_ref().map(Vec::len), Some(2));
    let beta = r.customers.iter().find(|c| c.id == "beta").unwrap();
    assert!(beta.windows.is_none(), "beta uses the default");
    assert_eq!(r.vms[0].format, DiskFormat::Vmdk);
    assert_eq!(r.vms[0].disk_bytes, 85_899_345_920);
}

#[test]
fn the_command_line_overrides_link_and_streams() {
    let over = Overrides {
        link_bits_per_second: Some(1_000_000_000),
        streams: Some(8),
    };
    let r = read_vms("vms.yaml", GOOD, &inventory(), over).unwrap();
    assert_eq!((r.link_bits_per_second, r.streams), (1_000_000_000, 8));
    let no_link = GOOD.replace("link: 10Gbit/s\n", "");
    let r = read_vms("vms.yaml", &no_link, &inventory(), over).unwrap();
    assert_eq!(r.link_bits_per_second, 1_000_000_000);
    assert_eq!(
        read(&no_link).unwrap_err(),
        "vms.yaml:1:1: no link speed: give `link:` (such as 10Gbit/s) here or --link"
    );
}

#[test]
fn every_mistake_is_reported_where_it_is() {
    let text = "\
windows:
  default: [\"Sat 22:00-Sun 6\"]
  nobody: [\"Tue 01:00-04:00\"]
time_zone: Europe/Atlantis
from: 2026-12-01
link: 10 furlongs
streams: 0
vms:
  - {id: vm-9, disk_bytes: 10, format: vmdk}
  - {id: vm-1, disk_bytes: 0, format: vmdk}
  - {id: vm-2, disk_bytes: 10, format: iso}
  - {id: vm-3, disk_bytes: 10, format: raw, size: 3}
  - {id: vm-3, disk_bytes: -4, format: raw}
";
    let err = read(text).unwrap_err();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        vec![
            "vms.yaml:2:13: windows of `default`: `Sat 22:00-Sun 6` is not a window: its end is not HH:MM (expected `Sat 22:00-Sun 06:00`, `Tue 01:00-04:00` or `2026-12-05T20:00/2026-12-06T08:00`)",
            "vms.yaml:3:3: windows: unknown customer `nobody`: not a customer of the inventory",
            "vms.yaml:4:12: time_zone: `Europe/Atlantis` is not an IANA time zone such as Europe/Prague",
            "vms.yaml:6:7: link: `10 furlongs` is not a link speed such as 10Gbit/s, 500Mbit/s, 1.5Gbit/s or 100MB/s",
            "vms.yaml:7:10: streams: `0` is not a whole number of parallel transfers from 1 to 1024",
            "vms.yaml:9:10: id: unknown VM `vm-9`: not a vertex of the inventory",
            "vms.yaml:10:28: disk_bytes of VM `vm-1`: `0` is not a whole number of bytes above 0",
            "vms.yaml:11:40: format of VM `vm-2`: `iso` is not one of vmdk, vhdx, vpc, qcow2, raw",
            "vms.yaml:12:45: unknown key `size` in a VM (allowed: id, disk_bytes, format)",
            "vms.yaml:13:10: VM `vm-3` is listed twice (first at 12:10)",
            "vms.yaml:13:28: disk_bytes of VM `vm-3`: `-4` is not a whole number of bytes above 0",
        ]
    );
}

#[test]
fn missing_parts_and_broken_yaml() {
    assert_eq!(
        read("vms: []\n").unwrap_err().lines().collect::<Vec<_>>(),
        vec![
            "vms.yaml:1:1: no link speed: give `link:` (such as 10Gbit/s) here or --link",
            "vms.yaml:1:1: missing `time_zone` (an IANA zone such as Europe/Prague)",
            "vms.yaml:1:1: missing `from`: the first day waves may use, such as 2026-12-01",
        ]
    );
    assert_eq!(
        read("").unwrap_err(),
        "vms.yaml:1:1: the file is empty: expected a mapping with `vms:`"
    );
    let err = read("vms:\n  - {id: vm-1\n").unwrap_err();
    assert!(err.starts_with("vms.yaml:3:1: YAML syntax:"), "{err}");
    let err = read("windows: [\"Sat 22:00-Sun 06:00\"]\n").unwrap_err();
    assert!(err.contains("vms.yaml:1:1: missing `vms`"), "{err}");
    assert!(err.contains("`windows` must be a mapping"), "{err}");
}
