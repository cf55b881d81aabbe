//! The generated provider as NetBox holds it: typed records whose ids are their NetBox ids
//! (position + 1 in their list), before they are rendered as NetBox's JSON.

/// Device roles, with the slugs the importer's contract names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Role {
    Spine,
    Leaf,
    Server,
    Hypervisor,
    Pdu,
    PatchPanel,
}

impl Role {
    pub(super) const ALL: [Role; 6] = [
        Role::Spine,
        Role::Leaf,
        Role::Server,
        Role::Hypervisor,
        Role::Pdu,
        Role::PatchPanel,
    ];

    pub(super) fn id(self) -> u32 {
        self as u32 + 1
    }

    pub(super) fn slug(self) -> &'static str {
        match self {
            Role::Spine => "spine",
            Role::Leaf => "leaf",
            Role::Server => "server",
            Role::Hypervisor => "hypervisor",
            Role::Pdu => "pdu",
            Role::PatchPanel => "patch-panel",
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Role::Spine => "Spine",
            Role::Leaf => "Leaf",
            Role::Server => "Server",
            Role::Hypervisor => "Hypervisor",
            Role::Pdu => "PDU",
            Role::PatchPanel => "Patch Panel",
        }
    }

    /// Device type: (id, manufacturer, manufacturer slug, model, slug).
    pub(super) fn device_type(
        self,
    ) -> (u32, &'static str, &'static str, &'static str, &'static str) {
        match self {
            Role::Spine => (1, "Juniper", "juniper", "QFX5220-32CD", "qfx5220-32cd"),
            Role::Leaf => (2, "Juniper", "juniper", "QFX5120-48Y", "qfx5120-48y"),
            Role::Server => (3, "Dell", "dell", "PowerEdge R650", "poweredge-r650"),
            Role::Hypervisor => (4, "Dell", "dell", "PowerEdge R750", "poweredge-r750"),
            Role::Pdu => (5, "APC", "apc", "AP8959EU3", "ap8959eu3"),
            Role::PatchPanel => (6, "Panduit", "panduit", "FLEX-48LC", "flex-48lc"),
        }
    }
}

/// One end of a cable, by NetBox type and id.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum End {
    Interface(u32),
    FrontPort(u32),
    RearPort(u32),
    PowerPort(u32),
    PowerOutlet(u32),
    PowerFeed(u32),
}

impl End {
    /// NetBox's `app.model` of this end.
    pub(super) fn object_type(self) -> &'static str {
        match self {
            End::Interface(_) => "dcim.interface",
            End::FrontPort(_) => "dcim.frontport",
            End::RearPort(_) => "dcim.rearport",
            End::PowerPort(_) => "dcim.powerport",
            End::PowerOutlet(_) => "dcim.poweroutlet",
            End::PowerFeed(_) => "dcim.powerfeed",
        }
    }

    pub(super) fn id(self) -> u32 {
        match self {
            End::Interface(i)
            | End::FrontPort(i)
            | End::RearPort(i)
            | End::PowerPort(i)
            | End::PowerOutlet(i)
            | End::PowerFeed(i) => i,
        }
    }
}

/// A cabled end's side of its cable.
#[derive(Clone, Copy, Debug)]
pub(super) struct Link {
    pub(super) cable: u32,
    pub(super) peer: End,
    /// Whether this end is the cable's A side.
    pub(super) a_side: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum CableKind {
    Dac,
    Mmf,
    Smf,
    Power,
}

impl CableKind {
    /// NetBox's cable type value.
    pub(super) fn value(self) -> &'static str {
        match self {
            CableKind::Dac => "dac-passive",
            CableKind::Mmf => "mmf",
            CableKind::Smf => "smf",
            CableKind::Power => "power",
        }
    }
}

pub(super) struct Site {
    pub(super) name: String,
    pub(super) slug: String,
}

pub(super) struct Rack {
    pub(super) name: String,
    pub(super) site: u32,
}

pub(super) struct Device {
    pub(super) name: String,
    pub(super) role: Role,
    pub(super) site: u32,
    pub(super) rack: u32,
    pub(super) tenant: Option<u32>,
    pub(super) cluster: Option<u32>,
}

/// Interface types: (value, label).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum IfKind {
    Sfp28,
    Qsfp28,
    Copper1g,
    Lag,
    Virtual,
}

impl IfKind {
    pub(super) fn value(self) -> &'static str {
        match self {
            IfKind::Sfp28 => "25gbase-x-sfp28",
            IfKind::Qsfp28 => "100gbase-x-qsfp28",
            IfKind::Copper1g => "1000base-t",
            IfKind::Lag => "lag",
            IfKind::Virtual => "virtual",
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            IfKind::Sfp28 => "SFP28 (25GE)",
            IfKind::Qsfp28 => "QSFP28 (100GE)",
            IfKind::Copper1g => "1000BASE-T (1GE)",
            IfKind::Lag => "Link Aggregation Group (LAG)",
            IfKind::Virtual => "Virtual",
        }
    }
}

pub(super) struct Interface {
    pub(super) device: u32,
    pub(super) name: String,
    pub(super) kind: IfKind,
    pub(super) mtu: Option<u32>,
    pub(super) lag: Option<u32>,
    pub(super) mgmt_only: bool,
    pub(super) link: Option<Link>,
    /// The interface at the far end of the traced path (`connected_endpoints`).
    pub(super) far: Option<u32>,
}

pub(super) struct FrontPort {
    pub(super) device: u32,
    pub(super) name: String,
    pub(super) rear_port: u32,
    pub(super) position: u32,
    pub(super) link: Option<Link>,
}

pub(super) struct RearPort {
    pub(super) device: u32,
    pub(super) positions: u32,
    pub(super) link: Option<Link>,
}

pub(super) struct PowerPanel {
    pub(super) site: u32,
    pub(super) name: String,
}

pub(super) struct PowerFeed {
    pub(super) panel: u32,
    pub(super) rack: u32,
    pub(super) name: String,
    pub(super) link: Option<Link>,
}

pub(super) struct PowerPort {
    pub(super) device: u32,
    pub(super) name: String,
    pub(super) link: Option<Link>,
}

pub(super) struct PowerOutlet {
    pub(super) device: u32,
    pub(super) name: String,
    /// The PDU's own input power port.
    pub(super) input: u32,
    pub(super) link: Option<Link>,
}

pub(super) struct Cable {
    pub(super) a: End,
    pub(super) b: End,
    pub(super) kind: CableKind,
}

pub(super) struct Cluster {
    pub(super) name: String,
    pub(super) site: u32,
}

pub(super) struct Vm {
    pub(super) name: String,
    pub(super) cluster: u32,
    pub(super) device: Option<u32>,
    pub(super) tenant: Option<u32>,
}

pub(super) struct Tenant {
    pub(super) name: String,
    pub(super) slug: String,
}

pub(super) struct Contact {
    pub(super) name: String,
    pub(super) email: String,
}

/// What a contact is assigned to.
#[derive(Clone, Copy, Debug)]
pub(super) enum Assigned {
    Tenant(u32),
    Site(u32),
}

pub(super) struct Assignment {
    pub(super) contact: u32,
    pub(super) role: u32,
    pub(super) object: Assigned,
    pub(super) primary: bool,
}

/// Contact roles: (name, slug).
pub(super) const CONTACT_ROLES: [(&str, &str); 3] = [
    ("Technical", "technical"),
    ("Billing", "billing"),
    ("Administrative", "administrative"),
];

/// The whole answer set's records and the single points of failure planted in it.
#[derive(Default)]
pub(super) struct Provider {
    pub(super) sites: Vec<Site>,
    pub(super) racks: Vec<Rack>,
    pub(super) devices: Vec<Device>,
    pub(super) interfaces: Vec<Interface>,
    pub(super) front_ports: Vec<FrontPort>,
    pub(super) rear_ports: Vec<RearPort>,
    pub(super) power_panels: Vec<PowerPanel>,
    pub(super) power_feeds: Vec<PowerFeed>,
    pub(super) power_ports: Vec<PowerPort>,
    pub(super) power_outlets: Vec<PowerOutlet>,
    pub(super) cables: Vec<Cable>,
    pub(super) clusters: Vec<Cluster>,
    pub(super) vms: Vec<Vm>,
    pub(super) tenants: Vec<Tenant>,
    pub(super) contacts: Vec<Contact>,
    pub(super) assignments: Vec<Assignment>,
    /// Names of the hosts whose two PSUs are cabled to one PDU.
    pub(super) planted_single_pdu: Vec<String>,
    /// Names of the hosts whose uplinks all land on one leaf.
    pub(super) planted_single_leaf: Vec<String>,
}

/// The NetBox id of the `n`th record (0-based) of a list.
pub(super) fn id_of(n: usize) -> u32 {
    u32::try_from(n + 1).unwrap_or(u32::MAX)
}

/// The record of NetBox id `id` in `list`; ids come from the generator, so they are in range.
pub(super) fn at<T>(list: &[T], id: u32) -> &T {
    &list[id as usize - 1]
}

impl Provider {
    /// Joins `a` and `b` with a new cable and returns its id.
    pub(super) fn connect(&mut self, a: End, b: End, kind: CableKind) -> u32 {
        self.cables.push(Cable { a, b, kind });
        let cable = id_of(self.cables.len() - 1);
        self.set_link(
            a,
            Link {
                cable,
                peer: b,
                a_side: true,
            },
        );
        self.set_link(
            b,
            Link {
                cable,
                peer: a,
                a_side: false,
            },
        );
        cable
    }

    fn set_link(&mut self, end: End, link: Link) {
        let i = end.id() as usize - 1;
        let slot = match end {
            End::Interface(_) => &mut self.interfaces[i].link,
            End::FrontPort(_) => &mut self.front_ports[i].link,
            End::RearPort(_) => &mut self.rear_ports[i].link,
            End::PowerPort(_) => &mut self.power_ports[i].link,
            End::PowerOutlet(_) => &mut self.power_outlets[i].link,
            End::PowerFeed(_) => &mut self.power_feeds[i].link,
        };
        *slot = Some(link);
    }

    /// The device an end belongs to (a power feed belongs to none).
    pub(super) fn device_of(&self, end: End) -> Option<u32> {
        let id = end.id();
        match end {
            End::Interface(_) => Some(at(&self.interfaces, id).device),
            End::FrontPort(_) => Some(at(&self.front_ports, id).device),
            End::RearPort(_) => Some(at(&self.rear_ports, id).device),
            End::PowerPort(_) => Some(at(&self.power_ports, id).device),
            End::PowerOutlet(_) => Some(at(&self.power_outlets, id).device),
            End::PowerFeed(_) => None,
        }
    }

    pub(super) fn add_interface(&mut self, device: u32, name: String, kind: IfKind) -> u32 {
        self.interfaces.push(Interface {
            device,
            name,
            kind,
            mtu: None,
            lag: None,
            mgmt_only: false,
            link: None,
            far: None,
        });
        id_of(self.interfaces.len() - 1)
    }

    pub(super) fn add_power_port(&mut self, device: u32, name: &str) -> u32 {
        self.power_ports.push(PowerPort {
            device,
            name: name.to_owned(),
            link: None,
        });
        id_of(self.power_ports.len() - 1)
    }
}
