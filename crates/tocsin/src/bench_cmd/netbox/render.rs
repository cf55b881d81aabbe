//! Renders the generated provider as NetBox 4.2.9's REST answers, key for key as the
//! recorded demo pages show them, into the endpoints the bench serves.

mod dcim;
mod power;
mod tenancy;

use super::answers::{Answers, Arr, Endpoint, KindFilter, Obj};
use super::model::{at, End, Link, Provider};

/// `GET /api/status/` as NetBox 4.2.9 answers it.
const STATUS: &str = concat!(
    r#"{"django-version":"5.1.8","installed-apps":{"django_filters":"25.1","#,
    r#""django_prometheus":"2.3.1","django_rq":"3.0.1","django_tables2":"2.7.5","#,
    r#""drf_spectacular":"0.28.0","drf_spectacular_sidecar":"2025.4.1","mptt":"0.17.0","#,
    r#""rest_framework":"3.16.0","social_django":"5.4.3","taggit":"6.1.0","#,
    r#""timezone_field":"7.1"},"netbox-version":"4.2.9","plugins":{},"#,
    r#""python-version":"3.11.7","rq-workers-running":1}"#
);

/// Every endpoint of the answer set, rendered.
pub(super) fn render(p: &Provider) -> Answers {
    let mut endpoints = vec![
        tenancy::sites(p),
        dcim::roles(p),
        dcim::devices(p),
        dcim::interfaces(p),
        dcim::front_ports(p),
        dcim::rear_ports(p),
        dcim::cables(p),
        power::panels(p),
        power::feeds(p),
        power::ports(p),
        power::outlets(p),
        // No virtual chassis: the list is there, empty, as on a NetBox that has none.
        Endpoint::new("/api/dcim/virtual-chassis/", false, KindFilter::None),
        tenancy::clusters(p),
        tenancy::vms(p),
        tenancy::vm_interfaces(p),
        tenancy::tenants(p),
        tenancy::contacts(p),
        tenancy::contact_roles(),
        tenancy::assignments(p),
    ];
    endpoints.shrink_to_fit();
    Answers {
        endpoints,
        max_page_size: super::answers::MAX_PAGE_SIZE,
        status: STATUS.as_bytes().to_vec(),
    }
}

/// The REST path (under `/api/`) of an end's NetBox type.
fn api(end: End) -> &'static str {
    match end {
        End::Interface(_) => "dcim/interfaces",
        End::FrontPort(_) => "dcim/front-ports",
        End::RearPort(_) => "dcim/rear-ports",
        End::PowerPort(_) => "dcim/power-ports",
        End::PowerOutlet(_) => "dcim/power-outlets",
        End::PowerFeed(_) => "dcim/power-feeds",
    }
}

/// `id`, `url`, `display_url`, `display`: how every full object opens.
fn head(o: &mut Obj, api: &str, id: u32, display: &str) {
    o.int("id", i64::from(id))
        .url("url", format_args!("/api/{api}/{id}/"))
        .url("display_url", format_args!("/{api}/{id}/"))
        .str("display", display);
}

/// A timestamp that varies with the id, as objects edited over the years have.
fn updated(id: u32) -> String {
    format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        1 + id % 12,
        1 + id % 28,
        id % 24,
        id % 60,
        (id / 7) % 60,
        (id.wrapping_mul(7919)) % 1_000_000
    )
}

/// `tags`, `custom_fields`, `created`, `last_updated`, which close most objects.
fn stamp(o: &mut Obj, id: u32) {
    o.raw("tags", "[]")
        .raw("custom_fields", "{}")
        .str("created", "2024-11-04T00:00:00Z")
        .str("last_updated", &updated(id));
}

/// A nested brief object: `{id, url, display, name, description}`.
fn brief(o: &mut Obj, key: &str, api: &str, id: u32, name: &str) {
    o.obj(key, |b| {
        b.int("id", i64::from(id))
            .url("url", format_args!("/api/{api}/{id}/"))
            .str("display", name)
            .str("name", name)
            .str("description", "");
    });
}

/// A nested brief object that has a slug (site, role, tenant, manufacturer).
fn brief_slug(o: &mut Obj, key: &str, api: &str, id: u32, name: &str, slug: &str) {
    o.obj(key, |b| {
        b.int("id", i64::from(id))
            .url("url", format_args!("/api/{api}/{id}/"))
            .str("display", name)
            .str("name", name)
            .str("slug", slug)
            .str("description", "");
    });
}

fn device_brief(o: &mut Obj, p: &Provider, id: u32) {
    brief(o, "device", "dcim/devices", id, &at(&p.devices, id).name);
}

fn cable_brief(o: &mut Obj, cable: Option<u32>) {
    match cable {
        Some(id) => {
            o.obj("cable", |c| {
                c.int("id", i64::from(id))
                    .url("url", format_args!("/api/dcim/cables/{id}/"))
                    .str("display", &format!("#{id}"))
                    .str("label", "")
                    .str("description", "");
            });
        }
        None => {
            o.null("cable");
        }
    }
}

/// The name and cable of an end, to show it nested.
fn end_parts(p: &Provider, end: End) -> (&str, Option<u32>) {
    let id = end.id();
    let (name, link) = match end {
        End::Interface(_) => {
            let i = at(&p.interfaces, id);
            (i.name.as_str(), i.link)
        }
        End::FrontPort(_) => {
            let f = at(&p.front_ports, id);
            (f.name.as_str(), f.link)
        }
        End::RearPort(_) => ("Rear", at(&p.rear_ports, id).link),
        End::PowerPort(_) => {
            let pp = at(&p.power_ports, id);
            (pp.name.as_str(), pp.link)
        }
        End::PowerOutlet(_) => {
            let po = at(&p.power_outlets, id);
            (po.name.as_str(), po.link)
        }
        End::PowerFeed(_) => {
            let f = at(&p.power_feeds, id);
            (f.name.as_str(), f.link)
        }
    };
    (name, link.map(|l| l.cable))
}

/// An end nested in a list (`link_peers`, `connected_endpoints`).
fn end_brief(a: &mut Arr, p: &Provider, end: End) {
    a.obj(|o| end_members(o, p, end));
}

/// The members of an end shown nested: in lists and in a cable's terminations.
fn end_members(o: &mut Obj, p: &Provider, end: End) {
    let (name, cable) = end_parts(p, end);
    let id = end.id();
    let api = api(end);
    o.int("id", i64::from(id))
        .url("url", format_args!("/api/{api}/{id}/"))
        .str("display", name);
    if let Some(device) = p.device_of(end) {
        device_brief(o, p, device);
    }
    o.str("name", name).str("description", "");
    cable_brief(o, cable);
    o.bool("_occupied", cable.is_some());
}

/// `cable` and `cable_end` of a port.
fn cable_fields(o: &mut Obj, link: Option<Link>) {
    cable_brief(o, link.map(|l| l.cable));
    match link {
        Some(l) => o.str("cable_end", if l.a_side { "A" } else { "B" }),
        None => o.null("cable_end"),
    };
}

/// `link_peers` and `link_peers_type`: what the port's own cable reaches.
fn peer_fields(o: &mut Obj, p: &Provider, link: Option<Link>) {
    match link {
        Some(l) => {
            o.arr("link_peers", |a| end_brief(a, p, l.peer))
                .str("link_peers_type", l.peer.object_type());
        }
        None => {
            o.raw("link_peers", "[]").null("link_peers_type");
        }
    }
}

/// `connected_endpoints`, its type and reachability: the far end of a traced path.
fn endpoint_fields(o: &mut Obj, p: &Provider, far: Option<End>) {
    match far {
        Some(end) => {
            o.arr("connected_endpoints", |a| end_brief(a, p, end))
                .str("connected_endpoints_type", end.object_type())
                .bool("connected_endpoints_reachable", true);
        }
        None => {
            o.null("connected_endpoints")
                .null("connected_endpoints_type")
                .null("connected_endpoints_reachable");
        }
    }
}
