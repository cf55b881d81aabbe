//! The `windows:` section of a VMs file: `default` and customers' own lists of windows.

use tocsin_model::migration::Window;
use tocsin_model::Inventory;

use super::Customers;
use crate::yaml::{Node, Pos};

/// Reads `windows:`, setting customers' own; returns the default ones.
pub(super) fn read_windows(
    node: Option<&Node<'_>>,
    inventory: &Inventory,
    customers: &mut Customers,
    error: &mut dyn FnMut(Pos, String),
) -> Vec<Window> {
    let Some(node) = node.filter(|n| !n.is_null()) else {
        return Vec::new();
    };
    let Node::Map { entries, .. } = node else {
        error(
            node.pos(),
            format!(
                "`windows` must be a mapping of `default` and customer ids to lists, found {}",
                node.type_name()
            ),
        );
        return Vec::new();
    };
    let mut default = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in entries {
        let Node::Scalar {
            text: name, pos, ..
        } = key
        else {
            error(
                key.pos(),
                "a key of `windows` must be `default` or a customer id".into(),
            );
            continue;
        };
        if seen.contains(&&**name) {
            error(*pos, format!("windows: `{name}` appears twice"));
            continue;
        }
        seen.push(name);
        let list = window_list(name, value, error);
        if name == "default" {
            default = list;
            continue;
        }
        match inventory.customer_ids.find(name) {
            Some(c) => {
                let n = customers.number(inventory, c);
                customers.list[n].windows = Some(list);
            }
            None => error(
                *pos,
                format!("windows: unknown customer `{name}`: not a customer of the inventory"),
            ),
        }
    }
    default
}

fn window_list(name: &str, node: &Node<'_>, error: &mut dyn FnMut(Pos, String)) -> Vec<Window> {
    let items: &[Node<'_>] = match node {
        Node::Seq { items, .. } => items,
        n if n.is_null() => &[],
        other => {
            error(
                other.pos(),
                format!(
                    "windows of `{name}` must be a list such as [\"Sat 22:00-Sun 06:00\"], found {}",
                    other.type_name()
                ),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Node::Scalar { text, pos, .. } => match Window::parse(text) {
                Ok(w) => out.push(w),
                Err(e) => error(*pos, format!("windows of `{name}`: {e}")),
            },
            other => error(
                other.pos(),
                format!(
                    "a window of `{name}` must be text, found {}",
                    other.type_name()
                ),
            ),
        }
    }
    out
}
