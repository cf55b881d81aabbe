//! The help centre end to end: engineers write articles over JSON and in the console
//! (juniors and customers are refused), public pages render the Markdown sanitized, search
//! over HTTP finds the word forms of each language best first with a snippet, and votes
//! count once per visitor and show in the staff list.

use serde_json::{json, Value};

use crate::serve::{add_account, api_token, error_of, example_config, http, http_as, json_of};
use crate::serve::{start, PASSWORD};
use crate::session::{exchange, login};

const JUNIOR: &str = "junior@provider.test";
const ENGINEER: &str = "engineer@provider.test";
const CUSTOMER: &str = "someone@acme.test";

fn signed_in(addr: &str, who: &str) -> crate::session::Browser {
    login(addr, who, PASSWORD).unwrap_or_else(|r| panic!("{}", r.body))
}

fn article(slug: &str, language: &str, title: &str, body: &str) -> String {
    json!({"slug": slug, "language": language, "title": title, "body": body}).to_string()
}

/// Articles in the five languages; each title and body uses one form of its words, the
/// searches below others.
const ARTICLES: [(&str, &str, &str, &str); 8] = [
    (
        "restart",
        "cs",
        "Restart serveru",
        "Virtuální server restartujete v zákaznické sekci.\n\nPo restartu počkejte minutu.",
    ),
    (
        "invoices",
        "cs",
        "Faktury a platby",
        "Všechny faktury najdete v zákaznické sekci jako PDF.",
    ),
    (
        "invoices",
        "pl",
        "Gdzie znajdę fakturę",
        "Każda faktura jest w panelu klienta w formacie PDF.",
    ),
    (
        "restart",
        "ru",
        "Перезагрузка сервера",
        "Сервер можно перезагрузить в панели клиента.",
    ),
    (
        "invoices",
        "fr",
        "Vos factures",
        "Chaque facture est disponible en PDF dans l'espace client.",
    ),
    (
        "restart",
        "en",
        "Restarting a server",
        "Restart your **server** from the control panel. Wait a minute after a restart.",
    ),
    (
        "dns",
        "en",
        "DNS records",
        "Point your domain to the address of your server with an A record.",
    ),
    (
        "invoices",
        "en",
        "Invoices and payments",
        "Every invoice is in the client area as a PDF.",
    ),
];

fn search(addr: &str, q: &str, lang: &str) -> Vec<Value> {
    let q: String = q
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let path = format!("/api/v1/help/search?q={q}&lang={lang}");
    let (status, body) = http_as(addr, "GET", &path, "", None);
    assert_eq!(status, 200, "{path}: {body}");
    json_of(&body)["articles"].as_array().unwrap().clone()
}

fn slugs(found: &[Value]) -> Vec<String> {
    found
        .iter()
        .map(|a| {
            format!(
                "{}/{}",
                a["slug"].as_str().unwrap(),
                a["language"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn engineers_write_articles_and_anyone_finds_their_word_forms() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    add_account(&config, JUNIOR, "junior", None);
    add_account(&config, ENGINEER, "engineer", None);
    add_account(&config, CUSTOMER, "customer", Some("acme"));
    let junior = api_token(&config, JUNIOR);
    let engineer = api_token(&config, ENGINEER);
    let customer = api_token(&config, CUSTOMER);
    let server = start(&config);
    let addr = server.addr.as_str();

    // Writing: engineers and up; juniors, customers and anonymous visitors are refused.
    let first = article(ARTICLES[0].0, ARTICLES[0].1, ARTICLES[0].2, ARTICLES[0].3);
    for token in [Some(junior.as_str()), Some(customer.as_str())] {
        let (status, body) = http_as(addr, "POST", "/api/v1/help/articles", &first, token);
        assert_eq!(status, 403, "{body}");
    }
    assert_eq!(
        http_as(addr, "POST", "/api/v1/help/articles", &first, None).0,
        401
    );
    for (slug, lang, title, body) in ARTICLES {
        let (status, reply) = http_as(
            addr,
            "POST",
            "/api/v1/help/articles",
            &article(slug, lang, title, body),
            Some(&engineer),
        );
        assert_eq!(status, 201, "{reply}");
        let a = json_of(&reply);
        assert_eq!(
            (a["slug"].as_str(), a["language"].as_str()),
            (Some(slug), Some(lang))
        );
        assert_eq!(a["created_by"], ENGINEER);
    }
    // The same slug and language again is a conflict; bad fields are named.
    let (status, body) = http_as(
        addr,
        "POST",
        "/api/v1/help/articles",
        &first,
        Some(&engineer),
    );
    assert_eq!(status, 409, "{body}");
    for (bad, field) in [
        (article("Bad Slug", "en", "T", "B"), "slug"),
        (article("ok", "de", "T", "B"), "language"),
        (article("ok", "en", " ", "B"), "title"),
        (article("ok", "en", "T", ""), "body"),
    ] {
        let (status, body) = http_as(addr, "POST", "/api/v1/help/articles", &bad, Some(&engineer));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(error_of(&body).starts_with(field), "{field}: {body}");
    }

    // Word forms meet, each search in its own language, best first.
    let cases: [(&str, &str, &[&str]); 9] = [
        ("serverem", "cs", &["restart/cs"]),
        ("faktura", "cs", &["invoices/cs"]),
        ("faktury", "pl", &["invoices/pl"]),
        ("fakturze", "pl", &["invoices/pl"]),
        ("серверу", "ru", &["restart/ru"]),
        ("facture", "fr", &["invoices/fr"]),
        ("restarting servers", "en", &["restart/en", "dns/en"]),
        ("invoicing", "en", &["invoices/en"]),
        ("zebra", "en", &[]),
    ];
    for (q, lang, want) in cases {
        assert_eq!(slugs(&search(addr, q, lang)), want, "{q} in {lang}");
    }
    // The word being typed is a prefix; the snippet quotes the text around the match.
    let found = search(addr, "how do I restart my serv", "en");
    assert_eq!(slugs(&found)[0], "restart/en");
    assert_eq!(found[0]["title"], "Restarting a server");
    let snippet = found[0]["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("Restart your server from the control panel"),
        "{snippet}"
    );
    assert!(!snippet.contains("**"), "{snippet}");
    // Without a language: every language's articles.
    let (status, body) = http_as(addr, "GET", "/api/v1/help/search?q=restart", "", None);
    assert_eq!(status, 200);
    let mut all = slugs(json_of(&body)["articles"].as_array().unwrap());
    all.sort();
    assert_eq!(all, ["restart/cs", "restart/en"]);
    let (status, body) = http_as(addr, "GET", "/api/v1/help/search?q=x&lang=de", "", None);
    assert_eq!(status, 400);
    assert!(error_of(&body).starts_with("lang"), "{body}");

    // An update is found by its new words only.
    let changed =
        json!({"title": "Rebooting a machine", "body": "Reboot it from the panel."}).to_string();
    let (status, body) = http_as(
        addr,
        "PUT",
        "/api/v1/help/articles/restart/en",
        &changed,
        Some(&junior),
    );
    assert_eq!(status, 403, "{body}");
    let (status, body) = http_as(
        addr,
        "PUT",
        "/api/v1/help/articles/restart/en",
        &changed,
        Some(&engineer),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["title"], "Rebooting a machine");
    assert_eq!(slugs(&search(addr, "rebooted", "en")), ["restart/en"]);
    assert_eq!(slugs(&search(addr, "restarting servers", "en")), ["dns/en"]);
    let (status, _) = http_as(
        addr,
        "PUT",
        "/api/v1/help/articles/nothing/en",
        &changed,
        Some(&engineer),
    );
    assert_eq!(status, 404);

    // Every write is in the audit trail.
    let (_, audit) = http(addr, "GET", "/console/audit", "");
    assert!(
        audit.contains("help.create") && audit.contains("help.update"),
        "{audit:.2000}"
    );
}

#[test]
fn public_pages_render_sanitized_markdown_and_count_votes_once_per_visitor() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    add_account(&config, ENGINEER, "engineer", None);
    add_account(&config, CUSTOMER, "customer", Some("acme"));
    let engineer = api_token(&config, ENGINEER);
    let customer = api_token(&config, CUSTOMER);
    let server = start(&config);
    let addr = server.addr.as_str();
    let body = "Restart the **server**.\n\n<script>alert('x')</script>\n\n<a href=\"javascript:alert(1)\" onclick=\"steal()\">click</a> <kbd>Ctrl</kbd>";
    for (lang, title) in [("en", "Restarting a server"), ("cs", "Restart serveru")] {
        let (status, reply) = http_as(
            addr,
            "POST",
            "/api/v1/help/articles",
            &article("restart", lang, title, body),
            Some(&engineer),
        );
        assert_eq!(status, 201, "{reply}");
    }

    // The article page: sanitized HTML, the language asked for, the other one offered.
    let page = exchange(addr, "GET", "/help/restart?lang=cs", "", "");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<html lang=\"cs\">"), "{}", page.body);
    assert!(page.body.contains("<h1>Restart serveru</h1>"));
    assert!(
        page.body.contains("<strong>server</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<kbd>Ctrl</kbd>"));
    for gone in ["<script>alert", "javascript:", "onclick", "steal()"] {
        assert!(!page.body.contains(gone), "{gone} survived: {}", page.body);
    }
    assert!(page.body.contains("href=\"/help/restart?lang=en\""));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'self'"));
    // The browser's language when none is asked for.
    let page = exchange(
        addr,
        "GET",
        "/help/restart",
        "Accept-Language: cs-CZ,cs;q=0.9\r\n",
        "",
    );
    assert!(page.body.contains("<h1>Restart serveru</h1>"));
    let page = exchange(addr, "GET", "/help/restart", "", "");
    assert!(page.body.contains("<h1>Restarting a server</h1>"));
    assert_eq!(exchange(addr, "GET", "/help/nothing", "", "").status, 404);

    // The index lists a language's articles and searches them without script too.
    let index = exchange(addr, "GET", "/help?lang=en", "", "");
    assert_eq!(index.status, 200);
    assert!(
        index.body.contains("href=\"/help/restart?lang=en\""),
        "{}",
        index.body
    );
    assert!(index.body.contains("data-help-suggest=\"en\""));
    assert!(index.body.contains("<ul data-help-suggestions"));
    assert!(index
        .body
        .contains("<script src=\"/assets/help-suggest.js\" defer></script>"));
    let results = exchange(addr, "GET", "/help?lang=cs&q=serverem", "", "");
    assert!(results.body.contains("Restart serveru"), "{}", results.body);
    let script = exchange(addr, "GET", "/assets/help-suggest.js", "", "");
    assert_eq!(script.status, 200);
    assert!(script
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    assert!(script.body.contains("/api/v1/help/search"));

    // Votes: one per visitor and article, the later replacing the earlier.
    let vote = |helpful: bool, token: Option<&str>| {
        let (status, body) = http_as(
            addr,
            "POST",
            "/api/v1/help/articles/restart/en/vote",
            &json!({ "helpful": helpful }).to_string(),
            token,
        );
        assert_eq!(status, 204, "{body}");
    };
    vote(true, None);
    vote(true, None);
    vote(false, Some(&customer));
    vote(true, Some(&customer));
    vote(false, Some(&engineer));
    let (status, body) = http_as(
        addr,
        "POST",
        "/api/v1/help/articles/nothing/en/vote",
        r#"{"helpful": true}"#,
        None,
    );
    assert_eq!(status, 404, "{body}");
    let (status, _) = http_as(
        addr,
        "POST",
        "/api/v1/help/articles/restart/en/vote",
        r#"{"helpful": "yes"}"#,
        None,
    );
    assert_eq!(status, 400);
    // The form twin, from the page: anonymous again, so it replaces the first answer.
    let form = exchange(
        addr,
        "POST",
        "/help/restart/cs/vote",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        "helpful=no",
    );
    assert_eq!(form.status, 303);
    assert_eq!(
        form.header("location"),
        Some("/help/restart?lang=cs&voted=1")
    );
    let thanks = exchange(addr, "GET", "/help/restart?lang=cs&voted=1", "", "");
    assert!(
        thanks.body.contains("Děkujeme za odpověď."),
        "{}",
        thanks.body
    );
    let cross = exchange(
        addr,
        "POST",
        "/help/restart/cs/vote",
        "Content-Type: application/x-www-form-urlencoded\r\nOrigin: http://evil.test\r\n",
        "helpful=yes",
    );
    assert_eq!(cross.status, 403);

    // Staff see the counts, over JSON and in the console.
    let (status, body) = http_as(addr, "GET", "/api/v1/help/articles", "", Some(&engineer));
    assert_eq!(status, 200, "{body}");
    let list = json_of(&body)["articles"].clone();
    assert_eq!(list[0]["language"], "cs");
    assert_eq!(list[0]["votes"], json!({"helpful": 0, "unhelpful": 1}));
    assert_eq!(list[1]["language"], "en");
    assert_eq!(list[1]["votes"], json!({"helpful": 2, "unhelpful": 1}));
    assert_eq!(
        http_as(addr, "GET", "/api/v1/help/articles", "", Some(&customer)).0,
        403
    );
    let console = signed_in(addr, ENGINEER).get("/console/help");
    assert_eq!(console.status, 200);
    assert!(
        console
            .body
            .contains("<td class=\"helpful\">2</td><td class=\"unhelpful\">1</td>"),
        "{}",
        console.body
    );
}

#[test]
fn the_console_writes_and_edits_articles_with_the_api_s_checks() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    add_account(&config, JUNIOR, "junior", None);
    add_account(&config, ENGINEER, "engineer", None);
    let server = start(&config);
    let addr = server.addr.as_str();

    let junior = signed_in(addr, JUNIOR);
    let page = junior.get("/console/help");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("Publish the article"));
    let refused = junior.post_form(
        "/console/help",
        "/console/help",
        &[
            ("slug", "x"),
            ("language", "en"),
            ("title", "T"),
            ("body", "B"),
        ],
    );
    assert_eq!(refused.status, 403);

    let engineer = signed_in(addr, ENGINEER);
    let bad = engineer.post_form(
        "/console/help",
        "/console/help",
        &[
            ("slug", "Bad Slug"),
            ("language", "en"),
            ("title", "T"),
            ("body", "B"),
        ],
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("slug: lowercase letters"), "{}", bad.body);
    assert!(bad.body.contains("value=\"Bad Slug\""));
    let made = engineer.post_form(
        "/console/help",
        "/console/help",
        &[
            ("slug", "faktury"),
            ("language", "cs"),
            ("title", "Faktury"),
            ("body", "Kde najdu **fakturu**?"),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(
        made.header("location"),
        Some("/console/help/faktury/cs?done=created")
    );
    let edit = engineer.get("/console/help/faktury/cs?done=created");
    assert!(edit.body.contains("Article published."), "{}", edit.body);
    assert!(
        edit.body.contains("<strong>fakturu</strong>"),
        "{}",
        edit.body
    );
    let saved = engineer.post_form(
        "/console/help/faktury/cs",
        "/console/help/faktury/cs",
        &[("title", "Faktury a platby"), ("body", "Platby kartou.")],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let found = http_as(
        addr,
        "GET",
        "/api/v1/help/search?q=platbami&lang=cs",
        "",
        None,
    )
    .1;
    assert_eq!(json_of(&found)["articles"][0]["title"], "Faktury a platby");
    assert_eq!(engineer.get("/console/help/nothing/cs").status, 404);
}
