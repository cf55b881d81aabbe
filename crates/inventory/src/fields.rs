//! Checked access to the fields of a YAML mapping: unknown and repeated keys are errors, so a
//! typo such as `require:` can never silently drop a dependency.

use smallvec::SmallVec;

use crate::yaml::{Node, Pos};

/// The fields of an entry, held inline up to this many: one allocation fewer per entry.
const INLINE: usize = 10;

/// The fields of one mapping, after checking its keys against those allowed.
pub struct Fields<'n> {
    entries: SmallVec<[(&'n str, &'n Node<'n>); INLINE]>,
    /// Where the mapping starts.
    pub pos: Pos,
}

impl<'n> Fields<'n> {
    /// Checks that `node` is a mapping whose keys are all in `allowed`, each once. Reports
    /// each problem through `error` and keeps the fields that are fine.
    pub fn check(
        node: &'n Node<'n>,
        allowed: &[&str],
        what: &str,
        error: &mut dyn FnMut(Pos, String),
    ) -> Option<Fields<'n>> {
        let Node::Map { entries, pos } = node else {
            error(
                node.pos(),
                format!("expected {what} as a mapping, found {}", node.type_name()),
            );
            return None;
        };
        let mut out: SmallVec<[(&'n str, &'n Node<'n>); INLINE]> =
            SmallVec::with_capacity(entries.len());
        for (key, value) in entries {
            let Node::Scalar { text, .. } = key else {
                error(key.pos(), format!("a key of {what} must be a plain name"));
                continue;
            };
            if !allowed.contains(&&**text) {
                error(
                    key.pos(),
                    format!(
                        "unknown key `{text}` in {what} (allowed: {})",
                        allowed.join(", ")
                    ),
                );
                continue;
            }
            if out.iter().any(|(k, _)| *k == text) {
                error(key.pos(), format!("key `{text}` appears twice in {what}"));
                continue;
            }
            out.push((&**text, value));
        }
        Some(Fields {
            entries: out,
            pos: *pos,
        })
    }

    /// The value of `key`, unless absent or null.
    pub fn get(&self, key: &str) -> Option<&'n Node<'n>> {
        self.entries
            .iter()
            .find(|(k, v)| *k == key && !v.is_null())
            .map(|(_, v)| *v)
    }

    /// The value of `key` as text, reporting a value that is not a scalar.
    pub fn text(&self, key: &str, error: &mut dyn FnMut(Pos, String)) -> Option<(&'n str, Pos)> {
        match self.get(key)? {
            Node::Scalar { text, pos, .. } => Some((&**text, *pos)),
            other => {
                error(
                    other.pos(),
                    format!(
                        "`{key}` must be a single value, found {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    /// The value of `key` as a list (nothing when absent), reporting any other shape.
    pub fn list(&self, key: &str, error: &mut dyn FnMut(Pos, String)) -> &'n [Node<'n>] {
        match self.get(key) {
            None => &[],
            Some(Node::Seq { items, .. }) => items,
            Some(other) => {
                error(
                    other.pos(),
                    format!("`{key}` must be a list, found {}", other.type_name()),
                );
                &[]
            }
        }
    }
}

/// Whether `id` is a valid identifier: `[A-Za-z0-9][A-Za-z0-9._:-]*`.
pub fn valid_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphanumeric() => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}
