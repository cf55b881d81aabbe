//! What the logged-in pages (client area, staff console, login) share: one layout with a
//! skip link, the signed-in account and a log-out form, and one small stylesheet. Templates
//! are compiled in and auto-escaped (their names end in `.html`).

use std::sync::OnceLock;

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{context, Environment};

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

/// Largest error body read back to turn into a page.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Middleware for the page routers (console, client area): a refusal or failure that a
/// handler or extractor answered as JSON (`403`, `503`…) becomes an HTML page with the same
/// status and message, and a way back, so a person never lands on raw JSON.
pub(crate) async fn html_errors(request: Request, next: Next) -> Response {
    let home = if request.uri().path().starts_with("/console") {
        ("/console", "Back to the console")
    } else {
        ("/account", "Back to your services")
    };
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return (parts.status, "error").into_response();
    };
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
    let heading = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::SERVICE_UNAVAILABLE => "Unavailable",
        StatusCode::NOT_FOUND => "Not found",
        _ => "Something went wrong",
    };
    render_with(
        refusal_env(),
        "refused.html",
        context! { heading, message, back => home.0, back_text => home.1 },
        status,
    )
}

fn refusal_env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = environment();
        if let Err(e) = env.add_template(
            "refused.html",
            include_str!("../templates/app/refused.html"),
        ) {
            tracing::error!(error = %e, "the refusal page does not compile");
        }
        env
    })
}

/// Percent-encodes everything but unreserved characters and `/`.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
