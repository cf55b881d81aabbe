//! A small data centre of our own in NetBox 4.2's shapes (the recorded demo has no server
//! cabled to switches, no powered PDU and no VM on a device): two leaves, two PDUs on two
//! feeds, hypervisors with a LAG, a server whose "redundant" uplinks land on one leaf, a path
//! through a patch panel, VMs on a cluster and on a device, tenants with and without e-mail.

use serde_json::{json, Value};

use super::fake::Data;

fn brief(kind: &str, id: u64, name: Option<&str>) -> Value {
    json!({"id": id, "url": format!("http://netbox.invalid/api/{kind}/{id}/"),
           "display": name.map_or_else(|| format!("Patch Panel ({id})"), str::to_owned),
           "name": name, "description": ""})
}

fn slugged(kind: &str, id: u64, name: &str, slug: &str) -> Value {
    let mut v = brief(kind, id, Some(name));
    v["slug"] = json!(slug);
    v
}

fn cable(id: u64) -> Value {
    json!({"id": id, "url": format!("http://netbox.invalid/api/dcim/cables/{id}/"),
           "display": format!("#{id}"), "label": "", "description": ""})
}

/// Device ids and names.
const DEVICES: &[(u64, Option<&str>, &str)] = &[
    (1, Some("leaf-a"), "leaf"),
    (2, Some("leaf-b"), "leaf"),
    (3, Some("pdu-a"), "pdu"),
    (4, Some("pdu-b"), "pdu"),
    (5, Some("hv-1"), "hypervisor"),
    (6, Some("hv-2"), "hypervisor"),
    (7, Some("srv-single"), "server"),
    (8, Some("srv-dual"), "server"),
    (9, None, "patch-panel"),
];

fn device_ref(id: u64) -> Value {
    let (_, name, _) = DEVICES.iter().find(|d| d.0 == id).unwrap();
    brief("dcim/devices", id, *name)
}

/// The data centre, with `srv-single`'s second uplink on `second_leaf` (1 = leaf-a, as
/// built wrong; 2 = leaf-b, as fixed).
pub fn data_centre(second_leaf: u64) -> Data {
    let mut d = Data {
        status: json!({"netbox-version": "4.2.9", "django-version": "5.1.8"}),
        ..Data::default()
    };
    d.list("/api/dcim/sites/").push(json!({"id": 1, "name": "DC One", "slug": "dc1", "status": {"value": "active", "label": "Active"}}));
    for &(id, name, role) in DEVICES {
        let tenant = match id {
            7 | 8 => json!(slugged("tenancy/tenants", 1, "ACME s.r.o.", "acme")),
            _ => Value::Null,
        };
        let cluster = match id {
            5 | 6 => json!(brief("virtualization/clusters", 1, Some("cl-1"))),
            _ => Value::Null,
        };
        let display = name.map_or_else(|| format!("Patch Panel ({id})"), str::to_owned);
        d.list("/api/dcim/devices/").push(json!({
            "id": id, "name": name, "display": display,
            "role": slugged("dcim/device-roles", id, role, role),
            "site": slugged("dcim/sites", 1, "DC One", "dc1"),
            "tenant": tenant, "cluster": cluster,
            "status": {"value": "active", "label": "Active"}, "tags": [], "custom_fields": {}
        }));
    }
    // Interfaces: (id, device, type, lag, mtu, mgmt, far end (interface, device), via panel).
    let mut next_cable = 100;
    let mut iface = |d: &mut Data,
                     id: u64,
                     device: u64,
                     kind: &str,
                     lag: Option<u64>,
                     mtu: Option<u32>,
                     mgmt: bool,
                     far: Option<(u64, u64)>,
                     via_panel: bool| {
        let (cab, peers, peers_type, ends, ends_type) = match far {
            None => (
                Value::Null,
                json!([]),
                Value::Null,
                Value::Null,
                Value::Null,
            ),
            Some((far_if, far_dev)) => {
                next_cable += 1;
                let end = json!({"id": far_if, "url": format!("http://netbox.invalid/api/dcim/interfaces/{far_if}/"),
                    "display": format!("eth{far_if}"), "device": device_ref(far_dev), "name": format!("eth{far_if}"),
                    "description": "", "cable": cable(next_cable), "_occupied": true});
                let (peers, peers_type) = if via_panel {
                    (
                        json!([{"id": 900 + id, "display": "Port 1", "device": device_ref(9), "name": "Port 1"}]),
                        json!("dcim.frontport"),
                    )
                } else {
                    (json!([end.clone()]), json!("dcim.interface"))
                };
                (
                    cable(next_cable),
                    peers,
                    peers_type,
                    json!([end]),
                    json!("dcim.interface"),
                )
            }
        };
        d.list("/api/dcim/interfaces/").push(json!({
            "id": id, "url": format!("http://netbox.invalid/api/dcim/interfaces/{id}/"),
            "device": device_ref(device), "name": format!("eth{id}"),
            "type": {"value": kind, "label": kind}, "enabled": true,
            "lag": lag.map(|l| json!({"id": l, "name": format!("bond{l}")})), "mtu": mtu, "mgmt_only": mgmt,
            "cable": cab, "link_peers": peers, "link_peers_type": peers_type,
            "connected_endpoints": ends, "connected_endpoints_type": ends_type,
            "connected_endpoints_reachable": if far.is_some() { json!(true) } else { Value::Null }
        }));
    };
    // Hosts' interfaces: (id, device, type, lag, mtu, mgmt, far end, through the panel).
    let second = if second_leaf == 1 { (15, 1) } else { (23, 2) };
    type Spec = (
        u64,
        u64,
        &'static str,
        Option<u64>,
        Option<u32>,
        bool,
        Option<(u64, u64)>,
        bool,
    );
    let hosts: Vec<Spec> = vec![
        // hv-1: bond 50 (mtu 9000) of eth51 → leaf-a and eth52 → leaf-b; iDRAC → leaf-a.
        (50, 5, "lag", None, Some(9000), false, None, false),
        (
            51,
            5,
            "25gbase-x-sfp28",
            Some(50),
            None,
            false,
            Some((11, 1)),
            false,
        ),
        (
            52,
            5,
            "25gbase-x-sfp28",
            Some(50),
            None,
            false,
            Some((21, 2)),
            false,
        ),
        (
            53,
            5,
            "1000base-t",
            None,
            Some(1500),
            true,
            Some((12, 1)),
            false,
        ),
        // hv-2: one leg on each leaf.
        (
            61,
            6,
            "25gbase-x-sfp28",
            None,
            Some(9000),
            false,
            Some((13, 1)),
            false,
        ),
        (
            62,
            6,
            "25gbase-x-sfp28",
            None,
            Some(9000),
            false,
            Some((22, 2)),
            false,
        ),
        // srv-single: its two "redundant" uplinks.
        (
            71,
            7,
            "10gbase-t",
            None,
            Some(1500),
            false,
            Some((14, 1)),
            false,
        ),
        (
            72,
            7,
            "10gbase-t",
            None,
            Some(1500),
            false,
            Some(second),
            false,
        ),
        // srv-dual: the second uplink runs through the patch panel.
        (81, 8, "10gbase-t", None, None, false, Some((16, 1)), false),
        (82, 8, "10gbase-t", None, None, false, Some((24, 2)), true),
        (83, 8, "virtual", None, None, false, None, false),
    ];
    for &(id, device, kind, lag, mtu, mgmt, far, via) in &hosts {
        iface(&mut d, id, device, kind, lag, mtu, mgmt, far, via);
    }
    // Leaf ports 11-19 on leaf-a (mtu 9216), 21-29 on leaf-b (mtu 9016), cabled back.
    for (leaf, ports, mtu) in [(1, 11..=19, 9216), (2, 21..=29, 9016)] {
        for p in ports {
            let far = hosts
                .iter()
                .find(|h| h.6.is_some_and(|(i, _)| i == p))
                .map(|h| ((h.0, h.1), h.7));
            let (far, via) = far.map_or((None, false), |(f, v)| (Some(f), v));
            iface(
                &mut d,
                p,
                leaf,
                "25gbase-x-sfp28",
                None,
                Some(mtu),
                false,
                far,
                via,
            );
        }
    }
    d.list("/api/dcim/interfaces/")
        .sort_by_key(|i| i["id"].as_u64().unwrap());

    d.list("/api/dcim/power-panels/").push(
        json!({"id": 1, "name": "Panel 1", "site": slugged("dcim/sites", 1, "DC One", "dc1")}),
    );
    for (id, name) in [(1, "Feed A"), (2, "Feed B")] {
        d.list("/api/dcim/power-feeds/").push(json!({"id": id, "name": name, "display": name,
            "power_panel": brief("dcim/power-panels", 1, Some("Panel 1")), "cable": cable(200 + id)}));
    }
    // Power ports: (id, device, to outlet of PDU device | to feed).
    let port = |d: &mut Data, id: u64, device: u64, pdu: Option<u64>, feed: Option<u64>| {
        let (ends, ty) = match (pdu, feed) {
            (Some(p), _) => (
                json!([{"id": 1000 + id, "display": "Outlet", "device": device_ref(p), "name": "Outlet"}]),
                json!("dcim.poweroutlet"),
            ),
            (_, Some(f)) => (
                json!([{"id": f, "display": "Feed", "name": "Feed", "_occupied": true}]),
                json!("dcim.powerfeed"),
            ),
            _ => (Value::Null, Value::Null),
        };
        d.list("/api/dcim/power-ports/").push(
            json!({"id": id, "device": device_ref(device), "name": format!("PSU{id}"),
            "cable": cable(300 + id), "connected_endpoints": ends, "connected_endpoints_type": ty,
            "connected_endpoints_reachable": true}),
        );
    };
    port(&mut d, 1, 3, None, Some(1));
    port(&mut d, 2, 4, None, Some(2));
    for (base, device) in [(10, 5), (20, 7), (30, 8), (40, 1), (50, 2)] {
        port(&mut d, base + 1, device, Some(3), None);
        port(&mut d, base + 2, device, Some(4), None);
    }
    // hv-2's two power supplies are both on pdu-a.
    port(&mut d, 61, 6, Some(3), None);
    port(&mut d, 62, 6, Some(3), None);

    d.list("/api/virtualization/clusters/")
        .push(json!({"id": 1, "name": "cl-1"}));
    d.list("/api/virtualization/clusters/")
        .push(json!({"id": 2, "name": "cl-empty"}));
    let vm = |id: u64,
              name: &str,
              cluster: Option<u64>,
              device: Option<u64>,
              tenant: Option<(u64, &str, &str)>| {
        json!({"id": id, "name": name, "display": name,
            "site": slugged("dcim/sites", 1, "DC One", "dc1"),
            "cluster": cluster.map(|c| brief("virtualization/clusters", c, Some(if c == 1 { "cl-1" } else { "cl-empty" }))),
            "device": device.map(device_ref),
            "tenant": tenant.map(|(i, n, s)| slugged("tenancy/tenants", i, n, s)),
            "status": {"value": "active", "label": "Active"}})
    };
    let vms = d.list("/api/virtualization/virtual-machines/");
    vms.push(vm(
        1,
        "vm-web",
        Some(1),
        None,
        Some((1, "ACME s.r.o.", "acme")),
    ));
    vms.push(vm(
        2,
        "vm-db",
        Some(1),
        Some(5),
        Some((2, "Beta GmbH", "beta")),
    ));
    vms.push(vm(3, "vm-lost", Some(2), None, None));

    d.list("/api/tenancy/tenants/")
        .push(json!({"id": 1, "name": "ACME s.r.o.", "slug": "acme"}));
    d.list("/api/tenancy/tenants/")
        .push(json!({"id": 2, "name": "Beta GmbH", "slug": "beta"}));
    d.list("/api/tenancy/contacts/")
        .push(json!({"id": 1, "name": "ACME ops", "email": "ops@acme.example"}));
    d.list("/api/tenancy/contacts/")
        .push(json!({"id": 2, "name": "Beta boss", "email": ""}));
    for (id, ty, object, contact) in [
        (1, "tenancy.tenant", 1, 1),
        (2, "tenancy.tenant", 2, 2),
        (3, "dcim.site", 1, 1),
    ] {
        d.list("/api/tenancy/contact-assignments/").push(json!({"id": id, "object_type": ty, "object_id": object,
            "contact": brief("tenancy/contacts", contact, Some("c")), "priority": {"value": "primary", "label": "Primary"}}));
    }
    d
}
