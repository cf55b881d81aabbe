//! The support desk's pages driven over HTTP with logged-in sessions, as people use them: a
//! customer opens a ticket through the client area's form with a file; staff find it in the
//! console's queue and answer it with a canned reply, and a junior adds an internal note; the
//! customer reads the answer (never the note), closes and rates the ticket. Roles hold per
//! form (a junior is refused the assign form), refused forms name their field, another
//! customer's ticket is the area's 404, files past the limits are refused on the form, and
//! every change is in the audit trail.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::mail::{smtp_config, Keeper};
use crate::serve::{add_account, api_token, http_as, json_of, start, PASSWORD};
use crate::session::{csrf_of, exchange, login, Browser, Reply};

pub(crate) const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch, labels: {instance: "sw-a:9100"}}
  - {id: hv-1, kind: hypervisor, requires: [sw-a]}
  - {id: hv-2, kind: hypervisor}
customers:
  - id: acme
    name: ACME s.r.o.
    tier: business
    contacts: [{email: ops@acme.example, language: en}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
services:
  - {id: vps-1, customer: acme, name: acme-web, requires: [hv-1]}
  - {id: vps-2, customer: acme, name: acme-db, requires: [hv-2]}
  - {id: vps-3, customer: beta, name: beta-shop, requires: [hv-2]}
"#;

pub(crate) const ACME: &str = "ops@acme.example";
pub(crate) const BETA: &str = "it@beta.example";
pub(crate) const JUNIOR: &str = "junior@provider.test";
const ENGINEER: &str = "engineer@provider.test";
pub(crate) const LEAD: &str = "lead@provider.test";

/// A server with `[desk]` (ACME's `business` tier answers first within `first`, 24x7), an
/// archive for attachments, a real SMTP server, two customers and three staff roles.
pub(crate) fn desk_config(dir: &Path, keeper: &Keeper, first: &str) -> PathBuf {
    let config = smtp_config(
        dir,
        keeper.port,
        INVENTORY,
        "archive = \"archive\"\n",
        "0s",
        "",
    );
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&crate::tickets::desk(first));
    std::fs::write(&config, text).unwrap();
    add_account(&config, ACME, "customer", Some("acme"));
    add_account(&config, BETA, "customer", Some("beta"));
    add_account(&config, JUNIOR, "junior", None);
    add_account(&config, ENGINEER, "engineer", None);
    add_account(&config, LEAD, "shift_lead", None);
    config
}

fn browser(addr: &str, who: &str) -> Browser {
    login(addr, who, PASSWORD)
        .unwrap_or_else(|r| panic!("{who} cannot log in: {} {}", r.status, r.body))
}

/// A `multipart/form-data` body of `fields` and `files` (`name`, file name, content).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &str)]) -> (String, String) {
    let boundary = "----tocsin-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    for (name, file, content) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/plain\r\n\r\n{content}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Submits the new-ticket form as a browser does, with the token of the form's page.
fn send_ticket(b: &Browser, fields: &[(&str, &str)], files: &[(&str, &str, &str)]) -> Reply {
    let page = b.get("/account/tickets/new");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = csrf_of(&page.body).unwrap();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let (content_type, body) = multipart(&all, files);
    exchange(
        &b.addr,
        "POST",
        "/account/tickets",
        &format!("Cookie: {}\r\nContent-Type: {content_type}\r\n", b.cookie),
        &body,
    )
}

/// The text of a page with the entities the templates escape put back.
fn unescaped(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

#[test]
fn a_customer_opens_a_ticket_with_a_file_staff_answer_from_a_canned_reply_and_it_is_rated() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = desk_config(dir.path(), &keeper, "30m");
    let server = start(&config);
    let addr = server.addr.as_str();
    let (acme, beta) = (browser(addr, ACME), browser(addr, BETA));
    let (junior, engineer, lead) = (
        browser(addr, JUNIOR),
        browser(addr, ENGINEER),
        browser(addr, LEAD),
    );

    // The form offers the customer's own services, the help centre's suggestions and files.
    let form = acme.get("/account/tickets/new").body;
    assert!(form.contains("value=\"vps-1\"") && form.contains("value=\"vps-2\""));
    assert!(
        !form.contains("vps-3"),
        "another customer's service offered"
    );
    assert!(form.contains("data-help-suggest=\"en\""), "{form}");
    assert!(form.contains("<ul data-help-suggestions></ul>"));
    assert!(form.contains("<script src=\"/assets/help-suggest.js\""));
    assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains("type=\"file\""));
    assert!(acme
        .get("/account")
        .body
        .contains("href=\"/account/tickets\""));
    // In the browser's language when the customer chose none.
    let czech = exchange(
        addr,
        "GET",
        "/account/tickets/new",
        &format!("Cookie: {}\r\nAccept-Language: cs\r\n", acme.cookie),
        "",
    );
    assert!(
        czech.body.contains("<h1>Nový požadavek</h1>"),
        "{}",
        czech.body
    );
    assert!(czech.body.contains("data-help-suggest=\"cs\""));
    assert!(czech.body.contains(">Technická podpora</option>"));

    // Refused forms name the field, keep what was typed and store nothing.
    let empty = send_ticket(
        &acme,
        &[("subject", " "), ("body", "It is slow since ten.")],
        &[],
    );
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(
        empty.body.contains("Please check the field “Subject”"),
        "{}",
        empty.body
    );
    assert!(empty.body.contains("It is slow since ten."));
    let foreign = send_ticket(
        &acme,
        &[("subject", "Slow"), ("body", "x"), ("services", "vps-3")],
        &[],
    );
    assert_eq!(foreign.status, 400, "{}", foreign.body);
    assert!(foreign.body.contains("“Services concerned”") && foreign.body.contains("vps-3"));
    let no_token = exchange(
        addr,
        "POST",
        "/account/tickets",
        &format!(
            "Cookie: {}\r\nContent-Type: {}\r\n",
            acme.cookie,
            multipart(&[("subject", "x"), ("body", "y")], &[]).0
        ),
        &multipart(&[("subject", "x"), ("body", "y")], &[]).1,
    );
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    // Files over the operation's 25 MiB are refused naming the field, within the form's limit.
    let big = "x".repeat((25 << 20) + (512 << 10));
    let heavy = send_ticket(
        &acme,
        &[("subject", "Logs"), ("body", "Attached.")],
        &[("files", "big.log", &big)],
    );
    assert_eq!(heavy.status, 400, "{:.300}", heavy.body);
    assert!(heavy.body.contains("“Attachments”") && heavy.body.contains("at most 25 MiB"));
    // Past the form's own limit the body is not read to its end: the page says the files are
    // too large.
    let huge = "x".repeat(27 << 20);
    let refused = send_ticket(
        &acme,
        &[("subject", "Logs"), ("body", "Attached.")],
        &[("files", "huge.log", &huge)],
    );
    assert_eq!(refused.status, 413, "{:.300}", refused.body);
    assert!(
        refused.body.contains("The attachments are too large"),
        "{:.600}",
        refused.body
    );
    assert!(acme
        .get("/account/tickets")
        .body
        .contains("You have no support ticket yet."));

    // The ticket is opened with its file.
    let sent = send_ticket(
        &acme,
        &[
            ("subject", "Shop <checkout> is slow"),
            ("body", "Since 10:00 the checkout takes a minute."),
            ("department", "technical"),
            ("priority", "high"),
            ("services", "vps-1"),
            ("services", "vps-2"),
        ],
        &[("files", "trace.txt", "trace-bytes-0042")],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let location = sent.header("location").unwrap().to_owned();
    let id: i64 = location
        .strip_prefix("/account/tickets/")
        .and_then(|r| r.strip_suffix("?done=opened"))
        .unwrap()
        .parse()
        .unwrap();
    let page = acme.get(&location).body;
    assert!(page.contains("Your ticket has been sent."), "{page}");
    assert!(page.contains("Shop &lt;checkout&gt; is slow"));
    assert!(page.contains("acme-web, acme-db"), "{page}");
    let link = format!("/account/tickets/{id}/attachments/");
    let at = page.find(&link).expect("the file is linked");
    let key = &page[at + link.len()..];
    let key = &key[..key.find('"').unwrap()];
    let file = acme.get(&format!("{link}{}", unescaped(key)));
    assert_eq!(file.status, 200);
    assert_eq!(file.body, "trace-bytes-0042");
    assert!(acme
        .get("/account/tickets")
        .body
        .contains(&format!("href=\"/account/tickets/{id}\"")));

    // Another customer gets the area's 404 for it, its file too, and does not list it.
    let other = beta.get(&format!("/account/tickets/{id}"));
    assert_eq!(other.status, 404);
    assert!(!other.body.contains("checkout"));
    assert_eq!(beta.get(&format!("{link}{}", unescaped(key))).status, 404);
    assert!(!beta.get("/account/tickets").body.contains("checkout"));

    // Staff see it in the queue; shift leads add a canned reply, juniors may not.
    let queue = junior.get("/console/tickets");
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(queue
        .body
        .contains(&format!("href=\"/console/tickets/{id}\"")));
    assert!(queue.body.contains("Shop &lt;checkout&gt; is slow") && queue.body.contains("acme"));
    assert!(
        queue.body.contains("id=\"active-count\">1<"),
        "{}",
        queue.body
    );
    let canned_text = "We restarted the <checkout> service; please try again.";
    let refused = junior.post_form(
        "/console/canned-replies",
        "/console/canned-replies",
        &[
            ("title", "Restarted"),
            ("body", canned_text),
            ("language", "en"),
        ],
    );
    assert_eq!(refused.status, 403);
    let untitled = lead.post_form(
        "/console/canned-replies",
        "/console/canned-replies",
        &[("title", ""), ("body", canned_text), ("language", "en")],
    );
    assert_eq!(untitled.status, 400);
    assert!(
        untitled.body.contains("title is empty"),
        "{}",
        untitled.body
    );
    let added = lead.post_form(
        "/console/canned-replies",
        "/console/canned-replies",
        &[
            ("title", "Restarted"),
            ("body", canned_text),
            ("language", "en"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);

    // The ticket's page offers the canned reply with its text; the engineer sends it.
    let ticket = format!("/console/tickets/{id}");
    let shown = engineer.get(&ticket).body;
    assert!(
        shown.contains("trace.txt") && shown.contains("Since 10:00"),
        "{shown}"
    );
    assert!(
        unescaped(&shown).contains(&format!("data-body=\"{canned_text}\"")),
        "{shown}"
    );
    assert!(shown.contains("<script src=\"/assets/canned.js\""));
    // Staff download the file through the API's address, with their session.
    let api_file = format!("/api/v1/tickets/{id}/attachments/{}", unescaped(key));
    assert!(shown.contains(&format!("href=\"/api/v1/tickets/{id}/attachments/{key}\"")));
    let file = engineer.get(&api_file);
    assert_eq!((file.status, file.body.as_str()), (200, "trace-bytes-0042"));
    let script = exchange(addr, "GET", "/assets/canned.js", "", "");
    assert_eq!(script.status, 200);
    assert!(script
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    assert!(script.body.contains("cannedFor"));
    let no_kind = engineer.post_form(&ticket, &format!("{ticket}/replies"), &[("body", "x")]);
    assert_eq!(no_kind.status, 400);
    assert!(no_kind.body.contains("kind: choose"));
    let answered = engineer.post_form(
        &ticket,
        &format!("{ticket}/replies"),
        &[("kind", "public"), ("body", canned_text)],
    );
    assert_eq!(answered.status, 303, "{}", answered.body);
    let public_by_junior = junior.post_form(
        &ticket,
        &format!("{ticket}/replies"),
        &[("kind", "public"), ("body", "hello")],
    );
    assert_eq!(public_by_junior.status, 403);
    let noted = junior.post_form(
        &ticket,
        &format!("{ticket}/replies"),
        &[
            ("kind", "note"),
            ("body", "Suspect the disk of hv-1, internal only"),
        ],
    );
    assert_eq!(noted.status, 303, "{}", noted.body);
    let log = junior.get(&ticket).body;
    assert!(log.contains("Internal: note"), "{log}");
    // The public reply was the first response; the note did not count.
    assert!(shown.contains("<td>not yet</td>") && !log.contains("<td>not yet</td>"));

    // A junior gets no assign form and is refused when posting it; the lead assigns.
    assert!(!log.contains(&format!("action=\"{ticket}/assign\"")));
    assert!(lead
        .get(&ticket)
        .body
        .contains(&format!("action=\"{ticket}/assign\"")));
    let assign = junior.post_form(&ticket, &format!("{ticket}/assign"), &[("login", JUNIOR)]);
    assert_eq!(assign.status, 403, "{}", assign.body);
    let nobody = lead.post_form(
        &ticket,
        &format!("{ticket}/assign"),
        &[("login", "ghost@provider.test")],
    );
    assert_eq!(nobody.status, 400);
    assert!(
        nobody.body.contains("login: no staff account"),
        "{}",
        nobody.body
    );
    let assigned = lead.post_form(&ticket, &format!("{ticket}/assign"), &[("login", ENGINEER)]);
    assert_eq!(assigned.status, 303, "{}", assigned.body);

    // Triage and merge name their fields when refused.
    let triage = engineer.post_form(
        &ticket,
        &format!("{ticket}/triage"),
        &[("priority", "asap")],
    );
    assert_eq!(triage.status, 400);
    assert!(triage.body.contains("priority `asap`"), "{}", triage.body);
    assert!(triage.body.contains("id=\"triage-error\""));
    let merge = engineer.post_form(&ticket, &format!("{ticket}/merge"), &[("into", "soon")]);
    assert_eq!(merge.status, 400);
    assert!(merge.body.contains("into: `soon` is not a ticket number"));
    let merge = engineer.post_form(
        &ticket,
        &format!("{ticket}/merge"),
        &[("into", &id.to_string())],
    );
    assert_eq!(merge.status, 400);
    assert!(merge
        .body
        .contains("into: a ticket cannot be merged into itself"));
    let triaged = engineer.post_form(
        &ticket,
        &format!("{ticket}/triage"),
        &[("priority", "urgent")],
    );
    assert_eq!(triaged.status, 303, "{}", triaged.body);
    let now = junior.get(&ticket).body;
    assert!(now.contains(&format!("<td>{ENGINEER}</td>")) && now.contains("<td>urgent</td>"));

    // The customer reads the answer, never the note; may not rate before it is resolved.
    let view = acme.get(&format!("/account/tickets/{id}")).body;
    assert!(unescaped(&view).contains(canned_text), "{view}");
    assert!(
        !view.contains("Suspect the disk"),
        "an internal note shown: {view}"
    );
    assert!(
        !view.contains("Rating (1 = poor"),
        "rating offered before resolution"
    );
    let early = acme.post_form(
        &format!("/account/tickets/{id}"),
        &format!("/account/tickets/{id}/rating"),
        &[("score", "5")],
    );
    assert_eq!(early.status, 409, "{}", early.body);
    let closed = acme.post_form(
        &format!("/account/tickets/{id}"),
        &format!("/account/tickets/{id}/status"),
        &[("status", "closed")],
    );
    assert_eq!(closed.status, 303, "{}", closed.body);
    let view = acme.get(&format!("/account/tickets/{id}")).body;
    assert!(view.contains("This ticket is closed.") && view.contains("Rating (1 = poor"));
    assert!(!view.contains(&format!("action=\"/account/tickets/{id}/replies\"")));
    let six = acme.post_form(
        &format!("/account/tickets/{id}"),
        &format!("/account/tickets/{id}/rating"),
        &[("score", "6")],
    );
    assert_eq!(six.status, 400);
    assert!(
        six.body.contains("“Rating (1 = poor, 5 = excellent)”"),
        "{}",
        six.body
    );
    let rated = acme.post_form(
        &format!("/account/tickets/{id}"),
        &format!("/account/tickets/{id}/rating"),
        &[("score", "5"), ("comment", "Quick and kind.")],
    );
    assert_eq!(rated.status, 303, "{}", rated.body);
    let view = acme.get(rated.header("location").unwrap()).body;
    assert!(view.contains("Thank you for your rating.") && view.contains("5/5 · Quick and kind."));
    assert!(junior.get(&ticket).body.contains("5/5"));

    // The same operations as the API: the JSON view agrees, and each change is audited.
    let token = api_token(&config, JUNIOR);
    let (status, json) = http_as(
        addr,
        "GET",
        &format!("/api/v1/tickets/{id}"),
        "",
        Some(&token),
    );
    assert_eq!(status, 200);
    let json = json_of(&json);
    assert_eq!(json["status"], "closed");
    assert_eq!(json["rating"], 5);
    assert_eq!(json["assignee"], ENGINEER);
    let audit = junior.get(&format!("/console/audit?target=T-{id}")).body;
    for action in [
        "ticket.open",
        "ticket.reply",
        "ticket.note",
        "ticket.assign",
        "ticket.triage",
        "ticket.status",
        "ticket.rating",
    ] {
        assert!(audit.contains(action), "{action} not audited: {audit}");
    }
    // The public reply reached the customer by e-mail.
    let mail = wait_for_mail(&keeper, "We restarted the");
    assert!(mail.contains(ACME), "{mail}");
}

/// The first e-mail whose text contains `text`.
fn wait_for_mail(keeper: &Keeper, text: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some((to, m)) = keeper
            .messages()
            .into_iter()
            .find(|(_, m)| m.contains(text))
        {
            return format!("{to}\n{m}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no e-mail with {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn staff_open_a_ticket_for_a_customer_and_the_queue_filters_by_tier() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = desk_config(dir.path(), &keeper, "30m");
    let server = start(&config);
    let addr = server.addr.as_str();
    let (junior, engineer) = (browser(addr, JUNIOR), browser(addr, ENGINEER));
    assert!(!junior
        .get("/console/tickets")
        .body
        .contains("method=\"post\" action=\"/console/tickets\""));
    let refused = junior.post_form(
        "/console/tickets",
        "/console/tickets",
        &[("customer", "beta"), ("subject", "x"), ("body", "y")],
    );
    assert_eq!(refused.status, 403);
    let missing = engineer.post_form(
        "/console/tickets",
        "/console/tickets",
        &[
            ("customer", ""),
            ("subject", "Invoice"),
            ("body", "Called about it"),
        ],
    );
    assert_eq!(missing.status, 400);
    assert!(
        missing.body.contains("customer is required"),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("id=\"open-error\"") && missing.body.contains("Called about it"));
    let unknown = engineer.post_form(
        "/console/tickets",
        "/console/tickets",
        &[
            ("customer", "gamma"),
            ("subject", "Invoice"),
            ("body", "Called"),
        ],
    );
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.body.contains("customer: no customer `gamma`"),
        "{}",
        unknown.body
    );
    assert!(
        unknown.body.contains("value=\"gamma\""),
        "the typed id is kept"
    );
    for (customer, subject) in [("beta", "Invoice question"), ("acme", "Backup restore")] {
        let opened = engineer.post_form(
            "/console/tickets",
            "/console/tickets",
            &[
                ("customer", customer),
                ("subject", subject),
                ("body", "Called in by phone."),
                ("department", "billing"),
                ("priority", "normal"),
                ("services", ""),
            ],
        );
        assert_eq!(opened.status, 303, "{}", opened.body);
        assert!(opened
            .header("location")
            .unwrap()
            .starts_with("/console/tickets/"));
    }
    let all = junior.get("/console/tickets").body;
    assert!(all.contains("Invoice question") && all.contains("Backup restore"));
    // ACME's first response is due within 30 minutes, Beta's within 8 hours: ACME's first.
    assert!(all.find("Backup restore").unwrap() < all.find("Invoice question").unwrap());
    let business = junior.get("/console/tickets?tier=business").body;
    assert!(business.contains("Backup restore") && !business.contains("Invoice question"));
    assert!(business.contains("<option value=\"business\" selected>"));
    // The customer sees the ticket staff opened for them.
    let beta = browser(addr, BETA);
    assert!(beta
        .get("/account/tickets")
        .body
        .contains("Invoice question"));
}
