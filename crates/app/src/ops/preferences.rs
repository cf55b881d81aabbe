//! A customer's notice preferences saved: stored, then set in the live state's recipients so
//! that the next notices follow them at once, and audited without the secret.

use tocsin_store::{channel, AccountStore, LogStore, Preferences};

use super::Refused;
use crate::{Action, Principal, System};

impl System {
    /// Saves `new` as the preferences of the customer `who` acts for; `detail` is what the
    /// audit trail says of the change (never the secret).
    pub async fn save_preferences(
        &self,
        who: &Principal,
        new: &Preferences,
        detail: &str,
    ) -> Result<(), Refused> {
        who.require(Action::OwnPreferences)?;
        let Some(customer) = who.customer.as_deref() else {
            return Err(Refused::Forbidden(
                "this account belongs to no customer".to_owned(),
            ));
        };
        self.store.set_preferences(customer, new).await?;
        // The next notices follow the new choices: the pipeline reads them from the live state.
        match self.live.lock() {
            Ok(mut live) => live.incidents.recipients_mut().set(customer, new),
            Err(_) => {
                tracing::error!(%customer, "live state poisoned: preferences apply after a restart")
            }
        }
        // The other instances (the leader among them) read them again.
        if let Err(e) = self.store.announce(channel::PREFERENCES, customer).await {
            tracing::warn!(error = %e, %customer, "preferences saved; the other instances read them within their next reconnect");
        }
        let target = format!("customer:{customer}");
        if let Err(e) = self
            .store
            .audit(
                self.clock.now_ms(),
                &who.login,
                "preferences.set",
                &target,
                detail,
            )
            .await
        {
            tracing::warn!(error = %e, %customer, "preferences saved but not audited");
        }
        tracing::info!(%customer, login = %who.login, "client area: preferences saved");
        Ok(())
    }
}
