//! Tenants with their contacts, the sites' NOC contacts and the finishing touches of the
//! generated provider: spare switch ports and the panels' unused front ports.

use super::super::model::{id_of, Assigned, Assignment, Contact, Tenant};
use super::Builder;

const TENANT_WORDS: [&str; 20] = [
    "Acme",
    "Globex",
    "Initrode",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
    "Aperture",
    "Oscorp",
    "Massive",
    "Virtucon",
    "Gringotts",
    "Monarch",
    "Dunder",
    "Prestige",
];
const TENANT_TRADES: [&str; 15] = [
    "Hosting",
    "Media",
    "Labs",
    "Retail",
    "Logistics",
    "Games",
    "Health",
    "Finance",
    "Travel",
    "Foods",
    "Energy",
    "Systems",
    "Studios",
    "Analytics",
    "Security",
];
const LEGAL_FORMS: [&str; 5] = ["s.r.o.", "GmbH", "B.V.", "Ltd", "SA"];

impl Builder {
    /// Tenants with one or two contacts each (a few without an e-mail address).
    pub(super) fn tenants(&mut self, count: usize) {
        for i in 0..count {
            let base = format!(
                "{} {}",
                TENANT_WORDS[i % TENANT_WORDS.len()],
                TENANT_TRADES[(i / TENANT_WORDS.len()) % TENANT_TRADES.len()]
            );
            let round = i / (TENANT_WORDS.len() * TENANT_TRADES.len());
            let base = if round == 0 {
                base
            } else {
                format!("{base} {}", round + 1)
            };
            let name = format!(
                "{base} {}",
                LEGAL_FORMS[self.rng.usize(0..LEGAL_FORMS.len())]
            );
            let slug = slug(&base);
            self.p.tenants.push(Tenant {
                name,
                slug: slug.clone(),
            });
            let tenant = id_of(i);
            for (k, who) in ["ops", "billing"]
                .into_iter()
                .enumerate()
                .take(1 + usize::from(self.rng.bool()))
            {
                let email = if self.rng.f64() < 0.05 {
                    String::new()
                } else {
                    format!("{who}@{slug}.example")
                };
                self.p.contacts.push(Contact {
                    name: format!("{base} {}", if k == 0 { "Operations" } else { "Billing" }),
                    email,
                });
                self.p.assignments.push(Assignment {
                    contact: id_of(self.p.contacts.len() - 1),
                    role: k as u32 + 1,
                    object: Assigned::Tenant(tenant),
                    primary: k == 0,
                });
            }
        }
    }

    /// Spare ports and panels' unused front ports; each site's NOC contact.
    pub(super) fn finish(&mut self) {
        let leaves: Vec<u32> = self.leaf_mtu.keys().copied().collect();
        let mut leaves = leaves;
        leaves.sort_unstable();
        for leaf in leaves {
            for _ in 0..2 {
                let mtu = self.leaf_mtu.get(&leaf).copied().unwrap_or(9216);
                let port = self.switch_port(leaf, mtu);
                self.p.interfaces[port as usize - 1].mtu = None;
            }
        }
        for r in 0..self.p.rear_ports.len() {
            let rear = id_of(r);
            let used = self
                .p
                .front_ports
                .iter()
                .filter(|f| f.rear_port == rear)
                .count() as u32;
            for position in used + 1..=used.max(24) {
                self.front_port(rear, position);
            }
            self.p.rear_ports[r].positions = used.max(24);
        }
        for s in 0..self.p.sites.len() {
            let slug = self.p.sites[s].slug.clone();
            self.p.contacts.push(Contact {
                name: format!("NOC {slug}"),
                email: format!("noc-{slug}@provider.example"),
            });
            self.p.assignments.push(Assignment {
                contact: id_of(self.p.contacts.len() - 1),
                role: 1,
                object: Assigned::Site(id_of(s)),
                primary: true,
            });
        }
    }
}

/// NetBox's `slugify`: lower case, runs of other characters become one `-`.
fn slug(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_matches('-').to_owned()
}
