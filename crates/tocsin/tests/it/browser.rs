//! The public status page in a real browser: headless Chromium driven through WebDriver
//! (Debian's `chromium` and `chromedriver`), against `tocsin serve` and against the static
//! export opened from disk. Screenshots of each state land in `target/browser-artefacts/`.
//!
//! Under `CI` a missing browser fails the tests; elsewhere they are skipped with a message.

use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::serve::{http, start};

/// Four components in two groups; `sw-a` carries only the Cloud VPS, `vm-3` the DNS and one of
/// the two sites of the web hosting.
const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [sw-a]}
  - {id: hv-2, kind: hypervisor}
  - {id: vm-1, kind: vm, requires: [hv-1]}
  - {id: vm-2, kind: vm, requires: [hv-2]}
  - {id: vm-3, kind: vm, requires: [hv-2]}
  - {id: vm-4, kind: vm, requires: [hv-2]}
customers:
  - id: acme
    name: ACME
services:
  - {id: s-web, customer: acme, kind: vps, component: vps, requires: [vm-1]}
  - {id: s-mail, customer: acme, kind: mail, component: mail, requires: [vm-2]}
  - {id: s-dns, customer: acme, kind: dns, component: dns, requires: [vm-3]}
  - {id: s-site-1, customer: acme, kind: hosting, component: web, requires: [vm-3]}
  - {id: s-site-2, customer: acme, kind: hosting, component: web, requires: [vm-4]}
components:
  - {id: vps, name: Cloud VPS, group: Cloud}
  - {id: mail, name: Mail, group: Hosting}
  - {id: dns, name: DNS, group: Hosting}
  - {id: web, name: Web hosting, group: Hosting}
"#;

/// How long the page may take to show a change (the server re-renders within about 2 s).
const PAGE_WAIT: Duration = Duration::from_secs(20);

/// A binary on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium and chromedriver, or `None` (with a message) when they are missing outside CI.
fn browser_binaries(test: &str) -> Option<(PathBuf, PathBuf)> {
    let chromium = which("chromium").or_else(|| which("chromium-browser"));
    let driver = which("chromedriver");
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) => panic!(
            "{test}: chromium and chromedriver are required under CI \
             (apt-get install -y chromium chromium-driver; scripts/test does it)"
        ),
        _ => {
            eprintln!(
                "SKIPPED {test}: chromium or chromedriver not found on PATH \
                 (apt-get install -y chromium chromium-driver)"
            );
            None
        }
    }
}

/// A running chromedriver with a WebDriver session on a headless Chromium of its own.
struct Browser {
    driver: Child,
    client: Option<Client>,
    /// The browser profile, removed when the test ends.
    profile: tempfile::TempDir,
    name: &'static str,
}

impl Drop for Browser {
    /// After a failed test the session was never closed: Chromium is stopped with its driver,
    /// the whole process group, so that no browser outlives the test.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Ends the session (Chromium exits) before the driver is stopped.
    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            client.close().await.unwrap();
        }
    }

    /// Saves what the browser shows as `target/browser-artefacts/NAME-STATE.png`.
    async fn screenshot(&self, state: &str) {
        let png = self.client().screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "not a PNG screenshot");
        let dir = artefacts();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{}-{state}.png", self.name)), png).unwrap();
    }

    async fn goto(&self, url: &str) {
        self.client().goto(url).await.unwrap();
    }

    /// Each component on the page: id, `data-status`, and the status text a reader sees.
    async fn components(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for li in self
            .client()
            .find_all(Locator::Css("li.component"))
            .await
            .unwrap()
        {
            let id = li.attr("id").await.unwrap().unwrap_or_default();
            let status = li.attr("data-status").await.unwrap().unwrap_or_default();
            let shown = li.find(Locator::Css(".status")).await.unwrap();
            assert!(shown.is_displayed().await.unwrap(), "{id}: status hidden");
            let text = shown.text().await.unwrap();
            out.push((id, status, text.trim().to_owned()));
        }
        out
    }

    /// The visible text of the whole page.
    async fn text(&self) -> String {
        self.client()
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Reloads until `pred` holds for the visible text, within [`PAGE_WAIT`].
    async fn reload_until(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            self.client().refresh().await.unwrap();
            let text = self.text().await;
            if pred(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed {what}:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Presses and releases one key in the focused element.
    async fn press(&self, key: Key) {
        let key = char::from(key);
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client().perform_actions(keys).await.unwrap();
    }
}

/// Where screenshots go: `target/browser-artefacts/` of this build.
fn artefacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // target/debug/deps/it-HASH
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("browser-artefacts")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver on a free port and a headless Chromium session through it.
async fn launch(name: &'static str, chromium: &Path, chromedriver: &Path) -> Browser {
    let profile = tempfile::tempdir().unwrap();
    let port = free_port();
    let driver = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut browser = Browser {
        driver,
        client: None,
        profile,
        name,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = browser.driver.try_wait().unwrap() {
            panic!("chromedriver exited ({status}) before listening");
        }
        assert!(Instant::now() < deadline, "chromedriver never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let args = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-quic".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--window-size=1024,900".to_owned(),
        format!("--user-data-dir={}", browser.profile.path().display()),
    ];
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": chromium, "args": args},
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("no WebDriver session: {e}"));
    browser.client = Some(client);
    browser
}

/// Runs a browser test on its own runtime, or skips it when there is no browser.
fn with_browser<F, Fut>(name: &'static str, test: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some((chromium, chromedriver)) = browser_binaries(name) else {
        return;
    };
    // A worker thread drives the WebDriver session while the test blocks on plain HTTP.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let browser = launch(name, &chromium, &chromedriver).await;
        test(browser).await;
    });
}

fn setup(dir: &Path) -> PathBuf {
    let inventory = dir.join("inventory.yaml");
    std::fs::write(&inventory, INVENTORY).unwrap();
    let config = dir.join("tocsin.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"sqlite://{}\"\ninventory = \"{}\"\npublic_url = \"http://status.example.net\"\n[notify]\nhold_down = \"0s\"\n",
            dir.join("t.db").display(),
            inventory.display()
        ),
    )
    .unwrap();
    config
}

fn alert(addr: &str, node: &str, state: &str) {
    let body =
        format!(r#"{{"node": "{node}", "state": "{state}", "source": "t", "id": "{node}"}}"#);
    let (status, reply) = http(addr, "POST", "/api/v1/alerts", &body);
    assert_eq!(status, 202, "{reply}");
}

fn all_operational() -> Vec<(String, String, String)> {
    ["vps", "mail", "dns", "web"]
        .into_iter()
        .map(|c| {
            (
                format!("component-{c}"),
                "operational".to_owned(),
                "✓ Operational".to_owned(),
            )
        })
        .collect()
}

/// The one active incident's id, from the public JSON.
fn active_incident(addr: &str) -> String {
    let (_, summary) = http(addr, "GET", "/api/v2/summary.json", "");
    let summary = crate::serve::json_of(&summary);
    summary["incidents"][0]["id"].as_str().unwrap().to_owned()
}

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
        b.reload_until("both outages", |t| t.contains("Partial outage"))
            .await;
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
        assert!(!served_incidents.is_empty());
        let served_colour = status_colour(&b).await;
        b.screenshot("1-served").await;

        let out = dir.path().join("site");
        let run = Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .args(["status", "export", "--config"])
            .arg(&config)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
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
