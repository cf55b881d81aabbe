//! The logged-in pages in the browser: a customer logs in and sees only their own incident;
//! a shift lead posts an update in the console and the public page shows it.

use super::*;
use crate::serve::{add_account, PASSWORD};

/// Logs in through the form at `/login?next=…`, as a person would, and waits for `landing`.
pub(super) async fn log_in(b: &Browser, addr: &str, login: &str, next: &str, landing: &str) {
    b.goto(&format!("http://{addr}{next}")).await;
    // Not logged in: the page sends us to the form, which will bring us back.
    let url = b.client().current_url().await.unwrap();
    assert_eq!(url.path(), "/login", "{url}");
    let field = b.client().find(Locator::Id("login")).await.unwrap();
    field.send_keys(login).await.unwrap();
    let password = b.client().find(Locator::Id("password")).await.unwrap();
    password.send_keys(PASSWORD).await.unwrap();
    b.client()
        .find(Locator::Css("form.login button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.at_path(landing).await;
}

/// Incident ids from the staff API, waiting until `n` are open.
fn open_incidents(addr: &str, n: usize) -> Vec<(i64, String)> {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        let (_, body) = http(addr, "GET", "/api/v1/incidents", "");
        let list = crate::serve::json_of(&body)["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let services = i["services"][0]["service"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                (i["id"].as_i64().unwrap(), services)
            })
            .collect::<Vec<_>>();
        if list.len() >= n {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "{n} incidents never opened: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The open incidents the client area lists, checked to be exactly `id`.
async fn only_open_incident(b: &Browser, id: i64) -> Vec<fantoccini::elements::Element> {
    let listed = b
        .client()
        .find_all(Locator::Css(
            "section[aria-labelledby=open-h] ul.incidents > li",
        ))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].attr("id").await.unwrap(),
        Some(format!("incident-{id}"))
    );
    listed
}

#[test]
fn browser_customer_logs_in_and_sees_only_their_incident() {
    with_browser("customer", |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let config = setup(dir.path());
        add_account(&config, "it@acme.test", "customer", Some("acme"));
        add_account(&config, "it@beta.test", "customer", Some("beta"));
        let server = start(&config);
        // Two incidents: sw-a takes ACME's VPS down, hv-3 Beta's ERP server.
        alert(&server.addr, "sw-a", "down");
        alert(&server.addr, "hv-3", "down");
        let incidents = open_incidents(&server.addr, 2);
        let ours = incidents.iter().find(|(_, s)| s == "s-web").unwrap().0;
        let theirs = incidents.iter().find(|(_, s)| s == "b-vps").unwrap().0;

        log_in(&b, &server.addr, "it@acme.test", "/account", "/account").await;
        let h1 = b.client().find(Locator::Css("main h1")).await.unwrap();
        assert_eq!(h1.text().await.unwrap(), "ACME");
        // Their services with live state, as text (not colour only).
        let web = b.client().find(Locator::Id("service-s-web")).await.unwrap();
        assert_eq!(
            web.attr("data-state").await.unwrap().as_deref(),
            Some("down")
        );
        let mail = b
            .client()
            .find(Locator::Id("service-s-mail"))
            .await
            .unwrap();
        assert_eq!(
            mail.attr("data-state").await.unwrap().as_deref(),
            Some("up")
        );
        // Exactly their incident, nothing of Beta's.
        let listed = only_open_incident(&b, ours).await;
        let source = b.client().source().await.unwrap();
        assert!(
            !source.contains("beta-erp") && !source.contains("Beta") && !source.contains("b-vps"),
            "another customer's data on the page:\n{source}"
        );
        b.screenshot("1-overview").await;

        // Their incident opens with its services; Beta's does not exist for them.
        listed[0]
            .find(Locator::Css("a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.at_path(&format!("/account/incidents/{ours}")).await;
        let text = b.text().await;
        assert!(text.contains("s-web: down since"), "{text}");
        b.screenshot("2-incident").await;
        b.goto(&format!(
            "http://{}/account/incidents/{theirs}",
            server.addr
        ))
        .await;
        let text = b.text().await;
        assert!(
            text.contains("There is no such incident among yours."),
            "{text}"
        );
        assert!(!text.contains("beta-erp"), "{text}");
        b.screenshot("3-not-theirs").await;

        // Their preferences save through the form: the browser's own POST must pass the
        // server's origin check (a `no-referrer` policy made Chromium send `Origin: null`).
        b.goto(&format!("http://{}/account/preferences", server.addr))
            .await;
        let contacts = b.client().find(Locator::Id("contacts")).await.unwrap();
        contacts.clear().await.unwrap();
        contacts.send_keys("noc@acme.test").await.unwrap();
        b.client()
            .find(Locator::Css("form.preferences button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let text = b
            .text_until("the saved preferences", |t| {
                t.contains("Preferences saved.") || t.contains("refused")
            })
            .await;
        assert!(text.contains("Preferences saved."), "{text}");
        b.screenshot("4-preferences").await;

        // Beta, logged in elsewhere, sees theirs and not ACME's.
        b.client().delete_all_cookies().await.unwrap();
        log_in(&b, &server.addr, "it@beta.test", "/account", "/account").await;
        only_open_incident(&b, theirs).await;
        b.close().await;
    });
}

#[test]
fn browser_shift_lead_posts_an_update_and_the_public_page_shows_it() {
    with_browser("console", |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let config = setup(dir.path());
        add_account(&config, "lead@provider.test", "shift_lead", None);
        let server = start(&config);
        alert(&server.addr, "sw-a", "down");
        let id = open_incidents(&server.addr, 1)[0].0;
        let page = format!("/console/incidents/{id}");
        log_in(&b, &server.addr, "lead@provider.test", &page, &page).await;
        b.screenshot("1-incident").await;

        // First an internal note, then a public update, through the form.
        let post = |kind: &'static str, status: Option<&'static str>, text: &'static str| {
            let b = &b;
            async move {
                b.client()
                    .find(Locator::Css(&format!("input[name=kind][value={kind}]")))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
                if let Some(status) = status {
                    b.client()
                        .find(Locator::Css(&format!("#status option[value={status}]")))
                        .await
                        .unwrap()
                        .click()
                        .await
                        .unwrap();
                }
                let body = b.client().find(Locator::Id("body")).await.unwrap();
                body.send_keys(text).await.unwrap();
                b.client()
                    .find(Locator::Css("form[action$='/updates'] button[type=submit]"))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
            }
        };
        post("note", None, "Vendor ticket 4711 opened.").await;
        b.text_until("the note", |t| t.contains("Vendor ticket 4711 opened."))
            .await;
        post(
            "public",
            Some("identified"),
            "A failed switch in rack 7; traffic is moving to its pair.",
        )
        .await;
        b.text_until("the public update", |t| {
            t.contains("Public update published.") && t.contains("traffic is moving to its pair")
        })
        .await;
        b.screenshot("2-posted").await;

        b.goto(&format!("http://{}/", server.addr)).await;
        let text = b
            .reload_until("the shift lead's update", |t| {
                t.contains("A failed switch in rack 7; traffic is moving to its pair.")
            })
            .await;
        assert!(text.contains("Identified"), "{text}");
        assert!(
            !text.contains("Vendor ticket 4711"),
            "an internal note is public:\n{text}"
        );
        b.screenshot("3-public-page").await;
        b.close().await;
    });
}
