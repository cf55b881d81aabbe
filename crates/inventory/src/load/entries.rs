//! The entries of an inventory that are not vertices of the graph: customers (contacts,
//! webhooks, tier, country, VAT id), status-page components and sites.

use tocsin_model::inventory::{Component, Contact, Customer, Language, Webhook};

use super::{Entry, Loader};
use crate::fields::Fields;
use crate::yaml::{Node, Pos};

const CONTACT_KEYS: &[&str] = &["email", "language", "name"];
const WEBHOOK_KEYS: &[&str] = &["url", "secret"];

impl Loader {
    pub(super) fn customer(&mut self, f: u32, item: &Node<'_>, err: &mut dyn FnMut(Pos, String)) {
        let Some((fields, id, c)) = self.define_entry(f, item, Entry::Customer, err) else {
            return;
        };
        let mut contacts = Vec::new();
        for contact in fields.list("contacts", err) {
            let Some(cf) = Fields::check(contact, CONTACT_KEYS, "a contact", err) else {
                continue;
            };
            let Some((email, email_pos)) = cf.text("email", err) else {
                err(cf.pos, "a contact without `email`".into());
                continue;
            };
            if !email.contains('@') {
                err(email_pos, format!("`{email}` is not an e-mail address"));
                continue;
            }
            let language = match cf.text("language", err) {
                None => Language::En,
                Some((code, p)) => match Language::from_code(code) {
                    Some(l) => l,
                    None => {
                        err(
                            p,
                            format!(
                                "unsupported language `{code}` (supported: cs, en, pl, fr, ru)"
                            ),
                        );
                        continue;
                    }
                },
            };
            let _ = cf.text("name", err);
            contacts.push(Contact {
                email: email.into(),
                language,
            });
        }
        let mut webhooks = Vec::new();
        for hook in fields.list("webhooks", err) {
            let Some(hf) = Fields::check(hook, WEBHOOK_KEYS, "a webhook", err) else {
                continue;
            };
            let Some((url, url_pos)) = hf.text("url", err) else {
                err(hf.pos, "a webhook without `url`".into());
                continue;
            };
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                err(
                    url_pos,
                    format!("`{url}` is not an http:// or https:// URL"),
                );
                continue;
            }
            let Some((secret, _)) = hf.text("secret", err) else {
                err(hf.pos, format!("the webhook `{url}` has no `secret`"));
                continue;
            };
            webhooks.push(Webhook {
                url: url.into(),
                secret: secret.into(),
            });
        }
        let country = match fields.text("country", err) {
            None => None,
            Some((c, p)) => {
                match c.as_bytes() {
                    &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some([a, b]),
                    _ => {
                        err(p, format!("`country` must be an ISO 3166-1 alpha-2 code such as CZ, found `{c}`"));
                        None
                    }
                }
            }
        };
        let vat_id = fields.text("vat_id", err).and_then(|(v, p)| {
            if v.is_empty() || v.chars().any(char::is_whitespace) {
                err(
                    p,
                    format!("`vat_id` must be a VAT number without spaces such as CZ12345678, found `{v}`"),
                );
                return None;
            }
            Some(Box::<str>::from(v))
        });
        let name = fields.text("name", err).map_or(id, |(n, _)| n);
        let customer = Customer {
            name: name.into(),
            contacts: contacts.into_boxed_slice(),
            tier: fields.text("tier", err).map(|(t, _)| t.into()),
            country,
            vat_id,
            webhooks: webhooks.into_boxed_slice(),
        };
        self.customer_data
            .resize(self.customers.defined.len(), None);
        self.customer_data[c as usize] = Some(customer);
    }

    pub(super) fn component(&mut self, f: u32, item: &Node<'_>, err: &mut dyn FnMut(Pos, String)) {
        let Some((fields, id, c)) = self.define_entry(f, item, Entry::Component, err) else {
            return;
        };
        let component = Component {
            id: id.into(),
            name: fields.text("name", err).map_or(id, |(n, _)| n).into(),
            group: fields.text("group", err).map(|(g, _)| g.into()),
        };
        self.component_data
            .resize(self.components.defined.len(), None);
        self.component_data[c as usize] = Some(component);
    }

    pub(super) fn site(&mut self, f: u32, item: &Node<'_>, err: &mut dyn FnMut(Pos, String)) {
        let Some((fields, id, s)) = self.define_entry(f, item, Entry::Site, err) else {
            return;
        };
        self.site_names.resize(self.sites.defined.len(), None);
        self.site_names[s as usize] = Some(fields.text("name", err).map_or(id, |(n, _)| n).into());
    }
}
