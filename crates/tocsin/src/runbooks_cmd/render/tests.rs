//! The printed page: hostile Markdown is defused, every language keeps its letters, the print
//! layout is there and nothing is fetched from anywhere.

use super::*;
use crate::report::ImaginedRedundancy;

const CZECH: &str = "Příliš žluťoučký kůň úpěl ďábelské ódy";
const POLISH: &str = "Zażółć gęślą jaźń";
const RUSSIAN: &str = "Съешь же ещё этих мягких французских булок";

/// 2026-12-02T06:00:00Z.
const GENERATED_MS: i64 = 1_796_191_200_000;

fn runbook(markdown: &str) -> Runbook {
    Runbook::from_markdown("book.md", markdown).unwrap()
}

fn account(login: &str, role: &str, disabled: bool) -> Account {
    Account {
        id: 1,
        login: login.to_owned(),
        role: role.to_owned(),
        customer: (role == "customer").then(|| "acme".to_owned()),
        password_hash: format!("$argon2id$v=19$secret-of-{login}"),
        disabled,
        email: Some(format!("{}@mail.example", login.replace('@', "."))),
    }
}

fn page(runbooks: &[Runbook], roster: &[Shift], drills: &[DueDrill]) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Prague").unwrap();
    let contacts = staff_contacts(&[
        account("lead@provider.test", "shift_lead", false),
        account("gone@provider.test", "engineer", true),
        account("ops@acme.example", "customer", false),
    ]);
    let spof = RedundancyReport {
        services: 3,
        with_any: 2,
        imagined: vec![ImaginedRedundancy {
            id: "sw-a",
            kind: "switch",
            services: vec!["vps-1", "vps-2"],
        }],
    };
    render(&Book {
        provider: Some("status.provider.example"),
        generated_ms: GENERATED_MS,
        time_zone: &tz,
        runbooks,
        roster,
        contacts: &contacts,
        drills,
        spof: &spof,
    })
    .unwrap()
}

#[test]
fn hostile_markdown_is_removed() {
    let book = runbook(
        "# Power\n\n<script>alert('x')</script>\n\n\
         [click](javascript:alert(1)) <a href=\"javascript:alert(2)\">raw</a>\n\n\
         <img src=\"https://tracker.example/p.gif\" onerror=\"alert(3)\">\n\n\
         <iframe src=\"https://evil.example/\"></iframe>\n\n\
         <a href=\"https://wiki.example/ups\" onclick=\"alert(4)\" style=\"color:red\">UPS</a>\n\n\
         <style>body { display: none }</style><form action=\"https://evil.example/\"><input type=\"text\" name=\"q\"></form>\n\n\
         <kbd>Ctrl</kbd>\n",
    );
    let html = book.html.to_ascii_lowercase();
    for bad in [
        "<script",
        "alert(",
        "javascript:",
        "onerror",
        "onclick",
        "<iframe",
        "evil.example",
        "<style",
        "style=",
        "<form",
        "type=\"text\"",
        "<img",
    ] {
        assert!(!html.contains(bad), "{bad} survived in {html}");
    }
    // What is harmless stays: the link, its text, a keyboard key.
    assert!(html.contains("href=\"https://wiki.example/ups\""), "{html}");
    assert!(html.contains(">ups</a>"), "{html}");
    assert!(html.contains("<kbd>ctrl</kbd>"), "{html}");
}

#[test]
fn images_are_printed_as_their_description_and_address_not_fetched() {
    let book = runbook("See ![the rack, front & back](https://wiki.example/rack.png).\n");
    assert!(!book.html.contains("<img"), "{}", book.html);
    assert!(
        book.html
            .contains("[image: the rack, front &amp; back &lt;https://wiki.example/rack.png&gt;]"),
        "{}",
        book.html
    );
}

#[test]
fn czech_polish_and_russian_keep_their_letters() {
    let book = runbook(&format!(
        "# {RUSSIAN}\n\n{CZECH}\n\n| {POLISH} |\n|---|\n| ok |\n"
    ));
    assert_eq!(book.title, RUSSIAN);
    assert!(book.html.contains(CZECH), "{}", book.html);
    assert!(book.html.contains(POLISH), "{}", book.html);
    let html = page(&[book], &[], &[]);
    for words in [CZECH, POLISH, RUSSIAN] {
        assert!(html.contains(words), "{words} lost");
    }
}

#[test]
fn gfm_tables_task_lists_strikethrough_and_autolinks() {
    let book = runbook(
        "# Checklist\n\n| step | who |\n|---|---|\n| call | lead |\n\n\
         - [x] generator started\n- [ ] grid back\n\n~~old number~~\n\nhttps://wiki.example/dr?a=1&b=2 <https://wiki.example/x> [manual](https://wiki.example/m)\n",
    );
    let html = &book.html;
    assert!(
        html.contains("<table>") && html.contains("<td>lead</td>"),
        "{html}"
    );
    assert!(
        html.contains("<a class=\"bare\" href=\"https://wiki.example/x\""),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"https://wiki.example/m\" rel=\"noopener noreferrer\">manual</a>"),
        "{html}"
    );
    assert!(html.contains("<input type=\"checkbox\""), "{html}");
    assert!(html.contains("checked"), "{html}");
    assert!(html.contains("<del>old number</del>"), "{html}");
    // An address that is its own text is marked so that print does not repeat it.
    assert!(
        html.contains("<a class=\"bare\" href=\"https://wiki.example/dr?a=1&amp;b=2\" rel=\"noopener noreferrer\">https://wiki.example/dr?a=1&amp;b=2</a>"),
        "{html}"
    );
}

#[test]
fn the_title_is_the_first_heading_else_the_file_name_and_is_printed_once() {
    let book = runbook("# Grid failure\n\nText.\n\n## Steps\n");
    assert_eq!(book.title, "Grid failure");
    assert!(!book.html.contains("Grid failure"), "{}", book.html);
    assert!(book.html.contains("<h2>Steps</h2>"), "{}", book.html);
    let book = runbook("Intro.\n\n## Later *heading*\n");
    assert_eq!(book.title, "Later heading");
    assert!(
        book.html.contains("Later"),
        "kept where it is: {}",
        book.html
    );
    let book = Runbook::from_markdown("99-misc.md", "Just text.\n").unwrap();
    assert_eq!(book.title, "99-misc.md");
}

#[test]
fn the_print_layout_is_a4_with_page_breaks_and_printed_link_addresses() {
    let html = page(&[runbook("# One\n"), runbook("# Two\n")], &[], &[]);
    assert!(html.contains("size: A4"), "A4");
    assert!(html.contains("@page"));
    assert!(html.contains(".runbook { break-before: page; }"));
    assert_eq!(html.matches("<article class=\"runbook\"").count(), 2);
    assert!(html.contains("a[href^=\"http\"]:not(.bare)::after { content: \" (\" attr(href) \")\""));
    assert!(html.contains("tr, pre, blockquote, li { break-inside: avoid; }"));
    // A header with the provider and the time it was printed, in the provider's zone.
    assert!(html.contains("status.provider.example — Runbooks"));
    assert!(html.contains("Wed 2026-12-02 07:00 CET"), "local time");
    assert!(html.contains("Wed 2026-12-02 06:00 UTC"), "UTC");
    assert!(html.contains("<a href=\"#runbook-2\">Two</a>"), "contents");
    assert_eq!(
        html,
        page(&[runbook("# One\n"), runbook("# Two\n")], &[], &[])
    );
}

#[test]
fn nothing_external_is_referenced_and_the_font_is_inside() {
    let html = page(
        &[runbook(
            "# Links\n\n[wiki](https://wiki.example/) <link rel=\"stylesheet\" href=\"https://cdn.example/x.css\">\n",
        )],
        &[],
        &[],
    );
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("@import"));
    assert!(!lower.contains("<link"));
    assert!(!lower.contains("<script"));
    assert!(!lower.contains(" src="));
    assert!(!lower.contains("cdn.example"));
    let urls: Vec<&str> = lower.split("url(").skip(1).collect();
    assert_eq!(urls.len(), 2, "regular and bold");
    for u in urls {
        assert!(u.starts_with("\"data:font/woff2;base64,"), "{}", &u[..40]);
    }
    // The only address left is the runbook's own link, printed for the reader.
    assert_eq!(lower.matches("://").count(), 1, "{lower}");
    let b64 = base64::engine::general_purpose::STANDARD.encode(FONT_REGULAR);
    assert!(html.contains(&b64));
    assert!(FONT_REGULAR.starts_with(b"wOF2") && FONT_BOLD.starts_with(b"wOF2"));
}

#[test]
fn staff_contacts_leave_out_customers_disabled_accounts_and_secrets() {
    let contacts = staff_contacts(&[
        account("z@provider.test", "junior", false),
        account("a@provider.test", "admin", false),
        account("gone@provider.test", "engineer", true),
        account("ops@acme.example", "customer", false),
    ]);
    let logins: Vec<&str> = contacts.iter().map(|c| c.login.as_str()).collect();
    assert_eq!(logins, ["a@provider.test", "z@provider.test"]);
    let html = page(&[], &[], &[]);
    assert!(
        html.contains("lead@provider.test") && html.contains("lead.provider.test@mail.example")
    );
    assert!(!html.contains("gone@provider.test"));
    assert!(!html.contains("ops@acme.example"));
    assert!(!html.contains("argon2"));
}

#[test]
fn the_roster_marks_the_lead_and_escapes_what_it_prints() {
    let shift = |login: &str, lead: bool, starts_ms: i64| Shift {
        id: 1,
        login: login.to_owned(),
        starts_ms,
        ends_ms: starts_ms + 8 * 3_600_000,
        lead,
        created_by: "admin".to_owned(),
        created_ms: 0,
    };
    let roster = [
        shift("lead@provider.test", true, GENERATED_MS),
        shift("<b>odd</b>", false, GENERATED_MS + 3_600_000),
    ];
    let html = page(&[], &roster, &[]);
    assert!(html.contains("<tr class=\"lead\"><td>lead@provider.test<br>lead.provider.test@mail.example</td><td>LEAD</td><td>Wed 2026-12-02 07:00 CET<span class=\"utc\">Wed 2026-12-02 06:00 UTC</span></td><td>Wed 2026-12-02 15:00 CET"), "{html}");
    assert!(html.contains("&lt;b&gt;odd&lt;&#x2f;b&gt;"), "{html}");
    assert!(!html.contains("<b>odd"));
    assert!(page(&[], &[], &[]).contains("No shift planned."));
}

#[test]
fn drills_due_or_none_due() {
    assert!(page(&[], &[], &[]).contains("None due."));
    let due = DueDrill {
        title: "UPS battery test".to_owned(),
        targets: vec!["ups-a".to_owned(), "ups-b".to_owned()],
        occurrence_ms: GENERATED_MS - 86_400_000,
        duration_ms: 90 * 60_000,
        announced: true,
        overdue: true,
    };
    let html = page(&[], &[], &[due]);
    assert!(!html.contains("None due."));
    assert!(html.contains("UPS battery test <span class=\"overdue\">(overdue: no result)</span>"));
    assert!(
        html.contains("<td>ups-a, ups-b</td><td>Tue 2026-12-01 07:00 CET"),
        "{html}"
    );
    assert!(
        html.contains("<td>1 h 30 min</td><td>announced</td>"),
        "{html}"
    );
}

#[test]
fn single_points_of_failure_are_listed() {
    let html = page(&[], &[], &[]);
    assert!(html.contains("3 services, 2 with at least one single point of failure."));
    assert!(
        html.contains("<td>sw-a</td><td>switch</td><td>2</td><td>vps-1, vps-2</td>"),
        "{html}"
    );
}

#[test]
fn the_running_header_cannot_break_out_of_its_css_string() {
    assert_eq!(css_string("a\"b</style>"), "\"a\\22 b\\3c /style\\3e \"");
    assert_eq!(css_string("Praha — ČEZ"), "\"Praha \\2014  ČEZ\"");
}

#[test]
fn odd_markdown_renders_without_panicking() {
    for markdown in [
        "",
        "#",
        "# \n\n# Second\n",
        "![![inner](https://a.example/i.png)](https://a.example/o.png)",
        "[![logo](https://a.example/l.png)](https://a.example/)",
        "[https://a.example/](https://a.example/)\n\n<https://b.example/>",
        "# [https://h.example/](https://h.example/)\n",
        "| a | ![x](y) |\n|---|---|\n| https://t.example/ | [z](javascript:alert(1)) |\n",
        "<div>\n\n# Inside *html*\n\n</div>\n",
        "- [ ] <input type=\"password\">\n- [x] ok\n",
        "\u{0}\u{feff}# NUL and BOM\n",
    ] {
        let book = runbook(markdown);
        let html = page(std::slice::from_ref(&book), &[], &[]);
        assert!(!html.contains("javascript:"), "{markdown:?}: {html}");
        assert!(!html.contains("type=\"password\""), "{markdown:?}: {html}");
        for input in html.split("<input").skip(1) {
            let tag = input.split('>').next().unwrap();
            assert!(tag.contains(" disabled=\"\""), "{markdown:?}: {html}");
        }
        assert!(!html.contains("<img"), "{markdown:?}: {html}");
    }
}
