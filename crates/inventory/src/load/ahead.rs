//! Looking a few entries ahead: the table slots of the ids an entry defines and names are
//! read before the entry is checked, so that the cache misses of several entries overlap
//! instead of each stalling the loader in turn.

use super::{Loader, Table};
use crate::yaml::Node;

/// How many entries ahead of the one being checked the slots are read.
pub(super) const AHEAD: usize = 4;

impl Loader {
    /// Reads the slots of the ids that `item`, an entry of `section`, will look up.
    pub(super) fn prefetch(&self, section: &str, item: &Node<'_>) {
        let Node::Map { entries, .. } = item else {
            return;
        };
        let vertex = matches!(section, "nodes" | "services");
        for (key, value) in entries {
            let Node::Scalar { text: key, .. } = key else {
                continue;
            };
            match &**key {
                "id" if vertex => prefetch_ids(&self.vertices, value, 0),
                "requires" if vertex => prefetch_ids(&self.vertices, value, 0),
                "id" if section == "customers" => prefetch_ids(&self.customers, value, 0),
                "customer" if section == "services" => prefetch_ids(&self.customers, value, 0),
                _ => {}
            }
        }
    }
}

/// Reads the slots of the scalars of `node` and of its members, down to requirement groups.
fn prefetch_ids(table: &Table, node: &Node<'_>, depth: usize) {
    match node {
        Node::Scalar { text, .. } => table.ids.prefetch(table.ids.hash(text)),
        Node::Seq { items, .. } if depth < 3 => {
            for item in items {
                prefetch_ids(table, item, depth + 1);
            }
        }
        Node::Map { entries, .. } if depth < 3 => {
            for (_, value) in entries {
                prefetch_ids(table, value, depth + 1);
            }
        }
        _ => {}
    }
}
