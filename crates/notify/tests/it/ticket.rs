//! The support desk's e-mails: snapshots of every kind in every language, the thread headers
//! and the tag read back by an independent parser, RFC 3834 marking, header injection and
//! HTML escaping of what customers and staff wrote, and what a caller can get wrong.

use mail_parser::{Message, MessageParser};
use tocsin_model::inventory::Language;
use tocsin_notify::{compose, Composer, Notice, NoticeKind, NotifyError, TicketLines};

use crate::compose::readable;
use crate::fixtures::{notice, sender, DATE};

const KINDS: [NoticeKind; 3] = [
    NoticeKind::TicketReceived,
    NoticeKind::TicketReply,
    NoticeKind::TicketBreach,
];

/// The customer's own message, as their mail client sent it.
const CUSTOMER_ID: &str = "CAB+x7Qn=1@mail.pekarna.example";

/// Ticket T-314 in the three stages of its life: opened by the customer's e-mail, answered by
/// Petra, and late for its first response.
fn ticket_notice(kind: NoticeKind, language: Language) -> Notice {
    let mut n = notice(kind, language);
    n.incident_id = 0;
    n.incident_title = String::new();
    n.services.clear();
    let ticket = TicketLines {
        ticket_id: 314,
        subject: "Server vps-1042 neodpovídá".to_owned(),
        url: "https://client.example.net/tickets/314".to_owned(),
        ..TicketLines::default()
    };
    n.ticket = Some(match kind {
        NoticeKind::TicketReceived => TicketLines {
            body: "Hello,\r\n\r\nmy server vps-1042 stopped answering at 14:00.\r\nCan you check it?\r\n\r\nJana".to_owned(),
            message_id: "t314.1@desk.example.net".to_owned(),
            in_reply_to: Some(CUSTOMER_ID.to_owned()),
            references: vec![CUSTOMER_ID.to_owned()],
            ..ticket
        },
        NoticeKind::TicketReply => TicketLines {
            body: "Dear Jana,\n\nthe hypervisor under your server had to be restarted.\nYour server is running again since 14:32.\n\nPlease tell us if anything still misbehaves.".to_owned(),
            author: "Petra Svobodová".to_owned(),
            message_id: "t314.3@desk.example.net".to_owned(),
            in_reply_to: Some("t314.2@desk.example.net".to_owned()),
            references: vec![
                CUSTOMER_ID.to_owned(),
                "t314.1@desk.example.net".to_owned(),
                "t314.2@desk.example.net".to_owned(),
            ],
            ..ticket
        },
        _ => {
            n.to = "lead@provider.example".to_owned();
            TicketLines {
                message_id: "t314.breach.first_response@desk.example.net".to_owned(),
                url: "https://console.example.net/console/tickets/314".to_owned(),
                target: Some("first_response".to_owned()),
                // 2026-11-22 15:41 UTC.
                due: Some(DATE - 1800),
                customer: "Pekárna Novák s.r.o.".to_owned(),
                ..ticket
            }
        }
    });
    n
}

fn parse(bytes: &[u8]) -> Message<'_> {
    MessageParser::default().parse(bytes).unwrap()
}

fn ids(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    value
        .as_text_list()
        .map(|l| l.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default()
}

fn ticket(n: &Notice) -> &TicketLines {
    n.ticket.as_ref().unwrap()
}

#[test]
fn ticket_snapshots_in_every_language() {
    for kind in KINDS {
        for language in Language::ALL {
            let bytes = compose(&ticket_notice(kind, language), &sender()).unwrap();
            let name = format!("{}_{}", kind.as_str(), language.code());
            insta::assert_snapshot!(name, readable(&bytes));
        }
    }
}

#[test]
fn thread_headers_and_tag_read_back() {
    for kind in KINDS {
        for language in Language::ALL {
            let n = ticket_notice(kind, language);
            let t = ticket(&n);
            let bytes = compose(&n, &sender()).unwrap();
            let context = format!("{kind:?} {language:?}");
            assert!(bytes.is_ascii(), "{context}");
            let raw = std::str::from_utf8(&bytes).unwrap();
            for line in raw.split_inclusive('\n') {
                assert!(line.ends_with("\r\n"), "{context}: bare LF in {line:?}");
                assert!(line.len() <= 1000, "{context}: line over 998 octets");
            }
            let m = parse(&bytes);

            // The caller's ids, not the incident-derived one.
            assert_eq!(m.message_id(), Some(t.message_id.as_str()), "{context}");
            assert_eq!(
                m.in_reply_to().as_text(),
                t.in_reply_to.as_deref(),
                "{context}"
            );
            assert_eq!(ids(m.references()), t.references, "{context}");

            let subject = m.subject().unwrap();
            let rendered = Composer::new().unwrap().render(&n).unwrap();
            assert_eq!(subject, rendered.subject, "{context}");
            match kind {
                NoticeKind::TicketReply => {
                    assert_eq!(subject, "Re: [#T-314] Server vps-1042 neodpovídá");
                }
                NoticeKind::TicketReceived => {
                    assert_eq!(subject, "[#T-314] Server vps-1042 neodpovídá");
                }
                _ => assert!(subject.starts_with("[#T-314] "), "{context}: {subject}"),
            }

            let auto = m.header_raw("Auto-Submitted").map(str::trim);
            let expected = match kind {
                NoticeKind::TicketReceived => Some("auto-replied"),
                NoticeKind::TicketReply => None,
                _ => Some("auto-generated"),
            };
            assert_eq!(auto, expected, "{context}");
            assert_eq!(
                m.header_raw("X-Auto-Response-Suppress").map(str::trim),
                Some("OOF, AutoReply"),
                "{context}"
            );
            assert!(
                m.header_raw("List-Id").is_none(),
                "{context}: not list mail"
            );
            let reply_to = m.reply_to().unwrap().first().unwrap();
            assert_eq!(reply_to.address(), Some("noc@status.example.net"));
            assert_eq!(
                m.header_raw("Content-Language").map(str::trim),
                Some(language.code())
            );
            assert_eq!(m.text_body_count(), 1, "{context}");
            assert_eq!(m.html_body_count(), 1, "{context}");

            let text = m.body_text(0).unwrap();
            let html = m.body_html(0).unwrap();
            assert_eq!(text, rendered.text.replace('\n', "\r\n"), "{context}");
            assert!(text.contains("T-314"), "{context}");
            assert!(text.contains(&t.url), "{context}: the link");
            assert!(html.contains("tickets&#x2f;314\">"), "{context}: {html}");
            match kind {
                NoticeKind::TicketReceived => {
                    assert!(text.contains("> my server vps-1042 stopped answering at 14:00.\r\n> Can you check it?\r\n>\r\n> Jana"), "{context}: quoted {text}");
                    assert!(text.contains("[#T-314]"), "{context}: keep the tag");
                    assert!(html.contains("<blockquote"), "{context}");
                }
                NoticeKind::TicketReply => {
                    // The letter keeps its lines and ends with the author's name.
                    assert!(text.starts_with("Dear Jana,\r\n\r\nthe hypervisor under your server had to be restarted.\r\nYour server is running again since 14:32.\r\n\r\n"), "{context}: {text}");
                    let signed = text.find("\r\nPetra Svobodová\r\n").unwrap();
                    let separator = text.find("\r\n-- \r\n").unwrap();
                    let link = text.find(&t.url).unwrap();
                    assert!(signed < separator && separator < link, "{context}: {text}");
                    assert!(
                        html.contains("restarted.<br>Your server"),
                        "{context}: {html}"
                    );
                }
                _ => {
                    assert!(text.contains("2026-11-22 15:41 UTC"), "{context}: {text}");
                    assert!(text.contains("Pekárna Novák s.r.o."), "{context}");
                    assert!(text.contains("Server vps-1042 neodpovídá"), "{context}");
                }
            }
        }
    }
}

/// How each language names the first-response target in the breach's subject.
#[test]
fn breach_subjects_name_the_target() {
    let composer = Composer::new().unwrap();
    let expected = [
        (
            Language::En,
            "next_response",
            "[#T-314] SLA target missed: next response",
        ),
        (
            Language::Cs,
            "resolution",
            "[#T-314] Nedodržen cíl SLA: vyřešení",
        ),
        (
            Language::Pl,
            "first_response",
            "[#T-314] Niedotrzymany cel SLA: pierwsza odpowiedź",
        ),
        (
            Language::Fr,
            "next_response",
            "[#T-314] Objectif SLA non respecté : réponse suivante",
        ),
        (
            Language::Ru,
            "first_response",
            "[#T-314] Нарушен целевой срок SLA: первый ответ",
        ),
    ];
    for (language, target, subject) in expected {
        let mut n = ticket_notice(NoticeKind::TicketBreach, language);
        n.ticket.as_mut().unwrap().target = Some(target.to_owned());
        assert_eq!(composer.render(&n).unwrap().subject, subject);
    }
}

#[test]
fn long_threads_fold_and_keep_the_first_and_latest_references() {
    let mut n = ticket_notice(NoticeKind::TicketReply, Language::En);
    let thread: Vec<String> = (1..=40)
        .map(|i| format!("t314.{i}.0123456789abcdef@desk.example.net"))
        .collect();
    {
        let t = n.ticket.as_mut().unwrap();
        t.references = thread.clone();
        // The message answered is missing from the caller's list: it still ends it.
        t.in_reply_to = Some("CAB+late.reply@mail.pekarna.example".to_owned());
    }
    let bytes = compose(&n, &sender()).unwrap();
    let raw = std::str::from_utf8(&bytes).unwrap();
    let head = &raw[..raw.find("\r\n\r\n").unwrap()];
    let start = head.find("References: ").unwrap();
    let folded: Vec<&str> = head[start..]
        .split("\r\n")
        .take_while(|l| l.starts_with("References: ") || l.starts_with(' '))
        .collect();
    assert!(folded.len() > 5, "folded over several lines: {folded:?}");
    for line in &folded {
        assert!(line.len() <= 78, "{line:?}");
        // Folding happens between ids, never inside one.
        let ids = line.trim_start_matches("References:").trim();
        assert!(ids.starts_with('<') && ids.ends_with('>'), "{line:?}");
    }
    let m = parse(&bytes);
    let got = ids(m.references());
    assert_eq!(got.len(), 20);
    assert_eq!(got[0], thread[0], "the thread's root stays");
    assert_eq!(&got[1..19], &thread[22..40], "then the latest");
    assert_eq!(got[19], "CAB+late.reply@mail.pekarna.example");
    assert_eq!(
        m.in_reply_to().as_text(),
        Some("CAB+late.reply@mail.pekarna.example")
    );
}

#[test]
fn references_name_each_message_once_and_end_with_the_parent() {
    let mut n = ticket_notice(NoticeKind::TicketReply, Language::En);
    {
        let t = n.ticket.as_mut().unwrap();
        t.references = ["root@x", "parent@x", "other@x", "root@x"]
            .map(str::to_owned)
            .to_vec();
        t.in_reply_to = Some("parent@x".to_owned());
    }
    let bytes = compose(&n, &sender()).unwrap();
    let m = parse(&bytes);
    assert_eq!(ids(m.references()), ["root@x", "other@x", "parent@x"]);
    // With no thread given, the parent alone is the thread.
    n.ticket.as_mut().unwrap().references.clear();
    let bytes = compose(&n, &sender()).unwrap();
    assert_eq!(ids(parse(&bytes).references()), ["parent@x"]);
}

#[test]
fn a_first_message_without_a_thread_has_no_thread_headers() {
    let mut n = ticket_notice(NoticeKind::TicketReceived, Language::Cs);
    {
        let t = n.ticket.as_mut().unwrap();
        t.in_reply_to = None;
        t.references.clear();
        t.body.clear();
    }
    let bytes = compose(&n, &sender()).unwrap();
    let m = parse(&bytes);
    assert!(m.header_raw("In-Reply-To").is_none());
    assert!(m.header_raw("References").is_none());
    assert_eq!(m.message_id(), Some("t314.1@desk.example.net"));
    let text = m.body_text(0).unwrap();
    assert!(!text.contains("Vaše zpráva:"), "nothing to quote: {text}");
    assert!(!text.contains("\r\n> "), "{text}");
    assert!(!m.body_html(0).unwrap().contains("<blockquote"));
}

#[test]
fn hostile_subjects_and_texts_cannot_add_headers_and_are_escaped() {
    for kind in KINDS {
        let mut n = ticket_notice(kind, Language::En);
        {
            let t = n.ticket.as_mut().unwrap();
            t.subject =
                "Help\r\nBcc: victim@example.com\r\n\r\n<img src=x onerror=alert(1)>\u{202e}\u{0}"
                    .to_owned();
            t.author = "Petra\r\nX-Injected: 1 <b>".to_owned();
            t.customer = "<script>alert(1)</script>".to_owned();
            t.body = "<script>alert(\"pwned\")</script>\n& <b>bold</b>\r\nX-Injected: 2".to_owned();
        }
        let bytes = compose(&n, &sender()).unwrap();
        let m = parse(&bytes);
        let context = format!("{kind:?}");
        assert!(m.header_raw("Bcc").is_none(), "{context}");
        assert!(m.header_raw("X-Injected").is_none(), "{context}");
        assert_eq!(m.to().unwrap().iter().count(), 1, "{context}");
        let subject = m.subject().unwrap();
        assert!(
            !subject.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{context}: {subject:?}"
        );
        let html = m.body_html(0).unwrap();
        let text = m.body_text(0).unwrap();
        // The breach's subject names the target; its text names the ticket's subject.
        let shown = if kind == NoticeKind::TicketBreach {
            &text
        } else {
            subject
        };
        assert!(
            shown.contains("Help Bcc: victim@example.com"),
            "{context}: {shown}"
        );
        for raw in ["<script", "<img", "<b>"] {
            assert!(!html.contains(raw), "{context}: {raw} in {html}");
        }
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{context}: {html}"
        );
        if kind != NoticeKind::TicketBreach {
            assert!(
                html.contains("&lt;script&gt;alert(&quot;pwned&quot;)"),
                "{context}"
            );
            assert!(
                text.contains("& <b>bold</b>"),
                "{context}: plain text as written"
            );
        }
        if kind == NoticeKind::TicketReply {
            assert!(
                html.contains("Petra X-Injected: 1 &lt;b&gt;"),
                "{context}: {html}"
            );
        }
    }
}

#[test]
fn unsafe_message_ids_are_refused_naming_the_field() {
    type Edit = fn(&mut TicketLines);
    let cases: [(&str, Edit); 6] = [
        ("ticket.message_id", |t| {
            t.message_id = "a@b>\r\nBcc: x@example.com".to_owned()
        }),
        ("ticket.message_id", |t| {
            t.message_id = "<t314.3@desk.example.net>".to_owned()
        }),
        ("ticket.message_id", |t| {
            t.message_id = "no-domain".to_owned()
        }),
        ("ticket.message_id", |t| t.message_id.clear()),
        ("ticket.in_reply_to", |t| {
            t.in_reply_to = Some("x y@z".to_owned())
        }),
        ("ticket.references", |t| {
            t.references.push("ünïcode@z".to_owned())
        }),
    ];
    for (field, edit) in cases {
        let mut n = ticket_notice(NoticeKind::TicketReply, Language::En);
        edit(n.ticket.as_mut().unwrap());
        match compose(&n, &sender()) {
            Err(NotifyError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn what_a_ticket_notice_lacks_is_named() {
    let incomplete = |n: &Notice| match compose(n, &sender()) {
        Err(NotifyError::Incomplete { kind, missing }) => format!("{kind}: {missing}"),
        other => panic!("{other:?}"),
    };
    for kind in KINDS {
        let mut n = ticket_notice(kind, Language::En);
        n.ticket = None;
        assert_eq!(incomplete(&n), format!("{}: its ticket", kind.as_str()));
        let mut n = ticket_notice(kind, Language::En);
        n.ticket.as_mut().unwrap().url = " ".to_owned();
        assert_eq!(incomplete(&n), format!("{}: ticket.url", kind.as_str()));
    }
    let mut n = ticket_notice(NoticeKind::TicketReply, Language::En);
    n.ticket.as_mut().unwrap().body = " \r\n\r\n ".to_owned();
    assert_eq!(incomplete(&n), "ticket-reply: ticket.body (the reply)");
    let mut n = ticket_notice(NoticeKind::TicketBreach, Language::En);
    n.ticket.as_mut().unwrap().target = None;
    assert_eq!(incomplete(&n), "ticket-breach: ticket.target");
    let mut n = ticket_notice(NoticeKind::TicketBreach, Language::En);
    n.ticket.as_mut().unwrap().due = None;
    assert_eq!(incomplete(&n), "ticket-breach: ticket.due");
    let mut n = ticket_notice(NoticeKind::TicketBreach, Language::En);
    n.ticket.as_mut().unwrap().target = Some("first response".to_owned());
    assert!(matches!(
        compose(&n, &sender()),
        Err(NotifyError::Invalid {
            field: "ticket.target",
            ..
        })
    ));
    let mut n = ticket_notice(NoticeKind::TicketBreach, Language::En);
    n.ticket.as_mut().unwrap().due = Some(i64::MAX);
    assert_eq!(compose(&n, &sender()), Err(NotifyError::Date(i64::MAX)));
}

#[test]
fn defaults_for_what_may_be_empty() {
    let composer = Composer::new().unwrap();
    let mut n = ticket_notice(NoticeKind::TicketReply, Language::Fr);
    n.ticket.as_mut().unwrap().author = String::new();
    n.ticket.as_mut().unwrap().subject = "\r\n".to_owned();
    let r = composer.render(&n).unwrap();
    assert_eq!(r.subject, "Re: [#T-314] (sans objet)");
    assert!(
        r.text.contains("Cordialement,\nL’équipe support\n"),
        "{}",
        r.text
    );

    let mut n = ticket_notice(NoticeKind::TicketBreach, Language::Cs);
    n.ticket.as_mut().unwrap().customer = String::new();
    let r = composer.render(&n).unwrap();
    assert!(r.text.contains("Zákazník: zatím nepřiřazen"), "{}", r.text);
}

#[test]
fn a_long_message_is_quoted_only_in_part() {
    let mut n = ticket_notice(NoticeKind::TicketReceived, Language::En);
    let log: Vec<String> = (0..500)
        .map(|i| format!("kernel: line {i:03} of a pasted log"))
        .collect();
    n.ticket.as_mut().unwrap().body = log.join("\n");
    let text = Composer::new().unwrap().render(&n).unwrap().text;
    assert!(text.contains("> kernel: line 000 of a pasted log\n"));
    assert!(!text.contains("line 499"), "cut");
    assert!(text.contains("\n> […]\n"), "the cut is marked");
    let quoted: usize = text
        .lines()
        .filter(|l| l.starts_with("> "))
        .map(str::len)
        .sum();
    assert!(quoted < 2500, "{quoted} characters quoted");
}

#[test]
fn ticket_mail_needs_no_list_id_and_ignores_the_outbox_row() {
    let mut s = sender();
    s.list_id = String::new();
    let n = ticket_notice(NoticeKind::TicketReceived, Language::Pl);
    let first = compose(&n, &s).unwrap();
    let mut other = n.clone();
    other.outbox_id = 99;
    // The caller's Message-ID makes the message: a retry from another row sends the same bytes.
    assert_eq!(first, compose(&other, &s).unwrap());
    assert!(matches!(
        compose(&notice(NoticeKind::Opened, Language::Pl), &s),
        Err(NotifyError::ListId(_))
    ));
}

mod properties {
    use proptest::prelude::*;
    use tocsin_model::inventory::Language;
    use tocsin_notify::{compose, Composer};

    use super::{parse, ticket_notice, KINDS};
    use crate::fixtures::sender;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever a customer puts in a subject or a message, the e-mail parses back with
        /// the tag in a one-line subject, one recipient and no header of the text's making.
        #[test]
        fn any_subject_and_body_give_a_well_formed_message(
            subject in "[a-zA-Z<>&\"' :\r\n\t\u{0}-\u{1f}\u{7f}\u{85}\u{2028}\u{202e}\u{430}-\u{44f}]{0,80}",
            body in any::<String>(),
            author in "\\PC{0,30}",
            kind in 0usize..3,
            language in 0usize..5,
        ) {
            let mut n = ticket_notice(KINDS[kind], Language::ALL[language]);
            {
                let t = n.ticket.as_mut().unwrap();
                t.subject = subject;
                t.author = author;
                t.body = format!("x {body}");
            }
            let bytes = compose(&n, &sender()).unwrap();
            prop_assert!(bytes.is_ascii());
            let m = parse(&bytes);
            let rendered = Composer::new().unwrap().render(&n).unwrap();
            prop_assert_eq!(m.subject(), Some(rendered.subject.as_str()));
            prop_assert!(!rendered.subject.chars().any(char::is_control));
            prop_assert!(rendered.subject.contains("[#T-314]"));
            prop_assert_eq!(m.to().unwrap().iter().count(), 1);
            prop_assert!(m.header_raw("Bcc").is_none());
            prop_assert_eq!(m.text_body_count(), 1);
            prop_assert_eq!(m.html_body_count(), 1);
            prop_assert!(!m.body_html(0).unwrap().contains("<script"));
        }
    }
}
