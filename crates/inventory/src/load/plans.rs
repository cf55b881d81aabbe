//! The SLA entries of an inventory: plans (what a service's customer pays and is promised) and
//! credit policies (how downtime turns into a percent of the month's price).
//!
//! Amounts and percents are read from the scalar's text straight into a [`Decimal`], never
//! through a float, so that `price: 12.00` is exactly 12.00 and `below: 99.9` exactly 99.9.

use tocsin_model::sla::{CreditPolicy, CreditRule, Currency, Decimal, Plan, Tier};

use super::{Entry, Loader, Loc};
use crate::fields::Fields;
use crate::yaml::{Node, Pos};

pub(super) const PLAN_KEYS: &[&str] = &[
    "id",
    "name",
    "price",
    "currency",
    "sla",
    "credits",
    "maintenance",
];
pub(super) const POLICY_KEYS: &[&str] = &["id", "tiers", "per_hour", "cap", "min_outage"];
const TIER_KEYS: &[&str] = &["below", "percent"];

/// A plan as read, with the credit policy it names (resolved at the end: policies may be
/// defined after the plans that name them).
#[derive(Clone)]
pub(crate) struct RawPlan {
    pub(crate) plan: Plan,
    pub(crate) policy: (u32, Loc),
}

impl Loader {
    pub(super) fn plan(&mut self, f: u32, item: &Node<'_>, err: &mut dyn FnMut(Pos, String)) {
        let Some((fields, id, p)) = self.define_entry(f, item, Entry::Plan, err) else {
            return;
        };
        let required = |key: &str, err: &mut dyn FnMut(Pos, String)| {
            let value = fields.text(key, err);
            if value.is_none() && fields.get(key).is_none() {
                err(fields.pos, format!("the plan `{id}` has no `{key}`"));
            }
            value
        };
        let price = required("price", err).and_then(|(text, pos)| match decimal(text) {
            Some(d) if d >= Decimal::ZERO => Some(d),
            _ => {
                err(
                    pos,
                    format!(
                        "`price` must be a non-negative decimal such as \"12.00\", found `{text}`"
                    ),
                );
                None
            }
        });
        let currency = required("currency", err).and_then(|(code, pos)| {
            match Currency::from_code(code).filter(|c| c.exponent().is_some()) {
                Some(c) => Some(c),
                None => {
                    err(
                        pos,
                        format!("unknown currency `{code}` (an ISO 4217 code with a minor unit, such as EUR)"),
                    );
                    None
                }
            }
        });
        let sla = required("sla", err).and_then(|(t, pos)| percent("sla", t, pos, err));
        let policy = required("credits", err).map(|(policy, pos)| {
            let named = (self.credit_policies.refer(policy), Loc { file: f, pos });
            self.policy_refs.push(named);
            named
        });
        let maintenance_excluded = match fields.text("maintenance", err) {
            None | Some(("excluded", _)) => Some(true),
            Some(("counted", _)) => Some(false),
            Some((other, pos)) => {
                err(
                    pos,
                    format!("`maintenance` must be `excluded` or `counted`, found `{other}`"),
                );
                None
            }
        };
        let name = fields.text("name", err).map_or(id, |(n, _)| n);
        let (Some(price), Some(currency), Some(sla), Some(policy), Some(maintenance_excluded)) =
            (price, currency, sla, policy, maintenance_excluded)
        else {
            return;
        };
        self.plan_data
            .resize_with(self.plans.defined.len(), || None);
        self.plan_data[p as usize] = Some(RawPlan {
            plan: Plan {
                id: id.into(),
                name: name.into(),
                price,
                currency,
                sla,
                policy: policy.0,
                maintenance_excluded,
            },
            policy,
        });
    }

    pub(super) fn credit_policy(
        &mut self,
        f: u32,
        item: &Node<'_>,
        err: &mut dyn FnMut(Pos, String),
    ) {
        let Some((fields, id, c)) = self.define_entry(f, item, Entry::CreditPolicy, err) else {
            return;
        };
        let rule = match (fields.get("tiers"), fields.get("per_hour")) {
            (Some(tiers), None) => {
                if let Some(cap) = fields.get("cap") {
                    err(
                        cap.pos(),
                        "`cap` belongs to a `per_hour` policy, not to one with `tiers`".into(),
                    );
                }
                tiers_of(tiers, err).map(CreditRule::Tiers)
            }
            (None, Some(_)) => {
                let per_hour = fields
                    .text("per_hour", err)
                    .and_then(|(t, pos)| percent("per_hour", t, pos, err));
                let cap = match fields.text("cap", err) {
                    None if fields.get("cap").is_none() => Some(Decimal::ONE_HUNDRED),
                    None => None,
                    Some((t, pos)) => percent("cap", t, pos, err),
                };
                match (per_hour, cap) {
                    (Some(per_hour), Some(cap)) => Some(CreditRule::PerHour { per_hour, cap }),
                    _ => None,
                }
            }
            (Some(tiers), Some(per_hour)) => {
                err(
                    tiers.pos().max(per_hour.pos()),
                    format!(
                        "the credit policy `{id}` has both `tiers` and `per_hour`: it takes one"
                    ),
                );
                None
            }
            (None, None) => {
                err(
                    fields.pos,
                    format!("the credit policy `{id}` has neither `tiers` nor `per_hour`"),
                );
                None
            }
        };
        let min_outage_ms = match fields.text("min_outage", err) {
            None if fields.get("min_outage").is_none() => Some(0),
            None => None,
            Some((t, pos)) => {
                let ms = duration_ms(t);
                if ms.is_none() {
                    err(
                        pos,
                        format!("`min_outage` must be a duration such as 30s, 5m, 1h30m or 2d, found `{t}`"),
                    );
                }
                ms
            }
        };
        let (Some(rule), Some(min_outage_ms)) = (rule, min_outage_ms) else {
            return;
        };
        self.policy_data
            .resize_with(self.credit_policies.defined.len(), || None);
        self.policy_data[c as usize] = Some(CreditPolicy {
            id: id.into(),
            rule,
            min_outage_ms,
        });
    }
}

/// The tiers of a tiered policy: a non-empty list of `{below, percent}`.
fn tiers_of(node: &Node<'_>, err: &mut dyn FnMut(Pos, String)) -> Option<Box<[Tier]>> {
    let items = match node {
        Node::Seq { items, pos } if items.is_empty() => {
            err(*pos, "`tiers` must list at least one tier".into());
            return None;
        }
        Node::Seq { items, .. } => items,
        other => {
            err(
                other.pos(),
                format!("`tiers` must be a list, found {}", other.type_name()),
            );
            return None;
        }
    };
    let mut tiers = Vec::with_capacity(items.len());
    let mut complete = true;
    for item in items {
        let Some(tf) = Fields::check(item, TIER_KEYS, "a tier", err) else {
            complete = false;
            continue;
        };
        let mut field = |key: &str| {
            let value = tf.text(key, err);
            if value.is_none() && tf.get(key).is_none() {
                err(tf.pos, format!("a tier without `{key}`"));
            }
            value.and_then(|(t, pos)| percent(key, t, pos, err))
        };
        match (field("below"), field("percent")) {
            (Some(below), Some(percent)) => tiers.push(Tier { below, percent }),
            _ => complete = false,
        }
    }
    complete.then(|| tiers.into_boxed_slice())
}

/// `text` as a percent, 0 to 100, reporting anything else at `pos`.
fn percent(key: &str, text: &str, pos: Pos, err: &mut dyn FnMut(Pos, String)) -> Option<Decimal> {
    match decimal(text) {
        Some(d) if d >= Decimal::ZERO && d <= Decimal::ONE_HUNDRED => Some(d),
        _ => {
            err(
                pos,
                format!("`{key}` must be a decimal from 0 to 100, found `{text}`"),
            );
            None
        }
    }
}

/// A decimal written as `[+-]DIGITS[.DIGITS]`, exactly as written (`12.00` keeps its two
/// decimals). Refuses exponents, separators and anything a float would round.
pub(crate) fn decimal(text: &str) -> Option<Decimal> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !fraction.is_none_or(digits) {
        return None;
    }
    let mut d = Decimal::from_str_exact(text.strip_prefix('+').unwrap_or(text)).ok()?;
    if d.is_zero() {
        // `-0` is zero, not a negative amount.
        d.set_sign_positive(true);
    }
    Some(d)
}

/// A duration such as `30s`, `5m`, `1h30m` or `2d` in milliseconds: whole numbers each with a
/// unit, largest unit first, each unit once.
pub(crate) fn duration_ms(text: &str) -> Option<i64> {
    const UNITS: [(u8, i64); 4] = [
        (b'd', 86_400_000),
        (b'h', 3_600_000),
        (b'm', 60_000),
        (b's', 1_000),
    ];
    let bytes = text.as_bytes();
    let mut total: i64 = 0;
    let mut at = 0;
    // Units still allowed: those after the last one seen.
    let mut next_unit = 0;
    while at < bytes.len() {
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        if at == start || at == bytes.len() {
            return None;
        }
        let number: i64 = text[start..at].parse().ok()?;
        let unit = UNITS[next_unit..]
            .iter()
            .position(|&(u, _)| u == bytes[at])?;
        let (_, ms) = UNITS[next_unit + unit];
        next_unit += unit + 1;
        total = total.checked_add(number.checked_mul(ms)?)?;
        at += 1;
    }
    (!text.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests;
