//! The security headers every answer carries, the caching staff answers must not allow, and
//! the public status outputs' own caching left as it was.

use std::time::Duration;

use crate::serve::{add_account, api_token, example_config, start, wait_for, ADMIN, PASSWORD};
use crate::session::{exchange, login, Reply};

/// Asserts the headers every answer carries, whatever its path.
fn assert_hardened(what: &str, r: &Reply) {
    let csp = r
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: {directive} missing: {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert!(r.header("referrer-policy").is_some(), "{what}");
}

#[test]
fn pages_and_apis_carry_security_headers_and_staff_answers_are_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    add_account(&config, ADMIN, "admin", None);
    add_account(&config, "jana@example.cz", "customer", Some("acme"));
    let token = api_token(&config, ADMIN);
    let server = start(&config);
    let addr = &server.addr;

    // The public page keeps its own short public caching and its ETag.
    wait_for(addr, "/", "the status page", Duration::from_secs(20), |b| {
        b.contains("<!doctype html>")
    });
    let page = exchange(addr, "GET", "/", "", "");
    assert_eq!(page.status, 200, "{}", page.body);
    assert_hardened("/", &page);
    assert_eq!(page.header("cache-control"), Some("public, max-age=5"));
    assert!(page.header("etag").is_some());
    assert!(
        page.header("strict-transport-security").is_none(),
        "HSTS over a plain-HTTP public URL"
    );
    let css = exchange(addr, "GET", "/assets/app.css", "", "");
    assert_eq!(css.header("cache-control"), Some("public, max-age=3600"));

    // Staff JSON, with an API token.
    let impact = exchange(
        addr,
        "GET",
        "/api/v1/impact",
        &format!("Authorization: Bearer {token}\r\n"),
        "",
    );
    assert_eq!(impact.status, 200, "{}", impact.body);
    assert_hardened("/api/v1/impact", &impact);
    assert_eq!(impact.header("cache-control"), Some("no-store"));
    // A refusal is not stored either.
    let refused = exchange(addr, "GET", "/api/v1/impact", "", "");
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("cache-control"), Some("no-store"));

    // A console page, with a session.
    let staff = login(addr, ADMIN, PASSWORD).ok().unwrap();
    let console = staff.get("/console");
    assert_eq!(console.status, 200, "{}", console.body);
    assert_hardened("/console", &console);
    assert_eq!(console.header("cache-control"), Some("no-store"));

    // The client area's pages link to the private feed: its address never goes to another
    // site, yet the browser's own form posts still name their origin.
    let customer = login(addr, "jana@example.cz", PASSWORD).ok().unwrap();
    let area = customer.get("/account");
    assert_eq!(area.status, 200, "{}", area.body);
    assert_hardened("/account", &area);
    assert_eq!(area.header("referrer-policy"), Some("same-origin"));
    assert_eq!(area.header("cache-control"), Some("no-store"));
}

#[test]
fn hsts_is_sent_only_when_the_public_url_is_https() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "https://status.example.net");
    let server = start(&config);
    let r = exchange(&server.addr, "GET", "/healthz", "", "");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    assert_hardened("/healthz", &r);
}
