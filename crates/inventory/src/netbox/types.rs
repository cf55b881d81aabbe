//! NetBox 4.x REST answers, only the fields the importer reads; every other field of NetBox's
//! objects is ignored, so answers with more fields (newer NetBox, no `fields=`) parse alike.

use serde::Deserialize;

/// One page of a NetBox list: `{count, next, previous, results}`.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    /// How many objects the whole list holds.
    pub count: u64,
    /// The next page's URL, or `None` on the last page.
    pub next: Option<String>,
    /// This page's objects.
    pub results: Vec<T>,
}

/// A nested reference to another object, in NetBox's brief form.
#[derive(Debug, Clone, Deserialize)]
pub struct Ref {
    /// NetBox id.
    pub id: u64,
    /// Name, when the object has one (devices may have none).
    #[serde(default)]
    pub name: Option<String>,
    /// Slug, for objects that have one (sites, roles, tenants).
    #[serde(default)]
    pub slug: Option<String>,
    /// NetBox's display text.
    #[serde(default)]
    pub display: Option<String>,
}

/// A choice field: `{value, label}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Choice {
    /// The value NetBox filters by (`lag`, `active`…).
    pub value: String,
}

/// `GET /api/status/`.
#[derive(Debug, Deserialize)]
pub struct Status {
    /// The version NetBox reports, e.g. `4.2.9`.
    #[serde(rename = "netbox-version")]
    pub netbox_version: String,
}

/// `/api/dcim/sites/`.
#[derive(Debug, Deserialize)]
pub struct Site {
    /// NetBox id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
}

/// `/api/dcim/devices/`.
#[derive(Debug, Deserialize)]
pub struct Device {
    /// NetBox id.
    pub id: u64,
    /// Name; NetBox allows devices without one.
    #[serde(default)]
    pub name: Option<String>,
    /// NetBox's display text, which names unnamed devices.
    #[serde(default)]
    pub display: Option<String>,
    /// Device role.
    #[serde(default)]
    pub role: Option<Ref>,
    /// Site.
    #[serde(default)]
    pub site: Option<Ref>,
    /// Tenant.
    #[serde(default)]
    pub tenant: Option<Ref>,
    /// Virtualisation cluster the device hosts.
    #[serde(default)]
    pub cluster: Option<Ref>,
}

/// One end a cable path reaches: an interface, a power outlet or a power feed.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    /// NetBox id of the endpoint.
    pub id: u64,
    /// The device it belongs to (none for a power feed).
    #[serde(default)]
    pub device: Option<Ref>,
}

/// `/api/dcim/interfaces/`.
#[derive(Debug, Deserialize)]
pub struct Interface {
    /// NetBox id.
    pub id: u64,
    /// Its device.
    pub device: Ref,
    /// Interface type (`lag` for a link aggregation).
    #[serde(rename = "type", default)]
    pub kind: Option<Choice>,
    /// The LAG this interface is a member of.
    #[serde(default)]
    pub lag: Option<Ref>,
    /// MTU in bytes, when set.
    #[serde(default)]
    pub mtu: Option<u32>,
    /// Out-of-band management only.
    #[serde(default)]
    pub mgmt_only: bool,
    /// Administratively enabled (NetBox's default is true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where NetBox's cable trace ends, through patch panels and circuits.
    #[serde(default)]
    pub connected_endpoints: Option<Vec<Endpoint>>,
    /// The type of those ends, e.g. `dcim.interface`.
    #[serde(default)]
    pub connected_endpoints_type: Option<String>,
    /// Whether the path reaches its far end.
    #[serde(default)]
    pub connected_endpoints_reachable: Option<bool>,
    /// The cable on this interface, if any.
    #[serde(default)]
    pub cable: Option<Ref>,
}

fn yes() -> bool {
    true
}

/// `/api/dcim/power-ports/`: a device's power inputs.
#[derive(Debug, Deserialize)]
pub struct PowerPort {
    /// NetBox id.
    pub id: u64,
    /// Its device.
    pub device: Ref,
    /// Where the power path ends: a power outlet (of a PDU) or a power feed.
    #[serde(default)]
    pub connected_endpoints: Option<Vec<Endpoint>>,
    /// `dcim.poweroutlet` or `dcim.powerfeed`.
    #[serde(default)]
    pub connected_endpoints_type: Option<String>,
    /// The cable on this port, if any.
    #[serde(default)]
    pub cable: Option<Ref>,
}

/// `/api/dcim/power-panels/`.
#[derive(Debug, Deserialize)]
pub struct PowerPanel {
    /// NetBox id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Site.
    #[serde(default)]
    pub site: Option<Ref>,
}

/// `/api/dcim/power-feeds/`.
#[derive(Debug, Deserialize)]
pub struct PowerFeed {
    /// NetBox id.
    pub id: u64,
    /// Name, unique within its panel only.
    pub name: String,
    /// The panel it leaves.
    #[serde(default)]
    pub power_panel: Option<Ref>,
}

/// `/api/virtualization/clusters/`.
#[derive(Debug, Deserialize)]
pub struct Cluster {
    /// NetBox id.
    pub id: u64,
    /// Name.
    pub name: String,
}

/// `/api/virtualization/virtual-machines/`.
#[derive(Debug, Deserialize)]
pub struct VirtualMachine {
    /// NetBox id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Site.
    #[serde(default)]
    pub site: Option<Ref>,
    /// Cluster it runs in.
    #[serde(default)]
    pub cluster: Option<Ref>,
    /// The device it is pinned to, if any.
    #[serde(default)]
    pub device: Option<Ref>,
    /// Tenant.
    #[serde(default)]
    pub tenant: Option<Ref>,
}

/// `/api/tenancy/tenants/`.
#[derive(Debug, Deserialize)]
pub struct Tenant {
    /// NetBox id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
}

/// `/api/tenancy/contacts/`.
#[derive(Debug, Deserialize)]
pub struct Contact {
    /// NetBox id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// E-mail address; empty when none is recorded.
    #[serde(default)]
    pub email: Option<String>,
}

/// `/api/tenancy/contact-assignments/`.
#[derive(Debug, Deserialize)]
pub struct ContactAssignment {
    /// NetBox id.
    pub id: u64,
    /// What the contact is assigned to, e.g. `tenancy.tenant`.
    pub object_type: String,
    /// That object's id.
    pub object_id: u64,
    /// The contact.
    pub contact: Ref,
}

/// Everything the importer reads from one NetBox, each list in id order.
#[derive(Debug, Default)]
pub struct Answers {
    /// The version NetBox reported.
    pub version: String,
    /// Sites.
    pub sites: Vec<Site>,
    /// Devices.
    pub devices: Vec<Device>,
    /// Cabled interfaces and LAG interfaces.
    pub interfaces: Vec<Interface>,
    /// Cabled power ports.
    pub power_ports: Vec<PowerPort>,
    /// Power panels.
    pub power_panels: Vec<PowerPanel>,
    /// Power feeds.
    pub power_feeds: Vec<PowerFeed>,
    /// Clusters.
    pub clusters: Vec<Cluster>,
    /// Virtual machines.
    pub virtual_machines: Vec<VirtualMachine>,
    /// Tenants.
    pub tenants: Vec<Tenant>,
    /// Contacts.
    pub contacts: Vec<Contact>,
    /// Contact assignments to tenants.
    pub contact_assignments: Vec<ContactAssignment>,
}
