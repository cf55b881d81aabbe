//! Power panels, power feeds, power ports and power outlets as NetBox renders them.

use super::super::answers::{Endpoint, KindFilter};
use super::super::model::{at, id_of, End, Provider};
use super::{
    brief, brief_slug, cable_fields, device_brief, end_members, endpoint_fields, head, peer_fields,
    stamp,
};

pub(super) fn panels(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/power-panels/", false, KindFilter::None);
    for (n, panel) in p.power_panels.iter().enumerate() {
        let id = id_of(n);
        let feeds = p.power_feeds.iter().filter(|f| f.panel == id).count();
        let site = at(&p.sites, panel.site);
        e.push(false, "", |o| {
            head(o, "dcim/power-panels", id, &panel.name);
            brief_slug(o, "site", "dcim/sites", panel.site, &site.name, &site.slug);
            o.null("location")
                .str("name", &panel.name)
                .str("description", "")
                .str("comments", "")
                .raw("tags", "[]")
                .raw("custom_fields", "{}")
                .int("powerfeed_count", feeds as i64)
                .str("created", "2024-11-04T00:00:00Z")
                .str("last_updated", "2024-11-04T10:00:00.000000Z");
        });
    }
    e
}

pub(super) fn feeds(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/power-feeds/", true, KindFilter::None);
    for (n, f) in p.power_feeds.iter().enumerate() {
        let id = id_of(n);
        let primary = f.name.ends_with("-a");
        e.push(f.link.is_some(), "", |o| {
            head(o, "dcim/power-feeds", id, &f.name);
            brief(
                o,
                "power_panel",
                "dcim/power-panels",
                f.panel,
                &at(&p.power_panels, f.panel).name,
            );
            brief(o, "rack", "dcim/racks", f.rack, &at(&p.racks, f.rack).name);
            o.str("name", &f.name).choice("status", "active", "Active");
            if primary {
                o.choice("type", "primary", "Primary");
            } else {
                o.choice("type", "redundant", "Redundant");
            }
            o.choice("supply", "ac", "AC")
                .choice("phase", "three-phase", "Three-phase")
                .int("voltage", 400)
                .int("amperage", 32)
                .int("max_utilization", 80)
                .bool("mark_connected", false);
            cable_fields(o, f.link);
            peer_fields(o, p, f.link);
            endpoint_fields(o, p, f.link.map(|l| l.peer));
            o.str("description", "").null("tenant").str("comments", "");
            stamp(o, id);
            o.bool("_occupied", f.link.is_some());
        });
    }
    e
}

pub(super) fn ports(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/power-ports/", true, KindFilter::None);
    for (n, port) in p.power_ports.iter().enumerate() {
        let id = id_of(n);
        let input = port.name == "Input";
        e.push(port.link.is_some(), "", |o| {
            head(o, "dcim/power-ports", id, &port.name);
            device_brief(o, p, port.device);
            o.null("module").str("name", &port.name).str("label", "");
            if input {
                o.choice("type", "iec-60309-3p-n-e-6h", "3P+N+E 6H")
                    .null("maximum_draw");
            } else {
                o.choice("type", "iec-60320-c14", "C14")
                    .int("maximum_draw", 800);
            }
            o.null("allocated_draw")
                .str("description", "")
                .bool("mark_connected", false);
            cable_fields(o, port.link);
            peer_fields(o, p, port.link);
            // A PSU's path ends at the outlet; a PDU's input at its feed.
            endpoint_fields(o, p, port.link.map(|l| l.peer));
            stamp(o, id);
            o.bool("_occupied", port.link.is_some());
        });
    }
    e
}

pub(super) fn outlets(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/power-outlets/", true, KindFilter::None);
    for (n, outlet) in p.power_outlets.iter().enumerate() {
        let id = id_of(n);
        e.push(outlet.link.is_some(), "", |o| {
            head(o, "dcim/power-outlets", id, &outlet.name);
            device_brief(o, p, outlet.device);
            o.null("module")
                .str("name", &outlet.name)
                .str("label", "")
                .choice("type", "iec-60320-c13", "C13")
                .str("color", "")
                .obj("power_port", |x| {
                    end_members(x, p, End::PowerPort(outlet.input))
                })
                .null("feed_leg")
                .str("description", "")
                .bool("mark_connected", false);
            cable_fields(o, outlet.link);
            peer_fields(o, p, outlet.link);
            endpoint_fields(o, p, outlet.link.map(|l| l.peer));
            stamp(o, id);
            o.bool("_occupied", outlet.link.is_some());
        });
    }
    e
}
