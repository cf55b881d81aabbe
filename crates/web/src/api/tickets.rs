//! Support tickets over JSON (`shared/spec/desk.md`): customers and staff on the same routes,
//! told apart by the operation, which checks the role; attachments travel base64-encoded.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use tocsin_app::ops::{NewTicket, Triage, Upload};

use crate::auth::{act, csrf_header, Action, Anyone, Customer, May, Staff};
use crate::error::ApiError;
use crate::{wire, App};

type Answer = Result<axum::response::Response, ApiError>;

/// Staff must be allowed `action` before their request's body is read; customers are checked
/// by the operation (their own tickets).
fn staff_may(who: &crate::auth::Principal, action: Action) -> Result<(), ApiError> {
    if who.role.is_staff() {
        who.require(action)?;
    }
    Ok(())
}

/// A file in a JSON body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBody {
    name: String,
    #[serde(default)]
    content_type: String,
    /// Base64 (standard alphabet, padded).
    data: String,
}

fn uploads(files: Vec<FileBody>) -> Result<Vec<Upload>, ApiError> {
    files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(f.data.as_bytes())
                .map_err(|e| {
                    ApiError::bad_request(format!("attachments[{i}].data: not base64: {e}"))
                })?;
            let content_type = if f.content_type.is_empty() {
                "application/octet-stream".to_owned()
            } else {
                f.content_type
            };
            Ok(Upload {
                name: f.name,
                content_type,
                bytes,
            })
        })
        .collect()
}

/// `POST /api/v1/tickets`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenBody {
    /// `ticket` (when absent) or `intervention`.
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    attachments: Vec<FileBody>,
    /// An intervention's service, work, credentials and authorisation.
    #[serde(default)]
    server: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    credentials: Option<tocsin_app::ops::Credentials>,
    #[serde(default)]
    authorisation: Option<super::interventions::AuthorisationBody>,
}

pub(super) async fn open(
    Ext(app): Ext<Arc<App>>,
    Anyone(who): Anyone,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    staff_may(&who, Action::AnswerTicket)?;
    let b: OpenBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let attachments = uploads(b.attachments)?;
    let new = NewTicket {
        customer: b.customer,
        subject: b.subject,
        body: b.body,
        department: b.department,
        priority: b.priority,
        services: b.services,
        attachments,
    };
    match b.kind.as_deref().unwrap_or("ticket") {
        "ticket" => {}
        "intervention" => {
            let parts = super::interventions::InterventionParts {
                server: b.server,
                action: b.action,
                credentials: b.credentials,
                authorisation: b.authorisation,
            };
            return super::interventions::open(&app, &who, new, parts).await;
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "kind `{other}` is not one of ticket, intervention"
            )))
        }
    }
    let t = app.open_ticket(&who, new).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// `?status=S&customer=ID&before=ID`.
#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    before: Option<i64>,
}

/// `GET /api/v1/tickets` (staff: all, filtered; a customer: its own).
pub(super) async fn list(
    Ext(app): Ext<Arc<App>>,
    Anyone(who): Anyone,
    Query(q): Query<ListQuery>,
) -> Answer {
    let list = app
        .tickets(&who, q.status.as_deref(), q.customer.as_deref(), q.before)
        .await?;
    Ok(Json(json!({ "tickets": list })).into_response())
}

/// `GET /api/v1/tickets/{id}`.
pub(super) async fn one(
    Ext(app): Ext<Arc<App>>,
    Anyone(who): Anyone,
    Path(id): Path<i64>,
) -> Answer {
    Ok(Json(app.ticket_view(&who, id).await?).into_response())
}

/// `POST /api/v1/tickets/{id}/replies`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    body: String,
    #[serde(default = "yes")]
    public: bool,
    #[serde(default)]
    attachments: Vec<FileBody>,
}

fn yes() -> bool {
    true
}

pub(super) async fn reply(
    Ext(app): Ext<Arc<App>>,
    Anyone(who): Anyone,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: ReplyBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let files = uploads(b.attachments)?;
    let t = app.reply_ticket(&who, id, &b.body, b.public, files).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// `POST /api/v1/tickets/{id}/status`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
    /// What was done: required to close an intervention, sent to the customer.
    #[serde(default)]
    summary: Option<String>,
}

pub(super) async fn status(
    Ext(app): Ext<Arc<App>>,
    Anyone(who): Anyone,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    staff_may(&who, Action::AnswerTicket)?;
    let b: StatusBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    Ok(Json(
        app.set_ticket_status(&who, id, &b.status, b.summary.as_deref())
            .await?,
    )
    .into_response())
}

/// `POST /api/v1/tickets/{id}/rating` (customer).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatingBody {
    score: i64,
    #[serde(default)]
    comment: String,
}

pub(super) async fn rating(
    Ext(app): Ext<Arc<App>>,
    Customer { principal: who, .. }: Customer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: RatingBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    Ok(Json(app.rate_ticket(&who, id, b.score, &b.comment).await?).into_response())
}

/// `POST /api/v1/tickets/{id}/assign` (shift lead).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    login: String,
}

pub(super) async fn assign(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::AssignTicket>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: AssignBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    Ok(Json(app.assign_ticket(&who, id, &b.login).await?).into_response())
}

/// `POST /api/v1/tickets/{id}/triage` (engineer): `{"customer", "department", "priority",
/// "services"}`, each optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TriageBody {
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    services: Option<Vec<String>>,
}

pub(super) async fn triage(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::AnswerTicket>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: TriageBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let triage = Triage {
        customer: b.customer,
        department: b.department,
        priority: b.priority,
        services: b.services,
    };
    Ok(Json(app.triage_ticket(&who, id, triage).await?).into_response())
}

/// `POST /api/v1/tickets/{id}/merge` (engineer): `{"into": ID}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    into: i64,
}

pub(super) async fn merge(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::AnswerTicket>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: MergeBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    Ok(Json(app.merge_ticket(&who, id, b.into).await?).into_response())
}

/// `?tier=ID&limit=N`.
#[derive(Deserialize)]
pub(super) struct QueueQuery {
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /api/v1/tickets/queue` (staff): active tickets, missed targets first, then by due time.
pub(super) async fn queue(
    Ext(app): Ext<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<QueueQuery>,
) -> Answer {
    let (list, active, breached) = app
        .ticket_queue(&who, q.tier.as_deref(), q.limit.unwrap_or(100))
        .await?;
    let list: Vec<_> = list
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "customer": t.customer,
                "subject": t.subject,
                "department": t.department,
                "priority": t.priority,
                "status": t.status,
                "tier": t.tier,
                "assignee": t.assignee,
                "breached": t.breached,
                "due": (t.due_ms != tocsin_store::NOTHING_DUE).then(|| tocsin_model::time::rfc3339(t.due_ms)),
                "updated": tocsin_model::time::rfc3339(t.updated_ms),
            })
        })
        .collect();
    Ok(Json(json!({
        "active": active,
        "breached": breached,
        "counts_capped_at": tocsin_app::ops::COUNT_CAP,
        "tickets": list,
    }))
    .into_response())
}

/// `GET /api/v1/tickets/{id}/attachments/{key}`: the file, for whoever sees its message.
pub(super) async fn attachment(
    Ext(app): Ext<Arc<App>>,
    Anyone(who): Anyone,
    Path((id, key)): Path<(i64, String)>,
) -> Answer {
    let (a, bytes) = app.ticket_attachment(&who, id, &key).await?;
    Ok(crate::headers::download(&a.name, bytes))
}

/// `GET /api/v1/canned-replies` (staff).
pub(super) async fn canned(Ext(app): Ext<Arc<App>>, Staff(who): Staff) -> Answer {
    let list: Vec<_> = app
        .canned_replies(&who)
        .await?
        .into_iter()
        .map(|c| json!({ "id": c.id, "title": c.title, "body": c.body, "language": c.language }))
        .collect();
    Ok(Json(json!({ "canned_replies": list })).into_response())
}

/// `POST /api/v1/canned-replies` (shift lead): `{"title", "body", "language"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CannedBody {
    title: String,
    body: String,
    #[serde(default)]
    language: String,
}

pub(super) async fn add_canned(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::CannedReplies>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: CannedBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let language = if b.language.is_empty() {
        "en"
    } else {
        &b.language
    };
    let id = app
        .add_canned_reply(&who, &b.title, &b.body, language)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}
