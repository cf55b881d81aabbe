//! The warning to every admin that a sealed envelope was opened: snapshots in every language,
//! the subject and the facts read back by an independent parser, escaping of the reason,
//! header injection through the envelope's name and the opener's login, and proof that only the
//! documented fields of the notice reach the mail.

use mail_parser::{Message, MessageParser};
use tocsin_model::inventory::Language;
use tocsin_notify::{
    compose, Composer, CreditLines, Notice, NoticeKind, NotifyError, OfferKind, OfferLine,
    ServiceLine, TicketLines, WindowTimes,
};

use crate::compose::readable;
use crate::fixtures::{sender, DATE};

/// `DATE` as the texts write it.
const WHEN: &str = "2026-11-22 16:11 UTC";

/// What the console links to.
const CONSOLE: &str = "https://console.example.net/console/envelopes";

/// Alice opens envelope 3, the company's social-network passwords, to reset a defaced page.
fn opened(language: Language) -> Notice {
    Notice {
        kind: NoticeKind::EnvelopeOpened,
        incident_id: 3,
        incident_title: "Social networks".to_owned(),
        customer_name: "alice".to_owned(),
        to: "admin@provider.example".to_owned(),
        language,
        services: Vec::new(),
        public_url: "https://console.example.net/".to_owned(),
        date: DATE,
        outbox_id: 501,
        body: "Our Facebook page was defaced;\nthe password must be reset.\n\nSee ticket T-118."
            .to_owned(),
        at_risk: 0,
        window: None,
        credit: None,
        ticket: None,
    }
}

fn parse(bytes: &[u8]) -> Message<'_> {
    MessageParser::default().parse(bytes).unwrap()
}

/// The names of a message's headers, in order.
fn header_names(m: &Message<'_>) -> Vec<String> {
    m.headers()
        .iter()
        .map(|h| h.name().to_ascii_lowercase())
        .collect()
}

#[test]
fn the_kind_has_its_word() {
    assert_eq!(NoticeKind::EnvelopeOpened.as_str(), "envelope-opened");
    assert!(!NoticeKind::EnvelopeOpened.is_ticket());
    assert!(!NoticeKind::EnvelopeOpened.is_maintenance());
}

#[test]
fn snapshots_in_every_language() {
    for language in Language::ALL {
        let bytes = compose(&opened(language), &sender()).unwrap();
        let name = format!("envelope-opened_{}", language.code());
        insta::assert_snapshot!(name, readable(&bytes));
    }
}

#[test]
fn every_language_names_the_envelope_the_opener_the_time_and_the_reason() {
    let composer = Composer::new().unwrap();
    let mut subjects = Vec::new();
    for language in Language::ALL {
        let n = opened(language);
        let bytes = compose(&n, &sender()).unwrap();
        let context = format!("{language:?}");
        assert!(bytes.is_ascii(), "{context}: needs no 8BITMIME");
        let m = parse(&bytes);
        let rendered = composer.render(&n).unwrap();

        let subject = m.subject().unwrap();
        assert_eq!(subject, rendered.subject, "{context}");
        for part in ["#3", "Social networks", "alice"] {
            assert!(subject.contains(part), "{context}: {part} in {subject}");
        }
        subjects.push(subject.to_owned());

        assert_eq!(
            m.message_id(),
            Some("envelope-3.envelope-opened.501@status.example.net"),
            "{context}"
        );
        assert_eq!(m.date().unwrap().to_timestamp(), DATE, "{context}");
        assert_eq!(
            m.to().unwrap().first().unwrap().address(),
            Some("admin@provider.example")
        );
        assert_eq!(
            m.header_raw("Content-Language").map(str::trim),
            Some(language.code())
        );
        assert_eq!(m.text_body_count(), 1, "{context}");
        assert_eq!(m.html_body_count(), 1, "{context}");

        let text = m.body_text(0).unwrap();
        let html = m.body_html(0).unwrap();
        for body in [&text, &html] {
            for part in ["#3", "Social networks", "alice", WHEN] {
                assert!(body.contains(part), "{context}: {part} in {body}");
            }
        }
        // The reason is quoted, its lines and paragraphs kept.
        assert!(
            text.contains(
                "> Our Facebook page was defaced;\r\n> the password must be reset.\r\n>\r\n> See ticket T-118."
            ),
            "{context}: {text}"
        );
        assert!(
            html.contains("<blockquote")
                && html.contains(
                    "<p>Our Facebook page was defaced;<br>the password must be reset.</p>"
                ),
            "{context}: {html}"
        );
        assert!(text.contains(CONSOLE), "{context}: {text}");
        assert!(
            html.contains(
                r#"<a href="https:&#x2f;&#x2f;console.example.net&#x2f;console&#x2f;envelopes">"#
            ),
            "{context}: {html}"
        );
    }
    subjects.sort();
    subjects.dedup();
    assert_eq!(
        subjects.len(),
        Language::ALL.len(),
        "translated: {subjects:?}"
    );
    let en = composer.render(&opened(Language::En)).unwrap();
    assert_eq!(
        en.subject,
        "Sealed envelope #3 “Social networks” opened by alice"
    );
    assert!(
        en.text
            .contains("Staff member alice opened sealed envelope #3 “Social networks” at 2026-11-22 16:11 UTC."),
        "{}",
        en.text
    );
    assert!(en.text.contains("Reason given:\n"), "{}", en.text);
    assert!(
        en.text.contains("change the secret at once"),
        "the footer tells what to do: {}",
        en.text
    );
}

#[test]
fn it_is_auto_generated_list_mail() {
    for language in Language::ALL {
        let bytes = compose(&opened(language), &sender()).unwrap();
        let m = parse(&bytes);
        assert_eq!(
            m.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated"),
            "{language:?}"
        );
        assert_eq!(
            m.header_raw("List-Id").map(str::trim),
            Some("<status.example.net>")
        );
        assert!(m.header_raw("In-Reply-To").is_none());
        assert!(m.header_raw("References").is_none());
    }
}

#[test]
fn the_reason_is_escaped_in_html_and_shown_as_written_in_text() {
    let mut n = opened(Language::En);
    n.body = "Testing <script>alert(\"x\")</script> & <b>bold</b> claims".to_owned();
    let bytes = compose(&n, &sender()).unwrap();
    let m = parse(&bytes);
    let html = m.body_html(0).unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<b>bold"), "{html}");
    assert!(
        html.contains(
            "Testing &lt;script&gt;alert(&quot;x&quot;)&lt;&#x2f;script&gt; &amp; &lt;b&gt;bold&lt;&#x2f;b&gt; claims"
        ),
        "{html}"
    );
    let text = m.body_text(0).unwrap();
    assert!(
        text.contains("> Testing <script>alert(\"x\")</script> & <b>bold</b> claims"),
        "{text}"
    );
}

#[test]
fn hostile_names_and_logins_cannot_add_headers_and_are_escaped() {
    let plain = compose(&opened(Language::En), &sender()).unwrap();
    let expected = header_names(&parse(&plain));

    let mut n = opened(Language::En);
    n.incident_title = "Social\r\nBcc: victim@example.com\r\n\r\n<img src=x>".to_owned();
    n.customer_name = "alice\nCc: mallory@example.com\rX-Injected: yes\u{202e}".to_owned();
    let bytes = compose(&n, &sender()).unwrap();
    let m = parse(&bytes);
    assert_eq!(header_names(&m), expected, "no header of the names' making");
    assert!(m.header_raw("Bcc").is_none());
    assert!(m.header_raw("Cc").is_none());
    assert!(m.header_raw("X-Injected").is_none());
    assert_eq!(m.to().unwrap().iter().count(), 1);
    let subject = m.subject().unwrap();
    assert!(!subject.chars().any(char::is_control), "{subject:?}");
    assert!(!subject.contains('\u{202e}'), "{subject:?}");
    assert!(
        subject.contains("Social Bcc: victim@example.com <img src=x>"),
        "{subject}"
    );
    assert!(
        subject.ends_with("alice Cc: mallory@example.com X-Injected: yes"),
        "{subject}"
    );
    let html = m.body_html(0).unwrap();
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;img src=x&gt;"), "{html}");
}

/// A notice whose undocumented fields hold things that must never reach an admin's mail.
fn stuffed(language: Language) -> Notice {
    const SECRET: &str = "hunter2-facebook-password";
    let mut n = opened(language);
    n.services = vec![ServiceLine {
        id: format!("{SECRET}-id"),
        name: format!("{SECRET}-service"),
        down_since: DATE - 60,
        back_up_at: Some(DATE),
    }];
    n.at_risk = 987_654;
    n.window = Some(WindowTimes {
        utc: format!("{SECRET}-utc"),
        local: format!("{SECRET}-local"),
        previous: format!("{SECRET}-previous"),
    });
    n.credit = Some(CreditLines {
        service_id: format!("{SECRET}-credit-service"),
        service_name: SECRET.to_owned(),
        month: "2026-10".to_owned(),
        down_seconds: 600,
        availability: "12.3456 %".to_owned(),
        sla: "99.9 %".to_owned(),
        net: "1.20".to_owned(),
        vat: "0.25".to_owned(),
        gross: "1.45".to_owned(),
        currency: "EUR".to_owned(),
        reverse_charge: false,
        deadline: DATE,
        offers: vec![OfferLine {
            id: SECRET.to_owned(),
            kind: OfferKind::AccountCredit,
            value: "1.45".to_owned(),
        }],
        url: format!("https://{SECRET}.example/"),
    });
    n.ticket = Some(TicketLines {
        ticket_id: 918_273,
        subject: SECRET.to_owned(),
        body: SECRET.to_owned(),
        author: SECRET.to_owned(),
        message_id: format!("{SECRET}@desk.example.net"),
        url: format!("https://{SECRET}.example/"),
        ..TicketLines::default()
    });
    n
}

#[test]
fn nothing_but_the_documented_fields_reaches_the_mail() {
    for language in Language::ALL {
        let clean = compose(&opened(language), &sender()).unwrap();
        let bytes = compose(&stuffed(language), &sender()).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            String::from_utf8_lossy(&clean),
            "{language:?}: the undocumented fields change nothing"
        );
        let m = parse(&bytes);
        let decoded = format!(
            "{}\n{}\n{}",
            m.subject().unwrap(),
            m.body_text(0).unwrap(),
            m.body_html(0).unwrap()
        );
        for marker in ["hunter2", "987654", "987 654", "918273", "12.3456"] {
            assert!(!decoded.contains(marker), "{language:?}: {marker}");
        }
    }
}

/// One edit of a notice.
type Change = fn(&mut Notice);

#[test]
fn each_documented_field_shows() {
    let composer = Composer::new().unwrap();
    let base = composer.render(&opened(Language::En)).unwrap();
    let changes: [(&str, Change); 6] = [
        ("incident_id", |n| n.incident_id = 77),
        ("incident_title", |n| n.incident_title = "Bank".to_owned()),
        ("customer_name", |n| n.customer_name = "bob".to_owned()),
        ("body", |n| n.body = "Audit.".to_owned()),
        ("date", |n| n.date = DATE + 3600),
        ("public_url", |n| {
            n.public_url = "https://desk.example.org".to_owned()
        }),
    ];
    for (field, change) in changes {
        let mut n = opened(Language::En);
        change(&mut n);
        let r = composer.render(&n).unwrap();
        assert_ne!(r.text, base.text, "{field} shows in the text");
    }
    let mut n = opened(Language::En);
    n.public_url = "https://desk.example.org".to_owned();
    let r = composer.render(&n).unwrap();
    assert!(
        r.text
            .contains("\nhttps://desk.example.org/console/envelopes\n"),
        "{}",
        r.text
    );
    n.date = DATE + 3600;
    assert!(composer
        .render(&n)
        .unwrap()
        .text
        .contains("2026-11-22 17:11 UTC"));
}

#[test]
fn what_an_envelope_notice_lacks_is_named() {
    let incomplete = |n: &Notice| match compose(n, &sender()) {
        Err(NotifyError::Incomplete { kind, missing }) => format!("{kind}: {missing}"),
        other => panic!("{other:?}"),
    };
    let mut n = opened(Language::En);
    n.customer_name = " \r\n".to_owned();
    assert_eq!(
        incomplete(&n),
        "envelope-opened: customer_name (the login of who opened it)"
    );
    let mut n = opened(Language::En);
    n.public_url = String::new();
    assert_eq!(
        incomplete(&n),
        "envelope-opened: public_url (the console's base URL)"
    );
    let mut n = opened(Language::En);
    n.date = i64::MAX;
    assert_eq!(compose(&n, &sender()), Err(NotifyError::Date(i64::MAX)));
}

#[test]
fn defaults_for_what_may_be_empty() {
    let composer = Composer::new().unwrap();
    let mut n = opened(Language::Cs);
    n.body = " \r\n\r\n".to_owned();
    n.incident_title = "\t".to_owned();
    let r = composer.render(&n).unwrap();
    assert_eq!(
        r.subject,
        "Zapečetěnou obálku #3 „(bez názvu)“ otevřel uživatel alice"
    );
    assert!(r.text.contains("Žádný důvod nebyl uveden."), "{}", r.text);
    assert!(!r.text.contains("Uvedený důvod"), "{}", r.text);
    assert!(!r.html.contains("<blockquote"), "{}", r.html);
}

#[test]
fn a_long_reason_is_quoted_only_in_part() {
    let mut n = opened(Language::En);
    n.body = (0..500)
        .map(|i| format!("line {i:03} of a long reason"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = Composer::new().unwrap().render(&n).unwrap().text;
    assert!(text.contains("> line 000 of a long reason\n"), "{text}");
    assert!(!text.contains("line 499"), "cut");
    assert!(text.contains("\n> […]\n"), "the cut is marked");
}

mod properties {
    use proptest::prelude::*;
    use tocsin_model::inventory::Language;
    use tocsin_notify::{compose, Composer};

    use super::{header_names, opened, parse};
    use crate::fixtures::sender;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever an admin names an envelope and whatever a login or a reason holds, the
        /// mail parses back with the same headers, a one-line subject and no raw markup.
        #[test]
        fn any_name_login_and_reason_give_a_well_formed_message(
            name in "[a-zA-Z<>&\"' :\r\n\t\u{0}-\u{1f}\u{7f}\u{85}\u{2028}\u{202e}\u{430}-\u{44f}]{0,80}",
            login in "[a-z:\r\n ]{0,20}x",
            reason in any::<String>(),
            language in 0usize..5,
        ) {
            let language = Language::ALL[language];
            let expected = header_names(&parse(&compose(&opened(language), &sender()).unwrap()));
            let mut n = opened(language);
            n.incident_title = name;
            n.customer_name = login;
            n.body = reason;
            let bytes = compose(&n, &sender()).unwrap();
            prop_assert!(bytes.is_ascii());
            let m = parse(&bytes);
            prop_assert_eq!(header_names(&m), expected);
            let rendered = Composer::new().unwrap().render(&n).unwrap();
            prop_assert_eq!(m.subject(), Some(rendered.subject.as_str()));
            prop_assert!(!rendered.subject.chars().any(char::is_control));
            prop_assert!(rendered.subject.contains("#3"));
            prop_assert_eq!(m.to().unwrap().iter().count(), 1);
            prop_assert!(!m.body_html(0).unwrap().contains("<script"));
        }
    }
}
