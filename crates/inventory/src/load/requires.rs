//! Requirement groups of a vertex: a plain id, `all:`, `any:` or `at_least:`/`of:`, each
//! member checked and recorded with its position for the references resolved at the end.

use super::{Loader, Loc, RawGroup};
use crate::fields::Fields;
use crate::yaml::{Node, Pos};

impl Loader {
    fn member(
        &mut self,
        f: u32,
        owner: u32,
        owner_id: &str,
        node: &Node<'_>,
        err: &mut dyn FnMut(Pos, String),
    ) {
        let Node::Scalar { text, pos, .. } = node else {
            err(
                node.pos(),
                format!(
                    "a requirement must name a vertex, found {}",
                    node.type_name()
                ),
            );
            return;
        };
        if text == owner_id {
            err(*pos, format!("`{owner_id}` requires itself"));
            return;
        }
        let m = self.vertices.refer(text);
        self.members.push(m);
        self.member_loc.push(Loc { file: f, pos: *pos });
        let _ = owner;
    }

    pub(super) fn group(
        &mut self,
        f: u32,
        owner: u32,
        owner_id: &str,
        node: &Node<'_>,
        err: &mut dyn FnMut(Pos, String),
    ) {
        let start = self.members.len() as u32;
        let need = match node {
            Node::Scalar { .. } if !node.is_null() => {
                self.member(f, owner, owner_id, node, err);
                Some(1)
            }
            Node::Map { entries, .. }
                if entries.len() == 1
                    && !is_key(&entries[0].0, "at_least")
                    && !is_key(&entries[0].0, "of") =>
            {
                let Some(fields) = Fields::check(node, &["all", "any"], "a requirement group", err)
                else {
                    return;
                };
                let (all, list) = match (fields.get("all"), fields.get("any")) {
                    (Some(l), _) => (true, l),
                    (_, Some(l)) => (false, l),
                    _ => return,
                };
                let Some(items) = self.group_items(list, err) else {
                    return;
                };
                for m in items {
                    self.member(f, owner, owner_id, m, err);
                }
                let len = self.members.len() as u32 - start;
                Some(if all { len.max(1) } else { 1 })
            }
            Node::Map { .. } => {
                let Some(fields) =
                    Fields::check(node, &["at_least", "of"], "a requirement group", err)
                else {
                    return;
                };
                let k = fields.text("at_least", err);
                let of = fields.get("of");
                let (Some((k, k_pos)), Some(of)) = (k, of) else {
                    err(fields.pos, "a requirement group needs `at_least: K` with `of: [...]`, or `all:` or `any:`".into());
                    return;
                };
                let Some(items) = self.group_items(of, err) else {
                    return;
                };
                let Ok(k) = k.parse::<i64>() else {
                    err(
                        k_pos,
                        format!("`at_least` must be a whole number, found `{k}`"),
                    );
                    return;
                };
                if k < 1 || k > items.len() as i64 {
                    err(k_pos, format!("`at_least: {k}` is out of range: K must be 1 to {} (the number listed)", items.len()));
                    return;
                }
                for m in items {
                    self.member(f, owner, owner_id, m, err);
                }
                Some(k as u32)
            }
            other => {
                err(other.pos(), format!("a requirement must be an id, `all:`, `any:` or `at_least:`/`of:`, found {}", other.type_name()));
                None
            }
        };
        let len = self.members.len() as u32 - start;
        match need {
            // Members dropped for errors already reported: keep the group valid for cycle search.
            Some(need) if len > 0 => self.groups.push(RawGroup {
                owner,
                need: need.min(len),
                start,
            }),
            _ => {}
        }
    }

    fn group_items<'n>(
        &self,
        list: &'n Node<'n>,
        err: &mut dyn FnMut(Pos, String),
    ) -> Option<&'n [Node<'n>]> {
        match list {
            Node::Seq { items, pos } if items.is_empty() => {
                err(*pos, "empty requirement group".into());
                None
            }
            Node::Seq { items, .. } => Some(items),
            other => {
                err(
                    other.pos(),
                    format!(
                        "a requirement group lists its members, found {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }
}

fn is_key(node: &Node<'_>, key: &str) -> bool {
    matches!(node, Node::Scalar { text, .. } if text == key)
}
