//! Who is asking and what they may do. Staff roles follow seed 001: an admin runs the
//! installation, the shift lead owns crisis communication, engineers act on the
//! infrastructure, junior engineers read everything and take only limited actions. Customers
//! see their own services and incidents and nothing else.
//!
//! A request is authenticated by a session cookie (browsers; forms carry a CSRF token) or by
//! `Authorization: Bearer TOKEN` (scripts; API tokens made with `tocsin users token`). Pages
//! and APIs take a [`Staff`] or a [`Customer`] extractor; a missing or wrong credential never
//! reaches a handler.

mod client;
mod limit;
mod login;
pub mod secrets;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use tocsin_store::{Account, AccountStore};

use crate::App;

pub(crate) use crate::error::Refusal;

pub use client::TrustedProxies;
pub(crate) use limit::LoginLimiter;
pub(crate) use login::routes;
pub use tocsin_app::{Action, Role};

/// The session cookie's name.
pub(crate) const COOKIE_NAME: &str = "tocsin_session";
/// How long a session lasts from login (a working shift and some).
pub(crate) const SESSION_MS: i64 = 12 * 60 * 60 * 1000;
/// The header a cookie-authenticated JSON request carries its CSRF token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// How the request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Via {
    /// A browser session, whose forms must carry this CSRF token.
    Session { csrf: String, token_hash: String },
    /// An API token.
    Bearer,
}

/// An authenticated account, and how it proved it: the running system's
/// [`tocsin_app::Principal`] (which every operation takes; `&Principal` coerces to it) plus
/// what only HTTP needs, the CSRF token of a session.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub who: tocsin_app::Principal,
    pub via: Via,
}

impl std::ops::Deref for Principal {
    type Target = tocsin_app::Principal;

    fn deref(&self) -> &tocsin_app::Principal {
        &self.who
    }
}

impl Principal {
    fn of(account: Account, via: Via) -> Option<Principal> {
        Some(Principal {
            who: tocsin_app::Principal {
                role: Role::parse(&account.role)?,
                login: account.login,
                customer: account.customer,
            },
            via,
        })
    }

    /// The CSRF token forms must carry, for sessions.
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Bearer => "",
        }
    }

    /// Checks a state-changing request's CSRF token (form field or header): required for
    /// sessions, not for API tokens, which a browser never sends on its own.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), Refusal> {
        match &self.via {
            Via::Bearer => Ok(()),
            Via::Session { csrf, .. } => match presented {
                Some(p) if secrets::same_secret(p, csrf) => Ok(()),
                _ => Err(Refusal::Forbidden(
                    "the form's anti-forgery token is missing or stale: reload the page".into(),
                )),
            },
        }
    }
}

/// The CSRF token a cookie-authenticated JSON request carries in its header.
pub(crate) fn csrf_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

/// The session token in the request's cookies.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
}

/// Whoever the request's credential names, if any is valid.
pub(crate) async fn principal(
    app: &App,
    headers: &HeaderMap,
) -> Result<Option<Principal>, Refusal> {
    let unavailable = |e: tocsin_store::StoreError| Refusal::Unavailable(e.to_string());
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let Some(token) = value.strip_prefix("Bearer ") else {
            return Ok(None);
        };
        let account = app
            .store
            .token_account(&secrets::token_hash(token.trim()))
            .await
            .map_err(unavailable)?;
        return Ok(account.and_then(|a| Principal::of(a, Via::Bearer)));
    }
    let Some(token) = session_cookie(headers) else {
        return Ok(None);
    };
    let token_hash = secrets::token_hash(token);
    let session = app
        .store
        .session(&token_hash, app.clock.now_ms())
        .await
        .map_err(unavailable)?;
    Ok(session.and_then(|s| {
        Principal::of(
            s.account,
            Via::Session {
                csrf: s.csrf,
                token_hash,
            },
        )
    }))
}

/// A state-changing request from a browser must come from our own pages: when it names its
/// origin, that origin's host must be the one it was sent to.
pub(crate) fn same_origin(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    origin_host.eq_ignore_ascii_case(host)
}

async fn authenticate(parts: &Parts, app: &Arc<App>) -> Result<Principal, Refusal> {
    let path = parts.uri.path();
    let api = path.starts_with("/api/") || path == "/metrics";
    if !same_origin(&parts.method, &parts.headers) {
        return Err(Refusal::Forbidden(
            "cross-origin request refused".to_owned(),
        ));
    }
    match principal(app, &parts.headers).await? {
        Some(p) => Ok(p),
        None => Err(Refusal::Anonymous {
            api,
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned()),
        }),
    }
}

/// A member of staff (any role); handlers check [`Principal::require`] for their action.
pub(crate) struct Staff(pub Principal);

impl FromRequestParts<Arc<App>> for Staff {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Refusal> {
        let p = authenticate(parts, app).await?;
        if !p.role.is_staff() {
            return Err(Refusal::Forbidden("staff only".to_owned()));
        }
        Ok(Staff(p))
    }
}

/// An action named as a type, so that a route demands it before its body is read: a refused
/// role gets `403` whatever it sent.
pub(crate) trait Act {
    /// The action.
    const ACTION: Action;
}

/// The actions as types, for [`May`].
pub(crate) mod act {
    use super::{Act, Action};

    macro_rules! acts {
        ($($name:ident),*) => {$(
            #[doc = concat!("[`Action::", stringify!($name), "`] as a type.")]
            pub(crate) struct $name;
            impl Act for $name {
                const ACTION: Action = Action::$name;
            }
        )*};
    }
    acts!(
        MarkVertex,
        Broadcast,
        ComponentStatus,
        Maintenance,
        Reload,
        ManageShifts,
        Upgrade,
        PlanDrill,
        DrillResult,
        RecordOutage,
        DecideCredit,
        AnswerTicket,
        AssignTicket,
        CannedReplies,
        WriteHelp,
        Intervene,
        SealEnvelope,
        OpenEnvelope
    );
}

/// A member of staff whose role may do `A`.
pub(crate) struct May<A>(pub Principal, pub std::marker::PhantomData<A>);

impl<A: Act> FromRequestParts<Arc<App>> for May<A> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Refusal> {
        let Staff(p) = Staff::from_request_parts(parts, app).await?;
        p.require(A::ACTION)?;
        Ok(May(p, std::marker::PhantomData))
    }
}

/// Any account, staff or customer: routes both use (tickets), whose operation tells them
/// apart and checks the role.
pub(crate) struct Anyone(pub Principal);

impl FromRequestParts<Arc<App>> for Anyone {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Refusal> {
        Ok(Anyone(authenticate(parts, app).await?))
    }
}

/// A customer, with the inventory customer id their account belongs to.
pub(crate) struct Customer {
    pub principal: Principal,
    pub customer: String,
}

impl FromRequestParts<Arc<App>> for Customer {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Refusal> {
        let p = authenticate(parts, app).await?;
        match (&p.role, p.customer.clone()) {
            (Role::Customer, Some(customer)) => Ok(Customer {
                principal: p,
                customer,
            }),
            _ => Err(Refusal::Forbidden(
                "the client area is for customers; staff use /console".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_origin_posts_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(HOST, "status.example.net".parse().unwrap());
        assert!(same_origin(&Method::POST, &h));
        h.insert(ORIGIN, "https://status.example.net".parse().unwrap());
        assert!(same_origin(&Method::POST, &h));
        h.insert(ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&Method::POST, &h));
        assert!(same_origin(&Method::GET, &h));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "a=1; tocsin_session=abc; b=2".parse().unwrap());
        assert_eq!(session_cookie(&h), Some("abc"));
    }
}
