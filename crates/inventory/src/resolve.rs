//! The end of loading: resolve references between entries, find dependency cycles, and either
//! hand over the model or every problem found.

use std::sync::{Arc, Mutex};

use tocsin_model::graph::{GraphBuilder, MAX_REPORTED_CYCLES};
use tocsin_model::inventory::{Inventory, Service, Site, NONE};
use tocsin_model::names::Names;
use tocsin_model::sla::{CreditPolicy, Plan};
use tocsin_model::{GraphError, VertexId};

use crate::diag::{Diagnostic, LoadError};
use crate::intern::Ids;
use crate::load::{Loader, Loc, UNDEFINED};

/// Where what the model holds was written, for warnings about a loaded inventory.
struct Sources {
    files: Vec<String>,
    /// Where each node's `mtu` value is, sorted by vertex.
    mtu_at: Vec<(VertexId, Loc)>,
}

impl Loader {
    /// Resolves references and checks the graph; returns the model, or every problem found
    /// sorted by file and position.
    pub fn finish(self) -> Result<Inventory, LoadError> {
        self.resolve().map(|(inventory, _)| inventory)
    }

    /// As [`Loader::finish`], with the warnings about the inventory loaded (the fabric MTU
    /// lint) sorted by file and position.
    pub fn finish_with_warnings(self) -> Result<(Inventory, Vec<Diagnostic>), LoadError> {
        let (inventory, sources) = self.resolve()?;
        let mut warnings: Vec<(Loc, String)> = crate::mtu::lint(&inventory)
            .into_iter()
            .filter_map(|finding| {
                let i = sources
                    .mtu_at
                    .binary_search_by_key(&finding.host, |&(v, _)| v)
                    .ok()?;
                Some((sources.mtu_at[i].1, finding.message(&inventory)))
            })
            .collect();
        warnings.sort();
        let warnings = warnings
            .into_iter()
            .map(|(loc, message)| diagnostic(&sources.files, loc, message))
            .collect();
        Ok((inventory, warnings))
    }

    fn resolve(mut self) -> Result<(Inventory, Sources), LoadError> {
        let n = self.vertices.defined.len();
        self.vertex_kind.resize(n, 0);
        self.vertex_site.resize(n, NONE);
        // Requirements naming ids no entry defines.
        for (i, &m) in self.members.iter().enumerate() {
            if self.vertices.defined[m as usize] == UNDEFINED {
                let id = self.vertices.ids.get(m);
                self.diagnostics.push((
                    self.member_loc[i],
                    format!("requirement names unknown vertex `{id}`"),
                ));
            }
        }
        for s in &self.services {
            if let Some((c, at)) = s.customer {
                if self.customers.defined[c as usize] == UNDEFINED {
                    let id = self.customers.ids.get(c);
                    self.diagnostics
                        .push((at, format!("service names unknown customer `{id}`")));
                }
            }
            if let Some((c, at)) = s.component {
                if self.components.defined[c as usize] == UNDEFINED {
                    let id = self.components.ids.get(c);
                    self.diagnostics
                        .push((at, format!("service names unknown component `{id}`")));
                }
            }
            // The inventory contract's own example names a plan in a file without `plans:`;
            // such a file predates plans, and its plan names are labels that mean nothing.
            if let Some((p, at)) = s.plan.filter(|_| self.plans_declared) {
                if self.plans.defined[p as usize] == UNDEFINED {
                    let id = self.plans.ids.get(p);
                    self.diagnostics
                        .push((at, format!("service names unknown plan `{id}`")));
                }
            }
        }
        for &(c, at) in &self.policy_refs {
            if self.credit_policies.defined[c as usize] == UNDEFINED {
                let id = self.credit_policies.ids.get(c);
                self.diagnostics
                    .push((at, format!("plan names unknown credit policy `{id}`")));
            }
        }
        // The graph is built even when other problems were found, so that cycles are
        // reported with them; ids never defined are vertices without requirements there.
        let defined = std::mem::take(&mut self.vertices.defined);
        let (vertex_names, customer_names) = names_side_by_side(
            std::mem::take(&mut self.vertices.ids),
            std::mem::take(&mut self.customers.ids),
        );
        let mut builder = GraphBuilder::from_names(vertex_names);
        let members = std::mem::take(&mut self.members);
        for (i, g) in self.groups.iter().enumerate() {
            let end = self
                .groups
                .get(i + 1)
                .map_or(members.len(), |next| next.start as usize);
            builder.add_group(g.owner, g.need, &members[g.start as usize..end]);
        }
        drop(members);
        self.groups = Vec::new();
        self.member_loc = Vec::new();
        let graph = match builder.build() {
            Ok(graph) => Some(graph),
            Err(GraphError::Cycles(found)) => {
                for cycle in &found.cycles {
                    self.cycle(&defined, cycle, &found.names);
                }
                if found.cycles.len() >= MAX_REPORTED_CYCLES {
                    let max = MAX_REPORTED_CYCLES;
                    if let Some(&(at, _)) = self.diagnostics.last() {
                        let note =
                            format!("more dependency cycles: only the first {max} are listed");
                        self.diagnostics.push((at, note));
                    }
                }
                None
            }
            Err(other) => {
                self.diagnostics.push((
                    Loc {
                        file: 0,
                        pos: Default::default(),
                    },
                    format!("internal: {other}"),
                ));
                None
            }
        };
        match graph {
            Some(graph) if self.diagnostics.is_empty() => {
                Ok(self.into_inventory(graph, customer_names))
            }
            _ => Err(self.into_error()),
        }
    }

    fn cycle(&mut self, defined: &[Loc], cycle: &[u32], names: &Names) {
        let Some(first) = (0..cycle.len()).min_by_key(|&i| defined[cycle[i] as usize]) else {
            return;
        };
        // Named in requirement order from its first-defined vertex.
        let names: Vec<&str> = cycle[first..]
            .iter()
            .chain(&cycle[..first])
            .chain(std::iter::once(&cycle[first]))
            .map(|&v| names.get(v))
            .collect();
        self.diagnostics.push((
            defined[cycle[first] as usize],
            format!(
                "dependency cycle: {} (each requires the next)",
                names.join(" -> ")
            ),
        ));
    }

    fn into_error(self) -> LoadError {
        let mut diagnostics = self.diagnostics;
        diagnostics.sort();
        LoadError {
            diagnostics: diagnostics
                .into_iter()
                .map(|(loc, message)| diagnostic(&self.files, loc, message))
                .collect(),
        }
    }

    fn into_inventory(
        self,
        graph: tocsin_model::Graph,
        customer_ids: Names,
    ) -> (Inventory, Sources) {
        // Plans and policies are numbered as first named, and listed in file order.
        let plan_index = file_order(&self.plans.defined);
        let policy_index = file_order(&self.credit_policies.defined);
        let mut plans: Vec<Option<Plan>> = vec![None; plan_index.len()];
        for (p, raw) in self.plan_data.into_iter().enumerate() {
            plans[plan_index[p] as usize] = raw.map(|raw| Plan {
                policy: policy_index[raw.policy.0 as usize],
                ..raw.plan
            });
        }
        let mut credit_policies: Vec<Option<CreditPolicy>> = vec![None; policy_index.len()];
        for (c, policy) in self.policy_data.into_iter().enumerate() {
            credit_policies[policy_index[c] as usize] = policy;
        }
        let n = graph.vertex_count();
        let mut vertex_service = vec![NONE; n];
        let services: Vec<Service> = self
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| {
                vertex_service[s.vertex as usize] = i as u32;
                Service {
                    vertex: s.vertex,
                    customer: s.customer.map_or(NONE, |(c, _)| c),
                    component: s.component.map_or(NONE, |(c, _)| c),
                    kind: s.kind,
                    name: s.name,
                    plan: match s.plan {
                        Some((p, _)) if self.plans_declared => plan_index[p as usize],
                        _ => NONE,
                    },
                }
            })
            .collect();
        let sites = (0..self.sites.ids.len() as u32)
            .map(|s| {
                let id = self.sites.ids.get(s);
                Site {
                    id: id.into(),
                    name: self
                        .site_names
                        .get(s as usize)
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| id.into()),
                }
            })
            .collect();
        let mut labels = self.labels;
        labels.sort_unstable_by_key(|(v, _)| *v);
        let mut texts = self.texts;
        texts.shrink_to_fit();
        let mut mtu_read = self.mtus;
        mtu_read.sort_unstable_by_key(|&(v, _, _)| v);
        let mtus = mtu_read.iter().map(|&(v, mtu, _)| (v, mtu)).collect();
        let sources = Sources {
            files: self.files,
            mtu_at: mtu_read.into_iter().map(|(v, _, at)| (v, at)).collect(),
        };
        let inventory = Inventory {
            graph: Arc::new(graph),
            sites,
            customer_ids,
            customers: self.customer_data.into_iter().flatten().collect(),
            components: self.component_data.into_iter().flatten().collect(),
            services,
            vertex_service,
            vertex_kind: self.vertex_kind,
            vertex_site: self.vertex_site,
            kinds: self.kinds,
            texts,
            labels,
            plans: plans.into_iter().flatten().collect(),
            credit_policies: credit_policies.into_iter().flatten().collect(),
            mtus,
            fabric: self.fabric,
        };
        (inventory, sources)
    }
}

/// The model's tables of vertex and customer ids. Each conversion costs a cache miss per id,
/// so the customers' runs on a thread of its own meanwhile (here too if none can be started).
fn names_side_by_side(vertices: Ids, customers: Ids) -> (Names, Names) {
    let customers = Mutex::new(Some(customers));
    let convert = |slot: &Mutex<Option<Ids>>| {
        let ids = slot.lock().ok().and_then(|mut s| s.take());
        ids.map(Ids::into_names)
    };
    std::thread::scope(|scope| {
        let converting = std::thread::Builder::new()
            .name("ids".to_owned())
            .spawn_scoped(scope, || convert(&customers));
        let vertex_names = vertices.into_names();
        let converted = match converting {
            Ok(handle) => match handle.join() {
                Ok(names) => names,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(_) => None,
        };
        // Without a thread, or before it took them, the customers are converted here.
        let customer_names = converted
            .or_else(|| convert(&customers))
            .unwrap_or_default();
        (vertex_names, customer_names)
    })
}

/// The diagnostic at `loc` in one of `files`.
fn diagnostic(files: &[String], loc: Loc, message: String) -> Diagnostic {
    Diagnostic {
        file: files.get(loc.file as usize).cloned().unwrap_or_default(),
        pos: (loc.pos.line > 0).then_some(loc.pos),
        message,
    }
}

/// For each id numbered in the order first named, its index in definition (file) order.
fn file_order(defined: &[Loc]) -> Vec<u32> {
    let mut numbers: Vec<u32> = (0..defined.len() as u32).collect();
    numbers.sort_by_key(|&n| defined[n as usize]);
    let mut index = vec![0; defined.len()];
    for (i, n) in numbers.into_iter().enumerate() {
        index[n as usize] = i as u32;
    }
    index
}
