//! Tocsin ids for NetBox objects: names or slugs made valid (lower case, characters outside
//! the id alphabet replaced by `-`), a clash resolved by appending `-` and the NetBox id.

use std::collections::HashSet;

/// The ids handed out in one namespace (vertices, sites or customers).
#[derive(Default)]
pub(crate) struct Ids {
    taken: HashSet<String>,
}

impl Ids {
    /// The id for the object numbered `netbox_id` in NetBox and named `name`: the name made
    /// valid, or, when another object already has it, that with `-NETBOX_ID` appended.
    pub(crate) fn claim(&mut self, name: &str, netbox_id: u64) -> String {
        let base = made_valid(name);
        let base = if base.is_empty() {
            format!("netbox-{netbox_id}")
        } else {
            base
        };
        if self.taken.insert(base.clone()) {
            return base;
        }
        let suffixed = format!("{base}-{netbox_id}");
        if self.taken.insert(suffixed.clone()) {
            return suffixed;
        }
        // Only a name that itself ends in another object's id can get here.
        let mut n = 2u32;
        loop {
            let more = format!("{suffixed}-{n}");
            if self.taken.insert(more.clone()) {
                return more;
            }
            n += 1;
        }
    }
}

/// `name` in lower case with every character outside `[a-z0-9._:-]` replaced by `-`; an id
/// must start with a letter or digit, so a name that does not gets `n` in front.
pub(crate) fn made_valid(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-') {
            out.push(c);
        } else {
            out.push('-');
        }
    }
    if out
        .bytes()
        .next()
        .is_some_and(|b| !b.is_ascii_alphanumeric())
    {
        out.insert(0, 'n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::valid_id;

    #[test]
    fn names_are_lowered_and_foreign_characters_become_dashes() {
        assert_eq!(made_valid("dmi01-akron-rtr01"), "dmi01-akron-rtr01");
        assert_eq!(made_valid("PP:MDF"), "pp:mdf");
        assert_eq!(
            made_valid("Panduit 48-Port Patch Panel (74)"),
            "panduit-48-port-patch-panel--74-"
        );
        assert_eq!(made_valid("Hluboká DC1"), "hlubok--dc1");
        assert_eq!(made_valid("_x"), "n_x");
        for name in ["a b", "Ünïcode", "-", "  x  ", "r105-torsw:1", "ĳ"] {
            assert!(valid_id(&made_valid(name)), "{name}");
        }
    }

    #[test]
    fn a_clash_gets_the_netbox_id_appended() {
        let mut ids = Ids::default();
        assert_eq!(ids.claim("PP:MDF", 74), "pp:mdf");
        assert_eq!(ids.claim("pp:mdf", 90), "pp:mdf-90");
        assert_eq!(ids.claim("PP MDF", 91), "pp-mdf");
        assert_eq!(ids.claim("", 5), "netbox-5");
        // A name already ending in another object's suffix still gets a free id.
        assert_eq!(ids.claim("pp:mdf-90", 90), "pp:mdf-90-90");
        assert_eq!(ids.claim("pp:mdf", 90), "pp:mdf-90-2");
    }
}
