//! `GET/POST /login` and `POST /logout`: one form for staff and customers. A good password
//! opens a session (random token in an `HttpOnly`, `SameSite=Strict` cookie, `Secure` when the
//! public URL is HTTPS; only its hash is stored) and goes on to where the visitor was sent
//! from, or to the console (staff) or the client area (customers).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Environment};
use serde::{Deserialize, Serialize};
use tocsin_model::inventory::Language;
use tocsin_store::AccountStore;

use super::limit::Locked;
use super::{principal, same_origin, secrets, Role, Via, COOKIE_NAME, SESSION_MS};
use crate::App;

/// The login routes.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/login", get(form).post(submit))
        .route("/logout", post(logout))
        .route("/assets/app.css", get(crate::ui::css))
}

#[derive(Serialize)]
struct Texts {
    title: &'static str,
    skip: &'static str,
    login: &'static str,
    password: &'static str,
    submit: &'static str,
    wrong: &'static str,
    wait: &'static str,
}

fn texts(l: Language) -> Texts {
    let (title, skip, login, password, submit, wrong, wait) = match l {
        Language::Cs => (
            "Přihlášení",
            "Přeskočit na obsah",
            "Přihlašovací jméno (e-mail)",
            "Heslo",
            "Přihlásit se",
            "Nesprávné jméno nebo heslo.",
            "Příliš mnoho pokusů. Zkuste to znovu za {} min.",
        ),
        Language::Pl => (
            "Logowanie",
            "Przejdź do treści",
            "Login (e-mail)",
            "Hasło",
            "Zaloguj się",
            "Nieprawidłowy login lub hasło.",
            "Zbyt wiele prób. Spróbuj ponownie za {} min.",
        ),
        Language::Fr => (
            "Connexion",
            "Aller au contenu",
            "Identifiant (e-mail)",
            "Mot de passe",
            "Se connecter",
            "Identifiant ou mot de passe incorrect.",
            "Trop de tentatives. Réessayez dans {} min.",
        ),
        Language::Ru => (
            "Вход",
            "Перейти к содержимому",
            "Логин (e-mail)",
            "Пароль",
            "Войти",
            "Неверный логин или пароль.",
            "Слишком много попыток. Повторите через {} мин.",
        ),
        Language::En => (
            "Log in",
            "Skip to content",
            "Login (e-mail)",
            "Password",
            "Log in",
            "Wrong login or password.",
            "Too many attempts. Try again in {} min.",
        ),
    };
    Texts {
        title,
        skip,
        login,
        password,
        submit,
        wrong,
        wait,
    }
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = crate::ui::environment();
        if let Err(e) =
            env.add_template("login.html", include_str!("../../templates/app/login.html"))
        {
            tracing::error!(error = %e, "the login template does not compile");
        }
        env
    })
}

fn language(headers: &HeaderMap) -> Language {
    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    crate::status::negotiate(None, accept)
}

/// Only a path on this site is followed after login: one leading `/`, then no backslash and
/// no control character. Browsers drop tabs and line breaks from a `Location` and read `\\`
/// as `/`, so `/\t/evil.example` or `/\\evil.example` would become `//evil.example`, another
/// site; and a line break cannot go into a header at all.
fn safe_next(next: &str) -> Option<&str> {
    let rest = next.strip_prefix('/')?;
    let same_site = !rest.starts_with('/')
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_ascii_control());
    same_site.then_some(next)
}

/// The `Location` after a login: `next` when it is a path on this site, else the role's
/// home. Never fails, so that a session cookie always goes with its redirect; bytes beyond
/// ASCII are percent-encoded, which is how a browser would send them anyway.
fn location(next: &str, home: &'static str) -> HeaderValue {
    let Some(next) = safe_next(next) else {
        return HeaderValue::from_static(home);
    };
    let mut encoded = String::with_capacity(next.len());
    for b in next.bytes() {
        if b.is_ascii() {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&encoded).unwrap_or(HeaderValue::from_static(home))
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

async fn form(headers: HeaderMap, Query(q): Query<Next>) -> Response {
    let l = language(&headers);
    let next = q.next.as_deref().and_then(safe_next).unwrap_or("");
    page(l, next, "", None, StatusCode::OK)
}

fn page(
    l: Language,
    next: &str,
    login: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    crate::ui::render_with(
        env(),
        "login.html",
        context! { lang => l.code(), t => texts(l), next, login, error },
        status,
    )
}

#[derive(Deserialize)]
struct Credentials {
    login: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn submit(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(c): Form<Credentials>,
) -> Response {
    let l = language(&headers);
    let t = texts(l);
    if !same_origin(&Method::POST, &headers) {
        return (StatusCode::FORBIDDEN, "cross-origin login refused").into_response();
    }
    let next = safe_next(&c.next).unwrap_or("");
    let login = c.login.trim().to_owned();
    let client = app.trusted_proxies.client(peer.ip(), &headers);
    let address = client.to_string();
    let now = app.clock.now_ms();
    let delay = match app.limiter.check(&app.store, &login, client, now).await {
        Ok(delay) => delay,
        Err(Locked { retry_after_ms }) => {
            let minutes = (retry_after_ms + 59_999) / 60_000;
            let mut r = page(
                l,
                next,
                &login,
                Some(t.wait.replace("{}", &minutes.to_string())),
                StatusCode::TOO_MANY_REQUESTS,
            );
            if let Ok(v) = (retry_after_ms / 1000 + 1).to_string().parse() {
                r.headers_mut().insert(RETRY_AFTER, v);
            }
            return r;
        }
    };
    // A login guessed at from many addresses answers slowly, whoever asks: the delay comes
    // before the password is looked at, so that answering fast gives nothing away.
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let account = match app.store.account_by_login(&login).await {
        Ok(a) => a.filter(|a| !a.disabled),
        Err(e) => {
            tracing::warn!(error = %e, "login: database unreachable");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
        }
    };
    let hash = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| secrets::decoy_hash().to_owned());
    let password = c.password;
    let good = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(account) = account.filter(|_| good) else {
        app.limiter.failed(&app.store, &login, client, now).await;
        tracing::info!(%login, %address, "login refused");
        return page(
            l,
            next,
            &login,
            Some(t.wrong.to_owned()),
            StatusCode::UNAUTHORIZED,
        );
    };
    app.limiter.succeeded(&app.store, &login, client).await;
    let (Ok(token), Ok(csrf)) = (secrets::random_token(), secrets::random_token()) else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no randomness available").into_response();
    };
    // The whole answer is made before the session is stored: a session the answer could not
    // carry would be left behind, live, with nobody holding its cookie.
    let home = match Role::parse(&account.role) {
        Some(Role::Customer) => "/account",
        _ => "/console",
    };
    let cookie = format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_MS / 1000,
        if app.secure_cookies { "; Secure" } else { "" }
    );
    let Ok(cookie) = HeaderValue::from_str(&cookie) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "session cookie not made").into_response();
    };
    let mut answer = StatusCode::SEE_OTHER.into_response();
    answer.headers_mut().insert(SET_COOKIE, cookie);
    answer.headers_mut().insert(LOCATION, location(next, home));
    if let Err(e) = app
        .store
        .create_session(
            &secrets::token_hash(&token),
            account.id,
            &csrf,
            now,
            now + SESSION_MS,
        )
        .await
    {
        tracing::warn!(error = %e, "login: session not stored");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    let _ = app
        .store
        .audit(
            now,
            &account.login,
            "login",
            &format!("account:{}", account.login),
            &address,
        )
        .await;
    answer
}

#[derive(Deserialize)]
struct Logout {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(f): Form<Logout>,
) -> Response {
    let clear = format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(Some(p)) = principal(&app, &headers).await {
        if p.check_csrf(Some(&f.csrf)).is_err() {
            return (
                StatusCode::FORBIDDEN,
                "the form's anti-forgery token is missing or stale",
            )
                .into_response();
        }
        if let Via::Session { token_hash, .. } = &p.via {
            let _ = app.store.delete_session(token_hash).await;
        }
    }
    (
        StatusCode::SEE_OTHER,
        [(SET_COOKIE, clear), (LOCATION, "/login".to_owned())],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next("/account"), Some("/account"));
        assert_eq!(
            safe_next("/console/incidents/4?x=1&y=%2F#u"),
            Some("/console/incidents/4?x=1&y=%2F#u")
        );
        assert_eq!(safe_next("/"), Some("/"));
        for hostile in [
            "",
            "account",
            "//evil.example/x",
            "https://evil.example",
            "/\\evil",
            "/x\\y",
            // Browsers strip tabs and line breaks, leaving `//evil.example`.
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            // Header injection, and the rest of the control characters.
            "/\r\nX:1",
            "/\0",
            "/a\u{1b}b",
            "/a\u{7f}",
        ] {
            assert_eq!(safe_next(hostile), None, "{hostile:?}");
        }
    }

    #[test]
    fn the_location_is_always_a_header_on_this_site() {
        assert_eq!(location("/console/spof", "/console"), "/console/spof");
        assert_eq!(location("/\t/evil.example", "/console"), "/console");
        assert_eq!(location("/\r\nX:1", "/account"), "/account");
        assert_eq!(location("//evil.example", "/account"), "/account");
        assert_eq!(location("/služby", "/account"), "/slu%C5%BEby");
    }

    #[test]
    fn the_login_page_renders_in_every_language() {
        for l in Language::ALL {
            let html = env()
                .get_template("login.html")
                .unwrap()
                .render(context! { lang => l.code(), t => texts(l), next => "/a", login => "<x>", error => "e" })
                .unwrap();
            assert!(html.contains("name=\"password\""));
            assert!(html.contains("&lt;x&gt;"), "escaped");
        }
    }
}
