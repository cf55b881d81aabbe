//! The seeded generator of a provider's data centres as NetBox records: sites with a spine
//! rack each and racks of leaves, PDUs, a patch panel and hosts; A/B power feeds; hosts
//! cabled to their leaves (some through patch panels) with a few single points of failure
//! planted; clusters, virtual machines and tenants with contacts.

mod plan;
mod tenancy;

use std::collections::HashMap;

use plan::{plan, HostPlan};

use super::model::{
    id_of, CableKind, Cluster, Device, End, FrontPort, IfKind, PowerFeed, PowerOutlet, PowerPanel,
    Provider, Rack, RearPort, Role, Site, Vm,
};

/// The size of the answer set.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape {
    pub(super) devices: usize,
    pub(super) cables: usize,
    pub(super) seed: u64,
}

/// Hosts in a full rack.
const HOSTS_PER_RACK: usize = 16;
/// Every fifth rack of a site has no leaves: its hosts reach the previous rack's leaves
/// through the two racks' patch panels.
const PATCHED_EVERY: usize = 5;
/// The smallest answer set that has a site with a spine rack and a full rack.
const MIN_DEVICES: usize = 30;
const SITES: [(&str, &str); 8] = [
    ("Amsterdam 1", "ams1"),
    ("Frankfurt 1", "fra1"),
    ("Prague 1", "prg1"),
    ("Warsaw 1", "waw1"),
    ("Paris 1", "par1"),
    ("Vienna 1", "vie1"),
    ("Milan 1", "mil1"),
    ("Madrid 1", "mad1"),
];

/// What a created rack holds that later racks and hosts need.
#[derive(Clone, Copy, Default)]
struct RackDevices {
    leaves: [u32; 2],
    pdus: [u32; 2],
    pdu_inputs: [u32; 2],
    rear_port: u32,
}

/// Builds the provider of `shape`, or says why that size cannot be built.
pub(super) fn generate(shape: &Shape) -> Result<Provider, String> {
    if shape.devices < MIN_DEVICES {
        return Err(format!(
            "--devices {}: at least {MIN_DEVICES} are needed",
            shape.devices
        ));
    }
    let mut rng = fastrand::Rng::with_seed(shape.seed);
    let sites = (shape.devices / 2500).clamp(1, SITES.len());
    let spines = if shape.devices >= 2000 { 4 } else { 2 };
    let plans = plan(shape, sites, spines, &mut rng)?;
    let mut g = Builder {
        p: Provider::default(),
        rng,
        ports: HashMap::new(),
        leaf_mtu: HashMap::new(),
        leaves_made: 0,
        clusters: vec![(0, 0); sites],
    };
    g.tenants(shape.devices.div_ceil(20).max(3));
    let mut spine_ids = Vec::with_capacity(sites);
    for (name, slug) in SITES.iter().take(sites) {
        g.p.sites.push(Site {
            name: (*name).to_owned(),
            slug: (*slug).to_owned(),
        });
        let site = id_of(g.p.sites.len() - 1);
        for side in ["A", "B"] {
            g.p.power_panels.push(PowerPanel {
                site,
                name: format!("{slug}-panel-{side}"),
            });
        }
        spine_ids.push(g.spine_rack(site, spines));
    }
    let mut made: Vec<RackDevices> = Vec::with_capacity(plans.len());
    for (r, plan) in plans.iter().enumerate() {
        let site = id_of(plan.site);
        let rack = g.rack(
            site,
            format!("{}-r{:03}", SITES[plan.site].1, r / sites + 1),
        );
        let devices = g.rack_devices(site, rack, plan.neighbour.is_none(), &spine_ids[plan.site]);
        let upstream = match plan.neighbour {
            Some(n) => made[n],
            None => devices,
        };
        let mut position = 0;
        for (n, host) in plan.hosts.iter().enumerate() {
            let patch = plan
                .neighbour
                .map(|_| (devices.rear_port, upstream.rear_port));
            g.host(
                site,
                rack,
                n + 1,
                host,
                &devices,
                &upstream,
                patch,
                &mut position,
            );
        }
        g.spare_outlets(&devices);
        made.push(devices);
    }
    g.finish();
    Ok(g.p)
}

struct Builder {
    p: Provider,
    rng: fastrand::Rng,
    /// The next free port number of each switch and patch panel.
    ports: HashMap<u32, u32>,
    leaf_mtu: HashMap<u32, u32>,
    leaves_made: usize,
    /// Each site's current cluster and how many hypervisors it has.
    clusters: Vec<(u32, usize)>,
}

impl Builder {
    fn next_port(&mut self, device: u32) -> u32 {
        let n = self.ports.entry(device).or_insert(0);
        *n += 1;
        *n - 1
    }

    fn rack(&mut self, site: u32, name: String) -> u32 {
        self.p.racks.push(Rack { name, site });
        id_of(self.p.racks.len() - 1)
    }

    fn device(&mut self, name: String, role: Role, site: u32, rack: u32) -> u32 {
        self.p.devices.push(Device {
            name,
            role,
            site,
            rack,
            tenant: None,
            cluster: None,
        });
        id_of(self.p.devices.len() - 1)
    }

    /// The out-of-band management port every active device has, never cabled here.
    fn mgmt(&mut self, device: u32) {
        let i = self
            .p
            .add_interface(device, "mgmt0".to_owned(), IfKind::Copper1g);
        self.p.interfaces[i as usize - 1].mgmt_only = true;
    }

    fn switch_port(&mut self, switch: u32, mtu: u32) -> u32 {
        let n = self.next_port(switch);
        let i = self
            .p
            .add_interface(switch, format!("et-0/0/{n}"), IfKind::Qsfp28);
        self.p.interfaces[i as usize - 1].mtu = Some(mtu);
        i
    }

    /// Two feeds (A from panel A, B from panel B) and two PDUs whose inputs they feed.
    fn power(&mut self, site: u32, rack: u32, rack_name: &str) -> ([u32; 2], [u32; 2]) {
        let mut pdus = [0; 2];
        let mut inputs = [0; 2];
        for (k, side) in ["a", "b"].into_iter().enumerate() {
            let panel = (site - 1) * 2 + k as u32 + 1;
            self.p.power_feeds.push(PowerFeed {
                panel,
                rack,
                name: format!("{rack_name}-feed-{side}"),
                link: None,
            });
            let feed = id_of(self.p.power_feeds.len() - 1);
            pdus[k] = self.device(format!("{rack_name}-pdu-{side}"), Role::Pdu, site, rack);
            self.mgmt(pdus[k]);
            inputs[k] = self.p.add_power_port(pdus[k], "Input");
            self.p.connect(
                End::PowerPort(inputs[k]),
                End::PowerFeed(feed),
                CableKind::Power,
            );
        }
        (pdus, inputs)
    }

    fn outlet(&mut self, pdu: u32, input: u32) -> u32 {
        let n = self.next_port(pdu) + 1;
        self.p.power_outlets.push(PowerOutlet {
            device: pdu,
            name: format!("Outlet {n}"),
            input,
            link: None,
        });
        id_of(self.p.power_outlets.len() - 1)
    }

    /// Two PSUs, on PDUs A and B, or both on one PDU when `single`.
    fn psus(&mut self, device: u32, rack: &RackDevices, single: bool) {
        let side = usize::from(single && self.rng.bool());
        for k in 0..2 {
            let pdu = if single { side } else { k };
            let psu = self.p.add_power_port(device, &format!("PSU{}", k + 1));
            let outlet = self.outlet(rack.pdus[pdu], rack.pdu_inputs[pdu]);
            self.p.connect(
                End::PowerPort(psu),
                End::PowerOutlet(outlet),
                CableKind::Power,
            );
        }
    }

    fn spine_rack(&mut self, site: u32, spines: usize) -> Vec<u32> {
        let slug = self.p.sites[site as usize - 1].slug.clone();
        let name = format!("{slug}-net");
        let rack = self.rack(site, name.clone());
        let (pdus, pdu_inputs) = self.power(site, rack, &name);
        let devices = RackDevices {
            pdus,
            pdu_inputs,
            ..RackDevices::default()
        };
        let ids: Vec<u32> = (1..=spines)
            .map(|n| {
                let spine = self.device(format!("{slug}-spine{n}"), Role::Spine, site, rack);
                self.mgmt(spine);
                self.p
                    .add_interface(spine, "lo0".to_owned(), IfKind::Virtual);
                self.psus(spine, &devices, false);
                spine
            })
            .collect();
        self.spare_outlets(&devices);
        ids
    }

    /// A rack's PDUs, patch panel and (unless it is patched) two leaves cabled to the spines.
    fn rack_devices(&mut self, site: u32, rack: u32, leaves: bool, spines: &[u32]) -> RackDevices {
        let name = self.p.racks[rack as usize - 1].name.clone();
        let (pdus, pdu_inputs) = self.power(site, rack, &name);
        let panel = self.device(format!("{name}-pp"), Role::PatchPanel, site, rack);
        self.p.rear_ports.push(RearPort {
            device: panel,
            positions: 0,
            link: None,
        });
        let mut d = RackDevices {
            leaves: [0; 2],
            pdus,
            pdu_inputs,
            rear_port: id_of(self.p.rear_ports.len() - 1),
        };
        if !leaves {
            return d;
        }
        for k in 0..2 {
            let leaf = self.device(format!("{name}-leaf{}", k + 1), Role::Leaf, site, rack);
            // A few leaves carry a lower MTU than the fabric's, for the MTU lint to find.
            let mtu = if self.leaves_made % 40 == 7 {
                9016
            } else {
                9216
            };
            self.leaves_made += 1;
            self.leaf_mtu.insert(leaf, mtu);
            self.mgmt(leaf);
            self.p
                .add_interface(leaf, "lo0".to_owned(), IfKind::Virtual);
            self.ports.insert(leaf, 0);
            for (s, &spine) in spines.iter().enumerate() {
                let up = self
                    .p
                    .add_interface(leaf, format!("et-0/1/{s}"), IfKind::Qsfp28);
                self.p.interfaces[up as usize - 1].mtu = Some(mtu);
                let down = self.switch_port(spine, 9216);
                self.p
                    .connect(End::Interface(up), End::Interface(down), CableKind::Smf);
                self.p.interfaces[up as usize - 1].far = Some(down);
                self.p.interfaces[down as usize - 1].far = Some(up);
            }
            self.psus(leaf, &d, false);
            d.leaves[k] = leaf;
        }
        d
    }

    /// A host in `rack`, powered from `rack`'s PDUs and cabled to `upstream`'s leaves,
    /// through the panels' rear ports `patch` (this rack's, the leaves' rack's) when given.
    #[allow(clippy::too_many_arguments)]
    fn host(
        &mut self,
        site: u32,
        rack: u32,
        n: usize,
        plan: &HostPlan,
        devices: &RackDevices,
        upstream: &RackDevices,
        patch: Option<(u32, u32)>,
        position: &mut u32,
    ) {
        let rack_name = self.p.racks[rack as usize - 1].name.clone();
        let abbr = if plan.role == Role::Hypervisor {
            "hv"
        } else {
            "srv"
        };
        let host = self.device(format!("{rack_name}-{abbr}{n:02}"), plan.role, site, rack);
        let mtu = (plan.role == Role::Hypervisor || self.rng.bool()).then_some(9000);
        let data: Vec<u32> = (0..plan.links)
            .map(|k| {
                let i = self.p.add_interface(host, format!("eth{k}"), IfKind::Sfp28);
                self.p.interfaces[i as usize - 1].mtu = mtu;
                i
            })
            .collect();
        if self.rng.f64() < 0.3 {
            let bond = self.p.add_interface(host, "bond0".to_owned(), IfKind::Lag);
            self.p.interfaces[bond as usize - 1].mtu = mtu;
            for &i in &data {
                self.p.interfaces[i as usize - 1].lag = Some(bond);
            }
        }
        self.mgmt(host);
        let single_leaf = self.rng.f64() < 0.05;
        let leaf_side = self.rng.usize(0..2);
        if single_leaf {
            let name = self.p.devices[host as usize - 1].name.clone();
            self.p.planted_single_leaf.push(name);
        }
        for (k, &i) in data.iter().enumerate() {
            let leaf = upstream.leaves[if single_leaf { leaf_side } else { k % 2 }];
            let mtu = self.leaf_mtu.get(&leaf).copied().unwrap_or(9216);
            let port = self.switch_port(leaf, mtu);
            self.p.interfaces[port as usize - 1].kind = IfKind::Sfp28;
            match patch {
                None => {
                    self.p
                        .connect(End::Interface(i), End::Interface(port), CableKind::Dac);
                }
                Some((near, far)) => {
                    if *position == 0 {
                        self.p
                            .connect(End::RearPort(near), End::RearPort(far), CableKind::Mmf);
                    }
                    *position += 1;
                    let near_front = self.front_port(near, *position);
                    let far_front = self.front_port(far, *position);
                    self.p.connect(
                        End::Interface(i),
                        End::FrontPort(near_front),
                        CableKind::Mmf,
                    );
                    self.p.connect(
                        End::FrontPort(far_front),
                        End::Interface(port),
                        CableKind::Mmf,
                    );
                }
            }
            self.p.interfaces[i as usize - 1].far = Some(port);
            self.p.interfaces[port as usize - 1].far = Some(i);
        }
        let single_pdu = self.rng.f64() < 0.05;
        if single_pdu {
            let name = self.p.devices[host as usize - 1].name.clone();
            self.p.planted_single_pdu.push(name);
        }
        self.psus(host, devices, single_pdu);
        if plan.role == Role::Hypervisor {
            self.cluster(site, host);
        } else if self.rng.bool() {
            // A dedicated server rented to one customer.
            let t = self.rng.usize(0..self.p.tenants.len());
            self.p.devices[host as usize - 1].tenant = Some(id_of(t));
        }
    }

    fn front_port(&mut self, rear: u32, position: u32) -> u32 {
        let panel = self.p.rear_ports[rear as usize - 1].device;
        self.p.front_ports.push(FrontPort {
            device: panel,
            name: format!("Front {position}"),
            rear_port: rear,
            position,
            link: None,
        });
        id_of(self.p.front_ports.len() - 1)
    }

    /// Puts a hypervisor in its site's current cluster (eight hosts each) with three VMs.
    fn cluster(&mut self, site: u32, host: u32) {
        let s = site as usize - 1;
        if self.clusters[s].0 == 0 || self.clusters[s].1 == 8 {
            let name = format!(
                "{}-cl{:02}",
                self.p.sites[s].slug,
                self.p.clusters.len() + 1
            );
            self.p.clusters.push(Cluster { name, site });
            self.clusters[s] = (id_of(self.p.clusters.len() - 1), 0);
        }
        let (cluster, members) = self.clusters[s];
        self.clusters[s].1 = members + 1;
        self.p.devices[host as usize - 1].cluster = Some(cluster);
        for _ in 0..3 {
            let id = self.p.vms.len() + 1;
            let tenant =
                (self.rng.f64() < 0.9).then(|| id_of(self.rng.usize(0..self.p.tenants.len())));
            self.p.vms.push(Vm {
                name: format!("vm{id:05}.{}", self.p.sites[s].slug),
                cluster,
                device: (self.rng.f64() < 0.15).then_some(host),
                tenant,
            });
        }
    }

    fn spare_outlets(&mut self, rack: &RackDevices) {
        for k in 0..2 {
            for _ in 0..2 {
                self.outlet(rack.pdus[k], rack.pdu_inputs[k]);
            }
        }
    }
}
