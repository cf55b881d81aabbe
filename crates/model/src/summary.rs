//! Who is down, degraded, affected and at risk right now: the engine's state read out as
//! the contract's four sorted lists.

use crate::graph::VertexId;
use crate::impact::{Impact, State};
use crate::inventory::{Inventory, NONE};
use crate::whatif::WhatIf;

/// Who is down, degraded, affected and at risk, each sorted by byte order.
pub struct Summary<'a> {
    /// Vertices down.
    pub down: Vec<&'a str>,
    /// Vertices degraded.
    pub degraded: Vec<&'a str>,
    /// Customers with a service down.
    pub affected: Vec<&'a str>,
    /// Customers with no service down and one degraded.
    pub at_risk: Vec<&'a str>,
    /// Services down and degraded.
    pub services: (usize, usize),
}

impl<'a> Summary<'a> {
    /// Reads the engine's current state.
    pub fn of(inventory: &'a Inventory, impact: &Impact) -> Self {
        Summary::of_states(inventory, impact.not_up().iter().copied(), |v| {
            impact.state(v)
        })
    }

    /// Reads what a scenario would make of the engine's state (see [`WhatIf`]).
    pub fn of_what_if(inventory: &'a Inventory, what_if: &WhatIf<'_>) -> Self {
        Summary::of_states(inventory, what_if.not_up(), |v| what_if.state(v))
    }

    /// Reads any state: `not_up` lists each vertex not up once, `state` tells its state.
    fn of_states(
        inventory: &'a Inventory,
        not_up: impl Iterator<Item = VertexId>,
        state: impl Fn(VertexId) -> State,
    ) -> Self {
        let graph = &inventory.graph;
        let mut down = Vec::new();
        let mut degraded = Vec::new();
        let mut affected: Vec<u32> = Vec::new();
        let mut at_risk: Vec<u32> = Vec::new();
        let mut services = (0, 0);
        for v in not_up {
            let state = state(v);
            let customer = inventory.service_of(v).map(|s| s.customer);
            if state == State::Down {
                down.push(graph.name(v));
                if let Some(c) = customer {
                    services.0 += 1;
                    if c != NONE {
                        affected.push(c);
                    }
                }
            } else {
                degraded.push(graph.name(v));
                if let Some(c) = customer {
                    services.1 += 1;
                    if c != NONE {
                        at_risk.push(c);
                    }
                }
            }
        }
        affected.sort_unstable();
        affected.dedup();
        at_risk.sort_unstable();
        at_risk.dedup();
        at_risk.retain(|c| affected.binary_search(c).is_err());
        let names = |ids: Vec<u32>| {
            let mut v: Vec<&str> = ids.into_iter().map(|c| inventory.customer_id(c)).collect();
            v.sort_unstable();
            v
        };
        down.sort_unstable();
        degraded.sort_unstable();
        Summary {
            down,
            degraded,
            affected: names(affected),
            at_risk: names(at_risk),
            services,
        }
    }
}
