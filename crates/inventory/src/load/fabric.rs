//! The overlay fabric (`fabric:`, one mapping for the whole inventory) and nodes' `mtu`, what
//! the fabric MTU lint judges.

use tocsin_model::inventory::{Encapsulation, Fabric, Underlay};

use super::{Loader, Loc};
use crate::fields::Fields;
use crate::yaml::{Node, Pos};

/// MTUs accepted: IPv4's minimum (RFC 791) to the largest IP packet.
const MTU_RANGE: std::ops::RangeInclusive<u32> = 68..=65535;

const FABRIC_KEYS: &[&str] = &[
    "encapsulation",
    "underlay",
    "inner_vlan_tag",
    "network_kinds",
];

impl Loader {
    /// Reads a node's `mtu`, reporting a value that is not a whole number of bytes in range.
    pub(super) fn vertex_mtu(
        &mut self,
        f: u32,
        v: u32,
        id: &str,
        fields: &Fields<'_>,
        err: &mut dyn FnMut(Pos, String),
    ) {
        let Some((text, pos)) = fields.text("mtu", err) else {
            return;
        };
        match whole_number(text).filter(|m| MTU_RANGE.contains(m)) {
            Some(mtu) => self.mtus.push((v, mtu, Loc { file: f, pos })),
            None => err(
                pos,
                format!(
                    "`mtu` of node `{id}` must be a whole number of bytes from {} to {}, found `{text}`",
                    MTU_RANGE.start(),
                    MTU_RANGE.end()
                ),
            ),
        }
    }

    /// Reads the top-level `fabric:` whose key is at `key`.
    pub(super) fn fabric(&mut self, f: u32, key: Pos, value: &Node<'_>) {
        if !self.claim_fabric(f, key) {
            return;
        }
        let mut errors = Vec::new();
        let fabric = {
            let mut err = |pos: Pos, message: String| errors.push((pos, message));
            read_fabric(value, &mut err)
        };
        let clean = errors.is_empty();
        for (pos, message) in errors {
            self.error(f, pos, message);
        }
        if clean {
            self.fabric = fabric;
        }
    }

    /// Reports a `fabric:` written as a list, whose key is at `key`.
    pub(super) fn fabric_list(&mut self, f: u32, key: Pos) {
        if self.claim_fabric(f, key) {
            self.error(
                f,
                key,
                "`fabric` must be a mapping of settings such as `encapsulation: vxlan`, found a list"
                    .into(),
            );
        }
    }

    /// Records the first `fabric:` of the inventory; a later one, also in another file, is an
    /// error naming the first.
    fn claim_fabric(&mut self, f: u32, key: Pos) -> bool {
        let Some(first) = self.fabric_at else {
            self.fabric_at = Some(Loc { file: f, pos: key });
            return true;
        };
        let file = self
            .files
            .get(first.file as usize)
            .map_or("?", |s| s.as_str());
        let message = format!(
            "`fabric` is declared twice: an inventory has one fabric (first declared at {file}:{}:{})",
            first.pos.line, first.pos.col
        );
        self.error(f, key, message);
        false
    }
}

/// The value of `text` written in decimal digits only, so that `+9000`, `9e3` and `0x2328`
/// are refused rather than read as something the operator may not have meant.
fn whole_number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The fabric `value` declares; `None` when a setting is missing or wrong (each reported).
fn read_fabric(value: &Node<'_>, err: &mut dyn FnMut(Pos, String)) -> Option<Fabric> {
    let fields = Fields::check(value, FABRIC_KEYS, "the fabric", err)?;
    let encapsulation = match fields.text("encapsulation", err) {
        Some(("vxlan", _)) => Some(Encapsulation::Vxlan),
        Some(("geneve", _)) => Some(Encapsulation::Geneve),
        Some((other, pos)) => {
            err(
                pos,
                format!(
                    "`encapsulation` of the fabric must be `vxlan` or `geneve`, found `{other}`"
                ),
            );
            None
        }
        None => {
            if fields.get("encapsulation").is_none() {
                err(
                    fields.pos,
                    "the fabric has no `encapsulation` (`vxlan` or `geneve`)".into(),
                );
            }
            None
        }
    };
    let underlay = match fields.text("underlay", err) {
        None | Some(("ipv4", _)) => Some(Underlay::Ipv4),
        Some(("ipv6", _)) => Some(Underlay::Ipv6),
        Some((other, pos)) => {
            err(
                pos,
                format!("`underlay` of the fabric must be `ipv4` or `ipv6`, found `{other}`"),
            );
            None
        }
    };
    let inner_vlan_tag = match fields.text("inner_vlan_tag", err) {
        None => Some(false),
        Some(("true" | "True" | "TRUE", _)) => Some(true),
        Some(("false" | "False" | "FALSE", _)) => Some(false),
        Some((other, pos)) => {
            err(
                pos,
                format!(
                    "`inner_vlan_tag` of the fabric must be `true` or `false`, found `{other}`"
                ),
            );
            None
        }
    };
    let network_kinds = match fields.get("network_kinds") {
        None => Some(
            Fabric::DEFAULT_NETWORK_KINDS
                .iter()
                .map(|&k| k.into())
                .collect(),
        ),
        Some(node) => network_kinds(node, fields.list("network_kinds", err), err),
    };
    Some(Fabric {
        encapsulation: encapsulation?,
        underlay: underlay?,
        inner_vlan_tag: inner_vlan_tag?,
        network_kinds: network_kinds?,
    })
}

/// The kinds listed in `network_kinds` (its node is `list`), each a non-empty name.
fn network_kinds(
    list: &Node<'_>,
    items: &[Node<'_>],
    err: &mut dyn FnMut(Pos, String),
) -> Option<Vec<Box<str>>> {
    if !matches!(list, Node::Seq { .. }) {
        // `Fields::list` reported it.
        return None;
    }
    if items.is_empty() {
        err(
            list.pos(),
            "`network_kinds` of the fabric is empty: no node would be the network".into(),
        );
        return None;
    }
    let mut kinds = Vec::with_capacity(items.len());
    let mut clean = true;
    for item in items {
        match item {
            Node::Scalar { text, .. } if !item.is_null() => kinds.push((&**text).into()),
            other => {
                err(
                    other.pos(),
                    format!(
                        "an entry of `network_kinds` must be a node kind such as `switch`, found {}",
                        other.type_name()
                    ),
                );
                clean = false;
            }
        }
    }
    clean.then_some(kinds)
}

#[cfg(test)]
mod tests;
