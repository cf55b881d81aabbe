//! The help centre's suggestions in a real browser: typing a word form into the `/help`
//! search box (`data-help-suggest`) lists the matching article in `data-help-suggestions`
//! under the page's content security policy, and the link opens it.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;

use super::{with_browser, PAGE_WAIT};
use crate::serve::{example_config, http, start};

#[test]
fn browser_help_suggests_articles_while_one_types() {
    with_browser("help", |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let config = example_config(dir.path(), None, "http://status.example.net");
        let server = start(&config);
        for (slug, title, body) in [
            (
                "restart",
                "Restart serveru",
                "Server restartujete v zákaznické sekci.",
            ),
            (
                "faktury",
                "Faktury a platby",
                "Faktury najdete v zákaznické sekci.",
            ),
        ] {
            let article = json!({"slug": slug, "language": "cs", "title": title, "body": body});
            let (status, reply) = http(
                &server.addr,
                "POST",
                "/api/v1/help/articles",
                &article.to_string(),
            );
            assert_eq!(status, 201, "{reply}");
        }

        b.goto(&format!("http://{}/help?lang=cs", server.addr))
            .await;
        let input = b.client().find(Locator::Id("help-q")).await.unwrap();
        // Another form of the title's word, typed as a customer types it.
        input.send_keys("restart serverem").await.unwrap();
        let deadline = Instant::now() + PAGE_WAIT;
        let link = loop {
            let links = b
                .client()
                .find_all(Locator::Css("ul[data-help-suggestions] li a"))
                .await
                .unwrap();
            let mut found = Vec::new();
            for l in &links {
                found.push((l.text().await.unwrap(), l.attr("href").await.unwrap()));
            }
            if !found.is_empty() {
                assert_eq!(
                    found,
                    [(
                        "Restart serveru".to_owned(),
                        Some("/help/restart?lang=cs".to_owned())
                    )]
                );
                break links.into_iter().next().unwrap();
            }
            assert!(Instant::now() < deadline, "no suggestion appeared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        b.screenshot("1-suggested").await;
        link.click().await.unwrap();
        b.at_path("/help/restart").await;
        let text = b.text().await;
        assert!(text.contains("Pomohl vám tento článek?"), "{text}");
        b.screenshot("2-article").await;
        b.close().await;
    });
}
