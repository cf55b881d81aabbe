//! Pure domain of Tocsin: the dependency graph of a provider's infrastructure and customer
//! services, the impact engine and single points of failure. No I/O, no clock, no async.

pub mod alerts;
pub mod calendar;
pub mod down;
pub mod graph;
pub mod impact;
pub mod incident;
pub mod inventory;
pub mod migration;
pub mod names;
pub mod sla;
pub mod spof;
pub mod summary;
pub mod ticket_clock;
pub mod time;
pub mod whatif;

pub use graph::{Cycles, Graph, GraphBuilder, GraphError, GroupId, VertexId};
pub use impact::{Change, Impact, Observation, State};
pub use inventory::Inventory;
pub use names::Names;
pub use spof::FailureSets;
pub use whatif::WhatIf;

#[cfg(test)]
mod tests;
