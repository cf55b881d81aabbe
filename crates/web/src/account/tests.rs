//! Unit tests of the client area: what a customer may see of an incident, the states of their
//! services, escaping in every template and language, and the preferences form's checks.

use minijinja::context;
use tocsin_model::inventory::Language;
use tocsin_model::{Inventory, State};
use tocsin_store::{IncidentRow, IncidentServiceRow, IncidentUpdate, Preferences};

use super::env;
use super::i18n::{duration, texts};
use super::preferences::{is_email, is_webhook_url, summary, validate, Submitted};
use super::view;

const NOW: i64 = 1_795_341_600_000;

fn inventory() -> Inventory {
    tocsin_inventory::load_str(
        "t.yaml",
        r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
customers:
  - id: acme
    name: "ACME <b>s.r.o.</b>"
    contacts: [{email: ops@acme.example, language: cs}]
  - id: beta
    name: Beta
    contacts: [{email: it@beta.example, language: pl}]
services:
  - {id: vps-1, customer: acme, name: "<script>alert(1)</script>", component: c-cloud, requires: [sw-a]}
  - {id: vps-9, customer: acme, name: acme-db, component: c-cloud, requires: [sw-a]}
  - {id: vps-2, customer: beta, name: beta-shop, component: c-shops, requires: [sw-a]}
components:
  - {id: c-cloud, name: "Cloud <i>"}
  - {id: c-shops, name: Shops}
"#,
    )
    .unwrap()
}

fn service(id: &str, customer: &str, since: Option<i64>, total: i64) -> IncidentServiceRow {
    IncidentServiceRow {
        service: id.into(),
        customer: Some(customer.into()),
        down_since_ms: since,
        down_total_ms: total,
        first_down_ms: NOW - 600_000,
        announced: true,
    }
}

fn incident() -> IncidentRow {
    IncidentRow {
        id: 4,
        status: "identified".into(),
        title: "sw-a (switch) <i>".into(),
        roots: vec!["sw-a".into()],
        opened_ms: NOW - 600_000,
        resolved_ms: None,
        services: vec![
            service("vps-1", "acme", Some(NOW - 600_000), 0),
            service("vps-9", "acme", None, 65_000),
            service("vps-2", "beta", Some(NOW - 600_000), 0),
        ],
    }
}

fn updates() -> Vec<IncidentUpdate> {
    let u = |id, public, body: &str| IncidentUpdate {
        id,
        status: "identified".into(),
        body: body.into(),
        public,
        author: "lead".into(),
        at_ms: NOW - 300_000 + id,
    };
    vec![
        u(1, true, "A switch failed <b>bold</b>"),
        u(2, false, "INTERNAL: blame the vendor"),
        u(3, true, "Replacement on its way"),
    ]
}

#[test]
fn a_customer_sees_only_their_services_and_public_updates() {
    let inv = inventory();
    let row = incident();
    let seen = view::incident(&inv, &row, &updates(), "acme", Language::En, NOW).unwrap();
    // The status page's title, from the components hit; the stored one names a switch.
    assert_eq!(seen.title, "Service disruption: Cloud <i>, Shops");
    let cs = view::incident(&inv, &row, &updates(), "acme", Language::Cs, NOW).unwrap();
    assert_eq!(cs.title, "Narušení služeb: Cloud <i>, Shops");
    let names: Vec<&str> = seen.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["<script>alert(1)</script>", "acme-db"]);
    assert_eq!(
        seen.services[0].text,
        "down since 2026-11-22 09:50 UTC (10 min)"
    );
    assert_eq!(seen.services[1].text, "down for 1 min");
    let bodies: Vec<&str> = seen.updates.iter().map(|u| u.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["Replacement on its way", "A switch failed <b>bold</b>"]
    );
    // Beta sees its own service only; a customer with none in it sees nothing at all.
    let beta = view::incident(&inv, &row, &updates(), "beta", Language::En, NOW).unwrap();
    assert_eq!(beta.title, seen.title);
    assert_eq!(beta.services.len(), 1);
    assert_eq!(beta.services[0].name, "beta-shop");
    assert!(view::incident(&inv, &row, &updates(), "gamma", Language::En, NOW).is_none());
    assert!(!view::concerns(&row, "gamma"));
    // A service without a customer (the provider's own) concerns nobody.
    let mut own = incident();
    own.services = vec![IncidentServiceRow {
        customer: None,
        ..service("vps-1", "x", None, 0)
    }];
    assert!(!view::concerns(&own, "acme") && !view::concerns(&own, ""));
}

#[test]
fn services_carry_their_state_in_words_and_symbols() {
    let inv = inventory();
    let acme = view::customer_number(&inv, "acme").unwrap();
    let vertices = view::service_vertices(&inv, acme);
    assert_eq!(vertices.len(), 2);
    let t = texts(Language::Cs);
    let s = view::services(&inv, &vertices, &[State::Down, State::Degraded], t);
    assert_eq!(
        (s[0].state, s[0].label, s[0].symbol),
        ("down", "Mimo provoz", "✕")
    );
    assert_eq!(s[1].state, "degraded");
    assert_eq!(s[1].label, "V provozu bez redundance");
    assert!(view::customer_number(&inv, "nobody").is_none());
}

#[test]
fn every_page_escapes_and_speaks_every_language() {
    let inv = inventory();
    for l in Language::ALL {
        let t = texts(l);
        let acme = view::customer_number(&inv, "acme").unwrap();
        let vertices = view::service_vertices(&inv, acme);
        let services = view::services(&inv, &vertices, &[State::Down, State::Up], t);
        let seen = view::incident(&inv, &incident(), &updates(), "acme", l, NOW).unwrap();
        let title = seen.title.replace('<', "&lt;").replace('>', "&gt;");
        let frame = context! { lang => l.code(), t, who => "jana@acme.example", csrf => "tok\"en" };
        let overview = env()
            .get_template("account/overview.html")
            .unwrap()
            .render(context! {
                name => "ACME <b>s.r.o.</b>", services, degraded => true,
                open => vec![seen.clone()], resolved => Vec::<view::IncidentView>::new(),
                feed => "/account/feed/abc.atom", ..frame.clone()
            })
            .unwrap();
        assert!(overview.contains(&format!("<html lang=\"{}\">", l.code())));
        assert!(
            overview.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{overview}"
        );
        assert!(!overview.contains("<script>") && !overview.contains("<b>s.r.o"));
        assert!(
            overview.contains("tok&quot;en"),
            "the CSRF token is an escaped attribute"
        );
        assert!(overview.contains(&format!("<span aria-hidden=\"true\">✕</span> {}", t.down)));
        assert!(overview.contains(t.degraded_note));
        assert!(overview.contains("href=\"/account/incidents/4\""));
        assert!(overview.contains(&format!("#4: {title}</a>")), "{overview}");
        assert!(!overview.contains("sw-a"), "{overview}");
        assert!(overview.contains("&#x2f;account&#x2f;feed&#x2f;abc.atom"));
        let page = env()
            .get_template("account/incident.html")
            .unwrap()
            .render(context! { incident => seen, ..frame.clone() })
            .unwrap();
        assert!(
            page.contains("A switch failed &lt;b&gt;bold&lt;&#x2f;b&gt;"),
            "{page}"
        );
        assert!(!page.contains("INTERNAL"));
        // The public title, escaped; never the stored one naming the switch.
        assert!(page.contains(&format!("#4: {title}</h1>")), "{page}");
        assert!(!page.contains("sw-a"), "{page}");
        let form = env()
            .get_template("account/preferences.html")
            .unwrap()
            .render(context! {
                on_file => vec!["ops@acme.example"], languages => Vec::<()>::new(),
                contacts => "</textarea><script>", webhook_url => "\"><x", secret_set => true,
                feed => "/f", flash => None::<&str>, error => Some("Webhook URL: <bad>"),
                invalid => "webhook_url", ..frame
            })
            .unwrap();
        assert!(form.contains("&lt;&#x2f;textarea&gt;&lt;script&gt;"));
        assert!(form.contains("value=\"&quot;&gt;&lt;x\""));
        assert!(form.contains("Webhook URL: &lt;bad&gt;"));
        assert!(form.contains("aria-invalid=\"true\""));
    }
}

#[test]
fn the_feed_is_escaped_xml_without_internal_notes() {
    let inv = inventory();
    let t = texts(Language::En);
    let mut seen =
        view::incident(&inv, &incident(), &updates(), "acme", Language::En, NOW).unwrap();
    seen.title = view::xml_safe("bell\u{7} & <co>");
    let xml = env()
        .get_template("account/feed.xml")
        .unwrap()
        .render(context! {
            lang => "en", t, name => "ACME <b>", provider => "Tocsin",
            feed_id => "urn:tocsin:account:acme", self_href => "/account/feed/x.atom",
            base => "", updated => "2026-11-22T10:00:00Z", incidents => vec![seen],
        })
        .unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    assert!(xml.contains("bell &amp; &lt;co&gt;"), "{xml}");
    assert!(xml.contains("ACME &lt;b&gt;"));
    assert!(!xml.contains('\u{7}') && !xml.contains("INTERNAL") && !xml.contains("beta-shop"));
    assert!(
        xml.contains("<link rel=\"alternate\" type=\"text/html\" href=\"/account/incidents/4\"/>")
    );
}

fn submitted(contacts: &str, language: &str, url: &str, secret: &str) -> Submitted {
    Submitted {
        contacts: contacts.into(),
        language: language.into(),
        webhook_url: url.into(),
        webhook_secret: secret.into(),
        ..Submitted::default()
    }
}

#[test]
fn preferences_are_checked_whole_and_name_the_field() {
    let t = texts(Language::En);
    let current = Preferences {
        feed_token: "tok".into(),
        ..Preferences::default()
    };
    let ok = validate(
        &submitted(
            "a@x.example\nB@x.example, a@X.example",
            "pl",
            "https://hooks.x.example/in?k=1",
            "sixteen-chars-ok",
        ),
        &current,
        t,
        5,
        false,
    )
    .unwrap();
    assert_eq!(ok.contacts, ["a@x.example", "B@x.example"], "deduplicated");
    assert_eq!(ok.language.as_deref(), Some("pl"));
    assert_eq!(ok.webhook_secret.as_deref(), Some("sixteen-chars-ok"));
    assert_eq!((ok.feed_token.as_str(), ok.updated_ms), ("tok", 5));
    // An empty secret keeps the stored one; an empty URL drops both.
    let kept = validate(
        &submitted("", "", "http://h.example/", ""),
        &ok,
        t,
        6,
        false,
    )
    .unwrap();
    assert_eq!(kept.webhook_secret.as_deref(), Some("sixteen-chars-ok"));
    assert!(kept.contacts.is_empty() && kept.language.is_none());
    let none = validate(&submitted("", "", "", ""), &ok, t, 7, false).unwrap();
    assert_eq!((none.webhook_url, none.webhook_secret), (None, None));

    let field = |f: Submitted| validate(&f, &current, t, 8, false).unwrap_err();
    let p = field(submitted("a@x.example not-an-address", "", "", ""));
    assert_eq!(p.field, "contacts");
    assert_eq!(
        p.message,
        "Contacts: “not-an-address” is not an e-mail address."
    );
    let many: Vec<String> = (0..21).map(|i| format!("c{i}@x.example")).collect();
    assert_eq!(
        field(submitted(&many.join("\n"), "", "", "")).field,
        "contacts"
    );
    assert_eq!(field(submitted("", "de", "", "")).field, "language");
    for url in [
        "ftp://x.example/",
        "javascript:alert(1)",
        "https://",
        "http://a b/",
        "x.example",
    ] {
        let p = field(submitted("", "", url, "sixteen-chars-ok"));
        assert_eq!(p.field, "webhook_url", "{url}");
        assert!(p.message.starts_with("Webhook URL"));
    }
    assert_eq!(
        field(submitted("", "", "https://h.example/", "short")).field,
        "webhook_secret"
    );
    assert_eq!(
        field(submitted("", "", "https://h.example/", "")).field,
        "webhook_secret"
    );
    assert_eq!(
        field(submitted("", "", "", "sixteen-chars-ok")).field,
        "webhook_secret"
    );
    // Every language names the field in its own words.
    for l in Language::ALL {
        let p = validate(&submitted("", "", "", "x"), &current, texts(l), 0, false).unwrap_err();
        assert_eq!(p.message, texts(l).secret_without_url);
    }
}

#[test]
fn webhook_urls_into_private_networks_are_refused_unless_allowed() {
    let current = Preferences::default();
    let with = |url: &str, allow: bool, l: Language| {
        validate(
            &submitted("", "", url, "sixteen-chars-ok"),
            &current,
            texts(l),
            1,
            allow,
        )
    };
    for (url, host) in [
        ("http://127.0.0.1:8080/hook", "127.0.0.1"),
        ("http://localhost/hook", "localhost"),
        ("https://[::1]/x", "[::1]"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://10.1.2.3/", "10.1.2.3"),
        ("http://[::ffff:192.168.0.1]/", "[::ffff:192.168.0.1]"),
        ("http://100.64.0.1/", "100.64.0.1"),
        ("http://0x7f000001/", "0x7f000001"),
    ] {
        let p = with(url, false, Language::En).unwrap_err();
        assert_eq!(p.field, "webhook_url", "{url}");
        assert_eq!(
            p.message,
            format!(
                "Webhook URL: “{host}” is a local, private or reserved address; give an \
                 address reachable from the internet."
            )
        );
        assert!(
            with(url, true, Language::En).is_ok(),
            "{url} allowed by the switch"
        );
    }
    // Names are resolved only at delivery: they may change their answers after saving.
    assert!(with("https://hooks.example.com/in", false, Language::En).is_ok());
    for l in Language::ALL {
        let p = with("http://127.0.0.1/", false, l).unwrap_err();
        assert_eq!(p.message, texts(l).private_url.replace("{}", "127.0.0.1"));
    }
}

#[test]
fn addresses_urls_and_the_audit_summary() {
    for good in [
        "a@b.cz",
        "first.last+tag@mail.example.net",
        "jana@příklad.cz",
    ] {
        assert!(is_email(good), "{good}");
    }
    for bad in [
        "",
        "a",
        "@b.cz",
        "a@b",
        "a@.b.cz",
        "a@b.cz.",
        "a b@c.cz",
        "a@b@c.cz",
        "<a@b.cz>",
        "a@b..cz",
        "a@b.cz\r\nBcc: x@y.z",
    ] {
        assert!(!is_email(bad), "{bad:?}");
    }
    assert!(is_webhook_url("http://127.0.0.1:8080/hook"));
    assert!(is_webhook_url("https://[::1]/x"));
    assert!(!is_webhook_url("https:///nohost"));
    let old = Preferences::default();
    let new = Preferences {
        contacts: vec!["a@b.cz".into()],
        webhook_url: Some("https://h.example/".into()),
        webhook_secret: Some("very-secret-value-123".into()),
        ..Preferences::default()
    };
    let s = summary(&old, &new);
    assert_eq!(
        s,
        "contacts=[a@b.cz]; language=inventory; webhook=https://h.example/; secret=changed"
    );
    assert!(!s.contains("very-secret"));
    assert!(summary(&new, &new).ends_with("secret=kept"));
}

#[test]
fn durations_for_people() {
    let t = texts(Language::En);
    assert_eq!(duration(t, 40_000), "40 s");
    assert_eq!(duration(t, 65_000), "1 min");
    assert_eq!(duration(t, 3_900_000), "1 h 5 min");
    assert_eq!(duration(t, -5), "0 s");
    assert_eq!(duration(texts(Language::Ru), 3_600_000), "1 ч 0 мин");
}
