//! The help centre's faces: public pages (`/help`, `/help/{slug}` with its "Was this
//! helpful?" form), the suggestion script customers' forms load, the staff console's article
//! list and editor, and the routes of the JSON twins in `api::help`. Markdown is rendered
//! here with comrak and always sanitized with ammonia; only that sanitized HTML is marked
//! safe in a template.

mod console;
mod pages;
pub(crate) mod render;
mod texts;

use std::sync::{Arc, OnceLock};

use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::HeaderMap;
use axum::middleware::from_fn;
use axum::routing::{get, post};
use axum::Router;
use minijinja::Environment;
use tocsin_app::help::Language;

pub(crate) use render::markdown_html;

use crate::api::help as api;
use crate::App;

/// What the public face serves: pages, the script, search and votes.
pub(crate) fn public_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/help", get(pages::index))
        .route("/help/{slug}", get(pages::article))
        .route("/help/{slug}/{language}/vote", post(pages::vote))
        .route("/assets/help-suggest.js", get(pages::script))
        .route("/api/v1/help/search", get(api::search))
        .route(
            "/api/v1/help/articles/{slug}/{language}/vote",
            post(api::vote),
        )
}

/// What only the full face serves: writing articles, over JSON and in the console.
pub(crate) fn staff_routes() -> Router<Arc<App>> {
    let console = Router::new()
        .route("/console/help", get(console::list).post(console::create))
        .route(
            "/console/help/{slug}/{language}",
            get(console::edit).post(console::save),
        )
        .layer(from_fn(crate::ui::html_errors));
    Router::new()
        .route("/api/v1/help/articles", get(api::list).post(api::create))
        .route(
            "/api/v1/help/articles/{slug}/{language}",
            axum::routing::put(api::update),
        )
        .merge(console)
}

/// The languages a request prefers, best first: `?lang=` when given, then its
/// `Accept-Language` in the order written (quality values are rarely other than
/// decreasing), then English.
pub(crate) fn preferred(lang: Option<&str>, headers: &HeaderMap) -> Vec<Language> {
    let mut out: Vec<Language> = Vec::new();
    let mut push = |l: Option<Language>| {
        if let Some(l) = l {
            if !out.contains(&l) {
                out.push(l);
            }
        }
    };
    push(lang.and_then(tocsin_app::help::parse_language));
    let accept = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for tag in accept.split(',') {
        let tag = tag.split(';').next().unwrap_or("").trim();
        push(tocsin_app::help::parse_language(
            tag.split('-').next().unwrap_or(""),
        ));
    }
    push(Some(Language::En));
    out
}

/// The help centre's templates, compiled once.
fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = crate::ui::environment();
        for (name, text) in [
            (
                "console/layout.html",
                include_str!("../../templates/console/layout.html"),
            ),
            (
                "help/index.html",
                include_str!("../../templates/help/index.html"),
            ),
            (
                "help/article.html",
                include_str!("../../templates/help/article.html"),
            ),
            (
                "help/console.html",
                include_str!("../../templates/help/console.html"),
            ),
            (
                "help/edit.html",
                include_str!("../../templates/help/edit.html"),
            ),
        ] {
            if let Err(e) = env.add_template(name, text) {
                tracing::error!(template = name, error = %e, "a help template does not compile");
            }
        }
        env
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asked_language_comes_first_then_the_browsers_then_english() {
        let mut h = HeaderMap::new();
        h.insert(
            ACCEPT_LANGUAGE,
            "pl-PL,pl;q=0.9,de;q=0.5,cs;q=0.3"
                .parse()
                .unwrap_or_else(|_| axum::http::HeaderValue::from_static("")),
        );
        assert_eq!(
            preferred(Some("fr"), &h),
            [Language::Fr, Language::Pl, Language::Cs, Language::En]
        );
        assert_eq!(preferred(Some("xx"), &HeaderMap::new()), [Language::En]);
    }
}
