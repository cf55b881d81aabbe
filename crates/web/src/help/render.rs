//! What both the pages and the JSON API of the help centre need: Markdown rendered to
//! sanitized HTML, and who is voting. Kept apart from the routes (which name the API's
//! handlers) so that the API can use it without a loop of imports.

use std::net::SocketAddr;

use axum::http::{HeaderMap, Method};
use tocsin_app::ops::Voter;

use crate::auth::Refusal;
use crate::App;

/// GitHub Flavored Markdown rendered to HTML and sanitized: scripts, event handlers,
/// `javascript:` links and styles never survive. Raw HTML is handed to the sanitizer rather
/// than escaped, so that harmless tags (`<kbd>`) stay.
pub(crate) fn markdown_html(markdown: &str) -> String {
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.tasklist = true;
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.render.r#unsafe = true;
    let html = comrak::markdown_to_html(markdown, &options);
    ammonia::Builder::default()
        .rm_tags(["img"])
        .clean(&html)
        .to_string()
}

/// Who votes: the signed-in account, else the client's address.
pub(crate) async fn voter(
    app: &App,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<Voter, Refusal> {
    if !crate::auth::same_origin(&Method::POST, headers) {
        return Err(Refusal::Forbidden("cross-origin vote refused".to_owned()));
    }
    Ok(match crate::auth::principal(app, headers).await? {
        Some(p) => Voter::Account(p.login.clone()),
        None => Voter::Address(app.trusted_proxies.client(peer.ip(), headers)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_sanitized() {
        let html = markdown_html(
            "# Title\n\n**bold** <kbd>Ctrl</kbd>\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) <a href=\"/ok\" onclick=\"evil()\">ok</a>\n\n![i](https://t.test/i.png)",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<kbd>Ctrl</kbd>"), "{html}");
        for gone in ["<script", "alert(1)", "javascript:", "onclick", "<img"] {
            assert!(!html.contains(gone), "{gone} in {html}");
        }
    }
}
