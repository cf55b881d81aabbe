//! What the logged-in pages (client area, staff console, login) share: one layout with a
//! skip link, the signed-in account and a log-out form, and one small stylesheet. Templates
//! are compiled in and auto-escaped (their names end in `.html`).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;

/// The layout every logged-in page extends, as `base.html`.
pub(crate) const BASE: &str = include_str!("../templates/app/base.html");
/// The stylesheet, served at `/assets/app.css`.
pub(crate) const CSS: &str = include_str!("../templates/app/app.css");

/// A template environment with the layout registered; modules add their own pages.
pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    if let Err(e) = env.add_template("base.html", BASE) {
        tracing::error!(error = %e, "the page layout does not compile");
    }
    env
}

/// Renders `name` with `ctx`; a template error (a build defect, caught by the tests) is a
/// `500` that says so.
pub(crate) fn render(env: &Environment<'_>, name: &str, ctx: minijinja::Value) -> Response {
    render_with(env, name, ctx, StatusCode::OK)
}

/// As [`render`], with another status (a form shown again with its error, say).
pub(crate) fn render_with(
    env: &Environment<'_>,
    name: &str,
    ctx: minijinja::Value,
    status: StatusCode,
) -> Response {
    match env.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, [(CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template = name, error = %e, "page template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("page template {name} failed: {e}"),
            )
                .into_response()
        }
    }
}

/// `GET /assets/app.css`.
pub(crate) async fn css() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}
