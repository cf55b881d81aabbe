//! SLA accounting as pure arithmetic: plans and credit policies, the down intervals of
//! services along a timeline of observations, and the credit a month's downtime earns.
//!
//! Money is [`Decimal`], never a float, rounded once to the currency's minor unit, half away
//! from zero. Durations are milliseconds on the timeline and whole seconds in a month's
//! account, so that the comparisons with tier bounds are exact.

use std::sync::Arc;

use hashbrown::HashMap;
pub use iso_currency::Currency;
use rust_decimal::prelude::ToPrimitive;
pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;

use crate::alerts::{AlertKey, Observations};
use crate::down::DownOnly;
use crate::graph::{Graph, VertexId};
use crate::impact::State;

/// What a service's customer pays for and is promised.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Its id in the inventory.
    pub id: Box<str>,
    /// Display name.
    pub name: Box<str>,
    /// Price per month, net of VAT.
    pub price: Decimal,
    /// ISO 4217 currency of the price, with a minor unit.
    pub currency: Currency,
    /// Promised monthly availability, percent.
    pub sla: Decimal,
    /// Index into [`crate::Inventory::credit_policies`].
    pub policy: u32,
    /// Whether downtime in announced maintenance is left out of the account.
    pub maintenance_excluded: bool,
}

/// How downtime turns into a percent of the month's price.
#[derive(Debug, Clone)]
pub struct CreditPolicy {
    /// Its id in the inventory.
    pub id: Box<str>,
    /// The rule.
    pub rule: CreditRule,
    /// Down intervals shorter than this (milliseconds) do not count; 0 when every one does.
    pub min_outage_ms: i64,
}

/// The two kinds of credit policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditRule {
    /// A percent by the month's availability: the largest `percent` among the tiers whose
    /// `below` is greater than the availability.
    Tiers(Box<[Tier]>),
    /// `per_hour` percent per hour of downtime, at most `cap` percent.
    PerHour {
        /// Percent of the month's price per hour of downtime.
        per_hour: Decimal,
        /// Percent at most.
        cap: Decimal,
    },
}

/// One step of a tiered policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    /// Availability (percent) under which the tier applies.
    pub below: Decimal,
    /// Percent of the month's price credited.
    pub percent: Decimal,
}

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

impl CreditRule {
    /// The percent of the price credited for `down_s` seconds of downtime in a month of
    /// `month_s` seconds. Exact: availability is compared as a fraction, never a float.
    pub fn percent(&self, month_s: i64, down_s: i64) -> Decimal {
        let month_s = month_s.max(1);
        let down_s = down_s.clamp(0, month_s);
        match self {
            CreditRule::Tiers(tiers) => {
                // below > 100 (L − D) / L  ⇔  below · L > 100 (L − D), L > 0.
                let up = HUNDRED * Decimal::from(month_s - down_s);
                let length = Decimal::from(month_s);
                tiers
                    .iter()
                    .filter(|t| t.below * length > up)
                    .map(|t| t.percent)
                    .max()
                    .unwrap_or(Decimal::ZERO)
            }
            CreditRule::PerHour { per_hour, cap } => {
                let hours_times_3600 = *per_hour * Decimal::from(down_s);
                if hours_times_3600 >= *cap * Decimal::from(3600) {
                    *cap
                } else {
                    hours_times_3600 / Decimal::from(3600)
                }
            }
        }
    }
}

/// Availability in percent, rounded to four decimals (for display and JSON only).
pub fn availability(month_s: i64, down_s: i64) -> Decimal {
    let month_s = month_s.max(1);
    let down_s = down_s.clamp(0, month_s);
    (HUNDRED * Decimal::from(month_s - down_s) / Decimal::from(month_s))
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// The number of decimals of `currency`'s minor unit (2 when the table has none).
pub fn minor_digits(currency: Currency) -> u32 {
    currency.exponent().map_or(2, u32::from)
}

/// `amount` rounded once to `currency`'s minor unit, half away from zero, and shown with
/// exactly that many decimals.
pub fn round_money(amount: Decimal, currency: Currency) -> Decimal {
    let digits = minor_digits(currency);
    let mut r = amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(digits);
    r
}

/// The VAT a customer's credit bears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatRule {
    /// Percent.
    pub rate: Decimal,
    /// The customer accounts for the VAT itself (a business in another country of the table).
    pub reverse_charge: bool,
}

/// The VAT rule for a customer of `country` with or without a VAT id, billed by a provider of
/// `provider`, by `table` (percent by ISO country code): the customer's country's rate; none,
/// as a reverse charge, for a business with a VAT id in another country of the table (the
/// provider's in it too); none for a country not in the table, or no country at all.
pub fn vat_rule(
    table: &[([u8; 2], Decimal)],
    provider: [u8; 2],
    country: Option<[u8; 2]>,
    has_vat_id: bool,
) -> VatRule {
    let rate_of = |c: [u8; 2]| table.iter().find(|(k, _)| *k == c).map(|&(_, r)| r);
    let none = VatRule {
        rate: Decimal::ZERO,
        reverse_charge: false,
    };
    let Some(country) = country else {
        return none;
    };
    match rate_of(country) {
        None => none,
        Some(_) if has_vat_id && country != provider && rate_of(provider).is_some() => VatRule {
            rate: Decimal::ZERO,
            reverse_charge: true,
        },
        Some(rate) => VatRule {
            rate,
            reverse_charge: false,
        },
    }
}

/// What a credit is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amounts {
    /// Percent of the month's price.
    pub percent: Decimal,
    /// Net of VAT, in the currency's minor unit.
    pub net: Decimal,
    /// The VAT rule applied.
    pub vat_rule: VatRule,
    /// VAT, rounded the same way.
    pub vat: Decimal,
    /// Net plus VAT.
    pub gross: Decimal,
}

/// The credit `percent` of `plan`'s price makes under `vat`; `None` when its net rounds to
/// zero (no credit is made for nothing).
pub fn amounts(plan: &Plan, percent: Decimal, vat: VatRule) -> Option<Amounts> {
    let net = round_money(plan.price * percent / HUNDRED, plan.currency);
    if net <= Decimal::ZERO {
        return None;
    }
    let tax = round_money(net * vat.rate / HUNDRED, plan.currency);
    Some(Amounts {
        percent,
        net,
        vat_rule: vat,
        vat: tax,
        gross: net + tax,
    })
}

/// Free days of service worth `net` × `multiplier` at `price` a month of `days` days:
/// ⌈net × multiplier ÷ (price ÷ days)⌉, 0 for a free plan.
pub fn service_days(net: Decimal, multiplier: Decimal, price: Decimal, days: u32) -> u32 {
    if price <= Decimal::ZERO {
        return 0;
    }
    let d = (net * multiplier * Decimal::from(days) / price).ceil();
    d.to_u32().unwrap_or(u32::MAX)
}

/// One maximal interval in which a watched vertex was down, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownInterval {
    /// The vertex.
    pub vertex: VertexId,
    /// From.
    pub start: i64,
    /// To (exclusive).
    pub end: i64,
    /// It was already down when the timeline began, or still down when it ended: its whole
    /// length is at least what is seen here.
    pub cut: bool,
}

/// Down intervals of watched vertices along a timeline of observations, evaluated with the
/// impact semantics at every change (the down rule only: see [`DownOnly`]).
///
/// Feed it the observations holding at the timeline's start, call [`Timeline::begin`], then
/// the changes in order; times that go backwards are taken as the latest time seen, so a
/// clock that jumped never makes a negative or lost interval.
pub struct Timeline {
    down: DownOnly,
    observations: Observations,
    watched: Vec<u64>,
    open: HashMap<VertexId, (i64, bool)>,
    closed: Vec<DownInterval>,
    now: i64,
    begun: bool,
    changed: Vec<(VertexId, State)>,
    flipped: Vec<VertexId>,
}

impl Timeline {
    /// A timeline over `graph` from `start`, nothing observed, watching `watched`.
    pub fn new(graph: Arc<Graph>, watched: impl IntoIterator<Item = VertexId>, start: i64) -> Self {
        let mut bits = vec![0u64; graph.vertex_count().div_ceil(64)];
        for v in watched {
            bits[v as usize / 64] |= 1 << (v % 64);
        }
        Timeline {
            down: DownOnly::new(graph),
            observations: Observations::new(),
            watched: bits,
            open: HashMap::new(),
            closed: Vec::new(),
            now: start,
            begun: false,
            changed: Vec::new(),
            flipped: Vec::new(),
        }
    }

    /// From `at` on, `key` asserts `state` of `vertices` (nothing, when `state` is up or
    /// `vertices` empty), replacing what it asserted before.
    pub fn assert(&mut self, at: i64, key: AlertKey, state: State, vertices: Vec<VertexId>) {
        self.observations
            .assert(key, state, vertices, &mut self.changed);
        self.settle(at);
    }

    /// From `at` on, `key` asserts nothing.
    pub fn withdraw(&mut self, at: i64, key: &AlertKey) {
        self.observations.withdraw(key, &mut self.changed);
        self.settle(at);
    }

    /// The observations fed so far hold at the start: watched vertices down now are cut
    /// intervals beginning at the start.
    pub fn begin(&mut self) {
        self.begun = true;
        let start = self.now;
        for (w, &bits) in self.watched.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let v = (w * 64) as VertexId + bits.trailing_zeros();
                bits &= bits - 1;
                if self.down.is_down(v) {
                    self.open.insert(v, (start, true));
                }
            }
        }
    }

    /// Ends the timeline at `end`: intervals still open are cut there. Answers every interval,
    /// sorted by vertex then start.
    pub fn finish(mut self, end: i64) -> Vec<DownInterval> {
        let end = end.max(self.now);
        for (v, (start, _)) in self.open.drain() {
            self.closed.push(DownInterval {
                vertex: v,
                start,
                end,
                cut: true,
            });
        }
        self.closed.sort_unstable_by_key(|i| (i.vertex, i.start));
        self.closed
    }

    /// Bytes held on the heap, for the bench.
    pub fn heap_bytes(&self) -> usize {
        self.down.heap_bytes()
            + self.watched.capacity() * 8
            + self.open.capacity() * 24
            + self.closed.capacity() * std::mem::size_of::<DownInterval>()
    }

    fn settle(&mut self, at: i64) {
        if self.begun {
            self.now = self.now.max(at);
        }
        let now = self.now;
        for (v, obs) in self.changed.drain(..) {
            self.flipped.clear();
            self.down.observe(v, obs == State::Down, &mut self.flipped);
            if !self.begun {
                continue;
            }
            for &u in &self.flipped {
                if self.watched[u as usize / 64] & (1 << (u % 64)) == 0 {
                    continue;
                }
                if self.down.is_down(u) {
                    self.open.insert(u, (now, false));
                } else if let Some((start, cut)) = self.open.remove(&u) {
                    if now > start {
                        self.closed.push(DownInterval {
                            vertex: u,
                            start,
                            end: now,
                            cut,
                        });
                    }
                }
            }
        }
    }
}

/// Sorted, disjoint half-open intervals `[start, end)` of milliseconds.
pub type Spans = Vec<(i64, i64)>;

/// `spans` sorted and merged into disjoint intervals.
pub fn merge(mut spans: Spans) -> Spans {
    spans.retain(|&(a, b)| b > a);
    spans.sort_unstable();
    let mut out: Spans = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The total length of the parts of disjoint `spans` within `[lo, hi)`.
pub fn measure_within(spans: &[(i64, i64)], lo: i64, hi: i64) -> i64 {
    spans
        .iter()
        .map(|&(a, b)| (b.min(hi) - a.max(lo)).max(0))
        .sum()
}

/// The parts of disjoint `a` inside disjoint `b`.
pub fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Spans {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if hi > lo {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests;
