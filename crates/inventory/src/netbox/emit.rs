//! Writes the mapped entries as an inventory file (`shared/spec/inventory.md`): every text in
//! double quotes, so that no NetBox name can be read back as another YAML type, and in a
//! fixed order, so that an unchanged NetBox gives the same bytes.

use std::fmt::Write;

use super::map::{Mapped, Requirement};

/// A YAML double-quoted scalar; JSON's string escapes are valid there.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn list(ids: &[String]) -> String {
    let items: Vec<String> = ids.iter().map(|i| quoted(i)).collect();
    format!("[{}]", items.join(", "))
}

/// The inventory text of `mapped`, headed by a comment naming where it came from.
pub(crate) fn write(mapped: &Mapped, source: &str) -> String {
    let mut s = String::with_capacity(256 * (mapped.nodes.len() + mapped.services.len()) + 256);
    // Writing to a String cannot fail.
    let _ = write_all(&mut s, mapped, source);
    s
}

fn write_all(s: &mut String, m: &Mapped, source: &str) -> std::fmt::Result {
    writeln!(
        s,
        "# Imported from NetBox at {source} by `tocsin import netbox`."
    )?;
    writeln!(s, "# Edits are overwritten by the next import; add entries in another file of the same directory.")?;
    writeln!(s, "version: 1")?;
    if !m.sites.is_empty() {
        writeln!(s, "sites:")?;
        for (id, name) in &m.sites {
            writeln!(s, "  - id: {}\n    name: {}", quoted(id), quoted(name))?;
        }
    }
    if !m.nodes.is_empty() {
        writeln!(s, "nodes:")?;
    }
    for n in &m.nodes {
        writeln!(
            s,
            "  - id: {}\n    kind: {}",
            quoted(&n.id),
            quoted(&n.kind)
        )?;
        if let Some(site) = &n.site {
            writeln!(s, "    site: {}", quoted(site))?;
        }
        if let Some(mtu) = n.mtu {
            writeln!(s, "    mtu: {mtu}")?;
        }
        writeln!(s, "    labels: {{{}: {}}}", n.label.0, quoted(&n.label.1))?;
        if !n.requires.is_empty() {
            writeln!(s, "    requires:")?;
            for r in &n.requires {
                match r {
                    Requirement::One(id) => writeln!(s, "      - {}", quoted(id))?,
                    Requirement::Any(ids) => writeln!(s, "      - any: {}", list(ids))?,
                    Requirement::AtLeast(k, ids) => {
                        writeln!(s, "      - at_least: {k}\n        of: {}", list(ids))?
                    }
                }
            }
        }
    }
    if !m.customers.is_empty() {
        writeln!(s, "customers:")?;
    }
    for c in &m.customers {
        writeln!(
            s,
            "  - id: {}\n    name: {}",
            quoted(&c.id),
            quoted(&c.name)
        )?;
        if !c.contacts.is_empty() {
            writeln!(s, "    contacts:")?;
            for (email, name) in &c.contacts {
                writeln!(
                    s,
                    "      - email: {}\n        name: {}",
                    quoted(email),
                    quoted(name)
                )?;
            }
        }
    }
    if !m.services.is_empty() {
        writeln!(s, "services:")?;
    }
    for v in &m.services {
        writeln!(
            s,
            "  - id: {}\n    customer: {}\n    kind: {}\n    name: {}\n    requires: [{}]",
            quoted(&v.id),
            quoted(&v.customer),
            quoted(&v.kind),
            quoted(&v.name),
            quoted(&v.requires)
        )?;
    }
    Ok(())
}
