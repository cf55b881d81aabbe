//! Device roles, devices, interfaces, front and rear ports and cables as NetBox renders them.

use super::super::answers::{Endpoint, KindFilter};
use super::super::model::{at, id_of, End, IfKind, Provider, Role};
use super::{
    brief, brief_slug, cable_fields, device_brief, end_members, endpoint_fields, head, peer_fields,
    stamp,
};

pub(super) fn roles(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/device-roles/", false, KindFilter::None);
    for role in Role::ALL {
        let count = p.devices.iter().filter(|d| d.role == role).count();
        let id = role.id();
        e.push(false, "", |o| {
            head(o, "dcim/device-roles", id, role.name());
            o.str("name", role.name())
                .str("slug", role.slug())
                .str("color", "9e9e9e")
                .bool("vm_role", false)
                .null("config_template")
                .str("description", "");
            stamp(o, id);
            o.int("device_count", count as i64)
                .int("virtualmachine_count", 0);
        });
    }
    e
}

/// How many components of each kind a device has, by device id.
struct Counts {
    interfaces: Vec<u32>,
    power_ports: Vec<u32>,
    power_outlets: Vec<u32>,
    front_ports: Vec<u32>,
    rear_ports: Vec<u32>,
}

fn counts(p: &Provider) -> Counts {
    let n = p.devices.len() + 1;
    let tally = |devices: &mut dyn Iterator<Item = u32>| {
        let mut v = vec![0u32; n];
        for d in devices {
            v[d as usize] += 1;
        }
        v
    };
    Counts {
        interfaces: tally(&mut p.interfaces.iter().map(|i| i.device)),
        power_ports: tally(&mut p.power_ports.iter().map(|x| x.device)),
        power_outlets: tally(&mut p.power_outlets.iter().map(|x| x.device)),
        front_ports: tally(&mut p.front_ports.iter().map(|x| x.device)),
        rear_ports: tally(&mut p.rear_ports.iter().map(|x| x.device)),
    }
}

pub(super) fn devices(p: &Provider) -> Endpoint {
    let c = counts(p);
    let mut e = Endpoint::new("/api/dcim/devices/", false, KindFilter::None);
    let mut rack_unit = vec![0u32; p.racks.len() + 1];
    for (n, d) in p.devices.iter().enumerate() {
        let id = id_of(n);
        let (type_id, maker, maker_slug, model, model_slug) = d.role.device_type();
        rack_unit[d.rack as usize] += if d.role == Role::Pdu { 0 } else { 2 };
        let unit = rack_unit[d.rack as usize];
        let site = at(&p.sites, d.site);
        e.push(false, "", |o| {
            head(o, "dcim/devices", id, &d.name);
            o.str("name", &d.name).obj("device_type", |t| {
                t.int("id", i64::from(type_id))
                    .url("url", format_args!("/api/dcim/device-types/{type_id}/"))
                    .str("display", model);
                brief_slug(
                    t,
                    "manufacturer",
                    "dcim/manufacturers",
                    type_id,
                    maker,
                    maker_slug,
                );
                t.str("model", model)
                    .str("slug", model_slug)
                    .str("description", "");
            });
            brief_slug(
                o,
                "role",
                "dcim/device-roles",
                d.role.id(),
                d.role.name(),
                d.role.slug(),
            );
            match d.tenant {
                Some(t) => {
                    let tenant = at(&p.tenants, t);
                    brief_slug(
                        o,
                        "tenant",
                        "tenancy/tenants",
                        t,
                        &tenant.name,
                        &tenant.slug,
                    );
                }
                None => {
                    o.null("tenant");
                }
            }
            o.null("platform")
                .str("serial", &format!("SN{id:08X}"))
                .null("asset_tag");
            brief_slug(o, "site", "dcim/sites", d.site, &site.name, &site.slug);
            o.null("location");
            brief(o, "rack", "dcim/racks", d.rack, &at(&p.racks, d.rack).name);
            if d.role == Role::Pdu {
                // Zero-U PDUs hang at the back of the rack and have no position.
                o.null("position").null("face");
            } else {
                o.raw("position", &format!("{unit}.0"))
                    .choice("face", "front", "Front");
            }
            o.null("latitude")
                .null("longitude")
                .null("parent_device")
                .choice("status", "active", "Active")
                .null("airflow")
                .null("primary_ip")
                .null("primary_ip4")
                .null("primary_ip6")
                .null("oob_ip");
            match d.cluster {
                Some(cl) => brief(
                    o,
                    "cluster",
                    "virtualization/clusters",
                    cl,
                    &at(&p.clusters, cl).name,
                ),
                None => {
                    o.null("cluster");
                }
            }
            let i = id as usize;
            o.null("virtual_chassis")
                .null("vc_position")
                .null("vc_priority")
                .str("description", "")
                .str("comments", "")
                .null("config_template")
                .raw("config_context", "{}")
                .null("local_context_data");
            stamp(o, id);
            o.int("console_port_count", 0)
                .int("console_server_port_count", 0)
                .int("power_port_count", i64::from(c.power_ports[i]))
                .int("power_outlet_count", i64::from(c.power_outlets[i]))
                .int("interface_count", i64::from(c.interfaces[i]))
                .int("front_port_count", i64::from(c.front_ports[i]))
                .int("rear_port_count", i64::from(c.rear_ports[i]))
                .int("device_bay_count", 0)
                .int("module_bay_count", 0)
                .int("inventory_item_count", 0);
        });
    }
    e
}

/// An interface's speed in kbit/s, as NetBox stores it.
fn speed(kind: IfKind) -> Option<i64> {
    match kind {
        IfKind::Sfp28 => Some(25_000_000),
        IfKind::Qsfp28 => Some(100_000_000),
        IfKind::Copper1g => Some(1_000_000),
        IfKind::Lag | IfKind::Virtual => None,
    }
}

pub(super) fn interfaces(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/interfaces/", true, KindFilter::Type);
    for (n, i) in p.interfaces.iter().enumerate() {
        let id = id_of(n);
        e.push(i.link.is_some(), i.kind.value(), |o| {
            head(o, "dcim/interfaces", id, &i.name);
            device_brief(o, p, i.device);
            o.raw("vdcs", "[]")
                .null("module")
                .str("name", &i.name)
                .str("label", "")
                .choice("type", i.kind.value(), i.kind.label())
                .bool("enabled", true)
                .null("parent")
                .null("bridge");
            match i.lag {
                Some(lag) => {
                    let device = at(&p.devices, i.device);
                    o.obj("lag", |l| {
                        l.int("id", i64::from(lag))
                            .url("url", format_args!("/api/dcim/interfaces/{lag}/"))
                            .url("display_url", format_args!("/dcim/interfaces/{lag}/"))
                            .str("display", &at(&p.interfaces, lag).name)
                            .obj("device", |d| {
                                let did = i.device;
                                d.int("id", i64::from(did))
                                    .url("url", format_args!("/api/dcim/devices/{did}/"))
                                    .url("display_url", format_args!("/dcim/devices/{did}/"))
                                    .str("display", &device.name)
                                    .str("name", &device.name);
                            })
                            .str("name", &at(&p.interfaces, lag).name)
                            .null("cable")
                            .bool("_occupied", false);
                    });
                }
                None => {
                    o.null("lag");
                }
            }
            o.opt_int("mtu", i.mtu.map(i64::from))
                .null("mac_address")
                .null("primary_mac_address")
                .raw("mac_addresses", "[]")
                .opt_int("speed", speed(i.kind))
                .null("duplex")
                .null("wwn")
                .bool("mgmt_only", i.mgmt_only)
                .str("description", "")
                .null("mode")
                .null("rf_role")
                .null("rf_channel")
                .null("poe_mode")
                .null("poe_type")
                .null("rf_channel_frequency")
                .null("rf_channel_width")
                .null("tx_power")
                .null("untagged_vlan")
                .raw("tagged_vlans", "[]")
                .null("qinq_svlan")
                .null("vlan_translation_policy")
                .bool("mark_connected", false);
            cable_fields(o, i.link);
            o.null("wireless_link");
            peer_fields(o, p, i.link);
            o.raw("wireless_lans", "[]")
                .null("vrf")
                .null("l2vpn_termination");
            endpoint_fields(o, p, i.far.map(End::Interface));
            stamp(o, id);
            o.int("count_ipaddresses", 0)
                .int("count_fhrp_groups", 0)
                .bool("_occupied", i.link.is_some());
        });
    }
    e
}

pub(super) fn front_ports(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/front-ports/", true, KindFilter::None);
    for (n, f) in p.front_ports.iter().enumerate() {
        let id = id_of(n);
        e.push(f.link.is_some(), "", |o| {
            head(o, "dcim/front-ports", id, &f.name);
            device_brief(o, p, f.device);
            let rear = f.rear_port;
            o.null("module")
                .str("name", &f.name)
                .str("label", "")
                .choice("type", "lc", "LC")
                .str("color", "")
                .obj("rear_port", |r| {
                    r.int("id", i64::from(rear))
                        .url("url", format_args!("/api/dcim/rear-ports/{rear}/"))
                        .url("display_url", format_args!("/dcim/rear-ports/{rear}/"))
                        .str("display", "Rear")
                        .str("name", "Rear")
                        .str("label", "")
                        .str("description", "");
                })
                .int("rear_port_position", i64::from(f.position))
                .str("description", "")
                .bool("mark_connected", false);
            cable_fields(o, f.link);
            peer_fields(o, p, f.link);
            stamp(o, id);
            o.bool("_occupied", f.link.is_some());
        });
    }
    e
}

pub(super) fn rear_ports(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/rear-ports/", true, KindFilter::None);
    for (n, r) in p.rear_ports.iter().enumerate() {
        let id = id_of(n);
        e.push(r.link.is_some(), "", |o| {
            head(o, "dcim/rear-ports", id, "Rear");
            device_brief(o, p, r.device);
            o.null("module")
                .str("name", "Rear")
                .str("label", "")
                .choice("type", "mpo", "MPO")
                .str("color", "")
                .int("positions", i64::from(r.positions))
                .str("description", "")
                .bool("mark_connected", false);
            cable_fields(o, r.link);
            peer_fields(o, p, r.link);
            stamp(o, id);
            o.bool("_occupied", r.link.is_some());
        });
    }
    e
}

pub(super) fn cables(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/cables/", false, KindFilter::None);
    for (n, c) in p.cables.iter().enumerate() {
        let id = id_of(n);
        e.push(false, "", |o| {
            head(o, "dcim/cables", id, &format!("#{id}"));
            o.str("type", c.kind.value());
            for (key, end) in [("a_terminations", c.a), ("b_terminations", c.b)] {
                o.arr(key, |a| {
                    a.obj(|t| {
                        t.str("object_type", end.object_type())
                            .int("object_id", i64::from(end.id()))
                            .obj("object", |x| end_members(x, p, end));
                    });
                });
            }
            o.choice("status", "connected", "Connected")
                .null("tenant")
                .str("label", "")
                .str("color", "")
                .null("length")
                .null("length_unit")
                .str("description", "")
                .str("comments", "");
            stamp(o, id);
        });
    }
    e
}
