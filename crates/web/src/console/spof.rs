//! `/console/spof`: which components are single points of failure of many services, above all
//! those the design meant to be redundant (listed in a group that tolerates a failure) that
//! are single points for some services anyway — seed 000's NICs cabled to the wrong switch.
//!
//! The failure sets depend on the inventory only, so the report is computed once per inventory
//! (on a blocking thread; 0.18 s for a million services) and kept until a reload replaces it.

use std::collections::HashSet;
use std::sync::{Arc, Weak};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use minijinja::context;
use serde::Serialize;
use tocsin_model::inventory::NONE;
use tocsin_model::spof::designed_redundant;
use tocsin_model::{FailureSets, Inventory, VertexId};

use super::{frame, render, Page};
use crate::auth::{Action, Refusal, Staff};
use crate::App;

/// How many vertices each table lists.
const ROWS: usize = 50;
/// How many example services a row names.
const EXAMPLES: usize = 5;

/// One vertex that is a single point of failure of some services.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Row {
    pub id: String,
    pub kind: String,
    pub services: usize,
    pub customers: usize,
    /// A few of its services, sorted.
    pub examples: Vec<String>,
}

/// The report of one inventory.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Report {
    pub services: usize,
    /// Services with at least one single point of failure besides themselves.
    pub with_spof: usize,
    /// Designed redundant, yet a single point of failure: most services first.
    pub illusions: Vec<Row>,
    pub illusions_total: usize,
    /// Every single point of failure but services themselves: most services first.
    pub largest: Vec<Row>,
}

impl Report {
    /// Computes the report of `inventory`.
    pub(crate) fn of(inventory: &Inventory) -> Report {
        let graph = &inventory.graph;
        let sets = FailureSets::compute(graph);
        let n = graph.vertex_count();
        let redundant = designed_redundant(graph);
        let mut is_service = vec![false; n];
        for s in &inventory.services {
            is_service[s.vertex as usize] = true;
        }
        let mut hits = vec![0usize; n];
        let mut with_spof = 0;
        for s in &inventory.services {
            let mut any = false;
            for x in sets.single_points_of_failure(s.vertex) {
                any = true;
                hits[x as usize] += 1;
            }
            with_spof += usize::from(any);
        }
        let top = |keep: &dyn Fn(usize) -> bool| -> (Vec<VertexId>, usize) {
            let mut xs: Vec<VertexId> = (0..n)
                .filter(|&x| hits[x] > 0 && keep(x))
                .map(|x| x as VertexId)
                .collect();
            let total = xs.len();
            xs.sort_unstable_by(|&a, &b| {
                hits[b as usize]
                    .cmp(&hits[a as usize])
                    .then_with(|| graph.name(a).cmp(graph.name(b)))
            });
            xs.truncate(ROWS);
            (xs, total)
        };
        let (illusions, illusions_total) = top(&|x| redundant[x]);
        let (largest, _) = top(&|x| !is_service[x]);
        // A second pass only for the listed vertices: their customers and a few services.
        let mut wanted = vec![usize::MAX; n];
        let listed: Vec<VertexId> = illusions.iter().chain(&largest).copied().collect();
        for (i, &x) in listed.iter().enumerate() {
            if wanted[x as usize] == usize::MAX {
                wanted[x as usize] = i;
            }
        }
        let mut customers: Vec<HashSet<u32>> = vec![HashSet::new(); listed.len()];
        let mut examples: Vec<Vec<&str>> = vec![Vec::new(); listed.len()];
        for s in &inventory.services {
            for x in sets.single_points_of_failure(s.vertex) {
                let i = wanted[x as usize];
                if i == usize::MAX {
                    continue;
                }
                if s.customer != NONE {
                    customers[i].insert(s.customer);
                }
                examples[i].push(graph.name(s.vertex));
            }
        }
        let row = |x: VertexId| {
            let i = wanted[x as usize];
            let mut e = examples.get(i).cloned().unwrap_or_default();
            e.sort_unstable();
            e.truncate(EXAMPLES);
            Row {
                id: graph.name(x).to_owned(),
                kind: inventory.kind_of(x).to_owned(),
                services: hits[x as usize],
                customers: customers.get(i).map_or(0, HashSet::len),
                examples: e.into_iter().map(str::to_owned).collect(),
            }
        };
        Report {
            services: inventory.services.len(),
            with_spof,
            illusions: illusions.iter().map(|&x| row(x)).collect(),
            illusions_total,
            largest: largest.iter().map(|&x| row(x)).collect(),
        }
    }
}

/// The report of the inventory it was computed for, held only weakly so that a reload frees
/// the old inventory.
#[derive(Default)]
pub(crate) struct Cache {
    last: tokio::sync::Mutex<Option<(Weak<Inventory>, Arc<Report>)>>,
}

impl Cache {
    /// The report of `inventory`, computed at most once per inventory: concurrent first
    /// requests wait for the one computation.
    async fn get(&self, inventory: Arc<Inventory>) -> Result<Arc<Report>, Refusal> {
        let mut last = self.last.lock().await;
        if let Some((of, report)) = last.as_ref() {
            if Weak::as_ptr(of) == Arc::as_ptr(&inventory) && of.strong_count() > 0 {
                return Ok(Arc::clone(report));
            }
        }
        let weak = Arc::downgrade(&inventory);
        let report = tokio::task::spawn_blocking(move || Report::of(&inventory))
            .await
            .map_err(|e| Refusal::Unavailable(format!("the SPOF computation failed: {e}")))?;
        let report = Arc::new(report);
        *last = Some((weak, Arc::clone(&report)));
        Ok(report)
    }
}

/// `GET /console/spof`.
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Extension(cache): Extension<Arc<Cache>>,
    Staff(who): Staff,
) -> Page {
    who.require(Action::View)?;
    let inventory = app.inventory()?;
    let report = cache.get(inventory).await?;
    Ok(render(
        "console/spof.html",
        frame(&who, "spof", None),
        context! { heading => "Single points of failure", report => &*report },
        StatusCode::OK,
    ))
}
