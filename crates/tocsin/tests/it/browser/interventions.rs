//! An OS intervention requested in the browser: the customer fills the client area's form
//! (server, work, scope, password, how long, both confirmations) and lands on the ticket's
//! page, which shows the intervention panel with the authorisation holding and a revoke
//! button, and never the password typed.

use super::portal::log_in;
use super::*;
use crate::desk_pages::{desk_config, ACME};
use crate::mail::Keeper;

const TYPED_PASSWORD: &str = "Browser-Typed-Pa55";

/// Types `text` into the field with id `id`.
async fn fill(b: &Browser, id: &str, text: &str) {
    let field = b.client().find(Locator::Id(id)).await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks the element `css` selects.
async fn click(b: &Browser, css: &str) {
    b.client()
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

#[test]
fn browser_a_customer_requests_an_intervention_and_its_page_shows_the_panel() {
    with_browser("interventions", |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let keeper = Keeper::start(&dir.path().join("mail"), None);
        let config = desk_config(dir.path(), &keeper, "30m");
        let server = start(&config);
        let addr = server.addr.as_str();
        let form = "/account/tickets/intervention";
        log_in(&b, addr, ACME, form, form).await;

        let server_field = b.client().find(Locator::Id("server")).await.unwrap();
        server_field.select_by_value("vps-2").await.unwrap();
        fill(&b, "action", "Free disk space on /var").await;
        fill(&b, "scope", "Delete old logs and rotate them").await;
        fill(&b, "username", "root").await;
        fill(&b, "password", TYPED_PASSWORD).await;
        click(&b, "input[name=valid][value='24h']").await;
        click(&b, "input[name=backups_confirmed]").await;
        click(&b, "input[name=interruption_accepted]").await;
        b.screenshot("form").await;
        click(&b, "#intervention-form button[type=submit]").await;

        let text = b
            .text_until("the intervention panel", |t| {
                t.contains("OS intervention on vps-2")
            })
            .await;
        let url = b.client().current_url().await.unwrap();
        assert!(url.path().starts_with("/account/tickets/"), "{url}");
        assert!(text.contains("Your authorisation has been sent"), "{text}");
        assert!(text.contains("Delete old logs and rotate them"), "{text}");
        assert!(text.contains("valid until"), "{text}");
        assert!(!text.contains(TYPED_PASSWORD));
        let holds = b.client().find(Locator::Id("authorisation")).await.unwrap();
        assert_eq!(holds.attr("data-holds").await.unwrap().unwrap(), "yes");
        let revoke = b
            .client()
            .find(Locator::Css("#intervention button[type=submit]"))
            .await
            .unwrap();
        assert!(revoke.is_displayed().await.unwrap());
        assert_eq!(revoke.text().await.unwrap(), "Revoke the authorisation");
        let source = b.client().source().await.unwrap();
        assert!(
            !source.contains(TYPED_PASSWORD),
            "the password is on the page"
        );
        b.screenshot("ticket").await;
        b.close().await;
    });
}
