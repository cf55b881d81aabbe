//! The support desk in the browser: a junior's queue shows the ticket whose first response
//! was missed first and visibly marked, although another is due sooner; on the ticket's page
//! picking a canned reply fills the reply's text; the customer's own ticket page renders; no
//! page logs an error to the browser's console (a script or style the pages' policy refuses
//! would).

use super::portal::log_in;
use super::*;
use crate::desk_pages::{desk_config, ACME, BETA, JUNIOR, LEAD};
use crate::mail::Keeper;
use crate::serve::{api_token, http_as, json_of};

/// ChromeDriver's `se/log` command: the browser's console messages since the last read.
#[derive(Debug)]
struct ConsoleLog;

impl fantoccini::wd::WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// The errors the browser's console got since the last call. The browser's own request for
/// `/favicon.ico`, which no page asks for and the server does not have, is left out.
async fn console_errors(b: &Browser) -> Vec<String> {
    let log = b.client().issue_cmd(ConsoleLog).await.unwrap();
    log.as_array()
        .unwrap_or_else(|| panic!("no console log: {log}"))
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .filter(|e| {
            !e["message"]
                .as_str()
                .unwrap_or_default()
                .contains("/favicon.ico ")
        })
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn open(addr: &str, token: &str, subject: &str) -> i64 {
    let body = serde_json::json!({"subject": subject, "body": "Please have a look."});
    let (status, t) = http_as(
        addr,
        "POST",
        "/api/v1/tickets",
        &body.to_string(),
        Some(token),
    );
    assert_eq!(status, 201, "{t}");
    json_of(&t)["id"].as_i64().unwrap()
}

#[test]
fn browser_the_queue_shows_a_breached_ticket_first_and_the_customer_reads_their_ticket() {
    with_browser("desk", |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let keeper = Keeper::start(&dir.path().join("mail"), None);
        // ACME's first response is due after 2 s, Beta's after 8 h.
        let config = desk_config(dir.path(), &keeper, "2s");
        let (acme, beta) = (api_token(&config, ACME), api_token(&config, BETA));
        let lead = api_token(&config, LEAD);
        let server = start(&config);
        let addr = server.addr.as_str();
        let late = open(addr, &acme, "Checkout is down");
        let calm = open(addr, &beta, "Invoice question");
        let canned = serde_json::json!({"title": "Restarted", "language": "en",
            "body": "We restarted the <checkout> service.\nPlease try again."});
        let (status, reply) = http_as(
            addr,
            "POST",
            "/api/v1/canned-replies",
            &canned.to_string(),
            Some(&lead),
        );
        assert_eq!(status, 201, "{reply}");
        crate::serve::wait_for(addr, "/api/v1/tickets/queue", "a breach", PAGE_WAIT, |q| {
            json_of(q)["breached"] == 1
        });

        log_in(&b, addr, JUNIOR, "/console/tickets", "/console/tickets").await;
        let rows = b
            .client()
            .find_all(Locator::Css("#queue tbody tr"))
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        // Once missed, ACME's next target is the resolution in two days, later than Beta's
        // first response: only the breach puts it first.
        assert_eq!(
            rows[0].attr("id").await.unwrap().unwrap(),
            format!("ticket-{late}")
        );
        assert_eq!(rows[0].attr("data-breached").await.unwrap().unwrap(), "yes");
        assert_eq!(
            rows[1].attr("id").await.unwrap().unwrap(),
            format!("ticket-{calm}")
        );
        assert_eq!(rows[1].attr("data-breached").await.unwrap().unwrap(), "no");
        let mark = rows[0]
            .find(Locator::Css("strong.state-down"))
            .await
            .unwrap();
        assert!(mark.is_displayed().await.unwrap());
        assert_eq!(mark.text().await.unwrap(), "Breached");
        let border = rows[0].css_value("border-left-style").await.unwrap();
        assert_eq!(border, "solid", "the breached row is not marked");
        assert_eq!(
            rows[1].css_value("border-left-style").await.unwrap(),
            "none"
        );
        b.screenshot("queue").await;
        assert_eq!(console_errors(&b).await, Vec::<String>::new());

        // The ticket's page loads cleanly too, and picking a canned reply fills the text.
        b.goto(&format!("http://{addr}/console/tickets/{late}"))
            .await;
        let text = b.text().await;
        assert!(text.contains("first_response: due"), "{text}");
        let picker = b.client().find(Locator::Id("canned")).await.unwrap();
        picker.select_by_value("1").await.unwrap();
        let reply = b.client().find(Locator::Id("reply-body")).await.unwrap();
        assert_eq!(
            reply.prop("value").await.unwrap().unwrap_or_default(),
            "We restarted the <checkout> service.\nPlease try again."
        );
        b.screenshot("ticket").await;
        assert_eq!(console_errors(&b).await, Vec::<String>::new());

        // Log out, and in as the customer.
        b.client()
            .find(Locator::Css("form.who button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let page = format!("/account/tickets/{late}");
        log_in(&b, addr, ACME, &page, &page).await;
        let text = b.text().await;
        assert!(
            text.contains(&format!("T-{late}: Checkout is down")),
            "{text}"
        );
        assert!(text.contains("Please have a look."), "{text}");
        let status = b
            .client()
            .find(Locator::Css("#fields td[data-status]"))
            .await
            .unwrap();
        assert_eq!(status.attr("data-status").await.unwrap().unwrap(), "open");
        assert_eq!(status.text().await.unwrap(), "Open");
        assert!(!text.contains("Invoice question"));
        b.screenshot("customer-ticket").await;
        assert_eq!(console_errors(&b).await, Vec::<String>::new());
        b.close().await;
    });
}
