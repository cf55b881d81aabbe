//! The public help pages: `/help` lists a language's articles and searches them (a plain
//! form that works without script, and suggestions as one types with it), `/help/{slug}`
//! shows an article in the language the visitor prefers with a "Was this helpful?" form,
//! and `/assets/help-suggest.js` is the script that offers articles while a customer types.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::help::Language;

use super::texts::{context as words, texts};
use super::{env, markdown_html, preferred};
use crate::auth::Refusal;
use crate::App;

/// The suggestion script, served at `/assets/help-suggest.js`.
const SCRIPT: &str = include_str!("../../templates/help/help-suggest.js");

/// `?lang=L&q=TEXT` of `/help`, `?lang=L&voted=1` of an article.
#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    voted: Option<String>,
}

/// `GET /help?lang=L&q=TEXT`.
pub(crate) async fn index(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Result<Response, Refusal> {
    let lang = preferred(q.lang.as_deref(), &headers)[0];
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let (found, articles) = match text {
        Some(t) => {
            let found = app.search_help(t, Some(lang), None).await?;
            (Some(found), Vec::new())
        }
        None => (None, app.help_index(Some(lang)).await?),
    };
    let list: Vec<Value> = articles
        .iter()
        .map(|a| context! { slug => a.slug, title => a.title })
        .collect();
    let t = texts(lang);
    Ok(crate::ui::render(
        env(),
        "help/index.html",
        context! {
            lang => lang.code(),
            t => words(&t),
            q => text.unwrap_or(""),
            found,
            articles => list,
            languages => Language::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
        },
    ))
}

/// `GET /help/{slug}?lang=L`: the article in the first language the visitor prefers that it
/// is written in, else its first translation.
pub(crate) async fn article(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, Refusal> {
    let translations = app.help_translations(&slug).await?;
    let wanted = preferred(q.lang.as_deref(), &headers);
    let chosen = wanted
        .iter()
        .find_map(|l| translations.iter().find(|a| a.language == l.code()))
        .or_else(|| translations.first());
    let Some(a) = chosen else {
        // A page, not an error body: the help centre's index, saying what was not found.
        let lang = wanted[0];
        let articles = app.help_index(Some(lang)).await?;
        let list: Vec<Value> = articles
            .iter()
            .map(|a| context! { slug => a.slug, title => a.title })
            .collect();
        return Ok(crate::ui::render_with(
            env(),
            "help/index.html",
            context! {
                lang => lang.code(),
                t => words(&texts(lang)),
                q => "",
                articles => list,
                missing => slug,
                languages => Language::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
            },
            StatusCode::NOT_FOUND,
        ));
    };
    let lang = tocsin_app::help::parse_language(&a.language).unwrap_or(Language::En);
    let t = texts(lang);
    let others: Vec<&str> = translations
        .iter()
        .filter(|o| o.language != a.language)
        .map(|o| o.language.as_str())
        .collect();
    Ok(crate::ui::render(
        env(),
        "help/article.html",
        context! {
            lang => lang.code(),
            t => words(&t),
            slug => a.slug,
            title => a.title,
            // The one place HTML is marked safe: ammonia's output.
            html => Value::from_safe_string(markdown_html(&a.body)),
            others,
            voted => q.voted.is_some(),
        },
    ))
}

/// The vote form: `helpful=yes|no`.
#[derive(Deserialize)]
pub(crate) struct VoteForm {
    #[serde(default)]
    helpful: String,
}

/// `POST /help/{slug}/{language}/vote`: the form twin of the JSON vote; back to the article.
pub(crate) async fn vote(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((slug, language)): Path<(String, String)>,
    Form(form): Form<VoteForm>,
) -> Result<Response, Refusal> {
    let helpful = match form.helpful.as_str() {
        "yes" => true,
        "no" => false,
        other => {
            return Err(Refusal::BadRequest(format!(
                "helpful: `yes` or `no`, not `{other}`"
            )))
        }
    };
    let who = super::render::voter(&app, peer, &headers).await?;
    app.vote_help(&slug, &language, helpful, &who).await?;
    let to = format!(
        "/help/{}?lang={}&voted=1",
        crate::ui::url_encode(&slug),
        crate::ui::url_encode(&language)
    );
    Ok(Redirect::to(&to).into_response())
}

/// `GET /assets/help-suggest.js`.
pub(crate) async fn script() -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}
