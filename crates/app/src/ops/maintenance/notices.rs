//! The notices of a maintenance window: one per contact of each customer told, with the
//! customer's own services that will be down and the window's times, due when they go out.

use std::collections::BTreeMap;

use tocsin_model::{Inventory, VertexId};
use tocsin_store::{DueNotice, Maintenance};

use crate::notices::{service_line, Payload, PayloadWindow};

/// The notices of one kind to every contact of the customers in `by_customer`.
pub(super) struct Notices<'a> {
    pub inventory: &'a Inventory,
    pub window: &'a Maintenance,
    pub times: PayloadWindow,
}

impl Notices<'_> {
    /// One notice per contact of each customer, kind `suffix`, due at `due_ms`.
    pub(super) fn each(
        &self,
        contacts: &BTreeMap<u32, Vec<(String, String)>>,
        by_customer: &BTreeMap<u32, Vec<VertexId>>,
        suffix: &str,
        due_ms: i64,
        out: &mut Vec<DueNotice>,
    ) {
        for (&c, services) in by_customer {
            let Some(customer) = self.inventory.customers.get(c as usize) else {
                continue;
            };
            let payload = Payload {
                title: self.window.title.clone(),
                customer_name: customer.name.to_string(),
                services: services
                    .iter()
                    .map(|&v| {
                        service_line(
                            self.inventory,
                            v,
                            self.window.starts_ms,
                            Some(self.window.ends_ms),
                        )
                    })
                    .collect(),
                body: self.window.body.clone(),
                at_risk: 0,
                window: Some(self.times.clone()),
                credit: None,
            };
            let payload = serde_json::to_string(&payload).unwrap_or_default();
            for (email, language) in contacts.get(&c).into_iter().flatten() {
                out.push(DueNotice {
                    customer: self.inventory.customer_id(c).to_owned(),
                    contact: email.clone(),
                    language: language.clone(),
                    kind: suffix.to_owned(),
                    payload: payload.clone(),
                    due_ms,
                });
            }
        }
    }
}

/// The reminders of `window` at its lead times still ahead of `now_ms`, numbered by `round`
/// (the window's sequence) so that a moved window's reminders are new notices.
pub(super) fn reminders(
    n: &Notices<'_>,
    contacts: &BTreeMap<u32, Vec<(String, String)>>,
    by_customer: &BTreeMap<u32, Vec<VertexId>>,
    round: i64,
    now_ms: i64,
    out: &mut Vec<DueNotice>,
) {
    for &lead in &n.window.notify_ms {
        let due = n.window.starts_ms - lead;
        if due > now_ms {
            n.each(
                contacts,
                by_customer,
                &format!("reminder.{round}.{lead}"),
                due,
                out,
            );
        }
    }
}
