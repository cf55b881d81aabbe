//! Migration waves between clouds (`shared/spec/migration.md`, "Plan"): which VMs move when,
//! inside the downtime windows of every customer whose services they take down, with at most
//! `streams` transfers on the link at once and each customer interrupted as few times as the
//! greedy planner in `planner.rs` manages.
//!
//! Pure: the request carries the zone, the first day and every window; times in the plan are
//! UTC seconds. Reading the request from YAML is `tocsin-inventory`'s `migration` module.

use hashbrown::HashSet;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::graph::VertexId;
use crate::impact::State;
use crate::inventory::{Inventory, NONE};
use crate::whatif::WhatIf;

mod intervals;
mod lanes;
mod link;
mod planner;
mod window;

pub use link::{downtime_seconds, parse_link, show_duration, LinkError};
pub use window::{Window, WindowError};

/// How many civil days from `from` waves may use.
pub const HORIZON_DAYS: i32 = 90;
/// Parallel transfers when the request names none.
pub const DEFAULT_STREAMS: u32 = 4;
/// Most parallel transfers a plan takes: each is a lane the planner keeps.
pub const MAX_STREAMS: u32 = 1024;
/// Shutdown, conversion check and boot, when the request names no overhead.
pub const DEFAULT_OVERHEAD_SECONDS: u64 = 300;

/// A half-open span of time in UTC seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Interval {
    /// The first second inside.
    pub start: i64,
    /// The first second after.
    pub end: i64,
}

/// Disk image formats a VM's disk may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskFormat {
    /// VMware.
    Vmdk,
    /// Hyper-V.
    Vhdx,
    /// Virtual PC (`vpc`, VHD).
    Vpc,
    /// QEMU.
    Qcow2,
    /// Raw bytes.
    Raw,
}

impl DiskFormat {
    /// Every format, in the order the spec lists them.
    pub const ALL: [DiskFormat; 5] = [
        DiskFormat::Vmdk,
        DiskFormat::Vhdx,
        DiskFormat::Vpc,
        DiskFormat::Qcow2,
        DiskFormat::Raw,
    ];

    /// The name `qemu-img` and the spec use.
    pub fn name(self) -> &'static str {
        match self {
            DiskFormat::Vmdk => "vmdk",
            DiskFormat::Vhdx => "vhdx",
            DiskFormat::Vpc => "vpc",
            DiskFormat::Qcow2 => "qcow2",
            DiskFormat::Raw => "raw",
        }
    }

    /// The format called `name`.
    pub fn from_name(name: &str) -> Option<DiskFormat> {
        DiskFormat::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A customer and the windows it accepts downtime in.
#[derive(Debug, Clone)]
pub struct CustomerWindows {
    /// The customer's id.
    pub id: String,
    /// Its own windows; `None` means the default ones.
    pub windows: Option<Vec<Window>>,
}

/// A VM to move.
#[derive(Debug, Clone)]
pub struct MigrationVm {
    /// Its id (a vertex of the inventory).
    pub id: String,
    /// The size of its disks.
    pub disk_bytes: u64,
    /// Their format.
    pub format: DiskFormat,
    /// Indices into [`Request::customers`] of the customers whose services run on it, sorted
    /// by id; empty when nobody's do, and the default windows hold.
    pub customers: Vec<usize>,
}

/// Everything the plan depends on.
#[derive(Debug, Clone)]
pub struct Request {
    /// The zone every window is written in.
    pub zone: TimeZone,
    /// The first civil day waves may use.
    pub from: Date,
    /// The link's speed, bit/s.
    pub link_bits_per_second: u64,
    /// How many VMs move at once, each on an equal share of the link.
    pub streams: u32,
    /// Seconds added to each VM's transfer.
    pub overhead_seconds: u64,
    /// Windows of customers without their own, and of VMs without customers.
    pub default_windows: Vec<Window>,
    /// The customers the VMs name.
    pub customers: Vec<CustomerWindows>,
    /// The VMs.
    pub vms: Vec<MigrationVm>,
}

impl Request {
    /// How long VM `vm` is down, in seconds.
    pub fn downtime(&self, vm: &MigrationVm) -> u64 {
        downtime_seconds(
            vm.disk_bytes,
            self.link_bits_per_second,
            self.streams,
            self.overhead_seconds,
        )
    }
}

/// A VM's place in a wave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Index into [`Request::vms`].
    pub vm: usize,
    /// When it goes down, UTC seconds.
    pub start: i64,
    /// When it is up again, UTC seconds.
    pub end: i64,
}

/// VMs moved in one common window occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wave {
    /// The first VM's start.
    pub start: i64,
    /// The last VM's end.
    pub end: i64,
    /// Its VMs by start, then id.
    pub vms: Vec<Placed>,
}

/// Why a VM found no room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// Its customers have no window in common within the horizon.
    NoCommonWindow,
    /// Their longest common window is shorter than its downtime.
    TooLong,
    /// Every common window long enough is taken by other VMs.
    Full,
}

/// A VM that fits in no window within the horizon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaceable {
    /// Index into [`Request::vms`].
    pub vm: usize,
    /// Why, for programs.
    pub shortfall: Shortfall,
    /// Why, for people.
    pub reason: String,
}

/// The waves in time order and the VMs left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Waves by start.
    pub waves: Vec<Wave>,
    /// Left-out VMs by id.
    pub unplaceable: Vec<Unplaceable>,
}

impl Plan {
    /// For each customer of `request`, how many waves hold any of its VMs.
    pub fn interruptions(&self, request: &Request) -> Vec<u32> {
        let mut counts = vec![0u32; request.customers.len()];
        let mut seen = HashSet::new();
        for wave in &self.waves {
            seen.clear();
            for p in &wave.vms {
                for &c in &request.vms[p.vm].customers {
                    if seen.insert(c) {
                        counts[c] += 1;
                    }
                }
            }
        }
        counts
    }
}

/// Plans the waves of `request`.
pub fn plan(request: &Request) -> Plan {
    planner::Planner::new(request).run()
}

/// The customers (numbers of [`Inventory::customers`]) whose services go down while `vm`
/// moves: the what-if of `vm` alone down. A customer whose service only loses redundancy (a
/// second DNS server stays up) is not interrupted, so its windows do not bind the VM. Sorted
/// by id.
pub fn customers_of(inventory: &Inventory, vm: VertexId) -> Vec<u32> {
    let w = WhatIf::alone(&inventory.graph, &[(vm, State::Down)]);
    let mut customers: Vec<u32> = w
        .changes()
        .iter()
        .filter(|c| c.to == State::Down)
        .filter_map(|c| inventory.service_of(c.vertex))
        .map(|s| s.customer)
        .filter(|&c| c != NONE)
        .collect();
    customers.sort_unstable_by(|&a, &b| inventory.customer_id(a).cmp(inventory.customer_id(b)));
    customers.dedup();
    customers
}

#[cfg(test)]
mod tests;
