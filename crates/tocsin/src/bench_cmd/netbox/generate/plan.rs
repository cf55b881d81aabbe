//! Planning the racks before anything is created: the exact device count, and data links
//! per host chosen so that the cables come to the asked number.

use super::super::model::Role;
use super::{Shape, HOSTS_PER_RACK, PATCHED_EVERY};

/// One rack as planned before anything is created.
pub(super) struct RackPlan {
    pub(super) site: usize,
    /// The rack whose leaves this rack's hosts reach through patch panels.
    pub(super) neighbour: Option<usize>,
    pub(super) hosts: Vec<HostPlan>,
}

pub(super) struct HostPlan {
    pub(super) role: Role,
    /// Data links to leaves (2 to 4).
    pub(super) links: usize,
}

/// Racks and hosts for `shape`: the device count exactly, and data links per host chosen so
/// that the cables come to the asked number.
pub(super) fn plan(
    shape: &Shape,
    sites: usize,
    spines: usize,
    rng: &mut fastrand::Rng,
) -> Result<Vec<RackPlan>, String> {
    let spine_racks = sites * (spines + 2);
    let budget = shape.devices - spine_racks;
    let fixed = |racks: usize| -> usize {
        (0..racks)
            .map(|r| if patched(r, sites) { 3 } else { 5 })
            .sum()
    };
    let mut racks = budget.div_ceil(HOSTS_PER_RACK + 5).max(1);
    while racks > 1 && fixed(racks) + racks > budget {
        racks -= 1;
    }
    let hosts = budget.saturating_sub(fixed(racks));
    let mut plans: Vec<RackPlan> = (0..racks)
        .map(|r| RackPlan {
            site: r % sites,
            neighbour: patched(r, sites).then(|| r - sites),
            hosts: (0..hosts / racks + usize::from(r < hosts % racks))
                .map(|_| HostPlan {
                    role: if rng.f64() < 0.4 {
                        Role::Hypervisor
                    } else {
                        Role::Server
                    },
                    links: 2,
                })
                .collect(),
        })
        .collect();
    // Cables that do not depend on the hosts' data links.
    let leaves = plans.iter().filter(|p| p.neighbour.is_none()).count() * 2;
    let powered = sites * spines + leaves + hosts;
    let trunks = plans
        .iter()
        .filter(|p| p.neighbour.is_some() && !p.hosts.is_empty())
        .count();
    let cost = |p: &RackPlan| if p.neighbour.is_some() { 2 } else { 1 };
    let base_links: usize = plans.iter().map(|p| 2 * cost(p) * p.hosts.len()).sum();
    let fixed_cables = (racks + sites) * 2 + 2 * powered + leaves * spines + trunks + base_links;
    let max_cables = fixed_cables + base_links;
    if shape.cables < fixed_cables || shape.cables > max_cables + max_cables / 100 {
        return Err(format!(
            "--cables {} cannot be built with --devices {}: between {fixed_cables} and {max_cables}",
            shape.cables, shape.devices
        ));
    }
    let mut left = shape.cables - fixed_cables;
    let mut order: Vec<(usize, usize)> = plans
        .iter()
        .enumerate()
        .flat_map(|(r, p)| (0..p.hosts.len()).map(move |h| (r, h)))
        .collect();
    rng.shuffle(&mut order);
    for _ in 0..2 {
        for &(r, h) in &order {
            let c = cost(&plans[r]);
            if c <= left {
                plans[r].hosts[h].links += 1;
                left -= c;
            }
        }
    }
    Ok(plans)
}

pub(super) fn patched(rack: usize, sites: usize) -> bool {
    (rack / sites) % PATCHED_EVERY == PATCHED_EVERY - 1
}
