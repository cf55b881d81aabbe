//! The leader's settlement of a final month: credits offered once with their e-mails,
//! revised while only offered when outages are recorded late, expired to their first offer.

use serde_json::json;
use tocsin_model::inventory::NONE;
use tocsin_model::sla::{round_money, service_days};
use tocsin_model::Inventory;
use tocsin_store::{Credit, NewCredit, NewNotice, SlaStore, StoreError, CREDIT_ID_PLACEHOLDER};

use super::view::{amount_text, to_minor, OfferValue};
use super::{month_account, CREDIT_KIND_PREFIX};
use crate::sla::{span, Month, OfferKind};
use crate::{Principal, System};

impl System {
    /// Offers the credits of the last month once it is final (and its longest `min_outage`
    /// past), with an e-mail to each customer's contacts, unless that month is `settled`
    /// already; answers how many were new and the month settled. Run by the leader every
    /// minute and when an outage is recorded; the store keeps one credit per service and month.
    pub(crate) async fn offer_credits(
        &self,
        settled: Option<Month>,
    ) -> Result<(usize, Option<Month>), StoreError> {
        let now = self.clock.now_ms();
        let policy = std::sync::Arc::clone(&self.sla);
        let zone = &policy.time_zone;
        let month = Month::of(now, zone).previous();
        if settled == Some(month) {
            return Ok((0, settled));
        }
        let Ok(inventory) = self.inventory_now() else {
            return Ok((0, settled));
        };
        let (_, to) = span(&inventory, month, zone, i64::MAX);
        if now < to {
            return Ok((0, settled));
        }
        let a = month_account(
            &self.store,
            std::sync::Arc::clone(&inventory),
            std::sync::Arc::clone(&policy),
            month,
            now,
            None,
        )
        .await?;
        let recipients = self.read(|live| live.incidents.recipients().clone()).ok();
        let deadline = month.end_plus_days(policy.claim_days, zone);
        let mut batch: Vec<(NewCredit, Vec<NewNotice>)> = Vec::new();
        let existing: std::collections::HashMap<String, Credit> = self
            .store
            .credits(None, None, Some(&month.to_string()))
            .await?
            .into_iter()
            .map(|c| (c.credit.service.clone(), c))
            .collect();
        let mut revise: Vec<(i64, NewCredit)> = Vec::new();
        for line in a.lines(&inventory, &policy) {
            let Some(amounts) = line.credit else {
                continue;
            };
            let service_id = inventory.graph.name(line.vertex);
            let Some(s) = inventory.service_of(line.vertex) else {
                continue;
            };
            let plan = &inventory.plans[line.plan as usize];
            let offers: Vec<OfferValue> = policy
                .offers
                .iter()
                .map(|o| OfferValue {
                    id: o.id.clone(),
                    kind: o.kind.as_str().to_owned(),
                    value: match o.kind {
                        OfferKind::AccountCredit => {
                            json!(round_money(amounts.gross * o.multiplier, plan.currency)
                                .to_string())
                        }
                        OfferKind::ServiceDays => json!(service_days(
                            amounts.net,
                            o.multiplier,
                            plan.price,
                            month.days()
                        )),
                    },
                })
                .collect();
            let customer = if s.customer == NONE {
                String::new()
            } else {
                inventory.customer_id(s.customer).to_owned()
            };
            let credit = NewCredit {
                service: service_id.to_owned(),
                customer: customer.clone(),
                month: month.to_string(),
                percent: amounts.percent.normalize().to_string(),
                net_minor: to_minor(amounts.net, plan.currency),
                vat_minor: to_minor(amounts.vat, plan.currency),
                gross_minor: to_minor(amounts.gross, plan.currency),
                currency: plan.currency.code().to_owned(),
                vat_rate: amounts.vat_rule.rate.normalize().to_string(),
                reverse_charge: amounts.vat_rule.reverse_charge,
                month_seconds: line.month_s,
                down_seconds: line.down_s,
                offers: serde_json::to_string(&offers).unwrap_or_else(|_| "[]".into()),
                default_offer: offers.first().map(|o| o.id.clone()).unwrap_or_default(),
                needs_approval: amounts.percent > policy.auto_approve_percent,
                deadline_ms: deadline,
                created_ms: now,
            };
            if let Some(old) = existing.get(service_id) {
                let o = &old.credit;
                let changed = (o.net_minor, o.down_seconds, &o.offers, o.needs_approval)
                    != (
                        credit.net_minor,
                        credit.down_seconds,
                        &credit.offers,
                        credit.needs_approval,
                    );
                if changed && old.status == tocsin_store::CREDIT_OFFERED {
                    revise.push((old.id, credit));
                }
                continue;
            }
            let notices = match (&recipients, s.customer) {
                (Some(r), c) if c != NONE => {
                    credit_notices(&inventory, r, c, &line, &credit, &offers, plan)
                }
                _ => Vec::new(),
            };
            batch.push((credit, notices));
        }
        let system = Principal::automatic("system");
        for (id, credit) in &revise {
            if self.store.revise_credit(*id, credit).await? {
                let detail = format!(
                    "{} {} net {} {} after outages recorded late",
                    credit.service,
                    credit.month,
                    amount_text(credit.net_minor, &credit.currency),
                    credit.currency
                );
                self.audit(&system, "credit.revise", &format!("credit:{id}"), &detail)
                    .await;
            }
        }
        if batch.is_empty() {
            return Ok((0, Some(month)));
        }
        let mut made = 0;
        for chunk in batch.chunks(500) {
            let ids = self.store.offer_credits(chunk).await?;
            for ((credit, _), id) in chunk.iter().zip(ids) {
                let Some(id) = id else { continue };
                made += 1;
                self.audit(
                    &system,
                    "credit.offer",
                    &format!("credit:{id}"),
                    &format!(
                        "{} {} net {} {}",
                        credit.service,
                        credit.month,
                        amount_text(credit.net_minor, &credit.currency),
                        credit.currency
                    ),
                )
                .await;
            }
        }
        self.outbox_wake.notify_one();
        tracing::info!(month = %month, offered = made, "SLA credits offered");
        Ok((made, Some(month)))
    }

    /// Credits not chosen by their deadline take their first offer: audited as
    /// `credit.expire`; those small enough need no approval and go to billing.
    pub(crate) async fn expire_credits(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let expired = self.store.expire_credits(now).await?;
        let system = Principal::automatic("system");
        for c in &expired {
            self.audit(
                &system,
                "credit.expire",
                &format!("credit:{}", c.id),
                c.choice.as_deref().unwrap_or(""),
            )
            .await;
            if !c.credit.needs_approval {
                self.bill(c).await;
            }
        }
        Ok(expired.len())
    }
}

/// The e-mails telling customer `c`'s contacts of `credit`, in their languages.
fn credit_notices(
    inventory: &Inventory,
    recipients: &crate::recipients::Recipients,
    c: u32,
    line: &crate::sla::Line,
    credit: &NewCredit,
    offers: &[OfferValue],
    plan: &tocsin_model::sla::Plan,
) -> Vec<NewNotice> {
    let Some(customer) = inventory.customers.get(c as usize) else {
        return Vec::new();
    };
    let service_name = inventory
        .service_of(line.vertex)
        .filter(|s| s.name != NONE)
        .map_or_else(
            || credit.service.clone(),
            |s| inventory.texts.get(s.name).to_owned(),
        );
    let payload = crate::notices::Payload {
        title: String::new(),
        customer_name: customer.name.to_string(),
        services: Vec::new(),
        body: String::new(),
        at_risk: 0,
        window: None,
        credit: Some(crate::notices::PayloadCredit {
            id: CREDIT_ID_PLACEHOLDER.to_owned(),
            service_id: credit.service.clone(),
            service_name,
            month: credit.month.clone(),
            down_seconds: credit.down_seconds,
            availability: format!("{} %", line.availability),
            sla: format!("{} %", plan.sla.normalize()),
            net: amount_text(credit.net_minor, &credit.currency),
            vat: amount_text(credit.vat_minor, &credit.currency),
            gross: amount_text(credit.gross_minor, &credit.currency),
            currency: credit.currency.clone(),
            reverse_charge: credit.reverse_charge,
            deadline_ms: credit.deadline_ms,
            offers: offers
                .iter()
                .map(|o| {
                    let value = match &o.value {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (o.id.clone(), o.kind.clone(), value)
                })
                .collect(),
        }),
    };
    let payload = serde_json::to_string(&payload).unwrap_or_default();
    recipients
        .mail(inventory, c)
        .into_iter()
        .map(|(email, language)| NewNotice {
            incident_id: 0,
            customer: credit.customer.clone(),
            contact: email,
            language: language.code().to_owned(),
            kind: format!("{CREDIT_KIND_PREFIX}{CREDIT_ID_PLACEHOLDER}.offered"),
            payload: payload.clone(),
            created_ms: credit.created_ms,
        })
        .collect()
}
