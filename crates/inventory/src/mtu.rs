//! The fabric MTU lint: a host's frames, with the overlay's bytes added, must fit through
//! every network node on its paths, or they are dropped (seed 000: 9000-byte frames over a
//! 9016-byte VXLAN fabric passed within one switch and vanished between two).

use std::cmp::Ordering;

use tocsin_model::inventory::{Fabric, NONE};
use tocsin_model::{Inventory, VertexId};

/// A host whose frames do not fit through a network node it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtuFinding {
    /// The host: a node with an MTU, not itself network, that requires a network node.
    pub host: VertexId,
    /// The host's MTU.
    pub host_mtu: u32,
    /// The network node with the smallest MTU on the host's paths (ties: the smallest id).
    pub network: VertexId,
    /// Its MTU, smaller than the host's MTU plus the fabric's overhead.
    pub network_mtu: u32,
}

impl MtuFinding {
    /// Bytes the fabric's network must carry for one of the host's full frames.
    pub fn frame(&self, fabric: Option<&Fabric>) -> u32 {
        self.host_mtu + fabric.map_or(0, Fabric::overhead)
    }

    /// The warning, such as `hv-07 mtu 9000 + vxlan/ipv4 50 + tag 4 = 9054 exceeds sw-a mtu
    /// 9016 (38 bytes short)`.
    pub fn message(&self, inventory: &Inventory) -> String {
        let fabric = inventory.fabric.as_ref();
        let frame = self.frame(fabric);
        let host = inventory.graph.name(self.host);
        let mut sum = format!("{host} mtu {}", self.host_mtu);
        if let Some(f) = fabric {
            sum += &format!(
                " + {}/{} {}",
                f.encapsulation.name(),
                f.underlay.name(),
                f.encapsulation_bytes()
            );
            if f.inner_vlan_tag {
                sum += &format!(" + tag {}", f.tag_bytes());
            }
            sum += &format!(" = {frame}");
        }
        format!(
            "{sum} exceeds {} mtu {} ({} bytes short)",
            inventory.graph.name(self.network),
            self.network_mtu,
            frame - self.network_mtu
        )
    }
}

/// The smallest MTU met on some paths and the network node that has it; [`NO_MTU`] when no
/// node on them declares one.
type Narrowest = (u32, VertexId);

const NO_MTU: Narrowest = (u32::MAX, NONE);

/// Judges every host of `inventory`, in vertex order. Each network node's narrowest point
/// below it is computed once, members first, so the cost is linear in the graph's size.
pub fn lint(inventory: &Inventory) -> Vec<MtuFinding> {
    if inventory.mtus.is_empty() {
        return Vec::new();
    }
    let graph = &inventory.graph;
    let fabric = inventory.fabric.as_ref();
    let mut network_kind = vec![false; inventory.kinds.len()];
    let mut mark = |kind: &str| {
        if let Some(k) = inventory.kinds.find(kind) {
            network_kind[k as usize] = true;
        }
    };
    match fabric {
        Some(f) => f.network_kinds.iter().for_each(|k| mark(k)),
        None => Fabric::DEFAULT_NETWORK_KINDS.iter().for_each(|k| mark(k)),
    }
    let is_network = |v: VertexId| {
        inventory.vertex_service[v as usize] == NONE
            && network_kind[inventory.vertex_kind[v as usize] as usize]
    };
    let narrower = |a: Narrowest, b: Narrowest| match a.0.cmp(&b.0) {
        Ordering::Less => a,
        Ordering::Greater => b,
        Ordering::Equal if a.1 == NONE => b,
        Ordering::Equal if b.1 == NONE => a,
        Ordering::Equal if graph.name(b.1) < graph.name(a.1) => b,
        Ordering::Equal => a,
    };
    let network_members = |v: VertexId| {
        graph
            .groups(v)
            .flat_map(|g| graph.members(g).iter().copied())
            .filter(|&m| is_network(m))
    };
    let mut below = vec![NO_MTU; graph.vertex_count()];
    for &v in graph.topological_order() {
        if !is_network(v) {
            continue;
        }
        let own = inventory.mtu_of(v).map_or(NO_MTU, |mtu| (mtu, v));
        below[v as usize] = network_members(v).fold(own, |n, m| narrower(n, below[m as usize]));
    }
    let mut findings = Vec::new();
    for &(host, host_mtu) in &inventory.mtus {
        if inventory.vertex_service[host as usize] != NONE || is_network(host) {
            continue;
        }
        let (network_mtu, network) =
            network_members(host).fold(NO_MTU, |n, m| narrower(n, below[m as usize]));
        let finding = MtuFinding {
            host,
            host_mtu,
            network,
            network_mtu,
        };
        if network != NONE && network_mtu < finding.frame(fabric) {
            findings.push(finding);
        }
    }
    findings
}

#[cfg(test)]
mod tests;
