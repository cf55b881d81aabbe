//! The client area driven through `tocsin serve` as a customer's browser and feed reader do:
//! only their own services and incidents (another customer's incident is a 404, internal
//! notes never show), logins and CSRF enforced, and preferences that change who is mailed, in
//! which language and which webhook is signed and called, over a real SMTP server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::mail::{smtp_config, Keeper};
use crate::serve::{add_account, alertmanager, http, json_of, start, wait_for, ADMIN, PASSWORD};
use crate::session::{csrf_of, exchange, form_encode, login, Browser, Reply};
use crate::webhooks::HookServer;

pub(crate) const JANA: &str = "jana@acme.example";
const PIOTR: &str = "piotr@beta.example";
pub(crate) const OWN_SECRET: &str = "acme-own-secret-0001";
/// The `[notify]` line letting customers' own webhooks reach the local hook servers.
pub(crate) const ALLOW_PRIVATE: &str = "allow_private_webhooks = true\n";

fn inventory() -> String {
    r#"version: 1
nodes:
  - {id: sw-a, kind: switch, labels: {instance: "sw-a:9100"}}
  - {id: sw-b, kind: switch}
  - {id: sw-c, kind: switch, labels: {instance: "sw-c:9100"}}
  - {id: hv-1, kind: hypervisor, requires: [sw-a]}
  - {id: hv-2, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
  - {id: hv-3, kind: hypervisor, requires: [sw-c]}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}, {email: boss@acme.example, language: en}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
services:
  - {id: vps-1, customer: acme, name: acme-web, requires: [hv-1]}
  - {id: vps-3, customer: acme, name: acme-mail, requires: [hv-2]}
  - {id: vps-2, customer: beta, name: beta-shop, requires: [hv-1]}
  - {id: vps-4, customer: beta, name: beta-backup, requires: [hv-3]}
"#
    .to_owned()
}

/// The hook servers of these tests listen on 127.0.0.1: customers' webhooks may reach it.
fn config(dir: &Path, smtp_port: u16) -> PathBuf {
    config_with(dir, smtp_port, ALLOW_PRIVATE)
}

/// ACME's and Beta's customer accounts, with `notify` in the `[notify]` section.
pub(crate) fn config_with(dir: &Path, smtp_port: u16, notify: &str) -> PathBuf {
    let config = smtp_config(dir, smtp_port, &inventory(), "", "0s", notify);
    add_account(&config, JANA, "customer", Some("acme"));
    add_account(&config, PIOTR, "customer", Some("beta"));
    config
}

pub(crate) fn fire(addr: &str, switch: &str) {
    let body = alertmanager(
        "firing",
        json!({"alertname": "SwitchDown", "instance": format!("{switch}:9100")}),
        &format!("fp-{switch}"),
    );
    assert_eq!(
        http(addr, "POST", "/api/v1/alerts/alertmanager", &body).0,
        202
    );
}

/// Waits until the staff API lists `n` incidents.
fn wait_incidents(addr: &str, n: usize) -> Value {
    json_of(&crate::serve::wait_for(
        addr,
        "/api/v1/incidents",
        "the incidents",
        Duration::from_secs(30),
        |b| {
            serde_json::from_str::<Value>(b)
                .is_ok_and(|l| l["incidents"].as_array().is_some_and(|a| a.len() >= n))
        },
    ))
}

/// The private feed's path as the overview links it (the template escapes `/`).
fn feed_path(overview: &str) -> String {
    let at = overview.find("feed&#x2f;").expect("a feed link");
    let start = overview[..at].rfind('"').unwrap() + 1;
    let end = at + overview[at..].find('"').unwrap();
    overview[start..end].replace("&#x2f;", "/")
}

fn anonymous(addr: &str, path: &str) -> Reply {
    exchange(addr, "GET", path, "", "")
}

pub(crate) fn audit(dir: &Path) -> Vec<(String, String, String, String)> {
    let db = rusqlite::Connection::open(dir.join("t.db")).unwrap();
    let mut q = db
        .prepare("SELECT actor, action, target, detail FROM audit WHERE action = 'preferences.set' ORDER BY id")
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn anonymous_visitors_log_in_first_and_staff_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let server = start(&config(dir.path(), keeper.port));
    let addr = &server.addr;
    for path in ["/account", "/account/incidents/1", "/account/preferences"] {
        let r = anonymous(addr, path);
        assert_eq!(r.status, 303, "{path}");
        let to = r.header("location").unwrap();
        assert!(to.starts_with("/login?next=/account"), "{path} → {to}");
    }
    let post = exchange(
        addr,
        "POST",
        "/account/preferences",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        "contacts=evil%40x.example",
    );
    assert_eq!(post.status, 303);
    let bogus = format!("/account/feed/{}.atom", "0".repeat(64));
    assert_eq!(anonymous(addr, &bogus).status, 404);
    assert_eq!(anonymous(addr, "/account/feed/short.atom").status, 404);
    // Staff have the console; the client area is not theirs.
    let staff = login(addr, ADMIN, PASSWORD).ok().unwrap();
    assert_eq!(staff.get("/account").status, 403);
    // A customer who logs in lands on the client area.
    let r = exchange(
        addr,
        "POST",
        "/login",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        &form_encode(&[("login", JANA), ("password", PASSWORD), ("next", "")]),
    );
    assert_eq!(r.header("location"), Some("/account"));
}

#[test]
fn preferences_need_the_forms_token_and_bad_input_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let server = start(&config(dir.path(), keeper.port));
    let jana = login(&server.addr, JANA, PASSWORD).ok().unwrap();
    let form = jana.get("/account/preferences");
    assert_eq!(form.status, 200, "{}", form.body);
    // The contacts on file are shown; no secret is set.
    assert!(form.body.contains("ops@acme.example, boss@acme.example"));
    let fields = "contacts=evil%40attacker.example&language=en";
    assert_eq!(jana.post_raw("/account/preferences", fields).status, 403);
    let wrong = format!("{fields}&csrf=0123456789abcdef");
    assert_eq!(jana.post_raw("/account/preferences", &wrong).status, 403);
    // A bad webhook URL: the form again, naming the field, what was typed kept, nothing stored.
    let r = jana.post_form(
        "/account/preferences",
        "/account/preferences",
        &[
            ("contacts", "new@acme.example"),
            ("language", "cs"),
            ("webhook_url", "ftp://hooks.acme.example/x"),
            ("webhook_secret", OWN_SECRET),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Webhook URL"), "{}", r.body);
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("new@acme.example"), "typed input is kept");
    assert!(!r.body.contains(OWN_SECRET), "a secret is never shown");
    let r = jana.post_form(
        "/account/preferences",
        "/account/preferences",
        &[("contacts", "not-an-address"), ("language", "en")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Contacts: “not-an-address”"), "{}", r.body);
    let again = jana.get("/account/preferences");
    assert!(!again.body.contains("new@acme.example") && !again.body.contains("evil@"));
    assert!(!again.body.contains("selected"), "no language stored");
    assert!(audit(dir.path()).is_empty());
}

fn save(jana: &Browser, hook_port: u16) {
    let r = jana.post_form(
        "/account/preferences",
        "/account/preferences",
        &[
            ("contacts", "alerts@acme.example\nnight@acme.example"),
            ("language", "fr"),
            ("webhook_url", &format!("http://127.0.0.1:{hook_port}/hook")),
            ("webhook_secret", OWN_SECRET),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = jana.get(r.header("location").unwrap());
    assert!(
        page.body.contains("Préférences enregistrées"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(OWN_SECRET));
    assert!(page.body.contains("Un secret est défini"));
}

fn signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(OWN_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[test]
fn customers_see_their_own_incidents_and_their_preferences_drive_the_notices() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let hooks = HookServer::start(vec![204]);
    let server = start(&config(dir.path(), keeper.port));
    let addr = &server.addr;
    let jana = login(addr, JANA, PASSWORD).ok().unwrap();
    let piotr = login(addr, PIOTR, PASSWORD).ok().unwrap();
    save(&jana, hooks.port);
    let audited = audit(dir.path());
    assert_eq!(audited.len(), 1);
    let (actor, _, target, detail) = &audited[0];
    assert_eq!((actor.as_str(), target.as_str()), (JANA, "customer:acme"));
    assert!(detail.contains("alerts@acme.example") && detail.contains("language=fr"));
    assert!(!detail.contains(OWN_SECRET), "{detail}");

    // sw-a fails: acme-web and beta-shop are down, acme-mail runs without redundancy.
    fire(addr, "sw-a");
    let mail = keeper.wait_for(3, Duration::from_secs(30));
    let mut to: Vec<&str> = mail.iter().map(|(t, _)| t.as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "alerts@acme.example",
            "it@beta.example",
            "night@acme.example"
        ],
        "the chosen contacts instead of those on file; beta unchanged"
    );
    for (t, m) in &mail {
        let language = if t.ends_with("@acme.example") {
            "fr"
        } else {
            "pl"
        };
        assert!(
            m.contains(&format!("Content-Language: {language}")),
            "{t}: {m}"
        );
    }
    let got = hooks.wait_for(1, Duration::from_secs(30));
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].header("x-tocsin-signature"),
        Some(signature(&got[0].body).as_str())
    );
    let event: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(
        (&event["event"], &event["customer"]),
        (&json!("incident.opened"), &json!("acme"))
    );
    let outbox = http(addr, "GET", "/api/v1/outbox", "").1;
    assert!(
        !outbox.contains(OWN_SECRET),
        "the secret never reaches the outbox"
    );

    // The overview: their services with their states in their language, the incident linked.
    let overview = jana.get("/account");
    assert_eq!(overview.status, 200);
    let b = &overview.body;
    assert!(b.contains("<html lang=\"fr\">"));
    assert!(b.contains("<h1>ACME s.r.o.</h1>"));
    assert!(b.contains("data-state=\"down\"><td>acme-web</td>"), "{b}");
    assert!(
        b.contains("data-state=\"degraded\"><td>acme-mail</td>"),
        "{b}"
    );
    assert!(b.contains("<span aria-hidden=\"true\">✕</span> Hors service"));
    assert!(b.contains("En service sans redondance"));
    assert!(b.contains("href=\"/account/incidents/1\""));
    assert!(!b.contains("beta-shop") && !b.contains("beta-backup"));

    // Staff speak publicly and note internally; the customer sees only the public update.
    let update = json!({"status": "identified", "body": "Switch replaced <soon>", "public": true});
    assert_eq!(
        http(
            addr,
            "POST",
            "/api/v1/incidents/1/updates",
            &update.to_string()
        )
        .0,
        201
    );
    let note = json!({"status": "identified", "body": "INTERNAL vendor blame", "public": false});
    assert_eq!(
        http(
            addr,
            "POST",
            "/api/v1/incidents/1/updates",
            &note.to_string()
        )
        .0,
        201
    );
    let page = jana.get("/account/incidents/1");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Switch replaced &lt;soon&gt;"),
        "{}",
        page.body
    );
    assert!(page.body.contains("acme-web") && page.body.contains("hors service depuis"));
    assert!(!page.body.contains("INTERNAL"));
    assert!(
        !page.body.contains("beta-shop"),
        "another customer's service in the same incident"
    );

    // sw-c fails: an incident of beta's only. Jana cannot tell it from one that does not exist.
    fire(addr, "sw-c");
    wait_incidents(addr, 2);
    let theirs = jana.get("/account/incidents/2");
    let nothing = jana.get("/account/incidents/999");
    assert_eq!((theirs.status, nothing.status), (404, 404));
    assert_eq!(theirs.body, nothing.body);
    assert_eq!(jana.get("/account/incidents/x").status, 404);
    assert!(!jana.get("/account").body.contains("/account/incidents/2\""));
    let beta = piotr.get("/account/incidents/2");
    assert_eq!(beta.status, 200);
    assert!(beta.body.contains("beta-backup") && !beta.body.contains("acme"));

    // The private feed: no login, only acme's incidents, public updates only.
    let feed = feed_path(&jana.get("/account").body);
    let r = anonymous(addr, &feed);
    assert_eq!(r.status, 200, "{feed}");
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/atom+xml"));
    let parsed = atom_syndication::Feed::read_from(r.body.as_bytes()).unwrap();
    let ids: Vec<&str> = parsed.entries().iter().map(|e| e.id()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(ids[0].ends_with(":incident:1"));
    assert!(
        r.body.contains("Switch replaced &lt;soon&gt;"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("INTERNAL") && !r.body.contains("beta"));
    let beta_feed = anonymous(addr, &feed_path(&piotr.get("/account").body));
    let beta_feed = atom_syndication::Feed::read_from(beta_feed.body.as_bytes()).unwrap();
    assert_eq!(beta_feed.entries().len(), 2, "beta is in both incidents");

    // A new feed address: the old one stops working.
    let form = jana.get("/account/preferences");
    let csrf = csrf_of(&form.body).unwrap();
    let r = jana.post_raw(
        "/account/preferences",
        &form_encode(&[("csrf", &csrf), ("action", "feed")]),
    );
    assert_eq!(r.status, 303);
    assert_eq!(anonymous(addr, &feed).status, 404);
    let renewed = feed_path(&jana.get("/account").body);
    assert_ne!(renewed, feed);
    assert_eq!(anonymous(addr, &renewed).status, 200);
}

/// A leaf switch named as the provider names its racks, behind a hypervisor: names customers
/// must never read. ACME's service belongs to the public component "Cloud VPS".
const LEAF: &str = "leaf-dc1-p00-a";
const TOPOLOGY: &str = r#"version: 1
nodes:
  - {id: leaf-dc1-p00-a, kind: switch, labels: {instance: "leaf-dc1-p00-a:9100"}}
  - {id: hv-dc1-07, kind: hypervisor, requires: [leaf-dc1-p00-a]}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}]
services:
  - {id: vps-1, customer: acme, name: acme-web, component: c-vps, requires: [hv-dc1-07]}
components:
  - {id: c-vps, name: Cloud VPS}
"#;

#[test]
fn customers_see_the_public_title_of_an_incident_never_the_providers_vertices() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = smtp_config(dir.path(), keeper.port, TOPOLOGY, "", "0s", "");
    add_account(&config, JANA, "customer", Some("acme"));
    let server = start(&config);
    let addr = &server.addr;
    let jana = login(addr, JANA, PASSWORD).ok().unwrap();
    // French, chosen in the preferences: the title speaks the customer's language.
    let r = jana.post_form(
        "/account/preferences",
        "/account/preferences",
        &[("contacts", ""), ("language", "fr")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    fire(addr, LEAF);
    wait_for(
        addr,
        "/api/v1/incidents",
        "the incident with its service",
        Duration::from_secs(30),
        |b| {
            serde_json::from_str::<Value>(b).is_ok_and(|l| {
                l["incidents"][0]["services"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty())
            })
        },
    );
    // The public status page heads the same incident with the same words.
    let title = "Perturbation des services: Cloud VPS";
    wait_for(
        addr,
        "/?lang=fr",
        "the incident on the public page",
        Duration::from_secs(30),
        |b| b.contains(title),
    );

    let overview = jana.get("/account");
    assert_eq!(overview.status, 200);
    let incident = jana.get("/account/incidents/1");
    assert_eq!(incident.status, 200, "{}", incident.body);
    let feed = anonymous(addr, &feed_path(&overview.body));
    assert_eq!(feed.status, 200);
    for (what, body) in [
        ("overview", &overview.body),
        ("incident page", &incident.body),
        ("private feed", &feed.body),
    ] {
        assert!(
            body.contains(&format!("#1: {title}")),
            "{what} lacks the public title: {body}"
        );
        for internal in [LEAF, "hv-dc1-07", "(switch)"] {
            assert!(!body.contains(internal), "{what} shows {internal}: {body}");
        }
    }
    // Their own service is theirs to see.
    assert!(incident.body.contains("acme-web"));
}
