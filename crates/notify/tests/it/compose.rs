//! Rendered messages: snapshots in every language, structure read back by an independent
//! parser, escaping of hostile names, determinism.

use mail_parser::{MessageParser, MimeHeaders};
use tocsin_model::inventory::Language;
use tocsin_notify::{
    compose, envelope, Composer, NoticeKind, NotifyError, ServiceLine, WindowTimes,
};

use crate::fixtures::{notice, sender, DATE};

fn kind_name(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Opened => "opened",
        NoticeKind::Resolved => "resolved",
        NoticeKind::Broadcast => "broadcast",
        NoticeKind::Degraded => "degraded",
        NoticeKind::LeadOpened => "lead-opened",
        other => other.as_str(),
    }
}

/// The raw message, then its two bodies as a mail client would show them.
pub(crate) fn readable(bytes: &[u8]) -> String {
    let raw = String::from_utf8(bytes.to_vec()).expect("message is ASCII");
    let parsed = MessageParser::default().parse(bytes).unwrap();
    format!(
        "{}\n===== text/plain, decoded =====\n{}\n===== text/html, decoded =====\n{}",
        raw.replace("\r\n", "\n"),
        parsed.body_text(0).unwrap(),
        parsed.body_html(0).unwrap()
    )
}

#[test]
fn snapshots_in_every_language() {
    for kind in [NoticeKind::Opened, NoticeKind::Resolved] {
        for language in Language::ALL {
            let bytes = compose(&notice(kind, language), &sender()).unwrap();
            let name = format!("{}_{}", kind_name(kind), language.code());
            insta::assert_snapshot!(name, readable(&bytes));
        }
    }
}

#[test]
fn structure_and_headers_read_back() {
    for kind in [NoticeKind::Opened, NoticeKind::Resolved] {
        for language in Language::ALL {
            let n = notice(kind, language);
            let bytes = compose(&n, &sender()).unwrap();
            let context = format!("{kind:?} {language:?}");

            assert!(bytes.is_ascii(), "{context}: needs no 8BITMIME");
            let text = std::str::from_utf8(&bytes).unwrap();
            for line in text.split_inclusive('\n') {
                assert!(line.ends_with("\r\n"), "{context}: bare LF in {line:?}");
                assert!(line.len() <= 1000, "{context}: line over 998 octets");
            }

            let m = MessageParser::default().parse(&bytes).unwrap();
            let rendered = Composer::new().unwrap().render(&n).unwrap();
            assert_eq!(m.subject(), Some(rendered.subject.as_str()), "{context}");
            assert!(rendered.subject.contains("#42"), "{context}");
            let expected_id = format!(
                "incident-42.{}.{}@status.example.net",
                kind_name(kind),
                n.outbox_id
            );
            assert_eq!(m.message_id(), Some(expected_id.as_str()), "{context}");
            assert_eq!(m.date().unwrap().to_timestamp(), DATE, "{context}");
            let from = m.from().unwrap().first().unwrap();
            assert_eq!(from.address(), Some("noc@status.example.net"));
            assert_eq!(from.name(), Some("Tocsin NOC"));
            let to = m.to().unwrap();
            assert_eq!(to.iter().count(), 1);
            assert_eq!(to.first().unwrap().address(), Some("jana@pekarna.example"));
            assert_eq!(
                m.header_raw("Auto-Submitted").map(str::trim),
                Some("auto-generated")
            );
            assert_eq!(
                m.header_raw("List-Id").map(str::trim),
                Some("<status.example.net>")
            );
            assert_eq!(m.header_raw("MIME-Version").map(str::trim), Some("1.0"));
            assert_eq!(
                m.header_raw("Content-Language").map(str::trim),
                Some(language.code())
            );

            let ct = m.content_type().unwrap();
            assert_eq!(ct.ctype(), "multipart");
            assert_eq!(ct.subtype(), Some("alternative"));
            assert_eq!(m.text_body_count(), 1, "{context}");
            assert_eq!(m.html_body_count(), 1, "{context}");
            assert_eq!(m.parts.len(), 3, "{context}: root and two parts");
            for (part, subtype) in m.parts[1..].iter().zip(["plain", "html"]) {
                let ct = part.content_type().unwrap();
                assert_eq!(ct.ctype(), "text");
                assert_eq!(ct.subtype(), Some(subtype));
                assert_eq!(
                    ct.attribute("charset").map(str::to_lowercase).as_deref(),
                    Some("utf-8")
                );
            }

            let body_text = m.body_text(0).unwrap();
            let body_html = m.body_html(0).unwrap();
            assert_eq!(body_text, rendered.text.replace('\n', "\r\n"), "{context}");
            for s in &n.services {
                assert!(body_text.contains(&s.name), "{context}: {}", s.name);
                assert!(body_text.contains(&s.id), "{context}: {}", s.id);
                assert!(body_html.contains(&s.name), "{context}: {}", s.name);
            }
            assert!(body_text.contains("Pekárna Novák s.r.o."), "{context}");
            // minijinja's HTML escaping also escapes `/`; browsers and mail clients decode it.
            assert!(
                body_html.contains(r#"<a href="https:&#x2f;&#x2f;status.example.net&#x2f;">"#),
                "{context}"
            );
        }
    }
}

#[test]
fn same_inputs_same_bytes_and_outbox_rows_differ() {
    let n = notice(NoticeKind::Opened, Language::Cs);
    let first = compose(&n, &sender()).unwrap();
    assert_eq!(first, compose(&n, &sender()).unwrap());
    let mut other = n.clone();
    other.outbox_id = 7;
    let second = compose(&other, &sender()).unwrap();
    let id = |b: &[u8]| {
        MessageParser::default()
            .parse(b)
            .unwrap()
            .message_id()
            .unwrap()
            .to_owned()
    };
    assert_ne!(id(&first), id(&second));
}

#[test]
fn hostile_names_are_escaped_in_html_and_cannot_add_headers() {
    let mut n = notice(NoticeKind::Opened, Language::En);
    n.customer_name = "Evil <img src=x onerror=alert(1)>".to_owned();
    n.incident_title = "Outage\r\nBcc: victim@example.com".to_owned();
    n.services = vec![ServiceLine {
        id: "x\"><script>".to_owned(),
        name: "<script>alert(\"pwned\")</script> & <b>bold</b>".to_owned(),
        down_since: DATE - 60,
        back_up_at: None,
    }];
    let bytes = compose(&n, &sender()).unwrap();
    let m = MessageParser::default().parse(&bytes).unwrap();
    let html = m.body_html(0).unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<b>bold"), "{html}");
    assert!(
        html.contains(
            "&lt;script&gt;alert(&quot;pwned&quot;)&lt;&#x2f;script&gt; &amp; &lt;b&gt;bold"
        ),
        "{html}"
    );
    assert!(
        html.contains("Evil &lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    // Plain text shows the names as they are.
    let text = m.body_text(0).unwrap();
    assert!(
        text.contains("<script>alert(\"pwned\")</script> & <b>bold</b>"),
        "{text}"
    );
    // The line break in the title cannot start a header of its own.
    assert!(m.header_raw("Bcc").is_none());
    assert!(m
        .subject()
        .unwrap()
        .contains("Outage Bcc: victim@example.com"));
    assert_eq!(m.to().unwrap().iter().count(), 1);
}

#[test]
fn plural_forms_of_the_service_count() {
    let composer = Composer::new().unwrap();
    let intro = |language, count: usize| {
        let mut n = notice(NoticeKind::Opened, language);
        n.services = (0..count)
            .map(|i| ServiceLine {
                id: format!("s{i}"),
                name: format!("Service {i}"),
                down_since: DATE,
                back_up_at: None,
            })
            .collect();
        composer.render(&n).unwrap().text
    };
    assert!(intro(Language::Cs, 1).contains("postihl vaši službu"));
    assert!(intro(Language::Cs, 3).contains("postihl 3 vaše služby"));
    assert!(intro(Language::Cs, 5).contains("postihl 5 vašich služeb"));
    assert!(intro(Language::Ru, 21).contains("затрагивающий 21 вашу услугу"));
    assert!(intro(Language::Ru, 22).contains("затрагивающий 22 ваши услуги"));
    assert!(intro(Language::Ru, 25).contains("затрагивающий 25 ваших услуг"));
    assert!(intro(Language::Pl, 1).contains("dotyczy Twojej usługi"));
    assert!(intro(Language::Pl, 2).contains("dotyczy 2 Twoich usług"));
    assert!(intro(Language::En, 1).contains("affects one of your services"));
    assert!(intro(Language::En, 2).contains("affects 2 of your services"));
}

#[test]
fn untitled_incident_and_unresolved_service() {
    let mut n = notice(NoticeKind::Resolved, Language::En);
    n.incident_title = String::new();
    n.services[0].back_up_at = None;
    let rendered = Composer::new().unwrap().render(&n).unwrap();
    assert_eq!(rendered.subject, "[#42] Your services are running again");
    assert!(!rendered.text.contains("Incident:"));
    // Still down at the notice's date: counted up to it (22 minutes).
    assert!(rendered
        .text
        .contains("Web server www-1 (vps-1042): was down for 22 minutes"));
    assert!(rendered
        .text
        .contains("Záloha (backup-9): was down for 0 seconds"));
}

#[test]
fn a_clock_set_to_1752_still_gives_a_dated_message() {
    let mut n = notice(NoticeKind::Opened, Language::Cs);
    n.date = -6_857_222_400;
    for s in &mut n.services {
        s.down_since = n.date - 60;
    }
    let bytes = compose(&n, &sender()).unwrap();
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        m.header_raw("Date").map(str::trim),
        Some("Thu, 14 Sep 1752 00:00:00 +0000")
    );
    assert!(m.body_text(0).unwrap().contains("1752-09-13 23:59 UTC"));
}

#[test]
fn bad_inputs_are_errors() {
    let mut n = notice(NoticeKind::Opened, Language::En);
    n.to = "not an address".to_owned();
    assert!(matches!(
        compose(&n, &sender()),
        Err(NotifyError::Address { field: "to", .. })
    ));
    let mut s = sender();
    s.list_id = "bad id".to_owned();
    assert!(matches!(
        compose(&notice(NoticeKind::Opened, Language::En), &s),
        Err(NotifyError::ListId(_))
    ));
    let mut n = notice(NoticeKind::Opened, Language::En);
    n.date = i64::MAX;
    assert_eq!(compose(&n, &sender()), Err(NotifyError::Date(i64::MAX)));
    let e = envelope(&notice(NoticeKind::Opened, Language::En), &sender()).unwrap();
    assert_eq!(e.from, "noc@status.example.net");
    assert_eq!(e.to, "jana@pekarna.example");
}

mod properties {
    use mail_parser::MessageParser;
    use proptest::prelude::*;
    use tocsin_model::inventory::Language;
    use tocsin_notify::{compose, Composer, NoticeKind};

    use crate::fixtures::{notice, sender};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever an inventory calls its customers and services, the message parses back
        /// with one subject line, one recipient and the names in the text.
        #[test]
        fn any_names_give_a_well_formed_message(
            customer in "\\PC{0,40}",
            title in any::<String>(),
            service in "[a-zA-Z<>&\"' \r\n\u{202e}\u{0}-\u{1f}\u{430}-\u{44f}]{1,30}",
            language in 0usize..5,
            resolved in any::<bool>(),
        ) {
            let kind = if resolved { NoticeKind::Resolved } else { NoticeKind::Opened };
            let mut n = notice(kind, Language::ALL[language]);
            n.customer_name = customer;
            n.incident_title = title;
            n.services[0].name = service;
            let bytes = compose(&n, &sender()).unwrap();
            prop_assert!(bytes.is_ascii());
            let m = MessageParser::default().parse(&bytes).unwrap();
            let rendered = Composer::new().unwrap().render(&n).unwrap();
            prop_assert_eq!(m.subject(), Some(rendered.subject.as_str()));
            prop_assert!(!rendered.subject.contains(['\r', '\n']));
            prop_assert_eq!(m.to().unwrap().iter().count(), 1);
            prop_assert!(m.header_raw("Bcc").is_none());
            prop_assert_eq!(m.text_body_count(), 1);
            prop_assert_eq!(m.html_body_count(), 1);
            let html = m.body_html(0).unwrap();
            prop_assert!(!html.contains("<script"));
        }
    }
}

#[test]
fn a_very_long_name_does_not_make_an_overlong_line() {
    let mut n = notice(NoticeKind::Opened, Language::En);
    n.services[0].name = "x".repeat(3000);
    n.incident_title = "y".repeat(1500);
    let bytes = compose(&n, &sender()).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    for line in text.split("\r\n") {
        assert!(line.len() <= 998, "line of {} octets", line.len());
    }
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert!(m.body_text(0).unwrap().contains(&"x".repeat(3000)));
    // The subject is cut (and marked) rather than made unfoldable.
    let subject = m.subject().unwrap();
    assert!(subject.contains(&"y".repeat(150)), "{subject}");
    assert!(subject.ends_with("y…"), "{subject}");
    assert_eq!(subject.chars().count(), 200);
}

/// Staff's mass mail: their subject and text inside the frame of the contact's language.
fn broadcast(language: Language) -> tocsin_notify::Notice {
    let mut n = notice(NoticeKind::Broadcast, language);
    n.incident_id = 0;
    n.incident_title = "Network maintenance tonight <22:00 UTC>".to_owned();
    n.body = "Dear customers,\n\nwe replace the core routers in Prague tonight.\r\n\r\nExpect short <b>interruptions</b>.".to_owned();
    n.services.clear();
    n
}

#[test]
fn broadcast_snapshots_in_every_language() {
    for language in Language::ALL {
        let n = broadcast(language);
        let bytes = compose(&n, &sender()).unwrap();
        insta::assert_snapshot!(format!("broadcast_{}", language.code()), readable(&bytes));
        let m = MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(m.subject(), Some("Network maintenance tonight <22:00 UTC>"));
        let html = m.body_html(0).unwrap();
        assert!(
            html.contains("&lt;b&gt;interruptions&lt;") && !html.contains("<b>"),
            "escaped: {html}"
        );
        assert!(!html.contains("<ul>"), "no empty service list");
        let text = m.body_text(0).unwrap();
        assert!(text.contains("we replace the core routers in Prague tonight."));
    }
}

#[test]
fn degraded_snapshots_in_every_language() {
    for language in Language::ALL {
        let mut n = notice(NoticeKind::Degraded, language);
        n.incident_id = 0;
        n.incident_title = "sw-a (switch)".to_owned();
        n.at_risk = 3;
        let bytes = compose(&n, &sender()).unwrap();
        insta::assert_snapshot!(format!("degraded_{}", language.code()), readable(&bytes));
        let m = MessageParser::default().parse(&bytes).unwrap();
        assert!(m.subject().unwrap().contains("sw-a (switch)"));
        assert!(m.body_text(0).unwrap().contains('3'));
    }
}

#[test]
fn lead_opened_snapshot() {
    let mut n = notice(NoticeKind::LeadOpened, Language::En);
    n.to = "lead@provider.example".to_owned();
    n.customer_name = String::new();
    n.services.clear();
    let bytes = compose(&n, &sender()).unwrap();
    insta::assert_snapshot!("lead_opened_en", readable(&bytes));
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert!(m.subject().unwrap().starts_with("Incident 42 opened: "));
    assert!(m.body_text(0).unwrap().contains("while you lead the shift"));
}

/// Maintenance notices: the customer's services that will be down, the times in UTC and in
/// the provider's zone, the old times of a moved window, in every language; no incident line.
#[test]
fn maintenance_notices_in_every_language() {
    let kinds = [
        NoticeKind::MaintenanceAnnounced,
        NoticeKind::MaintenanceReminder,
        NoticeKind::MaintenanceMoved,
        NoticeKind::MaintenanceCancelled,
    ];
    for kind in kinds {
        for language in Language::ALL {
            let mut n = notice(kind, language);
            n.incident_id = 0;
            n.incident_title = "Switch firmware <b>sw-a</b>".to_owned();
            n.body = "One switch of the pair at a time.".to_owned();
            n.window = Some(WindowTimes {
                utc: "2026-12-05 22:00 – 2026-12-06 02:00 UTC".to_owned(),
                local: "2026-12-05 23:00 – 2026-12-06 03:00 CET (Europe/Prague)".to_owned(),
                previous: if kind == NoticeKind::MaintenanceMoved {
                    "2026-12-01 22:00 – 2026-12-02 02:00 UTC".to_owned()
                } else {
                    String::new()
                },
            });
            let bytes = compose(&n, &sender()).unwrap();
            let context = format!("{kind:?} {language:?}");
            let m = MessageParser::default().parse(&bytes).unwrap();
            let text = m.body_text(0).unwrap();
            let html = m.body_html(0).unwrap();
            assert!(
                text.contains("2026-12-05 22:00 – 2026-12-06 02:00 UTC"),
                "{context}: {text}"
            );
            assert!(text.contains("CET (Europe/Prague)"), "{context}");
            assert_eq!(
                text.contains("2026-12-01 22:00"),
                kind == NoticeKind::MaintenanceMoved,
                "{context}: old times only when moved"
            );
            for s in &n.services {
                assert!(text.contains(&s.id), "{context}: names {}", s.id);
            }
            assert!(text.contains("One switch of the pair"), "{context}");
            assert!(
                !html.contains("<b>sw-a</b>"),
                "{context}: the title is escaped"
            );
            assert!(
                m.subject().unwrap().contains("Switch firmware"),
                "{context}"
            );
            if language == Language::En {
                let name = format!("{}_{}", kind.as_str(), language.code());
                insta::assert_snapshot!(name, readable(&bytes));
            }
        }
    }
}
