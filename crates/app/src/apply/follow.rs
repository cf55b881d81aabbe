//! What a follower reads of the other instances' work: the incident view the leader wrote,
//! and customers' preferences saved elsewhere, woken by notifications.

use tocsin_store::{channel, AccountStore, LogStore, Wake};

use super::Applying;
use crate::notices::Incidents;
use crate::recipients::Recipients;

impl Applying {
    pub(super) async fn woken(&mut self, woken: Vec<Wake>) {
        let mut log = false;
        let mut customers = Vec::new();
        let mut everything = false;
        for w in woken {
            match w {
                Wake::Told(c, _) if c == channel::LOG => log = true,
                Wake::Told(c, p) if c == channel::PREFERENCES => customers.push(p),
                Wake::Told(..) => {}
                Wake::Reconnected => everything = true,
            }
        }
        if everything {
            match self.parts.store.all_preferences().await {
                Ok(all) => {
                    if let Ok(mut live) = self.parts.live.lock() {
                        *live.incidents.recipients_mut() = Recipients::from_preferences(&all);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not read the customers' preferences"),
            }
        } else {
            for customer in customers {
                self.preferences_changed(&customer).await;
            }
        }
        if log || everything {
            self.catch_up().await;
        }
        if everything && !self.leading() {
            self.refresh_incidents(true).await;
        }
    }

    /// A customer's preferences were saved on some instance: the next notices follow them.
    async fn preferences_changed(&mut self, customer: &str) {
        match self.parts.store.preferences(customer).await {
            Ok(Some(p)) => {
                if let Ok(mut live) = self.parts.live.lock() {
                    live.incidents.recipients_mut().set(customer, &p);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, %customer, "could not read the preferences"),
        }
    }

    /// A follower reads the open incidents the leader wrote, when the leader got further
    /// (or `always`). Once a second at most (the tick): the leader commits far more often.
    pub(super) async fn refresh_incidents(&mut self, always: bool) {
        let view = match self.parts.store.incident_view().await {
            Ok(view) => view,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the open incidents");
                return;
            }
        };
        let leadership = view.leadership;
        self.parts
            .standing
            .epoch
            .store(leadership.epoch, std::sync::atomic::Ordering::Relaxed);
        if !always && leadership.applied == self.leader_applied {
            return;
        }
        let Ok(mut live) = self.parts.live.lock() else {
            return;
        };
        let live = &mut *live;
        let recipients = live.incidents.recipients().clone();
        live.incidents = Incidents::restore(
            &live.inventory,
            view.open_incidents,
            view.last_incident_id,
            self.parts.hold_down_ms,
            recipients,
            view.backlog,
        );
        self.leader_applied = leadership.applied;
    }
}
