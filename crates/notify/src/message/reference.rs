//! The lettre-built composition that `Composer::compose` replaced, kept as the reference the
//! new writer must match byte for byte, and the differential tests that hold it to that.

use std::str::FromStr;

use lettre::message::header::{self, HeaderName, HeaderValue, Headers};
use lettre::message::{Mailbox, Mailboxes, MultiPart, SinglePart};
use proptest::prelude::*;
use tocsin_model::inventory::Language;

use super::{boundary, mime, valid_list_id, Composer};
use crate::notice::{
    ascii_domain, CreditLines, Notice, NoticeKind, OfferKind, OfferLine, Sender, ServiceLine,
    TicketLines, WindowTimes,
};
use crate::ticket::thread;
use crate::time::rfc5322;
use crate::NotifyError;

/// The message as lettre's builder wrote it before the MIME writer existed.
fn compose_with_lettre(
    composer: &Composer,
    notice: &Notice,
    sender: &Sender,
) -> Result<Vec<u8>, NotifyError> {
    let rendered = composer.render_with_templates(notice)?;
    let from = mailbox("from", &sender.from)?;
    let to = mailbox("to", &notice.to)?;
    let thread = if notice.kind.is_ticket() {
        Some(thread(notice)?)
    } else {
        if !valid_list_id(&sender.list_id) {
            return Err(NotifyError::ListId(sender.list_id.clone()));
        }
        None
    };
    let date = rfc5322(notice.date).ok_or(NotifyError::Date(notice.date))?;
    let message_id = match &thread {
        Some(t) => format!("<{}>", t.message_id),
        None => {
            let about = match notice.kind {
                NoticeKind::CreditOffered => "credit",
                NoticeKind::EnvelopeOpened => "envelope",
                _ => "incident",
            };
            format!(
                "<{about}-{}.{}.{}@{}>",
                notice.incident_id,
                notice.kind.as_str(),
                notice.outbox_id,
                from.email.domain()
            )
        }
    };

    let mut headers = Headers::new();
    headers.set(header::From::from(Mailboxes::from(from.clone())));
    if thread.is_some() {
        headers.set(header::ReplyTo::from(Mailboxes::from(from)));
    }
    headers.set(header::To::from(Mailboxes::from(to)));
    headers.set(header::Subject::from(rendered.subject.clone()));
    raw(&mut headers, "Date", date);
    raw(&mut headers, "Message-ID", message_id.clone());
    if let Some(t) = &thread {
        if let Some(parent) = &t.in_reply_to {
            raw(&mut headers, "In-Reply-To", format!("<{parent}>"));
        }
        if !t.references.is_empty() {
            let ids: Vec<String> = t.references.iter().map(|id| format!("<{id}>")).collect();
            raw(&mut headers, "References", ids.join(" "));
        }
    }
    let auto_submitted = match notice.kind {
        NoticeKind::TicketReply => None,
        NoticeKind::TicketReceived => Some("auto-replied"),
        _ => Some("auto-generated"),
    };
    if let Some(value) = auto_submitted {
        raw(&mut headers, "Auto-Submitted", value.to_owned());
    }
    raw(
        &mut headers,
        "X-Auto-Response-Suppress",
        "OOF, AutoReply".to_owned(),
    );
    if thread.is_none() {
        raw(&mut headers, "List-Id", format!("<{}>", sender.list_id));
    }
    raw(
        &mut headers,
        "Content-Language",
        notice.language.code().to_owned(),
    );
    raw(&mut headers, "MIME-Version", "1.0".to_owned());

    let body = MultiPart::alternative()
        .boundary(boundary(&message_id, &rendered))
        .singlepart(SinglePart::plain(rendered.text))
        .singlepart(SinglePart::html(rendered.html));

    let mut out = headers.to_string().into_bytes();
    out.extend_from_slice(&body.formatted());
    Ok(out)
}

fn mailbox(field: &'static str, value: &str) -> Result<Mailbox, NotifyError> {
    let error = |detail: String| NotifyError::Address {
        field,
        value: value.to_owned(),
        detail,
    };
    let mut mailbox = Mailbox::from_str(value.trim()).map_err(|e| error(e.to_string()))?;
    mailbox.email = ascii_domain(mailbox.email.as_ref())
        .and_then(|a| a.parse().map_err(|e| format!("{e}")))
        .map_err(error)?;
    Ok(mailbox)
}

fn raw(headers: &mut Headers, name: &'static str, value: String) {
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str(name),
        value,
    ));
}

const KINDS: [NoticeKind; 14] = [
    NoticeKind::Opened,
    NoticeKind::Resolved,
    NoticeKind::Broadcast,
    NoticeKind::Degraded,
    NoticeKind::LeadOpened,
    NoticeKind::MaintenanceAnnounced,
    NoticeKind::MaintenanceReminder,
    NoticeKind::MaintenanceMoved,
    NoticeKind::MaintenanceCancelled,
    NoticeKind::CreditOffered,
    NoticeKind::TicketReceived,
    NoticeKind::TicketReply,
    NoticeKind::TicketBreach,
    NoticeKind::EnvelopeOpened,
];

/// Pieces the generated strings are made of: plain words, non-ASCII in several scripts,
/// control and bidirectional characters, markup, `=` and dots that may start a line, runs of
/// blanks, line breaks of every kind, and words far longer than a line.
const PIECES: [&str; 24] = [
    "Web server",
    "Pekárna Novák s.r.o.",
    "Почтовый сервер",
    "Zażółć gęślą jaźń",
    "東京データセンター",
    "emoji 🚨🔥",
    "\r\n",
    "\n",
    "\n\n",
    "\r",
    "\t",
    "  ",
    " ",
    "=",
    "=3D=",
    ".",
    "\n.\n",
    "\n=\n",
    "<b>&amp;\"'</b>",
    "\u{202E}evil\u{2066}",
    "\u{0}\u{7}\u{1b}[31m",
    "a-very-long-word-without-any-space-that-goes-on-and-on-past-the-seventy-six-column-limit-of-quoted-printable",
    "x",
    "",
];

/// A small deterministic generator, so that a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn text(&mut self, max_pieces: usize) -> String {
        let count = self.below(max_pieces + 1);
        (0..count)
            .map(|_| PIECES[self.below(PIECES.len())])
            .collect()
    }

    /// Mostly tame text, sometimes hostile, sometimes a long repetition.
    fn name(&mut self) -> String {
        match self.below(6) {
            0 => self.text(12),
            1 => PIECES[self.below(PIECES.len())].repeat(1 + self.below(40)),
            _ => format!("{} {}", PIECES[self.below(6)], self.below(1000)),
        }
    }
}

fn generated(seed: u64) -> Notice {
    let mut r = Rng(seed);
    let kind = KINDS[r.below(KINDS.len())];
    let language = Language::ALL[r.below(Language::ALL.len())];
    let date = 1_795_363_911 - i64::try_from(r.below(100_000)).unwrap_or(0);
    let services = match r.below(5) {
        0 => 0,
        1 => 40 + r.below(60),
        _ => 1 + r.below(20),
    };
    let services = (0..services)
        .map(|i| ServiceLine {
            id: format!(
                "vps-{i}{}",
                if r.below(4) == 0 {
                    r.name()
                } else {
                    String::new()
                }
            ),
            name: r.name(),
            down_since: date - i64::try_from(r.below(200_000)).unwrap_or(0),
            back_up_at: (r.below(2) == 0).then(|| date - i64::try_from(r.below(100)).unwrap_or(0)),
        })
        .collect();
    let window = (r.below(3) != 0).then(|| WindowTimes {
        utc: format!("2026-11-{:02} 22:00–23:00 UTC", 1 + r.below(28)),
        local: if r.below(2) == 0 {
            String::new()
        } else {
            r.name()
        },
        previous: if r.below(2) == 0 {
            String::new()
        } else {
            r.name()
        },
    });
    let credit = (kind == NoticeKind::CreditOffered || r.below(8) == 0).then(|| CreditLines {
        service_id: "vps-1042".to_owned(),
        service_name: r.name(),
        month: "2026-10".to_owned(),
        down_seconds: i64::try_from(r.below(500_000)).unwrap_or(0),
        availability: "99.8133 %".to_owned(),
        sla: "99.9 %".to_owned(),
        net: "1.20".to_owned(),
        vat: "0.25".to_owned(),
        gross: "1.45".to_owned(),
        currency: "EUR".to_owned(),
        reverse_charge: r.below(2) == 0,
        deadline: date + 86_400 * 8,
        offers: (0..r.below(4))
            .map(|i| OfferLine {
                id: format!("offer-{i}"),
                kind: if i % 2 == 0 {
                    OfferKind::AccountCredit
                } else {
                    OfferKind::ServiceDays
                },
                value: format!("{}", 1 + r.below(30)),
            })
            .collect(),
        url: "https://client.example.net/account/sla".to_owned(),
    });
    let references = (0..r.below(12))
        .map(|i| format!("t314.{i}.{}@desk.example.net", "x".repeat(r.below(30))))
        .collect();
    let ticket = (kind.is_ticket() || r.below(8) == 0).then(|| TicketLines {
        ticket_id: 314,
        subject: r.name(),
        body: r.text(30),
        author: r.name(),
        message_id: format!("t314.{seed}@desk.example.net"),
        in_reply_to: (r.below(2) == 0).then(|| "t314.1@desk.example.net".to_owned()),
        references,
        url: "https://client.example.net/tickets/314".to_owned(),
        target: (kind == NoticeKind::TicketBreach)
            .then(|| ["first_response", "resolution"][r.below(2)].to_owned()),
        due: Some(date - 1800),
        customer: r.name(),
    });
    let to = [
        "jana@pekarna.example",
        "Jana Nováková <jana@pekárna.example>",
        "\"Смирнов, Иван\" <ivan@пример.рф>",
        "lead@provider.example",
    ][r.below(4)]
    .to_owned();
    Notice {
        kind,
        incident_id: r.next() % 100_000,
        incident_title: if r.below(5) == 0 {
            String::new()
        } else {
            r.name()
        },
        customer_name: r.name(),
        to,
        language,
        services,
        public_url: "https://status.example.net/".to_owned(),
        date,
        outbox_id: r.next() % 10_000_000,
        body: if r.below(2) == 0 {
            String::new()
        } else {
            r.text(40)
        },
        at_risk: r.next() % 50,
        window,
        credit,
        ticket,
    }
}

fn senders() -> [Sender; 3] {
    [
        Sender {
            from: "Tocsin NOC <noc@status.example.net>".to_owned(),
            list_id: "status.example.net".to_owned(),
        },
        Sender {
            from: "\"Dohled, s.r.o.\" <dohled@stav.příklad.cz>".to_owned(),
            list_id: "notices".to_owned(),
        },
        Sender {
            from: "Служба мониторинга <noc@status.example.net>".to_owned(),
            list_id: "status.example.net".to_owned(),
        },
    ]
}

#[test]
fn the_writer_matches_lettre_for_generated_notices() {
    let composer = Composer::new().unwrap();
    let senders = senders();
    let mut composed = [0usize; KINDS.len()];
    for seed in 0..2000u64 {
        let notice = generated(seed);
        let sender = &senders[usize::try_from(seed % 3).unwrap_or(0)];
        let expected = compose_with_lettre(&composer, &notice, sender);
        let actual = composer.compose(&notice, sender);
        assert_eq!(
            actual.as_ref().map(|b| String::from_utf8_lossy(b)),
            expected.as_ref().map(|b| String::from_utf8_lossy(b)),
            "seed {seed}: {notice:?}"
        );
        if actual.is_ok() {
            let kind = KINDS.iter().position(|k| *k == notice.kind).unwrap_or(0);
            composed[kind] += 1;
        }
    }
    // Every kind must have been composed often, not only refused.
    for (kind, count) in KINDS.iter().zip(composed) {
        assert!(count >= 50, "{kind:?} composed only {count} times");
    }
}

#[test]
fn the_writer_matches_lettre_on_the_fanout_notices() {
    let composer = Composer::new().unwrap();
    let sender = &senders()[0];
    for i in 0..200u64 {
        let mut notice = generated(i);
        notice.kind = NoticeKind::Opened;
        notice.language = Language::ALL[usize::try_from(i % 5).unwrap_or(0)];
        notice.customer_name = format!("Customer {i} s.r.o.");
        notice.incident_title = "Hypervisor hv-07 in Prague 1 restarted".to_owned();
        notice.services.truncate(16);
        for s in &mut notice.services {
            s.name = "Virtual server (web and database)".to_owned();
        }
        notice.body = String::new();
        assert_eq!(
            composer.compose(&notice, sender),
            compose_with_lettre(&composer, &notice, sender),
            "{i}"
        );
    }
}

/// One part as lettre's `SinglePart::plain` writes it.
fn lettre_part(body: &str) -> String {
    String::from_utf8_lossy(&SinglePart::plain(body.to_owned()).formatted()).into_owned()
}

/// The same part from the writer, cut out of a multipart.
fn writer_part(body: &str) -> String {
    let mut out = Vec::new();
    mime::alternative(&mut out, "B", body, "");
    let start = b"Content-Type: multipart/alternative; boundary=\"B\"\r\n\r\n--B\r\n".len();
    let end = out[start..]
        .windows(5)
        .position(|w| w == b"\r\n--B")
        .map_or(out.len(), |p| start + p + 2);
    String::from_utf8_lossy(&out[start..end]).into_owned()
}

#[test]
fn short_and_empty_bodies_match_lettre() {
    for body in ["", "\n", "\r", " ", "=", ".", "é", "\r\n\r\n", "a \n"] {
        assert_eq!(writer_part(body), lettre_part(body), "{body:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn bodies_match_lettre(body in "(?s)(.|\r|\n| |\t|=|\\.){0,400}") {
        prop_assert_eq!(
            writer_part(&body),
            lettre_part(&body)
        );
    }

    #[test]
    fn bodies_of_pieces_match_lettre(picks in proptest::collection::vec(0..PIECES.len(), 0..80)) {
        let body: String = picks.iter().map(|&i| PIECES[i]).collect();
        prop_assert_eq!(
            writer_part(&body),
            lettre_part(&body)
        );
    }

    #[test]
    fn lines_near_the_limit_match_lettre(
        lines in proptest::collection::vec(("[ a-z=\t.é]{70,80}", 0..3usize), 1..6)
    ) {
        let body: String = lines
            .iter()
            .map(|(l, end)| format!("{l}{}", ["\n", "\r\n", " \n"][*end]))
            .collect();
        prop_assert_eq!(
            writer_part(&body),
            lettre_part(&body)
        );
    }
}
