//! Turns NetBox's REST answers into a Tocsin inventory (`shared/spec/netbox.md`): the mapping
//! is pure; fetching the answers is the binary's business.

mod diff;
mod emit;
mod ids;
mod map;
mod paths;
pub mod types;

#[cfg(test)]
mod tests;

use std::fmt;

pub use diff::{diff, Diff, SectionDiff};
pub use types::Answers;

/// The device roles whose devices are the network, unless the caller names others: the
/// node kinds the fabric MTU lint takes for the network, as imported nodes' kind is their role.
pub const DEFAULT_NETWORK_ROLES: &[&str] = tocsin_model::inventory::Fabric::DEFAULT_NETWORK_KINDS;

/// How to map.
#[derive(Debug, Clone)]
pub struct Options {
    /// Role slugs of the devices that are the network.
    pub network_roles: Vec<String>,
    /// Where the answers came from, named in the file's header.
    pub source: String,
}

/// An object that could not be mapped (or only in part), named by its NetBox type and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// NetBox's type, e.g. `dcim.interface`.
    pub object: &'static str,
    /// NetBox id.
    pub id: u64,
    /// What could not be mapped, and what became of it.
    pub message: String,
}

impl Warning {
    pub(crate) fn new(object: &'static str, id: u64, message: String) -> Self {
        Warning {
            object,
            id,
            message,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.object, self.id, self.message)
    }
}

/// How many entries of each kind an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Sites.
    pub sites: usize,
    /// Nodes: devices, power feeds and virtual machines.
    pub nodes: usize,
    /// Customers (tenants).
    pub customers: usize,
    /// Services.
    pub services: usize,
}

/// The result of an import.
#[derive(Debug)]
pub struct Imported {
    /// The inventory file's text.
    pub text: String,
    /// What could not be mapped.
    pub warnings: Vec<Warning>,
    /// What was written.
    pub counts: Counts,
    /// The version the NetBox read reported (`/api/status/`).
    pub netbox_version: String,
}

/// Maps NetBox's answers to an inventory.
pub fn import(answers: &Answers, options: &Options) -> Imported {
    let mapped = map::map(answers, options);
    let text = emit::write(&mapped, &options.source);
    let mut warnings = mapped.warnings;
    warnings.sort_by(|a, b| (a.object, a.id).cmp(&(b.object, b.id)));
    Imported {
        text,
        warnings,
        counts: Counts {
            sites: mapped.sites.len(),
            nodes: mapped.nodes.len(),
            customers: mapped.customers.len(),
            services: mapped.services.len(),
        },
        netbox_version: answers.version.clone(),
    }
}
