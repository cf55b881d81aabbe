//! Logging in: argon2id passwords, the session cookie's attributes, where a login goes next,
//! wrong passwords and the rate limit, logging out, and the API token path.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::serve::{
    add_account, api_token, example_config, fresh_postgres, http_as, start, ADMIN, PASSWORD,
};
use crate::session::{exchange, form_encode, login, Reply};

fn config(dir: &Path) -> PathBuf {
    example_config(dir, None, "https://status.example.net")
}

/// The example configuration, with requests from this machine taken as coming through a
/// reverse proxy, so that `X-Forwarded-For` picks the client address a test pretends to be.
fn behind_proxy(dir: &Path) -> PathBuf {
    behind_proxy_on(dir, None)
}

/// [`behind_proxy`] on `database` (the test's SQLite file when `None`).
fn behind_proxy_on(dir: &Path, database: Option<&str>) -> PathBuf {
    let config = example_config(dir, database, "https://status.example.net");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.insert_str(0, "trusted_proxies = [\"127.0.0.1\", \"::1\"]\n");
    std::fs::write(&config, text).unwrap();
    config
}

/// A login form posted from `client` (through the proxy of [`behind_proxy`]).
fn post_login(addr: &str, client: &str, login: &str, password: &str, next: &str) -> Reply {
    exchange(
        addr,
        "POST",
        "/login",
        &format!(
            "Content-Type: application/x-www-form-urlencoded\r\nX-Forwarded-For: {client}\r\n"
        ),
        &form_encode(&[("login", login), ("password", password), ("next", next)]),
    )
}

/// The hashes of the session rows in the test database of `dir`.
fn stored_sessions(dir: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(dir.join("t.db")).unwrap();
    let mut q = db
        .prepare("SELECT token_hash FROM sessions ORDER BY token_hash")
        .unwrap();
    q.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// What the store keeps of the session token a reply's cookie carries.
fn cookie_hash(reply: &Reply) -> Option<String> {
    let token = reply
        .header("set-cookie")?
        .split(';')
        .next()?
        .strip_prefix("tocsin_session=")?;
    Some(hex::encode(Sha256::digest(token.as_bytes())))
}

/// Follows `/login?next=QUERY` as a browser would: the form must not carry the hostile
/// `next` on, and a login posting it anyway lands on the console with the one session its
/// cookie names and no other.
fn hostile_next_stays_home(query: &str, decoded: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config = behind_proxy(dir.path());
    let server = start(&config);
    let page = exchange(&server.addr, "GET", &format!("/login?next={query}"), "", "");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("name=\"next\" value=\"\""),
        "the form carries a refused next on: {}",
        page.body
    );
    let reply = post_login(&server.addr, "203.0.113.5", ADMIN, PASSWORD, decoded);
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), Some("/console"));
    let given = cookie_hash(&reply).expect("a session cookie with the redirect");
    assert_eq!(
        stored_sessions(dir.path()),
        vec![given],
        "a session exists that the client was not given"
    );
}

#[test]
fn a_next_with_a_tab_never_sends_the_login_off_site() {
    // Browsers drop the tab and read `//evil.example`, another site.
    hostile_next_stays_home("/%09/evil.example", "/\t/evil.example");
}

#[test]
fn a_next_with_a_line_break_still_redirects_and_leaves_no_stray_session() {
    hostile_next_stays_home("/%0d%0aX:1", "/\r\nX:1");
}

#[test]
fn a_session_cookie_is_http_only_strict_and_secure_and_logout_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let server = start(&config);
    let reply = exchange(
        &server.addr,
        "POST",
        "/login",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        &form_encode(&[
            ("login", ADMIN),
            ("password", PASSWORD),
            ("next", "/console"),
        ]),
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), Some("/console"));
    let cookie = reply.header("set-cookie").unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    let browser = login(&server.addr, ADMIN, PASSWORD).ok().unwrap();
    let impact = browser.get("/api/v1/impact");
    assert_eq!(impact.status, 200, "a session reads the staff API");
    // Logging out needs the session's CSRF token; without it nothing happens.
    assert_eq!(browser.post_raw("/logout", "csrf=wrong").status, 403);
    assert_eq!(browser.get("/api/v1/impact").status, 200);
}

#[test]
fn wrong_passwords_are_refused_then_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    add_account(&config, "jana@example.cz", "customer", Some("acme"));
    let server = start(&config);
    for _ in 0..5 {
        let r = login(&server.addr, "jana@example.cz", "not the password")
            .err()
            .unwrap();
        assert_eq!(r.status, 401);
        assert!(r.body.contains("Wrong login or password"), "{}", r.body);
    }
    // Locked now, even with the right password: no hash is computed for a locked login.
    let r = login(&server.addr, "jana@example.cz", PASSWORD)
        .err()
        .unwrap();
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    // An unknown login is refused exactly like a wrong password.
    let r = login(&server.addr, "nobody@example.cz", PASSWORD)
        .err()
        .unwrap();
    assert_eq!(r.status, 401);
    // Other accounts are not locked.
    assert!(login(&server.addr, ADMIN, PASSWORD).is_ok());
}

#[test]
fn api_tokens_act_as_their_account_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    add_account(&config, "junior@provider.test", "junior", None);
    let junior = api_token(&config, "junior@provider.test");
    let server = start(&config);
    assert_eq!(
        http_as(&server.addr, "GET", "/api/v1/impact", "", None).0,
        401
    );
    assert_eq!(
        http_as(&server.addr, "GET", "/api/v1/impact", "", Some("0123")).0,
        401
    );
    assert_eq!(
        http_as(&server.addr, "GET", "/api/v1/impact", "", Some(&junior)).0,
        200
    );
    // A junior engineer reads but does not reload the inventory.
    let (status, body) = http_as(
        &server.addr,
        "POST",
        "/api/v1/inventory/reload",
        "",
        Some(&junior),
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("junior"), "{body}");
}

#[test]
fn a_refused_page_action_is_an_html_page_not_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    add_account(&config, "junior@provider.test", "junior", None);
    add_account(&config, "jana@example.cz", "customer", Some("acme"));
    let server = start(&config);
    let junior = login(&server.addr, "junior@provider.test", PASSWORD)
        .ok()
        .unwrap();
    let reply = junior.post_form(
        "/console",
        "/console/vertices",
        &[("vertex", "sw-a"), ("state", "down"), ("reason", "test")],
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(
        reply.body.contains("junior may not do this"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("Back to the console"), "{}", reply.body);
    // A customer on a staff page, and staff on the client area, get pages too.
    let customer = login(&server.addr, "jana@example.cz", PASSWORD)
        .ok()
        .unwrap();
    let reply = customer.get("/console");
    assert_eq!(reply.status, 403);
    assert!(reply.body.contains("staff only"), "{}", reply.body);
    let reply = junior.get("/account");
    assert_eq!(reply.status, 403);
    assert!(
        reply.body.contains("<h1>Not allowed</h1>"),
        "{}",
        reply.body
    );
    // The JSON API keeps answering JSON.
    let reply = customer.get("/api/v1/impact");
    assert_eq!(reply.status, 403);
    assert!(reply.body.starts_with("{\"error\""), "{}", reply.body);
}

#[test]
fn behind_a_trusted_proxy_the_limit_counts_each_client_not_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let config = behind_proxy(dir.path());
    let server = start(&config);
    let attempt = |login: &str, client: &str| {
        post_login(&server.addr, client, login, "wrong password", "").status
    };
    // One client guessing many logins through the proxy is locked after 20 failures…
    for i in 0..20 {
        assert_eq!(attempt(&format!("guess{i}@x.test"), "198.51.100.66"), 401);
    }
    assert_eq!(attempt("another@x.test", "198.51.100.66"), 429);
    // …and everybody else behind the same proxy still logs in.
    let ok = post_login(&server.addr, "203.0.113.5", ADMIN, PASSWORD, "");
    assert_eq!(ok.status, 303, "{}", ok.body);
    // A client cannot dodge the limit by writing the header itself: the proxy appends the
    // address it saw, which is the one counted.
    assert_eq!(attempt("another@x.test", "1.2.3.4, 198.51.100.66"), 429);
}

#[test]
fn wrong_passwords_from_one_address_never_lock_the_owner_out_from_another() {
    let dir = tempfile::tempdir().unwrap();
    let config = behind_proxy(dir.path());
    let server = start(&config);
    let stranger = "198.51.100.66";
    for _ in 0..5 {
        let r = post_login(&server.addr, stranger, ADMIN, "not the password", "");
        assert_eq!(r.status, 401, "{}", r.body);
    }
    // The stranger's address is locked for this login, even with the right password: no hash
    // is computed for a locked pair.
    let r = post_login(&server.addr, stranger, ADMIN, PASSWORD, "");
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    // The owner, elsewhere, still gets in.
    let owner = post_login(&server.addr, "203.0.113.5", ADMIN, PASSWORD, "");
    assert_eq!(owner.status, 303, "{}", owner.body);
    assert_eq!(owner.header("location"), Some("/console"));
}

#[test]
fn failures_on_one_instance_lock_the_pair_on_another() {
    let Some(database) = fresh_postgres("limits") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = behind_proxy_on(dir.path(), Some(&database));
    let a = start(&config);
    let b = start(&config);
    let stranger = "198.51.100.66";
    for _ in 0..5 {
        let r = post_login(&a.addr, stranger, ADMIN, "not the password", "");
        assert_eq!(r.status, 401, "{}", r.body);
    }
    // B has seen no attempt, yet refuses the stranger's next one, right password or not.
    let r = post_login(&b.addr, stranger, ADMIN, PASSWORD, "");
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    // The owner, elsewhere, gets in on B; the stranger stays locked on A.
    let owner = post_login(&b.addr, "203.0.113.5", ADMIN, PASSWORD, "");
    assert_eq!(owner.status, 303, "{}", owner.body);
    let r = post_login(&a.addr, stranger, ADMIN, PASSWORD, "");
    assert_eq!(r.status, 429, "{}", r.body);
}
