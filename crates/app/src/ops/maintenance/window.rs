//! Planning one window: the checks, the what-if of its targets, the notices queued with it
//! and the audit entry. The running system plans on its live inventory; `tocsin migrate
//! announce` plans on the database alone (`plan_maintenance_offline`), and a running server
//! picks the window and its due notices up from the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use tocsin_model::time::human;
use tocsin_model::{Inventory, VertexId};
use tocsin_store::{AccountStore, AnyStore, Maintenance, MaintenanceStore};

use super::notices::{reminders, Notices};
use super::{check_times, lead_times, MaintenancePlan, MAX_TARGETS, START_SLACK_MS};
use crate::ops::Refused;
use crate::planned::{targets_impact, window_times};
use crate::recipients::Recipients;
use crate::{Action, Principal};

/// What planning a window needs to know.
pub(super) struct Planning<'a> {
    pub(super) store: &'a AnyStore,
    pub(super) inventory: Arc<Inventory>,
    pub(super) recipients: &'a Recipients,
    pub(super) time_zone: &'a jiff::tz::TimeZone,
    pub(super) now: i64,
}

/// The contacts (address, language code) of each customer of `by_customer`, as the pipeline
/// would mail them: the inventory's with the customers' own choices.
pub(super) fn contacts(
    recipients: &Recipients,
    inventory: &Inventory,
    by_customer: &BTreeMap<u32, Vec<VertexId>>,
) -> BTreeMap<u32, Vec<(String, String)>> {
    by_customer
        .keys()
        .map(|&c| {
            let mail = recipients
                .mail(inventory, c)
                .into_iter()
                .map(|(e, l)| (e, l.code().to_owned()))
                .collect();
            (c, mail)
        })
        .collect()
}

/// Plans `plan` on the database alone, for `who` (who must be allowed to plan maintenance),
/// with `inventory` and the customers' stored choices of recipients; answers the window as
/// stored. Audited like a window planned in the console.
pub async fn plan_maintenance_offline(
    store: &AnyStore,
    inventory: Arc<Inventory>,
    time_zone: &jiff::tz::TimeZone,
    now: i64,
    who: &Principal,
    plan: &MaintenancePlan,
) -> Result<Maintenance, Refused> {
    who.require(Action::Maintenance)?;
    let recipients = Recipients::from_preferences(&store.all_preferences().await?);
    let planning = Planning {
        store,
        inventory,
        recipients: &recipients,
        time_zone,
        now,
    };
    Ok(planning.plan(who, plan, None).await?.0)
}

impl Planning<'_> {
    /// Checks and stores the window with its notices; answers it and whether any notice was
    /// queued.
    pub(super) async fn plan(
        &self,
        who: &Principal,
        plan: &MaintenancePlan,
        drill: Option<(i64, i64)>,
    ) -> Result<(Maintenance, bool), Refused> {
        let now = self.now;
        let title = plan.title.trim();
        if title.is_empty() {
            return Err(Refused::invalid(
                "title",
                "title: give the window a public title",
            ));
        }
        if plan.components.is_empty() && plan.targets.is_empty() {
            return Err(Refused::invalid(
                "targets",
                "targets: name the inventory vertices the work takes down, or tick a component",
            ));
        }
        if plan.targets.len() > MAX_TARGETS {
            return Err(Refused::invalid(
                "targets",
                format!("targets: at most {MAX_TARGETS} in one window"),
            ));
        }
        let inventory = &self.inventory;
        let mut targets = Vec::new();
        let mut unknown_targets = Vec::new();
        for t in &plan.targets {
            match inventory.graph.find(t.trim()) {
                Some(v) => targets.push(v),
                None => unknown_targets.push(format!("`{}`", t.trim())),
            }
        }
        let unknown_components: Vec<String> = plan
            .components
            .iter()
            .filter(|c| !inventory.components.iter().any(|k| &*k.id == c.as_str()))
            .map(|c| format!("`{c}`"))
            .collect();
        if !unknown_targets.is_empty() {
            return Err(Refused::invalid(
                "targets",
                format!(
                    "targets: unknown vertex id {}: no node or service has it",
                    unknown_targets.join(", ")
                ),
            ));
        }
        if !unknown_components.is_empty() {
            return Err(Refused::invalid(
                "components",
                format!(
                    "components: unknown component {}",
                    unknown_components.join(", ")
                ),
            ));
        }
        let (starts_ms, ends_ms) = check_times(plan.starts_ms, plan.ends_ms, now)?;
        if !targets.is_empty() && starts_ms < now - START_SLACK_MS {
            return Err(Refused::invalid(
                "starts",
                "starts: the window starts in the past; customers are told before it starts",
            ));
        }
        let notify_ms = lead_times(plan.notify.as_deref())?;
        // A core switch's what-if reaches most of a large graph (a second on a million
        // services): off the async workers, so requests and the pipeline go on meanwhile.
        let found = {
            let (inventory, targets) = (Arc::clone(inventory), targets.clone());
            tokio::task::spawn_blocking(move || targets_impact(&inventory, &targets))
                .await
                .map_err(|e| Refused::Unavailable(format!("the what-if stopped: {e}")))?
        };
        let mut components: Vec<String> = plan
            .components
            .iter()
            .cloned()
            .chain(found.components.iter().cloned())
            .collect();
        components.sort_unstable();
        components.dedup();
        let mut target_ids: Vec<String> = targets
            .iter()
            .map(|&v| inventory.graph.name(v).to_owned())
            .collect();
        target_ids.sort_unstable();
        target_ids.dedup();
        let mut m = Maintenance {
            id: 0,
            title: title.to_owned(),
            body: plan.body.trim().to_owned(),
            components,
            starts_ms,
            ends_ms,
            created_by: who.login.clone(),
            created_ms: now,
            cancelled_ms: None,
            sequence: 0,
            updated_ms: now,
            targets: target_ids,
            notify_ms,
            impact: found.impact,
            drill,
        };
        let contacts = contacts(self.recipients, inventory, &found.by_customer);
        let n = Notices {
            inventory,
            window: &m,
            times: window_times(starts_ms, ends_ms, self.time_zone),
        };
        let mut notices = Vec::new();
        n.each(
            &contacts,
            &found.by_customer,
            "announced",
            now,
            &mut notices,
        );
        reminders(&n, &contacts, &found.by_customer, 0, now, &mut notices);
        m.id = self.store.add_maintenance(&m, &notices).await?;
        let detail = format!(
            "{title} ({} – {}; targets {}; components {}; {} services down, {} customers told, {} notices)",
            human(starts_ms),
            human(ends_ms),
            m.targets.join(", "),
            m.components.join(", "),
            m.impact.down_services.len(),
            m.impact.affected_customers.len(),
            notices.len()
        );
        let target = format!("maintenance:{}", m.id);
        if let Err(e) = self
            .store
            .audit(now, &who.login, "maintenance.plan", &target, &detail)
            .await
        {
            tracing::error!(error = %e, actor = %who.login, action = "maintenance.plan", target, detail, "audit entry not stored");
        }
        Ok((m, !notices.is_empty()))
    }
}
