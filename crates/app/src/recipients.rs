//! Who is told about a customer's incidents, and how: the inventory's contacts, languages and
//! webhooks, overridden by what the customer chose in the client area. The choices are kept in
//! the live state (read from the database at start, changed in memory when a customer saves)
//! so that queuing notices never waits on the database; a webhook's secret stays here and in
//! the database, never in the outbox.

use std::collections::HashMap;
use std::sync::Arc;

use tocsin_model::inventory::Language;
use tocsin_model::Inventory;
use tocsin_store::Preferences;

/// What one customer chose; an empty or missing part leaves the inventory's value.
#[derive(Clone, Default, PartialEq, Eq)]
struct Choice {
    /// Addresses told instead of the inventory's contacts, when not empty.
    contacts: Vec<String>,
    /// The language of every notice to this customer.
    language: Option<Language>,
    /// Their own webhook: URL and signing secret.
    webhook: Option<(String, String)>,
}

impl std::fmt::Debug for Choice {
    // The secret is never printed, so that it cannot reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Choice")
            .field("contacts", &self.contacts)
            .field("language", &self.language)
            .field(
                "webhook",
                &self.webhook.as_ref().map(|(url, _)| (url, "<redacted>")),
            )
            .finish()
    }
}

impl Choice {
    fn of(p: &Preferences) -> Choice {
        Choice {
            contacts: p.contacts.clone(),
            language: p.language.as_deref().and_then(Language::from_code),
            webhook: match (&p.webhook_url, &p.webhook_secret) {
                (Some(url), Some(secret)) if !url.is_empty() && !secret.is_empty() => {
                    Some((url.clone(), secret.clone()))
                }
                _ => None,
            },
        }
    }
}

/// Who wrote a webhook URL: the provider (in the inventory), trusted to point anywhere, or
/// the customer (in the client area), which may not point into the provider's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The inventory lists the URL for this customer.
    Inventory,
    /// Only the customer's own preferences name it.
    Customer,
}

/// Every customer's choices, by customer id. Cheap to clone (shared until changed).
#[derive(Debug, Clone, Default)]
pub struct Recipients {
    by_customer: Arc<HashMap<String, Choice>>,
}

impl Recipients {
    /// From the stored preferences of every customer.
    pub fn from_preferences(rows: &[(String, Preferences)]) -> Recipients {
        Recipients {
            by_customer: Arc::new(
                rows.iter()
                    .map(|(c, p)| (c.clone(), Choice::of(p)))
                    .collect(),
            ),
        }
    }

    /// Takes a customer's newly saved preferences into account.
    pub fn set(&mut self, customer: &str, preferences: &Preferences) {
        Arc::make_mut(&mut self.by_customer).insert(customer.to_owned(), Choice::of(preferences));
    }

    /// The addresses to mail about customer number `c`, each with its language: the chosen
    /// contacts, else the inventory's; the chosen language, else each contact's own (a chosen
    /// address the inventory also lists keeps that contact's language, others take the first
    /// inventory contact's, or English).
    pub fn mail(&self, inventory: &Inventory, c: u32) -> Vec<(String, Language)> {
        let Some(customer) = inventory.customers.get(c as usize) else {
            return Vec::new();
        };
        let listed = customer
            .contacts
            .iter()
            .map(|k| (k.email.to_string(), k.language));
        let Some(choice) = self.by_customer.get(inventory.customer_id(c)) else {
            return listed.collect();
        };
        let mut out: Vec<(String, Language)> = if choice.contacts.is_empty() {
            listed.collect()
        } else {
            let fallback = customer
                .contacts
                .first()
                .map_or(Language::default(), |k| k.language);
            choice
                .contacts
                .iter()
                .map(|email| {
                    let own = customer
                        .contacts
                        .iter()
                        .find(|k| k.email.eq_ignore_ascii_case(email))
                        .map_or(fallback, |k| k.language);
                    (email.clone(), own)
                })
                .collect()
        };
        if let Some(language) = choice.language {
            for (_, l) in &mut out {
                *l = language;
            }
        }
        out
    }

    /// The webhook URLs to POST incident events of customer number `c` to: the inventory's,
    /// then the customer's own when it is not among them.
    pub fn webhooks(&self, inventory: &Inventory, c: u32) -> Vec<String> {
        let mut urls: Vec<String> = inventory
            .customers
            .get(c as usize)
            .map(|k| k.webhooks.iter().map(|h| h.url.to_string()).collect())
            .unwrap_or_default();
        let own = self
            .by_customer
            .get(inventory.customer_id(c))
            .and_then(|choice| choice.webhook.as_ref());
        if let Some((url, _)) = own {
            if !urls.contains(url) {
                urls.push(url.clone());
            }
        }
        urls
    }

    /// The secret to sign a POST to `url` for customer `customer` with, and who wrote the
    /// URL: the customer's own webhook's secret when the URL is theirs (they may have rotated
    /// it), else the inventory's. A URL the inventory lists for them is the provider's
    /// (trusted) even when the customer also chose it.
    pub fn secret(
        &self,
        inventory: &Inventory,
        customer: &str,
        url: &str,
    ) -> Option<(String, Origin)> {
        let own = self
            .by_customer
            .get(customer)
            .and_then(|choice| choice.webhook.as_ref())
            .filter(|(u, _)| u == url)
            .map(|(_, s)| s.clone());
        let listed = inventory.customer_ids.find(customer).and_then(|c| {
            inventory
                .customers
                .get(c as usize)?
                .webhooks
                .iter()
                .find(|h| &*h.url == url)
                .map(|h| h.secret.to_string())
        });
        match (own, listed) {
            (Some(own), Some(_)) => Some((own, Origin::Inventory)),
            (Some(own), None) => Some((own, Origin::Customer)),
            (None, Some(listed)) => Some((listed, Origin::Inventory)),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory() -> Inventory {
        tocsin_inventory::load_str(
            "t.yaml",
            r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
customers:
  - id: acme
    name: ACME
    contacts: [{email: ops@acme.example, language: cs}, {email: boss@acme.example, language: en}]
    webhooks: [{url: "https://hooks.acme.example/a", secret: inventory-secret-1}]
  - id: beta
    name: Beta
    contacts: [{email: it@beta.example, language: pl}]
services:
  - {id: vps-1, customer: acme, requires: [sw-a]}
"#,
        )
        .unwrap()
    }

    fn prefs(contacts: &[&str], language: Option<&str>, hook: Option<(&str, &str)>) -> Preferences {
        Preferences {
            language: language.map(str::to_owned),
            contacts: contacts.iter().map(|c| c.to_string()).collect(),
            webhook_url: hook.map(|h| h.0.to_owned()),
            webhook_secret: hook.map(|h| h.1.to_owned()),
            feed_token: "t".into(),
            updated_ms: 0,
        }
    }

    #[test]
    fn nothing_chosen_keeps_the_inventory() {
        let inv = inventory();
        let r = Recipients::default();
        assert_eq!(
            r.mail(&inv, 0),
            [
                ("ops@acme.example".to_owned(), Language::Cs),
                ("boss@acme.example".to_owned(), Language::En)
            ]
        );
        assert_eq!(r.webhooks(&inv, 0), ["https://hooks.acme.example/a"]);
        assert_eq!(
            r.secret(&inv, "acme", "https://hooks.acme.example/a"),
            Some(("inventory-secret-1".to_owned(), Origin::Inventory))
        );
        assert_eq!(r.secret(&inv, "acme", "https://elsewhere.example/"), None);
    }

    #[test]
    fn chosen_contacts_language_and_webhook_take_over() {
        let inv = inventory();
        let mut r = Recipients::default();
        r.set(
            "acme",
            &prefs(
                &["BOSS@acme.example", "new@acme.example"],
                None,
                Some(("https://own.example/hook", "own-secret-0123456789")),
            ),
        );
        // A listed address keeps its language; a new one takes the first contact's.
        assert_eq!(
            r.mail(&inv, 0),
            [
                ("BOSS@acme.example".to_owned(), Language::En),
                ("new@acme.example".to_owned(), Language::Cs)
            ]
        );
        assert_eq!(
            r.webhooks(&inv, 0),
            ["https://hooks.acme.example/a", "https://own.example/hook"]
        );
        assert_eq!(
            r.secret(&inv, "acme", "https://own.example/hook"),
            Some(("own-secret-0123456789".to_owned(), Origin::Customer))
        );
        // The inventory's URL chosen as their own: their secret, still the provider's URL.
        let mut same = r.clone();
        same.set(
            "acme",
            &prefs(
                &[],
                None,
                Some(("https://hooks.acme.example/a", "own-secret-0123456789")),
            ),
        );
        assert_eq!(
            same.secret(&inv, "acme", "https://hooks.acme.example/a"),
            Some(("own-secret-0123456789".to_owned(), Origin::Inventory))
        );
        // Another customer is untouched.
        assert_eq!(
            r.mail(&inv, 1),
            [("it@beta.example".to_owned(), Language::Pl)]
        );
        assert_eq!(r.secret(&inv, "beta", "https://own.example/hook"), None);

        // A language alone applies to the inventory's contacts.
        r.set("acme", &prefs(&[], Some("fr"), None));
        assert_eq!(
            r.mail(&inv, 0),
            [
                ("ops@acme.example".to_owned(), Language::Fr),
                ("boss@acme.example".to_owned(), Language::Fr)
            ]
        );
        assert_eq!(r.webhooks(&inv, 0), ["https://hooks.acme.example/a"]);
    }

    #[test]
    fn secrets_never_print() {
        let mut r = Recipients::default();
        r.set(
            "acme",
            &prefs(
                &[],
                None,
                Some(("https://h.example/", "hush-hush-0123456789")),
            ),
        );
        let printed = format!("{r:?}");
        assert!(printed.contains("https://h.example/") && !printed.contains("hush-hush"));
    }

    #[test]
    fn clones_share_until_one_changes() {
        let inv = inventory();
        let mut a = Recipients::from_preferences(&[(
            "beta".into(),
            prefs(&["x@beta.example"], None, None),
        )]);
        let b = a.clone();
        a.set("beta", &prefs(&[], None, None));
        assert_eq!(b.mail(&inv, 1)[0].0, "x@beta.example");
        assert_eq!(a.mail(&inv, 1)[0].0, "it@beta.example");
    }
}
