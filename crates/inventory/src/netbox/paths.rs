//! Redundancy from cabling: which upstreams feed a device's power ports and which network
//! devices its interfaces reach (where NetBox's cable trace ends, through patch panels), and
//! the MTU of its cabled interfaces.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::map::{device_name, Mapped, NodeIds, Requirement};
use super::types::{Answers, Interface};
use super::{Options, Warning};

/// Adds power and network requirements and MTUs to the device nodes of `out`.
pub(crate) fn derive(answers: &Answers, options: &Options, ids: &NodeIds, out: &mut Mapped) {
    let names: HashMap<u64, String> = answers
        .devices
        .iter()
        .map(|d| (d.id, device_name(d)))
        .collect();
    let shown = |device: u64| names.get(&device).map_or("?", String::as_str).to_owned();

    // Power: a port's path ends at a PDU's outlet (its device is the upstream) or at a feed.
    let mut power: HashMap<u64, BTreeSet<String>> = HashMap::new();
    let mut feeds_power: HashSet<u64> = HashSet::new();
    for port in &answers.power_ports {
        let device = port.device.id;
        let ends = port.connected_endpoints.as_deref().unwrap_or_default();
        let upstream: Vec<String> = match port.connected_endpoints_type.as_deref() {
            Some("dcim.poweroutlet") => ends
                .iter()
                .filter_map(|e| {
                    let d = e.device.as_ref()?.id;
                    match ids.devices.get(&d) {
                        Some(&n) => {
                            feeds_power.insert(d);
                            Some(out.nodes[n].id.clone())
                        }
                        None => {
                            out.warnings.push(Warning::new(
                                "dcim.powerport",
                                port.id,
                                format!(
                                    "{}: powered from device {d}, which NetBox did not list",
                                    shown(device)
                                ),
                            ));
                            None
                        }
                    }
                })
                .collect(),
            Some("dcim.powerfeed") => ends
                .iter()
                .filter_map(|e| match ids.feeds.get(&e.id) {
                    Some(&n) => Some(out.nodes[n].id.clone()),
                    None => {
                        out.warnings.push(Warning::new(
                            "dcim.powerport",
                            port.id,
                            format!(
                                "{}: fed by power feed {}, which NetBox did not list",
                                shown(device),
                                e.id
                            ),
                        ));
                        None
                    }
                })
                .collect(),
            other => {
                if port.cable.is_some() {
                    out.warnings.push(Warning::new(
                        "dcim.powerport",
                        port.id,
                        format!(
                            "{}: its cable leads to {}, not to a power outlet or feed",
                            shown(device),
                            other.unwrap_or("no complete path")
                        ),
                    ));
                }
                Vec::new()
            }
        };
        let me = ids.devices.get(&device).map(|&n| out.nodes[n].id.clone());
        power
            .entry(device)
            .or_default()
            .extend(upstream.into_iter().filter(|u| Some(u) != me.as_ref()));
    }

    // Network: interfaces of a LAG count as their parent's, whose MTU they share.
    let network: HashSet<u64> = answers
        .devices
        .iter()
        .filter(|d| {
            d.role
                .as_ref()
                .and_then(|r| r.slug.as_deref())
                .is_some_and(|s| options.network_roles.iter().any(|n| n == s))
        })
        .map(|d| d.id)
        .collect();
    let lag_mtu: HashMap<u64, Option<u32>> = answers
        .interfaces
        .iter()
        .filter(|i| i.kind.as_ref().is_some_and(|k| k.value == "lag"))
        .map(|i| (i.id, i.mtu))
        .collect();
    let mut uplinks: HashMap<u64, BTreeSet<String>> = HashMap::new();
    let mut mtu: HashMap<u64, u32> = HashMap::new();
    for i in answers.interfaces.iter().filter(|i| cabled(i)) {
        let device = i.device.id;
        let parent = i
            .lag
            .as_ref()
            .and_then(|l| lag_mtu.get(&l.id).copied().flatten());
        if let Some(m) = i.mtu.into_iter().chain(parent).max() {
            let e = mtu.entry(device).or_insert(m);
            *e = (*e).max(m);
        }
        // The network needs nothing of the network, and power gear delivers power without
        // it: a PDU's management port on a switch that PDU powers would make a cycle.
        if !i.enabled || i.mgmt_only || network.contains(&device) || feeds_power.contains(&device) {
            continue;
        }
        let ends = i.connected_endpoints.as_deref().unwrap_or_default();
        match i.connected_endpoints_type.as_deref() {
            Some("dcim.interface") => {
                for e in ends {
                    let Some(d) = e.device.as_ref().map(|d| d.id) else {
                        continue;
                    };
                    if !network.contains(&d) {
                        continue;
                    }
                    match ids.devices.get(&d) {
                        Some(&n) => {
                            uplinks
                                .entry(device)
                                .or_default()
                                .insert(out.nodes[n].id.clone());
                        }
                        None => out.warnings.push(Warning::new(
                            "dcim.interface",
                            i.id,
                            format!(
                                "{}: cabled to device {d}, which NetBox did not list",
                                shown(device)
                            ),
                        )),
                    }
                }
            }
            other => out.warnings.push(Warning::new(
                "dcim.interface",
                i.id,
                format!(
                    "{}: its cable path ends at {}, not at a device's interface",
                    shown(device),
                    match (other, i.connected_endpoints_reachable) {
                        (Some(t), Some(true)) => t,
                        _ => "no reachable end",
                    }
                ),
            )),
        }
    }

    for d in &answers.devices {
        let Some(&n) = ids.devices.get(&d.id) else {
            continue;
        };
        let node = &mut out.nodes[n];
        node.mtu = mtu.get(&d.id).copied();
        if let Some(r) = power.remove(&d.id).and_then(Requirement::on) {
            node.requires.push(r);
        }
        if let Some(r) = uplinks.remove(&d.id).and_then(Requirement::on) {
            node.requires.push(r);
        }
    }
}

/// Whether an interface carries a cable (or its path was traced to somewhere).
fn cabled(i: &Interface) -> bool {
    i.cable.is_some()
        || i.connected_endpoints
            .as_ref()
            .is_some_and(|e| !e.is_empty())
}
