//! Sites, clusters, virtual machines and their interfaces, tenants, contacts, contact roles
//! and contact assignments as NetBox renders them.

use super::super::answers::{Endpoint, KindFilter};
use super::super::model::{at, id_of, Assigned, Provider, CONTACT_ROLES};
use super::{brief, brief_slug, head, stamp};

fn tenant_field(o: &mut super::Obj, p: &Provider, tenant: Option<u32>) {
    match tenant {
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
}

pub(super) fn sites(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/dcim/sites/", false, KindFilter::None);
    for (n, s) in p.sites.iter().enumerate() {
        let id = id_of(n);
        let devices = p.devices.iter().filter(|d| d.site == id).count();
        let racks = p.racks.iter().filter(|r| r.site == id).count();
        e.push(false, "", |o| {
            head(o, "dcim/sites", id, &s.name);
            o.str("name", &s.name)
                .str("slug", &s.slug)
                .choice("status", "active", "Active")
                .null("region")
                .null("group")
                .null("tenant")
                .str("facility", "")
                .str("time_zone", "Europe/Prague")
                .str("description", "")
                .str("physical_address", "")
                .str("shipping_address", "")
                .null("latitude")
                .null("longitude")
                .str("comments", "")
                .raw("asns", "[]");
            stamp(o, id);
            o.int("circuit_count", 0)
                .int("device_count", devices as i64)
                .int("prefix_count", 0)
                .int("rack_count", racks as i64)
                .int("virtualmachine_count", 0)
                .int("vlan_count", 0);
        });
    }
    e
}

pub(super) fn clusters(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/virtualization/clusters/", false, KindFilter::None);
    let mut hosts = vec![0i64; p.clusters.len() + 1];
    for cl in p.devices.iter().filter_map(|d| d.cluster) {
        hosts[cl as usize] += 1;
    }
    let mut vms = vec![0i64; p.clusters.len() + 1];
    for vm in &p.vms {
        vms[vm.cluster as usize] += 1;
    }
    for (n, c) in p.clusters.iter().enumerate() {
        let id = id_of(n);
        let site = at(&p.sites, c.site);
        e.push(false, "", |o| {
            head(o, "virtualization/clusters", id, &c.name);
            o.str("name", &c.name);
            brief_slug(
                o,
                "type",
                "virtualization/cluster-types",
                1,
                "Proxmox VE",
                "proxmox-ve",
            );
            o.null("group")
                .choice("status", "active", "Active")
                .null("tenant")
                .str("scope_type", "dcim.site")
                .int("scope_id", i64::from(c.site));
            brief_slug(o, "scope", "dcim/sites", c.site, &site.name, &site.slug);
            o.str("description", "").str("comments", "");
            stamp(o, id);
            o.int("device_count", hosts[id as usize])
                .int("virtualmachine_count", vms[id as usize])
                .null("allocated_vcpus")
                .null("allocated_memory")
                .null("allocated_disk");
        });
    }
    e
}

pub(super) fn vms(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new(
        "/api/virtualization/virtual-machines/",
        false,
        KindFilter::None,
    );
    for (n, vm) in p.vms.iter().enumerate() {
        let id = id_of(n);
        let cluster = at(&p.clusters, vm.cluster);
        let site = at(&p.sites, cluster.site);
        e.push(false, "", |o| {
            head(o, "virtualization/virtual-machines", id, &vm.name);
            o.str("name", &vm.name).choice("status", "active", "Active");
            brief_slug(
                o,
                "site",
                "dcim/sites",
                cluster.site,
                &site.name,
                &site.slug,
            );
            brief(
                o,
                "cluster",
                "virtualization/clusters",
                vm.cluster,
                &cluster.name,
            );
            match vm.device {
                Some(d) => brief(o, "device", "dcim/devices", d, &at(&p.devices, d).name),
                None => {
                    o.null("device");
                }
            }
            o.str("serial", "").null("role");
            tenant_field(o, p, vm.tenant);
            o.null("platform")
                .null("primary_ip")
                .null("primary_ip4")
                .null("primary_ip6")
                .raw("vcpus", &format!("{}.00", 2 << (id % 3)))
                .int("memory", 4096 << (id % 3))
                .int("disk", 80 << (id % 3))
                .str("description", "")
                .str("comments", "")
                .null("config_template")
                .null("local_context_data")
                .raw("tags", "[]")
                .raw("custom_fields", "{}")
                .raw("config_context", "{}")
                .str("created", "2024-11-04T00:00:00Z")
                .str("last_updated", &super::updated(id))
                .int("interface_count", 1)
                .int("virtual_disk_count", 0);
        });
    }
    e
}

/// One interface per virtual machine, with the machine's id.
pub(super) fn vm_interfaces(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/virtualization/interfaces/", false, KindFilter::None);
    for (n, vm) in p.vms.iter().enumerate() {
        let id = id_of(n);
        e.push(false, "", |o| {
            head(o, "virtualization/interfaces", id, "eth0");
            brief(
                o,
                "virtual_machine",
                "virtualization/virtual-machines",
                id,
                &vm.name,
            );
            o.str("name", "eth0")
                .bool("enabled", true)
                .null("parent")
                .null("bridge")
                .null("mtu")
                .null("mac_address")
                .null("primary_mac_address")
                .raw("mac_addresses", "[]")
                .str("description", "")
                .null("mode")
                .null("untagged_vlan")
                .raw("tagged_vlans", "[]")
                .null("qinq_svlan")
                .null("vlan_translation_policy")
                .null("vrf")
                .null("l2vpn_termination");
            stamp(o, id);
            o.int("count_ipaddresses", 0).int("count_fhrp_groups", 0);
        });
    }
    e
}

pub(super) fn tenants(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/tenancy/tenants/", false, KindFilter::None);
    let mut devices = vec![0i64; p.tenants.len() + 1];
    for t in p.devices.iter().filter_map(|d| d.tenant) {
        devices[t as usize] += 1;
    }
    let mut vms = vec![0i64; p.tenants.len() + 1];
    for t in p.vms.iter().filter_map(|v| v.tenant) {
        vms[t as usize] += 1;
    }
    for (n, t) in p.tenants.iter().enumerate() {
        let id = id_of(n);
        e.push(false, "", |o| {
            head(o, "tenancy/tenants", id, &t.name);
            o.str("name", &t.name)
                .str("slug", &t.slug)
                .null("group")
                .str("description", "")
                .str("comments", "")
                .raw("tags", "[]")
                .raw("custom_fields", &format!("{{\"cust_id\":\"C{id:05}\"}}"))
                .str("created", "2024-11-04T00:00:00Z")
                .str("last_updated", &super::updated(id));
            o.int("circuit_count", 0)
                .int("device_count", devices[id as usize])
                .int("ipaddress_count", 0)
                .int("prefix_count", 0)
                .int("rack_count", 0)
                .int("site_count", 0)
                .int("virtualmachine_count", vms[id as usize])
                .int("vlan_count", 0)
                .int("vrf_count", 0)
                .int("cluster_count", 0);
        });
    }
    e
}

pub(super) fn contacts(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new("/api/tenancy/contacts/", false, KindFilter::None);
    for (n, c) in p.contacts.iter().enumerate() {
        let id = id_of(n);
        e.push(false, "", |o| {
            head(o, "tenancy/contacts", id, &c.name);
            o.null("group")
                .str("name", &c.name)
                .str("title", "")
                .str(
                    "phone",
                    &format!("+420 555 {:03} {:03}", id / 1000 % 1000, id % 1000),
                )
                .str("email", &c.email)
                .str("address", "")
                .str("link", "")
                .str("description", "")
                .str("comments", "");
            stamp(o, id);
        });
    }
    e
}

pub(super) fn contact_roles() -> Endpoint {
    let mut e = Endpoint::new("/api/tenancy/contact-roles/", false, KindFilter::None);
    for (n, (name, slug)) in CONTACT_ROLES.iter().enumerate() {
        let id = id_of(n);
        e.push(false, "", |o| {
            head(o, "tenancy/contact-roles", id, name);
            o.str("name", name).str("slug", slug).str("description", "");
            stamp(o, id);
        });
    }
    e
}

pub(super) fn assignments(p: &Provider) -> Endpoint {
    let mut e = Endpoint::new(
        "/api/tenancy/contact-assignments/",
        false,
        KindFilter::ObjectType,
    );
    for (n, a) in p.assignments.iter().enumerate() {
        let id = id_of(n);
        let contact = at(&p.contacts, a.contact);
        let (object_type, object_id, api, name, slug) = match a.object {
            Assigned::Tenant(t) => {
                let t2 = at(&p.tenants, t);
                ("tenancy.tenant", t, "tenancy/tenants", &t2.name, &t2.slug)
            }
            Assigned::Site(s) => {
                let s2 = at(&p.sites, s);
                ("dcim.site", s, "dcim/sites", &s2.name, &s2.slug)
            }
        };
        let (role_name, role_slug) = CONTACT_ROLES[a.role as usize - 1];
        let priority = if a.primary {
            ("primary", "Primary")
        } else {
            ("secondary", "Secondary")
        };
        e.push(false, object_type, |o| {
            // NetBox 4.2's assignments have no `display_url`.
            o.int("id", i64::from(id))
                .url(
                    "url",
                    format_args!("/api/tenancy/contact-assignments/{id}/"),
                )
                .str(
                    "display",
                    &format!("{} ({}) -> {name}", contact.name, priority.1),
                )
                .str("object_type", object_type)
                .int("object_id", i64::from(object_id));
            brief_slug(o, "object", api, object_id, name, slug);
            brief(o, "contact", "tenancy/contacts", a.contact, &contact.name);
            brief_slug(
                o,
                "role",
                "tenancy/contact-roles",
                a.role,
                role_name,
                role_slug,
            );
            o.choice("priority", priority.0, priority.1);
            stamp(o, id);
        });
    }
    e
}
