//! From NetBox's objects to inventory entries: devices, power feeds and virtual machines
//! become nodes, their cabling becomes requirements (`paths.rs`), tenants become customers
//! and every tenant's device and virtual machine a service.

use std::collections::{BTreeSet, HashMap};

use super::ids::Ids;
use super::paths;
use super::types::{Answers, Device, Ref};
use super::{Options, Warning};

/// One requirement group of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Requirement {
    /// This vertex must be up.
    One(String),
    /// At least one of these must be up.
    Any(Vec<String>),
    /// At least K of these must be up.
    AtLeast(u32, Vec<String>),
}

impl Requirement {
    /// The requirement on a set of upstreams: one plain id, or `any` of two or more.
    pub(crate) fn on(upstreams: BTreeSet<String>) -> Option<Requirement> {
        match upstreams.len() {
            0 => None,
            1 => upstreams.into_iter().next().map(Requirement::One),
            _ => Some(Requirement::Any(upstreams.into_iter().collect())),
        }
    }
}

/// A node of the inventory.
pub(crate) struct Node {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) site: Option<String>,
    pub(crate) mtu: Option<u32>,
    pub(crate) label: (&'static str, String),
    pub(crate) requires: Vec<Requirement>,
}

/// A customer.
pub(crate) struct Customer {
    pub(crate) id: String,
    pub(crate) name: String,
    /// E-mail and name of each contact.
    pub(crate) contacts: Vec<(String, String)>,
}

/// A service of a customer on one node.
pub(crate) struct Service {
    pub(crate) id: String,
    pub(crate) customer: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) requires: String,
}

/// What the import makes of NetBox, ready to be written.
#[derive(Default)]
pub(crate) struct Mapped {
    pub(crate) sites: Vec<(String, String)>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) customers: Vec<Customer>,
    pub(crate) services: Vec<Service>,
    pub(crate) warnings: Vec<Warning>,
}

/// The name NetBox shows for a device: its name, or for an unnamed one its display text.
pub(crate) fn device_name(d: &Device) -> String {
    d.name
        .clone()
        .or_else(|| d.display.clone())
        .unwrap_or_else(|| format!("device {}", d.id))
}

/// Node ids by NetBox id, for each kind of object that becomes a node.
pub(crate) struct NodeIds {
    pub(crate) devices: HashMap<u64, usize>,
    pub(crate) feeds: HashMap<u64, usize>,
}

/// Maps NetBox's answers to inventory entries.
pub(crate) fn map(answers: &Answers, options: &Options) -> Mapped {
    let mut out = Mapped::default();
    let mut site_ids = Ids::default();
    let mut sites: HashMap<u64, String> = HashMap::new();
    for s in &answers.sites {
        let id = site_ids.claim(&s.slug, s.id);
        sites.insert(s.id, id.clone());
        out.sites.push((id, s.name.clone()));
    }
    let site_of = |r: &Option<Ref>| r.as_ref().and_then(|r| sites.get(&r.id).cloned());

    let mut vertex_ids = Ids::default();
    let mut ids = NodeIds {
        devices: HashMap::new(),
        feeds: HashMap::new(),
    };
    for d in &answers.devices {
        let name = device_name(d);
        let id = vertex_ids.claim(&name, d.id);
        ids.devices.insert(d.id, out.nodes.len());
        let kind = d
            .role
            .as_ref()
            .and_then(|r| r.slug.clone())
            .unwrap_or_else(|| "device".into());
        out.nodes.push(Node {
            id,
            kind,
            site: site_of(&d.site),
            mtu: None,
            label: ("netbox_device", name),
            requires: Vec::new(),
        });
    }
    let panels: HashMap<u64, &super::types::PowerPanel> =
        answers.power_panels.iter().map(|p| (p.id, p)).collect();
    for f in &answers.power_feeds {
        let panel = f.power_panel.as_ref().and_then(|p| panels.get(&p.id));
        let shown = match panel {
            Some(panel) => format!("{}/{}", panel.name, f.name),
            None => f.name.clone(),
        };
        let id = vertex_ids.claim(&f.name, f.id);
        ids.feeds.insert(f.id, out.nodes.len());
        out.nodes.push(Node {
            id,
            kind: "power-feed".into(),
            site: panel.and_then(|p| site_of(&p.site)),
            mtu: None,
            label: ("netbox_power_feed", shown),
            requires: Vec::new(),
        });
    }

    paths::derive(answers, options, &ids, &mut out);

    let mut cluster_devices: HashMap<u64, Vec<String>> = HashMap::new();
    for d in &answers.devices {
        if let (Some(c), Some(&n)) = (&d.cluster, ids.devices.get(&d.id)) {
            cluster_devices
                .entry(c.id)
                .or_default()
                .push(out.nodes[n].id.clone());
        }
    }
    let cluster_name: HashMap<u64, &str> = answers
        .clusters
        .iter()
        .map(|c| (c.id, c.name.as_str()))
        .collect();
    let mut vm_nodes = Vec::with_capacity(answers.virtual_machines.len());
    for vm in &answers.virtual_machines {
        let id = vertex_ids.claim(&vm.name, vm.id);
        let mut requires = Vec::new();
        if let Some(device) = &vm.device {
            match ids.devices.get(&device.id) {
                Some(&n) => requires.push(Requirement::One(out.nodes[n].id.clone())),
                None => out.warnings.push(Warning::new(
                    "virtualization.virtualmachine",
                    vm.id,
                    format!(
                        "{}: placed on device {} which NetBox did not list; it requires nothing",
                        vm.name, device.id
                    ),
                )),
            }
        } else if let Some(cluster) = &vm.cluster {
            match cluster_devices.get(&cluster.id) {
                Some(devices) => {
                    let mut devices = devices.clone();
                    devices.sort();
                    requires.push(Requirement::AtLeast(1, devices));
                }
                None => out.warnings.push(Warning::new(
                    "virtualization.virtualmachine",
                    vm.id,
                    format!(
                        "{}: its cluster {} has no devices in NetBox; it requires nothing",
                        vm.name,
                        cluster_name
                            .get(&cluster.id)
                            .map_or_else(|| cluster.id.to_string(), |n| (*n).to_owned())
                    ),
                )),
            }
        } else {
            out.warnings.push(Warning::new(
                "virtualization.virtualmachine",
                vm.id,
                format!(
                    "{}: neither on a device nor in a cluster; it requires nothing",
                    vm.name
                ),
            ));
        }
        vm_nodes.push(out.nodes.len());
        out.nodes.push(Node {
            id,
            kind: "vm".into(),
            site: site_of(&vm.site),
            mtu: None,
            label: ("netbox_virtual_machine", vm.name.clone()),
            requires,
        });
    }

    customers(answers, &mut out);
    let tenants: HashMap<u64, String> = answers
        .tenants
        .iter()
        .zip(&out.customers)
        .map(|(t, c)| (t.id, c.id.clone()))
        .collect();
    let mut service = |object: &'static str,
                       netbox_id: u64,
                       tenant: &Option<Ref>,
                       node: usize,
                       kind: &str,
                       name: &str,
                       out: &mut Mapped| {
        let Some(tenant) = tenant else { return };
        let Some(customer) = tenants.get(&tenant.id) else {
            out.warnings.push(Warning::new(
                object,
                netbox_id,
                format!(
                    "{name}: its tenant {} is not in NetBox's tenant list; no service",
                    tenant.id
                ),
            ));
            return;
        };
        let node_id = out.nodes[node].id.clone();
        out.services.push(Service {
            id: vertex_ids.claim(&format!("svc-{node_id}"), netbox_id),
            customer: customer.clone(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            requires: node_id,
        });
    };
    for d in &answers.devices {
        if let Some(&n) = ids.devices.get(&d.id) {
            let kind = out.nodes[n].kind.clone();
            service(
                "dcim.device",
                d.id,
                &d.tenant,
                n,
                &kind,
                &device_name(d),
                &mut out,
            );
        }
    }
    for (vm, &n) in answers.virtual_machines.iter().zip(&vm_nodes) {
        service(
            "virtualization.virtualmachine",
            vm.id,
            &vm.tenant,
            n,
            "vm",
            &vm.name,
            &mut out,
        );
    }
    out
}

/// Tenants become customers, with the e-mail of every contact assigned to them.
fn customers(answers: &Answers, out: &mut Mapped) {
    let contacts: HashMap<u64, &super::types::Contact> =
        answers.contacts.iter().map(|c| (c.id, c)).collect();
    let mut assigned: HashMap<u64, Vec<u64>> = HashMap::new();
    for a in &answers.contact_assignments {
        if a.object_type == "tenancy.tenant" {
            assigned.entry(a.object_id).or_default().push(a.contact.id);
        }
    }
    let mut ids = Ids::default();
    for t in &answers.tenants {
        let mut list: Vec<(String, String)> = Vec::new();
        for c in assigned.get(&t.id).into_iter().flatten() {
            let Some(contact) = contacts.get(c) else {
                out.warnings.push(Warning::new(
                    "tenancy.contact",
                    *c,
                    format!(
                        "assigned to tenant {} but not in NetBox's contact list",
                        t.slug
                    ),
                ));
                continue;
            };
            match contact.email.as_deref().map(str::trim) {
                Some(email) if email.contains('@') => {
                    if !list.iter().any(|(e, _)| e == email) {
                        list.push((email.to_owned(), contact.name.clone()));
                    }
                }
                _ => out.warnings.push(Warning::new(
                    "tenancy.contact",
                    contact.id,
                    format!(
                        "{}: no e-mail address, so not a contact of customer {}",
                        contact.name, t.slug
                    ),
                )),
            }
        }
        out.customers.push(Customer {
            id: ids.claim(&t.slug, t.id),
            name: t.name.clone(),
            contacts: list,
        });
    }
}
