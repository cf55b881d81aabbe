//! The provider's inventory as the domain sees it: the graph plus who owns which service,
//! contacts, sites and status-page components.

use std::sync::Arc;

use crate::graph::{Graph, VertexId};
use crate::names::{Names, Texts};

/// Marks "none" in the dense `u32` columns below.
pub const NONE: u32 = u32::MAX;

/// Languages notices are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// Czech.
    Cs,
    /// English.
    #[default]
    En,
    /// Polish.
    Pl,
    /// French.
    Fr,
    /// Russian.
    Ru,
}

impl Language {
    /// All supported languages.
    pub const ALL: [Language; 5] = [
        Language::Cs,
        Language::En,
        Language::Pl,
        Language::Fr,
        Language::Ru,
    ];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Cs => "cs",
            Language::En => "en",
            Language::Pl => "pl",
            Language::Fr => "fr",
            Language::Ru => "ru",
        }
    }

    /// The language with ISO 639-1 code `code`.
    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// Someone to tell about a customer's services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Where to send e-mail.
    pub email: Box<str>,
    /// What language to write in.
    pub language: Language,
}

/// A customer of the provider.
#[derive(Debug, Clone)]
pub struct Customer {
    /// Display name.
    pub name: Box<str>,
    /// People to notify.
    pub contacts: Box<[Contact]>,
    /// Support tier id, if any.
    pub tier: Option<Box<str>>,
    /// ISO 3166-1 alpha-2 country, for VAT.
    pub country: Option<[u8; 2]>,
    /// VAT identification number, for a business.
    pub vat_id: Option<Box<str>>,
    /// Where to POST signed incident events (chat bridges, social status profiles).
    pub webhooks: Box<[Webhook]>,
}

/// An HTTP endpoint of a customer that receives incident events signed with its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Where to POST, `https://…` (or `http://…`).
    pub url: Box<str>,
    /// The HMAC-SHA256 key the customer checks signatures with.
    pub secret: Box<str>,
}

impl std::fmt::Debug for Webhook {
    // The secret is never printed, so that it cannot reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A site (data centre).
#[derive(Debug, Clone)]
pub struct Site {
    /// Site id.
    pub id: Box<str>,
    /// Display name.
    pub name: Box<str>,
}

/// A status-page component.
#[derive(Debug, Clone)]
pub struct Component {
    /// Component id.
    pub id: Box<str>,
    /// Display name.
    pub name: Box<str>,
    /// Group shown on the status page.
    pub group: Option<Box<str>>,
}

/// A service a customer buys; it is also a vertex of the graph.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// Its vertex.
    pub vertex: VertexId,
    /// Index into [`Inventory::customers`], or [`NONE`] for the provider's own.
    pub customer: u32,
    /// Index into [`Inventory::components`], or [`NONE`].
    pub component: u32,
    /// Index into [`Inventory::kinds`].
    pub kind: u32,
    /// Index into [`Inventory::texts`] of the display name, or [`NONE`].
    pub name: u32,
    /// Index into [`Inventory::plans`], or [`NONE`].
    pub plan: u32,
}

/// Alert labels of one vertex: name and value pairs.
pub type Labels = Box<[(Box<str>, Box<str>)]>;

/// The overlay protocol that carries hosts' frames across the fabric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encapsulation {
    /// VXLAN (RFC 7348).
    Vxlan,
    /// Geneve (RFC 8926), counted without options.
    Geneve,
}

impl Encapsulation {
    /// The name written in inventories.
    pub fn name(self) -> &'static str {
        match self {
            Encapsulation::Vxlan => "vxlan",
            Encapsulation::Geneve => "geneve",
        }
    }
}

/// The network the overlay's packets travel on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Underlay {
    /// IPv4.
    #[default]
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Underlay {
    /// The name written in inventories.
    pub fn name(self) -> &'static str {
        match self {
            Underlay::Ipv4 => "ipv4",
            Underlay::Ipv6 => "ipv6",
        }
    }
}

/// The overlay fabric hosts' frames cross, and which node kinds are its network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fabric {
    /// The overlay protocol.
    pub encapsulation: Encapsulation,
    /// What the overlay runs on.
    pub underlay: Underlay,
    /// Whether inner frames carry an 802.1Q tag.
    pub inner_vlan_tag: bool,
    /// Kinds of the nodes that are the network.
    pub network_kinds: Vec<Box<str>>,
}

impl Fabric {
    /// Kinds of network nodes when an inventory names none: the NetBox importer's default
    /// network roles, so that an imported inventory is judged as it was mapped.
    pub const DEFAULT_NETWORK_KINDS: &'static [&'static str] = &[
        "switch",
        "leaf",
        "spine",
        "router",
        "firewall",
        "core-switch",
        "access-switch",
    ];

    /// Bytes the encapsulation adds: outer Ethernet, IP, UDP and the VXLAN or base Geneve
    /// header, the IP header being 20 bytes over IPv4 and 40 over IPv6.
    pub fn encapsulation_bytes(&self) -> u32 {
        match self.underlay {
            Underlay::Ipv4 => 50,
            Underlay::Ipv6 => 70,
        }
    }

    /// Bytes of an inner 802.1Q tag, when inner frames carry one.
    pub fn tag_bytes(&self) -> u32 {
        if self.inner_vlan_tag {
            4
        } else {
            0
        }
    }

    /// Every byte the fabric adds to a host's frame.
    pub fn overhead(&self) -> u32 {
        self.encapsulation_bytes() + self.tag_bytes()
    }
}

/// Everything Tocsin knows about a provider's infrastructure and customers.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The dependency graph over nodes and services.
    pub graph: Arc<Graph>,
    /// Sites, in file order.
    pub sites: Vec<Site>,
    /// Customer ids; the number of an id indexes [`Inventory::customers`].
    pub customer_ids: Names,
    /// Customers.
    pub customers: Vec<Customer>,
    /// Components.
    pub components: Vec<Component>,
    /// Services, in file order.
    pub services: Vec<Service>,
    /// For each vertex, its index in [`Inventory::services`] or [`NONE`] for a node.
    pub vertex_service: Vec<u32>,
    /// For each vertex, its kind (index into [`Inventory::kinds`]).
    pub vertex_kind: Vec<u32>,
    /// For each vertex, its site (index into [`Inventory::sites`]) or [`NONE`].
    pub vertex_site: Vec<u32>,
    /// Kinds, interned.
    pub kinds: Names,
    /// Display names of services.
    pub texts: Texts,
    /// Alert labels of the vertices that have any, sorted by vertex.
    pub labels: Vec<(VertexId, Labels)>,
    /// MTUs in bytes of the nodes that declare one, sorted by vertex.
    pub mtus: Vec<(VertexId, u32)>,
    /// The overlay fabric, when the inventory declares one.
    pub fabric: Option<Fabric>,
    /// Plans, in file order.
    pub plans: Vec<crate::sla::Plan>,
    /// Credit policies, in file order.
    pub credit_policies: Vec<crate::sla::CreditPolicy>,
}

impl Inventory {
    /// The service whose vertex is `v`.
    pub fn service_of(&self, v: VertexId) -> Option<&Service> {
        match self.vertex_service.get(v as usize) {
            Some(&i) if i != NONE => self.services.get(i as usize),
            _ => None,
        }
    }

    /// The customer id numbered `c`.
    pub fn customer_id(&self, c: u32) -> &str {
        self.customer_ids.get(c)
    }

    /// The MTU of vertex `v`, when it declares one.
    pub fn mtu_of(&self, v: VertexId) -> Option<u32> {
        self.mtus
            .binary_search_by_key(&v, |&(w, _)| w)
            .ok()
            .map(|i| self.mtus[i].1)
    }

    /// The kind of vertex `v`.
    pub fn kind_of(&self, v: VertexId) -> &str {
        self.kinds.get(self.vertex_kind[v as usize])
    }

    /// Heap bytes held by the model, the graph included (approximate for the small tables).
    pub fn heap_bytes(&self) -> usize {
        let boxed = |s: &str| s.len();
        self.graph.heap_bytes()
            + self.customer_ids.heap_bytes()
            + self.customers.capacity() * std::mem::size_of::<Customer>()
            + self
                .customers
                .iter()
                .map(|c| {
                    boxed(&c.name)
                        + c.tier.as_deref().map_or(0, boxed)
                        + c.vat_id.as_deref().map_or(0, boxed)
                        + c.contacts.len() * std::mem::size_of::<Contact>()
                        + c.contacts.iter().map(|k| boxed(&k.email)).sum::<usize>()
                })
                .sum::<usize>()
            + self.services.capacity() * std::mem::size_of::<Service>()
            + self.plans.capacity() * std::mem::size_of::<crate::sla::Plan>()
            + self
                .plans
                .iter()
                .map(|p| p.id.len() + p.name.len())
                .sum::<usize>()
            + self.credit_policies.capacity() * std::mem::size_of::<crate::sla::CreditPolicy>()
            + 4 * (self.vertex_service.capacity()
                + self.vertex_kind.capacity()
                + self.vertex_site.capacity())
            + self.kinds.heap_bytes()
            + self.texts.heap_bytes()
            + self.labels.capacity() * 24
            + self
                .labels
                .iter()
                .map(|(_, l)| l.iter().map(|(k, v)| 32 + k.len() + v.len()).sum::<usize>())
                .sum::<usize>()
            + self.mtus.capacity() * std::mem::size_of::<(VertexId, u32)>()
            + self.fabric.as_ref().map_or(0, |f| {
                f.network_kinds.capacity() * std::mem::size_of::<Box<str>>()
                    + f.network_kinds.iter().map(|k| k.len()).sum::<usize>()
            })
    }
}
