//! Rendering impact and single points of failure, as the contract's JSON and as summaries
//! for a NOC engineer.

use std::io::{self, Write};

use tocsin_model::spof::designed_redundant;
use tocsin_model::summary::Summary;
use tocsin_model::{FailureSets, Inventory, VertexId};

/// Rendering of [`Summary`] for the command line.
pub trait SummaryOut {
    /// One JSON object on one line, per the contract.
    fn write_json(&self, out: &mut impl Write) -> io::Result<()>;
    /// A few lines for people.
    fn write_text(&self, out: &mut impl Write, inventory: &Inventory) -> io::Result<()>;
}

impl SummaryOut for Summary<'_> {
    fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"{\"down\":")?;
        write_list(out, &self.down)?;
        out.write_all(b",\"degraded\":")?;
        write_list(out, &self.degraded)?;
        out.write_all(b",\"affected_customers\":")?;
        write_list(out, &self.affected)?;
        out.write_all(b",\"at_risk_customers\":")?;
        write_list(out, &self.at_risk)?;
        out.write_all(b"}\n")
    }

    fn write_text(&self, out: &mut impl Write, inventory: &Inventory) -> io::Result<()> {
        writeln!(
            out,
            "down: {} vertices ({} services); degraded: {} vertices ({} services)",
            self.down.len(),
            self.services.0,
            self.degraded.len(),
            self.services.1
        )?;
        writeln!(
            out,
            "affected customers (a service down): {}{}",
            self.affected.len(),
            preview(&self.affected)
        )?;
        writeln!(
            out,
            "at-risk customers (running without redundancy): {}{}",
            self.at_risk.len(),
            preview(&self.at_risk)
        )?;
        let infra: Vec<&str> = self
            .down
            .iter()
            .copied()
            .filter(|id| {
                inventory
                    .graph
                    .find(id)
                    .is_some_and(|v| inventory.service_of(v).is_none())
            })
            .collect();
        writeln!(
            out,
            "infrastructure down: {}{}",
            infra.len(),
            preview(&infra)
        )
    }
}

fn preview(ids: &[&str]) -> String {
    const SHOWN: usize = 12;
    if ids.is_empty() {
        return String::new();
    }
    let mut s = String::from(" — ");
    s.push_str(&ids[..ids.len().min(SHOWN)].join(", "));
    if ids.len() > SHOWN {
        s.push_str(&format!(", … and {} more", ids.len() - SHOWN));
    }
    s
}

fn write_list(out: &mut impl Write, items: &[&str]) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, s)?;
    }
    out.write_all(b"]")
}

/// Services sorted by id, with their vertices.
fn services_by_id(inventory: &Inventory) -> Vec<(&str, VertexId)> {
    let mut services: Vec<(&str, VertexId)> = inventory
        .services
        .iter()
        .map(|s| (inventory.graph.name(s.vertex), s.vertex))
        .collect();
    services.sort_unstable();
    services
}

/// `{"services": {"ID": ["X", ...], ...}}`, every service present, all sorted by byte order.
pub fn write_spof_json(
    out: &mut impl Write,
    inventory: &Inventory,
    sets: &FailureSets,
) -> io::Result<()> {
    let graph = &inventory.graph;
    out.write_all(b"{\"services\":{")?;
    let mut names: Vec<&str> = Vec::new();
    for (i, (id, v)) in services_by_id(inventory).into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, id)?;
        out.write_all(b":")?;
        names.clear();
        names.extend(sets.single_points_of_failure(v).map(|x| graph.name(x)));
        names.sort_unstable();
        write_list(out, &names)?;
    }
    out.write_all(b"}}\n")
}

/// A vertex the design meant to be redundant (it is listed in some group that tolerates a
/// failure) that is a single point of failure of some services anyway.
pub struct ImaginedRedundancy<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its kind.
    pub kind: &'a str,
    /// The services it takes down alone, sorted by id.
    pub services: Vec<&'a str>,
}

/// `tocsin spof`'s report for people, computed once for the terminal and the printed runbooks.
pub struct RedundancyReport<'a> {
    /// Services in the inventory.
    pub services: usize,
    /// Services with at least one single point of failure.
    pub with_any: usize,
    /// Most services first, then by id.
    pub imagined: Vec<ImaginedRedundancy<'a>>,
}

/// The vertices designed as redundant that are single points of failure of some services.
pub fn redundancy_report<'a>(inventory: &'a Inventory, sets: &FailureSets) -> RedundancyReport<'a> {
    let graph = &inventory.graph;
    let n = graph.vertex_count();
    let redundant = designed_redundant(graph);
    let mut hit: Vec<Vec<VertexId>> = vec![Vec::new(); n];
    let mut with_any = 0usize;
    for s in &inventory.services {
        let mut any = false;
        for x in sets.single_points_of_failure(s.vertex) {
            any = true;
            if redundant[x as usize] {
                hit[x as usize].push(s.vertex);
            }
        }
        with_any += usize::from(any);
    }
    let mut imagined: Vec<ImaginedRedundancy<'a>> = hit
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(x, s)| {
            let mut services: Vec<&str> = s.iter().map(|&v| graph.name(v)).collect();
            services.sort_unstable();
            ImaginedRedundancy {
                id: graph.name(x as VertexId),
                kind: inventory.kind_of(x as VertexId),
                services,
            }
        })
        .collect();
    imagined.sort_unstable_by(|a, b| b.services.len().cmp(&a.services.len()).then(a.id.cmp(b.id)));
    RedundancyReport {
        services: inventory.services.len(),
        with_any,
        imagined,
    }
}

/// For people: the vertices the design meant to be redundant (they are listed in some group
/// that tolerates a failure) but that are single points of failure of some services anyway.
pub fn write_spof_text(
    out: &mut impl Write,
    inventory: &Inventory,
    sets: &FailureSets,
) -> io::Result<()> {
    let report = redundancy_report(inventory, sets);
    writeln!(
        out,
        "{} services, {} with at least one single point of failure",
        report.services, report.with_any
    )?;
    if report.imagined.is_empty() {
        return writeln!(
            out,
            "no vertex designed as redundant is a single point of failure of any service"
        );
    }
    writeln!(
        out,
        "{} vertices are designed as redundant (listed in an any/at_least group) yet are a single point of failure of some services:",
        report.imagined.len()
    )?;
    for x in &report.imagined {
        let ids = &x.services;
        writeln!(
            out,
            "  {} [{}] is a single point of failure of {} service{}{}",
            x.id,
            x.kind,
            ids.len(),
            if ids.len() == 1 { "" } else { "s" },
            preview(ids)
        )?;
    }
    Ok(())
}
