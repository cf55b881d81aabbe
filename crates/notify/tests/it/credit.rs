//! The SLA credit notice: its numbers in every language, reverse charge, escaping of the
//! service's name, the offers and the one that applies by default, a stable `Message-ID`.

use mail_parser::MessageParser;
use tocsin_model::inventory::Language;
use tocsin_notify::{
    compose, Composer, CreditLines, Notice, NoticeKind, NotifyError, OfferKind, OfferLine,
};

use crate::fixtures::{notice, sender};

/// 2026-11-30 23:00 UTC: October 2026 ends in Prague at 23:00 UTC, plus 30 days.
const DEADLINE: i64 = 1_796_079_600;

/// Credit number 7 for October 2026: 1 h 23 min down, 1.20 EUR net, 21 % VAT.
fn credit_notice(language: Language) -> Notice {
    let mut n = notice(NoticeKind::CreditOffered, language);
    n.incident_id = 7;
    n.incident_title = String::new();
    n.credit = Some(CreditLines {
        service_id: "vps-1042".to_owned(),
        service_name: "Web server www-1".to_owned(),
        month: "2026-10".to_owned(),
        down_seconds: 83 * 60 + 20,
        availability: "99.8133 %".to_owned(),
        sla: "99.9 %".to_owned(),
        net: "1.20".to_owned(),
        vat: "0.25".to_owned(),
        gross: "1.45".to_owned(),
        currency: "EUR".to_owned(),
        reverse_charge: false,
        deadline: DEADLINE,
        offers: vec![
            OfferLine {
                id: "credit".to_owned(),
                kind: OfferKind::AccountCredit,
                value: "1.45".to_owned(),
            },
            OfferLine {
                id: "extension".to_owned(),
                kind: OfferKind::ServiceDays,
                value: "3".to_owned(),
            },
        ],
        url: "https://client.example.net/account/sla".to_owned(),
    });
    n
}

fn bodies(bytes: &[u8]) -> (String, String, String) {
    let m = MessageParser::default().parse(bytes).unwrap();
    (
        m.subject().unwrap().to_owned(),
        m.body_text(0).unwrap().into_owned(),
        m.body_html(0).unwrap().into_owned(),
    )
}

/// How each language writes October 2026, 1 hour 23 minutes and the three days offered.
const WORDS: [(Language, &str, &str, &str); 5] = [
    (Language::Cs, "říjen 2026", "1 hodina 23 minut", "3 dny"),
    (
        Language::En,
        "October 2026",
        "1 hour 23 minutes",
        "3 free days",
    ),
    (
        Language::Pl,
        "październik 2026",
        "1 godzina 23 minuty",
        "3 dni",
    ),
    (
        Language::Fr,
        "octobre 2026",
        "1 heure 23 minutes",
        "3 jours gratuits",
    ),
    (
        Language::Ru,
        "октябрь 2026",
        "1 час 23 минуты",
        "3 бесплатных дня",
    ),
];

#[test]
fn credit_notices_in_every_language_carry_the_numbers() {
    for (language, month, down, days) in WORDS {
        let n = credit_notice(language);
        let bytes = compose(&n, &sender()).unwrap();
        let (subject, text, html) = bodies(&bytes);
        let context = format!("{language:?}");
        assert!(subject.contains("Web server www-1"), "{context}: {subject}");
        assert!(subject.contains(month), "{context}: {subject}");
        for body in [&text, &html] {
            for number in [
                "vps-1042",
                "99.8133 %",
                "99.9 %",
                "1.20 EUR",
                "0.25 EUR",
                "1.45 EUR",
                "2026-11-30 23:00 UTC",
                "Pekárna Novák s.r.o.",
                month,
                down,
                days,
            ] {
                assert!(body.contains(number), "{context}: {number} in {body}");
            }
        }
        // The choices are numbered in the configured order, the link goes to the client area.
        let first = text.find("  1. 1.45 EUR").unwrap_or(usize::MAX);
        let second = text.find("  2. 3").unwrap_or(0);
        assert!(first < second, "{context}: {text}");
        assert!(
            text.contains("https://client.example.net/account/sla"),
            "{context}"
        );
        assert!(!text.contains("https://status.example.net/"), "{context}");
        assert!(html.contains("<ol>"), "{context}");
        // No incident frame and no list of affected services.
        assert!(!text.contains("db-7"), "{context}");
        assert!(!text.contains("#7"), "{context}");
        if matches!(language, Language::En | Language::Cs) {
            let name = format!("credit-offered_{}", language.code());
            insta::assert_snapshot!(name, crate::compose::readable(&bytes));
        }
    }
}

#[test]
fn reverse_charge_is_said_and_no_vat_amount_is_given() {
    let said = [
        (Language::Cs, "přenesení daňové povinnosti"),
        (Language::En, "reverse charge"),
        (Language::Pl, "odwrotne obciążenie"),
        (Language::Fr, "autoliquidation"),
        (Language::Ru, "обратное начисление"),
    ];
    let composer = Composer::new().unwrap();
    for (language, words) in said {
        let mut n = credit_notice(language);
        let plain = composer.render(&n).unwrap().text;
        assert!(!plain.contains(words), "{language:?}: {plain}");
        let credit = n.credit.as_mut().unwrap();
        credit.reverse_charge = true;
        credit.vat = "0.00".to_owned();
        credit.gross = "1.20".to_owned();
        let text = composer.render(&n).unwrap().text;
        assert!(text.contains(words), "{language:?}: {text}");
        assert!(!text.contains("0.00"), "{language:?}: {text}");
        assert!(text.contains("1.20 EUR"), "{language:?}: {text}");
    }
}

#[test]
fn the_first_offer_is_the_one_that_applies() {
    let composer = Composer::new().unwrap();
    let mut n = credit_notice(Language::En);
    let text = composer.render(&n).unwrap().text;
    assert!(
        text.contains("the first option applies: 1.45 EUR credited to your account."),
        "{text}"
    );
    n.credit.as_mut().unwrap().offers.reverse();
    let text = composer.render(&n).unwrap().text;
    assert!(
        text.contains("the first option applies: 3 free days of the service."),
        "{text}"
    );
    assert!(text.contains("  1. 3 free days"), "{text}");
}

#[test]
fn the_service_name_is_escaped_in_html() {
    let mut n = credit_notice(Language::En);
    let hostile = "<script>alert(\"x\")</script> & <b>Co</b>";
    n.credit.as_mut().unwrap().service_name = hostile.to_owned();
    n.credit.as_mut().unwrap().currency = "<i>EUR</i>".to_owned();
    let bytes = compose(&n, &sender()).unwrap();
    let (subject, text, html) = bodies(&bytes);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<b>Co"), "{html}");
    assert!(!html.contains("<i>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2f;script&gt; &amp; &lt;b&gt;Co"),
        "{html}"
    );
    // The subject and the plain text show the name as it is.
    assert!(subject.contains(hostile), "{subject}");
    assert!(text.contains(hostile), "{text}");
}

#[test]
fn the_message_id_is_the_same_across_renders_and_names_the_credit() {
    let n = credit_notice(Language::Pl);
    let first = compose(&n, &sender()).unwrap();
    assert_eq!(first, compose(&n, &sender()).unwrap());
    assert_eq!(
        first,
        Composer::new().unwrap().compose(&n, &sender()).unwrap()
    );
    let id = |bytes: &[u8]| {
        MessageParser::default()
            .parse(bytes)
            .unwrap()
            .message_id()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        id(&first),
        format!("credit-7.credit-offered.{}@status.example.net", n.outbox_id)
    );
    let mut retried_elsewhere = n.clone();
    retried_elsewhere.outbox_id += 1;
    assert_ne!(
        id(&first),
        id(&compose(&retried_elsewhere, &sender()).unwrap())
    );
}

#[test]
fn a_credit_notice_without_what_it_says_is_an_error() {
    let mut n = credit_notice(Language::En);
    n.credit = None;
    assert_eq!(
        compose(&n, &sender()),
        Err(NotifyError::Incomplete {
            kind: "credit-offered",
            missing: "its credit"
        })
    );
    let mut n = credit_notice(Language::En);
    n.credit.as_mut().unwrap().offers.clear();
    let e = compose(&n, &sender()).unwrap_err();
    assert_eq!(e.to_string(), "credit-offered notice without offers");
    let mut n = credit_notice(Language::En);
    n.credit.as_mut().unwrap().deadline = i64::MAX;
    assert_eq!(compose(&n, &sender()), Err(NotifyError::Date(i64::MAX)));
}

#[test]
fn without_a_client_area_link_the_status_page_is_linked() {
    let mut n = credit_notice(Language::Fr);
    n.credit.as_mut().unwrap().url = String::new();
    let text = Composer::new().unwrap().render(&n).unwrap().text;
    assert!(text.contains("https://status.example.net/"), "{text}");
}
