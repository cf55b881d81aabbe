//! What changed between two imports: entries added, removed and changed per section, read
//! from the files the importer writes (one entry starts at `  - id: `), for the log of
//! `--watch`.

use std::collections::BTreeMap;
use std::fmt;

/// The changes of one section (nodes, services…).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SectionDiff {
    /// Ids of entries only in the new file.
    pub added: Vec<String>,
    /// Ids of entries only in the old file.
    pub removed: Vec<String>,
    /// Ids of entries in both whose text differs.
    pub changed: Vec<String>,
}

/// The changes between two imported inventories, by section in file order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Section name and its changes, for sections with any.
    pub sections: Vec<(String, SectionDiff)>,
}

impl Diff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }
}

/// The entries of an imported file: (section, id) → the entry's text.
fn entries(text: &str) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    let mut section = String::new();
    let mut current: Option<(String, String)> = None;
    let mut body = String::new();
    let mut flush = |current: &mut Option<(String, String)>, body: &mut String| {
        if let Some(key) = current.take() {
            out.insert(key, std::mem::take(body));
        }
        body.clear();
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("  - id: ") {
            flush(&mut current, &mut body);
            let id = serde_json::from_str::<String>(rest).unwrap_or_else(|_| rest.to_owned());
            current = Some((section.clone(), id));
        } else if !line.starts_with(' ') && !line.starts_with('#') && line.ends_with(':') {
            flush(&mut current, &mut body);
            section = line.trim_end_matches(':').to_owned();
            continue;
        }
        if current.is_some() {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&mut current, &mut body);
    out
}

/// The changes from `old` to `new`, both as written by the importer.
pub fn diff(old: &str, new: &str) -> Diff {
    let before = entries(old);
    let after = entries(new);
    let mut sections: Vec<(String, SectionDiff)> = Vec::new();
    fn at<'s>(sections: &'s mut Vec<(String, SectionDiff)>, section: &str) -> &'s mut SectionDiff {
        let i = match sections.iter().position(|(s, _)| s == section) {
            Some(i) => i,
            None => {
                sections.push((section.to_owned(), SectionDiff::default()));
                sections.len() - 1
            }
        };
        &mut sections[i].1
    }
    for ((section, id), text) in &after {
        match before.get(&(section.clone(), id.clone())) {
            None => at(&mut sections, section).added.push(id.clone()),
            Some(old) if old != text => at(&mut sections, section).changed.push(id.clone()),
            Some(_) => {}
        }
    }
    for (section, id) in before.keys() {
        if !after.contains_key(&(section.clone(), id.clone())) {
            at(&mut sections, section).removed.push(id.clone());
        }
    }
    let order = ["sites", "nodes", "customers", "services"];
    sections.sort_by_key(|(s, _)| order.iter().position(|o| o == s).unwrap_or(order.len()));
    Diff { sections }
}

/// How many ids of each kind of change a summary names before counting the rest.
const NAMED: usize = 5;

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sections.is_empty() {
            return write!(f, "no change");
        }
        for (i, (section, d)) in self.sections.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(
                f,
                "{section} +{} -{} ~{}",
                d.added.len(),
                d.removed.len(),
                d.changed.len()
            )?;
            for (sign, ids) in [("+", &d.added), ("-", &d.removed), ("~", &d.changed)] {
                if ids.is_empty() {
                    continue;
                }
                let shown: Vec<&str> = ids.iter().take(NAMED).map(String::as_str).collect();
                write!(f, " {sign}[{}", shown.join(", "))?;
                if ids.len() > NAMED {
                    write!(f, ", {} more", ids.len() - NAMED)?;
                }
                write!(f, "]")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "# header\nversion: 1\nnodes:\n  - id: \"a\"\n    kind: \"x\"\n  - id: \"b\"\n    kind: \"x\"\nservices:\n  - id: \"svc-a\"\n    requires: [\"a\"]\n";

    #[test]
    fn added_removed_and_changed_entries_are_named_per_section() {
        let new = "# header\nversion: 1\nnodes:\n  - id: \"a\"\n    kind: \"y\"\n  - id: \"c\"\n    kind: \"x\"\nservices:\n  - id: \"svc-a\"\n    requires: [\"a\"]\n";
        let d = diff(OLD, new);
        assert_eq!(d.sections.len(), 1);
        let (section, nodes) = &d.sections[0];
        assert_eq!(section, "nodes");
        assert_eq!(nodes.added, ["c"]);
        assert_eq!(nodes.removed, ["b"]);
        assert_eq!(nodes.changed, ["a"]);
        assert_eq!(d.to_string(), "nodes +1 -1 ~1 +[c] -[b] ~[a]");
        assert!(diff(OLD, OLD).is_empty());
        assert_eq!(
            diff("", OLD).to_string(),
            "nodes +2 -0 ~0 +[a, b]; services +1 -0 ~0 +[svc-a]"
        );
    }
}
