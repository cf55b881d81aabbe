//! `GET/POST /login` and `POST /logout`: one form for staff and customers. A good password
//! opens a session (random token in an `HttpOnly`, `SameSite=Strict` cookie, `Secure` when the
//! public URL is HTTPS; only its hash is stored) and goes on to where the visitor was sent
//! from, or to the console (staff) or the client area (customers).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Environment};
use serde::{Deserialize, Serialize};
use tocsin_model::inventory::Language;
use tocsin_store::AccountStore;

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

/// Only our own absolute paths are followed after login (never `//host` or `https://…`).
fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
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
    let login = c.login.trim().to_owned();
    let address = app.trusted_proxies.client(peer.ip(), &headers).to_string();
    let now = app.clock.now_ms();
    if let Err(wait_ms) = app.limiter.check(&login, &address, now) {
        let minutes = (wait_ms + 59_999) / 60_000;
        let mut r = page(
            l,
            &c.next,
            &login,
            Some(t.wait.replace("{}", &minutes.to_string())),
            StatusCode::TOO_MANY_REQUESTS,
        );
        if let Ok(v) = (wait_ms / 1000 + 1).to_string().parse() {
            r.headers_mut().insert(RETRY_AFTER, v);
        }
        return r;
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
        app.limiter.failed(&login, &address, now);
        tracing::info!(%login, %address, "login refused");
        return page(
            l,
            &c.next,
            &login,
            Some(t.wrong.to_owned()),
            StatusCode::UNAUTHORIZED,
        );
    };
    app.limiter.succeeded(&login);
    let (Ok(token), Ok(csrf)) = (secrets::random_token(), secrets::random_token()) else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no randomness available").into_response();
    };
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
    let home = match Role::parse(&account.role) {
        Some(Role::Customer) => "/account",
        _ => "/console",
    };
    let to = safe_next(&c.next).unwrap_or(home).to_owned();
    let cookie = format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_MS / 1000,
        if app.secure_cookies { "; Secure" } else { "" }
    );
    (
        StatusCode::SEE_OTHER,
        [(SET_COOKIE, cookie), (LOCATION, to)],
    )
        .into_response()
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
        assert_eq!(safe_next("//evil.example/x"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil"), None);
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
