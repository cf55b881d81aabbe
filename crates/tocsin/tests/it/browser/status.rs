//! The public status page in the browser: an outage and its updates, keyboard and focus, the
//! static export opened from disk.

use super::*;

#[test]
fn browser_shows_an_outage_its_incident_and_public_updates_never_internal_notes() {
    with_browser("outage", |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let server = start(&setup(dir.path()));
        let url = format!("http://{}/", server.addr);

        b.goto(&url).await;
        assert_eq!(b.client().title().await.unwrap(), "Service status · Tocsin");
        assert_eq!(b.components().await, all_operational());
        let text = b.text().await;
        assert!(text.contains("All systems operational"), "{text}");
        assert!(text.contains("No active incidents."), "{text}");
        b.screenshot("1-operational").await;

        // The switch under the VPS fails: only its component is out, and an incident opens.
        alert(&server.addr, "sw-a", "down");
        b.reload_until("the outage", |t| !t.contains("No active incidents."))
            .await;
        let mut want = all_operational();
        want[0] = (
            "component-vps".into(),
            "major_outage".into(),
            "✕ Major outage".into(),
        );
        assert_eq!(b.components().await, want);
        let overall = b.client().find(Locator::Id("overall")).await.unwrap();
        // One component of four fully out: a major outage, not "all services down".
        assert_eq!(
            overall.attr("class").await.unwrap().unwrap(),
            "overall major"
        );
        let incidents = b
            .client()
            .find_all(Locator::Css(
                "section[aria-labelledby=incidents-h] article.incident",
            ))
            .await
            .unwrap();
        assert_eq!(incidents.len(), 1);
        let heading = incidents[0].find(Locator::Css("h3")).await.unwrap();
        assert!(heading.text().await.unwrap().contains("Cloud VPS"));
        let badge = incidents[0].find(Locator::Css(".badge")).await.unwrap();
        assert_eq!(badge.text().await.unwrap(), "Investigating");
        // The public never sees customers or internal vertex names.
        let source = b.client().source().await.unwrap();
        assert!(
            !source.contains("ACME") && !source.contains("sw-a"),
            "{source}"
        );
        b.screenshot("2-outage").await;

        // Staff write an internal note, then a public update: the page shows only the update.
        let id = active_incident(&server.addr);
        let (status, body) = http(
            &server.addr,
            "POST",
            &format!("/api/v1/incidents/{id}/updates"),
            r#"{"status": "identified", "body": "INTERNAL-7 the vendor again", "public": false}"#,
        );
        assert_eq!(status, 201, "{body}");
        let (status, body) = http(
            &server.addr,
            "POST",
            &format!("/api/v1/incidents/{id}/updates"),
            r#"{"status": "identified", "body": "A failed switch; traffic moves to its pair.", "public": true}"#,
        );
        assert_eq!(status, 201, "{body}");
        let text = b
            .reload_until("the public update", |t| {
                t.contains("A failed switch; traffic moves to its pair.")
            })
            .await;
        assert!(!text.contains("INTERNAL-7"), "{text}");
        let source = b.client().source().await.unwrap();
        assert!(!source.contains("INTERNAL-7"), "the note is in the page");
        let updates = b
            .client()
            .find_all(Locator::Css("article.incident ol.timeline > li"))
            .await
            .unwrap();
        assert_eq!(updates.len(), 1);
        let update = updates[0].text().await.unwrap();
        assert!(update.starts_with("Identified"), "{update}");
        let badge = b
            .client()
            .find(Locator::Css("article.incident .badge"))
            .await
            .unwrap();
        assert_eq!(badge.text().await.unwrap(), "Identified");
        b.screenshot("3-public-update").await;

        // Recovery: operational again, the incident moves to "recent".
        alert(&server.addr, "sw-a", "up");
        let text = b
            .reload_until("the recovery", |t| t.contains("No active incidents."))
            .await;
        assert!(
            text.contains("A failed switch; traffic moves to its pair."),
            "{text}"
        );
        assert_eq!(b.components().await, all_operational());
        b.screenshot("4-resolved").await;
        b.close().await;
    });
}

#[test]
fn browser_keyboard_reaches_the_language_switcher_with_visible_focus() {
    with_browser("keyboard", |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let server = start(&setup(dir.path()));
        b.goto(&format!("http://{}/", server.addr)).await;

        // First Tab: the skip link, which becomes visible on focus.
        b.press(Key::Tab).await;
        let skip = b.client().active_element().await.unwrap();
        assert_eq!(skip.attr("class").await.unwrap().as_deref(), Some("skip"));
        let (x, y, w, h) = skip.rectangle().await.unwrap();
        assert!(
            x >= 0.0 && y >= 0.0 && w > 0.0 && h > 0.0,
            "skip link off screen"
        );
        assert_visible_focus(&skip).await;

        // Then the switcher, one language per Tab, each with a visible focus ring.
        let mut reached = Vec::new();
        for _ in 0..5 {
            b.press(Key::Tab).await;
            let link = b.client().active_element().await.unwrap();
            assert_visible_focus(&link).await;
            reached.push(link.attr("hreflang").await.unwrap().unwrap_or_default());
        }
        assert_eq!(reached, ["cs", "en", "pl", "fr", "ru"]);
        b.screenshot("1-focus-on-switcher").await;

        // Back to Čeština with Shift+Tab, and Enter follows it.
        for _ in 0..4 {
            shift_tab(&b).await;
        }
        let cs = b.client().active_element().await.unwrap();
        assert_eq!(cs.attr("href").await.unwrap().as_deref(), Some("?lang=cs"));
        b.press(Key::Enter).await;
        b.client()
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css("html[lang=cs]"))
            .await
            .unwrap();
        let here = b.client().current_url().await.unwrap();
        assert_eq!(here.query(), Some("lang=cs"));
        let h1 = b.client().find(Locator::Css("h1")).await.unwrap();
        assert_eq!(h1.text().await.unwrap(), "Stav služeb");
        let text = b.text().await;
        assert!(text.contains("V provozu"), "{text}");
        let current = b
            .client()
            .find(Locator::Css(".langs a[aria-current=page]"))
            .await
            .unwrap();
        assert_eq!(
            current.attr("hreflang").await.unwrap().as_deref(),
            Some("cs")
        );
        b.screenshot("2-czech").await;

        // The same switcher on the page's file name: English is one click away there too.
        b.goto(&format!("http://{}/index.cs.html", server.addr))
            .await;
        let en = b
            .client()
            .find(Locator::Css("a[hreflang=en]"))
            .await
            .unwrap();
        en.click().await.unwrap();
        b.client()
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css("html[lang=en]"))
            .await
            .unwrap();
        let h1 = b.client().find(Locator::Css("h1")).await.unwrap();
        assert_eq!(h1.text().await.unwrap(), "Service status");
        b.close().await;
    });
}

async fn shift_tab(b: &Browser) {
    let shift = char::from(Key::Shift);
    let tab = char::from(Key::Tab);
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: shift })
        .then(KeyAction::Down { value: tab })
        .then(KeyAction::Up { value: tab })
        .then(KeyAction::Up { value: shift });
    b.client().perform_actions(keys).await.unwrap();
}

/// A focused element draws a solid outline at least 2 px wide.
async fn assert_visible_focus(e: &fantoccini::elements::Element) {
    let style = e.css_value("outline-style").await.unwrap();
    let width = e.css_value("outline-width").await.unwrap();
    let px: f64 = width.trim_end_matches("px").parse().unwrap_or(0.0);
    let what = e.html(false).await.unwrap();
    assert!(
        style != "none" && px >= 2.0,
        "no visible focus on {what}: outline {style} {width}"
    );
}

#[test]
fn browser_static_export_from_disk_shows_what_the_server_shows() {
    with_browser("export", |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let config = setup(dir.path());
        let server = start(&config);
        let url = format!("http://{}/", server.addr);

        alert(&server.addr, "sw-a", "down");
        alert(&server.addr, "vm-3", "down");
        b.goto(&url).await;
        // The components follow the live state at once; each outage's incident opens a moment
        // later. The export below must be compared with the page once both are there.
        b.reload_until("both outages", |t| t.contains("Partial outage"))
            .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while incident_headings(&b).await.len() < 2 {
            assert!(
                Instant::now() < deadline,
                "the page never showed both incidents"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
            b.client().refresh().await.unwrap();
        }
        let served = b.components().await;
        let statuses: Vec<&str> = served.iter().map(|c| c.1.as_str()).collect();
        assert_eq!(
            statuses,
            [
                "major_outage",
                "operational",
                "major_outage",
                "partial_outage"
            ]
        );
        let served_incidents = incident_headings(&b).await;
        assert_eq!(served_incidents.len(), 2, "{served_incidents:?}");
        let served_colour = status_colour(&b).await;
        b.screenshot("1-served").await;

        let out = dir.path().join("site");
        crate::status::export(&config, &out);
        // Nothing of the server is reachable from here on.
        drop(server);

        let index = out.join("index.html");
        b.goto(&format!("file://{}", index.display())).await;
        assert_eq!(b.components().await, served);
        assert_eq!(incident_headings(&b).await, served_incidents);
        // The stylesheet is found through its relative link.
        assert_eq!(status_colour(&b).await, served_colour);
        b.screenshot("2-exported").await;

        // The switcher links to the exported Czech page.
        let cs = b
            .client()
            .find(Locator::Css("a[hreflang=cs]"))
            .await
            .unwrap();
        cs.click().await.unwrap();
        let h1 = b.client().find(Locator::Css("h1")).await.unwrap();
        assert_eq!(h1.text().await.unwrap(), "Stav služeb");
        let statuses: Vec<String> = b.components().await.into_iter().map(|c| c.1).collect();
        let served: Vec<String> = served.into_iter().map(|c| c.1).collect();
        assert_eq!(statuses, served);
        assert!(b
            .client()
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/index.cs.html"));
        b.screenshot("3-exported-czech").await;
        b.close().await;
    });
}

async fn incident_headings(b: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for h in b
        .client()
        .find_all(Locator::Css("article.incident h3"))
        .await
        .unwrap()
    {
        out.push(h.text().await.unwrap());
    }
    out
}

/// The computed colour of the first component's status: the stylesheet was applied.
async fn status_colour(b: &Browser) -> String {
    let status = b
        .client()
        .find(Locator::Css("li.component .status"))
        .await
        .unwrap();
    let colour = status.css_value("background-color").await.unwrap();
    assert_ne!(colour, "rgba(0, 0, 0, 0)", "no stylesheet");
    colour
}
