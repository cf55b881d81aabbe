//! Customers' own webhooks never reach into the provider's network: a URL naming a local or
//! private address is refused when saved, and a name resolving to one is refused when the
//! notice is delivered, unless `[notify] allow_private_webhooks` is set.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::account::{audit, config_with, fire, ALLOW_PRIVATE, JANA, OWN_SECRET};
use crate::mail::Keeper;
use crate::serve::{http, json_of, start, PASSWORD};
use crate::session::login;
use crate::webhooks::HookServer;

#[test]
fn a_private_webhook_url_is_refused_when_saved_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let hooks = HookServer::start(vec![204]);
    let server = start(&config_with(dir.path(), keeper.port, ""));
    let jana = login(&server.addr, JANA, PASSWORD).ok().unwrap();
    let loopback = format!("http://127.0.0.1:{}/hook", hooks.port);
    for (url, host) in [
        (loopback.as_str(), "127.0.0.1"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://localhost:8080/hook", "localhost"),
        ("https://[::1]/hook", "[::1]"),
    ] {
        let r = jana.post_form(
            "/account/preferences",
            "/account/preferences",
            &[
                ("contacts", ""),
                ("language", "en"),
                ("webhook_url", url),
                ("webhook_secret", OWN_SECRET),
            ],
        );
        assert_eq!(r.status, 422, "{url}: {}", r.body);
        let message = format!("Webhook URL: “{host}” is a local, private or reserved address");
        assert!(r.body.contains(&message), "{url}: {}", r.body);
        assert!(
            r.body
                .contains("aria-describedby=\"webhook-help form-error\" aria-invalid=\"true\""),
            "the webhook URL field is marked: {}",
            r.body
        );
        assert!(!r.body.contains(OWN_SECRET));
    }
    assert!(audit(dir.path()).is_empty(), "nothing stored");
    assert!(!jana.get("/account/preferences").body.contains("/hook"));
}

/// Waits until the outbox's webhook row has failed, and returns it.
fn failed_webhook_row(addr: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let outbox = json_of(&http(addr, "GET", "/api/v1/outbox", "").1);
        let row = outbox["latest"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"].as_str().unwrap().starts_with("webhook.") && r["state"] == "failed")
            .cloned();
        if let Some(row) = row {
            return row;
        }
        assert!(Instant::now() < deadline, "{outbox}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_name_resolving_to_loopback_is_refused_at_delivery_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let hooks = HookServer::start(vec![204]);
    // Saved while the switch was on (or while the name pointed elsewhere)…
    let config = config_with(dir.path(), keeper.port, ALLOW_PRIVATE);
    let url = format!("http://localhost:{}/hook", hooks.port);
    {
        let server = start(&config);
        let jana = login(&server.addr, JANA, PASSWORD).ok().unwrap();
        let r = jana.post_form(
            "/account/preferences",
            "/account/preferences",
            &[
                ("contacts", ""),
                ("language", "en"),
                ("webhook_url", &url),
                ("webhook_secret", OWN_SECRET),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.body);
    }
    // …then the server runs without it: delivery resolves the name and refuses.
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace(ALLOW_PRIVATE, "")).unwrap();
    let server = start(&config);
    fire(&server.addr, "sw-a");
    let row = failed_webhook_row(&server.addr);
    // Staff read the URL masked to scheme, host and port: the rest may be the credential.
    let masked = format!("http://localhost:{}/…", hooks.port);
    assert_eq!(row["contact"], masked.as_str());
    assert_eq!(row["attempts"], 1, "never retried: {row}");
    let error = row["last_error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!(
            "webhook {masked}: refused: host `localhost` resolves to "
        )),
        "{error}"
    );
    assert!(error.contains("(loopback)"), "{error}");
    // E-mail still goes out; the hook server never hears a thing.
    assert_eq!(keeper.wait_for(3, Duration::from_secs(30)).len(), 3);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(hooks.got.lock().unwrap().is_empty());
    assert_eq!(failed_webhook_row(&server.addr)["attempts"], 1);
}
