//! Unit tests of the e-mails behind a credit: which sent e-mails belong to its outage
//! intervals, how the SLA page lists them (escaped, a reading link only when archived), and
//! the plain text read back from an archived message.

use minijinja::context;
use tocsin_model::inventory::Language;
use tocsin_store::SentNotice;

use super::env;
use super::i18n::texts;
use super::messages::text_of;
use super::sla::{mails_during, CreditPage, MAIL_AFTER_MS};

const NOW: i64 = 1_795_341_600_000;
/// An hour down, ending two hours before now.
const INTERVAL: (i64, i64) = (NOW - 10_800_000, NOW - 7_200_000);

fn sent(id: i64, contact: &str, kind: &str, sent_ms: i64, archived: bool) -> SentNotice {
    SentNotice {
        id,
        incident_id: 4,
        contact: contact.into(),
        kind: kind.into(),
        language: "cs".into(),
        sent_ms,
        message_key: archived.then(|| format!("mail/{id}")),
    }
}

fn outbox() -> Vec<SentNotice> {
    let (from, to) = INTERVAL;
    vec![
        sent(1, "early@acme.example", "opened", from - 1, true),
        sent(2, "ops@acme.example", "opened", from, true),
        sent(
            3,
            "ops@acme.example",
            "maintenance.7.announced",
            from + 60_000,
            false,
        ),
        sent(
            4,
            "<b>x</b>@acme.example",
            "resolved",
            to + MAIL_AFTER_MS - 1,
            true,
        ),
        sent(5, "late@acme.example", "resolved", to + MAIL_AFTER_MS, true),
        sent(
            6,
            "ops@acme.example",
            "sla.credit.9.offered",
            to + 1000,
            true,
        ),
        sent(7, "ops@acme.example", "broadcast.3", to + 2000, true),
    ]
}

#[test]
fn the_mails_of_a_credit_are_those_sent_during_its_intervals_and_the_hour_after() {
    let t = texts(Language::En);
    let seen = mails_during(&outbox(), &[INTERVAL], t);
    let ids: Vec<i64> = seen.iter().map(|m| m.id).collect();
    assert_eq!(
        ids,
        [2, 3, 4, 6, 7],
        "from inclusive, an hour after the end exclusive"
    );
    let kinds: Vec<(&str, &str)> = seen
        .iter()
        .map(|m| (m.kind.as_str(), m.kind_label.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("opened", t.sla.mail_opened),
            ("maintenance", t.sla.mail_maintenance),
            ("resolved", t.sla.mail_resolved),
            ("credit", t.sla.mail_credit),
            ("broadcast", t.sla.mail_broadcast),
        ]
    );
    assert!(seen[0].archived && !seen[1].archived);
    assert_eq!(seen[0].sent_iso, tocsin_model::time::rfc3339(INTERVAL.0));
    assert!(mails_during(&outbox(), &[], t).is_empty());
    // Two intervals: the gap between their widened spans holds none.
    let later = (NOW + 36_000_000, NOW + 39_600_000);
    let in_gap = sent(8, "ops@acme.example", "opened", NOW, true);
    let in_later = sent(9, "ops@acme.example", "opened", later.0 + 5, true);
    let two = mails_during(&[in_gap, in_later], &[INTERVAL, later], t);
    assert_eq!(two.iter().map(|m| m.id).collect::<Vec<_>>(), [9]);
}

#[test]
fn the_sla_page_lists_the_mails_escaped_with_a_link_when_archived() {
    for l in Language::ALL {
        let t = texts(l);
        let page = CreditPage {
            id: 5,
            service: "VPS".into(),
            month: "2026-10".into(),
            net: "1.20".into(),
            vat: "0.25".into(),
            gross: "1.45".into(),
            currency: "EUR".into(),
            reverse_charge: false,
            deadline: "d".into(),
            deadline_iso: "d".into(),
            status: "approved".into(),
            status_label: "a".into(),
            waiting: false,
            open: false,
            offers: Vec::new(),
            intervals: Vec::new(),
            incidents: Vec::new(),
            mails: mails_during(&outbox(), &[INTERVAL], t),
        };
        let render = |credits: Vec<CreditPage>| {
            env()
                .get_template("account/sla.html")
                .unwrap()
                .render(context! {
                    lang => l.code(), t, who => "jana@acme.example", csrf => "tok",
                    credits, saved => false,
                })
                .unwrap()
        };
        let out = render(vec![page]);
        assert!(out.contains(t.sla.mails), "{out}");
        assert!(
            !out.contains("<b>x</b>") && out.contains("&lt;b&gt;x&lt;&#x2f;b&gt;"),
            "{out}"
        );
        for id in [2, 4, 6, 7] {
            assert!(
                out.contains(&format!("href=\"/account/messages/{id}\"")),
                "{id}: {out}"
            );
        }
        assert!(!out.contains("/account/messages/3"), "not archived: {out}");
        assert!(out.contains(t.sla.mail_not_archived));
        assert!(!out.contains("/account/messages/1") && !out.contains("/account/messages/5"));
        assert!(!out.contains(t.sla.no_mails));
    }
}

#[test]
fn the_text_part_of_an_archived_message_is_read_back_decoded() {
    let message = "From: Tocsin <noc@provider.example>\r\n\
        To: ops@acme.example\r\n\
        Subject: =?utf-8?b?w5pkcsW+YmE=?=\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/alternative;\r\n boundary=\"b-1\"\r\n\
        \r\n\
        --b-1\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\
        \r\n\
        V=C3=BDpadek slu=C5=BEby vps-1 za=\r\nlo=C5=BEen.\r\n\
        Druh=C3=BD =3D =C5=99=C3=A1dek\r\n\
        --b-1\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        \r\n\
        <p>HTML</p>\r\n\
        --b-1--\r\n";
    assert_eq!(
        text_of(message.as_bytes()),
        "Výpadek služby vps-1 založen.\r\nDruhý = řádek".replace("\r\n", "\n")
    );

    let base64 = "Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
        --outer\r\n\
        Content-Type: multipart/alternative; boundary=inner\r\n\r\n\
        --inner\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: base64\r\n\r\n\
        w5pkcsW+YmEgcG8=\r\n\
        --inner--\r\n\
        --outer--\r\n";
    assert_eq!(text_of(base64.as_bytes()), "Údržba po");

    // No text part, or one that does not decode: the raw message, as sent.
    let html_only = "Content-Type: text/html\r\n\r\n<p>only</p>\r\n";
    assert_eq!(text_of(html_only.as_bytes()), html_only);
    let broken = "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n";
    assert_eq!(text_of(broken.as_bytes()), broken);
    // A bare 7-bit message is its body.
    assert_eq!(text_of(b"Subject: hi\n\nplain body\n"), "plain body\n");
}
