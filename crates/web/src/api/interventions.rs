//! OS interventions and sealed envelopes over JSON (`shared/spec/desk.md`). Secrets arrive
//! and leave only in request and response bodies, held in zeroizing strings; answers that
//! carry one are `no-store` like every private answer.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use tocsin_app::ops::{Authorisation, Credentials, NewIntervention, NewTicket};
use zeroize::Zeroizing;

use crate::auth::{act, csrf_header, Anyone, May, Staff};
use crate::error::ApiError;
use crate::{wire, App};

type Answer = Result<axum::response::Response, ApiError>;

/// `authorisation` of `POST /api/v1/tickets` with `"kind": "intervention"`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthorisationBody {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    backups_confirmed: bool,
    #[serde(default)]
    interruption_accepted: bool,
}

/// The intervention's part of `POST /api/v1/tickets`.
pub(super) struct InterventionParts {
    pub server: String,
    pub action: String,
    pub credentials: Option<Credentials>,
    pub authorisation: Option<AuthorisationBody>,
}

/// Opens an OS intervention from `POST /api/v1/tickets` (the customer's own account).
pub(super) async fn open(
    app: &App,
    who: &crate::auth::Principal,
    ticket: NewTicket,
    parts: InterventionParts,
) -> Answer {
    let authorisation = parts.authorisation.map(|a| Authorisation {
        scope: a.scope,
        expires: a.expires,
        backups_confirmed: a.backups_confirmed,
        interruption_accepted: a.interruption_accepted,
    });
    let t = app
        .open_intervention(
            who,
            NewIntervention {
                ticket,
                server: parts.server,
                action: parts.action,
                credentials: parts.credentials,
                authorisation,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// `POST /api/v1/tickets/{id}/credentials/reveal` (the assigned engineer).
pub(super) async fn reveal(
    Ext(app): Ext<Arc<App>>,
    Anyone(who): Anyone,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let credentials = app.reveal_credentials(&who, id).await?;
    Ok(Json(credentials).into_response())
}

/// `DELETE /api/v1/tickets/{id}/authorisation` (the customer).
pub(super) async fn revoke(
    Ext(app): Ext<Arc<App>>,
    Anyone(who): Anyone,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    Ok(Json(app.revoke_authorisation(&who, id).await?).into_response())
}

/// `POST /api/v1/tickets/{id}/work` (the assigned engineer).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkBody {
    access: String,
    note: String,
    #[serde(default)]
    complexity: Option<String>,
}

pub(super) async fn work(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Intervene>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: WorkBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let t = app
        .record_work(&who, id, &b.access, &b.note, b.complexity.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// `POST /api/v1/tickets/{id}/new-credentials` (the assigned engineer).
pub(super) async fn give_credentials(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Intervene>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let credentials: Credentials = wire::parse(&body).map_err(ApiError::bad_request)?;
    let t = app.give_new_credentials(&who, id, credentials).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// `GET /api/v1/tickets/{id}/new-credentials` (the customer, once).
pub(super) async fn read_credentials(
    Ext(app): Ext<Arc<App>>,
    Anyone(who): Anyone,
    Path(id): Path<i64>,
) -> Answer {
    Ok(Json(app.read_new_credentials(&who, id).await?).into_response())
}

/// `POST /api/v1/tickets/{id}/hardware` (engineer): `{"note"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HardwareBody {
    note: String,
}

pub(super) async fn hardware(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Intervene>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: HardwareBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let t = app.hardware_ticket(&who, id, &b.note).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// `GET /api/v1/envelopes` (staff): names and openings, never secrets.
pub(super) async fn envelopes(Ext(app): Ext<Arc<App>>, Staff(who): Staff) -> Answer {
    Ok(Json(json!({ "envelopes": app.envelopes(&who).await? })).into_response())
}

/// `POST /api/v1/envelopes` (admin): `{"name", "secret"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SealBody {
    name: String,
    secret: Zeroizing<String>,
}

pub(super) async fn seal(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::SealEnvelope>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: SealBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let e = app.seal_envelope(&who, &b.name, &b.secret).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// `POST /api/v1/envelopes/{id}/reseal` (admin): `{"secret"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResealBody {
    secret: Zeroizing<String>,
}

pub(super) async fn reseal(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::SealEnvelope>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: ResealBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    Ok(Json(app.reseal_envelope(&who, id, &b.secret).await?).into_response())
}

/// `POST /api/v1/envelopes/{id}/open` (any staff): `{"reason"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenBody {
    reason: String,
}

/// An opened envelope's answer, written from the secret where it lies (no copy).
#[derive(serde::Serialize)]
struct Opened<'a> {
    id: i64,
    secret: &'a str,
}

pub(super) async fn open_envelope(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::OpenEnvelope>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: OpenBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let secret = app.open_envelope(&who, id, &b.reason).await?;
    Ok(Json(Opened {
        id,
        secret: &secret,
    })
    .into_response())
}
