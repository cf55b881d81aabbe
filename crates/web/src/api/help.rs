//! The help centre over JSON (`shared/spec/desk.md`): engineers write articles, anyone
//! searches them and says whether one helped; staff list them with their votes.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use tocsin_app::ops::ArticleDraft;
use tocsin_store::HelpArticle;

use crate::auth::{act, csrf_header, May, Staff};
use crate::error::ApiError;
use crate::{wire, App};

type Answer = Result<axum::response::Response, ApiError>;

/// `{"slug", "language", "title", "body"}`; the path names slug and language on `PUT`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArticleBody {
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    language: Option<String>,
    title: String,
    body: String,
}

fn article_json(a: &HelpArticle) -> serde_json::Value {
    json!({
        "slug": a.slug,
        "language": a.language,
        "title": a.title,
        "body": a.body,
        "html": crate::help::render::markdown_html(&a.body),
        "created_by": a.created_by,
        "created": tocsin_model::time::rfc3339(a.created_ms),
        "updated_by": a.updated_by,
        "updated": tocsin_model::time::rfc3339(a.updated_ms),
    })
}

/// `POST /api/v1/help/articles` (engineers) → `201` with the article and its sanitized HTML.
pub(crate) async fn create(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::WriteHelp>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: ArticleBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let (Some(slug), Some(language)) = (b.slug, b.language) else {
        return Err(ApiError::bad_request(
            "slug and language: both are needed for a new article",
        ));
    };
    let draft = ArticleDraft {
        slug,
        language,
        title: b.title,
        body: b.body,
    };
    let a = app.write_help_article(&who, draft, true).await?;
    Ok((StatusCode::CREATED, Json(article_json(&a))).into_response())
}

/// `PUT /api/v1/help/articles/{slug}/{language}` (engineers): replaces title and body.
pub(crate) async fn update(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::WriteHelp>,
    headers: HeaderMap,
    Path((slug, language)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: ArticleBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    for (field, given, path) in [
        ("slug", &b.slug, &slug),
        ("language", &b.language, &language),
    ] {
        if given.as_ref().is_some_and(|g| g != path) {
            return Err(ApiError::bad_request(format!(
                "{field}: the path names `{path}`; move an article by writing a new one"
            )));
        }
    }
    let draft = ArticleDraft {
        slug,
        language,
        title: b.title,
        body: b.body,
    };
    let a = app.write_help_article(&who, draft, false).await?;
    Ok(Json(article_json(&a)).into_response())
}

/// `GET /api/v1/help/articles` (staff): every article with its votes.
pub(crate) async fn list(Ext(app): Ext<Arc<App>>, Staff(who): Staff) -> Answer {
    let list = app.help_articles_for_staff(&who).await?;
    let articles: Vec<_> = list
        .iter()
        .map(|a| {
            json!({
                "slug": a.slug,
                "language": a.language,
                "title": a.title,
                "updated_by": a.updated_by,
                "updated": tocsin_model::time::rfc3339(a.updated_ms),
                "votes": {"helpful": a.helpful, "unhelpful": a.unhelpful},
            })
        })
        .collect();
    Ok(Json(json!({ "articles": articles })).into_response())
}

/// `?q=TEXT&lang=L&limit=N`.
#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

/// `GET /api/v1/help/search?q=TEXT&lang=L` (public) → `{"articles": [{"slug", "title",
/// "language", "snippet"}]}`, best first.
pub(crate) async fn search(Ext(app): Ext<Arc<App>>, Query(q): Query<SearchQuery>) -> Answer {
    let lang = match q.lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(code) => Some(tocsin_app::ops::language("lang", code)?),
        None => None,
    };
    let limit = match q.limit.as_deref() {
        None | Some("") => None,
        Some(n) => Some(n.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!(
                "limit: a number of articles from 1 to {}, not `{n}`",
                tocsin_app::ops::MAX_FOUND
            ))
        })?),
    };
    let found = app.search_help(&q.q, lang, limit).await?;
    Ok(Json(json!({ "articles": found })).into_response())
}

/// `{"helpful": bool}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteBody {
    helpful: bool,
}

/// `POST /api/v1/help/articles/{slug}/{language}/vote` (public) → `204`. One vote per
/// article and visitor: a later one replaces the earlier.
pub(crate) async fn vote(
    Ext(app): Ext<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((slug, language)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let b: VoteBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let who = crate::help::render::voter(&app, peer, &headers).await?;
    app.vote_help(&slug, &language, b.helpful, &who).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
