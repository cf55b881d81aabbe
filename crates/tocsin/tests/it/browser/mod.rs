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

mod desk;
mod help;
mod interventions;
mod portal;
mod sla;
mod status;

/// Four components in two groups; `sw-a` carries only the Cloud VPS, `vm-3` the DNS and one of
/// the two sites of the web hosting. A second customer's server on `hv-3` is on no component.
const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [sw-a]}
  - {id: hv-2, kind: hypervisor}
  - {id: vm-1, kind: vm, requires: [hv-1]}
  - {id: vm-2, kind: vm, requires: [hv-2]}
  - {id: vm-3, kind: vm, requires: [hv-2]}
  - {id: vm-4, kind: vm, requires: [hv-2]}
  - {id: hv-3, kind: hypervisor}
  - {id: vm-5, kind: vm, requires: [hv-3]}
customers:
  - id: acme
    name: ACME
  - id: beta
    name: Beta Logistics
services:
  - {id: s-web, customer: acme, kind: vps, component: vps, requires: [vm-1]}
  - {id: s-mail, customer: acme, kind: mail, component: mail, requires: [vm-2]}
  - {id: s-dns, customer: acme, kind: dns, component: dns, requires: [vm-3]}
  - {id: s-site-1, customer: acme, kind: hosting, component: web, requires: [vm-3]}
  - {id: s-site-2, customer: acme, kind: hosting, component: web, requires: [vm-4]}
  - {id: b-vps, customer: beta, kind: vps, name: beta-erp, requires: [vm-5]}
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

    /// The visible text of the whole page. A page replaced between finding its body and
    /// reading it (a form's answer arriving) is read again.
    async fn text(&self) -> String {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            let body = self.client().find(Locator::Css("body")).await;
            match body {
                Ok(body) => match body.text().await {
                    Ok(text) => return text,
                    Err(e) if Instant::now() < deadline && is_stale(&e) => {}
                    Err(e) => panic!("reading the page: {e}"),
                },
                Err(e) if Instant::now() < deadline && is_stale(&e) => {}
                Err(e) => panic!("finding the page's body: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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

    /// Waits, without reloading, until `pred` holds for the visible text (a submitted form's
    /// answer may not have replaced the page yet when the click returns).
    async fn text_until(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            let text = self.text().await;
            if pred(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed {what}:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the browser is at `path` (after a click that navigates).
    async fn at_path(&self, path: &str) {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            let url = self.client().current_url().await.unwrap();
            if url.path() == path {
                return;
            }
            assert!(Instant::now() < deadline, "never reached {path}; at {url}");
            tokio::time::sleep(Duration::from_millis(100)).await;
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

/// Whether WebDriver refused because the page changed under the element (or had none yet).
fn is_stale(e: &fantoccini::error::CmdError) -> bool {
    use fantoccini::error::{CmdError, ErrorStatus};
    // Chromium sometimes reports a node of the replaced page as an inspector error instead
    // of a stale reference (seen in a fresh-clone CI run).
    matches!(e, CmdError::Standard(w) if matches!(w.error, ErrorStatus::StaleElementReference | ErrorStatus::NoSuchElement)
        || (w.error == ErrorStatus::UnknownError && w.message.contains("does not belong to the document")))
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
        // The console's messages, read back by tests that demand a page without errors.
        "goog:loggingPrefs": {"browser": "ALL"},
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
