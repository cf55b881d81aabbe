//! Turns inventory files into the model: reads every top-level entry, checks it, interns ids,
//! resolves references at the end and reports every problem found with its position.

use tocsin_model::inventory::{Component, Customer, Fabric, Labels, NONE};
use tocsin_model::names::{Names, Texts};
use tocsin_model::sla::CreditPolicy;

use crate::fields::{valid_id, Fields};
use crate::intern::Ids;
use crate::yaml::{
    with_reader_thread, Entries, FastReader, Node, Pos, Reader, Stop, TopLevel, Unsupported,
};

mod ahead;
mod entries;
mod fabric;
mod plans;
mod requires;

pub(crate) use plans::RawPlan;

/// A position in one of the files read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Loc {
    pub(crate) file: u32,
    pub(crate) pos: Pos,
}

pub(crate) const UNDEFINED: Loc = Loc {
    file: u32::MAX,
    pos: Pos { line: 0, col: 0 },
};

/// A table of ids that may be referenced before they are defined.
#[derive(Default, Clone)]
pub(crate) struct Table {
    pub(crate) ids: Ids,
    pub(crate) defined: Vec<Loc>,
}

impl Table {
    /// The number of `id`, adding it as referenced.
    fn refer(&mut self, id: &str) -> u32 {
        let (n, new) = self.ids.insert(id);
        if new {
            self.defined.push(UNDEFINED);
        }
        n
    }

    /// Defines `id` at `at`; on a duplicate, the first definition.
    fn define(&mut self, id: &str, at: Loc) -> Result<u32, Loc> {
        let n = self.refer(id);
        let first = self.defined[n as usize];
        if first != UNDEFINED {
            return Err(first);
        }
        self.defined[n as usize] = at;
        Ok(n)
    }
}

#[derive(Clone)]
pub(crate) struct RawGroup {
    pub(crate) owner: u32,
    pub(crate) need: u32,
    pub(crate) start: u32,
}

#[derive(Clone)]
pub(crate) struct RawService {
    pub(crate) vertex: u32,
    pub(crate) customer: Option<(u32, Loc)>,
    pub(crate) component: Option<(u32, Loc)>,
    pub(crate) kind: u32,
    pub(crate) name: u32,
    /// The plan named, by its number in [`Loader::plans`].
    pub(crate) plan: Option<(u32, Loc)>,
}

/// Accumulates what the files say; [`Loader::finish`] resolves and checks it.
#[derive(Clone)]
pub struct Loader {
    pub(crate) files: Vec<String>,
    pub(crate) diagnostics: Vec<(Loc, String)>,
    pub(crate) vertices: Table,
    pub(crate) vertex_kind: Vec<u32>,
    pub(crate) vertex_site: Vec<u32>,
    pub(crate) groups: Vec<RawGroup>,
    pub(crate) members: Vec<u32>,
    pub(crate) member_loc: Vec<Loc>,
    pub(crate) labels: Vec<(u32, Labels)>,
    pub(crate) services: Vec<RawService>,
    pub(crate) kinds: Names,
    pub(crate) texts: Texts,
    pub(crate) customers: Table,
    pub(crate) customer_data: Vec<Option<Customer>>,
    pub(crate) components: Table,
    pub(crate) component_data: Vec<Option<Component>>,
    pub(crate) sites: Table,
    pub(crate) site_names: Vec<Option<Box<str>>>,
    pub(crate) plans: Table,
    pub(crate) plan_data: Vec<Option<RawPlan>>,
    pub(crate) credit_policies: Table,
    pub(crate) policy_data: Vec<Option<CreditPolicy>>,
    /// Every plan's `credits`, also of plans refused for other reasons, so that an unknown
    /// policy is reported with their other errors.
    pub(crate) policy_refs: Vec<(u32, Loc)>,
    /// Whether any file has a `plans:` section: only then are services' plans checked.
    pub(crate) plans_declared: bool,
    /// Nodes' MTUs with where each value is written, in reading order.
    pub(crate) mtus: Vec<(u32, u32, Loc)>,
    /// Where the first `fabric:` key is, so that a second one in any file is refused.
    pub(crate) fabric_at: Option<Loc>,
    /// The fabric, when one was declared without errors.
    pub(crate) fabric: Option<Fabric>,
    /// Whether every file is read with the full parser, never the fast reader.
    full_parser_only: bool,
}

/// Files from this size are read on a thread of their own while the loader checks them.
pub(crate) const PIPED_BYTES: usize = 1 << 20;

const TOP_KEYS: &[&str] = &[
    "version",
    "sites",
    "nodes",
    "customers",
    "services",
    "components",
    "plans",
    "credit_policies",
    "fabric",
];
const NODE_KEYS: &[&str] = &["id", "kind", "name", "site", "labels", "requires", "mtu"];
const SERVICE_KEYS: &[&str] = &[
    "id",
    "customer",
    "kind",
    "name",
    "component",
    "plan",
    "site",
    "labels",
    "requires",
];
const CUSTOMER_KEYS: &[&str] = &[
    "id", "name", "contacts", "tier", "country", "vat_id", "webhooks",
];
const COMPONENT_KEYS: &[&str] = &["id", "name", "group"];
const SITE_KEYS: &[&str] = &["id", "name"];

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

impl Loader {
    /// An empty loader.
    pub fn new() -> Self {
        let mut kinds = Names::default();
        kinds.insert("node");
        kinds.insert("service");
        Loader {
            files: Vec::new(),
            diagnostics: Vec::new(),
            vertices: Table::default(),
            vertex_kind: Vec::new(),
            vertex_site: Vec::new(),
            groups: Vec::new(),
            members: Vec::new(),
            member_loc: Vec::new(),
            labels: Vec::new(),
            services: Vec::new(),
            kinds,
            texts: Texts::default(),
            customers: Table::default(),
            customer_data: Vec::new(),
            components: Table::default(),
            component_data: Vec::new(),
            sites: Table::default(),
            site_names: Vec::new(),
            plans: Table::default(),
            plan_data: Vec::new(),
            credit_policies: Table::default(),
            policy_data: Vec::new(),
            policy_refs: Vec::new(),
            plans_declared: false,
            mtus: Vec::new(),
            fabric_at: None,
            fabric: None,
            full_parser_only: false,
        }
    }

    /// This loader, reading every file with the full parser only (see [`Loader::read`]).
    pub fn full_parser_only(mut self) -> Self {
        self.full_parser_only = true;
        self
    }

    /// Reports a problem with a whole file (it cannot be read).
    pub fn file_error(&mut self, file: &str, message: String) {
        let f = self.add_file(file);
        self.diagnostics.push((
            Loc {
                file: f,
                pos: Pos::default(),
            },
            message,
        ));
    }

    fn add_file(&mut self, file: &str) -> u32 {
        self.files.push(file.to_owned());
        self.files.len() as u32 - 1
    }

    /// Reads one file's text, named `file` in messages: with the fast reader when the file
    /// is in the form it takes, otherwise (or when it stops midway, after undoing what it
    /// read) with the full parser, whose messages are the ones users see.
    pub fn read(&mut self, file: &str, text: &str) {
        if self.vertices.ids.is_empty() {
            // Generated and imported inventories spend about 180 bytes per vertex, 12 of
            // them its id: growing the tables once is cheaper than doubling them ten times.
            let vertices = text.len() / 180;
            self.vertices.ids.reserve(vertices, vertices * 12);
            self.vertices.defined.reserve(vertices);
        }
        if let (false, Ok(fast)) = (self.full_parser_only, FastReader::new(text)) {
            // The first file needs no copy: undoing it is starting afresh.
            let saved = (!self.files.is_empty()).then(|| self.clone());
            let read = if text.len() >= PIPED_BYTES {
                with_reader_thread(fast, |piped| self.read_entries(file, piped))
            } else {
                self.read_entries(file, fast)
            };
            if read.is_ok() {
                return;
            }
            *self = saved.unwrap_or_default();
        }
        match Reader::new(text) {
            Ok(reader) => {
                // The full parser never answers `Unsupported`.
                let _ = self.read_entries(file, reader);
            }
            Err(e) => {
                let f = self.add_file(file);
                self.error(f, e.pos, e.message);
            }
        }
    }

    /// Reads the top-level entries of one file from `reader`; `Err` when the fast reader
    /// stopped, leaving what it read in `self`.
    fn read_entries<'t>(
        &mut self,
        file: &str,
        mut reader: impl Entries<'t>,
    ) -> Result<(), Unsupported> {
        let f = self.add_file(file);
        let mut version_seen = false;
        let mut seen_keys: Vec<&'static str> = Vec::new();
        loop {
            let top = match reader.top() {
                Ok(t) => t,
                Err(Stop::Syntax(e)) => {
                    self.error(f, e.pos, e.message);
                    return Ok(());
                }
                Err(Stop::Unsupported) => return Err(Unsupported),
            };
            let (key, value) = match top {
                TopLevel::End => break,
                TopLevel::List(key) => (key, None),
                TopLevel::Value(key, value) => (key, Some(value)),
            };
            let Node::Scalar {
                text: name, pos, ..
            } = &key
            else {
                self.error(f, key.pos(), "a top-level key must be a plain name".into());
                continue;
            };
            let known_key = TOP_KEYS.iter().copied().find(|k| *k == &**name);
            let known = known_key.is_some();
            let repeated = known && seen_keys.contains(&&**name);
            if !known {
                self.error(
                    f,
                    *pos,
                    format!(
                        "unknown top-level key `{name}` (allowed: {})",
                        TOP_KEYS.join(", ")
                    ),
                );
            } else if repeated {
                self.error(f, *pos, format!("top-level key `{name}` appears twice"));
            } else if let Some(k) = known_key {
                seen_keys.push(k);
            }
            let section = &**name;
            if section == "plans" {
                self.plans_declared = true;
            }
            match value {
                Some(value) => {
                    if section == "version" {
                        version_seen = true;
                        self.version(f, &value);
                    } else if !known || (section == "fabric" && repeated) {
                        // Reported above; its content is not read.
                    } else if section == "fabric" {
                        self.fabric(f, *pos, &value);
                    } else if let Node::Seq { items, .. } = &value {
                        for item in items {
                            self.entry(f, section, item);
                        }
                    } else if !value.is_null() {
                        self.error(
                            f,
                            value.pos(),
                            format!("`{section}` must be a list, found {}", value.type_name()),
                        );
                    }
                }
                None => {
                    if section == "fabric" && !repeated {
                        self.fabric_list(f, *pos);
                    }
                    loop {
                        match reader.item() {
                            Ok(Some(item)) => {
                                if let Some(next) = reader.ahead(ahead::AHEAD - 1) {
                                    self.prefetch(section, next);
                                }
                                if known && section != "version" {
                                    self.entry(f, section, &item);
                                } else if section == "version" {
                                    self.error(f, item.pos(), "`version` must be 1".into());
                                }
                                reader.done(item);
                            }
                            Ok(None) => break,
                            Err(Stop::Syntax(e)) => {
                                self.error(f, e.pos, e.message);
                                return Ok(());
                            }
                            Err(Stop::Unsupported) => return Err(Unsupported),
                        }
                    }
                }
            }
        }
        if !version_seen {
            self.error(
                f,
                Pos { line: 1, col: 1 },
                "missing `version: 1` at the top level".into(),
            );
        }
        Ok(())
    }

    fn error(&mut self, file: u32, pos: Pos, message: String) {
        self.diagnostics.push((Loc { file, pos }, message));
    }

    fn version(&mut self, f: u32, value: &Node<'_>) {
        match value {
            Node::Scalar { text, .. } if text == "1" => {}
            other => self.error(
                f,
                other.pos(),
                "unsupported `version`: this Tocsin reads version 1".into(),
            ),
        }
    }

    fn entry(&mut self, f: u32, section: &str, item: &Node<'_>) {
        let mut errors = Vec::new();
        {
            let mut err = |pos: Pos, message: String| errors.push((pos, message));
            match section {
                "nodes" => self.vertex(f, item, false, &mut err),
                "services" => self.vertex(f, item, true, &mut err),
                "customers" => self.customer(f, item, &mut err),
                "components" => self.component(f, item, &mut err),
                "sites" => self.site(f, item, &mut err),
                "plans" => self.plan(f, item, &mut err),
                "credit_policies" => self.credit_policy(f, item, &mut err),
                _ => {}
            }
        }
        for (pos, message) in errors {
            self.error(f, pos, message);
        }
    }

    /// The checked `id` of an entry, reporting a missing or malformed one.
    fn id<'n>(
        fields: &Fields<'n>,
        what: &str,
        err: &mut dyn FnMut(Pos, String),
    ) -> Option<(&'n str, Pos)> {
        let Some((id, pos)) = fields.text("id", err) else {
            if fields.get("id").is_none() {
                err(fields.pos, format!("{what} without `id`"));
            }
            return None;
        };
        if !valid_id(id) {
            err(
                pos,
                format!("invalid id `{id}`: ids match [A-Za-z0-9][A-Za-z0-9._:-]*"),
            );
            return None;
        }
        Some((id, pos))
    }

    /// Checks an entry's keys and `id` and defines the id in `table`; reports a duplicate.
    /// Returns the fields, the id and its number.
    fn define_entry<'n>(
        &mut self,
        f: u32,
        item: &'n Node<'n>,
        entry: Entry,
        err: &mut dyn FnMut(Pos, String),
    ) -> Option<(Fields<'n>, &'n str, u32)> {
        let (keys, what, word) = entry.describe();
        let fields = Fields::check(item, keys, what, err)?;
        let (id, pos) = Self::id(&fields, what, err)?;
        let table = match entry {
            Entry::Node | Entry::Service => &mut self.vertices,
            Entry::Customer => &mut self.customers,
            Entry::Component => &mut self.components,
            Entry::Site => &mut self.sites,
            Entry::Plan => &mut self.plans,
            Entry::CreditPolicy => &mut self.credit_policies,
        };
        match table.define(id, Loc { file: f, pos }) {
            Ok(n) => Some((fields, id, n)),
            Err(first) => {
                err(pos, self.duplicate(word, id, first));
                None
            }
        }
    }

    fn duplicate(&self, what: &str, id: &str, first: Loc) -> String {
        let file = self
            .files
            .get(first.file as usize)
            .map_or("?", |s| s.as_str());
        format!(
            "duplicate {what} id `{id}` (first defined at {file}:{}:{})",
            first.pos.line, first.pos.col
        )
    }

    fn vertex(&mut self, f: u32, item: &Node<'_>, service: bool, err: &mut dyn FnMut(Pos, String)) {
        let entry = if service { Entry::Service } else { Entry::Node };
        let Some((fields, id, v)) = self.define_entry(f, item, entry, err) else {
            return;
        };
        // Columns indexed by vertex number: referenced-only ids get defaults.
        let n = self.vertices.defined.len();
        self.vertex_kind.resize(n, 0);
        self.vertex_site.resize(n, NONE);
        let kind = match fields.text("kind", err) {
            Some((k, _)) => self.kinds.insert(k).0,
            None => u32::from(service),
        };
        self.vertex_kind[v as usize] = kind;
        if let Some((site, _)) = fields.text("site", err) {
            let s = self.sites.refer(site);
            self.site_names.resize(self.sites.defined.len(), None);
            self.vertex_site[v as usize] = s;
        }
        self.vertex_labels(v, &fields, err);
        if !service {
            self.vertex_mtu(f, v, id, &fields, err);
        }
        for group in fields.list("requires", err) {
            self.group(f, v, id, group, err);
        }
        if service {
            let customer = fields
                .text("customer", err)
                .map(|(c, pos)| (self.customers.refer(c), Loc { file: f, pos }));
            let component = fields
                .text("component", err)
                .map(|(c, pos)| (self.components.refer(c), Loc { file: f, pos }));
            let name = fields
                .text("name", err)
                .map_or(NONE, |(n, _)| self.texts.push(n));
            let plan = fields
                .text("plan", err)
                .map(|(p, pos)| (self.plans.refer(p), Loc { file: f, pos }));
            self.services.push(RawService {
                vertex: v,
                customer,
                component,
                kind,
                name,
                plan,
            });
        } else {
            // A node's display name is accepted; nothing shows it yet.
            let _ = fields.text("name", err);
        }
    }

    fn vertex_labels(&mut self, v: u32, fields: &Fields<'_>, err: &mut dyn FnMut(Pos, String)) {
        let Some(node) = fields.get("labels") else {
            return;
        };
        let Node::Map { entries, .. } = node else {
            err(
                node.pos(),
                format!("`labels` must be a mapping, found {}", node.type_name()),
            );
            return;
        };
        let mut labels = Vec::with_capacity(entries.len());
        for (k, val) in entries {
            match (k, val) {
                (Node::Scalar { text: k, .. }, Node::Scalar { text: val, .. }) => {
                    labels.push(((&**k).into(), (&**val).into()));
                }
                (_, other) => err(
                    other.pos(),
                    "a label must map a name to a single value".into(),
                ),
            }
        }
        if !labels.is_empty() {
            self.labels.push((v, labels.into_boxed_slice()));
        }
    }
}

/// The kinds of top-level entries with an id.
#[derive(Clone, Copy)]
enum Entry {
    Node,
    Service,
    Customer,
    Component,
    Site,
    Plan,
    CreditPolicy,
}

impl Entry {
    /// Allowed keys, the entry in messages, and the id's kind in "duplicate … id".
    fn describe(self) -> (&'static [&'static str], &'static str, &'static str) {
        match self {
            Entry::Node => (NODE_KEYS, "a node", "vertex"),
            Entry::Service => (SERVICE_KEYS, "a service", "vertex"),
            Entry::Customer => (CUSTOMER_KEYS, "a customer", "customer"),
            Entry::Component => (COMPONENT_KEYS, "a component", "component"),
            Entry::Site => (SITE_KEYS, "a site", "site"),
            Entry::Plan => (plans::PLAN_KEYS, "a plan", "plan"),
            Entry::CreditPolicy => (plans::POLICY_KEYS, "a credit policy", "credit policy"),
        }
    }
}
