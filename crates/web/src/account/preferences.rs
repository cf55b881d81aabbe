//! `GET/POST /account/preferences`: who is told about the customer's incidents (their own
//! contacts, else the inventory's), in which language, their own signed webhook, and the
//! private feed's address. A save is checked whole before anything is stored, takes effect on
//! the next notices at once (the live state's recipients), and is audited without the secret.

use std::sync::Arc;

use axum::extract::{Query, State as Ext};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use tocsin_model::inventory::Language;
use tocsin_store::Preferences;

use super::i18n::{language_name, texts, Texts};
use super::{frame, language, preferences_of, render, Customer};
use crate::auth::{secrets, Principal};
use crate::App;

/// Most addresses a customer may list.
pub(crate) const MAX_CONTACTS: usize = 20;
/// Shortest webhook secret accepted, in characters.
pub(crate) const MIN_SECRET: usize = 16;
/// Longest webhook secret and URL accepted, in bytes.
const MAX_LEN: usize = 2048;

/// The form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Submitted {
    #[serde(default)]
    pub csrf: String,
    /// `save` (the default) or `feed` (make a new feed token).
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub contacts: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub webhook_url: String,
    #[serde(default)]
    pub webhook_secret: String,
}

/// Why a form was refused: the field, and the sentence naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: &str) -> Problem {
    Problem {
        field,
        message: message.to_owned(),
    }
}

/// A plausible e-mail address: one `@`, a local part, a dotted domain, nothing that would
/// break a header or an SMTP command.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
}

/// An `http://` or `https://` URL naming a host.
pub(crate) fn is_webhook_url(s: &str) -> bool {
    if s.len() > MAX_LEN || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Ok(uri) = s.parse::<Uri>() else {
        return false;
    };
    matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some_and(|h| !h.is_empty())
}

/// The host of a webhook URL that names a local, private or reserved address outright
/// (`localhost`, `10.0.0.5`, `[::1]`); names that resolve to one are refused at delivery.
fn private_host(url: &str) -> Option<String> {
    let uri = url.parse::<Uri>().ok()?;
    let host = uri.host()?;
    tocsin_app::refused_host(host).map(|_| host.to_owned())
}

/// The preferences a valid form makes from `current`, or the first problem found. An empty
/// secret keeps the current one; an empty URL removes the webhook and its secret. Unless
/// `allow_private` (`[notify] allow_private_webhooks`), a webhook URL naming a local, private
/// or reserved address is refused.
pub(crate) fn validate(
    f: &Submitted,
    current: &Preferences,
    t: &Texts,
    now_ms: i64,
    allow_private: bool,
) -> Result<Preferences, Problem> {
    let mut contacts: Vec<String> = Vec::new();
    for address in f
        .contacts
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|a| !a.is_empty())
    {
        if !is_email(address) {
            return Err(problem("contacts", &t.bad_email.replace("{}", address)));
        }
        if !contacts.iter().any(|c| c.eq_ignore_ascii_case(address)) {
            contacts.push(address.to_owned());
        }
    }
    if contacts.len() > MAX_CONTACTS {
        return Err(problem("contacts", t.too_many_contacts));
    }
    let language = match f.language.trim() {
        "" => None,
        code => match Language::from_code(code) {
            Some(l) => Some(l.code().to_owned()),
            None => return Err(problem("language", t.bad_language)),
        },
    };
    let url = f.webhook_url.trim();
    let secret = f.webhook_secret.as_str();
    let (webhook_url, webhook_secret) = if url.is_empty() {
        if !secret.is_empty() {
            return Err(problem("webhook_secret", t.secret_without_url));
        }
        (None, None)
    } else {
        if !is_webhook_url(url) {
            return Err(problem("webhook_url", t.bad_url));
        }
        if let Some(host) = private_host(url).filter(|_| !allow_private) {
            return Err(problem("webhook_url", &t.private_url.replace("{}", &host)));
        }
        let secret = if secret.is_empty() {
            match &current.webhook_secret {
                Some(s) if !s.is_empty() => s.clone(),
                _ => return Err(problem("webhook_secret", t.secret_needed)),
            }
        } else if secret.chars().count() < MIN_SECRET || secret.len() > MAX_LEN {
            return Err(problem("webhook_secret", t.short_secret));
        } else {
            secret.to_owned()
        };
        (Some(url.to_owned()), Some(secret))
    };
    Ok(Preferences {
        language,
        contacts,
        webhook_url,
        webhook_secret,
        feed_token: current.feed_token.clone(),
        updated_ms: now_ms,
    })
}

/// What the audit trail says of a change: everything but the secret, of which only whether
/// it changed.
pub(crate) fn summary(old: &Preferences, new: &Preferences) -> String {
    let secret = match (&old.webhook_secret, &new.webhook_secret) {
        (_, None) => "none",
        (Some(a), Some(b)) if a == b => "kept",
        _ => "changed",
    };
    format!(
        "contacts=[{}]; language={}; webhook={}; secret={secret}",
        new.contacts.join(", "),
        new.language.as_deref().unwrap_or("inventory"),
        new.webhook_url.as_deref().unwrap_or("none"),
    )
}

#[derive(Serialize)]
struct Choice {
    code: &'static str,
    name: &'static str,
    selected: bool,
}

/// What the form shows: the stored values or, after a refusal, what was typed (never the
/// secret).
struct Shown<'a> {
    contacts: String,
    language: &'a str,
    webhook_url: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn page(
    app: &App,
    customer: &str,
    who: &Principal,
    l: Language,
    stored: &Preferences,
    shown: Shown<'_>,
    flash: Option<&str>,
    problem: Option<Problem>,
) -> Response {
    let on_file: Vec<String> = app
        .read(|live| {
            let inv = &live.inventory;
            let c = inv.customer_ids.find(customer)?;
            let k = inv.customers.get(c as usize)?;
            Some(k.contacts.iter().map(|k| k.email.to_string()).collect())
        })
        .ok()
        .flatten()
        .unwrap_or_default();
    let languages: Vec<Choice> = Language::ALL
        .into_iter()
        .map(|x| Choice {
            code: x.code(),
            name: language_name(x),
            selected: x.code() == shown.language,
        })
        .collect();
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (invalid, error) = match problem {
        Some(p) => (p.field, Some(p.message)),
        None => ("", None),
    };
    render(
        "account/preferences.html",
        minijinja::context! {
            on_file,
            languages,
            contacts => shown.contacts,
            webhook_url => shown.webhook_url,
            secret_set => stored.webhook_secret.is_some(),
            feed => format!("/account/feed/{}.atom", stored.feed_token),
            calendar => super::calendar_path(&stored.feed_token),
            flash,
            error,
            invalid,
            ..frame(l, who)
        },
        status,
    )
}

#[derive(Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

/// `GET /account/preferences`.
pub(crate) async fn form(
    Ext(app): Ext<Arc<App>>,
    Customer {
        principal,
        customer,
    }: Customer,
    headers: HeaderMap,
    Query(done): Query<Done>,
) -> Response {
    let stored = match preferences_of(&app, &customer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let l = language(Some(&stored), &headers);
    let t = texts(l);
    let flash = match done.done.as_deref() {
        Some("saved") => Some(t.saved),
        Some("feed") => Some(t.regenerated),
        _ => None,
    };
    let shown = Shown {
        contacts: stored.contacts.join("\n"),
        language: stored.language.as_deref().unwrap_or(""),
        webhook_url: stored.webhook_url.as_deref().unwrap_or(""),
    };
    page(&app, &customer, &principal, l, &stored, shown, flash, None)
}

/// `POST /account/preferences`.
pub(crate) async fn submit(
    Ext(app): Ext<Arc<App>>,
    Customer {
        principal,
        customer,
    }: Customer,
    headers: HeaderMap,
    Form(f): Form<Submitted>,
) -> Response {
    if let Err(refusal) = principal.check_csrf(Some(&f.csrf)) {
        return refusal.into_response();
    }
    let current = match preferences_of(&app, &customer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let l = language(Some(&current), &headers);
    let now = app.clock.now_ms();
    let (new, detail, done) = if f.action == "feed" {
        let Ok(token) = secrets::random_token() else {
            return (StatusCode::SERVICE_UNAVAILABLE, "no randomness available").into_response();
        };
        let new = Preferences {
            feed_token: token,
            updated_ms: now,
            ..current.clone()
        };
        (new, "feed token regenerated".to_owned(), "feed")
    } else {
        match validate(&f, &current, texts(l), now, app.allow_private_webhooks) {
            Ok(new) => {
                let detail = summary(&current, &new);
                (new, detail, "saved")
            }
            Err(p) => {
                let shown = Shown {
                    contacts: f.contacts.clone(),
                    language: &f.language,
                    webhook_url: &f.webhook_url,
                };
                return page(
                    &app,
                    &customer,
                    &principal,
                    l,
                    &current,
                    shown,
                    None,
                    Some(p),
                );
            }
        }
    };
    if let Err(refused) = app.save_preferences(&principal, &new, &detail).await {
        return crate::auth::Refusal::from(refused).into_response();
    }
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("/account/preferences?done={done}"))],
    )
        .into_response()
}
